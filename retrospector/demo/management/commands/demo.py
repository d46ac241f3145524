from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Load the demo organization into an empty database (refuses a non-empty one unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Erase every row first, then load the demo.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing (and succeed) when data exists.")

    def handle(self, *args, force, if_empty, **options):
        from retrospector.demo.loader import DEMO_PASSWORD, database_is_empty, load_demo

        if not database_is_empty():
            if if_empty:
                self.stdout.write("The database already has data; demo not loaded.")
                return
            if not force:
                raise CommandError("The database is not empty. Use --force to erase it and load the demo.")
            call_command("flush", interactive=False, verbosity=0)
            from retrospector.writeups.services import builtin_templates_sync

            builtin_templates_sync()
        counts = load_demo()
        self.stdout.write(
            f"Loaded the demo: {counts['teams']} teams, {counts['users']} people, {counts['incidents']} incidents "
            f"({counts.get('timeline_events', 0)} timeline events), {counts['retrospectives']} retrospectives.\n"
            f"Log in as '{counts['admin']}' (organization admin) or any demo user with the password '{DEMO_PASSWORD}'."
        )
