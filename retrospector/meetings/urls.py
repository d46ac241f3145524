"""The meeting's pages. Included before the reviews' and writeups' URLs in retrospector/urls.py."""

from django.urls import path

from . import agenda_views, approval_views, notes_views, schedule_views

urlpatterns: list = []

# The meeting's schedule, roles and invitation (issue 15, part 2).
urlpatterns += [
    path("retrospectives/<int:pk>/meeting", schedule_views.meeting_schedule_page, name="meeting_schedule"),
    path("retrospectives/<int:pk>/meeting/roles", schedule_views.meeting_roles, name="meeting_roles"),
    path("retrospectives/<int:pk>/meeting.ics", schedule_views.meeting_ics_download, name="meeting_ics"),
]

# During and after the meeting: notes, decisions, roll call, ready for final approval (issue 15, parts 3 and 4).
urlpatterns += [
    path("retrospectives/<int:pk>/meeting/notes", notes_views.meeting_notes, name="meeting_notes"),
    path("retrospectives/<int:pk>/meeting/notes/<int:item_pk>", notes_views.item_notes_view, name="meeting_item_notes"),
    path("retrospectives/<int:pk>/meeting/roll-call", notes_views.roll_call_view, name="meeting_roll_call"),
    path("retrospectives/<int:pk>/decisions", notes_views.meeting_decisions, name="meeting_decisions"),
    path(
        "retrospectives/<int:pk>/decisions/<int:item_pk>/applied",
        notes_views.decision_applied_view,
        name="meeting_decision_applied",
    ),
    path("retrospectives/<int:pk>/decisions/ready", notes_views.meeting_ready_view, name="meeting_ready"),
]

# Final approval and reopening (issue 15, part 5).
urlpatterns += [
    path("retrospectives/<int:pk>/approve", approval_views.approval_page, name="approval"),
    path("retrospectives/<int:pk>/reopen", approval_views.reopen_page, name="approval_reopen"),
]

# The agenda that builds itself (issue 15, part 1).
urlpatterns += [
    path("retrospectives/<int:pk>/agenda", agenda_views.agenda_page, name="meeting_agenda"),
]
