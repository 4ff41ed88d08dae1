"""The folder store in-process, on a real temporary folder: durability order, create-if-absent,
writers that do not lock, and the same behaviour from the in-memory store."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from orchestrator.models import Event
from orchestrator.store import FolderStore, Layout, MemoryStore, Snapshot, Store, StoreError, UnsafeName


@pytest.fixture
def store(tmp_path: Path) -> FolderStore:
    folder = FolderStore(Layout(tmp_path))
    folder.make_folders()
    return folder


@pytest.fixture
def syscalls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """fsync, replace and link as the store calls them, with the path each one touches."""
    log: list[tuple[str, str]] = []
    real_fsync, real_replace, real_link = os.fsync, os.replace, os.link

    def fsync(fd: int) -> None:
        log.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        log.append(("replace", str(dst)))
        real_replace(src, dst)

    def link(src: Any, dst: Any) -> None:
        log.append(("link", str(dst)))
        real_link(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "link", link)
    return log


def test_a_write_syncs_the_file_before_the_rename_and_the_folder_after(store: FolderStore,
                                                                       syscalls: list[tuple[str, str]]) -> None:
    target = store.layout.plan("orch-a")
    store.write_json(target, {"a": 1})
    kinds = [kind for kind, _ in syscalls]
    assert kinds == ["fsync", "replace", "fsync"]
    assert ".orchestrator-orch-a.json." in syscalls[0][1]  # the temporary file
    assert syscalls[2][1] == str(target.parent)  # then the folder, so the rename is durable
    assert json.loads(target.read_text()) == {"a": 1}


def test_a_derived_file_is_written_without_syncs(store: FolderStore, syscalls: list[tuple[str, str]]) -> None:
    store.write_json(store.layout.state, {"x": 1}, durable=False)
    assert [kind for kind, _ in syscalls] == ["replace"]


def test_create_if_absent_syncs_and_never_overwrites(store: FolderStore, syscalls: list[tuple[str, str]]) -> None:
    path = store.layout.subtask_handoff("development", "s1")
    assert store.create_json(path, {"status": "pending"}) is True
    assert [kind for kind, _ in syscalls] == ["fsync", "link", "fsync"]
    assert syscalls[2][1] == str(path.parent)
    path.write_text(json.dumps({"status": "processed"}))  # the consumer took it
    assert store.create_json(path, {"status": "pending"}) is False
    assert json.loads(path.read_text())["status"] == "processed"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".orchestrator-")]


def test_a_queue_write_syncs_and_a_writer_that_got_in_first_is_not_lost(store: FolderStore,
                                                                        syscalls: list[tuple[str, str]]) -> None:
    queue = store.layout.queue
    queue.write_text(json.dumps({"tasks": [{"id": "a"}]}))
    calls = 0

    def change(snapshot: Snapshot) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:  # an unlocked writer replaces the queue while we are deciding
            queue.write_text(json.dumps({"tasks": [{"id": "a"}, {"id": "b"}]}))
        for entry in snapshot.tasks:
            entry["seen"] = True
        return True

    store.update_queue(change)
    assert calls == 2
    assert json.loads(queue.read_text())["tasks"] == [{"id": "a", "seen": True}, {"id": "b", "seen": True}]
    assert [kind for kind, _ in syscalls][-3:] == ["fsync", "replace", "fsync"]


def test_a_queue_that_keeps_changing_is_reported_not_overwritten(store: FolderStore) -> None:
    queue = store.layout.queue
    queue.write_text(json.dumps({"tasks": []}))

    def change(snapshot: Snapshot) -> bool:
        queue.write_text(json.dumps({"tasks": [], "n": os.urandom(4).hex()}))
        return True

    with pytest.raises(StoreError, match="changed under us"):
        store.update_queue(change, attempts=3)
    assert "n" in json.loads(queue.read_text())


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(store: FolderStore,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = store.layout.plan("orch-b")
    store.write_json(target, {"v": 1})

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError, match="No space left"):
        store.write_json(target, {"v": 2})
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in target.parent.iterdir()] == ["orch-b.json"]


def test_nothing_is_written_through_a_symlink_or_outside_the_folder(store: FolderStore, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.json"
    outside.write_text("{}")
    link = store.layout.plan("orch-c")
    link.symlink_to(outside)
    with pytest.raises(UnsafeName):
        store.write_json(link, {"x": 1})
    assert outside.read_text() == "{}"
    with pytest.raises(UnsafeName):
        store.layout.plan("../escape")


def test_events_are_whole_lines_in_one_append_after_a_torn_line_is_ended(store: FolderStore) -> None:
    events = store.layout.events
    events.write_bytes(b'{"type":"other"}\n{"type":"torn"')
    assert store.end_torn_event_line() is True
    store.append_events([Event(type="a"), Event(type="b", event_id="x:b")])
    lines = events.read_text().splitlines()
    assert lines[1] == '{"type":"torn"'
    assert [json.loads(line)["type"] for line in lines[2:]] == ["a", "b"]
    assert store.end_torn_event_line() is False
    assert store.read_tail(events, 8).endswith(b"}\n")


def test_a_half_written_queue_is_read_again_before_it_is_reported(store: FolderStore) -> None:
    store.layout.queue.write_text('{"tasks": [')
    with pytest.raises(StoreError, match="invalid JSON"):
        store.read_queue()
    store.layout.queue.write_text('{"tasks": []}')
    snapshot = store.read_queue()
    assert snapshot is not None and snapshot.tasks == []


@pytest.mark.parametrize("backend", ["folder", "memory"])
def test_both_backends_behave_alike(backend: str, tmp_path: Path) -> None:
    chosen: Store = FolderStore(Layout(tmp_path)) if backend == "folder" else MemoryStore(Layout(tmp_path))
    chosen.make_folders()
    path = chosen.layout.subtask("s1")
    assert chosen.create_json_many([(path, {"a": 1}), (path, {"a": 2})]) == [True, False]
    assert chosen.update_json(path, lambda data: data.update(b=2)) == {"a": 1, "b": 2}
    assert chosen.read_json(path) == {"a": 1, "b": 2}
    assert chosen.list_json(path.parent) == [path]
    assert chosen.exists(path) and not chosen.exists(chosen.layout.subtask("s2"))
    chosen.remove(path)
    assert chosen.read_json_or_none(path) is None
    assert chosen.read_queue() is None
    written = chosen.update_queue(lambda snapshot: snapshot.tasks.append({"id": "t"}) is None, create=True)
    assert written is not None and written.tasks == [{"id": "t"}]
    assert chosen.identity(chosen.layout.queue) == written.identity
