"""How well past postmortems are understood, scored against an answer key written by someone who had not seen the
code: `python -m bench.history_heldout [FOLDER]` (default tests/fixtures/postmortems/heldout) prints JSON.

FOLDER holds files/ (the write-ups) and answers.json (one object per file: title, incident_id, start, end,
duration_minutes, severity, services, template, sections [{heading, key}], events, events_unreadable, action_items,
action_items_done, tickets). Each field is scored on the files whose answer gives it; counts score exact matches
and the mean absolute error. Pure Python (the readers and understanding, no database)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

from retrospector.importers.history.files import iter_inputs
from retrospector.importers.history.reading import read_input, unreadable
from retrospector.importers.history.understand import builtin_outlines, understand

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "fixtures" / "postmortems" / "heldout"


def _norm(text) -> str:
    return " ".join(str(text or "").casefold().split())


def _same_time(found, expected: str | None) -> bool | None:
    """Whether a read time is the answer's: the same instant when the answer has a time, else the same day."""
    if expected is None:
        return None
    if found is None:
        return False
    if "T" in expected:
        want = datetime.fromisoformat(expected)
        if not isinstance(found, datetime):
            return False
        if want.tzinfo is None:
            return found.replace(tzinfo=None) == want
        return found == want
    want_day = date.fromisoformat(expected)
    return (found.date() if isinstance(found, datetime) else found) == want_day


class Score:
    def __init__(self):
        self.fields: dict[str, list[bool]] = {}
        self.errors: dict[str, list[int]] = {}
        self.misses: list[dict] = []

    def add(self, name: str, ok: bool | None, file: str, found=None, expected=None) -> None:
        if ok is None:
            return
        self.fields.setdefault(name, []).append(bool(ok))
        if not ok:
            self.misses.append(
                {"file": file, "field": name, "found": str(found)[:120], "expected": str(expected)[:120]}
            )

    def count(self, name: str, found: int, expected, file: str) -> None:
        if expected is None:
            return
        self.add(name, found == expected, file, found, expected)
        self.errors.setdefault(name, []).append(abs(found - expected))

    def as_json(self) -> dict:
        out = {}
        for name, oks in self.fields.items():
            out[name] = {"accuracy": round(sum(oks) / len(oks), 3), "n": len(oks)}
            if name in self.errors:
                out[name]["mean_abs_error"] = round(sum(self.errors[name]) / len(self.errors[name]), 2)
        return out


def score(folder: Path, *, exclude: set[str] = frozenset()) -> dict:
    answers = json.loads((folder / "answers.json").read_text(encoding="utf-8"))
    templates = builtin_outlines()
    files = folder / "files"
    result = Score()
    tickets_found = tickets_expected = tickets_hit = 0
    for answer in answers:
        name = answer["file"]
        if name in exclude:
            continue
        [item] = list(iter_inputs([files / name]))
        doc = read_input(item)
        if unreadable(doc):
            result.add("read", False, name, doc.problems[0].message if doc.problems else "", "readable")
            continue
        result.add("read", True, name)
        record = understand(doc, templates=templates)
        value = lambda f: f.value if f is not None else None  # noqa: E731
        result.add(
            "title",
            _norm(value(record.title)) == _norm(answer.get("title")),
            name,
            value(record.title),
            answer.get("title"),
        )
        if "incident_id" in answer:
            result.add(
                "incident_id",
                _norm(value(record.incident_id)) == _norm(answer["incident_id"]),
                name,
                value(record.incident_id),
                answer["incident_id"],
            )
        result.add(
            "start",
            _same_time(value(record.started_at), answer.get("start")),
            name,
            value(record.started_at),
            answer.get("start"),
        )
        result.add(
            "end",
            _same_time(value(record.ended_at), answer.get("end")),
            name,
            value(record.ended_at),
            answer.get("end"),
        )
        if answer.get("duration_minutes") is not None:
            found = value(record.duration)
            minutes = round(found.total_seconds() / 60) if found is not None else None
            result.add("duration", minutes == answer["duration_minutes"], name, minutes, answer["duration_minutes"])
        if answer.get("severity") is not None:
            result.add(
                "severity",
                _norm(value(record.severity)) == _norm(answer["severity"]),
                name,
                value(record.severity),
                answer["severity"],
            )
        if answer.get("services"):
            found = {_norm(s) for s in (value(record.services) or ())}
            result.add(
                "services", found == {_norm(s) for s in answer["services"]}, name, sorted(found), answer["services"]
            )
        if answer.get("template"):
            result.add(
                "template", record.template_key == answer["template"], name, record.template_key, answer["template"]
            )
        by_heading = {_norm(s.title): s.key for s in record.sections}
        for section in answer.get("sections", []):
            heading = _norm(section["heading"])
            found = by_heading.get(heading, "(not a section)")
            # Scored only where the template was guessed right: a key of another template is not comparable.
            if record.template_key == answer.get("template") or section["key"] is None:
                result.add("section_key", found == section["key"], name, (section["heading"], found), section["key"])
            result.add("section_found", heading in by_heading, name, sorted(by_heading), section["heading"])
        timed = sum(1 for e in record.events if e.at is not None)
        result.count("events", timed, answer.get("events"), name)
        result.count("events_unreadable", len(record.events) - timed, answer.get("events_unreadable"), name)
        result.count("action_items", len(record.action_items), answer.get("action_items"), name)
        done = sum(1 for a in record.action_items if a.done)
        result.count("action_items_done", done, answer.get("action_items_done"), name)
        found_tickets = {_norm(r.key) for a in record.action_items for r in a.refs}
        expected_tickets = {_norm(t) for t in answer.get("tickets", [])}
        tickets_found += len(found_tickets)
        tickets_expected += len(expected_tickets)
        tickets_hit += len(found_tickets & expected_tickets)
    out = {"files": len(answers) - len(exclude), "fields": result.as_json()}
    out["tickets"] = {
        "precision": round(tickets_hit / tickets_found, 3) if tickets_found else None,
        "recall": round(tickets_hit / tickets_expected, 3) if tickets_expected else None,
    }
    oks = [ok for oks in result.fields.values() for ok in oks]
    out["all_fields_accuracy"] = round(sum(oks) / len(oks), 3) if oks else None
    out["misses"] = result.misses
    return out


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEFAULT
    exclude = set(argv[1].split(",")) if len(argv) > 1 else set()
    print(json.dumps(score(folder, exclude=exclude), indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
