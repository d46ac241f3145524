"""The checker reads a long section once for all its anchor words (an automaton); it must find what str.find finds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrospector.checks.language import find_all, remembering_finds

pytestmark = pytest.mark.no_database

WORDS = ["blame", "should have", "the", "’ve", "n't test", "aa", "a", "ab", "é", "because ", "root"]


def naive(text: str, needles) -> list[int]:
    found = []
    for needle in needles:
        i = text.find(needle)
        while i != -1:
            found.append(i)
            i = text.find(needle, i + 1)
    return found


@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(WORDS + [" ", "\n", "x", "aaa"]), min_size=0, max_size=3000),
    needles=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5),
    later=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5),
)
def test_anchor_words_are_found_where_they_are_in_long_and_short_texts(pieces, needles, later):
    text = "".join(pieces)
    with remembering_finds():
        # needles asked for first, then others (some new to the automaton), then the first ones again
        assert find_all(text, needles) == naive(text, needles)
        assert find_all(text, later) == naive(text, later)
        assert find_all(text, needles) == naive(text, needles)
    assert find_all(text, later) == naive(text, later)


def test_a_long_section_gives_the_same_places_for_known_and_new_needles():
    text = ("the team should have rolled back; nobody is to blame. " * 200).lower()
    with remembering_finds():
        assert find_all(text, ("blame",)) == naive(text, ("blame",))
    with remembering_finds():
        found = find_all(text, ("should have", "blame", "nowhere-to-be-seen"))
    assert found == naive(text, ("should have", "blame"))
    assert len(found) == 400
