"""The events file rotated (logrotate) between two runs: nothing announced again, no handoff written twice.

At start the daemon reads the end of ``dashboard-events.jsonl`` to learn what it already announced, and
redoes the effects of what it did not (a crash between a plan's write and its events). A file read whole
was taken to say everything: after a rotation it says nothing of ours, so a restart announced every
plan's last change again and wrote again the stage's handoffs that masters had taken and removed, and
the work was done twice. Each append now leaves a mark (``state/events-mark.json``: where it ended and
its last bytes); a start that does not find those bytes there knows the file was rotated, and takes what
happened up to that append as announced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.clock import FakeClock
from orchestrator.outbox import Outbox
from orchestrator.store import Crash, FolderStore, Layout

from conftest import WIDGET_SUBTASKS, DaemonProcess, queue_doc, queue_task, read_queue, wait_for, write_by_rename
from conftest import task as conftest_task
from sim import SUBTASKS, Sim
from sim import task as sim_task

OTHER_WRITER = b'{"timestamp":"2026-01-01T00:00:00Z","type":"worker_started","source":"worker-1"}\n'


def planned() -> Sim:
    sim = Sim()
    sim.start()
    sim.submit(sim_task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    assert len(sim.handoffs()) == 1
    return sim


def stop_take_handoffs_rotate(sim: Sim, rotated: bytes) -> Sim:
    """The master takes (and removes) the stage's handoff, the daemon stops, the events file is rotated."""
    for path in sim.handoffs():
        del sim.store.files[path]
    sim.core.note("orchestrator_stopped")
    sim.store.files[sim.layout.events] = rotated
    restarted = sim.restart()
    restarted.tick(1)
    return restarted


def gadget_killed_then_rotated(after: float) -> Sim:
    """The widget planned; ``after`` seconds later the gadget planned and its plan written, then a kill -9
    before the pass appended its events; the widget's master takes its handoff, the file is rotated, a
    restart and a pass."""
    sim = planned()
    sim.clock.advance(after)
    sim.submit(sim_task("v", "Gadget", subtasks=SUBTASKS))

    def killed() -> None:
        raise Crash("kill -9 before the pass appended its events")

    sim.core.outbox.flush = killed  # type: ignore[method-assign]
    with pytest.raises(Crash):
        sim.run("queue")
    for path in sim.handoffs():
        if "orch-w" in path.name:
            del sim.store.files[path]
    sim.store.files[sim.layout.events] = OTHER_WRITER  # rotated before the restart
    sim = sim.restart()
    sim.tick(1)
    return sim


def test_a_rotated_events_file_announces_nothing_again_and_writes_no_taken_handoff_again() -> None:
    for rotated in (b"", OTHER_WRITER, OTHER_WRITER * 2000):  # emptied; others' lines, fewer or more bytes than ours
        sim = stop_take_handoffs_rotate(planned(), rotated)
        assert sim.handoffs() == []  # the master took it: not offered again
        assert [e for e in sim.events() if e.get("recovered")] == []
        assert sim.events("handoff_created") == []


def test_a_plan_a_crash_kept_from_the_events_file_is_still_announced_after_a_rotation() -> None:
    """The other side: what happened after the last append (a plan written, then a kill -9 before its
    events reached the file) is not taken as announced because the file was rotated since."""
    sim = gadget_killed_then_rotated(60)
    recovered = [e for e in sim.events() if e.get("recovered")]
    assert recovered and {e["orchestration_id"] for e in recovered} == {"orch-v"}  # the widget's said before
    assert [e["subtask_id"] for e in sim.events("handoff_created")] == [s for s in sim.active("orch-v")]
    assert [p.name for p in sim.handoffs()] == ["to-development-subtask-orch-v-design.json"]  # the widget's, taken: not again


def test_a_handoff_further_back_than_the_start_reads_is_not_written_again() -> None:
    """The same doubling without a rotation: a stage handed off long ago, its event further back in a
    long events file than the part a start reads, its handoff taken and removed by its master."""
    sim = planned()
    for path in sim.handoffs():
        del sim.store.files[path]
    sim.clock.advance(3600)
    sim.store.files[sim.layout.events] += OTHER_WRITER * 60_000  # 5 MB of other writers' lines
    sim.core.note("orchestrator_stopped")
    sim = sim.restart()
    sim.tick(1)
    assert sim.handoffs() == []
    assert len(sim.events("handoff_created")) == 1  # the first, long ago: not said again
    assert [e for e in sim.events() if e.get("recovered")] == []


