"""How a worker's report changes a subtask: one pure function for every way of reporting.

A master or worker reports with ``orchestrator subtask ...``, by writing the subtask file
directly, through its worker spec, or with heartbeat and status files. Each channel is turned
into a :class:`Report`, and :func:`apply_report` decides what it changes. Only the worker's
fields change (status, worker, PID, heartbeat, progress, result, error); a subtask only moves
forward (assigned -> in_progress -> completed | failed); a report from the worker of an
earlier attempt, or on a subtask that is not active, is refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from orchestrator.models import ACTIVE, Subtask, describe

Action = Literal["start", "heartbeat", "complete", "fail"]
Transition = Literal["started", "completed", "failed"]

WORKER_FIELDS = ("status", "worker_id", "pid", "started_at", "last_heartbeat", "progress", "completed_at",
                 "result", "error", "transient")
"""The fields of a subtask that belong to its worker; the daemon owns all the others."""

_FORWARD = {"assigned": {"in_progress", "completed", "failed"}, "in_progress": {"completed", "failed"}}


@dataclass(frozen=True)
class Report:
    """What one report says; ``None`` means "not said"."""

    status: str | None = None
    worker_id: str | None = None
    pid: int | None = None
    started_at: str | None = None
    heartbeat: str | None = None
    progress: str | None = None
    result: str | None = None
    error: str | None = None
    transient: bool | None = None
    attempt: int | None = None
    completed_at: str | None = None

    @classmethod
    def of_action(cls, action: Action, now: str, *, worker_id: str | None = None, pid: int | None = None,
                  progress: str | None = None, result: str | None = None, reason: str | None = None,
                  transient: bool = True) -> Report:
        """``orchestrator subtask ACTION``: every command is also a heartbeat."""
        status = {"start": "in_progress", "heartbeat": None, "complete": "completed", "fail": "failed"}[action]
        return cls(status=status, worker_id=worker_id, pid=pid, heartbeat=now, progress=progress,
                   result=(result or "completed") if action == "complete" else None,
                   error=(reason or "failed") if action == "fail" else None,
                   transient=transient if action == "fail" else None,
                   started_at=now if action == "start" else None)

    @classmethod
    def of_file(cls, written: Subtask) -> Report:
        """A subtask file as its writer left it: every worker field it holds."""
        return cls(status=written.status, worker_id=written.worker_id, pid=written.pid,
                   started_at=written.started_at, heartbeat=written.last_heartbeat, progress=written.progress,
                   result=written.result, error=written.error, transient=written.transient,
                   attempt=written.attempt, completed_at=written.completed_at)


@dataclass(frozen=True)
class Applied:
    """The subtask after a report, what happened to it, or why the report was refused."""

    subtask: Subtask
    transition: Transition | None = None
    refused: str | None = None
    stale: bool = False
    """Refused because it comes from an attempt that is over."""


def stale_workers(subtask: Subtask) -> set[str]:
    """Workers of attempts that are over: their reports are refused."""
    return {a.worker_id for a in subtask.attempts if a.worker_id and a.outcome and a.attempt < subtask.attempt}


TEXT_CHARS = 1 << 16
"""A worker's result, error and progress are kept up to this many characters (the rest is cut, and
said so): each is copied into the plan, which is rewritten at every step and read whole at every
start (two 35 MB results made a 70 MiB plan, beyond what a restart reads: the orchestration was lost)."""


def bounded_text(text: str | None) -> str | None:
    """``text`` cut to :data:`TEXT_CHARS`, with a note of its whole length; a text cut once stays as it is."""
    if text is None or len(text) <= TEXT_CHARS:
        return text
    note = f" [... cut: {len(text)} characters in all]"
    return text[:TEXT_CHARS - len(note)] + note


def apply_report(known: Subtask, report: Report, now: str) -> Applied:
    """The subtask as ``report`` leaves it (pure; ``now`` is the report's time)."""
    report = replace(report, result=bounded_text(report.result), error=bounded_text(report.error),
                     progress=bounded_text(report.progress))
    if report.attempt is not None and report.attempt < known.attempt:
        return Applied(known, refused=f"the report is for attempt {report.attempt}; attempt {known.attempt} is current",
                       stale=True)
    if report.worker_id and report.worker_id in stale_workers(known) and report.worker_id != known.worker_id:
        return Applied(known, refused=f"worker {report.worker_id} belongs to an earlier attempt; "
                                      f"attempt {known.attempt} is current", stale=True)
    update: dict[str, Any] = {}
    for field, value in (("worker_id", report.worker_id), ("pid", report.pid), ("result", report.result),
                         ("error", report.error), ("transient", report.transient)):
        if value is not None and value != getattr(known, field):
            update[field] = value
    if report.heartbeat and report.heartbeat != known.last_heartbeat:
        update["last_heartbeat"] = report.heartbeat
    if report.progress and report.progress != known.progress:
        update["progress"] = report.progress
        update["last_progress_at"] = now
    if known.status not in ACTIVE:
        if update or (report.status is not None and report.status != known.status):
            return Applied(known, refused=f"subtask is {known.status}, not assigned or in progress")
        return Applied(known)
    status = report.status if report.status in _FORWARD.get(known.status, set()) else None
    if status is None and known.status == "assigned" and (report.worker_id or report.heartbeat):
        status = "in_progress"  # a worker that names itself or beats has started
    transition: Transition | None = None
    if status is not None:
        update["status"] = status
        if not known.started_at:
            update["started_at"] = report.started_at or now
        transition = {"in_progress": "started", "completed": "completed", "failed": "failed"}[status]  # type: ignore[assignment]
        if status == "completed":
            update["completed_at"] = report.completed_at or now
            update["result"] = report.result or known.result or "completed"
        elif status == "failed":
            update["error"] = report.error or known.error or "failed"
            update["transient"] = report.transient if report.transient is not None else True
    if not update:
        return Applied(known)
    return Applied(known.model_copy(update=update), transition)


def apply(data: dict[str, Any], action: Action, now: str, **details: Any) -> str | None:
    """``orchestrator subtask ACTION`` on a subtask file's JSON (edited in place under its lock).

    Returns why the report was refused (and leaves ``data`` as it was), or None.
    """
    if not data:
        return "no such subtask"
    try:
        known = Subtask.model_validate(data)
    except ValueError as exc:
        return f"the subtask file is not valid: {describe(exc)}"
    if action in ("complete", "fail") and known.status == "assigned" and not known.worker_id \
            and not details.get("worker_id"):
        return "no worker has started this attempt: say which worker reports (--worker-id), or start it first"
    applied = apply_report(known, Report.of_action(action, now, **details), now)
    if applied.refused:
        return applied.refused
    if known.status not in ACTIVE:  # a command always says something: even a repeated heartbeat
        return f"subtask is {known.status}, not assigned or in progress"
    for key, value in applied.subtask.model_dump(mode="json", include=set(WORKER_FIELDS) | {"last_progress_at"}).items():
        if value is not None:
            data[key] = value
    return None
