"""Lost or doubled work, attacked a seventh time: events that never come, crashes between writes,
two daemons, a wedged daemon, late and wrong reports, clocks.

Each test here failed before the fix it names; the process tests run the real daemon.
"""

from __future__ import annotations

import errno
import signal
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator import engine

from conftest import DaemonProcess, queue_doc, queue_task, task, wait_for, write_by_rename
from sim import SUBTASKS, Sim
from sim import task as sim_task

SIMPLE = "Fix bug in api/users.py line 42"


# --- one daemon per folder --------------------------------------------------------------------------


@pytest.mark.process
def test_a_lock_file_replaced_by_a_folder_never_lets_a_second_daemon_serve_the_folder(
    folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """Defect: the rescan loop's lock check raised IsADirectoryError (the lock file was a folder for a
    while: a mistaken ``mkdir``, a restore that made it one) and the loop ended for good, silently: the
    lock was never checked again, so a second daemon started once the folder was removed took the new
    lock file and both served the folder (every task handed off twice from then on)."""
    first = daemon_factory(folder).start()
    lock = folder / "orchestrator/daemon.lock"
    lock.unlink()
    lock.mkdir()
    first.wait_event("daemon_lock_unusable", timeout=15)
    lock.rmdir()
    second = daemon_factory(folder)
    second.start(wait=False)
    assert first.proc is not None and second.proc is not None
    # whichever takes the new lock file serves the folder; the other exits with 3
    wait_for(lambda: first.proc.poll() is not None or second.proc.poll() is not None, 30, "one of them to exit")
    loser = first if first.proc.poll() is not None else second
    assert loser.proc is not None and loser.proc.wait(15) == 3
    survivor = second if loser is first else first
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-1", SIMPLE)))
    wait_for(lambda: queue_task(folder, "t-1")["status"] == "assigned", 15, "t-1 assigned")
    assert survivor.alive() and not loser.alive()
    assert len(first.events("daemon_lock_unusable")) == 1  # said once, though checked at every rescan
    assert survivor.stop() == 0


# --- kill -9 between two writes ---------------------------------------------------------------------

ORCH = "orch-w"
DESIGN = f"{ORCH}-design"


def widget(config: dict[str, Any] | None = None) -> Sim:
    """The widget task's plan begun: the design subtask handed off (attempt 1)."""
    sim = Sim(config=config)
    sim.start()
    sim.submit(sim_task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    return sim


def test_a_worker_that_ignores_sigterm_when_the_daemon_dies_is_killed_before_its_retry_starts() -> None:
    """Defect: a failed attempt's worker is stopped with SIGTERM, then SIGKILL after the grace period;
    those stop orders lived only in the daemon's memory. Killed within the grace period, the daemon
    came back, handed the retry off when its backoff ended, and never killed the old worker: two
    attempts of one subtask ran at once, for good."""
    sim = widget({"retry": {"terminate_grace_seconds": 30, "backoff_base_seconds": 1, "jitter": 0}})
    sim.processes.states[79] = "running"
    sim.processes.ignore_term.add(79)
    sim.report(DESIGN, "start", worker_id="w1", pid=79)
    sim.report(DESIGN, "fail", reason="out of memory", worker_id="w1")
    sim.tick(1)
    assert sim.processes.signals == [(79, signal.SIGTERM)] and sim.subtask(DESIGN)["status"] == "retry_wait"
    sim = sim.restart()  # kill -9 within the grace period: the SIGKILL was still to come
    sim.tick(5)  # the backoff is over; the old worker still runs
    assert sim.subtask(DESIGN)["attempt"] == 1  # never two attempts at once
    for _ in range(4):
        sim.tick(10)
    assert (79, signal.SIGKILL) in sim.processes.signals and sim.processes.states[79] == "gone"
    assert sim.subtask(DESIGN)["attempt"] == 2 and sim.subtask(DESIGN)["status"] == "assigned"
    assert [e["how"] for e in sim.events("worker_terminated")] == ["killed"]


# --- a wedged daemon, or a busy one ----------------------------------------------------------------


def drain(sim: Sim, budget: int = 50) -> int:
    """Queue passes as the daemon runs them: another one at once while a pass says ``again``, and
    after a pause while one says ``failed``."""
    for passes in range(1, budget + 1):
        result = sim.run("queue")
        if not (result.again or result.failed):
            return passes
    raise AssertionError("the queue never settled")


def test_a_burst_of_tasks_is_taken_a_bounded_number_per_pass_each_once() -> None:
    """Defect: one pass took every new pending task, however many: a coordinator that dropped 3,000
    tasks at once held the engine for minutes in one pass (classify, plan, write each; 1,000 complex
    ones took 28 s here). Past three lock timeouts the daemon stops its systemd watchdog ping, so
    systemd killed it mid-pass, before the queue claim was written, and the restarted daemon began the
    same pass again: no task was ever taken, unattended, for good."""
    sim = Sim()
    sim.start()
    burst = [sim_task(f"s{n}", f"Fix bug in app/main.py line {n}") if n % 3 else
             sim_task(f"c{n}", f"Widget {n}", subtasks=SUBTASKS) for n in range(250)]
    sim.submit(*burst)
    first = sim.run("queue")
    taken = len(sim.events("task_assigned")) + len(sim.events("orchestration_started"))
    assert first.again and 0 < taken <= engine.TASKS_PER_PASS
    drain(sim)
    sim.tick(1)
    assert all(sim.queue_task(t["id"])["status"] in ("assigned", "orchestrating") for t in burst)
    keyed = Counter(e["event_id"] for e in sim.events() if "event_id" in e)
    assert [k for k, n in keyed.items() if n > 1] == []
    assert len(sim.events("task_assigned")) + len(sim.events("orchestration_started")) == len(burst)


def test_tasks_whose_handoffs_cannot_be_written_hold_up_no_other_task() -> None:
    """A master's handoff folder broken (here: every security handoff refused) with more of its
    tasks at the head of the queue than one pass takes: the tasks behind them are still taken."""
    sim = Sim()
    sim.start()
    create = sim.store._create

    def refusing(files: list[tuple[Path, bytes]]) -> list[bool]:
        if any("/security/" in str(path) for path, _ in files):
            raise OSError(errno.EIO, "Input/output error", str(files[0][0]))
        return create(files)

    sim.store._create = refusing  # type: ignore[method-assign]
    stuck = [sim_task(f"r{n}", f"Rotate the API key of service {n}") for n in range(engine.TASKS_PER_PASS + 20)]
    sim.submit(*stuck, sim_task("d1", "Fix bug in app/main.py line 3"))
    for _ in range(4):
        sim.run("queue")
    assert sim.queue_task("d1")["status"] == "assigned"
    stuck_pass = sim.run("queue")
    assert stuck_pass.failed and not stuck_pass.again  # tried again after a pause, not in a busy loop
    assert all(sim.queue_task(t["id"])["status"] == "pending" for t in stuck)
    assert len(sim.events("handoff_failed")) == len(stuck)  # each said once, however often retried
    sim.store._create = create  # type: ignore[method-assign]
    drain(sim)
    assert all(sim.queue_task(t["id"])["status"] == "assigned" for t in stuck)


# --- clocks and time formats -------------------------------------------------------------------------

BEATS: dict[str, Callable[[datetime], object]] = {
    "local_time_without_offset": lambda now: (now - timedelta(hours=6)).replace(tzinfo=None).isoformat(),
    "lowercase_z": lambda now: now.strftime("%Y-%m-%dT%H:%M:%Sz"),
    "utc_word": lambda now: now.strftime("%Y-%m-%d %H:%M:%S UTC"),
    "http_date": lambda now: now.strftime("%a, %d %b %Y %H:%M:%S GMT"),
}
"""Heartbeats as workers write them that the monitor reads as hours old or not at all: Python's
``datetime.now().isoformat()`` on a host six hours behind UTC, RFC 3339's lowercase ``z``, Ruby's
``Time#to_s`` in UTC, JavaScript's ``toUTCString()``."""


@pytest.mark.parametrize("style", BEATS)
def test_a_worker_whose_beats_cannot_be_read_as_now_is_alive_while_they_change(style: str) -> None:
    """Defect: a heartbeat the monitor could not read, or read hours in the past, counted for nothing,
    though the monitor saw it change every minute: the worker was announced stale after 3 minutes and
    stopped as a zombie ("no heartbeat, file change or progress for 1260s") after 20, while it worked,
    and its work was done again by the retry. A change the monitor saw bounds the age: the beat is
    no older than the look before the one that saw it change."""
    sim = widget()
    sim.processes.states[4242] = "running"
    sim.report(DESIGN, "start", worker_id="w1", pid=4242)
    sim.tick(1)
    beat = sim.layout.worker("w1") / "heartbeat.json"
    for _ in range(30):
        sim.clock.advance(60)
        sim.store.put(beat, {"timestamp": BEATS[style](sim.clock.now()), "worker_id": "w1"})
        sim.tick()
    assert not sim.events("worker_heartbeat_stale") and not sim.events("zombie_detected")
    assert sim.subtask(DESIGN)["status"] == "in_progress" and sim.processes.signals == []
    for _ in range(25):  # it hangs: the same beat from now on
        sim.tick(60)
    assert len(sim.events("worker_heartbeat_stale")) == len(sim.events("zombie_detected")) == 1
    assert sim.subtask(DESIGN)["attempt"] == 2
