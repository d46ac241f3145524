"""Insights: aggregates over the incidents a reader may see, computed by the database (GROUP BY, and medians and 90th
percentiles through percentiles.py, never means), each returned as a table (columns and rows) that
the page draws as a chart and shows as a table, the API answers as JSON and the CSV export writes.

Every insight starts from incidents_visible_to(reader) (or the retrospectives / recommendations visible to them), so
a private incident of another team never changes a count, a median, a chart or a CSV row. Filters: a date range on the
incident's start (default: the last 12 months), a team, a service, a severity. Rows are bucketed by month, or by week
when the range is at most 92 days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower, Trim

from retrospector.accounts.models import User
from retrospector.actions.models import Finding, Recommendation, RecommendationLink
from retrospector.actions.selectors import recommendations_visible_to, today_utc
from retrospector.actions.tracking import priority_targets
from retrospector.incidents.models import Incident, SeverityLevel
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.insights.percentiles import (
    DaysBetween,
    PeriodStart,
    Seconds,
    groups_with_percentiles,
    percentiles_by_group_of,
)
from retrospector.reviews.models import Deadline, Step, SurveyResponse
from retrospector.writeups.models import Retrospective, StateChange

WEEKLY_UP_TO_DAYS = 92
HOUR = 3600.0


@dataclass(frozen=True)
class InsightFilters:
    since: dt.date
    until: dt.date
    team: int | None = None  # ids, looked up by the form from the names people write
    service: int | None = None
    severity: int | None = None

    @property
    def bucket(self) -> str:
        return "week" if (self.until - self.since).days <= WEEKLY_UP_TO_DAYS else "month"

    def key(self) -> str:
        return f"{self.since}:{self.until}:{self.team}:{self.service}:{self.severity}"


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 12 months: from the first day of the month 11 months before this one, to today."""
    today = today or today_utc()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1), today


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str = ""  # "hours", "%", or "" for counts and names


@dataclass
class Table:
    """One insight's numbers. The first column is the x axis (a period or a category); `chart` lists the columns drawn
    (as lines over periods, or as bars over categories)."""

    name: str
    title: str
    group: str
    description: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    chart: list[str] = field(default_factory=list)
    over_time: bool = True
    note: str = ""
    bucket: str = "month"  # of an over-time table: "month" or "week"

    def display_rows(self) -> list[list[str]]:
        """The rows as the table shows them: a period as its month ("Mar 2026") or week, no value as a dash."""
        return [[_display(cell, self.bucket) for cell in row] for row in self.rows]

    def chart_data(self) -> dict:
        """What static/app/insights.js draws: the x labels and one list of numbers per charted column."""
        keys = [c.key for c in self.columns]
        return {
            "title": self.title,
            "kind": "line" if self.over_time else "bar",
            "x_label": self.columns[0].label,
            "x": [_display(row[0], self.bucket) for row in self.rows],
            "series": [
                {
                    "label": self.columns[keys.index(k)].label,
                    "unit": self.columns[keys.index(k)].unit,
                    "values": [row[keys.index(k)] for row in self.rows],
                }
                for k in self.chart
            ],
        }

    def as_data(self, filters: InsightFilters) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "group": self.group,
            "description": self.description,
            "note": self.note,
            "bucket": filters.bucket if self.over_time else None,
            "since": filters.since,
            "until": filters.until,
            "columns": [{"key": c.key, "label": c.label, "unit": c.unit} for c in self.columns],
            "rows": [dict(zip((c.key for c in self.columns), row, strict=True)) for row in self.rows],
        }


def _display(cell, bucket: str) -> str:
    if cell is None:
        return "—"
    if isinstance(cell, dt.date):
        return f"week of {cell:%d %b %Y}" if bucket == "week" else cell.strftime("%b %Y")
    if isinstance(cell, float):
        return f"{cell:,.1f}"
    return str(cell)


