"""Pages of the findings: the list by section where editors add, change, reorder and delete them (forms that work
without scripts), and their part of the retrospective's page. Thin: the rules are in actions.findings."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.core.forms import add_service_errors
from retrospector.core.markdown import html_for_reader, render_markdown
from retrospector.reviews.account_views import event_choices, posted_ids
from retrospector.reviews.models import Account
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .findings import (
    FINDING_MAX_CHARS,
    FINDINGS_FORBIDDEN,
    KIND_LABELS,
    UNTRACED_WARNING,
    finding_create,
    finding_delete,
    finding_sections,
    finding_step,
    finding_update,
    findings_by_section,
    findings_html,
    findings_read_only_message,
    untraced_recommendations,
)
from .models import Finding

TEXT_HELP = (
    "Markdown. One conclusion of the analysis, about conditions and controls rather than people: what made the "
    f"incident possible or worse. At most {FINDING_MAX_CHARS:,} characters."
)


class FindingForm(forms.Form):
    section = forms.ChoiceField(label="Section", help_text="Where the finding is shown; its kind follows the section.")
    text = forms.CharField(
        label="Finding",
        max_length=FINDING_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=TEXT_HELP,
    )
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [(g.section.key, f"{g.section.title} ({g.kind_label})") for g in groups]
        for name in ("section", "text"):  # the help's id as _field.html prints it
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_help"


def _recommendation_url(pk: int) -> str:
    """The recommendation's page (another part of the app names it `recommendation_detail`), or "" without it."""
    try:
        return reverse("recommendation_detail", args=[pk])
    except NoReverseMatch:
        return ""


def _untraced(retrospective) -> list:
    rows = list(untraced_recommendations(retrospective))
    for recommendation in rows:
        recommendation.url = _recommendation_url(recommendation.pk)
    return rows


def _links_html(finding: Finding, *, timeline_url: str, retrospective_url: str) -> str:
    """The events and accounts a finding rests on, as links: built here rather than by the template, which would take
    most of a page's time for a retrospective with many findings."""
    parts = []
    if events := list(finding.events.all()):
        parts.append(
            "Events: "
            + "; ".join(
                format_html(
                    '<a href="{}#event-{}"><time datetime="{}">{}</time> {}</a>',
                    timeline_url,
                    e.pk,
                    e.occurred_at.isoformat(),
                    date_format(timezone.localtime(e.occurred_at), "M j H:i"),
                    Truncator(e.text).chars(60),
                )
                for e in events
            )
        )
    if accounts := list(finding.accounts.all()):
        parts.append(
            "Accounts: "
            + ", ".join(
                format_html(
                    '<a href="{}#account-{}">{}</a>',
                    retrospective_url,
                    a.pk,
                    a.author.display_name if a.author else "a former member",
                )
                for a in accounts
            )
        )
    return mark_safe(f'<p class="muted small finding-links">{" · ".join(parts)}</p>') if parts else ""


def _shown(request, retrospective, groups) -> None:
    """Each finding's text as the reader sees it (rendered, sanitized, images only from the allowed hosts), and its
    links."""
    findings = [finding for group in groups for finding in group.findings]
    rendered = findings_html(findings)
    urls = {
        "timeline_url": reverse("incident_timeline", args=[retrospective.incident_id]),
        "retrospective_url": reverse("retrospective_detail", args=[retrospective.pk]),
    }
    for finding in findings:
        finding.shown_html = mark_safe(html_for_reader(request, rendered[finding.pk]))
        finding.links_html = _links_html(finding, **urls)


# --- The retrospective's page -----------------------------------------------------------------------------------------


def findings_page_part(*, request, retrospective, sections) -> PagePart | None:
    """The findings under each section that holds them, with their links, and the recommendations that trace to none
    of this retrospective's findings (a warning). A constant number of queries, however many findings."""
    groups = findings_by_section(retrospective, sections)
    untraced = _untraced(retrospective)
    if not groups and not untraced:
        return None
    _shown(request, retrospective, groups)
    can_edit = can_edit_retrospective(request.user, retrospective) and not findings_read_only_message(retrospective)
    return PagePart(
        section_template="actions/_findings_section.html" if groups else "",
        main_template="actions/_findings_untraced.html" if untraced else "",
        context={
            "retrospective": retrospective,
            "groups": groups,
            "untraced": untraced,
            "untraced_warning": UNTRACED_WARNING,
            "can_edit": can_edit,
        },
    )


# --- The findings' page -----------------------------------------------------------------------------------------------


def _account_choices(retrospective, checked: set[int]) -> list[dict]:
    accounts = Account.objects.filter(retrospective_id=retrospective.pk).select_related("author")
    return [{"account": a, "checked": a.pk in checked} for a in accounts.order_by("created_at", "id")]


def _checked(request, name: str) -> set[int]:
    return {int(v) for v in request.POST.getlist(name) if v.isdigit()}


def _links_context(request, retrospective, *, events: set[int], accounts: set[int]) -> dict:
    return {
        "events": event_choices(retrospective, request.user, events),
        "account_choices": _account_choices(retrospective, accounts),
    }


def _page_context(request, retrospective, groups) -> dict:
    read_only = findings_read_only_message(retrospective)
    may_edit = can_edit_retrospective(request.user, retrospective)
    _shown(request, retrospective, groups)
    # The URLs of each finding's actions, without reversing three URLs a finding.
    base = reverse("finding_list", args=[retrospective.pk])
    for group in groups:
        for finding in group.findings:
            finding.edit_url, finding.move_url, finding.delete_url = (
                f"{base}{finding.pk}/{action}/" for action in ("edit", "move", "delete")
            )
    return {
        "retrospective": retrospective,
        "incident": retrospective.incident,
        "groups": groups,
        "count": sum(len(g.findings) for g in groups),
        "untraced": _untraced(retrospective),
        "untraced_warning": UNTRACED_WARNING,
        "can_edit": may_edit and read_only is None,
        "read_only_message": read_only or "",
        "max_chars": FINDING_MAX_CHARS,
    }


