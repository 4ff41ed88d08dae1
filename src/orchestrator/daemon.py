"""The daemon: wiring of watcher, timers and signals around the core, on one asyncio loop.

File events and timers add *jobs* to a set; one work loop drains the set, so a burst of
events becomes one pass (see :mod:`orchestrator.core` for what each job reads). Every pass
runs on a single engine thread, off the loop, which stays free for events, signals, timers
and the systemd watchdog. A cheap stat of the queue every ``rescan_interval_seconds`` and
the monitor tick are the safety nets for missed events; a folder that was re-created is
watched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import gc
import os
import signal
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import structlog
from filelock import FileLock, Timeout

from orchestrator import __version__, daemon_control
from orchestrator.clock import iso
from orchestrator.config import Config, ConfigError, Settings, load_config
from orchestrator.core import FULL, Core, PassResult
from orchestrator.deathwatch import DeathWatch
from orchestrator.engine import Drafted, draft
from orchestrator.models import Classification, QueueTask
from orchestrator.notify import Notifier
from orchestrator.planner import PlanError
from orchestrator.processes import PsutilProcesses
from orchestrator.store import FolderStore, Layout, file_identity
from orchestrator.watcher import FolderWatcher

log = structlog.get_logger("orchestrator")
T = TypeVar("T")


class AlreadyRunning(Exception):
    """Another daemon owns this coordination folder."""


def make_store(root: Path, settings: Settings | Config) -> FolderStore:
    """The folder store, reading its timeouts from the running configuration at each use."""
    return FolderStore(Layout(root), settings if isinstance(settings, Settings) else Settings(settings))


class SaidOnce:
    """The last problem of one kind: a problem met again on every try (each rescan, each retry) is said once."""

    def __init__(self) -> None:
        self.last = ""

    def new(self, exc: BaseException) -> str:
        """The problem as said, if it differs from the last one; else ``""`` (already said)."""
        problem = f"{type(exc).__name__}: {exc}"
        fresh, self.last = problem != self.last, problem
        return problem if fresh else ""

    def clear(self) -> None:
        self.last = ""


TRIM_AFTER_SECONDS = 1.0
"""After a pass, this long with nothing to do and the C heap's free pages go back (:func:`release_free_heap`)."""
M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter: how many malloc arenas the threads may make."""


def give_back_freed_memory() -> None:
    """Collect, then return the C heap's free pages to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Training the built-in model frees about 5 MB of counts that the heap would otherwise keep for
    the daemon's life, counted in its resident memory while it idles."""
    gc.collect()
    release_free_heap()


