from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "retrospector.core"
    label = "core"
