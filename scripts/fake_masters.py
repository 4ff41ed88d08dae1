#!/usr/bin/env python3
"""Play the four masters against a running daemon: take each pending handoff, as the real
handoff consumer does (status -> processed), and start a worker process for it.

Used by `make demo` and by the end-to-end tests. ``behaviour(subtask_id, attempt)`` says
what the worker does (see fake_worker.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

WORKER = Path(__file__).with_name("fake_worker.py")
MASTERS = ("development", "security", "inventory", "cicd")


class FakeMasters:
    def __init__(self, root: Path, behaviour: Callable[[str, int], str], seconds: float = 0.2) -> None:
        self.root = root
        self.behaviour = behaviour
        self.seconds = seconds
        self.workers: list[subprocess.Popen[bytes]] = []
        self.taken: list[dict] = []

    def poll(self) -> None:
        for master in MASTERS:
            for path in sorted((self.root / "masters" / master / "handoffs").glob("*.json")):
                try:
                    handoff = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
                if handoff.get("status", "pending") != "pending" or "subtask_id" not in handoff:
                    continue
                handoff["status"] = "processed"
                handoff["processed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                path.write_text(json.dumps(handoff, indent=2))
                self._start(handoff)

    def _start(self, handoff: dict) -> None:
        subtask_id = handoff["subtask_id"]
        attempt = int(handoff.get("attempt", 1))
        worker_id = f"worker-{master_short(handoff['to'])}-{len(self.taken) + 1:03d}"
        behaviour = self.behaviour(subtask_id, attempt)
        self.taken.append({"subtask_id": subtask_id, "attempt": attempt, "worker_id": worker_id, "behaviour": behaviour})
        self.workers.append(subprocess.Popen(
            [sys.executable, str(WORKER), str(self.root), subtask_id, worker_id, behaviour, str(self.seconds)]))

    def run_until(self, done: Callable[[], bool], timeout: float, every: float = 0.02) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            for worker in self.workers:
                worker.poll()  # reap finished workers
            if done():
                return True
            time.sleep(every)
        return False

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()


def master_short(master: str) -> str:
    return {"development": "dev", "security": "sec", "inventory": "inv", "cicd": "ci"}.get(master, master)
