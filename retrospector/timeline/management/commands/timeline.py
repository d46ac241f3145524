import json
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from retrospector.accounts.selectors import command_user
from retrospector.importers.base import ImportFailed
from retrospector.importers.registry import SOURCES, parse_source, sort_for_display
from retrospector.incidents.models import Incident
from retrospector.timeline.imports import import_request_parse


class Progress:
    """A one-line progress counter on a terminal; silent otherwise."""

    def __init__(self, stream, every: int = 5000):
        self.stream = stream
        self.enabled = hasattr(stream, "isatty") and stream.isatty()
        self.every = every
        self.count = 0

    def wrap(self, events):
        for event in events:
            self.count += 1
            if self.enabled and self.count % self.every == 0:
                self.stream.write(f"\r{self.count:,} events read…")
                self.stream.flush()
            yield event
        if self.enabled:
            self.stream.write(f"\r{self.count:,} events read.   \n")


class Command(BaseCommand):
    help = (
        "Import a timeline: `timeline import INCIDENT_ID --source SOURCE PATH "
        "[--tz ZONE] [--since T --until T] [--channel NAME] [--dry-run] [--format json]`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import events from a file or export into an incident's timeline.")
        imp.add_argument("incident_id", type=int)
        imp.add_argument("path")
        imp.add_argument("--source", required=True, choices=sorted(SOURCES))
        imp.add_argument("--tz", help="Zone of times written without one (CSV, JSON lines), e.g. Europe/Paris.")
        imp.add_argument("--since", help="Only events at or after this RFC 3339 time.")
        imp.add_argument("--until", help="Only events at or before this RFC 3339 time.")
        imp.add_argument("--channel", action="append", help="Only this channel / service (repeatable).")
        imp.add_argument(
            "--mapping", default="", help="Column or field mapping for csv/jsonl, e.g. time=ts,text=message,actor=user."
        )
        imp.add_argument(
            "--as-user", dest="as_user", help="Who the import is recorded as (default: the first organization admin)."
        )
        imp.add_argument("--dry-run", action="store_true", help="Parse and show, save nothing.")
        imp.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, action, **opts):
        path = Path(opts["path"])
        try:
            asked = import_request_parse(
                source=opts["source"],
                tz=opts["tz"],
                since=opts["since"],
                until=opts["until"],
                channel=opts["channel"] or (),
                mapping=opts["mapping"],
                dry_run=opts["dry_run"],
            )
        except ValidationError as exc:
            raise CommandError(
                " ".join(
                    f"--{field}: {message}" for field, messages in exc.message_dict.items() for message in messages
                )
            ) from None
        incident = Incident.objects.filter(pk=opts["incident_id"]).select_related("team").first()
        if incident is None:  # a dry run too: a preview of an import that cannot happen would mislead
            raise CommandError(f"No incident #{opts['incident_id']}.")
        progress = Progress(sys.stderr)
        try:
            events = progress.wrap(parse_source(asked.source, path, asked.options, mapping=asked.mapping))
            if asked.dry_run:
                ordered = sort_for_display(list(events))
                if opts["format"] == "json":
                    self.stdout.write(json.dumps([e.as_json() for e in ordered], ensure_ascii=False, indent=2))
                else:
                    for e in ordered:
                        self.stdout.write(f"{e.as_json()['time']}  {e.kind:<14} {e.actor}: {e.text[:100]}")
                    self.stderr.write(f"{len(ordered)} events; nothing saved (dry run).")
                return
            from retrospector.timeline.services import NothingToImport, timeline_import

            by = self._user(opts["as_user"], incident)
            try:
                record = timeline_import(
                    incident=incident, by=by, source_type=asked.source, file_name=path.name, events=events
                )
            except NothingToImport as exc:  # not a failure: importing again is meant to add nothing
                self._nothing_new(exc, incident, opts["format"])
                return
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            self.stderr.write(f"{len(exc.problems)} problem(s); nothing was saved.")
            raise SystemExit(1) from None
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        summary = {"import_id": record.pk, "added": record.event_count, "skipped_existing": record.skipped_count}
        if opts["format"] == "json":
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"Added {record.event_count} events to incident #{incident.pk} "
                f"({record.skipped_count} already there). Undo with the import #{record.pk} on the timeline page."
            )

    def _nothing_new(self, exc, incident, output_format):
        if output_format == "json":
            self.stdout.write(json.dumps({"import_id": None, "added": 0, "skipped_existing": exc.read}))
        else:
            added = f"Nothing was added to incident #{incident.pk}; no import was recorded."
            self.stdout.write(f"{' '.join(exc.messages)} {added}")

    def _user(self, username, incident):
        try:
            return command_user(username=username, organization_id=incident.organization_id)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
