from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from django.conf import settings
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Strict, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from retrospector.accounts.forms import TIME_ZONE_CHOICES
from retrospector.core.shortcuts import visible_or_404
from retrospector.core.untrusted import http_url
from retrospector.importers.base import ImportFailed
from retrospector.importers.registry import SOURCES, parse_upload
from retrospector.incidents.models import MOMENTS
from retrospector.incidents.selectors import incident_editable_or_403, incident_visible_or_404
from retrospector.timeline.imports import IMPORT_FORBIDDEN, import_request_parse, import_runs_in_background
from retrospector.timeline.models import ImportRecord, PendingImport, TimelineEvent
from retrospector.timeline.selectors import timeline_events, timeline_summary, timeline_window
from retrospector.timeline.services import (
    BULK_ACTIONS,
    EVENT_NOT_ON_INCIDENT,
    MAX_GAP_MINUTES,
    NothingToImport,
    event_add,
    event_delete,
    event_update,
    events_bulk,
    events_merge,
    import_undo,
    milestone_set_from_event,
    timeline_display_set,
    timeline_import,
)
from retrospector.timeline.tasks import (
    import_job_confirm,
    import_job_start,
    import_job_summary,
    import_job_waiting_for_worker,
    import_jobs_of,
)

from .choices import choices_literal
from .contract import DictOut, ErrorOut, InSchema, Omittable, responses
from .types import Id, Instant, Integer, Version

router = Router(tags=["timeline"])

EventKind = choices_literal(TimelineEvent.Kind)
ActorKind = choices_literal(TimelineEvent.ActorKind)
BulkAction = choices_literal(BULK_ACTIONS)
Moment = choices_literal(MOMENTS)
ImportSource = choices_literal(SOURCES)
JOB_STATES = PendingImport.Status.values

# The zone names this machine knows (the same list the preferences and the timeline pages offer, as an enum in the
# document: an unknown name is schema-invalid; "" where a field allows "no zone").
TimeZoneName = StrEnum("TimeZoneName", {name: name for name, _ in TIME_ZONE_CHOICES})
TimeZoneName.__doc__ = "An IANA time zone name, such as Europe/Paris or UTC."


def _one_error(kind: str, message: str) -> WrapValidator:
    """One error with `message` (the value shown, when short) in place of pydantic's one per member of a union, whose
    locations would name the members ("time_zone.str-enum[TimeZoneName]") rather than the field."""

    def validate(value, handler):
        try:
            return handler(value)
        except ValidationError:
            shown = repr(value) if isinstance(value, str) and len(value) <= 64 else "this"
            raise PydanticCustomError(kind, message, {"shown": shown}) from None

    return WrapValidator(validate)


ZoneOrEmpty = Annotated[
    Annotated[TimeZoneName, Strict(False)] | Literal[""],  # a JSON string, also in a strict body (InSchema)
    _one_error("time_zone", "Unknown time zone {shown}; use an IANA name such as Europe/Paris or UTC."),
]
InstantOrEmpty = Annotated[
    Instant | Literal[""],
    _one_error("datetime", "Not a time with a zone: {shown}; give an RFC 3339 time such as 2024-05-01T14:00:00Z."),
]
CURSOR = r"^[A-Za-z0-9_-]*$"  # an opaque cursor (unpadded URL-safe base64)
# "" or an http(s) link: no spaces or control characters (spelled out: \S differs between ECMA and Rust regexes).
HTTP_URL = r"^([Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20\x7f-\x9f]+)?$"
TEXT_RULE = "What happened, in Markdown: at least one character that is not white space (422 naming `text` if not)."
URL_RULE = "An http(s) link to the source; its host must be a valid name or address (422 naming the field if not)."


EVENTS_PER_PAGE = 100  # unless `limit` says otherwise


class EventOut(DictOut):
    id: int
    time: datetime
    original_time: str
    original_offset_minutes: int | None
    actor: str
    actor_kind: str
    text: str
    kind: str
    source_type: str
    source_ref: str
    source_url: str
    channel: str
    key_event: bool
    key_candidate: bool
    hidden: bool
    edited: bool
    parent_ref: str
    tags: list[str]
    attachments: list[dict]
    merged_into: int | None
    version: int


