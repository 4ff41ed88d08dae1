"""A nineteenth attack with the real daemon: a task moved to a plan, then cancelled and retried while the daemon was
down (its cancel never acted on): planned, and its first master's handoff not left live beside the plan."""

from __future__ import annotations

import json
from pathlib import Path

from test_commands import cli
from test_move_to_plan_daemon import routed

from conftest import DaemonProcess


def test_moved_to_a_plan_cancelled_and_retried_while_the_daemon_is_down(folder: Path, daemon: DaemonProcess) -> None:
    master, handoff = routed(folder, daemon)
    assert daemon.stop() == 0
    cli(folder, "move", "t-d", "plan")
    cli(folder, "cancel", "t-d")
    cli(folder, "retry", "t-d")
    assert json.loads(handoff.read_text())["status"] == "pending"  # nobody acted on the cancel
    daemon.start()
    daemon.wait_event("orchestration_started", task_id="t-d")
    withdrawn = daemon.wait_event("handoff_withdrawn", task_id="t-d")
    assert withdrawn["master"] == master and withdrawn["reason"] == "superseded by attempt 2 (orchestrator retry)"
    assert json.loads(handoff.read_text())["status"] == "cancelled"
