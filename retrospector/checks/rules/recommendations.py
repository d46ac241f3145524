"""Recommendations: concrete, owned, dated, finishable, and answering a finding."""

from __future__ import annotations

import re

from .. import lexicon
from ..catalog import RULES
from ..language import TOKEN, anchored, matches_at

_EXHORTATION = re.compile(r"\b(?:" + "|".join(lexicon.VAGUE_EXHORTATIONS) + r")\b", re.I)
_EXHORTATION_ANCHORS = (
    "careful",
    "cautious",
    "vigilant",
    "diligent",
    "attentive",
    "more aware",
    "more mindful",
    "more thorough",
    "more proactive",
    "care",
    "attention",
    "try harder",
    "do better",
    "mistake",
    "think twice",
    "stay alert",
    "stay focused",
    "double",
    "communicate",
    "diligence",
    "caution",
    "reminded",
    "remain",
    "mindful",
)
_GENERIC = "|".join(re.escape(n) for n in sorted(lexicon.GENERIC_IMPROVEMENT_NOUNS, key=len, reverse=True))
_IMPROVE = re.compile(
    r"\b(?:improve|improved|improving|improvement(?:s)? (?:to|of|in)|enhance|enhanced|better|more|increase|"
    r"increased|strengthen|step up|tighten|beef up|boost|clearer|additional)\s+"
    r"(?:our |the |team |overall |general |existing |internal |their |its )?(?:\w+ )?(?:" + _GENERIC + r")\b"
    r"|\b(?:communicate|coordinate|collaborate|document|monitor|test)\s+(?:better|more)\b"
    r"|\b(?:reduce|bring down|lower|cut)\s+(?:the\s+)?(?:\w+\s+)?noise\b",
    re.I,
)
_OPEN_ENDED = re.compile(
    r"(?:^|(?<=\bto )|(?<=\bwill )|(?<=\bshould )|(?<=\bmust ))\s*"
    r"(?:investigate|look into|explore|consider|evaluate|research|"
    r"think about|revisit|discuss)\s+(?:the\s+|some\s+|possible\s+|potential\s+|other\s+|different\s+)?"
    r"(?:options?|ways?|possibilit(?:y|ies)|alternatives|improvements?|improving|solutions? to (?:improve|prevent)|"
    r"how (?:to|we can|we could) (?:improve|avoid|prevent|do better)|what (?:we can|can be|could be) (?:do|done))\b",
    re.I | re.M,
)
_RECUR = re.compile(
    r"\b(?:make sure|ensure|prevent|avoid|guarantee)\s+(?:that\s+)?"
    r"(?:this|it|such (?:an? )?(?:incidents?|issues?|outages?"
    r"|problems?)|the same(?: thing| issue| problem| incident)?|similar (?:incidents?|issues?|outages?|problems?))\s+"
    r"(?:from\s+)?(?:does(?: not|n't)\s+|do(?: not|n't)\s+|will(?: not|n't)\s+|won't\s+|can(?:not|'t)\s+|never\s+|"
    r"doesn't\s+)?"
    r"(?:happens?|occurs?|recurs?|happening|occurring|recurring|re-?occurs?|re-?occurring)(?:\s+again)?\b",
    re.I,
)
_NUMBER = re.compile(r"\d")
_SPECIFIC_MARKUP = re.compile(r"`[^`]+`|https?://|\]\(|#\d+|\b[A-Z][A-Z0-9]+-\d+\b")

_OWNER = re.compile(
    r"\b(?:owner|owned by|owners|assignee|assigned to|assigned|responsible|dri|lead|who)\s*[:=]?\s*\S"
    r"|(?<![\w@])@[A-Za-z][\w-]+",
    re.I,
)
_DATE = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}\.\d{1,2}\.\d{4}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{4}\b"
    r"|\bq[1-4](?:\s*\d{4}|\s*'\d{2}|/\d{2,4})?\b|\b(?:19|20)\d{2}-?q[1-4]\b|\b(?:due|deadline|by|until)\s*[:=]\s*\S"
    r"|\bsprint\s+\d+\b|\bw(?:ee)?k\s*\d{1,2}\b|\bby\s+(?:the\s+)?end\s+of\s+(?:this|the)\s+(?:week|month|quarter)\b"
    r"|\bby\s+(?:monday|tuesday|wednesday|thursday|friday)\b",
    re.I,
)
_DONE = re.compile(
    r"\b(?:done when|done once|done if|done means|done:|definition of done|dod|acceptance criteria|accepted when|"
    r"complete when|completed when|finished when|verified (?:by|when)|success (?:criteria|means|is|when)|"
    r"measured by|we(?:'ll| will) know|verify by|verifiable by|so that we can verify|until)\b",
    re.I,
)
# A ticket holds owner, date and acceptance criteria: "OPS-12", "#2226", a tracker link, "issue created".
_TICKET = re.compile(
    r"\b(?:issue|ticket|task|story|card)\s+(?:has been\s+|was\s+)?(?:created|raised|filed|opened|added)\b"
    r"|\b[A-Z][A-Z0-9]{1,9}-\d+\b|(?<![\w&])#\d+\b|\[#\d+\]|https?://\S+/(?:issues|pull|browse|tickets?)/\S+",
    re.I,
)
_COMPLETED = re.compile(
    r"\((?:done|completed|fixed|implemented|resolved)\)"
    r"|\b(?:done|completed|fixed|dropped|won't do|wontfix)\s*[.:!)]*\s*$"
    r"|^\s*(?:we|i)(?:\s+have|'ve|’ve)?(?:\s+already|\s+just|\s+now)?\s+"
    r"(?:(?!need\b|proceed\b|exceed\b|succeed\b)\w+ed|added|made|set|put|built|wrote|ran|did|tweaked|"
    r"adjusted|advised|fixed|moved|updated|changed|created|removed|disabled|enabled)\b"
    r"|\b(?:has|have) been (?:\w+ed|done|made|set up|built|written)\b|✅|✔",
    re.I,
)
_LEADING_OWNER = re.compile(
    r"^\s*(?:\*\*)?(?P<who>@?[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)?(?:\s+team)?)(?:\*\*)?\s*"
    r"(?::|\bwill\b|\bto\b(?=\s+[a-z])|\bhas\b|\bis going to\b)"
)
_PAREN_PERSON = re.compile(r"\((?P<who>@?[A-Z][\w-]+)(?:[\s,/][^)]*)?\)")

