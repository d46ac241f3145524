"""Discussion questions: open, and asking how rather than why."""

from __future__ import annotations

import re

from ..catalog import RULES
from ..language import HUMAN_DECISION_FORMS, TOKEN, is_participle, noun_phrase_after, np_names_person

_AUX = frozenset(
    """
    is are was were do does did can could will would should shall has have had may might must
    isn't aren't wasn't weren't don't doesn't didn't can't couldn't won't wouldn't shouldn't
    hasn't haven't hadn't am
    """.split()
)
_LEAD_FILLER = frozenset("and so but then also q".split())
_OPEN_FOLLOW_UP = re.compile(
    r"(?:[,;:(]|\s[-–—]|\band\b|\bor\b)\s*(?:and\s+|if\s+(?:so|not)\s*,?\s*|if\s+yes\s*,?\s*|otherwise\s*,?\s*)?"
    r"(?:how|what|which|where|when|who|whom|why)\b",
    re.I,
)
_ALTERNATIVE = re.compile(r"\bor\b(?!\s+not\b)(?!\s+(?:if|whether)\b)", re.I)
_QUESTION_LINE = re.compile(r"[^\n?]*\?")
_WHY_AUX = frozenset(
    "did didn't do don't does doesn't was wasn't were weren't would wouldn't had hadn't "
    "is isn't are aren't has hasn't have haven't could couldn't".split()
)


def _question_units(section):
    """(start, end) of each question: list items, else sentences that end with '?'."""
    view = section.view
    plain = view.plain
    items = view.items()
    if items:
        blocks = view.blocks
        for index, block in enumerate(blocks):
            if block.type != "item":
                continue
            end = block.end
            if index + 1 < len(blocks) and blocks[index + 1].start < end:
                end = blocks[index + 1].start
            yield block.content_start, end
        return
    for match in _QUESTION_LINE.finditer(plain):
        text = match.group(0)
        lead = len(text) - len(text.lstrip(" \t.!"))
        start = match.start() + lead
        # Start at the last sentence boundary on the line.
        boundary = max(text.rfind(". "), text.rfind("! "), text.rfind(": "))
        if boundary >= lead:
            start = match.start() + boundary + 2
        yield start, match.end()


def _words(plain: str, start: int, end: int):
    return [(m.group(0), m.start(), m.end()) for m in TOKEN.finditer(plain, start, end)]


def check_questions(ctx) -> None:
    yes_no_on = ctx.enabled("question-yes-no")
    why_on = ctx.enabled("question-why")
    if not (yes_no_on or why_on):
        return
    for _, section in ctx.sections("questions"):
        plain = section.view.plain
        for start, end in _question_units(section):
            words = _words(plain, start, end)
            while words and (words[0][0].lower() in _LEAD_FILLER or re.fullmatch(r"[Qq]\d+", words[0][0])):
                words.pop(0)
            if not words:
                continue
            first, a, _ = words[0]
            low = first.lower().replace("’", "'")
            text = " ".join(plain[a:end].split())
            why_at = _WHY_ANYWHERE.search(plain, a, end)
            if why_at and why_on:
                rest = [("why", why_at.start(), why_at.start())] + _words(plain, why_at.end(), end)
                if _check_why(ctx, section, plain, rest, a, end, text):
                    if not (low in _AUX and yes_no_on and why_at.start() > a and not _INVITATION.match(plain, a, end)):
                        continue  # "Was there a reason you ...?" can also be answered yes or no
                elif low == "why" or why_at.start() == a:
                    continue
            if yes_no_on and low not in _AUX and low not in _WH:
                # "..., right?" and "Before the restart, when ..., did anyone ...?" close the question too
                tag = _TAG_QUESTION.search(plain, a, end) or _YES_NO_OPENERS.match(plain, a, end)
                late = None if tag else _LATE_AUX.search(plain, a, end)
                if late and (
                    _ALTERNATIVE.search(plain, late.end(), end) or _OPEN_FOLLOW_UP.search(plain, late.end(), end)
                ):
                    late = None
                if tag or late:
                    _report_yes_no(ctx, section, plain, words, a, end, text)
                    continue
            if low in _AUX and yes_no_on and _INVITATION.match(plain, a, end):
                continue  # "Can you walk us through what you saw?" invites a story
            elif low in _AUX and yes_no_on:
                rest = plain[words[0][2] : end]
                if _ALTERNATIVE.search(rest) or _OPEN_FOLLOW_UP.search(rest):
                    continue
                _report_yes_no(ctx, section, plain, words, a, end, text)


def _report_yes_no(ctx, section, plain, words, start, end, text) -> None:
    ctx.report(
        "question-yes-no",
        section,
        start,
        _trim_end(plain, start, end),
        f'"{_short(text)}" can be answered with yes or no. {RULES["question-yes-no"].principle}',
        _open_version(words, plain, end),
    )


