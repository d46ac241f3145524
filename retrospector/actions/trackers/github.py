"""GitHub Issues through the REST API (version 2022-11-28): create, get and update an issue; the `issues` webhook."""

from __future__ import annotations

import re

from retrospector.actions.models import Recommendation, TrackerConnection

from .base import HookEvent, IssueState, SignatureError, TrackerError, call, parse_json, secret, signature_check

NAME = "GitHub"
URL_KEY = re.compile(r"^https?://[^/]+/(?P<repo>[\w.-]+/[\w.-]+)/issues/(?P<number>\d+)/?(?:[?#].*)?$")
SHORT_KEY = re.compile(r"^(?:(?P<repo>[\w.-]+/[\w.-]+))?#?(?P<number>\d+)$")


def _message(body: dict) -> str:
    message = str(body.get("message", ""))
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        details = [str(e.get("message") or e.get("code") or "") if isinstance(e, dict) else str(e) for e in errors]
        message = f"{message} ({'; '.join(d for d in details if d)})" if any(details) else message
    return message


def _state(project: str, issue: dict) -> IssueState:
    state = str(issue.get("state", "open"))
    reason = issue.get("state_reason") or ""
    if state == "closed":
        category = "not_planned" if reason == "not_planned" else "completed"
        name = f"closed: {category}"
    else:
        category = name = "open"
    return IssueState(
        key=f"{project}#{issue.get('number')}",
        url=str(issue.get("html_url", "")),
        state=name,
        category=category,
        title=str(issue.get("title", "")),
    )


def body_text(recommendation: Recommendation, *, link: str) -> str:
    parts = [recommendation.description.strip()]
    if recommendation.definition_of_done.strip():
        parts.append("**Definition of done**\n\n" + recommendation.definition_of_done.strip())
    parts.append(f"Tracked in Retrospector: {link}")
    return "\n\n".join(p for p in parts if p)


class GitHubClient:
    kind = TrackerConnection.Kind.GITHUB

    def __init__(self, connection: TrackerConnection):
        self.connection = connection
        self.base = connection.base_url.rstrip("/")
        self.project = connection.project.strip()

    def _headers(self) -> dict:
        return {
            "Authorization": f"Bearer {secret(self.connection.credential_encrypted, what='token')}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "Retrospector",
        }

    def _call(self, method: str, path: str, json_body=None):
        return call(NAME, _message, method, self.base + path, headers=self._headers(), json_body=json_body)

    def number_of(self, key: str) -> str:
        """The issue number of a key as people write it: "12", "#12", "owner/repo#12" or the issue's URL. Another
        repository's issue is refused (TrackerError)."""
        key = key.strip()
        found = URL_KEY.match(key) or SHORT_KEY.match(key)
        if found is None:
            raise TrackerError(f"“{key}” is not a GitHub issue: write its number, owner/repo#number or its URL.")
        repo = found.group("repo")
        if repo and repo.lower() != self.project.lower():
            raise TrackerError(f"That issue is in {repo}, not in this connection's repository {self.project}.")
        return found.group("number")

    def create_issue(self, recommendation: Recommendation, *, link: str) -> IssueState:
        response = self._call(
            "POST",
            f"/repos/{self.project}/issues",
            {"title": recommendation.title, "body": body_text(recommendation, link=link)},
        )
        return _state(self.project, response.json())

    def fetch_state(self, key: str) -> IssueState:
        response = self._call("GET", f"/repos/{self.project}/issues/{self.number_of(key)}")
        issue = response.json()
        if "pull_request" in issue:
            raise TrackerError(f"{key} is a pull request, not an issue.")
        return _state(self.project, issue)

    def push(self, recommendation: Recommendation) -> IssueState:
        """Our title and status onto the issue: done closes it as completed, dropped as not planned, planned and in
        progress (re)open it."""
        status = recommendation.status
        patch: dict = {"title": recommendation.title}
        if status == Recommendation.Status.DONE:
            patch.update(state="closed", state_reason="completed")
        elif status == Recommendation.Status.DROPPED:
            patch.update(state="closed", state_reason="not_planned")
        else:
            patch.update(state="open")
        number = self.number_of(recommendation.tracker_key)
        response = self._call("PATCH", f"/repos/{self.project}/issues/{number}", patch)
        return _state(self.project, response.json())

    def _hook_secret(self) -> str:
        try:
            return secret(self.connection.webhook_secret_encrypted, what="webhook secret")
        except TrackerError as exc:
            raise SignatureError(exc.message) from None

    def parse_webhook(self, headers, body: bytes) -> HookEvent:
        """Check the signature (SignatureError) and read an `issues` event."""
        signature_check(
            secret=self._hook_secret(),
            body=body,
            header=headers.get("X-Hub-Signature-256"),
        )
        event = headers.get("X-GitHub-Event", "")
        data = parse_json(body)
        if event == "ping":
            return HookEvent(outcome="Ping received.")
        if event != "issues":
            return HookEvent(outcome=f"Ignored a “{event or 'unnamed'}” event (only issues events are used).")
        issue = data.get("issue") if isinstance(data.get("issue"), dict) else None
        repository = data.get("repository") if isinstance(data.get("repository"), dict) else {}
        repo = str(repository.get("full_name", ""))
        if issue is None or "number" not in issue:
            return HookEvent(outcome="An issues event without an issue: ignored.")
        if repo and repo.lower() != self.project.lower():
            return HookEvent(outcome=f"An issue of {repo}, not of {self.project}: ignored.")
        return HookEvent(outcome=f"issues {data.get('action', '')}".strip(), state=_state(self.project, issue))
