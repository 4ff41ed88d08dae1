"""Finding the daemon of a folder, and asking it to reload or stop (``orchestrator reload|stop``).

The daemon holds ``orchestrator/daemon.lock`` (flock) for its lifetime and writes its PID
into it once it holds it. A PID is believed only while the lock is held; where the file
has none (a daemon of an earlier version) the holder is read from ``/proc/locks``. A daemon
started by systemd is reloaded and stopped through ``systemctl``, so systemd knows the stop
was asked for; any other is signalled (SIGHUP, SIGTERM) directly.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

LOCKS = Path("/proc/locks")
"""The kernel's table of file locks."""


def write_pid(lock: Path, pid: int | None = None) -> None:
    """Record the holder's PID in the lock file (called by the daemon once it holds the lock)."""
    fd = os.open(lock, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{pid or os.getpid()}\n".encode())
    finally:
        os.close(fd)


def is_held(lock: Path) -> bool:
    """Is someone holding this flock right now? (We never take it for longer than the test.) Opened
    without blocking: a FIFO in the lock file's place would wait for a writer for ever."""
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def is_held_passive(lock: Path) -> bool:
    """:func:`is_held` without ever taking the lock, for a view that asks several times a second (a
    daemon starting at that instant must not find its lock taken): the kernel's table of flocks
    (``/proc/locks``), or :func:`is_held` where there is none."""
    return _held_passive(lock)[0]


def holder_passive(lock: Path) -> int | None:
    """The PID of the daemon holding ``lock`` (0 if it cannot be told), or None when none does; the
    lock is never taken (see :func:`is_held_passive`), so ``status --watch`` may ask again and again."""
    held, holders = _held_passive(lock)
    return (_believed(_pid_in(lock), holders) or 0) if held else None


def _held_passive(lock: Path) -> tuple[bool, list[int] | None]:
    """Whether ``lock`` is held, and the PIDs holding it by the kernel's table (None where the table
    cannot be read: then whether it is held is :func:`is_held`'s answer); the table is read once."""
    try:
        st = os.stat(lock)
    except OSError:
        return False, None
    try:
        table = LOCKS.read_text()
    except OSError:
        return is_held(lock), None
    pids = _flock_pids(table, st)
    return bool(pids), _valid(pids)


@dataclass(frozen=True)
class Running:
    pid: int
    unit: str | None
    """The systemd unit it runs as, if any."""


def find(lock: Path) -> Running | None:
    """The daemon holding ``lock``, or None when no daemon runs."""
    if not is_held(lock):
        return None
    pid = _daemon_pid(lock)
    if pid is None:
        return None
    return Running(pid, unit_of(pid))


def _pid_in(lock: Path) -> int | None:
    try:
        if not lock.is_file():
            return None  # a FIFO's read waits for ever for what its holder never writes
        text = lock.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 1 and Path(f"/proc/{text}").exists() else None


def _holders(lock: Path, locks: Path = LOCKS) -> list[int] | None:
    """The PIDs holding a flock on ``lock`` by the kernel's table; None where the table cannot be read."""
    try:
        st = lock.stat()
        table = locks.read_text()
    except OSError:
        return None
    return _valid(_flock_pids(table, st))


def _holder(lock: Path, locks: Path = LOCKS) -> int | None:
    """The PID that holds a flock on ``lock``, from the kernel's table."""
    holders = _holders(lock, locks)
    return holders[0] if holders else None


def _daemon_pid(lock: Path, locks: Path = LOCKS) -> int | None:
    """The PID written in the lock file, believed only if the kernel's table has it holding the lock."""
    return _believed(_pid_in(lock), _holders(lock, locks))


def _believed(written: int | None, holders: list[int] | None) -> int | None:
    """The PID written in the lock file if the kernel's table has it among the ``holders``, else the
    first holder: anyone can write a PID there, and an old daemon's PID may now be a stranger's.
    Where the table cannot be read (None), the file is all there is."""
    if holders is None:
        return written
    return written if written in holders else (holders[0] if holders else None)


def _flock_pids(table: str, st: os.stat_result) -> list[str]:
    """The holders (PIDs as written) of every flock in a ``/proc/locks`` table (``1: FLOCK ADVISORY
    WRITE PID MAJ:MIN:INODE ...``) on the file ``st`` describes: by device and inode, as an inode
    number alone is shared by other file systems."""
    wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    return [fields[4] for fields in map(str.split, table.splitlines())
            if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted]


def _valid(pids: list[str]) -> list[int]:
    """The PIDs that can be a daemon's (not the kernel's 0 or 1, nor a malformed field)."""
    return [int(pid) for pid in pids if pid.isdigit() and int(pid) > 1]


def unit_of(pid: int, proc: Path = Path("/proc")) -> str | None:
    """The systemd service a process runs in (from its cgroup), if it is an orchestrator unit."""
    try:
        cgroup = (proc / str(pid) / "cgroup").read_text()
    except OSError:
        return None
    match = re.search(r"/(orchestrator(?:-[^/]*)?\.service)(?:/|$)", cgroup, re.MULTILINE)
    return match[1] if match else None


def command(running: Running, action: str) -> list[str] | None:
    """The ``systemctl`` command for a daemon run as a unit; None: signal it directly."""
    return ["systemctl", action, running.unit] if running.unit else None


def signal_for(action: str) -> signal.Signals:
    return {"reload": signal.SIGHUP, "stop": signal.SIGTERM}[action]


def ask(running: Running, action: str) -> str:
    """Ask the daemon to ``reload`` or ``stop``; what was done, for the person. Raises OSError."""
    argv = command(running, action)
    if argv:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise OSError(f"{' '.join(argv)} failed: {done.stderr.strip() or done.returncode}")
        return " ".join(argv)
    os.kill(running.pid, signal_for(action))
    return f"sent {signal_for(action).name} to PID {running.pid}"


def wait_released(lock: Path, timeout: float) -> bool:
    """Wait until nobody holds ``lock`` (the daemon stopped); False if it is still held after ``timeout``."""
    deadline = time.monotonic() + timeout
    while is_held(lock):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True
