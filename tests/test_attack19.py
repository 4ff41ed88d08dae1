"""A nineteenth attack: a move to a plan (``orchestrator move TASK plan``) against a crash at every write and a
restart, the task changed again before the daemon looks, an old copy of the queue, a master taking the handoff
meanwhile, the planner failing after the withdrawal, and corrections that could capture a different task."""

from __future__ import annotations

import pytest

from orchestrator import queue_edits
from orchestrator.moves import PLAN_REASON
from test_move_to_plan import edit, routed, to_plan

from sim import Sim, task


@pytest.mark.parametrize("crash_at", range(1, 16))
def test_a_move_to_a_plan_is_announced_once_whatever_write_the_crash_cut(crash_at: int) -> None:
    """Persist, then announce: the withdrawal's event follows the queue's write. Regression: a crash between the
    two (the events file's write, the 3rd) lost ``handoff_withdrawn`` for good, as the restarted daemon found the
    task pending (no handoff named) and planned it; its master's consumer was never told why the handoff went."""
    sim = routed()
    master = sim.queue_task("s")["assigned_to"]
    to_plan(sim)
    sim = sim.crash_and_restart(crash_at)
    path = sim.layout.rel(sim.layout.task_handoff(master, "s"))
    [withdrawn] = sim.events("handoff_withdrawn", task_id="s")
    assert (withdrawn["path"], withdrawn["reason"], withdrawn["master"]) == (path, PLAN_REASON, master)
    assert len(sim.events("routing_corrected", task_id="s")) == 1
    assert len(sim.events("orchestration_started", task_id="s")) == 1
    assert sim.queue_task("s")["status"] == "orchestrating"
    assert [p for p in sim.handoffs() if sim.store.get(p).get("status") == "pending" and "orch" not in p.name] == []
    assert max(sim.event_ids().values()) == 1


@pytest.mark.parametrize("crash_at", [0, 3])
def test_a_task_moved_to_another_master_then_to_a_plan_says_that_masters_handoff_withdrawn(crash_at: int) -> None:
    """The withdrawn handoff is the one the attempt last named (the second master's), said once whether or not a
    crash came between the queue's write and the events; the first master's, withdrawn for the move, is not said as
    withdrawn for a plan."""
    sim = routed()
    first = sim.queue_task("s")["assigned_to"]
    other = "security" if first != "security" else "development"
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["assigned_to"] = other
    sim.store.put(sim.layout.queue, queue)
    sim.tick(1)
    assert sim.queue_task("s")["handoff_file"] == sim.layout.rel(sim.layout.task_handoff(other, "s"))
    to_plan(sim)
    sim = sim.crash_and_restart(crash_at) if crash_at else sim
    sim.tick(1)
    sim.tick(1)
    [withdrawn] = sim.events("handoff_withdrawn", task_id="s")
    assert (withdrawn["master"], withdrawn["reason"]) == (other, PLAN_REASON)
    assert sim.queue_task("s")["status"] == "orchestrating"
    assert max(sim.event_ids().values()) == 1


def _pending_master_handoffs(sim: Sim) -> list[str]:
    return [sim.layout.rel(p) for p in sim.handoffs()
            if sim.store.get(p).get("status") == "pending" and "subtask" not in p.name]


@pytest.mark.parametrize("to_a_plan", [True, False])
def test_a_task_cancelled_and_retried_before_the_daemon_looked_leaves_no_live_handoff_beside_its_plan(
        to_a_plan: bool) -> None:
    """Moved to a plan, then cancelled and retried (the daemon down, or both edits in one pass): the daemon sees only
    attempt 2, which it plans. Regression: the first master's handoff of attempt 1 stayed ``pending`` beside the plan
    (two doing one task): a retried attempt routed to a master withdrew the earlier ones ("superseded"), a planned
    one did not. The near case (no move to a plan): attempt 2 routed to a master, attempt 1 withdrawn as before."""
    sim = routed()
    master = sim.queue_task("s")["assigned_to"]
    if to_a_plan:
        to_plan(sim)
    edit(sim, "s", lambda e: queue_edits.cancel(e, by="bob", now="2026-01-01T00:00:01Z", reason=None, has_plan=False))
    edit(sim, "s", lambda e: queue_edits.retry(e, by="bob", now="2026-01-01T00:00:02Z", has_plan=False))
    sim.tick(1)
    sim.tick(1)
    first = sim.layout.rel(sim.layout.task_handoff(master, "s"))
    assert sim.queue_task("s")["status"] == ("orchestrating" if to_a_plan else "assigned")
    assert _pending_master_handoffs(sim) == ([] if to_a_plan else [sim.queue_task("s")["handoff_file"]])
    [withdrawn] = sim.events("handoff_withdrawn", task_id="s", path=first)
    assert withdrawn["reason"] == "superseded by attempt 2 (orchestrator retry)"
    assert max(sim.event_ids().values()) == 1


def test_a_planned_retry_withdraws_nothing_a_move_to_a_plan_withdrew_already() -> None:
    """The near case: attempt 2 of a move to a plan, its handoff withdrawn for the plan: not said again."""
    sim = routed()
    to_plan(sim)
    sim.tick(1)
    sim.tick(1)
    [withdrawn] = sim.events("handoff_withdrawn", task_id="s")
    assert withdrawn["reason"] == PLAN_REASON


