"""Blame and hindsight in the shapes the word lists of language.py miss.

Each detector is a pattern plus, where the pattern alone could be about a system, a test that a
person, role or group is in view. Every finding quotes the words that triggered it and names the
shape ("judges a person's competence", "imagines a better past"), so a reader can see why.
"""

from __future__ import annotations

import re

from .. import lexicon
from ..catalog import RULES
from ..language import (
    HUMAN_DECISION_FORMS,
    TOKEN,
    Phrases,
    anchored,
    clause_start,
    is_participle,
    matches_at,
    subject_before,
    tokens_between,
)

# --- blame: judgments that need no person in view -------------------------------------------------------------------

_BLAME_LIES_ANCHORS = (
    "lies ",
    "lay with",
    "lay on",
    "lay squarely",
    "rests ",
    "rested ",
    "falls on",
    "falls with",
    "falls squarely",
    "fell on",
    "fell squarely",
    "sits with",
    "sits on",
    "sits squarely",
    "sat with",
    "sat on",
    "sat squarely",
)
_PUNISHED_ANCHORS = (
    "be fired",
    "be disciplined",
    "be reprimanded",
    "be written up",
    "be let go",
    "be sanctioned",
    "be punished",
    "be held accountable",
    "be retrained",
    "be put on",
    "be named",
    "be removed",
    "be formally",
    "be immediately",
    "be officially",
)
_JUDGMENTS = (
    r"botch(?:ed|es|ing)?",
    r"nuk(?:ed|es|ing)\s+(?:the\s+|our\s+|a\s+)?(?:prod|production|cluster|database|db|namespace|bucket|server|"
    r"table|data|backups?|repo|branch|site)",
    r"bungl(?:e|ed|es|ing)",
    r"fumbl(?:ed|es|ing)",
    r"screw(?:ed|s|ing)?[- ]up",
    r"screw-?ups?",
    r"cock[- ]?ups?",
    r"fuck(?:ed|ing)? up",
    r"brain[- ]?farts?",
    r"bone-?headed",
    r"idiotic",
    r"stupid(?:ly|ity)?",
    r"dumb (?:mistake|move|error|decision|idea)s?",
    r"lazy|laziness|lazily",
    r"clueless(?:ness)?",
    r"irresponsib(?:le|ly|ility)",
    r"unprofessional(?:ly|ism)?",
    r"amateur(?:ish(?:ly)?| hour| mistake| move)",
    r"cowboy(?:ed|ing|s)?",
    r"cut(?:ting|s)? corners",
    r"rubber[- ]?stamp(?:ed|ing|s)?",
    r"half[- ]?assed",
    r"shodd(?:y|ily)",
    (
        ("bad ", "poor ", "terrible", "awful", "questionable", "dubious", "wrong ", "foolish", "reckless", "hasty"),
        r"(?:bad|poor|terrible|awful|questionable|dubious|wrong|foolish|reckless|hasty) "
        r"(?:call|judg(?:e)?ment|decision[- ]making|decisions?|choices?|move)s?",
    ),
    (("of judg", "in judg"), r"errors? (?:of|in) judg(?:e)?ment"),
    r"lapses? (?:in|of) (?:judg(?:e)?ment|concentration|attention|focus|discipline|care|professionalism|diligence|"
    r"rigou?r|ownership)",
    (("without any care", "without care"), r"without (?:any )?care\b"),
    (("ill-considered", "ill considered"), r"ill[- ]considered (?:decision|call|move|change|choice)s?"),
    (
        ("confidence in",),
        r"(?:lost|no|little) confidence in (?:[A-Z][\w-]+(?:'s|’s)|his|her|their) "
        r"(?:ability|judg(?:e)?ment|competence)",
    ),
    (("self-inflicted by", "self inflicted by"), r"self[- ]inflicted by"),
    (
        ("care enough",),
        r"(?:didn't|did not|doesn't|does not|don't|do not|didn’t|doesn’t|don’t) (?:really |even )?care enough",
    ),
    (
        ("level of diligence", "level of care", "level of professionalism", "level of attention"),
        r"(?:not|never|failed to)\s+(?:shown?|show|demonstrated?|displayed?)\s+the\s+level\s+of\s+(?:diligence|care|"
        r"professionalism|attention)",
    ),
    (
        ("done his job", "done her job", "done their job", "did his job", "did her job", "did their job"),
        r"(?:had|has|have)?\s*(?:done|did)\s+(?:his|her|their)\s+job",
    ),
    (
        (
            "of his depth",
            "of her depth",
            "of their depth",
            "of my depth",
            "of your depth",
            "of our depth",
            "of its depth",
        ),
        r"out of (?:his|her|their|my|your|our|its) depth",
    ),
    r"(?:cannot|can't|can not|could not|couldn't|can’t|couldn’t) be (?:trusted|relied (?:up)?on|counted on)",
    r"not to be trusted",
    r"(?:his|her|their|my|your) (?:own )?(?:inexperience|incompetence|negligence|carelessness|laziness|ignorance|"
    r"blunder|oversight|sloppiness|recklessness|impatience|arrogance|overconfidence|hubris)",
    r"(?:the )?inexperience (?:of|on the part of)",
    r"inexperienced (?:engineer|dev|developer|staff|operator|admin|hire|intern|dba|sre|person|people|team|"
    r"on-?call|employee|colleague|member|junior)s?",
    r"lack of (?:basic )?(?:care|diligence|attention(?: to detail)?|judg(?:e)?ment|discipline|rigou?r|"
    r"professionalism|accountability|competence|skill|focus|effort|experience|common sense|thought|"
    r"ownership|responsibility|understanding)(?! (?:in|of|from) (?:the |our )?(?:tool|system|process|pipeline))",
    (("weak",), r"weak(?:est)? link"),
    (
        ("his job", "her job", "their job", "my job", "your job", "homework", "diligence"),
        r"(?:did not|didn't|does not|doesn't|do not|don't|didn’t|doesn’t|don’t) do (?:his|her|their|my|your) "
        r"(?:job|homework|due diligence)",
    ),
    r"asleep at the (?:wheel|switch)",
    r"(?:fell|falling|was|were) asleep on the job",
    (
        ("human mistake", "human slip", "human lapse", "human oversight"),
        r"human (?:mistakes?|slips?|lapses?|oversights?)",
    ),
    (("manual error", "manual mistake"), r"manual (?:errors?|mistakes?)"),
    (
        _BLAME_LIES_ANCHORS,
        r"(?:fault|blame|responsibility)(?:\s+for\s+[^.;:]{1,60}?)? (?:lies|lay|rests|rested|falls|fell|sits|sat) "
        r"(?:squarely |entirely |solely )?(?:with|on)",
    ),
    (
        _PUNISHED_ANCHORS,
        r"(?:should|must|will|needs? to|ought to|has to|have to) be (?:formally |immediately |officially )?"
        r"(?:fired|disciplined|reprimanded|written up|let go|sanctioned|punished|held accountable|retrained|"
        r"put on (?:a )?(?:pip|performance plan)|named|removed from (?:the )?(?:rota|rotation|team|on-?call))",
    ),
    r"(?:disciplinary (?:action|measures?|process|hearing|review)|performance improvement plan|written warning|"
    r"formal warning|name and shame|naming and shaming)",
    r"(?:clearly|obviously|evidently|plainly) (?:doesn't|does not|didn't|did not|don't|do not|can't|cannot|"
    r"doesn’t|didn’t|don’t|can’t) (?:really |even |fully )?(?:understand|know|grasp|get|care|read|check|look|test|"
    r"think|review|bother)",
    (
        ("no idea", "no clue", "no business"),
        r"(?:has|have|had) no (?:idea|clue|business) (?:what|how|touching|running|deploying|being)",
    ),
    r"(?:doesn't|does not|didn't|did not|don't|do not|doesn’t|didn’t|don’t) know what (?:they|he|she|"
    r"they're|he's|she's|they’re|he’s|she’s|you're|you’re) (?:are |is |was |were )?doing",
    (
        tuple(f"{w} enough" for w in "competent qualified capable skilled careful experienced senior".split()),
        r"not (?:competent|qualified|capable|skilled|careful|experienced|senior) enough",
    ),
    r"(?:the )?(?:usual|typical|classic) (?:dev|developer|engineer|ops|sre|intern|junior|newbie) "
    r"(?:mistake|error|move)",
    r"(?:repeat|serial) offender",
    r"should have known better",
    (("typical of",), r"typical of (?:him|her|them|[A-Z][\w-]+)"),
    (("enough to be trusted",), r"not\s+(?:[\w-]+\s+){1,2}enough\s+to\s+be\s+trusted"),
    (
        ("strong suit", "strong point"),
        r"(?:is|was)\s+not\s+(?:his|her|their|[A-Z][\w-]+(?:'s|’s))\s+strong\s+(?:suit|point)",
    ),
    (("ill-judged", "ill judged"), r"ill[- ]judged"),
    (("flustered",), r"(?:got|was|were|became)\s+flustered"),
    (("classic",), r"classic\s+[A-Z][\w-]+\s+(?:move|mistake)"),
    (("more care", "little care"), r"with\s+(?:a\s+(?:bit|little)\s+)?more\s+care"),
    (
        (
            "remedial",
            "suspended from",
            "lose merge",
            "lose deploy",
            "lose production",
            "lose prod",
            "lose admin",
            "lose commit",
            "lose access",
            "loses access",
            "lose their",
            "lose his",
            "lose her",
        ),
        r"(?:mandatory\s+)?remedial\s+training|suspended\s+from\s+(?:production|prod|the\s+rota|on-?call|deploy)|"
        r"lose[s]?\s+(?:their\s+|his\s+|her\s+)?(?:merge|deploy|production|prod|admin|commit)?\s*access",
    ),
    (
        ("manage to", "managed to"),
        r"manage[sd]?\s+to\s+(?:delete|break|take\s+down|wipe|drop|destroy|corrupt|nuke|kill|lose)",
    ),
    (
        ("keeps", "keep shipping"),
        r"keeps?\s+(?:shipping|pushing|breaking|deploying|merging)\s+(?:broken|bad|buggy|untested)",
    ),
    (
        ("even understand", "even know", "even read", "even test", "even care"),
        r"even\s+(?:understand|know|read|test|care)\b",
    ),
    (
        (" who ",),
        r"it\s+was\s+(?:[A-Z][\w-]+|the\s+[\w-]+)(?:,\s+not\s+[^,.]{1,40},)?\s+who\s+(?:broke|took|caused|deleted|wiped|"
        r"crashed|brought|knocked|pushed|ran|dropped)",
    ),
    (("be bothered",), r"(?:couldn't|could not|can't|can not|cannot|couldn’t|can’t)\s+be\s+bothered"),
    (
        ("seriously",),
        r"(?:doesn't|does not|don't|do not|didn't|did not|doesn’t|don’t|didn’t)\s+take\s+(?:[\w-]+\s+){0,3}?seriously",
    ),
    (
        ("to be trusted", "be trusted"),
        r"(?:well\s+enough\s+to\s+be\s+trusted|(?:should|must|can)(?:\s+not|n't|n’t)\s+be\s+trusted)",
    ),
    (("mishandl",), r"mishandl(?:e|ed|es|ing)"),
    (("misjudg",), r"misjudg(?:e?ment|ed|es|ing)s?"),
    (("panick",), r"panick(?:ed|ing)"),
    (("ill-advised", "ill advised", "misguided"), r"ill[- ]advised|misguided"),
    (
        ("not a competent", "not a good", "not a capable", "not a reliable", "not a qualified", "not competent"),
        r"(?:is|was|are|were)\s+not\s+(?:a\s+|an\s+)?(?:competent|good|capable|reliable|qualified)\s+(?:[\w-]+\s+){0,2}?"
        r"(?:engineer|developer|dev|dba|sre|admin|operator|on-?call|lead|manager|reviewer)s?",
    ),
    (("unforced",), r"unforced (?:error|mistake)s?"),
    (("yolo",), r"yolo(?:'d|’d|ed|ing)?"),
    (
        ("t handle", "not handle"),
        r"(?:cannot|can't|can’t|could not|couldn't|can not)\s+handle\s+(?:the\s+)?(?:pressure|stress|it|the\s+job)",
    ),
    (
        ("rely", "count on", "depend on"),
        r"(?:cannot|can't|can’t|can not|could not|couldn't)\s+(?:rely|count|depend)\s+on\s+"
        r"(?:him|her|them|[A-Z][\w-]+|the\s+\w+)",
    ),
    (
        ("not careful", "not attentive", "not thorough", "not diligent", "not reliable", "not competent"),
        r"(?:he|she|they|who|you|i)\s+(?:is|was|are|were|am)\s+not\s+(?:careful|attentive|thorough|diligent|reliable|"
        r"competent)",
    ),
    (
        (
            "manipulation",
            "handling",
            "bad move",
            "wrong move",
            "bad action",
            "wrong action",
            "wrong config",
            "bad config",
            "incorrect config",
            "faulty config",
            "wrong change",
            "bad change",
            "careless change",
        ),
        r"(?:bad|wrong|incorrect|faulty|erroneous|careless|poor|clumsy|sloppy)\s+(?:manipulation|handling|operation|"
        r"action|execution|move|configuration|config|change|setup|deploy(?:ment)?|edit|update)\s+"
        r"(?:of\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+)?\s+)?(?:by|from)\s+(?:the\s+)?(?:\w+\s+)?(?:operator|engineer|admin|"
        r"developer|dev|dba|technician|on-?call|team|squad|[A-Z][\w-]+)",
    ),
    (
        ("rota", "rotation", "on-call", "oncall", "console"),
        r"(?:take|remove|pull|kick|drop)\s+(?:[\w-]+\s+){1,4}?(?:off|out\s+of|from)\s+(?:the\s+)?(?:[\w-]+\s+)?"
        r"(?:rota|rotation|on-?call|console\s+rota|team)",
    ),
    (
        ("on me", "on him", "on her", "% on", "all on", "entirely on", "squarely on"),
        r"(?:this|that|it)(?:\s+one)?(?:'s|’s|\s+is|\s+was)\s+(?:all\s+|100%\s+|entirely\s+|squarely\s+)?on\s+"
        r"(?:me|him|her|[A-Z][\w-]+|ops|the\s+[\w-]+(?:\s+team)?)(?:\s+for\s+\w+ing)?\b",
    ),
    (("mess ",), r"(?:the\s+)?mess\s+(?:that\s+)?(?:[A-Z][\w-]+|he|she|they|the\s+\w+)\s+(?:left|made|created|caused)"),
    (
        ("taken off", "removed from", "kicked off", "pulled off", "taken out of"),
        r"(?:be|get|got|been)\s+(?:taken|removed|kicked|pulled)\s+(?:off|out\s+of|from)\s+(?:the\s+)?"
        r"(?:on-?call\s+)?(?:rota|rotation|team|on-?call|project|schedule)",
    ),
)
_JUDGMENT_WORDS = (
    "botch|nuk|bungl|fumbl|screw|cock|fuck|fart|bone|idiot|stupid|dumb|lazy|lazi|clueless|irrespons|unprofession|"
    "amateur|cowboy|corners|rubber|assed|shodd|bad |poor |terrible|awful|questionable|dubious|wrong |foolish|"
    "reckless|hasty|judg|lapse|depth|trusted|relied|counted on|inexperience|incompeten|negligen|careless|ignoran|"
    "blunder|oversight|sloppi|impatien|arrogan|overconfiden|hubris|lack of|weak link|weakest link| do his| do her|"
    " do their| do my| do your|asleep|disciplinary|performance improvement|written warning|formal warning|"
    "name and shame|naming and shaming|clearly|obviously|evidently|plainly|no idea|no clue|no business|know what|"
    "usual|typical|classic|offender|known better|typical of"
).split("|")
_JUDGMENT = Phrases(_JUDGMENTS, _JUDGMENT_WORDS, before=60, after=90)

