"""Rules about wording: blame, hindsight and the single root cause."""

from __future__ import annotations

import re

from .. import lexicon
from ..catalog import RULES
from ..language import (
    HUMAN_DECISION_FORMS,
    Subject,
    anchored,
    clause_start,
    find_all,
    is_participle,
    matches_at,
    next_word,
    subject_before,
    tokens_between,
)
from .judgment import _EMBEDDED_QUESTION

# Literal pieces that every match of a pattern contains: a str.find prefilter keeps the regexes
# off the bulk of the text.
# Terms are found where they start; the few that start with a common word ("his fault",
# "not careful enough") are found around their rarer last word instead.
_BLAME_STARTS = (
    "human",
    "operator",
    "user",
    "pilot",
    "engineer",
    "personnel",
    "people",
    "careless",
    "negligen",
    "slopp",
    "reckless",
    "incompeten",
    "inattenti",
    "complacen",
    "fat",
    "pebkac",
    "dropped",
    "asleep",
    "should have known",
    "rookie",
    "without being",
    "lack of",
)
_BLAME_LATE_ANCHORS = ("fault", "enough", "paying attention")
_CAUSE_STARTS = (
    "caused",
    "causes",
    "broke",
    "breaks",
    "took down",
    "takes down",
    "brought down",
    "crashed",
    "corrupted",
    "messed",
    "screwed",
    "botched",
    "mishandled",
    "misjudged",
    "misconfigured",
    "forgot",
    "forget",
    "ignored",
    "ignores",
    "overlooked",
    "neglected",
    "made a",
    "made an",
    "made the",
    "made this",
    "made that",
    "introduced",
    "triggered",
)
_CAUSE_LATE_ANCHORS = ("responsible for", "the cause", "the root cause", "the culprit")
_BY_STARTS = (
    "caused",
    "triggered",
    "introduced",
    "broken",
    "brought down",
    "taken down",
    "started",
    "done",
    "initiated",
    "corrupted",
    "deleted",
)
_BECAUSE_STARTS = ("due to", "because of", "the fault of", "fault of", "blame")
_POSSESSIVE_ANCHORS = ("'s", "’s")
_CF_STARTS = ("should", "could", "ought", "failed", "fails", "neglected", "neglects", "omitted")

# Sections where the author's own analysis is not the point.
_NOT_PROSE = ("people",)

_BLAME_TERMS = re.compile(r"(?<![\w-])(?:" + "|".join(lexicon.BLAME_TERMS) + r")(?![\w-])", re.I)
_ERROR_TERM = re.compile(r"error|mistake|failure|fault", re.I)
_ERROR_UI_AFTER = re.compile(
    r"\s*(?:page|pages|message|messages|screen|dialog|code|codes|handling|handler|"
    r"budget|rate|rates|banner|toast|popup|response|responses)\b",
    re.I,
)
_TECH_AFTER = re.compile(r"\s*(?:quorum|loading|load|evaluation|init|initiali[sz]ation|mode)\b", re.I)
_CAUSE_VERBS = re.compile(r"\b(?:" + "|".join(lexicon.BLAME_CAUSE_VERBS) + r")\b", re.I)
_HUMAN_ONLY = re.compile(
    r"^(?:forgot|forgets|forget|misjudged|messed up|screwed up|botched|mishandled|"
    r"made .*)$",
    re.I,
)
_JUDGING = re.compile(
    r"^(?:ignored|ignores|overlooked|neglected|is responsible|was responsible|were responsible|"
    r"are responsible|is the|was the)",
    re.I,
)
_BY_PERSON = re.compile(
    r"\b(?:caused|triggered|introduced|broken|brought down|taken down|started|done|"
    r"initiated|corrupted|deleted)\s+by\s+",
    re.I,
)
_BECAUSE_OF = re.compile(r"\b(?:due to|because of|the fault of|fault of|blamed? (?:it |this |the \w+ )?on)\s+", re.I)
_FAULT_SUBJECT = re.compile(r"\b(?:(?:is|was|were|are)\s+(?:to blame|at fault|blamed))\b", re.I)
_POSSESSIVE_TAIL = re.compile(
    r"(?:'s|’s)\s+(?:\w+\s+)?(?P<thing>change|deploy|deployment|commit|pr|pull request|mistake|error|typo|script|"
    r"command|config|configuration|push|migration|query|action|decision|fault|failure|negligence|carelessness|"
    r"oversight|blunder|lapse|sloppiness|modification|inexperience|incompetence|ignorance|laziness|impatience|"
    r"arrogance|recklessness|haste)\b"
    r"(?:\s+(?P<verb>caused|broke|triggered|took down|brought down|led to|resulted in|introduced)\b)?",
    re.I,
)
_LAST_TOKEN = re.compile(r"(@?[A-Za-z\u00C0-\u024F][\w\-\u00C0-\u024F]*)$")


