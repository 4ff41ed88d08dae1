"""The hostile-environment part of the fault suite: eleven promises, each case against the real daemon.

Every case starts its own daemon (``orchestrator run``) on its own temporary folder with short
intervals, does something hostile to it (files that are FIFOs, directories, symlinks to
``/dev/zero`` or out of the folder; timestamps at the ends of the calendar; ids reused; locks
deleted; PIDs that are not the worker's; a broken configuration), and checks the promise by
waiting for conditions (events, files, exit statuses), never by sleeping and timing. The CPU
checks of promise 11 count CPU ticks of a process over a few seconds.

By default one representative case per promise runs; ``HOSTILE=full`` (``make faults``) runs all.
A case whose promise does not hold is kept, marked ``xfail(strict=True)`` with the defect.

Processes: only processes this module starts are ever signalled by the test. Where a PID that
must not be signalled is handed to the daemon, it is a process of ours (a ``sleep``, a wrapper
that is the daemon's parent, the init of a PID namespace of ours) whose survival is asserted.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from watchdog.events import FileOpenedEvent, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from conftest import DaemonProcess, queue_doc, task, wait_for, write_by_rename

pytestmark = pytest.mark.process  # starts real processes (conftest marks by module name; this one is new)

FULL = os.environ.get("HOSTILE", "").strip().lower() == "full"
ROOT = Path(__file__).resolve().parent.parent
FAKE_WORKER = ROOT / "scripts" / "fake_worker.py"

SIMPLE = "Fix bug in api/users.py line 42"  # simple, development
SECURITY = "Scan repository for security vulnerabilities"  # simple, security
COMPLEX = "Add authentication system with security audit and docs"  # complex, built-in or external planner
PARALLEL = [  # stage 1: a and b; stage 2: c
    {"id": "a", "title": "Build part A", "assigned_to": "development"},
    {"id": "b", "title": "Build part B", "assigned_to": "development"},
    {"id": "c", "title": "Check parts A and B", "assigned_to": "development", "dependencies": ["a", "b"]},
]
CHAIN = [  # one subtask per stage
    {"id": "a", "title": "Build part A", "assigned_to": "development"},
    {"id": "b", "title": "Build part B", "assigned_to": "development", "dependencies": ["a"]},
    {"id": "c", "title": "Check parts A and B", "assigned_to": "development", "dependencies": ["b"]},
]

SETTINGS: dict[str, dict[str, Any]] = {
    "watch": {"debounce_seconds": 0.002, "rescan_interval_seconds": 0.3, "read_retry_delay_seconds": 0.02,
              "read_retries": 2, "lock_timeout_seconds": 5, "update_retry_seconds": 0.2},
    "monitor": {"interval_seconds": 0.2, "heartbeat_timeout_seconds": 30, "zombie_timeout_seconds": 30,
                "never_started_timeout_seconds": 60, "max_runtime_seconds": 120},
    "retry": {"max_attempts": 3, "backoff_base_seconds": 0.05, "backoff_max_seconds": 0.2, "jitter": 0.0,
              "terminate_grace_seconds": 0.5},
}


def render_config(**overrides: Any) -> str:
    """The fast configuration as TOML; ``monitor__zombie_timeout_seconds=1.0`` overrides one key."""
    sections = {name: dict(values) for name, values in SETTINGS.items()}
    for key, value in overrides.items():
        section, name = key.rsplit("__", 1)
        sections.setdefault(section.replace("__", "."), {})[name] = value
    return "".join(f"[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
                   for name, values in sections.items())


# --- the harness ----------------------------------------------------------------------------------

WRAPPER = r"""
import signal, subprocess, sys
marker = sys.argv[1]
def note(signum, frame):
    with open(marker, "a") as handle:
        handle.write(f"{signum}\n")
for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
    signal.signal(getattr(signal, name), note)
sys.exit(subprocess.Popen(sys.argv[2:]).wait())
"""
"""A process of ours that runs a command as its child and writes down every signal it is sent
(and survives it): the daemon's parent, or the init of a PID namespace."""


