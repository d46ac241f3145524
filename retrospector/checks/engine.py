"""Runs the rules over a document and collects findings."""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import lexicon
from .catalog import RULES
from .config import Config, parse_directive
from .document import Document, Section
from .findings import Finding
from .language import TOKEN, People, remembering_finds


class Context:
    """What a rule needs: the document, the configuration, who counts as a person, and `report`."""

    def __init__(self, doc: Document, config: Config, people: Iterable[str] = ()):
        self.doc = doc
        self.config = config
        self.findings: list[Finding] = []
        self._seen: set[tuple] = set()
        self._spans: dict[tuple, list[tuple]] = {}
        self._file_disabled: set[str] = set()
        self._file_enabled: set[str] = set()
        self._line_disabled: dict[tuple, set[str]] = {}
        self._read_directives()
        self.people = People().with_words(
            config.word_list("people") + person_words(people), config.word_list("roles"), config.word_list("systems")
        )
        self.people.learned |= learn_names(doc, self.people)
        allow = config.word_list("allow")
        self._allow = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in allow), re.I) if allow else None

    # Configuration -------------------------------------------------------------------------

    def _read_directives(self) -> None:
        for section, line, text in self.doc.directive_lines():
            for action, ids in parse_directive(text):
                ids = [i for i in ids if i in RULES or i == "all"]
                if "all" in ids:
                    ids = list(RULES)
                if action == "disable":
                    self._file_disabled.update(ids)
                    self._file_enabled.difference_update(ids)
                elif action == "enable":
                    self._file_enabled.update(ids)
                    self._file_disabled.difference_update(ids)
                else:
                    key = (section.key if section is not None else None, line + 1)
                    self._line_disabled.setdefault(key, set()).update(ids)

    def enabled(self, rule: str) -> bool:
        if rule in self._file_disabled:
            return False
        if rule in self._file_enabled:
            return self.config.severity.get(rule) not in ("off", "none")
        return self.config.is_enabled(rule)

    # Reporting -----------------------------------------------------------------------------

    def _emit(
        self,
        rule: str,
        section: Section | None,
        line: int,
        col: int,
        end_line: int,
        end_col: int,
        message: str,
        suggestion: str | None,
    ) -> None:
        if not self.enabled(rule):
            return
        key_for_lines = section.key if (section is not None and not self.doc.is_markdown) else None
        if rule in self._line_disabled.get((key_for_lines, line), ()):
            return
        section_key = section.key if section is not None else None
        ident = (rule, section_key, line, col, end_line, end_col)
        if ident in self._seen:
            return
        # Two shapes of the same rule on overlapping words are one finding: the first reported wins.
        a, b = (line, col), (end_line, end_col)
        lines = range(line, end_line + 1)
        for n in lines:
            if any(a < e and s < b for s, e in self._spans.get((rule, section_key, n), ())):
                return
        for n in lines:
            self._spans.setdefault((rule, section_key, n), []).append((a, b))
        self._seen.add(ident)
        severity = self.config.severity_for(rule, RULES[rule].severity)
        self.findings.append(Finding(rule, severity, line, col, end_line, end_col, message, suggestion, section_key))

    def report(
        self, rule: str, section: Section, start: int, end: int, message: str, suggestion: str | None = None
    ) -> None:
        """A finding on the span [start, end) of a section body."""
        if self._allow is not None:
            for match in self._allow.finditer(section.body, max(0, start - 60), min(len(section.body), end + 60)):
                if match.start() < end and match.end() > start:
                    return
        end = max(end, start)
        line, col = self.doc.position(section, start)
        end_line, end_col = self.doc.position(section, end)
        self._emit(rule, section, line, col, end_line, end_col, message, suggestion)

    def report_section(self, rule: str, section: Section, message: str, suggestion: str | None = None) -> None:
        """A finding about a whole section, placed on its heading."""
        line, col, end_line, end_col = self.doc.heading_position(section)
        self._emit(rule, section, line, col, end_line, end_col, message, suggestion)

    def report_document(
        self, rule: str, message: str, suggestion: str | None = None, section_key: str | None = None
    ) -> None:
        if not self.enabled(rule):
            return
        ident = (rule, section_key, 1, 1, 1, 1, message)
        if ident in self._seen:
            return
        self._seen.add(ident)
        severity = self.config.severity_for(rule, RULES[rule].severity)
        self.findings.append(Finding(rule, severity, 1, 1, 1, 1, message, suggestion, section_key))

    # Sections ------------------------------------------------------------------------------

    def sections(self, *roles: str):
        for index, section in enumerate(self.doc.sections):
            if not roles or section.role in roles:
                yield index, section


