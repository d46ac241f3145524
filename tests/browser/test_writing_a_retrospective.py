"""Writing a retrospective in a real browser: Chromium (Debian's) driven by Playwright against a live server."""

import re

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

TABLE = "| Time | What happened |\n|---|---|\n| 14:00 | Checkout errors begin |\n| 14:05 | Alert fires |"


def _section(retrospective, key):
    from retrospector.writeups.models import Section

    return Section.objects.get(retrospective=retrospective, key=key)


def _write(retrospective, key, body, by):
    from retrospector.writeups.services import section_save

    section = _section(retrospective, key)
    return section_save(section=section, body=body, base_version=section.version, by=by)


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident(title="Checkout errors after deploy"))


def _open_editor(page, key):
    page.locator(f"#section-{key}").get_by_role("link", name=re.compile(r"^Edit")).click()
    # Focused once htmx has settled the editor in (and attached its listeners): typing before that could go unheard.
    expect(page.locator(f"#section-{key}.editing textarea")).to_be_focused()


def test_logging_in_through_the_form_lands_on_the_home_page(new_context, site, people, shot):
    page = new_context().new_page()
    page.goto("/incidents/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/incidents/$"))
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()

    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(site.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Alice")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents")).to_be_visible()
    shot(page, "home")


def test_recording_an_incident_shows_it_with_the_derived_time_to_detect(new_context, people, shot):
    from retrospector.incidents.models import Incident, SeverityLevel

    page = new_context(people["alice"]).new_page()
    page.goto("/incidents/")
    page.get_by_role("link", name="Record an incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an incident")
    page.get_by_label("Title").fill("Card payments declined")
    page.get_by_label("Team").select_option(str(people["payments"].pk))
    page.get_by_label("Severity").select_option(str(SeverityLevel.objects.get(key="SEV2").pk))
    page.get_by_label("Started at").fill("2026-05-04T14:00")
    page.get_by_label("Detected at").fill("2026-05-04T14:07")
    page.get_by_role("button", name="Record incident").click()

    incident = Incident.objects.get(title="Card payments declined")
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Card payments declined")
    moments = page.locator("dl.moments")
    expect(moments.first).to_contain_text("2026-05-04 14:00")
    detect = page.locator("dt", has_text="Time to detect").locator("xpath=following-sibling::dd[1]")
    expect(detect).to_have_text("7 min")
    shot(page, "incident-page")

    page.goto("/incidents/")
    expect(page.get_by_role("link", name="Card payments declined")).to_be_visible()
    shot(page, "incident-list")


