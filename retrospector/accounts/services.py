"""Every write to accounts: users, teams, memberships, API tokens."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from retrospector.core.untrusted import LONE_SURROGATE_MESSAGE, lone_surrogate_path
from retrospector.core.yaml_errors import yaml_problem

from .models import ApiToken, Membership, Organization, Role, Team, User

TOKEN_PREFIX = "rtr_"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns (token, raw). The raw value is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, such as the script that will use it."})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:12], digest=token_digest(raw))
    return token, raw


def token_revoke(*, token: ApiToken, by: User) -> None:
    if token.user_id != by.pk and not by.is_org_admin:
        raise PermissionDenied("Only the token's owner or an organization admin can revoke it.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_authenticate(*, raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Avoid a write per request: record use at most once a minute.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def organization_create(*, name: str, slug: str) -> Organization:
    return Organization.objects.create(name=name, slug=slug)


def team_create(
    *, organization: Organization, name: str, slug: str, description: str = "", by: User | None = None
) -> Team:
    if by is not None and not by.is_org_admin:
        raise PermissionDenied("Only organization admins can create teams.")
    if Team.objects.filter(organization=organization, slug=slug).exists():
        raise ValidationError({"slug": f"A team with the short name {slug!r} already exists."})
    team = Team.objects.create(organization=organization, name=name, slug=slug, description=description)
    if by is not None:
        Membership.objects.get_or_create(team=team, user=by, defaults={"role": Role.ADMIN})
    return team


def membership_set(*, team: Team, user: User, role: str, by: User | None = None) -> Membership:
    from .selectors import can_manage_team

    if by is not None and not can_manage_team(by, team):
        raise PermissionDenied("Only the team's admins can change its members.")
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}; use viewer, member or admin."})
    if user.organization_id != team.organization_id:
        raise ValidationError({"user": "That person is not in this organization."})
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    return membership


def membership_remove(*, team: Team, user: User, by: User) -> None:
    from .selectors import can_manage_team

    if not can_manage_team(by, team):
        raise PermissionDenied("Only the team's admins can change its members.")
    remaining_admins = Membership.objects.filter(team=team, role=Role.ADMIN).exclude(user=user)
    if not remaining_admins.exists() and not by.is_org_admin:
        raise ValidationError({"user": "A team needs at least one admin."})
    Membership.objects.filter(team=team, user=user).delete()


def user_update_preferences(*, user: User, full_name: str, time_zone: str, email: str) -> User:
    from .models import validate_time_zone

    validate_time_zone(time_zone)
    user.full_name = full_name.strip()[:200]
    user.time_zone = time_zone
    user.email = email.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "time_zone", "email"])
    return user


def _require_org_admin(by: User) -> None:
    if not (by.is_authenticated and by.is_org_admin):
        raise PermissionDenied("Only organization admins can manage people.")


def user_create(
    *,
    organization: Organization,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    time_zone: str = "UTC",
    is_org_admin: bool = False,
    by: User | None = None,
) -> User:
    from django.contrib.auth.password_validation import validate_password

    if by is not None:
        _require_org_admin(by)
        if by.organization_id != organization.pk:
            raise PermissionDenied("You can only add people to your own organization.")
    username = (username or "").strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"The username {username!r} is taken."})
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        time_zone=time_zone,
        organization=organization,
        is_org_admin=is_org_admin,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def user_set_access(*, user: User, by: User, is_active: bool | None = None, is_org_admin: bool | None = None) -> User:
    _require_org_admin(by)
    if user.organization_id != by.organization_id:
        raise PermissionDenied("That person is not in your organization.")
    if user.pk == by.pk and (is_active is False or is_org_admin is False):
        raise ValidationError({"user": "You cannot remove your own admin rights or deactivate yourself."})
    if is_active is not None:
        user.is_active = is_active
    if is_org_admin is not None:
        user.is_org_admin = is_org_admin
    user.save(update_fields=["is_active", "is_org_admin"])
    return user


def checks_config_parse(text: str) -> dict:
    """YAML (or JSON) settings for the write-up checks, validated; errors name the setting."""
    import yaml

    from retrospector.checks import ConfigError, load_config

    if len(text) > 100_000:
        raise ValidationError({"checks_config": "The settings are limited to 100 KB."})
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        problem = yaml_problem(exc)
        where = f"line {problem.line}: " if problem.line else ""
        raise ValidationError({"checks_config": f"{where}not valid YAML: {problem.problem}"}) from exc
    if lone_surrogate_path(data) is not None:  # YAML escapes can write half a character ("\\ud800"): not text
        raise ValidationError({"checks_config": f"The settings: one value {LONE_SURROGATE_MESSAGE}."})
    try:
        load_config(data if isinstance(data, dict) else {"_": data})
    except ConfigError as exc:
        raise ValidationError({"checks_config": str(exc)}) from exc
    return data or {}


def team_checks_config_set(*, team: Team, text: str, by: User) -> Team:
    from .selectors import can_manage_team

    if not can_manage_team(by, team):
        raise PermissionDenied("Only the team's admins can tune its write-up checks.")
    team.checks_config = checks_config_parse(text)
    team.save(update_fields=["checks_config"])
    return team


def organization_checks_config_set(*, organization: Organization, text: str, by: User) -> Organization:
    _require_org_admin(by)
    if by.organization_id != organization.pk:
        raise PermissionDenied("That is not your organization.")
    organization.checks_config = checks_config_parse(text)
    organization.save(update_fields=["checks_config"])
    return organization
