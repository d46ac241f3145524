"""GitHub `deployment` and `deployment_status` webhook payloads to timeline events. Pure Python.

Input: one payload, a JSON array of payloads, or JSON lines (one payload per line).

Decisions:
- kind "deploy" for both. A `deployment` payload gives "Deployment to production of
  Codertocat/Hello-World@master (f95f852) created by Codertocat" at `deployment.created_at`;
  a `deployment_status` payload gives "Deployment to production: success (Codertocat/Hello-World@master,
  f95f852)" at `deployment_status.created_at`, plus the status description when there is one.
- actor = `sender.login`; actor_kind "bot" when `sender.type` is "Bot" (or the login ends in
  "[bot]"), else "person". Without a sender, the deployment's creator; without either, "GitHub".
- channel = the environment ("production", "github-pages"), not the repository: --channel then
  picks deployments to one environment, the way it picks one PagerDuty service. The repository's
  full name is in the text.
- source_ref = "deployment:<id>" / "deployment_status:<id>"; the same id twice with identical
  content (a redelivered webhook) is dropped, with different content it is a problem.
- source_url: for a status its `target_url`, `log_url` or `environment_url` (first http(s) one); for a deployment the
  workflow run's page, else the repository's deployments page (http(s) URLs only).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._payloads import Ctx, EventSet, http_url, obj, payload_event, rfc3339_time, run, shown, text_of, wrong_payload
from .base import ImportOptions, ParsedEvent
from .sniff import is_github

SOURCE = "github"
sniff = is_github  # every source module answers "is this yours?" by the same name


def _id(ctx: Ctx, value: Any, *parts: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 30:
        return value.strip()
    ctx.problem(
        "is missing; every deployment and status needs its numeric id."
        if value is None
        else f"must be a number, not {shown(value)}.",
        *parts,
        field="id",
    )
    return None


def _actor(payload: dict, deployment: dict) -> tuple[str, str]:
    for who in (obj(payload.get("sender")), obj(deployment.get("creator"))):
        login = text_of(who.get("login"))
        if login:
            bot = who.get("type") == "Bot" or login.endswith("[bot]")
            return login[:200], "bot" if bot else "person"
    return "GitHub", "system"


def parse(path: Path, options: ImportOptions, *, name: str | None = None) -> Iterator[ParsedEvent]:
    def handle(ctx: Ctx, events: EventSet) -> None:
        payload = ctx.doc.value
        if not isinstance(payload, dict) or not (
            isinstance(payload.get("deployment"), dict) or isinstance(payload.get("deployment_status"), dict)
        ):
            wrong_payload(
                ctx,
                payload,
                "a GitHub deployment or deployment_status webhook payload",
                "no 'deployment' object",
                SOURCE,
            )
            return
        deployment = obj(payload.get("deployment"))
        repository = obj(payload.get("repository"))
        repo = text_of(repository.get("full_name"))
        ref = text_of(deployment.get("ref"))
        sha = text_of(deployment.get("sha"))[:7]
        what = f"{repo}@{ref}" if repo and ref else (repo or ref)
        actor, actor_kind = _actor(payload, deployment)

        if "deployment_status" in payload:
            status = payload["deployment_status"]
            at: tuple = ("deployment_status",)
            if not isinstance(status, dict):
                ctx.problem(f"must be an object, not {shown(status)}.", *at, field="deployment_status")
                return
            event_id = _id(ctx, status.get("id"), *at, "id")
            moment = rfc3339_time(ctx, status.get("created_at"), *at, "created_at", field="created_at", options=options)
            state = status.get("state")
            if not isinstance(state, str) or not state.strip():
                ctx.problem(f"must be a state such as 'success', not {shown(state)}.", *at, "state", field="state")
                return
            if event_id is None or moment is None:
                return
            environment = text_of(status.get("environment")) or text_of(deployment.get("environment"))
            details = ", ".join(p for p in (what, sha) if p)
            text = f"Deployment{' to ' + environment if environment else ''}: {state.strip()}" + (
                f" ({details})" if details else ""
            )
            description = text_of(status.get("description"))
            if description:
                text += f"\n{description}"
            ref_prefix = "deployment_status"
            url = http_url(status.get("target_url"), status.get("log_url"), status.get("environment_url"))
        else:
            at = ("deployment",)
            event_id = _id(ctx, deployment.get("id"), *at, "id")
            moment = rfc3339_time(
                ctx, deployment.get("created_at"), *at, "created_at", field="created_at", options=options
            )
            if event_id is None or moment is None:
                return
            environment = text_of(deployment.get("environment"))
            creator = text_of(obj(deployment.get("creator")).get("login")) or actor
            text = f"Deployment{' to ' + environment if environment else ''}"
            if what:
                text += f" of {what}" + (f" ({sha})" if sha else "")
            text += f" created by {creator}"
            task = text_of(deployment.get("task"))
            if task and task != "deploy":
                text += f" (task {task})"
            description = text_of(deployment.get("description"))
            if description:
                text += f"\n{description}"
            ref_prefix = "deployment"
            repo_url = http_url(repository.get("html_url"))
            url = http_url(
                obj(payload.get("workflow_run")).get("html_url"), f"{repo_url}/deployments" if repo_url else None
            )
        event = payload_event(
            moment,
            SOURCE,
            f"{ref_prefix}:{event_id}",
            (actor, actor_kind),
            text,
            "deploy",
            source_url=url,
            channel=environment[:200],
        )
        events.add(event, ctx, *at, "id")

    return run(path, options, name, handle, on_conflict="error")
