"""The tenth attack: what today's change (the events mark, the pass's time bound, log lines at the flush,
linear text rules) and the ninth attack's fixes still got wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from orchestrator import logs
from orchestrator.clock import FakeClock
from orchestrator.outbox import Outbox
from orchestrator.store import FolderStore, Layout
from test_attack9 import tool_with_a_child
from test_events_rotation import gadget_killed_then_rotated

from sim import SUBTASKS, Sim
from sim import task as sim_task

OTHER_WRITER = b'{"timestamp":"2026-01-01T00:00:00Z","type":"worker_started","source":"worker-1"}\n'


def rotated_restart(clock_back: float) -> Sim:
    """Stage 1 handed off and taken by its master, the daemon stopped, the events file rotated; the next
    start's wall clock is ``clock_back`` seconds behind the last event (NTP, a person, a board's RTC)."""
    sim = Sim()
    sim.start()
    sim.submit(sim_task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    for path in sim.handoffs():
        del sim.store.files[path]
    sim.core.note("orchestrator_stopped")
    sim.store.files[sim.layout.events] = OTHER_WRITER
    sim.clock.jump(-clock_back)
    sim = sim.restart()
    sim.tick(1)
    return sim


def test_a_stage_handed_off_after_a_rotation_with_the_clock_set_back_gets_its_handoff() -> None:
    """A handoff made in this run is not taken as written because its time is older than the rotated
    file's last event: stage 2's handoff was never written, the plan stalled."""
    sim = rotated_restart(3600)
    assert sim.handoffs() == []  # stage 1's, taken by its master: not written again
    sim.finish_active("orch-w")
    sim.tick(1)
    stage2 = sim.active("orch-w")
    assert stage2
    assert len(sim.handoffs()) == len(stage2)
    assert {e["subtask_id"] for e in sim.events("handoff_created")} >= set(stage2)


@pytest.fixture
def json_logs() -> Iterator[None]:
    """The daemon's logging as under systemd (JSON lines: stderr is no terminal)."""
    logs.configure(json=True)
    yield
    structlog.reset_defaults()


def test_a_worker_result_that_cannot_be_logged_stops_no_event(json_logs: None) -> None:
    """A result holding half an emoji (a lone surrogate, as JavaScript cuts a string) is an event field
    the JSON log renderer refuses. Rendered at the flush, before the append, it made every flush raise:
    no event was appended again, and the same lines were tried at every pass."""
    sim = Sim()
    sim.start()
    sim.submit(sim_task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    [design] = sim.active("orch-w")
    sim.report(design, "start", worker_id="w-1")
    sim.report(design, "complete", result="designed \ud83d")
    sim.tick(1)
    assert sim.events("subtask_completed", subtask_id=design)
    assert sim.events("stage_started", stage=2)
    sim.submit(sim_task("s", "Fix the typo in the footer"))
    sim.tick(1)
    assert sim.events("task_assigned", task_id="s")


def test_a_mark_whose_offset_no_file_can_have_lets_the_daemon_start(tmp_path: Path) -> None:
    """``state/events-mark.json`` is the daemon's, but a file like any other: one whose end is past what
    a file offset can hold (bit rot, a hand edit) raised OverflowError out of the start's read of the
    events file, and the daemon could not start at all, again and again under systemd."""
    store = FolderStore(Layout(tmp_path / "coordination"))
    store.make_folders()
    first = Outbox(store, FakeClock())
    first.emit("orchestrator_started", key="daemon:started:1")
    first.flush()
    mark = store.read_json(store.layout.events_mark)
    for end in (2**64, 2**63, -(2**63) - 1):
        store.layout.events_mark.write_text(json.dumps(mark | {"end": end}))
        outbox = Outbox(store, FakeClock())
        outbox.learn()  # the file does not hold the mark's bytes there: taken as rotated, as any other mark
        assert outbox.was_announced("daemon:started:1")


def test_a_plan_decided_in_the_millisecond_of_the_last_append_is_announced_after_a_rotation() -> None:
    """Timestamps are in milliseconds. A plan written in the same millisecond as the last append, then a
    kill -9 before its events reached the file, then a rotation: the start took everything up to that
    millisecond's end as announced, so the plan's events were dropped from its outbox (never announced)
    and a handoff not yet written would never be."""
    sim = gadget_killed_then_rotated(0.0004)  # the next pass, within the same millisecond
    recovered = [e for e in sim.events() if e.get("recovered")]
    assert recovered and {e["orchestration_id"] for e in recovered} == {"orch-v"}  # the widget's said before
    assert [e["subtask_id"] for e in sim.events("handoff_created")] == sim.active("orch-v")
    assert [p.name for p in sim.handoffs()] == ["to-development-subtask-orch-v-design.json"]


@pytest.mark.process
def test_a_tool_whose_child_holds_only_its_stderr_open_is_heard(tmp_path: Path) -> None:
    """The ninth attack's fix heard a tool whose child held its stdout open; one whose child held only
    stderr (a helper started with its output to a log, its errors inherited, as ``helper > log &`` does)
    was still waited for until the time limit, its answer thrown away and the child left running."""
    tool_with_a_child(tmp_path, ", stdout=subprocess.DEVNULL")
