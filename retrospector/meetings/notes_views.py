"""Pages of the meeting's notes (one form per agenda item, the roll call, a read-only and printable view for the
others) and of its decisions after the meeting (the owner's to-do, applied by a revision; ready for final approval),
and their part of the retrospective's page. Thin: the rules are in meetings.notes."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from retrospector.accounts.selectors import people_by_username
from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.core.http import is_htmx
from retrospector.writeups.models import Retrospective
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .agenda import agenda_sync, meeting_for
from .models import AgendaItem, Meeting
from .notes import (
    APPLY_FORBIDDEN,
    DECISION_MAX_CHARS,
    NOTES_FORBIDDEN,
    NOTES_MAX_CHARS,
    READY_FORBIDDEN,
    agenda_items_with_notes,
    attendees_of,
    decision_apply,
    decision_progress,
    decisions_of,
    item_notes_save,
    may_announce_ready,
    may_write_notes,
    meeting_has_notes,
    meeting_of,
    meeting_read_only_message,
    meeting_ready,
    meeting_started_at,
    ready_announced,
    revision_choices,
    roll_call,
)

DECISION_LABELS = dict(AgendaItem.Decision.choices)
ROLL_CALL_VALUES = {"yes": True, "no": False, "": None}


class ItemNotesForm(forms.Form):
    notes = forms.CharField(required=False, max_length=NOTES_MAX_CHARS, strip=False)
    decision = forms.ChoiceField(required=False, choices=[("", "No decision"), *AgendaItem.Decision.choices])
    decision_text = forms.CharField(required=False, max_length=DECISION_MAX_CHARS, strip=False)
    base_version = forms.IntegerField(min_value=1)


def _retrospective_and_meeting(request, pk):
    """The retrospective and its meeting, with the agenda's thread items brought up to date first (the note-taker may
    open the notes before anyone opened the agenda)."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if retrospective.state == Retrospective.State.MEETING:
        agenda_sync(meeting_for(retrospective))
    return retrospective, meeting_of(retrospective)


def _meeting_or_404(meeting: Meeting | None) -> Meeting:
    if meeting is None:
        raise Http404("This retrospective has no meeting agenda yet.")
    return meeting


def _item_or_404(meeting: Meeting, item_pk) -> AgendaItem:
    item = AgendaItem.objects.filter(pk=item_pk, meeting_id=meeting.pk).select_related("updated_by").first()
    if item is None:
        raise Http404("No such agenda item in this meeting.")
    return item


def _show(item: AgendaItem, *, values=None, errors=None, conflict=None, notice: str = "") -> AgendaItem:
    """What an item's form prints: the values (as saved, or as typed when refused), errors by field ('' for the whole
    form), the other version when the save conflicted, and a notice after a save."""
    item.values = values or {
        "notes": item.notes,
        "decision": item.decision,
        "decision_text": item.decision_text,
        "base_version": item.version,
    }
    item.errors = errors or {}
    item.conflict = conflict
    item.notice = notice
    item.decision_label = DECISION_LABELS.get(item.decision, "")
    return item


def _page_context(request, retrospective, meeting) -> dict:
    read_only = meeting_read_only_message(retrospective)
    writer = may_write_notes(request.user, retrospective, meeting)
    printing = request.GET.get("view") == "print"
    return {
        "retrospective": retrospective,
        "incident": retrospective.incident,
        "meeting": meeting,
        "writer": writer,
        "can_write": writer and read_only is None and not printing,
        "read_only_message": read_only if writer else "",
        "printing": printing,
        "decisions": AgendaItem.Decision.choices,
        "notes_max": NOTES_MAX_CHARS,
        "decision_max": DECISION_MAX_CHARS,
    }


@login_required
@require_GET
def meeting_notes(request, pk):
    """The note-taker's page: every agenda item with its notes and decision (a form each), and the roll call; the
    same, read-only, for everyone else who may see the retrospective, and for printing (?view=print)."""
    retrospective, meeting = _retrospective_and_meeting(request, pk)
    context = _page_context(request, retrospective, meeting)
    context["items"] = [_show(item) for item in agenda_items_with_notes(meeting)]
    context["attendees"] = attendees_of(meeting)
    return render(request, "meetings/notes.html", context)


def _item_response(request, retrospective, meeting, item, *, status=200):
    context = {**_page_context(request, retrospective, meeting), "item": item}
    return render(request, "meetings/notes_item.html", context, status=status)


