"""Reading plain task text: clauses, file paths, durations, ordering words, keyword patterns.

Pure functions, shared by the classifier and the built-in planner.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TypeVar

_EXTENSIONS = (
    "py|pyi|js|jsx|ts|tsx|mjs|cjs|json|jsonl|ya?ml|toml|ini|cfg|conf|md|rst|txt|sh|bash|zsh|go|rs|java|kt|rb|"
    "php|cs|c|h|cc|cpp|hpp|swift|sql|html?|css|scss|vue|svelte|tf|tfvars|lock|xml|gradle|env|dockerfile|proto|graphql"
)
# Paths are recognised token by token (linear time: no backtracking over a long word).
_TOKEN_RE = re.compile(r"[^\s,;()\[\]{}<>\"'`]+")
_FILE_RE = re.compile(rf"(?:[\w.-]+/)*[\w.-]*\.(?:{_EXTENSIONS})|(?:[\w.-]+/){{2,}}[\w.-]*|Dockerfile|Makefile",
                      re.IGNORECASE)
_MAX_TOKEN = 300
_URL_RE = re.compile(r"\b\w+://\S+")
_PREFIX_RE = re.compile(r"^\s*([a-z][a-z0-9_-]{1,40})\s*:\s+", re.IGNORECASE)
_NUMBERED_RE = re.compile(r"(?:^|[\s(:;,\[])(\d{1,2})[.)\]]\s+(?=\S)")  # 1. a, 2) b, (3) c, [4] d
_BULLET_RE = re.compile(r"^\s*(?:[-*•]\s+|[☐☑☒✅✔✓⬜⬛🔲▢◻◼▪◦‣❌✗✘]\ufe0f?\s*)(.+)$", re.MULTILINE)
"""A bullet, or a checklist's box ticked or not ("☐ SSO with the IdPs", "✅ reward ledger", "⬜ payout job")."""
_TABLE_ROW_RE = re.compile(r"^[ \t]*\|([^|\n]*)\|[^\n]*$", re.MULTILINE)
_TABLE_RULE_RE = re.compile(r"^[\s:-]*-[\s:-]*$")
_ARROW_RE = re.compile(r"(?<!\s)(?<!\d)(?<!\d\.[xX*])\s*(?:→|->|=>|⇒)\s*|(?<=\d)\s*(?:→|->|=>|⇒)(?!\s*v?\d)\s*"
                       r"|(?<=\d\.[xX*])\s*(?:→|->|=>|⇒)(?!\s*v?\d)\s*")
"""An arrow that orders steps; not one between two versions ("React 18.2 -> 18.3", "Postgres 14 → 16", a major's
series: "SDK 10.x -> 11.x"): a version changed, one step."""
_DEPENDED_WORK = (r"\s+(?:[\w#-]+\s+){0,4}?(?:being|getting|to\s+be|landing|finishing|shipping)\b|\s+(?:the\s+|a\s+|our\s+)?"
                  r"(?:(?:[\w-]+\s+){0,2}(?:steps?|stages?|phases?|tasks?|tickets?|stor(?:y|ies)|prs?|pull\s+requests?|"
                  r"reviews?|approvals?|sign-?offs?|migrations?)\b|#\d+|[a-z]+-\d+\b)")
"""What "depends on" orders when it orders work: a step, a review, a ticket, a thing "being merged"; not a library, a
service or a version a program depends on ("every repository that still depends on login-sdk v2")."""
_THAT_TIME = r"\s+(?:time|date|point|moment|day|hour|minute|timestamp|cut-?off|deadline|offset|version|release)s?\b"
"""After "after that", a noun that makes "that" its determiner: a time or a version ("messages received after that
time"), not an ordering word."""
_SEQUENCE_RE = re.compile(
    r"\b(then|after that(?!" + _THAT_TIME + r")|afterwards|followed by|and finally|finally|first,|next,"
    r"|once (?:it|that|this|they)"
    r" (?:is|are) (?:done|complete|completed|merged|deployed|live|stable)|before (?:deploying|releasing|merging|shipping)"
    r"|must (?:happen|be done|complete|finish) (?:before|first)|only after|depends on(?=" + _DEPENDED_WORK + ")"
    # "after" for "afterwards", as many writers of English as a second language say it: "after we must delete
    # the old server", "and after remove the jenkins" (not "after the deploy", "after each merge": a time)
    r"|after (?:we|you|they|i) (?:must|need|have to|should|will|can|shall)|and after(?= (?!the\b|a\b|an\b|each\b"
    r"|every\b|all the\b|that\b|this\b|it\b|[0-9])[a-z])"
    r"|and (?!it\b|them\b)[a-z]+ (?:it|them)(?: (?:out|up|back|down))?"
    r"(?= (?:as|to|in|into|on|onto|behind|with|before|after|through|across|at|against|everywhere)\b|[ ,.;]*$))\b",
    re.IGNORECASE,
)
_DURATION_RE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:-|–|to)?\s*(\d+(?:\.\d+)?)?\s*(h|hr|hrs|hours?|m|min|mins|minutes?|d|days?)\b",
    re.IGNORECASE,
)
_LINE_REF_RE = re.compile(r"\bline\s+\d+\b|(?:\.\w{1,10}|\b(?:dockerfile|makefile|jenkinsfile|procfile|gemfile|"
                          r"rakefile|vagrantfile)):\d+\b(?!\.\d|[\w-])", re.IGNORECASE)
"""``line 42``, ``users.py:42``, ``Dockerfile:12``; not an image's tag (``node:20-bookworm-slim``, ``redis:7.2``) nor
a time (``at 16:40``)."""
_CLAUSE_SPLIT_RE = re.compile(
    r"(?:[.;!?](?:\s+|$)|,\s*(?:and\s+|then\s+)?|\s+(?:and then|and|then|with|plus|\+|&)\s+|\n+)")
_WORD_SUFFIXES = "(?:s|es|ed|d|ing|ment|ments)?"

REMEMBERED = 4
"""How many recent texts each pure reader marked :func:`remembered` or :func:`remembered_text` keeps: one
classification asks the same reader about the same title or text from several rules (``after_label`` 9 times for 3
texts, ``sequence_markers`` and ``stage_words`` twice on one text); a few entries hold one task's texts, bounded (a
text is cut to ``max_text_chars`` first). Only functions of the text alone: no configuration, no state (perf17)."""
_MEMORIES: list[Callable[[], None]] = []
_Read = TypeVar("_Read")


def remembered_text(reader: Callable[[str], _Read]) -> Callable[[str], _Read]:
    """``reader``, a pure function of a text whose result cannot be changed (a text, a match), remembering its last
    few texts."""
    cached = functools.lru_cache(maxsize=REMEMBERED)(reader)
    _MEMORIES.append(cached.cache_clear)
    return cached


