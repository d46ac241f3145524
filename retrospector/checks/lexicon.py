"""Word lists the rules share. Organizations add their own through Config.words.

Kept as plain data so a reader can see at a glance what the checker knows.
"""

from __future__ import annotations

# People, as the subject of a sentence. "they" and "it" are left out on purpose: they refer to
# systems as often as to people, and guessing wrong would make the checker noisy.
PERSON_PRONOUNS = frozenset("i we he she you someone somebody nobody everyone everybody anyone anybody".split())

# Words that can appear in a person's display name or handle but never name them on their own.
NOT_PERSON_WORDS = frozenset("the a an of and de da van von der le la bin al mr mrs ms dr jr sr bot admin".split())

# Roles and groups of people. Users and customers are deliberately absent: they are the people
# an incident happens to, and "users could not log in" is impact, not blame.
ROLE_NOUNS = frozenset(
    """
    engineer engineers developer developers dev devs operator operators oncall on-call on-caller
    on-callers oncaller oncallers sre sres admin admins administrator administrators sysadmin
    sysadmins dba dbas responder responders intern interns contractor contractors manager managers
    reviewer reviewers maintainer maintainers committer committers human humans person persons
    people staff employee employees teammate teammates colleague colleagues team teams squad
    commander ic lead leads architect architects tester testers analyst analysts technician
    technicians member members individual individuals folks owner owners author management
    leadership captain captains coordinator coordinators facilitator facilitators scribe
    ops support deployer deployers approver approvers authors releaser releasers requester
    requesters on-duty junior juniors senior seniors newbie newbies hire hires guy guys crew
    department desk helpdesk servicedesk noc soc itops consultant consultants freelancer
    freelancers vendor-engineer officer officers rota-holder whoever whomever qa
    programmer programmers coder coders techie techies specialist specialists supervisor
    supervisors director directors executive executives cto cio ciso vp chief
    dev-team devteam sysop sysops webmaster dispatcher dispatchers nurse nurses doctor doctors
    clerk clerks rep reps representative representatives associate associates
    approvers signatory trainee trainees apprentice apprentices
    volunteer volunteers contributor contributors founder founders shift marketing sales
    night-shift day-shift cofounder co-founder cofounders co-founders editor editors liaison liaisons finance
    legal procurement accounting payroll producer producers board committee security
    """.split()
)

