"""The daemon: wiring of watcher, engine, supervisor and signals around one asyncio loop.

File events and timers add *jobs* to a set; one work loop drains the set (debounced), so
a burst of events becomes one pass. Every pass runs on a single engine thread, off the
loop, which stays free for events, signals and timers. Jobs:

* ``queue``: the queue changed (intake);
* ``("subtask", id)``: a subtask file changed (a master or worker reported);
* ``workers``: a worker spec, heartbeat or status file changed;
* ``requests``: a person asked to resume, skip or abort;
* ``tick``: the monitor interval passed (liveness of every active subtask);
* ``retries``: a retry's backoff ended.

A cheap stat of the queue every ``rescan_interval_seconds`` is the safety net for a missed
event; the monitor tick is the safety net for everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import structlog
from filelock import FileLock, Timeout

from orchestrator import __version__
from orchestrator.config import Config, ConfigError, load_config
from orchestrator.engine import Drafted, Engine, IntakeResult, draft
from orchestrator.models import Classification, QueueTask
from orchestrator.notify import Notifier
from orchestrator.planner import PlanError
from orchestrator.store import Layout, Store, StoreError, file_identity
from orchestrator.supervisor import Supervisor
from orchestrator.watcher import FolderWatcher

log = structlog.get_logger("orchestrator")
T = TypeVar("T")


class AlreadyRunning(Exception):
    """Another daemon owns this coordination folder."""


def make_store(root: Path, config: Config) -> Store:
    watch = config.watch
    return Store(Layout(root), lock_timeout=watch.lock_timeout_seconds, read_retries=watch.read_retries,
                 read_retry_delay=watch.read_retry_delay_seconds)


class Daemon:
    def __init__(self, root: Path, config: Config, config_path: Path | None = None, *, standby: bool = False,
                 notifier: Notifier | None = None) -> None:
        self.root = root
        self.config = config
        self.config_path = config_path
        self.standby = standby
        self.notifier = notifier or Notifier()
        self.store = make_store(root, config)
        self.layout = self.store.layout
        self.engine = Engine(self.store, config)
        self.supervisor = Supervisor(self.engine)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self._jobs: set[Hashable] = set()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._planning: set[asyncio.Task[None]] = set()
        self._drafted: list[tuple[QueueTask, Drafted]] = []  # planned, to begin in the next pass
        self._queue_identity = file_identity(self.layout.queue)
        self._retry_timer: asyncio.TimerHandle | None = None
        self._busy_since: float | None = None  # when the running engine step began
        self._last_failure = ""
        self._status = ""

    async def _step(self, function: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        self._busy_since = loop.time()
        try:
            return await loop.run_in_executor(self._worker, function, *args)
        finally:
            self._busy_since = None

    def want(self, job: Hashable) -> None:
        self._jobs.add(job)
        self._wake.set()

    def _on_change(self, path: Path) -> None:
        layout = self.layout
        if path == layout.queue:
            self.want("queue")
        elif path.parent == layout.subtasks and path.suffix == ".json":
            self.want(("subtask", path.stem))
        elif path.parent == layout.requests:
            self.want("requests")
        elif layout.worker_specs in path.parents:
            self.want(("worker", path.stem, path))  # a spec: named after its worker, names its subtask
        elif layout.agents in path.parents:
            worker = path.relative_to(layout.agents).parts[0]
            self.want(("worker", worker, None))  # agents/workers/{worker_id}/...

    def stop(self) -> None:
        self._stopping.set()

    async def _own_folder(self, instance: FileLock) -> bool:
        """Take the folder's daemon lock; with ``standby``, wait for it. False: stopped while waiting."""
        waiting = False
        while True:
            try:
                instance.acquire()
                return True
            except Timeout as exc:
                if not self.standby:
                    raise AlreadyRunning(f"another orchestrator already owns {self.root} "
                                         f"({self.layout.daemon_lock} is locked)") from exc
            if not waiting:
                waiting = True
                log.info("standby", coordination_dir=str(self.root), action="taking over when the active daemon stops")
                self.notifier.status("standby: another orchestrator owns this folder")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.watch.standby_poll_seconds)
                return False

    async def run(self) -> int:
        instance = FileLock(str(self.layout.daemon_lock), timeout=0, fallback_to_soft=False, preserve_lock_file=True)
        self.layout.orchestrator.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self.want, "reload")
        if not await self._own_folder(instance):
            return 0
        folders = [self.root, self.layout.subtasks, self.layout.requests,
                   *(self.layout.worker_specs / f for f in ("active", "completed", "failed", "zombie"))]
        watcher = FolderWatcher(loop, folders, self._on_change, recursive=[self.layout.agents])
        try:
            unfinished = await self._step(self._start_up)
            observer = watcher.start()
            self.engine.emit("orchestrator_started", pid=os.getpid(), version=__version__,
                             coordination_dir=str(self.root), observer=observer,
                             orchestrations=len(self.engine.plans))
            for task, decision in unfinished:
                self._start_planning(task, decision)
            for job in ("queue", "requests", "tick"):
                self.want(job)
            loops = [asyncio.create_task(self._work_loop()), asyncio.create_task(self._rescan_loop()),
                     asyncio.create_task(self._monitor_loop())]
            if self.notifier.watchdog_interval:
                loops.append(asyncio.create_task(self._watchdog_loop(self.notifier.watchdog_interval)))
            self.notifier.ready(self.engine.status_line)
            await self._stopping.wait()
            self.notifier.stopping()
            for job in loops:
                job.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            if self._planning:
                await asyncio.wait(self._planning, timeout=self.config.watch.lock_timeout_seconds)
            drafted, self._drafted = self._drafted, []
            await self._step(self._run, set(), drafted)  # begin what was planned; write the state
            self.engine.emit("orchestrator_stopped", pid=os.getpid(), reason="signal")
        finally:
            watcher.stop()
            self._worker.shutdown(wait=True)
            instance.release()
        return 0

    def _start_up(self) -> list[tuple[QueueTask, Classification]]:
        unfinished = self.engine.load()
        for plan in [p for p in self.engine.plans.values() if p.status == "planning"]:
            self.supervisor.begin(plan)  # written before a crash, never handed off
        self.supervisor.load()
        self.engine.write_state()
        return unfinished

    async def _work_loop(self) -> None:
        debounce = self.config.watch.debounce_seconds
        while True:
            await self._wake.wait()
            await asyncio.sleep(debounce)  # let writers finish; events meanwhile join this pass
            self._wake.clear()
            jobs, self._jobs = self._jobs, set()
            drafted, self._drafted = self._drafted, []
            if "queue" in jobs:
                self._queue_identity = file_identity(self.layout.queue)
            try:
                result, next_retry = await self._step(self._run, jobs, drafted)
            except Exception as exc:  # one failing step must not stop an unattended daemon
                self._step_failed(exc, jobs, drafted)
                continue
            for task, decision in result.claimed:
                self._start_planning(task, decision)
            if result.again:
                self.want("queue")
            elif result.failed:
                asyncio.get_running_loop().call_later(self.config.watch.update_retry_seconds, self.want, "queue")
            self._schedule_retry(next_retry)
            if self.engine.status_line != self._status:
                self._status = self.engine.status_line
                self.notifier.status(self._status)

    def _reload(self) -> None:
        """SIGHUP: read the configuration again; keep the running one if the new one is wrong."""
        try:
            config = load_config(self.config_path, self.root)
        except ConfigError as exc:
            self.engine.emit("config_reload_failed", problem=str(exc), action="kept the running configuration")
            return
        self.config = config
        self.engine.reconfigure(config)
        self.supervisor.reconfigure(config)
        self.engine.emit("config_reloaded", path=str(self.config_path or self.layout.orchestrator / "config.toml"))

    async def _watchdog_loop(self, interval: float) -> None:
        """Ping systemd while the loop runs and no engine step is stuck; a wedged daemon gets restarted."""
        stuck_after = self.config.watch.lock_timeout_seconds * 3
        loop = asyncio.get_running_loop()
        while True:
            if self._busy_since is None or loop.time() - self._busy_since < stuck_after:
                self.notifier.watchdog()
            await asyncio.sleep(interval)

    def _step_failed(self, exc: Exception, jobs: set[Hashable], drafted: list[tuple[QueueTask, Drafted]]) -> None:
        """Report an unexpected error once, keep the work, and try again after a pause."""
        problem = f"{type(exc).__name__}: {exc}"
        log.error("step_failed", exc_info=exc)
        if problem != self._last_failure:
            self.engine.emit("internal_error", problem=problem, action="kept running; the work is tried again")
        self._last_failure = problem
        self._jobs |= jobs
        self._drafted = drafted + self._drafted
        asyncio.get_running_loop().call_later(self.config.watch.update_retry_seconds, self._wake.set)

    def _run(self, jobs: set[Hashable], drafted: list[tuple[QueueTask, Drafted]]) -> tuple[IntakeResult, float | None]:
        """One pass on the engine thread; the state file is written once, at its end."""
        if "reload" in jobs:
            self._reload()
        result = self.engine.intake() if "queue" in jobs else IntakeResult()
        for task, planned in drafted:
            self._begin(task, planned)
        for job in jobs:
            if isinstance(job, tuple) and job[0] == "subtask":
                self.supervisor.sync_subtask(job[1])
        if "requests" in jobs:
            self.supervisor.handle_requests()
        if "tick" in jobs:
            next_retry = self.supervisor.tick()
        else:
            workers = [job[1:] for job in jobs if isinstance(job, tuple) and job[0] == "worker"]
            if workers:
                self.supervisor.observe_workers(workers)
            next_retry = self.supervisor.due_retries()
        self.engine.write_state()
        return result, next_retry

    def _schedule_retry(self, seconds: float | None) -> None:
        if self._retry_timer is not None:
            self._retry_timer.cancel()
            self._retry_timer = None
        if seconds is not None:
            self._retry_timer = asyncio.get_running_loop().call_later(seconds, self.want, "retries")

    async def _rescan_loop(self) -> None:
        """Safety net: a changed queue whose event we missed is picked up within one interval."""
        while True:
            await asyncio.sleep(self.config.watch.rescan_interval_seconds)
            if file_identity(self.layout.queue) != self._queue_identity:
                self.want("queue")

    async def _monitor_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.monitor.interval_seconds)
            self.want("tick")

    def _start_planning(self, task: QueueTask, decision: Classification) -> None:
        job = asyncio.create_task(self._plan(task, decision))
        self._planning.add(job)
        job.add_done_callback(self._planning.discard)

    async def _plan(self, task: QueueTask, decision: Classification) -> None:
        """Plan off the engine thread (an external planner may take a while); begin in the next pass."""
        try:
            drafted = await draft(task, decision, self.engine.classifier, self.config)
        except Exception as exc:  # a planner bug blocks this task, not the daemon
            log.error("planning_failed", task_id=task.id, exc_info=exc)
            drafted = Drafted(None, PlanError([f"internal error while planning: {type(exc).__name__}: {exc}"]), "builtin")
        self._drafted.append((task, drafted))
        self.want("plans")

    def _begin(self, task: QueueTask, drafted: Drafted) -> None:
        if drafted.fallback_reason:
            self.engine.emit("planner_fallback", task_id=task.id, reason=drafted.fallback_reason)
        try:
            if drafted.plan is None:
                assert drafted.error is not None
                raise drafted.error
            self.engine.start_orchestration(drafted.plan)
            self.supervisor.forget_owners()
            self.supervisor.begin(drafted.plan)
        except PlanError as exc:
            self.engine.block(task, _blocked_reason(exc))
        except StoreError as exc:
            self.engine.emit("orchestration_failed", task_id=task.id, orchestration_id=f"orch-{task.id}",
                             problem=str(exc), action="will be finished at the next start")


def _blocked_reason(error: PlanError) -> str:
    if error.too_big:
        return f"Too complex for one plan: {error}. Please split it into smaller tasks."
    return f"Cannot plan: {error}"


def run(root: Path, config: Config, config_path: Path | None = None, *, standby: bool = False) -> int:
    daemon = Daemon(root, config, config_path, standby=standby)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(daemon.run())
    return 0
