"""attack15: an adversary on the day's write-path changes (Store.ahead's temp files, the bare flock)."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from orchestrator import store as store_module
from orchestrator.flock import FileLock
from orchestrator.store import FolderStore, Layout, StoreError


@pytest.fixture
def store(tmp_path: Path) -> FolderStore:
    root = tmp_path / "coordination"
    root.mkdir()
    folder = FolderStore(Layout(root))
    folder.make_folders()
    return folder


def _leftovers(store: FolderStore) -> list[str]:
    """Temp files (not spares) anywhere the store writes: what a pass must not leave behind."""
    found = []
    for folder in [store.layout.root, *store.layout.folders()]:
        if folder.is_dir() and not folder.is_symlink():
            found += [p.name for p in folder.iterdir()
                      if p.name.startswith(".orchestrator-") and not p.name.startswith(store_module.SPARE_PREFIX)]
    return found


def _swap_for_symlink(folder: Path, target: Path) -> None:
    """``folder`` moved away and a symlink to ``target`` put in its place."""
    folder.rename(folder.with_name(folder.name + "-moved"))
    folder.symlink_to(target, target_is_directory=True)


# --- a handoff announced ahead, its folder swapped for a symlink before its own write -------------------


def test_an_announced_handoff_is_not_linked_through_a_folder_swapped_for_a_symlink(
        store: FolderStore, tmp_path: Path) -> None:
    """Its temp file was written ahead, with the plan's; its own write took it as it was and linked it
    into place without the folder check every other write makes: the handoff landed outside the root."""
    outside = tmp_path / "outside"
    outside.mkdir()
    handoff = store.layout.subtask_handoff("development", "orch-t-s01", 1)
    with store.working():
        store.ahead([(handoff, {"to": "development"})])
        store.write_json(store.layout.plan("orch-t"), {"orchestration_id": "orch-t"})
        _swap_for_symlink(handoff.parent, outside)
        with pytest.raises(StoreError, match="leads outside"):
            store.create_json(handoff, {"to": "development"})
    assert list(outside.iterdir()) == []
    assert _leftovers(store) == []


def test_an_unannounced_handoff_is_refused_the_same_way(store: FolderStore, tmp_path: Path) -> None:
    """The near case, as it always was: without ahead() the folder check refuses the symlink."""
    outside = tmp_path / "outside"
    outside.mkdir()
    handoff = store.layout.subtask_handoff("development", "orch-t-s01", 1)
    with store.working():
        store.write_json(store.layout.plan("orch-t"), {"orchestration_id": "orch-t"})
        _swap_for_symlink(handoff.parent, outside)
        with pytest.raises(StoreError, match="leads outside"):
            store.create_json(handoff, {"to": "development"})
    assert list(outside.iterdir()) == []


def test_an_announced_file_whose_name_became_a_symlink_is_refused_at_its_write(store: FolderStore) -> None:
    """The subtask file's name made a symlink after its temp was written ahead: replacing it is refused,
    as for a file nobody announced (the ready temp file was renamed over the symlink)."""
    path = store.layout.subtask("orch-t-s01")
    path.write_text("{}")
    with store.working():
        store.ahead([(path, {"a": 1})])
        store.write_json(store.layout.plan("orch-t"), {"orchestration_id": "orch-t"})
        path.unlink()
        path.symlink_to(store.layout.root / "task-queue.json")
        with pytest.raises(StoreError, match="symlink"):
            store.write_json(path, {"a": 1})
    assert path.is_symlink()
    assert _leftovers(store) == []


# --- an announced file whose folder or name cannot be written ahead fails nothing ----------------------


def test_a_folder_leading_outside_fails_neither_the_write_it_rides_with_nor_leaks(
        store: FolderStore, tmp_path: Path) -> None:
    """_open_ahead let an UnsafeName (a StoreError, not an OSError) through: the plan's own write failed for
    a handoff's folder, and the temp files already written ahead for the others were left open and on disk."""
    outside = tmp_path / "outside"
    outside.mkdir()
    subtask = store.layout.subtask("orch-t-s01")
    handoff = store.layout.subtask_handoff("development", "orch-t-s01", 1)
    _swap_for_symlink(handoff.parent, outside)
    plan = store.layout.plan("orch-t")
    with store.working():
        store.ahead([(subtask, {"subtask_id": "orch-t-s01"}), (handoff, {"to": "development"})])
        store.write_json(plan, {"orchestration_id": "orch-t"})  # not failed by the handoff's folder
        assert json.loads(plan.read_text()) == {"orchestration_id": "orch-t"}
        assert store.create_json(subtask, {"subtask_id": "orch-t-s01"})
        with pytest.raises(StoreError, match="leads outside"):
            store.create_json(handoff, {"to": "development"})
    assert _leftovers(store) == [] and list(outside.iterdir()) == []


