from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "retrospector.history"
    label = "history"
    verbose_name = "History import"
    # An imported write-up stays done: its source file is the record, changed by importing the file again.
    retrospective_transition_guards: list[str] = ["retrospector.history.services.imported_stays_done"]
    retrospective_page_parts: list[str] = ["retrospector.history.views.imported_page_part"]
