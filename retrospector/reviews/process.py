"""The review's process: a team's settings (which incidents need a retrospective, deadlines in business days), the
deadlines of each retrospective, who owns, shadows and coaches it, and its states (draft, in review, meeting,
approved, done). Services (writes, keyword-only, `by` last) and selectors (reads, permission-filtered) together: they
share the calendar and the step rules."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone

from retrospector.accounts.models import Membership, Team, User
from retrospector.accounts.selectors import can_manage_team
from retrospector.core.errors import ReadOnlyError, locked
from retrospector.core.workdays import MAX_BUSINESS_DAYS, WEEKDAYS, WorkCalendar
from retrospector.incidents.models import Incident, SeverityLevel
from retrospector.incidents.selectors import can_edit_incident, incidents_visible_to
from retrospector.incidents.services import incident_update
from retrospector.notifications.services import notify
from retrospector.writeups.models import Retrospective, Revision, StateChange
from retrospector.writeups.selectors import can_edit_retrospective, retrospectives_visible_to
from retrospector.writeups.services import done_read_only_message, retrospective_transition

from .models import STEP_ORDER, AccountRequest, Deadline, ProcessSettings, ProcessVersion, ReviewInvite, Step
from .reminders import team_calendar

State = Retrospective.State

# --- A team's process settings ------------------------------------------------------------------

# Each step's offset field, in the order of the steps: an offset is never smaller than the one before it.
OFFSET_FIELDS = {
    Step.RESEARCH: "research_days",
    Step.FIRST_DRAFT: "first_draft_days",
    Step.FEEDBACK_END: "feedback_end_days",
    Step.FEEDBACK_ADDRESSED: "feedback_addressed_days",
    Step.MEETING: "meeting_days",
}
ISO_WEEKDAYS = [(number, WEEKDAYS[number - 1].capitalize()) for number in range(1, 8)]
DEFAULT_WORKING_DAYS = [1, 2, 3, 4, 5]
PROCESS_FORBIDDEN = "Only the team's admins (or organization admins) can change its review process."


def process_settings_for(team: Team) -> ProcessSettings:
    """The team's settings; the defaults (not saved) when it has none yet."""
    found = ProcessSettings.objects.filter(team=team).first()
    return found if found is not None else ProcessSettings(team=team)


def process_current(organization_id: int) -> ProcessVersion | None:
    """The organization's standard process as it is now (its latest version); None before the first."""
    return ProcessVersion.objects.filter(organization_id=organization_id).order_by("-number").first()


def standard_governs(version: ProcessVersion | None, own: ProcessSettings | None) -> bool:
    """Whether the organization's standard sets a team's required severities and deadlines: it does unless the version
    lets teams lead their own process and the team has set one."""
    return version is not None and not (version.teams_may_lead_own and own is not None)


def effective_process_for(team: Team, *, version: ProcessVersion | None = None) -> ProcessSettings:
    """The process a team's retrospectives run under: the team's own settings, or the organization's standard
    (required severities and deadlines) on the team's calendar (zone, working days and holidays stay the team's).
    Never saved: process_settings_save writes the team's own settings."""
    own = ProcessSettings.objects.filter(team=team).first()
    version = version if version is not None else process_current(team.organization_id)
    if not standard_governs(version, own):
        return own if own is not None else ProcessSettings(team=team)
    settings = ProcessSettings(team=team)
    if own is not None:
        settings.time_zone, settings.working_days, settings.holidays = own.time_zone, own.working_days, own.holidays
    settings.severities_requiring = list(version.severities_requiring)
    for name in OFFSET_FIELDS.values():
        setattr(settings, name, getattr(version, name))
    settings.standard_version = version
    return settings


def process_settings_by_team(team_ids: Iterable[int]) -> dict[int, ProcessSettings]:
    """Settings of several teams in one query; teams without any get the defaults."""
    ids = set(team_ids)
    found = {s.team_id: s for s in ProcessSettings.objects.filter(team_id__in=ids)}
    return {team_id: found.get(team_id) or ProcessSettings(team_id=team_id) for team_id in ids}


def calendar_for(settings: ProcessSettings) -> WorkCalendar:
    """The team's working calendar: one rule with the daily reminder's (stored weekdays are ISO, Monday is 1)."""
    return team_calendar(settings)


