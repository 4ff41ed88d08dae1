"""Adversarial cases, fourth round: the monitor's sign watch, batched plan writes, the outbox's restore
and the overrides cache, against a hostile environment (clock steps, crashes, lying workers, files that
are not files). Each case that found a defect says so; the fix is at its cause."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.store import Crash, StoreError
from orchestrator.timestamps import format_timestamp
from test_core import ORCH, fresh, sid, started, whole_run
from test_hunt import running_worker

from sim import FAST, SUBTASKS, Sim, task


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


# --- a crash at every write of a tick that batches several plans --------------------------------------

PLANS = ("orch-w", "orch-v")


def two_running() -> Sim:
    """Two orchestrations, each with its design subtask's worker running (PIDs 4001 and 4002)."""
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS), task("v", "Valve", subtasks=SUBTASKS))
    sim.run("queue")
    for pid, plan in enumerate(PLANS, 4001):
        sim.processes.states[pid] = "running"
        sim.report(f"{plan}-design", "start", worker_id=f"w-{plan}", pid=pid)
    sim.tick(1)
    return sim


def batched_tick(sim: Sim) -> None:
    """One tick finds, in both plans at once: a completion (orch-w) and a dead worker (orch-v), and
    orch-w's next stage is handed off."""
    sim.report("orch-w-design", "complete", result="designed", worker_id="w-orch-w")
    sim.processes.states[4002] = "gone"
    sim.tick(30)


def run_out(sim: Sim) -> Sim:
    for _ in range(40):
        if all(sim.plan(p)["status"] == "completed" for p in PLANS):
            return sim
        for plan in PLANS:
            for subtask_id in sim.active(plan):
                data = sim.subtask(subtask_id)
                if data["status"] == "assigned":
                    sim.report(subtask_id, "start", worker_id=f"w-{subtask_id}-{data['attempt']}")
                    sim.report(subtask_id, "complete", result="ok")
        sim.tick(30)
    raise AssertionError("the orchestrations did not finish")


def each_step_once(sim: Sim) -> None:
    """Both orchestrations ran to their end, and every step of theirs was announced exactly once."""
    keyed = sim.event_ids()
    assert [k for k, n in keyed.items() if n > 1] == []
    for plan in PLANS:
        assert keyed[f"{plan}:completed"] == 1
        assert keyed[f"{plan}:stage:2:started"] == 1
    assert keyed["orch-w:orch-w-design:1:completed"] == 1
    assert keyed["orch-v:orch-v-design:1:failed"] == 1
    assert keyed["orch-v:orch-v-design:2:completed"] == 1
    assert len(sim.events("orchestration_completed")) == 2
    for plan in PLANS:
        for subtask in sim.plan(plan)["subtasks"]:
            assert sim.subtask(subtask["subtask_id"])["status"] == "completed"


def writes_of(setup: Callable[[], Sim], action: Callable[[Sim], None]) -> int:
    """How many writes ``action`` makes on what ``setup`` made: the crash points to try."""
    sim = setup()
    before = sim.store.writes
    action(sim)
    return sim.store.writes - before


@pytest.mark.parametrize("crash_at", range(1, writes_of(two_running, batched_tick) + 1))
def test_a_crash_at_any_write_of_a_batched_tick_loses_and_doubles_nothing(crash_at: int) -> None:
    sim = two_running()
    sim.store.crash_at = sim.store.writes + crash_at
    with pytest.raises(Crash):
        batched_tick(sim)
    each_step_once(run_out(sim.restart()))


def fail_once_at(sim: Sim, n: int, error: Exception) -> None:
    """The store's ``n``-th write from now raises ``error`` once (a full disk, an I/O error), and the
    process lives on."""
    store = sim.store
    real = store._write
    target = store.writes + n

    def write(path: Path, data: bytes) -> None:
        if store.writes + 1 == target:
            store.writes += 1
            raise error
        real(path, data)

    store._write = write  # type: ignore[method-assign]


@pytest.mark.parametrize("error", [StoreError("/coordination: cannot write: No space left on device"),
                                   OSError(5, "Input/output error")], ids=["store-error", "os-error"])
@pytest.mark.parametrize("fail_at", range(1, writes_of(two_running, batched_tick) + 1))
def test_a_write_that_fails_in_a_batched_tick_loses_and_doubles_nothing(fail_at: int, error: Exception) -> None:
    sim = two_running()
    fail_once_at(sim, fail_at, error)
    try:
        batched_tick(sim)
    except Exception:  # the daemon's loop logs it and goes on with the next pass
        pass
    each_step_once(run_out(sim))


# --- lying and wandering clocks ----------------------------------------------------------------------


def beats_through_its_subtask_file_and_lives(sim: Sim) -> None:
    """The design subtask's worker beats every minute through its subtask file, and nothing else, for
    forty minutes: it is never taken for stale nor a zombie."""
    for _ in range(40):
        sim.clock.advance(60)
        assert sim.report(sid("design"), "heartbeat", worker_id="w1") is None
        sim.tick()
    assert not sim.events("zombie_detected") and not sim.events("worker_heartbeat_stale")
    assert not sim.processes.signals
    assert sim.subtask(sid("design"))["status"] == "in_progress"


