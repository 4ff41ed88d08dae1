"""Turn a complex task into a validated, staged plan. Pure: no disk, no clock of its own.

Three sources of subtasks, one validation:

* the built-in planner (:func:`builtin_drafts`): reads the task's parts of work (an arrow
  chain, a numbered list, or its clauses), gives each a phase, adds the design and test
  steps that complex development work needs, and orders phases the way the seed's
  example does: inventory -> design -> implement -> test -> audit -> docs / deploy;
* a ``subtasks`` list carried by the task itself;
* an external planner's answer (same format as the task's own list).

:func:`build_plan` checks every draft against the seed's subtask design principles and
the DAG rules, computes stages and the resource estimate, and returns the :class:`Plan`.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from orchestrator import dag
from orchestrator.classify import Classifier
from orchestrator.config import PlannerConfig
from orchestrator.imperatives import (
    COMMON_NOUNS,
    GATHERING_VERBS,
    PEOPLE,
    SCOPE_LABELS,
    TEAM_NAMES,
    TEAMS,
    as_work,
    as_work_text,
    base_of_participle,
    coming,
    lower_subject,
    owner_of,
    participle_base,
    sentence_owner,
)
from orchestrator.models import (
    MASTERS,
    MAX_SUBTASK_ID,
    Classification,
    Plan,
    Progress,
    QueueTask,
    ResourceEstimate,
    Subtask,
    is_safe_id,
    normalize_master,
)
from orchestrator.routing import Route
from orchestrator.textsignals import (
    CRITERIA_HEADS,
    arrow_steps,
    clause_pieces,
    find_files,
    listed_items,
    names_work,
    sequence_segments,
    slug,
    strip_type_prefix,
    type_prefix,
    without_narrative,
)


class PlanError(Exception):
    """The subtasks cannot form a valid plan. ``problems`` says every reason."""

    def __init__(self, problems: Sequence[str], *, too_big: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)
        self.too_big = too_big


@dataclass(frozen=True)
class Draft:
    """A subtask before it gets its folder-wide id, stage and timestamps."""

    key: str
    title: str
    description: str
    master: str
    worker_type: str
    dependencies: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    success_criteria: str = ""
    minutes: int | None = None
    tokens: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


# --- phases of work ----------------------------------------------------------------

RANK = {"inventory": 0, "design": 1, "implement": 2, "secure": 2, "test": 3, "audit": 4, "remediate": 5, "docs": 6,
        "deploy": 6, "cutover": 7, "retire": 8, "review": 9}
WORKER_TYPE = {
    "inventory": "inventory", "design": "planner", "implement": "implementation", "secure": "implementation",
    "cutover": "deploy", "retire": "deploy", "remediate": "implementation",
    "test": "test",
    "audit": "audit", "docs": "documentation", "deploy": "deploy", "review": "review",
}
_CUTOVER_RE = re.compile(r"^\s*(?:then\s+)?(?:cut\s*over|fail\s+(?:\S+\s+){0,3}?over|switch\s+(?:dns|traffic|over)|"
                         r"flip\s+traffic|go\s+live|take\s+over(?:\s+(?:from|as)\b|\s*[.,;]?\s*$)|"
                         r"point\s+(?:the\s+)?dns|run\s+(?:both|the\s+two|old\s+and\s+new|the\s+old\s+and\s+(?:the\s+)?new|"
                         r"them)\b(?:\s+\S+){0,3}?\s+(?:side\s+by\s+side|in\s+parallel))\b", re.IGNORECASE)
_RETIRE_RE = re.compile(r"^\s*(?:then\s+|finally\s+)?(?:decommission|retire|sunset|shut\s+(?:\S+\s+){0,3}?(?:down|off)|"
                        r"tear\s+(?:\S+\s+){0,3}?down|terminate|unmount|"
                        r"power\s+(?:\S+\s+)?(?:off|down)|cancel\s+(?:\S+\s+){0,3}?(?:licen[cs]es?|subscriptions?|contracts?)|"
                        r"turn\s+(?:\S+\s+){0,3}?off|switch\s+(?:\S+\s+){0,3}?off|"
                        r"(?:remove|delete|drop)\s+the\s+old|"
                        r"keep\s+(?:\S+\s+){1,4}?(?:running|on\s+standby|(?:on\s+)?warm|alive|around)\b|"
                        r"(?:return|send\s+back|ship\s+back|hand\s+back)\s+(?:it|them|the\s+(?:old\s+)?[\w-]+(?:\s+[\w-]+)?)\s+"
                        r"to\s+the\s+(?:[\w-]+\s+)?(?:leas\w+|lessor|vendor|supplier|reseller|provider|landlord|owner)\b)\b",
                        re.IGNORECASE)
"""Switching the old thing off: ``Shut down Jenkins after two weeks``, ``Turn it off on 1 October``; keeping it
running beside the new one (``Keep v1 on standby for a week``) is what comes after the switch, before that; handing
it back (``Return it to the leasing company``) comes with it."""
_SECURING_RE = re.compile(
    r"^\s*(?:revoke|rotate|patch|fix|remove|delete|purge|upgrade|bump|harden|restrict|disable|enable|enforce|"
    r"encrypt|hash|mask|redact|sanitize|sanitise|escape|block|close|lock|rewrite|replace|invalidate|re-?issue)\b",
    re.IGNORECASE)
"""Security parts that change something (``Revoke the AWS keys``), unlike a scan or an audit."""
_WRITES_DOCUMENT_RE = re.compile(
    r"^\s*(?:then\s+)?(?:write|draft)\s+(?:down\s+|up\s+)?(?:an?\s+|the\s+|our\s+)?(?:[\w-]+\s+){0,3}?(?:narrative|"
    r"recommendations?|(?:cover\s+)?note|memo|procedure|letter|statement|lessons(?:\s+learned)?)\b", re.IGNORECASE)
"""Writing a document (a control narrative, a recommendation, a procedure, the lessons learned): documentation work,
whoever's it is, not an implementation."""
_DESIGN_RE = re.compile(r"\b(design|architect\w*|spec(?:ification)?|rfc|proposal|plan the)\b", re.I)
_TEST_RE = re.compile(r"\b(tests?|testing|qa|e2e|coverage|verify|validate|regression|smoke|test\s+suite)\b", re.I)
_RUNS_TESTS_RE = re.compile(r"^\s*(?:run|execute|re-?run)\b.*\b(?:tests?|suites?|smoke|regression|e2e|qa)\b", re.I)
_BUILD_NEW_RE = re.compile(
    r"\b(add|build|create|implement|develop|introduce|new)\b.*\b(system|feature|service|platform|app|application|module|portal|tracker|engine)\b",
    re.I,
)
_BACKEND_RE = re.compile(r"\b(backend|back-end|api|endpoints?|server|database|db|store|service)\b", re.I)
_FRONTEND_RE = re.compile(r"\b(frontend|front-end|ui|page|pages|client|dashboard|panel|view|screen|form)\b", re.I)
_LEADING_VERB_RE = re.compile(
    r"^(?:please\s+)?(?:add|build|create|implement|develop|design|make|introduce|set up|write|refactor|migrate|"
    r"update|upgrade|rewrite|replace|audit|scan|deploy|release|document|test|fix|integrate|new)\s+(?:an?\s+|the\s+|new\s+)*",
    re.I,
)
_TOPIC_STOP_RE = re.compile(
    r"(?<!\s)\s*(?:(?<![\w-])(?:with|w/|and|then|for|to|including|listing|showing|that|which|from|in|on|into|onto|across|by|via|"
    r"using|before|after|so|because|as)(?![\w-])|[,:;(→]|->).*$", re.I)
"""Where a thing's qualifiers start; a word inside a hyphenated one (``on-call``, ``site-to-site``) is no stop."""


_REVIEWING_RE = re.compile(r"\b(?:audit(?!\s*(?:log|trail))|review|pen\s*-?test|penetration|scan|assess\w*|threat\s+model|"
                          r"dpia|sign-?off|check|verify|inspect|evaluate|drill|rehearsal|game\s*day|qa|"
                          r"re-?(?:test|scan|audit|assess\w*))\b", re.IGNORECASE)


_SECURITY_TEAMS = "|".join(re.escape(name).replace(r"\ ", r"\s+") for name, domain in TEAMS.items() if domain == "security")
"""The teams whose part is security's (``appsec``, ``the red team``): from the one list of teams."""
_LIGHT_VERB_RE = re.compile(
    rf"\s*(?:(?:make|have|get|ask)\s+(?:the\s+)?(?:{_SECURITY_TEAMS})(?:/[a-z]+)?(?:\s+team)?\s+(?:to\s+)?|"
    r"(?:run|get|do|conduct|perform|carry\s+out|schedule|book|order|request|commission|organi[sz]e)\s+)",
    re.IGNORECASE)
"""Verbs whose object says what the work is: "Run the pen test" is a review, "Add an audit log" is not."""
_SECURITY_ASKED_RE = re.compile(
    r"\s*(?:(?:make|have|get|ask)\s+(?:the\s+)?)?(?:security|appsec|infosec|secops)(?:/[a-z]+)?(?:\s+team)?\s+"
    r"(?:(?:must|should|will|shall|can|needs?\s+to|has\s+to|to)\s+)?(?=(?:audit|review|pen\s*-?test|assess|sign)\w*\b)",
    re.IGNORECASE)
"""Security asked to review ("Make security review the job before it goes live", "Security must sign off"): their
review, whatever the words after it name ("goes live" is when, not a release to make)."""


_MODIFIERS = (r"(?:build|test|unit|integration|e2e|end-to-end|smoke|load|lint|release|deploy|staging|production|prod|"
              r"dev|qa|uat|canary|nightly|debug)")
_FIRST_MODIFIER_RE = re.compile(rf"\b(?:the|our|both|all|its|their)\s+{_MODIFIERS}$", re.IGNORECASE)
_SECOND_MODIFIER_RE = re.compile(rf"{_MODIFIERS}\s+[a-z][\w-]*s\b", re.IGNORECASE)
"""``the build and test jobs``, ``the unit and integration tests``: two kinds of one thing named once, where
the second kind would otherwise read as a verb opening a part of its own ("Test jobs to ...")."""
_TO_PLACE_RE = re.compile(r"\b(?:to|into|from|onto)\s+(?:the|their|our|its|his|her|my|your)\s+[^,;]*$", re.IGNORECASE)
_SECOND_PLACE_RE = re.compile(r"\s*(?:the|their|our|its|his|her|my|your)\s", re.IGNORECASE)
"""``to the GitHub org and the design team's repos``: the second of two places after one preposition."""
_WITH_WHOM_RE = re.compile(
    r"\s*(?:the|our|their|its|an?|each|every|all|both)\s+(?:[\w-]+\s+){0,3}?(?:team|teams|leads?|owners?|vendors?|"
    r"auditors?|consultants?|agency|partners?|department|managers?|staff|people|tools?|scripts?|playbooks?|actions?|"
    r"clis?|templates?)\b", re.IGNORECASE)
"""Who or what the work is done with: a team or a person (``with the marketing team for each release announcement``),
a tool (``with the migration tool over a weekend``), though a word of work follows it."""
_WITH_THAT_RE = re.compile(r"\s*(?:(?:the|our|their)\s+)?(?:[\w-]+\s+){0,2}?[\w-]+\s+that\s", re.IGNORECASE)
"""Whom a check is made with and what it finds (``confirm with finance that the invoices are right after the
rollout``): one part, though the clause after ``that`` names work ("rollout")."""
_SECURITY_TEAM_RE = re.compile(rf"\s*(?:the\s+)?(?:{_SECURITY_TEAMS})(?:\s+team)?\b(?!\s+in\s+mind)", re.IGNORECASE)


_TESTS_A_RUN_RE = re.compile(r"^\s*(?:then\s+)?test\s+(?:restoring|recovering|failing|rolling|switching|the\s+(?:restore|"
                             r"failover|rollback|recovery))\b", re.IGNORECASE)
"""A test of an operation (``Test restoring the production backups``, ``Test the failover``): a test, not a deploy."""
_REPORTS_DONE_RE = re.compile(
    r"^\s*(?:then\s+)?(?:record|report|log|write\s+down|present|share|summari[sz]e)\s+(?:(?:the|our|all|its|their)\s+)?"
    r"(?:(?:\w+\s+)?results?|outcomes?|savings|findings|lessons|what\s+(?:was|were|has\s+been|have\s+been|we|they|it)\b|"
    r"(?:\w+\s+)?(?:rates?|progress))", re.IGNORECASE)
"""A record or report of what the work did (``Record what was deleted in the request log``, ``Report the savings to the
CFO``): after that work, though recording and reporting are inventory's words, which come first."""


def phase_of(text: str, domain: str, verbs: re.Pattern[str] | None = None) -> str:
    if _CUTOVER_RE.match(text):
        return "cutover"  # switching traffic comes after everything it switches to
    if _RETIRE_RE.match(text):
        return "retire"  # the old thing goes last: after the new one runs, and after the switch to it
    if domain == "docs" or _WRITES_DOCUMENT_RE.match(text):
        return "docs"  # "Write a short control narrative", "write down the review procedure": a document, no code
    if domain == "security":
        # revoking, rotating, patching, adding CSRF tokens, an audit log is security work done, not a review of
        # others' work
        opening = _opens_with_verb(text, verbs)
        asked = _LIGHT_VERB_RE.match(text)  # "Run the pen test", "Make security review the path": what is done
        reviews = _REVIEWING_RE.search(text[asked.end():] if asked else text.split(maxsplit=1)[0] if opening else text)
        return "audit" if reviews and not _SECURING_RE.match(text) else "secure"
    if domain == "cicd":
        return "test" if _RUNS_TESTS_RE.match(text) or _TESTS_A_RUN_RE.match(text) else "deploy"  # "Run the smoke suite ..."
    if domain == "inventory":
        return "review" if _REPORTS_DONE_RE.match(text) else "inventory"  # "Record what was deleted": after it
    if _DESIGN_RE.search(text):
        return "design"
    if _TEST_RE.search(text):
        return "test"
    return "implement"


_UNKNOWN_VERB_RE = re.compile(r"^\s*[a-z][\w-]*\s+(?:the|a|an|all|every|each|our|its|their|this|these|those|any|"
                              r"both)\s|^\s*[a-z][\w-]*[^\Ws]\s+(?:up|back|out|when|whenever|who|what|which|whether|"
                              r"if|unless|weekly|daily|monthly|hourly|\d+)\b|^\s*[a-z][\w-]*[^\Ws]\s+(?:it|them)\s+"
                              r"(?:on|in|into|to|from|with|behind|under|at|for|by|via|as|off|out|over|away|back|next|up|down)\b",
                              re.IGNORECASE)
"""A word the planner does not know as a verb before its object's determiner ("Spin the cluster"), before a
particle, a question word, an adverb of time or a number ("hook up Crowdin", "track who still calls v1",
"report weekly to the lead", "return 429"), or before "it" and where it goes ("Host it on the internal
cluster"); not a plural noun ("alerts when a backup is late")."""


def _opens_with_verb(text: str, verbs: re.Pattern[str] | None = None) -> bool:
    """Whether a part is an imperative: a known work verb opens it, or a word the planner does not know as a
    verb stands before its object's determiner ("rate-limit the login endpoint", "Spin the cluster")."""
    return bool((verbs is not None and verbs.match(text)) or (_LEADING_VERB_RE.match(text) and not _NEW_RE.match(text))
                or (_UNKNOWN_VERB_RE.match(text) and not _NOT_A_VERB_RE.match(text)))


_NEW_RE = re.compile(r"\s*new\b", re.IGNORECASE)  # "New PDF layout": an adjective, though a title may open with it
_NOT_A_VERB_RE = re.compile(r"\s*(?:\w+ing\b|(?:the|a|an|all|every|each|our|its|their|both|and|or|then|after|before|for|"
                            r"with|from|in|on|at|by|into|over|under|per|via|about|across|between|during|within|"
                            r"without|until|once|when|if|to|of)\b)", re.IGNORECASE)


def topic_of(task: QueueTask, verbs: re.Pattern[str] | None = None) -> str:
    """The thing the task is about: ``"Add authentication system with ..."`` -> ``"authentication system"``;
    ``"Migrate the orders service from MySQL to PostgreSQL"`` -> ``"orders service"``."""
    named = re.sub(r"\s+please$", "", task.title.strip(), flags=re.IGNORECASE)
    prefix = _TITLE_PREFIX_RE.match(named)
    if prefix and not (_LEADING_VERB_RE.match(prefix.group()) or (verbs is not None and verbs.match(prefix.group())
                                                                   and ":" in prefix.group())):
        named = named[prefix.end():]  # not "Build new feature: design and implement"
    # an aim is no thing worked on: "Prepare for the 2027 red-team exercise" is about the exercise (was "prepare for
    # the 2027"), "Get ready for the SOC 2 audit" about the audit (was "ready"); "Get the VPN ready for ..." the VPN
    aim = _AIM_RE.match(named)
    if aim and len(named) > aim.end():
        named = named[aim.start("thing"):aim.end("thing")] if aim.group("thing") else named[aim.end():]
    compound = bool(_NOUN_COMPOUND_RE.match(named))  # "Test results archive": a thing, no verb to cut
    title = named if compound else _LEADING_VERB_RE.sub("", named)
    if verbs is not None and title == named and not compound:
        title = verbs.sub("", title, count=1).strip()  # Prepare the SOC 2 asset inventory
    if verbs is not None:
        # "Design, build and roll out the portal": the verbs of a run share the object after the last of them
        while (joint := _VERB_JOINT_RE.match(title)) and verbs.match(title[joint.end():]):
            title = _PARTICLE_RE.sub("", verbs.sub("", title[joint.end():], count=1).strip())
        title = re.sub(r"^(?:an?|the|our|its)\s+", "", title, flags=re.I)
    title = _PARTICLE_RE.sub("", title)  # "Lock down the admin panel"
    title = re.sub(r"^of\s+(?:an?\s+|the\s+|our\s+)?(?=\S)", "", title, flags=re.I)  # "Pen test of the portal": a noun
    # "the feature of the bulk upload of the users": the thing is the bulk upload, not a feature cut at "bulk"
    title = _GENERIC_HEAD_RE.sub("", title)
    # "Overview of which of our games use which engine": an indirect question, about our games
    title = _WHICH_QUESTION_RE.sub(lambda found: f"of {found['whose'] or ''}{found['thing']}", title)
    program = _PROGRAM_RE.match(title)
    if program:
        title = program.group(1)  # "Hardening sprint for the admin panel": the admin panel
    # a quoted name is one word ("'pay by bank' open banking feature"): no qualifier starts inside it, no cut either
    title = _QUOTED_NAME_RE.sub(lambda found: found.group().replace(" ", _QUOTE_SPACE), title)
    topic = _TOPIC_STOP_RE.sub("", title).strip() or _chain_topic(named, prefix, verbs) or task.title.strip()
    topic = re.sub(r"^(?:our|your|my|their|its)\s+(?=\S)", "", topic, flags=re.I)  # "migrate our database"
    # "Move all 40 carrier API credentials": the credentials, not a count cut after "API"
    topic = _COUNTED_TOPIC_RE.sub("", topic)
    words = topic.split()
    kept = 4
    while kept < min(len(words), 6) and words[kept - 1].lower() in _OPEN_ENDED:
        kept += 1  # "app versions older than 6.0", not "app versions older than"
    return lower_subject(" ".join(words[:kept])).replace(_QUOTE_SPACE, " ") if words else "the task"


_AIM_RE = re.compile(r"^(?:please\s+)?(?:(?:prepare|prep|gear\s+up|get(?:ting)?\s+ready|be\s+ready|make\s+ready)\s+for"
                     r"|(?:get|make)\s+(?:the|our|all)\s+(?P<thing>(?:[\w.'’-]+\s+){0,4}?[\w.'’-]+)\s+ready\s+for)\s+"
                     r"(?:(?:(?:this|next)\s+year['’]s|the|our|this|next)\s+)?",
                     re.IGNORECASE)
"""An aim a title states (``Prepare for``, ``Get ready for``, ``Be ready for``): the topic is what it names after it,
or the thing made ready (``Get the SCADA network ready for ...``)."""
_COUNTED_TOPIC_RE = re.compile(r"^(?:(?:all|every|each)\s+(?:of\s+(?:the\s+|our\s+)?)?(?:(?!(?:19|20)\d\d\b)\d[\d,]*\s+)?"
                               r"|(?!(?:19|20)\d\d\b)\d[\d,]*\s+)"
                               r"(?=[a-z0-9][\w-]*\s+\S)", re.IGNORECASE)
"""A count before the things of a topic (``all 40 carrier API credentials``, ``25 council websites``): no part of
what they are, and it took a word of the four a topic keeps."""
_NOUN_COMPOUND_RE = re.compile(r"^(?:test|review|build|release|report|upload|record|document|scan|audit|deploy|"
                               r"export|import|backup|log|change)\s+[a-z][\w-]*[^\Ws]s\s+(?!(?:and|or|to|for|in|on|of|with|"
                               r"from|at|by|into|the|a|an|our|their|its|as|before|after|[a-z]+ly|faster|slower|now|again|"
                               r"first|then|that|which|where|when)\b)[a-z]", re.IGNORECASE)
"""A word that is a verb and a noun, then a plural and another noun (``Test results archive``, ``Build logs retention``,
``Release notes page``): one thing named, not a verb and its object (``Scan repos for secrets`` is)."""
_GENERIC_HEAD_RE = re.compile(r"^(?:the\s+)?(?:feature|functionality|capability|ability)\s+(?:of|for)\s+(?:the\s+|an?\s+)?"
                              r"(?=[\w-]+\s+[\w-])", re.IGNORECASE)
"""A head that names no thing of its own (``feature of the bulk upload``): the thing is what follows it."""
_WHICH_QUESTION_RE = re.compile(r"\bof\s+(?:which|what)\s+(?:of\s+)?(?P<whose>(?:our|the|their|your)\s+)?"
                                r"(?!(?:we|you|they|i|it|is|are)\b)(?P<thing>[\w-]+)\b.*$", re.IGNORECASE | re.DOTALL)
"""``of which of our games use which ...``: a question whose thing is its subject (``of our games``)."""


def _chain_topic(named: str, prefix: re.Match[str] | None, verbs: re.Pattern[str] | None) -> str:
    """The thing a title made of steps is about: the object of its last step (``Design → build → launch the
    password reset``), else what its label names (``Ridgeway Dental rebuild: design → build → QA → launch``)."""
    last = _MAPS_TO_RE.split(named.strip())[-1].strip()
    if verbs is not None and (verb := verbs.match(last)) is not None:
        thing = re.sub(r"^(?:an?|the|our|its)\s+", "", _PARTICLE_RE.sub("", last[verb.end():].strip()), flags=re.I)
        if thing:
            return _TOPIC_STOP_RE.sub("", thing).strip()
    return prefix.group().strip().rstrip(":-–— ").strip() if prefix else ""


_VERB_JOINT_RE = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|(?:and|or)\s+)", re.IGNORECASE)
"""What joins the verbs of a run that share one object (``Design, build and ship``, ``Plan and run``)."""
_PARTICLE_RE = re.compile(r"^(?:up|down|out|off|over|back|in)\s+", re.IGNORECASE)
"""A phrasal verb's particle, left when its verb is taken off (``roll out``, ``lock down``)."""


_OPEN_ENDED = frozenset({"than", "of", "the", "a", "an", "at", "per", "under", "over", "below", "above", "about", "own",
                         "our", "its", "their", "new", "old"})
"""Words a topic cut at four words cannot end on: what they open is part of the topic."""


_QUOTED_NAME_RE = re.compile(r"(?<![\w'])'[^'\n]{1,60}'(?![\w'])|\"[^\"\n]{1,60}\"|‘[^’\n]{1,60}’|“[^”\n]{1,60}”")
_QUOTE_SPACE = "\ua66e"
"""A letter no title uses (CYRILLIC LETTER MULTIOCULAR O) for a quoted name's spaces: a word's letter, so that no
qualifier ("by") is read inside the name."""


_TITLE_PREFIX_RE = re.compile(
    r"^(?:(?:re|fwd?|aw|wg)\s*:\s*)+|^[A-Z]{2,}-\d+\s+(?=\S+\s+\S)|^(?:[A-Za-z]+-\d+|[A-Za-z]+(?:\s+[A-Za-z]+){0,2}(?:\s+\d+)?)\s*(?::|\s[-–—])\s+(?=\S+\s+\S)"
    r"|^as\s+an?\s+[\w -]{1,30}?,?\s+i\s+(?:want|need|would\s+like)\s+(?:to\s+)?|^(?:coordinate|drive|orchestrate|lead|"
    r"plan\s+and\s+run|run)\s+(?=the\s)", re.IGNORECASE)
"""What a title carries before its subject: a mail's ``Re:``, a ticket's ``PAY-412``, ``sec:`` or
``Work order 7781 -``, a user story's ``As a patient I want to``, a coordinator's ``Drive the``."""
_PROGRAM_RE = re.compile(r"^(?:[\w-]+\s+){0,2}(?:sprint|project|initiative|epic|programme|program|effort|workstream|"
                         r"launch|rollout|roll-out|release)\s+"
                         r"(?:for|of|on)\s+(?:the\s+|our\s+)?(.+)$", re.IGNORECASE)


@dataclass
class _Item:
    text: str
    phase: str
    master: str
    files: list[str]
    group: int = 0
    verb: str = ""
    """The verb a verbless part takes from the one before it in its sentence ("Build the API, a UI widget")."""
    waits: bool = False
    """Whether it waits for the rest of its phase: ``Update the MX records once the last batch is done``."""
    after: int = 0
    """How many parts of its sentence and phase it comes after (``order replacements, image them``)."""
    imperative: bool = False
    """Whether it opens with a verb the planner does not know, read as one in a series of imperatives."""
    rank: int | None = None
    """Where it runs when not where its phase does: people's work in a delivery (``Train the shift leaders``) runs
    among the delivery's steps, as written."""
    said: str = ""
    """The writer's words when the part is worded otherwise (``Have legal approve the terms``)."""
    owner: str = ""
    """The domain of the team the request named as its doer (``Platform moves the secrets to Vault``), if one."""
    home: int | None = None
    """Its group before it was moved before the work a ``before`` names (``review the proxy before we remove the VPN``)."""
    refers: str = ""
    """The words of the part its ``it``/``them`` names (``Package it as a container`` after ``Write the exporter``): a
    master given the part alone is told what the pronoun is."""
    uses: bool = False
    """Whether it was placed after the part whose output it uses or checks (``Triage what they find``): its rank is
    that part's, not people's work in a delivery."""


