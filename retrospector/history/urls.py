from django.urls import path

from . import views

urlpatterns = [
    path("history/", views.history_list, name="history_list"),
    path("history/upload", views.history_upload, name="history_upload"),
    path("history/<int:pk>/", views.history_detail, name="history_detail"),
    path("history/<int:pk>/status", views.history_status, name="history_status"),
    path("history/<int:pk>/confirm", views.history_confirm, name="history_confirm"),
    path("history/<int:pk>/discard", views.history_discard, name="history_discard"),
]