def parse_holidays(text: str) -> list[date]:
    """One date (YYYY-MM-DD) a line; blank lines and text after a '#' are ignored. An error names the line."""
    days: set[date] = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(value)
            days.add(date.fromisoformat(value))
        except ValueError:
            raise ValidationError(
                {"holidays": f"Line {number}: {value[:40]!r} is not a date; write one date a line as YYYY-MM-DD."}
            ) from None
    return sorted(days)


def format_holidays(holidays: Iterable[str]) -> str:
    return "\n".join(sorted(holidays))


@transaction.atomic
def process_settings_save(
    *,
    team: Team,
    severities_requiring: Iterable[str],
    time_zone: str,
    working_days: Iterable[int],
    holidays: Iterable[date | str],
    offsets: dict[str, int],
    by: User,
) -> ProcessSettings:
    """Save the team's process and move the deadlines of its open retrospectives to match. `offsets` maps each step
    (Step values) to its business days from resolution; they never go backwards from one step to the next."""
    if not can_manage_team(by, team):
        raise PermissionDenied(PROCESS_FORBIDDEN)
    keys = checked_severities(team.organization_id, severities_requiring)
    if time_zone not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": f"Unknown time zone {time_zone!r}; use a name such as Europe/Paris."})
    days = sorted(set(working_days))
    if not days:
        raise ValidationError({"working_days": "Pick at least one working day."})
    if any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        raise ValidationError({"working_days": "Working days are ISO weekday numbers: 1 (Monday) to 7 (Sunday)."})
    try:
        holiday_dates = sorted({h if isinstance(h, date) else date.fromisoformat(h) for h in holidays})
    except ValueError as exc:
        raise ValidationError({"holidays": f"Holidays are dates written YYYY-MM-DD ({exc})."}) from None
    checked_offsets(offsets)
    settings, _ = ProcessSettings.objects.select_for_update().get_or_create(team=team)
    settings.severities_requiring = keys
    settings.time_zone = time_zone
    settings.working_days = days
    settings.holidays = [d.isoformat() for d in holiday_dates]
    for step, name in OFFSET_FIELDS.items():
        setattr(settings, name, offsets[step])
    settings.updated_by = by
    settings.save()
    deadlines_refresh_for_team(team, settings=effective_process_for(team))
    return settings


def deadlines_refresh_for_team(team: Team, *, settings: ProcessSettings) -> int:
    """Move the deadlines of the team's open retrospectives of resolved incidents to `settings` (the process they run
    under, after a change of it). Returns how many."""
    count = 0
    for retrospective in Retrospective.objects.filter(
        incident__team=team, state__in=Retrospective.OPEN_STATES, incident__resolved_at__isnull=False
    ).select_related("incident"):
        deadlines_refresh(retrospective, settings=settings)
        count += 1
    return count


def checked_severities(organization_id: int, severities_requiring: Iterable[str]) -> list[str]:
    """The severity keys, each once, when every one is a level of the organization; ValidationError otherwise."""
    keys = list(dict.fromkeys(severities_requiring))
    known = list(SeverityLevel.objects.filter(organization_id=organization_id).values_list("key", flat=True))
    for key in keys:
        if key not in known:
            raise ValidationError(
                {"severities_requiring": f"Unknown severity {key!r}; use some of {', '.join(known)}."}
            )
    return keys


def checked_offsets(offsets: dict[str, int]) -> None:
    """Each step's business days from resolution: given, 0 to MAX_BUSINESS_DAYS, never before the step before it."""
    previous = None
    for step in STEP_ORDER:
        if step not in offsets:
            raise ValidationError({OFFSET_FIELDS[step]: f"Say in how many business days {step.label} is due."})
        value = offsets[step]
        if not isinstance(value, int) or not 0 <= value <= MAX_BUSINESS_DAYS:
            raise ValidationError(
                {OFFSET_FIELDS[step]: f"{step.label}: a number of business days from 0 to {MAX_BUSINESS_DAYS}."}
            )
        if previous is not None and value < offsets[previous]:
            raise ValidationError(
                {
                    OFFSET_FIELDS[step]: f"{step.label} ({value} business days) cannot come before "
                    f"{previous.label.lower()} ({offsets[previous]}): the steps follow one another."
                }
            )
        previous = step