# --- blame: judgments that need a person, role or group next to them --------------------------------------------------

_PERSON_JUDGMENTS = re.compile(
    r"\b(?P<what>lack\s+of\s+(?:a\s+|an\s+|any\s+)?(?:second\s+)?(?:check|review|care|attention|testing|"
    r"verification|diligence|follow-up)|mess(?:ed|es|ing)? up|blindly|thoughtlessly|mindlessly|heedlessly|"
    r"carelessly|recklessly|hastily|"
    r"oversight|oversights|negligence|carelessness|mistake|mistakes|blunder|blunders|slip-?up|goof(?:ed)?)\b"
    r"(?:\s+(?:by|of|on the part of|from)\s+)?",
    re.I,
)
_PUNITIVE = re.compile(
    r"\b(?:revoke|remove|take away|strip|suspend|pull|restrict|withdraw|cancel)(?:d|s|ed|ing)?\s+"
    r"(?P<whose>[^.;:\n]{1,40}?)\s*(?:production\s+|prod\s+|deploy(?:ment)?\s+|admin\s+|root\s+|merge\s+|write\s+|"
    r"commit\s+|sudo\s+|on-?call\s+)*(?:access|rights|permissions?|privileges?|credentials|keys|sudo|commit\s+bit|"
    r"badge|merge\s+button)\b",
    re.I,
)
_HOLD_ACCOUNTABLE = re.compile(
    r"\b(?:hold|holds|held|holding)\s+(?P<who>[^.;:\n]{1,30}?)\s+(?:personally\s+)?(?:accountable|responsible)\b"
    r"|\b(?:fire|sack|discipline|reprimand|punish|demote)(?:d|ed|s)?\s+(?P<who2>him|her|them)\b",
    re.I,
)

