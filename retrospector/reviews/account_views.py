"""Pages of the responders' accounts: asking for them, writing one's own, and their part of the retrospective's page."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from retrospector.accounts.selectors import people_by_username
from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.core.forms import add_service_errors
from retrospector.core.markdown import html_for_reader, render_markdown
from retrospector.timeline.selectors import display_zone, timeline_events
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .models import AccountRequest
from .responder_accounts import (
    ACCOUNT_GUIDANCE,
    ACCOUNT_MAX_CHARS,
    ASK_FORBIDDEN,
    MESSAGE_MAX_CHARS,
    REVIEW_ENDED,
    WRITE_FORBIDDEN,
    account_of,
    account_request_create,
    account_request_withdraw,
    account_requests_of,
    account_update,
    account_write,
    accounts_for_page,
    is_responder,
    may_write_account,
    request_candidates,
    review_ended_message,
)
from .shown import clock, cut

# --- Shared by the accounts' and the questions' forms ----------------------------------------------------------------


@dataclass(frozen=True)
class EventChoice:
    pk: int
    local: object
    actor: str
    text: str
    key_event: bool
    checked: bool


def event_choices(retrospective, viewer, checked: set[int]) -> list[EventChoice]:
    """The incident's shown events (and any hidden one already linked), in time order, as checkboxes: rendered by
    hand, since Django's widgets cost milliseconds per option and a timeline has thousands of events."""
    incident = retrospective.incident
    zone = display_zone(incident, viewer)
    events = timeline_events(incident=incident, include_hidden=True).only(
        "id", "occurred_at", "actor", "text", "key_event", "hidden"
    )
    return [
        EventChoice(
            event.pk,
            event.occurred_at.astimezone(zone),
            event.actor,
            event.text if len(event.text) <= 160 else event.text[:159].rstrip() + "…",
            event.key_event,
            event.pk in checked,
        )
        for event in events
        if not event.hidden or event.pk in checked
    ]


def posted_ids(request, name: str, *, field: str | None = None) -> list[int]:
    """The ids a form posted under `name` (checkboxes); a value that is not an id is a ValidationError on `field`."""
    ids = []
    for value in request.POST.getlist(name):
        try:
            ids.append(int(value))
        except ValueError:
            raise ValidationError({field or name: f"{value!r} is not an id."}) from None
    return ids


# --- The retrospective's page ----------------------------------------------------------------------------------------


def accounts_page_part(*, request, retrospective, sections) -> PagePart:
    """Who was asked for an account, who answered and when, and the accounts themselves (folded): a constant number
    of queries, however many accounts; rendered by Jinja2 (reviews/jinja2/reviews/_accounts_part.html)."""
    requests = list(account_requests_of(retrospective))
    accounts = accounts_for_page(retrospective)
    when_shown = clock()
    for r in requests:
        r.requested_when, r.answered_when = when_shown(r.requested_at), when_shown(r.answered_at)
    for account in accounts:
        account.shown_html = mark_safe(html_for_reader(request, account.html))
        account.created_when, account.updated_when = when_shown(account.created_at), when_shown(account.updated_at)
        for event in account.event_list:
            event.when, event.text_shown = when_shown(event.occurred_at), cut(event.text, 120)
    user = request.user
    mine = next((a for a in accounts if a.author_id == user.pk), None)
    asked = any(r.responder_id == user.pk and r.withdrawn_at is None for r in requests)
    ended = retrospective.state in REVIEW_ENDED
    may_write = mine is None and not ended and (asked or is_responder(user, retrospective))
    context = {
        "requests": requests,
        "accounts": accounts,
        "user_id": user.pk,
        "may_write": may_write,
        "may_edit_mine": mine is not None and not ended,
        "can_ask": not ended and can_edit_retrospective(user, retrospective),
        "ended": ended,
        "answered": sum(1 for r in requests if r.answered_at and not r.withdrawn_at),
        "asked": sum(1 for r in requests if not r.withdrawn_at),
        "urls": {
            "write": reverse("account_write", args=[retrospective.pk]),
            "ask": reverse("account_requests", args=[retrospective.pk]),
        },
    }
    html = render_to_string("reviews/_accounts_part.html", context, using="jinja2")
    return PagePart(main_template="reviews/_rendered_part.html", context={"html": mark_safe(html)})


# --- Asking for accounts ---------------------------------------------------------------------------------------------


class AskForm(forms.Form):
    others = forms.CharField(
        required=False,
        max_length=2000,
        label="Someone else",
        help_text="Usernames of other people of your organization, separated by commas: anyone who can see the "
        "incident may be asked.",
    )
    message = forms.CharField(
        required=False,
        max_length=MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Message (optional)",
        help_text="Sent with the request, e.g. what you would most like to hear about.",
    )


