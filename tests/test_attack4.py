"""Adversarial cases, fourth round: the monitor's sign watch, batched plan writes, the outbox's restore
and the overrides cache, against a hostile environment (clock steps, crashes, lying workers, files that
are not files). Each case that found a defect says so; the fix is at its cause."""

from __future__ import annotations

import pytest

from orchestrator.store import Crash
from test_core import ORCH, fresh, sid, started, whole_run


def test_an_event_decided_after_the_clock_was_set_back_is_announced_after_a_crash() -> None:
    """Defect: the restore took every held event older than the first event of the events file read at
    start as announced long ago. The file was read whole, so nothing was guessed; but the clock had
    been set back an hour after that first event, so the plan's ``orchestration_started``, decided
    and kept in its outbox by a crash before the append, was never announced."""
    sim = fresh()  # orchestrator_started at 18:00
    sim.clock.jump(-3600)  # NTP puts the clock back: the orchestration starts at 17:00
    sim.store.crash_at = sim.store.writes + 5  # the plan is written, its events are not
    with pytest.raises(Crash):
        whole_run(sim)
    assert not sim.events("orchestration_started")
    assert sim.plan(ORCH)["outbox"]
    sim = sim.restart()
    assert len(sim.events("orchestration_started")) == 1


def test_the_runtime_cap_counts_from_the_start_not_from_the_handoff() -> None:
    """Defect: the sign watch's ``watched`` counts from the monitor's first look at the attempt, which is
    its handoff, and the runtime cap took the larger of it and the wall clock's time since the start:
    a worker that took nine minutes to pick its handoff up and then worked, beating, for 52 minutes was
    stopped as over its 60-minute runtime, whose wall-clock reading said 52."""
    sim = started()
    sim.tick(1)
    for _ in range(9):  # the handoff waits nine minutes: under the never-started timeout (10)
        sim.tick(60)
    sim.processes.states[4242] = "running"
    sim.report(sid("design"), "start", worker_id="w1", pid=4242)
    sim.tick(1)
    for _ in range(52):
        sim.clock.advance(60)
        sim.report(sid("design"), "heartbeat", worker_id="w1", progress=f"{sim.clock.now()}")
        sim.tick()
    assert not sim.events("worker_runtime_exceeded")
    assert not sim.processes.signals
    assert sim.subtask(sid("design"))["status"] == "in_progress"
