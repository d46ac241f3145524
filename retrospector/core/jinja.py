"""The Jinja2 environment, for the few partials where Django's template engine is too slow. The timeline's 100 rows
(timeline/jinja2/timeline/_event_rows.html) took 55-86 ms through a Django template, 26-44 ms tuned (values computed
beforehand, the options rendered once), 3.4-6.3 ms here (min-median, a busy 2-core machine; the whole page's p95
target is 50 ms). Settings' TEMPLATES names it "jinja2"; render with `using="jinja2"`. Compiled templates are cached
by the environment (reloaded on change only with DEBUG).

Values are printed as Django templates print them, so a partial written here gives the same bytes: HTML-safe values
(mark_safe, Markup) as they are, anything else through html.escape (Django writes &quot; and &#x27;; markupsafe's own
escaping would write &#34; and &#39;). Filters are Django's own, not look-alikes."""

from html import escape

from django.conf import settings
from django.template import defaultfilters
from jinja2 import Environment, StrictUndefined

from retrospector.core.templatetags.retro import duration, http_link


def _escaped(value) -> str:
    """What Django prints for a value: HTML-safe values (mark_safe, Markup) as they are, anything else escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    if value.__class__ is int:  # ids and counts, by the hundred: nothing to escape
        return str(value)
    return escape(str(value))


def environment(**options) -> Environment:
    # Every printed value goes through _escaped, which is autoescaping done once instead of twice (markupsafe's escape
    # after it would cost a third of the rendering), with Django's entities.
    if settings.TESTING:
        # A name the view forgot to pass fails the test that renders it, instead of printing nothing (a form without
        # its CSRF field looks right and is refused on the first real post).
        options["undefined"] = StrictUndefined
    env = Environment(**{**options, "autoescape": False}, finalize=_escaped)
    env.filters.update(
        date=defaultfilters.date,  # no conversion to the current zone: the value is shown in its own zone
        duration=duration,
        http_link=http_link,
        linebreaksbr=defaultfilters.linebreaksbr,
        truncatechars=defaultfilters.truncatechars,
    )
    return env