def remembered(reader: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """:func:`remembered_text` for a reader of a list: every caller gets its own list (a caller may change it without
    changing what the next one reads)."""
    cached = remembered_text(reader)

    @functools.wraps(reader)
    def fresh(text: str) -> list[str]:
        return list(cached(text))

    return fresh


def forgotten_with_texts(clear: Callable[[], None]) -> None:
    """Have :func:`forget_texts` call ``clear`` too (a reading kept elsewhere: the router's, by text and
    configuration)."""
    _MEMORIES.append(clear)


def forget_texts() -> None:
    """Forget every remembered reading (tests; a measure of one classification's own work)."""
    for clear in _MEMORIES:
        clear()


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Match a routing word in lower-cased text.

    Words of five letters or more also match longer forms (``deploy`` -> ``deployment``);
    shorter ones and plurals match only with plain endings, so ``ci`` is not found in ``city``
    nor ``repos`` in ``repository``.
    """
    escaped = re.escape(keyword.lower())
    # a word that opens a bot's or a service's name names no work: "deploy-bot", "security-svc" is not "deploy" or
    # "security" (what ends a name, "payments-api", may be the thing made: "eine neue Export-API")
    named = rf"(?!-(?:{_NAME_TAILS})\b)"
    # a plural (repos) names the plural, not a longer word: "repos" is not found in "repository"
    if len(keyword) >= 5 and keyword[-1].isalnum() and not (keyword.endswith("s") and keyword[-2:] != "ss"):
        return re.compile(rf"(?<![\w]){escaped}\w*{named}")
    return re.compile(rf"(?<![\w]){escaped}{_WORD_SUFFIXES}(?![\w]){named}")


_NAME_TAILS = "bot|svc|api|app|gateway|cli|ctl|operator|controller|daemon"
"""What ends a name only; not a kind of thing the opening word says ("build-server", "deploy-service",
"security-proxy", "monitoring-agent" are a build server, a deploy service ...: their work)."""



_IDENTIFIER_RE = re.compile(r"\w[/.]\w")
_WORD_RUN_RE = re.compile(r"[^\s,;()]+")
_CODE_RE = re.compile(r"`[^`\n]{1,80}`|(?<![\w'])'[^'\n]{1,60}'(?![\w'])|\"[^\"\n]{1,60}\"|“[^”\n]{1,60}”")
"""A name in backticks or quotes (the `repos` command, the 'Audit log' tab) is a name, not a kind of work."""
_SPEECH_RE = re.compile(r"\b(?:i|we|us|our|can(?!['’]t)|could|please|pls|need)\b", re.IGNORECASE)
"""Words of someone asking: a quote holding one of them and five words or more is what was asked, not a name."""


def _is_speech(quoted: str) -> bool:
    """Whether a quotation is a request passed on (``"can you give us a namespace on the dev cluster?"``), not
    the name of a thing (the 'Export all repos' button)."""
    return quoted[0] != "`" and len(quoted.split()) >= 5 and bool(_SPEECH_RE.search(quoted))


_DEFAULT_LOGINS = ("admin/admin", "root/root", "guest/guest", "test/test", "admin/password", "root/password",
                   "admin/changeme", "admin/123456")
_KEPT_PAIRS = {"ci/cd": "ci cd", "blue/green": "blue-green", **dict.fromkeys(_DEFAULT_LOGINS, "default credentials")}
"""Slash pairs that are words of work, not paths; a user and password pair that ships as a default ("admin/admin")
is default credentials."""
_KEPT_PAIRS_RE = re.compile(rf"\b(?:{'|'.join(map(re.escape, _KEPT_PAIRS))})\b", re.IGNORECASE)


def strip_identifiers(text: str) -> str:
    """Drop paths, repository names and dotted names, whose words are names, not work.

    ``example-org/inventory-scanner`` says nothing about inventory work; ``ci/cd`` is kept.
    """
    return split_identifiers(text)[0]


_ROTATION_RE = re.compile(r"\brotat(?:e|es|ed|ing)\b(?=(?P<object>(?:\s+[^\s,;:.!?]+){0,6}))", re.IGNORECASE)
_ROTATED_SECRET_RE = re.compile(r"\b(?:passwords?|passphrases?|secrets?|keys?|keypairs?|tokens?|credentials?|creds|"
                                r"certs?|certificates?|jwts?|salts?|kms|ssh|pgp|gpg|tls|ssl|webhooks?|service\s+accounts?)\b|"
                                r"^\s+(?:it|them|these|those|this|that|everything|all)\b", re.IGNORECASE)


def without_plain_rotation(text: str) -> str:
    """Rotating what is no secret (the nginx logs, the on-call schedule) is not security's rotation: its verb
    reads as "cycle". A secret after it, or "it" / "them" / "all", keeps it."""
    if "rotat" not in text.lower():
        return text
    return _ROTATION_RE.sub(lambda m: m.group() if _ROTATED_SECRET_RE.search(m.group("object")) else "cycle", text)


_RESOURCE = (r"(?:memory|ram|heap|timers?|intervals?|goroutines?|threads?|(?:file\s+)?handles?|(?:db\s+|database\s+)?"
             r"connections?|sockets?|(?:event\s+)?listeners?|(?:file\s+)?descriptors?|fds?|subscriptions?|resources?|"
             r"buffers?|processes|temp\s+files?)(?![\w-])(?!\s+(?:strings?|urls?|uris?|details|info|credentials|passwords?))")
_PROGRAM_LEAK_RE = re.compile(rf"\bleak(?:s|ed|ing)?\s+(?:(?:a|an|the|its|some|one)\s+)?{_RESOURCE}|"
                              rf"(?<![\w-]){_RESOURCE}\s+leak(?:s|age)?\b", re.IGNORECASE)


def without_program_leaks(text: str) -> str:
    """A program that leaks what it holds (a timer, connections, goroutines) has a memory leak, a defect of the program:
    "leaks a timer on unmount" is not a secret leaked ("leaks the database connection string" still is)."""
    if "leak" not in text.lower():
        return text
    return _PROGRAM_LEAK_RE.sub("memory leak", text)


_LOCKS = r"(?:locks?|mutex(?:es)?|semaphores?|leases?|latch(?:es)?)\b"
_DETERMINER = r"(?:the|a|an|its|their|this|that|our|any|every|all|each)\s+"
_HELD = (rf"(?:(?:[\w-]+\s+)?{_LOCKS}|{_RESOURCE})(?=\s*(?:$|[,.;:!?)]|(?:when|if|on|in|at|after|before|for|from|of|so|"
         r"and|or|but|until|while|once|that|which|to|by|with|again|early|properly|correctly|it|they|we|he|she|them|back)\b))")
"""A held thing as the head of its phrase ("the Redis lock when ...", "the DB connections."), not a compound's first
noun ("the lock screen")."""
_FREED_RE = re.compile(rf"\breleas(?:es|ed|ing)\b(?=\s+(?:{_DETERMINER})?{_HELD})|\brelease\b(?=\s+{_DETERMINER}{_HELD})|"
                       r"(?<=\block\s)releas(?:e|es|ed|ing)\b|(?<=\b(?:latch|lease|mutex)\s)releas(?:e|es|ed|ing)\b|"
                       r"(?<=\b(?:memory|handle)\s)releas(?:e|es|ed|ing)\b|(?<=\bconnection\s)releas(?:e|es|ed|ing)\b",
                       re.IGNORECASE)
"""A held thing released (the verb's object: "never releases the Redis lock"; the compound: "the lock release"): freed,
no release shipped (not "the release process", "release 2.4")."""
_GAME_INVENTORY_RE = re.compile(
    r"\b((?:players?|characters?|avatars?|heroe?s?|in-game|game|item)(?:['’]s|['’])?\s+)inventor(?:y|ies)\b|"
    r"\b()inventor(?:y|ies)\b(?=\s+(?:saves?|slots?|items?|grid|capacity|weight|stacks?|levels?|quantit(?:y|ies))\b)",
    re.IGNORECASE)
"""A game's or a shop's inventory: whose it is (a player's, a character's) or what the compound names (an inventory
save, slot or item; inventory levels): items held, no census of assets."""
_SHOP_CATALOG_RE = re.compile(r"\b((?:products?|store|shop|items?|price|course|menu|in-game)\s+)catalog(?:ue)?s?\b",
                              re.IGNORECASE)
"""A shop's catalog (the product catalog, the store catalog entries): what it sells, no catalog of assets (the service
catalog keeps its sense)."""


@remembered_text
def in_its_sense(text: str) -> str:
    """``text`` with the routing words that have another sense there said in that sense, read by their role in the
    sentence: rotating what is no secret, a program's leaks (above), a held lock or a resource released, a game's or a
    shop's inventory, a shop's catalog, a business's papers ("supporting docs"). The word counts only where its role is
    the master's ("Release 2.4 to the stores", "the asset inventory", "Inventory the repositories", "the service
    catalog" keep theirs)."""
    text = without_program_leaks(without_plain_rotation(text))
    lowered = text.lower()
    if "releas" in lowered:
        text = _FREED_RE.sub("free", text)
    if "inventor" in lowered:
        text = _GAME_INVENTORY_RE.sub(lambda m: f"{m.group(1) or ''}stock", text)
    if "catalog" in lowered:
        text = _SHOP_CATALOG_RE.sub(lambda m: f"{m.group(1)}assortment", text)
    if "doc" in lowered:
        text = _PAPERWORK_RE.sub(lambda m: f"{m.group(1)} papers", text)
    return text


_PAPERWORK_RE = re.compile(r"\b(supporting|customs|shipping|legal|tax|identity|id|kyc|scanned|signed|uploaded|loan|"
                           r"insurance|claims?|travel|medical|patient|trade|hr|personnel)\s+(?:docs|documents)\b",
                           re.IGNORECASE)
"""A business's papers ("the supporting docs of a customs declaration", "uploaded documents"): records the work keeps
or moves, not documentation to write (no docs domain)."""


def split_identifiers(text: str) -> tuple[str, list[str]]:
    """:func:`strip_identifiers`, and the names it dropped (quoted names, paths, dotted names)."""
    names: list[str] = []

    def drop(match: re.Match[str]) -> str:
        names.append(match.group())
        return " "

    text = _KEPT_PAIRS_RE.sub(lambda m: _KEPT_PAIRS[m.group().lower()], text)
    text = _CODE_RE.sub(lambda m: m.group() if _is_speech(m.group()) else drop(m), text)
    if not _IDENTIFIER_RE.search(text):
        return text, names  # no path or dotted name anywhere: no need to look at each word
    return _WORD_RUN_RE.sub(lambda m: drop(m) if _IDENTIFIER_RE.search(m.group()) else m.group(), text), names


_OPERATIONS_PATH_RE = re.compile(
    r"(?:^|/)(?:\.github/workflows|\.circleci|k8s|kubernetes|helm|charts|terraform|ansible|deploy|deployments?|manifests|"
    r"kustomize|infra)(?:/|$)|(?:^|/)(?:dockerfile[\w.-]*|docker-compose[\w.-]*\.ya?ml|jenkinsfile|\.gitlab-ci\.ya?ml|"
    r"values[\w-]*\.ya?ml|kustomization\.ya?ml|[\w.-]+\.tf)$|^actions/[\w.-]+(?:@\S*)?$|^[\w.-]+/[\w.-]+-action(?:@\S*)?$|"
    r"^release/v?\d", re.IGNORECASE)
"""A path that is operations' file wherever it sits (a workflow, a chart, a manifest, a Dockerfile, Terraform), a
GitHub Action (``actions/setup-node``, ``docker/build-push-action``) or a release branch (``release/2025.11``)."""


def operations_path(names: Iterable[str]) -> str | None:
    """The first of ``names`` (paths and dotted names a text holds) that is operations' file: it says where the change
    is made as a routing word would (``k8s/prod/hpa.yaml: minReplicas 2 -> 4``); a program's path says nothing."""
    return next((path for name in names if _OPERATIONS_PATH_RE.search(path := name.strip(".:!?"))), None)


def find_files(text: str, extra: Iterable[object] = ()) -> list[str]:
    """Distinct file paths named in ``text`` and in ``extra`` (``files_affected``, ``deliverables``)."""
    found: dict[str, None] = {}
    for token in _TOKEN_RE.findall(_URL_RE.sub(" ", text)):
        token = token.strip(".:!?")
        if len(token) <= _MAX_TOKEN and _FILE_RE.fullmatch(token):
            found.setdefault(token.rstrip("/."), None)
    for item in extra:
        if isinstance(item, str) and item.strip():
            found.setdefault(item.strip(), None)
    return [path for path in found if path]


def type_prefix(description: str) -> str | None:
    """``"security-audit: scan the ..."`` -> ``"security-audit"``."""
    match = _PREFIX_RE.match(description)
    return match.group(1).lower() if match else None


def strip_type_prefix(description: str) -> str:
    return _PREFIX_RE.sub("", description, count=1)


@remembered
def listed_items(text: str) -> list[str]:
    """Items of a numbered list (``1) a, 2) b``), a bullet list, or a colon list (``x: a, b, and c``)."""
    matches = list(_NUMBERED_RE.finditer(text))
    numbers = [int(m.group(1)) for m in matches]
    if len(matches) >= 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] in (0, 1):
        items = []
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
            items.append(_tidy_item(text[match.end() : end]))
        return [item for item in items if item]
    bullets = [_tidy_item(item) for item in _BULLET_RE.findall(text)] or table_items(text)
    if len(bullets) >= 2:
        return [item for item in bullets if item]
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        head, colon, tail = sentence.partition(": ")
        if colon and len(head.split()) <= 8:
            items = [_tidy_item(item) for item in re.split(r",\s*(?:and\s+)?|\s+and\s+(?=\S+\s)", tail)]
            items = [item for item in items if item]
            if len(items) >= 3:
                return items
    return []