def _listed(names) -> str:
    """ "Bob", "Bob and Charlie", "Bob, Charlie and Dana"."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _editable_retrospective(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(ASK_FORBIDDEN)
    return retrospective


@login_required
def account_requests(request, pk):
    retrospective = _editable_retrospective(request, pk)
    form = AskForm(request.POST or None)
    status = 200
    chosen = set(request.POST.getlist("responders"))
    if request.method == "POST" and form.is_valid():
        names = [n.strip().lstrip("@") for n in form.cleaned_data["others"].split(",") if n.strip()]
        names = list(dict.fromkeys([*sorted(chosen), *names]))
        found = people_by_username(user=request.user, usernames=names)
        unknown = [n for n in names if n not in found]
        if unknown:
            form.add_error("others", f"Unknown person: {', '.join(unknown)}.")
        else:
            try:
                asked = account_request_create(
                    retrospective=retrospective,
                    responders=[found[n] for n in names],
                    by=request.user,
                    message=form.cleaned_data["message"],
                )
            except ReadOnlyError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                if "responders" in getattr(exc, "error_dict", {}):
                    form.add_error(None, " ".join(exc.error_dict["responders"][0].messages))
                else:
                    add_service_errors(form, exc)
            else:
                said = []
                if asked.created:
                    said.append("Asked " + _listed(r.responder.display_name for r in asked.created) + ".")
                if asked.already:
                    said.append(
                        "Already asked: " + _listed(r.responder.display_name for r in asked.already) + " (unchanged)."
                    )
                messages.success(request, " ".join(said))
                return redirect(f"{reverse('retrospective_detail', args=[pk])}#accounts")
        if status == 200:
            status = 422
    elif request.method == "POST":
        status = 422
    requests = list(account_requests_of(retrospective))
    standing = {r.responder_id: r for r in requests if r.withdrawn_at is None}
    candidates = [
        {"person": person, "request": standing.get(person.pk), "checked": person.username in chosen}
        for person in request_candidates(retrospective)
    ]
    return render(
        request,
        "reviews/account_requests.html",
        {
            "retrospective": retrospective,
            "form": form,
            "candidates": candidates,
            "requests": requests,
            "ended": retrospective.state in REVIEW_ENDED,
            "ended_message": review_ended_message(retrospective),
        },
        status=status,
    )


@login_required
@require_POST
def account_request_withdraw_view(request, pk, request_pk):
    retrospective = _editable_retrospective(request, pk)
    asked = (
        AccountRequest.objects.filter(retrospective=retrospective, pk=request_pk).select_related("responder").first()
    )
    if asked is None:
        raise Http404("No such request.")
    try:
        account_request_withdraw(request=asked, by=request.user)
    except (ValidationError, ReadOnlyError) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, f"Withdrew the request to {asked.responder.display_name}.")
    return redirect("account_requests", pk=pk)


# --- Writing one's own account ---------------------------------------------------------------------------------------


class AccountForm(forms.Form):
    body = forms.CharField(
        label="Your account (Markdown)",
        max_length=ACCOUNT_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        help_text=ACCOUNT_GUIDANCE,
    )
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


@login_required
def account_write_view(request, pk):
    """Write your account, or change the one you wrote."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    account = account_of(retrospective=retrospective, user=request.user)
    if account is None and not may_write_account(request.user, retrospective):
        raise PermissionDenied(WRITE_FORBIDDEN)
    ended = retrospective.state in REVIEW_ENDED
    initial = {"body": account.body, "base_version": account.version} if account else {}
    form = AccountForm(request.POST or None, initial=initial)
    checked = {e.pk for e in account.events.all()} if account else set()
    context = {"retrospective": retrospective, "account": account, "form": form, "ended": ended}
    status = 200
    if request.method == "POST":
        checked = {int(v) for v in request.POST.getlist("events") if v.isdigit()}
        if form.is_valid():
            try:
                event_ids = posted_ids(request, "events")
                if account is None:
                    account = account_write(
                        retrospective=retrospective,
                        body=form.cleaned_data["body"],
                        event_ids=event_ids,
                        by=request.user,
                    )
                    done = "Thank you: your account is saved and shown on the retrospective."
                else:
                    account = account_update(
                        account=account,
                        body=form.cleaned_data["body"],
                        event_ids=event_ids,
                        base_version=form.cleaned_data["base_version"] or 0,
                        by=request.user,
                    )
                    done = "Your account is saved."
            except ConflictError as exc:
                theirs = exc.current
                context.update(
                    conflict=str(exc),
                    theirs=theirs,
                    theirs_html=html_for_reader(request, render_markdown(theirs.body)),
                    mine=form.cleaned_data["body"],
                    account=theirs,
                )
                form = AccountForm(initial={"body": form.cleaned_data["body"], "base_version": theirs.version})
                context["form"] = form
                status = 409
            except ReadOnlyError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
                if "events" in getattr(exc, "error_dict", {}):
                    context["events_error"] = exc.error_dict["events"][0].messages[0]
                status = 422
            else:
                messages.success(request, done)
                return redirect(f"{reverse('retrospective_detail', args=[pk])}#account-{account.pk}")
        else:
            status = 422
    if ended:
        context["ended_message"] = review_ended_message(retrospective)
        context["account_html"] = html_for_reader(request, account.html) if account else ""
    context["events"] = event_choices(retrospective, request.user, checked)
    return render(request, "reviews/account_edit.html", context, status=status)