def retrospective_required(incident: Incident, settings: ProcessSettings | None = None) -> bool:
    """Whether the team's process asks for a retrospective of this incident (no severity chosen: every incident)."""
    settings = settings or effective_process_for(incident.team)
    return not settings.severities_requiring or incident.severity.key in settings.severities_requiring


@dataclass(frozen=True)
class RequirementNote:
    required: bool
    text: str


def retrospective_requirement(incident: Incident) -> RequirementNote:
    settings = effective_process_for(incident.team)
    version = getattr(settings, "standard_version", None)
    whose = (
        f"{incident.team.name}'s process"
        if version is None
        else f"{incident.team.organization.name}'s standard process (version {version.number})"
    )
    if not settings.severities_requiring:
        return RequirementNote(True, f"{whose} asks for a retrospective of every incident.")
    listed = ", ".join(settings.severities_requiring)
    if retrospective_required(incident, settings):
        return RequirementNote(True, f"{incident.severity.key} incidents need a retrospective in {whose} ({listed}).")
    return RequirementNote(
        False,
        f"{whose} does not require a retrospective for {incident.severity.key} incidents (only {listed}); "
        "one is still welcome when there is something to learn.",
    )


# --- Deadlines ---------------------------------------------------------------------------------

# How the pages name each step ("First draft due May 11").
STEP_NAMES = {
    Step.RESEARCH: "Research start",
    Step.FIRST_DRAFT: "First draft",
    Step.FEEDBACK_END: "End of feedback",
    Step.FEEDBACK_ADDRESSED: "Feedback addressed",
    Step.MEETING: "Meeting",
}

# The steps a state has passed: reaching the state marks them done.
STEPS_DONE_IN = {
    State.DRAFT: (),
    State.IN_REVIEW: (Step.RESEARCH, Step.FIRST_DRAFT),
    State.MEETING: (Step.RESEARCH, Step.FIRST_DRAFT, Step.FEEDBACK_END, Step.FEEDBACK_ADDRESSED),
    State.APPROVED: tuple(STEP_ORDER),
    State.DONE: tuple(STEP_ORDER),
}


def deadline_dates(*, resolved_at: datetime, settings: ProcessSettings) -> dict[str, date]:
    calendar = calendar_for(settings)
    return {step: calendar.add(resolved_at, getattr(settings, OFFSET_FIELDS[step])) for step in STEP_ORDER}


