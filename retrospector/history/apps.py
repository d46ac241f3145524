from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "retrospector.history"
    label = "history"
    verbose_name = "History import"
    # An imported write-up stays done: its source file is the record, changed by importing the file again.
    retrospective_transition_guards: list[str] = ["retrospector.history.services.imported_stays_done"]
    retrospective_page_parts: list[str] = ["retrospector.history.views.imported_page_part"]
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        ("history uploads: remove expired ones", "retrospector.history.tasks.history_uploads_prune"),
        (
            "history uploads: fail those whose worker stopped",
            "retrospector.history.tasks.history_uploads_fail_stalled",
        ),
    ]
