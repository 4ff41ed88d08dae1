"""The orchestrator without timers or signals: a pass over one store.

A pass reads the state that matters, decides with the pure modules, writes, and announces:

* ``queue``: read the queue (skipped when its stat is unchanged) and take new tasks;
* ``("subtask", id)``: read one subtask file (a master or worker reported);
* ``("worker", id)``: read one worker's spec, heartbeat and status files;
* ``requests``: carry out ``orchestrator resume`` requests;
* ``("exited", id)``: a subtask's worker process exited (the daemon's pidfd): read its
  files, then judge its liveness now rather than at the next tick;
* ``tick``: all of the above for everything live, plus liveness and timeouts (the safety
  net: a lost file event delays a fact by one tick at most, never loses it);
* ``retries``: hand off retries whose backoff has passed (every pass does).

Its one helper thread drafts plans (pure) while the pass writes their claim, and the pass waits
for the drafts before it goes on. The daemon feeds passes from file events and timers on one
thread; tests call
:meth:`Core.run_pass` directly, with a :class:`~orchestrator.store.MemoryStore`, a
:class:`~orchestrator.clock.FakeClock` and a fake process table.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import structlog

from orchestrator import deathwatch
from orchestrator.classify import Classifier
from orchestrator.clock import Clock, SystemClock, iso
from orchestrator.config import Config, Settings
from orchestrator.engine import Drafted, Engine, draft_now, needs_external
from orchestrator.models import Classification, QueueTask
from orchestrator.outbox import Outbox
from orchestrator.planner import PlanError
from orchestrator.processes import ProcessTable, PsutilProcesses
from orchestrator.registry import PlanRegistry
from orchestrator.store import Store, StoreError
from orchestrator.supervisor import Supervisor

log = structlog.get_logger("orchestrator")

FULL = frozenset({"queue", "requests", "tick"})


@dataclass
class PassResult:
    """What the daemon needs to know after a pass."""

    plan_later: list[tuple[QueueTask, Classification]] = field(default_factory=list)
    """Claimed tasks for the external planner (slow: planned off the pass, begun in a later one)."""
    again: bool = False
    """The queue holds tasks the pass did not see: run another pass now."""
    failed: bool = False
    """The queue could not be updated: run another pass after a pause."""
    next_retry: float | None = None
    """Seconds until the next retry's backoff ends."""
    retries_checked: bool = True
    """False: the pass could not have changed any retry (it only took new tasks), so the daemon
    keeps its retry timer as it is and ``next_retry`` says nothing."""
    stopping_workers: bool = False
    """Workers were asked to stop: look again after the grace period."""
    locked_out: list[str] = field(default_factory=list)
    """Subtasks whose file another process's lock kept from being written: letting go of a lock makes no
    file event, so the daemon looks at them again after a lock timeout, not at the next monitor tick."""
    watch: dict[deathwatch.Key, deathwatch.Target] | None = field(default_factory=dict)
    """The worker processes of active subtasks, for the daemon's pidfds (``("exited", id)`` jobs);
    None when the pass could not have changed them (it only took new tasks)."""


WARM_UP = (
    {"id": "warm-up-complex", "title": "Add authentication system with security audit and docs",
     "description": "Build login and sessions in the API and the web app, then have security audit it "
                    "and document it for users."},
    {"id": "warm-up-simple", "title": "Fix the typo on the login page"},
)
"""What :meth:`Core.warm_up` decides: the seed's example of a complex task, and a simple one."""


