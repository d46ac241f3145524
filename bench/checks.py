"""How fast is the write-up checker? Part of `make bench`; alone: `python -m bench.checks`.

Builds a 5,000-line write-up (all section kinds, a long timeline table, many action items) and
1,000 small files from the real postmortems in tests/fixtures/checks, then times `run` on the
first and a real `retrospector lint` process (start-up included, JSON output) on the second.
Then scores the language rules on the labeled parts (bench/labeled.py): precision and recall per
family on the development part, on each held-out part, and on the first set written beside the rules.
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from retrospector.checks import Document, run

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "checks"
TARGETS = {"checks_5000_lines_ms": 100, "lint_1000_files_seconds": 5}
# On the latest held-out part (bench/labeled.py): at least these.
LABELED_TARGETS = {
    "checks_heldout_precision": 0.9,
    "checks_heldout_recall": 0.9,
    "checks_heldout_worst_family_recall": 0.8,
}

_ACTIONS = [
    "| Alert when certificate expiry is under 14 days | Priya | Alert fires in staging | 2024-07-01 | OPS-{n} |",
    "| Improve monitoring |  |  |  |  |",
    "| Make the migration script refuse to run twice | Sam | Second run exits non-zero | 2024-08-15 | OPS-{n} |",
    "| Add a synthetic check for the /api path | Jonas | Check runs every minute | 2024-09-01 | OPS-{n} |",
]
_QUESTIONS = [
    "What did the replication dashboard show when the first alert fired?",
    "Did anyone look at the queue depth?",
    "How did you decide to fail over rather than wait?",
    "Which signals did you trust first, and which did you ignore at the time?",
]


def _real_prose() -> list[str]:
    """Prose lines (no headings, tables or code) from the real postmortems in the fixtures."""
    lines = []
    for path in sorted(p for p in FIXTURES.glob("*.md") if p.name != "SOURCES.md"):
        fence = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fence = not fence
                continue
            if fence or not line.strip() or line.lstrip().startswith(("#", "|", "+++")) or "=" in line[:12]:
                continue
            lines.append(line.rstrip())
    return lines


def big_writeup(lines: int = 5000, seed: int = 7) -> str:
    """A long write-up: real prose for the analysis, a 1,500-row timeline, questions, action items."""
    rng = random.Random(seed)
    prose = _real_prose()
    out = [
        "# Checkout outage",
        "",
        "## Summary",
        "",
        "For 38 minutes about 1,200 customers could not check out after a configuration push.",
        "",
        "## Impact",
        "",
        "About 1,200 customers (4% of sessions) saw errors for 38 minutes.",
        "",
        "## Timeline",
        "",
        "All times in UTC.",
        "",
        "| Time | Event | Source |",
        "|---|---|---|",
    ]
    minute = 0
    for _ in range(int(lines * 0.3)):
        minute += rng.randint(0, 2)
        event = rng.choice(prose).lstrip("-* ").replace("|", "/")[:90]
        out.append(
            f"| 2024-05-{1 + minute // 1440:02d} {minute // 60 % 24:02d}:{minute % 60:02d} | "
            f"{event} | [log](https://logs.example/{minute}) |"
        )
    out += ["", "## Contributing factors", ""]
    out += [f"- {rng.choice(prose).lstrip('-* ')}" for _ in range(int(lines * 0.1))]
    out += ["", "## Analysis", ""]
    i = 0
    while len(out) < lines * 0.75:
        # Wrapped at 80 columns, as most write-ups kept in git are.
        out += textwrap.wrap(prose[i % len(prose)], 80) or [""]
        i += 1
        if i % 6 == 0:
            out.append("")
    out += ["", "## Discussion questions", ""]
    out += [f"- {rng.choice(_QUESTIONS)}" for _ in range(int(lines * 0.04))]
    out += ["", "## Action items", "", "| Action | Owner | Done when | Due | Ticket |", "|---|---|---|---|---|"]
    n = 0
    while len(out) < lines:
        n += 1
        out.append(rng.choice(_ACTIONS).format(n=n))
    return "\n".join(out[:lines]) + "\n"


def time_single(text: str, repeat: int = 15) -> tuple[float, float, int]:
    run(Document.from_markdown(text))  # warm caches and compiled patterns
    samples = []
    findings = 0
    for _ in range(repeat):
        start = time.perf_counter()
        findings = len(run(Document.from_markdown(text)))
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples), findings


def time_many(count: int = 1000) -> tuple[float, int]:
    sources = sorted(p for p in FIXTURES.glob("*.md") if p.name != "SOURCES.md")
    tmp = Path(tempfile.mkdtemp(prefix="retrospector-lint-bench-"))
    try:
        for i in range(count):
            src = sources[i % len(sources)]
            (tmp / f"{i:04d}-{src.name}").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
        import subprocess

        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "retrospector", "lint", "--format", "json", str(tmp)],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
            cwd=ROOT,
        )
        elapsed = time.perf_counter() - start
        assert done.returncode in (0, 1), done.stderr
        return elapsed, done.stdout.count('"rule"')
    finally:
        shutil.rmtree(tmp)


def run_bench() -> dict:
    median, best, findings = time_single(big_writeup())
    elapsed, lint_findings = time_many()
    observed = {"checks_5000_lines_ms": round(median * 1000, 1), "lint_1000_files_seconds": round(elapsed, 2)}
    met = {k: observed[k] < TARGETS[k] for k in TARGETS}
    from bench import labeled

    scores = labeled.run_bench()
    heldout = sorted(k for k in scores if k.startswith("heldout-"))
    targets = dict(TARGETS)
    if heldout:
        latest = scores[heldout[-1]]
        recalls = [f["recall"] for f in latest["families"].values() if f["recall"] is not None]
        labeled_observed = {
            "checks_heldout_precision": latest["precision"],
            "checks_heldout_recall": latest["recall"],
            "checks_heldout_worst_family_recall": min(recalls) if recalls else None,
        }
        observed.update(labeled_observed)
        targets.update(LABELED_TARGETS)
        met.update({k: v is not None and v >= LABELED_TARGETS[k] for k, v in labeled_observed.items()})
    return {
        "checks_5000_lines": {
            "median_ms": observed["checks_5000_lines_ms"],
            "best_ms": round(best * 1000, 1),
            "findings": findings,
        },
        "lint_1000_files": {"seconds": observed["lint_1000_files_seconds"], "findings": lint_findings},
        "labeled": scores,
        "targets": targets,
        "observed": observed,
        "met": met,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run_bench(), indent=2))
