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

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-started_at", "-id"], name="incident_org_started"),
            models.Index(fields=["team", "-started_at"], name="incident_team_started"),
            models.Index(fields=["status"], name="incident_status"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

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
