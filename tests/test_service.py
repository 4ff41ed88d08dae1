"""Running as a service: the notify protocol, signals, reload, the one-instance guard, standby."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import DaemonProcess, queue_doc, read_queue, task, wait_for, write_by_rename


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    """A datagram socket standing in for systemd."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(10)
    yield sock
    sock.close()


def messages(sock: socket.socket, until: str, timeout: float = 10, *, containing: str = "") -> list[dict[str, str]]:
    """Datagrams received until one has the key ``until`` (whose value contains ``containing``)."""
    received: list[dict[str, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = sock.recv(4096).decode()
        fields = dict(line.split("=", 1) for line in data.splitlines())
        received.append(fields)
        if until in fields and containing in fields[until]:
            return received
    raise AssertionError(f"no {until} in {received}")


def start(folder: Path, config: Path, sock: socket.socket, **env: str) -> subprocess.Popen[bytes]:
    environment = {"NOTIFY_SOCKET": sock.getsockname(), "PATH": "/usr/bin:/bin", **env}
    return subprocess.Popen([sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(folder),
                             "--config", str(config)], env=environment, stderr=subprocess.DEVNULL)


def test_ready_status_watchdog_and_stopping(folder: Path, fast_config: Path, notify_socket: socket.socket) -> None:
    process = start(folder, fast_config, notify_socket, WATCHDOG_USEC="200000")
    try:
        ready = messages(notify_socket, "READY")[-1]
        assert ready["READY"] == "1" and "orchestrating" in ready["STATUS"] and ready["MAINPID"] == str(process.pid)
        pings = [m for m in messages(notify_socket, "WATCHDOG") if "WATCHDOG" in m]
        assert pings  # every 0.1 s: half of WatchdogSec
        auth = task("t1", "Add authentication system with security audit and docs")
        write_by_rename(folder / "task-queue.json", queue_doc(auth))
        messages(notify_socket, "STATUS", containing="1 orchestrating")  # the one-line summary follows the work
        process.send_signal(signal.SIGTERM)
        assert any(m.get("STOPPING") == "1" for m in messages(notify_socket, "STOPPING"))
        assert process.wait(10) == 0
    finally:
        process.kill()


def test_an_abstract_socket_name_is_understood(folder: Path, fast_config: Path) -> None:
    name = f"orchestrator-test-{time.monotonic_ns()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(10)
    process = subprocess.Popen([sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(folder),
                                "--config", str(fast_config)], env={"NOTIFY_SOCKET": "@" + name, "PATH": "/usr/bin:/bin"},
                               stderr=subprocess.DEVNULL)
    try:
        assert messages(sock, "READY")[-1]["READY"] == "1"
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        process.kill()
        sock.close()


def test_sigterm_under_load_leaves_every_file_whole(folder: Path, daemon_factory: Callable[..., DaemonProcess]) -> None:
    daemon = daemon_factory(folder).start()
    tasks = [task(f"t{n}", "Add authentication system with security audit and docs") for n in range(40)]
    tasks += [task(f"s{n}", "Fix bug in api/users.py line 3") for n in range(40)]
    write_by_rename(folder / "task-queue.json", queue_doc(*tasks))
    wait_for(lambda: daemon.events("orchestration_started"), what="work under way")
    started = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - started < 10
    assert daemon.events("orchestrator_stopped")
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())
    assert not list(folder.rglob(".orchestrator-*"))
    # what was claimed is finished at the next start; nothing is lost
    daemon.start()
    wait_for(lambda: all(t["status"] != "pending" for t in read_queue(folder)["tasks"]), what="all tasks handled")
    claimed = [t["id"] for t in read_queue(folder)["tasks"] if t["status"] == "orchestrating"]
    wait_for(lambda: all((folder / f"orchestrator/tasks/orch-{i}.json").exists() for i in claimed), what="plans")
    assert daemon.stop() == 0


def test_sighup_reloads_the_configuration_and_keeps_it_when_the_new_one_is_wrong(
    folder: Path, tmp_path: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    config = tmp_path / "reload.toml"
    config.write_text("[watch]\ndebounce_seconds = 0.002\n")
    daemon = daemon_factory(folder, config).start()
    config.write_text("[watch]\ndebounce_seconds = 0.002\n[classifier]\ndefault_master = 'inventory'\n")
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_event("config_reloaded")
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-vague", "Do the thing")))
    daemon.wait_event("task_assigned", task_id="t-vague", assigned_to="inventory")
    config.write_text("[watch]\ndebounce_second = 1\n")
    daemon.proc.send_signal(signal.SIGHUP)
    failed = daemon.wait_event("config_reload_failed")
    assert "debounce_second" in failed["problem"]
    assert daemon.alive()
    assert daemon.stop() == 0


def test_standby_takes_over_when_the_active_daemon_dies(
    folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    active = daemon_factory(folder).start()
    standby = daemon_factory(folder).start("--standby", wait=False)
    wait_for(lambda: standby.log.exists() and "standby" in standby.log.read_text(), what="standby waiting")
    assert standby.alive() and active.count("orchestrator_started") == 1
    active.kill()
    wait_for(lambda: active.count("orchestrator_started") == 2, what="standby took over")
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-after", "Scan repository for security vulnerabilities")))
    standby.wait_event("task_assigned", task_id="t-after")
    assert standby.stop() == 0
