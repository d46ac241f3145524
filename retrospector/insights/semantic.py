"""The optional semantic part of "Have we seen this before?" (`pip install retrospector[semantic]`): a small
sentence-embedding model that ships inside its package (wordllama: static token embeddings averaged, 256 dimensions,
its weights in the wheel; nothing is downloaded at run time), one vector per incident, compared by cosine similarity.

* An incident's vector is the mean of its parts' unit vectors: its title, its summary, each contributing factor and
  each non-empty section of its write-ups (insights.indexing refreshes it when one of those changes, on commit, and
  `retrospector search reindex` rebuilds them all; the worker fills in those missing).
* At request time only the incident asked about is embedded, and only when a draft is compared with it (or its vector
  is not there yet); the candidates' vectors are read in one query over the incidents the reader may see (the
  permission rule is inside that query) and compared in one matrix product. Before comparing, the mean of the
  candidates' vectors is taken out of every vector: averaged word vectors all share a large common direction, which
  otherwise makes every incident look alike (measured on the labelled sets, bench.similar_ranking). With fewer than
  CANDIDATES_MIN visible incidents that have a vector, the semantic part stays out.

Without the package (or with RETROSPECTOR_SEMANTIC=0) `enabled()` is false and nothing here runs: the lexical ranking
is used as it is.
"""

from __future__ import annotations

import functools
import importlib.util
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from retrospector.actions.models import Finding
from retrospector.incidents.models import Incident
from retrospector.insights.models import IncidentVector
from retrospector.writeups.models import Section

MODEL_NAME = "wordllama-l2_supercat-256"  # stored beside each vector: a vector of another model is recomputed
DIMENSIONS = 256
PART_MAX_CHARS = 4_000  # of each part: the model pads a batch to its longest text, so one huge section costs memory
BATCH = 500  # incidents per batch when rebuilding
# The centring needs enough incidents to tell what they all share: among fewer (a new installation, a small team's
# view), a few alike ones would make up the mean and look unlike each other. Then the lexical ranking works alone.
CANDIDATES_MIN = 10


def installed() -> bool:
    """Whether the extra is installed (its model is importable), without importing it."""
    return importlib.util.find_spec("wordllama") is not None and importlib.util.find_spec("numpy") is not None


def enabled() -> bool:
    """The semantic ranking is on: the extra is installed and not switched off (RETROSPECTOR_SEMANTIC=0)."""
    return settings.SIMILAR_SEMANTIC and installed()


@functools.cache
def _model():
    """The model, loaded once per process (about half a second) from the files inside the installed package."""
    import wordllama

    package_dir = Path(wordllama.__file__).resolve().parent
    # cache_dir = the package's own directory: wordllama 0.4.0 looks for the tokenizer in `tokenizer/` first but ships
    # it in `tokenizers/`, which is where it looks under cache_dir; downloads stay off.
    return wordllama.WordLlama.load(config="l2_supercat", dim=DIMENSIONS, cache_dir=package_dir, disable_download=True)


def embed_parts(groups: list[list[str]]):
    """One vector per group of texts: the mean of the texts' unit vectors (a zero vector for a group with no text), as
    a float32 matrix of shape (len(groups), DIMENSIONS)."""
    import numpy as np

    texts, owners = [], []
    for n, parts in enumerate(groups):
        for part in parts:
            part = (part or "").strip()[:PART_MAX_CHARS]
            if part:
                texts.append(part)
                owners.append(n)
    out = np.zeros((len(groups), DIMENSIONS), dtype=np.float32)
    if not texts:
        return out
    # Sorted by length so that each batch is padded to about its own texts' length.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = _model().embed([texts[i] for i in order], norm=False)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    counts = np.zeros(len(groups), dtype=np.float32)
    for row, i in enumerate(order):
        out[owners[i]] += vectors[row]
        counts[owners[i]] += 1
    return out / np.maximum(counts, 1)[:, None]


