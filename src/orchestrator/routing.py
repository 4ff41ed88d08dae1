"""Which master: the routing half of the classifier.

Pure: a title and description in, a :class:`Route` out, with the reasons that led to it. Routing
scores each domain by its words in the title (double weight) and description, plus the task's
``type`` and ``"<type>: "`` prefix; the head of the first clause (what the work makes or changes)
outweighs later words. Where no rule read what the work is, the queue's history (``history.py``)
and then the built-in model (``learned.py``) may decide; the reasons say which did.
:class:`~orchestrator.classify.Classifier` adds whether a task needs a plan.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from orchestrator.config import ClassifierConfig
from orchestrator.evidence import NO_WORDS, TIE
from orchestrator.history import History
from orchestrator.learned import Judgement, LearnedModel, builtin_model
from orchestrator.models import MASTERS, QueueTask
from orchestrator.textsignals import (
    CRITERIA_RE,
    REMEMBERED,
    TypoFixer,
    after_label,
    clauses,
    contingency,
    forgotten_with_texts,
    head_phrase,
    in_its_sense,
    keyword_pattern,
    operations_path,
    place_phrase,
    remembered_text,
    split_identifiers,
    strip_identifiers,
    strip_names,
    strip_ticket_key,
    type_prefix,
    verbal_title,
    without_email,
    without_formalities,
    work_clauses,
)

_BUILD_MAKES_RE = re.compile(r"build\s+(?:a|an|the|our|new|your|their|its|some|me|us)\s")
_BEFORE_RELATIVE_RE = re.compile(r"(?:,|\b(?:in|of|by|for|to|from|on|at|with))\s*$")
_AFTER_RELATIVE_RE = re.compile(r"which\s+(?:is|are|was|were|has|have|had|can|could|will|would|should|may|might|must|does|"
                                r"do|did|already|also|then|still|now|only|means|makes|made|causes|caused|happens|"
                                r"happened|[a-z]+ed)\b")


def _compound_next(lowered: str, end: int) -> int | None:
    """Where the next word of a noun compound starts after ``end`` (one space or hyphen between), else None."""
    return end + 1 if end < len(lowered) - 1 and lowered[end] in " -" and lowered[end + 1].isalnum() else None


def _relative_which(lowered: str, at: int) -> bool:
    """Whether the "which" at ``at`` is a relative pronoun (", which already starts with the title", "in which
    case"), no question: after a comma or a preposition, before a verb (", which team uses it" still asks)."""
    return bool(_BEFORE_RELATIVE_RE.search(lowered, max(0, at - 8), at) and _AFTER_RELATIVE_RE.match(lowered, at))


# a verb that only says someone should attend to a thing ("Look into ...", "Sort out ...", "Take care of ...", "Deal
# with ..."): the thing after it is the head, and its preposition does not end the head ("Take care of the open Snyk
# issues on the web repo" is about Snyk issues, not a change made in a repo; "Sort out" is no sorting on a screen)
_ATTEND_RE = re.compile(r"(?:please\s+)?(?:look\s+into|look\s+at|(?:have|take)\s+a\s+(?:quick\s+|closer\s+)?look\s+at|"
                        r"take\s+care\s+of|deal\s+with|sort\s+out|figure\s+out|find\s+out|chase\s+down|"
                        r"follow\s+up\s+on|handle)\s+(?=\S)", re.IGNORECASE)
_TITLE_ASK_RE = re.compile(r"(?<!\s)(?:\s*;\s+|\s+[-–—]\s+)")  # once per run of spaces (tests/test_text_cost.py)
"""Where a title's statement ends and its request begins."""
_BUILD_NAME_RE = re.compile(r"build(?:ers?\b|-\d)")
"""A builder is a thing (the prompt builder, a query builder), and ``build-07`` a host's name: neither is the CI build."""
"""``Build a loyalty program``: the verb that makes a thing, not a CI build (``the build is red``, ``build times``)."""

_REPORTS_SAYS_RE = re.compile(r"report(?:s\s+(?:the|a|an|that|its|their|our|his|her|wrong|no|an?\s+error|\d)\b|ed\b)")
"""``Customer reports the export stops``, ``Sensor reports temperature ...``, ``a user reported``: someone or something
telling, not a report to make (inventory's census)."""
_REPORTS_STATED_RE = re.compile(
    r"\s*(?:the\s+|our\s+|a\s+)?(?:[a-z][\w-]*\s+){1,3}?(?<!\bthe\s)(?<!\ba\s)(?P<verb>reports)\s+(?!(?:for|of|on|in|by|to|from|with|"
    r"and|or|per|that|which|is|are|was|were|page|pages|dashboard|tab|view|screen|folder|list|section|module|job|jobs|"
    r"service|api|endpoint|generation|generator|export|table|team|via|into|about|every|each|weekly|daily|monthly)\b)"
    r"[a-z]")
"""A title that states what a thing reports ("Sensor firmware reports temperature in Fahrenheit on EU units"): the
report is what it says, a symptom, not a report asked for (the verb after a subject, not "Generate reports for ...",
"Sales reports page")."""

TYPE_WEIGHT = 10.0
"""Each of ``type`` and the ``"<type>: "`` prefix: what the writer declared outweighs most wording."""
TITLE_WEIGHT = 2.0
KEYWORD_WEIGHT = 3.0
LEAD_VERB_BONUS = 3.0
"""A keyword that opens the text is the work itself (``Document the deploy process``)."""
HEAD_WEIGHT = 4.0
"""Routing words in the head of the first clause count this much more (R1: the deliverable decides)."""
SOFTWARE_HEAD_WEIGHT = 12.0
"""A software noun heading the work (``Build a command-line tool``) makes it development (R2)."""
NARROW_MARGIN = 0.2
"""A runner-up within this fraction of the best score is said in the reasons (low confidence)."""
HINTS_ONLY_CONFIDENCE = 0.6
"""The most a route is sure of when no keyword, rule or type names its domain, only hints."""
MODEL_MASTER_MIN = 0.85
"""The built-in model's probability at which it takes a task the rules route by words alone (no head rule,
no type); chosen on the dev part, cross-validated and split by time (README, "Measured")."""
VERB_HEAD_WEIGHT = 4.0
"""A routing word that opens the head (scan, deploy, roll back, document) names the work."""
ENUMERATION_WEIGHT = 12.0
"""A head that asks what exists (which services..., list the runners) is inventory work."""
CENSUS_NOUNS = ("inventory", "catalog", "catalogue", "census", "overview", "list", "map", "matrix", "spreadsheet",
                "register")
TABLE_NOUNS = ("table", "breakdown", "rundown", "summary", "spreadsheet", "sheet", "roster", "report", "tally")
"""Opening a verbless title with "of" + what is counted (``Table of the Helm chart versions per cluster``)."""
_TABLE_OF_RE = re.compile(r"\s+of\s+(?:all|every|each|which|the\s+\w+\s+of|(?:[\w.-]+\s+){0,3}(?!contents\b)[a-z][\w-]*[a-z]s)\b",
                          re.IGNORECASE)
REVIEWING = ("review", "check", "inspect", "assess", "examine", "verify", "evaluate")
ENUMERATING = ("list", "enumerate", "catalog", "catalogue", "inventory", "map", "collect", "count", "census", "tally",
               "gather")
QUESTIONS = ("which ", "what ", "how many ", "who owns ", "where ", "who maintains ", "who is responsible ", "whose ")
HEAD_MARGIN = 4.0
"""How far a head rule's domain is kept ahead of the words of the rest of the task (a ``type`` can still win)."""
DEFECT_WEIGHT = 16.0
"""A security defect named in the title (``reachable without authentication``) outweighs the words naming where."""
PLACE_WEIGHT = 8.0
"""Where the change is made (``in the Android CI job``, ``on the repository page``) names the work's kind."""
LEAD_DOMAIN_WEIGHT = 12.0
"""A domain's lead verb opening the work (``Scale the ...``, ``Revoke ...``)."""
UI_OBJECTS = frozenset({"button", "header", "footer", "carousel", "timer", "countdown", "toast", "badge", "tooltip",
                        "dropdown", "picker", "calendar", "cursor", "scroll", "thumbnail", "avatar", "icon", "banner",
                        "card", "counter", "spinner", "slider", "tab", "layout"})
"""Things on a screen: what an everyday verb does to them ("Lock the table header") is a change of the UI."""
UNAMBIGUOUS_LEADS = frozenset({"deploy", "redeploy", "revoke", "fuzz", "pentest", "harden", "provision"})
"""Lead verbs with no everyday sense in code ("Push the toast down", "Block the double submit", "Rotate the image"
are development's): they name the work over a failure given as its reason."""
ENVIRONMENTS = frozenset({"production", "prod", "staging", "dev", "qa", "preview", "test", "sandbox"})
AMBIGUOUS_OBJECTS = frozenset({"job", "jobs", "build", "builds"})
LIBRARIES = frozenset({"library", "client", "sdk", "package", "plugin", "module", "extension"})
"""Things imported: named after a tool (the Kubernetes client library), they are still development's."""
SCREENS = frozenset({"page", "tab", "screen", "panel", "view", "dialog", "modal", "form", "widget", "menu", "sidebar",
                     "button", "wizard", "tooltip", "banner", "toast", "popup"})
"""Parts of a user interface: the words naming one (the security center settings page) are its name, not its work."""
PLACES = frozenset({"screens", "pages", "tabs", "views", "panels", "forms", "dialogs"})
"""Where one change goes: ``the four onboarding screens`` are places, not parts (``three new screens`` are)."""
TESTS = frozenset({"test", "tests", "spec", "specs", "e2e"})
"""A program's tests: repairing one, or one that is flaky, is work on the program's code."""
REPAIRING = frozenset({"fix", "replace", "rewrite", "refactor"})
"""Making verbs that also repair: with a security defect named, the work is the defect's fix."""
_CHANGING = REPAIRING | {"make", "update", "change", "free"}
"""The verbs of a description's request that change a thing (:meth:`Router._change_asked`)."""
RELEASE_DOCS = frozenset({"changelog", "release notes"})
"""The documents a release writes about itself: updating them is a step of the release, not documentation work."""
_RELEASE_RE = re.compile(r"\b(?:release|releases|releasing|cut\s+v?\d)\b|\bv?\d+\.\d+\.\d+\b", re.IGNORECASE)
POSSESSIVES = frozenset({"our", "my", "the", "this", "these", "that", "those", "your"})
COPULAS = frozenset({"is", "are", "was", "were", "keeps", "keep", "has", "have", "looks", "seems", "got", "gets"})
"""A chat title that is a sentence (``our api docker image is 2.3gb``): its subject is the head."""
OUTPUTS = frozenset({"report", "reports", "export", "exports", "total", "totals", "calculation", "calculations",
                     "invoice", "invoices", "pdf", "pdfs", "csv", "receipt", "receipts", "results"})
"""What a program computes or renders: when it is wrong ("Monthly report numbers don't add up"), the program is."""
SECRET_NOUNS = frozenset({"password", "passwords", "secret", "secrets", "credential", "credentials", "token", "tokens",
                          "passphrase", "keys", "key"})
"""A verbless title that is a secret and a place (``Password on the wiki``, ``AWS keys in the repo``)."""
_WHO_MAY_RE = re.compile(r"\s*who\s+(?:still\s+|else\s+|else\s+still\s+)?(?:(?:has|have|holds?|gets?)\s+(?:\w+\s+)?"
                         r"(?:admin|root|sudo|superuser|access|rights|permissions?|privileges?)\b|"
                         r"(?:can|could|may|is\s+allowed\s+to|are\s+allowed\s+to)\s+(?!i\b|we\b|you\b)\w+)", re.IGNORECASE)
"""A question of who may do what ("Who has admin on the prod cluster?", "Who can deploy to production?") is an
access review."""
_REVIEW_WHO_RE = re.compile(r"\s*\w+\s+(?:and\s+\w+\s+)?(?:\(\s*(?:[^():]{1,30}:\s*)?)?(?=who\b)", re.IGNORECASE)
"""A review of who may ("Review who has access to the wiki"; "review and tighten (Finance asks: who can approve ...)")."""
_LIMITING_RE = re.compile(r"^\s*(?:restrict|limit|reduce|narrow|lock\s+down|tighten|control|decide)\s+(?=who\b)",
                          re.IGNORECASE)
"""Limiting who may do what ("Restrict who can exec into the pods", "Limit who can deploy") is access control."""
ACCESS_NOUNS = frozenset({"access", "permissions", "privileges", "access rights", "rights"})
"""A verbless title about access (``Prod DB access for Sam``) is granting or taking away access: security's."""
_USERNAME = r"[a-z]+[._][a-z0-9]+"
"""A username as people write one in a ticket (``jamie.chen``, ``priya.r``): a person, as a name is."""
_NOT_A_SCREEN = r"(?!\s+(?i:pages?|screens?|settings|layouts?|views?|tabs?|menus?|forms?|buttons?|pickers?|switchers?)\b)"
"""After a person's account or group: not a screen of the program that shows it (``the account settings page``)."""
_PERSON_ACCOUNT_RE = re.compile(
    r"\s*(?:(?i:(?:please\s+)?(?:unlock|disable|deactivate|suspend|reactivate|re-?enable|enable|remove|delete|lock|reset|"
    rf"close|offboard)\s+)(?:[A-Z][a-z]+|{_USERNAME}|(?i:the\s+(?:new\s+)?(?:hire|contractor|intern|starter|joiner|leaver|"
    r"employee)s?))(?:'s|’s|s')\s+"
    rf"|(?i:(?:please\s+)?(?:give|create|set\s+up|make|open)\s+)(?:[A-Z][a-z]+|{_USERNAME}|(?i:him|her|them)|"
    r"(?i:the\s+(?:new\s+)?(?:hire|contractor|intern|starter|joiner|employee|analyst|designer|developer)s?))\s+"
    rf"(?i:an?\s+)?)(?:[\w-]+\s+){{0,2}}?(?i:accounts?|logins?|user)\b{_NOT_A_SCREEN}")
"""A named person's account (by name, username or pronoun: "Give her a GitHub account"), or one for a new hire, opened,
locked or closed: access management."""
_ROLE = (r"(?:the\s+|our\s+|an?\s+)?(?:new\s+)?(?:[\w-]+\s+){0,2}?(?:hire|engineer|developer|sre|contractor|intern|"
         r"analyst|designer|employee|starter|joiner|leaver|admin|manager|lead|consultant)s?\b")
COMPANY_JOINING = (r"(?![^,;.\n]*\bas\s+(?:an?\s+|our\s+|the\s+)?(?:new\s+)?(?:[\w-]+\s+){0,2}?(?:customer|client|vendor|"
                   r"supplier|partner|tenant|retailer|carrier|merchant|reseller|distributor|shipper)s?\b)")
"""Not a person onboarded but a company ("Onboard MegaMart as EDI customer", "Onboard Acme Retail as a new partner"):
its connection, contract and data are the work, not one person's accounts."""
_MEMBER_RE = re.compile(
    rf"\s*(?i:(?:please\s+)?(?:add|invite|remove|kick|drop|take)\s+)(?:(?P<name>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)|{_USERNAME}|"
    rf"@[\w.-]+|(?i:him|her|them)|(?i:{_ROLE}))\s+(?i:(?:to|into|from|off|out\s+of)\s+(?:the\s+|our\s+)?"
    rf"(?:[\w'@.-]+\s+){{0,3}}?(?:orgs?|organi[sz]ations?|teams?|groups?|rotations?|on-call|workspace|roster)\b){_NOT_A_SCREEN}"
    rf"|\s*(?i:(?:please\s+)?(?:onboard|offboard)\s+){COMPANY_JOINING}(?:(?P<joiner>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?(?![\w-]))|"
    rf"{_USERNAME}|(?i:{_ROLE}))")
"""A person joining or leaving: onboarded or offboarded, added to or removed from an org, a team, a group or a
rotation ("Remove jamie.chen from the GitHub org", "Onboard the new SRE"): who may get in, security's access work
("Add Grafana to the platform team" names a tool, not a person: a capitalised routing word is no person's name)."""
ACCESS_CHANGING = frozenset({"remove", "grant", "give", "cut", "trim", "withdraw", "disable", "suspend", "review",
                             "audit", "request", "approve", "take", "drop", "reduce", "tighten", "narrow"})
"""Verbs that change or review who may access what (``Remove the interns' access to ...``): security's, whatever is
reached (a database, a share)."""
FINDINGS = frozenset({"finding", "findings"})
"""What a scan, an audit or a pen test reports: closing one (``Close the 'missing CSP' finding``) is security's."""
SCANNERS = frozenset({"trivy", "snyk", "codeql", "semgrep", "checkov", "tfsec", "kube-bench", "grype", "gitleaks",
                      "trufflehog", "gitguardian", "falco", "wazuh", "guardduty", "zap", "nuclei", "osv-scanner", "nessus",
                      "qualys", "mobsf", "burp", "pentest", "pen-test"})
"""Security's scanners and detectors: a title labelled with one ("Trivy: ...") reports its finding."""
THREATS = frozenset({"phishing", "spear-phishing", "smishing", "vishing", "malware", "ransomware", "spyware"})
"""Threats a person reports: a title labelled with one ("Phishing report: fake DocuSign email to finance") is a
finding to respond to, whatever it names (an email, a file); "Phishing: add a report button to the mail client"
asks for work and is read as any title."""
MONITORING_TOOLS = frozenset({"grafana", "datadog", "kibana", "cloudwatch", "prometheus", "splunk", "newrelic",
                              "dynatrace", "honeycomb"})
"""Monitoring tools: a dashboard or a panel in one is operations' monitoring, not a screen of the program."""
CICD_TOOLS = frozenset({"argo", "argocd", "flux", "fluxcd", "spinnaker", "jenkins", "circleci", "buildkite", "tekton",
                        "teamcity", "bamboo", "drone", "octopus"})
"""Deploy and build tools: what fails in one of them (an ArgoCD app out of sync) is a deploy's failure."""
SERVICES = frozenset({"api", "apis", "backend", "frontend", "app", "application", "service", "site", "website", "ui"})
"""Whole running programs: when one fails, a cicd word in the report may make it a deploy's failure."""
MODIFYING = SERVICES | {"manual"}
"""Keywords that, right before another domain's noun, say which one or how: no domain of their own there."""
MODIFIED = frozenset({"cache"})
"""Keywords that, right after another domain's noun, are that thing's part: no domain of their own there."""
REPOSITORIES = frozenset({"repository", "repositories", "repo", "repos"})
FINDING = frozenset({"find", "identify", "locate", "discover", "detect", "spot"})
DOCUMENTING = frozenset({"document", "record", "register", "describe", "label", "annotate", "tag"})
NEGLECTED = frozenset({"orphaned", "orphan", "unused", "untagged", "unowned", "idle", "stale", "abandoned", "forgotten",
                       "dangling", "unattached", "dormant", "inactive", "zombie"})
CLOUD_ASSETS = frozenset({"instances", "volumes", "disks", "snapshots", "ips", "addresses", "clusters"})
"""Besides ``asset_nouns``, what a census of neglected things counts (orphaned EC2 instances, unattached volumes)."""
RECORDED_ASSETS = frozenset({"datasets", "devices", "cameras", "encoders", "printers", "switches", "routers", "laptops",
                             "sensors", "gateways", "automations", "zaps", "phones", "tablets", "rigs", "racks"})
"""Besides ``asset_nouns``, data, devices and automations that documenting records, as plurals only: "Document the
datasets in the lake", "Document the cameras ... used for the live events" (one "router" may be a program's)."""
COMPLIANCE_RECORDS = frozenset({"evidence", "risk register", "risk registers", "risk assessment", "risk assessments",
                                "questionnaire", "questionnaires", "risk treatment plan", "statement of applicability"})
"""What a security or compliance programme keeps: collecting or updating it is security's work."""
DEVICES = frozenset({"laptop", "laptops", "macbook", "macbooks", "macs", "chromebook", "chromebooks", "thinkpad",
                     "thinkpads", "phone", "phones", "iphone", "iphones", "smartphone", "smartphones", "tablet",
                     "tablets", "ipad", "ipads", "yubikey", "yubikeys", "headset", "headsets", "workstation",
                     "workstations", "device", "devices"})
"""Devices issued to people: an asset whatever agent or profile it carries."""
DEVICE_LIFECYCLE = frozenset({"issue", "ship", "enroll", "enrol", "assign", "reassign", "allocate", "return", "recover",
                              "collect", "retrieve", "reclaim", "retire", "dispose", "recycle", "replace", "swap", "lend",
                              "loan"})
"""What is done to a device over its life, from its issue to its disposal: keeping track of an asset. Not buying it
("Order 12 desk phones", "Buy 30 tablets": a purchase, people's work the planner checks by its receipt), nor "provision"
(cicd's lead verb: "Provision 5 new laptops with the standard image" sets machines up, operations' work)."""
DEVICE_STAGES = frozenset({"new", "replacement", "spare", "loaner", "enrollment", "enrolment", "return", "returns",
                           "refresh", "handover", "collection", "pickup", "shipment", "assignment", "retirement",
                           "disposal", "recovery", "swap"})
"""A verbless head's words for the same ("New laptop + MDM enrollment", "Laptop return for ...")."""
DEVICE_MODELS = frozenset({"pro", "air", "max", "mini", "plus", "ultra", "m1", "m2", "m3", "m4", "5c", "5"})
ASSET_WORDS = frozenset({"asset", "assets", "hardware", "device", "devices"})
REGISTER_NOUNS = frozenset({"sheet", "spreadsheet", "list", "tracker", "database", "table"})
"""The asset sheet, the hardware tracker: a register of assets."""
KEEPING = frozenset({"clean", "tidy", "reconcile", "dedupe", "deduplicate"})
"""Verbs that keep a register in order ("Clean up the asset sheet"): recording what exists."""
CENSUS_PLACES = frozenset({"catalog", "catalogue", "inventory", "cmdb", "portfolio", "register"})
CARRYING = frozenset({"import", "export", "copy", "sync", "load", "pull", "snapshot", "upload", "feed"})
"""Verbs that carry data somewhere: into the catalog (``Snapshot the Helm release versions into the inventory``)
they record what exists."""
DETERMINERS = re.compile(r"\s+(?:the|a|an|our|all|every|each|its|their|this|these|those|v?\d)", re.IGNORECASE)
_FAILURE_RE = re.compile(
    r"\b(?:crash(?:es|ed|ing)?|breaks|broke|broken|fails|failing|failed|hangs|hanging|freezes|frozen|throws|"
    r"(?<=[a-z]\s)(?:break|fail|hang|crash|freeze|lose)|"
    r"exits\s+(?:with\s+)?(?:\d+|non-zero|an?\s+error|early)|errors\s+out|times\s+out|timing\s+out|"
    r"returns\s+(?:an?\s+|the\s+)?(?:\d{3}|error|empty|wrong|null|nothing|stale|blank|duplicate)|"
    r"(?:is|are)\s+(?:slow|broken|wrong|missing|empty|blank|stuck|off\s+by|cut\s+off|misaligned|garbled|duplicated)|"
    r"does\s+nothing|do\s+nothing|(?:does\s+not|doesn't|do\s+not|don't|won't|can't|cannot|no\s+longer)\s+(?!expire|require|check|validate|"
    r"verify|escape|sanitize)\w+|never\s+(?!expire|time|rotate|log|check)\w+|shows\s+(?:the\s+)?wrong|flickers|"
    # what a report or a screen says, a value that cannot be right ("Cycle count report shows negative inventory",
    # "The dashboard reports duplicate orders"): a defect, not a listing asked for
    r"(?:shows|reports|displays|says|lists|counts)\s+(?:a\s+|an\s+)?(?:negative|incorrect|duplicated?|duplicates|"
    r"doubled|nan|null|undefined|impossible|mismatched)\b|"
    r"overflows|loses|drops|ignores|skips|duplicates|misses|(?:is|are|stays?)\s+(?:greyed|grayed)\s+out|spins\s+forever|"
    r"takes?\s+\d+\s*(?:s|secs?|seconds?|mins?|minutes?)\s+to\s+(?:load|open|render|respond|save|appear)|"
    r"(?:shows?|is|gets?)\s+(?:an?\s+)?(?:white|blank)\s+(?:screen|page)|"
    r"too\s+(?:slow|long)|(?:in|at)\s+the\s+wrong\s+(?:place|position|order|spot)|stuck|race(?:\s+condition)?|deadlock(?:s|ed)?|infinite\s+loop|loops\s+forever|(?:login|redirect|crash|boot|restart|reload)\s+loops?|keeps\s+\w+ing|"
    r"logs?\s+(?:people|users|everyone|customers|me|us|them)\s+out|(?:gets?|got|getting)\s+logged\s+out)\b",
    re.IGNORECASE)
"""A failure report (``Inventory page crashes``, ``X exits 1 on warnings``): a defect to fix."""
_MISSING_RE = re.compile(r"\b(?:is|are)\s+missing\b", re.IGNORECASE)
_THROWN_RE = re.compile(r"\b[a-z]\w+(?:exception|error)\b|\b(?:segfault|segmentation fault|panic|traceback|stack trace)\b",
                        re.IGNORECASE)
"""A failure named by what the program threw (``NullPointerException in PaymentService.refund``): the code's."""
VERSIONING = frozenset({"bump", "upgrade", "downgrade"})
_TO_VERSION_RE = re.compile(r"\bto\s+v?\d", re.IGNORECASE)
_SHARE_RE = re.compile(r"\b(?:for|to|at)\s+\d{1,3}\s?%\s+of\s+(?:[\w-]+\s+){0,3}?(?:users|customers|accounts|tenants|"
                       r"traffic|requests|sessions|devices|production|the\s+fleet)\b", re.IGNORECASE)
"""A share of the users or of the traffic a change reaches ("for 100% of EU users", "to 5% of traffic")."""
_CERT_EXPIRY_RE = re.compile(r"^\s*(?:[^\s.!?]+\s+){0,3}?(?:certs?|certificates?)\b(?:\s+[^\s.!?]+){0,5}?\s+"
                             r"(?:(?:is|are|will)\s+)?(?:expires?|expired|expiring|runs?\s+out|ran\s+out|lapses?|"
                             r"needs?\s+(?:renewing|renewal|to\s+be\s+renewed|a\s+renewal))\b",
                             re.IGNORECASE)
"""A title whose subject is a certificate that expires, whatever names it in between ("cert for api.example.com
expires friday"): renewing it (not "Add a certificate expiry column", not "Warn users when their certificate ...")."""
_PRESENTED_CERT_RE = re.compile(r"\b(?:client|m-?tls|saml|idp|sso|federation|token[- ]signing|jwt[- ]signing|s/?mime)\b"
                                r"(?:\s+[\w-]+){0,2}?\s+(?:certs?|certificates?)\b", re.IGNORECASE)
"""A certificate we present to prove who we are (an mTLS client certificate, an IdP's SAML signing certificate): a
credential, security's; not one a server serves (a load balancer's, an ingress's) nor a build's code signing one."""
_COMPILE_ERROR_RE = re.compile(
    r"\b(?:cannot\s+find\s+(?:module|symbol|name|package)|module\s+not\s+found|unresolved\s+(?:import|reference)|"
    r"undefined\s+reference|undefined:\s|syntax\s+error|does\s+not\s+exist\s+on\s+type|is\s+not\s+assignable\s+to|"
    r"TS\d{4}|E\d{4}\s+mismatched|no\s+matching\s+function|implicitly\s+has\s+an?\s+'?any)", re.IGNORECASE)
"""A compiler's or a bundler's message about the code (``Cannot find module './utils'``, ``TS2339``): a build
that fails on one fails in the code, the code's to fix."""
_EXCEPTION_RE = re.compile(rf"{_THROWN_RE.pattern}|\b(?:OOMKilled|out of memory)\b", re.IGNORECASE)
_FAILED_LOGIN_RE = re.compile(r"\bfailed\s+(?:logins?|log-?ins?|sign-?ins?|login\s+attempts|authentications?|"
                              r"password\s+attempts)\b")
"""Failed logins are what an attacker leaves (security's words), not a program failing."""
_OUTAGE_RE = re.compile(r"\b(?:is|are|was|were|went|been)\s+(?:still\s+|completely\s+)?(?:down|unreachable)"
                        r"(?![\w-])(?!\s+to\b)")
"""An outage: a running system that is down (operations', cicd's), not a number that goes down ("down to 97%"); an app
"offline" is often the app's own state (its offline mode), not an outage."""
_DEFECT_RE = re.compile(
    r"\b(?:vulnerab\w*|injection|xss|csrf|traversal|(?<!memory )leak\w*|expos(?:es|ed|ing)|bypass\w*|unauthenticated|"
    r"hard-?coded|plaintext|cve-?\S*|exploit\w*|open redirect|ssrf|rce|idor|clickjacking|privilege escalation|"
    r"(?:stack traces?|tracebacks?|env(?:ironment)? variables|internal paths|secrets?|tokens?|passwords?)\s+to\s+"
    r"(?:clients|users|anyone|the public|the browser|unauthenticated users)|"
    r"(?:without|no|missing)\s+(?:an?\s+)?(?:auth\w*|login|access control|permission checks?|authorization checks?|"
    r"csrf \w+|tokens?|credentials|api keys?|passwords?)|someone else'?s|other people'?s|"
    # a security property left unchecked ("does not verify signatures", "without checking the HMAC signature"): the
    # failure reading leaves these verbs out, they are the defect's
    r"(?:does\s+not|doesn't|do\s+not|don't|never|without)\s+(?:verify|verifying|check|checking|validate|validating)\s+"
    r"(?:the\s+|its\s+|their\s+|an?\s+)?(?:[\w-]+\s+)?(?:signatures?|hmac|jwts?|certificates?|certs?|csrf\s+tokens?)|"
    r"another\s+(?:user|customer|company|tenant|client|account|organi[sz]ation|team|member|patient|person|student)'?s|"
    r"(?:of\s+)?other\s+(?:users|tenants|customers|accounts|organi[sz]ations|companies|clients|teams|members|patients)"
    r"(?:'?s?\s+\w+|\b)|insecure\w*|prototype pollution|redos|"
    r"zip slip|mass assignment|subdomain takeover|account takeover|default (?:[\w-]+ )?(?:password|credentials)|"
    r"default admin|(?:sessions?|tokens?|links?|cookies?)\s+(?:does\s+not|doesn't|do\s+not|don't|never|won't)\s+expire|"
    r"(?:is|are)\s+(?:world-readable|public\b(?!\s+(?:api|holiday|page|site|website|docs|roadmap|beta|release)))|"
    r"anyone\s+can\s+(?:download|read|see|access|view|edit|delete|list)|"
    r"(?:could|can)\s+(?:be\s+)?guess(?:ed)?|guessable|predictable\s+(?:tokens?|links?|ids?|urls?)|"
    # a secret shown or kept where it should not be, said as a state ("The error page shows the database connection
    # string", "Our .env is in the public repo"); not a screen that asks for one (the password field, a reset form)
    r"(?<!n't\s)(?<!not\s)(?:(?:shows?|showing|contains?|containing|includes?|including|prints?|printing|displays?|"
    r"displaying|lists?|logs|logging|reveals?|revealing)|(?:traces?|errors?|responses?|logs?)\s+with)\s+"
    r"(?:the\s+|an?\s+|our\s+|its\s+|their\s+|all\s+)?"
    r"(?:(?!(?:when|if|for|on|in|after|before|unless|while|and|or|to|of|no|not|instead)\b)[\w'’-]+\s+){0,2}?"
    r"(?:connection\s+strings?|passwords?(?:\s+hash(?:es)?)?|private\s+keys?|secret\s+keys?|credentials|"
    r"(?:credit\s+)?card\s+numbers?|system\s+prompt)\b"
    r"(?!\s+(?:field|reset|strength|rules?|policy|form|input|change|meter|manager|page|dialog|screen|button|link|hint|"
    r"requirements?|prompt))|"
    r"(?:is|are)\s+(?:now\s+|still\s+)?(?:in|on)\s+(?:the\s+|a\s+|our\s+)?public\s+(?:[\w-]+\s+)?"
    r"(?:repo|repository|bucket|gist|channel|wiki)s?|"
    # what operations tools name, in a state that is a security defect: the tool names where, the state what
    # ("Pods in the payments namespace run as privileged", "Terraform state bucket is readable by every account",
    # "ArgoCD UI is reachable from the internet", "MQTT broker accepts anonymous connections")
    r"(?:runs?|running)\s+(?:(?:every|each|all|the|its|our)\s+)?(?:[\w-]+\s+)?as\s+(?:privileged|root)|privileged\s*:\s*true|"
    # who may reach or read what, said as a state with no security word ("Workers can read each other's handoff
    # folders", "The ANALYST role can read the raw PII schema", "Tailscale ACLs let every device reach the production
    # database", "The reporting key has write permissions", "The Lambda role has s3:* on all buckets", "The tenant
    # allows sign-ups from anyone", "The 'Infra' vault is shared with 40 people", "The key is committed in the repo")
    r"(?:can|could|may)\s+(?:read|write|see|access|modify|delete|change)\s+each\s+other'?s|"
    r"\broles?\s+(?:can|could|may)\s+(?:read|write|access|see|assume|delete|modify)|"
    r"(?:lets?|allows?)\s+(?:every|any|all)\w*\s+(?:[\w-]+\s+){0,2}?(?:reach|access|read|see|write)|"
    r"(?:has|have)\s+(?:full\s+)?(?:write|admin|owner|delete|root|full)\s+(?:permissions?|access|rights|privileges)|"
    r"(?:has|have)\s+[a-z0-9-]+:\*\s+on|"
    r"(?:sign-?ups?|registrations?|logins?)\s+from\s+anyone|"
    r"shared\s+with\s+(?:\d+|everyone|the\s+whole|all\s+(?:staff|employees|users))|"
    r"(?:keys?|tokens?|secrets?|passwords?|credentials)\s+(?:is|are|was|were|got|has\s+been|have\s+been)\s+committed|"
    # data shared by a public link, a guest network that reaches inside ("Sales shares customer lists through public
    # Google Drive links", "Guest Wi-Fi can reach the office printers")
    r"(?:through|via|with|by|as)\s+public\s+(?:[\w-]+\s+){0,2}links?|anyone\s+with\s+the\s+link|shared\s+publicly|"
    r"guest\s+(?:wi-?fi|wlan|network|vlan)\s+(?:can|could)\s+(?:reach|access|see)|"
    r"(?:readable|writable|writeable|accessible|reachable)\s+(?:by|to|from)\s+(?:every\w*|any(?:one|body)\b|"
    r"the\s+(?:internet|world|public)\b)|open\s+to\s+(?:0\.0\.0\.0/0|the\s+(?:internet|world)\b|everyone\b|anyone\b)|"
    r"accepts?\s+anonymous|anonymous\s+(?:connections?|logins?|binds?|uploads?)|"
    r"(?:signed\s+)?urls?(?:\s+(?:for|of|to|from|in|on)\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+)?)?\s+(?:does\s+not|doesn't|do\s+not|don't|never)\s+"
    r"expire|"
    # a secret shipped inside what users download ("The Datadog API key is in the public mobile app bundle")
    r"(?:keys?|tokens?|secrets?|passwords?|credentials)\s+(?:is|are)\s+(?:now\s+|still\s+)?(?:in|inside)\s+"
    r"(?:the\s+|our\s+)?(?:[\w-]+\s+){0,3}(?:bundle|apk|ipa|binary|binaries|javascript|frontend|firmware\s+image))\b",
    re.IGNORECASE)
"""Security defects: a failure that is one of these is the security master's (R1)."""
_BUMP_RE = re.compile(r"\s*(?:bump|bumps|update\s+dependency)\s+[\w@/.-]+\s+(?:(?:from\s+\S+\s+)?to\s+v?\d"
                      r"|v?\d[\w.]*\s*(?:->|→)\s*v?\d)", re.IGNORECASE)
"""A library bump as Dependabot and Renovate title one ("Bump axios from 1.6.0 to 1.6.8", "Update dependency x to v2"),
or a person with an arrow ("Bump dbt-core 1.7.4 -> 1.7.11");
not a person's "Upgrade Postgres to 16", a server's upgrade as often as a library's."""
_ADVISORY_RE = re.compile(r"\b(?:cve-?\d*|ghsa|security|vulnerab\w*|advisory|advisories|exploit\w*|audit)\b",
                          re.IGNORECASE)
_RELEASE_FIELD_RE = re.compile(r"\s*release\s*(?::\s*|\s+(?=[\w.-]+@))[\w./-]*@?v?\d[\w.+-]*[.,;]?\s*$", re.IGNORECASE)
"""A report's field naming the release it came from (Sentry's "Release web@4.18.0.", "Release: 2.3.1"): no release
asked for."""
_SECURITY_RUN_RE = re.compile(r"\b(?:scan\w*|audit\w*|pen\s*-?tests?|pentests?|fuzz\w*|vulnerab\w*|dast|sast)\b")
"""What a security check runs: a scan run on every push stays security's, a deletion script run nightly does not."""
_TRIGGER_RE = re.compile(r"\b(?:after|before|on|for)\s+(?:each|every|all)\s+(?:deploy\w*|release\w*|merge\w*|push\w*|"
                         r"commits?|builds?|prs?|pull\s+requests?|tags?)\b|\b(?:nightly|hourly|daily|weekly|monthly)\b|"
                         r"\bevery\s+(?:night|day|week|month|hour|morning|evening|(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
                         r"\d+\s+(?:minutes?|hours?|days?))\b", re.IGNORECASE)
"""What makes running a thing a pipeline's step or a scheduled job: an event it runs on (after each deploy, on every
merge) or a schedule (nightly, every Sunday)."""
PIPELINE_PARTS = frozenset({"step", "steps", "stage", "stages", "lane", "lanes", "config", "configuration"})
"""Parts of a pipeline named with it ("the pipeline step", "the CI stage", "the release lane")."""
SERVICE_TAILS = "svc|service|api|app|server|worker|daemon"
"""How a program's name ends (``matchmaker-svc``): code in it is the program's."""
RUNNING = frozenset({"run", "rerun", "re-run", "execute", "trigger", "kick"})
"""Running a thing (the migration job, the smoke tests) operates it: its words do not make the clause development's."""
WATCHING = frozenset({"watch", "monitor", "observe"})
"""Watching a running thing (the error dashboards, the crash rate) observes it: its words do not make the clause
development's."""
SCHEDULING = RUNNING | {"schedule", "reschedule"}
EVERYDAY_VERBS = frozenset({"push", "tag", "scale", "restart", "reboot",
                            "block", "lock", "hash", "mask", "publish", "snapshot", "restrict",
                            "backup", "record", "count", "list", "tally"})
"""Lead verbs that open a title as a master's work but are everyday verbs inside a description ("push the
branch", "list the errors", "publish the event"): they do not make a clause that master's."""
_CONSTRAINT_RE = re.compile(r"(?:no|without|never|nothing|do not|don't|must not|mustn't)\s", re.IGNORECASE)
_QUANTIFIED_RE = re.compile(r"\s+(?:every|all|each|which)\b")
"""After an everyday lead verb, a quantifier makes it that master's work again: "list every repository"."""
SUBJECTS = frozenset({"i", "we", "you", "they", "it", "someone", "somebody", "anyone", "nobody", "users", "customers",
                      "the", "a", "an", "our", "my", "this", "that", "there"})
"""Words that open a sentence with its subject (``I got a reset link ...``), not a noun-phrase title."""
TOGGLING = frozenset({"enable", "disable", "turn", "switch", "enforce"})
RUNTIME_PLACES = frozenset({"cluster", "clusters", "load balancer", "ingress", "namespace", "node pool", "vm", "vms",
                            "server", "servers", "host", "hosts", "gateway"})
"""Where a running system takes its settings: switching a security control there (``Disable TLS 1.0 on the load
balancer``) hardens it, unlike a step added to a pipeline or a workflow (the build's own definition)."""
SETTING_VERBS = frozenset({"change", "set", "switch", "increase", "reduce", "raise", "lower", "disable", "shorten",
                           "lengthen", "turn"})
"""Verbs that change a setting ("Change the trial length to 14 days"): no master's word, but a request all the same."""
NOTING_VERBS = ("flag", "mark", "note", "highlight", "summarise", "summarize", "compile", "produce", "export", "record",
                "write", "send", "share", "file")
"""What a read-only job does with what it found: steps of the job, not separate work."""
READ_ONLY_VERBS = ("scan", "audit", "list", "inventory", "catalog", "catalogue", "review", "check", "report",
                   "count", "find", "discover", "enumerate", "survey", "assess", "verify", "map", "document")


@dataclass(frozen=True)
class Route:
    """Where a piece of work goes, and how sure we are."""

    domain: str
    master: str
    confidence: float
    reasons: list[str]
    scores: dict[str, float] = field(default_factory=dict)
    strong: bool = False
    """True when a keyword (not only hints) or the task's type named the domain."""
    decided_by: str | None = None
    """The head rule that named the work (``software``: a thing development makes), if one did."""
    described: bool = False
    """True when that head is the description's first request, the title naming no work ("Orchestrate the PCI prep")."""
    words: dict[str, list[str]] = field(default_factory=dict)
    """Each scoring domain's routing words found in the task (``explain`` shows them beside the scores)."""


_ROUTERS: weakref.WeakSet[Router] = weakref.WeakSet()
"""Every router alive, so that :func:`~orchestrator.textsignals.forget_texts` forgets their rules' readings too."""


def _forget_rules() -> None:
    for router in list(_ROUTERS):
        router._ruled.cache_clear()


forgotten_with_texts(_forget_rules)


@dataclass(frozen=True)
class _Ruled:
    """What the rules read of a text (:meth:`Router._read_rules`): kept, so nothing in it may change."""

    title: str
    description: str
    """Both tidied."""
    reasons: tuple[str, ...]
    totals: tuple[tuple[str, float], ...]
    """Every domain's total, in the order the rules scored them (a route's ``scores``)."""
    ranked: tuple[tuple[str, float], ...]
    """The same, best first."""
    hinted: tuple[str, ...]
    ruled: bool
    """Whether a rule read what the work is (a head rule, a lead verb, a place), not only its words."""
    decided_by: str | None
    described: bool
    best_strong: bool
    """A keyword, not only hints, named the best domain."""
    best_words: tuple[str, ...]
    words: tuple[tuple[str, tuple[str, ...]], ...]
    """Each scoring domain's routing words (a route's ``words``, which ``explain`` shows beside the scores)."""


@dataclass
class _Score:
    total: float = 0.0
    strong: int = 0
    words: list[str] = field(default_factory=list)


class Router:
    """Compiled routing words and thresholds: which master a piece of work goes to. Reuse one
    instance for every task (it is the base of :class:`~orchestrator.classify.Classifier`)."""

    def __init__(self, config: ClassifierConfig, learned: LearnedModel | Literal["builtin"] | None = "builtin") -> None:
        """``learned``: the model that backs the rules up (``"builtin"``: trained from the shipped examples on
        first use; None: the rules and the queue's history alone, as ``classifier.learned_model: false``)."""
        self.config = config
        self._learned = learned if config.learned_model else None
        self._ruled: functools._lru_cache_wrapper[_Ruled] = functools.lru_cache(maxsize=REMEMBERED)(self._read_rules)
        _ROUTERS.add(self)
        # (word, its plain text, its pattern, weight): the plain text is a cheap first test
        self._patterns = {
            name: [(word, word.lower(), keyword_pattern(word), weight)
                   for words, weight in ((d.keywords, KEYWORD_WEIGHT), (d.hints, 1.0)) for word in words]
            for name, d in config.domains.items()
        }
        self._flat = [(name, word, plain, pattern, weight) for name, patterns in self._patterns.items()
                      for word, plain, pattern, weight in patterns]
        # each routing word by the first three letters of its text: the words a text holds are found
        # from the text's own trigrams instead of testing all of them (a hot spot of every pickup)
        self._by_trigram: dict[str, list[int]] = {}
        self._short = [i for i, entry in enumerate(self._flat) if len(entry[2]) < 3]
        for i, entry in enumerate(self._flat):
            if len(entry[2]) >= 3:
                self._by_trigram.setdefault(entry[2][:3], []).append(i)
        # each domain's keywords (not hints) the same way, for _has_keyword (asked of a head or a place, several
        # times a task, over some 200 words a domain): a keyword's text in a text has its first three letters there
        self._keywords: dict[str, tuple[dict[str, list[tuple[str, re.Pattern[str]]]], list[tuple[str, re.Pattern[str]]]]] = {}
        for name, patterns in self._patterns.items():
            by_trigram: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
            short: list[tuple[str, re.Pattern[str]]] = []
            for _, plain, pattern, weight in patterns:
                if weight > 1:
                    (by_trigram.setdefault(plain[:3], []) if len(plain) >= 3 else short).append((plain, pattern))
            self._keywords[name] = by_trigram, short
        self._type_to_domain = {t.lower(): name for name, d in config.domains.items() for t in d.types}
        self._keyword_names = {word.lower() for d in config.domains.values() for word in d.keywords if " " in word}
        self._software = {noun.lower() for noun in config.software_nouns}
        self._making = {verb.lower() for verb in config.making_verbs}
        self._other_domain_memo: dict[tuple[str, bool], bool] = {}
        self._involved_memo: dict[str, tuple[str, ...]] = {}
        self._not_development = frozenset(name for name, d in config.domains.items() if d.master != "development")
        self._vague_words = {verb.lower() for verb in config.vague_verbs}
        self._display = tuple(verb.lower() for verb in config.display_verbs)
        self._deploy_objects = {word.lower() for word in config.deploy_objects}
        self._assets = {word.lower() for word in config.asset_nouns}
        self._lead_verbs = {verb.lower(): name for name, d in config.domains.items() for verb in d.lead_verbs}
        self._lead_phrases = [verb for verb in self._lead_verbs if " " in verb]
        self._action_verbs = {verb.lower() for verb in config.action_verbs if " " not in verb}
        self._verbs = self._action_verbs | self._making | set(self._display) | set(self._lead_verbs) | self._vague_words \
            | set(REVIEWING) | set(ENUMERATING) | FINDING | DOCUMENTING | SETTING_VERBS
        """Words that open a task as its verb: a title opening with none of them is a noun phrase."""
        # keywords that can open a text, by their own text: the first word is looked up by its
        # prefixes instead of trying every pattern (the hot spot of a pickup's classification)
        self._leads: dict[str, list[tuple[str, re.Pattern[str], float]]] = {}
        for name, patterns in self._patterns.items():
            for _, plain, pattern, weight in patterns:
                if weight > 1 and " " not in plain:
                    self._leads.setdefault(plain, []).append((name, pattern, LEAD_VERB_BONUS))
        # a domain's lead verb opening a clause names its work there as a keyword would ("... and ship it
        # as 2.3.1"): it adds what makes its hint a keyword
        for verb, name in self._lead_verbs.items():
            if " " not in verb and all(other != name for other, *_ in self._leads.get(verb, ())):
                self._leads.setdefault(verb, []).append(
                    (name, re.compile(rf"{re.escape(verb)}(?![\w-])"), KEYWORD_WEIGHT - 1.0))
        self._typos = TypoFixer([*(w for d in config.domains.values() for w in [*d.keywords, *d.hints, *d.lead_verbs]),
                                 *self._verbs, *self._software, *self._deploy_objects, *self._assets,
                                 *(q.split()[0] for q in QUESTIONS), *CENSUS_NOUNS, *TABLE_NOUNS])
        self._clause_leads = {word: [entry for entry in entries if word not in EVERYDAY_VERBS or entry[2] == LEAD_VERB_BONUS]
                              for word, entries in self._leads.items()}
        self._longest_lead = max(map(len, self._leads), default=0)
        """No prefix longer than this is a lead: a first "word" of 20,000 letters costs no 20,000 lookups."""
        """The leads without the everyday verbs' lead-verb entries: what opens a clause inside a description."""

    @property
    def learned(self) -> LearnedModel | None:
        """The backing model, trained when first asked for (most decisions never need it)."""
        if self._learned == "builtin":
            self._learned = builtin_model()
        return self._learned

    def domain_of_type(self, value: str | None) -> str | None:
        """``"security-fix"`` -> ``security``; unknown types are read by their words."""
        if not value:
            return None
        key = value.strip().lower()
        if key in self._type_to_domain:
            return self._type_to_domain[key]
        scores = self._score_text(re.sub(r"[-_]", " ", key))
        best = max(scores.items(), key=lambda item: item[1].total, default=None)
        return best[0] if best and best[1].total > 0 else None

    def _candidates(self, text: str) -> list[tuple[str, str, str, re.Pattern[str], float]]:
        """The routing words whose text occurs in ``text`` (a superset of those any part of it holds):
        scoring the clauses of a long text then tries a few patterns, not every one per clause."""
        return self._present(text.lower())

    def _present(self, lowered: str) -> list[tuple[str, str, str, re.Pattern[str], float]]:
        """The routing words whose text occurs in ``lowered``, in their configured order."""
        index = self._by_trigram
        found = {i for gram in {lowered[at:at + 3] for at in range(len(lowered) - 2)} if gram in index
                 for i in index[gram]}
        found.update(self._short)
        flat = self._flat
        return [flat[i] for i in sorted(found) if flat[i][2] in lowered]

    def _score_text(self, text: str, weight: float = 1.0, into: dict[str, _Score] | None = None,
                    candidates: list[tuple[str, str, str, re.Pattern[str], float]] | None = None,
                    clause: bool = False) -> dict[str, _Score]:
        scores = into if into is not None else {name: _Score() for name in self._patterns}
        bare, names = split_identifiers(text)
        lowered = in_its_sense(strip_names(bare, self._keyword_names.__contains__)).lower()
        if names and (path := operations_path(names)) and "cicd" in scores and path not in scores["cicd"].words:
            scores["cicd"].total += KEYWORD_WEIGHT * weight  # where the change is made: .github/workflows/release.yml
            scores["cicd"].strong += 1
            scores["cicd"].words.append(path)
        lead = None if not clause and _NOUN_LEAD_RE.match(lowered) else _LEAD_RE.match(lowered)
        if lead:
            first = lead.group(1)
            leading = {name: bonus for end in range(1, min(len(first), self._longest_lead) + 1)
                       for name, p, bonus in (self._clause_leads if clause and not _QUANTIFIED_RE.match(
                           lowered, lead.end()) else self._leads).get(first[:end], ()) if p.match(first)}
            for name, bonus in leading.items():
                scores[name].total += bonus * weight
        # every routing word found, the longest first: "sql injection" is security, and "sql" inside it
        # is not also development; "repositories" is counted once, not again as "repos"
        found = [(match.end() - match.start(), match.start(), match.end(), name, word, word_weight)
                 for name, word, plain, pattern, word_weight in (self._present(lowered) if candidates is None else candidates)
                 if plain in lowered and word not in scores[name].words and (match := pattern.search(lowered))
                 and not (word == "build" and (_BUILD_MAKES_RE.match(lowered, match.start())
                                               or _BUILD_NAME_RE.match(lowered, match.start())))
                 and not (word == "report" and (_REPORTS_SAYS_RE.match(lowered, match.start())
                                                or self._reports_stated(lowered, match.start())))
                 and not (word == "which" and _relative_which(lowered, match.start()))]
        taken: list[tuple[int, int]] = []
        kept = []
        for entry in sorted(found, key=lambda f: (-f[0], f[1])):
            start, end = entry[1], entry[2]
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            kept.append(entry)
        if clause and any(entry[4].lower() in MODIFYING or entry[4].lower() in MODIFIED for entry in kept):
            # R2 in a clause: a program's name or "manual" before another domain's noun names no second system or
            # kind of work, it says which one or how ("the public API load balancer" is a load balancer, "the frontend
            # pipeline" a pipeline, "manual deploys" deploys); not any keyword: a Grafana dashboard is monitoring's
            # and a cache is what it caches or where it sits, named before it: "the CDN cache", "the build cache"
            heads = {start: name for _, start, _, name, _, _ in kept}
            tails = {end + 1: name for _, _, end, name, _, _ in kept}
            kept = [entry for entry in kept if (entry[4].lower() not in MODIFYING
                    or heads.get(_compound_next(lowered, entry[2]) or -1) in (None, entry[3])) and (
                    entry[4].lower() not in MODIFIED or tails.get(entry[1]) in (None, entry[3]))]
        for _, _, _, name, word, word_weight in kept:
            score = scores[name]
            score.total += word_weight * weight
            score.strong += word_weight > 1
            score.words.append(word)
        return scores

    def _reports_stated(self, lowered: str, at: int) -> bool:
        """Whether the "report" at ``at`` is the verb of a statement that opens the text ("Sensor firmware reports
        temperature in Fahrenheit"), not a request's object ("Archive reports older than a year")."""
        stated = _REPORTS_STATED_RE.match(lowered)
        return stated is not None and stated.start("verb") == at and _first_word(lowered) not in self._verbs

    def _score_head(self, title: str, scores: dict[str, _Score], reasons: list[str],
                    description: str = "") -> tuple[str, str] | None:
        """R1 and R2: the head of the first clause decides. Its routing words count ``HEAD_WEIGHT``
        times more; a software noun at its end, made by a verb that is no other master's work, is
        development; a failure of software is development; what a screen shows is development; the
        place the change is made (a CI job, a page, the catalog) leans to its master.
        Returns what decided (``software``, ``failure``, ``census`` ...) and for which domain, or None
        when the words did."""
        named = in_its_sense(strip_names(strip_identifiers(title), self._keyword_names.__contains__))
        head = head_phrase(named)
        lowered = head.lower()
        words = re.findall(r"[a-z][a-z0-9_/+-]*", lowered)  # node_modules is a name, not modules
        if not words:
            return None
        label, colon, labelled = title.partition(":")
        label_words = re.findall(r"[a-z][a-z0-9-]*", label.lower())
        if colon and len(label.split()) <= 3 and not (SCANNERS | THREATS).isdisjoint(label_words) \
                and "security" in scores and _first_word(labelled) not in self._verbs:
            # "Falco: Terminal shell in container", "ZAP baseline: missing CSP header on app.acme.io": what a security
            # scanner or detector reports is a finding, whatever it names (a container, a header); "Trivy: add the
            # image scan to the release pipeline" asks for work, read as any title
            said = (f"a finding {label.strip()} reports" if not SCANNERS.isdisjoint(label_words)
                    else f"a reported threat ({label.strip()})")
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is {said}")
            return "finding", "security"
        if colon and len(label.split()) <= 3 and not (ACCESS_NOUNS | {"permission", "privilege"}).isdisjoint(label_words) \
                and not {"request", "requests", "grant"}.isdisjoint(label_words) and "security" in scores \
                and _first_word(labelled) not in self._verbs:
            # "Access request: customers_pii for Maria Lopez" names its kind of work before the colon, whatever the
            # grant then names (a schema, "masking on email"); "Access request page: add a filter" asks for work
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is an access request ({label.strip()})")
            return "access", "security"
        copula = next((i for i, word in enumerate(words[:7]) if word in COPULAS), 0)
        if words[0] in POSSESSIVES and copula > 2:  # "our api docker image is 2.3gb": the subject is what is worked on
            words = words[1:copula]
        verb, noun = words[0], words[-1]
        if words[:2] == ["make", "sure"]:
            verb = "ensure"  # make sure nobody can read other tenants' files: a check, not a thing made
        elif verb == "make" and len(words) > 2:
            noun = words[-2]  # make the deploy history table sortable: the table is what is made
        singular = noun[:-1] if noun.endswith("s") and noun[:-1] in self._software else noun
        place = place_phrase(named).lower()
        place_words = re.findall(r"[a-z][a-z0-9_-]*", place)
        place_noun = place_words[-1] if place_words else ""
        if " ".join(place_words[-2:]) in self._deploy_objects:
            place_noun = " ".join(place_words[-2:])  # the load balancer, the node pool
        elif len(place_words) > 1 and place_words[-2] in ASSET_WORDS and place_noun in REGISTER_NOUNS:
            place_noun = "register"  # the asset sheet, the hardware tracker: a register of assets
        alert = _ALERT_ON_STATE_RE.search(named)
        if alert and not _PRODUCT_MESSAGE_RE.search(named[: alert.start("to") + len(alert.group("to"))]) \
                and not _FAILURE_RE.search(named.lower()) and "cicd" in scores:
            # "Could we get an email when the website is down?": monitoring a running system (cicd's), not an
            # e-mail the product sends ("Email users when their export is ready")
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT, f"the work is an alert on a system's state ({head!r})")
            return "alerting", "cicd"
        if _BUMP_RE.match(title) and not _ADVISORY_RE.search(f"{title}\n{description}") and "development" in scores and not (
                operations_path(split_identifiers(title)[1]) or any(
                    self._other_domain(word) for word in re.findall(r"[a-z][a-z0-9_+-]*", named.lower()))):
            # "Bump requests from 2.31.0 to 2.32.0 in /api", "Update dependency react-router-dom to v6.22.3": a library
            # bump that names no advisory is the program's change, whoever opened it (Dependabot's boilerplate names
            # itself); a bump of an Action, a base image or a chart, or one for a CVE, is not
            # "Bump dbt-core", "Update dependency react-router-dom": what is bumped (the head lost its versions)
            bumped = re.match(r"\s*(?:bump|bumps|update\s+dependency)\s+[\w@/.-]+", title, re.IGNORECASE)
            bump = bumped.group().strip() if bumped else head
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT, f"the work is a library bump ({bump!r})")
            return "software", "development"
        wanted = _CAPABILITY_FOR_RE.match(named.strip())
        if wanted and self._lead_verbs.get(wanted.group("verb") or "", "development") == "development":
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT,
                         f"the work lets people do something in the product ({head!r})")
            return "capability", "development"  # what they do it to (the audit trail, their tokens) is not the work
        # another master's verb opens the work ("Roll back last night's CMS release; editors cannot save drafts",
        # "Roll out POS app 7.3.1", "Fuzz the PDF import for crashes"): what it works on is not software to make,
        # and a failure after it is the reason; a verb's word before a noun ("Deploy button does nothing") is a name
        opened = in_its_sense(after_label(title)).strip().lower()  # "Cloudflare WAF: block the IP range ..."
        phrase = next((phrase for phrase in self._lead_phrases if opened.startswith(f"{phrase} ")), "")
        first = _WORD_RE.match(opened)
        if not phrase and first and first.group() in UNAMBIGUOUS_LEADS and DETERMINERS.match(opened[first.end():]):
            phrase = first.group()
        phrased = self._lead_verbs.get(phrase, "development") != "development" and not _CODE_STATE_RE.search(lowered)
        question = lowered.startswith(QUESTIONS) or title.strip().lower().startswith(QUESTIONS) or bool(
            re.match(r"^(?:\w+\s+){1,2}(?:which|what|how many|who owns)\s", named.strip().lower())) or bool(
            _WANTS_TO_KNOW_RE.match(named.strip())) or (
            verb in FINDING and len(words) > 1 and words[1] in ("all", "every", "each", "any", "which"))
        # "Which hosts are missing from Datadog?": what is missing is what the census looks for, not a failure
        sought = (verb in FINDING or verb in ENUMERATING) and bool(DETERMINERS.match(f" {' '.join(words[1:2])}"))
        looked_for = (question or sought) and not _EXCEPTION_RE.search(named)  # not "Map pins are missing"
        said_failed = _FAILED_LOGIN_RE.sub(" ", _sought(named.lower()) if looked_for else named.lower())
        reported = _FAILURE_RE.search(said_failed) or (
            _outage(named.lower()))
        failed = None if phrased or not (reported or _EXCEPTION_RE.search(named)) else self._failure_of(
            named, description, said=title)
        request = _first_word(self._first_request(description)) if failed else ""
        changed = self._change_asked(description, named) if reported or failed or "flaky" in words else None
        if changed and changed != failed and changed in scores and not phrased:
            # "Sentry shows unsymbolicated iOS crashes" -- "Fix the pipeline step so every release build uploads its
            # dSYMs"; "UI test fails on CI" -- "Make it deterministic": the symptom says where it was seen, the change
            # asked says whose work it is
            self._decide(scores, reasons, changed, SOFTWARE_HEAD_WEIGHT, f"a failure reported; the change asked is "
                         f"{'in the pipeline' if changed == 'cicd' else 'in the program'}")
            return "change", changed
        if self._lead_verbs.get(request, "development") != "development" and self._lead_verbs[request] in scores:
            # "Batch jobs too slow at month end" -- "Can we scale it up to 8 workers?": the symptom is the title,
            # the work is what the description asks for
            domain = self._lead_verbs[request]
            self._decide(scores, reasons, domain, SOFTWARE_HEAD_WEIGHT, f"a failure reported, {request!r} asked for")
            return "request", domain
        if failed == "development":
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT, f"a failure of software ({title.strip()!r})")
            return "failure", "development"  # what fails (an inventory page, the secrets editor) is software
        if failed == "cicd":
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT,
                         f"a failure of a deploy or a pipeline ({title.strip()!r})")
            return "failure", "cicd"  # the API that fails after a deploy: the deploy is what failed
        # a verbless "Table of the Helm chart versions in each cluster": a census of what the "of" names
        tabled = len(words) == 1 and noun in CENSUS_NOUNS + TABLE_NOUNS and bool(
            _TABLE_OF_RE.match(named.partition(head.strip())[2]))
        # finding assets left in a state of neglect ("Identify orphaned EC2 instances", "Find idle VMs") counts them
        neglected = verb in FINDING and not NEGLECTED.isdisjoint(words[1:4]) and (
            noun in self._assets or noun in CLOUD_ASSETS)
        census = (verb in ENUMERATING or question or (len(words) > 1 and noun in CENSUS_NOUNS) or tabled or neglected) and not (
            reported)  # "Map pins in the wrong place" reports a failure, it maps nothing
        # what is recorded is assets wherever the head names them ("Document the repositories feeding the
        # reporting chain", "the SCADA server estate"), not only as its last word
        # whose it is ("the booking service's REST API") is no asset documented
        owners = set(_OWNER_RE.findall(lowered))
        # tagging or labelling cloud resources ("Tag all untagged EBS volumes with owner and cost-center") records whose
        # they are, as tagging buckets does: an asset's metadata, not a release tag
        recorded = verb in DOCUMENTING and (place_noun in CENSUS_PLACES or any(
            word not in owners and (word in self._assets or f"{word}s" in self._assets or word in RECORDED_ASSETS
                                    or word in CLOUD_ASSETS)
            for word in words[1:]))
        filed = place_noun in CENSUS_PLACES and verb in self._making | DOCUMENTING | CARRYING | {
            "move", "tag", "mark", "fill", "complete", "populate", "update", "correct", "put", "enter",
            "note"}  # fill in the owners in the catalog
        # keeping a register itself: "Clean up the asset sheet", "Reconcile the hardware tracker", "Dedupe the CMDB"
        kept = verb in KEEPING and len(words) > 1 and (noun in CENSUS_PLACES or (
            words[-2] in ASSET_WORDS and noun in REGISTER_NOUNS))
        filed = filed or kept
        if self._device_lifecycle(title, named) and "inventory" in scores:
            # "Recover the laptop and YubiKey from the leaver", "New laptop + MDM enrollment for the new hire": a device
            # issued, enrolled, recovered or retired is an asset kept track of, whatever agent or profile it carries
            # (its FileVault, CrowdStrike or Jamf are how it is set up, not the work)
            self._decide(scores, reasons, "inventory", SOFTWARE_HEAD_WEIGHT, f"the work is a device's life as an asset "
                         f"({head!r})")
            return "asset", "inventory"
        if not COMPLIANCE_RECORDS.isdisjoint({noun, " ".join(words[-2:]), " ".join(place_words[-2:])}) and (
                "security" in scores):
            # "Collect SOC 2 evidence that MFA is enforced", "Add the vendor to the risk register": what a security
            # programme keeps, not a census of what exists (an asset register is inventory's)
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is a security record ({head!r})")
            return "compliance", "security"
        if noun in ("report", "reports") and (words[0] == "new" or verb in self._making) and "development" in scores \
                and not reported and not self._lists_assets(title):
            # "New report for pharmacy: dispensing discrepancies by unit", "Build a weekly sales report for the store
            # managers": a report people asked to have built (a query, a schedule, a page), development's; a report of
            # what exists (repositories, dependencies, licences, spend by database) stays a census
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT, f"the work is a report to build ({head!r})")
            return "software", "development"
        if (census or recorded or filed) and "inventory" in scores:
            what = "finding out what exists" if census else "recording what exists"
            self._decide(scores, reasons, "inventory", ENUMERATION_WEIGHT, f"the work is {what} ({head!r})")
            return "census", "inventory"  # what is counted (runners, clusters, services) is not the kind of work
        if verb == "document" and len(words) > 1 and "docs" in scores:
            # "Document how to roll back a release": what is documented (a rollback, a deploy) is not the
            # kind of work; documenting is (recording what exists, above, is inventory's)
            self._decide(scores, reasons, "docs", SOFTWARE_HEAD_WEIGHT, f"the work is documentation ({head!r})")
            return "documentation", "docs"
        if verb in self._display or lowered.startswith(self._display):
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT, f"the work is what a screen shows ({head!r})")
            return "display", "development"  # what is shown (a scan date, a token budget) is not the kind of work
        if verb in TOGGLING | {"ramp", "flip"} and _SHARE_RE.search(named) and "cicd" in scores:
            # "Turn on the new-onboarding feature flag for 100% of EU users": a flag ramped to a share of its users is a
            # staged rollout, whatever the flag switches on
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT, f"the work is a staged rollout ({title.strip()!r})")
            return "rollout", "cicd"
        if _CERT_EXPIRY_RE.search(named) and _PRESENTED_CERT_RE.search(named) and "security" in scores:
            # "DHL API client certificate expires on 12 December", "IdP SAML signing certificate expires 14 Dec": a
            # certificate we present to prove who we are is a credential, renewed as one; every such task over dev and
            # the tuning sets is labelled security (a served one, on a load balancer or an ingress, stays cicd's)
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT,
                         f"a credential certificate expiring: its renewal ({head!r})")
            return "renewal", "security"
        if _CERT_EXPIRY_RE.search(named) and "cicd" in scores:  # "cert for api.example.com expires friday!!"
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT, f"a certificate expiring: its renewal ({head!r})")
            return "renewal", "cicd"
        defect = _defect(named)
        if defect and verb not in REPAIRING and not self._has_keyword(verb, "security") \
                and self._is_deploy_object(noun, lowered) and not _defect(
                _REASON_RE.sub(" ", named)):
            # "Rebuild the edi-converter image on a new base image (openssl CVE)": a defect in parentheses or after
            # "because", "due to", "for" says why; the work is the image's rebuild (rule 1: a purpose breaks ties); not
            # what a security verb looks for ("Scan the images for known CVEs")
            defect = None
        # the place is a pipeline, a cluster, a CI job, a compose file; not a page about deploys
        where = " ".join(w for w in place_words if w not in ENVIRONMENTS)  # "in production" says where, not what
        hardened = verb in TOGGLING and place_noun in RUNTIME_PLACES and any(
            plain in lowered and pattern.search(lowered) for _, plain, pattern, _ in self._patterns.get("security", ()))
        # running a scanner on images or a cluster changes nothing there: the scan is the work ("Run trivy on our base
        # images"); adding a scan to a pipeline is made in the pipeline
        scanned = verb in RUNNING and (not SCANNERS.isdisjoint(words) or bool(_SECURITY_RUN_RE.search(lowered)))
        deploy_place = bool(where) and place_noun.removesuffix("s") not in self._software and (
            self._is_deploy_object(place_noun, place) or self._has_keyword(where, "cicd")) and not (hardened or scanned)
        # making software: whatever its name (a new Git repository); scanning a repository is not making one;
        # configuring the Argo CD application is not making one either, but a library named after a tool
        # (the Kubernetes client library) is still a library
        # and a screen is a screen whatever its name, capitalised or not ("load-test the security center settings page")
        named_by = (verb, noun) if singular in LIBRARIES | SCREENS else words
        # another master's lead verb names the work done to the thing (Tag and publish the SDK to PyPI)
        noun_lead = bool(_NOUN_LEAD_RE.match(lowered))  # push notifications, release notes: a thing, no verb
        led = phrased or any(self._lead_verbs.get(w, "development") != "development" for w in words[noun_lead:-1])
        # a title without a verb is a noun compound, named by its last word: "Password reset emails" are emails,
        # "Security dashboard charts" are charts (the words before it say which one)
        verbless = (verb not in self._verbs and verb not in SUBJECTS) or noun_lead
        # a master's keyword right before the noun makes it that master's artifact: a Helm chart, HSTS headers
        compound = len(words) > 2 - verbless and (self._other_domain(words[-2], keywords_only=True) or
                                                   words[-2] in MONITORING_TOOLS)
        # checking a thing for a security concern reviews it, whatever it is ("Check the blog plugins for known vulns")
        reviewed = verb in REVIEWING and self._has_keyword(named.lower(), "security")
        # filling in or answering a field or a form enters data, it makes no software ("Fill in the missing tier field in
        # the services' catalog-info.yaml files", "Answer the customer's security assessment form")
        entered = words[:2] in (["fill", "in"], ["fill", "out"]) or verb == "answer"
        # a chart or an image given a new version is a deploy's, named by a hyphenated name the routing words drop
        # ("Bump the nginx-ingress chart to 4.10"), not a chart on a page
        versioned = verb in VERSIONING and noun in self._deploy_objects and bool(_TO_VERSION_RE.search(title))
        software = len(words) > 1 and singular in self._software and "development" in scores and not (
            compound or entered or versioned) and (
            (verb in self._making and (verb not in REPAIRING or not defect)) or not (
                defect or led or reviewed or (not verbless and any(self._other_domain(w) for w in named_by)))) and not (
            deploy_place)
        if compound and words[-2] in MONITORING_TOOLS and singular in self._software and "cicd" in scores:
            # "Create a Grafana dashboard for checkout latency": a dashboard in a monitoring tool is monitoring, as a
            # Helm chart is a chart of deploys ("Add a latency chart to the admin dashboard page" is the program's)
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT, f"the work is monitoring in {words[-2]} ({head!r})")
            return "monitoring", "cicd"
        if verbless and noun in SECRET_NOUNS and len(words) <= 2 and "security" in scores:  # "Password on the wiki"
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is a secret where it should not be "
                         f"({head!r})")
            return "secret", "security"
        if _PERSON_ACCOUNT_RE.match(after_label(named)) and "security" in scores:
            # "Unlock Maria's account", "Give the contractor a GitHub account", "Disable Tom's Okta login": a person's
            # account opened, locked or closed is who may get in ("Let users delete their account" is the product's)
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is a person's account ({head!r})")
            return "access", "security"
        member = _MEMBER_RE.match(after_label(title))
        name = (member.group("name") or member.group("joiner") or "") if member else ""
        if member and "security" in scores and not any(self._has_keyword(f" {name.lower()} ", domain)
                                                       for domain in scores if name):
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is a person joining or leaving "
                         f"({member.group().strip()!r})")
            return "access", "security"
        if (verbless or verb in ACCESS_CHANGING) and noun in ACCESS_NOUNS and "security" in scores:
            # "GitHub access for the new contractors", "Remove the intern group's access to the production database"
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is who may access what ({head!r})")
            return "access", "security"
        if (_WHO_MAY_RE.match(_LIMITING_RE.sub("", after_label(named), count=1)) or (
                words[0] in REVIEWING and (asked := _REVIEW_WHO_RE.match(named)) and _WHO_MAY_RE.match(named, asked.end())
        )) and "security" in scores:
            # "Who has admin on the production cluster?", "Restrict who can kubectl exec into production pods",
            # "Finance asks: who can approve payments over 10k? Please review" (read as "review ... (who can ...)")
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is who may access what ({head!r})")
            return "access", "security"
        if noun in FINDINGS and len(words) > 1 and "security" in scores:
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT, f"the work is a finding of a scan, an audit or "
                         f"a pen test ({head!r})")
            return "finding", "security"  # where the finding is (the marketing site, a page) is not the kind of work
        if verb in SCHEDULING and _TRIGGER_RE.search(named) and "cicd" in scores and not (
                _SECURITY_RUN_RE.search(lowered) or (SCANNERS & set(words))):
            # "Run the smoke tests after each deploy"; a scan run on every push is still security's scan
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT, f"the work runs a thing on a trigger or a schedule: "
                         f"a pipeline's step or a scheduled job ({title.strip()!r})")
            return "pipeline", "cicd"
        if "development" in scores and ((_NAMED_TEST_RE.search(title) and "flaky" in words) or (
                noun in TESTS and (verb in REPAIRING or "flaky" in words) and not deploy_place
                and not self._has_keyword(named.lower(), "cicd"))):
            # "LoginUITests.testForgotPassword flaky on the CI simulators": a test the program names is its code, wherever
            # it flakes; "Fix the flaky checkout e2e test": a test is the program's code, flaky or failing; a flaky
            # runner or pipeline stage ("e2e tests flaky on the shared runner") is operations'
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT, f"the work is a test of the program ({head!r})")
            return "software", "development"
        if software:
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT, f"the work is a {singular} ({head!r})")
            return "software", "development"  # the artifact and the words that name it ("service catalog page") are not a domain
        if words[0] in REVIEWING and "security" in scores and self._has_keyword(named.lower(), "security"):
            self._decide(scores, reasons, "security", SOFTWARE_HEAD_WEIGHT,
                         f"reviewing for a security concern ({title.strip()!r})")
            return "review", "security"  # what is reviewed (a pipeline, a page) is not the kind of work
        # the verb is the work (scan the repository, roll back the audit service); its object decides
        # only when the verb is no master's word
        verbs = {name for name, _, plain, pattern, weight in self._present(lowered)
                 if weight > 1 and lowered.startswith(plain[:2]) and pattern.match(lowered)}
        if defect and (verb not in self._making or verb in REPAIRING) and "security" in scores:
            self._decide(scores, reasons, "security", DEFECT_WEIGHT, f"the work is about a security defect "
                         f"({defect.group()!r})")
            return "defect", "security"
        if verbs <= {"development"} and verb not in self._making and len(words) > 1 and self._is_deploy_object(noun, lowered):
            self._decide(scores, reasons, "cicd", PLACE_WEIGHT, f"the work is on a {noun} ({head!r})")  # prune old images
        if deploy_place and verbs <= {"development"}:
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT, f"the change is made in a {place_noun} ({place!r})")
            return "pipeline", "cicd"  # what is changed in a pipeline (a cache, a step) is pipeline work
        if not verbs and words[0] in REVIEWING and "security" in scores and scores["security"].total > 0:
            verbs = {"security"}  # reviewing something for a security concern is a security review
        verb = phrase or verb  # back up
        lead = self._lead_verbs.get(verb)
        # an everyday verb on a thing on screen or in code ("Lock the table header", "Push the toast down") is
        # development's change to it, not another master's job (R2: cicd needs a deployment object)
        on_screen = verb in EVERYDAY_VERBS and (singular in SCREENS or singular in UI_OBJECTS) and not (
            self._has_keyword(lowered, "security"))  # masking PII on a card is security's
        if on_screen and "development" in scores:
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT, f"the work changes a {singular} ({head!r})")
            return "software", "development"
        if lead in scores and opened.startswith(verb) and DETERMINERS.match(opened[len(verb):]):
            self._decide(scores, reasons, lead, LEAD_DOMAIN_WEIGHT, f"{verb!r} opens the work")
            verbs = verbs | {lead}  # the object then counts half, as after a master's keyword
        for name in verbs:
            scores[name].total += VERB_HEAD_WEIGHT / len(verbs)
            scores[name].strong += 1

        if verbs <= {"development"} and place_noun.removesuffix("s") in self._software \
                and not self._has_keyword(lowered, "security"):
            self._decide(scores, reasons, "development", PLACE_WEIGHT, f"the change is made in software ({place!r})")
        for name, score in self._score_text(head, HEAD_WEIGHT / 2 if verbs else HEAD_WEIGHT).items():
            scores[name].total += score.total
            scores[name].strong += score.strong
        return None

    def _device_lifecycle(self, title: str, named: str) -> bool:
        """Whether the head is a device ordered, issued, enrolled, returned or retired (the head as written: a device's
        name, "MacBook Pro", is a name the routing words drop); not a device's security defect ("Replace the stolen
        laptop"), nor a program on it ("Ship the update to all phones": the phones are a place)."""
        words = re.findall(r"[a-z][a-z0-9-]*", head_phrase(title).lower())
        devices = [i for i, word in enumerate(words) if word in DEVICES]
        # a security word in the head (not in a person's title after it: "for the external auditor")
        if len(words) < 2 or not devices or self._has_keyword(" ".join(words), "security") or _defect(named):
            return False
        # the device is what the head ends on: "recover laptop and YubiKey", "a MacBook Pro", "laptop + MDM enrollment"
        if not (all(word in DEVICE_MODELS for word in words[devices[-1] + 1:]) or words[-1] in DEVICE_STAGES):
            return False
        return words[0] in DEVICE_LIFECYCLE or (words[0] not in self._verbs and (words[0] in DEVICE_STAGES or words[-1] in
                                                                              DEVICE_STAGES))

    def _symptom_then_request(self, title: str) -> tuple[str, str]:
        """A title that states a symptom and then asks ("Orders API slow since Monday; scale it to 6 replicas",
        "40 worker specs have stale heartbeats - restart the worker pool"): the statement and the request, which is
        the work; ``(title, "")`` when the title opens with its request or asks nothing after a statement."""
        match = _TITLE_ASK_RE.search(title)
        if match is None or _first_word(title) in self._verbs:
            return title, ""
        stated, asked = title[:match.start()], title[match.end():]
        return (stated, asked) if _first_word(asked) in self._verbs and _first_word(asked) not in REPAIRING else (title, "")

    def _first_request(self, description: str) -> str:
        """The description's first sentence that opens with a verb (its request), else its first sentence."""
        description = CRITERIA_RE.split(description, maxsplit=1)[0]  # what must hold is not the request
        sentences = [re.sub(r"^\s*(?:(?:[-*•]|\d{1,2}[.)])\s*)?(?:(?:can|could|would)\s+(?:you|we|someone|somebody)\s+"
                            r"(?:please\s+)?)?(?:please\s+|pls\s+)?", "", sentence, flags=re.IGNORECASE)
                     for sentence in re.split(r"(?<=[.!?])\s+|\n", description)
                     if sentence.strip() and not _RELEASE_FIELD_RE.match(sentence)]
        if sentences and _CAPABILITY_FOR_RE.match(sentences[0]):
            return sentences[0]  # "Shop owners want to change prices in bulk": a user story is the request
        return next((sentence for sentence in sentences
                     if _first_word(sentence) in self._verbs),
                    sentences[0] if sentences else "")

    def _release_live(self, title: str) -> re.Match[str] | None:
        """Where the title puts a version or a site live ("Put version 3.2 of the API live"): not data shown live
        on a screen ("Put the stock prices live in the header bar", "Get the dashboard live-updating", "the LIVE
        badge"), nor another master's tool switched on ("Get Dependabot live on the backend repos")."""
        live = _GO_LIVE_RE.search(title)
        if live is None or live.group().lower().startswith("go"):
            return live
        after = _WORD_RE.findall(title[live.end():].lower())
        shown = after[:1] if not after or after[0] not in ("in", "on", "at") else after[1:5]
        if title[live.end():].startswith("-") or any(word in SCREENS | UI_OBJECTS | PLACES for word in shown):
            return None
        return None if any(self._has_keyword(live.group().lower(), domain) for domain in ("security", "inventory")) \
            else live

    @staticmethod
    def _decide(scores: dict[str, _Score], reasons: list[str], domain: str, weight: float, why: str) -> None:
        if domain in scores:
            scores[domain].total += weight
            scores[domain].strong += 1
            reasons.append(f"{why}: {domain}")

    def _change_asked(self, description: str, title: str) -> str | None:
        """Whose thing the description's first request changes, when it repairs or changes one: a pipeline's step or
        job (cicd), a test, a software part or code in a service (development); "it" a test the title reports failing.
        None when the request names neither, or asks no change."""
        request = in_its_sense(self._first_request(description))  # "Fix the lock release": a lock freed
        words = re.findall(r"[a-z][a-z0-9_-]*", head_phrase(request).lower())
        if len(words) < 2 or words[0] not in _CHANGING:
            return None
        thing = [word for word in words[1:] if word not in POSSESSIVES and word not in ("a", "an", "its", "their")]
        if thing[:1] in (["it"], ["them"]):
            # "it" is what the title reports failing: it says whose only when it is a test ("Checkout e2e test is flaky
            # on CI" -- "Make it deterministic"); "Payments API returns 502 after the deploy" -- "Fix it" says no more
            failing = _FAILURE_RE.search(title) or _STATE_RE.search(title)
            subject = re.findall(r"[a-z][a-z0-9_-]*", title[: failing.start()].lower()) if failing else []
            return "development" if subject and subject[-1] in TESTS else None
        place = re.findall(r"[a-z][a-z0-9_-]*", place_phrase(request).lower())
        if not thing:
            return None
        noun, phrase = thing[-1], " ".join(thing)
        if self._has_keyword(phrase, "cicd") or not {"build", "deploy", "release"}.isdisjoint(thing[:-1]) or (
                noun in PIPELINE_PARTS and self._has_keyword(" ".join(place), "cicd")):
            # the pipeline step, the CI job, the build script, the deploy job: the pipeline's
            return "cicd" if self._is_deploy_object(noun, phrase) or noun in PIPELINE_PARTS | {"script", "scripts"} else None
        # a script or a setting alone says no owner ("Nightly backup job fails" -- "Fix the script"): the failing thing's
        if noun in TESTS or self._is_software([noun], ignore=REPOSITORIES | {"script", "scripts", "settings"}) or any(
                word == "code" or re.search(rf"-(?:{SERVICE_TAILS})$", word) for word in place):
            return "development"  # the flaky UI test, the SDK, the lock release in matchmaker-svc
        return None

    def _is_deploy_object(self, noun: str, phrase: str) -> bool:
        """Whether ``noun`` is a thing cicd runs; a job or a build only with a cicd word (a CI job, not
        the nightly import job)."""
        return noun in self._deploy_objects and (noun not in AMBIGUOUS_OBJECTS or self._has_keyword(phrase, "cicd"))

    def _lists_assets(self, title: str) -> bool:
        """Whether ``title`` names what inventory counts (a keyword, or a hint besides "report": repositories,
        dependencies, versions, owners, assets), so that its report is a census."""
        words = self._score_text(title, 1.0)["inventory"].words if "inventory" in self._patterns else []
        return any(word not in ("report", "reports") for word in words)

    def _has_keyword(self, lowered: str, domain: str) -> bool:
        """Whether ``lowered`` holds a keyword (not only a hint) of ``domain``: only those whose first three letters
        it holds are tried."""
        by_trigram, short = self._keywords.get(domain, ({}, []))
        return any(plain in lowered and pattern.search(lowered) for plain, pattern in short) or any(
            plain in lowered and pattern.search(lowered)
            for gram in {lowered[at:at + 3] for at in range(len(lowered) - 2)} for plain, pattern in by_trigram.get(gram, ()))

    def _failure_of(self, title: str, description: str, said: str = "") -> str | None:
        """Whose failure a failure report is (``Inventory page crashes``, ``Pipeline editor loses changes``,
        ``chartlint exits 1``: development; ``Payments API returns 502 after the deploy``: cicd), or None
        when the title reports no failure or a security defect (security's, by its words). ``said`` is the title
        as written, with the quoted messages that ``title`` has lost as names."""
        lowered = title.lower()
        failing = _FAILURE_RE.search(_FAILED_LOGIN_RE.sub(" ", lowered))
        if not (failing or _EXCEPTION_RE.search(title) or _outage(lowered)) or (
                _defect(lowered)):
            return None
        words = re.findall(r"[a-z][a-z0-9-]*", lowered)
        if _THROWN_RE.search(title) or _COMPILE_ERROR_RE.search(said or title):
            return "development"  # NullPointerException in PaymentService.refund: the code threw it
        if self._is_software(words, ignore=REPOSITORIES | SERVICES) or not OUTPUTS.isdisjoint(words):
            return "development"  # the Deploy button, the pipeline editor: a part of a program, whatever its name
        if _SOURCE_FILE_RE.search(description):
            return "development"  # the report points at source code: the fix is in it, whatever was deployed before
        if _NAMED_TEST_RE.search(said or title):
            return "development"  # "test_checkout_concurrent_orders fails 1 in 20 runs on CI": the test is the program's code
        subject = re.findall(r"[a-z][a-z0-9-]*", lowered[: failing.start()]) if failing else []
        if subject and (subject[-1] in ("test", "spec") or ("flaky" in subject and not TESTS.isdisjoint(subject))):
            # "Flaky UI test: ... fails on CI": what fails is one test of the program, CI is where it was seen (a suite
            # failing on the runners, "E2E tests fail on the shared runners", may be the runners')
            return "development"
        if _outage(lowered):
            return "cicd"  # "VPN to the Lisbon office is down", "HR portal is down since 8am": a running system's outage
        if self._has_keyword(lowered, "cicd") or not self._deploy_objects.isdisjoint(words) or not CICD_TOOLS.isdisjoint(
                words):
            return "cicd"  # a build, a deploy, a runner; a service failing after a deploy; an ArgoCD app out of sync
        first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0].lower()
        software = self._is_software([*words, *re.findall(r"[a-z][a-z0-9-]*", first)], ignore=REPOSITORIES)
        # a bug report's form (repro steps, expected and actual) reports a program's defect
        return "development" if software or _BUG_REPORT_RE.search(description) else None

    def _is_software(self, words: Iterable[str], ignore: frozenset[str]) -> bool:
        """Whether a thing development makes is named, other than those in ``ignore`` (a failing
        repository is a failing build)."""
        return any(word not in ignore and (word in self._software or word.removesuffix("s") in self._software)
                   for word in words)

    def _other_domain(self, word: str, keywords_only: bool = False) -> bool:
        """Whether ``word`` is a routing word (a keyword, with ``keywords_only``) of a domain other than
        development."""
        known = self._other_domain_memo.get((word, keywords_only))
        if known is None:
            if len(self._other_domain_memo) > 10_000:
                self._other_domain_memo.clear()  # bounded: the words of many tasks pass through here
            # only the routing words whose text the word holds (``_present``'s trigram index): a new word tried every
            # other domain's 550 words, 47 us, about once a task
            known = self._other_domain_memo[word, keywords_only] = any(
                pattern.fullmatch(word) for name, _, _, pattern, weight in self._present(word)
                if name in self._not_development and (weight > 1 or not keywords_only))
        return known

    def route(self, title: str, description: str = "", type_hints: Iterable[str | None] = (),
              history: History | None = None, judge: Callable[[], Judgement] | None = None) -> Route:
        """Pick the domain with the highest score; ``type`` and prefix weigh most. When the rules are
        unsure (no routing word, a tie or a narrow margin), ``history`` may choose among the close ones.
        When only words decided (no head rule, no type) and the history did not, ``judge`` (the learned
        model's view of the task, asked only then) may take the task for another master."""
        ruled = self._ruled(title, description, tuple(type_hints))
        title, description, ranked, best_score = ruled.title, ruled.description, ruled.ranked, ruled.ranked[0][1]
        best, hinted, ruled_by_rule, decided_by, described = \
            ruled.ranked[0][0], ruled.hinted, ruled.ruled, ruled.decided_by, ruled.described
        reasons, totals = list(ruled.reasons), dict(ruled.totals)  # each route its own: a caller may change them
        words = {name: list(found) for name, found in ruled.words}
        if history is not None and (word := history.persons_word(title, description)) is not None \
                and word.master != self.config.domains[best].master:
            domain = max((name for name in totals if self.config.domains[name].master == word.master),
                         key=lambda name: totals[name], default=word.master)
            return Route(domain, word.master, 0.95, [*reasons, word.persons_reason(
                f"{best} {best_score:g}" if best_score > 0 else "nothing (no routing word)")], totals,
                         strong=True, decided_by=decided_by, described=described, words=words)
        if history is not None:
            close = [name for name, total in ranked if total >= best_score * (1 - NARROW_MARGIN)]
            decided = self._by_history(history, title, description, close, reasons, totals)
            if decided is not None:
                return replace(decided, words=words)
        if judge is not None and not ruled_by_rule and not hinted:
            decided = self._by_model(judge(), best, totals, reasons, history, title, description)
            if decided is not None:
                return replace(decided, words=words)
        if best_score <= 0:
            master = self.config.default_master
            return Route(master, master, 0.3, [NO_WORDS], totals, words=words)
        master = self.config.domains[best].master
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        confidence = round(min(0.99, 0.5 + 0.5 * (best_score - runner_up) / best_score), 2)
        if not ruled_by_rule and not hinted and not ruled.best_strong:
            # only hints ("report", "list", "owner") say whose it is, however far ahead: weak evidence, not 0.99
            confidence = min(confidence, HINTS_ONLY_CONFIDENCE)
        for index, reason in enumerate(reasons):  # a rule whose domain lost says so, not only what it read
            lost = reason.rsplit(": ", 1)[-1]
            if lost != best and lost in totals and ": " in reason:
                reasons[index] = f"{reason}, outweighed ({best} {best_score:g} against {lost} {totals[lost]:g})"
        if ruled.best_words:
            reasons.append(f"{best} words: {', '.join(ruled.best_words[:6])}")
        if best != master:
            reasons.append(f"{best} work belongs to the {master} master")
        second = ranked[1][0] if len(ranked) > 1 else None
        if second is not None and runner_up >= best_score * (1 - NARROW_MARGIN):
            unsure = TIE if runner_up == best_score else "a narrow margin: "
            reasons.append(f"{unsure}{best} {best_score:g} against {second} {runner_up:g}")
        return Route(best, master, confidence, reasons, totals, strong=ruled.best_strong or best in hinted,
                     decided_by=decided_by, described=described, words=words)

    def _read_rules(self, title: str, description: str, type_hints: tuple[str | None, ...]) -> _Ruled:
        """What the rules read of a text, before any history or model is asked: a function of the text and the
        configuration alone, so :meth:`route` keeps the last few (``_ruled``: a pickup routes its task twice, to
        classify it and again in its draft, and a part routed by the model again by the rules alone)."""
        title, description = self.tidy(title, title=True), self.tidy(description)
        scores = self._score_text(title, TITLE_WEIGHT)
        vague = all(score.total <= 0 for score in scores.values()) or bool(_PURPOSE_RE.match(title))
        self._score_text(description, 1.0, into=scores)
        reasons: list[str] = []
        for text, weight in ((title, TITLE_WEIGHT), (description, 1.0)):
            if "back" in text and _rollback(text):  # take the service back to 3.8.2, whatever its words
                rollback = scores.setdefault("cicd", _Score())
                rollback.total += KEYWORD_WEIGHT * weight
                rollback.strong += 1
        read = _attended(title)
        stated, asked = self._symptom_then_request(read)
        head = self._score_head(asked or read, scores, reasons, description)
        if head is None and asked:  # the request said nothing the rules read: the statement before it may
            head = self._score_head(stated, scores, reasons, description)
        titled = head  # what the title's own head says, not its description's first request
        if head is None and vague and description:
            # a title that names no work ("Q3 housekeeping", "Ticket from support"): the description's
            # first request is the head
            head = self._score_head(self._first_request(description), scores, reasons)
        described = head is not None and titled is None
        if head is None and (back := _rollback(title)):  # "Bring the api back to last week's version"
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT, f"the work is a rollback ({back.group()!r})")
            head = ("rollback", "cicd")
        elif head is None and (shown := next((back for back in _ROLLBACK_RE.finditer(title)
                                              if _takes_back_shown(title, back)), None)):
            # "Change the onboarding copy back to last week's version": an edit of what a screen shows
            self._decide(scores, reasons, "development", SOFTWARE_HEAD_WEIGHT,
                         f"the work is an earlier version of what a screen shows ({shown.group()!r})")
            head = ("shown", "development")
        elif head is None and (live := self._release_live(title)):  # "Put version 3.2 of the API live"
            self._decide(scores, reasons, "cicd", SOFTWARE_HEAD_WEIGHT, f"the work is a release ({live.group()!r})")
            head = ("release", "cicd")
        decided_by = head[0] if head else None
        ruled = bool(head or reasons)
        """Whether a rule read what the work is (a head rule, a lead verb, a place), not only its words."""
        if head:  # R1: the head outweighs every later word (a CLI that scans for leaked secrets is a CLI)
            rest = max((score.total for name, score in scores.items() if name != head[1]), default=0.0)
            scores[head[1]].total = max(scores[head[1]].total, rest + HEAD_MARGIN)
        hinted: list[str] = []
        # a coordinator's "bug: ..." title declares the type as the description's prefix does; only a
        # known type counts ("Epic: ..." or "Follow-up: ..." are labels, not types)
        labelled = type_prefix(title)
        # the type field and the description's prefix each count
        for hint in (*type_hints, labelled if labelled in self._type_to_domain else None):
            domain = self.domain_of_type(hint)
            if domain:
                scores[domain].total += TYPE_WEIGHT
                if domain not in hinted:
                    hinted.append(domain)
                    reasons.append(f"type {hint!r} points to {domain}")
        totals = {name: score.total for name, score in scores.items()}
        # a tie between what the head says and what the type says goes to the head: the type outvotes it, never ties
        # ("Add an export button to the audit log page" typed security is a button)
        headed = titled[1] if titled else None
        ranked = sorted(totals.items(), key=lambda item: (-item[1], -scores[item[0]].strong, item[0] != headed,
                                                          _rank(item[0], hinted)))
        best = ranked[0][0]
        return _Ruled(title, description, tuple(reasons), tuple(totals.items()), tuple(ranked), tuple(hinted), ruled,
                      decided_by, described, scores[best].strong > 0, tuple(scores[best].words),
                      tuple((name, tuple(score.words)) for name, score in scores.items() if score.words))

    def _by_history(self, history: History, title: str, description: str, close: list[str], reasons: list[str],
                    totals: dict[str, float]) -> Route | None:
        """The route the queue's history picks among ``close`` (every domain when no word matched);
        None when the rules are sure (one domain clearly ahead) or the history says nothing clear."""
        if len(close) < 2:
            return None
        masters = {self.config.domains[name].master: name for name in reversed(close)}  # the best domain per master
        vote = history.vote(title, description, masters)
        if vote is None:
            return None
        domain = masters[vote.master]
        unsure = "no routing words" if totals[close[0]] <= 0 else \
            f"a narrow margin: {', '.join(f'{name} {totals[name]:g}' for name in close[:3])}"
        return Route(domain, vote.master, round(min(0.8, 0.5 + vote.support / 10), 2),
                     [*reasons, f"the rules were unsure ({unsure})", vote.reason()], totals, strong=True)

    def _by_model(self, judgement: Judgement, best: str, totals: dict[str, float], reasons: list[str],
                  history: History | None, title: str, description: str) -> Route | None:
        """The route the learned model picks when it is sure of another master than the rules' words;
        None when it agrees, is unsure, or the queue's history knows tasks like this one (a
        deployment's conventions beat the shipped examples)."""
        words = totals[best] > 0
        said = self.config.domains[best].master if words else self.config.default_master
        master, probability = judgement.master, judgement.masters[judgement.master]
        if master == said or probability < MODEL_MASTER_MIN:
            return None
        if history is not None and history.vote(title, description, MASTERS) is not None:
            return None
        domain = max((name for name in totals if self.config.domains[name].master == master),
                     key=lambda name: totals[name], default=master)
        unsure = f"only words: {best} {totals[best]:g}" if words else "no routing words"
        return Route(domain, master, round(min(0.95, probability), 2),
                     [*reasons, f"no rule read what the work is and no type was given ({unsure})",
                      f"the built-in model decided: {master} ({probability:.2f}; {said} {judgement.masters[said]:.2f})"],
                     totals, strong=True, decided_by="model")

    def bounded(self, task: QueueTask) -> QueueTask:
        """The task with title and description cut to ``max_text_chars`` and tidied (:meth:`tidy`), for
        reading only."""
        limit = self.config.max_text_chars
        # runs of whitespace are cut before the limit applies, in a bounded part (a 60 MB text is not scanned whole)
        # space around a title ("  Set the rules on all new repos") and a description of nothing but space are no
        # words: a rule anchored at the title's start missed it, and "\n\n " was read as a description; a pasted
        # no-break space, curly apostrophe or two spaces between words is what the rules' literal ones mean (attack22)
        title = self.tidy(_plain_spaces(_short_spaces(task.title[:8 * limit].strip()))[:limit], title=True)
        written = task.full_description[:8 * limit].rstrip()
        description = self.tidy(_plain_spaces(_short_spaces(written))[:limit])
        if title == task.title and description == task.full_description:
            return task
        return task.model_copy(update={"title": title, "description": description})

    def tidy(self, text: str, title: bool = False) -> str:
        """The text as its writer meant it: slips of the keyboard in known words fixed (``Whcih``); in a title,
        without a tracker's key before it (``OPS-3310 ...``), a formal noun read as its verb (``Deployment of``
        -> ``Deploy``); in a description, a pasted e-mail's request
        without its greeting, signature, confidentiality notice and quoted history."""
        return self._typos(verbal_title(strip_ticket_key(text)) if title else without_formalities(without_email(text)))

    def involved_domains(self, text: str) -> list[str]:
        """Domains that clearly win at least one clause: the work's distinct specialities.

        A clause counts for a domain when a keyword (not only hints) names it and no other
        domain scores as high. Remembered for the last few texts: one classification asks
        about the same text up to three times.
        """
        known = self._involved_memo.get(text)
        if known is None:
            if len(self._involved_memo) >= 64:
                self._involved_memo.clear()
            known = self._involved_memo[text] = tuple(self._involved_domains(text))
        return list(known)

    def _involved_domains(self, text: str) -> list[str]:
        involved: list[str] = []
        candidates = self._candidates(text)
        reviewed = bool(_SECURITY_REVIEW_RE.search(text))
        released = bool(_RELEASE_RE.search(text))
        # "Catalog the roles and document what each one configures": what a reading job writes down is its result
        # (not when it also changes something: "Audit the buckets, make the public ones private, document the policy")
        reading = _stem_of(text) in READ_ONLY_VERBS and _stem_of(text) != "document" and all(
            _stem_of(clause) in READ_ONLY_VERBS + NOTING_VERBS for clause in clauses(text) if _stem_of(clause) in self._verbs)
        for clause in work_clauses(text):  # "with production access" qualifies; "with security audit" is work
            if _CONSTRAINT_RE.match(clause) or contingency(clause):
                # "no personal data in the logs": what must not happen is a constraint, not a part; "roll back if the
                # smoke tests fail": the change's own safety net, not cicd's part
                continue
            scores = self._score_text(clause, candidates=candidates, clause=True)
            words = clause.lower().split()
            if _SECURITY_REVIEW_RE.search(clause):
                scores["security"].total += HEAD_MARGIN  # "have security review runner isolation": what is reviewed
            elif reviewed and words and words[0] in self._making and "development" in scores and (
                    words[0] not in REPAIRING or not self._has_keyword(clause.lower(), "security")):
                # "add 2FA ... with security review", "pen test, then fix the findings in the code": what security
                # reviews, someone else builds or repairs (a named vulnerability's fix stays security's)
                scores["development"].total = max(scores["development"].total, KEYWORD_WEIGHT) + max(
                    (score.total for name, score in scores.items() if name != "development"), default=0.0)
            if words and words[0] in self._making - REPAIRING and "development" in scores and any(
                    word.strip(".,;:") in self._software for word in words[1:]) and not any(
                    score.total for name, score in scores.items() if name != "development"):
                scores["development"].total += KEYWORD_WEIGHT  # R2: write the backfill script, build a CLI
            if words and words[0] in RUNNING | WATCHING and "development" in scores:
                # "run the migration job", "run the smoke tests": operating it; "watch the error dashboards for an
                # hour": observing it
                scores["development"].total = 0.0
            if "docs" in scores and _DOC_FOLLOWED_RE.match(clause):
                scores["docs"].total = 0.0  # "as in last quarter's runbook", "read the changelog first": the source
            if released and "docs" in scores and scores["docs"].words and set(scores["docs"].words) <= RELEASE_DOCS:
                scores["docs"].total = 0.0  # "update the changelog" of a release is a step of the release
            if reading and "docs" in scores and words and _stem_of(words[0]) in ("document", *NOTING_VERBS):
                scores["docs"].total = 0.0
            ranked = sorted(scores.items(), key=lambda item: -item[1].total)
            (best, top), runner_up = ranked[0], ranked[1][1].total
            if top.total >= KEYWORD_WEIGHT and top.total > runner_up and best not in involved:
                involved.append(best)
        return involved


