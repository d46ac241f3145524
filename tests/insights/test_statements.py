"""Sharing a write-up: the internal summary and the customer statement (insights.statements), on the pages, the API,
the downloads and the two published pages, with users of two teams and a private incident.

alice: admin of payments; bob: member of payments; charlie: member of platform (cannot see payments' private
incident); dana: viewer of payments (reads, does not edit); oscar: organization admin."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client

from tests.conftest import START, make_user

SUMMARY = (
    "Checkout failed for card payments. Alice Payments restarted pgbouncer after @bob paged Charlie; "
    "dana watched the error rate fall."
)
FACTORS = "A connection limit that nobody had raised since the traffic doubled."


@pytest.fixture
def shared(people, make_incident, make_retrospective):
    """A private incident of payments (resolved after 2 h 15 min, on the checkout service), its approved postmortem
    naming people by name and by @handle, and a recommendation in progress."""
    from retrospector.accounts.models import User
    from retrospector.actions.models import Recommendation, RecommendationLink
    from retrospector.incidents.models import Service

    User.objects.filter(pk=people["alice"].pk).update(full_name="Alice Payments", first_name="Alice")
    incident = make_incident(
        title="Checkout errors", visibility="private", resolved_at=START + timedelta(hours=2, minutes=15)
    )
    incident.services.add(Service.objects.create(organization=incident.organization, name="checkout"))
    retrospective = make_retrospective(incident)
    retrospective.sections.filter(key="summary").update(body=SUMMARY)
    retrospective.sections.filter(key="contributing-factors").update(body=FACTORS)
    retrospective.state = "approved"
    retrospective.save(update_fields=["state"])
    recommendation = Recommendation.objects.create(
        organization=incident.organization,
        team=people["payments"],
        title="Raise the pool limit with traffic",
        status="in-progress",
    )
    RecommendationLink.objects.create(recommendation=recommendation, retrospective=retrospective)
    return retrospective


def draft(retrospective, kind, by, **extra):
    from retrospector.insights.statements import statement_create

    return statement_create(retrospective=retrospective, kind=kind, by=by, **extra)


def api(client, method, path, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def publish(statement, by, **extra):
    from retrospector.insights.statements import statement_publish

    return statement_publish(statement=statement, by=by, **extra)


# --- Drafts ---------------------------------------------------------------------------------------------------------


def test_the_internal_summary_draft_tells_what_happened_the_impact_the_factors_and_the_changes(shared, people):
    body = draft(shared, "internal", people["alice"]).body
    assert "## What happened" in body and "pgbouncer" in body
    assert "**Duration:** 2 hours 15 minutes" in body
    assert "**Affected services:** checkout" in body
    assert "**Severity:** SEV2" in body
    assert "connection limit" in body
    assert "- Raise the pool limit with traffic (in progress)" in body


def test_the_customer_statement_draft_has_the_impact_in_numbers_the_changes_and_an_apology(shared, people):
    body = draft(shared, "external", people["alice"]).body
    assert "2 hours 15 minutes" in body and "checkout" in body and "SEV2" in body
    assert "from 4 May 2026, 14:00 UTC to 4 May 2026, 16:15 UTC" in body
    assert "Raise the pool limit with traffic" in body
    assert "## We are sorry" in body


def test_the_customer_statement_draft_names_nobody(shared, people):
    body = draft(shared, "external", people["alice"]).body
    for name in ("Alice", "alice", "@bob", "bob", "Charlie", "charlie", "dana", "Payments restarted"):
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", body), name
    assert "An engineer restarted pgbouncer after an engineer paged an engineer" in body
    assert "an engineer watched the error rate fall" in body.lower()


def test_the_author_may_keep_the_names_and_the_choice_is_recorded(shared, people):
    statement = draft(shared, "external", people["alice"], keep_names=True)
    assert "Alice Payments restarted pgbouncer after @bob paged Charlie" in statement.body
    assert statement.keep_names and statement.keep_names_by == people["alice"] and statement.keep_names_at


def test_a_writeup_not_yet_approved_gets_no_statement(shared, people, client_for):
    shared.state = "meeting"
    shared.save(update_fields=["state"])
    response = api(client_for("alice"), "post", f"/retrospectives/{shared.pk}/statements", {"kind": "internal"})
    assert response.status_code == 422
    assert response.json()["field"] == "kind" and "approved or done" in response.json()["detail"]
    page = client_for("alice").post(f"/retrospectives/{shared.pk}/share/", {"kind": "internal"})
    assert page.status_code == 422 and "approved or done" in page.content.decode()


def test_a_second_statement_of_the_same_kind_is_refused(shared, people, client_for):
    draft(shared, "internal", people["alice"])
    response = api(client_for("bob"), "post", f"/retrospectives/{shared.pk}/statements", {"kind": "internal"})
    assert response.status_code == 422 and "already has" in response.json()["detail"]


# --- Permissions: two teams and a private incident ----------------------------------------------------------------


def test_someone_who_cannot_see_the_private_incident_finds_no_statement_anywhere(shared, people, client_for):
    statement = draft(shared, "internal", people["alice"])
    charlie = client_for("charlie")
    for url in (
        f"/retrospectives/{shared.pk}/share/",
        f"/statements/{statement.pk}/",
        f"/statements/{statement.pk}/export.md",
        f"/statements/{statement.pk}/export.html",
        f"/statements/{statement.pk}/published/",
    ):
        assert charlie.get(url).status_code == 404, url
    assert charlie.post(f"/statements/{statement.pk}/publish").status_code == 404
    assert api(charlie, "get", f"/retrospectives/{shared.pk}/statements").status_code == 404
    assert api(charlie, "get", f"/statements/{statement.pk}").status_code == 404
    assert api(charlie, "get", f"/statements/{statement.pk}/export").status_code == 404
    assert api(charlie, "patch", f"/statements/{statement.pk}", {"body": "x", "base_version": 1}).status_code == 404
    assert api(charlie, "post", f"/statements/{statement.pk}/publish", {}).status_code == 404
    assert api(charlie, "post", f"/retrospectives/{shared.pk}/statements", {"kind": "external"}).status_code == 404


def test_a_reader_of_the_incident_reads_the_statements_but_changes_and_publishes_nothing(shared, people, client_for):
    statement = draft(shared, "internal", people["alice"])
    dana = client_for("dana")
    page = dana.get(f"/statements/{statement.pk}/")
    assert page.status_code == 200 and "pgbouncer" in page.content.decode()
    assert 'name="body"' not in page.content.decode()
    assert dana.get(f"/statements/{statement.pk}/export.md").status_code == 200
    assert dana.post(f"/statements/{statement.pk}/", {"body": "x", "base_version": 1}).status_code == 403
    assert dana.post(f"/statements/{statement.pk}/publish").status_code == 403
    assert dana.post(f"/retrospectives/{shared.pk}/share/", {"kind": "external"}).status_code == 403
    assert api(dana, "get", f"/statements/{statement.pk}").status_code == 200
    assert api(dana, "patch", f"/statements/{statement.pk}", {"body": "x", "base_version": 1}).status_code == 403
    assert api(dana, "post", f"/statements/{statement.pk}/publish", {}).status_code == 403
    assert api(dana, "post", f"/statements/{statement.pk}/revoke").status_code == 403
    statement.refresh_from_db()
    assert statement.version == 1 and not statement.is_published


def test_an_owner_from_another_team_edits_but_only_the_incidents_team_publishes(shared, people, client_for):
    from retrospector.writeups.models import Retrospective

    Retrospective.objects.filter(pk=shared.pk).update(owner=people["charlie"])
    shared.incident.invitees.add(people["charlie"])
    statement = draft(shared, "internal", people["alice"])
    charlie = client_for("charlie")
    saved = api(charlie, "patch", f"/statements/{statement.pk}", {"body": "New text", "base_version": 1})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    refused = api(charlie, "post", f"/statements/{statement.pk}/publish", {})
    assert refused.status_code == 403 and "team" in refused.json()["detail"]


# --- Editing: no lost update --------------------------------------------------------------------------------------


def test_a_stale_save_on_the_page_is_refused_with_both_versions(shared, people, client_for):
    statement = draft(shared, "internal", people["alice"])
    assert (
        client_for("bob").post(f"/statements/{statement.pk}/", {"body": "Bob's text", "base_version": 1}).status_code
        == 302
    )
    response = client_for("alice").post(f"/statements/{statement.pk}/", {"body": "Alice's text", "base_version": 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Bob&#x27;s text" in page and "Alice&#x27;s text" in page
    assert 'name="base_version" value="2"' in page
    statement.refresh_from_db()
    assert statement.body == "Bob's text" and statement.version == 2


def test_a_stale_patch_gets_409_with_the_current_version(shared, people, client_for):
    statement = draft(shared, "external", people["alice"])
    assert (
        api(client_for("bob"), "patch", f"/statements/{statement.pk}", {"body": "One", "base_version": 1}).status_code
        == 200
    )
    response = api(client_for("alice"), "patch", f"/statements/{statement.pk}", {"body": "Two", "base_version": 1})
    assert response.status_code == 409
    answer = response.json()
    assert answer["field"] == "base_version"
    assert answer["current"]["version"] == 2 and answer["current"]["body"] == "One"


def test_the_checkers_findings_are_shown_beside_the_editor_and_in_the_api(shared, people, client_for):
    statement = draft(shared, "internal", people["alice"])
    body = "# Summary\n\nThe on-call engineer should have noticed the alert sooner.\n"
    api(client_for("alice"), "patch", f"/statements/{statement.pk}", {"body": body, "base_version": 1})
    found = api(client_for("alice"), "get", f"/statements/{statement.pk}").json()["findings"]
    assert found, "the hindsight rule finds 'should have'"
    page = client_for("alice").get(f"/statements/{statement.pk}/").content.decode()
    assert 'id="statement-findings"' in page
    assert f"<code>{found[0]['rule']}</code>" in page


def test_html_is_sanitized_everywhere_the_statement_is_shown(shared, people, client_for):
    hostile = "Hello <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))\n"
    internal = draft(shared, "internal", people["alice"])
    external = draft(shared, "external", people["alice"])
    alice = client_for("alice")
    for statement in (internal, external):
        api(alice, "patch", f"/statements/{statement.pk}", {"body": hostile, "base_version": 1})
    _, token = publish(external, people["alice"])
    publish(internal, people["alice"])
    pages = [
        alice.get(f"/statements/{internal.pk}/"),
        alice.get(f"/statements/{internal.pk}/export.html"),
        alice.get(f"/statements/{internal.pk}/published/"),
        client_for("charlie").get(f"/statements/{internal.pk}/published/"),
        Client().get(f"/shared/{token}/"),
    ]
    for response in pages:
        text = response.content.decode()
        assert response.status_code == 200
        # The editor's textarea shows the text escaped (&lt;script&gt;); nothing of it runs.
        assert "<script>alert" not in text and "<img src=x onerror" not in text and 'href="javascript:' not in text
        assert not re.search(r"<[^>]*\bonerror=", text)
    assert "<script" not in api(alice, "get", f"/statements/{internal.pk}").json()["html"]


def test_exports_download_markdown_and_html(shared, people, client_for):
    statement = draft(shared, "internal", people["alice"])
    alice = client_for("alice")
    md = alice.get(f"/statements/{statement.pk}/export.md")
    assert md["Content-Type"].startswith("text/markdown") and "attachment" in md["Content-Disposition"]
    assert md.content.decode() == statement.body
    html = alice.get(f"/statements/{statement.pk}/export.html")
    assert "<h1>Internal summary" in html.content.decode() and "default-src 'none'" in html["Content-Security-Policy"]
    assert alice.get(f"/statements/{statement.pk}/export.pdf").status_code == 404
    assert api(alice, "get", f"/statements/{statement.pk}/export?format=html").status_code == 200


# --- Publishing -----------------------------------------------------------------------------------------------------


def test_the_internal_summary_once_published_is_read_by_the_whole_organization_and_nothing_more(
    shared, people, client_for, org
):
    from retrospector.accounts.services import organization_create

    statement = draft(shared, "internal", people["alice"])
    charlie = client_for("charlie")
    assert charlie.get(f"/statements/{statement.pk}/published/").status_code == 404
    response = client_for("alice").post(f"/statements/{statement.pk}/publish")
    assert response.status_code == 302
    page = charlie.get(f"/statements/{statement.pk}/published/")
    assert page.status_code == 200 and "pgbouncer" in page.content.decode()
    assert f"/retrospectives/{shared.pk}/" not in page.content.decode()
    # Only the summary: the write-up and the statement's editor stay hidden.
    assert charlie.get(f"/retrospectives/{shared.pk}/").status_code == 404
    assert charlie.get(f"/statements/{statement.pk}/").status_code == 404
    stranger = Client()
    stranger.force_login(make_user(organization_create(name="Other", slug="other"), "zoe"))
    assert stranger.get(f"/statements/{statement.pk}/published/").status_code == 404
    assert Client().get(f"/statements/{statement.pk}/published/").status_code == 302  # to the log-in page


def test_the_public_link_works_without_login_and_stops_at_once_when_revoked(shared, people, client_for):
    statement = draft(shared, "external", people["alice"])
    answer = api(client_for("alice"), "post", f"/statements/{statement.pk}/publish", {}).json()
    url = answer["public_url"]
    path = url[url.index("/shared/") :]
    token = path.split("/")[2]
    assert len(token) >= 43
    statement.refresh_from_db()
    assert token not in statement.public_token_digest  # only a digest is kept

    public = Client().get(path)
    text = public.content.decode()
    assert public.status_code == 200 and "We are sorry" in text
    assert '<meta name="robots" content="noindex' in text and "noindex" in public["X-Robots-Tag"]
    assert "no-store" in public["Cache-Control"]
    assert "<nav" not in text and "href=" not in text.replace('href="http', "")  # nothing leads into the app
    assert "Checkout failed" in text and "Alice" not in text

    assert Client().get(path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    assert Client().get("/shared/nonsense/").status_code == 404
    assert client_for("alice").post(f"/statements/{statement.pk}/revoke").status_code == 302
    assert Client().get(path).status_code == 404


def test_publishing_again_after_a_revocation_or_with_a_new_link_retires_the_old_token(shared, people):
    statement = draft(shared, "external", people["alice"])
    _, first = publish(statement, people["alice"])
    _, same = publish(statement, people["alice"])
    assert same is None  # publishing changes again keeps the link
    _, second = publish(statement, people["alice"], new_link=True)
    assert Client().get(f"/shared/{first}/").status_code == 404
    assert Client().get(f"/shared/{second}/").status_code == 200
    from retrospector.insights.statements import statement_revoke

    statement_revoke(statement=statement, by=people["alice"])
    _, third = publish(statement, people["alice"])
    assert third not in (first, second)
    assert Client().get(f"/shared/{second}/").status_code == 404
    assert Client().get(f"/shared/{third}/").status_code == 200


def test_published_pages_show_the_text_as_published_until_it_is_published_again(shared, people, client_for):
    statement = draft(shared, "external", people["alice"])
    _, token = publish(statement, people["alice"])
    alice = client_for("alice")
    api(alice, "patch", f"/statements/{statement.pk}", {"body": "A brand new text.", "base_version": 1})
    assert "brand new" not in Client().get(f"/shared/{token}/").content.decode()
    page = alice.get(f"/statements/{statement.pk}/").content.decode()
    assert "Changes not published yet" in page and "Publish the changes" in page
    assert api(alice, "get", f"/statements/{statement.pk}").json()["unpublished_changes"] is True
    alice.post(f"/statements/{statement.pk}/publish")
    assert "brand new" in Client().get(f"/shared/{token}/").content.decode()
    assert "Changes not published yet" not in alice.get(f"/statements/{statement.pk}/").content.decode()


def test_a_customer_statement_naming_people_is_not_published_unless_the_names_are_kept(shared, people, client_for):
    statement = draft(shared, "external", people["alice"])
    alice = client_for("alice")
    api(alice, "patch", f"/statements/{statement.pk}", {"body": "Thanks to @bob and Charlie.", "base_version": 1})
    refused = api(alice, "post", f"/statements/{statement.pk}/publish", {})
    assert refused.status_code == 422 and refused.json()["field"] == "keep_names"
    assert "@bob" in refused.json()["detail"] and "Charlie" in refused.json()["detail"]
    page = alice.get(f"/statements/{statement.pk}/").content.decode()
    assert "Names of people in this customer statement" in page
    kept = api(alice, "patch", f"/statements/{statement.pk}", {"keep_names": True, "base_version": 2}).json()
    assert kept["keep_names"] is True and kept["keep_names_by"] == "alice"
    assert api(alice, "post", f"/statements/{statement.pk}/publish", {}).status_code == 200


# --- Pages ----------------------------------------------------------------------------------------------------------


def test_the_retrospective_page_links_to_sharing_and_the_share_page_explains_publishing(shared, people, client_for):
    alice = client_for("alice")
    assert f"/retrospectives/{shared.pk}/share/" in alice.get(f"/retrospectives/{shared.pk}/").content.decode()
    page = alice.get(f"/retrospectives/{shared.pk}/share/").content.decode()
    assert "only it, to everyone in the organization" in page
    assert "Draft the internal summary" in page and "Draft the customer statement" in page
    response = alice.post(f"/retrospectives/{shared.pk}/share/", {"kind": "external"})
    assert response.status_code == 302
    assert "We are sorry" in alice.get(response["Location"]).content.decode()


def test_the_statements_page_and_api_read_a_fixed_number_of_queries(
    shared, people, client_for, django_assert_num_queries
):
    internal = draft(shared, "internal", people["alice"])
    draft(shared, "external", people["alice"])
    alice = client_for("alice")
    alice.get(f"/statements/{internal.pk}/")  # fills the checker's cache, as any earlier view would
    with django_assert_num_queries(7):
        assert alice.get(f"/retrospectives/{shared.pk}/share/").status_code == 200
    with django_assert_num_queries(6):
        assert alice.get(f"/statements/{internal.pk}/").status_code == 200
    with django_assert_num_queries(7):
        assert len(api(alice, "get", f"/retrospectives/{shared.pk}/statements").json()) == 2
    with django_assert_num_queries(5):
        assert api(alice, "get", f"/statements/{internal.pk}").status_code == 200