# Common given names from many languages. Names that are also ordinary words or names of
# software (Will, May, Ruby, Julia, Travis, Hugo, Cassandra, Loki, ...) are left out; teams add
# their own people with `words: {people: [...]}` and the checker learns names from the
# document's timeline and participant lists.
GIVEN_NAMES = frozenset(
    """
    Aaron Abdul Abebe Abigail Adam Adebayo Adriana Adrian Agnieszka Ahmed Aisha Akira Alan Albert
    Alberto Alejandro Aleksandr Alex Alexander Alexandra Alexei Alfonso Ali Alice Alicia Alina Alisha
    Allison Amanda Amara Amina Amir Amit Ana Anders Andrea Andreas Andrei Andrew Andy Aneta Angela
    Anita Anja Ankit Ann Anna Anne Annika Anton Antonio Anya Arjun Arne Aron Arturo Arun Asha Ashley
    Astrid Audun Axel Ayaan Ayesha Barbara Beatriz Ben Benjamin Bernd Bianca Bjorn Björn Bob Bogdan
    Boris Brandon Brian Bruno Camila Carl Carla Carlos Carmen Carol Caroline Catherine Cecilia
    Charles Charlie Charlotte Chen Chiara Chloe Chris Christian Christina Christopher Claire Claudia
    Connor Craig Cristina Daisuke Dalia Dan Dana Daniel Daniela Danielle Dario Darius David Davide
    Deepak Denis Dennis Diana Diego Dimitri Divya Dmitri Dmitry Dominik Dora Dorothy Duc Dylan Eduardo
    Elena Eli Elif Elijah Elisa Elizabeth Ella Ellen Emil Emily Emma Emre Enrique Eric Erik Erin
    Esther Ethan Eva Evan Fabian Farah Fatima Federico Felipe Felix Fernando Filip Fiona Florian
    Francesca Francisco Frank Franz Freya Gabriel Gabriela Gareth George  Gerhard Giorgio
    Giovanni Giulia Gloria Gonzalo Greg Gregory Gustavo Hamid Hana Hannah Hans Hao Harish Harry Hassan
    Heather Helen Helena Henrik Henry Hiroshi Ibrahim Igor Ilya Ines Ingrid Irina Isaac
    Isabel Isabella Ivan Jacob Jakub James Jamie Jan Jana Jane Janet Jason Javier Jean Jeff Jennifer
    Jens Jeremy Jessica Jin Joana Joao João Johan Johannes John Jonas Jonathan  Jorge Jose José
    Josef Joseph Josh Joshua Juan Judith Julian Julie Julien Jun Justin Kai Kamal Karen Karim Karin
    Karl Karthik Kasper Kate Katarina Katharina Kathleen Katie Kavya Kenji Kenneth Kevin Khalid Kim
    Klaus Kofi Kristian Kristina Kumar Lars Laura Lauren Lea Leah Lena Leon Leonardo Li Liam Lin Linda
    Lisa Liu Lloyd Lorenzo Louis Luca Lucas Lucia Luis Luisa Lukas Magnus Mai Malik Manuel Marco
    Marcus Margaret Maria Mariam Marie Marina Mario Marta Martin Mary Mateo Mathias Matt Matteo
    Matthew Maya Mehmet Mei Melissa Mia Michael Michelle Miguel Mika Mikael Mike Mikkel  Ming
    Miriam Mohamed Mohammed Monica Morten Nadia Naomi Natalia Natasha Nathan Neha Nicholas Nicola
    Nicolas Niels Nikhil Nikita Nikolai Nils Nina Noah Nora Oleg Oliver Olivia Omar Oscar Pablo
    Paolo Patricia Patrick Paul Paula Pavel Pedro  Peter Petra Philip Pierre Pietro Piotr Pooja
    Priya Rachel Rafael Rahul Raj Rajesh Ramon Rasmus Rebecca Ricardo Richard Rita Robert Roberto
    Rohan Roman Ross Rune Ruth Ryan Sabine Sadia Sakura Sam Samantha Samir Samuel Sandra Sara Sarah
    Sean Sebastian Sergei Sergio Shreya Simon Simone Sofia Sophie Soren Søren Stefan Stefanie Stephen
    Steve Steven  Susan Sven Takeshi Tanvir Tariq Thomas Tim Timothy Tobias Tom Tomas Tomasz Tony
    Tove Ulrich Uma Valentina Vanessa Vera Victor  Vikram Vincent Vivek Walter Wei Wen
    Willi William Wojciech Xavier Xin Yan Yasmin Yegor Yuki Yusuf Zainab Zara Zhang Zoe Zoltan
    """.split()
)


def _load_names() -> frozenset[str]:
    """The larger list of given names shipped beside this module (data/given_names.txt)."""
    from pathlib import Path

    path = Path(__file__).with_name("data") / "given_names.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


GIVEN_NAMES = GIVEN_NAMES | _load_names()

# Capitalized words that are not people even when they start a timeline entry.
NOT_NAMES = frozenset(
    """
    The A An This That These Those It Its We Our They Their He She His Her You Your I My Some All
    Any No None Each Every Both Another Other Someone Nobody Everyone Anyone Team Teams Developer
    Developers Engineer Engineers Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
    February March April May June July August September October November December Alert Alerts
    Incident Issue Issues Pipeline Deploy Deployment Service Services Node Nodes Cluster Customer
    Customers User Users Support Monitoring Status Statuspage Slack Zulip Discord Teams GitHub Github
    GitLab Jira Confluence PagerDuty Opsgenie Alertmanager Grafana Prometheus Datadog Sentry
    Kubernetes Terraform Docker Helm Flux Traefik Kafka Fluentd Cloudflare AWS GCP Azure Heroku
    Jenkins Buildkite Nginx Redis Postgres PostgreSQL MySQL Elasticsearch OpenSearch CloudWatch
    Loki Mimir Tempo Thanos Vault Consul Nomad Ansible Chef Puppet Kyverno Okta ADFS KIAM CoreDNS
    Lambda Glue SageMaker ECR ECS EKS EC2 RDS ALB ELB S3 IAM DNS CDN CI CD QA API SRE SREs CE Ops
    DevOps Security Platform Infrastructure Infra Product Management Everything Nothing Something
    """.split()
)

