"""attack18: an adversary on the day's stage-advance batch (Store.update_json_many) and the outbox's released events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Config, Settings
from orchestrator.store import FolderStore, Layout, LockTimeout, StoreError


def _running(data: dict[str, Any]) -> None:
    data["status"] = "running"


def test_a_subtask_file_swapped_for_a_symlink_holds_up_only_itself(store: FolderStore, tmp_path: Path) -> None:
    """One by one (update_json), a symlink in a subtask file's place failed its own write only (reported
    once as invalid, the others written). In the batch its read follows the link, and its write's
    symlink check raised for the whole step: no sibling was written, on this pass or any later one."""
    first, linked, last = (store.layout.subtask(f"orch-t-s0{i}") for i in (1, 2, 3))
    for path in (first, last):
        path.write_text(json.dumps({"status": "pending"}))
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"status": "pending"}))
    linked.symlink_to(outside)
    with store.working():
        results = store.update_json_many([(first, _running), (linked, _running), (last, _running)])
    assert isinstance(results[1], StoreError) and "symlink" in str(results[1])
    assert results[0] == results[2] == {"status": "running"}
    assert json.loads(first.read_text()) == json.loads(last.read_text()) == {"status": "running"}
    assert json.loads(outside.read_text()) == {"status": "pending"}  # never written through
    assert linked.is_symlink()


def test_a_fifo_and_a_folder_in_the_batch_hold_up_only_themselves(store: FolderStore) -> None:
    """The near case that held: a FIFO (never waited on) and a folder fail their own read only."""
    first, fifo, folder = (store.layout.subtask(f"orch-t-s0{i}") for i in (1, 2, 3))
    first.write_text(json.dumps({"status": "pending"}))
    os.mkfifo(fifo)
    folder.mkdir()
    with store.working():
        results = store.update_json_many([(first, _running), (fifo, _running), (folder, _running)])
    assert results[0] == {"status": "running"}
    assert all(isinstance(r, StoreError) for r in results[1:])
    assert json.loads(first.read_text()) == {"status": "running"}


def test_a_worker_writing_between_the_read_ahead_and_the_locked_write_keeps_what_it_wrote(
        store: FolderStore) -> None:
    """Held: the temp file written ahead (with the plan's fsync) is for the bytes read before the worker's
    write; the change made again under the lock gives other bytes, so it is not taken and none is left."""
    first, second = store.layout.subtask("orch-t-s01"), store.layout.subtask("orch-t-s02")
    for path in (first, second):
        path.write_text(json.dumps({"status": "assigned"}))

    def mark(data: dict[str, Any]) -> None:
        data["orchestrator"] = 1

    with store.working():
        store.ahead_changes([(first, mark), (second, mark)])
        first.write_text(json.dumps({"status": "in_progress", "worker_id": "w1"}))  # the worker, meanwhile
        store.write_json(store.layout.plan("orch-t"), {"orchestration_id": "orch-t"})  # takes the temps ahead
        store.update_json_many([(first, mark), (second, mark)])
    assert json.loads(first.read_text()) == {"status": "in_progress", "worker_id": "w1", "orchestrator": 1}
    assert json.loads(second.read_text()) == {"status": "assigned", "orchestrator": 1}
    assert [p.name for p in first.parent.iterdir() if p.name.startswith(".orchestrator-")] == []


def test_a_lock_held_past_the_timeout_fails_only_its_file_after_the_others_are_written(tmp_path: Path) -> None:
    """Held: another process holds one subtask file's lock longer than lock_timeout_seconds; its sibling
    is written first (not behind the wait), and the held one alone reports LockTimeout."""
    root = tmp_path / "coordination"
    root.mkdir()
    store = FolderStore(Layout(root), Settings(Config.model_validate({"watch": {"lock_timeout_seconds": 0.3}})))
    store.make_folders()
    free, held = store.layout.subtask("orch-t-s01"), store.layout.subtask("orch-t-s02")
    for path in (free, held):
        path.write_text(json.dumps({"status": "assigned"}))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(held) + '.lock'!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(30)\n")],
        stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        written_at: list[float] = []

        def mark(data: dict[str, Any]) -> None:
            data["orchestrator"] = 1
            written_at.append(time.monotonic())

        start = time.monotonic()
        with store.working():
            results = store.update_json_many([(free, mark), (held, mark)])
    finally:
        holder.kill()
        holder.wait()
    assert results[0] == {"status": "assigned", "orchestrator": 1}
    assert isinstance(results[1], LockTimeout)
    assert written_at[0] - start < 0.3  # not behind the held lock's wait
    assert json.loads(held.read_text()) == {"status": "assigned"}


# --- the events file unwritable for many passes ---------------------------------------------------------------


def test_released_plan_events_stay_bounded_while_the_events_file_cannot_be_written(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """``MAX_UNWRITTEN`` bounds the events kept while the file cannot be written; the plans' released
    events (kept for their next outbox) grew without bound beside them, and each plan file written
    again carried every one of them in its outbox, even those the bound had dropped."""
    from orchestrator import outbox as outbox_module
    from orchestrator.clock import FakeClock
    from orchestrator.outbox import Outbox

    monkeypatch.setattr(outbox_module, "MAX_UNWRITTEN", 5)
    store.layout.events.mkdir()  # not a file: every append fails
    outbox = Outbox(store, FakeClock())
    for step in range(20):
        outbox.emit("stage_started", key=f"orch-t:stage:{step}", hold="orch-t", orchestration_id="orch-t")
        outbox.release("orch-t")
        outbox.flush()
    assert outbox.pending == 5
    assert len(outbox.held("orch-t")) <= 5


def test_released_events_under_the_bound_are_kept_for_the_plan_file_and_announced_once_after_healing(
        store: FolderStore) -> None:
    """The near case: under the bound every released event stays in the plan's next outbox; once the file
    can be written they are appended once, and a restart restoring that outbox announces none again."""
    from orchestrator.clock import FakeClock
    from orchestrator.outbox import Outbox

    store.layout.events.mkdir()
    outbox = Outbox(store, FakeClock())
    for step in range(3):
        outbox.emit("stage_started", key=f"orch-t:stage:{step}", hold="orch-t", orchestration_id="orch-t")
        outbox.release("orch-t")
        outbox.flush()
    plan_outbox = outbox.held("orch-t")
    assert [e["event_id"] for e in plan_outbox] == [f"orch-t:stage:{step}" for step in range(3)]
    store.layout.events.rmdir()  # healed
    outbox.flush()
    outbox.flush()
    lines = [json.loads(line) for line in store.layout.events.read_text().splitlines()]
    assert [e["event_id"] for e in lines] == [f"orch-t:stage:{step}" for step in range(3)]
    restarted = Outbox(store, FakeClock())
    restarted.learn()
    assert restarted.restore("orch-t", plan_outbox) == 0


def _unwritable_events(sim: Any) -> list[bool]:
    """The events file cannot be appended while the list holds True."""
    broken = [True]
    append = sim.store.append_events

    def failing(events: Any) -> Any:
        if broken[0]:
            raise StoreError(f"{sim.layout.events}: cannot append: Input/output error")
        return append(events)

    sim.store.append_events = failing
    return broken


@pytest.mark.parametrize("restart", [False, True])
def test_events_unwritable_for_several_passes_of_a_stage_advance_are_announced_once(restart: bool) -> None:
    """Held: a plan handed off, its first stage completed and the next handed off, all while the events file
    could not be written; healed (or after a restart while still broken, then healed), every event is
    announced exactly once and none is lost."""
    from sim import SUBTASKS, Sim, task

    reference = Sim()
    reference.start()
    reference.submit(task("w", "Widget", subtasks=SUBTASKS), task("s", "Fix bug in app/main.py line 3"))
    reference.run("queue")
    reference.tick(1)
    orch = reference.queue_task("w")["orchestration_id"]
    reference.finish_active(orch)
    reference.tick(1)
    reference.tick(1)
    expected = set(reference.event_ids())

    sim = Sim()
    sim.start()
    broken = _unwritable_events(sim)
    sim.submit(task("w", "Widget", subtasks=SUBTASKS), task("s", "Fix bug in app/main.py line 3"))
    sim.run("queue")
    sim.tick(1)
    sim.finish_active(orch)
    sim.tick(1)
    sim.tick(1)
    if restart:
        sim.core.note("orchestrator_stopped")
        sim = sim.restart()
        broken = _unwritable_events(sim)
        sim.tick(1)
    broken[0] = False
    sim.tick(1)
    sim.tick(1)
    counted = sim.event_ids()
    assert [k for k, n in counted.items() if n > 1] == []
    assert sorted(expected - set(counted)) == []


def _advance_with_a_broken_sibling(crash_at: int | None) -> Any:
    """Stage 1 done; the frontend's file is not JSON (a person's bad edit) when stage 2 is handed off; a crash
    before the ``crash_at``-th write of that pass, a restart, then the file mended and the stage finished."""
    from orchestrator.store import Crash

    from sim import SUBTASKS, Sim, task

    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    sim.tick(1)
    orch = sim.queue_task("w")["orchestration_id"]
    good = sim.store.files[sim.layout.subtask(f"{orch}-frontend")]
    sim.store.files[sim.layout.subtask(f"{orch}-frontend")] = b"{not json"
    sim.finish_active(orch)
    before = sim.store.writes
    if crash_at is not None:
        sim.store.crash_at = before + crash_at
    try:
        sim.tick(1)
    except Crash:
        sim.store.crash_at = None
        sim = sim.restart()
    sim.store.crash_at = None
    sim.tick(1)
    sim.store.files[sim.layout.subtask(f"{orch}-frontend")] = good  # mended
    for _ in range(4):
        sim.tick(1)
    return sim, orch, sim.store.writes - before


@pytest.mark.parametrize("crash_at", range(1, 11))
def test_a_crash_anywhere_in_a_stage_advance_with_an_unreadable_sibling_loses_and_doubles_nothing(
        crash_at: int) -> None:
    sim, orch, _ = _advance_with_a_broken_sibling(crash_at)
    counted = sim.event_ids()
    assert [k for k, n in counted.items() if n > 1] == []
    assert sorted(s["status"] for s in sim.plan(orch)["subtasks"]) == ["assigned", "assigned", "completed", "pending"]
    for name in ("backend", "frontend"):
        assert sim.subtask(f"{orch}-{name}")["status"] == "assigned", name
        assert counted[f"{orch}:handoff:{orch}-{name}:1"] == 1, name
    assert counted[f"{orch}:withdrawn:{orch}-design:1"] == 1
    assert counted[f"{orch}:stage:2:started"] == 1


@pytest.mark.parametrize("broken", [True, False])
def test_a_subtask_file_unreadable_at_its_hand_off_is_written_after_a_restart_once_mended(broken: bool) -> None:
    """Regression: the file that could not be read when its stage was handed off is written again by an
    in-memory mark; a restart lost it (the plan's events all announced, nothing to redo), so the mended
    file said ``pending`` for good while the plan and its handoff said assigned: its worker was refused
    ("subtask is pending, not assigned or in progress") and the stage never ended. The near case: a file
    written at the hand-off is not written again after the restart."""
    from sim import SUBTASKS, Sim, task

    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    sim.tick(1)
    orch = sim.queue_task("w")["orchestration_id"]
    frontend = sim.layout.subtask(f"{orch}-frontend")
    good = sim.store.files[frontend]
    if broken:
        sim.store.files[frontend] = b"{not json"
    sim.finish_active(orch)
    sim.tick(1)
    sim = sim.restart()
    if broken:
        sim.store.files[frontend] = good  # mended: as it was before the hand-off
    written = sim.store.written[frontend]
    sim.tick(1)
    sim.tick(1)
    assert sim.subtask(f"{orch}-frontend")["status"] == "assigned"
    assert sim.store.written[frontend] == written + (1 if broken else 0)
    assert sim.report(f"{orch}-frontend", "start", worker_id="w1") is None
