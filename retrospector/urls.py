"""Every page and the API: each app's urls.py, included here, and the few pages that belong to no app."""

from django.urls import include, path, re_path

from retrospector import views
from retrospector.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("retrospector.accounts.urls")),
    path("", include("retrospector.incidents.urls")),
    path("", include("retrospector.timeline.urls")),
    path("", include("retrospector.writeups.urls")),
    path("api/", api.urls),
    re_path(r"^api/", views.api_not_found),
]
