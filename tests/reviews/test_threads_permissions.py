"""The permission matrix (tests/test_permission_matrix.py) over the feedback threads' pages and endpoints, on its
world: a private and an organization-wide retrospective of payments, in draft (where only its writers comment), with
a thread started by alice on each; then the same in review, where every reader comments."""

# The matrix's fixtures are imported, and named again as the tests' arguments: that is how pytest finds them.
# ruff: noqa: F811

import pytest
from django.test import Client

from tests.test_permission_matrix import (  # noqa: F401  (fixtures: everyone, world, fast hashing)
    EVERYONE,
    READ,
    WRITE,
    _fast_password_hashing,
    assert_allowed,
    assert_refused,
    call,
    client_of,
    everyone,
    expected_status,
    world,
)

# {r} the retrospective, {t} its thread, {c} the thread's first comment (alice's).
THREAD_ENDPOINTS = [
    ("thread list", "get", "/retrospectives/{r}/threads", None, READ),
    ("thread list mine", "get", "/retrospectives/{r}/threads?filter=mine", None, READ),
    ("section threads", "get", "/retrospectives/{r}/sections/summary/threads", None, READ),
    (
        "thread start",
        "post",
        "/retrospectives/{r}/sections/summary/threads/new",
        {"kind": "change", "body": "Mine."},
        WRITE,
    ),
    ("thread reply", "post", "/threads/{t}/comments", {"body": "Mine."}, WRITE),
    ("thread resolve", "post", "/threads/{t}/resolve", {"resolution": "changed"}, WRITE),
    ("thread reopen", "post", "/threads/{t}/reopen", None, WRITE),
    ("api threads", "get", "/api/v1/retrospectives/{r}/threads", None, READ),
    ("api thread read", "get", "/api/v1/threads/{t}", None, READ),
    (
        "api thread start",
        "post",
        "/api/v1/retrospectives/{r}/threads",
        {"section": "summary", "kind": "change", "body": "Mine."},
        WRITE,
    ),
    ("api thread reply", "post", "/api/v1/threads/{t}/comments", {"body": "Mine."}, WRITE),
    ("api thread resolve", "post", "/api/v1/threads/{t}/resolve", {"resolution": "changed"}, WRITE),
    ("api thread reopen", "post", "/api/v1/threads/{t}/reopen", {}, WRITE),
]
# Editing a comment: its author only; other readers 403, others 404.
EDITS = [
    pytest.param("get", "/comments/{c}/edit", None, id="comment edit"),
    pytest.param("post", "/comments/{c}/edit", {"body": "Changed.", "base_version": 1}, id="comment edit (save)"),
    pytest.param("patch", "/api/v1/comments/{c}", {"body": "Changed.", "base_version": 1}, id="api comment edit"),
]


@pytest.fixture
def threads(world, everyone):
    from retrospector.reviews.threads import thread_start

    found = {}
    for visibility, (_, retrospective) in world.items():
        posted = thread_start(
            retrospective=retrospective, section="summary", kind="question", body="Why?", by=everyone["alice"]
        )
        found[visibility] = posted
    return found


def url_of(template, retrospective, posted):
    return template.format(r=retrospective.pk, t=posted.thread.pk, c=posted.comment.pk)


def check(response, status, kind, what, title):
    if status is None:
        assert_allowed(response, kind, what)
    else:
        assert_refused(response, status, what, title=title)


# One test per person, going through every page and endpoint (a world per endpoint took minutes).
@pytest.mark.parametrize("name", EVERYONE)
def test_the_permission_matrix_of_threads_in_draft(world, everyone, threads, name):
    client = client_of(everyone, name)
    for visibility, (incident, retrospective) in world.items():
        for label, method, url, data, kind in THREAD_ENDPOINTS:
            response = call(client, method, url_of(url, retrospective, threads[visibility]), data)
            status = expected_status(name, visibility, kind)
            check(response, status, kind, f"{name} on {label} of a {visibility} draft", incident.title)


@pytest.mark.parametrize("name", EVERYONE)
def test_in_review_every_reader_comments(world, everyone, threads, name):
    from tests.reviews.thread_support import set_state

    client = client_of(everyone, name)
    for visibility, (incident, retrospective) in world.items():
        set_state(retrospective, "in_review")
        for label, method, url, data, _kind in THREAD_ENDPOINTS:
            if not label.endswith(("start", "reply")):
                continue
            response = call(client, method, url_of(url, retrospective, threads[visibility]), data)
            status = expected_status(name, visibility, READ)
            check(response, status, WRITE, f"{name} on {label} of a {visibility} retrospective", incident.title)


@pytest.mark.parametrize("name", EVERYONE)
def test_only_its_author_edits_a_comment(world, everyone, threads, name):
    from retrospector.reviews.models import Comment

    client = client_of(everyone, name)
    for visibility, (incident, retrospective) in world.items():
        for param in EDITS:
            method, url, data = param.values
            if data:  # the version as it is: alice's earlier edits moved it on
                data = {**data, "base_version": Comment.objects.get(pk=threads[visibility].comment.pk).version}
                data["body"] = f"Changed by {name} through {method} {url}."
            response = call(client, method, url_of(url, retrospective, threads[visibility]), data)
            status = None if name == "alice" else (expected_status(name, visibility, READ) or 403)
            check(response, status, WRITE, f"{name} on {url} of a {visibility} retrospective", incident.title)


def test_invited_people_read_threads_of_a_private_draft_but_do_not_write(world, everyone, threads):
    from retrospector.incidents.services import incident_update

    incident, retrospective = world["private"]
    incident_update(incident=incident, by=everyone["alice"], invitees=[everyone["erin"]])
    client = client_of(everyone, "erin")
    for label, method, url, data, kind in THREAD_ENDPOINTS:
        response = call(client, method, url_of(url, retrospective, threads["private"]), data)
        check(response, None if kind == READ else 403, kind, f"invited erin on {label}", "\x00never")


def test_anonymous_people_are_sent_to_log_in(world, threads):
    _, retrospective = world["private"]
    for _label, method, url, data, _kind in THREAD_ENDPOINTS:
        target = url_of(url, retrospective, threads["private"])
        response = call(Client(), method, target, data)
        if target.startswith("/api/"):
            assert response.status_code == 401, target
        else:
            assert response.status_code == 302 and response["Location"].startswith("/login/?next="), target


@pytest.mark.parametrize("name", ["dana", "charlie", "erin", "zed", "olga"])
def test_refused_writes_change_nothing(world, everyone, threads, name):
    from retrospector.reviews.models import Comment, Thread

    client = client_of(everyone, name)
    for visibility, (_, retrospective) in world.items():
        for _label, method, url, data, kind in THREAD_ENDPOINTS:
            if kind == WRITE:
                call(client, method, url_of(url, retrospective, threads[visibility]), data)
        for param in EDITS:
            method, url, data = param.values
            call(client, method, url_of(url, retrospective, threads[visibility]), data)
    assert Thread.objects.count() == 2 and Comment.objects.count() == 2
    assert not Thread.objects.filter(resolved_at__isnull=False).exists()
    assert set(Comment.objects.values_list("body", flat=True)) == {"Why?"}
