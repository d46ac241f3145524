"""Whole-database backups taken while the server and the worker keep writing, and their restore into an empty database.

A backup is a folder (mode 0700) holding two files (mode 0600):

    manifest.json       what the backup holds: format, engine, time, app version, the applied migrations per app and
                        the rows per table, all read from the same snapshot as the data
    database.sqlite3    SQLite: a copy made by SQLite's online backup API (one step, so one consistent snapshot)
    database.pgdump     PostgreSQL: pg_dump's custom format, dumped from a snapshot exported by the transaction that
                        counted the rows

It is the whole database, secrets included (password hashes, API token digests, sessions, pending uploads): that is what
a restore needs. `retrospector export-all` is the export without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from retrospector.writeups.models import Template, TemplateVersion

FORMAT = "retrospector-backup/1"
MANIFEST = "manifest.json"
DATA_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SECRETS_NOTE = (
    "A whole-database backup: it holds password hashes, API token digests, sessions and pending uploads. "
    "Keep it as safe as the database."
)
# Rows `retrospector migrate` itself writes into a new database: a database holding only these is still empty.
MIGRATE_BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}
# Connection options pg_dump and pg_restore understand (passwords go through the environment, never the arguments).
LIBPQ_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "application_name",
    "options",
    "target_session_attrs",
    "service",
    "passfile",
}


class BackupError(Exception):
    """Why a backup or a restore cannot be made, in one line an operator can act on."""


@dataclass
class RestoreResult:
    manifest: dict
    rows: int
    tables: int
    migrated: list[str]


def app_version() -> str:
    try:
        return metadata.version("retrospector")
    except metadata.PackageNotFoundError:
        return "unknown"


def _engine() -> str:
    if connection.vendor not in DATA_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def _quote(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


def _tables(cursor, engine: str) -> list[str]:
    if engine == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def _row_counts(cursor, engine: str) -> dict[str, int]:
    counts = {}
    for table in _tables(cursor, engine):
        cursor.execute(f"SELECT count(*) FROM {_quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _applied_migrations(cursor) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _contents(cursor, engine: str) -> dict:
    migrations = _applied_migrations(cursor)
    return {
        "schema": {app: max(names) for app, names in sorted(migrations.items())},
        "migrations": dict(sorted(migrations.items())),
        "tables": _row_counts(cursor, engine),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _private_file(path: Path) -> None:
    """Create an empty file only its owner can read, before anything writes secrets into it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


# --- Backup --------------------------------------------------------------------------------------------------------


def default_backup_path(now: datetime) -> Path:
    base = Path(settings.VAR_DIR) / "backups" / f"retrospector-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    path, n = base, 2
    while path.exists():
        path = base.with_name(f"{base.name}-{n}")
        n += 1
    return path


def backup_create(*, path: Path | None = None) -> tuple[Path, dict]:
    """Write a backup of the whole database to the folder `path` (by default under var/backups/); returns the folder
    and its manifest. The server and the worker may keep writing meanwhile: the copy is one consistent snapshot."""
    engine = _engine()
    now = timezone.now()
    if path is None:
        path = default_backup_path(now)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = Path(path).absolute()
    if path.exists() and not (path.is_dir() and not any(path.iterdir())):
        raise BackupError(f"{path} already exists: name a new folder for the backup.")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder: create it first.")
    # Written under a temporary name and renamed when complete: a folder with the final name is a whole backup.
    work = path.with_name(f".{path.name}.partial")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(mode=0o700)
    work.chmod(0o700)  # whatever the umask
    try:
        data = work / DATA_FILES[engine]
        _private_file(data)
        engine_details, contents = (_sqlite_backup if engine == "sqlite" else _postgresql_backup)(data)
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "app_version": app_version(),
            "engine": engine,
            **engine_details,
            "database_file": data.name,
            "database_bytes": data.stat().st_size,
            "database_sha256": _sha256(data),
            "contains_secrets": SECRETS_NOTE,
            **contents,
        }
        manifest_path = work / MANIFEST
        _private_file(manifest_path)
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(work, path)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return path, manifest


