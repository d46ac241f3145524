"""The checkout's settings file, `var/retrospector.env`: `make run` writes it (`retrospector devenv`) and settings.py
reads it, so that every command run in the checkout uses the settings the server uses. Variables set in the
environment win over the file.

Pure Python, no Django: settings.py reads the file before Django is configured, and `retrospector devenv` writes it
before any settings exist (it is how a checkout gets them)."""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

FILE_NAME = "retrospector.env"
# What `make run` was given for the database: recorded, so that later commands use the same one.
DATABASE_VARIABLES = ("DATABASE_URL", "SQLITE_PATH")
LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
HEADER = """\
# Retrospector's settings for this development checkout, written by `make run` (`retrospector devenv`).
# Every `retrospector` command run here reads this file; a variable set in the environment wins over it.
# Development only: never copy this file or its key to a server. NAME=value lines you add are kept.
"""


class EnvFileError(ValueError):
    """A line of the settings file that is not NAME=value."""


def var_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where SQLite, the generated key and this file live: RETROSPECTOR_VAR_DIR, else ./var."""
    return Path(environ.get("RETROSPECTOR_VAR_DIR") or Path.cwd() / "var").resolve()


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def env_file_read(path: Path) -> dict[str, str]:
    """The NAME=value pairs of a settings file, in order. Blank lines and # comments are skipped; a value may be
    quoted with ' or "; anything else is an EnvFileError naming the file and the line."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if not match:
            raise EnvFileError(f"{shown(path)}:{number}: expected NAME=value, not {line[:60]!r}")
        name, value = match[1], match[2].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def env_file_apply(path: Path, environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Put the file's settings into the environment, except those the environment already has; returns the ones it
    put there. No file, nothing to do."""
    if not path.is_file():
        return {}
    applied = {name: value for name, value in env_file_read(path).items() if name not in environ}
    environ.update(applied)
    return applied


def devenv_write(environ: Mapping[str, str] = os.environ) -> tuple[Path, dict[str, str]]:
    """Write (or bring up to date) the checkout's settings file: development mode, a secret key generated once and
    kept (an older checkout's var/secret_key is adopted, so its sessions stay valid), the database given in the
    environment (else the one recorded before, else SQLite in the var folder), and every other setting kept."""
    folder = var_dir(environ)
    path = folder / FILE_NAME
    before = env_file_read(path) if path.is_file() else {}
    legacy_key = folder / "secret_key"
    key = before.get("SECRET_KEY") or (legacy_key.read_text().strip() if legacy_key.is_file() else "")
    values = {"DEBUG": "1", "SECRET_KEY": key or secrets.token_urlsafe(50)}
    given = {name: environ[name] for name in DATABASE_VARIABLES if environ.get(name)}
    values.update(given or {name: before[name] for name in DATABASE_VARIABLES if before.get(name)})
    for name, value in before.items():
        if name not in DATABASE_VARIABLES:
            values.setdefault(name, value)
    folder.mkdir(parents=True, exist_ok=True)
    text = HEADER + "".join(f"{name}={value}\n" for name, value in values.items())
    # Readable by its owner only (it holds the key), and never half written: a new file, then renamed over the old.
    partial = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(partial, path)
    return path, values


def devenv_main(argv: list[str]) -> int:
    """`retrospector devenv`: what `make run` calls first."""
    if argv:
        if argv[0] in ("-h", "--help"):
            print(
                "usage: retrospector devenv\n\nWrite var/retrospector.env (or $RETROSPECTOR_VAR_DIR/retrospector.env)"
                " for a development checkout:\nDEBUG=1, a secret key generated once and kept, and the database given"
                " in DATABASE_URL or SQLITE_PATH.\nEvery `retrospector` command run in the checkout then reads it."
            )
            return 0
        print(f"retrospector devenv: takes no arguments, not {' '.join(argv)!r}", file=sys.stderr)
        return 2
    try:
        path, values = devenv_write()
    except (EnvFileError, OSError) as exc:
        print(f"retrospector devenv: {exc}", file=sys.stderr)
        return 1
    if "DATABASE_URL" in values:
        database = "DATABASE_URL " + re.sub(r"//[^@/]*@", "//…@", values["DATABASE_URL"])  # no password on screen
    else:
        database = "SQLite " + values.get("SQLITE_PATH", shown(path.parent / "retrospector.sqlite3"))
    print(f"Settings for every command run here: {shown(path)} (DEBUG=1, its own secret key, {database})")
    return 0
