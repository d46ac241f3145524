"""Timeline imports as people ask for them: the options, parsed and checked once for the page, the API, the command
line and the worker; whether an upload is imported in the request or in the background; and the small uploads that
wait, in the database, for their preview to be confirmed (the bigger ones are jobs: tasks.py).

Options arrive as strings (form fields, multipart fields, argparse, or as a job kept them) and leave as an
ImportRequest holding the importers' ImportOptions; a problem is a ValidationError naming the option.
"""

from __future__ import annotations

import io
import zipfile
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.core.untrusted import utc_in_range
from retrospector.importers.base import ImportOptions, ParsedEvent, parse_rfc3339
from retrospector.importers.registry import SOURCES, parse_uploads
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import can_edit_incident
from retrospector.timeline.models import ImportRecord, PendingImport
from retrospector.timeline.services import NothingToImport, timeline_import

STORED_OPTIONS = ("tz", "channel", "mapping", "since", "until")
# The times an import form starts with: the incident's window and a margin (the alerts before impact, the chat after).
WINDOW_BEFORE = timedelta(hours=1)
WINDOW_AFTER = timedelta(hours=4)


@dataclass(frozen=True)
class ImportRequest:
    """What to import and how: checked options, ready for the importers (`options`, `mapping`) and for keeping on a
    PendingImport (`stored()`)."""

    source: str
    options: ImportOptions
    mapping: str = ""
    dry_run: bool = False
    background: bool = False  # asked for (the API's background=true); big files go there anyway

    def stored(self) -> dict:
        """The options as a PendingImport keeps them (JSON), read back by from_stored."""
        options = self.options
        return {
            "tz": options.tz.key if options.tz else "",
            "channel": ",".join(sorted(options.channels or ())),
            "mapping": self.mapping,
            "since": options.since.isoformat() if options.since else None,
            "until": options.until.isoformat() if options.until else None,
        }

    @classmethod
    def from_stored(cls, *, source: str, stored: dict) -> ImportRequest:
        """A kept upload's options, checked again by import_request_parse (the same rules as when it was sent)."""
        return import_request_parse(source=source, **{key: stored.get(key) for key in STORED_OPTIONS})


def import_request_parse(
    *,
    source: str,
    tz: str | None = "",
    since: str | None = "",
    until: str | None = "",
    channel: str | Iterable[str] | None = "",
    mapping: str | None = "",
    dry_run: bool = False,
    background: bool = False,
    local_zone: zoneinfo.ZoneInfo | None = None,
) -> ImportRequest:
    """Check an import's options, as given: `since` and `until` are RFC 3339 times with a zone (the page's
    datetime-local values have none: they are meant in `local_zone`, the viewer's); `channel` is comma-separated,
    or one channel per item when a list (the command line's repeated --channel). Raises ValidationError naming the
    option: source, tz, since or until. The mapping is checked by the importer, with the file (a problem in it is
    one of the file's problems)."""
    if source not in SOURCES:
        raise ValidationError({"source": f"Unknown source {source!r}; use one of {', '.join(SOURCES)}."})
    zone = None
    if tz := (tz or "").strip():
        try:
            zone = zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            message = f"Unknown time zone {tz!r}; use a name such as Europe/Paris or UTC."
            raise ValidationError({"tz": message}) from None
    if isinstance(channel, str) or channel is None:
        channel = (channel or "").split(",")
    channels = frozenset(c.strip() for c in channel if c and c.strip()) or None
    if channels and source == "slack":  # people write Slack channels as they see them: "#incident-42"
        channels = frozenset(c.removeprefix("#").strip() or c for c in channels)
    return ImportRequest(
        source=source,
        options=ImportOptions(
            tz=zone,
            channels=channels,
            since=_moment("since", since, local_zone),
            until=_moment("until", until, local_zone),
        ),
        mapping=(mapping or "").strip(),
        dry_run=bool(dry_run),
        background=bool(background),
    )


def _moment(option: str, value: str | None, local_zone: zoneinfo.ZoneInfo | None) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = parse_rfc3339(value)
    except ValueError:
        if local_zone is None:
            raise ValidationError(
                {option: f"Not a time with a zone: {value!r}; give an RFC 3339 time such as 2024-05-01T14:00:00Z."}
            ) from None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError({option: f"Not a date and time: {value!r}."}) from None
        moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=local_zone)
    try:
        utc_in_range(moment)
    except ValueError as exc:
        raise ValidationError({option: f"{value!r} {exc}."}) from None
    return moment


@dataclass(frozen=True)
class ImportWindow:
    """The times an import of an incident's events starts from: from WINDOW_BEFORE before its start to WINDOW_AFTER
    after its resolution (`until` None while it is not resolved: up to now)."""

    since: datetime
    until: datetime | None

    def holds(self, moment: datetime) -> bool:
        return moment >= self.since and (self.until is None or moment <= self.until)


def import_window(incident: Incident) -> ImportWindow:
    resolved = incident.resolved_at
    return ImportWindow(
        since=incident.started_at - WINDOW_BEFORE, until=resolved + WINDOW_AFTER if resolved is not None else None
    )


def events_outside_window(events: Sequence[ParsedEvent], window: ImportWindow) -> int:
    """How many events fall outside the incident's window: a whole export read around a two-day incident says so."""
    return sum(1 for event in events if not window.holds(event.occurred_at))


def hours_text(span: timedelta) -> str:
    """1 hour, 4 hours, 90 minutes."""
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    return "1 hour" if minutes == 60 else f"{minutes // 60} hours"


