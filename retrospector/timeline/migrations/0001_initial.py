"""The timeline app takes over ImportRecord, TimelineEvent and PendingImport from the incidents app (incidents 0003,
0005 and 0006 made their tables). Nothing is created in the database: the models keep their tables (db_table), and
the content types are relabelled so anything keyed on them (permissions) follows the models."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("importrecord", "timelineevent", "pendingimport")


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = ContentType.objects.filter(app_label=new, model__in=MOVED).values_list("model", flat=True)
    ContentType.objects.filter(app_label=old, model__in=MOVED).exclude(model__in=list(taken)).update(app_label=new)


def content_types_follow(apps, schema_editor):
    _relabel(apps, "incidents", "timeline")


def content_types_go_back(apps, schema_editor):
    _relabel(apps, "timeline", "incidents")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("incidents", "0006_incident_timeline_gap_minutes"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("source_type", models.CharField(max_length=20)),
                        ("file_name", models.CharField(max_length=300)),
                        ("event_count", models.PositiveIntegerField(default=0)),
                        (
                            "skipped_count",
                            models.PositiveIntegerField(
                                default=0, help_text="Events already on the timeline from an earlier import."
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("undone_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "incident",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="imports",
                                to="incidents.incident",
                            ),
                        ),
                        (
                            "undone_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_importrecord",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="PendingImport",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("source_type", models.CharField(max_length=20)),
                        ("file_name", models.CharField(max_length=300)),
                        ("content", models.BinaryField(help_text="The uploaded bytes; emptied once imported.")),
                        ("file_size", models.PositiveBigIntegerField(default=0)),
                        ("options", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "background",
                            models.BooleanField(
                                default=False, help_text="Read and imported by the worker, not in the request."
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Waiting for a worker"),
                                    ("reading", "Reading the file"),
                                    ("ready", "Ready to import"),
                                    ("importing", "Importing"),
                                    ("done", "Imported"),
                                    ("failed", "Failed"),
                                ],
                                default="ready",
                                max_length=12,
                            ),
                        ),
                        (
                            "task_id",
                            models.CharField(
                                blank=True,
                                help_text="The queued task (django-tasks result id) of the last step.",
                                max_length=64,
                            ),
                        ),
                        (
                            "confirmed_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="When the import was asked for (at upload for the API without dry_run).",
                                null=True,
                            ),
                        ),
                        (
                            "queued_at",
                            models.DateTimeField(
                                blank=True, help_text="When the last step was queued for a worker.", null=True
                            ),
                        ),
                        (
                            "started_at",
                            models.DateTimeField(
                                blank=True, help_text="When a worker picked up its current (or last) step.", null=True
                            ),
                        ),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "read_count",
                            models.PositiveIntegerField(
                                default=0, help_text="Events read so far (progress while reading)."
                            ),
                        ),
                        (
                            "event_count",
                            models.PositiveIntegerField(
                                blank=True, help_text="Events in the file, once read.", null=True
                            ),
                        ),
                        (
                            "new_count",
                            models.PositiveIntegerField(
                                blank=True, help_text="Of those, not yet on the timeline when read.", null=True
                            ),
                        ),
                        (
                            "preview",
                            models.JSONField(
                                blank=True, default=list, help_text="The first events read, as shown in the preview."
                            ),
                        ),
                        (
                            "problems",
                            models.JSONField(
                                blank=True,
                                default=list,
                                help_text="Why it failed: file, line, pointer, field, message.",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "import_record",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="timeline.importrecord",
                            ),
                        ),
                        (
                            "incident",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="pending_imports",
                                to="incidents.incident",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_pendingimport",
                        "indexes": [models.Index(fields=["created_at"], name="pending_import_created")],
                    },
                ),
                migrations.CreateModel(
                    name="TimelineEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("occurred_at", models.DateTimeField(help_text="Stored in UTC.")),
                        (
                            "original_time",
                            models.CharField(
                                blank=True, help_text="The time exactly as the source wrote it.", max_length=100
                            ),
                        ),
                        (
                            "original_offset_minutes",
                            models.SmallIntegerField(
                                blank=True, help_text="The source's UTC offset, when it gave one.", null=True
                            ),
                        ),
                        ("actor", models.CharField(blank=True, max_length=200)),
                        (
                            "actor_kind",
                            models.CharField(
                                choices=[("person", "Person"), ("system", "System"), ("bot", "Bot")],
                                default="person",
                                max_length=10,
                            ),
                        ),
                        ("text", models.TextField(blank=True)),
                        ("html", models.TextField(blank=True, editable=False)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("message", "Message"),
                                    ("page", "Page"),
                                    ("alert_firing", "Alert firing"),
                                    ("alert_resolved", "Alert resolved"),
                                    ("deploy", "Deploy"),
                                    ("log", "Log"),
                                    ("note", "Note"),
                                    ("milestone", "Milestone"),
                                ],
                                default="note",
                                max_length=20,
                            ),
                        ),
                        ("source_type", models.CharField(default="manual", max_length=20)),
                        (
                            "source_ref",
                            models.CharField(
                                blank=True,
                                help_text="Unique per incident: permalink, message id, file and line.",
                                max_length=500,
                            ),
                        ),
                        ("source_url", models.URLField(blank=True, max_length=2000)),
                        ("channel", models.CharField(blank=True, max_length=200)),
                        ("parent_ref", models.CharField(blank=True, max_length=500)),
                        (
                            "source_position",
                            models.PositiveIntegerField(
                                blank=True, help_text="Order within the imported input.", null=True
                            ),
                        ),
                        ("attachments", models.JSONField(blank=True, default=list)),
                        ("tags", models.JSONField(blank=True, default=list)),
                        ("key_event", models.BooleanField(default=False)),
                        ("key_candidate", models.BooleanField(default=False)),
                        (
                            "hidden",
                            models.BooleanField(default=False, help_text="Noise: kept but not shown by default."),
                        ),
                        ("edited", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("version", models.PositiveIntegerField(default=1)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "import_record",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="events",
                                to="timeline.importrecord",
                            ),
                        ),
                        (
                            "incident",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="events",
                                to="incidents.incident",
                            ),
                        ),
                        (
                            "merged_into",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="duplicates",
                                to="timeline.timelineevent",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_timelineevent",
                        "ordering": ["occurred_at", "id"],
                        "indexes": [models.Index(fields=["incident", "occurred_at", "id"], name="event_incident_time")],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("source_ref", ""), _negated=True),
                                fields=("incident", "source_type", "source_ref"),
                                name="event_source_unique_in_incident",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_go_back),
    ]
