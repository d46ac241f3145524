"""The organization's standard process page (its versions, the form for a new one) and the onboarding view."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render

from retrospector.accounts.selectors import teams_visible_to
from retrospector.core.forms import add_service_errors
from retrospector.writeups.models import Template

from .forms import OrgProcessForm
from .org_process import PROCESS_VERSION_FORBIDDEN, onboarding, process_version_create, process_versions
from .survey import survey_results


@login_required
def org_process(request):
    """Everyone of the organization reads its standard process and its history; organization admins change it."""
    organization = request.user.organization
    if organization is None:
        raise PermissionDenied("You belong to no organization.")
    versions = process_versions(organization)
    current = versions[0] if versions else None
    can_change = request.user.is_org_admin
    templates = Template.objects.filter(Q(organization__isnull=True) | Q(organization=organization)).order_by("name")
    form = OrgProcessForm(
        request.POST or None,
        severities=organization.severity_levels.order_by("rank"),
        templates=templates,
        version=current,
    )
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(PROCESS_VERSION_FORBIDDEN)
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = process_version_create(
                    organization=organization,
                    by=request.user,
                    reason=data["reason"],
                    severities_requiring=data["severities_requiring"],
                    offsets=form.offsets(),
                    required_template=data["required_template"],
                    approvers=data["approvers"],
                    teams_may_lead_own=data["teams_may_lead_own"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Version {version.number} of the process is in force; its people were told.")
                return redirect("org_process")
        status = 422
    return render(
        request,
        "reviews/org_process.html",
        {
            "organization": organization,
            "versions": versions,
            "current": current,
            "form": form,
            "can_change": can_change,
            "survey_results": survey_results(organization=organization, viewer=request.user),
        },
        status=status,
    )


@login_required
def process_onboarding(request):
    """Who has seen (shadowed), done (owned) and taught (coached) a finished retrospective: the whole organization,
    or one team (?team=slug, among the teams the reader may see)."""
    organization = request.user.organization
    if organization is None:
        raise PermissionDenied("You belong to no organization.")
    teams = list(teams_visible_to(request.user).order_by("name"))
    team = next((t for t in teams if t.slug == request.GET.get("team")), None)
    rows = onboarding(organization, viewer=request.user, team=team)
    totals = {
        "seen": sum(1 for r in rows if r.seen),
        "done": sum(1 for r in rows if r.done),
        "taught": sum(1 for r in rows if r.taught),
    }
    return render(
        request,
        "reviews/process_onboarding.html",
        {"rows": rows, "teams": teams, "team": team, "totals": totals, "organization": organization},
    )