def _research_started_at(retrospective: Retrospective) -> datetime | None:
    """When the owner first wrote (a section saved after it was started) or asked someone for their account."""
    moments = []
    if retrospective.owner_id:
        moments.append(
            Revision.objects.filter(
                section__retrospective=retrospective, created_by_id=retrospective.owner_id, version__gt=1
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    moments.append(
        AccountRequest.objects.filter(retrospective=retrospective)
        .order_by("requested_at")
        .values_list("requested_at", flat=True)
        .first()
    )
    moments = [m for m in moments if m is not None]
    return min(moments) if moments else None


def deadlines_refresh(retrospective: Retrospective, *, settings: ProcessSettings | None = None) -> list[Deadline]:
    """Create or move the retrospective's deadlines from its incident's resolution, in its team's calendar; steps
    already done keep their done_at, and steps the review has passed are marked done. Keeps Retrospective.due_at
    equal to the first draft's due date. Nothing is due while the incident is not resolved."""
    incident = retrospective.incident
    if incident.resolved_at is None:
        return list(retrospective.deadlines.all())
    settings = settings or effective_process_for(incident.team)
    dates = deadline_dates(resolved_at=incident.resolved_at, settings=settings)
    now = timezone.now()
    passed = set(STEPS_DONE_IN[retrospective.state])
    existing = {d.step: d for d in Deadline.objects.filter(retrospective=retrospective)}
    research_done = existing.get(Step.RESEARCH)
    research_at = None
    if Step.RESEARCH not in passed and (research_done is None or research_done.done_at is None):
        research_at = _research_started_at(retrospective)
    result = []
    for step in STEP_ORDER:
        row = existing.get(step)
        done_at = row.done_at if row is not None else None
        if done_at is None and step in passed:
            done_at = now
        if done_at is None and step == Step.RESEARCH and research_at is not None:
            done_at = research_at
        if row is None:
            row = Deadline.objects.create(retrospective=retrospective, step=step, due_on=dates[step], done_at=done_at)
        elif row.due_on != dates[step] or row.done_at != done_at:
            row.due_on, row.done_at = dates[step], done_at
            row.save(update_fields=["due_on", "done_at"])
        result.append(row)
    first_draft = dates[Step.FIRST_DRAFT]
    if retrospective.due_at != first_draft:
        Retrospective.objects.filter(pk=retrospective.pk).update(due_at=first_draft)
        retrospective.due_at = first_draft
    return result


def deadlines_refresh_for_incident(incident: Incident) -> int:
    """Deadlines for the incident's open retrospectives that have none yet (one was just started or imported, its
    owner assigned at the start). Returns how many got them."""
    if incident.resolved_at is None:
        return 0
    missing = Retrospective.objects.filter(incident=incident, state__in=Retrospective.OPEN_STATES).filter(
        ~Exists(Deadline.objects.filter(retrospective=OuterRef("pk")))
    )
    settings = effective_process_for(incident.team)
    count = 0
    for retrospective in missing.select_related("incident"):
        deadlines_refresh(retrospective, settings=settings)
        count += 1
    return count


def deadlines_mark_done(*, retrospective: Retrospective, steps: Iterable[str], at: datetime | None = None) -> int:
    """Mark steps done (those already done keep their first done_at). For the other parts of the review, such as an
    account request, which starts the research."""
    done = Deadline.objects.filter(retrospective=retrospective, step__in=list(steps), done_at__isnull=True).update(
        done_at=at or timezone.now()
    )
    if done:
        deadlines_changed.send(sender=Deadline, retrospective=retrospective)
    return done


# Sent when deadlines change in bulk (QuerySet.update sends no post_save): the insights' cached figures listen.
deadlines_changed = Signal()


def deadlines_sync() -> dict:
    """The periodic job: deadlines for open retrospectives whose incident was resolved after they started (or whose
    deadlines are missing), and the research step of drafts whose owner has started writing. Harmless to run twice."""
    open_resolved = Retrospective.objects.filter(
        state__in=Retrospective.OPEN_STATES, incident__resolved_at__isnull=False
    ).select_related("incident", "incident__team")
    missing = open_resolved.filter(~Exists(Deadline.objects.filter(retrospective=OuterRef("pk"))))
    research_open = open_resolved.filter(
        state=State.DRAFT,
        deadlines__step=Step.RESEARCH,
        deadlines__done_at__isnull=True,
    ).filter(
        Exists(AccountRequest.objects.filter(retrospective=OuterRef("pk")))
        | Exists(
            Revision.objects.filter(
                section__retrospective=OuterRef("pk"), created_by=OuterRef("owner_id"), version__gt=1
            )
        )
    )
    created = refreshed = 0
    settings_cache: dict[int, ProcessSettings] = {}
    for queryset, counter in ((missing, "created"), (research_open, "refreshed")):
        for retrospective in queryset.iterator(chunk_size=500):
            team_id = retrospective.incident.team_id
            if team_id not in settings_cache:
                settings_cache[team_id] = effective_process_for(retrospective.incident.team)
            with transaction.atomic():
                deadlines_refresh(retrospective, settings=settings_cache[team_id])
            if counter == "created":
                created += 1
            else:
                refreshed += 1
    return {"deadlines_created_for": created, "research_marked_for": refreshed}


@dataclass
class DueStep:
    """A step still to do, with how late it is in its team's working days (0 when not late)."""

    deadline: Deadline
    step: str
    label: str
    due_on: date
    overdue_days: int

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


def _due_step(deadline: Deadline, calendar: WorkCalendar, now: datetime) -> DueStep:
    today = calendar.local_date(now)
    late = calendar.between(deadline.due_on, today) if today > deadline.due_on else 0
    if today > deadline.due_on and late == 0:
        late = 1  # due on a working day, and today is a day off after it: still late
    return DueStep(
        deadline=deadline,
        step=deadline.step,
        label=STEP_NAMES[Step(deadline.step)],
        due_on=deadline.due_on,
        overdue_days=late,
    )


def next_due_step(
    retrospective: Retrospective, *, deadlines: list[Deadline] | None = None, now: datetime | None = None
) -> DueStep | None:
    """The earliest step not done yet; None when every step is done or no deadline is set. A done retrospective has
    nothing due."""
    if retrospective.state == State.DONE:
        return None
    deadlines = deadlines if deadlines is not None else list(retrospective.deadlines.all())
    order = {step: index for index, step in enumerate(STEP_ORDER)}
    open_ = sorted((d for d in deadlines if d.done_at is None), key=lambda d: (d.due_on, order.get(d.step, 9)))
    if not open_:
        return None
    calendar = calendar_for(process_settings_for(retrospective.incident.team))
    return _due_step(open_[0], calendar, now or timezone.now())


def deadlines_in_order(retrospective: Retrospective) -> list[Deadline]:
    """The retrospective's deadlines in the order of the steps, each with its `label`."""
    order = {step: index for index, step in enumerate(STEP_ORDER)}
    deadlines = sorted(retrospective.deadlines.all(), key=lambda d: order.get(d.step, 9))
    for deadline in deadlines:
        deadline.label = STEP_NAMES[Step(deadline.step)]
    return deadlines


def due_steps(*, user: User, within_days: int = 7, limit: int = 10, now: datetime | None = None) -> list[DueStep]:
    """For the home page: the next step still to do of each open retrospective `user` may see, due within
    `within_days` (overdue ones included), the soonest first. A done step is never due nor overdue. Three queries,
    whatever the number of rows."""
    now = now or timezone.now()
    by = timezone.localdate(now) + timedelta(days=within_days)
    rows = list(
        _next_open_deadlines(user)
        .filter(due_on__lte=by)
        .select_related("retrospective__owner", "retrospective__incident")
        .order_by("due_on", "id")[:limit]
    )
    # A draft whose incident is not resolved has no deadlines yet, only the first draft's date someone set by hand.
    by_hand = (
        retrospectives_visible_to(user)
        .filter(state=State.DRAFT, due_at__lte=by)
        .filter(~Exists(Deadline.objects.filter(retrospective=OuterRef("pk"))))
        .select_related("owner", "incident")
        .order_by("due_at", "id")[:limit]
    )
    rows += [Deadline(retrospective=r, step=Step.FIRST_DRAFT, due_on=r.due_at) for r in by_hand]
    rows = sorted(rows, key=lambda d: (d.due_on, d.retrospective_id))[:limit]
    calendars = {
        team_id: calendar_for(s)
        for team_id, s in process_settings_by_team(r.retrospective.incident.team_id for r in rows).items()
    }
    return [_due_step(row, calendars[row.retrospective.incident.team_id], now) for row in rows]


def _next_open_deadlines(user: User) -> QuerySet[Deadline]:
    """Open deadlines of open retrospectives `user` may see, each the earliest open one of its retrospective."""
    visible = retrospectives_visible_to(user).filter(
        pk=OuterRef("retrospective_id"), state__in=Retrospective.OPEN_STATES
    )
    earlier = Deadline.objects.filter(retrospective_id=OuterRef("retrospective_id"), done_at__isnull=True).filter(
        Q(due_on__lt=OuterRef("due_on")) | Q(due_on=OuterRef("due_on"), id__lt=OuterRef("id"))
    )
    return Deadline.objects.filter(done_at__isnull=True).filter(Exists(visible)).exclude(Exists(earlier))


def next_due_by_incident(*, user: User, incident_ids: Iterable[int], now: datetime | None = None) -> dict[int, DueStep]:
    """For the incident list: the soonest step still to do among each incident's open retrospectives. Two queries."""
    now = now or timezone.now()
    rows = (
        _next_open_deadlines(user)
        .filter(retrospective__incident_id__in=list(incident_ids))
        .select_related("retrospective__incident")
        .order_by("due_on", "id")
    )
    found: dict[int, Deadline] = {}
    for row in rows:
        found.setdefault(row.retrospective.incident_id, row)
    calendars = {
        team_id: calendar_for(s)
        for team_id, s in process_settings_by_team(r.retrospective.incident.team_id for r in found.values()).items()
    }
    return {
        incident_id: _due_step(row, calendars[row.retrospective.incident.team_id], now)
        for incident_id, row in found.items()
    }


# --- Assignment ----------------------------------------------------------------------------------

ASSIGN_FORBIDDEN = "Only people who can edit the incident (its team's members) can assign the retrospective."
ROLES = (("owner", "owner"), ("shadow", "shadow"), ("reverse_shadow", "reverse shadow"))


@dataclass
class Candidate:
    user: User
    owned: int = 0
    shadowed: int = 0
    taught: int = 0
    last_owned: datetime | None = None
    last_shadowed: datetime | None = None
    last_taught: datetime | None = None
    responded: bool = False

    @property
    def last(self) -> datetime | None:
        moments = [m for m in (self.last_owned, self.last_shadowed, self.last_taught) if m]
        return max(moments) if moments else None


def people_who_may_see(incident: Incident) -> QuerySet[User]:
    """Active people of the incident's organization who may see it: everyone for an organization-wide incident; for a
    private one, its team (viewers too), its invitees and the organization admins."""
    people = User.objects.filter(organization_id=incident.organization_id, is_active=True)
    if incident.visibility == Incident.Visibility.PRIVATE:
        people = people.filter(
            Q(is_org_admin=True)
            | Exists(Membership.objects.filter(user_id=OuterRef("pk"), team_id=incident.team_id))
            | Exists(Incident.invitees.through.objects.filter(user_id=OuterRef("pk"), incident_id=incident.pk))
        )
    return people.order_by("username")


def assignment_candidates(*, retrospective: Retrospective, viewer: User) -> list[Candidate]:
    """Who may own, shadow or coach the retrospective, each with how many retrospectives they owned, shadowed and
    taught (counting only those `viewer` may see: a count never reveals a private incident) and when last. Responders
    are marked, not left out. Two queries however many candidates."""
    visible = retrospectives_visible_to(viewer)

    def counted(role: str):
        rows = visible.filter(**{role: OuterRef("pk")}).order_by().values(role)
        return (
            Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), Value(0)),
            Subquery(rows.annotate(last=Max("created_at")).values("last")[:1]),
        )

    annotations = {}
    for role, name in (("owner", "owned"), ("shadow", "shadowed"), ("reverse_shadow", "taught")):
        count, last = counted(role)
        annotations[name] = count
        annotations[f"last_{name}"] = last
    incident = retrospective.incident
    responders = Incident.responders.through.objects.filter(incident_id=incident.pk, user_id=OuterRef("pk"))
    people = people_who_may_see(incident).annotate(**annotations, responded=Exists(responders))
    return [
        Candidate(
            user=person,
            owned=person.owned,
            shadowed=person.shadowed,
            taught=person.taught,
            last_owned=person.last_owned,
            last_shadowed=person.last_shadowed,
            last_taught=person.last_taught,
            responded=person.responded,
        )
        for person in people
    ]


