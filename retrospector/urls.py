"""Every page and the API: each app's urls.py, included here, and the few pages that belong to no app."""

from django.urls import include, path, re_path

from retrospector import views
from retrospector.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("retrospector.accounts.urls")),
    # The incidents' list and page with what the review process adds (see views.incident_list and incident_detail);
    # they win over the incidents app's own paths.
    path("incidents/", views.incident_list),
    path("incidents/<int:pk>/", views.incident_detail),
    path("", include("retrospector.incidents.urls")),
    path("", include("retrospector.timeline.urls")),
    path("", include("retrospector.notifications.urls")),
    path("", include("retrospector.actions.urls")),
    path("", include("retrospector.meetings.urls")),
    path("", include("retrospector.reviews.urls")),
    path("", include("retrospector.writeups.urls")),
    path("", include("retrospector.actions.urls")),
    path("", include("retrospector.insights.urls")),
    path("", include("retrospector.history.urls")),
    path("api/", api.urls),
    re_path(r"^api/", views.api_not_found),
]

# Lock contention raised outside a view (e.g. while the session is saved) answers 503 too, like in a view.
handler500 = "retrospector.core.middleware.server_error"
