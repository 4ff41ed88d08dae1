"""Lost or doubled work, attacked a seventh time: events that never come, crashes between writes,
two daemons, a wedged daemon, late and wrong reports, clocks.

Each test here failed before the fix it names; the process tests run the real daemon.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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
