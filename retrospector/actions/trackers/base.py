"""What the GitHub and Jira clients share: their errors, what they answer, and the one HTTP call they make."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

import httpx
from django.conf import settings


class TrackerError(Exception):
    """A call that did not succeed. `retry` says whether trying again later may help (429, 5xx, no answer);
    `retry_after` is the wait the tracker asked for, in seconds, when it said."""

    def __init__(self, message: str, *, retry: bool = False, retry_after: int | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.retry_after = retry_after
        self.status = status


class SignatureError(Exception):
    """An incoming webhook whose signature is missing or wrong."""


@dataclass(frozen=True)
class IssueState:
    """An issue as the tracker reports it. `state` is the tracker's own name ("open", "closed: not_planned",
    "In Review"); `category` is what decides our status when the team mapped nothing for that name
    (GitHub: open / completed / not_planned; Jira: new / indeterminate / done)."""

    key: str
    url: str
    state: str
    category: str
    title: str = ""


@dataclass(frozen=True)
class HookEvent:
    """What an incoming webhook said: an issue's new state, or nothing to apply (`state` None) and why."""

    outcome: str
    state: IssueState | None = None
    extra: dict = field(default_factory=dict)


def secret(sealed: str, *, what: str) -> str:
    """A stored secret opened; TrackerError (not retried) when no configured key opens it any more."""
    from retrospector.core.secretbox import SecretUnreadable, unseal

    try:
        return unseal(sealed)
    except SecretUnreadable:
        raise TrackerError(f"The stored {what} can't be read with this installation's keys: set it again.") from None


def timeout() -> float:
    return float(settings.TRACKER_TIMEOUT_SECONDS)


def signature_check(*, secret: str, body: bytes, header: str | None) -> None:
    """`header` must be "sha256=<hex HMAC-SHA256 of the body under the secret>"; SignatureError otherwise."""
    if not secret:
        raise SignatureError("No webhook secret is set for this connection: calls can't be verified.")
    if not header:
        raise SignatureError("The signature header is missing.")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise SignatureError("The signature does not match the body under this connection's secret.")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return int(value)
    reset = response.headers.get("X-RateLimit-Reset", "").strip()  # GitHub: the epoch second the limit resets
    if reset.isdigit() and response.headers.get("X-RateLimit-Remaining") == "0":
        import time

        return max(1, int(reset) - int(time.time()))
    return None


_shared: httpx.Client | None = None


def _client() -> httpx.Client:
    """One client per process: its TLS setup and open connections are reused from call to call."""
    global _shared
    if _shared is None:
        _shared = httpx.Client(follow_redirects=False, headers={"User-Agent": "Retrospector"})
    return _shared


def call(
    name: str, error_message, method: str, url: str, *, headers: dict, auth=None, json_body=None
) -> httpx.Response:
    """One request to a tracker (`name` is "GitHub" or "Jira" for the messages); the response when it succeeded,
    TrackerError otherwise with the tracker's own message (`error_message(parsed body)` finds it)."""
    try:
        response = _client().request(method, url, headers=headers, auth=auth, json=json_body, timeout=timeout())
    except httpx.TimeoutException:
        raise TrackerError(f"{name} did not answer within {timeout():g} seconds.", retry=True) from None
    except httpx.HTTPError as exc:
        raise TrackerError(f"{name} could not be reached ({exc.__class__.__name__}).", retry=True) from None
    if response.is_success:
        return response
    try:
        said = error_message(response.json())
    except (ValueError, json.JSONDecodeError, AttributeError, TypeError):
        said = ""
    said = (said or response.reason_phrase or "").strip()[:500]
    text = f"{name} answered {response.status_code}: {said}" if said else f"{name} answered {response.status_code}."
    rate_limited = response.status_code == 429 or (
        response.status_code == 403 and response.headers.get("X-RateLimit-Remaining") == "0"
    )
    if rate_limited or response.status_code >= 500:
        raise TrackerError(text, retry=True, retry_after=_retry_after(response), status=response.status_code)
    raise TrackerError(text, status=response.status_code)


def parse_json(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
