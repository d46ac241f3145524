"""Percentiles per group, computed by the database: PostgreSQL's percentile_cont, and on SQLite (which has no
percentile aggregate) the same linear interpolation from window functions. Either way only one row per group comes
back to Python; tests/insights/test_percentiles.py checks both give the same numbers on the same data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import DateField, F, FloatField, Func, IntegerField, QuerySet


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


class DaysBetween(Func):
    """Whole days (UTC calendar days) from the second datetime expression's day to the first's. Native SQL on both
    databases: comparing TruncDate values shifted by a timedelta calls Python functions per row on SQLite."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(julianday(date(%(expressions)s)) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=")) - julianday(date(")

    def as_postgresql(self, compiler, connection, **extra):
        template = "((%(expressions)s AT TIME ZONE 'UTC')::date)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" AT TIME ZONE 'UTC')::date - (")


@dataclass(frozen=True)
class Spread:
    count: int
    values: dict[float, float]  # fraction -> value, e.g. {0.5: median, 0.9: p90}


def percentiles_by_group(
    rows: QuerySet, *, group: str, value: str, fractions: Sequence[float] = (0.5, 0.9)
) -> dict[object, Spread]:
    """{group value: Spread} over the rows of `rows` whose `value` (an annotation or a field) is not null, each
    percentile interpolated linearly between the two nearest values (as percentile_cont does). One query."""
    return percentiles_by_group_of(rows, group=group, values=[value], fractions=fractions)[value]


def percentiles_by_group_of(
    rows: QuerySet, *, group: str, values: Sequence[str], fractions: Sequence[float] = (0.5, 0.9)
) -> dict[str, dict[object, Spread]]:
    """percentiles_by_group for several values of the same rows at once, reading the rows once:
    {value name: {group value: Spread}}. One query."""
    return _percentiles(rows, group=group, values=values, fractions=fractions)[0]


@dataclass(frozen=True)
class Group:
    rows: int  # every row of the group, with a value or not
    shown: object  # the smallest of the `shown` column over the group (its name, when the group is an id)
    spread: Spread | None  # None when no row of the group has a value


def groups_with_percentiles(
    rows: QuerySet, *, group: str, value: str, shown: str | None = None, fractions: Sequence[float] = (0.5, 0.9)
) -> dict[object, Group]:
    """{group value: Group}: how many rows each group has, the smallest `shown` of it (e.g. a name beside an id), and
    the percentiles of `value` over its rows that have one, in one query reading the rows once (instead of a count by
    group and percentiles_by_group, which read them twice)."""
    spreads, totals = _percentiles(rows, group=group, values=[value], fractions=fractions, shown=shown or group)
    return {g: Group(n, name, spreads[value].get(g)) for g, (n, name) in totals.items()}


def _percentiles(
    rows: QuerySet,
    *,
    group: str,
    values: Sequence[str],
    fractions: Sequence[float] = (0.5, 0.9),
    shown: str | None = None,
) -> tuple[dict[str, dict[object, Spread]], dict[object, tuple[int, object]]]:
    """The percentiles of each value by group and, when `shown` is given, every group's row count and smallest
    `shown`: ({value name: {group: Spread}}, {group: (rows, shown)}). One query."""
    names = {"pct_g": F(group), **{f"pct_v{i}": F(v) for i, v in enumerate(values)}}
    if shown is not None:
        names["pct_s"] = F(shown)
    aliased = rows.annotate(**names).values_list(*names).order_by()
    inner, params = aliased.query.sql_with_params()
    q = connection.ops.quote_name
    g = q("pct_g")
    result: dict[str, dict[object, Spread]] = {v: {} for v in values}
    totals: dict[object, tuple[int, object]] = {}
    if connection.vendor == "postgresql":
        parts = [f"COUNT(*), MIN({q('pct_s')})"] if shown is not None else []
        for i in range(len(values)):
            v = q(f"pct_v{i}")
            parts.append(f"COUNT({v})")
            parts += [f"percentile_cont({float(p)!r}) WITHIN GROUP (ORDER BY {v})" for p in fractions]
        # Materialized: a value computed by a subquery (writeup-times' first draft) is computed once per row, not
        # once for the count and again for each percentile.
        sql = f"WITH s AS MATERIALIZED ({inner}) SELECT {g}, {', '.join(parts)} FROM s GROUP BY {g}"
        width = 1 + len(fractions)
        start = 1 if shown is None else 3
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                if shown is not None:
                    totals[row[0]] = (row[1], row[2])
                for i, name in enumerate(values):
                    count, *numbers = row[start + i * width : start + (i + 1) * width]
                    if count:
                        result[name][row[0]] = Spread(
                            count, {p: float(x) for p, x in zip(fractions, numbers, strict=True)}
                        )
        return result, totals

    # SQLite: the rows once (base, materialized), then per value its own window (one sort each, ROW_NUMBER and the
    # group's count over the same ordering) numbering the values within each group; only the rows at the two
    # positions around p * (n - 1) (0-based) of each fraction are kept before grouping, and interpolated here.
    # CAST(... AS INTEGER) is floor for a position >= 0. (A UNION ALL of every value under one window sorted all the
    # rows three times and grouped them all: about half as fast.)
    def around(p: float) -> tuple[str, str]:
        pos = f"({float(p)!r} * (n - 1))"
        low = f"CAST({pos} AS INTEGER)"
        return pos, low

    window = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    numbered = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {i} AS m, {g} AS g, {q(f'pct_v{i}')} AS v, ROW_NUMBER() OVER w AS rn, "
        f"COUNT(*) OVER (w {window}) AS n FROM base WHERE {q(f'pct_v{i}')} IS NOT NULL "
        f"WINDOW w AS (PARTITION BY {g} ORDER BY {q(f'pct_v{i}')}))"
        for i in range(len(values))
    )
    picks, keep = [], []
    for p in fractions:
        pos, low = around(p)
        picks.append(f"MAX(CASE WHEN rn - 1 = {low} THEN v END)")
        picks.append(f"MAX(CASE WHEN rn - 1 = {low} + ({pos} > {low}) THEN v END)")
        keep += [f"rn - 1 = {low}", f"rn - 1 = {low} + 1"]
    # With `shown`: each group's rows and smallest shown, from the same materialized rows (m = -1).
    totals_sql = (
        f" UNION ALL SELECT -1, {g}, COUNT(*), MIN({q('pct_s')}){', NULL' * (len(picks) - 1)} FROM base GROUP BY {g}"
        if shown is not None
        else ""
    )
    sql = (
        f"WITH base AS MATERIALIZED ({inner}) "
        f"SELECT m, g, MAX(n), {', '.join(picks)} FROM ({numbered}) s WHERE {' OR '.join(keep)} GROUP BY m, g"
        f"{totals_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            if row[0] == -1:
                totals[row[1]] = (row[2], row[3])
                continue
            n, spread = row[2], {}
            for i, p in enumerate(fractions):
                low, high = row[3 + 2 * i], row[4 + 2 * i]
                pos = p * (n - 1)
                spread[p] = float(low) + (float(high) - float(low)) * (pos - math.floor(pos))
            result[values[row[0]]][row[1]] = Spread(n, spread)
    return result, totals
