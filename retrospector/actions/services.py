"""Writes of recommendations: every change is recorded (who, when, what, why) and announced.

The rules a change must follow live here once, for the pages, the API, the CLI and the trackers' sync:
* a new commitment date is never in the past;
* moving an existing commitment date, or dropping a recommendation, needs a reason;
* done or dropped sets `closed_at`; reopening clears it;
* a save based on an older version is refused (ConflictError) unless it comes from a tracker, which wins on the
  fields it owns (status) because its change already happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retrospector.accounts.models import Team, User
from retrospector.actions.events import event_emit
from retrospector.actions.models import (
    DEFAULT_PRIORITIES,
    ActionSettings,
    Finding,
    Recommendation,
    RecommendationChange,
    RecommendationLink,
    Trace,
)
from retrospector.core.errors import ConflictError, locked
from retrospector.incidents.models import Incident
from retrospector.writeups.models import Retrospective

# The fields a change may touch, in the order the history shows them.
EDITABLE = (
    "title",
    "description",
    "definition_of_done",
    "kind",
    "owner",
    "team",
    "priority",
    "commitment_date",
    "status",
)
Source = RecommendationChange.Source


def priorities_of(organization_id: int) -> list[str]:
    settings_row = ActionSettings.objects.filter(organization_id=organization_id).first()
    return (settings_row.priorities if settings_row and settings_row.priorities else None) or list(DEFAULT_PRIORITIES)


def today() -> dt.date:
    return timezone.localdate(timezone.now(), dt.UTC)


def _plain(value):
    """A field's value as the history stores it (JSON): people and teams by id, dates as ISO text."""
    if isinstance(value, (User, Team)):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _check(recommendation: Recommendation, changes: dict, *, reason: str, creating: bool) -> None:
    errors: dict[str, str] = {}
    if "title" in changes and not (changes["title"] or "").strip():
        errors["title"] = "A recommendation needs a title."
    if "kind" in changes and changes["kind"] not in Recommendation.Kind.values:
        errors["kind"] = f"Choose one of {', '.join(Recommendation.Kind.values)}."
    if "status" in changes and changes["status"] not in Recommendation.Status.values:
        errors["status"] = f"Choose one of {', '.join(Recommendation.Status.values)}."
    if "priority" in changes:
        allowed = priorities_of(recommendation.organization_id)
        if changes["priority"] not in allowed:
            errors["priority"] = f"Choose one of {', '.join(allowed)}."
    owner = changes.get("owner")
    if owner is not None and owner.organization_id != recommendation.organization_id:
        errors["owner"] = "The owner must belong to the organization."
    team = changes.get("team")
    if "team" in changes and (team is None or team.organization_id != recommendation.organization_id):
        errors["team"] = "Choose a team of the organization."
    if "commitment_date" in changes:
        new = changes["commitment_date"]
        old = None if creating else recommendation.commitment_date
        if new is not None and new != old and new < today():
            errors["commitment_date"] = f"A new commitment date can't be in the past ({new.isoformat()})."
        elif old is not None and new != old and not reason.strip():
            errors["reason"] = "Say why the commitment date moves: the reason is shown on every linked retrospective."
    if changes.get("status") == Recommendation.Status.DROPPED and not reason.strip():
        errors["reason"] = "Say why it is dropped: the reason is shown on every linked retrospective."
    if errors:
        raise ValidationError(errors)


def _apply(recommendation: Recommendation, changes: dict, *, reason: str) -> dict:
    """Set the changed fields; returns the history's {field: [before, after]} of what really changed."""
    recorded = {}
    for field in EDITABLE:
        if field not in changes:
            continue
        before, after = getattr(recommendation, field), changes[field]
        if isinstance(after, str) and field != "status":
            after = after.strip()
        if _plain(before) == _plain(after):
            continue
        setattr(recommendation, field, after)
        recorded[field] = [_plain(before), _plain(after)]
    if "status" in recorded:
        closed = recommendation.status in (Recommendation.Status.DONE, Recommendation.Status.DROPPED)
        recommendation.closed_at = timezone.now() if closed else None
    if reason.strip() and ("status" in recorded or "commitment_date" in recorded):
        recommendation.status_reason = reason.strip()
    return recorded


@dataclass(frozen=True)
class Linked:
    recommendation: Recommendation
    retrospective: Retrospective


