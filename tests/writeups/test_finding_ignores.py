"""The record of a finding left on purpose (writeups.services.finding_ignore / finding_unignore): keyed by section,
rule and passage, checked, once per finding while it stands, kept with who and when once taken back."""

import pytest

from retrospector.writeups.models import FindingIgnore
from retrospector.writeups.services import finding_ignore, finding_unignore

KEY = "contributing-factors"


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident())


def test_ignoring_twice_keeps_the_first_reason(retro, people):
    first = finding_ignore(
        retrospective=retro, section_key=KEY, rule="blame", passage="x", reason="One", by=people["bob"]
    )
    again = finding_ignore(
        retrospective=retro, section_key=KEY, rule="blame", passage="x", reason="Two", by=people["alice"]
    )
    assert again.pk == first.pk and again.reason == "One"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"rule": "no-such-rule"}, "rule"),
        ({"section_key": "no-such-section"}, "section"),
        ({"reason": "x" * 301}, "reason"),
    ],
)
def test_the_service_refuses_what_it_cannot_record(retro, people, data, field):
    from django.core.exceptions import ValidationError

    arguments = dict(retrospective=retro, section_key=KEY, rule="blame", passage="x", reason="Fine.", by=people["bob"])
    with pytest.raises(ValidationError) as refused:
        finding_ignore(**{**arguments, **data})
    assert field in refused.value.message_dict


def test_an_ignore_is_taken_back_once_and_kept(retro, people):
    ignore = finding_ignore(
        retrospective=retro, section_key=KEY, rule="blame", passage="x", reason="Hm", by=people["bob"]
    )
    finding_unignore(ignore=ignore, by=people["alice"])
    again = finding_unignore(ignore=ignore, by=people["bob"])
    assert (again.unignored_by, FindingIgnore.objects.count()) == (people["alice"], 1)


def test_the_passage_is_kept_to_its_first_500_characters(retro, people):
    ignore = finding_ignore(
        retrospective=retro, section_key=KEY, rule="blame", passage="y" * 900, reason="Long.", by=people["bob"]
    )
    assert ignore.passage == "y" * 500


def test_readers_may_not_ignore(retro, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        finding_ignore(retrospective=retro, section_key=KEY, rule="blame", passage="x", reason="No.", by=people["dana"])
    ignore = finding_ignore(
        retrospective=retro, section_key=KEY, rule="blame", passage="x", reason="Ok", by=people["bob"]
    )
    with pytest.raises(PermissionDenied):
        finding_unignore(ignore=ignore, by=people["dana"])
