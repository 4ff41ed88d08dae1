"""The folder store in-process, on a real temporary folder: durability order, create-if-absent,
writers that do not lock, and the same behaviour from the in-memory store."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from orchestrator import store as store_module
from orchestrator.config import Config, Settings
from orchestrator.models import Event
from orchestrator.store import (
    MISSING,
    FolderStore,
    Layout,
    LockTimeout,
    MemoryStore,
    Snapshot,
    Store,
    StoreError,
    UnsafeName,
    dump_lines,
    is_own_temp,
)


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


def test_writes_are_durable_unless_told_otherwise(store: FolderStore, syscalls: list[tuple[str, str]]) -> None:
    store.write_bytes(store.layout.report("orch-a", ".md"), b"# Report\n")
    store.write_lines(store.layout.state, {"current": [1, 2]}, "current")
    assert [kind for kind, _ in syscalls] == ["fsync", "replace", "fsync"] * 2
    syscalls.clear()
    store.write_lines(store.layout.state, {"current": [1]}, "current", durable=False)
    assert [kind for kind, _ in syscalls] == ["replace"]
    assert store.layout.state.read_text() == '{\n  "current": [\n    1\n  ]\n}\n'


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


# --- where the files are, and what each store does with them ------------------------------------------------------

QUICK = Settings(Config.model_validate({"watch": {"read_retries": 2, "read_retry_delay_seconds": 0}}))


@pytest.fixture(params=["folder", "memory"])
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """Each behaviour below holds for the folder on disk and for the in-memory store the core tests use."""
    chosen: Store = (FolderStore(Layout(tmp_path), QUICK) if request.param == "folder"
                     else MemoryStore(Layout(tmp_path), settings=QUICK))
    chosen.make_folders()
    return chosen


def test_the_files_are_where_the_rest_of_the_system_looks_for_them(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    where = {name: str(path.relative_to(tmp_path)) for name, path in vars(layout).items() if name != "root"}
    assert where == {
        "queue": "task-queue.json", "events": "dashboard-events.jsonl", "orchestrator": "orchestrator",
        "tasks": "orchestrator/tasks", "subtasks": "orchestrator/subtasks", "state": "orchestrator/state/current.json",
        "routing_corrections": "orchestrator/state/routing-corrections.json",
        "events_mark": "orchestrator/state/events-mark.json", "routing_overrides": "routing-overrides.json",
        "temp": "orchestrator/tmp",
        "daemon_lock": "orchestrator/daemon.lock", "escalations": "orchestrator/escalations",
        "reports": "orchestrator/reports", "requests": "orchestrator/requests", "worker_specs": "worker-specs",
        "agents": "agents/workers", "masters": "masters"}
    assert layout.report("orch-a", ".md") == tmp_path / "orchestrator/reports/orch-a.md"
    assert layout.subtask_handoff("cicd", "s1", attempt=2) == tmp_path / "masters/cicd/handoffs/to-cicd-subtask-s1-attempt-2.json"
    with pytest.raises(UnsafeName, match=r"'qa' is not a master \(development, security, inventory, cicd\)"):
        layout.handoffs("qa")
    with pytest.raises(UnsafeName, match="is not a safe file name"):
        layout.subtask("a/b")


def test_the_configuration_reaches_the_store(tmp_path: Path) -> None:
    assert FolderStore(Layout(tmp_path), QUICK).read_retries() == 2
    assert MemoryStore(settings=QUICK).read_retries() == 2


def test_a_missing_or_broken_file_is_reported_by_name(either: Store) -> None:
    path = either.layout.plan("orch-x")
    with pytest.raises(StoreError) as missing:
        either.read_json(path)
    assert str(missing.value) == f"{path}: missing"
    assert either.read_json_or_none(path) is None
    either.write_bytes(path, b'{"a": ')
    with pytest.raises(StoreError, match=f"^{path}: invalid JSON at line 1 column 7"):
        either.read_json(path)
    either.write_bytes(path, b"[1, 2]")
    with pytest.raises(StoreError) as not_object:
        either.update_json(path, lambda data: None)
    assert str(not_object.value) == f"{path}: top level is list, expected an object"


@pytest.mark.parametrize(("raw", "problem"), [
    (b"", "empty"), (b" \n", "empty"), (b"\xff{}", "not UTF-8 (byte 0)"),
    (b'{"tasks": [NaN]}', "invalid JSON at line 1 column 1: NaN is not valid JSON"),
    (b'{"tasks": [{"id": "a", "estimate": 1e400}]}',  # infinity: it would be written back as null
     "invalid JSON at line 1 column 1: 1e400 is beyond the range of a number this daemon can write back"),
    (b"[" * 100_000, "nested too deeply"),
    (b'"text"', "top level is str, expected an object with 'tasks'"),
    (b'{"tasks": {"a": 1}}', "'tasks' is dict, expected a list"),
])
def test_a_queue_that_is_not_a_task_list_is_reported_as_it_is(either: Store, raw: bytes, problem: str) -> None:
    either.write_bytes(either.layout.queue, raw)
    with pytest.raises(StoreError) as caught:
        either.read_queue()
    assert str(caught.value) == f"{either.layout.queue}: {problem}"


def test_a_queue_is_read_again_as_often_as_configured(either: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_retries = 2: three reads in all; a writer that finishes in time is not reported."""
    either.write_bytes(either.layout.queue, b'{"tasks": [')
    reads: list[int] = []
    real = either._read_bytes
    finishing = [True]

    def counted(path: Path) -> bytes:
        reads.append(1)
        if len(reads) == 3 and finishing.pop():  # the other writer is done
            either.write_bytes(either.layout.queue, b'{"tasks": [{"id": "t1"}]}')
        return real(path)

    monkeypatch.setattr(either, "_read_bytes", counted)
    snapshot = either.read_queue()
    assert snapshot is not None and snapshot.tasks == [{"id": "t1"}] and len(reads) == 3
    either.write_bytes(either.layout.queue, b'{"tasks": [')
    reads.clear()
    finishing.append(False)
    with pytest.raises(StoreError):
        either.read_queue()
    assert len(reads) == 3


