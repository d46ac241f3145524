"""Names a client sends (a team's slug, a severity key, usernames) turned into rows of the caller's organization,
through the selectors; an unknown name is a 422 on the field that carried it."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from retrospector.accounts.models import Team, User
from retrospector.accounts.selectors import people_by_username, team_by_slug
from retrospector.incidents.models import SeverityLevel
from retrospector.incidents.selectors import severity_by_key, severity_levels_for


def team_from_slug(user: User, slug: str) -> Team:
    team = team_by_slug(user=user, slug=slug)
    if team is None:
        raise ValidationError({"team": f"Unknown team {slug!r}."})
    return team


def severity_from_key(user: User, key: str) -> SeverityLevel:
    severity = severity_by_key(user=user, key=key)
    if severity is None:
        keys = ", ".join(severity_levels_for(user).values_list("key", flat=True))
        raise ValidationError({"severity": f"Unknown severity {key!r}; use one of {keys}."})
    return severity


def people_from_usernames(user: User, usernames: Iterable[str], field: str) -> list[User]:
    """The people named, in the order given, each once."""
    names = list(dict.fromkeys(usernames))
    people = people_by_username(user=user, usernames=names)
    for name in names:
        if name not in people:
            raise ValidationError({field: f"Unknown person {name!r}."})
    return [people[name] for name in names]


def person_from_username(user: User, username: str | None, field: str) -> User | None:
    """The person named; None when no name was given."""
    return people_from_usernames(user, [username], field)[0] if username else None