_COLUMN_OWNER = re.compile(r"\b(?:owner|owners|assignee|who|responsible|dri|lead)\b", re.I)
_COLUMN_DATE = re.compile(r"\b(?:due|date|when|deadline|by|target|eta)\b", re.I)
_COLUMN_DONE = re.compile(r"\b(?:done|definition|acceptance|criteria|success|verification|verified)\b", re.I)
_COLUMN_TICKET = re.compile(r"\b(?:ticket|issue|link|jira|tracker|pr)\b", re.I)
_COLUMN_STATUS = re.compile(r"\bstatus\b", re.I)
_PLACEHOLDER = re.compile(r"^\s*(?:|-+|—|–|\?+|tbd|tba|todo|n/?a|none|…|\.\.\.)\s*$", re.I)


def _is_recommendation_section(section) -> bool:
    return section.role == "recommendations"


def _units(section, with_kind: bool = False):
    """(start, end) of each recommendation: list items (own text), table rows, or sentences."""
    view = section.view
    blocks = view.blocks
    units = []
    for index, block in enumerate(blocks):
        if block.type == "item":
            end = block.end
            if index + 1 < len(blocks) and blocks[index + 1].start < end:
                end = blocks[index + 1].start  # a nested item starts inside this one's span
            units.append((block.content_start, end, "item"))
        elif block.type == "row":
            units.append((block.start, block.end, "row"))
        elif block.type == "paragraph":
            plain = view.plain
            pos = block.start
            for match in re.finditer(r"[^.!?]+(?:[.!?]+|$)", plain[block.start : block.end]):
                a = block.start + match.start()
                b = block.start + match.end()
                if plain[a:b].strip():
                    units.append((a, b, "paragraph"))
            del pos
    return units if with_kind else [(a, b) for a, b, _ in units]


_VAGUE_PATTERNS = (
    (
        _IMPROVE,
        "improve",
        (
            "improv",
            "enhanc",
            "better",
            "more",
            "increas",
            "strengthen",
            "step up",
            "tighten",
            "beef",
            "boost",
            "clearer",
            "additional",
            "noise",
        ),
    ),
    (
        _OPEN_ENDED,
        "open",
        ("investigat", "look into", "explore", "consider", "evaluat", "research", "think about", "revisit", "discuss"),
    ),
    (_RECUR, "recur", ("happen", "occur", "recur")),
)


def _head_end(plain: str, start: int, end: int) -> int:
    """A recommendation's own words end at its first colon or sentence end; the rest explains it."""
    match = re.compile(r":\s|[.!?](?:\s|$)|;\s|\s[-–—]\s").search(plain, start, end)
    if match and plain[start : match.start()].strip():
        return match.start()
    return end


def _specific(text: str, matched_noun: str) -> bool:
    if _NUMBER.search(text) or _SPECIFIC_MARKUP.search(text):
        return True
    matched = {w.lower() for w in matched_noun.split()}
    for token in TOKEN.finditer(text):
        word = token.group(0).lower().strip("'’")
        if word in lexicon.MECHANISM_WORDS and word not in matched and word.rstrip("s") not in matched:
            return True
    return False


