"""The reconciled core, in-process: what each pass reads, decides, writes and announces.

No disk, no sleeping: a MemoryStore, a FakeClock and a fake process table (the one thread is the
core's own, drafting plans while a claim is written; a pass waits for it).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Config
from orchestrator.store import Crash, LockTimeout, MemoryStore

from sim import SUBTASKS, FakeProcesses, Sim, task

ORCH = "orch-w"


def local(subtask_id: str) -> str:
    return subtask_id.removeprefix(f"{ORCH}-")


def started(config: dict[str, Any] | None = None) -> Sim:
    sim = Sim(config=config)
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    return sim


def sid(name: str) -> str:
    return f"{ORCH}-{name}"


def test_a_complex_task_is_planned_in_one_pass_and_its_plan_written_once() -> None:
    sim = Sim()
    sim.start()
    sim.store.written.clear()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    plan = sim.plan(ORCH)
    assert plan["status"] == "in_progress"
    assert sim.queue_task("w")["status"] == "orchestrating"
    assert sorted(local(s["subtask_id"]) for s in plan["subtasks"]) == ["audit", "backend", "design", "frontend"]
    for subtask in plan["subtasks"]:  # every subtask file, stage 1 already assigned
        assert sim.subtask(subtask["subtask_id"])["status"] == ("assigned" if subtask["stage"] == 1 else "pending")
    assert [p.name for p in sim.handoffs()] == [f"to-development-subtask-{sid('design')}.json"]
    # queue claim, plan, 4 subtask files, 1 handoff, state file, events and the mark of their append: each
    # written once
    assert set(sim.store.written.values()) == {1} and len(sim.store.written) == 10
    assert len(sim.events("orchestration_started")) == 1
    assert [e["event_id"] for e in sim.events("stage_started")] == [f"{ORCH}:stage:1:started"]


def test_events_come_after_the_plan_that_says_so() -> None:
    """The events file never says more than the plan: each event is in the plan's outbox first."""
    sim = started()
    sim.finish_active(ORCH)
    sim.run(("subtask", sid("design")))
    plan = sim.plan(ORCH)
    assert [e["type"] for e in plan["outbox"]][:2] == ["subtask_started", "subtask_completed"]
    assert {e["event_id"] for e in plan["outbox"]} <= {e.get("event_id") for e in sim.events()}


def test_a_failure_reported_while_the_daemon_was_down_is_acted_on_at_start() -> None:
    """Regression: the restart adopted the file's `failed` and never retried nor reported it."""
    sim = started()
    sim.report(sid("design"), "fail", reason="boom", worker_id="w1")
    sim = sim.restart()
    failed = sim.events("subtask_failed", subtask_id=sid("design"))
    assert len(failed) == 1 and failed[0]["reason"] == "boom"
    assert sim.subtask(sid("design"))["status"] == "retry_wait"
    sim.tick(60)
    assert sim.subtask(sid("design"))["attempt"] == 2
    assert len(sim.events("handoff_created", subtask_id=sid("design"))) == 2


def test_a_completion_reported_while_the_daemon_was_down_is_announced_once_at_start() -> None:
    """Regression: the completion was adopted but no subtask_completed was ever written."""
    sim = started()
    sim.finish_active(ORCH)
    sim = sim.restart()
    assert len(sim.events("subtask_completed", subtask_id=sid("design"))) == 1
    assert sorted(local(s) for s in sim.active(ORCH)) == ["backend", "frontend"]
    sim = sim.restart()
    assert len(sim.events("subtask_completed", subtask_id=sid("design"))) == 1


def test_with_every_file_event_lost_the_tick_sees_a_completion_before_the_worker_is_dead() -> None:
    """Regression: a completed subtask whose event was lost was declared dead and handed off again."""
    sim = started()
    sim.report(sid("design"), "start", worker_id="w1", pid=4242)
    sim.processes.states[4242] = "running"
    sim.run(("subtask", sid("design")))
    sim.report(sid("design"), "complete", result="designed")
    sim.processes.states[4242] = "gone"  # the worker exits after reporting; no file event arrives
    sim.tick(1)
    assert sim.events("subtask_completed", subtask_id=sid("design"))
    assert not sim.events("worker_dead") and not sim.events("subtask_failed")
    assert sim.subtask(sid("design"))["attempt"] == 1


def test_a_missing_subtask_file_is_written_again_from_the_plan() -> None:
    """A folder re-created from an old copy, or a cleanup, does not lose a subtask."""
    sim = started()
    del sim.store.files[sim.layout.subtask(sid("backend"))]
    del sim.store.files[sim.layout.subtask(sid("design"))]
    sim.tick(1)
    assert sim.subtask(sid("backend"))["status"] == "pending"
    assert sim.subtask(sid("design"))["status"] == "assigned"


def stubborn_worker() -> Sim:
    """The design's worker (PID 77) runs and ignores SIGTERM; a zombie after 100 quiet seconds."""
    sim = started({"retry": {"terminate_grace_seconds": 5, "backoff_base_seconds": 10, "jitter": 0},
                   "monitor": {"zombie_timeout_seconds": 100, "heartbeat_timeout_seconds": 50}})
    sim.processes.states[77] = "running"
    sim.processes.ignore_term.add(77)
    sim.report(sid("design"), "start", worker_id="w1", pid=77)
    sim.run(("subtask", sid("design")))
    return sim


def test_a_worker_that_ignores_sigterm_does_not_block_the_pass_and_is_killed_after_the_grace() -> None:
    sim = stubborn_worker()
    sim.tick(150)  # quiet for longer than the zombie timeout
    assert sim.events("zombie_detected")
    assert sim.processes.signals == [(77, 15)]
    assert not sim.events("worker_terminated")
    sim.tick(2)
    assert sim.processes.signals == [(77, 15)]  # still within the grace period
    sim.tick(4)
    assert sim.processes.signals == [(77, 15), (77, 9)]
    sim.tick(1)
    assert sim.events("worker_terminated")[0]["how"] == "killed"
    assert sim.events("worker_terminated")[0]["orchestration_id"] == ORCH


