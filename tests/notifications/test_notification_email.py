"""Notification e-mails go out through a real SMTP server (aiosmtpd, on 127.0.0.1, started here), sent by the worker's
task at most once each: two deliveries racing mail one copy, a person who turned e-mail off for a kind gets none, and
the periodic sweep sends what was left pending and fails what a worker abandoned mid-send."""

from datetime import timedelta

import pytest
from django.utils import timezone

from retrospector.notifications import delivery
from retrospector.notifications.delivery import emails_deliver, emails_sweep
from retrospector.notifications.models import Kind, Notification, Preference
from retrospector.notifications.services import notify
from retrospector.notifications.tasks import deliver_pending
from tests.smtp_inbox import free_port


@pytest.fixture
def retrospective(make_incident, make_retrospective):
    return make_retrospective(make_incident())


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def test_a_notification_is_mailed_with_its_link_and_marked_sent(inbox, people, retrospective):
    notify(
        recipients=[people["bob"]],
        kind=Kind.REVIEW_REQUESTED,
        key=f"review:{retrospective.pk}",
        title="Checkout errors is ready for your review",
        url=f"/retrospectives/{retrospective.pk}/",
        retrospective=retrospective,
        actor=people["alice"],
        body="Comments close on Friday.",
    )
    assert deliver_pending.call() == {"sent": 1, "failed": 0, "skipped": 0, "taken": 0}
    [message] = inbox.messages
    assert message.envelope_to == ["bob@example.com"]
    assert message["Subject"] == "Checkout errors is ready for your review"
    assert message["From"] == "Retrospector <retro@example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    text = body_of(message)
    assert "By Alice." in text and "Comments close on Friday." in text
    assert f"Open it: https://retro.example.com/retrospectives/{retrospective.pk}/" in text
    row = Notification.objects.get()
    assert row.email == Notification.Email.SENT and row.emailed_at is not None and row.email_claimed_at is not None


def test_running_the_delivery_twice_mails_once(inbox, people, retrospective):
    notify(recipients=[people["bob"], people["dana"]], kind=Kind.STATE_CHANGED, key="state:1:in_review", title="T")
    emails_deliver()
    emails_deliver()
    deliver_pending.call()
    assert sorted(m.envelope_to[0] for m in inbox.messages) == ["bob@example.com", "dana@example.com"]


def test_two_deliveries_racing_send_each_mail_once(inbox, people, retrospective, monkeypatch):
    """The second delivery starts while the first is sending its first mail, after both listed the same pending mails:
    each mail is claimed by one of them only, so each person gets exactly one."""
    notify(recipients=[people["bob"], people["dana"], people["erin"]], kind=Kind.REPLIED, key="thread:1:2", title="R")
    real_send = delivery.EmailMessage.send
    raced = []

    def send_and_race(message, *args, **kwargs):
        if not raced:
            raced.append("started")
            raced.append(emails_deliver())  # the other worker, in the middle of this one's run
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(delivery.EmailMessage, "send", send_and_race)
    first = emails_deliver()
    assert raced[1]["sent"] == 2 and first == {"sent": 1, "failed": 0, "skipped": 0, "taken": 2}
    recipients = sorted(m.envelope_to[0] for m in inbox.messages)
    assert recipients == ["bob@example.com", "dana@example.com", "erin@example.com"]
    assert set(Notification.objects.values_list("email", flat=True)) == {"sent"}


def test_the_same_event_announced_twice_mails_once(inbox, people, retrospective):
    for _ in range(2):
        notify(recipients=[people["bob"]], kind=Kind.MENTIONED, key="comment:9:mention", title="You were mentioned")
        emails_deliver()
    assert len(inbox.messages) == 1


def test_a_person_who_turned_email_off_for_a_kind_gets_none_but_sees_it_in_the_app(inbox, people, retrospective):
    Preference.objects.create(user=people["bob"], kind=Kind.MENTIONED, in_app=True, by_email=False)
    notify(recipients=[people["bob"], people["dana"]], kind=Kind.MENTIONED, key="comment:9:mention", title="Hi")
    notify(recipients=[people["bob"]], kind=Kind.REPLIED, key="thread:3:7", title="A reply")
    emails_deliver()
    assert sorted((m.envelope_to[0], m["Subject"]) for m in inbox.messages) == [
        ("bob@example.com", "A reply"),
        ("dana@example.com", "Hi"),
    ]
    bobs = Notification.objects.get(recipient=people["bob"], kind=Kind.MENTIONED)
    assert bobs.email == Notification.Email.SKIPPED and bobs.shown_in_app


