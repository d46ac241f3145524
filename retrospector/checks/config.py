"""Per-team and per-file tuning: which rules run, how severe they are, and extra word lists.

A configuration is a mapping (from a YAML or JSON file, or built in code):

    disable: [timeline-source]            # rule ids to switch off
    enable: [summary-unsupported]         # switch a rule back on after a broader config disabled it
    severity: {recommendation-vague: error, root-cause: info}   # "off" disables
    words:
      blame: ["cowboy deploy"]            # extra phrases that put blame on people
      vague: ["circle back"]              # extra phrases that make a recommendation vague
      people: ["Priyanka", "Jo"]          # names of people (the checker knows common given names)
      roles: ["on-call lead"]             # extra words for roles or groups of people
      systems: ["Sam"]                    # capitalized words that are NOT people (e.g. a bot called Sam)
      allow: ["error budget"]             # phrases never reported

In a file, `<!-- retrospector: disable=rule-id,other-id -->` switches rules off for the whole
file and `<!-- retrospector: disable-next-line=rule-id -->` for the next line only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from retrospector.core.yaml_errors import yaml_problem

from .catalog import RULES
from .findings import SEVERITIES

WORD_LISTS = ("blame", "vague", "people", "roles", "systems", "allow")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the field."""


@dataclass
class Config:
    disable: set[str] = field(default_factory=set)
    severity: dict[str, str] = field(default_factory=dict)
    words: dict[str, list[str]] = field(default_factory=dict)
    enable: set[str] = field(default_factory=set)

    def __post_init__(self):
        self.disable = set(self.disable or ())
        self.enable = set(self.enable or ())
        self.severity = dict(self.severity or {})
        self.words = {k: list(v) for k, v in (self.words or {}).items()}
        self._validate()

    def _validate(self) -> None:
        for name, ids in (("disable", self.disable), ("enable", self.enable)):
            for rule in ids:
                if rule not in RULES:
                    raise ConfigError(f"{name}: unknown rule {rule!r} (known: {', '.join(RULES)})")
        for rule, level in self.severity.items():
            if rule not in RULES:
                raise ConfigError(f"severity: unknown rule {rule!r}")
            if level not in SEVERITIES and level not in ("off", "none"):
                raise ConfigError(f"severity.{rule}: {level!r} is not one of error, warning, info, off")
        for name, values in self.words.items():
            if name not in WORD_LISTS:
                raise ConfigError(f"words: unknown list {name!r} (known: {', '.join(WORD_LISTS)})")
            if not all(isinstance(v, str) and v.strip() for v in values):
                raise ConfigError(f"words.{name}: every entry must be a non-empty string")

    @classmethod
    def from_dict(cls, data: dict | None) -> Config:
        data = data or {}
        if not isinstance(data, dict):
            raise ConfigError("the configuration must be a mapping")
        unknown = set(data) - {"disable", "enable", "severity", "words"}
        if unknown:
            raise ConfigError(f"unknown setting {sorted(unknown)[0]!r} (known: disable, enable, severity, words)")
        disable = data.get("disable") or []
        enable = data.get("enable") or []
        severity = data.get("severity") or {}
        words = data.get("words") or {}
        if isinstance(disable, str):
            disable = [disable]
        if isinstance(enable, str):
            enable = [enable]
        if not isinstance(disable, list) or not isinstance(enable, list):
            raise ConfigError("disable and enable must be lists of rule ids")
        if not isinstance(severity, dict):
            raise ConfigError("severity must map rule ids to error, warning, info or off")
        if not isinstance(words, dict) or not all(isinstance(v, list) for v in words.values()):
            raise ConfigError("words must map list names to lists of strings")
        return cls(disable=set(disable), enable=set(enable), severity=dict(severity), words=dict(words))

    def merged(self, other: Config | dict | None) -> Config:
        """This configuration with `other` (e.g. a file's own settings) applied on top."""
        if other is None:
            return self
        if isinstance(other, dict):
            other = Config.from_dict(other)
        words = {k: list(v) for k, v in self.words.items()}
        for k, v in other.words.items():
            words.setdefault(k, []).extend(v)
        disable = (self.disable - other.enable) | other.disable
        enable = (self.enable - other.disable) | other.enable
        severity = {**self.severity, **other.severity}
        return Config(disable=disable, enable=enable, severity=severity, words=words)

    def is_enabled(self, rule: str) -> bool:
        if self.severity.get(rule) in ("off", "none"):
            return False
        if rule in self.disable:
            return False
        return rule in self.enable or RULES[rule].enabled_by_default

    def severity_for(self, rule: str, default: str) -> str:
        level = self.severity.get(rule)
        return level if level in SEVERITIES else default

    def word_list(self, name: str) -> tuple[str, ...]:
        return tuple(self.words.get(name, ()))


