"""Insights in a real browser: the charts are drawn (uPlot's canvas) from the numbers in the page, on a wide screen and
on a phone, with no script error and nothing the Content Security Policy refuses."""

from datetime import UTC, datetime, timedelta

import pytest
from browser_support import (  # noqa: F401 - fixtures, used by name
    _builtin_templates_restored,
    _fast_password_hashing,
    browser,
    console,
    new_context,
    shot,
    site,
)
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def months_of_incidents(people, make_incident):
    now = timezone.now().astimezone(UTC)
    for n in range(8):
        start = datetime(now.year, now.month, 1, 9, tzinfo=UTC) - timedelta(days=31 * (n % 6) + n)
        make_incident(
            title=f"Checkout errors {n}",
            started_at=start,
            detected_at=start + timedelta(minutes=5 + 3 * n),
            acknowledged_at=start + timedelta(minutes=12 + 4 * n),
            mitigated_at=start + timedelta(minutes=40 + 10 * n),
            resolved_at=start + timedelta(hours=2 + n),
            severity=["SEV1", "SEV2", "SEV3"][n % 3],
        )


def test_the_charts_are_drawn_with_their_tables_beside(new_context, people, months_of_incidents, shot, console):
    page = new_context(people["bob"]).new_page()
    page.goto("/insights/response-times/")
    chart = page.locator("[data-insight-chart=chart-response-times]")
    expect(chart.locator("canvas")).to_be_visible()
    box = chart.locator("canvas").bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    # The legend names the series drawn; the table holds the same numbers as text.
    expect(chart.locator(".u-legend")).to_contain_text("Median time to resolve")
    expect(page.locator(".insight-table table tbody tr")).to_have_count(12)
    shot(page, "insights-response-times")

    page.goto("/insights/")
    expect(page.locator("[data-insight-chart=chart-incident-count] canvas")).to_be_visible()
    expect(page.locator("[data-insight-chart=chart-by-severity] canvas")).to_be_visible()
    shot(page, "insights-overview")

    phone = new_context(people["bob"], viewport={"width": 390, "height": 844}).new_page()
    phone.goto("/insights/incident-count/")
    canvas = phone.locator("[data-insight-chart=chart-incident-count] canvas")
    expect(canvas).to_be_visible()
    assert canvas.bounding_box()["width"] <= 390
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "insights-phone")
    assert console.errors() == []
