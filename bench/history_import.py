"""History import figures (the "history" part of `make bench`); `python -m bench.history_import` (from the repository
root) runs this part alone and prints its JSON.

Generates FILES Markdown write-ups of 2 to 20 KB (RETROSPECTOR_BENCH_HISTORY_FILES, 10,000 unless set; seeded, so the
same every run) into a temporary folder, in the shapes of the real ones in tests/fixtures/postmortems/history: with
YAML or TOML front matter or none, a title heading (or only the file name, `PM2021-005 - Title.md`), labelled Date /
Duration / Severity / Services lines, Summary, Impact, Root cause(s), What went wrong, Lessons learned and extra
sections (their prose taken from the real write-ups), timelines as tables and bulleted lists with times in several
shapes (`14:03`, `2021-03-04 14:03 CET`, `T+5m`, day headings followed by times), and action items as checkboxes and
as tables with owner, status and ticket columns (Jira keys, GitHub issue URLs).

Then, on a fresh migrated SQLite database of its own (an organization, a team and its admin), it runs the real command,
`retrospector history import FOLDER --team history --format json`, as a child process, three times: a dry run, the
import, and the same import again (every file unchanged: the idempotent path). For each: wall seconds, the child's
peak resident memory (ru_maxrss from wait4), files per second, and the per-file cost in ms split as the report's totals
split it (reading and understanding; the write-up checker; saving; indexing for search). The target (issue 18):
10,000 write-ups imported in under 60 s, in under 300 MB. The command reads, understands, plans and checks the files
in as many processes as it has cores (up to 8), so the report's parse and check seconds are the sum over them (CPU
per file), and its save seconds include the sections rendered there; "cpu_seconds" is the command's and its readers'.

Measured at 10,000 files (116.7 MB) on 2 shared cores, the same rows stored each time (83,882 sections and
revisions, 156,975 events, 69,972 action items, 249,788 search rows). On one day: the import 244.7 s and 690 MB at
first, 110.3 s after the batching, the fast inserts and the reading processes (202 s of CPU). The peak memory of
those runs was the bench's as much as the command's: a child's ru_maxrss begins at its parent's RSS when it forks,
and the bench held the parsed reports of the runs before, so the command is now started from a small launcher.
On a later, slower day (python_speed_seconds 0.40; the dry run took 2.7 times the CPU it took the first day for the
same work): the import 237.2 s and 236.9 MB (438 s of CPU), the dry run 161.0 s and 148.0 MB, the same files again
144.8 s and 223.6 MB; that day, at 1,000 files, the version before the reading parse left inline Markdown out, the
renderer got its plain-text path and the index its INSERT ... SELECT took 33.7 s and 59 s of CPU to import, this
one 23.6 s and 42 s. Then unchanged files stopped being read again: at 1,000 files the same import again went from
16.4 s to 3.6 s. The time target is not met on that machine: reading, understanding and checking take most of
the CPU (a dry run alone is 161 s there).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "postmortems" / "history"
FILES = int(os.environ.get("RETROSPECTOR_BENCH_HISTORY_FILES", "10000"))
SEED = 18
TEAM = "history"
TARGETS = {"history_import_10k_seconds": 60, "history_import_peak_rss_mb": 300}

TITLES = (
    "All services returning 503",
    "Checkout errors after a deploy",
    "Logs not shipped to CloudWatch",
    "Expired TLS certificate on the status page",
    "Kafka consumer lag on the orders topic",
    "DNS resolution failures in the cluster",
    "Database connection pool exhausted",
    "Payments webhook retries storm",
    "Search index out of date",
    "Node pool ran out of IP addresses",
    "Login page timing out",
    "Nightly backup job did not run",
)
SERVICES = ("payments-api", "checkout", "search", "auth", "kafka", "ingress", "postgres", "cdn", "billing", "dns")
SEVERITIES = ("SEV1", "SEV2", "SEV3", "P1", "P2", "critical", "major", "minor", "Severity 2")
ZONES = ("UTC", "CET", "Europe/Paris", "America/New_York")
OWNERS = ("Priya", "Sam", "Jonas", "the platform team", "@mwong", "")
STATUSES = ("Done", "In progress", "Open", "TODO", "Won't do", "closed", "")
SUMMARY_TITLES = ("Summary", "Overview", "Executive summary", "What happened")
CAUSE_TITLES = ("Root cause", "Root cause(s)", "Root Causes", "Contributing factors", "Why it happened")
WRONG_TITLES = ("What went wrong", "Where we got lucky", "What went well", "Detection", "Resolution", "Trigger")
LESSON_TITLES = ("Lessons learned", "Lessons Learned", "Learnings", "Takeaways")
ACTION_TITLES = ("Action items", "Action Items", "Follow-up actions", "Corrective actions", "Next steps")
TIMELINE_TITLES = ("Timeline", "Timeline of events", "Detailed timeline", "Timeline (all times UTC)")
EXTRA_TITLES = ("Attendees", "Stats", "Supporting information", "Appendix: logs", "Glossary", "Open questions")


def log(message: str) -> None:
    print(f"[bench history] {message}", file=sys.stderr, flush=True)


# --- The write-ups -----------------------------------------------------------------------------------------


def real_prose() -> list[str]:
    """Prose paragraphs (no headings, tables, lists, code or front matter) from the real write-ups."""
    paragraphs = []
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.name.startswith("LICENSE"):
            continue
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\A(\+\+\+|---)\n.*?\n\1\n", "", text, flags=re.S)
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for block in re.split(r"\n\s*\n", text):
            lines = [line.strip() for line in block.splitlines()]
            if not lines or any(line.startswith(("#", "|", "-", "*", "[", ">", "+")) for line in lines):
                continue
            if any(re.match(r"^\d{1,2}[:.]\d\d|^\d+\.", line) for line in lines):
                continue
            joined = " ".join(lines)
            if len(joined) > 60:
                paragraphs.append(joined)
    return paragraphs


def _paragraphs(rng: random.Random, prose: list[str], size: int) -> str:
    out, length = [], 0
    while length < size:
        paragraph = rng.choice(prose)
        if rng.random() < 0.6:  # wrapped at 80 columns, as many files kept in git are
            paragraph = "\n".join(textwrap.wrap(paragraph, 80))
        out.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(out)


def _bullets(rng: random.Random, prose: list[str], count: int) -> str:
    marker = rng.choice("-*")
    return "\n".join(f"{marker} {rng.choice(prose)[: rng.randint(60, 220)].rstrip()}" for _ in range(count))


def _event_text(rng: random.Random, prose: list[str]) -> str:
    return rng.choice(prose)[: rng.randint(40, 140)].replace("|", "/").rstrip()


def _timeline(rng: random.Random, prose: list[str], start: datetime, zone: str) -> str:
    count = rng.randint(4, 30)
    shape = rng.choice(("table_full", "table_time", "table_zone", "bullets", "days", "relative"))
    when = start
    steps = []
    for _ in range(count):
        when += timedelta(minutes=rng.randint(1, 40))
        steps.append(when)
    if shape.startswith("table"):
        header = {
            "table_full": "| Time             | Event |",
            "table_time": "| Time (UTC) | What happened | Who |",
            "table_zone": f"| Time ({zone}) | Event |",
        }[shape]
        columns = header.count("|") - 1
        lines = ["All times in UTC." if shape != "table_zone" else f"All times in {zone}.", "", header]
        lines.append("|" + "|".join([" --- "] * columns) + "|")
        for at in steps:
            stamp = at.strftime("%Y-%m-%d %H:%M") if shape != "table_time" else at.strftime("%H:%M")
            cells = [stamp, _event_text(rng, prose)] + ([rng.choice(OWNERS) or "on-call"] if columns == 3 else [])
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    if shape == "bullets":
        fmt = rng.choice(("%Y-%m-%d %H:%M {zone}", "%H:%M", "%Y-%m-%d, %I:%M%p"))
        return "\n".join(f"- {at.strftime(fmt).format(zone=zone)}: {_event_text(rng, prose)}" for at in steps)
    if shape == "days":
        lines, day = [], None
        for at in steps:
            if at.date() != day:
                day = at.date()
                lines += ["", f"### {day.isoformat()}", ""]
            lines.append(f"- {at.strftime('%H:%M')} {_event_text(rng, prose)}")
        return "\n".join(lines).strip()
    lines = [f"Times are relative to the first alert at {start.strftime('%Y-%m-%d %H:%M')} UTC.", ""]
    for at in steps:
        minutes = int((at - start).total_seconds() // 60)
        lines.append(f"- T+{minutes}m {_event_text(rng, prose)}")
    return "\n".join(lines)


def _ticket(rng: random.Random, n: int) -> str:
    roll = rng.random()
    if roll < 0.4:
        return f"{rng.choice(('OPS', 'PLAT', 'INFRA', 'PAY'))}-{rng.randint(1, 9999)}"
    if roll < 0.7:
        return f"https://github.com/example-org/{rng.choice(SERVICES)}/issues/{rng.randint(1, 5000)}"
    return ""


def _actions(rng: random.Random, prose: list[str], n: int) -> str:
    count = rng.randint(2, 12)
    shape = rng.choice(("checkboxes", "table", "bullets"))
    if shape == "checkboxes":
        lines = []
        for _ in range(count):
            ticket = _ticket(rng, n)
            lines.append(f"- [{rng.choice(' x')}] {_event_text(rng, prose)}" + (f" ({ticket})" if ticket else ""))
        return "\n".join(lines)
    if shape == "table":
        lines = ["| Action | Owner | Status | Ticket |", "|---|---|---|---|"]
        for _ in range(count):
            lines.append(
                f"| {_event_text(rng, prose)} | {rng.choice(OWNERS)} | {rng.choice(STATUSES)} | {_ticket(rng, n)} |"
            )
        return "\n".join(lines)
    return "\n".join(f"- {_event_text(rng, prose)} {_ticket(rng, n)}".rstrip() for _ in range(count))


def writeup(n: int, rng: random.Random, prose: list[str]) -> tuple[str, str]:
    """The n-th write-up: its file name and its text, of a size drawn between 2 and 20 KB."""
    target = rng.randint(2_000, 20_000)
    title = f"{rng.choice(TITLES)} ({n})"
    start = datetime(2018, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 8 * 365 * 24 * 60))
    zone = rng.choice(ZONES)
    ident = f"PM{start.year}-{n:05d}"
    severity = rng.choice(SEVERITIES)
    services = rng.sample(SERVICES, rng.randint(1, 3))
    duration = f"{rng.randint(5, 300)} minutes" if rng.random() < 0.5 else f"{rng.randint(1, 9)}h"
    head: list[str] = []
    style = rng.random()
    if style < 0.25:
        head += ["---", f"title: {title}", f"id: {ident}", f"date: {start.strftime('%Y-%m-%d %H:%M')}"]
        # The title in the front matter only (as in the real ones with front matter: the site's layout shows it).
        head += [f"severity: {severity}", f"services: [{', '.join(services)}]", f"timezone: {zone}", "---", ""]
    elif style < 0.4:
        head += ["+++", f'title = "{title}"', f'date = "{start.date().isoformat()}"', 'authors = ["A. Writer"]']
        head += ["", "[extra]", 'team = "The Platform Team"', "+++", ""]
    elif style < 0.8:
        head += [f"# {title}", ""] if rng.random() < 0.8 else [title, "=" * len(title), ""]
        labelled = [
            f"**Date:** {start.strftime('%Y-%m-%d')}",
            f"Duration: {duration}",
            f"Severity: {severity}",
            f"Services: {', '.join(services)}",
            f"Status: {rng.choice(('Resolved', 'Complete', 'Draft'))}",
        ]
        head += [*labelled[: rng.randint(2, len(labelled))], ""]
    # else: no title heading, the file name carries it ("PM2021-005 - Title.md")
    sections: list[tuple[str, str]] = [(rng.choice(SUMMARY_TITLES), _paragraphs(rng, prose, rng.randint(200, 900)))]
    sections.append(("Impact", _paragraphs(rng, prose, rng.randint(100, 500))))
    sections.append((rng.choice(TIMELINE_TITLES), _timeline(rng, prose, start, zone)))
    cause = rng.choice(CAUSE_TITLES)
    sections.append((cause, _bullets(rng, prose, rng.randint(2, 8)) if rng.random() < 0.5 else ""))
    for extra in rng.sample(WRONG_TITLES, rng.randint(1, 3)):
        sections.append((extra, _paragraphs(rng, prose, rng.randint(100, 600))))
    sections.append((rng.choice(ACTION_TITLES), _actions(rng, prose, n)))
    sections.append((rng.choice(LESSON_TITLES), _bullets(rng, prose, rng.randint(2, 6))))
    if rng.random() < 0.5:
        sections.append((rng.choice(EXTRA_TITLES), _bullets(rng, prose, rng.randint(1, 4))))
    body = "\n".join([*head, ""]) if head else ""
    parts = [f"## {name}\n\n{text}".rstrip() + "\n" for name, text in sections]
    size = len(body) + sum(len(p) + 1 for p in parts)
    # Grown to its size with more prose in the analysis sections (the timeline and actions stay as they are).
    grow = [i for i, (name, _) in enumerate(sections) if name in (cause, *WRONG_TITLES)]
    while size < target:
        i = rng.choice(grow)
        name, text = sections[i]
        more = _paragraphs(rng, prose, min(1500, target - size))
        sections[i] = (name, f"{text}\n\n{more}".strip())
        parts[i] = f"## {name}\n\n{sections[i][1]}".rstrip() + "\n"
        size = len(body) + sum(len(p) + 1 for p in parts)
    text = body + "\n".join(parts)
    if len(text.encode("utf-8")) > 20_000:
        text = text.encode("utf-8")[:19_990].decode("utf-8", "ignore").rsplit("\n", 1)[0] + "\n"
    name = f"{ident} - {title.split(' (')[0]}.md" if rng.random() < 0.5 else f"{n:05d}-postmortem.md"
    return f"{n // 1000:02d}/{name}", text


def generate(folder: Path, count: int, seed: int = SEED) -> dict:
    rng = random.Random(seed)
    prose = real_prose()
    sizes = []
    for n in range(count):
        name, text = writeup(n, rng, prose)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        sizes.append(len(data))
    return {
        "files": count,
        "bytes": sum(sizes),
        "min_kb": round(min(sizes) / 1024, 1) if sizes else 0,
        "max_kb": round(max(sizes) / 1024, 1) if sizes else 0,
        "mean_kb": round(sum(sizes) / max(len(sizes), 1) / 1024, 1),
    }


# --- The database and the command ---------------------------------------------------------------------------


def prepare_database(var_dir: Path) -> None:
    """A migrated SQLite file in var_dir with an organization, the team and its admin (the import's user)."""
    from bench.common import prepare_environment

    prepare_environment(var_dir)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from retrospector.accounts.models import Membership, Role, User
    from retrospector.accounts.services import organization_create, team_create

    call_command("migrate", interactive=False, verbosity=0)
    org = organization_create(name="History Corp", slug="history-corp")
    team = team_create(organization=org, name="History", slug=TEAM)
    admin = User(username="historian", organization=org, full_name="Historian", is_org_admin=True)
    admin.set_unusable_password()
    admin.save()
    Membership.objects.create(team=team, user=admin, role=Role.MEMBER)
    connections.close_all()  # the command opens the same file


# Started by the bench, it starts the command and writes what wait4 says of it (its peak RSS, with its reading
# processes', and its CPU) to the file named first. A process started straight from the bench would be charged the
# bench's own memory: a child's ru_maxrss begins at its parent's RSS when it forks, and the bench holds the reports
# it has read (the dry run's peak then read 330 MB for an import whose processes never went over 250 MB).
LAUNCHER = (
    "import json, os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    json.dump({'code': os.waitstatus_to_exitcode(status), 'maxrss_kb': usage.ru_maxrss,\n"
    "               'cpu': usage.ru_utime + usage.ru_stime}, f)\n"
)


def import_once(folder: Path, *, dry_run: bool = False) -> dict:
    """One `retrospector history import` process: wall seconds, its peak RSS (wait4, from a small launcher), and its
    report's totals."""
    command = [sys.executable, "-m", "retrospector", "history", "import", str(folder), "--team", TEAM]
    command += ["--format", "json"] + (["--dry-run"] if dry_run else [])
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as tmp:
        measured = Path(tmp) / "usage.json"
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(measured), *command], stdout=out, stderr=err, cwd=ROOT, check=False
        )
        seconds = time.perf_counter() - began
        usage = json.loads(measured.read_text()) if measured.exists() else {"code": -1, "maxrss_kb": 0, "cpu": 0}
        out.seek(0)
        err.seek(0)
        if usage["code"] != 0:
            raise RuntimeError(f"history import exited with {usage['code']}: {err.read()[-3000:].decode()}")
        report = json.loads(out.read())
    totals = report["totals"]
    files = max(totals["files"], 1)
    outcomes = {k: totals[k] for k in ("imported", "updated", "unchanged", "would import", "skipped") if totals[k]}
    return {
        "wall_seconds": round(seconds, 2),
        "peak_rss_mb": round(usage["maxrss_kb"] / 1024, 1),  # KB on Linux
        "cpu_seconds": round(usage["cpu"], 2),
        "files_per_second": round(totals["files"] / seconds, 1),
        "outcomes": outcomes,
        "report_seconds": totals["seconds"],
        "per_file_ms": {
            "parse": round(totals["seconds_parse"] * 1000 / files, 2),
            "check": round(totals["seconds_check"] * 1000 / files, 2),
            "save": round(totals["seconds_save"] * 1000 / files, 2),
            "index": round(totals["seconds_index"] * 1000 / files, 2),
        },
        "recognised": {k: totals[k] for k in ("sections_matched", "sections_extra", "events", "action_items")},
        "problems": totals["problems"],
        "findings": totals["findings"],
    }


