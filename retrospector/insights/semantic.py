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
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef

from retrospector.actions.models import Finding
from retrospector.incidents.models import Incident
from retrospector.insights.models import IncidentVector
from retrospector.writeups.models import Section

# One thread for numpy's BLAS, set before numpy is first imported (only this module and the model use it): a request's
# matrix-vector products are small, and BLAS threads only fight the server's workers for the cores (at 20,000
# incidents on a busy two-core machine: 7 ms with one thread, 50 ms with its default).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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


class _Vectors:
    """Every stored vector, in this process's memory (about 1 KB an incident: 20 MB for 20,000), read again whenever
    the table changed (its row count or latest change moved: one small query per request). Which of them a reader
    may compare with is never decided here: semantic_similarities asks the database for the visible ids each time."""

    def __init__(self):
        self.key = None
        self.ids = self.matrix = self.squares = None
        self.lock = threading.Lock()

    def current(self):
        import numpy as np

        # count(*), not of the key: the key is no rowid (a bigint), so counting it reads every row, not the index.
        stamp = IncidentVector.objects.filter(model=MODEL_NAME).aggregate(n=Count("*"), last=Max("updated_at"))
        key = (stamp["n"], stamp["last"])
        with self.lock:
            if key != self.key:
                rows = (
                    IncidentVector.objects.filter(model=MODEL_NAME)
                    .order_by("incident_id")
                    .values_list("incident_id", "vector")
                    .iterator(chunk_size=5000)
                )
                ids, blobs = [], []
                for pk, vector in rows:
                    ids.append(pk)
                    blobs.append(bytes(vector))
                matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), DIMENSIONS)
                self.ids, self.matrix = np.array(ids, dtype=np.int64), matrix
                self.squares = np.einsum("ij,ij->i", matrix, matrix)
                self.key = key
            return self.ids, self.matrix, self.squares


_VECTORS = _Vectors()


def semantic_similarities(
    *, visible, incident: Incident, text: str = "", best: int = 40, also: Iterable[int] = ()
) -> dict[int, float]:
    """{incident id: cosine similarity with `incident` (and the draft `text`)} for the `best` incidents of `visible` (a
    queryset the permission rule is already in) most alike, and for those of `also` among them, `incident` itself left
    out; only incidents with a vector count. Two queries (the
    vectors' version stamp, the visible ids; a third reads the vectors again when they changed), and three more plus
    an embedding when a draft is compared or the incident's own vector is missing. Empty when the semantic ranking is
    off or fewer than CANDIDATES_MIN visible incidents have a vector."""
    import numpy as np

    if not enabled():
        return {}
    ids, matrix, squares = _VECTORS.current()
    # The permission rule is in this query: only the positions of incidents the reader may see are used below.
    wanted = np.fromiter(visible.order_by().values_list("pk", flat=True), dtype=np.int64)
    wanted = wanted[wanted != incident.pk]
    positions = np.searchsorted(ids, wanted)
    positions = positions[positions < len(ids)]
    positions = positions[np.isin(ids[positions], wanted)]
    if len(positions) < CANDIDATES_MIN:
        return {}
    own = np.searchsorted(ids, incident.pk)
    has_own = own < len(ids) and ids[own] == incident.pk
    if not has_own or text.strip():
        parts = incident_parts([incident.pk]).get(incident.pk, [incident.title, incident.summary])
        groups = [parts, [text]] if text.strip() else [parts]
        query = embed_parts(groups).mean(axis=0)
    else:
        query = matrix[own]
    # Centred on the visible candidates' mean (what every incident shares says nothing about which is alike), in three
    # matrix-vector products over all rows rather than a copy of the visible ones: with c the centre,
    # (v - c)·(q - c) = v·(q - c) - c·(q - c) and |v - c|² = |v|² - 2 v·c + |c|².
    weights = np.zeros(len(ids), dtype=np.float32)
    weights[positions] = 1.0 / len(positions)
    centre = weights @ matrix
    query = query - centre
    dots = (matrix @ query)[positions] - float(centre @ query)
    lengths = squares[positions] - 2 * (matrix @ centre)[positions] + float(centre @ centre)
    lengths = np.sqrt(np.maximum(lengths, 0.0)) * (float(np.linalg.norm(query)) or 1.0)
    cosines = np.divide(dots, lengths, out=np.zeros(len(positions), dtype=dots.dtype), where=lengths > 1e-9)
    found = ids[positions]
    # The best (ties: the highest id, as the ranking breaks them), and those asked for.
    order = np.lexsort((-found, -cosines))[:best]
    keep = np.union1d(order, np.flatnonzero(np.isin(found, np.fromiter(also, dtype=np.int64))))
    return dict(zip(found[keep].tolist(), cosines[keep].tolist(), strict=True))
