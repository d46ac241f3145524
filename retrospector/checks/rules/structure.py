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


_VAGUE_EXTENT = re.compile(
    r"\b(?:several|many|numerous|multiple|countless|various|plenty\s+of|lots\s+of|a\s+lot\s+of|loads\s+of|tons\s+of|"
    r"a\s+(?:few|number|bunch|handful|couple|lot|good\s+number|certain\s+number|large\s+number|high\s+number|"
    r"significant\s+number|majority|minority|portion|share|fraction|percentage|proportion|subset|chunk|part|"
    r"(?:large|significant|substantial|considerable|small|good|certain|noticeable|non-trivial|sizeable|sizable|big|"
    r"huge|major|meaningful|notable|limited|growing|high|low)\s+(?:\w+\s+)?(?:number|share|portion|fraction|"
    r"percentage|proportion|part|amount|chunk|subset|volume|majority|minority|impact|increase|drop|loss|spike|"
    r"degradation|slowdown|backlog|delay|hit))\s+(?:of\s+)?|"
    r"some\s+(?:of\s+)?(?:the\s+|our\s+)?\w+|most\s+(?:of\s+)?(?:the\s+|our\s+)?\w+|the\s+(?:majority|bulk)\s+of|"
    r"widespread|massive(?:ly)?|huge|enormous(?:ly)?|significant(?:ly)?|substantial(?:ly)?|considerabl[ey]|"
    r"heavily|severely|seriously|badly|moderately|partially|partly|largely|mostly|greatly|somewhat|slightly|"
    r"noticeabl[ey]|extended\s+period|prolonged|lengthy|for\s+(?:a|some|quite\s+a|a\s+long|a\s+short)\s+"
    r"(?:while|time|period)|for\s+ages|for\s+(?:hours|days|weeks|minutes)|(?:several|many|a\s+few)\s+(?:hours|"
    r"days|minutes|weeks)|briefly|intermittent(?:ly)?|sporadic(?:ally)?|occasional(?:ly)?|basically\s+unusable|"
    r"(?:elevated|increased|higher|high|reduced|lower|degraded)\s+(?:error|latency|latencies|failure|timeout|"
    r"response)|(?:big|major|serious|severe|significant|high|heavy|large|material|measurable|minor|limited|some)\s+"
    r"(?:impact|disruption|revenue|losses?|delays?|outage|slowdowns?|degradation|damage|financial)|"
    r"until\s+(?:late|later|the\s+next|much\s+later)|minimal(?:ly)?|moderate(?:ly)?|limited(?!\s+to\b)|contained(?!\s+(?:to|in|within)\b)|"
    r"dramatic(?:ally)?|sharply|drastic(?:ally)?|much\s+(?:higher|lower|more|less|slower|faster|longer)|"
    r"(?:wide|broad)\s+range|widely|quite\s+(?:long|a\s+(?:few|lot|while|bit)|some|bad|badly|high)|"
    r"not\s+(?:in)?significant|relatively\s+(?:small|minor|contained|low|few|high|large|short|long)|"
    r"(?:higher|lower|more|fewer|longer|slower|worse)\s+than\s+(?:normal|usual|expected)|"
    r"(?:a\s+)?(?:good|long|little)\s+while|much\s+worse|(?:a\s+)?long\s+(?:time|period|stretch|spell)|"
    r"(?:big|large|huge|great|good|significant|important|considerable)\s+(?:part|parts|portion|share|quantity|"
    r"amount|numbers?|chunk|proportion)s?\s+of|stretch|long\s+(?:delays?|waits?|queues?)|too\s+late|"
    r"varying\s+degrees?|to\s+(?:some|a\s+certain|a\s+large|a\s+lesser|a\s+greater)\s+(?:degree|extent)|"
    r"impact\s*:\s*(?:severe|high|major|significant|moderate|medium|low|minor|limited|critical)|"
    r"(?:a\s+)?(?:minor|small|tiny)\s+(?:subset|number|share|portion|fraction|percentage)|a\s+lot\b|"
    r"unknown\s+but\s+\w+|wide\s+area|the\s+better\s+part\s+of|large\s+parts?\s+of|(?:hundreds|thousands|millions|dozens|tens)\s+of|"
    r"dozens|a\s+fair\s+(?:bit|amount|number|few)|through\s+the\s+roof|sky-?rocket\w*|ballooned|soared|"
    r"(?:pretty\s+much|almost|nearly|virtually|practically)\s+(?:every|all)\w*|much\s+of\s+the|"
    r"unknown\s+(?:but\s+[\w\s]{0,25}?)?(?:number|amount|share|quantity)|"
    r"(?:serious|severe|significant|major|considerable|substantial|heavy)\s+\w+\s+(?:damage|impact|loss|losses|harm)|"
    r"(?:was|were|is|are|be)\s+(?:very\s+|quite\s+|rather\s+)?(?:high|severe|significant|major|material|considerable|"
    r"substantial|serious|heavy|massive|huge|large|moderate|notable|noticeable)|very\s+late|much\s+later|"
    r"far\s+behind|quite\s+some\s+time)\b",
    re.I,
)
_EXACT = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|hundred|thousand|million|billion|dozen|half\s+(?:of|the|an?|our)|and\s+a\s+half|quarter\s+of|"
    r"none|zero|nobody|no\s+one|"
    r"every|all|entire|whole|percent)\b(?!-)",
    re.I,
)
_VAGUE_COUNT = re.compile(
    r"\b(?:several|many|some|a\s+few|few|multiple|numerous|tens\s+of|hundreds\s+of|thousands\s+of|millions\s+of)\s+"
    r"(?:hundred|thousand|million|billion|dozen)s?\b|\b(?:hundreds|thousands|millions|billions|dozens)\s+of\b"
    r"|\b(?:pretty\s+much|almost|nearly|virtually|practically)\s+(?:every|all)\w*|\ball\s+things\s+considered\b"
    r"|\bdozens\s+and\s+dozens\b|\bthousands\b",
    re.I,
)
# "intermittent 502s": a status code is not a count.
_STATUS_CODE = re.compile(
    r"\b[1-5](?:\d\d|xx)(?:s\b|\s+(?:errors?|responses?|status|codes?|pages?)\b)|\b[1-5]xx\b", re.I
)
_AFFECTED = re.compile(
    r"\b(?:users?|customers?|clients?|tenants?|players?|patients?|merchants?|accounts?|visitors?|subscribers?|"
    r"requests?|traffic|orders?|transactions?|payments?|logins?|sessions?|calls?|affected|impacted|impact|"
    r"unavailable|outage|downtime|offline|down|degraded|disrupted|lost|loss|revenue|errors?|failed|failures?|"
    r"could\s+not|couldn't|unable|delayed|delays?|late|cost|costs|deliveries|flights|shipments|streams|learners|"
    r"students|members|viewers|passengers|parcels|packages|downloads|builds|emails|messages|notifications)\b",
    re.I,
)
_NOT_EXTENT = re.compile(
    r"\s*(?:of\s+)?(?:the\s+|our\s+|its\s+|their\s+)?(?:\w+\s+)?(?:issues?|bugs?|problems?|corner\s+cases?|things?|"
    r"steps?|changes?|ways?|reasons?|options?|questions?|ideas?|improvements?|lessons?|fixes|"
    r"theories|hypothes[ie]s|suggestions?|workarounds?|components?|companies)\b",
    re.I,
)
_AGO = re.compile(r"\s*(?:\w+\s+)?ago\b", re.I)
_SIZES_WHO = re.compile(
    r"\s*(?:of\s+)?(?:the\s+|our\s+|their\s+)?(?:[\w-]+\s+){0,2}?(?:users?|customers?|clients?|tenants?|players?|"
    r"patients?|merchants?|accounts?|visitors?|subscribers?|requests?|traffic|orders?|transactions?|payments?|logins?|"
    r"sessions?|calls?|deliveries|flights|shipments|streams|learners|students|members|viewers|passengers|parcels|"
    r"packages|downloads|builds|emails|messages|notifications|people|teams?|services?|sites?|regions?|pods?|nodes?)\b",
    re.I,
)
_DURATION_OR_DEGREE = re.compile(
    r"while|time|period|ages|hours|days|weeks|minutes|prolonged|lengthy|extended|briefly|intermittent|sporadic|"
    r"occasional|severe|serious|heav|significant|substantial|considerabl|moderate|partial|large|much|massive|huge|"
    r"widespread|minimal|limited|dramatic|drastic|sharp|roof|rocket|balloon|soar",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?;\n]+(?:[.!?;]+|$)", re.M)


