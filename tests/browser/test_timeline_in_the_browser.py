"""Curating a timeline in a real browser: edits happen in place (htmx), by keyboard too, and the page still works
without JavaScript. The demo incident's timeline fits a laptop screen, its rows line up, and on a phone the events come
before the filters."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from browser_support import (  # noqa: F401 - fixtures, used by name
    _builtin_templates_restored,
    _fast_password_hashing,
    browser,
    console,
    new_context,
    shot,
    site,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Each event row's cells against the row: how far (px) a cell's top or bottom is from the row's.
CELL_OFFSETS = """() => [...document.querySelectorAll('table.timeline tr[id^="event-"]')].map(row => {
  const r = row.getBoundingClientRect();
  return [row.id, Math.max(...[...row.cells].map(c => {
    const b = c.getBoundingClientRect();
    return Math.max(Math.abs(b.top - r.top), Math.abs(b.bottom - r.bottom));
  }))];
})"""


@pytest.fixture
def timeline(make_incident, people):
    from retrospector.timeline.services import event_add

    incident = make_incident(title="Checkout errors after deploy")
    events = [
        event_add(
            incident=incident,
            by=people["bob"],
            occurred_at=T0 + timedelta(minutes=minute),
            text=text,
            source_url=f"https://chat.example.com/p/{minute}",
            original_offset_minutes=0,
        )
        for minute, text in ((6, "Paged the database team"), (8, "Rolled back v42"), (9, "Rolled back v42 (again)"))
    ]
    return incident, events


@pytest.fixture
def demo_timeline(make_incident, people):
    """The demo incident's timeline (`retrospector demo`'s first incident: 24 events, one hidden as noise), loaded by
    the demo's own loader into an incident alice edits."""
    import yaml

    from retrospector.demo.loader import DEMO_FILE, _load_timeline

    item = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))["incidents"][0]
    started = datetime.combine(T0.date(), time(9, 12), tzinfo=UTC)
    incident = make_incident(title=item["title"], started_at=started, detected_at=None)
    _load_timeline(incident, item["timeline_events"], by=people["alice"], day=T0.date())
    return incident


def test_an_event_is_edited_in_its_row_and_the_timeline_refreshes_in_place(
    new_context, people, timeline, console, shot
):
    incident, (paged, *_rest) = timeline
    page = new_context(people["alice"]).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    url = page.url
    row = page.locator(f"#event-{paged.pk}")
    row.locator("summary").click()  # the row's menu
    row.get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(page.locator(f"#event-{paged.pk}.editing")).to_be_visible()
    expect(page.locator(f"#id_e{paged.pk}_when")).to_be_focused()  # keyboard users can type at once
    shot(page, "timeline-edit-in-row")
    page.locator(f"#id_e{paged.pk}_text").fill("Paged the storage team")
    page.locator(f"#event-{paged.pk}").get_by_role("button", name="Save").click()
    expect(page.locator("#timeline-region .messages")).to_contain_text("Event saved.")
    expect(page.locator(f"#event-{paged.pk}")).to_contain_text("Paged the storage team")
    expect(page.locator(f"#event-{paged.pk}")).to_be_focused()
    assert page.url == url  # no page load

    # Escape cancels an edit and gives the row back untouched.
    page.locator(f"#event-{paged.pk} summary").click()
    page.locator(f"#event-{paged.pk}").get_by_role("link", name=re.compile(r"^Edit")).click()
    page.locator(f"#id_e{paged.pk}_text").fill("Not kept")
    page.keyboard.press("Escape")
    expect(page.locator(f"#event-{paged.pk}.editing")).to_have_count(0)
    expect(page.locator(f"#event-{paged.pk}")).to_contain_text("Paged the storage team")
    assert console.errors() == []


def test_events_are_added_merged_and_filtered_without_leaving_the_page(new_context, people, timeline, console, shot):
    incident, (_paged, first, duplicate) = timeline
    page = new_context(people["alice"]).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    page.evaluate("window.__same_page = true")

    page.get_by_role("link", name="Add an event").click()  # opens the folded form, ready to type
    expect(page.locator("#id_when")).to_be_focused()
    add = page.locator("#add-event-form")
    add.locator("#id_when").fill("2026-05-04T14:20:00")
    add.get_by_label("Written in zone").fill("UTC")
    add.get_by_label("What happened").fill("Failover to the replica")
    add.get_by_role("button", name="Add event").click()
    expect(page.locator("#timeline-region")).to_contain_text("Failover to the replica")
    expect(page.locator("#timeline-region .messages")).to_contain_text("Event added at 2026-05-04 14:20:00")
    expect(page.locator("#add-event-form").get_by_label("What happened")).to_have_value("")  # a fresh form
    expect(page.locator("#id_when")).to_be_focused()  # ready for the next event

    page.locator(f"#event-{first.pk} input[type=checkbox][name=events]").check()
    page.locator(f"#event-{duplicate.pk} input[type=checkbox][name=events]").check()
    page.get_by_label("With the selected events:").select_option("merge")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#timeline-region .messages")).to_contain_text("Merged 1 duplicate(s)")
    expect(page.locator(f"#event-{duplicate.pk}")).to_have_count(0)

    page.get_by_label("Include hidden noise").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f"#event-{duplicate.pk}")).to_contain_text("hidden: duplicate")
    expect(page).to_have_url(re.compile(r"hidden=1"))  # the filtered view has its own address
    assert page.evaluate("window.__same_page") is True
    shot(page, "timeline-after-merge")
    assert console.errors() == []


