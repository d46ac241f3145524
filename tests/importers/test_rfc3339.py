"""parse_rfc3339 leans on datetime.fromisoformat (3.11 takes "Z" and cuts nanoseconds itself). No Django.

The property test compares it with the hand-normalising version it replaced, kept here as the reference.
"""

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from retrospector.importers.base import parse_rfc3339

pytestmark = pytest.mark.no_database


def parse_rfc3339_before(text):
    """The version before fromisoformat was trusted with "Z" and nanoseconds (verbatim)."""
    if not isinstance(text, str) or len(text) > 64:
        raise ValueError("not a time")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, _, rest = value.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        value = f"{head}.{digits[:6].ljust(6, '0')}{rest}" if digits else head + rest
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("has no time zone")
    return moment


def outcome(parse, text):
    try:
        moment = parse(text)
    except ValueError:
        return None
    return moment, moment.utcoffset()


# What only the old version accepted: texts whose first "." has fewer than 6 digits and then something CPython 3.11
# lets through only after the old padding to 6 digits ("10:00:00.5 Z", "10:00:00.5xZ", "10:00:00. Z"). Not RFC 3339,
# now refused; well-formed short fractions ("10:00:00.5Z") read as before (test_it_reads_every_rfc3339_time_as_before).
SHORT_FRACTION = re.compile(r"[^.]*\.[0-9]{0,5}(?![0-9])")

DATES = st.sampled_from(
    ["2024-05-01", "20240501", "2024-W18-3", "2024-W18", "2024-122", "2024-02-30", "0001-01-01", "9999-12-31"]
)
TIMES = st.sampled_from(["", "10", "10:00", "10:00:00", "100000", "1000", "23:59:60", "24:00:00", "7:00"])
DIGITS = st.text("0123456789", min_size=1, max_size=60)  # nanoseconds and more, up to past the 64-character limit
FRACTIONS = st.one_of(st.sampled_from(["", ".", ","]), st.tuples(st.sampled_from(".,"), DIGITS).map("".join))
JUNK = st.sampled_from(["", "", "", " ", "  ", "x", ".2", "\u3000", "٣"])
ZONES = st.sampled_from(
    [
        "",
        "Z",
        "z",
        "+01:00",
        "+0100",
        "+01",
        "-23:59",
        "+24:00",
        "+01:00:30",
        "+01:00:30.1234567",
        "+00:00",
        " Z",
        " +01:00",
        "UTC",
        "Zz",
        "zZ",
    ]
)
ANY_CHARACTER = st.one_of(st.characters(), st.characters(categories=["Cs"]))  # st.text() leaves out lone surrogates
SPACE = st.sampled_from(["", " ", "\t", "\n "])
SEPARATORS = st.sampled_from(["T", "t", " ", "", "_"])
TIMESTAMPS = st.tuples(SPACE, DATES, SEPARATORS, TIMES, FRACTIONS, JUNK, ZONES, SPACE).map("".join)


@settings(max_examples=500, suppress_health_check=list(HealthCheck), deadline=None, database=None)
@given(
    st.one_of(
        TIMESTAMPS,
        st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=70),
        st.text("0123456789-:T.,Zz+ W", max_size=40),
    )
)
@example("2024-05-01T10:00:00.123456789z")
@example("2024-05-01T10:00:00.5 Z")
@example(" 2024-W18-3T10:00:00Z ")
@example("2024-05-01T10:00:00." + "1" * 43 + "Z")  # 64 characters: still read
@example("2024-05-01T10:00:00." + "1" * 44 + "Z")  # 65: refused before parsing
def test_it_accepts_nothing_new_and_refuses_only_junk_after_a_short_fraction(text):
    before, after = outcome(parse_rfc3339_before, text), outcome(parse_rfc3339, text)
    if after is not None:
        assert after == before
    elif before is not None:
        assert SHORT_FRACTION.match(text.strip()), text


ZONE_TEXTS = st.sampled_from(["Z", "z", "+00:00", "-00:00", "+05:30", "-23:59", "+14:00"])


@settings(max_examples=500, suppress_health_check=list(HealthCheck), deadline=None, database=None)
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(0, 9),
    st.text("0123456789", min_size=9, max_size=9),
    st.sampled_from("Tt "),
    ZONE_TEXTS,
    SPACE,
)
def test_it_reads_every_rfc3339_time_as_before(moment, digits, nanos, separator, zone, space):
    fraction = "." + nanos[:digits] if digits else ""
    text = f"{space}{moment.isoformat(separator, 'seconds')}{fraction}{zone}{space}"
    parsed = parse_rfc3339(text)
    assert outcome(parse_rfc3339, text) == outcome(parse_rfc3339_before, text)
    assert parsed.microsecond == int(nanos[: min(digits, 6)].ljust(6, "0"))


PLUS_2, MINUS_5_30 = timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    "text, moment",
    [
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01t10:00:00z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01 10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        (" 2021-06-04T13:35:29.781Z\n", datetime(2021, 6, 4, 13, 35, 29, 781000, tzinfo=UTC)),
        ("2024-05-01T10:00:00.123456789+02:00", datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=PLUS_2)),
        ("2024-05-01T10:00:00.999999999-05:30", datetime(2024, 5, 1, 10, 0, 0, 999999, tzinfo=MINUS_5_30)),
        # ISO 8601 forms that are not RFC 3339 but carry a zone, accepted before and still: week dates, basic format,
        # no seconds.
        ("2024-W18-3T10:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("20240501T100000Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00+0200", datetime(2024, 5, 1, 10, tzinfo=PLUS_2)),
    ],
)
def test_it_reads_rfc3339_times_with_their_offset(text, moment):
    parsed = parse_rfc3339(text)
    assert parsed == moment and parsed.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01",  # date only (fromisoformat takes it, without a zone)
        "2024-W18-3",  # week date only
        "2024-05-01T10:00:00",  # no zone
        "2024-05-01T10:00:00.123456789",
        "2024-05-01T24:00:00Z",
        "2024-05-01T10:00:00 UTC",
        "2024-05-01T10:00:00.5 Z",  # junk between fraction and zone
        "2024-05-01T10:00:00." + "1" * 44 + "Z",  # over 64 characters
        "",
        "yesterday",
        None,
        1714557600,
    ],
)
def test_it_rejects_what_is_not_a_time_with_a_zone(text):
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_it_says_a_missing_zone_is_about_the_zone():
    # The API turns this message into an error on the `tz` field: keep "zone" in it.
    with pytest.raises(ValueError, match="has no time zone"):
        parse_rfc3339("2024-05-01T10:00:00")
