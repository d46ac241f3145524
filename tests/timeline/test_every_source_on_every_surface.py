"""Every source's real sample imports the same events through the command line, the page and the API.

The samples are those in tests/fixtures (licences in each folder's SOURCES.md). Each surface imports into its own
incident; the three timelines must hold exactly the same events, and none may be empty."""

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from retrospector.timeline.models import ImportRecord, TimelineEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

SAMPLES = {  # id: (source, sample, options as the page and the API name them)
    "slack": ("slack", FIXTURES / "slack" / "slack-export-viewer-testarchive", {}),
    "pagerduty": ("pagerduty", FIXTURES / "pagerduty" / "go-pagerduty" / "webhookv3_test.defaultBody.json", {}),
    "alertmanager": ("alertmanager", FIXTURES / "alertmanager" / "prometheus-msteams" / "prom_post_request.json", {}),
    "grafana": ("grafana", FIXTURES / "grafana" / "zulip-webhook-fixtures" / "alert-9.json", {}),
    "opsgenie": ("opsgenie", FIXTURES / "opsgenie" / "zulip-webhook-fixtures" / "create.json", {}),
    "github": ("github", FIXTURES / "github" / "octokit-webhooks" / "deployment_status" / "payload.json", {}),
    "csv": (
        "csv",
        FIXTURES / "logs" / "timeline.csv",
        {"mapping": "time=when,text=what,actor=who,kind=kind,source=link,channel=team", "tz": "Asia/Tehran"},
    ),
    "jsonl": ("jsonl", FIXTURES / "logs" / "logfile_otel_collector.jsonl", {}),
    "jsonl-mapped": (
        "jsonl",
        FIXTURES / "logs" / "logfile_cloudflare.json",
        {"mapping": "time=EdgeStartTimestamp,text=ClientRequestURI,actor=ClientIP"},
    ),
}


def upload_of(source: str, path: Path, tmp_path: Path) -> Path:
    """What a person uploads: a Slack export as its zip, any other sample as the file itself."""
    if path.is_dir():
        return Path(shutil.make_archive(str(tmp_path / path.name), "zip", path))
    return path


def stored(incident) -> list[tuple]:
    return sorted(
        TimelineEvent.objects.filter(incident=incident).values_list(
            "occurred_at", "source_type", "source_ref", "kind", "actor", "actor_kind", "text", "hidden", "original_time"
        )
    )


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_a_real_sample_imports_the_same_events_from_the_cli_the_page_and_the_api(
    sample, make_incident, people, client_for, tmp_path
):
    source, path, options = SAMPLES[sample]
    by_cli, by_page, by_api = make_incident(), make_incident(), make_incident()

    flags = [f"--{name}={value}" for name, value in options.items()]
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "timeline",
        "import",
        str(by_cli.pk),
        str(path),
        "--source",
        source,
        "--as-user",
        "bob",
        "--format",
        "json",
        *flags,
        stdout=out,
        stderr=err,
    )
    assert json.loads(out.getvalue())["added"] > 0, err.getvalue()

    upload = upload_of(source, path, tmp_path)
    client = client_for("bob")
    with upload.open("rb") as file:
        preview = client.post(f"/incidents/{by_page.pk}/timeline/import", {"source": source, "file": file, **options})
    assert preview.status_code == 200 and "Preview:" in preview.content.decode(), preview.content.decode()[:2000]
    done = client.post(
        f"/incidents/{by_page.pk}/timeline/import", {"confirm": "1", "pending": preview.context["pending"].pk}
    )
    assert done.status_code == 302

    with upload.open("rb") as file:
        response = client.post(
            f"/api/v1/incidents/{by_api.pk}/timeline/imports", {"source": source, "file": file, **options}
        )
    assert response.status_code == 201, response.content

    events = stored(by_cli)
    assert events, "the sample gave no events"
    assert stored(by_page) == events
    assert stored(by_api) == events
    assert {r.source_type for r in ImportRecord.objects.filter(incident__in=[by_cli, by_page, by_api])} == {source}
    assert all(
        r.event_count == len(events) for r in ImportRecord.objects.filter(incident__in=[by_cli, by_page, by_api])
    )
