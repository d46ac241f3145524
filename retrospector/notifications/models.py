from django.conf import settings
from django.db import models

from retrospector.core.fields import SingleLineField
from retrospector.writeups.models import Retrospective


class Kind(models.TextChoices):
    """What a notification is about; each person chooses, per kind, whether it reaches them in the app and by e-mail."""

    ASSIGNED = "assigned", "You were given a retrospective to own, shadow or coach"
    ACCOUNT_REQUESTED = "account_requested", "Your account of an incident is requested"
    REVIEW_REQUESTED = "review_requested", "A retrospective is ready for your review"
    MENTIONED = "mentioned", "Someone mentioned you in a comment"
    REPLIED = "replied", "A reply in a thread you take part in"
    THREAD_RESOLVED = "thread_resolved", "A thread you started was resolved"
    STATE_CHANGED = "state_changed", "A retrospective you take part in changed state"
    REMINDER = "reminder", "Daily reminder of due steps, requested accounts and unanswered mentions"
    MEETING = "meeting", "A retrospective meeting you are asked to was scheduled, moved or cancelled"
    READY_FOR_APPROVAL = "ready_for_approval", "A retrospective is ready for its final approval"
    APPROVED = "approved", "A retrospective you take part in was approved"
    PROCESS_CHANGED = "process_changed", "The organization's review process changed"
    SURVEY = "survey", "How did a retrospective you took part in go? (three questions)"
    RECOMMENDATION = "recommendation", "A recommendation you own was given to you, changed, or is overdue"
    TRACKER_ERROR = "tracker_error", "A recommendation you own could not be kept in step with its GitHub or Jira issue"


class Notification(models.Model):
    """One message to one person. `key` names the event it comes from, so that the same event never notifies (nor
    mails) the same person twice, however many times and from however many workers it is announced."""

    class Email(models.TextChoices):
        PENDING = "pending", "To send"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent (the person does not want these by e-mail, or has no address)"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=200, help_text="The event it comes from: one notification per person and key.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retrospective = models.ForeignKey(
        Retrospective, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    title = SingleLineField(max_length=300)
    body = models.TextField(blank=True, help_text="Plain text.")
    url = models.CharField(max_length=500, blank=True, help_text="A path inside the app, such as /retrospectives/4/.")
    created_at = models.DateTimeField(auto_now_add=True)
    shown_in_app = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.PENDING)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)
    attachments = models.JSONField(
        default=list,
        blank=True,
        help_text="Files sent with the e-mail, as they were when it was notified: "
        '[{"filename": ..., "content_type": ..., "content": text}], e.g. a meeting\'s invitation (.ics).',
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email", "created_at"], name="notification_email_queue"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}: {self.title}"


class Preference(models.Model):
    """A person's choice for one kind; without a row, a kind reaches them both in the app and by e-mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    in_app = models.BooleanField(default=True)
    by_email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self):
        return f"{self.user_id} {self.kind}: app={self.in_app} email={self.by_email}"


class DigestSubscription(models.Model):
    """A person who asked for the weekly digest e-mail (insights.digest): opt-in, so without a row there is none."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscription")
    since = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"weekly digest for {self.user_id}"


class Digest(models.Model):
    """The weekly digest of one person for one week (the Monday, UTC), once: claimed before it is built, so that two
    workers or a job run twice never mail it twice. Records what it listed."""

    class State(models.TextChoices):
        SENDING = "sending", "Being built and sent"
        SENT = "sent", "Sent"
        EMPTY = "empty", "Nothing to tell: not sent"
        FAILED = "failed", "Failed (not sent again)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    week = models.DateField(help_text="The Monday (UTC) of the week it is for.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENDING)
    claim = models.CharField(max_length=32, blank=True, help_text="Which run of the job took it.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    retrospective_ids = models.JSONField(default=list, blank=True, help_text="The write-ups done it listed.")
    recommendation_ids = models.JSONField(default=list, blank=True, help_text="The overdue recommendations it listed.")
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digest_once_per_week")]

    def __str__(self):
        return f"digest of {self.week} for {self.user_id}: {self.state}"