# A person as the cause: verbs (any tense) and phrasal verbs with their particle after the object.
_CAUSES = (
    r"caused|causes|cause|broke|breaks|break|crashed|crashes|corrupted|corrupts|nuked|nukes|killed|kills",
    r"wiped|wipes|botched|botches|misconfigured|misconfigures|mistyped|mistypes|fat-fingered|fat-fingers|rushed|"
    r"ignored|ignores|overlooked|overlooks|disregarded",
    r"(?:is|was|were|are)\s+(?:the\s+(?:main\s+|real\s+|only\s+|sole\s+)?reason|what\s+(?:took|broke|caused|"
    r"brought|killed|knocked)|(?:directly\s+|solely\s+)?responsible\s+for\s+(?:the|this|that|these)\s+(?:outage|"
    r"incident|failure|mess|disaster|fiasco|breakage|problem|issue|downtime|leak|data\s+loss))",
    r"(?:took|takes|take|taking|brought|brings|bring|bringing|knocked|knocks|knock)\s+(?:[\w`'’./-]+\s+){1,5}?"
    r"(?:down|offline|over|out)|(?:took|takes|taking|brought|brings|bringing)\s+down|knocked\s+(?:over|out)",
    r"set\s+off|kicked\s+off\s+(?:the|this)\s+(?:outage|incident|fire)|started\s+(?:the|this)\s+"
    r"(?:outage|incident|fire|mess)",
    r"(?:pushed|pushes|shipped|ships|deployed|deploys|merged|merges|released|releases|applied|applies|rolled out|"
    r"rolls out|ran|runs|committed|commits)\s+(?:a|an|the|their|his|her)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:bad|broken|buggy|faulty|half-finished|half-baked|untested|unreviewed|wrong|bogus|botched|incorrect|"
    r"malformed|invalid)",
    r"(?:[a-z]+ed|ran|took|hit|cut|shut|set|put|pulled)\s+the\s+wrong",
    r"(?:accidentally|mistakenly|wrongly|incorrectly|erroneously|inadvertently|unknowingly|unwittingly)\s+"
    r"(?P<adverbed>[a-z]+)",
)
_CAUSE_STARTING = Phrases(
    [alt for i, alt in enumerate(_CAUSES) if i not in (2, 5, 6)],
    (
        "cause",
        "broke",
        "break",
        "crash",
        "corrupt",
        "nuke",
        "kill",
        "wipe",
        "botch",
        "misconfig",
        "mistyp",
        "fat-finger",
        "took",
        "take",
        "brought",
        "bring",
        "knock",
        "set",
        "kicked",
        "started",
        "accidental",
        "mistaken",
        "ignore",
        "overlook",
        "rushed",
        "disregard",
        "wrongly",
        "incorrect",
        "erroneous",
        "inadvertent",
        "unknowing",
        "unwitting",
    ),
    wrap=r"\b(?P<verb>{})\b",
    starts=True,
)
_REASON_ANCHORS = (
    "the reason|main reason|real reason|only reason|sole reason|is what|was what|were what|are what|responsible for"
)
_BAD_ANCHORS = (
    " bad |a broken|the broken|buggy|faulty|half-|untested|unreviewed|bogus|incorrect|malformed|invalid|botched"
)
_CAUSE_INNER = Phrases(
    [
        (tuple(_REASON_ANCHORS.split("|")), _CAUSES[2]),
        (tuple(_BAD_ANCHORS.split("|")), _CAUSES[5]),
        (("the wrong",), _CAUSES[6]),
    ],
    (),
    wrap=r"\b(?P<verb>{})\b",
    before=80,
    after=40,
)
_POSSESSIVE_CAUSE = re.compile(
    r"(?:'s|’s)\s+(?:[\w`'’./#-]+\s+){0,14}?(?P<verb>caused|causes|broke|breaks|took|takes|brought|brings|triggered|"
    r"triggers|led to|leads to|resulted in|results in|knocked|crashed|crashes|corrupted|started|kicked off|"
    r"is what|was what|is the reason|was the reason|is to blame|was to blame|set off)\b",
    re.I,
)
_POSSESSIVE_JUDGMENT = re.compile(
    r"(?:'s|’s)\s+(?:rushed|sloppy|careless|hasty|botched|reckless|half-baked|lazy|hacky|shoddy|clumsy|negligent|"
    r"thoughtless|incompetent|dumb|stupid|bad|ill-advised|ill-considered|misguided|rash|misconfigured|ill-judged|"
    r"shortcut|careless|quick-and-dirty)\s*\w*",
    re.I,
)
_CAUSE_BY = re.compile(
    r"\b(?:caused?|triggered|started|introduced|broken|brought down|taken down|done|initiated|corrupted|deleted|"
    r"created|kicked off|set off|provoked)\s+by\s+"
    r"|\b(?:comes?|came|boils?|boiled)\s+down\s+to\s+"
    r"|\b(?:is|was)\s+(?:all\s+)?down\s+to\s+"
    r"|\bthanks\s+to\s+(?=(?:the\s+)?[\w@-]+(?:'s|’s)\s)"
    r"|\b(?:due to|because of|owing to|(?:the\s+)?(?:direct\s+)?(?:result|consequence|product)\s+of|"
    r"(?:the\s+)?fault\s+of|blamed?\s+(?:it\s+|this\s+|the\s+\w+\s+)?on|courtesy\s+of)\s+",
    re.I,
)
# "The outage began because Dave shipped a bad config": a person's act as the reason for the failure.
_BECAUSE = re.compile(r"(?:because|since|after|when|once|cause)\s+", re.I)
_BECAUSE_STARTS = ("because ", "since ", "after ", "when ", "once ", "cause ")
_NEXT_WORDS = re.compile(
    r"(?:the\s+|our\s+|my\s+|their\s+|a\s+|an\s+)?(@?[^\W\d][\w'’-]*)(?:\s+([^\W\d][\w'’-]*))?(?:\s+([^\W\d][\w'’-]*))?"
)
_NEXT_WORD = re.compile(r"(?:the\s+|our\s+|my\s+|their\s+|a\s+|an\s+)?(@?[^\W\d][\w'’-]*)")
_FAILURE = re.compile(
    r"\b(?:outages?|incidents?|downtime|down|offline|broke|broken|break|failures?|fail(?:ed|s|ing)?|errors?|"
    r"crash(?:ed|es)?|corrupt(?:ed|ion)?|lost|loss|double-?charged|stampeded?|overload(?:ed)?|unavailable|breach|"
    r"leak(?:ed)?|went\s+(?:down|dark|red|sideways|wrong|south|pear-shaped)|misrouted|stopped|degraded|degradation|500s|5xx|502s|503s|took\s+\w+\s+down|"
    r"hit|knocked|problem|issue|mess|fire|alerts?\s+fired|paged|rejected|declined|timed?\s+out|timeouts?|"
    r"fell\s+over|keeled\s+over|melted\s+down|meltdown|fell\s+apart|backed\s+up)\b",
    re.I,
)
_ONSET = re.compile(
    r"\b(?:began|begun|started|start|starts|kicked\s+off|happened|happens|occurred|occurs|hit|went\s+down|"
    r"went\s+dark|broke|failed|fell\s+over|stopped|crashed|was\s+triggered|got\s+triggered|came\s+about|arose|"
    r"originated|went\s+wrong)\b",
    re.I,
)
# What people do in response or in talk: a reason, but not a cause of the failure.
_BENIGN_ACTS = frozenset(
    """
    noticed notice notices said says asked asks joined joins agreed agrees paged pages escalated
    escalates rolled reverted reverts fixed fixes restored restores mitigated mitigates found finds spotted spots
    flagged flags reported reports raised raises warned warns suggested suggests proposed proposes called calls
    helped helps responded responds acknowledged acknowledges investigated investigates discovered discovers
    realized realised realizes realises saw sees looked looks checked checks confirmed confirms explained
    explains stepped opened opens declared declares informed informs told tells posted posts wrote writes
    messaged pinged replied answered stopped paused halted blocked caught catches was were is are had has did
    does could would should might may must can will went came got left arrived woke
    """.split()
)

