"""Which module parses which source, and how options reach it. Pure Python."""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from .base import ImportFailed, ImportOptions, ImportProblem, ParsedEvent
from .slack import ChannelCount

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
    "slack": "Slack: workspace export (.zip) or day files (.json)",
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
    """Parse an uploaded file (given as byte chunks) in display order: parse_uploads with one file."""
    return parse_uploads(source, [(file_name, chunks)], options, mapping=mapping, progress=progress)


def parse_uploads(
    source: str,
    files: Sequence[tuple[str, bytes | Iterable[bytes]]],
    options: ImportOptions,
    *,
    mapping: str = "",
    progress: Callable[[int], None] | None = None,
) -> list[ParsedEvent]:
    """Parse uploaded files, each (name, bytes or byte chunks), in display order. One file is parsed as `source`;
    several are only taken for Slack (loose day files, with users.json and channels.json: slack.parse_files). The
    parsers read paths, so the files are written to a temporary folder under their own names first (a Slack export's
    name tells zip from folder). `progress`, when given, is called with the number of events read so far every
    PROGRESS_EVERY events (a background job shows it). Problems name each file as uploaded."""
    with tempfile.TemporaryDirectory() as folder:
        paths = _written(Path(folder), files)
        try:
            parsed = _parse_paths(source, paths, options, mapping=mapping)
            if progress is None:
                return sort_for_display(list(parsed))
            events: list[ParsedEvent] = []
            for event in parsed:
                events.append(event)
                if len(events) % PROGRESS_EVERY == 0:
                    progress(len(events))
            return sort_for_display(events)
        except ImportFailed as exc:
            raise _named_as_uploaded(exc, folder) from None


def survey_uploads(
    source: str, files: Sequence[tuple[str, bytes | Iterable[bytes]]], options: ImportOptions
) -> list[ChannelCount] | None:
    """The channels an upload holds, with their messages counted in and out of options.since/until, for a person to
    choose from; None for a source or an upload that has no such choice (anything but one Slack export). Raises
    ImportFailed as parsing would when the export is refused by its limits."""
    if source != "slack" or len(files) != 1:
        return None
    from . import slack

    with tempfile.TemporaryDirectory() as folder:
        (path,) = _written(Path(folder), files)
        try:
            return slack.survey(path, options) or None
        except ImportFailed as exc:
            raise _named_as_uploaded(exc, folder) from None


def _written(folder: Path, files: Sequence[tuple[str, bytes | Iterable[bytes]]]) -> list[Path]:
    paths = []
    for index, (file_name, chunks) in enumerate(files):
        # Each in its own folder: two files may share a name (the importer says so, naming it).
        path = folder / str(index) / (Path(file_name).name or "upload")
        path.parent.mkdir()
        with path.open("wb") as out:
            for chunk in [chunks] if isinstance(chunks, (bytes, bytearray, memoryview)) else chunks:
                out.write(chunk)
        paths.append(path)
    return paths


def _named_as_uploaded(exc: ImportFailed, folder: str) -> ImportFailed:
    """Problems name the file as uploaded ("export.zip", "bad.json:3"), not the temporary folder it was read from."""
    prefix = folder.rstrip("/") + "/"

    def shown(name: str) -> str:
        if not name.startswith(prefix):
            return name
        return name.removeprefix(prefix).partition("/")[2]

    return ImportFailed([replace(p, file=shown(p.file)) for p in exc.problems])


def _parse_paths(source: str, paths: list[Path], options: ImportOptions, *, mapping: str) -> Iterator[ParsedEvent]:
    if len(paths) == 1:
        return parse_source(source, paths[0], options, mapping=mapping)
    names = ", ".join(p.name for p in paths[:5]) + (", …" if len(paths) > 5 else "")
    if source != "slack":
        message = f"{len(paths)} files were picked; {SOURCE_LABELS.get(source, source)} takes one file at a time."
        raise ImportFailed([ImportProblem(file=names, field="file", message=message)])
    if zips := [p.name for p in paths if not p.name.lower().endswith(".json")]:
        message = "a Slack export (.zip) is uploaded on its own; pick the zip alone, or only .json day files."
        raise ImportFailed([ImportProblem(file=zips[0], field="file", message=message)])
    from . import slack

    return slack.parse_files(paths, options)


def sort_for_display(events: list[ParsedEvent]) -> list[ParsedEvent]:
    # Stable on time alone: a source that lists same-second entries in their real order keeps it.
    return sorted(events, key=lambda e: e.occurred_at)
