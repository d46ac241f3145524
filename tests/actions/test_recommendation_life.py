"""A recommendation's life through the services: the change rules and their history, links to retrospectives both
ways, merges, similar open recommendations (never one the reader may not see), set-asides, and who is told."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.actions.models import Recommendation, RecommendationChange, RecommendationLink, SetAside, Trace
from retrospector.actions.selectors import (
    describe_changes,
    recommendation_gaps,
    recommendation_history,
    recommendations_of_retrospective,
    similar_open_recommendations,
    today_utc,
)
from retrospector.actions.services import (
    recommendation_link,
    recommendation_merge,
    recommendation_unlink,
    recommendation_update,
    set_aside_create,
    set_aside_delete,
)
from retrospector.core.errors import ConflictError
from retrospector.notifications.models import Notification
from tests.actions.recs_support import (  # noqa: F401
    finding,
    later,
    payments_retro_fixture,
    platform_private_retro_fixture,
    recommend,
    service,
)


def history(recommendation):
    return list(RecommendationChange.objects.filter(recommendation=recommendation).order_by("at", "pk"))


def test_a_recommendation_without_an_owner_or_definition_of_done_is_saved_as_a_draft(payments_retro, people):
    draft = recommend(payments_retro, people["alice"])
    assert recommendation_gaps(draft) == ["needs an owner", "needs a definition of done"]
    complete = recommend(payments_retro, people["alice"], owner=people["bob"], definition_of_done="Breaker in prod")
    assert recommendation_gaps(complete) == []


def test_it_refuses_a_commitment_date_in_the_past(payments_retro, people):
    with pytest.raises(ValidationError) as refused:
        recommend(payments_retro, people["alice"], commitment_date=today_utc() - dt.timedelta(days=1))
    assert "commitment_date" in refused.value.message_dict


def test_moving_the_date_or_dropping_needs_a_reason_and_the_reason_is_kept(payments_retro, people):
    rec = recommend(payments_retro, people["alice"], commitment_date=later(10))
    with pytest.raises(ValidationError) as refused:
        recommendation_update(recommendation=rec, by=people["alice"], changes={"commitment_date": later(20)})
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "dropped"})
    assert "reason" in refused.value.message_dict

    rec = recommendation_update(
        recommendation=rec, by=people["alice"], changes={"commitment_date": later(20)}, reason="Vendor late"
    )
    assert rec.status_reason == "Vendor late"
    last = history(rec)[-1]
    assert last.changes == {"commitment_date": [later(10).isoformat(), later(20).isoformat()]}
    assert last.reason == "Vendor late" and last.by == people["alice"]


def test_a_stale_edit_is_refused_with_the_current_version(payments_retro, people):
    rec = recommend(payments_retro, people["alice"])
    recommendation_update(recommendation=rec, by=people["bob"], changes={"title": "Theirs"}, base_version=1)
    with pytest.raises(ConflictError) as refused:
        recommendation_update(recommendation=rec, by=people["alice"], changes={"title": "Mine"}, base_version=1)
    assert refused.value.current.title == "Theirs"


def test_traceability_goes_both_ways(payments_retro, people):
    factor = finding(payments_retro)
    other = finding(payments_retro, text="Nobody was paged")
    rec = recommend(payments_retro, people["alice"], findings=[factor])
    assert list(factor.traces.values_list("recommendation_id", flat=True)) == [rec.pk]
    assert list(rec.traces.values_list("finding_id", flat=True)) == [factor.pk]
    assert not other.traces.exists()
    [row] = recommendations_of_retrospective(payments_retro)
    assert row.pk == rec.pk and row.traced == 1


def test_it_refuses_to_trace_to_a_finding_of_another_retrospective(
    payments_retro, make_incident, make_retrospective, people
):
    elsewhere = finding(make_retrospective(make_incident(title="Other")))
    with pytest.raises(ValidationError) as refused:
        recommend(payments_retro, people["alice"], findings=[elsewhere])
    assert "findings" in refused.value.message_dict


def test_linking_to_another_retrospective_is_recorded_and_unlinking_needs_a_reason(
    payments_retro, make_incident, make_retrospective, people
):
    rec = recommend(payments_retro, people["alice"])
    second = make_retrospective(make_incident(title="Checkout errors again"))
    factor = finding(second)
    rec = recommendation_link(recommendation=rec, retrospective=second, by=people["bob"], findings=[factor])
    assert set(rec.links.values_list("retrospective_id", flat=True)) == {payments_retro.pk, second.pk}
    assert Trace.objects.filter(recommendation=rec, finding=factor).exists()
    assert history(rec)[-1].changes == {"linked": [None, second.pk]}
    assert rec.version == 2

    with pytest.raises(ValidationError) as refused:
        recommendation_link(recommendation=rec, retrospective=second, by=people["bob"])
    assert "recommendation" in refused.value.message_dict

    with pytest.raises(ValidationError) as refused:
        recommendation_unlink(recommendation=rec, retrospective=second, by=people["bob"], reason=" ")
    assert "reason" in refused.value.message_dict
    recommendation_unlink(recommendation=rec, retrospective=second, by=people["bob"], reason="Not this incident")
    assert list(rec.links.values_list("retrospective_id", flat=True)) == [payments_retro.pk]
    assert not Trace.objects.filter(recommendation=rec, finding=factor).exists()
    entry = history(rec)[-1]
    assert entry.changes == {"linked": [second.pk, None]} and entry.reason == "Not this incident"

    with pytest.raises(ValidationError) as refused:  # the last retrospective calling for it
        recommendation_unlink(recommendation=rec, retrospective=payments_retro, by=people["bob"], reason="Why not")
    assert "reason" in refused.value.message_dict


def test_merging_moves_links_and_traces_without_duplicates_and_keeps_both_histories(
    payments_retro, make_incident, make_retrospective, people
):
    second = make_retrospective(make_incident(title="Checkout errors again"))
    shared_factor, own_factor = finding(payments_retro), finding(second)
    keep = recommend(payments_retro, people["alice"], findings=[shared_factor])
    away = recommend(payments_retro, people["bob"], title="Circuit breaker for checkout", findings=[shared_factor])
    recommendation_link(recommendation=away, retrospective=second, by=people["bob"], findings=[own_factor])

    recommendation_merge(keep=keep, merge_away=away, by=people["alice"], reason="Same thing")

    away.refresh_from_db()
    assert away.merged_into_id == keep.pk
    assert away.status == Recommendation.Status.DROPPED
    assert away.status_reason.startswith(f"merged into #{keep.pk}")
    assert sorted(
        RecommendationLink.objects.filter(recommendation=keep).values_list("retrospective_id", flat=True)
    ) == [
        payments_retro.pk,
        second.pk,
    ]
    assert not RecommendationLink.objects.filter(recommendation=away).exists()
    assert sorted(Trace.objects.filter(recommendation=keep).values_list("finding_id", flat=True)) == sorted(
        [shared_factor.pk, own_factor.pk]
    )
    assert history(away)[-1].changes["merged_into"] == [None, keep.pk]
    assert history(keep)[-1].changes["merged_from"] == [None, away.pk]
    # The kept one's history shows the merged one's too, marked.
    entries = describe_changes(recommendation_history(keep), recommendation=keep)
    assert {e.recommendation_id for e in entries} == {keep.pk, away.pk}
    assert all(e.merged_from == away.pk for e in entries if e.recommendation_id == away.pk)
    assert len(entries) == len(history(keep)) + len(history(away))


def test_only_someone_who_may_edit_both_merges(payments_retro, platform_private_retro, people):
    ours = recommend(payments_retro, people["alice"])
    theirs = recommend(platform_private_retro, people["charlie"])
    with pytest.raises(PermissionDenied):
        recommendation_merge(keep=ours, merge_away=theirs, by=people["bob"], reason="")
    with pytest.raises(PermissionDenied):
        recommendation_merge(keep=theirs, merge_away=ours, by=people["charlie"], reason="")
    recommendation_merge(keep=ours, merge_away=theirs, by=people["oscar"], reason="")
    theirs.refresh_from_db()
    assert theirs.merged_into_id == ours.pk


def test_similar_open_recommendations_share_words_and_service_and_say_why(
    org, payments_retro, make_incident, make_retrospective, people
):
    service(org, payments_retro.incident, "checkout-api")
    other_retro = make_retrospective(make_incident(title="Checkout slow"))
    service(org, other_retro.incident, "checkout-api")
    elsewhere = make_retrospective(make_incident(title="Search slow"))
    service(org, elsewhere.incident, "search")

    alike = recommend(other_retro, people["alice"], title="Add retries with backoff to the checkout client")
    recommend(other_retro, people["alice"], title="Write a runbook for on-call")  # no word in common
    recommend(elsewhere, people["alice"], title="Retries with backoff for search")  # another service
    done = recommend(other_retro, people["alice"], title="Backoff retries on checkout client")
    recommendation_update(recommendation=done, by=people["alice"], changes={"status": "done"})

    found = similar_open_recommendations(
        user=people["bob"],
        organization_id=org.pk,
        text="Checkout client retries need backoff",
        service_ids=[s.pk for s in payments_retro.incident.services.all()],
    )
    assert [s.recommendation.pk for s in found] == [alike.pk]
    [match] = found
    assert match.shared_words == ["backoff", "checkout", "client", "retry"]
    assert "same service: checkout-api" in match.why and "shared words" in match.why
    assert 0 < match.score <= 1


def test_a_private_recommendation_of_another_team_is_never_suggested(org, platform_private_retro, people):
    recommend(platform_private_retro, people["charlie"], title="Rotate the secret store keys")
    for name in ("bob", "dana", "erin"):
        assert (
            similar_open_recommendations(
                user=people[name], organization_id=org.pk, text="rotate secret store keys", service_ids=[]
            )
            == []
        )
    assert similar_open_recommendations(
        user=people["charlie"], organization_id=org.pk, text="rotate secret store keys", service_ids=[]
    )


def test_set_asides_need_a_reason_and_can_be_removed(payments_retro, people):
    with pytest.raises(ValidationError) as refused:
        set_aside_create(retrospective=payments_retro, by=people["alice"], title="Rewrite in Rust", reason="")
    assert "reason" in refused.value.message_dict
    kept = set_aside_create(
        retrospective=payments_retro, by=people["alice"], title="Rewrite in Rust", reason="The bug was in config"
    )
    assert SetAside.objects.filter(retrospective=payments_retro).count() == 1
    set_aside_delete(set_aside=kept, by=people["alice"])
    assert not SetAside.objects.exists()


def told(user):
    return list(Notification.objects.filter(recipient=user, kind="recommendation").order_by("pk"))


def test_the_owner_is_told_when_given_it_and_when_someone_else_changes_status_or_date(payments_retro, people):
    rec = recommend(payments_retro, people["alice"], owner=people["bob"], commitment_date=later(10))
    assert [n.title for n in told(people["bob"])] == [f"Recommendation given to you: {rec.title}"]
    recommendation_update(recommendation=rec, by=people["bob"], changes={"status": "in-progress"})
    assert len(told(people["bob"])) == 1  # their own change
    recommendation_update(recommendation=rec, by=people["alice"], changes={"title": "Breaker, better"})
    assert len(told(people["bob"])) == 1  # neither status nor date
    recommendation_update(
        recommendation=rec, by=people["alice"], changes={"commitment_date": later(40)}, reason="Waiting on a vendor"
    )
    notes = told(people["bob"])
    assert len(notes) == 2 and "moved" in notes[-1].title and notes[-1].url == f"/recommendations/{rec.pk}/"


def test_nobody_else_hears_of_a_private_recommendation_through_its_notifications(platform_private_retro, people):
    rec = recommend(platform_private_retro, people["charlie"], owner=people["charlie"], commitment_date=later(5))
    recommendation_update(recommendation=rec, by=people["oscar"], changes={"status": "in-progress"})
    assert len(told(people["charlie"])) == 1  # oscar changed it: its owner is told
    assert Notification.objects.filter(kind="recommendation").exclude(recipient=people["charlie"]).count() == 0


def test_an_inactive_owner_is_not_told(payments_retro, people):
    people["bob"].is_active = False
    people["bob"].save()
    recommend(payments_retro, people["alice"], owner=people["bob"])
    assert told(people["bob"]) == []


def test_a_new_owner_is_told_and_so_is_the_owner_of_one_merged_away(payments_retro, people):
    rec = recommend(payments_retro, people["alice"])
    recommendation_update(recommendation=rec, by=people["alice"], changes={"owner": people["charlie"]})
    assert [n.title for n in told(people["charlie"])] == [f"Recommendation given to you: {rec.title}"]

    away = recommend(payments_retro, people["alice"], title="Breaker again", owner=people["bob"])
    recommendation_merge(keep=rec, merge_away=away, by=people["alice"], reason="")
    assert told(people["bob"])[-1].title == "Recommendation dropped: Breaker again"


def test_it_refuses_an_owner_who_may_not_see_the_private_incident(people, make_incident, make_retrospective):
    from django.core.exceptions import ValidationError

    from retrospector.actions.services import recommendation_create, recommendation_update

    private = make_retrospective(make_incident(title="Card numbers in a log", visibility="private"))
    with pytest.raises(ValidationError) as refused:
        recommendation_create(retrospective=private, by=people["alice"], title="Scrub logs", owner=people["charlie"])
    assert "may not see this incident" in refused.value.message_dict["owner"][0]
    recommendation = recommendation_create(
        retrospective=private, by=people["alice"], title="Scrub logs", owner=people["bob"]
    )
    with pytest.raises(ValidationError) as refused:
        recommendation_update(recommendation=recommendation, by=people["alice"], changes={"owner": people["erin"]})
    assert "owner" in refused.value.message_dict
    assert (
        recommendation_update(
            recommendation=recommendation, by=people["alice"], changes={"owner": people["oscar"]}
        ).owner
        == people["oscar"]
    )