# Verbs that, directly after a capitalized word at the start of a timeline entry, show that the
# word is a person ("Priya acknowledged the page"). Systems rarely do these things.
HUMAN_ACTION_VERBS = frozenset(
    """
    acknowledged acknowledges acked acks joined joins asked asks said says noticed notices wrote
    writes replied replies declared declares escalated escalates pinged pings messaged suggested
    suggests proposed proposes agreed agrees decided decides realized realizes realised realises
    volunteered volunteers contacted contacts informed informs thanked explained explains emailed
    emails tweeted tweets answered answers
    """.split()
)

# Verbs after "failed to", "should have" ... that only a person does; they make an unknown
# capitalized subject count as a person.
COGNITIVE_VERBS = frozenset(
    """
    notice noticed check checked verify verified review reviewed follow followed escalate
    escalated communicate communicated ask asked tell told inform informed realize realized realise
    realised consider considered look looked pay paid acknowledge acknowledged understand
    understood know known think thought remember remembered wait waited coordinate coordinated
    announce announced warn warned mention mentioned page paged notify notified respond responded
    double-check double-checked
    """.split()
)

# Blame vocabulary: phrases that make a person the explanation. Each entry is a regular
# expression fragment matched case-insensitively on word boundaries.
BLAME_TERMS = (
    r"human[- ]errors?",
    r"operator[- ]errors?",
    r"user[- ]errors?",
    r"pilot[- ]errors?",
    r"engineer(?:ing)?[- ]errors?",
    r"personnel[- ]errors?",
    r"people[- ]errors?",
    r"human[- ](?:mistakes?|failures?|faults?|factors? error)",
    r"careless(?:ly|ness)?",
    r"negligen(?:t|tly|ce)",
    r"slopp(?:y|ily|iness)",
    r"reckless(?:ly|ness)?",
    r"incompeten(?:t|ce|cy)",
    r"inattenti(?:ve|on)",
    r"complacen(?:t|cy|ce)",
    r"(?:his|her|their|my|your|our) fault",
    r"fat[- ]finger(?:ed|ing|s)?",
    r"pebkac",
    r"dropped the ball",
    r"asleep at the wheel",
    r"should have known better",
    r"rookie (?:mistake|error)s?",
    r"without being (?:careful|thorough|diligent|attentive)",
    r"(?:was|were|wasn't|weren't) not (?:careful|thorough|diligent|attentive) enough",
    r"(?:wasn't|weren't) (?:careful|thorough|diligent|attentive) enough",
    r"not (?:careful|thorough|diligent|attentive) enough",
    r"lack of (?:care|diligence|attention to detail)",
    r"(?:wasn't|weren't|was not|were not) paying attention",
)

# Words before a blame term that turn it into a mention rather than an accusation:
# negations, meta-talk about the phrase, and beliefs recorded as beliefs.
BLAME_EXEMPT_BEFORE = (
    "not",
    "no",
    "never",
    "without",
    "nor",
    "rather than",
    "instead of",
    "avoid",
    "avoiding",
    "beyond",
    "any",
    "the term",
    "the phrase",
    "the label",
    "the labels",
    "the word",
    "the words",
    "the notion",
    "the idea",
    "the concept",
    "the myth",
    "so-called",
    "so called",
    "called",
    "calling it",
    "call it",
    "labels like",
    "words like",
    "terms like",
    "phrases like",
    "assumed",
    "assuming",
    "suspected",
    "suspecting",
    "thought it was",
    "believed",
    "ruled out",
    "rule out",
    "blameless",
    "git",
    "nobody is",
    "no one is",
    "isn't",
    "wasn't",
    "aren't",
    "weren't",
    "is not",
    "was not",
    "are not",
    "were not",
    "stop",
    "stopped",
)