_PURPOSE_RE = re.compile(r"\s*(?:for|from|re|fwd?|per|regarding|about)\b[\s:]", re.IGNORECASE)
"""A title that says what the work is for or where it came from ("For the migration planning", "From the bug
bounty"): it names no work, the description does."""
_ROLLBACK_RE = re.compile(r"\bback\s+to\s+(?:v?\d+(?:\.\d+)+|(?:the\s+)?(?:previous|last|old|prior)\s+(?:\w+'s\s+)?"
                          r"(?:version|release|build|image|tag)|(?:last\s+)?\w+'s\s+(?:version|release|build|image|tag))",
                          re.IGNORECASE)
"""Taking a running thing back to an earlier version is a rollback, whatever the verb."""


_STATE_RE = re.compile(r"\b(?:is|are|was|were|keeps?|flaky)\b", re.IGNORECASE)
"""Where a title's subject ends when it says a state ("Checkout e2e test is flaky on CI")."""
_NAMED_TEST_RE = re.compile(r"(?:\btest_\w+|\b\w+_test\b|(?<![\w-])[\w-]+\.(?:spec|test)\.[jt]sx?\b|\bTest[A-Z]\w+|"
                            r"\btest[A-Z]\w*|\b[A-Z][A-Za-z]*[a-z]Tests?\b)"
                            r"(?!\s+(?:jobs?|stages?|steps?|workflows?|pipelines?|runners?)\b)")
