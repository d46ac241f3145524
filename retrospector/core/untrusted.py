"""Rules for untrusted input that every surface shares: importers, the API, the pages, stored rows.

Pure Python, no Django, so the importers (which may not import Django) use the same rules as the rest.

- `http_url`: a link is kept only when it is an absolute http(s) URL with a host. Anything else (javascript:,
  data:, vbscript:, relative or scheme-less text) is never stored as a link nor rendered as one.
- `utc_in_range`: a time is usable only when it and its view in any zone fit Python's calendar (years 1 to 9999),
  so converting it to UTC or to a viewer's zone can never overflow.
- Lone surrogates: JSON escapes ("\\ud800") and YAML escapes decode to strings that are not Unicode text;
  PostgreSQL refuses them and encoding a response fails. The API refuses them (naming the field); the importers
  replace each with U+FFFD (`without_lone_surrogates`), as the Markdown renderer already does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

MAX_URL = 2000  # TimelineEvent.source_url's length; a longer link is dropped, not cut (a cut URL points elsewhere)
HTTP_SCHEMES = frozenset({"http", "https"})
_SPACE = re.compile(r"\s")


def http_url(value: object, *, max_length: int = MAX_URL) -> str:
    """`value` without surrounding white space when it is an absolute http(s) URL with a host, else ''."""
    if not isinstance(value, str):
        return ""
    url = value.strip()
    if not url or len(url) > max_length or not url[:8].lower().startswith(("http://", "https://")):
        return ""
    if not url.isprintable() or _SPACE.search(url):  # control, format, surrogate and space characters
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an invalid IPv6 literal
        return ""
    if parts.scheme.lower() not in HTTP_SCHEMES or not host:
        return ""
    return url


# --------------------------------------------------------------------------- times

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
OUT_OF_RANGE = "is too close to the ends of the calendar: times must fall between 0001-01-02 and 9999-12-30 (UTC)"


def utc_in_range(moment: datetime) -> datetime:
    """An aware `moment` in UTC when it falls between EARLIEST and LATEST, so that every zone's view of it (offsets
    are under a day) is a date too; ValueError with OUT_OF_RANGE otherwise."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(OUT_OF_RANGE) from None
    if not EARLIEST <= utc <= LATEST:
        raise ValueError(OUT_OF_RANGE)
    return utc


# --------------------------------------------------------------------------- lone surrogates

LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a decoded str, every surrogate is a lone one
REPLACEMENT = "\ufffd"
LONE_SURROGATE_MESSAGE = (
    "contains a lone surrogate (an escape such as \\ud800 that is half of a character); send valid Unicode text"
)
_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def may_hold_surrogate_escapes(raw: bytes | str, start: int = 0, end: int | None = None) -> bool:
    """Whether JSON text (`raw[start:end]`) may decode to a lone surrogate: a cheap look for \\uD800-\\uDFFF escapes
    (a pair, or an escaped backslash before 'ud8..', answers yes too; the decoded value is then checked properly)."""
    end = len(raw) if end is None else end
    if isinstance(raw, str):
        return raw.find("\\u", start, end) >= 0 and _ESCAPE.search(raw, start, end) is not None
    return raw.find(b"\\u", start, end) >= 0 and _ESCAPE_BYTES.search(raw, start, end) is not None


def lone_surrogate_path(value: object) -> tuple | None:
    """The keys and indexes leading to the first string (or key) of a decoded JSON / YAML `value` that holds a lone
    surrogate; () for `value` itself; None when there is none."""
    stack: list[tuple[object, tuple]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if LONE_SURROGATE.search(node):
                return path
        elif isinstance(node, dict):
            for key, child in reversed(list(node.items())):
                stack.append((child, (*path, key)))
                if isinstance(key, str) and LONE_SURROGATE.search(key):
                    stack.append((key, (*path, key)))
        elif isinstance(node, (list, tuple)):
            stack.extend((child, (*path, index)) for index, child in reversed(list(enumerate(node))))
    return None


def _replaced(text: str) -> str:
    return LONE_SURROGATE.sub(REPLACEMENT, text) if LONE_SURROGATE.search(text) else text


def without_lone_surrogates(value):
    """A freshly decoded JSON / YAML `value` with every lone surrogate in its strings and keys replaced by U+FFFD.
    Lists and dicts are changed in place (no recursion: a value nested as deeply as json allows is fine)."""
    if isinstance(value, str):
        return _replaced(value)
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = list(node.items())
            if any(isinstance(key, str) and LONE_SURROGATE.search(key) for key, _ in items):
                node.clear()
                node.update((_replaced(key) if isinstance(key, str) else key, child) for key, child in items)
            for key, child in node.items():
                if isinstance(child, str):
                    node[key] = _replaced(child)
                elif isinstance(child, (dict, list)):
                    stack.append(child)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                if isinstance(child, str):
                    node[index] = _replaced(child)
                elif isinstance(child, (dict, list)):
                    stack.append(child)
    return value
