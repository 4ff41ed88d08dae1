"""attack15: an adversary on the day's write-path changes (Store.ahead's temp files, the bare flock)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator import store as store_module
from orchestrator.flock import FileLock, Timeout
from orchestrator.store import FolderStore, StoreError


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


# --- a pass that raises, a pass that writes nothing, a full disk ahead ---------------------------------


def test_a_pass_that_raises_after_ahead_leaves_nothing_for_the_next_pass(store: FolderStore) -> None:
    subtask = store.layout.subtask("orch-t-s01")
    with pytest.raises(RuntimeError), store.working():
        store.ahead([(subtask, {"v": 1}), (store.layout.subtask("orch-t-s02"), {"v": 2})])
        store.write_json(store.layout.plan("orch-t"), {"n": 1})
        raise RuntimeError("the pass failed after the plan's wave")
    assert store._ready == {} and store._ahead == {} and _leftovers(store) == []
    with store.working():
        store.ahead([])
        store.write_json(store.layout.plan("orch-u"), {"n": 2})
        assert store._ready == {}  # nothing announced in an earlier pass is written ahead in this one
        assert store.create_json(subtask, {"v": 1})
    assert json.loads(subtask.read_text()) == {"v": 1} and _leftovers(store) == []


def test_a_full_disk_while_writing_ahead_fails_nothing_and_leaves_nothing(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    plan, subtask = store.layout.plan("orch-t"), store.layout.subtask("orch-t-s01")
    real = os.write

    def write(fd: int, data: Any) -> int:
        if b"the-subtask" in bytes(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)
    with store.working():
        store.ahead([(subtask, {"subtask_id": "the-subtask"})])
        store.write_json(plan, {"orchestration_id": "orch-t"})
        assert store._ready == {}
        with pytest.raises(StoreError, match="No space"):  # its own write says it
            store.create_json(subtask, {"subtask_id": "the-subtask"})
    assert json.loads(plan.read_text()) == {"orchestration_id": "orch-t"} and not subtask.exists()
    assert _leftovers(store) == []


# --- the lock: a long timeout --------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [1e10, float("inf")])
def test_a_lock_timeout_longer_than_the_platform_can_wait_is_waited_not_raised(tmp_path: Path, timeout: float) -> None:
    """lock_timeout_seconds is only bounded below: filelock took 1e10 (and inf) as "wait"; the thread lock's
    acquire raised OverflowError at every claim, which is no LockTimeout and no StoreError."""
    lock = FileLock(str(tmp_path / "q.lock"), 0o644, 0.002)
    lock.acquire(timeout)
    lock.release()



# --- kill -9 of a real daemon before each durable step of a complex pickup and of a stage advance ------

KILLER = """
import os, runpy, signal, sys, threading
ARM, AT = os.environ["A15_ARM"], int(os.environ["A15_KILL_AT"])
lock, seen = threading.Lock(), [0]
def wrap(name):
    real = getattr(os, name)
    def call(*args, **kwargs):
        if os.path.exists(ARM):
            with lock:
                seen[0] += 1
                if seen[0] == AT:
                    os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    setattr(os, name, call)
for name in ("fsync", "link", "replace", "rename", "unlink", "write"):
    wrap(name)
