"""`retrospector lint --people FILE`: the organization's people, one name a line, count as people, as in the app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrospector.checks.cli import main

WRITE_UP = """# Checkout outage

## Contributing factors

- Okonkwo caused the outage.
- Hermione should have pinned the version.
"""


@pytest.fixture
def lint(capsys):
    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def rules(out: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for finding in json.loads(out):
        found.setdefault(finding["rule"], set()).add(finding["line"])
    return found


def test_names_in_the_people_file_count_as_people(tmp_path, lint):
    doc = write(tmp_path / "review.md", WRITE_UP)
    _, before, _ = lint("--format", "json", str(doc))
    assert "blame" not in rules(before) and "counterfactual" not in rules(before)

    people = write(tmp_path / "people.txt", "# our people\nChidi Okonkwo\n\n@hermione\n")
    code, out, err = lint("--format", "json", "--people", str(people), str(doc))
    assert (code, err) == (1, "")
    assert rules(out)["blame"] == {5} and rules(out)["counterfactual"] == {6}


def test_a_people_file_that_cannot_be_read_is_a_usage_error_naming_it(tmp_path, lint):
    doc = write(tmp_path / "review.md", WRITE_UP)
    code, out, err = lint("--people", str(tmp_path / "nobody.txt"), str(doc))
    assert code == 2 and out == "" and "--people" in err and "nobody.txt" in err
    latin = write(tmp_path / "latin1.txt", "Zoë\n", encoding="latin-1")
    code, out, err = lint("--people", str(latin), str(doc))
    assert code == 2 and "not UTF-8" in err


def test_the_help_describes_the_people_file(lint):
    code, out, _ = lint("--help")
    assert code == 0 and "--people FILE" in out and "one per line" in out