def check_vague(ctx) -> None:
    if not ctx.enabled("recommendation-vague"):
        return
    principle = RULES["recommendation-vague"].principle
    extra = ctx.config.word_list("vague")
    extra_re = (
        re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in extra) + r")(?![\w-])", re.I) if extra else None
    )
    for _, section in ctx.sections():
        prose = section.view.prose
        plain = section.view.plain
        in_recs = _is_recommendation_section(section)
        if section.role in ("timeline", "people", "questions"):
            continue
        # Exhortations are vague wherever they appear.
        for match in anchored(
            _EXHORTATION,
            prose,
            section.view.prose_lower,
            section.view.present(_EXHORTATION_ANCHORS),
            before=30,
            after=40,
        ):
            ctx.report(
                "recommendation-vague",
                section,
                match.start(),
                match.end(),
                f'"{match.group(0)}" asks people to be the safety control. {principle}',
                "Name the safeguard that makes care unnecessary: a confirmation prompt, a check in CI, "
                "a guard in the tool.",
            )
        if extra_re is not None:
            for match in matches_at(extra_re, prose, section.view.prose_lower, tuple(w.lower() for w in extra)):
                ctx.report(
                    "recommendation-vague",
                    section,
                    match.start(),
                    match.end(),
                    f'"{match.group(0)}" is on your organization\'s list of vague phrases. {principle}',
                )
        if not in_recs:
            continue
        action_cells = _action_cells(section)
        for start, end, kind in _units(section, with_kind=True):
            if kind == "row":
                start, end = action_cells.get(start, (start, end))
            found = _vague_action(prose[start:end])
            if found is None or _COMPLETED.search(plain[start:end].strip()):
                continue
            a, b, family = found
            a, b = start + a, start + b
            while a < b and prose[a].isspace():
                a += 1
            ctx.report(
                "recommendation-vague",
                section,
                a,
                b,
                f'"{" ".join(prose[a:b].split())}" cannot be checked off. {principle}',
                _vague_suggestion(family),
            )


# --- vague actions: a vague verb or shape, and nothing checkable anywhere in the item ---------------------------------

