from django.conf import settings
from django.db import models

from retrospector.accounts.models import Organization, Team
from retrospector.core.fields import SingleLineField

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
    key = SingleLineField(max_length=20, help_text="Short label shown everywhere, e.g. SEV1.")
    name = SingleLineField(max_length=100)
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
    name = SingleLineField(max_length=100)

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
    title = SingleLineField(max_length=300)
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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    timeline_time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="Show the timeline in this zone for everyone; empty means each viewer's own.",
    )
    timeline_seconds = models.BooleanField(default=False, help_text="Show timeline times to the second.")
    timeline_gap_minutes = models.PositiveIntegerField(
        default=30, help_text="Mark quiet periods longer than this many minutes between two events."
    )
    # Counts changes to the timeline's events (timeline.services bumps it in the database, in the same transaction as
    # the change): what is computed from all the events (checks, counts) is cached under it. No service saves it from
    # an instance (incident_update lists the fields it saves).
    timeline_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # The list's order plus the columns of the visibility rule: counting and skipping rows for the
            # permission filter (incidents_visible_to) reads only this index, not the table.
            models.Index(
                fields=["organization", "-started_at", "-id", "visibility", "team"], name="incident_list_covering"
            ),
            models.Index(fields=["team", "-started_at"], name="incident_team_started"),
            # The insights' aggregates (retrospector/insights/metrics.py): the range of start times plus everything
            # they group by, filter on or measure, so that they read this index alone instead of looking up tens of
            # thousands of rows in the table.
            models.Index(
                fields=[
                    "organization",
                    "started_at",
                    "visibility",
                    "team",
                    "severity",
                    "detected_at",
                    "acknowledged_at",
                    "mitigated_at",
                    "resolved_at",
                ],
                name="incident_insights_covering",
            ),
            models.Index(fields=["status"], name="incident_status"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    def save(self, *args, **kwargs):
        # timeline_version only moves forward in the database; saving an instance read before a timeline change must
        # not write its older number back (the cache would then serve findings from before the change). The services
        # save explicit fields and do not rely on this; it still guards a direct save(), which a test of the summary
        # cache makes (test_a_later_save_of_the_incident_keeps_the_timeline_version).
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "timeline_version"
            ]
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
    label = SingleLineField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self):
        return self.label or self.url
