"""Only http(s) links are kept on timeline events. Before this, an import could store a `javascript:` or `data:` URL
(a Slack file's permalink, say) as an attachment's url or an event's source_url, and the timeline rendered it as a
link. Rows already stored are cleaned here: such a source_url is emptied, such an attachment keeps its name and loses
its url. Going back keeps the cleaned rows (the links are not restored)."""

import django.core.validators
from django.db import migrations, models

from retrospector.core.untrusted import http_url

CHUNK = 2000


def _changed_attachments(attachments):
    """The attachments with every url that is not an http(s) one emptied, or None when none had to change."""
    if not isinstance(attachments, list):
        return None
    cleaned, changed = [], False
    for attachment in attachments:
        if isinstance(attachment, dict) and attachment.get("url") and http_url(attachment["url"]) != attachment["url"]:
            attachment = {**attachment, "url": http_url(attachment["url"])}
            changed = True
        cleaned.append(attachment)
    return cleaned if changed else None


def links_made_http_only(apps, schema_editor):
    """Empty every stored source_url and attachment url that is not an http(s) URL with a host (core.untrusted)."""
    TimelineEvent = apps.get_model("timeline", "TimelineEvent")
    bad_sources = [
        pk
        for pk, url in TimelineEvent.objects.exclude(source_url="").values_list("pk", "source_url").iterator(CHUNK)
        if http_url(url) != url
    ]
    for start in range(0, len(bad_sources), CHUNK):
        TimelineEvent.objects.filter(pk__in=bad_sources[start : start + CHUNK]).update(source_url="")
    # Read everything first, then write: SQLite does not isolate a query being iterated from writes to its table.
    changed = [
        TimelineEvent(pk=pk, attachments=cleaned)
        for pk, attachments in TimelineEvent.objects.exclude(attachments=[])
        .values_list("pk", "attachments")
        .iterator(CHUNK)
        if (cleaned := _changed_attachments(attachments)) is not None
    ]
    TimelineEvent.objects.bulk_update(changed, ["attachments"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0002_queued_tasks_follow_the_move")]

    operations = [
        migrations.AlterField(
            model_name="timelineevent",
            name="source_url",
            field=models.URLField(
                blank=True,
                max_length=2000,
                validators=[
                    django.core.validators.URLValidator(
                        message="Give an http:// or https:// link.", schemes=["http", "https"]
                    )
                ],
            ),
        ),
        migrations.RunPython(links_made_http_only, migrations.RunPython.noop),
    ]
