"""A write-up as the checks see it: sections with a role, their text, and where it came from.

The scanner is line based on purpose: it is fast, it survives the Markdown people actually
write (tables without trailing pipes, headings with values in them, TOML front matter) and it
keeps every character offset, so findings point at the exact span.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from retrospector.core.markdown_sections import FENCE as _FENCE
from retrospector.core.markdown_sections import LIST_ITEM as _LIST_ITEM
from retrospector.core.markdown_sections import outline

from .needles import occurring

ROLES = ("summary", "timeline", "questions", "recommendations", "impact", "analysis", "accounts", "people", "text")

_TABLE_DELIM = re.compile(r"^[ \t]*\|?[ \t]*:?-{1,}:?[ \t]*(?:\|[ \t]*:?-{1,}:?[ \t]*)*\|?[ \t]*$")
_DIRECTIVE = re.compile(r"<!--\s*retrospector\s*:\s*(.*?)\s*-->", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_CODE_SPAN = re.compile(r"``[^\n]+?``|`[^`\n]+`")
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\](\([^)\n]*\)|\[[^\]\n]*\])")
_AUTOLINK = re.compile(r"<(?:https?|mailto|ftp):[^>\s]*>", re.I)
_REF_DEF = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]+\S.*$", re.M)
_FOOTNOTE_LABEL = re.compile(r"\[\^[^\]\n]+\]:?")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>\n]*)?/?>")
_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")
_EMPHASIS = re.compile(r"\*+|~~|(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
_DOUBLE_QUOTED = re.compile(r"\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”|„[^“”\n]{1,200}[“”]|«[^»\n]{1,200}»")
_SINGLE_QUOTED = re.compile(r"['‘][^'‘’\n]{1,80}?['’](?![\w'’])")
_CHECKBOX = re.compile(r"^([ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+)\[[ xX]?\]", re.M)
_BLOCKQUOTE = re.compile(r"^ {0,3}>.*$", re.M)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize_title(title: str) -> str:
    """'**Contributing Factors (findings):**' -> 'contributing factors findings'."""
    return _NON_WORD.sub(" ", title.lower()).strip()


def slugify(title: str) -> str:
    return normalize_title(title).replace(" ", "-") or "section"


# Title patterns per role, checked in this order; the first that matches wins.
_ROLE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    (
        "people",
        re.compile(
            r"^(?:participants|attendees|atendees|authors?|responders|roll call|"
            r"involved|owners?|postmortem owner|retrospective owner|people|who was involved)\b"
        ),
    ),
    (
        "timeline",
        re.compile(
            r"\btimeline\b|^(?:chronology|sequence of events|events|event log|"
            r"events timeline|incident log)$"
        ),
    ),
    (
        "questions",
        re.compile(
            r"^(?:discussion )?questions(?: for (?:the )?discussion| to discuss)?$|"
            r"^discussion prompts$|^(?:retrospective|review|facilitator) questions$"
        ),
    ),
    (
        "recommendations",
        re.compile(
            r"\baction items?\b|^(?:follow[ -]?up )?actions?(?: and issues)?$|\brecommendations?\b|"
            r"\bfollow[ -]?up actions\b|\bnext steps\b|\bremediations?\b|\bcorrective actions?\b|"
            r"\bpreventi(?:ve|ative) actions?\b|\bfuture (?:measures|actions|work)\b|^follow[ -]?ups$|"
            r"\baction plan\b|^to ?dos?$|\bremediation plan\b"
        ),
    ),
    ("impact", re.compile(r"\bimpact\b")),
    ("accounts", re.compile(r"\baccounts?\b")),
    (
        "analysis",
        re.compile(
            r"contributing factors?|\bcauses?\b|^analysis|analysis notes|what went wrong|went wrong|"
            r"didn t go (?:so )?well|went poorly|systemic problems|fell short|control failures|"
            r"missing (?:safety )?controls|safety controls|lessons|what we learned|learnings|^learned$|"
            r"^fault$|^trigger$|why the event happened|^postmortem$|could (?:have been|be) (?:done )?better|"
            r"discussion notes|where we got lucky|got lucky|perspectives differed|^findings$"
        ),
    ),
    (
        "summary",
        re.compile(
            r"^(?:summary|executive summary|incident summary|overview|tl ?dr|abstract|"
            r"short summary|what happened summary)$"
        ),
    ),
)
_KEY_ROLES = {
    "summary": "summary",
    "timeline": "timeline",
    "questions": "questions",
    "action-items": "recommendations",
    "actions": "recommendations",
    "potential-actions": "recommendations",
    "recommendations": "recommendations",
    "impact": "impact",
    "user-impact": "impact",
    "business-impact": "impact",
    "team-impact": "impact",
    "contributing-factors": "analysis",
    "causes": "analysis",
    "went-wrong": "analysis",
    "went-poorly": "analysis",
    "systemic-problems": "analysis",
    "control-failures": "analysis",
    "missing-controls": "analysis",
    "could-be-better": "analysis",
    "learned": "analysis",
    "learnings": "analysis",
    "analysis-notes": "analysis",
    "discussion-notes": "analysis",
    "got-lucky": "analysis",
    "safety-controls": "analysis",
    "perspectives": "analysis",
    "accounts": "accounts",
    "participants": "people",
    "authors": "people",
    "responders": "people",
    "roll-call": "people",
    "owner": "people",
}
_ACTIONS_TAKEN = re.compile(r"\bactions? taken\b|\btaken actions?\b")


def role_for(key: str = "", title: str = "", kind: str = "text") -> str:
    """The role of a section ('timeline', 'questions', ...) from its kind, key or title."""
    if kind in ROLES and kind != "text":
        return kind
    if kind == "timeline":
        return "timeline"
    if key in _KEY_ROLES:
        return _KEY_ROLES[key]
    for text in (normalize_title(title), normalize_title(key.replace("-", " "))):
        if not text or _ACTIONS_TAKEN.search(text):
            continue
        for role, pattern in _ROLE_PATTERNS:
            if pattern.search(text):
                return role
    return "text"


@dataclass
class Section:
    """One section of a write-up. `kind` is a template kind (text, list, table, timeline) or a role."""

    key: str
    title: str
    body: str
    required: bool = False
    kind: str = "text"
    # Filled in by Document; not part of the stable constructor.
    role: str = field(default="", repr=False, compare=False)
    level: int = field(default=0, repr=False, compare=False)
    parent: int | None = field(default=None, repr=False, compare=False)
    body_offset: int = field(default=0, repr=False, compare=False)
    heading_offset: int | None = field(default=None, repr=False, compare=False)
    heading_end: int | None = field(default=None, repr=False, compare=False)
    _view: SectionView | None = field(default=None, repr=False, compare=False)

    @property
    def view(self) -> SectionView:
        if self._view is None:
            self._view = SectionView(self.body)
        return self._view


class Document:
    """Sections in order, plus what is needed to turn offsets back into lines and columns."""

    def __init__(
        self,
        sections: list[Section],
        *,
        text: str | None = None,
        template_sections: list[dict] | None = None,
        missing_required: list[dict] | None = None,
    ):
        self.sections = sections
        self.text = text
        self.template_sections = template_sections
        self.missing_required = missing_required or []
        self._line_starts = _line_starts(text) if text is not None else None
        self._children: dict[int, list[int]] | None = None
        for section in sections:
            if not section.role:
                section.role = role_for(section.key, section.title, section.kind)
        _inherit_roles(sections)

    @property
    def is_markdown(self) -> bool:
        return self.text is not None

    # Construction ------------------------------------------------------------------------

    @classmethod
    def from_markdown(cls, text: str, template_sections: list[dict] | None = None) -> Document:
        text = text.lstrip("\ufeff")
        sections = _split_markdown(text)
        missing: list[dict] = []
        if template_sections:
            missing = _apply_template(sections, template_sections)
        return cls(sections, text=text, template_sections=template_sections, missing_required=missing)

    @classmethod
    def from_sections(cls, sections: list[Section]) -> Document:
        copies = []
        for _index, s in enumerate(sections):
            copy = Section(s.key, s.title, s.body or "", required=s.required, kind=s.kind or "text")
            copy.level = s.level or 2
            copy.role = s.role or ""
            copies.append(copy)
        return cls(copies)

    # Positions ---------------------------------------------------------------------------

    def position(self, section: Section, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset inside a section body."""
        if self._line_starts is not None:
            absolute = section.body_offset + offset
            line = bisect.bisect_right(self._line_starts, absolute) - 1
            return line + 1, absolute - self._line_starts[line] + 1
        starts = section.view.line_starts
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def heading_position(self, section: Section) -> tuple[int, int, int, int]:
        """Where to report a finding about a whole section: its heading, or its first line."""
        if self._line_starts is not None and section.heading_offset is not None:
            start = section.heading_offset
            end = section.heading_end if section.heading_end is not None else start
            line = bisect.bisect_right(self._line_starts, start) - 1
            end_line = bisect.bisect_right(self._line_starts, end) - 1
            return (line + 1, start - self._line_starts[line] + 1, end_line + 1, end - self._line_starts[end_line] + 1)
        if self._line_starts is not None:
            line, col = self.position(section, 0)
            return line, col, line, col
        return 1, 1, 1, 1

    def directive_lines(self):
        """(line number, directive text) for every `<!-- retrospector: ... -->` comment."""
        if self.text is not None:
            for match in _DIRECTIVE.finditer(self.text):
                end_line = bisect.bisect_right(self._line_starts, match.end() - 1)
                yield None, end_line, match.group(1)
        else:
            for section in self.sections:
                for match in _DIRECTIVE.finditer(section.body):
                    end_line = bisect.bisect_right(section.view.line_starts, match.end() - 1)
                    yield section, end_line, match.group(1)

    def children(self, index: int) -> list[int]:
        if self._children is None:
            self._children = {}
            for i, s in enumerate(self.sections):
                if s.parent is not None:
                    self._children.setdefault(s.parent, []).append(i)
        return self._children.get(index, [])

    def descendants(self, index: int) -> list[int]:
        found, frontier = [], [index]
        while frontier:
            kids = self.children(frontier.pop())
            found.extend(kids)
            frontier.extend(kids)
        return sorted(found)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


