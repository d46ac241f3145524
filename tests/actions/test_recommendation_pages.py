"""The recommendation pages: created from a retrospective (similar ones offered, with and without htmx), its own page
(fields, reason, retrospectives, findings, history), edits with conflicts and field errors, merges, set-asides, the
retrospective's page part, permissions with two teams, and the number of queries."""

from django.urls import reverse

from retrospector.actions.models import Recommendation, RecommendationLink, SetAside
from retrospector.actions.selectors import today_utc as today
from retrospector.actions.services import recommendation_link, recommendation_merge, recommendation_update
from tests.actions.recs_support import (  # noqa: F401
    finding,
    later,
    payments_retro_fixture,
    platform_private_retro_fixture,
    recommend,
    service,
)


def create_url(retrospective):
    return reverse("recommendation_create", args=[retrospective.pk])


def detail_url(recommendation):
    return reverse("recommendation_detail", args=[recommendation.pk])


def form_data(people, **extra):
    data = {
        "title": "Add a circuit breaker to the checkout client",
        "description": "",
        "definition_of_done": "",
        "kind": "software",
        "owner": "",
        "team": people["payments"].pk,
        "priority": "P2",
        "commitment_date": "",
    }
    data.update(extra)
    return data


def test_the_create_form_offers_the_organizations_priorities_people_and_the_retrospectives_findings(
    payments_retro, people, client_for
):
    finding(payments_retro, text="The retry storm overloaded the database")
    page = client_for("alice").get(create_url(payments_retro))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("P1", "P4", "Charlie", "The retry storm overloaded the database", "Definition of done"):
        assert text in html
    assert f'value="{people["payments"].pk}" selected' in html  # the incident's team by default


def test_creating_a_recommendation_traces_it_and_flags_it_as_a_draft(payments_retro, people, client_for):
    factor = finding(payments_retro)
    client = client_for("bob")
    response = client.post(create_url(payments_retro), form_data(people, findings=[factor.pk]))
    rec = Recommendation.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(rec)
    assert list(rec.traces.values_list("finding_id", flat=True)) == [factor.pk]
    page = client.get(detail_url(rec)).content.decode()
    assert "draft: needs an owner, needs a definition of done" in page
    retro_page = client.get(reverse("retrospective_detail", args=[payments_retro.pk])).content.decode()
    assert "draft: needs an owner, needs a definition of done" in retro_page


