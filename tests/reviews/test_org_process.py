"""The organization's standard process as a document the product runs: versions with their reasons and what changed,
the people it concerns told, the retrospectives that start under it recording the version, the deadlines and the
template it requires, teams leading their own when it allows, and who has seen, done and taught a retrospective."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.notifications.models import Notification
from retrospector.reviews.models import Deadline, ProcessRecord, ProcessVersion, Step
from retrospector.reviews.org_process import onboarding, process_version_create
from retrospector.reviews.process import deadlines_refresh, process_settings_save, retrospective_required

OFFSETS = {Step.RESEARCH: 1, Step.FIRST_DRAFT: 5, Step.FEEDBACK_END: 8, Step.FEEDBACK_ADDRESSED: 10, Step.MEETING: 12}
# Thursday 7 May 2026 in UTC: five business days later is Thursday 14 May.
RESOLVED = datetime(2026, 5, 7, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def version(people, *, by="oscar", reason="Tighter drafts after the Q2 review.", **changes):
    values = dict(severities_requiring=["SEV1", "SEV2"], offsets=dict(OFFSETS), teams_may_lead_own=True)
    values.update(changes)
    return process_version_create(organization=people["oscar"].organization, by=people[by], reason=reason, **values)


def test_each_change_is_a_new_version_saying_what_changed_and_why(people):
    first = version(people)
    second = version(people, offsets={**OFFSETS, Step.FIRST_DRAFT: 3}, reason="Drafts went stale in five days.")
    assert (first.number, second.number) == (1, 2)
    assert first.changes == ["The organization's first standard process."]
    assert second.changes == ["First draft (business days): 5 → 3"]
    assert ProcessVersion.objects.get(number=1).first_draft_days == 5  # the old version stays as it was


def test_a_change_needs_a_reason_and_must_change_something(people):
    version(people)
    with pytest.raises(ValidationError) as no_reason:
        version(people, reason="  ", offsets={**OFFSETS, Step.MEETING: 15})
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as same:
        version(people, reason="Again.")
    assert "Nothing changed" in same.value.message_dict["reason"][0]
    assert ProcessVersion.objects.count() == 1


@pytest.mark.parametrize("name", ["alice", "bob", "dana", "erin"])
def test_only_organization_admins_change_it(people, name):
    with pytest.raises(PermissionDenied):
        version(people, by=name)
    assert not ProcessVersion.objects.exists()


def test_bad_values_are_refused_naming_the_field(people):
    with pytest.raises(ValidationError) as unknown:
        version(people, severities_requiring=["SEV9"])
    assert "severities_requiring" in unknown.value.message_dict
    with pytest.raises(ValidationError) as backwards:
        version(people, offsets={**OFFSETS, Step.MEETING: 2})
    assert "meeting_days" in backwards.value.message_dict
    with pytest.raises(ValidationError) as template:
        version(people, required_template="no-such-template")
    assert "required_template" in template.value.message_dict


def test_the_organizations_and_teams_admins_are_told_what_changed_and_why(people):
    version(people)
    version(people, severities_requiring=["SEV1"], reason="SEV2s are reviewed in the weekly meeting instead.")
    told = Notification.objects.filter(kind="process_changed", key__endswith=":v2")
    assert sorted(n.recipient.username for n in told) == ["alice"]  # oscar made it: he knows
    body = told.get().body
    assert "Severities that need a retrospective: SEV1, SEV2 → SEV1" in body
    assert "SEV2s are reviewed in the weekly meeting instead." in body
    assert not Notification.objects.filter(recipient__username__in=["bob", "charlie", "dana", "erin"]).exists()


def test_a_retrospective_records_the_version_it_started_under(people, make_incident, make_retrospective):
    before = make_retrospective(make_incident(title="Before any standard"))
    assert not ProcessRecord.objects.filter(retrospective=before).exists()
    first = version(people)
    started = make_retrospective(make_incident())
    version(people, offsets={**OFFSETS, Step.MEETING: 15}, reason="Meetings need more time to schedule.")
    record = ProcessRecord.objects.get(retrospective=started)
    assert (record.version, record.team_led) == (first, False)  # a later version does not rewrite it


def test_the_standard_sets_the_deadlines_of_teams_without_their_own(people, make_incident, make_retrospective):
    version(people, offsets={**OFFSETS, Step.FIRST_DRAFT: 3})
    retrospective = make_retrospective(make_incident(resolved_at=RESOLVED))
    deadlines_refresh(retrospective)
    assert Deadline.objects.get(retrospective=retrospective, step=Step.FIRST_DRAFT).due_on == date(2026, 5, 12)
    version(people, offsets={**OFFSETS, Step.FIRST_DRAFT: 4}, reason="Three days was too short.")
    # A new version moves the open retrospectives' deadlines.
    assert Deadline.objects.get(retrospective=retrospective, step=Step.FIRST_DRAFT).due_on == date(2026, 5, 13)


def own_process(people, **offsets):
    return process_settings_save(
        team=people["payments"],
        severities_requiring=[],
        time_zone="UTC",
        working_days=[1, 2, 3, 4, 5],
        holidays=[],
        offsets={**OFFSETS, **offsets},
        by=people["alice"],
    )


def test_a_team_leads_its_own_process_only_when_the_standard_allows(people, make_incident, make_retrospective):
    own_process(people, **{Step.FIRST_DRAFT: 7})
    version(people, offsets={**OFFSETS, Step.FIRST_DRAFT: 3}, teams_may_lead_own=True)
    led = make_retrospective(make_incident(resolved_at=RESOLVED))
    deadlines_refresh(led)
    assert Deadline.objects.get(retrospective=led, step=Step.FIRST_DRAFT).due_on == date(2026, 5, 18)
    assert ProcessRecord.objects.get(retrospective=led).team_led is True
    assert retrospective_required(make_incident(severity="SEV4"))  # the team's own: every incident

    version(people, offsets={**OFFSETS, Step.FIRST_DRAFT: 3}, teams_may_lead_own=False, reason="One process for all.")
    led.refresh_from_db()
    assert Deadline.objects.get(retrospective=led, step=Step.FIRST_DRAFT).due_on == date(2026, 5, 12)
    assert not retrospective_required(make_incident(severity="SEV4"))  # the standard's: SEV1 and SEV2 only


def test_a_retrospective_starts_in_the_template_the_standard_requires(people, make_incident, make_retrospective):
    version(people, required_template="incident-review")
    with pytest.raises(ValidationError) as refused:
        make_retrospective(make_incident(), template="postmortem")
    assert "incident-review" in refused.value.message_dict["template"][0]
    assert make_retrospective(make_incident(), template="incident-review").pk


def finish(retrospective, **roles):
    from retrospector.writeups.models import Retrospective

    Retrospective.objects.filter(pk=retrospective.pk).update(
        state="done", done_at=datetime(2026, 6, 1, tzinfo=UTC), **roles
    )


def test_onboarding_counts_who_has_seen_done_and_taught_one(people, make_incident, make_retrospective):
    finish(make_retrospective(make_incident()), owner=people["bob"], shadow=people["dana"])
    finish(make_retrospective(make_incident()), owner=people["dana"], reverse_shadow=people["bob"])
    finish(
        make_retrospective(make_incident(visibility="private", title="Private")),
        owner=people["alice"],
        shadow=people["bob"],
    )
    rows = {r.person.username: r for r in onboarding(people["oscar"].organization, viewer=people["alice"])}
    assert (rows["bob"].seen, rows["bob"].done, rows["bob"].taught, rows["bob"].stage) == (1, 1, 1, "taught one")
    assert (rows["dana"].seen, rows["dana"].done, rows["dana"].stage) == (1, 1, "done one")
    assert (rows["alice"].done, rows["erin"].stage) == (1, "not yet")
    # Charlie may not see the private incident: its retrospective is not counted for him.
    outside = {r.person.username: r for r in onboarding(people["oscar"].organization, viewer=people["charlie"])}
    assert (outside["bob"].seen, outside["alice"].done) == (0, 0)


def test_the_process_page_shows_the_version_in_force_and_its_history(people, client_for):
    version(people)
    version(people, offsets={**OFFSETS, Step.MEETING: 15}, reason="Meetings need more time to schedule.")
    html = client_for("bob").get("/process/").content.decode()
    assert "In force: version 2" in html and "Meeting (business days): 12 → 15" in html
    assert "Meetings need more time to schedule." in html and 'name="reason"' not in html  # bob only reads it
    assert client_for("bob").post("/process/", {"reason": "x"}).status_code == 403


def test_an_admin_makes_a_version_from_the_page_and_a_bad_form_keeps_what_was_typed(people, client_for):
    client = client_for("oscar")
    assert 'name="reason"' in client.get("/process/").content.decode()
    form = {
        "severities_requiring": ["SEV1"],
        "research_days": 1,
        "first_draft_days": 5,
        "feedback_end_days": 8,
        "feedback_addressed_days": 10,
        "meeting_days": 4,
        "approvers": "team_admin",
        "teams_may_lead_own": "on",
        "reason": "Faster meetings.",
    }
    refused = client.post("/process/", form)
    assert refused.status_code == 422 and "Faster meetings." in refused.content.decode()
    assert client.post("/process/", {**form, "meeting_days": 12}).status_code == 302
    assert ProcessVersion.objects.get().approvers == "team_admin"


def test_the_onboarding_page_filters_by_team(people, client_for, make_incident, make_retrospective):
    finish(make_retrospective(make_incident()), owner=people["bob"])
    html = client_for("alice").get("/process/people?team=payments").content.decode()
    assert "Bob" in html or "bob" in html
    assert "charlie" not in html.lower()


def test_the_process_through_the_api(people, client_for):
    import json

    body = {
        "severities_requiring": ["SEV1"],
        "research_days": 1,
        "first_draft_days": 5,
        "feedback_end_days": 8,
        "feedback_addressed_days": 10,
        "meeting_days": 12,
        "reason": "A first standard.",
    }
    made = client_for("oscar").post("/api/v1/process", json.dumps(body), content_type="application/json")
    assert made.status_code == 201
    assert made.json()["current"]["number"] == 1 and made.json()["current"]["approvers"] == "team_admin_or_moderator"
    forbidden = client_for("alice").post("/api/v1/process", json.dumps(body), content_type="application/json")
    assert forbidden.status_code == 403
    same = client_for("oscar").post("/api/v1/process", json.dumps(body), content_type="application/json")
    assert same.status_code == 422 and same.json()["field"] == "reason"
    read = client_for("dana").get("/api/v1/process").json()
    assert [v["number"] for v in read["versions"]] == [1] and read["can_change"] is False


def test_a_teams_process_page_says_whether_the_standard_governs_it(people, client_for):
    version(people, teams_may_lead_own=False)
    html = client_for("alice").get("/teams/payments/process").content.decode()
    assert "standard process</a> (version 1) sets which incidents need a retrospective" in html
    own_process(people)
    version(people, teams_may_lead_own=True, reason="Teams know their pace.")
    assert "This team leads its own process" in client_for("alice").get("/teams/payments/process").content.decode()