_LABEL_NUMBER = re.compile(
    r"\b(?:line|lines|region|zone|node|server|version|v|sev|severity|p|priority|step|phase|wave|shard|cluster|rack|"
    r"room|floor|gate|terminal|building|site|ward|unit|batch|job|release|build|level|tier|pod|team|squad|table|"
    r"ticket|incident|pr|issue|page|figure|section|appendix|day|week|q)\s*#?\d+[a-z]?\b|\b[A-Z]{1,5}-\d+\b|"
    r"\b(?:19|20)\d\d-\d\d-\d\d\b|\b(?:19|20)\d\d\b",
    re.I,
)
_EXACT_TIME = re.compile(
    r"\d{1,2}:\d{2}|\b\d+(?:[.,]\d+)?\s*(?:ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?|"
    r"months?)\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|ninety)\s+(?:minutes?|hours?|days?|weeks?)\b|\b(?:between|from)\s+\d",
    re.I,
)
_TIME_VAGUE = re.compile(
    r"while|time|period|ages|hours|days|weeks|minutes|prolonged|lengthy|extended|briefly|intermittent|sporadic|"
    r"occasional|stretch|spell|late|long",
    re.I,
)
_PIECE = re.compile(r";|,(?!\d)|\s+(?:and|but|whereas)\s+|\s+[-–—]\s+")
_SIZE_VAGUE = re.compile(
    r"several|many|numerous|multiple|countless|various|plenty|lots|a\s+lot|loads|tons|few|number|bunch|handful|"
    r"couple|majority|minority|portion|share|fraction|percentage|proportion|subset|chunk|part|some|most|bulk|dozens|"
    r"hundreds|thousands|millions|quantity|amount|every|all",
    re.I,
)
_SIZED_EXACTLY = re.compile(r"\b(?:to\s+be\s+(?:exact|precise)|exactly|precisely)\b", re.I)