"""A test named as the program names it (``test_checkout_race``, ``cart.spec.ts``, ``TestOrderSequence``, JUnit's and
XCTest's ``CheckoutFlowTests.testApplePayButton``): one test
of the program that fails, not a runner or a pipeline stage (``the load_test job``, ``the integration_test stage``).
A file's name starts where no word character or hyphen is before it: from each word boundary, a hyphenated run of
thousands ("x-x-x-...") was scanned again from each of its parts (seconds a task, attack22); only searched for."""


_REASON_RE = re.compile(r"\([^()]*\)|\s(?:because(?:\s+of)?|due\s+to|since|for|after)\s.*$", re.IGNORECASE)
"""Why the work is asked, not what it is: an aside in parentheses, or a tail after "because", "due to", "for"."""


@remembered_text
def _defect(text: str) -> re.Match[str] | None:
    """The first security defect the text names, not the name of a screen ("The Vulnerabilities tab shows the wrong
    count", "Exposed secrets page doesn't load": a screen's failure; "Hardcoded password in the login page" is one)."""
    return next((found for found in _DEFECT_RE.finditer(text) if not _SCREEN_AFTER_RE.match(text, found.end())), None)


_SCREEN_AFTER_RE = re.compile(r"(?:\s+(?!(?:in|on|of|to|from|for|at|via|through|with|by|the|an?|our|its|is|are)\b)[\w-]+)"
                              r"{0,2}\s+(?:tabs?|pages?|screens?|panels?|views?|tables?|columns?|widgets?|dialogs?|"
                              r"modals?|charts?|badges?|filters?|menus?|sidebars?|cards?)\b", re.IGNORECASE)


