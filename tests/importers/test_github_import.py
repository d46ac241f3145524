"""GitHub deployment webhook importer: real payloads (tests/fixtures/github), bad input, fuzzing. No Django."""

import copy
from datetime import UTC, datetime

import pytest
from webhook_fuzz_support import (
    check_event,
    check_sniff,
    cut_json_problem,
    events_of,
    fuzz_test,
    load,
    one_event,
    problems_of,
    write_json,
    write_lines,
    wrong_format_problem,
)

from retrospector.importers import github, opsgenie, pagerduty

pytestmark = pytest.mark.no_database

SRC = "github"


def one(relative):
    return one_event(github, SRC, relative)


def test_deployment_created():
    event = one("octokit-webhooks/deployment/payload.json")
    assert event.kind == "deploy"
    assert event.text == "Deployment to production of Codertocat/Hello-World@master (f95f852) created by Codertocat"
    assert event.occurred_at == datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC)
    assert (event.original_time, event.original_offset_minutes) == ("2019-05-15T15:20:53Z", 0)
    assert (event.actor, event.actor_kind) == ("Codertocat", "person")
    assert event.source_ref == "deployment:145988746"
    assert event.channel == "production"
    assert event.source_url == "https://github.com/Codertocat/Hello-World/deployments"
    assert one("octokit-webhooks/deployment/with-installation.payload.json") == event


def test_pages_deployment_created_by_a_bot_but_sent_by_a_person():
    event = one("octokit-webhooks/deployment/gh-pages.payload.json")
    assert (
        event.text
        == "Deployment to github-pages of Codertocat/Hello-World@gh-pages (f95f852) created by github-pages[bot]"
    )
    assert (event.actor, event.actor_kind) == ("Codertocat", "person")
    assert event.channel == "github-pages"
    assert event.source_url == "https://github.com/Codertocat/Hello-World/actions/runs/289782451"


def test_a_bot_sender_is_a_bot(tmp_path):
    payload = load(SRC, "octokit-webhooks/deployment/gh-pages.payload.json")
    payload["sender"] = payload["deployment"]["creator"]
    (event,) = events_of(github, write_json(tmp_path, payload))
    assert (event.actor, event.actor_kind) == ("github-pages[bot]", "bot")


def test_deployment_status():
    event = one("octokit-webhooks/deployment_status/payload.json")
    assert event.kind == "deploy"
    assert event.text == "Deployment to production: success (Codertocat/Hello-World@master, f95f852)"
    assert event.occurred_at == datetime(2019, 5, 15, 15, 20, 55, tzinfo=UTC)
    assert event.source_ref == "deployment_status:209916254"
    assert (event.channel, event.source_url) == ("production", "")
    pages = one("octokit-webhooks/deployment_status/gh-pages.payload.json")
    assert pages.text.startswith("Deployment to github-pages: in_progress")
    assert pages.source_url == "https://github.com/Codertocat/Hello-World/runs/145988746?check_suite_focus=true"


def test_a_list_of_payloads_in_time_order_with_redeliveries_dropped(tmp_path):
    names = ["deployment_status/payload.json", "deployment/payload.json", "deployment/with-installation.payload.json"]
    path = write_json(tmp_path, [load(SRC, f"octokit-webhooks/{n}") for n in names])
    events = events_of(github, path)
    assert [e.source_ref for e in events] == ["deployment:145988746", "deployment_status:209916254"]
    assert [e.source_ref for e in events] == [e.source_ref for e in events_of(github, path)]


def test_the_same_id_with_different_content_is_a_problem(tmp_path):
    # The octokit samples reuse deployment 145988746 for a production and a github-pages deployment.
    names = ["deployment/payload.json", "deployment/gh-pages.payload.json"]
    (problem,) = problems_of(github, write_lines(tmp_path, [load(SRC, f"octokit-webhooks/{n}") for n in names]))
    assert (problem.line, problem.pointer, problem.field) == (2, "/deployment/id", "id")
    assert "duplicate id 'deployment:145988746'" in problem.message and "line 1" in problem.message


def test_filters_by_environment_and_time(tmp_path):
    names = ["deployment_status/payload.json", "deployment/gh-pages.payload.json"]
    path = write_lines(tmp_path, [load(SRC, f"octokit-webhooks/{n}") for n in names])
    assert [e.channel for e in events_of(github, path, channels=frozenset({"production"}))] == ["production"]
    assert [e.channel for e in events_of(github, path, since=datetime(2020, 1, 1, tzinfo=UTC))] == ["github-pages"]


def test_description_and_task_are_kept_and_clipped(tmp_path):
    payload = load(SRC, "octokit-webhooks/deployment/payload.json")
    payload["deployment"].update(task="deploy:migrations", description="Roll out 2.14.3" + "!" * 30_000)
    (event,) = events_of(github, write_json(tmp_path, payload))
    assert event.text.startswith(
        "Deployment to production of Codertocat/Hello-World@master (f95f852) created by Codertocat "
        "(task deploy:migrations)\nRoll out 2.14.3"
    )
    check_event(event, SRC)


def test_sniff():
    check_sniff(github, SRC, pagerduty, opsgenie)


# --- bad input -------------------------------------------------------------------------------


def test_invalid_json(tmp_path):
    cut_json_problem(github, tmp_path, SRC, "octokit-webhooks/deployment/payload.json", 1000)


def test_wrong_format():
    says = "this is not a GitHub deployment or deployment_status webhook payload (no 'deployment' object)"
    wrong_format_problem(github, "opsgenie", "zulip-webhook-fixtures/close.json", says, "Opsgenie")


def test_missing_and_impossible_times_and_bad_ids(tmp_path):
    first = load(SRC, "octokit-webhooks/deployment/payload.json")
    second = load(SRC, "octokit-webhooks/deployment_status/payload.json")
    third = copy.deepcopy(second)
    del first["deployment"]["created_at"]
    second["deployment_status"]["created_at"] = "20202-01-16T15:20:55Z"
    third["deployment_status"]["id"] = "abc"
    third["deployment_status"]["state"] = None
    problems = problems_of(github, write_json(tmp_path, [first, second, third]))
    assert [(p.pointer, p.field) for p in problems] == [
        ("/0/deployment/created_at", "created_at"),
        ("/1/deployment_status/created_at", "created_at"),
        ("/2/deployment_status/id", "id"),
        ("/2/deployment_status/state", "state"),
    ]
    assert "'20202-01-16T15:20:55Z' is not a valid time" in problems[1].message


test_fuzzed_real_payloads_only_ever_raise_import_failed = fuzz_test(github, SRC)