_META_LEAD = re.compile(
    r"[\s|]*(?:\[[ xX]\]\s*)?(?:(?:owner|assignee|due|dri)\s*[:=]\s*[^.:;|]{1,40}[.;|]\s*"
    r"|(?:jira\s+)?[A-Z]{1,5}-?\d+(?:\s+[\w-]+){0,2}\s*(?:\([^)]{0,60}\))?\s*[:\-–—|]\s*"
    r"|@?[A-Z][\w-]*(?:\s*(?:\+|&|and|,)\s*@?[A-Z][\w-]*)*\s*:\s*(?=[a-z]))",
    re.I,
)
_LEAD = re.compile(
    r"^\s*(?:\[[ xX]\]\s*)?(?:\*\*|__)?(?:action(?:\s+item)?|todo|ai|follow-?up|recommendation|next\s+step|"
    r"lesson(?:s)?(?:\s+learned)?|takeaway|key\s+takeaway|my\s+takeaway|reminder(?:\s+to\s+\w+)?)\s*"
    r"(?:\([^)]{0,60}\))?\s*[:\-–—]\s*"
    r"(?:\*\*|__)?\s*",
    re.I,
)
_WHO_WILL = re.compile(
    r"^\s*(?:(?:we|i|you|they|everyone|everybody|all\s+(?:teams|staff|engineers)|the\s+[\w -]{1,40}?|"
    r"[A-Z][\w-]+(?:'s\s+team)?|management|engineers|developers|ops|operations)\s+)?"
    r"(?:will|shall|should|must|need\s+to|needs\s+to|have\s+to|has\s+to|are\s+to|is\s+to|to|ought\s+to|"
    r"can|could|would\s+like\s+to|want\s+to|plan\s+to|intend\s+to|recommends?\s+that\s+[\w ,]{1,80}?)\s+"
    r"|^\s*(?:let's|let\s+us|please|kindly|try\s+to|we'd\s+like\s+to|going\s+forward,?|moving\s+forward,?|"
    r"in\s+future,?)\s+",
    re.I,
)
_VAGUE_START = re.compile(
    r"(?:improve|improving|enhance|strengthen|reinforce|stabili[sz]e|optimi[sz]e|streamline|tighten|harden|hardening|"
    r"revisit|review|(?:[\w-]+\s+){1,2}improvements?\b|fix\s+(?:the\s+|our\s+)?(?:alerting|monitoring|process|processes|"
    r"communication|tests|testing|documentation|docs|things|issues?|problems?|situation|setup|config)\b|"
    r"reassess|re-?evaluate|evaluate|assess|investigate|look\s+(?:into|at|deeper|closer|holistically|again)|"
    r"take\s+(?:a|another)\s+(?:closer\s+|deeper\s+|good\s+|hard\s+|second\s+|proper\s+)?look|"
    r"have\s+a\s+look|dig\b|explore|consider|think\s+(?:about|through|over)|discuss|sync\b|follow\s+up|align|"
    r"keep\s+an\s+eye|keep\s+(?:monitoring|watching|track)|"
    r"monitor\s+(?:the\s+situation|closely|it|this|that|things|everything|more|better|going\s+forward|for\s+now|"
    r"the\s+(?:issue|system|service|impact)\b)|continue\s+to|address|work\s+on|focus\s+on|"
    r"clean\s+up|get\s+better|do\s+better|be\s+better|be\s+more|make\s+sure|make\s+thorough|ensure|"
    r"drive\s+(?:a\s+)?(?:culture|excellence|improvements?|awareness|change|accountability)|"
    r"modern[iy][sz]e|overhaul|revamp|audit|deal\s+with|spike\s+on|(?:do|run)\s+a\s+spike|"
    r"(?:more\s+|better\s+|additional\s+)?training\s+(?:for|of|on)|(?:greater|extra)\s+care|"
    r"(?:ensure|make\s+sure|do|have|perform)\s+(?:proper|adequate|sufficient|appropriate|enough|better|more)\s+\w+|spend\s+(?:some\s+|more\s+)?time\s+(?:on|understanding|looking|investigating|"
    r"thinking|reviewing)|put\s+(?:better|more|proper|stronger)\s+\w+|do\s+(?:more|better|extra|additional)\s+\w+|"
    r"take\s+(?:a|another)\s+holistic\s+look|make\s+(?:[\w-]+\s+){1,4}?less\s+\w+|"
    r"reduce\s+(?:the\s+)?(?:blast\s+radius|risk|impact|likelihood|chance|(?:alert\s+)?fatigue|toil|friction|pain)|"
    r"put\s+(?:more|extra|greater)\s+(?:rigou?r|effort|focus|care|attention|emphasis)|"
    r"sort\s+out|have\s+a\s+(?:think|look|chat|conversation)|think\b|work\s+with|figure\s+out|"
    r"do\s+a\s+(?:proper|full|thorough|deep|better|general|quick)\s+\w+|"
    r"be\s+(?:more\s+)?(?:mindful|aware|careful|cautious|vigilant|diligent|attentive)|"
    r"follow\s+(?:the\s+)?(?:best\s+practices?|processes|process|procedures?|guidelines)|sociali[sz]e|"
    r"share\s+(?:the\s+)?(?:learnings|lessons|findings)|something\s+about|get\s+to\s+the\s+bottom|"
    r"understand\s+(?:why|how|what|the\s+root)|"
    r"communicate\s+(?:better|more)|coordinate\s+better|collaborate\s+better|make\s+(?:a\s+)?better\b|"
    r"prevent\s+(?:similar|such|this|these|recurrence|the\s+same|it|a\s+repeat)|reduce\s+(?:the\s+)?(?:\w+\s+)?noise|"
    r"raise\s+the\s+bar|avoid\s+(?:big|large|major|risky|such|similar|these|this|that|the\s+same|mistakes|"
    r"issues|problems|incidents|recurrence|outages|doing\s+this|it|any\s+(?:more|further))\b|reduce\s+(?:the\s+)?(?:risk|noise|toil|chance|likelihood|impact)|"
    r"increase\s+(?:the\s+)?(?:awareness|visibility|resilience|robustness|reliability|test\s+coverage|coverage)|"
    r"invest\s+(?:more\s+)?in|revise|rethink|refine|foster|promote|encourage|sensiti[sz]e|educate|"
    r"remind|raise\s+awareness|impress\s+upon|schedule\s+a\s+(?:deep[- ]dive|discussion|meeting|review|sync|"
    r"session|workshop|retro)|do\s+the\s+needful|take\s+(?:the\s+)?(?:necessary|appropriate|corrective|"
    r"suitable|required|needed)\s+(?:action|actions|steps|measures)|double[- ]check|"
    r"make\s+(?:it|them|things|this|that|the\s+[\w -]{1,40}?|our\s+[\w -]{1,40}?|a\s+better\s+[\w -]{1,40}?)\s+"
    r"(?:better|more\s+\w+|robust|resilient|reliable|stable|safer|clearer|easier)\b|"
    r"(?:better|more|proper|stronger|improved|enhanced|increased|tighter|additional|further)\s+\w+)",
    re.I,
)
_VAGUE_PASSIVE = re.compile(
    r"\b(?:should|must|shall|needs?\s+to|has\s+to|have\s+to|is|are|to)\s+be\s+(?:further\s+|better\s+|properly\s+|"
    r"strictly\s+)?(?:improved|optimi[sz]ed|reviewed|enhanced|strengthened|revisited|maintained|monitored|"
    r"looked\s+(?:into|at)|addressed|investigated|assessed|evaluated|reconsidered|tightened|hardened|followed)\b",
    re.I,
)
_GENERIC_ONLY = re.compile(
    r"^\s*(?:add|create|write|implement|introduce|put\s+in\s+place|set\s+up|build|provide|get)\s+"
    r"(?:some\s+|more\s+|better\s+|additional\s+|proper\s+|extra\s+|necessary\s+|appropriate\s+|adequate\s+|"
    r"sufficient\s+|further\s+|new\s+)+(?:[\w-]+\s+){0,2}?(?:monitoring|alerting|alerts|tests|testing|checks|"
    r"documentation|docs|logging|logs|visibility|safeguards|guardrails|controls|validation|coverage|dashboards|"
    r"metrics|training|processes|reviews)\b",
    re.I,
)
_METADATA = re.compile(
    r"\((?:[^()]*\b(?:owner|due|by|assignee|ticket|eta|target|deadline|@)\b[^()]*)\)"
    r"|\b(?:due|by|until|deadline|eta)\s*[:=]?\s*\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b"
    r"|\b(?:owner|owners|assignee|due|deadline|eta|by|target|ticket|jira)\s*[:=]\s*[^,;).]+"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|@[\w.-]+|\b[A-Z][A-Z0-9]{1,9}-\d+\b|#\d+\b|\bq[1-4](?:\s*\d{4})?\b|\b(?:19|20)\d\d\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}\b|\b\d{4}-\d{2}-\d{2}\b"
    r"|\bsprint\s+\d+\b|\[[^\]]*\]\([^)]*\)",
    re.I,
)
_CHECKABLE = re.compile(
    r"(?<![A-Za-z])\d+(?:[.,]\d+)*(?:\s*(?:%|ms|s|sec|secs|m|min|mins|h|hr|hrs|d|k|x|gb|mb|kb|tb|rps|qps)\b|(?![A-Za-z]))"
    r"|`[^`]+`|\b(?:when|whenever|if|unless|once(?!\s+and\s+for\s+all)|every|each|per|within|at\s+least|at\s+most|no\s+more\s+than|"
    r"(?:configured|set|routed|sent|pinned|limited|capped|raised|lowered|changed)\s+to|call(?:s|ed)?\s+(?:for\s+)?a?\s*meeting|"
    r"so\s+that|such\s+that|that\s+(?:fails|rejects|refuses|blocks|pages|alerts|fires|checks|runs|stops|prevents|"
    r"requires)|before\s+(?:any|each|every)|after\s+(?:any|each|every)|instead\s+of|rather\s+than|from\s+\S+\s+to)\b",
    re.I,
)
_VAGUE_ANYWHERE = re.compile(
    r"\b(?:look\s+(?:at|into)\s+(?:ways|options|how\s+(?:to|we))|look\s+holistically|explore\s+(?:ways|options)|"
    r"make\s+(?:the|our|it|things)\s+(?:[\w-]+\s+){0,3}?more\s+(?:stable|robust|reliable|resilient|secure|careful)|"
    r"be\s+more\s+(?:careful|cautious|vigilant|mindful|aware|thorough|proactive)|communicate\s+better|"
    r"(?:need|needs|want)\s+(?:a\s+|an\s+)?(?:better|proper|clearer|stronger|more\s+robust)\s+\w+|"
    r"with\s+(?:more|greater|extra|better)\s+(?:rigou?r|care|caution|attention|discipline)|"
    r"(?:needs?|has|have)\s+to\s+be\s+(?:much\s+|a\s+lot\s+)?(?:better|clearer|stronger|tighter|improved))\b",
    re.I,
)
_STRONGLY_VAGUE = re.compile(
    r"\b(?:proper|adequate|sufficient|appropriate|enough|better|more)\s+(?:testing|tests|monitoring|alerting|review|"
    r"reviews|checks|documentation|communication|coordination|planning|validation)\b",
    re.I,
)
_CONCRETE_START = re.compile(
    r"\s*(?:add|print|page|alert|set|block|require|fail|reject|refuse|limit|cap|pin|enable|disable|remove|delete|"
    r"replace|move|split|run|write|create|configure|enforce|rotate|automate|migrate|upgrade|raise|lower|send|show|"
    r"log|emit|expose|record|return|retry|drop|route|switch|stop|start|make\s+\S+\s+(?:the\s+)?default|"
    r"introduce|schedule|document\s+\S+\s+in)\b",
    re.I,
)
_REJECTED = re.compile(
    r"^\s*(?:\*\*|__)?(?:not\s+recommended|rejected|considered\s+(?:and|but)\s+rejected|won'?t\s+do|will\s+not\s+do|"
    r"not\s+pursued|not\s+doing|declined|out\s+of\s+scope|ruled\s+out|no\s+action)\b"
    r"|\bwould\s+not\s+have\s+helped\b|\bwouldn'?t\s+have\s+helped\b",
    re.I,
)


