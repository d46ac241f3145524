"""Pages of the feedback threads: the column beside each section of a retrospective's page (a page part), its forms,
and the list of all threads. Thin: the rules are in reviews.threads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.core.forms import add_service_errors
from retrospector.core.http import is_htmx
from retrospector.core.paging import paginate, querystring_without_page
from retrospector.writeups.page_parts import PagePart

from .forms import CommentEditForm, ReplyForm, ResolveForm, ThreadStartForm, new_client_token
from .models import Thread
from .shown import clock, cut
from .threads import (
    EDIT_OWN_ONLY,
    THREAD_FILTERS,
    can_comment,
    can_resolve,
    comment_add,
    comment_detail_or_404,
    comment_edit,
    retrospective_for_feedback_or_404,
    thread_detail_or_404,
    thread_reopen,
    thread_resolve,
    thread_start,
    threads_count,
    threads_for_page,
    threads_of_retrospective,
    threads_reanchor,
    with_comments,
)

FILTER_LABELS = {"all": "All", "open": "Open", "resolved": "Resolved", "mine": "Mine"}


def _retrospective_url(retrospective, anchor: str = "") -> str:
    url = reverse("retrospective_detail", args=[retrospective.pk])
    return f"{url}#{anchor}" if anchor else url


def _not_notified_message(people) -> str:
    names = ", ".join(f"@{person.username}" for person in people)
    verb = "was" if len(people) == 1 else "were"
    return f"{names} {verb} not notified: they may not see this incident."


class _Urls:
    """Addresses of the threads' forms, reversed once per page and filled in for each thread."""

    def __init__(self):
        def pattern(name):
            return reverse(name, args=[_PLACEHOLDER]).replace(str(_PLACEHOLDER), "{}")

        self.reply, self.resolve = pattern("thread_comment_add"), pattern("thread_resolve")
        self.reopen, self.edit = pattern("thread_reopen"), pattern("comment_edit")
        self.page = pattern("thread_detail")


_PLACEHOLDER = 987654321


def _decorate(threads, urls: _Urls, *, name=None, form=None, fold: bool = True) -> None:
    """What the threads' template prints, computed in Python once: addresses, times, a new client token per form,
    and the form sent with errors (`name` says which: "reply-<thread id>", "resolve-<thread id>"). With `fold`, a
    resolved thread shows its resolution and a link to its conversation, not the conversation (the column of a
    section with dozens of settled threads stays short, and the page fast)."""
    when_shown = clock()
    kinds, resolutions = dict(Thread.Kind.choices), dict(Thread.Resolution.choices)
    for thread in threads:
        thread.kind_label, thread.resolution_label = kinds.get(thread.kind, ""), resolutions.get(thread.resolution, "")
        thread.urls = {
            "reply": urls.reply.format(thread.pk),
            "resolve": urls.resolve.format(thread.pk),
            "reopen": urls.reopen.format(thread.pk),
            "page": urls.page.format(thread.pk),
        }
        thread.folded = fold and not thread.is_open
        thread.reply_token = new_client_token()
        thread.reply_form = form if name == f"reply-{thread.pk}" else None
        thread.resolve_form = form if name == f"resolve-{thread.pk}" else None
        thread.resolved_when = when_shown(thread.resolved_at)
        # Cut here rather than by Django's truncatechars in the template: its word-aware Truncator is slow.
        thread.quote_shown = cut(thread.quote, 400)
        for comment in thread.comment_list:
            comment.when = when_shown(comment.created_at)
            comment.edit_url = urls.edit.format(comment.pk)


def _radios(name: str, choices) -> str:
    """A required radio button for each choice, none checked: the same in every thread's form, so made once."""
    return format_html_join(
        "",
        '<label class="check"><input type="radio" name="{}" value="{}" required> {}</label>',
        ((name, value, label) for value, label in choices),
    )


def _csrf_field(request) -> str:
    token = get_token(request)
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def _columns(request, retrospective, sections, by_section, *, bound=None, notice="", oob=None) -> dict[int, str]:
    """Each section's threads rendered (Jinja2, see reviews/jinja2/reviews/_threads_column.html), by section id."""
    user = request.user
    name, form = bound or (None, None)
    urls = _Urls()
    shared = {
        # The CSRF field made once: the engine's csrf_token is lazy, and masks the secret anew each time it is printed.
        "csrf_field": _csrf_field(request),
        "can_comment": can_comment(user, retrospective),
        "can_resolve": can_resolve(user, retrospective),
        "user_id": user.pk,
        "kinds": Thread.Kind.choices,
        "resolutions": Thread.Resolution.choices,
        "kind_radios": _radios("kind", Thread.Kind.choices),
        "resolution_radios": _radios("resolution", Thread.Resolution.choices),
        "notice": notice,
        "open_count_oob": oob is not None,
        "open_count_text": oob or "",
        "standalone": False,
    }
    columns = {}
    for section in sections:
        threads = by_section.get(section.pk, [])
        _decorate(threads, urls, name=name, form=form)
        context = {
            **shared,
            "section": section,
            "threads": threads,
            "open_threads": [t for t in threads if t.is_open],
            "resolved_threads": [t for t in threads if not t.is_open],
            "new_token": new_client_token(),
            "new_form": form if name == "new" else None,
            "urls": {
                "column": reverse("section_threads", args=[retrospective.pk, section.key]),
                "start": reverse("thread_start", args=[retrospective.pk, section.key]),
            },
        }
        columns[section.pk] = mark_safe(
            render_to_string("reviews/_threads_column.html", context, request=request, using="jinja2")
        )
    return columns


