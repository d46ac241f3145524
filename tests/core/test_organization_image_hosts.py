"""An image from another site tells that site who read the write-up, and when. Images come from this site only,
unless the organization's admins name the hosts that may serve them; any other image is shown as a link."""

import pytest

from retrospector.core.markdown import render_markdown, restrict_images

PIXEL = "![pixel](https://tracker.example.net/p.gif?reader=1)"
ALLOWED = "![diagram](https://images.acme.test/pool.png)"


def img_src_of(response) -> list[str]:
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        if name == "img-src":
            return values
    raise AssertionError("no img-src in the policy")


@pytest.fixture
def with_images(make_incident, make_retrospective, people):
    from retrospector.writeups.services import section_save

    retro = make_retrospective(make_incident())
    section = retro.sections.get(key="summary")
    section_save(section=section, body=f"{PIXEL}\n\n{ALLOWED}", base_version=section.version, by=people["alice"])
    return retro


def test_an_outside_image_is_shown_as_a_link_and_the_policy_allows_no_outside_host(with_images, client_for):
    response = client_for("dana").get(f"/retrospectives/{with_images.pk}/")
    page = response.content.decode()
    assert '<img src="https://tracker.example.net' not in page
    assert "Image: pixel (tracker.example.net)" in page
    assert 'href="https://tracker.example.net/p.gif?reader=1"' in page
    assert img_src_of(response) == ["'self'", "data:"]


def test_an_admin_allows_image_hosts_and_readers_then_see_those_images(with_images, client_for, people):
    admin = client_for("oscar")
    response = admin.post("/organization/", {"image_hosts": "images.acme.test\n\n*.cdn.acme.test\nIMAGES.acme.test"})
    assert response.status_code == 302
    people["oscar"].organization.refresh_from_db()
    assert people["oscar"].organization.image_hosts == ["images.acme.test", "*.cdn.acme.test"]

    response = client_for("dana").get(f"/retrospectives/{with_images.pk}/")
    page = response.content.decode()
    assert '<img src="https://images.acme.test/pool.png" alt="diagram">' in page
    assert "Image: pixel (tracker.example.net)" in page
    assert img_src_of(response) == ["'self'", "data:", "https://images.acme.test", "https://*.cdn.acme.test"]
    # The settings page shows what is saved.
    assert "*.cdn.acme.test" in admin.get("/organization/").content.decode()


def test_a_host_that_is_not_a_host_name_is_refused_naming_its_line(client_for, people):
    response = client_for("oscar").post("/organization/", {"image_hosts": "images.acme.test\nhttps://x.test/a.png"})
    assert response.status_code == 422
    assert "Line 2: &#x27;https://x.test/a.png&#x27;: give just the host name" in response.content.decode()
    people["oscar"].organization.refresh_from_db()
    assert people["oscar"].organization.image_hosts == []


def test_only_organization_admins_choose_image_hosts(client_for, people):
    assert client_for("alice").get("/organization/").status_code == 403
    assert client_for("alice").post("/organization/", {"image_hosts": "evil.test"}).status_code == 403
    people["alice"].organization.refresh_from_db()
    assert people["alice"].organization.image_hosts == []


def test_another_organizations_hosts_do_not_apply_here(with_images, client_for):
    from retrospector.accounts.models import Organization

    Organization.objects.create(name="Other", slug="other", image_hosts=["tracker.example.net"])
    response = client_for("dana").get(f"/retrospectives/{with_images.pk}/")
    assert "Image: pixel (tracker.example.net)" in response.content.decode()
    assert img_src_of(response) == ["'self'", "data:"]


def test_the_html_export_links_outside_images_too(with_images, client_for, people):
    from retrospector.accounts.models import Organization

    Organization.objects.filter(pk=people["oscar"].organization_id).update(image_hosts=["images.acme.test"])
    response = client_for("dana").get(f"/retrospectives/{with_images.pk}/export.html")
    page = response.content.decode()
    assert "Image: pixel (tracker.example.net)" in page
    assert '<img src="https://images.acme.test/pool.png"' in page
    assert img_src_of(response) == ["data:", "https://images.acme.test"]


def test_an_outside_image_in_a_timeline_event_is_shown_as_a_link(make_incident, client_for, people):
    from datetime import UTC, datetime

    from retrospector.timeline.services import event_add

    incident = make_incident()
    event_add(incident=incident, by=people["alice"], occurred_at=datetime(2026, 5, 4, 14, 1, tzinfo=UTC), text=PIXEL)
    page = client_for("dana").get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert "Image: pixel (tracker.example.net)" in page
    assert '<img src="https://tracker' not in page


def test_the_live_preview_links_outside_images(with_images, client_for):
    response = client_for("alice").post("/preview", {"body": PIXEL})
    assert "Image: pixel (tracker.example.net)" in response.content.decode()


@pytest.mark.parametrize(
    ("markdown", "kept"),
    [
        ("![a](/static/app/logo.png)", True),  # this site
        ("![a](https://images.acme.test/x.png)", True),
        ("![a](https://a.cdn.acme.test/x.png)", True),
        ("![a](https://cdn.acme.test/x.png)", False),  # *.cdn.acme.test is for subdomains only
        ("![a](http://images.acme.test/x.png)", False),  # not over https
        ("![a](//tracker.example.net/x.png)", False),  # protocol-relative: another host
        ("![a](https://images.acme.test.evil.net/x.png)", False),
        ("![a](https://images.acme.test@evil.net/x.png)", False),
        ('<img alt="a>b" src="https://evil.net/x.png">', False),
    ],
)
def test_which_images_stay(markdown, kept):
    html = restrict_images(render_markdown(markdown), ["images.acme.test", "*.cdn.acme.test"])
    assert ("<img" in html) is kept, html
    assert ("outside-image" in html) is not kept
