"""One service checks a timeline import's options for the page, the API, the command line and the worker; one function
decides inline or background against each surface's cap (settings); small uploads wait and go through services."""

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404

from retrospector.timeline.imports import (
    ImportRequest,
    import_request_parse,
    import_runs_in_background,
    pending_import_confirm,
    pending_import_create,
    size_text,
)
from retrospector.timeline.models import ImportRecord, PendingImport, TimelineEvent
from retrospector.timeline.services import event_add, events_merge
from tests.importers.zip_bombs import MB, deflated, raw_zip, zeros_deflated

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIRING = FIXTURES / "alertmanager" / "alertmanager-bot" / "firing.json"
T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


def field_of(excinfo) -> dict:
    return {field: messages[0] for field, messages in excinfo.value.message_dict.items()}


def test_the_options_are_checked_into_importer_options():
    asked = import_request_parse(
        source="csv",
        tz="Europe/Paris",
        since="2026-05-04T14:00:00Z",
        until="2026-05-04T16:00:00+02:00",
        channel=" general, , ops ",
        mapping=" time=ts ",
        dry_run=True,
    )
    assert asked.source == "csv" and asked.mapping == "time=ts" and asked.dry_run and not asked.background
    assert asked.options.tz == ZoneInfo("Europe/Paris")
    assert asked.options.since == T0 and asked.options.until == T0
    assert asked.options.channels == {"general", "ops"}
    empty = import_request_parse(source="slack")
    assert (empty.options.tz, empty.options.since, empty.options.until, empty.options.channels) == (
        None,
        None,
        None,
        None,
    )


def test_a_list_of_channels_is_taken_as_given_one_per_item():
    assert import_request_parse(source="slack", channel=["a,b", " c "]).options.channels == {"a,b", "c"}
    assert import_request_parse(source="slack", channel=[]).options.channels is None


@pytest.mark.parametrize(
    "options,field,message",
    [
        ({"source": "excel"}, "source", "Unknown source 'excel'; use one of slack,"),
        ({"tz": "Mars/Olympus"}, "tz", "Unknown time zone 'Mars/Olympus'; use a name such as Europe/Paris or UTC."),
        ({"tz": "../etc/passwd"}, "tz", "Unknown time zone '../etc/passwd'"),
        ({"since": "yesterday"}, "since", "Not a time with a zone: 'yesterday'; give an RFC 3339 time"),
        ({"until": "2026-05-04T14:00"}, "until", "Not a time with a zone: '2026-05-04T14:00'"),
    ],
)
def test_a_bad_option_is_refused_naming_it(options, field, message):
    with pytest.raises(ValidationError) as excinfo:
        import_request_parse(**{"source": "csv", **options})
    assert list(field_of(excinfo)) == [field] and field_of(excinfo)[field].startswith(message)


def test_the_pages_times_without_a_zone_are_meant_in_the_viewers_zone():
    paris = ZoneInfo("Europe/Paris")
    asked = import_request_parse(
        source="slack", since="2026-05-04T16:00", until="2026-05-04T14:00:00Z", local_zone=paris
    )
    assert asked.options.since == T0 and asked.options.until == T0
    with pytest.raises(ValidationError) as excinfo:
        import_request_parse(source="slack", since="soon", local_zone=paris)
    assert field_of(excinfo) == {"since": "Not a date and time: 'soon'."}


def test_the_stored_options_read_back_the_same():
    asked = import_request_parse(
        source="jsonl",
        tz="Asia/Tehran",
        since="2026-05-04T16:00",
        until="2026-05-05T00:00:00Z",
        channel="ops,general",
        mapping="time=ts",
        local_zone=ZoneInfo("Europe/Paris"),
    )
    stored = asked.stored()
    assert stored == {
        "tz": "Asia/Tehran",
        "channel": "general,ops",
        "mapping": "time=ts",
        "since": "2026-05-04T16:00:00+02:00",
        "until": "2026-05-05T00:00:00+00:00",
    }
    again = ImportRequest.from_stored(source="jsonl", stored=stored)
    assert again.options == asked.options and again.mapping == asked.mapping
    # As uploads kept them before this service: the same keys, the channels as typed.
    old = ImportRequest.from_stored(
        source="slack", stored={"tz": "", "channel": "general, ops", "mapping": "", "since": None, "until": None}
    )
    assert old.options.channels == {"general", "ops"} and old.options.since is None


