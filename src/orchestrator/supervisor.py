"""Carry every plan to its end: read reports, watch workers, advance stages, retry, escalate, report.

The plan file is the daemon's record of every decision it made; the other files are its
*effects*, derived from it:

1. a decision changes the plan in memory and stages its events, held for the plan;
2. the plan is written (durably), with those events in its ``outbox``;
3. the effects are written, each idempotent: subtask files (the daemon's fields; a worker's
   fields only when its attempt is over), handoffs (create-if-absent), the escalation file,
   the report, the queue task's status;
4. the events are released and appended.

A crash before 2 loses only the decision, which the next pass takes again from the same
files. A crash after 2 leaves events in the plan's outbox that the events file does not
have: at start their effects are done again and they are announced, once.

Reports come in through :func:`orchestrator.protocol.apply_report`, whatever their channel:
a subtask file (edited directly or by ``orchestrator subtask``), worker specs, heartbeat and
status files. The monitor tick looks at every live subtask file and every active worker (and
reads again each file that may have changed: :mod:`orchestrator.filecache`), so a lost file
event delays a report by one tick at most; at start every file is read, so what was reported
while the daemon was down is acted on.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from orchestrator import handoffs, liveness, progress, queue_edits, report
from orchestrator.clock import Clock, ClockSteps, iso, rebase
from orchestrator.config import Settings
from orchestrator.engine import Engine
from orchestrator.filecache import CachedFile
from orchestrator.liveness import WorkerFacts
from orchestrator.models import (
    ACTIVE,
    DONE,
    MASTERS,
    Attempt,
    Intervention,
    Plan,
    Subtask,
    as_text,
    describe,
    normalize_master,
)
from orchestrator.outbox import Fault, Outbox
from orchestrator.processes import ProcessTable, StopOrders
from orchestrator.protocol import WORKER_FIELDS, Report, apply_report, stale_workers
from orchestrator.registry import PlanRegistry
from orchestrator.signs import SignWatch
from orchestrator.store import LockTimeout, Store, StoreError, parse_json
from orchestrator.timestamps import format_timestamp, parse_timestamp
from orchestrator.workers import WorkerDirectory

log = structlog.get_logger("orchestrator")

REPORTED = ("assigned", "in_progress", "completed", "failed")
UNFORESEEN = (StoreError, ValueError, TypeError, KeyError, AttributeError, OverflowError, OSError)
"""What a value nobody foresaw in a subtask's files raises (see :meth:`Supervisor._contained`)."""
QUEUE_STATUS = {"completed": "completed", "blocked": "blocked", "aborted": "cancelled", "in_progress": "orchestrating"}