def _trim_end(plain: str, start: int, end: int) -> int:
    while end > start and plain[end - 1].isspace():
        end -= 1
    return end


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_WHY_DISGUISED = re.compile(
    r"(?:how\s+come|for\s+what\s+reasons?|why\s+on\s+earth|what\s+possessed"
    r"|what\s+(?:was|is|were|are|'s|’s)\s+the\s+(?:main\s+|real\s+|actual\s+)?"
    r"(?:reasons?|rationale|reasoning|justification|excuse|logic|motivation|thinking)"
    r"(?:\s+(?:for|behind|that|why|of))?)\b",
    re.I,
)
_OMISSION = re.compile(
    r"\bwithout\s+(?:(?:a|an|any|the)\s+)?(?:rollback\s+plan|review|approval|sign-?off|ticket|tests?|testing|canary|backup|"
    r"change\s+request|cab|heads-up|announcement|notice|telling|asking|checking|waiting|notifying|informing)\b",
    re.I,
)
# What follows a verb that has an object: "ship the page", "disable it" (not "the health check pass").
_OBJECT_STARTS = frozenset(
    "the a an this that these those it them him her our their his its my your all any every some "
    "without to up down off out back on in".split()
)
_BY_PEOPLE = re.compile(r"\bby\s+(?:the\s+|our\s+|their\s+)?(?:[\w-]+\s+)?([\w-]+)\s*\?", re.I)
_TOOK_TO = re.compile(r"\btake\s+[^?]{1,40}?\bto\s+([a-z]+)", re.I)
_SOMEONE = frozenset("anyone anybody someone somebody nobody you we".split())
_WH = frozenset("what which who whom whose where when how why".split())
_TAG_QUESTION = re.compile(
    r",\s*(?:right|correct|yes|no|true|ok|okay|isn't\s+it|wasn't\s+it|didn't\s+(?:we|they|you|it|he|she)|"
    r"don't\s+(?:we|they|you)|weren't\s+(?:we|they|you)|aren't\s+(?:we|they|you)|hasn't\s+it|haven't\s+(?:we|they))"
    r"\s*\?\s*$",
    re.I,
)
_YES_NO_OPENERS = re.compile(
    r"\s*(?:any\s+chance|by\s+any\s+chance|is\s+it\s+possible|exists?|there\s+(?:is|was|are|were))\b"
    r"|[^?]*\bor\s+not\s*\?\s*$",
    re.I,
)
_LATE_AUX = re.compile(
    r",\s+(?:did|was|were|is|are|do|does|has|have|had|could|can|would|will|should)\s+"
    r"(?:anyone|anybody|someone|somebody|we|you|they|the|any|there|it|he|she|[A-Z][\w-]+)\b(?![^?]*\b(?:what|which|how|"
    r"where|when|who|why)\b)",
)
_WHY_ANYWHERE = re.compile(
    r"\bwhy(?:'d|’d)?\b|\b(?:how\s+come|for\s+(?:what|which)\s+reasons?|what\s+possessed"
    r"|(?:was|is|were)\s+there\s+(?:a|any)\s+(?:particular\s+|specific\s+|good\s+|special\s+)?reasons?(?:\s+(?:why|that))?"
    r"|what(?:\s+(?:was|is|were|are)|'s|’s)\s+(?:the|your|their|his|her)\s+(?:main\s+|real\s+|actual\s+)?"
    r"(?:reasons?|rationale|reasoning|justification|excuse|logic|motivation|thinking)"
    r"(?:\s+(?:for|behind|that|why|of))?)\b",
    re.I,
)
_EMBEDDED_WHY = re.compile(
    r"\b(?:explain|tell\s+(?:us|me|the\s+group)|share|understand|know|clarify|justify|say)\s+why\b", re.I
)
_INVITATION = re.compile(
    r"(?:can|could|would|will)\s+(?:you|someone|anyone|we|each\s+of\s+you)\s+(?:please\s+)?"
    r"(?:walk|talk|take|describe|explain|tell|share|help|go|run|reconstruct|recall|recount|summari[sz]e|list|outline)\b",
    re.I,
)


_BE_HAVE = frozenset(
    "was were is are be been being has have had get got gets getting wasn't weren't isn't aren't".split()
)
_SYSTEM_VERBS = frozenset("mark marked label labelled labeled close closed".split())
_ACTIVE_HUMAN = frozenset(
    """
    approve ship merge deploy skip bypass disable enable decide choose wait push release escalate page notify
    tell inform whitelist allowlist override postpone delay schedule reboot accept edit delete revert sign pick
    publish announce communicate test review check verify
    """.split()
)