# Acts that can set off a failure: "because Dave shipped ...", "because Ramesh executed the job twice".
_RISKY_ACTS = frozenset(
    """
    ran run runs executed executes pushed pushes shipped ships deployed deploys merged merges deleted deletes dropped
    drops changed changes edited edits modified modifies restarted restarts rebooted reboots disabled disables removed
    removes applied applies rotated rotates skipped skips bypassed bypasses ignored ignores forgot forgets decided
    neglected failed typed mistyped misconfigured configured set updated upgraded rolled released committed killed
    truncated flushed purged migrated overrode overrides approved triggered started turned switched toggled flipped
    copied pasted entered clicked chose picked left missed botched wiped nuked broke overwrote overwrites renamed
    moved scheduled cancelled canceled stopped shut rushed kicked launched initiated yolo'd yoloed hurried
    """.split()
)

_RISK_CUES = re.compile(
    r"\b(?:the\s+wrong|a\s+bad|twice|by\s+hand|by\s+mistake|accidentally|without\s+(?:a\s+|any\s+)?(?:review|"
    r"test|testing|backup|approval|checking|telling|asking))\b",
    re.I,
)

# --- counterfactual -------------------------------------------------------------------------------------------------

_CF_PASSIVE = re.compile(
    r"\b(?:should|could|ought to|might|must)(?:n't|n’t|\s+not|\s+never)?\s+(?:\w+ly\s+)?have\s+"
    r"(?:\w+ly\s+)?been\s+"
    r"(?:\w+ly\s+)?(?P<part>[a-z]+)(?:\s+(?P<particle>back|up|out|off|over))?",
    re.I,
)
_HUMAN_PASSIVES = frozenset(
    """
    taken made given exercised shown paid heeded approved merged signed
    prevented avoided averted caught noticed spotted reviewed tested checked verified escalated flagged reverted
    read followed done handled communicated announced reported rolled acknowledged
    investigated considered documented approved merged deployed staged canaried planned scheduled patched
    renewed rotated fixed raised questioned challenged consulted involved asked looked picked chosen stopped
    double-checked validated confirmed drained cordoned addressed anticipated foreseen predicted
    expected known realized realised understood updated configured disabled enabled applied run migrated
    """.split()
)
_AVOIDABLE = re.compile(
    r"\b(?:was|were|is|are|been|being|be|remains?|seems?|looks?|appears?)\s+(?:\w+ly\s+|100%\s+|all\s+too\s+)?"
    r"(?:avoidable|preventable|foreseeable)\b",
    re.I,
)
_NEVER_HAPPENED = re.compile(
    r"\bwould(?:n't|n’t|\s+not|\s+never)\s+(?:\w+ly\s+)?have\s+(?:happened|occurred|been\s+(?:an?\s+)?"
    r"(?:issue|problem|incident|outage))\b",
    re.I,
)
_IF_HAD = re.compile(
    r"\b(?:if|unless|had)\s+(?P<subj>(?:[\w@'’-]+\s+){0,5}?)"
    r"(?:had(?:n't|n’t)?\s+|'d\s+|’d\s+)?(?:not\s+|only\s+|just\s+|simply\s+|actually\s+|even\s+|bothered\s+to\s+)?"
    r"(?:been\s+)?(?P<part>[a-z][a-z-]+)\b",
    re.I,
)
_WOULD_HAVE = re.compile(
    r"\b(?:would|could|might)(?:n't|n’t)?\b|(?:'d|’d)\b",
    re.I,
)
_IDEAL = re.compile(
    r"\b(?:ideally|preferably|in an ideal world|optimally)\b,?\s+(?P<subj>(?:[\w@'’-]+\s+){1,6}?)"
    r"(?:would|should|could|ought to)(?:\s+\w+)?\s+have\b",
    re.I,
)
_BETTER_PERSON = re.compile(
    r"\b(?:a|an|any|every|the)\s+(?:more\s+|truly\s+|half-?)?(?P<adj>careful|competent|experienced|senior|good|"
    r"decent|diligent|attentive|reasonable|seasoned|sensible|responsible|thorough|cautious|alert|smart|"
    r"professional|qualified|skilled|real|proper|conscientious)\s+"
    r"(?P<noun>[\w-]+)(?:\s+[\w-]+){0,5}?\s+(?:would|should|could)(?:\s+(?:never|not|easily|simply|have))*\s+"
    r"(?:have\b|'ve\b)",
    re.I,
)
_COMPETENCE_ADJECTIVES = frozenset(
    "competent experienced senior good decent seasoned smart professional qualified skilled real proper sensible "
    "reasonable".split()
)
_NEGLIGENCE = Phrases(
    (
        (
            ("bother", "think to", "thought to", "care to", "cared to"),
            r"(?:didn't|did not|never|don't|do not|doesn't|does not|couldn't|could not|didn’t|don’t|doesn’t|"
            r"couldn’t)\s+(?:even\s+|really\s+|once\s+)?(?:bother(?:ed)?|think|thought|care|cared)\s+to",
        ),
        (("bothered to", "thought to", "cared to"), r"never\s+(?:even\s+)?(?:bothered|thought|cared)\s+to"),
        (
            ("thought to", "bothered to", "cared to", "thinks to", "bothers to", "cares to"),
            r"(?:no\s+one|nobody|noone)\s+(?:[\w'’-]+\s+){0,4}?(?:thought|thinks|bothered|bothers|cared|cares)\s+to",
        ),
        (
            (
                "never acted",
                "never followed",
                "never reacted",
                "never responded",
                "never replied",
                "never looked",
                "never checked",
                "never escalated",
                "never read",
                "never ran",
                "never run",
                "never tested",
                "never reviewed",
                "never updated",
                "never verified",
                "never opened",
                "never answered",
            ),
            r"never\s+(?:acted|followed|reacted|responded|replied|looked|checked|escalated|read|ran|run|tested|reviewed|"
            r"updated|verified|opened|answered)\b(?:\s+(?:on|up|to|at|into))?",
        ),
        (
            ("supposed to", "meant to", "expected to", "required to"),
            r"(?:is|are|was|were)\s+(?:supposed|meant|expected|required)\s+to",
        ),
        (("needed to",), r"needed\s+to\s+(?:have\s+)?(?:[\w'’-]+\s+){1,8}?before"),
        (
            ("needed to", "had to"),
            r"before\s+[\w\s'’-]{1,60}?,\s*(?:[\w'’-]+\s+){1,3}?(?:needed|had)\s+to\s+"
            r"(?:confirm|check|verify|test|validate|make\s+sure|ensure|review|wait|ask|tell|page)",
        ),
        (
            (
                "not double",
                "n't double",
                "n’t double",
                "not check",
                "n't check",
                "not verify",
                "n't verify",
                "not confirm",
                "n't confirm",
                "not test",
                "n't test",
                "not validate",
                "n't validate",
            ),
            r"(?:did\s+not|didn't|didn’t|never)\s+(?:double-check|check|verify|confirm|test|validate)\b[^.;]{0,60}?\bbefore\b",
        ),
        (
            ("missed the", "missed a", "missed an", "missed two", "missed several", "missed both"),
            r"missed\s+(?:the|a|an|two|several|both)\s+(?:[\w-]+\s+){0,2}?(?:alerts?|warnings?|pages?|tests?|signals?|"
            r"emails?|messages?|notifications?|graphs?|spikes?|errors?|tickets?)\b",
        ),
        (
            ("had to", "needed to"),
            r"(?:had|needed)\s+to\s+(?:[\w'’-]+\s+){1,8}?(?:before|first)\b[^.;]{0,60}?,?\s+(?:then|otherwise|or\s+else)\b",
        ),
        (
            ("missed to", "disregarded", "brushed off", "sat on"),
            r"missed\s+to|(?:disregarded|brushed\s+off|sat\s+on)\b",
        ),
    ),
    (),
    wrap=r"\b(?P<verb>{})",
    before=70,
    after=60,
)
_FAILED_TO = Phrases(
    (r"(?:fails|fail|failed|failing|neglect|neglects|neglected|neglecting|omits|omitted|omitting)\s+to",),
    ("fail", "neglect", "omit"),
    wrap=r"\b(?P<verb>{})",
    starts=True,
)
_ELLIPSIS = re.compile(
    r"\b(?:which|as|like|what|after|before|when|than)\s+(?P<subj>he|she|they|we|I|you|someone|somebody)\s+"
    r"(?:really\s+|clearly\s+)?"
    r"(?:should|ought to|could)(?:\s+have|'ve|’ve)\b(?!\s+[a-z]+(?:ed|en)\b)",
    re.I,
)
_NOT_DONE = re.compile(
    r"\b(?:which|this|that|but\s+this|but\s+that|and\s+this|and\s+that|but\s+it|and\s+it)\s+(?:was|were|has|had)"
    r"(?:\s+not|n't|n’t)\s+(?:been\s+)?(?:done|followed|performed|carried\s+out|completed|observed|respected|"
    r"adhered\s+to)\b|\b(?:was|were)\s+never\s+(?:run|done|followed|performed|checked|completed|carried\s+out)\b"
    r"|\b(?:which|and|but)\s+(?:he|she|they|we|I)\s+(?:did|had|has)\s*(?:not|n't|n’t)\s*[.;,)]",
    re.I,
)
_EMBEDDED_QUESTION = re.compile(
    r"\b(?:reflect\s+(?:on\s+)?(?:if|whether)|whether|ask(?:ed|ing)?\s+(?:if|whether)|discuss\s+(?:if|whether)|"
    r"consider\s+(?:if|whether)|wonder(?:ed|ing)?\s+(?:if|whether))\b[^.?!\n]*$",
    re.I,
)
_NOT_DONE_ANCHORS = (
    "done",
    "followed",
    "performed",
    "carried out",
    "completed",
    "observed",
    "respected",
    "adhered",
    "which he",
    "which she",
    "which they",
    "which we",
    "which i ",
    "and they did",
    "and he did",
    "and she did",
    "and we did",
    "but they did",
    "but he did",
    "but she did",
    "but we did",
    "never run",
    "never done",
    "never followed",
    "never performed",
    "never checked",
    "never completed",
)
_EXPECTED = re.compile(
    r"\b(?:needed\s+to|expected|supposed\s+to|should|required\s+to|was\s+to|were\s+to|had\s+to|meant\s+to|"
    r"ought\s+to|is\s+to|are\s+to|must|procedure|sop|runbook|checklist|it\s+was\s+on|up\s+to)\b",
    re.I,
)
_NOMINAL_HINDSIGHT = re.compile(
    r"\bfailure\s+(?:of\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+)?\s+)?to\s+(?:escalate|notice|act|check|respond|"
    r"follow|page|communicate|inform|review|test|verify|roll\s+back|react|intervene|warn|tell|update|monitor)"
    r"|\bmissed\s+(?:an?\s+|the\s+)?opportunit(?:y|ies)\b"
    r"|\bopportunit(?:y|ies)\s+to\s+[^.;]{1,60}?\s+(?:was|were)\s+(?:not\s+taken|missed|lost|squandered)",
    re.I,
)
_IF_BETTER = re.compile(
    r"\b(?:if|had)\s+(?:the\s+|our\s+)?[\w-]+(?:\s+[\w-]+){0,2}?\s+(?:were|was|had\s+been|been)\s+"
    r"(?:more|less|a\s+bit\s+more)\s+"
    r"(?:experienced|careful|competent|attentive|diligent|arrogant|senior|skilled|alert|humble|patient|thorough)\b",
    re.I,
)
_IF_BETTER_ANCHORS = tuple(
    f"{degree} {adjective}"
    for degree in ("more", "less")
    for adjective in (
        "experienced careful competent attentive diligent arrogant senior skilled alert humble patient thorough".split()
    )
)
_ANYONE_BETTER = re.compile(
    r"\b(?:anyone|anybody|someone|somebody)\s+(?:more\s+|truly\s+)?(?P<adj>competent|experienced|careful|sensible|"
    r"senior|qualified|attentive|diligent|reasonable|half-decent|decent)\s+would(?:\s+(?:never|not|easily|simply))*"
    r"\s+(?:have|'ve)\b",
    re.I,
)
_HINDSIGHT_STARTING = re.compile(
    r"(?:in\s+hindsight|in\s+retrospect|with\s+hindsight|looking\s+back)\b,?\s+(?:[\w'’-]+\s+){0,4}?"
    r"(?:would|should|could)(?:\s+\w+)?\s+(?:have|'ve|’ve)\b"
    r"|what\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+)?\s+(?:needed|had|ought)\s+to\s+do\s+(?:was|is)\b"
    r"|not\s+once\s+did\s+(?:the\s+)?[\w-]+"
    r"|(?:had\s+it\s+not\s+been|if\s+it\s+(?:had\s+not|hadn't|hadn’t)\s+been|were\s+it\s+not|if\s+not)\s+for\s+"
    r"(?:[A-Z][\w-]+(?:'s|’s)?|the\s+[\w-]+(?:'s|’s)?|his|her|their)",
    re.I,
)
_HINDSIGHT_STARTS = (
    "in hindsight",
    "in retrospect",
    "with hindsight",
    "looking back",
    "what ",
    "not once",
    "had it not",
    "if it had",
    "if it hadn",
    "were it not",
    "if not for",
)
_BY_ROLE_WOULD = re.compile(
    r"\bby\s+(?:the\s+)?(?:[\w-]+\s+)?(?:team|engineer|reviewer|developer|dba|sre|on-?call|operator|lead|manager)s?"
    r"\s+would(?:\s+\w+)?\s+have\b",
    re.I,
)
_ONE_STEP = re.compile(
    r"\ball\s+it\s+(?:would|'d|’d)(?:\s+have|'ve|’ve)\s+taken\b|\b(?:(?:simply|just|merely)\s+[a-z]+ing|a\s+(?:quick|simple|brief|single|basic|five-minute|two-minute|"
    r"cursory|careful|closer|proper|second|real)\s+(?:look|glance|check|test|review|read|grep|query|skim|peek))\b"
    r"[^.;!?\n]{0,100}?\b(?:would|could|might)(?:\s+\w+)?\s+have\b",
    re.I,
)