def builtin_drafts(task: QueueTask, classifier: Classifier, config: PlannerConfig) -> list[Draft]:
    """Decompose ``task`` offline and deterministically (same task, same drafts).

    The text is cut into groups at ordering words (``then``, arrows): groups run in the
    writer's order. Within a group, parts run by phase, parallel where phases are equal.
    """
    quoted = _quoted_lines(task.full_description)
    task = classifier.bounded(task)
    if quoted:  # tidying drops a quote's marks; the reader of work needs them (a report's finding is no ask)
        task = task.model_copy(update={"description": "\n".join(
            f"> {line}" if line.strip() in quoted else line for line in task.full_description.split("\n"))})
    if _CONTROL_RE.search(task.title) or _CONTROL_RE.search(task.full_description):
        # a pasted terminal's colour codes and bells are no words of the work (the task itself keeps them)
        task = task.model_copy(update={"title": _printable(task.title), "description": _printable(task.description)
                                       if task.description is not None else None})
    # R3: what already happened ("the .env was pushed to a public gist") is not a part of the work
    prefix = type_prefix(task.full_description)  # "bug: ..." declares a type; "Purpose: ..." is no type
    known = prefix is not None and prefix.lower() not in SCOPE_LABELS \
        and any(classifier.domain_of_type(part) for part in re.split(r"[-_]", prefix))  # "Clusters: dev, prod" is no type
    verbs = work_verbs(classifier)
    description = _without_history(_asks_apart(strip_type_prefix(task.full_description) if known
                                               else task.full_description, verbs), verbs)
    main = classifier.route(task.title, description, (task.type, type_prefix(task.full_description)))
    # a title or a description written as statements ("The 4 legacy apps must be brought under ...") is read
    # as the work it asks for ("Bring the 4 legacy apps under ..."), so that each part is an imperative
    words = _work_words(classifier)
    title = as_work_text(task.title, words).rstrip(".") or task.title.strip().rstrip(".")  # "Every service."
    topic = topic_of(task.model_copy(update={"title": title}), verbs)
    # a title that names work ("Add X with security audit and docs") may name parts the description leaves out; a
    # title that only names the thing ("New checkout flow with Apple Pay") is the whole task, not a part of it
    # "80,000 patient records" is one number, not two clauses ("Migrate 80", "the 000 patient records")
    # an onboarding, a switch-off or follow-ups: actions side by side, nothing built (see _side_by_side)
    listed, switched = bool(_NO_BUILD_TOPIC_RE.search(topic) or _TIDY_TITLE_RE.match(task.title)), \
        bool(_NO_BUILD_TITLE_RE.match(task.title))
    work = as_work_text(_GROUPED_RE.sub(_GROUP_MARK, _flattened(_first_last(_GUESSES_RE.sub("", description)), verbs)),
                        words)
    items = _items(work, main, classifier, verbs, independent=listed or switched)
    # "Decommission the bastion host" over the steps that do it (terminate, delete the record, ...) is their sum
    summed = switched and len(items) >= 2
    from_title = _items(title, main, classifier, verbs) if (_opens_with_verb(title, verbs) and not summed
                                                            and not _NOUN_COMPOUND_RE.match(title)) or not items \
        else []
    if not {i.phase for i in from_title} <= {i.phase for i in items}:
        items = _unique(from_title + items)  # the title names work the description leaves out
    _kept_beside(items, task.title)
    for item in items:  # a team's mark left in words no sentence read (a part of a pasted list's tail) is no word
        item.text = owner_of(item.text)[0]
    items = _findings_apart(items, description, classifier, verbs)
    _remediations(items)
    _evidence_last(items)
    items = _objects_shared(items, f"{title}\n{work}", verbs)
    _software_built(items, classifier)
    _antecedents(items, description)
    _refinements(items)
    fixes = [item for item in items if item.phase == "remediate" and not _RETEST_RE.search(item.text)]
    for item in items:
        if item.rank is None and _RETEST_RE.search(item.text):
            item.rank = RANK["audit"]  # "ask the pen-testers for the retest": of the fix and its tests, so after them
            if fixes:  # "Fix all findings in both apps, have security retest": after the fix of what was found too
                item.rank = RANK["remediate"]
                item.after = max(item.after, 1 + max(fix.after for fix in fixes))
    items = _complete(items, task, topic, main, actions_only=listed or switched)
    if listed or switched:
        _side_by_side(items, numbered=listed)
    _assign_files(items, task, config.max_files_per_subtask)
    items = _fit(items, config.max_subtasks)
    items.sort(key=_order)
    return _with_acceptance(_drafts(items, topic, config, verbs), description)


_GUESSES_RE = re.compile(r"[ \t]*\((?=[^()\n]*\?)[^()\n]{1,200}\)")
"""A parenthesis of questions or guesses (``find out how they got in (a plugin? a leaked token?)``): hypotheses to
check while doing the work around it, not asks of their own ("Implement the leaked token?")."""
_OPENS_FIRST_RE = re.compile(r"(?:^|(?<=[.!?]\s)|(?<=\n))[ \t]*(?:first(?:\s+of\s+all|\s+things\s+first)?|"
                             r"before\s+anything\s+else|to\s+(?:begin|start)(?:\s+with)?)\s*[,:]?\s+"
                             r"(?P<rest>(?![^.!?\n]*\bthen\b)[a-z][^,;.!?\n]*?)(?P<end>[.!]?)"
                             r"(?:(?<=[.!])(?=\s+(?-i:[A-Z]))|(?=[ \t]*(?:$|\n)))"
                             r"(?!\s*(?:then|next|after|afterwards|finally|lastly|second(?:ly)?|step)\b)",
                             re.IGNORECASE)
"""A sentence that opens with its place (``First freeze the release branch.``, ``Before anything else, take a
snapshot``): read as the same step said with ``first`` at its end, which runs it before the rest; one clause only (in
``First X, then Y`` or ``First X, Y`` the order is the clauses' own), and not where the next sentence goes on in order
(``First X. Then Y.``: the writer's order runs it first already)."""


def _first_last(text: str) -> str:
    """``text`` with each sentence that opens with ``first`` saying it at its end (see ``_OPENS_FIRST_RE``)."""
    return _OPENS_FIRST_RE.sub(lambda found: f"{found['rest']} first{found['end']}", text)


_MEASURED_RE = re.compile(r"\b(?:load|stress|soak|spike|performance|perf|capacity|scale|scalability|throughput|latency|"
                          r"endurance|volume)[\s-]+tests?\b|\b(?:benchmarks?|load[\s-]+testing|profil(?:e|ing))\b",
                          re.IGNORECASE)
"""A run that measures (``Run a load test of the checkout``): its result is numbers against a target."""
_SUITE_RE = re.compile(r"\b(?:regression|unit|integration|e2e|end-to-end|smoke|acceptance|ui|api)\s+(?:tests?|suites?)\b|"
                       r"\b(?:test\s+suites?|regression\s+suite|the\s+tests)\b", re.IGNORECASE)
"""A run of a test suite (``Run the regression suite``): it passes or its failures are dealt with."""
_SECURITY_RUN_RE = re.compile(r"\b(?:secur\w*|pen[\s-]*test\w*|penetration|vulnerab\w*|sast|dast|ssl|tls|cve|"
                              r"dependency|audit|threat)\b", re.IGNORECASE)
"""A suite whose findings have severities: a security test suite keeps the security sentence."""
_TO_NEW_API_RE = re.compile(r"^\s*(?:migrate|move|port)\b[^.;]*?\b(?:to\s+(?:the\s+)?(?:[\w.'’-]+\s+){0,4}?(?:api|sdk|"
                            r"library|framework)|in\s+(?:the|our)\s+(?:[\w-]+\s+){0,2}?(?:ui|frontend|front-end|"
                            r"backend|back-end|app|client|code|codebase)\b)\b", re.IGNORECASE)
"""Code moved onto another API or SDK (``Move receipt validation in the BFF to the App Store Server API``), or within
a program (``Move card entry to Stripe Elements in the checkout UI``): code is written against it, so it is designed
and tested, unlike data or hosts moved."""


def _quoted_lines(text: str) -> frozenset[str]:
    """The lines of a quoted passage (``> An authenticated user can ...``), without their marks."""
    return frozenset(found.group(1).strip() for found in re.finditer(r"^[ \t]*>[ \t]?(.*\S.*)$", text, re.MULTILINE))


_PRONOUN_PART_RE = re.compile(r"(?P<verb>[A-Za-z][\w-]*(?:\s+(?:up|out|down|off|over|back))?)\s+(?P<pronoun>it|them)\b"
                              r"(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_NAMED_SUBJECT_RE = re.compile(
    r"(?:the|our|their|this|that|these|those|its|an?)\s+(?P<thing>(?:[\w./'-]+\s+){0,6}?[\w./'-]+)\s+(?:is|are|was|were|"
    r"has|have|had|will|still|keeps?|expires?|expired|ran|runs|needs?|broke|fails?|failed|stopped|went|sits?|lives?|"
    r"lost|leaks?|leaked|got|run|sit|live|uses?|builds?|loses?|drops?|shows?|goes|go|depends?|relies|rely)\b", re.IGNORECASE)
"""The thing a statement is about, named before its verb (``The TLS certificate on the gateway expires Friday``, ``Our
pipelines run on Jenkins 2.3``: a plural's verb too)."""


def _antecedents(items: list[_Item], description: str) -> None:
    """A part that is only a verb and a pronoun at its sentence's start (``Remove it``, ``Renew them``) names the thing
    the sentence before is about (``The old VPN appliance is still in the rack. Remove it, ...``): a master given
    "Remove it" alone does not know what to remove. Not a pronoun after a part of its own sentence (``Build the
    installer, sign it``), whose thing is that part's, nor one with nothing named before."""
    for item in items:
        part = _PRONOUN_PART_RE.fullmatch(item.text.strip())
        if not part:
            continue
        said = re.search(rf"\b{re.escape(part['verb'])}\s+{part['pronoun']}\b", description, re.IGNORECASE)
        if said is None:
            continue
        # the sentence before it, or its own sentence's start when that names the thing ("The box is old; remove it")
        before = [line for line in re.split(r"(?<=[.!?])\s+|\n+", description[:said.start()]) if line.strip()]
        named = _NAMED_SUBJECT_RE.match(before[-1].strip()) if before else None
        if named is None or (part["pronoun"].lower() == "them") != named["thing"].lower().endswith("s"):
            continue  # "it" for a plural, "them" for a singular: not this thing
        determiner = named.group().split(maxsplit=1)[0].lower()
        item.text = f"{part['verb']} {determiner} {named['thing']}{part['rest']}"


def _objects_shared(items: list[_Item], text: str, verbs: re.Pattern[str]) -> list[_Item]:
    """A verb alone shares the object of a later part of its sentence: ``bump and redeploy each`` -> ``Bump each``,
    ``Build, test and ship the new export service`` -> ``Build the new export service`` (a subtask titled just
    "Bump" says nothing of what); a later part with no object of its own (``deploy to prod``) lends none, nor one
    written elsewhere (``text``: where the parts were read, title and description). A verb alone before one whose
    words say why, not what (``rebuild and rescan to verify the fix``), is one part with it, as written."""
    joined_with: set[int] = set()
    for index, item in enumerate(items):
        words = item.text.strip(" .").split()
        if len(words) != 1 or not words[0].isalpha() or words[0].lower() in _PHASE_WORDS \
                or not _opens_with_verb(item.text, verbs) or index + 1 == len(items):
            continue  # a phase's word alone ("Deploy") is titled after the topic already
        # the first part with an object after a run of bare verbs, as written: "build, test and ship the service"
        run = list(itertools.takewhile(lambda other: len(other.text.strip(" .").split()) == 1, items[index + 1:]))
        later = items[index + 1 + len(run)] if index + 1 + len(run) < len(items) else None
        joined = r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)".join(re.escape(part.text.strip(" .")) for part in [item, *run])
        written = later is not None and later.group == item.group and _opens_with_verb(later.text, verbs) and bool(
            re.search(rf"(?<!\w){joined}(?:,\s*|\s+)and\s+{re.escape(later.text[:24])}", text, re.I))  # not "Upgrade, fix X"
        rest = later.text.split(maxsplit=1)[1] if later is not None and len(later.text.split()) > 1 else ""
        rest = _PARTICLE_RE.sub("", rest)  # "build and roll out the portal": the portal
        found = _SHARED_OBJECT_RE.match(rest) if later is not None and written else None
        if found:
            item.text = f"{words[0]} {_TOPIC_STOP_RE.sub('', found.group()).strip()}"
        elif later is not None and written and not run and re.match(r"(?:to|in\s+order\s+to|so\s+that)\s", rest, re.I):
            later.text = f"{words[0]} and {later.text[:1].lower()}{later.text[1:]}"  # "Rebuild and rescan to verify ..."
            joined_with.add(index)
    return [item for index, item in enumerate(items) if index not in joined_with]


_BUILDS_SOFTWARE_RE = re.compile(r"^\s*(?:then\s+)?build\s+(?:(?:the|a|an|our)\s+)?(?:new\s+)?(?:[\w-]+\s+){0,3}?"
                                r"(?:service|portal|app|application|website|site|workflow|api|system|platform|tool|"
                                r"feature|page|form|bot|integration|flow)\b(?!\s+(?:image|images|container|artifacts?))",
                                re.IGNORECASE)
"""Building software (``Build the student housing portal``, ``Build a new newsletter signup flow``), not an image,
an installer or a release candidate, which CI builds."""


def _software_built(items: list[_Item], classifier: Classifier) -> None:
    """A part that builds software is development's implementation, though ``build`` alone reads as CI's (a bare
    ``Build`` given its object by the part after it: ``Design, build and roll out the portal``); so a rollout of
    it ranks after it, not beside it."""
    cicd, development = classifier.config.domains.get("cicd"), classifier.config.domains.get("development")
    for item in items:
        if cicd is not None and development is not None and item.master == cicd.master and item.phase == "deploy" \
                and not item.owner and item.rank is None and _BUILDS_SOFTWARE_RE.match(item.text):
            item.master, item.phase = development.master, "implement"


def _refinements(items: list[_Item]) -> None:
    """A part that refines the one written before it (``Include the IAM principal and source IP``, ``suppress the
    break-glass users' known IPs`` after ``Add a detection ...``) is done with it, by its master, not in a stage of
    its own kind before the thing it refines exists."""
    for before, item in itertools.pairwise(items):
        if item.rank is None and item.group == before.group and _REFINES_RE.match(item.text) \
                and before.phase in _ACTIONS | {"secure"}:
            item.master, item.phase, item.rank = before.master, before.phase, before.rank


_REFINES_RE = re.compile(r"\s*(?:also\s+)?(?:include|exclude|suppress|ignore|allow-?list|whitelist|skip)\b", re.IGNORECASE)


_SHARED_OBJECT_RE = re.compile(r"(?:the|an?|each|every|all|them|it|its|our|their|these|those)\b.*", re.IGNORECASE)


def _flattened(text: str, verbs: re.Pattern[str]) -> str:
    """A list's indented sub-items read as the list's own: one that asks for work (``a. run a test migration``)
    becomes an item of its own after its parent, in the writer's order (a numbered list is numbered again); one
    that only details its parent (``- Region -> region``) goes into the parent's parenthesis (an arrow there maps
    a field, it orders no steps)."""
    if "\n " not in text and "\n\t" not in text:
        return text
    out: list[str] = []
    parent: int | None = None
    details: dict[int, list[str]] = {}
    for line in text.splitlines():
        sub = _SUB_ITEM_RE.match(line) if parent is not None else None
        if sub and parent is not None:
            item = sub.group("item").strip()
            if _opens_with_verb(item, verbs) and not _MAPS_TO_RE.search(item):  # "Open -> new" maps a status
                out.append(f"{'1.' if _NUMBERED_LINE_RE.match(out[parent]) else '-'} {item}")
            else:
                details.setdefault(parent, []).append(_MAPS_TO_RE.sub(" to ", item.rstrip(" .;,")))
            continue
        parent = len(out) if _LIST_LINE_RE.match(line) else None
        out.append(line)
    for index, detail in details.items():
        out[index] = f"{out[index].rstrip(' .;,:')} ({'; '.join(detail)})"
    count = iter(range(1, len(out) + 1))
    return "\n".join(_NUMBERED_LINE_RE.sub(lambda m: f"{next(count)}{m.group(1)}", line) for line in out)


_SUB_ITEM_RE = re.compile(r"^[ \t]+(?:[-*•]|[a-z][.)]|\d{1,2}[.)])\s+(?P<item>\S.*)$")
_LIST_LINE_RE = re.compile(r"^(?:\d{1,2}[.)]|[-*•])\s+\S")
_NUMBERED_LINE_RE = re.compile(r"^\d{1,2}([.)])(?=\s)")
_MAPS_TO_RE = re.compile(r"(?<!\s)\s*(?:→|->|=>|⇒)\s*")


_CONTROL_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""A terminal's escape sequence (``ESC[31m``) or a control character other than a tab or a line break."""


def _printable(text: str) -> str:
    return _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


_GROUPED_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_GROUP_MARK = "\ue000"
"""A number's thousands separator while the text is cut at commas (a private character no writer types); the
drafts show the comma again."""


def _without_history(text: str, verbs: re.Pattern[str]) -> str:
    """The text without what already happened (``without_narrative``), but a piece that asks for work keeps its
    place even when it names the past: ``..., and write the drill report with what broke``."""
    kept = without_narrative(text)
    if kept == text:
        return text
    pieces = _PIECES_RE.split(text)
    asks = {n: piece for n, piece in enumerate(pieces) if n % 2 == 0 and (
        verbs.match(_FIRST_WORDS_RE.sub("", piece)) or coming(piece.strip()) is not None)}  # "We booked X for Y": to come
    if not asks:
        return kept
    marked = "".join(f"{_PIECE_MARK}{n}{_PIECE_MARK}" if n in asks else piece for n, piece in enumerate(pieces))
    return _MARKED_RE.sub(lambda m: asks[int(m.group(1))], without_narrative(marked))


_PIECES_RE = re.compile(r"((?<=[.;!?])\s+|,\s+|\n)")
"""Where the reader of history cuts a text (``textsignals.without_narrative``)."""
_FIRST_WORDS_RE = re.compile(r"^\s*(?:and|or)\s+", re.IGNORECASE)
_PIECE_MARK = "\ue001"
_MARKED_RE = re.compile(f"{_PIECE_MARK}(\\d+){_PIECE_MARK}")


def _asks_apart(text: str, verbs: re.Pattern[str]) -> str:
    """A run-on sentence's ask begins a sentence of its own: ``... the staff hate it so we want to rewrite it ...``,
    ``..., mostly on android 14, we should roll back ...``. What happened before it (``is written in Xamarin``,
    ``because we send emails from three places``) is cut as history, and the ask no longer goes with it."""
    if " and " in text:  # "... and the pricing page has to show them and the billing service has to charge ..."
        text = _AND_CLAUSE_RE.sub(lambda found: ". " if _clause_before(text, found.start(), verbs) else found.group(),
                                  text)
    if not _ASK_HINT_RE.search(text):
        return text
    def apart(found: re.Match[str]) -> str:
        # not "5.4.1"; and no further back than a sentence goes: a pasted run of thousands of asks without a stop was
        # searched again from its start for each (1.6 s of CPU a 20 KB description, attack22)
        floor = max(0, found.start() - _LONGEST_SENTENCE)
        start = max(floor - 1, *(text.rfind(stop, floor, found.start()) for stop in (". ", "! ", "? ", "\n"))) + 1
        opening = text[start: found.end("before")]  # "After the pen test found ... we need to": one sentence
        # only a clause of its own ends before the ask ("the staff hate it"), not "For the Spain launch we need"
        tied = found.group("before").lower() in _ASK_TIED or _SUBORDINATE_RE.match(opening) \
            or not _CLAUSE_VERB_RE.search(opening)
        return found.group() if tied else f"{found.group('before')}. "

    return _ASK_RE.sub(apart, text)


def _clause_before(text: str, end: int, verbs: re.Pattern[str]) -> bool:
    """Whether the words before an "and" make a clause of their own (``the pricing page has to show them``, ``deploy
    the app``), not the first half of one subject (``Signing secrets and the match passphrase have to be ...``)."""
    outside = re.sub(r"\([^()]*\)", lambda inner: "_" * len(inner.group()), text[:end])  # "(Starter, Team, ...)"
    start = max(outside.rfind(stop) for stop in (". ", "! ", "? ", "\n", ", ", "; ", ": ")) + 1
    before = text[start:end].strip()
    return bool(_CLAUSE_VERB_RE.search(before)) or bool(verbs.match(before)) or len(before.split()) > 5


_AND_CLAUSE_RE = re.compile(r"(?<!\s)\s+and\s+(?=(?:the|all|every|each|existing|our|its|their)\s+(?:(?!that|which|who)[\w-]+\s+)"
                            r"{0,4}?(?:has|have|needs?)\s+to\s+[a-z])", re.IGNORECASE)
"""A run-on of requirements, each with its own subject: one sentence each."""
_ASK_HINT_RE = re.compile(r"\b(?:we|i)\s+(?:should|must|need|want|would\s+like|have\s+to)\b|\b(?:can|could|would)\s+"
                          r"(?:you|someone|somebody|anyone)\s", re.IGNORECASE)
_ASK_RE = re.compile(r"(?P<before>[\w'%)]+)(?:\s*[,;]\s*|\s+)(?:(?:so|and|but)\s+)?(?:(?:so|honestly|basically|frankly|"
                     r"really|also|now)\s*,?\s+)?(?=(?:we|i)\s+(?:really\s+|also\s+)?(?:should|must|need|want|"
                     r"would\s+like|have\s+to)\b|(?:can|could|would)\s+(?:you|someone|somebody|anyone)\s)", re.IGNORECASE)
_LONGEST_SENTENCE = 1000
"""Characters: how far back a sentence's opening is looked for (the longest sentence in tests/data is 519)."""
_ASK_TIED = frozenset({"because", "since", "as", "that", "if", "when", "whether", "unless", "until", "where", "which",
                       "what", "how", "why", "once", "before", "after", "while", "and", "or", "so", "but", "then"})
"""Words after which a "we need" belongs to the clause it is in (``because we need``, ``the data that we need``)."""
_SUBORDINATE_RE = re.compile(r"\s*(?:after|when|since|because|as|once|if|before|while|although|though|until|given|"
                             r"now\s+that|for|to|in|on|at|by|ahead|during|with|from|within|per|under|over)\b", re.IGNORECASE)
_CLAUSE_VERB_RE = re.compile(r"\b(?:is|are|was|were|has|have|had|do|does|did|can|can't|cannot|could|will|won't|would|"
                             r"isn't|aren't|don't|doesn't|didn't|went|took|broke|fell|grew|hates?|keeps?|takes?|goes|"
                             r"[a-z]{3,}ed)\b", re.IGNORECASE)
"""A sentence that opens with a clause of its own (``As a shopper I want ...``, ``After the audit we need ...``)."""


_ACCEPTANCE_RE = re.compile(rf"(?:^|(?<=[.!?])\s+)(?:#+\s*)?(?:acceptance(?:\s+criteria)?|{CRITERIA_HEADS})\b\s*:?[ \t]*"
                            r"(?=\S|\n)", re.IGNORECASE | re.MULTILINE)
"""Criteria as the planner finds them: at a line's start (``CRITERIA_RE``) or a sentence's ("... Acceptance: ..."), a
whole word ("AC: ...", not the "Ac" of "Action items")."""


def _with_acceptance(drafts: list[Draft], description: str) -> list[Draft]:
    """The writer's acceptance criteria (a section the parts are not read from) become what the first part
    that builds the work is checked against, in the writer's words."""
    parts = _ACCEPTANCE_RE.split(description, maxsplit=1)
    if len(parts) < 2:
        return drafts
    lines = [re.sub(r"^\s*(?:[-*•]\s*)?(?:\[\s?[xX]?\]\s*)?(?:\d{1,2}[.)]\s*)?", "", line).strip(" .;")
             for line in re.split(r"\n|;\s*", parts[1])]
    criteria = "; ".join(line for line in lines if re.search(r"[A-Za-z]{2,}", line))[:600]
    target = next((n for n, d in enumerate(drafts) if d.worker_type == "implementation"), None)
    if not criteria or target is None:
        return drafts
    first = drafts[target]
    drafts[target] = replace(first, success_criteria=f"{first.success_criteria}; and, as the request says: {criteria}")
    return drafts


_MORE_VERBS = ("prove", "resubmit", "regenerate",
               # work done again on what exists ("..., and re-import last week's statements": a part of its own)
               "re-import", "reimport", "re-send", "resend", "reprocess", "re-process", "rescan", "re-scan",
               "re-enable", "reenable", "reprice", "re-price", "re-sync", "resync", "replay", "requeue", "re-queue",
               "revoke", "containerize", "containerise", "switch", "cut over", "cut", "post", "grant", "record",
               "document", "write", "store", "send", "announce", "translate", "hash", "mask", "sanitize", "sanitise",
               "escape", "encrypt", "show", "display", "hide", "render", "support", "allow", "connect", "backport",
               "restart", "scale", "promote", "pin", "pull", "push", "purge", "invalidate", "drain", "compare",
               "confirm", "check", "identify", "locate", "discover", "gather", "compile", "label", "register",
               "update", "get", "give", "turn", "keep", "stop", "start", "open", "close", "block", "re-issue",
               "reissue", "spin up", "stand up", "let", "bring", "assess", "define", "obtain", "adapt", "analyse",
               "analyze", "conduct", "provide", "supply", "perform", "carry out", "copy", "transfer", "repoint",
               "invite", "load", "train", "apply", "watch", "observe", "wait", "shut", "ask", "tell", "contact",
               "email", "call", "produce", "freeze", "unfreeze", "unmount", "mount", "scaffold", "enforce",
               "require", "rate-limit", "throttle", "lock down", "pen test", "pen-test", "order", "buy", "purchase",
               "procure", "hire", "file", "issue", "have", "put", "place", "cable", "hang", "take", "serve",
               "dedupe", "deduplicate", "retrain", "transcode", "reconcile", "impersonate", "handle", "hook up",
               "normalise", "normalize", "compress", "resize", "reindex", "re-index", "geocode", "anonymise",
               "anonymize", "deprecate", "sunset", "do", "swap", "wipe", "recycle", "power off", "power down",
               "hand over", "enroll", "enrol", "replicate", "warm up", "right-size", "lower", "reduce", "adopt", "cancel",
               "redirect", "fail over", "tune", "re-test", "retest", "shortlist", "evaluate", "submit", "fetch",
               "negotiate", "approve", "choose", "interview", "help", "share", "fail", "tear down", "sign", "include",
               "raise", "increase", "decrease", "terminate", "disable", "deactivate", "offboard", "deprovision")


def work_verbs(classifier: Classifier) -> re.Pattern[str]:
    """Verbs that open a part of work: the classifier's action, making, display and lead verbs, the
    planner's own, and a few more ("Revoke the AWS keys", "Containerize the app")."""
    return _verbs_pattern(tuple(sorted(_work_words(classifier))))


def _work_words(classifier: Classifier) -> frozenset[str]:
    """The planner's work verbs for this classifier's configuration, made once per configuration (every
    draft asks for them, and the sentence reader's lookups key on the same set)."""
    config = classifier.config
    known = _WORDS.get(id(config))
    if known is None or known[0] is not config:
        words = frozenset({*config.action_verbs, *config.making_verbs, *config.display_verbs, *_MORE_VERBS,
                           *(verb for d in config.domains.values() for verb in d.lead_verbs),
                           *re.findall(r"[a-z-]+(?: up)?", _STARTS_WITH_VERB_RE.pattern)})
        if len(_WORDS) >= 8:
            _WORDS.clear()
        known = _WORDS[id(config)] = (config, words)
    return known[1]


_WORDS: dict[int, tuple[object, frozenset[str]]] = {}


@functools.lru_cache(maxsize=8)
def _verbs_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"^\s*(?:please\s+|then\s+|also\s+)?(?:{alternation})\b", re.IGNORECASE)


def _segments(text: str, verbs: re.Pattern[str]) -> list[str]:
    """The writer's ordered steps: a "then" orders work only when work (a verb) follows it; "a pipeline
    that deploys to staging and then production" is one step."""
    if arrow_steps(text):
        return sequence_segments(text)  # an arrow chain is the writer's order, whatever its steps say
    segments: list[str] = []
    cursor = 0
    for segment in sequence_segments(text):
        start = text.find(segment, cursor)
        gap, cursor = (text[cursor:start], start + len(segment)) if start >= 0 else (" then ", cursor)
        if segments and segments[-1].count("(") > segments[-1].count(")"):
            segments[-1] += f"{gap}{segment}"  # "(eu-west first, then us-east)": an order inside one step
        elif segments and not (_opens_with_verb(segment, verbs) or _CUTOVER_RE.match(segment) or _RETIRE_RE.match(segment)):
            elided = _elided(segments[-1], segment, gap, verbs)
            if elided:
                segments.append(elided)  # "deploy to staging, then prod": deploy to prod after it
            else:
                # "a pipeline that deploys to staging and then production", "the messages received after that
                # time": one step, in the writer's words (a comma in them would cut it again: "then" instead)
                segments[-1] += gap if gap.strip() and not re.search(r"[,;.]", gap) else " then "
                segments[-1] += segment
        else:
            segments.append(segment)  # "then point the producers at SQS", "then go live": a step
    return segments