@login_required
def finding_list(request, pk):
    """Every finding of the retrospective by section, for everyone who may read it; its editors add findings here
    (POST) and change, move and delete them from here."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    sections = list(retrospective.sections.all())
    groups = findings_by_section(retrospective, sections)
    context = _page_context(request, retrospective, groups)
    status = 200
    if request.method == "POST":
        if not can_edit_retrospective(request.user, retrospective):
            raise PermissionDenied(FINDINGS_FORBIDDEN)
        form = FindingForm(request.POST, groups=groups)
        if form.is_valid():
            try:
                finding = finding_create(
                    retrospective=retrospective,
                    by=request.user,
                    text=form.cleaned_data["text"],
                    section_key=form.cleaned_data["section"],
                    event_ids=posted_ids(request, "events"),
                    account_ids=posted_ids(request, "accounts"),
                )
            except ReadOnlyError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 422
            else:
                messages.success(request, f"Finding added to {_section_title(groups, finding.section_key)}.")
                return redirect(f"{reverse('finding_list', args=[pk])}#finding-{finding.pk}")
        else:
            status = 422
        events, accounts = _checked(request, "events"), _checked(request, "accounts")
    else:
        initial = {}
        if (wanted := request.GET.get("section", "")) and any(g.section.key == wanted for g in groups):
            initial["section"] = wanted
        form = FindingForm(initial=initial, groups=groups)
        events, accounts = set(), set()
    if context["can_edit"] and groups:
        context.update(_links_context(request, retrospective, events=events, accounts=accounts))
    context["form"] = form
    return render(request, "actions/findings.html", context, status=status)


def _section_title(groups, key: str) -> str:
    return next((g.section.title for g in groups if g.section.key == key), key)


def _editable_retrospective(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(FINDINGS_FORBIDDEN)
    return retrospective


def _finding_or_404(retrospective, finding_pk) -> Finding:
    finding = (
        Finding.objects.filter(pk=finding_pk, retrospective_id=retrospective.pk).select_related("updated_by").first()
    )
    if finding is None:
        raise Http404("No such finding in this retrospective.")
    return finding


@login_required
def finding_edit(request, pk, finding_pk):
    """Change a finding's text, section and links. The version it was read at travels in a hidden field: a save
    after someone else's shows both texts and keeps yours in the form, based on theirs."""
    retrospective = _editable_retrospective(request, pk)
    finding = _finding_or_404(retrospective, finding_pk)
    groups = finding_sections(retrospective.sections.all())
    initial = {"text": finding.text, "section": finding.section_key, "base_version": finding.version}
    form = FindingForm(request.POST or None, initial=initial, groups=groups)
    events = set(finding.events.values_list("pk", flat=True))
    accounts = set(finding.accounts.values_list("pk", flat=True))
    read_only = findings_read_only_message(retrospective)
    context = {"retrospective": retrospective, "finding": finding, "read_only_message": read_only or ""}
    status = 200
    if request.method == "POST":
        events, accounts = _checked(request, "events"), _checked(request, "accounts")
        if form.is_valid():
            try:
                saved = finding_update(
                    finding=finding,
                    by=request.user,
                    base_version=form.cleaned_data["base_version"] or 0,
                    text=form.cleaned_data["text"],
                    section_key=form.cleaned_data["section"],
                    event_ids=posted_ids(request, "events"),
                    account_ids=posted_ids(request, "accounts"),
                )
            except ConflictError as exc:
                theirs = exc.current
                context.update(
                    conflict=str(exc),
                    theirs=theirs,
                    theirs_html=mark_safe(html_for_reader(request, render_markdown(theirs.text))),
                    theirs_kind=KIND_LABELS.get(theirs.kind, theirs.kind),
                    mine=form.cleaned_data["text"],
                )
                # Yours stays in the form, now based on their version: saving again is a knowing replacement.
                form = FindingForm(
                    initial={
                        "text": form.cleaned_data["text"],
                        "section": form.cleaned_data["section"],
                        "base_version": theirs.version,
                    },
                    groups=groups,
                )
                status = 409
            except ReadOnlyError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 422
            else:
                messages.success(request, f"Finding saved (version {saved.version}).")
                return redirect(f"{reverse('finding_list', args=[pk])}#finding-{saved.pk}")
        else:
            status = 422
    context["form"] = form
    if read_only is None:
        context.update(_links_context(request, retrospective, events=events, accounts=accounts))
    return render(request, "actions/finding_edit.html", context, status=status)


@login_required
@require_POST
def finding_move_view(request, pk, finding_pk):
    retrospective = _editable_retrospective(request, pk)
    finding = _finding_or_404(retrospective, finding_pk)
    try:
        finding_step(finding=finding, by=request.user, direction=request.POST.get("direction", ""))
    except ReadOnlyError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('finding_list', args=[pk])}#finding-{finding.pk}")


@login_required
@require_POST
def finding_delete_view(request, pk, finding_pk):
    retrospective = _editable_retrospective(request, pk)
    finding = _finding_or_404(retrospective, finding_pk)
    try:
        finding_delete(finding=finding, by=request.user)
    except ReadOnlyError as exc:
        messages.error(request, str(exc))
    else:
        text = finding.text if len(finding.text) <= 80 else finding.text[:79].rstrip() + "…"
        messages.success(request, f"Deleted the finding “{text}”.")
    return redirect(f"{reverse('finding_list', args=[pk])}#section-findings-{finding.section_key}")
