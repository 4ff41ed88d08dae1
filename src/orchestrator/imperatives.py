"""A description's sentences read as work: each an imperative, or nothing when it only tells context.

Writers state work in many shapes, and a plan's parts must be whole imperative sentences ("Design
the Customers should be able to log in" is what a verb put before a statement gives). So before the
planner cuts a description into parts, each sentence is read as one of:

* an imperative already (``Take a fresh backup, rehearse the upgrade ...``), or what is not a
  statement at all (a list of deliverables, ``Four components: an event collector, ...``): kept;
* a need: ``We need API keys per partner, rate limits ...``, ``That means a sync service, ...``,
  ``Needs SSO with our Azure AD`` -> what is needed;
* a capability of people: ``Customers should be able to log in, see their invoices`` -> ``Let
  customers log in, see their invoices``; ``External partners need read access to orders`` ->
  ``Give external partners read access to orders``;
* a requirement on a thing: ``The billing service must charge the new prices`` -> ``Make the billing
  service charge the new prices``; ``Every table gets a tenant_id`` -> ``Give every table a
  tenant_id``; ``Existing accounts become one workspace each`` -> ``Make existing accounts one
  workspace each``;
* a passive requirement: ``The Stripe price IDs must be replaced``, ``queries are scoped by tenant``,
  ``existing subscriptions need migrating`` -> ``Replace the Stripe price IDs``, ``Scope queries by
  tenant``, ``Migrate existing subscriptions``; a series of them keeps its subject as "it"/"them"
  (``It must be stored in the accounts table, sent to the CRM sync job`` -> ``Store it in the
  accounts table, send it to the CRM sync job``);
* a failure: ``Login is broken for SSO users`` -> ``Fix login for SSO users``;
* context: a constraint (``Downtime must stay under 10 minutes``), a fact (``There are 12 jobs``),
  what someone decided or did (``Leadership signed off on leaving Heroku``), a question or an
  e-mail's aside (``Can you plan this?``, ``Let's discuss on Monday``): not a part. Every handoff
  carries the whole description, so nothing the writer said is lost to the master.

Pure text work; ``verbs`` is the set of base verbs the planner knows (it grows the guesses of
which word a participle comes from).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Collection, Sequence

from orchestrator.textsignals import CRITERIA_RE, names_work

TEAMS: dict[str, str | None] = {
    **dict.fromkeys(("dev", "devs", "developers", "development", "engineering", "eng", "backend", "back-end", "frontend",
                     "front-end", "mobile", "ios", "android", "web"), "development"),
    "qa": None,  # testers do work ("QA signs off on the RC") whose master its words name: a test, a release gate
    **dict.fromkeys(("sec", "security", "appsec", "infosec", "secops", "red team"), "security"),
    **dict.fromkeys(("ops", "platform", "sre", "devops", "infra", "infrastructure", "release"), "cicd"),
    **dict.fromkeys(("IT", "asset management", "cmdb"), "inventory"),
    **dict.fromkeys(("docs", "documentation"), "docs"),
}
"""The teams people name as who does a part (``Dev builds it``, ``@sre deploy it``, ``Owner: platform``), and the
domain whose master that part goes to. The one list both the classifier (how many masters' teams a task names) and
the planner (whose each part is) read; None for a team that does work of more than one master. ``IT`` only in
capitals: ``it`` is a pronoun."""
TEAM_NAMES = "|".join(sorted((re.escape(name).replace(r"\ ", r"\s+") if name != "IT" else "(?-i:IT)" for name in TEAMS),
                             key=len, reverse=True))
"""A team's name as a regular expression (case-insensitive but for ``IT``), longest first."""
_TEAM_SUBJECT_RE = re.compile(rf"(?:(?:and|then|also)\s+)?(?:the\s+|our\s+|@)?(?P<team>{TEAM_NAMES})(?:[\s-]+(?:team|teams|"
                              r"squad|folks|people|devs|developers|engineers|group|crew|guys))?", re.IGNORECASE)


def team_of(subject: str) -> str | None:
    """The domain of the team a subject names (``Dev``, ``the infra team``, ``Mobile devs``, ``@appsec``, ``IT``);
    None for any other subject (``the security findings``, ``it``)."""
    found = _TEAM_SUBJECT_RE.fullmatch(subject.strip())
    if found is None:
        return None
    name = re.sub(r"\s+", " ", found.group("team"))
    return TEAMS.get(name if name == "IT" else name.lower())


_OWNED = ("development", "security", "inventory", "cicd", "docs")
_CLAUSE_MARKS = "\ue010\ue011\ue012\ue013\ue014"
_SENTENCE_MARKS = "\ue018\ue019\ue01a\ue01b\ue01c"
_OWNER_MARK_RE = re.compile(f"[{_CLAUSE_MARKS}{_SENTENCE_MARKS}]")
_SENTENCE_MARK_RE = re.compile(f"[{_SENTENCE_MARKS}]")


def _owned(text: str, domain: str, *, sentence: bool = False) -> str:
    """``text`` marked as the work of ``domain``'s team, before its closing stop: the planner gives the part to that
    team's master instead of guessing it from the words left (``Dev builds it`` is worded ``Build it``, which reads as
    a deploy). ``sentence``: the team was named for the whole sentence (``IT: image the laptops and enrol them``)."""
    mark = (_SENTENCE_MARKS if sentence else _CLAUSE_MARKS)[_OWNED.index(domain)]
    body = text.rstrip(" .!")
    return f"{body}{mark}{text[len(body):]}"


def sentence_owner(text: str) -> tuple[str, str | None]:
    """``text`` without the marks of a team named for its whole sentence, and that team's domain (None if none): a
    sentence's owner holds for each of its parts, also when the clause its mark ended is left out as context."""
    found = _SENTENCE_MARK_RE.search(text)
    return _SENTENCE_MARK_RE.sub("", text), _OWNED[_SENTENCE_MARKS.index(found.group())] if found else None


def owner_of(text: str) -> tuple[str, str | None, str | None]:
    """``text`` without the marks :func:`_owned` left, the domain its clause's team named and the domain its
    sentence's team named (None where no team was named)."""
    clause = sentence = None
    for mark in _OWNER_MARK_RE.findall(text):
        if mark in _CLAUSE_MARKS:
            clause = clause or _OWNED[_CLAUSE_MARKS.index(mark)]
        else:
            sentence = sentence or _OWNED[_SENTENCE_MARKS.index(mark)]
    return _OWNER_MARK_RE.sub("", text), clause, sentence


PEOPLE = frozenset({
    "users", "user", "customers", "customer", "admins", "admin", "administrators", "administrator", "members",
    "member", "teams", "team", "staff", "partners", "partner", "clients", "client", "employees", "employee",
    "visitors", "visitor", "operators", "operator", "editors", "editor", "managers", "manager", "agents", "agent",
    "buyers", "sellers", "shoppers", "patients", "students", "teachers", "drivers", "developers", "engineers",
    "people", "everyone", "anyone", "owners", "owner", "subscribers", "guests", "readers", "viewers", "authors",
    "reviewers", "doctors", "nurses", "tenants", "merchants", "vendors", "suppliers", "accountants", "recruiters",
    "candidates", "applicants", "residents", "citizens", "players", "creators", "moderators", "technicians",
    "dispatchers", "planners", "analysts", "marketers", "testers", "approvers", "requesters", "travellers",
    "travelers", "riders", "passengers", "volunteers", "donors", "parents", "learners", "they", "he",
    "she", "marketing", "finance", "sales", "legal", "support", "hr", "ops", "operations", "leadership", "management",
    "compliance", "accounting", "procurement",
})
PEOPLE |= {word[:-1] for word in PEOPLE if word.endswith(("ers", "ents", "ors", "ants", "ees"))}  # "the driver sees ..."
"""Who a capability is for: ``Users can ...`` lets them; ``The job must ...`` makes it."""

_DOERS = frozenset({"we", "you", "i", "contractor", "supplier", "vendor", "provider", "someone", "somebody",
                    "developer", "developers", "engineering", "dev", "devs"})
"""Who would do the work: ``The Contractor shall (a) analyse ...`` is the work itself."""

_DECIDERS = frozenset({"leadership", "management", "board", "legal", "finance", "marketing", "sales", "ceo", "cto",
                       "cfo", "ciso", "director", "directors", "auditor", "auditors", "we", "they", "i", "he", "she",
                       "product", "compliance", "procurement", "customer", "client", "someone", "somebody"})
"""Whose past acts are context: ``Leadership signed off on leaving Heroku by Q2``."""

_NOT_APPROVERS = frozenset({"we", "they", "i", "he", "she", "customer", "client", "someone", "somebody", "product"})
"""Deciders whose "must approve" is no sign-off of the work: ``The customer must confirm the order`` is a feature."""

_STATES = frozenset({"stay", "remain", "be", "take", "last", "exceed", "cost", "fit", "happen", "occur", "keep",
                     "continue", "work", "look", "feel", "seem", "apply", "start", "end", "finish", "land"})
"""A modal on these states a constraint (``Downtime must stay under 10 minutes``), not work."""

_HARDSHIPS = frozenset({"wait", "waits", "spend", "spends", "lose", "loses", "waste", "wastes", "struggle", "struggles",
                        "complain", "complains", "suffer", "suffers", "hate", "hates", "fight", "fights", "juggle",
                        "juggles", "chase", "chases", "miss", "misses"})
"""What people put up with (``Engineers wait ~2 days``, ``Agents spend an hour a day on ...``): the problem, not a
capability to build."""
_MOVES = frozenset({"move", "migrate", "switch", "shift", "transition", "upgrade", "port", "roll"})
"""A thing that must move is moved: ``The jobs should move to Kubernetes`` -> ``Move the jobs to Kubernetes``."""

_FAILED = frozenset({"broken", "failing", "down", "stuck", "missing", "slow", "wrong", "corrupted", "crashing",
                     "flaky", "outdated", "stale", "unusable", "unreachable", "unavailable"})

_IRREGULAR = {
    "written": "write", "rewritten": "rewrite", "built": "build", "rebuilt": "rebuild", "sent": "send",
    "shown": "show", "done": "do", "run": "run", "rerun": "rerun", "made": "make", "kept": "keep", "set": "set",
    "reset": "reset", "put": "put", "taken": "take", "given": "give", "hidden": "hide", "split": "split",
    "cut": "cut", "found": "find", "held": "hold", "read": "read", "withdrawn": "withdraw", "chosen": "choose",
    "frozen": "freeze", "spun": "spin", "torn": "tear", "shut": "shut", "undone": "undo", "upheld": "uphold",
    "bought": "buy", "sold": "sell", "told": "tell", "paid": "pay", "laid": "lay", "led": "lead", "fed": "feed",
    "seen": "see", "known": "know", "drawn": "draw", "thrown": "throw", "overwritten": "overwrite", "proven": "prove",
    "brought": "bring", "caught": "catch", "taught": "teach", "bound": "bind", "spread": "spread", "shed": "shed",
    "rolled out": "roll out", "set up": "set up",
}

_VOWELS = set("aeiou")
_WORD = r"[A-Za-z0-9][\w'-]*"
_SUBJECT = rf"(?P<subject>(?:{_WORD}\s+){{0,5}}?{_WORD}(?:\s*\([^)]{{1,80}}\))?)"
_MODAL_RE = re.compile(
    rf"^{_SUBJECT}\s+(?P<modal>must|should|shall|will|would|can|could|may|has\s+to|have\s+to|needs\s+to|need\s+to|"
    r"is\s+to|are\s+to)\s+(?:also\s+|now\s+|then\s+|still\s+)?(?P<able>be\s+able\s+to\s+|can\s+)?(?P<rest>.+)$",
    re.IGNORECASE | re.DOTALL)
_BE_RE = re.compile(rf"^{_SUBJECT}\s+(?P<be>is|are|gets|get)\s+(?P<rest>.+)$", re.IGNORECASE | re.DOTALL)
_NEED_RE = re.compile(
    r"(?:^|\b(?:we|i)\s+(?:will\s+|would\s+|also\s+|still\s+|really\s+)?|^(?:and\s+|also\s+)?)"
    r"(?:need|needs|want|require|requires|would\s+like)\b\s*:?\s+(?:to\s+have\s+|to\s+get\s+|help\s+(?:with|for|to|on)\s+|(?:someone\s+|somebody\s+|you\s+|us\s+)?to\s+(?=\w))?"
    r"(?P<rest>.+)$",
    re.IGNORECASE | re.DOTALL)
_MEANS_RE = re.compile(r"^(?:.*?\b)?(?:that|this|which|it)\s+(?:means|includes|involves|requires|covers)\b\s*:?\s+"
                       r"(?P<rest>.+)$", re.IGNORECASE | re.DOTALL)
_CONTEXT_RE = re.compile(
    r"^(?:there\s+(?:is|are|was|were|will\s+be|'s)\b|it's\s+|its\s+(?!own\b)|let'?s\s+|let\s+(?:me|us)\s+know\b|thanks|thank\s+you|cheers|fyi\b|"
    r"(?:see|as\s+discussed|as\s+per|per)\b[^.]*\b(?:below|above|attached|thread|e-?mail|mail|call|meeting)\b|"
    r"(?:can|could|would|will|shall|should|do|does|did|is|are)\s+(?:you|we|someone|somebody|anyone|they|it|this)\b[^.]*\?\s*$)",
    re.IGNORECASE)
_FINITE_RE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|must|should|shall|will|would|can|could|may|might|needs?|wants?|gets?|"
    r"does|do|did|becomes?|'s|'re|isn't|aren't|doesn't|don't|won't|can't)\b", re.IGNORECASE)
_MARKER_RE = re.compile(r"(?:^|\s)(?:\(?[a-z0-9]{1,2}\)|\d{1,2}\.)\s|^\s*[-*•]\s|→|->|=>|:\s", re.IGNORECASE)
_QUOTED_RE = re.compile(r"\"[^\"]*\"|“[^”]*”")
"""A quoted string (an e-mail's subject, a message): its colon or list marks are the quote's, not the sentence's."""
_SPELLED = {"e.g.": "for example", "i.e.": "that is", "etc.": "etc", "vs.": "versus", "approx.": "about",
            "incl.": "including", "excl.": "excluding", "cf.": "see"}
_ABBREVIATED_RE = re.compile("|".join(rf"(?<!\w){re.escape(short)}" for short in _SPELLED), re.IGNORECASE)
_DONE_BOX_RE = re.compile(r"^\s*(?:[-*•]\s*)?\[[xX✓✔]\]")
"""A ticked checkbox: its item is done (an open one is read as work, without its box: ``_MARKS_RE``)."""
_AFTER_WE_RE = re.compile(r"^(?:after(?:\s+that|\s+this)?|afterwards|then|finally)\s*,?\s*(?:we|you|i)\s+"
                          r"(?:will\s+|can\s+|should\s+|must\s+|need\s+to\s+)?(?=[a-z])", re.IGNORECASE)
