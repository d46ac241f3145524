"""'Have we seen this before?': the past incidents most like one incident (and, while writing, the text being written),
among those the reader may see, each with why it matched and the recommendations it produced.

Lexical, on the search index (insights.models.SearchDoc) so that it works on the default install:

1. the incident's profile: its title, services, summary, the text of its contributing factors, its write-ups' sections
   (weighted less) and, when given, the draft being written; its words without stop words, each weighted by where it
   came from;
2. how common each word is in the index (one query, each count stopped at COMMON_DF): words in COMMON_DF rows or more
   say little and make the match slow, so they are dropped; the TERMS_MAX best of the rest (weight × rarity) are kept.
   These counts are over the whole index: they choose which words are matched, never what is returned or shown;
3. one ranked full-text query for any of those words (FTS5 bm25 / PostgreSQL ts_rank) over the index rows of incidents
   the reader may see (the permission rule is inside the query, as in search's docs_visible_to), summed per incident;
4. shared services (one query) and shared contributing factors (compared word by word in Python) add to the score;
   so do shared words of the titles. Ties go to the most recent incident, then the highest id.

With the `semantic` extra installed (insights.semantic), the cosine similarity of the incidents' sentence-embedding
vectors is added to the score ("blend"), and the incidents most alike by it are candidates too. `ranker` chooses
"lexical", "semantic" (the vectors alone) or "blend"; the default is the blend when the extra is there.
bench.similar_ranking --compare scores the three on a labelled set.

A private incident of another team is never read by any of these queries, so it is never returned, counted or hinted at.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse

from retrospector.accounts.models import User
from retrospector.actions.models import Finding, Recommendation, RecommendationLink
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.insights import semantic
from retrospector.insights.models import SearchDoc
from retrospector.insights.search import BM25_BODY_WEIGHT, BM25_TITLE_WEIGHT
from retrospector.writeups.models import Retrospective, Section

Kind = SearchDoc.Kind
LIMIT_DEFAULT, LIMIT_MAX = 5, 20
TERMS_MAX = 14  # words sent to the full-text query
COMMON_DF = 1000  # a word in this many index rows or more is too common to tell incidents apart
CANDIDATES = 40  # incidents read from the full-text query, and from shared services, before the final ranking
TEXT_MAX_CHARS = 20_000  # of the draft being written
# The kinds of index rows that describe an incident (timeline chatter and comments would match everything).
MATCHED_KINDS = (Kind.INCIDENT, Kind.SECTION, Kind.FINDING, Kind.ACCOUNT)
# How much each part of the profile counts when choosing the words.
FIELD_WEIGHTS = {"title": 3.0, "service": 3.0, "factor": 2.0, "summary": 1.0, "draft": 1.0, "writeup": 0.25}
# How the final score is made: the full-text score (scaled to the best candidate's) and the shared things.
SCORE_WEIGHTS = {"text": 1.0, "services": 0.6, "factors": 0.5, "title": 0.4}
# The semantic ranking's share: its cosine similarity (scaled to the best candidate's) times this, in the blend; alone
# in "semantic". Chosen on the labelled sets (bench.similar_ranking --compare).
SEMANTIC_WEIGHT = 3.0
# The cosines are centred on the candidates' mean (insights.semantic): 0 is "as alike as any", and on the labelled
# sets nine in ten relevant incidents score 0.1 or more. Below that an incident is no candidate on this ground alone,
# and "alike in meaning" is not given as a reason.
SEMANTIC_CANDIDATE_MIN = 0.1
RANKERS = ("lexical", "semantic", "blend")

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here hers
    him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would you your yours
    incident incidents issue issues problem problems outage outages customer customers user users service services
    team teams minute minutes hour hours day days time times some several many one two three first second third
    was were got get getting went going see seen saw made make makes making still already around because due
    via per within without across since until later earlier new old high low more less much lot lots""".split()
)
_WORD = re.compile(r"[^\W_]+")


def words_of(text: str) -> list[str]:
    """The words worth matching on: lower-cased, at least three letters, not a stop word, not a number."""
    return [
        w
        for w in (m.lower() for m in _WORD.findall(text or ""))
        if len(w) >= 3 and w not in STOP_WORDS and not w.isdigit() and len(w) <= 40
    ]


