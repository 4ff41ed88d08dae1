"""The real daemon, as a subprocess, on a temporary folder, fed the way other writers feed it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from orchestrator.models import OrchestratorState

from conftest import (
    DaemonProcess,
    queue_doc,
    queue_task,
    read_queue,
    task,
    wait_for,
    write_by_rename,
    write_in_place,
)

AUTH = "Add authentication system with security audit and docs"


def add_tasks(folder: Path, *tasks: dict, writer: Callable[[Path, dict], None] = write_by_rename) -> None:
    doc = read_queue(folder)
    doc["tasks"].extend(tasks)
    writer(folder / "task-queue.json", doc)


def test_sample_folder_is_routed_and_orchestrated_without_losing_anything(
    sample_folder: Path, daemon_factory: Callable[[Path], DaemonProcess]
) -> None:
    before = read_queue(sample_folder)
    daemon = daemon_factory(sample_folder).start()
    daemon.wait_event("handoff_created", subtask_id="orch-task-1762366999-s01-design")
    daemon.wait_event("task_assigned", task_id="governance-test-low-1763000000-ABCD1234")
    assert daemon.stop() == 0
    after = read_queue(sample_folder)
    # every top-level key, every task, in order; untouched tasks byte-for-byte in meaning
    assert [k for k in after] == [k for k in before]
    assert {k: after[k] for k in after if k != "tasks"} == {k: before[k] for k in before if k != "tasks"}
    assert [t["id"] for t in after["tasks"]] == [t["id"] for t in before["tasks"]]
    for old, new in zip(before["tasks"], after["tasks"], strict=True):
        if old["status"] != "pending":
            assert new == old
        else:
            assert {k: new[k] for k in old if k not in ("status", "assigned_to", "routing_confidence")} == {
                k: v for k, v in old.items() if k not in ("status", "assigned_to", "routing_confidence")}
    rotated = queue_task(sample_folder, "governance-test-low-1763000000-ABCD1234")
    assert (rotated["status"], rotated["assigned_to"], rotated["assigned_by"]) == ("assigned", "security", "orchestrator")
    tracker = queue_task(sample_folder, "task-1762366999")
    assert (tracker["status"], tracker["orchestration_id"]) == ("orchestrating", "orch-task-1762366999")
    handoff = json.loads((sample_folder / "masters/security/handoffs/governance-test-low-1763000000-ABCD1234.json").read_text())
    assert handoff["status"] == "pending" and handoff["task"]["id"] == handoff["task_id"]
    assert {"id", "title", "type", "description", "priority"} <= set(handoff["task"])
    # the foreign handoff and the foreign events are untouched
    assert json.loads((sample_folder / "masters/development/handoffs/task-012.json").read_text())["status"] == "processed"
    assert '"type":"heartbeat_warn' in (sample_folder / "dashboard-events.jsonl").read_text()
    assert {e["type"] for e in daemon.events()} >= {
        "orchestrator_started", "orchestrator_stopped", "task_assigned", "orchestration_started",
        "subtask_created", "handoff_created"}


def test_seed_auth_task_writes_plan_subtasks_stage_one_handoffs_and_state(daemon: DaemonProcess) -> None:
    folder = daemon.folder
    add_tasks(folder, task("task-1762342920", AUTH, priority="high"))
    started = daemon.wait_event("orchestration_started", orchestration_id="orch-task-1762342920")
    assert started["subtasks"] == 6 and started["stages"] == 5
    wait_for(lambda: json.loads((folder / "orchestrator/tasks/orch-task-1762342920.json").read_text())["status"]
             == "in_progress", what="plan in progress")
    plan = json.loads((folder / "orchestrator/tasks/orch-task-1762342920.json").read_text())
    assert list(plan["execution_plan"]) == [f"stage_{n}" for n in range(1, 6)]
    assert plan["progress"]["active_subtasks"] == plan["execution_plan"]["stage_1"]
    for subtask in plan["subtasks"]:
        on_disk = json.loads((folder / f"orchestrator/subtasks/{subtask['subtask_id']}.json").read_text())
        assert on_disk["subtask_id"] == subtask["subtask_id"]
        assert on_disk["status"] == ("assigned" if subtask["stage"] == 1 else "pending")
    handoffs = sorted(p.name for p in folder.glob("masters/*/handoffs/*.json"))
    assert handoffs == [f"to-development-subtask-{plan['execution_plan']['stage_1'][0]}.json"]  # stage 1 only
    handoff = json.loads(next(folder.glob("masters/*/handoffs/*.json")).read_text())
    for key in ("handoff_id", "from", "to", "subtask_id", "parent_orchestration", "priority", "context",
                "created_at", "status", "task_id", "task"):
        assert key in handoff
    assert handoff["priority"] == "high"
    state = json.loads((folder / "orchestrator/state/current.json").read_text())
    assert state["active_orchestrations"] == 1 and state["current_orchestrations"][0]["current_stage"] == 1
    OrchestratorState.model_validate(state)  # the file matches its published schema
    assert queue_task(folder, "task-1762342920")["status"] == "orchestrating"


def test_a_pickup_is_one_pass_the_daemons_own_writes_wake_nothing(
    folder: Path, daemon_factory: Callable[[Path], DaemonProcess]
) -> None:
    """The plan, six subtask files (in a watched folder), the queue and the events the pickup writes
    come back as file events: none may cost another pass. Two rescans pass while we look."""
    daemon = daemon_factory(folder).start("--log-level", "debug")

    def passes() -> list[list[str]]:
        lines = [json.loads(line) for line in daemon.log.read_text().splitlines() if line.startswith("{")]
        return [line["jobs"] for line in lines if line.get("event") == "pass"]

    wait_for(lambda: passes() != [], what="the first pass")
    before = len(passes())
    add_tasks(folder, task("task-1762342920", AUTH, priority="high"))
    daemon.wait_event("stage_started", orchestration_id="orch-task-1762342920")
    time.sleep(1.2)
    assert passes()[before:] == [["queue"]]
    assert daemon.stop() == 0


def test_in_place_rewrites_and_recreated_queues_are_noticed(daemon: DaemonProcess) -> None:
    folder = daemon.folder
    add_tasks(folder, task("t-inplace", "Deploy the dashboard to staging"), writer=write_in_place)
    daemon.wait_event("task_assigned", task_id="t-inplace", assigned_to="cicd")
    (folder / "task-queue.json").unlink()
    daemon.wait_event("queue_missing")
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-again", "List all repositories in the portfolio")))
    daemon.wait_event("task_assigned", task_id="t-again", assigned_to="inventory")
    daemon.wait_event("queue_recovered")


def test_a_half_written_queue_is_reported_never_rewritten_and_read_again_when_whole(daemon: DaemonProcess) -> None:
    folder = daemon.folder
    queue = folder / "task-queue.json"
    whole = json.dumps(queue_doc(task("t-half", "Scan repository for security vulnerabilities")), indent=2)
    with open(queue, "w", encoding="utf-8") as handle:  # a writer stops half-way
        handle.write(whole[: len(whole) // 2])
    event = daemon.wait_event("queue_unreadable")
    assert "invalid JSON" in event["problem"]
    assert queue.read_text() == whole[: len(whole) // 2]  # left exactly as it was
    assert daemon.alive()
    write_in_place(queue, json.loads(whole))  # the writer finishes
    daemon.wait_event("task_assigned", task_id="t-half", assigned_to="security")


def test_a_lock_held_by_another_process_is_waited_for_and_its_write_kept(daemon: DaemonProcess) -> None:
    folder = daemon.folder
    queue = folder / "task-queue.json"
    # a shell writer takes the same lock with flock(1), adds a task under it, and holds it a while
    script = (
        "import json, os, sys, time, fcntl\n"
        "lock = open(sys.argv[1] + '.lock', 'a')\n"
        "fcntl.flock(lock, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"
        "doc = json.load(open(sys.argv[1]))\n"
        "doc['tasks'].append({'id': 't-locked', 'title': 'Fix bug in api/users.py line 3', 'status': 'pending'})\n"
        "tmp = sys.argv[1] + '.tmp-writer'\n"
        "open(tmp, 'w').write(json.dumps(doc))\n"
        "os.replace(tmp, sys.argv[1])\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script, str(queue)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "locked"
    add_tasks(folder, task("t-waiting", "Rotate the staging database credentials"))  # an unlocked writer
    # decided, now waiting for the lock: the claim is decided under it, and only then is its handoff written
    time.sleep(0.5)
    assert not list(folder.glob("masters/*/handoffs/t-waiting.json"))
    assert queue_task(folder, "t-waiting")["status"] == "pending"  # could not claim while locked
    holder.stdin.write("go\n")
    holder.stdin.flush()
    holder.wait(5)
    daemon.wait_event("task_assigned", task_id="t-waiting")
    assert list(folder.glob("masters/*/handoffs/t-waiting.json"))
    daemon.wait_event("task_assigned", task_id="t-locked", assigned_to="development")
    ids = [t["id"] for t in read_queue(folder)["tasks"]]
    assert ids == ["t-waiting", "t-locked"]


def test_flock_from_a_shell_excludes_the_daemon(daemon: DaemonProcess) -> None:
    folder = daemon.folder
    queue = folder / "task-queue.json"
    shell = subprocess.Popen(["flock", f"{queue}.lock", "sh", "-c", "read line"], stdin=subprocess.PIPE, text=True)
    wait_for(lambda: subprocess.run(["flock", "-n", f"{queue}.lock", "true"]).returncode != 0, what="shell lock")
    add_tasks(folder, task("t-shell", "Write unit tests for utils/date.py"))
    time.sleep(0.5)  # the pass has begun and waits for the lock: its handoff is written under it, after the shell's
    assert not list(folder.glob("masters/*/handoffs/t-shell.json"))
    assert queue_task(folder, "t-shell")["status"] == "pending"
    assert shell.stdin is not None
    shell.stdin.write("\n")
    shell.stdin.flush()
    shell.wait(5)
    daemon.wait_event("task_assigned", task_id="t-shell")
    assert list(folder.glob("masters/*/handoffs/t-shell.json"))


def test_bad_tasks_are_reported_by_name_and_the_rest_goes_on(daemon: DaemonProcess) -> None:
    folder = daemon.folder
    steps = " → ".join(f"step {n}" for n in range(1, 12))
    cycle = [{"id": "a", "title": "A", "dependencies": ["c"]}, {"id": "b", "title": "B", "dependencies": ["a"]},
             {"id": "c", "title": "C", "dependencies": ["b"]}]
    add_tasks(
        folder,
        "not a task",
        {"title": "no id here", "status": "pending"},
        task("../../etc/passwd", "Escape the folder"),
        task("dup", "First"), task("dup", "Second"),
        task("t-badtitle", ["a", "list"]),
        task("t-empty", ""),
        task("t-long", f"Do {steps}", orchestration_required=True),
        task("t-cycle", "Custom plan", subtasks=cycle),
        task("t-good", "Fix XSS in the login form"),
    )
    daemon.wait_event("task_assigned", task_id="t-good", assigned_to="security")
    problems = {e["task_id"]: e["problem"] for e in daemon.events("task_invalid")}
    assert "not a task object" in problems["#0"]
    assert "no id" in problems["#1"]
    assert "not a safe file name" in problems["../../etc/passwd"]
    assert "appears 2 times" in problems["dup"]
    assert "title" in problems["t-badtitle"]
    assert "neither a title nor a description" in problems["t-empty"]
    blocked = {e["task_id"]: e["reason"] for e in
               [daemon.wait_event("task_blocked", task_id="t-long"), daemon.wait_event("task_blocked", task_id="t-cycle")]}
    assert re.search(r"\d+ stages \(> 10\)", blocked["t-long"]) and "split" in blocked["t-long"]
    assert "dependency cycle: a -> c -> b -> a" in blocked["t-cycle"]
    assert queue_task(folder, "t-long")["status"] == "blocked"
    assert "stages (> 10)" in queue_task(folder, "t-long")["blocked_reason"]
    assert not list(folder.parent.glob("etc*")) and not (folder.parent.parent / "etc").exists()
    assert queue_task(folder, "dup")["status"] == "pending"  # not ours to guess
    # reported once, not on every re-read
    add_tasks(folder, task("t-more", "List all repositories in the portfolio"))
    daemon.wait_event("task_assigned", task_id="t-more")
    assert len(daemon.events("task_invalid", task_id="dup")) == 1
    assert daemon.alive()


def test_second_daemon_on_the_same_folder_refuses_to_start(daemon: DaemonProcess, fast_config: Path) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(daemon.folder), "--config",
         str(fast_config)], capture_output=True, text=True, timeout=20)
    assert second.returncode == 3
    assert "already owns" in second.stderr
    assert f"it is PID {daemon.proc.pid}" in second.stderr and "orchestrator stop --coordination-dir" in second.stderr


def test_restart_finishes_a_claimed_task_without_a_plan_and_never_doubles_handoffs(
    folder: Path, daemon_factory: Callable[[Path], DaemonProcess]
) -> None:
    # as left by a crash right after the claim: orchestrating in the queue, no plan yet
    claimed = task("task-9", AUTH, status="orchestrating", orchestration_id="orch-task-9", assigned_by="orchestrator")
    write_by_rename(folder / "task-queue.json", queue_doc(claimed))
    daemon = daemon_factory(folder).start()
    daemon.wait_event("orchestration_started", orchestration_id="orch-task-9")
    wait_for(lambda: list(folder.glob("masters/*/handoffs/*.json")), what="stage-1 handoff")
    assert daemon.stop() == 0
    handoff = next(folder.glob("masters/*/handoffs/*.json"))
    first = handoff.read_bytes()
    plan = folder / "orchestrator/tasks/orch-task-9.json"
    data = json.loads(plan.read_text())
    data["status"] = "planning"  # as left by a crash before the plan was marked in progress
    plan.write_text(json.dumps(data))
    daemon.start()
    wait_for(lambda: json.loads(plan.read_text())["status"] == "in_progress", what="plan finished")
    assert daemon.stop() == 0
    assert handoff.read_bytes() == first
    assert len(daemon.events("handoff_created")) == 1
    assert len(daemon.events("orchestration_started")) == 1


def test_sigterm_stops_cleanly(daemon: DaemonProcess) -> None:
    assert daemon.stop() == 0
    assert daemon.events("orchestrator_stopped")
    leftovers = [p.name for p in daemon.folder.rglob(".orchestrator-*")]
    assert leftovers == []
    assert os.path.exists(daemon.folder / "orchestrator/state/current.json")


def test_a_torn_last_event_line_does_not_swallow_ours(folder: Path, daemon_factory: Callable[[Path], DaemonProcess]) -> None:
    (folder / "dashboard-events.jsonl").write_text('{"timestamp":"2025-11-20T14:41:30Z","type":"heartbeat_warn')
    daemon = daemon_factory(folder).start()
    assert daemon.stop() == 0
    lines = (folder / "dashboard-events.jsonl").read_text().splitlines()
    assert lines[0].endswith("heartbeat_warn")
    assert json.loads(lines[1])["type"] == "orchestrator_started"
