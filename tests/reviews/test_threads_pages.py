"""Feedback threads on the pages: beside each section of the retrospective's page, their forms with and without
htmx, the list of all threads, who sees what, and the page's queries whatever the number of threads."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.reviews.models import Comment, Thread
from retrospector.reviews.threads import comment_add, thread_resolve, thread_start
from tests.reviews.thread_support import (
    retro_fixture,  # noqa: F401  (the `retro` fixture)
    save_summary,
    set_state,
    summary_of,
)

pytestmark = pytest.mark.django_db


def start(retrospective, by, *, body="Say which bank.", quote="", kind="clarify"):
    return thread_start(retrospective=retrospective, section="summary", kind=kind, body=body, quote=quote, by=by)


def page(client, retrospective):
    response = client.get(f"/retrospectives/{retrospective.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def column(html: str, key: str = "summary") -> str:
    match = re.search(rf'<aside class="threads-col[^"]*" id="threads-{key}".*?</aside>', html, re.S)
    return match.group(0) if match else ""


def test_threads_show_beside_their_section_with_quote_kind_and_comments(retro, people, client_for):
    retrospective = retro()
    thread = start(retrospective, people["dana"], quote="rejected every card", body="Which **bank**?").thread
    comment_add(thread=thread, body="Northbank, I think.", by=people["bob"])
    html = column(page(client_for("bob"), retrospective))
    assert f'id="thread-{thread.pk}"' in html
    assert "rejected every card" in html and "<strong>bank</strong>" in html and "Northbank" in html
    assert 'class="badge kind-clarify">Clarify<' in html
    assert "Comment on this section" in html and 'name="client_token"' in html
    assert f'action="/threads/{thread.pk}/resolve"' in html  # bob writes it: he may resolve
    assert 'hx-trigger="sectionSaved-summary from:body"' in html


def test_outdated_threads_keep_their_old_quote_and_resolved_ones_are_folded(retro, people, client_for):
    retrospective = retro()
    outdated = start(retrospective, people["dana"], quote="40 minutes").thread
    resolved = start(retrospective, people["dana"], quote="rolled the config back").thread
    thread_resolve(thread=resolved, resolution="changed", note="Reworded.", by=people["alice"])
    save_summary(retrospective, summary_of(retrospective).body.replace("40 minutes", "an hour"), people["alice"])
    html = column(page(client_for("dana"), retrospective))
    outdated_html = re.search(rf'id="thread-{outdated.pk}".*?</article>', html, re.S).group(0)
    assert "outdated</span>" in outdated_html and "thread-quote old" in outdated_html and "40 minutes" in outdated_html
    folded = html[html.index('<details class="resolved-threads">') :]
    assert f'id="thread-{resolved.pk}"' in folded and f'id="thread-{outdated.pk}"' not in folded
    assert "Resolved as <strong>changed</strong> by Alice" in html and "Reworded." in html
    assert "1 open, 1 resolved" in html


def test_readers_of_a_draft_see_threads_but_no_forms(retro, people, client_for):
    retrospective = retro(state="draft")
    start(retrospective, people["bob"])
    html = column(page(client_for("dana"), retrospective))
    assert "Say which bank." in html
    assert "Comment on this section" not in html and "<form" not in html
    side = page(client_for("dana"), retrospective)
    assert "Feedback opens when it is sent for review." in side


def test_a_section_without_threads_shows_no_column_to_those_who_may_not_comment(retro, people, client_for):
    retrospective = retro(state="approved")
    assert column(page(client_for("bob"), retrospective)) == ""


def test_starting_a_thread_without_javascript_redirects_to_it(retro, people, client_for):
    retrospective = retro()
    response = client_for("dana").post(
        f"/retrospectives/{retrospective.pk}/sections/summary/threads/new",
        {"kind": "question", "quote": "The fraud rule rejected", "body": "Why this rule?", "client_token": "t1"},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#thread-{thread.pk}")
    assert (thread.kind, thread.quote) == ("question", "The **fraud rule** rejected")


def test_a_double_submit_of_the_form_creates_one_comment(retro, people, client_for):
    retrospective = retro()
    client = client_for("dana")
    form = {"kind": "change", "body": "Name the bank.", "client_token": "same-form"}
    for _ in range(2):
        response = client.post(f"/retrospectives/{retrospective.pk}/sections/summary/threads/new", form)
        assert response.status_code == 302
    assert Thread.objects.count() == 1 and Comment.objects.count() == 1
    thread = Thread.objects.get()
    reply = {"body": "And the time.", "client_token": "reply-form"}
    for _ in range(2):
        client.post(f"/threads/{thread.pk}/comments", reply, HTTP_HX_REQUEST="true")
    assert Comment.objects.count() == 2


def test_with_htmx_a_reply_answers_the_refreshed_column(retro, people, client_for):
    retrospective = retro()
    thread = start(retrospective, people["dana"]).thread
    response = client_for("bob").post(
        f"/threads/{thread.pk}/comments", {"body": "Done, see v3.", "client_token": "x"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<aside class="threads-col" id="threads-summary"')
    assert "Done, see v3." in html and "Reply added." in html
    assert '<span id="threads-open-count" hx-swap-oob="true">1 open thread</span>' in html


def test_a_bad_form_is_shown_again_with_what_was_typed_naming_the_field(retro, people, client_for):
    retrospective = retro()
    client = client_for("dana")
    url = f"/retrospectives/{retrospective.pk}/sections/summary/threads/new"
    form = {"kind": "change", "quote": "not in the text", "body": "My words stay."}
    response = client.post(url, form, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    html = response.content.decode()
    assert "not in this section" in html and "My words stay." in html and "not in the text" in html
    response = client.post(url, form)  # without JavaScript: a page of its own
    assert response.status_code == 422
    assert "not in this section" in response.content.decode() and "My words stay." in response.content.decode()
    assert not Thread.objects.exists()


def test_a_mention_that_reaches_nobody_is_told_to_its_author(retro, people, client_for):
    retrospective = retro(visibility="private")
    client = client_for("bob")
    response = client.post(
        f"/retrospectives/{retrospective.pk}/sections/summary/threads/new",
        {"kind": "question", "body": "@charlie is this platform's?", "client_token": "m"},
        follow=True,
    )
    assert "@charlie was not notified: they may not see this incident." in response.content.decode()
    assert "@charlie was not notified" in column(page(client, retrospective))
    assert "@charlie was not notified" not in column(page(client_for("alice"), retrospective))


def test_resolving_from_the_page(retro, people, client_for):
    retrospective = retro()
    thread = start(retrospective, people["dana"]).thread
    response = client_for("alice").post(f"/threads/{thread.pk}/resolve", {"resolution": "clarified", "note": "Ok"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert (thread.resolution, thread.resolved_by) == ("clarified", people["alice"])
    assert client_for("dana").post(f"/threads/{thread.pk}/reopen").status_code == 302
    thread.refresh_from_db()
    assert thread.is_open


def test_a_stale_comment_edit_shows_both_versions_and_keeps_mine(retro, people, client_for):
    comment = start(retro(), people["dana"], body="First").comment
    client = client_for("dana")
    url = f"/comments/{comment.pk}/edit"
    assert client.get(url).status_code == 200
    assert client.post(url, {"body": "Second", "base_version": 1}).status_code == 302
    response = client.post(url, {"body": "Third", "base_version": 1})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Second" in html and "Third" in html and 'name="base_version" value="2"' in html
    comment.refresh_from_db()
    assert comment.body == "Second"
    assert client_for("bob").get(url).status_code == 403


@pytest.mark.parametrize(
    "name, visibility, expected",
    [
        ("charlie", "private", 404),
        ("erin", "private", 404),
        ("dana", "private", 403),
        ("bob", "private", 302),
    ],
)
def test_writes_on_a_draft_answer_404_to_outsiders_and_403_to_readers(
    retro, people, client_for, name, visibility, expected
):
    retrospective = retro(visibility=visibility, state="draft")
    thread = start(retrospective, people["alice"]).thread
    client = client_for(name)
    responses = [
        client.post(
            f"/retrospectives/{retrospective.pk}/sections/summary/threads/new", {"kind": "change", "body": "Mine"}
        ),
        client.post(f"/threads/{thread.pk}/comments", {"body": "Mine"}),
        client.post(f"/threads/{thread.pk}/resolve", {"resolution": "changed"}),
    ]
    if expected == 403:
        assert [r.status_code for r in responses] == [403, 403, 403]
    else:
        assert [r.status_code for r in responses] == [expected] * 3
    listed = client.get(f"/retrospectives/{retrospective.pk}/threads")
    assert listed.status_code == (404 if expected == 404 else 200)
    if expected == 404:
        assert "Private checkout outage" not in listed.content.decode()


def test_the_list_of_threads_filters_open_resolved_and_mine(retro, people, client_for):
    retrospective = retro()
    mine = start(retrospective, people["dana"], body="Dana's question").thread
    other = start(retrospective, people["bob"], body="Bob's remark").thread
    thread_resolve(thread=other, resolution="disagreed", by=people["alice"])
    client = client_for("dana")
    url = f"/retrospectives/{retrospective.pk}/threads"

    def shown(query):
        html = client.get(url + query).content.decode()
        return {pk for pk in (mine.pk, other.pk) if f'id="thread-{pk}"' in html}

    assert shown("") == {mine.pk, other.pk}
    assert shown("?filter=open") == {mine.pk}
    assert shown("?filter=resolved") == {other.pk}
    assert shown("?filter=mine") == {mine.pk}
    assert shown("?filter=nonsense") == {mine.pk, other.pk}
    assert 'aria-current="page">Open<' in client.get(url + "?filter=open").content.decode()


def test_the_list_of_threads_is_paginated(retro, people, client_for, django_assert_max_num_queries):
    retrospective = retro()
    for n in range(25):
        start(retrospective, people["bob"], body=f"Remark {n}")
    client = client_for("dana")
    with django_assert_max_num_queries(16):
        first = client.get(f"/retrospectives/{retrospective.pk}/threads").content.decode()
    assert first.count('class="card thread-row') == 20 and "Page 1 of 2" in first
    second = client.get(f"/retrospectives/{retrospective.pk}/threads?page=2").content.decode()
    assert second.count('class="card thread-row') == 5


def _page_queries(client, retrospective) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/retrospectives/{retrospective.pk}/").status_code == 200
    return len(queries)


def test_the_pages_queries_do_not_grow_with_threads_and_comments(
    retro, people, client_for, django_assert_max_num_queries
):
    retrospective = retro()
    client = client_for("bob")

    def add_threads(count):
        for n in range(count):
            thread = start(retrospective, people["dana"], quote="rejected every card", body=f"@bob point {n}").thread
            comment_add(thread=thread, body="A reply", by=people["alice"])
            comment_add(thread=thread, body="Another", by=people["bob"])

    add_threads(2)
    _page_queries(client, retrospective)  # anchors settle
    with_two = _page_queries(client, retrospective)
    add_threads(18)
    save_summary(retrospective, "New first line.\n\n" + summary_of(retrospective).body, people["alice"])
    with django_assert_max_num_queries(with_two + 2):  # the old text and the anchors' update, once for all
        page(client, retrospective)
    assert _page_queries(client, retrospective) == with_two
    assert Thread.objects.filter(anchor_version=summary_of(retrospective).version).count() == 20


def test_saving_a_section_in_place_tells_its_threads_to_refresh(retro, people, client_for):
    retrospective = retro()
    section = summary_of(retrospective)
    response = client_for("alice").post(
        f"/retrospectives/{retrospective.pk}/sections/summary/edit",
        {"body": section.body + "\n\nMore.", "base_version": section.version, "in_page": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "sectionSaved-summary"
    refreshed = client_for("bob").get(
        f"/retrospectives/{retrospective.pk}/sections/summary/threads", HTTP_HX_REQUEST="true"
    )
    assert refreshed.status_code == 200 and 'id="threads-summary"' in refreshed.content.decode()


def test_feedback_closed_is_said_on_the_page(retro, people, client_for):
    retrospective = retro()
    start(retrospective, people["dana"])
    set_state(retrospective, "done")
    html = page(client_for("bob"), retrospective)
    assert "Feedback is closed." in html
    assert "Comment on this section" not in html and "/resolve" not in html


def test_quotes_and_names_are_escaped_in_the_column(retro, people, client_for):
    retrospective = retro()
    save_summary(retrospective, 'Before <img src=x onerror="alert(1)"> after.', people["alice"])
    people["dana"].full_name = "<b>Dana</b>"
    people["dana"].save(update_fields=["full_name"])
    start(retrospective, people["dana"], quote='<img src=x onerror="alert(1)">', body="<img src=y onerror=alert(2)>")
    html = column(page(client_for("bob"), retrospective))
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "onerror=alert(2)" not in html
    assert "<b>Dana</b>" not in html and "&lt;b&gt;Dana&lt;/b&gt;" in html


def test_a_resolved_thread_is_folded_beside_its_section_and_read_in_full_on_its_own_page(retro, people, client_for):
    retrospective = retro()
    thread = start(retrospective, people["dana"], quote="rejected every card", body="Which **bank**?").thread
    comment_add(thread=thread, body="Northbank, I think.", by=people["bob"])
    thread_resolve(thread=thread, resolution="clarified", note="Named the bank.", by=people["alice"])
    beside = column(page(client_for("bob"), retrospective))
    folded = re.search(rf'id="thread-{thread.pk}".*?</article>', beside, re.S).group(0)
    assert "Named the bank." in folded and "rejected every card" in folded
    assert f'href="/threads/{thread.pk}/"' in folded and "(2 comments)" in folded
    assert "Northbank" not in folded and 'name="body"' not in folded  # no conversation, no reply form
    assert f'action="/threads/{thread.pk}/reopen"' in folded  # bob may still reopen it from the column

    own = client_for("bob").get(f"/threads/{thread.pk}/")
    assert own.status_code == 200
    html = own.content.decode()
    assert "<strong>bank</strong>" in html and "Northbank" in html and "Named the bank." in html
    assert "Clarify thread on" in html and 'name="back" value="thread"' in html
    assert "hx-post" not in html.split('class="thread-page"')[1]  # plain forms: they come back to this page


def test_replying_and_reopening_on_the_thread_page_come_back_to_it(retro, people, client_for):
    retrospective = retro()
    thread = start(retrospective, people["dana"]).thread
    thread_resolve(thread=thread, resolution="changed", by=people["alice"])
    client = client_for("dana")
    reopened = client.post(f"/threads/{thread.pk}/reopen", {"back": "thread"})
    assert reopened.status_code == 302 and reopened["Location"] == f"/threads/{thread.pk}/#thread-{thread.pk}"
    replied = client.post(f"/threads/{thread.pk}/comments", {"body": "One more thing.", "back": "thread"})
    added = Comment.objects.get(body="One more thing.")
    assert replied["Location"] == f"/threads/{thread.pk}/#comment-{added.pk}"
    assert "One more thing." in client.get(replied["Location"]).content.decode()
    # From the retrospective's page (no `back`), a reply still lands there.
    again = client.post(f"/threads/{thread.pk}/comments", {"body": "And another.", "client_token": "z"})
    assert again["Location"].startswith(f"/retrospectives/{retrospective.pk}/#comment-")


def test_an_edited_comment_is_shown_on_its_threads_page(retro, people, client_for):
    comment = start(retro(), people["dana"], body="First").comment
    response = client_for("dana").post(f"/comments/{comment.pk}/edit", {"body": "Second", "base_version": 1})
    assert response["Location"] == f"/threads/{comment.thread_id}/#comment-{comment.pk}"


@pytest.mark.parametrize("name, expected", [("charlie", 404), ("erin", 404), ("dana", 200), ("bob", 200)])
def test_a_threads_page_is_404_to_those_who_may_not_see_the_incident(retro, people, client_for, name, expected):
    thread = start(retro(visibility="private"), people["alice"], body="Private detail").thread
    response = client_for(name).get(f"/threads/{thread.pk}/")
    assert response.status_code == expected
    assert ("Private detail" in response.content.decode()) is (expected == 200)


def test_a_threads_page_reads_a_constant_number_of_queries(retro, people, client_for):
    retrospective = retro()
    thread = start(retrospective, people["dana"]).thread
    client = client_for("bob")
    client.get(f"/threads/{thread.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/threads/{thread.pk}/")
    for n in range(12):
        comment_add(thread=thread, body=f"Reply {n} for @bob", by=people["alice" if n % 2 else "dana"])
    with CaptureQueriesContext(connection) as many:
        assert "Reply 11" in client.get(f"/threads/{thread.pk}/").content.decode()
    assert len(many) == len(few)


def test_the_forms_of_a_threads_page_carry_their_csrf_token(retro, people, client_for):
    from django.test import Client

    retrospective = retro()
    thread = start(retrospective, people["dana"]).thread
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    html = client.get(f"/threads/{thread.pk}/").content.decode()
    forms = re.findall(r"<form .*?</form>", html.split('class="thread-page"')[1], re.S)
    assert len(forms) == 2  # reply, resolve
    assert all('name="csrfmiddlewaretoken"' in form for form in forms)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', forms[0]).group(1)
    sent = client.post(
        f"/threads/{thread.pk}/comments",
        {"body": "Sent from its page.", "back": "thread", "csrfmiddlewaretoken": token},
    )
    assert sent.status_code == 302 and Comment.objects.filter(body="Sent from its page.").exists()
