"""Carry every plan to its end: watch subtasks and workers, advance stages, retry, escalate, report.

The subtask file is the truth about a subtask. Masters and workers write it (directly or
with ``orchestrator subtask ...``); worker specs, heartbeats and status files are read as
reports too. The daemon is the only writer of plans, escalations and reports.

Fields of a subtask belong either to its worker (status, worker_id, pid, heartbeats,
progress, result, error) or to the daemon (attempt, hand-off time, retries, conditions,
attempt history); a report only ever changes the worker's fields.

Like the engine, every method runs on the engine thread, one at a time.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from orchestrator import handoffs, intake, liveness, progress, report
from orchestrator.config import Config
from orchestrator.engine import Engine
from orchestrator.liveness import WorkerFacts
from orchestrator.models import ACTIVE, DONE, Attempt, Plan, Subtask, describe
from orchestrator.store import Snapshot, StoreError
from orchestrator.timestamps import format_timestamp, now_iso, parse_timestamp, utc_now
from orchestrator.workers import WorkerDirectory, stop_process

log = structlog.get_logger("orchestrator")

WORKER_FIELDS = ("status", "worker_id", "pid", "started_at", "last_heartbeat", "progress", "completed_at",
                 "result", "error", "transient")
REPORTED_STATUSES = {"in_progress", "completed", "failed"}


class Supervisor:
    def __init__(self, engine: Engine, rng: random.Random | None = None) -> None:
        self.engine = engine
        self.store = engine.store
        self.layout = engine.layout
        self.config = engine.config
        self.rng = rng or random.Random()
        workspace = Path(self.config.monitor.workspace_dir) if self.config.monitor.workspace_dir else self.layout.root.parent
        self.workers = WorkerDirectory(self.store, workspace, self._invalid_worker_file)
        self._reported_files: set[Path] = set()
        self._written: dict[str, dict[str, Any]] = {}  # each plan as last written, to write only changes
        self._owner: dict[str, str] = {}  # subtask id -> orchestration id

    def reconfigure(self, config: Config) -> None:
        self.config = config

    # --- lookups -----------------------------------------------------------------------

    def _plan_of(self, subtask_id: str) -> Plan | None:
        if not self._owner or subtask_id not in self._owner:
            self._owner = {s.subtask_id: p.orchestration_id for p in self.engine.plans.values() for s in p.subtasks}
        orchestration_id = self._owner.get(subtask_id)
        return self.engine.plans.get(orchestration_id) if orchestration_id else None

    def forget_owners(self) -> None:
        """A plan was added: rebuild the subtask -> plan index on the next lookup."""
        self._owner = {}

    def _live_plans(self) -> list[Plan]:
        return [p for p in self.engine.plans.values() if p.status in ("in_progress", "blocked")]

    def _invalid_worker_file(self, path: Path, problem: str) -> None:
        if path not in self._reported_files:
            self._reported_files.add(path)
            self.engine.emit("worker_spec_invalid", path=str(path), problem=problem, action="skipped")

    @staticmethod
    def _stale_workers(subtask: Subtask) -> set[str]:
        """Workers of attempts that are over: their reports are ignored."""
        return {a.worker_id for a in subtask.attempts if a.worker_id and a.outcome and a.attempt < subtask.attempt}

    # --- writing a subtask ------------------------------------------------------------

    def _save(self, plan: Plan, subtask: Subtask, **changes: Any) -> Subtask:
        """Apply daemon changes to the subtask file under its lock, keeping what others wrote."""
        encoded = Subtask.model_validate(subtask.model_dump() | changes).model_dump(mode="json")

        def change(data: dict[str, Any]) -> None:
            for key, value in encoded.items():
                if key in changes or key not in WORKER_FIELDS:
                    data[key] = value  # ours, or a worker's field we mean to change
                else:
                    data.setdefault(key, value)  # the worker's: keep what it wrote last

        try:
            saved = Subtask.model_validate(self.store.update_json(self.layout.subtask(subtask.subtask_id), change))
        except (StoreError, ValueError) as exc:
            self.engine.emit("subtask_write_failed", subtask_id=subtask.subtask_id, problem=str(exc))
            saved = Subtask.model_validate(encoded)
        self._replace(plan, saved)
        return saved

    @staticmethod
    def _replace(plan: Plan, subtask: Subtask) -> None:
        plan.subtasks = [subtask if s.subtask_id == subtask.subtask_id else s for s in plan.subtasks]

    # --- handing off --------------------------------------------------------------------

    def load(self) -> None:
        """After a restart: the subtask files are the truth; then move on from where things are."""
        for plan in self._live_plans():
            self._written[plan.orchestration_id] = plan.model_dump(mode="json")
            for subtask in plan.subtasks:
                on_disk = self.store.read_json_or_none(self.layout.subtask(subtask.subtask_id))
                try:
                    self._replace(plan, Subtask.model_validate(on_disk))
                except ValueError:
                    continue
            self._flush(plan)

    def begin(self, plan: Plan) -> None:
        """Start a freshly written plan: hand off stage 1."""
        plan.status = "in_progress"
        self._flush(plan)

    def hand_off(self, plan: Plan, subtasks: list[Subtask], priority: str) -> None:
        now = now_iso()
        for subtask in subtasks:
            subtask = self._save(plan, subtask, status="assigned", handed_off_at=now, retry_at=None, conditions=[],
                                 worker_id=None, pid=None, started_at=None, last_heartbeat=None, progress=None,
                                 error=None, transient=None,
                                 attempts=[*subtask.attempts, Attempt(attempt=subtask.attempt, handed_off_at=now)])
            handoff = handoffs.for_subtask(plan, subtask, priority, now)
            path = self.layout.subtask_handoff(subtask.assigned_to, subtask.subtask_id, subtask.attempt)
            if self.store.create_json(path, handoff.to_json()):
                self.engine.emit("handoff_created", handoff_id=handoff.handoff_id, orchestration_id=plan.orchestration_id,
                                 subtask_id=subtask.subtask_id, master=subtask.assigned_to, attempt=subtask.attempt,
                                 path=str(path.relative_to(self.layout.root)))
        started = {entry["stage"] for entry in plan.stage_history if entry.get("event") == "started"}
        for stage in sorted({s.stage for s in subtasks} - started):
            plan.stage_history.append({"stage": stage, "event": "started", "at": now})
            self.engine.emit("stage_started", orchestration_id=plan.orchestration_id, stage=stage,
                             stages=len(plan.execution_plan),
                             subtasks=[s.subtask_id for s in subtasks if s.stage == stage])

    # --- reports from workers -------------------------------------------------------------

    def sync_subtask(self, subtask_id: str) -> None:
        """A subtask file changed: adopt what its worker reported."""
        plan = self._plan_of(subtask_id)
        if plan is None or plan.status not in ("in_progress", "blocked"):
            return
        path = self.layout.subtask(subtask_id)
        known = plan.subtask(subtask_id)
        try:
            raw = self.store.read_json(path)
            if not isinstance(raw, dict):
                raise StoreError(f"{path}: top level is {type(raw).__name__}, expected an object")
            # a writer may leave out what it does not know: what it wrote, over what we know
            reported = Subtask.model_validate(known.model_dump(mode="json") | raw)
        except (StoreError, ValueError) as exc:
            self.engine.emit("subtask_invalid", subtask_id=subtask_id, orchestration_id=plan.orchestration_id,
                             problem=describe(exc), action="ignored until it is valid again")
            return
        if reported == known:
            return  # our own write coming back, or nothing new
        self._report(plan, known, reported, from_file=True)
        self._flush(plan)

    def _report(self, plan: Plan, known: Subtask, reported: Subtask, *, from_file: bool) -> None:
        stale = self._stale_workers(known)
        if reported.attempt < known.attempt or (reported.worker_id in stale and reported.worker_id != known.worker_id):
            if reported.status != known.status or reported.worker_id != known.worker_id:
                self.engine.emit("stale_report_ignored", subtask_id=known.subtask_id, worker_id=reported.worker_id,
                                 attempt=reported.attempt, current_attempt=known.attempt)
                if from_file:
                    self._save(plan, known, **{k: getattr(known, k) for k in WORKER_FIELDS})
            return
        if known.status not in ACTIVE:
            if from_file and reported.status != known.status:
                self._save(plan, known, status=known.status)  # not the worker's to change now
            return
        update = {k: getattr(reported, k) for k in WORKER_FIELDS if getattr(reported, k) is not None}
        if update.get("status") not in REPORTED_STATUSES or (known.status == "in_progress" and update["status"] in ACTIVE):
            update.pop("status", None)  # workers move a subtask forward, never back
        if reported.progress and reported.progress != known.progress:
            update["last_progress_at"] = now_iso()
        merged = known.model_copy(update=update)
        if not from_file and update and merged != known:
            merged = self._save(plan, known, **update)
        else:
            self._replace(plan, merged)
        if reported.status == "in_progress" and known.status == "assigned":
            self.engine.emit("subtask_started", orchestration_id=plan.orchestration_id, subtask_id=known.subtask_id,
                             worker_id=merged.worker_id, pid=merged.pid, attempt=merged.attempt)
        elif reported.status == "completed":
            self._close_attempt(plan, merged, "completed", None, completed_at=merged.completed_at or now_iso())
            self.engine.emit("subtask_completed", orchestration_id=plan.orchestration_id, subtask_id=known.subtask_id,
                             worker_id=merged.worker_id, attempt=merged.attempt, result=(merged.result or "")[:200])
        elif reported.status == "failed":
            self._fail(plan, merged, merged.error or "reported failed", transient=merged.transient is not False,
                       kind="reported")

    def _close_attempt(self, plan: Plan, subtask: Subtask, outcome: str, reason: str | None, **changes: Any) -> Subtask:
        attempts = list(subtask.attempts) or [Attempt(attempt=subtask.attempt, handed_off_at=subtask.handed_off_at)]
        attempts[-1] = attempts[-1].model_copy(update={
            "worker_id": subtask.worker_id, "pid": subtask.pid, "started_at": subtask.started_at,
            "ended_at": now_iso(), "outcome": outcome, "reason": reason})
        return self._save(plan, subtask, status=outcome if outcome == "completed" else subtask.status,
                          attempts=attempts, **changes)

    # --- failures ------------------------------------------------------------------------------

    def _fail(self, plan: Plan, subtask: Subtask, reason: str, *, transient: bool, kind: str) -> None:
        """End the current attempt; retry a transient failure, escalate after the last attempt."""
        if subtask.pid and kind != "dead":
            outcome = stop_process(subtask.pid, parse_timestamp(subtask.started_at),
                                   self.config.retry.terminate_grace_seconds)
            if outcome in ("terminated", "killed"):
                self.engine.emit("worker_terminated", subtask_id=subtask.subtask_id, pid=subtask.pid, how=outcome)
        self.engine.emit("subtask_failed", orchestration_id=plan.orchestration_id, subtask_id=subtask.subtask_id,
                         attempt=subtask.attempt, kind=kind, reason=reason, transient=transient)
        subtask = self._close_attempt(plan, subtask, kind, reason)
        if progress.should_escalate(subtask, transient, self.config.retry):
            why = reason if not transient else f"failed {subtask.attempt} times; last: {reason}"
            subtask = self._save(plan, subtask, status="failed", error=reason)
            self.escalate(plan, subtask, why)
            return
        when = progress.retry_time(utc_now(), subtask.attempt, self.config.retry, self.rng)
        self._save(plan, subtask, status="retry_wait", retry_count=subtask.retry_count + 1, retry_reason=reason,
                   retry_modifications=f"new attempt {subtask.attempt + 1} of {self.config.retry.max_attempts}; "
                   f"the handoff carries the errors of earlier attempts", retry_at=format_timestamp(when))
        self.engine.emit("subtask_retry_scheduled", orchestration_id=plan.orchestration_id,
                         subtask_id=subtask.subtask_id, retry_count=subtask.retry_count + 1,
                         retry_at=format_timestamp(when), reason=reason)

    def escalate(self, plan: Plan, subtask: Subtask, reason: str) -> None:
        """The seed's Option 2: the plan is blocked, a person is told, the queue task is blocked."""
        plan.status = "blocked"
        plan.blocking_subtask = subtask.subtask_id
        plan.failure_reason = reason
        plan.escalation = "Notifying user for manual intervention"
        document = {
            "orchestration_id": plan.orchestration_id, "orchestration_status": "blocked",
            "parent_task_id": plan.parent_task_id, "task_title": plan.task_title,
            "blocking_subtask": subtask.subtask_id, "subtask_title": subtask.title, "master": subtask.assigned_to,
            "failure_reason": reason, "escalation": plan.escalation, "escalated_at": now_iso(),
            "attempts": [a.model_dump(exclude_none=True) for a in subtask.attempts],
            "may_go_on": progress.unaffected_by(plan, subtask.subtask_id),
            "resume": [f"orchestrator resume {plan.orchestration_id} --retry {subtask.subtask_id}",
                       f"orchestrator resume {plan.orchestration_id} --skip {subtask.subtask_id}",
                       f"orchestrator resume {plan.orchestration_id} --abort"],
        }
        path = self.layout.escalation(plan.orchestration_id)
        self.store.write_json(path, document)
        self._set_queue_task(plan, "blocked", blocked_reason=f"{subtask.subtask_id}: {reason}",
                             blocked_at=now_iso(), escalation_file=str(path.relative_to(self.layout.root)))
        self.engine.emit("orchestration_blocked", orchestration_id=plan.orchestration_id,
                         blocking_subtask=subtask.subtask_id, failure_reason=reason, escalation=plan.escalation,
                         escalation_file=str(path.relative_to(self.layout.root)))

    def _set_queue_task(self, plan: Plan, status: str, **fields: Any) -> None:
        def change(snapshot: Snapshot) -> bool:
            entry = intake.find(snapshot.tasks, plan.parent_task_id)
            if entry is None:
                return False
            entry["status"] = status
            entry.update(fields)
            return True

        try:
            self.store.update_queue(change)
        except StoreError as exc:
            self.engine.emit("queue_update_failed", task_id=plan.parent_task_id, problem=str(exc))

    # --- the monitor ---------------------------------------------------------------------------

    def observe(self) -> None:
        """Read every active subtask's worker facts and apply the timeouts (the monitor tick).

        A file event only looks at its own worker (:meth:`observe_workers`).
        """
        self.workers.refresh()
        now = utc_now()
        for plan in self._live_plans():
            for subtask in [s for s in plan.subtasks if s.status in ACTIVE]:
                self._observe(plan, subtask, now, check_liveness=True)
            self._flush(plan)

    def observe_workers(self, changed: list[tuple[str, Path | None]]) -> None:
        """Some workers' files changed: read the facts of their subtasks only (not of every subtask).

        ``changed`` holds (worker id, spec path or None): a spec names its subtask in ``task_id``,
        a heartbeat or status file is found through the subtask that has that worker.
        """
        self.workers.refresh()
        names = {worker for worker, _ in changed}
        subtask_ids = {spec.task_id for specs in self.workers.by_task.values() for spec in specs
                       if spec.worker_id in names}
        now = utc_now()
        for plan in self._live_plans():
            touched = [s for s in plan.subtasks if s.status in ACTIVE
                       and (s.subtask_id in subtask_ids or (s.worker_id and s.worker_id in names))]
            for subtask in touched:
                self._observe(plan, subtask, now, check_liveness=False)
            if touched:
                self._flush(plan)

    def _observe(self, plan: Plan, subtask: Subtask, now: datetime, check_liveness: bool) -> None:
        facts = self.workers.facts(subtask, self._stale_workers(subtask))
        reported = self._reported_by(subtask, facts)
        if reported is not None:
            self._report(plan, subtask, reported, from_file=False)
            subtask = plan.subtask(subtask.subtask_id)
            if subtask.status not in ACTIVE:
                return
        if not check_liveness:
            return
        verdict = liveness.assess(subtask, facts, now, self.config.monitor)
        new = sorted(verdict.conditions - set(subtask.conditions))
        for condition in new:
            type_ = "zombie_detected" if condition == "zombie" else f"worker_{condition}"
            self.engine.emit(type_, orchestration_id=plan.orchestration_id, subtask_id=subtask.subtask_id,
                             worker_id=facts.worker_id, pid=facts.pid, reason=verdict.reason or condition)
        if set(verdict.conditions) != set(subtask.conditions):
            subtask = self._save(plan, subtask, conditions=sorted(verdict.conditions))
        if verdict.failure:
            self._fail(plan, subtask, verdict.reason or verdict.failure, transient=True, kind=verdict.failure)

    @staticmethod
    def _reported_by(subtask: Subtask, facts: WorkerFacts) -> Subtask | None:
        """Worker specs, heartbeat and status files, read as a report on the subtask."""
        update: dict[str, Any] = {}
        if facts.worker_id and not subtask.worker_id:
            update |= {"worker_id": facts.worker_id, "status": "in_progress",
                       "started_at": subtask.started_at or now_iso()}
        if facts.pid and not subtask.pid:
            update["pid"] = facts.pid
        if facts.heartbeat and facts.heartbeat != parse_timestamp(subtask.last_heartbeat):
            update["last_heartbeat"] = format_timestamp(facts.heartbeat)
        if facts.progress and facts.progress != subtask.progress:
            update["progress"] = facts.progress
        if facts.finished == "completed":
            update |= {"status": "completed", "result": subtask.result or facts.result or "completed",
                       "completed_at": now_iso()}
        elif facts.finished == "failed":
            update |= {"status": "failed", "error": facts.error or "worker reported failure"}
        if not update:
            return None
        if subtask.status == "assigned" and update.get("status") in ("completed", "failed"):
            update.setdefault("started_at", now_iso())
        return subtask.model_copy(update=update)

    def due_retries(self) -> float | None:
        """Hand off retries whose backoff has passed; seconds until the next one, if any."""
        now = utc_now()
        waits: list[float] = []
        for plan in self._live_plans():
            due = []
            for subtask in plan.subtasks:
                if subtask.status != "retry_wait":
                    continue
                when = parse_timestamp(subtask.retry_at) or now
                if when <= now:
                    due.append(subtask.model_copy(update={"attempt": subtask.attempt + 1}))
                else:
                    waits.append((when - now).total_seconds())
            if due:
                self.hand_off(plan, due, plan.priority)
                self._flush(plan)
        return min(waits, default=None)

    def tick(self) -> float | None:
        """One monitor pass: facts and timeouts of every active subtask, then due retries."""
        self.observe()
        return self.due_retries()

    # --- stages and the end --------------------------------------------------------------------

    def _flush(self, plan: Plan) -> None:
        """Advance what can advance, then write the plan and the state once."""
        if plan.status in ("in_progress", "blocked"):
            self._complete_stages(plan)
            ready = progress.ready(plan)
            if ready:
                self.hand_off(plan, ready, plan.priority)
            if progress.is_complete(plan):
                self.complete(plan)
        plan.progress = progress.summarize(plan)
        encoded = plan.model_dump(mode="json")
        if self._written.get(plan.orchestration_id) != encoded:
            self.store.write_json(self.layout.plan(plan.orchestration_id), encoded)
            self._written[plan.orchestration_id] = encoded
            self.engine.plan_changed(plan)

    def _complete_stages(self, plan: Plan) -> None:
        done = {entry["stage"] for entry in plan.stage_history if entry.get("event") == "completed"}
        for number, ids in enumerate(plan.execution_plan.values(), 1):
            if number in done:
                continue
            if not all(plan.subtask(i).status in DONE for i in ids):
                break
            plan.stage_history.append({"stage": number, "event": "completed", "at": now_iso()})
            self.engine.emit("stage_completed", orchestration_id=plan.orchestration_id, stage=number,
                             stages=len(plan.execution_plan))

    def complete(self, plan: Plan) -> None:
        plan.status = "completed"
        plan.completed_at = now_iso()
        plan.progress = progress.summarize(plan)
        built = report.build(plan, plan.task_description)
        json_path = self.layout.report(plan.orchestration_id, ".json")
        self.store.write_json(json_path, built)
        self.store.write_bytes(self.layout.report(plan.orchestration_id, ".md"), report.markdown(built).encode())
        plan.report = str(json_path.with_suffix(".md").relative_to(self.layout.root))
        criteria = built["success_criteria"]
        summary = (f"{sum(s.status == 'completed' for s in plan.subtasks)}/{len(plan.subtasks)} subtasks completed "
                   f"in {len(plan.execution_plan)} stages; success criteria met: {sum(criteria.values())}/5")
        self._set_queue_task(plan, "completed", completed_at=plan.completed_at, result=summary, report=plan.report)
        self.engine.emit("orchestration_completed", orchestration_id=plan.orchestration_id,
                         task_id=plan.parent_task_id, report=plan.report, success=all(criteria.values()),
                         summary=summary)

    # --- a person's decisions ----------------------------------------------------------------------

    def handle_requests(self) -> None:
        """Carry out ``orchestrator resume`` requests (files in ``orchestrator/requests/``)."""
        for path in self.store.list_json(self.layout.requests):
            request = self.store.read_json_or_none(path)
            self.store.remove(path)
            if not isinstance(request, dict):
                self.engine.emit("request_invalid", path=str(path), problem="not a JSON object")
                continue
            problem = self._resume(request)
            if problem:
                self.engine.emit("request_refused", orchestration_id=request.get("orchestration_id"),
                                 action=request.get("action"), problem=problem)

    def _resume(self, request: dict[str, Any]) -> str | None:
        plan = self.engine.plans.get(str(request.get("orchestration_id")))
        action, subtask_id = request.get("action"), request.get("subtask_id")
        if plan is None:
            return f"no orchestration {request.get('orchestration_id')!r}"
        if plan.status in ("completed", "aborted"):
            return f"{plan.orchestration_id} is {plan.status}"
        if action == "abort":
            plan.status = "aborted"
            self._set_queue_task(plan, "cancelled", cancelled_at=now_iso(), blocked_reason=None)
            self.engine.emit("orchestration_aborted", orchestration_id=plan.orchestration_id,
                             requested_by=request.get("requested_by"))
            self._flush(plan)
            return None
        ids = {s.subtask_id for s in plan.subtasks}
        if subtask_id not in ids:
            return f"{plan.orchestration_id} has no subtask {subtask_id!r}"
        subtask = plan.subtask(subtask_id)
        if action == "skip":
            self._save(plan, subtask, status="skipped", completed_at=now_iso(), result="skipped by a person")
        elif action == "retry":
            if subtask.status in DONE | ACTIVE:
                return f"{subtask_id} is {subtask.status}: nothing to retry"
            self._save(plan, subtask, status="retry_wait", retry_at=now_iso(), retry_reason="retried by a person",
                       retry_count=subtask.retry_count + 1)
        else:
            return f"unknown action {action!r}"
        if plan.status == "blocked" and (plan.blocking_subtask == subtask_id or action == "skip"):
            plan.status, plan.blocking_subtask, plan.failure_reason, plan.escalation = "in_progress", None, None, None
            self._set_queue_task(plan, "orchestrating", blocked_reason=None)
        self.engine.emit("orchestration_resumed", orchestration_id=plan.orchestration_id, action=action,
                         subtask_id=subtask_id, requested_by=request.get("requested_by"))
        self.due_retries()
        self._flush(plan)
        return None
