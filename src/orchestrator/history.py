"""What a deployment's own queue teaches the router: where people sent tasks like this one.

Real queues keep their finished tasks with ``assigned_to``. When the rules are unsure (a tie or a
narrow margin, or no routing word at all), the masters of the most similar earlier tasks break
the tie; they never outvote a clear rule, except a person's word on a near-identical task
(:data:`SAME_TASK`). Three kinds of example, strongest last:

- *history*: a task someone other than this daemon assigned (a person, a script, the coordinator);
  the daemon's own unchanged decisions are left out, or history would only echo the rules;
- *correction*: a task this daemon routed that a person then moved to another master (the queue
  entry keeps our decision in ``routed_to``); the daemon also remembers it in
  ``orchestrator/state/routing-corrections.json`` so it outlives the queue's pruning;
- *override*: an example a person wrote in ``routing-overrides.json`` in the coordination folder.

Pure: examples in, a :class:`Vote` out. Similarity is the cosine of idf-weighted word counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.intake import ASSIGNED_BY, Changes
from orchestrator.models import MASTERS, normalize_master
from orchestrator.queue_edits import planned_instead_of, was_planned

WEIGHTS = {"history": 1.0, "correction": 2.0, "override": 3.0}
NEIGHBOURS = 5
MIN_SIMILARITY = 0.3
"""Below this, a finished task shares too little with the new one to say anything about it."""
MAX_OVERRIDES = 2_000
"""Examples read from ``routing-overrides.json``: every decision the rules are unsure of indexes them
all (100,000 took 3 s a pass, the daemon standing still); a person's list is far shorter."""
MAX_PERSONS_WORDS = 2_000
"""Corrections :meth:`History.persons_word` reads, the newest: it indexes them for every task the daemon decides
(20,000 took 1.8 s a pass of 20 tasks, 6 s profiled, where the rules alone took 0.3 s); older ones still break ties."""
SAME_TASK = 0.8
"""A person's correction or override at least this similar to a new task is a word on that task itself: it
decides even where the rules are sure, since they would repeat the mistake the person corrected (a second
new user moved a flaky test to cicd, and the next such task went to security again, the rules "sure")."""
MIN_SUPPORT = 0.6
"""The winning master's summed, weighted similarity must reach this, and beat the next by half again."""
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "its", "of",
    "on", "or", "our", "so", "that", "the", "their", "this", "to", "up", "we", "with", "all", "any", "each",
    "new", "please", "should", "must", "can", "will", "not", "no", "yes", "do", "does", "make", "add", "use",
    "via", "per"
})
_WORD = re.compile(r"[a-z][a-z0-9]+")
_DIRECTION = r"(?:(?:north|south)(?:east|west|central)?|east|west|central)"
_INSTANCE = re.compile("|".join((
    rf"\b(?:us|eu|ap|sa|ca|me|af|il|cn|mx)(?:-gov|-iso)?-{_DIRECTION}-\d+\b",  # AWS regions: us-east-1
    rf"\b(?:us|europe|asia|australia|northamerica|southamerica|me|africa)-{_DIRECTION}\d+\b",  # GCP: europe-west4
    rf"\b{_DIRECTION}(?:us|europe|asia)\d?\b",  # Azure: eastus2, westeurope
    rf"\b(?:uk|japan|australia|korea|canada|france|germany|india|brazil|switzerland|norway|uae){_DIRECTION}\d?\b",
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|internal|local|lan|corp|cloud|example)\b",  # hostnames
    r"\bv\d+(?:\.\d+)*\b",  # versions: v2, v1.24.3 (bare numbers are no words anyway)
    r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}(?:-[0-9a-f]+)*\b",  # hashes, uuids, a cloud's resource ids
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?|(?:mon|tues|wednes|thurs|fri|satur|sun)day|q[1-4])\b",  # dates
)))
"""What varies between instances of one kind of task (the same incident in another region, on another host, of
another version, ticket or day), read as nothing: two such tasks are the same task to :data:`SAME_TASK`. Numbers
are no words already (a ticket's ``INC-4821`` is ``inc``); a number glued to a name is cut off (:data:`_NUMBERED`)."""
_NUMBERED = re.compile(r"\b([a-z]{3,})\d+\b|\b([a-z]{2})\d{2,}\b")
"""``web03``, ``db01``, ``node7``: a host or replica's number; two letters and one digit are a name (``s3``, ``ec2``)."""
_NAMED_BY_NUMBER = frozenset({
    "ipv4", "ipv6", "http2", "http3", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3", "utf8", "utf16", "utf32",
    "oauth1", "oauth2", "ext2", "ext3", "ext4", "base32", "base64", "arm64", "amd64", "aarch64", "win32", "win64",
    "int8", "int16", "int32", "int64", "float16", "float32", "float64", "pkcs7", "pkcs8", "pkcs11", "pkcs12", "tls13",
    "fido2", "cgroup2", "cgroupv2"})