def _sought(lowered: str) -> str:
    """What a census question looks for is no failure: a thing "missing", the kinds in parentheses and the relative
    clause that says which ("Which domains do we own that don't serve any website?", "Which mobile SDKs (analytics,
    crash reporting) are in each app?"); "Which hosts are missing from Datadog?" asks what exists."""
    return _RELATIVE_RE.sub(" ", _PARENTHESES_RE.sub(" ", _LACKING_RE.sub(" ", _MISSING_RE.sub(" ", lowered))))


_LACKING_RE = re.compile(r"\b(?:don't|doesn't|do\s+not|does\s+not|haven't|hasn't|have\s+not|has\s+not)\s+"
                         r"(?:have|run|use|contain|include|send|report)\b")
"""What a census looks for that things lack ("Which servers don't have the CrowdStrike sensor?") is no failure."""


_WANTS_TO_KNOW_RE = re.compile(r"(?:[\w'’-]+\s+){1,4}(?:to\s+know|to\s+find\s+out|tell\s+(?:me|us))\s+"
                               r"(?:which|what|how\s+many|who\s+owns)\s", re.IGNORECASE)
"""Someone asking to know what exists ("Legal wants to know which of our products use GPL code", "Facilities needs to
know how many desk phones ...") asks a census question."""
_PARENTHESES_RE = re.compile(r"\([^()]*\)")
_RELATIVE_RE = re.compile(r"(?<=\w)\s+(?:that|who|whose)\s.*", re.DOTALL)


