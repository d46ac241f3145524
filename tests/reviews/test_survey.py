"""How did the retrospective go: once approved, its participants are asked three questions; the answers show per team
on the process pages, in medians and without names, and only for retrospectives the reader may see."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.notifications.models import Notification
from retrospector.reviews.models import SurveyResponse
from retrospector.reviews.survey import survey_answer, survey_results
from retrospector.reviews.threads import thread_start
from retrospector.writeups.models import Retrospective, StateChange


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def approve(retrospective, by):
    """As the approval records it: a state change to done (the survey follows the record, whatever path wrote it)."""
    StateChange.objects.create(retrospective=retrospective, from_state="meeting", to_state="done", by=by)
    Retrospective.objects.filter(pk=retrospective.pk).update(state="done")
    retrospective.refresh_from_db()
    return retrospective


@pytest.fixture
def reviewed(people, make_incident, make_retrospective):
    def make(**incident):
        retrospective = make_retrospective(make_incident(**incident))
        Retrospective.objects.filter(pk=retrospective.pk).update(state="in_review", shadow=people["bob"])
        retrospective.refresh_from_db()
        thread_start(
            retrospective=retrospective, section="summary", kind="clarify", body="Which bank?", by=people["dana"]
        )
        return retrospective

    return make


def test_once_approved_its_participants_are_asked_once(people, reviewed):
    retrospective = approve(reviewed(), people["oscar"])
    asked = Notification.objects.filter(kind="survey").values_list("recipient__username", flat=True)
    assert sorted(asked) == ["alice", "bob", "dana"]  # the owner, the shadow, the commenter
    StateChange.objects.create(retrospective=retrospective, from_state="done", to_state="in_review", by=people["alice"])
    approve(retrospective, people["oscar"])
    assert Notification.objects.filter(kind="survey").count() == 3  # approved again: nobody asked twice


def test_only_participants_answer_and_only_once_approved(people, reviewed):
    retrospective = reviewed()
    with pytest.raises(ValidationError):
        survey_answer(retrospective=retrospective, by=people["dana"], useful=4, fair=5)
    approve(retrospective, people["oscar"])
    with pytest.raises(PermissionDenied):
        survey_answer(retrospective=retrospective, by=people["charlie"], useful=4, fair=5)
    with pytest.raises(ValidationError) as bad:
        survey_answer(retrospective=retrospective, by=people["dana"], useful=6, fair=5)
    assert "useful" in bad.value.message_dict
    survey_answer(retrospective=retrospective, by=people["dana"], useful=2, fair=5, change="Shorter meeting.")
    survey_answer(retrospective=retrospective, by=people["dana"], useful=3, fair=5, change="Shorter meeting.")
    assert SurveyResponse.objects.get().useful == 3  # changed, not added


def test_results_are_medians_per_team_without_names_and_only_what_the_reader_may_see(people, reviewed):
    shown = approve(reviewed(), people["oscar"])
    hidden = approve(reviewed(visibility="private", title="Private outage"), people["oscar"])
    survey_answer(retrospective=shown, by=people["alice"], useful=5, fair=4)
    survey_answer(retrospective=shown, by=people["bob"], useful=2, fair=4, change="Invite support earlier.")
    survey_answer(retrospective=shown, by=people["dana"], useful=4, fair=1)
    survey_answer(retrospective=hidden, by=people["alice"], useful=1, fair=1, change="Secret detail.")
    organization = people["oscar"].organization
    (inside,) = survey_results(organization=organization, viewer=people["alice"])
    assert (inside.retrospectives, inside.responses) == (2, 4)
    (outside,) = survey_results(organization=organization, viewer=people["charlie"])
    assert (outside.responses, outside.useful_median, outside.fair_median) == (3, 4, 4)
    assert [change for _, change in outside.changes] == ["Invite support earlier."]


def test_the_survey_page_and_the_process_pages(people, reviewed, client_for):
    retrospective = approve(reviewed(), people["oscar"])
    url = f"/retrospectives/{retrospective.pk}/survey"
    assert "Was it useful?" in client_for("dana").get(url).content.decode()
    assert (
        "How did it go? Three questions"
        in client_for("dana").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    )
    outsider = client_for("charlie").get(url).content.decode()
    assert "Only the people who took part" in outsider and "Was it useful?" not in outsider
    assert client_for("charlie").post(url, {"useful": 4, "fair": 4}).status_code == 403
    refused = client_for("dana").post(url, {"useful": 9, "change": "Keep the timeline shorter."})
    assert refused.status_code == 422 and "Keep the timeline shorter." in refused.content.decode()
    assert client_for("dana").post(url, {"useful": 4, "fair": 5, "change": "Keep it short."}).status_code == 302
    process = client_for("alice").get("/process/").content.decode()
    assert "Keep it short." in process and "Dana" not in process.split("How the retrospectives went")[1]
    assert "Keep it short." in client_for("alice").get("/teams/payments/process").content.decode()


def test_the_survey_through_the_api(people, reviewed, client_for):
    import json

    retrospective = reviewed()
    url = f"/api/v1/retrospectives/{retrospective.pk}/survey"
    early = client_for("dana").put(url, json.dumps({"useful": 4, "fair": 4}), content_type="application/json")
    assert early.status_code == 422 and early.json()["field"] == "useful"
    approve(retrospective, people["oscar"])
    answered = client_for("dana").put(url, json.dumps({"useful": 4, "fair": 5}), content_type="application/json")
    assert answered.status_code == 200 and answered.json()["answer"] == {"useful": 4, "fair": 5, "change": ""}
    assert client_for("charlie").get(url).status_code == 200  # an organization incident: he reads, may not answer
    assert client_for("charlie").get(url).json()["may_answer"] is False
    outsider = client_for("charlie").put(url, json.dumps({"useful": 1, "fair": 1}), content_type="application/json")
    assert outsider.status_code == 403
