"""What the page shows, read from the coordination folder through the store (nothing is written).

Plans are parsed once per change of their file (a folder of 1,000 orchestrations is re-read
only where it changed); the fingerprint is a cheap stat of every file the page depends on,
so the live stream knows when to tell the page to refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator import status
from orchestrator.daemon_control import is_held_passive
from orchestrator.models import Plan, describe
from orchestrator.protocol import WORKER_FIELDS
from orchestrator.store import Identity, Store, StoreError


@dataclass(frozen=True)
class PlanProblem:
    path: str
    problem: str


@dataclass(frozen=True)
class Picture:
    """One read of the folder."""

    tasks: list[dict[str, Any]]
    """The queue's tasks (objects only), in queue order."""
    queue_problem: str | None
    plans: list[Plan]
    plan_problems: list[PlanProblem]
    escalations: dict[str, dict[str, Any]]
    """Escalation files of blocked plans, by orchestration id."""
    daemon_running: bool
    heartbeat_timeout_seconds: float = 180.0
    subtask_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What workers wrote into the subtask files of live plans (their own fields only), by subtask id."""
    lock_waits: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Subtask files of live plans whose held lock the events file says is waited for (status.lock_waits)."""
    queue_missing: bool = False
    """No queue file yet: normal for a new folder, but the page says so rather than show an empty queue."""

    def plan(self, orchestration_id: str) -> Plan | None:
        return next((p for p in self.plans if p.orchestration_id == orchestration_id), None)


Fingerprint = tuple[object, ...]


class FolderView:
    def __init__(self, store: Store, *, daemon_running: Callable[[], bool] | None = None,
                 heartbeat_timeout_seconds: float = 180.0) -> None:
        self.store = store
        self.layout = store.layout
        self._daemon_running = daemon_running or (lambda: is_held_passive(self.layout.daemon_lock))
        self.heartbeat_timeout_seconds = heartbeat_timeout_seconds
        self._plans: dict[Path, tuple[Identity, Plan | PlanProblem]] = {}
        self._subtasks: dict[Path, tuple[Identity, dict[str, Any] | None]] = {}

    def fingerprint(self) -> Fingerprint:
        """Changes whenever the queue, a plan, a subtask file, an escalation or the daemon's lock does."""
        layout = self.layout
        return (self.store.identity(layout.queue), tuple(self.store.scan(layout.tasks)),
                tuple(self.store.scan(layout.subtasks)), tuple(self.store.scan(layout.escalations)),
                self.store.identity(layout.events),  # a lock wait begins or ends there (write_failed/_recovered)
                self._daemon_running())

    def picture(self) -> Picture:
        layout = self.layout
        problem: str | None = None
        try:
            snapshot = self.store.read_queue()
        except StoreError as exc:
            snapshot, problem = None, str(exc)
        tasks = [t for t in (snapshot.tasks if snapshot else []) if isinstance(t, dict)]
        plans, problems = self._read_plans()
        escalations: dict[str, dict[str, Any]] = {}
        for plan in plans:
            if plan.status == "blocked":
                found = self.store.read_json_or_none(layout.escalation(plan.orchestration_id))
                if isinstance(found, dict):
                    escalations[plan.orchestration_id] = found
        return Picture(tasks=tasks, queue_problem=problem, queue_missing=problem is None and snapshot is None,
                       plans=plans, plan_problems=problems,
                       escalations=escalations, daemon_running=self._daemon_running(),
                       heartbeat_timeout_seconds=self.heartbeat_timeout_seconds,
                       subtask_files=self._read_subtasks(plans),
                       # read only while a plan runs, as status does (4 MB of the events file's end at most)
                       lock_waits=status.lock_waits(self.store) if any(p.status in status.LIVE for p in plans) else {})

    def _read_plans(self) -> tuple[list[Plan], list[PlanProblem]]:
        seen: dict[Path, tuple[Identity, Plan | PlanProblem]] = {}
        for path, identity in self.store.scan(self.layout.tasks):
            if not path.name.endswith(".json"):
                continue
            cached = self._plans.get(path)
            if cached is None or cached[0] != identity:
                try:
                    cached = identity, _whole(Plan.model_validate(self.store.read_json(path)))
                except (StoreError, ValueError) as exc:
                    cached = identity, PlanProblem(path.name, describe(exc))
            seen[path] = cached
        self._plans = seen
        plans = [v for _, v in seen.values() if isinstance(v, Plan)]
        return plans, [v for _, v in seen.values() if isinstance(v, PlanProblem)]

    def _read_subtasks(self, plans: list[Plan]) -> dict[str, dict[str, Any]]:
        """Worker fields of the subtasks of live plans: a report the daemon has not acted on shows too."""
        wanted = {self.layout.subtask(s.subtask_id): s.subtask_id
                  for p in plans if p.status in ("in_progress", "blocked") for s in p.subtasks}
        seen: dict[Path, tuple[Identity, dict[str, Any] | None]] = {}
        for path, identity in self.store.scan(self.layout.subtasks):
            if path not in wanted:
                continue
            cached = self._subtasks.get(path)
            if cached is None or cached[0] != identity:
                data = self.store.read_json_or_none(path)
                cached = identity, ({k: data.get(k) for k in WORKER_FIELDS} if isinstance(data, dict) else None)
            seen[path] = cached
        self._subtasks = seen
        return {wanted[path]: data for path, (_, data) in seen.items() if data is not None}


def _whole(plan: Plan) -> Plan:
    """A plan whose stages name only its own subtasks (one edited by hand may not): else ValueError."""
    known = {s.subtask_id for s in plan.subtasks}
    unknown = sorted({i for ids in plan.execution_plan.values() for i in ids} - known)
    if unknown:
        raise ValueError(f"execution_plan names subtasks the plan does not have: {', '.join(unknown)}")
    return plan