class Core:
    def __init__(self, store: Store, settings: Settings, *, clock: Clock | None = None,
                 processes: ProcessTable | None = None, rng: random.Random | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock()
        self.outbox = Outbox(store, self.clock)
        self.registry = PlanRegistry(store, self.outbox, self.clock)
        self.engine = Engine(store, settings, self.outbox, self.registry, self.clock)
        self.supervisor = Supervisor(store, settings, self.outbox, self.registry, self.engine, self.clock,
                                     processes or PsutilProcesses(), rng)
        self._drafter: ThreadPoolExecutor | None = None  # made at the first complex task

    @property
    def status_line(self) -> str:
        """The service's ``STATUS=``: the counts, and what cannot be written while it is retried."""
        problem = self.engine.write_problem()
        return f"{self.registry.status_line}; retrying: {problem}" if problem else self.registry.status_line

    def start(self, **started: Any) -> PassResult:
        """Announce the start, rebuild the view from the files, finish interrupted work.

        A full pass (:data:`FULL`) should follow: the daemon runs it as its first pass, so an
        error in it is handled like an error in any other pass.
        """
        with self.store.working():
            return self._start(started)

    def _start(self, started: dict[str, Any]) -> PassResult:
        self.store.make_folders()
        if self.store.end_torn_event_line():
            log.warning("ended_torn_event_line", path=str(self.store.layout.events))
        for path in self.store.sweep_temp_files():
            log.info("removed_stale_temp_file", path=str(path))
        self.outbox.learn()
        self.outbox.emit("orchestrator_started", **started)
        self.outbox.flush()
        self.registry.load()
        self.registry.loaded_all()
        try:
            self.supervisor.start()
            return PassResult(plan_later=self._plan_now(self.engine.claimed_without_plan()),
                              watch=deathwatch.targets(self.registry.live()))
        finally:
            self.registry.write_state()
            self.outbox.flush()

    def warm_up(self) -> None:
        """Decide and plan two sample tasks, writing and announcing nothing.

        The first task a process decides trains the built-in model and compiles the planner's
        expressions: 200 ms more than the next one. A daemon pays that at its start, before it
        says it is ready, not on the first task after a restart (nor inside a burst)."""
        classifier, config = self.engine.classifier, self.settings.config
        for sample in WARM_UP:
            task = QueueTask.model_validate(sample)
            decision = classifier.classify(task)
            if decision.decision == "complex":
                # on the drafting thread, which starts now too
                self._pool().submit(draft_now, task, decision, classifier, config, iso(self.clock)).result()

    def run_pass(self, jobs: Iterable[Hashable], drafted: Iterable[tuple[QueueTask, Drafted]] = ()) -> PassResult:
        """One pass; the state file is written once and the events are appended at its end."""
        with self.store.working():  # the store makes its spare files between passes
            return self._run_pass(set(jobs), list(drafted))

    def _run_pass(self, jobs: set[Hashable], drafted: list[tuple[QueueTask, Drafted]]) -> PassResult:
        result = PassResult()
        # a pass that only takes new tasks starts no worker and fails no attempt: the scans of
        # every live subtask for due retries and worker processes would find what they found before
        intake_only = jobs <= {"queue"}
        try:
            if "queue" in jobs or "tick" in jobs:
                taken = self.engine.intake(reconcile="tick" in jobs, drafting=self._draft_meanwhile)
                result.again, result.failed = taken.again, taken.failed
                result.plan_later = self._plan_now(taken.claimed, taken.drafts)
            self.begin_many(drafted)
            with self.supervisor.batched():  # a plan with several reports is written once
                for job in jobs:
                    if isinstance(job, tuple) and job[0] == "subtask":
                        self.supervisor.sync_subtask(job[1])
            if "requests" in jobs or "tick" in jobs:
                self.supervisor.handle_requests()
            if self.engine.requeued:  # the daemon's own write of the queue wakes no file event: look again now
                self.engine.requeued = False
                result.again = True
            if "tick" in jobs:
                result.next_retry = self.supervisor.tick()
            else:
                with self.supervisor.batched():
                    workers = {job[1] for job in jobs if isinstance(job, tuple) and job[0] == "worker"}
                    if workers:
                        self.supervisor.observe(check_liveness=False, workers=workers)
                    exited = {job[1] for job in jobs if isinstance(job, tuple) and job[0] == "exited"}
                    if exited:
                        self.supervisor.check_exited(exited)
                    self.supervisor.check_stops()
                    if intake_only:
                        result.retries_checked = False
                    else:
                        result.next_retry = self.supervisor.due_retries()
            result.stopping_workers = self.supervisor.stops.waiting
            result.locked_out = self.supervisor.locked_out
            result.watch = None if intake_only else deathwatch.targets(self.registry.live())
            self.registry.write_state()
        finally:
            self.outbox.flush()
        return result

    def _plan_now(self, claimed: list[tuple[QueueTask, Classification]],
                  drafts: dict[str, Drafted] | None = None) -> list[tuple[QueueTask, Classification]]:
        """Plan and begin what the built-in planner can do now (``drafts``: those planned already);
        return what needs the external one."""
        config = self.settings.config
        later = []
        ready = []
        for task, decision in claimed:
            if needs_external(task, config):
                self.engine.planning.add(task.id)
                later.append((task, decision))
                continue
            planned = (drafts or {}).get(task.id) or _draft(task, decision, self.engine.classifier, config,
                                                            iso(self.clock))
            ready.append((task, planned))
        self.begin_many(ready)
        return later

    def _pool(self) -> ThreadPoolExecutor:
        if self._drafter is None:
            self._drafter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drafting")
        return self._drafter

    def _draft_meanwhile(self, tasks: list[tuple[QueueTask, Classification]]) -> Callable[[], dict[str, Drafted]]:
        """Draft the built-in planner's plans on a second thread while the engine waits for their claim.

        The claim's fsyncs and rename (1.5 ms on an idle ext4, several on a 2.7 MB queue) wait on the disk
        with the interpreter released; drafting (2 ms of Python a task) fills that wait. It starts when
        the store first waits (:meth:`Store.meanwhile`), or when the drafts are wanted. A draft is pure,
        and the claim reads nothing it touches."""
        config = self.settings.config
        chosen = [(task, decision) for task, decision in tasks if not needs_external(task, config)]
        if not chosen:
            return dict
        classifier, now = self.engine.classifier, iso(self.clock)  # read here: a reload rebuilds the classifier
        go = threading.Event()

        def drafts() -> dict[str, Drafted]:
            go.wait()
            return {task.id: _draft(task, decision, classifier, config, now) for task, decision in chosen}

        future = self._pool().submit(drafts)
        self.store.meanwhile(go.set)

        def wanted() -> dict[str, Drafted]:
            self.store.meanwhile(None)
            go.set()
            return future.result()

        return wanted

    def begin_many(self, drafted: list[tuple[QueueTask, Drafted]]) -> None:
        """Start orchestrations from their plans (together: a burst shares its fsyncs), or block each
        task with the reason it has none."""
        started = []
        for task, planned in drafted:
            self.engine.planning.discard(task.id)
            for rejection in planned.rejected:
                self.outbox.emit("planner_answer_rejected", task_id=task.id, round=rejection.round,
                                 problems=list(rejection.problems[:10]),
                                 action="asked again with these problems" if rejection.round == 1
                                 else "used the built-in planner")
            if planned.fallback_reason:
                self.outbox.emit("planner_fallback", task_id=task.id, reason=planned.fallback_reason)
            try:
                if planned.plan is None:
                    assert planned.error is not None
                    raise planned.error
                self.engine.start_orchestration(planned.plan)
                started.append((task, planned.plan))
            except PlanError as exc:
                self.engine.block(task, _blocked_reason(exc))
            except StoreError as exc:
                self._failed(task, exc)
        try:
            self.supervisor.begin_many([plan for _, plan in started])
        except StoreError as exc:
            for task, _ in started:
                self._failed(task, exc)

    def _failed(self, task: QueueTask, exc: StoreError) -> None:
        self.outbox.emit("orchestration_failed", task_id=task.id, orchestration_id=f"orch-{task.id}",
                         problem=str(exc), action="tried again at the next start")

    def stop(self, **fields: Any) -> None:
        """A clean stop: announced, and the store's spare files removed."""
        self.note("orchestrator_stopped", **fields)
        self.store.drop_spares()
        if self._drafter is not None:
            self._drafter.shutdown()
            self._drafter = None  # a Core used again after its stop makes a new one

    def reconfigure(self, config: Config, source: str) -> None:
        """Use a new configuration from now on, everywhere at once."""
        self.note("config_reloaded", path=source, changed=self.settings.replace(config))

    def note(self, type_: str, **fields: Any) -> None:
        """An event of the daemon's own (start, stop, errors), appended at once."""
        self.outbox.emit(type_, **fields)
        self.outbox.flush()


def _draft(task: QueueTask, decision: Classification, classifier: Classifier, config: Config, now: str) -> Drafted:
    try:
        return draft_now(task, decision, classifier, config, now)
    except Exception as exc:  # a planner bug blocks this task, not the daemon
        log.error("planning_failed", task_id=task.id, exc_info=exc)
        return Drafted(None, PlanError([f"internal error while planning: {type(exc).__name__}: {exc}"]), "builtin")


def _blocked_reason(error: PlanError) -> str:
    if error.too_big:
        return f"Too complex for one plan: {error}. Please split it into smaller tasks."
    return f"Cannot plan: {error}"
