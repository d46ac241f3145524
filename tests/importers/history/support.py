"""Shared by the history-import tests: the built-in templates' outlines, read straight from their YAML files (the
Django side builds the same outlines from the template registry)."""

from __future__ import annotations

from pathlib import Path

import yaml

from retrospector.importers.history.understand import TemplateOutline

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "postmortems" / "history"


def builtin_outlines() -> tuple[TemplateOutline, ...]:
    out = []
    for path in sorted((ROOT / "retrospector" / "core" / "builtin_templates").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.append(TemplateOutline(data["key"], data["name"], tuple((s["key"], s["title"]) for s in data["sections"])))
    return tuple(out)


TEMPLATES = builtin_outlines()