def event_data(recommendation: Recommendation, *, changes: dict | None = None) -> dict:
    return {
        "recommendation": {
            "id": recommendation.pk,
            "title": recommendation.title,
            "status": recommendation.status,
            "priority": recommendation.priority,
            "owner": recommendation.owner.username if recommendation.owner_id else None,
            "team": recommendation.team.slug,
            "commitment_date": recommendation.commitment_date.isoformat() if recommendation.commitment_date else None,
            "tracker_url": recommendation.tracker_url or None,
        },
        "changes": changes or {},
    }


def _private(recommendation: Recommendation) -> bool:
    """Whether every incident calling for it is private (then only its team's subscribers hear of it)."""
    incidents = Incident.objects.filter(retrospectives__recommendation_links__recommendation=recommendation)
    return not incidents.filter(visibility=Incident.Visibility.ORGANIZATION).exists()


def _announce(recommendation: Recommendation, name: str, changes: dict) -> None:
    event_emit(
        name=name,
        organization_id=recommendation.organization_id,
        team_id=recommendation.team_id,
        private=_private(recommendation),
        data=event_data(recommendation, changes=changes),
    )


def recommendation_create(
    *,
    retrospective: Retrospective,
    by: User,
    title: str,
    description: str = "",
    definition_of_done: str = "",
    kind: str = Recommendation.Kind.SOFTWARE,
    owner: User | None = None,
    team: Team | None = None,
    priority: str | None = None,
    commitment_date: dt.date | None = None,
    findings: list[Finding] = (),
    source: str = Source.WEB,
) -> Recommendation:
    """A new recommendation called for by `retrospective` (of its incident's team unless `team`), traced to
    `findings` (each must belong to that retrospective)."""
    incident = retrospective.incident
    priorities = priorities_of(incident.organization_id)
    recommendation = Recommendation(organization_id=incident.organization_id, team_id=incident.team_id)
    changes = {
        "title": title,
        "description": description,
        "definition_of_done": definition_of_done,
        "kind": kind,
        "owner": owner,
        "team": team or incident.team,
        "priority": priority or priorities[min(1, len(priorities) - 1)],  # the second: P2 by default
        "commitment_date": commitment_date,
        "status": Recommendation.Status.PLANNED,
    }
    _check(recommendation, changes, reason="", creating=True)
    foreign = [f for f in findings if f.retrospective_id != retrospective.pk]
    if foreign:
        raise ValidationError(
            {"findings": "A recommendation traces to findings of the retrospective that calls for it."}
        )
    with transaction.atomic():
        recorded = _apply(recommendation, changes, reason="")
        recommendation.created_by = by
        recommendation.save()
        RecommendationLink.objects.create(recommendation=recommendation, retrospective=retrospective, created_by=by)
        Trace.objects.bulk_create([Trace(recommendation=recommendation, finding=f) for f in findings])
        RecommendationChange.objects.create(
            recommendation=recommendation, by=by, source=source, changes=recorded, reason="Created"
        )
        _announce(recommendation, "recommendation.created", recorded)
    return recommendation


def recommendation_update(
    *,
    recommendation: Recommendation,
    by: User | None,
    changes: dict,
    reason: str = "",
    base_version: int | None = None,
    source: str = Source.WEB,
) -> Recommendation:
    """Change some of EDITABLE (`changes`: field name -> new value; people and teams as instances). Refused with
    ConflictError when `base_version` is given and someone changed it meanwhile. Returns the recommendation as saved
    (unchanged, and no history entry, when nothing really changed)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field can't be changed here."})
    with transaction.atomic():
        current = locked(Recommendation.objects.select_related("team", "owner"), recommendation.pk, of=("self",))
        if base_version is not None and current.version != base_version:
            raise ConflictError(
                "Someone changed this recommendation since you opened it: their version is shown, yours is kept "
                "in the form.",
                current=current,
            )
        _check(current, changes, reason=reason, creating=False)
        recorded = _apply(current, changes, reason=reason)
        if not recorded:
            return current
        current.version += 1
        if current.tracker_id and source not in (Source.GITHUB, Source.JIRA):
            current.tracker_push_pending = True
        current.save()
        RecommendationChange.objects.create(
            recommendation=current, by=by, source=source, changes=recorded, reason=reason.strip()
        )
        _announce(current, "recommendation.changed", recorded)
    return current
