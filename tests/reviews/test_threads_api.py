"""Feedback threads through the API: /api/v1/retrospectives/{id}/threads, /api/v1/threads/{id}, its comments and
resolution, /api/v1/comments/{id}."""

import json
import re

import pytest

from retrospector.notifications.models import Notification
from retrospector.reviews.models import Comment, Thread
from retrospector.reviews.threads import thread_start
from tests.reviews.thread_support import (
    retro_fixture,  # noqa: F401  (the `retro` fixture)
    save_summary,
    summary_of,
)

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def start_api(client, retrospective, **fields):
    data = {"section": "summary", "kind": "change", "body": "Name the bank.", **fields}
    return post(client, f"/api/v1/retrospectives/{retrospective.pk}/threads", data)


def test_a_thread_on_a_quoted_passage_is_started_read_and_listed(retro, people, client_for):
    retrospective = retro()
    client = client_for("dana")
    response = start_api(client, retrospective, quote="rolled the config back", kind="question")
    assert response.status_code == 201, response.content
    thread = response.json()
    assert (thread["section"], thread["kind"], thread["quote"], thread["outdated"]) == (
        "summary",
        "question",
        "rolled the config back",
        False,
    )
    body = summary_of(retrospective).body
    assert body[thread["anchor_start"] : thread["anchor_end"]] == "rolled the config back"
    assert thread["comments"][0]["author"] == "dana" and thread["comment_count"] == 1
    assert thread["resolution"] is None and thread["url"].endswith(f"#thread-{thread['id']}")
    assert client.get(f"/api/v1/threads/{thread['id']}").json() == thread
    assert [t["id"] for t in client.get(f"/api/v1/retrospectives/{retrospective.pk}/threads").json()] == [thread["id"]]


def test_the_same_client_token_creates_one_thread_and_one_comment(retro, people, client_for):
    retrospective = retro()
    client = client_for("dana")
    first = start_api(client, retrospective, client_token="abc")
    again = start_api(client, retrospective, client_token="abc")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    url = f"/api/v1/threads/{first.json()['id']}/comments"
    replies = [post(client, url, {"body": "Also the time", "client_token": "r1"}) for _ in range(2)]
    assert [r.status_code for r in replies] == [201, 200]
    assert replies[0].json()["id"] == replies[1].json()["id"]
    assert Thread.objects.count() == 1 and Comment.objects.count() == 2


def test_a_stale_comment_edit_is_a_409_with_the_current_comment(retro, people, client_for):
    client = client_for("dana")
    thread = start_api(client, retro(), body="First").json()
    url = f"/api/v1/comments/{thread['comments'][0]['id']}"
    saved = patch(client, url, {"body": "Second", "base_version": 1})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = patch(client, url, {"body": "Third", "base_version": 1})
    assert stale.status_code == 409
    error = stale.json()
    assert error["field"] == "base_version" and error["current"]["body"] == "Second"
    assert error["current"]["version"] == 2
    assert patch(client_for("bob"), url, {"body": "Not mine", "base_version": 2}).status_code == 403


def test_resolving_records_the_resolution_and_tells_the_starter(retro, people, client_for):
    thread = start_api(client_for("dana"), retro()).json()
    url = f"/api/v1/threads/{thread['id']}/resolve"
    assert post(client_for("dana"), url, {"resolution": "changed"}).status_code == 403
    response = post(client_for("alice"), url, {"resolution": "changed", "note": "Named it."})
    assert response.status_code == 200
    resolved = response.json()
    assert (resolved["resolution"], resolved["resolution_note"], resolved["resolved_by"]) == (
        "changed",
        "Named it.",
        "alice",
    )
    assert Notification.objects.filter(recipient=people["dana"], kind="thread_resolved").count() == 1
    reopened = post(client_for("dana"), f"/api/v1/threads/{thread['id']}/reopen", {})
    assert reopened.status_code == 200 and reopened.json()["resolution"] is None


def test_a_mention_of_someone_who_may_not_see_it_says_they_were_not_notified(retro, people, client_for):
    retrospective = retro(visibility="private")
    response = start_api(client_for("bob"), retrospective, body="@charlie @dana have a look")
    mentions = {m["username"]: m["notified"] for m in response.json()["comments"][0]["mentions"]}
    assert mentions == {"charlie": False, "dana": True}
    assert not Notification.objects.filter(recipient=people["charlie"]).exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"section": "nope"}, "section"),
        ({"quote": "not in this section at all"}, "quote"),
        ({"kind": "nitpick"}, "kind"),
        ({"body": ""}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"client_token": "two words"}, "client_token"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(retro, people, client_for, fields, field):
    response = start_api(client_for("bob"), retro(), **fields)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Thread.objects.exists()