@pytest.mark.parametrize("crash_at", range(1, 10))
def test_a_planned_retry_withdraws_the_earlier_handoff_whatever_write_a_crash_cut(crash_at: int) -> None:
    """The withdrawal comes before the plan is written, and again at start for a claim a crash left without a plan."""
    sim = routed()
    to_plan(sim)
    edit(sim, "s", lambda e: queue_edits.cancel(e, by="bob", now="2026-01-01T00:00:01Z", reason=None, has_plan=False))
    edit(sim, "s", lambda e: queue_edits.retry(e, by="bob", now="2026-01-01T00:00:02Z", has_plan=False))
    sim = sim.crash_and_restart(crash_at)
    assert sim.queue_task("s")["status"] == "orchestrating"
    assert _pending_master_handoffs(sim) == []
    assert len(sim.events("handoff_withdrawn", task_id="s")) == 1
    assert len(sim.events("orchestration_started", task_id="s")) == 1
    assert max(sim.event_ids().values()) == 1


def test_an_old_copy_of_the_queue_from_before_a_move_to_a_plan_does_not_withdraw_the_persons_word() -> None:
    """An unlocked writer puts back the queue as it was before the person's move (routed to its master, no word of a
    plan): that is no person moving the task back. Regression: it withdrew the correction ("moved back to the master
    the rules chose"), for good (the entry stays so until the plan completes it), and a near-identical task was
    routed to the master again, the person's word lost."""
    sim = routed()
    old = sim.store.get(sim.layout.queue)
    to_plan(sim)
    sim.tick(1)
    sim.tick(1)
    sim.store.put(sim.layout.queue, old)
    sim.tick(1)
    sim.tick(60)
    assert [e for e in sim.events("routing_corrected") if "withdrawn" in e] == []
    sim.submit(task("again", "Disk full on db07 in ap-southeast-2",
                    description="Free space on db07.prod.internal: /var/lib/postgresql is at 97%."))
    sim.tick(1)
    assert sim.queue_task("again")["status"] == "orchestrating"


def test_a_task_moved_to_a_master_and_back_still_withdraws_that_correction() -> None:
    """The near case: a person's move to another master and back withdraws that correction, as before."""
    sim = routed()
    master = sim.queue_task("s")["assigned_to"]
    other = "security" if master != "security" else "development"
    for to in (other, master):
        edit(sim, "s", lambda e, to=to: e.update(assigned_to=to))
        sim.tick(1)
        sim.tick(1)
    [withdrawn] = [e for e in sim.events("routing_corrected") if "withdrawn" in e]
    assert withdrawn["withdrawn"] == other


@pytest.mark.parametrize("crash_at", range(1, 12))
def test_set_back_to_pending_by_hand_is_finished_once_whatever_write_the_crash_cut(crash_at: int) -> None:
    """The by-hand form of the move (``orchestration_required: true``, ``pending`` again) against the same crashes."""
    sim = routed()
    master = sim.queue_task("s")["assigned_to"]
    edit(sim, "s", lambda e: e.update(status="pending", orchestration_required=True, moved_by="alice"))
    sim = sim.crash_and_restart(crash_at)
    [withdrawn] = sim.events("handoff_withdrawn", task_id="s")
    assert withdrawn["path"] == sim.layout.rel(sim.layout.task_handoff(master, "s"))
    assert len(sim.events("routing_corrected", task_id="s")) == 1
    assert len(sim.events("orchestration_started", task_id="s")) == 1
    assert _pending_master_handoffs(sim) == []
    assert max(sim.event_ids().values()) == 1


@pytest.mark.parametrize("crash_at", range(1, 6))
def test_a_move_to_a_plan_too_late_is_said_once_whatever_write_the_crash_cut(crash_at: int) -> None:
    """Its master took the handoff: ``handoff_not_moved`` once, no plan, across a crash at each write."""
    sim = routed()
    path = sim.layout.root / sim.queue_task("s")["handoff_file"]
    sim.store.put(path, sim.store.get(path) | {"status": "in_progress"})
    to_plan(sim)
    sim = sim.crash_and_restart(crash_at)
    assert len(sim.events("handoff_not_moved", task_id="s")) == 1
    assert sim.queue_task("s")["status"] == "assigned"
    assert not sim.store.exists(sim.layout.plan("orch-s"))
    assert sim.events("routing_corrected") == []


@pytest.mark.parametrize("crash_at", range(1, 6))
def test_a_move_to_another_master_too_late_is_said_once_whatever_write_the_crash_cut(crash_at: int) -> None:
    """The same for ``orchestrator move s MASTER`` (regression for both: the queue's ``move_not_followed`` mark landed,
    the crash came before the events, and the mark kept the restart from looking at the move again: never said)."""
    sim = routed()
    path = sim.layout.root / sim.queue_task("s")["handoff_file"]
    master = sim.queue_task("s")["assigned_to"]
    other = "security" if master != "security" else "development"
    sim.store.put(path, sim.store.get(path) | {"status": "in_progress"})
    edit(sim, "s", lambda e: queue_edits.move(e, other, by="alice", now="2026-01-01T00:00:00Z", has_plan=False))
    sim = sim.crash_and_restart(crash_at)
    [said] = sim.events("handoff_not_moved", task_id="s")
    assert (said["master"], said["moved_to"]) == (master, other)
    assert sim.queue_task("s")["move_not_followed"] == other


def test_a_move_too_late_said_before_the_events_rotated_is_not_said_again() -> None:
    """The near case: said, then the events file rotated away (the start reads nothing of that moment): the queue's
    mark keeps it said, as before."""
    sim = routed()
    path = sim.layout.root / sim.queue_task("s")["handoff_file"]
    sim.store.put(path, sim.store.get(path) | {"status": "in_progress"})
    to_plan(sim)
    sim.tick(1)
    assert len(sim.events("handoff_not_moved", task_id="s")) == 1
    sim.store.put(sim.layout.events, b"")
    sim = sim.restart()
    sim.tick(1)
    assert sim.events("handoff_not_moved") == []
