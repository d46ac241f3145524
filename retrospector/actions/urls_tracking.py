from django.urls import path

from . import views_tracking as views

urlpatterns = [
    path("recommendations/", views.recommendation_list_page, name="recommendation_list"),
    path("recommendations/export.csv", views.recommendation_export_csv, name="recommendation_export_csv"),
    path("recommendations/breaches/", views.recommendation_breaches, name="recommendation_breaches"),
    path("recommendations/targets/", views.recommendation_targets, name="recommendation_targets"),
]
