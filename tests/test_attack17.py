"""A seventeenth attack: moves, moves back and moves on to a third master against crashes at every write,
old copies of the queue, cancel and retry, and handoff files others can write (``handed_on``)."""

from __future__ import annotations

import contextlib

import pytest

from orchestrator.models import normalize_master
from orchestrator.store import Crash

from sim import Sim, task


def routed() -> Sim:
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in app/main.py line 3"))  # development's
    sim.run("queue")
    return sim


def move(sim: Sim, master: str, task_id: str = "s") -> None:
    """A person's move, by hand in the queue (what ``orchestrator move`` writes, less its stamps)."""
    queue = sim.store.get(sim.layout.queue)
    next(t for t in queue["tasks"] if t["id"] == task_id)["assigned_to"] = master
    sim.store.put(sim.layout.queue, queue)


def pending(sim: Sim) -> list[str]:
    return [p.parent.parent.name for p in sim.handoffs() if b'"pending"' in sim.store.files[p]
            and sim.store.get(p).get("status") == "pending"]


def assert_with(sim: Sim, master: str) -> None:
    """The task's one pending handoff is ``master``'s, the queue names it, every handoff and withdrawal was
    announced, no event id twice."""
    assert pending(sim) == [master]
    assert sim.queue_task("s")["handoff_file"] == sim.layout.rel(sim.layout.task_handoff(master, "s"))
    created = {e["path"] for e in sim.events("handoff_created")}
    said = {e["path"] for e in sim.events("handoff_withdrawn")} | {e.get("withdrawn") for e in sim.events("handoff_created")}
    for path in sim.handoffs():
        assert sim.layout.rel(path) in created
        if sim.store.get(path)["status"] == "cancelled":
            assert sim.layout.rel(path) in said
    assert max(sim.event_ids().values()) == 1


MOVES = [("security",), ("security", "development"), ("security", "cicd"), ("security", "cicd", "development"),
         ("security", "cicd", "security"), ("security-master", "\ndevelopment"), ("security", "cicd", "inventory",
                                                                                 "development")]


@pytest.mark.parametrize("moves", MOVES, ids=lambda m: "-".join(x.strip() for x in m))
@pytest.mark.parametrize("crash_at", range(0, 10, 3))
def test_each_move_of_a_chain_is_followed_whatever_the_crash(moves: tuple[str, ...], crash_at: int) -> None:
    """Moves away, back, and on to a third and a fourth master (aliases on either side), the last one's pass
    crashing at its ``crash_at``-th write (0: no crash), a restart: the last chosen master has the only pending
    handoff. Regression: a task moved development -> security -> cicd -> development left development's handoff
    withdrawn for good (``offer_again`` took back only a handoff withdrawn for a move to the master the task came
    back from, and development's had been withdrawn for the move to security): nobody had the work, and the queue
    named a cancelled handoff."""
    sim = routed()
    for master in moves[:-1]:
        sim.clock.advance(5)
        move(sim, master)
        sim.run("queue")
    sim.clock.advance(5)
    move(sim, moves[-1])
    sim.store.crash_at = sim.store.writes + crash_at if crash_at else None
    with contextlib.suppress(Crash):
        sim.run("queue")
    sim.store.crash_at = None
    sim.clock.advance(1)
    sim = sim.restart()
    sim.tick(1)
    assert_with(sim, str(normalize_master(moves[-1])))
    last = sim.store.get(sim.layout.task_handoff(str(normalize_master(moves[-1])), "s"))
    assert last["moved_from"] == normalize_master(moves[-2]) if len(moves) > 1 else "development"


@pytest.mark.parametrize("restart", [False, True])
@pytest.mark.parametrize("then", ["nothing", "move on", "move back", "move on at once"])
def test_an_old_copy_that_lost_a_followed_move_does_not_hide_who_has_the_task(restart: bool, then: str) -> None:
    """A move followed (security has the task's pending handoff), then an unlocked writer puts back its copy of the
    queue from before the move: the queue named development and development's withdrawn handoff. Regression: it
    stayed so (the queue named a master not doing the work), and a person's next move, to cicd, was refused as
    "development had taken the handoff already (cancelled)" while security kept the work. The withdrawn handoff
    says where the task went (``handed_on``): the queue is put right, and the next move starts from there."""
    sim = routed()
    before = sim.store.files[sim.layout.queue]
    move(sim, "security")
    sim.run("queue")
    sim.store.put(sim.layout.queue, before)
    if then == "move on at once":  # the person's move lands on the old copy before any pass: it starts from security
        move(sim, "cicd")
        sim = sim.restart() if restart else sim
        sim.tick(1)
        assert_with(sim, "cicd")
        assert sim.store.get(sim.layout.task_handoff("cicd", "s"))["moved_from"] == "security"
        assert sim.events("handoff_not_moved") == []
        return
    if restart:
        sim = sim.restart()
    sim.tick(1)
    assert_with(sim, "security")
    assert normalize_master(sim.queue_task("s")["assigned_to"]) == "security"
    assert len(sim.events("claim_restored", task_id="s")) == 1
    if then == "nothing":
        return
    sim.clock.advance(5)
    move(sim, "cicd" if then == "move on" else "development")
    sim.run("queue")
    assert_with(sim, "cicd" if then == "move on" else "development")
    assert sim.events("handoff_not_moved") == []