def _unsized(sentence: str) -> re.Match | None:
    """The first vague size in a sentence that no number sizes: each clause is judged alone, and a duration sizes
    only how long ("lasted 47 minutes and affected many merchants" still leaves "many" unsized)."""
    if _SIZED_EXACTLY.search(sentence):
        return None  # "Dozens of tickets, 63 to be exact"
    pos = 0
    for piece in [*_PIECE.split(sentence)]:
        start = sentence.find(piece, pos)
        pos = start + len(piece)
        if not piece.strip():
            continue
        counted = _LABEL_NUMBER.sub(" ", _STATUS_CODE.sub(" ", _VAGUE_COUNT.sub(" ", piece)))
        times = bool(_EXACT_TIME.search(counted))
        amounts = bool(_EXACT.search(_EXACT_TIME.sub(" ", counted)))
        for vague in _VAGUE_EXTENT.finditer(piece):
            if _NOT_EXTENT.match(piece, vague.end()) or _AGO.match(piece, vague.end()):
                continue  # "a number of issues", "some bugs", "a few minutes ago": not the size of the impact
            if _TIME_VAGUE.search(vague.group(0)):
                if times:
                    continue
            elif _SIZE_VAGUE.search(vague.group(0)):
                if amounts:
                    continue  # a duration does not say how many
            elif amounts or times:
                continue
            return _VAGUE_EXTENT.search(sentence, start + vague.start())
    return None


def check_impact_numbers(ctx) -> None:
    """Each sentence that sizes the impact with vague words ("several tenants", "for an extended period") and no
    count, percentage, duration or amount. Sentences that say what people experienced are left alone."""
    if not ctx.enabled("impact-numbers"):
        return
    principle = RULES["impact-numbers"].principle
    for _, section in ctx.sections("impact", "summary"):
        prose = section.view.prose
        if not _VAGUE_EXTENT.search(prose):
            continue
        for sentence in _SENTENCE.finditer(prose):
            text = sentence.group(0)
            vague = _unsized(text)
            if vague is None:
                continue
            if section.role == "summary" and not (
                _AFFECTED.search(text)
                and any(
                    _SIZES_WHO.match(text, m.end()) or _DURATION_OR_DEGREE.search(m.group(0))
                    for m in _VAGUE_EXTENT.finditer(text)
                )
            ):
                continue  # a summary tells the story too; only its sentences sizing who was hit, or how long, count
            start = sentence.start() + len(text) - len(text.lstrip())
            end = sentence.end()
            while end > start and prose[end - 1].isspace():
                end -= 1
            ctx.report(
                "impact-numbers",
                section,
                start,
                end,
                f'"{" ".join(vague.group(0).split())}" sizes the impact without a number. {principle}',
                'Say how many, how long or how much, e.g. "about 1,200 users (4%) could not log in for 38 minutes".',
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
