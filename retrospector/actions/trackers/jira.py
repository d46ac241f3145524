"""Jira Cloud through the REST API v3: create an issue (its description in Atlassian Document Format), read its
status, change its summary, move it with a transition; the jira:issue_updated webhook."""

from __future__ import annotations

import re

import httpx

from retrospector.actions.models import Recommendation, TrackerConnection

from .base import HookEvent, IssueState, SignatureError, TrackerError, call, parse_json, secret, signature_check
from .mapping import states_for, status_for

NAME = "Jira"
KEY = re.compile(r"^(?:https?://[^/]+/browse/)?(?P<key>[A-Za-z][A-Za-z0-9_]*-\d+)/?(?:[?#].*)?$")
ISSUE_TYPE = "Task"  # every Jira project has it
# Our status -> the status category a transition should reach when the team mapped no state name to it.
CATEGORY_FOR = {
    Recommendation.Status.PLANNED: "new",
    Recommendation.Status.IN_PROGRESS: "indeterminate",
    Recommendation.Status.DONE: "done",
    Recommendation.Status.DROPPED: "done",
}


def _message(body: dict) -> str:
    messages = [str(m) for m in body.get("errorMessages") or []]
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages += [f"{field}: {text}" for field, text in errors.items()]
    return " ".join(messages)


def adf(*paragraphs: str) -> dict:
    """Plain paragraphs as an Atlassian Document Format document (empty ones left out)."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": text}]} for text in paragraphs if text.strip()
        ],
    }


class JiraClient:
    kind = TrackerConnection.Kind.JIRA

    def __init__(self, connection: TrackerConnection):
        self.connection = connection
        self.base = connection.base_url.rstrip("/")
        self.project = connection.project.strip().upper()

    def _call(self, method: str, path: str, json_body=None):
        auth = httpx.BasicAuth(self.connection.username, secret(self.connection.credential_encrypted, what="API token"))
        headers = {"Accept": "application/json", "User-Agent": "Retrospector"}
        return call(NAME, _message, method, self.base + path, headers=headers, auth=auth, json_body=json_body)

    def key_of(self, key: str) -> str:
        """PROJ-12 from "PROJ-12" or the issue's /browse/ URL; another project's issue is refused (TrackerError)."""
        found = KEY.match(key.strip())
        if found is None:
            raise TrackerError(f"“{key.strip()}” is not a Jira issue: write its key (e.g. {self.project}-12) or URL.")
        issue_key = found.group("key").upper()
        if issue_key.rsplit("-", 1)[0] != self.project:
            raise TrackerError(f"{issue_key} is not in this connection's project {self.project}.")
        return issue_key

    def _state(self, key: str, fields: dict) -> IssueState:
        status = fields.get("status") or {}
        return IssueState(
            key=key,
            url=f"{self.base}/browse/{key}",
            state=str(status.get("name", "")),
            category=str((status.get("statusCategory") or {}).get("key", "")),
            title=str(fields.get("summary", "")),
        )

    def create_issue(self, recommendation: Recommendation, *, link: str) -> IssueState:
        description = adf(
            recommendation.description,
            f"Definition of done: {recommendation.definition_of_done.strip()}"
            if recommendation.definition_of_done.strip()
            else "",
            f"Tracked in Retrospector: {link}",
        )
        fields = {
            "project": {"key": self.project},
            "summary": recommendation.title,
            "issuetype": {"name": ISSUE_TYPE},
            "description": description,
        }
        created = self._call("POST", "/rest/api/3/issue", {"fields": fields}).json()
        return self.fetch_state(str(created["key"]))

    def fetch_state(self, key: str) -> IssueState:
        issue_key = self.key_of(key)
        issue = self._call("GET", f"/rest/api/3/issue/{issue_key}?fields=status,summary").json()
        return self._state(str(issue.get("key", issue_key)), issue.get("fields") or {})

    def push(self, recommendation: Recommendation) -> IssueState:
        """Our title as the summary; our status by the transition that reaches a state mapped to it (the team's map
        first, then the status category), when the issue is not already in such a state."""
        key = self.key_of(recommendation.tracker_key)
        self._call("PUT", f"/rest/api/3/issue/{key}", {"fields": {"summary": recommendation.title}})
        current = self.fetch_state(key)
        wanted = recommendation.status
        if status_for(self.connection, state=current.state, category=current.category) == wanted:
            return current
        transitions = self._call("GET", f"/rest/api/3/issue/{key}/transitions").json().get("transitions") or []
        names = states_for(self.connection, wanted)
        chosen = next(
            (t for name in names for t in transitions if str((t.get("to") or {}).get("name", "")).lower() == name),
            None,
        ) or next(
            (
                t
                for t in transitions
                if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == CATEGORY_FOR[wanted]
                and str((t.get("to") or {}).get("name", "")).lower() not in self._mapped_elsewhere(wanted)
            ),
            None,
        )
        if chosen is None:
            raise TrackerError(
                f"Jira offers no transition from “{current.state}” to a state meaning "
                f"“{Recommendation.Status(wanted).label}”: map one on the team's tracker page."
            )
        self._call("POST", f"/rest/api/3/issue/{key}/transitions", {"transition": {"id": str(chosen["id"])}})
        return self.fetch_state(key)

    def _mapped_elsewhere(self, status: str) -> set[str]:
        return {name for name, ours in (self.connection.state_map or {}).items() if ours != status}

    def _hook_secret(self) -> str:
        try:
            return secret(self.connection.webhook_secret_encrypted, what="webhook secret")
        except TrackerError as exc:
            raise SignatureError(exc.message) from None

    def parse_webhook(self, headers, body: bytes) -> HookEvent:
        """Check the signature (SignatureError) and read a jira:issue_updated (or _created) event."""
        signature_check(secret=self._hook_secret(), body=body, header=headers.get("X-Hub-Signature"))
        data = parse_json(body)
        event = str(data.get("webhookEvent", ""))
        if event not in ("jira:issue_updated", "jira:issue_created"):
            return HookEvent(outcome=f"Ignored a “{event or 'unnamed'}” event (only issue updates are used).")
        issue = data.get("issue") if isinstance(data.get("issue"), dict) else {}
        key = str(issue.get("key", ""))
        if not key:
            return HookEvent(outcome="An issue event without an issue key: ignored.")
        if key.rsplit("-", 1)[0].upper() != self.project:
            return HookEvent(outcome=f"{key} is not in project {self.project}: ignored.")
        return HookEvent(outcome=event, state=self._state(key.upper(), issue.get("fields") or {}))
