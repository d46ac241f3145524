from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "retrospector.backup"
    label = "backup"
