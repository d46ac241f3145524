from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from retrospector.actions.models import TrackerConnection, WebhookSubscription
from retrospector.core.secretbox import SecretUnreadable, reseal

# Every stored secret: (model, its encrypted fields).
SEALED = (
    (TrackerConnection, ("credential_encrypted", "webhook_secret_encrypted")),
    (WebhookSubscription, ("secret_encrypted",)),
)


class Command(BaseCommand):
    help = (
        "Stored secrets (tracker credentials, webhook secrets): `secrets reseal` encrypts every one again under the "
        "newest of RETROSPECTOR_ENCRYPTION_KEYS, after a new key was put in front; then the old key can be dropped."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("reseal", help="Encrypt every stored secret again under the newest key.")

    def handle(self, *args, action, **options):
        count = 0
        unreadable = []
        with transaction.atomic():
            for model, fields in SEALED:
                for row in model.objects.select_for_update().only("pk", *fields):
                    changed = []
                    for field in fields:
                        try:
                            setattr(row, field, reseal(getattr(row, field)))
                        except SecretUnreadable:
                            unreadable.append(f"{model._meta.verbose_name} {row.pk} ({field})")
                            continue
                        changed.append(field)
                    if changed:
                        row.save(update_fields=changed)
                        count += len(changed)
            if unreadable:
                raise CommandError(
                    "Nothing was changed: no configured key opens "
                    + ", ".join(unreadable)
                    + ". Put the key they were encrypted with back into RETROSPECTOR_ENCRYPTION_KEYS."
                )
        self.stdout.write(f"{count} secret(s) encrypted under the newest key.")