@login_required
@require_POST
def item_notes_view(request, pk, item_pk):
    retrospective, meeting = _retrospective_and_meeting(request, pk)
    meeting = _meeting_or_404(meeting)
    item = _item_or_404(meeting, item_pk)
    if not may_write_notes(request.user, retrospective, meeting):
        raise PermissionDenied(NOTES_FORBIDDEN)
    form = ItemNotesForm(request.POST)
    typed = {
        "notes": request.POST.get("notes", ""),
        "decision": request.POST.get("decision", ""),
        "decision_text": request.POST.get("decision_text", ""),
        "base_version": request.POST.get("base_version", ""),
    }
    if not form.is_valid():
        errors = {name: " ".join(errs) for name, errs in form.errors.items()}
        return _refused(request, retrospective, meeting, _show(item, values=typed, errors=errors), status=422)
    data = form.cleaned_data
    try:
        saved = item_notes_save(
            item=item,
            notes=data["notes"],
            decision=data["decision"],
            decision_text=data["decision_text"],
            base_version=data["base_version"],
            by=request.user,
        )
    except ConflictError as exc:
        theirs = exc.current
        # Mine stays in the form, now based on their version: saving again is a knowing replacement.
        shown = _show(item, values={**typed, "base_version": theirs.version}, errors={"": str(exc)}, conflict=theirs)
        theirs.decision_label = DECISION_LABELS.get(theirs.decision, "")
        shown.version = theirs.version
        return _refused(request, retrospective, meeting, shown, status=409)
    except ReadOnlyError as exc:
        return _refused(request, retrospective, meeting, _show(item, values=typed, errors={"": str(exc)}), status=409)
    except ValidationError as exc:
        errors = {name: " ".join(errs) for name, errs in exc.message_dict.items()}
        return _refused(request, retrospective, meeting, _show(item, values=typed, errors=errors), status=422)
    notice = f"Notes of “{saved.title}” saved (version {saved.version})."
    if is_htmx(request):
        saved = AgendaItem.objects.select_related("updated_by", "thread__section").get(pk=saved.pk)
        return _item_response(request, retrospective, meeting, _show(saved, notice=notice))
    messages.success(request, notice)
    return redirect(f"{reverse('meeting_notes', args=[retrospective.pk])}#item-{saved.pk}")


def _refused(request, retrospective, meeting, item, *, status):
    """A refused save keeps what was typed: the item's form alone for htmx, else a page of its own with the form (and,
    on a conflict, both versions)."""
    if is_htmx(request):
        return _item_response(request, retrospective, meeting, item, status=status)
    context = {**_page_context(request, retrospective, meeting), "item": item}
    return render(request, "meetings/notes_conflict.html", context, status=status)


@login_required
@require_POST
def roll_call_view(request, pk):
    """The roll call form: attended-<user id> is yes, no or empty (not called); `add` names people (usernames, one
    per line or separated by commas) who attended without being asked."""
    retrospective, meeting = _retrospective_and_meeting(request, pk)
    meeting = _meeting_or_404(meeting)
    if not may_write_notes(request.user, retrospective, meeting):
        raise PermissionDenied(NOTES_FORBIDDEN)
    attended: dict[int, bool | None] = {}
    for name, value in request.POST.items():
        if name.startswith("attended-") and name[9:].isdigit() and value in ROLL_CALL_VALUES:
            attended[int(name[9:])] = ROLL_CALL_VALUES[value]
    names = [n.strip().lstrip("@") for n in request.POST.get("add", "").replace(",", "\n").splitlines() if n.strip()]
    url = f"{reverse('meeting_notes', args=[retrospective.pk])}#roll-call"
    if names:
        found = people_by_username(user=request.user, usernames=names)
        unknown = [name for name in names if name not in found]
        if unknown:
            messages.error(request, "Roll call not saved: unknown " + ", ".join(f"@{n}" for n in unknown) + ".")
            return redirect(url)
        for person in found.values():
            attended[person.pk] = True
    try:
        roll_call(meeting=meeting, attended=attended, by=request.user)
    except (ReadOnlyError, ValidationError) as exc:
        text = str(exc) if isinstance(exc, ReadOnlyError) else " ".join(exc.messages)
        messages.error(request, f"Roll call not saved: {text}")
    else:
        messages.success(request, "Roll call saved.")
    return redirect(url)


