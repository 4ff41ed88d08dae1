"""Lost or doubled work, attacked a seventh time: events that never come, crashes between writes,
two daemons, a wedged daemon, late and wrong reports, clocks.

Each test here failed before the fix it names; the process tests run the real daemon.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import DaemonProcess, queue_doc, queue_task, task, wait_for, write_by_rename

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
