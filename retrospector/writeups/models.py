import re

from django.conf import settings
from django.db import models

from retrospector.accounts.models import Organization, Team
from retrospector.core.fields import SingleLineField
from retrospector.incidents.models import Incident

_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def body_is_empty(body: str) -> bool:
    """True when nothing has been written: blank, or only a starter table's header row."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if not lines:
        return True
    return bool(len(lines) == 2 and lines[0].startswith("|") and _TABLE_SEPARATOR.match(lines[1]))


class SectionKind(models.TextChoices):
    TEXT = "text", "Text"
    LIST = "list", "List"
    TABLE = "table", "Table"
    TIMELINE = "timeline", "Timeline"


class Template(models.Model):
    """A named template; its content lives in immutable versions."""

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="templates",
        help_text="Empty for built-in templates, which every organization sees.",
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="templates",
        help_text="The team that owns a custom template.",
    )
    key = models.SlugField(max_length=60)
    name = SingleLineField(max_length=200)
    description = models.TextField(blank=True)
    is_builtin = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_builtin", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(organization__isnull=True), name="builtin_template_key_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "key"],
                condition=models.Q(organization__isnull=False),
                name="template_key_unique_in_org",
            ),
        ]

    def __str__(self):
        return self.name


class TemplateVersion(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = SingleLineField(max_length=200)
    description = models.TextField(blank=True)
    # A list of {key, title, kind, required, guidance, starter}; validated by templates.validate_definition.
    sections = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="template_version_unique")]

    def __str__(self):
        return f"{self.template.key} v{self.number}"


class Retrospective(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        MEETING = "meeting", "Meeting"
        APPROVED = "approved", "Approved"
        DONE = "done", "Done"

    # Still being worked on: on the way to done.
    OPEN_STATES = (State.DRAFT, State.IN_REVIEW, State.MEETING, State.APPROVED)

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="retrospectives")
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="retrospectives")
    title = SingleLineField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="owned_retrospectives"
    )
    shadow = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shadowed_retrospectives",
    )
    reverse_shadow = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="taught_retrospectives",
        help_text="Someone who has led retrospectives before and coaches the owner (see one, do one, teach one).",
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    due_at = models.DateField(null=True, blank=True, help_text="When the first draft is due.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)
    imported_from = SingleLineField(
        max_length=200,
        blank=True,
        help_text="The Markdown file it was imported from; empty when it was started in the app. An import keeps the "
        "file's sections: some match the template's, the others are kept as extra sections.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The done list, newest first, with the incident each row's visibility is checked against: the list and
            # its count read this index only, never the table (20,000 done write-ups: 44 -> 34 ms a page).
            models.Index(fields=["state", "-done_at", "-id", "incident"], name="retro_done_list"),
            models.Index(fields=["owner", "state"], name="retro_owner_state"),
            # The home page's "Due soon": drafts in due order, read until ten visible ones are found.
            models.Index(fields=["state", "due_at"], name="retro_state_due"),
        ]

    def __str__(self):
        return self.title

    @property
    def imported_format(self) -> str:
        """What the imported file was, by its extension (an import of past postmortems takes HTML and Word too)."""
        name = self.imported_from.casefold()
        if name.endswith((".html", ".htm", ".xhtml")):
            return "HTML"
        if name.endswith(".docx"):
            return "Word"
        return "Markdown"

    @property
    def first_draft_due(self):
        """When the first draft is due, while it is still to be written: None once the retrospective has left the draft
        state (its first draft is done, and a step that is done is never overdue) or when no date was set."""
        return self.due_at if self.state == self.State.DRAFT else None


class StateChange(models.Model):
    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(max_length=12, choices=Retrospective.State.choices)
    to_state = models.CharField(max_length=12, choices=Retrospective.State.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_state} -> {self.to_state}"


class Section(models.Model):
    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=60)
    title = SingleLineField(max_length=200)
    kind = models.CharField(max_length=10, choices=SectionKind.choices, default=SectionKind.TEXT)
    required = models.BooleanField(default=False)
    guidance = models.TextField(blank=True)
    position = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    # The sanitized rendering of body, kept in step by the services: rendering is too slow for every page view.
    html = models.TextField(blank=True, editable=False)
    # Whether something was written (body_is_empty is false): kept in step with body by the services that write it
    # (writeups.services), so lists count written sections without reading every body.
    filled = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1, help_text="Increases by one with every save.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["retrospective", "key"], name="section_key_unique")]

    def __str__(self):
        return self.title

    @property
    def is_empty(self) -> bool:
        return body_is_empty(self.body)


class Revision(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = SingleLineField(max_length=200, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["section", "version"], name="revision_version_unique")]

    def __str__(self):
        return f"version {self.version}"


class FindingIgnore(models.Model):
    """A finding of the write-up checks that an editor chose to leave, with why. Keyed by the section, the rule and the
    passage's text (not its line), so it holds while the rest of the section changes; it covers every place in the
    section where the same rule finds the same words. Un-ignoring keeps the row (who and when): the history."""

    PASSAGE_MAX = 500

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="finding_ignores")
    section_key = models.SlugField(max_length=60)
    rule = models.CharField(max_length=60)
    passage = models.CharField(
        max_length=PASSAGE_MAX,
        blank=True,
        help_text="The Markdown the finding points at (its first 500 characters); empty for a whole section.",
    )
    reason = SingleLineField(max_length=300)
    ignored_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    ignored_at = models.DateTimeField(auto_now_add=True)
    unignored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unignored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ignored_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["retrospective", "section_key", "rule", "passage"],
                condition=models.Q(unignored_at__isnull=True),
                name="finding_ignored_once",
            )
        ]

    def __str__(self):
        return f"{self.rule} in {self.section_key}: {self.passage[:40]}"

    @property
    def active(self) -> bool:
        return self.unignored_at is None