def test_updating_the_queue_never_creates_or_empties_it_unless_asked(either: Store) -> None:
    queue = either.layout.queue
    assert either.update_queue(lambda snapshot: snapshot.tasks.append({"id": "x"}) is None) is None
    assert not either.exists(queue)
    either.write_bytes(queue, b'{"version": "2.1", "tasks": [{"id": "a"}]}')
    written = either.update_queue(lambda snapshot: snapshot.tasks.append({"id": "b"}) is None, create=True)
    assert written is not None and [t["id"] for t in written.tasks] == ["a", "b"]
    assert either.read_json(queue) == {"version": "2.1", "tasks": [{"id": "a"}, {"id": "b"}]}
    assert written.raw == either._read_bytes(queue)


def test_the_queue_is_written_one_task_per_line_and_keeps_its_other_keys(either: Store) -> None:
    either.write_bytes(either.layout.queue, b'{"tasks": [], "owner": "ops", "notes": ["a", "b"]}')
    either.update_queue(lambda snapshot: snapshot.tasks.extend([{"id": "a", "title": "Café"}, {"id": "b"}]) is None)
    assert either._read_bytes(either.layout.queue).decode() == (
        '{\n  "tasks": [\n    {"id":"a","title":"Café"},\n    {"id":"b"}\n  ],\n'
        '  "owner": "ops",\n  "notes": ["a","b"]\n}\n')
    assert dump_lines([{"id": "a"}, [1]]) == b'[\n  {"id":"a"},\n  [1]\n]\n'
    assert dump_lines({"tasks": [{"n": 2**70, "cut": "\ud83d"}]}) == (  # what orjson refuses, the json module writes
        b'{\n  "tasks": [\n    {"n": 1180591620717411303424, "cut": "\\ud83d"}\n  ]\n}\n')
    assert dump_lines({"tasks": []}) == b'{\n  "tasks": []\n}\n'


def test_text_is_kept_as_written_and_half_an_emoji_becomes_an_escape(either: Store) -> None:
    path = either.layout.subtask("s1")
    either.write_json(path, {"title": "Überprüfung 🔒", "nested": {"n": [1, 2]}})
    assert either._read_bytes(path).decode() == ('{\n  "title": "Überprüfung 🔒",\n'
                                                 '  "nested": {\n    "n": [\n      1,\n      2\n    ]\n  }\n}\n')
    either.write_json(path, {"title": "cut \ud83d"})
    assert either._read_bytes(path) == b'{\n  "title": "cut \\ud83d"\n}\n'
    assert either.read_json(path) == {"title": "cut \ud83d"}
    either.write_bytes(either.layout.queue, b'{"tasks": []}')
    either.update_queue(lambda snapshot: snapshot.tasks.append({"title": "cut \ud83d"}) is None)
    assert b'"cut \\ud83d"' in either._read_bytes(either.layout.queue)
    either.write_json(path, {"x": float("nan")})  # NaN is not JSON: null keeps the file readable
    assert either.read_json(path) == {"x": None}
    either.write_json(path, {"big": 2**70})  # beyond orjson's 64 bits: written exactly, by the json module
    assert either.read_json(path) == {"big": 2**70}


def test_events_are_compact_utf8_lines_whatever_their_fields_hold(either: Store) -> None:
    either.append_events([Event(type="a", event_id="t:a", title="Café", path=Path("/x/y"), cut="\ud83d")])
    raw = either.read_tail(either.layout.events, 1 << 20)
    line = raw.decode("ascii")
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line)["path"] == "/x/y" and json.loads(line)["cut"] == "\ud83d"
    either.append_events([Event(type="b", title="Café")])
    assert either.read_tail(either.layout.events, 1 << 20).decode().splitlines()[1].startswith(
        '{"timestamp":"') and "Café" in either.read_tail(either.layout.events, 1 << 20).decode()


def test_a_missing_events_file_is_not_torn_and_is_not_created_by_asking(either: Store) -> None:
    assert either.end_torn_event_line() is False
    assert not either.exists(either.layout.events)
    assert either.read_tail(either.layout.events, 10) == b""
    either.append_events([Event(type="a")])
    assert either.read_tail(either.layout.events, 1000) == either._read_bytes(either.layout.events)


def test_each_rewrite_is_seen_even_when_the_size_stays_the_same(either: Store) -> None:
    path = either.layout.queue
    assert either.identity(path) == MISSING and either.mtime(path) is None
    either.write_bytes(path, b'{"tasks": [1]}')
    first = either.identity(path)
    either.write_bytes(path, b'{"tasks": [2]}')
    assert first != MISSING and either.identity(path) != first
    assert either.mtime(path) is not None


def test_listing_skips_hidden_and_temporary_files(either: Store) -> None:
    folder = either.layout.subtasks
    for name in (".a.json", ".orchestrator-b.json.0123.tmp", "b.json", "c.txt", "d.json"):
        either.write_bytes(folder / name, b"{}")
    assert either.list_json(folder) == [folder / "b.json", folder / "d.json"]
    either.remove(folder / "b.json")
    either.remove(folder / "never-there.json")
    assert either.list_json(folder) == [folder / "d.json"]


def test_an_unreadable_file_reads_as_text_with_replacements(either: Store) -> None:
    path = either.layout.worker("w1") / "worker.pid"
    assert either.read_text(path) is None
    either.write_bytes(path, b"12\xff\n")
    assert either.read_text(path) == "12\ufffd\n"


# --- the folder on disk: hostile files ------------------------------------------------------------------------------


def test_creating_files_in_a_folder_someone_deleted_recreates_it(store: FolderStore) -> None:
    shutil.rmtree(store.layout.masters)
    path = store.layout.task_handoff("security", "t1")
    assert store.create_json(path, {"a": 1}) is True
    store.write_json(store.layout.root / "new" / "deeper" / "x.json", {"b": 2})
    assert json.loads((store.layout.root / "new/deeper/x.json").read_text()) == {"b": 2}
    store.make_folders()
    store.make_folders()  # a restart on an existing folder


