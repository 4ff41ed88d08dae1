"""attack25, with the real daemon: what a service manager hears while the pickup cannot write.

A full disk, a queue that is a symlink, a folder in a handoff's place: the daemon is not wedged (a restart would
change nothing, so its watchdog pings go on), but nothing it takes is written. ``systemctl status`` shows the
``STATUS=`` line, and on a full disk it is the only thing that can tell anyone (the events file cannot be
appended to either): it said "0 orchestrating, 0 blocked, 0 completed; watching ..." all along.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import queue_doc, queue_task, task, wait_for, write_by_rename

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