def test_a_handed_on_mark_is_trusted_only_as_this_tasks_handoff_at_another_master() -> None:
    """``handed_on`` is read from a file its master (or anyone) can write. A mark that names a file out of the
    folder, another task's handoff or no handoff of ours is not followed: the move is made as if no mark were
    there (the first handoff withdrawn already for it, the chosen master's written)."""
    for mark in ("../../../etc/passwd", "/etc/passwd", "masters/cicd/handoffs/other.json",
                 "masters/nobody/handoffs/s.json", "masters/development/handoffs/s.json", ["x"]):
        sim = routed()
        first = sim.layout.task_handoff("development", "s")
        sim.store.update_json(first, lambda h, mark=mark: h.update(
            status="cancelled", cancelled_reason="moved to cicd by a person", handed_on=mark))
        move(sim, "cicd")
        sim.run("queue")
        assert_with(sim, "cicd")


@pytest.mark.parametrize("crash_at", range(1, 8))
def test_a_move_cut_short_by_a_cancel_and_a_crash_is_still_announced(crash_at: int) -> None:
    """A move followed (the first handoff withdrawn, security's written and marked), a cancel landing under the
    daemon's queue write, and a crash before the events reached the file. Regression: the restart announced moves
    only of ``assigned`` tasks: security's handoff was withdrawn by the cancel (said) but its creation, and
    development's withdrawal for the move, were never said. A near case: the same cancel with no move has nothing
    more to say."""
    for moved in (True, False):
        sim = routed()
        sim.clock.advance(5)
        if moved:
            move(sim, "security")

        def cancel(sim: Sim = sim) -> None:
            queue = sim.store.get(sim.layout.queue)
            queue["tasks"][0].update(status="cancelled", cancelled_by="person")
            sim.store.put(sim.layout.queue, queue)

        raced = sim.before_next_queue_write(cancel) if moved else [True]
        if not moved:
            cancel()
        sim.store.crash_at = sim.store.writes + crash_at
        with contextlib.suppress(Crash):
            sim.run("queue")
        sim.store.crash_at = None
        sim.clock.advance(1)
        sim = sim.restart()
        if not raced:  # the crash came before the queue's write: the person's cancel comes after the restart
            cancelled = sim.store.get(sim.layout.queue)
            cancelled["tasks"][0].update(status="cancelled", cancelled_by="person")
            sim.store.put(sim.layout.queue, cancelled)
        sim.tick(1)
        assert pending(sim) == []
        created = {e["path"] for e in sim.events("handoff_created")}
        said = {e["path"] for e in sim.events("handoff_withdrawn")} | {
            e.get("withdrawn") for e in sim.events("handoff_created")}
        for path in sim.handoffs():
            assert sim.layout.rel(path) in created and sim.layout.rel(path) in said
        assert max(sim.event_ids().values()) == 1
        assert len(sim.events("handoff_created", task_id="s")) == (2 if moved else 1)


def test_a_move_whose_new_handoff_cannot_be_written_is_said_once_not_at_every_tick() -> None:
    """The chosen master's handoff path holds a file that is not JSON (a directory or a FIFO in a real folder say
    the same): the move cannot be followed, ``handoff_failed`` says so. Regression: said again at every tick (the
    problems remembered once said were kept for pending tasks only, and a moved task is ``assigned``). Once the
    path is cleared the move is followed; a second, different problem is said again."""
    sim = routed()
    sim.store.put(sim.layout.task_handoff("security", "s"), b"{not json")
    move(sim, "security")
    for _ in range(4):
        sim.tick(61)
    assert len(sim.events("handoff_failed", task_id="s")) == 1
    assert sim.store.get(sim.layout.task_handoff("development", "s"))["status"] == "cancelled"  # for the move
    sim.store.put(sim.layout.task_handoff("security", "s"), b"[1, 2]")  # another problem: said
    sim.tick(61)
    sim.tick(61)
    assert len(sim.events("handoff_failed", task_id="s")) == 2
    del sim.store.files[sim.layout.task_handoff("security", "s")]
    sim.tick(61)
    sim.tick(61)  # (a tick looks at every entry again every other time)
    assert_with(sim, "security")


def test_a_move_that_cannot_be_followed_is_forgotten_once_the_task_is_moved_back() -> None:
    """The problem kept for a move that fails makes every pass read the queue again; moved back (nothing left to
    follow), it is dropped and the pass's shortcut for an unchanged queue works again."""
    sim = routed()
    sim.store.put(sim.layout.task_handoff("security", "s"), b"{not json")
    move(sim, "security")
    sim.tick(61)
    engine = sim.core.engine
    assert engine.moves.problems
    move(sim, "development")
    sim.tick(61)
    sim.tick(61)
    assert not engine.moves.problems and engine._seen is not None


@pytest.mark.parametrize("cut", ["broken path", "crash"])
def test_a_move_cut_short_then_moved_back_leaves_the_task_with_its_first_master(cut: str) -> None:
    """A move to security cut short after development's handoff was withdrawn for it (security's path broken, or a
    crash and the daemon down), and the person moves the task back to development. Regression: the queue then named
    development's handoff, withdrawn for good, and nobody had the work. It is offered again."""
    sim = routed()
    move(sim, "security")
    if cut == "broken path":
        sim.store.put(sim.layout.task_handoff("security", "s"), b"{not json")
        sim.tick(61)
    else:
        sim.store.crash_at = sim.store.writes + 3  # the routing correction, development's withdrawal, then the crash
        with contextlib.suppress(Crash):
            sim.run("queue")
        sim.store.crash_at = None
        assert not sim.store.exists(sim.layout.task_handoff("security", "s"))
    assert sim.store.get(sim.layout.task_handoff("development", "s"))["status"] == "cancelled"
    move(sim, "development")
    if cut == "crash":
        sim = sim.restart()
    sim.tick(61)
    sim.tick(61)
    assert pending(sim) == ["development"]
    assert sim.queue_task("s")["handoff_file"] == sim.layout.rel(sim.layout.task_handoff("development", "s"))
    assert max(sim.event_ids().values()) == 1
