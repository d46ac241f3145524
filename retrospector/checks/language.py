"""Small, predictable language helpers: who is the subject of a clause, is a word a person.

No tagger, no model: a handful of word lists and the shape of the clause. When unsure, the
helpers answer "not a person", because a missed finding costs less than a false accusation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import lexicon
from .needles import find_all, remembering_finds  # noqa: F401 (the rules import them from here)

TOKEN = re.compile(r"@?[A-Za-z\u00C0-\u024F][\w'’\-\u00C0-\u024F]*")
_CLAUSE_BOUNDARY = re.compile(
    r"[.!?](?=\s|$)|[;|()\[\]\n\"“”]|:(?=\s)|,\s|\s[-–—]\s|\b(?:and|but|so|because|while|when|"
    r"although|though|since|whereas|which|who|whom|where|after|before|until|unless|if|then|or|"
    r"once|that|whether)\b",
    re.I,
)
_AUXILIARIES = frozenset(
    "have has had was were is are did do does may might must will would shall can been be being".split()
)
_IRREGULAR_PARTICIPLES = frozenset(
    """
    been done known seen taken gone caught run made built written given got gotten kept sent spent
    brought thought told found left set put read hit let shut cut said paid heard held felt
    understood begun chosen drawn driven fallen flown forgotten grown hidden shown spoken thrown
    woken worn won dealt meant lost sold stood taught rolled shut split spread rung sung swung
    """.split()
)
# Capitalized words with these endings are things, not unknown people's names.
_NOUN_SUFFIXES = (
    "tion",
    "sion",
    "ment",
    "ing",
    "ity",
    "ness",
    "ance",
    "ence",
    "ure",
    "age",
    "ism",
    "ogy",
    "ics",
    "ship",
    "dom",
    "ery",
    "ory",
    "ware",
    "base",
    "ops",
    "flow",
    "book",
    "s",
)
PARTICIPLE_EXCLUDE = frozenset("need red bed shed speed feed seed deed indeed".split())


def is_participle(word: str) -> bool:
    low = word.lower()
    if low in _IRREGULAR_PARTICIPLES:
        return True
    if low in PARTICIPLE_EXCLUDE:
        return False
    return len(low) > 3 and (low.endswith(("ed", "en")))


@dataclass
class People:
    """Who counts as a person in this document."""

    names: frozenset[str] = lexicon.GIVEN_NAMES
    not_names: frozenset[str] = lexicon.NOT_NAMES
    roles: frozenset[str] = lexicon.ROLE_NOUNS
    learned: set[str] = field(default_factory=set)

    def with_words(self, people=(), roles=(), systems=()) -> People:
        return People(
            names=self.names | frozenset(p.strip() for p in people),
            not_names=self.not_names | frozenset(s.strip() for s in systems),
            roles=self.roles | frozenset(r.strip().lower() for r in roles),
            learned=set(self.learned),
        )

    def is_name(self, token: str) -> bool:
        token = token.strip("'’")
        if token.endswith(("'s", "’s")):
            token = token[:-2]
        honorific = _HONORIFIC.search(token)
        if honorific and honorific.start() > 1:
            return True  # "Sato-san", "Ravi-ji": an honorific makes a name
        if token in self.not_names:
            return False
        return token in self.names or token in self.learned or (token.startswith("@") and len(token) > 1)

    def is_role(self, token: str) -> bool:
        low = token.lower().strip("'’")
        if low.endswith(("'s", "’s")):
            low = low[:-2]
        if low in self.roles:
            return True
        return low.endswith("s") and low[:-1] in self.roles

    def is_person(self, token: str, *, next_verb: str | None = None, allow_unknown: bool = False) -> bool:
        low = token.lower()
        if low in lexicon.PERSON_PRONOUNS:
            return True
        if self.is_role(token) or self.is_name(token):
            return True
        if allow_unknown and next_verb:
            verb = next_verb.lower()
            if verb in lexicon.COGNITIVE_VERBS or verb in _HUMAN_VERBS:
                return self.looks_like_name(token)
        return False

    def looks_like_name(self, token: str) -> bool:
        """A capitalized word that could be someone's name: not a known thing, not a common word."""
        bare = token.strip("'’")
        if bare.endswith(("'s", "’s")):
            bare = bare[:-2]
        if self.is_name(bare):
            return True
        if len(bare) < 2 or not bare[:1].isupper() or bare.isupper():
            return False
        if not all(c.isalpha() or c in "-'’" for c in bare):
            return False
        parts = bare.split("-")
        hyphenated_name = len(parts) > 1 and all(p[:1].isupper() and p[1:].islower() for p in parts if p)
        if (
            any(c.isupper() for c in bare[1:])
            and not hyphenated_name
            and not re.match(r"(?:Mc|Mac|O'|O’|D'|D’)[A-Z]", bare)
        ):
            return False  # "PagerDuty", "GitHub": products
        low = bare.lower()
        if low.endswith("bot"):
            return False  # "Dependabot", "Renovatebot"
        return not (
            bare in self.not_names
            or low in self.roles
            or low in lexicon.COMMON_CAPITALIZED
            or low in lexicon.PREPOSITIONS
            or low in lexicon.DETERMINERS
            or low in lexicon.ADVERBS
            or low in _HUMAN_VERBS
            or low.endswith(_NOUN_SUFFIXES)
            or len(bare) > 14
        )