_THEN_WE_RE = re.compile(r"(?P<sep>,\s*(?:and\s+)?|\s+and\s+)then\s+(?:we|you|i)\s+(?:will\s+|can\s+|should\s+|must\s+|"
                         r"need\s+to\s+)?(?=(?!(?:are|were|have|had|do|did|get|got|go|went)\b)[a-z]+\b)", re.IGNORECASE)
_TO_HINT_RE = re.compile(r"\b(?:need|needs|want|wants|like|please|must|should|shall|can|could|will|would|have|has|"
                         r"able)\s+to\s+[a-z]", re.IGNORECASE)
_MODAL_TO_RE = re.compile(r"\b(?P<modal>must|should|shall|can|could|will|would|may)\s+to\s+(?=[a-z])", re.IGNORECASE)
_TO_SERIES_RE = re.compile(r"(?P<sep>,\s*(?:and\s+)?|\s+and\s+)to\s+(?!(?:the|a|an|all|every|each|our|their|its|this|"
                           r"that|them|it|us|me|him|her)\b)(?=[a-z]+\b)", re.IGNORECASE)
"""After ``need to``, ``would like to``, ``must to``: the infinitives that follow are the same series (a
non-native writer's ``..., to know who uses it, and to receive an alert``), not a purpose."""
_OPENER_RE = re.compile(r"^(?:(?:hey|ok|okay|yeah|yes|so|well|basically|honestly|anyway)\s*,?\s+)*(?:(?:please|pls|plz|"
                        r"kindly)\s+(?:to\s+(?=[a-z]))?)?", re.IGNORECASE)
_LETS_RE = re.compile(r"^let'?s\s+(?=(?P<verb>[a-z]+)\s)", re.IGNORECASE)
"""``let's measure where the time goes``: a suggestion of work (``Let's discuss on Monday`` is none)."""
"""A request's politeness ("please rotate ..."): not the work (greetings and "could you" are read below)."""
_THANKS_RE = re.compile(r"(?:^|[.!,;]?\s+)(?:thx|thanks(?:\s+a\s+lot)?|thank\s+you|cheers|ty|tia)[.!]*\s*$", re.IGNORECASE)
_ROLE_RE = re.compile(rf"^(?:(?P<team>(?:@)?(?:{TEAM_NAMES})(?:[\s-]+(?:team|devs|squad))?|fe|be|ux|ui|db|data)\s*(?::|\s[—–-])"
                      rf"|@(?P<mention>{TEAM_NAMES})\b,?)\s*(?:please\s+)?", re.IGNORECASE)
