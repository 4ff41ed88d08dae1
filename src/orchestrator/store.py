"""All disk I/O of the orchestrator: paths, atomic writes, locks, events, tolerant reads.

Rules this module keeps so no other module has to think about them:

* every JSON file is written to a temporary file in the same folder, flushed, fsynced,
  renamed into place, and the folder fsynced; on failure the old file stays as it was;
* every read-modify-write of a shared file holds ``<file>.lock`` (``flock``, so a shell's
  ``flock task-queue.json.lock cmd`` excludes us and we exclude it); lock files are never
  deleted;
* a file someone else wrote is never rewritten unless it parsed;
* each event is one ``write()`` of one whole line to a file opened with ``O_APPEND``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from orchestrator.models import MASTERS, Event, is_safe_id

TEMP_PREFIX = ".orchestrator-"
TEMP_SUFFIX = ".tmp"
DEFAULT_MODE = 0o644


class StoreError(Exception):
    """A file could not be read, parsed or written; the message names the file and the problem."""


class UnsafeName(StoreError):
    """An id that would place a file outside its folder."""


class LockTimeout(StoreError):
    """Another process held a lock longer than ``lock_timeout_seconds``."""


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
        self.daemon_lock = self.orchestrator / "daemon.lock"
        self.escalations = self.orchestrator / "escalations"
        self.reports = self.orchestrator / "reports"
        self.requests = self.orchestrator / "requests"
        self.worker_specs = root / "worker-specs"
        self.agents = root / "agents" / "workers"
        self.masters = root / "masters"

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

    def task_handoff(self, master: str, task_id: str) -> Path:
        return self._inside(self.handoffs(master), task_id)

    def subtask_handoff(self, master: str, subtask_id: str, attempt: int = 1) -> Path:
        suffix = f"-attempt-{attempt}" if attempt > 1 else ""
        return self._inside(self.handoffs(master), f"to-{master}-subtask-{subtask_id}{suffix}")

    def escalation(self, orchestration_id: str) -> Path:
        return self._inside(self.escalations, orchestration_id)

    def report(self, orchestration_id: str, suffix: str) -> Path:
        return self._inside(self.reports, orchestration_id, suffix)

    def folders(self) -> list[Path]:
        """Every folder the orchestrator writes into."""
        return [self.tasks, self.subtasks, self.state.parent, self.escalations, self.reports, self.requests,
                *(self.handoffs(m) for m in MASTERS)]


@dataclass(frozen=True)
class Snapshot:
    """One parsed read of the queue: the whole document, its task list, and what it was."""

    document: dict[str, Any] | list[Any]
    digest: str
    identity: tuple[int, int, int]  # inode, mtime_ns, size: changes on any rewrite

    @property
    def tasks(self) -> list[Any]:
        if isinstance(self.document, list):
            return self.document
        tasks = self.document.get("tasks")
        return tasks if isinstance(tasks, list) else []


MISSING = (0, 0, 0)


def file_identity(path: Path) -> tuple[int, int, int]:
    """Inode, mtime and size: any rewrite changes it. ``MISSING`` when there is no file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return MISSING
    return st.st_ino, st.st_mtime_ns, st.st_size


