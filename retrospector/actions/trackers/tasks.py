"""The worker's side of the trackers: a recommendation's change pushed to its issue soon after it is committed,
retried with exponential backoff while the tracker is busy or away (429 with its Retry-After, 5xx, no answer), then
shown as an error on the recommendation and told to its owner. The waiting flag stays set throughout, so the periodic
job (sync.trackers_sync) tries again later and nothing is lost."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from .base import TrackerError
from .sync import tracker_failure_record, tracker_push

MAX_ATTEMPTS = 5
FIRST_WAIT_SECONDS = 30
LONGEST_WAIT_SECONDS = 3600


def wait_before(attempt: int, error: TrackerError) -> int:
    """Seconds before attempt `attempt + 1`: what the tracker asked for (Retry-After), else 30 s doubling each time;
    at most an hour."""
    first = int(getattr(settings, "TRACKER_RETRY_FIRST_SECONDS", FIRST_WAIT_SECONDS))
    wait = error.retry_after if error.retry_after is not None else first * 2 ** (attempt - 1)
    return max(0, min(wait, LONGEST_WAIT_SECONDS))


@task()
def tracker_push_task(recommendation_id: int, attempt: int = 1) -> str:
    try:
        return tracker_push(recommendation_id=recommendation_id)
    except TrackerError as exc:
        if exc.retry and attempt < MAX_ATTEMPTS:
            wait = wait_before(attempt, exc)
            tracker_push_task.using(run_after=timezone.now() + timedelta(seconds=wait)).enqueue(
                recommendation_id, attempt + 1
            )
            return f"attempt {attempt} failed ({exc.message}); next in {wait} s"
        tracker_failure_record(recommendation_id=recommendation_id, error=exc)
        return f"failed: {exc.message}"


def push_soon(recommendation_id: int) -> None:
    tracker_push_task.enqueue(recommendation_id)
