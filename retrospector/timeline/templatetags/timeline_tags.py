"""The rows of the timeline page, written in Python: a page shows 100 events, and the same markup through the template
engine cost about half a millisecond a row (100 ms a page). The markup is the one the template used to have."""

from html import escape

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr, truncatechars
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from retrospector.core.templatetags.retro import duration
from retrospector.timeline.models import TimelineEvent

register = template.Library()
_SENTINEL = 987654321


def _url_maker(name: str, incident_pk: int):
    """reverse() once; then the event's id is put where the sentinel was (the last argument of these routes)."""
    head, _, tail = reverse(name, args=[incident_pk, _SENTINEL]).rpartition(str(_SENTINEL))
    return lambda pk: f"{head}{pk}{tail}"


def _text(value) -> str:
    """What the template engine prints for a value: HTML-safe strings as they are, anything else escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _lines(text: str) -> str:
    """The linebreaksbr filter: escaped, with <br> for line breaks (\r\n, \r or \n)."""
    if hasattr(text, "__html__"):
        return linebreaksbr(text)
    text = escape(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", "<br>")


def _attachment(item) -> str:
    get = item.get if isinstance(item, dict) else (lambda key, default="": default)
    name, url = _text(get("name", "")), get("url", "")
    link = f'<a href="{_text(url)}" rel="nofollow noopener">{name}</a>' if url else name
    return f'<div class="small">📎 {link}</div>'


@register.simple_tag(takes_context=True)
def timeline_table_rows(context, rows, *, incident, can_edit: bool, seconds: bool, show_original: bool, moment_choices) -> str:
    return render_rows(rows, incident=incident, can_edit=can_edit, seconds=seconds, show_original=show_original,
                       moment_choices=moment_choices, csrf_token=context.get("csrf_token"))


def render_rows(rows, *, incident, can_edit: bool, seconds: bool, show_original: bool, moment_choices, csrf_token=None) -> str:
    """The <tr> elements of `rows` (TimelineRow). Times are shown as row.local says: the timeline's display zone.

    With htmx, Edit opens the form in the row itself and "Set" refreshes the timeline region (its hx-target and hx-swap
    are inherited from the region); without it they are a link and a form like any other."""
    parts: list[str] = []
    add = parts.append
    kinds, actor_kinds = dict(TimelineEvent.Kind.choices), dict(TimelineEvent.ActorKind.choices)
    if can_edit:
        edit_url = _url_maker("event_edit", incident.pk)
        milestone_url = _url_maker("event_milestone", incident.pk)
        token = csrf_token
        csrf = (f'<input type="hidden" name="csrfmiddlewaretoken" value="{_text(token)}">'
                if token and token != "NOTPROVIDED" else "")
        options = "".join(f'<option value="{_text(value)}">{_text(label)}</option>' for value, label in moment_choices)
    zone = timezone.get_current_timezone()
    for row in rows:
        e = row.event
        local = row.local
        hms = local.strftime("%H:%M:%S")
        if row.gap_before:
            add(f'\n    <tr class="gap"><td colspan="6">… {_text(duration(row.gap_before))} with no events …</td></tr>')
        if row.new_day:
            add(f'\n    <tr class="day"><th colspan="6" scope="rowgroup">{_text(date_filter(local, "l j F Y"))}</th></tr>')
        classes = ("key" if e.key_event else "") + (" hidden-event" if e.hidden else "")
        add(f'\n    <tr id="event-{e.pk}" class="{classes}">\n      ')
        if can_edit:
            add(f'<td class="select"><input type="checkbox" name="events" value="{e.pk}" form="bulk-form" '
                f'aria-label="Select event at {hms}"></td>')
        # Model text fields are plain str: escape() is what the template engine did to them.
        add(f'\n      <td class="time"><time datetime="{e.occurred_at.astimezone(zone).isoformat()}" '
            f'title="As written: {escape(e.original_time or "—")}" tabindex="0">{hms if seconds else hms[:5]}</time>\n        ')
        if show_original and e.original_time:
            add(f'<div class="muted small original-time">{escape(e.original_time)}</div>')
        add("\n        ")
        if e.key_event:
            add('<span class="badge key-badge" title="Key event">key</span>')
        add(f'</td>\n      <td class="actor">{escape(e.actor or "—")}')
        if e.actor_kind != "person":
            add(f' <span class="muted small">({_text(str(actor_kinds.get(e.actor_kind, e.actor_kind)).lower())})</span>')
        add(f'</td>\n      <td class="what"><span class="badge kind-{escape(e.kind)}">{_text(kinds.get(e.kind, e.kind))}</span>\n        ')
        if e.html:
            add(f'<div class="prose">{e.html}</div>')
        else:
            add(f'<div class="event-text">{_lines(e.text)}</div>')
        add("\n        ")
        if e.parent_ref:
            add('<span class="muted small" title="A reply in a thread">(thread reply)</span>')
        if e.key_candidate and not e.key_event:
            add('<span class="badge pinned" title="Pinned in the source: a candidate key event">pinned</span>')
        if e.edited:
            add('<span class="muted small">(edited)</span>')
        if e.hidden:
            add(f'<span class="muted small">(hidden{": duplicate" if e.merged_into_id else ""})</span>')
        add("\n        ")
        for item in e.attachments or ():
            add(_attachment(item))
        add("\n        ")
        for tag in e.tags or ():
            add(f'<span class="tag">{_text(tag)}</span> ')
        add('\n      </td>\n      <td class="small source">')
        if e.source_url:
            label = "source" if e.source_type == "manual" else escape(e.source_type)
            add(f'<a href="{escape(e.source_url)}" rel="nofollow noopener">{label}</a>')
        elif e.source_ref:
            ref = e.source_ref if len(e.source_ref) <= 40 and e.source_ref.isascii() else truncatechars(e.source_ref, 40)
            add(f'{escape(e.source_type)} <span class="muted">{_text(ref)}</span>')
        else:
            add('<span class="finding-inline">no source</span>')
        add("</td>\n      ")
        if can_edit:
            add(f'<td class="small actions"><a href="{edit_url(e.pk)}" hx-get="{edit_url(e.pk)}" hx-target="#event-{e.pk}" '
                f'hx-swap="outerHTML">Edit<span class="visually-hidden"> event at {hms[:5]}</span></a>\n'
                f'        <form method="post" action="{milestone_url(e.pk)}" hx-post="{milestone_url(e.pk)}" class="inline milestone">{csrf}\n'
                f'          <label class="visually-hidden" for="m-{e.pk}">Set a key moment from this event</label>\n'
                f'          <select id="m-{e.pk}" name="moment">{options}</select>\n'
                '          <button type="submit" class="small">Set</button></form></td>')
        add("\n    </tr>\n    ")
    return mark_safe("".join(parts))
