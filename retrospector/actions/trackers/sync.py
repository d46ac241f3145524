"""The writes of the trackers' part: a team's connections, a recommendation's issue (created or linked), our changes
pushed to the issue, the issue's state applied to the recommendation (pulled on a schedule, or told by a webhook).

Status changes coming from a tracker go through actions.services.recommendation_update with source GitHub or Jira,
so the history, the events and the change rules are the same as for a change made here; they do not mark the
recommendation for pushing back (no echo). A change made here marks it (`tracker_push_pending`) and the worker
pushes it (trackers.tasks); the flag is cleared only once the tracker took that version, so nothing is lost.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from retrospector.accounts.models import Team, User
from retrospector.actions.models import Recommendation, RecommendationChange, TrackerConnection, TrackerEvent
from retrospector.actions.services import recommendation_update
from retrospector.core.secretbox import seal
from retrospector.notifications.models import Kind
from retrospector.notifications.services import Notice, notify_each

from .base import IssueState, SignatureError, TrackerError
from .github import GitHubClient
from .jira import JiraClient
from .mapping import status_for

logger = logging.getLogger(__name__)

Source = RecommendationChange.Source
BODY_LIMIT = 1024 * 1024  # an incoming webhook's body, at most
EXCERPT = 2000
EVENTS_KEPT = timedelta(days=30)  # the incoming calls' log
# A change's own push task retries for about 8 minutes (tasks.MAX_ATTEMPTS); the periodic job takes over after this.
TASK_WINDOW = timedelta(minutes=15)
GITHUB_PROJECT = re.compile(r"^[\w.-]+/[\w.-]+$")
JIRA_PROJECT = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")


def client_for(connection: TrackerConnection) -> GitHubClient | JiraClient:
    return GitHubClient(connection) if connection.kind == TrackerConnection.Kind.GITHUB else JiraClient(connection)


def source_of(connection: TrackerConnection) -> str:
    return Source.GITHUB if connection.kind == TrackerConnection.Kind.GITHUB else Source.JIRA


def pull_every() -> timedelta:
    return timedelta(minutes=settings.TRACKER_PULL_EVERY_MINUTES)


def recommendation_page(recommendation: Recommendation) -> str:
    """The recommendation's page (its tracker page until the recommendation pages exist)."""
    try:
        return reverse("recommendation_detail", args=[recommendation.pk])
    except NoReverseMatch:
        return reverse("recommendation_tracker", args=[recommendation.pk])


# Connections ----------------------------------------------------------------------------------------------------------


def tracker_connection_save(
    *,
    team: Team,
    by: User,
    connection: TrackerConnection | None = None,
    kind: str,
    name: str,
    base_url: str,
    project: str,
    username: str = "",
    credential: str = "",
    webhook_secret: str = "",
    state_map: dict | None = None,
) -> TrackerConnection:
    """Add (`connection` None) or change a team's connection. An empty `credential` or `webhook_secret` keeps the
    stored one; they are stored encrypted and never given back."""
    if connection is not None and connection.team_id != team.pk:
        raise ValidationError("This connection belongs to another team.")
    errors: dict[str, str] = {}
    base_url = base_url.strip().rstrip("/")
    project = project.strip()
    if kind not in TrackerConnection.Kind.values:
        errors["kind"] = "Choose GitHub or Jira."
    if not name.strip():
        errors["name"] = "Give the connection a name."
    allow_http = settings.TRACKERS_ALLOW_HTTP
    if not (base_url.startswith("https://") or (allow_http and base_url.startswith("http://"))):
        errors["base_url"] = "The address must start with https://."
    if kind == TrackerConnection.Kind.GITHUB and not GITHUB_PROJECT.match(project):
        errors["project"] = "Write the repository as owner/name."
    if kind == TrackerConnection.Kind.JIRA:
        project = project.upper()
        if not JIRA_PROJECT.match(project):
            errors["project"] = "Write the project's key, e.g. OPS."
        if not username.strip():
            errors["username"] = "Jira needs the e-mail address of the account the API token belongs to."
    if connection is None and not credential:
        errors["credential"] = "Paste a token: a GitHub token allowed to write issues, or a Jira API token."
    if errors:
        raise ValidationError(errors)
    row = connection or TrackerConnection(team=team, created_by=by)
    row.kind, row.name, row.base_url, row.project = kind, name.strip(), base_url, project
    row.username = username.strip()
    row.state_map = dict(state_map or {})
    if credential:
        row.credential_encrypted = seal(credential.strip())
    if webhook_secret:
        row.webhook_secret_encrypted = seal(webhook_secret.strip())
    row.save()
    return row


