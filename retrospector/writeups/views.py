import difflib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.core.forms import add_service_errors
from retrospector.core.http import is_htmx
from retrospector.core.markdown import html_for_reader, render_markdown
from retrospector.core.paging import paginate, querystring_without_page
from retrospector.core.template_definitions import (
    DefinitionError,
    definition_to_yaml,
    parse_definition_text,
    validate_definition,
)
from retrospector.incidents.selectors import can_edit_incident, incident_editable_or_403

from .checking import marked_html, retrospective_checks
from .export import EXPORT_FORMATS, export_response, print_response
from .forms import (
    DoneFiltersForm,
    ImportMarkdownForm,
    ReopenForm,
    SectionForm,
    StartRetrospectiveForm,
    TemplateImportForm,
    TemplateMetaForm,
    TemplateSectionFormSet,
    TransitionForm,
)
from .models import Retrospective, Section
from .page_parts import retrospective_page_parts
from .selectors import (
    can_edit_retrospective,
    done_writeups,
    retrospective_detail_or_404,
    section_with_history,
    template_by_key,
    template_match,
    templates_visible_to,
    with_approvers,
)
from .selectors import (
    retrospective_detail as select_retrospective,
)
from .services import (
    done_read_only_message,
    finding_ignore,
    finding_unignore,
    retrospective_import_markdown,
    retrospective_start,
    retrospective_transition,
    section_fill_from_key_events,
    section_restore,
    section_save,
    template_save,
    transition_refusal,
    transitions_offered,
)


def _section_or_404(retrospective, key) -> Section:
    for section in retrospective.sections.all():
        if section.key == key:
            return section
    raise Http404("No such section.")


def _may_change(request, retrospective) -> bool:
    """Whether the page offers changes: the reader may edit the retrospective, and it is not done (read-only until
    someone reopens it)."""
    return retrospective.state != Retrospective.State.DONE and can_edit_retrospective(request.user, retrospective)


