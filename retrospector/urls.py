from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from retrospector.accounts import views as accounts
from retrospector.api import api
from retrospector.core import views as core
from retrospector.incidents import timeline_import_views as timeline_imports
from retrospector.incidents import timeline_views as timeline
from retrospector.incidents import views as incidents
from retrospector.writeups import views as writeups

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", accounts.preferences, name="preferences"),
    path("me/tokens/", accounts.tokens, name="tokens"),
    path("me/tokens/<int:pk>/revoke", accounts.token_revoke_view, name="token_revoke"),
    path("people/", accounts.people, name="people"),
    path("settings/severities", incidents.severity_settings, name="severity_settings"),
    path("settings/checks", accounts.organization_checks, name="organization_checks"),
    path("checks/", accounts.checks_rules, name="checks_rules"),
    path("teams/", accounts.team_list, name="team_list"),
    path("teams/<slug:slug>/", accounts.team_detail, name="team_detail"),
    path("incidents/", incidents.incident_list, name="incident_list"),
    path("incidents/new", incidents.incident_new, name="incident_new"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/edit", incidents.incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/timeline/", timeline.timeline, name="incident_timeline"),
    path("incidents/<int:pk>/timeline/events", timeline.event_new, name="event_new"),
    path("incidents/<int:pk>/timeline/events/<int:event_pk>", timeline.event_row, name="event_row"),
    path("incidents/<int:pk>/timeline/events/<int:event_pk>/edit", timeline.event_edit, name="event_edit"),
    path("incidents/<int:pk>/timeline/events/<int:event_pk>/delete", timeline.event_delete_view, name="event_delete"),
    path("incidents/<int:pk>/timeline/events/<int:event_pk>/milestone", timeline.event_milestone, name="event_milestone"),
    path("incidents/<int:pk>/timeline/bulk", timeline.events_bulk_view, name="events_bulk"),
    path("incidents/<int:pk>/timeline/settings", timeline.timeline_settings, name="timeline_settings"),
    path("incidents/<int:pk>/timeline/import", timeline_imports.timeline_import_view, name="timeline_import"),
    path("incidents/<int:pk>/timeline/import/jobs/<int:job_pk>", timeline_imports.timeline_import_job_view, name="timeline_import_job"),
    path("incidents/<int:pk>/timeline/import/jobs/<int:job_pk>/status", timeline_imports.timeline_import_job_status_view,
         name="timeline_import_job_status"),
    path("incidents/<int:pk>/timeline/import/jobs/<int:job_pk>/confirm", timeline_imports.timeline_import_job_confirm_view,
         name="timeline_import_job_confirm"),
    path("incidents/<int:pk>/timeline/imports/<int:record_pk>/undo", timeline_imports.import_undo_view, name="import_undo"),
    path("incidents/<int:incident_pk>/retrospectives/new", writeups.retrospective_new, name="retrospective_new"),
    path("incidents/<int:incident_pk>/retrospectives/import", writeups.retrospective_import, name="retrospective_import"),
    path("retrospectives/<int:pk>/", writeups.retrospective_detail, name="retrospective_detail"),
    path("retrospectives/<int:pk>/assign", writeups.retrospective_assign_view, name="retrospective_assign"),
    path("retrospectives/<int:pk>/state", writeups.retrospective_transition_view, name="retrospective_transition"),
    path("retrospectives/<int:pk>/export.<str:fmt>", writeups.retrospective_export, name="retrospective_export"),
    path("retrospectives/<int:pk>/sections/<slug:key>/", writeups.section_show, name="section_show"),
    path("retrospectives/<int:pk>/sections/<slug:key>/edit", writeups.section_edit, name="section_edit"),
    path("retrospectives/<int:pk>/sections/<slug:key>/history", writeups.section_history, name="section_history"),
    path("retrospectives/<int:pk>/sections/<slug:key>/fill-timeline", writeups.section_fill_timeline, name="section_fill_timeline"),
    path("retrospectives/<int:pk>/sections/<slug:key>/restore", writeups.section_restore_view, name="section_restore"),
    path("preview", writeups.markdown_preview, name="markdown_preview"),
    path("writeups/", writeups.done_list, name="done_list"),
    path("templates/", writeups.template_list, name="template_list"),
    path("templates/new", writeups.template_edit, name="template_new"),
    path("templates/import", writeups.template_import, name="template_import"),
    path("templates/<slug:key>/", writeups.template_detail, name="template_detail"),
    path("templates/<slug:key>/edit", writeups.template_edit, name="template_edit"),
    path("templates/<slug:key>/download", writeups.template_download, name="template_download"),
    path("api/", api.urls),
    re_path(r"^api/", core.api_not_found),
]
