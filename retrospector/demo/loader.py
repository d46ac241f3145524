"""Load the demo organization from demo.yaml (written in our own words)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone

from retrospector.accounts.models import Membership, Organization, User
from retrospector.accounts.services import organization_create, team_create
from retrospector.actions.findings import finding_create
from retrospector.actions.models import Recommendation, RecommendationChange
from retrospector.actions.services import (
    recommendation_create,
    recommendation_link,
    recommendation_update,
    set_aside_create,
)
from retrospector.incidents.models import Incident, SeverityLevel
from retrospector.incidents.services import incident_create, severity_levels_ensure_defaults
from retrospector.meetings.approval import APPROVED_NOTE, ApprovalClearance
from retrospector.notifications.models import Notification
from retrospector.reviews.models import Step
from retrospector.reviews.org_process import process_version_create
from retrospector.reviews.process import (
    deadlines_refresh,
    process_settings_save,
    retrospective_assign,
    review_transition,
)
from retrospector.reviews.survey import survey_answer
from retrospector.writeups.models import Section, Template
from retrospector.writeups.services import retrospective_start, retrospective_transition, section_save

DEMO_FILE = Path(__file__).parent / "demo.yaml"
DEMO_PASSWORD = "retrospector"
# Section bodies write dates as {{date:N}}: the load day plus N days, so the demo never goes stale.
RELATIVE_DATE = re.compile(r"\{\{date:([+-]?\d+)\}\}")
STATE_PATH = {
    "draft": [],
    "in_review": ["in_review"],
    "meeting": ["in_review", "meeting"],
    "approved": ["in_review", "meeting", "approved"],
    "done": ["in_review", "meeting", "done"],  # approved and published in one step (meetings.approval)
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
            username=u["username"],
            email=u.get("email", ""),
            full_name=u.get("full_name", ""),
            time_zone=u.get("time_zone", "UTC"),
            is_org_admin=bool(u.get("org_admin")),
            organization=organization,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        users[user.username] = user
    teams = {}
    for t in data["teams"]:
        team = team_create(
            organization=organization, name=t["name"], slug=t["slug"], description=t.get("description", "")
        )
        Membership.objects.bulk_create(
            Membership(team=team, user=users[name], role=role) for name, role in t["members"].items()
        )
        teams[team.slug] = team
        if t.get("process"):
            _load_process(team, t["process"], by=next(u for u in users.values() if u.is_org_admin), now=now)
    severities = {s.key: s for s in SeverityLevel.objects.filter(organization=organization)}
    admin = next(u for u in users.values() if u.is_org_admin)
    for spec in data.get("process_versions", []):
        process_version_create(
            organization=organization,
            by=admin,
            reason=spec["reason"],
            severities_requiring=spec["severities_requiring"],
            offsets={step: spec["days"][step] for step in spec["days"]},
            teams_may_lead_own=spec.get("teams_may_lead_own", True),
        )
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
            by=admin,
            team=teams[item["team"]],
            title=item["title"],
            severity=severities[item["severity"]],
            started_at=started,
            summary=item.get("summary", ""),
            status=item.get("status", "open"),
            visibility=item.get("visibility", "organization"),
            services=item.get("services", []),
            responders=[users[n] for n in item.get("responders", [])],
            invitees=[users[n] for n in item.get("invitees", [])],
            links=item.get("links", []),
            **moments,
        )
        counts["incidents"] += 1
        events = _load_timeline(
            incident, item.get("timeline_events", []), by=_recorder(incident, admin), day=started_day
        )
        counts["timeline_events"] = counts.get("timeline_events", 0) + len(item.get("timeline_events", []))
        retro = item.get("retrospective")
        if not retro:
            continue
        owner = users[retro["owner"]]
        retrospective = retrospective_start(
            incident=incident,
            template=builtin[retro["template"]],
            by=admin,
            owner=owner,
            shadow=users.get(retro.get("shadow")) if retro.get("shadow") else None,
            due_at=(started + timedelta(days=7)).date(),
        )
        bodies = retro.get("sections", {})
        for section in Section.objects.filter(retrospective=retrospective, key__in=bodies):
            body = RELATIVE_DATE.sub(
                lambda m: (now.date() + timedelta(days=int(m.group(1)))).isoformat(), bodies[section.key]
            ).strip("\n")
            section_save(section=section, body=body, base_version=section.version, by=owner, note="Demo content")
        if retro.get("reverse_shadow"):
            retrospective_assign(
                retrospective=retrospective,
                owner=owner,
                shadow=retrospective.shadow,
                reverse_shadow=users[retro["reverse_shadow"]],
                by=admin,
            )
        _load_accounts(retrospective, retro, users=users, events=events)
        _load_actions(retrospective, retro, users=users, now=now)
        if retro.get("review_by"):
            # A review under way: moved by a person of the team through the review's own rules, who are notified
            # as they would be (reviewers asked, the people taking part told of each move).
            mover = users[retro["review_by"]]
            for state in STATE_PATH[retro.get("state", "draft")]:
                retrospective = review_transition(retrospective=retrospective, to_state=state, by=mover)
        else:
            # A review finished long ago: its history without notifying anyone today.
            # Its approval is history too: recorded as the final approval records it, without checking it again.
            for state in STATE_PATH[retro.get("state", "draft")]:
                retrospective = retrospective_transition(
                    retrospective=retrospective,
                    to_state=state,
                    by=admin,
                    note=APPROVED_NOTE if state == "done" else "",
                    clearance=ApprovalClearance(retrospective.pk) if state == "done" else None,
                )
        _load_discussion(retrospective, retro, users=users, events=events)
        for answer in retro.get("survey", []):
            survey_answer(
                retrospective=retrospective,
                by=users[answer["by"]],
                useful=answer["useful"],
                fair=answer["fair"],
                change=answer.get("change", ""),
            )
        # Its deadlines from the team's process (the steps its state has passed are done).
        deadlines_refresh(retrospective)
        counts["retrospectives"] += 1
    # The demo's people have made-up addresses: what loading it announced shows in the app, and is never mailed.
    Notification.objects.filter(email=Notification.Email.PENDING).update(email=Notification.Email.SKIPPED)
    counts["users"] = len(users)
    counts["teams"] = len(teams)
    counts["admin"] = admin.username
    return counts


def _load_actions(retrospective, retro: dict, *, users: dict, now: datetime) -> None:
    """Its findings, the recommendations traced to them (new, or already called for by an earlier retrospective) and
    the proposals set aside, written by the owner through the services; then their history is moved back in time
    (`created_days_ago`), as if they had been tracked for weeks."""
    owner = retrospective.owner
    findings = {
        spec["key"]: finding_create(
            retrospective=retrospective, by=owner, text=spec["text"], section_key=spec["section"], kind=spec["kind"]
        )
        for spec in retro.get("findings", [])
    }
    today = now.date()
    for spec in retro.get("link_recommendations", []):
        recommendation = Recommendation.objects.get(
            organization_id=retrospective.incident.organization_id, title=spec["title"]
        )
        recommendation_link(
            recommendation=recommendation,
            retrospective=retrospective,
            by=owner,
            findings=[findings[key] for key in spec.get("traces", [])],
        )
    for spec in retro.get("recommendations", []):
        days = spec.get("moved_from_days", spec.get("due_days"))
        recommendation = recommendation_create(
            retrospective=retrospective,
            by=owner,
            title=spec["title"],
            description=spec.get("description", ""),
            definition_of_done=spec.get("definition_of_done", ""),
            kind=spec["kind"],
            owner=users[spec["owner"]] if spec.get("owner") else None,
            priority=spec["priority"],
            commitment_date=today + timedelta(days=max(days, 0)) if days is not None else None,
            findings=[findings[key] for key in spec.get("traces", [])],
        )
        if spec.get("moved_from_days") is not None:
            recommendation = recommendation_update(
                recommendation=recommendation,
                by=users[spec["owner"]],
                changes={"commitment_date": today + timedelta(days=spec["due_days"])},
                reason=spec["moved_reason"],
            )
        status = spec.get("status", Recommendation.Status.PLANNED)
        if status == Recommendation.Status.DONE and recommendation.status != status:
            recommendation = recommendation_update(
                recommendation=recommendation,
                by=recommendation.owner,
                changes={"status": Recommendation.Status.IN_PROGRESS},
            )
        if status != recommendation.status:
            recommendation = recommendation_update(
                recommendation=recommendation,
                by=recommendation.owner or owner,
                changes={"status": status},
                reason=spec.get("reason", ""),
            )
        _backdate(recommendation, spec, now=now)
    for spec in retro.get("set_aside", []):
        set_aside_create(retrospective=retrospective, by=owner, title=spec["title"], reason=spec["reason"])


def _backdate(recommendation: Recommendation, spec: dict, *, now: datetime) -> None:
    """Spread a demo recommendation's history over the weeks since `created_days_ago`, its commitment date at
    `due_days` (which may be past: an overdue or a late one is what the tracking pages are for)."""
    if not spec.get("created_days_ago"):
        return
    created = now - timedelta(days=spec["created_days_ago"])
    changes = list(RecommendationChange.objects.filter(recommendation=recommendation).order_by("pk"))
    step = timedelta(days=spec["created_days_ago"]) / (len(changes) + 1)
    for n, change in enumerate(changes):
        RecommendationChange.objects.filter(pk=change.pk).update(at=created + step * n)
    closed = created + step * len(changes) if recommendation.closed_at else None
    due = spec.get("due_days")
    Recommendation.objects.filter(pk=recommendation.pk).update(
        created_at=created,
        closed_at=closed,
        commitment_date=(now.date() + timedelta(days=due)) if due is not None else None,
    )


def _load_accounts(retrospective, retro: dict, *, users: dict, events: dict) -> None:
    """Accounts asked for and written, before the review is sent (an account names its events by their "at")."""
    from retrospector.notifications.models import Kind
    from retrospector.notifications.selectors import notifications_of
    from retrospector.notifications.services import notification_open
    from retrospector.reviews.responder_accounts import account_request_create, account_write

    asked = retro.get("account_requests")
    if asked:
        account_request_create(
            retrospective=retrospective,
            responders=[users[name] for name in asked["people"]],
            by=users[asked["by"]],
            message=asked.get("message", ""),
        )
    for account in retro.get("accounts", []):
        author = users[account["author"]]
        # They wrote it from the request they were sent: that notification is read.
        for notification in notifications_of(author, unread=True).filter(
            retrospective=retrospective, kind=Kind.ACCOUNT_REQUESTED
        ):
            notification_open(notification=notification, by=author)
        account_write(
            retrospective=retrospective,
            body=account["body"].strip("\n"),
            by=author,
            event_ids=[events[at] for at in account.get("events", [])],
        )


def _load_discussion(retrospective, retro: dict, *, users: dict, events: dict) -> None:
    """Discussion questions (asked by the owner) and feedback threads: replies, a section changed after a comment,
    resolutions. Mentions and replies notify people as on the page."""
    from retrospector.reviews.models import Account
    from retrospector.reviews.questions import question_add
    from retrospector.reviews.threads import comment_add, thread_resolve, thread_start
    from retrospector.writeups.models import Section

    accounts = {a.author.username: a.pk for a in Account.objects.filter(retrospective=retrospective)}
    for question in retro.get("questions", []):
        question_add(
            retrospective=retrospective,
            text=question["text"],
            by=retrospective.owner,
            event_ids=[events[at] for at in question.get("events", [])],
            account_ids=[accounts[name] for name in question.get("accounts", [])],
            accounts_differ=bool(question.get("accounts_differ")),
        )
    for spec in retro.get("threads", []):
        thread = thread_start(
            retrospective=retrospective,
            section=spec["section"],
            kind=spec["kind"],
            body=spec["body"].strip("\n"),
            quote=spec.get("quote", ""),
            by=users[spec["by"]],
        ).thread
        for reply in spec.get("replies", []):
            comment_add(thread=thread, body=reply["body"].strip("\n"), by=users[reply["by"]])
        if edit := spec.get("edit"):
            section = Section.objects.get(retrospective=retrospective, key=spec["section"])
            if edit["old"] not in section.body:
                raise ValueError(f"demo.yaml: {edit['old']!r} is not in the section {spec['section']!r}")
            section_save(
                section=section,
                body=section.body.replace(edit["old"], edit["new"]),
                base_version=section.version,
                by=users[edit["by"]],
                note="After review feedback",
            )
        if resolve := spec.get("resolve"):
            thread_resolve(
                thread=thread, resolution=resolve["as"], note=resolve.get("note", ""), by=users[resolve["by"]]
            )


def _load_process(team, spec: dict, *, by: User, now: datetime) -> None:
    """A team's review process; holidays are given in days from the load day, so the demo never goes stale."""
    days = spec.get("days", {})
    process_settings_save(
        team=team,
        severities_requiring=spec.get("severities_requiring", []),
        time_zone=spec.get("time_zone", "UTC"),
        working_days=spec.get("working_days", [1, 2, 3, 4, 5]),
        holidays=[(now + timedelta(days=n)).date() for n in spec.get("holidays_days_from_now", [])],
        offsets={step: days[step.value] for step in Step},
        by=by,
    )