def _inherit_roles(sections: list[Section]) -> None:
    inheritable = {"timeline", "questions", "recommendations", "impact", "analysis", "accounts"}
    for section in sections:
        if section.role == "text" and section.parent is not None:
            parent_role = sections[section.parent].role
            if parent_role in inheritable:
                section.role = parent_role


def _clean_heading(raw: str) -> str:
    title = _EMPHASIS.sub("", raw or "").strip()
    return title.rstrip(":").strip()


def _split_markdown(text: str) -> list[Section]:
    """Split on ATX and setext headings outside code fences, comments and front matter."""
    found = outline(text)
    end_of_text = len(text)
    headings = found.headings

    sections: list[Section] = []
    preamble_start = found.offset(found.body_start, end_of_text)
    preamble_end = found.offset(headings[0].line, end_of_text) if headings else end_of_text
    preamble = text[preamble_start:preamble_end] if preamble_end > preamble_start else ""
    if preamble.strip():
        section = Section("preamble", "", preamble, kind="text")
        section.body_offset = preamble_start
        section.level = 0
        sections.append(section)

    seen_keys: dict[str, int] = {}
    stack: list[tuple[int, int]] = []  # (level, section index)
    for n, heading in enumerate(headings):
        body_start = found.offset(heading.body_line, end_of_text)
        body_end = found.offset(headings[n + 1].line, end_of_text) if n + 1 < len(headings) else end_of_text
        if body_end < body_start:
            body_end = body_start
        title = _clean_heading(heading.title)
        key = slugify(title)
        if key in seen_keys:
            seen_keys[key] += 1
            key = f"{key}-{seen_keys[key]}"
        else:
            seen_keys[key] = 1
        section = Section(key, title, text[body_start:body_end], kind="text")
        section.level = heading.level
        section.body_offset = body_start
        section.heading_offset = heading.title_start
        section.heading_end = heading.title_end
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        section.parent = stack[-1][1] if stack else None
        stack.append((heading.level, len(sections)))
        sections.append(section)
    return sections