def _open_count_text(open_count: int, total: int) -> str:
    text = f"{open_count} open thread{'' if open_count == 1 else 's'}"
    return text if total == open_count else f"{text} of {total}"


def threads_page_part(*, request, retrospective, sections) -> PagePart:
    """The threads beside each section of the retrospective's page, and a summary in its side column."""
    by_section = threads_for_page(retrospective=retrospective, sections=sections, user=request.user)
    every = [thread for threads in by_section.values() for thread in threads]
    open_count = sum(1 for thread in every if thread.is_open)
    return PagePart(
        side_template="reviews/_threads_side.html",
        section_template="reviews/_section_threads.html",
        context={
            "retrospective": retrospective,
            "columns": _columns(request, retrospective, sections, by_section),
            "can_comment": can_comment(request.user, retrospective),
            "open_count_text": _open_count_text(open_count, len(every)),
        },
    )


def _section_or_404(retrospective, key):
    section = retrospective.sections.filter(key=key).first()
    if section is None:
        raise Http404("No such section.")
    return section


def _column(request, retrospective, section, *, status=200, bound=None, notice=""):
    """The threads of one section, as the page shows them beside it (for htmx, with the side column's count)."""
    if section.get_deferred_fields():  # a thread's section comes without its text, which re-anchoring reads
        section = retrospective.sections.get(pk=section.pk)
    threads = with_comments(
        threads_of_retrospective(retrospective=retrospective, user=request.user, section=section),
        bodies=False,
        open_only=True,
    )
    threads_reanchor(threads, [section])
    oob = None
    if is_htmx(request):
        counts = threads_count(retrospective=retrospective)
        oob = _open_count_text(counts["open"], counts["total"])
    columns = _columns(request, retrospective, [section], {section.pk: threads}, bound=bound, notice=notice, oob=oob)
    return HttpResponse(columns[section.pk], status=status)


def _after_write(request, retrospective, section, *, anchor: str, notice: str, thread=None):
    """htmx: the section's column again. Otherwise back where the form was: the thread's page when it was sent from
    there (`back=thread`), or the retrospective's page at the thread or comment."""
    if is_htmx(request):
        return _column(request, retrospective, section, notice=notice)
    messages.success(request, notice)
    if thread is not None and request.POST.get("back") == "thread":
        return redirect(f"{reverse('thread_detail', args=[thread.pk])}#{anchor}")
    return redirect(_retrospective_url(retrospective, anchor))


def _refused(request, retrospective, section, *, name, form, action, thread=None):
    """A form sent with errors: shown again with what was typed (in the column for htmx, on a page of its own
    otherwise), 422."""
    if is_htmx(request):
        return _column(request, retrospective, section, status=422, bound=(name, form))
    context = {"retrospective": retrospective, "section": section, "form": form, "action": action, "thread": thread}
    return render(request, "reviews/comment_form.html", context, status=422)


@login_required
@require_GET
def section_threads(request, pk, key):
    retrospective = retrospective_for_feedback_or_404(user=request.user, pk=pk)
    return _column(request, retrospective, _section_or_404(retrospective, key))


