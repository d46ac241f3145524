"""The API's incident list reads its rows as plain dicts (incident_rows, incident_row_out): a fast path that must
answer exactly what the incidents themselves give (incident_out), on page 1 and on deep pages (the deferred join)."""

from datetime import timedelta

import pytest
from conftest import START

from retrospector.core import paging


@pytest.fixture
def varied_incidents(make_incident):
    """Incidents with and without each key moment, with zero to three services, private and not, in both teams."""
    made = []
    for n in range(14):
        started = START + timedelta(hours=n // 2)  # two by two at the same time: the id breaks the tie
        moments = {
            "detected_at": started + timedelta(minutes=n) if n % 2 else None,
            "acknowledged_at": started + timedelta(minutes=n + 1, seconds=30) if n % 3 == 0 else None,
            "mitigated_at": started + timedelta(hours=1, microseconds=1234) if n % 4 == 1 else None,
            "resolved_at": started + timedelta(days=2, seconds=n) if n % 5 else None,
        }
        if not moments["detected_at"]:
            moments["acknowledged_at"] = moments["mitigated_at"] = moments["resolved_at"] = None
        made.append(
            make_incident(
                team="payments" if n % 3 else "platform",
                by="alice" if n % 3 else "charlie",
                title=f"Incident {n} — naïve “quotes”",
                summary="" if n % 2 else f"Summary {n}\nwith a second line",
                severity=("SEV1", "SEV2", "SEV3")[n % 3],
                visibility="private" if n % 4 == 0 else "organization",
                started_at=started,
                services=[f"svc-{(n + k) % 4}" for k in range(n % 4)],
                **moments,
            )
        )
    return made


@pytest.mark.parametrize("deferred_join_from", [10_000, 1])
@pytest.mark.parametrize("name", ["bob", "charlie", "oscar"])
def test_list_rows_are_the_incidents_as_the_api_reads_them(
    varied_incidents, people, monkeypatch, name, deferred_join_from
):
    from retrospector.api.incidents import incident_out, incident_row_out
    from retrospector.incidents.selectors import incident_list, incident_rows

    monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", deferred_join_from)
    incidents = incident_list(user=people[name])
    expected = [incident_out(incident) for incident in incidents]
    assert len(expected) >= 8
    for start in range(0, len(expected) + 5, 5):
        rows = [incident_row_out(row) for row in incident_rows(incidents, start, start + 5)]
        assert rows == expected[start : start + 5]


def test_the_list_answers_each_incident_as_its_read_does(varied_incidents, client_for):
    client = client_for("oscar")
    listed = client.get("/api/v1/incidents", {"page_size": 100}).json()["results"]
    assert len(listed) == len(varied_incidents)
    for row in listed:
        read = client.get(f"/api/v1/incidents/{row['id']}").json()
        assert row == {key: read[key] for key in row}
