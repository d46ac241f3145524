from django.urls import path

from . import chart_views, similar_views, statement_urls, views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("incidents/<int:pk>/similar/", similar_views.incident_similar, name="incident_similar"),
]

# Sharing: statements made from a write-up (insights.statement_views).
urlpatterns += statement_urls.urlpatterns

# Insights: charts with a table view and CSV (chart_views)
urlpatterns += [
    path("insights/", chart_views.insights_overview, name="insights"),
    path("insights/<slug:name>/", chart_views.insight_page, name="insight"),
]