def load_config(source: str | Path | dict | None) -> Config:
    """A Config from a YAML/JSON file path, a mapping, or None (the defaults)."""
    if source is None:
        return Config()
    if isinstance(source, dict):
        return Config.from_dict(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:
        problem = yaml_problem(exc)  # JSON's own message already names the line and column
        where = f"{problem.where()}: " if problem.line else ""
        raise ConfigError(f"{path}: not valid YAML or JSON: {where}{problem.problem}") from exc
    try:
        return Config.from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


_DIRECTIVE_PART = re.compile(
    r"(disable-next-line|disable|enable)\s*[=:]\s*([A-Za-z0-9_,\s-]+?)(?=\s+(?:disable|enable)|\s*$|;)"
)


def parse_directive(text: str) -> list[tuple[str, list[str]]]:
    """'disable=blame,root-cause' -> [('disable', ['blame', 'root-cause'])]."""
    result = []
    for match in _DIRECTIVE_PART.finditer(text.strip()):
        ids = [part.strip() for part in re.split(r"[,\s]+", match.group(2)) if part.strip()]
        result.append((match.group(1), ids))
    return result


# --- The common settings as a form shows them -------------------------------------------------------

OFF = "off"
FORM_WORD_LISTS = ("people", "roles", "allow")  # the word lists a settings form edits; the others stay in the YAML


def rule_levels(data: dict | None) -> dict[str, str]:
    """What each rule does under the configuration `data` over the defaults: its severity, or "off"."""
    config = Config.from_dict(data)
    return {
        rule_id: config.severity_for(rule_id, rule.severity) if config.is_enabled(rule_id) else OFF
        for rule_id, rule in RULES.items()
    }


def with_rule_levels(data: dict | None, *, levels: dict[str, str], words: dict[str, list[str]]) -> dict:
    """`data` rewritten so that each rule in `levels` runs at that severity (or is "off"), and with the word lists in
    `words` replaced; its other settings (the other word lists) are kept. Only what differs from the defaults is
    written, so a rule left at its default follows the defaults when they change."""
    data = dict(data or {})
    current = Config.from_dict(data)
    wanted = rule_levels(data)
    for rule_id, level in levels.items():
        if rule_id not in RULES:
            raise ConfigError(f"unknown rule {rule_id!r}")
        if level != OFF and level not in SEVERITIES:
            raise ConfigError(f"{rule_id}: {level!r} is not one of error, warning, info, off")
        wanted[rule_id] = level
    disable, enable, severity = [], [], {}
    for rule_id, rule in RULES.items():
        level = wanted[rule_id]
        if level == OFF:
            if rule.enabled_by_default:
                disable.append(rule_id)
            continue
        if not rule.enabled_by_default:
            enable.append(rule_id)
        if level != rule.severity:
            severity[rule_id] = level
    all_words = {name: list(values) for name, values in current.words.items()}
    for name, values in words.items():
        if name not in WORD_LISTS:
            raise ConfigError(f"words: unknown list {name!r} (known: {', '.join(WORD_LISTS)})")
        all_words[name] = [v.strip() for v in values if v.strip()]
    result: dict = {}
    for key, value in (
        ("disable", disable),
        ("enable", enable),
        ("severity", severity),
        ("words", {name: values for name, values in all_words.items() if values}),
    ):
        if value:
            result[key] = value
    Config.from_dict(result)  # validated like any configuration
    return result
