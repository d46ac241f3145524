"""Random Markdown never makes deciding what a file becomes raise (anything but a refusal naming the field), and what
is planned always fits the tables: one-line titles within their lengths, aware UTC event times, unique section keys.
No database: the organization's levels and the templates are unsaved instances."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from retrospector.history.services import Source, plan_record
from retrospector.importers.history.markdown import read_markdown
from retrospector.importers.history.understand import understand
from retrospector.incidents.models import SeverityLevel
from retrospector.writeups.models import TemplateVersion
from tests.importers.history.support import ROOT, TEMPLATES
from tests.importers.history.test_history_property import FAST, _structured

pytestmark = pytest.mark.no_database

LEVELS = [SeverityLevel(key=f"SEV{n}", name=f"Severity {n}", rank=n) for n in (1, 2, 3, 4)]
VERSIONS = {}
for path in sorted((ROOT / "retrospector" / "core" / "builtin_templates").glob("*.yaml")):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    VERSIONS[data["key"]] = TemplateVersion(number=1, name=data["name"], sections=data["sections"])
NOW = datetime(2026, 12, 7, tzinfo=UTC)


@FAST
@given(
    text=_structured(),
    tz=st.sampled_from([None, "UTC", "Europe/Paris"]),
    mapping=st.sampled_from([None, {"template": "postmortem"}, {"fields": {"severity": "P0", "services": "a, b"}}]),
)
def test_random_markdown_never_breaks_the_plan(text, tz, mapping):
    doc = read_markdown(text.encode("utf-8", "surrogatepass"), path="PM2021-001 - x.md")
    record = understand(doc, templates=TEMPLATES, default_tz=tz, mapping=mapping)
    source = Source(path="x.md", key="x.md", format="markdown", checksum=doc.checksum, record=record)
    try:
        plan = plan_record(source, levels=LEVELS, versions=VERSIONS, now=NOW)
    except ValidationError as refused:
        assert refused.message_dict
        return
    assert plan.title and "\n" not in plan.title and len(plan.title) <= 300
    assert plan.started_at.tzinfo is not None
    assert plan.resolved_at is None or plan.resolved_at >= plan.started_at
    keys = [s.key for s in plan.sections]
    assert len(keys) == len(set(keys)) and all(0 < len(k) <= 60 for k in keys)
    assert all(len(s.title) <= 200 and "\n" not in s.title for s in plan.sections)
    assert all(row[0].tzinfo is UTC for row in plan.events)
    assert all(len(r["title"]) <= 300 for r in plan.recommendations)
    assert plan.severity in LEVELS
