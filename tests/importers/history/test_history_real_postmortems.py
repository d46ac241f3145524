"""Every real postmortem of tests/fixtures/postmortems/history/ (52 files from three published sets) read and
understood; the expected values were checked by reading each file (timeline rows and action items counted in the
files, dates taken from the first and last timeline rows)."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest

from retrospector.importers.history.markdown import read_markdown
from retrospector.importers.history.understand import understand
from tests.importers.history.support import FIXTURES, TEMPLATES

pytestmark = pytest.mark.no_database

# file, incident id, title, start, end (first and last dated event unless the file states them), template,
# sections matched, sections kept as extra, events, events with a time, action items, problems
EXPECTED = [
    (
        "dfds/PM2019-009 - Kubernetes network infrastructure IP starvation.md",
        "PM2019-009",
        "Kubernetes network infrastructure IP starvation",
        "2019-11-29 12:00 +0100",
        "2019-12-05 12:00 +0100",
        "postmortem",
        5,
        0,
        14,
        14,
        4,
        0,
    ),
    (
        "dfds/PM2019-010 - Hellman Kubernetes cluster node deletion.md",
        "PM2019-010",
        "Hellman Kubernetes cluster node deletion",
        "2019-12-04 00:30 +0100",
        "2019-12-04 01:30 +0100",
        "postmortem",
        5,
        0,
        6,
        6,
        2,
        0,
    ),
    (
        "dfds/PM2019-011 - Hellman Kubernetes IaC accidentally reverted.md",
        "PM2019-011",
        "Hellman Kubernetes IaC accidentally reverted",
        "2019-12-05 04:00 +0100",
        "2019-12-05 12:40 +0100",
        "postmortem",
        5,
        0,
        11,
        11,
        5,
        0,
    ),
    (
        "dfds/PM2020-001 - Inotify file watches exhaustion.md",
        "PM2020-001",
        "Inotify file watches exhaustion",
        "2020-01-20 13:50 +0100",
        "2020-01-22 10:39 +0100",
        "postmortem",
        5,
        1,
        2,
        2,
        1,
        0,
    ),
    (
        "dfds/PM2020-002 - KIAM service disruption on Hellman.md",
        "PM2020-002",
        "KIAM Service disruption",
        "2020-01-21 15:36 +0100",
        "2020-01-21 18:04 +0100",
        "postmortem",
        5,
        1,
        4,
        4,
        3,
        0,
    ),
    (
        "dfds/PM2020-003 - Postmortem for ADSync migration.md",
        "PM2020-003",
        "ADSync migration issues",
        None,
        None,
        "postmortem",
        5,
        1,
        5,
        0,
        4,
        5,
    ),
    (
        "dfds/PM2020-004 - CoreDNS upgrade issue.md",
        "PM2020-004",
        "CoreDNS upgrade issue",
        "2020-02-03 11:21 +0100",
        "2020-02-03 13:30 +0100",
        "postmortem",
        5,
        1,
        3,
        3,
        2,
        0,
    ),
    (
        "dfds/PM2020-005 - ALB instance attachment.md",
        "PM2020-005",
        "ALB instance attachments removed",
        "2020-06-09 11:00 +0200",
        "2020-06-09 13:13 +0200",
        "postmortem",
        5,
        1,
        6,
        6,
        3,
        0,
    ),
    (
        "dfds/PM2020-006 - ADSync service accounts.md",
        "PM2020-006",
        "ADSync service accounts",
        "2020-02-24 10:50 +0100",
        "2020-03-17 20:29 +0100",
        "postmortem",
        5,
        1,
        5,
        5,
        2,
        0,
    ),
    (
        "dfds/PM2020-007 - Unhealthy nodes.md",
        "PM2020-007",
        "Unhealthy node",
        "2020-10-06 07:00 +0200",
        "2020-10-06 12:00 +0200",
        "postmortem",
        5,
        1,
        5,
        5,
        2,
        0,
    ),
    (
        "dfds/PM2020-008 - Alcide admission causing Kubernetes timeouts.md",
        "PM2020-008",
        "Alcide admission causing Kubernetes timeouts",
        "2020-11-04 13:00 +0100",
        "2020-11-04 15:39 +0100",
        "postmortem",
        5,
        1,
        6,
        6,
        2,
        0,
    ),
    (
        "dfds/PM2020-009 - KIAM service disruption due to upgrade.md",
        "PM2020-009",
        "KIAM service disruption due to upgrade",
        "2020-11-17 10:45 +0100",
        "2020-11-23 14:41 +0100",
        "postmortem",
        5,
        1,
        3,
        3,
        2,
        0,
    ),
    (
        "dfds/PM2021-001 - Logs from Kubernetes not shipped to CWL.md",
        "PM2021-001",
        "Logs from Kubernetes worklaods not being shipped to CloudWatch Logs",
        "2021-01-05 11:25 +0100",
        "2021-01-06 15:26 +0100",
        "postmortem",
        5,
        1,
        4,
        4,
        3,
        0,
    ),
    (
        "dfds/PM2021-002 - Flux version bump causing component downtime.md",
        "PM2021-002",
        "Flux unintended version update",
        "2021-02-15 06:05 +0100",
        "2021-02-15 07:00 +0100",
        "postmortem",
        5,
        1,
        4,
        4,
        4,
        0,
    ),
    (
        "dfds/PM2021-003 - Flux version bump causing component downtime.md",
        "PM2021-003",
        "Flux unintended version update",
        "2021-02-19 08:35 +0100",
        "2021-02-19 09:23 +0100",
        "postmortem",
        5,
        2,
        7,
        7,
        3,
        0,
    ),
    (
        "dfds/PM2021-004 - ADFS outage.md",
        "PM2021-004",
        "ADFS Outage",
        "2021-03-31 12:06 +0000",
        "2021-03-31 13:30 +0000",
        "postmortem",
        5,
        2,
        8,
        8,
        3,
        0,
    ),
    (
        "dfds/PM2021-005 - All services returning 503 in Kubernetes.md",
        "PM2021-005",
        "All services returning 503 in Kubernetes",
        "2021-06-22 08:21 +0000",
        "2021-06-22 08:46 +0000",
        "postmortem",
        5,
        2,
        7,
        7,
        3,
        0,
    ),
    (
        "dfds/PM2021-006 - All services returning 503 in Kubernetes.md",
        "PM2021-006",
        "All services returning 503 in Kubernetes",
        "2021-06-30 08:32 +0000",
        "2021-06-30 10:26 +0000",
        "postmortem",
        5,
        2,
        5,
        5,
        3,
        0,
    ),
    (
        "dfds/PM2021-007 - All services returning 503 in Kubernetes.md",
        "PM2021-007",
        "All services returning 503 in Kubernetes",
        "2021-07-02 07:32 +0000",
        "2021-07-02 07:42 +0000",
        "postmortem",
        5,
        2,
        5,
        5,
        2,
        0,
    ),
    (
        "dfds/PM2021-008 - Kubernetes ingress controller Traefik v2 configuration caused outage.md",
        "PM2021-008",
        "Kubernetes ingress controller Traefik v2 configuration caused outage",
        "2021-08-26 08:22 +0000",
        "2021-08-26 10:00 +0000",
        "postmortem",
        5,
        2,
        8,
        8,
        2,
        0,
    ),
    (
        "dfds/PM2021-009 - All services returning 404 in Kubernetes.md",
        "PM2021-009",
        "All services returning 404 in Kubernetes",
        "2021-09-01 11:34 +0000",
        "2021-09-06 09:20 +0000",
        "postmortem",
        5,
        2,
        13,
        13,
        6,
        0,
    ),
    (
        "dfds/PM2021-010 - A limited amount of services deployed in Kubernetes returning 504.md",
        "PM2021-010",
        "A limited amount of services deployed in Kubernetes returning 504",
        "2021-09-17 08:00 +0000",
        "2021-09-17 15:19 +0000",
        "postmortem",
        5,
        2,
        10,
        10,
        3,
        0,
    ),
    (
        "dfds/PM2021-011 - Log4Shell.md",
        "PM2021-011",
        "Log4Shell investigations",
        "2021-12-10",
        "2022-01-04 11:03 +0000",
        "learning-review",
        5,
        1,
        26,
        26,
        6,
        0,
    ),
    (
        "dfds/PM2022-001 - Prometheus is down with connection refused errors.md",
        "PM2022-001",
        "Prometheus is down with connection refused errors",
        "2022-01-25 10:21 +0000",
        "2022-01-26 09:36 +0000",
        "postmortem",
        5,
        2,
        18,
        18,
        1,
        0,
    ),
    (
        "dfds/PM2022-002 -  Logs not shipped to CloudWatch.md",
        "PM2022-002",
        "Logs not shipped to CloudWatch",
        "2022-01-31 12:00 +0000",
        "2022-01-31 13:49 +0000",
        "postmortem",
        5,
        2,
        7,
        7,
        1,
        0,
    ),
    (
        "dfds/PM2022-003 - Two Kuberneste nodes were down.md",
        "PM2022-003",
        "Two Kuberneste nodes were down",
        "2022-02-08 12:05 +0000",
        "2022-02-08 12:48 +0000",
        "postmortem",
        5,
        2,
        12,
        12,
        2,
        0,
    ),
    (
        "dfds/PM2022-004 - Kafka metrics missing from Prometheus.md",
        "PM2022-004",
        "Kafka metrics missing from Prometheus",
        "2022-02-08 12:20 +0000",
        "2022-02-09 13:08 +0000",
        "postmortem",
        5,
        2,
        10,
        9,
        2,
        1,
    ),
    (
        "dfds/PM2022-005 - Node-IPC incident response.md",
        "PM2022-005",
        "Node IPC Incident Response",
        "2022-03-07",
        "2022-03-18 11:20 +0000",
        "postmortem",
        5,
        2,
        12,
        12,
        2,
        0,
    ),
    (
        "dfds/PM2022-006 - ALB 502 errors.md",
        "PM2022-006",
        "ALB 502 Errors",
        "2020-12-21",
        "2022-06-10",
        "postmortem",
        5,
        2,
        10,
        8,
        4,
        9,
    ),
    (
        "dfds/PM2022-007 - Kafka metrics stopped being exported to Prometheus.md",
        "PM2022-007",
        "Kafka metrics stopped being exported to Prometheus",
        "2022-07-07 08:58 +0000",
        "2022-07-07 13:40 +0000",
        "postmortem",
        5,
        2,
        13,
        13,
        1,
        0,
    ),
    (
        "dfds/PM2022-008 - CRUD operations on K8s Service resources unavailable.md",
        "PM2022-008",
        "CRUD operations on K8s Service resources unavailable",
        "2022-08-03 11:38 +0000",
        "2022-08-03 13:25 +0000",
        "postmortem",
        5,
        2,
        7,
        7,
        4,
        0,
    ),
    (
        "dfds/PM2022-009 - Bad AWS EKS AMI causing Kubernetes issues",
        "PM2022-009",
        "Bad AWS EKS AMI",
        "2022-10-29 01:02 +0000",
        "2022-11-02 14:40 +0000",
        "postmortem",
        5,
        2,
        20,
        20,
        10,
        0,
    ),
    (
        "dfds/PM2023-001 - Total node failure.md",
        "PM2023-001",
        "Total node failure",
        "2023-02-13 07:30 +0000",
        "2023-02-14 11:59 +0000",
        "postmortem",
        5,
        2,
        16,
        16,
        6,
        0,
    ),
    (
        "dfds/PM2023-002 - Logs not shipped to CloudWatch.md",
        "PM2023-002",
        "Logs not being shipped to CloudWatch",
        "2023-04-11 11:20 +0000",
        "2023-04-11 22:25 +0000",
        "postmortem",
        5,
        2,
        13,
        13,
        5,
        0,
    ),
    (
        "dfds/PM2024-001 - Two Kubernetes nodes went into NotReady state.md",
        "PM2024-001",
        "Two Kubernetes nodes went into NotReady state",
        "2024-03-13",
        "2024-03-14 09:20 +0000",
        "postmortem",
        5,
        2,
        28,
        28,
        7,
        3,
    ),
    (
        "dfds/PM2024-002 - PODs not able to start while being moved to new nodes during AMI update.md",
        "PM2024-002",
        "PODs not able to start while being moved to new nodes during AMI Update",
        "2024-04-09 08:40 +0000",
        "2024-04-09 09:20 +0000",
        "postmortem",
        5,
        2,
        7,
        7,
        2,
        0,
    ),
    (
        "dfds/PM2024-003 - Kube state metrics exposing wrong labels.md",
        "PM2024-003",
        "Kube state metrics exposing wrong labels",
        "2024-06-06 11:27 +0000",
        "2024-06-07 09:41 +0000",
        "postmortem",
        5,
        2,
        7,
        7,
        2,
        0,
    ),
    (
        "dfds/PM2025-001 - Node system resource starvation and scheduling capacity.md",
        "PM2025-001",
        "Node system resource starvation and scheduling capacity",
        "2025-02-27 19:32 +0000",
        "2025-03-03 20:24 +0000",
        "postmortem",
        5,
        2,
        19,
        19,
        6,
        0,
    ),
    (
        "dfds/PM2025-002 - Traefik rule preventing some inbound traffic.md",
        "PM2025-002",
        "Traefik Rule Preventing Some Inbound Traffic",
        "2025-03-17 16:06 +0000",
        "2025-03-18 00:42 +0000",
        "postmortem",
        5,
        2,
        12,
        12,
        6,
        0,
    ),
    ("dfds/PMyyyy-nnn - Postmortem template.md", None, "Incident Title", None, None, "postmortem", 5, 2, 1, 0, 0, 1),
    (
        "learningequality/001-buildkite-failing-build.md",
        "001",
        "Buildkite kolibri builds failing due to upgraded docker image",
        None,
        None,
        "incident-review",
        4,
        0,
        0,
        0,
        4,
        1,
    ),
    (
        "learningequality/002-cloudflare-incomplete-migration.md",
        "002",
        "Cloudflare incomplete migration",
        "2017-09-18",
        None,
        "incident-review",
        4,
        2,
        0,
        0,
        6,
        0,
    ),
    (
        "learningequality/003-instantschools-migrations-not-included.md",
        "003",
        "Instantschools migrations not included",
        "2017-11-13",
        None,
        "incident-review",
        4,
        3,
        0,
        0,
        2,
        0,
    ),
    (
        "learningequality/004-sushibar-certificate-expired.md",
        "004",
        "Sushibar expired certificate postmortem",
        "2018-08-22",
        "2018-08-23",
        "incident-review",
        8,
        4,
        4,
        4,
        0,
        1,
    ),
    (
        "rust-lang-blog/Update-on-crates.io-incident.md",
        None,
        "Update on the October 15, 2018 incident on crates.io",
        "2018-10-15 20:09 +0000",
        "2018-10-16 00:40 +0000",
        "incident-review",
        4,
        2,
        12,
        12,
        0,
        0,
    ),
    (
        "rust-lang-blog/cargo-postmortem.md",
        None,
        "Postmortem Analysis in Cargo",
        "2022-10-28 01:52 +0000",
        None,
        "incident-review",
        0,
        0,
        0,
        0,
        0,
        0,
    ),
    (
        "rust-lang-blog/crates-io-incident-report.md",
        None,
        "crates.io incident report for 2020-02-20",
        "2020-02-20 21:17 +0000",
        "2020-02-21 14:10 +0000",
        "postmortem",
        5,
        1,
        17,
        17,
        5,
        0,
    ),
    (
        "rust-lang-blog/crates-io-malware-postmortem.md",
        None,
        "crates.io Postmortem: User Uploaded Malware",
        None,
        None,
        "postmortem",
        4,
        2,
        0,
        0,
        0,
        0,
    ),
    (
        "rust-lang-blog/crates-io-postmortem.md",
        None,
        "crates.io Postmortem: Broken Crate Downloads",
        "2023-07-19 12:32 +0000",
        "2023-07-20 14:10 +0000",
        "incident-review",
        9,
        5,
        16,
        16,
        3,
        0,
    ),
    (
        "rust-lang-blog/dns-outage-portmortem.md",
        None,
        "DNS Outage on 2023-01-25",
        "2023-01-25 09:15 +0000",
        None,
        "incident-review",
        2,
        1,
        0,
        0,
        0,
        0,
    ),
    (
        "rust-lang-blog/docsrs-outage-postmortem.md",
        None,
        "docs.rs outage postmortem",
        "2019-10-20 00:55 +0000",
        "2019-10-21 19:27 +0000",
        "incident-review",
        4,
        1,
        13,
        13,
        4,
        0,
    ),
    (
        "rust-lang-blog/rustup-1.24.0-incident-report.md",
        None,
        "Rustup 1.24.0 release incident report for 2021-04-27",
        "2021-04-27 15:09 +0000",
        None,
        "postmortem",
        4,
        1,
        0,
        0,
        2,
        0,
    ),
]


def _when(field):
    if field is None:
        return None
    v = field.value
    return v.strftime("%Y-%m-%d %H:%M %z") if v.hour or v.minute else v.strftime("%Y-%m-%d")


@functools.cache
def _record(rel):
    doc = read_markdown((FIXTURES / rel).read_bytes(), path=rel)
    return understand(doc, templates=TEMPLATES)


def test_every_real_postmortem_is_in_the_table():
    files = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*") if not p.name.startswith("LICENSE"))
    assert files == sorted(row[0] for row in EXPECTED)
    assert len(files) == 52


@pytest.mark.parametrize("row", EXPECTED, ids=[row[0] for row in EXPECTED])
def test_a_real_postmortem_is_understood(row):
    rel, incident_id, title, start, end, template, matched, extra, events, timed, actions, problems = row
    record = _record(rel)
    assert (record.incident_id.value if record.incident_id else None) == incident_id
    assert record.title.value == title
    assert _when(record.started_at) == start
    assert _when(record.ended_at) == end
    assert record.template_key == template
    assert (len(record.matched_sections), len(record.extra_sections)) == (matched, extra)
    assert (len(record.events), sum(1 for e in record.events if e.at is not None)) == (events, timed)
    assert len(record.action_items) == actions
    assert len(record.problems) == problems
    for p in record.problems:
        assert p.path == rel and p.message and p.action


def test_no_line_of_a_real_postmortem_is_lost():
    for row in EXPECTED:
        record = _record(row[0])
        doc = read_markdown((FIXTURES / row[0]).read_bytes(), path=row[0])
        kept = [record.preamble] + [s.text for s in record.sections]
        headings = {s.title for s in record.sections} | {record.title.original}
        for section in record.sections:
            assert section.text in doc.text
        for line in doc.text.splitlines():
            line = line.strip()
            if not line or line.lstrip("#").strip() in headings or line == "# Title:":  # 001's title label
                continue
            assert any(line in chunk for chunk in kept), (row[0], line)


def test_a_cet_table_is_read_in_central_european_time_with_summer_time():
    record = _record("dfds/PM2020-005 - ALB instance attachment.md")
    assert record.timezone == "CET"
    assert record.started_at.value.utcoffset().total_seconds() == 2 * 3600  # June: CEST


def test_a_table_header_names_the_zone():
    record = _record("dfds/PM2019-009 - Kubernetes network infrastructure IP starvation.md")
    assert record.timezone == "CET"
    first = record.events[0]
    assert first.line == 29 and first.original.startswith("2019-11-29 12:00")
    assert first.text.startswith("Proactively scaling up")


def test_html_entities_are_decoded_in_event_text():
    record = _record("dfds/PM2021-011 - Log4Shell.md")
    assert any("S&O" in e.text for e in record.events)
    assert not any("&amp;" in e.text for e in record.events)


def test_rows_out_of_order_keep_the_documents_order_with_their_own_times():
    record = _record("dfds/PM2021-011 - Log4Shell.md")
    lines = [e.line for e in record.events]
    assert lines == sorted(lines)
    by_line = {e.line: e.at for e in record.events}
    assert by_line[22].strftime("%H:%M") == "15:50" and by_line[23].strftime("%H:%M") == "14:30"
    assert by_line[22] > by_line[23]


def test_irregular_spacing_and_a_date_without_a_time():
    record = _record("dfds/PM2021-011 - Log4Shell.md")
    first, second = record.events[0], record.events[1]
    assert first.precision == "day" and first.at.strftime("%Y-%m-%d %H:%M") == "2021-12-10 00:00"
    assert second.at.strftime("%Y-%m-%d %H:%M") == "2021-12-10 15:40"


def test_placeholder_times_are_problems_and_the_rows_are_kept():
    record = _record("dfds/PM2022-006 - ALB 502 errors.md")
    assert len(record.events) == 10
    unread = [e for e in record.events if e.at is None]
    assert [e.original.split(" | ")[0] for e in unread] == ["2021/22-??-?? HH:mm", "2022-05-?? HH:mm"]
    assert all(p.line for p in record.problems)
    assert any("placeholder" in p.message and p.line == 13 for p in record.problems)


def test_a_typo_in_a_year_is_reported_not_guessed():
    record = _record("dfds/PM2020-003 - Postmortem for ADSync migration.md")
    assert all(e.at is None for e in record.events)
    assert [p.line for p in record.problems] == [14, 15, 16, 17, 18]
    assert "20202-01-16 12:00" in record.problems[0].message


def test_day_headings_give_the_date_of_the_times_under_them():
    record = _record("rust-lang-blog/crates-io-incident-report.md")
    assert record.events[0].at.isoformat() == "2020-02-20T21:17:00+00:00"
    assert record.events[-1].at.isoformat() == "2020-02-21T14:10:00+00:00"


def test_a_base_date_in_prose_and_a_date_in_the_first_row():
    record = _record("rust-lang-blog/docsrs-outage-postmortem.md")
    assert record.timezone == "UTC"
    assert record.events[0].at.isoformat() == "2019-10-20T00:55:00+00:00"
    assert record.events[1].at.isoformat() == "2019-10-21T01:38:00+00:00"


def test_times_past_midnight_roll_over_to_the_next_day():
    record = _record("rust-lang-blog/Update-on-crates.io-incident.md")
    assert record.events[0].at.isoformat() == "2018-10-15T20:09:00+00:00"  # the date comes from the title
    assert record.events[-1].at.isoformat() == "2018-10-16T00:40:00+00:00"


def test_paragraph_timeline_with_am_pm_times():
    record = _record("learningequality/004-sushibar-certificate-expired.md")
    assert [e.at.strftime("%Y-%m-%d %H:%M") for e in record.events] == [
        "2018-08-22 15:26",
        "2018-08-22 16:12",
        "2018-08-22 16:24",
        "2018-08-23 10:08",
    ]
    assert record.started_at.original == "Start: Wednesday, 2018-08-22"
    assert record.started_at.source == "labelled line" and record.started_at.line == 4
    assert any("no time zone" in p.message for p in record.problems)


def test_a_title_heading_with_the_title_under_it():
    record = _record("learningequality/001-buildkite-failing-build.md")
    assert record.title.value == "Buildkite kolibri builds failing due to upgraded docker image"
    assert record.title.line == 2
    (problem,) = record.problems
    assert problem.line == 5 and "no times" in problem.message


def test_labelled_headings_are_values_not_sections():
    record = _record("learningequality/002-cloudflare-incomplete-migration.md")
    assert record.fields["owner"].value == "@aronasorman"
    assert record.fields["meeting scheduled for"].value == "Waived by @aronasorman"
    assert "## Involved:" in record.preamble
    assert [s.title for s in record.sections][0] == "Overview"


def test_sections_say_how_they_matched():
    record = _record("dfds/PM2021-004 - ADFS outage.md")
    how = {s.title: (s.key, s.match) for s in record.sections}
    assert how["Summary"] == ("summary", "exact")
    assert how["Contributing Factors"] == ("contributing-factors", "exact")
    assert how["Lessons Learned"] == ("learned", "synonym")
    assert how["Action Items"] == ("action-items", "synonym")
    assert how["Atendees"] == (None, "")
    assert how["Stats"] == (None, "")


def test_checkboxes_are_done_or_not():
    record = _record("learningequality/002-cloudflare-incomplete-migration.md")
    assert [a.done for a in record.action_items] == [None, None, None, True, False, False]  # "- [] " is an empty box
    record = _record("learningequality/003-instantschools-migrations-not-included.md")
    assert [a.done for a in record.action_items][-2:] == [True, True]


def test_ticket_links_in_action_items():
    record = _record("rust-lang-blog/crates-io-incident-report.md")
    keys = [r.key for a in record.action_items for r in a.refs]
    assert keys == [f"rust-lang/crates.io#{n}" for n in range(2226, 2231)]


def test_nested_action_items_are_kept():
    record = _record("dfds/PM2022-009 - Bad AWS EKS AMI causing Kubernetes issues")
    assert len(record.action_items) == 10
    assert record.action_items[1].text.startswith("Reach out to teams")


def test_durations_come_from_the_time_to_recovery_in_the_stats_list():
    durations = {row[0]: _record(row[0]).duration for row in EXPECTED}
    assert sum(1 for d in durations.values() if d is not None) == 30
    d = durations["dfds/PM2021-005 - All services returning 503 in Kubernetes.md"]
    assert (d.value, d.original, d.line) == (timedelta(minutes=25), "Time to recovery: 25 minutes", 49)
    d = durations["dfds/PM2022-009 - Bad AWS EKS AMI causing Kubernetes issues"]
    assert d.value == timedelta(hours=54, minutes=10)
    # "?", "N/A" and the template's "ZZZ" are not durations; they stay as labelled values
    assert durations["dfds/PM2021-011 - Log4Shell.md"] is None
    assert _record("dfds/PM2021-011 - Log4Shell.md").fields["time to recovery"].value == "N/A"
    # two dates without a time of day give no duration
    assert durations["learningequality/004-sushibar-certificate-expired.md"] is None


def test_the_start_can_come_from_the_opening_paragraph():
    cargo = _record("rust-lang-blog/cargo-postmortem.md").started_at
    assert (cargo.original, cargo.source, cargo.line) == ("01:52 UTC, 2022-10-28", "prose", 12)
    dns = _record("rust-lang-blog/dns-outage-portmortem.md").started_at
    assert dns.original == "2023-01-25 at 09:15 UTC"
    overview = _record("learningequality/002-cloudflare-incomplete-migration.md").started_at
    assert (overview.original, overview.source) == ("Sept. 18th, 2017", "prose")


def test_dates_taken_from_the_timeline_keep_the_row_they_came_from():
    record = _record("dfds/PM2021-011 - Log4Shell.md")
    assert (record.started_at.source, record.started_at.line) == ("timeline", 15)
    assert record.started_at.original.startswith("2021-12-10 | The Log4Shell vulnerability was published")
    assert record.ended_at.line == 40 and record.ended_at.original.startswith("2022-01-04 11:03")
