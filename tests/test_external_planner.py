"""The external planner as a real command: a stand-in for an LLM command line
(``tests/planner_standin.py``) answers well, in prose, wrongly and then right, wrongly twice,
slowly, with an error, without end; each bad case ends in the built-in planner, saying why."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from conftest import FAST_CONFIG, DaemonProcess, queue_doc, queue_task, read_events, task, wait_for, write_by_rename

STANDIN = Path(__file__).parent / "planner_standin.py"
AUTH = "Add authentication system with security audit and docs"


def configure(tmp_path: Path, scenario: str, timeout: float = 30.0, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    command = json.dumps([sys.executable, str(STANDIN), scenario, str(tmp_path / "prompts")])
    config.write_text(f"{FAST_CONFIG}\n[planner]\ncommand = {command}\ntimeout_seconds = {timeout}\n{extra}")
    return config


def plan(tmp_path: Path, scenario: str, title: str = AUTH, timeout: float = 30.0) -> dict[str, Any]:
    config = configure(tmp_path, scenario, timeout)
    task_file = tmp_path / "task.json"
    task_file.write_text(json.dumps({"id": "dry-run", "title": title, "status": "pending", "orchestration_required": True}))
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "plan", "--dry-run", "--json", "--config", str(config),
         "--coordination-dir", str(tmp_path), "--task-file", str(task_file)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def prompts(tmp_path: Path) -> list[str]:
    return [(tmp_path / "prompts" / f"prompt-{n}.txt").read_text()
            for n in range(1, len(list((tmp_path / "prompts").glob("*.txt"))) + 1)]


STAGES = {"stage_1": ["orch-dry-run-design"], "stage_2": ["orch-dry-run-backend"],
          "stage_3": ["orch-dry-run-security-review"], "stage_4": ["orch-dry-run-docs"]}


@pytest.mark.parametrize("scenario", ["good", "prose"])
def test_a_good_answer_is_the_plan(tmp_path: Path, scenario: str) -> None:
    result = plan(tmp_path, scenario)
    assert result["plan"]["planner"] == "external"
    assert result["plan"]["execution_plan"] == STAGES
    assert "planner_fallback" not in result and "planner_rejected" not in result
    [prompt] = prompts(tmp_path)
    assert "`security` scans, audits and reviews" in prompt and f'"title": "{AUTH}"' in prompt


def test_an_invalid_answer_is_repaired_in_one_more_round(tmp_path: Path) -> None:
    result = plan(tmp_path, "repair")
    assert result["plan"]["planner"] == "external"
    assert result["plan"]["execution_plan"] == STAGES
    [rejected] = result["planner_rejected"]
    assert rejected["round"] == 1
    assert "subtask 'admin-ui': assigned_to: Input should be 'development', 'security', 'inventory' or 'cicd'" in \
        rejected["problems"]
    first, second = prompts(tmp_path)
    assert second.startswith(first.rstrip()) and "Your previous answer was rejected" in second
    assert all(f"- {problem}" in second for problem in rejected["problems"])


@pytest.mark.parametrize(("scenario", "reason", "rounds"), [
    ("invalid", "answer still invalid after the repair round: subtask 'admin-ui': assigned_to", 2),
    ("silent", "answer still invalid after the repair round: no JSON object found in the answer", 2),
    ("slow", "no answer within 1s", 1),
    ("fail", "exit status 3: Error: model overloaded", 1),
    ("huge", "answer too large (more than 1000000 bytes)", 1),
])
def test_a_bad_or_slow_answer_falls_back_to_the_builtin_planner(
        tmp_path: Path, scenario: str, reason: str, rounds: int) -> None:
    result = plan(tmp_path, scenario, timeout=1.0 if scenario == "slow" else 30.0)
    assert result["plan"]["planner"] == "builtin"
    assert result["planner_fallback"].startswith(f"external planner: {reason}"), result["planner_fallback"]
    assert len(prompts(tmp_path)) == rounds
    assert [r["round"] for r in result.get("planner_rejected", [])] == ([1, 2] if rounds == 2 else [])


def test_a_timeout_ends_the_tool_and_what_it_started(tmp_path: Path) -> None:
    result = plan(tmp_path, "slow-family", timeout=1.0)
    assert result["planner_fallback"] == "external planner: no answer within 1s"
    child = int((tmp_path / "prompts" / "child.pid").read_text())
    wait_for(lambda: not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE,
             what="the tool's child to end")


def test_the_task_text_never_passes_through_a_shell(tmp_path: Path) -> None:
    title = "Add auth with security audit and docs; touch pwned && $(rm -rf ~) `id` > out | cat"
    result = plan(tmp_path, "good", title=title)
    assert result["plan"]["planner"] == "external"
    assert f'"title": {json.dumps(title)}' in prompts(tmp_path)[0]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_the_daemon_plans_with_the_external_planner_and_writes_its_subtasks(
        tmp_path: Path, folder: Path, daemon_factory: Callable[[Path, Path | None], DaemonProcess]) -> None:
    daemon = daemon_factory(folder, configure(tmp_path, "repair")).start()
    write_by_rename(folder / "task-queue.json", queue_doc(task("t1", AUTH, orchestration_required=True)))
    daemon.wait_event("handoff_created", subtask_id="orch-t1-design")
    assert daemon.stop() == 0
    events = read_events(folder)
    [rejected] = [e for e in events if e["type"] == "planner_answer_rejected"]
    assert (rejected["task_id"], rejected["round"], rejected["action"]) == ("t1", 1, "asked again with these problems")
    [started] = [e for e in events if e["type"] == "orchestration_started"]
    assert started["planner"] == "external"
    assert not [e for e in events if e["type"] == "planner_fallback"]
    plan = json.loads((folder / "orchestrator/tasks/orch-t1.json").read_text())
    assert plan["planner"] == "external" and plan["execution_plan"] == {
        stage: [i.replace("dry-run", "t1") for i in ids] for stage, ids in STAGES.items()}
    review = json.loads((folder / "orchestrator/subtasks/orch-t1-security-review.json").read_text())
    assert (review["assigned_to"], review["dependencies"], review["stage"]) == ("security", ["orch-t1-backend"], 3)
    assert review["title"] == "Review the login API for vulnerabilities"
    handoff = json.loads((folder / "masters/development/handoffs/to-development-subtask-orch-t1-design.json").read_text())
    assert "docs/auth-architecture.md lists every endpoint" in handoff["task"]["description"]
    assert queue_task(folder, "t1")["status"] == "orchestrating"
