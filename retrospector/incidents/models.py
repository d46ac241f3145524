from django.conf import settings
from django.db import models

from retrospector.accounts.models import Organization, Team

# Key moments in the order they must happen.
MOMENTS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
MOMENT_LABELS = {
    "started_at": "Started",
    "detected_at": "Detected",
    "acknowledged_at": "Acknowledged",
    "mitigated_at": "Mitigated",
    "resolved_at": "Resolved",
}


class SeverityLevel(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="severity_levels")
    key = models.CharField(max_length=20, help_text="Short label shown everywhere, e.g. SEV1.")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    rank = models.PositiveSmallIntegerField(help_text="1 is the most severe.")

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="severity_key_unique_in_org"),
        ]

    def __str__(self):
        return self.key


class Service(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="service_unique_in_org")]

    def __str__(self):
        return self.name


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MITIGATED = "mitigated", "Mitigated"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Visibility(models.TextChoices):
        ORGANIZATION = "organization", "Whole organization"
        PRIVATE = "private", "Private (team and invited people)"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="incidents")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    severity = models.ForeignKey(SeverityLevel, on_delete=models.PROTECT, related_name="incidents")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.ORGANIZATION)
    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    responders = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="responded_incidents")
    invitees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="invited_incidents",
        help_text="People outside the team who may see this incident when it is private.",
    )
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    timeline_time_zone = models.CharField(
        max_length=64, blank=True, help_text="Show the timeline in this zone for everyone; empty means each viewer's own."
    )
    timeline_seconds = models.BooleanField(default=False, help_text="Show timeline times to the second.")
    timeline_gap_minutes = models.PositiveIntegerField(
        default=30, help_text="Mark quiet periods longer than this many minutes between two events."
    )
    # Counts changes to the timeline's events (timeline_services bumps it in the database, in the same transaction as
    # the change): what is computed from all the events (checks, counts) is cached under it.
    timeline_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # The list's order plus the columns of the visibility rule: counting and skipping rows for the
            # permission filter (incidents_visible_to) reads only this index, not the table.
            models.Index(fields=["organization", "-started_at", "-id", "visibility", "team"], name="incident_list_covering"),
            models.Index(fields=["team", "-started_at"], name="incident_team_started"),
            models.Index(fields=["status"], name="incident_status"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    def save(self, *args, **kwargs):
        # timeline_version only moves forward in the database; saving an instance read before a timeline change must
        # not write its older number back (the cache would then serve findings from before the change).
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [f.name for f in self._meta.concrete_fields
                                       if not f.primary_key and f.name != "timeline_version"]
        super().save(*args, **kwargs)

    @property
    def is_private(self) -> bool:
        return self.visibility == self.Visibility.PRIVATE

    def _since_start(self, field: str):
        value = getattr(self, field)
        if value is None or self.started_at is None:
            return None
        return value - self.started_at

    @property
    def time_to_detect(self):
        return self._since_start("detected_at")

    @property
    def time_to_acknowledge(self):
        return self._since_start("acknowledged_at")

    @property
    def time_to_mitigate(self):
        return self._since_start("mitigated_at")

    @property
    def time_to_resolve(self):
        return self._since_start("resolved_at")

    def durations(self) -> list[tuple[str, object]]:
        return [
            ("Time to detect", self.time_to_detect),
            ("Time to acknowledge", self.time_to_acknowledge),
            ("Time to mitigate", self.time_to_mitigate),
            ("Time to resolve", self.time_to_resolve),
        ]


class IncidentLink(models.Model):
    class Kind(models.TextChoices):
        TICKET = "ticket", "Ticket"
        CHAT = "chat", "Chat channel"
        DASHBOARD = "dashboard", "Dashboard"
        OTHER = "other", "Other"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTHER)
    url = models.URLField(max_length=2000)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self):
        return self.label or self.url


class ImportRecord(models.Model):
    """One import of a file into an incident's timeline; undoable as a whole."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="imports")
    source_type = models.CharField(max_length=20)
    file_name = models.CharField(max_length=300)
    event_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0, help_text="Events already on the timeline from an earlier import.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
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
    original_time = models.CharField(max_length=100, blank=True, help_text="The time exactly as the source wrote it.")
    original_offset_minutes = models.SmallIntegerField(null=True, blank=True, help_text="The source's UTC offset, when it gave one.")
    actor = models.CharField(max_length=200, blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices, default=ActorKind.PERSON)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    source_type = models.CharField(max_length=20, default="manual")
    source_ref = models.CharField(max_length=500, blank=True, help_text="Unique per incident: permalink, message id, file and line.")
    source_url = models.URLField(max_length=2000, blank=True)
    channel = models.CharField(max_length=200, blank=True)
    parent_ref = models.CharField(max_length=500, blank=True)
    source_position = models.PositiveIntegerField(null=True, blank=True, help_text="Order within the imported input.")
    attachments = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    key_event = models.BooleanField(default=False)
    key_candidate = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False, help_text="Noise: kept but not shown by default.")
    edited = models.BooleanField(default=False)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates")
    import_record = models.ForeignKey(ImportRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["incident", "occurred_at", "id"], name="event_incident_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "source_type", "source_ref"], condition=~models.Q(source_ref=""),
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
    file_name = models.CharField(max_length=300)
    content = models.BinaryField(help_text="The uploaded bytes; emptied once imported.")
    file_size = models.PositiveBigIntegerField(default=0)
    options = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    background = models.BooleanField(default=False, help_text="Read and imported by the worker, not in the request.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.READY)
    task_id = models.CharField(max_length=64, blank=True, help_text="The queued task (django-tasks result id) of the last step.")
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="When the import was asked for (at upload for the API without dry_run).")
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When the last step was queued for a worker.")
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker picked up its current (or last) step.")
    finished_at = models.DateTimeField(null=True, blank=True)
    read_count = models.PositiveIntegerField(default=0, help_text="Events read so far (progress while reading).")
    event_count = models.PositiveIntegerField(null=True, blank=True, help_text="Events in the file, once read.")
    new_count = models.PositiveIntegerField(null=True, blank=True, help_text="Of those, not yet on the timeline when read.")
    preview = models.JSONField(default=list, blank=True, help_text="The first events read, as shown in the preview.")
    problems = models.JSONField(default=list, blank=True, help_text="Why it failed: file, line, pointer, field, message.")
    import_record = models.ForeignKey(ImportRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="pending_import_created")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"