def tracker_connection_delete(*, connection: TrackerConnection, by: User) -> None:
    """Remove a connection: its recommendations keep the issue's key and address as a plain link."""
    with transaction.atomic():
        Recommendation.objects.filter(tracker=connection).update(tracker=None, tracker_push_pending=False)
        connection.delete()


# Linking a recommendation to an issue -----------------------------------------------------------------------------


def _usable(recommendation: Recommendation, connection: TrackerConnection) -> None:
    if connection.team_id != recommendation.team_id:
        raise ValidationError({"connection": "Choose one of the recommendation's team's trackers."})


def _store(recommendation: Recommendation, connection: TrackerConnection, state: IssueState, *, by: User) -> None:
    before = recommendation.tracker_url or recommendation.tracker_key
    with transaction.atomic():
        Recommendation.objects.filter(pk=recommendation.pk).update(
            tracker=connection,
            tracker_key=state.key[:200],
            tracker_url=state.url if state.url.startswith(("https://", "http://")) else "",
            tracker_state=state.state[:100],
            tracker_synced_at=timezone.now(),
            tracker_error="",
            tracker_push_pending=False,
        )
        RecommendationChange.objects.create(
            recommendation=recommendation,
            by=by,
            source=Source.WEB,
            changes={"tracker": [before or None, state.url or state.key]},
            reason=f"Linked to {connection.get_kind_display()} issue {state.key}",
        )


def tracker_issue_create(
    *, recommendation: Recommendation, connection: TrackerConnection, by: User, link: str
) -> Recommendation:
    """A new issue for the recommendation (title, description, definition of done and `link`, the absolute address
    of the recommendation's page). The tracker's refusal is a ValidationError with its own message."""
    _usable(recommendation, connection)
    try:
        state = client_for(connection).create_issue(recommendation, link=link)
    except TrackerError as exc:
        raise ValidationError({"connection": exc.message}) from None
    _store(recommendation, connection, state, by=by)
    created = Recommendation.objects.get(pk=recommendation.pk)
    if status_for(connection, state=state.state, category=state.category) != created.status:
        # A new issue starts open: a recommendation already in progress, done or dropped moves it (trackers.signals).
        created.tracker_push_pending = True
        created.save(update_fields=["tracker_push_pending"])
    return created


def tracker_issue_link(
    *, recommendation: Recommendation, connection: TrackerConnection, key: str, by: User
) -> Recommendation:
    """Link an existing issue (its key or address), checked by fetching it; its state then applies as if the tracker
    had just changed it."""
    _usable(recommendation, connection)
    try:
        state = client_for(connection).fetch_state(key)
    except TrackerError as exc:
        raise ValidationError({"key": exc.message}) from None
    _store(recommendation, connection, state, by=by)
    linked = Recommendation.objects.select_related("tracker").get(pk=recommendation.pk)
    return tracker_state_apply(recommendation=linked, state=state, told=True)


def tracker_issue_unlink(*, recommendation: Recommendation, by: User) -> None:
    with transaction.atomic():
        Recommendation.objects.filter(pk=recommendation.pk).update(
            tracker=None, tracker_key="", tracker_url="", tracker_state="", tracker_error="", tracker_push_pending=False
        )
        RecommendationChange.objects.create(
            recommendation=recommendation,
            by=by,
            changes={"tracker": [recommendation.tracker_url or recommendation.tracker_key, None]},
            reason="Unlinked from its issue",
        )