def table_items(text: str) -> list[str]:
    """The first cells of a pasted table's rows ("| new VPC in eu-central-1 | infra |"): a list, one item a row; not
    its header (the row above the rule) nor the rule."""
    cells = [found.group(1).strip() for found in _TABLE_ROW_RE.finditer(text)]
    rules = [index for index, cell in enumerate(cells) if _TABLE_RULE_RE.match(cell)]
    header = {rule - 1 for rule in rules}
    return [_tidy_item(cell) for index, cell in enumerate(cells) if index not in header and index not in rules and cell]


_INTRODUCED_RE = re.compile(r"\b(?:(?:we|you|they|it|this|that|which)\s+(?:will\s+)?(?:need|needs|means|requires|involves|"
                            r"includes|takes)|(?:needs|requires|involves|means))\s+(?!\w+ing\b|to\b|be\b|that\b)(?=\w)",
                            re.IGNORECASE)


def introduced_items(text: str) -> list[str]:
    """Items of a list a sentence introduces without a colon: ``We need A, B, C and D``, ``That means A, B and
    C`` (three or more, separated by commas, in the sentence that introduces them). What must not be ("but no
    production access") is a constraint, not an item; "A to X and Y" before the first comma is one item."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        found = _INTRODUCED_RE.search(sentence)
        if not found:
            continue
        pieces = re.split(r",\s*", sentence[found.end():])
        pieces[-1:] = re.split(r"(?<!\s)\s+and\s+(?=\S+\s)", re.sub(r"^and\s+", "", pieces[-1]), maxsplit=1)
        items = [item for item in map(_tidy_item, pieces)
                 if item and not re.match(r"(?:but\s+)?(?:no|not|without|never|nothing)\b", item, re.IGNORECASE)]
        if len(items) >= 3:
            return items
    return []


_JOINED_RE = re.compile(r"(?<!\s)\s+\+\s+")
_STATEMENT_RE = re.compile(r"\b(?:is|are|was|were|has|have|had|will|would|should|must|can|could|need|needs|do|does|did|"
                           r"i|we|you|they|it|he|she|there)\b", re.IGNORECASE)


def series_sentences(text: str) -> Iterator[str]:
    """The sentences of ``text`` without a Markdown mark before them or a short label ("auth svc v2 — ")."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        sentence = re.sub(r"^\s*(?:[#*>-]+\s*)?", "", sentence).strip().rstrip(".!?")
        parts = _LABEL_RE.split(sentence, maxsplit=1)
        if len(parts) == 2 and len(parts[0].split()) <= 6 and not _JOINED_RE.search(parts[0]):
            sentence = parts[1]
        yield sentence


def joined_items(text: str) -> list[str]:
    """Items joined by "+" (``build + sec review + rollout``), after a label if any: three or more, the last
    one's own commas splitting it further. Not ";", which joins the clauses of prose as often as parts."""
    for sentence in series_sentences(text):
        joined = _JOINED_RE.split(sentence)
        if len(joined) < 3:
            continue
        pieces = [*joined[:-1], *re.split(r",\s*(?:and\s+)?|\s+and\s+(?=\S+\s)", joined[-1])]
        items = [item for item in map(_tidy_item, pieces) if item]
        if len(items) >= 3 and all(len(item.split()) <= 20 for item in items):
            return items
    return []


def series_items(text: str) -> list[str]:
    """Items of a sentence that is nothing but a series, with no colon and no word that introduces it (``New
    cluster in eu-west-1, data residency checks by security, a region switch in the app config, and an
    inventory entry``): three or more. A sentence that says something (a subject, a verb to be or to have, a
    modal) is no series."""
    for sentence in series_sentences(text):
        if _STATEMENT_RE.search(sentence) or not re.search(r",\s*(?:and|plus)\s+\S", sentence):
            continue
        # (not at a comma inside parentheses: "their rows in the warehouse (customers, orders PII columns)" is one item)
        items = _places_joined([item for item in map(_tidy_item, re.split(r",(?![^()]*\))\s*(?:and\s+|plus\s+)?",
                                                                           sentence)) if item])
        if len(items) >= 3 and all(len(item.split()) <= 12 for item in items):
            return items
    return []


_PLACE_TAIL_RE = re.compile(r"\s(?:on|in|to|at|across|for)\s+[\w.-]*[\d-][\w.-]*$", re.IGNORECASE)
"""An item that ends on a place named as a token ("re-issue the certs on prod-eu"): the names after it go on with it."""
_NAMES_RE = re.compile(r"[\w.-]+(?:\s+(?:and|or)\s+[\w.-]+)?")


def _places_joined(items: list[str]) -> list[str]:
    """A series' items with the names that go on with a place list kept in their item: "re-issue the certs on
    prod-eu, prod-us and staging" is one item, not three."""
    joined: list[str] = []
    for item in items:
        if joined and _NAMES_RE.fullmatch(item) and _PLACE_TAIL_RE.search(joined[-1]):
            joined[-1] += f", {item}"
        else:
            joined.append(item)
    return joined


def arrow_steps(text: str) -> list[str]:
    """``design → implement → test`` -> the steps; empty when there is no chain of two or more."""
    return arrow_chain(text)[1]


def arrow_chain(text: str) -> tuple[str, list[str]]:
    """The first arrow chain's line up to its first arrow (``Requests flow gateway``), and its steps."""
    for line in text.splitlines():
        parts = _ARROW_RE.split(line)
        if len(parts) >= 3 or (len(parts) == 2 and all(parts)):
            head = parts[0].rsplit(":", 1)[-1]
            steps = [_tidy_item(part) for part in [head, *parts[1:]]]
            return parts[0], [step for step in steps if step]
    return "", []


def _tidy_item(item: str) -> str:
    item = re.split(r"[.!?]\s", item.strip(), maxsplit=1)[0]  # the item, not the sentence after it
    item = item.strip().strip(",;.").strip()
    item = re.sub(r"\s+", " ", item)
    return re.sub(r"^(?:and|then)\s+", "", item, flags=re.IGNORECASE).strip()


CRITERIA_HEADS = r"(?:acceptance criteria|ac|definition of done|dod|success criteria)"
"""The words that head a description's criteria (one list for every reader of them)."""
CRITERIA_RE = re.compile(rf"^\s*(?:#+\s*)?{CRITERIA_HEADS}\b", re.IGNORECASE | re.MULTILINE)
"""Where a description's criteria begin: what follows says what must hold of the work, not more work."""

_THEN_RE = re.compile(r"[,;.]?\s*\b(?:and then|then|after that(?!" + _THAT_TIME + r")|afterwards|followed by|and finally|"
                      r"finally|next,)\s+", re.IGNORECASE)


def sequence_segments(text: str) -> list[str]:
    """Parts of the text in the order the writer asked for.

    An arrow chain gives one segment per step; otherwise the text is cut at ordering
    words (``then``, ``after that``, ``followed by``, ``finally``).
    """
    steps = arrow_steps(text)
    if steps:
        return steps
    return [segment.strip() for segment in _THEN_RE.split(text) if segment and segment.strip(" ,;.\n")]


@remembered
def sequence_markers(text: str) -> list[str]:
    """Ordering words found (``then``, ``after that``, arrows ...), lower-cased, distinct."""
    # "and ship it": the second action works on what the first made, so it comes after it
    markers = {m.group(1).lower().rstrip(",") for m in _SEQUENCE_RE.finditer(text)}
    if _ARROW_RE.search(text):
        markers.add("→")
    return sorted(markers)


_STAGE_WORD_RE = re.compile(
    r"\bthen\b|\bafter that\b(?!" + _THAT_TIME + r")|\bafterwards\b|\bfinally\b|\blastly\b|\bsubsequently\b"
    r"|(?:^|[,.;:]\s*|\n\s*)next\b(?!\s+(?:week|month|sprint|quarter|release|year|day|time|step)\b)"
    # "once it is live", "once the new service has been stable for a week": one stage waits for another
    r"|\bonce\s+(?:it|that|this|they|the\s+[\w\s-]{1,30}?)\s+(?:is|are|has\s+been|have\s+been)\s+"
    r"(?:live|stable|released|shipped|in\s+place|rolled\s+out|done|complete|completed|merged|deployed|migrated)\b"
    r"|\b(?:después|luego|danach|dann|ensuite|puis|poi|depois)\b",  # the same, as mixed-language writers say it
    re.IGNORECASE | re.MULTILINE,
)
_PHASE_RE = re.compile(
    r"\b(?:phase|milestone|wave)\s*(\d|one|two|three|four|i{1,3}|iv)\b|\bv(\d)\b(?=\s*(?::|of\b|adds\b|brings\b))"
    # a plan on a calendar ("Day 1: ... Week 2: ... Month 3: ..."): with its colon, not "day 1 of the trial"
    r"|\b((?:day|week|month|sprint)\s*\d{1,2})(?=\s*:)",
    re.IGNORECASE)


@remembered
def stage_words(text: str) -> list[str]:
    """Each word that opens a later stage, as often as it is said ("then ... then", "..., next ..., finally ...",
    "once it is live"): two of them order three stages, where :func:`sequence_markers` says only that there is an
    order. "First" opens the first stage and separates none."""
    return [found.group().strip(" ,.;:\n").lower() for found in _STAGE_WORD_RE.finditer(text)]


@remembered
def stated_phases(text: str) -> list[str]:
    """The distinct phases, milestones or versions a text plans ("Phase 1: ... Phase 2: ...", "v1: ...; v2 adds
    ...", "Week 1: ... Month 2: ..."): stages shipped one after the other. A single one ("Phase 2 of the form: ...")
    labels the request."""
    return sorted({(found.group(1) or found.group(2) or re.sub(r"\s+", " ", found.group(3))).lower()
                   for found in _PHASE_RE.finditer(text)})


_PLAN_HEADING_RE = re.compile(
    r"(?:(?:q[1-4]|h[12]|fy\s?\d{2,4})\b|okrs?\b|kr\s?[\d.]*|roadmap\b|bets\b|goals\b|objectives\b|priorities\b|"
    r"themes\b|spec\b)[^:\n]{0,30}:[ \t]*(?P<items>[^\n]+)", re.IGNORECASE)
_HEADING_ITEM_SPLIT_RE = re.compile(r"(?<!\s)\s*[,+;&]\s*|(?<!\s)\s+/\s+|(?<!\s)\s+and\s+")  # tests/test_text_cost.py
_ASIDE_RE = re.compile(r"\([^()\n]{0,200}\)")


def plan_heading_items(title: str, verbs: Collection[str]) -> list[str]:
    """The items a plan's heading names ("H1 bets: usage billing, EU region, passkeys", "Q1: Terraform everything /
    SOC2 / kill Jenkins", "Spec v0.3 - team billing: seats, proration, invoices, admin UI"): a quarter's, a roadmap's
    or a spec's list, each item a deliverable of its own. Empty for one item ("Q2 roadmap: search autocomplete"), and
    for a request after the heading ("Roadmap prep: list every third-party API, with its owner and cost"): its
    details, not items."""
    found = _PLAN_HEADING_RE.match(title.strip())
    if not found:
        return []
    listed = _ASIDE_RE.sub(" ", found.group("items")).strip(" .")
    first = listed.split(maxsplit=1)[0] if listed else ""
    if not listed or first.lower() in verbs or (first.islower() and request_shaped(listed)):  # not "SOC 2 / ..."
        return []
    items = [item.strip() for item in _HEADING_ITEM_SPLIT_RE.split(listed) if item.strip()]
    return items if len(items) >= 3 and all(len(item.split()) <= 6 for item in items) else []


_KEYED_PARTS_RE = re.compile(r"\b(?:items|deps|dependencies|steps|parts|subtasks|tasks|stages|workstreams)\s*=\s*\[?"
                             r"([\w./-]+(?:\s*,\s*[\w./-]+){2,})", re.IGNORECASE)


def keyed_parts(text: str) -> list[str]:
    """The parts a coordinator's terse task lists under a key (``items=otel-sdk,collector,dashboards``,
    ``deps=[vpc,db-replica,app-deploy]``): machine style for "three components: ...". Only ``key=``: a colon
    list ("Steps: tag, upload, publish") is read as prose is."""
    found = _KEYED_PARTS_RE.search(text)
    return [item.strip() for item in found.group(1).split(",")] if found else []


@remembered
def clauses(text: str) -> list[str]:
    """Split text into clauses at sentence ends, commas, ``and``/``then``/``with``."""
    return [part.strip() for part in _CLAUSE_SPLIT_RE.split(text) if part and part.strip()]


def action_clauses(text: str, verbs: Iterable[str]) -> list[str]:
    """Clauses that start with an action verb: each one is a unit of work."""
    pattern = _verbs_pattern(tuple(verbs))
    return [clause for clause in clauses(text) if pattern.match(clause)]


@functools.lru_cache(maxsize=8)
def _verbs_pattern(verbs: tuple[str, ...]) -> re.Pattern[str]:
    # an ordering word before the verb opens a later stage ("after that remove MySQL", "once it is live retire the
    # old reports") or the first ("First find every datastore", "Firstly, ..."), and "kindly" asks as "please" does.
    # A bare ordinal opens a step only with a comma or before a verb's object: "First release of the app" is a noun
    return re.compile(r"^(?:to\s+|please\s+|kindly\s+|also\s+|then\s+|(?:after\s+that|finally|next|firstly|secondly|"
                      r"thirdly|lastly|afterwards?)\s*,?\s+|(?:first|second|third)\s*,\s*|(?:first|second|third)\s+"
                      r"(?=[a-z-]+\s+(?:the|a|an|all|every|each|our|its|their|this|these|those|any|some)\s)|once\s+(?:it|that|"
                      r"this|they)\s+(?:is|are)\s+\w+\s*,?\s+|\d+[.)]\s*)?(?:" + "|".join(map(re.escape, verbs)) + r")\b"
                      # a file's name ("build.gradle", "test/fixtures") and a label ("Release notes: fixes SSRF", "Build
                      # status: green") open with a verb's letters and ask nothing ("Update README: ..." asks)
                      r"(?![./]\w|\s+(?:notes|status|plan|results?|logs?|date|window|checklist|summary|comments?|"
                      r"history|details|info|timeline|owner|target|scope|train|cadence|freeze)\s*:(?!\S))",
                      re.IGNORECASE)


def duration_minutes(value: object) -> float | None:
    """The upper end of an estimate: ``"90-120 minutes"`` -> 120, ``"2h"`` -> 120, ``45`` -> 45."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _DURATION_RE.search(value)
    if not match:
        try:
            return float(value.strip())
        except ValueError:
            return None
    upper = float(match.group(2) or match.group(1))
    unit = match.group(3).lower()
    if unit.startswith("h"):
        return upper * 60
    if unit.startswith("d"):
        return upper * 60 * 8
    return upper


def has_line_reference(text: str) -> bool:
    return bool(_LINE_REF_RE.search(text))


_SLUG_FILLER = {"a", "an", "the", "of", "and", "or", "to", "for", "in", "on", "with", "its", "their", "it", "then",
                "our", "all", "each", "every", "into", "from", "by", "at", "as", "own"}


def slug(text: str, max_words: int = 3) -> str:
    """``"Backend implementation (API)"`` -> ``"backend-implementation-api"``: whole words, no
    filler (``"Review results and report"`` -> ``"review-results-report"``, never ``"...-and"``). A word is cut
    at 24 characters: a hash or token the writer pasted ("revoke key 9f86d0...") would make a subtask id longer
    than ids may be, and the plan would be refused."""
    words = [w[:24] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _SLUG_FILLER]
    return "-".join(words[:max_words]) or "step"


_LABEL_RE = re.compile(r"(?<!\s)\s*(?:[:;—–]|\s-\s)\s*")
_HEAD_CUT_RE = re.compile(
    r"(?<!\s)\s+(?:of|for|to|in|on|with|from|by|into|onto|across|covering|that|which|who|so|using|via|at|about|under|"
    r"after|before|when|where|while|because|per|as|without|between|against|inside|within|listing|showing|"
    r"containing|including|displaying|holding|tracking)\s+", re.IGNORECASE)
_PARTICLE_RE = re.compile(r"\s*(?:(?:fill|hand|plug|bring|phase|key|type)\s+in|(?:turn|switch)\s+on)\s+(?=\S)", re.IGNORECASE)
"""A phrasal verb opening a clause: its particle belongs to the verb ("Fill in the vendor questionnaire", "Turn on
audit logging on the cluster"), it is no preposition that ends the head or opens a place."""
_NAME_RE = re.compile(r"(?:(?<![\w-])|(?<=\b[a-z]-))[A-Z][a-z0-9]+(?:[ -][A-Z][a-z0-9]+)+\b")
"""A proper name (the Security Center page), also after a one-letter brand prefix (the e-Signature Security Notice):
its words are not the work's. Not the tail of a hyphenated name (X-Frame-Options, X-Content-Type-Options)."""
_COMPOUND_NAME_RE = re.compile(
    r"\b(?<![a-z0-9][-_])[a-z0-9]+(?:[-_][a-z0-9]+)+(?=(?:'s)?\s+(?:service|repository|repo|api|app|bot|job|jobs|deployment|cluster|"
    r"library|package|module|project|worker|workers|chart|image|database|db|queue|topic|bucket|team|tool|cli)\b)",
    re.IGNORECASE)


@remembered_text
def after_label(title: str) -> str:
    """The title without a short label before a colon (``Finance asks: who can approve ...`` -> ``who can
    approve ...``); a title whose colon ends it, or follows more than three words, is kept whole."""
    parts = _LABEL_RE.split(title.strip(), maxsplit=1)
    return parts[1] if len(parts) == 2 and len(parts[0].split()) <= 3 and parts[1].strip() else parts[0]


@remembered_text
def head_phrase(title: str) -> str:
    """The head of the first clause: a verb and its object, or a noun phrase, up to the first preposition.

    ``Thorough security review of the checkout service`` -> ``Thorough security review``; a short
    label before a colon is skipped (``Smoke test: secrets scan of X`` -> ``secrets scan``).
    """
    clause = re.split(r"[,.!?(\[]", after_label(title), maxsplit=1)[0].strip()
    particle = _PARTICLE_RE.match(clause)
    verb, rest = (clause[:particle.end()], clause[particle.end():]) if particle else ("", clause)
    # the cut needs a word before it: "Which services ..." is a question, not an empty head
    return f"{verb}{_HEAD_CUT_RE.split(f'{rest} ', maxsplit=1)[0]}".strip()


def strip_names(text: str, keep: Callable[[str], bool] = lambda _: False) -> str:
    """Drop proper names of two or more capitalised words (``Security Center``, ``Partner Portal``):
    the name of the thing worked on is not the kind of work. The first words of a sentence, and
    names that ``keep`` accepts (``GitHub Actions``), stay."""
    def drop(match: re.Match[str]) -> str:
        before = text[: match.start()].rstrip()
        if not before or before[-1] in ".!?:\n" or keep(match.group().lower()):
            return match.group()
        return " "

    return _COMPOUND_NAME_RE.sub(" ", _NAME_RE.sub(drop, text))  # the audit-log service, the release-bot repo


_PART_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                     "ten": 10}


def stated_parts(text: str, nouns: Iterable[str], places: Collection[str] = ()) -> int:
    """The largest count of parts the text states: ``its 6 features``, ``three modules (a, b, c)``.

    A count of ``places`` that a preposition puts after the change (``for the four onboarding screens``, ``on
    these three pages``) names where one change goes, not parts to make: it is not counted (``Implement the 4
    screens``, ``three new screens`` are)."""
    pattern = _count_pattern(tuple(nouns))
    counts = [int(n) if n.isdigit() else _PART_COUNT_WORDS[n.lower()] for definite, n, noun in pattern.findall(text)
              if not (definite and noun.lower() in places)]
    back = [int(n) if n.isdigit() else _PART_COUNT_WORDS[n.lower()] for n in _BACK_COUNT_RE.findall(text)]
    return max([*counts, *back, *_named_kinds(text, tuple(noun for noun in nouns if noun not in places))], default=0)


_BACK_COUNT_RE = re.compile(rf"\ball\s+(\d|{'|'.join(_PART_COUNT_WORDS)})(?:\s+of\s+them)?(?=\s*(?:[,.!?;:]|$|this\b|"
                            r"at\s+once\b|before\b|by\b|closed\b|done\b|fixed\b|shipped\b|delivered\b|live\b|"
                            r"in\s+parallel\b|together\b|need\b|must\b|should\b|are\b))", re.IGNORECASE)
"""A count the writer gives of the work just listed: "..., and finance wants a report. All three this sprint",
"Deliver all four before renewal"; not a count of things ("across all three regions")."""


_KIND = r"(?:[\w-]+\s+)?[\w-]+"
_PLACED_RE = re.compile(r"\b(?:to|on|in|into|for|across|at|from|of|with)\s+(?:(?:the|our|its|their|all)\s+)?\S*$",
                        re.IGNORECASE)


def _named_kinds(text: str, nouns: tuple[str, ...]) -> list[int]:
    """Counts of parts named before their one plural noun: ``the billing, support and reporting modules``,
    ``leave requests, expense claims, and performance reviews modules`` are three modules, as ``three modules
    (billing, support, reporting)`` are. Not where one change goes (``to the orders, invoices and customers
    services``), nor screens or pages (places, even without a preposition: one change on them)."""
    if not nouns or "," not in text:
        return []
    lowered = text.lower()
    if not any(noun.lower() in lowered for noun in nouns):
        return []  # no plural noun to name parts of: the list is not scanned at all
    pattern = _kinds_pattern(nouns)
    return [len(re.split(r",\s*(?:and\s+)?|\s+and\s+", found.group(1))) for found in pattern.finditer(text)
            if not _PLACED_RE.search(text[:found.start()] + found.group(1).split(",")[0].rsplit(" ", 1)[0])]


@functools.lru_cache(maxsize=8)
def _kinds_pattern(nouns: tuple[str, ...]) -> re.Pattern[str]:
    # at most 30 kinds before the noun: a longer list is counted as 30, and no start in a pasted list of
    # thousands scans the whole rest of it (a description of 15,000 characters took seconds)
    return re.compile(rf"\b({_KIND}(?:,\s+{_KIND}){{1,30}},?\s+and\s+{_KIND})\s+({'|'.join(map(re.escape, nouns))})\b",
                      re.IGNORECASE)


_NAMED_COUNT_RE = re.compile(rf"(?<!\bon the )(?<!\bin the )(?<!\bto the )(?<!\bat the )(?<!\bacross the )(?<!\bon our )"
                             rf"(?<!\bin our )(?<!\bto our )(?<!\bin all )(?<!\bon all )(?<!\bacross all )"
                             rf"\b(\d|{'|'.join(_PART_COUNT_WORDS)})\s+(?:[\w-]+\s+){{0,2}}([\w-]+s)\s*"
                             rf"(?:\(([^()\n]{{1,200}})\)|(?:\s+for\s+(?:the\s+)?[\w-]+)?:\s*([^.\n]{{1,300}}))",
                             re.IGNORECASE)
_EXAMPLES_RE = re.compile(r"\b(?:among\s+others|and\s+others|and\s+more|and\s+so\s+on|etc\b|e\.g\.|for\s+example|"
                          r"for\s+instance|such\s+as|including)", re.IGNORECASE)
"""Words that make a list a few examples of something larger ("axios, semver, follow-redirects among others")."""
_REFERENCE_ITEM_RE = re.compile(r"^\W*(?:#|[A-Z]+-)?\d+\W*$")
_SMALL_EDITS = frozenset({"typos", "strings", "words", "links", "labels", "colors", "colours", "icons", "fonts",
                          "characters", "spaces", "commas", "sentences", "options", "choices", "alternatives",
                          # the parts of one table, screen or setting: three filters (status, owner, due date)
                          "columns", "fields", "filters", "buttons", "tabs", "formats", "levels", "messages",
                          "variables", "vars", "values", "settings", "flags",
                          # what one upgrade or patch bumps: 5 packages (lodash, minimist, qs, ws, tar) are one bump's
                          "packages", "dependencies", "deps", "libraries", "libs", "gems", "crates", "plugins"})


def named_parts(text: str) -> list[str]:
    """The things a count names one by one: ``the three batch jobs (invoice, reminder, export)`` -> their
    names; not when the parentheses say something else (``4 decimals (risk rating: medium)``) or list
    references (``3 tickets (#49330, #49341, #49377)``), nor the places one change is made (``the footer
    on the three sites (main, careers, blog)``)."""
    best: list[str] = []
    if "(" not in text and ":" not in text:
        return best  # the common case, without the scan
    for match in _NAMED_COUNT_RE.finditer(text):
        count = match.group(1).lower()
        wanted = int(count) if count.isdigit() else _PART_COUNT_WORDS[count]
        listed = match.group(3) or match.group(4)
        if match.group(2).lower() in _SMALL_EDITS or re.search(r"\bor\s+[^,]*$", listed) or _EXAMPLES_RE.search(listed):
            # three typos are one edit; "Redis, Memcached or Valkey" are choices; "(axios, semver, follow-redirects
            # among others)" are examples of what a count holds, not its parts named one by one
            continue
        items = [item.strip() for item in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", listed) if item.strip()]
        if len(items) == wanted >= 2 and not any(_REFERENCE_ITEM_RE.match(item) or ":" in item for item in items) \
                and len(items) > len(best):
            best = items
    return best


@functools.lru_cache(maxsize=8)
def _count_pattern(nouns: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(_PART_COUNT_WORDS)
    return re.compile(rf"(?:\b((?:for|to|on|in|into|across|from|of|at)\s+(?:the|these|those|all))\s+)?"
                      rf"(?<![\d.])\b(\d{{1,2}}(?!\.\d)|{words})\s+(?:[a-z][\w-]*\s+){{0,2}}"  # not 3.12, a version
                      rf"({'|'.join(map(re.escape, nouns))})\b",
                      re.IGNORECASE)


_REFERENCE_RE = re.compile(r"(?:pattern|example|style|template|model)\s+(?:in|of|from)\s+$|(?:from|like|see|read|reads|"
                           r"following|mirroring|mirror|copying|as\s+in|similar\s+to|based\s+on|loaded\s+from|"
                           r"defined\s+in|described\s+in|documented\s+in|comes?\s+from|taken\s+from|background|context|"
                           r"for\s+reference|reference)[:,]?\s+(?:the\s+)?(?:[^\s,]+(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+))*$",
                           re.IGNORECASE)


def changed_files(text: str, files: Iterable[str]) -> list[str]:
    """The files a text asks to change: not those it only reads or points to as an example
    (``following the pattern in X``, ``loaded from a.json and b.json``)."""
    kept = []
    for name in files:
        spots = [m.start() for m in re.finditer(re.escape(name), text)]
        if not spots or any(not _REFERENCE_RE.search(text[max(0, spot - 60): spot]) for spot in spots):
            kept.append(name)
    return kept


_INVESTIGATE_RE = re.compile(r"\b(?:investigate|diagnose|debug|troubleshoot|look into|check|to reproduce|to repro|"
                             r"repro|reproduction|repro steps|str|possible causes|things to check|candidates)\b[^.:\n]{0,40}:",
                             re.IGNORECASE)


def without_investigation(text: str) -> str:
    """The text without a list of places to look (``Investigate: 1) ... 4) ...``): they are
    steps of finding one cause, not separate parts of work."""
    match = _INVESTIGATE_RE.search(text)
    if not match:
        return text
    rest = text[match.end():]
    end = re.search(r"(?<=[.!?])\s+(?!\d{1,2}[.)])(?=[A-Z])(?![^.]*\d{1,2}[.)])", rest)
    return text[: match.start()] + (rest[end.end():] if end else "")



_PIECE_SPLIT_RE = re.compile(r"((?<=[.;!?])\s+|,\s+|\n)")
_NARRATIVE_RE = re.compile(
    # (not a step had done by others: "then get it deployed", "have this reviewed")
    r"(?<!\bget\s)(?<!\bhave\s)\b(?:we|they|someone|somebody|he|she|i|you|it|that|this)\s+(?:\w+ly\s+|had\s+|have\s+|"
    r"then\s+)?"
    r"(?!need|feed|seed|embed)[a-z]{3,}ed\b"  # we implemented, someone deployed
    r"|^(?:and\s+)?(?!need|feed|seed|embed|speed|proceed|exceed|succeed)[a-z]{4,}ed\s+(?:it|them|this|that)\b"  # deployed it
    r"|\b(?:was|were|has\s+been|have\s+been|had\s+been|is\s+already|are\s+already)\s+(?:\w+ly\s+)?[a-z]+(?:ed|en|wn)\b"
    r"|^(?:the|a|an|our|its)\s+[\w\s./-]{1,40}?\s(?:is|are)\s+(?:merged|done|finished|complete|completed|approved|"
    r"written|ready|in\s+place)\b"  # the changelog is merged: a precondition, not work
    r"|\b(?:reintroduced|reverted|regressed|broke|reopened)\b",
    re.IGNORECASE)


_BECAUSE_RE = re.compile(r"(?<!\s)\s+(?:because|since)\s+(?:it|they|we|the\s+\w+)\s[^.;!?\n]*", re.IGNORECASE)


@remembered_text
def without_narrative(text: str) -> str:
    """The text without what already happened (R3): ``In March we implemented a fix, deployed it to
    production``, ``the changelog is merged``. Such pieces tell history or preconditions, not work."""
    text = _BECAUSE_RE.sub("", text)  # "takes 20 minutes because it rebuilds the image": why, not what to do
    if not _NARRATIVE_RE.search(text):
        return text
    pieces = _PIECE_SPLIT_RE.split(text)
    kept = [piece for index, piece in enumerate(pieces) if index % 2 or not _NARRATIVE_RE.search(piece.strip())]
    return "".join(kept)


_PLACE_RE = re.compile(r"\s(?:in|on|to|into|onto|behind|inside|within|under)\s+(?:the\s+|our\s+|a\s+|an\s+|its\s+|each\s+|"
                       r"every\s+)?([^,.;:!?()\[\]]+?)(?=\s+(?:of|for|to|in|on|into|with|from|by|so|that|which|when|"
                       r"where|while|because|using|via|at|as|behind|under|and|or|after|before|if|unless)\s|[,.;:!?()]|$)",
                       re.IGNORECASE)


def place_phrase(title: str) -> str:
    """Where the first clause's work is done: the last ``in / on / to / behind ...`` phrase
    (``Show the scan date on the repository detail page`` -> ``repository detail page``)."""
    clause = re.split(r"[,.;!?(\[]|\s[-—–]\s", title.strip(), maxsplit=1)[0]
    particle = _PARTICLE_RE.match(clause)  # "Turn on audit logging": what is turned on is no place
    places = _PLACE_RE.findall(clause[particle.end() - 1:] if particle else clause)
    return places[-1].strip() if places else ""


_PIECE_CUT_RE = re.compile(r"([.;!?](?:\s+|$)|,\s*(?:and\s+|then\s+)?|\s+(?:and then|and|then|with|plus|\+|&)\s+|\n+)",
                           re.IGNORECASE)


def clause_pieces(text: str) -> list[tuple[str, str]]:
    """The clauses of ``text`` (as :func:`clauses` cuts them), each with the separator before it
    (``""`` for the first), so that a piece can be joined back to the one before it as written."""
    parts = _PIECE_CUT_RE.split(text)
    pieces: list[tuple[str, str]] = []
    separator = ""
    for index, part in enumerate(parts):
        if index % 2:
            separator = part
        elif part.strip():
            pieces.append((separator if pieces else "", part.strip()))
    return pieces


_BOT_BODY_RE = re.compile(r"dependabot\s+will\s+resolve|@dependabot\b|dependabot\s+commands|this\s+pr\s+contains\s+the\s+"
                          r"following\s+updates|generated\s+by\s+(?:mend\s+)?renovate|renovate\s+bot|snyk\s+has\s+created\s+"
                          r"this\s+pr", re.IGNORECASE)
"""What a dependency bot writes in every pull request it opens (Dependabot, Renovate, Snyk)."""
_BOT_SECTION_RE = re.compile(r"^\s*(?:#+\s*|\*\*|<summary>\s*)?(?:release\s+notes|changelog|change\s+log|commits|"
                             r"sourced\s+from\b|dependabot\s+commands|configuration)\b", re.IGNORECASE)
"""A section a bot quotes or explains (upstream release notes, its commits, its commands and settings): up to the next
blank line."""
_BOT_LINE_RE = re.compile(r"^\s*(?:>|\||<|-\s+`@|-\s+\[\s?\]|[0-9a-f]{7,40}\s)", re.IGNORECASE)
"""A quoted line, a table row, an HTML tag, a bot command or a checkbox of the bot's."""
_BOT_SENTENCE_RE = re.compile(r"\b(?:dependabot|renovate|rebas\w*|automerge|this\s+pr\s+(?:was|is|will)|"
                              r"you\s+won't\s+be\s+reminded|check\s+this\s+box)\b", re.IGNORECASE)
"""A sentence of the bot's own ("Dependabot will resolve any conflicts ...", "Rebasing: whenever ...")."""


def without_bot_text(text: str) -> str:
    """A dependency bot's pull request without what the bot says about it (A): the upstream release notes and commits it
    quotes, its commands, settings and boilerplate ("Dependabot will resolve any conflicts with this PR ...", "You can
    trigger a rebase ..."). What a person added ("CI is green except the flaky e2e spec. Please review and merge.")
    stays; text no bot wrote is returned as it is."""
    if not _BOT_BODY_RE.search(text):
        return text
    kept: list[str] = []
    quoting = False
    for line in text.splitlines():
        if _BOT_SECTION_RE.match(line):
            quoting = True
        elif not line.strip():
            quoting = False
        if quoting or _BOT_LINE_RE.match(line):
            continue
        kept.append(" ".join(sentence for sentence in re.split(r"(?<=[.!?])\s+", line)
                             if not _BOT_SENTENCE_RE.search(sentence)) if _BOT_SENTENCE_RE.search(line) else line)
    return "\n".join(kept)


_RECORD_RE = re.compile(
    r"^(?:and\s+|also\s+|then\s+|please\s+)?(?:document|record|write\s+up|note\s+down|log|save|keep|attach|file|store|"
    r"upload)\s+(?:the\s+|a\s+|an\s+|our\s+|its\s+|their\s+|any\s+|all\s+)?(?:[\w-]+\s+)?(?:assessment|findings?|"
    r"results?|outcomes?|decisions?|evidence|screenshots?|proof|rationale|analysis|conclusions?)\b"
    # "write the evidence for the corrective action plan": evidence written is the record, whatever the verb
    r"|^(?:and\s+|also\s+|then\s+|please\s+)?(?:write|prepare)\s+(?:the\s+|our\s+|its\s+|their\s+|any\s+)?"
    r"(?:[\w-]+\s+)?(?:evidence|proof)(?=\s*$|\s*[,.;:!?)]|\s+(?:for|of|that|to|in|on|as|and|from|with)\b)"  # no tool
    r"|\bas\s+(?:audit\s+)?evidence\b|\bfor\s+the\s+(?:[\w-]+\s+){0,3}(?:evidence|audit\s+trail)\b"
    r"|^(?:and\s+|also\s+|then\s+|please\s+)?update\s+(?:the\s+|our\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,2}"
    r"(?:runbook|playbook)s?\b", re.IGNORECASE)


def keeps_record(clause: str) -> bool:
    """Whether a clause keeps the record of the work it ends ("document the assessment for the SOC 2 evidence
    folder", "save screenshots as evidence", "record the outcome"): the work's own trace, neither documentation's
    part nor a separate action."""
    return bool(_RECORD_RE.search(clause.strip()))


def without_records(text: str) -> str:
    """``text`` without the clauses that keep the record of the work (:func:`keeps_record`)."""
    if not _RECORD_RE.search(text):
        return text
    return "".join(f"{separator}{piece}" for separator, piece in clause_pieces(text) if not keeps_record(piece))


_NOTICED_RE = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=\n))(?:our\s+|the\s+)?(?:[A-Za-z][\w-]*\s+){0,2}?(?:flagged|reported|noticed|detected|"
    r"warns|warned|alerted|raised)\s[^.!?\n]*(?:[.!?]|$)", re.IGNORECASE | re.MULTILINE)


_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d,]\d|\.\d)")


