"""ops22: what playing the operator's day found (a clean clone, ``make run``, the commands of the README)."""

from __future__ import annotations

from orchestrator import queue_edits

from sim import FAST, Sim, task

COOKIE = "Set a shorter max-age on the session cookie"  # no routing word: the rules send it to development
RULES_ONLY = {**FAST, "classifier": {"learned_model": False}}


def _edit(sim: Sim, task_id: str, change: str) -> None:
    """What ``orchestrator move/cancel/retry`` write into the queue (queue_edits), then a pass."""
    queue = sim.store.get(sim.layout.queue)
    entry = next(t for t in queue["tasks"] if t["id"] == task_id)
    if change == "cancel":
        queue_edits.cancel(entry, by="op@host", now="2026-11-27T10:00:00Z", reason="dup", has_plan=False)
    elif change == "retry":
        queue_edits.retry(entry, by="op@host", now="2026-11-27T10:01:00Z", has_plan=False)
    else:
        queue_edits.move(entry, change, by="op@host", now="2026-11-27T09:59:00Z", has_plan=False)
    sim.store.put(sim.layout.queue, queue)
    sim.tick()


def _remembered(sim: Sim) -> list[tuple[str, str]]:
    return [(c["task_id"], c["master"]) for c in sim.store.get(sim.layout.routing_corrections)]


def test_a_retry_routed_as_a_person_corrected_does_not_withdraw_the_correction() -> None:
    """Moved to security, cancelled, retried: the retry followed the person's word (security), so the task showed
    routed_to = assigned_to = security, which the start took for "moved back to the master the rules chose": the
    correction was forgotten, and said so (``routing_corrected withdrawn=security``) though nobody moved anything."""
    sim = Sim(config=RULES_ONLY)
    sim.start()
    sim.submit(task("t1", COOKIE))
    sim.tick()
    assert sim.queue_task("t1")["routed_to"] == "development"
    _edit(sim, "t1", "security")
    _edit(sim, "t1", "cancel")
    _edit(sim, "t1", "retry")
    assert (sim.queue_task("t1")["routed_to"], sim.queue_task("t1")["assigned_to"]) == ("security", "security")
    for _ in range(2):
        assert _remembered(sim) == [("t1", "security")]
        assert [e for e in sim.events("routing_corrected") if "withdrawn" in e] == []
        sim = sim.restart()
        sim.tick()


def test_a_task_moved_back_where_the_rules_sent_it_still_withdraws_the_correction() -> None:
    """The opposite: a person moving the task back to the master the rules chose withdraws the correction."""
    sim = Sim(config=RULES_ONLY)
    sim.start()
    sim.submit(task("t1", COOKIE))
    sim.tick()
    _edit(sim, "t1", "security")
    assert _remembered(sim) == [("t1", "security")]
    _edit(sim, "t1", "development")
    assert _remembered(sim) == []
    assert [e["withdrawn"] for e in sim.events("routing_corrected") if "withdrawn" in e] == ["security"]
