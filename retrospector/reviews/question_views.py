"""Pages of the discussion questions: the list the owner prepares (add, edit, reorder, delete), the checker's warnings
as a question is typed, and their part of the retrospective's page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.core.forms import add_service_errors
from retrospector.core.http import is_htmx
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .account_views import event_choices, posted_ids
from .models import Question
from .questions import (
    QUESTION_MAX_CHARS,
    QUESTIONS_FORBIDDEN,
    QUESTIONS_MAX,
    QUESTIONS_MIN,
    accounts_telling_the_same_events,
    question_add,
    question_count_message,
    question_delete,
    question_findings,
    question_step,
    question_update,
    questions_ended_message,
    questions_of,
    suggested_differences,
)
from .responder_accounts import REVIEW_ENDED, accounts_of


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="Question",
        max_length=QUESTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Open, and about what people saw, expected and decided: “What did the dashboard show when …?”, "
        "“How did you decide …?”. The write-up checks warn about yes/no questions, “why” put to people and "
        "hindsight; they never stop you from saving.",
    )
    accounts_differ = forms.BooleanField(
        required=False, label="Accounts differ: two accounts describe the same event differently"
    )
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _with_findings(retrospective, questions: list[Question]) -> list[Question]:
    for question, findings in zip(
        questions, question_findings(retrospective, [q.text for q in questions]), strict=True
    ):
        question.findings = findings
    return questions


def _overview(request, retrospective) -> dict:
    """The questions with their warnings, the count, and the suggestions where two accounts link the same event."""
    questions = _with_findings(retrospective, list(questions_of(retrospective)))
    suggestions = suggested_differences(questions, accounts_telling_the_same_events(retrospective))
    ended = retrospective.state in REVIEW_ENDED
    return {
        "questions": questions,
        "count": len(questions),
        "count_message": question_count_message(len(questions)),
        "minimum": QUESTIONS_MIN,
        "maximum": QUESTIONS_MAX,
        "full": len(questions) >= QUESTIONS_MAX,
        "suggestions": suggestions,
        "ended": ended,
        "can_edit": not ended and can_edit_retrospective(request.user, retrospective),
    }


def questions_page_part(*, request, retrospective, sections) -> PagePart:
    return PagePart(main_template="reviews/_questions_part.html", context=_overview(request, retrospective))


def _editable_retrospective(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(QUESTIONS_FORBIDDEN)
    return retrospective


def _question_or_404(retrospective, question_pk) -> Question:
    question = retrospective.questions.filter(pk=question_pk).first()
    if question is None:
        raise Http404("No such question in this retrospective.")
    return question


def _form_context(request, retrospective, *, events: set[int], accounts: set[int]) -> dict:
    return {
        "events": event_choices(retrospective, request.user, events),
        "account_choices": [
            {"account": account, "checked": account.pk in accounts} for account in accounts_of(retrospective)
        ],
    }


def _checked(request, name: str) -> set[int]:
    return {int(v) for v in request.POST.getlist(name) if v.isdigit()}


@login_required
def questions_page(request, pk):
    """Everyone who may read the retrospective sees its questions; its editors add, change, move and delete them."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    context = {"retrospective": retrospective, **_overview(request, retrospective)}
    status = 200
    if request.method == "POST":
        if not can_edit_retrospective(request.user, retrospective):
            raise PermissionDenied(QUESTIONS_FORBIDDEN)
        form = QuestionForm(request.POST)
        if form.is_valid():
            try:
                question = question_add(
                    retrospective=retrospective,
                    text=form.cleaned_data["text"],
                    event_ids=posted_ids(request, "events"),
                    account_ids=posted_ids(request, "accounts"),
                    accounts_differ=form.cleaned_data["accounts_differ"],
                    by=request.user,
                )
            except ReadOnlyError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 422
            else:
                _said_saved(request, retrospective, question, "Question added")
                return redirect(f"{reverse('questions', args=[pk])}#question-{question.pk}")
        else:
            status = 422
        events, accounts = _checked(request, "events"), _checked(request, "accounts")
    else:
        initial = {}
        events, accounts = set(), set()
        if (about := request.GET.get("event", "")).isdigit():  # a suggestion: two accounts link this event
            events = {int(about)}
            accounts = {int(a) for a in request.GET.getlist("account") if a.isdigit()}
            initial["accounts_differ"] = True
        form = QuestionForm(initial=initial)
    context.update(form=form, **_form_context(request, retrospective, events=events, accounts=accounts))
    return render(request, "reviews/questions.html", context, status=status)


