"""Precision and recall of the write-up checker's language rules on labeled sentences.

Part of `make bench` (the "checks_labeled" key); alone: `python -m bench.labeled [FILE...]`.

Each labeled item is one sentence, list item, question or timeline event, the kind of section it
sits in, the rules a careful reviewer expects, and optionally the organization's people it names
(the checker is told them, as the app tells it its users, responders and timeline actors). The item
becomes a one-section document of its kind and the rules reported are compared with the rules
expected, family by family.

The parts (tests/checks/labeled/):
- `development-*.yaml`: written blind by people who had not seen the rules; the rules were tuned on them.
- `heldout-N.yaml`: written blind for round N by someone who had not seen the rules, the code or
  the development parts; never tuned on, scored once at the end of the round.
The first set, tests/checks/labeled_set.yaml, was written beside the rules and is scored apart.
Every writer got the same brief, tests/checks/labeled/SPEC.md. `make bench` scores every part each time it runs: a
held-out part for a new round should join the repository only when the round ends (see the closing notes).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retrospector.checks import Config, Document, Section, run

ROOT = Path(__file__).resolve().parents[1]
LABELED = ROOT / "tests" / "checks" / "labeled"
FIRST_SET = ROOT / "tests" / "checks" / "labeled_set.yaml"

# The language rules, one family each. Document-shape and completeness rules (timeline-*,
# section-*, summary-*, recommendation-incomplete, root-cause) are not scored here: they judge a
# document, not a sentence.
FAMILIES = {
    "blame": "blame",
    "counterfactual": "counterfactual / hindsight",
    "question-why": '"why" questions',
    "question-yes-no": "yes/no questions",
    "recommendation-vague": "vague actions",
    "impact-numbers": "impact without numbers",
}
KINDS = {
    "summary": "Summary",
    "timeline": "Timeline",
    "questions": "Discussion questions",
    "recommendations": "Action items",
    "impact": "Impact",
    "analysis": "Contributing factors",
    "accounts": "Responder accounts",
    "text": "Notes",
}
TIMELINE_HEADER = "| Time (UTC) | Event | Source |\n|---|---|---|\n"
CONFIG = Config(disable={"section-empty", "summary-unsupported", "recommendation-untraced"})
_LIST_ITEM = re.compile(r"\s*(?:[-*+]\s|\d+[.)]\s|\|)")
_STAMPED = re.compile(r"\s*(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}")


def load(path: Path, *, rules=None) -> list[dict]:
    """The items of one labeled file, checked for shape: a bad item names its file and position."""
    from retrospector.checks import RULES

    rules = set(rules or RULES)
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for n, item in enumerate(items, 1):
        where = f"{path.name}, item {n}"
        if not isinstance(item, dict) or not {"kind", "expect", "text"} <= set(item) <= {
            "kind",
            "expect",
            "text",
            "people",
        }:
            raise ValueError(f"{where}: needs kind, expect, text (and optionally people): {item!r}")
        if item["kind"] not in KINDS:
            raise ValueError(f"{where}: unknown kind {item['kind']!r}")
        unknown = set(item["expect"]) - rules
        if unknown:
            raise ValueError(f"{where}: unknown rule(s) {sorted(unknown)}")
    return items


def body_for(item: dict) -> str:
    text = item["text"]
    kind = item["kind"]
    if kind == "timeline":
        if text.startswith("|"):
            return text if "\n|---" in text or "\n| ---" in text else TIMELINE_HEADER + text + "\n"
        if not _STAMPED.match(text):
            return TIMELINE_HEADER + f"| 14:05 | {text.replace('|', '/')} | [chat](https://chat.example/m/1) |\n"
        return text + "\n"
    if kind in ("questions", "recommendations") and not _LIST_ITEM.match(text):
        return f"- {text}\n"
    return text + "\n"


def predicted(item: dict) -> set[str]:
    section = Section("item", KINDS[item["kind"]], body_for(item), kind=item["kind"])
    findings = run(Document.from_sections([section]), config=CONFIG, people=item.get("people") or ())
    return {f.rule for f in findings}


@dataclass
class Score:
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    items: int = 0
    mistakes: list = field(default_factory=list)

    def add(self, item: dict, got: set[str], families=FAMILIES) -> None:
        self.items += 1
        want = set(item["expect"]) & set(families)
        got = got & set(families)
        for rule in got & want:
            self.tp[rule] += 1
        for rule in got - want:
            self.fp[rule] += 1
        for rule in want - got:
            self.fn[rule] += 1
        if got != want:
            self.mistakes.append((item, sorted(got)))

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return round(a / b, 3) if b else None

    def precision(self, rule: str | None = None) -> float | None:
        tp = self.tp[rule] if rule else sum(self.tp.values())
        fp = self.fp[rule] if rule else sum(self.fp.values())
        return self._ratio(tp, tp + fp)

    def recall(self, rule: str | None = None) -> float | None:
        tp = self.tp[rule] if rule else sum(self.tp.values())
        fn = self.fn[rule] if rule else sum(self.fn.values())
        return self._ratio(tp, tp + fn)

    def as_dict(self, families=FAMILIES) -> dict:
        per = {}
        for rule in families:
            per[rule] = {
                "positives": self.tp[rule] + self.fn[rule],
                "tp": self.tp[rule],
                "fp": self.fp[rule],
                "fn": self.fn[rule],
                "precision": self.precision(rule),
                "recall": self.recall(rule),
            }
        return {
            "items": self.items,
            "precision": self.precision(),
            "recall": self.recall(),
            "families": per,
        }


def score(items: list[dict], families=FAMILIES) -> Score:
    result = Score()
    for item in items:
        result.add(item, predicted(item), families)
    return result


def parts() -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {"development": sorted(LABELED.glob("development-*.yaml"))}
    heldout = sorted(LABELED.glob("heldout-*.yaml"))
    for path in heldout:
        found[path.stem] = [path]
    return found


def run_bench() -> dict:
    out = {}
    for name, paths in parts().items():
        items = [item for path in paths for item in load(path)]
        if items:
            out[name] = score(items).as_dict()
    first = load(FIRST_SET)
    out["written_beside_the_rules"] = score(first).as_dict()
    out["real_postmortems"] = real_postmortems()
    return out


def real_postmortems() -> dict:
    """The language findings on the real postmortems in tests/fixtures/checks/real/, against their judgments."""
    judged = yaml.safe_load((ROOT / "tests" / "checks" / "real_postmortems_judged.yaml").read_text(encoding="utf-8"))
    verdicts = {(item["file"], item["line"], item["rule"]): item["verdict"] for item in judged}
    real = ROOT / "tests" / "fixtures" / "checks" / "real"
    files = [p for p in sorted(real.rglob("*")) if p.is_file() and not p.name.startswith("LICENSE")]
    found = []
    for path in files:
        for finding in run(Document.from_markdown(path.read_text(encoding="utf-8"))):
            if finding.rule in FAMILIES:
                found.append((str(path.relative_to(real)), finding.line, finding.rule))
    false_alarms = sum(1 for key in found if verdicts.get(key) == "false")
    unjudged = sum(1 for key in found if key not in verdicts)
    return {"files": len(files), "findings": len(found), "judged_false_alarms": false_alarms, "unjudged": unjudged}


def table(result: Score, title: str) -> str:
    lines = [
        f"{title}: {result.items} items",
        f"{'family':28} {'pos':>4} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6}",
    ]
    for rule in FAMILIES:
        p, r = result.precision(rule), result.recall(rule)
        lines.append(
            f"{rule:28} {result.tp[rule] + result.fn[rule]:4} {result.tp[rule]:4} "
            f"{result.fp[rule]:4} {result.fn[rule]:4} "
            f"{'' if p is None else f'{p:6.3f}':>6} {'' if r is None else f'{r:6.3f}':>6}"
        )
    lines.append(
        f"{'overall':28} {'':4} {sum(result.tp.values()):4} {sum(result.fp.values()):4} "
        f"{sum(result.fn.values()):4} {result.precision() or 0:6.3f} {result.recall() or 0:6.3f}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    import json

    args = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    verbose = "-v" in sys.argv
    if not args:
        print(json.dumps(run_bench(), indent=2))
    else:
        for path in args:
            result = score(load(path))
            print(table(result, path.name))
            if verbose:
                for item, got in result.mistakes:
                    print(
                        f"  [{item['kind']}] want {item['expect']} got {got}: {item['text']!r}"
                        + (f" people={item['people']}" if item.get("people") else "")
                    )
