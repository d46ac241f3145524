"""`retrospector export-all`: every organization's data as one JSON document, without secrets (docs/backup.md).

The document is written as it is read: incidents come in chunks of INCIDENTS_PER_CHUNK (a constant number of queries
per chunk, whatever their number), and the events and revisions of a chunk are streamed from one query each, so the
memory used does not grow with the size of the database. Everything is read in one snapshot, while others keep
writing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from retrospector.accounts.models import Membership, Organization, Team, User
from retrospector.incidents.models import Incident, Service, SeverityLevel
from retrospector.timeline.models import ImportRecord, TimelineEvent
from retrospector.writeups.export import incident_as_json, retrospective_as_json
from retrospector.writeups.models import Retrospective, Revision, Section, StateChange, Template, TemplateVersion

from .snapshot import app_version

SCHEMA = "https://retrospector.example/schemas/export-all/1"
SCHEMA_VERSION = 1
INCIDENTS_PER_CHUNK = 200
ROWS_PER_FETCH = 2000

# The API's event (EventOut), plus who added it, when, and from which import.
EVENT_FIELDS = {
    "id": "id",
    "time": "occurred_at",
    "original_time": "original_time",
    "original_offset_minutes": "original_offset_minutes",
    "actor": "actor",
    "actor_kind": "actor_kind",
    "text": "text",
    "kind": "kind",
    "source_type": "source_type",
    "source_ref": "source_ref",
    "source_url": "source_url",
    "channel": "channel",
    "key_event": "key_event",
    "key_candidate": "key_candidate",
    "hidden": "hidden",
    "edited": "edited",
    "parent_ref": "parent_ref",
    "tags": "tags",
    "attachments": "attachments",
    "merged_into": "merged_into_id",
    "version": "version",
    "import_id": "import_record_id",
    "created_by": "created_by__username",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
EVENT_TIMES = {"time", "created_at", "updated_at"}


def when(value) -> str | None:
    """UTC, ISO 8601 with a Z, to the microsecond when there is one."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


# --- Writing JSON as it is produced ----------------------------------------------------------------------------------


class Stream:
    """A JSON array written item by item as its iterable yields them."""

    def __init__(self, items: Iterable):
        self.items = items


class Streamed(dict):
    """A JSON object some of whose values are streamed (Stream, or Streamed inside)."""


def write_json(write: Callable[[str], object], value, level: int = 0) -> None:
    pad = "  " * (level + 1)
    if isinstance(value, Streamed):
        write("{")
        for n, (key, item) in enumerate(value.items()):
            write(("," if n else "") + "\n" + pad + json.dumps(key) + ": ")
            write_json(write, item, level + 1)
        write(("\n" + "  " * level if value else "") + "}")
    elif isinstance(value, Stream):
        write("[")
        empty = True
        for item in value.items:
            write(("\n" if empty else ",\n") + pad)
            write_json(write, item, level + 1)
            empty = False
        write(("" if empty else "\n" + "  " * level) + "]")
    else:
        # JSON strings never hold a raw newline, so indenting after each one indents the whole value.
        write(json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level))


class _Grouped:
    """Rows ordered by key, handed out one key after the other (a merge join with the objects written in the same
    order)."""

    def __init__(self, rows: Iterable, key: Callable):
        self._rows = iter(rows)
        self._key = key
        self._next = next(self._rows, None)

    def take(self, key) -> Iterator:
        while self._next is not None and self._key(self._next) == key:
            yield self._next
            self._next = next(self._rows, None)

    def finish(self) -> None:
        if self._next is not None:  # a bug in the orders above, never an input problem: nothing may be left out
            raise RuntimeError(f"export-all: a row was left unwritten ({self._key(self._next)})")


@contextmanager
def consistent_reads():
    """Make every read that follows see one snapshot of the database, without stopping anyone from writing."""
    if connection.in_atomic_block:  # already inside a transaction (a test): its reads are what they are
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    # SQLite: Django's transactions begin IMMEDIATE (they take the write lock); a deferred one only reads, and in WAL
    # mode it keeps its snapshot while writers carry on.
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            cursor.execute("ROLLBACK")