def _elided(before: str, segment: str, gap: str, verbs: re.Pattern[str]) -> str | None:
    """The step a verbless "then ..." asks for with the verb of the step before it: ``Roll it out to engineering,
    then everyone else`` -> ``Roll it out to everyone else``. None where the "then" goes on one thing (``a
    pipeline that deploys to staging and then production``)."""
    clause = re.split(r"[,;.:]\s", before.strip())[-1].strip()
    words, head = clause.split(), re.split(r"[,(;\n]|[.!?](?:\s|$)", segment, maxsplit=1)[0].split()
    if "and" in gap.lower() or not words or not head or not verbs.match(clause) or _RELATIVE_RE.search(clause) \
            or " then " in clause:  # "need SSO then a pen test": its verb is not the next one's
        return None
    if not (_OBJECT_START_RE.match(segment) or (len(head) > 1 and head[1].lower() in _AFTER_OBJECT) or (
            len(head) <= 2 and re.match(r"[a-z]", segment) and head[-1].lower() not in ("it", "them"))):
        return None  # "then sweep the balances", "then security-scan it", "then a pen test": no object alone
    # the first preposition's object is what changes ("Enable the flag for staff, then everyone": for everyone),
    # else the verb's ("Upgrade the lab switch first, then the sites")
    at = next((n for n, word in enumerate(words[1:], 1) if word.lower() in _ELIDED_AFTER), 0)
    return f"{' '.join(words[:at + 1])} {segment}"


_OBJECT_START_RE = re.compile(r"(?:the|all|every|everyone|each|both|our|their|its|the\s+rest|\d)", re.IGNORECASE)
_AFTER_OBJECT = frozenset({"one", "in", "on", "at", "with", "after", "by", "for", "to", "first", "only", "else", "next"})
_ELIDED_AFTER = frozenset({"to", "on", "in", "into", "onto", "for", "at", "across", "of"})
_RELATIVE_RE = re.compile(r"\b(?:that|which|who|where|whose)\b", re.IGNORECASE)


def _items(text: str, main: Route, classifier: Classifier, verbs: re.Pattern[str], *,
           independent: bool = False) -> list[_Item]:
    """The parts of ``text`` (``independent``: actions where nothing is built, which no operations step prepares)."""
    found: list[_Item] = []
    segments = _segments(text, verbs)
    for group, segment in enumerate(segments):
        # "shadow mode first, then switch consumers": first before what follows, not before all the rest
        before_then = group + 1 < len(segments) and segment.rstrip(" ,;.\n").lower().endswith(_FIRST_ENDS)
        raw = _lettered(segment) or _rejoined(listed_items(segment))
        if raw and any(f": {raw[0].strip()}" in line and _features_listed(line, verbs) for line in segment.splitlines()):
            raw = []  # "Build a supplier portal: invoice upload, delivery booking and ...": the portal's features
        listed = [work for item in raw if (work := as_work(item, _work_words(classifier)) or _described(item))]
        # a line no listed item comes from is read on its own ("This quarter: a, b, c.\nReport to the CISO")
        lines = [line for line in segment.splitlines() if line.strip()
                 and not (listed and any(item.strip() and item.strip() in line for item in raw))]
        sentences = [[("", item) for item in listed]] if listed else []
        sentences += [
            [("", item) for item in things] if (things := _condition_last(_things(line, verbs)))
            else [("; " if n else "", ability.strip()) for n, ability in enumerate(line.split(";"))]
            if line.startswith("Let ")  # an ability is one part: "Let X do a, b and c"
            else _conditioned(_closed(clause_pieces(line), verbs))
            for line in (sentence_owner(line)[0] for line in lines)]
        named = [sentence_owner(line)[1] for line in lines]  # "Security asked for a review ..., because ...": theirs
        prepared = False  # whether work an operations step could prepare was written before, in this segment
        steps = bool(listed) and len(_NUMBER_RE.findall(segment)) >= 2 and sum(
            _opens_with_verb(item, verbs) for item in listed) >= 2
        for line_number, pieces in enumerate(sentences):
            if len(found) >= _MOST_PARTS:  # a pasted list of thousands: the rest stays in the last part's words
                found[-1].text += " " + " ".join(piece for _, piece in pieces)
                continue
            items = _sentence_items(pieces, bool(listed) or all(not sep for sep, _ in pieces), group, main,
                                    classifier, verbs, named[line_number - len(sentences) + len(named)]
                                    if line_number >= len(sentences) - len(named) else None)
            after = _waiting(items) if not steps else [0] * len(items)
            for step, item in enumerate(items):
                item.group = group * 100 + (step if steps else 0)  # numbered steps are the writer's order
                item.after = after[step]
                # "a threat model first" goes before the rest of its step; "remove X once no flag uses it" after
                # the rest of its phase (switching the old thing off still comes last)
                lowered = item.text.lower()
                # (by two: an operations step its own sentence runs before the work after it takes the place just
                # before the step's group, and must not land beside what the writer said comes first)
                item.group -= 2 * (not before_then and lowered.rstrip(" .!").endswith(_FIRST_ENDS)
                                   and bool(_FIRST_PART_RE.search(item.text)))
                item.waits = (" once " in lowered and bool(_ONCE_RE.search(item.text))) or (
                    " after " in lowered and bool(_AFTER_RE.search(item.text)))
            if not listed and not prepared and not independent:
                _prepares(items)
            _reviews_after_delivery(items)
            _redone_after_change(items)
            prepared = prepared or any(item.phase in _PREPARED for item in items)
            found += items
    _checks_after_delivery(found)
    _before_named(found)
    _reviews_wait(found)
    _set_up_first(found)
    _consumers_wait(found, frozenset(classifier.config.making_verbs))
    _recorded_after(found, classifier)
    _tag_first(found)
    security = classifier.config.domains.get("security")
    for item in found:  # "Find where every carrier's credentials live, move them to Secrets Manager": secrets moved
        if security is not None and not item.owner and _MOVES_IT_RE.match(item.text) and _SECRET_RE.search(item.refers):
            item.master, item.phase = security.master, "secure" if item.phase == "implement" else item.phase
    _checks_with_wait(found)
    found = _conditions_done(found, _work_words(classifier))
    if "docs" in classifier.config.domains:
        _approvals_prepared(found, classifier.config.domains["docs"].master)
    return _unique(found)


_DONE_WHEN_RE = re.compile(r"(?<!\S)(?:once|after|when)\s+(?P<subject>(?:(?:the|all|every|our|its)\s+)?[\w.-]+(?:\s+[\w.-]+)?)"
                           r"\s+(?:is|are|has\s+been|have\s+been)\s+(?P<done>[a-z]+)\b", re.IGNORECASE)
_STATES_DONE = frozenset({"do", "finish", "complete", "end", "ready", "live", "up", "down", "over"})


def _conditions_done(items: list[_Item], verbs: frozenset[str]) -> list[_Item]:
    """Work said only in a part's condition (``Remove the old SPF include once DNS is switched``, ``Upgrade to 16.x
    after the backup is verified``) is a part of its own, before the one that waits for it; not when another part
    names its thing (``Run a game day after the validation step is merged`` beside ``Add a validation step``), nor a
    state (``once the last batch is done``) or what others do (``once Apple approves``)."""
    found = list(items)
    for item in items:
        said = _DONE_WHEN_RE.search(item.text) if " is " in item.text or " are " in item.text or " been " in item.text \
            else None
        base = base_of_participle(said.group("done"), verbs) if said else None
        if said is None or base is None or base in _STATES_DONE:
            continue
        head = said.group("subject").split()[-1].lower()
        if any(head in other.text.lower() for other in items if other is not item):
            continue
        part = _Item(f"{base.capitalize()} {said.group('subject')}", item.phase, item.master, [], item.group,
                     after=item.after, rank=item.rank)
        found.insert(found.index(item), part)
        item.waits = True
    return found


_BEFORE_RE = re.compile(r"(?<!\S)before\s+(?P<clause>[^,;()]+)", re.IGNORECASE)
_RELEASED_RE = re.compile(r"\b(?:launch\w*|live|go-live|releas\w*|prod\w*|ship\w*|deploy\w*|roll\s*out|rollout|"
                          r"cut-?over|announce\w*|renewal|deadline|friday|monday|[a-z]+day|january|february|march|april|"
                          r"may|june|july|august|september|october|november|december|q[1-4])\b", re.IGNORECASE)
_GOES_OUT_RE = re.compile(r"\b(?:launch\w*|go(?:es)?[\s-]live|releas\w*|prod(?:uction)?|ship\w*|roll\s*out|rollout|"
                          r"cut\s*(?:\w+\s+)?over|cutover|switch\s+(?:\w+\s+)?over)\b", re.IGNORECASE)
"""A part that puts work in front of its users: a review of that work stays before it."""
_WORD_RE = re.compile(r"[a-z][a-z0-9-]{3,}")
_PLAIN_WORDS = frozenset({"anything", "everything", "something", "this", "that", "with", "from", "into", "them", "they",
                          "their", "there", "then", "what", "when", "which", "first", "last", "each", "every", "other",
                          "more", "some", "have", "will", "also", "only", "after", "before", "data", "work", "time"})


_WORK_STARTS_RE = re.compile(
    r"(?:any|the)\s+(?:code|work|implementation|development|coding|building)\s+(?:is|are|gets?|starts?|begins?)\b|"
    r"(?:we|you|they|anyone|anybody|engineering|development)\s+(?:start|starts|begin|begins)\b(?!\s+to\s+(?:ship|use|"
    r"roll|deploy|release))|(?:work|coding|implementation|development|building)\s+(?:starts?|begins?)\b",
    re.IGNORECASE)
"""The start of the building itself: ``before any code is written``, ``before we start``, ``before work begins``."""


def _before_named(items: list[_Item]) -> None:
    """A part said to come before other work of the request (``Have security check the bucket policy before we
    copy anything to the archive account``, ``Back up the cluster before the first drill``) runs before the parts
    that do that work, whatever their phases' ranks (``before any code is written``: before the parts that build);
    not before a release or a date (``Run the pen test before
    launch``: it already runs after the work and before the release)."""
    for item in items:
        if " before " not in item.text:
            continue
        said = _BEFORE_RE.search(item.text)
        if said is None or _RELEASED_RE.search(said.group("clause")) or _SIGN_OFF_RE.match(item.text):
            continue  # a sign-off still follows what it signs ("Get the policies approved before the window opens")
        if _WORK_STARTS_RE.match(said.group("clause")):  # "before any code is written": before all that builds
            named = [other for other in items if other is not item and other.phase in _PREPARED
                     and _order(other) <= _order(item)]
        else:
            words = set(_WORD_RE.findall(said.group("clause").lower())) - _PLAIN_WORDS
            named = [other for other in items if other is not item
                     and words & set(_WORD_RE.findall(other.text.lower())) and _order(other) <= _order(item)]
        if named:
            item.home, item.group = item.group, min(other.group for other in named) - 1


_NOT_MAKING = frozenset({"audit", "test", "remediate", "review", "docs", "retire", "cutover", "design", "inventory"})
_REVIEW_WORDS = frozenset({"review", "reviews", "audit", "audits", "check", "checks", "pen-test", "test", "assess",
                           "threat", "model", "threat-model", "security", "scan", "penetration"})
_SHIPS_RE = re.compile(r"\s*(?:then\s+)?(?:re-?deploy|deploy|ship|release|launch|roll\s+(?:\S+\s+)?out)\b", re.IGNORECASE)


def _reviews_wait(items: list[_Item]) -> None:
    """A review of a thing waits for the part that makes or sets up that thing, though that part's phase ranks after a
    review's (``Platform: put the tools behind the Access proxy``, ``Security: review the proxy config``); the
    deliveries that came after the review (``remove the VPN``, ``ship it``) still come after it. Not a part that
    ships the thing (a review clears a release) nor one the writer ordered after it (``then``)."""
    for review in items:
        if review.phase != "audit":
            continue
        head, *later = re.split(r"\s(?:before|after|once|until)\s", review.text, maxsplit=1)
        words = set(_WORD_RE.findall(head.lower())[1:]) - _PLAIN_WORDS - _REVIEW_WORDS
        first = set(_WORD_RE.findall(" ".join(later).lower())) - _PLAIN_WORDS  # "... before we export anything": not after it
        home = review.group if review.home is None else review.home
        made = [other for other in items if other is not review and other.phase not in _NOT_MAKING
                and other.group == home and _order(other) > _order(review)
                and not _SHIPS_RE.match(other.text) and not _GOES_OUT_RE.search(other.text)
                and words & set(_WORD_RE.findall(other.text.lower()))
                and not first & set(_WORD_RE.findall(other.text.lower()))]
        if not made:
            continue
        before = _order(review)
        _follow(review, max(made, key=_order))
        for other in items:
            if other is not review and other not in made and other.phase in ("deploy", "cutover", "retire") \
                    and before < _order(other) <= _order(review):
                _follow(other, review)


def _set_up_first(items: list[_Item]) -> None:
    """What a team sets up for others (``Platform moves all secrets from env files to Vault``, then ``the app teams
    change their services to read from Vault``) runs before the work written after it that uses it, though a deploy
    ranks after building: the team was named, so it is no release of that work. Not a part that ships or goes out."""
    for setup in items:
        if not setup.owner or setup.phase != "deploy" or _SHIPS_RE.match(setup.text) or _GOES_OUT_RE.search(setup.text):
            continue
        words = set(_WORD_RE.findall(setup.text.lower())[1:]) - _PLAIN_WORDS
        users = [item for item in items[items.index(setup) + 1:] if item.phase in _PREPARED and item.group == setup.group
                 and words & set(_WORD_RE.findall(item.text.lower()))]
        if users:
            setup.group -= 1


def _follow(item: _Item, anchor: _Item) -> None:
    """Place ``item`` right after ``anchor``."""
    item.group, item.rank, item.waits, item.after = anchor.group, _order(anchor)[1], anchor.waits, anchor.after + 1


_FINDS_IT = (r"(?:it|they)\s+(?:finds?|found|flags?|flagged|reports?|reported|shows?|showed|produces?|recommends?|"
             r"turns?\s+up|surfaces?|uncovers?|identif(?:y|ies)|reveals?)")
_FINDS_THE = (r"the\s+(?P<subject>[\w-]+(?:\s+[\w-]+)?)\s+(?:finds|found|flagged|shows|showed|turns\s+up|turned\s+up|"
              r"uncovers|uncovered|identifies|identified|reveals|revealed)")
"""Who found what a part uses: a pronoun with any verb of finding or reporting (``what they find``, ``the issues it
reports``), or a named part with a verb that is no noun (``every secret the scan finds``; not ``the 12 key reports``,
``the old config-file flag code``)."""
_OUTPUT_RE = re.compile(
    r"\b(?:the|its|their|these|those|all|any|every)\s+(?P<by>(?:[\w-]+\s+){0,2}?)(?:findings?|results?|recommendations?|"
    r"measurements?|numbers)\b(?!\s+(?:page|pages|list|view|tab|panel|screen|table|api|endpoint|widget|count)\b)"
    r"(?:\s+(?:from|of)\s+(?P<source>[^,;.]+))?|"
    r"\b(?:what|whatever|anything|everything|(?:the|every|each|all|any)\s+(?:[\w-]+\s+){0,2}?[\w-]+)\s+"
    rf"(?:(?P<pronoun>{_FINDS_IT})|{_FINDS_THE})\b|"
    r"\b(?:their|its)\s+(?P<their>(?:[\w-]+\s+){0,2}?)(?:report|assessment|review|audit|verdict|feedback)\b", re.IGNORECASE)
"""What a part uses of another part's output: ``Triage what they find``, ``Fix the issues it reports``, ``Rotate every
secret the scan finds``, ``Apply the recommendations from the assessment report``, ``Summarise the results``,
``Fix the gaps in their assessment report``."""
_PRODUCES_RE = re.compile(r"^\s*(?:then\s+)?(?:have\s+(?:[\w-]+\s+){0,3}?|get\s+(?:[\w-]+\s+){0,3}?|commission\s+(?:\S+\s+)"
                          r"{0,4}?)?(?:run|scan|audit|assess|review|pen-?test|test|load-test|benchmark|profile|measure|attack|probe|fuzz|"
                          r"check|triage|analy[sz]e|evaluate|investigate|inspect|survey)\b|^\s*(?:run|do|book|"
                          r"commission|get|have)\b.*\b(?:audit|review|scan|pen[\s-]*test|assessment|analysis|survey|"
                          r"tests?|benchmark|validation|evaluation|inspection)\b", re.IGNORECASE)
"""A part whose output is findings or results: a run, a review, a measure, a triage."""
_EARLIER_RE = re.compile(r"\b(?:last|previous|prior|old|earlier|existing)\b|\b(?:19|20)\d\d\b", re.IGNORECASE)
"""An output said to come from before this work (``the findings from last year's pen test``): no part of the plan's."""
_FOUND_BY_RE = re.compile(rf"\s+(?:{_FINDS_IT}|{_FINDS_THE})\b", re.IGNORECASE)
"""The relative clause that names another part's output (``... what they find``, ``... every secret the scan finds``)."""
_CHANGE_USED_RE = re.compile(r"^\s*(?:then\s+)?(?:re-?deploy|deploy|ship|release|roll\s+out|publish|promote|push|"
                             r"apply)\s+(?:the|that|this)\s+(?:fix|change|changes|hotfix|patch|update)\b", re.IGNORECASE)
"""A delivery of the change a part before it made (``Update the VAT rates, roll out the change``)."""
_NEW_THING_RE = re.compile(r"\bthe\s+new\s+(?:[\w-]+\s+)??(?P<thing>[\w-]+)(?=\s*(?:$|[,.;:)]|\s(?:to|in|on|for|with|"
                           r"from|into|onto|across|and|at|that|so|before|after|as|behind|through|out|up|back|over)\b))",
                           re.IGNORECASE)
"""A thing a part before made, named by its head noun (``Scan the new image``, ``roll out the new base image to ...``)."""


def _stem(word: str) -> str:
    return word.lower()[:6]


def _verb_of(text: str) -> str:
    """The verb a part opens with, lower-case (``then`` skipped)."""
    verb = _LEAD_VERB_RE.match(text)
    return verb["verb"].lower() if verb else ""


def _named_part(words: str, candidates: list[_Item]) -> _Item | None:
    """The latest of ``candidates`` whose words share a stem with ``words`` (``assessment`` -> ``assess ...``)."""
    stems = {_stem(word) for word in _WORD_RE.findall(words.lower()) if word not in _PLAIN_WORDS}
    return next((part for part in reversed(candidates) if stems & {_stem(word) for word in
                                                                   _WORD_RE.findall(part.text.lower())}), None)


def _consumers_wait(items: list[_Item], making: frozenset[str]) -> None:
    """A part that uses what another part produces waits for it, whatever their phases: ``Triage what they find``
    after the pen test, ``Measure p99 latency from the load test results`` after the load test, ``Scan the new image``
    after the build of it, ``Roll out the change`` after the change. The producer is the part the words name (the
    scan, the assessment, the load test), else the nearest run or review written before it; an output from before
    this work (``the findings from last year's pen test report``), or one no part produces (``the search results
    page``, ``Post the test results`` with no run in the plan) binds to none, so independent parts stay side by side.
    A part already after its producer stays where it is."""
    followed: dict[int, _Item] = {}  # the producer each pronoun part was placed after, by the part's id
    for n, item in enumerate(items):
        earlier = items[:n]
        producer: _Item | None = None
        used = _OUTPUT_RE.search(item.text)
        if used and not _EARLIER_RE.search(used.group()):
            named = used["source"] or used["subject"] or ""
            runs = [other for other in earlier if _PRODUCES_RE.match(other.text)]
            producer = _named_part(named, earlier) if named else \
                (_named_part(used["by"] or used["their"] or "", runs) or (runs[-1] if runs else None))
        elif earlier and (pronoun := _OBJECT_PRONOUN_RE.match(item.text)) and not _placed(item.text):
            # "package it as a container" after "Write the exporter": what that part made; "store it ..., send it
            # ...": the same thing as the part before it, beside it
            word = (pronoun["pronoun"] or pronoun["sent"]).lower()
            sibling = next((other for other in reversed(earlier) if other.group == item.group and (
                said := _OBJECT_PRONOUN_RE.match(other.text)) is not None
                and (said["pronoun"] or said["sent"]).lower() == word), None)
            # ("inventory them, write the adapters, segment them": the machines, not the adapters; nor what owns
            # the last part's object, "remove its DNS config, drop it from the catalog")
            # ("build it, make sure it's secure, put it live": what that part builds)
            producer = (followed.get(id(sibling)) or (sibling if _verb_of(sibling.text) in making else None)) \
                if sibling is not None else \
                None if _OWNED_OBJECT_RE.match(earlier[-1].text) else earlier[-1]
        elif earlier and _USES_PRONOUN_RE.match(item.text) and not _placed(item.text):
            producer = None if _OWNED_OBJECT_RE.match(earlier[-1].text) else earlier[-1]
        elif _CHANGE_USED_RE.match(item.text):
            producer = earlier[-1] if earlier and earlier[-1].group == item.group else None
        elif _STAGED_MOVE_RE.match(item.text) and any(other.group == item.group for other in earlier):
            # "Write the 5 reusable workflows, migrate the 40 pipelines team by team": the move takes what the parts
            # of its sentence before it made (a rollout, cicd's, would else run beside them)
            producer = max((other for other in earlier if other.group == item.group), key=_order)
        elif (new := _NEW_THING_RE.search(item.text)) is not None:
            thing = _stem(new["thing"])
            producer = next((other for other in reversed(earlier) if thing in {_stem(word) for word in
                             _WORD_RE.findall(other.text.lower())} and (other.text.split(maxsplit=1)[0].lower() in making
                                                                       or _NEW_THING_RE.search(other.text))), None)
        elif _HARDENS_RE.match(item.text):  # "apply the CIS hardening baseline" to the image a part before builds
            producer = next((other for other in reversed(earlier) if _IMAGE_BUILT_RE.match(other.text)), None)
        if producer is None and (done := _DONE_STATE_RE.search(item.text)) is not None:
            # "close the finding once the rescan is clean": after the part its condition names
            producer = next((other for other in reversed(earlier) if _stem(done["subject"].split()[-1]) in {
                _stem(word) for word in _WORD_RE.findall(" ".join(other.text.lower().split()[:3]))}), None)
        if producer is None and (made := _MADE_BEFORE_RE.search(item.text)) is not None:
            # "delete the disabled accounts" after "disable what the audit finds": what that part's verb did
            base = (participle_base(made["done"]) or "") if len(made["done"]) > 5 else ""
            producer = next((other for other in reversed(earlier) if base and _verb_of(other.text).startswith(base)),
                            None)
        if producer is None:  # "Mount the cameras" after "Get two inspection cameras from Keyence"
            producer = next((other for other in reversed(earlier) if (got := _GOT_RE.match(other.text)) and re.search(
                rf"\b(?:the|these|those|both|all)\s+{re.escape(got['thing'])}\b", item.text, re.IGNORECASE)), None)
        if producer is None and earlier and _OBJECTLESS_SHIP_RE.match(item.text):
            # "Deploy to Netlify" after "rebuild it on Astro": it ships what its group made, whatever waited in it
            # (not a write-up or another delivery, which it need not wait for)
            producer = max((other for other in earlier if other.group == item.group and (
                other.uses or other.phase not in ("docs", "deploy"))), key=_order, default=None)
        if producer is not None and _DELIVERS_IT_RE.match(item.text):
            # a rollout goes out after everything done to what it ships (the image, then its hardening)
            producer = max((other for other in earlier if other is producer or (
                other.uses and other.group == producer.group and _order(other) > _order(producer))), key=_order)
        if producer is not None and (_OBJECT_PRONOUN_RE.match(item.text) or _USES_PRONOUN_RE.match(item.text)):
            followed[id(item)] = producer
            item.refers = producer.refers or producer.text
            if _verb_of(item.text) == "schedule":  # "Schedule it" after "Write a job ...": the job's owner runs it
                # (the job is what a part made: "Build a job ..., store the exports in ..., schedule it")
                item.master = next((other.master for other in reversed(earlier[:earlier.index(producer) + 1])
                                    if _verb_of(other.text) in making), producer.master)
        if producer is not None and _order(item) <= _order(producer):
            _follow(item, producer)
            item.uses = True


_DONE_STATE_RE = re.compile(r"\b(?:once|after|when|until)\s+(?:the\s+|all\s+|our\s+|its\s+)?(?P<subject>[\w.-]+(?:\s+[\w.-]+)?)"
                            r"\s+(?:is|are|was|were|has\s+been|have\s+been|comes?\s+back)\s+(?:clean|done|green|finished|"
                            r"complete|completed|merged|deployed|live|verified|passed|approved|signed\s+off)\b", re.IGNORECASE)
"""A condition that a named part has ended (``once the rescan is clean``, ``after the export is verified``); a state
of something else (``when the user is logged in``) names no part."""
_MADE_BEFORE_RE = re.compile(r"^\s*(?:then\s+)?[a-z][\w-]*\s+(?:\S+\s+){0,2}?(?:the|all|those|these)\s+(?P<done>[a-z]+ed)\s+"
                             r"[a-z]", re.IGNORECASE)
"""A part's object named by what a part before did to it (``delete the disabled accounts``, ``redeploy the patched
services``)."""
_DELIVERS_IT_RE = re.compile(r"^\s*(?:then\s+)?(?:re-?deploy|deploy|ship|release|launch|publish|push|promote|"
                             r"roll\s+(?:[\w-]+\s+){0,3}?out|put\s+(?:[\w-]+\s+){0,3}?live)\b", re.IGNORECASE)
"""A part that puts out what other parts made or changed (``publish it to the registry``, ``roll the new image out``)."""
_OBJECTLESS_SHIP_RE = re.compile(r"^\s*(?:then\s+)?(?:re-?deploy|deploy|ship|release|go\s+live)\s+(?:to|into|onto|on|in)\s",
                                 re.IGNORECASE)
"""A delivery that names no thing of its own (``deploy to Netlify``): of what was made before it."""
_OWNED_OBJECT_RE = re.compile(r"^\s*(?:then\s+)?[\w-]+(?:\s+(?:up|out|down|off|over|back))?\s+(?:its|their)\s", re.IGNORECASE)
"""A part whose object belongs to the thing a pronoun after it names (``remove its DNS config``)."""
_HARDENS_RE = re.compile(r"^\s*(?:then\s+)?(?:harden\b|apply\s+(?:the\s+|a\s+)?(?:[\w.-]+\s+){0,3}?(?:hardening|"
                         r"baseline|benchmark)\b)", re.IGNORECASE)
"""Hardening, which works on a machine or an image that exists (a part before may build it)."""
_IMAGE_BUILT_RE = re.compile(r"^\s*(?:then\s+)?(?:build|create|make|bake|set\s+up)\s+(?:[\w.-]+\s+){0,5}?"
                             r"(?:images?|amis?|templates?)\b", re.IGNORECASE)
