"""Which queue tasks are ours to act on, and the fields we set when we take one. Pure.

The queue is edited as raw dicts so every field other writers put there survives; these
functions only ever set the fields they name.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from orchestrator.models import (
    MASTERS,
    MAX_TASK_ID,
    Classification,
    Plan,
    QueueTask,
    describe,
    is_safe_id,
    normalize_master,
)
from orchestrator.queue_codec import same_objects

ASSIGNED_BY = "orchestrator"


@dataclass(frozen=True)
class Problem:
    """A task we will not act on, and why. ``key`` identifies it for reporting once."""

    key: str
    task_id: str | None
    problem: str

    @property
    def name(self) -> str:
        """What a person sees: the task id, or the entry's place in the queue."""
        return self.task_id or self.key.split(":")[0]


def is_pending(entry: dict[str, Any]) -> bool:
    status = entry.get("status")
    return isinstance(status, str) and status.strip().lower() == "pending"


def is_unclaimed(entry: dict[str, Any]) -> bool:
    """Pending, and no master owns it yet: a task the intake still has to act on."""
    return is_pending(entry) and not normalize_master(entry.get("assigned_to"))


def select(tasks: list[Any]) -> tuple[list[QueueTask], list[Problem]]:
    """Pending tasks that no master owns yet, and the problems of those we must skip."""
    return select_from(enumerate(tasks), task_ids(tasks))


def task_ids(tasks: Iterable[Any]) -> Counter[str]:
    """How many entries carry each (string) id."""
    return Counter(entry["id"] for entry in tasks if isinstance(entry, dict) and isinstance(entry.get("id"), str))


def id_problem(task_id: str) -> str | None:
    """Why the daemon skips a task with this id each pass (file names are made from it), or None: what ``submit``
    refuses before writing too."""
    if len(task_id) > MAX_TASK_ID:
        return f"id is {len(task_id)} characters long (at most {MAX_TASK_ID}: file names are made from it); give the " \
               "task a shorter id"
    if not is_safe_id(task_id):
        return "id is not a safe file name (letters, digits, '.', '_', '-'; no '/' or '..')"
    return None


def select_from(entries: Iterable[tuple[int, Any]], ids: Counter[str]) -> tuple[list[QueueTask], list[Problem]]:
    """:func:`select` over some of the queue's entries (with their places), given every id's count:
    the same answer as over the whole queue when they hold every entry that is not a task object
    and every pending, unowned one."""
    chosen: list[QueueTask] = []
    problems: list[Problem] = []
    for index, entry in entries:
        if not isinstance(entry, dict):
            problems.append(Problem(_anonymous(index, entry), None,
                                    f"queue entry {index} is {type(entry).__name__}, not a task object"))
            continue
        if not is_unclaimed(entry):
            continue
        task_id = entry.get("id")
        key = task_id if isinstance(task_id, str) and task_id else _anonymous(index, entry)
        if not isinstance(task_id, str) or not task_id.strip():
            problems.append(Problem(key, None, f"queue entry {index} has no id"))
            continue
        if wrong := id_problem(task_id):
            problems.append(Problem(key, task_id[:40] + "..." if len(task_id) > MAX_TASK_ID else task_id, wrong))
            continue
        if ids[task_id] > 1:
            problems.append(Problem(key, task_id, f"id appears {ids[task_id]} times in the queue; fix the duplicate first"))
            continue
        try:
            task = QueueTask.model_validate(entry)
        except ValidationError as exc:
            problems.append(Problem(key, task_id, f"invalid fields: {describe(exc)}"))
            continue
        if not task.title.strip() and not task.full_description.strip():
            problems.append(Problem(key, task_id, "has neither a title nor a description"))
            continue
        chosen.append(task)
    return chosen, problems


def pending_ids(tasks: list[Any]) -> set[object]:
    """Ids of every pending, unowned entry (valid or not): what a pass has looked at."""
    return {e.get("id") for e in tasks
            if isinstance(e, dict) and is_unclaimed(e)}


