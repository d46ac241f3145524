"""Full-text search over the index (insights.models.SearchDoc), with the permission rules inside the query.

One interface, two engines: SQLite FTS5 (bm25, snippet) and PostgreSQL full-text search (ts_rank, ts_headline). The
user's text never reaches either as query syntax: `search_terms` keeps its words and "quoted phrases" only, and each
engine quotes them itself."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from retrospector.accounts.models import Team, User
from retrospector.actions.models import RecommendationLink
from retrospector.actions.selectors import recommendations_visible_to
from retrospector.incidents.models import Incident, Service, SeverityLevel
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.insights.indexing import MARK_END, MARK_START
from retrospector.insights.models import SearchDoc

Kind = SearchDoc.Kind
QUERY_MAX_CHARS = 500
TERMS_MAX = 12
TERM_MAX_CHARS = 60
SNIPPET_WORDS = 16
BM25_TITLE_WEIGHT, BM25_BODY_WEIGHT = 10.0, 1.0
# The most results a search counts and ranks: the newest CANDIDATES the reader may see (by index row, newest first,
# which both engines read without touching every match). Fewer found: every one counted and ranked. More: the count
# is a lower bound ("1,000+"), and the best of those CANDIDATES come first. A word in most of a million rows costs
# what it costs in a thousand.
CANDIDATES = 1000
_PHRASE = re.compile(r'"([^"]*)"')
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


def search_terms(text: str) -> list[Term]:
    """The words and "quoted phrases" of what the user typed, everything else (operators, brackets, stray quotes,
    punctuation) dropped: safe to quote for either engine."""
    text = (text or "")[:QUERY_MAX_CHARS]
    terms: list[Term] = []
    position = 0
    for match in _PHRASE.finditer(text):
        terms.extend(Term((w,)) for w in _words(text[position : match.start()]))
        words = _words(match.group(1))
        if words:
            terms.append(Term(tuple(words)))
        position = match.end()
    terms.extend(Term((w,)) for w in _words(text[position:]))
    unique = list(dict.fromkeys(terms))
    return unique[:TERMS_MAX]


def _words(text: str) -> list[str]:
    return [w.lower()[:TERM_MAX_CHARS] for w in _WORD.findall(text)]


def fts5_query(terms: list[Term]) -> str:
    """Each term a quoted FTS5 string (a phrase keeps its words together), all required."""
    return " ".join('"' + " ".join(t.words).replace('"', '""') + '"' for t in terms)


def websearch_query(terms: list[Term]) -> str:
    """The same for PostgreSQL's websearch_to_tsquery, which never fails on any text: words and quoted phrases."""
    return " ".join('"' + " ".join(t.words) + '"' if t.is_phrase else t.words[0] for t in terms)


@dataclass
class SearchFilters:
    kind: str = ""
    team: int | None = None
    service: int | None = None
    severity: int | None = None
    state: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass
class SearchHit:
    kind: str
    object_id: int
    title: str
    context: str
    url: str
    incident_id: int | None
    occurred_at: dt.datetime
    score: float
    snippet: SafeString

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label


@dataclass
class SearchResults:
    query: str
    terms: list[Term]
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    # The count stopped at CANDIDATES: there are at least `total` results (and at least counts[kind] of each kind
    # listed in `counts_at_least`).
    total_is_lower_bound: bool = False
    counts_at_least: set[str] = field(default_factory=set)
    hits: list[SearchHit] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    page_size: int = 20


def docs_visible_to(user: User) -> QuerySet[SearchDoc]:
    """The index rows `user` may see, decided in the query: those of an incident they may see, and the
    recommendations they may see (recommendations_visible_to)."""
    if not user.is_authenticated or user.organization_id is None:
        return SearchDoc.objects.none()
    incidents = incidents_visible_to(user).filter(pk=OuterRef("incident_id"))
    recommendations = recommendations_visible_to(user).filter(pk=OuterRef("object_id"))
    # No organization_id filter: both rules are of the user's organization already, and an indexed column here lets
    # SQLite drive the query from it rather than from the full-text match (see SearchDoc.Meta).
    return SearchDoc.objects.filter(
        Q(~Q(kind=Kind.RECOMMENDATION), Exists(incidents)) | Q(Q(kind=Kind.RECOMMENDATION), Exists(recommendations))
    )


UNKNOWN = -1  # a filter naming no team, service or severity of the organization: it matches nothing


