"""The lock every writer of a shared file takes: ``flock(2)`` on ``<file>.lock``, exclusive.

It is the kernel lock that filelock's ``FileLock`` takes on Linux and that ``flock FILE.lock cmd``
takes from a shell, so each of them excludes this one and this one excludes them. filelock 4 takes it
in 70 us of Python (150 us of wall time on a busy interpreter), this in 8 us; the daemon takes one at
every claim of the queue, which is on the path of every pickup. The daemon's own single-instance
lock, taken once per run, stays filelock's.

What it keeps of filelock's behaviour: the lock file is created with the mode asked for and never
deleted (deleting it would split waiters across two inodes); it is opened without following a
symlink and without blocking on a FIFO; a lock file unlinked, moved away or replaced by someone else
while we waited is opened again rather than held; waiting polls until the timeout.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import threading
import time

_OPEN = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
"""Read-only: flock needs no write access, and a descriptor opened for writing tells every inotify
watcher of the folder (ours among them) that the file was written when it is closed."""


class Timeout(TimeoutError):
    """Another process held the lock for the whole timeout."""


class FileLock:
    """An exclusive flock on ``path``, for one process; its threads take turns (not reentrant)."""

    def __init__(self, path: str, mode: int, poll_interval: float) -> None:
        self.path = path
        self.mode = mode
        self.poll_interval = poll_interval
        self._fd: int | None = None
        self._threads = threading.Lock()  # two fds of one process would exclude each other too, but slower

    def acquire(self, timeout: float) -> None:
        """Hold the lock; raises :class:`Timeout` after ``timeout`` seconds, or an OSError when the lock
        file cannot be used (a folder, a FIFO or a symlink in its place)."""
        deadline = time.monotonic() + max(0.0, timeout)
        # the thread lock cannot wait past TIMEOUT_MAX (it raised OverflowError at 1e10 or inf, which the
        # configuration allows and filelock waited for)
        if not self._threads.acquire(timeout=min(max(0.0, timeout), threading.TIMEOUT_MAX)):
            raise Timeout(self.path)
        try:
            while True:
                fd = self._open()
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    if time.monotonic() >= deadline:
                        raise Timeout(self.path) from None
                    time.sleep(self.poll_interval)
                    continue
                except BaseException:
                    os.close(fd)
                    raise
                held = os.fstat(fd)
                if not stat.S_ISREG(held.st_mode):  # a folder or a FIFO opens read-only, and takes a flock
                    os.close(fd)
                    raise OSError(errno.EINVAL, "not a regular file", self.path)
                if not self._named(held):  # unlinked, moved away or replaced since our open: the others
                    os.close(fd)           # lock the file at the name now
                    continue
                self._fd = fd
                return
        except BaseException:
            self._threads.release()
            raise

    def _named(self, held: os.stat_result) -> bool:
        """Whether the file we hold is still the one at the name. No link left is not the only way to lose
        it: one moved away (``mv q.lock q.lock.old``) keeps a link, and the next writer locks a new file."""
        try:
            named = os.lstat(self.path)
        except FileNotFoundError:
            return False
        return held.st_nlink > 0 and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.close(fd)  # closing the only descriptor releases the flock
        finally:
            self._threads.release()

    def _open(self) -> int:
        while True:
            try:
                return os.open(self.path, _OPEN)  # it exists but for the first time: no exception to build
            except FileNotFoundError:
                pass
            try:
                fd = os.open(self.path, _OPEN | os.O_CREAT | os.O_EXCL, self.mode)
                break
            except FileExistsError:
                continue  # made between the two opens: open that one
        try:
            os.fchmod(fd, self.mode)  # the umask narrowed it: other writers' accounts must open it too
        except PermissionError:
            pass
        return fd
