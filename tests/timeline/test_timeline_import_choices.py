"""The import page helps choose what to import: its times start from the incident's window, a Slack export's preview
lists the channels to tick with their message counts and reads the kept upload again with other channels and times,
most events outside the incident get a warning, and Slack day files (one or several) are taken."""

import shutil
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrospector.timeline.models import ImportRecord, PendingImport, TimelineEvent

SLACK = Path(__file__).resolve().parent.parent / "fixtures" / "slack" / "slack-export-viewer-testarchive"
FIRING = Path(__file__).resolve().parent.parent / "fixtures" / "alertmanager" / "alertmanager-bot" / "firing.json"
STARTED, RESOLVED = datetime(2016, 3, 26, 10, tzinfo=UTC), datetime(2016, 3, 27, 18, tzinfo=UTC)
WINDOW = {"since": "2016-03-26T09:00", "until": "2016-03-27T22:00"}  # as the form starts, in the viewer's UTC


@pytest.fixture
def sailing(make_incident):
    return make_incident(title="Sailing chat outage", started_at=STARTED, detected_at=None, resolved_at=RESOLVED)


@pytest.fixture
def slack_zip(tmp_path):
    return Path(shutil.make_archive(str(tmp_path / "export"), "zip", SLACK))


def upload(client, incident, paths, source="slack", **options):
    with ExitStack() as stack:
        handles = [stack.enter_context(Path(p).open("rb")) for p in paths]
        data = {"source": source, "file": handles if len(handles) > 1 else handles[0], **options}
        return client.post(f"/incidents/{incident.pk}/timeline/import", data)


def refine(client, incident, pending, **fields):
    return client.post(f"/incidents/{incident.pk}/timeline/import", {"refine": "1", "pending": pending.pk, **fields})


def test_the_form_starts_from_the_incidents_window_in_the_viewers_zone(make_incident, client_for, people):
    incident = make_incident(started_at=STARTED, detected_at=None, resolved_at=RESOLVED)
    page = client_for("bob").get(f"/incidents/{incident.pk}/timeline/import").content.decode()
    assert 'name="since" value="2016-03-26T09:00"' in page and 'name="until" value="2016-03-27T22:00"' in page
    assert (
        "Starts 1 hour before the incident started" in page and "Ends 4 hours after the incident was resolved" in page
    )
    people["bob"].time_zone = "Europe/Paris"  # datetime-local values are read in the viewer's zone: shown in it too
    people["bob"].save()
    paris = client_for("bob").get(f"/incidents/{incident.pk}/timeline/import").content.decode()
    assert 'name="since" value="2016-03-26T10:00"' in paris

    ongoing = make_incident(started_at=STARTED, detected_at=None)
    page = client_for("bob").get(f"/incidents/{ongoing.pk}/timeline/import").content.decode()
    assert 'name="until"' in page and 'name="until" value=' not in page
    assert "The incident is not resolved: empty reads up to now." in page


def test_a_slack_preview_lists_channels_with_counts_and_a_channel_column(sailing, client_for, slack_zip):
    response = upload(client_for("bob"), sailing, [slack_zip], **WINDOW)
    page = response.content.decode()
    assert "Preview: 33 events, 33 new" in page
    assert '<th scope="col">Channel</th>' in page and '<td class="channel">#enrique</td>' in page
    assert "Channels: 2 of 2 chosen" in page
    assert (
        'value="traveling-sailor" checked> #traveling-sailor <span class="counts muted">17 messages · 35 outside'
        in page
    )
    assert 'value="enrique" checked> #enrique <span class="counts muted">16 messages · 82 outside' in page
    assert "117 more in the chosen channels are outside them and left out" in page
    assert 'id="outside-window"' not in page  # the times asked for are the incident's


def test_ticking_one_channel_reads_the_kept_upload_again_and_imports_only_it(sailing, client_for, slack_zip):
    client = client_for("bob")
    pending = upload(client, sailing, [slack_zip], **WINDOW).context["pending"]
    again = refine(client, sailing, pending, channels_listed="1", channel=["enrique"], **WINDOW)
    page = again.content.decode()
    assert "Preview: 16 events, 16 new" in page and "Channels: 1 of 2 chosen" in page
    assert 'value="traveling-sailor"> #traveling-sailor' in page  # not ticked any more
    assert '<td class="channel">#traveling-sailor</td>' not in page
    pending.refresh_from_db()
    assert pending.options["channel"] == "enrique" and not TimelineEvent.objects.exists()

    client.post(f"/incidents/{sailing.pk}/timeline/import", {"confirm": "1", "pending": pending.pk})
    events = TimelineEvent.objects.filter(incident=sailing)
    assert events.count() == 16 and set(events.values_list("channel", flat=True)) == {"enrique"}


