"""How did the retrospective go (issue 15, item 7): once a retrospective is approved, its participants are asked three
questions (was it useful, was it fair and blameless, what would you change). Answers are shown in aggregate per team,
never with a name, on the process pages; medians, never means."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from retrospector.accounts.models import Organization, Team, User
from retrospector.notifications.models import Kind
from retrospector.notifications.services import notify
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import retrospectives_visible_to

from .models import Account, Comment, SurveyResponse
from .process import taking_part

SURVEY_STATES = (Retrospective.State.APPROVED, Retrospective.State.DONE)
SURVEY_NOT_YET = "The survey opens once the retrospective is approved."
SURVEY_NOT_PARTICIPANT = "Only the people who took part in this retrospective answer its survey."
CHANGE_MAX_CHARS = 2000
SCALE = range(1, 6)


def _took_part(retrospective: Retrospective) -> Q:
    """Who took part, as a condition on users: the owner, shadow and coach, the invited reviewers (taking_part), and
    everyone who commented in a feedback thread or wrote an account."""
    return (
        taking_part(retrospective)
        | Q(pk__in=Comment.objects.filter(thread__retrospective=retrospective).values("author_id"))
        | Q(pk__in=Account.objects.filter(retrospective=retrospective).values("author_id"))
    )


def survey_participants(retrospective: Retrospective) -> list[User]:
    """The active people who took part, by username. One query."""
    return list(User.objects.filter(_took_part(retrospective), is_active=True).order_by("username"))


def survey_invite(retrospective: Retrospective, *, actor: User | None = None) -> int:
    """Ask every participant the three questions (once each: asking again only reaches people not asked yet).
    Returns how many were asked now."""
    told = notify(
        recipients=survey_participants(retrospective),
        kind=Kind.SURVEY,
        key=f"retrospective:{retrospective.pk}:survey",
        title=f"How did the retrospective “{retrospective.title}” go? Three questions",
        url=reverse("retrospective_survey", args=[retrospective.pk]),
        retrospective=retrospective,
        actor=actor,
        body="Was it useful? Was it fair and blameless? What would you change? Answers are shown to the team only "
        "in aggregate, without names.",
    )
    return len(told.sent_to)


def may_answer(user: User, retrospective: Retrospective) -> bool:
    if retrospective.state not in SURVEY_STATES:
        return False
    return User.objects.filter(_took_part(retrospective), pk=user.pk, is_active=True).exists()


@transaction.atomic
def survey_answer(
    *, retrospective: Retrospective, by: User, useful: int, fair: int, change: str = ""
) -> SurveyResponse:
    """Save (or change) `by`'s answer. Only participants answer, and only once the retrospective is approved."""
    if retrospective.state not in SURVEY_STATES:
        raise ValidationError({"useful": SURVEY_NOT_YET})
    if not may_answer(by, retrospective):
        raise PermissionDenied(SURVEY_NOT_PARTICIPANT)
    for name, value in (("useful", useful), ("fair", fair)):
        if not isinstance(value, int) or value not in SCALE:
            raise ValidationError({name: "Answer from 1 (not at all) to 5 (entirely)."})
    change = (change or "").strip()
    if len(change) > CHANGE_MAX_CHARS:
        raise ValidationError({"change": f"{len(change):,} characters; keep it under {CHANGE_MAX_CHARS:,}."})
    response, _ = SurveyResponse.objects.update_or_create(
        retrospective=retrospective, user=by, defaults={"useful": useful, "fair": fair, "change": change}
    )
    return response


def survey_response_of(retrospective: Retrospective, user: User) -> SurveyResponse | None:
    return SurveyResponse.objects.filter(retrospective=retrospective, user=user).first()


@dataclass
class SurveyResults:
    team: Team | None
    retrospectives: int = 0
    responses: int = 0
    useful: list[int] = field(default_factory=list)
    fair: list[int] = field(default_factory=list)
    changes: list[tuple[str, str]] = field(default_factory=list)  # (retrospective title, what to change), newest first

    @property
    def useful_median(self):
        return median(self.useful) if self.useful else None

    @property
    def fair_median(self):
        return median(self.fair) if self.fair else None


def survey_results(*, organization: Organization, viewer: User, team: Team | None = None) -> list[SurveyResults]:
    """Per team (or for one team), over the retrospectives `viewer` may see: how many were answered, the median of
    each scale, and the latest suggestions, without names. One query."""
    visible = retrospectives_visible_to(viewer).filter(incident__organization=organization)
    if team is not None:
        visible = visible.filter(incident__team=team)
    rows = (
        SurveyResponse.objects.filter(retrospective__in=visible)
        .order_by("-updated_at", "-id")
        .values_list(
            "retrospective_id", "retrospective__title", "retrospective__incident__team_id", "useful", "fair", "change"
        )
    )
    teams = {t.pk: t for t in Team.objects.filter(organization=organization)}
    by_team: dict[int, SurveyResults] = {}
    answered: dict[int, set[int]] = defaultdict(set)
    for retrospective_id, title, team_id, useful, fair, change in rows:
        results = by_team.setdefault(team_id, SurveyResults(team=teams.get(team_id)))
        results.responses += 1
        results.useful.append(useful)
        results.fair.append(fair)
        answered[team_id].add(retrospective_id)
        if change and len(results.changes) < 5:
            results.changes.append((title, change))
    for team_id, results in by_team.items():
        results.retrospectives = len(answered[team_id])
    return sorted(by_team.values(), key=lambda r: r.team.name if r.team else "")