# Where each pattern can start (a str.find per word keeps the regexes off the bulk of a long text).
_PERSON_JUDGMENT_STARTS = (
    "mess",
    "blindly",
    "thoughtless",
    "mindless",
    "heedless",
    "careless",
    "reckless",
    "hastily",
    "oversight",
    "negligence",
    "mistake",
    "blunder",
    "slip",
    "goof",
    "lack of",
)
_PUNITIVE_ANCHORS = ("access", "rights", "permission", "privilege", "credential", "keys", "sudo", "commit bit", "badge")
_HOLD_ANCHORS = (
    "accountable",
    "sack",
    "reprimand",
    "punish",
    "demote",
    "disciplin",
    "fire him",
    "fire her",
    "fire them",
    "fired him",
    "fired her",
    "fired them",
)
_INHERENTLY_CAUSAL = re.compile(
    r"(?:(?:is|was)\s+(?:all\s+)?down|caused?|broken|brought down|taken down|corrupted|provoked|due|because|owing|"
    r"the\s+fault|fault|blame|"
    r"(?:the\s+)?(?:direct\s+)?(?:result|consequence)|comes?|came|boils?|boiled)\b",
    re.I,
)
_CAUSE_BY_STARTS = (
    "caused",
    "triggered",
    "started",
    "introduced",
    "broken",
    "brought",
    "taken",
    "done",
    "initiated",
    "corrupted",
    "deleted",
    "created",
    "kicked",
    "set off",
    "provoked",
    "due to",
    "because of",
    "owing to",
    "result",
    "direct result",
    "direct consequence",
    "consequence",
    "product of",
    "fault of",
    "the fault",
    "blame",
    "courtesy of",
    "cause by",
    "comes down",
    "come down",
    "came down",
    "boils down",
    "boiled down",
    "is down to",
    "was down to",
    "is all down",
    "was all down",
    "thanks to",
)
_CAUSE_BY_ANCHORS = (
    " by ",
    "due to",
    "because of",
    "owing to",
    "result of",
    "consequence of",
    "product of",
    "fault of",
    "blame",
    "courtesy of",
)
_MODAL_STARTS = ("should", "could", "ought", "might", "must")
_BETTER_ANCHORS = tuple(
    "careful competent experienced senior good decent diligent attentive reasonable seasoned sensible responsible "
    "thorough cautious smart professional qualified skilled real proper conscientious".split()
)
_HAVE_ANCHORS = ("have", "'ve", "’ve")
_IDEAL_STARTS = ("ideally", "preferably", "in an ideal", "optimally")


def _principle(rule: str) -> str:
    return RULES[rule].principle


def _squash(text: str) -> str:
    return " ".join(text.split())


