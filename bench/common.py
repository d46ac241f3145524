"""What the bench parts share: the environment of the throwaway database, percentiles, and timing one page."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ITERATIONS = 200
WARMUPS = 5


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (like numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(samples_ms: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(samples_ms, 50), 2),
        "p95_ms": round(percentile(samples_ms, 95), 2),
        "max_ms": round(max(samples_ms), 2),
        "iterations": len(samples_ms),
    }


# --- Environment ----------------------------------------------------------------------------------------


def prepare_environment(var_dir: Path) -> None:
    """Must run before Django is imported: settings read these at import."""
    os.environ["RETROSPECTOR_VAR_DIR"] = str(var_dir)
    (var_dir / "static").mkdir(exist_ok=True)  # whitenoise warns about a missing STATIC_ROOT otherwise
    os.environ.pop("DATABASE_URL", None)  # always the throwaway SQLite database
    os.environ.pop("SQLITE_PATH", None)
    os.environ.setdefault("RETROSPECTOR_TESTING", "1")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retrospector.settings")


# --- In-process measurements -------------------------------------------------------------------------------


def measure(client, url: str, *, headers: dict | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    for _ in range(WARMUPS):
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    with CaptureQueriesContext(connection) as captured:
        client.get(url, headers=headers)
    # Count now: every request_started signal clears the connection's query log.
    query_count = len(captured.captured_queries)
    samples, cpu_samples = [], []
    for _ in range(ITERATIONS):
        t0, c0 = time.perf_counter(), time.thread_time()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - t0) * 1000)
        cpu_samples.append((time.thread_time() - c0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    result = summary(samples)
    # CPU time of the request: unlike the elapsed time, it leaves out waiting for a core on a busy machine.
    result["cpu_p50_ms"] = round(percentile(cpu_samples, 50), 2)
    result["cpu_p95_ms"] = round(percentile(cpu_samples, 95), 2)
    result["queries"] = query_count
    result["bytes"] = len(response.content)
    log(f"GET {url}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['queries']} queries")
    return result
