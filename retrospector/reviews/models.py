"""The review half of a retrospective: who owns it and by when, the responders' accounts, the discussion questions and
the feedback threads anchored to the write-up's sections."""

from django.conf import settings
from django.db import models

from retrospector.accounts.models import Organization, Team
from retrospector.core.fields import SingleLineField
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.models import Retrospective, Section


class Step(models.TextChoices):
    """The steps of a review with a deadline, in the order they are normally done."""

    RESEARCH = "research", "Research started"
    FIRST_DRAFT = "first_draft", "First draft"
    FEEDBACK_END = "feedback_end", "End of feedback"
    FEEDBACK_ADDRESSED = "feedback_addressed", "Feedback addressed"
    MEETING = "meeting", "Meeting"


STEP_ORDER = [Step.RESEARCH, Step.FIRST_DRAFT, Step.FEEDBACK_END, Step.FEEDBACK_ADDRESSED, Step.MEETING]


class ProcessSettings(models.Model):
    """A team's review process: which incidents need a retrospective, and the deadline of each step in business days
    from the incident's resolution, counted in the team's zone, on its working days, skipping its holidays."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="process_settings")
    severities_requiring = models.JSONField(
        default=list,
        blank=True,
        help_text="Keys of the severity levels whose incidents need a retrospective; empty means every incident.",
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    working_days = models.JSONField(
        default=list, blank=True, help_text="ISO weekday numbers, Monday is 1; empty means Monday to Friday."
    )
    holidays = models.JSONField(default=list, blank=True, help_text="Dates (YYYY-MM-DD) that are not working days.")
    research_days = models.PositiveSmallIntegerField(default=1)
    first_draft_days = models.PositiveSmallIntegerField(default=5)
    feedback_end_days = models.PositiveSmallIntegerField(default=8)
    feedback_addressed_days = models.PositiveSmallIntegerField(default=10)
    meeting_days = models.PositiveSmallIntegerField(default=12)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"process of {self.team}"


class Approvers(models.TextChoices):
    """Who gives a retrospective its final approval (never its owner)."""

    TEAM_ADMIN_OR_MODERATOR = "team_admin_or_moderator", "An admin of the incident's team, or the meeting's moderator"
    TEAM_ADMIN = "team_admin", "An admin of the incident's team"
    ORG_ADMIN = "org_admin", "An organization admin"


class ProcessVersion(models.Model):
    """One version of an organization's standard review process: when a retrospective is required, its deadlines,
    the template it is written in, who approves it, and whether teams may lead their own process instead. A change
    is a new version with its reason; the versions before it stay as they were."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="process_versions")
    number = models.PositiveIntegerField()
    severities_requiring = models.JSONField(
        default=list, blank=True, help_text="Severity keys whose incidents need a retrospective; empty: every incident."
    )
    research_days = models.PositiveSmallIntegerField(default=1)
    first_draft_days = models.PositiveSmallIntegerField(default=5)
    feedback_end_days = models.PositiveSmallIntegerField(default=8)
    feedback_addressed_days = models.PositiveSmallIntegerField(default=10)
    meeting_days = models.PositiveSmallIntegerField(default=12)
    required_template = models.SlugField(
        max_length=100, blank=True, help_text="The key of the template every retrospective is written in; empty: any."
    )
    approvers = models.CharField(max_length=30, choices=Approvers.choices, default=Approvers.TEAM_ADMIN_OR_MODERATOR)
    teams_may_lead_own = models.BooleanField(
        default=True, help_text="Teams may set their own required severities and deadlines instead of these."
    )
    reason = models.TextField()
    changes = models.JSONField(default=list, blank=True, help_text="What changed from the version before, in words.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="process_version_number_unique")]

    def __str__(self):
        return f"process v{self.number} of {self.organization_id}"


class ProcessRecord(models.Model):
    """The process version a retrospective ran under, recorded when it started; `team_led` when its team led its own
    process (the version allowed it and the team had set one)."""

    retrospective = models.OneToOneField(Retrospective, on_delete=models.CASCADE, related_name="process_record")
    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="records")
    team_led = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.retrospective_id} under v{self.version_id}"


