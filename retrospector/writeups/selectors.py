"""Reads of templates and retrospectives; visibility always follows the incident's."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, When

from retrospector.accounts.models import User
from retrospector.core.shortcuts import visible_or_404
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import can_edit_incident, incidents_visible_to

from .models import Retrospective, Section, StateChange, Template, TemplateVersion


def templates_visible_to(user: User) -> QuerySet[Template]:
    if not user.is_authenticated:
        return Template.objects.none()
    return Template.objects.filter(
        Q(organization__isnull=True) | Q(organization_id=user.organization_id)
    ).select_related("team")


def template_latest_version(template: Template) -> TemplateVersion:
    return template.versions.order_by("-number").first()


def template_by_key(*, user: User, key: str) -> Template | None:
    # An organization's own template wins over a built-in of the same key.
    return templates_visible_to(user).filter(key=key).order_by("is_builtin").first()


def retrospectives_visible_to(user: User) -> QuerySet[Retrospective]:
    # A correlated EXISTS checks only each retrospective's own incident; `incident__in=<visible incidents>` made
    # SQLite list every visible incident first (15 ms per page with 10,000 incidents).
    visible = incidents_visible_to(user).filter(pk=OuterRef("incident_id"))
    return Retrospective.objects.filter(Exists(visible))


def can_edit_retrospective(user: User, retrospective: Retrospective) -> bool:
    if not user.is_authenticated:
        return False
    if can_edit_incident(user, retrospective.incident):
        return True
    # The owner and shadow write it even when they come from another team.
    return (
        user.pk in (retrospective.owner_id, retrospective.shadow_id)
        and incidents_visible_to(user).filter(pk=retrospective.incident_id).exists()
    )


RETROSPECTIVE_NOT_VISIBLE = "No such retrospective, or you may not see it."


def _with_details(retrospectives: QuerySet[Retrospective]) -> QuerySet[Retrospective]:
    """What a retrospective's page, export and checks read with it: its incident, people, template and sections."""
    return retrospectives.select_related(
        "incident",
        "incident__team",
        "incident__severity",
        "incident__organization",
        "owner",
        "shadow",
        "template_version__template",
    ).prefetch_related("sections")


def retrospective_detail(*, user: User, pk: int) -> Retrospective | None:
    return _with_details(retrospectives_visible_to(user)).filter(pk=pk).first()


def retrospective_detail_or_404(*, user: User, pk: int) -> Retrospective:
    """As retrospective_detail; 404 when `user` may not see it."""
    return visible_or_404(_with_details(retrospectives_visible_to(user)), pk, message=RETROSPECTIVE_NOT_VISIBLE)


def section_with_history(*, section: Section, limit: int = 50):
    return section.revisions.select_related("created_by").order_by("-version")[:limit]


def my_open_retrospectives(*, user: User, limit: int = 10) -> list[Retrospective]:
    """The open retrospectives (not done) that `user` owns or shadows and may see: first drafts still to write first,
    the soonest due first, then the rest, newest first; each with `filled` and `total`, its sections written and in
    all. A constant number of queries, the sections counted for the rows returned only."""
    first_draft_due = Case(When(state=Retrospective.State.DRAFT, then=F("due_at")), default=None)
    rows = list(
        retrospectives_visible_to(user)
        .filter(Q(owner=user) | Q(shadow=user), state__in=Retrospective.OPEN_STATES)
        .order_by(first_draft_due.asc(nulls_last=True), "-created_at", "-id")[:limit]
    )
    counts = {
        row["retrospective_id"]: row
        for row in Section.objects.filter(retrospective__in=[r.pk for r in rows])
        .values("retrospective_id")
        .annotate(filled=Count("pk", filter=Q(filled=True)), total=Count("pk"))
    }
    for retrospective in rows:
        counted = counts.get(retrospective.pk, {})
        retrospective.filled, retrospective.total = counted.get("filled", 0), counted.get("total", 0)
    return rows


def first_drafts_due(*, user: User, by: date, limit: int = 10) -> QuerySet[Retrospective]:
    """Drafts whose first draft is due on or before `by`, overdue ones included, the soonest first, that `user` may
    see. A retrospective past the draft state has its first draft: it is never due nor overdue. The index on (state,
    due_at) lets the database stop after `limit` rows, however many are due."""
    return (
        retrospectives_visible_to(user)
        .filter(state=Retrospective.State.DRAFT, due_at__lte=by)
        .select_related("owner")
        .order_by("due_at", "id")[:limit]
    )


@dataclass(frozen=True)
class DoneFilters:
    """The done list's filters, shared by its page and the API: each empty one filters nothing."""

    team: str = ""  # team slug
    severity: str = ""  # severity key
    service: str = ""  # service name
    done_from: date | None = None  # done on or after this day (UTC)
    done_to: date | None = None  # done on or before this day (UTC)
    q: str = ""  # words in the title


def done_writeups(*, user: User, filters: DoneFilters | None = None) -> QuerySet[Retrospective]:
    """The done write-ups `user` may see (the incident's visibility is part of the query, so a private one is never
    listed nor counted for outsiders), filtered, the most recently done first, each with `approved_by_id`: who moved
    it to done last (the approver)."""
    filters = filters or DoneFilters()
    done = retrospectives_visible_to(user).filter(state=Retrospective.State.DONE)
    if filters.team:
        done = done.filter(incident__team__slug=filters.team)
    if filters.severity:
        done = done.filter(incident__severity__key=filters.severity)
    if filters.service:
        done = done.filter(
            Exists(
                Incident.services.through.objects.filter(
                    incident_id=OuterRef("incident_id"), service__name=filters.service
                )
            )
        )
    if filters.done_from:
        done = done.filter(done_at__gte=datetime.combine(filters.done_from, time.min, tzinfo=UTC))
    if filters.done_to:
        done = done.filter(done_at__lt=datetime.combine(filters.done_to + timedelta(days=1), time.min, tzinfo=UTC))
    if filters.q.strip():
        done = done.filter(title__icontains=filters.q.strip()[:200])
    approver = (
        StateChange.objects.filter(retrospective_id=OuterRef("pk"), to_state=Retrospective.State.DONE)
        .order_by("-at", "-id")
        .values("by_id")[:1]
    )
    return (
        done.select_related("incident", "incident__team", "incident__severity", "owner", "template_version__template")
        .annotate(approved_by_id=Subquery(approver))
        .order_by("-done_at", "-id")
    )


def with_approvers(retrospectives) -> list[Retrospective]:
    """Set `approved_by` (a User or None) on each of a page of done_writeups, in one query."""
    rows = list(retrospectives)
    people = User.objects.in_bulk({r.approved_by_id for r in rows if r.approved_by_id})
    for retrospective in rows:
        retrospective.approved_by = people.get(retrospective.approved_by_id)
    return rows


@dataclass(frozen=True)
class TemplateMatch:
    """How an imported write-up's sections compare with the template it was filed under."""

    matched: list[Section]  # sections of the template that the file has
    extra: list[Section]  # sections of the file that the template does not have: kept as they were
    missing: list[str]  # titles of the template's sections that the file does not have


def template_match(retrospective: Retrospective, sections: list[Section] | None = None) -> TemplateMatch:
    sections = sections if sections is not None else list(retrospective.sections.all())
    specs = retrospective.template_version.sections
    template_keys = {spec["key"] for spec in specs}
    present = {section.key for section in sections}
    return TemplateMatch(
        matched=[s for s in sections if s.key in template_keys],
        extra=[s for s in sections if s.key not in template_keys],
        missing=[spec["title"] for spec in specs if spec["key"] not in present],
    )