def test_a_past_commitment_date_is_a_field_error_and_keeps_what_was_typed(payments_retro, people, client_for):
    past = (today().replace(year=today().year - 1)).isoformat()
    response = client_for("alice").post(
        create_url(payments_retro), form_data(people, commitment_date=past, description="Typed words")
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "commitment_date" in form.errors and "past" in form.errors["commitment_date"][0]
    assert "Typed words" in response.content.decode()
    assert not Recommendation.objects.exists()


def test_after_a_submit_similar_open_ones_are_offered_and_a_second_submit_creates_anyway(
    payments_retro, make_incident, make_retrospective, people, client_for
):
    earlier = recommend(make_retrospective(make_incident(title="Checkout errors before")), people["alice"])
    factor = finding(payments_retro)
    client = client_for("alice")
    response = client.post(
        create_url(payments_retro),
        form_data(people, title="Circuit breaker for checkout client", findings=[factor.pk]),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Link this one instead" in html and f"#{earlier.pk}" in html and "shared words" in html
    assert f'name="findings" value="{factor.pk}" data-chosen-finding' in html  # linking instead keeps them
    assert Recommendation.objects.count() == 1

    data = form_data(people, title="Circuit breaker for checkout client", create_anyway="True")
    assert client.post(create_url(payments_retro), data).status_code == 302
    assert Recommendation.objects.count() == 2

    # Or link the existing one instead:
    third = make_retrospective(make_incident(title="Checkout errors later"))
    response = client.post(reverse("recommendation_link", args=[third.pk]), {"recommendation": earlier.pk})
    assert response.status_code == 302
    assert RecommendationLink.objects.filter(recommendation=earlier, retrospective=third).exists()


def test_the_htmx_suggestions_never_offer_a_private_recommendation_of_another_team(
    payments_retro, platform_private_retro, people, client_for
):
    secret = recommend(platform_private_retro, people["charlie"], title="Rotate the secret store keys")
    url = reverse("recommendation_similar", args=[payments_retro.pk])
    bob = client_for("bob").get(url, {"title": "rotate the secret store keys"}, HTTP_HX_REQUEST="true")
    assert bob.status_code == 200 and "Rotate the secret store keys" not in bob.content.decode()
    mine = recommend(payments_retro, people["alice"], title="Rotate the store keys monthly")
    other = reverse("recommendation_similar", args=[payments_retro.pk])
    # Already called for by this retrospective: not offered again.
    assert f"#{mine.pk}" not in client_for("bob").get(other, {"title": "rotate store keys"}).content.decode()
    oscar = client_for("oscar").get(
        reverse("recommendation_similar", args=[platform_private_retro.pk]), {"title": "rotate the keys"}
    )
    assert f"#{secret.pk}" not in oscar.content.decode()  # its own retrospective's are left out
    assert f"#{mine.pk}" in oscar.content.decode()


def test_the_page_shows_the_reason_the_visible_retrospectives_the_findings_and_the_history(
    payments_retro, platform_private_retro, people, client_for
):
    factor = finding(payments_retro, text="Timeouts were too long")
    rec = recommend(payments_retro, people["alice"], commitment_date=later(5), findings=[factor])
    recommendation_link(recommendation=rec, retrospective=platform_private_retro, by=people["oscar"])
    rec = recommendation_update(
        recommendation=rec, by=people["alice"], changes={"commitment_date": later(9)}, reason="Vendor is late"
    )
    bob_page = client_for("bob").get(detail_url(rec)).content.decode()
    assert "Why its date moved" in bob_page and "Vendor is late" in bob_page
    assert payments_retro.title in bob_page and "Timeouts were too long" in bob_page
    assert "Secret outage" not in bob_page  # the private retrospective of platform, neither named nor counted
    assert "others" not in bob_page
    assert "Called for by retrospective" in bob_page and "Commitment date" in bob_page
    assert "Why: Vendor is late" in bob_page and "via Retrospector" in bob_page and "Alice" in bob_page
    assert "Called for by retrospective: — → a retrospective you may not see" in bob_page
    assert f"#{platform_private_retro.pk}" not in bob_page.split('data-testid="history"')[1].split("</ol>")[0]
    charlie_page = client_for("charlie").get(detail_url(rec)).content.decode()
    assert "Secret outage" in charlie_page


def test_a_recommendation_of_a_private_incident_is_a_404_for_another_team(platform_private_retro, people, client_for):
    rec = recommend(platform_private_retro, people["charlie"])
    assert client_for("bob").get(detail_url(rec)).status_code == 404
    assert client_for("erin").get(detail_url(rec)).status_code == 404
    assert client_for("bob").post(reverse("recommendation_edit", args=[rec.pk]), {}).status_code == 404
    assert client_for("charlie").get(detail_url(rec)).status_code == 200


def test_a_viewer_reads_but_does_not_change_it(payments_retro, people, client_for):
    rec = recommend(payments_retro, people["alice"])
    page = client_for("dana").get(detail_url(rec))
    assert page.status_code == 200 and "Change the status" not in page.content.decode()
    refused = client_for("dana").post(
        reverse("recommendation_status", args=[rec.pk]), {"status-status": "done", "status-base_version": 1}
    )
    assert refused.status_code == 403
    assert client_for("charlie").get(create_url(payments_retro)).status_code == 403


def test_dropping_without_a_reason_is_a_field_error(payments_retro, people, client_for):
    rec = recommend(payments_retro, people["alice"])
    url = reverse("recommendation_status", args=[rec.pk])
    response = client_for("bob").post(url, {"status-status": "dropped", "status-reason": "", "status-base_version": 1})
    assert response.status_code == 422
    assert "reason" in response.context["status_form"].errors
    response = client_for("bob").post(
        url, {"status-status": "dropped", "status-reason": "Not worth it", "status-base_version": 1}
    )
    assert response.status_code == 302
    rec.refresh_from_db()
    assert rec.status == "dropped" and rec.status_reason == "Not worth it"
    assert "Why it was dropped" in client_for("dana").get(detail_url(rec)).content.decode()


def edit_data(people, rec, **extra):
    data = {f"edit-{k}": v for k, v in form_data(people).items()}
    data.update({"edit-title": rec.title, "edit-base_version": rec.version, "edit-reason": ""})
    data.update({f"edit-{k}": v for k, v in extra.items()})
    return data


def test_a_stale_edit_shows_both_versions_and_keeps_the_typed_values(payments_retro, people, client_for):
    rec = recommend(payments_retro, people["alice"])
    stale = edit_data(people, rec, title="My better title", definition_of_done="Mine typed")
    recommendation_update(recommendation=rec, by=people["bob"], changes={"title": "Their new title"})
    response = client_for("alice").post(reverse("recommendation_edit", args=[rec.pk]), stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Their new title" in html and "My better title" in html and "Mine typed" in html
    assert 'data-testid="theirs"' in html
    rec.refresh_from_db()
    assert rec.title == "Their new title"
    # Saving again is a knowing overwrite (the form now carries the current version).
    again = response.context["edit_form"].data
    assert client_for("alice").post(reverse("recommendation_edit", args=[rec.pk]), again).status_code == 302
    rec.refresh_from_db()
    assert rec.title == "My better title"


def test_merge_page_merges_and_the_merged_away_page_says_where_it_went(payments_retro, people, client_for):
    keep = recommend(payments_retro, people["alice"])
    away = recommend(payments_retro, people["alice"], title="Circuit breaker for checkout")
    client = client_for("bob")
    assert client.get(reverse("recommendation_merge", args=[away.pk])).status_code == 200
    response = client.post(reverse("recommendation_merge", args=[away.pk]), {"keep": keep.pk, "reason": "Duplicate"})
    assert response.status_code == 302 and response["Location"] == detail_url(keep)
    away_page = client.get(detail_url(away)).content.decode()
    assert "Merged into" in away_page and f"#{keep.pk}" in away_page and "Change the status" not in away_page
    keep_page = client.get(detail_url(keep)).content.decode()
    assert f"from merged #{away.pk}" in keep_page


def test_merging_into_one_the_reader_may_not_see_is_refused(payments_retro, platform_private_retro, people, client_for):
    ours = recommend(payments_retro, people["alice"])
    hidden = recommend(platform_private_retro, people["charlie"])
    response = client_for("bob").post(reverse("recommendation_merge", args=[ours.pk]), {"keep": hidden.pk})
    assert response.status_code == 422 and "keep" in response.context["form"].errors


def test_unlinking_from_a_retrospective_asks_a_reason(
    payments_retro, make_incident, make_retrospective, people, client_for
):
    rec = recommend(payments_retro, people["alice"])
    second = make_retrospective(make_incident(title="Again"))
    recommendation_link(recommendation=rec, retrospective=second, by=people["alice"])
    url = reverse("recommendation_unlink", args=[second.pk, rec.pk])
    client = client_for("bob")
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "Another cause"}).status_code == 302
    assert not RecommendationLink.objects.filter(recommendation=rec, retrospective=second).exists()


def test_set_asides_are_kept_with_their_reason_on_the_retrospective_page(payments_retro, client_for):
    client = client_for("alice")
    url = reverse("set_aside_create", args=[payments_retro.pk])
    refused = client.post(url, {"set-aside-title": "Rewrite in Rust", "set-aside-reason": ""})
    assert refused.status_code == 422
    data = {"set-aside-title": "Rewrite in Rust", "set-aside-reason": "The fault was a config value"}
    assert client.post(url, data).status_code == 302
    page = client.get(reverse("retrospective_detail", args=[payments_retro.pk])).content.decode()
    assert "Would not have helped here" in page and "The fault was a config value" in page
    kept = SetAside.objects.get()
    assert client_for("dana").post(reverse("set_aside_delete", args=[payments_retro.pk, kept.pk])).status_code == 403
    assert client.post(reverse("set_aside_delete", args=[payments_retro.pk, kept.pk])).status_code == 302
    assert not SetAside.objects.exists()


def test_the_retrospective_page_lists_its_recommendations_live_in_a_constant_number_of_queries(
    payments_retro, people, client_for, django_assert_max_num_queries
):
    client = client_for("bob")
    url = reverse("retrospective_detail", args=[payments_retro.pk])
    # One of each from the start (a finding, a recommendation, a set-aside): some parts read more only once there is
    # one (a query or two), which is no cost per row.
    factor = finding(payments_retro)

    def add(i):
        rec = recommend(
            payments_retro,
            people["alice"],
            title=f"Recommendation {i}",
            owner=people["bob" if i % 2 else "alice"],
            commitment_date=later(3),
            findings=[factor],
        )
        Recommendation.objects.filter(pk=rec.pk).update(commitment_date=today().replace(year=today().year - 1))
        SetAside.objects.create(
            retrospective=payments_retro, title=f"Proposal {i}", reason="no", created_by=people["bob"]
        )

    add(0)
    client.get(url)
    with django_assert_max_num_queries(200) as few:
        client.get(url)
    for i in range(1, 12):
        add(i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('data-testid="recommendation-row"') == 12
    assert "overdue" in page and "Proposal 11" in page and "Add a recommendation" in page


def test_the_recommendation_page_reads_in_a_constant_number_of_queries(
    payments_retro, make_incident, make_retrospective, people, client_for, django_assert_max_num_queries
):
    rec = recommend(payments_retro, people["alice"], owner=people["bob"])

    def grow(rec, i):
        """One more retrospective calling for it (with a traced finding), a new owner, and a duplicate merged in."""
        retro = make_retrospective(make_incident(title=f"Incident {i}"))
        recommendation_link(recommendation=rec, retrospective=retro, by=people["alice"], findings=[finding(retro)])
        other = recommend(retro, people["alice"], title=f"Dup {i}")
        rec = recommendation_update(
            recommendation=rec, by=people["alice"], changes={"owner": people["alice" if i % 2 else "bob"]}
        )
        recommendation_merge(keep=rec, merge_away=other, by=people["alice"], reason="dup")
        rec.refresh_from_db()
        return rec

    rec = grow(rec, 0)
    client = client_for("bob")
    client.get(detail_url(rec))
    with django_assert_max_num_queries(100) as few:
        client.get(detail_url(rec))
    for i in range(1, 9):
        rec = grow(rec, i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(detail_url(rec)).content.decode()
    assert page.count("from merged #") >= 9 and "Incident 8" in page


def test_the_page_part_itself_reads_recommendations_and_set_asides_in_two_queries(
    payments_retro, people, rf, django_assert_num_queries
):
    from retrospector.actions.recommendation_views import recommendations_page_part

    factor = finding(payments_retro)
    for i in range(5):
        recommend(payments_retro, people["alice"], title=f"R{i}", owner=people["bob"], findings=[factor])
        SetAside.objects.create(retrospective=payments_retro, title=f"P{i}", reason="no", created_by=people["bob"])
    request = rf.get("/")
    request.user = people["bob"]
    people["bob"]._team_roles = {people["payments"].pk: "member"}  # as the page has read them already
    with django_assert_num_queries(2):
        part = recommendations_page_part(request=request, retrospective=payments_retro, sections=[])
    assert [r.traced for r in part.context["recommendations"]] == [1] * 5
    assert len(part.context["set_asides"]) == 5


def test_editing_keeps_a_former_member_as_owner(payments_retro, people, client_for):
    rec = recommend(payments_retro, people["alice"], owner=people["bob"])
    people["bob"].is_active = False
    people["bob"].save()
    response = client_for("alice").post(
        reverse("recommendation_edit", args=[rec.pk]), edit_data(people, rec, owner=people["bob"].pk, title="Renamed")
    )
    assert response.status_code == 302
    rec.refresh_from_db()
    assert rec.title == "Renamed" and rec.owner_id == people["bob"].pk


def test_a_long_history_is_paged_newest_first(payments_retro, people, client_for):
    rec = recommend(payments_retro, people["alice"])
    for i in range(55):
        rec = recommendation_update(recommendation=rec, by=people["alice"], changes={"title": f"Title {i}"})
    client = client_for("bob")
    first = client.get(detail_url(rec)).content.decode()
    assert "Title 53 → Title 54" in first and "Page 1 of 2" in first and "Created" not in first.split("History")[-1]
    second = client.get(detail_url(rec), {"page": 2}).content.decode()
    assert "Why: Created" in second


def test_the_reason_shown_is_that_of_the_last_change_of_status_or_date(payments_retro, people, client_for):
    rec = recommend(payments_retro, people["alice"], commitment_date=later(5))
    rec = recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "dropped"}, reason="Costly")
    assert "Why it was dropped:</strong> Costly" in client_for("bob").get(detail_url(rec)).content.decode()
    rec = recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "planned"})
    page = client_for("bob").get(detail_url(rec)).content.decode()
    assert 'data-testid="status-reason"' not in page  # reopened without a reason: "Costly" explains nothing now
    rec = recommendation_update(
        recommendation=rec, by=people["alice"], changes={"commitment_date": later(50)}, reason="Vendor"
    )
    assert "Why its date moved:</strong> Vendor" in client_for("bob").get(detail_url(rec)).content.decode()


