"""Where the rules' anchor words occur in a text.

Within one run of the checks (`remembering_finds`), each text is read once by an Aho-Corasick automaton holding
every needle the rules look for, and each needle's places are kept: many rules share their anchor words, and a
5,000-line write-up meets about 600 of them. Outside a run, or for a tiny text, str.find does it needle by needle.
"""

from __future__ import annotations

import threading

import ahocorasick

_FOUND = threading.local()
_AUTOMATON_FROM = 200  # characters: below this, a few str.find calls cost less than a pass of the automaton


class _Needles:
    """Every needle ever looked for, in one automaton. The set only grows (up to LIMIT); a needle seen for the
    first time is looked for with str.find in the current text and joins the automaton for the next one.
    Rebuilding it takes about a millisecond."""

    LIMIT = 5000  # organizations' own word lists add needles too; past this many, the newcomers use str.find

    def __init__(self):
        self.lock = threading.Lock()
        self.known: set[str] = set()
        self.automaton = None
        self.built: frozenset[str] = frozenset()

    def add(self, needles) -> None:
        new = [n for n in needles if n and n not in self.known]
        if new and len(self.known) < self.LIMIT:
            with self.lock:
                self.known.update(new)

    def scan(self, lowered: str) -> tuple[frozenset[str], dict[str, list[int]]]:
        """The needles of the automaton, and where each occurs (start offsets, ascending; absent when nowhere)."""
        with self.lock:
            if len(self.built) != len(self.known):
                automaton = ahocorasick.Automaton()
                for needle in self.known:
                    automaton.add_word(needle, needle)
                automaton.make_automaton()
                self.automaton, self.built = automaton, frozenset(self.known)
            automaton, built = self.automaton, self.built
        found: dict[str, list[int]] = {}
        if automaton is not None:
            for end, needle in automaton.iter(lowered):
                positions = found.get(needle)
                if positions is None:
                    found[needle] = positions = []
                positions.append(end - len(needle) + 1)
        return built, found


_NEEDLES = _Needles()


def _find(lowered: str, needle: str) -> list[int]:
    found = []
    find = lowered.find
    i = find(needle)
    while i != -1:
        found.append(i)
        i = find(needle, i + 1)
    return found


class _Read:
    """One text as read by the automaton: where its needles are, and str.find for needles new to the automaton."""

    __slots__ = ("lowered", "built", "found")

    def __init__(self, lowered: str, needles):
        _NEEDLES.add(needles)
        self.lowered = lowered
        self.built, self.found = _NEEDLES.scan(lowered)

    def places(self, needle: str) -> list[int]:
        hit = self.found.get(needle)
        if hit is None:
            if needle in self.built:
                return []
            _NEEDLES.add((needle,))
            self.found[needle] = hit = _find(self.lowered, needle)
        return hit


def _read(lowered: str, needles) -> _Read | None:
    """The text as read within the current run of the checks, or None outside one (or for a tiny text)."""
    memo = getattr(_FOUND, "memo", None)
    if memo is None or len(lowered) < _AUTOMATON_FROM:
        return None
    read = memo.get(id(lowered))
    if read is None or read.lowered is not lowered:
        read = memo[id(lowered)] = _Read(lowered, needles)
    return read


def find_all(lowered: str, needles) -> list[int]:
    """Every offset where any needle occurs (overlapping occurrences included), needle by needle."""
    read = _read(lowered, needles)
    positions = []
    for needle in needles:
        positions.extend(read.places(needle) if read is not None else _find(lowered, needle))
    return positions


_SETS: dict[int, list] = {}


def _needle_set(needles) -> list:
    """[needles, their set, their order, the automaton's needles when all of them were in it], kept per tuple: the
    rules pass the same tuples on every call."""
    entry = _SETS.get(id(needles))
    if entry is None or entry[0] is not needles:
        if len(_SETS) > 4096:
            _SETS.clear()
        entry = _SETS[id(needles)] = [needles, frozenset(needles), {n: i for i, n in enumerate(needles)}, None]
    return entry


def occurring(lowered: str, needles) -> tuple[str, ...] | None:
    """The needles that occur in `lowered`, in their order; None outside a run of the checks (or for a tiny text),
    where the caller knows a cheaper way."""
    read = _read(lowered, needles)
    if read is None:
        return None
    entry = _needle_set(needles)
    wanted, order = entry[1], entry[2]
    if entry[3] is not read.built:
        if not wanted <= read.built:  # some are new to the automaton: one by one
            return tuple(needle for needle in needles if read.places(needle))
        entry[3] = read.built
    found = read.found
    if len(found) < len(wanted):
        hits = [needle for needle, places in found.items() if places and needle in wanted]
    else:
        hits = [needle for needle in wanted if found.get(needle)]
    hits.sort(key=order.__getitem__)
    return tuple(hits)


class remembering_finds:
    """A context in which find_all remembers what it found (per thread; forgotten on exit)."""

    def __enter__(self):
        self.outer = getattr(_FOUND, "memo", None)
        if self.outer is None:
            _FOUND.memo = {}
        return self

    def __exit__(self, *exc):
        if self.outer is None:
            _FOUND.memo = None
        return False