_ACTOR = re.compile(r"[\s*_~:\-–—]*\[?(?P<name>@?[A-Z][\w-]+)\]?[*_]*[ \t]+(?P<verb>[a-z]+)")


def _timeline_actors(section) -> list[str]:
    """Who starts a timeline entry with a human action: '14:02 Priya acknowledged the page'."""
    from .rules.timeline import parse_stamp

    body = section.body
    names = []
    for block in section.view.blocks:
        if block.type == "row":
            if len(block.cells) < 2:
                continue
            start = block.cells[1][0]
        elif block.type in ("item", "paragraph") and block.parent is None:
            stamp = parse_stamp(body[block.content_start : min(block.end, block.content_start + 60)])
            if not stamp:
                continue
            start = block.content_start + stamp[3]
        else:
            continue
        match = _ACTOR.match(body, start, min(len(body), start + 80))
        if match and match.group("verb") in lexicon.HUMAN_ACTION_VERBS:
            names.append(match.group("name"))
    return names


def learn_names(doc: Document, people: People) -> set[str]:
    """Names the document itself reveals: participant lists and timeline actors."""
    learned: set[str] = set()

    def candidate(token: str) -> str | None:
        token = token.strip("[]()*_,.:;")
        if token.startswith("@") and len(token) > 1:
            return token
        if (
            len(token) >= 2
            and token[0].isupper()
            and token[1:].islower()
            and token.isalpha()
            and token not in people.not_names
            and token.lower() not in lexicon.PERSON_PRONOUNS
            and token.lower() not in people.roles
        ):
            return token
        return None

    for section in doc.sections:
        if section.role == "people" and len(section.body) < 4000:
            for match in TOKEN.finditer(section.view.plain):
                name = candidate(match.group(0))
                if name:
                    learned.add(name)
        elif section.role == "timeline":
            for name in _timeline_actors(section):
                name = candidate(name)
                if name:
                    learned.add(name)
    text = doc.text if doc.text is not None else " ".join(s.body for s in doc.sections)
    if "@" in text:
        for match in re.finditer(r"@[A-Za-z][\w-]{1,38}", text):
            before = text[match.start() - 1] if match.start() else " "
            if not (before.isalnum() or before in "@._-"):
                learned.add(match.group(0))
    return learned


def person_words(names: Iterable[str]) -> tuple[str, ...]:
    """The words that name the organization's people: "Emeka Okafor" gives Emeka and Okafor, "@emeka" both forms."""
    words: set[str] = set()
    for name in names:
        for part in re.split(r"[\s,;()<>]+", name or ""):
            part = part.strip(".'’\"")
            if "@" in part[1:]:
                part = part.split("@", 1)[0]  # an e-mail address: its local part
            bare = part.lstrip("@")
            if len(bare) < 2 or not any(c.isalpha() for c in bare) or bare.lower() in lexicon.NOT_PERSON_WORDS:
                continue
            words.add("@" + bare)
            if bare[0].isalpha():
                words.add(bare[0].upper() + bare[1:] if bare.islower() else bare)
    return tuple(sorted(words))


def run(doc: Document | str, config: Config | dict | None = None, people: Iterable[str] = ()) -> list[Finding]:
    """All findings for a document, sorted by position (and by section for section-built documents).

    `people` names the organization's people (users, responders, timeline actors, chat handles):
    any of their names standing as a cause or a subject of hindsight is reported.
    """
    from .rules import ALL_CHECKS

    if isinstance(doc, str):
        doc = Document.from_markdown(doc)
    if config is None:
        config = Config()
    elif isinstance(config, dict):
        config = Config.from_dict(config)
    with remembering_finds():
        ctx = Context(doc, config, people)
        for check in ALL_CHECKS:
            check(ctx)
    if doc.is_markdown:
        return sorted(ctx.findings, key=lambda f: f.sort_key)
    order = {s.key: i for i, s in enumerate(doc.sections)}
    return sorted(ctx.findings, key=lambda f: (order.get(f.section_key, -1), f.sort_key))