def _vague_action(text: str) -> tuple[int, int, str] | None:
    """(start, end, family) of the vague words in one action item, or None when it is checkable or not an action.

    Owner, date and ticket are blanked first (they say who and when, not what), keeping every offset.
    """
    starts: list[int] = []  # _action_start(text), worked out once
    if not _might_be_vague(text, starts):
        return None
    if _is_rejected(text):
        return None
    if not _has_vague_shape(text, starts):
        return None
    own = _METADATA.sub(lambda m: " " * len(m.group(0)), text)
    pos = starts[0]  # on the text as written: "AI-1 (Marta, 2024-05-15):", "Owner: Priya." are lead-ins
    while pos < len(own) and own[pos] in " .;:,":
        pos += 1
    head_end = len(own)
    colon = re.search(r":\s", own[pos:])
    if colon:
        head_end = pos + colon.start()
    head = own[pos:head_end]
    bold = re.match(r"(?:\*\*|__)\s*", head)
    if bold:
        pos += bold.end()
        head = head[bold.end() :]
    match = _VAGUE_START.match(head) or _GENERIC_ONLY.match(head)
    offset = pos
    if match is None:
        match = _VAGUE_PASSIVE.search(own, 0, head_end) or _VAGUE_ANYWHERE.search(own, 0, head_end)
        if match is None:
            return None
        offset = 0
    after = own[head_end:].lstrip(": ")
    if after.strip() and _CONCRETE_START.match(after):
        return None  # "Improve replica monitoring: add a synthetic read on each replica ..."
    if _CHECKABLE.search(own) and not _STRONGLY_VAGUE.search(own):
        return None
    return offset + match.start(), offset + match.end(), "improve"


