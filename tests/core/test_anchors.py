"""Anchors of feedback threads (core.anchors): made on a quote, found again after edits of the section."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrospector.core.anchors import QuoteNotFound, anchor_create, anchor_follow, body_opcodes

# The text around the passage and every edit are written with these; the passage always has a capital letter, which
# nothing else has: it is the one place its text can be, so "its passage" is well defined after any edit.
FILLER = st.text(alphabet="abcde .,\n*", max_size=60)
PASSAGE = st.builds(
    lambda head, capital, tail: head + capital + tail,
    st.text(alphabet="abcde .,\n", max_size=15),
    st.sampled_from("XYZ"),
    st.text(alphabet="abcde .,\n", max_size=15),
)


def follow(old, new, anchor):
    return anchor_follow(
        old_body=old,
        new_body=new,
        start=anchor.start,
        end=anchor.end,
        quote=anchor.quote,
        prefix=anchor.prefix,
        suffix=anchor.suffix,
    )


@st.composite
def edit_outside(draw, body: str, start: int, end: int):
    """One insert, delete or replacement in `body` that leaves [start, end) as it is (it may touch its edges)."""
    before = draw(st.booleans()) if start > 0 or end < len(body) else True
    lo, hi = (0, start) if before else (end, len(body))
    a = draw(st.integers(lo, hi))
    b = draw(st.integers(a, hi))
    text = draw(FILLER)
    new = body[:a] + text + body[b:]
    shift = (len(text) - (b - a)) if before else 0
    return new, start + shift


@given(data=st.data(), left=FILLER, passage=PASSAGE, right=FILLER, edits=st.integers(1, 6))
@settings(max_examples=300, deadline=None)
def test_edits_elsewhere_never_move_an_anchor_off_its_passage(data, left, passage, right, edits):
    body = left + passage + right
    anchor = anchor_create(body, passage, near=len(left))
    assert (anchor.start, anchor.end) == (len(left), len(left) + len(passage))
    for _ in range(edits):
        new, expected = data.draw(edit_outside(body, anchor.start, anchor.end))
        followed = follow(body, new, anchor)
        assert not followed.outdated
        assert (followed.start, followed.end) == (expected, expected + len(passage))
        assert new[followed.start : followed.end] == passage
        body = new
        anchor = anchor_create(body, passage, near=followed.start)


@given(left=FILLER, passage=PASSAGE, right=FILLER, replacement=FILLER)
@settings(max_examples=200, deadline=None)
def test_deleting_the_passage_makes_the_anchor_outdated(left, passage, right, replacement):
    body = left + passage + right
    anchor = anchor_create(body, passage, near=len(left))
    followed = follow(body, left + replacement + right, anchor)
    assert followed.outdated
    assert (followed.start, followed.end) == (None, None)
    assert followed.quote == passage  # the old quote is kept, to be shown as outdated


@given(data=st.data(), body=st.text(alphabet="ab \n", min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_with_repeated_text_an_anchor_still_lands_on_its_own_words(data, body):
    # Without a mark of its own, a passage may have twins: then it lands on a copy of its text, never on other text.
    start = data.draw(st.integers(0, len(body) - 1))
    end = data.draw(st.integers(start + 1, len(body)))
    if not body[start:end].strip():
        return
    anchor = anchor_create(body, body[start:end], near=start)
    new, _ = data.draw(edit_outside(body, anchor.start, anchor.end))
    followed = follow(body, new, anchor)
    assert not followed.outdated
    assert new[followed.start : followed.end] == anchor.quote


def test_a_quote_is_anchored_where_it_is_written_with_its_context():
    body = "We restarted the database. Then the queue drained slowly over an hour."
    anchor = anchor_create(body, "the queue drained slowly")
    assert body[anchor.start : anchor.end] == "the queue drained slowly"
    assert anchor.prefix == "We restarted the database. Then "
    assert anchor.suffix == " over an hour."


def test_a_rendered_selection_is_anchored_on_its_markdown():
    body = "## Impact\n\n- The **checkout** was [down](https://status.example.com/1)\n  for *most* users.\n"
    anchor = anchor_create(body, "The checkout was down for most users.")
    assert anchor.quote == "The **checkout** was [down](https://status.example.com/1)\n  for *most* users."
    table = "| Time | Event |\n|---|---|\n| 14:00 | Paged `db` team |\n"
    assert anchor_create(table, "14:00\tPaged db team").quote == "14:00 | Paged `db` team"


def test_a_quote_that_is_not_in_the_section_is_refused():
    with pytest.raises(QuoteNotFound):
        anchor_create("We restarted the database.", "we rebooted it")
    with pytest.raises(QuoteNotFound):
        anchor_create("We restarted the database.", "  \n ")


def test_a_repeated_quote_takes_the_occurrence_nearest_the_hint():
    body = "retry. retry. retry."
    assert anchor_create(body, "retry").start == 0
    assert anchor_create(body, "retry", near=13).start == 14


def test_an_anchor_follows_its_passage_through_a_rewrite_of_the_paragraph_before():
    old = "Intro.\n\nWe paged the team at 14:05.\n\nThe fix was a config rollback.\n"
    anchor = anchor_create(old, "config rollback")
    new = (
        "A longer introduction, rewritten.\n\nThe team was paged at 14:05 by the alert.\n\n"
        "The fix was a config rollback.\n"
    )
    followed = follow(old, new, anchor)
    assert followed.moved_by_diff
    assert new[followed.start : followed.end] == "config rollback"


def test_a_changed_passage_is_found_again_by_its_context_when_its_words_moved():
    old = "First: slow disk. Second: the cache was cold. Third: slow disk."
    anchor = anchor_create(old, "slow disk", near=50)
    # The passage's line is rewritten so the diff cannot carry it; the quote is still there twice: its context decides.
    new = "Second: the cache was cold. First: slow disk.\nThird: slow disk."
    followed = follow(old, new, anchor)
    assert not followed.outdated
    assert new[: followed.start].endswith("Third: ")


def test_an_edit_inside_the_passage_outdates_it():
    old = "The deploy at 14:00 broke checkout."
    anchor = anchor_create(old, "deploy at 14:00")
    followed = follow(old, "The deploy at 14:05 broke checkout.", anchor)
    assert followed.outdated and followed.quote == "deploy at 14:00"


def test_markup_added_around_the_passage_keeps_the_anchor():
    old = "The cache was cold after the restart."
    anchor = anchor_create(old, "cache was cold")
    new = "The **cache** was cold after the restart."
    followed = follow(old, new, anchor)
    assert not followed.outdated
    assert followed.quote == "cache** was cold"


def test_without_the_old_body_the_quote_is_searched_for():
    followed = anchor_follow(
        old_body=None, new_body="Now: the cache was cold.", start=3, end=17, quote="cache was cold", prefix="the "
    )
    assert (followed.start, followed.end) == (9, 23)


def test_a_long_section_is_diffed_by_lines_first():
    old = "".join(f"Line {n} of the write-up.\n" for n in range(5000))
    anchor = anchor_create(old, "Line 4000 of")
    new = "A new first line.\n" + old.replace("Line 10 of", "Line ten of")
    opcodes = body_opcodes(old, new)
    assert len(opcodes) < 10
    followed = follow(old, new, anchor)
    assert followed.moved_by_diff and new[followed.start : followed.end] == "Line 4000 of"
