from django.urls import path

from . import statement_views as views

urlpatterns = [
    path("retrospectives/<int:pk>/share/", views.retrospective_share, name="retrospective_share"),
    path("statements/<int:pk>/", views.statement_edit, name="statement_edit"),
    path("statements/<int:pk>/export.<str:fmt>", views.statement_export, name="statement_export"),
    path("statements/<int:pk>/publish", views.statement_publish_view, name="statement_publish"),
    path("statements/<int:pk>/revoke", views.statement_revoke_view, name="statement_revoke"),
    path("statements/<int:pk>/published/", views.statement_published, name="statement_published"),
    path("shared/<str:token>/", views.statement_public, name="statement_public"),
]
