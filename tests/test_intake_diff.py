"""A queue pass looks at the entries that changed; every fact is still seen, and a tick looks at all."""

from __future__ import annotations

from sim import Sim, task


def rewrite(sim: Sim, add: list[dict[str, object]] | None = None, drop: str | None = None) -> None:
    """Another writer rewrites the queue: unchanged tasks keep their bytes."""
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"] = [t for t in queue["tasks"] if t.get("id") != drop] + (add or [])
    sim.store.put(sim.layout.queue, queue)


def test_a_task_a_writer_removes_is_reported_by_the_next_queue_pass() -> None:
    sim = Sim()
    sim.start()
    sim.submit(*(task(f"old-{n}", "Fix typo in README", status="completed") for n in range(50)))
    sim.submit(task("t1", "Fix XSS in the login form"))
    sim.run("queue")
    assert sim.events("task_assigned", task_id="t1")
    rewrite(sim, drop="t1", add=[task("t2", "Fix typo in the docs", status="completed")])
    sim.run("queue")
    assert len(sim.events("task_vanished", task_id="t1")) == 1
    sim.tick(1)
    assert len(sim.events("task_vanished", task_id="t1")) == 1


def test_a_duplicate_id_fixed_by_removing_the_copy_is_then_taken() -> None:
    """The entry left was pending all along (not changed): it is taken once its copy is gone."""
    sim = Sim()
    sim.start()
    sim.submit(task("t1", "Fix XSS in the login form"), task("t9", "Fix typo", status="completed"),
               task("t1", "Update the README"))
    sim.run("queue")
    assert sim.events("task_invalid", task_id="t1") and not sim.events("task_assigned")
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"].pop()
    sim.store.put(sim.layout.queue, queue)
    sim.run("queue")
    assert [e["task_id"] for e in sim.events("task_assigned")] == ["t1"]


def test_a_tick_looks_at_every_entry_again_after_passes_that_looked_at_changes() -> None:
    sim = Sim()
    sim.submit(task("t0", "Fix typo", status="completed"))
    sim.start()
    sim.submit(task("t1", "Fix XSS in the login form"))
    sim.run("queue")
    index = sim.core.engine._index
    assert index.incremental
    sim.tick(1)
    assert not index.incremental and len(index.entries) == 2


def test_entries_that_are_not_tasks_are_named_and_the_task_beside_them_is_taken() -> None:
    sim = Sim()
    sim.submit(task("t0", "Fix typo", status="completed"))
    sim.start()
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"] = [42, "text", None, *queue["tasks"], task("t1", "Fix XSS in the login form")]
    sim.store.put(sim.layout.queue, queue)
    sim.run("queue")
    assert len(sim.events("task_invalid")) == 3 and sim.events("task_assigned", task_id="t1")
    sim.submit(task("t2", "Fix XSS in the signup form"))
    sim.run("queue")
    assert len(sim.events("task_invalid")) == 3 and sim.events("task_assigned", task_id="t2")


def test_each_of_several_updates_in_a_row_reaches_the_file() -> None:
    """Task dicts are shared between reads and lines between writes: every change says which
    task it edits, so none is written with its line from before."""
    sim = Sim()
    sim.submit(*(task(f"t{n}", "Fix typo", status="completed") for n in range(6)))
    sim.start()
    for n in range(6):
        assert sim.core.engine.set_task(f"t{n}", "blocked", blocked_reason=f"reason {n}")
        assert sim.queue_task(f"t{n}")["status"] == "blocked"
    assert [sim.queue_task(f"t{n}")["blocked_reason"] for n in range(6)] == [f"reason {n}" for n in range(6)]
