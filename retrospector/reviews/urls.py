"""The review's pages. Included before writeups' URLs in retrospector/urls.py, so a path here wins over the same
path there."""

from django.urls import path

from . import process_views

urlpatterns = [
    path("teams/<slug:slug>/process", process_views.team_process, name="team_process"),
    path("incidents/<int:incident_pk>/retrospectives/new", process_views.retrospective_new),
    path("retrospectives/<int:pk>/assign", process_views.assignment),
    path("retrospectives/<int:pk>/state", process_views.state_change),
    path("retrospectives/<int:pk>/send-for-review", process_views.send_for_review, name="review_send"),
]