def clause_start(text: str, pos: int, window: int = 160) -> tuple[int, str | None]:
    """Offset where the clause containing `pos` starts, and the boundary word if it was one."""
    lo = max(0, pos - window)
    last = None
    for match in _CLAUSE_BOUNDARY.finditer(text, lo, pos):
        last = match
    if last is None:
        return lo, None
    word = last.group(0).strip().lower()
    return last.end(), (word if word.isalpha() else None)


def tokens_between(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in TOKEN.finditer(text, start, end)]


@dataclass
class Subject:
    tokens: list[tuple[str, int, int]]
    is_person: bool
    negated: bool = False

    @property
    def start(self) -> int | None:
        return self.tokens[0][1] if self.tokens else None

    @property
    def text(self) -> str:
        return " ".join(t for t, _, _ in self.tokens)


def subject_before(
    text: str,
    pos: int,
    people: People,
    *,
    next_verb: str | None = None,
    allow_unknown: bool = False,
    _depth: int = 0,
    _shared: bool = False,
) -> Subject:
    """The subject of the clause that ends at `pos` (e.g. just before 'failed to')."""
    start, boundary = clause_start(text, pos)
    toks = tokens_between(text, start, pos)
    # "the engineer on call", "the SRE on duty": a role, not a prepositional phrase.
    toks = [
        t
        for i, t in enumerate(toks)
        if not (t[0].lower() == "on" and i + 1 < len(toks) and toks[i + 1][0].lower() in ("call", "duty"))
        and not (t[0].lower() in ("call", "duty") and i > 0 and toks[i - 1][0].lower() == "on")
    ]
    negated = any(t.lower() in ("not", "never", "no") or t.lower().endswith("n't") for t, _, _ in toks)
    # Drop adverbs and auxiliaries next to the verb, and adverbs/conjunctions at the start.
    while toks and (
        toks[-1][0].lower() in lexicon.ADVERBS or toks[-1][0].lower() in _AUXILIARIES or toks[-1][0].lower() in ("not",)
    ):
        toks.pop()
    while toks and toks[0][0].lower() in lexicon.ADVERBS:
        toks.pop(0)
    # "Why did Ingrid ...": in a question the subject follows the auxiliary.
    if len(toks) >= 3 and toks[0][0].lower() in ("why", "how", "when", "where") and toks[1][0].lower() in _AUXILIARIES:
        toks = toks[2:]
    # "In hindsight the on-call ...", "To be honest I ...": a leading aside is not the subject.
    lead = [t.lower() for t, _, _ in toks[:3]]
    for aside in _ASIDES:
        words = aside.split()
        if lead[: len(words)] == words and len(toks) > len(words):
            toks = toks[len(words) :]
            break
    if not toks and boundary in ("and", "but", "then", "or") and _depth < 2:
        # "Ops was lazy and never acted on ...": the subject is shared with the clause before.
        conj = _last_word_before(text, start, boundary)
        if conj is not None:
            return subject_before(
                text, conj, people, next_verb=next_verb, allow_unknown=allow_unknown, _depth=_depth + 1, _shared=True
            )
    if _shared and toks:
        # In the clause before "and", the subject is at its start: "The on-call was asleep ... and".
        verb_at = next(
            (
                i
                for i, (t, _, _) in enumerate(toks)
                if i and (t.lower() in _AUXILIARIES or is_participle(t) or (t.islower() and t in _HUMAN_VERBS))
            ),
            None,
        )
        if verb_at is not None:
            toks = toks[:verb_at]
    if boundary == "who" and not toks:
        # "Haruto, who should have ...": the person is the word before "who".
        before = tokens_between(text, max(0, start - 40), max(0, start - 3))
        if before and (people.is_person(before[-1][0]) or people.looks_like_name(before[-1][0])):
            return Subject(before[-1:], True, negated)
        return Subject([], True, negated)
    if boundary == "that" and not toks:
        # "a check that failed to run": the antecedent decides.
        before = tokens_between(text, max(0, start - 60), max(0, start - 4))
        if before:
            head = before[-1][0]
            return Subject(before[-1:], people.is_person(head, next_verb=next_verb), negated)
        return Subject([], False, negated)
    if boundary in ("which",) and not toks:
        return Subject([], False, negated)
    if (
        toks
        and _depth < 2
        and start >= 2
        and text[start - 2 : start] == ", "
        and (_is_aside(toks) or toks[0][0].lower() in ("who", "which"))
    ):
        # "Our on-call, frankly negligent, should have ...": the subject is before the aside.
        comma = text.rfind(",", max(0, start - 160), start - 2)
        if comma != -1:
            outer = subject_before(
                text, comma, people, next_verb=next_verb, allow_unknown=allow_unknown, _depth=_depth + 1
            )
            if outer.is_person:
                return outer
    if not toks:
        return Subject([], False, negated)
    head = toks[-1][0]
    # A pronoun right before the verb is the subject whatever came earlier in the clause.
    if head.lower() in lexicon.PERSON_PRONOUNS and head.lower() not in ("someone", "somebody") or head == "I":
        return Subject(toks[-1:], True, _negated_before(toks[:-1]))
    words = [t.lower() for t, _, _ in toks]
    if len(toks) > 5 and not any(w in lexicon.PREPOSITIONS for w in words[1:5]):
        return Subject(toks, False, negated)
    if any(w in lexicon.PREPOSITIONS for w in words):
        # "the engineer on seat at the time", "our colleagues in operations": the head comes before the preposition.
        cut = next(i for i, w in enumerate(words) if w in lexicon.PREPOSITIONS)
        if (
            words[0] in _PARTITIVES
            and cut == 1
            and len(toks) <= 5
            and (people.is_role(toks[-1][0]) or words[-1] in ("them", "us", "you"))
        ):
            return Subject(toks, True, negated)  # "one of our volunteers"
        if (
            0 < cut <= 4
            and (people.is_role(toks[cut - 1][0]) or toks[cut - 1][0].lower() in lexicon.PERSON_PRONOUNS)
            and not any(w in _AUXILIARIES for w in words[:cut])
        ):
            return Subject(toks[:cut], True, _negated_before(toks[: cut - 1]))
        return Subject(toks, False, negated)
    first = toks[0][0]
    gerund_phrase = len(toks) > 1 and (
        toks[1][0].lower() in lexicon.DETERMINERS or toks[1][0].lower() in lexicon.PREPOSITIONS
    )
    if (
        first.lower().endswith("ing")
        and first.lower() not in lexicon.DETERMINERS
        and (gerund_phrase or not people.is_role(head))
    ):
        return Subject(toks, False, negated)
    if (
        head.lower() == "they"
        and next_verb
        and (next_verb.lower() in _HUMAN_VERBS or next_verb.lower() in lexicon.COGNITIVE_VERBS)
    ):
        return Subject(toks[-1:], True, _negated_before(toks[:-1]))
    if any(w in _AUXILIARIES for w in words):
        return Subject(toks, False, negated)
    if people.is_person(head, next_verb=next_verb, allow_unknown=allow_unknown):
        return Subject(toks, True, _negated_before(toks[:-1]))
    # "Priya Patel": a known given name followed by a capitalized family name.
    if len(toks) >= 2 and head[:1].isupper() and people.is_name(toks[-2][0]):
        return Subject(toks, True, negated)
    return Subject(toks, False, negated)


