"""The monitor tick reads a file again only when it may have changed: what it must never miss.

In-process, on a real folder (``FolderStore``): a file rewritten in place to the same size
with the same mtime (as on a file system that stamps whole seconds or clock ticks), a
heartbeat file updated, a status file that appears, a worker process killed between ticks.
The store's notion of "now" (:meth:`~orchestrator.store.Store.stamp`) is set by each test,
so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Config, Settings
from orchestrator.core import FULL, Core
from orchestrator.filecache import CachedFile
from orchestrator.processes import PsutilProcesses
from orchestrator.store import FolderStore, Layout, file_identity
from orchestrator.timestamps import now_iso

from conftest import read_events
from sim import FakeProcesses

SECOND = 1_000_000_000
NOW = 1_800_000_000 * SECOND + 123_456_789  # the store's "now" in these tests, in ns (sub-second)


class Folder:
    """A daemon's core on a real folder, ticked by hand, whose store says it is ``NOW``."""

    def __init__(self, root: Path, processes: Any = None) -> None:
        self.store = FolderStore(Layout(root), Settings(Config()))
        self.stamp = NOW
        self.store.stamp = lambda: self.stamp  # type: ignore[method-assign]
        self.layout = self.store.layout
        self.processes = processes or FakeProcesses()
        self.core = Core(self.store, self.store.settings, processes=self.processes)
        self.store.make_folders()
        self.layout.queue.write_text(json.dumps({"tasks": [{
            "id": "t", "title": "Three steps", "status": "pending", "priority": "medium",
            "subtasks": [{"id": "a", "title": "A"}, {"id": "b", "title": "B", "dependencies": ["a"]},
                         {"id": "c", "title": "C", "dependencies": ["b"]}]}]}))
        self.core.start(pid=os.getpid())
        self.core.run_pass(FULL)
        self.subtask = self.layout.subtask("orch-t-a")
        assert self.read(self.subtask)["status"] == "assigned"

    def tick(self) -> None:
        self.core.run_pass(FULL)

    @staticmethod
    def read(path: Path) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(path.read_bytes())
        return data

    def known(self) -> Any:
        plan = self.core.registry.get("orch-t")
        assert plan is not None
        return plan.subtask("orch-t-a")

    def events(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in read_events(self.layout.root) if e["type"] == type_]

    def start_worker(self, pid: int, worker_id: str = "w1") -> None:
        if isinstance(self.processes, FakeProcesses):
            self.processes.states[pid] = "running"
        data = self.read(self.subtask) | {"status": "in_progress", "worker_id": worker_id, "pid": pid,
                                          "started_at": now_iso()}
        write_over(self.subtask, json.dumps(data).encode())
        self.tick()
        assert self.known().status == "in_progress"


