from django.urls import path

from . import statement_urls, views

urlpatterns = [path("search/", views.search_page, name="search")]

# Sharing: statements made from a write-up (insights.statement_views).
urlpatterns += statement_urls.urlpatterns
