"""The weekly digest e-mail: for each person who asked for it (notifications.DigestSubscription), once a week, the
write-ups done in the last seven days and the recommendations past their commitment date, only those they may see.

When: from DIGEST_HOUR (UTC) on Monday, at the first run of the worker's periodic job; a run later in the week (the
worker was down) still sends that week's. Once: the person's row for the week (notifications.Digest) is claimed before
the digest is built, so running the job twice, or two workers at once, mails it once. Nothing to tell, no e-mail (the
row says "empty"). The mail server unreachable: nothing is claimed, the next run tries again.

Cost: at most BATCH people per run, each read through the permission selectors (retrospectives_visible_to,
recommendations_visible_to) in a fixed number of queries; the rest wait for the next run ten minutes later.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.actions.models import Recommendation
from retrospector.actions.selectors import overdue_q, recommendations_visible_to, today_utc
from retrospector.notifications.delivery import absolute_url
from retrospector.notifications.models import Digest, DigestSubscription
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import retrospectives_visible_to

logger = logging.getLogger(__name__)

DIGEST_HOUR = 8  # UTC, on Monday
WINDOW = timedelta(days=7)
BATCH = 200  # people per run
MAX_ITEMS = 20  # listed per part; the rest are counted, with a link to the whole list
State = Digest.State


def digest_week(now: datetime) -> date:
    """The Monday (UTC) of the week `now` is in."""
    day = today_utc(now)
    return day - timedelta(days=day.weekday())


def digest_due(now: datetime) -> bool:
    """Whether this week's digests may go out yet (from Monday DIGEST_HOUR UTC)."""
    monday = digest_week(now)
    return now >= datetime.combine(monday, time(DIGEST_HOUR), tzinfo=UTC)


@dataclass
class DigestContent:
    """What one person's digest says: write-ups done lately and overdue recommendations, each with its total."""

    user: User
    since: datetime
    today: date
    done: list[Retrospective] = field(default_factory=list)
    done_total: int = 0
    overdue: list[Recommendation] = field(default_factory=list)
    overdue_total: int = 0

    @property
    def empty(self) -> bool:
        return not self.done_total and not self.overdue_total


def _listed(rows: list, query) -> tuple[list, int]:
    """The first MAX_ITEMS rows and the total: counted only when there are more than shown."""
    if len(rows) <= MAX_ITEMS:
        return rows, len(rows)
    return rows[:MAX_ITEMS], query.count()


def digest_content(user: User, *, now: datetime | None = None) -> DigestContent:
    """One person's digest, read through the permission selectors (two queries, four when a part has more than
    MAX_ITEMS)."""
    now = now or timezone.now()
    since, today = now - WINDOW, today_utc(now)
    done = (
        retrospectives_visible_to(user)
        .filter(state=Retrospective.State.DONE, done_at__gte=since, done_at__lte=now)
        .select_related("incident", "incident__team")
        .order_by("-done_at", "-pk")
    )
    overdue = (
        recommendations_visible_to(user)
        .filter(overdue_q(today), merged_into__isnull=True)
        .select_related("team", "owner")
        .order_by("commitment_date", "pk")
    )
    content = DigestContent(user=user, since=since, today=today)
    content.done, content.done_total = _listed(list(done[: MAX_ITEMS + 1]), done)
    content.overdue, content.overdue_total = _listed(list(overdue[: MAX_ITEMS + 1]), overdue)
    return content


def _links(content: DigestContent) -> dict:
    return {
        "done": [(r, absolute_url(f"/retrospectives/{r.pk}/")) for r in content.done],
        "overdue": [
            (r, absolute_url(f"/recommendations/{r.pk}/"), (content.today - r.commitment_date).days)
            for r in content.overdue
        ],
        "done_list_url": absolute_url("/writeups/"),
        "overdue_list_url": absolute_url("/recommendations/?overdue=on"),
        "preferences_url": absolute_url("/me/notifications/#digest"),
    }


