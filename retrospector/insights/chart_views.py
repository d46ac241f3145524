"""The insights pages: /insights/ (every insight, by group) and /insights/<name>/ (one, larger), each with the
filters form (GET), a chart drawn by static/app/insights.js from the numbers embedded in the page, the same numbers
as a table (readable without JavaScript), and a CSV link."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from retrospector.insights.cached import insight_table, insight_tables
from retrospector.insights.filter_form import insight_filters_from
from retrospector.insights.metrics import GROUPS, INSIGHTS, csv_text


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("format", None)
    return params.urlencode()


def _groups_with(request, names):
    """The groups, each with the insights of `names` in it, computed for the reader."""
    form, filters = insight_filters_from(user=request.user, params=request.GET)
    tables = insight_tables(user=request.user, names=names, filters=filters)
    groups = [
        {
            "key": key,
            "title": title,
            "description": description,
            "tables": [t for t in tables.values() if t.group == key],
        }
        for key, title, description in GROUPS
    ]
    return form, filters, [g for g in groups if g["tables"]]


@login_required
def insights_overview(request):
    form, filters, groups = _groups_with(request, list(INSIGHTS))
    return render(
        request,
        "insights/overview.html",
        {"form": form, "filters": filters, "groups": groups, "querystring": _querystring(request)},
    )


@login_required
def insight_page(request, name: str):
    if name not in INSIGHTS:
        raise Http404("No such insight.")
    form, filters = insight_filters_from(user=request.user, params=request.GET)
    table = insight_table(user=request.user, name=name, filters=filters)
    if request.GET.get("format") == "csv":
        response = HttpResponse(csv_text(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{filters.since}-{filters.until}.csv"'
        return response
    return render(
        request,
        "insights/insight.html",
        {
            "form": form,
            "filters": filters,
            "table": table,
            "querystring": _querystring(request),
            "others": [(key, title) for key, (_, title, _) in INSIGHTS.items() if key != name],
        },
    )
