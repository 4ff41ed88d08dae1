"""A ninth attack on lost or doubled work: the external planner's process family and its answer, what
workers write in their subtask files, a person's resume while workers run, the remembered routing
corrections, and the systemd unit around the planner.

Each test here failed before the fix it names.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import psutil
import pytest

from orchestrator import planner_answer
from orchestrator.cli import main as cli_main
from orchestrator.external import run_command
from test_adversary import RULES_ONLY, move

from conftest import wait_for
from planner_standin import GOOD
from sim import SUBTASKS, Sim
from sim import task as sim_task

# --- the external planner ------------------------------------------------------------------------


def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.process
def test_a_tool_that_answers_and_exits_while_its_child_holds_the_output_open_is_heard(tmp_path: Path) -> None:
    """Defect: a planner command that printed a whole answer and exited 0, but left a child holding its
    stdout (a shell wrapper's background job, an MCP helper), was read until the time limit, its answer
    thrown away for the built-in plan; and the child, left out of the killing because the tool itself
    had exited, lived on (one more per planned task)."""
    tool_with_a_child(tmp_path, "")


def tool_with_a_child(tmp_path: Path, popen_options: str) -> None:
    """A planner tool prints a good answer and exits, leaving a child (``subprocess.Popen`` options
    ``popen_options``) asleep: the answer is heard at once and the child ended."""
    pid_file = tmp_path / "child.pid"
    tool = ("import subprocess, sys\n"
            f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']{popen_options})\n"
            f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
            f"print({json.dumps(GOOD)!r})\n")
    answer = asyncio.run(run_command([sys.executable, "-c", tool], b"the prompt", 20.0))
    assert json.loads(answer) == GOOD
    child = int(pid_file.read_text())
    wait_for(lambda: _gone(child), what="the tool's child to end")


class _CountingDecoder(json.JSONDecoder):
    """How many characters the answer's tries were given to read, all together."""

    given = 0

    def raw_decode(self, s: str, idx: int = 0) -> tuple[object, int]:
        _CountingDecoder.given += len(s) - idx
        return super().raw_decode(s, idx)


@pytest.mark.parametrize("depth", [300, 900])
def test_an_answer_of_values_nested_in_one_cut_short_is_read_a_bounded_number_of_times(
        monkeypatch: pytest.MonkeyPatch, depth: int) -> None:
    """Defect: an answer of objects nested in an object cut short ('{"a": {"a": ... [1, 1, ...' of 1 MB)
    was read to its end from each of 500 places a value may begin: 25-35 s on the daemon's event loop per
    round, two rounds, so systemd's watchdog (30 s) killed a working daemon, which planned the same task
    again at every restart. Each try may still read to the end; all together read at most a few times
    the answer's largest size."""
    monkeypatch.setattr(json, "JSONDecoder", _CountingDecoder)
    monkeypatch.setattr(_CountingDecoder, "given", 0)
    text = '{"a": ' * depth + "[" + "1, " * 300_000
    assert planner_answer.find_answer(text) is None
    assert _CountingDecoder.given <= 5 * planner_answer.MAX_ANSWER_CHARS
    # an answer after such garbage (of fewer places to try) is still found
    good = {"subtasks": [{"id": "design"}]}
    assert planner_answer.find_answer('{"a": ' * 300 + "[" + "1, " * 1000 + "...\n" + json.dumps(good)) == good


# --- what a worker writes in its subtask file ----------------------------------------------------


def test_a_completion_whose_result_is_an_object_is_taken_not_redone_and_the_object_is_kept() -> None:
    """Defect: the system's workers write results as objects (``"results": {"status": ...}`` in specs and
    in the queue); one written as the subtask file's ``result`` (or a number as its ``progress``) made
    the whole file invalid: the completion was ignored, the finished worker was found a zombie 20
    minutes later and the subtask handed off again (the work done twice), and the retry's rewrite of
    the file dropped the result."""
    sim = Sim()
    sim.start()
    sim.submit(sim_task("t-1", "Build the widget", subtasks=SUBTASKS))
    sim.tick()
    design = "orch-t-1-design"
    sim.report(design, "start", worker_id="w-1")
    sim.edit(design, progress=50)
    sim.tick(1)
    result = {"summary": "designed", "artifacts": ["docs/widget.md"], "tests_passed": 12}
    sim.edit(design, status="completed", result=result, progress=100)
    sim.tick(1)
    assert [e["subtask_id"] for e in sim.events("subtask_completed")] == [design]
    assert sim.events("subtask_invalid") == []
    assert sim.plan("orch-t-1")["subtasks"][0]["status"] == "completed"
    assert json.loads(sim.plan("orch-t-1")["subtasks"][0]["result"]) == result
    for _ in range(3):
        sim.tick(1000)
    assert sim.events("zombie_detected") == [] and len(sim.events("handoff_created", subtask_id=design)) == 1
    kept = sim.subtask(design)
    assert (kept["status"], kept["result"], kept["progress"]) == ("completed", result, 100)


# --- a person's resume while a worker runs ---------------------------------------------------------


@pytest.mark.parametrize("action", ["skip", "abort"])
def test_a_worker_still_running_when_a_person_skips_its_subtask_or_aborts_its_plan_is_stopped(action: str) -> None:
    """Defect: ``resume --skip`` of a running subtask, or ``--abort`` while workers ran (work beside an
    escalated subtask goes on), left their workers running: a skipped subtask's worker went on beside the
    next stage's, an aborted plan's on work a person had given up, each report refused at its end. A
    failed attempt's worker is stopped (SIGTERM, then SIGKILL after the grace); these were not."""
    sim = Sim()
    sim.start()
    sim.submit(sim_task("t-1", "Build the widget", subtasks=SUBTASKS))
    sim.tick()
    design = "orch-t-1-design"
    sim.processes.states[4242] = "running"
    sim.processes.ignore_term.add(4242)
    sim.report(design, "start", worker_id="w-1", pid=4242)
    sim.tick(1)
    request = {"orchestration_id": "orch-t-1", "action": action} | ({"subtask_id": design} if action == "skip" else {})
    sim.store.put(sim.layout.requests / f"1-{action}.json", request)
    sim.run("requests")
    assert sim.processes.signals == [(4242, 15)]
    sim.tick(10)  # past terminate_grace_seconds: the SIGTERM was ignored
    assert sim.processes.signals == [(4242, 15), (4242, 9)]
    sim.tick(1)
    assert sim.events("worker_terminated", pid=4242, subtask_id=design)
    assert sim.events("orchestration_aborted" if action == "abort" else "orchestration_resumed")


# --- the remembered routing corrections --------------------------------------------------------------


def test_remembered_corrections_that_cannot_be_read_are_never_rewritten_without_them() -> None:
    """Defect: ``state/routing-corrections.json`` that could not be read (a person's edit with a typo,
    an unreadable file) was taken for no corrections: the next correction rewrote it holding that one
    alone, and every correction remembered before was gone."""
    sim = Sim(config=RULES_ONLY)
    sim.start()
    sim.submit(sim_task("t1", "Set a shorter max-age on the session cookie"),
               sim_task("t2", "Add a dark mode toggle to the settings page"))
    sim.tick()
    move(sim, "t1", "security")
    path = sim.layout.routing_corrections
    broken = sim.store.files[path][:-3]  # a person's edit that lost its end
    sim.store.files[path] = broken
    sim = sim.restart()
    move(sim, "t2", "inventory")
    assert sim.store.files[path] == broken  # left as it is
    [problem] = sim.events("routing_corrections_unwritable")
    assert "routing-corrections.json" in problem["problem"]
    sim.tick(1)
    assert len(sim.events("routing_corrections_unwritable")) == 1  # said once
    sim.store.files[path] = broken + b"\n]\n"  # put right: at the queue's next change both are remembered
    sim.submit(sim_task("t3", "Write the release notes"))
    sim.tick(1)
    assert [(c["task_id"], c["master"]) for c in sim.store.get(path)] == [("t1", "security"), ("t2", "inventory")]


# --- the systemd unit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ['"claude"', '"ollama"\nmodel = "llama3"', '["llm", "-m", "gpt-4o"]'])
def test_the_unit_of_a_folder_with_an_external_planner_lets_the_planner_reach_its_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    """Defect: the unit said ``RestrictAddressFamilies=AF_UNIX`` and ``MemoryDenyWriteExecute=yes``
    whatever the configuration, and its children inherit both: a configured planner (claude and llm
    call an API, ollama its local server over TCP; claude runs on node's JIT) could never answer, so
    under systemd every complex task fell back to the built-in planner."""
    config = tmp_path / "config.toml"
    config.write_text(f"[planner]\ncommand = {command}\n")
    assert cli_main(["service", "--coordination-dir", str(tmp_path), "--config", str(config), "--user", "root"]) == 0
    unit = capsys.readouterr().out
    assert "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" in unit
    assert "\nMemoryDenyWriteExecute=yes" not in unit
    # without one the unit stays as tight as it was
    config.write_text("")
    assert cli_main(["service", "--coordination-dir", str(tmp_path), "--config", str(config), "--user", "root"]) == 0
    unit = capsys.readouterr().out
    assert "\nRestrictAddressFamilies=AF_UNIX\n" in unit and "\nMemoryDenyWriteExecute=yes\n" in unit
