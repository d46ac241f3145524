from django.urls import path

from . import similar_views, statement_urls, views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("incidents/<int:pk>/similar/", similar_views.incident_similar, name="incident_similar"),
]

# Sharing: statements made from a write-up (insights.statement_views).
urlpatterns += statement_urls.urlpatterns