def search_filters_by_name(
    *, user: User, kind: str = "", team: str = "", service: str = "", severity: str = "", **rest
) -> SearchFilters:
    """Filters named as people write them (a team's slug, a service's name, a severity's key) for the API and the
    command: one that names nothing of the user's organization matches nothing, as the lists' filters do."""
    org = user.organization_id

    def pk(model, **lookup):
        return model.objects.filter(organization_id=org, **lookup).values_list("pk", flat=True).first() or UNKNOWN

    return SearchFilters(
        kind=kind,
        team=pk(Team, slug=team) if team else None,
        service=pk(Service, name=service) if service else None,
        severity=pk(SeverityLevel, key=severity) if severity else None,
        **rest,
    )


def _filtered(docs: QuerySet[SearchDoc], filters: SearchFilters) -> QuerySet[SearchDoc]:
    if filters.team is not None:
        docs = docs.filter(team_id=filters.team)
    if filters.since:
        docs = docs.filter(occurred_at__date__gte=filters.since)
    if filters.until:
        docs = docs.filter(occurred_at__date__lte=filters.until)
    incident_rule = Q()
    if filters.service is not None:
        incident_rule &= Q(services=filters.service)
    if filters.severity is not None:
        incident_rule &= Q(severity_id=filters.severity)
    if filters.state:
        incident_rule &= Q(status=filters.state)
    if incident_rule:
        # A recommendation matches through an incident calling for it.
        matching = Incident.objects.filter(incident_rule)
        through = RecommendationLink.objects.filter(
            recommendation_id=OuterRef("object_id"), retrospective__incident__in=matching
        )
        docs = docs.filter(
            Q(~Q(kind=Kind.RECOMMENDATION), incident__in=matching) | Q(Q(kind=Kind.RECOMMENDATION), Exists(through))
        )
    return docs


