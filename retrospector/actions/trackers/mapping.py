"""A tracker's state names to our statuses and back, per team (TrackerConnection.state_map) with defaults.

GitHub: open -> planned, closed as completed -> done, closed as not planned -> dropped.
Jira (status category): new (To Do) -> planned, indeterminate (In Progress) -> in progress, done -> done.
A team's map names their state (lower case) and our status, e.g. {"in review": "in-progress", "won't do": "dropped"}.
"""

from __future__ import annotations

from retrospector.actions.models import Recommendation, TrackerConnection

Status = Recommendation.Status

DEFAULTS = {
    TrackerConnection.Kind.GITHUB: {"open": Status.PLANNED, "completed": Status.DONE, "not_planned": Status.DROPPED},
    TrackerConnection.Kind.JIRA: {"new": Status.PLANNED, "indeterminate": Status.IN_PROGRESS, "done": Status.DONE},
}


def status_for(connection: TrackerConnection, *, state: str, category: str) -> str | None:
    """Our status for the tracker's `state` (its own name) in `category`: the team's map first, then the default;
    None when neither knows it."""
    mapped = connection.state_map or {}
    name = state.strip().lower()
    if name in mapped:
        return mapped[name]
    if ":" in name and name.split(":", 1)[0].strip() in mapped:  # GitHub "closed: not_planned" -> "closed"
        return mapped[name.split(":", 1)[0].strip()]
    return DEFAULTS.get(connection.kind, {}).get(category)


def states_for(connection: TrackerConnection, status: str) -> list[str]:
    """The tracker's state names the team mapped to our `status` (lower case), in the map's order."""
    return [name for name, ours in (connection.state_map or {}).items() if ours == status]


def parse_state_map(text: str) -> dict[str, str]:
    """ "their state = our status" lines (blank lines and # comments skipped) -> the map; ValueError naming the first
    line that is not one."""
    result: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        theirs, sep, ours = line.rpartition("=")
        theirs, ours = theirs.strip().lower(), ours.strip().lower()
        if not sep or not theirs:
            raise ValueError(f"Line {number}: write “their state = our status”, e.g. “in review = in-progress”.")
        if ours not in Status.values:
            raise ValueError(f"Line {number}: “{ours}” is not one of {', '.join(Status.values)}.")
        result[theirs] = ours
    return result


def format_state_map(mapping: dict[str, str]) -> str:
    return "\n".join(f"{theirs} = {ours}" for theirs, ours in (mapping or {}).items())
