"""Time zone names as people type them: one list of the IANA names we accept, a form field that reads a typed name
(suggested by a <datalist> the page renders once, the common zones first) and checks it here, on the server."""

import zoneinfo
from functools import lru_cache
from html import escape

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe

# The IANA names offered and accepted: Area/Location names and UTC (not the old aliases such as "EST" or "GMT0").
ZONE_NAMES: tuple[str, ...] = tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))

# Suggested first, before the other names in alphabetical order: where most teams and their providers are.
COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Perth",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/Mexico_City",
    "America/New_York",
    "America/Toronto",
    "America/Bogota",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
)

ZONE_DATALIST_ID = "zone-names"
_ACCEPTED = frozenset(ZONE_NAMES)
_BY_FOLDED = {name.casefold(): name for name in ZONE_NAMES}


def _cities() -> dict[str, str | None]:
    """A zone's last part ("paris", "new_york") -> its name; None where two zones share it."""
    cities: dict[str, str | None] = {}
    for name in ZONE_NAMES:
        city = name.rsplit("/", 1)[-1].casefold()
        cities[city] = None if city in cities else name
    return cities


_BY_CITY = _cities()


def zone_name(typed: str) -> str | None:
    """The IANA name meant by what was typed: the name in any case, with spaces for underscores ("america/new york"),
    or only its place when no other zone has that place ("Tokyo"); None when it names no zone."""
    folded = " ".join(typed.split()).replace(" ", "_").casefold()
    if not folded:
        return None
    return _BY_FOLDED.get(folded) or (_BY_CITY.get(folded) if "/" not in folded else None)


class ZoneNameField(forms.CharField):
    """A time zone typed in a text field with suggestions (the page's <datalist id="zone-names">, see zone_datalist)
    instead of a menu of 550 options written out for every field; the name is checked here against the IANA names and
    cleaned to its exact spelling. Empty is allowed when the field is not required (e.g. "each viewer's own zone")."""

    def __init__(self, *, placeholder: str = "e.g. Europe/Paris", **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "list": ZONE_DATALIST_ID,
                    "autocomplete": "off",
                    "autocapitalize": "none",
                    "spellcheck": "false",
                    "placeholder": placeholder,
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        name = zone_name(value)
        if name is None:
            raise ValidationError(
                f"“{value[:64]}” is not a time zone name. Type a place and pick its zone from the list, "
                "such as Europe/Paris, America/New_York or UTC.",
                code="unknown_zone",
            )
        return name


@lru_cache(maxsize=64)
def zone_datalist(first: tuple[str, ...] = ()) -> SafeString:
    """The page's one <datalist id="zone-names"> for every ZoneNameField on it: `first` (e.g. the viewer's zone and the
    incident's), then the common zones, then all the others alphabetically; kept for the next page that asks for the
    same `first`."""
    leading = tuple(dict.fromkeys(name for name in (*first, *COMMON_ZONES) if name in _ACCEPTED))
    shown = set(leading)
    options = (*leading, *(name for name in ZONE_NAMES if name not in shown))
    items = "".join(f'<option value="{escape(name)}">' for name in options)
    return mark_safe(f'<datalist id="{ZONE_DATALIST_ID}">{items}</datalist>')
