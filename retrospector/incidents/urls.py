from django.urls import path

from . import views

urlpatterns = [
    path("settings/severities", views.severity_settings, name="severity_settings"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/new", views.incident_new, name="incident_new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/edit", views.incident_edit, name="incident_edit"),
]
