"""The meeting agenda's page (/retrospectives/<pk>/agenda): everyone who may read the retrospective reads it (and
prints it, `?print=1`); those who may edit it add, remove and move items and set their time boxes. Its part of the
retrospective's page says how long the agenda is."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.reviews.threads import retrospective_for_feedback_or_404
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective

from .agenda import (
    AGENDA_FORBIDDEN,
    MIN_MESSAGES,
    READ_ONLY,
    TIME_BOX_MAX,
    TIME_BOX_MIN,
    agenda_item_add,
    agenda_item_move,
    agenda_item_or_404,
    agenda_item_remove,
    agenda_item_step,
    agenda_summary,
    agenda_sync,
    agenda_time_box_set,
    agenda_totals,
    can_edit_agenda,
    meeting_for,
    parts_available,
)

ACTIONS = ("add-part", "add-item", "step", "move", "time-box", "remove")


def agenda_page_part(*, request, retrospective, sections) -> PagePart:
    """ "Meeting agenda: N items, total M of L minutes" in the side column, read without writing anything."""
    return PagePart(
        side_template="meetings/_agenda_side.html",
        context={"retrospective": retrospective, "totals": agenda_summary(retrospective)},
    )


def _int(value: str) -> int | None:
    """A posted whole number; None for anything else, or one too large for an id (18 digits at most)."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _apply(request, meeting, action: str) -> str:
    """Run the posted action; returns what to say, or raises the service's error."""
    post = request.POST
    base_version = _int(post.get("base_version", ""))
    if action == "add-part":
        item = agenda_item_add(meeting=meeting, part=post.get("part", ""), base_version=base_version, by=request.user)
        return f"Added “{item.title}” ({item.time_box_minutes} min) at the end."
    if action == "add-item":
        item = agenda_item_add(
            meeting=meeting,
            title=post.get("title", ""),
            time_box_minutes=post.get("time_box_minutes", ""),
            base_version=base_version,
            by=request.user,
        )
        return f"Added “{item.title}” ({item.time_box_minutes} min) at the end."
    if base_version is None:
        raise ValidationError({"base_version": "This form is missing the agenda's version: reload the page."})
    item = agenda_item_or_404(meeting, _int(post.get("item", "")) or 0)
    if action == "step":
        agenda_item_step(item=item, direction=post.get("direction", ""), base_version=base_version, by=request.user)
        return f"Moved “{item.title}” {post.get('direction')}."
    if action == "move":
        position = _int(post.get("position", ""))
        if position is None:
            raise ValidationError({"position": "Give a position as a whole number."})
        agenda_item_move(item=item, to_position=position, base_version=base_version, by=request.user)
        return f"Moved “{item.title}” to position {position}."
    if action == "time-box":
        agenda_time_box_set(
            item=item, minutes=post.get("time_box_minutes", ""), base_version=base_version, by=request.user
        )
        return f"“{item.title}” now has {item.time_box_minutes} minutes."
    agenda_item_remove(item=item, base_version=base_version, by=request.user)
    return f"Removed “{item.title}”."


@login_required
def agenda_page(request, pk):
    retrospective = retrospective_for_feedback_or_404(user=request.user, pk=pk)
    meeting = meeting_for(retrospective)
    status, problem, conflict, failed_item = 200, "", False, None
    if request.method == "POST":
        if not can_edit_retrospective(request.user, retrospective):
            raise PermissionDenied(AGENDA_FORBIDDEN)  # the services check it too; readers learn it before any 422
        action = request.POST.get("action", "")
        try:
            if action not in ACTIONS:
                raise ValidationError({"action": f"Unknown action {action!r}: choose one of {', '.join(ACTIONS)}."})
            said = _apply(request, meeting, action)
        except ConflictError as exc:
            problem, status, conflict = str(exc), 409, True
        except ReadOnlyError as exc:
            problem, status = str(exc), 409
        except ValidationError as exc:
            problem, status = " ".join(exc.messages), 422
            failed_item = _int(request.POST.get("item", ""))
        else:
            messages.success(request, said)
            anchor = f"#item-{request.POST['item']}" if request.POST.get("item", "").isdigit() else "#agenda"
            return redirect(reverse("meeting_agenda", args=[pk]) + anchor)
    if status != 200:
        meeting.refresh_from_db(fields=["version", "length_minutes"])  # the agenda is shown as it is now
    items = agenda_sync(meeting)
    printing = request.GET.get("print") == "1"
    can_edit = not printing and can_edit_agenda(request.user, retrospective)
    context = {
        "retrospective": retrospective,
        "meeting": meeting,
        "items": items,
        "totals": agenda_totals(meeting, items),
        "can_edit": can_edit,
        "printing": printing,
        "parts": parts_available(items) if can_edit else [],
        "problem": problem,
        "conflict": conflict,
        "failed_item": failed_item,
        "min_messages": MIN_MESSAGES,
        "time_box_min": TIME_BOX_MIN,
        "time_box_max": TIME_BOX_MAX,
        "closed": retrospective.state in READ_ONLY,
    }
    return render(request, "meetings/agenda.html", context, status=status)