def search(
    *, user: User, query: str, filters: SearchFilters | None = None, page: int = 1, page_size: int = 20
) -> SearchResults:
    """Ranked, highlighted results `user` may see, with a count per kind (the kind filter aside): two queries (three
    with a kind filter when the count reached CANDIDATES). The first lists the newest CANDIDATES + 1 rows the reader
    may see, newest first: fewer than that, and it is the whole set (exact counts, all of it ranked); otherwise the
    counts are lower bounds and the ranking covers the newest CANDIDATES. The permission rules and filters are in that
    query, so a capped count is a count of what the reader may see too; the second ranks those rows by their ids."""
    filters = filters or SearchFilters()
    terms = search_terms(query)
    results = SearchResults(query=query, terms=terms, page_size=page_size)
    if not terms:
        return results
    docs = _filtered(docs_visible_to(user), filters)
    engine = _ENGINES[connection.vendor]
    rows, capped = _candidates(engine, docs, terms)
    results.counts = dict(sorted(Counter(kind for _, kind in rows).items()))
    results.counts_at_least = set(results.counts) if capped else set()
    if filters.kind:
        docs = docs.filter(kind=filters.kind)
        if capped:
            # Counted again alone: the newest CANDIDATES of every kind may hold only some of this one's, or none.
            rows, capped = _candidates(engine, docs, terms)
            if rows:
                results.counts[filters.kind] = len(rows)
            if not capped:
                results.counts_at_least.discard(filters.kind)
        else:
            rows = [row for row in rows if row[1] == filters.kind]
        results.total = results.counts.get(filters.kind, 0)
    else:
        results.total = len(rows)
    results.total_is_lower_bound = capped
    results.pages = max(1, -(-results.total // page_size))
    results.page = min(max(1, page), results.pages)
    if results.total:
        offset = (results.page - 1) * page_size
        ids = [pk for pk, _ in rows]
        results.hits = [_hit(row) for row in engine.page(terms, ids, offset, page_size)]
    return results


def _candidates(engine, docs, terms) -> tuple[list[tuple[int, str]], bool]:
    """The newest CANDIDATES (id, kind) of `docs` matching `terms`, and whether there are more."""
    rows = engine.candidates(docs, terms, CANDIDATES + 1)
    return rows[:CANDIDATES], len(rows) > CANDIDATES


def _hit(row) -> SearchHit:
    kind, object_id, title, context, url, incident_id, occurred_at, score, snippet = row
    if isinstance(occurred_at, str):  # SQLite's raw rows
        occurred_at = dt.datetime.fromisoformat(occurred_at)
    if occurred_at is not None and occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=dt.UTC)
    return SearchHit(
        kind=kind,
        object_id=object_id,
        title=title,
        context=context,
        url=url,
        incident_id=incident_id,
        occurred_at=occurred_at,
        score=round(float(score), 4),
        snippet=highlighted(snippet or ""),
    )


def highlighted(snippet: str) -> SafeString:
    """The database's snippet escaped whole, then only its own marks turned into <mark> (the indexed text never
    holds them: insights.indexing takes them out)."""
    text = escape(snippet)
    text = text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    # A fragment cut between the two marks: close what is open.
    if text.count("<mark>") > text.count("</mark>"):
        text += "</mark>"
    return mark_safe(text)


_COLUMNS = ("kind", "object_id", "title", "context", "url", "incident_id", "occurred_at", "score", "snip")


class _Fts5:
    """The FTS5 table joined to the index row by row id: the full-text match drives the query, the permission rules
    (correlated EXISTS on the row's incident) are checked for each row it finds. FTS5 reads its matches in row id
    order, either way, and takes a row id bound itself: the candidates are the first rows it gives newest first, and
    the ranking reads only those from the bound up."""

    @staticmethod
    def matching(docs, terms, since_id=None):
        where = ["insights_searchdoc_fts.rowid = insights_searchdoc.id", "insights_searchdoc_fts MATCH %s"]
        params = [fts5_query(terms)]
        if since_id is not None:
            # On the FTS5 table's row id, not the index row's id: FTS5 skips what is below it.
            where.append("insights_searchdoc_fts.rowid >= %s")
            params.append(since_id)
        return docs.extra(tables=["insights_searchdoc_fts"], where=where, params=params)

    @classmethod
    def candidates(cls, docs, terms, limit):
        newest = cls.matching(docs, terms).extra(order_by=["-insights_searchdoc_fts.rowid"])
        return list(newest.values_list("id", "kind")[:limit])

    @classmethod
    def page(cls, terms, ids, offset, limit):
        """The candidates (`ids`, newest first) ranked, the page's rows cut, their snippets made after, in one
        statement: with the snippet in the ranked query SQLite made one for every row found before sorting (a word in
        most rows: 10 s instead of 5). bm25 needs the match: FTS5 reads it from the last candidate's id up only. The
        ids go as one JSON array (a thousand parameters cost more to prepare than the query to run)."""
        columns = ", ".join(f"d.{name}" for name in _COLUMNS[:-2])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns}, top.score, snippet(insights_searchdoc_fts, -1, %s, %s, '…', %s) FROM ("
                "SELECT rowid AS id, -bm25(insights_searchdoc_fts, %s, %s) AS score FROM insights_searchdoc_fts "
                "WHERE insights_searchdoc_fts MATCH %s AND rowid >= %s "
                "AND +rowid IN (SELECT value FROM json_each(%s)) ORDER BY score DESC, id DESC LIMIT %s OFFSET %s"
                # CROSS JOIN: the page's rows drive (SQLite read every match of the word otherwise).
                ") AS top CROSS JOIN insights_searchdoc_fts ON insights_searchdoc_fts.rowid = top.id "
                "JOIN insights_searchdoc d ON d.id = top.id "
                "WHERE insights_searchdoc_fts MATCH %s ORDER BY top.score DESC, top.id DESC",
                [
                    MARK_START,
                    MARK_END,
                    SNIPPET_WORDS,
                    BM25_TITLE_WEIGHT,
                    BM25_BODY_WEIGHT,
                    fts5_query(terms),
                    ids[-1],
                    json.dumps(ids),
                    limit,
                    offset,
                    fts5_query(terms),
                ],
            )
            return cursor.fetchall()


class _Postgres:
    """The generated tsvector column (GIN index) matched with websearch_to_tsquery, ranked by ts_rank; the headline
    (which reads the text again) is computed for the page's rows only."""

    HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=10, MaxFragments=2"
    QUERY = "websearch_to_tsquery('english', %s)"

    @classmethod
    def matching(cls, docs, terms):
        return docs.extra(where=[f"insights_searchdoc.search @@ {cls.QUERY}"], params=[websearch_query(terms)])

    @classmethod
    def candidates(cls, docs, terms, limit):
        return list(cls.matching(docs, terms).order_by("-id").values_list("id", "kind")[:limit])

    @classmethod
    def page(cls, terms, ids, offset, limit):
        """The candidates ranked, by their ids (one array): not matched again (the GIN index then listed every row with
        the word, for a common one most of the table); the headline for the page's rows only."""
        text = websearch_query(terms)
        columns = ", ".join(f"top.{name}" for name in _COLUMNS[:-1])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns}, ts_headline('english', top.body, {cls.QUERY}, %s) FROM ("
                f"SELECT *, ts_rank(search, {cls.QUERY}) AS score FROM insights_searchdoc WHERE id = ANY(%s) "
                "ORDER BY score DESC, id DESC LIMIT %s OFFSET %s) AS top ORDER BY top.score DESC, top.id DESC",
                [text, cls.HEADLINE, text, ids, limit, offset],
            )
            return cursor.fetchall()


_ENGINES = {"sqlite": _Fts5, "postgresql": _Postgres}
