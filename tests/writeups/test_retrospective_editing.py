import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.core.errors import ConflictError
from retrospector.writeups.models import Retrospective, Revision, StateChange, Template
from retrospector.writeups.services import (
    retrospective_start,
    retrospective_transition,
    section_restore,
    section_save,
)


@pytest.fixture
def retrospective(make_incident, make_retrospective):
    return make_retrospective(make_incident())


def section(retrospective, key):
    return retrospective.sections.get(key=key)


def test_a_retrospective_has_its_templates_sections_with_the_summary_first(retrospective):
    keys = list(retrospective.sections.values_list("key", flat=True))
    template_keys = [s["key"] for s in retrospective.template_version.sections]
    assert keys == template_keys
    assert keys[0] == "summary"
    assert (
        "written last" in retrospective.sections.get(key="summary").guidance
        or "last" in retrospective.sections.get(key="summary").guidance
    )


def test_every_builtin_template_can_start_a_retrospective(make_incident, people):
    incident = make_incident()
    for key in ("learning-review", "meeting-agenda", "postmortem", "systems-analysis", "incident-review"):
        template = Template.objects.get(key=key, organization=None)
        retro = retrospective_start(incident=incident, template=template, by=people["alice"])
        assert retro.sections.count() == len(retro.template_version.sections) >= 5


def test_saving_a_section_creates_a_revision(retrospective, people):
    summary = section(retrospective, "summary")
    saved = section_save(
        section=summary,
        body="Checkout failed for 12% of EU card payments for 41 minutes.",
        base_version=summary.version,
        by=people["bob"],
    )
    assert saved.version == summary.version + 1
    assert "<p>Checkout failed" in saved.html
    assert list(saved.revisions.values_list("version", flat=True)) == [2, 1]


def test_it_refuses_a_stale_section_edit(retrospective, people):
    summary = section(retrospective, "summary")
    section_save(section=summary, body="Alice's text", base_version=1, by=people["alice"])
    with pytest.raises(ConflictError) as excinfo:
        section_save(section=summary, body="Bob's text", base_version=1, by=people["bob"])
    assert excinfo.value.current.body == "Alice's text"
    assert excinfo.value.current.version == 2
    summary.refresh_from_db()
    assert summary.body == "Alice's text"