class EventPage(DictOut):
    results: list[EventOut]
    next_cursor: str | None
    previous_cursor: str | None = Field(None, description="Pass as `before` for the page before this one.")


class EventIn(InSchema):
    time: Instant
    text: str = Field(..., min_length=1, max_length=20_000, description=TEXT_RULE)
    actor: str = Field("", max_length=200)
    actor_kind: ActorKind = "person"
    kind: EventKind = "note"
    source_url: str = Field("", max_length=2000, pattern=HTTP_URL, description=URL_RULE)
    source_ref: str = Field(
        "", max_length=500, description="Unique per incident: another event citing it is refused (422 naming it)."
    )
    original_time: str = Field("", max_length=100, description="The time as the source wrote it, when it differs.")
    key_event: bool = False
    tags: list[str] = Field(default_factory=list, max_length=20)


class EventPatch(InSchema):
    """Only the fields given change; a field left out keeps its value (null is not a value of any of them)."""

    base_version: Version = Omittable(description="The version you edited: 409 if the event has changed since.")
    time: Instant = Omittable()
    text: str = Omittable(min_length=1, max_length=20_000, description=TEXT_RULE)
    actor: str = Omittable(max_length=200)
    actor_kind: ActorKind = Omittable()
    kind: EventKind = Omittable()
    source_url: str = Omittable(max_length=2000, pattern=HTTP_URL, description=f'{URL_RULE} "" removes it.')
    key_event: bool = Omittable()
    hidden: bool = Omittable()
    tags: list[str] = Omittable()


class EventFilters(Schema):
    since: Instant | None = None
    until: Instant | None = None
    kind: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    include_hidden: bool = False
    key_only: bool = False
    after: str = Field(
        "",
        max_length=200,
        pattern=CURSOR,
        description="The next_cursor of the previous page. With `before` too: the events between the two.",
    )
    before: str = Field(
        "",
        max_length=200,
        pattern=CURSOR,
        description="A previous_cursor: the page just before it. With `after` too: the events between the two.",
    )
    text: str = Field("", max_length=200, description="Only events whose text or actor contains this (any case).")
    limit: int = Field(EVENTS_PER_PAGE, ge=1, le=500)


class BulkIn(InSchema):
    action: BulkAction
    event_ids: list[Id] = Field(..., min_length=1, max_length=5000)


class MergeIn(InSchema):
    keep: Id = Field(..., description="The event that stays.")
    duplicates: list[Id] = Field(
        ...,
        min_length=1,
        max_length=1000,
        description="The others: hidden and pointed at `keep`. At least one must differ from `keep` (422 otherwise).",
    )


class BulkOut(Schema):
    changed: int


class MilestoneIn(InSchema):
    moment: Moment


class DisplayIO(Schema):
    time_zone: str = Field(
        "", max_length=64, description="The zone everyone sees the timeline in; empty: each viewer's own."
    )
    seconds: bool = Field(False, description="Show times to the second.")
    gap_minutes: Integer = Field(
        30, ge=1, le=MAX_GAP_MINUTES, description="Mark quiet periods longer than this many minutes (1 to 10,080)."
    )


class DisplayIn(InSchema):
    time_zone: ZoneOrEmpty = Field(
        "", description="The zone everyone sees the timeline in (an IANA name); empty: each viewer's own."
    )
    seconds: bool = Field(False, description="Show times to the second.")
    gap_minutes: Integer = Field(
        30, ge=1, le=MAX_GAP_MINUTES, description="Mark quiet periods longer than this many minutes (at most a week)."
    )


class ImportOut(Schema):
    import_id: int | None
    dry_run: bool
    count: int
    added: int
    skipped_existing: int
    events: list[dict]


class ProblemOut(Schema):
    file: str
    line: int | None
    pointer: str | None
    field: str | None
    message: str


class ImportRejectedOut(ErrorOut):
    """422: the request (source, tz, since, ...) or the file (then `field` is "file", with its problems)."""

    problems: list[ProblemOut] | None = Field(None, description="Each problem in the file, with its line.")


class RemovedOut(Schema):
    removed: int


