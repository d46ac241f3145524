"""The checks' findings underlined in a section's text (its page and the editor's preview), with the rule, the message
and the suggestion on hover and focus; counts that follow the draft as it is typed (htmx out-of-band swaps)."""

import re

import pytest

from retrospector.writeups.services import section_save


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident())


def write(retro, key, body, by):
    section = retro.sections.get(key=key)
    return section_save(section=section, body=body, base_version=section.version, by=by)


def section_of(page: str, key: str) -> str:
    start = page.index(f'<section class="section card" id="section-{key}"')
    return page[start : page.index("</section>", start)]


BLAME = "The deploy went out at 14:00.\n\nThe outage was caused by human error.\n"


def test_a_finding_is_underlined_in_the_section_with_its_rule_message_and_suggestion(retro, people, client_for):
    write(retro, "contributing-factors", BLAME, people["alice"])
    page = client_for("dana").get(f"/retrospectives/{retro.pk}/").content.decode()
    section = section_of(page, "contributing-factors")
    mark = re.search(
        r'<mark class="finding-mark finding-error" data-tip="([^"]+)" id="([^"]+)" tabindex="0" '
        r'aria-describedby="([^"]+)">([^<]+)</mark>',
        section,
    )
    assert mark and "human error" in mark.group(4)
    tip = mark.group(1)  # shown on hover and focus, under the line
    assert tip.startswith("Error · blame: ") and "\nTry: " in tip
    # Its accessible description is its entry in the list of findings: the rule, the message, the suggestion.
    described = re.search(rf'<div class="finding-text" id="{mark.group(3)}">(.*?)</div>\s*</div>', section, re.S)
    assert described and "<code>blame</code>" in described.group(1) and "Try:" in described.group(1)
    # The list of findings points at it.
    assert f'href="#{mark.group(2)}">Show in the text' in section
    assert "<p>The deploy went out at 14:00.</p>" in section  # the rest of the text as it was


def test_a_finding_that_cannot_be_placed_stays_in_the_list(retro, people, client_for):
    write(retro, "contributing-factors", "<div>The outage was caused by human error.</div>\n", people["alice"])
    section = section_of(client_for("bob").get(f"/retrospectives/{retro.pk}/").content.decode(), "contributing-factors")
    assert "<mark" not in section
    assert "human error" in section and "Not underlined" in section


def test_a_section_without_findings_is_shown_as_stored(retro, people, client_for):
    saved = write(retro, "summary", "For 12 minutes 3% of checkouts failed.", people["alice"])
    page = client_for("bob").get(f"/retrospectives/{retro.pk}/").content.decode()
    assert saved.html in section_of(page, "summary")


def test_the_marked_text_stays_sanitized(retro, people, client_for):
    body = 'The outage was caused by human error <img src=x onerror="alert(1)"><script>alert(2)</script>.'
    write(retro, "contributing-factors", body, people["alice"])
    section = section_of(client_for("bob").get(f"/retrospectives/{retro.pk}/").content.decode(), "contributing-factors")
    assert "<mark" in section and "onerror" not in section and "<script" not in section


def test_the_editor_preview_underlines_the_draft(retro, client_for):
    html = (
        client_for("bob")
        .post(f"/preview?retrospective={retro.pk}&section=contributing-factors", {"body": "Bob caused it.\r\n\r\nOk."})
        .content.decode()
    )
    assert re.search(
        r'<p><mark class="finding-mark finding-error" data-tip="[^"]+" id="mark-contributing-factors-0" ', html
    )
    assert "<p>Ok.</p>" in html


def test_the_editor_opens_with_the_saved_text_underlined(retro, people, client_for):
    write(retro, "contributing-factors", BLAME, people["alice"])
    html = (
        client_for("bob")
        .get(f"/retrospectives/{retro.pk}/sections/contributing-factors/edit", headers={"HX-Request": "true"})
        .content.decode()
    )
    preview = html[html.index('id="preview-contributing-factors"') :]
    assert '<mark class="finding-mark finding-error"' in preview[: preview.index("</div>")]


def test_the_preview_updates_every_count_out_of_band(retro, people, client_for):
    write(retro, "summary", "The outage was caused by human error.", people["alice"])
    client = client_for("bob")
    url = f"/preview?retrospective={retro.pk}&section=contributing-factors"
    html = client.post(url + "&in_page=1", {"body": "Bob caused it. Alice caused it too."}).content.decode()
    assert re.search(
        r'<span id="count-contributing-factors" class="count-slot" hx-swap-oob="true">'
        r'<span class="badge finding-count">2<',
        html,
    )
    assert re.search(
        r'<span id="toc-count-contributing-factors" class="count-slot" hx-swap-oob="true">'
        r'<span class="badge finding-count">2<',
        html,
    )
    overall = re.search(r'<span id="check-counts" hx-swap-oob="true">(\d+) errors?', html)
    assert overall and int(overall.group(1)) >= 3  # the draft's two and the summary's

    # On the editor's own page there is no list of sections (nor of ignored findings) to update.
    alone = client.post(url, {"body": "Bob caused it."}).content.decode()
    assert 'id="count-contributing-factors"' in alone and 'id="check-counts"' in alone
    assert "toc-count-" not in alone and "ignored-findings" not in alone

    cleared = client.post(url + "&in_page=1", {"body": "The deploy added a column."}).content.decode()
    assert '<span id="toc-count-contributing-factors" class="count-slot" hx-swap-oob="true"></span>' in cleared


def test_saving_in_place_updates_the_counts_too(retro, client_for):
    html = (
        client_for("bob")
        .post(
            f"/retrospectives/{retro.pk}/sections/contributing-factors/edit",
            {"body": "Bob caused it.", "base_version": 1, "in_page": "1"},
            headers={"HX-Request": "true"},
        )
        .content.decode()
    )
    assert html.startswith('<section class="section card" id="section-contributing-factors"')
    assert 'id="toc-count-contributing-factors" class="count-slot" hx-swap-oob="true"><span class="badge' in html
    assert '<span id="check-counts" hx-swap-oob="true">' in html


def test_the_page_counts_per_section_in_the_list_of_sections(retro, people, client_for):
    write(retro, "contributing-factors", "Bob caused it. Alice caused it too.", people["alice"])
    page = client_for("dana").get(f"/retrospectives/{retro.pk}/").content.decode()
    toc = page[page.index('<nav aria-label="Sections"') :]
    assert re.search(
        r'id="toc-count-contributing-factors" class="count-slot"><span class="badge finding-count">2<', toc
    )
    assert re.search(r'id="toc-count-[a-z-]+" class="count-slot"></span>', toc)  # none: an empty slot, for updates


def test_the_page_explains_underlines_and_ignore_here(retro, client_for):
    page = client_for("dana").get(f"/retrospectives/{retro.pk}/").content.decode()
    assert "About the underlines and “Ignore here”" in page
    editor = client_for("bob").get(f"/retrospectives/{retro.pk}/sections/summary/edit").content.decode()
    assert "About the underlines and “Ignore here”" in editor
