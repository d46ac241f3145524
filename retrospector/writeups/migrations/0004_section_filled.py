from django.db import migrations, models


def fill(apps, schema_editor):
    """Sections written before the flag existed: the same rule as models.body_is_empty (a copy: migrations must not
    import the models module, which may change later)."""
    import re

    separator = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")

    def empty(body: str) -> bool:
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        return not lines or (len(lines) == 2 and lines[0].startswith("|") and bool(separator.match(lines[1])))

    Section = apps.get_model("writeups", "Section")
    written = [pk for pk, body in Section.objects.values_list("pk", "body").iterator(chunk_size=500) if not empty(body)]
    for start in range(0, len(written), 500):
        Section.objects.filter(pk__in=written[start : start + 500]).update(filled=True)


class Migration(migrations.Migration):
    dependencies = [
        ("writeups", "0003_section_html"),
    ]

    operations = [
        migrations.AddField(
            model_name="section",
            name="filled",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
