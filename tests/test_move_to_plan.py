"""``orchestrator move TASK plan``: a task routed to one master that a person says needs a plan. Its handoff is
withdrawn (unless its master took it), the task is planned as its next attempt, the move is announced and
remembered (near-identical tasks are planned), against crashes at every write; and ``assigned_to`` edited to a
name that is no master is said, not ignored."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import queue_edits
from orchestrator.moves import PLAN_REASON

from sim import Sim, task

INCIDENT = ("Disk full on db01 in us-east-1", "Free space on db01.prod.internal: /var/lib/postgresql is at 98%.")


def routed(title: str = INCIDENT[0], description: str = INCIDENT[1]) -> Sim:
    sim = Sim()
    sim.start()
    sim.submit(task("s", title, description=description))
    sim.run("queue")
    assert sim.queue_task("s")["status"] == "assigned"
    return sim


def edit(sim: Sim, task_id: str, change: Any) -> None:
    """A person's edit of the queue (by hand, or what a command writes)."""
    queue = sim.store.get(sim.layout.queue)
    change(next(t for t in queue["tasks"] if t["id"] == task_id))
    sim.store.put(sim.layout.queue, queue)


def to_plan(sim: Sim, task_id: str = "s") -> None:
    edit(sim, task_id, lambda e: queue_edits.move(e, "plan", by="alice", now="2026-01-01T00:00:00Z", has_plan=False))


def first_handoff(sim: Sim) -> dict[str, Any]:
    return sim.store.get(sim.layout.root / sim.queue_task("s")["handoff_file"])


def assert_planned(sim: Sim, master: str) -> None:
    """The routed handoff withdrawn and said so, the task planned as attempt 2, the person's word remembered."""
    path = sim.layout.task_handoff(master, "s")
    assert sim.store.get(path)["status"] == "cancelled"
    assert sim.store.get(path)["cancelled_reason"] == PLAN_REASON
    [withdrawn] = sim.events("handoff_withdrawn", task_id="s")
    assert withdrawn["path"] == sim.layout.rel(path)
    entry = sim.queue_task("s")
    assert entry["status"] == "orchestrating" and entry["retry_count"] == 1
    assert entry["previous_attempts"][-1]["status"] == queue_edits.MOVED_TO_PLAN
    plan = sim.plan("orch-s")
    assert plan["classification"]["reasons"][0].startswith(f"moved to a plan by alice; the orchestrator had routed it "
                                                           f"to {master}")
    assert len(sim.events("orchestration_started", task_id="s")) == 1
    [learned] = sim.events("routing_corrected", task_id="s")
    assert (learned["routed_to"], learned["master"]) == (master, "a plan")
    assert max(sim.event_ids().values()) == 1


def test_a_task_moved_to_a_plan_is_withdrawn_from_its_master_planned_and_learned() -> None:
    sim = routed()
    master = sim.queue_task("s")["assigned_to"]
    to_plan(sim)
    sim.tick(1)
    sim.tick(1)
    assert_planned(sim, master)


def test_the_same_by_hand_setting_the_task_back_to_be_planned() -> None:
    """By hand: ``orchestration_required: true``, the task ``pending`` again: its master's handoff is withdrawn first
    (it stayed pending beside the plan: two doing one task)."""
    sim = routed()
    master = sim.queue_task("s")["assigned_to"]
    edit(sim, "s", lambda e: e.update(status="pending", orchestration_required=True, moved_by="alice"))
    sim.tick(1)
    sim.tick(1)
    assert_planned(sim, master)


def test_a_handoff_its_master_took_stays_and_the_task_is_not_planned() -> None:
    """The near case: the master took it already. As a move between masters: said once, the queue keeps it, no plan."""
    sim = routed()
    path = sim.layout.root / sim.queue_task("s")["handoff_file"]
    sim.store.put(path, sim.store.get(path) | {"status": "processed"})
    to_plan(sim)
    sim.tick(1)
    sim.tick(1)
    [late] = sim.events("handoff_not_moved", task_id="s")
    assert (late["moved_to"], late["status"]) == ("plan", "processed")
    entry = sim.queue_task("s")
    assert entry["status"] == "assigned" and entry["move_not_followed"] == "plan"
    assert not sim.store.exists(sim.layout.plan("orch-s"))
    assert sim.store.get(path)["status"] == "processed"
    assert sim.events("routing_corrected") == []


def test_set_back_to_pending_by_hand_when_its_master_took_it_is_assigned_again_not_planned() -> None:
    sim = routed()
    path = sim.layout.root / sim.queue_task("s")["handoff_file"]
    sim.store.put(path, sim.store.get(path) | {"status": "processed"})
    edit(sim, "s", lambda e: e.update(status="pending", orchestration_required=True))
    sim.tick(1)
    sim.tick(1)
    assert sim.queue_task("s")["status"] == "assigned"
    assert not sim.store.exists(sim.layout.plan("orch-s"))


@pytest.mark.parametrize("crash_at", range(1, 12, 2))
def test_a_move_to_a_plan_cut_short_by_a_crash_is_finished_once(crash_at: int) -> None:
    sim = routed()
    master = sim.queue_task("s")["assigned_to"]
    to_plan(sim)
    sim = sim.crash_and_restart(crash_at)
    path = sim.layout.task_handoff(master, "s")
    assert sim.store.get(path)["status"] == "cancelled"
    assert sim.queue_task("s")["status"] == "orchestrating"
    assert [p for p in sim.handoffs() if sim.store.get(p).get("status") == "pending"
            and "attempt" not in p.name and p.parent.parent.name == master and "orch" not in p.name] == []
    [learned] = sim.events("routing_corrected", task_id="s")
    assert learned["master"] == "a plan"
    assert max(sim.event_ids().values()) == 1