def size_text(size: int) -> str:
    """A size as people read it: "50 MB", "2.5 MB", "300 KB"."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024**2:
        return f"{size / 1024:.0f} KB"
    megabytes = size / 1024**2
    return f"{megabytes:.0f} MB" if megabytes >= 10 or megabytes == int(megabytes) else f"{megabytes:.1f} MB"


def import_runs_in_background(*, file_name: str, size: int, max_bytes: int, asked: bool = False) -> bool:
    """Whether an upload is read and imported by the worker (when asked, or bigger than
    settings.TIMELINE_IMPORT_INLINE_BYTES) rather than in the request. `max_bytes` is the surface's cap
    (settings.TIMELINE_IMPORT_MAX_BYTES_PAGE or _API; the command line reads files from disk and has none):
    a bigger upload is refused with a ValidationError on "file"."""
    if size > max_bytes:
        raise ValidationError(
            {
                "file": f"{file_name} is {size_text(size)}; upload up to {size_text(max_bytes)} here "
                "or use the command line."
            }
        )
    return asked or size > settings.TIMELINE_IMPORT_INLINE_BYTES


IMPORT_FORBIDDEN = "Only members of the incident's team can import into its timeline."


def import_permission_check(*, by: User, incident: Incident) -> None:
    if not can_edit_incident(by, incident):
        raise PermissionDenied(IMPORT_FORBIDDEN)


# --- Uploads on their way in --------------------------------------------------------------------------------------


def upload_bundle(files: Sequence[tuple[str, bytes]]) -> tuple[str, bytes, list[str]]:
    """Uploaded files as a PendingImport keeps them: (file name, content, names). One file is kept as it is (names is
    empty); several (a Slack channel's day files) as an uncompressed zip of them, their names listed in the options
    ("files") and joined into the file name that the import is recorded under."""
    if len(files) == 1:
        ((name, content),) = files
        return name, content, []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as bundle:
        for index, (name, content) in enumerate(files):
            bundle.writestr(f"{index}/{name}", content)
    names = [name for name, _ in files]
    label = ", ".join(names)
    return (label if len(label) <= 300 else label[:299] + "…"), buffer.getvalue(), names


def pending_files(pending: PendingImport) -> list[tuple[str, bytes]]:
    """The files of an upload, each (name, bytes), as upload_bundle was given them."""
    names = pending.options.get("files") or []
    if not names:
        return [(pending.file_name, bytes(pending.content))]
    with zipfile.ZipFile(io.BytesIO(bytes(pending.content))) as bundle:  # our own, uncompressed: no bomb
        return [(name, bundle.read(f"{index}/{name}")) for index, name in enumerate(names)]


def pending_import_create(
    *,
    incident: Incident,
    by: User,
    request: ImportRequest,
    file_name: str,
    content: bytes,
    files: Sequence[str] = (),
    background: bool = False,
    confirm: bool = False,
) -> PendingImport:
    """Keep an upload until it is imported: a small one previewed in the request waits for its uploader to confirm
    (pending_import_confirm); a background job starts queued, and already confirmed with `confirm` (the API without
    dry_run); tasks.import_job_start queues its first step."""
    import_permission_check(by=by, incident=incident)
    job = {}
    if background:
        now = timezone.now()
        job = {"status": PendingImport.Status.QUEUED, "queued_at": now, "confirmed_at": now if confirm else None}
    return PendingImport.objects.create(
        incident=incident,
        created_by=by,
        source_type=request.source,
        file_name=(file_name or "upload")[:300],
        content=content,
        file_size=len(content),
        options={**request.stored(), **({"files": list(files)} if files else {})},
        background=background,
        **job,
    )


def pending_import_for(*, user: User, incident: Incident, pk) -> PendingImport | None:
    """The user's own small upload waiting for confirmation (None when gone: confirmed, expired, or not theirs)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        PendingImport.objects.filter(pk=pk, incident=incident, created_by=user, background=False)
        .select_related("incident")
        .first()
    )


def pending_import_confirm(*, pending: PendingImport, by: User) -> ImportRecord:
    """Import a small upload whose preview its uploader confirmed, and drop the upload. Raises ImportFailed when the
    file no longer reads (nothing is saved and the upload stays), and NothingToImport when it would add no event (the
    upload is dropped: confirming it again could only add nothing again)."""
    if pending.created_by_id != by.pk or pending.background:
        raise PermissionDenied("Only the person who uploaded the file can confirm its import.")
    request = ImportRequest.from_stored(source=pending.source_type, stored=pending.options)
    # Read before the transaction: on SQLite a transaction takes the write lock, which others would wait for.
    events = parse_uploads(request.source, pending_files(pending), request.options, mapping=request.mapping)
    try:
        with transaction.atomic():
            record = timeline_import(
                incident=pending.incident, by=by, source_type=request.source, file_name=pending.file_name, events=events
            )
            pending_import_discard(pending=pending)
    except NothingToImport:
        pending_import_discard(pending=pending)
        raise
    return record


def pending_import_refine(*, pending: PendingImport, by: User, request: ImportRequest) -> PendingImport:
    """Keep other options for an upload waiting for its confirmation (channels and times chosen from its preview)."""
    if pending.created_by_id != by.pk:
        raise PermissionDenied("Only the person who uploaded the file can change what is imported from it.")
    import_permission_check(by=by, incident=pending.incident)
    files = pending.options.get("files")
    pending.options = {**request.stored(), **({"files": files} if files else {})}
    PendingImport.objects.filter(pk=pending.pk).update(options=pending.options)
    return pending


def pending_import_discard(*, pending: PendingImport) -> None:
    """Drop an upload with its bytes (once imported; unconfirmed ones expire: tasks.import_jobs_prune)."""
    PendingImport.objects.filter(pk=pending.pk).delete()
