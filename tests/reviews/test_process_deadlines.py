"""A team's review process and the deadlines it gives each retrospective: business days from the incident's
resolution, in the team's zone, on its working days, skipping its holidays; a finished step is never due nor
overdue. The clock is passed in (frozen) where the answer depends on today."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.reviews.models import Deadline, ProcessSettings, Step
from retrospector.reviews.process import (
    deadline_dates,
    deadlines_refresh,
    deadlines_sync,
    due_steps,
    next_due_by_incident,
    next_due_step,
    parse_holidays,
    process_settings_save,
    retrospective_required,
)

OFFSETS = {
    Step.RESEARCH: 1,
    Step.FIRST_DRAFT: 5,
    Step.FEEDBACK_END: 8,
    Step.FEEDBACK_ADDRESSED: 10,
    Step.MEETING: 12,
}
# Thursday 7 May 2026, 23:30 UTC: already Friday 8 May in Paris, a holiday there (and Ascension on the 14th).
RESOLVED = datetime(2026, 5, 7, 23, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def paris(people):
    return process_settings_save(
        team=people["payments"],
        severities_requiring=["SEV1", "SEV2"],
        time_zone="Europe/Paris",
        working_days=[1, 2, 3, 4, 5],
        holidays=[date(2026, 5, 8), date(2026, 5, 14)],
        offsets=OFFSETS,
        by=people["alice"],
    )


def save(people, by="alice", **changes):
    values = dict(
        team=people["payments"],
        severities_requiring=[],
        time_zone="UTC",
        working_days=[1, 2, 3, 4, 5],
        holidays=[],
        offsets=dict(OFFSETS),
    )
    values.update(changes)
    return process_settings_save(**values, by=people[by])


def test_deadlines_count_business_days_in_the_teams_zone_skipping_weekends_and_holidays(paris):
    dates = deadline_dates(resolved_at=RESOLVED, settings=paris)
    assert dates == {
        Step.RESEARCH: date(2026, 5, 11),  # Friday the 8th is a holiday, then the weekend
        Step.FIRST_DRAFT: date(2026, 5, 18),  # 11, 12, 13, (14 Ascension), 15, 18
        Step.FEEDBACK_END: date(2026, 5, 21),
        Step.FEEDBACK_ADDRESSED: date(2026, 5, 25),
        Step.MEETING: date(2026, 5, 27),
    }


def test_in_utc_the_same_resolution_falls_on_thursday(people):
    settings = save(people)
    assert deadline_dates(resolved_at=RESOLVED, settings=settings)[Step.RESEARCH] == date(2026, 5, 8)


def test_a_team_working_sunday_to_thursday_counts_its_own_week(people):
    settings = save(people, working_days=[7, 1, 2, 3, 4])
    # Resolved Thursday 7 May in UTC: the next working day is Sunday the 10th.
    assert deadline_dates(resolved_at=RESOLVED, settings=settings)[Step.RESEARCH] == date(2026, 5, 10)


def test_holidays_are_read_one_a_line_and_a_bad_line_is_named():
    assert parse_holidays("2026-12-25\n\n2026-01-01 # new year\n2026-12-25") == [date(2026, 1, 1), date(2026, 12, 25)]
    with pytest.raises(ValidationError) as excinfo:
        parse_holidays("2026-12-25\nChristmas\n")
    assert "Line 2" in excinfo.value.message_dict["holidays"][0]
    with pytest.raises(ValidationError) as excinfo:
        parse_holidays("2026-02-30")
    assert "Line 1" in excinfo.value.message_dict["holidays"][0]


def test_offsets_may_not_go_backwards(people):
    with pytest.raises(ValidationError) as excinfo:
        save(people, offsets={**OFFSETS, Step.FEEDBACK_END: 4})
    assert "feedback_end_days" in excinfo.value.message_dict
    assert "cannot come before first draft" in excinfo.value.message_dict["feedback_end_days"][0]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"severities_requiring": ["SEV9"]}, "severities_requiring"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"working_days": []}, "working_days"),
        ({"working_days": [0]}, "working_days"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(people, changes, field):
    with pytest.raises(ValidationError) as excinfo:
        save(people, **changes)
    assert field in excinfo.value.message_dict


def test_only_team_admins_change_the_process(people):
    with pytest.raises(PermissionDenied):
        save(people, by="bob")
    save(people, by="oscar")  # an organization admin may
    assert ProcessSettings.objects.get(team=people["payments"]).updated_by == people["oscar"]


def test_which_incidents_need_a_retrospective_follows_the_severities(paris, make_incident):
    assert retrospective_required(make_incident(severity="SEV2"))
    assert not retrospective_required(make_incident(severity="SEV3"))


def test_the_start_page_says_whether_the_process_asks_for_one(paris, make_incident, client_for):
    needed = client_for("alice").get(f"/incidents/{make_incident(severity='SEV1').pk}/retrospectives/new")
    assert "SEV1 incidents need a retrospective in Payments" in needed.content.decode()
    optional = client_for("alice").get(f"/incidents/{make_incident(severity='SEV4').pk}/retrospectives/new")
    assert "does not require a retrospective for SEV4" in optional.content.decode()


def test_deadlines_are_made_when_the_incident_is_resolved_and_due_at_follows_the_first_draft(
    paris, make_incident, make_retrospective
):
    incident = make_incident()
    retrospective = make_retrospective(incident)
    assert deadlines_refresh(retrospective) == []  # nothing is due before the resolution
    incident.resolved_at = RESOLVED
    incident.save(update_fields=["resolved_at"])
    assert deadlines_sync()["deadlines_created_for"] == 1
    assert deadlines_sync()["deadlines_created_for"] == 0  # harmless twice
    retrospective.refresh_from_db()
    assert retrospective.due_at == date(2026, 5, 18)
    assert Deadline.objects.filter(retrospective=retrospective).count() == 5


def test_changing_the_process_moves_open_deadlines_and_keeps_done_ones(
    paris, people, make_incident, make_retrospective
):
    retrospective = make_retrospective(make_incident(resolved_at=RESOLVED))
    deadlines_refresh(retrospective)
    research = Deadline.objects.get(retrospective=retrospective, step=Step.RESEARCH)
    done_at = datetime(2026, 5, 9, 10, tzinfo=UTC)
    Deadline.objects.filter(pk=research.pk).update(done_at=done_at)
    save(people, time_zone="UTC", offsets={**OFFSETS, Step.FIRST_DRAFT: 6})
    retrospective.refresh_from_db()
    assert retrospective.due_at == date(2026, 5, 15)  # UTC now: from Thursday the 7th, 6 business days
    assert Deadline.objects.get(pk=research.pk).done_at == done_at


def test_the_research_step_is_done_once_the_owner_writes(paris, people, make_incident, make_retrospective):
    from retrospector.writeups.services import section_save

    retrospective = make_retrospective(make_incident(resolved_at=RESOLVED))
    deadlines_refresh(retrospective)
    section = retrospective.sections.first()
    section_save(section=section, body="What we know so far.", base_version=section.version, by=people["alice"])
    assert deadlines_sync()["research_marked_for"] == 1
    assert Deadline.objects.get(retrospective=retrospective, step=Step.RESEARCH).done_at is not None
    assert deadlines_sync()["research_marked_for"] == 0


def test_the_next_due_step_is_the_earliest_not_done_and_says_how_late(paris, make_incident, make_retrospective):
    retrospective = make_retrospective(make_incident(resolved_at=RESOLVED))
    deadlines_refresh(retrospective)
    # Frozen on Tuesday 19 May, 09:00 in Paris: research (11th) is 5 working days late (12, 13, 15, 18, 19).
    now = datetime(2026, 5, 19, 7, tzinfo=UTC)
    due = next_due_step(retrospective, now=now)
    assert (due.step, due.due_on, due.overdue_days) == (Step.RESEARCH, date(2026, 5, 11), 5)
    # Due today is not late yet: on Monday 11 May, research is due, not overdue.
    assert next_due_step(retrospective, now=datetime(2026, 5, 11, 20, tzinfo=UTC)).overdue_days == 0
    Deadline.objects.filter(retrospective=retrospective, step=Step.RESEARCH).update(done_at=now)
    due = next_due_step(retrospective, now=now)
    assert (due.step, due.overdue_days) == (Step.FIRST_DRAFT, 1)
    # On Saturday 23 May, the first draft (18th) is 4 working days late: the weekend does not count.
    assert next_due_step(retrospective, now=datetime(2026, 5, 23, 12, tzinfo=UTC)).overdue_days == 4


def test_a_finished_step_is_never_due_nor_overdue(paris, people, make_incident, make_retrospective):
    from retrospector.reviews.process import review_transition

    retrospective = make_retrospective(make_incident(resolved_at=RESOLVED))
    deadlines_refresh(retrospective)
    review_transition(retrospective=retrospective, to_state="in_review", by=people["alice"])
    late = datetime(2026, 6, 30, 12, tzinfo=UTC)
    due = next_due_step(retrospective, now=late)
    assert due.step == Step.FEEDBACK_END  # research and first draft are done
    steps = [d.step for d in due_steps(user=people["bob"], now=late, within_days=7)]
    assert steps == [Step.FEEDBACK_END]


def test_due_steps_list_the_soonest_first_for_people_who_may_see_them(
    paris, people, make_incident, make_retrospective, django_assert_max_num_queries
):
    late = datetime(2026, 6, 1, 12, tzinfo=UTC)
    for n in range(6):
        retrospective = make_retrospective(
            make_incident(
                title=f"Incident {n}",
                visibility="private" if n == 0 else "organization",
                resolved_at=RESOLVED + timedelta(days=n),
            )
        )
        deadlines_refresh(retrospective)
    with django_assert_max_num_queries(4):
        seen_by_bob = due_steps(user=people["bob"], now=late, within_days=7)
    assert [d.due_on for d in seen_by_bob] == sorted(d.due_on for d in seen_by_bob)
    assert len(seen_by_bob) == 6 and all(d.step == Step.RESEARCH for d in seen_by_bob)
    assert len(due_steps(user=people["charlie"], now=late, within_days=7)) == 5  # not the private one


def test_the_incident_list_shows_each_incidents_next_step(
    paris, people, make_incident, make_retrospective, client_for, django_assert_max_num_queries
):
    for n in range(3):
        deadlines_refresh(make_retrospective(make_incident(title=f"Incident {n}", resolved_at=RESOLVED)))
    client = client_for("bob")
    client.get("/incidents/")
    with django_assert_max_num_queries(12) as first:
        page = client.get("/incidents/").content.decode()
    assert page.count("Research start overdue by") == 3
    for n in range(3, 8):
        deadlines_refresh(make_retrospective(make_incident(title=f"Incident {n}", resolved_at=RESOLVED)))
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/incidents/")


def test_next_due_by_incident_leaves_out_what_cannot_be_seen(paris, people, make_incident, make_retrospective):
    hidden = make_incident(visibility="private", resolved_at=RESOLVED)
    deadlines_refresh(make_retrospective(hidden))
    assert next_due_by_incident(user=people["charlie"], incident_ids=[hidden.pk]) == {}
    assert hidden.pk in next_due_by_incident(user=people["dana"], incident_ids=[hidden.pk])


def test_the_process_page_is_changed_by_admins_and_read_by_members(paris, people, client_for):
    url = "/teams/payments/process"
    assert "Europe/Paris" in client_for("bob").get(url).content.decode()
    assert client_for("bob").post(url, {"time_zone": "UTC"}).status_code == 403
    assert client_for("charlie").get(url).status_code == 403
    form = {
        "severities_requiring": ["SEV1"],
        "time_zone": "Europe/Paris",
        "working_days": ["1", "2", "3", "4", "5"],
        "holidays": "2026-12-25\nnot a date",
        "research_days": "1",
        "first_draft_days": "5",
        "feedback_end_days": "8",
        "feedback_addressed_days": "10",
        "meeting_days": "12",
    }
    refused = client_for("alice").post(url, form)
    assert refused.status_code == 422 and "Line 2" in refused.content.decode()
    saved = client_for("alice").post(url, {**form, "holidays": "2026-12-25"})
    assert saved.status_code == 302
    assert ProcessSettings.objects.get(team=people["payments"]).holidays == ["2026-12-25"]


def test_the_process_api_reads_and_saves(paris, people, client_for):
    import json

    url = "/api/v1/teams/payments/process"
    read = client_for("bob").get(url).json()
    assert read["time_zone"] == "Europe/Paris" and read["holidays"] == ["2026-05-08", "2026-05-14"]
    body = {**{k: v for k, v in read.items() if k not in ("team", "can_change")}, "meeting_days": 9}
    refused = client_for("bob").put(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 403
    backwards = client_for("alice").put(url, json.dumps(body), content_type="application/json")
    assert backwards.status_code == 422 and backwards.json()["field"] == "meeting_days"
    body["meeting_days"] = 15
    assert client_for("alice").put(url, json.dumps(body), content_type="application/json").json()["meeting_days"] == 15
    assert client_for("charlie").get(url).status_code == 403
    assert client_for("alice").get("/api/v1/teams/nope/process").status_code == 404
