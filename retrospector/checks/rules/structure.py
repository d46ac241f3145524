"""Whole-document checks: impact with numbers, required sections, and a summary that holds up."""

from __future__ import annotations

import bisect
import re

from .. import lexicon
from ..catalog import RULES
from ..document import Section

_NUMBER = re.compile(r"\d|\b(?:" + "|".join(sorted(lexicon.NUMBER_WORDS)) + r")\b", re.I)
_PLACEHOLDER_LINE = re.compile(
    r"^\s*(?:[-*+]|\d+[.)])?\s*(?:\[[ xX]?\])?\s*(?:|-+|—|–|\.\.\.|…|tbd|tba|todo|to do|n/?a|none yet|"
    r"fill (?:this )?in|short event description\.?|\?+|x+)\s*\.?\s*$",
    re.I,
)
_TABLE_ONLY = re.compile(r"^[\s|:\-]*$")
_IMPACT_WORDS = re.compile(r"(?<![\w-])(?:" + "|".join(lexicon.IMPACT_WORDS) + r")(?![\w-])", re.I)


def _is_empty(section: Section) -> bool:
    view = section.view
    cached = getattr(view, "_empty", None)
    if cached is None:
        cached = view._empty = _compute_empty(section)
    return cached


_PLACEHOLDER_CELL = re.compile(r"[\dxXyYmMdDhH:\s-]*")


def _compute_empty(section: Section) -> bool:
    view = section.view
    plain = view.plain
    if not plain.strip():
        return True
    blocks = view.blocks
    body = section.body
    for _header, rows in view.tables():
        for row in rows:
            cells = [body[a:b] for a, b in row.cells]
            if any(not _PLACEHOLDER_LINE.match(c) and not _PLACEHOLDER_CELL.fullmatch(c) for c in cells):
                return False
    for block in blocks:
        if block.type in ("header", "row"):
            continue
        text = plain[block.start : block.end]
        for line in text.splitlines():
            if line.strip() and not _PLACEHOLDER_LINE.match(line) and not _TABLE_ONLY.match(line):
                return False
    return True


def _has_content_below(ctx, index: int) -> bool:
    return any(not _is_empty(ctx.doc.sections[i]) for i in ctx.doc.descendants(index))


def check_required_sections(ctx) -> None:
    if not ctx.enabled("section-empty"):
        return
    principle = RULES["section-empty"].principle
    for spec in ctx.doc.missing_required:
        title = spec.get("title") or spec.get("key")
        ctx.report_document(
            "section-empty",
            f'The required section "{title}" is missing. {principle}',
            f'Add a "## {title}" section.',
            section_key=spec.get("key"),
        )
    for index, section in ctx.sections():
        if not section.required:
            continue
        if _is_empty(section) and not _has_content_below(ctx, index):
            name = section.title or section.key
            ctx.report_section(
                "section-empty",
                section,
                f'The required section "{name}" is empty. {principle}',
                "Fill it in, or say in a sentence why it does not apply to this incident.",
            )


def check_impact_numbers(ctx) -> None:
    if not ctx.enabled("impact-numbers"):
        return
    principle = RULES["impact-numbers"].principle
    for index, section in ctx.sections("impact"):
        prose = section.view.plain
        if _is_empty(section):
            continue
        text = prose + "".join(ctx.doc.sections[i].view.plain for i in ctx.doc.descendants(index))
        if _NUMBER.search(text):
            continue
        start = len(prose) - len(prose.lstrip())
        end = prose.find("\n", start)
        end = len(prose) if end == -1 else end
        ctx.report(
            "impact-numbers",
            section,
            start,
            end,
            f"The impact is described without a single number. {principle}",
            'Add counts and durations, e.g. "about 1,200 users (4%) could not log in for 38 minutes".',
        )


def check_summary(ctx) -> None:
    impact_on = ctx.enabled("summary-impact")
    unsupported_on = ctx.enabled("summary-unsupported")
    if not (impact_on or unsupported_on):
        return
    summaries = [
        (i, s) for i, s in ctx.sections("summary") if s.parent is None or ctx.doc.sections[s.parent].role != "summary"
    ]
    for index, section in summaries:
        if _is_empty(section):
            continue
        text = section.view.prose
        if impact_on and not _IMPACT_WORDS.search(section.view.plain):
            start = len(text) - len(text.lstrip())
            end = text.find("\n", start)
            end = len(text) if end == -1 else end
            ctx.report(
                "summary-impact",
                section,
                start,
                end,
                f"The summary does not say who was affected or how. {RULES['summary-impact'].principle}",
                "Add one sentence on impact: who noticed what, how many, for how long.",
            )
        if unsupported_on:
            _check_unsupported(ctx, index, section)


