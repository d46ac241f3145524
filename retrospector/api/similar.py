"""'Have we seen this before?': GET /api/v1/incidents/{id}/similar. The same selector as the panels on the incident
and retrospective pages (insights.similar): only incidents the caller may see are read, ranked or counted."""

from datetime import datetime

from ninja import Field, Query, Router, Schema
from pydantic import BaseModel

from retrospector.incidents.selectors import incident_visible_or_404
from retrospector.insights.similar import LIMIT_DEFAULT, LIMIT_MAX, similar_incidents

from .contract import responses
from .types import Id

router = Router(tags=["search"])


class SimilarQuery(Schema):
    limit: int = Field(LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description="How many similar incidents, at most.")


class SharedFactorOut(BaseModel):
    text: str = Field(..., description="Their contributing factor.")
    words: list[str] = Field(..., description="The words it shares with one of this incident's contributing factors.")


class SimilarRecommendationOut(BaseModel):
    id: int
    title: str
    status: str = Field(..., description="planned, in-progress, dropped or done.")
    url: str


class SimilarWriteupOut(BaseModel):
    id: int
    title: str
    state: str


class SimilarIncidentOut(BaseModel):
    id: int
    title: str
    team: str = Field(..., description="The team's short name (slug).")
    severity: str
    status: str
    started_at: datetime
    url: str
    score: float = Field(..., description="Higher is more alike; comparable within one answer only.")
    reasons: list[str] = Field(..., description="Why it matched, in words, the strongest first.")
    shared_services: list[str]
    shared_factors: list[SharedFactorOut]
    shared_words: list[str] = Field(..., description="Distinctive words of this incident found in its text.")
    semantic_similarity: float | None = Field(
        None,
        description="Cosine similarity of the two incidents' sentence-embedding vectors (-1 to 1), with the optional "
        "`semantic` extra installed; null without it.",
    )
    writeups: list[SimilarWriteupOut]
    recommendations: list[SimilarRecommendationOut] = Field(
        ..., description="The recommendations its retrospectives called for (those you may see), with their status."
    )


class SimilarList(BaseModel):
    incident_id: int
    results: list[SimilarIncidentOut] = Field(..., description="Best first; empty when nothing is alike.")


@router.get(
    "/incidents/{incident_id}/similar",
    response=responses(200, SimilarList, errors=(404, 422)),
    summary="Past incidents like this one (have we seen this before?)",
    description="Ranked by shared words (BM25 over the search index), shared services, shared contributing factors "
    "and shared words in titles, and, with the optional `semantic` extra installed, by the similarity in meaning of "
    "their text (a sentence-embedding model shipped in the package); each with why it matched and the "
    "recommendations it produced. Only incidents you may see are considered: a private incident of another team is "
    "never returned or counted.",
)
def similar(request, incident_id: Id, query: Query[SimilarQuery]):
    incident = incident_visible_or_404(user=request.user, pk=incident_id)
    found = similar_incidents(user=request.user, incident=incident, limit=query.limit)
    return {"incident_id": incident.pk, "results": [similar_out(item) for item in found]}


def similar_out(item) -> dict:
    return item.as_dict()
