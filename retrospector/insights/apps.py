from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "retrospector.insights"
    label = "insights"
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        (
            "search: build the index of an installation that had data before",
            "retrospector.insights.indexing.search_index_fill_if_empty",
        )
    ]

    def ready(self):
        from retrospector.insights import signals

        signals.connect()

        from retrospector.insights import cached  # insights: the cached aggregates' data version

        cached.connect()
