"""The daemon: wiring of watcher, engine and signals around one asyncio loop.

File events set a flag; one intake loop drains it (debounced), so a burst of events
becomes one queue pass. Engine steps run one at a time on a single worker thread, off
the loop, which stays free for events, signals and timers. A cheap stat of the queue
every ``rescan_interval_seconds`` is the safety net for a missed event.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import structlog
from filelock import FileLock, Timeout

from orchestrator import __version__
from orchestrator.config import Config
from orchestrator.engine import Engine, draft
from orchestrator.models import Classification, QueueTask
from orchestrator.planner import PlanError
from orchestrator.store import Layout, Store, StoreError, file_identity
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
    def __init__(self, root: Path, config: Config) -> None:
        self.root = root
        self.config = config
        self.store = make_store(root, config)
        self.engine = Engine(self.store, config)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self._dirty = asyncio.Event()
        self._stopping = asyncio.Event()
        self._planning: set[asyncio.Task[None]] = set()
        self._queue_identity = file_identity(self.store.layout.queue)

    async def _step(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, function, *args)

    def _on_change(self, path: Path) -> None:
        if path == self.store.layout.queue:
            self._dirty.set()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> int:
        layout = self.store.layout
        instance = FileLock(str(layout.daemon_lock), timeout=0, fallback_to_soft=False, preserve_lock_file=True)
        layout.orchestrator.mkdir(parents=True, exist_ok=True)
        try:
            instance.acquire()
        except Timeout as exc:
            raise AlreadyRunning(f"another orchestrator already owns {self.root} ({layout.daemon_lock} is locked)") from exc
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        watcher = FolderWatcher(loop, [self.root], self._on_change)
        try:
            unfinished = await self._step(self.engine.load)
            observer = watcher.start()
            self.engine.emit("orchestrator_started", pid=os.getpid(), version=__version__,
                             coordination_dir=str(self.root), observer=observer, orchestrations=len(self.engine.plans))
            for task, decision in unfinished:
                self._start_planning(task, decision)
            self._dirty.set()
            loops = [asyncio.create_task(self._intake_loop()), asyncio.create_task(self._rescan_loop())]
            await self._stopping.wait()
            for job in loops:
                job.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            if self._planning:
                await asyncio.wait(self._planning, timeout=self.config.watch.lock_timeout_seconds)
            await self._step(self.engine.write_state)
            self.engine.emit("orchestrator_stopped", pid=os.getpid(), reason="signal")
        finally:
            watcher.stop()
            self._worker.shutdown(wait=True)
            instance.release()
        return 0

    async def _intake_loop(self) -> None:
        debounce = self.config.watch.debounce_seconds
        while True:
            await self._dirty.wait()
            await asyncio.sleep(debounce)  # let the writer finish; events meanwhile join this pass
            self._dirty.clear()
            self._queue_identity = file_identity(self.store.layout.queue)
            result = await self._step(self.engine.intake)
            for task, decision in result.claimed:
                self._start_planning(task, decision)
            if result.again:
                self._dirty.set()
            elif result.failed:
                asyncio.get_running_loop().call_later(self.config.watch.update_retry_seconds, self._dirty.set)

    async def _rescan_loop(self) -> None:
        """Safety net: a changed queue whose event we missed is picked up within one interval."""
        while True:
            await asyncio.sleep(self.config.watch.rescan_interval_seconds)
            if file_identity(self.store.layout.queue) != self._queue_identity:
                self._dirty.set()

    def _start_planning(self, task: QueueTask, decision: Classification) -> None:
        job = asyncio.create_task(self._plan(task, decision))
        self._planning.add(job)
        job.add_done_callback(self._planning.discard)

    async def _plan(self, task: QueueTask, decision: Classification) -> None:
        structlog.contextvars.bind_contextvars(task_id=task.id, orchestration_id=f"orch-{task.id}")
        drafted = await draft(task, decision, self.engine.classifier, self.config)
        if drafted.fallback_reason:
            self.engine.emit("planner_fallback", task_id=task.id, reason=drafted.fallback_reason)
        if drafted.plan is None:
            assert drafted.error is not None
            await self._step(self.engine.block, task, _blocked_reason(drafted.error))
            return
        try:
            await self._step(self.engine.start_orchestration, drafted.plan, task.priority or "medium")
        except PlanError as exc:
            await self._step(self.engine.block, task, _blocked_reason(exc))
        except StoreError as exc:
            self.engine.emit("orchestration_failed", task_id=task.id, orchestration_id=f"orch-{task.id}",
                             problem=str(exc), action="will be finished at the next start")


def _blocked_reason(error: PlanError) -> str:
    if error.too_big:
        return f"Too complex for one plan: {error}. Please split it into smaller tasks."
    return f"Cannot plan: {error}"


def run(root: Path, config: Config) -> int:
    daemon = Daemon(root, config)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(daemon.run())
    return 0