@pytest.mark.process
def test_the_real_daemon_after_logrotate_writes_no_taken_handoff_again(
        folder: Path, daemon_factory: Callable[..., DaemonProcess]) -> None:
    """On disk, as logrotate does it (``create``: the file moved aside, a new empty one made)."""
    first = daemon_factory(folder).start()
    write_by_rename(folder / "task-queue.json", queue_doc(conftest_task("w", "Widget", subtasks=WIDGET_SUBTASKS)))
    first.wait_event("stage_started", timeout=15)
    handoffs = sorted((folder / "masters").glob("*/handoffs/*.json"))
    assert len(handoffs) == 1
    handoffs[0].unlink()  # the master took it
    assert first.stop() == 0
    events = folder / "dashboard-events.jsonl"
    events.rename(folder / "dashboard-events.jsonl.1")
    events.touch()
    second = daemon_factory(folder).start()
    doc = read_queue(folder)
    doc["tasks"].append(conftest_task("s", "Fix the typo in the footer"))
    write_by_rename(folder / "task-queue.json", doc)
    wait_for(lambda: queue_task(folder, "s")["status"] == "assigned", 15, "s assigned after the restart")
    assert sorted((folder / "masters").glob("*/handoffs/to-*.json")) == []
    assert second.events("handoff_created", subtask_id="orch-w-design") == []
    assert [e for e in second.events() if e.get("recovered")] == []
    assert "events_file_rotated" in second.log.read_text()
    assert second.stop() == 0


def outbox_on_disk(tmp_path: Path) -> tuple[FolderStore, FakeClock, Outbox]:
    """An outbox over a real coordination folder, on a fake clock."""
    store = FolderStore(Layout(tmp_path / "coordination"))
    store.make_folders()
    clock = FakeClock()
    return store, clock, Outbox(store, clock)


def test_on_disk_a_mark_is_found_again_until_the_file_is_rotated(tmp_path: Path) -> None:
    """The mark names the file by its inode: a start over the same file (other writers' lines after ours)
    finds the append where it ended; moved aside, or copied and truncated, it does not."""
    store, clock, box = outbox_on_disk(tmp_path)
    box.emit("task_assigned", key="t1:assigned", task_id="t1")
    box.flush()
    events = store.layout.events
    with events.open("ab") as other:
        other.write(OTHER_WRITER)
    assert Outbox(store, clock)._rotated() is None
    events.rename(events.with_name("dashboard-events.jsonl.1"))
    events.write_bytes(events.with_name("dashboard-events.jsonl.1").read_bytes())  # the same bytes, another file
    assert Outbox(store, clock)._rotated() is not None


def test_events_released_out_of_their_order_are_still_known_as_announced_after_a_rotation(tmp_path: Path) -> None:
    """A pass releases each plan's events when its file is written, not in the order they were staged:
    one append held a later handoff before an earlier start (soak, seed 22). The mark kept the append's
    last line's time as 'announced until', older than the handoff's, so after a rotation and a restart
    the handoff was announced again (23 ids twice in a 300 s soak). One append is written in time order."""
    store, clock, box = outbox_on_disk(tmp_path)
    box.emit("subtask_started", key="orch-b:s1:1:started", hold="orch-b", orchestration_id="orch-b")
    clock.advance(0.004)
    box.emit("handoff_created", key="orch-a:handoff:s1:1", hold="orch-a", orchestration_id="orch-a")
    handoff = box.held("orch-a")
    box.release("orch-a")  # the later one's plan file was written first
    box.release("orch-b")
    box.flush()
    lines = [json.loads(line) for line in store.layout.events.read_bytes().splitlines()]
    assert [e["timestamp"] for e in lines] == sorted(e["timestamp"] for e in lines)
    events = store.layout.events
    events.rename(events.with_name("dashboard-events.jsonl.1"))  # logrotate, then a kill -9 and a start
    clock.advance(10)
    restarted = Outbox(store, clock)
    restarted.learn()
    assert restarted.restore("orch-a", handoff) == 0  # said before the rotation: not said again


def test_a_handoff_released_after_the_marks_append_is_still_announced_after_a_rotation(tmp_path: Path) -> None:
    """The near case: the mark says nothing of what came after its append; a handoff staged then is said."""
    store, clock, box = outbox_on_disk(tmp_path)
    box.emit("subtask_started", key="orch-b:s1:1:started", hold="orch-b", orchestration_id="orch-b")
    box.release("orch-b")
    box.flush()
    clock.advance(0.004)
    box.emit("handoff_created", key="orch-a:handoff:s1:1", hold="orch-a", orchestration_id="orch-a")
    handoff = box.held("orch-a")  # in the plan's file; a kill -9 before the pass's append
    events = store.layout.events
    events.rename(events.with_name("dashboard-events.jsonl.1"))
    clock.advance(10)
    restarted = Outbox(store, clock)
    restarted.learn()
    assert restarted.restore("orch-a", handoff) == 1
