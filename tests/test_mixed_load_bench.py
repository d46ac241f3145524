"""`make bench` puts a real `retrospector serve` under a mixed load (readers on lists and pages, writers saving sections
with conflicts and importing timelines, bench/mixed_load.py). A short run here keeps it working, and shows that the
server answers no 5xx and loses no write; the run goes to the suite's own database kind (SQLite, or a database the bench
creates on the suite's PostgreSQL server)."""

import os

import pytest

from bench.mixed_load import KINDS, Fixture, Imported, Load, Options, SavedSection, logged_errors, lost_writes, run


def test_a_short_mixed_load_answers_no_5xx_and_loses_no_write():
    url = os.environ.get("DATABASE_URL", "")
    database = "postgresql" if url.startswith("postgres") else "sqlite"
    options = Options(seconds=3, readers=2, writers=1, incidents=300, events=200, workers=2)

    report = run(options, (database,), postgres_url=url)

    result = report[database]
    assert "skipped" not in result, result
    assert result["database"] == database
    assert set(result["kinds"]) == set(KINDS)
    for kind in ("list", "page", "api-list", "section-save", "import"):
        assert result["kinds"][kind]["answered"] > 0, kind
        assert 0 < result["kinds"][kind]["p50_ms"] <= result["kinds"][kind]["p95_ms"], kind
    assert result["requests_per_second"] > 0
    assert result["sections_saved"] > 0 and result["imports"] > 0
    assert result["status_5xx"] == 0, (result["status_5xx_by_endpoint"], result["server_log_errors"])
    assert result["lost_writes"] == 0 and result["imports_missing_events"] == 0
    assert result["sections_not_at_their_latest_revision"] == []
    assert result["transport_errors"] == {} and result["unexpected_answers"] == {} and result["client_failures"] == []
    assert report["observed"] == {"mixed_load_5xx": 0, "mixed_load_lost_writes": 0}
    assert all(report["met"].values())


@pytest.mark.django_db
def test_a_save_answered_2xx_but_missing_from_the_history_counts_as_lost(people, make_incident, make_retrospective):
    from retrospector.writeups.services import section_save

    incident = make_incident()
    retrospective = make_retrospective(incident)
    section = retrospective.sections.order_by("position").first()
    kept = section_save(section=section, body="Kept.", base_version=section.version, by=people["alice"])
    fixture = Fixture(
        reader_sessions=[],
        session_cookie="sessionid",
        reader_token="",
        writer_tokens=[],
        incident_id=incident.pk,
        incident_started=incident.started_at,
        retrospective_id=retrospective.pk,
        hot_keys=[section.key],
        list_pages=1,
    )
    load = Load("http://127.0.0.1:1", fixture, Options(readers=0, writers=0))
    load.saved = [
        SavedSection(section.key, kept.version, "Kept."),
        SavedSection(section.key, kept.version + 1, "Answered 200, never stored."),
        SavedSection(section.key, kept.version, "Answered 200 with a version another save holds."),
    ]
    load.imported = [Imported(import_id=999_999, added=20)]

    found = lost_writes(fixture, load)

    assert found["lost_writes"] == 2
    assert found["lost_writes_first"] == [
        {"section": section.key, "version": kept.version + 1},
        {"section": section.key, "version": kept.version},
    ]
    assert found["imports_missing_events"] == 1
    assert found["sections_not_at_their_latest_revision"] == []


def test_the_server_log_s_failures_are_picked_out_and_counted():
    log = """[2026-05-04 14:00:00 +0000] [41] [INFO] Booting worker with pid: 41
Internal Server Error: /api/v1/retrospectives/1/sections/summary
Traceback (most recent call last):
  File "/app/django/db/backends/utils.py", line 105, in _execute
    return self.cursor.execute(sql, params)
django.db.utils.OperationalError: database is locked
Internal Server Error: /api/v1/retrospectives/1/sections/summary
Traceback (most recent call last):
  File "/app/django/db/backends/utils.py", line 105, in _execute
    return self.cursor.execute(sql, params)
django.db.utils.OperationalError: database is locked
[2026-05-04 14:00:09 +0000] [40] [CRITICAL] WORKER TIMEOUT (pid:41)
"""
    assert logged_errors(log) == [
        {"line": "Internal Server Error: /api/v1/retrospectives/1/sections/summary", "count": 2},
        {"line": "django.db.utils.OperationalError: database is locked", "count": 2},
        {"line": "[CRITICAL] WORKER TIMEOUT (pid:41)", "count": 1},
    ]


def test_the_postgresql_part_is_skipped_with_a_note_when_no_server_answers():
    from bench.common import free_port

    report = run(Options(seconds=1), ("postgresql",), postgres_url=f"postgres://postgres@127.0.0.1:{free_port()}/x")

    assert report["postgresql"]["skipped"].startswith("PostgreSQL unreachable at 127.0.0.1:")
    assert report["observed"] == {"mixed_load_5xx": 0, "mixed_load_lost_writes": 0}
