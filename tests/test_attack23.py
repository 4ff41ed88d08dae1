"""attack23: adversarial checks of the changes merged 2026-11-27 18:00-19:00 (a17c650's sorted append, ops22's
lock-wait ids, perf16's heap calls, the new patterns of cx17/cx18/plans19/plans20)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from orchestrator.classify import _MOVES_RE, Classifier, _moved_then_retired
from orchestrator.clock import FakeClock
from orchestrator.config import Config
from orchestrator.imperatives import coming
from orchestrator.models import QueueTask
from orchestrator.outbox import Outbox
from orchestrator.store import FolderStore, Layout
from test_attack22 import _in_time
from test_core import ORCH, HeldStore, sid
from test_events_rotation import outbox_on_disk

from sim import SUBTASKS, Sim, task


def _lines(store: FolderStore) -> list[dict[str, object]]:
    return [json.loads(line) for line in store.layout.events.read_bytes().splitlines()]


def test_a_clock_set_back_within_a_pass_keeps_a_plans_start_before_its_handoff(tmp_path: Path) -> None:
    """a17c650 sorts one append by timestamp. The wall clock set back (NTP, a person) between a plan's
    orchestration_started and its first handoff put the handoff first in the events file: a reader that
    expects a plan's start before its handoffs (the dashboard, a master waiting for its orchestration) saw
    a handoff of a plan never started. The order of the append is the order the events were staged."""
    store, clock, box = outbox_on_disk(tmp_path)
    box.emit("orchestration_started", key="orch-a:started", hold="orch-a", orchestration_id="orch-a")
    clock.jump(-3600)  # set back an hour while the pass runs
    clock.advance(0.004)
    box.emit("handoff_created", key="orch-a:handoff:s1:1", hold="orch-a", orchestration_id="orch-a")
    box.release("orch-a")
    box.flush()
    assert [e["type"] for e in _lines(store)] == ["orchestration_started", "handoff_created"]


def test_events_released_out_of_order_on_a_clock_going_forward_are_in_time_order(tmp_path: Path) -> None:
    """The near case, a17c650's own: two plans released in the other order than staged, the clock going
    forward: the append is in time order (which is the order they were staged)."""
    store, clock, box = outbox_on_disk(tmp_path)
    box.emit("subtask_started", key="orch-b:s1:1:started", hold="orch-b", orchestration_id="orch-b")
    clock.advance(0.004)
    box.emit("orchestration_started", key="orch-a:started", hold="orch-a", orchestration_id="orch-a")
    box.emit("handoff_created", key="orch-a:handoff:s1:1", hold="orch-a", orchestration_id="orch-a")
    box.release("orch-a")
    box.release("orch-b")
    box.flush()
    lines = _lines(store)
    assert [e["type"] for e in lines] == ["subtask_started", "orchestration_started", "handoff_created"]
    assert [e["timestamp"] for e in lines] == sorted(str(e["timestamp"]) for e in lines)


def _waiting(*names: str) -> Sim:
    """The widget planned, its design done, the files of ``names`` held locked by another process: a wait said."""
    sim = Sim(store=HeldStore())
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    assert isinstance(sim.store, HeldStore)
    for name in names:
        sim.store.held.add(sim.layout.subtask(sid(name)))
    sim.report(sid("design"), "start", worker_id="w1")
    sim.report(sid("design"), "complete", result="designed", worker_id="w1")
    sim.run(("subtask", sid("design")))
    return sim


def _all_events(sim: Sim, rotated: list[bytes], type_: str) -> list[dict[str, object]]:
    lines = b"".join([*rotated, sim.store.files.get(sim.layout.events, b"")]).splitlines()
    return [e for e in map(json.loads, lines) if e["type"] == type_]


def test_a_lock_wait_open_when_the_events_file_rotated_is_not_said_again_by_a_restart() -> None:
    """ops22 reads the open wait back from the events file; logrotate moved it away before a restart. The restart
    said the same wait again under the same id (``lock_wait:backend:1`` twice across the two files: a reader that
    keeps ids sees one event twice), or, after waits 1 and 2 closed, a new wait as ``:1`` again. Once the lock
    is free: the file written, one ``write_recovered``."""
    sim = _waiting("backend")
    assert isinstance(sim.store, HeldStore)
    sim.clock.advance(5)
    sim.submit(task("g", "Gadget", subtasks=SUBTASKS))  # more said after the wait: the mark is of those
    sim.run("queue")
    sim.clock.advance(5)
    rotated = [sim.store.files[sim.layout.events]]
    sim.core.note("orchestrator_stopped")
    sim.store.files[sim.layout.events] = b""  # logrotate (create), then a restart
    sim = sim.restart()
    assert isinstance(sim.store, HeldStore)
    sim.tick(1)
    sim.tick(60)
    waits = _all_events(sim, rotated, "write_failed")
    assert len(waits) == 1, [e["event_id"] for e in waits]
    sim.store.held.clear()
    sim.tick(1)
    assert sim.subtask(sid("backend"))["status"] == "assigned"
    assert [e["event_id"] for e in _all_events(sim, rotated, "write_recovered")] == [
        f"{ORCH}:lock_free:{sid('backend')}:1"]


def test_a_lock_wait_that_clears_and_comes_back_and_two_waits_at_once_are_each_said_once() -> None:
    """The near cases with no rotation: two subtasks waiting at once (each its own numbered wait), one of them
    cleared and locked again before the next look: one write_failed per wait, one write_recovered per clear."""
    sim = _waiting("backend", "frontend")
    assert isinstance(sim.store, HeldStore)
    sim.tick(1)
    assert sorted(str(e["event_id"]) for e in sim.events("write_failed")) == [
        f"{ORCH}:lock_wait:{sid('backend')}:1", f"{ORCH}:lock_wait:{sid('frontend')}:1"]
    backend = sim.layout.subtask(sid("backend"))
    sim.store.held.discard(backend)
    sim.tick(1)  # backend written: its wait closed
    sim.report(sid("backend"), "start", worker_id="w2")
    sim.store.held.add(backend)  # held again before the daemon's next write of it
    sim.report(sid("backend"), "fail", reason="x", worker_id="w2")
    sim.tick(1)
    sim.tick(60)
    sim = sim.restart()
    sim.tick(1)
    assert sorted(str(e["event_id"]) for e in sim.events("write_failed")) == [
        f"{ORCH}:lock_wait:{sid('backend')}:1", f"{ORCH}:lock_wait:{sid('backend')}:2",
        f"{ORCH}:lock_wait:{sid('frontend')}:1"]
    sim.store.held.clear()
    sim.tick(1)
    sim.tick(60)
    assert sorted(str(e["event_id"]) for e in sim.events("write_recovered")) == [
        f"{ORCH}:lock_free:{sid('backend')}:1", f"{ORCH}:lock_free:{sid('backend')}:2",
        f"{ORCH}:lock_free:{sid('frontend')}:1"]
    assert sim.core.supervisor.locked_out == []


def test_a_run_of_marks_in_a_step_before_a_retiring_step_is_classified_at_once() -> None:
    """cx18's cut-over rule: _MOVES_RE repeated a group whose turn could itself be a run of marks ("[^\\w\\s]+") or
    "first," (also "first" and a turn of ","), so a step opening with a run of 25 dashes, or "first," 20 times, was
    split in every way before the match failed: 30 s for a title of 60 characters, doubling with each mark."""
    classifier = Classifier(Config().classifier)
    for step in ("Please " + "-" * 60 + " x", "*" * 60 + " x"):
        title = f"{step}, update the docs, and remove the old server"
        task = QueueTask.model_validate({"id": "t-1", "status": "pending", "title": title, "description": ""})
        _in_time(partial(classifier.classify, task))
    _in_time(partial(_MOVES_RE.match, "first," * 60 + " x"))  # a step holds no comma today (clauses): the pattern


def test_marks_and_firsts_before_a_move_still_make_the_cut_over() -> None:
    """The near case: the group still reads marks, "first," and "please" before the move, in any number."""
    for opening in ("", "Please -- ", "First, ", "-- first, then ", "firstly, kindly, "):
        text = f"List the cron jobs, {opening}move the ones still needed to Kubernetes CronJobs, and shut the box down."
        assert _moved_then_retired(text, flagged=False), opening
    assert not _moved_then_retired("List the cron jobs, -- copy the files to S3, and shut the box down.", flagged=False)


def test_a_lock_wait_after_one_closed_before_a_rotation_is_numbered_after_it() -> None:
    """The other side of the rotation: wait 1 said and closed, the file rotated, a restart, the file locked again (a
    retry's write): a new wait, said once, numbered 2 (numbered 1 again, its id was one of the rotated file's)."""
    sim = _waiting("backend")
    assert isinstance(sim.store, HeldStore)
    sim.store.held.clear()
    sim.tick(1)
    sim.clock.advance(5)
    sim.submit(task("g", "Gadget", subtasks=SUBTASKS))
    sim.run("queue")
    rotated = [sim.store.files[sim.layout.events]]
    sim.core.note("orchestrator_stopped")
    sim.store.files[sim.layout.events] = b""
    sim = sim.restart()
    assert isinstance(sim.store, HeldStore)
    sim.tick(1)
    sim.report(sid("backend"), "fail", reason="x", worker_id="w2")
    sim.store.held.add(sim.layout.subtask(sid("backend")))
    sim.tick(1)
    sim.tick(60)
    assert [e["event_id"] for e in _all_events(sim, rotated, "write_failed")] == [
        f"{ORCH}:lock_wait:{sid('backend')}:1", f"{ORCH}:lock_wait:{sid('backend')}:2"]
    assert [e["event_id"] for e in _all_events(sim, rotated, "write_recovered")] == [
        f"{ORCH}:lock_free:{sid('backend')}:1"]


def test_a_series_of_a_plan_that_is_over_leaves_the_events_mark(tmp_path: Path) -> None:
    """A plan over (forgotten) in the pass that closed its lock wait: the wait's last ids are appended after the
    forget; the mark carried them for the daemon's life, one entry per such plan. Its near case: a live plan's stays."""
    store = FolderStore(Layout(tmp_path / "coordination"))
    store.make_folders()
    box = Outbox(store, FakeClock())
    box.emit("write_failed", key="orch-a:lock_wait:orch-a-s1:1", series=True)
    box.emit("write_failed", key="orch-b:lock_wait:orch-b-s1:1", series=True)
    box.forget("orch-a")
    box.flush()
    assert store.read_json(store.layout.events_mark)["series"] == {"orch-b:lock_wait:orch-b-s1": 1}


def test_a_long_name_after_from_in_a_booking_is_read_at_once() -> None:
    """plans19's booking (imperatives.coming): who it comes from was up to five pieces of words, and a piece could be
    part of a word, so a long one with no end the pattern wanted ("from <a 64-character hash> !") was split every way:
    3 s a plan for 60 letters, 30 s for 100."""
    for who in ("a" * 300, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" * 3):
        assert _in_time(partial(coming, f"We ordered two cameras from {who} !")) is None


def test_a_booking_from_a_named_outsider_is_still_its_coming_part() -> None:
    """The near cases: a name of one or more words, with its when and purpose after it, and no name (a shop)."""
    assert coming("We ordered two inspection cameras from Keyence") == "Get two inspection cameras from Keyence"
    assert coming("We ordered two inspection cameras from Keyence Corp for the line next week") == (
        "Get two inspection cameras from Keyence Corp for the line next week")
    assert coming("We ordered two cameras from the shop") is None
