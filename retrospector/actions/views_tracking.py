"""The tracking pages: the list of recommendations across incidents (and its CSV), the target breaches, and the
organization's priority targets. Thin: the rules are in actions.tracking."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render

from retrospector.accounts.selectors import teams_visible_to
from retrospector.core.forms import add_service_errors
from retrospector.core.paging import paginate, querystring_without_page
from retrospector.writeups.selectors import retrospectives_visible_to

from .forms_tracking import PriorityTargetsForm, RecommendationFiltersForm
from .tracking import (
    breaches_of,
    csv_rows,
    incident_recommendations,
    priority_targets,
    priority_targets_save,
    recommendation_list,
    target_breaches,
    today_utc,
)


@login_required
def recommendation_list_page(request):
    form = RecommendationFiltersForm(request.GET, user=request.user)
    filters = form.filters()
    page = paginate(request, recommendation_list(user=request.user, filters=filters))
    finished = None
    if filters.retrospective:
        # The retrospective's incident is finished only once all its recommendations are done or dropped with a reason.
        retrospective = (
            retrospectives_visible_to(request.user).select_related("incident").filter(pk=filters.retrospective).first()
        )
        if retrospective is not None:
            state = incident_recommendations(retrospective.incident)
            finished = {
                "retrospective": retrospective,
                "state": state,
                "open": state.counts["planned"] + state.counts["in-progress"],
            }
    querystring = querystring_without_page(request)
    return render(
        request,
        "actions/recommendation_list.html",
        {
            "page": page,
            "form": form,
            "filtered": filters.any,
            "querystring": querystring,
            "finished": finished,
            "today": today_utc(),
        },
    )


class _Echo:
    def write(self, value):
        return value


@login_required
def recommendation_export_csv(request):
    form = RecommendationFiltersForm(request.GET, user=request.user)
    rows = recommendation_list(user=request.user, filters=form.filters())
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in csv_rows(rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="recommendations-{today_utc().isoformat()}.csv"'
    return response


@login_required
def recommendation_breaches(request):
    team = request.GET.get("team", "")
    teams = list(teams_visible_to(request.user))
    if team not in {t.slug for t in teams}:
        team = ""
    today = today_utc()
    page = paginate(request, target_breaches(user=request.user, today=today, team=team))
    page.object_list = breaches_of(page.object_list, organization_id=request.user.organization_id, today=today)
    return render(
        request,
        "actions/recommendation_breaches.html",
        {
            "page": page,
            "teams": teams,
            "team": team,
            "targets": priority_targets(request.user.organization_id) if request.user.organization_id else [],
            "querystring": querystring_without_page(request),
        },
    )


@login_required
def recommendation_targets(request):
    """Everyone sees the targets; organization admins change them."""
    if request.user.organization_id is None:
        raise PermissionDenied("You belong to no organization.")
    may_change = request.user.is_org_admin
    form = PriorityTargetsForm(
        request.POST or None, initial={"targets": PriorityTargetsForm.initial_text(request.user.organization_id)}
    )
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Only an organization admin changes the priorities and their targets.")
        if form.is_valid():
            try:
                priority_targets_save(
                    organization_id=request.user.organization_id, by=request.user, targets=form.cleaned_data["targets"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Priorities and targets saved.")
                return redirect("recommendation_targets")
    return render(
        request,
        "actions/recommendation_targets.html",
        {"form": form, "may_change": may_change, "targets": priority_targets(request.user.organization_id)},
    )


def finished_page_part(*, request, retrospective, sections):
    """On a retrospective's page, beside it: how many of its incident's recommendations are still open, and whether
    the incident is finished (all done, or dropped with a reason). Nothing while it has none."""
    from retrospector.writeups.page_parts import PagePart

    state = incident_recommendations(retrospective.incident)
    if state.total == 0:
        return None
    return PagePart(
        side_template="actions/_finished_side.html",
        context={
            "retrospective": retrospective,
            "state": state,
            "open": state.counts["planned"] + state.counts["in-progress"],
        },
    )
