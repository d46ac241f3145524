"""Retrospectives in and out: Markdown (re-importable), standalone HTML and versioned JSON.

The Markdown format is a YAML front matter followed by one `## Title` heading per section,
each followed by a marker comment carrying the section key:

    ---
    format: retrospector/1
    title: Retrospective: cache stampede
    template: postmortem
    template_version: 1
    ---

    # Retrospective: cache stampede

    ## Summary
    <!-- retrospector:section key=summary -->

    The section's Markdown...

Parsing is pure Python (no Django) so the CLI and tests can use it directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from retrospector.core.markdown_sections import outline
from retrospector.core.untrusted import LONE_SURROGATE, LONE_SURROGATE_MESSAGE, lone_surrogate_path
from retrospector.core.yaml_errors import yaml_problem

FORMAT = "retrospector/1"
JSON_SCHEMA = "https://retrospector.example/schemas/retrospective/1"
MARKER_RE = re.compile(r"^<!-- retrospector:section key=([a-z0-9][a-z0-9-]{0,59}) -->$")
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class MarkdownImportError(ValueError):
    """A Markdown write-up that cannot be imported; the message names the line."""

    def __init__(self, message: str, *, line: int | None = None, source: str = "document"):
        where = f"{source}, line {line}" if line else source
        super().__init__(f"{where}: {message}")
        self.line = line
        self.message = message


@dataclass
class ParsedSection:
    key: str
    title: str
    body: str


@dataclass
class ParsedRetrospective:
    title: str
    template: str | None
    template_version: int | None
    sections: list[ParsedSection] = field(default_factory=list)


def slugify_key(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50] or "section"
    key, n = base, 2
    while key in taken:
        key = f"{base}-{n}"
        n += 1
    taken.add(key)
    return key


def to_markdown(*, title: str, template_key: str, template_version: int, incident: dict, sections: list[dict]) -> str:
    front = {
        "format": FORMAT,
        "title": title,
        "template": template_key,
        "template_version": template_version,
        "incident": incident,
    }
    out = [
        "---",
        yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000).rstrip("\n"),
        "---",
        "",
        f"# {title}",
        "",
    ]
    for section in sections:
        out.append(f"## {section['title']}")
        out.append(f"<!-- retrospector:section key={section['key']} -->")
        out.append("")
        body = section["body"].replace("\r\n", "\n").strip("\n")
        if body:
            out.append(body)
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(text: str, source: str, meta: object = None, front_lines: list[str] = ()) -> None:
    """A lone surrogate (half of a character) is not text: refused, naming its line. The text itself cannot hold one
    when it came from a file or a request; the front matter's YAML escapes ("\\ud800") can write one."""
    if (found := LONE_SURROGATE.search(text)) is not None:
        raise MarkdownImportError(LONE_SURROGATE_MESSAGE, line=text.count("\n", 0, found.start()) + 1, source=source)
    path = lone_surrogate_path(meta)
    if path is not None:
        line = next((n for n, line in enumerate(front_lines, start=1) if _SURROGATE_ESCAPE.search(line)), 2)
        name = ".".join(str(part) for part in path) or "the front matter"
        raise MarkdownImportError(
            f"{LONE_SURROGATE.sub(chr(0xFFFD), name)} {LONE_SURROGATE_MESSAGE}", line=line, source=source
        )


