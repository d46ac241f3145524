"""Render untrusted Markdown to safe HTML.

Pure Python, no Django imports, so it can be used (and tested) standalone.

Pipeline:

1. markdown-it-py in CommonMark mode, plus GFM tables and strikethrough.
   Raw HTML is allowed through the parser (people paste ``<details>``,
   ``<kbd>`` and the like), because everything is sanitized afterwards.
2. Two small token rewrites before rendering:
   * headings are shifted down two levels (``#`` -> ``<h3>``) because a
     section's body sits under the section's ``<h2>`` on the page;
   * table-cell alignment is emitted as ``align="..."`` instead of
     markdown-it's ``style="text-align:..."`` (style attributes are never
     allowed through the sanitizer).
3. nh3 (ammonia) with a conservative allow-list of tags, attributes and URL
   schemes (http, https, mailto, relative). This is the security boundary:
   markdown-it's own link validation is a bonus, not something we rely on.
   An attribute filter additionally refuses any href/src whose scheme,
   once whitespace, control and invisible characters are removed, is not
   allowed (``java\x0cscript:`` is relative to a browser, but refused).

Both the parser and the sanitizer are built once, at import.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = [
    "MAX_MARKDOWN_BYTES",
    "image_host_allowed",
    "image_host_error",
    "markdown_size_error",
    "render_markdown",
    "render_markdown_with_source_lines",
    "restrict_images",
    "strip_source_lines",
]

MAX_MARKDOWN_BYTES = 1_000_000

# --------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------

_HEADING_SHIFT = 2
_HEADING_TAG = re.compile(r"h([1-6])")
_TEXT_ALIGN = re.compile(r"text-align:(left|center|right)")


_RAW_HEADING = re.compile(r"<(/?)h([1-6])(?=[\s/>])", re.IGNORECASE)


def _shift_raw_headings(html: str) -> str:
    """Headings written as raw HTML (``<h1>``) get the same shift as Markdown ones, so a page's outline never jumps
    above the section's own heading."""
    if "<" not in html:
        return html
    return _RAW_HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + _HEADING_SHIFT)}", html)


def _shift_headings_and_align_cells(state) -> None:
    """Core rule: ``#`` -> h3 (capped at h6), raw ``<h1>`` likewise; table alignment -> ``align``."""
    for token in state.tokens:
        if token.type == "html_block":
            token.content = _shift_raw_headings(token.content)
        elif token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "html_inline":
                    child.content = _shift_raw_headings(child.content)
        if token.type in ("heading_open", "heading_close"):
            match = _HEADING_TAG.fullmatch(token.tag)
            if match:
                token.tag = f"h{min(6, int(match.group(1)) + _HEADING_SHIFT)}"
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str):
                match = _TEXT_ALIGN.fullmatch(style)
                if match:
                    token.attrs["align"] = match.group(1)


# The characters an inline rule of this parser can begin at, but the line end (escape, code, strikethrough, emphasis,
# link, image, autolink and raw HTML, entity): inline text with none of them is text and line breaks, whatever the
# rules.
_INLINE_MARKUP = re.compile(r"[\\`~*_\[\]!<&]")


def _plain_inline(content: str, children: list) -> None:
    """What the inline parser makes of text without markup: its lines as text tokens, between them a soft break (a
    hard one after two spaces or more), the spaces around the line end left out as the newline rule leaves them."""
    lines = content.split("\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if i:
            line = line.lstrip(" \t")
        kind = None
        if i < last:
            if line.endswith("  "):
                line, kind = line.rstrip(" "), "hardbreak"
            else:
                line, kind = line.removesuffix(" "), "softbreak"
        if line:
            text = Token("text", "", 0)
            text.content = line
            children.append(text)
        if kind:
            children.append(Token(kind, "br", 0))


def _inline_with_a_plain_text_fast_path(state) -> None:
    """markdown-it's core inline rule, except that inline text with no character an inline rule begins at (but the
    line end) is made into its tokens directly (what the inline parser makes of it, at a fraction of the cost: table
    cells and plain sentences are most of a write-up). A property test compares it with the stock rule."""
    md = state.md
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            content = token.content
            if content and _INLINE_MARKUP.search(content) is None:
                _plain_inline(content, token.children)
            else:
                md.inline.parse(content, md, state.env, token.children)


def _build_parser(*, fast_inline: bool = True) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": True, "linkify": False, "typographer": False, "xhtmlOut": False},
    )
    md.enable(["table", "strikethrough"])
    if fast_inline:
        md.core.ruler.at("inline", _inline_with_a_plain_text_fast_path)
    md.core.ruler.push("retrospector_shift_headings", _shift_headings_and_align_cells)
    return md