def _attended(title: str) -> str:
    """The title without a verb that only says to attend to what follows (:data:`_ATTEND_RE`): "Look into the login
    attempts from Russia on the admin panel" is read as "the login attempts from Russia on the admin panel"."""
    attend = _ATTEND_RE.match(title)
    return title[attend.end():] if attend else title


def _outage(lowered: str) -> bool:
    """Whether the text reports an outage ("VPN to the Lisbon office is down"), not one as the condition of the work
    ("Show a friendly message when the API is down", "Page us if the site is unreachable")."""
    down = _OUTAGE_RE.search(lowered)
    return down is not None and not _CONDITION_RE.search(lowered, 0, down.start())


_CONDITION_RE = re.compile(r"\b(?:when|whenever|if|while|until|once|in\s+case)\b")


def _rollback(text: str) -> re.Match[str] | None:
    """The first rollback phrase of ``text`` that is not quoted ("'Back to yesterday's version' restores the wrong
    draft" names a button of an editor) and does not take what a screen shows back to an earlier wording or look
    ("Change the onboarding copy back to last week's version", "Reset the chart colours back to ...")."""
    return next((back for back in _ROLLBACK_RE.finditer(text)
                 if text[back.start() - 1: back.start()] not in _QUOTES and not _takes_back_shown(text, back)), None)


