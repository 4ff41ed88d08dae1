"""All storage I/O of the orchestrator, behind one interface with two backends.

:class:`Store` is the interface the core works against. It speaks in paths of a
:class:`Layout` (the seed's file names), so a backend only has to provide a handful of
primitives; everything above them (the queue's read-modify-write, create-if-absent, tolerant
reads) is written once, here, in :class:`Store`.

* :class:`FolderStore` is the coordination folder on disk. Every JSON file is written to a
  temporary file in the same folder, fsynced, renamed into place, and the folder fsynced; on
  failure the old file stays. Every read-modify-write of a shared file holds ``<file>.lock``
  (``flock``, so a shell's ``flock task-queue.json.lock cmd`` excludes us); lock files are never
  deleted; each event is one ``write()`` of one whole line to a file opened with ``O_APPEND``.
* :class:`MemoryStore` keeps the same files in a dict: the in-process tests run the whole core
  against it in milliseconds, and it can stop ("crash") before any chosen write, so every
  crash point of a pass can be tried and recovered from.

A file someone else wrote is never rewritten unless it parsed.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import stat
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from itertools import chain, count, repeat
from pathlib import Path
from typing import Any

import orjson

from orchestrator.config import Config, Settings
from orchestrator.flock import FileLock, Timeout
from orchestrator.models import MASTERS, Event, is_safe_id
from orchestrator.queue_codec import STRICT, QueueCodec

TEMP_PREFIX = ".orchestrator-"
TEMP_SUFFIX = ".tmp"
SPARE_PREFIX = ".orchestrator-spare-"
"""Empty files made ahead in the temp folder (see :meth:`FolderStore.working`); not temp files
left by a crash, so ``doctor`` does not count them; every start removes them."""
SPARES = 24
"""How many: a complex pickup uses 10 (queue, plan, 6 subtask files, handoff, state)."""
RETIRED = 64
"""How many replaced files a pass may hold open for the spares thread to let go of (see
:meth:`FolderStore._retire`); past that, the pass lets go of the oldest itself, as before."""
RETIRED_BYTES = 16 << 20
"""And at most this many of their bytes (the last one held whatever its size): passes back to back leave the
spares thread no turn, and a burst over a 3.4 MB queue held 33 unnamed copies, 111 MB of a disk that may be full."""
DEFAULT_MODE = 0o644
EVENT_TAIL_BYTES = 4 << 20
"""How much of the end of the events file is read at start to learn what was announced."""
EVENTS_MARK_BYTES = 64
"""How much of our last append the events mark keeps, to find it again at its offset."""
# A file is settled (:meth:`Store.settled`) once its mtime is this much older than a stat of it:
# mtimes in nanoseconds or clock ticks (at most 10 ms), and in whole seconds (ext3, HFS+; FAT: 2 s).
FINE_SETTLE_NS = 100_000_000
COARSE_SETTLE_NS = 2_100_000_000
MAX_READ_BYTES = 64 << 20
"""A file larger than this is not read (a queue made a link to /dev/zero must not eat the memory)."""


class StoreError(Exception):
    """A file could not be read, parsed or written; the message names the file and the problem."""


class UnsafeName(StoreError):
    """An id that would place a file outside its folder."""


class LockTimeout(StoreError):
    """Another process held a lock longer than ``lock_timeout_seconds``."""


class LockBusy(LockTimeout):
    """Another holds the lock now, and the caller asked not to wait for it."""


class Layout:
    """Where each file of a coordination folder lives (the seed's paths)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.queue = root / "task-queue.json"
        self.events = root / "dashboard-events.jsonl"
        self.orchestrator = root / "orchestrator"
        self.tasks = self.orchestrator / "tasks"
        self.subtasks = self.orchestrator / "subtasks"
        self.state = self.orchestrator / "state" / "current.json"
        self.routing_corrections = self.orchestrator / "state" / "routing-corrections.json"
        self.events_mark = self.orchestrator / "state" / "events-mark.json"
        """Where our last append to the events file ended: a start tells from it that the file was rotated."""
        self.routing_overrides = root / "routing-overrides.json"
        self.daemon_lock = self.orchestrator / "daemon.lock"
        self.escalations = self.orchestrator / "escalations"
        self.reports = self.orchestrator / "reports"
        self.requests = self.orchestrator / "requests"
        self.worker_specs = root / "worker-specs"
        self.agents = root / "agents" / "workers"
        self.masters = root / "masters"
        self.temp = self.orchestrator / "tmp"
        """Where temporary files are written before their rename: a folder nobody watches, so the
        daemon's own writes wake neither it nor anyone else until the file is complete."""

    def not_folders(self) -> list[Path]:
        """Where the daemon keeps a folder and something else is (a file, a socket): it cannot start,
        as it cannot make the folder. The temp folder is not needed (temp files go beside their targets)."""
        wanted = [self.orchestrator, self.worker_specs, self.agents.parent, self.agents, self.masters,
                  *(self.worker_specs / f for f in ("active", "completed", "failed", "zombie")),
                  *(f for f in self.folders() if f != self.temp)]
        return [f for f in wanted if os.path.lexists(f) and not f.is_dir()]

    def _inside(self, folder: Path, name: str, suffix: str = ".json") -> Path:
        if not is_safe_id(name):
            raise UnsafeName(f"{name!r} is not a safe file name (letters, digits, '.', '_', '-'; no '..')")
        return folder / f"{name}{suffix}"

    def plan(self, orchestration_id: str) -> Path:
        return self._inside(self.tasks, orchestration_id)

    def subtask(self, subtask_id: str) -> Path:
        return self._inside(self.subtasks, subtask_id)

    def handoffs(self, master: str) -> Path:
        if master not in MASTERS:
            raise UnsafeName(f"{master!r} is not a master ({', '.join(MASTERS)})")
        return self.masters / master / "handoffs"

    def task_handoff(self, master: str, task_id: str, attempt: int = 1) -> Path:
        """A simple task's handoff; a retried task's later attempts have their own (``-attempt-N``)."""
        return self._inside(self.handoffs(master), f"{task_id}-attempt-{attempt}" if attempt > 1 else task_id)

    def subtask_handoff(self, master: str, subtask_id: str, attempt: int = 1) -> Path:
        suffix = f"-attempt-{attempt}" if attempt > 1 else ""
        return self._inside(self.handoffs(master), f"to-{master}-subtask-{subtask_id}{suffix}")

    def escalation(self, orchestration_id: str) -> Path:
        return self._inside(self.escalations, orchestration_id)

    def report(self, orchestration_id: str, suffix: str) -> Path:
        return self._inside(self.reports, orchestration_id, suffix)

    def worker(self, worker_id: str) -> Path:
        """``agents/workers/{worker_id}``: its PID, heartbeat and status files."""
        return self.agents / worker_id

    def rel(self, path: Path) -> str:
        """``path`` as events and files name it: relative to the coordination folder."""
        return str(path.relative_to(self.root))

    def folders(self) -> list[Path]:
        """Every folder the orchestrator writes into."""
        return [self.tasks, self.subtasks, self.state.parent, self.escalations, self.reports, self.requests,
                self.temp, *(self.handoffs(m) for m in MASTERS)]


Identity = tuple[int, int, int]
MISSING: Identity = (0, 0, 0)


@dataclass(frozen=True)
class Snapshot:
    """One parsed read of the queue: the whole document, its task list, and what it was."""

    document: dict[str, Any] | list[Any]
    raw: bytes
    """The file's bytes: two reads are the same queue when these are equal (a compare of even a
    10,000-task queue's bytes costs a tenth of hashing them)."""
    identity: Identity  # inode, mtime_ns, size on disk: changes on any rewrite
    edited: list[Any] = field(default_factory=list, compare=False, repr=False)
    """The task dicts a change said it edits (:meth:`edit`)."""

    def edit(self, entry: Any) -> Any:
        """Say that ``entry``, a task of this snapshot, is about to be changed; returns it.

        Task dicts are shared between reads (:mod:`orchestrator.queue_codec`): one that changes
        must be neither handed out by a later read nor written with its old line."""
        self.edited.append(entry)
        return entry

    @property
    def tasks(self) -> list[Any]:
        if isinstance(self.document, list):
            return self.document
        tasks = self.document.get("tasks")
        return tasks if isinstance(tasks, list) else []


def file_identity(path: Path) -> Identity:
    """Inode, mtime and size: any rewrite changes it. ``MISSING`` when there is no file."""
    try:
        st = os.stat(path)  # not Path.stat: a monitor tick makes thousands
    except OSError:
        return MISSING
    return st.st_ino, st.st_mtime_ns, st.st_size


class Store:
    """The storage interface of the core. Subclasses provide the primitives (``_``-prefixed)."""

    def __init__(self, layout: Layout, settings: Settings | None = None) -> None:
        self.layout = layout
        self.settings = settings or Settings(Config())
        self.queue_codec = QueueCodec()
        """The queue's last read and write, so the next ones redo only what changed."""
        self._meanwhile: Callable[[], None] | None = None

    def meanwhile(self, start: Callable[[], None] | None) -> None:
        """Call ``start`` (once) when this store next waits on the disk (``None``: not at all).

        Work started then on another thread runs while this one waits with the interpreter released;
        started earlier, it would hold the interpreter while this thread still had Python to run (the
        queue's encoding), and the two would take turns instead of overlapping."""
        self._meanwhile = start

    def ahead(self, files: list[tuple[Path, Any]]) -> None:
        """JSON files this pass will write next (created or replaced, each by its own call, in its own
        order): the folder store writes their temporary files with the next durable write's and fsyncs
        them all in one wave, so each file's own write is left with its rename and its folder's fsync.
        Nothing appears before its own write, so the order on disk is the callers' as before; a file
        written with other bytes than announced, or not at all, costs a temporary file, removed at the
        end of the pass. Nothing in memory."""

    def ahead_changes(self, changes: list[tuple[Path, Callable[[dict[str, Any]], None]]]) -> None:
        """:meth:`ahead` for read-modify-writes this pass will make next (:meth:`update_json_many`): the
        folder store reads each file now and announces what ``change`` makes of it. Under the lock the
        file is read and changed again, and what was written ahead is taken only for the same bytes (a
        writer in between costs its fsync, never its write). ``change`` is called twice: it may depend
        on nothing but the file it is given. Nothing in memory."""

    def _ahead_bytes(self, path: Path, data: bytes) -> None:
        """:meth:`ahead` of bytes already encoded."""

    @contextmanager
    def later(self, later: bool = True) -> Iterator[None]:
        """With ``later``, the folder store's renames inside owe their folder's fsync: it runs in the
        fsync wave of the next write's temp files, and in any case before the next rename, link,
        removal or append (so before anything that depends on them appears), or at the end of the pass.
        Files created next in the same folder (:meth:`create_json_many`) share its fsync: for what does
        not depend on what the renames wrote (siblings, as a plan's subtask files are)."""
        yield

    def _waiting(self) -> None:
        start, self._meanwhile = self._meanwhile, None
        if start is not None:
            start()

    # read at each use, so a reloaded configuration applies at once
    def lock_timeout(self) -> float:
        return self.settings.config.watch.lock_timeout_seconds

    def read_retries(self) -> int:
        return self.settings.config.watch.read_retries

    def read_retry_delay(self) -> float:
        return self.settings.config.watch.read_retry_delay_seconds

    # --- primitives ---------------------------------------------------------------------

    def _read_bytes(self, path: Path) -> bytes:
        """The file's bytes; ``FileNotFoundError`` when absent, ``OSError`` when unreadable."""
        raise NotImplementedError

    def _replace(self, path: Path, data: bytes, *, durable: bool) -> None:
        """Atomically replace ``path`` (durable: the file and its folder synced before returning)."""
        raise NotImplementedError

    def _check_replaceable(self, path: Path) -> None:
        """Raise :class:`StoreError` for a file :meth:`_replace` refuses by itself (a symlink in its place)."""

    def _replace_many(self, files: list[tuple[Path, bytes]]) -> None:
        """:meth:`_replace` (durable) for several files: all synced before returning."""
        for path, data in files:
            self._replace(path, data, durable=True)

    def _create(self, files: list[tuple[Path, bytes]]) -> list[bool]:
        """Create each missing file atomically; False for each that exists (durable)."""
        raise NotImplementedError

    def _replace_if_unchanged(self, path: Path, data: bytes, expected: Identity) -> Identity | None:
        """Replace ``path`` durably unless it changed since it was ``expected``; the new identity or None."""
        raise NotImplementedError

    def locked(self, path: Path, *, wait: bool = True) -> AbstractContextManager[None]:
        """Hold ``<path>.lock`` against other processes. Raises :class:`LockTimeout`; without ``wait``,
        :class:`LockBusy` at once when another holds it."""
        raise NotImplementedError

    def identity(self, path: Path) -> Identity:
        raise NotImplementedError

    def stamp(self) -> int:
        """Now, in the unit of an identity's mtime: taken before a stat, for :meth:`settled`."""
        return 0

    def settled(self, identity: Identity, stamp: int) -> bool:
        """Whether any later change of the file must change ``identity`` (stat'ed after ``stamp``).

        Not so while its mtime is within the file system's timestamp granularity of ``stamp``: a
        writer may rewrite it in place, to the same size, within the same tick of that clock.
        """
        return True

    def is_own(self, path: Path) -> bool:
        """Whether ``path`` is still exactly as this store last wrote it: a file event for it is
        our own write coming back, and need not wake anyone."""
        return False

    def scan(self, folder: Path) -> list[tuple[Path, Identity]]:
        """Regular, non-hidden files of ``folder`` with their identity (an mtime alone misses a
        rewrite within one tick of the file system's clock), sorted by name."""
        raise NotImplementedError

    def listable(self, folder: Path) -> bool:
        """Whether ``folder`` can be listed: :meth:`scan` of one that cannot (unreadable, gone) is empty,
        which must not be taken for "every file in it is gone"."""
        return True

    def mtime(self, path: Path) -> float | None:
        raise NotImplementedError

    def remove(self, path: Path) -> None:
        raise NotImplementedError

    def append_line(self, path: Path, data: bytes) -> tuple[int, int] | None:
        """Append one whole line with one write; return the file's inode and the offset just past the line."""
        raise NotImplementedError

    def read_at(self, path: Path, offset: int, size: int) -> bytes:
        """``size`` bytes of ``path`` from ``offset`` (fewer past its end, none when absent)."""
        raise NotImplementedError

    def read_tail(self, path: Path, size: int) -> bytes:
        """The last ``size`` bytes of ``path`` (empty when absent)."""
        raise NotImplementedError

    def make_folders(self) -> None:
        raise NotImplementedError

    def sweep_temp_files(self, older_than: float = 60.0) -> list[Path]:
        """Remove temporary files a crash left behind (never anyone else's)."""
        return []

    @contextmanager
    def working(self) -> Iterator[None]:
        """A pass of the engine: around it, the folder store makes its spare files (none here)."""
        yield

    def drop_spares(self) -> None:
        """A clean stop: no spare file is made any more, and those made are removed."""

    # --- everything else, once for both backends -----------------------------------------

    def exists(self, path: Path) -> bool:
        return self.identity(path) != MISSING

    def read_json(self, path: Path) -> Any:
        """Parse a file. :class:`StoreError` names the file and what is wrong with it."""
        try:
            raw = self._read_bytes(path)
        except FileNotFoundError as exc:
            raise StoreError(f"{path}: missing") from exc
        except OSError as exc:
            raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        return parse_json(raw, path)

    def read_json_or_none(self, path: Path) -> Any:
        try:
            return self.read_json(path)
        except StoreError:
            return None

    def read_bytes(self, path: Path) -> bytes:
        """The file's bytes; ``FileNotFoundError`` when absent, ``OSError`` when unreadable."""
        return self._read_bytes(path)

    def read_text(self, path: Path) -> str | None:
        try:
            return self._read_bytes(path).decode("utf-8", errors="replace")
        except OSError:
            return None

    def list_json(self, folder: Path) -> list[Path]:
        """JSON files of a folder, sorted, without temporary or hidden files."""
        return [path for path, _ in self.scan(folder) if path.name.endswith(".json")]

    def write_bytes(self, path: Path, data: bytes, *, durable: bool = True) -> None:
        """Atomically replace ``path``; on any error the previous file stays intact.

        ``durable=False`` skips the fsyncs: for files rebuilt from others at every start.
        """
        try:
            self._replace(path, data, durable=durable)
        except OSError as exc:
            raise StoreError(f"{path}: cannot write: {exc.strerror or exc}") from exc

    def write_json(self, path: Path, data: Any, *, durable: bool = True) -> None:
        self.write_bytes(path, dump_json(data), durable=durable)

    def write_json_many(self, files: list[tuple[Path, Any]]) -> None:
        """:meth:`write_json` for several files, each durable before this returns (on disk their
        fsyncs run together and each folder is synced once). On an error some may be written."""
        try:
            self._replace_many([(path, dump_json(data)) for path, data in files])
        except OSError as exc:
            raise StoreError(f"{exc.filename or 'file'}: cannot write: {exc.strerror or exc}") from exc

    def write_lines(self, path: Path, data: dict[str, Any], key: str, *, durable: bool = True,
                    codec: QueueCodec | None = None) -> None:
        """Like :meth:`write_json`, with the list ``key`` written one item per line (``codec``: see
        :func:`dump_lines`; its items are never changed in place, only replaced)."""
        self.write_bytes(path, dump_lines(data, key, codec), durable=durable)

    def create_json(self, path: Path, data: Any) -> bool:
        """Write ``path`` only if it does not exist yet (atomic, even against another process).

        Returns False, writing nothing, when the file is already there: this is how a
        handoff is never written twice.
        """
        return self.create_json_many([(path, data)])[0]

    def create_json_many(self, files: list[tuple[Path, Any]]) -> list[bool]:
        """:meth:`create_json` for several files (one folder sync per folder on disk)."""
        try:
            return self._create([(path, dump_json(data)) for path, data in files])
        except OSError as exc:
            raise StoreError(f"{exc.filename or 'file'}: cannot create: {exc.strerror or exc}") from exc

    def update_json(self, path: Path, change: Callable[[dict[str, Any]], None], *, create: bool = True,
                    wait: bool = True) -> dict[str, Any]:
        """Read-modify-write a JSON object under its lock; a missing file starts empty (or, without
        ``create``, is left missing and ``{}`` returned). Without ``wait``, a held lock is :class:`LockBusy`."""
        with self.locked(path, wait=wait):
            data, new = self._changed_json(path, change, create)
            if new is not None:
                self.write_bytes(path, new)
            return data

    def update_json_many(self, changes: list[tuple[Path, Callable[[dict[str, Any]], None]]], *,
                         create: bool = True) -> list[dict[str, Any] | StoreError]:
        """:meth:`update_json` of several files: for each, what it returned or the :class:`StoreError` it
        raised. Those whose lock is free at once are locked together (in the order of their paths),
        read, changed, and written in one step under their locks: their fsyncs run together and each
        folder is synced once, where one by one each file waited on the disk twice. The others (a lock
        held by a worker, a file that cannot be read) go by :meth:`update_json` after, as before; once one
        of them waited out the lock timeout, the rest are tried without waiting (:class:`LockBusy`): five
        locked siblings waited five timeouts, past the watchdog's bound of three. A write of the step that
        fails raises :class:`StoreError` (some files may be written)."""
        results: list[dict[str, Any] | StoreError | None] = [None] * len(changes)
        alone: list[int] = []
        writes: list[tuple[Path, bytes]] = []
        with ExitStack() as held:
            for at in sorted(range(len(changes)), key=lambda at: changes[at][0]):
                path, change = changes[at]
                if not create and not self.exists(path):
                    results[at] = {}  # left missing, and no lock file made beside it
                    continue
                try:
                    held.enter_context(self.locked(path, wait=False))
                    data, new = self._changed_json(path, change, create)
                    if new is not None:
                        self._check_replaceable(path)  # else its write raised for the whole step
                except StoreError:  # by update_json below: it waits for the lock, and says what is wrong
                    alone.append(at)
                    continue
                results[at] = data
                if new is not None:
                    writes.append((path, new))
            if writes:
                try:
                    self._replace_many(writes)
                except OSError as exc:
                    raise StoreError(f"{exc.filename or 'file'}: cannot write: {exc.strerror or exc}") from exc
        waited = False  # one lock timeout for the step, not one per held file
        for at in sorted(alone):
            try:
                results[at] = self.update_json(*changes[at], create=create, wait=not waited)
            except LockTimeout as exc:
                waited, results[at] = True, exc
            except StoreError as exc:
                results[at] = exc
        return [result if result is not None else {} for result in results]

    def _changed_json(self, path: Path, change: Callable[[dict[str, Any]], None],
                      create: bool) -> tuple[dict[str, Any], bytes | None]:
        """The object ``change`` makes of the file, and its bytes to write (None: a file that stays the
        same is not rewritten; one missing without ``create`` is left missing)."""
        if not create and not self.exists(path):
            return {}, None
        data = self.read_json(path) if self.exists(path) else {}
        if not isinstance(data, dict):
            raise StoreError(f"{path}: top level is {type(data).__name__}, expected an object")
        before = dump_json(data) if data else b""
        change(data)
        after = dump_json(data)
        return data, after if after != before else None

    def read_queue(self, known: Snapshot | None = None) -> Snapshot | None:
        """The queue as it is now; ``None`` when there is no queue file.

        A file that does not parse is re-read ``read_retries`` times (another writer may
        be half-way through an in-place rewrite) before :class:`StoreError` is raised. When its
        bytes are those of ``known`` (same digest), ``known``'s document is taken instead of
        parsing them again (a 10,000-task queue takes 20 ms to parse, a fraction of 1 ms to compare).
        """
        path = self.layout.queue
        retries = self.read_retries()
        for attempt in range(retries + 1):
            identity = self.identity(path)
            try:
                raw = self._read_bytes(path)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from exc
            if known is not None and known.raw == raw:
                return Snapshot(known.document, raw, identity)
            try:
                document = self.queue_codec.decode(raw, lambda data: parse_json(data, path))
                if not isinstance(document, dict | list):
                    raise StoreError(f"{path}: top level is {type(document).__name__}, expected an object with 'tasks'")
                if isinstance(document, dict) and not isinstance(document.get("tasks", []), list):
                    raise StoreError(f"{path}: 'tasks' is {type(document['tasks']).__name__}, expected a list")
                return Snapshot(document, raw, identity)
            except StoreError:
                if attempt == retries:
                    raise
                time.sleep(self.read_retry_delay())
        raise AssertionError("unreachable")

    def update_queue(self, change: Callable[[Snapshot], bool], *, create: bool = False,
                     attempts: int = 5, known: Snapshot | None = None, says_edits: bool = False,
                     first: Callable[[Snapshot], bool] | None = None, settle_later: bool = False) -> Snapshot | None:
        """Read-modify-write the queue under its lock.

        ``change`` edits the snapshot's document in place and returns whether it changed
        anything. Writers that do not lock may still replace the file while we work: if
        the file changed between our read and our rename, we read again and redo the
        change, so their write is not lost. With ``create``, a missing queue starts empty.
        ``known``: the caller's own recent read, used (and edited) if the bytes are the same.
        ``says_edits``: ``change`` passes every task dict it changes to :meth:`Snapshot.edit`
        first (then only those are encoded again); otherwise any of them may have changed.
        ``first``: what must be durable before the queue that says so (a simple task's handoff), written
        under the lock once the change is made; the queue's temp file rides with its fsync
        (:meth:`ahead`). False: it could not write all it had to, and the change is made again on a
        fresh read (the change leaves out what failed).
        ``settle_later``: the queue's folder is fsynced with the temp files of the store's next durable
        write (a claimed task's plan), before anything else appears on disk (:meth:`later`).
        """
        path = self.layout.queue
        with self.locked(path):
            for _ in range(attempts):
                snapshot = self.read_queue(known)
                known = None  # a second round reads afresh
                if snapshot is None and create:
                    snapshot = Snapshot({"tasks": []}, b"", MISSING)
                if snapshot is None:
                    return None
                try:
                    changed = change(snapshot)
                except BaseException:  # it may have changed any task before it raised
                    self.queue_codec.forget(None)
                    raise
                self.queue_codec.forget(snapshot.edited if says_edits else None if changed else ())
                if not changed:
                    return snapshot
                data = dump_lines(snapshot.document, codec=self.queue_codec)
                if first is not None:
                    self._ahead_bytes(path, data)
                    if not first(snapshot):
                        self.queue_codec.forget(None)  # the change edited tasks this write will not hold
                        continue
                try:
                    with self.later(settle_later):
                        ours = self._replace_if_unchanged(path, data, snapshot.identity)
                except OSError as exc:
                    raise StoreError(f"{path}: cannot write: {exc.strerror or exc}") from exc
                if ours is not None:
                    return Snapshot(snapshot.document, data, ours)
            raise StoreError(f"{path}: changed under us {attempts} times in a row; will retry on the next change")

    def append_events(self, events: list[Event]) -> tuple[int, int, bytes] | None:
        """Compact JSON lines, one write: whole lines, never mixed with other writers' lines. Returns the
        file's inode, the offset just past them and their last bytes (what a later start looks for there)."""
        def line(data: dict[str, Any]) -> bytes:
            try:
                return orjson.dumps(data, default=str, option=orjson.OPT_APPEND_NEWLINE)
            except TypeError:  # a lone surrogate: ASCII escapes keep it
                return _utf8(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str) + "\n",
                             lambda: json.dumps(data, separators=(",", ":"), default=str) + "\n")

        data = b"".join(line(e.model_dump(exclude_none=True)) for e in events)
        try:
            appended = self.append_line(self.layout.events, data)
        except OSError as exc:
            raise StoreError(f"{self.layout.events}: cannot append: {exc.strerror or exc}") from exc
        return None if appended is None else (*appended, data[-EVENTS_MARK_BYTES:])

    def end_torn_event_line(self) -> bool:
        """If another writer left a torn last line, end it, so our first line stands on its own."""
        try:
            torn = self.read_tail(self.layout.events, 1) not in (b"", b"\n")
            if torn:
                self.append_line(self.layout.events, b"")  # append_line ends a torn line first
        except OSError:
            return False
        return torn


