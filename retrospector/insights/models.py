from django.conf import settings
from django.db import models

from retrospector.accounts.models import Organization
from retrospector.incidents.models import Incident
from retrospector.writeups.models import Retrospective

# Snippets are marked with these two characters (Unicode private use): they are taken out of every indexed text, so
# that only the database's marks can be turned into <mark> (insights.search).
MARK_START, MARK_END = "\ue000", "\ue001"
BODY_MAX_CHARS = 100_000


class SearchDoc(models.Model):
    """One searchable thing (an incident, a section, a timeline event, an account, a comment, a finding, a
    recommendation), copied here by insights.indexing. The full-text structure over it is the database's own, made by
    the migration: an FTS5 table kept in step by triggers on SQLite, a generated tsvector column with a GIN index on
    PostgreSQL. Who may see a row is decided by its incident (or, for a recommendation, by the recommendation)."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", "Incidents"
        SECTION = "section", "Write-ups"
        EVENT = "event", "Timeline events"
        ACCOUNT = "account", "Responders' accounts"
        COMMENT = "comment", "Comments"
        FINDING = "finding", "Findings"
        RECOMMENDATION = "recommendation", "Recommendations"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # Null for a recommendation (it may be called for by several incidents, or none).
    incident = models.ForeignKey(Incident, null=True, on_delete=models.CASCADE, related_name="+")
    retrospective = models.ForeignKey(Retrospective, null=True, on_delete=models.CASCADE, related_name="+")
    team_id = models.BigIntegerField(help_text="The incident's team, or the recommendation's.")
    title = models.CharField(max_length=400, blank=True)
    body = models.TextField(blank=True)
    context = models.CharField(max_length=400, blank=True, help_text="Shown beside the title: the incident's title.")
    url = models.CharField(max_length=400)
    occurred_at = models.DateTimeField(help_text="The incident's start, or the recommendation's creation.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # No other index on purpose: every search is driven by the full-text structure (SQLite's planner took an
        # index on (organization, kind) for the counts and ran the full-text match once per row: 500 ms instead of 5).
        # object_id first, so that a `kind =` filter cannot use this one either.
        constraints = [models.UniqueConstraint(fields=["object_id", "kind"], name="searchdoc_once")]

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class IncidentVector(models.Model):
    """An incident's sentence-embedding vector for the optional semantic ranking of "Have we seen this before?"
    (insights.semantic; only with the `semantic` extra installed): float32, DIMENSIONS of them, as bytes. Who may see
    it is decided by its incident."""

    incident = models.OneToOneField(Incident, primary_key=True, on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=64, help_text="The model that made it: a vector of another is recomputed.")
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The vectors' version stamp (count and latest change, insights.semantic) read from this index alone: the
        # table's rows hold a kilobyte each, and a scan of them took 100 ms at 20,000 incidents.
        indexes = [models.Index(fields=["model", "updated_at"], name="incidentvector_stamp")]

    def __str__(self):
        return f"vector of incident {self.incident_id}"


# --- Sharing: statements made from a write-up (insights.statements) --------------------------------------------------


class Statement(models.Model):
    """A text made from an approved write-up to share it: the internal summary (readable by the whole organization
    once published) or the customer statement (readable by anyone holding its public link once published). Edited
    with the no-lost-update rule (`version`); publishing copies the text as it is (`published_*`): later edits show
    only once published again."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", "Internal summary"
        EXTERNAL = "external", "Customer statement"

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="statements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField(blank=True)
    # The sanitized rendering of body, kept in step by insights.statements.
    html = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, help_text="Increases by one with every save.")
    keep_names = models.BooleanField(
        default=False,
        help_text="Customer statement: the author chose to keep people's names (the draft replaces them by roles).",
    )
    keep_names_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    keep_names_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # What readers see, as it was when published; empty (published_at null) when not published or revoked.
    published_body = models.TextField(blank=True)
    published_html = models.TextField(blank=True)
    published_version = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Customer statement: the SHA-256 of its public link's token (the token itself is shown once, never stored).
    public_token_digest = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["retrospective", "kind"]
        constraints = [models.UniqueConstraint(fields=["retrospective", "kind"], name="statement_once_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} of retrospective {self.retrospective_id}"

    @property
    def key(self) -> str:
        """Its name in a 409's `current` (api.on_conflict), as a section's key."""
        return self.kind

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def has_unpublished_changes(self) -> bool:
        return self.is_published and self.published_version != self.version


class InsightsCacheEntry(models.Model):
    """The table of the "insights" cache (settings.CACHES; Django's database cache backend reads and writes it with
    its own SQL: these are the columns `createcachetable` would make). Made by a migration so that every installation
    has it without running createcachetable."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "insights_cache"

    def __str__(self):
        return self.cache_key
