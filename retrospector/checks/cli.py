"""`retrospector lint`: check Markdown write-ups without a database.

    retrospector lint [--format text|json|sarif] [--template KEY] [--config FILE] [--people FILE] [--jobs N] PATH...

PATHs are files or directories (searched recursively for *.md). Exit status: 0 when no finding
is an error, 1 when at least one is, 2 on a usage error or a file that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from urllib.parse import quote

from retrospector.core.builtin_templates import builtin_template_files

from .catalog import RULES
from .config import Config, ConfigError, load_config
from .document import Document
from .engine import run
from .findings import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit; we return 2 instead
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="retrospector lint",
        description="Check incident write-ups in Markdown for blame, hindsight, vague recommendations, "
        "impact without numbers, timeline problems and empty required sections.",
        epilog="Exit status: 0 no errors, 1 errors found, 2 usage error or unreadable file. "
        "Switch a rule off in a file with <!-- retrospector: disable=RULE-ID -->.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="Markdown files or directories (searched for *.md)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="output format")
    parser.add_argument(
        "--template",
        metavar="KEY",
        help="template whose required sections must be filled: a built-in key "
        f"({', '.join(sorted(builtin_template_files()))}) or a YAML file",
    )
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON file with disable, severity and words")
    parser.add_argument(
        "--people",
        metavar="FILE",
        help="names of your organization's people, one per line (a full name, a first name, a @handle or an e-mail "
        "address; blank lines and lines starting with # are skipped): each counts as a person, as in the web app",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=0,
        metavar="N",
        help="processes that check files side by side (default: one per CPU, up to 8; only for 64 files or more)",
    )
    return parser


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= jobs <= 64:
        raise argparse.ArgumentTypeError(f"between 1 and 64, not {jobs}")
    return jobs


def load_people(path: str) -> list[str]:
    """The names in a --people file: one a line, blank lines and # comments skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"--people {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise UsageError(f"--people {path}: cannot read: {exc.strerror or exc}") from exc
    names = (line.strip() for line in text.splitlines())
    return [name for name in names if name and not name.startswith("#")]


def load_template_sections(key: str) -> list[dict]:
    """The section list of a built-in template (by key) or of a template YAML file."""
    # The reader brings pydantic, which a lint run without --template need not load.
    from retrospector.core.template_definitions import (
        DefinitionError,
        parse_definition_text,
        sections_for_checks,
        sections_for_checks_from_text,
    )

    candidate = Path(key)
    builtins = builtin_template_files()
    is_file = candidate.suffix in (".yaml", ".yml", ".json") and candidate.is_file()
    if not is_file and key not in builtins:
        raise UsageError(f"unknown template {key!r} (built-in: {', '.join(sorted(builtins))})")
    path = candidate if is_file else builtins[key]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read template {path}: {exc}") from exc
    try:
        if is_file:
            return sections_for_checks_from_text(text)
        return sections_for_checks(parse_definition_text(text, filename=path.name))
    except DefinitionError as exc:
        raise UsageError(f"template {path}: {exc}") from exc


def _collect(paths: list[str]) -> tuple[list[str], list[str]]:
    """Files to lint (directories expanded, sorted) and problems with the given paths."""
    files, problems = [], []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = []
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.join(root, n) for n in names if n.lower().endswith((".md", ".markdown"))]
            files += sorted(found)
        elif path.exists():
            files.append(given)
        else:
            problems.append(f"{given}: no such file or directory")
    return files, problems


def lint_text(
    text: str,
    *,
    template_sections: list[dict] | None = None,
    config: Config | None = None,
    people: list[str] | tuple[str, ...] = (),
) -> list[Finding]:
    return run(Document.from_markdown(text, template_sections=template_sections), config or Config(), people=people)