def _agent_before(prose: str, pos: int, people, *, verb: str | None = None):
    """The subject before `pos` if it is a person, role or group (an unknown capitalized name counts when the verb
    is something people do)."""
    human = bool(verb) and (verb.lower() in HUMAN_DECISION_FORMS or verb.lower() in lexicon.COGNITIVE_VERBS)
    # "Hamish (bless him) nukes ...", "The intern, clearly out of her depth, neglected ...": skip the aside.
    before = prose[max(0, pos - 90) : pos].rstrip()
    if before.endswith(")") and "(" in before:
        pos = max(0, pos - 90) + before.rfind("(")
    elif before.endswith(",") and before.count(",") >= 2:
        pos = max(0, pos - 90) + before[:-1].rfind(",")
    subject = subject_before(prose, pos, people, next_verb=verb, allow_unknown=human or verb is None)
    if subject.start is None or not subject.is_person:
        # "The engineer who approved the PR without reading it is the reason ...": the antecedent of "who"
        who = list(re.finditer(r"\b(?:who|that)\b", prose[max(0, pos - 120) : pos]))
        if who:
            at = max(0, pos - 120) + who[-1].start()
            outer = subject_before(prose, at, people, next_verb=verb, allow_unknown=True)
            if outer.is_person and not outer.negated and outer.start is not None:
                return outer.start, outer.text
    if subject.start is None:
        # "Whoever merged PR #4412 broke the build"
        start, _ = clause_start(prose, pos)
        lead = prose[start:pos].lstrip()
        if re.match(r"(?:whoever|whomever|the (?:person|one|guy|engineer|dev|developer)s? who)\b", lead, re.I):
            return start + (len(prose[start:pos]) - len(lead)), lead
        return None
    if not subject.is_person or subject.negated:
        start, _ = clause_start(prose, pos)
        lead = prose[start:pos].lstrip()
        if re.match(r"(?:whoever|whomever|the (?:person|one|guy|engineer|dev|developer)s? who)\b", lead, re.I):
            return start + (len(prose[start:pos]) - len(lead)), lead
        return None
    if subject.text.lower() in ("nobody", "no one", "everyone", "noone"):
        return None
    return subject.start, subject.text


_NP_VERB_STOPS = frozenset(
    "is are was were has had have meant means led leads made makes let lets kept keeps took takes gave gives got "
    "gets did does will would could should can may might must".split()
)


def _np_is_agent(prose: str, start: int, people, limit: int = 6) -> tuple[int, str] | None:
    """(end, text) when the noun phrase at `start` names a person or group: 'the release manager', "Gabriela's
    change", 'Tomás, who ...'. Its head decides: 'the on-call rotation change' is a change."""
    toks = []
    for match in TOKEN.finditer(prose, start, min(len(prose), start + 90)):
        gap = prose[toks[-1][2] if toks else start : match.start()]
        if re.search(r"[.;:!?()\[\],\n]", gap):
            break
        tok = match.group(0)
        low = tok.lower()
        if toks and (low in lexicon.PREPOSITIONS or low in ("and", "or", "who", "which", "that", "whose")):
            break
        if (
            toks
            and (
                (low.endswith(("ed", "ing")) and len(low) > 4) or low in _NP_VERB_STOPS or low in lexicon.IRREGULAR_PAST
            )
            and not people.is_person(tok)
        ):
            break
        toks.append((tok, match.start(), match.end()))
        if tok.endswith(("'s", "’s")):
            bare = tok[:-2]
            if people.is_person(bare) or people.looks_like_name(bare):
                return match.end(), " ".join(t for t, _, _ in toks)
            return None
        if len(toks) >= limit:
            break
    if not toks:
        return None
    head, _, end = toks[-1]
    if people.is_person(head) or people.is_person(head.lower()):
        return end, " ".join(t for t, _, _ in toks)
    if head[:1].isupper() and people.looks_like_name(head) and all(t[0][:1].isupper() for t in toks):
        return end, " ".join(t for t, _, _ in toks)
    return None


def check_judgments(ctx) -> None:
    """Blame in the shapes of a judgment, a punishment or a person's act as the cause."""
    if not ctx.enabled("blame"):
        return
    principle = _principle("blame")
    people = ctx.people
    for _, section in ctx.sections():
        if section.role == "people":
            continue
        prose = section.view.prose
        lowered = section.view.prose_lower
        timeline = section.role == "timeline"
        for match in _JUDGMENT.finditer(prose, lowered, section.view):
            if _negated_mention(prose, match.start()):
                continue
            ctx.report(
                "blame",
                section,
                match.start(),
                match.end(),
                f'"{_squash(match.group(0))}" judges a person instead of describing the conditions. {principle}',
                "Describe what the person saw and why the action made sense at the time.",
            )
        for match in matches_at(_PERSON_JUDGMENTS, prose, lowered, section.view.present(_PERSON_JUDGMENT_STARTS)):
            what = match.group("what").lower()
            if what.startswith(
                ("oversight", "negligence", "careless", "mistake", "blunder", "slip", "goof", "lack")
            ) and (match.group(0).lower().rstrip().endswith(("by", "of", "part of", "from"))):
                agent = _np_is_agent(prose, match.end(), people)
            else:
                agent = _agent_before(prose, match.start(), people, verb="messed")
                if agent is None and what.startswith(("oversight", "negligence", "careless", "mistake", "blunder")):
                    continue
                if agent is None:
                    continue
            if agent is None or _negated_mention(prose, match.start()):
                continue
            ctx.report(
                "blame",
                section,
                match.start(),
                match.end(),
                f'"{_squash(match.group(0))}" judges a person\'s act. {principle}',
                "Describe the act neutrally and what made it easy to get wrong.",
            )
        if timeline:
            _person_as_cause(ctx, section, prose, lowered, principle, timeline)
            continue  # punishments are not written in timeline rows
        for match in anchored(_PUNITIVE, prose, lowered, section.view.present(_PUNITIVE_ANCHORS), before=90, after=15):
            whose = match.group("whose")
            if not re.search(r"(?:'s|’s)\b|\b(?:his|her|their|him|them)\b", whose, re.I):
                continue
            if "'s" in whose or "’s" in whose:
                owner = re.search(r"([\w@-]+)(?:'s|’s)", whose)
                if owner and not (people.is_person(owner.group(1)) or people.looks_like_name(owner.group(1))):
                    continue
            ctx.report(
                "blame",
                section,
                match.start(),
                match.end(),
                f'"{_squash(match.group(0))}" punishes a person. {principle}',
                "Change what the access allows (a confirmation step, a second approver) instead of who has it.",
            )
        for match in anchored(
            _HOLD_ACCOUNTABLE, prose, lowered, section.view.present(_HOLD_ANCHORS), before=50, after=15
        ):
            ctx.report(
                "blame",
                section,
                match.start(),
                match.end(),
                f'"{_squash(match.group(0))}" punishes a person. {principle}',
                "Ask what in the system made the outcome possible.",
            )
        if section.role != "recommendations":
            _person_as_cause(ctx, section, prose, lowered, principle, timeline)


def _negated_mention(prose: str, start: int) -> bool:
    cstart, _ = clause_start(prose, start)
    before = " " + " ".join(re.findall(r"[a-z'’-]+", prose[max(cstart, start - 40) : start].lower())[-3:]) + " "
    return any(
        f" {w} " in before
        for w in ("not", "no", "never", "without", "nobody", "isn't", "wasn't", "avoid", "word", "term", "phrase")
    )


_WHO = re.compile(r"\b(?:whoever|whomever|who)\b", re.I)
_PREVIOUS_WORD = re.compile(r"(@?[^\W\d][\w'’-]*)[\s,()*_]*$")
_BETWEEN_SUBJECT_AND_VERB = frozenset(
    "just then also had has have was were is are did does accidentally mistakenly wrongly incorrectly inadvertently "
    "unknowingly unwittingly clearly obviously simply really actually apparently again never once finally who "
    "that which".split()
)


def _could_follow_a_person(prose: str, pos: int, people) -> bool:
    """A quick look at the word before a verb: a person, a name, a role, or a word that may stand between them."""
    previous = _PREVIOUS_WORD.search(prose, max(0, pos - 40), pos)
    if previous is None:
        return True  # the start of a row or sentence: let the full look decide
    if _WHO.search(prose, max(0, pos - 80), pos):
        return True  # "Whoever merged the hotfix broke ...", "the engineer who ran it broke ..."
    word = previous.group(1)
    low = word.lower()
    return (
        word[:1].isupper()
        or word.startswith("@")
        or low in _BETWEEN_SUBJECT_AND_VERB
        or people.is_person(word)
        or low.endswith(("'s", "’s"))
        or previous.group(0).rstrip().endswith(")")
    )