_PARSER = _build_parser()

# --------------------------------------------------------------------------
# Sanitizer
# --------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li",
        "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
        "sup", "sub", "details", "summary", "kbd", "span",
    }
)  # fmt: skip

# Tags whose *content* is dropped too, not just the tag. Must be disjoint
# from ALLOWED_TAGS. Everything else that is not allowed is unwrapped (its
# text kept, escaped).
DROPPED_CONTENT_TAGS = frozenset(
    {
        "script", "style", "template", "noscript",
        "iframe", "object", "embed", "svg", "math",
    }
)  # fmt: skip

ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

_ALLOWED_ATTRIBUTES = {
    # Explicitly empty: otherwise ammonia keeps its default generic
    # attributes (title, lang) on every tag.
    "*": set(),
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},  # narrowed to language-* by _filter_attribute
}
# Attributes allowed only with specific values.
_ALLOWED_ATTRIBUTE_VALUES = {
    "th": {"align": {"left", "center", "right"}},
    "td": {"align": {"left", "center", "right"}},
}
LINK_REL = "nofollow noopener"

_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,64}")
_DIGITS = re.compile(r"-?[0-9]{1,9}")

# Whitespace, control and invisible format characters. Browsers only ignore
# some of these inside a URL scheme (tab/CR/LF anywhere, C0+space at the
# ends), and ammonia already handles those; anything else makes the URL
# relative to a browser, so ammonia passes it through. We strip them all
# before looking for a scheme, so 'java\x0cscript:' or 'java\u200bscript:'
# is refused too, in case some other consumer of the HTML is more lenient.
_URL_IGNORABLE = re.compile(r"[\s\x00-\x20\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_URL_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def _has_forbidden_scheme(url: str) -> bool:
    match = _URL_SCHEME.match(_URL_IGNORABLE.sub("", url).lower())
    return match is not None and match.group(1) not in ALLOWED_URL_SCHEMES


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    if attr in ("href", "src"):
        return None if _has_forbidden_scheme(value) else value
    if attr == "class":
        if tag != "code":
            return None
        kept = [c for c in value.split() if _LANGUAGE_CLASS.fullmatch(c)]
        return kept[0] if kept else None
    if attr == "start":
        return value if _DIGITS.fullmatch(value.strip()) else None
    return value


def _build_cleaner(extra_attributes: dict[str, tuple[str, ...]] | None = None, attribute_filter=None):
    """nh3's cleaner with our allow-lists; `extra_attributes` allows more attributes on some tags."""
    attributes = {tag: set(attrs) for tag, attrs in _ALLOWED_ATTRIBUTES.items()}
    for tag, attrs in (extra_attributes or {}).items():
        attributes.setdefault(tag, set()).update(attrs)
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_CONTENT_TAGS),
        attributes=attributes,
        tag_attribute_values={
            tag: {attr: set(values) for attr, values in attrs.items()}
            for tag, attrs in _ALLOWED_ATTRIBUTE_VALUES.items()
        },
        attribute_filter=attribute_filter or _filter_attribute,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        generic_attribute_prefixes=set(),
    ).clean


_CLEAN = _build_cleaner()

# The same cleaner, keeping the source-line attributes render_markdown_with_source_lines puts on blocks (digits only).
SOURCE_LINE_ATTRIBUTES = ("data-sl", "data-el")
_SOURCE_LINE_TAGS = ("p", "li", "tr", "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6")


def _build_cleaner_with_source_lines():
    def keep(tag: str, attr: str, value: str) -> str | None:
        if attr in SOURCE_LINE_ATTRIBUTES:
            return value if value.isascii() and value.isdigit() else None
        return _filter_attribute(tag, attr, value)

    return _build_cleaner(dict.fromkeys(_SOURCE_LINE_TAGS, SOURCE_LINE_ATTRIBUTES), keep)


_CLEAN_WITH_SOURCE_LINES = _build_cleaner_with_source_lines()

# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def render_markdown(text: str) -> str:
    """Untrusted Markdown -> safe HTML string."""
    if not text:
        return ""
    # Lone surrogates cannot cross into Rust (nh3); they never come from a
    # decoded HTTP request, but don't let one crash a render.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return _CLEAN(_PARSER.render(text))


_BLOCKS_WITH_SOURCE_LINES = frozenset(
    {"paragraph_open", "list_item_open", "heading_open", "tr_open", "fence", "code_block"}
)