"""Names whose number says which thing it is, not which instance (:data:`_NUMBERED` would cut it): blocking IPv4
traffic is not blocking IPv6 traffic, and SHA1 is the weak hash a task replaces with SHA256."""


@dataclass(frozen=True)
class Example:
    """One task whose master a person (or the deployment's own process) chose."""

    task_id: str
    title: str
    text: str
    master: str
    source: str  # history, correction, override

    @property
    def weight(self) -> float:
        return WEIGHTS[self.source]


@dataclass(frozen=True)
class Correction:
    """A task this daemon routed to ``routed_to`` that a person moved to ``master``."""

    task_id: str
    title: str
    text: str
    routed_to: str
    master: str

    def as_json(self) -> dict[str, str]:
        return {"task_id": self.task_id, "title": self.title, "text": self.text, "routed_to": self.routed_to,
                "master": self.master}


@dataclass(frozen=True)
class Vote:
    """What the similar tasks say, and which of them said it."""

    master: str
    support: float
    neighbours: list[tuple[float, Example]]

    def reason(self) -> str:
        sources = Counter(example.source for _, example in self.neighbours if example.master == self.master)
        said = ", ".join(f"{n} {source}{'s' if n > 1 and source != 'history' else ''}"
                         for source, n in sorted(sources.items()))
        nearest = next(example for _, example in self.neighbours if example.master == self.master)
        return (f"the queue's history decided: {self.master} ({said}; nearest {nearest.task_id}: "
                f"{nearest.title[:60]!r})")

    def one_piece(self) -> Example | None:
        """The nearest example when it is a correction: a task a person gave one master (moved a simple task, or
        gave away a planned one), so a near-identical task is one piece of work too. An override example names a
        master for routing only."""
        nearest = self.neighbours[0][1]
        return nearest if nearest.source == "correction" else None

    def persons_reason(self, rules: str) -> str:
        """Why :meth:`History.persons_word` decided: which task a person corrected, and what the rules said."""
        similarity, nearest = self.neighbours[0]
        did = "moved" if nearest.source == "correction" else "wrote an override example for"
        return (f"a person {did} a near-identical task to {self.master} ({nearest.task_id}: {nearest.title[:60]!r}, "
                f"similarity {similarity:.2f}); the rules said {rules}")


def words(text: str) -> Counter[str]:
    """Content words, lower case, a plural ``s`` dropped: ``"Rotate the keys"`` -> rotate, key."""
    counted: Counter[str] = Counter()
    text = _NUMBERED.sub(lambda m: m.group(0) if m.group(0) in _NAMED_BY_NUMBER else m.group(1) or m.group(2),
                         _INSTANCE.sub(" ", text.lower()))
    for word in _WORD.findall(text):
        if word in STOPWORDS:
            continue
        counted[word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word] += 1
    return counted


_TICKET = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b")
"""A tracker's key as trackers write it (``INC-4821``, ``OPS-112``; not a host, ``db-07``): which ticket, never what the
work is."""
_ATTENTION = frozenset({"fix", "see", "re", "fwd", "fw", "handle", "resolve", "look", "check", "investigate", "ticket",
                        "issue", "urgent", "todo", "follow", "followup"})
"""What a title says around a ticket's key when it says nothing else (``Fix INC-4821``, ``Re: OPS-112 - urgent``)."""


