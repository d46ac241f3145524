from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read-all", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/", views.notification_go, name="notification_go"),
    path("me/notifications/", views.notification_preferences, name="notification_preferences"),
]
