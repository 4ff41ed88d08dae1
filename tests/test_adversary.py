"""Attacks on the newest pieces of the daemon: the write path's temp folder and folder checks,
bursts, routing history, the web view and the operator CLI. Each test is a case the pieces'
authors did not write; those that found a defect keep it fixed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.filecache import CachedFile
from orchestrator.store import FolderStore, Layout, StoreError, UnsafeName, is_own_temp


@pytest.fixture
def store(tmp_path: Path) -> FolderStore:
    folder = FolderStore(Layout(tmp_path / "coordination"))
    folder.make_folders()
    return folder


def spy_temps(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every temporary file the store writes, wherever it writes it."""
    made: list[Path] = []
    original = store._write_temps

    def recording(files: list[tuple[Path, bytes]], *, durable: bool = True) -> list[Path]:
        temps = original(files, durable=durable)
        made.extend(temps)
        return temps

    monkeypatch.setattr(store, "_write_temps", recording)
    return made


# --- 1. the write path ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_a_file_or_fifo_in_place_of_the_temp_folder_neither_stops_the_daemon_nor_is_removed(
        tmp_path: Path, kind: str) -> None:
    layout = Layout(tmp_path / "coordination")
    layout.orchestrator.mkdir(parents=True)
    if kind == "file":
        layout.temp.write_bytes(b"someone's notes\n")
    else:
        os.mkfifo(layout.temp)
    store = FolderStore(layout)
    store.make_folders()  # the daemon's start: must not fail on someone's file
    store.write_json(layout.plan("orch-a"), {"a": 1})
    assert store.create_json_many([(layout.subtask("s1"), {"s": 1}), (layout.subtask("s2"), {"s": 2})]) == [True, True]
    store.write_json_many([(layout.subtask("s1"), {"s": 3}), (layout.subtask("s2"), {"s": 4})])
    assert store.read_json(layout.subtask("s2")) == {"s": 4}
    assert store.read_json(layout.plan("orch-a")) == {"a": 1}
    if kind == "file":
        assert layout.temp.read_bytes() == b"someone's notes\n"
    assert not [p for p in layout.root.rglob("*") if is_own_temp(p.name)]


def test_a_temp_folder_replaced_by_a_file_after_the_first_write_does_not_fail_later_writes(store: FolderStore) -> None:
    layout = store.layout
    store.write_json(layout.plan("orch-a"), {"a": 1})  # decides: temp files go to orchestrator/tmp
    layout.temp.rmdir()
    layout.temp.write_bytes(b"x")
    store.write_json(layout.plan("orch-a"), {"a": 2})
    store.write_json_many([(layout.plan("orch-a"), {"a": 3}), (layout.plan("orch-b"), {"b": 3})])
    assert store.create_json(layout.subtask("s1"), {"s": 1})
    assert store.read_json(layout.plan("orch-a")) == {"a": 3}


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_temp_folder_made_a_symlink_to_elsewhere_never_gets_the_daemons_files(
        store: FolderStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    layout = store.layout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if when == "after":
        store.write_json(layout.plan("orch-a"), {"a": 0})  # the temp folder decision is cached
    made = spy_temps(store, monkeypatch)
    layout.temp.rmdir()
    layout.temp.symlink_to(elsewhere)
    store.write_json(layout.plan("orch-a"), {"a": 1})
    store.write_json_many([(layout.plan("orch-a"), {"a": 2}), (layout.plan("orch-b"), {"b": 2})])
    store.create_json(layout.subtask("s1"), {"s": 1})
    assert made and all(p.parent.resolve().is_relative_to(layout.root.resolve()) and
                        p.parent != layout.temp for p in made)
    assert store.read_json(layout.plan("orch-a")) == {"a": 2}


@pytest.mark.parametrize("swapped", ["subtasks", "orchestrator"])
def test_a_target_folder_moved_out_and_replaced_by_a_symlink_after_the_first_write_is_refused(
        store: FolderStore, tmp_path: Path, swapped: str) -> None:
    """The folder check is cached by (device, inode): a folder moved outside the root and
    symlinked back keeps its inode, which a plain stat follows."""
    layout = store.layout
    store.write_json(layout.subtask("s1"), {"s": 1})
    inside = layout.root / swapped if swapped == "orchestrator" else layout.subtasks
    outside = tmp_path / f"outside-{swapped}"
    os.rename(inside, outside)
    inside.symlink_to(outside)
    with pytest.raises(UnsafeName):
        store.write_json(layout.subtask("s1"), {"s": 2})
    with pytest.raises(StoreError):
        store.create_json(layout.subtask("s2"), {"s": 2})
    with pytest.raises(StoreError):
        store.write_json_many([(layout.subtask("s1"), {"s": 3}), (layout.subtask("s3"), {"s": 3})])
    assert not list(outside.rglob("s2.json")) and not list(outside.rglob("s3.json"))
    assert "2" not in next(outside.rglob("s1.json")).read_text()


def test_an_in_place_same_size_rewrite_in_the_same_mtime_tick_is_delayed_to_the_monitor_tick_not_lost(
        store: FolderStore) -> None:
    """The watcher drops it (it looks like the daemon's own write), but the monitor's file cache
    does not trust an identity until it is settled, so it reads the new bytes at its next look."""
    path = store.layout.subtask("s1")
    cache = CachedFile(path)
    store.write_json(path, {"status": "in_progress"})
    assert cache.read(store)[1]  # the daemon's own write, looked at once
    st = os.stat(path)
    with open(path, "r+b") as f:  # a worker rewrites it in place: same size ...
        f.write(store.read_bytes(path).replace(b"in_progress", b"completed!!"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # ... within the same tick of the clock
    assert store.is_own(path)  # its file event is dropped as ours
    data, changed = cache.read(store)
    assert changed and data is not None and b"completed!!" in data


def test_hidden_files_in_target_folders_are_never_scanned(store: FolderStore) -> None:
    layout = store.layout
    layout.worker_specs.mkdir(parents=True, exist_ok=True)
    (layout.worker_specs / ".w1.json").write_text("{}")
    (layout.worker_specs / "w2.json").write_text("{}")
    assert [p.name for p in store.list_json(layout.worker_specs)] == ["w2.json"]
