"""The process table, behind a small interface: is a worker's process alive, and stop it.

A worker is (PID, start time): ``psutil`` compares the process's creation time with when the
attempt started, so a PID that was reused by a newer process is never taken for the worker
and never signalled. Nothing here waits: stopping is a SIGTERM now and, if the process is
still there after the grace period, a SIGKILL on a later pass (:class:`StopOrders`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import select
import signal as signals
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import psutil

ProcessState = Literal["running", "gone", "zombie", "reused", "unknown"]
CLOCK_SLACK = 2.0
"""Seconds of disagreement allowed between a process's start time and a worker's own report."""
HANDOFF_SLACK = 0.02
"""A worker's process must have started after its handoff, give or take this (both in wall-clock time,
the process's measured precisely: see :func:`started_at`)."""
StopResult = Literal["sent", "not running", "not allowed"]


class ProcessTable(Protocol):
    def state(self, pid: int, started: datetime | None) -> ProcessState:
        """``running``, ``gone``, ``zombie``, ``reused`` (a newer process has the PID) or ``unknown``."""
        ...

    def forget_unlooked(self) -> None:
        """After a look at every active worker: let go of what is held for processes not looked at since
        the last call (workers whose attempts ended)."""
        ...

    def signal(self, pid: int, started: datetime | None, sig: int, not_before: datetime | None = None) -> StopResult:
        """Send ``sig`` to the worker if it is its process: running, started between ``not_before``
        (its handoff) and ``started`` (its report), owned by this user, not PID 1, this daemon or
        its parent."""
        ...


