from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "retrospector.insights"
    label = "insights"

    def ready(self):
        from retrospector.insights import signals

        signals.connect()