def _may_see_incident(person: User, incident: Incident) -> bool:
    return incidents_visible_to(person).filter(pk=incident.pk).exists()


@transaction.atomic
def retrospective_assign(
    *,
    retrospective: Retrospective,
    owner: User,
    shadow: User | None = None,
    reverse_shadow: User | None = None,
    due_at: date | None = None,
    by: User,
) -> Retrospective:
    """Pick who writes it: an owner, with an optional shadow (learning the role) and reverse shadow (who has led
    retrospectives and coaches). Three different people of the organization; someone who may not see a private
    incident is invited to it. `due_at` sets the first draft's date only while the incident is not resolved (after
    that it comes from the team's process). Notifies the people newly given a role."""
    current = locked(Retrospective.objects.select_related("incident", "incident__team"), retrospective.pk)
    if not can_edit_incident(by, current.incident):
        raise PermissionDenied(ASSIGN_FORBIDDEN)
    if current.state == State.DONE:
        raise ReadOnlyError(done_read_only_message(current))
    if owner is None:
        raise ValidationError({"owner": "Pick an owner: one person writes it."})
    chosen = {"owner": owner, "shadow": shadow, "reverse_shadow": reverse_shadow}
    seen: dict[int, str] = {}
    for name, label in ROLES:
        person = chosen[name]
        if person is None:
            continue
        if person.organization_id != current.incident.organization_id:
            raise ValidationError({name: f"{person.username} is not in this organization."})
        if not person.is_active:
            raise ValidationError({name: f"{person.username} no longer has an account here."})
        if person.pk in seen:
            raise ValidationError(
                {
                    name: f"{person.username} is already the {seen[person.pk]}: owner, shadow and reverse shadow are "
                    "three different people."
                }
            )
        seen[person.pk] = label
    incident = current.incident
    if incident.visibility == Incident.Visibility.PRIVATE:
        for person in chosen.values():
            if person is not None and not _may_see_incident(person, incident):
                incident.invitees.add(person)
    before = {"owner": current.owner_id, "shadow": current.shadow_id, "reverse_shadow": current.reverse_shadow_id}
    current.owner, current.shadow, current.reverse_shadow = owner, shadow, reverse_shadow
    fields = ["owner", "shadow", "reverse_shadow", "updated_at"]
    if incident.resolved_at is None and due_at is not None:
        current.due_at = due_at
        fields.append("due_at")
    current.save(update_fields=fields)
    deadlines_refresh(current)
    for name, label in ROLES:
        person = chosen[name]
        if person is None or before[name] == person.pk:
            continue
        notify(
            recipients=[person],
            kind="assigned",
            key=f"assigned:{current.pk}:{name}:{person.pk}",
            title=f"You are the {label} of “{current.title}”",
            url=f"/retrospectives/{current.pk}/",
            retrospective=current,
            actor=by,
            body=f"{by.display_name} made you the {label} of the retrospective of #{incident.pk} {incident.title}.",
        )
    return current


