"""Percentiles per group, computed by the database: PostgreSQL's percentile_cont, and on SQLite (which has no
percentile aggregate) the same linear interpolation from window functions. Either way only one row per group comes
back to Python; tests/insights/test_percentiles.py checks both give the same numbers on the same data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import DateField, F, FloatField, Func, QuerySet


class Seconds(Func):
    """Seconds from the second datetime expression to the first (null when either is null). On SQLite, from the
    difference of two Julian days rounded to the millisecond (the doubles carry about 10 microseconds of noise)."""

    output_field = FloatField()
    arity = 2

    def as_sqlite(self, compiler, connection, **extra):
        template = "ROUND((julianday(%(expressions)s)) * 86400.0, 3)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ")

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)


class PeriodStart(Func):
    """The first day (UTC) of the month, or of the week (Monday), a datetime falls in. Native SQL on both databases:
    Django's TruncMonth calls a Python function per row on SQLite (seconds over 100,000 incidents)."""

    output_field = DateField()
    arity = 1

    def __init__(self, expression, *, unit: str = "month", **extra):
        if unit not in ("month", "week"):
            raise ValueError(unit)
        self.unit = unit
        super().__init__(expression, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        if self.unit == "week":
            return self.as_sql(compiler, connection, template="date(%(expressions)s, '-6 days', 'weekday 1')")
        return self.as_sql(compiler, connection, template="strftime('%%%%Y-%%%%m-01', %(expressions)s)")

    def as_postgresql(self, compiler, connection, **extra):
        template = f"(DATE_TRUNC('{self.unit}', %(expressions)s AT TIME ZONE 'UTC'))::date"
        return self.as_sql(compiler, connection, template=template)


@dataclass(frozen=True)
class Spread:
    count: int
    values: dict[float, float]  # fraction -> value, e.g. {0.5: median, 0.9: p90}


def percentiles_by_group(
    rows: QuerySet, *, group: str, value: str, fractions: Sequence[float] = (0.5, 0.9)
) -> dict[object, Spread]:
    """{group value: Spread} over the rows of `rows` whose `value` (an annotation or a field) is not null, each
    percentile interpolated linearly between the two nearest values (as percentile_cont does). One query."""
    aliased = rows.annotate(pct_g=F(group), pct_v=F(value)).values_list("pct_g", "pct_v").order_by()
    inner, params = aliased.query.sql_with_params()
    g, v = connection.ops.quote_name("pct_g"), connection.ops.quote_name("pct_v")
    body = f"SELECT t.{g}, t.{v} FROM ({inner}) t WHERE t.{v} IS NOT NULL"
    if connection.vendor == "postgresql":
        parts = ", ".join(f"percentile_cont({float(p)!r}) WITHIN GROUP (ORDER BY {v})" for p in fractions)
        sql = f"SELECT {g}, COUNT(*), {parts} FROM ({body}) s GROUP BY {g}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {
                row[0]: Spread(row[1], {p: float(x) for p, x in zip(fractions, row[2:], strict=True)})
                for row in cursor.fetchall()
            }
    # SQLite: number the values within each group; keep, per fraction, the two values around the position
    # p * (n - 1) (0-based), and interpolate between them here. CAST(... AS INTEGER) is floor for a position >= 0.
    picks = []
    for p in fractions:
        pos = f"({float(p)!r} * (n - 1))"
        low = f"CAST({pos} AS INTEGER)"
        picks.append(f"MAX(CASE WHEN rn - 1 = {low} THEN {v} END)")
        picks.append(f"MAX(CASE WHEN rn - 1 = {low} + ({pos} > {low}) THEN {v} END)")
    numbered = (
        f"SELECT {g}, {v}, ROW_NUMBER() OVER (PARTITION BY {g} ORDER BY {v}) AS rn, "
        f"COUNT(*) OVER (PARTITION BY {g}) AS n FROM ({body}) s"
    )
    sql = f"SELECT {g}, MAX(n), {', '.join(picks)} FROM ({numbered}) w GROUP BY {g}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        result = {}
        for row in cursor.fetchall():
            n, values = row[1], {}
            for i, p in enumerate(fractions):
                low, high = row[2 + 2 * i], row[3 + 2 * i]
                pos = p * (n - 1)
                values[p] = float(low) + (float(high) - float(low)) * (pos - math.floor(pos))
            result[row[0]] = Spread(n, values)
        return result