class Daemon(DaemonProcess):
    """The real daemon, optionally behind wrapper processes (``prefix``) and with its own environment."""

    def __init__(self, folder: Path, config: Path, prefix: list[str], env: dict[str, str] | None) -> None:
        super().__init__(folder, config)
        self.prefix = prefix
        self.env = env

    def start(self, *extra: str, wait: bool = True) -> Daemon:
        starts = self.count("orchestrator_started") if wait else 0
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*self.prefix, sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(self.folder),
                 "--config", str(self.config), *extra], stdout=log, stderr=log, env=self.env)
        if wait:
            wait_for(lambda: self.count("orchestrator_started") > starts or self.proc.poll() is not None,
                     15, "orchestrator_started")
            assert self.proc.poll() is None, self.log.read_text()
        return self

    @property
    def process(self) -> psutil.Process:
        """The daemon's own process on this host (below its wrappers, if any)."""
        assert self.proc is not None
        if not self.prefix:
            return psutil.Process(self.proc.pid)
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if child.cmdline()[1:4] == ["-m", "orchestrator", "run"]:
                    return child
        raise AssertionError("the daemon process is not running")

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM to the daemon itself (not to a wrapper); its exit status."""
        assert self.proc is not None
        if self.prefix and self.proc.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout)
        return self.stop(timeout=timeout)


class Hostile:
    """One case's world: a folder, its daemons, and every process the case started."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.folder = tmp_path / "coordination"
        self.folder.mkdir()
        self.queue = self.folder / "task-queue.json"
        self.queue.write_text(json.dumps(queue_doc()))
        self.config = tmp_path / "hostile.toml"
        self.daemons: list[Daemon] = []
        self.procs: list[subprocess.Popen[bytes]] = []

    # daemons and processes
    def daemon(self, *, prefix: list[str] | None = None, env: dict[str, str] | None = None,
               config: Path | None = None, **settings: Any) -> Daemon:
        if config is None:
            config = self.config
            config.write_text(render_config(**settings))
        daemon = Daemon(self.folder, config, prefix or [], env)
        self.daemons.append(daemon)
        return daemon

    def start(self, **settings: Any) -> Daemon:
        return self.daemon(**settings).start()

    def spawn(self, *argv: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(list(argv), **kwargs)
        self.procs.append(proc)
        return proc

    def cleanup(self) -> None:
        for daemon in self.daemons:
            if daemon.prefix and daemon.proc is not None and daemon.proc.poll() is None:
                with contextlib.suppress(AssertionError, psutil.Error):
                    daemon.process.kill()  # below our wrapper: ours
            daemon.kill()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    # the queue, as the other writers write it
    def add(self, *tasks: dict[str, Any]) -> None:
        """Append tasks under the queue's lock (as a careful writer does)."""
        with open(f"{self.queue}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            doc = json.loads(self.queue.read_text())
            doc["tasks"].extend(tasks)
            write_by_rename(self.queue, doc)

    def remove(self, task_id: str) -> None:
        with open(f"{self.queue}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            doc = json.loads(self.queue.read_text())
            doc["tasks"] = [t for t in doc["tasks"] if t.get("id") != task_id]
            write_by_rename(self.queue, doc)

    def status(self, task_id: str) -> str | None:
        """The queue task's status (None while the queue is unreadable or the task absent)."""
        try:
            doc = json.loads(self.queue.read_text())
        except (OSError, ValueError):
            return None
        found = [t for t in doc.get("tasks", []) if isinstance(t, dict) and t.get("id") == task_id]
        return found[0].get("status") if found else None

    def wait_status(self, task_id: str, *wanted: str, timeout: float = 10.0) -> None:
        wait_for(lambda: self.status(task_id) in wanted, timeout, f"{task_id} {wanted}")

    # files of orchestrations
    def subtask(self, subtask_id: str) -> dict[str, Any]:
        return json.loads((self.folder / f"orchestrator/subtasks/{subtask_id}.json").read_text())

    def handoff(self, subtask_id: str, attempt: int = 1, master: str = "development") -> Path:
        suffix = f"-attempt-{attempt}" if attempt > 1 else ""
        return self.folder / f"masters/{master}/handoffs/to-{master}-subtask-{subtask_id}{suffix}.json"

    def orchestrate(self, daemon: Daemon, task_id: str = "t", subtasks: list[dict[str, Any]] = PARALLEL) -> None:
        """A complex task with its own plan; returns once stage 1 is handed off."""
        self.add(task(task_id, "Widget", subtasks=subtasks))
        for entry in subtasks:
            if not entry.get("dependencies"):
                daemon.wait_event("handoff_created", subtask_id=f"orch-{task_id}-{entry['id']}")

    # the command, as workers and people run it
    def cli(self, *args: str, config_dir: bool = True) -> subprocess.CompletedProcess[str]:
        """``orchestrator ARGS --coordination-dir DIR`` as a separate process."""
        extra = ["--coordination-dir", str(self.folder)] if config_dir else []
        return subprocess.run([sys.executable, "-m", "orchestrator", *args, *extra],
                              capture_output=True, text=True, timeout=60)

    def report(self, action: str, subtask_id: str, *args: str) -> tuple[int, str]:
        """``orchestrator subtask ACTION ID ARGS`` run in this process (the same code, without a
        second of interpreter start-up): its exit status and stderr."""
        return self.command("subtask", action, subtask_id, *args)

    def command(self, *args: str) -> tuple[int, str]:
        from orchestrator import cli

        err, out = io.StringIO(), io.StringIO()
        previous = signal.getsignal(signal.SIGPIPE)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                code = cli.main([*args, "--coordination-dir", str(self.folder)])
        finally:
            signal.signal(signal.SIGPIPE, previous)  # the command sets SIG_DFL for itself
        return code, err.getvalue()


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Hostile]:
    world = Hostile(tmp_path)
    try:
        yield world
    finally:
        world.cleanup()


OLD: dict[str, subprocess.Popen[bytes]] = {}
"""Processes of ours, started when this module's first test starts: long before the handoffs of
the cases that name them."""


@pytest.fixture(scope="module", autouse=True)
def old_processes() -> Iterator[None]:
    OLD.update({name: subprocess.Popen(["sleep", "900"]) for name in ("p4", "p9")})
    yield
    for proc in OLD.values():
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    OLD.clear()


def aged(proc: subprocess.Popen[bytes], seconds: float = 3.0) -> int:
    """The PID of ``proc`` once it is older than ``seconds`` (more than the daemon's clock slack)."""
    created = psutil.Process(proc.pid).create_time()
    wait_for(lambda: time.time() - created > seconds, seconds + 5, "an old process")
    return proc.pid


def finish(daemon: Daemon) -> None:
    """The daemon is still up and stops cleanly on SIGTERM."""
    assert daemon.alive(), daemon.log.read_text()
    assert daemon.terminate() == 0, daemon.log.read_text()


def count(daemon: Daemon, type_: str, **match: Any) -> int:
    return len(daemon.events(type_, **match))


def cases(default: str, *params: Any) -> list[Any]:
    """Every case with ``HOSTILE=full``; otherwise the promise's representative case only."""
    assert any(p.id == default for p in params)
    return [p for p in params if FULL or p.id == default]


def case(function: Callable[[Hostile], None], *marks: Any) -> Any:
    return pytest.param(function, id=function.__name__.split("__", 1)[1], marks=marks)


def xfail(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=reason)


NEEDS_UNSHARE = pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                                   reason="a PID namespace of our own needs unshare(1) and root")


# --- 1. the watchdog tells the truth ------------------------------------------------------------------


def _swap_events_for_a_directory(h: Hostile) -> Callable[[], None]:
    events = h.folder / "dashboard-events.jsonl"
    aside = h.tmp / "events-aside.jsonl"
    os.rename(events, aside)
    events.mkdir()

    def restore() -> None:
        os.rename(events, h.tmp / "events-was-a-folder")
        with contextlib.suppress(FileExistsError):  # the daemon may have created it first: a file either way
            os.link(aside, events)

    return restore


def _swap_events_for_a_fifo(h: Hostile) -> Callable[[], None]:
    events = h.folder / "dashboard-events.jsonl"
    kept = h.tmp / "events-kept.jsonl"
    shutil.copyfile(events, kept)
    events.unlink()
    os.mkfifo(events)  # nobody reads it: a write would block, a non-blocking open fails

    def restore() -> None:
        os.replace(kept, events)  # atomically a regular file again, with what it held

    return restore


def _routed_while_events_cannot_be_written(h: Hostile, swap: Callable[[Hostile], Callable[[], None]],
                                          *, restored_whole: bool) -> None:
    daemon = h.start()
    restore = swap(h)
    h.add(task("t-simple", SIMPLE))
    h.wait_status("t-simple", "assigned")  # the work goes on (the events file is not read meanwhile)
    assert daemon.alive()
    restore()
    daemon.wait_event("task_assigned", task_id="t-simple")
    assert count(daemon, "task_assigned", task_id="t-simple") == 1
    assert count(daemon, "handoff_created", task_id="t-simple") == 1
    if restored_whole:
        assert count(daemon, "orchestrator_started") == 1  # what the file held before is still there
    finish(daemon)


def p1__events_file_a_directory(h: Hostile) -> None:
    _routed_while_events_cannot_be_written(h, _swap_events_for_a_directory, restored_whole=False)


def p1__events_file_a_fifo(h: Hostile) -> None:
    _routed_while_events_cannot_be_written(h, _swap_events_for_a_fifo, restored_whole=True)


def p1__complex_task_while_events_file_a_directory(h: Hostile) -> None:
    daemon = h.start()
    restore = _swap_events_for_a_directory(h)
    h.add(task("t", "Widget", subtasks=PARALLEL))
    h.wait_status("t", "orchestrating")
    wait_for(lambda: h.handoff("orch-t-a").exists() and h.handoff("orch-t-b").exists(), what="stage 1 handed off")
    plan = json.loads((h.folder / "orchestrator/tasks/orch-t.json").read_text())
    assert plan["status"] == "in_progress"
    restore()
    daemon.wait_event("stage_started", orchestration_id="orch-t", stage=1)
    assert count(daemon, "orchestration_started", orchestration_id="orch-t") == 1
    assert count(daemon, "handoff_created", subtask_id="orch-t-a") == 1
    assert count(daemon, "handoff_created", subtask_id="orch-t-b") == 1
    finish(daemon)


class NotifyListener:
    """A datagram socket standing in for systemd (abstract name: no path length limit)."""

    def __init__(self) -> None:
        self.name = f"orchestrator-hostile-{os.getpid()}-{time.monotonic_ns()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name)
        self.sock.settimeout(0.1)
        self.received: list[tuple[float, dict[str, str]]] = []
        self._closed = False
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._closed:
            try:
                data = self.sock.recv(4096).decode()
            except (TimeoutError, OSError):
                continue
            fields = dict(line.split("=", 1) for line in data.splitlines() if "=" in line)
            self.received.append((time.monotonic(), fields))

    def pings(self, since: float = 0.0) -> int:
        return sum(1 for at, fields in list(self.received) if at >= since and fields.get("WATCHDOG") == "1")

    def close(self) -> None:
        self._closed = True
        self._thread.join(2)
        self.sock.close()


def p1__watchdog_pings_go_on_through_the_fault(h: Hostile) -> None:
    listener = NotifyListener()
    try:
        env = {**os.environ, "NOTIFY_SOCKET": "@" + listener.name, "WATCHDOG_USEC": "200000"}
        env.pop("WATCHDOG_PID", None)
        # a short lock timeout: the daemon stops pinging after 3 x 0.3 s without progress
        daemon = h.daemon(env=env, watch__lock_timeout_seconds=0.3).start()
        wait_for(lambda: listener.pings() >= 2, what="watchdog pings")
        restore = _swap_events_for_a_directory(h)
        fault_began = time.monotonic()
        h.add(task("t-simple", SIMPLE), task("t", "Widget", subtasks=PARALLEL))
        h.wait_status("t-simple", "assigned")
        h.wait_status("t", "orchestrating")
        routed = time.monotonic()
        # every 0.1 s; 15 of them after the work was done, with the fault still there: over a second
        # longer than the daemon's own stall limit
        wait_for(lambda: listener.pings(routed) >= 15, 15, "pings while the events file is a folder")
        assert listener.pings(fault_began) >= 15
        restore()
        daemon.wait_event("task_assigned", task_id="t-simple")
        daemon.wait_event("orchestration_started", orchestration_id="orch-t")
        after = time.monotonic()
        wait_for(lambda: listener.pings(after) >= 3, what="pings after the fault")
        finish(daemon)
    finally:
        listener.close()


P1 = cases("events_file_a_directory",
           case(p1__events_file_a_directory), case(p1__events_file_a_fifo),
           case(p1__complex_task_while_events_file_a_directory), case(p1__watchdog_pings_go_on_through_the_fault))


@pytest.mark.parametrize("scenario", P1)
def test_1_the_watchdog_tells_the_truth(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 2. a fault stays with its item -----------------------------------------------------------------


def p2__lone_surrogate_in_an_old_task(h: Hostile) -> None:
    daemon = h.start()
    old = json.dumps(task("t-old", "Half an emoji", status="completed", assigned_to="development"))
    old = old.replace('"Half an emoji"', '"Half an emoji \\ud83d"')  # as JavaScript cuts it
    new = json.dumps(task("t-new", SIMPLE))
    raw = '{"version": "2.1", "tasks": [' + old + ", " + new + "]}"
    temp = h.tmp / "queue.tmp"
    temp.write_text(raw, encoding="ascii")
    os.replace(temp, h.queue)
    h.wait_status("t-new", "assigned")
    written = h.queue.read_bytes()
    assert b"\\ud83d" in written  # kept, as the escape it was
    document = json.loads(written.decode("utf-8"))  # valid UTF-8 and valid JSON
    assert document["tasks"][0]["title"] == "Half an emoji \ud83d"
    daemon.wait_event("task_assigned", task_id="t-new")
    finish(daemon)


def p2__lone_surrogate_in_a_pending_task(h: Hostile) -> None:
    daemon = h.start()
    odd = json.dumps(task("t-odd", "Fix bug in api/users.py line 7 HALF")).replace("HALF", "\\ud83d")
    new = json.dumps(task("t-new", SECURITY))
    temp = h.tmp / "queue.tmp"
    temp.write_text('{"tasks": [' + odd + ", " + new + "]}", encoding="ascii")
    os.replace(temp, h.queue)
    h.wait_status("t-new", "assigned")
    daemon.wait_event("task_assigned", task_id="t-new")
    # the odd one is routed too, or refused by name; either way every file it led to is whole
    wait_for(lambda: h.status("t-odd") == "assigned" or daemon.events("task_invalid", task_id="t-odd"),
             what="t-odd routed or refused")
    for path in h.folder.rglob("*.json"):
        json.loads(path.read_bytes().decode("utf-8"))
    finish(daemon)


def _heartbeat_from_the_end_of_time(h: Hostile, stamp: str) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", PARALLEL)
    victim = h.spawn("sleep", "60")  # started after the handoff: the worker of orch-t-b
    assert h.report("start", "orch-t-a", "--worker-id", "w-odd")[0] == 0
    assert h.report("start", "orch-t-b", "--worker-id", "w-dies", "--pid", str(victim.pid))[0] == 0
    daemon.wait_event("subtask_started", subtask_id="orch-t-a")
    daemon.wait_event("subtask_started", subtask_id="orch-t-b")
    beat = h.folder / "agents/workers/w-odd/heartbeat.json"
    beat.parent.mkdir(parents=True)
    write_by_rename(beat, {"worker_id": "w-odd", "timestamp": stamp, "progress": "odd clock, still working"})
    # the odd file is read (its progress counts), and the clock in it is what it is
    wait_for(lambda: h.subtask("orch-t-a").get("progress") == "odd clock, still working", what="the heartbeat read")
    victim.kill()
    victim.wait()
    dead = daemon.wait_event("worker_dead", subtask_id="orch-t-b")
    assert dead["pid"] == victim.pid
    assert not daemon.events("internal_error")
    finish(daemon)


def p2__heartbeat_in_year_1(h: Hostile) -> None:
    _heartbeat_from_the_end_of_time(h, "0001-01-01T00:00:00+01:00")


def p2__heartbeat_in_year_9999(h: Hostile) -> None:
    _heartbeat_from_the_end_of_time(h, "9999-12-31T23:59:59-01:00")


def p2__task_id_of_180_characters(h: Hostile) -> None:
    daemon = h.start()
    long_id = "t-" + "x" * 178
    h.add(task(long_id, SIMPLE), task("t-fine", SECURITY))
    h.wait_status("t-fine", "assigned")
    invalid = daemon.wait_event("task_invalid")
    assert "180" in invalid["problem"]
    assert h.status(long_id) == "pending"
    assert not list(h.folder.glob("masters/*/handoffs/t-xxx*"))
    finish(daemon)


def _queue_with_a_constant(h: Hostile, constant: str) -> None:
    daemon = h.start()
    raw = ('{"tasks": [{"id": "t-num", "title": "' + SIMPLE + '", "status": "pending", "estimate": '
           + constant + "}]}").encode()
    temp = h.tmp / "queue.tmp"
    temp.write_bytes(raw)
    os.replace(temp, h.queue)
    unreadable = daemon.wait_event("queue_unreadable")
    assert constant in unreadable["problem"]
    assert h.queue.read_bytes() == raw
    finish(daemon)  # its last pass does not touch the queue either
    assert h.queue.read_bytes() == raw


def p2__queue_with_nan(h: Hostile) -> None:
    _queue_with_a_constant(h, "NaN")


def p2__queue_with_infinity(h: Hostile) -> None:
    _queue_with_a_constant(h, "-Infinity")


def p2__invalid_subtask_file(h: Hostile) -> None:
    daemon = h.start()
    h.add(task("ta", "Widget A", subtasks=CHAIN), task("tb", "Widget B", subtasks=CHAIN))
    daemon.wait_event("handoff_created", subtask_id="orch-ta-a")
    daemon.wait_event("handoff_created", subtask_id="orch-tb-a")
    temp = h.tmp / "half.json"
    temp.write_text('{"subtask_id": "orch-ta-a", "status": ')  # a writer that died half-way
    os.replace(temp, h.folder / "orchestrator/subtasks/orch-ta-a.json")
    daemon.wait_event("subtask_invalid", subtask_id="orch-ta-a")
    assert h.report("complete", "orch-tb-a", "--worker-id", "w-b", "--result", "done")[0] == 0
    daemon.wait_event("subtask_completed", subtask_id="orch-tb-a")
    daemon.wait_event("handoff_created", subtask_id="orch-tb-b")
    assert count(daemon, "subtask_invalid", subtask_id="orch-ta-a") == 1
    finish(daemon)


def _worker_spec_with_pid(h: Hostile, pid: Any, pid_file: str | None = None) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", CHAIN)
    spec = {"worker_id": "w-odd", "task_id": "orch-t-a", "status": "running", "created_by": "development-master"}
    if pid_file is None:
        spec["pid"] = pid
    else:
        (h.folder / "agents/workers/w-odd").mkdir(parents=True)
        (h.folder / "agents/workers/w-odd/worker.pid").write_text(pid_file)
    active = h.folder / "worker-specs/active/w-odd.json"
    active.parent.mkdir(parents=True, exist_ok=True)
    write_by_rename(active, spec)
    started = daemon.wait_event("subtask_started", subtask_id="orch-t-a", worker_id="w-odd")
    assert started.get("pid") is None
    assert h.report("fail", "orch-t-a", "--worker-id", "w-odd", "--reason", "x")[0] == 0
    daemon.wait_event("subtask_retry_scheduled", subtask_id="orch-t-a")
    h.add(task("t-after", SECURITY))
    daemon.wait_event("task_assigned", task_id="t-after")
    assert not daemon.events("worker_not_signalled") and not daemon.events("worker_terminated")
    assert not daemon.events("internal_error")
    finish(daemon)


def p2__worker_spec_pid_abc(h: Hostile) -> None:
    _worker_spec_with_pid(h, "abc")


def p2__worker_spec_pid_minus_5(h: Hostile) -> None:
    _worker_spec_with_pid(h, -5)  # kill(-5) would signal process group 5


def p2__worker_spec_pid_true(h: Hostile) -> None:
    _worker_spec_with_pid(h, True)


def p2__worker_pid_file_minus_5(h: Hostile) -> None:
    _worker_spec_with_pid(h, None, pid_file="-5\n")


P2 = cases("heartbeat_in_year_1",
           case(p2__lone_surrogate_in_an_old_task), case(p2__lone_surrogate_in_a_pending_task),
           case(p2__heartbeat_in_year_1), case(p2__heartbeat_in_year_9999), case(p2__task_id_of_180_characters),
           case(p2__queue_with_nan), case(p2__queue_with_infinity), case(p2__invalid_subtask_file),
           case(p2__worker_spec_pid_abc), case(p2__worker_spec_pid_minus_5), case(p2__worker_spec_pid_true),
           case(p2__worker_pid_file_minus_5))


@pytest.mark.parametrize("scenario", P2)
def test_2_a_fault_stays_with_its_item(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 3. only regular files, read with a bound ------------------------------------------------------


def _replace_queue(h: Hostile, make: Callable[[Path], None]) -> None:
    """Put something else at the queue's path with a rename (a folder cannot replace a file: the
    queue is removed first)."""
    temp = h.tmp / "new-queue"
    make(temp)
    if temp.is_dir() and not temp.is_symlink():
        h.queue.unlink()
    os.replace(temp, h.queue)


def rss(daemon: Daemon) -> int:
    return daemon.process.memory_info().rss


def p3__queue_a_fifo(h: Hostile) -> None:
    daemon = h.start()
    _replace_queue(h, os.mkfifo)
    unreadable = daemon.wait_event("queue_unreadable")
    assert "not a regular file" in unreadable["problem"]
    assert daemon.alive()
    finish(daemon)  # not stuck in an open() of the FIFO: SIGTERM still works


def p3__worker_spec_a_fifo(h: Hostile) -> None:
    active = h.folder / "worker-specs/active"
    active.mkdir(parents=True)
    os.mkfifo(active / "early.json")  # there at start: read by the first full pass
    daemon = h.start()
    h.orchestrate(daemon, "t", CHAIN)  # the monitor reads the specs of a live plan on every tick
    os.mkfifo(active / "late.json")  # and one while it runs: a file event
    h.add(task("t-simple", SIMPLE))
    h.wait_status("t-simple", "assigned")
    assert h.report("start", "orch-t-a", "--worker-id", "w-1")[0] == 0
    daemon.wait_event("subtask_started", subtask_id="orch-t-a")
    finish(daemon)


def p3__queue_a_link_to_dev_zero(h: Hostile) -> None:
    daemon = h.start()
    _replace_queue(h, lambda p: p.symlink_to("/dev/zero"))
    unreadable = daemon.wait_event("queue_unreadable")
    assert "not a regular file" in unreadable["problem"]
    assert rss(daemon) < 200 << 20
    finish(daemon)


def p3__queue_larger_than_64_mib(h: Hostile) -> None:
    daemon = h.start()

    def sparse(path: Path) -> None:
        path.write_bytes(b'{"tasks": [')
        os.truncate(path, (64 << 20) + 4096)  # zeros after the start: invalid, and never read whole

    _replace_queue(h, sparse)
    unreadable = daemon.wait_event("queue_unreadable", timeout=20)
    assert "larger than" in unreadable["problem"]
    assert rss(daemon) < 200 << 20
    assert h.queue.stat().st_size == (64 << 20) + 4096  # never rewritten
    finish(daemon)


def _events_a_link_out_of_the_folder(h: Hostile, before_start: bool) -> None:
    outside = h.tmp / "outside.txt"
    outside.write_bytes(b"somebody else's file, no newline at the end")
    events = h.folder / "dashboard-events.jsonl"
    if before_start:
        events.symlink_to(outside)
        daemon = h.daemon().start(wait=False)
    else:
        daemon = h.start()
        temp = h.tmp / "link"
        temp.symlink_to(outside)
        os.replace(temp, events)
    h.add(task("t-simple", SIMPLE), task("t", "Widget", subtasks=PARALLEL))
    h.wait_status("t-simple", "assigned")
    h.wait_status("t", "orchestrating")
    wait_for(lambda: h.handoff("orch-t-a").exists(), what="stage 1 handed off")
    assert outside.read_bytes() == b"somebody else's file, no newline at the end"
    assert events.is_symlink()
    assert daemon.alive()
    finish(daemon)
    assert outside.read_bytes() == b"somebody else's file, no newline at the end"


def p3__events_a_link_out_of_the_folder(h: Hostile) -> None:
    _events_a_link_out_of_the_folder(h, before_start=False)


def p3__events_a_link_out_of_the_folder_at_start(h: Hostile) -> None:
    _events_a_link_out_of_the_folder(h, before_start=True)


def _subtask_file_replaced(h: Hostile, make: Callable[[Path], None], problem: str) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", PARALLEL)
    temp = h.tmp / "odd-subtask"
    make(temp)
    os.replace(temp, h.folder / "orchestrator/subtasks/orch-t-a.json")
    invalid = daemon.wait_event("subtask_invalid", subtask_id="orch-t-a")
    assert problem in invalid["problem"]
    # nothing hangs: the other subtask, new tasks and SIGTERM are all served
    assert h.report("start", "orch-t-b", "--worker-id", "w-b")[0] == 0
    daemon.wait_event("subtask_started", subtask_id="orch-t-b")
    h.add(task("t-simple", SIMPLE))
    h.wait_status("t-simple", "assigned")
    assert rss(daemon) < 200 << 20
    finish(daemon)


def p3__subtask_file_a_link_to_dev_zero(h: Hostile) -> None:
    _subtask_file_replaced(h, lambda p: p.symlink_to("/dev/zero"), "not a regular file")


def p3__subtask_file_a_fifo(h: Hostile) -> None:
    _subtask_file_replaced(h, os.mkfifo, "not a regular file")


def p3__queue_a_directory(h: Hostile) -> None:
    daemon = h.start()
    _replace_queue(h, lambda p: p.mkdir())
    unreadable = daemon.wait_event("queue_unreadable")
    assert "not a regular file" in unreadable["problem"]
    h.queue.rmdir()
    write_by_rename(h.queue, queue_doc(task("t-simple", SIMPLE)))
    h.wait_status("t-simple", "assigned")
    daemon.wait_event("queue_recovered")
    finish(daemon)


P3 = cases("queue_a_fifo",
           case(p3__queue_a_fifo), case(p3__worker_spec_a_fifo), case(p3__queue_a_link_to_dev_zero),
           case(p3__queue_larger_than_64_mib), case(p3__events_a_link_out_of_the_folder),
           case(p3__events_a_link_out_of_the_folder_at_start), case(p3__subtask_file_a_link_to_dev_zero),
           case(p3__subtask_file_a_fifo), case(p3__queue_a_directory))


@pytest.mark.parametrize("scenario", P3)
def test_3_only_regular_files_read_with_a_bound(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 4. signals only for our own workers ------------------------------------------------------------


def _reported_pid_is_left_alone(h: Hostile, daemon: Daemon, pid: int) -> dict[str, Any]:
    """A worker reports ``pid`` as its own, then fails: the daemon must not signal it."""
    h.orchestrate(daemon, "t", CHAIN)
    assert h.report("start", "orch-t-a", "--worker-id", "w-1", "--pid", str(pid))[0] == 0
    daemon.wait_event("subtask_started", subtask_id="orch-t-a", pid=pid)
    assert h.report("fail", "orch-t-a", "--worker-id", "w-1", "--reason", "x")[0] == 0
    daemon.wait_event("subtask_failed", subtask_id="orch-t-a")
    # the verdict: refused (worker_not_signalled, in the pass of the failure) or stopped (worker_terminated)
    wait_for(lambda: daemon.events("worker_not_signalled") or daemon.events("worker_terminated"), 10, "a verdict")
    assert not daemon.events("worker_terminated"), f"process {pid} was signalled"
    refused = daemon.wait_event("worker_not_signalled", subtask_id="orch-t-a")
    assert refused["pid"] == pid
    return refused


def p4__the_daemon_itself(h: Hostile) -> None:
    daemon = h.start()
    _reported_pid_is_left_alone(h, daemon, daemon.proc.pid)
    daemon.wait_event("handoff_created", subtask_id="orch-t-a", attempt=2)  # it goes on with the retry
    assert not daemon.events("orchestrator_stopped")
    finish(daemon)


def p4__the_daemons_parent(h: Hostile) -> None:
    marker = h.tmp / "parent-signals"
    daemon = h.daemon(prefix=[sys.executable, "-c", WRAPPER, str(marker)]).start()
    parent = daemon.process.ppid()
    assert parent == daemon.proc.pid  # our wrapper, started a moment before the handoff (within the age rule's slack)
    _reported_pid_is_left_alone(h, daemon, parent)
    assert not marker.exists(), f"the daemon's parent got signal(s) {marker.read_text()}"
    assert daemon.proc.poll() is None
    finish(daemon)
    assert not marker.exists()


def p4__pid_1(h: Hostile) -> None:
    """PID 1 of a PID namespace of ours (a wrapper that notes signals), never the host's."""
    init_marker, parent_marker = h.tmp / "init-signals", h.tmp / "parent-signals"
    prefix = ["unshare", "--fork", "--pid", "--mount-proc", "--kill-child=SIGKILL",
              sys.executable, "-c", WRAPPER, str(init_marker), sys.executable, "-c", WRAPPER, str(parent_marker)]
    daemon = h.daemon(prefix=prefix).start()
    assert daemon.events("orchestrator_started")[-1]["pid"] > 1  # its PID in the namespace
    _reported_pid_is_left_alone(h, daemon, 1)
    assert not init_marker.exists(), f"PID 1 got signal(s) {init_marker.read_text()}"
    finish(daemon)


def p4__a_process_older_than_the_handoff(h: Hostile) -> None:
    pid = aged(OLD["p4"])
    daemon = h.start()
    _reported_pid_is_left_alone(h, daemon, pid)
    assert OLD["p4"].poll() is None
    finish(daemon)


def p4__a_sleep_started_just_before_the_task(h: Hostile) -> None:
    daemon = h.start()
    sleeper = h.spawn("sleep", "60")  # started BEFORE the task was submitted
    # ... by more than the slack the age rule allows (processes.HANDOFF_SLACK, 20 ms): a daemon that picks a task up
    # in 7 ms wrote the handoff within it, and the sleeper was then, rightly, a process as young as the handoff
    time.sleep(0.1)
    _reported_pid_is_left_alone(h, daemon, sleeper.pid)
    assert sleeper.poll() is None
    finish(daemon)


def p4__positive_control_our_hanging_worker_is_stopped(h: Hostile) -> None:
    daemon = h.start(monitor__zombie_timeout_seconds=1.0, monitor__heartbeat_timeout_seconds=0.5)
    h.orchestrate(daemon, "t", CHAIN)
    worker = h.spawn(sys.executable, str(FAKE_WORKER), str(h.folder), "orch-t-a", "w-hang", "hang")
    daemon.wait_event("subtask_started", subtask_id="orch-t-a", pid=worker.pid)
    daemon.wait_event("zombie_detected", subtask_id="orch-t-a", timeout=15)
    stopped = daemon.wait_event("worker_terminated", subtask_id="orch-t-a", timeout=15)
    assert stopped["pid"] == worker.pid
    assert worker.wait(5) == -signal.SIGTERM
    assert not daemon.events("worker_not_signalled")
    finish(daemon)


P4 = cases("the_daemon_itself",
           case(p4__the_daemon_itself), case(p4__the_daemons_parent), case(p4__pid_1, NEEDS_UNSHARE),
           case(p4__a_process_older_than_the_handoff), case(p4__a_sleep_started_just_before_the_task),
           case(p4__positive_control_our_hanging_worker_is_stopped))


@pytest.mark.parametrize("scenario", P4)
def test_4_signals_only_for_our_own_workers(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 5. ids are identities ------------------------------------------------------------------------------


def p5__a_simple_tasks_id_reused(h: Hostile) -> None:
    daemon = h.start()
    h.add(task("t-1", SIMPLE))
    h.wait_status("t-1", "assigned")
    handoff = h.folder / "masters/development/handoffs/t-1.json"
    before = handoff.read_bytes()
    h.remove("t-1")
    daemon.wait_event("task_vanished", task_id="t-1")
    h.add(task("t-1", "Rotate the production database credentials", created_at="2025-11-06T09:00:00Z"))
    invalid = daemon.wait_event("task_invalid", task_id="t-1")
    assert "id already used" in invalid["problem"]
    assert h.status("t-1") == "pending"
    assert handoff.read_bytes() == before
    assert count(daemon, "task_assigned", task_id="t-1") == 1
    finish(daemon)


def p5__a_complex_tasks_id_reused(h: Hostile) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", PARALLEL)
    handoff = h.handoff("orch-t-a").read_bytes()
    h.remove("t")
    daemon.wait_event("task_vanished", task_id="t")
    h.add(task("t", "Another widget altogether", subtasks=CHAIN))
    invalid = daemon.wait_event("task_invalid", task_id="t")
    assert "id already used" in invalid["problem"]
    assert h.status("t") == "pending"
    assert h.handoff("orch-t-a").read_bytes() == handoff
    assert count(daemon, "orchestration_started") == 1
    assert [p.name for p in (h.folder / "orchestrator/tasks").iterdir() if p.suffix == ".json"] == ["orch-t.json"]
    finish(daemon)


def p5__an_old_copy_of_the_queue_with_a_simple_task(h: Hostile) -> None:
    daemon = h.start()
    old = queue_doc(task("t-1", SIMPLE))
    write_by_rename(h.queue, old)
    h.wait_status("t-1", "assigned")
    handoff = h.folder / "masters/development/handoffs/t-1.json"
    before = handoff.read_bytes()
    daemon.wait_event("task_assigned", task_id="t-1")
    write_by_rename(h.queue, old)  # a writer saves the copy it read before the daemon's write
    daemon.wait_event("claim_restored", task_id="t-1")
    h.wait_status("t-1", "assigned")
    assert handoff.read_bytes() == before
    assert count(daemon, "handoff_created", task_id="t-1") == 1
    assert count(daemon, "task_assigned", task_id="t-1") == 1
    assert not daemon.events("task_invalid")
    finish(daemon)


def p5__an_old_copy_of_the_queue_with_a_complex_task(h: Hostile) -> None:
    daemon = h.start()
    old = queue_doc(task("t", "Widget", subtasks=PARALLEL))
    write_by_rename(h.queue, old)
    daemon.wait_event("handoff_created", subtask_id="orch-t-b")
    handoff = h.handoff("orch-t-a").read_bytes()
    write_by_rename(h.queue, old)
    daemon.wait_event("claim_restored", task_id="t")
    h.wait_status("t", "orchestrating")
    assert count(daemon, "orchestration_started") == 1
    assert h.handoff("orch-t-a").read_bytes() == handoff
    assert count(daemon, "handoff_created", subtask_id="orch-t-a") == 1
    assert not daemon.events("task_invalid")
    finish(daemon)


PLANNER = r"""
import json, os, sys, time
gate, log = sys.argv[1], sys.argv[2]
task = json.load(sys.stdin)
with open(log, "a") as handle:
    handle.write(task["id"] + "\n")
deadline = time.monotonic() + 30
while not os.path.exists(gate) and time.monotonic() < deadline:
    time.sleep(0.02)
done = "It is written, reviewed and checked in."
print(json.dumps({"subtasks": [
    {"id": "spec", "title": "Write the spec", "description": "The spec.", "assigned_to": "development",
     "success_criteria": done},
    {"id": "build", "title": "Build it", "description": "The code.", "assigned_to": "development",
     "dependencies": ["spec"], "success_criteria": done},
    {"id": "check", "title": "Check its security", "description": "A review.", "assigned_to": "security",
     "dependencies": ["build"], "success_criteria": done},
]}))
"""


def p5__an_old_copy_while_the_external_planner_works(h: Hostile) -> None:
    script, gate, log = h.tmp / "planner.py", h.tmp / "planner.go", h.tmp / "planner.log"
    script.write_text(PLANNER)
    prompt = h.tmp / "prompt.md"
    prompt.write_text("$task")  # a script of one's own: the task JSON alone on stdin
    daemon = h.start(planner__command=[sys.executable, str(script), str(gate), str(log)],
                     planner__timeout_seconds=60, planner__prompt_file=str(prompt))
    old = queue_doc(task("t", COMPLEX, orchestration_required=True))
    write_by_rename(h.queue, old)
    h.wait_status("t", "orchestrating")
    wait_for(lambda: log.exists() and log.read_text(), what="the planner at work")
    write_by_rename(h.queue, old)  # the task pending again while it is being planned
    daemon.wait_event("claim_restored", task_id="t")
    gate.touch()  # the planner answers
    daemon.wait_event("handoff_created", subtask_id="orch-t-spec")
    h.wait_status("t", "orchestrating")
    h.add(task("t-later", SECURITY))  # more passes: a second plan would show by now
    daemon.wait_event("task_assigned", task_id="t-later")
    assert count(daemon, "orchestration_started") == 1
    assert log.read_text().splitlines() == ["t"]  # planned once
    assert [p.name for p in (h.folder / "orchestrator/tasks").iterdir() if p.suffix == ".json"] == ["orch-t.json"]
    assert count(daemon, "handoff_created", subtask_id="orch-t-spec") == 1
    finish(daemon)


P5 = cases("a_simple_tasks_id_reused",
           case(p5__a_simple_tasks_id_reused), case(p5__a_complex_tasks_id_reused),
           case(p5__an_old_copy_of_the_queue_with_a_simple_task),
           case(p5__an_old_copy_of_the_queue_with_a_complex_task),
           case(p5__an_old_copy_while_the_external_planner_works))


@pytest.mark.parametrize("scenario", P5)
def test_5_ids_are_identities(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 6. what failed is retried ---------------------------------------------------------------------------


class Opens(FileSystemEventHandler):
    """Counts opens of one file (inotify IN_OPEN): each is the daemon looking at it again."""

    def __init__(self, path: Path) -> None:
        self.count = 0
        self._name = path.name
        self._observer = Observer()
        self._observer.schedule(self, str(path.parent), recursive=False, event_filter=[FileOpenedEvent])

    def on_any_event(self, event: FileSystemEvent) -> None:
        if Path(str(event.src_path)).name == self._name:
            self.count += 1

    def __enter__(self) -> Opens:
        self._observer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._observer.stop()
        self._observer.join(5)


def p6__handoff_folder_a_file(h: Hostile) -> None:
    daemon = h.start()
    handoffs = h.folder / "masters/development/handoffs"
    shutil.rmtree(handoffs)
    handoffs.write_text("not a folder\n")
    with Opens(h.queue) as reads:
        h.add(task("t-1", SIMPLE))
        failed = daemon.wait_event("handoff_failed", task_id="t-1")
        assert failed["master"] == "development"
        seen = reads.count
        wait_for(lambda: reads.count >= seen + 4, 10, "the daemon trying again")  # each retry reads the queue
    assert count(daemon, "handoff_failed", task_id="t-1") == 1  # once, not once per retry
    assert h.status("t-1") == "pending"
    handoffs.unlink()
    handoffs.mkdir()
    h.wait_status("t-1", "assigned")  # nobody touched the queue: the daemon retried on its own
    assert (handoffs / "t-1.json").exists()
    daemon.wait_event("task_assigned", task_id="t-1")
    assert count(daemon, "handoff_failed", task_id="t-1") == 1
    finish(daemon)


SECURITY_FIRST = [  # stage 1: a security subtask; then development
    {"id": "a", "title": "Security review of the widget", "assigned_to": "security"},
    {"id": "b", "title": "Build the widget", "assigned_to": "development", "dependencies": ["a"]},
    {"id": "c", "title": "Test the widget", "assigned_to": "development", "dependencies": ["b"]},
]


def p6__subtask_handoff_folder_a_file(h: Hostile) -> None:
    daemon = h.start()
    # another orchestration whose worker runs on: each monitor tick reads its heartbeat file (counts
    # ticks), as its mtime is in the future: never settled, so never trusted by the stat (filecache.py)
    beat = h.folder / "agents/workers/w-x/heartbeat.json"
    beat.parent.mkdir(parents=True)
    write_by_rename(beat, {"worker_id": "w-x", "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    os.utime(beat, (time.time() + 3600, time.time() + 3600))
    h.orchestrate(daemon, "tx", CHAIN)
    assert h.report("start", "orch-tx-a", "--worker-id", "w-x")[0] == 0
    daemon.wait_event("subtask_started", subtask_id="orch-tx-a")
    handoffs = h.folder / "masters/security/handoffs"
    shutil.rmtree(handoffs)
    handoffs.write_text("not a folder\n")
    h.add(task("t", "Widget", subtasks=SECURITY_FIRST))
    h.wait_status("t", "orchestrating")
    failed = daemon.wait_event("write_failed", orchestration_id="orch-t")
    assert "handoffs" in failed["problem"]
    with Opens(beat) as ticks:
        wait_for(lambda: ticks.count >= 4, 10, "monitor ticks")
    assert count(daemon, "write_failed", orchestration_id="orch-t") == 1  # once, not once per retry
    handoffs.unlink()
    handoffs.mkdir()
    daemon.wait_event("handoff_created", subtask_id="orch-t-a")
    assert h.handoff("orch-t-a", master="security").exists()
    assert count(daemon, "handoff_created", subtask_id="orch-t-a") == 1
    assert count(daemon, "orchestration_started", orchestration_id="orch-t") == 1
    finish(daemon)


TORN = b'{"timestamp": "2025-11-05T18:00:00Z", "type": "foreign_event", "source": "other-wri'


def _lines_whole(h: Hostile) -> list[bytes]:
    lines = (h.folder / "dashboard-events.jsonl").read_bytes().split(b"\n")
    assert TORN in lines, "the other writer's torn line was changed"
    for line in lines:
        if b'"source":"orchestrator"' in line:
            json.loads(line)  # each of our events is a whole line of its own
    return lines


def p6__torn_line_left_while_running(h: Hostile) -> None:
    daemon = h.start()
    fd = os.open(h.folder / "dashboard-events.jsonl", os.O_WRONLY | os.O_APPEND)
    os.write(fd, TORN)  # another writer dies half-way through its line
    os.close(fd)
    h.add(task("t-1", SIMPLE))
    h.wait_status("t-1", "assigned")
    wait_for(lambda: b"task_assigned" in (h.folder / "dashboard-events.jsonl").read_bytes(), what="our next event")
    _lines_whole(h)
    daemon.wait_event("task_assigned", task_id="t-1")
    finish(daemon)


def p6__torn_line_left_before_start(h: Hostile) -> None:
    (h.folder / "dashboard-events.jsonl").write_bytes(b'{"type": "whole", "source": "other"}\n' + TORN)
    daemon = h.start()  # its first event, orchestrator_started, is read back whole
    _lines_whole(h)
    h.add(task("t-1", SIMPLE))
    daemon.wait_event("task_assigned", task_id="t-1")
    finish(daemon)


P6 = cases("handoff_folder_a_file",
           case(p6__handoff_folder_a_file),
           case(p6__subtask_handoff_folder_a_file),
           case(p6__torn_line_left_while_running),
           case(p6__torn_line_left_before_start))


@pytest.mark.parametrize("scenario", P6)
def test_6_what_failed_is_retried(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 7. one daemon per folder ---------------------------------------------------------------------------


def p7__lock_deleted_then_a_second_daemon(h: Hostile) -> None:
    first = h.start()
    lock = h.folder / "orchestrator/daemon.lock"
    inode = lock.stat().st_ino
    lock.unlink()
    first.wait_event("daemon_lock_retaken", timeout=10)
    assert lock.stat().st_ino != inode
    second = h.daemon(config=h.config).start(wait=False)
    assert second.proc is not None and second.proc.wait(30) == 3
    assert "already owns" in second.log.read_text()
    h.add(task("t-1", SIMPLE))
    h.wait_status("t-1", "assigned")
    finish(first)


def p7__lock_deleted_and_a_second_daemon_at_once(h: Hostile) -> None:
    first = h.start()
    (h.folder / "orchestrator/daemon.lock").unlink()
    second = h.daemon(config=h.config).start(wait=False)
    assert first.proc is not None and second.proc is not None
    # whichever took the new lock stays; the other exits with 3
    wait_for(lambda: first.proc.poll() is not None or second.proc.poll() is not None, 30, "one of them to exit")
    if first.proc.poll() is not None:
        assert first.proc.wait() == 3
        first.wait_event("daemon_lock_lost")
        survivor = second
        wait_for(lambda: count(second, "orchestrator_started") == 2, 15, "the second daemon started")
    else:
        assert second.proc.wait(30) == 3
        first.wait_event("daemon_lock_retaken")
        survivor = first
    assert survivor.alive()
    h.add(task("t-1", SIMPLE))
    h.wait_status("t-1", "assigned")
    assert survivor.alive() and [first.alive(), second.alive()].count(True) == 1
    finish(survivor)


def p7__lock_replaced_and_held_by_another(h: Hostile) -> None:
    first = h.start()
    lock = h.folder / "orchestrator/daemon.lock"
    temp = h.tmp / "other.lock"
    with open(temp, "w") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another orchestrator's new lock
        os.replace(temp, lock)
        first.wait_event("daemon_lock_lost", timeout=10)
        assert first.proc is not None and first.proc.wait(15) == 3
    assert first.events("orchestrator_stopped")


P7 = cases("lock_deleted_then_a_second_daemon",
           case(p7__lock_deleted_then_a_second_daemon), case(p7__lock_deleted_and_a_second_daemon_at_once),
           case(p7__lock_replaced_and_held_by_another))


@pytest.mark.parametrize("scenario", P7)
def test_7_one_daemon_per_folder(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 8. superseded handoffs are withdrawn ------------------------------------------------------------


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def take(path: Path) -> bytes:
    """The handoff consumer takes a handoff (status processed); its bytes as it left them."""
    handoff = read(path)
    handoff |= {"status": "processed", "processed_at": "2025-11-05T18:00:01Z"}
    write_by_rename(path, handoff)
    return path.read_bytes()


def p8__a_retried_subtask(h: Hostile) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", CHAIN)
    assert h.report("start", "orch-t-a", "--worker-id", "w-1")[0] == 0
    assert h.report("fail", "orch-t-a", "--worker-id", "w-1", "--reason", "flaky network", "--transient")[0] == 0
    daemon.wait_event("handoff_created", subtask_id="orch-t-a", attempt=2)
    withdrawn = daemon.wait_event("handoff_withdrawn", subtask_id="orch-t-a", attempt=1)
    first, second = read(h.handoff("orch-t-a")), read(h.handoff("orch-t-a", 2))
    assert first["status"] == "cancelled" and "attempt" in first["cancelled_reason"]
    assert second["status"] == "pending"
    assert first["handoff_id"] != second["handoff_id"]
    assert withdrawn["path"].endswith("to-development-subtask-orch-t-a.json")
    assert count(daemon, "handoff_withdrawn") == 1
    finish(daemon)


def p8__abort(h: Hostile) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", PARALLEL)
    assert h.command("resume", "orch-t", "--abort")[0] == 0
    daemon.wait_event("orchestration_aborted")
    daemon.wait_event("handoff_withdrawn", subtask_id="orch-t-a")
    daemon.wait_event("handoff_withdrawn", subtask_id="orch-t-b")
    for subtask_id in ("orch-t-a", "orch-t-b"):
        assert read(h.handoff(subtask_id))["status"] == "cancelled"
    assert not h.handoff("orch-t-c").exists()
    h.wait_status("t", "cancelled")
    finish(daemon)


def p8__skip(h: Hostile) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", PARALLEL)
    assert h.command("resume", "orch-t", "--skip", "orch-t-a")[0] == 0
    withdrawn = daemon.wait_event("handoff_withdrawn", subtask_id="orch-t-a")
    assert "skip" in withdrawn["reason"]
    assert read(h.handoff("orch-t-a"))["status"] == "cancelled"
    assert read(h.handoff("orch-t-b"))["status"] == "pending"  # the other one stands
    assert count(daemon, "handoff_withdrawn") == 1
    finish(daemon)


def _retry_after_the_consumer_took_it(h: Hostile) -> tuple[Daemon, bytes, int]:
    daemon = h.start()
    h.orchestrate(daemon, "t", CHAIN)
    taken = take(h.handoff("orch-t-a"))
    inode = h.handoff("orch-t-a").stat().st_ino
    assert h.report("start", "orch-t-a", "--worker-id", "w-1")[0] == 0
    assert h.report("fail", "orch-t-a", "--worker-id", "w-1", "--reason", "x")[0] == 0
    daemon.wait_event("handoff_created", subtask_id="orch-t-a", attempt=2)
    return daemon, taken, inode


def p8__a_processed_handoff_of_a_retried_subtask(h: Hostile) -> None:
    daemon, taken, _ = _retry_after_the_consumer_took_it(h)
    assert read(h.handoff("orch-t-a")) == json.loads(taken)  # still processed, every field as the consumer left it
    assert not daemon.events("handoff_withdrawn")
    finish(daemon)
    assert read(h.handoff("orch-t-a")) == json.loads(taken)


def p8__a_processed_handoff_is_not_even_rewritten(h: Hostile) -> None:
    daemon, taken, inode = _retry_after_the_consumer_took_it(h)
    finish(daemon)
    # not replaced (a consumer that updates it in place, without the daemon's lock, would lose that update)
    assert (h.handoff("orch-t-a").stat().st_ino, h.handoff("orch-t-a").read_bytes()) == (inode, taken)


def p8__a_processed_handoff_of_an_aborted_plan(h: Hostile) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", PARALLEL)
    taken = take(h.handoff("orch-t-a"))
    assert h.command("resume", "orch-t", "--abort")[0] == 0
    daemon.wait_event("handoff_withdrawn", subtask_id="orch-t-b")
    h.wait_status("t", "cancelled")
    assert read(h.handoff("orch-t-a")) == json.loads(taken)
    assert read(h.handoff("orch-t-b"))["status"] == "cancelled"
    assert count(daemon, "handoff_withdrawn") == 1
    finish(daemon)


P8 = cases("a_retried_subtask",
           case(p8__a_retried_subtask), case(p8__abort), case(p8__skip),
           case(p8__a_processed_handoff_of_a_retried_subtask), case(p8__a_processed_handoff_of_an_aborted_plan),
           case(p8__a_processed_handoff_is_not_even_rewritten))


@pytest.mark.parametrize("scenario", P8)
def test_8_superseded_handoffs_are_withdrawn(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 9. fencing has no back door -------------------------------------------------------------------------


def _refused_without_worker_id(h: Hostile, action: str, *args: str) -> None:
    daemon = h.start()
    h.orchestrate(daemon, "t", CHAIN)
    before = h.subtask("orch-t-a")
    done = h.cli("subtask", action, "orch-t-a", *args)
    assert done.returncode == 1, done
    assert "--worker-id" in done.stderr
    after = h.subtask("orch-t-a")
    assert after["status"] == "assigned" and after == before
    assert not daemon.events("subtask_completed") and not daemon.events("subtask_failed")
    finish(daemon)


def p9__complete_without_worker_id(h: Hostile) -> None:
    _refused_without_worker_id(h, "complete", "--result", "x")


def p9__fail_without_worker_id_and_the_help(h: Hostile) -> None:
    _refused_without_worker_id(h, "fail", "--reason", "x")
    helped = h.cli("subtask", "--help", config_dir=False)
    assert helped.returncode == 0
    text = " ".join(helped.stdout.split())
    assert "--pid PID" in text and "started after the handoff" in text and "--worker-id" in text


def _fail_names_a_pid(h: Hostile, daemon: Daemon, pid: int) -> None:
    h.orchestrate(daemon, "t", CHAIN)
    assert h.report("fail", "orch-t-a", "--worker-id", "w", "--pid", str(pid), "--reason", "x")[0] == 0
    daemon.wait_event("subtask_failed", subtask_id="orch-t-a")
    assert daemon.wait_event("worker_not_signalled", subtask_id="orch-t-a")["pid"] == pid
    assert not daemon.events("worker_terminated")


def p9__fail_names_an_older_process(h: Hostile) -> None:
    pid = aged(OLD["p9"])
    daemon = h.start()
    _fail_names_a_pid(h, daemon, pid)
    assert OLD["p9"].poll() is None
    finish(daemon)


def p9__fail_names_the_daemon(h: Hostile) -> None:
    daemon = h.start()
    _fail_names_a_pid(h, daemon, daemon.proc.pid)
    assert not daemon.events("orchestrator_stopped")
    finish(daemon)


P9 = cases("complete_without_worker_id",
           case(p9__complete_without_worker_id), case(p9__fail_without_worker_id_and_the_help),
           case(p9__fail_names_an_older_process), case(p9__fail_names_the_daemon))


@pytest.mark.parametrize("scenario", P9)
def test_9_fencing_has_no_back_door(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 10. a bad config file never silences workers -------------------------------------------------------

BAD_TYPE = '[monitor]\ninterval_seconds = "x"\n'
NOT_TOML = "[monitor\ninterval_seconds = 1\n"
UNKNOWN_KEY = "[monitor]\ninterval_second = 1\n"


def _workers_report_with_a_bad_config(h: Hostile, bad: str) -> None:
    daemon = h.start()  # with its own good configuration (--config)
    h.orchestrate(daemon, "t", CHAIN)
    (h.folder / "orchestrator/config.toml").write_text(bad)  # the folder's default config file, broken
    worker = h.spawn("sleep", "60")  # the worker's process, started after the handoff
    for args in (["start", "orch-t-a", "--worker-id", "w-1", "--pid", str(worker.pid)],
                 ["heartbeat", "orch-t-a", "--worker-id", "w-1", "--progress", "half way"],
                 ["complete", "orch-t-a", "--worker-id", "w-1", "--result", "built"]):
        done = h.cli("subtask", *args)
        assert done.returncode == 0, done
        assert "warning" in done.stderr and "configuration" in done.stderr
    daemon.wait_event("subtask_completed", subtask_id="orch-t-a")
    assert h.subtask("orch-t-a")["result"] == "built"
    finish(daemon)


def p10__subtask_commands_with_a_wrong_type(h: Hostile) -> None:
    _workers_report_with_a_bad_config(h, BAD_TYPE)


def p10__subtask_commands_with_invalid_toml(h: Hostile) -> None:
    _workers_report_with_a_bad_config(h, NOT_TOML)


def p10__subtask_commands_with_an_unknown_key(h: Hostile) -> None:
    _workers_report_with_a_bad_config(h, UNKNOWN_KEY)


def p10__status_and_events(h: Hostile) -> None:
    daemon = h.start()
    h.add(task("t-1", SIMPLE))
    daemon.wait_event("task_assigned", task_id="t-1")
    (h.folder / "orchestrator/config.toml").write_text(BAD_TYPE)
    shown = h.cli("status", "--json")
    assert shown.returncode == 0, shown
    assert json.loads(shown.stdout)["queue"]["by_status"] == {"assigned": 1}
    assert "warning" in shown.stderr
    listed = h.cli("events", "--type", "task_assigned", "--json")
    assert listed.returncode == 0, listed
    assert [json.loads(line)["task_id"] for line in listed.stdout.splitlines()] == ["t-1"]
    finish(daemon)


def p10__doctor_names_it(h: Hostile) -> None:
    daemon = h.start()
    (h.folder / "orchestrator/config.toml").write_text(BAD_TYPE)
    checked = h.cli("doctor")
    assert checked.returncode != 0, checked
    assert "configuration" in checked.stdout and "interval_seconds" in checked.stdout
    finish(daemon)


def p10__sighup_keeps_the_running_config(h: Hostile) -> None:
    daemon = h.start(classifier__default_master="inventory")
    h.config.write_text(BAD_TYPE)
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGHUP)
    failed = daemon.wait_event("config_reload_failed")
    assert "interval_seconds" in failed["problem"]
    assert not daemon.events("config_reloaded")
    h.add(task("t-vague", "Do the thing"))
    daemon.wait_event("task_assigned", task_id="t-vague", assigned_to="inventory")  # the old config still rules
    finish(daemon)


P10 = cases("subtask_commands_with_a_wrong_type",
            case(p10__subtask_commands_with_a_wrong_type), case(p10__subtask_commands_with_invalid_toml),
            case(p10__subtask_commands_with_an_unknown_key), case(p10__status_and_events),
            case(p10__doctor_names_it), case(p10__sighup_keeps_the_running_config))


@pytest.mark.parametrize("scenario", P10)
def test_10_a_bad_config_file_never_silences_workers(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)


# --- 11. followers are cheap ------------------------------------------------------------------------------

WINDOW = 3.0
FEW_TICKS = 5  # of 100 per second: 50 ms of CPU in 3 s


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process (fields 14 and 15 of /proc/PID/stat), in clock ticks."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


class Follower:
    """``orchestrator events --follow`` or ``status --watch`` running, its output collected."""

    def __init__(self, h: Hostile, *args: str) -> None:
        self.lines: list[str] = []
        self.proc = h.spawn(sys.executable, "-m", "orchestrator", *args, "--coordination-dir", str(h.folder),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace"))

    def saw(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))


def idle_ticks(pid: int) -> int:
    before = cpu_ticks(pid)
    time.sleep(WINDOW)  # a measurement window of CPU ticks, not a timing assertion
    return cpu_ticks(pid) - before


def _a_follower_on_an_idle_folder(h: Hostile, args: list[str], ready: str, shows: str) -> None:
    daemon = h.start(monitor__interval_seconds=60)
    follower = Follower(h, *args)
    wait_for(lambda: follower.saw(ready), 30, f"{args} running")
    used = idle_ticks(follower.proc.pid)
    assert used <= FEW_TICKS, f"{args} used {used} CPU ticks in {WINDOW}s on an idle folder"
    h.add(task("t-1", SIMPLE))  # and it is alive: it shows what happens next
    wait_for(lambda: follower.saw(shows), 15, f"{args} to show the change")
    finish(daemon)


def p11__events_follow(h: Hostile) -> None:
    _a_follower_on_an_idle_folder(h, ["events", "--follow"], "orchestrator_started", "task_assigned")


def p11__status_watch(h: Hostile) -> None:
    _a_follower_on_an_idle_folder(h, ["status", "--watch"], "orchestrations", "1 assigned")


def p11__followers_do_not_wake_the_daemon(h: Hostile) -> None:
    daemon = h.start(monitor__interval_seconds=60)
    events = Follower(h, "events", "--follow")
    watch = Follower(h, "status", "--watch")
    wait_for(lambda: events.saw("orchestrator_started") and watch.saw("orchestrations"), 30, "followers running")
    used = idle_ticks(daemon.process.pid)
    assert used <= FEW_TICKS, f"the daemon used {used} CPU ticks in {WINDOW}s with two followers running"
    h.add(task("t-1", SIMPLE))
    wait_for(lambda: events.saw("task_assigned") and watch.saw("1 assigned"), 15, "followers to show the change")
    finish(daemon)


P11 = cases("events_follow",
            case(p11__events_follow), case(p11__status_watch), case(p11__followers_do_not_wake_the_daemon))


@pytest.mark.parametrize("scenario", P11)
def test_11_followers_are_cheap(h: Hostile, scenario: Callable[[Hostile], None]) -> None:
    scenario(h)
