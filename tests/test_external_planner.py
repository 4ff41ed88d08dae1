"""The external planner: a real command, its answer validated, a bad or slow one replaced by ours."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PLANNER = """
import json, sys, time
task = json.load(sys.stdin)
open(sys.argv[1], "w").write(json.dumps(task))
mode = sys.argv[2]
if mode == "slow":
    time.sleep(30)
if mode == "garbage":
    print("I think you should build it")
    sys.exit(0)
if mode == "fail":
    print("model overloaded", file=sys.stderr)
    sys.exit(3)
if mode == "cycle":
    print(json.dumps([{"id": "a", "title": "A", "dependencies": ["b"]}, {"id": "b", "title": "B", "dependencies": ["a"]},
                      {"id": "c", "title": "C"}]))
    sys.exit(0)
print(json.dumps({"subtasks": [
    {"id": "spec", "title": "Write the spec", "assigned_to": "development", "worker_type": "planner"},
    {"id": "build", "title": "Build it", "dependencies": ["spec"], "files_affected": ["src/x.py"]},
    {"id": "check", "title": "Security check", "assigned_to": "security", "dependencies": ["build"]},
]}))
"""


AUTH = "Add authentication system with security audit and docs"


def plan(tmp_path: Path, mode: str, title: str = AUTH) -> tuple[int, dict[str, Any], Path]:
    script = tmp_path / "planner.py"
    script.write_text(PLANNER)
    received = tmp_path / "received.json"
    config = tmp_path / "config.toml"
    command = json.dumps([sys.executable, str(script), str(received), mode])
    config.write_text(f"[planner]\ncommand = {command}\ntimeout_seconds = 1.0\n")
    task = tmp_path / "task.json"
    task.write_text(json.dumps({"id": "dry-run", "title": title, "status": "pending", "orchestration_required": True}))
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "plan", "--dry-run", "--json", "--config", str(config),
         "--coordination-dir", str(tmp_path), "--task-file", str(task)],
        capture_output=True, text=True, timeout=30,
    )
    return result.returncode, json.loads(result.stdout), received


def test_a_good_answer_is_the_plan(tmp_path: Path) -> None:
    code, result, _ = plan(tmp_path, "good")
    assert code == 0
    assert result["decision"] == "complex"
    assert result["plan"]["planner"] == "external"
    assert result["plan"]["execution_plan"] == {
        "stage_1": ["orch-dry-run-spec"], "stage_2": ["orch-dry-run-build"], "stage_3": ["orch-dry-run-check"]}
    assert "planner_fallback" not in result


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("slow", "no answer within 1s"), ("garbage", "not JSON"), ("fail", "exit status 3: model overloaded"),
     ("cycle", "dependency cycle: a -> b -> a")],
)
def test_a_bad_or_slow_answer_falls_back_to_the_builtin_planner(tmp_path: Path, mode: str, reason: str) -> None:
    code, result, _ = plan(tmp_path, mode)
    assert code == 0
    assert result["plan"]["planner"] == "builtin"
    assert reason in result["planner_fallback"]


def test_the_task_text_never_passes_through_a_shell(tmp_path: Path) -> None:
    title = "Add auth with security audit and docs; touch pwned && $(rm -rf ~) `id` > out | cat"
    code, _, received = plan(tmp_path, "good", title=title)
    assert code == 0
    assert json.loads(received.read_text())["title"] == title
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