def test_a_near_identical_task_is_planned_and_a_different_one_sharing_words_is_not() -> None:
    """The same incident in another region, on another host, of another ticket and version is planned as the person
    said; a different task about the same service is routed by the rules as before."""
    sim = routed()
    to_plan(sim)
    sim.tick(1)
    sim.tick(1)
    sim.submit(task("again", "Disk full on db07 in ap-southeast-2",
                    description="Free space on db07.prod.internal: /var/lib/postgresql is at 97%."),
               task("other", "Add an index on db01 in us-east-1",
                    description="Queries on db01.prod.internal are slow: add an index to orders."))
    sim.tick(1)
    assert sim.queue_task("again")["status"] == "orchestrating"
    assert any("a person moved s" in r for r in sim.plan("orch-again")["classification"]["reasons"])
    assert sim.queue_task("other")["status"] == "assigned"


def test_a_plan_given_to_one_master_cannot_be_moved_to_a_plan_again() -> None:
    entry = {"id": "s", "status": "assigned", "assigned_by": "orchestrator", "handoff_file": "x", "route_to": "security",
             "previous_attempts": [{"attempt": 1, "orchestration_id": "orch-s"}]}
    with pytest.raises(queue_edits.EditRefused, match="planned before"):
        queue_edits.move(entry, "plan", by="a", now="n", has_plan=False)


@pytest.mark.parametrize(("entry", "refused"), [
    ({"status": "pending"}, "only an assigned task"),
    ({"status": "assigned", "assigned_by": "coordinator", "handoff_file": "x"}, "not routed by the orchestrator"),
    ({"status": "assigned", "assigned_by": "orchestrator", "handoff_file": "x", "orchestration_required": True},
     "moved to a plan already"),
])
def test_a_move_to_a_plan_that_does_not_apply_is_refused(entry: dict[str, Any], refused: str) -> None:
    with pytest.raises(queue_edits.EditRefused, match=refused):
        queue_edits.move({"id": "s", **entry}, "PLAN", by="a", now="n", has_plan=False)


def test_a_move_to_a_plan_is_written_as_a_person_would() -> None:
    entry = {"id": "s", "status": "assigned", "assigned_by": "orchestrator", "handoff_file": "x", "assigned_to": "cicd"}
    queue_edits.move(entry, "plan", by="alice", now="n", has_plan=False)
    assert entry["orchestration_required"] is True and entry["moved_by"] == "alice" and entry["assigned_to"] == "cicd"


@pytest.mark.parametrize("name", ["infrastructure", "dev", "plan", ""])
def test_assigned_to_a_name_that_is_no_master_is_said_once_and_the_task_left_as_it_is(name: str) -> None:
    sim = routed("Fix bug in app/main.py line 3", "")
    before = sim.queue_task("s")
    edit(sim, "s", lambda e: e.update(assigned_to=name))
    sim.tick(1)
    sim.tick(1)
    [said] = sim.events("handoff_not_moved", task_id="s")
    assert said["moved_to"] == name and f"{name!r} is not a master" in said["problem"]
    assert ("orchestrator move s plan" in said["action"]) == (name == "plan")
    assert first_handoff(sim)["status"] == "pending"
    assert sim.queue_task("s") == before | {"assigned_to": name, "move_not_followed": name}  # said, for good
    sim = sim.restart()  # the events read at start may no longer hold it (rotated): not said again
    sim.store.put(sim.layout.events, b"")
    sim = sim.restart()
    sim.tick(1)
    assert sim.events("handoff_not_moved") == []
    # the person's next edit, to a master, is followed
    edit(sim, "s", lambda e: e.update(assigned_to="security"))
    sim.tick(1)
    assert sim.queue_task("s")["handoff_file"] == sim.layout.rel(sim.layout.task_handoff("security", "s"))


def test_a_masters_alias_is_a_move_not_a_name_that_is_no_master() -> None:
    sim = routed("Fix bug in app/main.py line 3", "")
    edit(sim, "s", lambda e: e.update(assigned_to="security-master"))
    sim.tick(1)
    assert sim.events("handoff_not_moved") == []
    assert sim.queue_task("s")["handoff_file"] == sim.layout.rel(sim.layout.task_handoff("security", "s"))


def test_an_old_copy_of_the_queue_from_before_the_move_was_followed_brings_back_no_master() -> None:
    """An unlocked writer puts back the queue as the person's move left it (assigned, the handoff named, withdrawn
    and announced since): the task stays planned, nothing says its master took it."""
    sim = routed()
    to_plan(sim)
    old = sim.store.get(sim.layout.queue)
    sim.tick(1)
    sim.tick(1)
    assert sim.queue_task("s")["status"] == "orchestrating"
    sim.store.put(sim.layout.queue, old)
    sim.tick(1)
    sim.tick(1)
    assert sim.events("handoff_not_moved") == []
    assert sim.queue_task("s")["status"] == "orchestrating"
    assert len(sim.events("orchestration_started", task_id="s")) == 1
    assert max(sim.event_ids().values()) == 1