# --- States --------------------------------------------------------------------------------------

NOT_ALONE = (
    "The owner can't review their own write-up alone: nobody else is in the team, and nobody is invited. "
    "Invite at least one reviewer."
)
APPROVE_NOT_OWNER = "Someone other than the owner approves the write-up."


def reviewers_of(retrospective: Retrospective) -> list[User]:
    """The team's members (any role) and the people invited to review, except the owner and shadow; active only."""
    writers = {retrospective.owner_id, retrospective.shadow_id}
    team = User.objects.filter(is_active=True, memberships__team_id=retrospective.incident.team_id).exclude(
        pk__in=[w for w in writers if w]
    )
    invited = User.objects.filter(is_active=True, review_invites__retrospective=retrospective).exclude(
        pk__in=[w for w in writers if w]
    )
    people = {u.pk: u for u in team}
    people.update({u.pk: u for u in invited})
    return sorted(people.values(), key=lambda u: u.username)


@dataclass
class ReviewReadiness:
    """What is missing before a review, shown on the confirmation page (nothing here stops it, except `refusal`)."""

    empty_required: list[str] = field(default_factory=list)
    checker_errors: list[str] = field(default_factory=list)
    unanswered_requests: list[str] = field(default_factory=list)
    reviewers: list[User] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return bool(self.empty_required or self.checker_errors or self.unanswered_requests)


