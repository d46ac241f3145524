from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Back up the whole database while the server and the worker keep running: one consistent snapshot (SQLite's "
        "online backup API, or pg_dump's custom format on PostgreSQL) and manifest.json (engine, time, app version, "
        "applied migrations, rows per table). It holds everything a restore needs, secrets included: password "
        "hashes, API token digests, sessions and pending uploads. The folder is created 0700 and its files 0600; "
        "keep it as safe as the database (`retrospector export-all` writes the data without secrets)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            type=Path,
            help="A new folder for the backup (default: var/backups/retrospector-<UTC time>/).",
        )

    def handle(self, *args, path, **options):
        from retrospector.backup.snapshot import ENGINE_NAMES, BackupError, backup_create

        try:
            folder, manifest = backup_create(path=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Backed up {ENGINE_NAMES[manifest['engine']]} ({len(manifest['tables'])} tables, {rows:,} rows) to "
            f"{folder}. It holds secrets (password hashes, token digests): keep it safe."
        )