def plain_numbers(text: str) -> str:
    """``text`` with the thousands commas of its numbers dropped ("all 2,300 laptops" -> "all 2300 laptops"): a
    number's comma separates no pieces, items or clauses (a list of numbers, "3, 4 and 5", keeps its commas)."""
    return _THOUSANDS_RE.sub(lambda found: found.group(1) + found.group(2).replace(",", ""), text) \
        if "," in text else text


def without_notice(text: str) -> str:
    """``text`` without the sentences that tell who noticed the work's cause ("Security flagged the openssl in our
    image.", "Monitoring warns the certificate expires in 15 days."): why the work came, not a domain of its own."""
    return _NOTICED_RE.sub(" ", text) if _NOTICED_RE.search(text) else text


_WORK_NOUNS_RE = re.compile(
    r"\b(?:audit|review|docs?|documentation|tests?|testing|deploy(?:ment)?|rollout|release|scan|monitoring|alerting|"
    r"dashboards?|runbooks?|migration|backfill|pentest|threat model)\b", re.IGNORECASE)


_CONTINGENCY_RE = re.compile(
    r"^\s*(?:(?:roll-?\s?back|back-?\s?out|fallback)\s+plan\s*:"
    r"|(?:if|when|should|in\s+case)\b[^.;\n]{0,80}?\b(?:roll\s*-?back|revert|back\s+out)\b"
    r"|(?:and\s+|or\s+|otherwise\s+)?(?:roll\s*-?back|revert|back\s+out)\b[^.;\n]{0,80}?\b(?:if|when|unless|in\s+case|"
    r"should|on\s+(?:failure|error))\b"
    r"|(?:and\s+|or\s+)?(?:halt|stop|pause|abort)(?:\s+(?:it|there|everything|the\s+(?:roll-?\s?out|deploy\w*|release|"
    r"upgrade|migration|push)))?\s+(?:if|when|as\s+soon\s+as|should|on)\b)", re.IGNORECASE)


