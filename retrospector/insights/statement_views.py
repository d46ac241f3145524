"""The pages of sharing: a retrospective's statements, the editor of one, its downloads, publishing, and the two
published pages (the internal summary for the organization, the customer statement at its public link)."""

import difflib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from retrospector.core.errors import ConflictError
from retrospector.core.forms import add_service_errors
from retrospector.core.markdown import html_for_reader, restrict_images
from retrospector.writeups.exchange import PRINT_CSS
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .models import Statement
from .statement_forms import PublishForm, StatementForm, StatementStartForm
from .statements import (
    SHAREABLE_STATES,
    can_edit_statement,
    can_publish_statement,
    headings_from,
    published_external_or_404,
    published_internal_or_404,
    standalone_csp,
    statement_create,
    statement_detail_or_404,
    statement_export_response,
    statement_findings,
    statement_names,
    statement_publish,
    statement_revoke,
    statement_save,
    statements_of,
)

# The public link shown once after publishing: kept in the session only until the next view of the editor.
NEW_LINK_KEY = "statement-new-link"


def page_part(*, request, retrospective, sections):
    """The "Share" box on a retrospective's page (writeups.page_parts): a link, no query."""
    from retrospector.writeups.page_parts import PagePart

    return PagePart(
        side_template="insights/statements/_share_side.html",
        context={"retrospective": retrospective, "ready": retrospective.state in SHAREABLE_STATES},
    )


@login_required
def retrospective_share(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    can_edit = can_edit_retrospective(request.user, retrospective)
    form = StatementStartForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("You can read this retrospective but not change it.")
        if form.is_valid():
            try:
                statement = statement_create(
                    retrospective=retrospective,
                    kind=form.cleaned_data["kind"],
                    keep_names=form.cleaned_data["keep_names"],
                    by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Drafted the {statement.get_kind_display().lower()} from the write-up.")
                return redirect("statement_edit", pk=statement.pk)
    statements = {s.kind: s for s in statements_of(retrospective)}
    kinds = [(kind, label, statements.get(kind)) for kind, label in Statement.Kind.choices]
    return render(
        request,
        "insights/statements/share.html",
        {
            "retrospective": retrospective,
            "incident": retrospective.incident,
            "kinds": kinds,
            "can_edit": can_edit,
            "ready": retrospective.state in SHAREABLE_STATES,
            "form": form,
        },
        status=422 if form.errors else 200,
    )


def _line_diff(old: str, new: str) -> list[tuple[str, str]]:
    rows = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3):
        if not line.startswith(("---", "+++")):
            rows.append(({"+": "added", "-": "removed", "@": "hunk"}.get(line[:1], "same"), line))
    return rows


@never_cache
@login_required
def statement_edit(request, pk):
    statement = statement_detail_or_404(user=request.user, pk=pk)
    can_edit = can_edit_statement(request.user, statement)
    initial = {"body": statement.body, "base_version": statement.version, "keep_names": statement.keep_names}
    form = StatementForm(request.POST or None, initial=initial)
    context = {"conflict": None}
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("You can read this statement but not change it.")
        if form.is_valid():
            try:
                statement_save(
                    statement=statement,
                    body=form.cleaned_data["body"],
                    keep_names=form.cleaned_data["keep_names"],
                    base_version=form.cleaned_data["base_version"],
                    by=request.user,
                )
            except ConflictError as exc:
                theirs = exc.current
                mine = form.cleaned_data["body"].replace("\r\n", "\n")
                context.update(conflict=exc, theirs=theirs, mine=mine, diff=_line_diff(theirs.body, mine))
                form = StatementForm(
                    initial={"body": mine, "base_version": theirs.version, "keep_names": theirs.keep_names}
                )
                statement = statement_detail_or_404(user=request.user, pk=pk)
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 422
            else:
                messages.success(request, f"Saved the {statement.get_kind_display().lower()}.")
                return redirect("statement_edit", pk=statement.pk)
        else:
            status = 422
    new_link = request.session.pop(NEW_LINK_KEY, None)
    if new_link and new_link.get("statement") != statement.pk:
        new_link = None
    retrospective = statement.retrospective
    context.update(
        statement=statement,
        retrospective=retrospective,
        incident=retrospective.incident,
        form=form,
        can_edit=can_edit,
        can_publish=can_publish_statement(request.user, statement),
        html=html_for_reader(request, statement.html),
        findings=statement_findings(statement),
        names=statement_names(statement),
        new_link=request.build_absolute_uri(reverse("statement_public", args=[new_link["token"]])) if new_link else "",
        published_url=reverse("statement_published", args=[statement.pk]),
    )
    return render(request, "insights/statements/edit.html", context, status=status)


@login_required
def statement_export(request, pk, fmt):
    if fmt not in ("md", "html"):
        raise Http404("Statements download as .md or .html.")
    return statement_export_response(statement_detail_or_404(user=request.user, pk=pk), fmt)


@require_POST
@login_required
def statement_publish_view(request, pk):
    statement = statement_detail_or_404(user=request.user, pk=pk)
    form = PublishForm(request.POST)
    new_link = form.is_valid() and form.cleaned_data["new_link"]
    try:
        statement, token = statement_publish(statement=statement, by=request.user, new_link=new_link)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, f"Not published: {message}")
        return redirect("statement_edit", pk=statement.pk)
    if token:
        request.session[NEW_LINK_KEY] = {"statement": statement.pk, "token": token}
    messages.success(request, f"Published the {statement.get_kind_display().lower()} as it is now.")
    return redirect("statement_edit", pk=statement.pk)


@require_POST
@login_required
def statement_revoke_view(request, pk):
    statement = statement_detail_or_404(user=request.user, pk=pk)
    statement_revoke(statement=statement, by=request.user)
    what = "Its public link no longer works" if statement.kind == Statement.Kind.EXTERNAL else "Its page is gone"
    messages.success(request, f"Stopped publishing the {statement.get_kind_display().lower()}. {what}.")
    return redirect("statement_edit", pk=statement.pk)


@login_required
def statement_published(request, pk):
    statement = published_internal_or_404(user=request.user, pk=pk)
    return render(
        request,
        "insights/statements/published_internal.html",
        {"statement": statement, "html": headings_from(html_for_reader(request, statement.published_html), 2)},
    )


@never_cache
def statement_public(request, token):
    """The customer statement at its public link: no sign-in, nothing around it that leads elsewhere in the app."""
    statement = published_external_or_404(token=token)
    organization = statement.retrospective.incident.organization
    response = render(
        request,
        "insights/statements/public.html",
        {
            "statement": statement,
            "organization": organization,
            "css": PRINT_CSS,
            "html": headings_from(restrict_images(statement.published_html, organization.image_hosts), 1),
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Security-Policy"] = standalone_csp(organization.image_hosts)
    return response
