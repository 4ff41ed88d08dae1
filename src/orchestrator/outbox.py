"""Persist, then announce: events wait here until what they describe is on disk.

An event about a plan is *held* until the plan file is written (the registry puts the held
events into the plan file's ``outbox`` in that same atomic write), then *released*; released
events are appended to ``dashboard-events.jsonl`` at the end of the pass. Other events are
released at once and appended at the end of the pass, after the pass's writes.

Each event about a step that can be redone carries a stable ``event_id`` (orchestration or
task id + transition + attempt). At start the daemon reads the end of the events file to
learn which ids were announced; after a crash, a step that is redone announces again only
what the file does not already say, and a plan file's ``outbox`` is announced once if its
events never reached the file. So every event is announced once: never lost, never twice.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from orchestrator.clock import Clock, iso
from orchestrator.models import Event
from orchestrator.store import EVENT_TAIL_BYTES, Store, StoreError
from orchestrator.timestamps import format_timestamp, parse_timestamp

log = structlog.get_logger("orchestrator")

MAX_UNWRITTEN = 10_000
"""Events kept for a later try while the events file cannot be written (then the oldest go)."""

QUEUE_SCOPE = "task-queue.json"
"""The scope of the ids of the queue's own faults (not one task's): never forgotten as a task gone."""


@dataclass(frozen=True)
class Fault:
    """A fault that comes and goes (a lock another process holds, a file that does not parse), said once per spell
    even across restarts: a spell's event id is ``key:N``, its end's ``cleared:N``, so the events file read at start
    says which spell is open (the "already said" marks lived in memory: every restart said the same fault again)."""

    key: str
    cleared: str


UPDATE_FAILED = Fault(f"{QUEUE_SCOPE}:update_failed", f"{QUEUE_SCOPE}:updated")
"""A pass's claim could not write the queue (its lock held, a full disk) until one could (``write_recovered``);
here, not in the engine, as ``status`` reads its spells too."""


class Outbox:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._held: dict[str, list[Event]] = {}
        self._ready: list[Event] = []
        self._ready_ids: set[str] = set()  # the event ids in _ready: a burst stages thousands
        self._latest = ""  # the latest timestamp staged: an event staged after it is no earlier in an append
        self._turn: dict[int, str] = {}  # id() of each event staged, not appended yet -> its place in an append
        self._series: dict[str, int] = {}  # numbered ids (``key:N``, a fault that comes and goes): key -> last N appended
        self._numbered: set[str] = set()  # the ids of series staged, not appended yet
        self._released: dict[str, list[Event]] = {}  # plan id -> its events released, not appended yet
        self._announced: dict[str, set[str]] = {}  # scope (orchestration or task id) -> event ids
        self._append_problem: str | None = None
        self._over: set[str] = set()  # scopes forgotten: forgotten again once their last events are appended
        self.window_start: datetime | None = None
        """The time of our first event in the part of the events file read at start: what happened
        since then and is not announced there was never announced."""
        self._read_whole = True  # the start read the whole events file: every announced id is known
        self._unlogged: list[tuple[str, dict[str, Any]]] = []  # log lines of staged events, written at the flush
        self._last_ids: tuple[str, list[str]] = ("", [])  # our last appended timestamp, the ids appended at it
        self._begun_after: dict[str, Any] | None = None
        self._appended: tuple[int, int, bytes] | None = None  # where our last append (or the mark read) ended
        """The rotation the events file was begun after (the mark's ``rotated``: the time of our last event in
        the file rotated away, and the ids appended at it), carried in every mark while it is the same file."""

    # --- staging ------------------------------------------------------------------------

    def emit(self, type_: str, *, key: str | None = None, hold: str | None = None, series: bool = False,
             **fields: Any) -> None:
        """Stage an event. ``key``: its stable id, ``scope:what``. ``hold``: the plan it waits for. ``series``: the key
        is ``scope:what:N``, numbered by :meth:`last_of`; its last N is kept in the mark (across a rotation)."""
        if key is not None and (self.was_announced(key) or self._staged(key, hold)):
            return
        if series and key is not None:
            self._numbered.add(key)
        event = Event(timestamp=iso(self.clock), type=type_, event_id=key, **fields)
        self._unlogged.append((type_, fields))
        self._in_turn(event)
        if hold is not None:
            self._held.setdefault(hold, []).append(event)
        else:
            self._ready.append(event)
            if key is not None:
                self._ready_ids.add(key)

    def _in_turn(self, event: Event) -> None:
        """Its place in an append: its time, or the latest staged before it when the clock was set back since."""
        self._latest = max(self._latest, event.timestamp)
        self._turn[id(event)] = self._latest

    def _unstage(self, events: list[Event]) -> None:
        for event in events:
            self._turn.pop(id(event), None)

    def held(self, plan_id: str) -> list[dict[str, Any]]:
        """The events waiting for ``plan_id``'s file, as they go into its ``outbox``: also those released but not
        appended yet. A plan changed twice in one pass (a stage handed off, then the plan aborted by a request)
        was written the second time with the second change's events only; a crash before the pass's append
        lost the first change's for good (``make faults``, walk 2029: stage 2's handoffs written, never said)."""
        return [e.model_dump(exclude_none=True) for e in (*self._released.get(plan_id, []), *self._held.get(plan_id, []))]

    def release(self, plan_id: str) -> None:
        """The plan's file is written: its events may be announced."""
        released = self._held.pop(plan_id, [])
        if released:
            self._released.setdefault(plan_id, []).extend(released)
        self._ready += released
        self._ready_ids.update(e.event_id for e in released if e.event_id is not None)

    def holds(self, plan_id: str) -> bool:
        return bool(self._held.get(plan_id))

    def held_events(self, plan_id: str) -> list[Event]:
        return list(self._held.get(plan_id, []))

    def restore(self, plan_id: str, outbox: list[Any]) -> int:
        """A plan file's outbox, read at start: hold again what the events file does not say yet
        (an event older than :attr:`window_start`, before the part of the file read, was said).

        Those events are of the plan's last transition; their effects are redone (each is
        idempotent) before they are announced. They are announced now, after this start's
        ``orchestrator_started``, so they carry the time of the announcement (the events file
        stays in time order for readers that resume from a timestamp), ``occurred_at`` the
        time of the decision, and ``recovered: true``.
        """
        count = 0
        for item in outbox:
            try:
                event = Event.model_validate(item)
            except ValueError:
                continue
            if event.event_id is not None and self.was_announced(event.event_id):
                continue
            fields = event.model_dump(exclude_none=True)  # restored before: keep the first occurred_at
            occurred = parse_timestamp(fields.get("occurred_at", event.timestamp))
            if (not self._read_whole and self.window_start is not None and occurred is not None
                    and occurred < self.window_start):
                # older than the part of the events file read at start: announced then, or at the start
                # after the crash that kept it (that start's read reached it), not a step to redo
                continue
            event = Event.model_validate(fields | {"timestamp": iso(self.clock), "recovered": True,
                                                   "occurred_at": fields.get("occurred_at", event.timestamp)})
            self._in_turn(event)
            self._held.setdefault(plan_id, []).append(event)
            count += 1
        return count

    def knows_since(self, moment: datetime | None) -> bool:
        """Whether an event of ``moment`` would be in the part of the events file read at start (so, not
        found there, it was never announced)."""
        if self._read_whole:
            return True
        return moment is not None and self.window_start is not None and moment >= self.window_start

    def unannounced_if_missing(self, moment: datetime | None) -> bool:
        """Whether a change made at ``moment`` whose event the start did not find was never announced:
        :meth:`knows_since`, when the start found any event of ours to judge by. A file read whole knows
        every id, whatever the time: the clock set back before a crash made a change look older than
        the file's first event, and it was taken as announced (a move's withdrawal, a routing, said never)."""
        return moment is not None and self.window_start is not None and self.knows_since(moment)

    # --- announcing -----------------------------------------------------------------------

    def flush(self) -> None:
        """Append every released event in one write; never raises. Unwritten ones wait.

        The log lines of the events staged since the last flush are written first, here and not when
        each is staged: rendering them cost the pass a tenth of a millisecond each before its files
        were written (a complex pickup stages nine)."""
        self._log_staged()
        events = [e for e in self._ready if e.event_id is None or not self.was_announced(e.event_id)]
        # in time order: a plan's events are released when its file is written, not when they were staged
        # (the mark's "announced until" is the latest time appended, whatever the order); readers resuming from a
        # timestamp rely on it too.
        # A clock set back since counts as not moved (stable: then in the order released, a plan's own in
        # the order staged): by timestamp alone a plan's handoff went before its orchestration_started
        events.sort(key=lambda e: self._turn.get(id(e), e.timestamp))
        if not events:
            self._unstage(self._ready)
            self._ready.clear()
            self._ready_ids.clear()
            self._released.clear()
            self._forget_over()
            return
        try:
            appended = self.store.append_events(events)
        except StoreError as exc:
            if str(exc) != self._append_problem:
                log.error("events_not_written", events=len(events), problem=str(exc),
                          action="kept; appended when the file can be written")
            self._append_problem = str(exc)
            kept = {id(e) for e in events[-MAX_UNWRITTEN:]}
            self._unstage([e for e in self._ready if id(e) not in kept])
            self._ready = events[-MAX_UNWRITTEN:]
            self._ready_ids = {e.event_id for e in self._ready if e.event_id is not None}
            # a plan's released events are those still kept: they grew without bound beside the kept ones
            # (each plan file written again carried all of them in its outbox, those dropped here too)
            self._released = {plan_id: left for plan_id, released in self._released.items()
                              if (left := [e for e in released if id(e) in kept])}
            return
        self._append_problem = None
        self._unstage(self._ready)
        self._ready.clear()
        self._ready_ids.clear()
        self._released.clear()
        for event in events:
            if event.event_id is not None:
                self._mark(event.event_id)
                if event.event_id in self._numbered:
                    self._numbered.discard(event.event_id)
                    prefix, _, n = event.event_id.rpartition(":")
                    self._series[prefix] = max(self._series.get(prefix, 0), int(n))
        self._forget_over()
        if appended is not None:
            if self._appended is not None and self._last_ids[0] and self._holds(*self._appended) is False:
                # rotated while we ran (logrotate): this file lacks what we appended before, and so says the
                # mark from now on; the next start took it for the whole story (every plan's last change
                # announced again, a handoff its master had taken and removed written again)
                log.info("events_file_rotated", announced_until=self._last_ids[0])
                self._begun_after = {"last": self._last_ids[0], "ids": self._last_ids[1]}
            self._appended = appended[:3]
            # the latest time appended, not the last line's: after a clock set back within the pass an earlier line
            # is later (the order is the turns'), and it was taken as not announced after a rotation (attack24);
            # nor only this append's: set back between two passes, the mark went back to the second append's time
            # and a rotation and a restart announced the first one's later lines again (review26). The price, as
            # within a pass: a change made after the set-back, older than the mark and not yet appended at a crash,
            # is taken as announced after a rotation until the clock passes the mark again
            last = max(self._last_ids[0], *(e.timestamp for e in events))
            at_last = [e.event_id for e in events if e.timestamp == last and e.event_id is not None]
            self._last_ids = (last, (self._last_ids[1] if self._last_ids[0] == last else []) + at_last)
            self._write_mark(*appended, last, self._last_ids[1])

    def _write_mark(self, inode: int, end: int, tail: bytes, last: str, ids: list[str]) -> None:
        """Where this append ended, in ``state/events-mark.json``: not durable (a mark lost or old only
        makes a start after a rotation announce again what it did before this mark existed).

        ``ids``: the ids appended in ``last``'s millisecond. Timestamps are in milliseconds: a decision
        made in that millisecond after the append (then a crash) is no older than ``last``, so not taken
        as announced; what was announced in it is known by its id."""
        mark: dict[str, Any] = {"inode": inode, "end": end,
                                "tail": base64.b64encode(tail).decode(), "last": last, "ids": ids}
        if self._begun_after is not None:
            mark["rotated"] = self._begun_after
        if self._series:
            # the events file may be rotated away before the next start: it would not say a series' last N (a lock
            # wait open said again under the same id, or a later wait numbered 1 again)
            mark["series"] = self._series
        try:
            self.store.write_json(self.store.layout.events_mark, mark, durable=False)
        except StoreError:
            pass

    def _rotated(self) -> tuple[datetime, list[str], bool] | None:
        """The time of our last event in the events file rotated away and the ids appended at it: when the
        file no longer holds the mark's append where it ended (rotated: moved aside or copied and truncated),
        the mark's; when it does, the rotation the mark says this file was begun after. None when there was
        none, or nothing says. The flag: the rotation is new (the mark's)."""
        try:
            mark = self.store.read_json(self.store.layout.events_mark)
            inode, end, tail = int(mark["inode"]), int(mark["end"]), base64.b64decode(mark["tail"], validate=True)
            last, ids = _moment(mark)
        except (StoreError, KeyError, TypeError, ValueError, AttributeError):
            return None
        if last is None:
            return None
        holds = self._holds(inode, end, tail)
        if holds is None:
            return None
        series = mark.get("series")
        for prefix, n in series.items() if isinstance(series, dict) else ():
            if isinstance(prefix, str) and isinstance(n, int) and n > 0:
                self._series[prefix] = max(self._series.get(prefix, 0), n)
                self._mark(f"{prefix}:{n}")
        if not holds:
            return last, ids, True
        # the same file: what we append next follows the mark's append (in its millisecond, with its ids)
        self._appended = (inode, end, tail)
        self._last_ids = (str(mark["last"]), ids)
        # begun after a rotation, it still lacks what the rotated one held: a second start read it whole,
        # took it for every event ever, and announced again and wrote again what the first start knew was said
        try:
            before, ids = _moment(mark["rotated"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return (before, ids, False) if before is not None else None

    def _holds(self, inode: int, end: int, tail: bytes) -> bool | None:
        """Whether the events file still holds an append of ours where it ended; None: it cannot be read."""
        events = self.store.layout.events
        try:
            return (self.store.identity(events)[0] == inode
                    and self.store.read_at(events, end - len(tail), len(tail)) == tail)
        except OSError:  # not a file any more (a FIFO, a folder): the append will say so
            return None
        except OverflowError:  # an end no file offset can hold: not where our append ended
            return False

    def _log_staged(self) -> None:
        for type_, fields in self._unlogged:
            (log.warning if "problem" in fields else log.info)(type_, **fields)
        self._unlogged.clear()

    @property
    def pending(self) -> int:
        return len(self._ready)

    # --- what was announced ----------------------------------------------------------------

    def learn(self) -> None:
        """Read the end of the events file: which of our event ids are there already.

        The part read reaches back to one of our events (4 MB, or four times as far until it holds one):
        what the restore takes as announced before the part read starts at our first event in it, and
        a part holding none of ours (another writer's 5 MB line at the end) said nothing of the kind, so
        each restart announced every plan's last events again and rewrote its report and queue task."""
        size = EVENT_TAIL_BYTES
        while True:
            try:
                tail = self.store.read_tail(self.store.layout.events, size)
            except OSError:
                return
            # a shorter tail is the whole file: no id is guessed from a time (a clock set back after the
            # file's first event made every later decision look older than it)
            whole = len(tail) < size
            ours = _our_events(tail)
            if ours or whole:
                break
            size *= 4
        self._read_whole = whole
        for event in ours:
            self.window_start = self.window_start or parse_timestamp(event.get("timestamp"))
            if isinstance(event.get("event_id"), str):
                self._mark(event["event_id"])
        if (found := self._rotated()) is not None:
            rotated, ids, new = found
            self._begun_after = {"last": format_timestamp(rotated), "ids": ids}
            # what we announced up to our last append is in the file rotated away, not in this one: a start
            # that took the file for whole announced every plan's last change again and wrote again the
            # handoffs masters had taken and removed (the work done twice)
            if new:
                log.info("events_file_rotated", announced_until=rotated.isoformat())
            self._read_whole = False
            for key in ids:  # announced in the last millisecond read: what else happened in it was not
                self._mark(key)
            self.window_start = self.window_start or rotated

    def was_announced(self, key: str) -> bool:
        return key in self._announced.get(key.split(":", 1)[0], ())

    def last_of(self, key: str) -> int:
        """The highest ``N`` of the ids ``key:N`` announced or staged, 0 for none: how many times a fault that
        comes and goes (a file's lock held by another process) was said, as the events file tells it."""
        prefix = key + ":"
        ids = (*self._announced.get(key.split(":", 1)[0], ()), *self._ready_ids)
        return max((int(tail) for i in ids if i.startswith(prefix) and (tail := i[len(prefix):]).isdigit()),
                   default=0)

    def fault_open(self, fault: Fault) -> int:
        """The number of ``fault``'s open spell (said, its end not said), 0 for none."""
        n = self.last_of(fault.key)
        cleared = f"{fault.cleared}:{n}"
        return n if n and not self.was_announced(cleared) and cleared not in self._ready_ids else 0

    def say_fault(self, fault: Fault, type_: str, *, again: bool = False, **fields: Any) -> bool:
        """Say a new spell of ``fault``, unless one is open. ``again``: this process said the open one, of another
        problem (what a restart cannot know: it says nothing new). Returns whether it was said."""
        if not again and self.fault_open(fault):
            return False
        self.emit(type_, key=f"{fault.key}:{self.last_of(fault.key) + 1}", series=True, **fields)
        return True

    def say_cleared(self, fault: Fault, type_: str, **fields: Any) -> bool:
        """Say that ``fault``'s open spell is over, once (nothing when none is open)."""
        n = self.fault_open(fault)
        if n:
            self.emit(type_, key=f"{fault.cleared}:{n}", series=True, **fields)
        return n > 0

    def _staged(self, key: str, hold: str | None) -> bool:
        """Already waiting to be announced (a step redone in the same pass)."""
        return key in self._ready_ids or (hold is not None and any(key == e.event_id for e in self._held.get(hold, [])))

    def forget(self, scope: str) -> None:
        """An orchestration or task is over: its ids need not be remembered any more.

        Its last events are released but not appended yet: appending them marks their ids, so
        the scope is forgotten again once they are (:meth:`flush`)."""
        self._announced.pop(scope, None)
        self._over.add(scope)
        self._forget_series({scope})

    def keep_scopes(self, keep: Callable[[str], bool]) -> None:
        """Forget the announced ids of every scope ``keep`` says is gone (a task no longer in the queue)."""
        for scope in [scope for scope in self._announced if not keep(scope) and scope != QUEUE_SCOPE]:
            del self._announced[scope]
        self._forget_series({scope for prefix in self._series
                             if not keep(scope := prefix.split(":", 1)[0]) and scope != QUEUE_SCOPE})

    def _forget_series(self, scopes: set[str]) -> None:
        if scopes and self._series:
            self._series = {prefix: n for prefix, n in self._series.items() if prefix.split(":", 1)[0] not in scopes}

    def _forget_over(self) -> None:
        for scope in self._over:
            self._announced.pop(scope, None)
        self._forget_series(self._over)  # a series' last id appended after its scope was over (a wait closed)
        self._over.clear()

    def _mark(self, key: str) -> None:
        self._announced.setdefault(key.split(":", 1)[0], set()).add(key)


def _moment(mark: Any) -> tuple[datetime | None, list[str]]:
    """A mark's (or its ``rotated``'s) time of our last event and the ids appended at it."""
    return parse_timestamp(mark["last"]), [i for i in mark.get("ids", []) if isinstance(i, str)]


def _our_events(tail: bytes) -> list[dict[str, Any]]:
    """The orchestrator's events in a part of the events file (its torn first line and others' skipped)."""
    ours = []
    for line in tail.splitlines():
        if b'"orchestrator"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("source") == "orchestrator":
            ours.append(event)
    return ours