_LOWER_WORD = re.compile(r"[a-z'’-]+")


def _last_words(text: str, n: int = 5) -> str:
    words = _LOWER_WORD.findall(text[-80:].lower())
    return " ".join(words[-n:])


def _exempt_mention(prose: str, start: int, end: int) -> bool:
    """True when a blame term is mentioned, negated or reported as a belief rather than asserted."""
    cstart, _ = clause_start(prose, start)
    before = " " + _last_words(prose[cstart:start]) + " "
    for phrase in lexicon.BLAME_EXEMPT_BEFORE:
        if f" {phrase} " in before:
            return True
    after = " ".join(prose[end : end + 60].lower().split())
    return any(after.startswith(phrase) for phrase in lexicon.BLAME_EXEMPT_AFTER)


def check_blame(ctx) -> None:
    if not ctx.enabled("blame"):
        return
    principle = RULES["blame"].principle
    extra = ctx.config.word_list("blame")
    extra_re = (
        re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in extra) + r")(?![\w-])", re.I) if extra else None
    )
    for _, section in ctx.sections():
        if section.role in _NOT_PROSE:
            continue
        prose = section.view.prose
        lowered = section.view.prose_lower
        view = section.view
        matches = matches_at(_BLAME_TERMS, prose, lowered, view.present(_BLAME_STARTS))
        late = anchored(_BLAME_TERMS, prose, lowered, view.present(_BLAME_LATE_ANCHORS), before=30, after=25)
        if late:
            spans = {m.span() for m in matches}
            matches += [m for m in late if m.span() not in spans]
        if extra_re is not None:
            matches += matches_at(extra_re, prose, lowered, tuple(w.lower() for w in extra))
        for match in matches:
            term = match.group(0)
            if _exempt_mention(prose, match.start(), match.end()):
                continue
            if _ERROR_TERM.search(term) and _ERROR_UI_AFTER.match(prose, match.end()):
                continue
            if _TECH_AFTER.match(prose, match.end()):
                continue
            ctx.report(
                "blame",
                section,
                match.start(),
                match.end(),
                f'"{term}" makes a person the explanation. {principle}',
                _blame_suggestion(term),
            )
        if section.role == "timeline":
            continue  # naming who did what is what a timeline is for
        _check_person_as_cause(ctx, section, prose, principle)


def _blame_suggestion(term: str) -> str:
    low = term.lower()
    if "error" in low or "mistake" in low or "failure" in low:
        return (
            'Describe the action and what made it easy to get wrong, e.g. "the command ran against '
            'production without a confirmation step".'
        )
    return "Describe what the person saw and why the action made sense at the time, instead of judging them."


