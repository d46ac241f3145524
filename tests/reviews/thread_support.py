"""Fixtures of the feedback threads' tests: a retrospective of the payments team with a written summary, in a state."""

import pytest

SUMMARY = (
    "Checkout failed for 40 minutes after a config push.\n\n"
    "The **fraud rule** rejected every card from one bank.\n\n"
    "We rolled the config back at 14:40 and payments recovered."
)


def set_state(retrospective, state):
    from retrospector.writeups.models import Retrospective

    Retrospective.objects.filter(pk=retrospective.pk).update(state=state)
    retrospective.refresh_from_db()
    return retrospective


def summary_of(retrospective):
    return retrospective.sections.get(key="summary")


def save_summary(retrospective, body, by):
    from retrospector.writeups.services import section_save

    section = summary_of(retrospective)
    return section_save(section=section, body=body, base_version=section.version, by=by)


@pytest.fixture(name="retro")
def retro_fixture(people, make_incident, make_retrospective):
    """make(visibility="organization", state="in_review"): a retrospective of payments with the summary written."""

    def make(*, visibility="organization", state="in_review"):
        incident = make_incident(visibility=visibility, title=f"{visibility.capitalize()} checkout outage")
        retrospective = make_retrospective(incident)
        save_summary(retrospective, SUMMARY, people["alice"])
        return set_state(retrospective, state)

    return make
