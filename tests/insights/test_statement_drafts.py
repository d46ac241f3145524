"""The statements' drafts and the replacement of people's names, as pure functions (no database)."""

from datetime import timedelta

from retrospector.insights.statement_drafts import duration_in_words, names_in, without_names

PEOPLE = ["alice", "Alice", "Alice Martin", "Martin", "will", "Will", "bob"]


def test_durations_read_in_words():
    assert duration_in_words(timedelta(hours=2, minutes=15)) == "2 hours 15 minutes"
    assert duration_in_words(timedelta(days=1, minutes=1)) == "1 day 1 minute"
    assert duration_in_words(timedelta(seconds=20)) == "less than a minute"


def test_a_full_name_goes_as_one_role_and_a_sentence_keeps_its_capital():
    text = "Alice Martin restarted the pooler. Then bob checked it, and @carol.w paged the team."
    assert without_names(text, PEOPLE) == (
        "An engineer restarted the pooler. Then an engineer checked it, and an engineer paged the team."
    )


def test_a_word_that_is_also_someones_name_stays_a_word():
    assert without_names("We will raise the limit.", ["Will"]) == "We will raise the limit."
    assert names_in("We will raise the limit. Will agreed.", ["Will"]) == ["Will"]


def test_an_email_address_is_not_taken_for_a_handle():
    assert names_in("Write to support@example.com", []) == []
    assert names_in("Thanks @bob-ops.", []) == ["@bob-ops"]