def test_a_symlink_at_an_announced_name_fails_nothing_else(store: FolderStore) -> None:
    subtask = store.layout.subtask("orch-t-s02")
    subtask.symlink_to(store.layout.root / "task-queue.json")
    plan = store.layout.plan("orch-t")
    with store.working():
        store.ahead([(store.layout.subtask("orch-t-s01"), {"a": 1}), (subtask, {"b": 2})])
        store.write_json(plan, {"orchestration_id": "orch-t"})
        assert plan.exists()
    assert _leftovers(store) == []


# --- the temp folder removed or replaced between the wave and the announced file's write ---------------


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_an_announced_file_is_written_when_the_temp_folder_went_away_after_its_wave(
        store: FolderStore, how: str) -> None:
    """The ready temp file went with its folder: the subtask file's write linked a name that was gone, and
    failed (the pass wrote its effects again later) where any other write falls back beside the file."""
    subtask = store.layout.subtask("orch-t-s01")
    with store.working():
        store.ahead([(subtask, {"subtask_id": "orch-t-s01"})])
        store.write_json(store.layout.plan("orch-t"), {"orchestration_id": "orch-t"})
        shutil.rmtree(store.layout.temp)
        if how == "replaced":
            store.layout.temp.mkdir()
        assert store.create_json(subtask, {"subtask_id": "orch-t-s01"})
    assert json.loads(subtask.read_text()) == {"subtask_id": "orch-t-s01"}
    assert _leftovers(store) == []


def test_a_ready_temp_file_changed_in_place_is_not_taken(store: FolderStore) -> None:
    """Someone (a sweep, a person) rewrote the temp file: its bytes are no longer the announced ones."""
    subtask = store.layout.subtask("orch-t-s01")
    with store.working():
        store.ahead([(subtask, {"subtask_id": "orch-t-s01"})])
        store.write_json(store.layout.plan("orch-t"), {"orchestration_id": "orch-t"})
        temp = next(iter(store._ready.values())).temp
        temp.write_bytes(b"garbage")
        assert store.create_json(subtask, {"subtask_id": "orch-t-s01"})
    assert json.loads(subtask.read_text()) == {"subtask_id": "orch-t-s01"}


def test_a_ready_temp_file_takes_the_mode_the_file_has_at_its_own_write(store: FolderStore) -> None:
    """Someone chmods the subtask file between the wave and its rewrite: the file keeps the new mode, as a
    write without ahead() gives it (the temp file written ahead has the mode of then)."""
    subtask = store.layout.subtask("orch-t-s01")
    subtask.write_text("{}")
    subtask.chmod(0o600)
    with store.working():
        store.ahead([(subtask, {"a": 1})])
        store.write_json(store.layout.plan("orch-t"), {"orchestration_id": "orch-t"})
        subtask.chmod(0o640)
        store.write_json(subtask, {"a": 1})
    assert subtask.stat().st_mode & 0o7777 == 0o640 and json.loads(subtask.read_text()) == {"a": 1}
    assert _leftovers(store) == []


