from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "retrospector.actions"
    label = "actions"
