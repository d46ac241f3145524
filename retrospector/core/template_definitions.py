"""Template definitions (YAML or JSON): the one reader, validated with pydantic, errors naming the field.

Django-free, so the web app, the API, the migrations that load the built-ins and `retrospector lint`
all read definitions here. A refused definition raises DefinitionError whose `field` points at the
offending value (`sections[2].kind`) and whose message says what to change.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from .builtin_templates import builtin_template_files
from .text import single_line
from .untrusted import LONE_SURROGATE, LONE_SURROGATE_MESSAGE, lone_surrogate_path
from .yaml_errors import yaml_problem

Kind = Literal["text", "list", "table", "timeline"]
KINDS = get_args(Kind)
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,59}$"
MAX_DEFINITION_BYTES = 256 * 1024
MAX_SECTIONS = 60


class DefinitionError(ValueError):
    """A template definition is invalid; `field` points at the offending value (e.g. sections[2].kind)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _single_line(value):
    return single_line(value) if isinstance(value, str) else value


def _strip_or_empty(value):
    return "" if value is None else _strip(value)


def _strip_blank_lines(value):
    # Guidance and starters are Markdown: leading indentation matters, surrounding blank lines do not.
    if value is None:
        return ""
    return value.strip("\n") if isinstance(value, str) else value


def _required_text(limit: int, pattern: str | None = None, *, clean=_strip):
    return Annotated[
        str, BeforeValidator(clean), StringConstraints(strict=True, min_length=1, max_length=limit, pattern=pattern)
    ]


def _optional_text(limit: int, *, markdown: bool = False):
    return Annotated[
        str,
        BeforeValidator(_strip_blank_lines if markdown else _strip_or_empty),
        StringConstraints(strict=True, max_length=limit),
    ]


Key = _required_text(60, KEY_PATTERN)
Name = _required_text(200, clean=_single_line)  # without bidirectional-text controls (see core.text)
Description = _optional_text(2000)
Title = _required_text(200, clean=_single_line)
Guidance = _optional_text(10_000, markdown=True)
Starter = _optional_text(20_000, markdown=True)


class SectionSpec(BaseModel):
    """One section of a template. Fields are declared in the order they are checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    kind: Kind = "text"
    required: StrictBool = False
    title: Title
    guidance: Guidance = ""
    starter: Starter = ""

    @field_validator("key")
    @classmethod
    def _key_is_unique(cls, key: str, info: ValidationInfo) -> str:
        # validate_definition passes the keys of the sections before this one.
        seen = info.context.get("section_keys") if info.context else None
        if seen is not None:
            if key in seen:
                raise ValueError(f"duplicate section key {key!r}.")
            seen.add(key)
        return key

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "required": self.required,
            "guidance": self.guidance,
            "starter": self.starter,
        }


class TemplateDefinition(BaseModel):
    """A whole template: build one with validate_definition or parse_definition_text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    name: Name
    description: Description = ""
    sections: list[SectionSpec] = Field(strict=True, min_length=1, max_length=MAX_SECTIONS)

    def sections_as_dicts(self) -> list[dict]:
        return [s.as_dict() for s in self.sections]


_TEMPLATE_FIELDS = tuple(TemplateDefinition.model_fields)
_SECTION_FIELDS = tuple(SectionSpec.model_fields)
_UNKNOWN_FIELD = ("extra_forbidden", "invalid_key")
_NOT_A_MAPPING = ("model_type", "model_attributes_type")


