"""Load the demo organization from demo.yaml (written in our own words)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
import re
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone

from retrospector.accounts.models import Membership, Organization, User
from retrospector.accounts.services import organization_create, team_create
from retrospector.incidents.models import Incident, SeverityLevel
from retrospector.incidents.services import incident_create, severity_levels_ensure_defaults
from retrospector.writeups.markdown import render_markdown
from retrospector.writeups.models import Retrospective, Revision, Section, Template
from retrospector.writeups.services import retrospective_start, retrospective_transition

DEMO_FILE = Path(__file__).parent / "demo.yaml"
DEMO_PASSWORD = "retrospector"
# Section bodies write dates as {{date:N}}: the load day plus N days, so the demo never goes stale.
RELATIVE_DATE = re.compile(r"\{\{date:([+-]?\d+)\}\}")
STATE_PATH = {
    "draft": [],
    "in_review": ["in_review"],
    "approved": ["in_review", "approved"],
    "done": ["in_review", "approved", "done"],
}


def database_is_empty() -> bool:
    return not (Organization.objects.exists() or Incident.objects.exists() or User.objects.exists())


@transaction.atomic
def load_demo(*, now: datetime | None = None, path: Path = DEMO_FILE) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    now = now or timezone.now()
    org_data = data["organization"]
    organization = organization_create(name=org_data["name"], slug=org_data["slug"])
    severity_levels_ensure_defaults(organization=organization)
    users = {}
    for u in data["users"]:
        user = User(
            username=u["username"], email=u.get("email", ""), full_name=u.get("full_name", ""),
            time_zone=u.get("time_zone", "UTC"), is_org_admin=bool(u.get("org_admin")), organization=organization,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        users[user.username] = user
    teams = {}
    for t in data["teams"]:
        team = team_create(organization=organization, name=t["name"], slug=t["slug"], description=t.get("description", ""))
        Membership.objects.bulk_create(
            Membership(team=team, user=users[name], role=role) for name, role in t["members"].items()
        )
        teams[team.slug] = team
    severities = {s.key: s for s in SeverityLevel.objects.filter(organization=organization)}
    admin = next(u for u in users.values() if u.is_org_admin)
    builtin = {t.key: t for t in Template.objects.filter(organization__isnull=True)}
    counts = {"incidents": 0, "retrospectives": 0}
    for item in data["incidents"]:
        started_day = (now - timedelta(days=item["started"]["days_ago"])).date()
        hh, mm = (int(x) for x in item["started"]["time"].split(":"))
        started = datetime.combine(started_day, time(hh, mm), tzinfo=UTC)
        moments = {
            f"{name}_at": started + timedelta(minutes=item[f"{name}_after_min"])
            for name in ("detected", "acknowledged", "mitigated", "resolved")
            if item.get(f"{name}_after_min") is not None
        }
        incident = incident_create(
            by=admin, team=teams[item["team"]], title=item["title"], severity=severities[item["severity"]],
            started_at=started, summary=item.get("summary", ""), status=item.get("status", "open"),
            visibility=item.get("visibility", "organization"), services=item.get("services", []),
            responders=[users[n] for n in item.get("responders", [])],
            invitees=[users[n] for n in item.get("invitees", [])],
            links=item.get("links", []), **moments,
        )
        counts["incidents"] += 1
        retro = item.get("retrospective")
        if not retro:
            continue
        owner = users[retro["owner"]]
        retrospective = retrospective_start(
            incident=incident, template=builtin[retro["template"]], by=admin, owner=owner,
            shadow=users.get(retro.get("shadow")) if retro.get("shadow") else None,
            due_at=(started + timedelta(days=7)).date(),
        )
        bodies = retro.get("sections", {})
        sections = list(Section.objects.filter(retrospective=retrospective, key__in=bodies))
        for section in sections:
            section.body = RELATIVE_DATE.sub(
                lambda m: (now.date() + timedelta(days=int(m.group(1)))).isoformat(), bodies[section.key]
            ).strip("\n")
            section.html = render_markdown(section.body)
            section.version = 2
            section.updated_by = owner
        Section.objects.bulk_update(sections, ["body", "html", "version", "updated_by"])
        Revision.objects.bulk_create(
            Revision(section=s, version=2, body=s.body, created_by=owner, note="Demo content") for s in sections
        )
        for state in STATE_PATH[retro.get("state", "draft")]:
            retrospective = retrospective_transition(retrospective=retrospective, to_state=state, by=admin)
        counts["retrospectives"] += 1
    counts["users"] = len(users)
    counts["teams"] = len(teams)
    counts["admin"] = admin.username
    return counts


def retrospectives_done_count() -> int:
    return Retrospective.objects.filter(state=Retrospective.State.DONE).count()