class FolderStore(Store):
    """The coordination folder on disk."""

    def __init__(self, layout: Layout, settings: Settings | None = None) -> None:
        super().__init__(layout, settings)
        self._real_root = layout.root.resolve()
        self._locks: dict[Path, FileLock] = {}
        self._locks_guard = threading.Lock()
        self._stuck: set[Path] = set()  # locks another process held past the timeout, until taken again
        self._written: dict[Path, Identity] = {}  # the last files we wrote, as we wrote them
        self._same_device: dict[Path, bool] = {}  # folder -> on the temp folder's file system
        self._checked: dict[Path, tuple[tuple[int, ...], ...]] = {}  # folder -> _folder_key when found inside the root
        self._temp_key: tuple[tuple[int, ...], ...] | None = None  # the temp folder's _folder_key
        self._spares: deque[tuple[str, int]] = deque()  # (path, open fd) of empty files made ahead
        self._spare_turn = threading.Condition()
        self._spare_busy = True  # a pass runs (or none ran yet): no spare is made now
        self._spare_stopped = False
        self._spare_thread: threading.Thread | None = None
        self._spare_names = (f"{SPARE_PREFIX}{uuid.uuid4().hex[:8]}-{n}" for n in count())
        self._retired: deque[tuple[int, int]] = deque()  # (O_PATH fd, size) of files a pass's renames replaced
        self._retired_bytes = 0
        self._in_pass = False
        self._waited_out = False  # a lock wait of this pass ran out: its other locks are tried, not waited for
        self._ahead: dict[Path, bytes] = {}  # announced by ahead(), its temp file not written yet
        self._ready: dict[Path, _Ahead] = {}  # announced, its temp file written and fsynced
        self._deferring = False  # in later(True)
        self._owed: set[Path] = set()  # folders whose fsync is owed (later), before anything else appears

    @contextmanager
    def working(self) -> Iterator[None]:
        """A pass: the files it writes take spare temp files, made between passes by a thread.

        Creating a file costs 0.4 ms of kernel time on this ext4 (a rename 13 us, a write 5 us):
        nine of them were half of a complex pickup. Spares are made only while no pass runs (a
        pass never waits behind one: at most the one being made), one at a time, up to
        :data:`SPARES`, in the unwatched temp folder only.
        """
        with self._spare_turn:
            self._spare_busy = True
        self._in_pass, self._waited_out = True, False
        try:
            yield
        finally:
            self._in_pass = self._waited_out = False
            try:
                self._settle()
            finally:
                self._drop_ahead()
                with self._spare_turn:
                    self._spare_busy = False
                    if self._spare_thread is None:
                        self._spare_thread = threading.Thread(target=self._make_spares, name="spares", daemon=True)
                        self._spare_thread.start()
                    self._spare_turn.notify()

    def _make_spares(self) -> None:
        while True:
            with self._spare_turn:
                while self._spare_busy or ((self._spare_stopped or len(self._spares) >= SPARES)
                                           and not self._retired):
                    self._spare_turn.wait()
                retired = self._let_go(1)[0] if self._retired else None
            if retired is not None:  # first let go of what the last pass replaced (see _retire)
                os.close(retired)
                continue
            try:
                temp = os.lstat(self.layout.temp)
                if not stat.S_ISDIR(temp.st_mode):
                    raise OSError(errno.ENOTDIR, "not a folder")
                path = os.path.join(self.layout.temp, next(self._spare_names))
                # held open: its inode cannot be freed and come back as someone else's file
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                with self._spare_turn:
                    kept = self._keep_spare((path, fd))
                if not kept:  # a clean stop while it was being made
                    os.close(fd)
                    os.unlink(path)
            except OSError:
                with self._spare_turn:  # no temp folder, a full disk: try again after the next pass
                    self._spare_busy = True

    def _keep_spare(self, spare: tuple[str, int]) -> bool:
        if self._spare_stopped:
            return False
        self._spares.append(spare)
        return True

    def drop_spares(self) -> None:
        with self._spare_turn:
            self._spare_stopped = True
            for fd in self._let_go(len(self._retired)):
                os.close(fd)
            while self._spares:
                path, fd = self._spares.popleft()
                os.close(fd)
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def _open_spare(self, mode: int) -> tuple[Path, int] | None:
        """A spare file still exactly as made (its name still leads to the inode we hold open,
        not through a symlink; empty; no other name), so nobody else's file is ever written or
        renamed through it; None when there is none (then a new temp file, as before)."""
        while self._spares:
            path, fd = self._spares.popleft()
            try:
                held, named = os.fstat(fd), os.lstat(path)
                if ((named.st_dev, named.st_ino) == (held.st_dev, held.st_ino) and held.st_nlink == 1
                        and held.st_size == 0):
                    os.fchmod(fd, mode)
                    return Path(path), fd
            except OSError:
                pass  # swept, or the temp folder replaced: the next one
            os.close(fd)
        return None

    def _retire(self, path: Path) -> None:
        """Hold the file at ``path`` (an ``O_PATH`` reference: no open, no inotify event) before a rename
        replaces it, so that it is freed when the spares thread closes the reference between passes.

        On ext4, a rename over a file frees the file it replaced before it returns: 0.3-4 ms of kernel
        time (more while the journal commits), against 20-60 us for the rename itself. A pickup renames
        over the queue before its plan can be written, then over the state file and the events mark
        before the pass ends. Nothing written changes: the same rename, the same fsyncs, in the same
        order; the replaced file, unnamed, is freed a moment later (or by the kernel after a crash)."""
        if not self._in_pass:
            return
        try:
            fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return  # nothing there (or not ours to hold): the rename does what it did
        try:
            size = os.fstat(fd).st_size
        except OSError:
            size = 0
        with self._spare_turn:
            self._retired.append((fd, size))
            self._retired_bytes += size
            oldest: list[int] = []
            while len(self._retired) > 1 and (len(self._retired) > RETIRED or self._retired_bytes > RETIRED_BYTES):
                oldest += self._let_go(1)
        for fd in oldest:
            os.close(fd)

    def _let_go(self, n: int) -> list[int]:
        """The ``n`` oldest held replaced files, taken off the list (the caller closes them); under ``_spare_turn``."""
        fds = []
        for _ in range(n):
            fd, size = self._retired.popleft()
            self._retired_bytes -= size
            fds.append(fd)
        return fds

    def _wrote(self, path: Path, temp: Path, identity: Identity | None = None) -> None:
        """Remember ``path`` as ``temp`` is, before the rename or link that makes it ``path``: after
        it, another writer may already have replaced it, and theirs must not pass for ours.
        ``identity``: ``temp``'s, when the caller has just checked it."""
        self._written[path] = file_identity(temp) if identity is None else identity
        if len(self._written) > OWN_WRITES_REMEMBERED:
            del self._written[next(iter(self._written))]

    def is_own(self, path: Path) -> bool:
        known = self._written.get(path)
        return known is not None and known == file_identity(path)

    @contextmanager
    def locked(self, path: Path, *, wait: bool = True) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.get(path)
            if lock is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                lock = FileLock(f"{path}.lock", mode=DEFAULT_MODE, poll_interval=0.002)
                self._locks[path] = lock
        timeout = self.lock_timeout()
        # one lock timeout a pass: once a wait ran out, the pass's other locks are tried, not waited for (three
        # plans each with a held file waited three, the watchdog's bound); a lock busy at that try is not stuck
        tried = wait and self._waited_out and path not in self._stuck
        try:
            # a lock once held past the timeout is tried again without waiting until it is taken:
            # waited for on every pass, it held up all other work (and the watchdog) each time
            lock.acquire(timeout=0 if path in self._stuck or not wait or tried else timeout)
        except Timeout as exc:
            if not wait or tried:
                raise LockBusy(f"{path}.lock: held by another") from exc
            if path not in self._stuck:  # waited for it (a stuck one is tried): the pass's wait is spent
                self._stuck.add(path)
                self._waited_out = self._in_pass
            raise LockTimeout(f"{path}.lock: still held by another process after {timeout:g}s") from exc
        self._stuck.discard(path)
        try:
            yield
        finally:
            lock.release()

    def _check_folder(self, folder: Path) -> None:
        """Create ``folder`` if needed and refuse one that leads outside the root (a symlink). A
        folder checked before is checked again only if it is no longer the same folder (one stat
        instead of resolving every component of its path at every write)."""
        try:
            key = self._folder_key(folder)
            if self._checked.get(folder) == key:
                return
        except FileNotFoundError:
            folder.mkdir(parents=True, exist_ok=True)
            key = self._folder_key(folder)
        if not folder.resolve().is_relative_to(self._real_root):
            raise UnsafeName(f"{folder}: leads outside {self.layout.root} (a symlink?); not written")
        # another folder now (a file system mounted on it, a folder put in its place): whether its temp files
        # may go to the temp folder is decided again (a rename or link across file systems fails on every write)
        self._same_device.pop(folder, None)
        self._checked[folder] = key

    def _folder_key(self, folder: Path) -> tuple[tuple[int, ...], ...]:
        """(device, inode, mode, owner, group) of each component below the root, not following symlinks: a folder (or
        one of its parents) moved away and replaced by a symlink to it keeps the folder's own
        inode, so a ``stat`` alone would take the swapped path for the folder checked before."""
        key: list[tuple[int, ...]] = []
        path, root = os.fspath(folder), os.fspath(self.layout.root)  # strings: pathlib's parents cost more than the lstat
        while path != root and path != (parent := os.path.dirname(path)):
            st = os.lstat(path)
            # its type (a freed inode may come back as a symlink), its permissions and owner (a folder the daemon may
            # no longer write is one to decide again): the same lstat
            key.append((st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid))
            path = parent
        return tuple(key)

    def _temp_moved(self) -> bool:
        """Whether the temp folder is no longer the one its last look found (:meth:`_temp_folder`)."""
        try:
            return self._folder_key(self.layout.temp) != self._temp_key
        except OSError:
            return True

    def _temp_path(self, path: Path) -> Path:
        return self._temp_folder(path.parent) / _temp_name(path)

    def _temp_folder(self, folder: Path, *, recheck: bool = True) -> Path:
        """The unwatched temp folder when it is on the same file system as ``folder`` (a rename or
        link cannot cross file systems), else ``folder``: where a temp file for it goes.

        ``recheck=False``: the temp folder was looked at for an earlier folder of the same batch of
        writes (:meth:`_target`): its key is not taken again (two ``lstat`` a folder, 16 a pickup)."""
        if recheck:
            try:
                temp_key: tuple[tuple[int, ...], ...] | None = self._folder_key(self.layout.temp)
            except OSError:
                temp_key = None
            if temp_key != self._temp_key:  # the temp folder was made, removed or replaced: decide again
                self._same_device.clear()
                self._temp_key = temp_key
        same = self._same_device.get(folder)
        if same is None:
            try:
                temp = os.lstat(self.layout.temp)
                # a real folder inside the root only: a file or FIFO in its place would fail every
                # write; a symlink would send the daemon's files elsewhere before their rename
                same = (stat.S_ISDIR(temp.st_mode) and os.stat(folder).st_dev == temp.st_dev
                        and self.layout.temp.resolve().is_relative_to(self._real_root)
                        and os.access(self.layout.temp, os.W_OK | os.X_OK))  # its permissions taken away: beside
            except OSError:
                same = False  # no temp folder (yet): beside the file, as always worked
            if same or self.layout.temp.is_dir():
                self._same_device[folder] = same
        return self.layout.temp if same else folder

    def ahead(self, files: list[tuple[Path, Any]]) -> None:
        self._ahead.update((path, dump_json(data)) for path, data in files)

    @contextmanager
    def later(self, later: bool = True) -> Iterator[None]:
        before, self._deferring = self._deferring, later or self._deferring
        try:
            yield
        finally:
            self._deferring = before

    def _synced(self, folder: Path) -> None:
        """A rename into ``folder`` is made durable now, or owed (:meth:`Store.later`)."""
        if self._deferring:
            self._owed.add(folder)
        else:
            self._sync_folder(folder)

    def _open_owed(self) -> list[int]:
        """The owed folders, opened for the fsync wave that pays them (owed no more: after a failed fsync, a
        second one says nothing)."""
        owed, self._owed = self._owed, set()
        fds: list[int] = []
        try:
            for folder in owed:
                fds.append(os.open(folder, os.O_RDONLY | os.O_DIRECTORY))
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        return fds

    def _settle(self, siblings: set[Path] | frozenset[Path] = frozenset()) -> None:
        """Fsync the owed folders: before a rename, link, removal or append, and at the end of a pass. Those
        in ``siblings`` stay owed: the links about to be made there are fsynced with them, after."""
        if self._owed - siblings:
            kept = self._owed & siblings
            self._owed -= kept
            try:
                _fsync_all(self._open_owed(), close=True)
            finally:
                self._owed |= kept

    def _ahead_bytes(self, path: Path, data: bytes) -> None:
        self._ahead[path] = data

    def ahead_changes(self, changes: list[tuple[Path, Callable[[dict[str, Any]], None]]]) -> None:
        for path, change in changes:
            try:
                _, new = self._changed_json(path, change, create=False)
            except StoreError:
                continue  # its own write says what is wrong
            if new is not None:
                self._ahead[path] = new

    def _drop_ahead(self) -> None:
        """The end of a pass: announced files it did not write (or wrote otherwise) leave no temp file."""
        self._ahead.clear()
        ready, self._ready = self._ready, {}
        for made in ready.values():
            made.temp.unlink(missing_ok=True)

    def _write_temp(self, path: Path, data: bytes, *, durable: bool = True) -> Path:
        return self._write_temps([(path, data)], durable=durable)[0]

    def _write_temps(self, files: list[tuple[Path, bytes]], *, durable: bool = True, absent: bool = False,
                     identities: dict[Path, Identity] | None = None) -> list[Path]:
        """:meth:`_write_temps_once`, made again if the temp folder was replaced while its batch was written
        (then its temp files go beside their files, as a new look at the temp folder decides)."""
        try:
            return self._write_temps_once(files, durable=durable, absent=absent, identities=identities)
        except _TempFolderMoved:
            if identities is not None:
                identities.clear()  # the temp files written ahead were given up with the rest
            return self._write_temps_once(files, durable=durable, absent=absent, identities=identities)

    def _write_temps_once(self, files: list[tuple[Path, bytes]], *, durable: bool = True, absent: bool = False,
                          identities: dict[Path, Identity] | None = None) -> list[Path]:
        """A temporary file beside each path, written, then all fsynced at once (the disk commits
        them together: six files cost little more than one), then closed.

        Durable, it takes the temp files :meth:`ahead` wrote for the same bytes (fsynced already), and
        writes and fsyncs those announced since in the same wave, for their own writes to take later.
        A file taken so is checked as a new one would be (its folder, a symlink in its place), and
        taken only if it is still the file written ahead, where a new one would go now.

        ``absent``: each path was found free just before, for a link (:meth:`_target`). ``identities``
        gets the identity of each file taken from those written ahead, as its check just found it (what
        :meth:`_wrote` would ``stat`` again)."""
        temps: list[Path | None] = [None] * len(files)
        taken: dict[Path, _Ahead] = {}  # this write's from now on: used, or removed
        if durable and self._ready:
            taken = {path: self._ready.pop(path) for path, _ in files if path in self._ready}
        extra: list[tuple[Path, bytes]] = []
        if durable and self._ahead:
            written = {path for path, _ in files}
            extra = [(path, data) for path, data in self._ahead.items() if path not in written
                     and (path not in self._ready or self._ready[path].data != data)]  # not twice
            self._ahead.clear()
        opened: list[tuple[Path, int]] = []
        ahead: list[tuple[tuple[Path, bytes], Path, int]] = []
        temp_folders: dict[Path, Path] = {}  # folder -> its temp folder: each checked once per batch
        try:
            for at, (path, data) in enumerate(files):
                target = self._target(path, temp_folders, absent=absent)
                made = taken.pop(path, None)
                if made is not None:
                    if made.data == data and made.usable(*target):
                        temps[at] = made.temp
                        if identities is not None:
                            identities[path] = made.identity
                        continue
                    made.temp.unlink(missing_ok=True)
                temp, fd = self._open_temp(path, temp_folders, target)
                opened.append((temp, fd))
                _write_all(fd, data)
                temps[at] = temp
            ahead = self._open_ahead(extra, temp_folders)
            if len(temp_folders) > 1 and self.layout.temp in temp_folders.values() and self._temp_moved():
                raise _TempFolderMoved  # its later folders used the batch's first look: none went through it
            if durable and (opened or ahead):
                self._waiting()
                owed = self._open_owed()  # the folder of an earlier rename (Store.later), in the same wave
                try:
                    _fsync_all([fd for _, fd in opened] + [fd for _, _, fd in ahead] + owed)
                except FsyncFailed as exc:
                    if exc.fds & ({fd for _, fd in opened} | set(owed)):
                        raise  # never fsynced again: after a writeback error a second fsync says nothing
                    for _, temp, fd in ahead:  # the announced files' own writes say what failed
                        if fd in exc.fds:
                            os.close(fd)
                            temp.unlink(missing_ok=True)
                    ahead = [made for made in ahead if made[2] not in exc.fds]
                finally:
                    for fd in owed:
                        os.close(fd)
        except BaseException:
            for made_temp, fd in opened:
                os.close(fd)
                made_temp.unlink(missing_ok=True)
            for _, spare, fd in ahead:
                os.close(fd)
                spare.unlink(missing_ok=True)
            for left in chain(temps, (made.temp for made in taken.values())):  # no file will use them
                if left is not None:
                    left.unlink(missing_ok=True)
            raise
        for _, fd in opened:
            os.close(fd)
        for (path, data), temp, fd in ahead:
            st = os.fstat(fd)
            os.close(fd)
            replaced = self._ready.get(path)
            if replaced is not None:  # announced again with other bytes: the older temp file is no one's
                replaced.temp.unlink(missing_ok=True)
            self._ready[path] = _Ahead(data, temp, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
        return [temp for temp in temps if temp is not None]

    def _open_ahead(self, files: list[tuple[Path, bytes]],
                    temp_folders: dict[Path, Path]) -> list[tuple[tuple[Path, bytes], Path, int]]:
        """Temp files for what :meth:`ahead` announced, written; one that cannot be (its folder, a symlink
        in its place, one leading outside the root) is left to its own write, which reports it."""
        written: list[tuple[tuple[Path, bytes], Path, int]] = []
        try:
            for path, data in files:
                try:
                    temp, fd = self._open_temp(path, temp_folders)
                except (OSError, StoreError, RuntimeError):  # RuntimeError: Path.resolve() of a symlink loop
                    continue
                try:
                    _write_all(fd, data)
                except OSError:
                    os.close(fd)
                    temp.unlink(missing_ok=True)
                    continue
                written.append(((path, data), temp, fd))
        except BaseException:
            for _, temp, fd in written:
                os.close(fd)
                temp.unlink(missing_ok=True)
            raise
        return written

    def _target(self, path: Path, temp_folders: dict[Path, Path], *, absent: bool = False) -> tuple[Path, int]:
        """Where a temp file for ``path`` goes and its mode; raises for a folder leading outside the
        root or a symlink in the file's place (never written through). ``absent``: the caller found no
        file there a moment ago and will link, never rename, into place (a link fails on anything there,
        a symlink too): the file's ``lstat`` is not taken again, and the mode is a new file's."""
        folder = path.parent
        temp_folder = temp_folders.get(folder)
        if temp_folder is None:
            self._check_folder(folder)
            # the temp folder's own key once per batch: its first folder looks, the others reuse what it saw
            temp_folder = temp_folders[folder] = self._temp_folder(folder, recheck=not temp_folders)
        if absent:
            return temp_folder, DEFAULT_MODE
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                raise UnsafeName(f"{path} is a symlink; not written through")
            mode = st.st_mode & 0o7777
        except FileNotFoundError:
            mode = DEFAULT_MODE
        return temp_folder, mode

    def _open_temp(self, path: Path, temp_folders: dict[Path, Path],
                   target: tuple[Path, int] | None = None) -> tuple[Path, int]:
        """A new temp file for ``path``, with its mode, open for writing."""
        temp_folder, mode = target or self._target(path, temp_folders)
        spare = self._open_spare(mode) if temp_folder == self.layout.temp else None
        if spare is not None:
            return spare
        temp = temp_folder / _temp_name(path)
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            if temp.parent != self.layout.temp:
                raise
            self._same_device.clear()  # the temp folder was removed, replaced or made unwritable: beside the files
            temp = self._temp_path(path)
            temp_folders[path.parent] = temp.parent
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        os.fchmod(fd, mode)
        return temp, fd

    @staticmethod
    def _sync_folder(folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read_bytes(self, path: Path) -> bytes:
        """A regular file, at most ``MAX_READ_BYTES``: a FIFO, a device or a folder is refused, never waited on."""
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            expected = _regular(fd, path).st_size
            if expected > MAX_READ_BYTES:
                raise OSError(errno.EFBIG, f"larger than {MAX_READ_BYTES >> 20} MiB", str(path))
            chunks, size = [], 0
            while chunk := os.read(fd, max(expected + 1, 1 << 16) - size if size < expected else 1 << 16):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_READ_BYTES:
                    raise OSError(errno.EFBIG, f"larger than {MAX_READ_BYTES >> 20} MiB", str(path))
            return b"".join(chunks)
        finally:
            os.close(fd)

    def _replace(self, path: Path, data: bytes, *, durable: bool) -> None:
        temp = self._write_temp(path, data, durable=durable)
        try:
            self._settle()
            self._wrote(path, temp)
            self._retire(path)
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if durable:
            self._synced(path.parent)

    def _check_replaceable(self, path: Path) -> None:
        if os.path.islink(path):
            raise UnsafeName(f"{path} is a symlink; not written through")

    def _replace_many(self, files: list[tuple[Path, bytes]]) -> None:
        if len(files) < 2:
            super()._replace_many(files)
            return
        temps = self._write_temps(files)
        try:
            self._settle()
            for (path, _), temp in zip(files, temps, strict=True):
                self._wrote(path, temp)
                self._retire(path)
                os.replace(temp, path)
        finally:
            for temp in temps:
                temp.unlink(missing_ok=True)  # those renamed are gone already
        folders = {path.parent for path, _ in files}
        if self._deferring:
            self._owed |= folders
            return
        _fsync_all([os.open(folder, os.O_RDONLY | os.O_DIRECTORY) for folder in folders], close=True)

    def _create(self, files: list[tuple[Path, bytes]]) -> list[bool]:
        todo: dict[Path, bytes] = {}
        for path, data in files:
            if not _a_file_is_there(path):
                todo.setdefault(path, data)  # a path given twice is created once
        identities: dict[Path, Identity] = {}
        temps = dict(zip(todo, self._write_temps(list(todo.items()), absent=True, identities=identities), strict=True))
        if temps:
            try:
                self._settle(siblings={path.parent for path in temps})
            except BaseException:
                for left in temps.values():
                    left.unlink(missing_ok=True)
                raise
        created: list[bool] = []
        folders: set[Path] = set()
        for path, _ in files:
            temp = temps.pop(path, None)
            if temp is None:
                created.append(False)
                continue
            try:
                self._wrote(path, temp, identities.get(path))
                os.link(temp, path)  # fails with EEXIST instead of replacing
                created.append(True)
                folders.add(path.parent)
            except FileExistsError:
                if not _a_file_is_there(path):  # raises: not for a folder or FIFO made in between
                    raise
                created.append(False)
            finally:
                # the file is linked, or not ours to make: a temp file that cannot be removed (its folder made
                # unwritable meanwhile) is what a crash here leaves, for the start's sweep, not a failed create
                with suppress(OSError):
                    temp.unlink(missing_ok=True)
        siblings = self._owed & {path.parent for path in todo}  # owed there: fsynced with these links
        self._owed -= siblings
        _fsync_all([os.open(folder, os.O_RDONLY | os.O_DIRECTORY) for folder in folders | siblings], close=True)
        return created

    def _replace_if_unchanged(self, path: Path, data: bytes, expected: Identity) -> Identity | None:
        temp = self._write_temp(path, data)
        # what the queue will look like once ours: taken from our own file, because another
        # writer may replace the queue the moment after our rename
        ours = file_identity(temp)
        try:
            if file_identity(path) != expected:
                return None  # an unlocked writer got in between: start over
            self._settle()
            self._wrote(path, temp, ours)
            self._retire(path)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        self._synced(path.parent)
        return ours

    def identity(self, path: Path) -> Identity:
        return file_identity(path)

    def stamp(self) -> int:
        return time.time_ns()

    def settled(self, identity: Identity, stamp: int) -> bool:
        """Linux file systems stamp to the nanosecond or the clock tick (at most 10 ms), or to whole
        seconds (ext3, HFS+, FAT: 2 s), which a whole-second mtime gives away."""
        mtime = identity[1]
        return mtime < stamp - (COARSE_SETTLE_NS if mtime % 1_000_000_000 == 0 else FINE_SETTLE_NS)

    def scan(self, folder: Path) -> list[tuple[Path, Identity]]:
        found: list[tuple[Path, Identity]] = []
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    found.append((Path(entry.path), (st.st_ino, st.st_mtime_ns, st.st_size)))
            except OSError:
                continue
        return sorted(found)

    def listable(self, folder: Path) -> bool:
        try:
            with os.scandir(folder):
                return True
        except OSError:
            return False

    def mtime(self, path: Path) -> float | None:
        try:
            return os.stat(path).st_mtime
        except OSError:
            return None

    def remove(self, path: Path) -> None:
        self._settle()
        path.unlink(missing_ok=True)

    def append_line(self, path: Path, data: bytes) -> tuple[int, int] | None:
        """One ``write()`` with ``O_APPEND``; never through a symlink, never into a FIFO or device.

        A torn last line (our short write on a full disk, or another writer's) is ended first.
        """
        self._settle()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     DEFAULT_MODE)
        try:
            st = _regular(fd, path)
            size = st.st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a torn last line, ours or another writer's: ours starts on its own
            written = os.write(fd, data)
            end = os.lseek(fd, 0, os.SEEK_CUR)  # where our bytes end, whatever another writer appends next
        finally:
            os.close(fd)
        if written != len(data):
            raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)", str(path))
        return st.st_ino, end

    def read_at(self, path: Path, offset: int, size: int) -> bytes:
        return self._pread(path, lambda _end: (offset, size))

    @staticmethod
    def _pread(path: Path, span: Callable[[int], tuple[int, int]]) -> bytes:
        """The bytes of a regular file at ``span(its size)`` (offset, size); none when it is absent."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return b""
        try:
            offset, size = span(_regular(fd, path).st_size)
            return os.pread(fd, size, offset)
        finally:
            os.close(fd)

    def read_tail(self, path: Path, size: int) -> bytes:
        return self._pread(path, lambda end: (max(0, end - size), min(size, end)))

    def make_folders(self) -> None:
        for folder in self.layout.folders():
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                if folder != self.layout.temp:
                    raise
                # someone's file in place of the temp folder: never removed; temp files go beside
                # their targets instead (see _temp_path)

    def sweep_temp_files(self, older_than: float = 60.0) -> list[Path]:
        """Also removes every spare file (an earlier run's; unlisted: no crash left them)."""
        try:
            for entry in os.scandir(self.layout.temp):
                if entry.name.startswith(SPARE_PREFIX):
                    Path(entry.path).unlink(missing_ok=True)
        except OSError:
            pass
        removed: list[Path] = []
        now = time.time()
        for folder in [self.layout.root, *self.layout.folders()]:
            try:
                entries = list(os.scandir(folder))
            except OSError:  # gone, or not readable (scan() reads it as empty): nothing of it to sweep
                continue
            for entry in entries:
                if is_own_temp(entry.name):
                    try:
                        if now - entry.stat().st_mtime > older_than:
                            os.unlink(entry.path)
                            removed.append(Path(entry.path))
                    except OSError:
                        # gone meanwhile, or its folder not writable (a create's temp file left there: see _create):
                        # left for a later start; the daemon runs with such a temp folder, so its start must not fail
                        pass
        return removed


class Crash(BaseException):
    """Raised by :class:`MemoryStore` in place of its ``crash_at``-th write: the process "dies" there.

    A ``BaseException``, so no ``except Exception`` in the core can swallow it.
    """


class MemoryStore(Store):
    """The same files in a dict, for in-process tests; can crash before any chosen write.

    Each write primitive is atomic, as the folder backend's are once their fsyncs are done
    (the syscall-trace test checks that on disk).
    """

    def __init__(self, layout: Layout | None = None, files: dict[Path, bytes] | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__(layout or Layout(Path("/coordination")), settings)
        self.files: dict[Path, bytes] = dict(files or {})
        self.mtimes: dict[Path, int] = {}
        self.writes = 0
        self.written: Counter[Path] = Counter()
        self.written_order: list[Path] = []
        self.crash_at: int | None = None
        self._clock = 0

    def copy(self) -> MemoryStore:
        """What a restarted process finds: the same files."""
        clone = MemoryStore(self.layout, self.files, self.settings)
        clone.mtimes = dict(self.mtimes)
        return clone

    def _write(self, path: Path, data: bytes) -> None:
        self._waiting()
        self.writes += 1
        if self.crash_at is not None and self.writes >= self.crash_at:
            raise Crash(f"crashed before write {self.writes} ({path})")
        self._clock += 1
        self.files[path] = data
        self.mtimes[path] = self._clock
        self.written[path] += 1
        self.written_order.append(path)

    @contextmanager
    def locked(self, path: Path, *, wait: bool = True) -> Iterator[None]:
        yield

    def _read_bytes(self, path: Path) -> bytes:
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(2, "No such file", str(path)) from None

    def _replace(self, path: Path, data: bytes, *, durable: bool) -> None:
        self._write(path, data)

    def _create(self, files: list[tuple[Path, bytes]]) -> list[bool]:
        created = []
        for path, data in files:
            created.append(path not in self.files)
            if created[-1]:
                self._write(path, data)
        return created

    def _replace_if_unchanged(self, path: Path, data: bytes, expected: Identity) -> Identity | None:
        if self.identity(path) != expected:
            return None
        self._write(path, data)
        return self.identity(path)

    def identity(self, path: Path) -> Identity:
        if path not in self.files:
            return MISSING
        return 1, self.mtimes.get(path, 0), len(self.files[path])

    def scan(self, folder: Path) -> list[tuple[Path, Identity]]:
        return sorted((p, self.identity(p)) for p in self.files
                      if p.parent == folder and not p.name.startswith("."))

    def mtime(self, path: Path) -> float | None:
        return float(self.mtimes.get(path, 0)) if path in self.files else None

    def remove(self, path: Path) -> None:
        self._write(path, b"")  # counts as a crash point like any write
        del self.files[path]

    def append_line(self, path: Path, data: bytes) -> tuple[int, int] | None:
        before = self.files.get(path, b"")
        self._write(path, before + (b"\n" if before and not before.endswith(b"\n") else b"") + data)
        return self.identity(path)[0], len(self.files[path])

    def read_at(self, path: Path, offset: int, size: int) -> bytes:
        return self.files.get(path, b"")[offset:offset + size]

    def read_tail(self, path: Path, size: int) -> bytes:
        return self.files.get(path, b"")[-size:]

    def make_folders(self) -> None:
        pass

    def put(self, path: Path, data: Any) -> None:
        """Write a file as another process would (no crash point, no lock)."""
        self._clock += 1
        self.files[path] = data if isinstance(data, bytes) else dump_json(data)
        self.mtimes[path] = self._clock

    def get(self, path: Path) -> Any:
        return json.loads(self.files[path])


def _regular(fd: int, path: Path) -> os.stat_result:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return st


_FSYNC_POOL: ThreadPoolExecutor | None = None


@dataclass(frozen=True)
class _Ahead:
    """A temp file written and fsynced ahead (:meth:`Store.ahead`) for its file's own write to take."""

    data: bytes
    temp: Path
    made: tuple[int, int, int, int]  # device, inode, size, mtime: still the file written ahead

    @property
    def identity(self) -> Identity:
        """:func:`file_identity` of the temp file while :meth:`usable` holds (its inode, mtime and size)."""
        return self.made[1], self.made[3], self.made[2]

    def usable(self, temp_folder: Path, mode: int) -> bool:
        """Whether it is still as written, where a new one would go now, with the mode one would have: the
        temp folder may have been removed or replaced since (then the name leads nowhere, or elsewhere)."""
        if self.temp.parent != temp_folder:
            return False
        try:
            st = os.lstat(self.temp)
        except OSError:
            return False
        return (stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and stat.S_IMODE(st.st_mode) == mode
                and (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == self.made)


class _TempFolderMoved(Exception):
    """The temp folder was replaced while a batch's temp files were made: they are given up and made again."""


class FsyncFailed(OSError):
    """fsync failed for the descriptors in ``fds`` (the first failure's errno and message); the others
    were fsynced. None of them is fsynced again: after a writeback error, Linux's next fsync succeeds."""

    fds: frozenset[int] = frozenset()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_all(fds: list[int], *, close: bool = False) -> None:
    """fsync every fd, in parallel when there are several (fsync releases the GIL): the first on this
    thread, the others on the pool's (one thread woken less: a wake-up cost 0.1-1 ms on a busy machine)."""
    global _FSYNC_POOL
    try:
        if len(fds) > 1:
            if _FSYNC_POOL is None:
                _FSYNC_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fsync")
            others = [_FSYNC_POOL.submit(_fsync_error, fd) for fd in fds[1:]]
            errors = [_fsync_error(fds[0]), *(future.result() for future in others)]
        else:
            errors = [_fsync_error(fd) for fd in fds]
        failed = [(fd, error) for fd, error in zip(fds, errors, strict=True) if error is not None]
        if failed:
            first = failed[0][1]
            exc = FsyncFailed(first.errno, first.strerror, first.filename)
            exc.fds = frozenset(fd for fd, _ in failed)
            raise exc from first
    finally:
        if close:
            for fd in fds:
                os.close(fd)


def _fsync_error(fd: int) -> OSError | None:
    try:
        os.fsync(fd)
    except OSError as exc:
        return exc
    return None


def _a_file_is_there(path: Path) -> bool:
    """Whether a regular file has ``path``'s name (then create-if-absent writes nothing: the file
    is the one an earlier run wrote, or another writer's). Anything else there raises: a folder,
    FIFO, device or symlink (even a dangling one) is no handoff, and taken for one, the work it
    announces would reach no master."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(mode):
        raise OSError(errno.EEXIST, "something that is not a regular file is in its place", str(path))
    return True


def _utf8(text: str, again: Callable[[], str]) -> bytes:
    """UTF-8 of a JSON text; one with a lone surrogate (half an emoji, as JavaScript cuts it) is
    written with ASCII escapes instead, which is valid JSON and keeps the value."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return again().encode("ascii")


def dump_json(data: Any) -> bytes:
    """Indented JSON, UTF-8, one final newline. orjson writes the same text as the json module
    10x faster; what it refuses (a lone surrogate, an integer beyond 64 bits) goes the slow way."""
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # orjson.JSONEncodeError
        return _utf8(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
                     lambda: json.dumps(data, indent=2, allow_nan=False) + "\n")


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_ASCII_ENCODER = json.JSONEncoder(allow_nan=False)


def _one_line(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        return _utf8(_ENCODER.encode(value), lambda: _ASCII_ENCODER.encode(value))


_MARK = "\x00orchestrator-line\x00"
_MARKED = b',"\\u0000orchestrator-line\\u0000",'


def _lines(values: list[Any]) -> list[bytes]:
    """Each value's :func:`_one_line`. orjson costs 2 µs a call however small the value (10,000
    tasks: 22 ms; as one list: 1 ms), so the values are encoded as one list with a marker string
    between them and cut there; counted, so a task holding the marker only costs the slow way."""
    if len(values) > 1:
        try:
            joined = orjson.dumps(list(chain.from_iterable(zip(values, repeat(_MARK))))[:-1])
        except TypeError:  # orjson.JSONEncodeError: a lone surrogate, a big integer
            pass
        else:
            lines = joined[1:-1].split(_MARKED)
            if len(lines) == len(values):
                return lines
    return [_one_line(value) for value in values]


def dump_lines(document: dict[str, Any] | list[Any], key: str = "tasks", codec: QueueCodec | None = None) -> bytes:
    """A document whose big list (``key``) has one item per line: readable, diffable, fast
    (a 10,000-task queue in 3 ms; indented, it would take 40). ``codec``: reuse each unchanged
    item's line from the last write (1 ms). Joined once: each ``+`` would copy the 2.7 MB again."""
    parts: list[bytes] = []

    def items(values: list[Any], indent: bytes) -> None:
        if not values:
            parts.append(b"[]")
            return
        lines = codec.lines(values, _lines) if codec is not None else _lines(values)
        parts.extend((b"[\n", indent, b"  ", (b",\n" + indent + b"  ").join(lines), b"\n", indent, b"]"))

    if isinstance(document, list):
        items(document, b"")
        parts.append(b"\n")
        return b"".join(parts)
    parts.append(b"{\n")
    for number, (name, value) in enumerate(document.items()):
        parts.extend((b",\n  " if number else b"  ", _one_line(name), b": "))
        if name == key and isinstance(value, list):
            items(value, b"  ")
        else:
            parts.append(_one_line(value))
    parts.append(b"\n}\n")
    return b"".join(parts)


def parse_json(raw: bytes, path: Path) -> Any:
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # a byte order mark (PowerShell, Notepad) is no JSON
    except UnicodeDecodeError as exc:
        raise StoreError(f"{path}: not UTF-8 (byte {exc.start})") from exc
    if not text or text.isspace():
        raise StoreError(f"{path}: empty")
    collecting = gc.isenabled() and len(raw) > GC_PAUSE_BYTES
    if collecting:  # a big queue makes ~100,000 objects: the collector would run dozens of times
        gc.disable()
    try:
        return STRICT.decode(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise StoreError(f"{path}: nested too deeply") from exc
    except ValueError as exc:  # a number beyond reach: read, it would fail every pass or be written back as null
        raise StoreError(f"{path}: {str(exc).split(';')[0]}") from exc
    finally:
        if collecting:
            gc.enable()


GC_PAUSE_BYTES = 1 << 16
OWN_WRITES_REMEMBERED = 4096


def _temp_name(path: Path) -> str:
    """A new temp file's name for ``path``, one :func:`is_own_temp` knows."""
    return f"{TEMP_PREFIX}{path.name}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}"


def is_own_temp(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)
