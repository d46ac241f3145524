from django.apps import AppConfig


class WriteupsConfig(AppConfig):
    name = "retrospector.writeups"
    label = "writeups"
