from datetime import timedelta

import pytest
from conftest import START
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.core.errors import ConflictError
from retrospector.incidents.models import Incident, SeverityLevel
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.incidents.services import incident_create, incident_update


def test_an_organization_starts_with_four_severity_levels(org):
    assert list(SeverityLevel.objects.filter(organization=org).values_list("key", flat=True)) == [
        "SEV1",
        "SEV2",
        "SEV3",
        "SEV4",
    ]


def test_it_derives_durations_from_key_moments(make_incident):
    incident = make_incident(
        acknowledged_at=START + timedelta(minutes=9),
        mitigated_at=START + timedelta(minutes=41),
        resolved_at=START + timedelta(hours=2),
    )
    assert incident.time_to_detect == timedelta(minutes=5)
    assert incident.time_to_acknowledge == timedelta(minutes=9)
    assert incident.time_to_mitigate == timedelta(minutes=41)
    assert incident.time_to_resolve == timedelta(hours=2)


def test_it_refuses_a_resolution_before_the_start(make_incident):
    with pytest.raises(ValidationError) as excinfo:
        make_incident(detected_at=None, resolved_at=START - timedelta(minutes=1))
    assert "resolved_at" in excinfo.value.error_dict
    assert "cannot be before started" in excinfo.value.error_dict["resolved_at"][0].messages[0]


def test_it_refuses_moments_out_of_order_on_update(make_incident, people):
    incident = make_incident()
    with pytest.raises(ValidationError) as excinfo:
        incident_update(incident=incident, by=people["alice"], acknowledged_at=START + timedelta(minutes=1))
    assert "acknowledged_at" in excinfo.value.error_dict
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_it_refuses_a_stale_incident_edit(make_incident, people):
    incident = make_incident()
    incident_update(incident=incident, by=people["bob"], base_version=1, title="Checkout errors for EU cards")
    with pytest.raises(ConflictError) as excinfo:
        incident_update(incident=incident, by=people["alice"], base_version=1, title="Something else")
    assert excinfo.value.current.title == "Checkout errors for EU cards"
    incident.refresh_from_db()
    assert incident.title == "Checkout errors for EU cards"
    assert incident.version == 2


def test_viewers_and_other_teams_cannot_record_incidents(people):
    severity = SeverityLevel.objects.get(key="SEV3", organization=people["payments"].organization)
    for name in ("dana", "charlie", "erin"):
        with pytest.raises(PermissionDenied):
            incident_create(by=people[name], team=people["payments"], title="x", severity=severity, started_at=START)
    assert not Incident.objects.exists()


def test_services_are_tags_shared_across_incidents(make_incident):
    first = make_incident(services=["Checkout-API", "postgres"])
    second = make_incident(services=["checkout-api"])
    assert sorted(s.name for s in first.services.all()) == ["checkout-api", "postgres"]
    assert first.services.get(name="checkout-api") == second.services.get()


def test_a_private_incident_is_seen_by_its_team_and_invitees_only(make_incident, people):
    incident = make_incident(visibility="private")
    seen_by = {
        name
        for name in ("alice", "bob", "dana", "charlie", "erin", "oscar")
        if incidents_visible_to(people[name]).filter(pk=incident.pk).exists()
    }
    assert seen_by == {"alice", "bob", "dana", "oscar"}
    incident_update(incident=incident, by=people["alice"], invitees=[people["erin"]])
    assert incidents_visible_to(people["erin"]).filter(pk=incident.pk).exists()
    assert not incidents_visible_to(people["charlie"]).filter(pk=incident.pk).exists()


def test_the_form_reads_times_in_the_viewers_time_zone(client_for, people):
    people["alice"].time_zone = "Asia/Kolkata"
    people["alice"].save()
    client = client_for("alice")
    response = client.post(
        "/incidents/new",
        {
            "title": "Search timeouts",
            "team": people["payments"].pk,
            "severity": SeverityLevel.objects.get(key="SEV3").pk,
            "status": "open",
            "visibility": "organization",
            "started_at": "2026-05-04T19:30",
            "detected_at": "2026-05-04T19:45",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(title="Search timeouts")
    assert incident.started_at == START  # 19:30 in Kolkata is 14:00 UTC
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "2026-05-04 19:30" in page
    assert "15 min" in page


def test_the_form_names_the_field_of_an_out_of_order_moment(client_for, people):
    response = client_for("alice").post(
        "/incidents/new",
        {
            "title": "Search timeouts",
            "team": people["payments"].pk,
            "severity": SeverityLevel.objects.get(key="SEV3").pk,
            "status": "open",
            "visibility": "organization",
            "started_at": "2026-05-04T19:30",
            "resolved_at": "2026-05-04T18:00",
        },
    )
    assert response.status_code == 200
    assert "Resolved (2026-05-04 18:00) cannot be before started" in response.content.decode()
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "when, zone", [("9999-12-31T23:59", "Pacific/Pago_Pago"), ("0001-01-01T00:00", "Pacific/Kiritimati")]
)
def test_a_moment_at_the_calendars_ends_is_refused_on_its_field_not_a_500(people, client_for, when, zone):
    bob = people["bob"]
    bob.time_zone = zone
    bob.save()
    severity = SeverityLevel.objects.get(organization=bob.organization, key="SEV2")
    form = {"title": "Far out", "team": people["payments"].pk, "severity": severity.pk, "status": "open"}
    response = client_for("bob").post("/incidents/new", form | {"visibility": "organization", "started_at": when})
    assert response.status_code == 200
    assert "too close to the ends of the calendar" in response.context["form"].errors["started_at"][0]
    assert not Incident.objects.filter(title="Far out").exists()