def contingency(clause: str) -> bool:
    """Whether a clause is a rollback kept for failure ("Roll back from the snapshot if the smoke tests fail",
    "Rollback plan: turn the read flag off"), or a stop condition of a rollout ("halt if the crash rate goes above
    1%"): part of the change it guards, neither a step of work nor another master's part. Not a rollback asked for
    ("Roll back the audit-log service"), nor a stop that is work ("Stop the old cron job")."""
    return bool(_CONTINGENCY_RE.match(clause))


def names_work(piece: str) -> bool:
    """Whether a piece after "with" is a part of work (with security audit and docs), not a qualifier of
    the clause before it (every repository with production access)."""
    return bool(_WORK_NOUNS_RE.search(piece))


def work_clauses(text: str) -> list[str]:
    """:func:`clauses`, with a "with ..." piece that names no work kept in the clause before it."""
    found: list[str] = []
    for separator, piece in clause_pieces(text):
        if found and separator.strip().lower() == "with" and not names_work(piece):
            found[-1] += f" with {piece}"
        else:
            found.append(piece)
    return found


def verb_series(title: str, verbs: Collection[str]) -> list[str]:
    """The verbs of a title that opens with a series of them sharing one object ("Design, build and roll
    out the new service", "Build and deploy X"): each is a step of the work."""
    match = _SERIES_RE.match(title)
    if not match:
        return []
    found = [verb.strip().lower() for verb in re.split(r",\s*(?:and\s+)?|\s+and\s+", match.group(1))]
    return found if all(verb in verbs or verb.split()[0] in verbs for verb in found) else []


