"""Reads of webhook subscriptions and their delivery logs, with who may manage them: an organization admin manages
every subscription of the organization (organization-wide and teams'), a team admin those of their teams. Nobody else
sees them (a subscription's URL can itself be a credential, as a Slack incoming webhook's is)."""

from __future__ import annotations

from django.db.models import QuerySet

from retrospector.accounts.models import Role, Team, User
from retrospector.accounts.selectors import team_ids_with_role
from retrospector.actions.models import WebhookDelivery, WebhookSubscription


def webhooks_manageable_by(user: User) -> QuerySet[WebhookSubscription]:
    if not user.is_authenticated or user.organization_id is None:
        return WebhookSubscription.objects.none()
    subscriptions = WebhookSubscription.objects.filter(organization_id=user.organization_id)
    if user.is_org_admin:
        return subscriptions
    return subscriptions.filter(team_id__in=team_ids_with_role(user, Role.ADMIN))


def may_manage_webhooks(user: User) -> bool:
    """Whether the user manages any subscription (may open the page): an organization admin or a team admin."""
    if not user.is_authenticated or user.organization_id is None:
        return False
    return user.is_org_admin or bool(team_ids_with_role(user, Role.ADMIN))


def webhook_teams_for(user: User) -> QuerySet[Team]:
    """The teams whose subscriptions the user may create."""
    if not user.is_authenticated or user.organization_id is None:
        return Team.objects.none()
    teams = Team.objects.filter(organization_id=user.organization_id).order_by("name")
    return teams if user.is_org_admin else teams.filter(pk__in=team_ids_with_role(user, Role.ADMIN))


def webhook_list_for(user: User) -> QuerySet[WebhookSubscription]:
    return webhooks_manageable_by(user).select_related("team").order_by("team__name", "url", "id")


def webhook_or_none(*, user: User, pk: int) -> WebhookSubscription | None:
    return webhooks_manageable_by(user).select_related("team").filter(pk=pk).first()


def webhook_deliveries(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """Its delivery log, newest first (the payload left out: the log shows what happened, not what was said)."""
    return subscription.deliveries.defer("payload").order_by("-created_at", "-id")