# Their state onto ours ------------------------------------------------------------------------------------------------


def tracker_state_apply(*, recommendation: Recommendation, state: IssueState, told: bool) -> Recommendation:
    """Record the issue's state and apply it to the recommendation's status through recommendation_update.

    `told`: the tracker reported a change (webhook, or linking): it wins. A scheduled pull (`told` False) does not
    overwrite a change of ours that is still waiting to be pushed (the issue simply does not have it yet)."""
    connection = recommendation.tracker
    Recommendation.objects.filter(pk=recommendation.pk).update(
        tracker_state=state.state[:100], tracker_synced_at=timezone.now(), tracker_error=""
    )
    status = status_for(connection, state=state.state, category=state.category)
    if status is None or status == recommendation.status or recommendation.merged_into_id:
        return recommendation
    if not told and recommendation.tracker_push_pending:
        return recommendation
    label = connection.get_kind_display()
    try:
        return recommendation_update(
            recommendation=recommendation,
            by=None,
            changes={"status": status},
            reason=f"Changed in {label}",
            source=source_of(connection),
        )
    except ValidationError as exc:
        message = f"{label} says “{state.state}”, which could not be applied: {' '.join(exc.messages)}"
        Recommendation.objects.filter(pk=recommendation.pk).update(tracker_error=message)
        return recommendation


def tracker_pull(*, recommendation: Recommendation) -> Recommendation:
    """Fetch the issue's state and apply it (TrackerError when the tracker does not answer as it should)."""
    state = client_for(recommendation.tracker).fetch_state(recommendation.tracker_key)
    return tracker_state_apply(recommendation=recommendation, state=state, told=False)


# Our changes onto theirs -------------------------------------------------------------------------------------------


def tracker_push(*, recommendation_id: int) -> str:
    """Push a recommendation's title and status to its issue if a change of ours waits; TrackerError when the
    tracker refuses or does not answer. The waiting flag is cleared only when nobody changed the recommendation
    while it was being pushed (a newer change is pushed by its own task)."""
    recommendation = (
        Recommendation.objects.select_related("tracker").filter(pk=recommendation_id, tracker__isnull=False).first()
    )
    if recommendation is None or not recommendation.tracker_push_pending:
        return "nothing to push"
    state = client_for(recommendation.tracker).push(recommendation)
    Recommendation.objects.filter(pk=recommendation.pk, version=recommendation.version).update(
        tracker_push_pending=False, tracker_state=state.state[:100], tracker_synced_at=timezone.now(), tracker_error=""
    )
    return f"pushed to {recommendation.tracker_key}"


def tracker_failure_record(*, recommendation_id: int, error: TrackerError) -> None:
    """Show the tracker's error on the recommendation and tell its owner (once per version of the recommendation)."""
    recommendation = Recommendation.objects.select_related("owner", "tracker").filter(pk=recommendation_id).first()
    if recommendation is None:
        return
    Recommendation.objects.filter(pk=recommendation.pk).update(tracker_error=error.message)
    owner = recommendation.owner
    if owner is None or not owner.is_active:
        return
    notify_each(
        kind=Kind.TRACKER_ERROR,
        notices=[
            Notice(
                recipient=owner,
                key=f"tracker-error:{recommendation.pk}:{recommendation.version}",
                title=f"“{recommendation.title}” could not be kept in step with {recommendation.tracker_key}",
                body=error.message,
                url=reverse("recommendation_tracker", args=[recommendation.pk]),
            )
        ],
    )


