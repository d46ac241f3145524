"""Titles and names stored before SingleLineField (core.fields) existed lose their bidirectional-text controls, as any
new one does on the way in. A row whose cleaned value would collide with another (a unique key) is left as it is."""

from functools import reduce
from operator import or_

from django.db import IntegrityError, migrations, transaction
from django.db.models import Q

from retrospector.core.text import BIDI_CONTROLS, strip_bidi_controls

FIELDS = {
    ("accounts", "Organization"): ["name"],
    ("accounts", "User"): ["full_name"],
    ("accounts", "Team"): ["name"],
    ("accounts", "ApiToken"): ["name"],
    ("incidents", "SeverityLevel"): ["key", "name"],
    ("incidents", "Service"): ["name"],
    ("incidents", "Incident"): ["title"],
    ("incidents", "IncidentLink"): ["label"],
    ("timeline", "ImportRecord"): ["file_name"],
    ("timeline", "TimelineEvent"): ["original_time", "actor", "channel"],
    ("timeline", "PendingImport"): ["file_name"],
    ("writeups", "Template"): ["name"],
    ("writeups", "TemplateVersion"): ["name"],
    ("writeups", "Retrospective"): ["title"],
    ("writeups", "Section"): ["title"],
    ("writeups", "Revision"): ["note"],
}


def strip_stored_controls(apps, schema_editor):
    for (app_label, model_name), fields in FIELDS.items():
        model = apps.get_model(app_label, model_name)
        holding = reduce(or_, (Q(**{f"{field}__contains": c}) for field in fields for c in BIDI_CONTROLS))
        for row in model.objects.filter(holding).only("pk", *fields).iterator(chunk_size=500):
            changes = {field: strip_bidi_controls(getattr(row, field)) for field in fields}
            try:
                with transaction.atomic():
                    model.objects.filter(pk=row.pk).update(**changes)
            except IntegrityError:
                continue


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_login_throttle"),
        ("incidents", "0007_timeline_models_move_to_timeline_app"),
        ("timeline", "0002_queued_tasks_follow_the_move"),
        ("writeups", "0004_section_filled"),
    ]

    operations = [migrations.RunPython(strip_stored_controls, migrations.RunPython.noop)]
