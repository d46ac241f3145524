"""Feedback threads, the services and their rules: who may comment when, anchors, double submits, stale edits,
resolutions, mentions and notifications."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.notifications.models import Notification
from retrospector.reviews.models import Comment, Mention, Thread
from retrospector.reviews.threads import (
    comment_add,
    comment_edit,
    mentioned_usernames,
    retrospective_for_feedback_or_404,
    thread_detail_or_404,
    thread_reopen,
    thread_resolve,
    thread_start,
    threads_for_page,
    threads_of_retrospective,
)
from tests.reviews.thread_support import (
    retro_fixture,  # noqa: F401  (the `retro` fixture)
    save_summary,
    set_state,
    summary_of,
)

pytestmark = pytest.mark.django_db


def start(retrospective, by, *, body="Say which bank.", quote="", kind="clarify", token=""):
    return thread_start(
        retrospective=retrospective,
        section="summary",
        kind=kind,
        body=body,
        quote=quote,
        client_token=token,
        by=by,
    )


def notifications_of(user, kind=None):
    rows = Notification.objects.filter(recipient=user)
    return rows.filter(kind=kind) if kind else rows


def test_a_reader_comments_on_a_quoted_passage_while_it_is_in_review(retro, people):
    retrospective = retro()
    posted = start(retrospective, people["dana"], quote="rejected every card", body="Which **bank**?")
    thread = posted.thread
    assert posted.created
    assert (thread.kind, thread.quote, thread.created_by) == ("clarify", "rejected every card", people["dana"])
    body = summary_of(retrospective).body
    assert body[thread.anchor_start : thread.anchor_end] == "rejected every card"
    assert thread.quote_prefix.endswith("The **fraud rule** ") and thread.quote_suffix.startswith(" from one bank")
    assert thread.anchor_version == summary_of(retrospective).version
    thread.refresh_from_db()
    assert thread.comment_count == 1 and thread.last_comment_at is not None
    assert posted.comment.html == "<p>Which <strong>bank</strong>?</p>\n"


def test_a_rendered_selection_is_anchored_on_the_markdown_it_comes_from(retro, people):
    thread = start(retro(), people["bob"], quote="The fraud rule rejected").thread
    assert thread.quote == "The **fraud rule** rejected"


def test_a_thread_on_the_whole_section_has_no_quote(retro, people):
    thread = start(retro(), people["bob"]).thread
    assert (thread.quote, thread.anchor_start, thread.anchor_end) == ("", None, None)


def test_a_quote_that_is_not_in_the_section_is_refused_naming_the_field(retro, people):
    with pytest.raises(ValidationError) as refused:
        start(retro(), people["bob"], quote="the database fell over")
    assert "quote" in refused.value.error_dict
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"kind": "nitpick"}, "kind"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"token": "has spaces"}, "client_token"),
    ],
)
def test_bad_input_is_refused_naming_the_field(retro, people, change, field):
    with pytest.raises(ValidationError) as refused:
        start(retro(), people["bob"], **change)
    assert field in refused.value.error_dict
    assert not Thread.objects.exists() and not Comment.objects.exists()


def test_an_unknown_section_is_refused_naming_it(retro, people):
    with pytest.raises(ValidationError) as refused:
        thread_start(retrospective=retro(), section="nope", kind="change", body="x", by=people["bob"])
    assert "section" in refused.value.error_dict


def test_markdown_in_comments_is_sanitized(retro, people):
    posted = start(retro(), people["bob"], body="<script>alert(1)</script>\n\n[x](javascript:alert(1)) **ok**")
    assert "<script" not in posted.comment.html and 'href="javascript' not in posted.comment.html
    assert "<strong>ok</strong>" in posted.comment.html


def test_twenty_thousand_characters_are_accepted(retro, people):
    assert start(retro(), people["bob"], body="y" * 20_000).created


@pytest.mark.parametrize("state", ["in_review", "meeting"])
def test_anyone_who_may_read_comments_while_feedback_is_open(retro, people, state):
    retrospective = retro(state=state)
    for name in ("alice", "bob", "dana", "charlie", "erin"):
        assert start(retrospective, people[name]).created, name


def test_invited_people_comment_on_a_private_incident_in_review(retro, people):
    from retrospector.incidents.services import incident_update

    retrospective = retro(visibility="private")
    incident_update(incident=retrospective.incident, by=people["alice"], invitees=[people["erin"]])
    visible = retrospective_for_feedback_or_404(user=people["erin"], pk=retrospective.pk)
    assert start(visible, people["erin"]).created


def test_a_private_retrospective_is_404_to_those_who_may_not_see_it(retro, people):
    retrospective = retro(visibility="private")
    thread = start(retrospective, people["bob"]).thread
    for name in ("charlie", "erin"):
        with pytest.raises(Http404):
            retrospective_for_feedback_or_404(user=people[name], pk=retrospective.pk)
        with pytest.raises(Http404):
            thread_detail_or_404(user=people[name], pk=thread.pk)


def test_in_draft_only_the_people_who_write_it_comment(retro, people):
    retrospective = retro(state="draft")
    assert start(retrospective, people["bob"]).created
    for name in ("dana", "charlie", "erin"):
        with pytest.raises(PermissionDenied):
            start(retrospective, people[name])
    thread = Thread.objects.get()
    with pytest.raises(PermissionDenied):
        comment_add(thread=thread, body="Me too", by=people["dana"])
    assert Thread.objects.count() == 1 and Comment.objects.count() == 1


@pytest.mark.parametrize("state", ["approved", "done"])
def test_approved_and_done_retrospectives_are_read_only(retro, people, state):
    retrospective = retro()
    thread = start(retrospective, people["dana"]).thread
    comment = thread.comments.get()
    set_state(retrospective, state)
    thread = thread_detail_or_404(user=people["alice"], pk=thread.pk)
    for attempt in (
        lambda: start(retrospective, people["alice"]),
        lambda: comment_add(thread=thread, body="Late", by=people["alice"]),
        lambda: comment_edit(comment=comment, body="Edited", base_version=1, by=people["dana"]),
        lambda: thread_resolve(thread=thread, resolution="changed", by=people["alice"]),
    ):
        with pytest.raises(ReadOnlyError):
            attempt()
    assert Comment.objects.count() == 1
    thread.refresh_from_db()
    assert thread.is_open


def test_a_double_submit_creates_one_thread_and_one_comment(retro, people):
    retrospective = retro()
    first = start(retrospective, people["dana"], token="form-1")
    again = start(retrospective, people["dana"], token="form-1", body="Changed my mind meanwhile")
    assert first.created and not again.created
    assert again.comment.pk == first.comment.pk
    assert Thread.objects.count() == 1
    reply = comment_add(thread=first.thread, body="Also the time", client_token="form-2", by=people["dana"])
    twice = comment_add(thread=first.thread, body="Also the time", client_token="form-2", by=people["dana"])
    assert reply.created and not twice.created and twice.comment.pk == reply.comment.pk
    thread = Thread.objects.get()
    assert thread.comments.count() == 2 and thread.comment_count == 2
    # Another person's token is theirs: the same value writes their own comment.
    assert comment_add(thread=thread, body="Same token", client_token="form-2", by=people["bob"]).created


def test_a_stale_edit_conflicts_showing_the_current_version(retro, people):
    comment = start(retro(), people["dana"], body="First words").comment
    saved = comment_edit(comment=comment, body="Second words", base_version=1, by=people["dana"]).comment
    assert (saved.version, saved.body, saved.html) == (2, "Second words", "<p>Second words</p>\n")
    with pytest.raises(ConflictError) as conflict:
        comment_edit(comment=comment, body="Lost words?", base_version=1, by=people["dana"])
    assert conflict.value.current.body == "Second words" and conflict.value.current.version == 2
    comment.refresh_from_db()
    assert comment.body == "Second words"


def test_only_the_author_edits_a_comment(retro, people):
    comment = start(retro(), people["dana"]).comment
    with pytest.raises(PermissionDenied):
        comment_edit(comment=comment, body="Not mine", base_version=1, by=people["alice"])


def test_resolving_records_who_when_and_why_and_tells_the_starter(retro, people):
    thread = start(retro(), people["dana"]).thread
    resolved = thread_resolve(thread=thread, resolution="changed", note="Named the bank.", by=people["alice"])
    assert (resolved.resolution, resolved.resolution_note, resolved.resolved_by) == (
        "changed",
        "Named the bank.",
        people["alice"],
    )
    assert resolved.resolved_at is not None and not resolved.is_open
    told = notifications_of(people["dana"], "thread_resolved").get()
    assert told.url == f"/retrospectives/{thread.retrospective_id}/#thread-{thread.pk}"
    # The same resolution sent twice tells nobody twice.
    thread_resolve(thread=resolved, resolution="changed", note="Named the bank.", by=people["alice"])
    assert notifications_of(people["dana"], "thread_resolved").count() == 1


def test_readers_may_not_resolve_but_writers_and_the_shadow_may(retro, people):
    from retrospector.writeups.services import retrospective_assign

    retrospective = retro()
    thread = start(retrospective, people["dana"]).thread
    for name in ("dana", "charlie", "erin"):
        with pytest.raises(PermissionDenied):
            thread_resolve(thread=thread, resolution="clarified", by=people[name])
    retrospective_assign(retrospective=retrospective, by=people["alice"], owner=people["bob"], shadow=people["erin"])
    thread = thread_detail_or_404(user=people["erin"], pk=thread.pk)
    assert thread_resolve(thread=thread, resolution="disagreed", by=people["erin"]).resolution == "disagreed"


def test_a_resolved_thread_can_be_reopened(retro, people):
    thread = start(retro(), people["dana"]).thread
    thread_resolve(thread=thread, resolution="clarified", by=people["alice"])
    with pytest.raises(PermissionDenied):
        thread_reopen(thread=thread, by=people["charlie"])
    reopened = thread_reopen(thread=thread, by=people["dana"])  # its starter
    assert reopened.is_open and reopened.resolution == "" and reopened.resolved_by is None


def test_mentions_notify_those_who_may_see_the_incident(retro, people):
    posted = start(retro(), people["bob"], body="@dana and @alice, what do you think? Not @nobody.")
    assert posted.not_notified == []
    assert {m.user.username for m in Mention.objects.all()} == {"dana", "alice"}
    assert all(m.notified for m in Mention.objects.all())
    for name in ("dana", "alice"):
        mention = notifications_of(people[name], "mentioned").get()
        assert mention.url.endswith(f"#thread-{posted.thread.pk}") and mention.actor == people["bob"]


def test_a_mention_of_someone_who_may_not_see_a_private_incident_notifies_nobody_and_says_so(retro, people):
    retrospective = retro(visibility="private")
    posted = start(retrospective, people["bob"], body="@charlie can you check the platform side?")
    assert posted.not_notified == [people["charlie"]]
    mention = Mention.objects.get()
    assert (mention.user, mention.notified) == (people["charlie"], False)
    assert not notifications_of(people["charlie"]).exists()


def test_a_reply_by_someone_mentioned_answers_their_mention(retro, people):
    thread = start(retro(), people["bob"], body="@dana which bank?").thread
    assert Mention.objects.get().answered_at is None
    comment_add(thread=thread, body="Northbank.", by=people["dana"])
    assert Mention.objects.get().answered_at is not None


def test_a_reply_tells_the_threads_participants_but_not_its_author(retro, people):
    thread = start(retro(), people["dana"]).thread
    comment_add(thread=thread, body="Good point", by=people["bob"])
    comment_add(thread=thread, body="Fixed it", by=people["alice"])
    assert notifications_of(people["dana"], "replied").count() == 2
    assert notifications_of(people["bob"], "replied").count() == 1
    assert not notifications_of(people["alice"], "replied").exists()
    thread.refresh_from_db()
    assert thread.comment_count == 3


def test_an_edit_that_adds_a_mention_notifies_only_the_new_one(retro, people):
    comment = start(retro(), people["bob"], body="@dana look").comment
    comment_edit(comment=comment, body="@dana look, and @alice too", base_version=1, by=people["bob"])
    assert notifications_of(people["dana"], "mentioned").count() == 1
    assert notifications_of(people["alice"], "mentioned").count() == 1


def test_mentions_are_read_as_usernames():
    assert mentioned_usernames("Hi @dana. Ask @bob.smith, not me@example.com or @dana again") == ["dana", "bob.smith"]


def test_anchors_follow_their_passage_when_the_section_is_read_after_edits(retro, people, django_assert_num_queries):
    retrospective = retro()
    kept = start(retrospective, people["dana"], quote="rolled the config back").thread
    gone = start(retrospective, people["dana"], quote="40 minutes").thread
    save_summary(retrospective, "A new first paragraph.\n\n" + summary_of(retrospective).body, people["alice"])
    body = summary_of(retrospective).body.replace("for 40 minutes ", "")
    save_summary(retrospective, body, people["alice"])
    sections = list(retrospective.sections.all())
    with django_assert_num_queries(6):  # threads, comments, mentions, authors, old texts, one update
        by_section = threads_for_page(retrospective=retrospective, sections=sections, user=people["bob"])
    kept.refresh_from_db()
    gone.refresh_from_db()
    section = summary_of(retrospective)
    assert (kept.anchor_version, kept.outdated) == (section.version, False)
    assert section.body[kept.anchor_start : kept.anchor_end] == "rolled the config back"
    assert (gone.outdated, gone.quote, gone.anchor_start) == (True, "40 minutes", None)
    assert {t.pk for t in by_section[section.pk]} == {kept.pk, gone.pk}
    # Read again: nothing is stale, nothing is written.
    with django_assert_num_queries(4):
        threads_for_page(retrospective=retrospective, sections=sections, user=people["bob"])


def test_mine_lists_threads_i_started_took_part_in_or_am_mentioned_in(retro, people):
    retrospective = retro()
    started = start(retrospective, people["dana"]).thread
    replied = start(retrospective, people["bob"]).thread
    comment_add(thread=replied, body="Agreed", by=people["dana"])
    mentioned = start(retrospective, people["bob"], body="@dana?").thread
    start(retrospective, people["bob"])
    mine = threads_of_retrospective(retrospective=retrospective, user=people["dana"], status="mine")
    assert [t.pk for t in mine] == [started.pk, replied.pk, mentioned.pk]
    thread_resolve(thread=started, resolution="changed", by=people["alice"])
    assert threads_of_retrospective(retrospective=retrospective, user=people["dana"], status="open").count() == 3
    assert [
        t.pk for t in threads_of_retrospective(retrospective=retrospective, user=people["dana"], status="resolved")
    ] == [started.pk]


def test_two_submits_racing_with_one_token_write_one_comment(retro, people, monkeypatch):
    # The other request's comment is committed between this one's look-up and its insert: the unique (author, token)
    # refuses the insert, and the comment written first is returned.
    from retrospector.reviews import threads

    thread = start(retro(), people["dana"]).thread
    Comment.objects.create(thread=thread, author=people["bob"], body="Racing", client_token="tok")
    looked_up = []
    real_existing = threads._existing

    def too_early(by, token):
        looked_up.append(token)
        return None if len(looked_up) == 1 else real_existing(by, token)

    monkeypatch.setattr(threads, "_existing", too_early)
    posted = comment_add(thread=thread, body="Racing", client_token="tok", by=people["bob"])
    assert not posted.created and posted.comment.body == "Racing"
    assert Comment.objects.filter(author=people["bob"]).count() == 1
    thread.refresh_from_db()
    assert thread.comment_count == 1  # the refused insert counted nothing
