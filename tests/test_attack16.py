"""Attack16: a planned task given to one master (``orchestrator move``: ``route_to``) against unlocked writers,
strangers' fields and races; a person's word on a near-identical task."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator import history
from orchestrator.cli import main
from orchestrator.memory import RoutingMemory
from orchestrator.models import MASTERS
from orchestrator.store import Crash

from sim import Sim, task

AUTH = "Add authentication system with security audit and docs"


def give(sim: Sim, orchestration_id: str, master: str, name: str = "1-move") -> None:
    """What ``orchestrator move TASK MASTER`` of an orchestration writes: a request the daemon carries out."""
    sim.store.put(sim.layout.requests / f"{name}.json", {"orchestration_id": orchestration_id, "action": "simple",
                                                          "master": master, "requested_by": "alice"})


def planned(sim: Sim, **fields: Any) -> dict[str, Any]:
    """Task a planned; the queue as it was then (the copy an unlocked writer holds)."""
    sim.start()
    sim.submit(task("a", AUTH, **fields))
    sim.run("queue")
    old = copy.deepcopy(sim.store.get(sim.layout.queue))
    assert old["tasks"][0]["status"] == "orchestrating"
    return old


def pending_handoffs(sim: Sim) -> list[str]:
    return [p.name for p in sim.handoffs() if sim.store.get(p).get("status") == "pending"]


@pytest.mark.parametrize("copied", ["orchestrating", "pending"])
def test_an_old_copy_put_back_after_the_task_was_given_away_gives_it_back_to_that_master(copied: str) -> None:
    """A writer puts back the queue it read while the plan ran (the task ``orchestrating``) after the plan was given
    to security: the queue said ``cancelled`` (the aborted plan's outcome) while security held the task's
    handoff, so the queue no longer showed who does the work. The plan stays aborted, the work is not doubled."""
    sim = Sim()
    old = planned(sim)
    give(sim, "orch-a", "security")
    sim.run("requests")
    sim.run("queue")
    if copied == "pending":  # read before the daemon first took the task
        old["tasks"][0] = task("a", AUTH)
    sim.store.put(sim.layout.queue, old)
    sim.run("queue")
    sim.tick(1)
    sim.tick(1)
    entry = sim.queue_task("a")
    assert (entry["status"], entry["assigned_to"], entry["route_to"], entry["retry_count"]) == (
        "assigned", "security", "security", 1)
    assert entry["handoff_file"] == "masters/security/handoffs/a-attempt-2.json"
    assert sim.plan("orch-a")["status"] == "aborted"
    assert pending_handoffs(sim) == ["a-attempt-2.json"]
    assert len(sim.events("task_assigned", task_id="a")) == 1
    assert len(sim.events("claim_restored", task_id="a")) == 1
    sim = sim.restart()
    sim.tick(1)
    assert sim.queue_task("a")["status"] == "assigned" and len(sim.events("claim_restored", task_id="a")) == 1


def test_an_old_copy_of_an_aborted_plans_task_is_still_cancelled() -> None:
    """The near case: a plan aborted, not given away (orchestrator resume --abort), comes back cancelled."""
    sim = Sim()
    old = planned(sim)
    sim.store.put(sim.layout.requests / "1-abort.json", {"orchestration_id": "orch-a", "action": "abort"})
    sim.run("requests")
    sim.run("queue")
    sim.store.put(sim.layout.queue, old)
    sim.run("queue")
    sim.tick(1)
    entry = sim.queue_task("a")
    assert entry["status"] == "cancelled" and "route_to" not in entry and pending_handoffs(sim) == []
    [restored] = sim.events("claim_restored", task_id="a")
    assert "the queue said orchestrating again although orch-a is aborted" in restored["problem"]  # it said cancelled


def test_route_to_on_the_task_of_a_plan_still_running_doubles_no_work() -> None:
    """A writer sets ``route_to`` on a task whose plan runs, and makes it pending again (or puts back a copy that was
    pending): the master it names got the whole task while the plan's first subtask was with development. Only a
    plan given away through ``orchestrator move`` lets its task go to one master."""
    sim = Sim()
    old = planned(sim)
    old["tasks"][0] |= {"status": "pending", "route_to": "cicd"}
    sim.store.put(sim.layout.queue, old)
    sim.run("queue")
    sim.tick(1)
    assert sim.plan("orch-a")["status"] == "in_progress"
    assert pending_handoffs(sim) == ["to-development-subtask-orch-a-s01-design.json"]
    assert sim.queue_task("a")["status"] == "orchestrating"
    assert not sim.events("task_assigned", task_id="a") and not sim.events("routing_corrected", task_id="a")


def test_route_to_on_a_fresh_task_is_its_writers_choice_not_a_correction_of_a_plan() -> None:
    """A writer's ``route_to`` on a task never planned: given to that master (a person's word), but no plan was
    aborted (the reason said one was) and nothing the daemon decided was corrected (it learned 'a plan' -> cicd, so
    near-identical tasks went to cicd unplanned)."""
    sim = Sim()
    sim.start()
    sim.submit(task("a", AUTH, route_to="cicd"))
    sim.run("queue")
    entry = sim.queue_task("a")
    assert (entry["status"], entry["assigned_to"]) == ("assigned", "cicd")
    assert "aborted" not in " ".join(entry["routing_reasons"]) and "route_to" in entry["routing_reasons"][0]
    assert not sim.events("routing_corrected")
    sim.submit(task("b", AUTH.replace("docs", "documentation")))
    sim.run("queue")
    assert sim.queue_task("b")["status"] == "orchestrating"


def _on_disk(sim: Sim, root: Path) -> Path:
    """The Sim's files written to a real folder, for the commands (which read and write files)."""
    for path, data in sim.store.files.items():
        target = root / path.relative_to(sim.layout.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def _command(root: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main([*argv, "--coordination-dir", str(root)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", [("cancel",), ("move", "cicd")])
def test_a_task_given_away_is_one_masters_task_for_the_commands(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    """Once its plan was given to security the task is security's one piece of work: cancel and move refused it
    ('it is an orchestration: orchestrator resume orch-a --abort', which in turn was refused: orch-a is aborted),
    so nobody could stop it or hand it on. The daemon carries the edit out (the handoff withdrawn or moved)."""
    sim = Sim()
    planned(sim)
    give(sim, "orch-a", "security")
    sim.run("requests")
    sim.run("queue")
    root = _on_disk(sim, tmp_path / "c")
    code, err = _command(root, capsys, command[0], "a", *command[1:])
    assert code == 0, err
    sim.store.files[sim.layout.queue] = (root / "task-queue.json").read_bytes()
    sim.run("queue")
    sim.tick(1)
    handoff = sim.store.get(sim.layout.task_handoff("security", "a", 2))
    assert handoff["status"] == "cancelled"
    if command[0] == "move":
        assert pending_handoffs(sim) == ["a-attempt-2.json"] and sim.queue_task("a")["assigned_to"] == "cicd"
        assert sim.store.get(sim.layout.task_handoff("cicd", "a", 2))["status"] == "pending"
    else:
        assert sim.queue_task("a")["status"] == "cancelled" and pending_handoffs(sim) == []


def test_a_task_given_away_that_failed_is_retried_with_the_same_master(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sim = Sim()
    planned(sim)
    give(sim, "orch-a", "security")
    sim.run("requests")
    sim.run("queue")
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["status"] = "failed"  # security's worker failed it
    sim.store.put(sim.layout.queue, queue)
    root = _on_disk(sim, tmp_path / "c")
    code, err = _command(root, capsys, "retry", "a")
    assert code == 0, err
    sim.store.files[sim.layout.queue] = (root / "task-queue.json").read_bytes()
    sim.run("queue")
    entry = sim.queue_task("a")
    assert (entry["status"], entry["assigned_to"], entry["retry_count"]) == ("assigned", "security", 2)
    assert sim.plan("orch-a")["status"] == "aborted"


@pytest.mark.parametrize("command", [("cancel",), ("retry",), ("move", "cicd")])
def test_a_plan_aborted_without_being_given_away_still_refuses_the_task_commands(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    """The near case: its plan is the task's (aborted by resume --abort, or running): the commands say so."""
    sim = Sim()
    planned(sim)
    root = _on_disk(sim, tmp_path / "running")
    code, err = _command(root, capsys, command[0], "a", *command[1:])
    assert code != 0 or command[0] == "move"  # move of a running plan's task writes the request to give it away
    sim.store.put(sim.layout.requests / "1-abort.json", {"orchestration_id": "orch-a", "action": "abort"})
    sim.run("requests")
    root = _on_disk(sim, tmp_path / "aborted")
    code, err = _command(root, capsys, command[0], "a", *command[1:])
    assert code != 0 and ("orchestration" in err or "aborted" in err), err


def test_a_subtask_started_after_the_commands_check_but_before_the_daemon_saw_it_keeps_its_plan() -> None:
    """The worker started the first subtask (its file says so) after ``orchestrator move`` checked the plan, and the
    daemon took the request before the file's event: it checked the plan it held (the subtask only handed off) and
    gave the task to security while the design worker ran on, the subtask left in_progress on an aborted plan."""
    sim = Sim()
    planned(sim)
    assert sim.report("orch-a-s01-design", "start", worker_id="w1", pid=4242) is None
    give(sim, "orch-a", "security")
    sim.run("requests")
    sim.run("queue")
    sim.tick(1)
    [refused] = sim.events("request_refused", orchestration_id="orch-a")
    assert "work on it has begun (orch-a-s01-design)" in refused["problem"]
    assert sim.plan("orch-a")["status"] == "in_progress" and sim.queue_task("a")["status"] == "orchestrating"
    assert not sim.events("task_assigned", task_id="a") and not sim.events("orchestration_aborted")


def test_a_huge_corrections_file_is_not_indexed_for_every_decision() -> None:
    """persons_word reads the corrections for every task decided (before, only unsure ones read them): 20,000
    remembered took a pass of 20 tasks from 0.3 s to 1.8 s. The newest count; the older ones still break ties."""
    sim = Sim()
    oldest = {"task_id": "old", "title": "Quarantine the flaky checkout integration test", "text": "",
              "routed_to": "security", "master": "cicd"}
    filler = [{"task_id": f"c{i}", "title": f"zzfiller{i} qqword{i}", "text": "", "routed_to": "security",
               "master": "development"} for i in range(history.MAX_PERSONS_WORDS)]
    newest = {"task_id": "new", "title": "Rotate the payroll vendor sftp credentials", "text": "",
              "routed_to": "security", "master": "inventory"}
    sim.store.put(sim.layout.routing_corrections, [oldest, *filler, newest])
    memory = RoutingMemory(sim.store)
    said = memory.history([])
    word = said.persons_word("Rotate the payroll vendor sftp credentials", "")
    assert word is not None and word.master == "inventory"
    assert said.persons_word("Quarantine the flaky checkout integration test", "") is None
    assert said.vote("Quarantine the flaky checkout integration test", "", MASTERS) is not None  # ties: all of them


# --- kill -9 of a real daemon before each durable step of giving a plan's task to one master -----------------

EVERY = int(os.environ.get("ATTACK16_EVERY", "3"))  # 1: every crash point


def _move_killed_and_recovered(tmp_path: Path, at: int) -> bool:
    """Whether the daemon was killed at the ``at``-th point after the move was requested; the restarted one must
    finish it whole, each step once."""
    from test_attack15 import KILLER

    from conftest import FAST_CONFIG, queue_doc, read_events, wait_for, write_by_rename

    base = tmp_path / f"move-{at}"
    root = base / "coordination"
    root.mkdir(parents=True)
    (root / "task-queue.json").write_text(json.dumps(queue_doc()))
    config = base / "config.toml"
    config.write_text(FAST_CONFIG)
    killer = base / "killer.py"
    killer.write_text(KILLER)
    arm = base / "arm"
    env = dict(os.environ, A15_ARM=str(arm), A15_KILL_AT=str(at))
    command = ["run", "--coordination-dir", str(root), "--config", str(config)]
    moved = root / "masters/security/handoffs/a-attempt-2.json"
    design = root / "masters/development/handoffs/to-development-subtask-orch-a-s01-design.json"

    def started(count: int) -> bool:
        return sum(e["type"] == "orchestrator_started" for e in read_events(root)) >= count

    def done() -> bool:
        entry = json.loads((root / "task-queue.json").read_text())["tasks"][0]
        return entry.get("status") == "assigned" and moved.exists() and any(
            e["type"] == "routing_corrected" for e in read_events(root))

    with open(base / "daemon.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, str(killer), *command], env=env, stdout=log, stderr=log)
    try:
        wait_for(lambda: started(1) or proc.poll() is not None, 15, "started")
        write_by_rename(root / "task-queue.json", queue_doc(task("a", AUTH)))
        wait_for(lambda: design.exists(), 15, "planned")
        time.sleep(0.2)
        arm.write_text("")
        assert main(["move", "a", "security", "--coordination-dir", str(root)]) == 0
        wait_for(lambda: proc.poll() is not None or done(), 15, "killed or done")
        time.sleep(0.3)
        killed = proc.poll() == -9
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(15)
    with open(base / "daemon.log", "ab") as log:
        again = subprocess.Popen([sys.executable, "-m", "orchestrator", *command], stdout=log, stderr=log)
    try:
        wait_for(lambda: started(2) or again.poll() is not None, 15, "restarted")
        wait_for(done, 15, f"recovered after a kill at point {at}")
        time.sleep(0.3)
    finally:
        again.terminate()
        assert again.wait(15) == 0, (base / "daemon.log").read_text()
    entry = json.loads((root / "task-queue.json").read_text())["tasks"][0]
    assert (entry["assigned_to"], entry["route_to"], entry["retry_count"]) == ("security", "security", 1), (at, entry)
    assert json.loads(moved.read_text())["status"] == "pending"
    assert json.loads(design.read_text())["status"] == "cancelled"
    assert json.loads((root / "orchestrator/tasks/orch-a.json").read_text())["status"] == "aborted"
    events = read_events(root)
    for kind in ("orchestration_aborted", "task_assigned", "routing_corrected", "orchestration_started"):
        assert sum(e["type"] == kind for e in events) == 1, (at, kind)
    assert not list(root.glob("orchestrator/requests/*.json"))
    for path in root.rglob("*.json"):
        json.loads(path.read_text())  # every file whole
    return killed


@pytest.mark.process
def test_a_daemon_killed_before_any_durable_step_of_a_move_finishes_it_once(tmp_path: Path) -> None:
    at, killed = 1, True
    while killed:
        killed = _move_killed_and_recovered(tmp_path, at)
        at += EVERY
    assert at > 10  # not vacuous: the move has that many crash points


@pytest.mark.parametrize("crash_at", range(12))
def test_the_correction_of_a_given_away_task_is_said_once_whatever_the_crash(crash_at: int) -> None:
    """The daemon killed after it wrote the correction (routing-corrections.json) and before its event: the restarted
    one found it remembered and said nothing, ever (found by the kill -9 test below at one point in 30)."""
    sim = Sim()
    planned(sim)
    give(sim, "orch-a", "security")
    sim.store.crash_at = sim.store.writes + crash_at
    with contextlib.suppress(Crash):
        sim.run("requests")
        sim.run("queue")
    sim.store.crash_at = None
    sim = sim.restart()
    sim.tick(1)
    sim.tick(1)
    assert sim.queue_task("a")["assigned_to"] == "security"
    [said] = sim.events("routing_corrected", task_id="a")
    assert (said["routed_to"], said["master"]) == ("a plan", "security")
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("routing_corrected", task_id="a")) == 1


def test_a_given_away_task_moved_on_and_retried_goes_to_the_last_master_a_person_chose(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Given to security, then moved to cicd, then failed and retried: the retry went back to security (route_to
    still named it) though the person's last word was cicd."""
    sim = Sim()
    planned(sim)
    give(sim, "orch-a", "security")
    sim.run("requests")
    sim.run("queue")
    root = _on_disk(sim, tmp_path / "c")
    assert _command(root, capsys, "move", "a", "cicd")[0] == 0
    queue = json.loads((root / "task-queue.json").read_text())
    queue["tasks"][0]["status"] = "failed"  # cicd's worker failed it
    (root / "task-queue.json").write_text(json.dumps(queue))
    assert _command(root, capsys, "retry", "a")[0] == 0
    sim.store.files[sim.layout.queue] = (root / "task-queue.json").read_bytes()
    sim.run("queue")
    entry = sim.queue_task("a")
    assert (entry["status"], entry["assigned_to"], entry["retry_count"]) == ("assigned", "cicd", 2)