"""Whose a part is, before it: a team's label (``Platform team:``, ``Engineering —``, ``BE:``) or an ``@team``."""
_GOT_DONE_RE = re.compile(rf"^get\s+(?P<what>.{{1,60}}?)\s+(?P<done>\w+ed|{'|'.join(_IRREGULAR)})\b", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_VERSION_END_RE = re.compile(r"(?:^|\s)v\d+(?:\.\d+)*\.$", re.IGNORECASE)
_ABBREVIATION_RE = re.compile(r"(?:^|\s)(?:e\.g|i\.e|etc|vs|approx|incl|excl|cf|no|nr|dr|mr|mrs|ms|st|ca|resp|min|max|"
                              r"v\d+(?:\.\d+)*|[A-Za-z])\.$", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (a line break ends one too), without their closing stop. A sentence may begin
    in lower case ("... on db02. please make a backup first"), but "e.g. the" goes on."""
    found: list[str] = []
    for piece in _SENTENCE_RE.split(text):
        if found and _ends_abbreviated(found[-1]) and not (piece[:1].isupper() and _VERSION_END_RE.search(found[-1])):
            # "e.g. the" goes on; "... are still on v1. Show a banner" is a new sentence
            found[-1] = f"{found[-1]} {piece}"
        else:
            found.append(piece)
    return [s.strip().rstrip(".!").strip() for s in found if s.strip(" .!\n")]


def _ends_abbreviated(text: str) -> bool:
    """Whether ``text`` ends in "e.g.", "no." and the like. Only its last word is read: searching the whole of a
    sentence that keeps growing ("e.g. e.g. e.g. ...") took seconds for 15,000 characters."""
    last = text.rsplit(maxsplit=1)
    return bool(last) and not text[-1:].isspace() and bool(_ABBREVIATION_RE.search(last[-1]))


def as_work(sentence: str, verbs: Collection[str], *, nested: bool = False) -> str | None:
    """``sentence`` as an imperative (or unchanged when it is one, or names things to make); None for context.
    ``nested``: read once already after a "that" (a second is not read on: "We want that We want that ..."
    14,000 characters long recursed too deep)."""
    work = _as_work(_DANGLING_RE.sub("", sentence), verbs, nested=nested)
    item = _BULLET_RE.match(sentence) if work is None and "\n" not in sentence else None
    if item is not None and (rest := _as_work(_DANGLING_RE.sub("", sentence[item.end():]), verbs, nested=True)):
        # a list's item is work though worded as a statement ("- the dock schedule should go into the booking
        # system"): read without its mark, which it keeps for the list's reader
        return f"{item.group()}{rest[:1].lower()}{rest[1:]}"
    return work


_DANGLING_RE = re.compile(r"(?:\s*[,;])?\s+(?:and|or|and/or|plus)\s*[,;]?\s*$|\s*[,;]\s*$", re.IGNORECASE)
"""A list's item cut where the writer's sentence runs on into the next item (``1. Compile the fixes for the high
findings, and`` over ``2. ship them ...``): the conjunction belongs to no part."""


def _as_work(sentence: str, verbs: Collection[str], *, nested: bool = False) -> str | None:
    verbs = _known(verbs)
    if _DONE_BOX_RE.match(sentence):
        return None  # "- [x] update the changelog": done already
    text = _in_order(_GREETING_RE.sub("", _MARKS_RE.sub("", sentence.strip())), verbs)
    if " to " in text and _TO_HINT_RE.search(text):  # "It must to generate the PDF, to send it ...": each a verb
        text = _TO_SERIES_RE.sub(r"\g<sep>", _MODAL_TO_RE.sub(r"\g<modal> ", text))
    text = _FILLER_RE.sub("", _THANKS_RE.sub("", _without_lets(_OPENER_RE.sub("", _FILLER_RE.sub("", text)), verbs)))
    text = _AFTER_WE_RE.sub("then ", text)  # "after we switch the app config": then switch it
    text = _THEN_WE_RE.sub(r"\g<sep>then ", text)  # "..., then we resubmit": then resubmit, not an object for "update"
    text = _ABBREVIATED_RE.sub(lambda m: _SPELLED[m.group().lower()], text)  # "e.g." ends no clause downstream
    role = _ROLE_RE.match(text)
    named = role.group("team") if role else None
    if role and named and named.lower() in verbs and not _verb_first(text[role.end():], verbs):
        role = None  # "Release: beta channel first, then all users": the release's heading, not the release team
    if role:  # "BE: preferences API", "Platform team: provision the cluster", "@sre deploy it": the part, and whose
        work = as_work(text[role.end():], verbs, nested=nested)
        owner = team_of(named or role.group("mention") or "")
        return _owned(work, owner, sentence=True) if work and owner else work
    given = _GIVEN_RE.match(text)
    if given:
        text = _capital(given.group("rest"))  # "Given I am logged in, when I click X, the item is added": the outcome
    led = _LEAD_IN_RE.match(text)
    if led and _verb_first(led.group("rest"), verbs) and _OBJECT_NEXT_RE.match(led.group("rest")) and (
            not led.group("verb") or (
            led.group("verb").lower() in verbs and re.search(r",\s", led.group("rest")))):
        # "Before the testers arrive in March: produce a list ..., run our own scans ...": when, then the work; "Plan
        # and carry out the migration: inventory ..., move them ...": the sum of the asks after it, no part of its own
        text = _capital(led.group("rest").strip())
    label = _LABEL_RE.match(text)
    if label and label.group("rest") and label.group("label").lower() in GATHERING_VERBS \
            and not _verb_first(label.group("rest"), verbs):
        # "Collect: pipeline logs, change approvals and test reports": the verb over its objects, not a heading
        text = f"{label.group('label')} {label.group('rest').strip()}"
        label = None
    if label and label.group("label").lower() in _TAG_LABELS and not _verb_first(label.group("rest") or "", verbs):
        return None  # "Label: post-production", "Epic: Q1 compliance": how the work is filed ("Epic: build X" is work)
    if (_KIND_LINE_RE.match(text) and not _verb_first(text, verbs) and not _FINITE_RE.search(text)) \
            or _DUE_RE.match(text):
        return None  # "Epic for Q2.", "Auditor finding from the assessment (minor).", "Due before 15 Jan.": no work
    aim = label.group("rest") if label and label.group("label").lower() in _GOALS else None
    noted = _NOTED_RE.match(text) if aim is None else None
    if noted and noted.group("label").lower().split()[0] in ("due", "deadline") \
            and _THING_RE.match(noted.group("rest")):
        # "Due before the board meeting on 15 January: a report of the patch level ...": what is due is the work
        text, noted = _capital(noted.group("rest").strip()), None
    if noted and set(noted.group("label").lower().split()[:2]) & _NOTED:
        # "Target: 30 days per our vuln SLA", "Goal for H1: every tool behind SSO", "Auditor finding from last
        # year's SOC 2: root has virtual MFA only": when, what is wanted or what is wrong; only a verb after it is work
        if not _verb_first(noted.group("rest"), verbs) and not _NUMBERED_RE.search(noted.group("rest")):
            return None  # (a list after it, "Findings from the audit: (1) enable ...", is read as before)
        aim = noted.group("rest") if _verb_first(noted.group("rest"), verbs) else None
    if aim and _verb_first(aim, verbs):
        text = _capital(aim.strip())  # "Goals: port each Jenkinsfile ..., then decommission jenkins-01": what is wanted is work
    elif label and (label.group("label").lower() in _CONTEXT_LABELS
                   or label.group("label").lower().split()[-1] in _FRAMING_HEADS):
        return None  # "Motivation: cascading timeouts", "Out of scope: ...": why and what not, not work
    if _HEADING_RE.match(text) and not _verb_first(text, verbs):
        return None  # "Postmortem action items:" over its list: the list is the work, its heading names it
    if _REFERENCE_RE.match(text) or _AIM_RE.match(text) or _AREAS_RE.match(text):
        return None  # "HR ticket HR-4471.", "CFO target.", "Backend, frontend and monitoring work.": no part
    if (_MILESTONE_RE.match(text) or _NONE_OF_RE.match(text)) and (
            not _verb_first(text, verbs) or re.match(r"[\w' -]{1,30}:\s", text)):
        return None  # "Go-live March 3.", "Launch date: ...", "None of these depend on each other.": not a part
    if _QUANTIFIED_RE.fullmatch(text.strip(" .!")) or _COUNTED_RE.fullmatch(text.strip(" .!")):
        return None  # "All 12 repos.", "Every service.": how far the work goes, not a part of it
    if label and label.group("label").lower() in SCOPE_LABELS and (_names_only(rest := label.group("rest") or "")
                                                                   or not rest.strip(" .:;,")):
        return None  # "Clusters: dev, staging, prod-eu": where the work applies, carried by every handoff; "Clusters:" too
    if label and label.group("label").lower() in _WORK_LABELS:
        text = (label.group("rest") or "").strip()  # "Acceptance: SAML login works": the criterion is the work
    request = _REQUEST_RE.match(text)
    if request and _verb_first(request.group("rest"), verbs):
        text = request.group("rest").strip()  # "Could you fix the backup job, ...?": a polite imperative
    story = _STORY_RE.match(text)
    if story:
        return _story(story)
    negative = _NEGATIVE_RE.match(text)
    if negative:
        return _held_until(negative.group("rest"), verbs)
    got = _GOT_DONE_RE.match(text)
    if got and (base := _base_of_participle(got.group("done").lower(), verbs)):
        text = f"{_capital(base)} {got.group('what')}{text[got.end():]}"  # "get 2 switches ordered": order them
    if not text:
        return None
    if (booked := coming(text)) is not None:
        return booked  # before the dates and past acts it reads as: its output is still to come
    first = text.split(maxsplit=1)[0].lower() if text else ""
    ours = _OURS_RE.match(text) and "," not in re.sub(r"\([^)]*\)", "", text)  # "We load 23 scripts (a, b, c)"
    if not text or _CONTEXT_RE.match(text) or text.endswith("?") or ours:
        return None
    modal = _MODAL_RE.match(text)
    # "Make sure users can ...": an imperative, whatever follows; not a team that is a verb's word ("Release team
    # submits the build", "Release will ship it")
    told = first in verbs and not _noun_subject(text) and not _team_first(text)
    if modal and modal.group("modal").lower() in ("can", "could", "may") and _EXPLOIT_RE.search(text) and not told:
        return None  # "A customer can post <img onerror=...> and run script": the attack is the problem, not a feature
    if (_DATED_RE.search(text) or (_COMING_RE.search(text) and not _ASKING_RE.search(text))) and not modal \
            and not told:
        return None  # "Snowflake costs doubled in 6 months", "Our contract ends on 30 June": what was or will be
    wanted = _WANTED_RE.match(text) or _WANTED_FIRST_RE.match(text)
    if wanted:
        return _capital(wanted.group("thing").strip())  # "Integration with Outlook is necessary": the thing
    if _owned_or_done(text, verbs):
        return None  # "Support owns the content", "Finance chose Pleo": how things are, what someone did
    if told or (
            _MARKER_RE.search(unquoted := _QUOTED_RE.sub('""', text)) and not _FINITE_RE.search(unquoted.split(":", 1)[0])):
        return text  # an imperative, or a list the planner reads as one
    for pattern in (_MEANS_RE, _NEED_RE):
        found = pattern.search(text)
        if found and (pattern is _MEANS_RE or _need_opens(text, found)):
            cut = text.rfind(", ", 0, found.start())
            if pattern is _NEED_RE and not nested and cut > 0 and not re.search(r"\b(?:we|i)\b", text[:cut], re.IGNORECASE) \
                    and not re.match(r"(?:it|this|they|that)\s", text, re.IGNORECASE) and _MODAL_RE.match(text[:cut]):
                # "the service must pull the feeds every minute, we need alerting ...": the clause before the need
                # is a requirement too (was dropped: only what was needed was read)
                before, after = as_work(text[:cut], verbs, nested=True), as_work(text[cut + 2:], verbs, nested=True)
                return ", ".join(_capital(work) if n == 0 else work[:1].lower() + work[1:]
                                 for n, work in enumerate(w for w in (before, after) if w)) or None
            rest = found.group("rest").strip()
            then = _THEN_CLAUSE_RE.search(rest)
            if then and (tail := _clauses(rest[then.start() + 2:], verbs)):
                # "we need alerting ..., and the service must be containerised": the next requirement, a clause of
                # its own ("and containerise the service"), not more of what is needed
                rest = f"{rest[:then.start()]}, {tail[:1].lower()}{tail[1:]}"
            if re.match(r"that\s+\S", rest, re.IGNORECASE) and not nested:  # "we want that the users must use 2FA"
                return as_work(rest[5:], verbs, nested=True)
            return _capital(rest)
    asked = _TEAM_ASKED_RE.match(text)
    if asked and (owner := team_of(asked.group("subject"))):
        # "Security asked for a review of the access policy": the review, theirs (what else a team asks for is whose
        # its words say: "Security asked for an allow-list on the admin API" is development's)
        thing = _capital(asked.group("thing"))
        return _owned(thing, owner, sentence=True) if owner == "security" and _REVIEWS_RE.search(thing) else thing
    if _past_act(text) or _STATUS_QUO_RE.match(text) or _SETUP_RE.match(text) or _now_first(text, verbs):
        return None
    said = _SAID_RE.match(text)
    if said and _head(said.group("subject")) not in _DETERMINERS:  # a team says things too ("QA says ...")
        # "Reviewer says NSCameraUsageDescription ... does not explain why": what someone said is the reason for
        # the work, not "Make reviewer say ..."; what they say is to be done still is ("QA says we must ...")
        return as_work(_capital(said.group("rest")), verbs, nested=True) \
            if _ASKING_RE.search(said.group("rest")) and not nested else None
    return _clauses(text, verbs)


_TEAM_ASKED_RE = re.compile(rf"^{_SUBJECT}\s+(?:also\s+)?(?:asked|requested|asks|requests)\s+(?:for\s+)?(?P<thing>"
                            r"(?:an?|the|some|more|better|stricter)\s.+)$", re.IGNORECASE | re.DOTALL)
"""What a team asked for (``Security asked for a quick review of the access policy``): a thing to do, not what the
team did."""
_SAID_RE = re.compile(rf"^{_SUBJECT}\s+(?:says|said|claims|claimed|thinks|thought|believes|believed|mentions|mentioned|"
                      r"complains|complained|wrote|confirms|confirmed)\s+"
                      r"(?:that\s+|:\s*)?(?P<rest>(?:\S+\s+){0,6}?(?:is|are|was|were|does|do|did|has|have|doesn't|"
                      r"don't|isn't|aren't|can't|cannot|must|should|needs?|wants?|crash(?:es)?|fails?)\b.*)$",
                      re.IGNORECASE | re.DOTALL)
"""Someone's words told (``Reviewer says X does not explain why``, ``Support reports that users ...``): a clause
follows the telling verb, not an object (``The job reports metrics to Datadog`` is a requirement)."""


_EXPLOIT_RE = re.compile(
    r"\b(?:attackers?|malicious|exploit\w*)\b|<\s*(?:script|img|svg|iframe)\b|\bonerror\s*=|\bjavascript:|"
    r"\brun\s+(?:arbitrary\s+)?(?:scripts?|code|commands?)\b|\bexecute\s+arbitrary\b|"
    r"\bwithout\s+(?:logging\s+in|being\s+logged\s+in|authentication|authenticating)\b|\b(?:read|access|see)\s+any\s+"
    r"(?:other\s+)?(?:user|customer|tenant|account|table)", re.IGNORECASE)
"""What an attack does: a sentence saying someone *can* do it describes the defect, not a capability to build."""


_NOW_FIRST_RE = re.compile(r"^(?:today|currently|nowadays|right\s+now|at\s+the\s+moment|at\s+present),?\s+",
                           re.IGNORECASE)
_ASKING_RE = re.compile(r"\b(?:need|needs|want|wants|must|should|shall|ha(?:s|ve)\s+to|can|cannot|can't|could|will|"
                        r"would|please)\b", re.IGNORECASE)


def _now_first(text: str, verbs: Collection[str]) -> bool:
    """How things are now, said first ("Today the 4 services write uploads to an NFS share", "Currently, we deploy
    by hand"): context, as "The services still write to NFS" is; not an imperative after it ("Today, deploy the
    fix"), an ask ("Today the team should patch ...") or a failure ("Today the job fails every night")."""
    now = _NOW_FIRST_RE.match(text)
    if now is None:
        return False
    rest = text[now.end():]
    first = rest.split(maxsplit=1)[0].lower() if rest.strip() else ""
    return bool(first) and first not in verbs and not _ASKING_RE.search(rest) and not _FAILING_RE.search(rest)


_FAILING_RE = re.compile(r"\b(?:fail(?:s|ed|ing)?|crash(?:es|ed)?|break(?:s)?|broke|errors?|times?\s+out|hangs?|"
                         r"freezes?|leaks?|loses?|misses|drops?)\b", re.IGNORECASE)


_SETUP_RE = re.compile(
    r"^(?!(?:\S+\s+){0,3}?new\b)(?:(?:the|our|this|that|its|their)\s+)?(?:[\w'.-]+\s+){0,3}?(?:runs|lives|sits|is\s+(?:hosted|deployed|"
    r"built|written|running|kept|stored))\s+(?:on|in|at|with|inside|behind)\s+(?:an?\s+|the\s+|our\s+)?[\w.-]+"
    r"(?:(?!\s+(?:and|so)\s)[^.;!?])*[.!]?$", re.IGNORECASE)
"""Where a thing runs or is kept now ("The marketing site runs on a WordPress VM that nobody patches", "The
wiki is hosted on a NAS in the office"): how it is set up, the context of a move, not work. An ask says so ("The
site should run on Vercel"), and so does a new thing ("The new site runs on Vercel") or more said of it ("The job
runs nightly and exports the orders": a requirement)."""
_STATUS_QUO_RE = re.compile(
    r"^(?:[\w'.-]+\s+){1,3}?(?:still|currently|today|nowadays|right\s+now)\s+(?!(?:need|want|must|should|shall|"
    r"ha(?:s|ve)\s+to|can|cannot|can't|could|don't|doesn't|isn't|aren't|won't|fail|crash|break|get|see|show|throw|"
    r"return|time|hang|freeze|lose|leak|miss|expose)(?:s|es)?\b)[a-z]+\b", re.IGNORECASE)
"""How things are now ("Partners still upload to the FTP server", "We currently use Jenkins"): context, not work;
not a need ("We still need ..."), nor a failure ("Users still can't log in", "The job still fails")."""


_GREETING_RE = re.compile(r"^(?:hi|hello|hey|dear|good\s+(?:morning|afternoon))\b(?:\s+(?:all|team|everyone|folks|there|"
                          r"[A-Z][\w-]*))?\s*(?:[,!:\-–—]\s*|$)", re.IGNORECASE)
_LABEL_RE = re.compile(r"^#*\s*(?P<label>[A-Za-z][\w ]{0,30}?)\s*(?::\s*(?P<rest>.*)|[,.]?\s*$)", re.DOTALL)
_NOTED_RE = re.compile(r"^#*\s*(?P<label>[A-Za-z][\w'’ .-]{0,50}?)\s*:\s+(?P<rest>\S.*)$", re.DOTALL)
_LEAD_IN_RE = re.compile(r"^(?:(?:ahead\s+of|before|by|prior\s+to|in\s+time\s+for|in\s+preparation\s+for|during|over|"
                         r"until|this|next)\b[^:;.,]{1,60}|"
                         r"(?P<verb>[A-Za-z]+)\b(?:\s+and\s+[a-z]+)?\s+[A-Za-z][\w'’-]*(?:\s+[\w'’.-]+){0,11})"
                         r":\s+(?P<rest>\S.*)$", re.IGNORECASE | re.DOTALL)
"""A lead-in before a colon: when the work is due (``Ahead of the QSA visit in May: list ...``), or an ask the
list after it sums up (``Plan and carry out the upgrade from PHP 7.4 to 8.2: list ..., fix ...``; a version's dot ends no
lead-in; ``Release 3.0: ...`` names its thing only by the version and stays)."""
_OBJECT_NEXT_RE = re.compile(r"[a-z]+\s+(?:(?:up|out|down)\s+)?(?:the|an?|all|every|each|our|its|their|any|both|what|"
                             r"who|\d)\b", re.IGNORECASE)
"""A verb and its object's determiner (``list every system``): an ask; not a noun read as a verb (``leave requests``)."""
_FRAMING_HEADS = frozenset({"decision", "decisions", "strategy", "direction", "why", "background", "rationale"})
"""A label's last word that makes it the reason or who decided (``Board decision:``, ``Strategic decision:``,
``Strategy:``): framing, no part."""
_NOTED = frozenset({"goal", "goals", "objective", "objectives", "target", "targets", "deadline", "due", "sla", "eta",
                    "finding", "findings", "observation", "observations", "symptom", "symptoms"})
"""A label's first two words that make it an aim, a date or a finding (``Goal for H1``, ``Auditor finding from ...``)."""
_TAG_LABELS = frozenset({"label", "labels", "tag", "tags", "epic", "sprint", "fix version", "fix versions"})
"""Labels that file the work in a tracker: a name after them is no part; work after them is (``Epic: build X``)."""
GATHERING_VERBS = frozenset({"collect", "gather", "compile", "assemble"})
"""Verbs that, as a label (``Collect: pipeline logs, approvals``, ``Collect:`` over a list), govern what follows."""
_KIND_LINE_RE = re.compile(
    r"^(?:[\w'’-]+\s+){0,3}?(?:epic|user\s+story|story|initiative|finding|nonconformit(?:y|ies)|non-conformit(?:y|ies)|"
    r"observation|audit\s+point)(?:\s+(?:#?\d[\w.-]*|for|from|of|in|on|under|raised|after)\b[^.!?:;]{0,80}?)?"
    r"(?:\s*\([^()]{0,60}\))?[.!]?\s*$", re.IGNORECASE)
"""A line that names what kind of item the task is (``Epic for Q2``, ``Auditor finding from the NIS2 assessment
(major nonconformity)``, ``TISAX finding 4.2.1``): how it is filed, not work."""
_DUE_RE = re.compile(r"^(?:(?:this\s+is|it\s+is|all)\s+)?(?:due|deadline(?:\s+is)?)\s+(?:before|by|on|in|at|for|until|"
                     r"no\s+later\s+than|end\s+of)\b[^:;]{0,80}$", re.IGNORECASE)
"""A deadline said as a sentence (``Due before the follow-up on 15 Jan.``): the handoff carries it, no part does."""
_THING_RE = re.compile(r"\s*(?:an?|the|one|two|three|our|\d+)\s+\S", re.IGNORECASE)
_NUMBERED_RE = re.compile(r"(?:^|\s)(?:\(?(?:[a-h]|\d{1,2})\)|\d{1,2}\.)\s")
"""A list's numbers or letters (``(1) enable ...``, ``a) ...``), not a parenthesis's end (``(already deployed, HA)``)."""
_CONTEXT_LABELS = frozenset({
    "motivation", "background", "context", "timeline", "assumptions", "assumption", "out of scope", "not in scope",
    "non-goals", "non goals", "objective", "objectives", "notes", "note", "risks", "why", "problem",
    "regards", "best regards", "kind regards", "best", "cheers", "thanks", "ta", "br", "purpose", "goal", "goals",
    "rationale", "reason", "business value", "impact", "fyi", "problem statement", "excluded", "not included",
    "acceptance criteria", "acceptance", "ac", "definition of done", "dod", "success criteria", "root cause",
    "what went wrong", "what happened", "alternatives", "alternatives considered", "open questions", "questions",
    "owner", "owners", "status", "current state", "today", "history", "lessons learned", "resolution", "detection",
    # the fields of a bug or finding report: facts about the problem, not parts of its fix
    "severity", "cvss", "cwe", "affected", "affects", "affected version", "affected versions", "affects version",
    "affected component", "component", "environment", "reporter", "reported by", "expected", "actual",
    "expected result", "actual result", "expected behaviour", "expected behavior", "actual behaviour",
    "actual behavior", "steps to reproduce", "repro", "repro steps", "evidence", "proof of concept", "poc",
    "references", "risk rating", "likelihood"})
"""A label whose words (or a line of it alone) say why, when and what not, or close an e-mail."""
SCOPE_LABELS = frozenset({
    "clusters", "environments", "envs", "regions", "platforms", "browsers", "devices", "targets", "sites",
    "locations", "countries", "languages", "locales", "accounts", "repos", "repositories", "services", "teams",
    "offices", "stores", "apps", "hosts", "servers", "namespaces", "tenants", "customers", "markets"})
"""A label that names where the work applies: with names after it, the list is the scope, not parts."""


_QUANTIFIED_RE = re.compile(r"(?:all|every|each|both)(?:\s+(?:of\s+)?(?:the|our|\d+|two|three|four|five|six|seven|eight|"
                            r"nine|ten|twelve))?\s+[\w-]+s?", re.IGNORECASE)
"""A sentence that is only a quantified noun (``All 12 repos``, ``Every service``): the work's reach."""


_COUNTED_RE = re.compile(r"(?:~\s*|about\s+|around\s+|roughly\s+|approximately\s+)\d[\d,]*\+?\s+[\w-]+s|"
                         rf"\d[\d,]*\+?\s+(?:{'|'.join(sorted(SCOPE_LABELS))})", re.IGNORECASE)
"""A sentence that is only a count (``~25 services``, ``About 40 laptops``, ``60 repos``): the work's reach; not
``2 new endpoints``, which names things to make."""


def _names_only(rest: str) -> bool:
    """A list of names (``dev, staging, prod-eu``, ``iOS and Android``), not of work or of things to make."""
    names = [n.strip(" .") for n in re.split(r",|\band\b|/|;", rest) if n.strip(" .")]
    return len(names) >= 2 and all(len(n.split()) <= 2 for n in names)
_WORK_LABELS = frozenset({
    "scope", "in scope", "proposal", "rollout", "deliverables", "requirements", "tasks", "todo", "to do", "steps",
    "action items", "follow-ups", "what we will do", "next steps", "plan", "remediation", "fixes", "output", "outputs"})
_SECTIONS = _CONTEXT_LABELS | _WORK_LABELS | {"summary", "overview", "scope of work", "work", "approach", "solution",
                                               "implementation", "migration", "description", "details", "changes"}
"""A label before the work itself: ``Proposal: an outbox table`` is read as ``an outbox table``. (Acceptance
criteria are what the work is checked against: the planner adds them to the part's criteria.)"""
_REQUEST_RE = re.compile(r"^(?:(?:could|can|would|will)\s+(?:you|we|someone|somebody|anyone|your\s+team)\b\s*:?\s*(?:please\s+)?|"
                         r"(?:it\s+)?would\s+be\s+(?:great|nice|good|ideal)\s+(?:to|if\s+(?:you|we)\s+could)\s+)"
                         r"(?P<rest>.+?)\s*\??$", re.IGNORECASE | re.DOTALL)
_STORY_RE = re.compile(r"^as\s+(?:an?|the)\s+(?P<role>[\w -]{1,40}?),?\s+i\s+(?:want|would\s+like|need)\s+(?:to\s+)?"
                       r"(?P<rest>.+?)(?:,?\s+so\s+(?:that\s+)?\S.*)?$", re.IGNORECASE | re.DOTALL)
_OURS_RE = re.compile(r"^(?:we|i)\s+(?:currently\s+|still\s+|already\s+|now\s+|just\s+)?(?:have|had|load|use|used|run|"
                      r"ran|send|sent|store|host|own|pay|got|noticed|saw|know|knew|are|were|was|am|do\s+not|don't)\b",
                      re.IGNORECASE)
"""``We load 23 third-party scripts``, ``I noticed the backups fail``: how things are, not work."""
_WANTED_RE = re.compile(r"^(?P<thing>(?!(?:it|this|that|nothing)\b)[^,;]+?)\s+(?:is\s+|are\s+)?(?:required|necessary|needed|"
                        r"mandatory|essential)$", re.IGNORECASE)


_MARKS_RE = re.compile(r"^(?:[-*•]\s*)?(?:\[[ xX]?\]\s*|\d+(?:\.\d+)+\.?\s+(?![a-z]))")
"""A checkbox (``- [ ] migrate ...``) or a section number (``2.1 An assessment ...``) before the words; not a
version a sentence is about (``3.2 is EOL``)."""
_GIVEN_RE = re.compile(r"^given\b[^,]*,\s*when\b[^,]*,\s*(?:then\s+)?(?P<rest>\S.*)$", re.IGNORECASE | re.DOTALL)
_WANTED_FIRST_RE = re.compile(r"^(?:is|are)\s+(?:needed|required|necessary)\s+(?P<thing>\S.*)$", re.IGNORECASE)
_DATED_RE = re.compile(
    r"^(?!(?:please|then)\b)[^,;]*?\b(?:[a-z]+ed|took|went|broke|fell|rose|grew|began|ends|opens|starts|arrive|arrives|"
    r"expires|closes|exports|runs|end|requires|we\s+launch|launches|goes|happens|is\s+due|are\s+due|begins|lands)\s+"
    r"(?:[\w%.-]+\s+){0,6}?(?:last\s+(?:night|week|month|year)|yesterday|ago|since\s+\w+|"
    r"(?:(?:on|in|by)\s+)?(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*\d{1,4}(?:st|nd|rd|th)?"
    r"(?:,?\s*\d{4})?(?=[\s.!]*$)|"  # no preposition: only a date that ends the sentence ("ends March 31 and we ...")
    r"(?:(?:on|by)\s+)?(?:next\s+|this\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow)"
    r"(?=[\s.!]*$)|"  # "Starts Monday."
    r"(?:on|in|by)\s+(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|in\s+(?:the\s+(?:last|past)\s+)?"
    r"\d+\s+(?:days?|weeks?|months?|years?)|to\s+\d+(?:\.\d+)?%|every\s+(?:day|week|month))(?!\w)", re.IGNORECASE)
"""A statement with a past or scheduled verb and a date: a fact about the situation, not work to do."""


_COMING_RE = re.compile(
    r"^(?!(?:please|then)\b)[^,;]*?\b(?:is|are|was|were|will\s+be|gets?)\s+(?:deprecated|discontinued|going\s+away|"
    r"sunset(?:ted)?|end-of-lifed?|eol|unsupported|no\s+longer\s+supported)\s+(?:[\w%.-]+\s+){0,4}?(?:next|this|coming|from|after|in)\s+(?:week|month|quarter|"
    r"year|spring|summer|autumn|fall|winter|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|q[1-4]|20\d\d)\b",
    re.IGNORECASE)
"""A thing someone else changes on a date (``Play Billing 5 is deprecated next August``): the reason for the work,
not ``Deprecate Play Billing 5``; an ask in the sentence keeps it work (``... is removed in May, so we must ...``)."""


_HEADING_RE = re.compile(r"^[^.:;!?]{1,60}:\s*$")
"""A line that only opens what follows it (``Postmortem action items:``)."""
_REFERENCE_RE = re.compile(r"^(?:[\w-]+\s+){0,3}?(?:ticket|issue|incident|case|request|change|cr|story|epic|bug|ref|"
                           r"reference|jira|see)\s*:?\s*(?:#\d+|[A-Z][A-Z0-9]*-\d+)[.!]?\s*$", re.IGNORECASE)
"""A sentence that only names the ticket the request comes from (``HR ticket HR-4471.``, ``See INC-2291.``)."""
_AIM_RE = re.compile(r"^(?:[\w'&-]+\s+){0,2}?(?:target|goal|deadline|priority|ask|mandate|okr|kpi|objective|"
                     r"requirement)s?[.!]?\s*$", re.IGNORECASE)
"""A verbless sentence naming why or how urgent (``CFO target.``, ``Board ask.``, ``Top priority.``): the task's
reason, not a part."""
_DATE = (r"(?:(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
         r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s+\d{4})?|\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?|"
         r"q[1-4](?:\s+\d{4})?|(?:next\s+|this\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|week)|"
         r"(?:the\s+)?end\s+of\s+(?:the\s+)?(?:week|month|quarter|year|sprint|q[1-4]))")
_MILESTONE_RE = re.compile(
    rf"^(?:[\w'&/-]+\s+){{0,3}}?(?:go-?live|launch|release|cut-?over|kick-?off|milestones?|beta|ga|freeze|roll-?out|"
    rf"hand-?over|due\s+date|deadline|timeline|dates?)(?:\s+(?:date|target))?\s*(?:of\s+(?:[\w'-]+\s+){{1,5}}?)?"
    rf"(?:is\s+|:\s*)?(?:[\w'&/-]+\s+){{0,3}}?(?:(?:on|by|in|before|for)\s+)?{_DATE}(?:\s*[,;]\s*(?:[\w'&/-]+\s+){{0,3}}?"
    rf"(?:(?:on|by|in|before|for)\s+)?{_DATE})*[.!]?\s*$", re.IGNORECASE)
"""A verbless milestone with its date (``Go-live March 3.``, ``Milestone: beta by August 15, GA September 1``): a
deadline the plan keeps in the request, not a part ("Implement the Go-live March 3"); ``Schedule the go-live`` is
work (a verb first)."""
_NONE_OF_RE = re.compile(r"^(?:none|neither|nothing|no\s+one)\s+of\s+(?:these|those|them|this|the\s+(?:above|parts|steps|"
                         r"tasks|items))\b", re.IGNORECASE)
"""A remark about the parts (``None of these depend on each other``): how they relate, not one of them."""
_AREA = (r"(?:back-?end|front-?end|monitoring|alerting|logging|analytics|observability|infra(?:structure)?|ops|devops|"
         r"qa|testing|docs|"
         r"documentation|security|design|ux|ui|mobile|web|data|platform|ci|cd|ci/cd|deploy(?:ment)?|database|db|api)")
_AREAS_RE = re.compile(rf"^{_AREA}(?:\s*(?:,|/|&|\band\b|,\s*and\b)\s*{_AREA})+\s+(?:work|changes|tasks|parts|pieces|"
                       r"bits)[.!]?\s*$", re.IGNORECASE)
"""A summary of the areas the work touches (``Backend, frontend and monitoring work.``), after or before the parts
that do it: no part of its own."""
_NEGATIVE_RE = re.compile(r"^(?:do\s+not|don't|never)\s+(?P<rest>\S.*)$", re.IGNORECASE | re.DOTALL)
_UNTIL_RE = re.compile(r"(?<!\s)\s+until\s+")
_NOT_WORK = frozenset({"start", "begin", "touch", "do", "change", "go", "proceed", "continue", "stop", "make", "let"})


def _held_until(rest: str, verbs: Collection[str]) -> str | None:
    """``Do not cancel SendGrid until the bounce rate stays under 2%``: the work, once its condition holds
    (``Cancel SendGrid once ...``); a prohibition without ``until`` (``Never store card numbers``) or one on
    starting at all (``Do not start until the freeze ends``) is a constraint, which every handoff carries."""
    until = _UNTIL_RE.search(rest)
    verb = rest.split(maxsplit=1)[0].lower()
    if until is None or verb not in verbs or verb in _NOT_WORK:
        return None
    return f"{_capital(rest[: until.start()])} once {rest[until.end():]}"


def _verb_first(text: str, verbs: Collection[str]) -> bool:
    """``fix the backup job, ...``: a verb opens it and it names more than the task itself (``plan this``)."""
    words = text.split()
    return len(words) > 1 and words[0].lower() in verbs and not (
        len(words) == 2 and words[1].lower() in ("this", "it", "that", "them"))


def _story(story: re.Match[str]) -> str:
    """``As a manager, I want to approve my team's claims so that ...`` -> ``Let managers approve their team's
    claims``; ``As an admin I want employees to sign in with Okta`` -> ``Let employees sign in with Okta``."""
    rest, role, verb = story.group("rest").strip(), story.group("role").strip(), "Let"
    who = role if role.endswith("s") else f"{role}s"
    other = re.match(r"(?P<who>(?:the\s+)?[\w-]+(?:\s+[\w-]+)?)\s+to\s+(?P<rest>[a-z]+\b.*)$", rest, re.DOTALL)
    if other and other.group("rest").split()[0] not in _DETERMINERS | {"my", "me", "us"} \
            and other.group("who").split()[-1].lower() not in ("want", "need", "able", "have"):
        who, rest = other.group("who"), other.group("rest")
        if _head(who) not in PEOPLE:  # "the app to work without signal": a requirement on a thing
            verb = "Make"
    mine = {"my": "their", "me": "them", "i": "they", "i'm": "they're", "myself": "themselves", "mine": "theirs"}
    rest = re.sub(r"\b(?:my|me|I|I'm|myself|mine)\b", lambda m: mine[m.group().lower()], rest)
    return f"{verb} {lower_subject(who)} {rest}"


def _clauses(text: str, verbs: Collection[str]) -> str | None:
    """Each clause of a sentence of statements read as work (``Every table gets a tenant_id, queries are
    scoped by tenant, tenant admins can invite users``); a clause that is context is left out."""
    kept: list[str] = []
    pronoun: str | None = None  # a passive series goes on: "..., sent to the CRM sync job"
    split = _clause_split(text)
    for at, (separator, clause) in enumerate(split):
        opening = re.match(r"(?:and|or|then|but|also)\s+", clause, re.IGNORECASE)
        lead, body = (opening.group(), clause[opening.end():]) if opening else ("", clause)
        if _LIST_MARK_RE.match(body):  # "(b) map the fields and (c) load the data": a lettered list goes on
            body = _LIST_MARKS_RE.sub(r"\g<sep>", _LIST_MARK_RE.sub("", body))
        body = _NEED_TO_RE.sub("", body)  # "need to migrate to mysql 8": migrate
        plain = _without_lets(_OPENER_RE.sub("", _FIRST_RE.sub("", body)), verbs) if body[:1].islower() else body
        if plain != body and plain.split(maxsplit=1)[:1] and plain.split()[0].lower() in verbs:
            body = plain  # "..., first lets measure where the time goes": measure it
        word = body.split(maxsplit=1)[0].lower() if body.split() else ""
        if pronoun and (word in _IRREGULAR or word.endswith("ed")) and (base := _base_of_participle(word, verbs)):
            work: str | None = _series(f"{base} {pronoun}{body[len(word):]}", pronoun, verbs)
        elif (asked := _ASKS_TEAM_RE.match(body)) and (owner := team_of(asked.group("who"))) \
                and asked.group("rest").split(maxsplit=1)[0].lower() in verbs:
            work, pronoun = _owned(body, owner), None  # "ask infosec to review them", "have security do ...": theirs
        elif word in verbs and not _noun_subject(body) and not _team_first(body):
            work, pronoun = body, None  # an imperative
        elif _verb_at(body, verbs) is None:
            # a thing to make, unless it tells what someone did ("Gitleaks found 57 secrets", "On Friday a
            # contractor pushed a token to a public repo")
            work, pronoun = (None if _DID_RE.match(body) or _holds(body, verbs) else body), None
        else:
            work, pronoun = _statement(body, verbs)
            needed = _NEEDS_THINGS_RE.match(body)
            if work and needed and _head(needed.group("subject")) not in PEOPLE | _TEAMS and at + 1 < len(split) \
                    and split[at + 1][0].startswith(",") and _THING_RE.match(split[at + 1][1]) \
                    and _verb_at(split[at + 1][1], verbs) is None:
                # "It needs a security review, a CI/CD pipeline and ...": each thing needed is a deliverable of its
                # own, as after "we need" (was "Give it a security review, a CI/CD pipeline ...", one part)
                work = _capital(needed.group("rest"))
        if work:
            if work != body:
                work = work[:1].lower() + work[1:] if kept else _capital(work)
            ordered = not kept and lead.strip().lower() == "then"  # "then switch ...": the writer's order stays
            if kept and work != body and separator.startswith(",") and kept[0].startswith("Let "):
                separator, lead = "; ", "" if lead.strip().lower() == "and" else lead  # each statement its own part
            kept.append(f"{separator if kept else ''}{lead if kept or ordered else ''}"
                        f"{work[:1].lower() + work[1:] if ordered else work}")
    return "".join(kept) or None


_THEN_CLAUSE_RE = re.compile(r",\s+(?=and\s+(?:the|our|this|that|it|its)\b[^,;.]{0,60}?\s(?:must|should|shall|will|"
                             r"needs?\s+to|ha(?:s|ve)\s+to)\s)", re.IGNORECASE)
"""``, and the paywall must be documented``: a requirement with its own subject after a list of things needed."""
_NEEDS_THINGS_RE = re.compile(rf"^{_SUBJECT}\s+(?:also\s+)?(?:needs|need|requires|require)\s+"
                              r"(?P<rest>(?!(?:to|it|them|this|that)\b)\S.+)$", re.IGNORECASE | re.DOTALL)
"""``It needs a security review`` (before more things it needs, listed after commas)."""
_HOLDS_RE = re.compile(r"^(?:[\w'-]+\s+){1,4}?(?P<verb>[a-z][\w-]*[^\Ws])s\s+(?:the|a|an|our|their|its|all|every|each|no|"
                       r"read-only|offline|online|live|unchanged)\b")


def _holds(text: str, verbs: Collection[str]) -> bool:
    """How things are, told with a verb the reader does not know (``QuickBooks stays read-only``, ``The payments
    team owns the webhook handlers``): a subject, then a present tense before its object; not a thing to make, and
    not a team given work (``Platform creates the topics``, ``the web team embeds the widget``)."""
    found = _HOLDS_RE.match(text)
    if not found or _head(text[:found.start("verb")]) in _TEAMS | PEOPLE | {"team", "teams"} | _RELATIVE:
        # "the web team embeds the widget": a team given work, whatever its verb; "an API that scores each
        # authorisation": the verb of a relative clause, the whole a thing to make
        return False
    return not {found["verb"].lower(), found["verb"].lower().removesuffix("e")} & set(verbs)


_DID_RE = re.compile(
    r"^(?!(?:[\w+/'-]+\s+){0,6}?(?:who|that|which|where|when|whose)\s)(?:[\w+/'-]+\s+){1,6}?(?:[a-z]{3,}ed|found|went|took|"
    r"broke|came|got|made|ran|saw|sent|told|gave|lost|left|caught|began|wrote|sold|paid|kept|brought|bought|fell|"
    r"grew|knew|threw|stole|spent|built|heard|held|met|rose|won)\s+(?:a|an|the|our|their|its|his|her|my|your|"
    r"some|all|\d[\d,.]*|it|them|us|me|him)\b", re.IGNORECASE)
"""A clause that tells what someone or something did, with its object: ``The WCAG audit found 34 issues``, not a
thing to make (``Nightly snapshots copied to S3``, ``a list of users who signed the contract``)."""


_ASKS_TEAM_RE = re.compile(rf"(?:ask|have|get)\s+(?P<who>(?:the\s+|our\s+)?(?:{TEAM_NAMES})(?:\s+team)?)\s+(?:to\s+)?"
                           r"(?P<rest>[a-z].*)$", re.IGNORECASE | re.DOTALL)
"""A team asked to do a part (``ask infosec to review them``, ``have the devops team apply them``)."""


def _clause_split(text: str) -> list[tuple[str, str]]:
    """Clauses at semicolons and commas outside parentheses, and at an "and" before a team's or a person's
    modal ("QA runs the suite and security should review it"), each with the separator before it."""
    pieces: list[tuple[str, str]] = []
    depth, start, separator = 0, 0, ""
    for at, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and char in ",;":
            pieces.append((separator, text[start:at].strip()))
            separator, start = f"{char} ", at + 1
    pieces.append((separator, text[start:].strip()))
    split = []
    for sep, piece in pieces:
        for n, part in enumerate(_AND_SUBJECT_RE.split(piece)):
            split.append((sep if n == 0 else " and ", part.strip()))
    return [(sep, piece) for sep, piece in split if piece]


_AND_SUBJECT_RE = re.compile(rf"(?<!\s)\s+and\s+(?=(?:the\s+)?(?:(?:{TEAM_NAMES}|legal|finance|support|marketing|design|we|i)"
                             rf"\s+(?:should|must|will|shall|can|could|has\s+to|needs\s+to|would)\s|(?:{TEAM_NAMES})(?:\s+team)?\s+"
                             r"[a-z]+[^\Ws]s\s+(?:the|a|an|it|them|our|its|their|this|that|these|those|all|every|each)\b))",
                             re.IGNORECASE)
"""An "and" that opens a clause of its own: a team or a person and a modal follow it, or a team and its present
tense ("security handles the threat model and SRE handles the rollout")."""


def _noun_subject(text: str) -> bool:
    """``Search is broken``, ``Search must stay fast``: a verb's word followed by a finite verb is a subject."""
    words = text.split(maxsplit=2)
    if len(words) > 2 and words[1].lower().endswith("s") and re.match(_MODALS, words[2].split(maxsplit=1)[0].lower()):
        return True  # "Support agents need to ...", "Test cases should ...": a plural noun before a modal
    if len(words) > 1 and (bool(_FINITE_RE.fullmatch(words[1].lower())) or words[1].lower() in _TELLING):
        return True
    return bool(_NAMED_PAST_RE.match(text))


_NOT_NAMED = (r"(?!(?:the|a|an|all|every|each|our|its|their|this|that|these|those|it|them|sure|to|for|in|on|of|with|"
              r"from|by|at|which|who|so|and|or)\b)(?:[\w.#/-]+|\([^)]{0,40}\))")
_NAMED_PAST_RE = re.compile(
    rf"^(?!(?:check|verify|confirm|ensure|validate|make)\b)[A-Za-z][\w-]*\s+{_NOT_NAMED}(?:\s+{_NOT_NAMED}){{0,2}}?\s+"
    r"(?:was|were|has\s+been|have\s+been|had\s+been)\b", re.IGNORECASE)
"""A verb's word as a name's first word, then a past tense (``Build 7.13.0 (4411) was rejected under 5.1.1``,
``Release 8.4 was pulled``): what happened, not ``Build 7.13.0``; an imperative's object takes a determiner or a
relative before its own verb (``Rebuild the image that was pulled``), and a check takes a clause (``Verify
backups were taken``)."""


_TELLING = frozenset({"goes", "went", "says", "said", "came", "comes", "happened", "looks", "looked"})
"""Verbs that follow only a subject (``Link goes to a harvesting page``, ``Review says ...``), never an imperative."""


_MODALS = r"(?:must|should|shall|can|could|need|will|would|may)$"
_LIST_MARKS_RE = re.compile(r"(?P<sep>[,;]\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)\(?[a-z0-9]{1,2}\)\s+", re.IGNORECASE)


def _need_opens(text: str, found: re.Match[str]) -> bool:
    """``We need ...`` or a bare ``Needs ...``: not ``Every service needs its driver bumped``."""
    head = text[: found.start("rest")].lower().split()
    return head[0] in ("we", "i", "need", "needs", "want", "require", "requires", "and", "also", "would") \
        or "we" in head[:-1] or "i" in head[:-1]


def _verb_at(text: str, verbs: Collection[str]) -> re.Match[str] | None:
    """A clause's finite verb, when the words before it can be its subject; None for a clause with none: a
    noun phrase (``a retry queue``) or an imperative. A parenthesis is part of the subject it follows."""
    words = list(itertools.islice(_TOKEN_RE.finditer(text), 12))
    inner = next((n for n, m in enumerate(words[1:], 1) if m.group().lower() in _INNER), len(words))
    words = words[:inner]  # "the driver sees how many items are waiting": "are" is the inner clause's
    if words and words[0].group().lower() in ("there", "it's", "let's"):
        return words[0]
    explicit = next((m for m in words[1:] if _FINITE_RE.fullmatch(m.group().lower())), None)
    if explicit is not None:
        return explicit  # "Every service that uses it (...) needs ...": the main verb, not the relative clause's
    for index, match in enumerate(words[1:9], 1):
        lowered, before = match.group().lower(), words[index - 1].group().lower()
        if text[words[index - 1].end():match.start()].strip():
            return None  # a comma ends the subject: no verb follows it
        if not match.group().islower():
            continue  # "Partner API", "Users Dashboard": a name's word is no verb
        # "the frontend devs fix ...", "ops ships it"; not "a security review", nor "Mobile release 3.8" (a team's
        # verb agrees with it)
        following = words[index + 1].group().lower() if index + 1 < len(words) else ""
        team = (lowered.endswith("s") or before.endswith("s")) and (
            (before in _TEAMS and (index == 1 or words[index - 2].group().lower() == "the"))
            or team_of(text[:match.start()]) is not None) \
            and not (following in verbs or _FINITE_RE.fullmatch(following))  # "Dev builds take 20 minutes": a noun
        of = index + 1 < len(words) and words[index + 1].group().lower() == "of"  # "Security review of X": a noun
        if (before in PEOPLE or team) and lowered.isalpha() and lowered not in _NOT_VERBS and not of \
                and (_base_of_present(lowered, verbs) or (team and _team_verb(lowered, words[index + 1:index + 2]))):
            return match  # "Users request a reset link", "tenant admins invite users"; not "user manual"
        if lowered.endswith("s") and not lowered.endswith("ss") and _base_of_present(lowered, verbs) \
                and before not in _NOT_VERBS and index <= 4 and words[0].group().lower() in _DETERMINERS:
            return match  # "the link expires after an hour", not "Nightly snapshots copied to ..."
    return None


_TEAMS = frozenset(name for name in TEAMS if " " not in name and name != "IT")
"""Teams a coordinator gives work to, as a subject's last word: ``ops sets up the production environment`` -> ``Set up
the production environment`` (people a system serves get abilities instead: ``Patients book a slot`` -> ``Let
patients ...``)."""
_AUXILIARIES = frozenset({"has", "have", "had", "is", "are", "was", "were", "does", "did", "do", "can't", "cannot",
                          "won't", "doesn't", "don't", "isn't", "aren't", "'s", "'re"})
_QUALITY_RE = re.compile(r"[a-z]+(?:able|ible)|visible|idempotent|consistent|reproducible|resumable", re.IGNORECASE)
_INNER = frozenset({"how", "what", "whether", "why"})
_RELATIVE = frozenset({"where", "that", "which", "who", "whom", "whose", "when", "so", "only", "if", "unless",
                       "until", "once", "before", "after", "because", "while"})
_TOKEN_RE = re.compile(r"\([^)]*\)|[\w'-]+")


_TEAM_DOES_RE = re.compile(r"\s+(?:must|should|shall|will|can|could|needs?\s+to|ha(?:s|ve)\s+to|[a-z]{3,}[^\Ws]s\s+(?:the|a|"
                           r"an|each|every|our|its|their|this|that|all|it|them)\b)", re.IGNORECASE)


def _team_first(text: str) -> bool:
    """Whether a team opens the text as the subject of a modal or a present tense (``Release team submits the
    build``, ``Release will ship it``): a statement of who does what, though the team's name is a verb too."""
    found = _TEAM_SUBJECT_RE.match(text)
    return found is not None and team_of(found.group()) is not None and bool(_TEAM_DOES_RE.match(text, found.end()))


_HABIT_RE = re.compile(r"\b(?:by\s+hand|manually|which\s+takes|that\s+takes|takes\s+(?:\d|about|around|up\s+to|hours|days)|"
                       r"every\s+time|each\s+time|usually|always|currently|today|nowadays|still)\b", re.IGNORECASE)
"""How a team works now (``IT images every laptop by hand``), not what it is asked to do."""
_WANTS = frozenset({"need", "needs", "want", "wants", "require", "requires"})


def _team_verb(word: str, following: Sequence[re.Match[str]] | Sequence[str]) -> str | None:
    """The base of a present tense the reader does not know, after a team and before its object (``Release team
    submits the build``: submit), which only a verb can be there."""
    after = [m if isinstance(m, str) else m.group() for m in following]
    if not (after and after[0].lower() in _DETERMINERS | {"it", "them"} and re.fullmatch(r"[a-z]{3,}[^\Ws]s", word)):
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-2] if re.search(r"(?:sh|ch|ss|x|z)es$", word) else word[:-1]


def _statement(text: str, verbs: Collection[str]) -> tuple[str | None, str | None]:
    """A clause with a subject and a finite verb as work, and the pronoun a passive series goes on with."""
    found = _verb_at(text, verbs)
    before = re.findall(r"[a-z']+", text[: found.start()].lower()) if found is not None else []
    if any(word in _RELATIVE and following in _DETERMINERS | PEOPLE | {"it", "we", "you", "they", "i"}
           for word, following in zip(before, before[1:], strict=False)):
        # "alerts when a snapshot is missing": the verb is the inner clause's, the whole is a thing; not "every
        # service that uses it needs ...", whose inner clause has its verb first
        return text, None
    modal = _MODAL_RE.match(text)
    if modal:
        subject, rest = modal.group("subject"), modal.group("rest").strip()
        head = _head(subject)
        owner = team_of(subject)
        if owner and not re.match(r"be\s", rest, re.IGNORECASE):  # "Dev needs to add audit logging": theirs to do
            reviews = head == "security" and _REVIEWS_RE.match(rest)  # "Security must review the flow": their review
            return _owned(f"Have {lower_subject(subject)} {rest}" if reviews else _capital(rest), owner), None
        if head in _DOERS and not re.match(r"be\s", rest, re.IGNORECASE):
            # "The Contractor shall (a) analyse ..., (b) implement ...": the work itself, without its letters
            return _LIST_MARKS_RE.sub(r"\g<sep>", _LIST_MARK_RE.sub("", rest)), None
        passive = re.match(r"be\s+(?P<rest>.+)$", rest, re.IGNORECASE | re.DOTALL)
        if passive:  # "Clients need to be checked for compatibility": check them, whoever they are
            return _passive(subject, passive.group("rest"), verbs)
        ability = re.sub(r"\s+", " ", modal.group("modal").lower()) in ("can", "could", "may", "need to", "needs to")
        if head in _DECIDERS - _NOT_APPROVERS and re.match(r"(?:must|should|shall|needs?\s+to|ha(?:s|ve)\s+to)$",
                                                                  modal.group("modal"), re.IGNORECASE) \
                and re.match(r"(?:sign|approve|review|confirm)\b", rest, re.IGNORECASE):
            return f"Have {lower_subject(subject)} {rest}", None  # "Legal needs to approve the terms": their decision
        if (modal.group("able") or ability) \
                and head in PEOPLE:
            return f"Let {lower_subject(subject)} {rest}", None
        verb = rest.split(maxsplit=1)[0].lower()
        if verb in _STATES and not re.match(r"\S+\s+(?:up|into|after|for)\b", rest, re.IGNORECASE):
            return None, None  # a constraint on the work, not work
        if verb in _MOVES:  # "The 3 integrations must move from file drop to REST": move them
            return f"{_capital(verb)} {lower_subject(subject)}{_after_first(rest)}", None
        return f"Make {lower_subject(subject)} {rest}", None
    be = _BE_RE.match(text) if found is None or found.group().lower() in ("is", "are", "get", "gets") else None
    if be:
        subject, rest = be.group("subject"), be.group("rest").strip()
        if be.group("be").lower() in ("get", "gets"):
            return f"Give {lower_subject(subject)} {rest}", None
        word = rest.split(maxsplit=1)[0].lower()
        if word in _FAILED:
            return f"Fix {lower_subject(subject)}{_after_first(rest)}", None
        return _passive(subject, rest, verbs)
    if found is None or found.start() == 0:
        return None, None
    subject, verb, tail = text[: found.start()].strip(), found.group().lower(), text[found.end():]
    head = _head(subject)
    if verb in ("want", "wants") and head not in PEOPLE | _TEAMS and not re.match(r"\s+(?:to\s|\w+ing\b|:)", tail):
        # who wants is a requester, whatever its name says: "Internal audit wants evidence of ..." is why the work
        # is asked (not "the internal audit that wants ..."), as "The registrar wants ..." is (a list after a
        # colon is read as before: "The insurer wants: MFA on all accounts, ...")
        return None, None
    if head in PEOPLE | _TEAMS and verb in ("want", "wants") and not re.match(r"\s+to\s", tail):
        # "Security wants a threat model first" names a thing; "Legal wants it done in 6 weeks" a constraint
        return (None if re.match(r"\s+(?:it|this|that|them|everything)\b", tail) else _capital(tail.strip())), None
    owner = team_of(subject)
    if (owner or head in _TEAMS) and _HABIT_RE.search(tail):
        return None, None  # "IT images every laptop by hand, which takes 3 hours": how it is done now, the reason
    if (owner or head in _TEAMS) and verb not in _WANTS \
            and (base := "do" if verb == "does" else _base_of_present(verb, verbs)
                                      or (_team_verb(verb, _TOKEN_RE.findall(tail)[:1]) if owner else None)):
        # "security does a pen test", "the infra team puts the portal behind the WAF": a coordinator gives a team its
        # work, which goes to the team's master whatever the words left name ("Dev builds it": "Build it")
        if head == "security" and _REVIEWS_RE.fullmatch(base):
            # "security audits what data each SDK collects": the team named does it, whatever the words after name
            return _owned(f"Have {subject.strip().lower()} {base}{tail}", "security"), None
        work = f"{_capital(base)}{tail}"
        return (_owned(work, owner) if owner else work), None
    change = None if head in PEOPLE or verb not in ("need", "needs", "require", "requires") else _CHANGES_RE.match(tail)
    if change:  # "fastlane lanes need changes in both repos": change them, not "Give fastlane lanes changes"
        return f"{_CHANGES[change.group('noun').lower().split()[-1]]} {lower_subject(subject)}{tail[change.end():]}", None
    if verb in ("was", "were") and names_work(subject):
        return None, None  # "Release 4.2.0 (812) was pulled from the store": what happened to it, not work
    if names_work(subject):
        return f"{lower_subject(subject)} that {verb}{tail}", None  # "a security review checks for leaks": the work is named
    if verb in ("become", "becomes"):
        return f"Make {lower_subject(subject)}{tail}", None
    if verb in ("need", "needs", "require", "requires"):
        if head in PEOPLE and re.match(r"\s+(?:it|this|that|them|everything)\b", tail):
            return None, None  # "Sales needs it for the June launch": why and when the whole task, not a part
        ing = re.match(r"\s+(\w+ing)\b", tail)
        if ing and (base := _base_of_ing(ing.group(1), verbs)):
            return f"{_capital(base)} {lower_subject(subject)}{tail[ing.end():]}", None
        done = None if head in PEOPLE else _CAUSED_RE.match(tail)  # "Marketing needs a report of points issued"
        if done and (base := _base_of_participle(done.group("done").lower(), verbs)):
            # "needs its driver bumped and tested": the first verb names the part ("and tested" would read as a
            # second part of its own)
            return f"{_capital(base)} the {done.group('thing')} of {lower_subject(subject)}{tail[done.end():]}", None
        return f"Give {lower_subject(subject)}{tail}", None  # "External partners need read access to orders"
    if verb.endswith("ed") or verb in _IRREGULAR:
        return None, None  # what someone did or decided: context
    if head in PEOPLE:
        if verb in _AUXILIARIES:
            return None, None  # "a customer has asked for ...", "screen readers can't use ...": what is, not work
        if verb in ("want", "wants") and re.match(r"\s+to\s", tail):
            return f"Let {lower_subject(subject)}{tail[len(' to'):]}", None
        if verb in ("want", "wants", "ask", "asks"):  # "Marketing wants a referral programme": give it one
            listed = tail.split(": ", 1)
            return (_capital(listed[1].strip()) if len(listed) > 1 else f"Give {lower_subject(subject)}{tail}"), None
        if verb in _HARDSHIPS:
            return None, None  # "Engineers wait ~2 days for an environment": the problem the work solves
        return f"Let {lower_subject(subject)} {_base_of_present(verb, verbs) or verb}{tail}", None
    base = _base_of_present(verb, verbs)
    if base and _FAILING_RE.fullmatch(verb):  # "The export job fails every Sunday": fix it, not "make it fail"
        return f"Fix {lower_subject(subject)} that {verb}{tail}", None
    return (f"Make {lower_subject(subject)} {base}{tail}", None) if base and verb.endswith("s") else (None, None)


_CHANGES = {"changes": "Change", "change": "Change", "updates": "Update", "update": "Update", "fixes": "Fix",
            "fix": "Fix", "upgrades": "Upgrade", "upgrade": "Upgrade", "cleanup": "Clean up", "clean-up": "Clean up",
            "rework": "Rework", "refactoring": "Refactor", "refactor": "Refactor", "patches": "Patch", "patch": "Patch"}
_CHANGES_RE = re.compile(rf"\s+(?:some\s+|a\s+few\s+|small\s+|minor\s+|an?\s+)?(?P<noun>{'|'.join(_CHANGES)})\b"
                         r"(?!\s+(?:to|of)\b)", re.IGNORECASE)
"""A thing that needs a change said as a noun (``changes``, ``an update``, ``a cleanup``): the verb of that change."""
_REVIEWS_RE = re.compile(r"audit|review|assess|re-?test|re-?scan|re-?audit|pen-?test|verify|check|sign\s+off", re.IGNORECASE)
"""What a security team named as the doer reviews (``security audits ...``): their review, not anyone's work."""
_NEED_TO_RE = re.compile(r"^(?:(?:we|i)\s+)?(?:need|needs|want|wants|have|has)\s+to\s+(?=[a-z])", re.IGNORECASE)
_CAUSED_RE = re.compile(r"\s+(?:(?:its|their|the|a|an)\s+)?(?:new\s+)?"
                        r"(?P<thing>(?!(?:its|their|the|a|an)\s)(?:[\w-]+\s+){0,2}?[\w-]+)\s+"
                        rf"(?P<done>\w+ed|\w+en|{'|'.join(_IRREGULAR)})\b"
                        rf"(?:\s+and\s+(?:\w+ed|\w+en|{'|'.join(_IRREGULAR)})\b)?", re.IGNORECASE)
"""``needs its driver bumped``: a thing of at most three words, then what is to be done to it (not "a" before a
past participle: "need a shared viewer" gives a shared viewer, it shares no "a")."""
_DETERMINERS = frozenset({"the", "a", "an", "each", "every", "our", "its", "their", "this", "that", "any", "all"})
_NOT_VERBS = frozenset({"the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by", "from",
                        "who", "that", "which", "whose", "is", "are", "this", "these", "its", "their", "our", "all"})
def _without_lets(text: str, verbs: Collection[str]) -> str:
    lets = _LETS_RE.match(text)
    return text[lets.end():] if lets and lets.group("verb").lower() in verbs else text


def _in_order(text: str, verbs: Collection[str]) -> str:
    """A runbook's order words before an imperative: ``First export ...`` and ``Step one is to create ...`` open
    the work; ``Next, ...``, ``Finally ...``, ``Step three is to ...``, ``Once the balances are reconciled, open ...``
    follow what came before (``then ...``: the planner runs them in the writer's order)."""
    later = _LATER_RE.match(text)
    if later and later.group().lower().startswith("once") and _PASSIVE_DONE_RE.match(later.group()):
        # "Once DNS is switched, remove the SPF include": the condition names work, which the planner keeps
        condition = later.group().strip().rstrip(",").strip()
        return f"then {text[later.end():].rstrip(' .!')} {condition[:1].lower()}{condition[1:]}"
    if later:
        return f"then {text[later.end():]}"  # "Finally, the old cluster is removed": then remove it
    first = _FIRST_RE.match(text)
    rest = text[first.end():] if first else ""
    return rest if rest.split(maxsplit=1)[:1] and rest.split()[0].lower() in verbs else text  # not "First responders"


_FIRST_RE = re.compile(r"^(?:first(?:ly)?|to\s+start(?:\s+with)?|before\s+anything\s+else|(?:the\s+)?(?:step\s+(?:one|1)|"
                       r"first\s+step)\s+is(?:\s+to)?|step\s+(?:one|1)\s*[:.-])\s*,?\s+", re.IGNORECASE)
_LATER_RE = re.compile(r"^(?:next|finally|lastly|afterwards|after\s+that|after\s+this|in\s+the\s+end|(?:as\s+)?(?:the\s+|a\s+)?"
                       r"(?:last|final|next|second|third|fourth|fifth)\s+step(?:\s+is(?:\s+to)?)?|step\s+(?:two|three|four|five|"
                       r"six|[2-9])(?:\s+is(?:\s+to)?|\s*[:.-])|once\s+[^,]{3,80},)\s*,?\s+", re.IGNORECASE)


_PASSIVE_DONE_RE = re.compile(r"once\s+[^,]{1,60}?\s(?:is|are|has\s+been|have\s+been)\s+[a-z]+(?:ed|en)\s*,", re.IGNORECASE)
_FILLER_RE = re.compile(r"^(?:(?:also|plus|and|additionally|in\s+addition|next|finally)\s*[:,]?|(?:before|first|then|"
                        r"after(?:wards|\s+that)?)\s*,)\s+", re.IGNORECASE)
_LIST_MARK_RE = re.compile(r"^\s*\(?[a-z0-9]{1,2}\)\s+", re.IGNORECASE)


def _passive(subject: str, rest: str, verbs: Collection[str]) -> tuple[str | None, str | None]:
    """``<subject> (must be) replaced, sent to X and shown in Y`` -> ``Replace <subject>, send it to X and show it in Y``."""
    first = rest.split(maxsplit=1)[0].lower() if rest.split() else ""
    base = _base_of_participle(first, verbs)
    if base is None and _QUALITY_RE.fullmatch(first):
        return f"Make {lower_subject(subject)} {rest}", None  # "The ledger must be auditable": make it so
    if base is None or _FINISHED_RE.fullmatch(rest):
        return None, None  # "is ready", "are in place", "is done": a state, not work
    pronoun = "them" if (_head(subject).endswith("s") and _head(subject) not in ("its", "this")) \
        or re.search(r"\s(?:and|&)\s", subject) else "it"  # "Signing secrets and the match passphrase": them
    if subject.strip().lower() in ("it", "they", "this", "these", "those"):
        pronoun = "them" if subject.strip().lower() != "it" and subject.strip().lower() != "this" else "it"
    return _series(f"{_capital(base)} {lower_subject(subject)}{rest[len(first):]}", pronoun, verbs), pronoun


_FINISHED_RE = re.compile(r"(?:already\s+|now\s+)?(?:done|finished|complete|completed|closed|over)\W*", re.IGNORECASE)
"""``The postmortem is done``: what is finished already, not ``Do the postmortem``."""


def _series(text: str, pronoun: str, verbs: Collection[str]) -> str:
    """``... and shown on the page`` -> ``... and show it on the page``: a passive series goes on with its subject."""
    def again(match: re.Match[str]) -> str:
        later = _base_of_participle(match.group("word").lower(), verbs)
        return f"{match.group('sep')}{later} {pronoun}" if later else match.group()

    return _SERIES_RE.sub(again, text)


_SERIES_RE = re.compile(rf"(?P<sep>\s+(?:and|or)\s+)(?P<word>[a-z]+(?:ed|en)|{'|'.join(_IRREGULAR)})\b")


def participle_base(word: str) -> str | None:
    """The verb a past participle looks made of (``ported`` -> ``port``, ``written`` -> ``write``), known or not."""
    return _base_of_participle(" ".join(word.lower().split()), frozenset())


def base_of_participle(word: str, verbs: Collection[str]) -> str | None:
    """The verb a past participle is made of (``switched`` -> ``switch``), when it is a verb ``verbs`` knows."""
    base = _base_of_participle(word.lower(), _known(verbs))
    return base if base is not None and base in _known(verbs) else None


def _base_of_participle(word: str, verbs: Collection[str]) -> str | None:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if not word.endswith("ed") or len(word) < 5:
        return None
    if word.endswith("ied"):
        return word[:-3] + "y"
    stem = word[:-2]
    for candidate in (word[:-1], stem, stem[:-1]):
        if candidate in verbs:
            return candidate
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
        return stem[:-1]  # dropped -> drop
    if stem[-1] in "cgsvzu" or (stem[-1] not in _VOWELS | set("wxyr") and stem[-2] in _VOWELS
                                  and not stem.endswith(("en", "el", "on", "it"))):
        return stem + "e"  # migrated -> migrate, stored -> store, archived -> archive
    return stem


def _base_of_ing(word: str, verbs: Collection[str]) -> str | None:
    stem = word[:-3]
    for candidate in (stem, stem + "e", stem[:-1]):
        if candidate in verbs:
            return candidate
    return None


def _base_of_present(word: str, verbs: Collection[str]) -> str | None:
    for candidate in (word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("es") else "",
                      word[:-3] + "y" if word.endswith("ies") else ""):
        if candidate and candidate in verbs:
            return candidate
    return None


_TOLD_RE = re.compile(
    rf"^{_SUBJECT}\s+(?:already\s+|now\s+|still\s+|recently\s+)?(?:(?P<holds>owns|spends|relies|depends)|(?P<did>chose|"
    r"found|picked|selected|decided|noticed|flagged)|(?P<uses>uses|prefers))\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)


def _owned_or_done(text: str, verbs: Collection[str]) -> bool:
    """How things are or what someone did, told with a verb no request uses of its subject: a team owns or spends
    (``Support owns the content``, ``The accounting team spends 3 days on ...``), someone chose or found
    (``Finance chose Pleo``, ``An internal review found full card numbers in ...``), or uses a product (``Sales uses
    Pipedrive``). Not an imperative whose object the verb follows (``Fix the bugs the audit found``, ``Find uses of
    the old API``), nor a use of a thing (``Patients use the kiosk to check in`` asks for it)."""
    found = _TOLD_RE.match(text)
    if found is None:
        return False
    words = found["subject"].split()
    if words[-1].lower() in _NOT_VERBS:
        return False  # "a dashboard of flagged transactions": a participle after "of" describes a thing, no one did it
    if words[0].lower() in _INNER | _RELATIVE:
        return False  # "who owns it": a question the work answers
    if words[0].lower() in verbs and not (len(words) == 1 and words[0].lower() in PEOPLE | _TEAMS):
        return False  # an imperative: "Fix the bugs the audit found"
    if any((asked := clause.split(maxsplit=1)) and asked[0].lower() in verbs
           for clause in re.split(r"[,;]\s*(?:so|and|then|but)?\s*", found["rest"])[1:]):
        return False  # "Support owns the content, so migrate it with them": the work after it
    if found["uses"]:
        rest = found["rest"].split()
        return bool(rest) and rest[0][:1].isupper()  # a product: "Sales uses Pipedrive"
    return True


_BOOKED_RE = re.compile(
    rf"^{_SUBJECT}\s+(?:(?:have|has)\s+)?(?:already\s+|just\s+|now\s+)?(?P<act>booked|scheduled|ordered|requested|"
    r"commissioned|engaged|hired|contracted)\s+(?P<rest>.+?)\.?$", re.IGNORECASE | re.DOTALL)
_BOOKED_WORD_RE = re.compile(r"\b(?:booked|scheduled|ordered|requested|commissioned|engaged|hired|contracted)\b",
                             re.IGNORECASE)
# who's words whole (a word split into pieces matched nothing more, and a long one was split every way before a match
# failed: a 60-letter name after "from", 3 s a plan; 100 letters, 30 s)
_FROM_WHOM_RE = re.compile(r"^(?P<what>.+?)\s+(?P<by>from|with)\s+(?P<who>(?:(?!for\b|to\b|in\b|on\b|by\b|next\b|this\b)"
                           r"[\w'’&.-]+(?![\w'’&.-])\s*){1,5}?)(?P<tail>(?:\s+(?:for|to|in|on|by|next|this)\b.*)?)$",
                           re.IGNORECASE | re.DOTALL)
_FOR_WHAT_RE = re.compile(r"^(?P<who>(?:[A-Z][\w'’&.-]*\s+){0,3}?[A-Z][\w'’&.-]*)\s+(?:(?P<to>to)\s+(?P<verb>[a-z]+)|for)\s+"
                          r"(?P<what>.+)$", re.DOTALL)


_WHEN_RE = re.compile(r"\s+(?:next\s+\w+|this\s+\w+|in\s+(?:a|an|one|two|three|four|\d+)\s+\w+|on\s+\w+day|"
                      r"tomorrow|today)\b.*$", re.IGNORECASE | re.DOTALL)


def coming(text: str) -> str | None:
    """Work booked, ordered or requested from someone outside (``We booked Cobalt for a pen test of the portal next
    week``, ``We ordered two cameras from Keyence``, ``Risk commissioned a validation of the model from Deloitte``,
    ``We have engaged KPMG to assess our controls``) is a coming output, not a past act: a part that gets it, which
    the parts that use it wait for (``Triage what they find``). None when the sentence books nothing from anyone
    named (``We scheduled the release for Friday``)."""
    found = _BOOKED_RE.match(text) if _BOOKED_WORD_RE.search(text) else None  # most sentences book nothing
    if found is None or (found["act"].lower() in ("requested", "hired") and _head(found["subject"]) not in _DECIDERS):
        return None  # "The disputes team requested ...": a request made to us, the reason for the work
    rest = found["rest"]
    named = _FOR_WHAT_RE.match(rest)
    if named is not None and named["to"]:
        return f"Have {named['who']} {named['verb']} {named['what']}"  # "engaged KPMG to assess our controls"
    if named is not None:  # "booked Cobalt for a pen test ... next week": when it comes stays last
        what, when = (named["what"][:cut.start()], named["what"][cut.start():]) \
            if (cut := _WHEN_RE.search(named["what"])) else (named["what"], "")
        return f"Get {what} from {named['who']}{when}"
    source = _FROM_WHOM_RE.match(rest)
    if source is not None and any(word[:1].isupper() for word in source["who"].split()):
        # a named outsider: "from Keyence", "from the university CERT", "with Akamai's performance team"
        return f"Get {source['what']} from {source['who'].strip()}{source['tail']}"
    return None


def _past_act(text: str) -> bool:
    """``Leadership signed off on ...``: a decider's past act."""
    found = re.match(rf"^{_SUBJECT}\s+(?:already\s+|just\s+|recently\s+)?(?P<verb>[a-z]+ed|{'|'.join(_IRREGULAR)})\b", text,
                     re.IGNORECASE)
    # what a team did or asked ("The security team asked for rate limiting", "Ops reported that ...") is the reason
    return bool(found and (_head(found.group("subject")) in _DECIDERS or (
        team_of(found.group("subject")) and not found.group("verb").lower().endswith("eed"))  # "developers need"
        or (found.group("verb").lower() in _REQUESTED and _head(found.group("subject")) in PEOPLE)))


_REQUESTED = frozenset({"asked", "requested", "demanded", "wanted"})
"""A past request by people (``The disputes team asked for faster reporting``): why the work is asked, not a part."""


def _head(subject: str) -> str:
    words = re.findall(r"[a-z]+", re.sub(r"\([^)]*\)", "", subject).lower())
    return words[-1] if words else ""


def _after_first(text: str) -> str:
    parts = text.split(maxsplit=1)
    return f" {parts[1]}" if len(parts) > 1 else ""


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def lower_subject(subject: str) -> str:
    """A subject moved after a verb: ``Uploads`` -> ``uploads``, ``The billing service`` -> ``the billing service``.
    What looks like a name keeps its case: ``GitHub``, ``S3``, ``Azure AD``, ``Jenkins`` (one word that is no known
    common word)."""
    words = subject.strip().split(maxsplit=1)
    if not words:
        return ""
    first, rest = words[0], words[1] if len(words) > 1 else ""
    lowered = first.lower()
    named = bool(re.search(r"[A-Z0-9]", first[1:])) or (bool(re.match(r"[A-Z]", rest)) and lowered not in _COMMON) or (
        not rest and lowered not in _COMMON | COMMON_NOUNS and lowered.rstrip("s") not in _COMMON_VERBS)
    if not named and lowered in _DETERMINERS and (following := rest.split(maxsplit=1)) and \
            following[0][1:].islower() and following[0].lower() in COMMON_NOUNS:
        rest = following[0].lower() + rest[len(following[0]):]  # "The Website should match": the website
    return subject.strip() if named else f"{first[:1].lower()}{first[1:]}{f' {rest}' if rest else ''}"


COMMON_NOUNS = frozenset({
    "login", "logins", "search", "checkout", "signup", "billing", "payments", "uploads", "downloads", "exports",
    "imports", "reports", "invoices", "orders", "notifications", "emails", "backups", "deployments", "builds", "tests",
    "logs", "metrics", "alerts", "sessions", "accounts", "queries", "events", "data", "files", "records", "tables",
    "services", "jobs", "passwords", "tokens", "secrets", "keys", "certificates", "everything", "nothing", "downtime",
    "website", "websites", "site", "app", "apps", "gift", "portal", "page", "pages", "dashboard", "form", "cart",
    "profile", "newsletter", "blog", "shop", "store", "catalog", "catalogue", "menu", "calendar", "inbox", "homepage",
    "settings", "wishlist", "coupons", "vouchers", "loyalty", "referral", "referrals", "booking", "bookings",
    "tickets", "customers", "users", "members", "staff", "office", "laptops", "printers", "contracts", "vendors",
})
"""Words that begin a sentence with a capital but are no names: lower-cased after the verb and "the" a title gives
them (``Implement the gift cards``, ``Make the website match``)."""


_COMMON = PEOPLE | {"the", "a", "an", "every", "each", "all", "existing", "our", "their", "its", "new", "it", "they",
                    "this", "these", "those", "some", "any", "external", "internal", "old"}


_COMMON_VERBS = frozenset({
    "expire", "request", "earn", "redeem", "receive", "see", "view", "edit", "share", "invite", "download", "upload",
    "pay", "order", "book", "cancel", "choose", "select", "search", "filter", "sign", "log", "hear", "track", "follow",
    "approve", "reject", "comment", "rate", "vote", "join", "leave", "subscribe", "unsubscribe", "appear", "trigger",
    "fire", "retry", "fail", "charge", "refund", "include", "reach", "return", "accept", "read", "use", "enter",
    "save", "print", "scope", "anonymise", "anonymize", "load", "change", "reset", "contain", "list", "manage",
    "round", "index", "pause", "hide", "settle",
})
"""Verbs a writer's statements use that open no part of work on their own ("the link expires", "users pay"):
known only to find a participle's or a present tense's base form."""


@functools.lru_cache(maxsize=8)
def _known_cached(verbs: frozenset[str]) -> frozenset[str]:
    return verbs | _COMMON_VERBS


def _known(verbs: Collection[str]) -> frozenset[str]:
    return _known_cached(verbs if isinstance(verbs, frozenset) else frozenset(verbs))


_MENTIONS_RE = re.compile(rf"\s*[,;]\s*(?:and\s+|then\s+)?(?=@(?:{TEAM_NAMES})\b)", re.IGNORECASE)


_OWNER_LINE_RE = re.compile(
    rf"^(?P<mark>[ \t]*(?:[-*•][ \t]*(?:\[[ xX]?\][ \t]*)?|\d{{1,2}}[.)][ \t]+)?)"
    rf"(?P<work>[^\n]*?[^ \t.;,—–\n-])[ \t.;,—–-]*[(\[]?"
    rf"(?:owner|owned[ \t]+by|assignee|assigned[ \t]+to|team)[ \t]*:?[ \t]*(?:[\w-]+[ \t]+)??(?P<team>@?(?:{TEAM_NAMES}))"
    r"(?:[ \t]+team)?[)\]]?[ \t]*\.?[ \t]*$", re.IGNORECASE | re.MULTILINE)
"""A line that names its owner after its work (``Write the export job. Owner: engineering``, ``Port the scripts
(owner: data engineering)``): read as the team's label before it. The work ends on a character the separators after
it cannot take: a work that could end anywhere tried every run of separators after each of its ends, and a line of
20,000 dashes or full stops took the planner minutes (attack22)."""


def as_work_text(text: str, verbs: Collection[str]) -> str:
    """``text`` with each sentence read as work (:func:`as_work`), context left out, one sentence per line,
    each ended by its full stop again (a list's last item ends there, not at the next sentence's end). A quoted
    passage (``> ...``: a report's finding, an earlier e-mail) is read only when nothing outside it asks for work."""
    if _QUOTE_LINE_RE.search(text):
        own = as_work_text(_QUOTE_LINE_RE.sub("", text), verbs)
        return own or as_work_text(_QUOTE_MARK_RE.sub("", text), verbs)
    text = CRITERIA_RE.split(text, maxsplit=1)[0]  # what must hold (the handoff carries it) is not more work
    # "@security please review it, @sre deploy it": each team its own sentence; "Write the job. Owner: backend": a label
    text = _OWNER_LINE_RE.sub(r"\g<mark>\g<team>: \g<work>", _MENTIONS_RE.sub(".\n", text))
    lines: list[str] = []
    opens = set()  # a paragraph's first line: a section named by a plain label ("Goals:") ends at the blank line
    for line in text.strip().splitlines():
        if not line.strip():
            opens.add(len(lines))
        else:
            lines.append(line)
    if len(lines) > 1 and _SIGNATURE_RE.fullmatch(lines[-1].strip()):
        lines = lines[:-1]  # "Sandra", "Tom": an e-mail's signature
    fences = [n for n, line in enumerate(lines) if _FENCE_RE.fullmatch(line)]
    # a code block (a pasted traceback, a snippet) shows, it asks for nothing; one left open hides no work
    code = set().union(*(range(a, b + 1) for a, b in zip(fences[::2], fences[1::2], strict=True))) \
        if len(fences) % 2 == 0 else set()
    kept, out, aside, names, known = [], False, False, False, _known(verbs)
    plain, goals = False, False  # whether the aside's section is named by a plain label, or says what is wanted
    for n, line in enumerate(lines):
        if n in code or _TABLE_ROW_RE.match(line):
            continue  # a table shows data (hosts, prices, owners); the sentences around it ask for the work
        aside = aside and not (plain and n in opens)  # "Goals:" over a list: the paragraph after it is read again
        section = _SECTION_RE.match(line) if len(line) <= 48 else None
        if section and section.group("label").strip().lower() in SCOPE_LABELS:
            names = True  # "Clusters:" over "- dev", "- staging": the list is where the work applies, not parts
            continue
        if names and _a_name(line, known):
            continue
        names = False
        if section and section.group("label").strip().lower() in _SECTIONS:
            # "## Motivation", "Background", "3. Timeline": what follows is why or what was, until the next section
            aside = section.group("label").strip().lower() in _ASIDES
            plain, goals = not line.lstrip().startswith("#"), section.group("label").strip().lower() in _GOALS
            continue
        heading = _OUT_OF_SCOPE_RE.match(line)
        if heading or re.match(r"\s*#", line) or (out and not re.match(r"\s*(?:[-*•]|\d+[.)])\s", line)):
            out = bool(heading and not heading.group("rest").strip())  # "## Not in scope" rules out its list
            aside = aside and not re.match(r"\s*#", line)
        wanted = goals and (item := _ITEM_RE.match(line)) is not None and \
            item.group("name").split(maxsplit=1)[0].lower() in known  # "Goals:" over "- Script the promotion ..."
        if not out and (not aside or wanted) and not re.match(r"\s*#{1,6}\s", line):  # a heading names a section
            kept.append(line)
    kept = _verb_over_list(kept)
    bullets = [(n, found) for n, line in enumerate(kept) if (found := _BULLET_RE.match(line))]
    if len(bullets) == 1:  # a list of one ("- Add a reconnect loop") is a sentence: no list reads it
        kept[bullets[0][0]] = kept[bullets[0][0]][bullets[0][1].end():]
    said = sentences("\n".join(kept))
    asked = next((n for n, sentence in enumerate(said) if _imperative(sentence, known)), 0)
    # a description that asks for its work ("Fix the filter") tells the rest: a symptom, a status, what someone
    # else will do is context the handoff carries (the parent's description), not a part
    reports = [_reports(sentence, known) for sentence in said]
    # (an imperative: a spec written in "must"s and statements, "Exports run as background jobs", is all asks)
    asks = any(not reported and (_imperative(sentence, known) or bool(_WE_ASK_RE.match(sentence)))
               for sentence, reported in zip(said, reports, strict=True))
    # what the description asks to make ("Build a daily census report"): a statement about it is its spec ("The
    # report shows the beds per ward"), not a report of how things are
    made = {_made_head(sentence) for sentence in said if _MAKES_RE.match(sentence)} - {""}
    reports = [reported and not (made and _head(_subject_of(sentence)) in made) for sentence, reported
               in zip(said, reports, strict=True)]
    return "\n".join(work if work[-1:] in ".!?:" else f"{work}."
                     for n, sentence in enumerate(said)
                     if not (n < asked and _told(sentence, known)) and not (asks and reports[n])
                     and (work := as_work(sentence, verbs)))


_VERB_HEAD_RE = re.compile(r"\s*(?P<verb>[A-Za-z]+)\s*:\s*$")
_ITEM_MARK_RE = re.compile(r"\s*(?:[-*•]|\d{1,2}[.)])\s+(?=\S)")


def _verb_over_list(lines: list[str]) -> list[str]:
    """A gathering verb alone over a list (``Collect:`` over ``- the access logs``, ``- the change tickets``): each
    item is that verb's object (``- Collect the access logs``), the verb alone is no part."""
    out: list[str] = []
    verb, head_line = "", ""
    for line in lines:
        head = _VERB_HEAD_RE.match(line)
        mark = _ITEM_MARK_RE.match(line) if verb else None
        if mark is not None:
            item = line[mark.end():]
            out.append(f"{mark.group()}{verb} {item[:1].lower() if not item[1:2].isupper() else item[:1]}{item[1:]}")
            head_line = ""
            continue
        if head_line:
            out.append(head_line)  # nothing listed under it: kept as written
        verb, head_line = "", ""
        if head and head.group("verb").lower() in GATHERING_VERBS:
            verb, head_line = head.group("verb").capitalize(), line
            continue
        out.append(line)
    return out + ([head_line] if head_line else [])


def _imperative(sentence: str, known: frozenset[str]) -> bool:
    text = _MARKS_RE.sub("", sentence.strip())
    words = text.lower().split(maxsplit=2)
    return bool(words) and (words[0] in known or " ".join(words[:2]) in known) and not _noun_subject(text)


_HABITS = frozenset({"run", "go", "keep", "cost", "own", "log", "live", "sit", "use", "hold", "happen", "ask", "come",
                     "sell", "work", "handle", "take", "pay", "rely", "depend", "call", "store", "host"})
"""Verbs of how things go now (``Our deploys go to all pods at once``, ``Dev costs 18k a month``)."""
_TOLD_SKIP = frozenset({"the", "a", "an", "of", "in", "on", "at", "to", "for", "with", "by", "from", "who", "that",
                        "which", "whose", "this", "these", "its", "their", "our", "will", "would"})


def _told(sentence: str, known: frozenset[str]) -> bool:
    """How things are now, told in the present before the description asks for its work (``Admins log in to each
    VM with a password only. Set up SSH certificates ...``, ``Our deploys go to all pods at once``): context. Not an
    ask, a failure, a question, a label, a team given work (``Security reviews the OAuth flow``), nor a sentence
    with an imperative after its comma (``Before anything else, buy the certificates``); ``gets`` gives a thing."""
    if _ASKING_RE.search(sentence) or _FAILING_RE.search(sentence) or "?" in sentence or _LABEL_COLON_RE.search(sentence) \
            or _ITEM_RE.match(sentence) or coming(sentence.strip()) is not None:  # "We booked Cobalt for ...": to come
        return False  # a list's item names a thing ("- GitHub org invite")
    if any((words := clause.split(maxsplit=1)) and words[0].lower() in known for clause in sentence.split(",")[1:]):
        return False
    tokens = list(itertools.islice(re.finditer(r"[\w'/%-]+", sentence), 7))
    if len(tokens) < 3 or tokens[0].group().lower() in {"a", "an", "then", "and", "also", "please"} or (
            tokens[0].group().lower() in known and not _noun_subject(sentence)):  # "Link goes to ...": a subject
        return False
    for before, token in itertools.pairwise(tokens):
        word = token.group()
        if token.end() >= len(sentence.rstrip(" .!")):
            return False  # "the org invite": a noun at the end names a thing
        if not word.isalpha() or not word.islower() or before.group().lower() in _TOLD_SKIP \
                or word in _AUXILIARIES or word in ("get", "gets", "was", "were"):
            continue
        base = _base_of_present(word, known | _HABITS)
        if base is None or not (word.endswith("s") or word == base):
            continue
        subject = sentence[: token.start()]
        return ("," not in subject or before.group().lower() in ("each", "both", "all")) \
            and _head(subject.strip()) not in _TEAMS | {"team", "teams"}
    return False


_SINCE_RE = re.compile(r"^(?:(?:since|as\s+of)\s+(?:last\s+)?[\w-]+(?:\s+\d{1,2}(?:st|nd|rd|th)?)?|today|currently|nowadays|"
                       r"yesterday|right\s+now|at\s+the\s+moment|(?:last|this|every|each)\s+(?:night|morning|week|month|"
                       r"quarter|year|time|day|sprint|monday|tuesday|wednesday|thursday|friday|saturday|sunday))\s*,?\s+",
                       re.IGNORECASE)
"""When a report holds (``Since Tuesday the channel drops ...``, ``Every quarter we pull ...``): read past it."""
_REPORTED_RE = re.compile(r"^(?:[\w'-]+\s+){1,3}?(?:report|reports|reported|say|says|said|complain|complains|"
                          r"complained|notice|noticed|tell\s+us|told\s+us|see|saw)\s+(?:that\s+)?(?:the|our|their|its|"
                          r"it|they|some|all|every|each|\d)\b", re.IGNORECASE)
"""What someone reports (``Nurses report that the scanners log out``): a symptom, in their words."""
_ELSEWHERE_RE = re.compile(r"^(?!(?:we|i|you)\b)(?:[\w'-]+\s+){1,5}?(?:(?:will|'ll|is\s+going\s+to|are\s+going\s+to)\s+)?"
                           r"(?:[^,;]*\s)?(?:separately|afterwards|later|themselves|on\s+their\s+(?:side|end)|in\s+a\s+"
                           r"(?:separate|later|follow-?up)\b|next\s+(?:week|month|quarter|sprint|year))\b", re.IGNORECASE)
"""What someone else will do on their own (``The vendor will look at the root cause afterwards``; tidying reads
"the vendor will" as a formal "shall" and leaves ``The interface look at ... afterwards``): out of scope."""
_HABIT_ASK_RE = re.compile(r"\b(?:ha(?:s|ve)\s+to|must)\b[^,;]*\b(?:by\s+(?:hand|phone|e-?mail)|manually|on\s+paper)\b",
                           re.IGNORECASE)
"""How the work is done now (``we have to grep the archive by hand``): the problem, not an ask."""
_PAST_FORMS = frozenset({"was", "were", "passed", "went", "broke", "came", "ran", "got", "took", "began", "lost",
                         "found", "sent", "saw", "made", "left", "fell"})
_BE_FORMS = frozenset({"is", "are", "was", "were", "isn't", "aren't", "wasn't", "weren't", "has", "have", "had",
                       "hasn't", "haven't", "doesn't", "don't", "didn't", "can't", "cannot", "won't"})
_POINTS = frozenset({"on", "in", "at", "from", "with", "after", "as", "into", "every", "anyway", "again", "still",
                     "only", "instead", "twice", "once"})
_WHERE = frozenset({"on", "in", "at", "from", "into"})
_WHEN = frozenset({"when", "whenever", "if", "after", "because", "since", "during"})
_OBJECTS = _DETERMINERS | {"them", "it", "his", "her", "some", "no", "these", "those", "more", "up", "out", "down"}


_WE_ASK_RE = re.compile(r"^(?:(?:so|and|also)\s+)?(?:(?:we|i)\s+(?:really\s+)?(?:need|want|must|would\s+like)\b|please\b|"
                        r"(?:could|can|would)\s+(?:you|someone|somebody|your\s+team)\b)", re.IGNORECASE)
"""An ask said as one (``We need the alarms in the new app: ...``, ``Please ...``), though no verb opens it."""
_MAKES_RE = re.compile(r"^\s*(?:please\s+)?(?:build|create|develop|write|design|add|set\s+up|make|introduce)\s+"
                       r"(?:an?|the|new|our)\b", re.IGNORECASE)


def _made_head(sentence: str) -> str:
    """The head noun of what a making imperative makes (``Build a daily bed census report for the managers``:
    report)."""
    found = _MAKES_RE.match(sentence)
    rest = sentence[found.end():] if found else ""
    phrase = re.split(r"\s+(?:for|to|on|in|with|that|which|who|at|from|and|so|of)\s|[,;:(]", f" {rest} ", maxsplit=1)[0]
    words = re.findall(r"[a-z][\w-]*", phrase.lower())
    return words[-1] if words else ""


def _subject_of(sentence: str) -> str:
    """The words before a statement's first verb-like word, roughly (``The report`` of ``The report shows ...``)."""
    words = _TOKEN_RE.findall(_SINCE_RE.sub("", sentence.strip(), count=1))[:6]
    for index, word in enumerate(words[1:], 1):
        if (word.islower() and re.fullmatch(r"[a-z]+(?:s|ed)|is|are|was|were|has|have", word) and index > 1) \
                or word.lower() in _BE_FORMS:
            return " ".join(words[:index])
    return " ".join(words[:2])


_MISSING_RE = re.compile(
    r"(?:we|they|the\s+(?:[\w-]+\s+){0,2}?(?:team|company|site|plant|business))\s+(?:cannot|can't|can\s+not|could\s+not|"
    r"couldn't|(?:are|were|is|was)\s+(?:not\s+)?unable\s+to)\s+(?:show|prove|demonstrate|evidence|produce|provide|"
    r"tell|explain|say)\b|there\s+(?:is|are|was|were)\s+no\s+(?:[\w-]+\s+){0,2}?(?:evidence|records?|proof|"
    r"reviews?|documentation|logs?|owners?|process|procedure|policy)\b", re.IGNORECASE)
"""A finding stated (``We cannot show that the firewall rules are reviewed``, ``There is no record of ...``): what is
missing, which the asks beside it answer."""


def _reports(sentence: str, known: frozenset[str]) -> bool:
    """A sentence that tells how things are or were (``The channel shows them as filtered``, ``Release 7.3 passed
    UAT on Monday``, ``Our services build on a python:3.9 base``), what someone reports or what someone else will
    do later; not an ask (an imperative, "we need", "must", "required", "please"), a list's item, a label or a
    question, nor a thing named without a verb (``A retry queue for failed webhooks``)."""
    text = _SINCE_RE.sub("", _MARKS_RE.sub("", sentence.strip()), count=1)
    if _MISSING_RE.match(text):
        return True  # "We cannot show a review of admin accounts": the finding the asks answer, not an ask
    if _FOUND_RE.match(text):
        return True  # "Found the SFTP password in appsettings.json": what the writer found, said without its "we"
    if (colon := re.search(r":\s", text)) and "?" not in text and not _ITEM_RE.match(sentence) \
            and not _BULLET_RE.match(sentence) and _reports(text[:colon.start()], known) \
            and not any(_imperative(item, known) for item in re.split(r",\s*|\s+and\s+", text[colon.end():])):
        return True  # "Our 40 integrations keep their keys in different places: env files, CI variables": how it is
    if not text or "?" in text or re.search(r":(?:\s|$)", text) or _ITEM_RE.match(sentence) or _BULLET_RE.match(sentence):
        return False  # a label's colon ("Scope: ..."), not a name's ("python:3.9")
    if coming(text) is not None:
        return False  # work booked from someone outside: its output is still to come
    if (_ELSEWHERE_RE.match(text) and not _imperative(text, known)) or _HABIT_ASK_RE.search(text):
        return True
    if _ASKING_RE.search(text) or _WANTED_RE.match(text) or _WANTED_FIRST_RE.match(text) or _MEANS_RE.search(text) \
            or re.search(r"\b(?:required|necessary|needed|mandatory)\b", text, re.IGNORECASE):
        return False
    if any((words := clause.split(maxsplit=1)) and words[0].lower() in known
           for clause in re.split(r"[,;]\s*(?:so|and|then|but)?\s*", text)[1:]):
        return False  # "The export fails, fix it": an imperative after its comma
    words = _TOKEN_RE.findall(text)[:12]
    named = bool(_NAMED_DONE_RE.match(text))
    if not words or (_imperative(text, known) and not named):
        return False
    if _REPORTED_RE.match(text) or (len(words) > 2 and words[1].lower() in _HARDSHIPS and words[0][:1].isupper()
                                     and words[0].lower().endswith("s")):
        return True  # "Nurses report that ...", "Drivers lose the photo": what people report or put up with
    # a thing told with "the", "our": how it is; "a relay process reads the outbox" brings in a thing to make
    opened = words[0].lower() in _DETERMINERS - {"a", "an"} | {"these", "those", "my", "your"}
    for index in range(1, min(len(words) - 1, 11)):
        word, before, after = words[index], words[index - 1].lower(), words[index + 1]
        low = word.lower()
        if low in _RELATIVE or low in _INNER:
            return False  # "Email alerts when the import fails": a thing, and the clause that says when
        if low == "new":
            return False  # "The new portal shows ...": what is to be built, said as it will be
        if not word.isalpha() or not word.islower() or before in _TOLD_SKIP or low in ("get", "gets"):
            continue  # "Every table gets a tenant_id": a thing given
        objected = after.lower() in _OBJECTS or after[:1].isupper() or after[:1].isdigit()
        subject = " ".join(words[:index])
        if (_head(subject) in _TEAMS | {"team", "teams"} or team_of(subject) is not None) and not named \
                and (low in known or _base_of_present(low, known) is not None):
            return False  # "The platform team builds the base images": a team given its work ("flies blind": not)
        if low in _BE_FORMS and after.lower() != "to":
            return True  # "The export is broken", "WMS 9.2 was installed"
        if (low in _PAST_FORMS or (low.endswith("ed") and len(low) > 4)) and (objected or named or (
                opened and index <= 5 and after.isalpha() and after.islower() and after not in _NOT_VERBS | _POINTS)):
            return True  # "Release 7.3 passed UAT", "Build 5.2 passed acceptance", "The robot stopped picking"
        if opened and re.fullmatch(r"[a-z]{2,}[^\Wsu]s", low) and (objected or after.lower() in _POINTS | _WHEN or (
                after.isalpha() and not after.endswith(("ed", "ing")) and (_base_of_present(low, known | _HABITS) is not None
                                     or index + 2 >= len(words) or words[index + 2].lower() in _POINTS))):
            return True  # "The job reports success anyway", "The channel shows them as filtered"
        if opened and before.endswith("s") and not before.endswith("ss") and index <= 4 and low.isalpha() \
                and low not in _NOT_VERBS and (objected or (low in known | _HABITS and after.lower() in _WHERE)):
            return True  # "The scanners lose their profile", "Our services build on a python:3.9 base"
    return False


_FOUND_RE = re.compile(r"(?:found|noticed|spotted|discovered|saw)\s+(?:the|a|an|our|their|its|that|this|some|\d)\b",
                       re.IGNORECASE)
"""A finding told without its subject (``Found the lab-order key in a public repo``): past, no verb to do."""
_NAMED_DONE_RE = re.compile(r"^[A-Za-z][\w-]*\s+(?:v?\d+(?:\.\d+)+[\w.-]*|[\w.-]*\d[\w.-]*(?=\s+of\s))(?:\s+\([^)]*\))?"
                            r"(?:\s+of\s+(?:the\s+|our\s+)?(?:[\w-]+\s+){0,4}?[\w-]+)?\s+(?:was|were|passed|failed|went|"
                            r"broke|[a-z]{3,}ed)\b(?!\s+[a-z]+s\b)")
"""``Release 7.3 passed UAT``, ``Build 5.2 of the kiosk app passed``: a verb's word naming a version, then its past
(not a count and a participle: ``Copy 12,500 scanned contracts``)."""


_LABEL_COLON_RE = re.compile(r":(?!//)")
"""A label's or a list's colon, not a link's (``hxxps://...``)."""
_TABLE_ROW_RE = re.compile(r"\s*\|.*\|\s*$")
_QUOTE_LINE_RE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_QUOTE_MARK_RE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)
_BULLET_RE = re.compile(r"\s*[-*•]\s+(?=\S)")
_ITEM_RE = re.compile(r"\s*(?:[-*•]|\d+[.)])\s+(?P<name>.*?)[.;,]?\s*$")


def _a_name(line: str, verbs: frozenset[str]) -> bool:
    """A line of names under a scope label: ``dev, staging, prod-eu`` or ``- prod-eu``, not ``- rewrite billing``."""
    item = _ITEM_RE.match(line)
    words = item.group("name").split() if item else []
    return _names_only(line) or (0 < len(words) <= 2 and words[0].lower() not in verbs)


_SECTION_RE = re.compile(r"\s*(?:#{1,6}\s*)?(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?(?P<label>[A-Za-z][\w ]{0,30}?)\s*:?\s*$")
"""A line that only names a section: ``## Motivation``, ``Background``, ``2. Deliverables``, ``Action items:``."""
_GOALS = frozenset({"goal", "goals", "objective", "objectives"})
"""Sections that say what is wanted: an item there that opens with a verb is work (``- Script the failover``),
an outcome is not (``- fewer pages at night``)."""
_ASIDES = _CONTEXT_LABELS - {"regards", "best regards", "kind regards", "best", "cheers", "thanks", "ta", "br", "fyi"}
"""Sections whose lines say why, what was or what not (an e-mail's closing word opens no section)."""


_FENCE_RE = re.compile(r"\s*(?:```|~~~)[\w+.-]*\s*")
"""A line that opens or closes a Markdown code block (```python), not one with code after its fence."""
_OUT_OF_SCOPE_RE = re.compile(r"\s*#*\s*(?:out\s+of\s+scope|not\s+in\s+scope|non-?\s*goals)\s*:?(?P<rest>.*)$", re.IGNORECASE)
"""What the writer excludes ("## Out of scope" and the list under it) is not work."""
_SIGNATURE_RE = re.compile(r"(?:-{1,2}\s*)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\.?")
