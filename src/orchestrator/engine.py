"""What the daemon does with the files, one step at a time.

The engine's methods are synchronous and are run by the daemon off the event loop, one at
a time for the queue. Deciding is left to the pure modules (intake, classify, planner,
handoffs); reading and writing to :class:`~orchestrator.store.Store`.

Crash safety comes from the order of the writes:

* simple task: handoff first (create-if-absent), then the queue says ``assigned``. After a
  crash in between, the task is still pending, the earlier handoff is found and reused.
* complex task: the queue says ``orchestrating`` at once (the coordinator must not route
  it), then the plan (``planning``), subtask files and stage-1 handoffs (each
  create-if-absent), then the plan again (``in_progress``). A restart finishes a plan
  left in ``planning`` and re-plans a claimed task that has no plan yet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import structlog

from orchestrator import handoffs, intake
from orchestrator.classify import Classifier
from orchestrator.config import Config
from orchestrator.external import ExternalPlannerError, run_external_planner
from orchestrator.models import (
    describe,
    MASTERS,
    Classification,
    Event,
    OrchestrationSummary,
    Plan,
    QueueTask,
)
from orchestrator.planner import PlanError, build_plan, builtin_drafts, drafts_from_json
from orchestrator.store import Snapshot, Store, StoreError, file_identity
from orchestrator.timestamps import now_iso

log = structlog.get_logger("orchestrator")


@dataclass
class IntakeResult:
    """Complex tasks claimed in this pass (to be planned), and when to look again."""

    claimed: list[tuple[QueueTask, Classification]] = field(default_factory=list)
    again: bool = False
    """The queue holds tasks this pass did not see: look again now."""
    failed: bool = False
    """The queue could not be updated: look again after a pause."""


@dataclass(frozen=True)
class Drafted:
    """The outcome of planning one task: a plan or the reasons there is none."""

    plan: Plan | None
    error: PlanError | None
    planner: str
    fallback_reason: str | None = None


async def draft(task: QueueTask, decision: Classification, classifier: Classifier, config: Config) -> Drafted:
    """Plan ``task``: from its own ``subtasks``, else the external planner, else the built-in one."""
    settings = config.planner

    def build(source: Any, planner: str) -> Plan:
        drafts = builtin_drafts(task, classifier, settings) if planner == "builtin" else drafts_from_json(source, classifier)
        return build_plan(task, decision, drafts, planner=planner, config=settings, now=now_iso())

    if task.subtasks is not None:
        try:
            return Drafted(build(task.subtasks, "task"), None, "task")
        except PlanError as exc:
            return Drafted(None, exc, "task")
    fallback: str | None = None
    if settings.command:
        try:
            answer = await run_external_planner(settings.command, task.model_dump(mode="json"), settings.timeout_seconds)
            return Drafted(build(answer, "external"), None, "external")
        except (ExternalPlannerError, PlanError) as exc:
            fallback = f"external planner: {exc}"
    try:
        return Drafted(build(None, "builtin"), None, "builtin", fallback)
    except PlanError as exc:
        return Drafted(None, exc, "builtin", fallback)


class Engine:
    """The orchestrator's state and steps over one coordination folder."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.layout = store.layout
        self.config = config
        self.classifier = Classifier(config.classifier)
        self.plans: dict[str, Plan] = {}
        self._seen: Snapshot | None = None  # the queue as last handled: skip it when it comes back
        self._queue_problem: str | None = None
        self._update_problem: str | None = None
        self._taken: set[str] = set()  # ids we routed or orchestrate, to notice one vanishing
        self._reported: set[tuple[str, str]] = set()
        self.state_changed = True  # written at the end of the first pass
        self._summaries: dict[str, dict[str, Any]] = {}  # one line of the state file per plan
        self._changed_plans: set[str] = set()
        self.status_line = f"starting; watching {self.layout.queue}"

    def reconfigure(self, config: Config) -> None:
        self.config = config
        self.classifier = Classifier(config.classifier)
        self.store.lock_timeout = config.watch.lock_timeout_seconds
        self.store.read_retries = config.watch.read_retries
        self.store.read_retry_delay = config.watch.read_retry_delay_seconds
        self._seen = None  # new routing words may decide differently

    # --- events --------------------------------------------------------------------------

    def emit(self, type_: str, **fields: Any) -> None:
        """One line in ``dashboard-events.jsonl`` and one log line; never raises."""
        level = "warning" if "problem" in fields else "info"
        ids = {}
        if isinstance(fields.get("orchestration_id"), str) and "task_id" not in fields:
            ids["task_id"] = fields["orchestration_id"].removeprefix("orch-")
        elif isinstance(fields.get("task_id"), str) and "orchestration_id" not in fields:
            plan_id = f"orch-{fields['task_id']}"
            ids["orchestration_id"] = plan_id if plan_id in self.plans else None
        getattr(log, level)(type_, **ids, **fields)
        try:
            self.store.append_event(Event(type=type_, **fields))
        except (OSError, StoreError) as exc:
            log.error("event_not_written", event=type_, problem=str(exc))

    def _report_once(self, problems: list[intake.Problem]) -> None:
        """Report each problem when it starts; forget it once it is gone, so a recurrence is new."""
        current = {(p.key, p.problem): p for p in problems}
        for key, p in current.items():
            if key not in self._reported:
                self.emit("task_invalid", task_id=p.name, problem=p.problem)
        self._reported = set(current)

    def _queue_unreadable(self, problem: str) -> None:
        if problem != self._queue_problem:
            self.emit("queue_unreadable", path=str(self.layout.queue), problem=problem,
                      action="left as it is; read again on the next change")
        self._queue_problem = problem

    # --- start-up --------------------------------------------------------------------------

    def load(self) -> list[tuple[QueueTask, Classification]]:
        """Rebuild the view from the files; finish interrupted work. Returns tasks to (re)plan."""
        self.store.make_folders()
        if self.store.end_torn_event_line():
            log.warning("ended_torn_event_line", path=str(self.layout.events))
        for path in self.store.sweep_temp_files():
            log.info("removed_stale_temp_file", path=str(path))
        for path in self.store.list_json(self.layout.tasks):
            try:
                plan = Plan.model_validate(self.store.read_json(path))
            except (StoreError, ValueError) as exc:
                self.emit("plan_invalid", path=str(path), problem=describe(exc))
                continue
            self.plans[plan.orchestration_id] = plan
            self.plan_changed(plan)
        return self._claimed_without_plan()

    def _claimed_without_plan(self) -> list[tuple[QueueTask, Classification]]:
        try:
            snapshot = self.store.read_queue()
        except StoreError:
            return []
        todo = []
        self._taken = {e["id"] for e in snapshot.tasks if isinstance(e, dict) and isinstance(e.get("id"), str)
                       and e.get("assigned_by") == intake.ASSIGNED_BY} if snapshot else set()
        for entry in snapshot.tasks if snapshot else []:
            if (isinstance(entry, dict) and entry.get("status") == "orchestrating"
                    and entry.get("assigned_by") == intake.ASSIGNED_BY
                    and entry.get("orchestration_id") == f"orch-{entry.get('id')}"
                    and entry["orchestration_id"] not in self.plans):
                try:
                    task = QueueTask.model_validate(entry)
                except ValueError:
                    continue
                todo.append((task, self.classifier.classify(task)))
        return todo

    # --- the queue ------------------------------------------------------------------------

    def intake(self) -> IntakeResult:
        """Act on every new pending task: route the simple ones, claim the complex ones."""
        if self._seen is not None and file_identity(self.layout.queue) == self._seen.identity:
            return IntakeResult()  # our own write coming back, or nothing new: no need to read it
        try:
            snapshot = self.store.read_queue()
        except StoreError as exc:
            self._queue_unreadable(str(exc))
            return IntakeResult()
        if snapshot is None:
            if self._queue_problem != "missing":
                self.emit("queue_missing", path=str(self.layout.queue), action="waiting for it to be created")
            self._queue_problem = "missing"
            return IntakeResult()
        if self._queue_problem:
            self.emit("queue_recovered", path=str(self.layout.queue))
            self._queue_problem = None
        if self._seen is not None and snapshot.digest == self._seen.digest:
            self._seen = snapshot
            return IntakeResult()
        self._vanished(snapshot.tasks)
        candidates, problems = intake.select(snapshot.tasks)
        self._report_once(problems)
        if not candidates:
            self._seen = snapshot
            return IntakeResult()
        decisions = [(task, self.classifier.classify(task)) for task in candidates]
        now = now_iso()
        # a task we already orchestrate is pending again: a writer put back an old copy of the queue
        known = {t.id for t in candidates if f"orch-{t.id}" in self.plans}
        simple = self._hand_off_simple([(t, d) for t, d in decisions if d.decision == "simple" and t.id not in known],
                                       now)
        complex_ = [(t, d) for t, d in decisions if d.decision == "complex" or t.id in known]
        seen = intake.pending_ids(snapshot.tasks)
        try:
            claimed, result, unseen = self._claim(simple, complex_, now, seen)
        except StoreError as exc:
            if str(exc) != self._update_problem:
                self.emit("queue_update_failed", path=str(self.layout.queue), problem=str(exc),
                          action="retrying")
            self._update_problem = str(exc)
            self._seen = None
            return IntakeResult(failed=True)
        self._update_problem = None
        for task, decision, path, created in simple:
            if task.id in claimed and not created:
                self._restored(task.id, f"its handoff {self._rel(path)} was already written")
            elif task.id in claimed:
                self.emit("task_assigned", task_id=task.id, assigned_to=decision.master,
                          confidence=decision.confidence, reasons=decision.reasons, handoff=self._rel(path))
            elif created:  # someone else took the task between our read and our claim
                self.store.remove(path)
        for task_id in known & claimed:
            self._restored(task_id, f"orch-{task_id} already exists ({self.plans[f'orch-{task_id}'].status})")
        self._taken |= claimed
        # a writer may have added tasks while we waited for the lock: then our write holds
        # tasks this pass never looked at, and its digest must not mark them as seen
        self._seen = result if not unseen else None
        return IntakeResult([(t, d) for t, d in complex_ if t.id in claimed and t.id not in known], again=unseen)

    def _restored(self, task_id: str, why: str) -> None:
        self.emit("claim_restored", task_id=task_id, problem=f"the task was pending again although {why}",
                  action="taken again without doing its work twice; a writer overwrote the queue without the lock")

    def _vanished(self, tasks: list[Any]) -> None:
        """Report, once, tasks we took that a writer removed from the queue."""
        present = {e.get("id") for e in tasks if isinstance(e, dict)}
        for task_id in sorted(self._taken - present):
            self.emit("task_vanished", task_id=task_id, problem="a task the orchestrator took is gone from the queue",
                      action="its handoff or plan stays; restore the task if the removal was a mistake")
        self._taken &= present

    def _hand_off_simple(self, decided: list[tuple[QueueTask, Classification]], now: str) -> list[tuple[QueueTask, Classification, Any, bool]]:
        """Write each simple task's handoff (reusing one left by an interrupted run)."""
        written = []
        for task, decision in decided:
            master = self._earlier_handoff(task.id) or decision.master
            if master != decision.master:
                decision = decision.model_copy(update={"master": master, "reasons": [
                    f"handed off to {master} by an earlier run", *decision.reasons]})
            path = self.layout.task_handoff(master, task.id)
            try:
                created = self.store.create_json(path, handoffs.for_task(task, decision, master, now).to_json())
            except StoreError as exc:
                self.emit("handoff_failed", task_id=task.id, master=master, problem=str(exc))
                continue
            if created:
                self.emit("handoff_created", handoff_id=f"to-{master}-{task.id}", task_id=task.id,
                          master=master, path=self._rel(path))
            written.append((task, decision, path, created))
        return written

    def _earlier_handoff(self, task_id: str) -> str | None:
        for master in MASTERS:
            if self.layout.task_handoff(master, task_id).exists():
                return master
        return None

    def _claim(self, simple: list[tuple[QueueTask, Classification, Any, bool]],
               complex_: list[tuple[QueueTask, Classification]], now: str,
               seen: set[object]) -> tuple[set[str], Snapshot | None, bool]:
        """One locked queue write for the whole batch.

        Returns the ids that were still ours to take, the queue as written, and whether
        the fresh read held pending tasks that were not in ``seen``.
        """
        claimed: set[str] = set()
        unseen = False

        def change(snapshot: Snapshot) -> bool:
            nonlocal unseen
            unseen = bool(intake.pending_ids(snapshot.tasks) - seen)
            claimed.clear()
            for task, decision, path, _ in simple:
                entry = intake.find_pending(snapshot.tasks, task.id)
                if entry is not None:
                    intake.mark_assigned(entry, decision, self._rel(path), now)
                    claimed.add(task.id)
            for task, decision in complex_:
                entry = intake.find_pending(snapshot.tasks, task.id)
                if entry is not None:
                    intake.mark_orchestrating(entry, decision, f"orch-{task.id}", now)
                    plan = self.plans.get(f"orch-{task.id}")
                    if plan is not None and plan.status != "in_progress":
                        intake.mark_outcome(entry, plan)
                    claimed.add(task.id)
            return bool(claimed)

        result = self.store.update_queue(change)
        return claimed, result, unseen

    def block(self, task: QueueTask, reason: str) -> None:
        """Mark a claimed task ``blocked`` in the queue with a reason a person can act on."""
        def change(snapshot: Snapshot) -> bool:
            entry = intake.find(snapshot.tasks, task.id)
            if entry is None or entry.get("status") != "orchestrating":
                return False
            intake.mark_blocked(entry, reason, now_iso())
            return True

        try:
            result = self.store.update_queue(change)
            self._seen = result
        except StoreError as exc:
            self.emit("queue_update_failed", task_id=task.id, problem=str(exc))
        self.emit("task_blocked", task_id=task.id, orchestration_id=f"orch-{task.id}", reason=reason)

    # --- orchestrations ------------------------------------------------------------------------

    def start_orchestration(self, plan: Plan) -> None:
        """Write the plan (``planning``) and the subtask files of later stages; safe to repeat.

        Handing off stage 1 (and writing its subtask files) is the supervisor's, as for
        every later stage.
        """
        plan_path = self.layout.plan(plan.orchestration_id)
        for subtask in plan.subtasks:
            existing = self.store.read_json_or_none(self.layout.subtask(subtask.subtask_id))
            if isinstance(existing, dict) and existing.get("parent_orchestration") != plan.orchestration_id:
                raise PlanError([f"subtask id {subtask.subtask_id!r} already belongs to "
                                 f"{existing.get('parent_orchestration')!r}"])
        first_time = not plan_path.exists()
        self.store.write_json(plan_path, plan.model_dump(mode="json"))
        if first_time:
            self.emit("orchestration_started", orchestration_id=plan.orchestration_id, task_id=plan.parent_task_id,
                      subtasks=len(plan.subtasks), stages=len(plan.execution_plan), planner=plan.planner,
                      masters=plan.resource_estimate.masters, confidence=plan.classification.confidence)
        # stage 1 is written once, by its hand-off a moment later in this same pass
        later = [s for s in plan.subtasks if s.stage > 1]
        created = dict(zip((s.subtask_id for s in later), self.store.create_json_many(
            [(self.layout.subtask(s.subtask_id), s.model_dump(mode="json")) for s in later]), strict=True))
        for subtask in plan.subtasks:
            if created.get(subtask.subtask_id, first_time):
                self.emit("subtask_created", orchestration_id=plan.orchestration_id, subtask_id=subtask.subtask_id,
                          assigned_to=subtask.assigned_to, worker_type=subtask.worker_type, stage=subtask.stage)
        self.plans[plan.orchestration_id] = plan
        self.plan_changed(plan)

    def write_state(self) -> None:
        """Write ``state/current.json`` if anything changed since the last time: once per pass.

        It is derived from the plans and rebuilt at every start, so it is written atomically
        but without fsync.
        """
        if not self.state_changed:
            return
        for orchestration_id in self._changed_plans:
            plan = self.plans[orchestration_id]
            self._summaries[orchestration_id] = summary(plan).model_dump(mode="json")
        self._changed_plans.clear()
        count = Counter(entry["status"] for entry in self._summaries.values())
        state = {
            "active_orchestrations": count["planning"] + count["in_progress"],
            "total_orchestrations": len(self._summaries),
            "completed_orchestrations": count["completed"],
            "failed_orchestrations": count["failed"] + count["aborted"],
            "blocked_orchestrations": count["blocked"],
            "current_orchestrations": [entry for entry in self._summaries.values()
                                       if entry["status"] in ("planning", "in_progress", "blocked")],
            "last_update": now_iso(),
        }
        self.store.write_lines(self.layout.state, state, "current_orchestrations", durable=False)
        self.state_changed = False
        self.status_line = (f"{state['active_orchestrations']} orchestrating, {count['blocked']} blocked, "
                            f"{count['completed']} completed; watching {self.layout.queue}")

    def plan_changed(self, plan: Plan) -> None:
        """A plan changed: its line in the state file is recomputed at the next write."""
        self._changed_plans.add(plan.orchestration_id)
        self.state_changed = True

    def _rel(self, path: Any) -> str:
        return str(path.relative_to(self.layout.root))


def summary(plan: Plan) -> OrchestrationSummary:
    done = len(plan.progress.completed_subtasks)
    return OrchestrationSummary(
        orchestration_id=plan.orchestration_id,
        status=plan.status,
        current_stage=plan.progress.current_stage,
        total_stages=len(plan.execution_plan),
        progress_percent=round(100 * done / len(plan.subtasks)) if plan.subtasks else 0,
        active_subtasks=list(plan.progress.active_subtasks),
        health=health(plan),
    )


def health(plan: Plan) -> str:
    """``blocked``, ``warning`` (a worker shows a condition), or ``healthy``."""
    if plan.status == "blocked":
        return "blocked"
    if any(s.conditions for s in plan.subtasks if s.status in ("assigned", "in_progress")):
        return "warning"
    return "healthy"
