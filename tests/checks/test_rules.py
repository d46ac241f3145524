"""Behaviour of each write-up check, section awareness, in-file switches and team configuration."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrospector.checks import (
    RULES,
    Config,
    ConfigError,
    Document,
    Finding,
    Section,
    catalog_markdown,
    load_config,
    run,
)

TIMELINE_HEAD = "| Time (UTC) | Event | Source |\n|---|---|---|\n"


def md(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def rules_in(text: str, **kwargs) -> list[str]:
    return [f.rule for f in run(Document.from_markdown(md(text), **kwargs))]


def findings(text: str, config=None, **kwargs) -> list[Finding]:
    return run(Document.from_markdown(md(text), **kwargs), config=config)


def section(kind: str, body: str, title: str | None = None) -> list[str]:
    titles = {
        "timeline": "Timeline",
        "questions": "Discussion questions",
        "recommendations": "Action items",
        "impact": "Impact",
        "summary": "Summary",
        "analysis": "Contributing factors",
    }
    doc = Document.from_sections([Section("s", title or titles.get(kind, "Notes"), md(body), kind=kind)])
    return [f.rule for f in run(doc, config=Config(disable={"summary-unsupported"}))]


# Section awareness ---------------------------------------------------------------------------


def test_it_accepts_a_name_in_a_timeline_row_but_not_the_same_name_as_a_cause():
    text = """
        ## Timeline

        | Time (UTC) | Event | Source |
        |---|---|---|
        | 14:02 | Priya acknowledged the page | [pd](https://pd.example/1) |
        | 14:05 | Priya restarted the primary | [chat](https://chat.example/2) |

        ## Contributing factors

        - Priya caused the outage by restarting the primary.
        """
    found = findings(text)
    assert [(f.rule, f.line) for f in found] == [("blame", 10)]
    assert found[0].section_key == "contributing-factors"
    assert "Priya caused" in found[0].message


def test_it_flags_a_yes_no_question_under_discussion_questions_but_not_in_a_timeline_quote():
    text = """
        ## Timeline

        | Time (UTC) | Event | Source |
        |---|---|---|
        | 14:03 | Sam asked: "is the primary still up?" | [chat](https://chat.example/3) |
        | 14:04 | Did anyone see the alert? asked Priya | [chat](https://chat.example/4) |

        ## Discussion questions

        - Is the primary still up?
        - What did the replication dashboard show at 14:03?
        """
    assert rules_in(text) == ["question-yes-no"]


def test_it_maps_headings_to_roles_by_title_and_inherits_them_in_subsections():
    doc = Document.from_markdown(
        md("""
        # Outage
        ## Summary
        x
        ## Timeline of events
        ### 2024-05-01
        - 14:02 UTC started
        ## Discussion questions
        ## Action Items
        ## Customer impact
        ## Contributing Factors (findings)
        ## Actions taken
        ## Attendees
        """)
    )
    roles = {s.title: s.role for s in doc.sections}
    assert roles == {
        "Outage": "text",
        "Summary": "summary",
        "Timeline of events": "timeline",
        "2024-05-01": "timeline",
        "Discussion questions": "questions",
        "Action Items": "recommendations",
        "Customer impact": "impact",
        "Contributing Factors (findings)": "analysis",
        "Actions taken": "text",
        "Attendees": "people",
    }


def test_sections_built_from_template_kinds_get_their_role_from_key_or_title():
    doc = Document.from_sections(
        [
            Section("action-items", "Committed action items", "- x", kind="table"),
            Section("went-wrong", "What went wrong", "- x", kind="list"),
            Section("timeline", "Timeline walkthrough", "", kind="timeline"),
            Section("notes", "Questions", "- x", kind="questions"),
        ]
    )
    assert [s.role for s in doc.sections] == ["recommendations", "analysis", "timeline", "questions"]


# blame --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The outage was caused by human error.",
        "The on-call engineer was careless with the credentials.",
        "Sam forgot to renew the certificate.",
        "The DBA was negligent.",
        "It was Marco's fault.",
        "The incident was triggered by Carlos deleting the namespace.",
    ],
)
def test_it_reports_blame(sentence):
    assert section("analysis", sentence) == ["blame"]


@pytest.mark.parametrize(
    "sentence",
    [
        'The phrase "human error" hides the missing confirmation step.',
        "We used git blame to find the commit.",
        "The error budget was spent by Tuesday.",
        "Nobody was at fault; the alert went to a muted channel.",
        "Rather than human error, we found three gaps in the pipeline.",
        "Human error is never the end of an analysis.",
        "A user error page was shown to 300 customers.",
        "The migration caused a lock on the orders table.",
        "We introduced a regression with the 1.24 release.",
    ],
)
def test_it_does_not_report_mentions_systems_or_team_ownership_as_blame(sentence):
    assert section("analysis", sentence) == []


def test_blame_vocabulary_still_counts_inside_a_timeline():
    assert section(
        "timeline", TIMELINE_HEAD + "| 14:20 | Human error: the wrong record was deleted | [a](https://a.example/1) |"
    ) == ["blame"]


def test_a_blame_finding_spans_the_words_and_suggests_a_rewrite():
    found = findings("""
        ## Contributing factors

        The deploy failed because of human error.
        """)
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.severity, f.line, f.column, f.end_line, f.end_column) == ("blame", "error", 3, 30, 3, 41)
    assert f.suggestion and "confirmation" in f.suggestion


# counterfactual -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The on-call engineer should have checked the replication lag.",
        "We failed to notice the expiring certificate.",
        "Priya could have caught the typo.",
        "The DBA neglected to take a snapshot.",
        "If only Sam had read the runbook, none of this would have happened.",
        "Had we known about the limit, we would have batched the calls.",
    ],
)
def test_it_reports_hindsight_about_people(sentence):
    assert section("analysis", sentence) == ["counterfactual"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The pod failed to start because the image tag did not exist.",
        "Our alerting should have paged on queue depth; the rule watched CPU.",
        "We should have a runbook for this.",
        "It could have been much worse.",
        "Without the retry budget we could have lost the queue.",
        "The responders could not have known about the vendor change.",
        "We failed over to the secondary region at 14:20.",
    ],
)
def test_it_does_not_report_systems_plans_or_luck_as_hindsight(sentence):
    assert section("analysis", sentence) == []


def test_counterfactual_suggests_a_neutral_rewrite():
    found = findings("## Analysis\n\nWe failed to verify that the agent was running.\n")
    assert found[0].rule == "counterfactual"
    assert "did not verify" in found[0].suggestion


# root-cause ---------------------------------------------------------------------------------


def test_it_reports_a_root_cause_heading_and_sentence_but_not_plurals_or_negations():
    text = """
        ## Root cause

        The root cause was an expired certificate.

        ## Root causes

        There is no single root cause. Several root causes lined up. We stopped doing root cause analysis.
        """
    found = findings(text)
    assert [(f.rule, f.line) for f in found] == [("root-cause", 1), ("root-cause", 3)]
    assert "Contributing factors" in found[0].suggestion


def test_root_cause_in_a_timeline_row_is_what_happened_not_an_explanation():
    assert (
        section("timeline", TIMELINE_HEAD + "| 14:30 | Root cause investigation started | [c](https://c.example/1) |")
        == []
    )


# questions ----------------------------------------------------------------------------------


def test_it_reports_yes_no_and_why_questions_but_not_open_ones():
    body = """
        - Did anyone look at the dashboard?
        - Why did you restart the primary?
        - Why did the cache expire early?
        - What did the dashboard show at 14:03?
        - Was it the cache or the database?
        - Did the runbook help, and if not, what was missing?
        """
    assert section("questions", body) == ["question-yes-no", "question-why"]


def test_a_why_question_gets_a_how_rewrite():
    doc = Document.from_sections(
        [Section("q", "Discussion questions", "- Why did you restart the primary?\n", kind="questions")]
    )
    (f,) = run(doc)
    assert f.suggestion == "How did you decide to restart the primary?"


# recommendations -----------------------------------------------------------------------------


def test_it_reports_vague_recommendations_and_missing_owner_date_or_definition_of_done():
    body = (
        "- Improve monitoring.\n"
        "- Alert when replication lag exceeds 30 s for 5 minutes "
        "(owner: Priya, due 2024-09-01, done when it fires in staging).\n"
        "- Add a confirmation prompt to the failover script (owner: @sam).\n"
        "- [OPS-12](https://tracker.example/OPS-12): make the migration runner refuse to run twice.\n"
    )
    doc = Document.from_sections([Section("a", "Action items", body, kind="recommendations")])
    found = [(f.rule, f.line) for f in run(doc)]
    assert found == [("recommendation-incomplete", 1), ("recommendation-vague", 1), ("recommendation-incomplete", 3)]


def test_when_no_recommendation_has_an_owner_one_finding_covers_the_list():
    body = "- Add an alert on certificate expiry\n- Document the rotation\n- Pin the image version\n"
    doc = Document.from_sections([Section("a", "Action items", body, kind="recommendations")])
    found = run(doc)
    assert [f.rule for f in found] == ["recommendation-incomplete"]
    assert "None of these 3" in found[0].message


def test_recommendation_tables_need_owner_due_and_done_columns_filled():
    body = md("""
        | Action | Owner | Done when | Due |
        |---|---|---|---|
        | Alert at 30 s lag | Priya | fires in staging | 2024-09-01 |
        | Pin the image | Sam |  | 2024-09-15 |
        """)
    doc = Document.from_sections([Section("a", "Action items", body, kind="table")])
    assert [(f.rule, f.line) for f in run(doc)] == [("recommendation-incomplete", 4)]


def test_exhortations_are_vague_anywhere_but_not_in_timelines():
    assert section("analysis", "We need to be more careful on Fridays.") == ["recommendation-vague"]
    assert section("timeline", TIMELINE_HEAD + "| 14:00 | Lead said be more careful | [c](https://c.example/1) |") == []


def test_untraced_recommendations_are_opt_in():
    text = md("""
        ## Contributing factors

        - The certificate renewal job failed silently.

        ## Action items

        - Migrate the wiki to a new platform (owner: Sam, due 2024-09-01, done when the old one is off).
        - Alert when the certificate renewal job fails (owner: Sam, due 2024-09-01, done when tested).
        """)
    assert [f.rule for f in run(Document.from_markdown(text))] == []
    enabled = run(Document.from_markdown(text), config=Config(enable={"recommendation-untraced"}))
    assert [(f.rule, f.line) for f in enabled] == [("recommendation-untraced", 7)]


# impact and summary -------------------------------------------------------------------------


def test_it_reports_impact_without_numbers_only_in_impact_sections():
    assert section("impact", "Some customers could not check out for a while.") == ["impact-numbers"]
    assert section("impact", "About 1,200 customers could not check out for 38 minutes.") == []
    assert section("analysis", "Some customers could not check out for a while.") == []


def test_it_reports_a_summary_without_impact_and_figures_the_rest_does_not_support():
    text = """
        ## Summary

        A certificate expired and was renewed after 45 minutes.

        ## Timeline

        | Time (UTC) | Event | Source |
        |---|---|---|
        | 14:00 | Certificate expired | [a](https://a.example/1) |
        | 14:30 | Certificate renewed | [a](https://a.example/2) |

        ## Contributing factors

        - Nothing alerted on the expiry date.
        """
    found = findings(text)
    assert [(f.rule, f.line) for f in found] == [("summary-impact", 3), ("summary-unsupported", 3)]
    assert "45 minutes" in found[1].message


def test_a_duration_the_timeline_supports_is_not_reported():
    text = """
        ## Summary

        Logins failed for 30 minutes.

        ## Timeline

        | Time (UTC) | Event | Source |
        |---|---|---|
        | 14:00 | Logins start failing | [a](https://a.example/1) |
        | 14:30 | Logins work again | [a](https://a.example/2) |

        ## Contributing factors

        - The session store filled up.
        """
    assert rules_in(text) == []


# timelines ----------------------------------------------------------------------------------


def test_it_reports_rows_out_of_order_with_dates_times_and_midnight():
    rows = (
        "| 2024-05-01 23:58 | a | [s](https://s.example/1) |\n"
        "| 00:03 | b | [s](https://s.example/2) |\n"
        "| 00:01 | c | [s](https://s.example/3) |\n"
    )
    doc = Document.from_sections([Section("t", "Timeline", TIMELINE_HEAD + rows, kind="timeline")])
    found = run(doc)
    assert [(f.rule, f.line, f.column, f.end_column) for f in found] == [("timeline-order", 5, 3, 8)]
    assert "00:01" in found[0].message


def test_it_understands_date_subheadings_and_zone_offsets():
    text = """
        ## Timeline

        ### 2024-05-01

        - 23:50 UTC deploy started ([ci](https://ci.example/1))

        ### 2024-05-02

        - 00:10 UTC errors began ([graph](https://g.example/1))
        - 09:15 CEST rollback finished ([ci](https://ci.example/2))
        """
    assert [(f.rule, f.line) for f in findings(text)] == [("timeline-timezone", 10)]


def test_it_reports_missing_and_mixed_time_zones():
    assert section(
        "timeline", "| Time | Event | Source |\n|---|---|---|\n| 14:02 | a | [s](https://s.example/1) |"
    ) == ["timeline-timezone"]
    assert (
        section(
            "timeline",
            "All times in CET.\n\n| Time | Event | Source |\n|---|---|---|\n| 14:02 | a | [s](https://s.example/1) |",
        )
        == []
    )
    assert section("timeline", TIMELINE_HEAD + "| 14:02 PST | a | [s](https://s.example/1) |") == ["timeline-timezone"]


def test_it_reports_sources_per_row_or_once_for_a_mostly_unsourced_timeline():
    one_missing = (
        TIMELINE_HEAD
        + "| 14:01 | a | [s](https://s.example/1) |\n| 14:02 | b |  |\n| 14:03 | c | [s](https://s.example/3) |"
    )
    doc = Document.from_sections([Section("t", "Timeline", one_missing, kind="timeline")])
    assert [(f.rule, f.line) for f in run(doc)] == [("timeline-source", 4)]
    none = TIMELINE_HEAD + "| 14:01 | a |  |\n| 14:02 | b |  |"
    doc = Document.from_sections([Section("t", "Timeline", none, kind="timeline")])
    found = run(doc)
    assert [f.rule for f in found] == ["timeline-source"] and "None of the 2" in found[0].message


# required sections --------------------------------------------------------------------------

TEMPLATE = [
    {"key": "summary", "title": "Summary", "required": True, "kind": "text"},
    {"key": "impact", "title": "Impact", "required": True, "kind": "text"},
    {"key": "timeline", "title": "Timeline", "required": True, "kind": "timeline"},
    {"key": "action-items", "title": "Committed action items", "required": True, "kind": "table"},
    {"key": "learned", "title": "What we learned", "required": False, "kind": "list"},
]


def test_it_reports_required_sections_missing_or_empty_including_starter_tables():
    text = """
        ## Summary

        Checkout failed for 1,200 users for 38 minutes.

        ## Timeline

        | Time (UTC) | Event | Source |
        |---|---|---|

        ## Action items

        TBD
        """
    found = findings(text, template_sections=TEMPLATE, config=Config(disable={"summary-unsupported"}))
    assert [(f.rule, f.line, f.section_key) for f in found] == [
        ("section-empty", 1, "impact"),
        ("section-empty", 5, "timeline"),
        ("section-empty", 10, "action-items"),
    ]
    assert 'required section "Impact" is missing' in found[0].message


def test_a_section_built_from_a_template_is_checked_for_being_empty():
    doc = Document.from_sections(
        [
            Section("impact", "Impact", "\n-\n", required=True, kind="text"),
            Section("learned", "What we learned", "", required=False, kind="list"),
        ]
    )
    assert [(f.rule, f.line, f.column, f.section_key) for f in run(doc)] == [("section-empty", 1, 1, "impact")]


def test_the_builtin_templates_load_without_django():
    from retrospector.checks.cli import load_template_sections

    sections = load_template_sections("postmortem")
    assert {"key": "timeline", "title": "Timeline", "required": True, "kind": "timeline"} in sections


# positions ----------------------------------------------------------------------------------


def test_positions_are_relative_to_the_markdown_document_with_front_matter_and_code():
    text = md("""
        +++
        title = "human error in front matter is ignored"
        +++

        # Incident

        ```
        human error inside a code block is ignored
        ```

        ## Analysis

        Text with `human error` in code, then human error for real.
        """)
    (f,) = run(Document.from_markdown(text))
    line = text.splitlines()[f.line - 1]
    assert f.line == 13 and line[f.column - 1 : f.end_column - 1] == "human error"


def test_positions_are_relative_to_the_section_body_for_documents_built_from_sections():
    doc = Document.from_sections(
        [
            Section("summary", "Summary", "Checkout failed for 40 users.\n"),
            Section("analysis", "Analysis", "First line.\nSecond line blames human error.\n"),
        ]
    )
    (f,) = run(doc)
    assert (f.section_key, f.line, f.column, f.end_column) == ("analysis", 2, 20, 31)


def test_findings_are_sorted_and_serialise_to_plain_dicts():
    found = findings("""
        ## Analysis

        The root cause was human error.
        Sam forgot the certificate.
        """)
    assert found == sorted(found, key=lambda f: (f.line, f.column, f.rule, f.end_line, f.end_column))
    d = found[0].as_dict()
    assert set(d) == {
        "rule",
        "severity",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "suggestion",
        "section_key",
    }
    json.dumps(d)


# switches in the file and team configuration -------------------------------------------------


def test_a_file_comment_disables_a_rule_for_the_file_and_another_for_the_next_line_only():
    text = """
        <!-- retrospector: disable=root-cause -->
        ## Analysis

        The root cause was a full disk.
        <!-- retrospector: disable-next-line=blame -->
        Human error on the first deploy.
        Human error on the second deploy.
        """
    assert [(f.rule, f.line) for f in findings(text)] == [("blame", 7)]


def test_a_file_comment_can_enable_an_opt_in_rule_and_disable_all():
    assert rules_in("<!-- retrospector: disable=all -->\n## Analysis\n\nHuman error.\n") == []
    text = (
        "<!-- retrospector: enable=recommendation-untraced -->\n## Contributing factors\n\n- Disk filled up.\n\n"
        "## Action items\n\n"
        "- Rewrite the billing UI in another framework (owner: Sam, due 2024-09-01, done when shipped).\n"
    )
    assert rules_in(text) == ["recommendation-untraced"]


def test_config_disables_rules_and_changes_severity():
    text = "## Analysis\n\nThe root cause was human error.\n"
    config = Config(disable={"root-cause"}, severity={"blame": "warning"})
    found = findings(text, config=config)
    assert [(f.rule, f.severity) for f in found] == [("blame", "warning")]
    assert findings(text, config=Config(severity={"blame": "off", "root-cause": "off"})) == []


def test_organizations_add_their_own_words():
    config = Config(
        words={
            "blame": ["cowboy deploy"],
            "vague": ["circle back"],
            "people": ["Zdzisław"],
            "allow": ["human error budget"],
        }
    )
    text = """
        ## Analysis

        A cowboy deploy took checkout down.
        Zdzisław caused the outage.
        We will circle back on the alerting.
        The human error budget is a metric our safety team tracks.
        """
    assert [(f.rule, f.line) for f in findings(text, config=config)] == [
        ("blame", 3),
        ("blame", 4),
        ("recommendation-vague", 5),
    ]


def test_systems_named_like_people_can_be_declared():
    text = "## Analysis\n\nSam caused the restart loop by retrying every second.\n"
    assert rules_in(text) == ["blame"]
    assert findings(text, config=Config(words={"systems": ["Sam"]})) == []


def test_names_are_learned_from_the_timeline_and_the_participants():
    text = """
        ## Timeline

        | Time (UTC) | Event | Source |
        |---|---|---|
        | 14:02 | Zenobiusz acknowledged the page | [pd](https://pd.example/1) |

        ## Attendees

        - Wojtek Nowak

        ## Contributing factors

        - Zenobiusz caused the outage.
        - Wojtek caused the second outage.
        """
    assert [(f.rule, f.line) for f in findings(text)] == [("blame", 13), ("blame", 14)]


def test_load_config_reads_yaml_and_json_and_names_bad_fields(tmp_path):
    (tmp_path / "team.yaml").write_text(
        "disable: [timeline-source]\nseverity: {blame: warning}\nwords: {blame: [cowboy deploy]}\n"
    )
    config = load_config(tmp_path / "team.yaml")
    assert config.disable == {"timeline-source"} and config.severity == {"blame": "warning"}
    (tmp_path / "team.json").write_text('{"disable": ["root-cause"]}')
    assert load_config(tmp_path / "team.json").disable == {"root-cause"}
    assert load_config({"enable": ["recommendation-untraced"]}).is_enabled("recommendation-untraced")
    with pytest.raises(ConfigError, match="unknown rule 'blam'"):
        load_config({"disable": ["blam"]})
    with pytest.raises(ConfigError, match="severity.blame"):
        Config(severity={"blame": "fatal"})
    with pytest.raises(ConfigError, match="words: unknown list"):
        Config(words={"names": ["x"]})
    (tmp_path / "broken.yaml").write_text("disable: [\n")
    with pytest.raises(ConfigError, match="broken.yaml"):
        load_config(tmp_path / "broken.yaml")


def test_configs_merge_team_then_file():
    team = Config(disable={"timeline-source"}, words={"blame": ["cowboy deploy"]})
    merged = team.merged({"enable": ["timeline-source"], "words": {"blame": ["yolo merge"]}})
    assert merged.is_enabled("timeline-source")
    assert merged.words["blame"] == ["cowboy deploy", "yolo merge"]


# the catalog --------------------------------------------------------------------------------

_EXAMPLE_KIND = {
    "blame": "analysis",
    "counterfactual": "analysis",
    "root-cause": "analysis",
    "question-yes-no": "questions",
    "question-why": "questions",
    "recommendation-vague": "recommendations",
    "impact-numbers": "impact",
    "summary-impact": "summary",
}


def test_every_rule_has_a_principle_a_rationale_and_examples():
    for rule in RULES.values():
        assert rule.principle.endswith(".") and rule.principle.count(". ") == 0, rule.id
        assert len(rule.rationale) > 80 and rule.bad and rule.good, rule.id
        assert rule.severity in ("error", "warning", "info")


@pytest.mark.parametrize("rule_id", sorted(_EXAMPLE_KIND))
def test_the_catalog_examples_behave_as_documented(rule_id):
    rule = RULES[rule_id]
    kind = _EXAMPLE_KIND[rule_id]
    for bad in rule.bad:
        body = f"- {bad}" if kind in ("questions", "recommendations") and not bad.startswith("#") else bad
        if bad.startswith("#"):
            got = rules_in(bad + "\n\ntext\n")
        else:
            got = section(kind, body)
        assert rule_id in got, bad
    for good in rule.good:
        if good.startswith("#"):
            got = rules_in(good + "\n\ntext\n")
        else:
            body = f"- {good}" if kind in ("questions", "recommendations") else good
            got = section(kind, body)
        assert rule_id not in got, good


def test_catalog_markdown_documents_every_rule():
    text = catalog_markdown()
    for rule in RULES.values():
        assert f"`{rule.id}`" in text and rule.principle in text
    assert "off by default" in text


# robustness, purity and speed ---------------------------------------------------------------

_MARKDOWNISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "# Summary",
                "## Timeline",
                "## Action items",
                "## Discussion questions",
                "## Impact",
                "| Time | Event |",
                "|---|---|",
                "| 14:02 | x |",
                "- Did it?",
                "```",
                "<!--",
                "-->",
                "> quote",
                "",
                "human error",
                "root cause:",
                "**bold** _it_ `code`",
                "[a](http://b)",
            ]
        ),
        st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=40),  # lone surrogates too
    ),
    max_size=30,
).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MARKDOWNISH)
def test_any_text_gives_findings_inside_the_document(text):
    lines = text.split("\n")
    for f in run(Document.from_markdown(text)):
        assert 1 <= f.line <= f.end_line <= len(lines) + 1
        assert f.column >= 1 and f.end_column >= 1
        assert f.rule in RULES and f.severity in ("error", "warning", "info")


def test_the_checks_import_nothing_from_django():
    code = (
        "import sys, retrospector.checks, retrospector.checks.cli; "
        "from retrospector.checks import run, Document; run(Document.from_markdown('## Summary\\nx')); "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_five_thousand_line_write_up_is_checked_in_full():
    # Its speed is measured by `make bench` (bench/checks.py), not asserted here.
    from bench.checks import big_writeup

    findings = run(Document.from_markdown(big_writeup(5000)))
    assert {"recommendation-vague", "question-yes-no"} <= {f.rule for f in findings}
    assert max(f.line for f in findings) > 4000