def review_readiness(retrospective: Retrospective, sections=None) -> ReviewReadiness:
    from retrospector.writeups.checking import retrospective_checks

    sections = sections if sections is not None else list(retrospective.sections.all())
    checks = retrospective_checks(retrospective, sections)
    errors = [f"{checks.where(f)}: {f.message}" for f in checks.errors_besides_empty_sections]
    unanswered = [
        r.responder.display_name
        for r in AccountRequest.objects.filter(
            retrospective=retrospective, answered_at__isnull=True, withdrawn_at__isnull=True
        ).select_related("responder")
    ]
    return ReviewReadiness(
        empty_required=[s.title for s in sections if s.required and s.is_empty],
        checker_errors=errors,
        unanswered_requests=unanswered,
        reviewers=reviewers_of(retrospective),
    )


def _invite_reviewers(retrospective: Retrospective, people: list[User], by: User) -> None:
    incident = retrospective.incident
    writers = {retrospective.owner_id, retrospective.shadow_id}
    for person in people:
        if person.organization_id != incident.organization_id:
            raise ValidationError({"reviewers": f"{person.username} is not in this organization."})
        if person.pk in writers:
            raise ValidationError({"reviewers": f"{person.username} writes it: invite someone else to review."})
    hidden = [p for p in people if not _may_see_incident(p, incident)]
    if hidden:
        names = ", ".join(p.username for p in hidden)
        if not can_edit_incident(by, incident):
            raise ValidationError(
                {
                    "reviewers": f"{names} may not see this private incident, and only its team's members can invite "
                    "people to it: ask one of them, or pick someone who can see it."
                }
            )
        invitees = list(incident.invitees.all()) + hidden
        incident_update(incident=incident, by=by, invitees=invitees)
    for person in people:
        ReviewInvite.objects.get_or_create(retrospective=retrospective, user=person, defaults={"invited_by": by})


