from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse

from retrospector.core.errors import ConflictError
from retrospector.core.forms import add_service_errors, show_conflict
from retrospector.core.paging import paginate, querystring_without_page

from .forms import IncidentFilterForm, IncidentForm
from .selectors import can_edit_incident, incident_detail_or_404, incident_editable_or_403
from .selectors import incident_list as select_incidents
from .services import incident_create, incident_update


@login_required
def incident_list(request):
    filter_form = IncidentFilterForm(request.GET or None, user=request.user)
    incidents = select_incidents(user=request.user, **filter_form.filters())
    page = paginate(request, incidents)
    template = "incidents/_list_rows.html" if request.headers.get("HX-Request") else "incidents/list.html"
    # A TemplateResponse: the top layer (retrospector.views.incident_list) adds each row's next review step, which
    # this app, below the reviews, cannot read.
    return TemplateResponse(
        request,
        template,
        {"page": page, "filter_form": filter_form, "querystring": querystring_without_page(request)},
    )


@login_required
def incident_detail(request, pk):
    incident = incident_detail_or_404(user=request.user, pk=pk)
    retrospectives = incident.retrospectives.select_related("owner", "template_version__template").order_by(
        "-created_at"
    )
    # A TemplateResponse: the top layer (retrospector.views.incident_detail) adds whether the team's review process
    # asks for a retrospective of it.
    return TemplateResponse(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "retrospectives": retrospectives,
            "can_edit": can_edit_incident(request.user, incident),
        },
    )


@login_required
def incident_new(request):
    form = IncidentForm(request.POST or None, user=request.user)
    if not form.fields["team"].queryset.exists():
        messages.error(request, "You are not a member of any team yet, so you cannot record incidents.")
        return redirect("incident_list")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = incident_create(
                by=request.user,
                team=data["team"],
                title=data["title"],
                severity=data["severity"],
                status=data["status"],
                visibility=data["visibility"],
                summary=data["summary"],
                started_at=data["started_at"],
                detected_at=data["detected_at"],
                acknowledged_at=data["acknowledged_at"],
                mitigated_at=data["mitigated_at"],
                resolved_at=data["resolved_at"],
                services=form.service_names(),
                responders=data["responders"],
                invitees=data["invitees"],
                links=form.links(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("team", str(exc))
        else:
            messages.success(request, "Incident recorded.")
            return redirect("incident_detail", pk=incident.pk)
    return render(request, "incidents/form.html", {"form": form, "incident": None})


@login_required
def incident_edit(request, pk):
    incident = incident_editable_or_403(
        user=request.user, pk=pk, detail=True, forbidden="Only members of the incident's team can change it."
    )
    form = IncidentForm(request.POST or None, instance=incident, user=request.user)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            k: data[k]
            for k in (
                "title",
                "team",
                "severity",
                "status",
                "visibility",
                "summary",
                "started_at",
                "detected_at",
                "acknowledged_at",
                "mitigated_at",
                "resolved_at",
            )
        }
        try:
            incident = incident_update(
                incident=incident,
                by=request.user,
                base_version=data.get("base_version"),
                services=form.service_names(),
                responders=data["responders"],
                invitees=data["invitees"],
                links=form.links(),
                **fields,
            )
        except ConflictError as exc:
            conflict = show_conflict(form, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Incident updated.")
            return redirect("incident_detail", pk=incident.pk)
    return render(
        request,
        "incidents/form.html",
        {"form": form, "incident": incident, "conflict": conflict},
        status=409 if conflict else 200,
    )


@login_required
def severity_settings(request):
    from django import forms as djforms

    from .selectors import severity_levels_for
    from .services import severity_levels_save

    if not request.user.is_org_admin:
        raise PermissionDenied("Only organization admins can change severity levels.")

    class LevelForm(djforms.Form):
        key = djforms.CharField(max_length=20, required=False)
        name = djforms.CharField(max_length=100, required=False)
        description = djforms.CharField(max_length=500, required=False)

    LevelFormSet = djforms.formset_factory(LevelForm, extra=2, max_num=20)
    initial = [{"key": s.key, "name": s.name, "description": s.description} for s in severity_levels_for(request.user)]
    formset = LevelFormSet(request.POST or None, initial=initial, prefix="levels")
    error = None
    if request.method == "POST" and formset.is_valid():
        try:
            severity_levels_save(
                organization=request.user.organization,
                by=request.user,
                levels=[f.cleaned_data for f in formset.forms if f.cleaned_data],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, "Severity levels saved.")
            return redirect("severity_settings")
    return render(request, "incidents/severities.html", {"formset": formset, "error": error})
