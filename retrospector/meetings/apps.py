from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "retrospector.meetings"
    label = "meetings"
    # What the meeting adds to a retrospective's page (writeups.page_parts); one entry a line.
    retrospective_page_parts: list[str] = [
        "retrospector.meetings.schedule_views.meeting_page_part",
        "retrospector.meetings.notes_views.notes_page_part",
        "retrospector.meetings.approval_views.approval_page_part",
        "retrospector.meetings.agenda_views.agenda_page_part",
    ]
    # Moves of writeups' generic state change that the meeting reserves for its own actions (writeups.services).
    retrospective_transition_guards: list[str] = ["retrospector.meetings.approval.guard"]
