"""The first drafts of a write-up's two statements, in Markdown: the internal summary (what happened, impact,
contributing factors, what we are changing) and the customer statement (impact in numbers, what happened in plain
words, what we are changing, an apology), and the replacement of people's names by roles in the latter.

Pure functions over what the caller read (sections, findings, recommendations, people's names), so that tests need
no database and the service decides what is read, once."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Where each part of a statement comes from, by section key, first filled one wins (the built-in templates'
# keys: postmortem, incident-review, learning-review, systems-analysis).
SUMMARY_KEYS = ("summary",)
IMPACT_KEYS = ("impact", "user-impact", "business-impact")
FACTOR_KEYS = ("contributing-factors", "causes", "systemic-problems", "control-failures", "learnings")
CUSTOMER_TEXT_KEYS = ("external-message", "summary")

ROLE = "an engineer"
STATUS_WORDS = {"planned": "planned", "in-progress": "in progress", "done": "done", "dropped": "dropped"}


@dataclass(frozen=True)
class DraftSource:
    """What a draft is made of, read by the caller."""

    incident_title: str
    severity_key: str
    severity_name: str
    started_at: datetime
    resolved_at: datetime | None
    services: Sequence[str]
    sections: dict[str, str]  # key -> Markdown body, written sections only
    factors: Sequence[str]  # contributing factors recorded as findings
    recommendations: Sequence[tuple[str, str]]  # (title, status)


def _first(sections: dict[str, str], keys: Iterable[str]) -> str:
    for key in keys:
        text = sections.get(key, "").strip()
        if text:
            return text
    return ""


def duration_in_words(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "less than a minute"


def _moment(at: datetime) -> str:
    return f"{at.day} {at:%B %Y, %H:%M} UTC"


def impact_lines(source: DraftSource) -> list[str]:
    """The impact in numbers: when, how long, which services, how severe."""
    lines = []
    if source.resolved_at is not None and source.resolved_at >= source.started_at:
        lines.append(f"- **Duration:** {duration_in_words(source.resolved_at - source.started_at)}")
        lines.append(f"- **When:** from {_moment(source.started_at)} to {_moment(source.resolved_at)}")
    else:
        lines.append(f"- **Started:** {_moment(source.started_at)} (the end is not recorded yet)")
    services = ", ".join(source.services) if source.services else "not recorded"
    lines.append(f"- **Affected services:** {services}")
    severity = source.severity_key + (f" ({source.severity_name})" if source.severity_name else "")
    lines.append(f"- **Severity:** {severity}")
    return lines


def _changes(source: DraftSource, *, with_status: bool) -> list[str]:
    shown = [(title, status) for title, status in source.recommendations if status != "dropped" or with_status]
    if not shown:
        return ["_No recommendations recorded yet._" if with_status else "We are still deciding what to change."]
    if with_status:
        return [f"- {title} ({STATUS_WORDS.get(status, status)})" for title, status in shown]
    return [f"- {title}" + (" (done)" if status == "done" else "") for title, status in shown]


def internal_draft(source: DraftSource) -> str:
    parts = [f"# Internal summary: {source.incident_title}", ""]
    parts += ["## What happened", "", _first(source.sections, SUMMARY_KEYS) or "_To write._", ""]
    parts += ["## Impact", "", *impact_lines(source), ""]
    written_impact = _first(source.sections, IMPACT_KEYS)
    if written_impact:
        parts += [written_impact, ""]
    parts += ["## Contributing factors", ""]
    factors = [f"- {' '.join(text.split())}" for text in source.factors]
    written_factors = _first(source.sections, FACTOR_KEYS)
    if factors:
        parts += [*factors, ""]
    if written_factors:
        parts += [written_factors, ""]
    if not factors and not written_factors:
        parts += ["_To write._", ""]
    parts += ["## What we are changing", "", *_changes(source, with_status=True), ""]
    return "\n".join(parts).rstrip() + "\n"


def external_draft(source: DraftSource) -> str:
    parts = [f"# {source.incident_title}", ""]
    parts += ["## Impact", "", *impact_lines(source), ""]
    parts += ["## What happened", "", _first(source.sections, CUSTOMER_TEXT_KEYS) or "_To write._", ""]
    parts += ["## What we are changing", "", *_changes(source, with_status=False), ""]
    parts += [
        "## We are sorry",
        "",
        "We know you rely on us, and this incident let you down. We apologize for the disruption it caused you "
        "and your customers, and we are working through the changes above so that it does not happen again.",
    ]
    return "\n".join(parts).rstrip() + "\n"


# --- People's names ------------------------------------------------------------------------------------------------

_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9][\w.-]*(?<![.-])")


def _names_pattern(names: Iterable[str]) -> re.Pattern | None:
    # Longest first, so that "Alice Martin" goes as one before "Alice" could.
    wanted = sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True)
    if not wanted:
        return None
    return re.compile(r"(?<![\w@])(" + "|".join(re.escape(n) for n in wanted) + r")(?!\w)", re.IGNORECASE)


def names_in(text: str, names: Iterable[str]) -> list[str]:
    """The people's names and @handles found in `text`, as written, each once, in order."""
    found = [m.group(0) for m in _HANDLE.finditer(text)]
    pattern = _names_pattern(names)
    if pattern is not None:
        known = {n.strip() for n in names}
        found += [m.group(0) for m in pattern.finditer(text) if _is_a_name(m.group(0), known)]
    return list(dict.fromkeys(found))


def _is_a_name(matched: str, known: set[str]) -> bool:
    # "Will" written as a name, or "bob" as the username is spelt; not "will" the word for a user named Will.
    return matched in known or matched[:1].isupper()


def _role_for(text: str, start: int) -> str:
    before = text[:start].rstrip(" *_")
    sentence_start = not before or before.endswith(("\n", ".", "!", "?", ":", "#", "-", "|"))
    return ROLE[0].upper() + ROLE[1:] if sentence_start else ROLE


def without_names(text: str, names: Iterable[str]) -> str:
    """`text` with every @handle and every name of `names` (people of the organization and of the incident's timeline)
    replaced by a role ("an engineer")."""
    names = list(names)
    known = {n.strip() for n in names}
    pattern = _names_pattern(names)

    def swap_name(match: re.Match) -> str:
        if not _is_a_name(match.group(0), known):
            return match.group(0)
        return _role_for(match.string, match.start())

    if pattern is not None:
        text = pattern.sub(swap_name, text)
    return _HANDLE.sub(lambda m: _role_for(m.string, m.start()), text)
