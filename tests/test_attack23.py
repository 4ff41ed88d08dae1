"""attack23: adversarial checks of the changes merged 2026-11-27 18:00-19:00 (a17c650's sorted append, ops22's
lock-wait ids, perf16's heap calls, the new patterns of cx17/cx18/plans19/plans20)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.clock import FakeClock
from orchestrator.outbox import Outbox
from orchestrator.store import FolderStore, Layout


def _lines(store: FolderStore) -> list[dict[str, object]]:
    return [json.loads(line) for line in store.layout.events.read_bytes().splitlines()]


def test_a_clock_set_back_within_a_pass_keeps_a_plans_start_before_its_handoff(tmp_path: Path) -> None:
    """a17c650 sorts one append by timestamp. The wall clock set back (NTP, a person) between a plan's
    orchestration_started and its first handoff put the handoff first in the events file: a reader that
    expects a plan's start before its handoffs (the dashboard, a master waiting for its orchestration) saw
    a handoff of a plan never started. The order of the append is the order the events were staged."""
    store = FolderStore(Layout(tmp_path / "coordination"))
    store.make_folders()
    clock = FakeClock()
    box = Outbox(store, clock)
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
    store = FolderStore(Layout(tmp_path / "coordination"))
    store.make_folders()
    clock = FakeClock()
    box = Outbox(store, clock)
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