"""A part that builds a machine image (``build a golden image``, ``build an automated image pipeline``)."""
_OBJECT_PRONOUN_RE = re.compile(
    r"^\s*(?:then\s+)?(?!(?:tell|ask|remind|train|help|invite|let|thank|pay|call|brief|contact|warn|inform|notify|"
    r"update|onboard|welcome)\b)(?:(?:email|e-mail|mail|send|give|show|offer|grant|forward)\s+(?P<sent>it|them)\s+to\b|"
    r"(?!(?:email|e-mail|mail|send|give|show|offer|grant|forward)\b)[a-z][\w-]*(?:\s+(?:up|out|down|off|over|back))?\s+"
    r"(?P<pronoun>it|them)\b(?!\s+(?:a|an|the|our|their|its|this|that|these|those|access|read|write|[\w-]+'s)\b))",
    re.IGNORECASE)
"""A part whose object is the pronoun right after its verb (``package it as a container``, ``load them into ...``,
``send it to the CRM``): the thing the part before it made or found, whatever their phases; not people (``tell
them``, ``email them twice``, ``give them access``)."""
_USES_PRONOUN_RE = re.compile(
    r"^\s*(?:then\s+)?(?!(?:tell|talk|speak|write|explain|send|email|e-mail|mail|reply|report|show|present|brief|"
    r"remind|ask|warn|inform|notify)\b)[a-z][\w-]*\s+(?:[\w.'’-]+\s+){1,6}?(?:(?:on|onto|into)\s+(?P<placed>it|them)\b|"
    r"to\s+(?:use|call|read|consume|query|load|point\s+(?:at|to))\s+(?P<used>it|them)\b)", re.IGNORECASE)
"""A part whose pronoun is where its object goes or what it uses (``install the check-in app on them`` after ``Buy 40
tablets``, ``update the apps to use it`` after ``Build a points sync API``): the thing the part before it made or got;
not people told something (``tell the staff about them``)."""
_GOT_RE = re.compile(r"^\s*get\s+(?:[\w-]+\s+){0,3}?(?P<thing>[\w-]+)\s+(?=of\s|for\s|from\s)(?=.*\bfrom\s+\S)",
                     re.IGNORECASE)
"""A part that gets a thing from someone outside (``Get two inspection cameras from Keyence``; see ``coming``), by
the thing's head noun, which the parts that use it name (``Mount the cameras``)."""


_RECORDS_NEW_RE = re.compile(
    r"\b(?:entry|entries)\s+(?:is\s+|are\s+)?(?:added|created|made|recorded)\s+(?:to|in|into)\b|"
    r"^\s*(?:then\s+)?(?:add|register|record|enter|list|put)\s+(?:it|them|the\s+new\s+(?:[\w-]+\s+){0,3}?[\w-]+|"
    r"(?:their|its)\s+(?:[\w-]+\s+)?(?:entry|entries|details)|an?\s+entry(?:\s+for\s+(?:[\w-]+\s+){0,3}?[\w-]+)?)\s+"
    r"(?:to|in|into|on)\s+(?:the\s+|our\s+)?(?:[\w-]+\s+){0,3}?(?:catalog(?:ue)?|register|registry|inventory|cmdb|"
    r"asset\s+list|service\s+list)\b", re.IGNORECASE)
"""A record of what the plan makes (``their entry added to our integrations catalog``, ``add it to the CMDB``,
``register the new service in the service catalog``): it records the thing once it exists; not an update with what
no part makes (``Update the asset register with last month's purchases``)."""
_RECORDED = frozenset({"implement", "secure", "deploy", "cutover"})


def _evidence_last(items: list[_Item]) -> None:
    """An evidence pack comes after the parts written before it, whose results it holds (``scan ..., fix anything
    critical, and write the evidence pack``; it ran beside the scan); one written first (``Put together an evidence
    package ..., and fix the firewall rule``) names its own contents. After the fixes of findings have their place."""
    for index, item in enumerate(items):
        if _EVIDENCE_PACK_RE.search(item.text) and not item.owner:
            shown = [other for other in items[:index] if other.phase in _RECORDED | {"audit", "remediate"}]
            if shown and _order(item) <= _order(last := max(shown, key=_order)):
                _follow(item, last)
                item.uses = True


_TAGS_RE = re.compile(r"^\s*(?:then\s+)?(?:(?:git\s+)?tag(?=\s*$|\s+(?:it|the\s+(?:release|build|commit|version)|an?\s+release|"
                      r"release|version|v?\d))|create\s+(?:the\s+|a\s+)?(?:release\s+)?tag)\b", re.IGNORECASE)
"""A release tagged (``tag the release as v5.2``, ``Tag``): what the deploy written after it ships; not resources
tagged (``Tag the EC2 instances with their cost centre``)."""


def _tag_first(items: list[_Item]) -> None:
    """A delivery written after a tag in its sentence ships the tagged release, so it waits for the tag (``tag the
    release as v5.2, and deploy v5.2``; they ran side by side, both deploys)."""
    for n, tag in enumerate(items):
        if not _TAGS_RE.match(tag.text):
            continue
        for item in items[n + 1:]:
            if item.group == tag.group and (_SHIPS_RE.match(item.text) or _DELIVERS_IT_RE.match(item.text)) \
                    and _order(item) <= _order(tag):
                _follow(item, tag)
                item.uses = True


_BOOKKEEPING_VERBS = frozenset({"update", "refresh", "archive", "finish", "tidy", "clean"})
"""Inventory work that keeps a record (``Update the asset register``, ``Archive the old repos``): nothing another part
works on comes out of it, unlike a finding, a collection or an export."""
_ENTERING_VERBS = frozenset({"add", "record", "register", "enter", "tag", "label", "put"})
_REGISTERS = r"(?:register|registry|inventory|catalog(?:ue)?|cmdb|asset\s+(?:list|db|database))"
_REGISTER_TASK_RE = re.compile(rf"\b{_REGISTERS}\s+(?:refresh|update|clean-?up|tidy|review|rebuild|overhaul)\b|^\s*(?:refresh|"
                               rf"update|clean\s+up|tidy|rebuild)\s+(?:the\s+|our\s+)?(?:[\w-]+\s+){{0,3}}?{_REGISTERS}\b",
                               re.IGNORECASE)
"""A task that is the register's upkeep (``Annual application inventory refresh``): its update is the work itself."""
_INTO_REGISTER_RE = re.compile(r"\b(?:to|in|into)\s+(?:the\s+|our\s+|their\s+)?(?:[\w-]+\s+){0,3}?(?:register|registry|"
                               r"inventory|catalog(?:ue)?|cmdb|asset\s+(?:list|db|database)|data\s+map)\s*\.?$",
                               re.IGNORECASE)
"""An entry made in a register (``add their equipment to the asset list``); not a set-up with someone (``Register the
merchant domains with Apple``) nor a change of a system (``Add Leeds as a location in the inventory service``)."""


def _recorded_after(items: list[_Item], classifier: Classifier) -> None:
    """A register or catalog entry of what the plan makes comes after the parts that make it, and is inventory's
    record, whatever words its sentence shares with the others (it was a security part beside the integration)."""
    inventory = classifier.config.domains.get("inventory")
    for item in items:
        if not _RECORDS_NEW_RE.search(item.text) or item.owner:
            continue
        made = [other for other in items if other is not item and other.phase in _RECORDED
                and not _RECORDS_NEW_RE.search(other.text)]
        if not made:
            continue
        if inventory is not None:
            item.master, item.phase = inventory.master, "inventory"
        last = max(made, key=_order)
        if _order(item) <= _order(last):
            _follow(item, last)
            item.uses = True


def _kept_beside(items: list[_Item], title: str) -> None:
    """A register kept up to date (``Update the asset register with last month's purchases``) finds nothing the
    others work on: it runs beside the first of them, not as a first stage they wait for (nor a stage of its own
    between them); unless the register is what the task is about (``Annual application inventory refresh``)."""
    if _REGISTER_TASK_RE.search(title):
        return
    for item in items:
        work = [_order(other)[1] for other in items if other.phase in _RECORDED and other.group == item.group]
        if work and item.phase == "inventory" and item.rank is None and not item.uses and not item.waits \
                and not any(other.refers == item.text for other in items) and (
                    _verb_of(item.text) in _BOOKKEEPING_VERBS or (
                        _verb_of(item.text) in _ENTERING_VERBS and bool(_INTO_REGISTER_RE.search(item.text)))):
            item.rank = min(work)


_CHECK_WITH_RE = re.compile(r"^\s*(?:then\s+)?(?:confirm|verify|check|validate|make\s+sure)\s+with\s+", re.IGNORECASE)


def _checks_with_wait(items: list[_Item]) -> None:
    """A check made with someone (``confirm with support that refunds are flowing again``, ``verify with accounting
    that the invoices carry the new rates``) confirms the work written before it: it comes after that work, not
    beside it; one written first is a question before the work, and stays where it is."""
    for n, item in enumerate(items):
        earlier = [other for other in items[:n] if other.group == item.group]
        if _CHECK_WITH_RE.match(item.text) and earlier:
            last = max(earlier, key=_order)
            if _order(item) <= _order(last):
                _follow(item, last)
                item.uses = True


_PREPARED = frozenset({"implement", "secure"})
_MIGRATIONS_RE = re.compile(r"^\s*(?:then\s+)?(?:run|apply|execute)\s+(?:\S+\s+){0,3}?migrations?\b", re.IGNORECASE)
"""Running the schema migrations a deploy needs (``Deploy v2 and run the migrations it needs``): before the deploy or
with it, never after it as work the deploy prepares."""
_BRANCHES_RE = re.compile(r"^\s*(?:freeze|cut|create|branch\s+off)\s+(?:the\s+|a\s+)?(?:[\w.-]+\s+){0,2}?(?:release\s+)?"
                          r"(?:branch|code\s+freeze)\b|^\s*freeze\s+(?:the\s+)?(?:code|main|master|release)\b",
                          re.IGNORECASE)
"""Cutting or freezing the release branch: what the tests written after it run on (``Cut the release branch, run
the regression suite``)."""
_DELIVERS_RE = re.compile(r"^\s*(?:then\s+)?(?:re-?deploy|deploy|apply|restore|release|ship|roll\s+(?:\S+\s+)?out|install|"
                          r"provision|upgrade|migrate|fail\s+(?:\S+\s+){0,3}?over|switch)\b", re.IGNORECASE)
"""A deploy that puts something out, which a check written after it checks (not ``Scale the clusters``)."""


def _prepares(items: list[_Item]) -> None:
    """Operations steps that open a segment's first sentence of work, before the work written after them (``Back
    up each config, upgrade the lab switch first``, ``Enroll them in the MDM, install the picking app``), run
    before it, though deploys rank after building; not before tests (``Ship the fix and add a regression test``)
    unless they cut or freeze the branch the tests run on, nor before the migrations a deploy needs (``Deploy v2 and
    run the migrations it needs``)."""
    run = list(itertools.takewhile(lambda item: item.phase == "deploy", items))
    rest = items[len(run):]
    if run and (any(item.phase in _PREPARED and not _MIGRATIONS_RE.match(item.text) for item in rest) or (
            all(_BRANCHES_RE.match(item.text) for item in run) and any(item.phase == "test" for item in rest))):
        for item in run:
            item.group = min(other.group for other in rest) - 1  # before "upgrade the lab switch first" too


def _reviews_after_delivery(items: list[_Item]) -> None:
    """A review or a test run written after delivery work of its own sentence (``port the jobs, move the secrets,
    have security review the new OIDC trust``, ``deploy to staging and run the smoke tests``) checks that work: it
    comes after it, though reviews and tests rank before deploys. Not
    in a sentence that releases, launches or cuts over: the review stays before that (``build it, launch by April
    1`` with an audit, ``cut DNS over at the end``)."""
    if any(_GOES_OUT_RE.search(item.text) for item in items):
        return
    for n, item in enumerate(items):
        delivered = [other for other in items[:n] if other.phase == "deploy" and other.rank is None]
        if item.phase in ("audit", "test") and item.rank is None and delivered:
            item.rank = RANK["deploy"]
            item.after = max(other.after for other in delivered) + 1


_REDOES_RE = re.compile(r"^\s*(?:then\s+)?(?:re-?(?P<verb>deploy|run|import|process|print|send|sync|load|publish|test|"
                        r"train|calculate|compute|generate)\w*)\b", re.IGNORECASE)
"""Work done again (``redeploy``, ``rerun``, ``re-import``, ``reprint``, ``re-test``)."""


def _redone_after_change(items: list[_Item]) -> None:
    """A part of a sentence that redoes work after a change written before it waits for that change: a redeploy
    ships it (``Move the images to Rocky Linux 9, redeploy the connectors``), a rerun, re-import or reprint of what
    the change touches redoes it right (``Fix the rounding in the statement parser, re-import the October
    statements``), else after the redeploy before it (``redeploy the connectors and rerun the sync``). A rerun of
something the change does not name, with no redeploy before it (``Fix the typo on the fees page, rerun the failed
    grade export``) is no part of it and stays beside it."""
    for n, item in enumerate(items):
        redo = _REDOES_RE.match(item.text)
        if redo is None:
            continue
        changes = [other for other in items[:n] if not _REDOES_RE.match(other.text)
                   and other.phase not in _NOT_MAKING | {"test"}]
        if not changes:
            continue
        words = _content_stems(item.text)
        change = changes[-1] if redo["verb"].lower() == "deploy" else next(
            (other for other in reversed(changes) if words & _content_stems(other.text)), None)
        if change is None:  # "..., redeploy the connectors and rerun the line-data sync": on what was shipped
            change = next((other for other in reversed(items[:n]) if (shipped := _REDOES_RE.match(other.text))
                           and shipped["verb"].lower() == "deploy"), None)
        if change is not None and _order(item) <= _order(change):
            _follow(item, change)
            item.uses = True


def _content_stems(text: str) -> set[str]:
    """The stems of a part's words after its verb, singular and plural alike (``statements``, ``statement``)."""
    return {_stem(word.rstrip("s")) for word in _WORD_RE.findall(text.lower())[1:] if word not in _PLAIN_WORDS}


_PERSON_DECIDES_RE = re.compile(
    r"^\s*(?:then\s+)?(?:have|get|ask)\s+(?P<who>(?!(?:it|them|this|these|those|everyone|us|me|an?)\b)"
    r"(?:[\w'-]+\s+){0,5}?[\w'-]+)\s+(?:to\s+)?(?P<act>approve|sign\s+off(?:\s+on)?|sign|review|check|confirm)\b(?!-)"
    r"\s*(?P<what>.*)$", re.IGNORECASE | re.DOTALL)
_ACT_NOUN = {"approve": "approval", "sign": "signature", "review": "review", "check": "review", "confirm": "confirmation"}
_NOT_DECIDERS_RE = re.compile(rf"(?:the\s+)?(?:{TEAM_NAMES}|testers?)\b|.*\b(?:team|engineers?|developers?)\b",
                              re.IGNORECASE)
"""Who does work rather than decide on it: a team (``sec``, ``the red team``, ``QA``) reviews; legal approves."""
_DECISION_TAIL_RE = re.compile(r"(?<!\S)(?=(?:before|after|once|when|until|by|so\s+that|in\s+time|first)\b)", re.IGNORECASE)


def _approvals_prepared(items: list[_Item], master: str) -> None:
    """A decision someone outside the masters makes (``Have legal approve the terms``, ``get the DPO to sign off on
    the setup``, ``Ask the QSA to confirm our scope``) is no part a master can do; preparing what they decide on is
    (``Prepare the terms for approval by legal``): a document's work, where the writer put the decision."""
    for item in items:
        said = _PERSON_DECIDES_RE.match(item.text)
        if said is None or _NOT_DECIDERS_RE.match(said["who"]):
            continue  # security's review is theirs; a team's review of its own work is work
        act = re.sub(r"\s+", " ", said["act"].lower())
        what, who = said["what"].strip().rstrip("."), said["who"]
        cut = _DECISION_TAIL_RE.search(what)
        thing, tail = (what[:cut.start()].strip(), " " + what[cut.start():].strip()) if cut else (what, "")
        item.said = item.text
        if thing:
            item.text = f"Prepare {thing} for {_ACT_NOUN.get(act, 'sign-off')} by {who}{tail}"
        else:  # "have the compliance officer sign off before the pilot starts"
            need = "need" if re.search(r"[^s]s$", who) else "needs"  # "native speakers need", "legal needs"
            item.text = f"Prepare what {who} {need} to {act}{tail}"
        item.rank = RANK[item.phase] if item.rank is None else item.rank  # where the writer's order put it
        item.phase, item.master, item.verb, item.imperative = "docs", master, "", False


_VERIFIES_RE = re.compile(r"^\s*(?:then\s+)?(?:verify|check|validate|confirm|spot-?check|smoke-?test)\b(?!\s+with\b)",
                          re.IGNORECASE)


def _checks_after_delivery(items: list[_Item]) -> None:
    """A check written after a delivery of its step (``Deploy v2 to production ... Verify the invoices of 10 test
    accounts``) checks what it put out: it comes after it, though both are deploys and ran side by side."""
    for n, item in enumerate(items):
        if item.phase != "deploy" or item.rank is not None or not _VERIFIES_RE.match(item.text):
            continue
        delivered = [other for other in items[:n] if other.group == item.group and other.phase == "deploy"
                     and other.rank is None and _DELIVERS_RE.match(other.text)]
        if delivered:
            item.after = max(item.after, max(other.after for other in delivered) + 1)


def _waiting(items: list[_Item]) -> list[int]:
    """How many parts of its sentence each part comes after, within its phase: a part works on what the one
    before it made (``order replacements, image them``, ``confirm who needs access, revoke the rest``), signs it
    off (``write the policies, get them approved``), or comes after a decision, a sign-off or a pilot written
    before it (``get budget approval, buy 180 seats``); else it runs beside them."""
    waits, found = 0, []
    for n, item in enumerate(items):
        waits += n > 0 and bool(_GATE_RE.match(items[n - 1].text) or (
            _ANAPHOR_RE.match(item.text) and not _placed(item.text))  # "take them off the rotation": a person
                                or _SIGN_OFF_RE.match(item.text) or _USES_BEFORE_RE.match(item.text)
                                or _CHECKS_RESULT_RE.match(item.text))
        found.append(waits)
    return found


_SIGN_OFF = r"(?:get|have|ask|make)\b[^,;]*?\b(?:approv\w*|sign(?:s|ed)?[\s-]+off|sign-?off|go-ahead)\b|(?:approve|sign\s+off)\b"
_SIGN_OFF_RE = re.compile(rf"^\s*(?:{_SIGN_OFF})", re.IGNORECASE)
"""A sign-off: after what it signs off, written before it, and before what it lets go ahead."""
_GATE_RE = re.compile(
    rf"^\s*(?:{_SIGN_OFF}|(?:get|have|ask|make)\b[^,;]*?\b(?:confirm|agree)\w*\b|"
    r"(?:agree|decide|choose|pick|select|shortlist|pilot|trial|dry-run|rehearse)\b|"
    r"(?:test|try)\s+(?:[\w-]+\s+){0,4}?on\s+(?:an?\s+|the\s+)?(?:staging|(?:[\w-]+\s+)?(?:cop(?:y|ies)|clones?|replicas?))\b|"
    r"run\s+(?:an?\s+)?(?:[\w-]+\s+){0,2}?(?:pilot|trial|dry[\s-]?run)\b)", re.IGNORECASE)
"""A part the work after it waits for: a decision, a sign-off, a pilot (``Pilot Tailscale with the infra team``), a
rehearsal (``Test the upgrade on a staging copy``)."""
_ANAPHOR_RE = re.compile(
    r"^\s*(?!(?:give|grant|show|tell|offer|email|remind|train|help|ask|invite|let)\s+them\b)[\w-]+"
    r"(?:\s+(?:up|out|down|off|over|back))?\s+(?:them|those|these|the\s+rest|the\s+(?:old|new|other)\s+ones?|each\s+one|"
    r"the\s+results?|which\s+ones|which\s+of\s+them|each(?=\s*[,.;]?\s*$))\b|^\s*[\w-]+\s+again\b", re.IGNORECASE)
"""A part whose object is what the part before it made or found: ``image them``, ``revoke the rest``, ``check which
ones expose SSH``, ``redeploy each``."""


_STATE = r"(?:builds?|compiles?|pass(?:es)?|works?|succeeds?|starts?|signs?|is\s+green|are\s+green|still\s+\w+)\b"
_CHECKS_RESULT_RE = re.compile(rf"^\s*(?:then\s+)?(?:make\s+sure|ensure|check\s+that|verify\s+that|confirm\s+that)\s+"
                               rf"(?:[\w.-]+\s+){{1,5}}?{_STATE}", re.IGNORECASE)
"""A check that what the steps before it made works (``make sure the app builds``): after them, not beside them."""
_RESULT_STATE_RE = re.compile(rf"(?:the\s+|all\s+|our\s+)?(?:[\w.-]+\s+){{0,4}}?[\w.-]+\s+{_STATE}", re.IGNORECASE)
"""A second result the same check names (``... and the analytics unit tests pass``)."""
_USES_BEFORE_RE = re.compile(
    r"^\s*(?:then\s+)?(?:(?:release|re-?release|ship|deploy|re-?deploy|publish|submit|re-?submit|upload|launch|install|"
    r"promote|roll|prove|verify|validate)\s+it\b|(?:upload|submit|re-?submit|publish|promote)\s+(?:to|into|onto|for)\s|"
    r"re-?(?:generate|sign|issue|upload|submit|publish)\b|"
    r"(?:request|ask\s+for)\s+(?:an?\s+)?(?:\S+\s+)?(?:app\s+)?(?:review|approval)\b)", re.IGNORECASE)
"""A step that uses what the step before it in the sentence made: the release of it (``build a forced-upgrade screen,
release it``), an upload with no object of its own (``Build 7.12.1, upload to App Store Connect``), a thing made again
from it (``Generate the new cert, regenerate the profiles``; not a rebuild, which recovers what was lost), a store
review of the upload. They ran beside it."""


_SECOND_VERB_RE = re.compile(r"[a-z]+[^s\W]s\s+(?:it|them|this|that|the|a|an|each|every|all|one|its|their)\b")
"""A relative clause's second verb with its object (``... that creates one env per PR`` and ``tears it down on merge``):
the same thing does it, no item of its own."""


def _rejoined(items: list[str]) -> list[str]:
    """A list's items with what a parenthesis lists kept in the item it opens in (``configures Intercom (inboxes,
    macros, SLAs)`` is one item, not three)."""
    joined: list[str] = []
    for item in items:
        if joined and joined[-1].count("(") > joined[-1].count(")"):
            joined[-1] += f", {item}"
        elif joined and _RELATIVE_RE.search(joined[-1]) and _SECOND_VERB_RE.match(item):
            joined[-1] += f" and {item}"  # "a CI pipeline that creates one env per PR and tears it down on merge"
        else:
            joined.append(item)
    return joined


_NO_BUILD_TITLE_RE = re.compile(r"^\s*(?:[\w-]+\s*:\s*)?(?:please\s+)?(?:onboard|offboard|off-board|deprovision|"
                                r"decommission|retire|sunset|shut\s+down|power\s+off|terminate)\b(?!.*\b(?:app|feature|"
                                r"service|system|platform|api|module|portal|tool)\s+(?:for|to)\b)", re.IGNORECASE)
"""A title whose work is people's accounts (``Onboard new SRE Priya Raman``, ``Offboard Jamie Chen``) or switching a
thing off (``Decommission the old bastion host``): its parts are actions, nothing is built (not ``Onboard ... to a new
portal for ...``: a thing made for it)."""
_TIDY_TITLE_RE = re.compile(r"^\s*(?:[\w-]+\s*:\s*)?(?:please\s+)?(?:tidy(?:\s+up)?|clean\s+up|housekeeping)\b(?!.*\b(?:"
                            r"code|codebase|modules?|class(?:es)?|functions?|components?|api|services?|tests?|css|styles?|"
                            r"schema|types?|imports?|logic|handlers?)\b)", re.IGNORECASE)
"""A tidy-up of what exists (``Tidy up the platform repositories``, ``Clean up GitHub before the due diligence``): a
set of actions side by side, like follow-ups, with no architecture to design; not a clean-up of code, which is a
refactoring."""
_NO_BUILD_TOPIC_RE = re.compile(r"\b(?:follow-?ups?|action\s+items?|to-?dos?|leftovers|clean-?up)\s*$|"
                                r"\b(?:new\s+)?(?:hires?|joiners?|leavers?|starters?|contractors?|interns?|employees?)\s*$",
                                re.IGNORECASE)
"""A topic that is a label over a list of actions (``INC-2291 follow-ups``) or people (``the new hires``)."""
_NOTHING_MADE = frozenset({
    "restore", "re-sync", "resync", "resume", "rebuild", "re-run", "rerun", "revoke", "rotate", "remove", "delete",
    "archive", "decommission", "retire", "migrate", "move", "import", "repoint", "re-point", "restart",
    "issue", "reissue", "re-issue", "re-sign", "re-transcode", "reimage", "re-image", "regenerate", "grant", "onboard",
    "schedule", "email", "notify", "tell", "mark", "compare", "find", "list", "record", "draft", "catalog", "verify",
    "check", "confirm", "dismiss", "rename", "upgrade", "bump", "pin", "update", "revert", "rollback", "roll",
    "redeploy", "recover", "replay", "requeue", "reprocess", "purge", "wipe", "reset", "disable", "deactivate",
    "suspend", "terminate", "deprovision", "offboard", "unassign", "reassign", "transfer", "take", "close", "cancel",
    "raise", "lower", "increase", "decrease", "resize", "rightsize", "right-size", "scale", "enrol", "enroll",
    "invite", "shut",
    # a security or operations response: containing, answering and following up make nothing either
    "block", "pull", "quarantine", "isolate", "contain", "reply", "respond", "escalate", "track", "enforce",
    "lock", "unlock", "expire", "ask",
    # operating and re-running what exists: a failover, a reboot, a reprice or a re-import makes nothing either
    "fail", "failover", "fail-over", "reboot", "cut", "switch", "apply", "tag", "publish", "submit", "reprice",
    "recalculate", "recompute", "reindex", "re-index", "reimport", "re-import", "resend", "re-send", "resubmit",
    # gathering records for someone (an auditor, a regulator): evidence is collected, not built
    "collect", "gather", "compile", "assemble"})
"""Verbs of work on what exists (recovery, clean-up, moving, telling, a response to an incident): a plan made only
of them has nothing to design and no code of its own to unit-test (``Restore the ledger DB, re-sync the cache, resume
the batch``, ``Block the sender, pull the e-mail from every mailbox``)."""
_RUN_OR_KEEP = frozenset({
    "measure", "watch", "monitor", "observe", "benchmark", "load-test", "stress-test", "triage",
    "investigate", "reproduce", "renew", "install", "rebalance", "report", "force", "retest", "re-test", "rescan",
    "get"})
"""Verbs of work that runs, measures, operates or answers what exists (``Measure p99 latency``, ``Watch the query
latency for a day``, ``Renew it``, ``Triage what they find``): they make nothing either (see ``_NOTHING_MADE``)."""
_NOT_MADE_RE = re.compile(r"^\s*(?:(?:write|type|sum|wrap)\s+(?:up|down)|(?:find|work|figure|sort)\s+out|look\s+into|hand\s+over|"
                          r"(?:write|draft|prepare|produce|send|share|circulate)\s+(?:up\s+)?(?:an?\s+|the\s+|our\s+)?"
                          r"(?:[\w-]+\s+){0,2}?(?:post-?mortem|report|summary|write-?up|rca|timeline|memo|findings|notes|"
                          r"status\s+update|lessons|narrative|recommendations?|(?:cover\s+)?note|letter|procedure|"
                          r"polic(?:y|ies)|register|(?:evidence\s+)?pack|evidence|statement)\b)", re.IGNORECASE)
"""Finding out and writing up (``Find out how they got in``, ``Write a postmortem``, ``Write up the bottlenecks``):
an answer or a report, not code to design and unit-test."""


