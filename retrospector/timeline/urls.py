from django.urls import path

from . import import_views, views

urlpatterns = [
    path("incidents/<int:pk>/timeline/", views.timeline, name="incident_timeline"),
    path("incidents/<int:pk>/timeline/events", views.event_new, name="event_new"),
    path("incidents/<int:pk>/timeline/events/<int:event_pk>", views.event_row, name="event_row"),
    path("incidents/<int:pk>/timeline/events/<int:event_pk>/edit", views.event_edit, name="event_edit"),
    path("incidents/<int:pk>/timeline/events/<int:event_pk>/delete", views.event_delete_view, name="event_delete"),
    path("incidents/<int:pk>/timeline/events/<int:event_pk>/milestone", views.event_milestone, name="event_milestone"),
    path("incidents/<int:pk>/timeline/bulk", views.events_bulk_view, name="events_bulk"),
    path("incidents/<int:pk>/timeline/settings", views.timeline_settings, name="timeline_settings"),
    path("incidents/<int:pk>/timeline/import", import_views.timeline_import_view, name="timeline_import"),
    path(
        "incidents/<int:pk>/timeline/import/jobs/<int:job_pk>",
        import_views.timeline_import_job_view,
        name="timeline_import_job",
    ),
    path(
        "incidents/<int:pk>/timeline/import/jobs/<int:job_pk>/status",
        import_views.timeline_import_job_status_view,
        name="timeline_import_job_status",
    ),
    path(
        "incidents/<int:pk>/timeline/import/jobs/<int:job_pk>/confirm",
        import_views.timeline_import_job_confirm_view,
        name="timeline_import_job_confirm",
    ),
    path(
        "incidents/<int:pk>/timeline/import/jobs/<int:job_pk>/refine",
        import_views.timeline_import_job_refine_view,
        name="timeline_import_job_refine",
    ),
    path("incidents/<int:pk>/timeline/imports/<int:record_pk>/undo", import_views.import_undo_view, name="import_undo"),
]