_QUANTITY = re.compile(
    r"(?<![\w.:/#-])(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>k|m|%|percent|minutes?|mins?|hours?|hrs?|h|seconds?|secs?|s|"
    r"days?|weeks?|users?|customers?|requests?|accounts?|nodes?|pods?|servers?|instances?|crates?|teams?|"
    r"errors?|jobs?|builds?|services?|sites?|tenants?|orders?|messages?|emails?|repositories|repos?)\b(?![.:/-]\d)",
    re.I,
)
_TO_MINUTES = {
    "s": 1 / 60,
    "sec": 1 / 60,
    "secs": 1 / 60,
    "second": 1 / 60,
    "seconds": 1 / 60,
    "min": 1,
    "mins": 1,
    "minute": 1,
    "minutes": 1,
    "h": 60,
    "hr": 60,
    "hrs": 60,
    "hour": 60,
    "hours": 60,
    "day": 1440,
    "days": 1440,
    "week": 10080,
    "weeks": 10080,
}


def _check_unsupported(ctx, index: int, section: Section) -> None:
    from .timeline import timeline_minutes

    prose = section.view.prose
    quantities = list(_QUANTITY.finditer(prose))
    if not quantities:
        return
    substantive = getattr(ctx, "_substantive", None)
    if substantive is None:
        substantive = ctx._substantive = {
            i for i, s in enumerate(ctx.doc.sections) if s.level > 0 and s.role != "people" and not _is_empty(s)
        }
    if len(substantive - {index}) < 2:
        return  # nothing to compare the summary with
    everything = _document_text(ctx)
    times = None
    principle = RULES["summary-unsupported"].principle
    for match in quantities:
        number = match.group("num")
        # Supported when the number occurs somewhere besides this summary.
        own = _count_number(number, prose)
        if _count_number(number, everything) > own or (
            "," in number
            and _count_number(number.replace(",", ""), everything) > _count_number(number.replace(",", ""), prose)
        ):
            continue
        unit = match.group("unit").lower()
        if unit in _TO_MINUTES:
            if times is None:
                times = sorted(timeline_minutes(ctx))
            claimed = float(number.replace(",", "")) * _TO_MINUTES[unit]
            if _some_gap(times, claimed, max(2.0, claimed * 0.15)):
                continue
        ctx.report(
            "summary-unsupported",
            section,
            match.start(),
            match.end(),
            f'The summary says "{match.group(0)}", which nothing else in the write-up supports. {principle}',
            "Back the figure up in the impact section or the timeline, or correct it.",
        )


def _document_text(ctx) -> str:
    """Every section's text and every heading, joined once per run."""
    cached = getattr(ctx, "_all_text", None)
    if cached is None:
        cached = ctx._all_text = " \n".join(
            [s.view.plain for s in ctx.doc.sections] + [s.title for s in ctx.doc.sections]
        )
    return cached


def _count_number(number: str, text: str) -> int:
    """How often `number` appears in `text` as a whole number ("12" is not in "120" or "1.12")."""
    count = 0
    pos = text.find(number)
    end_of = len(number)
    while pos != -1:
        before = text[pos - 1] if pos else " "
        after = text[pos + end_of : pos + end_of + 2]
        if (
            not before.isdigit()
            and not (before in ".," and pos > 1 and text[pos - 2].isdigit())
            and not (after[:1].isdigit() or (after[:1] in ".," and after[1:2].isdigit()))
        ):
            count += 1
        pos = text.find(number, pos + 1)
    return count


def _some_gap(times: list[float], length: float, tolerance: float) -> bool:
    """True when two timeline entries lie `length` minutes apart, give or take `tolerance`."""
    for a in times:
        i = bisect.bisect_left(times, a + length - tolerance)
        if i < len(times) and times[i] <= a + length + tolerance:
            return True
    return False
