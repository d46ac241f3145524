"""Recommendation pages: created from a retrospective, linked, merged, set aside; a recommendation's own page."""

from django.urls import path

from . import recommendation_views as views

urlpatterns = [
    path(
        "retrospectives/<int:pk>/recommendations/new/", views.recommendation_create_page, name="recommendation_create"
    ),
    path(
        "retrospectives/<int:pk>/recommendations/similar/", views.recommendation_similar, name="recommendation_similar"
    ),
    path("retrospectives/<int:pk>/recommendations/link/", views.recommendation_link_view, name="recommendation_link"),
    path(
        "retrospectives/<int:pk>/recommendations/<int:recommendation_pk>/unlink/",
        views.recommendation_unlink_view,
        name="recommendation_unlink",
    ),
    path("retrospectives/<int:pk>/set-asides/", views.set_aside_create_view, name="set_aside_create"),
    path(
        "retrospectives/<int:pk>/set-asides/<int:set_aside_pk>/delete/",
        views.set_aside_delete_view,
        name="set_aside_delete",
    ),
    path("recommendations/<int:pk>/", views.recommendation_detail, name="recommendation_detail"),
    path("recommendations/<int:pk>/edit/", views.recommendation_edit, name="recommendation_edit"),
    path("recommendations/<int:pk>/status/", views.recommendation_status, name="recommendation_status"),
    path("recommendations/<int:pk>/merge/", views.recommendation_merge_page, name="recommendation_merge"),
]
