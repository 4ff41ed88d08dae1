"""attack25, with the real daemon: what a service manager hears while the pickup cannot write.

A full disk, a queue that is a symlink, a folder in a handoff's place: the daemon is not wedged (a restart would
change nothing, so its watchdog pings go on), but nothing it takes is written. ``systemctl status`` shows the
``STATUS=`` line, and on a full disk it is the only thing that can tell anyone (the events file cannot be
appended to either): it said "0 orchestrating, 0 blocked, 0 completed; watching ..." all along.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from orchestrator import events

from conftest import PATIENCE, WIDGET_SUBTASKS, DaemonProcess, queue_doc, queue_task, read_events, task, wait_for, write_by_rename

pytestmark = pytest.mark.process

SIMPLE = "Fix bug in api/users.py line 42"


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    """A datagram socket standing in for systemd."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(0.2)
    yield sock
    sock.close()


class Service:
    """The daemon as systemd runs it, and the last ``STATUS=`` it sent."""

    def __init__(self, folder: Path, config: Path, sock: socket.socket) -> None:
        self.sock = sock
        self.last = ""
        self.pings = 0
        env = {**os.environ, "NOTIFY_SOCKET": sock.getsockname(), "WATCHDOG_USEC": "400000"}
        self.proc = subprocess.Popen([sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(folder),
                                      "--config", str(config)], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def status(self) -> str:
        """Every datagram sent so far read; the last STATUS."""
        while True:
            try:
                data = self.sock.recv(4096).decode()
            except TimeoutError:
                return self.last
            fields = dict(line.split("=", 1) for line in data.splitlines())
            self.last = fields.get("STATUS", self.last)
            self.pings += fields.get("WATCHDOG") == "1"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture
def service(folder: Path, fast_config: Path, notify_socket: socket.socket) -> Iterator[Service]:
    running = Service(folder, fast_config, notify_socket)
    wait_for(lambda: "watching" in running.status(), what="READY with a status")
    yield running
    running.close()


def test_a_queue_that_cannot_be_written_is_in_the_services_status_until_it_can(folder: Path, service: Service) -> None:
    (folder / "queues").mkdir()
    (folder / "queues" / "today.json").write_text(json.dumps(queue_doc(task("s1", SIMPLE))))
    (folder / "task-queue.json").unlink()
    (folder / "task-queue.json").symlink_to("queues/today.json")  # never written through
    status = wait_for(lambda: "queue not written" in (line := service.status()) and line, what="the status says it")
    assert "symlink" in status and "watching" in status
    pings = service.pings
    wait_for(lambda: service.status() is not None and service.pings > pings + 2, what="pings: not wedged")
    # put right: a plain file again; the task is taken and the status says nothing more of it
    text = (folder / "queues" / "today.json").read_text()
    (folder / "task-queue.json").unlink()
    write_by_rename(folder / "task-queue.json", json.loads(text))
    wait_for(lambda: queue_task(folder, "s1")["status"] == "assigned", what="taken")
    wait_for(lambda: "not written" not in service.status(), what="the status cleared")


def test_a_handoff_that_cannot_be_written_is_in_the_services_status_until_it_can(folder: Path, service: Service) -> None:
    (folder / "masters/development/handoffs/s1.json").mkdir(parents=True)  # a folder in the handoff's place
    write_by_rename(folder / "task-queue.json", queue_doc(task("s1", SIMPLE), task("s2", "Fix bug in api/orders.py line 7")))
    wait_for(lambda: queue_task(folder, "s2")["status"] == "assigned", what="the other task taken")
    status = wait_for(lambda: "not written" in (line := service.status()) and line, what="the status says it")
    assert "1 handoff not written" in status and "s1" in status
    (folder / "masters/development/handoffs/s1.json").rmdir()
    wait_for(lambda: queue_task(folder, "s1")["status"] == "assigned", what="taken once it can be written")
    wait_for(lambda: "not written" not in service.status(), what="the status cleared")


def test_a_service_that_writes_says_nothing_of_writes(folder: Path, service: Service) -> None:
    write_by_rename(folder / "task-queue.json", queue_doc(task("s1", SIMPLE)))
    wait_for(lambda: queue_task(folder, "s1")["status"] == "assigned", what="taken")
    time.sleep(0.5)
    assert "not written" not in service.status() and "watching" in service.last


# --- kill -9 at each rename of a step (strace -e inject), restart, compare with a run that was not cut ------------

STRACE = shutil.which("strace")
SWEEP = bool(os.environ.get("ATTACK25_SWEEP"))
"""``make faults``: a cut at every rename of the step (minutes); else one cut, at the 4th (the plan written, the
handoffs not yet), so that ``make test`` stays quick."""
CUTS = range(1, 30) if SWEEP else range(4, 5)
PLANNED = "orchestrator/tasks/orch-w.json"


def _start(folder: Path, config: Path, inject: str | None = None) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(folder), "--config", str(config)]
    if inject is not None:
        assert STRACE is not None
        command = [STRACE, "-f", "-qq", "-o", os.devnull, "-e", "trace=rename", "-e", f"inject=rename:{inject}", *command]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _subtask(folder: Path, name: str) -> dict[str, Any]:
    plan = json.loads((folder / PLANNED).read_text())
    return next(s for s in plan["subtasks"] if s["subtask_id"] == f"orch-w-{name}")


