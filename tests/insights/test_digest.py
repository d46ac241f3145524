"""The weekly digest e-mail, through a real SMTP server (aiosmtpd on 127.0.0.1): opt-in, once a week per person,
only what that person may see (a private incident of another team never shows), plain text and HTML with absolute
links and the link to stop it, nothing sent when there is nothing to tell, and a cost bounded per run."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retrospector.actions.models import Recommendation
from retrospector.actions.services import recommendation_create
from retrospector.insights import digest
from retrospector.insights.digest import digests_send
from retrospector.notifications.models import Digest, DigestSubscription
from retrospector.writeups.models import Retrospective
from tests.smtp_inbox import free_port

MONDAY = dt.datetime(2026, 5, 11, 9, 0, tzinfo=dt.UTC)


def parts(message) -> tuple[str, str]:
    """The plain-text and the HTML part of a digest."""
    found = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk() if not p.is_multipart()}
    return found["text/plain"], found["text/html"]


def subject(message) -> str:
    return " ".join(message["Subject"].split())  # unfolded


def done(retrospective, *, days_ago=1):
    Retrospective.objects.filter(pk=retrospective.pk).update(
        state=Retrospective.State.DONE, done_at=MONDAY - dt.timedelta(days=days_ago)
    )


@pytest.fixture
def world(people, make_incident, make_retrospective):
    """Payments: a private incident's write-up done this week with an overdue recommendation; Platform: an
    organization-wide write-up done this week, and one done three weeks ago."""
    secret = make_retrospective(make_incident(title="Ledger drift", visibility="private"))
    done(secret)
    late = recommendation_create(retrospective=secret, by=people["alice"], title="Reconcile <ledgers> nightly")
    Recommendation.objects.filter(pk=late.pk).update(commitment_date=MONDAY.date() - dt.timedelta(days=4))
    public = make_retrospective(make_incident(team="platform", title="DNS outage", by="charlie"))
    done(public, days_ago=2)
    old = make_retrospective(make_incident(team="platform", title="Disk full", by="charlie"))
    done(old, days_ago=21)
    for name in ("bob", "charlie"):
        DigestSubscription.objects.create(user=people[name])
    return {"secret": secret, "late": late, "public": public, "old": old}


def test_each_person_gets_what_they_may_see_and_never_another_teams_private_incident(inbox, people, world):
    assert digests_send(now=MONDAY) == {"sent": 2, "empty": 0, "failed": 0, "taken": 0}
    [to_bob] = inbox.to("bob@example.com")
    text, html = parts(to_bob)
    assert subject(to_bob) == "Retrospector weekly digest: 2 write-ups done, 1 recommendation overdue"
    assert "Ledger drift" in text and "DNS outage" in text and "Disk full" not in text
    assert f"https://retro.example.com/retrospectives/{world['secret'].pk}/" in text
    assert f'<a href="https://retro.example.com/recommendations/{world["late"].pk}/">' in html
    assert "Reconcile &lt;ledgers&gt; nightly" in html and "<ledgers>" not in html  # people's text is escaped
    assert "Reconcile <ledgers> nightly" in text and "4 days late" in text
    assert "https://retro.example.com/me/notifications/#digest" in text
    assert 'href="https://retro.example.com/me/notifications/#digest"' in html
    assert to_bob["List-Unsubscribe"] == "<https://retro.example.com/me/notifications/#digest>"

    [to_charlie] = inbox.to("charlie@example.com")
    text, html = parts(to_charlie)
    assert subject(to_charlie) == "Retrospector weekly digest: 1 write-up done"
    for secret in ("Ledger drift", "ledgers", f"/retrospectives/{world['secret'].pk}/"):
        assert secret not in text and secret not in html
    assert "DNS outage" in html


def test_it_sends_once_a_week_however_often_it_runs_and_records_what_it_listed(inbox, people, world):
    digests_send(now=MONDAY)
    assert digests_send(now=MONDAY + dt.timedelta(minutes=10)) == {"sent": 0, "empty": 0, "failed": 0, "taken": 0}
    assert digests_send(now=MONDAY + dt.timedelta(days=3)) == {"sent": 0, "empty": 0, "failed": 0, "taken": 0}
    assert len(inbox.messages) == 2
    record = Digest.objects.get(user=people["bob"])
    assert (record.week, record.state) == (dt.date(2026, 5, 11), Digest.State.SENT)
    assert sorted(record.retrospective_ids) == sorted([world["secret"].pk, world["public"].pk])
    assert record.recommendation_ids == [world["late"].pk]
    assert digests_send(now=MONDAY + dt.timedelta(days=7))["sent"] == 1  # next week: bob's recommendation is late
    assert len(inbox.to("bob@example.com")) == 2


def test_a_run_that_finds_the_week_already_claimed_by_another_sends_nothing(inbox, people, world):
    for name in ("bob", "charlie"):  # another worker inserted its claim between our read and our insert
        Digest.objects.create(user=people[name], week=dt.date(2026, 5, 11), claim="another")
    monkey_people = digest._people_due
    try:
        digest._people_due = lambda week, usernames=None: monkey_people(dt.date(2026, 5, 4), usernames=usernames)
        assert digests_send(now=MONDAY) == {"sent": 0, "empty": 0, "failed": 0, "taken": 2}
    finally:
        digest._people_due = monkey_people
    assert inbox.messages == []


def test_nothing_goes_out_before_monday_morning_nor_to_those_who_did_not_ask(inbox, people, world):
    assert digests_send(now=MONDAY - dt.timedelta(hours=2))["sent"] == 0  # Monday 07:00 UTC
    assert digests_send(now=MONDAY)["sent"] == 2
    assert {m.envelope_to[0] for m in inbox.messages} == {"bob@example.com", "charlie@example.com"}  # not alice


def test_a_person_who_turns_it_off_gets_no_more(client_for, inbox, people, world):
    bob = client_for("bob")
    assert 'name="weekly_digest" checked' in bob.get("/me/notifications/").content.decode()
    assert bob.post("/me/notifications/", {}).status_code == 302
    assert not DigestSubscription.objects.filter(user=people["bob"]).exists()
    digests_send(now=MONDAY)
    assert inbox.to("bob@example.com") == []
    assert bob.post("/me/notifications/", {"weekly_digest": "on"}).status_code == 302
    assert DigestSubscription.objects.filter(user=people["bob"]).exists()


def test_an_empty_digest_is_not_sent_but_counted_for_the_week(inbox, people, world):
    DigestSubscription.objects.create(user=people["erin"])  # in no team: sees only DNS outage
    Retrospective.objects.filter(pk=world["public"].pk).update(done_at=MONDAY - dt.timedelta(days=9))
    assert digests_send(now=MONDAY) == {"sent": 1, "empty": 2, "failed": 0, "taken": 0}
    assert [m.envelope_to for m in inbox.messages] == [["bob@example.com"]]
    assert Digest.objects.get(user=people["erin"]).state == Digest.State.EMPTY


def test_an_unreachable_mail_server_claims_nothing_and_the_next_run_sends(settings, people, world, inbox):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    assert digests_send(now=MONDAY)["waiting"] == 2
    assert not Digest.objects.exists()
    settings.EMAIL_PORT = port
    assert digests_send(now=MONDAY)["sent"] == 2


def test_its_queries_per_person_are_fixed_and_a_run_takes_at_most_a_batch(inbox, people, world, monkeypatch):
    def queries_for(names):
        Digest.objects.all().delete()
        DigestSubscription.objects.exclude(user__username__in=names).delete()
        for name in names:
            DigestSubscription.objects.get_or_create(user=people[name])
        with CaptureQueriesContext(connection) as run:
            assert digests_send(now=MONDAY)["sent"] == len(names)
        return len(run)

    one, three, five = (
        queries_for(["bob"]),
        queries_for(["bob", "charlie", "alice"]),
        queries_for(["bob", "charlie", "alice", "dana", "erin"]),
    )
    # Per person, whatever their number: their teams, the write-ups, the recommendations; the row marked sent.
    assert three - one == five - three == 2 * 4

    monkeypatch.setattr(digest, "BATCH", 2)
    Digest.objects.all().delete()
    assert digests_send(now=MONDAY)["sent"] == 2
    assert digests_send(now=MONDAY)["sent"] == 2
    assert digests_send(now=MONDAY)["sent"] == 1


def test_the_command_shows_without_sending_and_sends_for_one_person(inbox, people, world, capsys):
    Retrospective.objects.filter(pk=world["public"].pk).update(done_at=timezone.now() - dt.timedelta(days=1))
    call_command("digest", "send", "--dry-run")
    out = capsys.readouterr().out
    assert "bob <bob@example.com>: Retrospector weekly digest" in out and "charlie" in out
    assert inbox.messages == [] and not Digest.objects.exists()
    call_command("digest", "send", "--user", "charlie")
    assert [m.envelope_to for m in inbox.messages] == [["charlie@example.com"]]
