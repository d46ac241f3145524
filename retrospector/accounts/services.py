"""Every write to accounts: users, teams, memberships, API tokens."""

import hashlib
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from retrospector.core.text import single_line
from retrospector.core.untrusted import LONE_SURROGATE_MESSAGE, lone_surrogate_path
from retrospector.core.yaml_errors import yaml_problem

from .models import ApiToken, AuthThrottle, Membership, Organization, Role, Team, User

TOKEN_PREFIX = "rtr_"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns (token, raw). The raw value is never stored."""
    name = single_line(name)
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
    return Organization.objects.create(name=single_line(name), slug=slug)


def team_create(
    *, organization: Organization, name: str, slug: str, description: str = "", by: User | None = None
) -> Team:
    if by is not None and not by.is_org_admin:
        raise PermissionDenied("Only organization admins can create teams.")
    name = single_line(name)
    if not name:
        raise ValidationError({"name": "Give the team a name."})
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
    user.full_name = single_line(full_name)[:200]
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
        full_name=single_line(full_name),
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


MAX_IMAGE_HOSTS = 50


def image_hosts_parse(text: str) -> list[str]:
    """One host a line ('images.example.com' or '*.example.com'); blank lines and duplicates ignored. Errors name
    the line."""
    from retrospector.core.markdown import image_host_error

    hosts: list[str] = []
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        host = line.strip().lower().rstrip(".")
        if not host or host in hosts:
            continue
        if error := image_host_error(host):
            problems.append(f"Line {number}: {error}")
        else:
            hosts.append(host)
    if problems:
        raise ValidationError({"image_hosts": problems})
    if len(hosts) > MAX_IMAGE_HOSTS:
        raise ValidationError({"image_hosts": f"At most {MAX_IMAGE_HOSTS} hosts; there are {len(hosts)}."})
    return hosts


def organization_image_hosts_set(*, organization: Organization, text: str, by: User) -> Organization:
    if not (by.is_authenticated and by.is_org_admin and by.organization_id == organization.pk):
        raise PermissionDenied("Only the organization's admins choose where images may come from.")
    organization.image_hosts = image_hosts_parse(text)
    organization.save(update_fields=["image_hosts"])
    return organization


# --- The log-in throttle ---------------------------------------------------------------------------------------------
# Each log-in and each wrong API token is counted against keys (the account, the client address). After a key's free
# tries, each failure blocks the key for twice as long as the one before (1 s, 2 s, 4 s ... LOGIN_THROTTLE_MAX_DELAY);
# while any of its keys is blocked an attempt is refused before the password or token is looked at.


@dataclass(frozen=True)
class ThrottleKey:
    key: str
    free_tries: int
    reset_on_success: bool = False  # an account's count restarts when it logs in; an address's does not


@dataclass(frozen=True)
class ThrottleAttempt:
    retry_after: int = 0  # seconds until an attempt is heard again; 0: this one was heard
    # What the attempt counted in advance as a failure, for auth_throttle_succeeded to take back:
    # (key, whether to reset it, the block this attempt set or None).
    counted: tuple[tuple[str, bool, datetime | None], ...] = ()


def auth_throttle_clock() -> datetime:
    """The throttle's clock (tests move it instead of sleeping)."""
    return timezone.now()


def auth_throttle_keys_for_login(*, username: str, address: str) -> list[ThrottleKey]:
    """The same keys whether or not the account exists, so the answers never tell which names are taken."""
    name = unicodedata.normalize("NFKC", username or "").strip().casefold()[:150]
    return [
        ThrottleKey(f"account:{name}", settings.LOGIN_THROTTLE_FREE_TRIES, reset_on_success=True),
        ThrottleKey(f"login-from:{address}"[:200], settings.LOGIN_THROTTLE_FREE_TRIES_PER_ADDRESS),
    ]