_VERB_WORD = r"[A-Za-z-]+(?:\s+(?:out|up|back|down))?"
_SERIES_RE = re.compile(rf"^\s*({_VERB_WORD}(?:\s*,\s*{_VERB_WORD})*\s*,?\s+and\s+{_VERB_WORD})\s")


_TICKET_KEY_RE = re.compile(r"^\s*(?:(?:\(?[A-Z][A-Z0-9]{1,9}-\d+\)?|#\d+)\s*[:\-–—]?\s+)+(?=\S)")
_REPLY_RE = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg)\s*:\s*)+(?=\S)", re.IGNORECASE)
_ASKED_RE = re.compile(r"(?:^|[,;.!?]\s*|\s[-–—]\s)(?:(?:can|could|would)\s+(?:you|we|someone|somebody|anyone|u)\s+"
                       r"(?:please\s+|pls\s+)?|pls\s+|please\s+)(?=[a-z])", re.IGNORECASE)
_KNOW_RE = re.compile(r"(?:^|[,;.!?:]\s*[\"“]?)(?:(?:we|i)\s+(?:really\s+)?(?:need|want|would\s+like|'d\s+like)\s+to\s+know|"
                      r"need\s+to\s+know|do\s+(?:we|you)\s+know|does\s+(?:anyone|anybody|someone)\s+know)\s+"
                      r"(?=(?:which|what|how\s+many|who|where|(?P<every>every|all|each))\b)", re.IGNORECASE)
