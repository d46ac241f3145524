"""Reads about people and teams, with the permission rules in one place."""

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import ROLE_RANK, Membership, Role, Team, User

# What pages and the API print of a person (User.display_name and the username): lists of dozens of people read these
# columns only, not the whole row (password hash, e-mail, dates).
PERSON_FIELDS = ("id", "username", "first_name", "last_name", "full_name")


def role_in_team(user: User, team_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    cache = getattr(user, "_team_roles", None)
    if cache is None:
        cache = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
        user._team_roles = cache
    return cache.get(team_id)


def team_ids_with_role(user: User, minimum: str = Role.VIEWER) -> list[int]:
    if not user.is_authenticated:
        return []
    role_in_team(user, 0)  # fills the cache
    return [team_id for team_id, role in user._team_roles.items() if ROLE_RANK[role] >= ROLE_RANK[minimum]]


def has_team_role(user: User, team_id: int, minimum: str) -> bool:
    if not user.is_authenticated:
        return False
    role = role_in_team(user, team_id)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def can_manage_team(user: User, team: Team) -> bool:
    if not user.is_authenticated or user.organization_id != team.organization_id:
        return False
    return user.is_org_admin or has_team_role(user, team.pk, Role.ADMIN)


def teams_visible_to(user: User) -> QuerySet[Team]:
    if not user.is_authenticated or user.organization_id is None:
        return Team.objects.none()
    return Team.objects.filter(organization_id=user.organization_id).order_by("name")


def team_by_slug(*, user: User, slug: str) -> Team | None:
    """The team of `user`'s organization with this short name; None when there is none."""
    return teams_visible_to(user).filter(slug=slug).first()


def teams_where_user_can_write(user: User) -> QuerySet[Team]:
    """Teams in which the user may record incidents and write retrospectives."""
    teams = teams_visible_to(user)
    if user.is_authenticated and user.is_org_admin:
        return teams
    return teams.filter(pk__in=team_ids_with_role(user, Role.MEMBER))


def people_in_organization(user: User) -> QuerySet[User]:
    if not user.is_authenticated or user.organization_id is None:
        return User.objects.none()
    return User.objects.filter(organization_id=user.organization_id, is_active=True).order_by("username")


def people_by_username(*, user: User, usernames: Iterable[str]) -> dict[str, User]:
    """The people of `user`'s organization with these usernames, by username; unknown names are left out. Former
    (inactive) members are found too: an incident keeps them as responders, and a client sends back what it read."""
    if not user.is_authenticated or user.organization_id is None:
        return {}
    people = User.objects.filter(organization_id=user.organization_id, username__in=list(usernames))
    return {person.username: person for person in people}


def organization_people_names(organization_id: int) -> list[str]:
    """Every name the organization's people go by, for the write-up checks: usernames, first, last and full names.
    Former (inactive) members too: a write-up may still name them. One query, however many people."""
    names: list[str] = []
    rows = User.objects.filter(organization_id=organization_id).values_list(
        "username", "first_name", "last_name", "full_name"
    )
    for row in rows:
        names.extend(name for name in row if name)
    return names


def command_user(*, username: str | None, organization_id: int) -> User:
    """Who a command's write is recorded as: the user named (`--as-user`), else the organization's first active admin.
    LookupError with the sentence to show when there is none."""
    if username:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise LookupError(f"No user {username!r}.")
        return user
    user = (
        User.objects.filter(organization_id=organization_id, is_org_admin=True, is_active=True).order_by("pk").first()
    )
    if user is None:
        raise LookupError("Pass --as-user: this organization has no admin to record the import as.")
    return user