def _takes_back_shown(text: str, back: re.Match[str]) -> bool:
    """Whether the clause before a rollback phrase names what a screen shows (the onboarding copy, the logo), not a
    running program (the calendar service) nor a build of one (back to yesterday's build)."""
    words = set(_WORD_RE.findall(re.split(r"[.!?;:\n]", text[:back.start()])[-1].lower()))
    return bool(words & (SHOWN_CONTENT | UI_OBJECTS)) and not words & SERVICES and not _BUILT_RE.search(back.group())


_BUILT_RE = re.compile(r"\b(?:release|build|image|tag|v?\d+(?:\.\d+)+)$", re.IGNORECASE)
SHOWN_CONTENT = frozenset({"copy", "text", "texts", "wording", "logo", "colour", "colours", "color", "colors", "palette",
                           "template", "templates", "font", "fonts", "illustration", "illustrations", "label", "labels",
                           "translation", "translations", "draft", "drafts", "styling", "style", "styles"})
"""What a screen or a message shows: taking it back to an earlier version is an edit, not a rollback."""


_QUOTES = frozenset("'\"‘“«")
_GO_LIVE_RE = re.compile(r"^\s*(?:please\s+)?(?:put|push|take|get|bring)\s+(?:[\w.'-]+\s+){1,6}live\b(?!\s+(?:chat|stream|"
                         r"view|preview|data|feed|search|updates?|scores?|mode|demo|reload)\b)|\bgo(?:es)?\s+live\b|"
                         # "Marketing wants the new landing page live by 9am Monday": a date for a release
                         r"\b(?:wants?|needs?)\s+(?:[\w.'-]+\s+){1,6}live\s+(?:by|before|on|for|tomorrow|today|tonight|"
                         r"this|next)\b",
                         re.IGNORECASE)
