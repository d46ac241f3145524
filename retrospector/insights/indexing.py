"""The search index: what is copied into SearchDoc for each kind of thing, kept in step by insights.signals (on
commit) and rebuilt by `retrospector search reindex`. The full-text structure over SearchDoc follows by itself
(SQLite: triggers on the table; PostgreSQL: a generated column)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from django.db import connection, transaction
from django.urls import reverse

from retrospector.actions.models import Finding, Recommendation
from retrospector.incidents.models import Incident
from retrospector.insights import semantic
from retrospector.insights.models import BODY_MAX_CHARS, MARK_END, MARK_START, SearchDoc
from retrospector.insights.reindex_sql import STATEMENTS, index_rows_add_in_sql
from retrospector.reviews.models import Account, Comment
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.models import Section

Kind = SearchDoc.Kind
_UNMARK = str.maketrans("", "", MARK_START + MARK_END + "\x00")


def _clean(text: str, limit: int) -> str:
    return (text or "").translate(_UNMARK)[:limit]


def _incident_fields(incident: Incident) -> dict:
    return {
        "organization_id": incident.organization_id,
        "incident_id": incident.pk,
        "team_id": incident.team_id,
        "context": _clean(f"#{incident.pk} {incident.title}", 400),
        "occurred_at": incident.started_at,
    }


def _incident_docs(ids) -> Iterator[tuple[int, dict | None]]:
    for incident in Incident.objects.filter(pk__in=ids):
        yield (
            incident.pk,
            {
                **_incident_fields(incident),
                "retrospective_id": None,
                "context": "",
                "title": _clean(incident.title, 400),
                "body": _clean(incident.summary, BODY_MAX_CHARS),
                "url": reverse("incident_detail", args=[incident.pk]),
            },
        )


def _section_docs(ids):
    for section in Section.objects.filter(pk__in=ids).select_related("retrospective__incident"):
        retrospective = section.retrospective
        if not (section.body or "").strip():
            yield section.pk, None
            continue
        yield (
            section.pk,
            {
                **_incident_fields(retrospective.incident),
                "retrospective_id": retrospective.pk,
                "title": _clean(section.title, 400),
                "body": _clean(section.body, BODY_MAX_CHARS),
                "url": reverse("retrospective_detail", args=[retrospective.pk]) + f"#section-{section.key}",
            },
        )


def _event_docs(ids):
    for event in TimelineEvent.objects.filter(pk__in=ids).select_related("incident"):
        yield (
            event.pk,
            {
                **_incident_fields(event.incident),
                "retrospective_id": None,
                "title": _clean(event.actor, 400),
                "body": _clean(event.text, BODY_MAX_CHARS),
                "url": reverse("incident_timeline", args=[event.incident_id]) + f"#event-{event.pk}",
            },
        )


def _account_docs(ids):
    for account in Account.objects.filter(pk__in=ids).select_related("retrospective__incident", "author"):
        author = account.author.display_name if account.author else "a former responder"
        yield (
            account.pk,
            {
                **_incident_fields(account.retrospective.incident),
                "retrospective_id": account.retrospective_id,
                "title": _clean(f"Account by {author}", 400),
                "body": _clean(account.body, BODY_MAX_CHARS),
                "url": reverse("retrospective_detail", args=[account.retrospective_id]) + "#accounts",
            },
        )


def _comment_docs(ids):
    for comment in Comment.objects.filter(pk__in=ids).select_related("thread__retrospective__incident"):
        retrospective = comment.thread.retrospective
        yield (
            comment.pk,
            {
                **_incident_fields(retrospective.incident),
                "retrospective_id": retrospective.pk,
                "title": "",
                "body": _clean(comment.body, BODY_MAX_CHARS),
                "url": reverse("thread_list", args=[retrospective.pk]) + f"#comment-{comment.pk}",
            },
        )


def _finding_docs(ids):
    for finding in Finding.objects.filter(pk__in=ids).select_related("retrospective__incident"):
        yield (
            finding.pk,
            {
                **_incident_fields(finding.retrospective.incident),
                "retrospective_id": finding.retrospective_id,
                "title": finding.get_kind_display(),
                "body": _clean(finding.text, BODY_MAX_CHARS),
                "url": reverse("finding_list", args=[finding.retrospective_id]) + f"#finding-{finding.pk}",
            },
        )


def _recommendation_docs(ids):
    for rec in Recommendation.objects.filter(pk__in=ids):
        if rec.merged_into_id is not None:
            yield rec.pk, None  # it lives on in the one it was merged into
            continue
        yield (
            rec.pk,
            {
                "organization_id": rec.organization_id,
                "incident_id": None,
                "retrospective_id": None,
                "team_id": rec.team_id,
                "context": "",
                "occurred_at": rec.created_at,
                "title": _clean(rec.title, 400),
                "body": _clean(f"{rec.description}\n\n{rec.definition_of_done}".strip(), BODY_MAX_CHARS),
                "url": reverse("recommendation_detail", args=[rec.pk]),
            },
        )


BUILDERS: dict[str, Callable[[Iterable[int]], Iterator[tuple[int, dict | None]]]] = {
    Kind.INCIDENT: _incident_docs,
    Kind.SECTION: _section_docs,
    Kind.EVENT: _event_docs,
    Kind.ACCOUNT: _account_docs,
    Kind.COMMENT: _comment_docs,
    Kind.FINDING: _finding_docs,
    Kind.RECOMMENDATION: _recommendation_docs,
}
SOURCES = {
    Kind.INCIDENT: Incident,
    Kind.SECTION: Section,
    Kind.EVENT: TimelineEvent,
    Kind.ACCOUNT: Account,
    Kind.COMMENT: Comment,
    Kind.FINDING: Finding,
    Kind.RECOMMENDATION: Recommendation,
}


# The kinds whose text makes an incident's vector for the optional semantic ranking (insights.semantic).
VECTOR_KINDS = (Kind.INCIDENT, Kind.SECTION, Kind.FINDING)


def _vectors_follow(kind: str, incident_ids: Iterable[int | None]) -> None:
    """The incidents whose text changed get their vector recomputed (only with the semantic extra installed)."""
    if kind in VECTOR_KINDS and semantic.enabled():
        semantic.incident_vectors_update({pk for pk in incident_ids if pk is not None})


def search_index_update(*, kind: str, ids: Iterable[int]) -> int:
    """Copy these things into the index as they are now (those gone or empty leave it); returns how many are in."""
    ids = list(ids)
    built = dict(BUILDERS[kind](ids))
    if kind in VECTOR_KINDS and semantic.enabled():
        gone = [pk for pk in ids if built.get(pk) is None]
        affected = {fields["incident_id"] for fields in built.values() if fields is not None}
        affected |= set(SearchDoc.objects.filter(kind=kind, object_id__in=gone).values_list("incident_id", flat=True))
    stored = 0
    for pk in ids:
        fields = built.get(pk)
        if fields is None:
            SearchDoc.objects.filter(kind=kind, object_id=pk).delete()
            continue
        SearchDoc.objects.update_or_create(kind=kind, object_id=pk, defaults=fields)
        stored += 1
    if kind in VECTOR_KINDS and semantic.enabled():
        _vectors_follow(kind, affected)
    return stored


def search_index_add(*, kind: str, ids: Iterable[int], vectors: bool = True) -> int:
    """Copy things just made (none of them in the index yet) into it in one INSERT per batch: what a bulk import
    calls once per batch instead of search_index_update's query per row. The kinds that come by the thousand
    (incidents, sections, events) are copied by the database itself (reindex_sql: the same rows, a test compares
    them). With `vectors` off the semantic vectors are left to the worker's fill of missing ones
    (insights.semantic.incident_vectors_fill_missing)."""
    ids = list(ids)
    if kind in STATEMENTS:
        written = index_rows_add_in_sql(kind, ids)
        if vectors and kind in VECTOR_KINDS and semantic.enabled():
            rows = SearchDoc.objects.filter(kind=kind, object_id__in=ids)
            _vectors_follow(kind, set(rows.values_list("incident_id", flat=True)))
        return written
    built = [(pk, fields) for pk, fields in BUILDERS[kind](ids) if fields is not None]
    SearchDoc.objects.bulk_create(
        [SearchDoc(kind=kind, object_id=pk, **fields) for pk, fields in built], batch_size=REINDEX_BATCH
    )
    if vectors:
        _vectors_follow(kind, {fields["incident_id"] for _, fields in built})
    return len(built)


def search_index_remove(*, kind: str, ids: Iterable[int]) -> None:
    rows = SearchDoc.objects.filter(kind=kind, object_id__in=list(ids))
    affected = list(rows.values_list("incident_id", flat=True)) if kind in VECTOR_KINDS and semantic.enabled() else []
    rows.delete()
    _vectors_follow(kind, affected)


def search_index_incident_moved(*, incident_id: int) -> None:
    """An incident's team, title or start changed: every row under it follows (one UPDATE)."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return
    fields = _incident_fields(incident)
    SearchDoc.objects.filter(incident_id=incident_id).exclude(kind=Kind.INCIDENT).update(
        team_id=fields["team_id"], context=fields["context"], occurred_at=fields["occurred_at"]
    )
    SearchDoc.objects.filter(incident_id=incident_id, kind=Kind.INCIDENT).update(
        team_id=fields["team_id"], occurred_at=fields["occurred_at"]
    )