class ImportJobOut(Schema):
    id: int
    url: str = Field(..., description="Poll this until status is ready, done or failed.")
    status: str = Field(..., description=f"{', '.join(JOB_STATES[:-1])} or {JOB_STATES[-1]}")
    detail: str
    confirmed: bool = Field(..., description="False for a dry run (or a page upload): the job stops at ready.")
    source: str
    file_name: str
    file_size: int
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    read_count: int
    count: int | None
    new: int | None
    import_id: int | None
    added: int | None
    skipped_existing: int | None
    problems: list[ProblemOut]
    preview: list[dict] = Field(..., description="The first 100 events read, when ready.")
    no_worker: str | None = Field(None, description="Set when the job has waited long for a worker.")


def import_job_out(job: PendingImport) -> dict:
    record = job.import_record
    waited = import_job_waiting_for_worker(job)
    # A job done without an import added nothing (every event already there): 0 added, all skipped.
    nothing_new = 0 if job.status == PendingImport.Status.DONE and record is None and job.new_count == 0 else None
    return {
        "id": job.pk,
        "url": f"/api/v1/incidents/{job.incident_id}/timeline/import-jobs/{job.pk}",
        "status": job.status,
        "detail": import_job_summary(job),
        "confirmed": job.confirmed_at is not None,
        "source": job.source_type,
        "file_name": job.file_name,
        "file_size": job.file_size,
        "created_at": job.created_at,
        "queued_at": job.queued_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "read_count": job.read_count,
        "count": job.event_count,
        "new": job.new_count,
        "import_id": record.pk if record else None,
        "added": record.event_count if record else nothing_new,
        "skipped_existing": record.skipped_count if record else job.event_count if nothing_new == 0 else None,
        "problems": job.problems,
        "preview": job.preview if job.status == PendingImport.Status.READY else [],
        "no_worker": f"No worker seems to be running: this job has waited {int(waited.total_seconds())} s. "
        "Start one with `retrospector worker` (`make run` starts one)."
        if waited
        else None,
    }


def _attachment_out(attachment) -> dict:
    """An attachment as stored, its url only when it is an http(s) URL (stored rows predating that rule)."""
    if not isinstance(attachment, dict):
        return {"name": str(attachment), "mimetype": "", "url": ""}
    return {**attachment, "url": http_url(attachment.get("url"))}


def event_out(event: TimelineEvent) -> dict:
    return {
        "id": event.pk,
        "time": event.occurred_at,
        "original_time": event.original_time,
        "original_offset_minutes": event.original_offset_minutes,
        "actor": event.actor,
        "actor_kind": event.actor_kind,
        "text": event.text,
        "kind": event.kind,
        "source_type": event.source_type,
        "source_ref": event.source_ref,
        "source_url": http_url(event.source_url),
        "channel": event.channel,
        "key_event": event.key_event,
        "key_candidate": event.key_candidate,
        "hidden": event.hidden,
        "edited": event.edited,
        "parent_ref": event.parent_ref,
        "tags": list(event.tags),
        "attachments": [_attachment_out(a) for a in event.attachments or ()],
        "merged_into": event.merged_into_id,
        "version": event.version,
    }


def _event(request, incident_id, event_id) -> TimelineEvent:
    incident = incident_visible_or_404(user=request.user, pk=incident_id)
    return visible_or_404(
        TimelineEvent.objects.filter(incident=incident).select_related("incident"),
        event_id,
        message=EVENT_NOT_ON_INCIDENT,
    )


@router.get(
    "/incidents/{incident_id}/events",
    response=responses(200, EventPage, errors=(404, 422)),
    summary="Timeline events in time order (cursor pages)",
)
def list_events(request, incident_id: Id, filters: Query[EventFilters]):
    """`after` and `before` are cursors this API gave (next_cursor, previous_cursor): any other text is refused
    (422 naming the parameter). Both together read the events between the two positions."""
    incident = incident_visible_or_404(user=request.user, pk=incident_id)
    events = timeline_events(
        incident=incident,
        since=filters.since,
        until=filters.until,
        kinds=filters.kind or None,
        sources=filters.source or None,
        include_hidden=filters.include_hidden,
        key_only=filters.key_only,
        text=filters.text.strip(),
    )
    return event_page_out(*timeline_window(events, after=filters.after, before=filters.before, limit=filters.limit))


