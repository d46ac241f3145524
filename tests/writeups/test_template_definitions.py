"""Template definitions: the built-ins are valid, and bad imports name the field."""

import json

import pytest

from retrospector.core.template_definitions import DefinitionError, builtin_definitions, parse_definition_text

BUILTIN_KEYS = ["learning-review", "meeting-agenda", "postmortem", "systems-analysis", "incident-review"]


def test_there_are_five_builtin_templates_each_opening_with_the_summary():
    definitions = builtin_definitions()
    assert [d.key for d in definitions] == BUILTIN_KEYS
    for definition in definitions:
        first = definition.sections[0]
        assert first.key == "summary" and first.required
        assert "last" in first.guidance.lower()


def test_every_builtin_timeline_section_starts_as_a_table_with_a_source_column():
    for definition in builtin_definitions():
        timelines = [s for s in definition.sections if s.kind == "timeline"]
        assert timelines, definition.key
        for section in timelines:
            assert "| Source |" in section.starter.splitlines()[0]


def test_the_learning_review_says_action_items_are_optional():
    review = next(d for d in builtin_definitions() if d.key == "learning-review")
    actions = [s for s in review.sections if "action" in s.key]
    assert actions and not any(s.required for s in actions)


def test_the_postmortem_has_the_sections_teams_expect():
    postmortem = next(d for d in builtin_definitions() if d.key == "postmortem")
    keys = {s.key for s in postmortem.sections}
    assert {
        "contributing-factors",
        "impact",
        "timeline",
        "went-well",
        "got-lucky",
        "went-poorly",
        "action-items",
    } <= keys


GOOD = """
key: db-outage
name: Database outage
sections:
  - key: summary
    title: Summary
    kind: text
    required: true
"""


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        (GOOD.replace("kind: text", "kind: essay"), "sections[0].kind", "must be one of"),
        (GOOD.replace("key: db-outage", "key: DB Outage"), "key", "lowercase"),
        (GOOD.replace("required: true", "required: maybe"), "sections[0].required", "true or false"),
        (GOOD.replace("    title: Summary\n", ""), "sections[0].title", "required"),
        (GOOD + "  - key: summary\n    title: Again\n", "sections[1].key", "duplicate"),
        (GOOD.replace("name: Database outage", "name: Database outage\ncolour: blue"), "colour", "unknown field"),
        ("key: x\nname: y\nsections: []\n", "sections", "non-empty"),
    ],
)
def test_an_invalid_definition_is_refused_naming_the_field(text, field, fragment):
    with pytest.raises(DefinitionError) as excinfo:
        parse_definition_text(text, filename="db-outage.yaml")
    assert excinfo.value.field == field
    assert fragment in excinfo.value.message


def test_broken_yaml_and_json_name_the_line():
    with pytest.raises(DefinitionError) as excinfo:
        parse_definition_text("key: a\nname: [unclosed\n", filename="t.yaml")
    assert "t.yaml line" in str(excinfo.value)
    with pytest.raises(DefinitionError) as excinfo:
        parse_definition_text('{"key": "a",\n "name": }', filename="t.json")
    assert "t.json line 2" in str(excinfo.value)


def test_json_definitions_are_accepted():
    definition = parse_definition_text(json.dumps({"key": "j", "name": "J", "sections": [{"key": "s", "title": "S"}]}))
    assert definition.sections[0].kind == "text"


def test_importing_a_template_through_the_page(client_for, people):
    from retrospector.writeups.models import Template

    client = client_for("bob")
    response = client.post("/templates/import", {"team": people["payments"].pk, "definition": GOOD})
    assert response.status_code == 302
    template = Template.objects.get(key="db-outage")
    assert template.team == people["payments"] and template.versions.count() == 1
    again = client.post(
        "/templates/import", {"team": people["payments"].pk, "definition": GOOD.replace("Summary", "Overview")}
    )
    assert again.status_code == 302
    assert template.versions.count() == 2
    bad = client.post(
        "/templates/import", {"team": people["payments"].pk, "definition": GOOD.replace("kind: text", "kind: essay")}
    )
    assert "sections[0].kind" in bad.content.decode()
    assert template.versions.count() == 2