def test_a_retry_waits_until_the_old_worker_is_gone() -> None:
    """Never two attempts at once: a backoff shorter than the grace period waits for the SIGKILL."""
    config = {"retry": {"terminate_grace_seconds": 30, "backoff_base_seconds": 1, "jitter": 0}}
    sim = started(config)
    sim.processes.states[79] = "running"
    sim.processes.ignore_term.add(79)
    sim.report(sid("design"), "start", worker_id="w1", pid=79)
    sim.report(sid("design"), "fail", reason="x", worker_id="w1")
    sim.tick(1)
    sim.tick(5)  # the backoff is over, the old worker still runs
    assert sim.subtask(sid("design"))["attempt"] == 1
    sim.tick(30)  # SIGKILL
    sim.tick(1)
    assert sim.subtask(sid("design"))["attempt"] == 2


def test_an_exited_worker_that_is_nobodys_child_counts_as_stopped() -> None:
    sim = started({"monitor": {"zombie_timeout_seconds": 100}})
    sim.processes.states[78] = "running"
    sim.processes.ignore_term.add(78)
    sim.report(sid("design"), "start", worker_id="w1", pid=78)
    sim.tick(150)
    sim.processes.states[78] = "zombie"  # exited, unreaped by its parent
    sim.tick(1)
    assert sim.events("worker_terminated")[0]["how"] == "terminated"
    assert (78, 9) not in sim.processes.signals


def test_a_report_on_an_attempt_nobody_started_must_name_its_worker() -> None:
    sim = started()
    assert "--worker-id" in (sim.report(sid("design"), "complete", result="done") or "")
    assert sim.subtask(sid("design"))["status"] == "assigned"
    assert sim.report(sid("design"), "complete", result="done", worker_id="w1") is None


def test_a_retry_waits_for_its_backoff() -> None:
    sim = started()
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.run(("subtask", sid("design")))
    retry_at = sim.subtask(sid("design"))["retry_at"]
    assert retry_at == "2025-11-05T18:00:10.000Z"
    sim.tick(9.9)
    assert sim.subtask(sid("design"))["attempt"] == 1
    sim.tick(0.2)
    assert sim.subtask(sid("design"))["attempt"] == 2
    assert sim.subtask(sid("design"))["status"] == "assigned"


def test_a_pass_that_only_takes_new_tasks_leaves_the_retry_timer_and_the_pidfds_alone() -> None:
    """The daemon keeps its timer when a pass says it did not look (a new task between a failure
    and its retry must not cancel the retry); any other pass says when the next retry is due."""
    sim = started()
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    failed = sim.run(("subtask", sid("design")))
    assert failed.retries_checked and failed.next_retry == 10.0 and failed.watch == {}
    sim.submit(task("t-new", "Fix bug in api/users.py line 42"))
    taken = sim.run("queue")
    assert sim.queue_task("t-new")["status"] == "assigned"
    assert not taken.retries_checked and taken.watch is None
    sim.clock.advance(10.1)
    assert sim.run("retries").retries_checked and sim.subtask(sid("design"))["attempt"] == 2


def test_three_failures_escalate_once_and_a_retry_resumes() -> None:
    sim = started()
    for attempt in (1, 2, 3):
        assert sim.report(sid("design"), "fail", reason=f"boom {attempt}", worker_id=f"w{attempt}") is None
        sim.tick(100)  # the failure is seen
        sim.tick(100)  # the retry's backoff is over
    assert sim.plan(ORCH)["status"] == "blocked"
    assert sim.queue_task("w")["status"] == "blocked"
    escalation = sim.store.get(sim.layout.escalation(ORCH))
    assert escalation["blocking_subtask"] == sid("design") and len(escalation["attempts"]) == 3
    assert len(sim.events("orchestration_blocked")) == 1
    sim.tick(100)
    assert len(sim.events("orchestration_blocked")) == 1  # a condition is announced once
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    assert sim.plan(ORCH)["status"] == "in_progress"
    assert sim.queue_task("w")["status"] == "orchestrating"
    assert sim.subtask(sid("design"))["attempt"] == 4


def test_superseded_handoffs_are_withdrawn_and_each_attempt_has_its_own_id() -> None:
    sim = started()
    first = sim.layout.subtask_handoff("development", sid("design"))
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(1)
    sim.tick(60)
    second = sim.layout.subtask_handoff("development", sid("design"), 2)
    assert sim.store.get(first)["status"] == "cancelled"
    assert sim.store.get(first)["cancelled_reason"] == "attempt 1 ended"  # at its failure, before the retry
    assert sim.store.get(second)["status"] == "pending"
    assert sim.store.get(first)["handoff_id"] != sim.store.get(second)["handoff_id"]
    sim.store.put(sim.layout.requests / "1-b.json", {"orchestration_id": ORCH, "action": "abort"})
    sim.run("requests")
    assert sim.store.get(second)["status"] == "cancelled"
    assert sim.queue_task("w")["status"] == "cancelled"
    assert len(sim.events("handoff_withdrawn")) == 2


def test_a_handoff_the_consumer_took_is_not_withdrawn() -> None:
    sim = started()
    first = sim.layout.subtask_handoff("development", sid("design"))
    sim.store.put(first, sim.store.get(first) | {"status": "processed"})
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(1)
    sim.tick(60)
    assert sim.store.get(first)["status"] == "processed"
    assert not sim.events("handoff_withdrawn")


def test_a_later_stage_handoff_carries_the_request_and_what_came_before() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", description="Build the widget service for the billing team.", subtasks=SUBTASKS))
    sim.run("queue")
    sim.report(sid("design"), "start", worker_id="w1")
    sim.report(sid("design"), "complete", result="Design in docs/widget.md: REST, Postgres, JWT.")
    sim.run(("subtask", sid("design")))
    backend = sim.store.get(sim.layout.subtask_handoff("development", sid("backend")))
    text = backend["task"]["description"]
    assert "Build the widget service for the billing team." in text  # the whole request
    assert "Design in docs/widget.md: REST, Postgres, JWT." in text  # what the design produced
    assert "Success criteria:" in text


def test_a_handoff_a_master_already_took_is_never_written_again() -> None:
    sim = started()
    path = sim.handoffs()[0]
    sim.store.put(path, sim.store.get(path) | {"status": "processed"})
    plan = sim.plan(ORCH)
    # as after a crash between the plan and its events: the outbox is redone at start (neither the events
    # nor the mark of their append were written)
    sim.store.files[sim.layout.events] = b""
    del sim.store.files[sim.layout.events_mark]
    sim = sim.restart()
    assert sim.store.get(path)["status"] == "processed"
    assert sim.plan(ORCH)["outbox"] == plan["outbox"] or True
    assert len(sim.events("handoff_created", subtask_id=sid("design"))) == 1