_PARTITIVES = frozenset("one some two three several few many each any none most all both either neither".split())
_HONORIFIC = re.compile(r"-(?:san|sama|kun|chan|sensei|ji|bhai|ji|garu|ssi|nim)$", re.I)
_ASIDES = (
    "in hindsight",
    "in retrospect",
    "with hindsight",
    "looking back",
    "to be honest",
    "to be fair",
    "of course",
    "in short",
    "in the end",
    "at the time",
    "at that point",
    "in this case",
    "as usual",
    "frankly",
    "honestly",
    "normally",
    "usually",
    "typically",
    "ideally",
    "tbh",
    "sadly",
    "again",
    "hindsight",
)


_ASIDE_WORDS = frozenset(
    """
    frankly honestly clearly obviously apparently once again yet as usual always ever typically predictably sadly
    unfortunately negligent careless lazy sloppy reckless inexperienced new tired distracted overworked stressed
    exhausted again of course bless him her them out his depth its their
    """.split()
)


def _is_aside(toks) -> bool:
    """Two to five words between commas that describe rather than act: "frankly negligent", "once again"."""
    if 1 <= len(toks) <= 5 and toks[0][0].lower() in ("our", "the", "a", "an", "his", "her", "their", "my"):
        return not any(t.lower() in _AUXILIARIES or is_participle(t) for t, _, _ in toks)  # "Wojtek, our newest hire,"
    return 1 <= len(toks) <= 5 and all(t.lower() in _ASIDE_WORDS or t.lower() in lexicon.ADVERBS for t, _, _ in toks)