class Supervisor:
    def __init__(self, store: Store, settings: Settings, outbox: Outbox, registry: PlanRegistry, engine: Engine,
                 clock: Clock, processes: ProcessTable, rng: random.Random | None = None) -> None:
        self.store = store
        self.layout = store.layout
        self.settings = settings
        self.outbox = outbox
        self.registry = registry
        self.engine = engine
        self.clock = clock
        self.rng = rng or random.Random()
        self.stops = StopOrders(processes)
        self.workers = WorkerDirectory(store, settings, processes, self._invalid_worker_file)
        self._invalid: dict[str, str] = {}  # subtask id -> problem reported
        self._locked_out: dict[str, str] = {}  # subtask id -> a lock wait reported, until its write lands
        self._files: dict[str, CachedFile] = {}  # subtask id -> its file as last read
        self._dirty: dict[str, dict[str, bool]] = {}  # plan -> subtask -> restore the worker's fields too
        self._write_problems: dict[str, str] = {}  # plan -> why its effects could not be written
        self._settled: set[str] = set()  # plans written with all their effects and nothing changed since
        self.clock_steps = ClockSteps()  # forward steps of the wall clock seen by the monitor
        self.signs = SignWatch()  # when the monitor last saw each attempt's signs change (monotonic)
        self._kept_requests: set[Path] = set()  # carried out, but their files could not be removed
        # (subtask, attempt) -> when its retry is due on the monotonic clock, for retries scheduled in this run
        self._retry_deadlines: dict[tuple[str, int], float] = {}
        self._batch: dict[str, Plan] | None = None  # plans to write at the end of a batch (see batched)
        self._handing: set[str] = set()  # handoff event ids of attempts handed off by this process, until announced

    def _contained(self, plan: Plan, subtask_id: str, exc: Exception) -> None:
        """A value nobody foresaw in one subtask's files stops the work on that subtask only
        (:data:`UNFORESEEN`, caught around the work on each subtask).

        The error is reported once (per subtask and problem) and the pass goes on with the others.
        """
        problem = f"{type(exc).__name__}: {exc}"
        if self._invalid.get(subtask_id) != problem:
            log.error("subtask_check_failed", subtask_id=subtask_id, exc_info=exc)
            self.outbox.emit("subtask_check_failed", orchestration_id=plan.orchestration_id, subtask_id=subtask_id,
                             problem=problem, action="this subtask is checked again on the next tick")
        self._invalid[subtask_id] = problem

    def _invalid_worker_file(self, path: Path, problem: str) -> None:
        self.outbox.emit("worker_spec_invalid", path=str(path), problem=problem, action="skipped")

    def _emit(self, plan: Plan, type_: str, key: str, **fields: Any) -> None:
        """An event of ``plan``'s current change, announced after the plan and its effects are written."""
        self._settled.discard(plan.orchestration_id)
        self.outbox.emit(type_, key=f"{plan.orchestration_id}:{key}", hold=plan.orchestration_id,
                         orchestration_id=plan.orchestration_id, **fields)

    def _mark(self, plan: Plan, subtask_id: str, *, restore: bool) -> None:
        """The subtask's file is to be written from the plan (and the worker's fields too, with ``restore``)."""
        marks = self._dirty.setdefault(plan.orchestration_id, {})
        marks[subtask_id] = marks.get(subtask_id, False) or restore
        self._settled.discard(plan.orchestration_id)

    def _set(self, plan: Plan, subtask: Subtask, *, restore: bool = False, dirty: bool = True,
             **changes: Any) -> Subtask:
        """Change a subtask in the plan (validated); its file follows after the plan is written.

        ``restore``: the file gets the worker's fields from the plan too (not only the daemon's).
        """
        changed = Subtask.model_validate(subtask.model_dump() | changes)
        plan.subtasks = [changed if s.subtask_id == subtask.subtask_id else s for s in plan.subtasks]
        self._settled.discard(plan.orchestration_id)
        if dirty:
            self._mark(plan, subtask.subtask_id, restore=restore)
        return changed

    # --- start-up -------------------------------------------------------------------------

    def start(self) -> None:
        """After a (re)start: redo the effects of unannounced events, then read every file."""
        for plan in self.registry.live():  # a fault the events file says and nothing says is over: not said again
            for subtask in plan.subtasks:
                o, subtask_id = plan.orchestration_id, subtask.subtask_id
                if self.outbox.fault_open(_lock_wait(o, subtask_id)):
                    self._locked_out[subtask_id] = SAID_BEFORE
                    # written again (each write idempotent), so that the wait ends with its write_recovered
                    self._dirty.setdefault(o, {}).setdefault(subtask_id, False)
                if self.outbox.fault_open(_invalid_file(o, subtask_id)):  # over when the file is read or written
                    self._invalid[subtask_id] = SAID_BEFORE
        for plan in self.registry.plans.values():  # ended ones too: a spell never closed would hide the next one
            if self.outbox.fault_open(_plan_unwritten(plan.orchestration_id)):
                self._write_problems[plan.orchestration_id] = SAID_BEFORE
        for plan in list(self.registry.plans.values()):
            if self.outbox.held_events(plan.orchestration_id):
                # the last change's effects may be half written: write them all again
                self._dirty[plan.orchestration_id] = {s.subtask_id: False for s in plan.subtasks}
                self._flush(plan)
        for plan in self.registry.planning():
            self.begin(plan)  # written by an older version before its stage 1 was handed off
        self.sync_all()
        self._stop_again()

    def _stop_again(self) -> None:
        """Stop again the workers of failed attempts that still run: the stop orders of the last run
        (SIGTERM sent, SIGKILL due after the grace) died with it, so a worker that ignored the SIGTERM
        ran on beside its retry's new attempt, for good."""
        now = self.clock.now()
        for plan in self.registry.live():
            for subtask in plan.subtasks:
                for attempt in subtask.attempts:
                    if attempt.pid and attempt.ended_at and attempt.outcome not in ("completed", "dead"):
                        self.stops.stop(attempt.pid, parse_timestamp(attempt.started_at),
                                        parse_timestamp(attempt.handed_off_at), now,
                                        {"orchestration_id": plan.orchestration_id,
                                         "subtask_id": subtask.subtask_id, "attempt": attempt.attempt})

    def begin(self, plan: Plan) -> None:
        self.begin_many([plan])

    def begin_many(self, plans: list[Plan]) -> None:
        """Start new plans: each is written once, already handing off stage 1. Several (a burst)
        go step by step together: every plan file, then every subtask file, then every handoff,
        each step durable before the next, as for one plan, with the fsyncs of a step shared."""
        for plan in plans:
            plan.status = "in_progress"
            self._settled.discard(plan.orchestration_id)
        self._flush_many(plans)

    # --- hand-offs --------------------------------------------------------------------------

    def hand_off(self, plan: Plan, subtasks: list[Subtask]) -> None:
        now = iso(self.clock)
        for subtask in subtasks:
            subtask = self._set(plan, subtask, restore=True, status="assigned", handed_off_at=now, retry_at=None,
                                conditions=[], worker_id=None, pid=None, started_at=None, last_heartbeat=None,
                                progress=None, error=None, transient=None, completed_at=None,
                                attempts=[*subtask.attempts, Attempt(attempt=subtask.attempt, handed_off_at=now)])
            path = self.layout.subtask_handoff(subtask.assigned_to, subtask.subtask_id, subtask.attempt)
            self._handing.add(f"{plan.orchestration_id}:handoff:{subtask.subtask_id}:{subtask.attempt}")
            self._emit(plan, "handoff_created", f"handoff:{subtask.subtask_id}:{subtask.attempt}",
                       handoff_id=handoffs.handoff_id(subtask),
                       subtask_id=subtask.subtask_id, master=subtask.assigned_to, attempt=subtask.attempt,
                       path=self.layout.rel(path))
        started = {entry["stage"] for entry in plan.stage_history if entry.get("event") == "started"}
        for stage in sorted({s.stage for s in subtasks} - started):
            plan.stage_history.append({"stage": stage, "event": "started", "at": now})
            self._emit(plan, "stage_started", f"stage:{stage}:started", stage=stage, stages=len(plan.execution_plan),
                       subtasks=[s.subtask_id for s in subtasks if s.stage == stage])

    # --- reports ------------------------------------------------------------------------------

    def sync_all(self) -> None:
        """Read every subtask file of every live plan that may have changed since it was last read
        (:mod:`orchestrator.filecache`)."""
        looked: list[str] = []
        for plan in self.registry.live():
            for subtask in plan.subtasks:
                looked.append(subtask.subtask_id)
                try:
                    self._sync(plan, subtask.subtask_id)
                except UNFORESEEN as exc:
                    self._contained(plan, subtask.subtask_id, exc)
            self._flush(plan)
        self._files = {i: self._files[i] for i in looked if i in self._files}
        # a problem of a subtask whose plan ended or was archived is not said again: forgotten with it
        self._invalid = {i: self._invalid[i] for i in looked if i in self._invalid}
        self._locked_out = {i: self._locked_out[i] for i in looked if i in self._locked_out}

    def _subtask_file(self, subtask_id: str) -> CachedFile:
        file = self._files.get(subtask_id)
        if file is None:
            file = self._files[subtask_id] = CachedFile(self.layout.subtask(subtask_id))
        return file

    @property
    def locked_out(self) -> list[str]:
        """Subtasks whose file write another process's lock refused, not written since."""
        return sorted(self._locked_out)

    def sync_subtask(self, subtask_id: str) -> None:
        """A subtask file changed (a file event): adopt what its worker reported."""
        plan = self.registry.owner(subtask_id)
        if plan is not None and plan.status in ("in_progress", "blocked"):
            self._sync(plan, subtask_id)
            self._flush(plan)

    def _sync(self, plan: Plan, subtask_id: str) -> None:
        file = self._subtask_file(subtask_id)
        path = file.path
        data, changed = file.read(self.store)
        if not changed:
            return
        known = plan.subtask(subtask_id)
        if known.status == "pending":
            if data is None and not self.store.exists(path):
                file.forget()
                self._mark(plan, subtask_id, restore=True)
            return  # not handed off: nobody reports on it yet
        try:
            raw = parse_json(data, path) if data is not None else self.store.read_json(path)
            if not isinstance(raw, dict):
                raise StoreError(f"{path}: top level is {type(raw).__name__}, expected an object")
            # a writer may leave out what it does not know: what it wrote, over what we know
            written = Subtask.model_validate(known.model_dump(mode="json") | raw)
        except (StoreError, ValueError) as exc:
            file.forget()  # read again on the next look (reported once)
            missing = not self.store.exists(path)
            if missing:  # gone (a folder re-created, a cleanup): written again from the plan
                self._mark(plan, subtask_id, restore=False)
            else:
                self._say_invalid(plan, subtask_id, describe(exc), "ignored until it is valid again")
            return
        self._valid_again(plan, subtask_id)
        if written.status == "pending":  # the plan handed it off (a pending one returned above)
            # the file never got the plan's hand-off: it was unreadable when written, and the mark
            # that writes it again died with a restart; its worker was refused ("subtask is pending") for good
            self._mark(plan, subtask_id, restore=False)
            return
        self._apply(plan, known, Report.of_file(written), from_file=written)

    def _apply(self, plan: Plan, known: Subtask, reported: Report, *, from_file: Subtask | None = None) -> None:
        """Apply a report from any channel; act on the transition it makes."""
        applied = apply_report(known, reported, iso(self.clock))
        if applied.refused:
            if from_file is not None and _worker_view(from_file) != _worker_view(known):
                if applied.stale:
                    self.outbox.emit("stale_report_ignored", orchestration_id=plan.orchestration_id,
                                     subtask_id=known.subtask_id, worker_id=reported.worker_id,
                                     attempt=reported.attempt, current_attempt=known.attempt)
                self._mark(plan, known.subtask_id, restore=True)  # the file is put right
            return
        subtask = applied.subtask
        if subtask == known:
            return
        changes = {k: v for k, v in subtask.model_dump().items() if getattr(known, k) != v}
        # what a worker spec or heartbeat file said is written to the subtask file too; what the
        # file said is there already
        subtask = self._set(plan, known, dirty=from_file is None, restore=from_file is None, **changes)
        attempt = subtask.attempt
        if applied.transition == "started" or (applied.transition and known.status == "assigned"):
            self._emit(plan, "subtask_started", f"{subtask.subtask_id}:{attempt}:started", subtask_id=subtask.subtask_id,
                       worker_id=subtask.worker_id, pid=subtask.pid, attempt=attempt)
        if applied.transition == "completed":
            self._close_attempt(plan, subtask, "completed", None)
            self._emit(plan, "subtask_completed", f"{subtask.subtask_id}:{attempt}:completed",
                       subtask_id=subtask.subtask_id, worker_id=subtask.worker_id, attempt=attempt,
                       result=(subtask.result or "")[:200])
        elif applied.transition == "failed":
            self._fail(plan, subtask, subtask.error or "reported failed", transient=subtask.transient is not False,
                       kind="reported")

    def _close_attempt(self, plan: Plan, subtask: Subtask, outcome: str, reason: str | None, **changes: Any) -> Subtask:
        attempts = list(subtask.attempts) or [Attempt(attempt=subtask.attempt, handed_off_at=subtask.handed_off_at)]
        attempts[-1] = attempts[-1].model_copy(update={
            "worker_id": subtask.worker_id, "pid": subtask.pid, "started_at": subtask.started_at,
            "ended_at": iso(self.clock), "outcome": outcome, "reason": reason})
        return self._set(plan, subtask, attempts=attempts, **changes)

    # --- failures ------------------------------------------------------------------------------

    def _fail(self, plan: Plan, subtask: Subtask, reason: str, *, transient: bool, kind: str) -> None:
        """End the current attempt; retry a transient failure, escalate after the last attempt."""
        now = self.clock.now()
        if kind != "dead":
            self._stop_worker(plan, subtask)
        self._emit(plan, "subtask_failed", f"{subtask.subtask_id}:{subtask.attempt}:failed",
                   subtask_id=subtask.subtask_id, attempt=subtask.attempt, kind=kind, reason=reason, transient=transient)
        retry = self.settings.config.retry
        n = progress.attempts_in_round(plan, subtask)
        since = "" if n == subtask.attempt else " since a person's retry"
        if progress.should_escalate(n, transient, retry):
            why = reason if not transient else f"failed {n} times{since}; last: {reason}"
            subtask = self._close_attempt(plan, subtask, kind, reason, status="failed", error=reason)
            self.escalate(plan, subtask, why)
            return
        delay = progress.retry_delay(n, retry, self.rng)
        when = format_timestamp(now + timedelta(seconds=delay))
        self._retry_deadlines[(subtask.subtask_id, subtask.attempt)] = self.clock.monotonic() + delay
        self._close_attempt(plan, subtask, kind, reason, status="retry_wait", retry_count=subtask.retry_count + 1,
                            retry_reason=reason, retry_at=when,
                            retry_modifications=f"new attempt {subtask.attempt + 1}"
                            + (f" ({n + 1} of {retry.max_attempts}{since})" if since else f" of {retry.max_attempts}")
                            + "; the handoff carries the errors of earlier attempts")
        self._emit(plan, "subtask_retry_scheduled", f"{subtask.subtask_id}:{subtask.attempt}:retry",
                   subtask_id=subtask.subtask_id, retry_count=subtask.retry_count + 1, retry_at=when, reason=reason)

    def _stop_worker(self, plan: Plan, subtask: Subtask) -> None:
        """SIGTERM the attempt's worker, if it has a PID and is that worker (SIGKILL after the grace)."""
        if not subtask.pid:
            return
        context: dict[str, Any] = {"orchestration_id": plan.orchestration_id, "subtask_id": subtask.subtask_id,
                                   "attempt": subtask.attempt}
        stopped = self.stops.stop(subtask.pid, parse_timestamp(subtask.started_at),
                                  parse_timestamp(subtask.handed_off_at), self.clock.now(), context)
        if stopped == "not allowed":
            self.outbox.emit("worker_not_signalled", pid=subtask.pid, problem=(
                f"process {subtask.pid} is not this attempt's worker (PID 1, this daemon or its parent, another "
                "user's, or older than the handoff)"), action="left alone", **context)

    def escalate(self, plan: Plan, subtask: Subtask, reason: str) -> None:
        """The seed's Option 2: the plan is blocked, a person is told, the queue task is blocked."""
        plan.status = "blocked"
        plan.blocking_subtask = subtask.subtask_id
        plan.failure_reason = reason
        plan.escalation = "Notifying user for manual intervention"
        plan.interventions.append(Intervention(at=iso(self.clock), event="escalated", subtask_id=subtask.subtask_id,
                                               attempt=subtask.attempt, reason=reason))
        self._emit(plan, "orchestration_blocked", f"blocked:{subtask.subtask_id}:{subtask.attempt}",
                   blocking_subtask=subtask.subtask_id, failure_reason=reason, escalation=plan.escalation,
                   escalation_file=self.layout.rel(self.layout.escalation(plan.orchestration_id)))

    # --- the monitor ---------------------------------------------------------------------------

    def observe(self, *, check_liveness: bool = True, workers: set[str] | None = None,
                subtasks: set[str] | None = None) -> None:
        """Read the worker facts of active subtasks (all, or those of ``workers`` and ``subtasks``)
        and apply the timeouts."""
        self.workers.refresh()
        now = self.clock.now()
        self.clock_steps.look(now, self.clock.monotonic(), self.settings.config.monitor.clock_skew_seconds)
        now_text = format_timestamp(now)
        every = workers is None and subtasks is None
        workers = workers or set()
        subtask_ids = set(subtasks or ()) | {spec.task_id for specs in self.workers.by_task.values()
                                             for spec in specs if spec.worker_id in workers}
        looked: list[Subtask] = []
        for plan in self.registry.live():
            touched = [s for s in plan.subtasks if s.status in ACTIVE and (
                every or s.subtask_id in subtask_ids or (s.worker_id and s.worker_id in workers))]
            for subtask in touched:
                try:
                    self._observe(plan, subtask, now, now_text, check_liveness)
                except UNFORESEEN as exc:
                    self._contained(plan, subtask.subtask_id, exc)
            if touched:
                self._flush(plan)
            looked += touched
        if every:
            self.workers.keep_only(looked)
            self.workers.processes.forget_unlooked()
            self.signs.keep_only((s.subtask_id, s.attempt) for s in looked)

    def _observe(self, plan: Plan, subtask: Subtask, now: datetime, now_text: str, check_liveness: bool) -> None:
        facts = self.workers.facts(subtask, stale_workers(subtask))
        reported = _reported_by(subtask, facts, now_text)
        if reported is not None:
            self._apply(plan, subtask, reported)
            subtask = plan.subtask(subtask.subtask_id)
            if subtask.status not in ACTIVE:
                return
        if not check_liveness:
            return
        seen = self.signs.look((subtask.subtask_id, subtask.attempt), (*facts.beats, subtask.last_heartbeat),
                               (facts.worker_id, facts.pid, facts.files_changed, facts.progress, subtask.status,
                                subtask.started_at, subtask.last_progress_at, subtask.progress), self.clock.monotonic(),
                               phase=subtask.started_at)
        verdict = liveness.assess(subtask, facts, now, self.settings.config.monitor, self.clock_steps.steps, seen)
        for condition in sorted(verdict.conditions - set(subtask.conditions)):
            type_ = "zombie_detected" if condition == "zombie" else f"worker_{condition}"
            # an id, so a restart that finds it in the plan's outbox announces it once; a heartbeat that
            # goes stale again after a new beat is another start of the condition
            after = f":{subtask.last_heartbeat}" if condition == "heartbeat_stale" else ""
            self._emit(plan, type_, f"{condition}:{subtask.subtask_id}:{subtask.attempt}{after}",
                       subtask_id=subtask.subtask_id, attempt=subtask.attempt, worker_id=facts.worker_id,
                       pid=facts.pid, reason=verdict.reason or condition)
        if set(verdict.conditions) != set(subtask.conditions):
            subtask = self._set(plan, subtask, conditions=sorted(verdict.conditions))
        if verdict.failure:
            self._fail(plan, subtask, verdict.reason or verdict.failure, transient=True, kind=verdict.failure)

    def check_exited(self, subtask_ids: set[str]) -> None:
        """Their worker processes exited: adopt what the workers reported last, then judge them now."""
        for subtask_id in subtask_ids:
            self.sync_subtask(subtask_id)
        self.observe(subtasks=subtask_ids)

    def check_stops(self) -> None:
        """Workers asked to stop: SIGKILL those still there after the grace period; report the ended."""
        grace = self.settings.config.retry.terminate_grace_seconds
        for order, how in self.stops.check(self.clock.now(), grace):
            self.outbox.emit("worker_terminated", pid=order.pid, how=how, **(order.context or {}))

    def due_retries(self) -> float | None:
        """Hand off retries whose backoff has passed; seconds until the next one, if any.

        A retry scheduled in this run waits its backoff on the monotonic clock: a wall clock set
        forward (NTP, a person) would hand it off early, and rebasing ``retry_at`` across the step
        cannot tell, as it moves only what was written before the step. One scheduled before a
        restart is due by its ``retry_at``, the only record of it."""
        now = self.clock.now()
        monotonic = self.clock.monotonic()
        waits: list[float] = []
        deadlines, self._retry_deadlines = self._retry_deadlines, {}
        stopping = {order.context.get("subtask_id") for order in self.stops.orders.values() if order.context}
        for plan in self.registry.live():
            due = []
            for subtask in plan.subtasks:
                if subtask.status != "retry_wait":
                    continue
                key = (subtask.subtask_id, subtask.attempt)
                deadline = deadlines.get(key)
                if deadline is not None:
                    self._retry_deadlines[key] = deadline  # kept while it waits
                if subtask.subtask_id in stopping:
                    continue  # the old worker is still being stopped: never two attempts at once
                if deadline is not None:
                    left = deadline - monotonic
                else:
                    when = progress.retry_due(rebase(parse_timestamp(subtask.retry_at), self.clock_steps.steps), now,
                                              self.settings.config.retry)
                    left = (when - now).total_seconds()
                if left > 0:
                    waits.append(left)
                    continue
                self._retry_deadlines.pop(key, None)
                due.append(subtask.model_copy(update={"attempt": subtask.attempt + 1}))
            if due:
                self.hand_off(plan, due)
                self._flush(plan)
        return min(waits, default=None)

    def tick(self) -> float | None:
        """One full monitor pass: every live subtask file, every active worker, due retries, stops."""
        with self.batched():
            self._forget_archived()
            self.sync_all()
            self.observe()
            self.check_stops()
            self.finish_ended()
            return self.due_retries()

    def _forget_archived(self) -> None:
        """Plans whose files were archived: forget the ended ones, write the live ones again."""
        forgotten, rewrite = self.registry.forget_archived()
        for orchestration_id in forgotten + rewrite:
            self._settled.discard(orchestration_id)
        for orchestration_id in forgotten:
            self._dirty.pop(orchestration_id, None)
            self._write_problems.pop(orchestration_id, None)

    def finish_ended(self) -> None:
        """Write what could not be written of a plan that has ended (completed, aborted): its file,
        its report, the queue's status, then its events. No other pass looks at a plan once it is
        no longer live; its events are held until all of that is written."""
        for plan in list(self.registry.plans.values()):
            if plan.status in ("completed", "aborted") and self.outbox.holds(plan.orchestration_id):
                self._flush(plan)

    # --- stages, the end, and writing it all ------------------------------------------------------

    def _flush(self, plan: Plan) -> None:
        if self._batch is not None:
            self._batch[plan.orchestration_id] = plan
            return
        self._flush_many([plan])

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Write each plan changed inside once, at the end: a tick that reads a plan's subtask files
        and then its workers, or a pass with reports on several of its subtasks, wrote it at each step.

        Not around anything that must see its plan written before it goes on (a resume request's
        file is removed only after). After an error, the changes wait for the next tick's flush.
        """
        if self._batch is not None:
            yield
            return
        self._batch = {}
        try:
            yield
        except BaseException:
            self._batch = None
            raise
        plans, self._batch = list(self._batch.values()), None
        self._flush_many(plans)

    def _flush_many(self, plans: list[Plan]) -> None:
        """Advance what can advance; write each plan, then its effects; then release its events.

        A plan nothing changed since its last complete flush is skipped: a monitor tick over a
        thousand quiet subtasks costs their stats, not a thousand plan encodings.
        """
        todo = []
        for plan in plans:
            if plan.orchestration_id in self._settled and not self.outbox.holds(plan.orchestration_id):
                continue
            if plan.status in ("in_progress", "blocked"):
                self._complete_stages(plan)
                ready = progress.ready(plan)
                if ready:
                    self.hand_off(plan, ready)
                if progress.is_complete(plan):
                    self.complete(plan)
            plan.progress = progress.summarize(plan)
            todo.append(plan)
        # the subtask files and handoffs the plans are about to need: their temp files ride with the plans'
        # fsyncs, so each later write is its rename and its folder's fsync (two waits less a pickup, and
        # six less a stage advance: its subtask files rewritten and its handoffs withdrawn too)
        now = iso(self.clock)  # of the handoffs withdrawn: the same bytes ahead as written
        files = dict(file for plan in todo for file in self._effect_files(plan))
        self.store.ahead(list(files.items()))
        self.store.ahead_changes([change for plan in todo for change in self._effect_changes(plan, now)])
        saved = [plan for plan, ok in zip(todo, self.registry.save_many(todo, release=False), strict=True) if ok]
        for plan, done in zip(saved, self._effects_many(saved, files, now), strict=True):
            if not done:
                continue
            self.outbox.release(plan.orchestration_id)
            if plan.status in ("completed", "aborted"):
                self.outbox.forget(plan.orchestration_id)
            if not self._dirty.get(plan.orchestration_id):  # an unreadable subtask file is tried again
                self._settled.add(plan.orchestration_id)

    def _effect_files(self, plan: Plan) -> list[tuple[Path, Any]]:
        """The subtask files :meth:`_effects` would create for ``plan`` now, and the handoffs it would write."""
        return [*((self.layout.subtask(s.subtask_id), s.model_dump(mode="json")) for s in self._unwritten(plan)),
                *(self._handoff_file(plan, s) for s in self._due(plan))]

    def _effect_changes(self, plan: Plan, now: str) -> list[tuple[Path, Callable[[dict[str, Any]], None]]]:
        """The changes :meth:`_effects` would make now to ``plan``'s existing subtask files, and to the
        handoffs of the attempts they end, if every one of them is written."""
        new = {s.subtask_id for s in self._unwritten(plan)}
        marked = [(plan.subtask(i), restore) for i, restore in self._dirty.get(plan.orchestration_id, {}).items()
                  if i not in new]
        return [*(self._subtask_change(s, restore) for s, restore in marked),
                *((path, self._cancel(reason, now)) for s, _ in marked for _, path, reason in self._withdrawals(plan, s))]

    def _unwritten(self, plan: Plan, fresh: set[str] | frozenset[str] = frozenset()) -> list[Subtask]:
        """Subtasks whose file was not announced as created (nor just created in a batch: ``fresh``)."""
        o = plan.orchestration_id
        return [s for s in plan.subtasks if not self.outbox.was_announced(f"{o}:created:{s.subtask_id}")
                and s.subtask_id not in fresh]

    def _due(self, plan: Plan) -> list[Subtask]:
        """Active subtasks whose current attempt's handoff was not written yet."""
        return [s for s in plan.subtasks if s.status in ACTIVE and not self._handed_off(plan.orchestration_id, s)]

    def _effects_many(self, plans: list[Plan], files: dict[Path, Any] | None = None, now: str | None = None) -> list[bool]:
        """:meth:`_effects` of each plan; with several, their new subtask files are created in one
        batch, then (those files durable) the handoffs of the fresh ones in another. Whatever a
        batch did not write, each plan's own :meth:`_effects` writes (or reports) after it."""
        fresh: set[str] = set()
        files = files or {}
        if len(plans) > 1:
            new = [(p, s) for p in plans for s in self._unwritten(p)]
            try:
                created = self.store.create_json_many([self._new_subtask_file(s, files) for _, s in new])
                fresh = {s.subtask_id for (_, s), ok in zip(new, created, strict=True) if ok}
                self.store.create_json_many([self._handoff_file(p, s) for p, s in new
                                             if s.subtask_id in fresh and s.status in ACTIVE])
            except StoreError:
                pass  # each plan's own effects write what is missing, and say what failed
        return [self._effects(plan, fresh, files, now) for plan in plans]

    def _new_subtask_file(self, subtask: Subtask, files: dict[Path, Any]) -> tuple[Path, Any]:
        """A subtask's file as the plan has it (encoded once: :meth:`_effect_files` did it for :meth:`Store.ahead`)."""
        path = self.layout.subtask(subtask.subtask_id)
        return path, files[path] if path in files else subtask.model_dump(mode="json")

    def _effects(self, plan: Plan, fresh: set[str] | frozenset[str] = frozenset(),
                 files: dict[Path, Any] | None = None, now: str | None = None) -> bool:
        """Write what the plan says and the files do not show yet, each write idempotent.

        What is "not shown yet" follows from the plan and from which events were announced
        (an event is announced only after its effects are written), so a restart, a dropped
        event or a failed write all end the same way: the next pass writes what is missing.
        False: a write failed (tried again on the next pass).
        """
        o = plan.orchestration_id
        marks = self._dirty.pop(o, {})
        for subtask_id in fresh & marks.keys():  # created in a batch just now, as the plan has it
            del marks[subtask_id]
        try:
            new = self._unwritten(plan, fresh)
            if new:
                written = self.store.create_json_many([self._new_subtask_file(s, files or {}) for s in new])
                for subtask, created in zip(new, written, strict=True):
                    if created:  # written as the plan has it: nothing more to write
                        marks.pop(subtask.subtask_id, None)
            if marks:
                self._write_marked(plan, marks, now or iso(self.clock))
            due = self._due(plan)
            if due:  # a stage's handoffs together: their fsyncs shared, all after the subtask files
                self.store.create_json_many([self._handoff_file(plan, s) for s in due])
                self._handing.difference_update(f"{o}:handoff:{s.subtask_id}:{s.attempt}" for s in due)
            self._status_effects(plan)
        except StoreError as exc:
            self._dirty.setdefault(o, {}).update(marks)
            known = self._write_problems.get(o)
            if known != str(exc):  # once per cause, not on every retry; once per spell across restarts (ops24: every
                # restart while the queue stayed unreadable said it again, and nothing said when it was over)
                self.outbox.say_fault(_plan_unwritten(o), "write_failed", again=known not in (None, SAID_BEFORE),
                                      orchestration_id=o, problem=str(exc), action="written again on the next pass")
            self._write_problems[o] = str(exc)
            return False
        if self._write_problems.pop(o, None) is not None:
            self.outbox.say_cleared(_plan_unwritten(o), "write_recovered", orchestration_id=o,
                                    action="nothing to do: the plan's files were written")
        return True

    def _handed_off(self, orchestration_id: str, subtask: Subtask) -> bool:
        """Whether the current attempt's handoff was written and announced: its event is in the part of the
        events file read at start, or it was handed off before that part begins (a file rotated since, or
        a long one whose end was read). Its master may have taken and removed the file since: written
        again, the work was done twice. One this process handed off is not taken as written by its time:
        with the clock set back, a stage started now looked older than that part, and its handoff was
        never written (the plan stalled)."""
        key = f"{orchestration_id}:handoff:{subtask.subtask_id}:{subtask.attempt}"
        if self.outbox.was_announced(key):
            self._handing.discard(key)
            return True
        moment = parse_timestamp(subtask.handed_off_at)
        return key not in self._handing and moment is not None and not self.outbox.knows_since(moment)

    def _handoff_file(self, plan: Plan, subtask: Subtask) -> tuple[Path, dict[str, Any]]:
        """The handoff of a subtask's current attempt, and where it goes."""
        return (self.layout.subtask_handoff(subtask.assigned_to, subtask.subtask_id, subtask.attempt),
                handoffs.for_subtask(plan, subtask, plan.priority, subtask.handed_off_at or iso(self.clock)).to_json())

    def _write_marked(self, plan: Plan, marks: dict[str, bool], now: str) -> None:
        """The marked subtask files in one step (each under its lock, read, changed, all written together:
        their fsyncs shared, their folder synced once), then, in another, the handoffs of the attempts
        they show ended, withdrawn. A file that cannot be read (not JSON, not an object, not a file) is
        never rewritten, is reported once, and holds up nothing else: it is tried again on later passes."""
        ids = list(marks)
        written: list[Subtask] = []
        failed: StoreError | None = None
        results = self.store.update_json_many([self._subtask_change(plan.subtask(i), marks[i]) for i in ids])
        for subtask_id, result in zip(ids, results, strict=True):
            if isinstance(result, StoreError):
                failed = failed or self._unwritable(plan, subtask_id, marks[subtask_id], result)
                continue
            # read again on the next look: a worker may have written since our read, or in place since
            self._subtask_file(subtask_id).forget()
            self._valid_again(plan, subtask_id)
            if self._locked_out.pop(subtask_id, None) is not None:
                self.outbox.say_cleared(_lock_wait(plan.orchestration_id, subtask_id), "write_recovered",
                                        subtask_id=subtask_id, orchestration_id=plan.orchestration_id,
                                        path=str(self._subtask_file(subtask_id).path),
                                        action="nothing to do: written once the lock was free")
            written.append(plan.subtask(subtask_id))
        if failed is not None:
            raise failed
        self._withdraw_handoffs(plan, written, marks, now)

    def _unwritable(self, plan: Plan, subtask_id: str, restore: bool, exc: StoreError) -> StoreError | None:
        """A subtask file's write failed: the folder or the disk (returned: the whole change is written
        again), or the file itself (left as it is, reported once, written when it can be read again)."""
        if "cannot write" in str(exc) or "cannot create" in str(exc):
            return exc
        self._dirty.setdefault(plan.orchestration_id, {})[subtask_id] = restore
        problem = describe(exc)
        if isinstance(exc, LockTimeout):  # the file is fine: another process holds it (said once per wait)
            if subtask_id not in self._locked_out:  # waited for or only tried (the pass's wait spent): one wait
                # a numbered spell: a restart reads it back into _locked_out (:meth:`start`), says nothing new
                self.outbox.say_fault(_lock_wait(plan.orchestration_id, subtask_id), "write_failed",
                                      subtask_id=subtask_id, orchestration_id=plan.orchestration_id,
                                      path=str(self._subtask_file(subtask_id).path), problem=problem,
                                      action="written on a later pass, once the lock is free")
            self._locked_out[subtask_id] = problem
            return None
        self._say_invalid(plan, subtask_id, problem, "left as it is; written when it can be read again")
        return None

    def _say_invalid(self, plan: Plan, subtask_id: str, problem: str, action: str) -> None:
        """A subtask file that cannot be read, said once per problem, and once per spell across restarts."""
        known = self._invalid.get(subtask_id)
        if known != problem:
            self.outbox.say_fault(_invalid_file(plan.orchestration_id, subtask_id), "subtask_invalid",
                                  again=known not in (None, SAID_BEFORE), subtask_id=subtask_id,
                                  orchestration_id=plan.orchestration_id, problem=problem, action=action)
        self._invalid[subtask_id] = problem

    def _valid_again(self, plan: Plan, subtask_id: str) -> None:
        """A subtask file read or written: a spell of ``subtask_invalid`` is over, said once (``subtask_recovered``)."""
        if self._invalid.pop(subtask_id, None) is not None:
            self.outbox.say_cleared(_invalid_file(plan.orchestration_id, subtask_id), "subtask_recovered",
                                    subtask_id=subtask_id, orchestration_id=plan.orchestration_id,
                                    path=str(self._subtask_file(subtask_id).path), action="nothing to do: read again")

    def _subtask_change(self, subtask: Subtask, restore: bool) -> tuple[Path, Callable[[dict[str, Any]], None]]:
        """A subtask file and the change that writes the daemon's fields into it, keeping the worker's
        while its attempt runs (it depends on nothing but the file: :meth:`Store.ahead_changes`)."""
        desired = subtask.model_dump(mode="json")
        restore = restore or subtask.status not in ACTIVE

        def change(data: dict[str, Any]) -> None:
            # the file shows the running attempt as its worker left it: keep what the worker wrote
            keep = not restore and data.get("attempt") == subtask.attempt and data.get("status") in REPORTED
            for key, value in desired.items():
                if keep and key in WORKER_FIELDS and key in data:
                    continue  # the worker's, of the running attempt: it may have written since we read
                if key in WORKER_FIELDS and isinstance(data.get(key), dict | list | int | float) \
                        and as_text(data[key]) == value:
                    continue  # the worker's object or number, which we read as this text: kept as written
                data[key] = value

        return self._subtask_file(subtask.subtask_id).path, change

    def _withdrawals(self, plan: Plan, subtask: Subtask) -> list[tuple[int, Path, str]]:
        """The handoffs nobody should take any more, not yet announced withdrawn (attempt, path, reason):
        those of earlier attempts, and the current one once its attempt is over (failed, waiting for its
        retry or a person, completed, skipped, or its plan aborted): the consumer takes every ``pending``
        one, and one taken late started a worker on an attempt that had ended, beside the retry's."""
        o = plan.orchestration_id
        over = (subtask.status not in ACTIVE and subtask.status != "pending") or plan.status == "aborted"
        why = ("skipped by a person" if subtask.status == "skipped" else "the orchestration was aborted"
               if plan.status == "aborted" else f"attempt {subtask.attempt} ended")
        return [(attempt, self.layout.subtask_handoff(subtask.assigned_to, subtask.subtask_id, attempt),
                 why if attempt == subtask.attempt else f"superseded by attempt {subtask.attempt}")
                for attempt in range(1, subtask.attempt + (1 if over else 0))
                if not self.outbox.was_announced(f"{o}:withdrawn:{subtask.subtask_id}:{attempt}")]

    def _cancel(self, reason: str, now: str,
                said: Callable[[], None] = lambda: None) -> Callable[[dict[str, Any]], None]:
        """The change that withdraws a handoff (``now``: the same bytes ahead as written); ``said`` is
        called when the withdrawal is one to announce."""
        def cancel(data: dict[str, Any]) -> None:
            if handoffs.withdraw_to_announce(data, reason, now, self.outbox.knows_since):
                said()

        return cancel

    def _withdraw_handoffs(self, plan: Plan, subtasks: list[Subtask], marks: dict[str, bool], now: str) -> None:
        """Mark the handoffs of :meth:`_withdrawals` ``cancelled``, in one step; a handoff that cannot be
        read holds back its subtask (written again, and this tried again, on the next pass)."""
        todo = [(subtask, attempt, path, reason) for subtask in subtasks
                for attempt, path, reason in self._withdrawals(plan, subtask)]
        if not todo:
            return
        withdrawn: set[int] = set()
        with self.store.later():  # their folder is fsynced with the new handoffs' links that follow, if any
            results = self.store.update_json_many([(path, self._cancel(reason, now, partial(withdrawn.add, at)))
                                                   for at, (_, _, path, reason) in enumerate(todo)], create=False)
        failed: StoreError | None = None
        for at, ((subtask, attempt, path, reason), result) in enumerate(zip(todo, results, strict=True)):
            if isinstance(result, StoreError):
                failed = failed or self._unwritable(plan, subtask.subtask_id, marks[subtask.subtask_id], result)
            elif at in withdrawn:
                self._emit(plan, "handoff_withdrawn", f"withdrawn:{subtask.subtask_id}:{attempt}",
                           subtask_id=subtask.subtask_id, attempt=attempt, reason=reason,
                           path=self.layout.rel(path))
        if failed is not None:
            raise failed

    def _status_effects(self, plan: Plan) -> None:
        """The escalation file, the report and the queue task, for a status not yet announced."""
        o = plan.orchestration_id
        resumed = any(e.type == "orchestration_resumed" for e in self.outbox.held_events(o))
        if plan.status == "blocked" and plan.blocking_subtask:
            blocking = plan.subtask(plan.blocking_subtask)
            if resumed or not self.outbox.was_announced(f"{o}:blocked:{blocking.subtask_id}:{blocking.attempt}"):
                self.store.write_json(self.layout.escalation(o), self._escalation(plan))
                self._queue_follows(plan)
        elif plan.status == "completed" and not self.outbox.was_announced(f"{o}:completed"):
            built = report.build(plan, plan.task_description)
            self.store.write_json(self.layout.report(o, ".json"), built)
            self.store.write_bytes(self.layout.report(o, ".md"), report.markdown(built).encode())
            self._queue_follows(plan)
        else:
            aborted = plan.status == "aborted" and not self.outbox.was_announced(f"{o}:aborted")
            if aborted or (resumed and plan.status == "in_progress"):
                self._queue_follows(plan)

    def _escalation(self, plan: Plan) -> dict[str, Any]:
        assert plan.blocking_subtask is not None
        subtask = plan.subtask(plan.blocking_subtask)
        path = self.layout.escalation(plan.orchestration_id)
        return {
            "orchestration_id": plan.orchestration_id, "orchestration_status": "blocked",
            "parent_task_id": plan.parent_task_id, "task_title": plan.task_title,
            "blocking_subtask": subtask.subtask_id, "subtask_title": subtask.title, "master": subtask.assigned_to,
            "failure_reason": plan.failure_reason, "escalation": plan.escalation,
            "escalated_at": blocked_at(subtask),
            "escalation_file": self.layout.rel(path),
            "attempts": [a.model_dump(exclude_none=True) for a in subtask.attempts],
            "may_go_on": progress.unaffected_by(plan, subtask.subtask_id),
            "resume": resume_commands(plan.orchestration_id, subtask.subtask_id),
        }

    def _queue_follows(self, plan: Plan) -> None:
        """The queue task shows how the orchestration stands (raises StoreError to be tried again)."""
        status = QUEUE_STATUS.get(plan.status)
        if status is None:
            return
        fields: dict[str, Any] = {}
        if plan.status == "completed":
            done = sum(s.status == "completed" for s in plan.subtasks)
            criteria = report.success_criteria(plan)
            fields = {"completed_at": plan.completed_at, "report": plan.report,
                      "result": f"{done}/{len(plan.subtasks)} subtasks completed in {len(plan.execution_plan)} "
                                f"stages; success criteria met: {sum(criteria.values())}/5"}
        elif plan.status == "blocked":
            fields = {"blocked_reason": f"{plan.blocking_subtask}: {plan.failure_reason}",
                      "escalation_file": self.layout.rel(self.layout.escalation(plan.orchestration_id))}
        elif plan.status == "aborted" and (moved := progress.moved_to(plan)):
            # given to one master instead: pending again as its next attempt, for that master only (Engine.intake)
            if not self.engine.edit_task(plan.parent_task_id,
                                         lambda entry: queue_edits.route_to(entry, moved, by=progress.moved_by(plan),
                                                                             now=plan.completed_at or iso(self.clock))):
                raise StoreError(f"{self.layout.queue}: the task {plan.parent_task_id} could not be updated")
            return
        elif plan.status == "aborted":
            fields = {"cancelled_at": plan.completed_at, "blocked_reason": None}
        else:
            fields = {"blocked_reason": None}
        if not self.engine.set_task(plan.parent_task_id, status, **fields):
            raise StoreError(f"{self.layout.queue}: the task {plan.parent_task_id} could not be updated")

    def _complete_stages(self, plan: Plan) -> None:
        done = {entry["stage"] for entry in plan.stage_history if entry.get("event") == "completed"}
        for number, ids in enumerate(plan.execution_plan.values(), 1):
            if number in done:
                continue
            if not all(plan.subtask(i).status in DONE for i in ids):
                break
            plan.stage_history.append({"stage": number, "event": "completed", "at": iso(self.clock)})
            self._emit(plan, "stage_completed", f"stage:{number}:completed", stage=number,
                       stages=len(plan.execution_plan))

    def complete(self, plan: Plan) -> None:
        plan.status = "completed"
        plan.completed_at = iso(self.clock)
        plan.progress = progress.summarize(plan)
        plan.report = self.layout.rel(self.layout.report(plan.orchestration_id, ".md"))
        criteria = report.success_criteria(plan)
        done = sum(s.status == "completed" for s in plan.subtasks)
        summary = (f"{done}/{len(plan.subtasks)} subtasks completed in {len(plan.execution_plan)} stages; "
                   f"success criteria met: {sum(criteria.values())}/5")
        self._emit(plan, "orchestration_completed", "completed", task_id=plan.parent_task_id, report=plan.report,
                   success=all(criteria.values()), summary=summary)

    # --- a person's decisions ----------------------------------------------------------------------

    def handle_requests(self) -> None:
        """Carry out ``orchestrator resume`` requests (files in ``orchestrator/requests/``).

        A request file is removed after the plan it changed and the change's effects are
        written: a crash before that carries it out again, and it is refused as already done.
        One that cannot be removed (a read-only folder) is said once and never carried out again:
        left there, it would retry a later failure of the same subtask that nobody asked to retry.
        """
        requests = self.store.list_json(self.layout.requests)
        self._kept_requests &= set(requests)
        for path in requests:
            if path in self._kept_requests:
                continue
            request = self.store.read_json_or_none(path)
            fields = ("orchestration_id", "action", "subtask_id", "master")
            if not isinstance(request, dict) or any(not isinstance(request.get(k), str | None) for k in fields):
                self.outbox.emit("request_invalid", path=str(path),
                                 problem="not a JSON object whose orchestration_id, action, subtask_id and master are text")
            else:
                problem = self._resume(request, path.stem)
                if problem:
                    self.outbox.emit("request_refused", orchestration_id=request.get("orchestration_id"),
                                     action=request.get("action"), problem=problem)
            try:
                self.store.remove(path)
            except OSError as exc:
                self._kept_requests.add(path)
                self.outbox.emit("write_failed", path=str(path), problem=f"cannot remove: {exc.strerror or exc}",
                                 action="the request is not carried out again; remove it by hand")

    def _taken_handoffs(self, plan: Plan) -> str | None:
        """Why a plan cannot be given to one master although no worker has started: a master took a handoff of
        it (its consumer turns it into a worker next), and would do that part beside the one the task goes to."""
        taken = []
        for subtask in plan.subtasks:
            if subtask.status == "assigned":
                handoff = self.store.read_json_or_none(
                    self.layout.subtask_handoff(subtask.assigned_to, subtask.subtask_id, subtask.attempt))
                if isinstance(handoff, dict) and handoff.get("status") not in (None, "pending"):
                    taken.append(f"{subtask.subtask_id} ({handoff.get('status')})")
        return (f"work on it has begun: its master took {', '.join(taken[:3])}; abort it (orchestrator resume "
                f"{plan.orchestration_id} --abort) and hand over what is left yourself") if taken else None

    def _resume(self, request: dict[str, Any], name: str) -> str | None:
        plan = self.registry.get(str(request.get("orchestration_id")))
        action, subtask_id = request.get("action"), request.get("subtask_id")
        if plan is None:
            return f"no orchestration {request.get('orchestration_id')!r}"
        if self.outbox.was_announced(f"{plan.orchestration_id}:resumed:{name}"):
            return None  # carried out before a restart that came before its file was removed
        for subtask in plan.subtasks:  # what workers wrote since the last event (a start the check must see)
            if subtask.status in ACTIVE:
                self.sync_subtask(subtask.subtask_id)
        problem = progress.resume_problem(plan, str(action), subtask_id if isinstance(subtask_id, str) else None)
        master = normalize_master(request.get("master"))
        if action == "simple" and master not in MASTERS:
            problem = problem or f"{request.get('master')!r} is not a master: {', '.join(MASTERS)}"
        if action == "simple" and not problem:
            problem = self._taken_handoffs(plan)
        if problem:
            return problem
        if action in ("abort", "simple"):
            # "simple": a person gives the task to one master instead; the queue then says so (_queue_follows)
            moved = master if action == "simple" else None
            plan.status = "aborted"
            plan.completed_at = iso(self.clock)
            plan.interventions.append(Intervention(at=plan.completed_at, event="aborted", action=str(action), master=moved,
                                                   requested_by=_text(request.get("requested_by"))))
            for subtask in plan.subtasks:  # their pending handoffs are withdrawn, their running workers stopped
                if subtask.status in ACTIVE:
                    self._stop_worker(plan, subtask)
                self._mark(plan, subtask.subtask_id, restore=False)
            self._emit(plan, "orchestration_aborted", "aborted", requested_by=request.get("requested_by"),
                       **({"moved_to": moved} if moved else {}))
            self._flush(plan)
            return None
        assert isinstance(subtask_id, str)
        subtask = plan.subtask(subtask_id)
        if action == "skip":
            if subtask.status in ACTIVE:  # its report would be refused: left running, it went on beside the next stage
                self._stop_worker(plan, subtask)
            self._set(plan, subtask, restore=True, status="skipped", completed_at=iso(self.clock),
                      result="skipped by a person")
        else:
            self._retry_deadlines.pop((subtask.subtask_id, subtask.attempt), None)  # now, not when its backoff ends
            # a subtask already waiting for its retry counted it when it was scheduled: counted twice, attempt 2
            # said retry_count 2 (attempts before it: 1)
            counted = subtask.retry_count + (subtask.status != "retry_wait")
            self._set(plan, subtask, restore=True, status="retry_wait", retry_at=iso(self.clock),
                      retry_reason="retried by a person", retry_count=counted)
        plan.interventions.append(Intervention(at=iso(self.clock), event="resumed", subtask_id=subtask_id,
                                               attempt=subtask.attempt, action=str(action),
                                               requested_by=_text(request.get("requested_by"))))
        if plan.status == "blocked":
            # blocked while any subtask waits for a person: with two escalated, unblocking on the one the plan
            # named left the other failed in a plan "in progress" that could never end, and nothing said so
            waiting = progress.waiting_for_a_person(plan)
            if not waiting:
                plan.status, plan.blocking_subtask, plan.failure_reason, plan.escalation = "in_progress", None, None, None
            elif plan.blocking_subtask not in {s.subtask_id for s in waiting}:
                plan.blocking_subtask = waiting[0].subtask_id
                plan.failure_reason = progress.escalated_because(plan, waiting[0])
        fresh = self.settings.config.retry.max_attempts if action == "retry" else None  # counted from this retry
        self._emit(plan, "orchestration_resumed", f"resumed:{name}", action=action, subtask_id=subtask_id,
                   requested_by=request.get("requested_by"), still_blocked_by=plan.blocking_subtask,
                   attempts_allowed=fresh)
        self.due_retries()
        self._flush(plan)
        return None


