"""How the review's pages print values they show by the hundred, computed in Python before a Jinja2 partial prints
them (Django's date filter costs ten times more)."""

from __future__ import annotations

from django.utils.timezone import localtime


def when_shown(moment) -> tuple[str, str]:
    """A moment as the pages print it: (ISO 8601 for the machine, "Dec 6 14:05" in the reader's zone)."""
    if moment is None:
        return "", ""
    local = localtime(moment)
    return local.isoformat(), f"{local:%b} {local.day} {local:%H:%M}"


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, the last an ellipsis when cut (as Django's truncatechars, without its slow
    word-aware Truncator)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
