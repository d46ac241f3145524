""" "Ignore here": an editor leaves a finding on purpose and says why; it stops counting and is no longer underlined,
for that rule and those words in that section, through edits elsewhere. Readers see who ignored what, why and when;
editors can take it back. Only people who can edit the retrospective can do either."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.writeups.models import FindingIgnore
from retrospector.writeups.services import finding_ignore, section_save

KEY = "contributing-factors"
BODY = "The deploy went out at 14:00.\n\nThe outage was caused by human error.\n"
PASSAGE = "human error"


@pytest.fixture
def retro(make_incident, make_retrospective, people):
    retrospective = make_retrospective(make_incident())
    write(retrospective, KEY, BODY, people["alice"])
    return retrospective


def write(retro, key, body, by):
    section = retro.sections.get(key=key)
    return section_save(section=section, body=body, base_version=section.version, by=by)


def blame(client, retro):
    """The blame findings of the section, from the API: (passage-ish message, ignored, ignore)."""
    data = client.get(f"/api/v1/retrospectives/{retro.pk}/checks").json()
    return data, [f for f in data["findings"] if f["rule"] == "blame" and f["section_key"] == KEY]


def passage_of(client, retro):
    """The passage the page's "Ignore here" form sends for the section's blame finding."""
    page = client.get(f"/retrospectives/{retro.pk}/").content.decode()
    match = re.search(r'name="rule" value="blame"><input type="hidden" name="passage" value="([^"]*)"', page)
    assert match, "no Ignore here form for the blame finding"
    return match.group(1)


def ignore(client, retro, passage, reason="Quoting the customer's report.", *, htmx=False, follow=False, **fields):
    return client.post(
        f"/retrospectives/{retro.pk}/sections/{KEY}/ignore",
        {"rule": "blame", "passage": passage, "reason": reason, **fields},
        headers={"HX-Request": "true"} if htmx else {},
        follow=follow,
    )


def test_an_editor_ignores_a_finding_with_a_reason_and_it_stops_counting(retro, people, client_for):
    bob = client_for("bob")
    data, findings = blame(bob, retro)
    errors_before = data["counts"]["error"]
    passage = passage_of(bob, retro)
    assert PASSAGE in passage

    response = ignore(bob, retro, passage)
    assert response.status_code == 302 and response["Location"].endswith(f"#section-{KEY}")

    stored = FindingIgnore.objects.get()
    assert (stored.section_key, stored.rule, stored.passage) == (KEY, "blame", passage)
    assert (stored.reason, stored.ignored_by, stored.unignored_at) == (
        "Quoting the customer's report.",
        people["bob"],
        None,
    )
    data, findings = blame(client_for("dana"), retro)
    assert data["counts"]["error"] == errors_before - 1 and data["ignored"] == 1
    assert findings[0]["ignored"] is True
    assert findings[0]["ignore"]["by"] == "bob" and findings[0]["ignore"]["reason"] == "Quoting the customer's report."

    page = client_for("dana").get(f"/retrospectives/{retro.pk}/").content.decode()
    section = page[page.index(f'id="section-{KEY}"') : page.index("</section>", page.index(f'id="section-{KEY}"'))]
    assert "<mark" not in section  # no longer underlined
    assert "<strong>Ignored</strong> by Bob" in section
    ignored = page[page.index('id="ignored-findings"') :]
    assert "Why: Quoting the customer&#x27;s report." in ignored and "Ignored by Bob" in ignored
    assert '/ignore"' not in page and '/unignore"' not in page  # dana reads, she does not edit: no forms


def test_a_reason_is_required(retro, client_for):
    bob = client_for("bob")
    response = ignore(bob, retro, passage_of(bob, retro), reason="   ", follow=True)
    assert FindingIgnore.objects.count() == 0
    assert "Say in a few words why" in response.content.decode()
    htmx = ignore(bob, retro, passage_of(bob, retro), reason="", htmx=True)
    assert htmx.status_code == 200 and 'role="alert">Say in a few words why' in htmx.content.decode()


def test_an_ignore_holds_through_edits_elsewhere_and_ends_when_the_words_change(retro, people, client_for):
    bob = client_for("bob")
    ignore(bob, retro, passage_of(bob, retro))
    write(retro, KEY, "A new first paragraph.\n\n" + BODY + "\nAnd a last one.\n", people["alice"])
    assert blame(bob, retro)[1][0]["ignored"] is True
    write(retro, KEY, "The outage was caused by human error and by operator error.\n", people["alice"])
    assert any(not f["ignored"] for f in blame(bob, retro)[1])


def test_an_editor_takes_an_ignore_back_and_the_row_keeps_who_and_when(retro, people, client_for):
    bob, alice = client_for("bob"), client_for("alice")
    ignore(bob, retro, passage_of(bob, retro))
    stored = FindingIgnore.objects.get()
    page = alice.get(f"/retrospectives/{retro.pk}/").content.decode()
    assert f'action="/retrospectives/{retro.pk}/ignored/{stored.pk}/unignore"' in page

    response = alice.post(f"/retrospectives/{retro.pk}/ignored/{stored.pk}/unignore")
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.unignored_by == people["alice"] and stored.unignored_at is not None
    assert blame(bob, retro)[1][0]["ignored"] is False
    page = bob.get(f"/retrospectives/{retro.pk}/").content.decode()
    assert "Taken back (1)" in page and "un-ignored by Alice" in page
    # Ignoring again makes a new record; the old one stays as history.
    ignore(bob, retro, passage_of(bob, retro), reason="Really a quote.")
    assert FindingIgnore.objects.count() == 2


def test_with_htmx_the_section_comes_back_with_the_counts_and_the_list(retro, client_for):
    bob = client_for("bob")
    html = ignore(bob, retro, passage_of(bob, retro), in_page="1", htmx=True).content.decode()
    assert html.startswith(f'<section class="section card" id="section-{KEY}"')
    assert "<strong>Ignored</strong> by Bob" in html
    assert (
        '<section class="card ignored-findings" id="ignored-findings" aria-labelledby="ignored-h" hx-swap-oob="true">'
        in html
    )
    assert '<span id="check-counts" hx-swap-oob="true">' in html and "1 ignored" in html


def test_from_the_editor_the_draft_is_checked_again(retro, client_for):
    bob = client_for("bob")
    draft = "Bob caused it.\n\nThe outage was caused by human error.\n"
    html = ignore(bob, retro, "human error", body=draft, **{"from": "edit"}, htmx=True).content.decode()
    assert html.startswith("<p><mark")  # the draft's preview: Bob's blame still marked
    assert html.count('<mark class="finding-mark') == 1
    assert f'id="findings-{KEY}" aria-live="polite" hx-swap-oob="true"' in html
    assert "<strong>Ignored</strong> by Bob" in html
    # Without JavaScript, back to the editor's page.
    plain = ignore(bob, retro, "human error", **{"from": "edit"})
    assert plain["Location"] == f"/retrospectives/{retro.pk}/sections/{KEY}/edit"


def test_only_editors_ignore_and_a_private_incidents_outsiders_get_404(
    make_incident, make_retrospective, people, client_for
):
    private = make_retrospective(make_incident(visibility="private", title="Private one"))
    write(private, KEY, BODY, people["alice"])
    stored = finding_ignore(
        retrospective=private, section_key=KEY, rule="blame", passage=PASSAGE, reason="Fine.", by=people["alice"]
    )
    url = f"/retrospectives/{private.pk}/sections/{KEY}/ignore"
    unignore = f"/retrospectives/{private.pk}/ignored/{stored.pk}/unignore"
    data = {"rule": "blame", "passage": "caused by", "reason": "Mine."}
    for name, status in (("charlie", 404), ("erin", 404), ("dana", 403)):  # other team, no team; a viewer
        assert client_for(name).post(url, data).status_code == status, name
        assert client_for(name).post(unignore).status_code == status, name
    stored.refresh_from_db()
    assert FindingIgnore.objects.count() == 1 and stored.unignored_at is None
    # The other team's editor on an organization-wide incident reads it, and still may not ignore.
    public = make_retrospective(make_incident(title="Public one"))
    assert client_for("charlie").post(f"/retrospectives/{public.pk}/sections/{KEY}/ignore", data).status_code == 403
    # An ignore is reached through its own retrospective only.
    assert client_for("alice").post(f"/retrospectives/{public.pk}/ignored/{stored.pk}/unignore").status_code == 404


def test_the_page_costs_the_same_queries_with_many_ignores(retro, people, client_for):
    bob = client_for("bob")
    url = f"/retrospectives/{retro.pk}/"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert bob.get(url).status_code == 200
        return len(captured)

    finding_ignore(retrospective=retro, section_key=KEY, rule="blame", passage=PASSAGE, reason="x", by=people["bob"])
    queries()  # the timeline's people are cached from here on
    one = queries()
    for n in range(40):
        finding_ignore(
            retrospective=retro, section_key="summary", rule="blame", passage=f"p{n}", reason="x", by=people["alice"]
        )
    assert queries() == one
