"""The tenth attack: what today's change (the events mark, the pass's time bound, log lines at the flush,
linear text rules) and the ninth attack's fixes still got wrong."""

from __future__ import annotations

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