"""Putting a version or a page live is a release ("Put version 3.2 of the API live", "Can the homepage go live?",
"Marketing wants the new landing page live by Monday")."""
_BUG_REPORT_RE = re.compile(r"(?:^|\n)\s*(?:expected(?:\s+result|\s+behaviou?r)?|actual(?:\s+result|\s+behaviou?r)?|"
                            r"steps\s+to\s+reproduce|repro(?:\s+steps)?|str)\s*:", re.IGNORECASE)
_SOURCE_FILE_RE = re.compile(r"[\w/.-]+\.(?:py|go|ts|tsx|js|jsx|mjs|java|kt|rb|rs|cs|swift|php|c|cc|cpp|h|hpp|vue|svelte|"
                             r"scala|ex|exs|dart|m)\b")
"""A source file named in a failure report: the defect is in the code."""
_PEOPLE = (r"(?:admins?|administrators?|users?|customers?|people|developers?|engineers?|members?|owners?|managers?|"
           r"support(?:\s+staff|\s+agents?)?|agents?|staff|operators?|editors?|viewers?|guests?|visitors?|reviewers?|"
           r"teams?|tenants?|partners?|vendors?|buyers?|sellers?|students?|teachers?|patients?|me|us|them|anyone|everyone)")
_CAPABILITY_FOR_RE = re.compile(
    rf"(?:(?:let|allow|enable|permit|help)\s+(?:\w+\s+){{0,2}}{_PEOPLE}\s+(?:to\s+)?[a-z]+|"
    rf"as\s+an?\s+[\w\s-]{{1,30}}?,?\s+i\s+(?:want|need|would like)|"
    rf"(?:\w+\s+){{0,2}}{_PEOPLE}\s+(?:should|must|need to|want to|would like to)\s+(?:be\s+able\s+to|see|get)\s|"
    rf"(?:\w+\s+){{0,2}}{_PEOPLE}(?:\s+(?:with|of|in|on|at)(?:\s+\w+){{1,3}}?)?\s+(?:wants?|needs?|would\s+like)\s+to\s+"
    rf"(?P<verb>[a-z]+)\b|"
    rf"make\s+it\s+possible\s+(?:for\s+(?:\w+\s+){{0,2}}{_PEOPLE}\s+)?to\s)", re.IGNORECASE)
