"""Adversarial cases, fourth round: the monitor's sign watch, batched plan writes, the outbox's restore
and the overrides cache, against a hostile environment (clock steps, crashes, lying workers, files that
are not files). Each case that found a defect says so; the fix is at its cause."""

from __future__ import annotations

import pytest

from orchestrator.store import Crash
from test_core import ORCH, fresh, whole_run


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

