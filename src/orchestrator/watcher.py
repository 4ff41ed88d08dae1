"""File events from watchdog, delivered on the asyncio loop.

Folders are watched, never files: a save by temp file + rename replaces the file's inode,
and a watch on the old inode hears nothing more. Events of our own temporary files and of
lock files are dropped here. If inotify cannot be used (its limits are exhausted), the
polling observer takes over with a warning.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import structlog
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

log = structlog.get_logger("orchestrator.watcher")

CHANGES: list[type[FileSystemEvent]] = [FileCreatedEvent, FileMovedEvent, FileClosedEvent, FileDeletedEvent,
                                        DirCreatedEvent, DirDeletedEvent]
"""A change to a file once it is complete. Opens, reads and each ``write()`` are not asked for
(the inotify mask leaves them out): a reader must not wake itself, and a file being rewritten in
place is read when it is closed, not half-way."""
APPENDS: list[type[FileSystemEvent]] = [*CHANGES, FileModifiedEvent]
"""For a file that writers append to and may keep open (the events file)."""


def _no_move_pairing_delay() -> None:
    """Do not hold rename events back to pair them (watchdog issue #649).

    watchdog keeps an IN_MOVED_FROM for 0.5 s to pair it with its IN_MOVED_TO, and its
    reader sleeps the whole delay even when the pair arrives a microsecond later, so a
    rename-save can reach us 0.5 s late and hold up every event behind it. We only need
    the paths, paired or not.
    """
    try:
        from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper as Grouper
    except ImportError:  # watchdog < 6.0.1
        try:
            from watchdog.observers.inotify_buffer import InotifyBuffer as Grouper  # type: ignore[no-redef]
        except ImportError:  # not Linux
            return
    Grouper.delay = 0.0


_no_move_pairing_delay()


def make_observer() -> BaseObserver:
    """A native observer (inotify on Linux) without the rename delay."""
    return Observer()


class _Handler(FileSystemEventHandler):
    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[Path], None],
                 ignore: Callable[[Path], bool] | None = None) -> None:
        self._loop = loop
        self._callback = callback
        self._ignore = ignore
        self._pending: dict[Path, None] = {}  # paths not yet delivered, in order, each once
        self._guard = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        # a folder's deletion is passed on: a watched one's ends its watch, and a folder made again in its
        # place may get its inode number, so nothing else would tell (``rm -rf subtasks; mkdir subtasks``)
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type != "deleted"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(raw if isinstance(raw, str) else raw.decode())
            # hidden files are temporary files (ours and other writers' before their rename) and
            # editors' swap files: never a file the daemon reads (the store skips them too)
            if path.name.startswith(".") or path.name.endswith(".lock") or (self._ignore and self._ignore(path)):
                continue
            with self._guard:
                wake = not self._pending
                self._pending[path] = None
            if wake:  # one wake-up per batch: thousands of events must not fill the loop's wake-up pipe
                self._loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        with self._guard:
            paths, self._pending = list(self._pending), {}
        for path in paths:
            self._callback(path)


OVERFLOW_LOGGER = "watchdog.observers.inotify_c"
"""Where watchdog says that the kernel's inotify queue overflowed: it passes no event for it."""


class _OverflowHook(logging.Handler):
    """Calls ``callback`` on the loop when watchdog logs that the kernel dropped file events (more
    changes at once than ``fs.inotify.max_queued_events``): watchdog only rebuilds its watches and logs
    it, so without this the lost changes would wait for the monitor's tick."""

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self._loop, self._callback = loop, callback

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in str(record.msg).lower():
            self._loop.call_soon_threadsafe(self._callback)


class FolderWatcher:
    """Calls ``callback(path)`` on the loop for every change in ``folders`` and below ``recursive``, and
    ``overflowed()`` when changes were lost."""

    def __init__(self, loop: asyncio.AbstractEventLoop, folders: Iterable[Path], callback: Callable[[Path], None],
                 recursive: Iterable[Path] = (), ignore: Callable[[Path], bool] | None = None,
                 overflowed: Callable[[], None] | None = None) -> None:
        """``ignore(path)``, asked on watchdog's thread, drops an event before it wakes the loop
        (the daemon's own writes coming back)."""
        self._folders = [(folder, False) for folder in folders] + [(folder, True) for folder in recursive]
        self._handler = _Handler(loop, callback, ignore)
        self._observer: BaseObserver | None = None
        self._hook = _OverflowHook(loop, overflowed) if overflowed is not None else None

    def start(self) -> str:
        """Start watching; returns the kind of observer in use (``native`` or ``polling``)."""
        native = make_observer()
        try:
            self._observer = self._start(native)
            return "native"
        except OSError as exc:
            # the watches it did start would go on filling a queue nobody reads
            native.stop()
            log.warning("inotify_unavailable_polling_instead", problem=str(exc))
            self._observer = self._start(PollingObserver(timeout=0.25))
            return "polling"

    def _start(self, observer: BaseObserver) -> BaseObserver:
        if self._hook is not None:
            logger = logging.getLogger(OVERFLOW_LOGGER)
            if logger.getEffectiveLevel() > logging.WARNING:
                logger.setLevel(logging.WARNING)  # quietened logging must not hide the overflow from us
            logger.addHandler(self._hook)
        for folder, recursive in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            observer.schedule(self._handler, str(folder), recursive=recursive, event_filter=CHANGES)
        observer.start()
        return observer

    def stop(self) -> None:
        if self._hook is not None:
            logging.getLogger(OVERFLOW_LOGGER).removeHandler(self._hook)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None


class ChangeFlag:
    """A flag raised when a file in ``folders`` changes (and, with ``names``, only one of those).

    For the CLI's followers (``status --watch``, ``events --follow``): they sleep until it is
    raised, so they cost nothing while nothing changes.
    """

    def __init__(self, folders: Iterable[Path], *, names: set[str] | None = None,
                 events: list[type[FileSystemEvent]] | None = None) -> None:
        self.raised = threading.Event()
        flag, wanted = self.raised, names

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                paths = (event.src_path, getattr(event, "dest_path", ""))
                if wanted is None or any(Path(str(p)).name in wanted for p in paths if p):
                    flag.set()

        self._observer = make_observer()
        for folder in folders:
            if folder.is_dir():
                self._observer.schedule(Handler(), str(folder), recursive=False, event_filter=events or CHANGES)

    def __enter__(self) -> ChangeFlag:
        self._observer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._observer.stop()
        self._observer.join(5)

    def wait(self, timeout: float) -> None:
        """Until the flag is raised (or ``timeout`` passes); then lower it."""
        self.raised.wait(timeout)
        self.raised.clear()
