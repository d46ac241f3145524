"""Timelines: in order, in one stated time zone, each entry with its source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .. import lexicon
from ..catalog import RULES

_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_ZONE_WORDS = "|".join(sorted((z for z in lexicon.TIME_ZONES if z != "Z"), key=len, reverse=True))
# IANA names as the app writes them in a timeline's header: "Time (Europe/Paris)".
_IANA = (
    r"\b(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)"
    r"/[A-Za-z_+-]+(?:/[A-Za-z_-]+)?"
)
_ZONE = rf"(?:{_IANA}|(?:UTC|GMT)\s?[+-]\s?\d{{1,2}}(?::?\d{{2}})?|[+-]\d{{2}}:?\d{{2}}|Z\b|\b(?:{_ZONE_WORDS})\b)"
_STAMP = re.compile(
    r"^[\s*_~>\[(]*~?\s*"
    r"(?:(?P<iso>(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d))"
    r"|(?P<dmy>(?<!\d)\d{1,2}/\d{1,2}/\d{2,4}(?!\d))"
    r"|(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
    r"(?P<mday>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<myear>\d{4}))?"
    r"|(?P<dday>\d{1,2})(?:st|nd|rd|th)?\s+(?P<dmon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:,?\s+(?P<dyear>\d{4}))?"
    r")?"
    r"(?:[,\sT]*(?:at\s+)?(?P<time>(?<![\d:])\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?![\d])\s*(?:[ap]\.?m\.?\b)?)"
    r"|[,\s]*(?P<unknown>[Hh?x-]{1,2}:[Mm?x-]{2}))?"
    rf"(?:\s*(?P<zone>{_ZONE}))?",
    re.I,
)
_DECLARED = re.compile(rf"(?P<zone>{_ZONE})", re.I)
_LINK = re.compile(
    r"\[[^\]\n]+\]\([^)\s]+[^)]*\)|\[[^\]\n]+\]\[[^\]\n]*\]|<https?://[^>]+>|https?://\S+"
    r"|\[[^\]\n]+\](?!\()",
    re.I,
)
_SOURCE_COLUMN = re.compile(r"\b(?:source|sources|link|links|ref|refs|reference|references|evidence|citation)\b", re.I)
_TIME_COLUMN = re.compile(r"\b(?:time|date|when|timestamp|utc|cet|clock|datetime)\b", re.I)
_PLACEHOLDER = re.compile(r"^\s*(?:|-+|—|–|\?+|tbd|n/?a|none)\s*$", re.I)
_OFFSETS = {
    "UTC": 0,
    "WET": 0,
    "CET": 60,
    "WEST": 60,
    "BST": 60,
    "CEST": 120,
    "EET": 120,
    "SAST": 120,
    "CAT": 120,
    "EEST": 180,
    "MSK": 180,
    "EAT": 180,
    "IST": 330,
    "ICT": 420,
    "WIB": 420,
    "SGT": 480,
    "HKT": 480,
    "PHT": 480,
    "AWST": 480,
    "JST": 540,
    "KST": 540,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "BRT": -180,
    "ART": -180,
    "EDT": -240,
    "EST": -300,
    "CDT": -300,
    "CST": -360,
    "MDT": -360,
    "MST": -420,
    "PDT": -420,
    "PST": -480,
    "AKDT": -480,
    "AKST": -540,
    "HST": -600,
    "WAT": 60,
}
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")


def _zone_offset(zone: str | None) -> int | None:
    """Minutes east of UTC for a zone name or offset, if known."""
    if not zone:
        return None
    if zone in _OFFSETS:
        return _OFFSETS[zone]
    match = _OFFSET.match(zone)
    if match:
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        return minutes if match.group(1) == "+" else -minutes
    return None


_EQUIVALENT = {"Z": "UTC", "GMT": "UTC", "+00:00": "UTC", "+0000": "UTC", "UTC+0": "UTC", "UTC+00:00": "UTC"}


_DATE_SEP = re.compile(r"[-/.]")
_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class Entry:
    section: object
    start: int  # span of the timestamp (or the row) in the section body
    end: int
    row_start: int
    row_end: int
    day: int | None  # date ordinal
    minutes: float | None
    zone: str | None
    has_source: bool
    label: str


def _norm_zone(zone: str | None) -> str | None:
    if not zone:
        return None
    z = "".join(zone.split()).upper()
    return _EQUIVALENT.get(z, z)


_SIMPLE_STAMP = re.compile(r"[ \t]*(?:(\d{4})-(\d{2})-(\d{2})[ \tT]+)?(\d{1,2}):(\d{2})[ \t]*$")


def parse_stamp(text: str):
    """(day ordinal, minutes, zone, matched length) or None."""
    simple = _SIMPLE_STAMP.match(text)  # "2024-05-01 14:02" or "14:02": most table cells
    if simple:
        hour, minute = int(simple.group(4)), int(simple.group(5))
        if hour < 24 and minute < 60:
            day = None
            if simple.group(1):
                try:
                    day = date(int(simple.group(1)), int(simple.group(2)), int(simple.group(3))).toordinal()
                except ValueError:
                    day = None
            if day is not None or not simple.group(1):
                return day, hour * 60 + minute, None, len(text.rstrip())
    match = _STAMP.match(text)
    if not match or not (
        match.group("iso") or match.group("dmy") or match.group("mon") or match.group("dday") or match.group("time")
    ):
        return None
    day = None
    try:
        if match.group("iso"):
            y, m, d = (int(p) for p in _DATE_SEP.split(match.group("iso")))
            day = date(y, m, d).toordinal()
        elif match.group("dmy"):
            d, m, y = (int(p) for p in match.group("dmy").split("/"))
            y = y + 2000 if y < 100 else y
            if m > 12:
                d, m = m, d
            day = date(y, m, d).toordinal()
        elif match.group("mon"):
            y = int(match.group("myear") or 2000)
            day = date(y, _MONTHS[match.group("mon").lower()[:3]], int(match.group("mday"))).toordinal()
        elif match.group("dmon"):
            y = int(match.group("dyear") or 2000)
            day = date(y, _MONTHS[match.group("dmon").lower()[:3]], int(match.group("dday"))).toordinal()
    except ValueError:
        day = None
        if not match.group("time"):
            return None
    minutes = None
    if match.group("time"):
        raw = match.group("time").lower().replace(".", "")
        pm = "pm" in raw
        am = "am" in raw
        parts = _DIGITS.findall(raw)
        hour, minute = int(parts[0]), int(parts[1])
        second = int(parts[2]) if len(parts) > 2 else 0
        if hour > 23 or minute > 59:
            return None
        if pm and hour < 12:
            hour += 12
        if am and hour == 12:
            hour = 0
        minutes = hour * 60 + minute + second / 60
    zone = match.group("zone")
    if zone and zone.strip().upper() == "Z" and not match.group("time"):
        zone = None
    return day, minutes, _norm_zone(zone), match.end()


def _timeline_groups(ctx):
    """Each top-level timeline section with its sub-sections, as one list of sections."""
    sections = ctx.doc.sections
    taken: set[int] = set()
    for index, section in enumerate(sections):
        if section.role != "timeline" or index in taken:
            continue
        group = [index] + [i for i in ctx.doc.descendants(index) if sections[i].role == "timeline"]
        taken.update(group)
        yield [sections[i] for i in group]


def _entries(group, people_names=None):
    """Timeline entries in document order, with date context from date headings (cached)."""
    view = group[0].view
    key = tuple(id(s) for s in group)
    cached = getattr(view, "_timeline_entries", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    result = _parse_entries(group)
    view._timeline_entries = (key, result)
    return result


def _parse_entries(group):
    entries: list[Entry] = []
    tables = []  # (section, header block, time col, source col, entries)
    for section in group:
        view = section.view
        body = section.body
        heading = parse_stamp(section.title) if section.title else None
        heading_day = heading[0] if heading else None
        if heading_day is not None:
            entries.append(Entry(section, -1, -1, -1, -1, heading_day, None, None, True, section.title))
        for _block_index, block in enumerate(view.blocks):
            if block.type == "header":
                names = [body[a:b] for a, b in block.cells]
                time_col = next((i for i, n in enumerate(names) if _TIME_COLUMN.search(n)), 0)
                source_col = next((i for i, n in enumerate(names) if _SOURCE_COLUMN.search(n)), None)
                tables.append((section, block, names, time_col, source_col, []))
                continue
            if block.type == "row":
                section_, header, names, time_col, source_col, rows = tables[-1]
                cells = block.cells
                texts = [body[a:b] for a, b in cells]
                if not any(not _PLACEHOLDER.match(t) for t in texts):
                    continue
                if time_col < len(cells):
                    a, b = cells[time_col]
                else:
                    a, b = block.start, block.start
                parsed = parse_stamp(body[a:b]) if b > a else None
                if source_col is not None:
                    has_source = source_col < len(texts) and not _PLACEHOLDER.match(texts[source_col])
                else:
                    has_source = any(_LINK.search(t) for i, t in enumerate(texts) if i != time_col)
                day, minutes, zone, length = parsed if parsed else (None, None, None, 0)
                label = " ".join(body[a:b].split())
                entry = Entry(
                    section,
                    a,
                    a + length if parsed else b,
                    block.start,
                    block.end,
                    day,
                    minutes,
                    zone,
                    has_source,
                    label,
                )
                entries.append(entry)
                rows.append(entry)
                continue
            if block.type in ("item", "paragraph") and block.parent is None:
                a = block.content_start
                end_of_line = body.find("\n", a)
                end_of_line = block.end if end_of_line == -1 or end_of_line > block.end else end_of_line
                parsed = parse_stamp(body[a:end_of_line])
                if not parsed or (parsed[1] is None and parsed[0] is None):
                    continue
                day, minutes, zone, length = parsed
                text = body[a : block.end]
                entry = Entry(
                    section,
                    a,
                    a + length,
                    block.start,
                    block.end,
                    day,
                    minutes,
                    zone,
                    bool(_LINK.search(text[length:])),
                    " ".join(body[a : a + length].split()),
                )
                entries.append(entry)
    return entries, tables


def _declared_zones(group, doc_text: str | None) -> list[str]:
    zones = []
    for section in group:
        if section.title:
            zones += [m.group("zone") for m in _DECLARED.finditer(section.title)]
        view = section.view
        body = section.body
        for block in view.blocks:
            if block.type == "header":
                zones += [m.group("zone") for m in _DECLARED.finditer(body[block.start : block.end])]
            elif block.type == "paragraph" and parse_stamp(body[block.content_start : block.end]) is None:
                text = body[block.start : block.end]
                if re.search(r"\b(?:time|times|zone|timezone|timestamps?|clock)\b", text, re.I):
                    zones += [m.group("zone") for m in _DECLARED.finditer(text)]
    if not zones and doc_text:
        zones = _document_zones(doc_text)
    return [z for z in (_norm_zone(z) for z in zones) if z]


_ZONE_NOTE = re.compile(rf"\b(?:all\s+)?times?\s+(?:are\s+)?(?:in|shown in|given in)\s+(?P<zone>{_ZONE})", re.I)
_DOC_ZONES: dict[int, tuple[str, list[str]]] = {}


def _document_zones(doc_text: str) -> list[str]:
    """Zones named anywhere in the document ("All times in UTC"), computed once per text."""
    key = id(doc_text)
    cached = _DOC_ZONES.get(key)
    if cached is not None and cached[0] is doc_text:
        return cached[1]
    zones = []
    lowered = doc_text.lower()
    if "time" in lowered:
        zones = [m.group("zone") for m in _ZONE_NOTE.finditer(doc_text)]
    if len(_DOC_ZONES) > 64:
        _DOC_ZONES.clear()
    _DOC_ZONES[key] = (doc_text, zones)
    return zones


def check_timelines(ctx) -> None:
    order_on = ctx.enabled("timeline-order")
    zone_on = ctx.enabled("timeline-timezone")
    source_on = ctx.enabled("timeline-source")
    if not (order_on or zone_on or source_on):
        return
    for group in _timeline_groups(ctx):
        entries, tables = _entries(group)
        real = [e for e in entries if e.start >= 0]
        if order_on:
            _check_order(ctx, entries)
        if zone_on and real:
            _check_zones(ctx, group, real, tables)
        if source_on and real:
            _check_sources(ctx, real)


def _check_sources(ctx, real) -> None:
    principle = RULES["timeline-source"].principle
    missing = [e for e in real if not e.has_source]
    if not missing:
        return
    if len(missing) * 2 > len(real) and len(real) > 1:
        # Mostly unsourced: one finding for the timeline rather than one per row.
        first = missing[0]
        said = (
            f"None of the {len(real)} timeline entries links to a source."
            if len(missing) == len(real)
            else f"{len(missing)} of the {len(real)} timeline entries have no source."
        )
        ctx.report(
            "timeline-source",
            first.section,
            first.row_start,
            first.row_end,
            f"{said} {principle}",
            "Add a Source column with a link per row: the chat message, alert, log line or deploy.",
        )
        return
    for entry in missing:
        ctx.report(
            "timeline-source",
            entry.section,
            entry.row_start,
            entry.row_end,
            f"This timeline entry has no source. {principle}",
            "Link the chat message, alert, log line or deploy this entry comes from.",
        )


def _check_order(ctx, entries) -> None:
    principle = RULES["timeline-order"].principle
    zones = {e.zone for e in entries if e.zone and e.minutes is not None}
    use_offsets = len(zones) > 1 and all(_zone_offset(z) is not None for z in zones)
    first_zone = next((e.zone for e in entries if e.zone and e.minutes is not None), None)
    base_offset = _zone_offset(first_zone) or 0
    current_day = 0  # a virtual day until a date is known
    prev_day = prev_minutes = None
    prev_label = None
    for entry in entries:
        if entry.start < 0:  # a date sub-heading sets the day for the entries below it
            current_day = entry.day
            continue
        if entry.day is None and entry.minutes is None:
            continue
        day, minutes = entry.day, entry.minutes
        offset = _zone_offset(entry.zone) if use_offsets else None
        if minutes is not None and offset is not None:
            minutes -= offset - base_offset  # compare in the timeline's main zone
            if minutes < 0 and day is not None:
                day, minutes = day - 1, minutes + 1440
            elif minutes >= 1440 and day is not None:
                day, minutes = day + 1, minutes - 1440
        if day is None:
            day = current_day
            if (
                prev_minutes is not None
                and minutes is not None
                and prev_day == day
                and minutes < prev_minutes - 12 * 60
            ):
                day += 1  # 23:58 then 00:40 without dates: the clock went past midnight
        current_day = day
        if prev_label is not None:
            if prev_day is not None and day != prev_day:
                earlier = day < prev_day
            else:
                earlier = minutes is not None and prev_minutes is not None and minutes < prev_minutes
            if earlier:
                ctx.report(
                    "timeline-order",
                    entry.section,
                    entry.start,
                    entry.end,
                    f'"{entry.label}" comes after "{prev_label}" but is earlier. {principle}',
                    f'Move this entry above "{prev_label}", or correct its time.',
                )
        if minutes is None:
            if prev_day != day:  # a date-only entry moves the day on but knows no time
                prev_day, prev_minutes, prev_label = day, None, entry.label
            continue
        prev_day, prev_minutes, prev_label = day, minutes, entry.label


def _check_zones(ctx, group, entries, tables) -> None:
    principle = RULES["timeline-timezone"].principle
    declared = _declared_zones(group, ctx.doc.text)
    timed = [e for e in entries if e.minutes is not None]
    if not timed:
        return
    zoned = [e for e in timed if e.zone]
    declared_set = set(declared)
    if len(declared_set) > 1:
        section = group[0]
        ctx.report_section(
            "timeline-timezone",
            section,
            f"The timeline names several time zones ({', '.join(sorted(declared_set))}). {principle}",
            "Pick one zone for the whole timeline and convert the other entries.",
        )
        return
    if declared_set:
        zone = next(iter(declared_set))
        for entry in zoned:
            if entry.zone != zone:
                ctx.report(
                    "timeline-timezone",
                    entry.section,
                    entry.start,
                    entry.end,
                    f"This entry is in {entry.zone} but the timeline is in {zone}. {principle}",
                    f"Convert this time to {zone}.",
                )
        return
    if not zoned:
        first = timed[0]
        anchor_section = first.section
        header = next((h for s, h, *_ in tables if s is anchor_section), None)
        if header is not None:
            ctx.report(
                "timeline-timezone",
                anchor_section,
                header.start,
                header.end,
                f"The timeline does not say which time zone its times are in. {principle}",
                'Name the zone in the header, e.g. "Time (UTC)", or add "All times in UTC."',
            )
        else:
            ctx.report(
                "timeline-timezone",
                anchor_section,
                first.start,
                first.end,
                f"The timeline does not say which time zone its times are in. {principle}",
                'Add "All times in UTC." above the timeline, or the zone after each time.',
            )
        return
    counts: dict[str, int] = {}
    for entry in zoned:
        counts[entry.zone] = counts.get(entry.zone, 0) + 1
    main = max(counts, key=lambda z: (counts[z], -[e.zone for e in zoned].index(z)))
    for entry in timed:
        if entry.zone and entry.zone != main:
            ctx.report(
                "timeline-timezone",
                entry.section,
                entry.start,
                entry.end,
                f"This entry is in {entry.zone} while the others are in {main}. {principle}",
                f"Convert this time to {main}.",
            )
        elif not entry.zone:
            ctx.report(
                "timeline-timezone",
                entry.section,
                entry.start,
                entry.end,
                f"This entry has no time zone while the others are in {main}. {principle}",
                f"Add {main}, or state the zone once for the whole timeline.",
            )


def timeline_minutes(ctx) -> list[float]:
    """Absolute times (in minutes) of the timed entries of every timeline, for duration checks."""
    result = []
    for group in _timeline_groups(ctx):
        entries, _ = _entries(group)
        current_day = 0
        for entry in entries:
            if entry.start < 0:
                current_day = entry.day
                continue
            if entry.day is not None:
                current_day = entry.day
            if entry.minutes is not None:
                result.append(current_day * 1440 + entry.minutes)
    return result