def _builds(item: _Item) -> bool:
    """Whether a part makes something (code, a system) rather than running, measuring, answering or operating what
    exists: only what is made gets the software template's design and tests."""
    verb = item.text.split(maxsplit=1)[0].lower() if item.text.strip() else ""
    return bool(_TO_NEW_API_RE.match(item.text)) or (
        verb not in _NOTHING_MADE and verb not in _RUN_OR_KEEP and not _NOT_MADE_RE.match(item.text))


_FIXES_RE = re.compile(r"^\s*(?:then\s+)?(?:implement|apply|make|ship|write|develop|roll\s+out)\s+(?:the\s+|all\s+)?"
                       r"(?:[\w-]+\s+){0,2}?(?:fix(?:es)?|patch(?:es)?|remediations?)\b", re.IGNORECASE)
"""A fix named as a thing made (``Implement fixes for the findings``): a repair, designed like ``Fix ...``."""
_REPAIRS = frozenset({"fix", "upgrade", "bump", "patch", "update", "remove", "delete", "rename", "repair", "revert",
                      "pin", "port", "restore"})
"""Verbs that change what exists: work made only of them needs no design of its own."""


def _closed(pieces: list[tuple[str, str]], verbs: re.Pattern[str]) -> list[tuple[str, str]]:
    """Pieces with what a parenthesis holds kept in the piece it opens in: "Keep the stages (lint, test, build)"
    is one part, not three; and a verb's two receivers ("Give biomed and pharmacy a web tool") one part."""
    joined: list[tuple[str, str]] = []
    for separator, piece in pieces:
        if joined and (joined[-1][1].count("(") > joined[-1][1].count(")") or (
                separator == " and " and _GIVEN_TO_RE.match(joined[-1][1]) and _AND_RECEIVER_RE.match(piece)
                and not verbs.match(piece)) or (separator == " with " and _RUN_WITH_RE.match(joined[-1][1]))):
            # "Give biomed and pharmacy an internal web tool": the two who get it, one part; "run the build with
            # tests": how it runs, not tests to write
            joined[-1] = (joined[-1][0], f"{joined[-1][1]}{separator or ' '}{piece}")
        else:
            joined.append((separator, piece))
    return joined


_RUN_WITH_RE = re.compile(r"\s*(?:then\s+)?(?:run|re-?run|execute|re-?execute|trigger|kick\s+off)\b", re.IGNORECASE)
_GIVEN_TO_RE = re.compile(r"(?:give|grant|send|offer|show|assign|issue|lend|let)\s+[\w-]+$", re.IGNORECASE)
_AND_RECEIVER_RE = re.compile(r"[a-z][\w-]*\s+(?:a|an|the|their|its|our|access|read|write)\s")
"""``Give biomed`` | ``pharmacy an internal web tool``: a verb and its first receiver, the second receiver and what
both get (a clause cut at "and" inside a verb's two objects)."""
_CONDITION_RE = re.compile(r"(?:once|when|whenever|after|before|if|as\s+soon\s+as|until|unless|while|"
                           r"for\s+(?:the|a|an|our|this|that|each|every|all|its|their))\s", re.IGNORECASE)
"""A condition, or what the work is for (``For the ISO 27001 surveillance audit, collect ...``), that opens a
sentence: it goes with the work after it, no part of its own (was ``Run the For the ISO 27001 ... audit``)."""


def _described(item: str) -> str | None:
    """A listed thing told by what it does (``4) a CI job that fails the pipeline when branch protection is off``):
    a part, though its relative clause reads as a statement to the reader of sentences (was dropped)."""
    return item.strip() if _DESCRIBED_RE.match(item.strip()) else None


_DESCRIBED_RE = re.compile(r"(?:an?|one)\s+(?:[\w/.-]+\s+){0,3}?[\w/.-]+\s+(?:that|which)\s+(?!(?:is|are|was|were|has|had)\b)"
                           r"[a-z]+s\b", re.IGNORECASE)


def _condition_last(items: list[str]) -> list[str]:
    """A series that opens with its condition ("When HR marks someone as leaving, a job should disable the
    account, remove them from GitHub and revoke the certificate"): the condition goes with the first work, as
    in :func:`_conditioned`, not as an item of its own ("Implement the When HR marks someone as leaving")."""
    if len(items) < 2 or not _CONDITION_RE.match(items[0]):
        return items
    condition = items[0].strip()
    return [f"{items[1].rstrip(' .')} {condition[:1].lower()}{condition[1:]}", *items[2:]]


