from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from retrospector.core.paging import paginate, querystring_without_page

from .selectors import notification_of_or_404, notifications_of, unread_count
from .services import (
    digest_choose,
    digest_wanted,
    notification_open,
    notifications_mark_all_read,
    preferences_of,
    preferences_save,
)


@login_required
def notification_list(request):
    unread_only = request.GET.get("show") == "unread"
    page = paginate(request, notifications_of(request.user, unread=unread_only))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread": unread_count(request.user),
            "querystring": querystring_without_page(request),
        },
    )


@login_required
def notification_go(request, pk):
    """Open one: it is read from now on, and the browser goes where it points (a path of this site only)."""
    notification = notification_of_or_404(user=request.user, pk=pk)
    return redirect(notification_open(notification=notification, by=request.user))


@login_required
@require_POST
def notifications_read_all(request):
    count = notifications_mark_all_read(by=request.user)
    messages.success(request, f"Marked {count} notification{'' if count == 1 else 's'} read.")
    return redirect("notification_list")


@login_required
def notification_preferences(request):
    choices = preferences_of(request.user)
    if request.method == "POST":
        preferences_save(
            user=request.user,
            choices={
                c["kind"]: {
                    "in_app": f"in_app_{c['kind']}" in request.POST,
                    "by_email": f"by_email_{c['kind']}" in request.POST,
                }
                for c in choices
            },
        )
        digest_choose(user=request.user, wanted="weekly_digest" in request.POST)
        messages.success(request, "Notification preferences saved.")
        return redirect("notification_preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"choices": choices, "digest_wanted": digest_wanted(request.user)},
    )
