"""Defects the soak (scripts/soak.py) found in the real daemon, each held by a test here.

1. ``queue_update_failed`` for one task was said again on every pass while the queue's lock was held:
   a 6 s hold (another process's ``flock task-queue.json.lock ...``) gave ten identical lines for one
   task in two seconds (seed 5), one per pass. A lock held for an hour by a person would have written one
   per pass per task for that hour: the condition that interop.md asks to be reported once, when it starts.
"""

from __future__ import annotations

from typing import Any

from orchestrator.store import StoreError

from sim import Sim, task

COMPLEX = "Add authentication system with security audit and docs"
HELD = "task-queue.json.lock: still held by another process after 4s"


def refuse(sim: Sim, problem: str = HELD) -> Any:
    """The queue's lock is held elsewhere: every update of the queue is refused; returns the real one."""
    update_queue = sim.store.update_queue

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise StoreError(problem)

    sim.store.update_queue = refused  # type: ignore[method-assign]
    return update_queue


def finish(sim: Sim, orchestration_id: str) -> None:
    for _ in range(12):
        if sim.plan(orchestration_id)["status"] == "completed":
            return
        sim.finish_active(orchestration_id)
        sim.tick(1)
    raise AssertionError(sim.plan(orchestration_id)["status"])


def test_a_queue_update_refused_while_the_lock_is_held_is_said_once_not_on_every_pass() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("a", COMPLEX))
    sim.run("queue")
    update_queue = refuse(sim)
    finish(sim, "orch-a")  # the plan is over; its queue task cannot say so while the lock is held
    for _ in range(6):
        sim.tick(1)
    assert sim.queue_task("a")["status"] == "orchestrating"
    assert len(sim.events("queue_update_failed", task_id="a")) == 1
    sim.store.update_queue = update_queue  # type: ignore[method-assign]
    sim.tick(1)
    assert sim.queue_task("a")["status"] == "completed"  # still retried on every pass, only not said again
    assert len(sim.events("queue_update_failed", task_id="a")) == 1


def test_another_cause_or_another_task_is_said_and_a_refusal_after_a_success_is_said_again() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("a", COMPLEX), task("b", COMPLEX.replace("docs", "a runbook")))
    sim.run("queue")
    update_queue = refuse(sim)
    finish(sim, "orch-a")
    sim.tick(1)
    refuse(sim, "task-queue.json: No space left on device")
    sim.tick(1)
    assert [e["problem"] for e in sim.events("queue_update_failed", task_id="a")] == \
        [HELD, "task-queue.json: No space left on device"]
    finish(sim, "orch-b")
    sim.tick(1)
    assert len(sim.events("queue_update_failed", task_id="b")) == 1  # its own, though a's cause is the same
    sim.store.update_queue = update_queue  # type: ignore[method-assign]
    sim.tick(1)
    assert sim.queue_task("b")["status"] == "completed"
