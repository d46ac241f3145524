"""The write-up editor in a real browser: unsaved text is not lost (a warning on leaving, a draft kept in the browser
and offered back), a done retrospective is read-only, the print view opens in the browser, and the settings area."""

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


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident(title="Checkout errors after deploy"))


def _section(retro, key):
    from retrospector.writeups.models import Section

    return Section.objects.get(retrospective=retro, key=key)


def _save(retro, key, body, by):
    from retrospector.writeups.services import section_save

    section = _section(retro, key)
    return section_save(section=section, body=body, base_version=section.version, by=by)


def _open_editor(page, key):
    page.locator(f"#section-{key}").get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(page.locator(f"#section-{key}.editing textarea")).to_be_visible()


def _drafts(page) -> dict:
    return page.evaluate(
        "Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('retrospector:draft:'))"
        ".map(k => [k, JSON.parse(localStorage.getItem(k)).text]))"
    )


class Dialogs(list):
    """The dialogs a page opened, (type, message), each answered with `accept`."""

    accept = True


def _wait_until(page, script: str, timeout_ms: int = 5000):
    """Polls `script` (evaluated in the page) until it is true. wait_for_function would evaluate a string, which the
    site's Content Security Policy refuses."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(script):
            return
        page.wait_for_timeout(50)
    pytest.fail(f"never true: {script}")


def _answer_dialogs(page, accept=True):
    seen = Dialogs()
    seen.accept = accept

    def answer(dialog):
        seen.append((dialog.type, dialog.message))
        if seen.accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    return seen


def test_unsaved_text_is_kept_offered_back_and_cleared_by_saving(new_context, people, retro, shot, console):
    page = new_context(people["alice"]).new_page()
    dialogs = _answer_dialogs(page)
    page.goto(f"/retrospectives/{retro.pk}/")
    _open_editor(page, "summary")
    page.keyboard.type("Checkout failed for 29 minutes; nobody saved this yet.")
    key = f"retrospector:draft:{retro.pk}:summary:1"
    _wait_until(page, f"localStorage.getItem('{key}') !== null")

    page.reload()  # leaving with unsaved text asks first (accepted here)

    assert [kind for kind, _ in dialogs] == ["beforeunload"]
    section = page.locator("#section-summary")
    expect(section.locator(".draft-offer")).to_contain_text(re.compile(r"unsaved draft of this section from \d\d:\d\d"))
    shot(page, "after-draft-notice")
    section.get_by_role("button", name="Open it in the editor").click()
    offer = section.locator(".draft-offer")
    expect(offer).to_contain_text(re.compile(r"Restore your unsaved draft from \d\d:\d\d\?"))
    area = page.locator("#body-summary")
    expect(area).to_have_value("")
    shot(page, "after-draft-offer")
    offer.get_by_role("button", name="Restore draft").click()
    expect(area).to_have_value("Checkout failed for 29 minutes; nobody saved this yet.")
    expect(page.locator("#preview-summary")).to_contain_text("Checkout failed for 29 minutes")

    page.get_by_role("button", name="Save").click()

    expect(section.locator("> .prose")).to_contain_text("nobody saved this yet")
    assert _section(retro, "summary").body == "Checkout failed for 29 minutes; nobody saved this yet."
    assert _drafts(page) == {}
    page.reload()
    expect(page.locator("#section-summary > .prose")).to_contain_text("nobody saved this yet")
    expect(page.locator(".draft-offer")).to_have_count(0)
    assert len(dialogs) == 1  # nothing unsaved: leaving asked nothing
    assert console.errors() == []


def test_a_draft_the_same_as_the_saved_text_is_not_offered(new_context, people, retro):
    page = new_context(people["alice"]).new_page()
    _answer_dialogs(page)
    page.goto(f"/retrospectives/{retro.pk}/")
    _open_editor(page, "summary")
    page.keyboard.type("Typed, then typed away.")
    key = f"retrospector:draft:{retro.pk}:summary:1"
    _wait_until(page, f"localStorage.getItem('{key}') !== null")
    page.locator("#body-summary").fill("")
    _wait_until(page, f"localStorage.getItem('{key}') === null")
    page.reload()
    _open_editor(page, "summary")
    expect(page.locator(".draft-offer")).to_have_count(0)


def test_cancelling_with_changes_asks_and_drops_the_draft(new_context, people, retro):
    page = new_context(people["alice"]).new_page()
    dialogs = _answer_dialogs(page, accept=False)
    page.goto(f"/retrospectives/{retro.pk}/")
    _open_editor(page, "summary")
    page.keyboard.type("Half a thought")
    _wait_until(page, "Object.keys(localStorage).some(k => k.startsWith('retrospector:draft:'))")
    cancel = page.locator("#section-summary").get_by_role("link", name="Cancel")

    cancel.click()  # "Discard your changes?" answered no: the editor stays

    assert dialogs[-1] == ("confirm", "Discard your changes to this section?")
    expect(page.locator("#body-summary")).to_have_value("Half a thought")
    dialogs.accept = True
    cancel.click()
    expect(page.locator("#section-summary.editing")).to_have_count(0)
    assert _drafts(page) == {}


def test_a_draft_of_an_older_version_is_restored_as_a_conflict_to_merge(new_context, people, retro, shot):
    page = new_context(people["alice"]).new_page()
    _answer_dialogs(page)
    page.goto(f"/retrospectives/{retro.pk}/")
    _open_editor(page, "summary")
    page.keyboard.type("Alice's unsaved summary.")
    _wait_until(page, f"localStorage.getItem('retrospector:draft:{retro.pk}:summary:1') !== null")
    page.goto("/incidents/")
    _save(retro, "summary", "Bob's saved summary.", people["bob"])  # version 2, meanwhile

    page.goto(f"/retrospectives/{retro.pk}/")
    _open_editor(page, "summary")
    offer = page.locator("#section-summary .draft-offer")
    expect(offer).to_contain_text("It was written on version 1; this section has been saved since (version 2).")
    offer.get_by_role("button", name="Restore draft").click()
    page.get_by_role("button", name="Save").click()

    conflict = page.locator("#section-summary.conflict")
    expect(conflict.get_by_test_id("theirs")).to_have_text("Bob's saved summary.")
    expect(conflict.get_by_test_id("mine")).to_have_text("Alice's unsaved summary.")
    assert _section(retro, "summary").body == "Bob's saved summary."
    shot(page, "after-draft-conflict")


def _approve(retro, by):
    """The final approval (retrospector.meetings.approval) publishes it: done."""
    from retrospector.meetings.approval import approval_for, approve

    approve(retrospective=retro, by=by, token=approval_for(type(retro).objects.get(pk=retro.pk)).token)
    retro.refresh_from_db()


def test_a_done_retrospective_reads_as_published_and_can_be_reopened(new_context, people, retro, shot):
    from retrospector.writeups.services import retrospective_transition

    for section in retro.sections.filter(required=True):
        _save(retro, section.key, f"Written: {section.title}.", people["alice"])
    for state in ("in_review", "meeting"):
        retrospective_transition(retrospective=retro, to_state=state, by=people["alice"])
    _approve(retro, people["oscar"])
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    box = page.locator("#read-only")
    expect(box).to_contain_text("read-only")
    expect(page.locator("#section-summary").get_by_role("link", name=re.compile(r"^Edit"))).to_have_count(0)
    shot(page, "after-done")

    box.get_by_text("Reopen to change it").click()
    box.get_by_label("Why reopen it?").fill("The impact numbers were wrong.")
    shot(page, "after-reopen-form")
    box.get_by_role("button", name="Reopen").click()

    expect(page.get_by_role("status")).to_contain_text("Reopened")
    expect(page.locator("#section-summary").get_by_role("link", name=re.compile(r"^Edit"))).to_be_visible()
    page.get_by_text("State history").click()
    expect(page.locator(".state-history")).to_contain_text("“The impact numbers were wrong.”")


def test_the_print_view_opens_in_the_browser(new_context, people, retro, shot, console):
    _save(retro, "summary", "Checkout failed for **29 minutes**.", people["alice"])
    page = new_context(people["bob"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    page.get_by_role("link", name="Print view").click()

    expect(page).to_have_url(re.compile(rf"/retrospectives/{retro.pk}/print$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(retro.title)
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_visible()
    expect(page.locator("strong", has_text="29 minutes")).to_be_visible()
    shot(page, "after-print-view")
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    assert console.errors() == [] and console.csp_violations() == []


def test_fill_from_key_events_shows_the_events_as_written(new_context, people, retro, shot):
    from retrospector.timeline.services import event_add

    event_add(
        incident=retro.incident,
        by=people["alice"],
        occurred_at=retro.incident.started_at,
        key_event=True,
        text="Deploy touched __init__.py:\n```\nkubectl rollout undo deploy/api\n```\n"
        + "and then a long explanation " * 20,
        source_url="https://chat.example.com/p/1",
    )
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    page.locator("#section-timeline").get_by_role("button", name="Fill from key events").click()
    cell = page.locator("#section-timeline table td").nth(1)
    expect(cell).to_contain_text("Deploy touched __init__.py:")
    expect(cell.locator("code")).to_have_text("kubectl rollout undo deploy/api")
    expect(cell).to_contain_text(re.compile(r" (and|then|a|long|explanation)…\s*$"))  # whole words, then "…"
    page.locator("#section-timeline").scroll_into_view_if_needed()
    shot(page, "after-filled")


def test_the_settings_area_and_the_checks_form(new_context, people, shot):
    page = new_context(people["oscar"]).new_page()
    page.goto("/incidents/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    settings = page.get_by_role("navigation", name="Settings")
    settings.get_by_role("link", name="Write-up checks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write-up checks")
    page.get_by_label("Asking a person why").select_option("off")
    page.get_by_role("textbox", name="People", exact=True).fill("Priyanka\nJo")
    page.get_by_role("button", name="Save rules and word lists").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.get_by_label("Asking a person why")).to_have_value("off")
    page.get_by_text("All settings as YAML").click()
    expect(page.get_by_label("Organization settings (YAML)")).to_have_value(re.compile(r"question-why"))
    shot(page, "after-settings-checks")
    narrow = new_context(people["oscar"], viewport={"width": 375, "height": 812}).new_page()
    narrow.goto("/settings/checks")
    width = narrow.evaluate("document.documentElement.scrollWidth")
    shot(narrow, "after-settings-checks-phone")
    assert width <= 376, f"the checks settings are {width}px wide on a 375px screen"


def test_an_imported_writeup_says_what_matched(new_context, people, retro, shot):
    from retrospector.writeups.services import retrospective_import_markdown

    imported = retrospective_import_markdown(
        incident=retro.incident,
        text="# Cache stampede\n\n## Summary\n\nCheckout failed.\n\n## Background\n\nThe cache.\n\n"
        "## Notes\n\nShared.\n",
        by=people["alice"],
        source="stampede.md",
    )
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{imported.pk}/")
    card = page.locator("#imported")
    expect(card).to_contain_text("Imported from Markdown")
    expect(card).to_contain_text("stampede.md")
    shot(page, "after-imported")


@pytest.mark.layout
def test_a_done_and_an_imported_writeup_fit_a_phone(new_context, people, retro, shot):
    from retrospector.writeups.services import retrospective_import_markdown, retrospective_transition

    for section in retro.sections.filter(required=True):
        _save(retro, section.key, f"Written: {section.title}.", people["alice"])
    for state in ("in_review", "meeting"):
        retrospective_transition(retrospective=retro, to_state=state, by=people["alice"])
    _approve(retro, people["oscar"])
    imported = retrospective_import_markdown(
        incident=retro.incident,
        text="## Summary\n\nCheckout failed.\n\n## A rather long heading that the template does not have\n\nText.\n",
        by=people["alice"],
        source="a-write-up-with-a-long-file-name-from-somewhere-else.md",
    )
    page = new_context(people["alice"], viewport={"width": 375, "height": 812}).new_page()
    for name, url in (
        ("done", f"/retrospectives/{retro.pk}/"),
        ("imported", f"/retrospectives/{imported.pk}/"),
        ("print", f"/retrospectives/{retro.pk}/print"),
    ):
        page.goto(url)
        shot(page, f"after-phone-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 376, f"{url} is {width}px wide on a 375px screen"