"""A user story (``Let admins filter the audit trail``, ``As an admin I want ...``, ``Users should be able to
...``): the work is a capability of the product, development's, whatever it is about."""
_DOC_FOLLOWED_RE = re.compile(
    r"\s*(?:(?:first|then|and)\s*,?\s+)?(?:read|follow|see|consult|as\s+(?:in|per|described\s+in)|per|according\s+to|"
    r"following|based\s+on)\s+(?:the\s+|our\s+|its\s+|their\s+|[\w'’-]+\s+){0,3}?(?:runbook|changelog|release\s+notes|"
    r"docs|documentation|guide|playbook|readme|wiki|manual)s?\b", re.IGNORECASE)
"""A clause that reads or follows a document ("as in last quarter's runbook", "Read the changelog for breaking changes
first"): where the procedure comes from, not documentation to write."""
_SECURITY_REVIEW_RE = re.compile(r"\bsecurity\s+(?:team\s+)?(?:review|audit|sign-?off|signs?\s+(?:it\s+)?off|approv|"
                                 r"assessment|accreditation)|\bpen[\s-]?test|"
                                 r"\bpenetration\s+test|\bthreat\s+model", re.IGNORECASE)
"""A security review asked for as a part of the work: that part is security's, whatever it reviews."""
_ALERT_ON_STATE_RE = re.compile(
    r"\b(?:e-?mails?|notifications?|notif(?:y|ied)|alerts?|alerted|messages?|sms|texts?|paged?|ping(?:ed)?|slack)\b"
    r"(?P<to>[^.?!\n]{0,40}?)\b(?:when|if|whenever|as soon as)\s+(?:the\s+|our\s+|any\s+|a\s+)?(?:[\w.'-]+\s+){0,3}?"
    r"(?:site|website|server|service|api|db|database|disk|host|cluster|queue|node|vm|instance|backup|prod|production)s?"
    r"(?:'s)?\b[^.?!\n]{0,40}?\b(?:down|unreachable|offline|unavailable|full|fills up|runs? out|above|exceeds?|"
    r"over\s+\d|more than\s+\d|\d+\s*%)", re.IGNORECASE)
"""A message asked for when a running system is down, full or slow: monitoring, whatever the words before it."""
_PRODUCT_MESSAGE_RE = re.compile(r"\b(?:show|shown|shows|display\w*|toast|banner|dialog|in-app|modal|pop-?up|users?|"
                                 r"customers?|students?|sellers?|buyers?|players?|members?|subscribers?|visitors?)\b",
                                 re.IGNORECASE)
"""A message the product shows or sends its users: a feature, whatever it is about."""
_CODE_STATE_RE = re.compile(r"\b(?:state|transaction|changes|form|field|input|edits?|animation|scroll|cursor|"
                            r"undo|selection|migration)\b")
"""What a program rolls back or out itself ("Roll back the form state when the save fails"): code, not a release."""
_OWNER_RE = re.compile(r"(?<![a-z0-9_/+-])([a-z][a-z0-9_/+-]*)['’]s\b")
"""Whose a thing is ("the booking service's REST API"). Tried only from a word's start: from every letter, a
word of thousands of characters without "'s" was scanned again from each of them."""
_LEAD_RE = re.compile(r"^\s*(?:please\s+|to\s+)?([a-z][a-z-]+)")
_NOUN_LEAD_RE = re.compile(r"^\s*(?:push\s+(?:notifications?|tokens?|messages?)|release\s+(?:notes?|dates?|trains?\s+page)|"
                           r"ship(?:ping)?\s+dates?|publish(?:ing)?\s+dates?|tag\s+clouds?|scale\s+factors?|"
                           # "Audit log table in the admin UI should be sortable", "Scan results page is blank": a screen
                           r"(?:audit|scan|deploy|release|build|test)\s+(?:logs?|trails?|results?|history|status|events?)\s+"
                           r"(?:tabs?|pages?|tables?|views?|screens?|panels?|columns?|widgets?|charts?|badges?|filters?|lists?))\b")
"""A lead verb's (or a master's keyword's) word that opens a noun ("Push notifications arrive twice", "Release notes
page shows HTML tags", "Audit log table should be sortable"): the thing named, not the master's work."""


_LONG_SPACE_RE = re.compile(r"\s{33,}")


_PASTED = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2018": "'", "\u2019": "'"})
_INNER_SPACE_RE = re.compile(r"(?<=\S)(?:[ \t]{2,}|\t)(?=\S)")


def _plain_spaces(text: str) -> str:
    """A no-break space and a curly apostrophe as pasted from a document or a mail (``we\u2019d``) read as the writer's
    space and apostrophe; two spaces or a tab between words as one space (not where a line starts: its indentation is
    the writer's list or code)."""
    return _INNER_SPACE_RE.sub(" ", text.translate(_PASTED))


def _short_spaces(text: str) -> str:
    """``text`` with each run of whitespace cut to its first 32 characters. Many rules start with ``\\s+`` or
    ``^\\s*``: tried at each place in a run, each scans the run again (20,000 spaces took a minute); 32 are
    as many blank lines or as much indentation as a person writes."""
    return _LONG_SPACE_RE.sub(lambda run: run.group()[:32], text)


def _rank(domain: str, hinted: list[str]) -> int:
    return hinted.index(domain) if domain in hinted else len(hinted)


_WORD_RE = re.compile(r"[a-z][a-z-]*")


@remembered_text
def _first_word(text: str) -> str:
    """The first word of ``text``, lower-cased (letters and hyphens), or ""."""
    found = _WORD_RE.search(text.lower())
    return found.group() if found else ""


@remembered_text
def _stem_of(text: str) -> str:
    """The first word of ``text`` without its -ing or -s: ``scanning`` -> ``scan``, ``audits`` -> ``audit``."""
    word = _first_word(text)
    for suffix, cut in (("nning", 4), ("ing", 3), ("s", 1)):
        if word.endswith(suffix) and len(word) - cut >= 3:
            return word[:-cut]
    return word


def _stem(verb: str) -> str:
    """``modernize`` -> ``moderniz``: matches modernization, modernizing; ``sunset`` stays."""
    return verb[:-1] if verb.endswith("e") else verb


def _alternation(phrases: Iterable[str], suffix: str = "") -> re.Pattern[str]:
    """One pattern for a list of phrases (one search per text, not one per phrase)."""
    escaped = sorted((re.escape(p.lower()) for p in phrases), key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(escaped) or '(?!)'}){suffix}(?![\w-])")