@login_required
def retrospective_new(request, incident_pk):
    incident = incident_editable_or_403(
        user=request.user,
        pk=incident_pk,
        detail=True,
        forbidden="Only members of the incident's team can start its retrospective.",
    )
    templates = templates_visible_to(request.user)
    form = StartRetrospectiveForm(
        request.POST or None,
        user=request.user,
        templates=templates,
        initial={"template": request.GET.get("template", "postmortem")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            retrospective = retrospective_start(
                incident=incident,
                template=template_by_key(user=request.user, key=data["template"]),
                by=request.user,
                owner=data["owner"],
                shadow=data["shadow"],
                due_at=data["due_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Retrospective started. Write the summary last.")
            return redirect("retrospective_detail", pk=retrospective.pk)
    # A TemplateResponse: the reviews app adds whether the team's process asks for a retrospective (the layers point
    # down, so this page cannot ask it).
    return TemplateResponse(request, "writeups/start.html", {"form": form, "incident": incident})


@login_required
def retrospective_detail(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    sections = list(retrospective.sections.all())
    may_edit = can_edit_retrospective(request.user, retrospective)
    is_done = retrospective.state == Retrospective.State.DONE
    can_edit = may_edit and not is_done
    checks = retrospective_checks(retrospective, sections)
    transitions = transitions_offered(retrospective) if can_edit else []
    rows = []
    for section in sections:
        findings = checks.for_section(section.key)
        html = _section_html(request, section.body, section.html, findings)
        rows.append((section, html, findings, checks.counted_in(section.key)))
    page_parts = retrospective_page_parts(request=request, retrospective=retrospective, sections=sections)
    # An app above may keep a done write-up from being reopened (an imported one is changed by importing its file).
    reopen_refusal = transition_refusal(retrospective, Retrospective.State.IN_REVIEW) if is_done else None
    if any(part.replaces_transitions for part in page_parts):
        transitions = []
    return render(
        request,
        "writeups/detail.html",
        {
            "retrospective": retrospective,
            "incident": retrospective.incident,
            "sections": rows,
            "checks": checks,
            "finding_counts": checks.counts,
            "filled": sum(1 for s in sections if not s.is_empty),
            "can_edit": can_edit,
            "can_reopen": may_edit and is_done and reopen_refusal is None,
            "reopen_refusal": reopen_refusal,
            "reopen_form": ReopenForm(),
            "is_done": is_done,
            "can_assign": not is_done and can_edit_incident(request.user, retrospective.incident),
            "transitions": sorted(transitions, key=lambda t: t[1]),
            "state_changes": retrospective.state_changes.select_related("by"),
            "template_match": template_match(retrospective, sections) if retrospective.imported_from else None,
            "in_page": True,
            "page_parts": page_parts,
        },
    )


def _section_html(request, body: str, rendered: str, findings) -> str:
    """A section's HTML for the reader, with its counted findings underlined where they can be found (the others stay
    in the list of findings only). `rendered` is the stored rendering of `body`, used when nothing is to be marked."""
    marked = marked_html(body, findings)
    return html_for_reader(request, rendered if marked is None else marked)


def _in_page(request) -> bool:
    """Whether the request comes from a section inside the retrospective's page (which has the list of sections and
    the ignored findings to update), not from the editor's own page."""
    return request.GET.get("in_page") == "1" or request.POST.get("in_page") == "1"


def _counts_update(request, retrospective, checks, key: str, *, in_page: bool, can_edit: bool) -> str:
    """Out-of-band updates for htmx: the section's count and the retrospective's counts, and on its page the list of
    sections' count and the ignored findings."""
    context = {
        "retrospective": retrospective,
        "checks": checks,
        "finding_counts": checks.counts,
        "key": key,
        "count": checks.counted_in(key),
        "in_page": in_page,
        "can_edit": can_edit,
        "oob": True,
    }
    html = render_to_string("writeups/_check_counts.html", context, request=request)
    if in_page:
        html += render_to_string("writeups/_ignored_findings.html", context, request=request)
    return html


def _section_display(request, retrospective, section, *, status=200, error=None):
    sections = [section if s.pk == section.pk else s for s in retrospective.sections.all()]
    checks = retrospective_checks(retrospective, sections)
    findings = checks.for_section(section.key)
    can_edit = _may_change(request, retrospective)
    in_page = _in_page(request)
    response = render(
        request,
        "writeups/_section.html",
        {
            "retrospective": retrospective,
            "section": section,
            "html": _section_html(request, section.body, section.html, findings),
            "findings": findings,
            "count": checks.counted_in(section.key),
            "can_edit": can_edit,
            "in_page": in_page,
            "ignore_error": error,
        },
        status=status,
    )
    if is_htmx(request):
        response.write(_counts_update(request, retrospective, checks, section.key, in_page=in_page, can_edit=can_edit))
    return response


@login_required
def section_show(request, pk, key):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    return _section_display(request, retrospective, _section_or_404(retrospective, key))


@login_required
def section_edit(request, pk, key):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    section = _section_or_404(retrospective, key)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied("You can read this retrospective but not change it.")
    form = SectionForm(request.POST or None, initial={"body": section.body, "base_version": section.version})
    in_page = is_htmx(request) and (request.method == "GET" or _in_page(request))
    context = {"retrospective": retrospective, "section": section, "form": form, "in_page": in_page, "can_edit": True}
    if retrospective.state == Retrospective.State.DONE:
        return _read_only_response(request, retrospective, section, unsaved=request.POST.get("body"), in_page=in_page)
    if request.method == "POST" and form.is_valid():
        try:
            section = section_save(
                section=section,
                body=form.cleaned_data["body"],
                base_version=form.cleaned_data["base_version"],
                by=request.user,
            )
        except ConflictError as exc:
            theirs = exc.current
            resubmit = SectionForm(initial={"body": form.cleaned_data["body"], "base_version": theirs.version})
            context.update(
                conflict=exc,
                theirs=theirs,
                theirs_html=html_for_reader(request, render_markdown(theirs.body)),
                mine=form.cleaned_data["body"],
                form=resubmit,
                diff=_line_diff(theirs.body, form.cleaned_data["body"]),
            )
            return render(
                request,
                "writeups/_conflict.html" if is_htmx(request) else "writeups/conflict.html",
                context,
                status=409,
            )
        except ReadOnlyError:  # marked done since the editor was opened
            return _read_only_response(
                request, retrospective, section, unsaved=form.cleaned_data["body"], in_page=in_page
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 422
        else:
            if is_htmx(request):
                response = _section_display(request, retrospective, section)
                # What sits beside the section on the page (its feedback threads) listens for this to refresh.
                response["HX-Trigger"] = f"sectionSaved-{section.key}"
                return response
            messages.success(request, f"Saved “{section.title}”.")
            return redirect(f"{retrospective_url(retrospective)}#section-{section.key}")
        return render(
            request,
            "writeups/_section_form.html" if is_htmx(request) else "writeups/section_edit.html",
            context,
            status=status,
        )
    checks = retrospective_checks(retrospective)
    findings = checks.for_section(section.key)
    context.update(
        findings=findings,
        checks=checks,
        finding_counts=checks.counts,
        count=checks.counted_in(section.key),
        editing=True,
        preview=_section_html(request, section.body, section.html, findings),
    )
    return render(request, "writeups/_section_form.html" if is_htmx(request) else "writeups/section_edit.html", context)


def _read_only_response(request, retrospective, section, *, unsaved: str | None, in_page: bool):
    """The editor of a done retrospective: refused (409) with why and how to reopen it, and any text that was sent
    shown back so that nothing typed is lost."""
    retrospective.refresh_from_db(fields=["state", "done_at"])
    context = {
        "retrospective": retrospective,
        "section": section,
        "message": done_read_only_message(retrospective),
        "unsaved": unsaved if unsaved is not None and unsaved.replace("\r\n", "\n") != section.body else None,
        "in_page": in_page,
    }
    template = "writeups/_read_only.html" if is_htmx(request) else "writeups/read_only.html"
    return render(request, template, context, status=409)


def retrospective_url(retrospective) -> str:
    from django.urls import reverse

    return reverse("retrospective_detail", args=[retrospective.pk])


PREVIEW_CHARACTERS = 100_000


def preview_part(body: str) -> str:
    """What the live preview renders: all of a text up to PREVIEW_CHARACTERS, else its beginning up to the last blank
    line before that point (so no block is cut in two). Rendering costs up to ~20 µs a character for hostile input
    (a flood of "[" lines), and the preview runs on every pause in typing: it must stay well under a second."""
    if len(body) <= PREVIEW_CHARACTERS:
        return body
    cut = body.rfind("\n\n", 0, PREVIEW_CHARACTERS)
    return body[: cut if cut > PREVIEW_CHARACTERS // 2 else PREVIEW_CHARACTERS]


def _preview_html(request, body: str, findings=()) -> str:
    """The preview of a draft: its beginning (preview_part) rendered, with the findings found there underlined."""
    shown = preview_part(body)
    marked = marked_html(shown, list(findings)) if findings else None
    html = html_for_reader(request, marked if marked is not None else render_markdown(shown))
    html = html or '<p class="muted">Nothing to preview yet.</p>'
    if len(shown) < len(body):
        html += (
            f'<p class="muted preview-cut">The preview shows the first {len(shown):,} of {len(body):,} characters; '
            "the whole text is rendered when you save.</p>"
        )
    return html


def _draft_response(request, retrospective, key: str, body: str, *, error: str | None = None) -> HttpResponse:
    """What the editor's preview gets for a draft: the preview with its findings underlined and, out of band, the
    section's list of findings, its count and the retrospective's counts (and on the retrospective's page the list of
    sections' counts and the ignored findings)."""
    checks = retrospective_checks(retrospective, replace={key: body})
    findings = checks.for_section(key)
    can_edit = _may_change(request, retrospective)
    in_page = _in_page(request)
    html = _preview_html(request, body, findings)
    context = {
        "retrospective": retrospective,
        "findings": findings,
        "key": key,
        "oob": True,
        "editing": True,
        "can_edit": can_edit,
        "in_page": in_page,
        "ignore_error": error,
    }
    html += render_to_string("writeups/_findings.html", context, request=request)
    html += _counts_update(request, retrospective, checks, key, in_page=in_page, can_edit=can_edit)
    return HttpResponse(html)


@login_required
@require_POST
def markdown_preview(request):
    from retrospector.core.markdown import markdown_size_error

    body = request.POST.get("body", "").replace("\r\n", "\n")  # as saving stores it, so lines are counted alike
    if error := markdown_size_error(body):
        return HttpResponse(f'<p class="error">{error}</p>')
    # Inside a retrospective, the same request brings the checks' findings for the draft (out-of-band swaps).
    retrospective_pk, key = request.GET.get("retrospective", ""), request.GET.get("section", "")
    if retrospective_pk.isdigit() and key:
        retrospective = select_retrospective(user=request.user, pk=int(retrospective_pk))
        if retrospective is not None and any(s.key == key for s in retrospective.sections.all()):
            return _draft_response(request, retrospective, key, body)
    return HttpResponse(_preview_html(request, body))


def _line_diff(old: str, new: str) -> list[tuple[str, str]]:
    rows = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "added", "-": "removed", "@": "hunk"}.get(line[:1], "same")
        rows.append((kind, line))
    return rows


@login_required
def section_history(request, pk, key):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    section = _section_or_404(retrospective, key)
    revisions = list(section_with_history(section=section, limit=200))
    selected = request.GET.get("version")
    diff = None
    chosen = None
    if selected and selected.isdigit():
        by_version = {r.version: r for r in section.revisions.filter(version__in=[int(selected), int(selected) - 1])}
        chosen = by_version.get(int(selected))
        if chosen is None:
            raise Http404("No such version.")
        previous = by_version.get(chosen.version - 1)
        diff = _line_diff(previous.body if previous else "", chosen.body)
    return render(
        request,
        "writeups/history.html",
        {
            "retrospective": retrospective,
            "section": section,
            "revisions": revisions,
            "chosen": chosen,
            "diff": diff,
            "can_edit": _may_change(request, retrospective),
        },
    )


@login_required
@require_POST
def section_restore_view(request, pk, key):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    section = _section_or_404(retrospective, key)
    try:
        version = int(request.POST.get("version", ""))
        base_version = int(request.POST.get("base_version", ""))
    except ValueError:
        messages.error(request, "Pick a version to restore.")
        return redirect("section_history", pk=pk, key=key)
    try:
        section_restore(section=section, version=version, base_version=base_version, by=request.user)
    except ConflictError as exc:
        messages.error(request, f"{exc} Look at the latest version before restoring.")
        return redirect("section_history", pk=pk, key=key)
    except ReadOnlyError as exc:
        messages.error(request, str(exc))
        return redirect("section_history", pk=pk, key=key)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("section_history", pk=pk, key=key)
    messages.success(request, f"Restored version {version} of “{section.title}” as a new version.")
    return redirect(f"{retrospective_url(retrospective)}#section-{section.key}")


# --- Findings left on purpose ("ignore here") -------------------------------------------------


def _after_ignore_change(request, retrospective, section, *, done: str, error: str | None):
    """Where an ignore or un-ignore leads. Without JavaScript: back to the section (or its editor), with a message.
    With htmx from the editor (the draft comes along as `body`): the draft's preview and findings again; from the
    section as it reads: the section again. Either way with the counts and lists out of band."""
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done)
        if request.POST.get("from") == "edit":
            return redirect("section_edit", pk=retrospective.pk, key=section.key)
        return redirect(f"{retrospective_url(retrospective)}#section-{section.key}")
    if "body" in request.POST:
        body = request.POST["body"].replace("\r\n", "\n")
        return _draft_response(request, retrospective, section.key, body, error=error)
    return _section_display(request, retrospective, section, error=error)


@login_required
@require_POST
def finding_ignore_view(request, pk, key):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    section = _section_or_404(retrospective, key)
    error = None
    try:
        ignore = finding_ignore(
            retrospective=retrospective,
            section_key=section.key,
            rule=request.POST.get("rule", ""),
            passage=request.POST.get("passage", "").replace("\r\n", "\n"),
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
        done = ""
    except ReadOnlyError as exc:
        error = str(exc)
        done = ""
    else:
        done = f"Ignored “{ignore.rule}” in “{section.title}”: it no longer counts."
    return _after_ignore_change(request, retrospective, section, done=done, error=error)


@login_required
@require_POST
def finding_unignore_view(request, pk, ignore_pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    ignore = retrospective.finding_ignores.filter(pk=ignore_pk).first()
    if ignore is None:
        raise Http404("No such ignored finding.")
    error = None
    try:
        ignore = finding_unignore(ignore=ignore, by=request.user)
    except ReadOnlyError as exc:
        error = str(exc)
    section = next((s for s in retrospective.sections.all() if s.key == ignore.section_key), None)
    if section is None:  # the section is gone: nothing to show again but the page
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"“{ignore.rule}” counts again.")
        return redirect(retrospective_url(retrospective))
    return _after_ignore_change(
        request, retrospective, section, done=f"“{ignore.rule}” in “{section.title}” counts again.", error=error
    )


@login_required
@require_POST
def retrospective_transition_view(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Unknown state.")
        return redirect("retrospective_detail", pk=pk)
    from_state = retrospective.state
    try:
        changed = retrospective_transition(
            retrospective=retrospective,
            to_state=form.cleaned_data["to_state"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if from_state == Retrospective.State.DONE:
            messages.success(request, "Reopened: it is back in review and can be changed again.")
        elif changed.state == Retrospective.State.DONE:
            messages.success(request, "Marked done and published. It is read-only now: reopen it to change anything.")
        else:
            messages.success(request, f"Now {changed.get_state_display().lower()}.")
    return redirect("retrospective_detail", pk=pk)


@login_required
def retrospective_export(request, pk, fmt):
    if fmt not in EXPORT_FORMATS:
        raise Http404("Unknown export format.")
    return export_response(retrospective_detail_or_404(user=request.user, pk=pk), fmt)


@login_required
def retrospective_print(request, pk):
    return print_response(retrospective_detail_or_404(user=request.user, pk=pk))


@login_required
def retrospective_import(request, incident_pk):
    incident = incident_editable_or_403(
        user=request.user,
        pk=incident_pk,
        detail=True,
        forbidden="Only members of the incident's team can add a retrospective to it.",
    )
    form = ImportMarkdownForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            form.add_error("file", f"{upload.name} is not UTF-8 text.")
        else:
            try:
                retrospective = retrospective_import_markdown(
                    incident=incident, text=text, by=request.user, source=upload.name
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _imported_message(upload.name, retrospective))
                return redirect("retrospective_detail", pk=retrospective.pk)
    return render(request, "writeups/import.html", {"form": form, "incident": incident})


def _imported_message(name: str, retrospective) -> str:
    match = template_match(retrospective)
    version = retrospective.template_version
    said = (
        f"Imported {name}: {len(match.matched)} section{'' if len(match.matched) == 1 else 's'} matched "
        f"{version.name} v{version.number}"
    )
    if match.extra:
        said += f", {len(match.extra)} kept as extra section{'' if len(match.extra) == 1 else 's'}"
    return said + "."


@login_required
def done_list(request):
    form = DoneFiltersForm(request.GET, user=request.user)
    page = paginate(request, done_writeups(user=request.user, filters=form.filters()))
    page.object_list = with_approvers(page.object_list)
    return render(
        request,
        "writeups/done_list.html",
        {"page": page, "form": form, "querystring": querystring_without_page(request)},
    )


# --- Templates ------------------------------------------------------------------------------


@login_required
def template_list(request):
    templates = templates_visible_to(request.user).prefetch_related("versions")
    return render(request, "writeups/template_list.html", {"templates": templates})


def _template_or_404(request, key):
    template = template_by_key(user=request.user, key=key)
    if template is None:
        raise Http404("No such template.")
    return template


@login_required
def template_detail(request, key):
    template = _template_or_404(request, key)
    versions = list(template.versions.select_related("created_by").order_by("-number"))
    number = request.GET.get("version")
    version = next((v for v in versions if str(v.number) == number), versions[0])
    sections = [dict(s, guidance_html=render_markdown(s.get("guidance", ""))) for s in version.sections]
    return render(
        request,
        "writeups/template_detail.html",
        {"template": template, "version": version, "versions": versions, "sections": sections},
    )


@login_required
def template_download(request, key):
    template = _template_or_404(request, key)
    version = template.versions.order_by("-number").first()
    definition = validate_definition(
        {"key": template.key, "name": version.name, "description": version.description, "sections": version.sections}
    )
    response = HttpResponse(definition_to_yaml(definition), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{template.key}.yaml"'
    return response


@login_required
def template_import(request):
    form = TemplateImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            text, name = form.definition_text()
            definition = parse_definition_text(text, filename=name)
            template, created = template_save(
                definition=definition, by=request.user, team=form.cleaned_data["team"], replace_same_key=True
            )
        except DefinitionError as exc:
            form.add_error("definition", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("team", str(exc))
        else:
            saved = "Imported" if created else "Saved a new version of"
            messages.success(request, f"{saved} “{definition.name}”.")
            return redirect("template_detail", key=template.key)
    return render(request, "writeups/template_import.html", {"form": form})


@login_required
def template_edit(request, key=None):
    template = _template_or_404(request, key) if key else None
    if template is not None and template.is_builtin:
        raise PermissionDenied("Built-in templates cannot be changed; import a copy under a new key instead.")
    initial_meta, initial_sections = {}, []
    if template is not None:
        version = template.versions.order_by("-number").first()
        initial_meta = {
            "team": template.team_id,
            "key": template.key,
            "name": version.name,
            "description": version.description,
        }
        initial_sections = [
            {k: s.get(k) for k in ("key", "title", "kind", "required", "guidance")} for s in version.sections
        ]
    meta = TemplateMetaForm(request.POST or None, user=request.user, initial=initial_meta)
    formset = TemplateSectionFormSet(request.POST or None, initial=initial_sections, prefix="sections")
    if template is not None:
        meta.fields["key"].disabled = True
        meta.fields["team"].disabled = True
    if request.method == "POST" and meta.is_valid() and formset.is_valid():
        sections = [
            {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            definition = validate_definition(
                {
                    "key": meta.cleaned_data["key"],
                    "name": meta.cleaned_data["name"],
                    "description": meta.cleaned_data["description"],
                    "sections": sections,
                }
            )
            template, _ = template_save(
                definition=definition, by=request.user, team=meta.cleaned_data["team"], template=template
            )
        except DefinitionError as exc:
            meta.add_error(None, str(exc))
        except ValidationError as exc:
            add_service_errors(meta, exc)
        except PermissionDenied as exc:
            meta.add_error(None, str(exc))
        else:
            messages.success(request, "Template saved.")
            return redirect("template_detail", key=template.key)
    return render(request, "writeups/template_form.html", {"meta": meta, "formset": formset, "template": template})


@login_required
def retrospective_assign_view(request, pk):
    from .forms import AssignForm
    from .services import retrospective_assign

    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not can_edit_incident(request.user, retrospective.incident):
        raise PermissionDenied("Only members of the incident's team can assign the retrospective.")
    form = AssignForm(
        request.POST or None,
        user=request.user,
        initial={"owner": retrospective.owner_id, "shadow": retrospective.shadow_id, "due_at": retrospective.due_at},
    )
    if request.method == "POST" and form.is_valid():
        try:
            retrospective_assign(retrospective=retrospective, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ReadOnlyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Assignment saved.")
            return redirect("retrospective_detail", pk=pk)
    read_only = done_read_only_message(retrospective) if retrospective.state == Retrospective.State.DONE else None
    return render(
        request,
        "writeups/assign.html",
        {"form": form, "retrospective": retrospective, "read_only": read_only},
        status=409 if read_only and request.method == "POST" else 200,
    )


@login_required
@require_POST
def section_fill_timeline(request, pk, key):
    from retrospector.timeline.selectors import display_zone

    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    section = _section_or_404(retrospective, key)
    try:
        section_fill_from_key_events(
            section=section,
            base_version=int(request.POST.get("base_version", "0") or 0),
            by=request.user,
            zone=display_zone(retrospective.incident, request.user),
        )
    except ConflictError as exc:
        messages.error(request, f"{exc} Nothing was replaced.")
    except ReadOnlyError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"“{section.title}” now lists the incident's key events; the previous text is in its history."
        )
    return redirect(f"{retrospective_url(retrospective)}#section-{section.key}")


@login_required
def organization_checks(request):
    """Settings › Write-up checks: a form for the common settings (each rule's level, the people, roles and allow word
    lists) and the whole configuration as YAML; saving either rewrites the one stored configuration, so both show
    the same settings."""
    import yaml

    from retrospector.accounts.services import organization_checks_config_set
    from retrospector.checks import ConfigError
    from retrospector.checks.config import Config, rule_levels, with_rule_levels

    from .forms import ChecksSettingsForm

    if not request.user.is_org_admin:
        raise PermissionDenied("Only organization admins can tune the write-up checks for everyone.")
    organization = request.user.organization
    stored = organization.checks_config or {}
    try:
        levels, words, broken = rule_levels(stored), Config.from_dict(stored).words, None
    except ConfigError as exc:  # stored before a rule was renamed or removed: the form starts from the defaults
        levels, words, broken = rule_levels({}), {}, f"The stored settings no longer work ({exc}); fix them below."
    action = None
    if request.method == "POST":  # the YAML form alone, as the page had it before the form, sends no action
        action = request.POST.get("action") or ("yaml" if "checks_config" in request.POST else "form")
    form = ChecksSettingsForm(request.POST if action == "form" else None, levels=levels, words=words)
    text = (
        request.POST.get("checks_config", "")
        if action == "yaml"
        else (yaml.safe_dump(stored, sort_keys=False, allow_unicode=True) if stored else "")
    )
    yaml_error = None
    status = 200
    if action == "form" and form.is_valid():
        try:
            data = with_rule_levels({} if broken else stored, levels=form.levels(), words=form.words())
            organization_checks_config_set(
                organization=organization,
                text=yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                by=request.user,
            )
        except (ConfigError, ValidationError) as exc:
            form.add_error(None, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
            status = 422
        else:
            messages.success(request, "Write-up checks settings saved for the whole organization.")
            return redirect("organization_checks")
    elif action == "form":
        status = 422
    elif action == "yaml":
        try:
            organization_checks_config_set(organization=organization, text=text, by=request.user)
        except ValidationError as exc:
            yaml_error = " ".join(exc.messages)
            status = 422
        else:
            messages.success(request, "Write-up checks settings saved for the whole organization.")
            return redirect("organization_checks")
    return render(
        request,
        "writeups/checks_settings.html",
        {"form": form, "text": text, "yaml_error": yaml_error, "broken": broken},
        status=status,
    )


@login_required
def checks_rules(request):
    """The rules of the write-up checks, with examples, for everyone; each says what it does in the reader's
    organization when its settings change it."""
    from retrospector.checks import RULES, ConfigError
    from retrospector.checks.config import rule_levels

    try:
        organization = request.user.organization
        levels = rule_levels((organization.checks_config if organization else None) or {})
    except ConfigError:
        levels = rule_levels({})
    rules = [
        (rule, levels[rule.id], levels[rule.id] != (rule.severity if rule.enabled_by_default else "off"))
        for rule in RULES.values()
    ]
    return render(request, "writeups/checks_rules.html", {"rules": rules})
