"""What a check reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem at one place. Lines and columns are 1-based; end_column points just past the span.

    For a Markdown document, positions are relative to the whole document; for a document built
    from sections, they are relative to the section body and `section_key` says which one.
    """

    rule: str
    severity: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    suggestion: str | None = None
    section_key: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def sort_key(self) -> tuple:
        return (self.line, self.column, self.rule, self.end_line, self.end_column)
