"""The done list (the "done_list" part of `make bench`), in process (django.test.Client) as the bench's reader, a member
of one team who is not an organization admin, so that the permission filter (private incidents of other teams) is in
every query:

* 20,000 done write-ups over the bench's incidents, each with the state change that approved it;
* the done list page (/writeups/) and its API (/api/v1/writeups/done): page 1, a deep page, and filtered (a team and
  words of the title; a range of done dates): p50/p95 and queries per request.

Alone: `python -m bench.done_list` on a throwaway SQLite file.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from bench.common import log, measure, run_alone

DONE_WRITEUPS = 20_000
TARGETS = {
    "done_list_page_p95_ms": 50,  # the worst of page 1, a deep page and the filtered pages
    "done_list_api_p95_ms": 50,
}


def add_done_writeups(data: dict, count: int) -> int:
    """`count` done write-ups spread over the organization's incidents, each approved by a team member; in bulk."""
    from django.db import transaction

    from retrospector.accounts.models import User
    from retrospector.incidents.models import Incident
    from retrospector.writeups.models import Retrospective, StateChange, TemplateVersion

    reader = data["reader"]
    incidents = list(Incident.objects.filter(organization_id=reader.organization_id).values_list("pk", flat=True))
    version = TemplateVersion.objects.filter(template__key="postmortem").order_by("-number").first()
    approvers = list(User.objects.filter(organization_id=reader.organization_id).order_by("pk"))
    base = datetime(2021, 1, 1, tzinfo=UTC)
    began = time.perf_counter()
    with transaction.atomic():
        made = Retrospective.objects.bulk_create(
            (
                Retrospective(
                    incident_id=incidents[n % len(incidents)],
                    template_version=version,
                    title=f"Retrospective {n}: {'database' if n % 7 == 0 else 'checkout'} errors",
                    owner=reader,
                    state=Retrospective.State.DONE,
                    done_at=base + timedelta(hours=n * 2),
                )
                for n in range(count)
            ),
            batch_size=1000,
        )
        StateChange.objects.bulk_create(
            (
                StateChange(
                    retrospective_id=r.pk,
                    from_state=Retrospective.State.MEETING,
                    to_state=Retrospective.State.DONE,
                    by=approvers[n % len(approvers)],
                    note="Approved",
                )
                for n, r in enumerate(made)
            ),
            batch_size=1000,
        )
    log(f"{count} done write-ups created in {time.perf_counter() - began:.1f} s")
    return Retrospective.objects.filter(state=Retrospective.State.DONE).count()


def run(data: dict) -> dict:
    """The figures on the bench's data (common.build_data); Django must be set up on that database."""
    from django.test import Client

    from retrospector.accounts.models import Team
    from retrospector.writeups.selectors import done_writeups

    began = time.perf_counter()
    done = add_done_writeups(data, DONE_WRITEUPS)
    visible = done_writeups(user=data["reader"]).count()
    client = Client()
    client.force_login(data["reader"])
    team = Team.objects.get(pk=data["team_id"]).slug
    deep = max(1, visible // 25 // 2)
    queries = {
        "page_1": "",
        "deep_page": f"page={deep}",
        "team_and_title": f"team={team}&q=database",
        "done_dates": "done_from=2021-06-01&done_to=2022-06-01",
    }
    log(f"done list: {done} done write-ups, {visible} visible to the reader")
    page = {name: measure(client, f"/writeups/?{q}") for name, q in queries.items()}
    api = {name: measure(client, f"/api/v1/writeups/done?{q}") for name, q in queries.items()}
    observed = {
        "done_list_page_p95_ms": max(m["p95_ms"] for m in page.values()),
        "done_list_api_p95_ms": max(m["p95_ms"] for m in api.values()),
    }
    met = {key: observed[key] < TARGETS[key] for key in TARGETS}
    return {
        "figures": {"done_writeups": done, "visible_to_reader": visible, "deep_page": deep},
        "page": page,
        "api": api,
        "targets": TARGETS,
        "observed": observed,
        "met": met,
        "elapsed_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> int:
    return run_alone(run, name="done")


if __name__ == "__main__":
    sys.exit(main())
