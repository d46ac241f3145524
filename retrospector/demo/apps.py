from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organization (`retrospector demo`): built through every app's services, so it sits on top of them."""

    name = "retrospector.demo"
    label = "demo"
