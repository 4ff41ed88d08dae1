"""Each command's output, exit codes and JSON, on a folder a real daemon and real workers produced."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli import main as cli_main

from conftest import DaemonProcess, queue_doc, task, write_by_rename


def cli(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "orchestrator", *args, "--coordination-dir", str(folder)],
                            capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder after one finished orchestration (the demo script, with its real daemon and workers)."""
    folder = tmp_path_factory.mktemp("worked") / "coordination"
    script = Path(__file__).parent.parent / "scripts" / "demo.py"
    result = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DEMO_WORK_SECONDS": "0.2"})
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


def test_the_demo_runs_again_in_its_own_folder_and_refuses_another(worked: Path, tmp_path: Path) -> None:
    """The demo deletes its folder and starts afresh: a folder it did not make (a real coordination folder given by
    mistake) is refused and left as it was."""
    script = Path(__file__).parent.parent / "scripts" / "demo.py"
    real = tmp_path / "coordination"
    real.mkdir()
    (real / "task-queue.json").write_text('{"tasks": [{"id": "keep"}]}')
    refused = subprocess.run([sys.executable, str(script), str(real)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "not an earlier demo's" in refused.stderr
    assert (real / "task-queue.json").read_text() == '{"tasks": [{"id": "keep"}]}'
    assert (worked / ".orchestrator-demo").exists()  # so the demo may run in it again


def orch_id(folder: Path) -> str:
    return next((folder / "orchestrator/tasks").glob("*.json")).stem


def test_status_text_and_json(worked: Path) -> None:
    text = cli(worked, "status").stdout
    assert "completed" in text and "[####################] 100%" in text
    data = json.loads(cli(worked, "status", "--json").stdout)
    assert data["orchestrations"][0]["status"] == "completed"
    assert data["queue"]["by_status"] == {"completed": 1}


def test_show_as_tree_mermaid_dot_and_json(worked: Path) -> None:
    orchestration = orch_id(worked)
    tree = cli(worked, "show", orchestration).stdout
    assert "stage_5" in tree and "[x]" in tree and "attempt 2" in tree
    assert cli(worked, "show", orchestration, "--format", "mermaid").stdout.startswith("flowchart LR")
    dot = cli(worked, "show", orchestration, "--format", "dot").stdout
    assert dot.startswith("digraph") and "->" in dot
    assert json.loads(cli(worked, "show", orchestration, "--format", "json").stdout)["status"] == "completed"
    missing = cli(worked, "show", "orch-nope", check=False)
    assert missing.returncode == 1 and "orch-nope" in missing.stderr


def test_events_filtered_readable_and_json(worked: Path) -> None:
    orchestration = orch_id(worked)
    text = cli(worked, "events", "--type", "stage_completed").stdout.splitlines()
    assert len(text) == 5 and all("stage_completed" in line for line in text)
    raw = [json.loads(line) for line in cli(worked, "events", "--orchestration", orchestration, "--json").stdout.splitlines()]
    assert raw and all(e["orchestration_id"] == orchestration for e in raw)
    assert len(cli(worked, "events", "--last", "2").stdout.splitlines()) == 2


def test_events_tolerate_what_other_writers_break(sample_folder: Path) -> None:
    lines = cli(sample_folder, "events").stdout.splitlines()
    assert len(lines) == 4  # three whole lines and the pretty-printed object; the torn last line is skipped
    assert "handoff_processed" in lines[2] and "[handoff-processor]" in lines[2]
    assert "worker_id=worker-implementation-017" in lines[1]  # `data` given as a JSON string


def test_events_follow_prints_new_lines_as_they_come(folder: Path, daemon_factory: Callable[..., DaemonProcess]) -> None:
    follower = subprocess.Popen([sys.executable, "-m", "orchestrator", "events", "--follow", "--type", "task_assigned",
                                 "--coordination-dir", str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        daemon = daemon_factory(folder).start()
        write_by_rename(folder / "task-queue.json", queue_doc(task("t-f", "List all repositories in the portfolio")))
        assert follower.stdout is not None
        line = follower.stdout.readline()
        assert "task_assigned" in line and "t-f" in line
        assert daemon.stop() == 0
    finally:
        follower.kill()
        follower.wait()


def test_explain_says_why(sample_folder: Path) -> None:
    text = cli(sample_folder, "explain", "governance-test-low-1763000000-ABCD1234").stdout
    assert "simple -> security" in text and "type 'security-fix' points to security" in text
    data = json.loads(cli(sample_folder, "explain", "task-1762366999", "--json").stdout)
    assert data["now"]["decision"] == "complex" and "orchestration_required is true" in data["now"]["reasons"]
    assert cli(sample_folder, "explain", "nope", check=False).returncode == 1


def test_config_names_the_source_of_each_value(folder: Path) -> None:
    (folder / "orchestrator").mkdir()
    (folder / "orchestrator/config.toml").write_text("[monitor]\ninterval_seconds = 30\n")
    rows = {r["key"]: r for r in json.loads(cli(folder, "config", "--json").stdout)}
    assert rows["monitor.interval_seconds"]["value"] == 30
    assert rows["monitor.interval_seconds"]["source"].endswith("config.toml")
    assert rows["monitor.zombie_timeout_seconds"] == {"key": "monitor.zombie_timeout_seconds", "value": 1200,
                                                      "source": "default"}
    (folder / "orchestrator/config.toml").write_text("[monitor]\ninterval = 30\n")
    wrong = cli(folder, "config", check=False)
    assert wrong.returncode == 2 and "monitor.interval" in wrong.stderr


def test_doctor_finds_problems_and_says_what_to_do(sample_folder: Path) -> None:
    (sample_folder / "orchestrator/subtasks").mkdir(parents=True)
    (sample_folder / "orchestrator/subtasks/ghost.json").write_text('{"subtask_id": ')
    result = cli(sample_folder, "doctor", check=False)
    assert result.returncode == 1
    assert "no daemon is running" in result.stdout
    assert "invalid subtask ghost.json" in result.stdout
    assert "invalid worker spec worker-specs/active/worker-scan-036.json" in result.stdout
    assert "->" in result.stdout
    found = json.loads(cli(sample_folder, "doctor", "--json", check=False).stdout)
    assert {f["level"] for f in found} >= {"ok", "warning", "problem"}


def test_doctor_is_happy_with_a_healthy_running_folder(folder: Path, daemon: DaemonProcess) -> None:
    result = cli(folder, "doctor")
    assert "a daemon is running" in result.stdout and "FAIL" not in result.stdout


def test_service_unit_is_rendered_with_absolute_paths_and_installs(tmp_path: Path, folder: Path) -> None:
    unit = cli(folder, "service", "--user", "agent").stdout
    assert "Type=notify" in unit and f"--coordination-dir {folder.resolve()}" in unit
    assert f"ExecStart={sys.executable} -m orchestrator run" in unit
    assert f"ReadWritePaths={folder.resolve()}" in unit and "User=agent" in unit and "WatchdogSec=" in unit
    assert "Restart=on-failure" in unit and "NoNewPrivileges=yes" in unit and "ProtectSystem=strict" in unit
    # ops24: a wrong configuration (2) or a folder another daemon owns (3) is not restarted every 2 s; a folder on a
    # mount waits for the mount
    assert "\nRestartPreventExitStatus=2 3\n" in unit and f"\nRequiresMountsFor={folder.resolve()}\n" in unit
    out = cli(folder, "service", "--install", "--unit-dir", str(tmp_path / "units")).stdout
    installed = tmp_path / "units" / "orchestrator.service"
    assert installed.read_text().startswith("[Unit]") and "systemctl enable --now orchestrator.service" in out
    if shutil.which("systemd-analyze"):  # where systemd's own checker exists, it must accept the unit
        analyze = subprocess.run(["systemd-analyze", "verify", str(installed)], capture_output=True, text=True)
        assert analyze.returncode == 0, analyze.stderr


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("run", "submit", "plan", "status", "show", "events", "explain", "config", "doctor", "subtask",
                    "resume", "service", "schema"):
        with pytest.raises(SystemExit) as exited:
            cli_main([command, "--help"])
        assert exited.value.code == 0 and "usage:" in capsys.readouterr().out


def test_submit_appends_under_the_lock_and_plan_prints_the_interface(folder: Path) -> None:
    task_id = cli(folder, "submit", "Scan repository for security vulnerabilities", "--priority", "high",
                  "--type", "security").stdout.strip()
    entry = json.loads((folder / "task-queue.json").read_text())["tasks"][-1]
    assert entry["id"] == task_id and entry["status"] == "pending" and entry["priority"] == "high"
    orchestrated = json.loads(cli(folder, "submit", "Tidy up", "--orchestrate", "--json").stdout)["id"]
    assert json.loads((folder / "task-queue.json").read_text())["tasks"][-1]["orchestration_required"] is True
    assert orchestrated != task_id
    simple = json.loads(cli(folder, "plan", "--dry-run", "--json", "Fix XSS in the login form").stdout)
    assert set(simple) == {"decision", "master", "confidence", "reasons", "plan"}
    assert (simple["decision"], simple["master"], simple["plan"]) == ("simple", "security", None)
    complex_ = json.loads(cli(folder, "plan", "--dry-run", "--json",
                              "Add authentication system with security audit and docs").stdout)
    assert complex_["master"] is None and len(complex_["plan"]["execution_plan"]) == 5
    assert json.loads((folder / "task-queue.json").read_text())["tasks"][-1]["id"] == orchestrated  # wrote nothing


def test_status_watch_redraws_when_something_changes(folder: Path, daemon: DaemonProcess) -> None:
    import signal

    watcher = subprocess.Popen([sys.executable, "-m", "orchestrator", "status", "--watch", "--coordination-dir",
                                str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert watcher.stdout is not None
        first = watcher.stdout.readline()
        assert "\x1b" not in first and first[8:16] == "  daemon"  # a pipe gets no screen codes: "12:00:00  daemon ..."
        write_by_rename(folder / "task-queue.json", queue_doc(task("t-w", "Fix bug in api/users.py line 4")))
        while "1 assigned" not in (line := watcher.stdout.readline()):
            assert line, "status --watch ended without showing the change"
        watcher.send_signal(signal.SIGINT)
        watcher.communicate(timeout=10)  # keep reading: with the pipe full, its exit would wait for us
        assert watcher.returncode == 0
    finally:
        watcher.kill()


def test_reload_and_stop_reach_the_daemon_through_its_lock(folder: Path, daemon: DaemonProcess) -> None:
    assert daemon.proc is not None
    assert (folder / "orchestrator/daemon.lock").read_text().strip() == str(daemon.proc.pid)
    assert f"sent SIGHUP to PID {daemon.proc.pid}" in cli(folder, "reload").stdout
    daemon.wait_event("config_reloaded")
    assert json.loads(cli(folder, "stop", "--json").stdout)["stopped"] is True
    assert daemon.proc.wait(10) == 0 and daemon.events("orchestrator_stopped")
    gone = cli(folder, "stop", check=False)  # ops23: nothing to stop is done (as systemctl stop); reload is refused
    assert gone.returncode == 0 and "no daemon is running" in gone.stdout
    gone = cli(folder, "reload", check=False)
    assert gone.returncode == 1 and "no daemon is running" in gone.stderr


def test_cancel_and_retry_a_simple_task_with_the_real_daemon(folder: Path, daemon: DaemonProcess) -> None:
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-c", "Fix XSS in the login form")))
    daemon.wait_event("task_assigned", task_id="t-c")
    assert "cancelled" in cli(folder, "cancel", "t-c", "--reason", "wrong form").stdout
    daemon.wait_event("task_cancelled", task_id="t-c")
    first = folder / "masters/security/handoffs/t-c.json"
    assert json.loads(first.read_text())["status"] == "cancelled"
    assert json.loads(cli(folder, "retry", "t-c", "--json").stdout)["retry_count"] == 1
    daemon.wait_event("handoff_created", task_id="t-c", attempt=2)
    assert json.loads((folder / "masters/security/handoffs/t-c-attempt-2.json").read_text())["status"] == "pending"
    again = cli(folder, "retry", "t-c", check=False)
    assert again.returncode == 1 and "its status is assigned" in again.stderr
    assert "moved to development" in cli(folder, "move", "t-c", "development").stdout
    daemon.wait_event("handoff_created", task_id="t-c", master="development")
    assert json.loads((folder / "masters/development/handoffs/t-c-attempt-2.json").read_text())["status"] == "pending"
    refused = cli(folder, "move", "t-c", "development", check=False)
    assert refused.returncode == 1 and "already development's" in refused.stderr


def test_a_planned_task_moved_to_one_master_with_the_real_daemon(folder: Path, daemon: DaemonProcess) -> None:
    """``orchestrator move`` of an orchestration: the daemon aborts the plan and hands the task to the master."""
    write_by_rename(folder / "task-queue.json",
                    queue_doc(task("t-p", "Add authentication system with security audit and docs")))
    daemon.wait_event("stage_started", orchestration_id="orch-t-p")
    refused = cli(folder, "move", "t-p", "docs", check=False)
    assert refused.returncode == 2 and "not a master" in refused.stderr  # a typo: usage (ops22)
    said = cli(folder, "move", "orch-t-p", "security").stdout
    assert "orch-t-p is aborted and its task given to security" in said
    daemon.wait_event("task_assigned", task_id="t-p")
    assert json.loads((folder / "masters/security/handoffs/t-p-attempt-2.json").read_text())["status"] == "pending"
    design = folder / "masters/development/handoffs/to-development-subtask-orch-t-p-s01-design.json"
    assert json.loads(design.read_text())["status"] == "cancelled"
    again = cli(folder, "move", "t-p", "security", check=False)  # security's one piece of work now (attack16)
    assert again.returncode == 1 and "already security's" in again.stderr


def test_events_follow_starts_over_on_a_rotated_file(tmp_path: Path) -> None:
    """``events --follow`` and the web view share one follower: a file rotated under the same name
    (a new, longer file) is read from its start, not from the old file's byte position, even when
    the rotation comes before the follower's first read."""
    import threading

    from orchestrator import events

    path = tmp_path / "dashboard-events.jsonl"
    path.write_text('{"type": "a"}\n{"type": "b"}\n')
    seen: list[str] = []

    def until(count: int) -> None:
        deadline = time.monotonic() + 10
        while len(seen) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    follower = events.follow(path, path.stat().st_size)  # the file is the old one from here on
    rotated = tmp_path / "new.jsonl"
    rotated.write_text('{"type": "c"}\n{"type": "d"}\n{"type": "e"}\n')
    os.replace(rotated, path)  # before the first next(): still a rotation
    threading.Thread(target=lambda: [seen.append(e["type"]) for e in follower], daemon=True).start()
    until(3)
    with open(path, "a") as out:
        out.write('{"type": "f"}\n')
    until(4)
    assert seen == ["c", "d", "e", "f"]


# --- ops22: the task schema describes the task as the daemon leaves it ------------------------------------------------


def _shipped_task_schema() -> dict[str, Any]:
    return dict(json.loads((Path(__file__).parent.parent / "docs/schemas/task.json").read_text()))


def _queue_tasks(folder: Path) -> list[dict[str, Any]]:
    return list(json.loads((folder / "task-queue.json").read_text())["tasks"])


def _check_against_the_schema(tasks: list[dict[str, Any]], others: set[str] = frozenset()) -> None:
    """Each task validates, every field the daemon wrote is described by name (not only let through as "any other
    field", which is how the schema of what the daemon reads let everything pass), and each status it wrote is one
    the schema lists. ``others``: the fields the test itself gave the task, as another writer would."""
    from schema_check import problems, undescribed

    schema = _shipped_task_schema()
    written = {s for option in schema["properties"]["status"]["anyOf"] for s in option.get("enum", [])}
    for entry in tasks:
        assert problems(entry, schema) == [], entry
        assert set(undescribed(entry, schema)) <= others, entry["id"]
        assert entry["status"] in written, entry
        for attempt in entry.get("previous_attempts", []):
            assert undescribed(attempt, schema["$defs"]["EarlierAttempt"]) == [], attempt


def test_a_queue_a_finished_orchestration_left_validates_against_the_task_schema(worked: Path) -> None:
    [done] = _queue_tasks(worked)
    assert done["status"] == "completed" and done["report"] and done["completed_at"]
    _check_against_the_schema([done])


def test_a_queue_the_real_daemon_wrote_validates_against_the_task_schema(folder: Path, daemon: DaemonProcess) -> None:
    """Routed, planned, blocked, cancelled, retried and moved: every field the daemon and its commands write."""
    cycle = [{"id": "a", "title": "A", "dependencies": ["b"]}, {"id": "b", "title": "B", "dependencies": ["a"]}]
    write_by_rename(folder / "task-queue.json", queue_doc(
        task("t-s", "Fix XSS in the login form"), task("t-m", "Fix the login page layout"),
        task("t-p", "Add authentication system with security audit and docs"),
        task("t-b", "Custom plan", subtasks=cycle, reporter="someone")))
    daemon.wait_event("task_assigned", task_id="t-m")
    daemon.wait_event("stage_started", orchestration_id="orch-t-p")
    daemon.wait_event("task_blocked", task_id="t-b")
    cli(folder, "cancel", "t-s", "--reason", "wrong form")
    daemon.wait_event("task_cancelled", task_id="t-s")
    cli(folder, "retry", "t-s")
    daemon.wait_event("handoff_created", task_id="t-s", attempt=2)
    cli(folder, "move", "t-m", "cicd")
    daemon.wait_event("handoff_created", task_id="t-m", master="cicd")
    tasks = {t["id"]: t for t in _queue_tasks(folder)}
    assert tasks["t-s"]["previous_attempts"] and tasks["t-m"]["moved_by"] and tasks["t-p"]["orchestration_id"]
    assert tasks["t-b"]["status"] == "blocked"
    _check_against_the_schema(list(tasks.values()), others={"reporter"})


def test_the_task_schema_check_refuses_what_the_daemon_never_writes() -> None:
    """The opposite: the check is not a formality: a value out of range, a status as a number, an unknown master
    moved to, and a field only another writer uses (accepted, but not described)."""
    from schema_check import problems, undescribed

    schema = _shipped_task_schema()
    good = {"id": "t", "title": "T", "status": "assigned", "assigned_to": "security", "routing_confidence": 0.9}
    assert problems(good, schema) == [] and undescribed(good, schema) == []
    assert problems(good | {"routing_confidence": 2}, schema)
    assert problems(good | {"status": 3}, schema)
    assert problems(good | {"route_to": "qa"}, schema)
    assert problems(good | {"previous_attempts": [{"status": "failed"}]}, schema)  # no attempt, no ended_at
    assert problems(good | {"reporter": "x"}, schema) == [] and undescribed(good | {"reporter": "x"}, schema) == ["reporter"]