def says_nothing(title: str) -> bool:
    """Whether a title is made only of instance words, a ticket's key and a plea for attention (``Fix INC-4821``,
    ``INC-5033``): two such titles share every word whatever their work, so the title is no evidence of it."""
    return bool(_TICKET.search(title)) and set(words(_TICKET.sub(" ", title))) <= _ATTENTION


def _text(entry: Mapping[str, Any]) -> str:
    description = entry.get("description")
    return description if isinstance(description, str) else ""


PLANNED = "a plan"
"""What a correction's ``routed_to`` says when the daemon had planned the task a person gave to one master."""


def corrections_in(tasks: Iterable[Any]) -> list[Correction]:
    """Tasks of the queue this daemon routed that now name another master, tasks it planned that a person
    gave to one master instead (``route_to``, from ``orchestrator move``), and tasks it routed to one master
    that a person moved to a plan (``orchestrator move TASK plan``: master :data:`PLANNED`)."""
    found = []
    for entry in tasks:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        if (was := planned_instead_of(entry)) is not None:  # routed to one master, moved to a plan by a person
            found.append(Correction(entry["id"], str(entry.get("title") or ""), _text(entry), was, PLANNED))
            continue
        if entry.get("assigned_by") != ASSIGNED_BY:
            continue
        routed, master = normalize_master(entry.get("routed_to")), normalize_master(entry.get("assigned_to"))
        if normalize_master(entry.get("route_to")) in MASTERS and was_planned(entry):
            routed = PLANNED  # (a writer's route_to on a task never planned corrects nothing the daemon decided)
        if routed in (*MASTERS, PLANNED) and master in MASTERS and routed != master:
            found.append(Correction(entry["id"], str(entry.get("title") or ""), _text(entry), str(routed), master))
    return found


def routed_back(tasks: Iterable[Any]) -> set[str]:
    """Ids of tasks this daemon routed that name the master it chose: a person who moved one away
    and then back has withdrawn that correction (not one it had planned: that stays corrected)."""
    return {entry["id"] for entry in tasks
            if isinstance(entry, dict) and entry.get("assigned_by") == ASSIGNED_BY and isinstance(entry.get("id"), str)
            and (routed := normalize_master(entry.get("routed_to"))) in MASTERS
            and normalize_master(entry.get("assigned_to")) == routed
            and normalize_master(entry.get("route_to")) not in MASTERS}


def example_of(entry: Any) -> Example | None:
    """What one queue entry teaches: history or a correction (pending, unassigned tasks teach nothing,
    nor the daemon's own unchanged decisions)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return None
    master = normalize_master(entry.get("assigned_to"))
    if master not in MASTERS:
        return None
    if entry.get("assigned_by") != ASSIGNED_BY:
        source = "history"
    elif normalize_master(entry.get("routed_to")) not in (None, master):
        source = "correction"
    else:
        return None  # our own decision, unchanged: no new evidence
    return Example(entry["id"], str(entry.get("title") or ""), _text(entry), master, source)


def examples_from_queue(tasks: Iterable[Any]) -> list[Example]:
    """History and corrections among the queue's tasks."""
    return [example for entry in tasks if (example := example_of(entry)) is not None]


class QueueExamples:
    """:func:`examples_from_queue` kept from one read of the queue to the next, changed by the entries that
    changed. A read hands out the same dict for a task whose bytes did not change and never hands out again
    one the daemon changed (:class:`~orchestrator.intake.TaskIndex`), so an entry's example changes only
    with its identity. Walking 10,000 tasks took about 2 ms on every decision that asked the history.

    The examples' order is not the queue's (a changed entry's comes last): no decision depends on it
    (:meth:`History.nearest` ranks by similarity, weight and id)."""

    def __init__(self) -> None:
        self._of: dict[int, Example] = {}  # by the entry's identity; the entry itself is kept by the reader
        self._list: list[Example] = []

    def update(self, changes: Changes) -> None:
        """Take one read's changes (every read indexed, in order: one missed would leave its examples stale)."""
        if changes.full:  # in the queue's order, an object listed twice counted twice, as a fresh gathering does
            found = [(entry, example) for _, entry in changes.added if (example := example_of(entry)) is not None]
            self._of = {id(entry): example for entry, example in found}
            self._list = [example for _, example in found]
            return
        touched = False  # (an update that is not full lists no object twice: TaskIndex looks at every entry then)
        for entry in changes.removed:
            touched = self._of.pop(id(entry), None) is not None or touched
        for _, entry in changes.added:
            if (example := example_of(entry)) is not None:
                self._of[id(entry)] = example
                touched = True
        if touched:  # rebuilt only when one changed; the same Example objects let IndexKept compare by identity
            self._list = list(self._of.values())

    @property
    def examples(self) -> list[Example]:
        return self._list


