"""Template definitions (YAML or JSON): parsing and validation with errors that name the field.

Pure Python: no Django import, so the CLI and tests can use it anywhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

KINDS = ("text", "list", "table", "timeline")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
MAX_DEFINITION_BYTES = 256 * 1024
MAX_SECTIONS = 60
BUILTIN_DIR = Path(__file__).parent / "builtin_templates"


class DefinitionError(ValueError):
    """A template definition is invalid; `field` points at the offending value (e.g. sections[2].kind)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    kind: str = "text"
    required: bool = False
    guidance: str = ""
    starter: str = ""

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "required": self.required,
            "guidance": self.guidance,
            "starter": self.starter,
        }


@dataclass(frozen=True)
class TemplateDefinition:
    key: str
    name: str
    description: str
    sections: tuple[SectionSpec, ...]

    def sections_as_dicts(self) -> list[dict]:
        return [s.as_dict() for s in self.sections]


def parse_definition_text(text: str, *, filename: str = "definition") -> TemplateDefinition:
    """Parse YAML (JSON is valid YAML, but we try JSON first for exact error positions)."""
    if len(text.encode("utf-8")) > MAX_DEFINITION_BYTES:
        raise DefinitionError("", f"{filename} is larger than {MAX_DEFINITION_BYTES // 1024} KB.")
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError("", f"{filename} line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError("", f"{filename}{where}: invalid YAML: {problem}") from exc
    return validate_definition(data)


def _text(data: dict, field: str, path: str, *, required: bool, limit: int) -> str:
    value = data.get(field)
    if value is None:
        if required:
            raise DefinitionError(path, "is required.")
        return ""
    if not isinstance(value, str):
        raise DefinitionError(path, f"must be text, not {type(value).__name__}.")
    value = value.strip() if field not in {"guidance", "starter"} else value.strip("\n")
    if required and not value.strip():
        raise DefinitionError(path, "must not be empty.")
    if len(value) > limit:
        raise DefinitionError(path, f"is longer than {limit} characters.")
    return value


def validate_definition(data) -> TemplateDefinition:
    if not isinstance(data, dict):
        raise DefinitionError("", "a template definition must be a mapping with key, name and sections.")
    allowed = {"key", "name", "description", "sections"}
    for extra in sorted(set(data) - allowed):
        raise DefinitionError(str(extra), f"unknown field; allowed fields are {', '.join(sorted(allowed))}.")
    key = _text(data, "key", "key", required=True, limit=60)
    if not KEY_RE.match(key):
        raise DefinitionError("key", "use lowercase letters, digits and dashes (e.g. 'db-outage').")
    name = _text(data, "name", "name", required=True, limit=200)
    description = _text(data, "description", "description", required=False, limit=2000)
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise DefinitionError("sections", "must be a non-empty list of sections.")
    if len(sections) > MAX_SECTIONS:
        raise DefinitionError("sections", f"has {len(sections)} entries; at most {MAX_SECTIONS} are allowed.")
    specs: list[SectionSpec] = []
    seen: set[str] = set()
    section_fields = {"key", "title", "kind", "required", "guidance", "starter"}
    for index, section in enumerate(sections):
        path = f"sections[{index}]"
        if not isinstance(section, dict):
            raise DefinitionError(path, "must be a mapping with key, title and kind.")
        for extra in sorted(set(section) - section_fields):
            raise DefinitionError(f"{path}.{extra}", "unknown field.")
        skey = _text(section, "key", f"{path}.key", required=True, limit=60)
        if not KEY_RE.match(skey):
            raise DefinitionError(f"{path}.key", "use lowercase letters, digits and dashes.")
        if skey in seen:
            raise DefinitionError(f"{path}.key", f"duplicate section key {skey!r}.")
        seen.add(skey)
        kind = section.get("kind", "text")
        if kind not in KINDS:
            raise DefinitionError(f"{path}.kind", f"must be one of {', '.join(KINDS)}, not {kind!r}.")
        required = section.get("required", False)
        if not isinstance(required, bool):
            raise DefinitionError(f"{path}.required", "must be true or false.")
        specs.append(
            SectionSpec(
                key=skey,
                title=_text(section, "title", f"{path}.title", required=True, limit=200),
                kind=kind,
                required=required,
                guidance=_text(section, "guidance", f"{path}.guidance", required=False, limit=10_000),
                starter=_text(section, "starter", f"{path}.starter", required=False, limit=20_000),
            )
        )
    return TemplateDefinition(key=key, name=name, description=description, sections=tuple(specs))


def definition_to_yaml(definition: TemplateDefinition) -> str:
    data = {
        "key": definition.key,
        "name": definition.name,
        "description": definition.description,
        "sections": definition.sections_as_dicts(),
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def builtin_definitions() -> list[TemplateDefinition]:
    order = ["learning-review", "meeting-agenda", "postmortem", "systems-analysis", "incident-review"]
    found = {p.stem: p for p in BUILTIN_DIR.glob("*.yaml")}
    keys = [k for k in order if k in found] + sorted(set(found) - set(order))
    return [parse_definition_text(found[k].read_text(encoding="utf-8"), filename=found[k].name) for k in keys]