# Words after a blame term that show the sentence is about the term itself.
BLAME_EXEMPT_AFTER = (
    "is never",
    "is not",
    "isn't",
    "is rarely",
    "is seldom",
    "is a symptom",
    "is almost always",
    "are symptoms",
    "is a label",
    "is a myth",
    "hides",
    "explains nothing",
    "says nothing",
    "tells us nothing",
    "as a cause",
    "as an explanation",
    "as the cause",
    "is where",
    "is the start",
    "is a starting point",
    "is not an explanation",
    "ruled out",
    "was ruled out",
    "is ruled out",
)

# Verbs that make a person the cause when the person is their subject.
BLAME_CAUSE_VERBS = (
    r"caused",
    r"causes",
    r"broke",
    r"breaks",
    r"took down",
    r"takes down",
    r"brought down",
    r"crashed",
    r"corrupted",
    r"messed up",
    r"screwed up",
    r"botched",
    r"mishandled",
    r"misjudged",
    r"misconfigured",
    r"forgot",
    r"forgets",
    r"forget",
    r"ignored",
    r"ignores",
    r"overlooked",
    r"neglected(?! to)",
    r"(?:is|was|were|are) (?:directly |solely |entirely )?responsible for (?:the|this|an?) "
    r"(?:outage|incident|failure|mess|disaster|fiasco|breakage|problem|issue|downtime|bug|regression)",
    r"made (?:a|an|the|this|that) (?:mistake|error|blunder|slip)",
    r"introduced (?:the|a|an|this) (?:bug|outage|regression|failure|problem|incident)",
    r"triggered (?:the|this|an?) (?:outage|incident|failure)",
    r"(?:is|was) the (?:root )?cause",
    r"(?:is|was) the culprit",
)

# Participles after "could have" that describe a bad outcome avoided, not a better action missed
# ("without the retry budget we could have lost the queue").
LUCK_PARTICIPLES = frozenset(
    """
    lost broken corrupted crashed deleted destroyed failed gone exposed leaked damaged hurt affected
    hit overwhelmed overloaded dropped
    """.split()
)

# Words that follow "could have been" and describe luck, not hindsight ("could have been worse").
LUCK_WORDS = frozenset(
    """
    worse later longer bigger larger harder severe serious catastrophic disastrous dramatic wider
    broader greater
    """.split()
)

# Adverbs that may sit between a subject and its verb.
ADVERBS = frozenset(
    """
    also then again still just never already even both all simply really probably definitely
    certainly initially ultimately accidentally mistakenly inadvertently repeatedly completely
    clearly obviously apparently unfortunately sadly later eventually however thus therefore so
    only actually further lazily carelessly recklessly sloppily hastily blindly once
    """.split()
)

DETERMINERS = frozenset(
    "the a an our their his her my your this that these those one some every each both two another any no its".split()
)

PREPOSITIONS = frozenset(
    "of for in on at by with from to into about during after before under over between without "
    "via per through against across behind near around inside outside within beyond toward towards upon among along "
    "beside besides despite except unlike amid".split()
)

# Vague recommendation vocabulary.
VAGUE_EXHORTATIONS = (
    r"be (?:a bit |much |even |very |extra |more |a lot more |a little more |more and more )?"
    r"(?:careful|cautious|vigilant|diligent|attentive)",
    r"be (?:much |even |extra |a lot |a little |very )?more (?:aware|mindful|thorough|proactive)",
    r"(?:take|taking|took) (?:more |extra |greater )care(?! of)",
    r"be (?:more |extra |very )?(?:mindful|aware) of",
    r"pay(?:ing)? (?:more |closer |better |extra |greater )attention",
    r"try harder",
    r"do better",
    r"avoid (?:making )?(?:such |these |similar |any |careless )?mistakes",
    r"think twice",
    r"more carefully",
    r"(?:stay|remain) (?:alert|vigilant|focused|careful|cautious)",
    r"exercise (?:due |more |extra |greater |proper )?(?:diligence|caution|care)",
    r"(?:are|is|be) (?:reminded|asked|encouraged) to (?:be|exercise|take|remain|stay|double|check|pay)",
    r"double[- ]check (?:next time|in future|going forward|everything|more|before)",
    r"communicate (?:better|more clearly|more often)",
    r"(?:be|being) more (?:careful|cautious|vigilant|diligent|attentive)",
)