def _check_person_as_cause(ctx, section, prose: str, principle: str) -> None:
    people = ctx.people
    lowered = section.view.prose_lower
    view = section.view
    cause_matches = matches_at(_CAUSE_VERBS, prose, lowered, view.present(_CAUSE_STARTS))
    cause_matches += anchored(_CAUSE_VERBS, prose, lowered, view.present(_CAUSE_LATE_ANCHORS), before=12, after=120)
    for match in cause_matches:
        verb = match.group(0)
        human_only = bool(_HUMAN_ONLY.match(verb))
        subject = subject_before(prose, match.start(), people, allow_unknown=human_only)
        if not subject.is_person or subject.negated or subject.start is None:
            continue
        if subject.text.lower() in ("nobody", "no one", "noone", "everyone"):
            continue
        if not human_only and subject.tokens[-1][0].lower() in ("we", "i") and not _JUDGING.match(verb):
            continue  # "we introduced a regression" owns the change; it does not single anyone out
        ctx.report(
            "blame",
            section,
            subject.start,
            match.end(),
            f'"{subject.text} {verb}" makes a person the cause. {principle}',
            "Make the system the subject: what allowed this action to have this effect?",
        )
    # "caused by <person>", "due to <person>'s ...": judgment.py looks for these, with negation and context.
    for match in anchored(
        _FAULT_SUBJECT, prose, lowered, view.present(("to blame", "at fault", "blamed")), before=12, after=20
    ):
        subject = subject_before(prose, match.start(), people)
        if (
            subject.is_person
            and not subject.negated
            and subject.start is not None
            and subject.text.lower() not in ("nobody", "no one", "who")
        ):
            ctx.report(
                "blame",
                section,
                subject.start,
                match.end(),
                f'"{subject.text} {match.group(0)}" assigns fault to a person. {principle}',
                "Ask what in the system made the outcome possible.",
            )
    for p in find_all(lowered, _POSSESSIVE_ANCHORS):
        tail = _POSSESSIVE_TAIL.match(prose, p)
        if not tail:
            continue
        thing = tail.group("thing").lower()
        if not (
            tail.group("verb")
            or thing
            in (
                "mistake",
                "error",
                "typo",
                "fault",
                "failure",
                "negligence",
                "carelessness",
                "oversight",
                "blunder",
                "lapse",
                "sloppiness",
                "inexperience",
                "incompetence",
                "ignorance",
                "laziness",
                "impatience",
                "arrogance",
                "recklessness",
                "haste",
            )
        ):
            continue
        token = _LAST_TOKEN.search(prose, max(0, p - 40), p)
        if not token:
            continue
        who = token.group(1)
        if not (
            ctx.people.is_name(who)
            or ctx.people.is_role(who)
            or who.lower() in ("his", "her", "their")
            or ctx.people.looks_like_name(who)
        ):
            continue
        if _exempt_mention(prose, token.start(), tail.end()):
            continue
        text = prose[token.start() : tail.end()]
        ctx.report(
            "blame",
            section,
            token.start(),
            tail.end(),
            f'"{_squash(text)}" puts a person at the centre of the cause. {principle}',
            "Describe the change and what let it reach production, without naming who made it.",
        )


_CF = re.compile(
    r"\b(?:(?P<modal>should|could|ought to)(?P<neg>\s+not|n't|n’t)?"
    r"(?:\s+(?:easily|simply|really|probably|definitely|certainly|surely|just|also|likely|reasonably|perhaps|maybe|"
    r"possibly|arguably|ideally|obviously|clearly|never))?\s+(?:ha(?:ve|d)|of)"
    r"|(?P<modal2>should|could)(?:'|’)ve"
    r"|(?P<fail>failed|fails|neglected|neglects|omitted) to)\b",
    re.I,
)
_CF_INVERTED = re.compile(
    r"\b(?P<modal>should|could)(?P<neg>n't|n’t)?\s+(?P<subj>(?:(?:the|our|their|your|his|her)\s+)?"
    r"(?:[\w'’-]+\s+){0,2}?@?[A-Za-z][\w'’-]*)\s+(?:not\s+)?(?:just\s+|simply\s+|really\s+)?have\s+(?P<part>[A-Za-z]+)",
    re.I,
)
_LINE_START = re.compile(r"(?:^|\n|[.!?]\s|\()[\s\-*+>]*$")
_IF_ONLY = re.compile(r"\bif only\b", re.I)
_HAD_WE = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=\n))\s*Had\s+(?P<subj>we|I|he|she|you|the \w+|[A-Z][\w-]+)\s+"
    r"(?:only\s+|just\s+)?(?P<part>[a-z]+)",
    re.M,
)
_CF_ADVERBS = frozenset(
    "really probably definitely just easily also possibly maybe perhaps even actually simply arguably ideally "
    "reasonably certainly surely have".split()
)


def _luck_follows(prose: str, pos: int) -> bool:
    """'could have been worse', 'could've noticed it way later': luck, not hindsight."""
    seg_end = len(prose)
    stop = re.search(r"[.!?;\n]", prose[pos : pos + 120])
    if stop:
        seg_end = pos + stop.start()
    words = [t.lower() for t, _, _ in tokens_between(prose, pos, min(seg_end, pos + 70))][:7]
    return any(w in lexicon.LUCK_WORDS for w in words)


