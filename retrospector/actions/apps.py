from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "retrospector.actions"
    label = "actions"
    # What the actions add to a retrospective's page (writeups.page_parts); one entry a line.
    retrospective_page_parts: list[str] = [
        "retrospector.actions.findings_views.findings_page_part",
    ]
    # What the actions add to a retrospective's sections in its exports (writeups.export); one entry a line.
    retrospective_export_parts: list[str] = [
        "retrospector.actions.findings.findings_export_part",
    ]
