"""The rows of the timeline page, rendered by the Jinja2 partial timeline/_event_rows.html: a page shows 100 events,
and the same markup through Django's template engine cost about 0.3 ms a row, too much of the page's 50 ms (see
retrospector/core/jinja.py)."""

from functools import partial

from django import template
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from retrospector.core.markdown import restrict_images
from retrospector.timeline.models import TimelineEvent

register = template.Library()
_SENTINEL = 987654321
_KINDS, _ACTOR_KINDS = dict(TimelineEvent.Kind.choices), dict(TimelineEvent.ActorKind.choices)
# A text longer than this many lines (a line counted as LINE_CHARACTERS, about the width of the column on a laptop)
# is shown collapsed to its first lines, with "Show all": an imported traceback no longer fills the screen.
LONG_TEXT_LINES, LINE_CHARACTERS = 4, 90


def is_long_text(text: str) -> bool:
    lines = 0
    for line in text.splitlines():
        lines += max(1, -(-len(line) // LINE_CHARACTERS))
        if lines > LONG_TEXT_LINES:
            return True
    return False


def _url_maker(name: str, incident_pk: int):
    """reverse() once; then the event's id is put where the sentinel was (the last argument of these routes)."""
    head, _, tail = reverse(name, args=[incident_pk, _SENTINEL]).rpartition(str(_SENTINEL))
    return lambda pk: f"{head}{pk}{tail}"


@register.simple_tag(takes_context=True)
def timeline_table_rows(
    context, rows, *, incident, can_edit: bool, seconds: bool, show_original: bool, moment_choices
) -> str:
    return render_rows(
        rows,
        incident=incident,
        can_edit=can_edit,
        seconds=seconds,
        show_original=show_original,
        moment_choices=moment_choices,
        csrf_token=context.get("csrf_token"),
    )


def render_rows(
    rows, *, incident, can_edit: bool, seconds: bool, show_original: bool, moment_choices, csrf_token=None
) -> str:
    """The <tr> elements of `rows` (TimelineRow). The few values of each row that take a call (times as text,
    addresses, whether the text is long) are computed here: a call from a template costs several times more."""
    zone = timezone.get_current_timezone()  # the viewer's: the machine-readable instant is written in it
    edit_url, milestone_url = _url_maker("event_edit", incident.pk), _url_maker("event_milestone", incident.pk)
    shown = [
        (
            row,
            row.local.strftime("%H:%M:%S"),
            row.event.occurred_at.astimezone(zone).isoformat(),
            edit_url(row.event.pk),
            milestone_url(row.event.pk),
            is_long_text(row.event.text),
        )
        for row in rows
    ]
    context = {
        "rows": shown,
        "can_edit": can_edit,
        "seconds": seconds,
        "show_original": show_original,
        "kinds": _KINDS,
        "actor_kinds": _ACTOR_KINDS,
        "moment_choices": moment_choices,
        "bulk_url": reverse("events_bulk", args=[incident.pk]),
        "csrf_token": csrf_token,
        # Images only from the hosts the incident's organization allows (the rest become links).
        "event_html": partial(restrict_images, allowed_hosts=incident.organization.image_hosts),
    }
    return mark_safe(get_template("timeline/_event_rows.html", using="jinja2").render(context))