def trackers_sync(*, batch: int = 100) -> dict:
    """The periodic job: push the changes still waiting once their own task had its time (TASK_WINDOW: a task lost,
    or out of attempts), then pull the state of linked open recommendations not synced for
    TRACKER_PULL_EVERY_MINUTES. A tracker that does not answer (429, 5xx, timeout) is left alone for the rest of the
    run. Harmless to run twice."""
    pushed = failed = pulled = 0
    now = timezone.now()
    down: set[int] = set()  # connections that did not answer in this run
    pending = Recommendation.objects.filter(
        tracker__isnull=False, tracker_push_pending=True, updated_at__lt=now - TASK_WINDOW
    ).order_by("updated_at", "pk")
    for pk, connection_id in list(pending.values_list("pk", "tracker_id")[:batch]):
        if connection_id in down:
            continue
        try:
            tracker_push(recommendation_id=pk)
            pushed += 1
        except TrackerError as exc:
            failed += 1
            if exc.retry:
                down.add(connection_id)
            tracker_failure_record(recommendation_id=pk, error=exc)
    stale = (
        Recommendation.objects.select_related("tracker")
        .filter(
            tracker__isnull=False,
            tracker_push_pending=False,
            merged_into__isnull=True,
            status__in=Recommendation.OPEN_STATUSES,
        )
        .exclude(tracker_synced_at__gt=now - pull_every())
        .exclude(tracker_id__in=down)
        .order_by("tracker_synced_at", "pk")[:batch]
    )
    connections = set()
    for recommendation in stale:
        if recommendation.tracker_id in down:
            continue
        try:
            tracker_pull(recommendation=recommendation)
            pulled += 1
            connections.add(recommendation.tracker_id)
        except TrackerError as exc:
            failed += 1
            if exc.retry:
                down.add(recommendation.tracker_id)
                logger.info("tracker pull of %s postponed: %s", recommendation.pk, exc.message)
            else:
                tracker_failure_record(recommendation_id=recommendation.pk, error=exc)
    TrackerConnection.objects.filter(pk__in=connections).update(last_pulled_at=timezone.now())
    pruned, _ = TrackerEvent.objects.filter(received_at__lt=now - EVENTS_KEPT).delete()
    return {"pushed": pushed, "pulled": pulled, "failed": failed, "pruned": pruned}


# Incoming webhooks ------------------------------------------------------------------------------------------------


def tracker_webhook_receive(*, token: str, headers, body: bytes, too_large: bool = False) -> tuple[int, str]:
    """An incoming call at /hooks/trackers/<token>/: checked against the connection's secret, logged whatever the
    outcome (TrackerEvent), applied when the signature is right. Returns (HTTP status, outcome). Calls nothing."""
    try:
        connection = TrackerConnection.objects.filter(webhook_token=uuid.UUID(token)).first()
    except ValueError:
        connection = None
    excerpt = body[:EXCERPT].decode("utf-8", errors="replace")

    def log(accepted: bool, outcome: str, status: int) -> tuple[int, str]:
        TrackerEvent.objects.create(
            connection=connection, accepted=accepted, outcome=outcome[:300], body_excerpt=excerpt
        )
        return status, outcome

    if connection is None:
        return log(False, "Unknown webhook address.", 404)
    if too_large:
        return log(False, f"Refused: the body is larger than {BODY_LIMIT // 1024} KB.", 413)
    try:
        hook = client_for(connection).parse_webhook(headers, body)
    except SignatureError as exc:
        return log(False, f"Refused: {exc}", 401)
    if hook.state is None:
        return log(True, hook.outcome, 200)
    linked = list(
        Recommendation.objects.select_related("tracker").filter(
            tracker=connection, tracker_key__iexact=hook.state.key, merged_into__isnull=True
        )
    )
    if not linked:
        return log(True, f"{hook.outcome}: {hook.state.key} is linked to no recommendation.", 200)
    changed = []
    for recommendation in linked:
        before = recommendation.status
        after = tracker_state_apply(recommendation=recommendation, state=hook.state, told=True)
        if after.status != before:
            changed.append(f"#{recommendation.pk} {before} → {after.status}")
    summary = ", ".join(changed) if changed else "no status change"
    return log(True, f"{hook.outcome}: {hook.state.key} “{hook.state.state}”: {summary}.", 200)
