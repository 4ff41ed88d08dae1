"""ops22: exit codes an operator's script can rely on, the same for every command: 0 done and nothing wrong,
1 a problem found or the work refused, 2 wrong usage (README, "Commands": the table of 1s).

``status`` exited 0 on a queue it could not read while ``doctor`` exited 1 on the same folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.cli import main

from conftest import queue_doc, task

ROOT = Path(__file__).parent.parent
BROKEN = '{"tasks": ['


def code_of(capsys: pytest.CaptureFixture[str], folder: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--coordination-dir", str(folder)])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_exits_1_on_a_queue_it_cannot_read_as_doctor_does(capsys: pytest.CaptureFixture[str],
                                                                 folder: Path) -> None:
    (folder / "task-queue.json").write_text(BROKEN)
    code, out, _ = code_of(capsys, folder, "status")
    assert code == 1 and "invalid JSON" in out and "-> fix the file by hand" in out
    code, out, _ = code_of(capsys, folder, "status", "--json")
    assert code == 1 and "invalid JSON" in json.loads(out)["problems"][0]
    assert code_of(capsys, folder, "doctor")[0] == 1


def test_status_exits_1_on_a_plan_file_it_cannot_read(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    (folder / "orchestrator/tasks").mkdir(parents=True)
    (folder / "orchestrator/tasks/orch-x.json").write_text("{")
    code, out, _ = code_of(capsys, folder, "status")
    assert code == 1 and "-> restore the plan file or remove it" in out
    assert out.count("orch-x.json") == 1  # the problem names its file: not said twice on the line


@pytest.mark.parametrize("queue", ["missing", "empty", "tasks"])
def test_status_exits_0_on_a_folder_with_nothing_wrong(capsys: pytest.CaptureFixture[str], folder: Path,
                                                       queue: str) -> None:
    """The near cases: a queue not made yet is normal, and a blocked task or no daemon is a warning, not a problem."""
    if queue == "missing":
        (folder / "task-queue.json").unlink()
    elif queue == "tasks":
        (folder / "task-queue.json").write_text(json.dumps(queue_doc(
            task("b", "Fix the login page", status="blocked", blocked_reason="waiting"))))
    code, out, _ = code_of(capsys, folder, "status")
    assert code == 0 and "daemon not running" in out
    assert code_of(capsys, folder, "status", "--json")[0] == 0


@pytest.mark.parametrize(("argv", "expected"), [
    (["move", "t1", "qa"], 2),  # a master that does not exist is a typo: usage (it was 1, like a refusal)
    (["move", "t1", "security"], 1),  # a pending task cannot be moved: refused, nothing changed
    (["move", "nosuch", "security"], 1),
    (["cancel", "nosuch"], 1),
    (["retry", "t1"], 1),
    (["cancel", "t1"], 0),
    (["show", "nosuch"], 1),
    (["explain", "t1"], 0),
    (["explain", "nosuch"], 1),
    (["events", "--type", "no_such_type"], 2),
    (["events"], 0),
    (["status", "--state", "no_such_state"], 2),
    (["subtask", "start", "nosuch"], 1),
    (["resume", "nosuch", "--abort"], 1),
    (["stop"], 0),  # ops23: nothing to stop is what stop is for, as `systemctl stop` of a stopped unit
    (["show", "t1"], 0),  # ops23: a simple task is no error; it says where it went
    (["reload"], 1),
    (["doctor"], 0),
    (["config"], 0),
    (["submit", "   "], 2),
])
def test_every_command_exits_as_the_readme_table_says(capsys: pytest.CaptureFixture[str], folder: Path,
                                                      argv: list[str], expected: int) -> None:
    (folder / "task-queue.json").write_text(json.dumps(queue_doc(task("t1", "Fix the login page"))))
    for sub in ("tasks", "subtasks", "state", "requests", "tmp"):
        (folder / "orchestrator" / sub).mkdir(parents=True, exist_ok=True)
    for master in ("development", "security", "inventory", "cicd"):
        (folder / "masters" / master / "handoffs").mkdir(parents=True, exist_ok=True)
    code, _, err = code_of(capsys, folder, *argv)
    assert code == expected, err
    if code:
        assert err  # a refusal or a problem is said, on stderr


def test_the_readme_gives_each_command_its_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("Exit codes, the same for every command"):readme.index("### Reading events")]
    for name in ("status", "doctor", "show", "explain", "events", "submit", "cancel", "retry", "move", "subtask",
                 "resume", "plan", "reload", "stop", "service", "web", "config", "schema", "completion"):
        assert f"`{name}`" in table, name


def test_status_exit_code_as_a_script_sees_it(folder: Path) -> None:
    """As a subprocess, the way a monitoring script runs it."""
    def status() -> int:
        return subprocess.run([str(Path(sys.executable).parent / "orchestrator"), "status", "--coordination-dir",
                               str(folder)], capture_output=True, text=True, timeout=60, check=False).returncode

    assert status() == 0
    (folder / "task-queue.json").write_text(BROKEN)
    assert status() == 1