"""Asking to know ("we need to know which services ...", "do we know how many ..."): the question is the work;
asking to know every one of a kind ("I want to know every SaaS we pay for") asks for their list."""
_INTERJECTION_RE = re.compile(r"^\s*(?:u+h+|u+m+|h+m+|ugh+|oo+ps|hey+|hi|yo|ok|okay|so|fyi|psst|heads\s+up|quick\s+q(?:uestion)?)"
                              r"\b[\s,:!.-]*(?=\w)", re.IGNORECASE)
_TAG_RE = re.compile(r"^\s*\[([^\]\n]{1,30})\]\s*[:\-–—]?\s*(?=\S)")
_REQUESTER_RE = re.compile(
    r"^\s*(?:(?:for|from)\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+)?\s+(?:team|folks|squad)\s*[:,\-–—]|"
    r"(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:team|folks|squad|ops)\s+(?:asked|asks?|wants?|needs?|requested|would\s+like)"
    r"(?:\s+(?:us\s+)?(?:for|to)\b)?\s*[:,\-–—]?)\s*(?=\S)", re.IGNORECASE)
"""Who asks or whom it is for ("For the security team: ...", "Platform team wants ...", "ops asked for ..."): a team
named by its trade is no kind of work; what follows is."""
_COMMIT_RE = re.compile(r"^\s*(?P<kind>feat|fix|chore|refactor|perf|docs|test|tests|style|build|ci|revert)"
                        r"\((?P<scope>[\w./-]{1,30})\)!?:\s*(?=\S)", re.IGNORECASE)
"""A conventional commit's ``fix(auth): ...``: its scope names the part of the code, as a label does; only ``ci`` says
the kind of work (``build(deps)`` is how Dependabot titles a library bump, ``fix`` any repair)."""


@remembered_text
def strip_ticket_key(title: str) -> str:
    """A tracker's key says which ticket, not what work: ``OPS-3310 Decommission the old VPN`` ->
    ``Decommission the old VPN``; so do a mail's ``RE:`` / ``Fwd:`` and a chat's ``uhh``, ``fyi``; a bracketed tag is a label:
    ``[infra] Bump the runner image`` -> ``infra: Bump the runner image`` (a known type there still routes,
    as a coordinator's prefix does)."""
    # in any order and any number ("RE: OPS-12 ...", "fyi Fwd: RE: ..."): until none is left, so that reading a
    # title twice reads the same title
    while (bare := _INTERJECTION_RE.sub("", _REPLY_RE.sub("", _TICKET_KEY_RE.sub("", title, count=1), count=1),
                                        count=1)) != title:
        title = bare
    title = re.sub(r"(?<=:)\s*(?:pls|please)\s+", " ", title, count=1, flags=re.IGNORECASE)  # "before launch: pls add ..."
    title = _TAG_RE.sub(lambda m: f"{m.group(1).strip()}: ", title, count=1)
    title = _REQUESTER_RE.sub("", title, count=1)
    title = _COMMIT_RE.sub(lambda m: f"{m.group('kind' if m.group('kind').lower() == 'ci' else 'scope')}: ", title, count=1)
    # a request asked in the title is its work: "can someone cut 3.4.1 ...", "so many dead repos, can we get a list ..."
    asked = _ASKED_RE.search(title) or _KNOW_RE.search(title)
    if asked and asked.end() < len(title):
        before = title[: asked.start()].strip(" ,;-")
        listed = "list " if asked.re is _KNOW_RE and asked.group("every") else ""
        return listed + title[asked.end():].strip() + (f" ({before})" if before else "")
    return title


_TYPO_WORD_RE = re.compile(r"\b[A-Za-z]{5,}\b")