def check_counterfactual(ctx) -> None:
    if not ctx.enabled("counterfactual"):
        return
    principle = RULES["counterfactual"].principle
    people = ctx.people
    for _, section in ctx.sections():
        if section.role in _NOT_PROSE:
            continue
        prose = section.view.prose
        lowered = section.view.prose_lower
        for match in matches_at(_CF, prose, lowered, section.view.present(_CF_STARTS)):
            modal = (match.group("modal") or match.group("modal2") or "").lower()
            if modal == "could" and match.group("neg"):
                continue  # "we couldn't have known" excuses rather than judges
            following = next_word(prose, match.end(), _CF_ADVERBS)
            if following is None:
                continue
            verb = following[0]
            if modal:
                if not is_participle(verb):
                    continue  # "we should have a runbook" is a plan, not hindsight
                if verb.lower() in ("read", "write") and re.match(
                    r"[\s-]*(?:only\s+)?(?:access|permissions?|rights|privileges|scope|role)\b", prose[following[2] :]
                ):
                    continue  # "should have read access": what someone is to be given
                if modal == "could" and verb.lower() in lexicon.LUCK_PARTICIPLES:
                    continue
                if modal == "could" and _luck_follows(prose, following[1]):
                    continue
                if verb.lower() == "been" and _luck_follows(prose, following[2]):
                    continue
            subject = subject_before(
                prose,
                match.start(),
                people,
                next_verb=verb,
                allow_unknown=verb.lower() in lexicon.COGNITIVE_VERBS or verb.lower() in HUMAN_DECISION_FORMS,
            )
            if subject.start is None and modal and _LINE_START.search(prose, max(0, match.start() - 12), match.start()):
                # "- should've waited for the backfill (Ahmed)": the writer's own hindsight, subject left out
                subject = Subject([(prose[match.start() : match.end()], match.start(), match.end())], True)
            if not subject.is_person or subject.negated or subject.start is None:
                continue
            if subject.text.lower() in ("nobody", "no one", "everyone"):
                continue
            if _EMBEDDED_QUESTION.search(prose, max(0, subject.start - 160), subject.start):
                continue  # "Reflect if ... so they could have tested ...": a question to discuss, not a verdict
            phrase = prose[subject.start : following[2]]
            ctx.report(
                "counterfactual",
                section,
                subject.start,
                following[2],
                f'"{_squash(phrase)}" judges with hindsight. {principle}',
                _cf_suggestion(subject.text, match.group(0), verb),
            )
        for match in matches_at(_CF_INVERTED, prose, lowered, ("should", "could")):
            head = match.group("subj").split()[-1]
            if match.group("modal").lower() == "could" and (
                head.lower() in ("we", "i", "you")
                or (match.group("neg") and head.lower() not in ("the",))
                and not people.is_role(head)
            ):
                continue  # "Could we have detected it?" asks what was possible; it does not judge
            if not is_participle(match.group("part")):
                continue
            if not (people.is_person(head) or people.is_role(head)):
                continue
            ctx.report(
                "counterfactual",
                section,
                match.start(),
                match.end(),
                f'"{_squash(match.group(0))}" asks with hindsight. {principle}',
                'Ask what people saw and what they tried, e.g. "What did the dashboards show at that point?"',
            )
        for match in matches_at(_IF_ONLY, prose, lowered, ("if only",)):
            stop = re.search(r"[.!?;,\n]", prose[match.end() : match.end() + 100])
            seg_end = match.end() + (stop.start() if stop else min(100, len(prose) - match.end()))
            toks = tokens_between(prose, match.end(), seg_end)
            person = next(((t, a, b) for t, a, b in toks[:4] if people.is_person(t)), None)
            if person is None:
                passive = re.search(r"\bhad\s+been\s+(\w+)", prose[match.end() : seg_end])
                if not (passive and passive.group(1).lower() in HUMAN_DECISION_FORMS) or not toks:
                    continue
                person = toks[min(3, len(toks) - 1)]  # "If only the release had been held": someone's act
            ctx.report(
                "counterfactual",
                section,
                match.start(),
                person[2],
                f'"{_squash(prose[match.start() : person[2]])} ..." imagines a better past. {principle}',
                "Describe the situation as it was and what made the actual choice reasonable.",
            )
        for match in anchored(_HAD_WE, prose, lowered, ("had ",), before=5, after=60):
            subj = match.group("subj")
            head = subj.split()[-1]
            if not (people.is_person(head)) or not is_participle(match.group("part")):
                continue
            stop = re.search(r"[.!?\n]", prose[match.end() : match.end() + 200])
            if stop and stop.group(0) == "?":
                continue  # "Had anyone seen this before?" asks; it does not imagine
            ctx.report(
                "counterfactual",
                section,
                match.start("subj") - 4,
                match.end(),
                f'"{_squash(match.group(0).strip())}" imagines a better past. {principle}',
                "Describe what was known at the time instead.",
            )


