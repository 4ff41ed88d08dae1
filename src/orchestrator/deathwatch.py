"""Learn of a local worker's exit at once: a pidfd per worker process, watched by the event loop.

Linux's ``pidfd_open(2)`` gives a file descriptor that becomes readable when its process
exits, whoever its parent is; the asyncio loop watches it (``add_reader``), so a killed worker
becomes a pass for its subtask within milliseconds, with nothing polled. The monitor tick stays
the safety net, and the only mechanism where a pidfd cannot be had: a kernel or sandbox without
``pidfd_open`` (``ENOSYS``, ``EPERM``), a PID that is not this host's or not the worker's any
more (its start time is checked before and after the pidfd is opened, as for a signal: see
:mod:`orchestrator.processes`), or more workers than :func:`fd_budget` allows.

The decisions are pure (:func:`targets`, :func:`changes`); :class:`DeathWatch` holds the file
descriptors, and closes each when its subtask's attempt ends, its process exits, or the daemon stops.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from orchestrator.models import ACTIVE, Plan
from orchestrator.processes import ProcessTable, pidfd_budget
from orchestrator.timestamps import parse_timestamp

log = structlog.get_logger("orchestrator")

Key = tuple[str, int, int]
"""(subtask id, attempt, PID): a new attempt or a new PID is a new watch."""


@dataclass(frozen=True)
class Target:
    subtask_id: str
    pid: int
    started: datetime | None
    """When the worker reported its start: a process created later is not the worker (a reused PID)."""


def targets(plans: Iterable[Plan]) -> dict[Key, Target]:
    """The worker processes to watch: those of active subtasks whose PID is known."""
    return {(s.subtask_id, s.attempt, s.pid): Target(s.subtask_id, s.pid, parse_timestamp(s.started_at))
            for plan in plans for s in plan.subtasks if s.status in ACTIVE and s.pid}


def changes(wanted: Collection[Key], watched: Collection[Key], done: Collection[Key],
            limit: int) -> tuple[list[Key], list[Key]]:
    """What to open and what to close so that the watches follow ``wanted``.

    ``done``: keys already dealt with (the process exited, or cannot be watched): not opened
    again while they are wanted. At most ``limit`` are open at once; the rest are the tick's.
    """
    close = [key for key in watched if key not in wanted]
    room = limit - (len(watched) - len(close))
    fresh = [key for key in wanted if key not in watched and key not in done]
    return sorted(fresh)[:max(0, room)], close


def fd_budget() -> int:
    """How many pidfds to hold at most: the share :func:`~orchestrator.processes.pidfd_budget` gives each holder."""
    return pidfd_budget()


class DeathWatch:
    """The pidfds of the watched workers; ``on_exit(subtask_id)`` when one's process exits."""

    def __init__(self, loop: asyncio.AbstractEventLoop, processes: ProcessTable,
                 on_exit: Callable[[str], None], limit: int | None = None) -> None:
        self.loop = loop
        self.processes = processes
        self.on_exit = on_exit
        self.limit = fd_budget() if limit is None else limit
        self.available = hasattr(os, "pidfd_open")
        self._fds: dict[Key, int] = {}
        self._done: set[Key] = set()

    @property
    def watching(self) -> int:
        return len(self._fds)

    def sync(self, wanted: Mapping[Key, Target]) -> None:
        """Open pidfds for new workers, close those of attempts that ended."""
        self._done &= wanted.keys()
        if not self.available:
            return
        opening, closing = changes(wanted, self._fds, self._done, self.limit)
        for key in closing:
            self._close(key)
        for key in opening:
            self._open(key, wanted[key])

    def close(self) -> None:
        """The daemon stops: every pidfd is closed."""
        for key in list(self._fds):
            self._close(key)
        self._done.clear()

    def _open(self, key: Key, target: Target) -> None:
        self._done.add(key)  # whatever happens, this key is not tried again while it is wanted
        if not self._is_worker(target):
            return
        try:
            fd = os.pidfd_open(target.pid)
        except ProcessLookupError:
            self.on_exit(target.subtask_id)  # exited between the check and now
            return
        except OSError as exc:
            if exc.errno in (errno.ENOSYS, errno.EPERM):
                self.available = False
                log.warning("pidfd_unavailable", problem=str(exc), action="dead workers are seen at the monitor tick")
            return  # EMFILE and the like: this one is left to the tick
        if not self._is_worker(target):  # the PID was reused before we held it
            os.close(fd)
            return
        self._fds[key] = fd
        self.loop.add_reader(fd, self._exited, key)

    def _is_worker(self, target: Target) -> bool:
        """The PID is a running process started no later than the worker's start report; a process
        that has already exited is reported at once."""
        state = self.processes.state(target.pid, target.started)
        if state in ("gone", "zombie"):
            self.on_exit(target.subtask_id)
        return state == "running"

    def _exited(self, key: Key) -> None:
        self._close(key)
        self.on_exit(key[0])

    def _close(self, key: Key) -> None:
        fd = self._fds.pop(key, None)
        if fd is not None:
            self.loop.remove_reader(fd)
            os.close(fd)


def held_pidfds(pid: int | str = "self") -> int:
    """How many pidfds a process of this user holds (each is ``anon_inode:[pidfd]`` in ``/proc/PID/fd``)."""
    count = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += "pidfd" in os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
    return count
