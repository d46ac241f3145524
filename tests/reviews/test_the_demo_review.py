"""The demo shows the review half: a retrospective in review with feedback threads, responders' accounts and an
unanswered request, discussion questions, another one at the meeting, and unread notifications for bob and carol."""

import pytest
from django.test import Client

from retrospector.accounts.models import User
from retrospector.notifications.models import Notification
from retrospector.notifications.selectors import may_see, unread_count
from retrospector.reviews.models import Account, AccountRequest, Mention, Question, Thread
from retrospector.writeups.models import Retrospective


@pytest.fixture
def demo(demo_loaded, db):
    return Retrospective.objects.get(state="in_review")


def test_the_demo_has_a_retrospective_in_review_with_threads_of_every_kind(demo):
    all_threads = list(Thread.objects.filter(retrospective=demo).select_related("section"))
    assert sorted(t.kind for t in all_threads) == ["change", "change", "disagree", "question"]
    assert all(t.quote and not t.outdated for t in all_threads)  # each anchored to a passage still in its section
    (resolved,) = [t for t in all_threads if t.resolved_at]
    assert resolved.resolution == "changed" and resolved.resolution_note
    assert "172 from merchants" in resolved.section.body  # the change the thread asked for is in the section
    (disagreement,) = [t for t in all_threads if t.kind == "disagree"]
    assert disagreement.resolved_at is None and disagreement.comment_count >= 2
    assert Mention.objects.filter(comment__thread__retrospective=demo, notified=True).count() >= 3


def test_the_demo_has_accounts_linked_to_events_and_a_request_still_unanswered(demo):
    accounts = list(Account.objects.filter(retrospective=demo).prefetch_related("events"))
    assert len(accounts) == 2
    assert all(
        len(a.events.all()) >= 3 and {e.incident_id for e in a.events.all()} == {demo.incident_id} for a in accounts
    )
    unanswered = AccountRequest.objects.filter(retrospective=demo, answered_at__isnull=True, withdrawn_at__isnull=True)
    assert [r.responder.username for r in unanswered] == ["emeka"]
    questions = Question.objects.filter(retrospective=demo)
    assert 5 <= questions.count() <= 6
    (differ,) = questions.filter(accounts_differ=True)
    assert differ.accounts.count() == 2


def test_another_demo_retrospective_is_at_the_meeting(demo):
    assert Retrospective.objects.filter(state="meeting").count() == 1


def test_bob_and_carol_have_unread_notifications_and_nobody_hears_of_what_they_may_not_see(demo):
    for name in ("bob", "carol"):
        assert unread_count(User.objects.get(username=name)) >= 3
    # Those who wrote their account opened the request that asked for it.
    assert not Notification.objects.filter(kind="account_requested", recipient__username="priya", read_at=None)
    for notification in Notification.objects.select_related("recipient", "retrospective"):
        assert may_see(notification.recipient, notification.retrospective)


def test_the_demo_review_pages_show_it(demo, django_assert_max_num_queries):
    client = Client()
    client.force_login(User.objects.get(username="bob"))
    page = client.get(f"/retrospectives/{demo.pk}/").content.decode()
    assert "Its documentation mentions this only in a footnote" in page
    threads = client.get(f"/retrospectives/{demo.pk}/threads").content.decode()
    assert "I disagree that a second overnight on-call" in threads
    questions = client.get(f"/retrospectives/{demo.pk}/questions/").content.decode()
    assert "different moments" in questions
    with django_assert_max_num_queries(15):
        notifications = client.get("/notifications/")
    assert "mentioned you" in notifications.content.decode()


def test_the_demo_mails_nobody(demo):
    """Its people have made-up addresses: what loading it announced is in the app, and no e-mail waits to be sent."""
    from retrospector.notifications.models import Notification

    assert Notification.objects.exists()
    assert not Notification.objects.exclude(email=Notification.Email.SKIPPED).exists()


def test_the_demo_has_a_standard_process_and_answers_to_how_it_went(demo):
    from retrospector.reviews.models import ProcessRecord, ProcessVersion, SurveyResponse

    assert list(ProcessVersion.objects.order_by("number").values_list("number", "first_draft_days")) == [(1, 5), (2, 4)]
    assert ProcessRecord.objects.filter(version__number=2).count() == ProcessRecord.objects.count() > 0
    assert SurveyResponse.objects.count() == 2
