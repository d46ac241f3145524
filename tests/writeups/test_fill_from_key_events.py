"""'Fill from key events' writes a timeline table that reads as the events were written and that the write-up checks
accept: the zone named in its header, Markdown in the events' text escaped, code kept as code, long text cut at a word.
"""

from datetime import UTC, datetime, timedelta

import pytest

from retrospector.timeline.services import event_add
from retrospector.writeups.checking import retrospective_findings

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident())


def key_event(incident, by, text, *, minutes=0, **extra):
    extra.setdefault("source_url", "https://chat.example.com/p/1")
    return event_add(
        incident=incident, by=by, occurred_at=T0 + timedelta(minutes=minutes), text=text, key_event=True, **extra
    )


def fill(client, retro):
    section = retro.sections.get(key="timeline")
    response = client.post(
        f"/retrospectives/{retro.pk}/sections/timeline/fill-timeline", {"base_version": section.version}
    )
    assert response.status_code == 302
    section.refresh_from_db()
    return section


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "UTC"])
def test_a_filled_timeline_names_its_zone_and_the_zone_check_is_satisfied(retro, people, client_for, zone):
    bob = people["bob"]
    bob.time_zone = zone
    bob.save(update_fields=["time_zone"])
    key_event(retro.incident, bob, "Alert: 5xx above 2%")
    key_event(retro.incident, bob, "Rolled back", minutes=12)

    section = fill(client_for("bob"), retro)

    assert section.body.startswith(f"| Time ({zone}) | Event | Source |")
    timeline_findings = [
        f for f in retrospective_findings(retro) if f.section_key == "timeline" and f.rule.startswith("timeline-")
    ]
    assert timeline_findings == []


def test_markdown_in_an_events_text_reads_as_written(retro, people, client_for):
    key_event(retro.incident, people["bob"], "Deploy touched __init__.py and *settings* <b>not html</b> & more")

    section = fill(client_for("bob"), retro)

    assert "__init__.py" in section.html and "<strong>" not in section.html and "<em>" not in section.html
    assert "*settings* &lt;b&gt;not html&lt;/b&gt; &amp; more" in section.html


def test_code_in_an_events_text_stays_code_on_one_line(retro, people, client_for):
    key_event(
        retro.incident,
        people["bob"],
        "Rolled back with:\n```bash\nkubectl rollout undo deploy/api | tee log\n```\nand `make check` passed",
    )

    section = fill(client_for("bob"), retro)

    assert "```" not in section.body
    assert "<code>kubectl rollout undo deploy/api | tee log</code>" in section.html
    assert "<code>make check</code>" in section.html
    assert len(section.body.splitlines()) == 3  # header, separator, the one event: the table is not broken


def test_a_long_text_is_cut_at_a_word_with_an_ellipsis(retro, people, client_for):
    words = " ".join(f"word{n}" for n in range(200))
    key_event(retro.incident, people["bob"], words)

    section = fill(client_for("bob"), retro)

    cell = section.body.splitlines()[2].split(" | ")[1]
    assert cell.endswith("…") and len(cell) <= 400
    kept = cell.removesuffix("…").split(" ")
    assert kept == words.split(" ")[: len(kept)]  # whole words only, none cut in the middle


def test_a_source_without_a_link_is_escaped_too(retro, people, client_for):
    key_event(retro.incident, people["bob"], "Disk full", source_url="", source_ref="app_server__1.log:12")

    section = fill(client_for("bob"), retro)

    assert "app_server__1.log:12" in section.html and "<strong>" not in section.html


def test_it_replaces_nothing_when_the_timeline_has_no_key_events(retro, people, client_for):
    section = retro.sections.get(key="timeline")
    before = (section.body, section.version)
    client = client_for("bob")

    response = client.post(
        f"/retrospectives/{retro.pk}/sections/timeline/fill-timeline", {"base_version": section.version}, follow=True
    )

    section.refresh_from_db()
    assert (section.body, section.version) == before
    assert "has no key events yet" in response.content.decode()