SAID_BEFORE = "said before this start"
"""What a fault the events file says is open is known as at start (its problem is not read back)."""


def _lock_wait(orchestration_id: str, subtask_id: str) -> Fault:
    """Another process holds a subtask file's lock (ops22's ids, kept)."""
    return Fault(f"{orchestration_id}:lock_wait:{subtask_id}", f"{orchestration_id}:lock_free:{subtask_id}")


def _plan_unwritten(orchestration_id: str) -> Fault:
    """A plan's effects (its subtask files, handoffs, queue task) that could not be written, until they are."""
    return Fault(f"{orchestration_id}:unwritten", f"{orchestration_id}:written")


def _invalid_file(orchestration_id: str, subtask_id: str) -> Fault:
    """A subtask file that cannot be read (``subtask_invalid``), until it is read or written (``subtask_recovered``)."""
    return Fault(f"{orchestration_id}:invalid:{subtask_id}", f"{orchestration_id}:valid:{subtask_id}")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _worker_view(subtask: Subtask) -> tuple[Any, ...]:
    return tuple(getattr(subtask, k) for k in WORKER_FIELDS) + (subtask.attempt,)


def _reported_by(subtask: Subtask, facts: WorkerFacts, now: str) -> Report | None:
    """Worker specs, heartbeat and status files, read as a report on the subtask."""
    known_beat = parse_timestamp(subtask.last_heartbeat)
    newer_beat = facts.heartbeat and (known_beat is None or facts.heartbeat > known_beat)
    if not (newer_beat or facts.finished or (facts.progress and facts.progress != subtask.progress)
            or (facts.worker_id and not subtask.worker_id) or (facts.pid and not subtask.pid)):
        return None  # nothing new: the usual case on a tick, decided without building a report
    report = Report(
        worker_id=facts.worker_id if facts.worker_id and not subtask.worker_id else None,
        pid=facts.pid if facts.pid and not subtask.pid else None,
        heartbeat=format_timestamp(facts.heartbeat) if newer_beat and facts.heartbeat else None,
        progress=facts.progress if facts.progress != subtask.progress else None,  # the same says nothing new
        status={"completed": "completed", "failed": "failed"}.get(facts.finished or ""),
        result=facts.result if facts.finished == "completed" else None,
        error=(facts.error or "worker reported failure") if facts.finished == "failed" else None,
        completed_at=now if facts.finished == "completed" else None,
    )
    return None if report == Report() else report


def resume_commands(orchestration_id: str, subtask_id: str) -> list[str]:
    """What a person runs to unblock an orchestration (the escalation file and the web page show them)."""
    return [f"orchestrator resume {orchestration_id} --retry {subtask_id}",
            f"orchestrator resume {orchestration_id} --skip {subtask_id}",
            f"orchestrator resume {orchestration_id} --abort"]


def blocked_at(subtask: Subtask) -> str | None:
    """When the plan was blocked: the end of the blocking subtask's last attempt."""
    return subtask.attempts[-1].ended_at if subtask.attempts else None
