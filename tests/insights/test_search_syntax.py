"""Whatever is typed, search answers results or an empty list: query syntax never reaches the database as an error."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrospector.insights.search import search

pytestmark = pytest.mark.django_db

SYNTAX = st.sampled_from(
    ['"', "(", ")", "AND", "OR", "NOT", "NEAR", "NEAR(", "*", "-", "^", ":", "+", "'", "\\", "{", "}", "&", "|", "!"]
    + ["<->", "title:", "\x00", "\ud800", "pgbouncer", " ", "é", "数据库", "🙂", "%", "_", ";--"]
)
TEXT = st.one_of(st.text(max_size=300), st.lists(SYNTAX, max_size=40).map("".join), st.lists(SYNTAX).map(" ".join))


@pytest.fixture
def world(people, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="pgbouncer pool exhausted", summary='a "quoted" (bracketed) NEAR AND OR NOT * text')
    return people


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_any_text_answers_results_or_nothing(world, text):
    results = search(user=world["bob"], query=text)
    assert results.total == len(results.hits) or results.total > len(results.hits)


@pytest.mark.parametrize(
    "text",
    [
        '"pgbouncer',
        "pgbouncer)",
        "(pgbouncer",
        "pgbouncer AND",
        "NEAR(pgbouncer pool)",
        "pgbouncer*",
        "-pgbouncer",
        "^pgbouncer",
        "pgbouncer:",
        "pgbouncer " * 2000,
        '"pool exhausted"',
        "PGBOUNCER",
        "pgbouncer, pool!",
    ],
)
def test_operators_and_stray_syntax_find_the_words(world, text):
    results = search(user=world["bob"], query=text)
    assert results.total == 1


def test_a_phrase_keeps_its_words_together(world):
    assert search(user=world["bob"], query='"pool exhausted"').total == 1
    assert search(user=world["bob"], query='"exhausted pool"').total == 0