@dataclass
class Changes:
    """What a read of the queue holds that the last one looked at did not, and what it lost."""

    added: list[tuple[int, Any]]
    """New entries (dicts a read parsed, not reused) with their places, in queue order."""
    removed: list[Any]
    full: bool
    """No earlier list to compare with: every entry is new."""


@dataclass
class TaskIndex:
    """The facts the intake needs of every queue entry, kept from one read to the next.

    A read hands out the same dict for a task whose bytes did not change (the queue codec), and a
    dict the daemon changes is never handed out again, so the entries that are not the same objects
    as last time are exactly what changed. Each pass then looks at those, not at 10,000 tasks.
    """

    entries: tuple[Any, ...] = ()
    keys: set[int] = field(default_factory=set)
    ids: Counter[str] = field(default_factory=Counter)
    pending: dict[int, Any] = field(default_factory=dict)
    """Pending, unowned entries (by identity), as they were when they were added."""
    odd: int = 0
    """Entries that are not objects."""
    incremental: bool = False
    """Built from differences since the last look at every entry."""
    expired: bool = False
    """The next :meth:`update` starts afresh: every entry counts as new."""
    twice: bool = False
    """The list holds one object twice: the next update, too, looks at every entry."""

    def clear(self) -> None:
        self.entries, self.keys, self.ids, self.pending, self.odd = (), set(), Counter(), {}, 0
        self.incremental = self.expired = self.twice = False

    def update(self, tasks: list[Any]) -> Changes:
        diff = None if self.expired or not self.entries or self.twice else self._diff(tasks)
        removed: list[Any]
        if diff is None:
            self.clear()
            added, removed = list(enumerate(tasks)), []
            self.twice = len(set(map(id, tasks))) != len(tasks)  # no read does that; identities cannot count it
        else:
            added, removed = diff
        self.keys.difference_update(map(id, removed))
        self.keys.update(id(e) for _, e in added)
        for entry in removed:
            if isinstance(entry, dict):
                if isinstance(task_id := entry.get("id"), str):
                    self.ids[task_id] -= 1
                    if not self.ids[task_id]:
                        del self.ids[task_id]
                self.pending.pop(id(entry), None)
            else:
                self.odd -= 1
        for _, entry in added:
            if isinstance(entry, dict):
                if isinstance(task_id := entry.get("id"), str):
                    self.ids[task_id] += 1
                if is_unclaimed(entry):
                    self.pending[id(entry)] = entry
            else:
                self.odd += 1
        self.entries = tuple(tasks)
        self.incremental = self.incremental or diff is not None
        return Changes(added, removed, diff is None)

    def _diff(self, tasks: list[Any]) -> tuple[list[tuple[int, Any]], list[Any]] | None:
        """Entries added and removed since the last list; None when only a full look can tell."""
        same = same_objects(self.entries, tasks)  # past the same objects in the same places: what differs
        older, newer = self.entries[same:], tasks[same:]
        newer_keys = set(map(id, newer))
        kept = set(map(id, older)) & newer_keys
        added = [(same + i, e) for i, e in enumerate(newer) if id(e) not in kept]
        if len(newer_keys) != len(newer) or any(id(e) in self.keys for _, e in added):
            return None  # an entry listed twice: identities cannot count it
        return added, [e for e in older if id(e) not in kept]

    def to_select(self, tasks: list[Any], changes: Changes) -> list[tuple[int, Any]]:
        """Every entry :func:`select_from` must see for the whole queue's answer, in queue order."""
        if changes.full or self.odd:
            return list(enumerate(tasks))
        new = {id(e) for _, e in changes.added}
        if all(key in new for key in self.pending):
            return [(i, e) for i, e in changes.added if id(e) in self.pending]
        return [(i, e) for i, e in enumerate(tasks) if id(e) in self.pending]  # older ones: find their places

    def pending_ids(self) -> set[object]:
        """:func:`pending_ids` of the list last given to :meth:`update`."""
        return {e.get("id") for e in self.pending.values()}


def _anonymous(index: int, entry: object) -> str:
    """A key for an entry without a usable id: its place and its content (a new bad entry is a new problem)."""
    return f"#{index}:{hashlib.blake2b(repr(entry).encode(), digest_size=6).hexdigest()}"


