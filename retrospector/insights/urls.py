from django.urls import path

from . import chart_views, views

urlpatterns = [path("search/", views.search_page, name="search")]

# Insights: charts with a table view and CSV (chart_views)
urlpatterns += [
    path("insights/", chart_views.insights_overview, name="insights"),
    path("insights/<slug:name>/", chart_views.insight_page, name="insight"),
]