def event_page_out(rows: list[TimelineEvent], next_cursor: str | None, previous_cursor: str | None) -> dict:
    """A page of events (EventPage) from what timeline_window gives."""
    return {"results": [event_out(e) for e in rows], "next_cursor": next_cursor, "previous_cursor": previous_cursor}


def first_event_page_out(incident) -> dict:
    """The first page of the incident's events, as GET /incidents/{id}/events answers it without parameters
    (EVENTS_PER_PAGE events in time order, hidden ones left out). The incident must already be permission-checked."""
    return event_page_out(*timeline_window(timeline_events(incident=incident), limit=EVENTS_PER_PAGE))


@router.post(
    "/incidents/{incident_id}/events",
    response=responses(201, EventOut, errors=(400, 413, 403, 404, 422)),
    summary="Add an event by hand",
    description="403 when you may read the incident but not edit its timeline. A source_ref another event of the "
    "incident already cites is a 422.",
)
def add_event(request, incident_id: Id, payload: EventIn):
    incident = incident_visible_or_404(user=request.user, pk=incident_id)
    offset = payload.time.utcoffset()
    event = event_add(
        incident=incident,
        by=request.user,
        occurred_at=payload.time,
        text=payload.text,
        actor=payload.actor,
        actor_kind=payload.actor_kind,
        kind=payload.kind,
        source_url=payload.source_url,
        source_ref=payload.source_ref,
        original_time=payload.original_time or payload.time.isoformat(),
        original_offset_minutes=int(offset.total_seconds() // 60) if offset is not None else None,
        key_event=payload.key_event,
        tags=payload.tags,
    )
    return Status(201, event_out(event))


@router.get(
    "/incidents/{incident_id}/events/{int:event_id}",
    response=responses(200, EventOut, errors=(404, 422)),
    summary="Read an event",
)
def read_event(request, incident_id: Id, event_id: Id):
    return event_out(_event(request, incident_id, event_id))


@router.patch(
    "/incidents/{incident_id}/events/{int:event_id}",
    response=responses(200, EventOut, errors=(400, 413, 403, 404, 409, 422)),
    summary="Change an event (409 on a stale base_version)",
    description="403 when you may read the incident but not edit its timeline.",
)
def update_event(request, incident_id: Id, event_id: Id, payload: EventPatch):
    event = _event(request, incident_id, event_id)
    changes = payload.dict(exclude_unset=True)
    base_version = changes.pop("base_version", None)
    if "time" in changes:
        changes["occurred_at"] = changes.pop("time")
    return event_out(event_update(event=event, by=request.user, base_version=base_version, **changes))


@router.delete(
    "/incidents/{incident_id}/events/{int:event_id}",
    response=responses(204, None, errors=(403, 404, 422)),
    summary="Delete an event",
)
def delete_event(request, incident_id: Id, event_id: Id):
    event_delete(event=_event(request, incident_id, event_id), by=request.user)
    return Status(204, None)


@router.post(
    "/incidents/{incident_id}/events/bulk",
    response=responses(200, BulkOut, errors=(400, 413, 403, 404, 422)),
    summary="Hide, show, mark key, unmark or delete many events",
    description="404 naming the ids that are not events of this incident (nothing is changed then).",
)
def bulk_events(request, incident_id: Id, payload: BulkIn):
    incident = incident_visible_or_404(user=request.user, pk=incident_id)
    return {
        "changed": events_bulk(incident=incident, by=request.user, event_ids=payload.event_ids, action=payload.action)
    }


@router.post(
    "/incidents/{incident_id}/events/merge",
    response=responses(200, EventOut, errors=(400, 413, 403, 404, 422)),
    summary="Merge duplicates into one event",
    description="`keep` stays; the `duplicates` are hidden and point to it (nothing is lost; a key event among them "
    "makes `keep` one). Every id must be an event of this incident (404 naming the others, and nothing changes). "
    "Refused (422 naming `duplicates`) when no duplicate differs from `keep`.",
)
def merge_events(request, incident_id: Id, payload: MergeIn):
    incident = incident_visible_or_404(user=request.user, pk=incident_id)
    return event_out(
        events_merge(incident=incident, by=request.user, keep_id=payload.keep, duplicate_ids=payload.duplicates)
    )


@router.post(
    "/incidents/{incident_id}/events/{int:event_id}/milestone",
    response=responses(200, dict[str, datetime], errors=(400, 413, 403, 404, 422)),
    summary="Set a key moment of the incident from an event",
    description="Answers {moment: time}. Key moments stay in order (started_at <= detected_at <= acknowledged_at <= "
    "mitigated_at <= resolved_at): an event that would put one out of order is a 422 naming that moment. 403 when "
    "you may read the incident but not change it.",
)
def set_milestone(request, incident_id: Id, event_id: Id, payload: MilestoneIn):
    """The incident's key moments stay in order (started, detected, acknowledged, mitigated, resolved): a time that
    would put one before an earlier one is refused (422 naming that moment)."""
    incident = milestone_set_from_event(
        event=_event(request, incident_id, event_id), by=request.user, moment=payload.moment
    )
    return {payload.moment: getattr(incident, payload.moment)}


def display_out(incident) -> dict:
    return {
        "time_zone": incident.timeline_time_zone,
        "seconds": incident.timeline_seconds,
        "gap_minutes": incident.timeline_gap_minutes,
    }


@router.get(
    "/incidents/{incident_id}/timeline/display",
    response=responses(200, DisplayIO, errors=(404, 422)),
    summary="How the timeline is shown",
)
def read_display(request, incident_id: Id):
    return display_out(incident_visible_or_404(user=request.user, pk=incident_id))


@router.put(
    "/incidents/{incident_id}/timeline/display",
    response=responses(200, DisplayIO, errors=(400, 413, 403, 404, 422)),
    summary="Set the timeline's zone, seconds and quiet-period mark for everyone",
    description="403 when you may read the incident but not edit its timeline.",
)
def set_display(request, incident_id: Id, payload: DisplayIn):
    incident = timeline_display_set(
        incident=incident_visible_or_404(user=request.user, pk=incident_id),
        by=request.user,
        time_zone=payload.time_zone,
        seconds=payload.seconds,
        gap_minutes=payload.gap_minutes,
    )
    return display_out(incident)


@router.get(
    "/incidents/{incident_id}/timeline/checks",
    response=responses(200, list[dict], errors=(404, 422)),
    summary="Timeline checks: ordering, sources, zones, milestones",
)
def checks(request, incident_id: Id):
    return [f.as_dict() for f in timeline_summary(incident_visible_or_404(user=request.user, pk=incident_id)).findings]


@router.post(
    "/incidents/{incident_id}/timeline/imports",
    response=responses(
        {200: ImportOut, 201: ImportOut, 202: ImportJobOut},
        errors=(400, 413, 403, 404, 422),
        overrides={422: ImportRejectedOut},
    ),
    summary="Import a file (multipart): source, file, tz, since, until, channel, mapping, dry_run, background",
    description="Files up to TIMELINE_IMPORT_INLINE_BYTES (2 MB by default) are imported in the request (201; "
    "200 for a dry run, and 200 with no import_id when the file adds nothing: every event already on the timeline, or "
    "none left by the filters; no import is recorded then). Bigger ones, or any with background=true, answer 202 "
    "with a job to poll at its url; a dry run's job stops at ready with a preview, to confirm or drop. Files over "
    "TIMELINE_IMPORT_MAX_BYTES_API (200 MB by default) are refused: use the command line. A file that `source` "
    "cannot read is refused with its problems (422: file, line, field).",
)
def import_file(
    request,
    incident_id: Id,
    source: Form[ImportSource],
    file: File[UploadedFile],
    tz: Annotated[ZoneOrEmpty, Form("")],
    since: Annotated[InstantOrEmpty, Form("")],
    until: Annotated[InstantOrEmpty, Form("")],
    channel: Form[str] = "",
    mapping: Form[str] = "",
    dry_run: Form[bool] = False,
    background: Form[bool] = False,
):
    incident = incident_editable_or_403(user=request.user, pk=incident_id, forbidden=IMPORT_FORBIDDEN)
    asked = import_request_parse(
        source=source,
        tz=tz,
        since=since.isoformat() if since else "",
        until=until.isoformat() if until else "",
        channel=channel,
        mapping=mapping,
        dry_run=dry_run,
        background=background,
    )
    name = file.name or "upload"
    if import_runs_in_background(
        file_name=name, size=file.size, max_bytes=settings.TIMELINE_IMPORT_MAX_BYTES_API, asked=asked.background
    ):
        job = import_job_start(
            incident=incident,
            by=request.user,
            request=asked,
            file_name=name,
            content=b"".join(file.chunks()),
            confirm=not asked.dry_run,
        )
        return Status(202, import_job_out(job))
    try:
        events = parse_upload(asked.source, name, file.chunks(), asked.options, mapping=asked.mapping)
    except ImportFailed as exc:
        return Status(
            422,
            {
                "detail": f"{len(exc.problems)} problem(s); nothing was imported.",
                "field": "file",
                "problems": [ProblemOut(**p.__dict__).dict() for p in exc.problems],
            },
        )
    if asked.dry_run:
        return Status(
            200,
            {
                "import_id": None,
                "dry_run": True,
                "count": len(events),
                "added": 0,
                "skipped_existing": 0,
                "events": [e.as_json() for e in events[:1000]],
            },
        )
    try:
        record = timeline_import(
            incident=incident, by=request.user, source_type=asked.source, file_name=name, events=events
        )
    except NothingToImport:  # nothing created: no import to undo, so no import_id
        return Status(
            200,
            {
                "import_id": None,
                "dry_run": False,
                "count": len(events),
                "added": 0,
                "skipped_existing": len(events),
                "events": [],
            },
        )
    return Status(
        201,
        {
            "import_id": record.pk,
            "dry_run": False,
            "count": len(events),
            "added": record.event_count,
            "skipped_existing": record.skipped_count,
            "events": [],
        },
    )


def _import_job(request, incident_id: Id, job_id: Id) -> PendingImport:
    """The caller's own job: 404 when the incident is invisible, 403 when they may not edit its timeline, 404 for a job
    someone else uploaded (a job, with its file and preview, is only ever shown to its uploader)."""
    incident = incident_editable_or_403(user=request.user, pk=incident_id, forbidden=IMPORT_FORBIDDEN)
    return visible_or_404(
        import_jobs_of(user=request.user, incident=incident),
        job_id,
        message="No such import job, or it has expired (uploads are kept for a day).",
    )


@router.get(
    "/incidents/{incident_id}/timeline/import-jobs/{job_id}",
    response=responses(200, ImportJobOut, errors=(403, 404, 422)),
    summary="A background import: status, counts, problems, and the import id once done",
    description="403 when you may read the incident but not edit its timeline; 404 for a job someone else uploaded.",
)
def read_import_job(request, incident_id: Id, job_id: Id):
    return import_job_out(_import_job(request, incident_id, job_id))


@router.post(
    "/incidents/{incident_id}/timeline/import-jobs/{job_id}/confirm",
    response=responses(202, ImportJobOut, errors=(403, 404, 422)),
    summary="Import a background job that stopped at ready (a dry run)",
    description="Only a job at ready (a dry run that has been read) can be confirmed: any other status is refused "
    "(422 naming `status`). 403 when you may read the incident but not edit its timeline; 404 for a job someone else "
    "uploaded.",
)
def confirm_import_job(request, incident_id: Id, job_id: Id):
    job = import_job_confirm(job=_import_job(request, incident_id, job_id), by=request.user)
    return Status(202, import_job_out(job))


@router.delete(
    "/incidents/{incident_id}/timeline/imports/{import_id}",
    response=responses(200, RemovedOut, errors=(403, 404, 422)),
    summary="Undo an import as a whole",
    description="403 when you may read the incident but not edit its timeline. An import is undone once: undoing "
    "it again is refused (422 naming `import`).",
)
def undo_import(request, incident_id: Id, import_id: Id):
    incident = incident_visible_or_404(user=request.user, pk=incident_id)
    record = visible_or_404(ImportRecord.objects.filter(incident=incident), import_id, message="No such import.")
    return {"removed": import_undo(record=record, by=request.user)}
