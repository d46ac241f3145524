"""Allowed values in the API's schemas, taken from their one owner (a model's choices, or the constant a service checks
against): a value added there is accepted, and listed as an enum in /api/openapi.json, with no change here."""

from collections.abc import Iterable
from typing import Any, Literal

from django.db.models import Choices


def choices_literal(choices: type[Choices] | Iterable[str]) -> Any:
    """Literal["a", "b", ...] of a TextChoices class's values, or of any strings (a dict gives its keys), in order."""
    values = tuple(choices.values if isinstance(choices, type) and issubclass(choices, Choices) else choices)
    if not values or not all(isinstance(value, str) for value in values):
        raise ValueError(f"choices_literal needs one or more strings, not {values!r}")
    return Literal[values]