def _conditioned(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A sentence that opens with its condition ("Once it's up, run the regression suite") is the work with the
    condition after it ("Run the regression suite once it's up"): a condition is no part of its own."""
    if len(pieces) < 2 or not pieces[1][0].startswith(","):
        return pieces
    moved = _condition_last([pieces[0][1], pieces[1][1]])
    if len(moved) == 2:
        return pieces
    return [("", f"{moved[0][:1].upper()}{moved[0][1:]}"), *pieces[2:]]


_FIRST_ENDS = ("first", "beforehand", "else")
_FIRST_PART_RE = re.compile(r"^(?!.*\d\s*%\s+first)(?!.*\b(?:newest|oldest|latest|earliest|cheapest|highest|lowest|"
                            r"biggest|largest|smallest|"
                            r"most|least|best|worst|top|recent|urgent|unread|pinned|featured)\b).*\s(?:first|beforehand|"
                            r"before\s+anything\s+else)[.!]?$", re.IGNORECASE | re.DOTALL)
"""``Security wants a threat model first``; not an order of things shown (``the newest comments first``), nor a
rollout's first step (``Release 8.4.1 to 5% first``)."""
_ONCE_RE = re.compile(r"\sonce\s+(?!(?:a|an|per|more|again|or|and|in|every\s+(?:day|night|week|month|year|hour|minute|"
                      r"\d+))\b)\S", re.IGNORECASE)
"""``Update the MX records once the last batch is done``: after the work it waits for (not ``once a day``)."""
_AFTER_RE = re.compile(r"(?<!\s)\safter\s+(?:(?:the|all|every|each|its|their|that|this|we|it|they)\b|\d+\s*%)", re.IGNORECASE)
"""``Switch to KRaft after all brokers run 3.6``, ``Disable SMS after 95% of staff are enrolled``: after the work
it waits for, as ``once`` is (not ``Lock the account after 5 failed attempts``, ``Shut it down after two weeks``)."""


def _kinds_joined(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``the build and test jobs``: two kinds of one thing are one piece, routed whole (``Run the unit and integration
    tests`` is a test run; routed as ``Run the unit`` it was a deploy), not a second verb (``Test jobs to ...``)."""
    joined: list[tuple[str, str]] = []
    for separator, piece in pieces:
        if joined and separator.strip().lower() == "and" and _SECOND_MODIFIER_RE.match(piece) \
                and _FIRST_MODIFIER_RE.search(joined[-1][1]):
            joined[-1] = (joined[-1][0], f"{joined[-1][1]} and {piece}")
        else:
            joined.append((separator, piece))
    return joined


_REVIEWED_BY_RE = re.compile(
    r"(?P<thing>.+?),?\s+(?:(?:to\s+be|must\s+be|should\s+be|is|are)\s+)?(?P<act>reviewed|audited|pen-?tested|assessed|"
    r"approved|signed\s+off)\s+by\s+(?P<who>(?:the\s+)?(?:security|appsec|infosec|privacy|legal|compliance|the\s+dpo|dpo)"
    r"(?:\s*/\s*[a-z]+)?(?:\s+team)?)\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
"""A thing and who checks it (``LGPD consent screen reviewed by security/privacy``): two parts, the thing and their
review; the review is no word of the thing's title."""


_CAUSED_RE = re.compile(r"\s*(?:get|have|make|ask)\b", re.IGNORECASE)


def _reviews_apart(pieces: list[tuple[str, str]], verbs: re.Pattern[str]) -> list[tuple[str, str]]:
    """Each piece that names a thing and the team who reviews or approves it, as the thing and that team's review."""
    apart: list[tuple[str, str]] = []
    for separator, piece in pieces:
        found = _REVIEWED_BY_RE.fullmatch(piece.strip())
        if found is None or re.search(r"(?:^|\s)(?:it|them|this|that|these|those)$", found.group("thing").strip(),
                                      re.IGNORECASE) or _CAUSED_RE.match(found.group("thing")):
            # "Get it reviewed by security", "get the policy approved by legal": one part (a sign-off), as written
            apart.append((separator, piece))
            continue
        thing = found.group("thing").strip()
        verb = verbs.match(thing)  # "Build the consent screen reviewed by security": the screen is reviewed
        named = thing[verb.end():].strip() if verb else thing
        named = named if _ARTICLE_RE.match(named) else f"the {named}"
        # security reviews what it is asked to approve; legal or the DPO approve (and get it prepared for them)
        act = "approve" if found.group("act").lower() in ("approved", "signed off") \
            and not re.search(r"secur|appsec|infosec", found.group("who"), re.IGNORECASE) else "review"
        apart += [(separator, f"{thing}{found.group('rest')}"), (", ", f"have {found.group('who')} {act} {named}")]
    return apart


def _sentence_items(pieces: list[tuple[str, str]], whole: bool, group: int, main: Route, classifier: Classifier,
                    verbs: re.Pattern[str], named: str | None = None) -> list[_Item]:
    """The parts of one sentence (``whole``: each piece is an item of a list, never joined to another; ``named``: the
    team named for the whole sentence)."""
    found: list[_Item] = []
    previous: _Item | None = None
    making = False  # whether the last verb makes things: "Build the API, a UI widget" lists deliverables
    verb = ""  # the last verb: a verbless part made after it takes it ("Build the API, a UI widget")
    placed = ""  # "Add priya.r to ": a person's action whose place a list goes on naming
    listing = False  # whether a bare object was joined to the part before ("Move the builds, tests, and ...")
    # in a series of imperatives a word the planner does not know opens its part too ("Pilot Tailscale with the
    # infra team, write the ACL policy, roll it out"), unless it looks like a name or a noun
    pieces = _reviews_apart(_kinds_joined(pieces), verbs)
    # the team a part names as its doer ("Dev builds it", "@sre deploy it", "Platform team: ..."): its master does it,
    # whatever the words left after the team name; a team named for a sentence owns each of its parts
    owned = [owner_of(piece) for _, piece in pieces]
    pieces = [(separator, text) for (separator, _), (text, _, _) in zip(pieces, owned, strict=True)]
    named = named or (None if whole else next((sentence for _, _, sentence in owned if sentence), None))
    owners = [clause or sentence or named for _, clause, sentence in owned]
    for place in range(len(pieces) - 2, -1, -1):  # "IT will order and set up the laptops": the mark ends the clause
        joint = pieces[place + 1][0].strip().lower()
        if owners[place] is None and joint and joint[0] not in ",;.!?" and joint != "then":
            owners[place] = owners[place + 1]
    previous_owner: str | None = None
    previous_strong = False  # whether the part before was routed by its own words
    openings = [_opens_with_verb(piece, verbs) for _, piece in pieces]
    series = len(pieces) >= 3 and sum(openings) >= 2
    for place, (separator, part) in enumerate(pieces):
        if not re.search(r"[A-Za-z]{2,}", part):
            if previous is not None:  # "a rollout to 10% then 100%": the number belongs to the part before it
                previous.text += f"{separator if separator.strip() else ' '}{part}"
            continue
        if len(found) >= _MOST_PARTS and previous is not None:
            previous.text += f"{separator or ' '}{part}"  # read, not routed: _fit would merge it anyway
            continue
        if separator.strip() and separator.strip() in ".;!?":
            previous, making, verb, placed = None, False, "", ""  # a new sentence: nothing joins the one before
        gathers = previous is not None and (lead := _LEAD_VERB_RE.match(previous.text)) is not None \
            and lead.group("verb").lower() in GATHERING_VERBS  # "Collect pipeline logs, change approvals and ...": objects
        if previous is not None and not whole and not making and separator.strip(", ").lower() in ("", "and") \
                and (separator.startswith(",") or (gathers and listing)) and not placed \
                and (_BARE_OBJECT_RE.fullmatch(part) or (gathers and _BARE_OBJECT_RE.match(part))) \
                and (listing or gathers or not (openings[place] or (series and _likely_verb(part, False)))):
            # "Move iOS and Android builds, tests, and store uploads to GitHub Actions": the verb's objects, not a
            # part "Write tests" nor "Store uploads to ..." ("store" opens no part after a bare object)
            previous.text += f"{separator}{part}"
            listing = True
            continue
        listing = listing and not openings[place]
        if placed and separator.startswith(",") and not openings[place] and not _opens_with_verb(part, verbs):
            # "Add priya.r to GitHub team 'platform', AWS SSO group 'sre-readonly', Grafana as editor": the same
            # person goes to each place, one action each; nothing named there is made
            part = placed + _LEADING_AND_RE.sub("", part.strip())
            openings[place] = True
        placed = _placed(part) if openings[place] else placed
        # what another part finds is no word of this part's own work ("Triage what they find" is no inventory)
        route = _part_route(_FOUND_BY_RE.sub("", part), classifier, openings[place])
        if route.domain != "security" and "security" in classifier.config.domains and (
                _SECURITY_ASKED_RE.match(part) or _SECRETS_MOVED_RE.match(part) or _SECURITY_RUN_OPENS_RE.match(part)):
            route = dataclasses.replace(route, domain="security", strong=True,
                                        master=classifier.config.domains["security"].master)
        if route.domain == "security" and _OTHER_REVIEW_RE.search(part) and "development" in classifier.config.domains \
                and not re.search(r"\bsecur|\bpen\s*-?test|\bvulnerab", part, re.IGNORECASE):
            # an accessibility audit, an SEO review, an audit log: the work of those who make the thing
            route = dataclasses.replace(route, domain="development", strong=True,
                                        master=classifier.config.domains["development"].master)
        owner = owners[place] if owners[place] in classifier.config.domains else None
        if owner is not None:
            route = dataclasses.replace(route, domain=owner, strong=True, master=classifier.config.domains[owner].master)
        together = separator.strip().lower() == "with" and previous is not None and not whole and (
            not names_work(part) or bool(_WITH_WHOM_RE.match(part)) or bool(_HOW_OUT_RE.match(part))
            or bool(_WITH_THAT_RE.match(part)))
        # after "with", who or what the work is done with ("with the support leads", "with the migration tool", "with
        # Go 1.21") qualifies its clause: no verb opens a part there, and it names no work of its own
        opening = openings[place] and not together
        unknown = not opening and not together and series and separator.strip() in ("", ",", ".", "!", "?", ";") and \
            _likely_verb(part, place == 0 or separator.strip() in (".", "!", "?", ";"))  # not after "and", "with"
        opening = opening or unknown
        if opening:
            making = part.split()[0].lower() in classifier.config.making_verbs
            verb = part.split()[0].capitalize() if making and not whole else ""  # a list's items are each their own
        # after "with", a piece is a part only when it names work (with security audit and docs); after
        # another verb than a making one it is a second object (revoke the AWS keys and the Stripe key)
        # "add her to the GitHub org and the design team's repos": a second place the same thing goes, not a part
        where = separator.strip().lower() == "and" and previous is not None and not opening \
            and bool(_SECOND_PLACE_RE.match(part)) and bool(_TO_PLACE_RE.search(previous.text))
        # "Update the purpose strings for camera and photo library in Info.plist": a second noun of the phrase the
        # clause before ends in, not a part of its own
        shared = separator.strip().lower() == "and" and previous is not None and not opening \
            and bool(_OPEN_PHRASE_RE.search(previous.text)) and not _ARTICLE_RE.match(part) \
            and not names_work(head := _PHRASE_HEAD_RE.split(part, maxsplit=1)[0]) \
            and not (_BACKEND_RE.search(head) or _FRONTEND_RE.search(head))  # "in the backend and UI": two sides
        # "make sure the app builds and the analytics unit tests pass": one check of two results
        shared = shared or (separator.strip().lower() == "and" and previous is not None and not opening
                            and bool(_CHECKS_RESULT_RE.match(previous.text)) and bool(_RESULT_STATE_RE.match(part)))
        # "Collect the pipeline logs and the deployment approvals": what is gathered, one part ("deployment" names
        # no deploy to set up)
        # ... and what a colon opens ("Prepare the evidence pack: the access reviews, the change tickets and the
        # backup restore tests"): what it holds, not a part "Set up the backup restore tests"
        gathered = (gathers or (previous is not None and ": " in previous.text)) and not opening \
            and separator.strip(", ").lower() in ("", "and") and bool(_OBJECT_START_RE.match(part))
        # "Build the portal: conflict check, document upload, e-signature": what a colon after the thing lists is
        # its features (rule 3), not parts; "document upload" is a noun there, no verb and object ("Document
        # the upload"); a list of asks after the colon ("...: inventory all mailboxes, move them ...") stays
        featured = previous is not None and not whole and separator.strip(", ").lower() in ("", "and") \
            and separator.strip() != "" and _features_listed(previous.text, verbs) and not _ASKS_OBJECT_RE.match(part) \
            and not _ARTICLE_RE.match(part) and len(part.split()) > 1  # "a dashboard", "deploy": a part of its own
        if featured:
            opening = False
        qualifier = together or where or shared or gathered or featured or (
            not names_work(part) and (separator.strip().lower() == "with" or not making))
        if previous is not None and not whole and not opening and (not route.strong or qualifier) \
                and owner in (None, previous_owner):
            # a qualifier or a second object of the clause before it, joined as written
            previous.text += separator if separator.strip() and separator.strip() not in ".;!?" else " "
            previous.text += part
            if separator.strip().lower() in ("with", "by") and _SECURITY_TEAM_RE.match(part) \
                    and "security" in classifier.config.domains and _REVIEWING_RE.search(previous.text):
                # a review held with security ("Run a fraud review with security before launch"): theirs
                previous.master = classifier.config.domains["security"].master
                previous.phase = phase_of(previous.text, "security", verbs)
            continue
        # a part no master's word names goes where the task goes, unless it makes something: what is made
        # is development's ("Add both wallets to the web checkout" in a task a PCI review made security's)
        chosen = route if route.strong else main
        if not route.strong and opening and (route.domain == "development" or (
                route.domain == "cicd" and chosen.domain == "docs")) and _makes(part, chosen.domain, classifier):
            chosen = route  # "Create the cache cluster" in a runbook is not documentation
        elif opening and owner is None and chosen.domain == "docs" and "development" in classifier.config.domains \
                and part.split()[0].lower() not in _DOCUMENT_VERBS and not _leads(part, classifier):
            # "Restore the claims document store": a documents word, but restoring is no writing
            chosen = dataclasses.replace(route, domain="development", master=classifier.config.domains["development"].master)
        security = classifier.config.domains.get("security")
        if not route.strong and opening and owner is None and previous_strong and security is not None \
                and previous is not None and previous.master == security.master and _ANAPHORIC_OBJECT_RE.match(part):
            # "Review the firewall rules, remove the unused ones": the things security's part before it worked on
            # (not inventory's: "List the tools, connect the ones that do SAML" is no counting)
            chosen = dataclasses.replace(route, domain="security", master=security.master)
        elif not route.strong and opening and owner is None and "security" in classifier.config.domains \
                and _SIGN_OFF_RE.match(part) and _SECURITY_SIGNER_RE.search(part):
            # "Get the change approved by the CISO": security's to ask
            chosen = dataclasses.replace(route, domain="security", master=classifier.config.domains["security"].master)
        elif opening and owner is None and security is not None and chosen.domain != "security" \
                and _IDP_SETUP_RE.match(part):
            # "Configure SAML single sign-on for Personio in Okta": who signs in where is set in the identity
            # provider, access control that is security's (changing an app to use the IdP stays its makers')
            chosen = dataclasses.replace(route, domain="security", master=security.master)
        elif opening and owner is None and chosen.domain == "development" \
                and not _MAKES_SOFTWARE_RE.match(part) and "cicd" in classifier.config.domains \
                and ((previous is not None and _ROLLOUT_RE.match(part)) or _STAGED_MOVE_RE.match(part)):
            # "Roll the switch out app by app with a fallback" after the changes: shipping them is the pipeline's,
            # not one more change beside them (a rollout that is the whole task keeps its template)
            chosen = dataclasses.replace(route, domain="cicd", master=classifier.config.domains["cicd"].master)
        inventory = classifier.config.domains.get("inventory")
        if opening and owner is None and inventory is not None and chosen.domain != "inventory" \
                and _FINDS_WHERE_RE.match(part):
            # "Find where every carrier's credentials live", "Identify which laptops cannot run Windows 11": finding
            # out what exists, whatever the things found are (the credentials are moved by security after it)
            chosen = dataclasses.replace(route, domain="inventory", master=inventory.master)
        if opening and owner is None and security is not None and chosen.domain == "development" \
                and _EVIDENCE_PACK_RE.search(part) and not _MAKES_SOFTWARE_RE.match(part):
            # "Put together an evidence package for the auditors": gathered for an audit, security's, no code
            chosen = dataclasses.replace(route, domain="security", master=security.master)
        if opening and owner is None and chosen.domain == "inventory" and "development" in classifier.config.domains \
                and _CODE_CHECK_RE.match(part):
            # "Add the ownership check": an inventory word ("ownership") in a check that code makes, not a count
            chosen = dataclasses.replace(chosen, domain="development",
                                         master=classifier.config.domains["development"].master)
        if opening and owner is None and _DESIGNS_RE.match(part) and chosen.domain in ("cicd", "inventory", "docs") \
                and "development" in classifier.config.domains:
            # "Design the load-test harness" in a cicd task: designing is development's planner work, not a deploy
            chosen = dataclasses.replace(chosen, domain="development",
                                         master=classifier.config.domains["development"].master)
        shipped = chosen
        if opening and chosen.domain == "cicd" and not route.strong:
            chosen = _not_shipped(part, chosen, classifier)
        previous = _Item(part, phase_of(part, chosen.domain, verbs), chosen.master, find_files(part), group,
                         "" if opening else verb, imperative=unknown)
        if _GIVEN_REVIEW_RE.match(part) or (_RUN_ON_RE.match(part) and previous.phase in _PREPARED
                                             and not _EARLIER_RE.search(part)):
            # "It needs a pen test" ("Give it a pen test"), "pen test before launch": a run on what is built
            previous.phase = "audit"
        if chosen is not shipped:  # people's work or a document in a delivery: its own worker, the delivery's order
            previous.phase = "docs" if chosen.domain == "docs" else "implement"
            # (software built in a delivery is built before what checks and ships it, as any build is)
            previous.rank = None if _MAKES_SOFTWARE_RE.match(part) else RANK["deploy"]
        if opening and owner is None and _SCHEDULES_RE.match(part) and "development" in classifier.config.domains:
            # agreeing a date with people ("Schedule the go-live with the store managers") is coordination no
            # deploy does: people's work, as training is, and before what it schedules
            previous.master, previous.phase = classifier.config.domains["development"].master, "implement"
            previous.rank = RANK["design"]
        previous_owner, previous.owner = owner, owner or ""
        previous_strong = route.strong or chosen is not main
        found.append(previous)
    return found


_FINDS_WHERE_RE = re.compile(
    r"^\s*(?:then\s+)?(?:find(?:\s+out)?|identify|locate|work\s+out|figure\s+out|establish|determine|list)\s+"
    r"(?:where|which)\b(?!.*\b(?:broke|breaks|broken|caused?|causes|fail\w*|crash\w*|bugs?|slow\w*|leak\w*|"
    r"regress\w*|errors?)\b)", re.IGNORECASE)
"""A part that finds out where things are or which of them qualify (``Find where every carrier's credentials live``,
``Identify which laptops cannot run Windows 11``): inventory's; not a search for a cause (``Find out which commit
broke the build``)."""
_STAGED_MOVE_RE = re.compile(r"^\s*(?:then\s+)?(?:migrate|move|cut\s*over|switch)\b(?=.*\b(?:(?P<unit>[a-z]+)\s+by\s+"
                             r"(?P=unit)|(?:with\s+)?(?:an?\s+|the\s+)?rollback(?:\s+plan)?)\b)", re.IGNORECASE)
"""A move done in steps with a way back (``migrate warehouse by warehouse with a rollback plan``): a rollout."""
_GIVEN_REVIEW_RE = re.compile(r"^\s*(?:then\s+)?give\s+(?:it|them)\s+(?:an?\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,2}?"
                              r"(?:review|audit|pen[\s-]*test|penetration\s+test|assessment|scan)\b", re.IGNORECASE)
"""``It needs a security review`` read as ``Give it a security review``: a review of what the plan builds."""
_RUN_ON_RE = re.compile(r"^\s*(?:then\s+)?(?:pen\s*-?test|penetration[\s-]+test|re-?scan|re-?pen\s*-?test)(?=\s*$|\s+(?:it|"
                        r"them|the|a|an|our|their|its|all|every|each|both|this|that|these|those|after|before|of|on|"
                        r"against|once|when)\b)", re.IGNORECASE)
"""A pen test or a rescan run on something (``pen test the payment flow``, ``pen test after fix``): a run on what the
plan builds or fixes, after it; not a noun's modifier (``Pen test preparation``, ``Pen test finding (PT-7)``), nor a
run on what exists already (``Pen test the existing member portal``: beside the rest)."""

_ASKS_OBJECT_RE = re.compile(r"^\s*(?:and\s+)?[a-z][\w-]*\s+(?:(?:up|out|down|off|over|back)\s+)?(?:the|a|an|all|every|"
                             r"each|our|its|their|this|these|those|any|both|it|them|\d)\b", re.IGNORECASE)
"""A verb before its object's determiner (``move them to ...``, ``update the MX records``): an ask, even in a list."""


def _features_listed(text: str, verbs: re.Pattern[str]) -> bool:
    """Whether ``text`` makes one thing and a colon in it opens that thing's features (``Build a client intake
    portal: conflict check, document upload, e-signature``; ``A test results archive: a read-only store, a search by
    sample ID and ...``): rule 3, properties of one deliverable. Not things named as several (``three internal tools:
    a refund console, ...``, ``...: leave requests, expense claims, and performance reviews modules``), not a list
    of asks (``...: inventory all mailboxes, move them ...``), not a verb's articled objects (``Build a new fraud
    service: an API ..., a rules editor ..., a dashboard``: its parts)."""
    head, colon, tail = text.partition(": ")
    if not colon or not tail.strip() or len(head.split()) < 2 or _COUNTED_HEAD_RE.search(head) \
            or re.match(r"[\w-]+\s+and\s", head) \
            or _COMPONENTS_RE.search(tail):
        return False
    items = [item.strip(" .") for item in _FEATURE_SPLIT_RE.split(tail.strip()) if item.strip(" .")]
    if any(_ASKS_OBJECT_RE.match(item) or (len(item.split()) == 1 and verbs.fullmatch(item))
           or (verbs.match(item) and _NAMED_OBJECT_RE.match(item)) for item in items):
        # "...: inventory all mailboxes, move them ...", "...: design, build, deploy", "...: create server/auth/oidc.js":
        # asks ("repair requests", "document upload" are features: a verb's word before a plain noun)
        return False
    articled = [bool(_ARTICLE_RE.match(item)) for item in items]
    if _opens_with_verb(head, verbs):  # "Build a supplier portal: invoice upload, delivery booking"
        return head.split(maxsplit=1)[0].lower() in _FEATURED_VERBS and not any(articled)
    return bool(re.match(r"(?:an?|the)\s", head, re.IGNORECASE)) and not _SEVERAL_RE.search(head) \
        and not _TOLD_HEAD_RE.search(head) \
        and len(set(articled)) == 1  # "A test results archive: a store, a search": one kind of item, all its own


_NAMED_OBJECT_RE = re.compile(r"[\w-]+\s+(?:\S*[/.`'\"]|[A-Z])")
_TOLD_HEAD_RE = re.compile(r"\b(?:[a-z]+ed|found|is|are|was|were|has|have|had|shows?|showed|says|said|lists?|"
                           r"includes?|covers?|needs?|wants?)\b", re.IGNORECASE)
"""A head that tells (``The pen test found: ...``, ``The audit lists: ...``): what follows is no thing's features."""
_COUNTED_HEAD_RE = re.compile(r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many)\s", re.IGNORECASE)
_COMPONENTS_RE = re.compile(r"\b(?:modules|services|apps|applications|components|tools|microservices|sites)\b",
                            re.IGNORECASE)
_SEVERAL_RE = re.compile(r"\b(?:things|following|parts|steps|items|asks|plan|scope|proposal|requirements|deliverables|"
                         r"work|approach|outcome|tasks|changes|fixes)\s*$", re.IGNORECASE)
_FEATURE_SPLIT_RE = re.compile(r",\s+(?:and\s+|or\s+)?|\s+and\s+", re.IGNORECASE)
_FEATURED_VERBS = frozenset({"build", "create", "develop", "make", "add", "implement", "rebuild"})
_ANAPHORIC_OBJECT_RE = re.compile(r"^\s*(?:then\s+)?[a-z][\w-]+\s+(?:the\s+|those\s+)(?:[a-z][\w-]+\s+){0,2}?ones\b",
                                  re.IGNORECASE)
"""A part whose object is ``the unused ones``: the things the part before it named."""
_SECURITY_SIGNER_RE = re.compile(r"\bby\s+(?:the\s+|our\s+)?(?:ciso|chief\s+information\s+security\s+officer|"
                                 r"(?:information\s+)?security\s+officer|head\s+of\s+(?:information\s+)?security)\b",
                                 re.IGNORECASE)
"""Who signs a change off for security (``approved by the CISO``)."""
_IDP_SETUP_RE = re.compile(
    r"^\s*(?:then\s+)?(?:configure|set\s+up|create|register|enforce|turn\s+on)\b(?=[^,;]*?\b(?:single\s+sign"
    r"[\s-]*on|sso|saml|oidc|openid(?:\s+connect)?|mfa|2fa|multi-factor|scim|conditional\s+access|enterprise\s+apps?)\b)"
    r"(?=[^,;]*?\b(?:okta|entra(?:\s+id)?|azure\s+ad|keycloak|shibboleth|onelogin|ping\s*(?:id|one|federate)|adfs|"
    r"google\s+workspace|jumpcloud|idp|identity\s+provider|conditional\s+access|enterprise\s+apps?)\b)|"
    r"^\s*(?:then\s+)?(?:enforce|require|turn\s+on|enable|mandate)\s+(?:the\s+)?(?:mfa|2fa|multi-factor|two-factor)\b",
    re.IGNORECASE)
"""A set-up in the identity provider (``Configure SAML single sign-on for Personio in Okta``, ``Set up each as an Entra
ID enterprise app with conditional access``, ``Create a conditional access policy``): both an identity word and the
IdP's; ``Add Okta SSO to the admin portal`` is a change of the app. Enforcing MFA is access control wherever it is
asked (``Enforce MFA on the VPN for all office staff`` was a cicd deploy)."""
_ROLLOUT_RE = re.compile(r"^\s*(?:then\s+)?(?:roll\s+(?:[\w-]+\s+){0,3}?out|deploy|re-?deploy)\b", re.IGNORECASE)
"""A rollout or deploy that opens a part: the pipeline's work."""
_DESIGNS_RE = re.compile(r"^\s*(?:design|architect)\b(?!\s+(?:tokens?|system|review|reviews|docs?|notes|team|files?|"
                         r"assets?|sprint|debt|partner|agency|studio|sign-?off|mock-?ups?|mocks?|hand-?off|specs?|language)\b)",
                         re.IGNORECASE)
"""A part that designs (``Design the load-test harness``, ``Design the AWS landing zone``): development's planner work
in any task; not a thing named after design (``Design tokens for both themes``, ``Design review notes``)."""
_SCHEDULES_RE = re.compile(r"^\s*(?:schedule|plan|book|agree|fix|pick)\s+(?:on\s+)?(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,3}?"
                           r"(?:go-?live|launch|date|dates|calendar|window|slot|cut-?over|downtime)\b"
                           r"(?!\s+(?:picker|field|column|filter|widget|view|page|api|service|feature|component|formats?|"
                           r"formatting|parsing|parser|display|handling|strings?|stamps?|logic|calculation|bugs?|"
                           r"validation))", re.IGNORECASE)
"""Setting a date with people (``Schedule the go-live with the clinics``, ``Plan the Q3 release calendar with
product``): coordination before the work it dates; not a feature that shows dates (``Add a date picker``), nor a
repair of how dates are shown (``fix the date format on the invoice PDF``)."""
_BARE_OBJECT_RE = re.compile(r"(?!(?:the|a|an|our|its|their|all|every|each|both|then|also|this|these)\b)"
                             r"(?:[a-z][\w-]+\s+)?[a-z][\w-]{2,}s(?:\s+(?:to|into|onto|from|on|in)\s+\S.*)?", re.IGNORECASE)
"""A plural noun without an article (``tests``, ``store uploads to GitHub Actions``): in a series after a verb that
makes nothing, one more of its objects."""
_HOW_OUT_RE = re.compile(r"(?:an?\s+|the\s+)?(?:staged|phased|gradual|canary|progressive|percentage|incremental|"
                         r"blue-green|blue/green)\s+(?:rollout|roll-out|release|deploy(?:ment)?)\b", re.IGNORECASE)
"""How a release goes out (``ship it ... with a staged rollout``): the release's manner, not a part beside it."""
_OPEN_PHRASE_RE = re.compile(r"\s(?:for|of|on|in|to|with|from)\s+(?:the\s+|our\s+|both\s+)?[\w.-]+(?:\s+[\w.-]+)?$",
                             re.IGNORECASE)
"""A clause that ends in a short phrase a preposition opens (``... for camera``): an "and" after it may go on with it."""
_PHRASE_HEAD_RE = re.compile(r"\s(?:in|on|for|to|with|at|from|so|that|which|who|by)\s|\s\(", re.IGNORECASE)


_SECRET_WORDS = (r"(?:secrets?|credentials?|passphrases?|passwords?|api\s+keys?|signing\s+keys?|private\s+keys?|"
                 r"keystores?)\b")
_SECRETS_MOVED_RE = re.compile(r"\s*(?:then\s+)?(?:migrate|move|port|transfer)\s+(?:the\s+|our\s+|all\s+)?(?:[\w-]+\s+){0,2}?"
                               + _SECRET_WORDS, re.IGNORECASE)
_MOVES_IT_RE = re.compile(r"\s*(?:then\s+)?(?:migrate|move|port|transfer)\s+(?:it|them)\b", re.IGNORECASE)
_SECRET_RE = re.compile(rf"\b{_SECRET_WORDS}", re.IGNORECASE)
_LEAD_VERB_RE = re.compile(r"\s*(?:then\s+)?(?P<verb>[\w-]+)", re.IGNORECASE)
_SECURITY_RUN_OPENS_RE = re.compile(r"\s*(?:then\s+)?(?:pen\s*-?test|penetration[\s-]+test|re-?scan|re-?pen\s*-?test)\b",
                                    re.IGNORECASE)
"""A part whose own act is a pen test or a rescan (``Pentest it before go-live``, ``rescan it``): security's review,
whatever the task's master or the words after it (``go-live`` is when, not a deploy)."""
"""Secrets moved (``Migrate signing secrets and the match passphrase``): security's, as a rotation is, though
"migrate" is a word of code moved."""


_RETEST_RE = re.compile(r"\bre-?(?:test|scan|check|assess|assessment|audit|verification)s?\b|\bre-?run\s+(?:the\s+|an?\s+)?"
                        r"(?:[\w-]+\s+){0,2}?(?:scans?|audits?|pen[\s-]*tests?|checks?|assessments?)\b", re.IGNORECASE)
"""A test, scan or audit done again: of the work before it."""
_CODE_CHECK_RE = re.compile(r"\s*(?:add|build|create|implement|write|make|enforce)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,3}?"
                            r"(?:checks?|validations?|guards?|constraints?|middleware|authori[sz]ation)\b", re.IGNORECASE)
"""A check that code makes (``Add the ownership check``, ``Implement an owner validation``), whatever words name it."""


def _part_route(part: str, classifier: Classifier, imperative: bool) -> Route:
    """Where a part goes, routed as the classifier routes a one-line task: where no rule reads what an imperative
    asks, the learned model may pick its master (``Disable their SSO account and AWS IAM user`` is security's), as
    it does for the task; not for a fragment (``the cost store in Postgres``), which the model never learned from."""
    verb = part.split(maxsplit=1)[0].lower() if imperative else ""
    # what a rule of the planner reads anyway stays the rules': making (R1: a thing development makes), writing,
    # a migration of code or data, a sign-off and a check ("Build the API connector", "Document it for the DPO",
    # "Migrate the billing service to the new database", "Get PCI sign-off")
    asks = imperative and verb not in classifier.config.making_verbs and verb not in _WRITING_VERBS \
        and verb not in ("migrate", "port") and not _SIGN_OFF_RE.match(part) and not _VERIFIES_RE.match(part)
    learned = classifier.learned if asks else None
    judge = None if learned is None else (lambda: learned.judge(part, "", None))
    route = classifier.route(part, judge=judge)
    inventory = classifier.config.domains.get("inventory")
    if route.decided_by == "model" and inventory is not None and route.master == inventory.master:
        # finding out what exists is said with inventory's own verbs, which the rules read; the model sends parts
        # there for no word of it ("Give each pipeline its own service account", "Port each one")
        return classifier.route(part)
    return route


_PLACED_RE = re.compile(r"^\s*(?:add|invite|enrol|enroll|put|move|remove|take|drop|grant|give)\s+(?P<who>her|him|them|"
                        r"[a-z][a-z0-9]*[._][a-z0-9._]*[a-z0-9]|(?:the\s+)?(?:new\s+)?(?:hires?|joiners?|starters?|leavers?|"
                        r"contractors?|interns?|employees?|engineers?|developers?))\s+"
                        r"(?:as\s+\S+\s+)?(?:to|into|onto|from|off|out\s+of)\s+", re.IGNORECASE)
"""A person's membership (``Add priya.r to``, ``Take them off``, ``Remove the leavers from``): a handle or people, not
a thing (``Add tracing to``)."""
_MEMBERSHIP_RE = re.compile(r"(?:the\s+|our\s+|their\s+)?(?:[\w.'-]+\s+){0,3}?(?:org|organi[sz]ation|teams?|groups?|"
                            r"rotations?|on-?call|schedules?|channels?|roles?|roster|directory|workspace|mailing\s+list|"
                            r"distribution\s+list|slack|pagerduty|okta|sso)\b", re.IGNORECASE)
"""Where people belong: after a pronoun (``Take them off the PagerDuty rotation``) the pronoun is a person only there;
``Move them to Kubernetes CronJobs`` moves what the part before made."""


def _placed(part: str) -> str:
    """The words that put a person somewhere (``Add priya.r to ``), for the places listed after them; not a file name
    (``Add config.yaml to``), nor a pronoun outside a place where people belong."""
    found = _PLACED_RE.match(part)
    if found is None or find_files(found.group("who")):
        return ""
    pronoun = found.group("who").lower() in ("her", "him", "them")
    return "" if pronoun and not _MEMBERSHIP_RE.match(part, found.end()) else found.group()


_LEADING_AND_RE = re.compile(r"^(?:and|or)\s+", re.IGNORECASE)


_PEOPLE_WORK = frozenset({
    "train", "teach", "book", "print", "order", "buy", "purchase", "procure", "hire", "recruit", "survey",
    "present", "choose", "pick", "shortlist", "compare", "evaluate", "negotiate", "agree", "interview", "ask",
    "gather", "invite", "meet", "brief", "email", "call", "visit", "quote"})
"""What people do with people (train the shift leaders, book a slot with marketing, agree a workflow with the leads)."""
_DOCUMENT_RE = re.compile(r"^(?:write|draft|document|update|publish)\b.*?\b(?:post-?mortems?|runbooks?|guides?|reports?|"
                          r"docs?|documents?|readme|notes|memos?|playbooks?|procedures?|checklists?|"
                          r"templates?|faqs?|manuals?|write-?ups?|summar(?:y|ies))\b", re.IGNORECASE)


_PEOPLE_DONE = _PEOPLE_WORK | {"announce", "approve", "hand", "recycle", "wipe", "sign", "collect", "rack", "cable", "schedule",
                               "hire", "onboard", "notify", "tell"}
"""People's work whose criteria are a record of it, not a build (``Recycle the old ones``, ``Brief the leads``)."""


def _not_shipped(part: str, chosen: Route, classifier: Classifier) -> Route:
    """A part of a delivery task that ships nothing: people's work (``Train the shift leaders``, ``Book a slot with
    marketing``) is development's to do, a document (``Write the postmortem``) documentation, not a deploy."""
    domains = classifier.config.domains
    if _DOCUMENT_RE.match(part) and "docs" in domains:
        return dataclasses.replace(chosen, domain="docs", master=domains["docs"].master)
    if (part.split()[0].lower() in _PEOPLE_WORK or _MAKES_SOFTWARE_RE.match(part)) and "development" in domains:
        # a service, an API or a tool to build is development's in a delivery task: only its deploy is cicd's
        return dataclasses.replace(chosen, domain="development", master=domains["development"].master)
    return chosen


_MAKES_SOFTWARE_RE = re.compile(
    r"\s*(?:then\s+)?(?:build|create|write|develop|implement|code)\s+(?:an?\s+|the\s+|our\s+|one\s+)?"
    r"(?:(?:small|new|simple|tiny|little|lightweight|internal)\s+)*(?:[\w-]+\s+){0,2}?(?:service|microservice|api|"
    r"app|application|web\s+app|tool|cli|library|portal|bot|plugin)s?\b", re.IGNORECASE)
"""Software made (``Build a small service that renders labels``): development's, whatever the task's master."""


def _likely_verb(part: str, starts: bool) -> bool:
    """Whether a part's first word reads as a verb the planner does not know: not a name inside a sentence, not
    a word shaped like a noun, an adjective or a participle (``dashboards``, ``nightly``, ``Grafana``)."""
    found = _BARE_VERB_RE.match(part)
    if not found or (found["word"][:1].isupper() and not starts):
        return False
    word = found["word"].lower()
    return not (_NOT_A_VERB_RE.match(word) or _NOT_VERB_SHAPE_RE.search(word) or word in COMMON_NOUNS
                or _COMMON_START_RE.match(word) or word in _NOT_VERBS)


_NOT_VERBS = frozenset({"app", "api", "hotfix", "short", "long", "would", "could", "should", "might", "maybe", "also",
                        "main", "core", "dev", "prod", "staging", "auth", "code", "team", "site", "page"})


_BARE_VERB_RE = re.compile(r"\s*(?P<word>[A-Za-z][a-z]{2,})\s+\S")
_NOT_VERB_SHAPE_RE = re.compile(r"(?:[^s]s|ly|ed|al|ic|ive|ous|ful|able|ion|ment|ness|ity|er|or|ics|ist|ery|ary|a)$")


def _makes(part: str, domain: str, classifier: Classifier) -> bool:
    """Whether a part that opens with a verb makes something rather than doing ``domain``'s own work: not a
    revocation in a security task, a count in an inventory, or writing in a documentation task. (A delivery
    task's parts stay its own: "Create the spot node group", "Write up the timings" of a drill are.)"""
    verb = part.split()[0].lower()
    if domain in ("security", "inventory"):
        # checking, searching or confirming makes nothing ("check CloudTrail for use of the old key" in a leaked-key
        # task is the task's master's, not development's)
        return verb not in classifier.config.domains[domain].lead_verbs and verb not in _LOOKING_VERBS
    return domain == "docs" and verb not in _WRITING_VERBS


_LOOKING_VERBS = frozenset({"check", "verify", "confirm", "inspect", "search", "look", "review", "investigate", "triage",
                            "examine", "query", "monitor", "watch", "trace", "find", "identify", "see", "read"})
"""Verbs that look at what exists and make nothing."""


def _leads(part: str, classifier: Classifier) -> bool:
    """Whether a master's own verb opens the part (``Deploy the docs site``, ``Revoke ...``, ``List ...``)."""
    verb = part.split()[0].lower()
    return any(verb in domain.lead_verbs for domain in classifier.config.domains.values())


_WRITING_VERBS = frozenset({"write", "document", "explain", "describe", "draft", "update", "review", "proofread",
                            "translate", "publish", "record", "rewrite", "edit", "add", "summarise", "summarize"})
"""What a documentation task's parts do to documents (``Update the runbook``, ``Add examples``)."""
_DOCUMENT_VERBS = _WRITING_VERBS | {
    "refresh", "revise", "hand", "give", "provide", "deliver", "share", "send", "circulate", "finalise", "finalize",
    "prepare", "produce", "maintain",
    "extend", "expand", "fix", "improve", "rework", "complete", "create", "reorganise", "reorganize", "restructure",
    "clean", "tidy", "localise", "localize", "link", "move", "migrate", "merge", "split", "archive", "print", "sign",
    "get", "collect", "gather", "check", "verify", "read", "approve", "file", "store", "export", "convert", "generate"}
"""Verbs a part whose own words name documents does to them (``Refresh the on-call runbook``, ``Hand the scope document
to their lead``); another (``Restore the claims document store``) works on a system named after documents."""


def _lettered(text: str) -> list[str]:
    """Items of a lettered list (``(a) an online form; (b) a payment integration; (c) ...``), in order."""
    marks = list(_LETTER_RE.finditer(text))
    if len(marks) < 2 or [m.group(1).lower() for m in marks] != [chr(ord("a") + n) for n in range(len(marks))]:
        return []
    items = [text[mark.end():(marks[n + 1].start() if n + 1 < len(marks) else len(text))] for n, mark in enumerate(marks)]
    return [item.strip(" ;,.\n").removesuffix(" and").removesuffix(" or").strip(" ;,") for item in items
            if item.strip(" ;,.\n")]


_LETTER_RE = re.compile(r"(?:^|(?<=[\s;,:]))\(?([a-hA-H])\)\s+")


_OTHER_REVIEW_RE = re.compile(
    r"\b(?:accessibility|a11y|wcag|seo|performance|cost|ux|usability|data[\s-]+quality|code|content|copy|licen[cs]e)\s+"
    r"(?:audit|review)s?\b|\baudit\s+(?:log|trail)s?\b|\b(?:log|logged|kept|recorded)\s+(?:\S+\s+){0,3}?for\s+(?:the\s+)?audit",
    re.IGNORECASE)
"""A review or audit of something other than security, or a record kept for one: not the security master's."""
_MOST_PARTS = 40
"""Parts read from one text at most: each is routed, and _fit merges them down to ``max_subtasks``."""
_NUMBER_RE = re.compile(r"(?:^|[\s(:;,])\d{1,2}[.)]\s+(?=\S)")
_THINGS_SPLIT_RE = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+(?=(?:an?|one|two|three|four|five)\s)", re.IGNORECASE)


def _things(sentence: str, verbs: re.Pattern[str]) -> list[str]:
    """A sentence that only names three or more things to make (``Prometheus metrics for each service,
    Grafana dashboards, alert rules routed to PagerDuty, and log shipping to Loki``): the things. A list
    after a verb is that verb's objects ("Revoke the AWS keys, the Stripe key and the DB password")."""
    if verbs.match(sentence) or sentence.count(",") < 2 or ("(" in sentence and ")" not in sentence) \
            or _features_listed(sentence, verbs):  # "A test results archive: a store, a search and ...": one thing
        return []
    pieces: list[tuple[str, str]] = []  # (the separator before it, the piece)
    separator, start = "", 0
    for match in _THINGS_SPLIT_RE.finditer(sentence):
        if sentence.count("(", 0, match.start()) == sentence.count(")", 0, match.start()):
            pieces.append((separator, sentence[start:match.start()]))
            separator, start = match.group(), match.end()
    pieces.append((separator, sentence[start:]))
    things: list[str] = []
    articled = sum(bool(_ARTICLE_RE.match(piece)) for _, piece in pieces) * 2 >= len(pieces)
    for separator, piece in ((separator, piece.strip(" .")) for separator, piece in pieces):
        if things and articled and not _ARTICLE_RE.match(piece) and "and" not in separator \
                and not _WORK_NOUN_RE.match(piece):  # "..., deployment to prod": a part, not more of the one before
            things[-1] += f", {piece}"  # "a job across the user, orders and analytics databases": one thing
        elif piece:
            things.append(piece)
    return things if len(things) >= 3 else []


_ARTICLE_RE = re.compile(r"(?:an?|the|one|two|three|four|five|six|our|its|their)\s", re.IGNORECASE)
_WORK_NOUN_RE = re.compile(r"(?:deployment|roll-?out|migration|release|registration|installation|hardening|decommissioning)"
                           r"\s+(?:of|to|into|onto)\b", re.IGNORECASE)
"""A listed step named by its work on something (``deployment to prod``, ``migration of the mailboxes``), no article
needed: a part of its own among articled things, not the words of the thing before it (``alerting on failures``
is a thing made, and may well be more of the one before it)."""


def _unique(items: list[_Item]) -> list[_Item]:
    """Drop parts that say the same thing twice (a title repeated in the description)."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = re.sub(r"\W+", " ", item.text).strip().lower()
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _order(item: _Item) -> tuple[int, int, bool, int]:
    return item.group, RANK[item.phase] if item.rank is None else item.rank, item.waits, item.after


_REMEDIATES_RE = re.compile(
    r"^\s*(?:then\s+)?(?:fix|remediate|address|resolve|close|patch|mitigate)\s+(?:\S+\s+){0,4}?(?:findings?|"
    r"issues?\s+(?:found|raised|reported)|vulnerabilit(?:y|ies)\s+found|critical|highs?|results?|nonconformit(?:y|ies)|"
    r"gaps?|(?:what|whatever|anything|everything)\s+(?:it|they|the\s+\w+)\s+finds?)\b", re.IGNORECASE)
"""Work on what a review finds ("Fix the high findings", "Fix anything critical"): after the review."""


_FOUND_LIST_RE = re.compile(r"(?:^|(?<=[.!?\n]))\s*(?:[\w'’-]+\s+){0,6}?(?:found|findings?|identified|flagged|reported)"
                            r"(?:\s+(?:were|are|include|included))?\s*:\s*(?P<list>[^.\n]+(?:\.\d[^.\n]*)*)", re.IGNORECASE)
"""A list of what a review found (``The external pen test found: a, b, c, and d.``)."""
_FIX_ALL_RE = re.compile(r"^\s*(?:then\s+)?(?:fix|remediate|address|resolve|close)\s+(?:all|every|each|both|the)\s+"
                         r"(?:of\s+)?(?:the\s+|these\s+|those\s+)?(?:\w+\s+)?(?:findings?|issues|vulnerabilities|problems)\b",
                         re.IGNORECASE)
_FINDINGS_SPLIT_RE = re.compile(r",\s*(?:and\s+)?|;\s*|\s+and\s+(?=(?:the|an?|missing|no|debug|weak|hard-?coded|"
                                r"unencrypted|outdated)\s)", re.IGNORECASE)


def _findings_apart(items: list[_Item], description: str, classifier: Classifier, verbs: re.Pattern[str]) -> list[_Item]:
    """``Fix all findings in both apps`` after a list of what was found is a fix of each: one part per finding, each
    with the master its own words name (a token in SharedPreferences, missing pinning, a PII log line), not one
    part given to whoever the word "findings" points at."""
    listed = _FOUND_LIST_RE.search(description)
    if listed is None:
        return items
    found = [piece.strip(" .") for piece in _FINDINGS_SPLIT_RE.split(listed.group("list")) if piece.strip(" .")]
    if not 2 <= len(found) <= 8 or not any(_FIX_ALL_RE.match(item.text) for item in items):
        return items
    # (each half of a finding too: the description's own reading splits "open redirects ... and tokens ..." in two)
    told = {_finding_key(said) for finding in found for said in (finding, *re.split(r"\s+and\s+", finding))}
    apart: list[_Item] = []
    for item in items:
        fix_all = _FIX_ALL_RE.match(item.text)
        if fix_all is None:
            if _finding_key(item.text) not in told:  # a finding read as a thing to make ("verbose error messages")
                apart.append(item)
            continue
        where = item.text[fix_all.end():].rstrip(" .")  # "in both apps": where each fix is made
        for finding in found:
            text = f"Fix {finding[:1].lower() + finding[1:] if finding[1:2].islower() else finding}{where}"
            route = _part_route(text, classifier, True)
            # a fix changes code or closes a weakness; "release builds" in a finding's words names no deploy
            master, domain = (route.master, route.domain) if route.strong and route.domain != "cicd" \
                else (item.master, None)
            apart.append(_Item(text, phase_of(text, domain, verbs) if domain else item.phase, master,
                               find_files(text), item.group, after=item.after))
    return apart


def _finding_key(text: str) -> str:
    """A finding as said in the list and as read for a part (``and tokens in the device logs.``): the same words."""
    return re.sub(r"^(?:and\s+)", "", " ".join(text.lower().split()).strip(" .;,"))


def _remediations(items: list[_Item]) -> None:
    """With a review in the plan, fixing what it finds comes after it, not beside the work it reviews."""
    if any(item.phase == "audit" for item in items):
        for item in items:
            if item.phase in ("implement", "secure") and _REMEDIATES_RE.match(item.text) and not (
                    (used := _OUTPUT_RE.search(item.text)) and _EARLIER_RE.search(used.group())):
                item.phase = "remediate"  # not "the findings from last year's pen test": no review of this plan's


_SOFTWARE_RE = re.compile(
    r"\b(?:apis?|endpoints?|services?|microservices?|apps?|application|code|codebase|features?|back-?end|front-?end|"
    r"ui|ux|database|db|schemas?|quer(?:y|ies)|integrations?|sdk|librar(?:y|ies)|libs?|modules?|components?|bugs?|"
    r"repos?|repositor(?:y|ies)|scripts?|jobs?|pipelines?|webhooks?|functions?|lambdas?|tables?|pages?|forms?|"
    r"buttons?|cli|plugins?|widgets?|cach(?:e|ing)|stores?|panels?|sites?|websites?|portal|dashboards?|alerts?|"
    r"postgres\w*|mysql|oracle|\w*sql|mongo\w*|redis|automation|(?:chat)?bots?|crm|emails?|notifications?|"
    r"reminders?|sync\w*|mvp|prototype|engines?|firmware|analytics|digital|calendars?|billing|search|messaging|"
    r"checkout|log-?in|auth\w*|sso|oauth|cron|workers?|queues?|client|mobile|ios|android|web|platform|software|"
    r"tests?|migrations?|releases?|deploy\w*|clusters?|containers?|kubernetes|k8s|terraform|helm|ci|cd|docker|"
    r"infrastructure)\b",
    re.IGNORECASE)
"""Words of software work. A task whose title names none, and whose parts mostly do what people do (order 4 laptops,
sign the MSA, train the agents) or mostly name none, gets no architecture to design and no tests to write."""
_PEOPLE_VERBS = frozenset({
    "order", "buy", "purchase", "procure", "hire", "recruit", "train", "sign", "book", "survey", "announce", "present",
    "choose", "pick", "shortlist", "compare", "evaluate", "negotiate", "wipe", "recycle", "return", "collect", "rack",
    "cable", "enroll", "enrol", "issue", "agree", "interview", "help", "ask", "gather", "invite", "hand", "meet", "pilot",
    "print", "brief", "onboard", "grant", "email", "call", "visit", "assign", "approve", "file", "quote", "install"})
"""What people do for people and things (order the laptops, train the agents, sign the MSA), not what is built."""


_TEAM_NAME_RE = re.compile(r"\b[\w-]+\s+(?:team|squad|guild|chapter)\b", re.IGNORECASE)
"""A team named after what it builds (``the backend team``, ``the mobile squad``) names no software to make."""


def _complete(items: list[_Item], task: QueueTask, topic: str, main: Route, *, actions_only: bool) -> list[_Item]:
    """Add what complex work needs: a split of a new system, a design first, tests after; not where nothing is
    made (:func:`_builds`: whether a part makes something, not only works on what exists), as in "Revoke the leaked
    key, issue a new one, update it in Vault": there is no architecture to design, nor code to unit-test.
    ``actions_only``: an onboarding, a switch-off or a tidy-up (the title or topic says so), actions side by side."""
    implement = [item for item in items if item.phase == "implement" and (item.rank is None or item.uses)]  # not people's work
    if len(items) >= 3 and implement and not any(map(_builds, implement)):
        implement = []
    # a response or an operation with one thing to make in it (``Block the IPs, force a reset, add rate limiting,
    # notify the users``): the thing made is tested, but the work is no system to design
    minor = len(items) >= 3 and sum(map(_builds, implement)) * 2 < sum(
        item.phase in ("implement", "secure") and (item.rank is None or item.uses) and not _builds(item) for item in items)
    if implement and _AIMED_RE.match(task.title) and not any(_AIM_BUILDS_RE.match(item.text) for item in items):
        # a readiness aim ("Prepare for the 2027 red-team exercise", "Red-team readiness") builds nothing unless a
        # part says so ("Build the readiness dashboard"): the parts it names are the plan, no design and no tests
        implement = []
    if actions_only:
        # a person (onboarding, offboarding), a host to switch off or a label ("follow-ups") has no architecture to
        # design and no code to unit-test: the parts are actions for their masters
        implement = []
    phases = {item.phase for item in items}
    text = f"{task.title}\n{task.full_description}"
    # a new system named by the title alone is split in two; one the writer's description names as a part keeps
    # the writer's words ("2) build the new kiosk app" was replaced by "Implement <title> backend" and "... frontend")
    if len(implement) == 1 and not implement[0].files and _BUILD_NEW_RE.search(implement[0].text) and (
            (said := implement[0].text.strip(" .").lower()) in task.title.lower()
            or said not in task.full_description.lower()):
        backend, frontend = bool(_BACKEND_RE.search(text)), bool(_FRONTEND_RE.search(text))
        if backend == frontend:  # both named, or neither: a whole system has both sides
            index, group = items.index(implement[0]), implement[0].group
            items[index : index + 1] = [
                _Item(f"Implement {topic} backend", "implement", "development", [], group),
                _Item(f"Implement {topic} frontend", "implement", "development", [], group),
            ]
            implement = items[index : index + 2]
    # (a part that finds where things are is inventory's, but counts as one more action that makes no software)
    found = sum(item.phase == "inventory" and bool(_FINDS_WHERE_RE.match(item.text)) for item in items)
    if implement and not _SOFTWARE_RE.search(_TEAM_NAME_RE.sub("", task.title)) and (sum(
            item.text.split(maxsplit=1)[0].lower() in _PEOPLE_VERBS for item in implement) * 2 >= len(implement) or (
            len(implement) + found > 1
            and sum(bool(_SOFTWARE_RE.search(item.text)) for item in implement) * 3 < len(implement) + found)):
        implement = []  # ordering laptops, training staff, signing a contract: nothing to design or unit-test
    if implement and "test" not in phases:
        items.append(_Item(f"Write tests for {topic}", "test", "development", [], max(i.group for i in implement)))
    # a fix or a flag on what exists is designed already (only the parts that make something say so: a report or an
    # e-mail beside a fix asks for no architecture), and so is work on a host, a release, a finding or a rollback
    made = [item for item in implement if _builds(item)] or implement
    upkeep = ((bool(_MAINTENANCE_TOPIC_RE.search(topic)) and not _SYSTEM_TOPIC_RE.search(topic))
              or bool(_CREDENTIALS_TOPIC_RE.search(topic) and _MOVES_RE.match(task.title))) \
        and not any(_BUILD_NEW_RE.search(item.text) for item in items)
    if implement and not minor and "design" not in phases and not upkeep and (
            len(items) < 3 or not all(item.text.split(maxsplit=1)[0].lower() in _REPAIRS or _EXTENDS_RE.match(item.text)
                                      or _FIXES_RE.match(item.text) for item in made)):
        items.append(_Item(f"Design {topic} architecture", "design", "development", [], min(i.group for i in implement)))
    if len(items) < 3:
        # the spec's plan has three parts at least; where the text names two, the honest third is the check that
        # they reached the task's end result, said to whoever asked; planning the work again is what this plan is
        last = max(item.group for item in items) if items else 0
        if len(items) < 2:
            items.append(_Item(f"Plan the work on {topic_of(task)}", "design", main.master, [], 0))
        items.append(_Item(f"Review the results of {topic_of(task)} and report", "review", main.master, [], last))
    return items


_AIMED_RE = re.compile(rf"{_AIM_RE.pattern}|^(?:[\w-]+\s+){{0,3}}?readiness\b(?!\s+(?:dashboard|tool|app|portal|"
                       r"tracker|checker|page|report|service|system)s?\b)", re.IGNORECASE)
"""A title that states an aim (``Get ready for the SOC 2 audit``, ``Red-team readiness``), not a thing to build
(``Readiness dashboard for ...``)."""
_AIM_BUILDS_RE = re.compile(r"^\s*(?:then\s+)?(?:build|create|develop|write|set\s+up)\s+(?:(?:the|a|an|our)\s+)?(?:new\s+)?"
                            r"(?:[\w-]+\s+){0,3}?(?:service|portal|app|application|website|site|workflow|api|system|"
                            r"platform|tool|feature|page|form|bot|integration|flow|dashboard|tracker|engine|module)\b"
                            r"(?!\s+(?:image|images|container|artifacts?))", re.IGNORECASE)
"""A part of an aim that builds software (``Build the renewal page``), unlike one that adds to what exists (``Add a
status banner to the customer app``)."""
_MAINTENANCE_TOPIC_RE = re.compile(
    r"\b(?:roll-?backs?|reverts?|hot-?fix(?:es)?|patch(?:es|ing)?|upgrades?|fail-?overs?|fail-?backs?|"
    r"dr\s+(?:tests?|drills?)|cves?(?:-\d+-\d+)?|vulnerabilit(?:y|ies)|findings?|certificates?|certs?|evidence(?!\s+(?!for\b|of\b|to\b)[a-z])|"
    r"questionnaires?|non-?conformit(?:y|ies)|"
    r"(?:audits?|assessments?|reviews?|pen\s*-?tests?|penetration\s+tests?)(?=\s*(?:$|and\b|&|,)))\b|\b(?:release|version)\s+v?\d|\bv?\d+\.\d+(?:\.\d+)?\b|"
    r"\b[a-z]+-\d{1,3}\b|\b[A-Z]{2,10}-\d+\b|(?:^|\s)--[a-z][\w-]*", re.IGNORECASE)
"""A topic that is no system to design: a rollback, a patch, a CVE, a failover, a certificate, a release (``7.3``), a
host (``pacs-arch-02``), a ticket (``INC-2291``) or a command-line flag (``--since``); unless it names a system
(``OTA rollback capability``, ``certificate portal``) or a part builds one. Only searched for: a host's last word and
number (``arch-02``) finds it; its whole name from each word boundary scanned a hyphenated run ("x-x-x-...") again
from each of its parts (a 20,000-character title: 14 s, attack22)."""
_CREDENTIALS_TOPIC_RE = re.compile(r"\b(?:credentials|secrets|passwords|api\s+keys|keys)\s*$", re.IGNORECASE)
_MOVES_RE = re.compile(r"\s*(?:please\s+)?(?:move|migrate|transfer|port|rotate|store|put|consolidate|centrali[sz]e)\b",
                       re.IGNORECASE)
"""Credentials moved or rotated (``Move all 40 carrier API credentials into Secrets Manager``): no system to design,
whatever system word qualifies them (``API``); replacing them (``Replace passwords with passkeys``) builds one."""
_SYSTEM_TOPIC_RE = re.compile(r"\b(?:portal|automation|capabilit(?:y|ies)|channel|service|app|application|tool|platform|"
                              r"system|feature|flow|page|dashboard|bot|api|engine|module|integration|workflow|wizard|"
                              r"tracker|manager|sdk|library)s?\b", re.IGNORECASE)
_EXTENDS_RE = re.compile(r"^\s*(?:add|expose|support)\s+(?:an?\s+|the\s+|new\s+)*(?:[\w.-]+\s+){0,2}?(?:--[\w-]+\s+)?"
                         r"(?:flag|option|switch|parameter|param|argument|column|field|setting|toggle|filter|header|"
                         r"env(?:ironment)?\s+var(?:iable)?)s?\b(?:\s+\S+){0,3}?\s+(?:to|in|on)\s+(?:the|our|its)\b",
                         re.IGNORECASE)
"""A flag, a column, a setting added to a thing that exists (``Add a --since flag to the manifest-export CLI``): a
change to it, like a fix, not a system to design."""


_ACTIONS = frozenset({"implement", "secure", "deploy"})


def _side_by_side(items: list[_Item], numbered: bool) -> None:
    """Where nothing is built (an onboarding, a switch-off, follow-ups), the actions are independent: each master does
    its own at once, not in the software template's order of build before deploy; what the writer ordered (``then``,
    ``once``, ``them``) stays ordered, and so do checks, documents, the switch and the report after the actions.
    ``numbered``: a numbered list of action items is a list, not steps."""
    for item in items:
        if numbered:
            item.group -= item.group % 100
        if (item.phase in _ACTIONS or (item.phase == "inventory" and item.text.split(maxsplit=1)[0].lower()
                                       not in _FINDING_VERBS)) and item.rank is None:
            item.rank = RANK["implement"]  # "Archive the dead repositories" finds nothing out: an action beside the rest


def _assign_files(items: list[_Item], task: QueueTask, limit: int) -> None:
    """Give the task's listed deliverables to the implementation items; split any over the limit."""
    named = {f for item in items for f in item.files}
    listed = [f for f in find_files("", [*_strings(task.context.get("deliverables")),
                                         *_strings(task.context.get("files_affected"))]) if f not in named]
    targets = [item for item in items if item.phase == "implement"] or items
    for index, path in enumerate(listed):
        targets[index % len(targets)].files.append(path)
    for item in list(items):
        if len(item.files) > limit:
            chunks = [item.files[i : i + limit] for i in range(0, len(item.files), limit)]
            position = items.index(item)
            items[position : position + 1] = [
                _Item(f"{item.text} (part {n} of {len(chunks)})", item.phase, item.master, chunk, item.group)
                for n, chunk in enumerate(chunks, 1)
            ]


def _fit(items: list[_Item], most: int) -> list[_Item]:
    """Merge parallel work (same group, phase and master) until at most ``most`` items remain.

    Work the writer put in order is never merged: too long a sequence is theirs to split.
    """
    while len(items) > most:
        for phase in ("implement", "secure", "test", "audit", "remediate", "docs", "deploy", "cutover", "retire",
                      "inventory", "design"):
            same = [item for item in items if item.phase == phase]
            pairs = [(a, b) for a, b in zip(same, same[1:], strict=False)
                     if a.master == b.master and a.group == b.group and a.waits == b.waits
                     and a.after == b.after]
            if pairs:
                first, second = pairs[0]
                first.text = f"{first.text}; {second.text}"
                first.files += second.files
                items.remove(second)
                break
        else:
            return items  # nothing left to merge: build_plan reports the size
    return items


_SUCCESS = {
    "inventory": "A structured inventory of {topic} exists, with each entry's owner, version and status",
    "design": ("An architecture document for {topic} exists, covering components, interfaces, data model "
               "and security considerations"),
    "implement": "{done} is implemented, the code builds and the existing tests pass",
    "test": "Automated tests for {topic} are written and pass, covering the main paths and failure cases",
    "audit": "The security review of {topic} is written down with severity per finding, and no critical or high finding is open",
    "secure": ("Done and verified ({title_lower}): the old weakness or credential no longer works, what depended "
               "on it still works, and the evidence is written down"),
    "docs": "Documentation for {topic} is written: purpose, usage, configuration and examples",
    "deploy": "{Topic} is deployed ({title_lower}): health checks pass and the rollback path is verified",
    "remediate": ("Done ({title_lower}): each finding it covers is fixed or accepted in writing, and a re-check "
                  "shows the fixed ones closed"),
    "cutover": "Traffic runs on the new setup ({title_lower}), health checks pass and the way back is written down",
    "retire": ("Done ({title_lower}): nothing calls the old system any more, its data is kept or deleted as agreed, "
               "and what was switched off is written down"),
    "review": "A report on {topic} is written with what was done, the results, open issues and next steps",
}
_TEMPLATE_TITLE = {
    "inventory": "Take an inventory of {topic}",
    "design": "Design {topic} architecture",
    "implement": "Implement {topic}",
    "test": "Write tests for {topic}",
    "audit": "Audit the security of {topic}",
    "secure": "Make {topic} secure",
    "docs": "Document {topic}",
    "deploy": "Deploy {topic}",
    "cutover": "Cut over to {topic}",
    "remediate": "Fix the findings on {topic}",
    "retire": "Retire the old {topic}",
    "review": "Write a report on {topic}",
}
_KEYS = {"design": "design", "test": "tests", "audit": "security-audit", "docs": "docs", "deploy": "deploy"}


def _drafts(items: list[_Item], topic: str, config: PlannerConfig, verbs: re.Pattern[str]) -> list[Draft]:
    """Number the items, and make each depend on every item of the nearest earlier step."""
    keys: list[str] = []
    for number, item in enumerate(items, 1):
        word = _KEYS.get(item.phase) if len([i for i in items if i.phase == item.phase]) == 1 else None
        side = re.search(r"\b(backend|frontend)$", item.text, re.IGNORECASE)
        if item.phase == "implement" and side:
            word = side.group(1).lower()
        keys.append(f"s{number:02d}-{word or _key_words(item.text, verbs)}")
    drafts: list[Draft] = []
    # a plan that writes no tests changes no code of its own ("Test the Wi-Fi in every room" is no test of code)
    coded = any(item.phase == "test" and _CODE_TESTS_RE.search(item.text) for item in items)
    for index, item in enumerate(items):
        earlier = [_order(other) for other in items if _order(other) < _order(item)]
        nearest = max(earlier, default=None)
        deps = tuple(keys[i] for i, other in enumerate(items) if _order(other) == nearest)
        title = _title_of(item, topic, verbs, item.verb if item.phase == "implement" else None).replace(_GROUP_MARK, ",")
        estimate = config.estimates.get(WORKER_TYPE[item.phase])
        drafts.append(
            Draft(
                key=keys[index],
                title=title,
                description=_description(item, title, topic).replace(_GROUP_MARK, ","),
                master=item.master,
                worker_type=WORKER_TYPE[item.phase],
                dependencies=deps,
                files=tuple(item.files or _default_files(item.phase, topic)),
                success_criteria=_criteria(item.phase, title, topic, coded),
                minutes=estimate.minutes if estimate else None,
                tokens=estimate.tokens if estimate else None,
            )
        )
    return drafts


def _key_words(text: str, verbs: re.Pattern[str]) -> str:
    """An id's words: the part's object before its qualifiers, whole words (``Design the data migration with
    a dry run on staging`` -> ``data-migration``, ``Switch the service's queries`` -> ``switch-service-queries``)."""
    text = re.sub(r"['’]s\b", "", text)
    unverbed = _LEADING_VERB_RE.sub("", text) or text
    head = _TOPIC_STOP_RE.sub("", unverbed).strip()
    alone = len(re.findall(r"[A-Za-z0-9]+", head)) == 1 and _opens_with_verb(unverbed, verbs)
    # "Measure before and after": a verb alone names no part; "collector that reads the meters": a thing does
    return slug(head if re.search(r"[a-z0-9]", head.lower()) and not alone else unverbed)


_PHASE_WORDS = {"a", "an", "design", "implement", "implementation", "test", "tests", "testing", "audit", "security", "document",
                "documentation", "docs", "deploy", "deployment", "review", "inventory", "and", "the", "then", "it"}


_TAKES_OBJECT = frozenset({"build", "release", "ship", "launch", "publish"})
"""Verbs whose part delivers the task's thing: a title of the verb alone ("Release") says nothing of what. Not a
redeploy or a rebuild, whose thing is what a part before it changed (``Rotate the DB creds, update apps, redeploy``)."""
_NAMES_A_THING_RE = re.compile(r"(?:[\w.'’/-]+ ){0,5}?(?:[\w.'’/-]+ )?(?:service|portal|app|application|website|site|api|"
                               r"system|platform|tool|function|blog|module|library|package|feature|page|form|bot)"
                               r"(?: (?!still\b)[\w.'’/-]+){0,2}",
                               re.IGNORECASE)
"""A topic that names a thing made and delivered (``metering service``, ``returns portal``), not an occasion
(``summer maintenance window``), a place (``Brazil``) or a cut phrase (``every service still``)."""
_LACKS_RE = re.compile(r"^(?:no|missing)\s+(?=\S)", re.IGNORECASE)
_VERBLESS_RE = re.compile(r"^(?:with\s+)?(?:(?:its|their)\s+own\s+|(?:its|their)\s+|an?\s+|the\s+)", re.I)
"""What opens a part that has no verb: ``with`` in a list of what a thing is built with (``with a security review
before launch, a CI pipeline ...``: was ``Run the with a security review``), an article, a possessive."""
_PHASE_VERB = {"inventory": "Compile", "design": "Design", "implement": "Implement", "secure": "Implement", "test": "Test",
               "cutover": "Cut over to", "retire": "Retire", "remediate": "Fix",
               "audit": "Audit", "docs": "Document", "deploy": "Set up", "review": "Review"}


def _title_of(item: _Item, topic: str, verbs: re.Pattern[str], verb: str | None = None) -> str:
    """A whole imperative sentence: the item's own words, with a verb when it has none
    (``"the admin UI"`` -> ``"Build the admin UI"``); a bare phase name (``"docs"``) becomes a
    title about the topic."""
    words = re.findall(r"[a-z]+", item.text.lower())
    if set(words) <= _PHASE_WORDS:
        return _TEMPLATE_TITLE[item.phase].format(topic=topic)
    if len(item.text.strip(" .").split()) == 1 and words[0] in _TAKES_OBJECT and _NAMES_A_THING_RE.fullmatch(topic) \
            and not _opens_with_verb(topic, verbs):
        return _title(f"{item.text.strip(' .')} {topic}")  # "Redeploy", "Release" alone: of what, the topic says
    if item.imperative or _opens_with_verb(item.text, verbs) or (item.phase == "cutover" and _CUTOVER_RE.match(item.text)) or (
            item.phase == "retire" and _RETIRE_RE.match(item.text)):
        return _title(item.text)  # "Go live on Monday", "Power off cron01": the switch says its own verb
    owned = re.match(r"^(?:its|their)\b", item.text.strip(), re.I)  # "its own database": the topic's
    result = _RESULT_RE.match(item.text.strip())
    base = participle_base(result.group("done")) if result else None
    if base and len(base) > 3 and base[-1] == base[-2] and base[-1] in "lpt" and not verbs.fullmatch(base) \
            and verbs.fullmatch(base[:-1]):
        base = base[:-1]  # "cancelled": cancel (British spelling doubles the l; "installed" stays install)
    if result and base and (known := verbs.match(base)) is not None and known.end() == len(base) \
            and not re.search(r"[a-z]ed\s", result.group("what")) \
            and result.group("what").split()[-1].lower() not in _NO_THING_ENDS:
        # "the build secrets moved to GitHub's secrets", after "We need": the result wanted, said as done
        what = result.group("what")
        return _title(f"{base} {what[:1].lower()}{what[1:]}{result.group('rest')}")
    rest = _VERBLESS_RE.sub("", item.text.strip())
    if _LACKS_RE.match(rest):
        # "no inventory of X" is a finding or a wanted absence ("no Docker socket mounts"), never "the no ...": an
        # inventory's is compiled; any other is a gap to close, said as written (which of the two it is, only the
        # writer knows)
        if item.phase != "inventory":
            return _title(f"Close the gap: {rest[:1].lower()}{rest[1:]}")
        rest = _LACKS_RE.sub("", rest)
    first = rest.split(maxsplit=1)[0] if rest.split() else ""
    if first[1:].islower() and (_COMMON_START_RE.search(first) or first.lower() in COMMON_NOUNS):
        rest = first[:1].lower() + rest[1:]  # "Nightly ETL", "Existing data" began a sentence; "Snowflake ..." is a name
    thing = f"the {rest} of {topic}" if owned else f"the {rest}"
    act = _ACT_NOUN_RE.match(rest) if not owned else None
    if _ENTRY_RE.match(rest):  # "an entry in the software register": added there, not implemented
        return _title(f"Add an {rest}")
    if act:  # "the release through both stores with the country enabled": release, not "Set up the release ..."
        return _title(f"{_ACT_VERBS[act.group('act').lower()]} {rest[act.end():].strip()}")
    if _WRITTEN_RE.search(_TOPIC_STOP_RE.sub("", rest)):
        verb = "Write"  # a rollback plan, a runbook, a guide is written, whatever phase it is in
    elif _CONTENT_RE.match(rest):
        verb = "Prepare"  # "the store listings and screenshots in Portuguese": content, not code to implement
    elif _APPROVAL_RE.search(rest):
        verb = "Get"  # "a legal sign-off on the retention rules"
    elif _REVIEWING_RE.search(rest) or (item.phase == "test" and _TEST_RE.search(rest)):
        verb = "Run"  # "a pen test before go-live", "a DPIA and security review of the new provider"
    return _title(f"{verb or _PHASE_VERB[item.phase]} {thing}")


_ENTRY_RE = re.compile(r"entry\s+(?:in|into|on|to)\s", re.IGNORECASE)
_ACT_VERBS = {"registration": "Register",
              "release": "Release", "rollout": "Roll out", "roll-out": "Roll out", "migration": "Migrate",
              "deployment": "Deploy", "launch": "Launch", "removal": "Remove", "deletion": "Delete",
              "installation": "Install", "translation": "Translate", "decommissioning": "Decommission"}
_ACT_NOUN_RE = re.compile(rf"(?P<act>{'|'.join(_ACT_VERBS)})\s+(?:of\s+)?(?=(?:the|our|its|both|all|every|to|through|in|"
                          r"into|on|across)\b)", re.IGNORECASE)
"""A verbless part named by the act it asks for (``the release through both stores``, ``the migration of the jobs to
...``): that act's verb, not the phase's."""
_RESULT_RE = re.compile(r"^(?P<what>(?:the|all|every|each|our|its|their)\s+(?:[\w'’./-]+\s+){0,4}?[\w'’./-]+)\s+"
                        r"(?P<done>[a-z]+ed|written|rewritten|built|rebuilt|done|shut|frozen|set\s+up|rolled\s+out|"
                        r"cut|split|sent|taken|made|kept)\b(?P<rest>(?:\s*$|[\s,;.]+(?:to|into|onto|via|with|for|in|on|at|"
                        r"from|across|there|here|first|then|before|after|once|when|under|behind|off|out|down|up|over|away|back)\b|"
                        r"[,;.]).*)$", re.IGNORECASE | re.DOTALL)
"""A thing and what is to be done to it, said as done (``the deploy jobs ported``, ``the broker deployed via Helm``):
nothing but where, how or when may follow, so not a past act with its object (``the agent swapped two seats``), nor
who did it (``the users affected by the outage``)."""
_NO_THING_ENDS = frozenset({"be", "is", "are", "was", "were", "been", "being", "has", "have", "had", "already", "they",
                            "we", "it", "he", "she", "you", "i", "not"})
"""Words that end no thing: before a participle they make it a verb phrase (``the clusters they are deployed to``)."""


_COMMON_START_RE = re.compile(r"^(?:new|old|all|each|every|existing|current|daily|weekly|monthly|yearly|a|an|the|"
                              r"schema|data|backend|frontend|mobile|web|admin|user|customer|internal|external|public|"
                              r"private|shared|single|multiple|basic|simple|full|"
                              r"\w+(?:ly|al|ing|ed|ive|ous|ful|less|able|ion|ions|ment|ments|ance|ence|ity|ities))$",
                              re.IGNORECASE)
_APPROVAL_RE = re.compile(r"^(?:\w+\s+){0,2}(?:sign-?off|approval|go-ahead)\b", re.IGNORECASE)
_CONTENT_RE = re.compile(r"(?:(?:app\s+)?store\s+listings?|screenshots|marketing\s+(?:copy|texts?)|copy|"
                         r"release\s+notes|app\s+descriptions?|store\s+texts?)\b", re.IGNORECASE)
"""Words and pictures a store or a page shows (a listing, screenshots, copy): prepared, not implemented."""
_WRITTEN_RE = re.compile(r"\b(?:plan|runbook|playbook|guide|report|document|doc|policy|procedure|checklist|rfc|adr|"
                         r"diagram|spec|specification|proposal|readme|changelog|notes|faq|manual|write-?up)s?\s*$",
                         re.IGNORECASE)


_STARTS_WITH_VERB_RE = re.compile(
    r"^(?:run|set|configure|rotate|remove|review|verify|validate|publish|ship|migrate|move|rename|delete|enable|"
    r"disable|restore|rebuild|resume|re-sync|resync|recover|repair|launch|deliver|list|catalog|inventory|survey|"
    r"check|find|collect|map|count|harden|patch|upgrade|bump|tag|roll|provision|install|generate|automate|wire|"
    r"expose|split|merge|port|extract|profile|measure|benchmark|investigate|triage|instrument|monitor|optimi[sz]e|"
    r"plan|redeploy|re-deploy|re-apply|reapply|re-run|rerun|finish|cache|clean|prune|backfill|seed|import|export|"
    r"sync|notify|schedule|archive|retire|decommission|onboard|scope|prepare|draft)\b",
    re.I)


_PREPARED_RE = re.compile(r"Prepare\s+(?:(?P<thing>.+?)\s+for\s+(?:approval|signature|review|confirmation|sign-off)\s+by\s+"
                          r"(?P<who>.+?)|what\s+(?P<asked>.+?)\s+needs?\s+to\s+\w+(?:\s+off)?)(?:\s+(?:before|after|once|when|until|by|"
                          r"so\s+that|in\s+time)\b.*)?$")


_SHIPS_RE = re.compile(r"^\s*(?:then\s+)?(?:re-?deploy|deploy|release|ship|roll\s+(?:\S+\s+){0,3}?(?:out|back)|rollback|"
                       r"install|provision|upgrade|migrate|promote|launch|go\s+live|push\s+(?:\S+\s+){0,3}?to|apply|"
                       r"restore|fail\s+(?:\S+\s+){0,3}?over|put\s+(?:\S+\s+){0,3}?live|stand\s+up|spin\s+up|"
                       r"bring\s+up|(?:set\s+up|create|build)\s+(?:\S+\s+){0,4}?(?:clusters?|environments?|envs?|servers?|"
                       r"hosts?|nodes?|instances?|vms?|stacks?))\b",
                       re.IGNORECASE)
_GOES_LIVE_RE = re.compile(r"\b(?:(?:re)?deploy(?:s|ed|ments?)?|releases?|rollouts?|roll-outs?|go-?live|live|production|prod|"
                          r"migrations?|cut-?overs?|canar(?:y|ies)|npm|pypi|app\s+store|play\s+store|(?:to|onto|on)\s+"
                          r"(?:the\s+)?(?:new\s+)?(?:clusters?|kubernetes|k8s|eks|gke|aks|ecs|aws|gcp|azure|cloud\s+run|"
                          r"fargate|vms?|servers?))\b(?!\s*(?:pipelines?|branch(?:es)?|notes|gates?|process|jobs?|"
                          r"workflows?|health|checklists?|config\w*|plans?|runbooks?|dashboards?)\b)", re.IGNORECASE)
"""A part that names its release or where it runs (``Set up the staged rollout``, ``Move the api to the new cluster``,
``Remove the v1 routes in production``), though its verb is no deploy's; not a release's pipeline or notes."""
"""A cicd part that puts something out or brings it up (``Deploy to staging``, ``Upgrade``, ``Roll out to 20 %``,
``Stand up the new cluster``): what health checks and a rollback path show done. Another (``Report the savings``,
``Take them off the PagerDuty rotation``, ``Add AWS Budgets alerts per team``, ``Set up the RBAC``) is done as asked
and written down."""
_CODE_TESTS_RE = re.compile(r"\btests\b|\bsuites?\b|\b(?:regression|unit|integration|e2e)\s+test", re.IGNORECASE)
"""Tests of code (``Write tests for X``, ``Run the UI tests``, ``Add a regression test``), not ``Test the Wi-Fi``."""
_CHECKING_VERBS = frozenset({"test", "verify", "check", "validate", "load-test", "load", "try", "confirm", "measure"})
_GRANTS_RE = re.compile(r"^(?:give|grant|invite|provide|add|create|set\s+up|issue)\b", re.IGNORECASE)


def _lower_first(title: str) -> str:
    """A title set inside a sentence: its first letter lower-case, unless its first word is an acronym or a name
    written with capitals or digits inside it (``EDI 850 mappings``, ``AS2 connection``, ``GitHub``)."""
    first = title.split(maxsplit=1)[0] if title.strip() else ""
    return title if re.search(r"[A-Z0-9]", first[1:]) else title[:1].lower() + title[1:]


_IAC_RE = re.compile(r"^(?:Write|Create|Add|Set\s+up|Build|Update)\s+(?:the\s+|an?\s+|our\s+)?(?:[\w-]+\s+){0,2}?"
                     r"(?:Terraform|OpenTofu|Pulumi|CloudFormation|Bicep|Helm\s+charts?|Ansible\s+(?:playbooks?|roles?))\b",
                     re.IGNORECASE)
"""Infrastructure written as code (``Write the Terraform for the staging VPC``): applied, not a document to read."""
_CODE_WRITTEN_RE = re.compile(r"^Write\s+(?:the\s+|an?\s+|our\s+)?(?:[\w-]+\s+){0,3}?(?:jobs?|scripts?|quer(?:y|ies)|dags?|"
                              r"cron\s*jobs?|exporters?|hooks?|lambdas?|functions?)\b(?!\s+(?:manifests?|docs?|runbooks?|specs?))",
                              re.IGNORECASE)
"""A program written (``Write a job that deletes orphaned thumbnails``, ``Write a restore-test script``): it runs."""
_EVIDENCE_PACK_RE = re.compile(r"\bevidence\s+(?:packages?|packs?|bundles?|binders?)\b", re.IGNORECASE)
"""An evidence package for auditors: gathered and traced, neither code nor a deploy."""
_SET_UP_NEW_RE = re.compile(r"^(?:Implement|Set\s+up|Configure|Create|Add|Open|Establish|Enable)\s+(?:the\s+|an?\s+)?new\b",
                            re.IGNORECASE)
"""A new connection or account set up in security's work (``Implement the new SFTP connection with their keys``):
nothing old stops working."""


def _own_criterion(phase: str, title: str) -> str:
    """The criterion of a part whose kind its words say, whatever its phase's template would say: infrastructure
    code, a program, an evidence package, a finding, a register entry, a schedule, a new connection. Empty if none."""
    lowered = _lower_first(title)
    if _IAC_RE.match(title):  # was "written down where the project keeps its documents"
        return (f"Applied cleanly ({lowered}): the code is reviewed and kept in the repository, its plan or diff shows "
                "only the intended resources, and a second apply changes nothing")
    if _EVIDENCE_PACK_RE.search(title) and phase not in ("design", "test", "review"):  # was "the code builds"
        return (f"Handed over ({lowered}): each item asked for is in it, dated and traceable to its source, and who "
                "received it and when is written down")
    if phase == "inventory" and _FINDS_WHERE_RE.match(title):  # was "with each entry's owner, version and status"
        return (f"Written down ({lowered}): each one found, with where it is and who owns it, and how the search was "
                "made, so that none is missed")
    if phase == "inventory" and _RECORDS_NEW_RE.search(title):  # was "a structured list of what was found"
        return (f"Recorded ({lowered}): the entry names the thing, its owner and where it runs or is, and is "
                "found in the register by its name")
    if phase == "deploy" and _TAGS_RE.match(title):  # was "is deployed (tag ...): health checks pass"
        return (f"Tagged ({lowered}): the tag names the commit that passed its checks and is pushed where releases are "
                "built from")
    if re.match(r"Schedule\s+(?:it|them)\b", title, re.IGNORECASE):  # was "Done as asked (schedule it ...)"
        return (f"Scheduled ({lowered}): its first scheduled run is seen to start and finish, and a failed run "
                "alerts its owner")
    if _CODE_WRITTEN_RE.match(title) and phase in ("docs", "deploy", "review"):  # was a document's criterion
        return (f"Works as asked ({lowered}): a run on test data does what it says, shown by its author, and its code "
                "is kept in the repository")
    if phase == "secure" and _SET_UP_NEW_RE.match(title):  # was "the old weakness or credential no longer works"
        return (f"Set up and shown working ({lowered}): a test exchange works end to end, only those it is for can "
                "use it, and where its keys or certificates are kept is written down")
    return ""


def _criteria(phase: str, title: str, topic: str, coded: bool = True) -> str:
    """A checkable sentence: ``Implement the REST API`` -> ``The REST API is implemented, ...``; where the phase's
    sentence does not fit the part (no code in a plan that writes no tests, no deploy in a report), what was done
    and its result written down (``coded``: whether the plan writes tests, so changes code)."""
    if title.endswith("..."):
        title = title[:-3]  # a long title was cut: what is checked is the part as far as it says
    words = title.split()
    person = next((n for n, word in enumerate(words[1:6], 1) if {word.lower(), f"{word.lower()}s"} & PEOPLE), None)
    if words[:1] == ["Let"] and person is not None and person + 1 < len(words):  # "Let members invite guests"
        who, what = " ".join(words[1:person + 1]), " ".join(words[person + 1:])
        return (f"{who[:1].upper()}{who[1:]} can {what} (its author shows it working); the code builds and the "
                "existing tests pass")
    own = _own_criterion(phase, title)
    if own:
        return own
    ran = re.match(r"(?:Run|Get)\s+(?:the\s+|an?\s+)?(?P<what>.+)$", title)
    if ran and phase in ("test", "audit") and _MEASURED_RE.search(ran["what"]):
        # a load test or a benchmark measures: no finding has a severity, a number falls short of its target or not
        return (f"The {ran.group('what')} is run and its results are written down: each number measured against "
                "its target, and where and why it falls short")
    if ran and phase in ("test", "audit") and _SUITE_RE.search(ran["what"]) and not _SECURITY_RUN_RE.search(title):
        runs = "run and pass" if re.search(r"\b(?:tests|suites)\b", ran["what"], re.IGNORECASE) else "runs and passes"
        return f"The {ran.group('what')} {runs}; each failure is written down with its cause and fixed or filed"
    if ran and phase in ("test", "audit") and not title.startswith("Run both"):  # "Run the pen test before go-live"
        return (f"The {ran.group('what')} is done and its findings are written down, each with a severity, and no "
                "critical or high finding is left open")
    prepared = _PREPARED_RE.match(title)
    if prepared and phase == "docs":
        who = prepared["who"] or prepared["asked"]
        thing = prepared["thing"] or f"what {who} needs"
        be = "are" if re.search(r"(?:[^s]s|them|these|those)$", thing) and not thing.startswith("what ") else "is"
        return (f"{thing[:1].upper()}{thing[1:]} {be} sent to {who} with what they need to decide, and "
                "their answer (or what they ask to change) is written down with its date")
    wrote = re.match(r"Write\s+(?:the\s+|an?\s+)?(?P<what>.+?)(?:,?\s+and\s+[a-z]+\s+(?:it|them)\b.*)?$", title)
    if (wrote and phase in ("docs", "deploy", "review")) or (wrote and _WRITTEN_RE.search(title)):
        return (f"The {wrote.group('what')} is written down where the project keeps its documents, says what to "
                f"do step by step, and is checked against {topic} as it is now")
    if phase == "implement" and _SCHEDULES_RE.match(title):  # "Schedule the go-live with the store managers"
        return (f"Done as asked ({_lower_first(title)}): the date is agreed with those it concerns and "
                "written down, with who agreed it and when")
    if phase == "implement" and len(title.split()) > 2 and title.split(maxsplit=1)[0].lower() in _PEOPLE_DONE \
            and not _SOFTWARE_RE.search(title) and not re.search(r"\bmodels?\b", title, re.IGNORECASE):
        # "Train the cashiers", "Order 200 replacements": no code builds; what shows it done is a record of it
        return (f"Done as asked ({_lower_first(title)}) and written down: what was done, by whom and when, "
                "with the order, booking, attendance list or receipt that shows it")
    lowered, verb = _lower_first(title), title.split(maxsplit=1)[0].lower()
    if _SIGN_OFF_RE.match(title) and phase != "docs":  # "Get QA sign-off": a decision, not a build or a deploy
        return (f"The sign-off is given in writing ({lowered}): who gave it, when and on what, and anything they "
                "asked to change is done")
    if _placed(title) and verb in ("remove", "take", "drop", "move"):  # "Take them off the rotation"
        return (f"Done as asked ({lowered}): they no longer have it, and who lost what, and when, is written down")
    if (phase == "secure" and _GRANTS_RE.match(title)) or _placed(title):
        # "Give them access to their GitHub team", "Add priya.r to AWS SSO group 'sre-readonly'": nothing is revoked
        return (f"Done as asked ({lowered}): it works for those it is for and gives no more than asked, and who "
                "got what is written down")
    if (phase == "deploy" and not _SHIPS_RE.match(title) and not _GOES_LIVE_RE.search(title)) or (
            phase == "implement" and not coded and not _SOFTWARE_RE.search(title)) or (
            phase == "test" and verb in _CHECKING_VERBS and not _CODE_TESTS_RE.search(title)):
        # "Report the monthly savings to finance", "Move the phones", "Test the Wi-Fi in every room"
        return (f"Done as asked ({lowered}), checked by its author, with what was done and its result written down; "
                "what it changed still works")
    if phase == "inventory" and title != _TEMPLATE_TITLE["inventory"].format(topic=topic):
        # "Find every affected service", "Check which ones expose SSH": the part's own list, not one of the task
        # title; "Archive the 30 dead repos", "Update the service catalog" find nothing
        if verb in _FINDING_VERBS:
            return (f"Done as asked ({lowered}): a structured list of what was found, with each entry's owner, "
                    "version and status")
        return (f"Done as asked ({lowered}), checked by its author, with what was done and its result written down; "
                "what it changed still works")
    if phase == "secure" and verb not in _CLOSES_WEAKNESS:
        # "Write the report to the risk committee", "Add a detection for ...", "Produce evidence for each": no old
        # weakness or credential stops working
        return (f"Done as asked ({lowered}), checked by its author, with what was done and its result written down; "
                "what it changed still works")
    if phase == "deploy" and _STORE_RELEASES_RE.match(title) and (
            _STORE_RE.search(f"{title} {topic}") or re.search(r"\b(?:ios|android|testflight)\b", title, re.IGNORECASE)):
        # an app released through a store has no health check nor rollback: review, rollout share and crashes
        return (f"Released ({lowered}): the store accepted the build, it reaches users at the planned rollout share, "
                "and its crash rate is watched, the rollout halted if it rises")
    if _CHECKS_RESULT_RE.match(title):  # "Make sure the app builds and the unit tests pass": true, not "Sure ... is implemented"
        return (f"Checked ({lowered}): it holds, shown by its author, with how it was checked and what it showed written "
                "down")
    reviewed = _REVIEW_OF_RE.match(title) if phase == "audit" else None
    if reviewed:  # "Have security/privacy review the LGPD consent screen": the review of that, not of the whole task
        what = re.sub(r",?\s+(?:before|after|once|when|until|so|by)\s.*$", "", reviewed.group("what"))  # not "before launch"
        return _SUCCESS["audit"].format(topic=what)
    checked = _SECURITY_CHECK_RE.match(title) if phase == "audit" and not reviewed else None
    if checked:  # "Scan the 9 payroll containers with Grype": the run of that, not a review of the task's title
        what = re.sub(r",?\s+(?:before|after|once|when|until|so|by)\s.*$", "", checked.group("what"))
        noun = _CHECK_NOUN.get(re.sub(r"[\s-]", "", checked.group("verb").lower()), checked.group("verb").lower())
        return (f"The {noun} of {what} is written down with severity per finding, and no critical or high finding is "
                "open")
    if phase == "implement" and verb == "fix" and coded:
        # "Fix missing certificate pinning on the BFF host": what was wrong is gone, not "Missing ... is implemented"
        return (f"Fixed ({lowered}): what was wrong no longer happens, shown by its author, the code builds and the "
                "existing tests pass")
    swapped = _REPLACED_WITH_RE.match(title) if phase == "implement" else None
    if swapped:  # "Replace the NFS storage adapter with S3": the old one replaced, not "NFS ... with S3 is implemented"
        old, last = swapped.group("old"), swapped.group("old").split()[-1].lower()
        are = last.endswith("s") and not last.endswith(("ss", "us", "is")) and "." not in last  # "tax tables", not "moment.js"
        return (f"{old[:1].upper()}{old[1:]} {'are' if are else 'is'} replaced by {swapped.group('new')}, the code builds "
                "and the existing tests pass")
    done = _LEADING_VERB_RE.sub("", title).strip() or topic
    if phase == "implement" and done == title:  # "Run both databases side by side": no "X is implemented"
        return (f"Done as asked ({_lower_first(title)}), checked by its author; the code builds and the "
                "existing tests pass")
    done = done[:1].upper() + done[1:]
    return _SUCCESS[phase].format(topic=topic, Topic=topic[:1].upper() + topic[1:], title=title, done=done,
                                  title_lower=_lower_first(title))


_REPLACED_WITH_RE = re.compile(r"^(?:please\s+)?(?:replace|swap\s+out|swap)\s+(?P<old>\S.*?)\s+(?:with|by)\s+"
                               r"(?P<new>\S.*?)[.;]?$", re.IGNORECASE)
"""A part that puts one thing in another's place (``Replace the NFS storage adapter with S3``): its criterion says
which went and which came (its object is the old one, and "X with Y is implemented" said the opposite)."""


_STORE_RELEASES_RE = re.compile(r"^\s*(?:then\s+)?(?:re-?release|release|ship|roll\s+(?:\S+\s+){0,3}?out|publish|"
                                r"re-?submit|submit|upload|launch|promote|prove)\b", re.IGNORECASE)
"""A part that puts a build out (not ``Regenerate the App Store provisioning profiles``)."""
_STORE_RE = re.compile(
    r"\b(?:app\s*store|play\s*store|google\s+play|play\s+(?:console|production|internal)|testflight|"
    r"(?:both|the)\s+stores?\b(?!\s+(?:servers?|staff|managers?|network|controllers?|pcs?|devices?|teams?))|"
    r"(?:release|next|this|the)\s+train|store\s+review|(?:ios|android|mobile)\s+(?:apps?|releases?|builds?)|"
    r"app\s+versions?)\b", re.IGNORECASE)
"""A release through an app store (a mobile app's build, a release train), not a deploy to servers."""


_SECURITY_CHECK_RE = re.compile(r"^(?P<verb>scan|re-?scan|audit|re-?audit|pen[\s-]?test|assess|review|re-?test)\s+"
                                r"(?P<what>(?!the\s+security\s+of\b)(?:the|all|every|each|both|our|their|its|these|those|who|how|which|"
                                r"any|\d)\b.*?)(?:,?\s+and\s+(?:then\s+)?[a-z]+\s+(?:what|the|all|any|anything|it|them|"
                                r"each|every)\b.*)?$",
                                re.IGNORECASE)
"""A security run with its own object (``Scan the 9 payroll containers with Grype``, ``Audit the service accounts in
AD``): its criterion names that object, not the task's title; not a noun (``Audit pack for the regulator``) nor the
template's own ``Audit the security of ...``."""
_CHECK_NOUN = {"rescan": "rescan", "pentest": "pen test", "assess": "assessment", "reaudit": "re-audit",
               "retest": "retest"}
_REVIEW_OF_RE = re.compile(r"^(?:have|get|make|ask)\s+(?:the\s+)?[\w/-]+(?:\s+team)?\s+(?:to\s+)?(?:review|audit|assess|"
                           r"pen-?test|check)\s+(?P<what>(?!it\b|them\b|this\b|that\b)\S.*)$", re.IGNORECASE)
"""A review asked of a team with its own object (``Have security review the server-side validation``)."""


_FINDING_VERBS = frozenset({
    "find", "check", "identify", "discover", "map", "compile", "list", "inventory", "catalog", "catalogue", "count",
    "enumerate", "survey", "locate", "scan", "audit", "tally", "record", "search", "look", "determine", "confirm"})
"""Verbs of an inventory part that finds out what exists (its result is a list of what was found)."""
_CLOSES_WEAKNESS = frozenset({
    "rotate", "revoke", "remove", "delete", "disable", "patch", "fix", "restrict", "block", "replace", "upgrade", "bump",
    "move", "migrate", "enforce", "harden", "close", "lock", "pin", "update", "encrypt", "expire", "suspend", "deactivate",
    "purge", "reset", "reissue", "re-issue", "implement", "enable", "configure", "set", "turn", "require", "limit",
    "tighten", "scope", "reduce", "strip", "sanitize", "sanitise", "escape", "validate", "deny", "quarantine", "isolate",
    "contain", "wipe", "retire", "decommission", "secure", "protect", "mitigate", "remediate", "apply", "change"})
"""Verbs of a security part whose result is that an old weakness or credential no longer works."""


TITLE_CHARS = 120


def _title(text: str) -> str:
    """Capitalised, without its full stop, at most ``TITLE_CHARS`` long: a longer one is cut after a whole word
    and ends with "..." (the part's description keeps every word)."""
    text = text.strip().rstrip(".")
    if "(" in text or ")" in text:
        text = _balanced(text)
    text = text[:1].upper() + text[1:]
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[: TITLE_CHARS - 3].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return f"{cut}..."


def _balanced(text: str) -> str:
    """``text`` without a parenthesis the writer opened and never closed (``Set up the alert (for disk and CPU``)
    or closed and never opened."""
    opened: list[int] = []
    unmatched: set[int] = set()
    for index, char in enumerate(text):
        if char == "(":
            opened.append(index)
        elif char == ")":
            if opened:
                opened.pop()
            else:
                unmatched.add(index)
    unmatched.update(opened)
    if not unmatched:
        return text
    return re.sub(r"\s{2,}", " ", "".join(c for i, c in enumerate(text) if i not in unmatched)).strip()


def _description(item: _Item, title: str, topic: str) -> str:
    """The part in the writer's own words when they say more than the title (the handoff adds the
    whole request and what came before: see ``handoffs.brief``)."""
    own = (item.said or item.text).strip().rstrip(".")
    said = _VERBLESS_RE.sub("", own).lower()
    bare = set(re.findall(r"[a-z]+", said)) <= _PHASE_WORDS  # "docs": the title already says it
    text = f"{title}." if bare or said in title.lower() else f"{title}: {own}."
    pronoun = _OBJECT_PRONOUN_RE.match(item.text) or _USES_PRONOUN_RE.match(item.text)
    if item.refers and pronoun is not None:
        word = next(said for said in pronoun.groupdict().values() if said).lower()
        text += f' ("{word}": what the part "{item.refers.strip().rstrip(".")}" made or worked on.)'
    return text


def _default_files(phase: str, topic: str) -> list[str]:
    name = slug(topic, 4)
    return {
        "design": [f"docs/{name}-architecture.md"],
        "audit": [f"reports/{name}-security-audit.md"],
        "docs": [f"docs/{name}.md"],
        "inventory": [f"reports/{name}-inventory.json"],
    }.get(phase, [])


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# --- subtasks given by the task or an external planner -------------------------------


def drafts_from_json(raw: object, classifier: Classifier) -> list[Draft]:
    """Read a ``subtasks`` list (or ``{"subtasks": [...]}``); :class:`PlanError` names every problem."""
    if isinstance(raw, dict) and "subtasks" in raw:
        raw = raw["subtasks"]
    if not isinstance(raw, list):
        raise PlanError([f"subtasks must be a list, got {type(raw).__name__}"])
    problems: list[str] = []
    drafts: list[Draft] = []
    for index, entry in enumerate(raw, 1):
        where = f"subtask {index}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object, got {type(entry).__name__}")
            continue
        key = entry.get("subtask_id", entry.get("id"))
        title = entry.get("title")
        if not isinstance(key, str) or not is_safe_id(key):
            problems.append(f"{where}: id {key!r} is missing or not a safe name (letters, digits, . _ -)")
            continue
        where = f"subtask {key!r}"
        if not isinstance(title, str) or not title.strip():
            problems.append(f"{where}: title is missing")
            continue
        description: str = entry["description"] if isinstance(entry.get("description"), str) else title
        deps = entry.get("dependencies", entry.get("depends_on", []))
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            problems.append(f"{where}: dependencies must be a list of subtask ids")
            continue
        given_master = entry.get("assigned_to", entry.get("master"))
        route = classifier.route(title, description)
        master = normalize_master(given_master) if given_master is not None else route.master
        if master not in MASTERS:
            problems.append(f"{where}: unknown master {given_master!r} (masters: {', '.join(MASTERS)})")
            continue
        files = entry.get("files_affected", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            problems.append(f"{where}: files_affected must be a list of paths")
            continue
        worker_type = entry.get("worker_type")
        phase = phase_of(f"{title} {description}", route.domain)
        known = {"subtask_id", "id", "title", "description", "dependencies", "depends_on", "assigned_to",
                 "master", "files_affected", "worker_type", "estimated_duration_minutes", "estimated_tokens",
                 "success_criteria"}
        drafts.append(
            Draft(
                key=key,
                title=title.strip(),
                description=description,
                master=master,
                worker_type=worker_type if isinstance(worker_type, str) and worker_type else WORKER_TYPE[phase],
                dependencies=tuple(deps),
                files=tuple(files),
                success_criteria=_text(entry.get("success_criteria")) or f"{title.strip()} is done and verified",
                minutes=_positive_int(entry.get("estimated_duration_minutes")),
                tokens=_positive_int(entry.get("estimated_tokens")),
                extra={k: v for k, v in entry.items() if k not in known},
            )
        )
    if problems:
        raise PlanError(problems)
    return drafts


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return math.ceil(value)


# --- from drafts to a plan ---------------------------------------------------------------


def subtask_id(orchestration_id: str, key: str) -> str:
    """Folder-wide unique: the orchestration id (unique per task) namespaces the local key."""
    return key if key.startswith(f"{orchestration_id}-") else f"{orchestration_id}-{key}"


def build_plan(
    task: QueueTask,
    classification: Classification,
    drafts: Sequence[Draft],
    *,
    planner: str,
    config: PlannerConfig,
    now: str,
) -> Plan:
    """Validate ``drafts`` and lay them out as the seed's plan. Raises :class:`PlanError`."""
    orchestration_id = f"orch-{task.id}"
    problems = dag.validate([(d.key, d.dependencies) for d in drafts])
    ids = {d.key: subtask_id(orchestration_id, d.key) for d in drafts}
    graph = {ids[d.key]: [ids.get(dep, dep) for dep in d.dependencies] for d in drafts}
    layered = [] if problems else dag.stages(graph)
    too_big = len(drafts) > config.max_subtasks or len(layered) > config.max_stages
    if len(layered) > config.max_stages:
        problems.append(f"{len(layered)} stages (> {config.max_stages})")
    count = len(drafts)
    if not config.min_subtasks <= count <= config.max_subtasks:
        problems.append(f"{count} subtasks: a plan has {config.min_subtasks}-{config.max_subtasks}")
    for d in drafts:
        if len(ids[d.key]) > MAX_SUBTASK_ID:
            problems.append(f"subtask id {ids[d.key][:60]!r}... is longer than {MAX_SUBTASK_ID} characters")
        if len(d.files) > config.max_files_per_subtask:
            problems.append(f"subtask {d.key!r} affects {len(d.files)} files (> {config.max_files_per_subtask})")
        if d.minutes and d.minutes > config.max_subtask_minutes:
            problems.append(f"subtask {d.key!r} is estimated at {d.minutes} min (> {config.max_subtask_minutes})")
        if d.tokens and d.tokens > config.max_subtask_tokens:
            problems.append(f"subtask {d.key!r} is estimated at {d.tokens} tokens (> {config.max_subtask_tokens})")
    if problems:
        raise PlanError(problems, too_big=too_big)
    stage_of = {node: number for number, stage in enumerate(layered, 1) for node in stage}
    default = config.estimates
    subtasks = [
        Subtask(
            subtask_id=ids[d.key],
            parent_task_id=task.id,
            parent_orchestration=orchestration_id,
            title=d.title,
            description=d.description,
            assigned_to=d.master,
            worker_type=d.worker_type,
            dependencies=graph[ids[d.key]],
            estimated_duration_minutes=d.minutes or _estimate(default, d.worker_type, "minutes"),
            estimated_tokens=d.tokens or _estimate(default, d.worker_type, "tokens"),
            files_affected=list(d.files),
            success_criteria=d.success_criteria,
            stage=stage_of[ids[d.key]],
            created_at=now,
            **dict(d.extra),
        )
        for d in drafts
    ]
    return Plan(
        orchestration_id=orchestration_id,
        parent_task_id=task.id,
        task_title=task.title or task.full_description[:120],
        task_description=task.full_description,
        task_created_at=task.created_at,
        priority=task.priority or "medium",
        created_at=now,
        status="planning",
        planner=planner,
        classification=classification,
        subtasks=subtasks,
        execution_plan={f"stage_{n}": stage for n, stage in enumerate(layered, 1)},
        resource_estimate=estimate(subtasks, graph, layered),
        progress=Progress(current_stage=1),
    )


def _estimate(defaults: Mapping[str, Any], worker_type: str, attribute: str) -> int:
    entry = defaults.get(worker_type) or defaults["implementation"]
    return int(getattr(entry, attribute))


def estimate(subtasks: Sequence[Subtask], graph: Mapping[str, Sequence[str]],
             layered: Sequence[Sequence[str]]) -> ResourceEstimate:
    """Step 4 of the seed: size, duration range, tokens, masters, workers, parallelism, bottlenecks."""
    by_id = {s.subtask_id: s for s in subtasks}
    path, longest = dag.critical_path(graph, {s.subtask_id: s.estimated_duration_minutes for s in subtasks})
    serial = sum(s.estimated_duration_minutes for s in subtasks)
    low = int(longest)
    high = max(serial, _round_up(longest * 1.25, 5))
    masters = list(dict.fromkeys(s.assigned_to for s in subtasks))
    bottlenecks = [f"critical path: {' -> '.join(by_id[n].title for n in path)} ({low} min)"]
    for number in range(2, len(layered) + 1):
        stage, before = layered[number - 1], layered[number - 2]
        if len(stage) == 1 and len(before) > 1:
            bottlenecks.append(f"stage_{number}: {by_id[stage[0]].title} must wait for {len(before)} parallel subtasks")
    return ResourceEstimate(
        total_subtasks=len(subtasks),
        duration_estimate=f"{low}-{high} minutes",
        duration_minutes_min=low,
        duration_minutes_max=high,
        token_estimate=sum(s.estimated_tokens for s in subtasks),
        masters=masters,
        workers=len(subtasks),  # one worker per subtask (the seed's 8 for 6 subtasks counted the masters too)
        parallelization_possible=any(len(stage) > 1 for stage in layered),
        critical_path=path,
        bottlenecks=bottlenecks,
    )


def _round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)

