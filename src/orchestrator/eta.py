"""When an orchestration should end, from its plan's estimates and what is done. Pure.

Stages run one after another and the subtasks of a stage in parallel, so what is left is,
stage by stage, the longest estimate still open in it: a subtask that is done counts 0, one
that is running counts its estimate minus the time since it started (never below 0), one
not yet started its whole estimate. A blocked orchestration waits for a person, so it has no
ETA; a finished one needs none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestrator.models import DONE, Plan, Subtask
from orchestrator.timestamps import format_timestamp, parse_timestamp


@dataclass(frozen=True)
class Eta:
    remaining_minutes: int | None
    """``None``: no ETA (finished, or blocked until a person acts)."""
    at: str | None
    """When, as a timestamp (UTC)."""
    why: str

    def to_json(self) -> dict[str, object]:
        return {"remaining_minutes": self.remaining_minutes, "at": self.at, "why": self.why}


def _left(subtask: Subtask, now: datetime) -> float:
    if subtask.status in DONE:
        return 0.0
    estimate = float(subtask.estimated_duration_minutes)
    started = parse_timestamp(subtask.started_at) if subtask.status == "in_progress" else None
    if started is None:
        return estimate
    return max(0.0, estimate - (now - started).total_seconds() / 60)


def estimate(plan: Plan, now: datetime) -> Eta:
    if plan.status in ("completed", "aborted", "failed"):
        return Eta(None, None, plan.status)
    if plan.status == "blocked":
        return Eta(None, None, f"blocked by {plan.blocking_subtask}: waits for orchestrator resume")
    by_id = {s.subtask_id: s for s in plan.subtasks}
    minutes = 0.0
    open_stages = 0
    for ids in plan.execution_plan.values():
        members = [by_id[i] for i in ids if i in by_id]
        open_stages += any(s.status not in DONE for s in members)
        minutes += max((_left(s, now) for s in members), default=0.0)
    remaining = round(minutes)
    at = format_timestamp(now + timedelta(minutes=minutes))
    return Eta(remaining, at, f"{open_stages} of {len(plan.execution_plan)} stages open, from the plan's estimates")


def render(eta: Eta, now: datetime) -> str:
    """``ETA 14:05Z (in 42 min)``; ``ETA overdue`` when the estimates are used up."""
    if eta.remaining_minutes is None or eta.at is None:
        return ""
    moment = parse_timestamp(eta.at)
    if eta.remaining_minutes == 0:
        return "ETA overdue"
    assert moment is not None
    clock = moment.strftime("%H:%M") if moment.date() == now.date() else moment.strftime("%Y-%m-%d %H:%M")
    return f"ETA {clock}Z (in {_duration(eta.remaining_minutes)})"


def _duration(minutes: int) -> str:
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
