"""The built-in template definitions: one YAML file per template, read by core.template_definitions.

Only paths here (no YAML, no pydantic), so `retrospector lint --help` can list the keys without loading the reader.
"""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
# The order the template list shows them in; a new file not named here comes after these, by key.
ORDER = ("learning-review", "meeting-agenda", "postmortem", "systems-analysis", "incident-review")


def builtin_template_files() -> dict[str, Path]:
    """Key -> YAML file, in display order."""
    found = {path.stem: path for path in DIRECTORY.glob("*.yaml")}
    keys = [key for key in ORDER if key in found] + sorted(set(found) - set(ORDER))
    return {key: found[key] for key in keys}
