"""Periodic jobs, run by `retrospector worker`: no cron and no broker.

One task, `housekeeping`, runs every job the apps declare (`periodic_jobs` on their AppConfig) and then queues
itself again to run HOUSEKEEPING_EVERY later (a django-tasks task with run_after, on the database backend).
`retrospector worker` queues it when it starts unless a run is already waiting, so the chain survives restarts; when
several workers start together and each queues one, the next runs find the other waiting and do not queue again, so
the chains fold back into one. Each job must be harmless to run twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = timedelta(minutes=10)


def _jobs() -> list[tuple[str, object]]:
    """Each installed app lists its own jobs as `periodic_jobs` on its AppConfig: (name, dotted path of a function)."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    return [
        (name, import_string(path))
        for config in apps.get_app_configs()
        for name, path in getattr(config, "periodic_jobs", ())
    ]


@task()
def housekeeping() -> dict:
    """Run every periodic job (one failing does not stop the others), then queue the next run."""
    done: dict[str, object] = {}
    for name, job in _jobs():
        try:
            done[name] = job()
        except Exception:
            logger.exception("periodic job failed: %s", name)
            done[name] = "failed (see the worker's log)"
    housekeeping_schedule(after=HOUSEKEEPING_EVERY)
    return done


def housekeeping_schedule(*, after: timedelta = timedelta(0)) -> bool:
    """Queue a housekeeping run `after` from now unless one is already waiting; returns whether it queued one."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=housekeeping.module_path, status="READY").exists():
        return False
    housekeeping.using(run_after=timezone.now() + after).enqueue()
    return True


NO_WORKER_AFTER = timedelta(seconds=30)  # a job queued longer than this: say that no worker seems to run


def no_worker_for(queued_at, *, now=None) -> timedelta | None:
    """How long a job queued at `queued_at` has waited for a worker, when longer than NO_WORKER_AFTER and no worker is
    busy with another task (then it merely waits its turn); None otherwise. What the upload pages say when no
    `retrospector worker` seems to run."""
    from django_tasks_db.models import DBTaskResult  # a model: not imported while the apps load

    waited = (now or timezone.now()) - queued_at
    if waited <= NO_WORKER_AFTER:
        return None
    busy = DBTaskResult.objects.running().filter(started_at__gte=timezone.now() - timedelta(minutes=10)).exists()
    return None if busy else waited
