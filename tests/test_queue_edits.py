"""``orchestrator cancel`` and ``retry`` of a simple task: the queue edit, and what the daemon does with it."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from orchestrator import queue_edits
from orchestrator.clock import iso
from orchestrator.queue_edits import EditRefused
from orchestrator.store import Crash

from sim import Sim, task


def routed(sim: Sim, task_id: str = "t1", title: str = "Fix XSS in the login form") -> dict[str, Any]:
    sim.submit(task(task_id, title))
    sim.run("queue")
    entry = sim.queue_task(task_id)
    assert entry["status"] == "assigned"
    return entry


def cancel(sim: Sim, task_id: str, **kw: Any) -> dict[str, Any]:
    return queue_edits.edit_task(sim.store, task_id, lambda e: queue_edits.cancel(
        e, by="alice", now=iso(sim.clock), reason=kw.get("reason"), has_plan=queue_edits.has_plan(sim.store, task_id)))


def retry(sim: Sim, task_id: str) -> dict[str, Any]:
    return queue_edits.edit_task(sim.store, task_id, lambda e: queue_edits.retry(
        e, by="alice", now=iso(sim.clock), has_plan=queue_edits.has_plan(sim.store, task_id)))


def handoff(sim: Sim, master: str, task_id: str, attempt: int = 1) -> dict[str, Any]:
    return sim.store.get(sim.layout.task_handoff(master, task_id, attempt))


def test_cancel_withdraws_the_pending_handoff_and_is_announced_once() -> None:
    sim = Sim()
    sim.start()
    routed(sim)
    written = cancel(sim, "t1", reason="duplicate")
    assert written["status"] == "cancelled" and written["cancelled_from"] == "assigned"
    assert written["cancelled_by"] == "alice" and written["cancelled_reason"] == "duplicate"
    sim.run("queue")
    assert handoff(sim, "security", "t1")["status"] == "cancelled"
    assert len(sim.events("task_cancelled", task_id="t1")) == 1
    assert len(sim.events("handoff_withdrawn", task_id="t1")) == 1
    sim.tick(1)
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("task_cancelled", task_id="t1")) == 1  # once, across passes and a restart


def test_a_handoff_a_master_already_took_is_left_alone() -> None:
    sim = Sim()
    sim.start()
    routed(sim)
    path = sim.layout.task_handoff("security", "t1")
    sim.store.put(path, sim.store.get(path) | {"status": "processed"})
    cancel(sim, "t1")
    sim.run("queue")
    assert handoff(sim, "security", "t1")["status"] == "processed"
    event = sim.events("task_cancelled", task_id="t1")[0]
    assert event["withdrawn"] == []


def test_a_cancelled_pending_task_is_never_routed() -> None:
    sim = Sim()
    sim.start()
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"].append(task("t2", "Fix XSS in the login form"))
    sim.store.put(sim.layout.queue, queue)
    cancel(sim, "t2")
    sim.run("queue")
    assert sim.queue_task("t2")["status"] == "cancelled"
    assert sim.handoffs() == [] and sim.events("task_assigned") == []
    assert len(sim.events("task_cancelled", task_id="t2")) == 1


def test_retry_routes_a_new_attempt_with_its_own_handoff_and_keeps_the_history() -> None:
    sim = Sim()
    sim.start()
    routed(sim)
    cancel(sim, "t1")
    sim.run("queue")
    written = retry(sim, "t1")
    assert written["status"] == "pending" and written["retry_count"] == 1
    assert "assigned_to" not in written and "handoff_file" not in written
    earlier = written["previous_attempts"][0]
    assert earlier["attempt"] == 1 and earlier["status"] == "cancelled" and earlier["assigned_to"] == "security"
    sim.run("queue")
    entry = sim.queue_task("t1")
    assert entry["status"] == "assigned" and entry["handoff_file"].endswith("t1-attempt-2.json")
    second = handoff(sim, "security", "t1", 2)
    assert second["status"] == "pending" and second["handoff_id"] == "to-security-t1-attempt-2"
    assert second["attempt"] == 2
    assert handoff(sim, "security", "t1")["status"] == "cancelled"
    assert [e.get("attempt") for e in sim.events("handoff_created", task_id="t1")] == [None, 2]
    assert len(sim.events("task_assigned", task_id="t1")) == 2
    assert sim.events("claim_restored") == []


def test_retry_withdraws_an_earlier_attempt_still_pending() -> None:
    """Blocked by a master while the daemon was down: the old handoff is still pending."""
    sim = Sim()
    sim.start()
    routed(sim)
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["status"] = "failed"
    sim.store.put(sim.layout.queue, queue)
    retry(sim, "t1")
    sim.run("queue")
    assert handoff(sim, "security", "t1")["status"] == "cancelled"
    assert "superseded by attempt 2" in handoff(sim, "security", "t1")["cancelled_reason"]
    assert handoff(sim, "security", "t1", 2)["status"] == "pending"


def test_edits_that_do_not_apply_are_refused_and_write_nothing() -> None:
    sim = Sim()
    sim.start()
    routed(sim)
    before = sim.store.get(sim.layout.queue)
    with pytest.raises(EditRefused, match="only blocked, cancelled, failed"):
        retry(sim, "t1")  # assigned: nothing to retry
    with pytest.raises(EditRefused, match="no task nope"):
        cancel(sim, "nope")
    sim.submit(task("orch", "Add authentication system with security audit and docs"))
    sim.run("queue")
    with pytest.raises(EditRefused, match="resume orch-orch --abort"):
        cancel(sim, "orch")
    sim.submit(task("dup", "a"), task("dup", "b"))
    with pytest.raises(EditRefused, match="appears 2 times"):
        cancel(sim, "dup")
    queue = sim.store.get(sim.layout.queue)
    assert queue["tasks"][0] == before["tasks"][0]


@pytest.mark.parametrize(("status", "allowed"), [("pending", True), ("assigned", True), ("blocked", True),
                                                  ("failed", True), ("in_progress", False), ("completed", False),
                                                  ("cancelled", False), ("worker_spawned", False)])
def test_which_tasks_can_be_cancelled(status: str, allowed: bool) -> None:
    entry = {"id": "t", "status": status}
    if allowed:
        queue_edits.cancel(entry, by="a", now="n", reason=None, has_plan=False)
        assert entry["status"] == "cancelled"
    else:
        with pytest.raises(EditRefused):
            queue_edits.cancel(entry, by="a", now="n", reason=None, has_plan=False)
        assert entry == {"id": "t", "status": status}


def test_attempt_numbers_read_other_writers_retry_count_safely() -> None:
    assert queue_edits.attempt({}) == 1
    assert queue_edits.attempt({"retry_count": 2}) == 3
    assert queue_edits.attempt({"retry_count": "2"}) == 1
    assert queue_edits.attempt({"retry_count": True}) == 1
    assert queue_edits.attempt({"retry_count": -4}) == 1


def move(sim: Sim, task_id: str, master: str) -> dict[str, Any]:
    return queue_edits.edit_task(sim.store, task_id, lambda e: queue_edits.move(
        e, master, by="alice", now=iso(sim.clock), has_plan=queue_edits.has_plan(sim.store, task_id)))


def test_move_gives_the_handoff_to_the_chosen_master_and_is_learned() -> None:
    """``orchestrator move``: the edit a person makes by hand (``assigned_to``), which the daemon follows."""
    sim = Sim()
    sim.start()
    routed(sim)  # security's
    written = move(sim, "t1", "development-master")
    assert written["assigned_to"] == "development" and written["moved_by"] == "alice"
    assert written["routed_to"] == "security"  # the daemon's choice stays: the correction is learned from it
    sim.run("queue")
    assert handoff(sim, "security", "t1")["status"] == "cancelled"
    moved = handoff(sim, "development", "t1")
    assert moved["status"] == "pending"
    # what the chosen master reads says so: not "routed to security", nor a security task
    assert moved["task"]["type"] == "development" and moved["routing"]["confidence"] == 1.0
    assert moved["routing"]["reasons"][0] == "moved to development by a person; the orchestrator had routed it to security"
    assert moved["routing"]["reasons"][1] == "(before the move) routed to security"
    [corrected] = sim.events("routing_corrected", task_id="t1")
    assert corrected["master"] == "development"


def test_a_type_its_writer_gave_stays_with_the_moved_handoff() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("t1", "Fix XSS in the login form", type="bugfix"))
    sim.run("queue")
    move(sim, "t1", "development")
    sim.run("queue")
    assert handoff(sim, "development", "t1")["task"]["type"] == "bugfix"


@pytest.mark.parametrize(("status", "master", "refusal"), [
    ("assigned", "security", "already security's"),
    ("assigned", "docs", "not a master"),
    ("pending", "security", "a pending one is routed first"),
    ("cancelled", "security", "only an assigned task"),
])
def test_which_moves_are_refused(status: str, master: str, refusal: str) -> None:
    entry = {"id": "t1", "status": status, "assigned_to": "development" if status == "pending" else "security"}
    if status == "pending":
        entry.pop("assigned_to")
    before = dict(entry)
    with pytest.raises(EditRefused, match=refusal):
        queue_edits.move(entry, master, by="alice", now="2026-01-01T00:00:00Z", has_plan=False)
    assert entry == before


def test_an_orchestration_is_not_moved() -> None:
    with pytest.raises(EditRefused, match="resume orch-t1"):
        queue_edits.move({"id": "t1", "status": "orchestrating"}, "security", by="a", now="n", has_plan=True)


# --- a planned task given to one master instead (orchestrator move of an orchestration) ----------------------


AUTH = "Add authentication system with security audit and docs"


def give(sim: Sim, orchestration_id: str, master: str, name: str = "1-move") -> None:
    """What ``orchestrator move TASK MASTER`` of an orchestration writes: a request the daemon carries out."""
    sim.store.put(sim.layout.requests / f"{name}.json", {"orchestration_id": orchestration_id, "action": "simple",
                                                          "master": master, "requested_by": "alice"})


def test_a_planned_task_given_to_one_master_is_aborted_and_handed_to_that_master() -> None:
    """A second new user found no way to undo a false complex: move refused an orchestration, and retry refused
    its aborted task. The plan is aborted (its pending handoffs withdrawn) and the task goes to the master the
    person chose, as the next attempt, decided by nobody else."""
    sim = Sim()
    sim.start()
    sim.submit(task("a", AUTH))
    sim.run("queue")
    first = sim.layout.subtask_handoff("development", "orch-a-s01-design", 1)
    assert sim.store.get(first)["status"] == "pending"
    give(sim, "orch-a", "security-master")
    assert sim.run("requests").again  # its own write of the queue wakes no file event: the daemon looks again now
    sim.run("queue")
    plan = sim.plan("orch-a")
    assert plan["status"] == "aborted" and plan["interventions"][-1]["master"] == "security"
    assert sim.store.get(first)["status"] == "cancelled"
    entry = sim.queue_task("a")
    assert (entry["status"], entry["assigned_to"], entry["route_to"], entry["retry_count"]) == (
        "assigned", "security", "security", 1)
    assert entry["previous_attempts"][0]["orchestration_id"] == "orch-a"  # what the plan's attempt left, kept
    handed = sim.store.get(sim.layout.task_handoff("security", "a", 2))
    assert handed["status"] == "pending" and handed["routing"]["reasons"][0].startswith(
        "given to security as one piece of work by a person (orchestrator move)")
    [aborted] = sim.events("orchestration_aborted", orchestration_id="orch-a")
    assert aborted["moved_to"] == "security"
    assert len(sim.events("task_assigned", task_id="a")) == 1
    sim.tick(1)
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("task_assigned", task_id="a")) == 1 and sim.queue_task("a")["status"] == "assigned"
    assert not sim.events("claim_restored", task_id="a")


@pytest.mark.parametrize("crash_at", range(8))
def test_giving_a_planned_task_to_one_master_is_finished_after_a_crash_at_any_write(crash_at: int) -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("a", AUTH))
    sim.run("queue")
    give(sim, "orch-a", "cicd")
    sim.store.crash_at = sim.store.writes + crash_at
    with contextlib.suppress(Crash):
        sim.run("requests")
        sim.run("queue")
    sim.store.crash_at = None
    sim = sim.restart()
    sim.tick(1)
    sim.tick(1)
    assert sim.plan("orch-a")["status"] == "aborted"
    assert sim.queue_task("a")["assigned_to"] == "cicd" and sim.queue_task("a")["retry_count"] == 1
    assert sim.store.get(sim.layout.task_handoff("cicd", "a", 2))["status"] == "pending"
    assert len(sim.events("orchestration_aborted", orchestration_id="orch-a")) == 1
    assert len(sim.events("task_assigned", task_id="a")) == 1


def test_a_plan_whose_work_has_begun_is_not_given_away() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("a", AUTH))
    sim.run("queue")
    sim.report("orch-a-s01-design", "start", worker_id="w1", pid=4242)
    sim.run(("subtask", "orch-a-s01-design"))
    give(sim, "orch-a", "security")
    sim.run("requests")
    [refused] = sim.events("request_refused", orchestration_id="orch-a")
    assert "work on it has begun (orch-a-s01-design)" in refused["problem"]
    assert sim.plan("orch-a")["status"] == "in_progress" and sim.queue_task("a")["status"] == "orchestrating"
    give(sim, "orch-a", "nobody", name="2-move")
    sim.run("requests")
    assert "begun" in sim.events("request_refused", orchestration_id="orch-a")[-1]["problem"]


def test_a_task_near_identical_to_one_given_away_is_one_piece_of_work_for_that_master() -> None:
    """The person's word is remembered: the next task like the one they took from its plan is not planned again;
    a task that only shares some words is decided by the rules."""
    sim = Sim()
    sim.start()
    sim.submit(task("a", AUTH))
    sim.run("queue")
    give(sim, "orch-a", "security")
    sim.run("requests")
    sim.run("queue")
    [learned] = sim.events("routing_corrected", task_id="a")
    assert (learned["routed_to"], learned["master"]) == ("a plan", "security")
    sim.submit(task("b", AUTH.replace("docs", "documentation")))
    sim.run("queue")
    entry = sim.queue_task("b")
    assert (entry["status"], entry["assigned_to"]) == ("assigned", "security")
    assert "one piece of work: a person gave a to one master" in entry["routing_reasons"]
    sim.submit(task("c", "Add a billing system with invoices, a payment API and a customer portal, then deploy it"))
    sim.run("queue")
    assert sim.queue_task("c")["status"] == "orchestrating"
    sim.tick(1)
    assert len(sim.events("routing_corrected", task_id="a")) == 1  # learned once, not withdrawn


def test_status_says_who_has_a_task_taken_from_its_plan_and_no_health_for_a_plan_that_ended() -> None:
    """status showed a plan a person gave away as 'aborted ... 0% healthy', and nothing of where its task went."""
    from orchestrator import status

    sim = Sim()
    sim.start()
    sim.submit(task("a", AUTH), task("b", AUTH.replace("docs", "a user guide")))
    sim.run("queue")
    give(sim, "orch-a", "security")
    sim.run("requests")
    sim.store.put(sim.layout.requests / "2-abort.json", {"orchestration_id": "orch-b", "action": "abort"})
    sim.run("requests")
    text = status.render(status.collect(sim.store))
    [a] = [line for line in text.splitlines() if "orch-a " in line]
    [b] = [line for line in text.splitlines() if "orch-b " in line]
    assert "given to security" in a and "healthy" not in a
    assert "healthy" not in b and "given to" not in b


def test_a_plan_whose_handoff_a_master_took_is_not_given_away() -> None:
    """No worker has started, but a master's consumer took the stage-1 handoff (``processed``): giving the task to
    another master would have that part done beside it (attack16's note)."""
    sim = Sim()
    sim.start()
    sim.submit(task("a", AUTH))
    sim.run("queue")
    first = sim.layout.subtask_handoff("development", "orch-a-s01-design", 1)
    sim.store.put(first, sim.store.get(first) | {"status": "processed"})
    give(sim, "orch-a", "security")
    sim.run("requests")
    [refused] = sim.events("request_refused", orchestration_id="orch-a")
    assert "its master took orch-a-s01-design (processed)" in refused["problem"]
    assert sim.plan("orch-a")["status"] == "in_progress"
    sim.store.put(first, sim.store.get(first) | {"status": "pending"})  # its near case: still pending, given away
    give(sim, "orch-a", "security", name="2-move")
    sim.run("requests")
    assert sim.plan("orch-a")["status"] == "aborted"


def test_a_cancel_undone_by_an_old_copy_and_made_again_is_a_second_act_said_once_each() -> None:
    """soak19, seed 6: a cancel undone by a writer's old copy of the queue and made again later had the first one's
    event id: said again only when the first had rotated away, and never when it had not. Each act now has its own
    id, and each is said once, across passes, a restart and a rotation."""
    sim = Sim()
    sim.start()
    routed(sim)
    before = sim.store.get(sim.layout.queue)
    cancel(sim, "t1")
    sim.run("queue")
    first = sim.events("task_cancelled", task_id="t1")
    assert len(first) == 1
    sim.store.put(sim.layout.queue, before)  # an editor's old copy: the cancel undone
    sim.tick(1)
    sim.clock.advance(60)
    cancel(sim, "t1")
    sim.run("queue")
    both = sim.events("task_cancelled", task_id="t1")
    assert len(both) == 2 and both[0]["event_id"] != both[1]["event_id"]
    sim.tick(1)
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("task_cancelled", task_id="t1")) == 2  # a restart says neither again
    sim.store.put(sim.layout.events, b"")  # rotated away
    sim = sim.restart()
    sim.tick(1)
    assert sim.events("task_cancelled", task_id="t1") == []
