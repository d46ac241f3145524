"""What a retrospective concludes and what the organization does about it: findings (contributing factors, and the
parts of a systems analysis), recommendations traced to them and tracked to done across incidents, their link to an
issue in GitHub or Jira, and the outgoing webhooks that tell other systems about it all."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from retrospector.accounts.models import Organization, Team
from retrospector.core.fields import SingleLineField
from retrospector.reviews.models import Account
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.models import Retrospective

DEFAULT_PRIORITIES = ["P1", "P2", "P3", "P4"]
# Days from a recommendation's creation to its completion, per priority; an organization changes them on its page.
DEFAULT_PRIORITY_TARGET_DAYS = {"P1": 28, "P2": 56, "P3": 91, "P4": 182}


class Finding(models.Model):
    """A conclusion of the analysis, kept as a record rather than a line of Markdown so that recommendations can be
    traced to it. Shown in the section it belongs to (`section_key`), edited with the same no-lost-update rule as a
    section (`version`)."""

    class Kind(models.TextChoices):
        CONTRIBUTING_FACTOR = "contributing-factor", "Contributing factor"
        SAFETY_CONTROL = "safety-control", "Safety control"
        CONTROL_FAILURE = "control-failure", "How a control failed or was missing"
        SYSTEMIC_PROBLEM = "systemic-problem", "Systemic problem"
        MISSING_CONTROL = "missing-control", "Missing control"

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="findings")
    section_key = models.SlugField(max_length=60, help_text="The section it is shown in.")
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.CONTRIBUTING_FACTOR)
    text = models.TextField()
    position = models.PositiveIntegerField(default=0)
    events = models.ManyToManyField(TimelineEvent, blank=True, related_name="findings")
    accounts = models.ManyToManyField(Account, blank=True, related_name="findings")
    version = models.PositiveIntegerField(default=1, help_text="Increases by one with every save.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["retrospective", "section_key", "position", "id"]
        indexes = [models.Index(fields=["retrospective", "section_key", "position"], name="finding_section_order")]

    def __str__(self):
        return self.text[:80]


class ActionSettings(models.Model):
    """An organization's priorities (P1–P4 unless it changes them) and the days within which each should be done."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="action_settings")
    priorities = models.JSONField(default=list, help_text="The priority names, the most urgent first.")
    target_days = models.JSONField(default=dict, help_text="Days to done, per priority name.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"action settings of {self.organization_id}"


class Recommendation(models.Model):
    """Something to change so that the incident is less likely or less harmful next time. One recommendation may be
    called for by several retrospectives (RecommendationLink); it traces to the findings it answers (Trace)."""

    class Kind(models.TextChoices):
        SOFTWARE = "software", "Software"
        CONFIGURATION = "configuration", "Configuration"
        PROCESS = "process", "Process"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in-progress", "In progress"
        DROPPED = "dropped", "Dropped"
        DONE = "done", "Done"

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="recommendations")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="recommendations")
    title = SingleLineField(max_length=300)
    description = models.TextField(blank=True)
    definition_of_done = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SOFTWARE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    priority = models.CharField(max_length=20, default="P2")
    commitment_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    status_reason = models.TextField(blank=True, help_text="Why it was dropped, or why its date moved last.")
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        help_text="Set when it was merged into another: it then lives on there, its history kept.",
    )
    version = models.PositiveIntegerField(default=1, help_text="Increases by one with every change.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was done or dropped.")
    # The linked issue in an external tracker, kept in step both ways (actions.trackers).
    tracker = models.ForeignKey(
        "TrackerConnection", null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    tracker_key = models.CharField(max_length=200, blank=True, help_text="owner/repo#12 or PROJ-12")
    tracker_url = models.URLField(max_length=2000, blank=True)
    tracker_state = models.CharField(max_length=100, blank=True, help_text="The tracker's own state name.")
    tracker_synced_at = models.DateTimeField(null=True, blank=True)
    tracker_error = models.TextField(blank=True, help_text="The tracker's last error, shown until a call succeeds.")
    tracker_push_pending = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "status", "commitment_date"], name="rec_org_status_date"),
            models.Index(fields=["team", "status", "commitment_date"], name="rec_team_status_date"),
            models.Index(fields=["owner", "status"], name="rec_owner_status"),
        ]

    def __str__(self):
        return self.title