def write_over(path: Path, data: bytes, *, mtime_ns: int | None = None) -> None:
    """Rewrite ``path`` in place (same inode), as an editor or a careless script does; then set its mtime."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "r+b" if path.exists() else "wb") as handle:
        handle.write(data)
        handle.truncate()
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def same_size(data: dict[str, Any], size: int) -> bytes:
    """``data`` as JSON padded with spaces to ``size`` bytes."""
    raw = json.dumps(data).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


@pytest.mark.parametrize("mtime", [NOW - 40_000_000, NOW - NOW % SECOND - SECOND],
                         ids=["40 ms before the tick, in nanoseconds", "a whole second, 1.1 s before the tick"])
def test_a_subtask_file_rewritten_in_place_to_the_same_size_and_mtime_is_seen(tmp_path: Path, mtime: int) -> None:
    """As on a file system whose clock ticks every few ms, or every second (ext3, HFS+): not settled yet."""
    folder = Folder(tmp_path)
    folder.processes.states[4242] = "running"
    data = folder.read(folder.subtask) | {"status": "in_progress", "worker_id": "w1", "pid": 4242,
                                          "started_at": now_iso()}
    raw = json.dumps(data).encode() + b" " * 64
    write_over(folder.subtask, raw, mtime_ns=mtime)
    folder.tick()
    assert folder.known().status == "in_progress"
    before = file_identity(folder.subtask)

    # within the same tick of the file system's clock: in place, the same size, the same mtime
    write_over(folder.subtask, same_size(data | {"status": "completed", "result": "done"}, len(raw)), mtime_ns=mtime)
    assert file_identity(folder.subtask) == before  # nothing in the stat tells them apart
    folder.tick()
    assert folder.known().status == "completed"
    assert [e["subtask_id"] for e in folder.events("subtask_completed")] == ["orch-t-a"]


def test_a_heartbeat_updated_in_place_is_seen_on_every_tick(tmp_path: Path) -> None:
    folder = Folder(tmp_path)
    folder.start_worker(4242)
    beat = folder.layout.worker("w1") / "heartbeat.json"
    stamp = NOW - 10_000_000
    first = {"timestamp": "2020-01-01T00:00:01.000Z", "progress": "step 1"}
    write_over(beat, json.dumps(first).encode(), mtime_ns=stamp)
    folder.tick()
    assert (folder.known().last_heartbeat, folder.known().progress) == (first["timestamp"], "step 1")

    second = {"timestamp": "2020-01-01T00:00:02.000Z", "progress": "step 2"}  # the same length
    write_over(beat, json.dumps(second).encode(), mtime_ns=stamp)
    folder.tick()
    assert (folder.known().last_heartbeat, folder.known().progress) == (second["timestamp"], "step 2")

    # long after (settled), a new write has a new mtime: read, whatever its size
    folder.stamp = NOW + 60 * SECOND
    third = {"timestamp": "2020-01-01T00:00:03.000Z", "progress": "step 3"}
    write_over(beat, json.dumps(third).encode(), mtime_ns=NOW + 30 * SECOND)
    folder.tick()
    assert folder.known().progress == "step 3"


def test_a_status_file_that_appears_ends_the_attempt(tmp_path: Path) -> None:
    folder = Folder(tmp_path)
    folder.start_worker(4242)
    folder.tick()  # status.json looked for, and missing
    status = folder.layout.worker("w1") / "status.json"
    write_over(status, json.dumps({"status": "completed"}).encode(), mtime_ns=NOW - 60 * SECOND)
    folder.tick()
    assert folder.known().status == "completed"


def test_a_worker_process_killed_between_ticks_fails_its_attempt(tmp_path: Path) -> None:
    worker = subprocess.Popen(["sleep", "600"])
    try:
        folder = Folder(tmp_path, processes=PsutilProcesses())
        folder.start_worker(worker.pid)
        folder.tick()
        assert folder.known().status == "in_progress"
    finally:
        worker.kill()
        worker.wait()
    folder.tick()
    assert [(e["subtask_id"], e["kind"]) for e in folder.events("subtask_failed")] == [("orch-t-a", "dead")]


class CountingStore(FolderStore):
    def __init__(self, root: Path) -> None:
        super().__init__(Layout(root))
        self.reads: list[Path] = []
        self.now = NOW

    def stamp(self) -> int:
        return self.now

    def read_bytes(self, path: Path) -> bytes:
        self.reads.append(path)
        return super().read_bytes(path)


@pytest.mark.parametrize("mtime", [NOW - 200_000_000, NOW - NOW % SECOND - 3 * SECOND],
                         ids=["nanoseconds", "whole seconds"])
def test_a_settled_file_is_read_once_until_its_identity_changes(tmp_path: Path, mtime: int) -> None:
    store = CountingStore(tmp_path)
    path = tmp_path / "heartbeat.json"
    write_over(path, b'{"n": 1}', mtime_ns=mtime)
    file = CachedFile(path)
    assert file.read(store) == (b'{"n": 1}', True)
    assert file.read(store) == (b'{"n": 1}', False)
    assert file.parsed(store, json.loads) == {"n": 1}
    assert store.reads == [path]  # settled: stat'ed, not read again

    write_over(path, b'{"n": 22}', mtime_ns=mtime)  # another size
    assert file.parsed(store, json.loads) == {"n": 22}
    write_over(path, b'{"n": 33}', mtime_ns=mtime + SECOND)  # another mtime
    assert file.parsed(store, json.loads) == {"n": 33}
    path.unlink()
    assert file.read(store) == (None, True)
    assert file.read(store) == (None, False)
    assert len(store.reads) == 4  # a missing file is stat'ed, not read, while it stays missing


@pytest.mark.parametrize(("mtime", "settled"), [
    (NOW - 99_000_000, False), (NOW - 101_000_000, True),  # nanosecond stamps: settled after 0.1 s
    (NOW - NOW % SECOND, False), (NOW - NOW % SECOND - SECOND, False),  # whole seconds: settled after
    (NOW - NOW % SECOND - 2 * SECOND, True),  # 2.1 s (FAT stamps every 2 s); NOW is 0.123 s past a second
])
def test_when_a_file_is_settled(tmp_path: Path, mtime: int, settled: bool) -> None:
    assert FolderStore(Layout(tmp_path)).settled((1, mtime, 10), NOW) is settled


def test_a_file_that_is_not_settled_is_read_again_and_compared(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    path = tmp_path / "heartbeat.json"
    write_over(path, b'{"n": 1}', mtime_ns=NOW - 1_000_000)
    file = CachedFile(path)
    parses: list[bytes | None] = []

    def parse(data: bytes | None) -> Any:
        parses.append(data)
        return json.loads(data or b"null")

    assert file.parsed(store, parse) == {"n": 1}
    assert file.read(store) == (b'{"n": 1}', False)  # read again: the same bytes, no change
    assert file.parsed(store, parse) == {"n": 1}
    assert parses == [b'{"n": 1}']  # the same bytes are not parsed again
    assert len(store.reads) == 3
    store.now = NOW + SECOND  # now settled: the next look reads once more, then only stats
    file.read(store)
    file.read(store)
    assert len(store.reads) == 4


def test_an_unreadable_file_is_read_again_on_every_look(tmp_path: Path) -> None:
    class Refusing(CountingStore):
        refuse = True

        def read_bytes(self, path: Path) -> bytes:
            if self.refuse:
                self.reads.append(path)
                raise PermissionError(13, "Permission denied", str(path))
            return super().read_bytes(path)

    store = Refusing(tmp_path)
    path = tmp_path / "status.json"
    write_over(path, b'{"status": "completed"}', mtime_ns=NOW - 60 * SECOND)
    file = CachedFile(path)
    assert file.read(store) == (None, True)
    assert file.read(store) == (None, False)
    assert len(store.reads) == 2  # a chmod changes no identity: not trusted
    store.refuse = False
    assert file.read(store) == (b'{"status": "completed"}', True)


def test_what_a_worker_writes_while_the_daemon_rewrites_its_subtask_file_is_seen(tmp_path: Path) -> None:
    """The daemon's read-modify-write of its own fields keeps the worker's fields of the running
    attempt; what it kept is read (and acted on) on the next look, not taken for the daemon's own."""
    folder = Folder(tmp_path)
    folder.processes.states[4242] = "running"
    real_update = folder.store.update_json_many

    def worker_finishes_first(changes: list[tuple[Path, Any]], **options: Any) -> Any:
        if any(path == folder.subtask for path, _ in changes):  # the worker completes just before the daemon locks
            done = folder.read(folder.subtask) | {"status": "completed", "result": "done"}
            write_over(folder.subtask, json.dumps(done).encode(), mtime_ns=NOW - 60 * SECOND)
        return real_update(changes, **options)

    data = folder.read(folder.subtask) | {"status": "in_progress", "worker_id": "w1", "pid": 4242,
                                          "started_at": now_iso(), "last_heartbeat": "2020-01-01T00:00:00.000Z"}
    write_over(folder.subtask, json.dumps(data).encode(), mtime_ns=NOW - 60 * SECOND)
    folder.store.update_json_many = worker_finishes_first  # type: ignore[method-assign]
    folder.tick()  # the stale heartbeat is a condition: the daemon writes it into the subtask file
    assert folder.known().conditions == ["heartbeat_stale"]
    assert folder.read(folder.subtask)["status"] == "completed"  # the worker's, kept by the daemon's write
    folder.store.update_json_many = real_update  # type: ignore[method-assign]
    folder.tick()
    assert folder.known().status == "completed"
