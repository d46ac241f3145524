from django.urls import path

from . import views

urlpatterns = [
    path("settings/checks", views.organization_checks, name="organization_checks"),
    path("checks/", views.checks_rules, name="checks_rules"),
    path("incidents/<int:incident_pk>/retrospectives/new", views.retrospective_new, name="retrospective_new"),
    path("incidents/<int:incident_pk>/retrospectives/import", views.retrospective_import, name="retrospective_import"),
    path("retrospectives/<int:pk>/", views.retrospective_detail, name="retrospective_detail"),
    path("retrospectives/<int:pk>/assign", views.retrospective_assign_view, name="retrospective_assign"),
    path("retrospectives/<int:pk>/state", views.retrospective_transition_view, name="retrospective_transition"),
    path("retrospectives/<int:pk>/export.<str:fmt>", views.retrospective_export, name="retrospective_export"),
    path("retrospectives/<int:pk>/print", views.retrospective_print, name="retrospective_print"),
    path("retrospectives/<int:pk>/sections/<slug:key>/", views.section_show, name="section_show"),
    path("retrospectives/<int:pk>/sections/<slug:key>/edit", views.section_edit, name="section_edit"),
    path("retrospectives/<int:pk>/sections/<slug:key>/history", views.section_history, name="section_history"),
    path(
        "retrospectives/<int:pk>/sections/<slug:key>/fill-timeline",
        views.section_fill_timeline,
        name="section_fill_timeline",
    ),
    path("retrospectives/<int:pk>/sections/<slug:key>/restore", views.section_restore_view, name="section_restore"),
    path("retrospectives/<int:pk>/sections/<slug:key>/ignore", views.finding_ignore_view, name="finding_ignore"),
    path(
        "retrospectives/<int:pk>/ignored/<int:ignore_pk>/unignore",
        views.finding_unignore_view,
        name="finding_unignore",
    ),
    path("preview", views.markdown_preview, name="markdown_preview"),
    path("writeups/", views.done_list, name="done_list"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/new", views.template_edit, name="template_new"),
    path("templates/import", views.template_import, name="template_import"),
    path("templates/<slug:key>/", views.template_detail, name="template_detail"),
    path("templates/<slug:key>/edit", views.template_edit, name="template_edit"),
    path("templates/<slug:key>/download", views.template_download, name="template_download"),
]
