"""The webhook pages: /webhooks/ (the subscriptions one manages, and a new one) and /webhooks/<id>/ (its settings, a
test event, pause and resume, delete, and its delivery log with redelivery). Thin: rules live in webhook_services and
webhook_selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from retrospector.actions.events import EVENTS
from retrospector.actions.webhook_forms import WebhookEditForm, WebhookForm
from retrospector.actions.webhook_selectors import (
    may_manage_webhooks,
    webhook_deliveries,
    webhook_list_for,
    webhook_or_none,
    webhook_teams_for,
)
from retrospector.actions.webhook_services import (
    webhook_create,
    webhook_delete,
    webhook_ping,
    webhook_redeliver,
    webhook_update,
)
from retrospector.actions.webhooks import SIGNATURE_TOLERANCE_SECONDS
from retrospector.core.forms import add_service_errors
from retrospector.core.paging import paginate

FORBIDDEN = "Only organization admins and team admins manage webhooks."


def _subscription(request, pk):
    subscription = webhook_or_none(user=request.user, pk=pk)
    if subscription is None:
        raise Http404("No such webhook.")
    return subscription


@login_required
def webhook_list(request):
    if not may_manage_webhooks(request.user):
        raise PermissionDenied(FORBIDDEN)
    teams = webhook_teams_for(request.user)
    form = WebhookForm(request.POST or None, teams=teams, org_admin=request.user.is_org_admin)
    created = new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, new_secret = webhook_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = WebhookForm(teams=teams, org_admin=request.user.is_org_admin)
    page = paginate(request, webhook_list_for(request.user))
    return render(
        request,
        "actions/webhook_list.html",
        {
            "form": form,
            "page": page,
            "created": created,
            "new_secret": new_secret,
            "tolerance": SIGNATURE_TOLERANCE_SECONDS,
        },
    )


@login_required
def webhook_detail(request, pk):
    subscription = _subscription(request, pk)
    initial = {
        "url": subscription.url,
        "format": subscription.format,
        "events": subscription.events,
        "description": subscription.description,
    }
    form = WebhookEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_update(subscription=subscription, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("webhook_detail", pk=subscription.pk)
    page = paginate(request, webhook_deliveries(subscription))
    return render(
        request,
        "actions/webhook_detail.html",
        {
            "subscription": subscription,
            "form": form,
            "page": page,
            "events": EVENTS,
            "tolerance": SIGNATURE_TOLERANCE_SECONDS,
        },
    )


@login_required
@require_POST
def webhook_active(request, pk):
    subscription = _subscription(request, pk)
    active = request.POST.get("active") == "1"
    webhook_update(subscription=subscription, by=request.user, active=active)
    messages.success(request, "Resumed: events are sent again." if active else "Paused: events wait until resumed.")
    return redirect("webhook_detail", pk=subscription.pk)


@login_required
@require_POST
def webhook_ping_view(request, pk):
    subscription = _subscription(request, pk)
    try:
        webhook_ping(subscription=subscription, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "A test event is on its way: its outcome appears in the log below.")
    return redirect("webhook_detail", pk=subscription.pk)


@login_required
@require_POST
def webhook_delete_view(request, pk):
    subscription = _subscription(request, pk)
    webhook_delete(subscription=subscription, by=request.user)
    messages.success(request, f"Deleted the webhook to {subscription.url}.")
    return redirect("webhook_list")


@login_required
@require_POST
def webhook_redeliver_view(request, pk, delivery_pk):
    subscription = _subscription(request, pk)
    delivery = subscription.deliveries.filter(pk=delivery_pk).first()
    if delivery is None:
        raise Http404("No such delivery.")
    try:
        webhook_redeliver(delivery=delivery, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"{delivery.event} is queued again, as a new delivery at the top of the log.")
    return redirect("webhook_detail", pk=subscription.pk)
