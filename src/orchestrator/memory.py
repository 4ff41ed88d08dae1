"""The daemon's side of routing history: gather the examples, remember people's corrections.

The pure part (examples, similarity, the vote) is :mod:`orchestrator.history`; this holds the
two files it reads and the one it writes:

- ``routing-overrides.json`` (written by people; read, never written; a file that does not parse
  is said once in a ``routing_overrides_invalid`` event and left alone, and the last version that
  could be read stays in force; a file removed is no overrides);
- ``orchestrator/state/routing-corrections.json`` (written only here): every correction seen in the
  queue, so it outlives the queue's pruning. A correction is written, then announced
  (``routing_corrected``).
"""

from __future__ import annotations

from typing import Any

from orchestrator.filecache import CachedFile
from orchestrator.history import (
    MAX_PERSONS_WORDS,
    PLANNED,
    Correction,
    Example,
    History,
    IndexKept,
    QueueExamples,
    corrections_in,
    examples_from_corrections,
    examples_from_overrides,
    examples_from_queue,
    routed_back,
)
from orchestrator.intake import Changes
from orchestrator.models import normalize_master
from orchestrator.outbox import Outbox
from orchestrator.store import Store, StoreError, parse_json
from orchestrator.timestamps import parse_timestamp


class RoutingMemory:
    """Examples for the router's ties: the queue's history, remembered corrections, overrides."""

    def __init__(self, store: Store, outbox: Outbox | None = None) -> None:
        """Without an ``outbox`` (the CLI's ``explain``), it only reads."""
        self.store = store
        self.outbox = outbox
        self._remembered: list[dict[str, Any]] | None = None
        # a person may save the file in place, to the same size, within one tick of the file system's
        # clock: read through the cache that trusts an identity only once it has settled
        self._overrides_file = CachedFile(store.layout.routing_overrides)
        self._overrides: list[Example] = []
        self._overrides_problem: str | None = None
        self._problem: str | None = None  # why the corrections could not be read or written, said once
        self._kept = IndexKept()  # the last pass's history index, used again while its examples are the same
        self._queue = QueueExamples()

    def _corrections(self) -> list[dict[str, Any]]:
        """What is remembered; :class:`StoreError` when the file is there but cannot be read as a list
        (taken for none, the next correction rewrote it holding that one alone)."""
        if self._remembered is None:
            path = self.store.layout.routing_corrections
            data = self.store.read_json(path) if self.store.exists(path) else []
            if not isinstance(data, list):
                raise StoreError(f"{path}: top level is {type(data).__name__}, expected a list")
            self._remembered = [item for item in data if isinstance(item, dict)]
        return self._remembered

    def _readable_corrections(self) -> list[dict[str, Any]]:
        try:
            return self._corrections()
        except StoreError:
            return []  # for routing only: nothing is written from it

    def learn(self, tasks: list[Any]) -> bool:
        """Remember what the queue shows of people's corrections (write, then announce): a new one,
        a task moved on again (the latest master counts), a task moved back to the master we chose
        (the correction is withdrawn). Tasks pruned from the queue keep what was remembered.
        False when what it found could not be written: show it those tasks again."""
        if self.outbox is None:
            return True
        try:
            remembered = self._corrections()
        except StoreError as exc:
            if corrections_in(tasks) or routed_back(tasks):  # never rewritten without what it holds
                self._unwritable(f"{exc}; left as it is")
                return False
            return True
        known = {item.get("task_id"): normalize_master(item.get("master")) for item in remembered}
        found = corrections_in(tasks)
        new: list[Correction] = [c for c in found if known.get(c.task_id, "") != c.master]
        # (a word of a plan is not withdrawn so: the daemon followed it to a later attempt, and the task shown back at
        # its routed attempt is an old copy of the queue an unlocked writer put back, not a person moving it back)
        # (nor is one the task still follows: a retry routed as the person said shows routed_to = assigned_to = their
        # master, and was taken for "moved back": the correction forgotten and said withdrawn, though nobody moved it)
        withdrawn = {task_id for task_id in routed_back(tasks) if task_id in known and known[task_id] != PLANNED
                     and known[task_id] != _master_of(tasks, task_id)}
        # remembered, but a crash between the write and its event lost the event: said now (a person learns
        # from it that the move decides near-identical tasks), when the events read at start cover its moment
        self._announce([c for c in found if known.get(c.task_id, "") == c.master and self._unsaid(c, tasks)],
                       recovered=True)
        if not (new or withdrawn):
            return True
        replaced = withdrawn | {c.task_id for c in new}
        remembered = [*(item for item in self._corrections() if item.get("task_id") not in replaced),
                      *(c.as_json() for c in new)]
        try:
            self.store.write_json(self.store.layout.routing_corrections, remembered)
        except StoreError as exc:
            self._unwritable(str(exc))
            return False
        self._remembered = remembered
        self._problem = None
        self._announce(new)
        for task_id in sorted(withdrawn):
            self.outbox.emit("routing_corrected", task_id=task_id, withdrawn=known[task_id],
                             action="moved back to the master the rules chose: that correction no longer counts")
        return True

    def _announce(self, corrections: list[Correction], **extra: Any) -> None:
        assert self.outbox is not None
        for c in corrections:
            key = f"{c.task_id}:corrected"  # a task corrected again (moved on, or back and away) says so again
            self.outbox.emit("routing_corrected", key=None if self.outbox.was_announced(key) else key,
                             task_id=c.task_id, routed_to=c.routed_to, master=c.master,
                             action="near-identical tasks go to the new master, as one piece of work; similar ones "
                                    "when the rules are unsure", **extra)

    def _unsaid(self, correction: Correction, tasks: list[Any]) -> bool:
        """Whether a remembered correction's event was never announced: none found, where the events read at start
        reach back to when the task was moved (``moved_at``) or handed to the master (``assigned_at``)."""
        assert self.outbox is not None
        if self.outbox.was_announced(f"{correction.task_id}:corrected"):
            return False
        entry = next((e for e in tasks if isinstance(e, dict) and e.get("id") == correction.task_id), {})
        # (a move to a plan: the daemon's own stamp of when it followed it, as one set back to pending by hand has none)
        earlier = entry.get("previous_attempts") if correction.master == PLANNED else None
        last = earlier[-1] if isinstance(earlier, list) and earlier else None
        followed = last.get("ended_at") if isinstance(last, dict) else None
        moments = [m for m in (parse_timestamp(entry.get("moved_at")), parse_timestamp(entry.get("assigned_at")),
                               parse_timestamp(followed)) if m is not None]
        return bool(moments) and self.outbox.unannounced_if_missing(max(moments))

    def _unwritable(self, problem: str) -> None:
        """Said once per problem: the tasks are looked at again at every pass until it is gone."""
        if problem != self._problem and self.outbox is not None:
            self.outbox.emit("routing_corrections_unwritable", problem=problem, action="retrying at the next change")
        self._problem = problem

    def _override_examples(self) -> list[Example]:
        data, changed = self._overrides_file.read(self.store)
        if not changed:
            return self._overrides
        path = self._overrides_file.path
        examples: list[Example] | None = []  # None: unreadable as a whole; the last good examples stay
        problem = None
        if data is not None:
            try:
                examples, problems = examples_from_overrides(parse_json(data, path))
                problem = "; ".join(problems) or None
            except StoreError as exc:
                examples, problem = None, str(exc)
        elif self._overrides_file.problem:
            examples, problem = None, self._overrides_file.problem
        if problem and problem != self._overrides_problem and self.outbox is not None:
            # a file saved in place is half written for a moment, and a person's typo lasts until they see
            # this event: neither undoes the corrections that were in force (as a configuration that does
            # not load keeps the running one)
            self.outbox.emit("routing_overrides_invalid", path=str(path), problem=problem,
                             action="left as it is; " + ("its valid examples are used" if examples is not None
                                                         else "the last version that could be read is used"))
        self._overrides_problem = problem
        if examples is not None:
            self._overrides = examples
        return self._overrides

    def read(self, changes: Changes) -> None:
        """The queue's entries that changed since the last read (every read the daemon indexes)."""
        self._queue.update(changes)

    def history(self, tasks: list[Any] | None = None) -> History:
        """What the router may consult for this queue; gathered only if a decision needs it. ``tasks``: a queue to
        gather from (the CLI's); without, the queue as the daemon's reads left it (:meth:`read`)."""
        def gather() -> list[Example]:
            remembered = examples_from_corrections(self._readable_corrections())
            ids = {e.task_id for e in remembered}
            queued = self._queue.examples if tasks is None else examples_from_queue(tasks)
            return [*self._override_examples(), *remembered, *(e for e in queued if e.task_id not in ids)]

        def people() -> list[Example]:
            # the newest corrections (learn appends them): read for every decision, not only the unsure ones
            return [*self._override_examples(),
                    *examples_from_corrections(self._readable_corrections()[-MAX_PERSONS_WORDS:])]

        return History(gather, people, self._kept)


def _master_of(tasks: list[Any], task_id: str) -> str | None:
    """The master a task of the queue is with now."""
    entry = next((e for e in tasks if isinstance(e, dict) and e.get("id") == task_id), None)
    return normalize_master(entry.get("assigned_to")) if entry is not None else None
