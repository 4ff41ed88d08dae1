"""Whole orchestrations with real worker processes, short intervals, and a real daemon."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator.deathwatch import held_pidfds

from conftest import WIDGET_SUBTASKS as SUBTASKS
from conftest import DaemonProcess, queue_doc, queue_task, task, write_by_rename

sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
from fake_masters import FakeMasters

SUPERVISION_CONFIG = """
[watch]
debounce_seconds = 0.002
rescan_interval_seconds = 0.5
[monitor]
interval_seconds = 0.2
heartbeat_timeout_seconds = 4.0
zombie_timeout_seconds = 6.0
never_started_timeout_seconds = 30
max_runtime_seconds = 60
[retry]
max_attempts = 3
backoff_base_seconds = 0.05
backoff_max_seconds = 0.2
jitter = 0.0
terminate_grace_seconds = 1
"""



@pytest.fixture
def supervised(tmp_path: Path, folder: Path, daemon_factory: Callable[..., DaemonProcess]) -> Iterator[DaemonProcess]:
    config = tmp_path / "supervision.toml"
    config.write_text(SUPERVISION_CONFIG)
    daemon = daemon_factory(folder, config).start()
    yield daemon
    if daemon.alive():
        assert daemon.stop() == 0, daemon.log.read_text()


def local(subtask_id: str) -> str:
    return subtask_id.removeprefix("orch-task-w-")


def plan_of(folder: Path) -> dict:
    return json.loads((folder / "orchestrator/tasks/orch-task-w.json").read_text())


def resume(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchestrator", "resume", "orch-task-w", *args,
                           "--coordination-dir", str(folder)], capture_output=True, text=True, timeout=30)


def test_a_whole_orchestration_with_deaths_zombies_failures_and_a_resume(supervised: DaemonProcess) -> None:
    folder = supervised.folder
    script = {("design", 1): "finish", ("backend", 1): "die", ("backend", 2): "finish",
              ("frontend", 1): "hang", ("frontend", 2): "finish",
              ("audit", 1): "fail", ("audit", 2): "fail", ("audit", 3): "fail", ("audit", 4): "finish"}
    masters = FakeMasters(folder, lambda sid, attempt: script[(local(sid), attempt)], seconds=0.3)
    try:
        write_by_rename(folder / "task-queue.json", queue_doc(task("task-w", "Widget", subtasks=SUBTASKS)))
        # a killed worker and a hanging one are both retried; the audit fails three times and blocks the plan
        assert masters.run_until(lambda: supervised.events("orchestration_blocked"), 60), supervised.log.read_text()
        blocked = supervised.events("orchestration_blocked")[0]
        assert local(blocked["blocking_subtask"]) == "audit"
        assert plan_of(folder)["status"] == "blocked"
        assert queue_task(folder, "task-w")["status"] == "blocked"
        escalation = json.loads((folder / "orchestrator/escalations/orch-task-w.json").read_text())
        assert [a["outcome"] for a in escalation["attempts"]] == ["reported"] * 3
        assert escalation["orchestration_status"] == "blocked" and escalation["escalation"]

        # a person retries it; the fourth attempt finishes and the report appears
        assert resume(folder, "--retry", "orch-task-w-audit").returncode == 0
        assert masters.run_until(lambda: supervised.events("orchestration_completed"), 60), supervised.log.read_text()
    finally:
        masters.stop()

    taken = [(local(t["subtask_id"]), t["attempt"]) for t in masters.taken]
    assert sorted(taken) == sorted(script)  # every attempt handed out once, none more
    # stages in order: nothing of a later stage was handed out before the earlier stage was done
    stage_of = {"design": 1, "backend": 2, "frontend": 2, "audit": 3}
    stages = [stage_of[s] for s, _ in taken]
    assert stages == sorted(stages)
    kinds = {(local(e["subtask_id"]), e["kind"]) for e in supervised.events("subtask_failed")}
    assert kinds == {("backend", "dead"), ("frontend", "zombie"), ("audit", "reported")}
    assert len(supervised.events("zombie_detected")) == 1
    assert [e["stage"] for e in supervised.events("stage_completed")] == [1, 2, 3]
    plan = plan_of(folder)
    assert plan["status"] == "completed"
    assert {local(s["subtask_id"]): s["attempt"] for s in plan["subtasks"]} == {
        "design": 1, "backend": 2, "frontend": 2, "audit": 4}
    report = json.loads((folder / "orchestrator/reports/orch-task-w.json").read_text())
    assert report["success_criteria"] == {
        "all_subtasks_completed": True, "all_stages_executed_in_order": True,
        "no_zombie_or_failed_subtasks": False, "request_satisfied": True, "results_aggregated": True}
    assert report["summary"] == {
        "subtasks": 4, "attempts": 9, "retries": 5, "retries_by_operator": 1, "failed_attempts": 5,
        "worker_deaths": 1, "zombies": 1, "escalations": 1, "resumes": 1, "skipped": 0}
    markdown = (folder / "orchestrator/reports/orch-task-w.md").read_text()
    assert "**escalated** to a person" in markdown and "**resumed** by an operator" in markdown
    assert "- [ ] no zombie or failed subtasks — backend: worker died (attempt 1); frontend: worker stalled" in markdown
    assert "```mermaid" in markdown and "design --> backend" in markdown
    finished = queue_task(folder, "task-w")
    assert finished["status"] == "completed" and finished["report"].endswith("orch-task-w.md")
    # every event of the monitoring and failure sections, once where it happens once
    assert len(supervised.events("orchestration_completed")) == 1
    assert len(supervised.events("orchestration_blocked")) == 1
    assert len(supervised.events("orchestration_resumed")) == 1
    retry_handoffs = sorted(p.name for p in folder.glob("masters/*/handoffs/*attempt*.json"))
    assert len(retry_handoffs) == 5  # backend 2, frontend 2, audit 2, 3, 4
    second = json.loads(next(folder.glob("masters/development/handoffs/*backend-attempt-2.json")).read_text())
    assert second["attempt"] == 2 and second["previous_attempts"][0]["outcome"] == "dead"


def test_a_handoff_nobody_takes_is_flagged_and_a_permanent_failure_escalates_at_once(
    tmp_path: Path, folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    config = tmp_path / "c.toml"
    # attempts nobody takes are retried until the masters come (however slow a loaded machine makes them)
    config.write_text(SUPERVISION_CONFIG.replace("never_started_timeout_seconds = 30", "never_started_timeout_seconds = 0.5")
                      .replace("max_attempts = 3", "max_attempts = 50"))
    daemon = daemon_factory(folder, config).start()
    write_by_rename(folder / "task-queue.json", queue_doc(task("task-w", "Widget", subtasks=SUBTASKS)))
    event = daemon.wait_event("worker_never_started", timeout=10)
    assert local(event["subtask_id"]) == "design"
    daemon.wait_event("subtask_retry_scheduled", timeout=10)
    masters = FakeMasters(folder, lambda sid, attempt: "fail-permanent")
    try:
        assert masters.run_until(lambda: daemon.events("orchestration_blocked"), 30)
    finally:
        masters.stop()
    blocked = daemon.events("orchestration_blocked")[0]
    assert "simulated failure" in blocked["failure_reason"]
    # reported once per attempt that nobody took (the first; the second too if the masters were slow)
    never = [e["attempt"] for e in daemon.events("worker_never_started")]
    assert never[0] == 1 and len(never) == len(set(never))
    assert daemon.stop() == 0


def test_worker_specs_and_status_files_are_reports_too(supervised: DaemonProcess) -> None:
    folder = supervised.folder
    write_by_rename(folder / "task-queue.json", queue_doc(task("task-w", "Widget", subtasks=SUBTASKS)))
    supervised.wait_event("handoff_created", subtask_id="orch-task-w-design")
    # the legacy way: a worker spec in active/, a pid file, a heartbeat file; then the spec moves to completed/
    spec = {"worker_id": "worker-impl-001", "task_id": "orch-task-w-design", "status": "running",
            "created_by": "development-master", "execution": {"last_heartbeat": "2099-01-01T00:00:00Z"}}
    active = folder / "worker-specs/active/worker-impl-001.json"
    active.parent.mkdir(parents=True, exist_ok=True)
    write_by_rename(active, spec)
    (folder / "worker-specs/active/broken.json").write_text('{"worker_id": "x", "task_id": ')
    supervised.wait_event("subtask_started", subtask_id="orch-task-w-design", worker_id="worker-impl-001")
    supervised.wait_event("worker_spec_invalid")
    done = folder / "worker-specs/completed/worker-impl-001.json"
    done.parent.mkdir(parents=True, exist_ok=True)
    write_by_rename(done, spec | {"status": "completed", "results": {"summary": "design written"}})
    active.unlink()
    supervised.wait_event("subtask_completed", subtask_id="orch-task-w-design")
    supervised.wait_event("stage_started", stage=2)
    subtask = json.loads((folder / "orchestrator/subtasks/orch-task-w-design.json").read_text())
    assert (subtask["status"], subtask["result"]) == ("completed", "design written")
    assert len(supervised.events("worker_spec_invalid")) == 1


def test_reports_from_an_earlier_attempt_are_refused(supervised: DaemonProcess) -> None:
    folder = supervised.folder
    masters = FakeMasters(folder, lambda sid, attempt: "die" if attempt == 1 else "hang")
    try:
        write_by_rename(folder / "task-queue.json", queue_doc(task("task-w", "Widget", subtasks=SUBTASKS)))
        assert masters.run_until(lambda: supervised.events("subtask_started", attempt=2), 30)
        old_worker = masters.taken[0]["worker_id"]
        late = subprocess.run([sys.executable, "-m", "orchestrator", "subtask", "complete", "orch-task-w-design",
                               "--worker-id", old_worker, "--coordination-dir", str(folder)],
                              capture_output=True, text=True, timeout=30)
        assert late.returncode == 1 and "earlier attempt" in late.stderr
        subtask = json.loads((folder / "orchestrator/subtasks/orch-task-w-design.json").read_text())
        assert subtask["status"] == "in_progress" and subtask["attempt"] == 2
        assert subtask["worker_id"] == masters.taken[1]["worker_id"]
    finally:
        masters.stop()


def test_skip_and_abort(supervised: DaemonProcess) -> None:
    folder = supervised.folder
    masters = FakeMasters(folder, lambda sid, attempt: "fail-permanent" if local(sid) == "design" else "finish")
    try:
        write_by_rename(folder / "task-queue.json", queue_doc(task("task-w", "Widget", subtasks=SUBTASKS)))
        assert masters.run_until(lambda: supervised.events("orchestration_blocked"), 30)
        assert resume(folder, "--skip", "orch-task-w-design").returncode == 0
        assert masters.run_until(lambda: supervised.events("stage_started", stage=2), 30)
        assert resume(folder, "--abort").returncode == 0
        supervised.wait_event("orchestration_aborted")
    finally:
        masters.stop()
    assert plan_of(folder)["status"] == "aborted"
    assert queue_task(folder, "task-w")["status"] == "cancelled"
    refused = resume(folder, "--retry", "orch-task-w-design")
    assert refused.returncode == 1 and "orch-task-w is aborted" in refused.stderr  # checked before answering
    request = {"orchestration_id": "orch-task-w", "action": "retry", "subtask_id": "orch-task-w-design"}
    write_by_rename(folder / "orchestrator/requests/by-hand.json", request)  # written anyway: the daemon refuses it
    assert "is aborted" in supervised.wait_event("request_refused")["problem"]


def test_kill_9_in_the_middle_and_a_restart_finish_the_plan_without_doubling_anything(
    tmp_path: Path, folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """No retry may be needed, so the workers get time to beat even on a machine under heavy load
    (with the 6 s zombie timeout of the others, a busy CI machine could call them zombies)."""
    config = tmp_path / "patient.toml"
    config.write_text(SUPERVISION_CONFIG.replace("heartbeat_timeout_seconds = 4.0", "heartbeat_timeout_seconds = 30")
                      .replace("zombie_timeout_seconds = 6.0", "zombie_timeout_seconds = 45"))
    supervised = daemon_factory(folder, config).start()
    masters = FakeMasters(folder, lambda sid, attempt: "finish", seconds=1.0)
    try:
        write_by_rename(folder / "task-queue.json", queue_doc(task("task-w", "Widget", subtasks=SUBTASKS)))
        assert masters.run_until(lambda: supervised.events("subtask_started", subtask_id="orch-task-w-backend"), 30)
        supervised.kill()  # kill -9 while two workers are running
        supervised.start()  # they finish while it is down, or after: either way it re-attaches
        assert masters.run_until(lambda: supervised.events("orchestration_completed"), 60), supervised.log.read_text()
    finally:
        masters.stop()
    handoffs = [(e["subtask_id"], e["attempt"]) for e in supervised.events("handoff_created")]
    assert len(handoffs) == len(set(handoffs)) == 4  # one per subtask, none twice, no retry needed
    assert sorted(p.name for p in folder.glob("masters/*/handoffs/*.json")) == sorted(
        f"to-{m}-subtask-orch-task-w-{s}.json" for m, s in
        [("development", "design"), ("development", "backend"), ("development", "frontend"), ("security", "audit")])
    assert (folder / "orchestrator/reports/orch-task-w.md").exists()
    assert queue_task(folder, "task-w")["status"] == "completed"
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())  # every file whole


def test_a_master_that_writes_only_what_it_knows_is_understood(supervised: DaemonProcess) -> None:
    folder = supervised.folder
    write_by_rename(folder / "task-queue.json", queue_doc(task("task-w", "Widget", subtasks=SUBTASKS)))
    supervised.wait_event("handoff_created", subtask_id="orch-task-w-design")
    path = folder / "orchestrator/subtasks/orch-task-w-design.json"
    write_by_rename(path, {"subtask_id": "orch-task-w-design", "status": "completed", "result": "done, by hand"})
    supervised.wait_event("subtask_completed", subtask_id="orch-task-w-design")
    supervised.wait_event("stage_started", stage=2)
    whole = json.loads(path.read_text())
    assert whole["status"] == "completed" and whole["result"] == "done, by hand"
    assert whole["parent_orchestration"] == "orch-task-w"  # what the writer left out is put back
    write_by_rename(folder / "orchestrator/subtasks/orch-task-w-backend.json", {"status": 42})
    assert "status" in supervised.wait_event("subtask_invalid", subtask_id="orch-task-w-backend")["problem"]


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd_open on this platform")
def test_a_worker_killed_with_sigkill_is_detected_long_before_the_monitor_tick(
    tmp_path: Path, folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """The tick is a minute away and nothing writes a file: only the worker's pidfd can tell."""
    config = tmp_path / "deaths.toml"
    config.write_text(SUPERVISION_CONFIG.replace("interval_seconds = 0.2", "interval_seconds = 60")
                      .replace("heartbeat_timeout_seconds = 4.0", "heartbeat_timeout_seconds = 600")
                      .replace("zombie_timeout_seconds = 6.0", "zombie_timeout_seconds = 600"))
    daemon = daemon_factory(folder, config).start()
    assert daemon.proc is not None
    masters = FakeMasters(folder, lambda sid, attempt: "hang" if (local(sid), attempt) == ("design", 1) else "finish",
                          seconds=0.2)
    try:
        write_by_rename(folder / "task-queue.json", queue_doc(task("task-w", "Widget", subtasks=SUBTASKS)))
        assert masters.run_until(lambda: daemon.events("subtask_started", attempt=1), 30), daemon.log.read_text()
        started = daemon.events("subtask_started")[0]
        assert masters.run_until(lambda: held_pidfds(daemon.proc.pid) == 1, 30), \
            f"the worker is not watched ({held_pidfds(daemon.proc.pid)} pidfds)\n{daemon.log.read_text()}"
        os.kill(started["pid"], signal.SIGKILL)
        # well within the minute before the first tick (the loop polls the file every 20 ms)
        assert masters.run_until(lambda: daemon.events("subtask_failed"), 30), daemon.log.read_text()
        failed = daemon.events("subtask_failed")[0]
        assert failed["kind"] == "dead" and failed["subtask_id"] == started["subtask_id"]
        assert str(started["pid"]) in failed["reason"]
        assert masters.run_until(lambda: daemon.events("orchestration_completed"), 60), daemon.log.read_text()
        assert not daemon.events("zombie_detected"), daemon.log.read_text()
        # each closed when its attempt ended: by the loop, just after the pass that appended the event
        assert masters.run_until(lambda: held_pidfds(daemon.proc.pid) == 0, 30), \
            f"{held_pidfds(daemon.proc.pid)} pidfds\n{daemon.log.read_text()}"
    finally:
        masters.stop()
    assert daemon.stop() == 0, daemon.log.read_text()
