"""Shared by the history-import tests: the built-in templates' outlines (the Django side builds the same outlines from
the stored templates)."""

from __future__ import annotations

from pathlib import Path

from retrospector.importers.history.understand import builtin_outlines

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "postmortems" / "history"

TEMPLATES = builtin_outlines()