_TITLE_STOPWORDS = frozenset(
    "what we the a an and of on in for to so t didn don go went how did our this that is was were it its".split()
)


def _title_words(title: str) -> set[str]:
    words = set()
    for word in normalize_title(title).split():
        if word in _TITLE_STOPWORDS or len(word) < 3:
            continue
        words.add(word[:-1] if word.endswith("s") and len(word) > 4 else word)
    return words


def _apply_template(sections: list[Section], template_sections: list[dict]) -> list[dict]:
    """Give headings the key, kind and required flag of the template section they stand for."""
    specs = [dict(s) for s in template_sections]
    for spec in specs:
        spec.setdefault("kind", "text")
        spec.setdefault("title", spec.get("key", ""))
        spec["_role"] = role_for(spec.get("key", ""), spec.get("title", ""), spec.get("kind", "text"))
    matched: set[int] = set()

    def take(section: Section, index: int) -> None:
        spec = specs[index]
        matched.add(index)
        section.key = spec["key"]
        section.kind = spec.get("kind", "text")
        section.required = bool(spec.get("required", False))
        section.role = spec["_role"] if spec["_role"] != "text" else role_for("", section.title, "text")

    # Exact title or key first, then by role (e.g. "Action Items" for "Committed action items").
    for section in sections:
        if section.level == 0:
            continue
        norm = normalize_title(section.title)
        for index, spec in enumerate(specs):
            if index in matched:
                continue
            if norm and norm in (
                normalize_title(spec.get("title", "")),
                normalize_title(spec["key"].replace("-", " ")),
            ):
                take(section, index)
                break
    taken = lambda: {specs[i]["key"] for i in matched}  # noqa: E731 - recomputed as matches are made
    # Then by shared words ("Lessons Learned" is "What we learned"), then by role for the
    # unambiguous roles ("Action Items" is "Committed action items").
    for section in sections:
        if section.level == 0 or section.key in taken():
            continue
        words = _title_words(section.title)
        best, best_score = None, 0
        for index, spec in enumerate(specs):
            if index in matched:
                continue
            score = len(words & (_title_words(spec.get("title", "")) | _title_words(spec["key"].replace("-", " "))))
            if score > best_score:
                best, best_score = index, score
        if best is not None:
            take(section, best)
    for section in sections:
        if section.level == 0 or section.key in taken():
            continue
        role = role_for("", section.title, "text")
        if role not in ("summary", "timeline", "questions", "recommendations", "impact"):
            continue
        candidates = [i for i, spec in enumerate(specs) if i not in matched and spec["_role"] == role]
        candidates.sort(key=lambda i: (not specs[i].get("required", False), i))
        if candidates:
            take(section, candidates[0])
    return [
        {k: v for k, v in spec.items() if not k.startswith("_")}
        for i, spec in enumerate(specs)
        if i not in matched and spec.get("required")
    ]


