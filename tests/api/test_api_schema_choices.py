"""The API's allowed values come from their one owner (model choices, the services' constants): /api/openapi.json lists
exactly those values, so a choice added to a model reaches the API and its documentation without another edit."""

import pytest

from retrospector.api.choices import choices_literal
from retrospector.incidents.models import MOMENTS, Incident, IncidentLink
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.services import BULK_ACTIONS
from retrospector.writeups.export import EXPORT_FORMATS
from retrospector.writeups.models import Retrospective

BODY_FIELDS = [
    ("IncidentIn", "status", Incident.Status.values),
    ("IncidentIn", "visibility", Incident.Visibility.values),
    ("IncidentPatch", "status", Incident.Status.values),
    ("IncidentPatch", "visibility", Incident.Visibility.values),
    ("LinkSchema", "kind", IncidentLink.Kind.values),
    ("EventIn", "kind", TimelineEvent.Kind.values),
    ("EventIn", "actor_kind", TimelineEvent.ActorKind.values),
    ("EventPatch", "kind", TimelineEvent.Kind.values),
    ("EventPatch", "actor_kind", TimelineEvent.ActorKind.values),
    ("BulkIn", "action", list(BULK_ACTIONS)),
    ("MilestoneIn", "moment", list(MOMENTS)),
    ("TransitionIn", "state", Retrospective.State.values),
]


def enum_of(schema: dict) -> list[str]:
    """The enum of a property, also when it may be null (anyOf: [{enum}, {type: null}])."""
    if "enum" in schema:
        return schema["enum"]
    (listed,) = [part["enum"] for part in schema.get("anyOf", []) if "enum" in part]
    return listed


@pytest.mark.parametrize("component, field, values", BODY_FIELDS, ids=[f"{c}.{f}" for c, f, _ in BODY_FIELDS])
def test_the_document_lists_the_owners_values_for_each_body_field(openapi, component, field, values):
    schema = openapi["components"]["schemas"][component]["properties"][field]
    assert enum_of(schema) == values
    assert "pattern" not in schema  # no second copy of the list as a regular expression


def test_the_document_lists_the_export_formats(openapi):
    parameters = openapi["paths"]["/api/v1/retrospectives/{retrospective_id}/export"]["get"]["parameters"]
    (format_parameter,) = [p for p in parameters if p["name"] == "format"]
    assert enum_of(format_parameter["schema"]) == list(EXPORT_FORMATS)


def test_the_import_job_status_is_described_with_the_models_states(openapi):
    from retrospector.timeline.models import PendingImport

    description = openapi["components"]["schemas"]["ImportJobOut"]["properties"]["status"]["description"]
    assert description.replace(" or ", ", ").split(", ") == PendingImport.Status.values


def test_choices_literal_takes_choices_or_plain_strings():
    from typing import Literal

    assert choices_literal(Incident.Status) == Literal["open", "mitigated", "resolved", "closed"]
    assert choices_literal({"md": 1, "html": 2}) == Literal["md", "html"]
    assert choices_literal(("hide",)) == Literal["hide"]
    with pytest.raises(ValueError):
        choices_literal(())