def stem(word: str) -> str:
    """A light suffix stripper, so that 'timeouts' and 'timeout', 'exhausted' and 'exhaustion' compare equal when the
    shared things are worked out in Python (the full-text engines stem on their own)."""
    for suffix in ("ations", "ation", "ings", "ing", "ions", "ion", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@dataclass
class SharedFactor:
    theirs: str  # their contributing factor's text
    words: list[str]  # the words it shares with one of ours


@dataclass
class SimilarRecommendation:
    id: int
    title: str
    status: str
    status_label: str
    url: str


@dataclass
class SimilarWriteup:
    id: int
    title: str
    state: str
    state_label: str


@dataclass
class SimilarIncident:
    incident: Incident
    score: float
    shared_services: list[str] = field(default_factory=list)
    shared_factors: list[SharedFactor] = field(default_factory=list)
    shared_words: list[str] = field(default_factory=list)  # words of ours found in its text
    shared_title_words: list[str] = field(default_factory=list)
    semantic_similarity: float | None = None  # cosine of the incidents' vectors, with the semantic extra
    recommendations: list[SimilarRecommendation] = field(default_factory=list)
    writeups: list[SimilarWriteup] = field(default_factory=list)

    def as_dict(self) -> dict:
        """As the API and `retrospector similar --format json` give it."""
        incident = self.incident
        return {
            "id": incident.pk,
            "title": incident.title,
            "team": incident.team.slug,
            "severity": incident.severity.key,
            "status": incident.status,
            "started_at": incident.started_at,
            "url": reverse("incident_detail", args=[incident.pk]),
            "score": self.score,
            "reasons": self.reasons,
            "shared_services": self.shared_services,
            "shared_factors": [{"text": f.theirs, "words": f.words} for f in self.shared_factors],
            "shared_words": self.shared_words,
            "semantic_similarity": self.semantic_similarity,
            "writeups": [{"id": w.id, "title": w.title, "state": w.state} for w in self.writeups],
            "recommendations": [
                {"id": r.id, "title": r.title, "status": r.status, "url": r.url} for r in self.recommendations
            ],
        }

    @property
    def reasons(self) -> list[str]:
        """Why it matched, in words, the strongest first."""
        reasons = []
        if self.shared_services:
            reasons.append("Same services: " + ", ".join(self.shared_services))
        for factor in self.shared_factors:
            reasons.append(f"A similar contributing factor: “{factor.theirs}” ({', '.join(factor.words)})")
        if self.shared_words:
            reasons.append("Shared words: " + ", ".join(self.shared_words))
        if self.semantic_similarity is not None and self.semantic_similarity >= SEMANTIC_CANDIDATE_MIN:
            reasons.append(f"Alike in meaning (semantic similarity {self.semantic_similarity:.2f})")
        return reasons


@dataclass
class Profile:
    services: dict[int, str]
    factors: list[str]
    title_words: set[str]
    weights: dict[str, float]  # word -> how much it says about the incident


def incident_profile(incident: Incident, text: str = "") -> Profile:
    """What the incident is about: three queries (its services, its contributing factors, its write-ups' sections)."""
    services = dict(incident.services.values_list("pk", "name"))
    factors = list(
        Finding.objects.filter(retrospective__incident=incident, kind=Finding.Kind.CONTRIBUTING_FACTOR).values_list(
            "text", flat=True
        )
    )
    writeup = " ".join(
        Section.objects.filter(retrospective__incident=incident).exclude(body="").values_list("body", flat=True)
    )[:TEXT_MAX_CHARS]
    weights: dict[str, float] = defaultdict(float)
    parts = [
        ("title", incident.title),
        ("service", " ".join(services.values())),
        ("factor", " ".join(factors)),
        ("summary", incident.summary),
        ("draft", (text or "")[:TEXT_MAX_CHARS]),
        ("writeup", writeup),
    ]
    for name, part in parts:
        seen_here: dict[str, int] = defaultdict(int)
        for word in words_of(part):
            seen_here[word] += 1
        for word, n in seen_here.items():
            # Saying a word again adds less each time.
            weights[word] += FIELD_WEIGHTS[name] * (1 + math.log(n))
    return Profile(
        services=services,
        factors=factors,
        title_words={stem(w) for w in words_of(incident.title)},
        weights=dict(weights),
    )


def default_ranker() -> str:
    return "blend" if semantic.enabled() else "lexical"


def similar_incidents(
    *, user: User, incident: Incident, text: str = "", limit: int = LIMIT_DEFAULT, ranker: str | None = None
) -> list[SimilarIncident]:
    """The `limit` past incidents most like `incident` that `user` may see, best first (never the incident itself).
    `incident` must be one the user may see (incident_visible_or_404). Twelve to fifteen queries, however many are
    found (one more with the semantic ranking, four more when a draft is compared or the incident has no vector yet).
    `ranker`: one of RANKERS, default_ranker() when not given; "semantic" and "blend" need the semantic extra."""
    limit = max(1, min(limit, LIMIT_MAX))
    ranker = ranker or default_ranker()
    if ranker not in RANKERS or (ranker != "lexical" and not semantic.enabled()):
        raise ValueError(f"ranker {ranker!r} is not available (installed: {default_ranker()!r})")
    weights = dict(SCORE_WEIGHTS, semantic=SEMANTIC_WEIGHT)
    if ranker == "lexical":
        weights["semantic"] = 0.0
    elif ranker == "semantic":
        weights = dict.fromkeys(weights, 0.0) | {"semantic": 1.0}
    profile = incident_profile(incident, text)
    visible = incidents_visible_to(user).exclude(pk=incident.pk)
    terms = _distinctive_terms(profile.weights) if ranker != "semantic" else []
    text_scores = {}
    if terms:
        # The rule of search's docs_visible_to for these kinds (rows of an incident the reader may see), built on
        # `visible` once rather than again with the recommendations' rule, which no row of these kinds needs.
        docs = SearchDoc.objects.filter(Exists(visible.filter(pk=OuterRef("incident_id"))), kind__in=MATCHED_KINDS)
        text_scores = _ENGINES[connection.vendor].incident_scores(docs, terms)
    service_counts = _shared_service_counts(visible, list(profile.services)) if ranker != "semantic" else {}
    similarities = {}
    if weights["semantic"]:
        similarities = semantic.semantic_similarities(
            visible=visible, incident=incident, text=text, best=CANDIDATES, also=set(text_scores) | set(service_counts)
        )
    closest = sorted(
        (pk for pk, cosine in similarities.items() if cosine >= SEMANTIC_CANDIDATE_MIN),
        key=lambda pk: (-similarities[pk], -pk),
    )[:CANDIDATES]
    ids = set(text_scores) | set(service_counts) | set(closest)
    if not ids:
        return []
    # Scored from plain rows (title, start, services, factors); only the best `limit` are read as incidents.
    rows = list(visible.filter(pk__in=ids).order_by().values_list("pk", "title", "started_at"))
    their_services: dict[int, set[int]] = defaultdict(set)
    through = Incident.services.through.objects.filter(incident_id__in=[pk for pk, _, _ in rows])
    for incident_id, service_id in through.values_list("incident_id", "service_id"):
        their_services[incident_id].add(service_id)
    factors = _factors_of([pk for pk, _, _ in rows])
    best_text = max(text_scores.values(), default=0.0) or 1.0
    best_similarity = max((similarities[pk] for pk in closest), default=0.0)
    best_similarity = best_similarity if best_similarity > 0 else 1.0
    ours = set(profile.services)
    scored = []
    for pk, title, started_at in rows:
        theirs = their_services.get(pk, set())
        service_share = len(ours & theirs) / len(ours | theirs) if ours and theirs else 0.0
        shared_factors = _shared_factors(profile.factors, factors.get(pk, []))
        title_words = {stem(w) for w in words_of(title)}
        title_share = (
            len(title_words & profile.title_words) / len(title_words | profile.title_words) if title_words else 0.0
        )
        score = (
            weights["text"] * text_scores.get(pk, 0.0) / best_text
            + weights["services"] * service_share
            + weights["factors"] * min(1.0, len(shared_factors) / 2)
            + weights["title"] * title_share
            + weights["semantic"] * max(0.0, similarities.get(pk, 0.0)) / best_similarity
        )
        shared = [
            name for service_id, name in sorted(profile.services.items(), key=lambda i: i[1]) if service_id in theirs
        ]
        scored.append(
            (round(score, 6), started_at, pk, shared, shared_factors, sorted(title_words & profile.title_words))
        )
    scored.sort(key=lambda r: (-r[0], -r[1].timestamp(), -r[2]))
    scored = scored[:limit]
    incidents = Incident.objects.select_related("team", "severity").in_bulk([r[2] for r in scored])
    results = [
        SimilarIncident(
            incident=incidents[pk],
            score=score,
            shared_services=shared,
            shared_factors=shared_factors,
            shared_title_words=title_words,
            semantic_similarity=round(similarities[pk], 4) if pk in similarities else None,
        )
        for score, _, pk, shared, shared_factors, title_words in scored
    ]
    _add_shared_words(results, terms)
    _add_writeups_and_recommendations(results)
    return results


def _distinctive_terms(weights: dict[str, float]) -> list[str]:
    """The profile's words that tell incidents apart: each word's rows in the index counted in one query (stopped at
    COMMON_DF), the common ones and those found nowhere dropped, the best TERMS_MAX by weight × rarity kept."""
    # The strongest candidates first, a few more than will be kept, so that the count stays one small query.
    candidates = sorted(weights, key=lambda w: (-weights[w], w))[: TERMS_MAX * 3]
    if not candidates:
        return []
    counts = _ENGINES[connection.vendor].row_counts(candidates)
    ranked = [
        (weights[w] * math.log(1 + COMMON_DF / n), w)
        for w, n in zip(candidates, counts, strict=True)
        if 0 < n < COMMON_DF
    ]
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    return [w for _, w in ranked[:TERMS_MAX]]


def _shared_service_counts(visible, service_ids: list[int]) -> dict[int, int]:
    if not service_ids:
        return {}
    # Correlated (each row's own incident checked): `incident__in=<visible>` listed every visible incident first.
    through = Incident.services.through.objects.filter(
        Exists(visible.filter(pk=OuterRef("incident_id"))), service_id__in=service_ids
    )
    rows = (
        through.values("incident_id")
        .annotate(n=Count("service_id"))
        .order_by("-n", "-incident_id")
        .values_list("incident_id", "n")[:CANDIDATES]
    )
    return dict(rows)


def _factors_of(incident_ids: list[int]) -> dict[int, list[str]]:
    factors: dict[int, list[str]] = defaultdict(list)
    rows = Finding.objects.filter(
        retrospective__incident_id__in=incident_ids, kind=Finding.Kind.CONTRIBUTING_FACTOR
    ).values_list("retrospective__incident_id", "text")
    for incident_id, text in rows.order_by("retrospective__incident_id", "pk"):
        factors[incident_id].append(text)
    return factors


def _shared_factors(ours: list[str], theirs: list[str]) -> list[SharedFactor]:
    """Their contributing factors that share at least two words (one, for a factor of one or two words) with one of
    ours, the most alike first."""
    our_sets = [{stem(w): w for w in words_of(text)} for text in ours]
    shared = []
    for text in theirs:
        their_words = {stem(w) for w in words_of(text)}
        best: list[str] = []
        for words in our_sets:
            common = sorted(words[s] for s in their_words & set(words))
            needed = 1 if min(len(words), len(their_words)) <= 2 else 2
            if len(common) >= needed and len(common) > len(best):
                best = common
        if best:
            shared.append(SharedFactor(theirs=text, words=best))
    shared.sort(key=lambda f: -len(f.words))
    return shared


def _add_shared_words(results: list[SimilarIncident], terms: list[str]) -> None:
    """Which of our words each result's text holds: one query (a full-text match per word, over those incidents)."""
    if not results or not terms:
        return
    ids = [r.incident.pk for r in results]
    found = _words_found(_ENGINES[connection.vendor], ids, terms)
    for r in results:
        r.shared_words = [w for w in terms if (r.incident.pk, w) in found]


def _add_writeups_and_recommendations(results: list[SimilarIncident]) -> None:
    """Their write-ups and the recommendations they called for, with their status: two queries. No permission rule is
    added: these incidents are ones the reader may see, so are their retrospectives (retrospectives_visible_to) and
    every recommendation one of those calls for (recommendations_visible_to); a test compares the two."""
    if not results:
        return
    by_id = {r.incident.pk: r for r in results}
    for retro in (
        Retrospective.objects.filter(incident_id__in=list(by_id))
        .only("pk", "title", "state", "incident_id")
        .order_by("created_at", "pk")
    ):
        by_id[retro.incident_id].writeups.append(
            SimilarWriteup(id=retro.pk, title=retro.title, state=retro.state, state_label=retro.get_state_display())
        )
    links = (
        RecommendationLink.objects.filter(
            retrospective__incident_id__in=list(by_id), recommendation__merged_into__isnull=True
        )
        .order_by("recommendation__created_at", "recommendation_id")
        .values_list(
            "retrospective__incident_id", "recommendation_id", "recommendation__title", "recommendation__status"
        )
    )
    labels = dict(Recommendation.Status.choices)
    for incident_id, rec_id, title, status in links:
        recs = by_id[incident_id].recommendations
        if any(r.id == rec_id for r in recs):
            continue
        recs.append(
            SimilarRecommendation(
                id=rec_id,
                title=title,
                status=status,
                status_label=labels.get(status, status),
                url=reverse("recommendation_detail", args=[rec_id]),
            )
        )


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _grouped_scores(ranked) -> dict[int, float]:
    """Per incident, in the database: its best row's score and a quarter of its other rows' (a long write-up that
    mentions a word in every section should not outrank a short one about the very thing); the CANDIDATES best."""
    sql, params = ranked.values_list("incident_id", "score").order_by().query.sql_with_params()
    # MATERIALIZED: SQLite must not fold the match into the GROUP BY (bm25 works only beside its MATCH).
    grouped = (
        f"WITH matched AS MATERIALIZED ({sql}) "
        "SELECT incident_id, MAX(score) + 0.25 * (SUM(score) - MAX(score)) AS total "
        "FROM matched GROUP BY incident_id ORDER BY total DESC, incident_id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(grouped, [*params, CANDIDATES])
        return {incident_id: float(total) for incident_id, total in cursor.fetchall()}


def _words_found(engine, incident_ids: list[int], terms: list[str]) -> set[tuple[int, str]]:
    """(incident id, word) for each word found in one of those incidents' rows: one query (a UNION ALL of one
    full-text match per word). No permission rule: the incidents are ones the reader may see, and so are all their
    rows of these kinds."""
    ids = ", ".join(str(int(pk)) for pk in incident_ids)
    kinds = ", ".join(f"'{kind}'" for kind in MATCHED_KINDS)
    part = engine.WORD_FOUND.format(ids=ids, kinds=kinds)
    params: list = []
    for n, term in enumerate(terms):
        params += engine.word_params(term, n)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([part] * len(terms)), params)
        return {(incident_id, terms[n]) for incident_id, n in cursor.fetchall()}


class _Fts5:
    """FTS5: a MATCH of quoted words joined by OR, ranked by bm25 (title weighted as in search)."""

    @staticmethod
    def row_counts(words: list[str]) -> list[int]:
        part = (
            "(SELECT count(*) FROM (SELECT 1 FROM insights_searchdoc_fts "
            "WHERE insights_searchdoc_fts MATCH %s LIMIT %s))"
        )
        params: list = []
        for word in words:
            params += [_quote(word), COMMON_DF]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join([part] * len(words)), params)
            return [int(n) for n in cursor.fetchone()]

    WORD_FOUND = (
        "SELECT DISTINCT d.incident_id, %s FROM insights_searchdoc_fts JOIN insights_searchdoc d "
        "ON d.id = insights_searchdoc_fts.rowid WHERE insights_searchdoc_fts MATCH %s "
        "AND d.incident_id IN ({ids}) AND d.kind IN ({kinds})"
    )

    @staticmethod
    def word_params(term: str, n: int) -> list:
        return [n, _quote(term)]

    @staticmethod
    def matching(docs, terms: list[str]):
        return docs.extra(
            tables=["insights_searchdoc_fts"],
            where=["insights_searchdoc_fts.rowid = insights_searchdoc.id", "insights_searchdoc_fts MATCH %s"],
            params=[" OR ".join(_quote(t) for t in terms)],
        )

    @classmethod
    def incident_scores(cls, docs, terms: list[str]) -> dict[int, float]:
        ranked = cls.matching(docs, terms).extra(
            select={"score": "-bm25(insights_searchdoc_fts, %s, %s)"},
            select_params=[BM25_TITLE_WEIGHT, BM25_BODY_WEIGHT],
        )
        return _grouped_scores(ranked)


