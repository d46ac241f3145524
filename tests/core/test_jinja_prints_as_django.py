"""The Jinja2 partials print values as Django templates do (see retrospector/core/jinja.py): same escaping, same
entities, HTML-safe values as they are, and Django's own filters."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template, engines
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from markupsafe import Markup

pytestmark = pytest.mark.no_database


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "a & b < c > d",
        'say "hi"',
        "it's",
        "<script>alert('x')</script>",
        "ünï 🚒",
        "",
        0,
        12345,
        -1.5,
        None,
        True,
        mark_safe("<b>safe</b>"),
        Markup("<i>markup</i>"),
        gettext_lazy("Person"),
        ["a", "<b>"],
        {"k": "'v'"},
    ],
)
def test_a_value_is_printed_as_a_django_template_prints_it(value):
    ours = engines["jinja2"].from_string("[{{ value }}]").render({"value": value})
    theirs = Template("[{{ value }}]").render(Context({"value": value}))
    assert ours == theirs


@pytest.mark.parametrize(
    "source,django_source,value",
    [
        ("{{ value|linebreaksbr }}", "{{ value|linebreaksbr }}", "one\r\ntwo\rthree\nfour <&> \"'"),
        ("{{ value|linebreaksbr }}", "{{ value|linebreaksbr }}", mark_safe("<b>x</b>\ny")),
        ("{{ value|truncatechars(10) }}", "{{ value|truncatechars:10 }}", "ééééééééééééé & <more>"),
        (
            '{{ value|date("l j F Y H:i") }}',
            '{% load tz %}{% localtime off %}{{ value|date:"l j F Y H:i" }}{% endlocaltime %}',
            datetime(2026, 5, 4, 23, 5, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo")),
        ),
        ("{{ value|duration }}", "{{ value|duration }}", timedelta(hours=1, minutes=5)),
    ],
)
def test_the_filters_are_djangos(source, django_source, value):
    assert engines["jinja2"].from_string(source).render({"value": value}) == Template(django_source).render(
        Context({"value": value})
    )
