"""What apps add to the ones below them without being imported by them (the layers point down): each app lists
functions, as dotted paths, under an attribute of its AppConfig (`retrospective_page_parts`,
`retrospective_transition_guards`, `retrospective_start_checks`); the lower app calls app_hooks(attribute)."""

from collections.abc import Callable

from django.apps import apps
from django.utils.module_loading import import_string


def app_hooks(attribute: str) -> list[Callable]:
    """The functions every installed app lists under `attribute`, in the order of INSTALLED_APPS, then of each list."""
    return [import_string(path) for config in apps.get_app_configs() for path in getattr(config, attribute, ())]
