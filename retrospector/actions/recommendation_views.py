"""A recommendation's life in pages: created from a retrospective (similar open ones offered to link instead), its own
page (every retrospective calling for it, the findings it answers, its history, edit and status forms), links to more
retrospectives, merges, proposals kept aside, and its part of the retrospective's page. Thin: the rules are in
actions.services, the reads in actions.selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retrospector.accounts.models import User
from retrospector.accounts.selectors import people_in_organization, teams_visible_to
from retrospector.actions.models import Finding, Recommendation, SetAside
from retrospector.actions.recommendation_forms import (
    LinkForm,
    MergeForm,
    RecommendationCreateForm,
    RecommendationEditForm,
    RecommendationStatusForm,
    SetAsideForm,
    UnlinkForm,
)
from retrospector.actions.selectors import (
    can_edit_recommendation,
    describe_changes,
    findings_traced,
    is_overdue,
    recommendation_detail_or_404,
    recommendation_gaps,
    recommendation_history,
    recommendations_of_retrospective,
    recommendations_visible_to,
    retrospectives_calling_for,
    set_asides_of,
    similar_open_recommendations,
    status_reason_shown,
)
from retrospector.actions.services import (
    priorities_of,
    recommendation_create,
    recommendation_link,
    recommendation_merge,
    recommendation_unlink,
    recommendation_update,
    set_aside_create,
    set_aside_delete,
)
from retrospector.core.errors import ConflictError
from retrospector.core.forms import add_service_errors, show_conflict
from retrospector.core.http import is_htmx
from retrospector.core.paging import paginate, querystring_without_page
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

WRITE_FORBIDDEN = "Only those who may edit this retrospective add, link or set aside its recommendations."
EDIT_FORBIDDEN = "Only its owner, members of its team and organization admins change this recommendation."
HISTORY_PAGE = 50  # history entries a page, newest first
EDITABLE_FIELDS = (
    "title",
    "description",
    "definition_of_done",
    "kind",
    "owner",
    "team",
    "priority",
    "commitment_date",
)


def _editable_retrospective(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(WRITE_FORBIDDEN)
    return retrospective


def _choices(user, organization_id, *, owner_id=None):
    """The form's choices; a former member who owns it stays offered, so that saving keeps them."""
    people = people_in_organization(user)
    if owner_id is not None:
        people = (people | User.objects.filter(pk=owner_id, organization_id=organization_id)).order_by("username")
    return {
        "people": people,
        "teams": teams_visible_to(user),
        "priorities": priorities_of(organization_id),
    }


def _service_ids(retrospective) -> list[int]:
    return list(retrospective.incident.services.values_list("pk", flat=True))


def _similar(request, retrospective, text: str):
    return similar_open_recommendations(
        user=request.user,
        organization_id=retrospective.incident.organization_id,
        text=text,
        service_ids=_service_ids(retrospective),
        exclude_retrospective_id=retrospective.pk,
    )


