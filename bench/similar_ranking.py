"""How well "Have we seen this before?" (insights.similar) ranks, on a labelled set: `python -m bench.similar_ranking
PATH` prints mean precision@3, recall@5, MRR and nDCG@5 as JSON, on a throwaway SQLite database (or the PostgreSQL
database of DATABASE_URL when given as `--database-url URL`).

`--ranker lexical|semantic|blend` chooses the ranking (default: what the installation uses, the blend when the
`semantic` extra is installed); `--compare` scores every available ranking on the same database and prints them side
by side ({"lexical": {...}, "semantic": {...}, "blend": {...}}), with a table on stderr.

A labelled set is a JSON file (tests/fixtures/similar/dev.json is one):

    {"incidents": [{"key": str, "title": str, "team": "a"|"b", "private": bool, "services": [str],
                    "severity": "SEV1".."SEV4", "started": "2024-05-01T10:00:00Z", "summary": str,
                    "sections": {"summary"|"impact"|"contributing-factors"|"timeline-notes"|"lessons": str},
                    "timeline": [str], "contributing_factors": [str]}],
     "queries": [{"incident": key, "relevant": [key, ...]}]}

`load_labelled_set` builds it through the services (incidents, a write-up from the postmortem template with those
sections, timeline events, contributing-factor findings) and indexes it; the reader is a member of team "a" only, so a
private incident of team "b" must never be found (`score_labelled_set` counts any that is as a leak).
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime, timedelta
from pathlib import Path

K_PRECISION, K_RECALL, K_NDCG = 3, 5, 5
# The labelled set's section names, and the postmortem template's sections they are written into.
SECTION_KEYS = {
    "summary": "summary",
    "impact": "impact",
    "contributing-factors": "contributing-factors",
    "timeline-notes": "timeline",
    "lessons": "learned",
}


def load_labelled_set(data: dict) -> tuple:
    """(reader, {key: incident}) for the set `data`, in a fresh organization. Django must be set up on a migrated
    database."""
    from django.db import transaction

    from retrospector.accounts.models import Membership, User
    from retrospector.accounts.services import organization_create, team_create
    from retrospector.actions.findings import finding_create
    from retrospector.incidents.models import SeverityLevel
    from retrospector.incidents.services import incident_create, severity_levels_ensure_defaults
    from retrospector.insights.indexing import search_reindex
    from retrospector.insights.semantic import incident_vectors_rebuild
    from retrospector.timeline.services import event_add
    from retrospector.writeups.models import Template
    from retrospector.writeups.services import retrospective_start, section_save

    n = User.objects.count()
    with transaction.atomic():
        org = organization_create(name=f"Labelled {n}", slug=f"labelled-{n}")
        severity_levels_ensure_defaults(organization=org)
        severities = {s.key: s for s in SeverityLevel.objects.filter(organization=org)}
        teams, writers = {}, {}
        for name in ("a", "b"):
            teams[name] = team_create(organization=org, name=f"Team {name}", slug=f"team-{name}")
            writers[name] = User.objects.create(username=f"writer-{name}-{n}", organization=org)
            Membership.objects.create(team=teams[name], user=writers[name], role="member")
        reader = User.objects.create(username=f"reader-{n}", organization=org)
        Membership.objects.create(team=teams["a"], user=reader, role="member")
        template = Template.objects.get(key="postmortem", organization=None)
        incidents = {}
        for item in data["incidents"]:
            team = item.get("team", "a")
            started = datetime.fromisoformat(item["started"].replace("Z", "+00:00"))
            incident = incident_create(
                by=writers[team],
                team=teams[team],
                title=item["title"],
                severity=severities[item.get("severity", "SEV3")],
                started_at=started,
                summary=item.get("summary", ""),
                visibility="private" if item.get("private") else "organization",
                services=item.get("services", []),
            )
            incidents[item["key"]] = incident
            for minute, text in enumerate(item.get("timeline", [])):
                event_add(
                    incident=incident, by=writers[team], occurred_at=started + timedelta(minutes=5 * minute), text=text
                )
            sections = item.get("sections", {})
            factors = item.get("contributing_factors", [])
            if not sections and not factors:
                continue
            retrospective = retrospective_start(incident=incident, template=template, by=writers[team])
            by_key = {s.key: s for s in retrospective.sections.all()}
            for name, body in sections.items():
                section = by_key[SECTION_KEYS[name]]
                section_save(section=section, body=body, base_version=section.version, by=writers[team])
            for text in factors:
                finding_create(retrospective=retrospective, by=writers[team], text=text, kind="contributing-factor")
    search_reindex()
    incident_vectors_rebuild()  # with the semantic extra; nothing without it
    return reader, incidents


def _dcg(gains: list[int]) -> float:
    return sum(g / math.log2(rank + 2) for rank, g in enumerate(gains))


def score_labelled_set(data: dict, *, limit: int = 10, ranker: str | None = None) -> dict:
    """Build the set, ask for each query's similar incidents as the reader, and score the rankings."""
    reader, incidents = load_labelled_set(data)
    return _score(data, reader, incidents, limit=limit, ranker=ranker)