def _person_as_cause(ctx, section, prose, lowered, principle, timeline) -> None:
    people = ctx.people
    if timeline:
        # In a timeline, naming who did what is the point: only "caused by <person>" and judgments of their work.
        matches = []
    else:
        matches = _CAUSE_STARTING.finditer(prose, lowered, section.view)
        matches += _CAUSE_INNER.finditer(prose, lowered, section.view)
    for match in sorted(matches, key=lambda m: m.start()):
        verb = match.group("verb")
        adverbed = match.groupdict().get("adverbed")
        if adverbed and not (adverbed.lower() in HUMAN_DECISION_FORMS or adverbed.lower().endswith("ed")):
            continue
        if not _could_follow_a_person(prose, match.start(), people):
            continue
        agent = _agent_before(prose, match.start(), people, verb=(adverbed or verb.split()[0]))
        if agent is None or (agent[1].lower() == "we" and not verb.lower().startswith(("botch", "mis", "fat"))):
            continue
        first = verb.split()[0].lower()
        if (
            timeline
            and first in ("took", "takes", "brought", "brings", "ran", "runs", "set")
            and not re.search(r"\b(?:bad|broken|buggy|faulty|wrong|down|offline)\b", verb, re.I)
        ):
            continue
        if first in ("cause",) and not re.search(r"\b(?:did|does|will|would|to)\s+$", prose[: match.start()][-12:]):
            continue
        start = agent[0]
        ctx.report(
            "blame",
            section,
            start,
            match.end(),
            f'"{_squash(prose[start : match.end()])}" makes a person the cause. {principle}',
            "Make the system the subject: what allowed this action to have this effect?",
        )
    for p in [] if timeline else _find(lowered, ("'s", "’s")):
        match = _POSSESSIVE_CAUSE.match(prose, p)
        if not match:
            continue
        owner = re.search(r"(@?[\w\u00C0-\u024F-]+)$", prose[max(0, p - 40) : p])
        if not owner:
            continue
        who = owner.group(1)
        if not (people.is_person(who) or people.looks_like_name(who) or who.lower() in ("his", "her", "their")):
            continue
        start = p - len(who)
        ctx.report(
            "blame",
            section,
            start,
            match.end(),
            f'"{_squash(prose[start : match.end()])}" puts a person at the centre of the cause. {principle}',
            "Describe the change and what let it reach production, without naming who made it.",
        )
    for p in _find(lowered, ("'s", "’s")):
        judged = _POSSESSIVE_JUDGMENT.match(prose, p)
        if not judged:
            continue
        owner = re.search(r"(@?[\w\u00C0-\u024F-]+)$", prose[max(0, p - 40) : p])
        if not owner or not (people.is_person(owner.group(1)) or people.looks_like_name(owner.group(1))):
            continue
        start = p - len(owner.group(1))
        ctx.report(
            "blame",
            section,
            start,
            judged.end(),
            f'"{_squash(prose[start : judged.end()])}" judges a person\'s work. {principle}',
            "Describe the change and what made it easy to get wrong, without judging who made it.",
        )
    for match in matches_at(_CAUSE_BY, prose, lowered, section.view.present(_CAUSE_BY_STARTS)):
        nxt = _NEXT_WORDS.match(prose, match.end())
        if not nxt or not any(w and (w[:1].isupper() or people.is_person(w)) for w in nxt.groups()):
            continue  # "due to a bug": not a person
        if _negated_mention(prose, match.start()):
            continue  # "was not caused by Arjun's change"
        if not _INHERENTLY_CAUSAL.match(match.group(0)):
            sentence = prose[_sentence_start(prose, match.start()) : _sentence_end(prose, match.end())]
            if not _FAILURE.search(sentence):
                continue  # "The reindex was started by Nkiru as scheduled": an act, not a cause
        agent = _np_is_agent(prose, match.end(), people)
        if agent is None:
            continue
        after = prose[agent[0] : agent[0] + 12].lower()
        if re.match(r"\s*(?:being|having)\b", after):
            continue
        ctx.report(
            "blame",
            section,
            match.start(),
            agent[0],
            f'"{_squash(prose[match.start() : agent[0]])}" names a person as the cause. {principle}',
            "Name the condition or the missing safeguard instead of the person.",
        )
    if timeline:
        return
    for match in matches_at(_BECAUSE, prose, lowered, section.view.present(_BECAUSE_STARTS)):
        nxt = _NEXT_WORDS.match(prose, match.end())
        if not nxt or not any(w and (w[:1].isupper() or people.is_person(w)) for w in nxt.groups()):
            continue  # the clause after the connective must start with a person, a role or a name
        # the clause after the connective: its subject must be a person and its verb an act
        seg_end = _sentence_end(prose, match.end())
        toks = tokens_between(prose, match.end(), min(seg_end, match.end() + 120))
        verb_at = None
        for i, (tok, _, _) in enumerate(toks[:6]):
            low = tok.lower()
            if i and (low.endswith("ed") or low in HUMAN_DECISION_FORMS or low in lexicon.IRREGULAR_PAST):
                verb_at = i
                break
        if verb_at is None:
            continue
        verb = toks[verb_at][0].lower()
        if verb in _BENIGN_ACTS:
            continue
        omission = verb_at and toks[verb_at - 1][0].lower() in ("never", "not", "didn't", "didn’t")
        if (
            verb not in _RISKY_ACTS
            and not omission
            and not _RISK_CUES.search(prose, toks[verb_at][2], min(seg_end, toks[verb_at][2] + 60))
        ):
            continue  # "because developers used a developer install": a practice, not an act that set off the failure
        agent = _agent_before(prose, toks[verb_at][1], people, verb=verb)
        if agent is None or agent[0] < match.end() or agent[1].lower() in ("we", "us"):
            continue  # "because we shipped ..." owns the change; it does not single anyone out
        sentence_start = _sentence_start(prose, match.start())
        main = prose[sentence_start:seg_end]
        connective = match.group(0).strip().lower()
        if connective in ("because", "since", "cause", "'cause"):
            if not _FAILURE.search(main):
                continue
        elif not _ONSET.search(prose[sentence_start : match.start()]):
            continue
        ctx.report(
            "blame",
            section,
            match.start(),
            toks[verb_at][2],
            f'"{_squash(prose[match.start() : toks[verb_at][2]])}" gives a person\'s act as the reason for the '
            f"failure. {principle}",
            "Say what in the system let that act cause the failure, and leave the person out of the cause.",
        )


def _find(lowered: str, needles) -> list[int]:
    found = []
    for needle in needles:
        i = lowered.find(needle)
        while i != -1:
            found.append(i)
            i = lowered.find(needle, i + 1)
    return sorted(found)


def _sentence_end(prose: str, pos: int) -> int:
    match = re.compile(r"[.!?](?=\s|$)|\n\s*\n|\n[-*|]").search(prose, pos)
    return match.start() if match else len(prose)


def _sentence_start(prose: str, pos: int) -> int:
    lo = max(0, pos - 300)
    last = lo
    for match in re.finditer(r"[.!?](?=\s)|\n", prose[lo:pos]):
        last = lo + match.end()
    return last