def _sqlite_backup(data: Path) -> tuple[dict, dict]:
    connection.ensure_connection()
    target = sqlite3.connect(data)
    try:
        # pages=-1: the whole database in one step, under one read lock; in WAL mode writers carry on meanwhile.
        connection.connection.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        contents = _contents(target.cursor(), "sqlite")
    finally:
        target.close()
    return {"engine_version": sqlite3.sqlite_version, "tool": "SQLite online backup API"}, contents


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed (or not on PATH): install the PostgreSQL client tools of the server's version "
            "(for example the postgresql-client package)."
        )
    return found


def _tool_version(executable: str) -> tuple[int, str]:
    out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not match:
        raise BackupError(f"Could not read the version of {executable}: {out.strip()!r}.")
    return int(match.group(1)), match.group(0)


def _server_major() -> int:
    connection.ensure_connection()
    return connection.pg_version // 10000


def _libpq() -> tuple[str, dict]:
    """The conninfo for pg_dump and pg_restore, and their environment (the password stays out of the arguments)."""
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    params = {"dbname": db.get("NAME"), "user": db.get("USER"), "host": db.get("HOST"), "port": db.get("PORT")}
    params.update({key: value for key, value in (db.get("OPTIONS") or {}).items() if key in LIBPQ_OPTIONS})
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return make_conninfo(**{key: str(value) for key, value in params.items() if value not in (None, "")}), env


def _run(command: list[str], env: dict, what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        problems = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"{what} failed: " + ("; ".join(problems[-3:]) or f"exit status {result.returncode}"))


def _postgresql_backup(data: Path) -> tuple[dict, dict]:
    pg_dump = _tool("pg_dump")
    dump_major, dump_version = _tool_version(pg_dump)
    server_major = _server_major()
    if dump_major < server_major:
        raise BackupError(
            f"pg_dump {dump_version} is older than the PostgreSQL {server_major} server: install the PostgreSQL "
            f"{server_major} client tools (or newer) and put their pg_dump first on PATH."
        )
    if connection.in_atomic_block:
        raise BackupError("A backup needs a transaction of its own: run it outside any transaction.")
    conninfo, env = _libpq()
    with transaction.atomic(), connection.cursor() as cursor:
        # The manifest's counts and pg_dump read the same snapshot: this transaction exports it and stays open
        # until pg_dump is done.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        contents = _contents(cursor, "postgresql")
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={data}",
                f"--dbname={conninfo}",
            ],
            env,
            "pg_dump",
        )
    return {"engine_version": server_version, "tool": f"pg_dump {dump_version} (custom format)"}, contents


# --- Restore -------------------------------------------------------------------------------------------------------


def manifest_read(path: Path) -> dict:
    path = Path(path)
    manifest_path = path / MANIFEST if path.is_dir() else path
    if not manifest_path.is_file():
        raise BackupError(f"{path} is not a backup: there is no {MANIFEST} in it.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{manifest_path}: not valid JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path}: not a Retrospector backup manifest (expected format {FORMAT!r}).")
    for field, kind in (("engine", str), ("database_file", str), ("database_sha256", str), ("migrations", dict)):
        if not isinstance(manifest.get(field), kind):
            raise BackupError(f"{manifest_path}: the field {field!r} is missing or not a {kind.__name__}.")
    if not all(isinstance(names, list) for names in manifest["migrations"].values()):
        raise BackupError(f"{manifest_path}: 'migrations' must map each app to a list of migration names.")
    if not isinstance(manifest.get("tables"), dict):
        raise BackupError(f"{manifest_path}: the field 'tables' is missing or not a dict.")
    return manifest


