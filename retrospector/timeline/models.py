"""The timeline of an incident: its events, the imports that brought them, and uploads on their way in.

The tables keep the names they had when these models lived in the incidents app (moved without copying data).
"""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models

from retrospector.core.fields import SingleLineField
from retrospector.incidents.models import Incident


class ImportRecord(models.Model):
    """One import of a file into an incident's timeline; undoable as a whole."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="imports")
    source_type = models.CharField(max_length=20)
    file_name = SingleLineField(max_length=300)
    event_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(
        default=0, help_text="Events already on the timeline from an earlier import."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "incidents_importrecord"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.file_name} ({self.event_count} events)"


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        PAGE = "page", "Page"
        ALERT_FIRING = "alert_firing", "Alert firing"
        ALERT_RESOLVED = "alert_resolved", "Alert resolved"
        DEPLOY = "deploy", "Deploy"
        LOG = "log", "Log"
        NOTE = "note", "Note"
        MILESTONE = "milestone", "Milestone"

    class ActorKind(models.TextChoices):
        PERSON = "person", "Person"
        SYSTEM = "system", "System"
        BOT = "bot", "Bot"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(help_text="Stored in UTC.")
    original_time = SingleLineField(max_length=100, blank=True, help_text="The time exactly as the source wrote it.")
    original_offset_minutes = models.SmallIntegerField(
        null=True, blank=True, help_text="The source's UTC offset, when it gave one."
    )
    actor = SingleLineField(max_length=200, blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices, default=ActorKind.PERSON)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    source_type = models.CharField(max_length=20, default="manual")
    source_ref = models.CharField(
        max_length=500, blank=True, help_text="Unique per incident: permalink, message id, file and line."
    )
    # Only http(s): the page renders it as a link (URLField alone takes ftp too). Importers keep only http(s) URLs
    # with a host (core.untrusted.http_url); rows stored before either rule were cleaned by migration 0003.
    source_url = models.URLField(
        max_length=2000,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"], message="Give an http:// or https:// link.")],
    )
    channel = SingleLineField(max_length=200, blank=True)
    parent_ref = models.CharField(max_length=500, blank=True)
    source_position = models.PositiveIntegerField(null=True, blank=True, help_text="Order within the imported input.")
    attachments = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    key_event = models.BooleanField(default=False)
    key_candidate = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False, help_text="Noise: kept but not shown by default.")
    edited = models.BooleanField(default=False)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates")
    import_record = models.ForeignKey(
        ImportRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "incidents_timelineevent"
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["incident", "occurred_at", "id"], name="event_incident_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "source_type", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="event_source_unique_in_incident",
            )
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor}: {self.text[:40]}"


class PendingImport(models.Model):
    """An uploaded file on its way to the timeline. A small file waits here for the user to confirm the preview made
    in the request (removed on confirmation). A bigger one is a background job (background=True, see tasks.py): a
    worker reads it for the preview, and after confirmation imports it; the row then stays, without the file's bytes,
    to show the outcome. Kept in the database so any app server or worker can carry on; unfinished ones are removed
    after a day."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        READING = "reading", "Reading the file"
        READY = "ready", "Ready to import"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pending_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source_type = models.CharField(max_length=20)
    file_name = SingleLineField(max_length=300)
    content = models.BinaryField(help_text="The uploaded bytes; emptied once imported.")
    file_size = models.PositiveBigIntegerField(default=0)
    options = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    background = models.BooleanField(default=False, help_text="Read and imported by the worker, not in the request.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.READY)
    task_id = models.CharField(
        max_length=64, blank=True, help_text="The queued task (django-tasks result id) of the last step."
    )
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the import was asked for (at upload for the API without dry_run)."
    )
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When the last step was queued for a worker.")
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker picked up its current (or last) step."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    read_count = models.PositiveIntegerField(default=0, help_text="Events read so far (progress while reading).")
    event_count = models.PositiveIntegerField(null=True, blank=True, help_text="Events in the file, once read.")
    new_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Of those, not yet on the timeline when read."
    )
    preview = models.JSONField(default=list, blank=True, help_text="The first events read, as shown in the preview.")
    survey = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the preview says of the whole file: the channels to choose from with their message counts "
        "(a Slack export), and how many events fall outside the incident's window.",
    )
    problems = models.JSONField(
        default=list, blank=True, help_text="Why it failed: file, line, pointer, field, message."
    )
    import_record = models.ForeignKey(ImportRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "incidents_pendingimport"
        indexes = [models.Index(fields=["created_at"], name="pending_import_created")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"