def test_inline_or_background_is_decided_from_the_size_and_the_surfaces_cap(settings):
    settings.TIMELINE_IMPORT_INLINE_BYTES = 1000
    assert import_runs_in_background(file_name="a.json", size=1000, max_bytes=5000) is False
    assert import_runs_in_background(file_name="a.json", size=1001, max_bytes=5000) is True
    assert import_runs_in_background(file_name="a.json", size=10, max_bytes=5000, asked=True) is True
    with pytest.raises(ValidationError) as excinfo:
        import_runs_in_background(file_name="big.zip", size=60 * 1024**2, max_bytes=50 * 1024**2)
    assert field_of(excinfo) == {"file": "big.zip is 60 MB; upload up to 50 MB here or use the command line."}
    assert [size_text(n) for n in (int(2.5 * 1024**2), 200 * 1024**2, 300 * 1024, 589)] == [
        "2.5 MB",
        "200 MB",
        "300 KB",
        "589 bytes",
    ]


def test_the_page_refuses_an_upload_over_its_cap_from_the_settings(make_incident, client_for, settings):
    settings.TIMELINE_IMPORT_MAX_BYTES_PAGE = 100
    incident = make_incident()
    with FIRING.open("rb") as upload:
        response = client_for("bob").post(
            f"/incidents/{incident.pk}/timeline/import", {"source": "alertmanager", "file": upload}
        )
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        f"firing.json is {FIRING.stat().st_size} bytes; upload up to 100 bytes here or use the command line."
    ]
    assert "Up to 100 bytes here" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_the_page_shows_a_bad_option_on_its_field(make_incident, client_for):
    incident = make_incident()
    with FIRING.open("rb") as upload:
        response = client_for("bob").post(
            f"/incidents/{incident.pk}/timeline/import", {"source": "alertmanager", "file": upload, "since": "soon"}
        )
    assert response.context["form"].errors["since"] == ["Not a date and time: 'soon'."]
    assert not PendingImport.objects.exists()


def test_the_page_filters_by_times_in_the_viewers_zone(make_incident, client_for, people):
    people["bob"].time_zone = "Asia/Tokyo"
    people["bob"].save()
    incident = make_incident()
    client = client_for("bob")
    with FIRING.open("rb") as upload:
        everything = client.post(
            f"/incidents/{incident.pk}/timeline/import", {"source": "alertmanager", "file": upload}
        )
    first = datetime.fromisoformat(everything.context["preview"]["rows"][0]["time"])
    after_first = (first + timedelta(seconds=1)).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%dT%H:%M:%S")
    with FIRING.open("rb") as upload:
        later = client.post(
            f"/incidents/{incident.pk}/timeline/import",
            {"source": "alertmanager", "file": upload, "since": after_first},
        )
    assert later.context["preview"]["count"] < everything.context["preview"]["count"]
    meant = datetime.fromisoformat(after_first).replace(tzinfo=ZoneInfo("Asia/Tokyo"))
    assert later.context["pending"].options["since"] == meant.isoformat()


def test_the_api_refuses_an_upload_over_its_cap_and_names_a_bad_until(make_incident, client_for, settings):
    incident = make_incident()
    client = client_for("bob")
    url = f"/api/v1/incidents/{incident.pk}/timeline/imports"
    with FIRING.open("rb") as upload:
        bad = client.post(url, {"source": "alertmanager", "file": upload, "until": "tomorrow"})
    assert bad.status_code == 422 and bad.json()["field"] == "until"
    settings.TIMELINE_IMPORT_MAX_BYTES_API = 100
    with FIRING.open("rb") as upload:
        big = client.post(url, {"source": "alertmanager", "file": upload})
    assert big.status_code == 422 and big.json()["field"] == "file"
    assert big.json()["detail"].startswith("firing.json is ") and "upload up to 100 bytes here" in big.json()["detail"]
    assert not TimelineEvent.objects.exists() and not PendingImport.objects.exists()


