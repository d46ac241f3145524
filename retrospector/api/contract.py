"""What every operation of the API promises, written once: the one error body ({detail, field, errors}), the error
statuses an operation declares, and the rule for unknown fields in a request body (refused).

An operation declares its answers with `responses(...)`:

    @router.get("/incidents/{incident_id}", response=responses(200, IncidentFull, errors=(404, 422)))

which adds the statuses any authenticated operation can answer (401 without valid credentials, 429 while the
log-in throttle blocks the address, 503 while the database is busy), each with the error schema.
"""

from collections.abc import Iterable
from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

# Any authenticated operation can answer these, whatever it does.
ALWAYS = (401, 429, 503)
# An operation with a request body can also answer 400 (not JSON), 413 (over DATA_UPLOAD_MAX_MEMORY_SIZE) and 422;
# a write, 403 (at least for a browser session's write without its CSRF token).


class InSchema(Schema):
    """A request body: a field the schema does not name is refused with 422 naming it (additionalProperties: false),
    rather than silently ignored, so that a misspelt field ("titel") is never mistaken for a change that was made.

    And values are of the type the document says, not converted: "true" or 1 is not a boolean, "7" or 7.0 not an
    integer (times and dates, which JSON writes as text, are read from text: types.Instant, types.Day)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class DictOut(BaseModel):
    """An answer built as a dict (incident_out, event_out), checked by pydantic alone. ninja's Schema wraps every object
    it checks in a getter that looks each field up in Python, so that it can read model instances: 1.5 ms for a page of
    25 incidents, against 0.2 ms here. A dict needs none of that; the document is the same."""


class ErrorItem(Schema):
    field: str | None = Field(..., description="The field in error ('links.0.url'), or null for the whole request.")
    message: str


class ErrorOut(Schema):
    """Every error the API answers (4xx and 503) has this body."""

    detail: str = Field(..., description="What went wrong, in a sentence for people.")
    field: str | None = Field(None, description="The field at fault, when one is (as in `errors`).")
    errors: list[ErrorItem] | None = Field(None, description="With 422: every field in error and why.")


class ConflictOut(ErrorOut):
    """409: the `base_version` sent is stale (`field` is "base_version"; `current` is what was saved since: its
    version, and for a section its text, author and time, to merge and send again), or what it would change is
    read-only, such as a done retrospective (`field` is "state"; `current` is the record as it is)."""

    current: dict[str, Any] = Field(..., description="The current version (and, for a section, its text).")


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def Omittable(**constraints: Any) -> Any:
    """A field a client may leave out (nothing changes) but not send as null: its type stays non-nullable in the
    document, with no `default: null` contradicting it, and a null sent is a 422 naming the field."""
    return Field(None, json_schema_extra=_without_default, **constraints)


# A status whose body extends the error schema.
ERROR_SCHEMAS: dict[int, type[Schema]] = {409: ConflictOut}


def responses(
    status: int | dict[int, Any],
    schema: Any = None,
    *,
    errors: Iterable[int] = (),
    overrides: dict[int, Any] | None = None,
) -> dict[int, Any]:
    """The `response=` of an operation: its success status(es) and schema(s), and the error statuses it can answer
    (`errors`, plus ALWAYS), each with ErrorOut (or its extension in ERROR_SCHEMAS, or in `overrides`)."""
    answers: dict[int, Any] = dict(status) if isinstance(status, dict) else {status: schema}
    for code in sorted({*ALWAYS, *errors}):
        if code in answers:
            raise ValueError(f"status {code} is declared both as a success and as an error")
        answers[code] = ERROR_SCHEMAS.get(code, ErrorOut)
    for code, override in (overrides or {}).items():
        if code not in answers:
            raise ValueError(f"status {code} is overridden but not declared")
        answers[code] = override
    return answers