def test_without_javascript_the_timeline_still_edits(new_context, people, timeline):
    incident, (paged, *_rest) = timeline
    page = new_context(people["alice"], java_script_enabled=False).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    page.locator(f"#event-{paged.pk} summary").click()  # a <details>: opens without a script
    page.locator(f"#event-{paged.pk}").get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(page).to_have_url(re.compile(rf"/events/{paged.pk}/edit$"))
    page.get_by_label("What happened").fill("Paged the network team")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/timeline/\?after=[^#]+#event-{paged.pk}$"))
    expect(page.locator(f"#event-{paged.pk}")).to_contain_text("Paged the network team")
    expect(page.locator(".messages")).to_contain_text("Event saved.")


@pytest.mark.layout
def test_on_a_phone_each_event_reads_without_scrolling_sideways(new_context, people, timeline, shot):
    incident, (paged, *_rest) = timeline
    page = new_context(people["alice"], viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    row = page.locator(f"#event-{paged.pk}")
    for part in ("td.time", "td.what", "td.row-actions"):
        box = row.locator(part).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, f"{part} runs off a 375px screen: {box}"
    shot(page, "timeline-phone")
    row.locator("summary").click()
    menu = row.locator(".menu").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 375, f"the row's menu runs off a 375px screen: {menu}"
    row.get_by_role("link", name=re.compile(r"^Edit")).click()  # the edit form opens in place at full width too
    expect(page.locator(f"#id_e{paged.pk}_text")).to_be_visible()
    box = page.locator(f"#id_e{paged.pk}_text").bounding_box()
    assert box["x"] + box["width"] <= 375


@pytest.mark.layout
def test_the_demo_timeline_fits_a_laptop_screen_and_its_rows_line_up(new_context, people, demo_timeline, console, shot):
    page = new_context(people["alice"], viewport=LAPTOP).new_page()
    page.goto(f"/incidents/{demo_timeline.pk}/timeline/")
    expect(page.locator("table.timeline tr[id^=event-]")).to_have_count(23)
    shot(page, "timeline-demo-laptop")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2000, f"the demo timeline is {height}px tall on a 1366x768 screen"
    # Every cell (the actions too) starts and ends with its row, so borders and the key events' highlight line up.
    misaligned = [(row, offset) for row, offset in page.evaluate(CELL_OFFSETS) if offset > 0.5]
    assert misaligned == []
    key_row = page.locator("table.timeline tr.key").first
    assert key_row.locator("td.row-actions").evaluate("c => getComputedStyle(c).backgroundColor") in (
        "rgba(0, 0, 0, 0)",  # transparent: the row's highlight shows through
        key_row.evaluate("r => getComputedStyle(r).backgroundColor"),
    )
    # On a wide screen the filters are shown, no button in the way.
    expect(page.get_by_label("Text or actor contains")).to_be_visible()
    expect(page.locator("details.filter-box > summary")).to_be_hidden()
    assert console.errors() == []


@pytest.mark.layout
def test_without_javascript_the_filters_show_on_a_wide_screen(new_context, people, demo_timeline):
    page = new_context(people["alice"], viewport=LAPTOP, java_script_enabled=False).new_page()
    page.goto(f"/incidents/{demo_timeline.pk}/timeline/")
    expect(page.get_by_label("Text or actor contains")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollHeight") < 2000


@pytest.mark.layout
@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_phone_the_events_come_first_and_the_filters_wait_behind_a_button(
    new_context, people, demo_timeline, shot, javascript
):
    page = new_context(people["alice"], viewport=PHONE, java_script_enabled=javascript).new_page()
    page.goto(f"/incidents/{demo_timeline.pk}/timeline/")
    search = page.get_by_label("Text or actor contains")
    expect(search).to_be_hidden()
    first = page.locator("table.timeline tr[id^=event-]").first.locator("td.what").bounding_box()
    assert first["y"] + first["height"] <= PHONE["height"], f"the first event is not on the first screen: {first}"
    shot(page, f"timeline-demo-phone{'' if javascript else '-no-js'}")
    filters = page.locator("details.filter-box > summary")
    filters.focus()
    page.keyboard.press("Enter")  # a button, by keyboard too
    expect(search).to_be_visible()
    shot(page, f"timeline-demo-phone-filters{'' if javascript else '-no-js'}")
    search.fill("promot")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.timeline tr[id^=event-]")).to_have_count(5)
    page.reload()  # filters in use: open on arrival, to see what narrows the list
    expect(page.get_by_label("Text or actor contains")).to_have_value("promot")
    expect(page.get_by_label("Text or actor contains")).to_be_visible()


def test_a_long_text_folds_and_the_rows_menu_works_by_keyboard(new_context, people, make_incident, console, shot):
    from retrospector.importers.base import ParsedEvent
    from retrospector.timeline.models import TimelineEvent
    from retrospector.timeline.services import timeline_import

    incident = make_incident()
    trace = "\n".join(f'  File "/srv/app/worker.py", line {i}, in step_{i}' for i in range(40))
    timeline_import(
        incident=incident,
        by=people["alice"],
        source_type="slack",
        file_name="export.zip",
        events=[
            ParsedEvent(
                occurred_at=T0 + timedelta(minutes=i),
                original_time="",
                original_offset_minutes=0,
                actor="Priya",
                actor_kind="person",
                text=f"Seen again on worker {i}:\nTraceback (most recent call last):\n{trace}",
                kind="message",
                source_type="slack",
                source_ref=f"C1/{i}",
                source_url=f"https://chat.example.com/p/{i}",
            )
            for i in range(3)
        ],
    )
    event = TimelineEvent.objects.filter(incident=incident).order_by("occurred_at").first()
    page = new_context(people["alice"], viewport=LAPTOP).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    row = page.locator(f"#event-{event.pk}")
    text = row.locator(".event-text")
    folded = text.bounding_box()["height"]
    assert folded < 100, f"a 42-line text shows {folded}px"
    more = row.locator("details.more > summary")
    expect(more).to_have_text(re.compile(r"^Show all"), use_inner_text=True)
    more.focus()
    page.keyboard.press("Enter")
    assert text.bounding_box()["height"] > 10 * folded
    expect(more).to_have_text(re.compile(r"^Show less"), use_inner_text=True)
    page.keyboard.press("Space")
    assert text.bounding_box()["height"] == folded

    # The row's menu: one button, opened by keyboard; Escape closes it and gives focus back, visibly.
    menu = row.locator("details.row-menu > summary")
    menu.focus()
    page.keyboard.press("Enter")
    detected = row.get_by_role("button", name="Detected")
    expect(detected).to_be_visible()
    shot(page, "timeline-row-menu")
    page.keyboard.press("Escape")
    expect(detected).to_be_hidden()
    expect(menu).to_be_focused()
    assert menu.evaluate("s => getComputedStyle(s).outlineStyle") != "none"  # focus is seen
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # into the menu: Edit, then its buttons
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="Mark as key event")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#timeline-region .messages")).to_contain_text("Marked as key events: 1 event.")
    expect(page.locator(f"#event-{event.pk}")).to_have_class(re.compile(r"\bkey\b"))
    expect(page.locator(f"#event-{event.pk}")).to_be_focused()  # back at the row that changed
    page.locator(f"#event-{event.pk} details.row-menu > summary").click()
    page.locator(f"#event-{event.pk}").get_by_role("button", name="Detected").click()
    expect(page.locator("#timeline-region .messages")).to_contain_text("Detected set from this event.")
    incident.refresh_from_db()
    assert incident.detected_at == event.occurred_at
    assert console.errors() == []


def test_without_javascript_a_rows_menu_still_acts(new_context, people, timeline):
    incident, (paged, *_rest) = timeline
    page = new_context(people["alice"], java_script_enabled=False).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    row = page.locator(f"#event-{paged.pk}")
    row.locator("details.row-menu > summary").click()
    row.get_by_role("button", name="Mark as key event").click()
    expect(page).to_have_url(re.compile(rf"#event-{paged.pk}$"))
    expect(page.locator(".messages")).to_contain_text("Marked as key events: 1 event.")
    expect(page.locator(f"#event-{paged.pk}")).to_have_class(re.compile(r"\bkey\b"))
    page.locator(f"#event-{paged.pk} details.row-menu > summary").click()
    page.locator(f"#event-{paged.pk}").get_by_role("button", name="Mitigated").click()
    expect(page.locator(".messages")).to_contain_text("Mitigated set from this event.")
    incident.refresh_from_db()
    assert incident.mitigated_at == paged.occurred_at
    page.get_by_role("link", name="Add an event").click()  # a link into the folded form opens it (the browser does)
    expect(page.get_by_label("What happened")).to_be_visible()