def test_a_condition_is_announced_when_it_starts_not_on_every_tick() -> None:
    sim = started({"monitor": {"heartbeat_timeout_seconds": 30, "zombie_timeout_seconds": 1000}})
    sim.report(sid("design"), "start", worker_id="w1")
    for _ in range(5):
        sim.tick(40)
    assert len(sim.events("worker_heartbeat_stale")) == 1


def test_a_condition_is_announced_once_while_the_rest_of_its_plan_moves_on() -> None:
    """The plan is written on every tick here (the other subtask reports): the condition still is not repeated."""
    sim = Sim(config={"monitor": {"heartbeat_timeout_seconds": 30, "zombie_timeout_seconds": 1000,
                                  "never_started_timeout_seconds": 1000}})
    sim.start()
    sim.submit(task("p", "Three widgets", subtasks=[{"id": name, "title": f"Build the {name} widget"}
                                                    for name in ("first", "second", "third")]))
    sim.run("queue")
    sim.report("orch-p-first", "start", worker_id="w1")  # and then nothing more
    sim.report("orch-p-second", "start", worker_id="w2")
    for step in range(6):
        sim.tick(20)
        sim.report("orch-p-second", "heartbeat", progress=f"step {step}")
    assert [e["subtask_id"] for e in sim.events("worker_heartbeat_stale")] == ["orch-p-first"]


def test_the_heartbeat_timeout_is_exceeded_only_past_it() -> None:
    sim = started({"monitor": {"heartbeat_timeout_seconds": 30, "zombie_timeout_seconds": 1000}})
    sim.report(sid("design"), "start", worker_id="w1")
    sim.tick(30)
    assert not sim.events("worker_heartbeat_stale")
    sim.tick(0.001)
    assert sim.events("worker_heartbeat_stale")


def test_a_queue_replaced_during_our_write_is_read_again_and_its_task_kept() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("a", "Fix bug in app/main.py line 3"))
    original = sim.store._replace_if_unchanged
    interfered: list[bool] = []

    def writer_gets_in_first(path: Any, data: bytes, expected: Any) -> Any:
        if not interfered:
            interfered.append(True)
            sim.submit(task("b", "Fix bug in app/other.py line 4"))  # an unlocked writer
        return original(path, data, expected)

    sim.store._replace_if_unchanged = writer_gets_in_first  # type: ignore[method-assign]
    result = sim.run("queue")
    ids = [t["id"] for t in sim.store.get(sim.layout.queue)["tasks"]]
    assert ids == ["a", "b"]
    assert sim.queue_task("a")["status"] == "assigned"
    assert result.again  # b came in under the pass: another pass now, not at the next change
    sim.run("queue")
    assert sim.queue_task("b")["status"] == "assigned"



def test_a_routed_task_asks_for_no_second_pass() -> None:
    """Regression: ``simple ids | complex ids - claimed`` read as ``simple | (complex - claimed)``, so
    every pass that routed a task took it as lost under its claim: another pass at once, and the
    queue it had just written read again."""
    sim = Sim()
    sim.start()
    sim.submit(task("a", "Fix bug in app/main.py line 3"), task("c", "Add authentication system with security audit and docs"))
    result = sim.run("queue")
    assert sim.queue_task("a")["status"] == "assigned"
    assert not result.again
    reads: list[bool] = []
    original = sim.store.read_queue
    sim.store.read_queue = lambda: reads.append(True) or original()  # type: ignore[method-assign]
    sim.run("queue")  # our own write coming back
    assert reads == []
def test_a_reload_applies_every_key_at_once() -> None:
    """Regression: the lock timeout and the workspace folder kept their old values after SIGHUP."""
    sim = Sim(config={})
    sim.start()
    new = Config.model_validate({"watch": {"lock_timeout_seconds": 2.5}, "monitor": {"workspace_dir": "/srv/ws"}})
    sim.core.reconfigure(new, "config.toml")
    assert sim.store.lock_timeout() == 2.5
    assert str(sim.core.supervisor.workers.workspace) == "/srv/ws"
    reloaded = sim.events("config_reloaded")[0]
    assert reloaded["changed"] == ["watch.lock_timeout_seconds", "monitor.workspace_dir"]


# --- every crash point ------------------------------------------------------------------------


def whole_run(sim: Sim, *, budget: int = 60) -> Sim:
    """Drive an orchestration to its end: stage by stage, the backend failing once."""
    for _ in range(budget):
        plan = sim.store.get(sim.layout.plan(ORCH)) if sim.store.exists(sim.layout.plan(ORCH)) else None
        if plan is not None and plan["status"] == "completed":
            return sim
        if plan:
            sim.work_assigned(ORCH, lambda subtask_id, data: "backend" in subtask_id and data["attempt"] == 1,
                              reason="transient")
        sim.tick(30)
    raise AssertionError("the orchestration did not finish")


def fresh() -> Sim:
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS), task("s", "Fix bug in app/main.py line 3"))
    return sim


def test_the_whole_run_without_a_crash() -> None:
    sim = whole_run(fresh())
    assert len(sim.events("orchestration_completed")) == 1


def count_writes() -> int:
    sim = fresh()
    before = sim.store.writes
    whole_run(sim)
    return sim.store.writes - before


@pytest.mark.parametrize("crash_at", range(1, count_writes() + 1))
def test_a_crash_before_any_write_is_recovered_without_losing_or_doubling_anything(crash_at: int) -> None:
    sim = fresh()
    sim.store.crash_at = sim.store.writes + crash_at
    with pytest.raises(Crash):
        whole_run(sim)
    sim = whole_run(sim.restart())
    events = sim.events()
    keyed = Counter(e["event_id"] for e in events if "event_id" in e)
    assert [k for k, n in keyed.items() if n > 1] == []
    for key in [f"{ORCH}:started", f"{ORCH}:completed", "s:assigned", "s:handoff",
                *(f"{ORCH}:stage:{n}:{what}" for n in (1, 2, 3) for what in ("started", "completed")),
                *(f"{ORCH}:{sid(name)}:1:completed" for name in ("design", "frontend", "audit")),
                f"{ORCH}:{sid('backend')}:1:failed", f"{ORCH}:{sid('backend')}:2:completed"]:
        assert keyed[key] == 1, key
    plan = sim.plan(ORCH)
    assert plan["status"] == "completed"
    assert sim.queue_task("w")["status"] == "completed" and sim.queue_task("s")["status"] == "assigned"
    assert sim.store.exists(sim.layout.report(ORCH, ".md"))
    for subtask in plan["subtasks"]:
        assert sim.subtask(subtask["subtask_id"])["status"] == "completed"
    handoffs = Counter(p.name for p in sim.handoffs())
    assert len(handoffs) == 6  # 4 subtasks, the backend twice, and the simple task


