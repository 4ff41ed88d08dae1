"""Coordination folders for the web view, made by the real core (no daemon process, no sleeping):
the screenshot in the README and the browser tests start from these.

``Scene`` runs passes of :class:`orchestrator.core.Core` over a real folder and reports as a
worker would (``orchestrator subtask ...`` does the same edit), so every file is what the
daemon and its workers would have written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from filelock import FileLock

from orchestrator import protocol
from orchestrator.config import Config, Settings
from orchestrator.core import FULL, Core
from orchestrator.store import FolderStore, Layout
from orchestrator.timestamps import now_iso

AUTH = "Add authentication system with security audit and docs"


class Scene:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.layout = Layout(root)
        if not self.layout.queue.exists():
            self.layout.queue.write_text('{"tasks": []}\n')
        self.store = FolderStore(self.layout, Settings(Config()))
        self.core = Core(self.store, Settings(Config()))
        self.core.start(pid=os.getpid())
        self.core.run_pass(FULL)

    def submit(self, task_id: str, title: str, **fields: Any) -> None:
        task = {"id": task_id, "title": title, "status": "pending", "priority": "medium", "created_at": now_iso(),
                "created_by": "web-scene", **fields}

        def add(snapshot: Any) -> bool:
            snapshot.document["tasks"].append(task)
            return True

        self.store.update_queue(add)

    def report(self, subtask_id: str, action: protocol.Action, **details: Any) -> None:
        problem: list[str] = []

        def change(data: dict[str, Any]) -> None:
            found = protocol.apply(data, action, now_iso(), **details)
            if found:
                problem.append(found)

        self.store.update_json(self.layout.subtask(subtask_id), change)
        if problem:
            raise ValueError(f"{subtask_id}: {problem[0]}")

    def step(self) -> None:
        """One pass of the daemon: it acts on everything reported so far."""
        self.core.run_pass(FULL)

    def subtasks(self, orchestration_id: str) -> list[str]:
        plan = json.loads(self.layout.plan(orchestration_id).read_text())
        return [s["subtask_id"] for s in plan["subtasks"]]

    def hold_daemon_lock(self) -> FileLock:
        """While this scene plays the daemon, the page says a daemon runs (it does: in this process)."""
        lock = FileLock(str(self.layout.daemon_lock), timeout=0, preserve_lock_file=True)
        lock.acquire()
        return lock


def auth_midway(root: Path) -> Scene:
    """The seed's authentication example with stage 1 done and stage 2 running; beside it a routed
    simple task, a task just submitted, and an orchestration escalated after a permanent failure."""
    scene = Scene(root)
    scene.submit("task-auth", AUTH, priority="high")
    scene.submit("task-billing", "Migrate the billing service to the new database, then update its docs and dashboards",
                 orchestration_required=True)
    scene.step()
    auth = scene.subtasks("orch-task-auth")
    scene.report(auth[0], "start", worker_id="dev-worker-7", pid=None)
    scene.report(auth[0], "complete", result="architecture decided: session tokens, argon2 hashes")
    billing = scene.subtasks("orch-task-billing")
    scene.report(billing[0], "start", worker_id="dev-worker-3")
    scene.report(billing[0], "fail", reason="the billing database is not reachable from the workers' network",
                 transient=False)
    scene.step()
    scene.report(auth[1], "start", worker_id="dev-worker-8")
    scene.report(auth[1], "heartbeat", progress="login and logout endpoints done; writing token refresh")
    scene.report(auth[2], "start", worker_id="dev-worker-9")
    scene.submit("task-rollback", "Roll back the production deploy of api-gateway", priority="critical")
    scene.step()
    scene.submit("task-inventory", "List the repositories that still use Python 3.9")
    return scene
