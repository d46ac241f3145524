"""The meeting's pages. Included before the reviews' and writeups' URLs in retrospector/urls.py."""

from django.urls import path

from . import agenda_views

urlpatterns: list = []

# The agenda that builds itself (issue 15, part 1).
urlpatterns += [
    path("retrospectives/<int:pk>/agenda", agenda_views.agenda_page, name="meeting_agenda"),
]
