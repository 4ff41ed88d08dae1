"""The core in-process: an in-memory folder, a clock moved by hand, a fake process table.

Everything a test does here takes microseconds and is deterministic; a "restart" is a new
:class:`~orchestrator.core.Core` on the files the old one left, a "crash" is the
:class:`~orchestrator.store.MemoryStore` refusing its n-th write.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator import protocol
from orchestrator.clock import FakeClock, iso
from orchestrator.config import Config, Settings
from orchestrator.core import FULL, Core, PassResult
from orchestrator.processes import ProcessState, StopResult
from orchestrator.store import Crash, MemoryStore

from conftest import WIDGET_SUBTASKS as SUBTASKS

__all__ = ["FAST", "SUBTASKS", "FakeProcesses", "Sim", "task"]

FAST = {"retry": {"backoff_base_seconds": 10, "backoff_max_seconds": 60, "jitter": 0.0,
                  "terminate_grace_seconds": 5}}



class FakeProcesses:
    """PIDs and their states; signals are recorded and, unless ignored, end the process."""

    def __init__(self) -> None:
        self.states: dict[int, ProcessState] = {}
        self.signals: list[tuple[int, int]] = []
        self.ignore_term: set[int] = set()

    def state(self, pid: int, started: Any) -> ProcessState:
        return self.states.get(pid, "gone")

    def forget_unlooked(self) -> None:
        pass

    def signal(self, pid: int, started: Any, sig: int, not_before: Any = None) -> StopResult:
        if self.state(pid, started) != "running":
            return "not running"
        self.signals.append((pid, sig))
        if sig == 9 or pid not in self.ignore_term:
            self.states[pid] = "gone"
        return "sent"


def task(task_id: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "title": title, "status": "pending", "priority": "medium", **fields}


class Sim:
    def __init__(self, store: MemoryStore | None = None, config: dict[str, Any] | None = None,
                 clock: FakeClock | None = None, processes: FakeProcesses | None = None) -> None:
        self.store = store or MemoryStore()
        self.layout = self.store.layout
        self.clock = clock or FakeClock()
        self.processes = processes or FakeProcesses()
        self.config = config if config is not None else FAST
        self.settings = Settings(Config.model_validate(self.config))
        self.store.settings = self.settings  # one configuration object, shared
        self.core = Core(self.store, self.settings, clock=self.clock, processes=self.processes,
                         rng=random.Random(1))
        if not self.store.exists(self.layout.queue):
            self.store.put(self.layout.queue, {"tasks": []})

    # --- driving -----------------------------------------------------------------------

    def start(self) -> PassResult:
        self.core.start(pid=1)
        return self.core.run_pass(FULL)

    def tick(self, seconds: float = 0.0) -> PassResult:
        self.clock.advance(seconds)
        return self.core.run_pass(FULL)

    def run(self, *jobs: Any) -> PassResult:
        return self.core.run_pass(set(jobs))

    def restart(self) -> Sim:
        """A new process on the files this one left (its memory is gone)."""
        sim = Sim(self.store.copy(), self.config, self.clock, self.processes)
        sim.start()
        return sim

    def crash_and_restart(self, crash_at: int, passes: int = 2) -> Sim:
        """Run up to ``passes`` ticks, crashing before the ``crash_at``-th write from now, then a new process a
        second later that ticks twice."""
        self.store.crash_at = self.store.writes + crash_at
        with contextlib.suppress(Crash):
            for _ in range(passes):
                self.tick(1)
        self.store.crash_at = None
        self.clock.advance(1)
        sim = self.restart()
        sim.tick(1)
        sim.tick(1)
        return sim

    def submit(self, *tasks: dict[str, Any]) -> None:
        """Another writer adds tasks to the queue (no lock, as most writers do)."""
        queue = self.store.get(self.layout.queue)
        queue["tasks"] += list(tasks)
        self.store.put(self.layout.queue, queue)

    def before_next_queue_write(self, writer: Callable[[], None]) -> list[bool]:
        """Another writer edits the queue once, between the daemon's read of it and its locked
        write (a cancel that lands under the daemon's claim); the list gets True when it has."""
        replace = self.store._replace_if_unchanged
        raced: list[bool] = []

        def racing(path: Path, data: bytes, expected: Any) -> Any:
            if path == self.layout.queue and not raced:
                raced.append(True)
                writer()
            return replace(path, data, expected)

        self.store._replace_if_unchanged = racing  # type: ignore[method-assign]
        return raced

    def report(self, subtask_id: str, action: protocol.Action, **details: Any) -> str | None:
        """``orchestrator subtask ACTION``: the worker's edit of its subtask file."""
        path = self.layout.subtask(subtask_id)
        data = self.store.get(path)
        problem = protocol.apply(data, action, iso(self.clock), **details)
        if problem is None:
            self.store.put(path, data)
        return problem

    def edit(self, subtask_id: str, **fields: Any) -> None:
        """A master writes fields straight into the subtask file."""
        path = self.layout.subtask(subtask_id)
        self.store.put(path, self.store.get(path) | fields)

    # --- looking -------------------------------------------------------------------------

    def events(self, type_: str | None = None, **match: Any) -> list[dict[str, Any]]:
        raw = self.store.files.get(self.layout.events, b"").decode()
        found = [json.loads(line) for line in raw.splitlines() if line.strip()]
        return [e for e in found if (type_ is None or e["type"] == type_)
                and all(e.get(k) == v for k, v in match.items())]

    def plan(self, orchestration_id: str) -> dict[str, Any]:
        return self.store.get(self.layout.plan(orchestration_id))

    def subtask(self, subtask_id: str) -> dict[str, Any]:
        return self.store.get(self.layout.subtask(subtask_id))

    def queue_task(self, task_id: str) -> dict[str, Any]:
        return next(t for t in self.store.get(self.layout.queue)["tasks"] if t.get("id") == task_id)

    def handoffs(self) -> list[Path]:
        return sorted(p for p in self.store.files if "/handoffs/" in str(p))

    def active(self, orchestration_id: str) -> list[str]:
        return [s["subtask_id"] for s in self.plan(orchestration_id)["subtasks"]
                if s["status"] in ("assigned", "in_progress")]

    def work_assigned(self, orchestration_id: str, fails: Callable[[str, dict[str, Any]], bool],
                      reason: str = "boom") -> None:
        """Every assigned subtask's worker starts, then fails where ``fails(subtask_id, subtask file)`` says so
        and completes elsewhere."""
        for subtask_id in self.active(orchestration_id):
            data = self.subtask(subtask_id)
            if data["status"] != "assigned":
                continue
            self.report(subtask_id, "start", worker_id=f"w-{subtask_id}-{data['attempt']}")
            if fails(subtask_id, data):
                self.report(subtask_id, "fail", reason=reason)
            else:
                self.report(subtask_id, "complete", result="ok")

    def event_ids(self) -> Counter[str]:
        """How many times each event id was announced."""
        return Counter(e["event_id"] for e in self.events() if "event_id" in e)

    def finish_active(self, orchestration_id: str) -> None:
        """Every active subtask's worker starts and completes."""
        for subtask_id in self.active(orchestration_id):
            self.report(subtask_id, "start", worker_id=f"w-{subtask_id}")
            self.report(subtask_id, "complete", result=f"{subtask_id} done")