def test_ticking_no_channel_is_refused_and_keeps_the_choice_made(sailing, client_for, slack_zip):
    client = client_for("bob")
    pending = upload(client, sailing, [slack_zip], **WINDOW).context["pending"]
    page = refine(client, sailing, pending, channels_listed="1", **WINDOW).content.decode()
    assert "Tick at least one channel to import from." in page and "Preview: 33 events" in page
    pending.refresh_from_db()
    assert pending.options["channel"] == ""


def test_most_events_outside_the_incident_are_warned_of_with_their_number(sailing, client_for, slack_zip):
    page = upload(client_for("bob"), sailing, [slack_zip]).content.decode()  # no times: the whole export
    assert "Preview: 150 events, 150 new" in page
    assert "117 of these 150 events fall outside the incident's window" in page
    assert "2016-03-26 09:00 to 2016-03-27 22:00, UTC" in page


def test_someone_else_cannot_read_again_or_confirm_an_upload(sailing, client_for, slack_zip):
    pending = upload(client_for("bob"), sailing, [slack_zip], **WINDOW).context["pending"]
    other = refine(client_for("alice"), sailing, pending, channels_listed="1", channel=["enrique"])
    assert other.status_code == 302  # "expired": it is not theirs
    pending.refresh_from_db()
    assert pending.options["channel"] == ""
    assert refine(client_for("dana"), sailing, pending, channel="enrique").status_code == 403  # a viewer
    assert refine(client_for("charlie"), sailing, pending, channel="enrique").status_code in (403, 404)


def test_several_day_files_are_one_channels_and_the_page_asks_for_its_name(sailing, client_for):
    client = client_for("bob")
    days = [SLACK / "enrique" / "2016-03-26.json", SLACK / "enrique" / "2016-03-28.json", SLACK / "users.json"]
    asked = upload(client, sailing, days)
    page = asked.content.decode()
    assert "Which channel are these messages from?" in page
    assert "2016-03-26.json, 2016-03-28.json, users.json" in page
    pending = asked.context["pending"]
    assert pending.options["files"] == ["2016-03-26.json", "2016-03-28.json", "users.json"]

    named = refine(client, sailing, pending, channel="#enrique", since="", until="")
    assert "Preview: 37 events, 37 new" in named.content.decode()
    client.post(f"/incidents/{sailing.pk}/timeline/import", {"confirm": "1", "pending": pending.pk})
    record = ImportRecord.objects.get(incident=sailing)
    assert record.event_count == 37 and record.file_name == "2016-03-26.json, 2016-03-28.json, users.json"
    assert "Hermione Granger" in set(TimelineEvent.objects.values_list("actor", flat=True))  # users.json was read


def test_a_single_day_file_with_its_channel_given_is_previewed(sailing, client_for):
    page = upload(client_for("bob"), sailing, [SLACK / "enrique" / "2016-03-26.json"], channel="enrique", **WINDOW)
    assert "Preview: 16 events, 16 new" in page.content.decode()
    assert "not a readable zip file" not in page.content.decode()


def test_several_files_are_refused_for_a_source_that_takes_one(sailing, client_for):
    response = upload(client_for("bob"), sailing, [FIRING, FIRING], source="alertmanager")
    assert response.status_code == 200
    assert "2 files were picked; Prometheus Alertmanager webhook payloads takes one file at a time." in (
        response.content.decode()
    )
    assert not PendingImport.objects.exists()


def test_a_bad_day_file_among_several_is_named(sailing, client_for, tmp_path):
    bad = tmp_path / "2016-03-27.json"
    bad.write_text('[{"ts": "yesterday"}]')
    page = upload(client_for("bob"), sailing, [SLACK / "enrique" / "2016-03-26.json", bad], channel="enrique")
    text = page.content.decode()
    assert "Nothing can be imported" in text and "2016-03-27.json#/0/ts: ts:" in text
    assert not PendingImport.objects.exists()


def test_the_api_and_the_command_line_take_a_day_file_with_its_channel(sailing, client_for, people):
    from django.core.management import call_command

    day = SLACK / "enrique" / "2016-03-26.json"
    with day.open("rb") as handle:
        api = client_for("bob").post(
            f"/api/v1/incidents/{sailing.pk}/timeline/imports",
            {"source": "slack", "file": handle, "channel": "enrique"},
        )
    assert api.status_code == 201 and api.json()["added"] == 18
    with day.open("rb") as handle:
        nameless = client_for("bob").post(
            f"/api/v1/incidents/{sailing.pk}/timeline/imports", {"source": "slack", "file": handle}
        )
    assert nameless.status_code == 422
    assert nameless.json()["problems"][0] | {"message": ""} == {
        "file": "2016-03-26.json",
        "field": "channel",
        "line": None,
        "pointer": None,
        "message": "",
    }
    call_command(
        "timeline", "import", str(sailing.pk), str(day), "--source", "slack", "--channel", "general", "--as-user", "bob"
    )
    assert TimelineEvent.objects.filter(incident=sailing, channel="general").count() == 18