_PASSIVE_OR_ANYWHERE_CUES = (
    "should be",
    "must be",
    "shall be",
    "to be ",
    "needs to be",
    "has to be",
    "ways",
    "options",
    "holistic",
    "more stable",
    "more robust",
    "more reliable",
    "more resilient",
    "more secure",
    "more careful",
    "be more",
    "communicate better",
    "needs to be",
    "need a better",
    "more rigo",
    "more care",
)
_CUES = re.compile("|".join(re.escape(cue) for cue in _PASSIVE_OR_ANYWHERE_CUES), re.I)
# First words that can open a vague action; anything else is looked at only for the shapes above.
_VAGUE_FIRST_WORDS = frozenset(
    """
    improve improving enhance strengthen reinforce stabilize stabilise fix optimize optimise streamline tighten harden
    drive put modernise modernize overhaul revamp spend audit deal spike training greater extra
    hardening revisit review monitoring alerting testing observability logging process communication documentation
    reassess re-evaluate reevaluate evaluate assess investigate look take have dig explore consider think discuss
    sync follow align keep monitor continue address work focus clean get do be make ensure communicate coordinate
    collaborate prevent reduce increase invest revise rethink refine foster promote encourage sensitize sensitise
    educate remind raise impress schedule double double-check sort figure socialise socialize share something
    understand better more proper stronger improved enhanced increased tighter additional further add create write
    implement introduce put set build provide avoid
    """.split()
)
_LEAD_IN_WORDS = frozenset(
    """
    we i you they everyone everybody all the management engineers developers ops operations let's let please kindly to
    try going moving in need needs action todo ai follow-up followup recommendation next lesson lessons takeaway key
    my reminder owner assignee due dri ai inc ops act ticket should must shall will jira
    """.split()
)
_NAMED_OWNER_LEAD = re.compile(
    r"[\s\-*+\[\]xX>#`_]*@?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?(?:'s\s+team|\s+team)?\s+"
    r"(?:will|to|shall|should|must|needs?|has|have|is\s+going|are\s+going)\b"
)
_FIRST_WORD = re.compile(r"[\s\-*+\[\]xX>#`_|]*([A-Za-z][A-Za-z'’]*)")


def _start_once(text: str, starts: list[int]) -> int:
    if not starts:
        starts.append(_action_start(text))
    return starts[0]


def _might_be_vague(text: str, starts: list[int]) -> bool:
    """A cheap first look: a word that can open a vague action, a lead-in to look past, or a word the other shapes
    need. Most concrete items stop here."""
    first = _FIRST_WORD.match(text)
    word = first.group(1).lower() if first else ""
    if word in _VAGUE_FIRST_WORDS:
        return True
    if _CUES.search(text):
        return True
    if word not in _LEAD_IN_WORDS and not _NAMED_OWNER_LEAD.match(text):
        return False
    pos = _start_once(text, starts)
    return bool(_VAGUE_START.match(text, pos) or _GENERIC_ONLY.match(text, pos))


def _action_start(text: str) -> int:
    """Where an action's own words begin, past "Action:", "We need to", "Priya will", "**"."""
    pos = 0
    meta = _META_LEAD.match(text)
    if meta:
        pos = meta.end()
    lead = _LEAD.match(text, pos)
    if lead:
        pos = lead.end()
    who = _WHO_WILL.match(text, pos)
    if who:
        pos = who.end()
    bold = re.match(r"(?:\*\*|__)\s*", text[pos:])
    if bold:
        pos += bold.end()
    return pos


def _has_vague_shape(text: str, starts: list[int]) -> bool:
    """A vague opening after any lead-in, or a vague passive or phrase anywhere (before metadata is looked at)."""
    pos = _start_once(text, starts)
    if _VAGUE_START.match(text, pos) or _GENERIC_ONLY.match(text, pos):
        return True
    return bool(_VAGUE_PASSIVE.search(text) or _VAGUE_ANYWHERE.search(text))


