"""The rule catalog: what each check looks for and why, as data.

`catalog_markdown()` renders it for the documentation and the help pages, so the words a user
reads in a finding, in the docs and in the SARIF rule descriptions are the same words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    sections: str  # where the rule looks, in words
    principle: str  # one sentence; every finding of the rule carries it
    rationale: str
    bad: tuple[str, ...]
    good: tuple[str, ...]
    enabled_by_default: bool = True

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "sections": self.sections,
            "principle": self.principle,
            "rationale": self.rationale,
            "bad": list(self.bad),
            "good": list(self.good),
            "enabled_by_default": self.enabled_by_default,
        }


_RULES = (
    Rule(
        id="blame",
        title="A person stands as the cause",
        severity="error",
        sections=(
            "every section; in timelines only judgments and a person named as the cause, "
            "since naming who did what is the point of a timeline"
        ),
        principle=(
            "People are part of the system's environment, never its cause: "
            "describe the conditions that made the action make sense at the time."
        ),
        rationale=(
            'Words like "human error" or "careless" end the inquiry at the person nearest the '
            "failure, and people who expect to be blamed stop telling the whole story. The useful "
            "question is what made the action reasonable to the person doing it, and what in the "
            "system allowed it to hurt. The check knows the organization's people (its users, the "
            "incident's responders and timeline actors, chat handles) and roles and teams, and looks "
            "for a person's act given as the reason for the failure, judgments of care or competence "
            '("an oversight by", "out of his depth"), evaluative verbs ("botched") and punishments '
            '("revoke her deploy rights").'
        ),
        bad=(
            "The outage was caused by human error during the failover.",
            "Priya caused the outage by running the migration twice.",
            "The on-call engineer was careless and ignored the disk alert.",
            "The outage began because Dave shipped a bad config.",
            "Remove his production access until he has been retrained.",
        ),
        good=(
            "The migration script had no guard against running twice, and its output looked the same on both runs.",
            "14:02 Priya acknowledged the page and opened the database dashboard.",
            'The phrase "human error" hides the missing confirmation step.',
            "We used git blame to find the commit that changed the timeout.",
        ),
    ),
    Rule(
        id="counterfactual",
        title="Hindsight about what people should have done",
        severity="warning",
        sections="every section",
        principle=(
            "Describe what people saw and did, not what they should have done: "
            "hindsight makes the path look obvious when it was not."
        ),
        rationale=(
            '"Should have", "could have" and "failed to" compare people with a version of events '
            "that only exists after the fact. They tell the reader nothing about why the action "
            'made sense at the time. Systems may "fail to" do things; the check only looks at '
            "sentences whose subject is a person, a role or a team, and at the shapes hindsight takes "
            'without one: "had she checked ..., it would not ...", "could easily have been '
            'prevented", "entirely avoidable", "did not think to", "which was not done".'
        ),
        bad=(
            "The on-call engineer should have checked the replication lag before failing over.",
            "We failed to notice that the certificate was about to expire.",
            "If only Sam had read the runbook, the restart would have been avoided.",
            "Had the release engineer run the smoke tests, the outage would never have happened.",
            "This could easily have been prevented with a look at the diff.",
        ),
        good=(
            "The pod failed to start because the image tag did not exist.",
            "The runbook did not mention replication lag, so the failover went ahead at 14:10.",
            "The alert could have been worse: it fired only after the queue was full.",
        ),
    ),
    Rule(
        id="root-cause",
        title="A single root cause as the explanation",
        severity="warning",
        sections="headings and prose outside the timeline",
        principle=(
            "Incidents come from several contributing factors working together; a single root cause hides the others."
        ),
        rationale=(
            "Declaring one root cause stops the analysis at whatever the team chose to call the "
            "root, often something outside its control. Listing the contributing factors, and the "
            "safety controls that did not stop them, gives more places to improve."
        ),
        bad=(
            "## Root cause",
            "The root cause was an expired certificate.",
            "We identified the config push as the root cause of the outage.",
        ),
        good=(
            "## Contributing factors",
            "There is no single root cause: the certificate expired and nothing alerted on its expiry date.",
            "Root cause analysis (RCA) is the name of the old template; this one lists contributing factors.",
        ),
    ),
    Rule(
        id="question-yes-no",
        title="Discussion question answerable with yes or no",
        severity="warning",
        sections="discussion questions",
        principle=(
            "Discussion questions should open a conversation; a question that can be answered yes or no closes it."
        ),
        rationale=(
            "A review meeting learns from stories, and a yes/no question invites a one-word answer. "
            "Asking what people saw, how they decided or what surprised them gets the story."
        ),
        bad=(
            "Did anyone look at the replication dashboard?",
            "Was the runbook up to date?",
        ),
        good=(
            "What did the replication dashboard show when the first alert fired?",
            "Which parts of the runbook matched what you saw, and which did not?",
            "Was the slowdown coming from the cache or from the database?",
        ),
    ),
    Rule(
        id="question-why",
        title="Asking a person why",
        severity="warning",
        sections="discussion questions",
        principle=(
            'Asking a person "why" sounds like asking them to justify themselves; '
            "ask how they decided or what they saw."
        ),
        rationale=(
            '"Why did you ..." puts people on the defensive and tends to get a justification. '
            '"How did you decide ..." or "What made ... look like the right step?" gets at the '
            "cues and pressures that shaped the decision. Asking why a system behaved as it did is fine; "
            '"why" in disguise ("How come ...", "What was the reason ...") and about a person\'s act in '
            'the passive ("Why was the change not reviewed?") is not.'
        ),
        bad=(
            "Why did you restart the primary instead of the replica?",
            "Why didn't the on-call engineer escalate sooner?",
            "How come nobody paged the database team?",
            "Why was the alert not escalated?",
        ),
        good=(
            "How did you decide to restart the primary rather than the replica?",
            "What made escalating look unnecessary at 14:10?",
            "Why did the cache keep serving stale entries after the deploy?",
        ),
    ),
    Rule(
        id="recommendation-vague",
        title="Vague or unverifiable recommendation",
        severity="warning",
        sections='recommendations and action items; exhortations such as "be more careful" everywhere',
        principle=(
            "A recommendation should name a concrete change whose completion "
            "anyone can check; exhortations to be careful change nothing."
        ),
        rationale=(
            '"Improve monitoring" or "communicate better" cannot be finished, so they are never '
            'done, and "be more careful" asks people to be the safety control. Name the alert, the '
            "check, the guard or the process step, with a threshold or an observable result. An item "
            "whose words are vague but which says something checkable (a number, a condition, code, "
            'or a concrete step after a colon) passes; so does an option kept as "Not recommended".'
        ),
        bad=(
            "Improve monitoring.",
            "Be more careful when running migrations.",
            "Make sure this never happens again.",
            "Dig into the paging setup.",
            "Think about adding backpressure.",
        ),
        good=(
            (
                "Alert when a certificate expires in less than 14 days "
                "(owner: Priya, due 2024-07-01, done when the alert fires in staging)."
            ),
            "Make the migration script refuse to run twice against the same schema version.",
            (
                "Improve replica monitoring: add a synthetic read on each replica every 30 seconds "
                "that pages after three failures."
            ),
        ),
    ),
    Rule(
        id="recommendation-incomplete",
        title="Recommendation without owner, date or definition of done",
        severity="warning",
        sections="recommendations and action items (list items and table rows)",
        principle=(
            "Each recommendation needs an owner, a date and a definition of done, or it will quietly never happen."
        ),
        rationale=(
            "Recommendations compete with all other work. Without a named owner and a commitment "
            'date they drift to "next sprint"; without a definition of done nobody can say when '
            "they are finished. A link to a ticket that carries these counts."
        ),
        bad=("- Add an alert on certificate expiry",),
        good=(
            "- Add an alert on certificate expiry (owner: Priya, due 2024-07-01, done when it pages in staging)",
            "- [OPS-123](https://tracker.example/OPS-123): Add an alert on certificate expiry",
        ),
    ),
    Rule(
        id="recommendation-untraced",
        title="Recommendation that traces to no finding",
        severity="info",
        sections="recommendations, compared with the analysis sections",
        principle=(
            "Every recommendation should answer something the analysis found; "
            "one that answers nothing in the write-up may not have helped here."
        ),
        rationale=(
            "Recommendations that do not connect to a contributing factor, a failed control or a "
            '"what went wrong" item are often wishes that would not have changed this incident. '
            "Either add the finding they answer or question whether they belong. The check compares "
            'words, so it cannot see that "supply chain attack" answers "hijacked package"; it is '
            "off unless a team enables it (`enable: [recommendation-untraced]`), and a reference such "
            'as "(factor 2)" always counts as a trace.'
        ),
        bad=("- Migrate the wiki to a new platform (while the analysis only talks about certificate expiry)",),
        good=("- Alert 14 days before certificate expiry (the analysis lists the missing expiry alert)",),
        enabled_by_default=False,
    ),
    Rule(
        id="impact-numbers",
        title="Impact without numbers",
        severity="warning",
        sections="each sentence of impact sections, and the summary's sentences about who was affected",
        principle="Impact needs numbers: who was affected, how many, and for how long.",
        rationale=(
            '"Some users saw errors" cannot be compared across incidents or weighed against the '
            "cost of a fix. Counts, percentages and durations, even rough ones with their "
            "assumptions stated, can. Each sentence is judged on its own: one that sizes the impact "
            'with vague words ("several tenants", "for an extended period", "moderately degraded") '
            "is reported even when the next one has numbers; one that says what people experienced, "
            "without sizing it, is left alone."
        ),
        bad=(
            "Some customers could not check out for a while.",
            "Several tenants lost access to reports for an extended period.",
        ),
        good=(
            "About 1,200 customers (4% of sessions) could not check out for 38 minutes, 14:02-14:40 UTC.",
            "Customers saw a spinner and then an error page when they tried to pay.",
        ),
    ),
    Rule(
        id="timeline-order",
        title="Timeline out of order",
        severity="error",
        sections="timelines (tables, lists and paragraphs that start with a time)",
        principle="A timeline is read top to bottom; entries out of time order make the sequence of events wrong.",
        rationale=(
            "Readers infer cause and effect from order. An entry placed above something that "
            "happened before it changes the story, and it is almost always a copy-and-paste slip."
        ),
        bad=("| 11:08 | Follow-up mail sent |\n| 11:07 | Ticket raised |",),
        good=("| 11:07 | Ticket raised |\n| 11:08 | Follow-up mail sent |",),
    ),
    Rule(
        id="timeline-timezone",
        title="Timeline with mixed or missing time zones",
        severity="warning",
        sections="timelines",
        principle=(
            "Give every timeline one time zone, stated once, so readers in other zones do not misread the sequence."
        ),
        rationale=(
            "Distributed teams read times in their own zone unless told otherwise, and sources "
            "(chat, pager, logs) each use their own. State the zone in the header or a note, and "
            "convert entries that came in another zone."
        ),
        bad=("| 14:02 | Page sent |  (no zone anywhere)", "- 14:02 UTC Page sent\n- 09:05 PST Ack"),
        good=("| Time (UTC) | Event |", "All times in CET."),
    ),
    Rule(
        id="timeline-source",
        title="Timeline entry without a source",
        severity="info",
        sections="timelines",
        principle=(
            "Link each timeline entry to its primary source "
            "(chat message, alert, log line, deploy) so it can be checked later."
        ),
        rationale=(
            "A sourced timeline settles disagreements in the review quickly and lets later readers "
            "see exactly what responders saw. When no entry has a source, one finding covers the "
            "whole timeline."
        ),
        bad=("| 14:02 | Alert fired |",),
        good=("| 14:02 | Alert fired | [PD-4711](https://pagerduty.example/incidents/4711) |",),
    ),
    Rule(
        id="section-empty",
        title="Required section empty",
        severity="error",
        sections="sections the template marks as required",
        principle="A write-up is finished only when every section its template requires says something.",
        rationale=(
            "Templates ask for the sections a team decided every review needs; an empty or "
            "placeholder-only required section usually means the part was skipped, not that it "
            "did not apply. Write why it does not apply if that is the case."
        ),
        bad=("## Impact\n\nTBD",),
        good=("## Impact\n\nNo customer-facing impact: the failed job was retried at 03:00 and finished.",),
    ),
    Rule(
        id="summary-unsupported",
        title="Summary says what the rest does not",
        severity="info",
        sections="the summary, compared with the rest of the document",
        principle="The summary is written last and says only what the rest of the write-up supports.",
        rationale=(
            "Many readers stop after the summary. A name, a number or a system that appears only "
            "there is either missing from the analysis or an unchecked claim."
        ),
        bad=('Summary: "... 30 minutes of downtime ..." while the timeline and impact say 12 minutes.',),
        good=("Summary numbers that the impact section and timeline repeat.",),
    ),
    Rule(
        id="summary-impact",
        title="Summary leaves out the impact",
        severity="warning",
        sections="the summary",
        principle="A summary should say who was affected and how, not only what broke.",
        rationale=(
            "Readers use the summary to judge how serious the incident was. A summary that "
            "describes only the technical failure and the fix leaves them guessing."
        ),
        bad=("A certificate expired and was renewed.",),
        good=("A certificate expired; for 47 minutes every API client failed to connect until it was renewed.",),
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}


def catalog_markdown(heading_level: int = 2) -> str:
    """The catalog as Markdown: one section per rule with its rationale and examples."""
    h = "#" * heading_level
    out = [
        f"{h} Write-up checks",
        "",
        "Each check below runs in the editor, through the API and with `retrospector lint`. "
        "Turn one off for a file with `<!-- retrospector: disable=RULE-ID -->`, or for a team "
        "in its configuration (`disable`, `severity`, `words`).",
        "",
        "| Rule | Severity | Looks at |",
        "|---|---|---|",
    ]
    for rule in _RULES:
        severity = rule.severity if rule.enabled_by_default else f"{rule.severity} (off by default)"
        out.append(f"| [`{rule.id}`](#{rule.id}) | {severity} | {rule.sections} |")
    out.append("")
    for rule in _RULES:
        default = "" if rule.enabled_by_default else " Off unless enabled."
        out += [
            f'{h}# <a id="{rule.id}"></a>`{rule.id}`: {rule.title}',
            "",
            f"**{rule.principle}**",
            "",
            rule.rationale,
            "",
            f"Default severity: {rule.severity}.{default} Looks at: {rule.sections}.",
            "",
            "Instead of:",
            "",
        ]
        out += [_example(text) for text in rule.bad]
        out += ["", "Write:", ""]
        out += [_example(text) for text in rule.good]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _example(text: str) -> str:
    if "\n" in text or text.startswith(("#", "|", "- ")):
        return "```markdown\n" + text + "\n```"
    return f"- {text}"
