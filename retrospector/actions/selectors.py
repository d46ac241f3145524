"""Reads of findings and recommendations, with the permission rules built in."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from retrospector.accounts.models import Role, User
from retrospector.accounts.selectors import has_team_role, team_ids_with_role
from retrospector.actions.models import Recommendation, RecommendationLink
from retrospector.writeups.selectors import retrospectives_visible_to


def recommendations_visible_to(user: User) -> QuerySet[Recommendation]:
    """Recommendations of the user's organization that they may see: those of their teams, those they own, and those
    called for by a retrospective they may see. One called for only by private incidents of another team stays
    hidden (never listed, counted nor suggested). Merged-away recommendations are included: filter them out for lists
    (`merged_into__isnull=True`)."""
    if not user.is_authenticated or user.organization_id is None:
        return Recommendation.objects.none()
    recommendations = Recommendation.objects.filter(organization_id=user.organization_id)
    if user.is_org_admin:
        return recommendations
    # Correlated on both levels (the link, then its retrospective by key): `retrospective__in=<visible ones>` made
    # SQLite list every visible retrospective again for each recommendation (90 s for 50,000 of them).
    seen_through = RecommendationLink.objects.filter(
        Exists(retrospectives_visible_to(user).filter(pk=OuterRef("retrospective_id"))),
        recommendation_id=OuterRef("pk"),
    )
    return recommendations.filter(
        Q(team_id__in=team_ids_with_role(user, Role.VIEWER)) | Q(owner_id=user.pk) | Exists(seen_through)
    )


def can_edit_recommendation(user: User, recommendation: Recommendation) -> bool:
    """Its owner, members of its team and organization admins change it."""
    if not user.is_authenticated or user.organization_id != recommendation.organization_id:
        return False
    return (
        user.is_org_admin
        or recommendation.owner_id == user.pk
        or has_team_role(user, recommendation.team_id, Role.MEMBER)
    )