def _is_rejected(text: str) -> bool:
    """An option kept as not recommended ("Not recommended: ...", "Rejected: ...", "would not have helped")."""
    lower = text.lower()
    cues = ("not", "reject", "won", "declin", "scope", "ruled", "no action", "n't")
    return any(c in lower for c in cues) and bool(_REJECTED.search(text))


def _vague_suggestion(kind: str) -> str:
    if kind == "improve":
        return (
            'Name the change and how you will know it is done, e.g. "Alert when certificate expiry is '
            'under 14 days; done when the alert fires in staging".'
        )
    if kind == "open":
        return "Say what question the investigation answers and what decision it ends in, with a date."
    return "Name the safeguard that would have stopped or shortened this incident."


def check_incomplete(ctx) -> None:
    if not ctx.enabled("recommendation-incomplete"):
        return
    principle = RULES["recommendation-incomplete"].principle
    for _, section in ctx.sections("recommendations"):
        view = section.view
        # Tables: look for the columns first.
        for header, rows in view.tables():
            _check_table(ctx, section, header, rows, principle)
        items = [b for b in view.items() if b.parent is None]
        if not items:
            continue
        plain = view.plain
        ends = _item_group_ends(view.blocks)
        missing_by_item = []
        evaluated = 0
        for item in items:
            end = ends[id(item)]  # sub-steps belong to their recommendation
            text = section.body[item.content_start : end]
            own = plain[item.content_start : end]
            if not own.strip() or item.checked or _COMPLETED.search(own.strip()) or _is_rejected(own):
                continue
            evaluated += 1
            if _TICKET.search(text):
                continue
            missing = []
            if not _has_owner(ctx, text, own):
                missing.append("an owner")
            if not _DATE.search(own):
                missing.append("a due date")
            if not _DONE.search(own):
                missing.append("a definition of done")
            if missing:
                missing_by_item.append((item, end, missing))
        if not missing_by_item:
            continue
        considered = evaluated
        nothing_anywhere = (
            len(missing_by_item) == considered and considered > 1 and all(len(m) == 3 for _, _, m in missing_by_item)
        )
        if nothing_anywhere:
            first = missing_by_item[0][0]
            ctx.report(
                "recommendation-incomplete",
                section,
                first.content_start,
                _line_end(section.body, first.content_start),
                f"None of these {considered} recommendations has an owner, a due date or a definition "
                f"of done. {principle}",
                'Add them to each item, e.g. "(owner: Priya, due 2024-07-01, done when ...)", or link '
                "the ticket that holds them.",
            )
            continue
        for item, _end, missing in missing_by_item:
            bare = [m.split(" ", 1)[1] for m in missing]  # "an owner" -> "owner"
            ctx.report(
                "recommendation-incomplete",
                section,
                item.content_start,
                _line_end(section.body, item.content_start),
                f"This recommendation has no {_join(bare)}. {principle}",
                'Add e.g. "(owner: Priya, due 2024-07-01, done when ...)", or link the ticket that holds them.',
            )


def _item_group_ends(blocks) -> dict[int, int]:
    """For each top-level list item, where its text ends, nested items included."""
    ends: dict[int, int] = {}
    current = None
    for block in blocks:
        if block.type == "item" and block.parent is None:
            current = block
            ends[id(block)] = block.end
        elif block.type == "item" and current is not None:
            ends[id(current)] = max(ends[id(current)], block.end)
        else:
            current = None
    return ends


def _line_end(body: str, start: int) -> int:
    end = body.find("\n", start)
    end = len(body) if end == -1 else end
    return end - (1 if end > start and body[end - 1] == "\r" else 0)