def _mark_source_lines(tokens) -> None:
    """data-sl / data-el on each block that renders a tag: the 0-based first line of its source and the line after its
    last. A table's row holds its cells' text; a tight list's paragraphs are not rendered (their item is)."""
    for token in tokens:
        if token.map and not token.hidden and token.type in _BLOCKS_WITH_SOURCE_LINES:
            token.attrSet("data-sl", str(token.map[0]))
            token.attrSet("data-el", str(token.map[1]))


def render_markdown_with_source_lines(text: str) -> str:
    """As render_markdown, with blocks carrying the source lines they were rendered from (see _mark_source_lines):
    for placing things found in the Markdown (the checks' findings) in the HTML. strip_source_lines takes them off."""
    if not text:
        return ""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    tokens = _PARSER.parse(text)
    _mark_source_lines(tokens)
    return _CLEAN_WITH_SOURCE_LINES(_PARSER.renderer.render(tokens, _PARSER.options, {}))


_SOURCE_LINE_ATTRIBUTE = re.compile(r' data-(?:sl|el)="[0-9]*"')


def strip_source_lines(html: str) -> str:
    """render_markdown_with_source_lines's HTML without its source-line attributes: render_markdown's."""
    return _SOURCE_LINE_ATTRIBUTE.sub("", html)


def _format_mb(n_bytes: int) -> str:
    mb = n_bytes / 1_000_000
    return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"


def markdown_size_error(text: str) -> str | None:
    """None when text fits, else a user-facing message like
    'Section is 1.2 MB; the limit is 1 MB.'"""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_MARKDOWN_BYTES:
        return None
    limit = _format_mb(MAX_MARKDOWN_BYTES)
    shown = _format_mb(size)
    if shown == limit or shown == f"{MAX_MARKDOWN_BYTES / 1_000_000:.1f} MB":
        # Just over the limit: "1.0 MB; the limit is 1 MB" would read as a
        # bug, so give exact byte counts.
        return f"Section is {size:,} bytes; the limit is {MAX_MARKDOWN_BYTES:,} bytes ({limit})."
    return f"Section is {shown}; the limit is {limit}."


# --------------------------------------------------------------------------
# Images from other sites
# --------------------------------------------------------------------------
# An image from another site tells that site who read the page, and when. The organization chooses which hosts
# may serve images (none by default); any other image is shown as a link the reader can follow on purpose. The
# Content-Security-Policy says the same to the browser; this is for readers the policy doesn't reach (exports).

_HOST_PATTERN = re.compile(r"(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
# The sanitizer writes every attribute as name="value" with any '"' escaped, though '>' may stay as it is.
_IMG_TAG = re.compile(r'<img((?:\s+[a-z]+="[^"]*")*)\s*/?>')
_IMG_ATTRIBUTE = re.compile(r'\s([a-z]+)="([^"]*)"')


def image_host_error(pattern: str) -> str | None:
    """None when `pattern` is a host name ('images.example.com') or a wildcard for its subdomains
    ('*.example.com'), else why not."""
    if "://" in pattern or "/" in pattern:
        return f"{pattern!r}: give just the host name, such as images.example.com (no https:// and no path)."
    if len(pattern) > 253 or not _HOST_PATTERN.fullmatch(pattern):
        return f"{pattern!r} is not a host name such as images.example.com or *.example.com."
    return None


def image_host_allowed(host: str, allowed_hosts: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in allowed_hosts:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


def restrict_images(html: str, allowed_hosts: Iterable[str]) -> str:
    """Sanitized HTML (render_markdown's) with each image from a host not in `allowed_hosts` turned into a link
    ('Image: alt (host)'). Images of this site (relative addresses) and from allowed https hosts stay."""
    if "<img" not in html:
        return html
    allowed = tuple(allowed_hosts)

    def swap(match: re.Match) -> str:
        attributes = dict(_IMG_ATTRIBUTE.findall(match.group(1)))
        src = attributes.get("src", "")
        parts = urlsplit(html_lib.unescape(src))
        if not parts.netloc and not parts.scheme:
            return match.group(0)
        host = parts.hostname or ""
        if parts.scheme in ("https", "") and host and image_host_allowed(host, allowed):
            return match.group(0)
        label = attributes.get("alt") or "image"
        return (
            f'<a href="{src}" rel="{LINK_REL}" class="outside-image" '
            f'title="Images from {html_lib.escape(host)} are not shown here: follow the link to see it.">'
            f"Image: {label} ({html_lib.escape(host)})</a>"
        )

    return _IMG_TAG.sub(swap, html)


def html_for_reader(request, html: str) -> str:
    """Rendered Markdown as the signed-in reader sees it: images only from the hosts their organization allows."""
    return restrict_images(html, request.user.organization.image_hosts)