def test_viewers_cannot_import_templates(client_for, people):
    from retrospector.writeups.models import Template

    response = client_for("dana").post("/templates/import", {"team": people["payments"].pk, "definition": GOOD})
    assert response.status_code == 200  # the form refuses the team dana cannot write to
    assert not Template.objects.filter(key="db-outage").exists()


def test_a_template_can_be_built_with_the_form(client_for, people):
    from retrospector.writeups.models import Template

    data = {
        "team": people["payments"].pk,
        "key": "vendor-outage",
        "name": "Vendor outage",
        "description": "",
        "sections-TOTAL_FORMS": "3",
        "sections-INITIAL_FORMS": "0",
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "60",
        "sections-0-key": "summary",
        "sections-0-title": "Summary",
        "sections-0-kind": "text",
        "sections-0-required": "on",
        "sections-1-key": "vendor",
        "sections-1-title": "Vendor status",
        "sections-1-kind": "list",
    }
    response = client_for("alice").post("/templates/new", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    version = Template.objects.get(key="vendor-outage").versions.get()
    assert [(s["key"], s["kind"], s["required"]) for s in version.sections] == [
        ("summary", "text", True),
        ("vendor", "list", False),
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        # Unknown fields are reported first, alphabetically, then the fields in the order they are written.
        ({"zone": 1, "colour": 2, "key": "Bad Key", "name": "N", "sections": []}, "colour", "unknown field;"),
        ({"key": "Bad Key", "name": "", "sections": []}, "key", "lowercase"),
        # A section's key is checked (duplicates too) before its kind, and earlier sections before later ones.
        (
            {"key": "k", "name": "N", "sections": [{"key": "a", "title": "A"}, {"key": "a", "kind": "essay"}]},
            "sections[1].key",
            "duplicate section key 'a'.",
        ),
        (
            {"key": "k", "name": "N", "sections": [{"key": "a", "kind": "essay"}, {"key": "b", "colour": 1}]},
            "sections[0].kind",
            "must be one of text, list, table, timeline, not 'essay'.",
        ),
        (
            {"key": "k", "name": "N", "sections": [{"key": "a", "title": "A", "required": "yes"}]},
            "sections[0].required",
            "must be true or false.",
        ),
        (
            {"key": "k", "name": "N", "sections": [{"key": "a", "title": "A", "guidance": 3}]},
            "sections[0].guidance",
            "must be text, not int.",
        ),
        ({"key": "k", "name": "N" * 201, "sections": [{"key": "a", "title": "A"}]}, "name", "is longer than 200"),
        (
            {"key": "k", "name": "N", "sections": [{"key": f"s{i}", "title": "S"} for i in range(61)]},
            "sections",
            "has 61 entries; at most 60 are allowed.",
        ),
        (["not", "a", "mapping"], "", "a template definition must be a mapping with key, name and sections."),
    ],
)
def test_the_first_problem_a_reader_meets_is_the_one_reported(data, field, message):
    from retrospector.core.template_definitions import validate_definition

    with pytest.raises(DefinitionError) as excinfo:
        validate_definition(data)
    assert excinfo.value.field == field
    assert message in excinfo.value.message


def test_saving_an_imported_template_versions_the_organizations_own_and_never_a_builtin(people):
    from django.core.exceptions import ValidationError

    from retrospector.core.template_definitions import validate_definition
    from retrospector.writeups.models import Template
    from retrospector.writeups.services import template_save

    builtin = Template.objects.get(organization=None, key="postmortem")
    builtin_versions = builtin.versions.count()
    ours = {"key": "postmortem", "name": "Our postmortem", "sections": [{"key": "summary", "title": "Summary"}]}
    template, created = template_save(
        definition=validate_definition(ours), by=people["bob"], team=people["payments"], replace_same_key=True
    )
    assert created and template.organization_id == people["payments"].organization_id and not template.is_builtin
    ours["sections"].append({"key": "impact", "title": "Impact"})
    again, created = template_save(
        definition=validate_definition(ours), by=people["bob"], team=people["payments"], replace_same_key=True
    )
    assert (again, created) == (template, False) and template.versions.count() == 2
    assert builtin.versions.count() == builtin_versions
    # The editor's "new template" form does not version a template that happens to have the same key.
    with pytest.raises(ValidationError):
        template_save(definition=validate_definition(ours), by=people["bob"], team=people["payments"])
