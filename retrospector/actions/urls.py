from django.urls import include, path

urlpatterns = [
    path("", include("retrospector.actions.urls_findings")),
    path("", include("retrospector.actions.urls_recs")),
    path("", include("retrospector.actions.urls_tracking")),
    path("", include("retrospector.actions.urls_trackers")),
    path("", include("retrospector.actions.urls_webhooks")),
]
