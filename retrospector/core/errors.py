"""Errors every layer may raise and every surface (pages, API, CLI) knows how to show."""

from django.db import OperationalError
from django.http import Http404


class ConflictError(Exception):
    """A save was based on a version that is no longer the latest; `current` is the record as it is now."""

    def __init__(self, message: str, *, current):
        super().__init__(message)
        self.current = current


class ReadOnlyError(Exception):
    """A write refused because the record is closed to changes (a done retrospective): the message says why and how
    to open it again. `current`, when given, is the record as it is (a section's text: a client loses nothing)."""

    def __init__(self, message: str, *, current=None):
        super().__init__(message)
        self.current = current


# How long a client is asked to wait (the Retry-After header) when the database was too busy to answer.
BUSY_RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = "The database is busy right now; nothing was changed by this request. Try again in a few seconds."

# SQLite's messages for a lock it could not get in time ("database table is locked": a shared-cache database).
_SQLITE_LOCKED = ("database is locked", "database table is locked")
# PostgreSQL: lock_not_available (lock_timeout, NOWAIT), serialization_failure, deadlock_detected.
_POSTGRES_CONTENTION = {"55P03", "40001", "40P01"}


def is_lock_contention(exc: BaseException) -> bool:
    """Whether a database error only means that other writers held the lock: the same request can succeed a moment
    later, so it is answered 503 with Retry-After rather than 500."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if code in _POSTGRES_CONTENTION:
        return True
    message = str(exc).lower()
    return any(text in message for text in _SQLITE_LOCKED)


def locked(queryset, pk, *, of: tuple[str, ...] = ()):
    """The row `pk` of `queryset`, locked for the rest of the transaction (select_for_update), with the rows it joins
    (select_related), or only those named in `of` ("self" and related paths): PostgreSQL refuses to lock the nullable
    side of an outer join, so a queryset joining a nullable relation names what to lock. A record another request
    deleted since the caller read it is a 404 ("deleted meanwhile"), not a DoesNotExist that would answer 500."""
    try:
        return queryset.select_for_update(of=of).get(pk=pk)
    except queryset.model.DoesNotExist:
        name = queryset.model._meta.verbose_name
        raise Http404(f"This {name} was deleted meanwhile; nothing was changed.") from None