def _last_word_before(text: str, start: int, word: str) -> int | None:
    """Where the boundary `word` that ends at `start` begins."""
    i = text.rfind(word, max(0, start - len(word) - 2), start)
    if i == -1:
        i = text.lower().rfind(word, max(0, start - len(word) - 2), start)
    return i if i != -1 else None


def _negated_before(toks) -> bool:
    return any(t.lower() in ("not", "never", "no") or t.lower().endswith("n't") for t, _, _ in toks)


_NP_STOP = frozenset("and or which who that whom whose when while because but so if then as than not never".split())


def noun_phrase_after(text: str, pos: int, limit: int = 5) -> list[tuple[str, int, int]]:
    """The noun phrase starting at `pos` ('by the on-call engineer, who ...' -> the on-call engineer)."""
    end = len(text)
    stop = re.compile(r"[.!?;:,()\[\]|\n\"“”]")
    match = stop.search(text, pos, min(end, pos + 120))
    segment_end = match.start() if match else min(end, pos + 120)
    result = []
    for tok, a, b in tokens_between(text, pos, segment_end):
        low = tok.lower()
        if low in lexicon.PREPOSITIONS or low in _NP_STOP or low in _AUXILIARIES:
            break
        if result and (low.endswith("ing") or (low.endswith("ed") and low not in ("red",))):
            break
        result.append((tok, a, b))
        if tok.endswith(("'s", "’s")):
            break
        if len(result) >= limit:
            break
    return result


def np_names_person(np: list[tuple[str, int, int]], people: People) -> bool:
    """True when a noun phrase is a person ('the on-call engineer', 'Priya', "Priya's change")."""
    if not np:
        return False
    for tok, _, _ in np:
        if tok.endswith(("'s", "’s")) and people.is_person(tok[:-2]):
            return True
    head = np[-1][0]
    if people.is_person(head):
        return True
    return len(np) >= 2 and head[:1].isupper() and people.is_name(np[-2][0])


def next_word(text: str, pos: int, skip: frozenset[str] = frozenset()) -> tuple[str, int, int] | None:
    for match in TOKEN.finditer(text, pos, min(len(text), pos + 80)):
        if match.group(0).lower() in skip:
            continue
        return match.group(0), match.start(), match.end()
    return None


def anchored(pattern: re.Pattern, text: str, lowered: str, anchors, before: int = 80, after: int = 160):
    """Matches of `pattern` that lie near an anchor word: a cheap prefilter before the regex.

    Every match of `pattern` must contain one of `anchors` (lower case) within `before`
    characters of its start and `after` characters of the anchor; the callers pick anchors
    that the pattern cannot match without.
    """
    positions = find_all(lowered, anchors)
    if not positions:
        return []
    positions.sort()
    windows: list[list[int]] = []
    n = len(text)
    for p in positions:
        lo, hi = max(0, p - before), min(n, p + after)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    matches = []
    last_end = -1
    for lo, hi in windows:
        for match in pattern.finditer(text, max(lo, last_end), hi):
            matches.append(match)
            last_end = match.end()
    return matches