def pidfd_budget() -> int:
    """How many pidfds one holder may keep: a quarter of the file descriptors this process may have
    (two hold them, :class:`PsutilProcesses` and the daemon's death watch; the rest is the daemon's)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(0, min(4096, (soft if soft != resource.RLIM_INFINITY else 16384) // 4))


class PsutilProcesses:
    """The real process table of this host.

    A process found running is held by a pidfd (``pidfd_open(2)``, Linux 5.3+), and later looks ask
    the kernel whether that very process has exited: one ``poll`` of about a microsecond, where
    reading ``/proc/PID/stat`` costs three system calls and the kernel's formatting of 52 fields
    (about 15 us: a monitor tick over 1,000 workers spent a third of its time there). A pidfd names
    the process, not its PID, so a reused PID cannot pass for the worker while one is held. At most
    ``limit`` are held, the first found while there was room (a full look lets go of ended workers');
    the rest, and every process where pidfds cannot be had, are read from ``/proc`` as before.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = pidfd_budget() if limit is None else limit
        self._held: dict[tuple[int, datetime | None], tuple[int, select.poll]] = {}
        self._looked: set[tuple[int, datetime | None]] = set()  # held ones looked at since forget_unlooked

    @property
    def holding(self) -> int:
        return len(self._held)

    def forget_unlooked(self) -> None:
        for key in [key for key in self._held if key not in self._looked]:
            self._release(key)  # its attempt ended: the process may live on, it is none of ours now
        self._looked = set()

    def close(self) -> None:
        """Close every pidfd held."""
        while self._held:
            self._release(next(iter(self._held)))

    def __del__(self) -> None:
        # as a socket closes its descriptor (tests make many tables); at interpreter exit the
        # process's end closes them anyway
        with contextlib.suppress(Exception):
            self.close()

    def state(self, pid: int, started: datetime | None) -> ProcessState:
        key = (pid, started)
        held = self._held.get(key)
        if held is not None:
            if not held[1].poll(0):
                self._looked.add(key)
                return "running"
            self._release(key)  # it exited: /proc says whether as a zombie, once
        state = self._read(pid, started)
        if state == "running" and self.limit > 0:
            self._hold(key)
        return state

    def _hold(self, key: tuple[int, datetime | None]) -> None:
        """Hold a pidfd of the process just found running, if it is still that process once held and
        there is room: a tick looks at every worker in the same order, so letting go of the least
        recently looked at to make room would leave every look without its pidfd."""
        if len(self._held) >= self.limit:
            return  # full: read from /proc until a full look lets go of ended workers' pidfds
        try:
            fd = os.pidfd_open(key[0])
        except OSError as exc:
            if exc.errno in (errno.ENOSYS, errno.EPERM):
                self.limit = 0  # no pidfds here (an old kernel, a sandbox): /proc only from now on
            return  # gone meanwhile (the next look says so), or out of file descriptors
        if self._read(*key) != "running":  # exited and its PID reused between the look and the open
            os.close(fd)
            return
        watch = select.poll()
        watch.register(fd, select.POLLIN)
        self._held[key] = (fd, watch)
        self._looked.add(key)

    def _release(self, key: tuple[int, datetime | None]) -> None:
        self._looked.discard(key)
        fd, _ = self._held.pop(key)
        os.close(fd)

    def _read(self, pid: int, started: datetime | None) -> ProcessState:
        stat = _proc_stat(pid)  # one read of /proc/PID/stat
        if stat is not None:
            status_code, created = stat
            if status_code in ("gone", "X"):
                return "gone"
            if started is not None and created > started.timestamp() + CLOCK_SLACK:
                return "reused"
            if status_code == "Z":
                _reap(pid)
                return "zombie"
            return "running"
        try:
            process = psutil.Process(pid)
            created = process.create_time()
            status = process.status()
        except psutil.NoSuchProcess:
            return "gone"
        except psutil.AccessDenied:
            return "unknown"  # exists, but not ours to look at: not dead
        if started is not None and created > started.timestamp() + CLOCK_SLACK:
            return "reused"
        if status == psutil.STATUS_ZOMBIE:
            _reap(pid)
            return "zombie"  # exited; an unreaped child of some other process counts as stopped
        return "running"

    def signal(self, pid: int, started: datetime | None, sig: int, not_before: datetime | None = None) -> StopResult:
        if pid <= 1 or pid in (os.getpid(), os.getppid()):
            return "not allowed"
        if self.state(pid, started) != "running":
            return "not running"
        try:
            process = psutil.Process(pid)
            if process.uids().real != os.getuid():
                return "not allowed"  # another user's process: never ours to stop
            if not_before is not None and started_at(pid, process) < not_before.timestamp() - HANDOFF_SLACK:
                return "not allowed"  # older than the handoff: not the worker it names
            process.send_signal(sig)  # psutil checks the PID was not reused meanwhile
        except psutil.NoSuchProcess:
            return "not running"
        except psutil.AccessDenied:
            return "not allowed"
        return "sent"


def started_at(pid: int, process: psutil.Process) -> float:
    """When ``pid`` started, in wall-clock seconds, to about 10 ms.

    psutil adds the boot time (whole seconds) to the process's start in clock ticks, so it can be
    up to a second early; measured from the boot-time clock instead, the error is one clock tick.
    """
    stat = _proc_stat(pid)
    return stat[1] if stat is not None else float(process.create_time())


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> tuple[str, float] | None:
    """The state letter and the start time (wall clock) of ``pid`` from ``/proc``: ``("gone", 0)``
    when there is no such process, None where ``/proc`` cannot tell (another OS)."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)  # no buffered file object: 3 syscalls
        try:
            fields = os.read(fd, 4096).rsplit(b")", 1)[1].split(None, 20)  # up to the start time
        finally:
            os.close(fd)
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / _TICK  # field 22 of proc(5)
        return fields[0].decode(), time.time() - age
    except FileNotFoundError:
        return ("gone", 0.0) if os.path.isdir("/proc/self") else None
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _reap(pid: int) -> None:
    """Collect a zombie child of ours, so it does not linger."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


@dataclass
class StopOrder:
    pid: int
    started: datetime | None
    asked_at: datetime
    not_before: datetime | None = None
    killed: bool = False
    context: dict[str, Any] | None = None


class StopOrders:
    """Workers being stopped: SIGTERM at once, SIGKILL after ``grace`` seconds, checked every pass."""

    def __init__(self, processes: ProcessTable) -> None:
        self.processes = processes
        self.orders: dict[int, StopOrder] = {}

    def stop(self, pid: int, started: datetime | None, not_before: datetime | None, now: datetime,
             context: dict[str, Any]) -> StopResult:
        result = self.processes.signal(pid, started, signals.SIGTERM, not_before)
        if result == "sent":
            self.orders[pid] = StopOrder(pid, started, now, not_before, context=context)
        return result

    def check(self, now: datetime, grace: float) -> list[tuple[StopOrder, str]]:
        """Orders that ended in this pass and how: ``terminated`` or ``killed``."""
        ended: list[tuple[StopOrder, str]] = []
        for pid, order in list(self.orders.items()):
            if self.processes.state(pid, order.started) != "running":
                ended.append((order, "killed" if order.killed else "terminated"))
                del self.orders[pid]
            elif not order.killed and (now - order.asked_at).total_seconds() >= grace:
                order.killed = True
                if self.processes.signal(pid, order.started, signals.SIGKILL, order.not_before) != "sent":
                    ended.append((order, "terminated"))
                    del self.orders[pid]
        return ended

    @property
    def waiting(self) -> bool:
        return bool(self.orders)
