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
        # Vectors for the optional semantic ranking of incidents that have none (the extra installed on an installation
        # with data); nothing without the extra (insights.semantic).
        (
            "similar: vectors of incidents that have none (semantic extra)",
            "retrospector.insights.semantic.incident_vectors_fill_missing",
        ),
        # The weekly digest e-mail, for those who asked for it (insights.digest).
        ("digest: send this week's to those who asked for it", "retrospector.insights.digest.digests_send"),
        # The readers' default views computed into the shared cache (insights.cached): after a change the task queued
        # on commit does it at once; this catches the change of day and a task that was lost.
        ("insights: the readers' default views", "retrospector.insights.cached.insights_refresh"),
    ]

    # Beside a retrospective's sections (writeups.page_parts): "Have we seen this before?" and the "Share" box.
    retrospective_page_parts: list[str] = [
        "retrospector.insights.similar_views.similar_page_part",
        "retrospector.insights.statement_views.page_part",
    ]

    def ready(self):
        from retrospector.insights import signals

        signals.connect()

        from retrospector.insights import cached  # insights: the cached aggregates' data version

        cached.connect()
