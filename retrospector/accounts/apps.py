from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "retrospector.accounts"
    label = "accounts"
