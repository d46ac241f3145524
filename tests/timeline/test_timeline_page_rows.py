"""The timeline page's rows (a Jinja2 partial) and the zone menus left elsewhere (options rendered once) are fast ways
to the same markup the Django templates wrote."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from retrospector.accounts.forms import PreferencesForm
from retrospector.core.forms import LongSelect, SharedChoices
from retrospector.timeline.forms import ImportForm, MilestoneForm
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.selectors import timeline_events, timeline_rows
from retrospector.timeline.services import event_add
from retrospector.timeline.templatetags.timeline_tags import is_long_text

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)

# The rows as a Django template would write them, to compare with. `long_ids`: the events whose text is long.
META = """{% if e.parent_ref %}<span class="muted" title="A reply in a thread">(thread reply)</span> {% endif %}{% if e.key_candidate and not e.key_event %}<span class="badge pinned" title="Pinned in the source: a candidate key event">pinned</span> {% endif %}{% if e.edited %}<span class="muted">(edited)</span> {% endif %}{% if e.hidden %}<span class="muted">(hidden{% if e.merged_into_id %}: duplicate{% endif %})</span> {% endif %}{% for a in e.attachments %}<span class="attachment">📎 {% if a.url %}<a href="{{ a.url }}" rel="nofollow noopener">{{ a.name }}</a>{% else %}{{ a.name }}{% endif %}</span> {% endfor %}{% for t in e.tags %}<span class="tag">{{ t }}</span> {% endfor %}"""
HAS_META = "e.parent_ref or e.key_candidate and not e.key_event or e.edited or e.hidden or e.attachments or e.tags"
TEMPLATE_ROWS = """{% load timeline_tags %}{% for row in rows %}
    {% if row.gap_before %}<tr class="gap"><td colspan="7">… {{ row.gap_before|duration }} with no events …</td></tr>{% endif %}
    {% if row.new_day %}<tr class="day"><th colspan="7" scope="rowgroup">{{ row.local|date:"l j F Y" }}</th></tr>{% endif %}
    {% with e=row.event %}
    <tr id="event-{{ e.pk }}" class="{% if e.key_event %}key{% endif %}{% if e.hidden %} hidden-event{% endif %}">
      {% if can_edit %}<td class="select"><input type="checkbox" name="events" value="{{ e.pk }}" form="bulk-form" aria-label="Select event at {{ row.local|date:'H:i:s' }}"></td>{% endif %}
      <td class="time"><time datetime="{{ e.occurred_at|date:'c' }}" title="As written: {{ e.original_time|default:'—' }}" tabindex="0">{% if seconds %}{{ row.local|date:"H:i:s" }}{% else %}{{ row.local|date:"H:i" }}{% endif %}</time>
        {% if e.key_event %}<span class="badge key-badge" title="Key event">key</span>{% endif %}
        {% if show_original and e.original_time %}<div class="muted small original-time">{{ e.original_time }}</div>{% endif %}</td>
      <td class="actor">{{ e.actor|default:"—" }}{% if e.actor_kind != "person" %} <span class="muted small">({{ e.get_actor_kind_display|lower }})</span>{% endif %}</td>
      <td class="kind"><span class="badge kind-{{ e.kind }}">{{ e.get_kind_display }}</span></td>
      <td class="what">{% if e.pk in long_ids %}
        {% if e.html %}<div class="prose clamped">{{ e.html|safe }}</div>{% else %}<div class="event-text clamped">{{ e.text|linebreaksbr }}</div>{% endif %}<details class="more"><summary><span class="when-closed">Show all</span><span class="when-open">Show less</span><span class="visually-hidden"> of the event at {{ row.local|date:'H:i' }}</span></summary></details>
        {% if @HAS_META@ %}<div class="event-meta small">@META@</div>{% endif %}
      {% else %}
        {% if e.html %}<div class="prose">{{ e.html|safe }}{% if @HAS_META@ %} <span class="event-meta small">@META@</span>{% endif %}</div>{% else %}<div class="event-text">{{ e.text|linebreaksbr }}{% if @HAS_META@ %} <span class="event-meta small">@META@</span>{% endif %}</div>{% endif %}
      {% endif %}</td>
      <td class="small source">{% if e.source_url %}<a href="{{ e.source_url }}" rel="nofollow noopener">{% if e.source_type == "manual" %}source{% else %}{{ e.source_type }}{% endif %}</a>{% elif e.source_ref %}{{ e.source_type }} <span class="muted">{{ e.source_ref|truncatechars:40 }}</span>{% else %}<span class="finding-inline">no source</span>{% endif %}</td>
      {% if can_edit %}<td class="row-actions"><details class="row-menu"><summary title="Actions" aria-label="Actions for the event at {{ row.local|date:'H:i' }}"><span aria-hidden="true">⋯</span></summary>
        <div class="menu">
          <a href="{% url 'event_edit' incident.pk e.pk %}" hx-get="{% url 'event_edit' incident.pk e.pk %}" hx-target="#event-{{ e.pk }}" hx-swap="outerHTML">Edit<span class="visually-hidden"> event at {{ row.local|date:'H:i' }}</span></a>
          <form method="post" action="{% url 'events_bulk' incident.pk %}" hx-post="{% url 'events_bulk' incident.pk %}">{% csrf_token %}<input type="hidden" name="events" value="{{ e.pk }}">
            {% if e.key_event %}<button name="action" value="unkey">Unmark key event</button>{% else %}<button name="action" value="key">Mark as key event</button>{% endif %}
            {% if e.hidden %}<button name="action" value="show">Show again</button>{% else %}<button name="action" value="hide">Hide as noise</button>{% endif %}</form>
          <form method="post" action="{% url 'event_milestone' incident.pk e.pk %}" hx-post="{% url 'event_milestone' incident.pk e.pk %}" class="milestone">{% csrf_token %}<fieldset><legend>Set the incident's milestone from this event</legend>{% for value, label in milestone_form.fields.moment.choices %}<button name="moment" value="{{ value }}">{{ label }}</button>{% endfor %}</fieldset></form>
        </div></details></td>{% endif %}
    </tr>
    {% endwith %}
  {% endfor %}""".replace("@META@", META).replace("@HAS_META@", HAS_META)
TAG_ROWS = (
    "{% load timeline_tags %}{% timeline_table_rows rows incident=incident can_edit=can_edit seconds=seconds "
    "show_original=show_original moment_choices=milestone_form.fields.moment.choices %}"
)


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.fixture
def varied_timeline(make_incident, people):
    incident = make_incident()
    bob = people["bob"]
    event_add(
        incident=incident,
        by=bob,
        occurred_at=T0,
        text="**Deploy** started\nsecond line",
        key_event=True,
        source_url="https://ci.example.com/1",
        original_offset_minutes=120,
        original_time="16:00 CEST",
        tags=["milestone:started", "<x>"],
    )
    event_add(incident=incident, by=bob, occurred_at=T0 + timedelta(minutes=1), text="No source, no zone")
    event_add(  # long, typed by hand (Markdown): collapsed
        incident=incident,
        by=bob,
        occurred_at=T0 + timedelta(minutes=1, seconds=30),
        text="Steps:\n\n" + "\n".join(f"- step {i}" for i in range(8)),
        tags=["milestone:detected_at"],
    )
    common = dict(incident=incident, created_by=bob)
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                **common,
                occurred_at=T0 + timedelta(minutes=2, seconds=7),
                actor="",
                actor_kind="bot",
                kind="deploy",
                text='line one\r\nline <two> & "three"',
                source_type="github",
                source_ref="r" * 30 + "é" * 20,
            ),
            TimelineEvent(
                **common,
                occurred_at=T0 + timedelta(hours=3),
                actor="Priya",
                kind="message",
                text="after a gap",
                source_type="slack",
                source_ref="C1/1.000001",
                source_url="https://acme.slack.com/archives/C1/p1000001",
                attachments=[
                    {"name": "graph.png", "mimetype": "image/png", "url": "https://f.example.com/g.png?a=1&b=2"},
                    {"name": "no-link.txt"},
                    {"url": "https://f.example.com/nameless"},
                ],
                edited=True,
                parent_ref="C1/0.999999",
                key_candidate=True,
            ),
            TimelineEvent(
                **common,
                occurred_at=T0 + timedelta(hours=3, minutes=1),
                actor="Priya",
                kind="message",
                text="Traceback (most recent call last):\n"
                + "\n".join(f'  File "app.py", line {i}' for i in range(30)),
                source_type="slack",
                source_ref="C1/1.000002",
                tags=["<traceback>"],
                parent_ref="C1/1.000001",
            ),
            TimelineEvent(
                **common,
                occurred_at=T0 + timedelta(days=1),
                actor="Alertmanager",
                actor_kind="system",
                kind="alert_firing",
                text="next day",
                source_type="alertmanager",
                source_ref="short-ref",
                hidden=True,
            ),
            TimelineEvent(
                **common,
                occurred_at=T0 + timedelta(days=1, seconds=1),
                actor="x",
                text="merged",
                hidden=True,
                source_type="csv",
                source_ref="app.log:3",
                key_event=True,
            ),
        ]
    )
    merged = TimelineEvent.objects.get(text="merged")
    merged.merged_into = TimelineEvent.objects.get(text="next day")
    merged.save()
    return incident


@pytest.mark.parametrize(
    "can_edit,seconds,show_original", [(True, False, False), (True, True, True), (False, False, True)]
)
def test_the_rows_are_written_as_the_template_wrote_them(varied_timeline, can_edit, seconds, show_original):
    incident = varied_timeline
    request = RequestFactory().get("/")
    from django.middleware.csrf import get_token

    token = get_token(request)
    zone = timezone.get_current_timezone()
    rows = timeline_rows(list(timeline_events(incident=incident, include_hidden=True)), zone)
    context = {
        "rows": rows,
        "incident": incident,
        "can_edit": can_edit,
        "seconds": seconds,
        "show_original": show_original,
        "milestone_form": MilestoneForm(),
        "csrf_token": token,
        "long_ids": {row.event.pk for row in rows if is_long_text(row.event.text)},
    }
    old = Template(TEMPLATE_ROWS).render(Context(context))
    new = Template(TAG_ROWS).render(Context(context))
    assert squeeze(new) == squeeze(old)
    assert 'class="prose"' in new and "<br>" in new and "&lt;two&gt;" in new and ": duplicate" in new
    assert "(thread reply)" in new and 'class="badge pinned"' in new
    assert len(context["long_ids"]) == 2 and 'class="prose clamped"' in new and 'class="event-text clamped"' in new


def test_the_page_shows_times_in_the_timelines_display_zone(make_incident, people, client_for):
    incident = make_incident()
    event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=T0 + timedelta(minutes=5),
        text="Failover",
        source_url="https://chat.example.com/p/1",
        original_offset_minutes=0,
    )
    incident.timeline_time_zone = "Asia/Tokyo"
    incident.save(update_fields=["timeline_time_zone"])
    page = client_for("bob").get(f"/incidents/{incident.pk}/timeline/").content.decode()  # bob reads in UTC
    assert ">23:05<" in page and ">14:05<" not in page  # the rows were shown in the viewer's zone before
    assert "Monday 4 May 2026" in page
    assert 'datetime="2026-05-04T14:05:00+00:00"' in page  # the machine-readable instant, as before


def bound_field_html(form, name, widget):
    form.fields[name].widget = widget
    return str(form[name])


@pytest.mark.parametrize(
    "form_class,name,data",
    [
        (ImportForm, "tz", {"tz": "Asia/Tokyo"}),
        (ImportForm, "tz", {"tz": "Nowhere/Else"}),
        (ImportForm, "tz", None),
        (PreferencesForm, "time_zone", {"time_zone": "Asia/Tokyo"}),
        (PreferencesForm, "time_zone", None),
    ],
)
def test_the_zone_menus_are_the_markup_of_a_django_select(form_class, name, data):
    form = form_class(data) if data is not None else form_class()
    if data is not None:
        form.is_valid()
    choices = list(form.fields[name].choices)
    assert isinstance(form.fields[name].widget, LongSelect) and len(choices) > 300
    ours = str(form[name])
    theirs = bound_field_html(form, name, forms.Select(choices=choices))
    assert ours == theirs


def test_a_long_select_escapes_selects_and_falls_back_for_groups():
    from django.utils.safestring import mark_safe

    choices = [
        ("a&b", "A <b>"),
        ("", "None"),
        (None, "null"),
        ("q\"'", "it's"),
        ("s", mark_safe("<i>safe</i>")),
        ("a&b", "again"),
    ]
    widget = LongSelect(choices=SharedChoices(choices))
    attrs = {"id": "x", "required": True, "disabled": False}
    # Each selection in turn, and again: the options kept from one render must not leak into the next.
    for value in ("a&b", "", None, "q\"'", "s", "missing", ["s", "a&b"], "a&b", "s", "missing"):
        assert widget.render("n<", value, attrs) == forms.Select(choices=choices).render("n<", value, attrs)
    assert LongSelect(choices=choices).render("z", "a&b") == forms.Select(choices=choices).render("z", "a&b")  # a list
    grouped = [("Europe", [("Europe/Paris", "Paris")]), ("UTC", "UTC")]
    assert LongSelect(choices=SharedChoices(grouped)).render("z", "UTC") == forms.Select(choices=grouped).render(
        "z", "UTC"
    )


def test_shared_choices_are_not_copied_per_form():
    import copy

    shared = SharedChoices([("a", "A"), ("b", "B")])
    assert copy.deepcopy(shared) is shared and copy.copy(shared) is shared
    field = forms.ChoiceField(choices=shared)
    assert copy.deepcopy(field).choices is shared and list(field.choices) == [("a", "A"), ("b", "B")]
    assert field.clean("b") == "b"
