"""The meeting's pages. Included before the reviews' and writeups' URLs in retrospector/urls.py."""

urlpatterns: list = []

# During and after the meeting: notes, decisions, roll call, ready for final approval (issue 15, parts 3 and 4).
from django.urls import path  # noqa: E402

from . import notes_views  # noqa: E402

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
