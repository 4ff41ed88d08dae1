"""What workers and masters say about workers: specs, PID files, heartbeats, status files.

``worker-specs/{active,completed,failed,zombie}/*.json`` name the subtask in ``task_id``;
the PID is in the spec or in ``agents/workers/{worker_id}/worker.pid``; heartbeats are in
the spec (``heartbeat.last_heartbeat`` newer, ``execution.last_heartbeat`` older) and in
``agents/workers/{worker_id}/heartbeat.json``; ``status.json`` there says how it ended.
About half the specs of a real deployment are invalid JSON: each is reported once and
skipped. Specs are re-parsed only when their mtime changes, so a monitor tick stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from orchestrator.liveness import ProcessState, WorkerFacts
from orchestrator.models import Subtask
from orchestrator.store import Store, StoreError
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


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)  # type: ignore[assignment]
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
    results = data.get("results") if isinstance(data.get("results"), dict) else {}
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
    """An index of worker specs by subtask id, refreshed from disk on demand."""

    def __init__(self, store: Store, workspace: Path, report: Callable[[Path, str], None]) -> None:
        self.store = store
        self.root = store.layout.root
        self.workspace = workspace
        self._report = report  # called once per invalid file
        self._cache: dict[Path, tuple[int, Spec | None]] = {}
        self.by_task: dict[str, list[Spec]] = {}

    def refresh(self) -> None:
        seen: dict[Path, tuple[int, Spec | None]] = {}
        for folder in SPEC_FOLDERS:
            directory = self.root / "worker-specs" / folder
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue
            for entry in entries:
                if not entry.name.endswith(".json") or entry.name.startswith("."):
                    continue
                path = Path(entry.path)
                try:
                    mtime = entry.stat().st_mtime_ns
                except FileNotFoundError:
                    continue
                cached = self._cache.get(path)
                if cached and cached[0] == mtime:
                    seen[path] = cached
                    continue
                try:
                    spec = parse_spec(self.store.read_json(path), folder, path.stem)
                except StoreError as exc:
                    self._report(path, str(exc))
                    spec = None
                seen[path] = (mtime, spec)
        self._cache = seen
        index: dict[str, list[Spec]] = {}
        for _, spec in seen.values():
            if spec is not None:
                index.setdefault(spec.task_id, []).append(spec)
        self.by_task = index

    def spec_for(self, subtask: Subtask, stale_workers: set[str]) -> Spec | None:
        """The spec of the subtask's current worker (never one of an earlier attempt)."""
        candidates = [s for s in self.by_task.get(subtask.subtask_id, []) if s.worker_id not in stale_workers]
        if subtask.worker_id:
            mine = [s for s in candidates if s.worker_id == subtask.worker_id]
            if mine:
                return mine[0]
        handed_off = parse_timestamp(subtask.handed_off_at)
        fresh = [s for s in candidates if handed_off is None or s.created_at is None or s.created_at >= handed_off]
        return max(fresh, key=lambda s: s.created_at or datetime.min.replace(tzinfo=UTC), default=None)

    def facts(self, subtask: Subtask, stale_workers: set[str]) -> WorkerFacts:
        spec = self.spec_for(subtask, stale_workers)
        worker_id = subtask.worker_id or (spec.worker_id if spec else None)
        folder = self.root / "agents" / "workers" / worker_id if worker_id else None
        pid = subtask.pid or (spec.pid if spec else None)
        if pid is None and folder is not None:
            pid = _pid(_read_text(folder / "worker.pid"))
        beat = self.store.read_json_or_none(folder / "heartbeat.json") if folder else None
        beat = beat if isinstance(beat, dict) else {}
        status = self.store.read_json_or_none(folder / "status.json") if folder else None
        status = status if isinstance(status, dict) else {}
        heartbeats = [t for t in (parse_timestamp(beat.get("timestamp")), spec.heartbeat if spec else None) if t]
        finished = _finished(spec, status)
        error = status.get("error") or (spec.error if spec else None)
        if error is None and status.get("exit_code") not in (None, 0):
            error = f"exit code {status['exit_code']}"
        return WorkerFacts(
            worker_id=worker_id,
            pid=pid,
            process=process_state(pid, parse_timestamp(subtask.started_at)) if pid else None,
            heartbeat=max(heartbeats, default=None),
            files_changed=self._files_changed(subtask),
            progress=beat.get("progress") if isinstance(beat.get("progress"), str) else None,
            finished=finished,
            result=spec.result if spec else None,
            error=str(error) if error else None,
        )

    def _files_changed(self, subtask: Subtask) -> datetime | None:
        newest = None
        for name in subtask.files_affected:
            try:
                mtime = (self.workspace / name).stat().st_mtime
            except OSError:
                continue
            newest = max(newest or 0.0, mtime)
        return datetime.fromtimestamp(newest, UTC) if newest else None


def _finished(spec: Spec | None, status: dict[str, Any]) -> str | None:
    if status.get("status") in ("completed", "failed"):
        return str(status["status"])
    if spec is None:
        return None
    if spec.folder == "completed" or spec.status == "completed":
        return "completed"
    if spec.folder in ("failed", "zombie") or spec.status in ("failed", "zombie", "killed"):
        return "failed"
    return None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def process_state(pid: int, started: datetime | None) -> ProcessState:
    """``running``, ``gone``, ``zombie``, ``reused`` (a newer process has the PID), or ``unknown``."""
    try:
        process = psutil.Process(pid)
        created = process.create_time()
        state = process.status()
    except psutil.NoSuchProcess:
        return "gone"
    except psutil.AccessDenied:
        return "unknown"  # exists, but not ours to look at: not dead
    if started is not None and created > started.timestamp() + 2:
        return "reused"
    if state == psutil.STATUS_ZOMBIE:
        _reap(pid)
        return "zombie"
    return "running"


def _reap(pid: int) -> None:
    """Collect a zombie child of ours, so it does not linger."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_process(pid: int, started: datetime | None, grace: float) -> str:
    """Terminate, then kill, a local worker, after checking it is the same process."""
    if process_state(pid, started) != "running":
        return "not running"
    try:
        process = psutil.Process(pid)
        process.terminate()
        try:
            process.wait(grace)
            return "terminated"
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(grace)
            return "killed"
    except psutil.NoSuchProcess:
        return "not running"
    except psutil.AccessDenied:
        return "not allowed"