GENERIC_IMPROVEMENT_NOUNS = (
    "monitoring",
    "alerting",
    "alerts",
    "alarms",
    "observability",
    "testing",
    "tests",
    "test coverage",
    "coverage",
    "documentation",
    "docs",
    "communications",
    "communication",
    "processes",
    "process",
    "code reviews",
    "code review",
    "reviews",
    "review",
    "training",
    "visibility",
    "logging",
    "quality",
    "resilience",
    "reliability",
    "security",
    "awareness",
    "runbooks",
    "runbook",
    "playbooks",
    "playbook",
    "tooling",
    "governance",
    "oversight",
    "collaboration",
    "coordination",
    "ownership",
    "hygiene",
    "practices",
    "procedures",
    "knowledge sharing",
    "checks",
)

# Concrete things whose presence makes an improvement specific enough to verify.
MECHANISM_WORDS = frozenset(
    """
    alert alerts alarm alarms page pages dashboard dashboards probe probes threshold thresholds
    job jobs script scripts lint linter rule rules limit limits timeout timeouts metric metrics slo
    slos exporter exporters check checks canary canaries flag flags gate gates hook hooks test
    tests runbook runbooks playbook playbooks checklist checklists template templates policy
    policies quota quotas budget budgets webhook webhooks cron pipeline pipelines step steps
    """.split()
)

# Numbers written as words (for impact statements).
NUMBER_WORDS = frozenset(
    """
    one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred hundreds thousand thousands million millions billion billions dozen dozens half percent
    single twice
    """.split()
)

# Words that show a summary says something about impact.
IMPACT_WORDS = (
    r"users?",
    r"customers?",
    r"clients?",
    r"visitors?",
    r"requests?",
    r"traffic",
    r"unavailab\w*",
    r"outages?",
    r"down",
    r"downtime",
    r"offline",
    r"degraded",
    r"degradation",
    r"slow(?:er|ness|down)?",
    r"latency",
    r"errors?",
    r"[45]\d\d",
    r"[45]xx",
    r"timeouts?",
    r"timed out",
    r"unable",
    r"could not",
    r"couldn't",
    r"cannot",
    r"can't",
    r"fail(?:s|ed|ing|ures?)?",
    r"affect(?:s|ed|ing)?",
    r"impact(?:s|ed|ing)?",
    r"disrupt(?:s|ed|ions?)?",
    r"lost",
    r"loss",
    r"delay(?:s|ed)?",
    r"broken",
    r"broke",
    r"not working",
    r"stopped",
    r"crash\w*",
    r"no longer",
    r"blocked",
    r"prevent(?:ed|ing)?",
    r"interrupt\w*",
    r"inaccessible",
    r"missing",
    r"data",
    r"unschedulable",
    r"pending",
    r"revenue",
    r"sla",
    r"exposed",
    r"leak\w*",
    r"vulnerab\w*",
    r"nobody",
    r"no one",
    r"everyone",
    r"people",
    r"teams?",
    r"developers?",
    r"deployments?",
    r"builds?",
    r"jobs?",
    r"stuck",
    r"restor\w*",
    r"unresponsive",
    r"unhealthy",
    r"notready",
    r"lag\w*",
    r"backlog",
    r"queued?",
)

TIME_ZONES = frozenset(
    """
    UTC GMT Z CET CEST EET EEST WET WEST BST IST PST PDT MST MDT CST CDT EST EDT AEST AEDT ACST ACDT
    AWST JST KST HKT SGT NZST NZDT MSK BRT ART HST AKST AKDT WIB ICT PHT SAST WAT EAT CAT
    """.split()
)

