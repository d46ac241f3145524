"""The JSON API: /api/v1/..., OpenAPI at /api/openapi.json, docs at /api/docs."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from retrospector.accounts.services import (
    auth_throttle_attempt,
    auth_throttle_keys_for_token,
    auth_throttle_wait,
    token_authenticate,
)
from retrospector.core.errors import (
    BUSY_MESSAGE,
    BUSY_RETRY_AFTER_SECONDS,
    ConflictError,
    ReadOnlyError,
    is_lock_contention,
)
from retrospector.core.http import client_address, wait_in_words
from retrospector.core.untrusted import LONE_SURROGATE, LONE_SURROGATE_MESSAGE, REPLACEMENT, lone_surrogate_path
from retrospector.timeline.imports import size_text

from .rendering import OrjsonRenderer


class BearerToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        # The log-in throttle, per client address: while it is blocked no token is looked at, not even a valid one.
        keys = auth_throttle_keys_for_token(address=client_address(request))
        if retry_after := auth_throttle_wait(keys=keys):
            raise Throttled(wait=retry_after)
        user = token_authenticate(raw=token)
        if user is None:
            # Counted after the check, not before (as the log-in form does): valid tokens cost no write.
            if retry_after := auth_throttle_attempt(keys=keys).retry_after:
                raise Throttled(wait=retry_after)
            return None
        request.user = user
        return user


class LoneSurrogateInBody(ValueError):
    """A JSON body holds a lone surrogate ("\\ud800": half of a character, which JSON escapes can write and which is
    not text: PostgreSQL refuses it, a response holding it cannot be encoded). `field` is where, as in errors."""

    def __init__(self, field: str | None):
        super().__init__(field)
        self.field = field


class BodyParser(Parser):
    """Ninja's JSON parser, refusing a body with a lone surrogate anywhere, before any schema or endpoint sees it."""

    def parse_body(self, request):
        data = super().parse_body(request)
        path = lone_surrogate_path(data)
        if path is not None:
            field = ".".join(LONE_SURROGATE.sub(REPLACEMENT, str(part)) for part in path) or None
            raise LoneSurrogateInBody(field)
        return data


class SessionCookie(SessionAuth):
    """A signed-in browser session. Its writes must carry the CSRF token (403 without one); a request with no signed-in
    session is not checked for a token: it is simply unauthenticated (401), whatever its method."""

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


class RetrospectorAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document is built once per process and path prefix: building it takes a second or more
    and nothing in it changes while the process runs (every router is added at import)."""

    _documents: dict

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        documents = self.__dict__.setdefault("_documents", {})
        if path_prefix not in documents:
            documents[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return documents[path_prefix]


api = RetrospectorAPI(
    title="Retrospector API",
    version="1",
    description="Incidents, retrospectives, templates and exports. Authenticate with `Authorization: Bearer <token>` "
    "(create one under Preferences → API tokens, or `retrospector token create USERNAME`) or a browser session "
    "(its writes carry the CSRF token).\n\n"
    "Every error answers `{detail, field, errors}` (ErrorOut): `field` names the field at fault, `errors` lists every "
    "one with a 422. Any operation may answer 401 (no valid credentials), 429 (too many failed attempts from your "
    "address: see Retry-After) or 503 (the database is busy: retry after Retry-After). A request body is JSON of "
    'exactly the documented types (no "true" for a boolean, no "7" for an integer): a field it does not '
    "name is refused with a 422 naming it; query parameters it does not name are ignored. Ids are integers from 1 "
    "to 2^63-1.",
    auth=[BearerToken(), SessionCookie()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=BodyParser(),
    renderer=OrjsonRenderer(),
)


def _error(request, status: int, message: str, field: str | None = None, **extra):
    return api.create_response(request, {"detail": message, "field": field, **extra}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        return _error(
            request,
            422,
            errors[0].messages[0],
            field,
            errors=[{"field": f, "message": m} for f, errs in exc.error_dict.items() for e in errs for m in e.messages],
        )
    return _error(request, 422, exc.messages[0])


def _field_from_loc(loc) -> str | None:
    """('body', 'payload', 'links', 0, 'url') -> 'links.0.url'; ('query', 'page') -> 'page'."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        # Drop only the location and, for a body, the view's parameter name: a field may be called "body".
        location = parts.pop(0)
        if location == "body" and parts:
            parts.pop(0)
    return ".".join(parts) or None


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    errors = []
    for error in exc.errors:
        errors.append({"field": _field_from_loc(error.get("loc", [])), "message": error.get("msg", "invalid value")})
    first = errors[0] if errors else {"field": None, "message": "Invalid request."}
    return _error(request, 422, first["message"], first["field"], errors=errors)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return _error(request, 403, str(exc) or "You may not do that.")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    # E.g. a body that is not JSON: keep the documented {"detail", "field"} shape.
    cause = exc.__cause__  # ninja turns whatever the parser raised into a 400 "Cannot parse request body" from it
    if isinstance(cause, LoneSurrogateInBody):
        message = f"{cause.field or 'The body'} {LONE_SURROGATE_MESSAGE}."
        return _error(request, 422, message, cause.field, errors=[{"field": cause.field, "message": message}])
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request, exc):
    # Django refuses to read a body (other than uploaded files) over DATA_UPLOAD_MAX_MEMORY_SIZE.
    limit = size_text(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return _error(request, 413, f"The request body is too large: the limit is {limit} (files aside).")


@api.exception_handler(Throttled)
def on_throttled(request, exc: Throttled):
    # Too many wrong API tokens from this address (see BearerToken).
    message = f"Too many failed attempts to authenticate. Try again in {wait_in_words(exc.wait)}."
    response = _error(request, 429, message)
    response["Retry-After"] = str(exc.wait)
    return response


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    response = _error(request, 401, "Authentication required: send 'Authorization: Bearer <token>' or log in.")
    response["WWW-Authenticate"] = "Bearer"
    return response


def _current(current) -> dict:
    payload = {"version": current.version}
    if hasattr(current, "body"):
        payload.update(
            key=current.key,
            body=current.body,
            updated_by=current.updated_by.username if current.updated_by else None,
            updated_at=current.updated_at.isoformat(),
        )
    return payload


@api.exception_handler(ConflictError)
def on_conflict(request, exc: ConflictError):
    return _error(request, 409, str(exc), "base_version", current=_current(exc.current))


@api.exception_handler(ReadOnlyError)
def on_read_only(request, exc: ReadOnlyError):
    # A done retrospective: 409 on its state, with the section as it is when a save was refused (nothing is lost).
    extra = {"current": _current(exc.current)} if exc.current is not None else {}
    return _error(request, 409, str(exc), "state", **extra)


@api.exception_handler(OperationalError)
def on_database_busy(request, exc: OperationalError):
    """Lock contention (SQLite's "database is locked", PostgreSQL's lock timeouts, serialization failures, deadlocks)
    answers 503 with Retry-After: nothing was saved and the same request can succeed a moment later."""
    if not is_lock_contention(exc):
        raise exc
    response = _error(request, 503, BUSY_MESSAGE)
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


from . import (  # noqa: E402  (routers register themselves on import)
    approval,
    checks,
    findings,
    incidents,
    meeting_agenda,
    meeting_notes,
    meeting_schedule,
    notifications,
    process,
    recommendations,
    responder_accounts,
    search,
    timeline,
    webhooks,
    writeups,
)
from . import threads as feedback_threads  # noqa: E402

api.add_router("/v1/", incidents.router)
api.add_router("/v1/", writeups.router)
api.add_router("/v1/", timeline.router)
api.add_router("/v1/", checks.router)
api.add_router("/v1/", notifications.router)
api.add_router("/v1/", feedback_threads.router)
api.add_router("/v1/", responder_accounts.router)
api.add_router("/v1/", process.router)
api.add_router("/v1/", meeting_schedule.router)
api.add_router("/v1/", meeting_notes.router)
api.add_router("/v1/", approval.router)
api.add_router("/v1/", meeting_agenda.router)
api.add_router("/v1/", findings.router)
api.add_router("/v1/", webhooks.router)
api.add_router("/v1/", recommendations.router)
api.add_router("/v1/", search.router)

# Sharing: statements made from a write-up.
from . import statements as sharing_statements  # noqa: E402

api.add_router("/v1/", sharing_statements.router)

# "Have we seen this before?" (insights.similar)
from . import similar as similar_incidents_api  # noqa: E402

api.add_router("/v1/", similar_incidents_api.router)

from . import insights as insight_numbers  # noqa: E402  (insights: charts' numbers)

api.add_router("/v1/", insight_numbers.router)

from . import history as history_imports  # noqa: E402  (bring your history: uploads of past write-ups)

api.add_router("/v1/", history_imports.router)
