"""How fast is the write-up checker? `python tests/checks/bench_checks.py`

Builds a 5,000-line write-up (all section kinds, a long timeline table, many action items) and
1,000 small files from the real postmortems in tests/fixtures/checks, then times `run` on the
first and `retrospector lint` (the CLI function, JSON output to /dev/null) on the second.
"""

from __future__ import annotations

import contextlib
import io
import random
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from retrospector.checks import Document, run  # noqa: E402
from retrospector.checks.cli import main as lint_main  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checks"

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
    out = ["# Checkout outage", "", "## Summary", "",
           "For 38 minutes about 1,200 customers could not check out after a configuration push.", "",
           "## Impact", "", "About 1,200 customers (4% of sessions) saw errors for 38 minutes.", "",
           "## Timeline", "", "All times in UTC.", "", "| Time | Event | Source |", "|---|---|---|"]
    minute = 0
    for _ in range(int(lines * 0.3)):
        minute += rng.randint(0, 2)
        event = rng.choice(prose).lstrip("-* ").replace("|", "/")[:90]
        out.append(f"| 2024-05-{1 + minute // 1440:02d} {minute // 60 % 24:02d}:{minute % 60:02d} | "
                   f"{event} | [log](https://logs.example/{minute}) |")
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
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = lint_main(["--format", "json", str(tmp)])
        elapsed = time.perf_counter() - start
        assert code in (0, 1), code
        return elapsed, out.getvalue().count('"rule"')
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    text = big_writeup()
    median, best, findings = time_single(text)
    print(f"5,000-line write-up: median {median * 1000:.1f} ms, best {best * 1000:.1f} ms, {findings} findings")
    elapsed, findings = time_many()
    print(f"1,000 files through the lint CLI: {elapsed:.2f} s, {findings} findings")