def test_memory_store_crash_is_not_an_exception_the_core_can_swallow() -> None:
    store = MemoryStore()
    store.crash_at = 1
    with pytest.raises(Crash):
        store.write_json(store.layout.queue, {})
    assert not issubclass(Crash, Exception)


def test_a_second_process_sees_the_same_files() -> None:
    sim = started()
    clone = sim.store.copy()
    assert clone.files == sim.store.files and clone is not sim.store
    assert FakeProcesses().state(1, None) == "gone"


# --- found by an adversarial review ------------------------------------------------------------


class HeldStore(MemoryStore):
    """Another process holds the locks of these paths past the lock timeout."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.held: set[Path] = set()

    @contextmanager
    def locked(self, path: Path, *, wait: bool = True) -> Iterator[None]:
        if path in self.held:
            raise LockTimeout(f"{path}.lock: still held by another process after 10s")
        yield

    def copy(self) -> HeldStore:
        """A restarted process finds the same files, and the same locks held."""
        clone = HeldStore(self.layout, self.files, self.settings)
        clone.mtimes, clone.held = dict(self.mtimes), set(self.held)
        return clone


def test_a_subtask_file_locked_past_the_timeout_is_said_as_a_wait_and_written_once_free() -> None:
    """Not "invalid": the file is fine and will be written; its stage's other handoffs are not held up."""
    sim = Sim(store=HeldStore())
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    store = sim.store
    assert isinstance(store, HeldStore)
    backend = sim.layout.subtask(sid("backend"))
    store.held.add(backend)
    sim.report(sid("design"), "start", worker_id="w1")
    sim.report(sid("design"), "complete", result="designed", worker_id="w1")
    sim.run(("subtask", sid("design")))
    assert sim.store.exists(sim.layout.subtask_handoff("development", sid("frontend")))
    assert not sim.events("subtask_invalid")
    [waited] = sim.events("write_failed", subtask_id=sid("backend"))
    assert "still held" in waited["problem"] and "lock is free" in waited["action"]
    sim.tick(1)
    assert len(sim.events("write_failed", subtask_id=sid("backend"))) == 1  # once, not per pass
    store.held.clear()
    sim.tick(1)
    assert sim.subtask(sid("backend"))["status"] == "assigned"


def backend_lock_held() -> tuple[Sim, Path]:
    """The widget planned; another process holds its backend subtask file's lock as design completes (the daemon
    writes the next stage's files then): a lock wait, said once. The sim and the held file."""
    sim = Sim(store=HeldStore())
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    assert isinstance(sim.store, HeldStore)
    backend = sim.layout.subtask(sid("backend"))
    sim.store.held.add(backend)
    sim.report(sid("design"), "start", worker_id="w1")
    sim.report(sid("design"), "complete", result="designed", worker_id="w1")
    sim.run(("subtask", sid("design")))
    return sim, backend


def test_a_lock_wait_is_said_once_across_restarts_and_once_more_when_it_clears() -> None:
    """ops22: the "already said" mark lived in memory, so every restart said the same wait again. The events
    file is the truth: a wait it says and no ``write_recovered`` closes is not said again; once the write
    lands, one ``write_recovered``; a later wait on the same file is a new fault, said again."""
    sim, backend = backend_lock_held()
    assert len(sim.events("write_failed", subtask_id=sid("backend"))) == 1
    for _ in range(2):  # restarted while the lock is still held: the same fault, not said again
        sim = sim.restart()
        assert isinstance(sim.store, HeldStore)
        sim.tick(1)
        assert len(sim.events("write_failed", subtask_id=sid("backend"))) == 1
        assert not sim.events("write_recovered")
    sim.store.held.clear()
    sim.tick(1)
    assert sim.subtask(sid("backend"))["status"] == "assigned"
    [cleared] = sim.events("write_recovered", subtask_id=sid("backend"))
    assert cleared["path"] == str(backend)
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("write_recovered")) == 1 and len(sim.events("write_failed")) == 1
    sim.report(sid("backend"), "fail", reason="x", worker_id="w2")
    sim.store.held.add(backend)  # a new wait on the same file (the retry's write): a new fault, said
    sim.tick(1)
    sim.tick(60)
    assert [e["event_id"] for e in sim.events("write_failed")] == [f"{ORCH}:lock_wait:{sid('backend')}:1",
                                                                   f"{ORCH}:lock_wait:{sid('backend')}:2"]


def test_a_lock_freed_while_the_daemon_was_down_is_said_cleared_at_the_next_start() -> None:
    """The opposite of the above: the wait was said, the daemon stopped, the holder let go; the next start writes
    the file and says the wait is over, once (its memory of the wait is gone: the events file says it)."""
    sim = Sim(store=HeldStore())
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    assert isinstance(sim.store, HeldStore)
    sim.store.held.add(sim.layout.subtask(sid("backend")))
    sim.report(sid("design"), "start", worker_id="w1")
    sim.report(sid("design"), "complete", result="designed", worker_id="w1")
    sim.run(("subtask", sid("design")))
    sim.store.held.clear()
    sim = sim.restart()
    sim.tick(1)
    assert sim.subtask(sid("backend"))["status"] == "assigned"
    assert len(sim.events("write_failed")) == 1 and len(sim.events("write_recovered")) == 1



def test_a_wait_the_events_file_leaves_open_is_closed_by_the_next_start_that_can_write() -> None:
    """A wait said (here written into the events file as a crash would leave it), with nothing else left to redo at
    the start: the file is written again and the wait closed, not left open for good (its subtask looked at again
    on a timer, for ever)."""
    sim = started()
    wait = {"timestamp": "2025-11-05T18:00:00.000Z", "type": "write_failed", "source": "orchestrator",
            "event_id": f"{ORCH}:lock_wait:{sid('backend')}:1", "orchestration_id": ORCH, "subtask_id": sid("backend")}
    events = sim.store.files[sim.layout.events]
    sim.store.files[sim.layout.events] = events + json.dumps(wait).encode() + b"\n"
    sim = sim.restart()
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("write_recovered")] == [f"{ORCH}:lock_free:{sid('backend')}:1"]
    assert sim.core.supervisor.locked_out == []


