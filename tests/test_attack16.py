"""Attack16: a planned task given to one master (``orchestrator move``: ``route_to``) against unlocked writers,
strangers' fields and races; a person's word on a near-identical task."""

from __future__ import annotations

import copy
from typing import Any

from sim import Sim, task

AUTH = "Add authentication system with security audit and docs"


def give(sim: Sim, orchestration_id: str, master: str, name: str = "1-move") -> None:
    """What ``orchestrator move TASK MASTER`` of an orchestration writes: a request the daemon carries out."""
    sim.store.put(sim.layout.requests / f"{name}.json", {"orchestration_id": orchestration_id, "action": "simple",
                                                          "master": master, "requested_by": "alice"})


def planned(sim: Sim, **fields: Any) -> dict[str, Any]:
    """Task a planned; the queue as it was then (the copy an unlocked writer holds)."""
    sim.start()
    sim.submit(task("a", AUTH, **fields))
    sim.run("queue")
    old = copy.deepcopy(sim.store.get(sim.layout.queue))
    assert old["tasks"][0]["status"] == "orchestrating"
    return old


def pending_handoffs(sim: Sim) -> list[str]:
    return [p.name for p in sim.handoffs() if sim.store.get(p).get("status") == "pending"]


def test_an_old_copy_put_back_after_the_task_was_given_away_gives_it_back_to_that_master() -> None:
    """A writer puts back the queue it read while the plan ran (the task ``orchestrating``) after the plan was given
    to security: the queue said ``cancelled`` (the aborted plan's outcome) while security held the task's
    handoff, so the queue no longer showed who does the work. The plan stays aborted, the work is not doubled."""
    sim = Sim()
    old = planned(sim)
    give(sim, "orch-a", "security")
    sim.run("requests")
    sim.run("queue")
    sim.store.put(sim.layout.queue, old)
    sim.run("queue")
    sim.tick(1)
    sim.tick(1)
    entry = sim.queue_task("a")
    assert (entry["status"], entry["assigned_to"], entry["route_to"], entry["retry_count"]) == (
        "assigned", "security", "security", 1)
    assert entry["handoff_file"] == "masters/security/handoffs/a-attempt-2.json"
    assert sim.plan("orch-a")["status"] == "aborted"
    assert pending_handoffs(sim) == ["a-attempt-2.json"]
    assert len(sim.events("task_assigned", task_id="a")) == 1
    assert len(sim.events("claim_restored", task_id="a")) == 1
    sim = sim.restart()
    sim.tick(1)
    assert sim.queue_task("a")["status"] == "assigned" and len(sim.events("claim_restored", task_id="a")) == 1


def test_an_old_copy_of_an_aborted_plans_task_is_still_cancelled() -> None:
    """The near case: a plan aborted, not given away (orchestrator resume --abort), comes back cancelled."""
    sim = Sim()
    old = planned(sim)
    sim.store.put(sim.layout.requests / "1-abort.json", {"orchestration_id": "orch-a", "action": "abort"})
    sim.run("requests")
    sim.run("queue")
    sim.store.put(sim.layout.queue, old)
    sim.run("queue")
    sim.tick(1)
    entry = sim.queue_task("a")
    assert entry["status"] == "cancelled" and "route_to" not in entry and pending_handoffs(sim) == []
    [restored] = sim.events("claim_restored", task_id="a")
    assert "the queue said orchestrating again although orch-a is aborted" in restored["problem"]  # it said cancelled


def test_route_to_on_the_task_of_a_plan_still_running_doubles_no_work() -> None:
    """A writer sets ``route_to`` on a task whose plan runs, and makes it pending again (or puts back a copy that was
    pending): the master it names got the whole task while the plan's first subtask was with development. Only a
    plan given away through ``orchestrator move`` lets its task go to one master."""
    sim = Sim()
    old = planned(sim)
    old["tasks"][0] |= {"status": "pending", "route_to": "cicd"}
    sim.store.put(sim.layout.queue, old)
    sim.run("queue")
    sim.tick(1)
    assert sim.plan("orch-a")["status"] == "in_progress"
    assert pending_handoffs(sim) == ["to-development-subtask-orch-a-s01-design.json"]
    assert sim.queue_task("a")["status"] == "orchestrating"
    assert not sim.events("task_assigned", task_id="a") and not sim.events("routing_corrected", task_id="a")


def test_route_to_on_a_fresh_task_is_its_writers_choice_not_a_correction_of_a_plan() -> None:
    """A writer's ``route_to`` on a task never planned: given to that master (a person's word), but no plan was
    aborted (the reason said one was) and nothing the daemon decided was corrected (it learned 'a plan' -> cicd, so
    near-identical tasks went to cicd unplanned)."""
    sim = Sim()
    sim.start()
    sim.submit(task("a", AUTH, route_to="cicd"))
    sim.run("queue")
    entry = sim.queue_task("a")
    assert (entry["status"], entry["assigned_to"]) == ("assigned", "cicd")
    assert "aborted" not in " ".join(entry["routing_reasons"]) and "route_to" in entry["routing_reasons"][0]
    assert not sim.events("routing_corrected")
    sim.submit(task("b", AUTH.replace("docs", "documentation")))
    sim.run("queue")
    assert sim.queue_task("b")["status"] == "orchestrating"
