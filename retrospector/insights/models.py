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
