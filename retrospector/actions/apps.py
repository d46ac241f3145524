from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "retrospector.actions"
    label = "actions"
    # What recommendations add to a retrospective's page (writeups.page_parts); one entry a line.
    retrospective_page_parts: list[str] = [
        "retrospector.actions.recommendation_views.recommendations_page_part",
    ]