def available_rankers() -> list[str]:
    from retrospector.insights import semantic
    from retrospector.insights.similar import RANKERS

    return list(RANKERS) if semantic.enabled() else ["lexical"]


def compare_rankers(data: dict, *, limit: int = 10) -> dict:
    """The set built once, scored with every ranking available here: {ranker: report}."""
    reader, incidents = load_labelled_set(data)
    return {ranker: _score(data, reader, incidents, limit=limit, ranker=ranker) for ranker in available_rankers()}


def _score(data: dict, reader, incidents: dict, *, limit: int, ranker: str | None) -> dict:
    from retrospector.insights.similar import default_ranker, similar_incidents

    ranker = ranker or default_ranker()
    key_of = {incident.pk: key for key, incident in incidents.items()}
    forbidden = {incidents[i["key"]].pk for i in data["incidents"] if i.get("team", "a") == "b" and i.get("private")}
    per_query, leaks = [], 0
    for query in data["queries"]:
        found = similar_incidents(user=reader, incident=incidents[query["incident"]], limit=limit, ranker=ranker)
        ranked = [r.incident.pk for r in found]
        leaks += sum(1 for pk in ranked if pk in forbidden)
        relevant = {incidents[k].pk for k in query["relevant"]} - forbidden
        if not relevant:
            continue
        gains = [1 if pk in relevant else 0 for pk in ranked]
        first = next((rank for rank, g in enumerate(gains, start=1) if g), None)
        ideal = _dcg([1] * min(len(relevant), K_NDCG))
        per_query.append(
            {
                "incident": query["incident"],
                "found": [key_of[pk] for pk in ranked[:K_RECALL]],
                f"precision@{K_PRECISION}": sum(gains[:K_PRECISION]) / K_PRECISION,
                f"recall@{K_RECALL}": sum(gains[:K_RECALL]) / len(relevant),
                "reciprocal_rank": 1 / first if first else 0.0,
                f"ndcg@{K_NDCG}": _dcg(gains[:K_NDCG]) / ideal,
            }
        )
    count = len(per_query) or 1

    def mean(name: str) -> float:
        return round(sum(q[name] for q in per_query) / count, 4)

    return {
        "ranker": ranker,
        "queries": len(per_query),
        "incidents": len(data["incidents"]),
        f"precision@{K_PRECISION}": mean(f"precision@{K_PRECISION}"),
        f"recall@{K_RECALL}": mean(f"recall@{K_RECALL}"),
        "mrr": mean("reciprocal_rank"),
        f"ndcg@{K_NDCG}": mean(f"ndcg@{K_NDCG}"),
        "private_leaks": leaks,
        "per_query": per_query,
    }


FIGURES = (f"precision@{K_PRECISION}", f"recall@{K_RECALL}", "mrr", f"ndcg@{K_NDCG}", "private_leaks")


def comparison_table(reports: dict) -> str:
    """The rankings' figures side by side, one column per ranking."""
    names = list(reports)
    lines = ["".ljust(14) + "".join(name.rjust(10) for name in names)]
    for figure in FIGURES:
        lines.append(figure.ljust(14) + "".join(str(reports[name][figure]).rjust(10) for name in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import shutil
    import tempfile

    from bench.common import prepare_environment

    parser = argparse.ArgumentParser(prog="python -m bench.similar_ranking", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a labelled set (JSON)")
    parser.add_argument("--database-url", help="a throwaway PostgreSQL database (default: a temporary SQLite file)")
    parser.add_argument("--per-query", action="store_true", help="include each query's ranking and scores")
    parser.add_argument("--ranker", choices=("lexical", "semantic", "blend"), help="default: the installation's")
    parser.add_argument(
        "--compare", action="store_true", help="score every available ranking side by side (lexical, semantic, blend)"
    )
    args = parser.parse_args(argv)
    data = json.loads(args.path.read_text(encoding="utf-8"))
    var_dir = Path(tempfile.mkdtemp(prefix="retrospector-similar-ranking-"))
    try:
        prepare_environment(var_dir, database_url=args.database_url)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        if args.compare:
            reports = compare_rankers(data)
            for report in reports.values():
                if not args.per_query:
                    report.pop("per_query")
            print(json.dumps(reports, indent=2))
            print(comparison_table(reports), file=sys.stderr)
        else:
            from retrospector.insights import semantic

            if args.ranker in ("semantic", "blend") and not semantic.enabled():
                parser.error(f"--ranker {args.ranker} needs the semantic extra: pip install 'retrospector[semantic]'")
            report = score_labelled_set(data, ranker=args.ranker)
            if not args.per_query:
                report.pop("per_query")
            print(json.dumps(report, indent=2))
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
