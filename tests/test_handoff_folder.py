"""What sits in ``masters/*/handoffs/`` beside the live handoffs, and what a master skips (ops25: new users saw
withdrawn handoffs and empty ``*.json.lock`` files and asked whether to clean them up). Decided: both stay. A withdrawn
handoff (``status: "cancelled"``) is read back by the daemon (a task moved back offers it again) and records the
withdrawal; a lock file is never removed (removing one someone waits on lets two writers in). A master takes only the
``*.json`` files whose ``status`` is ``pending`` or missing, as the handoff consumer does (interop.md): this pins that
the rule picks exactly the live handoffs, and that the withdrawn one kept is what a move back offers again."""

from __future__ import annotations

from pathlib import Path

from sim import Sim, task


def _taken_by_masters(sim: Sim) -> list[str]:
    """The files a master takes, by the documented rule."""
    return [str(p).split("/masters/")[1] for p in sim.handoffs() if p.name.endswith(".json")
            and sim.store.get(p).get("status", "pending") == "pending"]


def _edit(sim: Sim, task_id: str, **fields: object) -> None:
    queue = sim.store.get(sim.layout.queue)
    next(t for t in queue["tasks"] if t["id"] == task_id).update(fields)
    sim.store.put(sim.layout.queue, queue)
    sim.tick(1)
    sim.tick(1)


def test_a_master_that_takes_only_pending_handoffs_skips_the_withdrawn_ones_the_daemon_keeps() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("bob", "Talk to Bob about Friday"), task("xss", "Fix XSS in the login form"))
    sim.tick(1)
    _edit(sim, "bob", assigned_to="inventory")  # a person moves it
    _edit(sim, "xss", status="cancelled")
    kept = {str(p).split("/masters/")[1]: sim.store.get(p)["status"] for p in sim.handoffs()}
    assert kept == {"development/handoffs/bob.json": "cancelled", "inventory/handoffs/bob.json": "pending",
                    "security/handoffs/xss.json": "cancelled"}
    assert _taken_by_masters(sim) == ["inventory/handoffs/bob.json"]
    withdrawn = sim.store.get(Path(f"{sim.layout.root}/masters/development/handoffs/bob.json"))
    assert withdrawn["cancelled_reason"] and withdrawn["cancelled_at"]
    _edit(sim, "bob", assigned_to="development")  # moved back: the kept handoff is offered again, not a new one
    assert _taken_by_masters(sim) == ["development/handoffs/bob.json"]
