"""`retrospector lint`: exit codes, output formats, directories and unreadable paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from retrospector.checks import RULES
from retrospector.checks.cli import main

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]

CLEAN = """# Cache outage

## Summary

For 12 minutes about 300 users saw stale prices.

## Impact

About 300 users (2% of sessions) saw prices up to 12 minutes old.

## Timeline

| Time (UTC) | Event | Source |
|---|---|---|
| 14:00 | Cache invalidation job stopped | [log](https://logs.example/1) |
| 14:12 | Job restarted, prices fresh again | [log](https://logs.example/2) |

## Contributing factors

- The invalidation job had no alert on its own failures.
"""

BLAMEFUL = """# Checkout outage

## Contributing factors

- Human error during the deploy.
- The root cause was a bad config.
"""


@pytest.fixture
def lint(capsys):
    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_it_exits_0_for_a_clean_write_up(tmp_path, lint):
    path = write(tmp_path / "clean.md", CLEAN)
    code, out, err = lint(str(path))
    assert (code, out, err) == (0, "", "")


def test_it_exits_1_when_a_finding_is_an_error_and_prints_file_line_col_severity_rule_message(tmp_path, lint):
    path = write(tmp_path / "bad.md", BLAMEFUL)
    code, out, _ = lint(str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f'{path}:5:3: error blame "Human error" makes a person the explanation.')
    assert lines[1].startswith(f"{path}:6:7: warning root-cause ")


def test_warnings_alone_exit_0(tmp_path, lint):
    path = write(tmp_path / "warn.md", "## Analysis\n\nThe root cause was a full disk.\n")
    code, out, _ = lint(str(path))
    assert code == 0 and "warning root-cause" in out


def test_the_file_name_is_printed_as_given(tmp_path, lint, monkeypatch):
    write(tmp_path / "docs" / "bad.md", BLAMEFUL)
    monkeypatch.chdir(tmp_path)
    _, out, _ = lint("docs/bad.md")
    assert out.startswith("docs/bad.md:5:3: ")


def test_json_output_lists_every_finding_with_its_fields(tmp_path, lint):
    path = write(tmp_path / "bad.md", BLAMEFUL)
    code, out, _ = lint("--format", "json", str(path))
    data = json.loads(out)
    assert code == 1
    assert [(d["rule"], d["line"], d["column"]) for d in data] == [("blame", 5, 3), ("root-cause", 6, 7)]
    first = data[0]
    assert first["file"] == str(path) and first["severity"] == "error" and first["message"]
    assert first["suggestion"] and first["end_line"] == 5 and first["end_column"] == 14
    assert first["section"] == "contributing-factors"


def test_json_output_is_an_empty_array_when_clean(tmp_path, lint):
    path = write(tmp_path / "clean.md", CLEAN)
    assert lint("--format", "json", str(path))[:2] == (0, "[]\n")


def test_sarif_output_is_a_sarif_2_1_0_log(tmp_path, lint):
    path = write(tmp_path / "sub dir" / "bad file.md", BLAMEFUL)
    code, out, _ = lint("--format", "sarif", str(path))
    log = json.loads(out)
    assert code == 1
    assert log["version"] == "2.1.0" and "sarif" in log["$schema"]
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "retrospector"
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    assert driver["rules"][0]["defaultConfiguration"]["level"] == "error"
    assert run["columnKind"] == "unicodeCodePoints"
    first = run["results"][0]
    assert first["ruleId"] == "blame" and first["level"] == "error"
    assert driver["rules"][first["ruleIndex"]]["id"] == "blame"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("sub%20dir/bad%20file.md")
    assert location["region"] == {"startLine": 5, "startColumn": 3, "endLine": 5, "endColumn": 14}
    assert run["results"][1]["level"] == "warning"


def test_sarif_levels_map_info_to_note(tmp_path, lint):
    path = write(tmp_path / "t.md", "## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n| 14:00 | a |\n| 14:01 | b |\n")
    log = json.loads(lint("--format", "sarif", str(path))[1])
    assert {r["ruleId"]: r["level"] for r in log["runs"][0]["results"]} == {"timeline-source": "note"}


def test_directories_are_searched_recursively_for_markdown(tmp_path, lint):
    write(tmp_path / "a" / "one.md", BLAMEFUL)
    write(tmp_path / "a" / "b" / "two.md", BLAMEFUL)
    write(tmp_path / "a" / "notes.txt", BLAMEFUL)
    write(tmp_path / "a" / ".hidden" / "three.md", BLAMEFUL)
    code, out, _ = lint("--format", "json", str(tmp_path / "a"))
    files = sorted({d["file"] for d in json.loads(out)})
    assert code == 1
    assert files == [str(tmp_path / "a" / "b" / "two.md"), str(tmp_path / "a" / "one.md")]


def test_a_file_named_explicitly_is_linted_whatever_its_extension(tmp_path, lint):
    path = write(tmp_path / "PM2022-009 - no extension", BLAMEFUL)
    code, out, _ = lint(str(path))
    assert code == 1 and "blame" in out


def test_a_missing_path_is_a_usage_error_naming_the_path(tmp_path, lint):
    path = write(tmp_path / "bad.md", BLAMEFUL)
    code, out, err = lint(str(path), str(tmp_path / "nope.md"))
    assert code == 2
    assert f"{tmp_path / 'nope.md'}: no such file or directory" in err
    assert "blame" in out, "the readable file is still checked"


def test_a_file_that_is_not_utf8_is_reported_with_its_path(tmp_path, lint):
    path = tmp_path / "latin1.md"
    path.write_bytes("## Analysis\n\nCaf\xe9 human error\n".encode("latin-1"))
    code, _, err = lint(str(path))
    assert code == 2 and str(path) in err and "UTF-8" in err


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can read anything")
def test_an_unreadable_file_is_reported_with_its_path(tmp_path, lint):
    path = write(tmp_path / "secret.md", CLEAN)
    path.chmod(0)
    try:
        code, _, err = lint(str(path))
    finally:
        path.chmod(0o644)
    assert code == 2 and str(path) in err


def test_a_read_error_is_reported_with_its_path_even_for_root(tmp_path, lint, monkeypatch):
    import retrospector.checks.cli as cli

    path = write(tmp_path / "locked.md", CLEAN)

    def refuse(name, *args, **kwargs):
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(cli, "open", refuse, raising=False)
    code, _, err = lint(str(path))
    assert code == 2 and f"{path}: cannot read: Permission denied" in err


def test_an_empty_directory_is_fine(tmp_path, lint):
    code, out, err = lint(str(tmp_path))
    assert (code, out, err) == (0, "", "")


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "the following arguments are required"),
        (["--format", "xml", "x.md"], "invalid choice"),
        (["--template", "no-such-template", "x.md"], "unknown template 'no-such-template'"),
        (["--bogus", "x.md"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2(lint, args, message):
    code, out, err = lint(*args)
    assert code == 2 and out == "" and message in err


def test_a_bad_config_file_exits_2_naming_the_problem(tmp_path, lint):
    config = write(tmp_path / "team.yaml", "disable: [no-such-rule]\n")
    code, _, err = lint("--config", str(config), str(write(tmp_path / "x.md", CLEAN)))
    assert code == 2 and "no-such-rule" in err and str(config) in err


def test_a_config_file_tunes_the_rules(tmp_path, lint):
    config = write(tmp_path / "team.yaml", "disable: [root-cause]\nseverity: {blame: warning}\n")
    path = write(tmp_path / "bad.md", BLAMEFUL)
    code, out, _ = lint("--config", str(config), str(path))
    assert code == 0
    assert out.splitlines() == [line for line in out.splitlines() if "warning blame" in line] and out


def test_template_required_sections_are_checked(tmp_path, lint):
    path = write(tmp_path / "clean.md", CLEAN)
    code, out, _ = lint("--template", "postmortem", "--format", "json", str(path))
    missing = {d["section"] for d in json.loads(out) if d["rule"] == "section-empty"}
    assert code == 1
    assert missing == {"resolution", "went-well", "went-poorly", "action-items"}


def test_a_template_file_path_is_accepted(tmp_path, lint):
    template = write(
        tmp_path / "mine.yaml",
        yaml.safe_dump(
            {
                "key": "mine",
                "sections": [
                    {"key": "summary", "title": "Summary", "required": True},
                    {"key": "risks", "title": "Risks", "required": True},
                ],
            }
        ),
    )
    code, out, _ = lint("--template", str(template), str(write(tmp_path / "clean.md", CLEAN)))
    assert code == 1 and 'required section "Risks" is missing' in out


def test_a_leading_lint_word_is_accepted(tmp_path, lint):
    path = write(tmp_path / "clean.md", CLEAN)
    assert lint("lint", str(path))[0] == 0


def test_help_exits_0(lint):
    code, out, _ = lint("--help")
    assert code == 0 and "--template" in out


def test_the_pre_commit_hook_is_declared():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook == {
        **hook,
        "id": "retrospector-lint",
        "entry": "retrospector lint",
        "language": "python",
        "types": ["markdown"],
    }


def test_a_template_file_with_a_section_without_a_key_is_refused_in_the_editors_words(tmp_path, lint):
    from retrospector.core.template_definitions import DefinitionError, parse_definition_text

    text = "key: mine\nname: Mine\nsections:\n  - key: summary\n    title: Summary\n  - title: Risks\n"
    template = write(tmp_path / "mine.yaml", text)
    code, out, err = lint("--template", str(template), str(write(tmp_path / "clean.md", CLEAN)))
    with pytest.raises(DefinitionError) as editor:
        parse_definition_text(text)
    assert str(editor.value) == "sections[1].key: is required."
    assert (code, out) == (2, "") and f"template {template}: sections[1].key: is required." in err


def test_lint_takes_the_loose_template_files_it_always_took(tmp_path, lint):
    # No name, no titles, a kind and a field the editor refuses: lint needs only keys and required flags.
    template = write(
        tmp_path / "loose.yaml",
        yaml.safe_dump(
            {
                "sections": [
                    {"key": "summary", "required": True, "kind": "essay", "owner": "sre"},
                    {"key": "risks", "required": True},
                ]
            }
        ),
    )
    code, out, _ = lint("--template", str(template), str(write(tmp_path / "clean.md", CLEAN)))
    assert code == 1 and 'required section "risks" is missing' in out


def test_a_template_file_that_is_not_yaml_is_refused_naming_the_line(tmp_path, lint):
    template = write(tmp_path / "broken.yaml", "key: mine\nsections: [\n")
    code, _, err = lint("--template", str(template), str(write(tmp_path / "clean.md", CLEAN)))
    assert code == 2
    assert (
        err == f"retrospector lint: template {template}: line 3, column 1: invalid YAML: "
        "expected the node content, but found '<stream end>'\n"
    )


def test_a_builtin_template_gives_lint_the_sections_the_app_uses():
    from retrospector.checks.cli import load_template_sections
    from retrospector.core.template_definitions import builtin_definitions

    for definition in builtin_definitions():
        assert load_template_sections(definition.key) == [
            {"key": s["key"], "title": s["title"], "required": s["required"], "kind": s["kind"]}
            for s in definition.sections_as_dicts()
        ]


def test_lint_and_the_readers_it_shares_with_the_app_load_no_django():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from retrospector.checks.cli import main, load_template_sections\n"
        "import retrospector.core.template_definitions, retrospector.writeups.exchange\n"
        "load_template_sections('postmortem')\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_many_files_checked_side_by_side_give_the_same_report_in_the_same_order(tmp_path, lint):
    real = sorted((ROOT / "tests" / "fixtures" / "checks").rglob("*.md"))
    for i in range(80):
        source = real[i % len(real)]
        write(tmp_path / f"{i:03d}-{source.name}", source.read_text(encoding="utf-8"))
    (tmp_path / "040-latin1.md").write_bytes("## Analysis\n\nCaf\xe9 human error\n".encode("latin-1"))
    alone = lint("--jobs", "1", "--format", "json", str(tmp_path))
    side_by_side = lint("--jobs", "2", "--format", "json", str(tmp_path))
    assert side_by_side == alone
    code, out, err = alone
    assert code == 2 and "040-latin1.md: not UTF-8 text" in err
    files = [finding["file"] for finding in json.loads(out)]
    assert len(set(files)) > 40 and files == sorted(files)


@pytest.mark.parametrize("jobs", ["0", "65", "two"])
def test_a_bad_jobs_count_is_a_usage_error(lint, jobs):
    code, out, err = lint("--jobs", jobs, "x.md")
    assert code == 2 and out == "" and "--jobs" in err