def test_a_zip_bomb_upload_is_refused_at_once_on_the_page_and_in_the_api(make_incident, client_for, tmp_path, settings):
    """The probe's zip of 12 x 199 MB members was unpacked in the web worker (23 s, 700 MB) before its total was
    reported; now its declared sizes refuse it before anything is unpacked."""
    settings.TIMELINE_IMPORT_INLINE_BYTES = 5 * MB  # the zip is 2.4 MB here (the probe's was 3.9 KB): read inline
    incident = make_incident()
    client = client_for("bob")
    bomb = zeros_deflated(199)
    members = [("users.json", *deflated(b"[]"))]
    members += [(f"general/2020-03-{day:02d}.json", bomb, 0, 199 * MB) for day in range(1, 13)]
    zipped = raw_zip(tmp_path / "export.zip", members)
    started = time.perf_counter()
    with zipped.open("rb") as upload:
        api = client.post(f"/api/v1/incidents/{incident.pk}/timeline/imports", {"source": "slack", "file": upload})
    with zipped.open("rb") as upload:
        page = client.post(f"/incidents/{incident.pk}/timeline/import", {"source": "slack", "file": upload})
    assert time.perf_counter() - started < 2
    assert api.status_code == 422
    problems = [(p["file"], p["message"]) for p in api.json()["problems"]]
    assert ("general/2020-03-01.json", "is 199 MB unpacked; the limit is 32 MB per file.") in problems
    assert problems[-1] == ("export.zip", "unpacks to 2.3 GB; the limit is 2 GB.")
    assert page.status_code == 200 and "unpacks to 2.3 GB; the limit is 2 GB." in page.content.decode()
    assert not TimelineEvent.objects.exists() and not PendingImport.objects.exists()


def test_the_command_line_names_the_bad_option(make_incident):
    incident = make_incident()
    for flag, value, message in (
        ("--tz", "Mars/Olympus", "--tz: Unknown time zone 'Mars/Olympus'"),
        ("--until", "tomorrow", "--until: Not a time with a zone: 'tomorrow'"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command(
                "timeline",
                "import",
                str(incident.pk),
                str(FIRING),
                "--source",
                "alertmanager",
                flag,
                value,
                "--as-user",
                "bob",
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
    assert not TimelineEvent.objects.exists()


def test_a_small_upload_waits_then_is_imported_and_dropped_by_the_services(make_incident, people):
    incident = make_incident()
    asked = import_request_parse(source="alertmanager")
    with pytest.raises(PermissionDenied):
        pending_import_create(
            incident=incident, by=people["dana"], request=asked, file_name="firing.json", content=FIRING.read_bytes()
        )
    pending = pending_import_create(
        incident=incident, by=people["bob"], request=asked, file_name="firing.json", content=FIRING.read_bytes()
    )
    assert not pending.background and pending.status == "ready" and pending.options == asked.stored()
    with pytest.raises(PermissionDenied):
        pending_import_confirm(pending=pending, by=people["alice"])
    record = pending_import_confirm(pending=pending, by=people["bob"])
    assert record == ImportRecord.objects.get(incident=incident) and record.event_count > 0
    assert not PendingImport.objects.exists()


def test_merging_without_a_choice_keeps_the_earliest_selected_event(make_incident, people):
    incident = make_incident()
    bob = people["bob"]
    late = event_add(incident=incident, by=bob, occurred_at=T0 + timedelta(minutes=1), text="late copy")
    tied_second = event_add(incident=incident, by=bob, occurred_at=T0, text="second at the same time")
    tied_first = event_add(incident=incident, by=bob, occurred_at=T0, text="added last, at the same time")
    ids = [late.pk, tied_second.pk, tied_first.pk]
    kept = events_merge(incident=incident, by=bob, duplicate_ids=ids)
    assert kept.pk == min(tied_second.pk, tied_first.pk)  # the same time: the lower id
    assert set(TimelineEvent.objects.filter(merged_into=kept).values_list("pk", flat=True)) == set(ids) - {kept.pk}
    with pytest.raises(ValidationError) as excinfo:
        events_merge(incident=incident, by=bob, duplicate_ids=[])
    assert field_of(excinfo) == {"keep": "Pick the event to keep."}
    with pytest.raises(Http404, match="No such event on this incident: 999999."):  # an unknown id is named
        events_merge(incident=incident, by=bob, duplicate_ids=[999_999])


def test_the_page_merges_into_the_earliest_selected_event(make_incident, people, client_for):
    incident = make_incident()
    bob = people["bob"]
    later = event_add(incident=incident, by=bob, occurred_at=T0 + timedelta(minutes=3), text="page fired (copy)")
    earlier = event_add(incident=incident, by=bob, occurred_at=T0, text="page fired")
    response = client_for("bob").post(
        f"/incidents/{incident.pk}/timeline/bulk", {"action": "merge", "events": [later.pk, earlier.pk]}
    )
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.merged_into_id == earlier.pk and later.hidden
