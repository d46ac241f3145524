"""`retrospector export-all` (the file name is the command's: a hyphen is fine for Django's command loader)."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class _Buffered:
    """Collects the small pieces export_all writes into larger writes."""

    def __init__(self, sink, size: int = 1 << 16):
        self.sink, self.size, self.parts, self.length = sink, size, [], 0

    def __call__(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)
        if self.length >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.sink("".join(self.parts))
            self.parts, self.length = [], 0


class Command(BaseCommand):
    help = (
        "Write every organization's incidents, timelines, write-ups and revisions as one JSON document "
        "(docs/backup.md), read in one snapshot while the server keeps running. An operator command: it exports "
        "everything, private incidents included, with no permission filtering. It holds no secrets: no password "
        "hashes, API token digests, sessions or uploaded files (use `retrospector backup` for a whole-database "
        "backup)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json"], default="json", help="The only format for now: json.")
        parser.add_argument(
            "--output", type=Path, help="Write to this file (created 0600, replaced when complete); default stdout."
        )

    def handle(self, *args, output, **options):
        from retrospector.backup.export_all import export_all

        if output is None:
            write = _Buffered(lambda text: self.stdout.write(text, ending=""))
            export_all(write)
            write.flush()
            return
        output = output.absolute()
        if not output.parent.is_dir():
            raise CommandError(f"{output.parent} is not a folder.")
        # Private incidents are in it: only the owner reads it. Written beside the target, then renamed over it.
        fd, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".partial")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                write = _Buffered(f.write)
                counts = export_all(write)
                write.flush()
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stderr.write(
            f"Exported {counts['organizations']} organizations, {counts['incidents']} incidents "
            f"({counts['events']} timeline events), {counts['retrospectives']} retrospectives "
            f"({counts['revisions']} revisions) to {output}."
        )
