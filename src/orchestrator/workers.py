"""What workers and masters say about workers: specs, PID files, heartbeats, status files.

``worker-specs/{active,completed,failed,zombie}/*.json`` name the subtask in ``task_id``;
the PID is in the spec or in ``agents/workers/{worker_id}/worker.pid``; heartbeats are in
the spec (``heartbeat.last_heartbeat`` newer, ``execution.last_heartbeat`` older) and in
``agents/workers/{worker_id}/heartbeat.json``; ``status.json`` there says how it ended.
About half the specs of a real deployment are invalid JSON: each is reported once and
skipped. Specs, and a worker's own files, are re-parsed only when they may have changed (their identity
changed, or was not settled when last read: :mod:`orchestrator.filecache`), so a monitor tick
stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from orchestrator.config import Settings
from orchestrator.filecache import CachedFile
from orchestrator.liveness import WorkerFacts
from orchestrator.models import Subtask, is_safe_id
from orchestrator.processes import ProcessTable
from orchestrator.store import Identity, Store, StoreError, parse_json
from orchestrator.timestamps import parse_timestamp

SPEC_FOLDERS = ("active", "completed", "failed", "zombie")


@dataclass(frozen=True)
class Spec:
    worker_id: str
    task_id: str
    folder: str
    status: str | None
    pid: int | None
    heartbeat: datetime | None
    created_at: datetime | None
    result: str | None
    error: str | None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _pid(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_spec(data: Any, folder: str, fallback_id: str) -> Spec | None:
    if not isinstance(data, dict) or not isinstance(data.get("task_id"), str):
        return None
    results: dict[str, Any] = data["results"] if isinstance(data.get("results"), dict) else {}
    result = results.get("summary") or results.get("output_location") or results.get("status")
    return Spec(
        worker_id=str(data.get("worker_id") or fallback_id),
        task_id=data["task_id"],
        folder=folder,
        status=data.get("status") if isinstance(data.get("status"), str) else None,
        pid=_pid(data.get("pid")) or _pid(_get(data, "execution", "pid")),
        heartbeat=parse_timestamp(_get(data, "heartbeat", "last_heartbeat"))
        or parse_timestamp(_get(data, "execution", "last_heartbeat")),
        created_at=parse_timestamp(data.get("created_at")),
        result=str(result) if result else None,
        error=str(data["error"]) if data.get("error") else None,
    )


class WorkerDirectory:
    """An index of worker specs by subtask id, refreshed from the store on demand."""

    def __init__(self, store: Store, settings: Settings, processes: ProcessTable,
                 report: Callable[[Path, str], None]) -> None:
        self.store = store
        self.layout = store.layout
        self.settings = settings
        self.processes = processes
        self._report = report  # called once per invalid file (while it is there)
        self._reported: set[Path] = set()
        self._cache: dict[Path, tuple[Identity, Spec | None, bool]] = {}  # its identity, parse, settled
        self.by_task: dict[str, list[Spec]] = {}
        self._files: dict[str, tuple[CachedFile, CachedFile, CachedFile] | None] = {}
        """Worker id -> its ``worker.pid``, ``heartbeat.json`` and ``status.json`` (None: an unsafe id)."""
        self._affected: dict[str, tuple[str | None, list[str], list[Path]]] = {}
        """Subtask id -> the workspace setting, its ``files_affected``, and their paths."""

    @property
    def workspace(self) -> Path:
        """The folder ``files_affected`` are relative to (read at each use: a reload applies at once)."""
        configured = self.settings.config.monitor.workspace_dir
        return Path(configured) if configured else self.layout.root.parent

    def refresh(self) -> None:
        stamp = self.store.stamp()  # before the scan's stats, as for every file the monitor reads
        seen: dict[Path, tuple[Identity, Spec | None, bool]] = {}
        for folder in SPEC_FOLDERS:
            for path, identity in self.store.scan(self.layout.worker_specs / folder):
                if not path.name.endswith(".json"):
                    continue
                cached = self._cache.get(path)
                if cached and cached[0] == identity and cached[2]:
                    seen[path] = cached
                    continue
                try:
                    spec = parse_spec(self.store.read_json(path), folder, path.stem)
                except StoreError as exc:
                    if path not in self._reported:  # rewritten, still invalid: said already
                        self._reported.add(path)
                        self._report(path, str(exc))
                    spec = None
                seen[path] = (identity, spec, self.store.settled(identity, stamp))
        self._cache = seen
        self._reported.intersection_update(seen)  # gone: forgotten, and a new file there is new
        index: dict[str, list[Spec]] = {}
        for _, spec, _ in seen.values():
            if spec is not None:
                index.setdefault(spec.task_id, []).append(spec)
        self.by_task = index

    def spec_for(self, subtask: Subtask, stale_workers: set[str]) -> Spec | None:
        """The spec of the subtask's current worker (never one of an earlier attempt)."""
        specs = self.by_task.get(subtask.subtask_id)
        if not specs:
            return None
        candidates = [s for s in specs if s.worker_id not in stale_workers]
        if subtask.worker_id:
            mine = [s for s in candidates if s.worker_id == subtask.worker_id]
            if mine:
                return mine[0]
        handed_off = parse_timestamp(subtask.handed_off_at)
        fresh = [s for s in candidates if handed_off is None or s.created_at is None or s.created_at >= handed_off]
        return max(fresh, key=lambda s: s.created_at or datetime.min.replace(tzinfo=UTC), default=None)

    def _files_of(self, worker_id: str | None) -> tuple[CachedFile, CachedFile, CachedFile] | None:
        if not worker_id:
            return None
        if worker_id not in self._files:
            folder = self.layout.worker(worker_id)
            self._files[worker_id] = (CachedFile(folder / "worker.pid"), CachedFile(folder / "heartbeat.json"),
                                      CachedFile(folder / "status.json")) if is_safe_id(worker_id) else None
        return self._files[worker_id]

    def keep_only(self, subtasks: list[Subtask]) -> None:
        """Forget what was read for workers and subtasks other than ``subtasks`` (after a full look),
        once there is much to forget: what is kept is checked by its identity before any use."""
        if len(self._files) + len(self._affected) <= 2 * len(subtasks) + 256:
            return
        workers = {s.worker_id for s in subtasks} | {s.worker_id for spec in self.by_task.values() for s in spec}
        self._files = {w: files for w, files in self._files.items() if w in workers}
        ids = {s.subtask_id for s in subtasks}
        self._affected = {i: paths for i, paths in self._affected.items() if i in ids}

    def facts(self, subtask: Subtask, stale_workers: set[str]) -> WorkerFacts:
        spec = self.spec_for(subtask, stale_workers)
        worker_id = subtask.worker_id or (spec.worker_id if spec else None)
        files = self._files_of(worker_id)
        pid = subtask.pid or (spec.pid if spec else None)
        if pid is None and files is not None:
            pid = files[0].parsed(self.store, _pid_file)
        beat = files[1].parsed(self.store, _json_object) if files else {}
        status = files[2].parsed(self.store, _json_object) if files else {}
        heartbeats = [t for t in (parse_timestamp(beat.get("timestamp")), spec.heartbeat if spec else None) if t]
        finished = _finished(spec, status)
        error = status.get("error") or (spec.error if spec else None)
        if error is None and status.get("exit_code") not in (None, 0):
            error = f"exit code {status['exit_code']}"
        return WorkerFacts(
            worker_id=worker_id,
            pid=pid,
            process=self.processes.state(pid, parse_timestamp(subtask.started_at)) if pid else None,
            heartbeat=max(heartbeats, default=None),
            files_changed=self._files_changed(subtask),
            progress=beat.get("progress") if isinstance(beat.get("progress"), str) else None,
            finished=finished,
            result=spec.result if spec else None,
            error=str(error) if error else None,
            beats=(beat.get("timestamp"), spec.heartbeat if spec else None),
        )

    def _files_changed(self, subtask: Subtask) -> datetime | None:
        if not subtask.files_affected:
            return None
        configured = self.settings.config.monitor.workspace_dir
        known = self._affected.get(subtask.subtask_id)
        if known is None or known[0] != configured or known[1] != subtask.files_affected:
            workspace = self.workspace
            known = self._affected[subtask.subtask_id] = (
                configured, list(subtask.files_affected), [workspace / name for name in subtask.files_affected])
        newest = max((t for t in map(self.store.mtime, known[2]) if t), default=None)
        return datetime.fromtimestamp(newest, UTC) if newest else None


def _pid_file(data: bytes | None) -> int | None:
    return _pid(data.decode("utf-8", errors="replace")) if data is not None else None


def _json_object(data: bytes | None) -> dict[str, Any]:
    """A JSON object, or {} for anything else (absent, unreadable, not JSON, not an object).

    Shared between looks while the file is unchanged: never changed by its readers."""
    if data is None:
        return {}
    try:
        parsed = parse_json(data, Path("worker file"))
    except StoreError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _finished(spec: Spec | None, status: dict[str, Any]) -> Literal["completed", "failed"] | None:
    if status.get("status") == "completed":
        return "completed"
    if status.get("status") == "failed":
        return "failed"
    if spec is None:
        return None
    if spec.folder == "completed" or spec.status == "completed":
        return "completed"
    if spec.folder in ("failed", "zombie") or spec.status in ("failed", "zombie", "killed"):
        return "failed"
    return None
