"""Who sees and who changes what: every page and every API endpoint, for a private and an
organization-wide incident of the payments team, for each kind of person.

People (see conftest): alice admin of payments, bob member of payments, dana viewer of payments,
charlie member of platform, erin in no team, oscar organization admin; zed and olga (an admin) belong
to another organization.
"""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

PRIVATE_TITLE = "Fraud rule leaked card numbers"
PUBLIC_TITLE = "Checkout was slow"

READ, WRITE = "read", "write"

EVENT_FORM = {
    "when": "2026-05-04T14:20:00",
    "zone": "UTC",
    "actor": "Bob",
    "actor_kind": "person",
    "kind": "note",
    "text": "Mine.",
    "source_url": "https://chat.example.com/p/9",
}

# (name, method, url, data, kind); {i} is the incident, {r} the retrospective, {e} and {f} two of the incident's
# timeline events.
PAGES = [
    ("incident detail", "get", "/incidents/{i}/", None, READ),
    ("incident edit", "get", "/incidents/{i}/edit", None, WRITE),
    ("incident edit (save)", "post", "/incidents/{i}/edit", {"title": "Changed"}, WRITE),
    ("retrospective new", "get", "/incidents/{i}/retrospectives/new", None, WRITE),
    ("retrospective new (save)", "post", "/incidents/{i}/retrospectives/new", {"template": "postmortem"}, WRITE),
    ("retrospective import", "get", "/incidents/{i}/retrospectives/import", None, WRITE),
    ("retrospective detail", "get", "/retrospectives/{r}/", None, READ),
    ("retrospective assign", "get", "/retrospectives/{r}/assign", None, WRITE),
    ("retrospective state", "post", "/retrospectives/{r}/state", {"to_state": "in_review"}, WRITE),
    ("retrospective send for review", "get", "/retrospectives/{r}/send-for-review", None, WRITE),
    (
        "retrospective send for review (confirm)",
        "post",
        "/retrospectives/{r}/send-for-review",
        {"confirm": "on"},
        WRITE,
    ),
    ("section show", "get", "/retrospectives/{r}/sections/summary/", None, READ),
    ("section edit", "get", "/retrospectives/{r}/sections/summary/edit", None, WRITE),
    (
        "section edit (save)",
        "post",
        "/retrospectives/{r}/sections/summary/edit",
        {"body": "Mine.", "base_version": 1},
        WRITE,
    ),
    ("section history", "get", "/retrospectives/{r}/sections/summary/history", None, READ),
    ("retrospective share", "get", "/retrospectives/{r}/share/", None, READ),
    ("section history version", "get", "/retrospectives/{r}/sections/summary/history?version=1", None, READ),
    (
        "section restore",
        "post",
        "/retrospectives/{r}/sections/summary/restore",
        {"version": 1, "base_version": 1},
        WRITE,
    ),
    (
        "finding ignore",
        "post",
        "/retrospectives/{r}/sections/summary/ignore",
        {"rule": "section-empty", "passage": "", "reason": "Mine."},
        WRITE,
    ),
    ("export md", "get", "/retrospectives/{r}/export.md", None, READ),
    ("export html", "get", "/retrospectives/{r}/export.html", None, READ),
    ("print view", "get", "/retrospectives/{r}/print", None, READ),
    ("export json", "get", "/retrospectives/{r}/export.json", None, READ),
    ("recommendation new", "get", "/retrospectives/{r}/recommendations/new/", None, WRITE),
    ("recommendation similar", "get", "/retrospectives/{r}/recommendations/similar/?title=breaker", None, READ),
    (
        "set aside (save)",
        "post",
        "/retrospectives/{r}/set-asides/",
        {"set-aside-title": "Rewrite it", "set-aside-reason": "Would not have helped"},
        WRITE,
    ),
    ("timeline", "get", "/incidents/{i}/timeline/", None, READ),
    ("timeline event add", "post", "/incidents/{i}/timeline/events", EVENT_FORM, WRITE),
    ("timeline event edit", "get", "/incidents/{i}/timeline/events/{e}/edit", None, WRITE),
    (
        "timeline event edit (save)",
        "post",
        "/incidents/{i}/timeline/events/{e}/edit",
        {**EVENT_FORM, "base_version": 1},
        WRITE,
    ),
    ("timeline event delete", "post", "/incidents/{i}/timeline/events/{e}/delete", {"confirm": "1"}, WRITE),
    ("timeline milestone", "post", "/incidents/{i}/timeline/events/{e}/milestone", {"moment": "mitigated_at"}, WRITE),
    ("timeline bulk", "post", "/incidents/{i}/timeline/bulk", {"action": "hide", "events": ["{e}"]}, WRITE),
    ("timeline merge", "post", "/incidents/{i}/timeline/bulk", {"action": "merge", "events": ["{e}", "{f}"]}, WRITE),
    (
        "timeline display",
        "post",
        "/incidents/{i}/timeline/settings",
        {"timeline_seconds": "on", "timeline_gap_minutes": 5},
        WRITE,
    ),
    ("timeline import", "get", "/incidents/{i}/timeline/import", None, WRITE),
    ("findings", "get", "/retrospectives/{r}/findings/", None, READ),
    (
        "finding add",
        "post",
        "/retrospectives/{r}/findings/",
        {"section": "contributing-factors", "text": "Mine.", "events": ["{e}"]},
        WRITE,
    ),
]

