"""Tracking recommendations across incidents: the list and its filters, overdue on a frozen date, the CSV export
(formulas inert), the priority targets and the recommendations that miss them, the rule that an incident is finished
only once all its recommendations are done or dropped with a reason, and the permission rules with two teams."""

import csv
import datetime as dt
import io

import pytest

from retrospector.actions.tracking import (
    RecommendationFilters,
    breaches_of,
    csv_safe,
    incident_recommendations,
    incident_recommendations_finished,
    priority_targets,
    priority_targets_save,
    recommendation_list,
    target_breaches,
)
from tests.actions.tracking_support import (  # noqa: F401  (the `frozen` and `tracked` fixtures)
    HYPERLINK,
    TODAY,
    frozen_fixture,
    recommend,
    set_fields,
    tracked_fixture,
)


def titles(rows):
    return [r.title for r in rows]


# --- The list ---------------------------------------------------------------------------------------------------------


def test_the_list_orders_by_commitment_date_with_undated_last(tracked, people):
    rows = recommendation_list(user=people["oscar"])
    assert titles(rows) == [
        "Retry card payments",  # 3 days ago
        "Document the checkout runbook",  # in 2 days
        "Scrub card numbers from logs",  # in 5
        "Alert on checkout latency",  # in 10
        HYPERLINK,  # no date
    ]


def test_overdue_is_open_and_past_its_date_on_the_frozen_day(tracked, people):
    rows = recommendation_list(user=people["oscar"], filters=RecommendationFilters(overdue=True))
    assert titles(rows) == ["Retry card payments"]
    # The day it was due is not overdue yet; the day after is.
    set_fields(tracked.overdue, commitment_date=TODAY)
    assert not recommendation_list(user=people["oscar"], filters=RecommendationFilters(overdue=True)).exists()
    later = recommendation_list(
        user=people["oscar"], filters=RecommendationFilters(overdue=True), today=TODAY + dt.timedelta(days=1)
    )
    assert titles(later) == ["Retry card payments"]
    # Done past its date is not overdue.
    set_fields(tracked.done, commitment_date=TODAY - dt.timedelta(days=30))
    assert [r.overdue for r in recommendation_list(user=people["oscar"]) if r.pk == tracked.done.pk] == [False]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (RecommendationFilters(team="platform"), [HYPERLINK]),
        (RecommendationFilters(owner="bob"), ["Alert on checkout latency"]),
        (RecommendationFilters(status="done"), ["Document the checkout runbook"]),
        (RecommendationFilters(priority="P1"), ["Retry card payments"]),
        (
            RecommendationFilters(service="checkout"),
            ["Retry card payments", "Document the checkout runbook", "Alert on checkout latency"],
        ),
        (RecommendationFilters(q="checkout ALERT"), ["Alert on checkout latency"]),
        (
            RecommendationFilters(team="payments", status="planned"),
            ["Scrub card numbers from logs", "Alert on checkout latency"],
        ),
    ],
)
def test_each_filter_narrows_the_list(tracked, people, filters, expected):
    assert titles(recommendation_list(user=people["oscar"], filters=filters)) == expected


def test_filtering_by_retrospective_lists_those_it_calls_for(tracked, people):
    rows = recommendation_list(user=people["bob"], filters=RecommendationFilters(retrospective=tracked.retro_public.pk))
    assert titles(rows) == ["Retry card payments", "Document the checkout runbook", "Alert on checkout latency"]
    # Another team's member cannot list a private retrospective's recommendations by its id.
    hidden = RecommendationFilters(retrospective=tracked.retro_private.pk)
    assert not recommendation_list(user=people["charlie"], filters=hidden).exists()


def test_merged_away_recommendations_are_left_out(tracked, people):
    set_fields(tracked.public, merged_into=tracked.overdue)
    assert "Alert on checkout latency" not in titles(recommendation_list(user=people["oscar"]))