def pending_index(tasks: list[Any]) -> dict[str, dict[str, Any] | None]:
    """Each id's first entry if it is still pending and unowned, else None: one walk of the queue
    for every task a pass claims."""
    index: dict[str, dict[str, Any] | None] = {}
    for entry in tasks:
        if isinstance(entry, dict) and isinstance(task_id := entry.get("id"), str) and task_id not in index:
            index[task_id] = entry if is_unclaimed(entry) else None
    return index


def find(tasks: list[Any], task_id: str) -> dict[str, Any] | None:
    return next((e for e in tasks if isinstance(e, dict) and e.get("id") == task_id), None)


def _routing(entry: dict[str, Any], decision: Classification) -> None:
    entry["routing_confidence"] = decision.confidence
    entry["routing_reasons"] = decision.reasons
    entry["routing_strategy"] = f"orchestrator-{decision.decision}"


def moved_by_a_person(entry: Any) -> tuple[str, str, str] | None:
    """A simple task this daemon routed that a person moved to another master (``assigned_to``) while it
    is ``assigned``: its handoff's path (relative to the folder), the master it is with, and the master
    the person chose. None for anything else."""
    held = _handoff(entry)
    if held is None:
        return None
    chosen = normalize_master(entry.get("assigned_to"))
    if chosen not in MASTERS or chosen == held[1] or entry.get("move_not_followed") == chosen:
        return None  # (or a move found too late before, and said: its handoff stays with its first master)
    return held[0], held[1], chosen


def routed_handoff(entry: Any) -> tuple[str, str] | None:
    """A simple task this daemon routed, ``assigned`` to the master whose handoff the queue names (not moved):
    that handoff's path and master. None for anything else."""
    held = _handoff(entry)
    return held if held is not None and normalize_master(entry.get("assigned_to")) == held[1] else None


def _handoff(entry: Any) -> tuple[str, str] | None:
    return handoff_named(entry) if isinstance(entry, dict) and entry.get("status") == "assigned" else None


def handoff_named(entry: Any) -> tuple[str, str] | None:
    """The handoff a simple task this daemon routed names (whatever its status now): its path and master."""
    if not (isinstance(entry, dict) and entry.get("assigned_by") == ASSIGNED_BY
            and isinstance(entry.get("id"), str) and isinstance(entry.get("handoff_file"), str)):
        return None
    parts = entry["handoff_file"].split("/")
    if len(parts) != 4 or parts[0] != "masters" or parts[2] != "handoffs" or parts[1] not in MASTERS:
        return None
    return entry["handoff_file"], parts[1]


def mark_assigned(entry: dict[str, Any], decision: Classification, handoff: str, now: str) -> None:
    entry["status"] = "assigned"
    entry["assigned_to"] = decision.master
    entry["routed_to"] = decision.master  # a person who moves the task leaves this: a correction to learn from
    entry["assigned_at"] = now
    entry["assigned_by"] = ASSIGNED_BY
    entry["handoff_file"] = handoff
    _routing(entry, decision)


def mark_orchestrating(entry: dict[str, Any], decision: Classification, orchestration_id: str, now: str) -> None:
    entry["status"] = "orchestrating"
    entry["orchestration_id"] = orchestration_id
    entry["orchestration_started_at"] = now
    entry["assigned_by"] = ASSIGNED_BY
    _routing(entry, decision)


OUTCOME = {"completed": "completed", "blocked": "blocked", "aborted": "cancelled"}
"""The queue status of a plan that ended or waits for a person."""


def mark_outcome(entry: dict[str, Any], plan: Plan) -> None:
    """Put back what an orchestration's end wrote, when an old copy of the queue lost it."""
    status = OUTCOME.get(plan.status)
    if status:
        entry["status"] = status
    if plan.report:
        entry["report"] = plan.report
    if plan.failure_reason:
        entry["blocked_reason"] = f"{plan.blocking_subtask}: {plan.failure_reason}"


def mark_blocked(entry: dict[str, Any], reason: str, now: str) -> None:
    entry["status"] = "blocked"
    entry["blocked_reason"] = reason
    entry["blocked_at"] = now