# --- After the meeting ------------------------------------------------------------------------------------------------


def _decisions_context(request, retrospective, meeting) -> dict:
    decisions = decisions_of(meeting)
    for item in decisions:
        item.decision_label = DECISION_LABELS.get(item.decision, "")
    progress = decision_progress(decisions)
    may_apply = can_edit_retrospective(request.user, retrospective)
    read_only = meeting_read_only_message(retrospective)
    may_ready = may_announce_ready(request.user, retrospective)
    return {
        "retrospective": retrospective,
        "incident": retrospective.incident,
        "meeting": meeting,
        "decisions": decisions,
        "progress": progress,
        "can_apply": may_apply and read_only is None,
        "read_only_message": read_only if may_apply else "",
        "revisions": revision_choices(retrospective, since=meeting_started_at(retrospective))
        if may_apply and read_only is None and decisions
        else [],
        "can_announce": may_ready and read_only is None,
        "ready_enabled": may_ready and read_only is None and progress.all_applied,
        "announced": ready_announced(meeting, retrospective),
    }


@login_required
@require_GET
def meeting_decisions(request, pk):
    """Every decision of the meeting as a to-do: applied (with the revision that applied it) or not yet."""
    retrospective, meeting = _retrospective_and_meeting(request, pk)
    return render(request, "meetings/decisions.html", _decisions_context(request, retrospective, meeting))


@login_required
@require_POST
def decision_applied_view(request, pk, item_pk):
    """`revision` is the id of the revision that applied it; empty (the "not applied" button) undoes the mark."""
    retrospective, meeting = _retrospective_and_meeting(request, pk)
    meeting = _meeting_or_404(meeting)
    item = _item_or_404(meeting, item_pk)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(APPLY_FORBIDDEN)
    raw = request.POST.get("revision", "").strip()
    if raw and not raw.isdigit():
        messages.error(request, "Choose a revision from the list.")
        return redirect(f"{reverse('meeting_decisions', args=[retrospective.pk])}#decision-{item.pk}")
    try:
        item = decision_apply(item=item, revision_id=int(raw) if raw else None, by=request.user)
    except (ReadOnlyError, ValidationError) as exc:
        messages.error(request, str(exc) if isinstance(exc, ReadOnlyError) else " ".join(exc.messages))
    else:
        if item.applied_revision_id:
            revision = item.applied_revision
            messages.success(
                request, f"“{item.title}” marked applied by {revision.section.title}, version {revision.version}."
            )
        else:
            messages.success(request, f"“{item.title}” marked not applied.")
    return redirect(f"{reverse('meeting_decisions', args=[retrospective.pk])}#decision-{item.pk}")


@login_required
@require_POST
def meeting_ready_view(request, pk):
    retrospective, meeting = _retrospective_and_meeting(request, pk)
    meeting = _meeting_or_404(meeting)
    if not may_announce_ready(request.user, retrospective):
        raise PermissionDenied(READY_FORBIDDEN)
    try:
        announced = meeting_ready(meeting=meeting, by=request.user)
    except (ReadOnlyError, ValidationError) as exc:
        messages.error(request, str(exc) if isinstance(exc, ReadOnlyError) else " ".join(exc.messages))
    else:
        if announced.already:
            messages.info(request, "Already announced ready for final approval; nobody was notified again.")
        else:
            n = len(announced.notified)
            messages.success(
                request, f"Announced ready for final approval: {n} {'person was' if n == 1 else 'people were'} told."
            )
    return redirect("meeting_decisions", pk=retrospective.pk)


# Before its meeting a retrospective has no notes to show (its page does not ask).
NOTES_SHOWN_IN = (Retrospective.State.MEETING, Retrospective.State.APPROVED, Retrospective.State.DONE)


def notes_page_part(*, request, retrospective, sections) -> PagePart | None:
    """The meeting's decisions and whether each is applied, read-only, once the meeting has notes or decisions."""
    if retrospective.state not in NOTES_SHOWN_IN or not meeting_has_notes(retrospective):
        return None
    meeting = meeting_of(retrospective)
    decisions = decisions_of(meeting)
    for item in decisions:
        item.decision_label = DECISION_LABELS.get(item.decision, "")
    return PagePart(
        main_template="meetings/notes_part.html",
        context={
            "retrospective": retrospective,
            "decisions": decisions,
            "progress": decision_progress(decisions),
            "announced": ready_announced(meeting, retrospective),
        },
    )
