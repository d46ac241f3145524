"""Pages of the final approval: its part of the retrospective's page (what is missing, or the Approve button), the
approval page with its confirmation, and reopening with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from retrospector.writeups.models import Retrospective
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .approval import ApprovalBlocked, ApprovalStale, approval_for, approval_refusal, approve, reopen

State = Retrospective.State


def approval_page_part(*, request, retrospective, sections):
    """'Final approval' in the side column while the retrospective is in its meeting."""
    if retrospective.state != State.MEETING:
        return None
    approval = approval_for(retrospective, sections)
    return PagePart(
        side_template="meetings/approval_side.html",
        context={
            "retrospective": retrospective,
            "approval": approval,
            "refusal": approval_refusal(request.user, retrospective),
        },
    )


def _render(request, retrospective, *, status=200, changes=None, refusal_shown=None):
    approval = approval_for(retrospective, list(retrospective.sections.all()))
    return render(
        request,
        "meetings/approval.html",
        {
            "retrospective": retrospective,
            "approval": approval,
            "refusal": refusal_shown or approval_refusal(request.user, retrospective),
            "changes": changes or [],
        },
        status=status,
    )


@login_required
def approval_page(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if request.method != "POST":
        return _render(request, retrospective)
    try:
        approve(retrospective=retrospective, by=request.user, token=request.POST.get("token", ""))
    except PermissionDenied as exc:
        return _render(request, retrospective, status=403, refusal_shown=str(exc))
    except ApprovalBlocked:
        retrospective.refresh_from_db()
        return _render(request, retrospective, status=422)
    except ApprovalStale as exc:
        retrospective.refresh_from_db()
        return _render(request, retrospective, status=409, changes=exc.changes)
    messages.success(request, "Approved: it is done, on the done list, and read-only until someone reopens it.")
    return redirect("retrospective_detail", pk=pk)


@login_required
def reopen_page(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            reopen(retrospective=retrospective, by=request.user, reason=request.POST.get("reason", ""))
        except PermissionDenied as exc:
            error, status = str(exc) or "You may not reopen it.", 403
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 422
        else:
            messages.success(request, "Reopened: it is back in review and can be changed again.")
            return redirect("retrospective_detail", pk=pk)
    elif not can_edit_retrospective(request.user, retrospective):
        error = "You can read this retrospective but not reopen it."
    return render(
        request,
        "meetings/approval_reopen.html",
        {"retrospective": retrospective, "error": error, "reason": request.POST.get("reason", "")},
        status=status,
    )
