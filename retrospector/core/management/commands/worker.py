from django.core.management import call_command
from django.core.management.base import BaseCommand

from retrospector.core.periodic import housekeeping_schedule


class Command(BaseCommand):
    help = "Run background tasks (imports, periodic housekeeping) from the database queue."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")

    def handle(self, *args, batch, **options):
        # The periodic jobs (core.periodic) keep themselves queued; make sure a run is waiting when a worker starts.
        housekeeping_schedule()
        extra = ["--batch"] if batch else []
        call_command("db_worker", *extra)