class Deadline(models.Model):
    """One step's due date for one retrospective. A step is done (done_at set) when the review passes it; a done step
    is never due nor overdue."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="deadlines")
    step = models.CharField(max_length=20, choices=Step.choices)
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["retrospective", "step"], name="deadline_once_per_step")]
        indexes = [models.Index(fields=["done_at", "due_on"], name="deadline_open_due")]

    def __str__(self):
        return f"{self.step} due {self.due_on}"


class ReviewInvite(models.Model):
    """Someone outside the team asked to review; the team's members are reviewers without an invitation."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="review_invites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_invites")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["retrospective", "user"], name="review_invite_once")]

    def __str__(self):
        return f"{self.user_id} reviews {self.retrospective_id}"


class AccountRequest(models.Model):
    """The owner asked a responder for their own account of the incident."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="account_requests")
    responder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    message = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [models.UniqueConstraint(fields=["retrospective", "responder"], name="account_request_once")]

    def __str__(self):
        return f"account of {self.responder_id} for {self.retrospective_id}"


class Account(models.Model):
    """A responder's own account: from when they became aware to when they stopped, what they saw, thought and did."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="accounts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="accounts")
    body = models.TextField()
    html = models.TextField(blank=True, editable=False)
    events = models.ManyToManyField(TimelineEvent, blank=True, related_name="accounts")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["retrospective", "author"], name="account_once_per_author")]

    def __str__(self):
        return f"account by {self.author_id}"


class Question(models.Model):
    """An open question for the discussion, prepared by the owner."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    text = models.TextField()
    events = models.ManyToManyField(TimelineEvent, blank=True, related_name="questions")
    accounts = models.ManyToManyField(Account, blank=True, related_name="questions")
    accounts_differ = models.BooleanField(
        default=False, help_text="Two accounts describe the same event differently: worth discussing."
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text[:60]


class Thread(models.Model):
    """Feedback on a section, or on a quoted passage inside it. The anchor is the quote with a little of the text
    around it; it is found again after every edit of the section and marked outdated when the passage is gone."""

    class Kind(models.TextChoices):
        CHANGE = "change", "Change"
        CLARIFY = "clarify", "Clarify"
        DISAGREE = "disagree", "Disagree"
        QUESTION = "question", "Question"

    class Resolution(models.TextChoices):
        CHANGED = "changed", "Changed"
        CLARIFIED = "clarified", "Clarified"
        DISAGREED = "disagreed", "Disagreed"

    QUOTE_MAX = 1000
    CONTEXT = 40

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="threads")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="threads")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    quote = models.TextField(blank=True, help_text="The passage commented on; empty for the whole section.")
    quote_prefix = models.CharField(max_length=80, blank=True)
    quote_suffix = models.CharField(max_length=80, blank=True)
    anchor_start = models.PositiveIntegerField(null=True, blank=True)
    anchor_end = models.PositiveIntegerField(null=True, blank=True)
    anchor_version = models.PositiveIntegerField(
        default=1, help_text="The section's version at which anchor_start and anchor_end were last found."
    )
    outdated = models.BooleanField(default=False, help_text="The quoted passage is no longer in the section.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_comment_at = models.DateTimeField(null=True, blank=True)
    comment_count = models.PositiveIntegerField(default=0)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["retrospective", "resolved_at"], name="thread_open")]

    def __str__(self):
        return f"{self.kind} on {self.section_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Comment(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    html = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    client_token = SingleLineField(
        max_length=64, blank=True, help_text="Sent with the form or request: a second submit with it creates nothing."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_token"],
                condition=~models.Q(client_token=""),
                name="comment_submitted_once",
            )
        ]

    def __str__(self):
        return f"comment {self.pk} on thread {self.thread_id}"


class Mention(models.Model):
    """An @mention of a person in a comment; answered when they write in the thread afterwards."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")
    notified = models.BooleanField(default=False, help_text="False when the person may not see the incident.")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="mention_once")]

    def __str__(self):
        return f"{self.user_id} mentioned in {self.comment_id}"


class SurveyResponse(models.Model):
    """One participant's answer to "how did this retrospective go?", asked once it is approved: was it useful, was it
    fair and blameless (1 to 5 each), and what would they change. Shown only in aggregate, never with a name."""

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="survey_responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_responses")
    useful = models.PositiveSmallIntegerField(help_text="1 (not at all) to 5 (very).")
    fair = models.PositiveSmallIntegerField(help_text="1 (not at all) to 5 (entirely): fair and blameless.")
    change = models.TextField(blank=True, help_text="What they would change in how it was run.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["retrospective", "user"], name="survey_response_once")]

    def __str__(self):
        return f"survey of {self.retrospective_id} by {self.user_id}"