def counts() -> dict:
    """What the database holds after the import (in the bench process, on the same file)."""
    from django.db import connections

    from retrospector.actions.models import Recommendation
    from retrospector.history.models import ImportedWriteup
    from retrospector.insights.models import SearchDoc
    from retrospector.timeline.models import TimelineEvent
    from retrospector.writeups.models import Revision, Section

    out = {
        "writeups": ImportedWriteup.objects.count(),
        "sections": Section.objects.count(),
        "revisions": Revision.objects.count(),
        "events": TimelineEvent.objects.count(),
        "recommendations": Recommendation.objects.count(),
        "search_docs": SearchDoc.objects.count(),
    }
    connections.close_all()
    return out


def python_speed_seconds() -> float:
    """Seconds this machine takes for a fixed piece of pure Python (ten million additions in a loop, the best of
    three): the figures of runs on different days or machines compare once divided by it (shared cores vary)."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - began)
    return round(best, 3)


def run_here(count: int) -> dict:
    """The whole part in this process (and its children): Django is set up here on a throwaway database."""
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="retrospector-bench-history-"))
    var_dir, folder = work / "var", work / "writeups"
    var_dir.mkdir()
    folder.mkdir()
    try:
        t0 = time.perf_counter()
        corpus = generate(folder, count)
        log(f"{count} write-ups ({corpus['bytes'] / 1e6:.1f} MB) generated in {time.perf_counter() - t0:.1f} s")
        prepare_database(var_dir)
        runs = {}
        for name, dry_run in (("dry_run", True), ("import", False), ("again_unchanged", False)):
            runs[name] = import_once(folder, dry_run=dry_run)
            log(
                f"{name}: {runs[name]['wall_seconds']} s, {runs[name]['peak_rss_mb']} MB, "
                f"{runs[name]['files_per_second']} files/s, per file {runs[name]['per_file_ms']}"
            )
        stored = counts()
        imported = runs["import"]
        # Scaled to 10,000 files when the run was smaller (files per second held), so the target reads the same.
        observed = {
            "history_import_10k_seconds": round(imported["wall_seconds"] * 10_000 / max(count, 1), 1),
            "history_import_peak_rss_mb": imported["peak_rss_mb"],
        }
        return {
            "python_speed_seconds": python_speed_seconds(),
            "corpus": corpus,
            **runs,
            "stored": stored,
            "targets": TARGETS,
            "observed": observed,
            "met": {key: observed[key] < TARGETS[key] for key in TARGETS},
            "elapsed_seconds": round(time.perf_counter() - began, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(count: int | None = None) -> dict:
    """`make bench`'s part: this module in a child process, with a database and settings of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SQLITE_PATH", "RETROSPECTOR_VAR_DIR", "DJANGO_SETTINGS_MODULE")
    }
    if count is not None:
        env["RETROSPECTOR_BENCH_HISTORY_FILES"] = str(count)
    done = subprocess.run(
        [sys.executable, "-m", "bench.history_import"], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"the history import bench exited with {done.returncode} (its output is above)")
    return json.loads(done.stdout)


def main() -> int:
    import signal

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    print(json.dumps(run_here(FILES), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
