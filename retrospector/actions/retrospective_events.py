"""The retrospective events for the webhook subscribers: writeups sits below actions, so actions listens to its state
changes (a post_save of StateChange, connected in actions.apps) and emits the events from here."""

from __future__ import annotations

from retrospector.actions.events import event_emit
from retrospector.incidents.models import Incident
from retrospector.writeups.models import Retrospective, StateChange


def retrospective_events_emit(state_change: StateChange) -> int:
    """`retrospective.state_changed` for every state change, and `retrospective.approved` when it reaches its final
    approval (approved, or done straight from its meeting), told only to the incident's team when it is private.
    Called on a StateChange's creation, inside the transaction that records it."""
    retrospective = state_change.retrospective
    incident = Incident.objects.select_related("team").get(pk=retrospective.incident_id)
    data = {
        "retrospective": {
            "id": retrospective.pk,
            "title": retrospective.title,
            "url": f"/retrospectives/{retrospective.pk}/",
        },
        "incident": {"id": incident.pk, "title": incident.title, "team": incident.team.slug},
        "from_state": state_change.from_state,
        "to_state": state_change.to_state,
        "by": state_change.by.username if state_change.by_id else None,
        "note": state_change.note,
    }
    where = {
        "organization_id": incident.organization_id,
        "team_id": incident.team_id,
        "private": incident.visibility == Incident.Visibility.PRIVATE,
    }
    queued = event_emit(name="retrospective.state_changed", data=data, **where)
    approved = (Retrospective.State.APPROVED, Retrospective.State.DONE)
    if state_change.to_state in approved and state_change.from_state not in approved:
        queued += event_emit(name="retrospective.approved", data=data, **where)
    return queued
