from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Restore a backup made by `retrospector backup` into an EMPTY database (a new SQLite file or PostgreSQL "
        "database, or one that was only migrated), then migrate it forward when the backup's schema is older. Stop "
        "the server and the worker first. It refuses a database with data, a backup made by a newer version, and a "
        "backup of the other engine: a restore stays on SQLite or on PostgreSQL (`retrospector export-all` writes "
        "the data out to move it). PostgreSQL needs pg_restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup's folder (the one holding manifest.json).")

    def handle(self, *args, path, **options):
        from retrospector.backup.snapshot import BackupError, backup_restore

        try:
            result = backup_restore(path=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        count = len(result.migrated)
        migrated = f"; then applied {count} newer migration{'s' if count != 1 else ''}" if count else ""
        self.stdout.write(
            f"Restored {result.rows:,} rows in {result.tables} tables from the backup of "
            f"{result.manifest.get('created_at', 'an unknown time')}{migrated}."
        )