# Views and blocks ------------------------------------------------------------------------


@dataclass(slots=True)
class Block:
    """A paragraph, list item, table row or table header inside a section body."""

    type: str  # "paragraph", "item", "row", "header"
    start: int
    end: int
    content_start: int
    indent: int = 0
    parent: int | None = None  # index of the enclosing item, for nested items
    cells: list[tuple[int, int]] = field(default_factory=list)
    table: int | None = None  # index of the header block of this row's table
    checked: bool = False


_URL_TAIL = re.compile(r"[^\s)<>\]|]+")
_URL_SCHEME = re.compile(r"(?:https?|ftp)$", re.I)


def _mask_urls(text: str) -> str:
    """Blank bare URLs (scheme://...) without scanning the whole text with a regex."""
    pieces = []
    last = 0
    pos = text.find("://")
    while pos != -1:
        start = pos
        while start > 0 and text[start - 1].isalpha() and pos - start < 5:
            start -= 1
        if _URL_SCHEME.match(text, start, pos) and start >= last:
            tail = _URL_TAIL.match(text, pos + 3)
            end = tail.end() if tail else pos + 3
            pieces.append(text[last:start])
            pieces.append(" " * (end - start))
            last = end
            pos = text.find("://", end)
        else:
            pos = text.find("://", pos + 3)
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


_NOT_NEWLINE = re.compile(r"[^\n]")
_BOX = re.compile(r"\[([ xX]?)\][ \t]*")
_UNDERSCORE_RUN = re.compile(r"_+")