def test_the_ui_shows_both_texts_on_a_conflict(retrospective, people, client_for):
    summary = section(retrospective, "summary")
    section_save(section=summary, body="Theirs: the cache was cold.", base_version=1, by=people["alice"])
    response = client_for("bob").post(
        f"/retrospectives/{retrospective.pk}/sections/summary/edit",
        {"body": "Mine: the pool was exhausted.", "base_version": 1},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Theirs: the cache was cold." in page
    assert "Mine: the pool was exhausted." in page
    summary.refresh_from_db()
    assert summary.body == "Theirs: the cache was cold."


def test_a_section_over_one_megabyte_is_refused_with_a_clear_error(retrospective, people, client_for):
    summary = section(retrospective, "summary")
    with pytest.raises(ValidationError) as excinfo:
        section_save(section=summary, body="x" * 1_000_001, base_version=1, by=people["alice"])
    assert "1 MB" in excinfo.value.error_dict["body"][0].messages[0]
    response = client_for("alice").post(
        f"/retrospectives/{retrospective.pk}/sections/summary/edit", {"body": "x" * 1_000_001, "base_version": 1}
    )
    assert response.status_code == 422
    assert "1 MB" in response.content.decode()


def test_restoring_an_old_version_makes_a_new_one(retrospective, people):
    summary = section(retrospective, "summary")
    section_save(section=summary, body="first", base_version=1, by=people["alice"])
    section_save(section=summary, body="second", base_version=2, by=people["alice"])
    restored = section_restore(section=summary, version=2, base_version=3, by=people["bob"])
    assert restored.body == "first"
    assert restored.version == 4
    assert Revision.objects.get(section=summary, version=4).note == "Restored version 2"


def test_history_page_shows_the_diff_of_a_version(retrospective, people, client_for):
    summary = section(retrospective, "summary")
    section_save(section=summary, body="line one\nline two", base_version=1, by=people["alice"])
    section_save(section=summary, body="line one\nline 2", base_version=2, by=people["alice"])
    page = (
        client_for("dana")
        .get(f"/retrospectives/{retrospective.pk}/sections/summary/history?version=3")
        .content.decode()
    )
    assert '<span class="removed">-line two</span>' in page
    assert '<span class="added">+line 2</span>' in page
    assert "Restore" not in page  # dana is a viewer


def test_readers_cannot_edit_sections(retrospective, people):
    summary = section(retrospective, "summary")
    for name in ("dana", "charlie", "erin"):
        with pytest.raises(PermissionDenied):
            section_save(section=summary, body="nope", base_version=1, by=people[name])


def test_the_owner_from_another_team_may_write(make_incident, people):
    incident = make_incident()
    retro = retrospective_start(
        incident=incident, template=Template.objects.get(key="postmortem"), by=people["alice"], owner=people["charlie"]
    )
    saved = section_save(
        section=section(retro, "summary"), body="Charlie writes this.", base_version=1, by=people["charlie"]
    )
    assert saved.body == "Charlie writes this."


def test_states_move_only_along_the_allowed_path_and_are_recorded(retrospective, people):
    with pytest.raises(ValidationError):
        retrospective_transition(retrospective=retrospective, to_state="done", by=people["alice"])
    retrospective_transition(retrospective=retrospective, to_state="in_review", by=people["alice"])
    with pytest.raises(ValidationError):  # the meeting comes first
        retrospective_transition(retrospective=retrospective, to_state="approved", by=people["alice"])
    retrospective_transition(retrospective=retrospective, to_state="meeting", by=people["alice"])
    with pytest.raises(ValidationError) as excinfo:
        retrospective_transition(retrospective=retrospective, to_state="approved", by=people["alice"])
    assert "Fill in the required sections first" in excinfo.value.messages[0]
    for s in retrospective.sections.filter(required=True):
        section_save(section=s, body=f"Written {s.key}", base_version=s.version, by=people["bob"])
    # Out of the meeting, approving goes through the final approval's gate only (retrospector.meetings.approval).
    with pytest.raises(ValidationError) as excinfo:
        retrospective_transition(retrospective=retrospective, to_state="approved", by=people["oscar"])
    assert "final approval" in excinfo.value.messages[0]
    from retrospector.meetings.approval import approval_for, approve

    token = approval_for(Retrospective.objects.get(pk=retrospective.pk)).token
    done = approve(retrospective=retrospective, by=people["oscar"], token=token)
    assert done.state == Retrospective.State.DONE and done.done_at is not None
    changes = list(
        StateChange.objects.filter(retrospective=retrospective).values_list("from_state", "to_state", "by__username")
    )
    assert changes == [
        ("draft", "in_review", "alice"),
        ("in_review", "meeting", "alice"),
        ("meeting", "done", "oscar"),
    ]


def test_a_retrospective_keeps_the_template_version_it_started_with(make_incident, people):
    from retrospector.core.template_definitions import validate_definition
    from retrospector.writeups.services import template_create, template_update

    definition = {
        "key": "db-outage",
        "name": "Database outage",
        "sections": [{"key": "summary", "title": "Summary", "kind": "text", "required": True}],
    }
    template = template_create(team=people["payments"], definition=validate_definition(definition), by=people["bob"])
    retro = retrospective_start(incident=make_incident(), template=template, by=people["bob"])
    definition["sections"].append({"key": "replication", "title": "Replication lag", "kind": "text"})
    template_update(template=template, definition=validate_definition(definition), by=people["bob"])
    assert template.versions.count() == 2
    retro.refresh_from_db()
    assert retro.template_version.number == 1
    assert list(retro.sections.values_list("key", flat=True)) == ["summary"]
    newer = retrospective_start(incident=make_incident(), template=template, by=people["bob"])
    assert list(newer.sections.values_list("key", flat=True)) == ["summary", "replication"]


def test_the_editor_preview_renders_sanitized_markdown(client_for, people):
    response = client_for("bob").post("/preview", {"body": "**bold** <script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script" not in html


def test_a_very_long_text_is_previewed_in_part_and_says_so(client_for):
    paragraphs = [f"Paragraph {i}: the replica fell behind by {i} seconds." for i in range(6000)]
    body = "\n\n".join(paragraphs)  # about 330,000 characters
    html = client_for("bob").post("/preview", {"body": body}).content.decode()
    assert "<p>Paragraph 0: the replica" in html and "Paragraph 5999" not in html
    assert "The preview shows the first" in html and f"of {len(body):,} characters" in html
    last_shown = max(int(n) for n in re.findall(r"<p>Paragraph (\d+):", html))
    assert (
        f"<p>Paragraph {last_shown}: the replica fell behind by {last_shown} seconds.</p>" in html
    )  # no block cut in two
    short = client_for("bob").post("/preview", {"body": "\n\n".join(paragraphs[:10])}).content.decode()
    assert "The preview shows the first" not in short and "Paragraph 9" in short


def test_an_owner_from_another_team_is_invited_to_a_private_incident(make_incident, people):
    from retrospector.incidents.selectors import incidents_visible_to

    incident = make_incident(visibility="private")
    retrospective_start(
        incident=incident, template=Template.objects.get(key="postmortem"), by=people["alice"], owner=people["charlie"]
    )
    assert incidents_visible_to(people["charlie"]).filter(pk=incident.pk).exists()
    assert not incidents_visible_to(people["erin"]).filter(pk=incident.pk).exists()
