"""The checker on published postmortems: exactly the findings a reviewer judged correct, no false alarms.

The files in tests/fixtures/checks are unchanged copies (see SOURCES.md there). Each expected
finding below was read in context and judged a fair report of the rule; a new finding on these
files is either a false alarm (fix the rule) or a real problem we overlooked (add it here with
the reason).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retrospector.checks import Document, run

pytestmark = pytest.mark.no_database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checks"

EXPECTED = {
    "dfds-PM2022-002-logs-not-shipped.md": [
        # None of the seven timeline rows links to a chat message, alert or log line.
        ("timeline-source", 13, 1),
        # "Human error in not knowing that Hellman logs are stored in a different AWS account".
        ("blame", 23, 3),
        # The only action item has no owner, date or definition of done.
        ("recommendation-incomplete", 29, 3),
    ],
    "dfds-PM2023-001-total-node-failure.md": [
        ("timeline-source", 13, 1),
        # "11:08 Follow-up mail" is listed above "11:07 Sev 1 ticket raised".
        ("timeline-order", 27, 3),
        # Five open action items, none with owner, date or definition of done (one is marked done).
        ("recommendation-incomplete", 40, 3),
        # "Investigate options for improving rollover process" cannot be checked off.
        ("recommendation-vague", 41, 3),
    ],
    "learningequality-002-cloudflare-incomplete-migration.md": [
        # The summary: "A couple of our sites went down for a few hours": how many sites, how long?
        ("impact-numbers", 9, 25),
        # "@aronasorman looked over it without being thorough" makes a person the explanation.
        ("blame", 26, 47),
        # Three corrective actions without owner, date or definition of done.
        ("recommendation-incomplete", 70, 3),
    ],
    "rust-lang-crates-io-postmortem.md": [
        # The request rate and failed-request count appear only in the summary.
        ("summary-unsupported", 18, 39),
        ("summary-unsupported", 18, 98),
        # Three of the seventeen timeline entries link to nothing.
        ("timeline-source", 84, 1),
        ("timeline-source", 89, 1),
        ("timeline-source", 93, 1),
        # "Root cause identification: The Five Whys" frames the analysis as one root cause.
        ("root-cause", 95, 4),
        # "The developer creating the pull request misjudged the potential impact" and the five whys after it
        # ("Why was the potential impact misjudged?", "Why did the developer forget to check ...?") judge a person.
        ("blame", 123, 49),
        ("blame", 129, 40),
        # "The developer forgot to think about ..." puts a person in the causal chain.
        ("blame", 131, 11),
        ("blame", 133, 21),
        # Three prioritised corrective actions, none with owner, date or definition of done.
        ("recommendation-incomplete", 178, 3),
    ],
}


def test_every_fixture_has_expectations_and_a_license():
    assert sorted(p.name for p in FIXTURES.glob("*.md") if p.name != "SOURCES.md") == sorted(EXPECTED)
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert name in sources
    assert {p.name for p in FIXTURES.glob("LICENSE*")} >= {
        "LICENSE-dfds",
        "LICENSE-learningequality",
        "LICENSE-rust-lang-blog-MIT",
        "LICENSE-rust-lang-blog-APACHE",
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_findings_on_a_real_postmortem_are_the_ones_judged_correct(name):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    found = [(f.rule, f.line, f.column) for f in run(Document.from_markdown(text))]
    assert found == EXPECTED[name]


def test_the_findings_point_at_the_words_they_are_about():
    text = (FIXTURES / "dfds-PM2022-002-logs-not-shipped.md").read_text(encoding="utf-8")
    blame = next(f for f in run(Document.from_markdown(text)) if f.rule == "blame")
    line = text.splitlines()[blame.line - 1]
    assert line[blame.column - 1 : blame.end_column - 1] == "Human error"


REAL = FIXTURES / "real"
JUDGED = Path(__file__).with_name("real_postmortems_judged.yaml")
LANGUAGE_RULES = {
    "blame",
    "counterfactual",
    "question-why",
    "question-yes-no",
    "recommendation-vague",
    "impact-numbers",
}


def real_language_findings() -> set[tuple[str, int, str]]:
    found = set()
    for path in sorted(REAL.rglob("*")):
        if not path.is_file() or path.name.startswith("LICENSE"):
            continue
        for finding in run(Document.from_markdown(path.read_text(encoding="utf-8"))):
            if finding.rule in LANGUAGE_RULES:
                found.add((str(path.relative_to(REAL)), finding.line, finding.rule))
    return found


def test_every_language_finding_on_fifty_real_postmortems_has_been_read_and_judged():
    import yaml

    judged = yaml.safe_load(JUDGED.read_text(encoding="utf-8"))
    listed = {(item["file"], item["line"], item["rule"]) for item in judged}
    found = real_language_findings()
    assert not found - listed, f"new findings to read and judge in {JUDGED.name}: {sorted(found - listed)}"
    assert not listed - found, f"findings no longer reported, take them out of {JUDGED.name}: {sorted(listed - found)}"
    false_alarms = [item for item in judged if item["verdict"] == "false"]
    assert len(false_alarms) <= 1, false_alarms  # one judged false alarm today: never more