API_ENDPOINTS = [
    ("api incident read", "get", "/api/v1/incidents/{i}", None, READ),
    ("api incident update", "patch", "/api/v1/incidents/{i}", {"title": "Changed"}, WRITE),
    ("api retrospectives of incident", "get", "/api/v1/incidents/{i}/retrospectives", None, READ),
    ("api retrospective start", "post", "/api/v1/incidents/{i}/retrospectives", {"template": "postmortem"}, WRITE),
    (
        "api retrospective import",
        "post",
        "/api/v1/incidents/{i}/retrospectives/import",
        {"markdown": "# Notes\n\n## Summary\n\nImported.\n"},
        WRITE,
    ),
    ("api retrospective read", "get", "/api/v1/retrospectives/{r}", None, READ),
    ("api statements list", "get", "/api/v1/retrospectives/{r}/statements", None, READ),
    ("api retrospective state", "post", "/api/v1/retrospectives/{r}/state", {"state": "in_review"}, WRITE),
    ("api assignment read", "get", "/api/v1/retrospectives/{r}/assignment", None, READ),
    ("api assignment save", "put", "/api/v1/retrospectives/{r}/assignment", {"owner": "bob"}, WRITE),
    ("api section read", "get", "/api/v1/retrospectives/{r}/sections/summary", None, READ),
    (
        "api section save",
        "put",
        "/api/v1/retrospectives/{r}/sections/summary",
        {"body": "Mine.", "base_version": 1},
        WRITE,
    ),
    ("api export md", "get", "/api/v1/retrospectives/{r}/export?format=md", None, READ),
    ("api export html", "get", "/api/v1/retrospectives/{r}/export?format=html", None, READ),
    ("api export json", "get", "/api/v1/retrospectives/{r}/export?format=json", None, READ),
    ("api events", "get", "/api/v1/incidents/{i}/events", None, READ),
    ("api event read", "get", "/api/v1/incidents/{i}/events/{e}", None, READ),
    ("api timeline checks", "get", "/api/v1/incidents/{i}/timeline/checks", None, READ),
    ("api timeline display", "get", "/api/v1/incidents/{i}/timeline/display", None, READ),
    (
        "api timeline display set",
        "put",
        "/api/v1/incidents/{i}/timeline/display",
        {"seconds": True, "gap_minutes": 5},
        WRITE,
    ),
    ("api event add", "post", "/api/v1/incidents/{i}/events", {"time": "2026-05-04T14:20:00Z", "text": "Mine."}, WRITE),
    ("api event change", "patch", "/api/v1/incidents/{i}/events/{e}", {"text": "Changed", "base_version": 1}, WRITE),
    ("api event delete", "delete", "/api/v1/incidents/{i}/events/{e}", None, WRITE),
    ("api events bulk", "post", "/api/v1/incidents/{i}/events/bulk", {"action": "key", "event_ids": ["{e}"]}, WRITE),
    ("api events merge", "post", "/api/v1/incidents/{i}/events/merge", {"keep": "{e}", "duplicates": ["{f}"]}, WRITE),
    ("api event milestone", "post", "/api/v1/incidents/{i}/events/{e}/milestone", {"moment": "mitigated_at"}, WRITE),
    ("api findings", "get", "/api/v1/findings?retrospective={r}", None, READ),
    ("api untraced recommendations", "get", "/api/v1/retrospectives/{r}/untraced", None, READ),
]

