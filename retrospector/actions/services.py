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

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
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
    SetAside,
    Trace,
)
from retrospector.actions.selectors import can_edit_recommendation, recommendations_visible_to, today_utc
from retrospector.core.errors import ConflictError, locked
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.notifications.models import Kind
from retrospector.notifications.services import notify
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
FOREIGN_FINDINGS = "A recommendation traces to findings of the retrospective that calls for it."


def priorities_of(organization_id: int) -> list[str]:
    settings_row = ActionSettings.objects.filter(organization_id=organization_id).first()
    return (settings_row.priorities if settings_row and settings_row.priorities else None) or list(DEFAULT_PRIORITIES)


def _plain(value):
    """A field's value as the history stores it (JSON): people and teams by id, dates as ISO text."""
    if isinstance(value, (User, Team)):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _owner_sees_it(owner: User, recommendation: Recommendation, incident_ids: list[int]) -> bool:
    """Whether `owner` may see one of the incidents calling for the recommendation (an owner is told about it and
    reads it: naming someone who may not see a private incident would show it to them)."""
    return incidents_visible_to(owner).filter(pk__in=incident_ids).exists()


def _check(
    recommendation: Recommendation, changes: dict, *, reason: str, creating: bool, incident_ids: list[int] = ()
) -> None:
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
    elif (
        owner is not None
        and owner.pk != recommendation.owner_id
        and incident_ids
        and not _owner_sees_it(owner, recommendation, list(incident_ids))
    ):
        errors["owner"] = (
            f"{owner.get_full_name() or owner.username} may not see this incident: choose someone who may, "
            "or invite them to the incident first."
        )
    team = changes.get("team")
    if "team" in changes and (team is None or team.organization_id != recommendation.organization_id):
        errors["team"] = "Choose a team of the organization."
    if "commitment_date" in changes:
        new = changes["commitment_date"]
        old = None if creating else recommendation.commitment_date
        if new is not None and new != old and new < today_utc():
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
    _check(recommendation, changes, reason="", creating=True, incident_ids=[incident.pk])
    foreign = [f for f in findings if f.retrospective_id != retrospective.pk]
    if foreign:
        raise ValidationError({"findings": FOREIGN_FINDINGS})
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
        _tell_owner(recommendation, recorded, by=by, created=True)
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
        incident_ids = list(
            RecommendationLink.objects.filter(recommendation=current).values_list(
                "retrospective__incident_id", flat=True
            )
        )
        _check(current, changes, reason=reason, creating=False, incident_ids=incident_ids)
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
        _tell_owner(current, recorded, by=by)
    return current


# --- Who hears of it -------------------------------------------------------------------------------------------------


def _tell_owner(recommendation: Recommendation, recorded: dict, *, by: User | None, created: bool = False) -> None:
    """The owner is told when the recommendation is given to them, and when someone else changes its status or its
    date; only if they may see it (one called for only by another team's private incident stays unheard of)."""
    owner = recommendation.owner
    if owner is None or (by is not None and owner.pk == by.pk) or not owner.is_active:
        return
    given = created or "owner" in recorded
    moved = [field for field in ("status", "commitment_date") if field in recorded]
    if not given and not moved:
        return
    if not recommendations_visible_to(owner).filter(pk=recommendation.pk).exists():
        return
    if given:
        title = f"Recommendation given to you: {recommendation.title}"
    elif "status" in recorded:
        title = f"Recommendation {recommendation.get_status_display().lower()}: {recommendation.title}"
    else:
        date = recommendation.commitment_date.isoformat() if recommendation.commitment_date else "no date"
        title = f"Recommendation moved to {date}: {recommendation.title}"
    notify(
        recipients=[owner],
        kind=Kind.RECOMMENDATION,
        key=f"recommendation:{recommendation.pk}:v{recommendation.version}",
        title=title,
        url=f"/recommendations/{recommendation.pk}/",
        actor=by,
        body=recommendation.status_reason if moved else "",
    )


# --- Links between recommendations and retrospectives -------------------------------------------------------------


def _record(recommendation: Recommendation, *, by, changes: dict, reason: str, source: str) -> None:
    """A change that is not a field of EDITABLE (a link, a merge): a new version, its history entry and its event."""
    recommendation.version += 1
    recommendation.updated_at = timezone.now()
    Recommendation.objects.filter(pk=recommendation.pk).update(
        version=recommendation.version, updated_at=recommendation.updated_at
    )
    RecommendationChange.objects.create(
        recommendation=recommendation, by=by, source=source, changes=changes, reason=reason.strip()
    )
    _announce(recommendation, "recommendation.changed", changes)


def recommendation_link(
    *,
    recommendation: Recommendation,
    retrospective: Retrospective,
    by: User | None,
    findings: list[Finding] = (),
    source: str = Source.WEB,
) -> Recommendation:
    """`retrospective` calls for an existing recommendation too (instead of a duplicate), traced to `findings` of that
    retrospective. Recorded in its history as {"linked": [null, retrospective id]}."""
    if retrospective.incident.organization_id != recommendation.organization_id:
        raise ValidationError({"recommendation": "Choose a recommendation of the same organization."})
    if recommendation.merged_into_id:
        raise ValidationError(
            {"recommendation": f"It was merged into #{recommendation.merged_into_id}: link that one instead."}
        )
    if any(f.retrospective_id != retrospective.pk for f in findings):
        raise ValidationError({"findings": FOREIGN_FINDINGS})
    with transaction.atomic():
        current = locked(Recommendation.objects.all(), recommendation.pk, of=("self",))
        if RecommendationLink.objects.filter(recommendation=current, retrospective=retrospective).exists():
            raise ValidationError({"recommendation": "This retrospective already calls for it."})
        RecommendationLink.objects.create(recommendation=current, retrospective=retrospective, created_by=by)
        Trace.objects.bulk_create([Trace(recommendation=current, finding=f) for f in findings], ignore_conflicts=True)
        _record(current, by=by, changes={"linked": [None, retrospective.pk]}, reason="", source=source)
    return current


