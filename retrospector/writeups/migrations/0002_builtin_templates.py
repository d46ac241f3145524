from django.db import migrations


def sync_builtins(apps, schema_editor):
    from retrospector.writeups.services import builtin_templates_sync

    builtin_templates_sync(
        template_model=apps.get_model("writeups", "Template"),
        version_model=apps.get_model("writeups", "TemplateVersion"),
    )


class Migration(migrations.Migration):
    dependencies = [("writeups", "0001_initial")]

    # Re-run by later migrations whenever the built-in YAML files change; a change becomes a new version.
    operations = [migrations.RunPython(sync_builtins, migrations.RunPython.noop)]