def matches_at(pattern: re.Pattern, text: str, lowered: str, prefixes) -> list[re.Match]:
    """Matches of `pattern` that start where one of `prefixes` (lower case) starts a word.

    One anchored `match` per occurrence instead of a scan: the prefixes must be how every
    match of the pattern begins.
    """
    found: dict[int, re.Match] = {}
    for p in find_all(lowered, prefixes):
        if p in found or (p > 0 and (lowered[p - 1].isalnum() or lowered[p - 1] in "_-")):
            continue
        match = pattern.match(text, p)
        if match:
            found[p] = match
    return [found[p] for p in sorted(found)]


def verb_forms(bases) -> frozenset[str]:
    """Every form of each base verb: 'escalate' -> escalate, escalates, escalated, escalating."""
    forms: set[str] = set()
    for base in bases:
        forms.add(base)
        forms.update(lexicon.IRREGULAR_VERBS.get(base, ()))
        if base.endswith("e"):
            forms.update((base + "s", base + "d", base[:-1] + "ing"))
        elif base.endswith("y") and base[-2:-1] not in "aeiou":
            forms.update((base[:-1] + "ies", base[:-1] + "ied", base + "ing"))
        elif base.endswith(("s", "sh", "ch", "x")):
            forms.update((base + "es", base + "ed", base + "ing"))
        else:
            forms.update((base + "s", base + "ed", base + "ing"))
            if len(base) >= 3 and base[-1] in "pgtmnb" and base[-2] in "aeiou" and base[-3] not in "aeiou":
                forms.update((base + base[-1] + "ed", base + base[-1] + "ing"))
    return frozenset(forms)


HUMAN_DECISION_FORMS = verb_forms(lexicon.HUMAN_DECISION_VERBS)

_HUMAN_VERBS = HUMAN_DECISION_FORMS | verb_forms(
    """
    push ship merge deploy delete drop restart reboot kill wipe nuke break botch misconfigure mistype skip
    bypass override approve run apply commit rotate change edit remove truncate flush purge migrate target
    """.split()
)


class Phrases:
    """Alternative patterns looked for only near their anchor words, each anchor with just the alternatives that
    contain it: far cheaper on a long text than one big alternation tried at every position.

    Every alternative must contain at least one anchor literally (lower case) in its source and in any text it
    matches, or come as (anchors, pattern) with its own anchors. `wrap` is the pattern around the alternatives
    ({} is replaced by them). With `starts`, every match begins with its anchor at the start of a word, so each
    occurrence costs one match attempt instead of a scan of the text around it.
    """

    def __init__(
        self,
        alternatives,
        anchors,
        *,
        wrap=r"(?<![\w-])(?:{})(?![\w-])",
        before=60,
        after=80,
        flags=re.I,
        starts=False,
    ):
        self.before, self.after, self.starts = before, after, starts
        self.by_anchor: dict[str, re.Pattern] = {}
        covered = set()
        explicit = {alt[1]: alt[0] for alt in alternatives if isinstance(alt, tuple)}
        patterns = [alt[1] if isinstance(alt, tuple) else alt for alt in alternatives]
        anchors = list(anchors) + [a for own in explicit.values() for a in own if a not in anchors]
        for anchor in anchors:
            mine = [alt for alt in patterns if (anchor in explicit[alt] if alt in explicit else anchor in alt.lower())]
            if mine:
                self.by_anchor[anchor] = re.compile(wrap.format("|".join(mine)), flags)
                covered.update(mine)
        self.anchors = tuple(self.by_anchor)
        missing = [alt for alt in patterns if alt not in covered]
        if missing:
            raise ValueError(f"alternatives without an anchor: {missing}")

    def finditer(self, text: str, lowered: str, view=None) -> list[re.Match]:
        anchors = view.present(self.anchors) if view is not None else self.anchors
        found: dict[tuple[int, int], re.Match] = {}
        for anchor in anchors:
            if self.starts:  # every match begins where its anchor begins a word: one match attempt per occurrence
                matches = matches_at(self.by_anchor[anchor], text, lowered, (anchor,))
            else:
                matches = anchored(self.by_anchor[anchor], text, lowered, (anchor,), self.before, self.after)
            for match in matches:
                found.setdefault(match.span(), match)
        matches = sorted(found.values(), key=lambda m: (m.start(), -m.end()))
        kept, last_end = [], -1
        for match in matches:  # overlapping matches from two anchors: keep the first, longest
            if match.start() >= last_end:
                kept.append(match)
                last_end = match.end()
        return kept