def recommendation_unlink(
    *, recommendation: Recommendation, retrospective: Retrospective, by: User | None, reason: str, source=Source.WEB
) -> Recommendation:
    """`retrospective` no longer calls for it (its traces to that retrospective's findings go too). Needs a reason; the
    last retrospective calling for a recommendation can't be unlinked (drop the recommendation instead)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this retrospective no longer calls for it: it stays in the history."})
    with transaction.atomic():
        current = locked(Recommendation.objects.all(), recommendation.pk, of=("self",))
        links = RecommendationLink.objects.filter(recommendation=current)
        if not links.filter(retrospective=retrospective).exists():
            raise ValidationError({"recommendation": "This retrospective does not call for it."})
        if links.count() == 1:
            raise ValidationError(
                {"reason": "It is called for by this retrospective only: drop it instead, with its reason."}
            )
        links.filter(retrospective=retrospective).delete()
        Trace.objects.filter(recommendation=current, finding__retrospective=retrospective).delete()
        _record(current, by=by, changes={"linked": [retrospective.pk, None]}, reason=reason, source=source)
    return current


# --- Merging duplicates -----------------------------------------------------------------------------------------------


def recommendation_merge(*, keep: Recommendation, merge_away: Recommendation, by: User, reason: str) -> Recommendation:
    """Two recommendations are one: `merge_away`'s retrospectives and traces move to `keep` (none twice), it is dropped
    with the reason "merged into #N" and points to `keep`; both keep their history, and a history entry on each says
    so. Only someone who may edit both merges them."""
    if keep.pk == merge_away.pk:
        raise ValidationError({"keep": "Choose another recommendation to merge into."})
    if keep.organization_id != merge_away.organization_id:
        raise ValidationError({"keep": "Choose a recommendation of the same organization."})
    if not (can_edit_recommendation(by, keep) and can_edit_recommendation(by, merge_away)):
        raise PermissionDenied("Only someone who may change both recommendations merges them.")
    if keep.merged_into_id or merge_away.merged_into_id:
        raise ValidationError({"keep": "One of them was already merged into another."})
    why = reason.strip()
    with transaction.atomic():
        first, second = sorted([keep.pk, merge_away.pk])  # always the same order: two merges can't deadlock
        rows = {
            r.pk: r
            for r in Recommendation.objects.select_for_update(of=("self",))
            .select_related("owner", "team")
            .filter(pk__in=[first, second])
            .order_by("pk")
        }
        if len(rows) < 2:
            raise Http404("One of the recommendations was deleted meanwhile; nothing was changed.")
        keep, merge_away = rows[keep.pk], rows[merge_away.pk]
        if keep.merged_into_id or merge_away.merged_into_id:
            raise ValidationError({"keep": "One of them was already merged into another."})
        linked = set(RecommendationLink.objects.filter(recommendation=keep).values_list("retrospective_id", flat=True))
        moved_links = list(
            RecommendationLink.objects.filter(recommendation=merge_away)
            .exclude(retrospective_id__in=linked)
            .values_list("retrospective_id", flat=True)
        )
        RecommendationLink.objects.filter(recommendation=merge_away, retrospective_id__in=moved_links).update(
            recommendation=keep
        )
        RecommendationLink.objects.filter(recommendation=merge_away).delete()
        traced = set(Trace.objects.filter(recommendation=keep).values_list("finding_id", flat=True))
        Trace.objects.filter(recommendation=merge_away).exclude(finding_id__in=traced).update(recommendation=keep)
        Trace.objects.filter(recommendation=merge_away).delete()
        # Those merged into the one going away now point to the one kept.
        Recommendation.objects.filter(merged_into=merge_away).update(merged_into=keep)

        dropped_reason = f"merged into #{keep.pk}" + (f": {why}" if why else "")
        recorded = _apply(merge_away, {"status": Recommendation.Status.DROPPED}, reason=dropped_reason)
        merge_away.status_reason = dropped_reason
        merge_away.merged_into = keep
        merge_away.version += 1
        if merge_away.tracker_id:
            merge_away.tracker_push_pending = True
        merge_away.save()
        recorded["merged_into"] = [None, keep.pk]
        RecommendationChange.objects.create(
            recommendation=merge_away, by=by, source=Source.MERGE, changes=recorded, reason=dropped_reason
        )
        _announce(merge_away, "recommendation.changed", recorded)
        keep_changes = {"merged_from": [None, merge_away.pk]}
        if moved_links:
            keep_changes["linked"] = [None, moved_links]
        _record(
            keep,
            by=by,
            changes=keep_changes,
            reason=why or f"#{merge_away.pk} merged into it",
            source=Source.MERGE,
        )
        if "status" in recorded:
            _tell_owner(merge_away, recorded, by=by)
    return keep


# --- Proposals kept aside: "would not have helped here" -------------------------------------------------------------


def set_aside_create(*, retrospective: Retrospective, by: User, title: str, reason: str) -> SetAside:
    errors = {}
    if not (title or "").strip():
        errors["title"] = "Say what was proposed."
    if not (reason or "").strip():
        errors["reason"] = "Say why it would not have helped here."
    if errors:
        raise ValidationError(errors)
    return SetAside.objects.create(
        retrospective=retrospective, title=" ".join(title.split()), reason=reason.strip(), created_by=by
    )


def set_aside_delete(*, set_aside: SetAside, by: User) -> None:
    set_aside.delete()