def release_free_heap() -> None:
    """``malloc_trim``: the C heap's free pages back to the system (0.2 ms; no collection, which takes
    85-145 ms of a daemon's objects). After a burst the heap keeps what its passes freed: 0.5-1.4 MB
    after 200 tasks, 4 MB after 400, counted in the idle daemon's memory."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc (musl, macOS): the pages stay with the process, nothing else changes


def one_heap() -> None:
    """Every thread allocates from one glibc arena, not one arena each (``mallopt(M_ARENA_MAX, 1)``; elsewhere nothing).

    The daemon's threads (engine, drafting, spares, watcher) each kept an arena of their own, with its
    own free pages: 2.2 MB of the idle daemon's memory. They hold the interpreter's lock to allocate
    anyway, so one arena costs no waiting. Called before the daemon starts its threads."""
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)
    except (OSError, AttributeError):
        pass  # not glibc: its allocator's own choice stands


class Daemon:
    def __init__(self, root: Path, config: Config, config_path: Path | None = None, *, standby: bool = False,
                 notifier: Notifier | None = None) -> None:
        self.root = root
        self.settings = Settings(config, config_path)
        self.config_path = config_path
        self.standby = standby
        self.notifier = notifier or Notifier()
        self.store = make_store(root, self.settings)
        self.layout = self.store.layout
        self.core = Core(self.store, self.settings)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self._jobs: set[Hashable] = set()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._planning: set[asyncio.Task[None]] = set()
        self._drafted: list[tuple[QueueTask, Drafted]] = []  # planned, to begin in the next pass
        self._queue_identity = file_identity(self.layout.queue)
        self._retry_timer: asyncio.TimerHandle | None = None
        self._locked_timer: asyncio.TimerHandle | None = None  # a look at the subtask files a lock kept unwritten
        self._trim_timer: asyncio.TimerHandle | None = None  # the heap's trim once the passes pause
        self._quiet_from = 0.0  # the loop's time from which no pass ran for TRIM_AFTER_SECONDS
        self._folders = self._folder_identity()
        self._agents_prefix = f"{self.layout.agents}/"
        self._busy_since: float | None = None  # when the running engine step began
        self._waiting_since: float | None = None  # when the oldest job not yet taken by a pass arrived
        self._lock: FileLock | None = None
        self._lock_inode = 0
        self._step_problem = SaidOnce()  # why the last step failed
        self._lock_problem = SaidOnce()  # why the lock file could not be taken (again)
        self._rescan_problem = SaidOnce()  # why the last rescan failed
        self._status = ""
        self._exit_code = 0

    async def _step(self, function: Callable[..., T], *args: object, **kwargs: object) -> T:
        loop = asyncio.get_running_loop()
        self._busy_since = loop.time()
        try:
            return await loop.run_in_executor(self._worker, functools.partial(function, *args, **kwargs))
        finally:
            self._busy_since = None

    def want(self, job: Hashable) -> None:
        self._jobs.add(job)
        if self._waiting_since is None:
            with contextlib.suppress(RuntimeError):
                self._waiting_since = asyncio.get_running_loop().time()
        self._wake.set()

    def _on_change(self, path: Path) -> None:
        layout = self.layout
        parent = path.parent
        if path in self._watched():  # deleted: its watch is gone; the rescan makes it and watches it again
            self._folders = ()
        elif path == layout.queue:
            self.want("queue")
        elif parent == layout.subtasks:
            if path.suffix == ".json":
                self.want(("subtask", path.stem))
        elif parent == layout.requests:
            self.want("requests")
        elif parent.parent == layout.worker_specs:
            self.want(("worker", path.stem, path))  # a spec: named after its worker, names its subtask
        else:
            text, agents = str(path), self._agents_prefix
            if text.startswith(agents):
                worker = text[len(agents):].split("/", 1)[0]
                self.want(("worker", worker, None))  # agents/workers/{worker_id}/...

    def _events_lost(self) -> None:
        """The kernel dropped file events: every file is looked at again now, as at the monitor's tick."""
        log.warning("file_events_lost", action="looking at every file again now, not at the next tick")
        self.want("tick")

    def _ours(self, path: Path) -> bool:
        """Our own writes coming back (and our appends to the events file) wake nothing: a pickup
        would otherwise cost a second pass for the files it just wrote. Asked on watchdog's thread."""
        return path == self.layout.events or self.store.is_own(path)

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
            except OSError as exc:  # a folder in its place: a standby waits until it is a lock file again
                if not self.standby:
                    raise
                if problem := self._lock_problem.new(exc):
                    log.error("daemon_lock_unusable", path=str(self.layout.daemon_lock), problem=problem,
                              action="waiting until it can be opened")
            if not waiting:
                waiting = True
                log.info("standby", coordination_dir=str(self.root), action="taking over when the active daemon stops")
                self.notifier.status("standby: another orchestrator owns this folder")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.watch.standby_poll_seconds)
                return False

    @property
    def config(self) -> Config:
        return self.settings.config

    def _folder_identity(self) -> tuple[int, ...]:
        """The watched folders' inodes: they change when a script re-creates the folder."""
        return tuple(file_identity(folder)[0] for folder in self._watched())

    def _watched(self) -> list[Path]:
        return [self.root, self.layout.subtasks, self.layout.requests,
                *(self.layout.worker_specs / f for f in ("active", "completed", "failed", "zombie"))]

    async def run(self) -> int:
        instance = FileLock(str(self.layout.daemon_lock), timeout=0, fallback_to_soft=False, preserve_lock_file=True)
        self.layout.orchestrator.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self.want, "reload")
        if not await self._own_folder(instance):
            return 0
        self._lock, self._lock_inode = instance, file_identity(self.layout.daemon_lock)[0]
        self._write_pid()
        self._watcher = FolderWatcher(loop, self._watched(), self._on_change, recursive=[self.layout.agents],
                                      ignore=self._ours, overflowed=self._events_lost)
        # a table that holds no pidfds of its own: the death watch holds one per worker already
        self._deaths = DeathWatch(loop, PsutilProcesses(limit=0), lambda subtask_id: self.want(("exited", subtask_id)))
        try:
            observer = self._watcher.start()
            self._folders = self._folder_identity()
            await self._step(self._warm_up)
            result = await self._step(self.core.start, pid=os.getpid(), version=__version__,
                                      coordination_dir=str(self.root), observer=observer)
            self._status = self.core.status_line
            self.notifier.ready(self._status)
            self._after(result)
            for name in FULL:  # the first pass reads everything
                self.want(name)
            work = asyncio.create_task(self._work_loop())
            loops = [work, asyncio.create_task(self._rescan_loop()), asyncio.create_task(self._monitor_loop())]
            if self.notifier.watchdog_interval:
                loops.append(asyncio.create_task(self._watchdog_loop(self.notifier.watchdog_interval, work)))
            await self._stopping.wait()
            self.notifier.stopping()
            for job in loops:
                job.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            if self._planning:
                await asyncio.wait(self._planning, timeout=self.config.watch.lock_timeout_seconds)
            drafted, self._drafted = self._drafted, []
            await self._step(self.core.run_pass, set(), drafted)  # begin what was planned; write the state
            await self._step(self.core.stop, pid=os.getpid(), reason="signal")
        finally:
            self._deaths.close()
            self._watcher.stop()
            self._worker.shutdown(wait=True)
            (self._lock or instance).release()
        return self._exit_code

    def _warm_up(self) -> None:
        """The first decision's costs, paid before the daemon says it started (:meth:`Core.warm_up`)."""
        try:
            self.core.warm_up()
        except Exception as exc:  # a sample task must not keep the daemon from its real ones
            log.warning("warm_up_failed", problem=f"{type(exc).__name__}: {exc}",
                        action="the first task will pay for it")
        give_back_freed_memory()

    async def _work_loop(self) -> None:
        while True:
            await self._wake.wait()
            debounce = self.config.watch.debounce_seconds
            if debounce:
                await asyncio.sleep(debounce)  # let writers finish; events meanwhile join this pass
            self._wake.clear()
            jobs, self._jobs = self._jobs, set()
            waiting_since, self._waiting_since = self._waiting_since, None
            drafted, self._drafted = self._drafted, []
            if "queue" in jobs:
                self._queue_identity = file_identity(self.layout.queue)
            if "reload" in jobs:
                self._reload()
            try:
                log.debug("pass", jobs=sorted(map(str, jobs)), drafted=len(drafted))
                result = await self._step(self.core.run_pass, jobs, drafted)
            except Exception as exc:  # one failing step must not stop an unattended daemon
                self._step_failed(exc, jobs, drafted)
                self._waiting_since = waiting_since  # the work still waits: the watchdog must see it
                continue
            self._after(result)

    def _after(self, result: PassResult) -> None:
        loop = asyncio.get_running_loop()
        self._trim_when_quiet(loop)
        if result.watch is not None:
            self._deaths.sync(result.watch)
        for task, decision in result.plan_later:
            self._start_planning(task, decision)
        if result.again:
            self.want("queue")
        elif result.failed:
            loop.call_later(self.config.watch.update_retry_seconds, self.want, "queue")
        if result.locked_out and self._locked_timer is None:  # not pushed back by every pass: it fires
            jobs: list[Hashable] = [("subtask", subtask_id) for subtask_id in result.locked_out]
            self._locked_timer = loop.call_later(self.config.watch.lock_timeout_seconds, self._look_again, jobs)
        if result.stopping_workers:
            loop.call_later(max(0.05, self.config.retry.terminate_grace_seconds / 4), self.want, "stops")
        if result.retries_checked:
            self._schedule_retry(result.next_retry)
        if self.core.status_line != self._status:
            self._status = self.core.status_line
            self.notifier.status(self._status)

    def _trim_when_quiet(self, loop: asyncio.AbstractEventLoop) -> None:
        """Trim the heap once no pass has run for :data:`TRIM_AFTER_SECONDS`: one timer, moved on by each
        pass (not one per pass), on the engine thread between passes (a pass waits at most the trim)."""
        self._quiet_from = loop.time() + TRIM_AFTER_SECONDS
        if self._trim_timer is None:
            self._trim_timer = loop.call_at(self._quiet_from, self._trim_heap)

    def _trim_heap(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() < self._quiet_from:  # a pass ran since: wait for its quiet second
            self._trim_timer = loop.call_at(self._quiet_from, self._trim_heap)
            return
        self._trim_timer = None
        if self._jobs or self._busy_since is not None:
            return  # work is on its way: its pass comes back here
        with contextlib.suppress(RuntimeError):  # the engine thread already shut down: the daemon is stopping
            self._worker.submit(release_free_heap)

    def _reload(self) -> None:
        """SIGHUP: read the configuration again; keep the running one if the new one is wrong."""
        source = str(self.config_path or self.layout.orchestrator / "config.toml")
        try:
            config = load_config(self.config_path, self.root)
        except Exception as exc:  # ConfigError, or a case it missed: the work loop must go on
            problem = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            self._worker.submit(self.core.note, "config_reload_failed", problem=problem,
                                action="kept the running configuration")
            return
        self._worker.submit(self.core.reconfigure, config, source)

    async def _watchdog_loop(self, interval: float, work: asyncio.Task[None]) -> None:
        """Ping systemd only while the work loop makes progress, so a wedged daemon gets restarted.

        Progress: the work loop is alive, no pass has run longer than three lock timeouts, and
        no job has waited that long for a pass (a pass that fails every time is no progress).
        """
        loop = asyncio.get_running_loop()
        while True:
            stuck_after = self.config.watch.lock_timeout_seconds * 3
            now = loop.time()
            stalled = [since for since in (self._busy_since, self._waiting_since)
                       if since is not None and now - since >= stuck_after]
            if not work.done() and not stalled:
                self.notifier.watchdog()
            await asyncio.sleep(interval)

    def _step_failed(self, exc: Exception, jobs: set[Hashable], drafted: list[tuple[QueueTask, Drafted]]) -> None:
        """Report an unexpected error once, keep the work, and try again after a pause."""
        log.error("step_failed", exc_info=exc)
        if problem := self._step_problem.new(exc):
            self._worker.submit(self.core.note, "internal_error", problem=problem,
                                action="kept running; the work is tried again")
        self._jobs |= jobs
        self._drafted = drafted + self._drafted
        asyncio.get_running_loop().call_later(self.config.watch.update_retry_seconds, self._wake.set)

    def _look_again(self, jobs: list[Hashable]) -> None:
        self._locked_timer = None
        for job in jobs:
            self.want(job)

    def _schedule_retry(self, seconds: float | None) -> None:
        if self._retry_timer is not None:
            self._retry_timer.cancel()
            self._retry_timer = None
        if seconds is not None:
            self._retry_timer = asyncio.get_running_loop().call_later(seconds, self.want, "retries")

    async def _rescan_loop(self) -> None:
        """Safety net: a changed queue whose event we missed, or a re-created folder, within one interval."""
        while True:
            await asyncio.sleep(self.config.watch.rescan_interval_seconds)
            try:
                await self._rescan()
            except Exception as exc:  # a round that fails must not end the rescans, and the lock check, for good
                if problem := self._rescan_problem.new(exc):
                    log.error("rescan_failed", exc_info=exc)
                    self._worker.submit(self.core.note, "internal_error", problem=problem,
                                        action="kept running; the rescan is tried again every interval")
            else:
                self._rescan_problem.clear()

    async def _rescan(self) -> None:
        if file_identity(self.layout.queue) != self._queue_identity and not self.store.is_own(self.layout.queue):
            self.want("queue")
        self._keep_lock()
        if self._folder_identity() != self._folders:
            if not self._rescan_problem.last:
                log.warning("folder_recreated", coordination_dir=str(self.root), action="watching it again")
            await self._step(self.store.make_folders)  # raises while a file is in a folder's place
            self._watcher.stop()
            self._watcher.start()
            self._folders = self._folder_identity()  # only now: until then, each round tries again
            for job in FULL:
                self.want(job)

    def _keep_lock(self) -> None:
        """The folder's lock file was deleted or replaced (``make clean``, a re-created folder): take
        the new one, or, if another daemon holds it, stop so that only one serves the folder."""
        inode = file_identity(self.layout.daemon_lock)[0]
        if inode == self._lock_inode:
            return
        fresh = FileLock(str(self.layout.daemon_lock), timeout=0, fallback_to_soft=False, preserve_lock_file=True)
        try:
            self.layout.orchestrator.mkdir(parents=True, exist_ok=True)
            fresh.acquire()
        except Timeout:
            log.error("daemon_lock_lost", path=str(self.layout.daemon_lock),
                      action="stopping: another orchestrator holds the folder's new lock")
            self._worker.submit(self.core.note, "daemon_lock_lost", path=str(self.layout.daemon_lock),
                                problem="the lock file was replaced and another orchestrator holds it",
                                action="stopping, exit status 3 (a unit is not restarted: the other daemon serves the folder)")
            self._exit_code = 3
            self.stop()
            return
        except OSError as exc:
            # a folder in its place: raised, it ended the rescan loop for good, and with it this check,
            # so a second daemon started once the folder was gone served the folder too
            if problem := self._lock_problem.new(exc):
                log.error("daemon_lock_unusable", path=str(self.layout.daemon_lock), problem=problem)
                self._worker.submit(self.core.note, "daemon_lock_unusable", path=str(self.layout.daemon_lock),
                                    problem=problem, action="kept the lock it holds; takes the file again once "
                                    "it can, or stops if another orchestrator took it first")
            return
        if self._lock is not None:
            self._lock.release()
        self._lock, self._lock_inode = fresh, file_identity(self.layout.daemon_lock)[0]
        self._lock_problem.clear()
        self._write_pid()
        self._worker.submit(self.core.note, "daemon_lock_retaken", path=str(self.layout.daemon_lock),
                            problem="the folder's lock file was deleted or replaced", action="took the new one")

    def _write_pid(self) -> None:
        """Our PID in the lock we hold: how ``orchestrator stop`` and ``reload`` find us."""
        try:
            daemon_control.write_pid(self.layout.daemon_lock)
        except OSError as exc:  # they fall back to /proc/locks
            log.warning("pid_not_written", path=str(self.layout.daemon_lock), problem=str(exc))

    async def _monitor_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.monitor.interval_seconds)
            self.want("tick")

    def _start_planning(self, task: QueueTask, decision: Classification) -> None:
        job = asyncio.create_task(self._plan(task, decision))
        self._planning.add(job)
        job.add_done_callback(self._planning.discard)

    async def _plan(self, task: QueueTask, decision: Classification) -> None:
        """Plan with the external planner off the engine thread; begin in the next pass."""
        try:
            drafted = await draft(task, decision, self.core.engine.classifier, self.config, iso(self.core.clock))
        except Exception as exc:  # a planner bug blocks this task, not the daemon
            log.error("planning_failed", task_id=task.id, exc_info=exc)
            drafted = Drafted(None, PlanError([f"internal error while planning: {type(exc).__name__}: {exc}"]), "builtin")
        self._drafted.append((task, drafted))
        self.want("plans")


def run(root: Path, config: Config, config_path: Path | None = None, *, standby: bool = False) -> int:
    one_heap()
    daemon = Daemon(root, config, config_path, standby=standby)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(daemon.run())
    return 0
