"""How a master or worker reports on a subtask: the edit that ``orchestrator subtask ...`` makes.

Pure: it edits the subtask file's JSON object in place (the caller holds the file's lock)
and says why it refuses, if it does. Writing the same fields directly is equally valid.
"""

from __future__ import annotations

from typing import Any, Literal

from orchestrator.models import ACTIVE

Action = Literal["start", "heartbeat", "complete", "fail"]


def apply(data: dict[str, Any], action: Action, now: str, *, worker_id: str | None = None, pid: int | None = None,
          progress: str | None = None, result: str | None = None, reason: str | None = None,
          transient: bool = True) -> str | None:
    """Record ``action``; a problem string (and no change) when it cannot apply."""
    if not data:
        return "no such subtask"
    closed = {a.get("worker_id") for a in data.get("attempts", []) if isinstance(a, dict) and a.get("outcome")
              and a.get("attempt", 0) < data.get("attempt", 1)}
    if worker_id and worker_id in closed and worker_id != data.get("worker_id"):
        return f"worker {worker_id} belongs to an earlier attempt; attempt {data.get('attempt')} is current"
    if data.get("status") not in ACTIVE:
        return f"subtask is {data.get('status')}, not assigned or in progress"
    if worker_id:
        data["worker_id"] = worker_id
    if pid:
        data["pid"] = pid
    if progress:
        data["progress"] = progress
    data["last_heartbeat"] = now
    if action == "start":
        data["status"] = "in_progress"
        data["started_at"] = now
    elif action == "complete":
        data["status"] = "completed"
        data["completed_at"] = now
        data["result"] = result or "completed"
    elif action == "fail":
        data["status"] = "failed"
        data["error"] = reason or "failed"
        data["transient"] = transient
    elif data.get("status") == "assigned":  # a heartbeat before start means it started
        data["status"] = "in_progress"
        data.setdefault("started_at", now)
    return None
