"""Where the rules' anchor words occur in a text: str.find for a short text, one pass of an automaton for a long one."""

from __future__ import annotations

import threading

import ahocorasick

_FOUND = threading.local()
_LONG = 4000


class _Needles:
    """Every needle ever looked for in a long text, in one Aho-Corasick automaton: a long text is read once for all
    of them, instead of once per needle (a 5,000-line write-up meets about 200 needles in each of its sections).

    The set only grows; a needle seen for the first time is looked for with str.find in the current text and joins
    the automaton for the next one. Rebuilding it takes well under a millisecond.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.known: set[str] = set()
        self.automaton = None
        self.built: frozenset[str] = frozenset()

    LIMIT = 5000  # organizations' own word lists add needles too; past this many, the newcomers use str.find

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


def _scanned(memo: dict, lowered: str, needles) -> tuple[frozenset[str], dict[str, list[int]]]:
    """The automaton's needles and their places in `lowered`, read once per run of the checks."""
    entry = memo.get(id(lowered))
    if entry is None or entry[0] is not lowered:
        _NEEDLES.add(needles)
        built, found = _NEEDLES.scan(lowered)
        entry = memo[id(lowered)] = (lowered, built, found)
    return entry[1], entry[2]


def find_all(lowered: str, needles) -> list[int]:
    """Every offset where any needle occurs (overlapping occurrences included), needle by needle.

    Within one run of the checks (see `remembering_finds`), a long text is read once by an automaton holding every
    needle the rules look for, and each needle's places are kept: many rules share their anchor words.
    """
    memo = getattr(_FOUND, "memo", None) if len(lowered) > _LONG else None
    if memo is None:
        positions = []
        for needle in needles:
            positions.extend(_find(lowered, needle))
        return positions
    built, found = _scanned(memo, lowered, needles)
    positions = []
    for needle in needles:
        hit = found.get(needle)
        if hit is None and needle not in built:
            _NEEDLES.add((needle,))  # read with the others from the next long text on
            found[needle] = hit = _find(lowered, needle)
        if hit:
            positions.extend(hit)
    return positions


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


def occurring(lowered: str, needles) -> tuple[str, ...]:
    """The needles that occur in `lowered` (in their order)."""
    memo = getattr(_FOUND, "memo", None) if len(lowered) > _LONG else None
    if memo is None:
        return tuple(needle for needle in needles if needle in lowered)
    built, found = _scanned(memo, lowered, needles)
    kept = []
    for needle in needles:
        if needle in found:
            kept.append(needle)
        elif needle not in built:
            _NEEDLES.add((needle,))  # read with the others from the next long text on
            if needle in lowered:
                kept.append(needle)
    return tuple(kept)