@login_required
@require_POST
def thread_start_view(request, pk, key):
    retrospective = retrospective_for_feedback_or_404(user=request.user, pk=pk)
    section = _section_or_404(retrospective, key)
    form = ThreadStartForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            posted = thread_start(
                retrospective=retrospective,
                section=section,
                kind=data["kind"],
                quote=data["quote"],
                body=data["body"],
                client_token=data["client_token"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ReadOnlyError as exc:
            form.add_error(None, str(exc))
        else:
            notice = "Comment added." if posted.created else "Already added (sent twice)."
            if posted.not_notified:
                notice += " " + _not_notified_message(posted.not_notified)
            return _after_write(request, retrospective, section, anchor=f"thread-{posted.thread.pk}", notice=notice)
    action = reverse("thread_start", args=[retrospective.pk, section.key])
    return _refused(request, retrospective, section, name="new", form=form, action=action)


@login_required
@require_POST
def comment_add_view(request, thread_pk):
    thread = thread_detail_or_404(user=request.user, pk=thread_pk)
    retrospective, section = thread.retrospective, thread.section
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            posted = comment_add(
                thread=thread,
                body=form.cleaned_data["body"],
                client_token=form.cleaned_data["client_token"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ReadOnlyError as exc:
            form.add_error(None, str(exc))
        else:
            notice = "Reply added." if posted.created else "Already added (sent twice)."
            if posted.not_notified:
                notice += " " + _not_notified_message(posted.not_notified)
            return _after_write(
                request, retrospective, section, anchor=f"comment-{posted.comment.pk}", notice=notice, thread=thread
            )
    action = reverse("thread_comment_add", args=[thread.pk])
    return _refused(request, retrospective, section, name=f"reply-{thread.pk}", form=form, action=action, thread=thread)


@login_required
def comment_edit_view(request, comment_pk):
    comment = comment_detail_or_404(user=request.user, pk=comment_pk)
    thread = comment.thread
    retrospective, section = thread.retrospective, thread.section
    form = CommentEditForm(request.POST or None, initial={"body": comment.body, "base_version": comment.version})
    context = {"retrospective": retrospective, "section": section, "thread": thread, "comment": comment, "form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            posted = comment_edit(
                comment=comment,
                body=form.cleaned_data["body"],
                base_version=form.cleaned_data["base_version"],
                by=request.user,
            )
        except ConflictError as exc:
            theirs = exc.current
            context.update(
                conflict=str(exc),
                theirs=theirs,
                mine=form.cleaned_data["body"],
                form=CommentEditForm(initial={"body": form.cleaned_data["body"], "base_version": theirs.version}),
            )
            return render(request, "reviews/comment_edit.html", context, status=409)
        except (ValidationError, ReadOnlyError) as exc:
            if isinstance(exc, ValidationError):
                add_service_errors(form, exc)
            else:
                form.add_error(None, str(exc))
            status = 422 if isinstance(exc, ValidationError) else 409
        else:
            notice = "Comment saved."
            if posted.not_notified:
                notice += " " + _not_notified_message(posted.not_notified)
            messages.success(request, notice)
            return redirect(f"{reverse('thread_detail', args=[thread.pk])}#comment-{comment.pk}")
    elif request.method == "POST":
        status = 422
    elif comment.author_id != request.user.pk:
        raise PermissionDenied(EDIT_OWN_ONLY)
    return render(request, "reviews/comment_edit.html", context, status=status)


@login_required
@require_POST
def thread_resolve_view(request, thread_pk):
    thread = thread_detail_or_404(user=request.user, pk=thread_pk)
    retrospective, section = thread.retrospective, thread.section
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            thread = thread_resolve(
                thread=thread,
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ReadOnlyError as exc:
            form.add_error(None, str(exc))
        else:
            notice = f"Thread resolved as {thread.get_resolution_display().lower()}."
            return _after_write(
                request, retrospective, section, anchor=f"thread-{thread.pk}", notice=notice, thread=thread
            )
    action = reverse("thread_resolve", args=[thread.pk])
    return _refused(
        request, retrospective, section, name=f"resolve-{thread.pk}", form=form, action=action, thread=thread
    )


@login_required
@require_POST
def thread_reopen_view(request, thread_pk):
    thread = thread_detail_or_404(user=request.user, pk=thread_pk)
    try:
        thread_reopen(thread=thread, by=request.user)
    except ReadOnlyError as exc:
        messages.error(request, str(exc))
        return redirect(_retrospective_url(thread.retrospective, f"thread-{thread.pk}"))
    return _after_write(
        request,
        thread.retrospective,
        thread.section,
        anchor=f"thread-{thread.pk}",
        notice="Thread reopened.",
        thread=thread,
    )


@login_required
@require_GET
def thread_list(request, pk):
    retrospective = retrospective_for_feedback_or_404(user=request.user, pk=pk)
    status = request.GET.get("filter", "all")
    if status not in THREAD_FILTERS:
        status = "all"
    page = paginate(
        request, threads_of_retrospective(retrospective=retrospective, user=request.user, status=status), per_page=20
    )
    page.object_list = with_comments(page.object_list)
    return render(
        request,
        "reviews/thread_list.html",
        {
            "retrospective": retrospective,
            "incident": retrospective.incident,
            "page": page,
            "filter": status,
            "filters": [(key, FILTER_LABELS[key]) for key in THREAD_FILTERS],
            "querystring": querystring_without_page(request),
        },
    )


@login_required
@require_GET
def thread_detail_view(request, thread_pk):
    """A thread's own page: its whole conversation, with the forms to reply, resolve or reopen. Resolved threads are
    folded on the retrospective's page and link here; so do notifications, edits and the list of threads."""
    thread = thread_detail_or_404(user=request.user, pk=thread_pk)
    retrospective = thread.retrospective
    section = retrospective.sections.get(pk=thread.section_id)  # with its text, which re-anchoring reads
    threads_reanchor([thread], [section])
    user = request.user
    _decorate([thread], _Urls(), fold=False)
    context = {
        "csrf_field": _csrf_field(request),
        "can_comment": can_comment(user, retrospective),
        "can_resolve": can_resolve(user, retrospective),
        "user_id": user.pk,
        "resolutions": Thread.Resolution.choices,
        "resolution_radios": _radios("resolution", Thread.Resolution.choices),
        "section": section,
        "thread": thread,
        "standalone": True,
    }
    html = render_to_string("reviews/_thread.html", context, request=request, using="jinja2")
    return render(
        request,
        "reviews/thread_detail.html",
        {
            "retrospective": retrospective,
            "incident": retrospective.incident,
            "section": section,
            "thread": thread,
            "thread_html": mark_safe(html),
        },
    )
