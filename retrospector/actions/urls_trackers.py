from django.urls import path

from .trackers import views

urlpatterns = [
    path("teams/<slug:slug>/trackers/", views.tracker_connections, name="tracker_connections"),
    path("teams/<slug:slug>/trackers/<int:pk>/", views.tracker_connection_edit, name="tracker_connection_edit"),
    path("recommendations/<int:pk>/tracker/", views.recommendation_tracker, name="recommendation_tracker"),
    path("hooks/trackers/<str:token>/", views.tracker_webhook, name="tracker_webhook"),
]
