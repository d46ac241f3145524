"""Fake GitHub and Jira servers on 127.0.0.1, each in a thread, built from the documented REST shapes:
GitHub REST (2022-11-28) create / get / update an issue; Jira Cloud REST v3 create an issue (ADF description), get an
issue's status, edit its summary, list and perform transitions. They check the auth header (and GitHub's API version
header), answer the documented bodies and error bodies, and can be told to fail the next calls (401, 404, 429 with
Retry-After, 5xx) or to answer too late (a timeout).

For a browser test: `with FakeGitHub() as github:` gives `github.base_url`; `github.set_state(1, "closed",
"completed")` changes an issue as a person would on GitHub, and `github.send_webhook(url, secret, 1)` posts the signed
`issues` event to Retrospector's /hooks/trackers/<token>/ address (FakeJira: set_status / send_webhook alike).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeTracker/1"

    def log_message(self, *args):  # quiet
        pass

    def _handle(self):
        fake: FakeTracker = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        url = urlsplit(self.path)
        fake.requests.append(
            {"method": self.command, "path": url.path, "query": url.query, "headers": dict(self.headers), "json": body}
        )
        status, payload, headers = fake.answer(self.command, url.path, url.query, self.headers, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up waiting (the timeout tests) leaves a broken pipe behind: expected, not worth a trace.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeTracker:
    def __init__(self):
        self.requests: list[dict] = []
        self._failures: deque = deque()
        self._lock = threading.Lock()
        self._server: _Server | None = None

    # lifecycle
    def start(self) -> FakeTracker:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # failures
    def fail_next(self, status: int, body: dict | None = None, headers: dict | None = None, times: int = 1) -> None:
        """The next `times` calls answer `status` with `body` (the tracker's documented error body by default)."""
        for _ in range(times):
            self._failures.append(("fail", status, body, headers))

    def hang_next(self, seconds: float, times: int = 1) -> None:
        """The next calls answer only after `seconds` (longer than the client's timeout: a timeout)."""
        for _ in range(times):
            self._failures.append(("hang", seconds, None, None))

    def answer(self, method, path, query, headers, body):
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure and failure[0] == "hang":
            time.sleep(failure[1])
        elif failure:
            _, status, payload, extra = failure
            return status, payload if payload is not None else self.error_body(status), extra
        with self._lock:
            return self.route(method, path, query, headers, body)

    def error_body(self, status: int) -> dict:
        raise NotImplementedError

    def route(self, method, path, query, headers, body):
        raise NotImplementedError

    def _post(self, url: str, body: bytes, headers: dict) -> httpx.Response:
        return httpx.post(url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=10)


class FakeGitHub(FakeTracker):
    """GitHub REST API for one repository (`repo`), accepting one token."""

    MESSAGES = {401: "Bad credentials", 403: "Resource not accessible by personal access token", 404: "Not Found"}

    def __init__(self, *, token: str = "ghp_fake_token_123", repo: str = "acme/payments-api"):
        super().__init__()
        self.token, self.repo = token, repo
        self.issues: dict[int, dict] = {}

    def error_body(self, status):
        if status == 429:
            return {"message": "API rate limit exceeded", "documentation_url": "https://docs.github.com/rest"}
        message = self.MESSAGES.get(status, "Server Error")
        return {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)}

    def add_issue(self, title: str = "An issue", *, state: str = "open", state_reason: str | None = None) -> dict:
        number = len(self.issues) + 1
        self.issues[number] = {
            "id": 1000 + number,
            "number": number,
            "title": title,
            "body": "",
            "state": state,
            "state_reason": state_reason,
            "html_url": f"https://github.com/{self.repo}/issues/{number}",
            "url": f"https://api.github.com/repos/{self.repo}/issues/{number}",
        }
        return self.issues[number]

    def set_state(self, number: int, state: str, state_reason: str | None = None) -> dict:
        """Change an issue as a person would on GitHub (no webhook: send_webhook does that)."""
        with self._lock:
            issue = self.issues[number]
            issue["state"] = state
            issue["state_reason"] = state_reason if state == "closed" else ("reopened" if state_reason else None)
            return dict(issue)

    def webhook(self, secret: str, number: int, *, action: str | None = None) -> tuple[bytes, dict]:
        """The signed `issues` event for issue `number` as it is now: (body, headers)."""
        issue = self.issues[number]
        action = action or ("closed" if issue["state"] == "closed" else "reopened")
        body = json.dumps(
            {"action": action, "issue": issue, "repository": {"full_name": self.repo}, "sender": {"login": "octo"}}
        ).encode()
        headers = {
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            "X-Hub-Signature-256": sign(secret, body),
        }
        return body, headers

    def send_webhook(self, url: str, secret: str, number: int, *, action: str | None = None) -> httpx.Response:
        body, headers = self.webhook(secret, number, action=action)
        return self._post(url, body, headers)

    def route(self, method, path, query, headers, body):
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, self.error_body(401), None
        if headers.get("X-GitHub-Api-Version") != "2022-11-28":
            return 400, {"message": "Unsupported API version", "documentation_url": "https://docs.github.com"}, None
        if "application/vnd.github+json" not in (headers.get("Accept") or ""):
            return 415, {"message": "Unsupported Accept header"}, None
        prefix = f"/repos/{self.repo}/issues"
        if not path.startswith(prefix):
            return 404, self.error_body(404), None
        rest = path[len(prefix) :].strip("/")
        if method == "POST" and rest == "":
            if not isinstance(body, dict) or not str(body.get("title", "")).strip():
                return (
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}],
                    },
                    None,
                )
            issue = self.add_issue(body["title"])
            issue["body"] = body.get("body", "")
            return 201, issue, None
        if not rest.isdigit() or int(rest) not in self.issues:
            return 404, self.error_body(404), None
        issue = self.issues[int(rest)]
        if method == "GET":
            return 200, issue, None
        if method == "PATCH" and isinstance(body, dict):
            if "title" in body:
                issue["title"] = body["title"]
            if body.get("state") in ("open", "closed"):
                was = issue["state"]
                issue["state"] = body["state"]
                if body["state"] == "closed":
                    issue["state_reason"] = body.get("state_reason") or "completed"
                else:
                    issue["state_reason"] = "reopened" if was == "closed" else None
            return 200, issue, None
        return 404, self.error_body(404), None


