from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "retrospector.insights"
    label = "insights"
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        (
            "search: build the index of an installation that had data before",
            "retrospector.insights.indexing.search_index_fill_if_empty",
        ),
        # The weekly digest e-mail, for those who asked for it (insights.digest).
        ("digest: send this week's to those who asked for it", "retrospector.insights.digest.digests_send"),
    ]

    def ready(self):
        from retrospector.insights import signals

        signals.connect()