class _Postgres:
    """PostgreSQL: the generated tsvector column matched with websearch_to_tsquery('w1 or w2 ...'), ranked by ts_rank
    (the words are letters and digits only: words_of)."""

    QUERY = "websearch_to_tsquery('english', %s)"
    WORD_FOUND = (
        "SELECT DISTINCT incident_id, %s FROM insights_searchdoc WHERE search @@ websearch_to_tsquery('english', %s) "
        "AND incident_id IN ({ids}) AND kind IN ({kinds})"
    )

    @staticmethod
    def word_params(term: str, n: int) -> list:
        return [n, term]

    @classmethod
    def row_counts(cls, words: list[str]) -> list[int]:
        part = f"(SELECT count(*) FROM (SELECT 1 FROM insights_searchdoc WHERE search @@ {cls.QUERY} LIMIT %s) AS s)"
        params: list = []
        for word in words:
            params += [word, COMMON_DF]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join([part] * len(words)), params)
            return [int(n) for n in cursor.fetchone()]

    @classmethod
    def matching(cls, docs, terms: list[str]):
        return docs.extra(where=[f"insights_searchdoc.search @@ {cls.QUERY}"], params=[" or ".join(terms)])

    @classmethod
    def incident_scores(cls, docs, terms: list[str]) -> dict[int, float]:
        ranked = cls.matching(docs, terms).extra(
            select={"score": f"ts_rank(insights_searchdoc.search, {cls.QUERY})"}, select_params=[" or ".join(terms)]
        )
        return _grouped_scores(ranked)


_ENGINES = {"sqlite": _Fts5, "postgresql": _Postgres}