def _mask_emphasis_underscores(text: str) -> str:
    """_emphasis_ and __strong__ markers become spaces; snake_case stays."""
    pieces = None
    last = 0
    n = len(text)
    for match in _UNDERSCORE_RUN.finditer(text):
        a, b = match.span()
        before = text[a - 1] if a else " "
        after = text[b] if b < n else " "
        if before.isalnum() and after.isalnum():
            continue
        if pieces is None:
            pieces = []
        pieces.append(text[last:a])
        pieces.append(" " * (b - a))
        last = b
    if pieces is None:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _blank(match: re.Match) -> str:
    text = match.group(0)
    if "\n" not in text:
        return " " * len(text)
    return _NOT_NEWLINE.sub(" ", text)


_QUOTE_CHAR = re.compile(r"['‘]")


def _mask_single_quotes(text: str) -> str:
    """Blank 'quoted passages' but leave apostrophes (don't, users') alone."""
    chars = None
    resume = 0
    for candidate in _QUOTE_CHAR.finditer(text):
        start = candidate.start()
        if start < resume:
            continue
        before = text[start - 1] if start > 0 else " "
        if before.isalnum() or before in "'’_":
            continue
        match = _SINGLE_QUOTED.match(text, start)
        if not match:
            continue
        if chars is None:
            chars = list(text)
        for k in range(match.start() + 1, match.end() - 1):
            if chars[k] != "\n":
                chars[k] = " "
        resume = match.end()
    return text if chars is None else "".join(chars)


_LETTERS = re.compile(r"[a-z]+")
_NEEDLE_INDEXES: dict[int, tuple[tuple, dict[str, list[str]]]] = {}


def _needle_index(needles: tuple) -> dict[str, list[str]]:
    """Needles grouped by the first four letters of their first word ("" for needles without letters), kept per
    needle tuple: the rules pass the same tuples on every call."""
    cached = _NEEDLE_INDEXES.get(id(needles))
    if cached is not None and cached[0] is needles:
        return cached[1]
    index: dict[str, list[str]] = {}
    for needle in needles:
        low = needle.lower()
        word = _LETTERS.match(low)  # a needle that starts with a word; any other ("'s", " by ") is always tried
        short = word is None or len(word.group(0)) < 4 or low.startswith(("n't", "n’t"))
        key = "" if short else word.group(0)[:4]  # a short first word ("nuk", "bad") may begin a longer word
        index.setdefault(key, []).append(needle)
    if len(_NEEDLE_INDEXES) > 2048:
        _NEEDLE_INDEXES.clear()
    _NEEDLE_INDEXES[id(needles)] = (needles, index)
    return index


class SectionView:
    """Derived, cached forms of a section body, all the same length as the body."""

    def __init__(self, body: str):
        self.body = body
        self.line_starts = _line_starts(body)
        self._prose: str | None = None
        self._plain: str | None = None
        self._blocks: list[Block] | None = None
        self._code_lines: set[int] | None = None
        self._prose_lower: str | None = None
        self._word_keys: set[str] | None = None

    @property
    def prose_lower(self) -> str:
        if self._prose_lower is None:
            self._prose_lower = self.prose.lower()
        return self._prose_lower

    def present(self, needles) -> tuple[str, ...]:
        """The needles that can match in the prose: a rule tries its patterns only around these."""
        lowered = self.prose_lower
        found = occurring(lowered, needles)  # within a run of the checks, the text is read once for every needle
        if found is not None:
            return found
        if len(lowered) > 4000:
            return tuple(needle for needle in needles if needle in lowered)
        # A short text: the needles whose first word could start one of the text's words, then one C-speed
        # substring test each (most needles are gone after the first step).
        index = _needle_index(needles)
        found = [needle for needle in index.get("", ()) if needle in lowered]
        for key in self.word_keys & index.keys():
            found.extend(needle for needle in index[key] if needle in lowered)
        return tuple(found)

    @property
    def word_keys(self) -> set[str]:
        """The first four letters of every word of the prose (the keys of _needle_index)."""
        if self._word_keys is None:
            self._word_keys = {word[:4] for word in _LETTERS.findall(self.prose_lower)}
        return self._word_keys

    @property
    def plain(self) -> str:
        """Body with code, comments, URLs, markup and blockquotes blanked out; quotes kept."""
        if self._plain is None:
            self._plain, self._code_lines = _plain_text(self.body)
        return self._plain

    @property
    def prose(self) -> str:
        """Like `plain`, with quoted passages blanked too: the author's own words only."""
        if self._prose is None:
            text = self.plain
            if '"' in text or "“" in text or "„" in text or "«" in text:
                text = _DOUBLE_QUOTED.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], text)
            if "'" in text or "‘" in text:
                text = _mask_single_quotes(text)
            self._prose = text
        return self._prose

    @property
    def code_lines(self) -> set[int]:
        if self._code_lines is None:
            self._plain, self._code_lines = _plain_text(self.body)
        return self._code_lines

    @property
    def blocks(self) -> list[Block]:
        if self._blocks is None:
            self._blocks = _scan_blocks(self.body, self.code_lines)
        return self._blocks

    def items(self, top_level_only: bool = False) -> list[Block]:
        return [b for b in self.blocks if b.type == "item" and (not top_level_only or b.parent is None)]

    def tables(self) -> list[tuple[Block, list[Block]]]:
        result = []
        for index, block in enumerate(self.blocks):
            if block.type == "header":
                result.append((block, [b for b in self.blocks if b.type == "row" and b.table == index]))
        return result

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1


