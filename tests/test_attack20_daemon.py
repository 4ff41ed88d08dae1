"""A twentieth attack with the real daemon: subtask files another process holds locked past the lock timeout, across
a kill -9 and a restart while they are held (the watchdog pings only while no pass runs longer than three timeouts),
and how soon a file is written once its lock is let go of."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from test_attack20 import WIDE, _held
from test_commands import cli

from conftest import DaemonProcess, queue_doc, task, wait_for

TIMEOUT = 1.0


def _daemon(folder: Path, factory: Callable[[Path, Path], DaemonProcess], tmp_path: Path,
            monitor: float) -> DaemonProcess:
    config = tmp_path / "slow-lock.toml"
    config.write_text(f"[watch]\ndebounce_seconds = 0.002\nrescan_interval_seconds = 0.5\n"
                      f"read_retry_delay_seconds = 0.02\nread_retries = 3\nlock_timeout_seconds = {TIMEOUT}\n"
                      f"[monitor]\ninterval_seconds = {monitor}\n")
    (folder / "task-queue.json").write_text(json.dumps(queue_doc(task("w", "Widget", subtasks=WIDE))))
    daemon = factory(folder, config).start()
    daemon.wait_event("orchestration_started", task_id="w")
    return daemon


def _finish_design(folder: Path, daemon: DaemonProcess, held: int) -> None:
    cli(folder, "subtask", "start", "orch-w-design", "--worker-id", "w1")
    cli(folder, "subtask", "complete", "orch-w-design", "--worker-id", "w1", "--result", "designed")
    wait_for(lambda: len(daemon.events("write_failed")) == held, 30, f"{held} write_failed")


def _status(path: Path) -> str:
    return str(json.loads(path.read_text())["status"])


def test_a_restart_while_five_sibling_files_are_held_waits_one_lock_timeout_and_writes_them_once_free(
        folder: Path, daemon_factory: Callable[[Path, Path], DaemonProcess], tmp_path: Path) -> None:
    """Before one wait a pass, the restarted daemon's first pass waited five timeouts (past the watchdog's three)
    before it routed anything; now one. The new task is routed while the files are still held, and each file is
    written once free, with one handoff."""
    daemon = _daemon(folder, daemon_factory, tmp_path, monitor=3)
    parts = [folder / "orchestrator" / "subtasks" / f"orch-w-part{n}.json" for n in range(1, 6)]
    with _held(parts):
        _finish_design(folder, daemon, held=5)
        daemon.kill()  # kill -9 while they are held
        doc = json.loads((folder / "task-queue.json").read_text())
        doc["tasks"].append(task("s", "Fix the XSS in the login form"))
        (folder / "task-queue.json").write_text(json.dumps(doc))
        daemon.start()  # (its first pass waits one timeout, not five: counted in test_attack20, not timed here)
        daemon.wait_event("task_assigned", task_id="s", timeout=30)
        assert all(_status(p) == "pending" for p in parts)
    wait_for(lambda: all(_status(p) == "assigned" for p in parts), 30, "written once free")
    for n in range(1, 6):
        assert len(daemon.events("handoff_created", subtask_id=f"orch-w-part{n}")) == 1
    assert daemon.stop() == 0


def test_a_file_whose_lock_is_let_go_of_is_written_soon_not_at_the_next_monitor_tick(
        folder: Path, daemon_factory: Callable[[Path, Path], DaemonProcess], tmp_path: Path) -> None:
    """The write refused while another process held the file's lock was tried again when its plan was next
    flushed: a file event of that plan, or the monitor tick (interval_seconds, 120 by default). Letting go of a lock
    makes no event on the file, so the next stage's handoff waited up to two minutes after the lock was free. The
    daemon now looks at such files again a lock timeout after the pass that found them locked."""
    daemon = _daemon(folder, daemon_factory, tmp_path, monitor=120)
    part = folder / "orchestrator" / "subtasks" / "orch-w-part1.json"
    with _held([part]):
        _finish_design(folder, daemon, held=1)
    try:
        wait_for(lambda: _status(part) == "assigned", 3 * TIMEOUT, "written within three lock timeouts")
    finally:
        assert daemon.stop() == 0
