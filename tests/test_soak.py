"""The soak's check (scripts/soak.py) finds what it looks for, and only that; and a short soak of the
real daemon holds every invariant.

The check reads only files: a settled folder made by hand passes, and each defect planted in it (a task
lost or doubled, two live workers, an event said twice, a handoff after a cancel, a plan left running)
is named, while its near case (a loss an unlocked editor explains) is not.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "soak.py"


def load_soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


soak = load_soak()
T0 = 1_800_000_000.0


def jsonl(path: Path, *items: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item) + "\n")


def settled_work(tmp_path: Path) -> Path:
    """A settled soak: a simple task assigned, a plan completed, a cancelled task, their events."""
    work = tmp_path / "work"
    root = work / "coordination"
    for sub in ("orchestrator/tasks", "orchestrator/reports", "masters/development/handoffs"):
        (root / sub).mkdir(parents=True)
    tasks = [
        {"id": "py-1", "title": "Fix bug", "status": "assigned", "handoff_file": "masters/development/handoffs/py-1.json"},
        {"id": "py-2", "title": "Build it all", "status": "completed", "orchestration_id": "orch-py-2"},
        {"id": "py-3", "title": "Fix another bug", "status": "cancelled"},
    ]
    (root / "task-queue.json").write_text(json.dumps(
        {"version": "2.1", "metadata": {"owner": "soak"}, "stats": {"kept": True}, "tasks": tasks}))
    (root / "masters/development/handoffs/py-1.json").write_text(json.dumps(
        {"task_id": "py-1", "status": "processed", "created_at": soak.iso(T0 + 1)}))
    (root / "masters/development/handoffs/py-3.json").write_text(json.dumps(
        {"task_id": "py-3", "status": "cancelled", "created_at": soak.iso(T0 + 2)}))
    (root / "orchestrator/tasks/orch-py-2.json").write_text(json.dumps(
        {"orchestration_id": "orch-py-2", "status": "completed", "subtasks": [{"subtask_id": "s1", "status": "completed"}]}))
    (root / "orchestrator/reports/orch-py-2.md").write_text("# done\n")
    jsonl(root / "dashboard-events.jsonl",
          {"type": "orchestration_started", "source": "orchestrator", "orchestration_id": "orch-py-2",
           "event_id": "orch-py-2:started"},
          {"type": "task_assigned", "source": "orchestrator", "task_id": "py-1", "event_id": "py-1:assigned"})
    jsonl(work / "ledger-writer-py.jsonl", *({"op": "submit", "id": f"py-{n}", "writer": "py", "begun": T0 + n,
                                              "t": T0 + n + 0.1} for n in (1, 2, 3)))
    jsonl(work / "ledger-coordinator.jsonl", {"op": "cancel", "id": "py-3", "rc": 0, "t": T0 + 3})
    jsonl(work / "ledger-masters.jsonl", {"op": "start", "subtask": "s1", "worker": "w1", "pid": 1, "t": T0 + 2})
    return work


def problems(work: Path) -> list[str]:
    found, _facts = soak.check(work / "coordination", work)
    return list(found)


def test_a_settled_folder_passes(tmp_path: Path) -> None:
    assert problems(settled_work(tmp_path)) == []


def test_a_lost_task_is_named_unless_an_unlocked_editor_explains_it(tmp_path: Path) -> None:
    work = settled_work(tmp_path)
    jsonl(work / "ledger-writer-py.jsonl", {"op": "submit", "id": "py-9", "writer": "py", "begun": T0 + 9, "t": T0 + 9.1})
    assert any("py-9" in p and "lost" in p for p in problems(work))
    # the editor read before py-9 was renamed in and wrote its old copy after: nobody can know of it
    jsonl(work / "ledger-editor.jsonl", {"op": "submit", "id": "ed-1", "writer": "editor", "read_at": T0 + 8.5,
                                         "begun": T0 + 8.5, "t": T0 + 9.5})
    queue = json.loads((work / "coordination/task-queue.json").read_text())
    queue["tasks"].append({"id": "ed-1", "title": "by hand", "status": "assigned",
                           "handoff_file": "masters/development/handoffs/py-1.json"})
    (work / "coordination/task-queue.json").write_text(json.dumps(queue))
    assert problems(work) == []


def test_a_doubled_task_an_unsettled_one_and_an_unparsable_file_are_named(tmp_path: Path) -> None:
    work = settled_work(tmp_path)
    queue = json.loads((work / "coordination/task-queue.json").read_text())
    queue["tasks"] += [dict(queue["tasks"][0]), {"id": "py-4", "title": "new", "status": "pending"}]
    (work / "coordination/task-queue.json").write_text(json.dumps(queue))
    (work / "coordination/orchestrator/tasks/orch-py-5.json").write_text("{\"orchestration_id\": ")
    found = problems(work)
    assert any("more than once" in p and "py-1" in p for p in found)
    assert any("not final" in p and "py-4" in p for p in found)
    assert any("unparsable" in p and "orch-py-5" in p for p in found)


def test_two_live_workers_of_one_subtask_are_named(tmp_path: Path) -> None:
    work = settled_work(tmp_path)
    jsonl(work / "ledger-masters.jsonl", {"op": "overlap", "subtask": "s1", "worker": "w2", "alive": ["w1"],
                                          "handoff": "to-development-subtask-s1-attempt-2.json", "t": T0 + 5})
    assert any("two live workers" in p and "w1" in p for p in problems(work))


def test_an_event_said_twice_is_named_across_a_rotation(tmp_path: Path) -> None:
    work = settled_work(tmp_path)
    root = work / "coordination"
    os.rename(root / "dashboard-events.jsonl", root / "dashboard-events.jsonl.1")
    jsonl(root / "dashboard-events.jsonl",
          {"type": "task_assigned", "source": "orchestrator", "task_id": "py-1", "event_id": "py-1:assigned"})
    assert any("py-1:assigned" in p for p in problems(work))


def test_a_handoff_after_a_cancel_and_one_left_pending_are_named(tmp_path: Path) -> None:
    work = settled_work(tmp_path)
    handoff = work / "coordination/masters/development/handoffs/py-3.json"
    handoff.write_text(json.dumps({"task_id": "py-3", "status": "cancelled", "created_at": soak.iso(T0 + 10)}))
    assert any("after its task was cancelled" in p for p in problems(work))
    handoff.write_text(json.dumps({"task_id": "py-3", "status": "pending", "created_at": soak.iso(T0 + 2)}))
    assert any("still pending" in p for p in problems(work))


def test_a_plan_left_running_is_named(tmp_path: Path) -> None:
    work = settled_work(tmp_path)
    plan = work / "coordination/orchestrator/tasks/orch-py-2.json"
    plan.write_text(json.dumps({"orchestration_id": "orch-py-2", "status": "in_progress", "subtasks": []}))
    assert any("orch-py-2 is in_progress" in p for p in problems(work))


def test_a_condition_said_on_every_pass_is_named_one_said_again_later_is_not(tmp_path: Path) -> None:
    work = settled_work(tmp_path)
    failed = {"type": "queue_update_failed", "source": "orchestrator", "task_id": "py-1", "problem": "lock held"}
    jsonl(work / "coordination/dashboard-events.jsonl", *({**failed, "timestamp": soak.iso(T0 + n)} for n in (0, 30)))
    assert problems(work) == []  # said when it started, and again when it started again
    jsonl(work / "coordination/dashboard-events.jsonl", *({**failed, "timestamp": soak.iso(T0 + 40 + n / 4)}
                                                          for n in range(4)))
    assert any("every pass" in p and "py-1" in p for p in problems(work))


@pytest.mark.process
def test_a_short_soak_of_the_real_daemon_holds_every_invariant(tmp_path: Path) -> None:
    """30 s of the hostile day (kill -9 of the daemon and of workers, a held lock, rotations, an editor
    without the lock, cancels), then the check. Its waits are for states, not times, and its watchdog is a
    minute (a daemon starved of CPU on a loaded machine is no defect): only a defect fails it."""
    import subprocess

    proc = subprocess.run([sys.executable, str(SCRIPT), "--seed", "2", "--duration", "30", "--settle", "300",
                           "--watchdog", "60", "--work", str(tmp_path / "soak")],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