def test_linking_by_number_never_links_one_the_reader_may_not_see(
    payments_retro, platform_private_retro, people, client_for
):
    hidden = recommend(platform_private_retro, people["charlie"])
    client = client_for("bob")
    response = client.post(reverse("recommendation_link", args=[payments_retro.pk]), {"recommendation": hidden.pk})
    assert response.status_code == 302
    assert not RecommendationLink.objects.filter(retrospective=payments_retro).exists()
    page = client.get(response["Location"]).content.decode()
    assert "No such recommendation, or you may not see it." in page
    assert "Link an existing recommendation" in page


def test_the_history_of_a_private_one_merged_away_stays_with_those_who_could_see_it(
    payments_retro, platform_private_retro, people, client_for
):
    ours = recommend(payments_retro, people["alice"])
    secret = recommend(platform_private_retro, people["charlie"], title="Rotate the leaked fraud keys")
    recommendation_merge(keep=ours, merge_away=secret, by=people["oscar"], reason="Same work")
    bob_page = client_for("bob").get(detail_url(ours)).content.decode()
    assert "Rotate the leaked fraud keys" not in bob_page and f"from merged #{secret.pk}" not in bob_page
    assert "Secret outage" not in bob_page
    assert client_for("bob").get(detail_url(secret)).status_code == 404
    charlie_page = client_for("charlie").get(detail_url(ours)).content.decode()
    assert f"from merged #{secret.pk}" in charlie_page and "Rotate the leaked fraud keys" in charlie_page


def test_a_moved_commitment_dates_reason_shows_on_every_retrospective_that_calls_for_it(
    payments_retro, make_incident, make_retrospective, people, client_for
):
    rec = recommend(payments_retro, people["alice"], owner=people["bob"], commitment_date=later(10))
    second = make_retrospective(make_incident(title="Refunds stalled"))
    recommendation_link(recommendation=rec, retrospective=second, by=people["alice"])
    recommendation_update(
        recommendation=rec,
        by=people["bob"],
        changes={"commitment_date": later(40)},
        reason="The vendor's client library ships next month.",
    )
    for retrospective in (payments_retro, second):
        page = client_for("dana").get(reverse("retrospective_detail", args=[retrospective.pk])).content.decode()
        assert "The vendor&#x27;s client library ships next month." in page