def _path(loc: tuple) -> str:
    """('sections', 2, 'kind') -> 'sections[2].kind'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _order(error: dict) -> tuple:
    """Report the problem a reader meets first: unknown fields (alphabetically), then the fields in order."""
    loc, ranks = error["loc"], []
    for depth, part in enumerate(loc):
        fields = _TEMPLATE_FIELDS if depth == 0 else _SECTION_FIELDS
        if error["type"] in _UNKNOWN_FIELD and depth == len(loc) - 1:
            ranks.append((0, 0, str(part)))
        elif isinstance(part, int):
            ranks.append((1, part, ""))
        else:
            ranks.append((1, fields.index(part), "") if part in fields else (2, 0, str(part)))
    return tuple(ranks)


def _definition_error(error: dict) -> DefinitionError:
    """One pydantic error as a DefinitionError, worded as Retrospector has always worded it."""
    loc, kind, value = error["loc"], error["type"], error.get("input")
    in_section = len(loc) >= 2 and loc[0] == "sections"
    if kind in _UNKNOWN_FIELD:
        if in_section:
            return DefinitionError(f"{_path(loc[:-1])}.{loc[-1]}", "unknown field.")
        allowed = ", ".join(sorted(_TEMPLATE_FIELDS))
        return DefinitionError(str(loc[0]), f"unknown field; allowed fields are {allowed}.")
    if kind in _NOT_A_MAPPING:
        if in_section:
            return DefinitionError(_path(loc), "must be a mapping with key, title and kind.")
        return DefinitionError("", "a template definition must be a mapping with key, name and sections.")
    if loc == ("sections",):
        if kind == "too_long":
            count = error["ctx"]["actual_length"]
            return DefinitionError("sections", f"has {count} entries; at most {MAX_SECTIONS} are allowed.")
        return DefinitionError("sections", "must be a non-empty list of sections.")
    field = _path(loc)
    if kind == "missing" or (kind == "string_type" and value is None):
        return DefinitionError(field, "is required.")
    if kind == "string_type":
        return DefinitionError(field, f"must be text, not {type(value).__name__}.")
    if kind in ("string_too_short", "too_short"):
        return DefinitionError(field, "must not be empty.")
    if kind in ("string_too_long", "too_long"):
        return DefinitionError(field, f"is longer than {error['ctx']['max_length']} characters.")
    if kind == "string_pattern_mismatch":
        example = "" if in_section else " (e.g. 'db-outage')"
        return DefinitionError(field, f"use lowercase letters, digits and dashes{example}.")
    if kind == "literal_error":
        return DefinitionError(field, f"must be one of {', '.join(KINDS)}, not {value!r}.")
    if kind == "bool_type":
        return DefinitionError(field, "must be true or false.")
    if kind == "value_error":  # our own validators word their message
        return DefinitionError(field, str(error["ctx"]["error"]))
    return DefinitionError(field, error["msg"])


def _first_error(errors: list[dict], prefix: tuple = ()) -> DefinitionError:
    """The DefinitionError for the first of pydantic's errors; `prefix` places a section's errors in the template."""
    located = [{**error, "loc": prefix + tuple(error["loc"])} for error in errors]
    return _definition_error(min(located, key=_order))


def validate_definition(data: Any) -> TemplateDefinition:
    """A TemplateDefinition from parsed YAML/JSON (or form data), or DefinitionError naming the first problem."""
    try:
        return TemplateDefinition.model_validate(data, context={"section_keys": set()})
    except ValidationError as exc:
        raise _first_error(exc.errors()) from None


def _yaml_error(exc: yaml.YAMLError, source: str) -> DefinitionError:
    problem = yaml_problem(exc)
    head = " ".join(part for part in (source, problem.where()) if part)
    return DefinitionError("", f"{head + ': ' if head else ''}invalid YAML: {problem.problem}")


def parse_definition_text(text: str, *, filename: str = "definition") -> TemplateDefinition:
    """Parse YAML (JSON is valid YAML, but we try JSON first for exact error positions)."""
    if len(text.encode("utf-8")) > MAX_DEFINITION_BYTES:
        raise DefinitionError("", f"{filename} is larger than {MAX_DEFINITION_BYTES // 1024} KB.")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError("", f"{filename} line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from exc
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, filename) from exc
    path = lone_surrogate_path(data)  # JSON and YAML escapes can write half a character ("\\ud800"): not text
    if path is not None:
        field = LONE_SURROGATE.sub("\ufffd", ".".join(str(part) for part in path))
        raise DefinitionError(field, f"{LONE_SURROGATE_MESSAGE}.")
    return validate_definition(data)


def definition_to_yaml(definition: TemplateDefinition) -> str:
    data = {
        "key": definition.key,
        "name": definition.name,
        "description": definition.description,
        "sections": definition.sections_as_dicts(),
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def builtin_definitions() -> list[TemplateDefinition]:
    """The built-in templates, in the order the template list shows them."""
    return [
        parse_definition_text(path.read_text(encoding="utf-8"), filename=path.name)
        for path in builtin_template_files().values()
    ]


# --- What `retrospector lint --template` checks against ----------------------------------------


def sections_for_checks(definition: TemplateDefinition) -> list[dict]:
    """The part of a template the write-up checks use."""
    return [{"key": s.key, "title": s.title, "required": s.required, "kind": s.kind} for s in definition.sections]


def sections_for_checks_from_text(text: str) -> list[dict]:
    """The sections of a template file given to `retrospector lint --template FILE`.

    Looser than validate_definition on purpose: lint has always taken any YAML mapping whose
    `sections` is a list of mappings that each have a key (title, kind and required optional,
    other fields ignored), so the files teams keep next to their write-ups go on working. What it
    refuses, it reports in the editor's words (`sections[1].key: is required.`).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, "") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        raise _editor_error(TemplateDefinition, data, ((), ("sections",)))
    for index, section in enumerate(data["sections"]):
        if not isinstance(section, dict) or not section.get("key"):
            raise _editor_error(SectionSpec, section, ((), ("key",)), prefix=("sections", index))
    return [
        {
            "key": s["key"],
            "title": s.get("title", s["key"]),
            "required": bool(s.get("required", False)),
            "kind": s.get("kind", "text"),
        }
        for s in data["sections"]
    ]


def _editor_error(model: type[BaseModel], data: Any, locs: tuple, prefix: tuple = ()) -> DefinitionError:
    """What validate_definition says about the value at one of `locs` (which the caller knows is wrong)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return _first_error([error for error in exc.errors() if error["loc"] in locs], prefix)
    raise AssertionError(f"{model.__name__} accepted {data!r}")