def migrations_unknown_to_code(manifest: dict) -> list[str]:
    """The backup's applied migrations this code does not have: the backup was made by a newer version."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for squashed in loader.replacements.values():  # a squashed migration stands for those it replaced
        known.update(squashed.replaces)
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    applied |= {(app, name) for app, name in (manifest.get("schema") or {}).items()}
    return sorted(f"{app}.{name}" for app, name in applied if (app, name) not in known)


def database_first_data() -> str | None:
    """The first table holding data, or None when the database is empty: no tables, or only what `migrate` writes
    into a new database (its bookkeeping and the built-in templates)."""
    engine = _engine()
    builtin_tables = {
        Template._meta.db_table: f"SELECT 1 FROM {_quote(Template._meta.db_table)} WHERE organization_id IS NOT NULL",
        TemplateVersion._meta.db_table: (
            f"SELECT 1 FROM {_quote(TemplateVersion._meta.db_table)} WHERE template_id IN "
            f"(SELECT id FROM {_quote(Template._meta.db_table)} WHERE organization_id IS NOT NULL)"
        ),
    }
    with connection.cursor() as cursor:
        for table in _tables(cursor, engine):
            if table in MIGRATE_BOOKKEEPING:
                continue
            cursor.execute(builtin_tables.get(table, f"SELECT 1 FROM {_quote(table)}") + " LIMIT 1")
            if cursor.fetchone():
                return table
    return None


def backup_restore(*, path: Path) -> RestoreResult:
    """Restore the backup in the folder `path` into this (empty) database, then migrate it forward."""
    from django.core.management import call_command
    from django.db.migrations.recorder import MigrationRecorder

    engine = _engine()
    path = Path(path)
    if path.name == MANIFEST and path.is_file():
        path = path.parent
    manifest = manifest_read(path)
    if manifest["engine"] != engine:
        raise BackupError(
            f"This backup is of a {ENGINE_NAMES.get(manifest['engine'], manifest['engine'])} database and this "
            f"installation uses {ENGINE_NAMES[engine]}: a restore stays on one engine (`retrospector export-all` "
            "writes the data out to move it)."
        )
    if unknown := migrations_unknown_to_code(manifest):
        more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
        raise BackupError(
            f"This backup's schema is newer than this version of Retrospector (it has the migration {unknown[0]}"
            f"{more}, which this code does not): upgrade Retrospector, then restore."
        )
    if manifest["database_file"] != DATA_FILES[engine]:
        raise BackupError(
            f"{path}: the manifest names the data file {manifest['database_file']!r}, not {DATA_FILES[engine]!r}."
        )
    data = path / manifest["database_file"]
    if not data.is_file():
        raise BackupError(f"{data} is missing: the backup is incomplete.")
    if _sha256(data) != manifest["database_sha256"]:
        raise BackupError(f"{data} does not match the checksum in its manifest: the backup is damaged.")
    if table := database_first_data():
        raise BackupError(
            f"The database is not empty (the table {table} has rows): restore only into an empty database."
        )
    if engine == "sqlite":
        _sqlite_restore(data)
    else:
        _postgresql_restore(data)
    with connection.cursor() as cursor:
        counts = _row_counts(cursor, engine)
    if counts != manifest["tables"]:
        differ = sorted(set(counts) ^ set(manifest["tables"])) or [
            t for t in counts if counts[t] != manifest["tables"][t]
        ]
        raise BackupError(f"The restored rows differ from the manifest's counts (first in {differ[0]}).")
    before = set(MigrationRecorder(connection).applied_migrations())
    call_command("migrate", interactive=False, verbosity=0)
    after = set(MigrationRecorder(connection).applied_migrations())
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # its ids are the restored ones now
    from retrospector.insights.cached import data_version_bump

    # The insights' cached tables came with the data, possibly a change ahead of the version: computed afresh.
    data_version_bump()
    return RestoreResult(
        manifest=manifest,
        rows=sum(counts.values()),
        tables=len(counts),
        migrated=sorted(f"{app}.{name}" for app, name in after - before),
    )


def _sqlite_restore(data: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(data.absolute().as_uri() + "?mode=ro", uri=True)
    try:
        # Replaces every page of this database with the backup's (the database was checked empty just before).
        source.backup(connection.connection, pages=-1)
    finally:
        source.close()


def _postgresql_restore(data: Path) -> None:
    pg_restore = _tool("pg_restore")
    conninfo, env = _libpq()
    with transaction.atomic(), connection.cursor() as cursor:
        # An empty database that was migrated has the tables already; the dump brings its own.
        if tables := _tables(cursor, "postgresql"):
            cursor.execute("DROP TABLE IF EXISTS " + ", ".join(_quote(t) for t in tables) + " CASCADE")
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={conninfo}",
            str(data),
        ],
        env,
        "pg_restore",
    )