def parse_markdown(text: str, *, source: str = "document") -> ParsedRetrospective:
    _refuse_lone_surrogates(text, source)
    if len(text.encode("utf-8")) > MAX_IMPORT_BYTES:
        raise MarkdownImportError(f"larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB", source=source)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    found = outline(text, marked=MARKER_RE)
    lines = found.lines
    meta: dict = {}
    front = found.front_matter
    if front is not None and front.marker == "---":
        if front.end is None:
            raise MarkdownImportError(
                "the front matter opened on line 1 is never closed with '---'", line=1, source=source
            )
        try:
            meta = yaml.safe_load("\n".join(lines[1 : front.end])) or {}
        except yaml.YAMLError as exc:
            problem = yaml_problem(exc)  # its line 1 is the document's line 2
            line = problem.line + 1 if problem.line else 1
            raise MarkdownImportError(f"invalid front matter: {problem.problem}", line=line, source=source) from exc
        if not isinstance(meta, dict):
            raise MarkdownImportError("the front matter must be a mapping", line=2, source=source)
        _refuse_lone_surrogates(text, source, meta, lines[: front.end])
        fmt = meta.get("format")
        if fmt is not None and fmt != FORMAT:
            raise MarkdownImportError(
                f"unsupported format {fmt!r}; this version reads {FORMAT!r}", line=2, source=source
            )
    start = found.body_start
    title = str(meta.get("title") or "").strip()
    level_two = [heading for heading in found.headings if heading.level == 2]
    sections: list[ParsedSection] = []
    if found.marked:
        heading_before = {heading.body_line: heading for heading in level_two}
        heads = []
        for marker in found.marked:
            if marker not in heading_before:
                raise MarkdownImportError(
                    "a section marker must follow its '## Title' heading", line=marker + 1, source=source
                )
            heads.append(heading_before[marker])
        seen: set[str] = set()
        for n, marker in enumerate(found.marked):
            key = MARKER_RE.match(lines[marker]).group(1)
            if key in seen:
                raise MarkdownImportError(f"section key {key!r} appears twice", line=marker + 1, source=source)
            seen.add(key)
            end = heads[n + 1].line if n + 1 < len(heads) else len(lines)
            sections.append(
                ParsedSection(
                    key=key, title=heads[n].title.strip(), body="\n".join(lines[marker + 1 : end]).strip("\n")
                )
            )
    else:
        # Plain Markdown written elsewhere: every level-2 heading starts a section.
        heads = level_two
        taken: set[str] = set()
        for n, head in enumerate(heads):
            end = heads[n + 1].line if n + 1 < len(heads) else len(lines)
            heading = head.title.strip()
            sections.append(
                ParsedSection(
                    key=slugify_key(heading, taken),
                    title=heading[:200],
                    body="\n".join(lines[head.body_line : end]).strip("\n"),
                )
            )
        if not sections:
            text_body = "\n".join(lines[start:]).strip("\n")
            if not text_body:
                raise MarkdownImportError("the document is empty", source=source)
            sections.append(ParsedSection(key="summary", title="Summary", body=text_body))
    if not title and heads:
        # The first level-1 heading before the sections, when the front matter gave no title.
        title = next((h.title.strip() for h in found.headings if h.level == 1 and h.line < heads[0].line), "")
    version = meta.get("template_version")
    if version is not None and not isinstance(version, int):
        raise MarkdownImportError("template_version must be a whole number", line=2, source=source)
    template = meta.get("template")
    return ParsedRetrospective(
        title=title[:300],
        template=str(template) if template else None,
        template_version=version,
        sections=sections,
    )


PRINT_CSS = """
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;\
color:#1d2433;max-width:46rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.9rem;margin-bottom:.2rem}\
h2{font-size:1.35rem;margin-top:2rem;border-bottom:1px solid #d7dce5;padding-bottom:.2rem}
h3{font-size:1.1rem}table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.92rem}
th,td{border:1px solid #c9d0dc;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f1f3f7}
pre{background:#f5f6f8;padding:.75rem;overflow:auto;font-size:.85rem}\
code{font-family:ui-monospace,Menlo,Consolas,monospace}
blockquote{border-left:3px solid #c9d0dc;margin-left:0;padding-left:1rem;color:#4a5468}
.meta{color:#4a5468;font-size:.92rem}.meta dt{font-weight:600;float:left;clear:left;width:11rem}\
.meta dd{margin-left:11rem}
.empty{color:#8a93a6;font-style:italic}
@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}\
table,pre,blockquote{break-inside:avoid}a{color:inherit}
a[href^="http"]::after{content:" (" attr(href) ")";font-size:.8em;color:#4a5468}@page{margin:2cm}}
"""