def _check_why(ctx, section, plain, words, start, end, text) -> bool:
    """Report a "why" put to people: about a person or group, or about a human action even in the passive."""
    if len(words) < 2:
        return False
    people = ctx.people
    tail = [(w, a, b) for w, a, b in words[1:]]
    lows = [w.lower().replace("’", "'") for w, _, _ in tail]
    if lows[:3] == ["is", "it", "that"] and len(tail) > 3:
        tail, lows = tail[3:], lows[3:]
    second = lows[0]
    suggestion = (
        'Ask how the decision was made or what people saw, e.g. "How did you decide ...?" or '
        '"What did the dashboard show when ...?"'
    )
    person = False
    subject_at = 1 if second in _WHY_AUX and len(tail) > 1 else 0
    np = noun_phrase_after(plain, tail[subject_at][1], limit=5) if tail else []
    bare_name = len(np) == 1 and np[0][0][:1].isupper() and people.looks_like_name(np[0][0])
    if np and (np_names_person(np, people) or any(people.is_person(t) for t, _, _ in np[:4]) or bare_name):
        person = True
        if second in ("did", "do", "does", "didn't", "don't", "doesn't"):
            cut = next((i for i, (t, _, _) in enumerate(np) if people.is_person(t)), len(np) - 1)
            while cut + 1 < len(np) and people.is_person(np[cut + 1][0]) and np[cut + 1][0][:1].isupper():
                cut += 1  # "Priya Patel"
            suggestion = _how_version(words, plain, end, second, np[: cut + 1])
    elif (
        any(people.is_person(w) for w, _, _ in tail[:6])
        or second in ("not", "no", "nobody", "none")
        or any(w.lower() in _SOMEONE for w, _, _ in tail)
    ):
        person = True
    elif (
        second in _WHY_AUX
        and not second.startswith(("was", "were", "is", "are"))
        and any(lows[k] in _ACTIVE_HUMAN and lows[k + 1] in _OBJECT_STARTS for k in range(2, min(7, len(lows) - 1)))
    ):
        person = True  # "Why did engineering ship ...", "Why did Olumide disable ..."
    else:
        # A human act in the passive ("was the change not reviewed", "got skipped") or as a gerund ("the
        # reasoning behind skipping the canary").
        for k, low in enumerate(lows):
            if low in _SYSTEM_VERBS or low not in HUMAN_DECISION_FORMS:
                continue
            before = lows[max(0, k - 10) : k]
            if low.endswith("ing") and k <= 2:
                person = True
                break
            if any(b in _BE_HAVE for b in before) and (
                is_participle(low) or low in ("read", "run", "set", "put", "let", "cut", "left", "told", "sent")
            ):
                person = True
                break
        if not person and lows and lows[0] not in _WHY_AUX and len(lows) > 1:
            # "Why the change was done ...": a statement after why
            person = any(b in _BE_HAVE for b in lows[:6]) and any(
                is_participle(x) and x in HUMAN_DECISION_FORMS for x in lows[:8]
            )
    if not person and _BY_PEOPLE.search(plain, start, end):
        by = _BY_PEOPLE.search(plain, start, end)
        person = people.is_person(by.group(1)) or people.is_role(by.group(1))  # "... marked low by the service desk?"
    if not person and _TOOK_TO.search(plain, start, end):
        took = _TOOK_TO.search(plain, start, end)
        person = took.group(1).lower() in HUMAN_DECISION_FORMS  # "Why did it take 40 minutes to declare an incident?"
    if not person and re.search(r"\bno\s+one\b|\b(?:your|their)\b", plain[start:end], re.I):
        person = True
    if not person and _OMISSION.search(plain, start, end):
        person = True  # "How come the release went out without a rollback plan?": someone's choice is in view
    if not person:
        return False
    ctx.report(
        "question-why",
        section,
        start,
        _trim_end(plain, start, end),
        f'"{_short(text)}" asks people to justify themselves. {RULES["question-why"].principle}',
        suggestion,
    )
    return True


def _how_version(words, plain, end, aux, np) -> str:
    subject = " ".join(t for t, _, _ in np)
    rest = plain[np[-1][2] : end].strip().rstrip("?").strip()
    if aux in ("did", "do", "does") and rest:
        return f"How did {subject} decide to {rest}?"
    if aux in ("didn't", "don't", "doesn't") and rest:
        return f'What made "{rest}" look unnecessary to {subject} at the time?'
    return 'Ask how the decision was made, e.g. "How did you decide ...?" or "What did you see that ...?"'


def _open_version(words, plain, end) -> str:
    return (
        'Open it up: ask what people saw, expected or decided, e.g. "What did you see when ...?" '
        'or "How did you decide ...?"'
    )
