import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from retrospector.accounts.models import Organization
from retrospector.accounts.services import organization_create, team_create, user_create
from retrospector.incidents.services import severity_levels_ensure_defaults


class Command(BaseCommand):
    help = (
        "Set up a new installation: the organization, its first admin and a first team. "
        "The password comes from RETROSPECTOR_ADMIN_PASSWORD or is asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization name, e.g. 'Acme Corp'.")
        parser.add_argument("--admin", required=True, help="Username of the first organization admin.")
        parser.add_argument("--email", default="")
        parser.add_argument("--team", default="", help="Name of a first team (the admin becomes its admin).")

    @transaction.atomic
    def handle(self, *args, org, admin, email, team, **options):
        if Organization.objects.exists():
            raise CommandError("This installation already has an organization; add people from the People page.")
        password = os.environ.get("RETROSPECTOR_ADMIN_PASSWORD")
        if not password:
            import getpass

            password = getpass.getpass(f"Password for {admin}: ")
        organization = organization_create(name=org, slug=slugify(org)[:100] or "org")
        severity_levels_ensure_defaults(organization=organization)
        try:
            user = user_create(
                organization=organization, username=admin, password=password, email=email, is_org_admin=True
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        if team:
            team_create(organization=organization, name=team, slug=slugify(team)[:100] or "team", by=user)
        self.stdout.write(f"Created {organization.name} with admin {user.username}. Log in and add people and teams.")
