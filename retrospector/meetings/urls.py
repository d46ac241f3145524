"""The meeting's pages. Included before the reviews' and writeups' URLs in retrospector/urls.py."""

from django.urls import path

urlpatterns: list = []

# --- The meeting's schedule, roles and invitation (meetings.schedule_views) ---
from retrospector.meetings import schedule_views  # noqa: E402

urlpatterns += [
    path("retrospectives/<int:pk>/meeting", schedule_views.meeting_schedule_page, name="meeting_schedule"),
    path("retrospectives/<int:pk>/meeting/roles", schedule_views.meeting_roles, name="meeting_roles"),
    path("retrospectives/<int:pk>/meeting.ics", schedule_views.meeting_ics_download, name="meeting_ics"),
]