def test_an_unreadable_later_stage_subtask_file_holds_up_nothing_else() -> None:
    sim = started()
    sim.store.put(sim.layout.subtask(sid("backend")), b"[1, 2, 3]")
    sim.report(sid("design"), "start", worker_id="w1")
    sim.report(sid("design"), "complete", result="designed", worker_id="w1")
    sim.run(("subtask", sid("design")))
    assert sim.events("stage_completed", stage=1) and sim.events("stage_started", stage=2)
    assert sim.store.exists(sim.layout.subtask_handoff("development", sid("frontend")))
    assert sim.store.files[sim.layout.subtask(sid("backend"))] == b"[1, 2, 3]"  # never rewritten
    assert len(sim.events("subtask_invalid", subtask_id=sid("backend"))) == 1
    sim.tick(1)
    assert len(sim.events("subtask_invalid", subtask_id=sid("backend"))) == 1  # once, not per pass
    sim.store.put(sim.layout.subtask(sid("backend")), {})  # put right: written from the plan again
    sim.tick(1)
    assert sim.subtask(sid("backend"))["status"] == "assigned"


def test_a_malformed_request_is_refused_removed_and_stops_nothing() -> None:
    sim = started()
    poison = sim.layout.requests / "1-poison.json"
    sim.store.put(poison, {"orchestration_id": ORCH, "action": "skip", "subtask_id": ["x"]})
    sim.run("requests")
    assert sim.events("request_invalid") and not sim.store.exists(poison)
    sim.report(sid("design"), "fail", reason="x", worker_id="w1")
    sim.tick(1)
    sim.tick(60)
    assert sim.subtask(sid("design"))["attempt"] == 2  # retries go on


def test_a_retry_of_a_subtask_whose_turn_has_not_come_is_refused() -> None:
    sim = started()
    sim.store.put(sim.layout.requests / "1-r.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("audit")})
    sim.run("requests")
    refused = sim.events("request_refused")
    assert refused and "pending" in refused[0]["problem"]
    assert not sim.events("handoff_created", subtask_id=sid("audit"))


@pytest.mark.parametrize("crash_at", range(1, 30))
def test_what_a_restart_recovers_is_announced_after_orchestrator_started_and_in_time_order(crash_at: int) -> None:
    sim = fresh()
    sim.store.crash_at = sim.store.writes + crash_at
    with pytest.raises(Crash):
        whole_run(sim)
    before = len(sim.events())
    sim.clock.advance(100)  # the daemon was down for a while
    after = sim.restart().events()[before:]
    assert after[0]["type"] == "orchestrator_started"
    stamps = [e["timestamp"] for e in after]
    assert stamps == sorted(stamps)
    for event in after:
        if event.get("recovered") and "occurred_at" in event:
            assert event["occurred_at"] < event["timestamp"]


def test_a_recovered_event_keeps_when_it_was_decided() -> None:
    sim = fresh()
    sim.store.crash_at = sim.store.writes + 5  # the plan is written, its events are not
    with pytest.raises(Crash):
        whole_run(sim)
    assert not sim.events("orchestration_started")
    decided = sim.plan(ORCH)["outbox"][0]["timestamp"]
    sim.clock.advance(100)
    sim = sim.restart()
    sim.clock.advance(100)
    sim = sim.restart()
    announced = sim.events("orchestration_started")
    assert len(announced) == 1 and announced[0]["recovered"] is True
    assert announced[0]["occurred_at"] == decided < announced[0]["timestamp"]


def test_every_event_about_a_subtask_or_a_worker_names_its_orchestration() -> None:
    """``events --orchestration X`` shows a worker's death, its stop and its retry."""
    sim = stubborn_worker()
    sim.tick(150)  # a zombie: stopped with SIGTERM, then SIGKILL
    sim.tick(6)
    sim.tick(10)  # the retry's backoff
    assert sim.subtask(sid("design"))["attempt"] == 2
    sim.processes.states[78] = "running"
    sim.report(sid("design"), "start", worker_id="w2", pid=78)
    sim.run(("subtask", sid("design")))
    sim.processes.states[78] = "gone"  # dies
    sim.tick(1)
    types = {e["type"] for e in sim.events()}
    assert {"worker_terminated", "zombie_detected", "worker_dead", "subtask_failed"} <= types
    about = [e for e in sim.events() if not e["type"].startswith("orchestrator_")
             and {"subtask_id", "worker_id", "pid"} & e.keys()]
    assert about and all(e.get("orchestration_id") == ORCH for e in about), [
        e for e in about if e.get("orchestration_id") != ORCH]


# --- a burst: several plans begun together, step by step ----------------------------------------


def burst() -> Sim:
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS), task("v", "Valve", subtasks=SUBTASKS),
               task("s", "Fix bug in app/main.py line 3"), task("r", "Rotate the API keys of the billing service"))
    return sim


def burst_writes() -> int:
    sim = burst()
    before = sim.store.writes
    sim.tick()
    return sim.store.writes - before


def test_a_burst_begins_every_plan_with_each_step_durable_before_the_next() -> None:
    sim = burst()
    sim.tick()
    for orch in ("orch-w", "orch-v"):
        plan = sim.plan(orch)
        assert plan["status"] == "in_progress"
        for subtask in plan["subtasks"]:
            assert sim.subtask(subtask["subtask_id"]) == subtask  # written once, as the plan has it
            assert sim.store.written[sim.layout.subtask(subtask["subtask_id"])] == 1
    names = sorted(p.name for p in sim.handoffs())
    assert names == sorted(["to-development-subtask-orch-w-design.json", "to-development-subtask-orch-v-design.json",
                            "s.json", "r.json"])
    # the order of the writes: both plans, then all 8 subtask files, then the 2 handoffs
    order = [str(p) for p in sim.store.written_order]
    plans = [i for i, p in enumerate(order) if "/tasks/orch-" in p]
    subtasks = [i for i, p in enumerate(order) if "/subtasks/" in p]
    handoffs = [i for i, p in enumerate(order) if "to-development-subtask" in p]
    assert max(plans) < min(subtasks) and max(subtasks) < min(handoffs)