def test_a_recommendation_only_on_a_private_incident_is_invisible_to_another_team(tracked, people):
    for name in ("charlie", "erin"):
        rows = recommendation_list(user=people[name])
        assert "Scrub card numbers from logs" not in titles(rows), name
        assert rows.count() == 4, name
    assert recommendation_list(user=people["dana"]).count() == 5  # a viewer of payments sees it
    # Filters reveal nothing either: not by owner, status or words.
    for filters in (RecommendationFilters(owner="alice"), RecommendationFilters(q="Scrub")):
        assert "Scrub card numbers from logs" not in titles(
            recommendation_list(user=people["charlie"], filters=filters)
        )


def test_a_row_shows_only_the_retrospectives_its_reader_may_see(tracked, people, make_retrospective):
    from retrospector.actions.models import RecommendationLink

    # The platform recommendation is also called for by the private payments retrospective.
    RecommendationLink.objects.create(recommendation=tracked.platform, retrospective=tracked.retro_private)
    seen_by = {
        name: next(r for r in recommendation_list(user=people[name]) if r.pk == tracked.platform.pk)
        for name in ("charlie", "bob")
    }
    assert [link.retrospective.pk for link in seen_by["charlie"].visible_links] == [tracked.retro_platform.pk]
    assert {link.retrospective.pk for link in seen_by["bob"].visible_links} == {
        tracked.retro_platform.pk,
        tracked.retro_private.pk,
    }


def test_a_page_of_the_list_takes_the_same_queries_for_5_or_30_rows(tracked, people, django_assert_num_queries):
    def page_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            rows = list(recommendation_list(user=people["bob"])[:25])
            for row in rows:
                _ = [link.retrospective.title for link in row.visible_links], row.team.slug, row.owner
        return len(captured.captured_queries), len(rows)

    page_queries()  # the reader's roles, read once per request
    few, count = page_queries()
    assert count == 5
    for n in range(25):
        recommend(tracked.retro_public, people, title=f"More {n}", owner=people["bob"], days=n)
    many, count = page_queries()
    assert count == 25
    assert many == few == 2  # the rows, their links


# --- CSV ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain = text", "plain = text"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_csv_safe_makes_formula_cells_text(value, expected):
    assert csv_safe(value) == expected


