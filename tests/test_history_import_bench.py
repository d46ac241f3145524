"""`make bench`'s history part (bench/history_import.py) imports write-ups shaped like real ones: the generated files
are 2 to 20 KB, the same on every run, and the importer finds in them what it finds in real write-ups (a title, a
start, matched and extra sections, timeline events in their several shapes, action items with tickets)."""

import pytest

from bench import history_import
from retrospector.importers.history.files import iter_inputs
from retrospector.importers.history.reading import read_input
from retrospector.importers.history.understand import understand
from tests.importers.history.support import TEMPLATES

pytestmark = pytest.mark.no_database


def test_the_generated_write_ups_are_2_to_20_kb_the_same_every_run_and_read_like_real_ones(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    corpus = history_import.generate(first, 60)
    history_import.generate(second, 60)

    files = sorted(p for p in first.rglob("*") if p.is_file())
    assert len(files) == corpus["files"] == 60
    assert all(2_000 <= p.stat().st_size <= 20_000 for p in files)
    assert [p.read_bytes() for p in files] == [(second / p.relative_to(first)).read_bytes() for p in files]

    records = [understand(read_input(item), templates=TEMPLATES) for item in iter_inputs([first])]
    assert all(r.title and r.title.value for r in records)
    assert sum(1 for r in records if r.started_at) >= 50
    assert all(any(s.key for s in r.sections) and r.action_items for r in records)
    assert sum(1 for r in records if any(not s.key for s in r.sections)) >= 10  # extra sections, kept
    assert sum(1 for r in records if sum(e.at is not None for e in r.events) >= 4) >= 45
    refs = {ref.key for r in records for item in r.action_items for ref in item.refs}
    assert any("-" in key and key.split("-")[0].isupper() for key in refs)  # Jira keys
    assert any("#" in key or "/" in key for key in refs)  # GitHub issues
