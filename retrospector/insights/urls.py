from django.urls import path

from . import similar_views, views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("incidents/<int:pk>/similar/", similar_views.incident_similar, name="incident_similar"),
]