@pytest.mark.parametrize("name", ["charlie", "erin"])
def test_a_private_retrospectives_threads_are_404_to_those_who_may_not_see_it(retro, people, client_for, name):
    retrospective = retro(visibility="private")
    posted = thread_start(retrospective=retrospective, section="summary", kind="change", body="x", by=people["bob"])
    client = client_for(name)
    thread_id, comment_id = posted.thread.pk, posted.comment.pk
    for response in (
        client.get(f"/api/v1/retrospectives/{retrospective.pk}/threads"),
        start_api(client, retrospective),
        client.get(f"/api/v1/threads/{thread_id}"),
        post(client, f"/api/v1/threads/{thread_id}/comments", {"body": "x"}),
        patch(client, f"/api/v1/comments/{comment_id}", {"body": "x", "base_version": 1}),
        post(client, f"/api/v1/threads/{thread_id}/resolve", {"resolution": "changed"}),
    ):
        assert response.status_code == 404
        assert "Private checkout outage" not in response.content.decode()


def test_in_draft_a_reader_gets_403_and_in_done_everyone_409(retro, people, client_for):
    retrospective = retro(state="draft")
    assert start_api(client_for("dana"), retrospective).status_code == 403
    assert start_api(client_for("bob"), retrospective).status_code == 201
    from tests.reviews.thread_support import set_state

    set_state(retrospective, "done")
    response = start_api(client_for("bob"), retrospective)
    assert response.status_code == 409 and response.json()["field"] == "state"


def test_the_list_filters_and_follows_anchors(retro, people, client_for):
    retrospective = retro()
    client = client_for("dana")
    mine = start_api(client, retrospective, quote="40 minutes").json()
    theirs = start_api(client_for("bob"), retrospective, quote="rolled the config back").json()
    post(client_for("alice"), f"/api/v1/threads/{theirs['id']}/resolve", {"resolution": "clarified"})
    save_summary(retrospective, summary_of(retrospective).body.replace("40 minutes", "an hour"), people["alice"])
    url = f"/api/v1/retrospectives/{retrospective.pk}/threads"
    assert [t["id"] for t in client.get(url + "?filter=open").json()] == [mine["id"]]
    assert [t["id"] for t in client.get(url + "?filter=resolved").json()] == [theirs["id"]]
    listed = client.get(url + "?filter=mine").json()
    assert [t["id"] for t in listed] == [mine["id"]]
    assert listed[0]["outdated"] and listed[0]["quote"] == "40 minutes" and listed[0]["anchor_start"] is None
    assert client.get(url + "?filter=nonsense").status_code == 422


def test_the_document_lists_the_enums_from_the_models(client_for):
    document = client_for("alice").get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert schemas["ThreadIn"]["properties"]["kind"]["enum"] == list(Thread.Kind.values)
    assert schemas["ResolveIn"]["properties"]["resolution"]["enum"] == list(Thread.Resolution.values)


def test_the_documented_client_token_refuses_every_token_the_service_refuses(client):
    """A client that follows the document never sends a token the service refuses: the separators \x1c-\x1f are space
    to Python but not to the \\s of the validator's (Rust) regular expressions, nor of ECMAScript's."""
    from typing import Annotated

    from pydantic import Field, TypeAdapter, ValidationError

    document = client.get("/api/openapi.json").json()
    for schema in ("CommentIn", "ThreadIn"):
        token = document["components"]["schemas"][schema]["properties"]["client_token"]
        documented = TypeAdapter(Annotated[str, Field(pattern=token["pattern"], max_length=token["maxLength"])])
        for refused in ("two words", "tab\there", "file\x1cseparator", "unit\x1fseparator", "x" * 65):
            with pytest.raises(ValidationError):
                documented.validate_python(refused)
        assert documented.validate_python("retry-7f3a") == "retry-7f3a"
        # As a generator that reads the document with ECMAScript's \s (Schemathesis) would: no character Python calls
        # space may pass, the next line (\x85) among them.
        ecma_space = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
        as_ecma = re.compile(token["pattern"].replace("\\s", ecma_space))
        assert [hex(ord(c)) for c in map(chr, range(0x3001)) if c.isspace() and as_ecma.fullmatch(c)] == []