# Things people decide or do (base forms; language.verb_forms adds -s, -ed, -ing and the irregular
# forms). A "why" question about one of these, even in the passive ("Why wasn't the alert
# escalated?"), asks people to justify themselves.
HUMAN_DECISION_VERBS = frozenset(
    """
    escalate page notify tell inform warn alert call wake ping contact ask consult involve loop
    review approve merge deploy ship push release roll revert restart reboot bounce failover test
    check verify validate notice catch spot see read follow skip ignore bypass override disable
    enable choose decide pick wait delay postpone hesitate communicate announce update document run
    execute change modify edit configure delete remove drop schedule acknowledge ack respond answer
    investigate monitor look watch hand declare open file raise flag report mention coordinate
    assign rotate renew patch upgrade install migrate provision approve sign rubber-stamp allow
    permit let accept reject trust believe assume expect think know realize realise understand
    miss forget overlook neglect leave stop start kill terminate drain cordon silence mute snooze
    dismiss close resolve mark label merge force copy paste type enter set hold loop
    apply turn switch use move attempt publish send share shut flip toggle take give hand leave keep reply action
    """.split()
)

IRREGULAR_VERBS = {
    "see": ("saw", "seen"),
    "tell": ("told",),
    "read": ("read",),
    "run": ("ran", "run"),
    "choose": ("chose", "chosen"),
    "catch": ("caught",),
    "think": ("thought",),
    "know": ("knew", "known"),
    "understand": ("understood",),
    "leave": ("left",),
    "forget": ("forgot", "forgotten"),
    "overlook": ("overlooked",),
    "let": ("let",),
    "set": ("set",),
    "ship": ("shipped",),
    "drop": ("dropped",),
    "stop": ("stopped",),
    "skip": ("skipped",),
    "plan": ("planned",),
    "commit": ("committed",),
    "admit": ("admitted",),
    "permit": ("permitted",),
    "fail": ("failed",),
    "put": ("put",),
    "make": ("made",),
    "take": ("took", "taken"),
    "give": ("gave", "given"),
    "bring": ("brought",),
    "do": ("did", "done"),
    "go": ("went", "gone"),
    "get": ("got", "gotten"),
    "write": ("wrote", "written"),
    "break": ("broke", "broken"),
    "send": ("sent",),
    "hold": ("held",),
    "keep": ("kept",),
    "cut": ("cut",),
    "hit": ("hit",),
    "pay": ("paid",),
    "say": ("said",),
}

IRREGULAR_PAST = frozenset(form for forms in IRREGULAR_VERBS.values() for form in forms)

# Capitalized words that start sentences in write-ups and are not names (on top of the other lists).
COMMON_CAPITALIZED = frozenset(
    """
    after before during while when then once because since although though however also again still just
    yesterday today tomorrow tonight morning evening night weekend later earlier finally eventually initially
    meanwhile overall unfortunately luckily fortunately thankfully sadly honestly basically actually clearly
    obviously apparently ultimately additionally furthermore moreover similarly likewise instead otherwise
    here there what which who whom whose why how where whether if unless until upon within without about
    above below under over into onto from with by for of on at in to as per via around across along among
    between behind beyond despite except inside outside through throughout toward towards near
    yes no not never always often sometimes usually rarely none nothing everything something anything
    please note lesson lessons action actions recommendation recommendations summary impact timeline analysis
    root cause causes trigger triggers detection response resolution mitigation recovery background context
    customers customer users user clients client players player tenants tenant merchants merchant patients
    traffic requests errors latency outage outages incident incidents alert alerts page pages deploy deploys
    release releases change changes config configuration rollback rollbacks migration migrations database
    databases cache caches queue queues service services server servers cluster clusters node nodes pod pods
    engineering operations ops product sales finance legal marketing billing payments checkout search login
    auth storage network networking compute frontend backend mobile web api apis app apps dashboard dashboards
    monitoring logging metrics tracing tests testing staging production prod dev canary ci cd pipeline build
    builds job jobs cron script scripts tool tools runbook runbooks playbook ticket tickets email emails chat
    call calls meeting meetings review reviews approval approvals policy policies process processes team teams
    everyone someone anyone nobody people staff management leadership support
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)