def test_a_worker_beating_through_its_subtask_file_after_the_clock_was_set_back_is_alive() -> None:
    sim = running_worker()
    sim.report(sid("design"), "heartbeat", worker_id="w1")
    sim.tick(60)
    sim.clock.jump(-3600)
    beats_through_its_subtask_file_and_lives(sim)


def test_a_hung_worker_rewriting_one_heartbeat_from_the_future_forever_is_found_a_zombie() -> None:
    """Its clock runs two hours ahead, so the wall clock ignores the beat; it rewrites the same beat
    (and nothing else) every minute: not a sign of life."""
    sim = running_worker()
    beat = sim.layout.worker("w1") / "heartbeat.json"
    ahead = format_timestamp(sim.clock.now() + timedelta(hours=2))
    for _ in range(25):
        sim.clock.advance(60)
        sim.store.put(beat, {"timestamp": ahead, "progress": "working"})
        sim.tick()
    assert sim.events("worker_heartbeat_stale", subtask_id=sid("design"))
    assert sim.events("zombie_detected", subtask_id=sid("design"))
    assert sim.processes.signals


def test_a_worker_beating_through_its_subtask_file_beside_an_old_heartbeat_file_is_alive() -> None:
    """Defect: the newest beat of the worker's own files stood for all its beats, so a worker whose
    ``heartbeat.json`` was written once at its start (a wrapper) and which then beat through its subtask
    file (``orchestrator subtask heartbeat``) had its heartbeat judged by the old file: stale after three
    minutes and a zombie, stopped, after twenty, while it beat every minute. The newest beat of any
    source counts."""
    sim = running_worker()
    sim.store.put(sim.layout.worker("w1") / "heartbeat.json", {"timestamp": format_timestamp(sim.clock.now())})
    beats_through_its_subtask_file_and_lives(sim)


def stage_two_running() -> Sim:
    sim = started()
    sim.finish_active(ORCH)
    sim.tick(1)
    for name in ("backend", "frontend"):
        sim.report(sid(name), "start", worker_id=f"w-{name}")
    sim.tick(1)
    return sim


def two_reports(sim: Sim) -> None:
    """Both of stage 2's workers complete; one pass takes both file events (a plan written once)."""
    for name in ("backend", "frontend"):
        sim.report(sid(name), "complete", result=f"{name} built")
    sim.run(("subtask", sid("backend")), ("subtask", sid("frontend")))


@pytest.mark.parametrize("crash_at", range(1, writes_of(stage_two_running, two_reports) + 1))
def test_a_crash_at_any_write_of_a_pass_with_two_reports_on_one_plan_loses_and_doubles_nothing(
        crash_at: int) -> None:
    sim = stage_two_running()
    sim.store.crash_at = sim.store.writes + crash_at
    with pytest.raises(Crash):
        two_reports(sim)
    sim = whole_run(sim.restart())
    keyed = sim.event_ids()
    assert [k for k, n in keyed.items() if n > 1] == []
    for key in (f"{ORCH}:completed", f"{ORCH}:stage:2:completed", f"{ORCH}:stage:3:started",
                f"{ORCH}:{sid('backend')}:1:completed", f"{ORCH}:{sid('frontend')}:1:completed"):
        assert keyed[key] == 1, key
    assert sim.plan(ORCH)["status"] == "completed"


def test_a_blocked_plan_does_not_announce_its_zombie_again_at_every_restart() -> None:
    """Defect: the monitor's condition events (``zombie_detected``, ``worker_heartbeat_stale``, ...) were
    held for their plan with no id. A plan blocked by a zombie keeps its last change's events in its
    ``outbox``, and each restart, unable to tell that ``zombie_detected`` had been announced, announced
    it again. Each condition's start now has a stable id (a heartbeat that goes stale again after a new
    beat is a new one)."""
    sim = running_worker({**FAST, "retry": {**FAST["retry"], "max_attempts": 1}})
    for _ in range(25):
        sim.tick(60)
    assert sim.plan(ORCH)["status"] == "blocked"
    assert len(sim.events("zombie_detected")) == len(sim.events("worker_heartbeat_stale")) == 1
    for _ in range(3):
        sim.clock.advance(60)
        sim = sim.restart()
    assert len(sim.events("zombie_detected")) == len(sim.events("worker_heartbeat_stale")) == 1


def test_a_heartbeat_that_goes_stale_again_after_a_new_beat_is_announced_again() -> None:
    sim = running_worker()
    sim.report(sid("design"), "heartbeat", worker_id="w1")
    for _ in range(4):
        sim.tick(60)
    sim.report(sid("design"), "heartbeat", worker_id="w1")
    sim.tick(1)
    for _ in range(4):
        sim.tick(60)
    assert len(sim.events("worker_heartbeat_stale", subtask_id=sid("design"))) == 2