def search_index_on_commit(*, kind: str, pk: int, removed: bool = False) -> None:
    """What the signal receivers call: the change is copied once its transaction commits (nothing if it rolls back)."""
    if removed:
        transaction.on_commit(lambda: search_index_remove(kind=kind, ids=[pk]))
    else:
        transaction.on_commit(lambda: search_index_update(kind=kind, ids=[pk]))


REINDEX_BATCH = 500
# The kinds the rebuild rewrites in SQL (insights.reindex_sql), in this order: their rows come back with new ids, the
# last kind's the newest; a search finding more than insights.search.CANDIDATES ranks the newest, so write-ups last.
FAST_ORDER = (Kind.EVENT, Kind.INCIDENT, Kind.SECTION)


def search_reindex(*, progress: Callable[[str, int, int], None] | None = None, fast: bool = True) -> dict[str, int]:
    """Rebuild the whole index from the tables, kind by kind, in batches; `progress(kind, done, total)` after each.
    The kinds that come in large numbers are rewritten by the database itself (insights.reindex_sql) unless `fast` is
    off: the same rows, a test compares them. On PostgreSQL those are rewritten in one transaction without the table's
    indexes and constraints, made again at its end (searches wait for that transaction: a minute or two at 100,000
    write-ups)."""
    from retrospector.insights.reindex_sql import reindex_kind_in_sql, without_secondary_indexes

    counts = {}

    def rewrite(kind):
        ids = list(SOURCES[kind].objects.order_by("pk").values_list("pk", flat=True))
        counts[kind] = reindex_kind_in_sql(kind, ids, progress)

    if fast and connection.vendor == "postgresql":
        # The large kinds in one transaction, the indexes over the table made again once at its end.
        with transaction.atomic(), without_secondary_indexes():
            for kind in FAST_ORDER:
                rewrite(kind)
    elif fast:
        for kind in FAST_ORDER:
            with transaction.atomic():
                rewrite(kind)
    for kind, model in SOURCES.items():
        if kind in counts:
            continue
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        with transaction.atomic():
            SearchDoc.objects.filter(kind=kind).exclude(object_id__in=model.objects.values("pk")).delete()
            stored = 0
            for start in range(0, len(ids), REINDEX_BATCH):
                stored += _store_batch(kind, ids[start : start + REINDEX_BATCH])
                if progress:
                    progress(kind, min(start + REINDEX_BATCH, len(ids)), len(ids))
        counts[kind] = stored
    return {kind: counts[kind] for kind in SOURCES}


def _store_batch(kind: str, ids: list[int]) -> int:
    """One batch of the rebuild: the rows that changed are rewritten, new ones inserted together."""
    built = dict(BUILDERS[kind](ids))
    existing = {doc.object_id: doc for doc in SearchDoc.objects.filter(kind=kind, object_id__in=ids)}
    gone = [pk for pk in ids if built.get(pk) is None and pk in existing]
    SearchDoc.objects.filter(kind=kind, object_id__in=gone).delete()
    new = []
    for pk, fields in built.items():
        if fields is None:
            continue
        doc = existing.get(pk)
        if doc is None:
            new.append(SearchDoc(kind=kind, object_id=pk, **fields))
        elif any(getattr(doc, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(doc, name, value)
            doc.save()
    SearchDoc.objects.bulk_create(new)
    return sum(1 for fields in built.values() if fields is not None)


def search_index_fill_if_empty() -> str:
    """A periodic job: an installation that had data before search arrived (its migration starts the index empty) gets
    its index built by the worker, once, without anyone running `retrospector search reindex`."""
    from retrospector.incidents.models import Incident

    if SearchDoc.objects.exists() or not Incident.objects.exists():
        return "nothing to do"
    counts = search_reindex()
    return f"built: {sum(counts.values())} rows"
