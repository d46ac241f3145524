import logging
import sys
import zoneinfo

from django.http import HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string
from django.utils import timezone
from django.views import defaults

from retrospector.core.errors import BUSY_MESSAGE, BUSY_RETRY_AFTER_SECONDS, is_lock_contention

logger = logging.getLogger(__name__)


class UserTimeZoneMiddleware:
    """Shows and reads times in the signed-in user's time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        tz_name = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo("UTC"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class JsonApiGZipMiddleware(GZipMiddleware):
    """Gzips the JSON API's answers (under /api/) for clients that accept it: a page of the incident list shrinks from
    14 KB to 1.3 KB in `make bench`. Never an HTML page: pages carry the CSRF token, and compressing a secret next to
    text an attacker chooses lets them guess it from the sizes (BREACH). The API's JSON holds no such secret (no CSRF
    token, no API token), and Django pads each answer with random bytes besides."""

    def process_response(self, request, response):
        if not request.path_info.startswith("/api/") or not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        return super().process_response(request, response)


class DatabaseBusyMiddleware:
    """A page whose database work met lock contention ("database is locked", a PostgreSQL lock timeout, a
    serialization failure or a deadlock) answers 503 with Retry-After, not 500: nothing was saved and the same request
    can succeed a moment later. Other errors go on to Django's handling. (The API answers the same in JSON: see
    retrospector.api.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_lock_contention(exception):
            logger.warning("database busy: %s %s answered 503 (%s)", request.method, request.path, exception)
            return database_busy_response(request)
        return None


def database_busy_response(request) -> HttpResponse:
    """The 503 page: self-contained (no base template, no database query), so it renders while the database is busy."""
    response = HttpResponse(
        render_to_string("core/database_busy.html", {"message": BUSY_MESSAGE, "retry_after": BUSY_RETRY_AFTER_SECONDS}),
        status=503,
    )
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    """handler500: the errors raised outside a view (e.g. by the session middleware saving the session after a log-in)
    never reach process_exception; lock contention among them still answers 503."""
    exception = sys.exc_info()[1]
    if exception is not None and is_lock_contention(exception):
        return database_busy_response(request)
    return defaults.server_error(request)
