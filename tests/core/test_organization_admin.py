import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.accounts.models import User
from retrospector.incidents.models import SeverityLevel
from retrospector.incidents.services import severity_levels_save


def test_an_org_admin_adds_a_person_with_a_checked_password(client_for, people):
    client = client_for("oscar")
    weak = client.post("/people/", {"action": "create", "username": "fay", "password": "short", "time_zone": "UTC"})
    assert "too short" in weak.content.decode()
    assert not User.objects.filter(username="fay").exists()
    ok = client.post(
        "/people/", {"action": "create", "username": "fay", "password": "lantern-orbit-92", "time_zone": "Europe/Paris"}
    )
    assert ok.status_code == 302
    fay = User.objects.get(username="fay")
    assert fay.organization == people["oscar"].organization and fay.check_password("lantern-orbit-92")


def test_only_org_admins_see_the_people_page(client_for):
    assert client_for("alice").get("/people/").status_code == 403
    assert client_for("oscar").get("/people/").status_code == 200


def test_a_deactivated_person_cannot_log_in(client_for, client, people):
    client_for("oscar").post("/people/", {"action": "deactivate", "user": people["bob"].pk})
    people["bob"].refresh_from_db()
    assert not people["bob"].is_active
    assert (
        client.post("/login/", {"username": "bob", "password": "pw"}).status_code == 200
    )  # the form again, not a redirect


def test_an_admin_cannot_demote_themselves(client_for, people):
    client_for("oscar").post("/people/", {"action": "remove_admin", "user": people["oscar"].pk})
    people["oscar"].refresh_from_db()
    assert people["oscar"].is_org_admin


def test_severity_levels_are_configurable_but_used_ones_stay(make_incident, people):
    org = people["payments"].organization
    make_incident(severity="SEV4")
    levels = [
        {"key": "P1", "name": "Page now"},
        {"key": "sev2", "name": "Major"},
        {"key": "SEV3", "name": "Minor"},
        {"key": "SEV4", "name": "Low"},
    ]
    severity_levels_save(organization=org, levels=levels, by=people["oscar"])
    assert list(SeverityLevel.objects.filter(organization=org).values_list("key", "rank")) == [
        ("P1", 1),
        ("SEV2", 2),
        ("SEV3", 3),
        ("SEV4", 4),
    ]
    with pytest.raises(ValidationError, match="SEV4 is used by 1 incident"):
        severity_levels_save(organization=org, levels=levels[:3], by=people["oscar"])
    with pytest.raises(PermissionDenied):
        severity_levels_save(organization=org, levels=levels, by=people["alice"])


def test_the_owner_can_be_reassigned(make_incident, make_retrospective, client_for, people):
    retro = make_retrospective(make_incident())
    response = client_for("bob").post(
        f"/retrospectives/{retro.pk}/assign", {"owner": people["charlie"].pk, "shadow": people["bob"].pk}
    )
    assert response.status_code == 302
    retro.refresh_from_db()
    assert (retro.owner, retro.shadow) == (people["charlie"], people["bob"])
    assert client_for("dana").get(f"/retrospectives/{retro.pk}/assign").status_code == 403


def test_init_sets_up_an_empty_installation(db, monkeypatch):
    import io

    from django.core.management import call_command

    monkeypatch.setenv("RETROSPECTOR_ADMIN_PASSWORD", "harbour-lights-77")
    out = io.StringIO()
    call_command("init", "--org", "Acme Corp", "--admin", "root", "--team", "SRE", stdout=out)
    admin = User.objects.get(username="root")
    assert admin.is_org_admin and admin.organization.name == "Acme Corp"
    assert admin.memberships.get().role == "admin"
    assert SeverityLevel.objects.filter(organization=admin.organization).count() == 4
