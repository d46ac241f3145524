"""Understanding a past postmortem (a SourceDocument) without a template of ours: a HistoryRecord.

What is read, and where from (the first source that has it wins):
- title and incident id: front matter (`title`, `id` / `incident_id`), else the first heading when it heads the
  document (or a `Title:` heading with the title under it), else the file name (`PM2021-005 - All services
  returning 503.md` gives id `PM2021-005` and title `All services returning 503`).
- start, end, duration, severity, services: front matter, two-column key/value tables, labelled lines
  (`Date:`, `Start:`, `End:`, `Resolved:`, `Duration:` or else `Time to recovery:`, `Severity:`, `Services:` ...);
  the duration is end minus start when both have a time of day; start and end fall back to
  the first and last dated timeline event, then the start to a date in the opening paragraph ("On 2021-04-27 at
  15:09 UTC we released ...") or in the title. Every value keeps its original text (`Field.original`).
- the document's time zone: front matter (`timezone`, `tz`, `time_zone`), "All times in CET" in prose, a zone in a
  timeline table's header ("Date and Time in CET", "Time (UTC)"), then `default_tz`; times with their own zone
  (`21:17 UTC`) keep it. With no zone at all, times are read as UTC and that is reported.
- sections: each top-level section (by heading) is matched to the built-in template with the most matches, to its
  closest section by title: exact, synonym ("Root causes", "What went wrong" -> contributing factors ...) or fuzzy
  (difflib ratio >= 0.85, the score kept). Unmatched sections are kept verbatim (`key=None`); the text before the
  first section is kept as `preamble`.
- timeline events: rows of tables and items of lists (and paragraphs starting with a time) in timeline-like
  sections, with times as `14:03`, `2021-03-04 14:03 CET`, `2021-12-10   15:40`, `2018-08-22, 03:26pm`, `T+5m`
  (from the start), a date alone, under day headings (`### 2020-02-20`) or after "all events happened on
  <date>". Rows keep the document's order; an unreadable or placeholder time (`HH:mm`) is a problem and the row is
  kept as text (an event with `at=None`).
- action items: checkbox items anywhere, list items and table rows (owner / status / ticket columns) under an
  action-items-like section; ticket references (Jira keys like `ABC-123`, GitHub issue and pull request URLs) are
  collected into `refs`.

The mapping (from a file the user gives; already parsed into a dict) overrides any of it:

    {
      "template": "postmortem",                 # the template key to match sections against
      "sections": {"Stats": "summary",          # section title (as written, case-insensitive) -> template key;
                   "Attendees": null},          #   null keeps the section as an extra section
      "fields": {"title": "...", "incident_id": "...", "severity": "SEV2", "services": ["api"],
                 "started_at": "2021-06-22 08:21", "ended_at": "...", "duration": "25m", "timezone": "CET"}
    }

Unknown keys of the mapping are reported as problems, never ignored silently. Pure data; no Django.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retrospector.importers.history.blocks import Block, SourceDocument

# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class TemplateOutline:
    key: str
    name: str
    sections: tuple[tuple[str, str], ...]  # (section key, title), in the template's order


@dataclass(frozen=True)
class Field:
    value: Any
    original: str  # the text it was read from
    source: str  # "front matter", "table", "labelled line", "heading", "file name", "timeline", "mapping"
    line: int | None = None


@dataclass(frozen=True)
class Section:
    title: str
    line: int
    text: str  # the section's body, verbatim (Markdown), without its heading
    key: str | None = None  # the template section it matched; None for an extra section
    match: str = ""  # "exact", "synonym", "fuzzy", "mapping", or "" when unmatched
    score: float = 0.0  # 1.0 for exact / synonym / mapping; difflib's ratio for fuzzy


@dataclass(frozen=True)
class TicketRef:
    kind: str  # "jira" or "github"
    key: str  # "ABC-123", or "owner/repo#123"
    url: str = ""


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime | None  # aware; None when the row's time could not be read
    text: str  # what happened (the row without its time)
    original: str  # the whole row as written
    line: int
    precision: str = "minute"  # "minute", "second", "day" (a date alone), "relative" (T+5m), "none"


@dataclass(frozen=True)
class ActionItem:
    text: str
    line: int
    done: bool | None = None  # from a checkbox or a status column; None when unknown
    owner: str = ""
    status: str = ""
    refs: tuple[TicketRef, ...] = ()


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str  # what was wrong
    action: str  # what was done with it


@dataclass(frozen=True)
class HistoryRecord:
    path: str
    format: str
    checksum: str
    title: Field | None
    incident_id: Field | None
    template_key: str | None
    timezone: str | None
    started_at: Field | None = None
    ended_at: Field | None = None
    duration: Field | None = None  # value: timedelta
    severity: Field | None = None
    services: Field | None = None  # value: tuple[str, ...]
    milestones: dict[str, Field] = field(default_factory=dict)  # detected_at, acknowledged_at, mitigated_at
    fields: dict[str, Field] = field(default_factory=dict)  # every labelled value read, by its label (lowercase)
    preamble: str = ""
    sections: tuple[Section, ...] = ()
    events: tuple[TimelineEvent, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def matched_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.key is not None)

    @property
    def extra_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.key is None)


# ---------------------------------------------------------------- section titles

# template section key -> other titles people give that section (normalised: lowercase, no punctuation)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "summary": ("overview", "executive summary", "tldr", "tl dr", "description", "incident summary", "abstract"),
    "timeline": ("timeline of events", "events timeline", "events", "chronology", "sequence of events", "timeline"),
    "contributing-factors": (
        "root cause",
        "root causes",
        "causes",
        "cause",
        "what went wrong",
        "contributing factor",
        "root cause of the outage",
        "root cause of the issue",
        "root cause analysis",
        "trigger",
        "fault",
        "analysis",
        "root cause identification",
    ),
    "causes": (
        "root cause",
        "root causes",
        "cause",
        "contributing factors",
        "contributing factor",
        "trigger",
        "fault",
        "root cause of the outage",
        "root cause of the issue",
        "root cause analysis",
    ),
    "went-wrong": ("what went wrong", "what went badly", "what didnt go well"),
    "went-poorly": ("what went wrong", "what went badly", "what didnt go well", "what could have gone better"),
    "could-be-better": ("what went wrong", "what could have gone better", "what could be improved"),
    "went-well": ("what went well", "what went right", "things that went well"),
    "got-lucky": ("where we got lucky", "lucky", "what was lucky"),
    "learned": ("lessons learned", "lessons learnt", "lessons", "learnings", "takeaways", "what we learnt"),
    "learnings": ("lessons learned", "lessons learnt", "lessons", "learnings", "takeaways", "what we learnt"),
    "action-items": (
        "action items",
        "actions",
        "corrective actions",
        "follow up actions",
        "follow ups",
        "followups",
        "future actions",
        "future measures",
        "next steps",
        "long term solution",
        "long term changes",
        "remediation",
        "action plan",
        "todo",
        "action items and follow ups",
    ),
    "actions": (
        "action items",
        "actions",
        "corrective actions",
        "follow up actions",
        "future actions",
        "future measures",
        "next steps",
        "long term solution",
        "remediation",
    ),
    "recommendations": ("action items", "corrective actions", "recommendations", "future measures", "next steps"),
    "resolution": (
        "resolution",
        "fix",
        "short term fix",
        "mitigation",
        "recovery",
        "response",
        "action taken",
        "actions taken",
        "how it was fixed",
        "remediation steps",
    ),
    "impact": ("impact", "user impact", "customer impact", "affected services", "affected crates", "scope"),
    "user-impact": ("impact", "user impact", "customer impact", "impact on customers"),
    "detection": ("detection", "how it was detected", "discovery"),
    "participants": ("attendees", "participants", "involved", "people involved", "authors"),
    "responders": ("responders", "attendees", "involved", "people involved"),
    "authors": ("authors", "author", "written by"),
    "owner": ("owner", "postmortem owner", "incident owner"),
    "what-happened": ("what happened", "leadup", "lead up", "background"),
    "context": ("background", "context", "leadup"),
}

_WEIGHT = {"exact": 1.0, "synonym": 0.9}  # ties between templates go to the one matched more literally
_ACTION_KEYS = {"action-items", "actions", "recommendations", "potential-actions"}
_TIMELINE_KEYS = {"timeline"}


def _norm(title: str) -> str:
    t = title.lower().replace("(s)", "s").replace("’", "").replace("'", "")
    t = re.sub(r"\([^)]*\)", " ", t)
    t = re.sub(r"[^a-z0-9]+", " ", t)
    return " ".join(t.split())


def _match_section(title: str, outline: TemplateOutline, *, fuzzy: bool = True) -> tuple[str | None, str, float]:
    return _match_norm(_norm(title), outline, fuzzy)


@functools.lru_cache(maxsize=8192)  # section titles repeat from one write-up to the next
def _match_norm(n: str, outline: TemplateOutline, fuzzy: bool) -> tuple[str | None, str, float]:
    if not n:
        return None, "", 0.0
    for key, t in outline.sections:
        if _norm(t) == n:
            return key, "exact", 1.0
    for key, _t in outline.sections:
        if n in SYNONYMS.get(key, ()):
            return key, "synonym", 1.0
    if not fuzzy:
        return None, "", 0.0
    best: tuple[str | None, float] = (None, 0.0)
    matcher = difflib.SequenceMatcher(None, "", n)  # n as the second sequence: its index is built once
    for key, t in outline.sections:
        for cand in (_norm(t), *SYNONYMS.get(key, ())):
            matcher.set_seq1(cand)
            if matcher.real_quick_ratio() < 0.85 or matcher.quick_ratio() < 0.85:
                continue
            r = matcher.ratio()
            if r > best[1]:
                best = (key, r)
    if best[1] >= 0.85:
        return best[0], "fuzzy", round(best[1], 3)
    return None, "", 0.0


# ---------------------------------------------------------------- times

ZONE_ABBREVIATIONS = {
    "UTC": "UTC",
    "GMT": "UTC",
    "Z": "UTC",
    "CET": "CET",
    "CEST": "CET",
    "EET": "EET",
    "EEST": "EET",
    "WET": "WET",
    "WEST": "WET",
    "BST": "Europe/London",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "JST": "Asia/Tokyo",
    "IST": "Asia/Kolkata",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}
_ZONE_RE = r"(?:UTC|GMT|CEST|CET|EEST|EET|WEST|WET|BST|EST|EDT|CST|CDT|PST|PDT|MST|MDT|JST|IST|AEST|AEDT|Z\b)"
_OFFSET_RE = r"(?:[+-]\d{2}:?\d{2})"
# Zones named in words in an "All times ..." sentence (North America's, as written there).
_ZONE_WORDS = {
    "pacific": "America/Los_Angeles",
    "mountain": "America/Denver",
    "central": "America/Chicago",
    "eastern": "America/New_York",
}
_ZONE_WORDS_RE = r"(?:pacific|mountain|central|eastern)"
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_MONTH_RE = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY_RE = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DMY_NAMED = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+(" + _MONTH_RE + r"),?\s+(\d{4})", re.I)
_MDY_NAMED = re.compile(r"(" + _MONTH_RE + r")\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.I)
# 04.03.2021 is day first wherever dots are written; 04/03/2022 is read only when one side is past 12 (13/03, 03/13).
_DMY_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")
_SLASHED = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
# How a slashed date both of whose numbers could be the month (04/03/2021) is read: "day-first", "month-first", or
# None (not guessed). Set for one document by understand(): from the mapping (`dates:`), else from the document's
# other slashed dates when they all point one way (13/03/2021 is day first, 03/13/2021 month first).
DATE_ORDERS = ("day-first", "month-first")
_SLASH_ORDER: ContextVar[str | None] = ContextVar("slash_order", default=None)
_TIME = re.compile(
    r"(?<!\d)(\d{1,2})[:h](\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(am|pm|a\.m\.|p\.m\.)?"
    r"(?:\s*(" + _ZONE_RE + r"|" + _OFFSET_RE + r"))?",
    re.I,
)
_RELATIVE = re.compile(r"^T\s*([+-])\s*(\d+)\s*(s|sec|m|min|mins|h|hr|hrs|d)\b", re.I)
_PLACEHOLDER_AT = re.compile(r"(HH[:.]?mm|HH:MM|\d{1,2}:\?\?|\?\?(?::\?\?)?|[xX]{2}:[xX]{2})", re.I)
_PLACEHOLDER = re.compile(r"\b(?:HH[:.]?mm|hh[:.]mm|HH:MM|\d{0,4}[xX?]{2}|MM-DD|YYYY|[?]{2})\b|\?\?")
_LEAD = re.compile(r"^[\s*_>`~\[\]]*")
_SEP = re.compile(r"^[\s*_`]*(?:[-–—:|,]\s*)?[\s*_`]*")


def zone_for(name: str | None) -> tzinfo | None:
    if not name:
        return None
    key = ZONE_ABBREVIATIONS.get(name.strip().upper(), name.strip())
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _tz_of(token: str | None, default: tzinfo) -> tzinfo:
    if not token:
        return default
    token = token.strip()
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", token)
    if m:
        from datetime import timezone

        sign = 1 if m.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    return zone_for(token) or default


def _read_date(text: str) -> tuple[date | None, int, int]:
    """The first date in `text`: (date, start, end) or (None, -1, -1)."""
    for rx, order in (
        (_ISO_DATE, "ymd"),
        (_DMY_NAMED, "dmy"),
        (_MDY_NAMED, "mdy"),
        (_DMY_DOTTED, "d.m.y"),
        (_SLASHED, "d/m/y"),
    ):
        m = rx.search(text)
        if not m:
            continue
        try:
            if order == "ymd":
                d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            elif order == "d.m.y":
                d = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            elif order == "d/m/y":
                first, second = int(m.group(1)), int(m.group(2))
                preferred = _SLASH_ORDER.get()
                if first <= 12 and second <= 12 and first != second and preferred is None:
                    return None, m.start(), m.end()  # 04/03: April or March? Not guessed
                if first > 12 or first == second:
                    day, month = first, second
                elif second > 12:
                    day, month = second, first
                else:
                    day, month = (first, second) if preferred == "day-first" else (second, first)
                d = date(int(m.group(3)), month, day)
            elif order == "dmy":
                d = date(int(m.group(3)), _MONTHS[m.group(2).lower().rstrip(".")], int(m.group(1)))
            else:
                d = date(int(m.group(3)), _MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2)))
        except (ValueError, KeyError):
            return None, m.start(), m.end()
        return d, m.start(), m.end()
    return None, -1, -1


@dataclass(frozen=True)
class _When:
    at: datetime | None
    precision: str
    rest: str  # the text after the time
    problem: str = ""  # why the time could not be read, if it could not
    explicit_date: bool = False


def _time_parts(m: re.Match) -> tuple[int, int, int] | None:
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    ampm = (m.group(4) or "").lower().replace(".", "")
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm == "pm" else 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return h, mi, s


def read_when(text: str, *, base: date | None, zone: tzinfo, start: datetime | None = None) -> _When | None:
    """Read a time at the start of `text` (a timeline row). None when the row does not start with anything like a
    time; a _When with `at=None` and a `problem` when it does but cannot be read."""
    lead = _LEAD.match(text)
    s = text[lead.end() :] if lead else text
    rel = _RELATIVE.match(s)
    if rel:
        unit = rel.group(3).lower()[0]
        amount = int(rel.group(2)) * (-1 if rel.group(1) == "-" else 1)
        delta = {"s": timedelta(seconds=amount), "m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
            unit, timedelta(days=amount)
        )
        rest = _strip_sep(s[rel.end() :])
        if start is None:
            return _When(None, "relative", rest, "a time relative to the start (T+) but no start time is known")
        return _When(start + delta, "relative", rest)
    head = s[:40]
    ph = _PLACEHOLDER.search(head)
    s_wd = re.sub(r"^" + _WEEKDAY_RE, "", s, flags=re.I)
    d, ds, de = _read_date(s_wd[:40])
    if d is not None and ds <= 1:
        after = s_wd[de:]
        tm = re.match(r"^[\s,T@]*(?:at\s+)?", after, re.I)
        after2 = after[tm.end() :]
        t = _TIME.match(after2)
        if t and _time_parts(t):
            h, mi, sec = _time_parts(t)
            at = datetime(d.year, d.month, d.day, h, mi, sec, tzinfo=_tz_of(t.group(5), zone))
            return _When(at, "second" if t.group(3) else "minute", _strip_sep(after2[t.end() :]), explicit_date=True)
        hole = _PLACEHOLDER_AT.match(after2)
        if hole:
            return _When(
                datetime(d.year, d.month, d.day, tzinfo=zone),
                "day",
                _after_placeholder(after2),
                f"the time is a placeholder ({hole.group(1)}); only the date was read",
                explicit_date=True,
            )
        z = re.match(r"^\s*(" + _ZONE_RE + r")", after2)
        rest = after2[z.end() :] if z else after2
        return _When(datetime(d.year, d.month, d.day, tzinfo=zone), "day", _strip_sep(rest), explicit_date=True)
    t = _TIME.match(s_wd)
    if t:
        parts = _time_parts(t)
        if parts is None:
            return _When(None, "none", _strip_sep(s_wd[t.end() :]), f"“{t.group(0).strip()}” is not a time of day")
        # a date may follow the time ("01:52 UTC, 2022-10-28")
        tail = s_wd[t.end() :]
        d2, ds2, de2 = _read_date(tail[:20])
        rest_text = tail
        explicit = False
        if d2 is not None and ds2 <= 3:
            base, rest_text, explicit = d2, tail[de2:], True
        if base is None:
            return _When(None, "none", _strip_sep(rest_text), "a time of day with no date known for it")
        h, mi, sec = parts
        at = datetime(base.year, base.month, base.day, h, mi, sec, tzinfo=_tz_of(t.group(5), zone))
        return _When(at, "second" if t.group(3) else "minute", _strip_sep(rest_text), explicit_date=explicit)
    if ph and ph.start() <= 1:
        return _When(None, "none", _after_placeholder(s), f"the time is a placeholder ({ph.group(0)})")
    return None


def _after_placeholder(s: str) -> str:
    m = re.match(r"^[\s\w?:/.-]*?(?:HH[:.]?mm|HH:MM|\?\?)\s*", s, re.I)
    return _strip_sep(s[m.end() :] if m else s)


def _strip_sep(s: str) -> str:
    m = _SEP.match(s)
    out = s[m.end() :] if m else s
    return out.strip().strip("*").strip()


# ---------------------------------------------------------------- references

_JIRA = re.compile(r"\b([A-Z][A-Z0-9]{1,9}-[1-9]\d{0,6})\b")
_NOT_JIRA = {"UTF", "SHA", "ISO", "AES", "RFC", "CVE", "TLS", "SSL", "HTTP", "PEP", "GHSA", "MD", "SEV", "P", "PM"}
_GITHUB = re.compile(r"https?://github\.com/([\w.-]+)/([\w.-]+)/(issues|pull)/(\d+)")
_REF_DEF = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*<?([^\s>]+)>?[^\n]*$", re.M)
_REF_USE = re.compile(r"\[([^\]]+)\](?:\[([^\]]*)\])?")


def ticket_refs(text: str, definitions: dict[str, str] | None = None) -> tuple[TicketRef, ...]:
    """Jira keys and GitHub issue / pull request URLs in `text` (link reference definitions resolved)."""
    urls = [text]
    if definitions:
        for m in _REF_USE.finditer(text):
            label = (m.group(2) or m.group(1)).strip().lower()
            if label in definitions:
                urls.append(definitions[label])
    refs: list[TicketRef] = []
    seen: set[str] = set()
    for chunk in urls:
        for m in _GITHUB.finditer(chunk):
            key = f"{m.group(1)}/{m.group(2)}#{m.group(4)}"
            if key not in seen:
                seen.add(key)
                refs.append(TicketRef("github", key, m.group(0)))
    no_urls = re.sub(r"[A-Za-z][A-Za-z0-9+.-]{0,20}://\S+", " ", text)
    no_code = re.sub(r"`[^`]*`", " ", no_urls)
    for m in _JIRA.finditer(no_code):
        key = m.group(1)
        project = key.split("-")[0]
        if project in _NOT_JIRA or any(c.isdigit() for c in project) or key in seen:
            continue
        seen.add(key)
        refs.append(TicketRef("jira", key))
    return tuple(refs)


# ---------------------------------------------------------------- labels

_LABELS = {
    # The moments between start and end (the incident's milestones), as labels that name them outright: a heading
    # such as "Detection" or "Mitigation" heads prose, not a time.
    "detected": "detected",
    "detected at": "detected",
    "detection time": "detected",
    "time detected": "detected",
    "time of detection": "detected",
    "first alert": "detected",
    "alerted at": "detected",
    "acknowledged": "acknowledged",
    "acknowledged at": "acknowledged",
    "acked at": "acknowledged",
    "mitigated": "mitigated",
    "mitigated at": "mitigated",
    "mitigation time": "mitigated",
    "time mitigated": "mitigated",
    "impact mitigated": "mitigated",
    "service restored": "mitigated",
    "restored at": "mitigated",
    "recovered at": "mitigated",
    "time to detect": "time to detect",
    "time to detection": "time to detect",
    "ttd": "time to detect",
    "time to acknowledge": "time to acknowledge",
    "tta": "time to acknowledge",
    "time to mitigate": "time to mitigate",
    "time to mitigation": "time to mitigate",
    "date": "date",
    "incident date": "date",
    "date of incident": "date",
    "when": "date",
    "day": "date",
    "start": "start",
    "started": "start",
    "start time": "start",
    "started at": "start",
    "began": "start",
    "incident start": "start",
    "start date": "start",
    "end": "end",
    "ended": "end",
    "end time": "end",
    "ended at": "end",
    "resolved": "end",
    "resolved at": "end",
    "resolution time": "end",
    "end date": "end",
    "incident end": "end",
    "duration": "duration",
    "length": "duration",
    "outage duration": "duration",
    "total duration": "duration",
    "severity": "severity",
    "sev": "severity",
    "priority": "severity",
    "impact level": "severity",
    "services": "services",
    "service": "services",
    "affected services": "services",
    "systems": "services",
    "affected systems": "services",
    "components": "services",
    "affected components": "services",
    "timezone": "timezone",
    "time zone": "timezone",
    "tz": "timezone",
    "time_zone": "timezone",
    "title": "title",
    "id": "incident_id",
    "incident id": "incident_id",
    "incident_id": "incident_id",
    "incident": "incident_id",
    "incident number": "incident_id",
    "incident no": "incident_id",
    "incident ref": "incident_id",
    "reference": "incident_id",
    "impact start": "start",
    "impact began": "start",
    "outage start": "start",
    "impact end": "end",
    "outage end": "end",
    "recovered": "end",
}
# "Services affected", "Applications impacted", "Impacted systems": services, however the words are ordered.
_SERVICES_LABEL = re.compile(
    r"^(?:(?:affected|impacted)\s+)?(?:services?|systems?|applications?|apps?|components?|products?)"
    r"(?:\s+(?:affected|impacted|involved))?$"
)
# A date a file's name begins with: 2022-11-08-push-notifications, 20221108_dns, 2022.11.08 DNS outage.
_FILE_DATE = re.compile(r"((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?=$|[-_.\s])[-_.\s]*")
MILESTONE_LABELS = {"detected": "detected_at", "acknowledged": "acknowledged_at", "mitigated": "mitigated_at"}
MILESTONE_DELAYS = {
    "time to detect": "detected_at",
    "time to acknowledge": "acknowledged_at",
    "time to mitigate": "mitigated_at",
}
_ITEM_STATUS = re.compile(
    r"(?:[-–—|:]\s*|\(\s*)(done|closed|complete|completed|fixed|resolved|open|to ?do|not started|in progress|ongoing"
    r"|won.?t\s*(?:do|fix)|wontfix|dropped|cancell?ed|rejected)"
    r"\s*\)?\s*\.?\s*$",
    re.I,
)
_LABEL_LINE = re.compile(r"^[\s>*_-]*\**([A-Za-z][A-Za-z _/()-]{0,40}?)\**\s*:\**\s*(.*?)\s*\**\s*$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)\b", re.I)


def parse_duration(text: str) -> timedelta | None:
    text = text.strip()
    m = re.fullmatch(r"(\d{1,3}):(\d{2})(?::(\d{2}))?", text)
    if m:
        return timedelta(hours=int(m.group(1)), minutes=int(m.group(2)), seconds=int(m.group(3) or 0))
    total = timedelta()
    found = False
    for m in _DURATION.finditer(text):
        found = True
        n = float(m.group(1))
        u = m.group(2).lower()
        if u.startswith("d"):
            total += timedelta(days=n)
        elif u.startswith("h"):
            total += timedelta(hours=n)
        elif u.startswith("m"):
            total += timedelta(minutes=n)
        else:
            total += timedelta(seconds=n)
    return total if found else None


def _split_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(p.strip() for p in re.split(r"[,;]|\band\b", str(value)) if p.strip())


# ---------------------------------------------------------------- understanding


@dataclass
class _Raw:
    """A section while it is being read: its heading block and its blocks."""

    title: str
    line: int
    level: int
    blocks: list[Block] = field(default_factory=list)


class _Reader:
    def __init__(self, doc: SourceDocument, templates, default_tz, mapping):
        self.doc = doc
        self.templates = list(templates)
        self.default_tz = default_tz
        self.mapping = mapping or {}
        self.problems: list[Problem] = []
        self.fields: dict[str, Field] = {}
        self.text_lines = re.split(r"\r\n|\r|\n", doc.text)  # the line breaks markdown-it counts
        self.definitions = {m.group(1).strip().lower(): m.group(2) for m in _REF_DEF.finditer(doc.text)}
        # A date the file's name begins with (2022-11-08-push-notifications.md), with the name: found by _title.
        self.file_date: Field | None = None

    def problem(self, line: int | None, message: str, action: str) -> None:
        self.problems.append(Problem(self.doc.path, line, message, action))

    # -- text of a range of file lines
    def body_text(self, first_line: int, last_line: int | None) -> str:
        start = max(first_line - self.doc.body_line, 0)
        end = len(self.text_lines) if last_line is None else max(last_line - self.doc.body_line, start)
        return "\n".join(self.text_lines[start:end]).strip("\n")

    def run(self) -> HistoryRecord:
        doc = self.doc
        for p in doc.problems:
            self.problem(p.line, p.message, "reported by the reader")
        self._check_mapping()
        blocks = list(doc.blocks)
        title, incident_id, blocks = self._title(blocks)
        preamble_blocks, raws = self._split_sections(blocks)
        self._labels_from_front_matter()
        for b in preamble_blocks:
            self._labels_from_block(b)
        for r in raws:
            self._labels_from_heading(r)
            for b in r.blocks:
                self._labels_from_block(b)
        zone_name = self._zone(blocks)
        if zone_name is None:
            zone = ZoneInfo("UTC")
        else:
            zone = zone_for(zone_name) or ZoneInfo("UTC")
        self.zone = zone
        template, sections = self._sections(raws)
        start_field, end_field = self._dates(title)
        # Relative times (T+5m) count from a start stated in the opening prose ("T0 = 2022-08-17 09:12 UTC") too.
        prose_start = None
        if start_field is None:
            prose_start = self._start_in_prose(preamble_blocks, raws, sections)
        events = self._events(raws, sections, start_field or prose_start, title)
        if (
            zone_name is None
            and events
            and not any(re.search(_ZONE_RE, e.original) for e in events if e.at is not None)
        ):
            self.problem(None, "no time zone is stated for the timeline", "its times were read as UTC")
        dated = [e.at for e in events if e.at is not None and e.precision != "relative"]
        if start_field is None and dated:
            first = min(dated)
            ev = next(e for e in events if e.at == first)
            start_field = Field(first, ev.original, "timeline", ev.line)
        if start_field is None:
            start_field = self._start_in_prose(preamble_blocks, raws, sections)
        if start_field is None and title is not None and title.source != "file name":
            d, _, _ = _read_date(str(title.value))
            if d is not None:
                start_field = Field(datetime(d.year, d.month, d.day, tzinfo=zone), str(title.value), "title")
        if start_field is None and self.file_date is not None:
            d = self.file_date.value
            start_field = replace(self.file_date, value=datetime(d.year, d.month, d.day, tzinfo=zone))
        if end_field is None and dated and max(dated) != (start_field.value if start_field else None):
            last = max(dated)
            ev = next(e for e in reversed(events) if e.at == last)
            end_field = Field(last, ev.original, "timeline", ev.line)
        duration = self._duration(start_field, end_field)
        milestones = self._milestones(start_field)
        actions = self._actions(preamble_blocks, raws, sections)
        severity = self.fields.get("severity")
        services = self.fields.get("services")
        if services is not None and not isinstance(services.value, tuple):
            services = Field(_split_list(services.value), services.original, services.source, services.line)
        overrides = self.mapping.get("fields") or {}
        title = self._override(overrides, "title", title)
        incident_id = self._override(overrides, "incident_id", incident_id)
        severity = self._override(overrides, "severity", severity)
        if "services" in overrides:
            services = Field(_split_list(overrides["services"]), str(overrides["services"]), "mapping")
        if "started_at" in overrides:
            start_field = self._mapped_time(overrides["started_at"], start_field)
        if "ended_at" in overrides:
            end_field = self._mapped_time(overrides["ended_at"], end_field)
        if "duration" in overrides:
            d = parse_duration(str(overrides["duration"]))
            if d is not None:
                duration = Field(d, str(overrides["duration"]), "mapping")
        first = doc.body_line
        if title is not None and title.source == "heading" and title.line is not None:
            first = title.line + 1
        preamble = self.body_text(first, raws[0].line if raws else None) if preamble_blocks else ""
        return HistoryRecord(
            path=doc.path,
            format=doc.format,
            checksum=doc.checksum,
            title=title,
            incident_id=incident_id,
            template_key=template.key if template else None,
            timezone=zone_name,
            started_at=start_field,
            ended_at=end_field,
            duration=duration,
            severity=severity,
            services=services,
            milestones=milestones,
            fields=dict(self.fields),
            preamble=preamble,
            sections=tuple(sections),
            events=tuple(events),
            action_items=tuple(actions),
            problems=tuple(self.problems),
        )

    # -- mapping
    def _check_mapping(self) -> None:
        known = {"template", "sections", "fields", "dates"}
        for k in self.mapping:
            if k not in known:
                self.problem(None, f"the mapping has an unknown key “{k}”", "it was ignored")
        for k in self.mapping.get("fields") or {}:
            if k not in {
                "title",
                "incident_id",
                "severity",
                "services",
                "started_at",
                "ended_at",
                "duration",
                "timezone",
            }:
                self.problem(None, f"the mapping sets an unknown field “{k}”", "it was ignored")
        dates = self.mapping.get("dates")
        if dates is not None and dates not in DATE_ORDERS:
            self.problem(None, f"the mapping's dates “{dates}” is not day-first or month-first", "it was ignored")
        tkey = self.mapping.get("template")
        if tkey and tkey not in {t.key for t in self.templates}:
            self.problem(None, f"the mapping names an unknown template “{tkey}”", "the closest template was chosen")

    def _override(self, overrides: dict, name: str, current: Field | None) -> Field | None:
        if name in overrides and overrides[name] not in (None, ""):
            return Field(str(overrides[name]), str(overrides[name]), "mapping")
        return current

    def _mapped_time(self, value: Any, current: Field | None) -> Field | None:
        at = self._as_datetime(value, None)
        if at is None:
            self.problem(None, f"the mapping's time “{value}” could not be read", "the document's value was kept")
            return current
        return Field(at, str(value), "mapping")

    # -- title
    def _title(self, blocks: list[Block]) -> tuple[Field | None, Field | None, list[Block]]:
        fm = self.doc.front_matter
        title: Field | None = None
        incident_id: Field | None = None
        for k in ("title", "name"):
            if isinstance(fm.get(k), (str, int, float)) and str(fm[k]).strip():
                title = Field(str(fm[k]).strip(), str(fm[k]), "front matter")
                break
        for k in ("id", "incident_id", "incident-id", "incident"):
            if isinstance(fm.get(k), (str, int)) and str(fm[k]).strip():
                incident_id = Field(str(fm[k]).strip(), str(fm[k]), "front matter")
                break
        headings = [i for i, b in enumerate(blocks) if b.kind == "heading"]
        if title is not None and headings:
            # The front matter's title repeated as the first heading (with the sections under it): a title, not a
            # section holding the whole document.
            i = headings[0]
            h = blocks[i]
            before = [b for b in blocks[:i] if b.kind != "rule"]
            nxt_levels = [blocks[j].level for j in headings[1:]]
            same = _norm(h.text) == _norm(str(title.value))
            if not before and (same or (h.level == 1 and nxt_levels and min(nxt_levels) > 1)):
                blocks = blocks[:i] + blocks[i + 1 :]
        elif title is None and headings:
            i = headings[0]
            h = blocks[i]
            before = [b for b in blocks[:i] if b.kind != "rule"]
            m = re.fullmatch(r"title\s*:\s*(.*)", h.text, re.I)
            if m and not before:
                if m.group(1).strip():
                    title = Field(m.group(1).strip(), h.text, "heading", h.line)
                    blocks = blocks[:i] + blocks[i + 1 :]
                elif len(headings) > 1 and headings[1] == i + 1:
                    nxt = blocks[i + 1]
                    title = Field(nxt.text.strip(), nxt.text, "heading", nxt.line)
                    blocks = blocks[:i] + blocks[i + 2 :]
            elif not before and not _is_label_heading(h.text):
                # the first heading heads the document when the next one is deeper (or there is none)
                nxt_levels = [blocks[j].level for j in headings[1:]]
                looks_like_a_section = any(_match_section(h.text, t, fuzzy=False)[0] for t in self.templates)
                if (not nxt_levels or nxt_levels[0] > h.level) and not (looks_like_a_section and h.level > 1):
                    title = Field(h.text.strip(), h.text, "heading", h.line)
                    blocks = blocks[:i] + blocks[i + 1 :]
        name = PurePosixPath(self.doc.path.replace("\\", "/")).name
        stem = re.sub(r"\.(md|markdown|mdown|txt|html?|docx)$", "", name, flags=re.I)
        dated = _FILE_DATE.match(stem)
        if dated:
            try:
                self.file_date = Field(date(*map(int, dated.groups())), name, "file name")
            except ValueError:  # 2021-02-30
                dated = None
        if dated and stem[dated.end() :].strip(" -_"):
            stem = stem[dated.end() :]  # the title is what follows the date
        m = re.match(r"^\s*([A-Za-z]{0,6}\d[\w]*-\d+|\d+)\s*[-_–—]+\s*(.+)$", stem)
        if m and re.fullmatch(r"(19|20)\d\d-[01]\d", m.group(1)):
            m = None  # 2022-11-08-push-notifications: a date, not an id
        if m is None:
            m = re.match(r"^\s*([A-Za-z]{2,6}[-_]\d{2,4}[-_]\d{1,5})(?:\s*[-_–—]+\s*(.+))?$", stem)
            if m and incident_id is None:
                incident_id = Field(m.group(1).replace("_", "-").upper(), name, "file name")
            if m and m.group(2) is None:
                m = None  # the id alone: the title comes from the document
        if m:
            if incident_id is None:
                incident_id = Field(m.group(1), name, "file name")
            if title is None:
                t = " ".join(m.group(2).split())
                if "-" in t and " " not in t:
                    t = t.replace("-", " ").capitalize()
                title = Field(t, name, "file name")
        if title is None and stem.strip():
            t = " ".join(stem.split())
            if " " not in t:
                t = t.replace("-", " ").replace("_", " ").capitalize()
            title = Field(t, name, "file name")
        return title, incident_id, blocks

    # -- sections
    def _split_sections(self, blocks: list[Block]) -> tuple[list[Block], list[_Raw]]:
        headings = [b for b in blocks if b.kind == "heading" and not _is_label_heading(b.text)]
        if not headings:
            return blocks, []
        counts: dict[int, int] = {}
        for h in headings:
            counts[h.level] = counts.get(h.level, 0) + 1
        # sections are at the first heading's level, unless a shallower level has more headings (a document
        # opening with `## Owner: ...` lines before its `#` sections)
        top = headings[0].level
        for lv in sorted(counts):
            if lv < top and counts[lv] > counts[top]:
                top = lv
                break
        preamble: list[Block] = []
        raws: list[_Raw] = []
        for b in blocks:
            if b.kind == "heading" and b.level <= top and not _is_label_heading(b.text):
                raws.append(_Raw(b.text.strip(), b.line, b.level))
            elif raws:
                raws[-1].blocks.append(b)
            else:
                preamble.append(b)
        return preamble, raws

    def _sections(self, raws: list[_Raw]) -> tuple[TemplateOutline | None, list[Section]]:
        if not self.templates:
            return None, [self._section(r, i, raws, None, "", 0.0) for i, r in enumerate(raws)]
        forced = {_norm(str(k)): v for k, v in (self.mapping.get("sections") or {}).items()}
        tkey = self.mapping.get("template")
        chosen = next((t for t in self.templates if t.key == tkey), None)
        if chosen is None:
            best = (-1, -1.0, None)
            for t in self.templates:
                matches = [_match_section(r.title, t) for r in raws]
                count = sum(1 for k, _, _ in matches if k)
                score = sum(_WEIGHT.get(how, 0.8) * s for k, how, s in matches if k)
                if (count, score) > best[:2]:
                    best = (count, score, t)
            chosen = best[2]
        keys = {k for k, _ in chosen.sections}
        out = []
        for i, r in enumerate(raws):
            n = _norm(r.title)
            if n in forced:
                target = forced[n]
                if target is None:
                    out.append(self._section(r, i, raws, None, "mapping", 1.0))
                    continue
                if target in keys:
                    out.append(self._section(r, i, raws, target, "mapping", 1.0))
                    continue
                self.problem(
                    r.line,
                    f"the mapping sends section “{r.title}” to “{target}”, which template “{chosen.key}” lacks",
                    "the section was matched by its title instead",
                )
            k, how, score = _match_section(r.title, chosen)
            out.append(self._section(r, i, raws, k, how, score))
        return chosen, out

    def _section(self, r: _Raw, i: int, raws: list[_Raw], key, how, score) -> Section:
        nxt = raws[i + 1].line if i + 1 < len(raws) else None
        return Section(r.title, r.line, self.body_text(r.line + 1, nxt), key, how, score)

    # -- labelled values
    def _put(self, label: str, value: Any, original: str, source: str, line: int | None) -> None:
        key = " ".join(label.strip().lower().split())
        canon = _LABELS.get(key) or ("services" if _SERVICES_LABEL.match(key) else None)
        name = canon or key
        if name not in self.fields:
            self.fields[name] = Field(value, original, source, line)

    def _labels_from_front_matter(self) -> None:
        for k, v in self.doc.front_matter.items():
            if isinstance(v, dict):
                continue
            self._put(str(k).replace("-", " ").replace("_", " "), v, str(v), "front matter", None)

    def _labels_from_heading(self, r: _Raw) -> None:
        m = _LABEL_LINE.match(r.title)
        if m and m.group(2).strip():
            self._put(m.group(1), m.group(2).strip(), r.title, "labelled line", r.line)
        canon = _LABELS.get(_norm(r.title))
        if canon and r.blocks and r.blocks[0].kind == "paragraph" and ":" not in r.blocks[0].text.split("\n")[0]:
            self._put(canon, r.blocks[0].text.strip(), r.blocks[0].text, "labelled line", r.blocks[0].line)

    def _labels_from_block(self, b: Block) -> None:
        if b.kind == "heading" and _is_label_heading(b.text):
            self._label_line(b.text, b.line)
        elif b.kind == "paragraph":
            for j, ln in enumerate(b.text.split("\n")):
                self._label_line(ln, b.line + j)
        elif b.kind == "list":
            for it in b.items:
                self._label_line(it.text, it.line)
        elif b.kind == "table" and b.rows and all(len(r) == 2 for r in b.rows):
            rows = b.rows
            for j, (k, v) in enumerate(rows):
                if _LABELS.get(_norm(k)) or _SERVICES_LABEL.match(_norm(k)) or (_norm(k) in ("category",)):
                    self._put(_norm(k), v.strip(), f"{k} | {v}", "table", _row_line(b, j))

    def _label_line(self, text: str, line: int) -> None:
        m = _LABEL_LINE.match(text)
        if not m or not m.group(2).strip():
            return
        label = m.group(1).strip()
        if len(label.split()) > 5:
            return
        self._put(label, m.group(2).strip(), text.strip(), "labelled line", line)

    # -- zone
    def _zone(self, blocks: list[Block]) -> str | None:
        tz = self.mapping.get("fields", {}).get("timezone") if self.mapping.get("fields") else None
        if tz:
            if zone_for(str(tz)):
                return str(tz)
            self.problem(None, f"the mapping's time zone “{tz}” is unknown", "it was ignored")
        f = self.fields.get("timezone")
        if f is not None:
            if zone_for(str(f.value)):
                return str(f.value)
            self.problem(f.line, f"the time zone “{f.value}” is unknown", "it was ignored")
        rx = re.compile(
            r"\b(?:all\s+)?(?:times?|timestamps?|dates?)\b[^.\n|]{0,30}?\b(?:in|are)\s+\(?(" + _ZONE_RE + r")\b"
            r"|\b(?:times?|date)\s*\((" + _ZONE_RE + r")\)"
            # "All times EET.", "All times are local (CET).", "Times are ship time (CET)", "All times Pacific."
            r"|^[\s*_]*(?:all\s+)?(?:times?|timestamps?)\b[^.\n|]{0,40}?\b("
            + _ZONE_RE
            + r"|"
            + _ZONE_WORDS_RE
            + r")\b",
            re.I,
        )
        for b in blocks:
            texts = []
            if b.kind == "paragraph":
                texts.append((b.text, b.line))
            elif b.kind == "table" and b.rows and b.has_header:
                texts.append((" | ".join(b.rows[0]), b.line))
            for t, _line in texts:
                m = rx.search(t)
                if m:
                    found = m.group(1) or m.group(2) or m.group(3)
                    return _ZONE_WORDS.get(found.lower(), found.upper())
        if self.default_tz and zone_for(self.default_tz):
            return self.default_tz
        return None

    # -- dates
    def _as_datetime(self, value: Any, base_zone: tzinfo | None, base: date | None = None) -> datetime | None:
        zone = base_zone or getattr(self, "zone", None) or ZoneInfo("UTC")
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=zone)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=zone)
        text = str(value)
        w = read_when(text, base=base, zone=zone)
        if w is not None and w.at is not None:
            return w.at
        d, ds, _ = _read_date(text)
        if d is not None:
            t = _TIME.search(text)
            if t and _time_parts(t):
                h, mi, s = _time_parts(t)
                return datetime(d.year, d.month, d.day, h, mi, s, tzinfo=_tz_of(t.group(5), zone))
            return datetime(d.year, d.month, d.day, tzinfo=zone)
        return None

    def _dates(self, title: Field | None) -> tuple[Field | None, Field | None]:
        start = end = None
        # A date given apart ("Date: January 12, 2023") is the day of a start or end given as a time alone
        # ("Impact start: 3:26pm PST").
        day_field = self.fields.get("date")
        day = self._as_datetime(day_field.value, None) if day_field is not None else None
        base = day.date() if day is not None else None
        for name, target in (("start", "start"), ("date", "start"), ("end", "end")):
            f = self.fields.get(name)
            if f is None:
                continue
            at = self._as_datetime(f.value, None, base)
            if at is None:
                self.problem(f.line, f"the {name} “{f.original}” could not be read as a date", "it was kept as text")
                continue
            if target == "start" and start is None:
                start = Field(at, f.original, f.source, f.line)
            elif target == "end" and end is None:
                end = Field(at, f.original, f.source, f.line)
        return start, end

    def _milestones(self, start: Field | None) -> dict[str, Field]:
        """Detected, acknowledged and mitigated from labels naming them ("Detected: 14:05", "Mitigated at: 2021-03-04
        14:40 UTC", on the start's day when only a time is given) or a delay after the start ("Time to detect: 12
        min"). A label whose value holds no time is prose and is left alone."""
        out: dict[str, Field] = {}
        base = start.value.date() if start is not None and isinstance(start.value, datetime) else None
        for label, moment in MILESTONE_LABELS.items():
            f = self.fields.get(label)
            if f is None:
                continue
            at = self._as_datetime(f.value, None, base)
            if at is not None:
                out[moment] = Field(at, f.original, f.source, f.line)
        for label, moment in MILESTONE_DELAYS.items():
            f = self.fields.get(label)
            if f is None or moment in out or start is None or not isinstance(start.value, datetime):
                continue
            delay = parse_duration(str(f.value))
            if delay is not None:
                out[moment] = Field(start.value + delay, f.original, f.source, f.line)
        return out

    def _start_in_prose(self, preamble: list[Block], raws: list[_Raw], sections: list[Section]) -> Field | None:
        """A date (with a time next to it, if any) in the opening paragraph: "At 01:52 UTC, 2022-10-28, ...",
        "On Wednesday, 2023-01-25 at 09:15 UTC, ..." (the preamble's, else the summary's first paragraph)."""
        paragraphs = [b for b in preamble if b.kind == "paragraph"]
        if not paragraphs:
            for r, s in zip(raws, sections, strict=True):
                if s.key == "summary":
                    paragraphs = [b for b in r.blocks if b.kind == "paragraph"]
                    break
        if not paragraphs:
            return None
        p = paragraphs[0]
        text = p.text[:400]
        d, ds, de = _read_date(text)
        if d is None:
            return None
        lo, hi = max(ds - 20, 0), de + 20
        t = next((m for m in _TIME.finditer(text, lo, hi) if _time_parts(m) and not (ds <= m.start() < de)), None)
        if t is None:
            return Field(datetime(d.year, d.month, d.day, tzinfo=self.zone), text[ds:de], "prose", p.line)
        h, mi, sec = _time_parts(t)
        at = datetime(d.year, d.month, d.day, h, mi, sec, tzinfo=_tz_of(t.group(5), self.zone))
        return Field(at, text[min(ds, t.start()) : max(de, t.end())].strip(), "prose", p.line)

    def _duration(self, start: Field | None, end: Field | None) -> Field | None:
        f = self.fields.get("duration")
        ttr = self.fields.get("time to recovery") or self.fields.get("time to resolution")
        if f is None and ttr is not None and parse_duration(str(ttr.value)) is not None:
            f = ttr  # "Time to recovery: 25 minutes" (a stats list) is how long it lasted
        if f is not None:
            d = parse_duration(str(f.value))
            if d is not None:
                return Field(d, f.original, f.source, f.line)
            self.problem(f.line, f"the duration “{f.original}” could not be read", "it was kept as text")
        if (
            start is not None
            and end is not None
            and start.source != "timeline"
            and end.value > start.value
            and re.search(r"\d:\d\d", start.original)
            and re.search(r"\d:\d\d", end.original)
        ):
            return Field(end.value - start.value, f"{start.original} – {end.original}", "dates")
        return None

    # -- timeline
    def _base_date(self, title: Field | None, start: Field | None) -> date | None:
        if start is not None:
            return start.value.date()
        fm = self.doc.front_matter.get("date")
        if isinstance(fm, (date, datetime)):
            return fm if not isinstance(fm, datetime) else fm.date()
        if title is not None:
            d, _, _ = _read_date(str(title.value))
            if d is not None:
                return d
        return None

    def _events(self, raws, sections, start: Field | None, title) -> list[TimelineEvent]:
        events: list[TimelineEvent] = []
        base_default = self._base_date(title, start)
        start_at = start.value if start is not None else None
        for r, s in zip(raws, sections, strict=True):
            is_timeline = s.key in _TIMELINE_KEYS or "timeline" in _norm(r.title) or _norm(r.title) == "events"
            if not is_timeline:
                continue
            base = base_default
            prev: datetime | None = None
            for b in r.blocks:
                if b.kind == "heading" or (b.kind == "paragraph" and len(b.text) < 40):
                    d, ds, _ = _read_date(b.text)
                    if d is not None and ds <= 4 and _TIME.search(b.text) is None:
                        base, prev = d, None
                        continue
                if b.kind == "paragraph":
                    m = re.search(r"(?:happened|occurred|took place)\s+on\s+(.{0,30})", b.text, re.I | re.S)
                    if m:
                        d, _, _ = _read_date(m.group(1))
                        if d is not None:
                            base, prev = d, None
                    w = read_when(b.text, base=base, zone=self.zone, start=start_at)
                    if w is not None and (w.at is not None or w.problem):
                        ev, prev = self._event(w, b.text, b.line, prev)
                        events.append(ev)
                elif b.kind == "list":
                    whens = [read_when(it.text, base=base, zone=self.zone, start=start_at) for it in b.items]
                    if not any(w is not None for w in whens):
                        self.problem(
                            b.line, "a list in the timeline has no times", "it was kept as text in its section"
                        )
                        continue
                    for it in b.items:
                        w = read_when(it.text, base=base, zone=self.zone, start=start_at)
                        if w is None:
                            if it.depth == 0:
                                events.append(TimelineEvent(None, it.text, it.text, it.line, "none"))
                                self.problem(
                                    it.line, "a timeline item has no time", "it was kept as an event without a time"
                                )
                            continue
                        ev, prev = self._event(w, it.text, it.line, prev)
                        events.append(ev)
                elif b.kind == "table":
                    events.extend(self._table_events(b, base, start_at))
        return events

    def _event(self, w: _When, original: str, line: int, prev: datetime | None):
        at = w.at
        if (
            at is not None
            and prev is not None
            and not w.explicit_date
            and w.precision in ("minute", "second")
            and at < prev - timedelta(hours=12)
        ):
            at = at + timedelta(days=1)  # past midnight
        if w.problem:
            self.problem(
                line,
                f"timeline row “{_short(original)}”: {w.problem}",
                "the row was kept as text" if at is None else "the row was kept with its date",
            )
        text = w.rest or original
        return TimelineEvent(at, text, original, line, w.precision), (at or prev)

    def _table_events(self, b: Block, base: date | None, start_at) -> list[TimelineEvent]:
        rows = list(b.rows)
        header = rows[0] if b.has_header and rows else ()
        body = rows[1:] if b.has_header else rows
        hnorm = [_norm(h) for h in header]
        tcol = next((i for i, h in enumerate(hnorm) if re.search(r"\b(time|date|when|timestamp)\b", h)), None)
        dcol = next((i for i, h in enumerate(hnorm) if re.search(r"\b(event|description|what|action)", h)), None)
        if tcol is None:
            tcol = 0
        events: list[TimelineEvent] = []
        readable = 0
        prev = None
        pending: list[tuple[int, tuple[str, ...], _When | None]] = []
        for j, row in enumerate(body):
            cell = row[tcol] if tcol < len(row) else ""
            w = read_when(cell, base=base, zone=self.zone, start=start_at)
            if w is not None and w.at is not None:
                readable += 1
            pending.append((j, row, w))
        if body and readable == 0 and tcol == 0 and not any(re.search(r"time|date|when", h) for h in hnorm):
            self.problem(
                b.line,
                "a table in the timeline has no readable time column",
                "the table was kept as text in its section",
            )
            return []
        for j, row, w in pending:
            line = _row_line(b, j + (1 if b.has_header else 0))
            original = " | ".join(row)
            others = [c for i, c in enumerate(row) if i != tcol and c.strip()]
            text = row[dcol] if dcol is not None and dcol < len(row) else " | ".join(others)
            cell = row[tcol] if tcol < len(row) else ""
            if w is None:
                if not "".join(row).strip():
                    continue
                events.append(TimelineEvent(None, text, original, line, "none"))
                self.problem(
                    line, f"timeline row “{_short(original)}”: “{cell}” is not a time", "the row was kept as text"
                )
                continue
            ev, prev = self._event(w, original, line, prev)
            events.append(TimelineEvent(ev.at, text, original, line, ev.precision))
        return events

    # -- action items
    def _actions(self, preamble: list[Block], raws: list[_Raw], sections: list[Section]) -> list[ActionItem]:
        out: list[ActionItem] = [
            self._item(it.text, it.line, it.checked)
            for b in preamble
            if b.kind == "list"
            for it in b.items
            if it.checked is not None and it.text.strip()
        ]  # checkboxes before the first section
        for r, s in zip(raws, sections, strict=True):
            is_action = s.key in _ACTION_KEYS or (s.key is None and re.search(r"\baction", _norm(r.title)) is not None)
            for b in r.blocks:
                if b.kind == "list":
                    for it in b.items:
                        if (is_action or it.checked is not None) and it.text.strip():
                            out.append(self._item(it.text, it.line, it.checked))
                elif b.kind == "table" and is_action:
                    out.extend(self._table_actions(b))
        return out

    def _item(self, text: str, line: int, done: bool | None, owner: str = "", status: str = "") -> ActionItem:
        if done is None and not status:
            # A list item's own status at its end: "... — Closed", "... (done)", "... - open".
            m = _ITEM_STATUS.search(text)
            if m:
                status = m.group(1)
                done = bool(re.match(r"(done|closed|complete|completed|fixed|resolved)", status, re.I))
        return ActionItem(text.strip(), line, done, owner, status, ticket_refs(text, self.definitions))

    def _table_actions(self, b: Block) -> list[ActionItem]:
        rows = list(b.rows)
        header = [_norm(h) for h in rows[0]] if b.has_header and rows else []
        body = rows[1:] if b.has_header else rows

        def col(*words):
            return next((i for i, h in enumerate(header) if any(re.search(rf"\b{w}", h) for w in words)), None)

        owner, status, ticket = (
            col("owner", "assignee", "who", "responsible"),
            col("status", "state", "done"),
            col("ticket", "issue", "link", "jira", "pr"),
        )
        desc = col("action", "item", "description", "task", "what", "title")
        out = []
        for j, row in enumerate(body):
            if not "".join(row).strip():
                continue
            line = _row_line(b, j + (1 if b.has_header else 0))
            text = row[desc] if desc is not None and desc < len(row) else next((c for c in row if c.strip()), "")
            st = row[status].strip() if status is not None and status < len(row) else ""
            done = None
            if st:
                done = bool(re.search(r"\b(done|closed|complete|completed|fixed|resolved|yes|x)\b", st, re.I))
            extra = row[ticket] if ticket is not None and ticket < len(row) else ""
            item = ActionItem(
                text.strip(),
                line,
                done,
                row[owner].strip() if owner is not None and owner < len(row) else "",
                st,
                ticket_refs(" ".join(row), self.definitions) or ticket_refs(extra, self.definitions),
            )
            out.append(item)
        return out


_META_LABELS = {
    "owner",
    "involved",
    "meeting scheduled for",
    "call recording",
    "status",
    "authors",
    "author",
    "category",
    "reviewers",
    "participants",
    "attendees",
}


def _is_label_heading(text: str) -> bool:
    """A heading that is really a labelled value (`## Owner: @someone`), not a section."""
    m = _LABEL_LINE.match(text)
    return bool(m and m.group(2).strip() and (_norm(m.group(1)) in _LABELS or _norm(m.group(1)) in _META_LABELS))


def _row_line(b: Block, j: int) -> int:
    """File line of row j of a table (the delimiter row follows the header)."""
    if b.has_header and j >= 1:
        return b.line + j + 1
    return b.line + j


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def builtin_outlines() -> tuple[TemplateOutline, ...]:
    """The built-in templates' outlines, in key order (a document matching two equally goes to the first), read from
    their definitions without a database: what the tests and the held-out score match against. The import itself
    builds the same from the stored templates (retrospector.history.services.template_versions)."""
    from retrospector.core.template_definitions import builtin_definitions

    outlines = (
        TemplateOutline(d.key, d.name, tuple((s.key, s.title) for s in d.sections)) for d in builtin_definitions()
    )
    return tuple(sorted(outlines, key=lambda outline: outline.key))


def understand(
    doc: SourceDocument,
    *,
    templates: Sequence[TemplateOutline],
    default_tz: str | None = None,
    mapping: dict | None = None,
) -> HistoryRecord:
    """Read `doc` into a HistoryRecord; never raises on what the document says (problems are reported)."""
    mapping = mapping if isinstance(mapping, dict) else None
    order = (mapping or {}).get("dates")
    token = _SLASH_ORDER.set(order if order in DATE_ORDERS else slashed_date_order(doc.text))
    try:
        return _Reader(doc, templates, default_tz, mapping).run()
    finally:
        _SLASH_ORDER.reset(token)


def slashed_date_order(text: str) -> str | None:
    """The order the document's slashed dates are written in, when those that tell (a number over 12) agree."""
    orders = set()
    for m in _SLASHED.finditer(text):
        first, second = int(m.group(1)), int(m.group(2))
        if first > 12 and second <= 12:
            orders.add("day-first")
        elif second > 12 and first <= 12:
            orders.add("month-first")
    return orders.pop() if len(orders) == 1 else None