def _squash(text: str) -> str:
    return " ".join(text.split())


def _cf_suggestion(subject: str, trigger: str, verb: str) -> str:
    low = trigger.lower()
    if low.endswith(" to"):
        return (
            f'Say what happened neutrally, e.g. "{subject} did not {verb}", and add what made '
            f"that reasonable at the time."
        )
    return (
        f"Describe what {subject} saw and knew at that moment, and what in the system would have "
        f"made the other path easier."
    )


_RC_HEADING = re.compile(r"\broot[- ]?cause(?!s)\b", re.I)
_RC_ADJECTIVES = (
    r"(?:single\s+|real\s+|actual\s+|true\s+|main\s+|primary\s+|underlying\s+|ultimate\s+|"
    r"most\s+likely\s+|likely\s+|probable\s+|possible\s+|technical\s+)?"
)
_RC_PROSE = (
    re.compile(
        r"\b(?:the|its|our|their|this|that|[a-z]+'s|[a-z]+’s)\s+"
        + _RC_ADJECTIVES
        + r"root[- ]?cause(?!s)(?!\s+analysis)(?:\s+(?:of|for|behind)\s+[^.;:,\n]{0,40}?)?\s+"
        r"(?:was|is|were|appears to be|seems to be|turned out to be|has been|had been|lies|lay|"
        r"came from|comes from)\b(?!\s+(?:not|unclear|unknown|still|yet|never))",
        re.I,
    ),
    re.compile(
        r"\b(?:was|is|be|as|being|became|turned out to be|remains|remained)\s+"
        r"(?:the|a|another|one|its|our|their)?\s*(?:single\s+|real\s+|actual\s+|true\s+|main\s+|primary\s+|"
        r"underlying\s+|ultimate\s+|likely\s+|probable\s+|possible\s+)?root[- ]?cause(?!s)\b(?!\s+analysis)",
        re.I,
    ),
    re.compile(r"(?:^|(?<=[\s(]))root[- ]?cause(?!s)\s*(?::|[-–—](?=\s))(?=\s)", re.I | re.M),
    re.compile(r"\broot[- ]caused\b", re.I),
)


def check_root_cause(ctx) -> None:
    if not ctx.enabled("root-cause"):
        return
    principle = RULES["root-cause"].principle
    for _, section in ctx.sections():
        if section.title and _RC_HEADING.search(section.title):
            ctx.report_section(
                "root-cause",
                section,
                f'The heading "{section.title}" promises one root cause. {principle}',
                'Rename the section "Contributing factors" and list each factor.',
            )
        if section.role in ("timeline", "people"):
            continue
        prose = section.view.prose
        lowered = section.view.prose_lower
        if "root" not in lowered:
            continue
        for pattern in _RC_PROSE:
            for match in anchored(pattern, prose, lowered, ("root",), before=60, after=120):
                rc = re.search(r"root[- ]?caus\w*", match.group(0), re.I)
                start = match.start() + rc.start()
                end = match.start() + rc.end()
                cstart, _ = clause_start(prose, start)
                before = " " + _last_words(prose[cstart:start], 4) + " "
                if any(f" {w} " in before for w in ("no", "not", "never", "isn't", "wasn't", "without")):
                    continue
                ctx.report(
                    "root-cause",
                    section,
                    start,
                    end,
                    f'"{_squash(match.group(0))}" presents a single root cause. {principle}',
                    'Say "one of the contributing factors" and list the others beside it.',
                )
