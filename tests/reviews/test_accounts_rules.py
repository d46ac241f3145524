"""Responders' accounts, the rules of the services: asking, withdrawing, writing, editing, and who may do what."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.notifications.models import Notification
from retrospector.reviews.models import Account, AccountRequest
from retrospector.reviews.responder_accounts import (
    ACCOUNT_MAX_CHARS,
    account_request_create,
    account_request_withdraw,
    account_requests_open,
    account_requests_unanswered,
    account_requests_waiting_for,
    account_update,
    account_write,
)
from tests.reviews import accounts_support
from tests.reviews.accounts_support import add_events, set_state

private_review = accounts_support.private_review  # a fixture
review = accounts_support.review  # a fixture


def ask(retrospective, people, *names, by="alice", message=""):
    return account_request_create(
        retrospective=retrospective, responders=[people[n] for n in names], by=people[by], message=message
    )


def test_asking_notifies_each_person_with_a_link_to_write_their_account(review, people):
    retrospective, _ = review
    asked = ask(retrospective, people, "bob", "charlie", message="Mostly the first ten minutes, please.")
    assert [r.responder.username for r in asked.created] == ["bob", "charlie"]
    notes = Notification.objects.filter(kind="account_requested").order_by("recipient__username")
    assert [n.recipient.username for n in notes] == ["bob", "charlie"]
    assert all(n.url == f"/retrospectives/{retrospective.pk}/accounts/mine" for n in notes)
    assert "Mostly the first ten minutes" in notes[0].body
    assert notes[0].actor == people["alice"]


def test_asking_twice_creates_nothing_and_notifies_nobody_again(review, people):
    retrospective, _ = review
    ask(retrospective, people, "bob", message="First")
    again = ask(retrospective, people, "bob", message="Second")
    assert again.created == [] and [r.responder.username for r in again.already] == ["bob"]
    assert AccountRequest.objects.get().message == "First"
    assert Notification.objects.filter(recipient=people["bob"]).count() == 1


def test_a_withdrawn_request_asked_again_is_renewed_and_notifies_again(review, people):
    retrospective, _ = review
    (request,) = ask(retrospective, people, "bob").created
    account_request_withdraw(request=request, by=people["alice"])
    assert account_requests_waiting_for(people["bob"]) == []
    renewed = ask(retrospective, people, "bob", message="Sorry, we do need it")
    assert renewed.created[0].pk == request.pk and renewed.created[0].withdrawn_at is None
    assert AccountRequest.objects.count() == 1
    assert Notification.objects.filter(recipient=people["bob"]).count() == 2


def test_only_people_who_can_edit_the_retrospective_ask_or_withdraw(review, people):
    retrospective, _ = review
    for name in ("dana", "charlie", "erin"):
        with pytest.raises(PermissionDenied):
            ask(retrospective, people, "bob", by=name)
    (request,) = ask(retrospective, people, "bob", by="bob").created  # a member of the incident's team
    with pytest.raises(PermissionDenied):
        account_request_withdraw(request=request, by=people["dana"])


def test_someone_who_cannot_see_a_private_incident_is_not_asked_and_the_owner_is_told_why(private_review, people):
    retrospective, _ = private_review
    with pytest.raises(ValidationError) as refused:
        ask(retrospective, people, "bob", "charlie")
    message = refused.value.message_dict["responders"][0]
    assert "charlie may not see this private incident" in message and "invite them" in message
    assert not AccountRequest.objects.exists()
    assert not Notification.objects.exists()


def test_an_invited_person_may_be_asked_about_a_private_incident(private_review, people):
    from retrospector.incidents.services import incident_update

    retrospective, _ = private_review
    incident_update(incident=retrospective.incident, by=people["alice"], invitees=[people["charlie"]])
    assert [r.responder.username for r in ask(retrospective, people, "charlie").created] == ["charlie"]


def test_someone_of_another_organization_is_refused(review, people):
    from conftest import make_user

    from retrospector.accounts.services import organization_create

    stranger = make_user(organization_create(name="Globex", slug="globex"), "zed")
    retrospective, _ = review
    with pytest.raises(ValidationError, match="zed is not in this organization"):
        account_request_create(retrospective=retrospective, responders=[stranger], by=people["alice"])


def test_asking_nobody_or_with_a_too_long_message_is_refused(review, people):
    retrospective, _ = review
    with pytest.raises(ValidationError, match="at least one person"):
        ask(retrospective, people)
    with pytest.raises(ValidationError) as refused:
        ask(retrospective, people, "bob", message="x" * 2001)
    assert "message" in refused.value.message_dict


def test_writing_an_account_answers_the_request_and_renders_sanitized_markdown(review, people):
    retrospective, events = review
    ask(retrospective, people, "bob")
    account = account_write(
        retrospective=retrospective,
        body="I saw **the alert**.<script>alert(1)</script>",
        event_ids=[events[0].pk, events[1].pk],
        by=people["bob"],
    )
    assert "<strong>the alert</strong>" in account.html and "<script" not in account.html
    assert sorted(account.events.values_list("pk", flat=True)) == [events[0].pk, events[1].pk]
    request = AccountRequest.objects.get()
    assert request.answered_at == account.created_at
    assert account_requests_waiting_for(people["bob"]) == []


def test_a_responder_writes_an_account_without_being_asked(review, people):
    retrospective, _ = review
    account = account_write(retrospective=retrospective, body="I was on call.", by=people["charlie"])
    assert account.author == people["charlie"]


def test_someone_neither_asked_nor_responding_may_not_write_one(review, people):
    retrospective, _ = review
    for name in ("dana", "erin", "alice"):
        with pytest.raises(PermissionDenied):
            account_write(retrospective=retrospective, body="Me too.", by=people[name])


def test_a_withdrawn_request_no_longer_lets_someone_write(review, people):
    retrospective, _ = review
    (request,) = ask(retrospective, people, "erin").created
    account_request_withdraw(request=request, by=people["alice"])
    with pytest.raises(PermissionDenied):
        account_write(retrospective=retrospective, body="Late.", by=people["erin"])


def test_an_answered_request_cannot_be_withdrawn(review, people):
    retrospective, _ = review
    (request,) = ask(retrospective, people, "bob").created
    account_write(retrospective=retrospective, body="Done.", by=people["bob"])
    with pytest.raises(ValidationError, match="already wrote their account"):
        account_request_withdraw(request=request, by=people["alice"])


def test_asking_someone_who_already_wrote_marks_the_request_answered_without_a_notification(review, people):
    retrospective, _ = review
    account_write(retrospective=retrospective, body="Written before anyone asked.", by=people["charlie"])
    (request,) = ask(retrospective, people, "charlie").created
    assert request.answered_at is not None
    assert not Notification.objects.filter(recipient=people["charlie"]).exists()


def test_one_account_per_person_a_second_is_a_conflict_carrying_the_first(review, people):
    retrospective, _ = review
    first = account_write(retrospective=retrospective, body="First.", by=people["bob"])
    with pytest.raises(ConflictError) as conflict:
        account_write(retrospective=retrospective, body="Second.", by=people["bob"])
    assert conflict.value.current.pk == first.pk
    assert Account.objects.count() == 1


def test_a_double_submit_writes_one_account(review, people):
    retrospective, _ = review
    first = account_write(retrospective=retrospective, body="Same.", by=people["bob"])
    assert account_write(retrospective=retrospective, body="Same.", by=people["bob"]).pk == first.pk
    assert Account.objects.count() == 1


def test_events_of_another_incident_are_refused(review, people, make_incident):
    retrospective, events = review
    other = add_events(make_incident(title="Another"), people["alice"], texts=("Elsewhere",))
    with pytest.raises(ValidationError) as refused:
        account_write(
            retrospective=retrospective, body="Mine.", event_ids=[events[0].pk, other[0].pk], by=people["bob"]
        )
    assert refused.value.message_dict["events"] == [f"Not events of this incident's timeline: {other[0].pk}."]
    assert not Account.objects.exists()


def test_an_empty_or_too_long_account_is_refused_naming_the_body(review, people):
    retrospective, _ = review
    for body in ("", "  \n ", "x" * (ACCOUNT_MAX_CHARS + 1)):
        with pytest.raises(ValidationError) as refused:
            account_write(retrospective=retrospective, body=body, by=people["bob"])
        assert "body" in refused.value.message_dict
    account_write(retrospective=retrospective, body="x" * ACCOUNT_MAX_CHARS, by=people["bob"])


def test_only_its_author_changes_an_account(review, people):
    retrospective, _ = review
    account = account_write(retrospective=retrospective, body="Mine.", by=people["bob"])
    for name in ("alice", "charlie", "oscar"):
        with pytest.raises(PermissionDenied):
            account_update(account=account, body="Theirs.", base_version=1, by=people[name])
    account.refresh_from_db()
    assert (account.body, account.version) == ("Mine.", 1)


def test_it_refuses_a_stale_account_edit_and_keeps_the_saved_one(review, people):
    retrospective, events = review
    account = account_write(retrospective=retrospective, body="First.", by=people["bob"])
    saved = account_update(account=account, body="Second.", base_version=1, by=people["bob"])
    assert saved.version == 2
    with pytest.raises(ConflictError) as conflict:
        account_update(account=account, body="From the other tab.", base_version=1, by=people["bob"])
    assert conflict.value.current.body == "Second."
    assert Account.objects.get().body == "Second."


def test_changing_only_the_events_is_a_new_version_and_the_same_events_are_not(review, people):
    retrospective, events = review
    account = account_write(retrospective=retrospective, body="Mine.", event_ids=[events[0].pk], by=people["bob"])
    same = account_update(account=account, event_ids=[events[0].pk], base_version=1, by=people["bob"])
    assert same.version == 1
    moved = account_update(account=account, event_ids=[events[2].pk], base_version=1, by=people["bob"])
    assert moved.version == 2 and list(moved.events.values_list("pk", flat=True)) == [events[2].pk]


@pytest.mark.parametrize("state", ["approved", "done"])
def test_accounts_and_requests_are_read_only_once_the_review_ends(review, people, state):
    retrospective, _ = review
    account = account_write(retrospective=retrospective, body="Mine.", by=people["bob"])
    set_state(retrospective, state)
    with pytest.raises(ReadOnlyError) as refused:
        account_update(account=account, body="Later.", base_version=1, by=people["bob"])
    assert refused.value.current.body == "Mine."
    with pytest.raises(ReadOnlyError):
        account_write(retrospective=retrospective, body="Late.", by=people["charlie"])
    with pytest.raises(ReadOnlyError):
        ask(retrospective, people, "charlie")


@pytest.mark.parametrize("state", ["in_review", "meeting"])
def test_accounts_are_still_written_during_review_and_meeting(review, people, state):
    retrospective, _ = review
    set_state(retrospective, state)
    assert account_write(retrospective=retrospective, body="Mine.", by=people["bob"]).pk


def test_the_home_block_lists_open_requests_on_retrospectives_the_person_may_see(review, private_review, people):
    retrospective, _ = review
    private, _ = private_review
    ask(retrospective, people, "bob")
    ask(private, people, "bob")
    assert {r.retrospective_id for r in account_requests_waiting_for(people["bob"])} == {retrospective.pk, private.pk}
    from retrospector.accounts.models import Membership, User

    Membership.objects.filter(user=people["bob"]).delete()  # bob leaves payments: the private incident is gone
    bob = User.objects.get(pk=people["bob"].pk)
    assert [r.retrospective_id for r in account_requests_waiting_for(bob)] == [retrospective.pk]
    set_state(retrospective, "approved")
    assert account_requests_waiting_for(bob) == []


def test_unanswered_and_open_requests_for_sending_for_review_and_the_reminders(review, people):
    retrospective, _ = review
    ask(retrospective, people, "bob", "charlie", "erin")
    account_write(retrospective=retrospective, body="Mine.", by=people["bob"])
    erin = AccountRequest.objects.get(responder=people["erin"])
    account_request_withdraw(request=erin, by=people["alice"])
    assert [r.responder.username for r in account_requests_unanswered(retrospective)] == ["charlie"]
    assert [r.responder.username for r in account_requests_open()] == ["charlie"]
    set_state(retrospective, "approved")
    assert not account_requests_open().exists()
