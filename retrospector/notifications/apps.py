from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "retrospector.notifications"
    label = "notifications"