# --- Building blocks ------------------------------------------------------------------------------------------------


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def incidents_for(user: User, filters: InsightFilters) -> QuerySet[Incident]:
    """The incidents `user` may see that the filters select (started within the range)."""
    rows = incidents_visible_to(user).filter(
        started_at__gte=_start(filters.since), started_at__lt=_start(filters.until + dt.timedelta(days=1))
    )
    if filters.team is not None:
        rows = rows.filter(team_id=filters.team)
    if filters.severity is not None:
        rows = rows.filter(severity_id=filters.severity)
    if filters.service is not None:
        rows = rows.filter(
            Exists(Incident.services.through.objects.filter(incident_id=OuterRef("pk"), service_id=filters.service))
        )
    return rows


def _in_incidents(incidents: QuerySet[Incident], path: str = "incident_id"):
    return Exists(incidents.filter(pk=OuterRef(path)))


def _truncate(filters: InsightFilters, path: str = "started_at"):
    return PeriodStart(path, unit=filters.bucket)


def _as_day(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def periods(filters: InsightFilters) -> list[dt.date]:
    """Every bucket's first day in the range, so an empty month shows as a zero instead of vanishing."""
    out = []
    if filters.bucket == "week":
        day = filters.since - dt.timedelta(days=filters.since.weekday())
        while day <= filters.until:
            out.append(day)
            day += dt.timedelta(days=7)
        return out
    day = filters.since.replace(day=1)
    while day <= filters.until:
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 2)


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# --- Incidents ------------------------------------------------------------------------------------------------------

MILESTONES = [
    ("detect", "detected_at", "detect"),
    ("acknowledge", "acknowledged_at", "acknowledge"),
    ("mitigate", "mitigated_at", "mitigate"),
    ("resolve", "resolved_at", "resolve"),
]