def _said_saved(request, retrospective, question, done: str) -> None:
    findings = question_findings(retrospective, [question.text])[0]
    if findings:
        messages.warning(
            request,
            f"{done}, with {len(findings)} warning{'' if len(findings) == 1 else 's'} of the write-up checks: "
            + " ".join(f.message for f in findings),
        )
    else:
        messages.success(request, f"{done}.")


@login_required
def question_edit(request, pk, question_pk):
    retrospective = _editable_retrospective(request, pk)
    question = _question_or_404(retrospective, question_pk)
    ended = retrospective.state in REVIEW_ENDED
    form = QuestionForm(
        request.POST or None,
        initial={"text": question.text, "accounts_differ": question.accounts_differ, "base_version": question.version},
    )
    events = {e.pk for e in question.events.all()}
    accounts = {a.pk for a in question.accounts.all()}
    context = {"retrospective": retrospective, "question": question, "ended": ended}
    status = 200
    if request.method == "POST":
        events, accounts = _checked(request, "events"), _checked(request, "accounts")
        if form.is_valid():
            try:
                question = question_update(
                    question=question,
                    base_version=form.cleaned_data["base_version"] or 0,
                    text=form.cleaned_data["text"],
                    event_ids=posted_ids(request, "events"),
                    account_ids=posted_ids(request, "accounts"),
                    accounts_differ=form.cleaned_data["accounts_differ"],
                    by=request.user,
                )
            except ConflictError as exc:
                theirs = exc.current
                context.update(conflict=str(exc), theirs=theirs, mine=form.cleaned_data["text"])
                form = QuestionForm(
                    initial={
                        "text": form.cleaned_data["text"],
                        "accounts_differ": form.cleaned_data["accounts_differ"],
                        "base_version": theirs.version,
                    }
                )
                status = 409
            except ReadOnlyError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 422
            else:
                _said_saved(request, retrospective, question, "Question saved")
                return redirect(f"{reverse('questions', args=[pk])}#question-{question.pk}")
        else:
            status = 422
    if ended:
        context["ended_message"] = questions_ended_message(retrospective)
    text = form["text"].value() or ""
    context.update(
        form=form,
        findings=question_findings(retrospective, [text])[0] if text.strip() else [],
        **_form_context(request, retrospective, events=events, accounts=accounts),
    )
    return render(request, "reviews/question_edit.html", context, status=status)


@login_required
@require_POST
def question_move_view(request, pk, question_pk):
    retrospective = _editable_retrospective(request, pk)
    question = _question_or_404(retrospective, question_pk)
    try:
        question_step(question=question, direction=request.POST.get("direction", ""), by=request.user)
    except ReadOnlyError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('questions', args=[pk])}#question-{question.pk}")


@login_required
@require_POST
def question_delete_view(request, pk, question_pk):
    retrospective = _editable_retrospective(request, pk)
    question = _question_or_404(retrospective, question_pk)
    try:
        question_delete(question=question, by=request.user)
    except ReadOnlyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Deleted “{question.text}”.")
    return redirect("questions", pk=pk)


@login_required
@require_POST
def question_check(request, pk):
    """The checker's warnings for a question being typed (htmx, after a pause): changes nothing."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    text = request.POST.get("text", "")[: QUESTION_MAX_CHARS * 2]
    findings = question_findings(retrospective, [text])[0] if text.strip() else []
    return render(
        request,
        "reviews/_question_findings.html",
        {"findings": findings, "checked": bool(text.strip()), "live": is_htmx(request)},
    )