class FakeJira(FakeTracker):
    """Jira Cloud REST API v3 for one project, accepting one e-mail and API token (basic auth)."""

    STATUSES = {
        "To Do": ("10000", "new"),
        "In Progress": ("3", "indeterminate"),
        "In Review": ("10001", "indeterminate"),
        "Done": ("10002", "done"),
        "Won't Do": ("10003", "done"),
    }

    def __init__(self, *, email: str = "bot@acme.example", token: str = "jira_fake_token_456", project: str = "OPS"):
        super().__init__()
        self.email, self.token, self.project = email, token, project
        self.issues: dict[str, dict] = {}

    def error_body(self, status):
        messages = {
            401: "Client must be authenticated to access this resource.",
            403: "You do not have permission to do this.",
            404: "Issue does not exist or you do not have permission to see it.",
            429: "Rate limit exceeded.",
        }
        return {"errorMessages": [messages.get(status, "Internal server error")], "errors": {}}

    def _status(self, name: str) -> dict:
        status_id, category = self.STATUSES[name]
        return {"id": status_id, "name": name, "statusCategory": {"key": category, "name": category.title()}}

    def add_issue(self, summary: str = "An issue", *, status: str = "To Do") -> dict:
        key = f"{self.project}-{len(self.issues) + 1}"
        self.issues[key] = {
            "id": str(10000 + len(self.issues) + 1),
            "key": key,
            "self": f"{self.base_url}/rest/api/3/issue/{key}",
            "fields": {"summary": summary, "status": self._status(status), "description": None},
        }
        return self.issues[key]

    def set_status(self, key: str, status: str) -> dict:
        with self._lock:
            self.issues[key]["fields"]["status"] = self._status(status)
            return self.issues[key]

    def webhook(self, secret: str, key: str) -> tuple[bytes, dict]:
        issue = self.issues[key]
        body = json.dumps(
            {
                "timestamp": int(time.time() * 1000),
                "webhookEvent": "jira:issue_updated",
                "issue_event_type_name": "issue_generic",
                "issue": {"id": issue["id"], "key": key, "self": issue["self"], "fields": issue["fields"]},
                "changelog": {"items": [{"field": "status", "toString": issue["fields"]["status"]["name"]}]},
            }
        ).encode()
        return body, {"X-Hub-Signature": sign(secret, body), "X-Atlassian-Webhook-Identifier": "1"}

    def send_webhook(self, url: str, secret: str, key: str) -> httpx.Response:
        body, headers = self.webhook(secret, key)
        return self._post(url, body, headers)

    @staticmethod
    def is_adf(doc) -> bool:
        """A document in Atlassian Document Format, as far as this fake needs: doc, version 1, paragraphs of text."""
        if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
            return False
        for block in doc.get("content") or []:
            if block.get("type") != "paragraph":
                return False
            for node in block.get("content") or []:
                if node.get("type") != "text" or not isinstance(node.get("text"), str) or not node["text"]:
                    return False
        return True

    def route(self, method, path, query, headers, body):
        expected = "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, self.error_body(401), None
        if method == "POST" and path == "/rest/api/3/issue":
            fields = (body or {}).get("fields") or {}
            errors = {}
            if (fields.get("project") or {}).get("key") != self.project:
                errors["project"] = "valid project is required"
            if not str(fields.get("summary", "")).strip():
                errors["summary"] = "You must specify a summary of the issue."
            if (fields.get("issuetype") or {}).get("name") not in ("Task", "Bug", "Story"):
                errors["issuetype"] = "valid issue type is required"
            if "description" in fields and not self.is_adf(fields["description"]):
                errors["description"] = "Operation value must be an Atlassian Document"
            if errors:
                return 400, {"errorMessages": [], "errors": errors}, None
            issue = self.add_issue(fields["summary"])
            issue["fields"]["description"] = fields.get("description")
            return 201, {"id": issue["id"], "key": issue["key"], "self": issue["self"]}, None
        parts = path.strip("/").split("/")
        if parts[:4] != ["rest", "api", "3", "issue"] or len(parts) < 5 or parts[4] not in self.issues:
            return 404, self.error_body(404), None
        issue = self.issues[parts[4]]
        if len(parts) == 5:
            if method == "GET":
                wanted = [f for f in query.removeprefix("fields=").split(",") if f] if "fields=" in query else None
                fields = {k: v for k, v in issue["fields"].items() if wanted is None or k in wanted}
                return 200, {"id": issue["id"], "key": issue["key"], "self": issue["self"], "fields": fields}, None
            if method == "PUT":
                for name, value in ((body or {}).get("fields") or {}).items():
                    issue["fields"][name] = value
                return 204, None, None
        if len(parts) == 6 and parts[5] == "transitions":
            current = issue["fields"]["status"]["name"]
            transitions = [
                {"id": f"t{self.STATUSES[name][0]}", "name": name, "to": self._status(name), "isAvailable": True}
                for name in self.STATUSES
                if name != current
            ]
            if method == "GET":
                return 200, {"expand": "transitions", "transitions": transitions}, None
            if method == "POST":
                wanted = ((body or {}).get("transition") or {}).get("id")
                chosen = next((t for t in transitions if t["id"] == wanted), None)
                if chosen is None:
                    return 400, {"errorMessages": ["Transition id is not valid for this issue."], "errors": {}}, None
                issue["fields"]["status"] = chosen["to"]
                return 204, None, None
        return 404, self.error_body(404), None
