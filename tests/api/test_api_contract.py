"""The API keeps the contract its document states: Schemathesis generates requests from /api/openapi.json (coverage of
each schema's edges, random fuzzing, and stateful sequences that follow the document's links: create an incident, then
use its id) and sends them, with a token of the demo's organization admin, to a real `retrospector serve` with the
demo loaded. Every answer is checked against the document, with all of Schemathesis's checks.

It must find no server error, no status code the document does not declare, no response its schema refuses. Any other
failure (a request the document allows that the server refuses, ...) must be an intended rule, listed with its reason
in contract_allowed.yaml.

The short run here (a fixed seed, a few examples per operation) runs once per `make test`: on the SQLite run; the
PostgreSQL run skips it. `make fuzz` runs this same test for longer (RETROSPECTOR_FUZZ_SECONDS), on SQLite, or on
PostgreSQL with DATABASE_URL. RETROSPECTOR_FUZZ_SEED changes the seed (default 1)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.real_server import postgres_url

ALLOWED_FILE = Path(__file__).with_name("contract_allowed.yaml")
LONG_RUN_SECONDS = int(os.environ.get("RETROSPECTOR_FUZZ_SECONDS") or 0)
SEED = int(os.environ.get("RETROSPECTOR_FUZZ_SEED") or 1)
SHORT_RUN_EXAMPLES = 10  # per operation and phase: the whole short run stays well under a minute on two cores
LONG_RUN_EXAMPLES = 500
# What the document must never get wrong; no entry of the allow-list may excuse these.
NEVER_ALLOWED = {
    "ST101": "server error",
    "ST102": "server error for an undeclared Content-Type",
    "ST103": "status code the document does not declare",
    "ST108": "response (body or header) its documented schema refuses",
    "ST109": "JSON response that is not JSON",
}
RUN_SCHEMATHESIS = "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; sys.exit(schemathesis())"


@dataclass(frozen=True)
class Failure:
    code: str
    title: str
    operation: str
    case_id: str
    phase: str
    status: int | None
    body: str

    @property
    def detail(self) -> str:
        """The error's `detail` (the API's error body), or the whole body when it is not one."""
        try:
            return str(json.loads(self.body)["detail"])
        except (ValueError, TypeError, KeyError):
            return self.body

    def matches(self, entry: dict) -> bool:
        return (
            entry["operation"] == self.operation
            and entry["code"] == self.code
            and (not entry.get("detail") or re.search(entry["detail"], self.detail) is not None)
        )


def load_allowed() -> tuple[list[dict], list[dict]]:
    """The allow-list: `failures` (operation, code, optional detail regex on the response body, rule, why) and `errors`
    of Schemathesis itself (operation, error regex, why). An entry without its reason, or one that would excuse what is
    never allowed, is refused."""
    data = yaml.safe_load(ALLOWED_FILE.read_text(encoding="utf-8")) or {}
    failures, errors = data.get("failures") or [], data.get("errors") or []
    for number, entry in enumerate(failures, start=1):
        where = f"{ALLOWED_FILE.name}, failures, entry {number}"
        for key in ("operation", "code", "rule", "why"):
            assert str(entry.get(key) or "").strip(), f"{where}: `{key}` is missing"
        code, operation = entry["code"], entry["operation"]
        assert code not in NEVER_ALLOWED, f"{where}: {code} ({NEVER_ALLOWED[code]}) is never allowed"
        assert re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE) /api/\S+", operation), (
            f"{where}: not 'METHOD /path': {operation}"
        )
    for number, entry in enumerate(errors, start=1):
        for key in ("operation", "error", "why"):
            assert str(entry.get(key) or "").strip(), f"{ALLOWED_FILE.name}, errors, entry {number}: `{key}` is missing"
    return failures, errors


def schemathesis_command(base: str, token: str, reports: Path) -> list[str]:
    command = [
        *(sys.executable, "-c", RUN_SCHEMATHESIS, "run", f"{base}/api/openapi.json"),
        *("--header", f"Authorization: Bearer {token}"),
        *("--checks", "all", "--phases", "examples,coverage,fuzzing,stateful"),
        *("--seed", str(SEED), "--workers", "2", "--generation-database", "none"),
        *("--report", "ndjson,junit", "--report-dir", str(reports), "--no-color"),
        *("--request-timeout", "30"),
    ]
    if LONG_RUN_SECONDS:
        # A time budget: the fuzzing and stateful phases go on until it is spent.
        return [*command, "--max-examples", str(LONG_RUN_EXAMPLES), "--max-time", str(LONG_RUN_SECONDS)]
    return [*command, "--max-examples", str(SHORT_RUN_EXAMPLES)]


def response_text(interaction: dict | None) -> tuple[int | None, str]:
    response = (interaction or {}).get("response") or {}
    content = response.get("content") or {}
    raw = base64.b64decode(content["$base64"]) if "$base64" in content else str(content.get("body", "")).encode()
    return response.get("status_code"), raw.decode("utf-8", errors="replace")


def read_events(ndjson: Path) -> tuple[list[Failure], list[dict], dict[str, str], bool]:
    """From Schemathesis's event stream: each check that failed (with the operation it failed on, also within a
    stateful sequence), its own errors, each phase's final status, and whether the run finished."""
    failures: dict[tuple[str, str, str], Failure] = {}
    errors, phases, finished = [], {}, False
    with ndjson.open(encoding="utf-8") as stream:
        for line in stream:
            event = json.loads(line)
            if "ScenarioFinished" in event:
                scenario = event["ScenarioFinished"]
                recorder = scenario["recorder"]
                for case_id, checks in (recorder.get("checks") or {}).items():
                    for check in checks:
                        if check["status"] != "failure":
                            continue
                        failure = check["failure_info"]["failure"]
                        status, body = response_text(recorder.get("interactions", {}).get(case_id))
                        key = (failure["code"], failure["operation"], case_id)
                        failures.setdefault(
                            key,
                            Failure(
                                code=failure["code"],
                                title=failure["title"],
                                operation=failure["operation"],
                                case_id=case_id,
                                phase=scenario["phase"],
                                status=status,
                                body=body,
                            ),
                        )
            elif "NonFatalError" in event:
                error = event["NonFatalError"]
                errors.append(
                    {
                        "operation": error.get("label", ""),
                        "error": f"{error['value']['type']}: {error['value']['message']}",
                        "phase": error.get("phase"),
                    }
                )
            elif "PhaseFinished" in event:
                finished_phase = event["PhaseFinished"]
                phases[finished_phase["phase"]["name"]] = finished_phase["status"]
            elif "EngineFinished" in event:
                finished = True
    return list(failures.values()), errors, phases, finished