ENDPOINTS = [pytest.param(*e, id=e[0]) for e in PAGES + API_ENDPOINTS]

EVERYONE = ["alice", "bob", "dana", "charlie", "erin", "oscar", "zed", "olga"]
# Who may read and who may change, by visibility of the payments incident.
READERS = {
    "private": {"alice", "bob", "dana", "oscar"},
    "organization": {"alice", "bob", "dana", "charlie", "erin", "oscar"},
}
WRITERS = {"alice", "bob", "oscar"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def everyone(people):
    """The conftest people plus zed and olga (an organization admin) of another organization."""
    from conftest import make_user

    from retrospector.accounts.models import Membership
    from retrospector.accounts.services import organization_create, team_create
    from retrospector.incidents.services import severity_levels_ensure_defaults

    globex = organization_create(name="Globex", slug="globex")
    severity_levels_ensure_defaults(organization=globex)
    # Same team slug as ours, to make sure slugs never cross organizations.
    globex_payments = team_create(organization=globex, name="Payments", slug="payments")
    people["zed"] = make_user(globex, "zed")
    people["olga"] = make_user(globex, "olga", org_admin=True)
    Membership.objects.create(team=globex_payments, user=people["zed"], role="admin")
    return people


def with_timeline(incident, by):
    """Two events typed by hand, ten and eleven minutes in."""
    from retrospector.timeline.services import event_add

    for minutes, text in ((10, "Paged the database team"), (11, "Paged the database team again")):
        event_add(
            incident=incident,
            by=by,
            occurred_at=incident.started_at + timedelta(minutes=minutes),
            text=text,
            source_url="https://chat.example.com/p/1",
            original_offset_minutes=0,
        )
    incident.refresh_from_db()
    return incident


@pytest.fixture
def world(everyone, make_incident, make_retrospective):
    private = with_timeline(make_incident(title=PRIVATE_TITLE, visibility="private"), everyone["alice"])
    public = with_timeline(make_incident(title=PUBLIC_TITLE), everyone["alice"])
    return {
        "private": (private, make_retrospective(private)),
        "organization": (public, make_retrospective(public)),
    }


def client_of(people, name):
    client = Client()
    if name is not None:
        client.force_login(people[name])
    return client


def call(client, method, url, data, incident=None):
    if incident is not None and data is not None:
        data = _with_events(data, incident)
    if url.startswith("/api/"):
        if data is None:
            return getattr(client, method)(url)
        return getattr(client, method)(url, json.dumps(data), content_type="application/json")
    return getattr(client, method)(url, data or {})


def _events_of(incident) -> tuple[int, int]:
    from retrospector.timeline.models import TimelineEvent

    e, f = TimelineEvent.objects.filter(incident=incident).order_by("pk").values_list("pk", flat=True)[:2]
    return e, f


def _with_events(data: dict, incident) -> dict:
    """The payload with "{e}" and "{f}" (alone, or in a list) replaced by the incident's events' ids."""
    if not any("{" in str(v) for v in data.values()):
        return data
    e, f = _events_of(incident)
    ids = {"{e}": e, "{f}": f}
    return {k: [ids.get(x, x) for x in v] if isinstance(v, list) else ids.get(v, v) for k, v in data.items()}


def url_for(template, incident, retrospective):
    if "{e}" not in template:
        return template.format(i=incident.pk, r=retrospective.pk)
    e, f = _events_of(incident)
    return template.format(i=incident.pk, r=retrospective.pk, e=e, f=f)


def expected_status(name, visibility, kind, *, invited=()):
    """None means "allowed"; otherwise the status code that must come back."""
    readers = READERS[visibility] | set(invited)
    if name not in readers:
        return 404
    if kind == WRITE and name not in WRITERS:
        return 403
    return None


def assert_allowed(response, kind, what):
    if kind == READ:
        assert response.status_code == 200, f"{what}: {response.status_code}"
    else:
        assert response.status_code in (200, 201, 204, 302), (
            f"{what}: {response.status_code} {response.content[:300]!r}"
        )


def assert_refused(response, status, what, *, title):
    assert response.status_code == status, f"{what}: expected {status}, got {response.status_code}"
    assert title.encode() not in response.content, f"{what}: the title leaks in the {status} page"
    if response.request["PATH_INFO"].startswith("/api/"):
        body = response.json()
        assert set(body) >= {"detail", "field"}


# --- The matrix ------------------------------------------------------------------------------------


@pytest.mark.parametrize("visibility", ["private", "organization"])
@pytest.mark.parametrize("name", EVERYONE)
@pytest.mark.parametrize("label, method, url, data, kind", ENDPOINTS)
def test_the_permission_matrix(world, everyone, visibility, name, label, method, url, data, kind):
    incident, retrospective = world[visibility]
    response = call(client_of(everyone, name), method, url_for(url, incident, retrospective), data, incident)
    what = f"{name} on {label} of a {visibility} incident"
    status = expected_status(name, visibility, kind)
    if status is None:
        assert_allowed(response, kind, what)
    else:
        assert_refused(response, status, what, title=incident.title)


@pytest.mark.parametrize("name", ["charlie", "erin"])
@pytest.mark.parametrize("label, method, url, data, kind", ENDPOINTS)
def test_invited_people_read_a_private_incident_but_do_not_change_it(
    world, everyone, name, label, method, url, data, kind
):
    from retrospector.incidents.services import incident_update

    incident, retrospective = world["private"]
    incident_update(incident=incident, by=everyone["alice"], invitees=[everyone[name]])
    response = call(client_of(everyone, name), method, url_for(url, incident, retrospective), data, incident)
    what = f"invited {name} on {label}"
    if kind == READ:
        assert_allowed(response, kind, what)
    else:
        assert_refused(response, 403, what, title="\x00never")


@pytest.mark.parametrize("label, method, url, data, kind", ENDPOINTS)
def test_anonymous_people_are_sent_to_log_in(world, label, method, url, data, kind):
    incident, retrospective = world["private"]
    target = url_for(url, incident, retrospective)
    response = call(Client(), method, target, data, incident)
    if target.startswith("/api/"):
        assert response.status_code == 401
        assert response.json()["detail"].startswith("Authentication required")
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    assert PRIVATE_TITLE.encode() not in response.content


@pytest.mark.parametrize("visibility", ["private", "organization"])
@pytest.mark.parametrize("name", ["dana", "charlie", "erin", "zed", "olga"])
def test_refused_writes_change_nothing(world, everyone, visibility, name):
    incident, retrospective = world[visibility]
    client = client_of(everyone, name)
    for _label, method, url, data, kind in PAGES + API_ENDPOINTS:
        if kind == WRITE:
            call(client, method, url_for(url, incident, retrospective), data, incident)
    from retrospector.timeline.models import TimelineEvent

    events = TimelineEvent.objects.filter(incident=incident).order_by("pk")
    assert [(e.text, e.version, e.hidden, e.key_event, e.tags) for e in events] == [
        ("Paged the database team", 1, False, False, []),
        ("Paged the database team again", 1, False, False, []),
    ]
    incident.refresh_from_db()
    retrospective.refresh_from_db()
    summary = retrospective.sections.get(key="summary")
    assert (incident.title, incident.version) == ((PRIVATE_TITLE if visibility == "private" else PUBLIC_TITLE), 1)
    assert (incident.timeline_seconds, incident.timeline_gap_minutes) == (False, 30)
    assert retrospective.state == "draft"
    assert (summary.body, summary.version) == ("", 1)
    from retrospector.writeups.models import FindingIgnore

    assert not FindingIgnore.objects.filter(retrospective=retrospective).exists()
    assert incident.retrospectives.count() == 1


@pytest.mark.parametrize(
    "visibility, name",
    [("private", "dana"), ("organization", "dana"), ("organization", "charlie"), ("organization", "erin")],
)
@pytest.mark.parametrize(
    "method, url, data",
    [
        ("patch", "/api/v1/incidents/{i}", {"team": "no-such-team"}),
        ("patch", "/api/v1/incidents/{i}", {"severity": "SEV9", "invitees": ["ghost"]}),
        ("post", "/api/v1/incidents/{i}/retrospectives", {"template": "no-such-template"}),
        ("post", "/api/v1/incidents/{i}/retrospectives", {"template": "postmortem", "owner": "ghost"}),
        ("post", "/api/v1/incidents/{i}/retrospectives/import", {"markdown": "---\nformat: [broken\n---\n"}),
        ("post", "/api/v1/retrospectives/{r}/state", {"state": "done"}),
    ],
)
def test_a_reader_gets_403_whatever_the_payload(world, everyone, visibility, name, method, url, data):
    incident, retrospective = world[visibility]
    response = call(client_of(everyone, name), method, url_for(url, incident, retrospective), data)
    assert response.status_code == 403, response.content


def test_the_owner_from_another_team_writes_an_organization_wide_retrospective(world, everyone):
    from retrospector.writeups.services import retrospective_assign

    incident, retrospective = world["organization"]
    retrospective_assign(
        retrospective=retrospective, by=everyone["alice"], owner=everyone["charlie"], shadow=everyone["erin"]
    )
    for name in ("charlie", "erin"):
        client = client_of(everyone, name)
        section = retrospective.sections.get(key="summary")
        response = call(
            client,
            "put",
            f"/api/v1/retrospectives/{retrospective.pk}/sections/summary",
            {"body": f"By {name}.", "base_version": section.version},
        )
        assert response.status_code == 200, name
        # ...but owning the write-up does not make them editors of the incident.
        assert (
            call(
                client,
                "patch",
                f"/api/v1/incidents/{incident.pk}",
                {"title": "x"},
            ).status_code
            == 403
        )
        assert client.get(f"/incidents/{incident.pk}/edit").status_code == 403


# --- Lists and counts ------------------------------------------------------------------------------


def api_list(client, query=""):
    response = client.get(f"/api/v1/incidents{query}")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    "name, titles",
    [
        ("alice", {PRIVATE_TITLE, PUBLIC_TITLE}),
        ("bob", {PRIVATE_TITLE, PUBLIC_TITLE}),
        ("dana", {PRIVATE_TITLE, PUBLIC_TITLE}),
        ("oscar", {PRIVATE_TITLE, PUBLIC_TITLE}),
        ("charlie", {PUBLIC_TITLE}),
        ("erin", {PUBLIC_TITLE}),
        ("zed", set()),
        ("olga", set()),
    ],
)
def test_lists_and_counts_show_only_what_one_may_see(world, everyone, name, titles):
    client = client_of(everyone, name)
    data = api_list(client)
    assert data["count"] == len(titles)
    assert {row["title"] for row in data["results"]} == titles
    assert api_list(client, "?team=payments")["count"] == len(titles)
    assert api_list(client, "?visibility=private")["count"] == len(titles & {PRIVATE_TITLE})
    assert api_list(client, "?q=fraud")["count"] == len(titles & {PRIVATE_TITLE})
    pages = {
        "/incidents/": titles,
        "/incidents/?team=payments": titles,
        "/incidents/?visibility=private": titles & {PRIVATE_TITLE},
        "/": titles,  # recent incidents
    }
    for page, expected in pages.items():
        content = client.get(page).content.decode()
        for title in (PRIVATE_TITLE, PUBLIC_TITLE):
            assert (title in content) == (title in expected), f"{title!r} on {page} for {name}"


