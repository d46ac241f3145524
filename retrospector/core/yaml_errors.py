"""Where a YAML document is broken, as a line and column a person can go to.

Django-free and free of any import of PyYAML itself, so the checks and the CLI can use it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class YamlProblem:
    """`line` and `column` are 1-based within the YAML text, or None when PyYAML gave no position.

    Text embedded in something larger (a Markdown front matter) adds its own offset to `line`.
    """

    line: int | None
    column: int | None
    problem: str

    def where(self, *, line_offset: int = 0) -> str:
        """'line 3, column 7', or '' without a position."""
        if self.line is None:
            return ""
        return f"line {self.line + line_offset}, column {self.column}"


def yaml_problem(exc: Exception) -> YamlProblem:
    """The position and the short description of a `yaml.YAMLError` (the full text when it has none)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return YamlProblem(None, None, problem)
    return YamlProblem(mark.line + 1, mark.column + 1, problem)
