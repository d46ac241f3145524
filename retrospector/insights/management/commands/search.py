"""`retrospector search QUERY --as USERNAME [--format text|json]` searches as that person would (only what they may
see); `retrospector search reindex` rebuilds the search index from the tables (and, with the `semantic` extra, the
incidents' missing vectors; all of them with --vectors), with its progress on stderr."""

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from retrospector.accounts.models import User
from retrospector.insights import semantic
from retrospector.insights.indexing import search_reindex
from retrospector.insights.models import SearchDoc
from retrospector.insights.search import search, search_filters_by_name


class Command(BaseCommand):
    help = (
        "Search incidents, write-ups, timelines, accounts, comments, findings and recommendations as USERNAME would "
        "(`search WORDS --as USERNAME`), or rebuild the search index (`search reindex`; with `--vectors`, every "
        "incident's vector of the semantic extra too, not only the missing ones). To search for the word "
        "reindex itself, quote it: '\"reindex\"'."
    )

    def add_arguments(self, parser):
        parser.add_argument("words", nargs="+", help='Words and "quoted phrases"; or `reindex`.')
        parser.add_argument("--as", dest="username", help="Search as this person: only what they may see.")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--kind", choices=SearchDoc.Kind.values, default="")
        parser.add_argument("--team", default="", help="A team's short name (slug).")
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument(
            "--vectors",
            action="store_true",
            help="With `reindex` and the semantic extra: compute every incident's vector again, not only the missing "
            "ones (minutes per 10,000 incidents; needed after the model changes).",
        )

    def handle(self, *args, words, username, format, kind, team, page, vectors, **options):
        if words == ["reindex"]:
            return self._reindex(all_vectors=vectors)
        if not username:
            raise CommandError("Say whose search it is with --as USERNAME: results are what that person may see.")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        filters = search_filters_by_name(user=user, kind=kind, team=team)
        results = search(user=user, query=" ".join(words), filters=filters, page=page)
        if format == "json":
            payload = {
                "count": results.total,
                "count_is_lower_bound": results.total_is_lower_bound,
                "counts": results.counts,
                "counts_at_least": sorted(results.counts_at_least),
                "page": results.page,
                "pages": results.pages,
                "results": [
                    {
                        "kind": h.kind,
                        "id": h.object_id,
                        "title": h.title,
                        "context": h.context,
                        "snippet": str(h.snippet),
                        "url": h.url,
                        "incident_id": h.incident_id,
                        "score": h.score,
                    }
                    for h in results.hits
                ],
            }
            self.stdout.write(json.dumps(payload, indent=2))
            return
        if not results.total:
            self.stdout.write("Nothing found.")
            return
        counts = ", ".join(
            f"{n}{'+' if k in results.counts_at_least else ''} {SearchDoc.Kind(k).label.lower()}"
            for k, n in results.counts.items()
        )
        found = f"More than {results.total:,}" if results.total_is_lower_bound else str(results.total)
        self.stdout.write(f"{found} found ({counts}); page {results.page} of {results.pages}.")
        for hit in results.hits:
            title = hit.title or hit.context
            context = f"  ({hit.context})" if hit.context and hit.title else ""
            self.stdout.write(f"\n[{SearchDoc.Kind(hit.kind).label}] {title}{context}\n  {hit.url}")
            self.stdout.write("  " + _plain(hit.snippet))

    def _reindex(self, *, all_vectors: bool):
        started = time.monotonic()
        err = sys.stderr if self.stderr is None else self.stderr

        tty = hasattr(err, "isatty") and err.isatty()
        shown: dict[str, int] = {}

        def progress(kind, done, total):
            if not tty:  # a log file: a line per tenth, not a bar redrawn with carriage returns
                tenth = 10 * done // total if total else 10
                if shown.get(kind) != tenth:
                    shown[kind] = tenth
                    err.write(f"{kind}: {done}/{total}\n")
                return
            width = 30
            filled = width * done // total if total else width
            err.write(f"\r{kind:<15} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done >= total:
                err.write("\n")

        counts = search_reindex(progress=progress)
        # With the semantic extra, the incidents' vectors ("have we seen this before?", insights.semantic): those
        # missing (or made by another model), or all of them with --vectors. Each save keeps its incident's vector
        # in step, so a full rebuild is rarely needed, and it is the slow part (the model's tokenizer).
        vectors = (
            semantic.incident_vectors_rebuild(progress=progress, only_missing=not all_vectors)
            if semantic.enabled()
            else None
        )
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Indexed {sum(counts.values())} things in {seconds:.1f} s: "
            + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            + (f"; {vectors} incident vectors (semantic)" if vectors is not None else "")
        )


def _plain(snippet: str) -> str:
    """A snippet for a terminal: its marks as **word**, its escapes undone."""
    from html import unescape

    return unescape(snippet.replace("<mark>", "**").replace("</mark>", "**"))