# --- the same path announced twice in one pass ------------------------------------------------------


@pytest.mark.parametrize("second", [{"v": 2}, {"v": 1}])
def test_a_path_announced_again_after_its_wave_leaves_no_temp_file(store: FolderStore, second: dict[str, int]) -> None:
    """A plan flushed twice in one pass (its effects failed, or a second flush of the same plan): the second
    announcement wrote a second temp file and forgot the first, which no end of pass removed."""
    subtask = store.layout.subtask("orch-t-s01")
    with store.working():
        store.ahead([(subtask, {"v": 1})])
        store.write_json(store.layout.plan("orch-t"), {"n": 1})
        first = store._ready[subtask].temp
        store.ahead([(subtask, second)])
        store.write_json(store.layout.plan("orch-t"), {"n": 2})
        assert (store._ready[subtask].temp == first) == (second == {"v": 1})  # the same bytes: not written twice
        assert store.create_json(subtask, second)
    assert json.loads(subtask.read_text()) == second
    assert _leftovers(store) == []


# --- an fsync error in the wave ----------------------------------------------------------------------


def _failing_fsync(monkeypatch: pytest.MonkeyPatch, marker: bytes) -> list[int]:
    """fsync fails once, with EIO, for the file whose bytes hold ``marker``; later fsyncs of it succeed,
    as Linux's do after reporting a writeback error once (the pages are lost, the error is cleared)."""
    failed: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        if not failed:
            try:  # the temp file is open write-only: read it by its name
                data = Path(os.readlink(f"/proc/self/fd/{fd}")).read_bytes()
            except OSError:
                data = b""
            if marker in data:
                failed.append(fd)
                raise OSError(errno.EIO, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return failed


def test_an_fsync_error_of_the_writes_own_file_fails_it_even_with_files_announced(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wave's fsync failed for the plan's own temp file: the announced ones were dropped and the plan's
    fsynced again, and a second fsync after a writeback error says nothing (Linux cleared it): the plan
    was reported durable when its bytes may be lost."""
    plan = store.layout.plan("orch-t")
    with store.working():
        store.ahead([(store.layout.subtask("orch-t-s01"), {"subtask_id": "orch-t-s01"})])
        failed = _failing_fsync(monkeypatch, b"the-plan")
        with pytest.raises(StoreError, match="Input/output"):
            store.write_json(plan, {"orchestration_id": "the-plan"})
        assert failed
    assert not plan.exists()
    assert _leftovers(store) == []


def test_an_fsync_error_of_an_announced_file_fails_only_that_file_ahead(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The near case: the announced file's fsync failed; the plan stands, the file is written by its own write."""
    plan, subtask = store.layout.plan("orch-t"), store.layout.subtask("orch-t-s01")
    with store.working():
        store.ahead([(subtask, {"subtask_id": "the-subtask"})])
        failed = _failing_fsync(monkeypatch, b"the-subtask")
        store.write_json(plan, {"orchestration_id": "orch-t"})
        assert failed and store._ready == {}
        assert store.create_json(subtask, {"subtask_id": "the-subtask"})
    assert json.loads(plan.read_text()) == {"orchestration_id": "orch-t"}
    assert json.loads(subtask.read_text()) == {"subtask_id": "the-subtask"}
    assert _leftovers(store) == []


# --- the lock: a long timeout --------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [1e10, float("inf")])
def test_a_lock_timeout_longer_than_the_platform_can_wait_is_waited_not_raised(tmp_path: Path, timeout: float) -> None:
    """lock_timeout_seconds is only bounded below: filelock took 1e10 (and inf) as "wait"; the thread lock's
    acquire raised OverflowError at every claim, which is no LockTimeout and no StoreError."""
    lock = FileLock(str(tmp_path / "q.lock"), 0o644, 0.002)
    lock.acquire(timeout)
    lock.release()