def test_a_symlink_among_the_subtask_files_is_not_read(store: FolderStore, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-secret.json"
    outside.write_text("{}")
    (store.layout.subtasks / "a.json").write_text("{}")
    (store.layout.subtasks / "b.json").symlink_to(outside)
    assert store.list_json(store.layout.subtasks) == [store.layout.subtasks / "a.json"]


def test_a_rewrite_keeps_the_files_permissions(store: FolderStore) -> None:
    path = store.layout.plan("orch-p")
    store.write_json(path, {"v": 1})
    assert path.stat().st_mode & 0o7777 == 0o644
    path.chmod(0o600)
    store.write_json(path, {"v": 2})
    assert path.stat().st_mode & 0o7777 == 0o600


def test_a_handoff_another_process_creates_first_is_not_overwritten(store: FolderStore,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = store.layout.task_handoff("development", "t1")
    other = store.layout.task_handoff("development", "t2")
    real = store._write_temps

    def another_process_gets_in_first(files: list[tuple[Path, bytes]], **how: Any) -> list[Path]:
        temps = real(files, **how)
        path.write_text('{"by": "the other daemon"}')  # between our temporary files and our link
        return temps

    monkeypatch.setattr(store, "_write_temps", another_process_gets_in_first)
    assert store.create_json_many([(path, {"by": "us"}), (other, {"by": "us"})]) == [False, True]
    assert json.loads(path.read_text()) == {"by": "the other daemon"}
    assert [p.name for p in path.parent.iterdir()] == ["t1.json", "t2.json"]  # no temporary file left


def test_creating_after_an_existing_file_goes_on_with_the_next(store: FolderStore) -> None:
    first, second = store.layout.subtask("s1"), store.layout.subtask("s2")
    first.write_text("{}")
    assert store.create_json_many([(first, {"a": 1}), (second, {"a": 2})]) == [False, True]
    assert json.loads(second.read_text()) == {"a": 2}


def test_a_failed_create_names_the_file(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    path = store.layout.subtask("s1")

    def full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(os, "link", full)
    with pytest.raises(StoreError) as caught:
        store.create_json(path, {"a": 1})
    assert str(caught.value) == f"{path}: cannot create: No space left on device"

    def unnamed(src: Any, dst: Any) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "link", unnamed)
    with pytest.raises(StoreError) as without_name:
        store.create_json(path, {"a": 1})
    assert str(without_name.value) == "file: cannot create: Input/output error"


def test_a_failed_queue_write_is_reported_and_leaves_the_queue(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.layout.queue.write_text('{"tasks": []}')

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError) as caught:
        store.update_queue(lambda snapshot: snapshot.tasks.append({"id": "a"}) is None)
    assert str(caught.value) == f"{store.layout.queue}: cannot write: No space left on device"
    assert store.layout.queue.read_text() == '{"tasks": []}'


def test_the_symlink_and_outside_refusals_say_why(store: FolderStore, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    store.write_json(store.layout.report("orch-0", ".json"), {})  # the folder was fine: remembered as checked
    store.layout.report("orch-0", ".json").unlink()
    store.layout.reports.rmdir()
    store.layout.reports.symlink_to(outside)  # and is then swapped for a way out
    with pytest.raises(UnsafeName, match=r"leads outside .* \(a symlink\?\); not written"):
        store.write_json(store.layout.report("orch-a", ".json"), {})
    link = store.layout.plan("orch-l")
    link.symlink_to(outside / "x.json")
    with pytest.raises(UnsafeName, match="is a symlink; not written through"):
        store.write_json(link, {})
    assert list(outside.iterdir()) == []


def test_a_fifo_or_a_folder_in_place_of_a_file_is_refused_at_once(store: FolderStore) -> None:
    os.mkfifo(store.layout.queue)
    os.mkfifo(store.layout.events)
    with pytest.raises(StoreError) as caught:
        store.read_queue()
    assert str(caught.value) == f"{store.layout.queue}: cannot read: not a regular file"
    assert store.end_torn_event_line() is False
    with pytest.raises(StoreError):
        store.append_events([Event(type="a")])
    assert store.read_text(store.layout.queue) is None
    folder = store.layout.plan("orch-d")
    folder.mkdir()
    with pytest.raises(StoreError) as is_folder:
        store.read_json(folder)
    assert str(is_folder.value) == f"{folder}: cannot read: not a regular file"


def test_events_are_never_appended_through_a_symlink(store: FolderStore, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-events.jsonl"
    outside.write_text("")
    store.layout.events.symlink_to(outside)
    with pytest.raises(StoreError):
        store.append_events([Event(type="a")])
    assert outside.read_text() == ""


def test_a_new_events_file_is_not_executable(store: FolderStore) -> None:
    old = os.umask(0o022)
    try:
        store.append_events([Event(type="a")])
    finally:
        os.umask(old)
    assert store.layout.events.stat().st_mode & 0o777 == 0o644


def test_a_file_over_the_size_limit_is_refused_and_one_at_the_limit_read_whole(store: FolderStore,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "MAX_READ_BYTES", (2 << 20) + 10)
    path = store.layout.plan("orch-big")
    body = b'{"x": "' + b"a" * ((2 << 20) + 10 - 10) + b'"}'
    assert len(body) == (2 << 20) + 9
    path.write_bytes(body + b" ")
    assert store.read_json(path) == {"x": "a" * ((2 << 20) + 10 - 10)}
    path.write_bytes(body + b"  ")
    with pytest.raises(StoreError) as caught:
        store.read_json(path)
    assert str(caught.value) == f"{path}: cannot read: larger than 2 MiB"


def test_the_tail_of_a_short_events_file_is_all_of_it(store: FolderStore) -> None:
    store.layout.events.write_bytes(b'{"a":1}\n{"b":2}\n')
    assert store.read_tail(store.layout.events, 1 << 20) == b'{"a":1}\n{"b":2}\n'
    assert store.read_tail(store.layout.events, 8) == b'{"b":2}\n'


def test_a_short_append_leaves_no_torn_line_behind(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk cuts our line short: the next append ends it first, so every later line parses."""
    real_write = os.write
    cut: list[int] = []

    def short(fd: int, data: Any) -> int:
        if cut:
            return real_write(fd, bytes(data)[:cut.pop()])
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", short)
    store.append_events([Event(type="first")])
    cut.append(5)
    with pytest.raises(StoreError) as caught:
        store.append_events([Event(type="second")])
    assert str(caught.value).startswith(f"{store.layout.events}: cannot append: short write (5 of ")
    store.append_events([Event(type="third")])
    lines = store.layout.events.read_text().splitlines()
    assert [json.loads(line)["type"] for line in (lines[0], lines[2])] == ["first", "third"]
    assert lines[1] == '{"tim'
    # nothing written at all: nothing to end
    cut.append(0)
    with pytest.raises(StoreError):
        store.append_events([Event(type="fourth")])
    store.append_events([Event(type="fifth")])
    assert [json.loads(line)["type"] for line in store.layout.events.read_text().splitlines()[2:]] == ["third", "fifth"]
    # one byte is a torn line too
    cut.append(1)
    with pytest.raises(StoreError):
        store.append_events([Event(type="sixth")])
    store.append_events([Event(type="seventh")])
    assert store.layout.events.read_text().splitlines()[-2:] == ["{", store.layout.events.read_text().splitlines()[-1]]
    assert json.loads(store.layout.events.read_text().splitlines()[-1])["type"] == "seventh"


def test_after_a_torn_append_and_a_rotation_the_new_file_starts_with_a_whole_line(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    cut = [4]

    def short(fd: int, data: Any) -> int:
        return real_write(fd, bytes(data)[:cut.pop()] if cut else data)

    monkeypatch.setattr(os, "write", short)
    with pytest.raises(StoreError):
        store.append_events([Event(type="cut")])
    store.layout.events.write_bytes(b"")  # logrotate's copytruncate
    store.append_events([Event(type="next")])
    assert json.loads(store.layout.events.read_text())["type"] == "next"


def test_a_torn_line_someone_else_ended_is_not_ended_twice(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    cut = [3]

    def short(fd: int, data: Any) -> int:
        return real_write(fd, bytes(data)[:cut.pop()] if cut else data)

    monkeypatch.setattr(os, "write", short)
    with pytest.raises(StoreError):
        store.append_events([Event(type="cut")])
    with open(store.layout.events, "ab") as handle:
        handle.write(b"\n")  # another writer ended it
    store.append_events([Event(type="next")])
    assert store.layout.events.read_bytes().count(b"\n\n") == 0


def test_stale_temporary_files_of_a_crash_are_swept_and_nothing_else(store: FolderStore) -> None:
    old = store.layout.subtasks / ".orchestrator-s1.json.0123456789ab.tmp"
    fresh = store.layout.tasks / ".orchestrator-o.json.ba9876543210.tmp"
    theirs = store.layout.subtasks / ".editor-s1.json.tmp"
    for path in (old, fresh, theirs):
        path.write_text("{}")
    hour_ago = time.time() - 3600
    for path in (old, theirs):
        os.utime(path, (hour_ago, hour_ago))
    assert store.sweep_temp_files() == [old]
    assert not old.exists() and fresh.exists() and theirs.exists()
    assert is_own_temp(fresh.name) and not is_own_temp(theirs.name) and not is_own_temp(".orchestrator-s1.json")
    shutil.rmtree(store.layout.tasks)  # a folder someone deleted: the sweep goes on with the next
    later = store.layout.requests / ".orchestrator-r.json.0123456789ab.tmp"
    later.write_text("{}")
    os.utime(later, (hour_ago, hour_ago))
    assert store.sweep_temp_files() == [later]
    assert not is_own_temp("s1.json.tmp")


def test_a_restarted_in_memory_process_finds_the_same_folder_files_and_configuration(tmp_path: Path) -> None:
    memory = MemoryStore(Layout(tmp_path), settings=QUICK)
    memory.write_bytes(memory.layout.queue, b'{"tasks": []}')
    clone = memory.copy()
    assert clone.layout.root == tmp_path and clone.read_retries() == 2
    assert clone.files == memory.files and clone.identity(memory.layout.queue) == memory.identity(memory.layout.queue)


def test_another_writers_same_size_rewrite_is_seen_in_memory_too() -> None:
    memory = MemoryStore()
    memory.put(memory.layout.queue, b'{"tasks": [1]}')
    before = memory.identity(memory.layout.queue)
    memory.put(memory.layout.queue, b'{"tasks": [2]}')
    assert memory.identity(memory.layout.queue) != before


def test_an_update_that_changes_nothing_does_not_rewrite_the_file(either: Store) -> None:
    path = either.layout.subtask("s1")
    either.write_json(path, {"status": "in_progress"})
    before = either.identity(path)
    assert either.update_json(path, lambda data: data.update(status="in_progress")) == {"status": "in_progress"}
    assert either.identity(path) == before  # no file event for the masters, no needless write
    either.update_json(path, lambda data: data.update(status="completed"))
    assert either.identity(path) != before and either.read_json(path) == {"status": "completed"}
    fresh = either.layout.subtask("s2")
    assert either.update_json(fresh, lambda data: None) == {}
    assert either.read_json(fresh) == {}  # a missing file starts empty, and exists afterwards
    assert either.update_json(either.layout.subtask("s3"), lambda data: None, create=False) == {}
    assert not either.exists(either.layout.subtask("s3"))


def test_our_event_starts_on_its_own_line_after_another_writers_torn_line(either: Store) -> None:
    either.write_bytes(either.layout.events, b'{"type":"theirs"}\n{"type":"torn"')
    either.append_events([Event(type="ours")])
    lines = either.read_tail(either.layout.events, 1 << 20).decode().splitlines()
    assert lines[:2] == ['{"type":"theirs"}', '{"type":"torn"'] and json.loads(lines[2])["type"] == "ours"


def test_temporary_files_are_written_where_nobody_watches(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A watched folder sees only the finished file arrive, never our temporary files."""
    sources: list[Path] = []
    real_replace, real_link = os.replace, os.link
    monkeypatch.setattr(os, "replace", lambda src, dst: (sources.append(Path(src)), real_replace(src, dst))[1])
    monkeypatch.setattr(os, "link", lambda src, dst: (sources.append(Path(src)), real_link(src, dst))[1])
    store.layout.temp.rmdir()
    store.write_json(store.layout.subtask("s1"), {"a": 1})  # no temp folder: beside the file, as before
    store.make_folders()
    store.write_json(store.layout.subtask("s2"), {"a": 1})
    store.create_json_many([(store.layout.subtask("s3"), {}), (store.layout.task_handoff("security", "t"), {})])
    assert [p.parent for p in sources] == [store.layout.subtasks] + [store.layout.temp] * 3
    assert list(store.layout.temp.iterdir()) == []


def test_the_claim_reuses_the_passes_read_only_while_the_bytes_are_the_same(either: Store,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the lock the queue is read again; its bytes unchanged, the document read a moment ago
    is used (no second parse of a big queue); changed by one byte, it is parsed afresh."""
    either.write_bytes(either.layout.queue, b'{"tasks": [{"id": "a"}]}')
    first = either.read_queue()
    assert first is not None
    parsed: list[bytes] = []
    real = either.queue_codec.decode
    monkeypatch.setattr(either.queue_codec, "decode", lambda raw, full: (parsed.append(raw), real(raw, full))[1])
    again = either.read_queue(first)
    assert again is not None and again.document is first.document and parsed == []
    either.write_bytes(either.layout.queue, b'{"tasks": [{"id": "b"}]}')
    fresh = either.read_queue(first)
    assert fresh is not None and fresh.tasks == [{"id": "b"}] and len(parsed) == 1
    written = either.update_queue(lambda s: s.tasks.append({"id": "c"}) is None, known=first)  # stale: re-read
    assert written is not None and [t["id"] for t in written.tasks] == ["b", "c"]


def test_a_temp_folder_removed_under_a_running_store_costs_nothing_but_the_quiet(store: FolderStore) -> None:
    """Someone deletes orchestrator/tmp: writes go on, their temp files beside the files again."""
    store.write_json(store.layout.subtask("s1"), {"a": 1})
    store.layout.temp.rmdir()
    store.write_json(store.layout.subtask("s1"), {"a": 2})
    assert store.create_json_many([(store.layout.subtask("s2"), {"b": 1})]) == [True]
    assert store.read_json(store.layout.subtask("s1")) == {"a": 2}
    assert sorted(p.name for p in store.layout.subtasks.iterdir()) == ["s1.json", "s2.json"]
    store.make_folders()  # the next start puts it back, and it is used again
    store.write_json(store.layout.subtask("s1"), {"a": 3})
    assert store.read_json(store.layout.subtask("s1")) == {"a": 3}


def _spares_made(store: FolderStore, count: int = store_module.SPARES) -> list[Path]:
    """After a pass, the store's thread makes its spare files; wait for them (never a timing assert)."""
    with store.working():
        pass
    deadline = time.monotonic() + 30
    while len(found := sorted(store.layout.temp.glob(f"{store_module.SPARE_PREFIX}*"))) < count:
        assert time.monotonic() < deadline, "no spare files made"
        time.sleep(0.01)
    return found


def test_writes_between_passes_take_spare_files_made_ahead(store: FolderStore) -> None:
    spares = _spares_made(store)
    with store.working():  # no spare is made while a pass runs
        store.write_json(store.layout.plan("orch-a"), {"a": 1})
        assert store.create_json(store.layout.subtask("s1"), {"s": 1})
        left = sorted(store.layout.temp.glob(f"{store_module.SPARE_PREFIX}*"))
    assert len(left) == len(spares) - 2 and set(left) < set(spares)
    assert store.read_json(store.layout.plan("orch-a")) == {"a": 1}
    assert store.read_json(store.layout.subtask("s1")) == {"s": 1}
    assert oct(store.layout.plan("orch-a").stat().st_mode & 0o777) == oct(store_module.DEFAULT_MODE)
    assert store.is_own(store.layout.plan("orch-a"))


def test_a_spare_file_someone_touched_is_never_written_through(store: FolderStore, tmp_path: Path) -> None:
    spares = _spares_made(store)
    victim, other = tmp_path / "victim", tmp_path / "other"
    victim.write_text("theirs")
    spares[0].unlink()
    os.link(victim, spares[0])  # a hard link in its place: another inode, someone's file
    os.link(spares[1], other)  # a second name for a spare: written, it would show there too
    spares[2].unlink()
    os.symlink(victim, spares[2])
    spares[3].write_text("x" * 100)  # not empty any more
    spares[4].unlink()
    spares[4].touch()  # someone's own empty file under that name, which they hold open
    theirs = os.open(spares[4], os.O_RDONLY)
    os.rename(spares[5], tmp_path / "moved")  # ours, under another name; theirs in its place
    spares[5].touch()
    theirs_too = os.open(spares[5], os.O_RDONLY)
    order = {path: n for n, path in enumerate(spares)}
    with store.working():
        store._spares = deque(sorted(store._spares, key=lambda s: order[Path(s[0])]))  # the touched ones first
        store.write_json(store.layout.plan("orch-a"), {"a": 1})
    assert victim.read_text() == "theirs" and other.read_text() == ""
    assert store.read_json(store.layout.plan("orch-a")) == {"a": 1}
    assert os.fstat(theirs).st_size == 0 and os.fstat(theirs_too).st_size == 0
    os.close(theirs)
    os.close(theirs_too)
    assert not spares[6].exists()  # the first spare as made was taken


def test_every_start_removes_the_spare_files(store: FolderStore) -> None:
    _spares_made(store)
    again = FolderStore(store.layout)
    assert again.sweep_temp_files() == []  # not reported as a crash's leftovers
    assert not list(store.layout.temp.glob(f"{store_module.SPARE_PREFIX}*"))


def test_a_clean_stop_removes_the_spare_files_and_makes_no_more(store: FolderStore) -> None:
    _spares_made(store)
    store.drop_spares()
    assert not list(store.layout.temp.glob(f"{store_module.SPARE_PREFIX}*"))
    with store.working():
        store.write_json(store.layout.plan("orch-a"), {"a": 1})
    time.sleep(0.05)  # the thread would have made one by now (cannot fail falsely: it only could miss a bug)
    assert not list(store.layout.temp.glob(f"{store_module.SPARE_PREFIX}*"))


# --- files a pass replaced, let go of between passes (FolderStore._retire) ----------------------------------


def _held(store: FolderStore) -> set[int]:
    """The inodes of the replaced files the store holds for its spares thread to let go of."""
    return {os.fstat(fd).st_ino for fd, _ in store._retired}


def _let_go(store: FolderStore) -> None:
    deadline = time.monotonic() + 30
    while store._retired:
        assert time.monotonic() < deadline, "the replaced files were never let go of"
        time.sleep(0.01)


def _replace_each_way(store: FolderStore) -> None:
    """A rename over an existing file by each of the store's three ways: one file, several, the queue."""
    store.write_json(store.layout.plan("orch-a"), {"a": 2})
    store.write_json_many([(store.layout.subtask("s1"), {"s": 2}), (store.layout.subtask("s2"), {"s": 2})])
    store.update_queue(lambda s: s.tasks.append({"id": "b"}) is None)


def test_a_file_a_pass_replaces_is_freed_between_passes_not_by_the_passs_rename(store: FolderStore) -> None:
    """On ext4 a rename over a file frees the replaced file before it returns (0.3-4 ms); a pass holds each
    one (O_PATH) so that its renames return at once, and the spares thread lets go of them after the pass.
    Nothing else changes: each file is replaced at once, and every replaced file is let go of."""
    store.write_json(store.layout.plan("orch-a"), {"a": 1})
    store.write_json_many([(store.layout.subtask("s1"), {"s": 1}), (store.layout.subtask("s2"), {"s": 1})])
    store.write_bytes(store.layout.queue, b'{"tasks": [{"id": "a"}]}')
    paths = [store.layout.plan("orch-a"), store.layout.subtask("s1"), store.layout.subtask("s2"), store.layout.queue]
    before = {p.stat().st_ino for p in paths}
    assert not store._retired  # outside a pass: a rename frees the replaced file itself, as before
    with store.working():
        _replace_each_way(store)
        assert _held(store) == before  # every replaced file, by each of the three ways, held
        assert store.read_json(store.layout.plan("orch-a")) == {"a": 2}  # replaced all the same
        assert [t["id"] for t in store.read_json(store.layout.queue)["tasks"]] == ["a", "b"]
        assert all(os.fstat(fd).st_nlink == 0 for fd, _ in store._retired)  # no name leads to them any more
    _let_go(store)
    left = {os.readlink(f"/proc/self/fd/{fd}") for fd in map(int, os.listdir("/proc/self/fd"))
            if os.path.exists(f"/proc/self/fd/{fd}")}
    assert not any(str(store.layout.root) in name and "(deleted)" in name for name in left)


def test_a_pass_that_replaces_many_files_holds_only_a_few(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "RETIRED", 2)
    store.write_json(store.layout.plan("orch-a"), {"a": 0})
    with store.working():
        for n in range(1, 6):
            store.write_json(store.layout.plan("orch-a"), {"a": n})
        assert len(store._retired) == 2  # the pass let go of the oldest itself
    _let_go(store)
    assert store.read_json(store.layout.plan("orch-a")) == {"a": 5}


def test_a_clean_stop_lets_go_of_the_replaced_files(store: FolderStore) -> None:
    store.write_json(store.layout.plan("orch-a"), {"a": 1})
    store.drop_spares()  # stopped: the thread would make no spare; what a pass holds is let go of at the stop
    with store.working():
        store.write_json(store.layout.plan("orch-a"), {"a": 2})
        assert len(store._retired) == 1
        held, _ = store._retired[0]
    _let_go(store)  # stopped, the thread still lets go of what the last pass held
    with pytest.raises(OSError):
        os.fstat(held)


# --- files announced ahead (Store.ahead) ------------------------------------------------------------


def _fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths fsynced from now on (files and folders), by name."""
    synced: list[str] = []
    real = os.fsync

    def noting(fd: int) -> None:
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", noting)
    return synced


def test_files_announced_ahead_are_fsynced_with_the_next_write_and_appear_only_at_their_own(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A complex pickup's plan, subtask files and handoff each waited for their own temp files' fsync:
    announced ahead, those of the later ones ride with the plan's, and only renames and folder fsyncs are
    left for them. Nothing appears before its own write, so the order on disk stays the callers'."""
    layout = store.layout
    plan, subtask, handoff = layout.plan("orch-t"), layout.subtask("orch-t-s01"), layout.subtask_handoff(
        "development", "orch-t-s01", 1)
    with store.working():
        store.ahead([(subtask, {"subtask_id": "orch-t-s01"}), (handoff, {"to": "development"}),
                     (layout.subtask("orch-t-s02"), {"never": "written"})])
        synced = _fsyncs(monkeypatch)
        store.write_json(plan, {"orchestration_id": "orch-t"})
        temps = [name for name in synced if name.endswith(".tmp") or name.startswith(".orchestrator-")]
        assert len(temps) == 4  # the plan's and the three announced, in one wave
        assert not subtask.exists() and not handoff.exists()  # announced, not written
        synced.clear()
        assert store.create_json_many([(subtask, {"subtask_id": "orch-t-s01"})]) == [True]
        assert synced == ["subtasks"]  # its temp file was durable already: only its folder is left
        synced.clear()
        assert store.create_json(handoff, {"to": "development", "changed": True})  # other bytes than announced
        assert len(synced) == 2 and synced[-1] == "handoffs"  # written as any file: its own temp, its folder
        assert json.loads(handoff.read_text()) == {"to": "development", "changed": True}
    leftovers = [p.name for p in layout.temp.iterdir() if not p.name.startswith(".orchestrator-spare-")]
    assert leftovers == []  # the announced file never written, and the one written otherwise, leave nothing
    assert not layout.subtask("orch-t-s02").exists()


def test_an_announced_file_that_cannot_be_written_does_not_fail_the_write_it_rides_with(
        store: FolderStore) -> None:
    layout = store.layout
    blocked = layout.root / "masters" / "development"
    shutil.rmtree(blocked, ignore_errors=True)
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the master's folder should be")
    handoff = layout.subtask_handoff("development", "orch-t-s01", 1)
    with store.working():
        store.ahead([(handoff, {"to": "development"})])
        store.write_json(layout.plan("orch-t"), {"orchestration_id": "orch-t"})  # not failed by the handoff
        assert json.loads(layout.plan("orch-t").read_text()) == {"orchestration_id": "orch-t"}
        with pytest.raises(StoreError):  # the handoff's own write says what is wrong
            store.create_json(handoff, {"to": "development"})


def _set(key: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        data[key] = value

    return change


def test_changes_announced_ahead_ride_with_the_next_write_and_are_taken_only_for_the_same_bytes(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage advance rewrites subtask files under their locks: announced ahead (``ahead_changes``), their
    temp files ride with the plan's fsync, and each is taken only if the change, made again under the lock,
    gives the same bytes: a worker's write in between is kept (its file costs its own fsync), never lost."""
    layout = store.layout
    quiet, busy = layout.subtask("orch-t-s01"), layout.subtask("orch-t-s02")
    for path in (quiet, busy):
        store.write_json(path, {"status": "pending"})
    with store.working():
        store.ahead_changes([(quiet, _set("status", "assigned")), (busy, _set("status", "assigned"))])
        synced = _fsyncs(monkeypatch)
        store.write_json(layout.plan("orch-t"), {"orchestration_id": "orch-t"})
        assert len(synced) == 4  # the plan's temp file and the two announced, in one wave; the plan's folder
        assert json.loads(busy.read_text()) == {"status": "pending"}  # announced, not written
        busy.write_text(json.dumps({"status": "pending", "progress": "a worker wrote since"}))
        synced.clear()
        results = store.update_json_many([(quiet, _set("status", "assigned")), (busy, _set("status", "assigned"))])
        assert results == [{"status": "assigned"}, {"status": "assigned", "progress": "a worker wrote since"}]
        assert len(synced) == 2 and synced[-1] == "subtasks"  # the busy one's own temp file, then the folder once
        assert json.loads(busy.read_text()) == {"status": "assigned", "progress": "a worker wrote since"}
        assert json.loads(quiet.read_text()) == {"status": "assigned"}
    assert [p.name for p in layout.temp.iterdir() if p.stat().st_size] == []


def test_several_updates_are_one_step_and_a_file_that_cannot_be_is_left_to_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``update_json_many``: the files whose lock is free are written together (one wave of fsyncs, the
    folder once); one whose lock a worker holds waits for it after them, as ``update_json`` does; one that
    is not an object is its own error, and holds up nothing else."""
    import fcntl
    import threading

    store = FolderStore(Layout(tmp_path), Settings(Config.model_validate({"watch": {"lock_timeout_seconds": 5}})))
    store.make_folders()
    free, broken, held, missing = (store.layout.subtask(f"orch-t-s0{n}") for n in range(1, 5))
    for path in (free, held):
        store.write_json(path, {"n": 1})
    broken.write_text("[1, 2]")
    fd = os.open(f"{held}.lock", os.O_RDONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a worker's, as flock(1) or filelock take it
    order: list[str] = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (order.append(Path(dst).name), real_replace(src, dst))[1])
    release = threading.Timer(0.3, os.close, [fd])
    release.start()
    synced = _fsyncs(monkeypatch)
    results = store.update_json_many([(path, _set("n", 2)) for path in (held, broken, free, missing)], create=False)
    release.join()
    assert results[0] == {"n": 2} and results[2] == {"n": 2} and results[3] == {}
    assert isinstance(results[1], StoreError) and "expected an object" in str(results[1])
    assert order == [free.name, held.name]  # the free one did not wait for the held one
    assert synced[:2] == [synced[0], "subtasks"] and synced[0] != "subtasks"  # the free one: its temp, its folder
    assert json.loads(held.read_text()) == {"n": 2} and broken.read_text() == "[1, 2]"
    assert not missing.exists() and not Path(f"{missing}.lock").exists()  # left missing, no lock file made for it


def test_several_updates_under_a_lock_held_past_the_timeout_report_that_file_alone(tmp_path: Path) -> None:
    import fcntl

    store = FolderStore(Layout(tmp_path), Settings(Config.model_validate({"watch": {"lock_timeout_seconds": 0.1}})))
    store.make_folders()
    free, held = store.layout.subtask("orch-t-s01"), store.layout.subtask("orch-t-s02")
    for path in (free, held):
        store.write_json(path, {"n": 1})
    fd = os.open(f"{held}.lock", os.O_RDONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        results = store.update_json_many([(held, _set("n", 2)), (free, _set("n", 2))])
    finally:
        os.close(fd)
    assert isinstance(results[0], LockTimeout) and results[1] == {"n": 2}
    assert json.loads(held.read_text()) == {"n": 1} and json.loads(free.read_text()) == {"n": 2}


def _claim(snapshot: Snapshot) -> bool:
    snapshot.document["tasks"].append({"id": f"t{len(snapshot.document['tasks'])}", "status": "orchestrating"})
    return True


def test_a_claim_that_settles_later_has_its_folder_fsynced_with_the_next_wave_and_before_anything_appears(
        store: FolderStore, syscalls: list[tuple[str, str]]) -> None:
    """``update_queue(settle_later=True)`` (a claim whose plans follow at once): the queue's folder is fsynced in
    the fsync wave of the plan's temp file, so the plan still appears only once the claim is durable; a write
    with no wave of its own (an append, a rename of a file written ahead) fsyncs it first; so does the end of
    the pass. Without it, the folder is fsynced at once, as every other write does."""
    root, queue, plan = str(store.layout.root), str(store.layout.queue), store.layout.plan("orch-t0")
    with store.working():
        store.update_queue(_claim, create=True)
        assert syscalls[-2:] == [("replace", queue), ("fsync", root)]
        syscalls.clear()
        store.update_queue(_claim, settle_later=True)
        assert syscalls[-1] == ("replace", queue)  # its folder owed
        syscalls.clear()
        store.write_json(plan, {"orchestration_id": "orch-t0"})
        wave = syscalls[:2]
        assert ("fsync", root) in wave and syscalls[2:] == [("replace", str(plan)), ("fsync", str(plan.parent))]
        syscalls.clear()
        store.update_queue(_claim, settle_later=True)
        store.append_events([Event(type="task_assigned", source="orchestrator", timestamp="2025-11-05T18:00:00Z")])
        assert syscalls[-1] == ("fsync", root)  # before the append (which the fixture does not log)
        syscalls.clear()
        store.update_queue(_claim, settle_later=True)
        assert ("fsync", root) not in syscalls
    assert syscalls[-1] == ("fsync", root)  # the end of the pass


def test_a_failed_fsync_of_a_claims_folder_fails_the_plan_that_carried_it(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim's folder, fsynced in the plan's wave, failed: the claim may not be durable, so the plan is not
    renamed (it would appear before the claim it depends on); it is written again on a later pass."""
    import errno

    root, plan = os.path.realpath(store.layout.root), store.layout.plan("orch-t0")
    with store.working():
        store.update_queue(_claim, create=True)
        store.update_queue(_claim, settle_later=True)
        real = os.fsync

        def failing(fd: int) -> None:
            if os.readlink(f"/proc/self/fd/{fd}") == root:
                raise OSError(errno.EIO, "Input/output error")
            real(fd)

        monkeypatch.setattr(os, "fsync", failing)
        with pytest.raises(StoreError, match="Input/output"):
            store.write_json(plan, {"orchestration_id": "orch-t0"})
        assert not plan.exists()
        monkeypatch.setattr(os, "fsync", real)
        store.write_json(plan, {"orchestration_id": "orch-t0"})  # owed no more: a second fsync says nothing
    assert json.loads(plan.read_text()) == {"orchestration_id": "orch-t0"}


def test_files_created_beside_renames_that_settle_later_share_their_folders_fsync(
        store: FolderStore, syscalls: list[tuple[str, str]]) -> None:
    """``Store.later`` around a rewrite (a handoff withdrawn): new files created next in the same folder (the next
    stage's handoffs, their temp files written ahead) are linked, then the folder fsynced once for all; a file
    created in another folder (which may depend on the rewrite) waits for the rewrite's folder fsync."""
    handoffs = store.layout.handoffs("development")
    withdrawn = store.layout.subtask_handoff("development", "orch-t-s01", 1)
    new, other = store.layout.subtask_handoff("development", "orch-t-s02", 1), store.layout.subtask("orch-t-s02")
    store.write_json(withdrawn, {"status": "pending"})

    def moves() -> list[tuple[str, str]]:
        return [(name, Path(path).name) for name, path in syscalls
                if name != "fsync" or not Path(path).name.startswith(".orchestrator-")]

    for created, expected in [(new, [("replace", withdrawn.name), ("link", new.name), ("fsync", handoffs.name)]),
                              (other, [("replace", withdrawn.name), ("fsync", handoffs.name), ("link", other.name),
                                       ("fsync", other.parent.name)])]:
        with store.working():
            store.ahead([(created, {"status": "pending"})])
            store.write_json(store.layout.plan("orch-t"), {"orchestration_id": "orch-t"})  # its wave: written ahead
            syscalls.clear()
            with store.later():
                store.update_json_many([(withdrawn, _set("n", len(expected)))])
            assert store.create_json_many([(created, {"status": "pending"})]) == [True]
            assert moves() == expected


# --- the stat calls a write takes (perf15): each check still made where it guards something -------------------------

def _lstats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths ``os.lstat`` is asked about, relative to nothing (their last two components)."""
    seen: list[str] = []
    real = os.lstat

    def noting(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        seen.append("/".join(Path(path).parts[-2:]))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", noting)
    return seen


def test_the_temp_folder_is_looked_at_once_per_batch_of_writes_and_again_at_the_next(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The temp folder's key (is it still the folder inside the root?) was taken again for every folder of a
    batch: once per batch now, by its first folder, and once more when its temp files are made (attack21: the
    later folders' went through a temp folder replaced meanwhile). A temp folder replaced by a symlink between
    two batches is still seen by the next one: its temp files go beside their files, never through the symlink."""
    layout = store.layout
    for path in (layout.subtask("s0"), layout.task_handoff("security", "t0"), layout.plan("orch-t0")):
        store.write_json(path, {})  # each folder checked once: then only the temp folder's look is left
    seen = _lstats(monkeypatch)
    store.create_json_many([(layout.subtask("s1"), {}), (layout.task_handoff("security", "t1"), {}),
                            (layout.plan("orch-t1"), {})])
    assert seen.count("orchestrator/tmp") == 2  # three folders: the first's look, and one after the temp files
    outside = layout.root.parent / "elsewhere"
    outside.mkdir()
    shutil.rmtree(layout.temp)
    layout.temp.symlink_to(outside)  # between two batches
    sources: list[Path] = []
    real_link = os.link
    monkeypatch.setattr(os, "link", lambda src, dst: (sources.append(Path(src)), real_link(src, dst))[1])
    store.create_json_many([(layout.subtask("s2"), {}), (layout.task_handoff("security", "t2"), {})])
    # the next batch looked again: its temp files went beside their files, none through the symlink
    assert [p.parent for p in sources] == [layout.subtasks, layout.handoffs("security")]
    assert list(outside.iterdir()) == []
    assert json.loads(layout.subtask("s2").read_text()) == {}


def test_a_create_links_into_place_and_never_writes_through_what_appears_there_meanwhile(
        store: FolderStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A create no longer takes the file's ``lstat`` twice (once to find it absent, once for its mode): the
    link that puts it in place fails on anything there, a symlink made in between too."""
    path, other = store.layout.task_handoff("development", "t1"), store.layout.task_handoff("development", "t2")
    victim = tmp_path / "victim.json"
    victim.write_text("theirs")
    real = store._write_temps

    def a_symlink_appears(files: list[tuple[Path, bytes]], **how: Any) -> list[Path]:
        temps = real(files, **how)
        path.symlink_to(victim)  # between our check and our link
        return temps

    monkeypatch.setattr(store, "_write_temps", a_symlink_appears)
    with pytest.raises(StoreError, match="not a regular file"):
        store.create_json_many([(path, {"by": "us"}), (other, {"by": "us"})])
    assert victim.read_text() == "theirs" and path.is_symlink()
    monkeypatch.undo()
    assert store.create_json_many([(other, {"by": "us"})]) == [True]
    assert os.stat(other).st_mode & 0o777 == 0o644  # a new file's mode, as before


def test_a_file_created_from_its_temp_file_written_ahead_is_known_as_ours(store: FolderStore) -> None:
    """Its identity is the one the check of its temp file just found (no second ``stat``): the file in
    place passes for ours, and one another writer put there after does not."""
    layout = store.layout
    subtask = layout.subtask("orch-t-s01")
    with store.working():
        store.ahead([(subtask, {"subtask_id": "orch-t-s01"})])
        store.write_json(layout.plan("orch-t"), {})  # the announced temp file rides with the plan's fsync
        assert store.create_json_many([(subtask, {"subtask_id": "orch-t-s01"})]) == [True]
    assert store.is_own(subtask)
    time.sleep(0.01)
    subtask.write_text('{"by": "a worker"}')
    assert not store.is_own(subtask)
