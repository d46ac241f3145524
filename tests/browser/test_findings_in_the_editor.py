"""The checks' findings in a real browser: underlined in the text with the rule on hover and on focus, counts that
follow the draft as it is typed (by keyboard), and "ignore here" with htmx, from the editor and without JavaScript."""

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

KEY = "contributing-factors"
BLAME = "The deploy went out at 14:00.\n\nThe outage was caused by human error.\n"


def _write(retrospective, key, body, by):
    from retrospector.writeups.services import section_save

    section = retrospective.sections.get(key=key)
    return section_save(section=section, body=body, base_version=section.version, by=by)


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident(title="Checkout errors after deploy"))


def tip_shown(mark) -> bool:
    """Whether the mark's tooltip (its ::after box) is displayed, and its text."""
    return mark.evaluate("m => getComputedStyle(m, '::after').display") == "block"


def tip_text(mark) -> str:
    return mark.evaluate("m => getComputedStyle(m, '::after').content")


def count_badge(page, badge_id):
    return page.locator(f"#{badge_id} .finding-count")


def test_a_finding_is_underlined_and_explained_on_hover_and_on_focus(new_context, people, retro, shot):
    _write(retro, KEY, BLAME, people["alice"])
    page = new_context(people["dana"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    mark = page.locator(f"#section-{KEY} .prose mark.finding-mark").first
    expect(mark).to_contain_text("human error")
    expect(mark).to_have_accessible_description(re.compile(r"error\s+blame.*Try:", re.S))
    assert "Error · blame" in tip_text(mark) and not tip_shown(mark)
    # The text stays the text: the tooltip is not in it.
    expect(page.locator(f"#section-{KEY} > .prose")).to_have_text(
        re.compile(r"^The deploy went out.*human error\.\s*$", re.S)
    )

    mark.hover()
    assert tip_shown(mark)
    mark.scroll_into_view_if_needed()
    shot(page, "finding-underlined-hover")
    page.mouse.move(0, 0)
    assert not tip_shown(mark)

    mark.focus()
    assert tip_shown(mark)
    page.locator(f"#section-{KEY}").screenshot(path="/tmp/shots/finding-focused-section.png")
    page.keyboard.press("Escape")  # the tooltip can be dismissed without moving focus
    assert not tip_shown(mark)
    expect(mark).to_be_focused()


def test_the_count_follows_the_draft_as_it_is_typed_without_a_reload(new_context, people, retro, shot):
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    page.evaluate("window.__samePage = true")
    checks = page.locator("#check-counts")
    before = checks.inner_text()
    expect(count_badge(page, f"toc-count-{KEY}")).to_have_text(re.compile(r"^1\b"))  # required, and empty

    # By keyboard: Tab to the section's Edit link, Enter, type.
    target = f"/retrospectives/{retro.pk}/sections/{KEY}/edit"
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == target:
            break
    else:
        pytest.fail("Tab never reached the section's Edit link")
    page.keyboard.press("Enter")
    area = page.locator(f"#body-{KEY}")
    expect(area).to_be_focused()
    page.keyboard.type("Bob caused the outage. Alice should have checked the replica lag.")

    expect(count_badge(page, f"toc-count-{KEY}")).to_have_text(re.compile(r"^2\b"))
    expect(count_badge(page, f"count-{KEY}")).to_have_text(re.compile(r"^2\b"))
    expect(checks).not_to_have_text(before)
    preview = page.locator(f"#preview-{KEY}")
    expect(preview.locator("mark.finding-mark[tabindex='0']")).to_have_count(2)
    expect(area).to_be_focused()  # the updates left the cursor where it was
    shot(page, "editor-counts-live")

    # Keep typing until a finding goes: the counts come down.
    page.keyboard.press("Control+a")
    page.keyboard.type("The replica lag alert paged nobody.")
    expect(count_badge(page, f"toc-count-{KEY}")).to_have_count(0)
    expect(count_badge(page, f"count-{KEY}")).to_have_count(0)
    expect(preview.locator("mark")).to_have_count(0)
    assert page.evaluate("window.__samePage") is True


def test_keyboard_users_reach_a_finding_in_the_preview_and_read_it(new_context, people, retro, shot):
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/sections/{KEY}/edit")
    area = page.locator(f"#body-{KEY}")
    area.fill("We agreed that Bob caused the outage.")
    mark = page.locator(f"#preview-{KEY} mark.finding-mark").first
    expect(mark).to_be_visible()
    area.focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('finding-mark')"):
            break
    else:
        pytest.fail("Tab never reached the underlined finding")
    assert tip_shown(mark)
    expect(mark).to_have_accessible_description(re.compile(r"blame"))
    page.locator(f"#section-{KEY}").screenshot(path="/tmp/shots/editor-finding-focused.png")


def _ignore_in(scope, page, reason):
    scope.locator("details.ignore-here summary").first.click()
    field = scope.get_by_label("Why is this fine here?").first
    field.fill(reason)
    field.press("Enter")


def test_ignore_here_with_htmx_updates_the_section_the_counts_and_the_list(new_context, people, retro, shot):
    _write(retro, KEY, BLAME, people["alice"])
    page = new_context(people["bob"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    page.evaluate("window.__samePage = true")
    section = page.locator(f"#section-{KEY}")
    section.locator(".findings > details > summary").click()
    expect(count_badge(page, f"toc-count-{KEY}")).to_have_text(re.compile(r"^1\b"))
    _ignore_in(section, page, "Quoting the customer's incident report.")

    expect(section.locator("mark.finding-mark")).to_have_count(0)
    expect(section.locator(".ignored-note")).to_contain_text("Ignored by Bob")
    expect(count_badge(page, f"toc-count-{KEY}")).to_have_count(0)
    expect(page.locator("#check-counts")).to_contain_text("1 ignored")
    ignored = page.locator("#ignored-findings")
    expect(ignored).to_contain_text("Why: Quoting the customer's incident report.")
    expect(ignored).to_contain_text("Ignored by Bob")
    assert page.evaluate("window.__samePage") is True
    ignored.scroll_into_view_if_needed()
    shot(page, "ignored-findings-list")

    section.locator(".findings > details > summary").click()
    section.get_by_role("button", name=re.compile("^Un-ignore")).click()
    expect(section.locator("mark.finding-mark")).to_have_count(1)
    expect(count_badge(page, f"toc-count-{KEY}")).to_have_text(re.compile(r"^1\b"))
    expect(ignored).to_contain_text("Taken back (1)")


def test_ignore_here_from_the_editor_keeps_the_draft(new_context, people, retro, shot):
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    page.locator(f"#section-{KEY}").get_by_role("link", name=re.compile(r"^Edit")).click()
    area = page.locator(f"#body-{KEY}")
    # Focused once htmx has settled the editor in, so its listeners hear the typing (on a busy machine a fill could
    # land in the instant between the textarea appearing and htmx processing it, and no check would run).
    expect(area).to_be_focused()
    draft = "Bob caused the outage.\n\nThe vendor's report says: the operator was careless."
    area.fill(draft)
    findings = page.locator(f"#findings-{KEY}")
    expect(findings.locator("li.finding")).to_have_count(2)
    second = findings.locator("li.finding").nth(1)
    _ignore_in(second, page, "The vendor's words, quoted.")

    expect(second.locator(".ignored-note")).to_contain_text("Ignored by Alice")
    expect(page.locator(f"#preview-{KEY} mark.finding-mark")).to_have_count(1)
    expect(area).to_have_value(draft)  # nothing saved, nothing lost
    expect(count_badge(page, f"toc-count-{KEY}")).to_have_text(re.compile(r"^1\b"))
    page.locator(f"#section-{KEY}").screenshot(path="/tmp/shots/editor-ignored.png")


def test_ignore_here_works_without_javascript(new_context, people, retro):
    _write(retro, KEY, BLAME, people["alice"])
    page = new_context(people["bob"], java_script_enabled=False).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    section = page.locator(f"#section-{KEY}")
    section.locator(".findings > details > summary").click()
    _ignore_in(section, page, "A quote.")
    expect(page).to_have_url(re.compile(rf"/retrospectives/{retro.pk}/#section-{KEY}$"))
    expect(page.get_by_role("status")).to_contain_text("Ignored “blame”")
    expect(page.locator("#ignored-findings")).to_contain_text("Why: A quote.")


def test_a_reader_sees_what_was_ignored_and_cannot_change_it(new_context, people, retro):
    from retrospector.writeups.services import finding_ignore

    _write(retro, KEY, BLAME, people["alice"])
    finding_ignore(
        retrospective=retro, section_key=KEY, rule="blame", passage="human error", reason="A quote.", by=people["bob"]
    )
    page = new_context(people["dana"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    ignored = page.locator("#ignored-findings")
    expect(ignored).to_contain_text("Why: A quote.")
    expect(page.get_by_role("button", name=re.compile("Un-ignore"))).to_have_count(0)
    expect(page.locator("details.ignore-here")).to_have_count(0)


@pytest.mark.layout
def test_findings_fit_a_narrow_phone_screen(new_context, people, retro, shot):
    _write(retro, KEY, BLAME + "\n| Time | What |\n|---|---|\n| 14:02 | Bob botched the rollback |\n", people["alice"])
    page = new_context(people["alice"], viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    section = page.locator(f"#section-{KEY}")
    section.locator(".findings > details > summary").click()
    section.locator("details.ignore-here summary").first.click()
    for mark in section.locator(".prose mark.finding-mark[tabindex='0']").all():
        mark.focus()
        assert tip_shown(mark)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 376, f"the page is {width}px wide on a 375px screen with a tooltip shown"
    section.screenshot(path="/tmp/shots/findings-narrow.png")
