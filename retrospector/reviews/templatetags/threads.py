from django import template

register = template.Library()


@register.filter
def of_section(columns: dict, section) -> str:
    """A section's threads as rendered beforehand (HTML-safe), from a page part's {section id: html}."""
    return columns.get(section.pk, "")