def incident_parts(incident_ids: Iterable[int]) -> dict[int, list[str]]:
    """What each incident's vector is made of: its title, summary, contributing factors and its write-ups' non-empty
    sections (three queries, however many incidents)."""
    ids = list(incident_ids)
    parts: dict[int, list[str]] = defaultdict(list)
    for pk, title, summary in Incident.objects.filter(pk__in=ids).values_list("pk", "title", "summary"):
        parts[pk] += [title, summary]
    factors = Finding.objects.filter(retrospective__incident_id__in=ids, kind=Finding.Kind.CONTRIBUTING_FACTOR)
    for incident_id, text in factors.order_by("pk").values_list("retrospective__incident_id", "text"):
        if incident_id in parts:
            parts[incident_id].append(text)
    sections = Section.objects.filter(retrospective__incident_id__in=ids).exclude(body="")
    for incident_id, body in sections.order_by("pk").values_list("retrospective__incident_id", "body"):
        if incident_id in parts:
            parts[incident_id].append(body)
    return dict(parts)


def incident_vectors_update(incident_ids: Iterable[int]) -> int:
    """Recompute these incidents' vectors from their text as it is now (those gone are gone with their incident);
    returns how many were stored. Nothing when the semantic ranking is off."""
    ids = sorted(set(incident_ids))
    if not ids or not enabled():
        return 0
    parts = incident_parts(ids)
    if not parts:
        return 0
    keys = list(parts)
    matrix = embed_parts([parts[k] for k in keys])
    rows = [IncidentVector(incident_id=k, model=MODEL_NAME, vector=matrix[n].tobytes()) for n, k in enumerate(keys)]
    with transaction.atomic():
        IncidentVector.objects.filter(incident_id__in=keys).delete()
        IncidentVector.objects.bulk_create(rows)
    return len(rows)


def incident_vectors_rebuild(
    *, progress: Callable[[str, int, int], None] | None = None, only_missing: bool = False
) -> int:
    """Every incident's vector (or only those missing or made by another model), in batches; `progress("semantic",
    done, total)` after each. Nothing when the semantic ranking is off."""
    if not enabled():
        return 0
    incidents = Incident.objects.order_by("pk")
    if only_missing:
        current = IncidentVector.objects.filter(incident_id=OuterRef("pk"), model=MODEL_NAME)
        incidents = incidents.filter(~Exists(current))
    ids = list(incidents.values_list("pk", flat=True))
    stored = 0
    for start in range(0, len(ids), BATCH):
        stored += incident_vectors_update(ids[start : start + BATCH])
        if progress:
            progress("semantic", min(start + BATCH, len(ids)), len(ids))
    return stored


def incident_vectors_fill_missing() -> str:
    """A periodic job: vectors for incidents that have none yet (the extra installed on an installation with data)."""
    if not enabled():
        return "semantic ranking off"
    return f"stored: {incident_vectors_rebuild(only_missing=True)}"


def semantic_similarities(*, visible, incident: Incident, text: str = "") -> dict[int, float]:
    """{incident id: cosine similarity with `incident` (and the draft `text`)} for every incident of `visible` (a
    queryset the permission rule is already in) that has a vector, `incident` itself left out: one query, and three
    more plus an embedding when a draft is compared or the incident's own vector is missing. Empty when the semantic
    ranking is off or fewer than CANDIDATES_MIN incidents have a vector."""
    import numpy as np

    if not enabled():
        return {}
    # The incident's own vector comes along (it is one the reader may see: the caller checked).
    rows = list(
        IncidentVector.objects.filter(
            Q(incident_id=incident.pk) | Exists(visible.filter(pk=OuterRef("incident_id"))), model=MODEL_NAME
        )
        .order_by()
        .values_list("incident_id", "vector")
    )
    own = next((bytes(v) for pk, v in rows if pk == incident.pk), None)
    candidates = [(pk, v) for pk, v in rows if pk != incident.pk]
    if len(candidates) < CANDIDATES_MIN:
        return {}
    if own is None or text.strip():
        parts = incident_parts([incident.pk]).get(incident.pk, [incident.title, incident.summary])
        groups = [parts, [text]] if text.strip() else [parts]
        made = embed_parts(groups)
        query = made.mean(axis=0) if text.strip() else made[0]
    else:
        query = np.frombuffer(own, dtype=np.float32)
    ids = [pk for pk, _ in candidates]
    matrix = np.frombuffer(b"".join(bytes(v) for _, v in candidates), dtype=np.float32).reshape(len(ids), DIMENSIONS)
    # Centred on the candidates' mean: what every incident shares says nothing about which is alike.
    centre = matrix.mean(axis=0)
    matrix = matrix - centre
    query = query - centre
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
    cosines = np.divide(matrix @ query, norms, out=np.zeros(len(ids), dtype=np.float32), where=norms > 0)
    return dict(zip(ids, (float(c) for c in cosines), strict=True))
