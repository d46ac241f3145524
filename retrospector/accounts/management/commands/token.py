from django.core.management.base import BaseCommand, CommandError

from retrospector.accounts.models import ApiToken, User
from retrospector.accounts.services import token_create


class Command(BaseCommand):
    help = (
        "Manage personal API tokens: `token create USERNAME [--name NAME]`, "
        "`token list USERNAME`, `token revoke PREFIX`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", default="command line")
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "revoke":
            count = ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True).count()
            if count != 1:
                raise CommandError(f"No single active token starts with {options['prefix']!r}.")
            from django.utils import timezone

            ApiToken.objects.filter(prefix=options["prefix"]).update(revoked_at=timezone.now())
            self.stdout.write("Revoked.")
            return
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        if action == "list":
            for token in user.api_tokens.all():
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.prefix}…  {token.name}  {state}  created {token.created_at:%Y-%m-%d}")
            return
        _, raw = token_create(user=user, name=options["name"])
        self.stdout.write(raw)
        self.stderr.write("Store it now: it is not shown again. Send it as 'Authorization: Bearer <token>'.")