def _plain_text(body: str) -> tuple[str, set[int]]:
    code_lines: set[int] = set()
    if "```" not in body and "~~~" not in body:
        chars = None
    else:
        chars = list(body)
        lines = body.splitlines(keepends=True)
        pos = 0
        fence: str | None = None
        for index, line in enumerate(lines):
            stripped = line.strip()
            if fence is not None:
                code_lines.add(index)
                for k in range(pos, pos + len(line.rstrip("\r\n"))):
                    chars[k] = " "
                if stripped.startswith(fence):
                    fence = None
            else:
                match = _FENCE.match(line.lstrip(" \t") if len(line) - len(line.lstrip(" \t")) <= 12 else line)
                if match:
                    fence = match.group(1)[0] * 3
                    code_lines.add(index)
                    for k in range(pos, pos + len(line.rstrip("\r\n"))):
                        chars[k] = " "
            pos += len(line)
    text = body if chars is None else "".join(chars)
    if "<!--" in text:
        text = _COMMENT.sub(_blank, text)
    if "![" in text:
        text = _IMAGE.sub(_blank, text)
    if "<" in text and ":" in text:
        text = _AUTOLINK.sub(_blank, text)
    if "]:" in text:
        text = _sub_lines(text, ("]:",), _REF_DEF, _blank)
    if ">" in text and (
        text.lstrip(" ").startswith(">") or "\n>" in text or "\n >" in text or "\n  >" in text or "\n   >" in text
    ):
        text = _sub_lines(text, (">",), _BLOCKQUOTE, _blank)
    if "`" in text:
        text = _CODE_SPAN.sub(_blank, text)
    if "[" in text:
        text = _LINK.sub(lambda m: " " + m.group(1) + " " * (len(m.group(0)) - len(m.group(1)) - 1), text)
    if "://" in text:
        text = _mask_urls(text)
    if "[^" in text:
        text = _FOOTNOTE_LABEL.sub(_blank, text)
    if "<" in text:
        text = _HTML_TAG.sub(_blank, text)
    if "&" in text:
        text = _ENTITY.sub(_blank, text)
    if "[ ]" in text or "[x]" in text or "[X]" in text or "[]" in text:
        text = _sub_lines(text, ("[ ]", "[x]", "[X]", "[]"), _CHECKBOX, _blank_box)
    text = text.replace("*", " ").replace("~~", "  ")
    if "_" in text:
        text = _mask_emphasis_underscores(text)
    return text, code_lines


def _blank_box(match: re.Match) -> str:
    return match.group(1) + " " * (len(match.group(0)) - len(match.group(1)))


