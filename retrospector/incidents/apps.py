from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "retrospector.incidents"
    label = "incidents"
