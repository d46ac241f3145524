from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (notifications, imports, periodic jobs) from the database queue."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")

    def handle(self, *args, batch, **options):
        extra = ["--batch"] if batch else []
        call_command("db_worker", *extra)
