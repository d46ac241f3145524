"""The API's JSON is written by orjson (OrjsonRenderer): it must say what ninja's own encoder says, value for value,
times included (to the millisecond, "Z" for UTC), and fall back to that encoder for what orjson refuses."""

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

import pytest
from django.utils.translation import gettext_lazy
from ninja.responses import NinjaJSONEncoder

from retrospector.api.rendering import OrjsonRenderer
from retrospector.incidents.models import Incident


class Colour(StrEnum):  # the API's enums are text (StrEnum, TextChoices); a plain Enum would be written by its value
    RED = "red"


def ours(data) -> str:
    return OrjsonRenderer().render(None, data, response_status=200).decode()


def ninjas(data) -> str:
    return json.dumps(data, cls=NinjaJSONEncoder)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 5, 4, 14, 0, tzinfo=UTC),
        datetime(2026, 5, 4, 14, 0, 7, 123456, tzinfo=UTC),
        datetime(2026, 5, 4, 14, 0, 7, 999, tzinfo=UTC),
        datetime(2026, 5, 4, 16, 30, tzinfo=timezone(timedelta(hours=2, minutes=30))),
        datetime(2026, 5, 4, 9, 0, 0, 500000, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 5, 4, 14, 0),  # naive
        datetime(1, 1, 1, tzinfo=UTC),
        date(2026, 5, 4),
        time(14, 0, 7, 250000),
        Decimal("12.50"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        gettext_lazy("Lazy text"),
        Colour.RED,
        Incident.Status.MITIGATED,
        timedelta(minutes=90),
        "naïve “quotes” and 🙂 and \u2028",
        "",
        2**63 - 1,
        -(2**63),
        1.5,
        None,
        True,
    ],
    ids=repr,
)
def test_it_writes_each_value_as_ninja_does(value):
    data = {"value": value, "list": [value], "nested": {"deeper": [{"value": value}]}}
    assert json.loads(ours(data)) == json.loads(ninjas(data))


def test_it_writes_what_orjson_refuses_with_the_standard_encoder():
    for data in ({"big": 2**70}, {"half a character": "a\ud800b"}):
        assert ours(data) == ninjas(data)


def test_it_writes_non_string_keys_as_json_does():
    data = {7: "seven", 2.5: "two and a half", True: "yes", None: "nothing"}
    assert json.loads(ours(data)) == json.loads(ninjas(data))


def test_the_api_answers_utf8_json_with_times_as_before(make_incident, client_for):
    make_incident(title="Café “outage”", started_at=datetime(2026, 5, 4, 14, 0, 7, 123456, tzinfo=UTC))
    response = client_for("bob").get("/api/v1/incidents")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "Café “outage”".encode() in response.content
    assert b'"started_at":"2026-05-04T14:00:07.123Z"' in response.content