def _join(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _has_owner(ctx, text: str, plain: str) -> bool:
    if _OWNER.search(plain) or re.search(r"(?<![\w@])@[A-Za-z][\w-]+", text):
        return True
    lead = _LEADING_OWNER.match(plain)
    if lead:
        who = lead.group("who")
        first = who.split()[0]
        if (
            who.lower().endswith(" team")
            or ctx.people.is_name(first)
            or ctx.people.is_role(first)
            or re.fullmatch(r"[A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z]{2,6}", first)
        ):
            return True
    for match in _PAREN_PERSON.finditer(plain):
        who = match.group("who")
        if ctx.people.is_name(who) or ctx.people.is_role(who):
            return True
    return False


def _check_table(ctx, section, header, rows, principle) -> None:
    body = section.body
    names = [body[a:b] for a, b in header.cells]
    owner_col = _find_column(names, _COLUMN_OWNER)
    date_col = _find_column(names, _COLUMN_DATE)
    done_col = _find_column(names, _COLUMN_DONE, exclude=_COLUMN_STATUS)
    ticket_col = _find_column(names, _COLUMN_TICKET)
    status_col = _find_column(names, _COLUMN_STATUS)
    real_rows = [r for r in rows if any(not _PLACEHOLDER.match(body[a:b]) for a, b in r.cells)]
    if not real_rows:
        return
    absent = [
        label
        for label, col in (("an owner", owner_col), ("a due date", date_col), ("a definition of done", done_col))
        if col is None
    ]
    if absent and ticket_col is None:
        ctx.report(
            "recommendation-incomplete",
            section,
            header.start,
            header.end,
            f"This table has no column for {_join(absent)}. {principle}",
            "Add columns such as | Owner | Due | Done when |, or a Ticket column linking to where they live.",
        )
    for row in real_rows:
        cells = [body[a:b] for a, b in row.cells]

        def cell(col):
            return cells[col] if col is not None and col < len(cells) else ""

        if status_col is not None and re.search(
            r"\b(?:done|complete|completed|dropped|closed|won't do)\b", cell(status_col), re.I
        ):
            continue
        if ticket_col is not None and not _PLACEHOLDER.match(cell(ticket_col)):
            continue
        empty = [
            label
            for label, col in (("owner", owner_col), ("due date", date_col), ("definition of done", done_col))
            if col is not None and _PLACEHOLDER.match(cell(col))
        ]
        if empty:
            ctx.report(
                "recommendation-incomplete",
                section,
                row.start,
                row.end,
                f"This recommendation has no {_join(empty)}. {principle}",
                "Fill in the empty cells, or link a ticket that holds them.",
            )


_COLUMN_ACTION = re.compile(r"\b(?:action|actions|recommendation|recommendations|item|task|what|change|fix)\b", re.I)


def _action_cells(section) -> dict[int, tuple[int, int]]:
    """Row start -> span of the cell that says what to do (the Action column, else the first)."""
    result = {}
    body = section.body
    for header, rows in section.view.tables():
        names = [body[a:b] for a, b in header.cells]
        col = _find_column(names, _COLUMN_ACTION) or 0
        for row in rows:
            if col < len(row.cells):
                result[row.start] = row.cells[col]
    return result


def _find_column(names, pattern, exclude=None):
    for index, name in enumerate(names):
        if pattern.search(name) and not (exclude is not None and exclude.search(name)):
            return index
    return None


_STOP = frozenset(
    """
    the and for with that this from into when what which will should would could have has been
    were was are is our their there then than them they also more some any all each every other
    such only just very much many most about after before during over under between through make
    made ensure sure implement implementation add adding added create creating created setup set
    improve improving improvement use using used update updating updated review investigate
    consider look looking into need needs needed able possible clear clearly better new way ways
    going thing things case cases option options might maybe perhaps whether where while
    """.split()
)


_TERM_WORD = re.compile(r"[a-z][a-z0-9'’-]*|\d{3,}")


def _terms(text: str) -> set[str]:
    result = set()
    for word in _TERM_WORD.findall(text.lower()):
        if word[0].isdigit():
            result.add(word)
            continue
        word = word.strip("'’-")
        if len(word) < 4 or word in _STOP:
            continue
        if word.endswith("ing") and len(word) >= 7:
            word = word[:-3]
        elif word.endswith(("ed", "es")) and len(word) >= 6:
            word = word[:-2]
        elif word.endswith("s") and len(word) >= 5:
            word = word[:-1]
        result.add(word)
    return result


def check_untraced(ctx) -> None:
    if not ctx.enabled("recommendation-untraced"):
        return
    if not any(s.role == "analysis" and s.view.plain.strip() for s in ctx.doc.sections):
        return
    rest = " ".join(
        [s.title for s in ctx.doc.sections]
        + [s.view.plain for s in ctx.doc.sections if s.role not in ("recommendations", "people")]
    ).lower()
    seen: dict[str, bool] = {}

    def known(term: str) -> bool:
        # A shared stem (its first five letters) anywhere in the write-up counts: lenient on purpose.
        stem = term[:5]
        if stem not in seen:
            seen[stem] = stem in rest
        return seen[stem]

    principle = RULES["recommendation-untraced"].principle
    for _, section in ctx.sections("recommendations"):
        view = section.view
        action_cells = _action_cells(section)
        for start, end, kind in _units(section, with_kind=True):
            if kind == "paragraph":
                continue
            if kind == "row":
                start, end = action_cells.get(start, (start, end))
            text = view.plain[start:end]
            terms = _terms(text)
            if len(terms) < 2 or any(known(t) for t in terms):
                continue
            if _COMPLETED.search(text.strip()):
                continue
            if re.search(r"\b(?:finding|factor|cf|f)[ -]?\d+\b|\baddresses\b", text, re.I):
                continue
            a = start
            while a < end and view.plain[a].isspace():
                a += 1
            ctx.report(
                "recommendation-untraced",
                section,
                a,
                _line_end(section.body, a),
                f"This recommendation shares no words with the rest of the write-up. {principle}",
                "Point to the contributing factor it answers, or add that factor to the analysis.",
            )