# --- The document ------------------------------------------------------------------------------------------------


def export_all(write: Callable[[str], object]) -> dict:
    """Write the whole document with `write`; returns how many of each thing it holds."""
    counts = dict.fromkeys(("organizations", "incidents", "events", "retrospectives", "revisions"), 0)
    with consistent_reads():
        document = Streamed(
            {
                "$schema": SCHEMA,
                "schema_version": SCHEMA_VERSION,
                "exported_at": when(timezone.now()),
                "app_version": app_version(),
                "organizations": Stream(_organizations(counts)),
            }
        )
        write_json(write, document)
        write("\n")
    return counts


def _organizations(counts: dict) -> Iterator[Streamed]:
    for organization in Organization.objects.order_by("id"):
        counts["organizations"] += 1
        yield Streamed(
            {
                "id": organization.pk,
                "name": organization.name,
                "slug": organization.slug,
                "created_at": when(organization.created_at),
                "checks_config": organization.checks_config,
                "people": [
                    {
                        "username": user.username,
                        "full_name": user.full_name,
                        "email": user.email,
                        "time_zone": user.time_zone,
                        "is_org_admin": user.is_org_admin,
                        "is_active": user.is_active,
                        "date_joined": when(user.date_joined),
                    }
                    for user in User.objects.filter(organization=organization).order_by("username")
                ],
                "teams": [
                    {
                        "slug": team.slug,
                        "name": team.name,
                        "description": team.description,
                        "created_at": when(team.created_at),
                        "checks_config": team.checks_config,
                        "members": [{"username": m.user.username, "role": m.role} for m in team.memberships.all()],
                    }
                    for team in Team.objects.filter(organization=organization)
                    .order_by("slug")
                    .prefetch_related(
                        Prefetch("memberships", Membership.objects.select_related("user").order_by("user__username"))
                    )
                ],
                "severity_levels": [
                    {"key": s.key, "name": s.name, "description": s.description, "rank": s.rank}
                    for s in SeverityLevel.objects.filter(organization=organization).order_by("rank", "id")
                ],
                "services": list(
                    Service.objects.filter(organization=organization).order_by("name").values_list("name", flat=True)
                ),
                "templates": [_template(t) for t in _templates(organization)],
                "incidents": Stream(_incidents(organization, counts)),
            }
        )


def _templates(organization: Organization):
    return (
        Template.objects.filter(organization=organization)
        .order_by("key")
        .select_related("team")
        .prefetch_related(Prefetch("versions", TemplateVersion.objects.select_related("created_by").order_by("number")))
    )


def _template(template: Template) -> dict:
    return {
        "key": template.key,
        "name": template.name,
        "description": template.description,
        "team": template.team.slug if template.team else None,
        "created_at": when(template.created_at),
        "versions": [
            {
                "version": v.number,
                "name": v.name,
                "description": v.description,
                "sections": v.sections,
                "created_by": v.created_by.username if v.created_by else None,
                "created_at": when(v.created_at),
            }
            for v in template.versions.all()
        ],
    }


def _incident_chunk(organization: Organization, after: int) -> list[Incident]:
    retrospectives = (
        Retrospective.objects.order_by("id")
        .select_related("owner", "shadow", "created_by", "template_version__template")
        .prefetch_related(
            Prefetch("sections", Section.objects.select_related("updated_by").order_by("position", "id")),
            Prefetch("state_changes", StateChange.objects.select_related("by").order_by("at", "id")),
        )
    )
    return list(
        Incident.objects.filter(organization=organization, id__gt=after)
        .order_by("id")
        .select_related("team", "severity", "created_by")
        .prefetch_related(
            Prefetch("services", Service.objects.order_by("name")),
            Prefetch("responders", User.objects.order_by("username")),
            Prefetch("invitees", User.objects.order_by("username")),
            "links",
            Prefetch("imports", ImportRecord.objects.select_related("created_by", "undone_by").order_by("id")),
            Prefetch("retrospectives", retrospectives),
        )[:INCIDENTS_PER_CHUNK]
    )


