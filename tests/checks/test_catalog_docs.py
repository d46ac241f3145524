"""docs/checks.md is generated from the rule catalog; it must not drift."""

from pathlib import Path

import pytest

from retrospector.checks import RULES, catalog_markdown

pytestmark = pytest.mark.no_database

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_the_checks_documentation_matches_the_catalog():
    assert DOCS.read_text(encoding="utf-8") == catalog_markdown(), (
        "docs/checks.md is stale: regenerate it with "
        "python -c 'from retrospector.checks import catalog_markdown; "
        'print(catalog_markdown(), end="")\' > docs/checks.md'
    )


def test_every_rule_is_documented_with_examples():
    text = DOCS.read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"`{rule.id}`" in text
        assert rule.bad and rule.good
