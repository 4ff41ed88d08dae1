"""ops23: a fault that comes and goes is said once per spell, across restarts too (ops22 did it for a subtask file's
lock wait): the queue unreadable, the queue's lock held past the timeout, a subtask file that does not parse. Their
"already said" marks lived in memory, so every restart said the same fault again; now each spell's ``event_id`` is
numbered (``outbox.Fault``), its end is said once, and the start reads the events file back."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import status
from orchestrator.models import Plan
from orchestrator.registry import health
from test_core import ORCH, HeldStore, backend_lock_held, sid, started

from sim import SUBTASKS, Sim, task

BROKEN = b'{"tasks": ['


def test_an_unreadable_queue_is_said_once_across_restarts_and_its_end_once() -> None:
    sim = Sim()
    sim.start()
    good = sim.store.files[sim.layout.queue]
    sim.store.files[sim.layout.queue] = BROKEN
    sim.tick(1)
    assert len(sim.events("queue_unreadable")) == 1
    for _ in range(2):  # restarted while it is still broken: the same spell, not said again
        sim = sim.restart()
        sim.tick(1)
        assert len(sim.events("queue_unreadable")) == 1 and not sim.events("queue_recovered")
    sim.store.files[sim.layout.queue] = good
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("queue_recovered")] == ["task-queue.json:recovered:1"]
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("queue_recovered")) == 1
    sim.store.files[sim.layout.queue] = BROKEN  # the near case: broken again later is a new spell, said
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("queue_unreadable")] == ["task-queue.json:unreadable:1",
                                                                      "task-queue.json:unreadable:2"]


def test_a_queue_mended_while_the_daemon_was_down_is_said_mended_at_the_next_start() -> None:
    """Its memory of the spell is gone: the events file says it was open, so the start closes it (else the next break
    would pass for the same spell, never said)."""
    sim = Sim()
    sim.start()
    good = sim.store.files[sim.layout.queue]
    sim.store.files[sim.layout.queue] = BROKEN
    sim.tick(1)
    sim.store.files[sim.layout.queue] = good
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("queue_recovered")) == 1
    sim.store.files[sim.layout.queue] = BROKEN
    sim.tick(1)
    assert len(sim.events("queue_unreadable")) == 2


def test_another_problem_in_the_same_process_is_still_said() -> None:
    """The opposite: within one process a new problem of the queue is news (the restart cannot know the text)."""
    sim = Sim()
    sim.start()
    sim.store.files[sim.layout.queue] = BROKEN
    sim.tick(1)
    sim.store.files[sim.layout.queue] = b'["not", "a queue"'
    sim.tick(1)
    assert len(sim.events("queue_unreadable")) == 2


def test_a_held_queue_lock_is_said_once_across_restarts_and_its_end_once() -> None:
    sim = Sim(store=HeldStore())
    sim.start()
    assert isinstance(sim.store, HeldStore)
    sim.store.held.add(sim.layout.queue)
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.tick(1)
    sim.tick(1)
    assert len(sim.events("queue_update_failed")) == 1
    for _ in range(2):
        sim = sim.restart()
        assert isinstance(sim.store, HeldStore)
        sim.tick(1)
        assert len(sim.events("queue_update_failed")) == 1 and not sim.events("write_recovered")
    sim.store.held.clear()
    sim.tick(1)
    assert sim.queue_task("w")["status"] == "orchestrating"
    [written] = sim.events("write_recovered")
    assert written["path"] == str(sim.layout.queue) and written["event_id"] == "task-queue.json:updated:1"
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("write_recovered")) == 1 and len(sim.events("queue_update_failed")) == 1


def test_a_subtask_file_that_does_not_parse_is_said_once_across_restarts_and_its_end_once() -> None:
    sim = started()
    path = sim.layout.subtask(sid("design"))
    good = sim.store.files[path]
    sim.store.files[path] = b'{"status": '
    sim.run(("subtask", sid("design")))
    assert len(sim.events("subtask_invalid", subtask_id=sid("design"))) == 1
    for _ in range(2):
        sim = sim.restart()
        sim.tick(1)
        assert len(sim.events("subtask_invalid")) == 1 and not sim.events("subtask_recovered")
    sim.store.files[path] = good
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("subtask_recovered")] == [f"{ORCH}:valid:{sid('design')}:1"]
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("subtask_recovered")) == 1
    sim.store.files[path] = b"{"  # broken again: a new spell, said
    sim.tick(1)
    assert len(sim.events("subtask_invalid")) == 2


def test_a_subtask_file_mended_while_the_daemon_was_down_is_said_mended_at_the_next_start() -> None:
    """The start reads the open spell back: the file read whole at start is valid, the spell closed once; broken again
    later, it is a new spell, said (left open, it would have passed for the old one)."""
    sim = started()
    path = sim.layout.subtask(sid("design"))
    good = sim.store.files[path]
    sim.store.files[path] = b'{"status": '
    sim.run(("subtask", sid("design")))
    sim.store.files[path] = good
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("subtask_recovered", subtask_id=sid("design"))) == 1
    sim.store.files[path] = b"{"
    sim.tick(1)
    assert len(sim.events("subtask_invalid")) == 2


# --- status and the web view: what waits is not "healthy" (ops23) -----------------------------------------------

def _item(sim: Sim) -> dict[str, Any]:
    [item] = status.collect(sim.store)["orchestrations"]
    return dict(item)


def _shown(sim: Sim) -> str:
    """``orchestrator status`` as it prints with a daemon running (without one a live plan is "unsupervised")."""
    return status.render(status.collect(sim.store) | {"daemon": {"running": True, "pid": 7}})


def test_status_says_what_waits_for_its_retry_until_when_and_what_to_do() -> None:
    sim = started()
    assert _item(sim)["health"] == "healthy" and _item(sim)["waits"] == []  # the near case: nothing waits
    sim.report(sid("design"), "start", worker_id="w1")
    sim.report(sid("design"), "fail", reason="the registry timed out", worker_id="w1")
    sim.run(("subtask", sid("design")))
    plan = sim.store.get(sim.layout.plan(ORCH))
    assert next(s for s in plan["subtasks"] if s["subtask_id"] == sid("design"))["status"] == "retry_wait"
    item = _item(sim)
    [wait] = item["waits"]
    assert item["health"] == "waiting" and wait["for"] == "retry" and wait["until"]
    assert "the registry timed out" in wait["why"] and f"orchestrator resume {ORCH} --retry {sid('design')}" in wait["do"]
    text = _shown(sim)
    assert "waiting" in text and "healthy" not in text
    assert f"{sid('design')} waits for its retry until {wait['until']}" in text
    assert health(Plan.model_validate(plan)) == "waiting"  # what the web view's pill says


def test_status_says_a_subtask_file_waits_for_a_held_lock_until_the_events_say_it_is_written() -> None:
    sim, backend = backend_lock_held()
    [wait] = _item(sim)["waits"]
    assert _item(sim)["health"] == "waiting" and wait["for"] == "lock" and wait["subtask_id"] == sid("backend")
    assert f"fuser -v {backend}.lock" in wait["do"]
    assert "waits for its file lock since" in _shown(sim)
    sim.store.held.clear()
    sim.tick(1)
    assert _item(sim)["waits"] == [] and _item(sim)["health"] == "healthy"


def test_spells_said_before_the_part_a_start_reads_back_are_not_said_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """ops23 left the question: a spell said before the end of the events file a start reads (4 MB; 3 kB here), the
    daemon busy since, then a restart. The queue's unreadable spell and a lock wait are open, and neither is said
    again: their numbers are in the events mark (its ``series``), not only in the part read. The near case, each
    spell's end, is still said once after the restart, under the spell's number."""
    monkeypatch.setattr("orchestrator.outbox.EVENT_TAIL_BYTES", 3000)
    sim, _ = backend_lock_held()
    assert isinstance(sim.store, HeldStore)
    for name in ("g1", "g2", "g3", "g4"):
        sim.submit(task(name, f"Gadget {name}", subtasks=SUBTASKS))
    sim.run("queue")
    queue = sim.store.files[sim.layout.queue]
    sim.store.files[sim.layout.queue] = b"{not json"
    sim.tick(1)
    for name in ("g1", "g2", "g3", "g4"):  # their designs done: stage 2 handed off, the two spells far behind now
        design = f"orch-{name}-design"
        sim.report(design, "start", worker_id=f"w-{name}")
        sim.report(design, "complete", result="designed", worker_id=f"w-{name}")
        sim.tick(1)
    read = sim.store.files[sim.layout.events][-3000:]
    assert b"lock_wait" not in read and b"queue_unreadable" not in read
    sim = sim.restart()
    assert isinstance(sim.store, HeldStore)
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("queue_unreadable")] == ["task-queue.json:unreadable:1"]
    assert [e["event_id"] for e in sim.events("write_failed", subtask_id=sid("backend"))] == [
        f"{ORCH}:lock_wait:{sid('backend')}:1"]
    sim.store.files[sim.layout.queue] = queue
    sim.store.held.clear()
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("queue_recovered")] == ["task-queue.json:recovered:1"]
    assert [e["event_id"] for e in sim.events("write_recovered", subtask_id=sid("backend"))] == [
        f"{ORCH}:lock_free:{sid('backend')}:1"]


def test_a_plans_unwritten_effects_are_said_once_across_restarts_and_once_over() -> None:
    """ops24: a plan whose effects could not be written (here its queue task, the queue unreadable) said
    ``write_failed`` once per process, with no id: every restart during the spell said it again, and nothing said
    when it was over. Now a numbered spell (``orch:unwritten:N``), its end ``write_recovered`` once; the near case: a
    later failure of the same plan is a new spell, said (numbered 2)."""
    sim = started()
    queue = sim.store.files[sim.layout.queue]
    sim.store.files[sim.layout.queue] = b"{not json"
    sim.tick(1)
    sim.report(sid("design"), "fail", reason="x", worker_id="w1", transient=False)  # blocked: its queue task waits
    sim.tick(1)
    for _ in range(2):
        sim = sim.restart()
        sim.tick(1)
        sim.tick(5)
    unwritten = [e for e in sim.events("write_failed") if e.get("subtask_id") is None]
    assert [e["event_id"] for e in unwritten] == [f"{ORCH}:unwritten:1"]
    sim.store.files[sim.layout.queue] = queue
    sim.tick(1)
    assert sim.queue_task("w")["status"] == "blocked"
    assert [e["event_id"] for e in sim.events("write_recovered", orchestration_id=ORCH)] == [f"{ORCH}:written:1"]
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("write_recovered", orchestration_id=ORCH)) == 1
    sim.store.files[sim.layout.queue] = b"{not json"
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "abort"})
    sim.run("requests")
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("write_failed") if e.get("subtask_id") is None] == [
        f"{ORCH}:unwritten:1", f"{ORCH}:unwritten:2"]


def test_a_plans_unwritten_spell_mended_while_the_daemon_was_down_is_said_over_after_the_restart() -> None:
    """review26: the start reads a plan's open ``unwritten`` spell back (``Supervisor`` marks it said before this
    start); without that, a spell whose cause was mended while no daemon ran (the queue repaired, then the restart) was
    never said over: the first write after the restart succeeds, and only a failure seen by this process was closed.
    The near case: a plan whose spell was closed before the restart says no second ``write_recovered``."""
    sim = started()
    queue = sim.store.files[sim.layout.queue]
    sim.store.files[sim.layout.queue] = b"{not json"
    sim.tick(1)
    sim.report(sid("design"), "fail", reason="x", worker_id="w1", transient=False)  # blocked: its queue task waits
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("write_failed") if e.get("subtask_id") is None] == [f"{ORCH}:unwritten:1"]
    sim.store.files[sim.layout.queue] = queue  # mended while no daemon runs
    sim = sim.restart()
    sim.tick(1)
    assert sim.queue_task("w")["status"] == "blocked"
    assert [e["event_id"] for e in sim.events("write_recovered", orchestration_id=ORCH)] == [f"{ORCH}:written:1"]
    sim = sim.restart()
    sim.tick(1)
    assert [e["event_id"] for e in sim.events("write_recovered", orchestration_id=ORCH)] == [f"{ORCH}:written:1"]