def _incidents(organization: Organization, counts: dict) -> Iterator[Streamed]:
    after = 0
    while chunk := _incident_chunk(organization, after):
        after = chunk[-1].pk
        ids = [incident.pk for incident in chunk]
        events = _Grouped(
            TimelineEvent.objects.filter(incident_id__in=ids)
            .order_by("incident_id", "occurred_at", "id")
            .values("incident_id", *EVENT_FIELDS.values())
            .iterator(chunk_size=ROWS_PER_FETCH),
            key=lambda row: row["incident_id"],
        )
        revisions = _Grouped(
            Revision.objects.filter(section__retrospective__incident_id__in=ids)
            .order_by(
                "section__retrospective__incident_id",
                "section__retrospective_id",
                "section__position",
                "section_id",
                "version",
            )
            .values("section_id", "version", "body", "note", "created_by__username", "created_at")
            .iterator(chunk_size=ROWS_PER_FETCH),
            key=lambda row: row["section_id"],
        )
        for incident in chunk:
            counts["incidents"] += 1
            yield _incident(incident, events, revisions, counts)
        events.finish()
        revisions.finish()


def _incident(incident: Incident, events: _Grouped, revisions: _Grouped, counts: dict) -> Streamed:
    out = Streamed(incident_as_json(incident, when=when))
    out.update(
        {
            "invitees": [u.username for u in incident.invitees.all()],
            "version": incident.version,
            "created_by": incident.created_by.username if incident.created_by else None,
            "created_at": when(incident.created_at),
            "updated_at": when(incident.updated_at),
            "timeline": Streamed(
                {
                    "time_zone": incident.timeline_time_zone,
                    "seconds": incident.timeline_seconds,
                    "gap_minutes": incident.timeline_gap_minutes,
                    "imports": [
                        {
                            "id": record.pk,
                            "source_type": record.source_type,
                            "file_name": record.file_name,
                            "event_count": record.event_count,
                            "skipped_count": record.skipped_count,
                            "created_by": record.created_by.username if record.created_by else None,
                            "created_at": when(record.created_at),
                            "undone_at": when(record.undone_at),
                            "undone_by": record.undone_by.username if record.undone_by else None,
                        }
                        for record in incident.imports.all()
                    ],
                    "events": Stream(_events(events.take(incident.pk), counts)),
                }
            ),
            "retrospectives": Stream(_retrospective(r, revisions, counts) for r in incident.retrospectives.all()),
        }
    )
    return out


def _events(rows: Iterable[dict], counts: dict) -> Iterator[dict]:
    for row in rows:
        counts["events"] += 1
        event = {name: row[field] for name, field in EVENT_FIELDS.items()}
        for name in EVENT_TIMES:
            event[name] = when(event[name])
        yield event


def _retrospective(retrospective: Retrospective, revisions: _Grouped, counts: dict) -> Streamed:
    counts["retrospectives"] += 1
    out = Streamed(retrospective_as_json(retrospective, when=when))
    out["created_by"] = retrospective.created_by.username if retrospective.created_by else None
    sections = []
    for data, section in zip(out["sections"], retrospective.sections.all(), strict=True):
        sections.append(Streamed(data, revisions=Stream(_revisions(revisions.take(section.pk), counts))))
    out["sections"] = Stream(sections)
    return out


def _revisions(rows: Iterable[dict], counts: dict) -> Iterator[dict]:
    for row in rows:
        counts["revisions"] += 1
        yield {
            "version": row["version"],
            "body": row["body"],
            "note": row["note"],
            "created_by": row["created_by__username"],
            "created_at": when(row["created_at"]),
        }
