from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "retrospector.meetings"
    label = "meetings"
    # What the meeting adds to a retrospective's page (writeups.page_parts); one entry a line.
    retrospective_page_parts: list[str] = [
        "retrospector.meetings.agenda_views.agenda_page_part",
    ]