def _sub_lines(text: str, triggers, pattern: re.Pattern, repl) -> str:
    """`pattern.sub(repl, text)` for a pattern anchored at line starts (^ with re.M) that stays within its line, tried
    only on the lines holding one of `triggers`: a long text isn't scanned by the regex position by position."""
    starts = set()
    for trigger in triggers:
        pos = text.find(trigger)
        while pos != -1:
            starts.add(text.rfind("\n", 0, pos) + 1)
            end = text.find("\n", pos)
            if end == -1:
                break
            pos = text.find(trigger, end)
    pieces = []
    last = 0
    for start in sorted(starts):
        match = pattern.match(text, start)
        if match:
            pieces.append(text[last:start])
            pieces.append(repl(match))
            last = match.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _split_cells(line: str, line_offset: int) -> list[tuple[int, int]]:
    """Cell spans (start, end) of a table row, trimmed, honouring escaped pipes."""
    body = line.rstrip("\r\n")
    if "|" not in body:
        return [(line_offset, line_offset + len(body))]
    parts = body.split("|")
    if "\\|" in body:  # an escaped pipe belongs to its cell
        merged = []
        for part in parts:
            if merged and merged[-1].endswith("\\"):
                merged[-1] += "|" + part
            else:
                merged.append(part)
        parts = merged
    cells = []
    start = line_offset
    last = len(parts) - 1
    for number, part in enumerate(parts):
        size = len(part)
        if not part or part.isspace():  # an empty cell, or outside the leading or trailing pipe
            if number and number != last:
                cells.append((start + size, start + size))
        else:
            cells.append((start + size - len(part.lstrip()), start + len(part.rstrip())))
        start += size + 1
    return cells


def _scan_blocks(body: str, code_lines: set[int]) -> list[Block]:
    lines = body.split("\n")
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    blocks: list[Block] = []
    append = blocks.append
    open_items: list[int] = []  # stack of block indexes of open list items
    current: Block | None = None  # paragraph or item being extended
    list_item = _LIST_ITEM.match
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.endswith("\r"):
            line = line[:-1]
        if code_lines and i in code_lines:
            i += 1
            continue
        stripped = line.strip()
        if not stripped:
            # A blank line ends a paragraph; a list item goes on only if indented text follows.
            if current is not None and current.type == "item":
                j = i + 1
                while j < n and not lines[j].strip():
                    j += 1
                if j < n and j not in code_lines:
                    nxt = lines[j].rstrip("\r")
                    indent = len(nxt) - len(nxt.lstrip())
                    if indent > current.indent and not list_item(nxt):
                        i = j
                        continue
            current = None
            i += 1
            continue
        # Tables: a row with pipes followed by a delimiter row.
        if "|" in line and i + 1 < n and "-" in lines[i + 1] and _TABLE_DELIM.match(lines[i + 1].rstrip("\r")):
            start = offsets[i]
            append(Block("header", start, start + len(line), start, 0, None, _split_cells(line, start)))
            header_index = len(blocks) - 1
            i += 2
            while i < n:
                row = lines[i]
                if "|" not in row or not row.strip() or (code_lines and i in code_lines):
                    break
                if row.endswith("\r"):
                    row = row[:-1]
                start = offsets[i]
                append(Block("row", start, start + len(row), start, 0, None, _split_cells(row, start), header_index))
                i += 1
            current = None
            open_items = []
            continue
        first = stripped[0]
        item = list_item(line) if (first in "-*+" or first.isdigit()) else None
        if item:
            indent = len(item.group(1).expandtabs(4))
            content_start = offsets[i] + item.end()
            checked = False
            rest = line[item.end() :]
            if rest.startswith("["):
                box = _BOX.match(rest)
                if box:
                    checked = box.group(1) in ("x", "X")
                    content_start += box.end()
            while open_items and blocks[open_items[-1]].indent >= indent:
                open_items.pop()
            parent = open_items[-1] if open_items else None
            block = Block("item", offsets[i], offsets[i] + len(line), content_start, indent, parent, [], None, checked)
            append(block)
            open_items.append(len(blocks) - 1)
            current = block
            i += 1
            continue
        if current is not None:
            current.end = offsets[i] + len(line)
            i += 1
            continue
        open_items = []
        start = offsets[i]
        block = Block("paragraph", start, start + len(line), start)
        append(block)
        current = block
        i += 1
    return blocks
