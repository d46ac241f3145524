"""The timeline's models (ImportRecord, TimelineEvent, PendingImport) moved to the timeline app. Only Django's idea of
which app owns them changes here; the tables, their names and their rows stay as they are (timeline 0001 takes them
over under the same table names)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0006_incident_timeline_gap_minutes"),
        ("timeline", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="pendingimport",
                    name="import_record",
                ),
                migrations.RemoveField(
                    model_name="timelineevent",
                    name="import_record",
                ),
                migrations.RemoveField(
                    model_name="pendingimport",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="pendingimport",
                    name="incident",
                ),
                migrations.RemoveField(
                    model_name="timelineevent",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="timelineevent",
                    name="incident",
                ),
                migrations.RemoveField(
                    model_name="timelineevent",
                    name="merged_into",
                ),
                migrations.DeleteModel(
                    name="ImportRecord",
                ),
                migrations.DeleteModel(
                    name="PendingImport",
                ),
                migrations.DeleteModel(
                    name="TimelineEvent",
                ),
            ],
            database_operations=[],
        ),
    ]