def examples_from_corrections(data: Any) -> list[Example]:
    """The remembered corrections (``routing-corrections.json``: a list of :meth:`Correction.as_json`); one whose
    master is :data:`PLANNED` says a task needs a plan (:meth:`History.persons_plan`), and names no master."""
    return [Example(str(item.get("task_id")), str(item.get("title") or ""), str(item.get("text") or ""),
                    master, "correction")
            for item in (data if isinstance(data, list) else [])
            if isinstance(item, dict) and (master := normalize_master(item.get("master"))) in (*MASTERS, PLANNED)]


def examples_from_overrides(data: Any) -> tuple[list[Example], list[str]]:
    """``routing-overrides.json``: ``{"examples": [{"title", "description"?, "master"}]}`` or that list
    alone. Returns the examples and a problem per entry that is not one (said in an event, not fatal)."""
    items = data.get("examples") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return [], ["expected a list of examples, or an object with an \"examples\" list"]
    examples, problems = [], []
    if len(items) > MAX_OVERRIDES:
        problems.append(f"{len(items)} examples; only the first {MAX_OVERRIDES} are used")
    for number, item in enumerate(items[:MAX_OVERRIDES], 1):
        master = normalize_master(item.get("master")) if isinstance(item, dict) else None
        title = item.get("title") if isinstance(item, dict) else None
        if master not in MASTERS or not isinstance(title, str) or not title.strip():
            problems.append(f"example {number}: needs a \"title\" and a \"master\" ({', '.join(MASTERS)})")
            continue
        assert isinstance(item, dict) and master is not None
        examples.append(Example(f"override-{number}", title, _text(item), master, "override"))
    return examples, problems


class IndexKept:
    """The last index built, kept between passes: a queue's examples rarely change from one pass to the
    next, and indexing 10,000 of them took 370 ms, paid on every pass with a decision that asked them."""

    def __init__(self) -> None:
        self._examples: list[Example] | None = None
        self._index: tuple[dict[str, float], list[tuple[dict[str, float], float]]] | None = None

    def get(self, examples: list[Example]) -> tuple[dict[str, float], list[tuple[dict[str, float], float]]] | None:
        return self._index if self._examples == examples else None

    def put(self, examples: list[Example], index: tuple[dict[str, float], list[tuple[dict[str, float], float]]]) -> None:
        self._examples, self._index = examples, index