def test_someone_who_lost_sight_of_the_incident_before_the_mail_went_gets_none(
    inbox, people, make_incident, make_retrospective
):
    from retrospector.incidents.services import incident_update

    incident = make_incident(visibility="private")
    retrospective = make_retrospective(incident)
    incident_update(incident=incident, by=people["alice"], invitees=[people["erin"]])
    notify(recipients=[people["erin"]], kind=Kind.MENTIONED, key="m", title="Private", retrospective=retrospective)
    incident_update(incident=incident, by=people["alice"], invitees=[])
    assert emails_deliver()["skipped"] == 1
    assert inbox.messages == []


def test_a_refused_mail_fails_with_the_error_and_is_never_sent_again(inbox, people, retrospective, monkeypatch):
    import smtplib

    notify(recipients=[people["bob"]], kind=Kind.REPLIED, key="thread:3:7", title="A reply")

    def refuse(message, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"bob@example.com": (550, b"No such mailbox")})

    monkeypatch.setattr(delivery.EmailMessage, "send", refuse)
    assert emails_deliver()["failed"] == 1
    monkeypatch.undo()
    emails_sweep()
    row = Notification.objects.get()
    assert row.email == Notification.Email.FAILED and "No such mailbox" in row.email_error
    assert inbox.messages == []


def test_with_the_mail_server_down_mails_wait_and_go_once_it_is_back(inbox, people, retrospective, settings):
    notify(recipients=[people["bob"]], kind=Kind.REPLIED, key="thread:3:7", title="A reply")
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    assert emails_deliver()["waiting"] == 1
    assert Notification.objects.get().email == Notification.Email.PENDING
    settings.EMAIL_PORT = port
    assert emails_sweep()["sent"] == 1
    assert len(inbox.messages) == 1


def test_the_sweep_fails_a_mail_abandoned_mid_send_instead_of_sending_it_again(inbox, people, retrospective):
    notify(recipients=[people["bob"], people["dana"]], kind=Kind.REPLIED, key="thread:3:7", title="A reply")
    now = timezone.now()
    Notification.objects.filter(recipient=people["bob"]).update(
        email=Notification.Email.SENDING, email_claimed_at=now - timedelta(hours=2)
    )
    Notification.objects.filter(recipient=people["dana"]).update(
        email=Notification.Email.SENDING, email_claimed_at=now - timedelta(minutes=5)
    )
    result = emails_sweep()
    assert result["stuck"] == 1 and result["sent"] == 0
    states = dict(Notification.objects.values_list("recipient__username", "email"))
    assert states == {"bob": "failed", "dana": "sending"}  # dana's may still be on its way
    assert inbox.messages == []


def test_the_sweep_is_a_periodic_job(inbox, people):
    from retrospector.core.periodic import housekeeping

    notify(recipients=[people["bob"]], kind=Kind.REPLIED, key="thread:3:7", title="A reply")
    done = housekeeping.call()
    assert done["notifications: send e-mails left pending, fail stuck ones"]["sent"] == 1


def test_notify_queues_the_delivery_once_committed(people, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[people["bob"]], kind=Kind.REPLIED, key="thread:3:7", title="A reply")
    assert DBTaskResult.objects.filter(task_path=deliver_pending.module_path, status="READY").count() == 1


def test_no_link_in_a_mail_leads_to_another_site(inbox, people):
    from retrospector.notifications.selectors import safe_local_path

    for url in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/a\nb"):
        assert safe_local_path(url) == "/notifications/"
    assert safe_local_path("/retrospectives/4/#thread-2") == "/retrospectives/4/#thread-2"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("builtin_templates_put_back")
def test_the_worker_command_mails_what_notify_queued(inbox, people):
    """End to end: notify commits, queues the delivery task, and `retrospector worker --batch` sends it."""
    from conftest import run_worker_command
    from django_tasks_db.models import DBTaskResult

    notify(recipients=[people["bob"]], kind=Kind.REPLIED, key="thread:3:7", title="A reply", url="/notifications/")
    assert DBTaskResult.objects.filter(task_path=deliver_pending.module_path).exists()
    run_worker_command()
    assert [m["Subject"] for m in inbox.messages] == ["A reply"]
    assert Notification.objects.get().email == Notification.Email.SENT
