"""The findings' pages (actions.findings_views)."""

from django.urls import path

from . import findings_views

urlpatterns = [
    path("retrospectives/<int:pk>/findings/", findings_views.finding_list, name="finding_list"),
    path("retrospectives/<int:pk>/findings/<int:finding_pk>/edit/", findings_views.finding_edit, name="finding_edit"),
    path(
        "retrospectives/<int:pk>/findings/<int:finding_pk>/move/", findings_views.finding_move_view, name="finding_move"
    ),
    path(
        "retrospectives/<int:pk>/findings/<int:finding_pk>/delete/",
        findings_views.finding_delete_view,
        name="finding_delete",
    ),
]