@pytest.mark.parametrize("crash_at", range(1, burst_writes() + 1))
def test_a_crash_anywhere_in_a_burst_is_recovered_without_losing_or_doubling_anything(crash_at: int) -> None:
    sim = burst()
    sim.store.crash_at = sim.store.writes + crash_at
    with pytest.raises(Crash):
        sim.tick()
    sim = sim.restart()
    sim.tick()
    keyed = sim.event_ids()
    assert [k for k, n in keyed.items() if n > 1] == []
    assert_burst_began_once(sim, keyed)
    assert {sim.queue_task(t)["status"] for t in ("s", "r")} == {"assigned"}


def assert_burst_began_once(sim: Sim, keyed: Counter[str]) -> None:
    """:func:`burst`'s two plans each started and handed off once, in progress, their subtask files
    as the plans have them; four handoffs in all (two simple tasks', two plans' stage 1)."""
    for orch in ("orch-w", "orch-v"):
        assert keyed[f"{orch}:started"] == 1 and keyed[f"{orch}:handoff:{orch}-design:1"] == 1
        plan = sim.plan(orch)
        assert plan["status"] == "in_progress"
        for subtask in plan["subtasks"]:
            assert sim.subtask(subtask["subtask_id"])["status"] == subtask["status"]
    assert len(sim.handoffs()) == 4


def test_warming_up_decides_and_plans_sample_tasks_but_writes_and_announces_nothing() -> None:
    from orchestrator import core as core_module
    from orchestrator.learned import builtin_model

    sim = Sim()
    sim.start()
    writes, events = sim.store.writes, len(sim.events())
    decided: list[str] = []
    classify = sim.core.engine.classifier.classify

    def counted(task: Any) -> Any:
        decision = classify(task)
        decided.append(decision.decision)
        return decision

    sim.core.engine.classifier.classify = counted  # type: ignore[method-assign]
    sim.core.warm_up()
    assert sorted(decided) == ["complex", "simple"]  # what the samples are meant to be: both paths warmed
    assert len(core_module.WARM_UP) == 2
    assert sim.store.writes == writes and len(sim.events()) == events
    assert builtin_model.cache_info().currsize == 1  # trained, once per process


def test_a_daemon_whose_warm_up_fails_starts_all_the_same(tmp_path: Any) -> None:
    import structlog

    from orchestrator.config import Config
    from orchestrator.daemon import Daemon

    root = tmp_path / "coordination"
    root.mkdir()
    daemon = Daemon(root, Config())

    def broken() -> None:
        raise RuntimeError("no model today")

    daemon.core.warm_up = broken  # type: ignore[method-assign]
    with structlog.testing.capture_logs() as logged:
        daemon._warm_up()
    assert [(e["event"], e["problem"]) for e in logged] == [("warm_up_failed", "RuntimeError: no model today")]


def test_giving_back_freed_memory_needs_no_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes

    from orchestrator import daemon

    asked: list[str] = []

    class Musl:
        def __getattr__(self, name: str) -> Any:
            asked.append(name)
            raise AttributeError(name)  # no malloc_trim in this C library

    monkeypatch.setattr(ctypes, "CDLL", lambda _: Musl())
    daemon.give_back_freed_memory()  # nothing raised: the pages stay with the process
    assert asked == ["malloc_trim"]