# --- Creating one from a retrospective ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_create_page(request, pk):
    """The form; after a submit, similar open recommendations (if any) are offered to link instead, and a second
    submit creates it anyway."""
    retrospective = _editable_retrospective(request, pk)
    findings = list(Finding.objects.filter(retrospective=retrospective))
    choices = _choices(request.user, retrospective.incident.organization_id)
    form = RecommendationCreateForm(
        request.POST or None,
        findings=findings,
        initial={"team": retrospective.incident.team_id, "priority": _default_priority(choices["priorities"])},
        **choices,
    )
    suggestions = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if not data["create_anyway"]:
                suggestions = _similar(request, retrospective, f"{data['title']} {data['description']}")
            if suggestions:
                form.data = form.data.copy()
                form.data["create_anyway"] = "True"
            else:
                try:
                    recommendation = recommendation_create(
                        retrospective=retrospective,
                        by=request.user,
                        findings=form.chosen_findings(),
                        **{field: data[field] for field in EDITABLE_FIELDS},
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    gaps = recommendation_gaps(recommendation)
                    note = f" It is a draft: it {' and '.join(gaps)}." if gaps else ""
                    messages.success(request, f"Recommendation #{recommendation.pk} created.{note}")
                    return redirect("recommendation_detail", pk=recommendation.pk)
        if not suggestions:
            status = 422
    return render(
        request,
        "actions/recommendation_create.html",
        {
            "retrospective": retrospective,
            "incident": retrospective.incident,
            "form": form,
            "suggestions": suggestions,
            "chosen_findings": form.cleaned_data.get("findings", []) if form.is_bound and form.is_valid() else [],
            "has_findings": bool(findings),
        },
        status=status,
    )


def _default_priority(priorities: list[str]) -> str:
    return priorities[min(1, len(priorities) - 1)]


@login_required
@require_GET
def recommendation_similar(request, pk):
    """htmx: the similar open recommendations for what is being typed (title and description), as a partial."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    text = f"{request.GET.get('title', '')} {request.GET.get('description', '')}"[:5000]
    suggestions = _similar(request, retrospective, text)
    return render(
        request,
        "actions/_similar.html",
        {
            "retrospective": retrospective,
            "suggestions": suggestions,
            "can_link": can_edit_retrospective(request.user, retrospective),
        },
    )


# --- Linking and unlinking ------------------------------------------------------------------------------------------


@login_required
@require_POST
def recommendation_link_view(request, pk):
    """This retrospective calls for an existing recommendation too (the "link this one instead" button)."""
    retrospective = _editable_retrospective(request, pk)
    form = LinkForm(request.POST)
    back = reverse("retrospective_detail", args=[retrospective.pk]) + "#recommendations"
    if not form.is_valid():
        messages.error(request, "Give the number of the recommendation to link.")
        return redirect(back)
    recommendation = recommendations_visible_to(request.user).filter(pk=form.cleaned_data["recommendation"]).first()
    if recommendation is None:
        messages.error(request, "No such recommendation, or you may not see it.")
        return redirect(back)
    chosen = set(request.POST.getlist("findings"))
    findings = [f for f in Finding.objects.filter(retrospective=retrospective) if str(f.pk) in chosen]
    try:
        recommendation_link(
            recommendation=recommendation, retrospective=retrospective, by=request.user, findings=findings
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"This retrospective now calls for #{recommendation.pk}: {recommendation.title}.")
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_unlink_view(request, pk, recommendation_pk):
    """This retrospective no longer calls for it: a reason is asked and kept in the history."""
    retrospective = _editable_retrospective(request, pk)
    recommendation = recommendation_detail_or_404(user=request.user, pk=recommendation_pk)
    form = UnlinkForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                recommendation_unlink(
                    recommendation=recommendation,
                    retrospective=retrospective,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"#{recommendation.pk} is no longer called for by this retrospective.")
                return redirect(reverse("retrospective_detail", args=[retrospective.pk]) + "#recommendations")
        status = 422
    return render(
        request,
        "actions/recommendation_unlink.html",
        {"retrospective": retrospective, "recommendation": recommendation, "form": form},
        status=status,
    )


# --- A recommendation's page ----------------------------------------------------------------------------------------


def _edit_initial(recommendation: Recommendation) -> dict:
    initial = {field: getattr(recommendation, field) for field in EDITABLE_FIELDS}
    initial.update(owner=recommendation.owner_id, team=recommendation.team_id, base_version=recommendation.version)
    return initial


def _detail(request, recommendation, *, edit_form=None, status_form=None, theirs=None, status=200):
    user = request.user
    may_edit = can_edit_recommendation(user, recommendation) and recommendation.merged_into_id is None
    history = paginate(request, recommendation_history(recommendation, user=user), per_page=HISTORY_PAGE)
    history.object_list = describe_changes(history.object_list, recommendation=recommendation, user=user)
    context = {
        "recommendation": recommendation,
        "gaps": recommendation_gaps(recommendation),
        "reason": status_reason_shown(recommendation),
        "overdue": is_overdue(recommendation),
        "retrospectives": retrospectives_calling_for(user=user, recommendation=recommendation),
        "findings": findings_traced(user=user, recommendation=recommendation),
        "history": history,
        "querystring": querystring_without_page(request),
        "can_edit": may_edit,
        "theirs": theirs,
    }
    if recommendation.merged_into_id:
        context["merged_into_visible"] = (
            recommendations_visible_to(user).filter(pk=recommendation.merged_into_id).exists()
        )
    if may_edit:
        choices = _choices(user, recommendation.organization_id, owner_id=recommendation.owner_id)
        context["edit_form"] = edit_form or RecommendationEditForm(initial=_edit_initial(recommendation), **choices)
        context["status_form"] = status_form or RecommendationStatusForm(
            initial={"status": recommendation.status, "base_version": recommendation.version}
        )
    return render(request, "actions/recommendation_detail.html", context, status=status)


@login_required
@require_GET
def recommendation_detail(request, pk):
    recommendation = recommendation_detail_or_404(user=request.user, pk=pk)
    return _detail(request, recommendation)


def _editable(request, pk) -> Recommendation:
    recommendation = recommendation_detail_or_404(user=request.user, pk=pk)
    if not can_edit_recommendation(request.user, recommendation):
        raise PermissionDenied(EDIT_FORBIDDEN)
    if recommendation.merged_into_id:
        raise PermissionDenied(f"It was merged into #{recommendation.merged_into_id}: change that one instead.")
    return recommendation


def _save(request, recommendation, form, changes: dict, *, form_name: str):
    """Run the update; on refusal, the page again with the form as typed (and their version after a conflict)."""
    try:
        saved = recommendation_update(
            recommendation=recommendation,
            by=request.user,
            changes=changes,
            reason=form.cleaned_data.get("reason") or "",
            base_version=form.cleaned_data["base_version"],
        )
    except ConflictError as exc:
        current = show_conflict(form, exc)
        return _detail(request, current, theirs=current, status=409, **{form_name: form})
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _detail(request, recommendation, status=422, **{form_name: form})
    messages.success(request, "Saved." if saved.version != recommendation.version else "Nothing changed.")
    return redirect("recommendation_detail", pk=saved.pk)


@login_required
@require_POST
def recommendation_edit(request, pk):
    recommendation = _editable(request, pk)
    choices = _choices(request.user, recommendation.organization_id, owner_id=recommendation.owner_id)
    form = RecommendationEditForm(request.POST, **choices)
    if not form.is_valid():
        return _detail(request, recommendation, edit_form=form, status=422)
    changes = {field: form.cleaned_data[field] for field in EDITABLE_FIELDS}
    return _save(request, recommendation, form, changes, form_name="edit_form")


@login_required
@require_POST
def recommendation_status(request, pk):
    recommendation = _editable(request, pk)
    form = RecommendationStatusForm(request.POST)
    if not form.is_valid():
        return _detail(request, recommendation, status_form=form, status=422)
    return _save(request, recommendation, form, {"status": form.cleaned_data["status"]}, form_name="status_form")


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_merge_page(request, pk):
    """Merge this recommendation into another (the one kept): similar open ones are offered."""
    merge_away = _editable(request, pk)
    form = MergeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            keep = recommendations_visible_to(request.user).filter(pk=form.cleaned_data["keep"]).first()
            if keep is None:
                form.add_error("keep", "No such recommendation, or you may not see it.")
            else:
                try:
                    recommendation_merge(
                        keep=keep, merge_away=merge_away, by=request.user, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, f"#{merge_away.pk} merged into this one; both histories are kept.")
                    return redirect("recommendation_detail", pk=keep.pk)
        status = 422
    candidates = [
        s
        for s in similar_open_recommendations(
            user=request.user,
            organization_id=merge_away.organization_id,
            text=f"{merge_away.title} {merge_away.description}",
            limit=6,
        )
        if s.recommendation.pk != merge_away.pk
    ][:5]
    return render(
        request,
        "actions/recommendation_merge.html",
        {"recommendation": merge_away, "form": form, "candidates": candidates},
        status=status,
    )


# --- Proposals set aside --------------------------------------------------------------------------------------------


@login_required
@require_POST
def set_aside_create_view(request, pk):
    retrospective = _editable_retrospective(request, pk)
    form = SetAsideForm(request.POST)
    if form.is_valid():
        try:
            set_aside_create(retrospective=retrospective, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Kept aside, with its reason.")
            return redirect(reverse("retrospective_detail", args=[retrospective.pk]) + "#set-asides")
    return render(
        request,
        "actions/set_aside_refused.html",
        {"retrospective": retrospective, "set_aside_form": form},
        status=422,
    )


@login_required
@require_POST
def set_aside_delete_view(request, pk, set_aside_pk):
    retrospective = _editable_retrospective(request, pk)
    set_aside = SetAside.objects.filter(pk=set_aside_pk, retrospective=retrospective).first()
    if set_aside is None:
        raise Http404("No such proposal kept aside on this retrospective.")
    set_aside_delete(set_aside=set_aside, by=request.user)
    messages.success(request, f"“{set_aside.title}” is no longer kept aside.")
    return redirect(reverse("retrospective_detail", args=[retrospective.pk]) + "#set-asides")


# --- The part of the retrospective's page ---------------------------------------------------------------------------


def recommendations_page_part(*, request, retrospective, sections) -> PagePart:
    """The recommendations this retrospective calls for, with their live status, and the proposals it set aside."""
    return PagePart(
        main_template="actions/recommendations_part.html",
        context={
            "retrospective": retrospective,
            "recommendations": recommendations_of_retrospective(retrospective),
            "set_asides": set_asides_of(retrospective),
            "can_edit": can_edit_retrospective(request.user, retrospective),
            "set_aside_form": SetAsideForm(),
            "htmx": is_htmx(request),
        },
    )
