"""Full-text search: GET /api/v1/search. The same selector as the search page (insights.search): the permission
rules are inside its query."""

from ninja import Field, Query, Router, Schema
from pydantic import BaseModel

from retrospector.incidents.models import Incident
from retrospector.insights.models import SearchDoc
from retrospector.insights.search import CANDIDATES, QUERY_MAX_CHARS, search, search_filters_by_name

from .choices import choices_literal
from .contract import responses
from .types import Day, PageNumber, PageSize

router = Router(tags=["search"])

KindFilter = choices_literal(("", *SearchDoc.Kind.values))
StateFilter = choices_literal(("", *Incident.Status.values))


class SearchQuery(Schema):
    q: str = Field(
        "",
        max_length=QUERY_MAX_CHARS,
        description='Words, each required (in any form: "restart" finds "restarted"), and "quoted phrases" whose words '
        "must be side by side. Every other sign (AND, OR, NOT, NEAR, *, -, ^, :, brackets, a lone quote) is ignored, "
        "never an error. Empty: no results.",
    )
    kind: KindFilter = Field("", description="Only results of this kind; empty: every kind.")
    team: str = Field("", max_length=100, description="A team's short name (slug); one of no team matches nothing.")
    service: str = Field("", max_length=200, description="A service of the incident (by name).")
    severity: str = Field("", max_length=20, description="The incident's severity key, e.g. SEV1.")
    state: StateFilter = Field("", description="The incident's state.")
    since: Day | None = Field(None, description="Incidents started on or after this day (UTC).")
    until: Day | None = Field(None, description="Incidents started on or before this day (UTC).")
    page: PageNumber = Field(1, description="A page past the last answers the last.")
    page_size: PageSize = 20


class SearchHitOut(BaseModel):
    kind: str = Field(..., description="incident, section, event, account, comment, finding or recommendation.")
    id: int = Field(..., description="The id of the incident, section, event, ... found.")
    title: str
    context: str = Field(..., description="The incident it belongs to (#id and title); empty for incidents.")
    snippet: str = Field(
        ..., description="HTML: the passage that matched, escaped, the matched words in <mark>. Safe to insert."
    )
    url: str = Field(..., description="The page showing it.")
    incident_id: int | None = Field(..., description="Null for a recommendation.")
    score: float = Field(..., description="Higher is better; comparable within one answer only.")


class SearchPage(BaseModel):
    count: int = Field(
        ...,
        description="Results you may see (of `kind`, when given); a lower bound when `count_is_lower_bound` is true.",
    )
    count_is_lower_bound: bool = Field(
        False,
        description=f"True when more than {CANDIDATES:,} results you may see match: counting stopped there (`count` is "
        f"{CANDIDATES:,}, read it as {CANDIDATES:,}+), and the ranking covers the newest {CANDIDATES:,} of them. "
        "More words or filters narrow them.",
    )
    counts: dict[str, int] = Field(
        ...,
        description="Results per kind, the kind filter aside; kinds with none left out. When `count_is_lower_bound` "
        "(or `counts_at_least`) says counting stopped, these are the kinds among the counted results: a kind left out "
        "may still have some (ask with `kind`).",
    )
    counts_at_least: list[str] = Field(
        [], description="The kinds whose count in `counts` is a lower bound (there are at least that many)."
    )
    page: int
    page_size: int
    pages: int
    results: list[SearchHitOut]


@router.get(
    "/search",
    response=responses(200, SearchPage, errors=(422,)),
    summary="Search incidents, write-ups, timelines, accounts, comments, findings and recommendations",
    description="Ranked, best first, each with a highlighted snippet. Only what you may see is searched or counted: "
    "things of incidents you may see (a private incident of another team is never found), and the recommendations "
    "you may see.",
)
def search_everything(request, query: Query[SearchQuery]):
    filters = search_filters_by_name(
        user=request.user,
        kind=query.kind,
        team=query.team.strip(),
        service=query.service.strip(),
        severity=query.severity.strip(),
        state=query.state,
        since=query.since,
        until=query.until,
    )
    results = search(user=request.user, query=query.q, filters=filters, page=query.page, page_size=query.page_size)
    return {
        "count": results.total,
        "count_is_lower_bound": results.total_is_lower_bound,
        "counts": results.counts,
        "counts_at_least": sorted(results.counts_at_least),
        "page": results.page,
        "page_size": results.page_size,
        "pages": results.pages,
        "results": [
            {
                "kind": hit.kind,
                "id": hit.object_id,
                "title": hit.title,
                "context": hit.context,
                "snippet": str(hit.snippet),
                "url": hit.url,
                "incident_id": hit.incident_id,
                "score": hit.score,
            }
            for hit in results.hits
        ],
    }
