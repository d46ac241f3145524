from django.urls import include, path

urlpatterns = [path("", include("retrospector.actions.urls_tracking"))]
