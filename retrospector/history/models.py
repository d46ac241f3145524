"""A history brought in from files: each imported write-up's source (to import the same file again idempotently),
and each run of the import with its report (the page's and the API's jobs)."""

from django.conf import settings
from django.db import models

from retrospector.accounts.models import Organization, Team
from retrospector.core.fields import SingleLineField
from retrospector.incidents.models import Incident
from retrospector.writeups.models import Retrospective


class HistoryImport(models.Model):
    """One run of the history import: from the command line (recorded when it saves), or an uploaded zip that waits
    here for its dry-run report to be read and the import confirmed (page and API; run by the worker)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        READING = "reading", "Reading the files"
        READY = "ready", "Report ready: confirm to import"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    class Origin(models.TextChoices):
        COMMAND = "command", "Command line"
        WEB = "web", "Web page"
        API = "api", "API"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="history_imports")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="history_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.COMMAND)
    file_name = SingleLineField(max_length=300, help_text="The uploaded file, or the paths given to the command.")
    content = models.BinaryField(blank=True, default=b"", help_text="The uploaded bytes; emptied once imported.")
    file_size = models.PositiveBigIntegerField(default=0)
    options = models.JSONField(default=dict, help_text="Time zone, mapping and visibility, as given.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    report = models.JSONField(default=dict, blank=True, help_text="The last report: the dry run's, then the import's.")
    error = models.TextField(blank=True, help_text="Why the run failed as a whole, if it did.")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When its next step was queued for the worker.")
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker took its current step.")
    read_count = models.PositiveIntegerField(default=0, help_text="Files read so far by the running step.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"], name="history_import_team")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportedWriteup(models.Model):
    """Where an imported write-up came from. The same file (by checksum) imported again for the same team changes
    nothing; a changed file at the same place updates the write-up, each changed section with a new revision."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="imported_writeups")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="imported_writeups")
    retrospective = models.OneToOneField(Retrospective, on_delete=models.CASCADE, related_name="imported_source")
    source_path = models.CharField(max_length=500, help_text="The file's path inside what was imported.")
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file's bytes, hex.")
    format = models.CharField(max_length=10)
    external_id = SingleLineField(max_length=100, blank=True, help_text="The incident id the document gave itself.")
    history_import = models.ForeignKey(
        HistoryImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="writeups"
    )
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revision = models.PositiveIntegerField(default=1, help_text="1, then one more for each changed file imported.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "source_path"], name="imported_writeup_path_unique_in_team")
        ]
        indexes = [models.Index(fields=["team", "checksum"], name="imported_writeup_checksum")]

    def __str__(self):
        return self.source_path
