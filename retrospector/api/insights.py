"""Insights: GET /api/v1/insights/{name}, the numbers behind a chart of /insights/ (the same cached tables and the same
filters form as the pages), as JSON or, with ?format=csv, as CSV. Only incidents the caller may see are counted."""

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import BaseModel

from retrospector.insights.cached import insight_table
from retrospector.insights.filter_form import insight_filters_from
from retrospector.insights.metrics import INSIGHTS, csv_text

from .contract import responses

router = Router(tags=["insights"])


class InsightQuery(Schema):
    since: str = Field(
        "",
        max_length=10,
        description="YYYY-MM-DD: incidents started on or after this day (UTC). "
        "Default: the first day of the month a year ago.",
    )
    until: str = Field(
        "", max_length=10, description="YYYY-MM-DD: incidents started on or before this day (UTC). Default: today."
    )
    team: str = Field("", max_length=100, description="A team's short name (slug).")
    service: str = Field("", max_length=200, description="A service's name.")
    severity: str = Field("", max_length=20, description="A severity's key, e.g. SEV1.")
    format: Literal["json", "csv"] = Field("json", description="csv: the same table as CSV (text/csv).")


class ColumnOut(BaseModel):
    key: str
    label: str
    unit: str = Field(..., description='"hours", "%", or empty for counts and names.')


class InsightOut(BaseModel):
    name: str
    title: str
    group: str = Field(..., description="incidents, learning or process.")
    description: str
    note: str
    bucket: str | None = Field(..., description="month or week for a table over time; null for one by category.")
    since: str
    until: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(..., description="One object per row, keyed by the columns' keys.")


@router.get(
    "/insights/{name}",
    response=responses(200, InsightOut, errors=(404, 422)),
    summary="The numbers of one insight (a chart of /insights/)",
    description="Names: " + ", ".join(INSIGHTS) + ". Medians and 90th percentiles, never means; times in hours. "
    "A filter naming nothing of your organization, or a date that is not YYYY-MM-DD, answers 422 naming the field.",
    # With format=csv the same 200 is text/csv: stated in the document beside the JSON.
    openapi_extra={
        "responses": {
            200: {
                "description": "OK",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/InsightOut"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def insight_numbers(request, name: str, query: Query[InsightQuery]):
    if name not in INSIGHTS:
        raise Http404(f"No insight is named {name!r}. The names are: {', '.join(INSIGHTS)}.")
    params = query.dict()
    form, filters = insight_filters_from(user=request.user, params=params)
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    table = insight_table(user=request.user, name=name, filters=filters)
    if query.format == "csv":
        response = HttpResponse(csv_text(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{filters.since}-{filters.until}.csv"'
        return response
    data = table.as_data(filters)
    data["since"], data["until"] = str(filters.since), str(filters.until)
    data["rows"] = [{k: (str(v) if hasattr(v, "isoformat") else v) for k, v in row.items()} for row in data["rows"]]
    return data