class History:
    """The examples of one deployment, gathered and indexed on first use (most decisions never need
    them: a queue of 10,000 finished tasks is read only for a task the rules are unsure of)."""

    def __init__(self, examples: Iterable[Example] | Callable[[], Iterable[Example]],
                 people: Callable[[], Iterable[Example]] | None = None, kept: IndexKept | None = None) -> None:
        """``people``: the corrections and overrides alone (a few), read for every decision by
        :meth:`persons_word` without gathering the whole queue's examples. ``kept``: an earlier pass's
        index, used when its examples are the same."""
        self._kept = kept
        self._source = examples
        self._examples: list[Example] | None = None
        self._vectors: list[tuple[dict[str, float], float]] | None = None
        self._idf: dict[str, float] = {}
        self._people_source = people
        self._people: History | None = None
        self._near: tuple[tuple[str, str], list[tuple[float, Example]]] | None = None  # the last task's, asked again

    @property
    def examples(self) -> list[Example]:
        if self._examples is None:
            self._examples = list(self._source() if callable(self._source) else self._source)
        return self._examples

    def __len__(self) -> int:
        return len(self.examples)

    def _vector(self, title: str, text: str) -> tuple[dict[str, float], float]:
        counts = Counter() if says_nothing(title) else words(title)  # "Fix INC-4821": the description alone
        counts.update(counts)  # the title says what the work is: twice the description's weight
        counts.update(words(text))
        default = math.log(1 + len(self.examples))  # a word no example has: as rare as can be
        vector = {word: n * self._idf.get(word, default) for word, n in counts.items()}
        return vector, math.sqrt(sum(v * v for v in vector.values())) or 1.0

    def _index(self) -> list[tuple[dict[str, float], float]]:
        if self._vectors is None:
            kept = self._kept.get(self.examples) if self._kept is not None else None
            if kept is not None:
                self._idf, self._vectors = kept
                return self._vectors
            documents = Counter(word for e in self.examples for word in set(words(f"{e.title} {e.text}")))
            total = len(self.examples)
            self._idf = {word: math.log((1 + total) / n) + 0.1 for word, n in documents.items()}
            self._vectors = [self._vector(e.title, e.text) for e in self.examples]
            if self._kept is not None:
                self._kept.put(self.examples, (self._idf, self._vectors))
        return self._vectors

    def nearest(self, title: str, text: str) -> list[tuple[float, Example]]:
        """The most similar examples, most similar first, above :data:`MIN_SIMILARITY`."""
        if not self.examples:
            return []
        index = self._index()
        vector, norm = self._vector(title, text)
        scored = []
        for example, (other, other_norm) in zip(self.examples, index, strict=True):
            dot = sum(weight * other.get(word, 0.0) for word, weight in vector.items())
            similarity = dot / (norm * other_norm)
            if similarity >= MIN_SIMILARITY:
                scored.append((round(similarity, 3), example))
        scored.sort(key=lambda pair: (-pair[0], -pair[1].weight, pair[1].task_id))
        return scored[:NEIGHBOURS]

    def _persons_near(self, title: str, text: str) -> list[tuple[float, Example]]:
        """A person's corrections and overrides at :data:`SAME_TASK` or more (asked by the router and the
        classifier for one task: computed once)."""
        if self._people_source is None:
            return []
        if self._near is not None and self._near[0] == (title, text):
            return self._near[1]
        if self._people is None:
            self._people = History([e for e in self._people_source() if e.source in ("correction", "override")])
        near = [(similarity, example) for similarity, example in self._people.nearest(title, text)
                if similarity >= SAME_TASK]
        self._near = ((title, text), near)
        return near

    def persons_word(self, title: str, text: str) -> Vote | None:
        """The master a person chose for a near-identical task (a correction or an override at
        :data:`SAME_TASK` or more), when every such task says the same; or None."""
        near = self._persons_near(title, text)
        if len({example.master for _, example in near}) != 1 or near[0][1].master not in MASTERS:
            return None  # none, people who disagree (the rules decide), or a plan
        return Vote(near[0][1].master, near[0][0], near)

    def persons_plan(self, title: str, text: str) -> tuple[float, Example] | None:
        """The nearest task a person moved to a plan (a correction at :data:`SAME_TASK` or more to
        :data:`PLANNED`), when every such task says so; or None."""
        near = self._persons_near(title, text)
        if len({example.master for _, example in near}) != 1 or near[0][1].master != PLANNED:
            return None
        return near[0]

    def vote(self, title: str, text: str, candidates: Collection[str]) -> Vote | None:
        """The master, among ``candidates``, that the nearest examples clearly favour; or None."""
        neighbours = self.nearest(title, text)
        support: dict[str, float] = {}
        for similarity, example in neighbours:
            if example.master not in MASTERS:
                continue  # a task a person moved to a plan names no master
            support[example.master] = support.get(example.master, 0.0) + similarity * example.weight
        ranked = sorted(((m, score) for m, score in support.items() if m in candidates), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < MIN_SUPPORT:
            return None
        runner_up = max((score for master, score in support.items() if master != ranked[0][0]), default=0.0)
        if ranked[0][1] < 1.5 * runner_up:
            return None  # the examples disagree among themselves
        return Vote(ranked[0][0], round(ranked[0][1], 3), neighbours)
