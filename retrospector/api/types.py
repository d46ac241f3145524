"""Types the API's schemas share: ids and numbers bounded as the database stores them, and times.

Each bound is declared in /api/openapi.json (minimum, maximum) and checked before any query: an id beyond 64 bits is a
422 naming its field, never a database error."""

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, Strict, ValidationInfo
from pydantic_core import PydanticCustomError

from retrospector.core.untrusted import OUT_OF_RANGE, utc_in_range

# The largest key any of our databases stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def _json_number(value, info: ValidationInfo):
    """In a JSON body (a strict InSchema) an integer is a JSON number: 7 or 7.0, not "7" nor true. In a path or a
    query, where everything is text, "7" is read as 7."""
    if info.config and info.config.get("strict") and isinstance(value, str | bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _integer(**constraints):
    """An integer within `constraints` (ge, le, ...): in a body, a JSON number with no fraction (7.0 is the integer 7,
    as JSON Schema counts it). The bounds come first, so that the document declares them as minimum and maximum."""
    return Annotated[int, Field(**constraints), Strict(False), BeforeValidator(_json_number)]


Integer = _integer()
# A row's id (in a path, a body or a query): 1 to 2^63-1.
Id = _integer(ge=1, le=MAX_ID)
# A page number: 1 to 2^63-1 (a page past the last answers the last).
PageNumber = _integer(ge=1, le=MAX_ID)
# The version a client read (versions start at 1): a stale one gets 409.
Version = _integer(ge=1, le=MAX_ID, description="The version you read; a stale one gets 409.")
# An ISO weekday: 1 (Monday) to 7 (Sunday).
IsoWeekday = _integer(ge=1, le=7)
# A survey's rating: 1 to 5 (1.0 is 1, as for every integer in a body).
Rating = _integer(ge=1, le=5)
# Business days from an incident's resolution (core.workdays.MAX_BUSINESS_DAYS at most).
BusinessDays = _integer(ge=0, le=366)
# How many rows a page of a list holds.
PageSize = _integer(ge=1, le=100)


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _written_as_text(value):
    """A time or a date is written as ISO 8601 text: not a number (which pydantic would read as seconds since 1970)."""
    if isinstance(value, datetime | date):
        return value  # from code, not from a request
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        raise PydanticCustomError("date_time_text", "Write it as ISO 8601 text, e.g. 2026-05-04T14:00:00Z.")
    return value


def _in_range(moment):
    try:
        utc_in_range(moment)
    except ValueError:
        raise PydanticCustomError("time_out_of_range", f"This time {OUT_OF_RANGE}.") from None
    return moment


# A time with its zone that converts to UTC and to every viewer's zone (9999-12-31T23:59:59-23:59 does not: 422).
# Read from text also in a body, which is otherwise strict (InSchema): JSON has no time type.
Instant = Annotated[AwareDatetime, Strict(False), BeforeValidator(_written_as_text), AfterValidator(_in_range)]
# A calendar day, e.g. 2026-05-04.
Day = Annotated[date, Strict(False), BeforeValidator(_written_as_text)]