def test_the_daemon_asks_for_one_heap_before_its_threads_and_needs_no_glibc(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """One malloc arena for every thread (the idle daemon's memory); a C library without mallopt is no error."""
    import ctypes

    from orchestrator import daemon

    asked: list[tuple[str, tuple[int, ...]]] = []

    class Glibc:
        def __getattr__(self, name: str) -> Any:
            return lambda *args: asked.append((name, args))

    class Musl:
        def __getattr__(self, name: str) -> Any:
            raise AttributeError(name)

    monkeypatch.setattr(ctypes, "CDLL", lambda _: Glibc())
    daemon.one_heap()
    assert asked == [("mallopt", (daemon.M_ARENA_MAX, 1))] and daemon.M_ARENA_MAX == -8
    monkeypatch.setattr(ctypes, "CDLL", lambda _: Musl())
    daemon.one_heap()  # nothing raised

    order: list[str] = []

    class Started:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            order.append("daemon")

        async def run(self) -> int:
            return 0

    monkeypatch.setattr(daemon, "one_heap", lambda: order.append("one heap"))
    monkeypatch.setattr(daemon, "Daemon", Started)
    assert daemon.run(tmp_path, Config()) == 0 and order == ["one heap", "daemon"]


def test_the_heap_is_trimmed_once_after_the_passes_pause_and_not_while_work_waits(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import asyncio
    import threading

    from orchestrator import daemon as daemon_module
    from orchestrator.core import PassResult

    trimmed = threading.Semaphore(0)
    trims: list[str] = []

    def trim() -> None:
        trims.append(threading.current_thread().name)
        trimmed.release()

    monkeypatch.setattr(daemon_module, "release_free_heap", trim)
    monkeypatch.setattr(daemon_module, "TRIM_AFTER_SECONDS", 0.01)
    root = tmp_path / "coordination"
    root.mkdir()

    async def scene() -> None:
        daemon = daemon_module.Daemon(root, Config())
        for _ in range(3):  # three passes in a row: one timer, one trim
            daemon._after(PassResult(watch=None, retries_checked=False))
        await asyncio.to_thread(trimmed.acquire, timeout=30)
        await asyncio.sleep(0.05)
        assert len(trims) == 1 and trims[0].startswith("engine")  # between passes, on the engine thread
        daemon._jobs.add("queue")  # a pass is wanted: the trim waits for the quiet after it
        daemon._after(PassResult(watch=None, retries_checked=False))
        await asyncio.sleep(0.1)
        assert len(trims) == 1 and daemon._trim_timer is None
        daemon._jobs.clear()
        daemon._after(PassResult(watch=None, retries_checked=False))
        await asyncio.to_thread(trimmed.acquire, timeout=30)
        assert len(trims) == 2
        daemon._worker.shutdown(wait=True)

    asyncio.run(scene())


def test_a_complex_task_is_planned_on_the_drafting_thread_while_its_claim_is_written(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim's fsyncs wait on the disk with the interpreter released: the plan is drafted then, once,
    and the pass uses that draft (the queue's write here does not end until the draft has begun)."""
    import threading

    from orchestrator import core as core_module

    from conftest import PATIENCE

    sim = Sim()
    sim.start()
    began = threading.Event()
    drafted_on: list[str] = []
    draft_now = core_module.draft_now

    def drafting(*args: Any, **kwargs: Any) -> Any:
        drafted_on.append(threading.current_thread().name)
        began.set()
        return draft_now(*args, **kwargs)

    monkeypatch.setattr(core_module, "draft_now", drafting)
    replace = sim.store._replace_if_unchanged
    overlapped: list[bool] = []

    def claim(path: Any, data: bytes, expected: Any) -> Any:
        written = replace(path, data, expected)  # the store's wait: drafting starts
        if path == sim.layout.queue:
            overlapped.append(began.wait(5 * PATIENCE))
        return written

    sim.store._replace_if_unchanged = claim  # type: ignore[method-assign]
    sim.submit(task("a", "Add authentication system with security audit and docs"))
    sim.run("queue")
    assert overlapped == [True]
    assert sim.store._meanwhile is None  # nothing left to start at a later, unrelated wait on the disk
    assert len(drafted_on) == 1 and drafted_on[0].startswith("drafting")  # not drafted again after the claim
    assert sim.plan("orch-a")["status"] == "in_progress"
    assert sim.store.get(sim.layout.queue)["tasks"][0]["status"] == "orchestrating"


def test_a_simple_tasks_handoff_carries_its_acceptance_criteria_and_context() -> None:
    """A master that reads only ``task.description`` is judged by the criteria: they are in it, and the
    whole ``context`` travels beside it (nothing the writer put there is dropped)."""
    sim = Sim()
    sim.start()
    sim.submit(task("r", "Add a remember-me checkbox to the login form", context={
        "description": "Returning users should stay signed in.",
        "acceptance_criteria": ["Unchecked by default", "Checked: the session lasts 30 days"],
        "repository": "web-app", "ticket": {"key": "WEB-12"}}))
    sim.run("queue")
    handoff = sim.store.get(sim.layout.task_handoff("development", "r"))["task"]
    assert handoff["description"] == ("Returning users should stay signed in.\n\nAcceptance criteria:\n"
                                       "- Unchecked by default\n- Checked: the session lasts 30 days\n\n"
                                       "Repository: web-app")
    assert handoff["context"] == {"acceptance_criteria": ["Unchecked by default", "Checked: the session lasts 30 days"],
                                  "repository": "web-app", "ticket": {"key": "WEB-12"}}


def test_a_core_used_again_after_its_stop_drafts_on_a_new_thread() -> None:
    sim = Sim()
    sim.start()
    sim.core.warm_up()  # the drafting thread is made
    sim.core.stop()
    sim.core.warm_up()  # no "cannot schedule new futures after shutdown"
    sim.submit(task("a", "Add authentication system with security audit and docs"))
    sim.run("queue")
    assert sim.plan("orch-a")["status"] == "in_progress"


def _core_on_a_real_folder(root: Any) -> Any:
    """A core on a folder store at ``root`` with an empty queue, started and past its first full pass."""
    import os

    from orchestrator.config import Settings
    from orchestrator.core import FULL, Core
    from orchestrator.store import FolderStore, Layout

    root.mkdir()
    (root / "task-queue.json").write_text('{"tasks": []}')
    core = Core(FolderStore(Layout(root)), Settings(Config()), processes=FakeProcesses())
    core.start(pid=os.getpid())
    core.run_pass(FULL)
    return core


def test_on_a_real_folder_drafting_starts_at_the_claims_first_wait_on_the_disk(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder store starts the drafting thread just before its fsync (``Store.meanwhile``): the queue's
    temp file is fsynced only once the draft has begun."""
    import threading

    from orchestrator import core as core_module
    from orchestrator import store as store_module

    from conftest import PATIENCE

    root = tmp_path / "coordination"
    core = _core_on_a_real_folder(root)
    began = threading.Event()
    draft_now = core_module.draft_now

    def drafting(*args: Any, **kwargs: Any) -> Any:
        began.set()
        return draft_now(*args, **kwargs)

    monkeypatch.setattr(core_module, "draft_now", drafting)
    fsync_all = store_module._fsync_all
    overlapped: list[bool] = []

    def synced(fds: list[int], *, close: bool = False) -> None:
        if not overlapped:  # the pass's first wait: the claim's temp file
            overlapped.append(began.wait(5 * PATIENCE))
        fsync_all(fds, close=close)

    monkeypatch.setattr(store_module, "_fsync_all", synced)
    (root / "task-queue.json").write_text('{"tasks": [{"id": "a", "status": "pending", '
                                          '"title": "Add authentication system with security audit and docs"}]}')
    core.run_pass({"queue"})
    assert overlapped == [True]
    assert (root / "orchestrator/tasks/orch-a.json").exists()
    core.stop()


def test_a_claim_that_fails_before_any_write_leaves_no_drafting_to_start_later() -> None:
    """The drafting starts at the store's first wait; a claim refused before it writes (its lock held) must not
    leave that start behind for an unrelated write of a later pass."""
    from orchestrator.store import StoreError

    sim = Sim()
    sim.start()
    update_queue = sim.store.update_queue

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("task-queue.json.lock: still held by another process after 10s")

    sim.store.update_queue = refused  # type: ignore[method-assign]
    sim.submit(task("a", "Add authentication system with security audit and docs"))
    assert sim.run("queue").failed
    assert sim.store._meanwhile is None
    sim.store.update_queue = update_queue  # type: ignore[method-assign]
    sim.run("queue")
    assert sim.plan("orch-a")["status"] == "in_progress"  # claimed and drafted again on the next pass


def _count_waits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every wait of the folder store on the disk, in order: a wave of file fsyncs (how many files, and the
    folders fsynced in the same wave, if any) or the fsync of one or more folders (their names)."""
    import stat

    from orchestrator import store as store_module
    from orchestrator.store import FolderStore

    waits: list[tuple[Any, ...]] = []
    fsync_all, sync_folder = store_module._fsync_all, FolderStore._sync_folder

    def files(fds: list[int], *, close: bool = False) -> None:
        folders = sorted(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")) for fd in fds
                         if stat.S_ISDIR(os.fstat(fd).st_mode))
        count = len(fds) - len(folders)
        waits.append(("folders", ",".join(folders)) if not count else
                     ("files", count, *(["and folders", ",".join(folders)] if folders else [])))
        fsync_all(fds, close=close)

    def folder(path: Any) -> None:
        waits.append(("folders", path.name))
        sync_folder(path)

    monkeypatch.setattr(store_module, "_fsync_all", files)
    monkeypatch.setattr(FolderStore, "_sync_folder", staticmethod(folder))
    return waits


def test_on_a_real_folder_a_complex_pickup_waits_on_the_disk_five_times_not_eight(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's subtask files and stage-1 handoff are announced ahead (``Store.ahead``): their temp files are
    fsynced with the plan's, and so is the claim's folder (``update_queue``'s ``settle_later``: the plan needs
    the claim durable before its rename, not before its temp file). So after the claim's temp file come the
    plan's wave and three folder fsyncs, in the order the crash rules need (claim, plan, subtask files,
    handoff), and nothing more."""
    root = tmp_path / "coordination"
    core = _core_on_a_real_folder(root)
    waits = _count_waits(monkeypatch)
    (root / "task-queue.json").write_text('{"tasks": [{"id": "a", "status": "pending", '
                                          '"title": "Add authentication system with security audit and docs"}]}')
    core.run_pass({"queue"})
    assert waits == [("files", 1),  # the claim's temp file
                     # the plan's temp file with its 6 subtask files' and the handoff's, and the claim's folder
                     ("files", 8, "and folders", "coordination"),
                     ("folders", "tasks"), ("folders", "subtasks"), ("folders", "handoffs")]
    assert (root / "masters/development/handoffs/to-development-subtask-orch-a-s01-design.json").exists()
    core.stop()


def test_on_a_real_folder_a_simple_routing_waits_on_the_disk_three_times_not_four(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim is decided under the queue's lock, then the handoff is written with the queue's temp file in
    its fsync wave (``Store.update_queue``'s ``first``): the wave, the handoff's folder, then the queue's
    rename and its folder. The order the reader needs is kept: the handoff is durable before the queue says
    ``assigned``. Written one after the other, each file waited twice (its temp file, its folder)."""
    root = tmp_path / "coordination"
    core = _core_on_a_real_folder(root)
    waits = _count_waits(monkeypatch)
    renamed: list[str] = []
    replace, link = os.replace, os.link
    monkeypatch.setattr(os, "replace", lambda src, dst: (renamed.append(os.path.basename(dst)), replace(src, dst))[1])
    monkeypatch.setattr(os, "link", lambda src, dst: (renamed.append(os.path.basename(dst)), link(src, dst))[1])
    (root / "task-queue.json").write_text('{"tasks": [{"id": "a", "status": "pending", '
                                          '"title": "Fix bug in api/users.py line 42"}]}')
    core.run_pass({"queue"})
    assert waits == [("files", 2),  # the handoff's temp file and the queue's
                     ("folders", "handoffs"), ("folders", "coordination")]
    assert renamed[:2] == ["a.json", "task-queue.json"]  # the handoff appears first
    assert json.loads((root / "task-queue.json").read_bytes())["tasks"][0]["status"] == "assigned"
    assert (root / "masters/development/handoffs/a.json").exists()
    core.stop()


def test_on_a_real_folder_a_stage_advance_waits_on_the_disk_four_times_not_eleven(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The subtask files a stage advance rewrites (the one completed, the next stage's two now assigned) and
    the completed one's handoff it withdraws are read-modify-writes announced ahead (``Store.ahead_changes``)
    and written each in one step (``Store.update_json_many``): the plan's wave carries all their temp files,
    then come the folders, in the order the crash rules need: the plan, the subtask files, then the handoff
    withdrawn and the new handoffs, siblings sharing one fsync of their folder (``Store.later``). One by one,
    each subtask file and the withdrawal waited twice (11 waits)."""
    root = tmp_path / "coordination"
    core = _core_on_a_real_folder(root)
    (root / "task-queue.json").write_text('{"tasks": [{"id": "a", "status": "pending", '
                                          '"title": "Add authentication system with security audit and docs"}]}')
    core.run_pass({"queue"})
    subtask = root / "orchestrator/subtasks/orch-a-s01-design.json"
    report = json.loads(subtask.read_bytes()) | {"status": "completed", "worker_id": "w1", "result": "ok",
                                                 "completed_at": "2025-11-05T18:00:00Z"}
    (root / "reported.json").write_text(json.dumps(report))
    (root / "reported.json").replace(subtask)
    waits = _count_waits(monkeypatch)
    core.run_pass({("subtask", "orch-a-s01-design")})
    assert waits == [("files", 7),  # the plan's temp file, its 3 subtask files', the withdrawn and 2 new handoffs'
                     ("folders", "tasks"), ("folders", "subtasks"), ("folders", "handoffs")]
    handoffs = root / "masters/development/handoffs"
    assert json.loads((handoffs / "to-development-subtask-orch-a-s01-design.json").read_bytes())["status"] == "cancelled"
    for name, status in [("s01-design", "completed"), ("s02-backend", "assigned"), ("s03-frontend", "assigned"),
                         ("s04-tests", "pending")]:
        written = json.loads((root / f"orchestrator/subtasks/orch-a-{name}.json").read_bytes())
        assert written["status"] == status
        assert (handoffs / f"to-development-subtask-orch-a-{name}.json").exists() == (name != "s04-tests")
    completed = json.loads(subtask.read_bytes())
    assert (completed["worker_id"], completed["result"], completed["attempts"][0]["outcome"]) == ("w1", "ok", "completed")
    temp = core.store.layout.temp
    assert [p.name for p in temp.iterdir() if p.stat().st_size] == []  # every temp file written ahead was used
    core.stop()


def test_a_persons_retry_of_a_subtask_waiting_for_its_retry_counts_the_retry_once() -> None:
    """ops23: ``resume --retry`` on a subtask in its backoff added one to ``retry_count`` on top of the one its
    failure had counted: attempt 2 said two attempts before it. The near case: a retry of an escalated subtask
    (failed, its retry not counted) still counts one."""
    sim = started()
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(1)
    assert (sim.subtask(sid("design"))["status"], sim.subtask(sid("design"))["retry_count"]) == ("retry_wait", 1)
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    design = sim.subtask(sid("design"))
    assert (design["attempt"], design["retry_count"]) == (2, 1)
    for attempt in (2, 3, 4):  # three failures since the person's retry: escalated (attempt 4 not retried)
        sim.report(sid("design"), "fail", reason=f"boom {attempt}", worker_id=f"w{attempt}")
        sim.tick(100)
        sim.tick(100)
    assert sim.plan(ORCH)["status"] == "blocked" and sim.subtask(sid("design"))["retry_count"] == 3
    sim.store.put(sim.layout.requests / "2-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    design = sim.subtask(sid("design"))
    assert (design["attempt"], design["retry_count"]) == (5, 4)
