"""In the app: the bell's unread count in every page's header (one query, nothing for anonymous visitors), the list of
one's own notifications (unread first, a filter, paged), opening one (read, then where it points: never another
site), "Mark all read", and the preferences per kind."""

import re

import pytest
from django.test import Client

from retrospector.notifications.models import Kind, Notification, Preference
from retrospector.notifications.services import notify


def tell(user, n, **extra):
    return notify(recipients=[user], kind=Kind.REPLIED, key=f"test:{n}", title=f"Reply number {n}", **extra)


def bell_label(response) -> str:
    return re.search(r'class="bell"[^>]*aria-label="([^"]+)"', response.content.decode()).group(1)


def test_the_bell_counts_what_is_unread_and_shown_in_the_app(people, client_for):
    bob = people["bob"]
    for n in range(3):
        tell(bob, n)
    Preference.objects.create(user=bob, kind=Kind.MENTIONED, in_app=False, by_email=True)
    notify(recipients=[bob], kind=Kind.MENTIONED, key="hidden", title="E-mail only")
    Notification.objects.filter(key="test:0").update(read_at="2026-06-01T10:00:00Z")
    assert bell_label(client_for("bob").get("/")) == "Notifications, 2 unread"
    assert bell_label(client_for("dana").get("/")) == "Notifications"


def test_the_bell_costs_one_query_and_anonymous_visitors_none(people, client_for, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("bob")
    with CaptureQueriesContext(connection) as captured:
        client.get("/me/")
    counts = [q["sql"] for q in captured.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0]
    with CaptureQueriesContext(connection) as anonymous:
        Client().get("/login/")
    assert not any("notifications_notification" in q["sql"] for q in anonymous.captured_queries)


def test_the_list_shows_ones_own_unread_first_with_actor_time_and_retrospective(
    people, client_for, make_incident, make_retrospective, django_assert_max_num_queries
):
    retrospective = make_retrospective(make_incident(title="Checkout errors"))
    tell(
        people["bob"], 1, actor=people["alice"], retrospective=retrospective, url=f"/retrospectives/{retrospective.pk}/"
    )
    tell(people["bob"], 2)
    tell(people["dana"], 3)
    Notification.objects.filter(key="test:2").update(read_at="2026-06-01T10:00:00Z")
    client = client_for("bob")
    with django_assert_max_num_queries(12):
        content = client.get("/notifications/").content.decode()
    assert content.index("Reply number 1") < content.index("Reply number 2")  # unread first
    assert "Reply number 3" not in content
    assert "Alice" in content and f'href="/retrospectives/{retrospective.pk}/"' in content
    unread = client.get("/notifications/?show=unread").content.decode()
    assert "Reply number 1" in unread and "Reply number 2" not in unread


def test_the_list_costs_the_same_queries_for_five_or_forty(people, client_for, make_incident, make_retrospective):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    retrospective = make_retrospective(make_incident())
    client = client_for("bob")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/notifications/").status_code == 200
        return len(captured)

    for n in range(5):
        tell(people["bob"], n, actor=people["alice"], retrospective=retrospective)
    few = queries()
    for n in range(5, 40):
        tell(people["bob"], n, actor=people["dana" if n % 2 else "alice"], retrospective=retrospective)
    assert queries() == few


def test_empty_states(people, client_for):
    client = client_for("erin")
    assert "No notifications yet." in client.get("/notifications/").content.decode()
    assert "Nothing unread." in client.get("/notifications/?show=unread").content.decode()


def test_opening_one_marks_it_read_and_goes_where_it_points(people, client_for):
    tell(people["bob"], 1, url="/retrospectives/7/#thread-3")
    notification = Notification.objects.get()
    response = client_for("bob").get(f"/notifications/{notification.pk}/")
    assert response.status_code == 302 and response["Location"] == "/retrospectives/7/#thread-3"
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("url", ["//evil.example/", "https://evil.example/", "/\\evil.example", ""])
def test_opening_one_never_leads_to_another_site(people, client_for, url):
    tell(people["bob"], 1, url=url)
    response = client_for("bob").get(f"/notifications/{Notification.objects.get().pk}/")
    assert response["Location"] == "/notifications/"


def test_someone_elses_notification_is_not_found_and_stays_unread(people, client_for):
    tell(people["bob"], 1, url="/retrospectives/7/")
    notification = Notification.objects.get()
    assert client_for("dana").get(f"/notifications/{notification.pk}/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_marks_only_ones_own(people, client_for):
    for n in range(3):
        tell(people["bob"], n)
    tell(people["dana"], 9)
    client = client_for("bob")
    assert client.get("/notifications/read-all").status_code == 405
    response = client.post("/notifications/read-all", follow=True)
    assert "Marked 3 notifications read." in response.content.decode()
    assert bell_label(response) == "Notifications"
    assert Notification.objects.get(recipient=people["dana"]).read_at is None


def test_preferences_per_kind_in_the_app_and_by_email(people, client_for):
    client = client_for("bob")
    page = client.get("/me/notifications/").content.decode()
    assert page.count('type="checkbox"') == 2 * len(Kind.values) + 1 and "checked" in page  # + the weekly digest
    form = {f"in_app_{kind}": "on" for kind in Kind.values} | {f"by_email_{kind}": "on" for kind in Kind.values}
    del form["by_email_mentioned"], form["in_app_reminder"]
    assert client.post("/me/notifications/", form).status_code == 302
    chosen = {p.kind: (p.in_app, p.by_email) for p in Preference.objects.filter(user=people["bob"])}
    assert chosen["mentioned"] == (True, False) and chosen["reminder"] == (False, True)
    assert chosen["replied"] == (True, True)
    notify(recipients=[people["bob"]], kind=Kind.MENTIONED, key="m", title="Hi")
    assert Notification.objects.get(key="m").email == Notification.Email.SKIPPED
    assert 'name="by_email_mentioned">' in client.get("/me/notifications/").content.decode()  # unchecked


def test_the_pages_ask_anonymous_visitors_to_log_in():
    for url in ("/notifications/", "/notifications/1/", "/me/notifications/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
