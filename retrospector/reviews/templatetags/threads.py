from django import template

register = template.Library()


@register.filter
def of_section(threads_by_section: dict, section) -> list:
    """The threads of one section, from a page part's {section id: [threads]}."""
    return threads_by_section.get(section.pk, [])


@register.filter
def open_only(threads: list) -> list:
    return [thread for thread in threads if thread.is_open]


@register.filter
def resolved_only(threads: list) -> list:
    return [thread for thread in threads if not thread.is_open]