def main(argv: list[str] | None = None) -> int:
    """Run `retrospector lint`; `argv` holds the arguments after `lint` (a leading 'lint' is ignored)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "lint" and not Path("lint").exists():
        argv = argv[1:]
    out, err = sys.stdout, sys.stderr
    try:
        args = _parser().parse_args(argv)
        template = load_template_sections(args.template) if args.template else None
        config = load_config(args.config) if args.config else Config()
        people = load_people(args.people) if args.people else []
    except UsageError as exc:
        print(f"retrospector lint: {exc}", file=err)
        return 2
    except ConfigError as exc:
        print(f"retrospector lint: config: {exc}", file=err)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    files, problems = _collect(args.paths)
    results, unreadable = _lint_all(files, args.jobs, template_sections=template, config=config, people=people)
    problems += unreadable

    for problem in problems:
        print(f"retrospector lint: {problem}", file=err)
    try:
        _write(out, err, args.format, results, files)
    except BrokenPipeError:  # `retrospector lint ... | head`: the reader left, which is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if problems:
        return 2
    return 1 if any(f.severity == "error" for _, f in results) else 0


_PARALLEL_FROM = 64  # files: below this, starting processes costs more than it saves


def _lint_all(files: list[str], jobs: int, **options) -> tuple[list[tuple[str, Finding]], list[str]]:
    """Findings and unreadable-file problems for `files`, in their order; in `jobs` processes when it pays."""
    jobs = jobs or min(os.cpu_count() or 1, 8)
    if jobs < 2 or len(files) < _PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return _lint_files(files, **options)
    # Contiguous runs of files, several per process so a slow file doesn't keep the others waiting.
    size = max(1, -(-len(files) // (jobs * 4)))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    results: list[tuple[str, Finding]] = []
    problems: list[str] = []
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        for found, unreadable in pool.map(partial(_lint_files, **options), chunks):
            results += found
            problems += unreadable
    return results, problems


def _lint_files(files: list[str], **options) -> tuple[list[tuple[str, Finding]], list[str]]:
    results: list[tuple[str, Finding]] = []
    problems: list[str] = []
    for name in files:
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        except UnicodeDecodeError as exc:
            problems.append(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
            continue
        except OSError as exc:
            problems.append(f"{name}: cannot read: {exc.strerror or exc}")
            continue
        for finding in lint_text(text, **options):
            results.append((name, finding))
    return results, problems


def _write(out, err, fmt: str, results, files) -> None:
    if fmt == "json":
        out.write(json.dumps([_as_json(name, f) for name, f in results], indent=2, ensure_ascii=False) + "\n")
    elif fmt == "sarif":
        out.write(json.dumps(sarif(results, files), indent=2, ensure_ascii=False) + "\n")
    else:
        for name, f in results:
            out.write(f"{name}:{f.line}:{f.column}: {f.severity} {f.rule} {f.message}\n")
        if results and out.isatty():
            errors = sum(1 for _, f in results if f.severity == "error")
            print(f"{len(results)} finding(s), {errors} error(s) in {len(files)} file(s)", file=err)
    out.flush()


def _as_json(name: str, f: Finding) -> dict:
    return {
        "file": name,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "suggestion": f.suggestion,
        "section": f.section_key,
    }


def _uri(name: str) -> str:
    path = Path(name)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix())


def sarif(results: list[tuple[str, Finding]], files: list[str]) -> dict:
    """A SARIF 2.1.0 log with one run, the full rule catalog and one result per finding."""
    rule_ids = list(RULES)
    rules = []
    for rule in RULES.values():
        rules.append(
            {
                "id": rule.id,
                "name": "".join(part.capitalize() for part in rule.id.split("-")),
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.principle},
                "help": {
                    "text": f"{rule.principle}\n\n{rule.rationale}",
                    "markdown": f"**{rule.principle}**\n\n{rule.rationale}",
                },
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                "properties": {"tags": ["retrospective", "blameless"]},
            }
        )
    sarif_results = []
    for name, f in results:
        result = {
            "ruleId": f.rule,
            "ruleIndex": rule_ids.index(f.rule),
            "level": _SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f.message + (f" Suggestion: {f.suggestion}" if f.suggestion else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(name)},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": max(f.end_line, f.line),
                            "endColumn": f.end_column
                            if (f.end_line, f.end_column) > (f.line, f.column)
                            else f.column + 1,
                        },
                    }
                }
            ],
        }
        if f.section_key:
            result["properties"] = {"section": f.section_key}
        sarif_results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "retrospector", "semanticVersion": _version(), "rules": rules}},
                "columnKind": "unicodeCodePoints",
                "artifacts": [{"location": {"uri": _uri(name)}} for name in files],
                "results": sarif_results,
            }
        ],
    }


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("retrospector")
    except Exception:
        return "0.0.0"


if __name__ == "__main__":
    sys.exit(main())
