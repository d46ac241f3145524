import io

import pytest
from django.core.management import CommandError, call_command

from retrospector.accounts.models import ApiToken, User
from retrospector.accounts.services import token_authenticate
from retrospector.incidents.models import Incident
from retrospector.writeups.models import Retrospective


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_demo_loads_into_an_empty_database(db):
    out, _ = run("demo")
    assert "Log in as 'alice'" in out
    assert Incident.objects.count() == 12
    assert Incident.objects.filter(visibility="private").count() == 1
    assert User.objects.filter(is_org_admin=True).exists()
    templates_used = set(Retrospective.objects.values_list("template_version__template__key", flat=True))
    assert templates_used == {"learning-review", "meeting-agenda", "postmortem", "systems-analysis", "incident-review"}
    assert Retrospective.objects.filter(state="done").count() >= 3
    assert "{{date:" not in "".join(
        Retrospective.objects.values_list("sections__body", flat=True).exclude(sections__body=None)
    )


def test_the_demo_timelines_are_curated_like_real_ones(db):
    from retrospector.timeline.models import ImportRecord, TimelineEvent
    from retrospector.timeline.selectors import timeline_summary

    out, _ = run("demo")
    assert "timeline events" in out
    incident = Incident.objects.get(title__startswith="Primary database failover stalled")
    events = TimelineEvent.objects.filter(incident=incident)
    assert {"slack", "pagerduty", "grafana", "alertmanager", "github", "jsonl", "manual"} == set(
        events.values_list("source_type", flat=True)
    )
    assert ImportRecord.objects.filter(incident=incident).count() == 6  # one import per source, each undoable
    assert events.filter(key_event=True).count() >= 5 and events.filter(hidden=True).count() == 1
    assert events.exclude(parent_ref="").count() == 2 and events.filter(key_candidate=True).exists()
    for moment in ("detected", "acknowledged", "mitigated", "resolved"):
        (tagged,) = [e for e in events if f"milestone:{moment}" in e.tags]
        assert tagged.occurred_at == getattr(incident, f"{moment}_at")  # the incident's durations come from its events
    assert [f.check for f in timeline_summary(incident).findings] == ["no-source"]  # one event typed without a link


# --force flushes the database, which PostgreSQL refuses inside a test's transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("builtin_templates_put_back")
def test_the_demo_refuses_a_database_with_data_unless_forced():
    run("demo")
    with pytest.raises(CommandError, match="not empty"):
        run("demo")
    out, _ = run("demo", "--if-empty")
    assert "already has data" in out
    run("demo", "--force")
    assert Incident.objects.count() == 12


def test_token_create_prints_a_working_token_once(people):
    out, err = run("token", "create", "bob", "--name", "ci")
    raw = out.strip()
    assert raw.startswith("rtr_")
    assert "not shown again" in err
    token = ApiToken.objects.get(user=people["bob"])
    assert raw not in (token.digest, token.prefix) and token.digest != raw
    assert token_authenticate(raw=raw) == people["bob"]
    with pytest.raises(CommandError):
        run("token", "create", "nobody")


def test_pages_carry_security_headers(client_for):
    response = client_for("alice").get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


SITE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],  # other hosts only when the organization allows them
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def directives(header: str) -> dict[str, list[str]]:
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in parts}


def test_every_kind_of_response_carries_the_site_policy(client, client_for, people):
    from retrospector.accounts.services import token_create

    _, raw = token_create(user=people["alice"], name="csp")
    responses = {
        "page": client_for("alice").get("/"),
        "login page": client.get("/login/"),
        "redirect": client.get("/incidents/"),
        "404 page": client_for("alice").get("/incidents/999999/"),
        "API": client.get("/api/v1/incidents", HTTP_AUTHORIZATION=f"Bearer {raw}"),
        "API error": client.get("/api/v1/incidents"),
    }
    assert [r.status_code for r in responses.values()] == [200, 200, 302, 404, 200, 401]
    for name, response in responses.items():
        assert directives(response["Content-Security-Policy"]) == SITE_POLICY, name


def test_pages_ask_anonymous_visitors_to_log_in(client):
    response = client.get("/incidents/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_logging_in_with_the_form(client, people):
    response = client.post("/login/", {"username": "bob", "password": "pw"})
    assert response.status_code == 302
    assert "Hello, Bob" in client.get("/").content.decode()


def test_the_home_page_lists_my_retrospectives_and_recent_incidents(
    make_incident, make_retrospective, client_for, people
):
    incident = make_incident(title="Webhook deliveries delayed")
    make_retrospective(incident, by=people["alice"])
    page = client_for("alice").get("/").content.decode()
    assert "Webhook deliveries delayed" in page
    assert "Retrospective: Webhook deliveries delayed" in page
    empty = client_for("erin").get("/").content.decode()
    assert "Nothing assigned to you" in empty


def test_the_home_page_and_the_retrospective_count_written_sections_alike(
    make_incident, make_retrospective, client_for, people
):
    import re

    from retrospector.writeups.services import section_save

    retrospective = make_retrospective(make_incident(title="Webhook deliveries delayed"), by=people["alice"])
    sections = list(retrospective.sections.all())
    starters = [s for s in sections if s.body.strip()]
    assert starters, "the postmortem template starts some sections with a table to fill"

    def counts():
        home = client_for("alice").get("/").content.decode()
        detail = client_for("alice").get(f"/retrospectives/{retrospective.pk}/").content.decode()
        on_home = re.search(r"(\d+)/(\d+) sections", home).groups()
        on_page = re.search(r"(\d+) of (\d+) sections written", detail).groups()
        return on_home, on_page

    assert counts() == (("0", str(len(sections))), ("0", str(len(sections))))  # a starter table is not writing
    section_save(
        section=starters[0],
        body=starters[0].body + "\n| 14:00 | Errors begin |",
        base_version=starters[0].version,
        by=people["alice"],
    )
    plain = next(s for s in sections if not s.body.strip())
    section_save(section=plain, body="The queue backed up.", base_version=plain.version, by=people["alice"])
    assert counts() == (("2", str(len(sections))), ("2", str(len(sections))))


def test_the_retrospector_command_runs_management_commands(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "retrospector", "help", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"RETROSPECTOR_TESTING": "1", "PATH": "/usr/bin:/bin", "RETROSPECTOR_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "--force" in result.stdout


def test_unknown_api_paths_answer_in_json(client_for):
    response = client_for("alice").get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No API endpoint")


def test_a_write_to_an_address_the_api_does_not_have_answers_in_json_too():
    """Not the CSRF check's HTML page: a path id that is not a number (/incidents/false/...) matches no operation."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/incidents/false/events/null", "{}", content_type="application/json")
        assert response.status_code == 404, method
        assert response.json()["detail"].startswith("No API endpoint")


def test_a_user_outside_any_organization_is_told_how_to_join(db, client):
    from retrospector.accounts.models import User

    loner = User.objects.create_user(username="root", password="harbour-lights-77")
    client.force_login(loner)
    page = client.get("/").content.decode()
    assert "not in an organization yet" in page
