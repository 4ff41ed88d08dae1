"""The queue's lock (orchestrator.flock): the same kernel lock as filelock's and flock(1)'s."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import filelock
import pytest

from orchestrator.flock import FileLock, Timeout


def test_filelock_held_elsewhere_excludes_ours_and_ours_excludes_it(tmp_path: Path) -> None:
    path = str(tmp_path / "task-queue.json.lock")
    theirs = filelock.FileLock(path, timeout=0)
    ours = FileLock(path, 0o644, 0.002)
    with theirs, pytest.raises(Timeout):
        ours.acquire(0.02)
    ours.acquire(0.02)
    with pytest.raises(filelock.Timeout):
        theirs.acquire(timeout=0)
    ours.release()
    with theirs:  # released: they take it again
        pass


def test_a_shell_flock_excludes_it_until_it_ends(tmp_path: Path) -> None:
    path = tmp_path / "task-queue.json.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(0.3)\n")],
        stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    lock = FileLock(str(path), 0o644, 0.002)
    began = time.monotonic()
    lock.acquire(10)  # waits until the other process exits
    waited = time.monotonic() - began
    lock.release()
    holder.wait(10)
    assert waited > 0 and holder.returncode == 0


def test_taking_the_lock_tells_no_watcher_that_the_file_was_written(tmp_path: Path) -> None:
    """Opened for writing, every acquire ended in an IN_CLOSE_WRITE on the queue's folder, which the
    daemon's own watcher then had to read and drop, at every claim."""
    path = tmp_path / "x.lock"
    lock = FileLock(str(path), 0o644, 0.002)
    lock.acquire(1)
    assert lock._fd is not None and os.fstat(lock._fd).st_size == 0
    assert fcntl.fcntl(lock._fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY  # read-only
    lock.release()


def test_the_lock_file_is_made_with_the_mode_asked_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    old = os.umask(0o077)
    try:
        lock = FileLock(str(path), 0o644, 0.002)
        lock.acquire(1)
        lock.release()
    finally:
        os.umask(old)
    assert path.exists() and path.stat().st_mode & 0o777 == 0o644


def test_a_lock_file_unlinked_while_waited_for_is_opened_again(tmp_path: Path) -> None:
    """Someone deleted the lock file while its holder held it: the next holder of the new file is the one
    that counts; holding the deleted inode would exclude nobody."""
    path = tmp_path / "x.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    lock = FileLock(str(path), 0o644, 0.002)
    got: list[int] = []

    def take() -> None:
        lock.acquire(5)
        got.append(os.stat(path).st_ino)
        lock.release()

    waiter = threading.Thread(target=take)
    waiter.start()
    time.sleep(0.05)
    path.unlink()
    path.touch()  # a new lock file in its place
    new = path.stat().st_ino
    os.close(fd)  # the old holder lets go of the unlinked one
    waiter.join(5)
    assert got == [new]


def test_a_lock_file_unlinked_between_its_open_and_its_flock_is_not_held(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the polling cannot close: the old holder deletes the file after we opened it and lets go
    before our flock; holding that inode would exclude nobody who opens the new one."""
    path = tmp_path / "x.lock"
    path.touch()
    real = fcntl.flock
    calls = []

    def racing(fd: int, operation: int) -> None:
        if operation != fcntl.LOCK_UN and not calls:
            path.unlink()
            path.touch()
        calls.append(operation)
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", racing)
    lock = FileLock(str(path), 0o644, 0.002)
    lock.acquire(1)
    assert lock._fd is not None and os.fstat(lock._fd).st_ino == path.stat().st_ino and len(calls) == 2
    lock.release()


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    lock = FileLock(str(tmp_path / "x.lock"), 0o644, 0.002)
    inside, most = [0], [0]

    def work() -> None:
        for _ in range(50):
            lock.acquire(5)
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            time.sleep(0)
            inside[0] -= 1
            lock.release()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most == [1]


@pytest.mark.parametrize("kind", ["folder", "fifo", "symlink"])
def test_a_folder_fifo_or_symlink_in_place_of_the_lock_file_raises_not_waits(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.lock"
    {"folder": path.mkdir, "fifo": lambda: os.mkfifo(path),
     "symlink": lambda: path.symlink_to(tmp_path / "elsewhere.lock")}[kind]()
    lock = FileLock(str(path), 0o644, 0.002)
    with pytest.raises(OSError):
        lock.acquire(5)
    assert not (tmp_path / "elsewhere.lock").exists()  # not created through the link
    path.rmdir() if kind == "folder" else path.unlink()
    lock.acquire(0)  # the failed acquire left nothing held, not even its threads' turn
    lock.release()
