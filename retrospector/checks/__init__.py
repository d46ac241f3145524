"""The blameless write-up checker: pure Python, no Django, no models.

    from retrospector.checks import run, Document, Config
    findings = run(Document.from_markdown(text), config=Config())

Input is a Markdown document (split on its headings) or a list of sections; output is a list
of Finding objects sorted by position. `RULES` is the catalog, `catalog_markdown()` its docs.
"""

from .catalog import RULES, Rule, catalog_markdown
from .config import Config, ConfigError, load_config
from .document import Document, Section, role_for
from .engine import run
from .findings import SEVERITIES, Finding

__all__ = [
    "RULES",
    "Rule",
    "catalog_markdown",
    "Config",
    "ConfigError",
    "load_config",
    "Document",
    "Section",
    "role_for",
    "run",
    "SEVERITIES",
    "Finding",
]
