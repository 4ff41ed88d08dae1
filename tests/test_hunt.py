"""A second fault hunt: an operator's requests, the wall clock, reloads and workers, as a hostile
environment and a careless operator would have them. Each test failed before its fix."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import ConfigError, load_config

from conftest import DaemonProcess, queue_doc, write_by_rename
from conftest import task as queue_entry
from sim import SUBTASKS, Sim, task

ORCH = "orch-w"


def sid(name: str) -> str:
    return f"{ORCH}-{name}"


def started(config: dict[str, Any] | None = None) -> Sim:
    sim = Sim(config=config)
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    return sim


def escalated() -> Sim:
    """The design subtask failed three times: the orchestration waits for a person."""
    sim = started()
    for attempt in (1, 2, 3):
        sim.report(sid("design"), "fail", reason=f"boom {attempt}", worker_id=f"w{attempt}")
        sim.tick(100)
        sim.tick(100)
    assert sim.plan(ORCH)["status"] == "blocked"
    return sim


def undeletable_requests(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The requests folder is read-only to the daemon (EACCES on unlink)."""
    remove = sim.store.remove

    def refuse(path: Path) -> None:
        if path.parent == sim.layout.requests:
            raise PermissionError(13, "Permission denied", str(path))
        remove(path)

    monkeypatch.setattr(sim.store, "remove", refuse)


# --- an operator's request that cannot be removed ------------------------------------------------

def test_a_request_that_cannot_be_removed_is_carried_out_once_and_the_monitor_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sim = escalated()
    undeletable_requests(sim, monkeypatch)
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    assert sim.subtask(sid("design"))["attempt"] == 4
    sim.report(sid("design"), "start", worker_id="w4", pid=4242)  # PID 4242 is not running: dead
    for _ in range(3):
        sim.tick(10)  # used to raise PermissionError before the monitor looked at any worker
    assert sim.events("worker_dead", subtask_id=sid("design"))
    assert not sim.events("request_refused")  # used to be said again on every pass
    assert len(sim.events("write_failed", path=str(sim.layout.requests / "1-a.json"))) == 1
    assert len(sim.events("orchestration_resumed")) == 1


def test_a_request_left_in_place_never_retries_a_later_failure_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Left there (it could not be removed, then a restart), the request must not retry a subtask
    that failed again: only a person decides that."""
    sim = escalated()
    undeletable_requests(sim, monkeypatch)
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    sim.report(sid("design"), "fail", reason="still broken", worker_id="w4", transient=False)
    sim.tick(1)
    assert sim.plan(ORCH)["status"] == "blocked"
    sim = sim.restart()
    sim.tick(1)
    assert sim.plan(ORCH)["status"] == "blocked"
    assert sim.subtask(sid("design"))["attempt"] == 4
    assert len(sim.events("orchestration_resumed")) == 1


# --- reload with a configuration file nobody foresaw ---------------------------------------------

DEEP = "a = " + "[" * 5000 + "]" * 5000
NO_HOME = '[planner]\nprompt_file = "~no-such-user-hunt/prompt.md"\n'


@pytest.mark.parametrize("text", [NO_HOME, DEEP], ids=["prompt_file_of_an_unknown_users_home", "deep_nesting"])
def test_a_config_that_broke_the_reader_in_an_unforeseen_way_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path, tmp_path)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_config_file_that_is_a_fifo_or_a_device_is_refused_without_waiting(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "config.toml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/null")  # /dev/zero would be read until memory runs out
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            load_config(path, tmp_path)
            outcome.append(None)
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive() and kind == "fifo":  # waiting for a writer: let it go, then fail
        with open(path, "wb"):
            pass
        reader.join(5)
        pytest.fail("load_config waited for a writer of the FIFO")
    assert outcome and isinstance(outcome[0], ConfigError) and "not a regular file" in str(outcome[0])


@pytest.mark.process
def test_sighup_with_a_config_the_reader_did_not_foresee_keeps_the_daemon_working(
        daemon: DaemonProcess, folder: Path) -> None:
    """A RuntimeError out of the reload used to end the daemon's work loop: the process stayed up
    (status said it runs) and never took a task again."""
    daemon.config.write_text(daemon.config.read_text() + NO_HOME)
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGHUP)
    failed = daemon.wait_event("config_reload_failed")
    assert "prompt_file" in failed["problem"]
    write_by_rename(folder / "task-queue.json", queue_doc(queue_entry("t-after", "Fix bug in api/users.py line 42")))
    daemon.wait_event("task_assigned", task_id="t-after")
