"""How the review's pages print values they show by the hundred, computed in Python before a Jinja2 partial prints
them (Django's date filter costs ten times more)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils.timezone import get_current_timezone

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clock() -> Callable[[datetime | None], tuple[str, str]]:
    """when_shown with the reader's zone read once, for a loop over hundreds of moments (reading the current zone
    costs as much as the rest of the conversion)."""
    zone = get_current_timezone()

    def shown(moment: datetime | None) -> tuple[str, str]:
        if moment is None:
            return "", ""
        local = moment.astimezone(zone)
        return local.isoformat(), f"{_MONTHS[local.month - 1]} {local.day} {local.hour:02d}:{local.minute:02d}"

    return shown


def when_shown(moment: datetime | None) -> tuple[str, str]:
    """A moment as the pages print it: (ISO 8601 for the machine, "Dec 6 14:05" in the reader's zone)."""
    return clock()(moment)


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, the last an ellipsis when cut (as Django's truncatechars, without its slow
    word-aware Truncator)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
