"""The actions app's pages: one module per part, included here."""

from django.urls import include, path

urlpatterns = [path("", include("retrospector.actions.urls_findings"))]