def _report(folder: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "orchestrator", "subtask", *args, "--worker-id", "wk",
                           "--coordination-dir", str(folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


HANDOFFS = "masters/development/handoffs"
STEPS: dict[str, tuple[tuple[str, ...], Callable[[Path], bool], list[str]]] = {
    # a stage advance: design done, stage 2's two handoffs
    "advance": (("complete", "orch-w-design", "--result", "ok"),
                lambda f: all(_subtask(f, s)["handed_off_at"] for s in ("backend", "frontend")),
                [f"{HANDOFFS}/{name}.json" for name in ("s1", "to-development-subtask-orch-w-backend",
                                                         "to-development-subtask-orch-w-design",
                                                         "to-development-subtask-orch-w-frontend")]),
    # a retry: attempt 2's handoff
    "retry": (("fail", "orch-w-design", "--reason", "flaky", "--transient"),
              lambda f: _subtask(f, "design")["attempt"] == 2 and bool(_subtask(f, "design")["handed_off_at"]),
              [f"{HANDOFFS}/{name}.json" for name in ("s1", "to-development-subtask-orch-w-design-attempt-2",
                                                       "to-development-subtask-orch-w-design")]),
}


def _scene(folder: Path, config: Path, step: str) -> None:
    """The widget's plan at stage 1 and a simple task routed; the daemon stopped; then the step's report."""
    write_by_rename(folder / "task-queue.json", queue_doc(task("w", "Widget", subtasks=WIDGET_SUBTASKS), task("s1", SIMPLE)))
    daemon = _start(folder, config)
    try:
        wait_for(lambda: _quiet_bool(lambda: bool(_subtask(folder, "design")["handed_off_at"])), what="stage 1")
        wait_for(lambda: queue_task(folder, "s1")["status"] == "assigned", what="routed")
    finally:
        daemon.terminate()
        assert daemon.wait(30) == 0
    _report(folder, *STEPS[step][0])


def _quiet_bool(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except (OSError, ValueError, KeyError, StopIteration):
        return False


def _settle(folder: Path, config: Path, step: str) -> tuple[list[str], Counter[tuple[Any, ...]]]:
    """A daemon run until the step is done; what it leaves: the handoffs, and each event's key counted."""
    starts = sum(e["type"] == "orchestrator_started" for e in read_events(folder))
    daemon = _start(folder, config)
    try:
        wait_for(lambda: sum(e["type"] == "orchestrator_started" for e in read_events(folder)) > starts, what="started")
        wait_for(lambda: _quiet_bool(lambda: STEPS[step][1](folder)), what=f"{step} done")
        time.sleep(0.5)  # anything it would still do, done
    finally:
        daemon.terminate()
        assert daemon.wait(30) == 0
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())  # every file whole
    said = Counter((e["type"], e.get("handoff_id"), e.get("subtask_id"), e.get("task_id"), e.get("stage"), e.get("attempt"))
                   for e in read_events(folder) if e["type"] not in ("orchestrator_started", "orchestrator_stopped"))
    return sorted(str(p.relative_to(folder)) for p in folder.glob("masters/*/handoffs/*.json")), said


@pytest.mark.skipif(STRACE is None, reason="needs strace (its -e inject kills the daemon at a chosen rename)")
@pytest.mark.parametrize("step", sorted(STEPS))
def test_kill_9_at_each_rename_of_a_step_loses_and_doubles_nothing(tmp_path: Path, fast_config: Path, step: str) -> None:
    expected = STEPS[step][2]  # what a run that was not cut leaves
    for n in CUTS:
        folder = tmp_path / f"cut-{n}" / "coordination"
        folder.mkdir(parents=True)
        _scene(folder, fast_config, step)
        cut = _start(folder, fast_config, f"signal=SIGKILL:when={n}")
        try:
            cut.wait(5 * PATIENCE)
            killed = True
        except subprocess.TimeoutExpired:
            killed = False
        if not killed:  # the step has fewer renames than n: the sweep is over
            for child in psutil.Process(cut.pid).children(recursive=True):
                child.kill()
            cut.kill()
            cut.wait()
            assert SWEEP and n > 3, f"strace cut nothing at rename {n}: nothing was tested"
            return
        handoffs, said = _settle(folder, fast_config, step)
        assert handoffs == expected, f"cut at rename {n}"
        assert not [key for key, count in said.items() if count > 1], f"said twice, cut at rename {n}"
    assert not SWEEP, "more than 29 renames in one step"


# --- `orchestrator status` while the daemon cannot write the queue ----------------------------------------------


def _status(folder: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "orchestrator", "status", "--coordination-dir", str(folder)],
                          capture_output=True, text=True, timeout=60)
    return done.stdout


def test_status_says_the_daemon_cannot_write_the_queue_while_its_lock_is_held_and_not_after(
    folder: Path, daemon: DaemonProcess
) -> None:
    holder = os.open(folder / "task-queue.json.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # another process's lock, held for ever (a stuck script)
        write_by_rename(folder / "task-queue.json", queue_doc(task("s1", SIMPLE)))
        said = wait_for(lambda: "cannot write it" in (out := _status(folder)) and out, what="status says it")
        assert "still held by another process" in said and "1 pending" in said  # it showed '1 pending' alone
    finally:
        os.close(holder)  # let go
    wait_for(lambda: queue_task(folder, "s1")["status"] == "assigned", what="taken once free")
    wait_for(lambda: "cannot write it" not in _status(folder), what="status says nothing of it")


def test_an_open_spell_is_the_last_one_said_that_nothing_ended() -> None:
    def line(event_id: str) -> bytes:
        return json.dumps({"type": "x", "event_id": event_id, "problem": event_id}).encode()

    fault, cleared = "task-queue.json:update_failed", "task-queue.json:updated"
    lines = b"\n".join([line(f"{fault}:1"), line(f"{cleared}:1"), line(f"{fault}:2"), b"{torn"])
    assert (events.open_spell(lines, fault, cleared) or {}).get("problem") == f"{fault}:2"
    assert events.open_spell(lines + b"\n" + line(f"{cleared}:2"), fault, cleared) is None
    assert events.open_spell(lines, "other:update_failed", "other:updated") is None
    # rotated away: known by the mark's numbers alone
    assert events.open_spell(b"", fault, cleared, {fault: 3, cleared: 2}) == {"event_id": f"{fault}:3"}
    assert events.open_spell(b"", fault, cleared, {fault: 3, cleared: 3}) is None
    assert events.open_spell(line(f"{fault}:4"), fault, cleared, {fault: 3, cleared: 3}) is not None
