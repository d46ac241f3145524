"""Fixtures of the final approval's tests: a payments retrospective in its meeting with nothing missing."""

import pytest

CLEAN = "Checkout failed for 29 minutes after a deploy; payments recovered after the rollback."
BLAME = "The outage was caused by human error."


def set_state(retrospective, state, **fields):
    from retrospector.writeups.models import Retrospective

    Retrospective.objects.filter(pk=retrospective.pk).update(state=state, **fields)
    retrospective.refresh_from_db()
    return retrospective


def write(retrospective, key, body, by):
    from retrospector.writeups.services import section_save

    section = retrospective.sections.get(key=key)
    return section_save(section=section, body=body, base_version=section.version, by=by)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(name="ready")
def ready_fixture(people, make_incident, make_retrospective):
    """make(team="payments", visibility="organization", moderator=None): in its meeting, nothing missing; alice owns
    it (charlie for platform)."""
    from retrospector.meetings.models import Meeting

    def make(*, team="payments", visibility="organization", moderator=None, title="Checkout errors"):
        incident = make_incident(team=team, visibility=visibility, title=title)
        retrospective = make_retrospective(incident)
        owner = retrospective.owner
        for section in retrospective.sections.filter(required=True):
            write(retrospective, section.key, f"{CLEAN} ({section.title})", owner)
        Meeting.objects.create(retrospective=retrospective, moderator=people[moderator] if moderator else None)
        return set_state(retrospective, "meeting")

    return make


def token_of(retrospective):
    from retrospector.meetings.approval import approval_for
    from retrospector.writeups.models import Retrospective

    return approval_for(Retrospective.objects.get(pk=retrospective.pk)).token