def digest_subject(content: DigestContent) -> str:
    parts = []
    if content.done_total:
        parts.append(f"{content.done_total} write-up{'' if content.done_total == 1 else 's'} done")
    if content.overdue_total:
        parts.append(f"{content.overdue_total} recommendation{'' if content.overdue_total == 1 else 's'} overdue")
    return "Retrospector weekly digest: " + ", ".join(parts)


def digest_message(content: DigestContent, *, connection=None) -> EmailMultiAlternatives:
    """The e-mail: a plain-text part and an HTML part (escaped: titles are people's text), absolute links, and the
    link to stop it."""
    context = {"c": content, **_links(content)}
    message = EmailMultiAlternatives(
        subject=digest_subject(content),
        body=render_to_string("insights/digest_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[content.user.email],
        connection=connection,
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "List-Unsubscribe": f"<{context['preferences_url']}>",
        },
    )
    message.attach_alternative(render_to_string("insights/digest_email.html", context), "text/html")
    return message


def _people_due(week: date, *, usernames: list[str] | None = None):
    people = (
        User.objects.filter(
            pk__in=DigestSubscription.objects.values("user_id"),
            is_active=True,
            organization__isnull=False,
        )
        .exclude(email="")
        .exclude(pk__in=Digest.objects.filter(week=week).values("user_id"))
        .order_by("pk")
    )
    if usernames:
        people = people.filter(username__in=usernames)
    return people


def digests_preview(*, now: datetime | None = None, usernames: list[str] | None = None) -> list[DigestContent]:
    """What a run would send now (ignoring the hour), without claiming or sending anything: `digest send --dry-run`."""
    now = now or timezone.now()
    return [digest_content(u, now=now) for u in _people_due(digest_week(now), usernames=usernames)[:BATCH]]


def digests_send(
    *, now: datetime | None = None, usernames: list[str] | None = None, force: bool = False
) -> dict[str, int]:
    """The periodic job: send this week's digest to up to BATCH people who asked for it and have not had it. `force`
    sends before Monday's hour (the command)."""
    now = now or timezone.now()
    counts = {"sent": 0, "empty": 0, "failed": 0, "taken": 0}
    if not force and not digest_due(now):
        return counts
    week = digest_week(now)
    candidates = list(_people_due(week, usernames=usernames).values_list("pk", flat=True)[:BATCH])
    if not candidates:
        return counts
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("mail server unreachable, %s digests wait: %s", len(candidates), exc)
        return {**counts, "waiting": len(candidates)}
    claim = uuid.uuid4().hex
    try:
        Digest.objects.bulk_create(
            [Digest(user_id=pk, week=week, claim=claim) for pk in candidates], ignore_conflicts=True
        )
        mine = list(
            User.objects.filter(digests__week=week, digests__claim=claim).order_by("pk")
        )  # the rows another run inserted first are theirs
        counts["taken"] = len(candidates) - len(mine)
        for user in mine:
            counts[_send_one(user, week=week, claim=claim, now=now, connection=connection)] += 1
    finally:
        try:
            connection.close()
        except Exception:  # a server that went away cannot be said goodbye to
            pass
    return counts


def _send_one(user: User, *, week: date, claim: str, now: datetime, connection) -> str:
    rows = Digest.objects.filter(user=user, week=week, claim=claim, state=State.SENDING)
    content = digest_content(user, now=now)
    listed = {
        "retrospective_ids": [r.pk for r in content.done],
        "recommendation_ids": [r.pk for r in content.overdue],
    }
    if content.empty:
        rows.update(state=State.EMPTY, **listed)
        return "empty"
    try:
        digest_message(content, connection=connection).send()
    except Exception as exc:  # refused, or the server went away: at most once, not sent again
        rows.update(state=State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], **listed)
        return "failed"
    rows.update(state=State.SENT, sent_at=timezone.now(), **listed)
    return "sent"
