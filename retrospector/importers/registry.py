"""Which module parses which source, and how options reach it. Pure Python."""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from .base import ImportFailed, ImportOptions, ImportProblem, ParsedEvent

SOURCES = {
    "slack": "slack",
    "pagerduty": "pagerduty",
    "alertmanager": "alertmanager",
    "grafana": "grafana",
    "opsgenie": "opsgenie",
    "github": "github",
    "csv": "csv_log",
    "jsonl": "jsonl",
}
PROGRESS_EVERY = 5_000  # events between two progress reports of parse_upload
SOURCE_LABELS = {
    "slack": "Slack workspace export (zip or folder)",
    "pagerduty": "PagerDuty log entries or webhook events",
    "alertmanager": "Prometheus Alertmanager webhook payloads",
    "grafana": "Grafana alerting webhook payloads",
    "opsgenie": "Opsgenie alert webhook payloads",
    "github": "GitHub deployment / deployment_status webhooks",
    "csv": "CSV with a column mapping",
    "jsonl": "JSON-lines logs",
}


def parse_source(source: str, path: Path, options: ImportOptions, *, mapping: str = "") -> Iterator[ParsedEvent]:
    """Parse `path` as `source`; raises ImportFailed on bad input (never saves anything)."""
    if source not in SOURCES:
        raise ImportFailed(
            [
                ImportProblem(
                    file=str(path),
                    field="source",
                    message=f"unknown source {source!r}; use one of {', '.join(SOURCES)}.",
                )
            ]
        )
    if not path.exists():
        raise ImportFailed([ImportProblem(file=str(path), message="no such file or folder.")])
    module = importlib.import_module(f"retrospector.importers.{SOURCES[source]}")
    if source == "csv":
        spec = mapping or "time=time,text=text,actor=actor?,source=source?"
        try:
            column_mapping = module.CsvMapping.from_spec(spec)
        except ValueError as exc:
            raise ImportFailed([ImportProblem(file=str(path), field="mapping", message=str(exc))]) from exc
        return module.parse(path, options, mapping=column_mapping)
    if source == "jsonl":
        try:
            field_mapping = module.JsonlMapping.from_spec(mapping) if mapping else None
        except ValueError as exc:
            raise ImportFailed([ImportProblem(file=str(path), field="mapping", message=str(exc))]) from exc
        return module.parse(path, options, mapping=field_mapping) if field_mapping else module.parse(path, options)
    return module.parse(path, options)


def parse_upload(
    source: str,
    file_name: str,
    chunks: Iterable[bytes],
    options: ImportOptions,
    *,
    mapping: str = "",
    progress: Callable[[int], None] | None = None,
) -> list[ParsedEvent]:
    """Parse an uploaded file (given as byte chunks) in display order; the parsers read paths, so it is written
    to a temporary folder under its own name first (a Slack export's name tells zip from folder). `progress`, when
    given, is called with the number of events read so far every PROGRESS_EVERY events (a background job shows it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(file_name).name or "upload")
        with path.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        try:
            parsed = parse_source(source, path, options, mapping=mapping)
            if progress is None:
                return sort_for_display(list(parsed))
            events: list[ParsedEvent] = []
            for event in parsed:
                events.append(event)
                if len(events) % PROGRESS_EVERY == 0:
                    progress(len(events))
            return sort_for_display(events)
        except ImportFailed as exc:
            # Problems name the file as uploaded ("export.zip", "bad.json:3"), not the temporary folder it
            # was read from.
            prefix = folder.rstrip("/") + "/"
            raise ImportFailed([replace(p, file=p.file.removeprefix(prefix)) for p in exc.problems]) from None


def sort_for_display(events: list[ParsedEvent]) -> list[ParsedEvent]:
    # Stable on time alone: a source that lists same-second entries in their real order keeps it.
    return sorted(events, key=lambda e: e.occurred_at)