@transaction.atomic
def review_transition(
    *,
    retrospective: Retrospective,
    to_state: str,
    note: str = "",
    invite: Iterable[User] = (),
    by: User,
) -> Retrospective:
    """Move the review to another state, with the review's rules on top of writeups' (which moves are allowed, the
    required sections to approve, a reason to reopen): sending for review needs a reviewer besides the owner and
    shadow (the team's other members or someone invited, `invite` adds invitations); approving needs someone other
    than the owner. Marks the steps passed as done and notifies: reviewers when it is sent for review, the people
    taking part for every other move."""
    current = locked(Retrospective.objects.select_related("incident", "incident__team"), retrospective.pk)
    if not can_edit_retrospective(by, current):
        raise PermissionDenied("You can read this retrospective but not change its state.")
    from_state = current.state
    invite = [p for p in invite if p is not None]
    if to_state == State.IN_REVIEW and from_state == State.DRAFT:
        if invite:
            _invite_reviewers(current, invite, by)
        if not reviewers_of(current):
            raise ValidationError({"state": NOT_ALONE})
    elif invite:
        raise ValidationError({"reviewers": "Invite reviewers when sending it for review."})
    changed = retrospective_transition(retrospective=current, to_state=to_state, by=by, note=note)
    # Checked after writeups' rules (allowed moves, required sections), whose messages say more; undone with the rest.
    if to_state == State.APPROVED and by.pk == changed.owner_id:
        raise ValidationError({"state": APPROVE_NOT_OWNER})
    deadlines_mark_done(retrospective=changed, steps=STEPS_DONE_IN[changed.state])
    _announce(changed, from_state=from_state, by=by)
    return changed


def taking_part(retrospective: Retrospective) -> Q:
    """Who takes part in a retrospective, as a condition on users: its owner, shadow and reverse shadow, and the
    reviewers invited to it."""
    roles = [i for i in (retrospective.owner_id, retrospective.shadow_id, retrospective.reverse_shadow_id) if i]
    return Q(pk__in=roles) | Q(pk__in=ReviewInvite.objects.filter(retrospective=retrospective).values("user_id"))


def participants_of(retrospective: Retrospective, *, also: Iterable[int | None] = ()) -> list[User]:
    """The active people taking part (taking_part), and those `also` names by id (people an app above this one
    knows, such as the meeting's roles and attendees). One query."""
    extra = [i for i in also if i]
    return list(User.objects.filter(taking_part(retrospective) | Q(pk__in=extra), is_active=True))


# How a notification says where a retrospective now is.
STATE_PHRASES = {
    State.DRAFT: "is back to draft",
    State.IN_REVIEW: "is in review",
    State.MEETING: "is ready for its meeting",
    State.APPROVED: "was approved",
    State.DONE: "is done and published",
}


def _announce(retrospective: Retrospective, *, from_state: str, by: User) -> None:
    number = StateChange.objects.filter(retrospective=retrospective).count()
    url = f"/retrospectives/{retrospective.pk}/"
    to_label = retrospective.get_state_display().lower()
    if from_state == State.DRAFT and retrospective.state == State.IN_REVIEW:
        notify(
            recipients=reviewers_of(retrospective),
            kind="review_requested",
            key=f"review_requested:{retrospective.pk}:{number}",
            title=f"“{retrospective.title}” is ready for your review",
            url=url,
            retrospective=retrospective,
            actor=by,
            body=f"{by.display_name} sent it for review: read it and comment on its sections.",
        )
    notify(
        recipients=participants_of(retrospective),
        kind="state_changed",
        key=f"state_changed:{retrospective.pk}:{number}",
        title=f"“{retrospective.title}” {STATE_PHRASES.get(retrospective.state, 'is now ' + to_label)}",
        url=url,
        retrospective=retrospective,
        actor=by,
        body=f"{by.display_name} moved it from {State(from_state).label.lower()} to {to_label}.",
    )


def may_change_state(user: User, retrospective: Retrospective) -> bool:
    return retrospective.state != State.DONE and can_edit_retrospective(user, retrospective)
