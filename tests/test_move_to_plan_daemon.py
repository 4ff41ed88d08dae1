"""``orchestrator move TASK plan`` with the real daemon: while it runs, while it is down, and after a crash between
the withdrawal of the handoff and the queue's write (the state such a crash leaves, made by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.moves import PLAN_REASON
from test_commands import cli

from conftest import DaemonProcess, queue_doc, task, write_by_rename

TITLE = "Disk full on db01 in us-east-1"
HANDOFF = "masters/{master}/handoffs/t-d.json"


def routed(folder: Path, daemon: DaemonProcess) -> tuple[str, Path]:
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-d", TITLE, description="Free space on db01.")))
    assigned = daemon.wait_event("task_assigned", task_id="t-d")
    master = assigned["assigned_to"]
    return master, folder / HANDOFF.format(master=master)


def assert_planned(folder: Path, daemon: DaemonProcess, handoff: Path, master: str) -> None:
    daemon.wait_event("orchestration_started", task_id="t-d")
    learned = daemon.wait_event("routing_corrected", task_id="t-d")
    assert (learned["routed_to"], learned["master"]) == (master, "a plan")
    assert json.loads(handoff.read_text())["status"] == "cancelled"
    entry = json.loads((folder / "task-queue.json").read_text())["tasks"][0]
    assert entry["status"] in ("orchestrating", "completed") and entry["previous_attempts"][-1]["status"] == "moved_to_plan"
    corrections = json.loads((folder / "orchestrator/state/routing-corrections.json").read_text())
    assert [c["master"] for c in corrections if c["task_id"] == "t-d"] == ["a plan"]


def test_moved_to_a_plan_while_the_daemon_runs(folder: Path, daemon: DaemonProcess) -> None:
    master, handoff = routed(folder, daemon)
    assert "moved to a plan" in cli(folder, "move", "t-d", "plan").stdout
    assert_planned(folder, daemon, handoff, master)
    again = cli(folder, "move", "t-d", "plan", check=False)
    assert again.returncode == 1 and "planned already" in again.stderr


def test_moved_to_a_plan_while_the_daemon_is_down(folder: Path, daemon: DaemonProcess) -> None:
    master, handoff = routed(folder, daemon)
    assert daemon.stop() == 0
    cli(folder, "move", "t-d", "plan")
    assert json.loads(handoff.read_text())["status"] == "pending"  # nobody acted on it yet
    daemon.start()
    assert_planned(folder, daemon, handoff, master)


def test_a_crash_after_the_withdrawal_is_finished_at_the_next_start(folder: Path, daemon: DaemonProcess) -> None:
    master, handoff = routed(folder, daemon)
    assert daemon.stop() == 0
    cli(folder, "move", "t-d", "plan")
    data: dict[str, Any] = json.loads(handoff.read_text())
    write_by_rename(handoff, data | {"status": "cancelled", "cancelled_reason": PLAN_REASON,
                                     "cancelled_at": data["created_at"]})
    daemon.start()
    assert_planned(folder, daemon, handoff, master)


def test_a_master_that_took_the_handoff_keeps_the_task(folder: Path, daemon: DaemonProcess) -> None:
    master, handoff = routed(folder, daemon)
    write_by_rename(handoff, json.loads(handoff.read_text()) | {"status": "processed"})
    cli(folder, "move", "t-d", "plan")
    late = daemon.wait_event("handoff_not_moved", task_id="t-d")
    assert (late["master"], late["moved_to"]) == (master, "plan")
    entry = json.loads((folder / "task-queue.json").read_text())["tasks"][0]
    assert entry["status"] == "assigned" and entry["move_not_followed"] == "plan"
    assert not (folder / "orchestrator/plans/orch-t-d.json").exists()