def schemathesis_report(output: str, case_ids: set[str], *, limit: int = 40_000) -> str:
    """Schemathesis's own report (what it sent, what came back, a curl command to reproduce) of the given cases, under
    the heading of the operation (or the stateful sequence) they belong to."""
    blocks, heading, current, keep = [], "", [], False

    def flush():
        if keep and current:
            blocks.append("\n".join([heading, *current]).rstrip())

    for line in output.splitlines():
        if re.fullmatch(r"_{3,} .+ _{3,}", line) or line.startswith("====="):
            flush()
            heading, current, keep = line, [], False
            continue
        case = re.match(r"\d+\. Test Case ID: (\S+)", line)
        if case:
            flush()
            current, keep = [line], case.group(1) in case_ids
            continue
        current.append(line)
    flush()
    text = "\n\n".join(blocks)
    return text if len(text) <= limit else text[:limit] + "\n[... cut: see the full output named above]"


def excused_by(failure: Failure, allowed: list[dict]) -> dict | None:
    if failure.code in NEVER_ALLOWED:
        return None
    return next((entry for entry in allowed if failure.matches(entry)), None)


@pytest.mark.skipif(
    bool(postgres_url()) and not LONG_RUN_SECONDS,
    reason="the short Schemathesis run is once per `make test`, on SQLite; `make fuzz` runs it on PostgreSQL",
)
def test_schemathesis_finds_no_server_error_no_undocumented_answer_and_only_intended_rejections(demo_server):
    allowed, allowed_errors = load_allowed()
    reports = demo_server["root"] / "schemathesis"
    reports.mkdir()
    started = time.monotonic()
    run = subprocess.run(
        schemathesis_command(demo_server["base"], demo_server["token"], reports),
        cwd=reports,  # Hypothesis and Schemathesis write nothing into the repository
        capture_output=True,
        text=True,
        timeout=LONG_RUN_SECONDS + 600 if LONG_RUN_SECONDS else 300,
    )
    elapsed = time.monotonic() - started
    (reports / "output.txt").write_text(run.stdout + run.stderr, encoding="utf-8")
    where = f"Schemathesis's full output and reports: {reports} (server log: {demo_server['root'] / 'server.log'})"
    ndjson = next(reports.glob("ndjson-*.ndjson"), None)
    assert run.returncode in (0, 1) and ndjson, f"Schemathesis failed ({run.returncode}):\n{run.stdout}{run.stderr}"

    failures, errors, phases, finished = read_events(ndjson)
    assert finished, f"Schemathesis stopped before the end.\n{where}"
    assert phases.get("stateful") in ("success", "failure"), f"the stateful phase did not run: {phases}\n{where}"

    unexcused = [failure for failure in failures if not excused_by(failure, allowed)]
    unexcused_errors = [
        error
        for error in errors
        if not any(
            entry["operation"] in ("*", error["operation"]) and re.search(entry["error"], error["error"])
            for entry in allowed_errors
        )
    ]
    counts = Counter(f"{failure.code} {failure.title}" for failure in failures)
    print(f"Schemathesis ({elapsed:.0f} s, seed {SEED}): {dict(sorted(counts.items()))}; errors: {len(errors)}")
    if not unexcused and not unexcused_errors:
        return

    groups = Counter((failure.code, failure.title, failure.operation) for failure in unexcused)
    summary = "\n".join(
        f"  {count:3d} × {code} {title}{' (never allowed)' if code in NEVER_ALLOWED else ''}: {operation}"
        for (code, title, operation), count in sorted(groups.items())
    )
    error_lines = "\n".join(
        f"  {error['operation']} ({error['phase']}): {error['error']}" for error in unexcused_errors
    )
    # One example of each (check, operation): Schemathesis's own account of it.
    examples = {}
    for failure in unexcused:
        examples.setdefault((failure.code, failure.operation), failure.case_id)
    pytest.fail(
        f"Schemathesis (seed {SEED}, {elapsed:.0f} s) found {len(unexcused)} failures that "
        f"{ALLOWED_FILE.name} does not list as intended, by check and operation:\n{summary}\n"
        + (f"and {len(unexcused_errors)} errors of its own not listed:\n{error_lines}\n" if unexcused_errors else "")
        + f"{where}\n\nOne example of each, as Schemathesis reports it:\n\n"
        + schemathesis_report(run.stdout, set(examples.values())),
        pytrace=False,
    )


def test_the_allow_list_gives_each_entry_its_rule_and_reason_and_never_excuses_a_server_error():
    allowed, _ = load_allowed()  # refuses an entry without its rule or reason, or one for a never-allowed code
    assert allowed, "the allow-list is read"
    entry = allowed[0]
    rejected = Failure(
        entry["code"], "", entry["operation"], "case", "fuzzing", 422, '{"detail": "Unknown team \'x\'."}'
    )
    crashed = Failure("ST101", "Server error", entry["operation"], "case", "fuzzing", 500, "<h1>Server Error</h1>")

    assert excused_by(crashed, [{**entry, "code": "ST101", "detail": ""}]) is None
    assert excused_by(rejected, [{**entry, "detail": "^Unknown team "}]) is not None
    assert excused_by(rejected, [{**entry, "detail": "^Unknown person "}]) is None