class Store:
    """Reads and writes one coordination folder."""

    def __init__(self, layout: Layout, *, lock_timeout: float = 10.0, read_retries: int = 5,
                 read_retry_delay: float = 0.05) -> None:
        self.layout = layout
        self.lock_timeout = lock_timeout
        self.read_retries = read_retries
        self.read_retry_delay = read_retry_delay
        self._real_root = layout.root.resolve()
        self._locks: dict[Path, FileLock] = {}
        self._locks_guard = threading.Lock()

    # --- locks -----------------------------------------------------------------------

    @contextmanager
    def locked(self, path: Path) -> Iterator[None]:
        """Hold ``<path>.lock`` (flock). Raises :class:`LockTimeout` after ``lock_timeout``."""
        with self._locks_guard:
            lock = self._locks.get(path)
            if lock is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                lock = FileLock(
                    f"{path}.lock", timeout=self.lock_timeout, mode=DEFAULT_MODE, poll_interval=0.002,
                    fallback_to_soft=False, preserve_lock_file=True,
                )
                self._locks[path] = lock
        try:
            lock.acquire()
        except Timeout as exc:
            raise LockTimeout(f"{path}.lock: still held by another process after {self.lock_timeout:g}s") from exc
        try:
            yield
        finally:
            lock.release()

    # --- writing -----------------------------------------------------------------------

    def _temp_path(self, path: Path) -> Path:
        return path.with_name(f"{TEMP_PREFIX}{path.name}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}")

    def _write_temp(self, path: Path, data: bytes, *, durable: bool = True) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.parent.resolve().is_relative_to(self._real_root):
            raise UnsafeName(f"{path}: its folder leads outside {self.layout.root} (a symlink?); not written")
        if path.is_symlink():
            raise UnsafeName(f"{path} is a symlink; not written through")
        temp = self._temp_path(path)
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = DEFAULT_MODE
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return temp

    def _sync_folder(self, folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def write_bytes(self, path: Path, data: bytes, *, durable: bool = True) -> None:
        """Atomically replace ``path``; on any error the previous file stays intact.

        ``durable=False`` skips the fsyncs: for files rebuilt from others at every start.
        """
        try:
            temp = self._write_temp(path, data, durable=durable)
        except OSError as exc:
            raise StoreError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        try:
            os.replace(temp, path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StoreError(f"{path}: cannot replace: {exc.strerror or exc}") from exc
        if durable:
            self._sync_folder(path.parent)

    def write_json(self, path: Path, data: Any, *, durable: bool = True) -> None:
        self.write_bytes(path, dump_json(data), durable=durable)

    def write_lines(self, path: Path, data: dict[str, Any], key: str, *, durable: bool = True) -> None:
        """Like :meth:`write_json`, with the list ``key`` written one item per line."""
        self.write_bytes(path, dump_lines(data, key), durable=durable)

    def create_json(self, path: Path, data: Any) -> bool:
        """Write ``path`` only if it does not exist yet (atomic, even against another process).

        Returns False, writing nothing, when the file is already there: this is how a
        handoff is never written twice.
        """
        return self.create_json_many([(path, data)])[0]

    def create_json_many(self, files: list[tuple[Path, Any]]) -> list[bool]:
        """:meth:`create_json` for several files, with one folder fsync per folder."""
        created: list[bool] = []
        folders: set[Path] = set()
        for path, data in files:
            if path.exists():
                created.append(False)
                continue
            try:
                temp = self._write_temp(path, dump_json(data))
            except OSError as exc:
                raise StoreError(f"{path}: cannot write: {exc.strerror or exc}") from exc
            try:
                os.link(temp, path)  # fails with EEXIST instead of replacing
                created.append(True)
                folders.add(path.parent)
            except FileExistsError:
                created.append(False)
            except OSError as exc:
                raise StoreError(f"{path}: cannot create: {exc.strerror or exc}") from exc
            finally:
                temp.unlink(missing_ok=True)
        for folder in folders:
            self._sync_folder(folder)
        return created

    def update_json(self, path: Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Read-modify-write a JSON object under its lock; a missing file starts empty."""
        with self.locked(path):
            data = self.read_json(path) if path.exists() else {}
            if not isinstance(data, dict):
                raise StoreError(f"{path}: top level is {type(data).__name__}, expected an object")
            change(data)
            self.write_json(path, data)
            return data

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    # --- reading -----------------------------------------------------------------------

    def read_json(self, path: Path) -> Any:
        """Parse a file. :class:`StoreError` names the file and what is wrong with it."""
        try:
            raw = path.read_bytes()
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

    def read_queue(self) -> Snapshot | None:
        """The queue as it is now; ``None`` when there is no queue file.

        A file that does not parse is re-read ``read_retries`` times (another writer may
        be half-way through an in-place rewrite) before :class:`StoreError` is raised.
        """
        path = self.layout.queue
        for attempt in range(self.read_retries + 1):
            identity = file_identity(path)
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from exc
            try:
                document = parse_json(raw, path)
                if not isinstance(document, dict | list):
                    raise StoreError(f"{path}: top level is {type(document).__name__}, expected an object with 'tasks'")
                if isinstance(document, dict) and not isinstance(document.get("tasks", []), list):
                    raise StoreError(f"{path}: 'tasks' is {type(document['tasks']).__name__}, expected a list")
                return Snapshot(document, hashlib.blake2b(raw, digest_size=16).hexdigest(), identity)
            except StoreError:
                if attempt == self.read_retries:
                    raise
                time.sleep(self.read_retry_delay)
        raise AssertionError("unreachable")

    def update_queue(self, change: Callable[[Snapshot], bool], *, create: bool = False,
                     attempts: int = 5) -> Snapshot | None:
        """Read-modify-write the queue under its lock.

        ``change`` edits the snapshot's document in place and returns whether it changed
        anything. Writers that do not lock may still replace the file while we work: if
        the file changed between our read and our rename, we read again and redo the
        change, so their write is not lost. With ``create``, a missing queue starts empty.
        """
        path = self.layout.queue
        with self.locked(path):
            for _ in range(attempts):
                snapshot = self.read_queue()
                if snapshot is None and create:
                    snapshot = Snapshot({"tasks": []}, "", MISSING)
                if snapshot is None or not change(snapshot):
                    return snapshot
                data = dump_lines(snapshot.document)
                temp = self._write_temp(path, data)
                # what the queue will look like once ours: taken from our own file, because another
                # writer may replace the queue the moment after our rename
                ours = file_identity(temp)
                try:
                    if file_identity(path) != snapshot.identity:
                        continue  # an unlocked writer got in between: start over
                    os.replace(temp, path)
                finally:
                    temp.unlink(missing_ok=True)
                self._sync_folder(path.parent)
                return Snapshot(snapshot.document, hashlib.blake2b(data, digest_size=16).hexdigest(), ours)
            raise StoreError(f"{path}: changed under us {attempts} times in a row; will retry on the next change")

    def list_json(self, folder: Path) -> list[Path]:
        """JSON files of a folder, sorted, without temporary files."""
        try:
            names = sorted(entry.name for entry in os.scandir(folder) if entry.is_file())
        except FileNotFoundError:
            return []
        return [folder / n for n in names if n.endswith(".json") and not n.startswith(".")]

    # --- events ------------------------------------------------------------------------

    def append_event(self, event: Event) -> None:
        """One compact JSON line, one ``write()``, ``O_APPEND``: lines of several writers never mix."""
        line = json.dumps(event.model_dump(exclude_none=True), ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        fd = os.open(self.layout.events, os.O_WRONLY | os.O_APPEND | os.O_CREAT, DEFAULT_MODE)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
        if written != len(data):
            raise StoreError(f"{self.layout.events}: short write ({written} of {len(data)} bytes)")

    def end_torn_event_line(self) -> bool:
        """If another writer left a torn last line, end it, so our first line stands on its own."""
        try:
            with open(self.layout.events, "rb") as handle:
                handle.seek(-1, os.SEEK_END)
                torn = handle.read(1) != b"\n"
        except (FileNotFoundError, OSError):
            return False
        if torn:
            fd = os.open(self.layout.events, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, b"\n")
            finally:
                os.close(fd)
        return torn

    # --- housekeeping --------------------------------------------------------------------

    def sweep_temp_files(self, older_than: float = 60.0) -> list[Path]:
        """Remove our own temporary files left by a crash (never anyone else's)."""
        removed: list[Path] = []
        now = time.time()
        for folder in [self.layout.root, *self.layout.folders()]:
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                continue
            for entry in entries:
                if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX):
                    try:
                        if now - entry.stat().st_mtime > older_than:
                            os.unlink(entry.path)
                            removed.append(Path(entry.path))
                    except FileNotFoundError:
                        pass
        return removed

    def make_folders(self) -> None:
        for folder in self.layout.folders():
            folder.mkdir(parents=True, exist_ok=True)


def dump_json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def dump_lines(document: dict[str, Any] | list[Any], key: str = "tasks") -> bytes:
    """A document whose big list (``key``) has one item per line: readable, diffable, fast.

    ``indent=2`` makes the json module use its pure-Python encoder (3x slower on a
    10,000-task queue); one line per item keeps the C encoder.
    """
    def items(values: list[Any], indent: str) -> str:
        if not values:
            return "[]"
        return "[\n" + ",\n".join(indent + "  " + _ENCODER.encode(v) for v in values) + "\n" + indent + "]"

    if isinstance(document, list):
        return (items(document, "") + "\n").encode("utf-8")
    fields = [f"  {_ENCODER.encode(name)}: " + (items(value, "  ") if name == key and isinstance(value, list)
                                                  else _ENCODER.encode(value)) for name, value in document.items()]
    return ("{\n" + ",\n".join(fields) + "\n}\n").encode("utf-8")


def parse_json(raw: bytes, path: Path) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreError(f"{path}: not UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise StoreError(f"{path}: empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise StoreError(f"{path}: nested too deeply") from exc


def is_own_temp(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)

