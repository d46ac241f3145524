"""incident_update writes the fields it changes, never timeline_version (the timeline's services move it forward in
the database): a save cannot put back an older number."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.incidents.models import Incident
from retrospector.incidents.services import incident_update


def test_an_update_writes_what_changed_and_never_the_timeline_version(make_incident, people):
    incident = make_incident()
    read_before = Incident.objects.get(pk=incident.pk)
    Incident.objects.filter(pk=incident.pk).update(timeline_version=7)  # as a timeline change would, meanwhile
    with CaptureQueriesContext(connection) as queries:
        updated = incident_update(
            incident=read_before, by=people["bob"], title="Checkout errors in the EU", status="mitigated"
        )
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1 and "timeline_version" not in writes[0] and "summary" not in writes[0]
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.status, stored.version, stored.timeline_version) == (
        "Checkout errors in the EU",
        "mitigated",
        updated.version,
        7,
    )