class RecommendationLink(models.Model):
    """A retrospective that calls for a recommendation."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="links")
    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="recommendation_links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recommendation", "retrospective"], name="recommendation_link_unique")
        ]
        indexes = [models.Index(fields=["retrospective", "recommendation"], name="rec_link_by_retro")]

    def __str__(self):
        return f"{self.retrospective_id} calls for {self.recommendation_id}"


class Trace(models.Model):
    """A recommendation answers a finding."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="traces")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="traces")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recommendation", "finding"], name="trace_unique")]

    def __str__(self):
        return f"{self.recommendation_id} answers {self.finding_id}"


class SetAside(models.Model):
    """A proposal the retrospective kept as "would not have helped here", with its reason."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="set_asides")
    title = SingleLineField(max_length=300)
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.title


class RecommendationChange(models.Model):
    """One entry of a recommendation's history: who, when, what (field: [before, after]) and why."""

    class Source(models.TextChoices):
        WEB = "web", "Retrospector"
        API = "api", "API"
        GITHUB = "github", "GitHub"
        JIRA = "jira", "Jira"
        MERGE = "merge", "Merge"

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="changes")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    changes = models.JSONField(default=dict, help_text='{"field": [before, after]}; empty for a note.')
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["recommendation", "at"], name="rec_change_order")]

    def __str__(self):
        return f"change of {self.recommendation_id} at {self.at}"


class TrackerConnection(models.Model):
    """A team's GitHub repository or Jira project. The credential and the incoming webhook's secret are stored
    encrypted (core.secretbox) and never shown back."""

    class Kind(models.TextChoices):
        GITHUB = "github", "GitHub"
        JIRA = "jira", "Jira"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tracker_connections")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = SingleLineField(max_length=100)
    base_url = models.URLField(max_length=500, help_text="https://api.github.com, or https://your-site.atlassian.net")
    project = models.CharField(max_length=200, help_text="owner/repository for GitHub, the project key for Jira.")
    username = models.CharField(max_length=200, blank=True, help_text="Jira: the account's e-mail address.")
    credential_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    # Their state name (lower case) -> our status; anything not listed maps by the tracker's open/closed default.
    state_map = models.JSONField(default=dict, blank=True)
    webhook_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name


class TrackerEvent(models.Model):
    """An incoming call from a tracker's webhook, kept whether it was accepted or not (a bad signature is logged)."""

    connection = models.ForeignKey(
        TrackerConnection, null=True, on_delete=models.SET_NULL, related_name="incoming_events"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    accepted = models.BooleanField(default=False)
    outcome = models.CharField(max_length=300)
    body_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return self.outcome


class WebhookSubscription(models.Model):
    """Where to send events: a JSON endpoint signed with its secret, or a Slack incoming webhook. An organization-wide
    one hears about incidents everyone in the organization may see; a team's also about that team's private ones."""

    class Format(models.TextChoices):
        JSON = "json", "Signed JSON"
        SLACK = "slack", "Slack incoming webhook"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhooks")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.JSON)
    secret_encrypted = models.TextField(blank=True, editable=False)
    events = models.JSONField(default=list, help_text="Event names; empty means every event.")
    active = models.BooleanField(default=True)
    description = SingleLineField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event to one subscription, with every attempt's outcome; retried with backoff until it succeeds or runs out
    of attempts, and redeliverable by hand."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status="pending")),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self):
        return f"{self.event} to {self.subscription_id}"