def incident_count(user: User, filters: InsightFilters) -> Table:
    severities = list(SeverityLevel.objects.filter(organization_id=user.organization_id).values_list("pk", "key"))
    counts = (
        incidents_for(user, filters)
        .annotate(period=_truncate(filters))
        .values("period", "severity_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by = {(_as_day(r["period"]), r["severity_id"]): r["n"] for r in counts}
    columns = [
        Column("period", "Period"),
        *(Column(f"sev_{pk}", key) for pk, key in severities),
        Column("total", "All"),
    ]
    rows = []
    for period in periods(filters):
        numbers = [by.get((period, pk), 0) for pk, _ in severities]
        rows.append([period, *numbers, sum(numbers)])
    return Table(
        name="incident-count",
        title="Incidents over time",
        group="incidents",
        description="How many incidents started in each period, by severity.",
        columns=columns,
        rows=rows,
        chart=[c.key for c in columns[1:]],
        bucket=filters.bucket,
    )


def response_times(user: User, filters: InsightFilters) -> Table:
    incidents = incidents_for(user, filters).annotate(
        period=_truncate(filters), **{f"to_{key}": Seconds(moment, "started_at") for key, moment, _ in MILESTONES}
    )
    found = percentiles_by_group_of(incidents, group="period", values=[f"to_{key}" for key, _, _ in MILESTONES])
    spreads = {key: {_as_day(p): s for p, s in found[f"to_{key}"].items()} for key, _, _ in MILESTONES}
    columns = [Column("period", "Period"), Column("incidents", "Incidents resolved")]
    for key, _, verb in MILESTONES:
        columns.append(Column(f"{key}_median", f"Median time to {verb}", "hours"))
        columns.append(Column(f"{key}_p90", f"90th percentile time to {verb}", "hours"))
    table_rows = []
    for period in periods(filters):
        row = [period, spreads["resolve"][period].count if period in spreads["resolve"] else 0]
        for key, _, _ in MILESTONES:
            spread = spreads[key].get(period)
            row += [_hours(spread.values[0.5]), _hours(spread.values[0.9])] if spread else [None, None]
        table_rows.append(row)
    return Table(
        name="response-times",
        title="Time to detect, acknowledge, mitigate and resolve",
        group="incidents",
        description="From an incident's start to each milestone, in hours: the median (half took longer) and the 90th "
        "percentile (one in ten took longer), by the period the incident started in. Incidents without the "
        "milestone are left out of its figures.",
        columns=columns,
        rows=table_rows,
        chart=[f"{key}_median" for key, _, _ in MILESTONES] + ["resolve_p90"],
        bucket=filters.bucket,
    )


def _by_category(
    user: User, filters: InsightFilters, *, name: str, title: str, label: str, path: str, shown: str | None = None
) -> Table:
    """Incidents, and the median and 90th percentile time to resolve, per team / severity / service: grouped by
    `path`, shown as `shown` when that is given (a key with a name unique in the organization, so grouping by the
    key, an integer, instead of by the text gives the same groups without joining and sorting the text)."""
    incidents = incidents_for(user, filters)
    rows = incidents.annotate(category=F(path), seconds=Seconds("resolved_at", "started_at"))
    if path == "services":
        # From the incidents (their range read through the index) to their services: one row per incident and
        # service (a pair is linked once), without looking each link's incident up again to check it is visible.
        rows = rows.filter(category__isnull=False)
    # The count, the name and the percentiles of each group in one query, reading the rows once.
    groups = groups_with_percentiles(rows, group="category", value="seconds", shown=shown)
    names = {category: g.shown for category, g in groups.items()}
    ordered = sorted(((c, g.rows) for c, g in groups.items()), key=lambda item: (-item[1], str(names[item[0]])))
    table_rows = []
    for category, n in ordered:
        spread = groups[category].spread
        table_rows.append(
            [
                names[category],
                n,
                _hours(spread.values[0.5]) if spread else None,
                _hours(spread.values[0.9]) if spread else None,
            ]
        )
    return Table(
        name=name,
        title=title,
        group="incidents",
        description=f"Incidents per {label.lower()} in the range, and how long they took to resolve (median and 90th "
        "percentile, in hours).",
        columns=[
            Column("category", label),
            Column("incidents", "Incidents"),
            Column("resolve_median", "Median time to resolve", "hours"),
            Column("resolve_p90", "90th percentile time to resolve", "hours"),
        ],
        rows=table_rows,
        chart=["incidents"],
        over_time=False,
    )


def incidents_by_team(user, filters):
    return _by_category(user, filters, name="by-team", title="Incidents by team", label="Team", path="team__name")


def incidents_by_service(user, filters):
    return _by_category(
        user,
        filters,
        name="by-service",
        title="Incidents by service",
        label="Service",
        path="services",
        shown="services__name",
    )


def incidents_by_severity(user, filters):
    return _by_category(
        user,
        filters,
        name="by-severity",
        title="Incidents by severity",
        label="Severity",
        path="severity",
        shown="severity__key",
    )


# --- Learning -------------------------------------------------------------------------------------------------------

TOP = 20


def contributing_factors(user: User, filters: InsightFilters) -> Table:
    incidents = incidents_for(user, filters)
    rows = (
        Finding.objects.filter(kind=Finding.Kind.CONTRIBUTING_FACTOR)
        .filter(_in_incidents(incidents, "retrospective__incident_id"))
        .annotate(factor=Lower(Trim("text")))
        .values("factor")
        .annotate(incidents=Count("retrospective__incident_id", distinct=True))
        .order_by("-incidents", "factor")[:TOP]
    )
    return Table(
        name="contributing-factors",
        title="Recurring contributing factors",
        group="learning",
        description="The contributing factors named most often in the write-ups of these incidents, with the number of "
        "incidents naming each.",
        note="Factors are grouped when their text is the same once case and surrounding spaces are ignored; "
        f"the {TOP} most frequent are shown.",
        columns=[Column("factor", "Contributing factor"), Column("incidents", "Incidents")],
        rows=[[r["factor"], r["incidents"]] for r in rows],
        chart=["incidents"],
        over_time=False,
    )


def recurring_services(user: User, filters: InsightFilters) -> Table:
    incidents = incidents_for(user, filters)
    # From the incidents to their services (as by-service), grouped by the service's id: a pair is linked once, so
    # each incident counts once per service.
    rows = (
        incidents.annotate(service=F("services"))
        .filter(service__isnull=False)
        .values("service")
        .annotate(
            name=Min("services__name"),
            incidents=Count("pk"),
            months=Count(PeriodStart("started_at"), distinct=True),
        )
        .filter(incidents__gte=2)
        .order_by("-incidents", "name")[:TOP]
    )
    return Table(
        name="recurring-services",
        title="Recurring services",
        group="learning",
        description="Services involved in two incidents or more in the range, with the number of months they came "
        "up in.",
        columns=[Column("service", "Service"), Column("incidents", "Incidents"), Column("months", "Months")],
        rows=[[r["name"], r["incidents"], r["months"]] for r in rows],
        chart=["incidents"],
        over_time=False,
    )


def recommendations_for(user: User, filters: InsightFilters) -> QuerySet[Recommendation]:
    """Recommendations `user` may see (merged-away ones left out) of the team filter; with a service or severity
    filter, those called for by an incident matching it."""
    rows = recommendations_visible_to(user).filter(merged_into__isnull=True)
    if filters.team is not None:
        rows = rows.filter(team_id=filters.team)
    if filters.service is not None or filters.severity is not None:
        matching = incidents_for(
            user, InsightFilters(dt.date(1, 1, 1), dt.date(9999, 12, 30), None, filters.service, filters.severity)
        )
        rows = rows.filter(
            Exists(
                RecommendationLink.objects.filter(recommendation_id=OuterRef("pk")).filter(
                    _in_incidents(matching, "retrospective__incident_id")
                )
            )
        )
    return rows


def recommendations_by_status(user: User, filters: InsightFilters) -> Table:
    rows = (
        recommendations_for(user, filters)
        .filter(created_at__gte=_start(filters.since), created_at__lt=_start(filters.until + dt.timedelta(days=1)))
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {r["status"]: r["n"] for r in rows}
    return Table(
        name="recommendations-by-status",
        title="Recommendations by status",
        group="learning",
        description="The recommendations made in the range, by where they stand now.",
        columns=[Column("status", "Status"), Column("recommendations", "Recommendations")],
        rows=[[label, counts.get(value, 0)] for value, label in Recommendation.Status.choices],
        chart=["recommendations"],
        over_time=False,
    )


def completion_within_target(user: User, filters: InsightFilters) -> Table:
    targets = [t for t in priority_targets(user.organization_id) if t.days is not None]
    rows = (
        recommendations_for(user, filters)
        .filter(
            status=Recommendation.Status.DONE,
            closed_at__gte=_start(filters.since),
            closed_at__lt=_start(filters.until + dt.timedelta(days=1)),
        )
        .annotate(days_open=DaysBetween("closed_at", "created_at"))
    )
    within = Q(pk__in=[])
    for target in targets:
        within |= Q(priority=target.name, days_open__lte=target.days)
    counts = {
        r["priority"]: r
        for r in rows.values("priority").annotate(done=Count("pk"), within=Count("pk", filter=within)).order_by()
    }
    table_rows = []
    for target in targets:
        done = counts.get(target.name, {}).get("done", 0)
        on_time = counts.get(target.name, {}).get("within", 0)
        table_rows.append([target.name, target.days, done, on_time, _share(on_time, done)])
    return Table(
        name="completion-within-target",
        title="Recommendations done within their target",
        group="learning",
        description="Of the recommendations done in the range, how many were done within their priority's target "
        "(days from creation to done, set under Settings).",
        columns=[
            Column("priority", "Priority"),
            Column("target_days", "Target (days)"),
            Column("done", "Done"),
            Column("within_target", "Done within target"),
            Column("share", "Share within target", "%"),
        ],
        rows=table_rows,
        chart=["share"],
        over_time=False,
    )


def overdue_by_team(user: User, filters: InsightFilters) -> Table:
    today = today_utc()
    overdue = Q(status__in=Recommendation.OPEN_STATUSES, commitment_date__lt=today)
    rows = (
        recommendations_for(user, filters)
        .filter(status__in=Recommendation.OPEN_STATUSES)
        .values("team__name")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue))
        .order_by("-overdue", "team__name")
    )
    return Table(
        name="overdue-by-team",
        title="Overdue recommendations by team",
        group="learning",
        description="Open recommendations (planned or in progress) of each team today, and how many are past their "
        "commitment date. Not limited by the date range: it is where things stand now.",
        columns=[Column("team", "Team"), Column("open", "Open"), Column("overdue", "Overdue")],
        rows=[[r["team__name"], r["open"], r["overdue"]] for r in rows],
        chart=["open", "overdue"],
        over_time=False,
    )


# --- Process --------------------------------------------------------------------------------------------------------


def retrospective_share(user: User, filters: InsightFilters) -> Table:
    has_one = Exists(Retrospective.objects.filter(incident_id=OuterRef("pk")))
    rows = (
        incidents_for(user, filters)
        .annotate(has_one=has_one)
        .values("severity__key", "severity__rank")
        .annotate(incidents=Count("pk"), with_one=Count("pk", filter=Q(has_one=True)))
        .order_by("severity__rank")
    )
    return Table(
        name="retrospective-share",
        title="Incidents with a retrospective, by severity",
        group="process",
        description="Of the incidents in the range, how many got a retrospective (in any state).",
        columns=[
            Column("severity", "Severity"),
            Column("incidents", "Incidents"),
            Column("with_retrospective", "With a retrospective"),
            Column("share", "Share", "%"),
        ],
        rows=[[r["severity__key"], r["incidents"], r["with_one"], _share(r["with_one"], r["incidents"])] for r in rows],
        chart=["share"],
        over_time=False,
    )


def writeup_times(user: User, filters: InsightFilters) -> Table:
    incidents = incidents_for(user, filters)
    first_review = (
        StateChange.objects.filter(retrospective_id=OuterRef("pk"), to_state=Retrospective.State.IN_REVIEW)
        .values("retrospective_id")
        .annotate(first=Min("at"))
        .values("first")
    )
    retros = Retrospective.objects.filter(_in_incidents(incidents)).annotate(
        period=_truncate(filters, "incident__started_at")
    )
    retros = retros.annotate(
        to_draft=Seconds(Subquery(first_review), "incident__resolved_at"),
        to_done=Seconds("done_at", "incident__resolved_at"),
    )
    found = percentiles_by_group_of(retros, group="period", values=["to_draft", "to_done"])
    draft = {_as_day(k): v for k, v in found["to_draft"].items()}
    done = {_as_day(k): v for k, v in found["to_done"].items()}
    rows = []
    for period in periods(filters):
        d, f = draft.get(period), done.get(period)
        rows.append(
            [
                period,
                _hours(d.values[0.5]) if d else None,
                _hours(d.values[0.9]) if d else None,
                f.count if f else 0,
                _hours(f.values[0.5]) if f else None,
                _hours(f.values[0.9]) if f else None,
            ]
        )
    return Table(
        name="writeup-times",
        title="From resolution to first draft and to done",
        group="process",
        description="Hours from an incident's resolution to its write-up's first draft (the first time it was sent "
        "for review) and to done: median and 90th percentile, by the period the incident started in.",
        columns=[
            Column("period", "Period"),
            Column("draft_median", "Median to first draft", "hours"),
            Column("draft_p90", "90th percentile to first draft", "hours"),
            Column("done", "Write-ups done"),
            Column("done_median", "Median to done", "hours"),
            Column("done_p90", "90th percentile to done", "hours"),
        ],
        rows=rows,
        chart=["draft_median", "done_median"],
        bucket=filters.bucket,
    )


def overdue_reviews(user: User, filters: InsightFilters) -> Table:
    today = today_utc()
    rows = (
        Deadline.objects.filter(
            _in_incidents(incidents_for(user, filters), "retrospective__incident_id"), done_at__isnull=True
        )
        .values("step")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .order_by()
    )
    counts = {r["step"]: r for r in rows}
    return Table(
        name="overdue-reviews",
        title="Overdue review steps",
        group="process",
        description="Review steps not done yet for the write-ups of these incidents, and how many are past their due "
        "date today.",
        columns=[Column("step", "Step"), Column("open", "Not done"), Column("overdue", "Overdue")],
        rows=[
            [label, counts.get(value, {}).get("open", 0), counts.get(value, {}).get("overdue", 0)]
            for value, label in Step.choices
        ],
        chart=["open", "overdue"],
        over_time=False,
    )


def survey_results(user: User, filters: InsightFilters) -> Table:
    answers = SurveyResponse.objects.filter(_in_incidents(incidents_for(user, filters), "retrospective__incident_id"))
    useful = {r["useful"]: r["n"] for r in answers.values("useful").annotate(n=Count("pk")).order_by()}
    fair = {r["fair"]: r["n"] for r in answers.values("fair").annotate(n=Count("pk")).order_by()}
    return Table(
        name="survey-results",
        title="Survey: was the retrospective useful, and fair?",
        group="process",
        description="How participants answered the survey after a retrospective, 1 (not at all) to 5 (very): the "
        "number of answers per score. Answers are never shown with a name.",
        columns=[Column("score", "Score"), Column("useful", "Useful"), Column("fair", "Fair and blameless")],
        rows=[[score, useful.get(score, 0), fair.get(score, 0)] for score in range(1, 6)],
        chart=["useful", "fair"],
        over_time=False,
    )


# --- The registry ---------------------------------------------------------------------------------------------------

GROUPS = [
    ("incidents", "Incidents", "How many, how bad, and how fast they were handled."),
    ("learning", "Learning", "What keeps hurting us, and are we fixing it?"),
    ("process", "Process", "Do incidents get a retrospective, and how the write-ups go."),
]

INSIGHTS: dict[str, tuple[str, str, Callable[[User, InsightFilters], Table]]] = {
    "incident-count": ("incidents", "Incidents over time", incident_count),
    "response-times": ("incidents", "Time to detect, acknowledge, mitigate and resolve", response_times),
    "by-team": ("incidents", "Incidents by team", incidents_by_team),
    "by-service": ("incidents", "Incidents by service", incidents_by_service),
    "by-severity": ("incidents", "Incidents by severity", incidents_by_severity),
    "contributing-factors": ("learning", "Recurring contributing factors", contributing_factors),
    "recurring-services": ("learning", "Recurring services", recurring_services),
    "recommendations-by-status": ("learning", "Recommendations by status", recommendations_by_status),
    "completion-within-target": ("learning", "Recommendations done within their target", completion_within_target),
    "overdue-by-team": ("learning", "Overdue recommendations by team", overdue_by_team),
    "retrospective-share": ("process", "Incidents with a retrospective, by severity", retrospective_share),
    "writeup-times": ("process", "From resolution to first draft and to done", writeup_times),
    "overdue-reviews": ("process", "Overdue review steps", overdue_reviews),
    "survey-results": ("process", "Survey: was the retrospective useful, and fair?", survey_results),
}


def csv_text(table: Table) -> str:
    """The table as CSV: a header of column labels (with the unit), then the rows; every cell through csv_safe so a
    team or factor named "=cmd()" stays text in a spreadsheet."""
    import csv
    import io

    from retrospector.actions.tracking import csv_safe

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(f"{c.label} ({c.unit})" if c.unit else c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return out.getvalue()
