"""Guessing passwords or API tokens gets slower and slower: after a few free tries per account and per client address,
each failure doubles the wait before the next attempt is heard, and while waiting even the right secret is refused."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from retrospector.accounts import services
from retrospector.accounts.models import AuthThrottle
from retrospector.accounts.services import auth_throttle_attempt, auth_throttle_delay, auth_throttle_keys_for_login
from retrospector.core.http import client_address

API = "/api/v1/incidents"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, frozen; tests move it instead of sleeping."""

    class Clock:
        now = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)

        def advance(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    frozen = Clock()
    monkeypatch.setattr(services, "auth_throttle_clock", lambda: frozen.now)
    return frozen


def log_in(client, username, password, address="127.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_right_password_is_refused_after_a_burst_of_wrong_ones_until_the_wait_is_over(client, people, clock):
    statuses = [log_in(client, "bob", f"guess-{n}").status_code for n in range(40)]
    assert statuses == [200] * 6 + [429] * 34  # five free tries, a sixth that blocks for a second, then refused

    refused = log_in(client, "bob", "pw")
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert "Too many failed attempts to log in. Try again in 1 second" in refused.content.decode()
    assert not client.session.get("_auth_user_id")

    clock.advance(1)
    assert log_in(client, "bob", "pw").status_code == 302


def test_the_waits_double_after_the_free_tries(client, people, clock):
    for n in range(5):
        assert log_in(client, "bob", f"guess-{n}").status_code == 200
    waits = []
    for n in range(6):
        assert log_in(client, "bob", f"again-{n}").status_code == 200  # heard, and wrong
        refused = log_in(client, "bob", "pw")
        assert refused.status_code == 429
        waits.append(int(refused["Retry-After"]))
        clock.advance(waits[-1] - 0.5)
        assert log_in(client, "bob", "pw").status_code == 429  # not a moment early
        clock.advance(0.5)
    assert waits == [1, 2, 4, 8, 16, 32]


def test_the_wait_is_capped(settings):
    settings.LOGIN_THROTTLE_MAX_DELAY = 900
    waits = [auth_throttle_delay(failures=n, free_tries=5).total_seconds() for n in (1, 5, 6, 7, 15, 16, 17, 10_000)]
    assert waits == [0, 0, 1, 2, 512, 900, 900, 900]


def test_logging_in_restarts_the_account_count(client, people, clock):
    for _round in range(3):
        for n in range(5):
            assert log_in(client, "bob", f"guess-{n}").status_code == 200
        assert log_in(client, "bob", "pw").status_code == 302
        client.post("/logout/")  # without the restart, the next round's second wrong password would be refused


def test_an_unknown_username_gets_the_same_answers_as_a_real_one(people, clock):
    def answers(username, address):
        client = Client()
        out = []
        for n in range(8):
            response = log_in(client, username, f"guess-{n}", address)
            page = response.content.decode().replace(f'value="{username}"', 'value="NAME"')
            page = re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")\w+', "", page)
            out.append((response.status_code, response.get("Retry-After"), re.sub(r"\d\d:\d\d:\d\d", "T", page)))
        return out

    bob, nobody = answers("bob", "203.0.113.1"), answers("nobody", "203.0.113.2")
    assert [status for status, *_ in bob] == [200] * 6 + [429] * 2
    assert bob == nobody


def test_one_address_is_throttled_across_usernames(people, clock):
    client = Client()
    for n in range(21):  # a different name each time: every account stays under its own limit
        assert log_in(client, f"user{n}", "guess").status_code == 200
    assert log_in(client, "alice", "pw").status_code == 429  # the address is blocked, the account is not
    assert log_in(Client(), "alice", "pw", address="198.51.100.7").status_code == 302


def test_the_throttled_form_still_works(client, people, clock):
    for n in range(7):
        log_in(client, "bob", f"guess-{n}")
    page = log_in(client, "bob", "pw").content.decode()
    assert '<div class="error" role="alert">Too many failed attempts to log in.' in page
    assert 'name="username" autocomplete="username" required autofocus value="bob"' in page
    assert 'type="password" name="password"' in page and '<button type="submit"' in page
    assert "csrfmiddlewaretoken" in page


def test_counts_are_forgotten_after_a_quiet_hour(client, people, clock, settings):
    for n in range(6):
        log_in(client, "bob", f"guess-{n}")
    clock.advance(settings.LOGIN_THROTTLE_FORGET_AFTER + 1)
    for n in range(5):
        assert log_in(client, "bob", f"later-{n}").status_code == 200
    assert log_in(client, "bob", "pw").status_code == 302


def bearer(raw, address="127.0.0.1"):
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=address)


def test_wrong_api_tokens_from_one_address_are_throttled_and_then_a_valid_one_too(people, clock):
    from retrospector.accounts.services import token_create

    _, raw = token_create(user=people["bob"], name="script")
    for _ in range(30):
        assert bearer(raw).get(API).status_code == 200  # valid tokens cost nothing
    statuses = [bearer(f"rtr_guess{n}").get(API).status_code for n in range(25)]
    assert statuses == [401] * 21 + [429] * 4

    refused = bearer(raw).get(API)
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert refused.json() == {
        "detail": "Too many failed attempts to authenticate. Try again in 1 second.",
        "field": None,
    }
    assert bearer(raw, address="198.51.100.7").get(API).status_code == 200  # another address is not held up

    clock.advance(1)
    assert bearer(raw).get(API).status_code == 200
    assert bearer("rtr_guess-again").get(API).status_code == 401  # heard, and wrong
    assert bearer(raw).get(API)["Retry-After"] == "2"  # and the wait doubled


def test_a_wrong_api_token_does_not_hold_up_the_log_in_form(client, people, clock):
    for n in range(25):
        bearer(f"rtr_guess{n}").get(API)
    assert log_in(client, "bob", "pw").status_code == 302


def test_the_client_address_is_the_socket_unless_proxies_are_trusted(rf, settings):
    def address(remote, forwarded=None):
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        return client_address(rf.get("/", REMOTE_ADDR=remote, **extra))

    settings.TRUSTED_PROXY_COUNT = 0
    assert address("203.0.113.9", "1.2.3.4") == "203.0.113.9"  # a client cannot choose its address
    assert address("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    settings.TRUSTED_PROXY_COUNT = 1
    assert address("10.0.0.1", "6.6.6.6, 203.0.113.9") == "203.0.113.9"  # what the proxy appended, not what was sent
    assert address("10.0.0.1", "") == "10.0.0.1"
    assert address("10.0.0.1", "not-an-address") == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 2
    assert address("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1") == "203.0.113.9"


def test_housekeeping_forgets_old_counts_but_keeps_blocks(db, clock, settings):
    from django.apps import apps

    from retrospector.core.periodic import housekeeping

    assert ("log-in throttle: forget old failures", "retrospector.accounts.services.auth_throttles_prune") in (
        apps.get_app_config("accounts").periodic_jobs
    )
    now, quiet = clock.now, timedelta(seconds=settings.LOGIN_THROTTLE_FORGET_AFTER + 1)
    rows = {
        "old": dict(failures=3, last_failure_at=now - quiet),
        "old, blocked still": dict(failures=40, last_failure_at=now - quiet, blocked_until=now + timedelta(seconds=5)),
        "old, block over": dict(failures=40, last_failure_at=now - quiet, blocked_until=now - timedelta(seconds=5)),
        "recent": dict(failures=3, last_failure_at=now - timedelta(minutes=5)),
        "never failed": dict(failures=0),
    }
    AuthThrottle.objects.bulk_create([AuthThrottle(key=key, **fields) for key, fields in rows.items()])
    assert housekeeping.call()["log-in throttle: forget old failures"] == 3
    assert sorted(AuthThrottle.objects.values_list("key", flat=True)) == ["old, blocked still", "recent"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("builtin_templates_put_back")
def test_concurrent_attempts_get_no_extra_tries(clock):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's immediate transactions serialize every writer; its shared in-memory test database can't")
    keys = auth_throttle_keys_for_login(username="bob", address="203.0.113.9")
    start = threading.Barrier(12)
    heard = []

    def attempt():
        try:
            start.wait()
            heard.append(auth_throttle_attempt(keys=keys).retry_after == 0)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert heard.count(True) == 6  # the five free tries and the one that set the block