def auth_throttle_keys_for_token(*, address: str) -> list[ThrottleKey]:
    return [ThrottleKey(f"token-from:{address}"[:200], settings.LOGIN_THROTTLE_FREE_TRIES_PER_ADDRESS)]


def auth_throttle_delay(*, failures: int, free_tries: int) -> timedelta:
    """How long a key is blocked after its `failures`-th failure in a row: nothing for the free tries, then 1 s,
    doubling each time, up to LOGIN_THROTTLE_MAX_DELAY."""
    over = failures - free_tries
    if over <= 0:
        return timedelta(0)
    return timedelta(seconds=min(2 ** min(over - 1, 40), settings.LOGIN_THROTTLE_MAX_DELAY))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def auth_throttle_wait(*, keys: list[ThrottleKey]) -> int:
    """Seconds until an attempt with these keys is heard again (0: now). Reads only."""
    now = auth_throttle_clock()
    blocks = AuthThrottle.objects.filter(key__in=[k.key for k in keys], blocked_until__gt=now)
    latest = max(blocks.values_list("blocked_until", flat=True), default=None)
    return _seconds_until(latest, now) if latest else 0


def auth_throttle_attempt(*, keys: list[ThrottleKey]) -> ThrottleAttempt:
    """An attempt to authenticate: refused (retry_after > 0) while any of its keys is blocked; otherwise counted as a
    failure on every key *before* the secret is checked, so that concurrent attempts cannot all slip in before the
    first failure is recorded. Call auth_throttle_succeeded when the secret was right.

    The keys' rows are locked for the check and the count (SELECT ... FOR UPDATE; SQLite's immediate transactions
    lock the whole database), not while the password is hashed."""
    now = auth_throttle_clock()
    forget_before = now - timedelta(seconds=settings.LOGIN_THROTTLE_FORGET_AFTER)
    by_key = {k.key: k for k in keys}
    with transaction.atomic():
        AuthThrottle.objects.bulk_create([AuthThrottle(key=key) for key in by_key], ignore_conflicts=True)
        rows = list(AuthThrottle.objects.select_for_update().filter(key__in=by_key).order_by("key"))
        blocks = [row.blocked_until for row in rows if row.blocked_until and row.blocked_until > now]
        if blocks:
            return ThrottleAttempt(retry_after=_seconds_until(max(blocks), now))
        counted = []
        for row in rows:
            spec = by_key[row.key]
            if row.last_failure_at is None or row.last_failure_at < forget_before:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            delay = auth_throttle_delay(failures=row.failures, free_tries=spec.free_tries)
            row.blocked_until = now + delay if delay else None
            row.save(update_fields=["failures", "last_failure_at", "blocked_until"])
            counted.append((row.key, spec.reset_on_success, row.blocked_until))
    return ThrottleAttempt(counted=tuple(counted))


def auth_throttle_succeeded(*, attempt: ThrottleAttempt) -> None:
    """The secret was right: an account's count restarts; an address gets back the failure counted in advance, and the
    block that count set, unless a later failure has set another since."""
    for key, reset, block in attempt.counted:
        rows = AuthThrottle.objects.filter(key=key)
        if reset:
            rows.delete()
        elif not rows.filter(blocked_until=block).update(failures=F("failures") - 1, blocked_until=None):
            rows.filter(failures__gt=0).update(failures=F("failures") - 1)


def auth_throttles_prune(*, now: datetime | None = None) -> int:
    """Forget counts with no failure for LOGIN_THROTTLE_FORGET_AFTER and no block left (core.periodic runs it)."""
    now = now or auth_throttle_clock()
    forget_before = now - timedelta(seconds=settings.LOGIN_THROTTLE_FORGET_AFTER)
    quiet = Q(last_failure_at__isnull=True) | Q(last_failure_at__lt=forget_before)
    unblocked = Q(blocked_until__isnull=True) | Q(blocked_until__lte=now)
    return AuthThrottle.objects.filter(quiet & unblocked).delete()[0]
