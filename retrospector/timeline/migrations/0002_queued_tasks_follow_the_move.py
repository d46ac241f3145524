"""Background tasks queued before the move still name `retrospector.incidents.tasks...`; a worker of this version
would fail them (no such module) and the confirmed import would never happen. Point them at the timeline app."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Replace

OLD, NEW = "retrospector.incidents.tasks.", "retrospector.timeline.tasks."


def _rename(apps, old: str, new: str) -> None:
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path__startswith=old).update(
        task_path=Replace("task_path", Value(old), Value(new))
    )


def tasks_follow(apps, schema_editor):
    _rename(apps, OLD, NEW)


def tasks_go_back(apps, schema_editor):
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0001_initial"),
        ("django_tasks_database", "0001_initial"),
    ]

    operations = [migrations.RunPython(tasks_follow, tasks_go_back)]
