"""Findings: kinds by section, links checked, no lost update, read-only once approved, who may write, their pages,
their part of the retrospective's page and of its exports, and the recommendations traced to none of them."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.actions.findings import (
    FINDING_MAX_CHARS,
    finding_delete,
    finding_move,
    finding_update,
    findings_by_section,
    untraced_recommendations,
)
from retrospector.actions.models import Finding, Recommendation, RecommendationLink, Trace
from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.writeups.export import export_html, export_json, export_markdown
from tests.actions import findings_support
from tests.actions.findings_support import add, recommend, written_review
from tests.reviews.accounts_support import add_events, set_state

review = findings_support.review  # fixtures
cast = findings_support.cast
private = findings_support.private


def texts(retrospective, section_key="contributing-factors"):
    return list(
        Finding.objects.filter(retrospective=retrospective, section_key=section_key)
        .order_by("position")
        .values_list("text", flat=True)
    )


# --- Kinds by section -------------------------------------------------------------------------------------------------


def test_a_postmortem_files_a_contributing_factor_under_contributing_factors(review, people):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    assert (finding.section_key, finding.kind, finding.position, finding.version) == (
        "contributing-factors",
        "contributing-factor",
        1,
        1,
    )
    groups = findings_by_section(retrospective)
    assert [(g.section.key, g.kind, [f.pk for f in g.findings]) for g in groups] == [
        ("contributing-factors", "contributing-factor", [finding.pk])
    ]


@pytest.mark.parametrize(
    "section, kind",
    [
        ("safety-controls", "safety-control"),
        ("control-failures", "control-failure"),
        ("systemic-problems", "systemic-problem"),
        ("missing-controls", "missing-control"),
    ],
)
def test_a_systems_analysis_files_each_kind_in_its_own_section(cast, people, section, kind):
    retrospective, _, _ = cast
    by_kind = add(retrospective, people, kind=kind)
    by_section = add(retrospective, people, section_key=section)
    assert (by_kind.section_key, by_kind.kind) == (section, kind)
    assert (by_section.section_key, by_section.kind, by_section.position) == (section, kind, 2)


def test_the_systems_analysis_shows_its_four_sections_of_findings_in_the_write_ups_order(cast):
    retrospective, _, _ = cast
    assert [(g.section.key, g.kind) for g in findings_by_section(retrospective)] == [
        ("safety-controls", "safety-control"),
        ("control-failures", "control-failure"),
        ("systemic-problems", "systemic-problem"),
        ("missing-controls", "missing-control"),
    ]


@pytest.mark.parametrize(
    "template, expected",
    [("incident-review", "causes"), ("learning-review", "learnings")],
)
def test_the_other_templates_hold_contributing_factors_in_their_section_for_them(
    people, make_incident, make_retrospective, template, expected
):
    retrospective = make_retrospective(make_incident(), template=template)
    finding = add(retrospective, people, kind="contributing-factor")
    assert (finding.section_key, finding.kind) == (expected, "contributing-factor")


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"section_key": "summary"}, "section"),  # a section that holds no findings
        ({"section_key": "no-such-section"}, "section"),
        ({"kind": "safety-control"}, "section"),  # a postmortem has no section for it
        ({"section_key": "contributing-factors", "kind": "missing-control"}, "kind"),
        ({"kind": "root-cause"}, "kind"),
    ],
)
def test_a_finding_outside_a_section_for_its_kind_is_refused_naming_the_field(review, people, extra, field):
    retrospective, _, _ = review
    with pytest.raises(ValidationError) as refused:
        add(retrospective, people, **extra)
    assert field in refused.value.message_dict
    assert not Finding.objects.exists()


def test_a_systems_analysis_needs_the_section_or_the_kind(cast, people):
    retrospective, _, _ = cast
    with pytest.raises(ValidationError) as refused:
        add(retrospective, people)
    assert "several sections" in refused.value.message_dict["section"][0]


def test_an_empty_or_too_long_finding_is_refused_naming_the_text(review, people):
    retrospective, _, _ = review
    for text in ("", "  \n ", "x" * (FINDING_MAX_CHARS + 1)):
        with pytest.raises(ValidationError) as refused:
            add(retrospective, people, text=text)
        assert "text" in refused.value.message_dict
    assert add(retrospective, people, text="x" * FINDING_MAX_CHARS).text == "x" * FINDING_MAX_CHARS


# --- Links ------------------------------------------------------------------------------------------------------------


def test_a_finding_rests_on_events_and_accounts_of_its_own_retrospective(review, people):
    retrospective, events, account = review
    finding = add(retrospective, people, event_ids=[events[2].pk, events[0].pk], account_ids=[account.pk])
    assert set(finding.events.all()) == {events[0], events[2]}
    assert list(finding.accounts.all()) == [account]


def test_events_of_another_incident_and_accounts_of_another_retrospective_are_refused(
    review, people, make_incident, make_retrospective
):
    retrospective, events, _ = review
    other, other_events, other_account = written_review(people, make_incident, make_retrospective)
    with pytest.raises(ValidationError) as refused:
        add(retrospective, people, event_ids=[events[0].pk, other_events[0].pk])
    assert refused.value.message_dict["events"] == [f"Not events of this incident's timeline: {other_events[0].pk}."]
    with pytest.raises(ValidationError) as refused:
        add(retrospective, people, account_ids=[other_account.pk])
    assert refused.value.message_dict["accounts"] == [
        f"Not responders' accounts of this retrospective: {other_account.pk}."
    ]
    assert not Finding.objects.exists()
    finding = add(retrospective, people)
    with pytest.raises(ValidationError) as refused:
        finding_update(finding=finding, by=people["alice"], base_version=1, event_ids=[other_events[1].pk])
    assert "events" in refused.value.message_dict
    assert finding.events.count() == 0


# --- No lost update ---------------------------------------------------------------------------------------------------


def test_an_edit_changes_the_text_and_links_once_and_keeps_the_version_when_nothing_changes(review, people):
    retrospective, events, account = review
    finding = add(retrospective, people)
    saved = finding_update(
        finding=finding, by=people["bob"], base_version=1, text="Retries had no jitter.", event_ids=[events[1].pk]
    )
    assert (saved.version, saved.text, saved.updated_by) == (2, "Retries had no jitter.", people["bob"])
    assert list(saved.events.all()) == [events[1]]
    same = finding_update(finding=saved, by=people["alice"], base_version=2, text="Retries had no jitter.")
    assert same.version == 2
    linked = finding_update(finding=saved, by=people["alice"], base_version=2, account_ids=[account.pk])
    assert linked.version == 3 and list(linked.accounts.all()) == [account]


def test_it_refuses_a_stale_finding_edit_with_both_versions(review, people):
    retrospective, _, _ = review
    finding = add(retrospective, people, text="Mine first.")
    finding_update(finding=finding, by=people["bob"], base_version=1, text="Theirs, saved meanwhile.")
    with pytest.raises(ConflictError) as refused:
        finding_update(finding=finding, by=people["alice"], base_version=1, text="Mine, on version 1.")
    assert refused.value.current.text == "Theirs, saved meanwhile."
    assert refused.value.current.version == 2
    assert "saved by Bob" in str(refused.value)
    finding.refresh_from_db()
    assert finding.text == "Theirs, saved meanwhile."


def test_the_edit_page_shows_their_text_and_yours_after_a_stale_save(review, people, client_for):
    retrospective, _, _ = review
    finding = add(retrospective, people, text="First words.")
    finding_update(finding=finding, by=people["bob"], base_version=1, text="Bob's **words**.")
    url = f"/retrospectives/{retrospective.pk}/findings/{finding.pk}/edit/"
    alice = client_for("alice")
    response = alice.post(url, {"section": "contributing-factors", "text": "Alice's words.", "base_version": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Bob&#x27;s <strong>words</strong>." in page or "Bob's <strong>words</strong>." in page
    assert 'data-testid="mine">Alice&#x27;s words.</pre>' in page
    assert 'name="base_version" value="2"' in page  # saving again is a knowing replacement
    response = alice.post(url, {"section": "contributing-factors", "text": "Alice's words.", "base_version": "2"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.text, finding.version) == ("Alice's words.", 3)


# --- Order ------------------------------------------------------------------------------------------------------------


def test_findings_are_reordered_without_a_new_version_and_renumbered_after_a_delete(review, people):
    retrospective, _, _ = review
    first, second, third = (add(retrospective, people, text=t) for t in ("One", "Two", "Three"))
    finding_move(finding=third, by=people["alice"], to_position=1)
    assert texts(retrospective) == ["Three", "One", "Two"]
    finding_move(finding=third, by=people["alice"], to_position=99)
    assert texts(retrospective) == ["One", "Two", "Three"]
    assert set(Finding.objects.values_list("version", flat=True)) == {1}
    finding_delete(finding=first, by=people["alice"])
    assert list(Finding.objects.order_by("position").values_list("text", "position")) == [("Two", 1), ("Three", 2)]


def test_moving_a_finding_to_another_section_changes_its_kind(cast, people):
    retrospective, _, _ = cast
    a = add(retrospective, people, section_key="systemic-problems", text="A")
    add(retrospective, people, section_key="systemic-problems", text="B")
    add(retrospective, people, section_key="missing-controls", text="C")
    moved = finding_update(finding=a, by=people["alice"], base_version=1, section_key="missing-controls")
    assert (moved.section_key, moved.kind, moved.position) == ("missing-controls", "missing-control", 2)
    assert moved.version == 2
    assert texts(retrospective, "systemic-problems") == ["B"]
    assert Finding.objects.get(text="B").position == 1
    with pytest.raises(ValidationError) as refused:
        finding_update(finding=a, by=people["alice"], base_version=2, section_key="summary")
    assert "section" in refused.value.message_dict


# --- Read-only, who may write -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["approved", "done"])
def test_findings_are_read_only_after_approval(review, people, state):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    set_state(retrospective, state)
    with pytest.raises(ReadOnlyError):
        add(retrospective, people)
    with pytest.raises(ReadOnlyError) as refused:
        finding_update(finding=finding, by=people["alice"], base_version=1, text="Changed")
    assert refused.value.current.text == finding.text  # nothing is lost: the finding as it is
    with pytest.raises(ReadOnlyError):
        finding_move(finding=finding, by=people["alice"], to_position=1)
    with pytest.raises(ReadOnlyError):
        finding_delete(finding=finding, by=people["alice"])
    assert Finding.objects.count() == 1
    set_state(retrospective, "in_review")  # reopened
    assert finding_update(finding=finding, by=people["alice"], base_version=1, text="Changed").version == 2


@pytest.mark.parametrize("name", ["dana", "charlie", "erin"])
def test_only_people_who_may_edit_the_retrospective_write_findings(review, people, name):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    with pytest.raises(PermissionDenied):
        add(retrospective, people, by=name)
    with pytest.raises(PermissionDenied):
        finding_update(finding=finding, by=people[name], base_version=1, text="x")
    with pytest.raises(PermissionDenied):
        finding_delete(finding=finding, by=people[name])
    assert add(retrospective, people, by="bob").created_by == people["bob"]


# --- Pages ------------------------------------------------------------------------------------------------------------


def test_the_findings_page_adds_edits_moves_and_deletes_without_scripts(review, people, client_for):
    retrospective, events, account = review
    alice = client_for("alice")
    url = f"/retrospectives/{retrospective.pk}/findings/"
    page = alice.get(url)
    assert page.status_code == 200
    assert "No findings in this section yet." in page.content.decode()
    response = alice.post(
        url,
        {
            "section": "contributing-factors",
            "text": "The pool limit was **20**.",
            "events": [str(events[0].pk)],
            "accounts": [str(account.pk)],
        },
    )
    assert response.status_code == 302
    first = Finding.objects.get()
    assert response["Location"] == f"{url}#finding-{first.pk}"
    alice.post(url, {"section": "contributing-factors", "text": "Retries had no jitter."})
    second = Finding.objects.get(text="Retries had no jitter.")
    page = alice.get(url).content.decode()
    assert "The pool limit was <strong>20</strong>." in page
    assert "Alert fired" in page and "Account by Bob" in page
    response = alice.post(f"{url}{second.pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    assert texts(retrospective) == ["Retries had no jitter.", "The pool limit was **20**."]
    response = alice.post(
        f"{url}{first.pk}/edit/", {"section": "contributing-factors", "text": "Pool of 20.", "base_version": "1"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.text, first.version, first.events.count()) == ("Pool of 20.", 2, 0)  # unchecked: unlinked
    assert alice.post(f"{url}{second.pk}/delete/").status_code == 302
    assert texts(retrospective) == ["Pool of 20."]


def test_the_findings_page_keeps_what_was_typed_and_names_the_refused_field(
    review, people, client_for, make_incident, make_retrospective
):
    retrospective, _, _ = review
    _, other_events, _ = written_review(people, make_incident, make_retrospective)
    alice = client_for("alice")
    url = f"/retrospectives/{retrospective.pk}/findings/"
    response = alice.post(
        url, {"section": "contributing-factors", "text": "Typed text", "events": [str(other_events[0].pk)]}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Not events of this incident&#x27;s timeline" in page and "Typed text</textarea>" in page
    response = alice.post(url, {"section": "summary", "text": "Typed text"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Finding.objects.exists()


def test_readers_see_the_findings_but_neither_forms_nor_writes(review, people, client_for):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    dana = client_for("dana")
    url = f"/retrospectives/{retrospective.pk}/findings/"
    page = dana.get(url).content.decode()
    assert finding.text in page and "Add a finding" not in page and "Move up" not in page
    assert dana.post(url, {"section": "contributing-factors", "text": "x"}).status_code == 403
    assert dana.get(f"{url}{finding.pk}/edit/").status_code == 403
    assert dana.post(f"{url}{finding.pk}/delete/").status_code == 403
    assert Finding.objects.count() == 1


def test_the_findings_page_of_a_done_retrospective_says_it_is_read_only(review, people, client_for):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    set_state(retrospective, "done")
    alice = client_for("alice")
    url = f"/retrospectives/{retrospective.pk}/findings/"
    page = alice.get(url).content.decode()
    assert "its findings are read-only" in page and "Add a finding" not in page
    response = alice.post(url, {"section": "contributing-factors", "text": "Late"})
    assert response.status_code == 409
    response = alice.post(
        f"{url}{finding.pk}/edit/", {"section": "contributing-factors", "text": "Late", "base_version": "1"}
    )
    assert response.status_code == 409
    assert Finding.objects.get().text == finding.text


def test_a_private_incidents_findings_never_reach_an_outsider(private, people, client_for):
    retrospective, _, _ = private
    finding = add(retrospective, people, text="Secret pool detail")
    recommend(retrospective, people, title="Secret untraced change")
    base = f"/retrospectives/{retrospective.pk}/findings/"
    for name in ("charlie", "erin"):
        outsider = client_for(name)
        assert outsider.get(base).status_code == 404
        assert outsider.post(base, {"section": "contributing-factors", "text": "x"}).status_code == 404
        assert outsider.get(f"{base}{finding.pk}/edit/").status_code == 404
        assert outsider.post(f"{base}{finding.pk}/move/", {"direction": "up"}).status_code == 404
        assert outsider.post(f"{base}{finding.pk}/delete/").status_code == 404
        assert outsider.get(f"/retrospectives/{retrospective.pk}/").status_code == 404
    assert Finding.objects.count() == 1
    page = client_for("dana").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert "Secret pool detail" in page and "Secret untraced change" in page


def test_the_retrospective_page_shows_each_finding_in_its_section_with_its_links(review, people, client_for):
    retrospective, events, account = review
    add(retrospective, people, text="Pool of *20*", event_ids=[events[0].pk], account_ids=[account.pk])
    page = client_for("dana").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    part = page[page.index('id="analysis-findings-contributing-factors"') :]
    assert part.index("Pool of <em>20</em>") < part.index("</section>")
    assert "Alert fired" in part[: part.index("</section>")]
    assert f"#account-{account.pk}" in part[: part.index("</section>")]
    assert "Add or change the findings" not in part  # dana reads


def test_finding_text_is_sanitized_everywhere(review, people, client_for):
    retrospective, _, _ = review
    add(retrospective, people, text='<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3))')
    for url in (f"/retrospectives/{retrospective.pk}/", f"/retrospectives/{retrospective.pk}/findings/"):
        page = client_for("alice").get(url).content.decode()
        assert "alert(1)</script>" not in page and "onerror=" not in page and 'href="javascript' not in page
    html = export_html(retrospective)
    assert "<script>alert" not in html and "onerror=" not in html and 'href="javascript' not in html


# --- Untraced recommendations -----------------------------------------------------------------------------------------


def test_untraced_recommendations_are_exactly_those_tracing_to_no_finding_of_this_retrospective(
    review, people, make_incident, make_retrospective
):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    traced = recommend(retrospective, people, "Traced here", findings=[finding])
    untraced = recommend(retrospective, people, "Traced nowhere")
    other, _, _ = written_review(people, make_incident, make_retrospective)
    elsewhere_finding = add(other, people, text="Elsewhere")
    elsewhere = recommend(other, people, "Traced to the other retrospective only", findings=[elsewhere_finding])
    RecommendationLink.objects.create(recommendation=elsewhere, retrospective=retrospective)  # called for here too
    recommend(other, people, "Not called for here")
    merged = recommend(retrospective, people, "Merged away")
    Recommendation.objects.filter(pk=merged.pk).update(merged_into=untraced)

    assert list(untraced_recommendations(retrospective)) == [untraced, elsewhere]
    assert list(untraced_recommendations(other)) == [Recommendation.objects.get(title="Not called for here")]
    Trace.objects.create(recommendation=elsewhere, finding=add(retrospective, people, text="Now here too"))
    assert list(untraced_recommendations(retrospective)) == [untraced]
    finding_delete(finding=finding, by=people["alice"])  # its traces go with it
    assert list(untraced_recommendations(retrospective)) == [traced, untraced]


def test_the_retrospective_page_warns_of_untraced_recommendations(review, people, client_for):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    recommend(retrospective, people, "Raise the pool limit", findings=[finding])
    recommend(retrospective, people, "Add jitter to retries")
    page = client_for("alice").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    warning = page[page.index('id="untraced-recommendations"') :]
    warning = warning[: warning.index("</section>")]
    assert "Add jitter to retries" in warning and "not traced to a finding of this retrospective" in warning
    assert "Raise the pool limit" not in warning
    findings_page = client_for("alice").get(f"/retrospectives/{retrospective.pk}/findings/").content.decode()
    assert "Add jitter to retries" in findings_page


def test_a_retrospective_with_every_recommendation_traced_shows_no_warning(review, people, client_for):
    retrospective, _, _ = review
    recommend(retrospective, people, "Raise the pool limit", findings=[add(retrospective, people)])
    page = client_for("alice").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert 'id="untraced-recommendations"' not in page


# --- Exports ----------------------------------------------------------------------------------------------------------


def test_the_exports_carry_the_findings_under_their_section(review, people, client_for):
    retrospective, events, account = review
    first = add(retrospective, people, text="Pool of **20**\nat peak", event_ids=[events[0].pk])
    add(retrospective, people, text="Retries had no jitter", account_ids=[account.pk])
    retrospective = type(retrospective).objects.get(pk=retrospective.pk)

    markdown = export_markdown(retrospective)
    section = markdown[markdown.index("key=contributing-factors") :]
    section = section[: section.index("\n## ")]
    assert "### Findings\n\n- Pool of **20**\n  at peak\n\n  *Events: 2026-05-04 14:01 UTC Alert fired*" in section
    assert "- Retries had no jitter\n\n  *Accounts: Bob*" in section

    html = export_html(retrospective)
    part = html[html.index('id="section-contributing-factors"') :]
    part = part[: part.index("</section>")]
    assert "<h3>Findings</h3>" in part and "<strong>20</strong>" in part and "Alert fired" in part

    data = export_json(retrospective)
    sections = {s["key"]: s for s in data["retrospective"]["sections"]}
    findings = sections["contributing-factors"]["findings"]
    assert [(f["id"], f["kind"], f["position"]) for f in findings][0] == (first.pk, "contributing-factor", 1)
    assert findings[0]["events"] == [{"id": events[0].pk, "occurred_at": "2026-05-04 14:01 UTC", "text": "Alert fired"}]
    assert findings[1]["accounts"] == [{"id": account.pk, "author": "bob"}]
    assert "findings" not in sections["summary"]  # a section that holds none has no list
    json.dumps(data)

    response = client_for("dana").get(f"/retrospectives/{retrospective.pk}/export.json")
    assert json.loads(response.content)["retrospective"]["sections"][3]["findings"][1]["text"] == (
        "Retries had no jitter"
    )


def test_a_section_that_holds_findings_exports_an_empty_list_and_no_heading_without_any(review):
    retrospective, _, _ = review
    data = export_json(retrospective)
    sections = {s["key"]: s for s in data["retrospective"]["sections"]}
    assert sections["contributing-factors"]["findings"] == []
    assert "### Findings" not in export_markdown(retrospective)


# --- Queries ----------------------------------------------------------------------------------------------------------


def _many(retrospective, people, events, account, n):
    for i in range(n):
        add(retrospective, people, text=f"Pool factor {i}", event_ids=[events[i % 3].pk], account_ids=[account.pk])
        recommend(retrospective, people, f"Untraced {i}")


@pytest.mark.parametrize("path", ["/retrospectives/{pk}/", "/retrospectives/{pk}/findings/"])
def test_the_pages_read_the_findings_in_a_constant_number_of_queries(
    review, people, client_for, django_assert_max_num_queries, path
):
    retrospective, events, account = review
    alice = client_for("alice")
    url = path.format(pk=retrospective.pk)
    _many(retrospective, people, events, account, 1)
    alice.get(url)  # warm the caches shared by every page
    with django_assert_max_num_queries(200) as one:
        assert alice.get(url).status_code == 200
    _many(retrospective, people, events, account, 12)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = alice.get(url)
    assert page.content.decode().count("Pool factor ") >= 13


def test_more_events_on_the_timeline_add_no_query_to_the_findings_page(
    review, people, client_for, django_assert_max_num_queries
):
    retrospective, _, _ = review
    alice = client_for("alice")
    url = f"/retrospectives/{retrospective.pk}/findings/"
    alice.get(url)
    with django_assert_max_num_queries(200) as before:
        alice.get(url)
    add_events(retrospective.incident, people["alice"], texts=[f"Event {i}" for i in range(20)])
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert "Event 19" in alice.get(url).content.decode()


def test_a_systems_analysis_shows_and_exports_each_kind_in_its_section(cast, people, client_for):
    retrospective, _, _ = cast
    for kind, text in (
        ("safety-control", "The queue-age alert"),
        ("control-failure", "The alert's threshold assumed steady traffic"),
        ("systemic-problem", "Nobody owns the alert thresholds"),
        ("missing-control", "No rate limit on retries"),
    ):
        add(retrospective, people, kind=kind, text=text)
    page = client_for("dana").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    for key, text in (
        ("safety-controls", "The queue-age alert"),
        ("control-failures", "threshold assumed steady traffic"),
        ("systemic-problems", "Nobody owns the alert thresholds"),
        ("missing-controls", "No rate limit on retries"),
    ):
        part = page[page.index(f'id="analysis-findings-{key}"') :]
        assert text in part[: part.index("</section>")]
    sections = {s["key"]: s for s in export_json(retrospective)["retrospective"]["sections"]}
    assert sections["systemic-problems"]["findings"][0]["kind"] == "systemic-problem"
    assert "findings" not in sections["recommendations"]
