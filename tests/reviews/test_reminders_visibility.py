"""The reminders' bulk visibility check (incidents.selectors.visible_pairs) agrees with incidents_visible_to, the one
rule, for every person and incident: private and organization-wide, team members of each role, invited people,
organization admins and another organization."""

from retrospector.accounts.models import Membership, User
from retrospector.accounts.services import organization_create, team_create
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import incidents_visible_to, visible_pairs
from retrospector.incidents.services import incident_update


def test_visible_pairs_agrees_with_incidents_visible_to(people, make_incident, django_assert_max_num_queries):
    from conftest import make_user

    private = make_incident(title="Private", visibility="private")
    make_incident(title="Public")
    make_incident(team="platform", by="charlie", title="Platform private", visibility="private")
    incident_update(incident=private, by=people["alice"], invitees=[people["erin"]])
    globex = organization_create(name="Globex", slug="globex")
    zed = make_user(globex, "zed", org_admin=True)
    Membership.objects.create(team=team_create(organization=globex, name="Payments", slug="payments"), user=zed)
    users = list(User.objects.all())
    incidents = list(Incident.objects.values_list("pk", flat=True))
    pairs = [(u.pk, i) for u in users for i in incidents]
    with django_assert_max_num_queries(4):
        fast = visible_pairs(pairs)
    plain = {(u.pk, i) for u in users for i in incidents_visible_to(u).values_list("pk", flat=True)}
    assert fast == plain
    assert (people["erin"].pk, private.pk) in fast and (people["charlie"].pk, private.pk) not in fast
    assert not any(user_id == zed.pk for user_id, _ in fast)
