from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "retrospector.accounts"
    label = "accounts"
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        ("log-in throttle: forget old failures", "retrospector.accounts.services.auth_throttles_prune"),
    ]
