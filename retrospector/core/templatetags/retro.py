from django import template
from django.utils.html import conditional_escape, format_html

from retrospector.core.untrusted import http_url

register = template.Library()


@register.filter
def http_link(url, label) -> str:
    """`label` as a link to `url` when it is an http(s) URL with a host, else `label` as plain text: a stored
    `javascript:` or `data:` URL is never rendered as a link (the last line of defence; inputs refuse them too).
    Django templates: {{ url|http_link:label }}; Jinja2: {{ url|http_link(label) }}."""
    safe = http_url(url)
    if not safe:
        return conditional_escape("" if label is None else label)
    return format_html('<a href="{}" rel="nofollow noopener">{}</a>', safe, label)


@register.filter
def duration(value) -> str:
    """A timedelta as '1 h 05 min', '42 min' or '2 d 3 h'."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


@register.filter
def markdown(value) -> str:
    """Render untrusted Markdown through the sanitizer."""
    from django.utils.safestring import mark_safe

    from retrospector.core.markdown import render_markdown

    return mark_safe(render_markdown(value or ""))


@register.filter
def count(value) -> str:
    """A whole number with thousands separators: 60000 -> '60,000'."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