def _recorder(incident, admin) -> User:
    """Who records the demo timeline: the first responder who may edit it, else the organization admin."""
    from retrospector.incidents.selectors import can_edit_incident

    return next((u for u in incident.responders.order_by("pk") if can_edit_incident(u, incident)), admin)


SOURCE_ACTOR_KINDS = {"slack": "person", "manual": "person", "github": "bot"}  # otherwise "system"
DEFAULT_KINDS = {
    "slack": "message",
    "pagerduty": "page",
    "alertmanager": "alert_firing",
    "grafana": "alert_firing",
    "github": "deploy",
    "jsonl": "log",
    "manual": "note",
}
DEMO_FILES = {
    "slack": "inc-channel-export.zip",
    "pagerduty": "log_entries.json",
    "alertmanager": "alertmanager.json",
    "grafana": "grafana-alerts.json",
    "github": "deployments.json",
    "jsonl": "failover-controller.log",
}


def _load_timeline(incident: Incident, items: list[dict], *, by: User, day) -> dict[str, int]:
    """An incident's demo timeline, through the same services as real use: one import per source (undoable on the
    page), events typed by hand, then key events, hidden noise and milestones set from events. Returns the events'
    ids by their "at" (as written in demo.yaml), for the accounts and questions that name them."""
    from retrospector.importers.base import ParsedEvent
    from retrospector.timeline.models import TimelineEvent
    from retrospector.timeline.services import event_add, events_bulk, milestone_set_from_event, timeline_import

    if not items:
        return {}

    def moment(text: str) -> datetime:
        parts = [int(x) for x in text.split(":")]
        return datetime.combine(day, time(*parts), tzinfo=UTC)

    channel = f"inc-{incident.pk}"
    by_source: dict[str, list] = {}
    refs: list[tuple[dict, object]] = []  # (item, the event's id if typed by hand, else its (source type, source ref))
    for item in items:
        source, at = item["source"], moment(item["at"])
        if source == "manual":
            event = event_add(
                incident=incident,
                by=by,
                occurred_at=at,
                text=item["text"],
                actor=item.get("actor", ""),
                actor_kind=item.get("actor_kind", "person"),
                kind=item.get("kind", "note"),
                source_url=item.get("url", ""),
                original_time=f"{item['at']} UTC",
                original_offset_minutes=0,
            )
            refs.append((item, event.pk))
            continue
        ts = f"{at.timestamp():.6f}"
        ref = item.get("ref") or (f"C{incident.pk:04d}/{ts}" if source == "slack" else f"{source}-{item['at']}")
        parent = f"C{incident.pk:04d}/{moment(item['parent_at']).timestamp():.6f}" if item.get("parent_at") else ""
        by_source.setdefault(source, []).append(
            ParsedEvent(
                occurred_at=at,
                original_time=ts if source == "slack" else at.isoformat().replace("+00:00", "Z"),
                original_offset_minutes=None if source == "slack" else 0,
                actor=item.get("actor", ""),
                actor_kind=item.get("actor_kind", SOURCE_ACTOR_KINDS.get(source, "system")),
                kind=item.get("kind", DEFAULT_KINDS[source]),
                text=item["text"],
                source_type=source,
                source_ref=ref,
                source_url=item.get("url", ""),
                channel=channel if source == "slack" else "",
                parent_ref=parent,
                key_candidate=bool(item.get("pinned")),
            )
        )
        refs.append((item, (source, ref)))
    for source, events in by_source.items():
        timeline_import(incident=incident, by=by, source_type=source, file_name=DEMO_FILES[source], events=events)

    imported = {
        (source, ref): pk
        for pk, source, ref in TimelineEvent.objects.filter(incident=incident)
        .exclude(source_type="manual")
        .values_list("pk", "source_type", "source_ref")
    }
    ids = [(item, imported[ref] if isinstance(ref, tuple) else ref) for item, ref in refs]
    for flag, action in (("key", "key"), ("hidden", "hide")):
        chosen = [pk for item, pk in ids if item.get(flag)]
        if chosen:
            events_bulk(incident=incident, by=by, event_ids=chosen, action=action)
    for item, pk in ids:
        if item.get("milestone"):  # read afresh: the bulk changes above are in the database, not in any instance
            milestone_set_from_event(event=TimelineEvent.objects.get(pk=pk), by=by, moment=f"{item['milestone']}_at")
    return {item["at"]: pk for item, pk in ids}