def test_the_csv_export_is_filtered_escaped_and_leaks_nothing(tracked, people, client_for):
    response = client_for("charlie").get("/recommendations/export.csv?team=&q=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["id", "title", "status"]
    by_title = {row[1]: row for row in rows[1:]}
    assert "Scrub card numbers from logs" not in by_title
    assert len(rows) == 1 + 4
    assert "'" + HYPERLINK in by_title  # inert: a spreadsheet shows it as text
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    overdue = client_for("bob").get("/recommendations/export.csv?overdue=on")
    overdue_rows = list(csv.reader(io.StringIO(b"".join(overdue.streaming_content).decode())))
    assert [row[1] for row in overdue_rows[1:]] == ["Retry card payments"]
    assert overdue_rows[1][7] == "yes"


# --- The pages ------------------------------------------------------------------------------------------------------


def test_the_list_page_filters_highlights_overdue_and_hides_private_ones(tracked, client_for):
    page = client_for("charlie").get("/recommendations/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Scrub card numbers" not in text
    assert "Alert on checkout latency" in text
    assert 'class="overdue-row"' in text and "overdue</strong>" in text
    assert f'href="/recommendations/{tracked.public.pk}/"' in text
    assert "HYPERLINK" in text
    filtered = client_for("bob").get("/recommendations/?team=payments&status=done").content.decode()
    assert "Document the checkout runbook" in filtered and "Alert on checkout latency" not in filtered


def test_the_list_page_has_empty_states(people, client_for, frozen):
    empty = client_for("bob").get("/recommendations/").content.decode()
    assert "No recommendation yet." in empty
    filtered = client_for("bob").get("/recommendations/?q=nothing").content.decode()
    assert "No recommendation matches these filters." in filtered


def test_the_list_page_is_paginated_with_constant_queries(tracked, people, client_for, django_assert_max_num_queries):
    client = client_for("bob")
    client.get("/recommendations/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/recommendations/")
    for n in range(40):
        recommend(tracked.retro_public, people, title=f"Step {n}", days=n + 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/recommendations/?page=2")
    assert "Page 2 of 2" in response.content.decode()


def test_the_header_links_to_the_list(people, client_for, frozen):
    text = client_for("bob").get("/writeups/").content.decode()
    assert 'href="/recommendations/"' in text


def test_the_list_page_says_whether_the_incident_is_finished(tracked, client_for):
    url = f"/recommendations/?retrospective={tracked.retro_public.pk}"
    text = client_for("bob").get(url).content.decode()
    assert "The incident is not finished" in text
    assert "2 open, 1 done, 0 dropped" in text


def test_the_retrospective_page_says_whether_its_incident_is_finished(tracked, people, client_for):
    from retrospector.actions.services import recommendation_update

    url = f"/retrospectives/{tracked.retro_public.pk}/"
    assert "The incident is finished once every recommendation" in client_for("bob").get(url).content.decode()
    for r in (tracked.public, tracked.overdue):
        recommendation_update(recommendation=r, by=people["bob"], changes={"status": "done"})
    assert "<strong>The incident is finished</strong>" in client_for("bob").get(url).content.decode()


# --- Finished -------------------------------------------------------------------------------------------------------


def test_an_incident_is_finished_only_when_all_its_recommendations_are_done_or_dropped_with_a_reason(tracked, people):
    from retrospector.actions.services import recommendation_update

    incident = tracked.retro_public.incident
    state = incident_recommendations(incident)
    assert (state.finished, state.total) == (False, 3)
    assert state.counts == {"planned": 1, "in-progress": 1, "dropped": 0, "done": 1}
    recommendation_update(recommendation=tracked.public, by=people["bob"], changes={"status": "done"})
    recommendation_update(
        recommendation=tracked.overdue, by=people["bob"], changes={"status": "dropped"}, reason="Replaced by a queue."
    )
    assert incident_recommendations_finished(incident)
    # A drop recorded without a reason (e.g. before the rule) does not count.
    set_fields(tracked.overdue, status_reason="")
    state = incident_recommendations(incident)
    assert (state.finished, state.dropped_without_reason) == (False, 1)


def test_an_incident_without_recommendations_is_finished(people, make_incident, frozen):
    assert incident_recommendations_finished(make_incident())


def test_a_merged_recommendation_counts_as_the_one_it_went_into(tracked, people):
    from retrospector.actions.services import recommendation_update

    incident = tracked.retro_public.incident
    # The open ones of the public incident are merged into the platform one, which is then done.
    set_fields(tracked.public, merged_into=tracked.platform)
    set_fields(tracked.overdue, merged_into=tracked.platform)
    assert not incident_recommendations_finished(incident)
    recommendation_update(recommendation=tracked.platform, by=people["charlie"], changes={"status": "done"})
    assert incident_recommendations(incident).counts == {"planned": 0, "in-progress": 0, "dropped": 0, "done": 2}
    assert incident_recommendations_finished(incident)


# --- Targets and breaches -------------------------------------------------------------------------------------------


def test_the_default_targets_until_the_organization_sets_its_own(org, people):
    assert [(t.name, t.days) for t in priority_targets(org.pk)] == [("P1", 28), ("P2", 56), ("P3", 91), ("P4", 182)]
    priority_targets_save(
        organization_id=org.pk, by=people["oscar"], targets=[("Now", 7), ("Soon", 30), ("Later", None)]
    )
    assert [(t.name, t.days) for t in priority_targets(org.pk)] == [("Now", 7), ("Soon", 30), ("Later", None)]


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ([("P1", 7), ("p1", 8)], "listed twice"),
        ([("P1", 0)], "whole number from 1"),
        ([("P1", -3)], "whole number from 1"),
        ([], "one priority at least"),
        ([("two words", 3)], "without spaces"),
    ],
)
def test_targets_need_unique_names_and_positive_days(org, people, targets, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        priority_targets_save(organization_id=org.pk, by=people["oscar"], targets=targets)
    assert message in " ".join(raised.value.messages)


def test_a_priority_in_use_cannot_be_removed_and_only_admins_change_targets(tracked, org, people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="P2 is used by 3 open"):
        priority_targets_save(organization_id=org.pk, by=people["oscar"], targets=[("P1", 7)])
    with pytest.raises(PermissionError):
        priority_targets_save(organization_id=org.pk, by=people["alice"], targets=[("P1", 7), ("P2", 9)])


def test_breaches_list_open_ones_past_their_target_and_done_ones_finished_late(tracked, people, org):
    now = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
    # P1 targets 28 days: created 30 days ago and still open: 2 days late.
    set_fields(tracked.overdue, created_at=now - dt.timedelta(days=30))
    # P2 targets 56 days: done 60 days after its creation: 4 days late.
    set_fields(tracked.done, created_at=now - dt.timedelta(days=70), closed_at=now - dt.timedelta(days=10))
    # P2, created 56 days ago: due today, not late yet.
    set_fields(tracked.public, created_at=now - dt.timedelta(days=56))
    # Dropped long ago: never a breach.
    set_fields(tracked.platform, created_at=now - dt.timedelta(days=400), status="dropped", status_reason="Moved")
    rows = target_breaches(user=people["oscar"], today=TODAY)
    assert rows.count() == 2  # counted as listed
    breaches = breaches_of(rows, organization_id=org.pk, today=TODAY)
    found = {b.recommendation.title: (b.late_days, b.finished_late, b.target_days) for b in breaches}
    assert found == {"Retry card payments": (2, False, 28), "Document the checkout runbook": (4, True, 56)}
    # The day after, the P2 one created 56 days ago is a day late.
    tomorrow = TODAY + dt.timedelta(days=1)
    later = breaches_of(target_breaches(user=people["oscar"], today=tomorrow), organization_id=org.pk, today=tomorrow)
    assert {b.recommendation.title: b.late_days for b in later}["Alert on checkout latency"] == 1
    # Stricter targets make more breaches; the private one is never shown to charlie.
    set_fields(tracked.private, created_at=now - dt.timedelta(days=200))
    assert "Scrub card numbers from logs" not in titles(target_breaches(user=people["charlie"], today=TODAY))
    assert "Scrub card numbers from logs" in titles(target_breaches(user=people["bob"], today=TODAY))


def test_the_breaches_page_says_by_how_much(tracked, client_for):
    set_fields(tracked.overdue, created_at=tracked.overdue.created_at - dt.timedelta(days=40))
    text = client_for("bob").get("/recommendations/breaches/").content.decode()
    assert "Retry card payments" in text and "12 days" in text and "still open" in text
    empty = client_for("bob").get("/recommendations/breaches/?team=platform").content.decode()
    assert "No recommendation misses its target in this team." in empty


def test_the_targets_page_saves_for_admins_and_shows_errors(tracked, org, client_for):
    assert client_for("bob").post("/recommendations/targets/", {"targets": "P1 3"}).status_code == 403
    assert (
        "Only an organization admin changes them."
        in client_for("bob").get("/recommendations/targets/").content.decode()
    )
    admin = client_for("oscar")
    bad = admin.post("/recommendations/targets/", {"targets": "P1 7\nP1 9\nP2 x"})
    assert bad.status_code == 200 and "is not a whole number of days" in bad.content.decode()
    dup = admin.post("/recommendations/targets/", {"targets": "P1 7\nP1 9\nP2 10"})
    assert "P1 is listed twice" in dup.content.decode()
    ok = admin.post("/recommendations/targets/", {"targets": "P1 7\nP2 14\nP3\nP4 100"})
    assert ok.status_code == 302
    assert [(t.name, t.days) for t in priority_targets(org.pk)] == [("P1", 7), ("P2", 14), ("P3", None), ("P4", 100)]


def test_done_late_counts_in_utc_days_not_hours(tracked, people, org):
    # P2 (56 days): created late on a day, done early on the day after its due day: one day late.
    created = dt.datetime(2029, 12, 1, 23, 0, tzinfo=dt.UTC)
    set_fields(tracked.done, created_at=created, closed_at=created + dt.timedelta(days=56, hours=2))
    rows = target_breaches(user=people["oscar"], today=TODAY)
    assert [(b.recommendation.pk, b.late_days) for b in breaches_of(rows, organization_id=org.pk)] == [
        (tracked.done.pk, 1)
    ]
    # Done on its due day, whatever the hour: on time.
    set_fields(tracked.done, closed_at=created + dt.timedelta(days=55, hours=23, minutes=59))
    assert not target_breaches(user=people["oscar"], today=TODAY).exists()