def test_starting_a_retrospective_from_the_postmortem_template_lists_summary_first(
    new_context, people, make_incident, shot
):
    incident = make_incident(title="Checkout errors after deploy")
    page = new_context(people["alice"]).new_page()
    page.goto(f"/incidents/{incident.pk}/")
    page.get_by_role("link", name="Start a retrospective").click()
    expect(page.get_by_label("Template")).to_have_value("postmortem")
    page.get_by_role("button", name="Start").click()

    expect(page).to_have_url(re.compile(r"/retrospectives/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text("Retrospective started")
    headings = page.locator(".retro-main section.section h2")
    expect(headings.first).to_have_text(re.compile(r"^Summary"))
    assert headings.count() == incident.retrospectives.get().sections.count() > 5
    expect(page.get_by_role("navigation", name="Sections").get_by_role("link").first).to_have_text("Summary")
    shot(page, "retrospective-page")


def test_editing_a_section_previews_markdown_live_and_saves_in_place(new_context, people, retro, shot):
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    page.evaluate("window.__samePage = true")
    _open_editor(page, "summary")
    area = page.locator("#body-summary")
    expect(area).to_be_focused()

    area.fill(f"**bold** and a table\n\n{TABLE}")
    preview = page.locator("#preview-summary")
    expect(preview.locator("strong")).to_have_text("bold")
    expect(preview.locator("table td").first).to_have_text("14:00")
    shot(page, "section-editor-preview")
    assert _section(retro, "summary").body == ""  # nothing saved by previewing

    page.get_by_role("button", name="Save").click()
    section = page.locator("#section-summary")
    expect(section).not_to_have_class(re.compile("editing"))
    expect(section.locator("> .prose strong")).to_have_text("bold")
    expect(section.locator("> .prose table")).to_contain_text("Alert fires")
    expect(section.get_by_role("link", name=re.compile(r"History \(v2\)"))).to_be_visible()
    assert page.evaluate("window.__samePage") is True  # htmx swapped the section; no page load
    assert _section(retro, "summary").body.startswith("**bold** and a table")


def test_a_stale_save_is_refused_with_both_texts_and_the_merge_can_be_saved(new_context, people, retro, shot):
    alice = new_context(people["alice"]).new_page()
    bob = new_context(people["bob"]).new_page()
    for page in (alice, bob):
        page.goto(f"/retrospectives/{retro.pk}/")
        _open_editor(page, "summary")

    alice.locator("#body-summary").fill("Alice: the deploy removed a column still in use.")
    alice.get_by_role("button", name="Save").click()
    expect(alice.locator("#section-summary > .prose")).to_contain_text("Alice: the deploy removed")

    bob.locator("#body-summary").fill("Bob: the retry storm made it worse.")
    bob.get_by_role("button", name="Save").click()
    conflict = bob.locator("#section-summary.conflict")
    expect(conflict.get_by_role("alert")).to_contain_text("Nothing was overwritten")
    expect(conflict.get_by_test_id("theirs")).to_have_text("Alice: the deploy removed a column still in use.")
    expect(conflict.get_by_test_id("mine")).to_have_text("Bob: the retry storm made it worse.")
    expect(conflict.locator("h3").first).to_contain_text("Alice")
    shot(bob, "conflict-view")
    stored = _section(retro, "summary")
    assert (stored.body, stored.version) == ("Alice: the deploy removed a column still in use.", 2)

    merged = "Alice: the deploy removed a column still in use.\n\nBob: the retry storm made it worse."
    bob.get_by_label(re.compile("Merged text")).fill(merged)
    bob.get_by_role("button", name="Save merged text").click()
    expect(bob.locator("#section-summary > .prose")).to_contain_text("Bob: the retry storm")
    expect(bob.locator("#section-summary > .prose")).to_contain_text("Alice: the deploy removed")
    stored = _section(retro, "summary")
    assert (stored.body, stored.version) == (merged, 3)

    alice.reload()
    expect(alice.locator("#section-summary > .prose")).to_contain_text("Bob: the retry storm")


def test_exporting_markdown_downloads_the_text_with_section_markers(new_context, people, retro):
    _write(retro, "summary", "Checkout failed for **12 minutes**.", people["alice"])
    page = new_context(people["bob"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Markdown", exact=True).click()
    download = info.value
    assert download.suggested_filename.startswith(
        f"retrospective-{retro.pk}-"
    ) and download.suggested_filename.endswith(".md")
    with open(download.path(), encoding="utf-8") as fh:
        text = fh.read()
    assert "<!-- retrospector:section key=summary -->" in text
    assert "Checkout failed for **12 minutes**." in text


def test_keyboard_users_can_tab_to_edit_and_type_into_the_editor(new_context, people, retro):
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    target = f"/retrospectives/{retro.pk}/sections/summary/edit"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == target:
            break
    else:
        pytest.fail("Tab never reached the Summary section's Edit link")
    assert page.evaluate("document.activeElement.textContent.trim()").startswith("Edit")
    page.keyboard.press("Enter")
    area = page.locator("#body-summary")
    expect(area).to_be_focused()
    page.keyboard.type("Typed without a mouse.")
    expect(area).to_have_value("Typed without a mouse.")
    page.keyboard.press("Control+Enter")  # the documented shortcut saves
    expect(page.locator("#section-summary > .prose")).to_have_text("Typed without a mouse.")


def test_without_javascript_the_full_page_editor_saves(new_context, people, retro):
    page = new_context(people["alice"], java_script_enabled=False).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    page.locator("#section-summary").get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(page).to_have_url(re.compile(rf"/retrospectives/{retro.pk}/sections/summary/edit$"))
    expect(page.locator("#section-summary.editing")).to_be_visible()
    page.get_by_label("Markdown").fill("Saved with *no* JavaScript.")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/retrospectives/{retro.pk}/#section-summary$"))
    expect(page.get_by_role("status")).to_contain_text("Saved “Summary”")
    expect(page.locator("#section-summary > .prose em")).to_have_text("no")
    assert _section(retro, "summary").body == "Saved with *no* JavaScript."


@pytest.mark.layout
def test_the_retrospective_page_fits_a_narrow_phone_screen(new_context, people, retro, shot):
    _write(retro, "summary", "A long link: https://example.com/" + "very-long-path-segment-" * 8, people["alice"])
    _write(retro, "timeline", TABLE + "\n\n```\n" + "x" * 200 + "\n```", people["alice"])
    page = new_context(people["alice"], viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    expect(page.locator("#section-summary > .prose")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, "retrospective-narrow")
    assert width <= 376, f"the page is {width}px wide on a 375px screen"
    _open_editor(page, "summary")
    assert page.evaluate("document.documentElement.scrollWidth") <= 376


def test_pages_and_htmx_run_under_the_content_security_policy(new_context, people, retro, console, shot):
    page = new_context(people["alice"]).new_page()
    response = page.goto(f"/retrospectives/{retro.pk}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    _open_editor(page, "summary")  # htmx loaded and swapped: scripts and config work under the policy
    page.locator("#body-summary").fill("*preview*")
    expect(page.locator("#preview-summary em")).to_have_text("preview")
    page.goto("/incidents/")
    page.get_by_label("Search titles").fill("deploy")
    expect(page.locator("#incident-rows")).to_contain_text("Checkout errors after deploy")
    assert console.errors() == [] and console.csp_violations() == []

    page.goto("/api/docs")
    expect(page.locator("#swagger-ui .swagger-ui").first).to_be_attached()
    # Swagger UI renders the whole document in the browser: seconds on a busy 2-core machine running two suites.
    expect(page.get_by_text("Retrospector API").first).to_be_visible(timeout=20_000)
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()  # operations rendered from openapi.json
    shot(page, "api-docs")
    assert console.csp_violations() == [] and console.errors() == []


@pytest.mark.layout
def test_list_pages_fit_a_narrow_phone_screen(new_context, people, retro):
    from retrospector.timeline.services import event_add

    event_add(
        incident=retro.incident,
        by=people["alice"],
        occurred_at=retro.incident.started_at,
        text="A fairly long event text " * 6,
        source_url="https://chat.example.com/" + "p" * 80,
    )
    page = new_context(people["oscar"], viewport={"width": 375, "height": 812}).new_page()
    for url in (
        "/incidents/",
        f"/incidents/{retro.incident.pk}/",
        f"/incidents/{retro.incident.pk}/timeline/",
        "/people/",
        "/writeups/",
        "/templates/",
    ):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 376, f"{url} is {width}px wide on a 375px screen"