class TypoFixer:
    """Common slips of the keyboard in the words that decide (``Whcih services ...``, ``secuirty``,
    ``implment``): two letters swapped (words of five letters or more) or one inner letter dropped
    (eight or more), mapped back to the known word. A word that is itself known, or a slip that could
    come from two known words, is left as written."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        known = {word.lower() for word in vocabulary if word.isalpha()}
        fixes: dict[str, str | None] = {}
        for word in known:
            slips = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)} \
                if len(word) >= 5 else set()
            if len(word) >= 8:  # not the last letter ("asset" is not "assets"); not short ("serves" is not "servers")
                slips |= {word[:i] + word[i + 1:] for i in range(1, len(word) - 1)}
            for slip in slips - known:
                fixes[slip] = None if fixes.get(slip, word) != word else word
        self._fixes = {slip: word for slip, word in fixes.items() if word}

    def __call__(self, text: str) -> str:
        if not self._fixes:
            return text
        return _TYPO_WORD_RE.sub(self._fix, text)

    def _fix(self, match: re.Match[str]) -> str:
        written = match.group()
        word = self._fixes.get(written.lower())
        if word is None or (written.isupper() and len(written) > 1):
            return written  # an acronym in capitals is a name
        return word.capitalize() if written[0].isupper() else word


_NOT_WORK_OPENERS = frozenset(re.findall(r"\S+",
    "a an the this that these those it its they them their we our you your i my he she his her there here who what "
    "which when where while whether if unless until once since because as so then than also only just even still "
    "maybe probably currently already both each every all any some no not nor and or but for of to in on at by with "
    "from into onto over under about above below after before during within without between through across around "
    "against along among behind beyond via per like including except despite is are was were be been being has have "
    "had do does did can could should would will shall may might must need needs want wants please thanks thank "
    "open click go navigate reload refresh type enter select scroll press log sign wait see note visit tap hover "
    "paste use keep follow ask ping let contact make ensure avoid try feel hope think know cc fyi "
    "post announce notify tell email message share send brief remind"))
"""First words of a clause that do not start a unit of work: function words, what a user does to
reproduce a bug (open, click, reload), what one is asked to keep in mind (see, note, use the existing ...),
and telling people about the work (post the release notes, brief the testers)."""
_IMPERATIVE_RE = re.compile(
    r"^([a-z][a-z-]{2,})(?:\s+(?:up|down|out|off|over|back|away))?\s+(?:the|a|an|all|every|each|its|our|their|any|"
    r"who|what|which|this|that|these|those|\d+(?![\d.]*\s*(?:→|->|=>|⇒|to\s)\s*v?\d))\b")
"""A verb and its object; not "it" or "them": "store it in Vault", "restart it" go on with the thing made before; not
a name and its versions ("Vite 4 -> 5", "Node 18 to 20": what one verb before it upgrades)."""
_ACRONYM_RE = re.compile(r"\s*[A-Z][A-Z0-9]+\b")
"""A piece opening with a name in capitals ("SOC 2 CC6.2 control", "CVSS 9.1"): a name, not a verb (unless the
whole piece is in capitals)."""


def parallel_actions(pieces: Iterable[str], verbs: Iterable[str], series: bool = False) -> list[str]:
    """The pieces of a list (or the clauses of one sentence) that are units of work. A piece opening with a
    known action verb is one; when two or more are, a piece in the same shape is one too ("freeze a test
    environment", "tear down the EC2 instances", "brief the testers"): a lowercase verb, not a function word,
    not a third person's or a past form ("uses the", "deployed the"), followed by its object. With ``series``
    (the caller knows no one deliverable is named), no known verb is needed when every piece, three or more,
    has that shape and none goes on with "it" ("Freeze the IAM roles, export the access logs, set up a
    read-only account and collect the contracts"): a series of requests."""
    pieces = list(pieces)
    pattern = _verbs_pattern(tuple(verbs))
    known = [bool(pattern.match(piece)) for piece in pieces]
    found = [piece for piece, is_known in zip(pieces, known, strict=True) if is_known or request_shaped(piece)]
    if sum(known) >= 2 or (series and len(pieces) >= 3 and len(found) == len(pieces) and not any(
            _CONTINUED_RE.search(piece) for piece in pieces)):
        return found
    return [piece for piece, is_known in zip(pieces, known, strict=True) if is_known]


_TITLE_VERB_RE = re.compile(r"^([a-z][a-z-]{2,})(?:\s+(?:up|down|out|off|over|back|away|in))?\s+"
                            r"(?![a-z-]+ing\b|(?!its\b|this\b|los\b|las\b|les\b|des\b)[a-z-]+[^s]s\b)\S")
"""A verb and its object; not a noun compound ("audit logging", "release notes"); a plural article ("los", "les") opens
an object."""


@remembered
def title_pieces(title: str) -> list[str]:
    """A title cut at its commas, "and" and "then": ``Fix the XSS and ship it`` -> ``Fix the XSS``, ``ship it``."""
    # "y", "et", "und", "e": "and" as mixed-language writers join their requests
    return [piece.strip() for piece in re.split(r",\s*(?:and\s+|then\s+)?|(?<!\s)\s+(?:and|then|y|et|und|e)\s+",
                                                title.strip()) if piece.strip()]


_ORDINAL_RE = re.compile(r"^(?:first|firstly|then|next|finally|lastly|afterwards|second|secondly|third|thirdly)\b,?\s*")


def title_requests(title: str, verbs: Collection[str], making: Collection[str] | None = None) -> list[str]:
    """The verbs of a title that asks for several pieces of work, each with its own object ("Set up the staging
    environment, seed it with data, and give QA access" -> set up, seed, give): two of them known verbs, the
    others in a request's shape; distinct. Empty when fewer than two are known (a list of nouns, "A, B and C"; "Set
    up Vault with the KV engine, AppRole auth and audit logging"). Given the ``making`` verbs, a piece that goes
    on with "it" ("reboot it", "fix it") is a step on what the first piece works on, no piece of its own, unless
    the first piece makes something (a making verb, or "the new ...": "seed it with data" is work on what "Set
    up the new staging environment" made)."""
    found: list[str] = []
    known = 0
    made = False
    for piece in title_pieces(title.lower()):
        piece = _ORDINAL_RE.sub("", piece.strip())  # "First reproduce the crash": the verb is "reproduce"
        shaped = _TITLE_VERB_RE.match(piece)
        word = shaped.group(1) if shaped else ""
        if not word or word in found or word in _NOT_WORK_OPENERS:
            continue
        if making is not None and found and _CONTINUED_RE.match(piece) and not made:
            continue  # "Drain node-7, ..., reboot it": a step on what the first piece works on (not what it makes)
        made = made or (not found and (word in (making or ()) or bool(re.search(r"\bnew\b", piece))))
        if word in verbs or " ".join(piece.split()[:2]) in verbs:
            known += 1
        elif _inflected(word):
            continue
        found.append(word)
    return found if known >= 2 else []


_CONTINUED_RE = re.compile(r"^\S+(?:\s+(?:up|down|out|off|over|back|away))?\s+(?:it|them)\b", re.IGNORECASE)
"""A step on what the one before took or made ("restore it to staging"): the pieces are one procedure."""


def continued(piece: str) -> bool:
    """Whether ``piece`` goes on with "it" or "them" ("tag it", "restore them to staging"): a step on what the piece
    before it took or made, not a thing of its own."""
    return bool(_CONTINUED_RE.match(piece.strip()))


def request_shaped(piece: str) -> bool:
    """Whether ``piece`` has a request's shape: a lowercase verb (no function word, no third person's or past
    form) and its object."""
    shaped = _IMPERATIVE_RE.match(re.sub(r"^(?:to|also|then|and)\s+", "", piece.strip().lower()))
    if shaped and _ACRONYM_RE.match(piece) and not piece.isupper():
        return False  # "SOC 2 CC6.2 control": an acronym in capitals is a name
    word = shaped.group(1) if shaped else ""
    return bool(word) and word not in _NOT_WORK_OPENERS and not _inflected(word)


def _inflected(word: str) -> bool:
    """A past, a gerund or a third person's form (deployed, deploying, deploys): not a request's verb."""
    return word.endswith(("ed", "ing")) or (word.endswith("s") and not word.endswith("ss"))


_GREETING_RE = re.compile(r"^\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|morning|greetings|hiya|yo)\b"
                          r"[^\n]{0,40}$", re.IGNORECASE)
_SIGN_OFF_RE = re.compile(r"^\s*(?:thanks|thank\s+you|thx|ty|cheers|best|best\s+regards|kind\s+regards|warm\s+regards|"
                          r"regards|br|many\s+thanks|thanks\s+a\s+lot|thanks\s+in\s+advance|sincerely|yours(?:\s+\w+)?|"
                          r"cordially|rgds|sent\s+from\s+my)\b[^\n]{0,30}$", re.IGNORECASE)
_QUOTE_HEADER_RE = re.compile(r"^\s*(?:-{2,}\s*(?:original|forwarded)\s+message\s*-{2,}|begin\s+forwarded\s+message:?|"
                              r"on\s[^\n]{3,80}\bwrote:|from:\s[^\n]*|>[^\n]*)\s*$", re.IGNORECASE)
_DISCLAIMER_RE = re.compile(r"\b(?:intended\s+recipient|confidentiality\s+notice|disclaimer|this\s+e-?mail\s+(?:and|is|may|"
                            r"has)|scanned\s+for\s+viruses|unsubscribe)\b", re.IGNORECASE)
_REQUEST_WORDS_RE = re.compile(r"\?|\b(?:please|pls|can\s+(?:you|someone|we)|could\s+(?:you|someone|we)|need|needs|"
                               r"must|shall|should|would\s+like)\b", re.IGNORECASE)


def without_email(text: str) -> str:
    """A pasted e-mail's request without its chrome: greetings, the sign-off and signature after it, a
    confidentiality notice, and a quoted or forwarded earlier message (its "Original Message" header,
    ``On ... wrote:``, ``> `` lines). What the earlier message asks is kept only when the new part asks
    nothing ("Fwd:" with no words of its own). Text that is no e-mail comes back as it was."""
    lines = text.split("\n")
    greeted = bool(lines) and bool(_GREETING_RE.match(lines[0]))
    signed = any(_SIGN_OFF_RE.match(line) for line in lines[1:])
    quoted = next((i for i, line in enumerate(lines) if _QUOTE_HEADER_RE.match(line)), None)
    if not (greeted or signed or quoted is not None) or "\n" not in text.strip():
        return text
    own = lines[:quoted] if quoted is not None else lines
    cut = next((i for i, line in enumerate(own) if i and _SIGN_OFF_RE.match(line)), len(own))
    kept = [line for line in own[:cut] if not _GREETING_RE.match(line)]
    message = "\n\n".join(paragraph for paragraph in "\n".join(kept).split("\n\n") if not _DISCLAIMER_RE.search(paragraph))
    if quoted is not None and not _REQUEST_WORDS_RE.search(message):
        earlier = [re.sub(r"^\s*>\s?", "", line) for line in lines[quoted:]
                   if not _QUOTE_HEADER_RE.match(line) or line.lstrip().startswith(">")]
        earlier = [line for line in earlier if not re.match(r"^\s*(?:from|sent|to|cc|subject|date):", line, re.IGNORECASE)]
        message = f"{message}\n{without_email(chr(10).join(earlier))}"
    return message.strip() or text


_NOMINALISED = {
    "deployment": "deploy", "implementation": "implement", "remediation": "remediate", "removal": "remove",
    "creation": "create", "installation": "install", "configuration": "configure", "migration": "migrate",
    "development": "develop", "provision": "provide", "provisioning": "provision", "revocation": "revoke",
    "withdrawal": "withdraw", "rotation": "rotate", "decommissioning": "decommission", "replacement": "replace",
    "integration": "integrate", "establishment": "establish", "preparation": "prepare", "documentation": "document",
    "analysis": "analyse", "assessment": "assess", "modernisation": "modernise", "modernization": "modernize",
    "publication": "publish", "delivery": "deliver", "enhancement": "enhance", "extension": "extend",
    "automation": "automate", "optimisation": "optimise", "optimization": "optimize", "restoration": "restore",
    "recovery": "recover", "retirement": "retire", "archival": "archive", "deletion": "delete", "encryption": "encrypt",
    "hardening": "harden", "translation": "translate", "compilation": "compile", "registration": "register",
    "verification": "verify", "validation": "validate", "investigation": "investigate", "correction": "correct",
    "resolution": "resolve", "procurement": "procure", "setup": "set up", "set-up": "set up", "upgrade": "upgrade",
    "review": "review", "audit": "audit", "update": "update", "design": "design", "release": "release",
    "rollout": "roll out", "roll-out": "roll out", "redesign": "redesign", "refactoring": "refactor",
    "consolidation": "consolidate", "conversion": "convert", "introduction": "introduce", "adoption": "adopt",
    "amendment": "update", "modification": "update", "alteration": "update", "adjustment": "update",
    "addition": "add", "improvement": "improve", "expansion": "extend", "maintenance": "maintain",
    "restart": "restart", "reboot": "reboot", "increase": "increase", "reduction": "reduce", "patching": "patch",
}
"""Formal titles name the work by a noun (``Deployment of release 2.4``, ``Withdrawal of access rights``): the
verb it stands for, which the routing rules read (``Provision of`` is a supply, ``Provisioning of`` cicd's)."""
_NOMINAL_TITLE_RE = re.compile(rf"^(\s*(?:the\s+)?)({'|'.join(map(re.escape, _NOMINALISED))})\s+of\s+", re.IGNORECASE)


_REQUEST_WRAPPER_RE = re.compile(r"^\s*(?:a\s+|our\s+)?(?:request|requests|ask)\s+(?:of|for)\s+(?:the\s+|a\s+|an\s+)?",
                                 re.IGNORECASE)
"""``Request of the security scan for all repositories``: the request is the scan."""


def verbal_title(title: str) -> str:
    """``Deployment of release 2.4 to production`` -> ``Deploy release 2.4 to production``; ``Request for a
    security scan of X`` -> ``security scan of X``."""
    if wrapped := _REQUEST_WRAPPER_RE.match(title):
        title = title[wrapped.end():]
    match = _NOMINAL_TITLE_RE.match(title)
    if not match:
        return title
    verb = _NOMINALISED[match.group(2).lower()]
    return f"{verb.capitalize() if match.group(2)[0].isupper() else verb} {title[match.end():]}"


_FORMAL_RE = re.compile(r"\b(?:the\s+)?(?:contractor|supplier|vendor|provider|department|authority|agency|bidder|"
                        r"service\s+provider)\s+(?:shall|must|will|is\s+(?:required|requested|expected)\s+to)\s+"
                        r"(?:be\s+required\s+to\s+)?|\bit\s+is\s+requested\s+that\s+", re.IGNORECASE)


def without_formalities(text: str) -> str:
    """Formal requirements as the requests they are: ``The Contractor shall migrate the records`` ->
    ``migrate the records`` (so that its verb opens the clause, as a request's does)."""
    return _FORMAL_RE.sub("", text)
