"""A second fault hunt: an operator's requests, the wall clock, reloads and workers, as a hostile
environment and a careless operator would have them. Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim import SUBTASKS, Sim, task

ORCH = "orch-w"


def sid(name: str) -> str:
    return f"{ORCH}-{name}"


def started(config: dict[str, Any] | None = None) -> Sim:
    sim = Sim(config=config)
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    return sim


def escalated() -> Sim:
    """The design subtask failed three times: the orchestration waits for a person."""
    sim = started()
    for attempt in (1, 2, 3):
        sim.report(sid("design"), "fail", reason=f"boom {attempt}", worker_id=f"w{attempt}")
        sim.tick(100)
        sim.tick(100)
    assert sim.plan(ORCH)["status"] == "blocked"
    return sim


def undeletable_requests(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The requests folder is read-only to the daemon (EACCES on unlink)."""
    remove = sim.store.remove

    def refuse(path: Path) -> None:
        if path.parent == sim.layout.requests:
            raise PermissionError(13, "Permission denied", str(path))
        remove(path)

    monkeypatch.setattr(sim.store, "remove", refuse)


# --- an operator's request that cannot be removed ------------------------------------------------

def test_a_request_that_cannot_be_removed_is_carried_out_once_and_the_monitor_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sim = escalated()
    undeletable_requests(sim, monkeypatch)
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    assert sim.subtask(sid("design"))["attempt"] == 4
    sim.report(sid("design"), "start", worker_id="w4", pid=4242)  # PID 4242 is not running: dead
    for _ in range(3):
        sim.tick(10)  # used to raise PermissionError before the monitor looked at any worker
    assert sim.events("worker_dead", subtask_id=sid("design"))
    assert not sim.events("request_refused")  # used to be said again on every pass
    assert len(sim.events("write_failed", path=str(sim.layout.requests / "1-a.json"))) == 1
    assert len(sim.events("orchestration_resumed")) == 1


def test_a_request_left_in_place_never_retries_a_later_failure_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Left there (it could not be removed, then a restart), the request must not retry a subtask
    that failed again: only a person decides that."""
    sim = escalated()
    undeletable_requests(sim, monkeypatch)
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    sim.report(sid("design"), "fail", reason="still broken", worker_id="w4", transient=False)
    sim.tick(1)
    assert sim.plan(ORCH)["status"] == "blocked"
    sim = sim.restart()
    sim.tick(1)
    assert sim.plan(ORCH)["status"] == "blocked"
    assert sim.subtask(sid("design"))["attempt"] == 4
    assert len(sim.events("orchestration_resumed")) == 1
