"""Defects the soak (scripts/soak.py) found in the real daemon, each held by a test here.

1. ``queue_update_failed`` for one task was said again on every pass while the queue's lock was held:
   a 6 s hold (another process's ``flock task-queue.json.lock ...``) gave ten identical lines for one
   task in two seconds (seed 5), one per pass. A lock held for an hour by a person would have written one
   per pass per task for that hour: the condition that interop.md asks to be reported once, when it starts.
2. A plan's outcome put back in the queue (an unlocked writer had written ``orchestrating`` again over a
   completed plan) that failed because the lock was held was never tried again while the queue's bytes
   stayed the same: "retried on the next tick" said the event, but only an entry that changed is looked
   at, so the task said ``orchestrating`` beside a completed plan until someone next wrote the queue. (The
   soak healed it only because its writers write every few seconds.) Also, a put-back that found the entry
   already mended said ``claim_restored`` all the same.
3. After the daemon's own write of a plan's outcome was refused (the lock held), the next read of the queue
   that looked at the task said ``claim_restored``, "a writer overwrote the queue without the lock": a
   warning blaming the other writers for the daemon's own unwritten outcome (seed 5, ed-9-3).
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


def taken(*tasks: dict[str, Any]) -> Sim:
    """A daemon that has taken these tasks (planned or routed)."""
    sim = Sim()
    sim.start()
    sim.submit(*tasks)
    sim.run("queue")
    return sim


def test_a_queue_update_refused_while_the_lock_is_held_is_said_once_not_on_every_pass() -> None:
    sim = taken(task("a", COMPLEX))
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
    refuse(sim)  # a later failure of the same kind is a new one: said
    assert not sim.core.engine.set_task("a", None, note="later")
    sim.run()
    assert len(sim.events("queue_update_failed", task_id="a")) == 2


def test_another_cause_or_another_task_is_said_and_a_refusal_after_a_success_is_said_again() -> None:
    sim = taken(task("a", COMPLEX), task("b", COMPLEX.replace("docs", "a runbook")))
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


def test_a_task_whose_update_succeeded_in_between_is_said_again_when_it_fails_again() -> None:
    """Once per failure, not once for good: the memory of a task's refusal ends with its next success."""
    sim = taken(task("a", "Fix bug in api/users.py line 42"))
    engine = sim.core.engine
    update_queue = refuse(sim)
    assert not engine.set_task("a", None, note="1") and not engine.set_task("a", None, note="2")
    sim.store.update_queue = update_queue  # type: ignore[method-assign]
    assert engine.set_task("a", None, note="3")
    refuse(sim)
    assert not engine.set_task("a", None, note="4")
    sim.run()  # the events wait for a pass's end
    assert [e["problem"] for e in sim.events("queue_update_failed", task_id="a")] == [HELD, HELD]


def test_an_outcome_put_back_while_the_lock_is_held_is_said_once_and_again_after_it_was_put_back() -> None:
    """The other way a plan's outcome is written: a writer without the lock put the task back as
    ``orchestrating`` after the plan ended, and the daemon puts the outcome back (claim_restored)."""
    sim = taken(task("a", COMPLEX))
    finish(sim, "orch-a")
    sim.tick(1)
    assert sim.queue_task("a")["status"] == "completed"
    update_queue = refuse(sim)
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["status"] = "orchestrating"  # an old copy written back without the lock
    sim.store.put(sim.layout.queue, queue)
    for _ in range(4):
        sim.tick(1)
    assert len(sim.events("queue_update_failed", task_id="a")) == 1
    sim.store.update_queue = update_queue  # type: ignore[method-assign]
    sim.tick(1)
    assert sim.queue_task("a")["status"] == "completed"
    assert len(sim.events("claim_restored", task_id="a")) == 1  # a writer did put the old status back
    refuse(sim)
    assert not sim.core.engine.set_task("a", None, note="later")
    sim.run()
    assert len(sim.events("queue_update_failed", task_id="a")) == 2


def test_an_outcome_someone_else_put_back_meanwhile_is_not_claimed_as_restored() -> None:
    """The near case: the entry the daemon could not put back was mended meanwhile by the writer itself;
    nothing is written and no ``claim_restored`` says otherwise."""
    sim = taken(task("a", COMPLEX))
    finish(sim, "orch-a")
    sim.tick(1)
    update_queue = refuse(sim)
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["status"] = "orchestrating"
    sim.store.put(sim.layout.queue, queue)
    sim.tick(1)
    queue["tasks"][0]["status"] = "completed"  # the writer saw its mistake and wrote it back, again without the lock
    sim.store.put(sim.layout.queue, queue)
    sim.store.update_queue = update_queue  # type: ignore[method-assign]
    sim.tick(1)
    assert sim.queue_task("a")["status"] == "completed"
    assert sim.events("claim_restored", task_id="a") == []


def test_our_own_outcome_write_refused_is_not_blamed_on_another_writer() -> None:
    sim = taken(task("a", COMPLEX))
    update_queue = refuse(sim)
    finish(sim, "orch-a")  # the outcome cannot be written: the queue still says orchestrating, as we left it
    sim.tick(1)
    sim.store.update_queue = update_queue  # type: ignore[method-assign]
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["note"] = "a person's note"  # a change that makes the next read look at the task
    sim.store.put(sim.layout.queue, queue)
    sim.run("queue")
    sim.tick(1)
    assert sim.queue_task("a")["status"] == "completed"
    assert sim.events("claim_restored", task_id="a") == []