def check_hindsight(ctx) -> None:
    """Hindsight in the shapes "should have" misses: passives, inverted conditionals, "avoidable", negligence."""
    if not ctx.enabled("counterfactual"):
        return
    principle = _principle("counterfactual")
    blame_on = ctx.enabled("blame")
    people = ctx.people
    for _, section in ctx.sections():
        if section.role == "people":
            continue
        prose = section.view.prose
        lowered = section.view.prose_lower

        def report(
            start,
            end,
            why,
            section=section,
            prose=prose,
            suggestion="Describe what was known at the time, and what made the path taken look reasonable then.",
        ):
            if _EMBEDDED_QUESTION.search(prose, max(0, start - 160), start):
                return  # "Reflect if the ALBs should have been communicated": a question to discuss, not a verdict
            ctx.report(
                "counterfactual",
                section,
                start,
                end,
                f'"{_squash(prose[start:end])}" {why}. {principle}',
                suggestion,
            )

        if "been" in lowered:
            for match in matches_at(_CF_PASSIVE, prose, lowered, section.view.present(_MODAL_STARTS)):
                part = match.group("part").lower()
                if part not in _HUMAN_PASSIVES:
                    continue
                if re.match(r"\s*(?:worse|lucky)", prose[match.end() : match.end() + 10]):
                    continue
                if match.group(0).lower().startswith("could") and re.search(r"n't|n’t|\snot", match.group(0)):
                    continue  # "it couldn't have been caught" excuses rather than judges
                report(match.start(), match.end(), "judges with hindsight")
        negligence = [] if section.role == "questions" else _NEGLIGENCE.finditer(prose, lowered, section.view)
        negligence += _FAILED_TO.finditer(prose, lowered, section.view)
        for match in sorted(negligence, key=lambda m: m.start()):
            text = match.group("verb").lower()
            if text.startswith(("no one", "nobody", "noone")):
                report(match.start(), match.end(), "judges with hindsight")
                continue
            needed = re.search(r"\b(?:needed|had)\s+to\b", match.group(0), re.I)
            if match.group(0).lower().startswith("before") and needed:
                agent = _agent_before(prose, match.start() + needed.start(), people, verb="noticed")
                if agent is not None:
                    report(agent[0], match.end(), "judges with hindsight")
                continue
            following = re.match(r"\s*(?:have\s+)?([a-z-]+)", prose[match.end() : match.end() + 30], re.I)
            verb = following.group(1) if following and text.endswith(" to") else "noticed"
            if re.search(r"\b(?:think|thought|bother|bothered|care|cared)\s+to$", text):
                verb = "noticed"  # "they did not think to add ...": only people think to, so "they" is people
            agent = _agent_before(prose, match.start(), people, verb=verb)
            if agent is None:
                continue
            report(agent[0], match.end(), "judges with hindsight")
        for match in anchored(_ELLIPSIS, prose, lowered, section.view.present(_HAVE_ANCHORS), before=40, after=12):
            report(match.start(), match.end(), "judges with hindsight")
        if section.role in ("timeline", "recommendations"):
            continue  # the shapes below are written in prose, not in timeline rows or action items
        for match in matches_at(
            _NOMINAL_HINDSIGHT,
            prose,
            lowered,
            section.view.present(("failure to", "failure of", "missed", "opportunit")),
        ):
            report(match.start(), match.end(), "judges with hindsight")
        for match in anchored(
            _AVOIDABLE,
            prose,
            lowered,
            section.view.present(("avoidable", "preventable", "foreseeable")),
            before=40,
            after=15,
        ):
            if _negated_mention(prose, match.start() + 1):
                continue
            report(match.start(), match.end(), "calls the outcome avoidable with hindsight")
        for match in matches_at(_NEVER_HAPPENED, prose, lowered, section.view.present(("would",))):
            sentence = prose[_sentence_start(prose, match.start()) : _sentence_end(prose, match.end())]
            if not any(people.is_person(t) for t, _, _ in tokens_between(sentence, 0, len(sentence))):
                continue  # "the issue wouldn't have occurred if the policy was set to ignore": a system, no one in view
            report(match.start(), match.end(), "imagines a better past")
        for match in matches_at(_IF_HAD, prose, lowered, section.view.present(("if ", "unless ", "had "))):
            if not _conditional_about_people(prose, match, people):
                continue
            report(match.start(), match.end(), "imagines a better past")
        for match in anchored(
            _IF_BETTER, prose, lowered, section.view.present(_IF_BETTER_ANCHORS), before=80, after=30
        ):
            report(match.start(), match.end(), "measures people against a better version of themselves, with hindsight")
            if blame_on:
                ctx.report(
                    "blame",
                    section,
                    match.start(),
                    match.end(),
                    f'"{_squash(match.group(0))}" judges a person\'s character. {_principle("blame")}',
                    "Describe what the person knew and what the tools showed.",
                )
        hindsight = matches_at(_HINDSIGHT_STARTING, prose, lowered, section.view.present(_HINDSIGHT_STARTS))
        hindsight += anchored(
            _BY_ROLE_WOULD, prose, lowered, section.view.present(("would have", "would've")), before=70, after=15
        )
        for match in hindsight:
            report(match.start(), match.end(), "judges with hindsight")
        for match in matches_at(
            _ANYONE_BETTER, prose, lowered, section.view.present(("anyone", "anybody", "someone", "somebody"))
        ):
            report(match.start(), match.end(), "compares people with an imagined better one")
            if blame_on and match.group("adj").lower() in _COMPETENCE_ADJECTIVES | {"half-decent"}:
                ctx.report(
                    "blame",
                    section,
                    match.start(),
                    match.end(),
                    f'"{_squash(match.group(0))}" judges a person\'s competence. {_principle("blame")}',
                    "Describe what the person knew and what the tools showed.",
                )
        for match in matches_at(_IDEAL, prose, lowered, section.view.present(_IDEAL_STARTS)):
            report(match.start(), match.end(), "measures people against an ideal, with hindsight")
        for match in anchored(
            _BETTER_PERSON, prose, lowered, section.view.present(_BETTER_ANCHORS), before=25, after=140
        ):
            words = [w.lower() for w in re.findall(r"[\w-]+", match.group(0))[2:-2]]
            role = next((w for w in words if people.is_role(w)), None)
            noun = role or match.group("noun").lower().rstrip("s")
            if not (role or noun in ("approach", "review", "reviewer", "look", "eye", "person")):
                continue
            report(match.start(), match.end(), "compares people with an imagined better one")
            if blame_on and match.group("adj").lower() in _COMPETENCE_ADJECTIVES and role:
                ctx.report(
                    "blame",
                    section,
                    match.start(),
                    match.end(),
                    f'"{_squash(match.group(0))}" judges a person\'s competence. {_principle("blame")}',
                    "Describe what the person knew and what the tools showed.",
                )
        for match in anchored(_NOT_DONE, prose, lowered, section.view.present(_NOT_DONE_ANCHORS), before=40, after=40):
            sentence = prose[_sentence_start(prose, match.start()) : match.start()]
            if _EXPECTED.search(sentence):
                report(match.start(), match.end(), "measures what people did against what was expected, with hindsight")
        for match in anchored(_ONE_STEP, prose, lowered, section.view.present(_HAVE_ANCHORS), before=150, after=20):
            report(match.start(), match.end(), "makes the better path look obvious with hindsight")


_SUBJECT_STOP = frozenset(
    "had hadn't hadn’t 'd ’d would could should might was were is are has have did didn't not been".split()
)
_COND_FILLERS = frozenset("not only just simply actually even really bothered to been properly ever".split())
_INVERSION_AFTER = re.compile(
    r"(?:^|[,;:(—–-]|\b(?:avoidable|preventable|avoided|prevented|caught|fine|different|happened|occurred|"
    r"noticed|spotted|averted|minutes|hours|sooner|earlier|ago))\s*$",
    re.I,
)


def _conditional_about_people(prose: str, match: re.Match, people) -> bool:
    """'if Sam had checked', 'had the team run the test', 'unless someone had looked': a person in a past conditional,
    with a 'would have' in the same sentence."""
    word = match.group(0).split()[0].lower()
    sentence_start = _sentence_start(prose, match.start())
    if word == "had" and not _INVERSION_AFTER.search(prose[sentence_start : match.start()]):
        return False  # "We had the alert": an ordinary past
    toks = tokens_between(prose, match.start() + len(word), min(len(prose), match.start() + 160))
    subject = []
    rest = toks
    for k, (tok, _, _) in enumerate(toks[:7]):
        low = tok.lower().replace("’", "'")
        if low in _SUBJECT_STOP or (word == "had" and subject and (is_participle(tok) or low in HUMAN_DECISION_FORMS)):
            rest = toks[k:]
            break
        subject.append(tok)
    else:
        return False
    if not subject or len(subject) > 5:
        return False
    words = [w.lower().replace("’", "'") for w, _, _ in rest[:6]]
    if word != "had":
        if not words or words[0] not in ("had", "hadn't", "'d"):
            return False
        words = words[1:]
    words = [w for w in words if w not in _COND_FILLERS]
    if not words:
        return False
    if not (is_participle(words[0]) or words[0] in HUMAN_DECISION_FORMS or rest[0][0].lower() in ("been",)) and (
        "been" not in [w.lower() for w, _, _ in rest[:3]]
    ):
        return False
    if any(w.lower() in lexicon.PREPOSITIONS for w in subject):
        if not people.is_role(subject[0]) and not people.is_person(subject[0]):
            return False
        subject = subject[: next(i for i, w in enumerate(subject) if w.lower() in lexicon.PREPOSITIONS)]
    head = subject[-1]
    is_agent = people.is_person(head) or (
        head[:1].isupper() and people.looks_like_name(head) and (len(subject) == 1 or subject[0][:1].isupper())
    )
    if not is_agent:
        return False
    sentence = prose[sentence_start : _sentence_end(prose, match.end())]
    return bool(_WOULD_HAVE.search(sentence))
