"""An import that adds nothing (every event already on the timeline, or none read) is not offered, and is refused if
asked for anyway, on the page, in the API and on the command line: no empty import is recorded with an Undo."""

from pathlib import Path

from retrospector.timeline.models import ImportRecord, PendingImport, TimelineEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIRING = FIXTURES / "alertmanager" / "alertmanager-bot" / "firing.json"


def page_preview(client, incident, **options):
    with FIRING.open("rb") as upload:
        return client.post(
            f"/incidents/{incident.pk}/timeline/import", {"source": "alertmanager", "file": upload, **options}
        )


def confirm(client, incident, pending):
    return client.post(f"/incidents/{incident.pk}/timeline/import", {"confirm": "1", "pending": pending.pk})


def test_a_re_import_previews_nothing_new_and_offers_no_import_button(make_incident, client_for):
    incident = make_incident()
    client = client_for("bob")
    confirm(client, incident, page_preview(client, incident).context["pending"])
    count = TimelineEvent.objects.filter(incident=incident).count()
    assert count > 0

    again = page_preview(client, incident)
    page = again.content.decode()
    assert f"Preview: {count} event" in page and "0 new" in page
    assert "Nothing to import:" in page and "already on the timeline" in page
    assert 'name="confirm"' not in page and "Import 0 events" not in page
    assert f'href="/incidents/{incident.pk}/timeline/"' in page and "Back to the timeline" in page


def test_confirming_an_import_that_adds_nothing_anyway_is_refused_and_creates_nothing(make_incident, client_for):
    incident = make_incident()
    client = client_for("bob")
    confirm(client, incident, page_preview(client, incident).context["pending"])
    stale = page_preview(client, incident).context["pending"]

    refused = confirm(client, incident, stale)
    assert refused.status_code == 302 and refused["Location"] == f"/incidents/{incident.pk}/timeline/"
    assert ImportRecord.objects.filter(incident=incident).count() == 1
    assert not PendingImport.objects.filter(pk=stale.pk).exists()  # the useless upload is dropped
    timeline = client.get(refused["Location"]).content.decode()
    assert "Nothing was imported: Nothing new in firing.json" in timeline


def test_a_file_with_no_event_in_the_times_asked_for_offers_nothing_to_import(make_incident, client_for):
    incident = make_incident()
    client = client_for("bob")
    empty = page_preview(client, incident, since="1999-01-01T00:00", until="1999-01-02T00:00")
    page = empty.content.decode()
    assert "Preview: 0 events" in page and "Nothing to import: no events were read" in page
    assert 'name="confirm"' not in page
    assert confirm(client, incident, empty.context["pending"]).status_code == 302
    assert not ImportRecord.objects.filter(incident=incident).exists()


def test_the_api_answers_200_without_an_import_when_nothing_is_new(make_incident, client_for):
    incident = make_incident()
    client = client_for("bob")
    url = f"/api/v1/incidents/{incident.pk}/timeline/imports"
    with FIRING.open("rb") as upload:
        first = client.post(url, {"source": "alertmanager", "file": upload})
    assert first.status_code == 201 and first.json()["added"] > 0
    with FIRING.open("rb") as upload:
        again = client.post(url, {"source": "alertmanager", "file": upload})
    assert again.status_code == 200
    body = again.json()
    assert body["import_id"] is None and body["added"] == 0
    assert body["skipped_existing"] == body["count"] == first.json()["added"]
    assert ImportRecord.objects.filter(incident=incident).count() == 1