def test_the_incident_list_fragment_for_htmx_does_not_leak(world, everyone):
    response = client_of(everyone, "charlie").get("/incidents/?q=fraud", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert PRIVATE_TITLE not in response.content.decode()
    assert "No incidents match" in response.content.decode()


def test_a_private_incident_of_another_team_is_not_counted_for_a_team_filter(world, everyone, make_incident):
    make_incident(team="platform", by="charlie", title="Platform private", visibility="private")
    make_incident(team="platform", by="charlie", title="Platform public")
    assert api_list(client_of(everyone, "charlie"), "?team=payments")["count"] == 1
    assert api_list(client_of(everyone, "charlie"), "?team=platform")["count"] == 2
    assert api_list(client_of(everyone, "bob"), "?team=platform")["count"] == 1
    assert api_list(client_of(everyone, "erin"))["count"] == 2


def test_another_organization_with_the_same_team_slug_sees_only_its_own(world, everyone):
    from retrospector.incidents.models import SeverityLevel
    from retrospector.incidents.services import incident_create

    zed = everyone["zed"]
    globex_payments = zed.memberships.get().team
    incident_create(
        by=zed,
        team=globex_payments,
        title="Globex outage",
        started_at=timezone.now(),
        severity=SeverityLevel.objects.get(organization=zed.organization, key="SEV1"),
    )
    for name in ("zed", "olga"):
        data = api_list(client_of(everyone, name), "?team=payments")
        assert [row["title"] for row in data["results"]] == ["Globex outage"]
    assert "Globex outage" not in {row["title"] for row in api_list(client_of(everyone, "oscar"))["results"]}


@pytest.fixture
def both_done(world, everyone):
    from retrospector.writeups.services import retrospective_transition, section_save

    for _, retrospective in world.values():
        for section in retrospective.sections.filter(required=True):
            section_save(section=section, body="Written.", base_version=section.version, by=everyone["alice"])
        for state in ("in_review", "meeting"):
            retrospective_transition(retrospective=retrospective, to_state=state, by=everyone["alice"])
        # Done as the final approval leaves it (its gate is tested in tests/meetings/test_approval_gate.py).
        type(retrospective).objects.filter(pk=retrospective.pk).update(state="done", done_at=timezone.now())
    return world


@pytest.mark.parametrize(
    "name, visible",
    [
        ("bob", {"private", "organization"}),
        ("dana", {"private", "organization"}),
        ("oscar", {"private", "organization"}),
        ("charlie", {"organization"}),
        ("erin", {"organization"}),
        ("zed", set()),
        ("olga", set()),
    ],
)
def test_done_writeups_list_only_what_one_may_see(both_done, everyone, name, visible):
    response = client_of(everyone, name).get("/writeups/")
    assert response.status_code == 200
    content = response.content.decode()
    for visibility, (_, retrospective) in both_done.items():
        link = f'href="/retrospectives/{retrospective.pk}/"'
        assert (link in content) == (visibility in visible), f"{visibility} write-up for {name}"


def test_the_home_page_does_not_show_private_write_ups_due_soon(world, everyone):
    from retrospector.writeups.services import retrospective_assign

    for visibility, (_, retrospective) in world.items():
        retrospective.title = f"{visibility} write-up due"
        retrospective.save(update_fields=["title"])
        retrospective_assign(
            retrospective=retrospective,
            by=everyone["alice"],
            owner=everyone["bob"],
            shadow=None,
            due_at=timezone.localdate() + timedelta(days=1),
        )
    bob = client_of(everyone, "bob").get("/").content.decode()
    assert "private write-up due" in bob and "organization write-up due" in bob
    charlie = client_of(everyone, "charlie").get("/").content.decode()
    assert "private write-up due" not in charlie
    assert "organization write-up due" in charlie
    zed = client_of(everyone, "zed").get("/").content.decode()
    assert "write-up due" not in zed


def test_the_api_lists_only_an_incidents_own_retrospectives(world, everyone):
    incident, retrospective = world["organization"]
    data = client_of(everyone, "charlie").get(f"/api/v1/incidents/{incident.pk}/retrospectives").json()
    assert [r["id"] for r in data] == [retrospective.pk]


def test_another_organizations_team_and_templates_are_invisible(world, everyone):
    from retrospector.core.template_definitions import validate_definition
    from retrospector.writeups.services import template_create

    definition = validate_definition(
        {
            "key": "payments-review",
            "name": "Payments review",
            "description": "",
            "sections": [{"key": "summary", "title": "Summary"}],
        }
    )
    template_create(team=everyone["payments"], definition=definition, by=everyone["alice"])
    assert client_of(everyone, "charlie").get("/templates/payments-review/").status_code == 200
    for name in ("zed", "olga"):
        client = client_of(everyone, name)
        assert client.get("/templates/payments-review/").status_code == 404
        assert client.get("/templates/payments-review/download").status_code == 404
        assert "payments-review" not in {t["key"] for t in client.get("/api/v1/templates").json()}
        assert "Payments review" not in client.get("/templates/").content.decode()
        assert client.get("/teams/platform/").status_code == 404
    # Nor can the other organization start a retrospective from it.
    from retrospector.incidents.models import SeverityLevel
    from retrospector.incidents.services import incident_create

    zed = everyone["zed"]
    globex_incident = incident_create(
        by=zed,
        team=zed.memberships.get().team,
        title="Globex outage",
        started_at=timezone.now(),
        severity=SeverityLevel.objects.get(organization=zed.organization, key="SEV1"),
    )
    response = call(
        client_of(everyone, "zed"),
        "post",
        f"/api/v1/incidents/{globex_incident.pk}/retrospectives",
        {"template": "payments-review"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "template"


# --- One's own: notifications ----------------------------------------------------------------------------------

OWN_PAGES = ["/notifications/", "/notifications/?show=unread", "/me/notifications/"]
OWN_API = ["/api/v1/notifications", "/api/v1/notifications?unread=true", "/api/v1/notifications/preferences"]
LISTS = {"/notifications/", "/notifications/?show=unread", "/api/v1/notifications", "/api/v1/notifications?unread=true"}


@pytest.mark.parametrize("name", EVERYONE)
def test_everyone_reads_their_own_notifications_and_nobody_elses(world, everyone, name):
    from retrospector.notifications.models import Notification
    from retrospector.notifications.services import notify

    incident, retrospective = world["private"]
    notify(
        recipients=[everyone["alice"]],
        kind="mentioned",
        key="matrix",
        title=f"Mentioned in {PRIVATE_TITLE}",
        retrospective=retrospective,
        url=f"/retrospectives/{retrospective.pk}/",
    )
    alices = Notification.objects.get(key="matrix")
    client = client_of(everyone, name)
    for url in OWN_PAGES + OWN_API:
        response = client.get(url)
        assert response.status_code == 200, f"{name} on {url}"
        assert (PRIVATE_TITLE.encode() in response.content) == (name == "alice" and url in LISTS)
    if name != "alice":
        assert_refused(client.get(f"/notifications/{alices.pk}/"), 404, f"{name} opening alice's", title=PRIVATE_TITLE)
        refused = call(client, "post", f"/api/v1/notifications/{alices.pk}/read", None)
        assert_refused(refused, 404, f"{name} reading alice's", title=PRIVATE_TITLE)
        alices.refresh_from_db()
        assert alices.read_at is None


@pytest.mark.parametrize("url", OWN_PAGES + OWN_API)
def test_anonymous_people_have_no_notifications(db, url):
    response = Client().get(url)
    if url.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