sys.argv = ["orchestrator", *sys.argv[1:]]
runpy.run_module("orchestrator", run_name="__main__", alter_sys=True)
"""
"""The daemon, killed with SIGKILL before the A15_KILL_AT-th write, fsync, rename, link or unlink made
once the A15_ARM file exists: each durable step of the work that follows is a crash point."""

EVERY = int(os.environ.get("ATTACK15_EVERY", "3"))  # 1: every crash point (about 70 daemon runs)


def _handoffs(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("masters/*/handoffs/*.json"))


def _crash_and_recover(tmp_path: Path, at: int, advance: bool) -> bool:
    """Whether the daemon was killed at the ``at``-th point; either way the restarted one must end right."""
    from conftest import FAST_CONFIG, WIDGET_SUBTASKS, queue_doc, read_events, task, wait_for, write_by_rename

    base = tmp_path / f"{'advance' if advance else 'pickup'}-{at}"
    root = base / "coordination"
    root.mkdir(parents=True)
    (root / "task-queue.json").write_text(json.dumps(queue_doc()))
    config = base / "config.toml"
    config.write_text(FAST_CONFIG)
    killer = base / "killer.py"
    killer.write_text(KILLER)
    arm = base / "arm"
    env = dict(os.environ, A15_ARM=str(arm), A15_KILL_AT=str(at))
    command = ["run", "--coordination-dir", str(root), "--config", str(config)]
    design = "to-development-subtask-orch-c-design.json"
    stage2 = ["to-development-subtask-orch-c-backend.json", "to-development-subtask-orch-c-frontend.json"]

    def started(count: int) -> bool:
        return sum(e["type"] == "orchestrator_started" for e in read_events(root)) >= count

    with open(base / "daemon.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, str(killer), *command], env=env, stdout=log, stderr=log)
    try:
        wait_for(lambda: started(1) or proc.poll() is not None, 15, "started")
        write_by_rename(root / "task-queue.json", queue_doc(task("c", "Widget", subtasks=WIDGET_SUBTASKS)))
        if advance:
            wait_for(lambda: design in _handoffs(root), 15, "stage 1 handed off")
            time.sleep(0.2)  # the pass's events and state written
            arm.write_text("")
            path = root / "orchestrator/subtasks/orch-c-design.json"
            write_by_rename(path, json.loads(path.read_text()) | {"status": "completed", "result": "done"})
            goal = sorted([design, *stage2])
        else:
            arm.write_text("")
            goal = [design]
        wait_for(lambda: proc.poll() is not None or (_handoffs(root) == goal and any(
            e["type"] == ("stage_started" if advance else "orchestration_started") for e in read_events(root))),
            15, "killed or done")
        time.sleep(0.3)
        killed = proc.poll() == -9
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(15)
    with open(base / "daemon.log", "ab") as log:
        again = subprocess.Popen([sys.executable, "-m", "orchestrator", *command], stdout=log, stderr=log)
    try:
        wait_for(lambda: started(2) or again.poll() is not None, 15, "restarted")
        wait_for(lambda: _handoffs(root) == goal and json.loads(
            (root / "orchestrator/tasks/orch-c.json").read_text())["progress"]["current_stage"] == (2 if advance else 1),
            15, f"recovered after a kill at point {at}: {goal}")
        time.sleep(0.3)
    finally:
        again.terminate()
        assert again.wait(15) == 0, (base / "daemon.log").read_text()
    events = read_events(root)
    created = [e.get("handoff_id") or e.get("subtask_id") for e in events if e["type"] == "handoff_created"]
    assert len(created) == len(set(created)) == len(goal), (at, created)
    assert sum(e["type"] == "orchestration_started" for e in events) == 1
    assert sum(e["type"] == "stage_started" and e.get("stage") == 2 for e in events) == (1 if advance else 0)
    for path in root.rglob("*.json"):
        json.loads(path.read_text())  # every file whole
    assert sorted(p.name for p in root.glob("orchestrator/subtasks/*.json")) == [
        f"orch-c-{s['id']}.json" for s in sorted(WIDGET_SUBTASKS, key=lambda s: s["id"])]
    for folder in [root / "orchestrator/tasks", root / "orchestrator/subtasks", *root.glob("masters/*/handoffs")]:
        assert not [p for p in folder.iterdir() if p.name.startswith(".")], folder  # temp files stay in tmp/
    return killed


@pytest.mark.process
@pytest.mark.parametrize("advance", [False, True], ids=["pickup", "stage-advance"])
def test_a_daemon_killed_before_any_durable_step_recovers_whole(tmp_path: Path, advance: bool) -> None:
    at, killed = 1, True
    while killed:
        killed = _crash_and_recover(tmp_path, at, advance)
        at += EVERY
    assert at > 20  # not vacuous: the work has that many crash points


# --- the syscall-trace rules for a burst, a stage advance and a retry's handoff -----------------------

TRACE_CONFIG = """
[watch]
debounce_seconds = 0.002
rescan_interval_seconds = 0.5
read_retry_delay_seconds = 0.02
read_retries = 3
lock_timeout_seconds = 5
[retry]
max_attempts = 3
backoff_base_seconds = 0.05
backoff_max_seconds = 0.2
jitter = 0.0
"""


@pytest.mark.process
def test_a_burst_a_stage_advance_and_a_retry_keep_the_durability_order(tmp_path: Path) -> None:
    """test_durability_trace checks one pickup; the files written ahead ride with other waves in a burst
    (three plans' subtask files and handoffs announced with three plans), a stage advance (two handoffs
    with the plan) and a retry (attempt 2's handoff): each must still be fsynced before its link and its
    folder fsynced before anything that depends on it."""
    import signal

    from test_durability_trace import STRACE, STRACE_ARGS, _strace_usable, check_trace, parse_trace

    from conftest import WIDGET_SUBTASKS, queue_doc, read_events, task, wait_for, write_by_rename

    reason = _strace_usable()
    if reason:
        pytest.skip(reason)
    root = (tmp_path / "coordination").resolve()
    root.mkdir()
    (root / "task-queue.json").write_text(json.dumps(queue_doc()))
    config = tmp_path / "config.toml"
    config.write_text(TRACE_CONFIG)
    trace, log = tmp_path / "strace.log", tmp_path / "daemon.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [STRACE, *STRACE_ARGS, "-o", str(trace), sys.executable, "-m", "orchestrator", "run",
             "--coordination-dir", str(root), "--config", str(config)],
            stdout=out, stderr=out, cwd=tmp_path, start_new_session=True)

    def handoff(n: int, name: str, attempt: int = 1) -> Path:
        suffix = f"-attempt-{attempt}" if attempt > 1 else ""
        return root / f"masters/development/handoffs/to-development-subtask-orch-c{n}-{name}{suffix}.json"

    def subtask(n: int, name: str) -> Path:
        return root / f"orchestrator/subtasks/orch-c{n}-{name}.json"

    try:
        started = wait_for(lambda: [e for e in read_events(root) if e["type"] == "orchestrator_started"]
                           or proc.poll() is not None, 15, "orchestrator_started")
        assert proc.poll() is None, log.read_text()
        write_by_rename(root / "task-queue.json", queue_doc(
            *(task(f"c{n}", f"Widget {n}", subtasks=WIDGET_SUBTASKS) for n in (1, 2, 3))))  # a burst
        wait_for(lambda: all(handoff(n, "design").exists() for n in (1, 2, 3)), 20, "three stage-1 handoffs")
        time.sleep(0.3)
        done = json.loads(subtask(1, "design").read_text()) | {"status": "completed", "result": "done"}
        write_by_rename(subtask(1, "design"), done)  # a stage advance
        failed = json.loads(subtask(2, "design").read_text()) | {"status": "failed", "error": "boom", "transient": True}
        write_by_rename(subtask(2, "design"), failed)  # a retry
        wait_for(lambda: handoff(1, "backend").exists() and handoff(1, "frontend").exists()
                 and handoff(2, "design", 2).exists(), 20, "stage 2 of c1 and attempt 2 of c2's design")
        time.sleep(0.3)
        os.kill(started[0]["pid"], signal.SIGTERM)
        assert proc.wait(15) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with open(trace, encoding="utf-8", errors="replace") as handle:
        calls = parse_trace(handle)
    report = check_trace(calls, root, cwd=tmp_path, exempt=[root / "orchestrator/state/current.json",
                                                            root / "orchestrator/state/events-mark.json"])
    assert report, "\n".join(report.violations[:15])
    checked = set(report.checked)
    for path in (*(handoff(n, "design") for n in (1, 2, 3)), handoff(1, "backend"), handoff(1, "frontend"),
                 handoff(2, "design", 2), *(subtask(n, "audit") for n in (1, 2, 3))):
        assert str(path) in checked, f"no rename/link of {path} in the trace"


@pytest.mark.parametrize("how", ["moved away", "swapped for a symlink"])
def test_a_lock_file_moved_away_between_its_open_and_its_flock_is_not_held(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Only an unlinked lock file (no link left) was opened again. One moved away (``mv q.lock q.lock.old``,
    a cleanup) keeps a link, so ours held it while the next writer locked the new file at the name:
    both wrote the queue at once. Or a symlink put in its place, which a new open refuses."""
    import fcntl

    path = tmp_path / "q.lock"
    path.touch()
    real, calls, theirs = fcntl.flock, [], []

    def racing(fd: int, operation: int) -> None:
        if operation != fcntl.LOCK_UN and not calls:
            path.rename(tmp_path / "q.lock.old")
            if how == "moved away":
                theirs.append(os.open(path, os.O_RDWR | os.O_CREAT))  # the next writer makes it again
                real(theirs[0], fcntl.LOCK_EX)  # and holds it
            else:
                path.symlink_to(tmp_path / "q.lock.old")
        calls.append(operation)
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", racing)
    lock = FileLock(str(path), 0o644, 0.002)
    if how == "moved away":
        with pytest.raises(Timeout):  # held by them at the name: we wait
            lock.acquire(0.05)
        os.close(theirs[0])
        lock.acquire(1)  # let go: ours, on the file at the name
        assert lock._fd is not None and os.fstat(lock._fd).st_ino == path.stat().st_ino
        lock.release()
    else:
        with pytest.raises(OSError):
            lock.acquire(0.05)


def test_a_lock_file_left_in_place_is_held_at_once(tmp_path: Path) -> None:
    """The near case: nothing moved, the lock is taken on the first try, on the file at the name."""
    path = tmp_path / "q.lock"
    lock = FileLock(str(path), 0o644, 0.002)
    lock.acquire(0)
    assert lock._fd is not None and os.fstat(lock._fd).st_ino == path.stat().st_ino
    lock.release()
