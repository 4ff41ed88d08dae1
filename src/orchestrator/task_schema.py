"""The JSON Schema of a queue task as it is on disk after the daemon (``orchestrator schema task``).

Only the CLI imports this module: the daemon reads tasks through :class:`orchestrator.models.QueueTask` and edits the
raw JSON, so other writers' fields and values (kept as they are) never make a task unreadable; this model says what
the daemon and its commands write, for readers of the queue.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from orchestrator.models import QueueTask

Master = Literal["development", "security", "inventory", "cicd"]
QueueStatus = Literal["pending", "assigned", "orchestrating", "blocked", "completed", "cancelled"]
"""The statuses the daemon and its commands write into a queue task (masters and other writers write theirs too:
``in_progress``, ``failed``, ...)."""
_WHEN: JsonDict = {"format": "date-time"}


class EarlierAttempt(BaseModel):
    """One entry of a task's ``previous_attempts``: what an attempt left on the task, moved there by a retry (or a
    move to another master or to a plan), never dropped."""

    model_config = ConfigDict(extra="allow")

    attempt: int = Field(ge=1, description="the attempt's number (1 for the task's first)")
    status: str = Field(description="the status it ended with: blocked, failed, cancelled, orchestrating "
                                    "(a plan given to one master), moved_to_plan, or another writer's")
    ended_at: str = Field(json_schema_extra=_WHEN, description="when the next attempt began")
    assigned_to: str | None = None
    assigned_at: str | None = Field(None, json_schema_extra=_WHEN)
    assigned_by: str | None = None
    handoff_file: str | None = None
    routing_confidence: float | None = None
    routing_reasons: list[str] | None = None
    routing_strategy: str | None = None
    orchestration_id: str | None = None
    orchestration_started_at: str | None = Field(None, json_schema_extra=_WHEN)
    blocked_reason: str | None = None
    blocked_at: str | None = Field(None, json_schema_extra=_WHEN)
    error: Any = None
    cancelled_at: str | None = Field(None, json_schema_extra=_WHEN)
    cancelled_by: str | None = None
    cancelled_reason: str | None = None
    cancelled_from: str | None = None


class QueueTaskOnDisk(QueueTask):
    """One task of ``task-queue.json`` as it is on disk after the daemon and its commands: what the daemon reads
    (:class:`QueueTask`) and every field it writes."""

    status: QueueStatus | str | None = Field(None, description="pending, then assigned (a simple task, given to "
                                             "one master) or orchestrating (a complex one, planned); blocked, "
                                             "completed or cancelled at its end; other writers' statuses are kept")
    created_at: str | None = Field(None, json_schema_extra=_WHEN)
    created_by: str | None = Field(None, description="orchestrator-cli for a task orchestrator submit added")
    assigned_to: Master | str | None = Field(None, description="the master it is given to (what a person changes "
                                             "to move it)")
    assigned_by: Literal["orchestrator"] | str | None = Field(None, description="orchestrator when the daemon "
                                                              "routed or planned it")
    assigned_at: str | None = Field(None, json_schema_extra=_WHEN)
    routed_to: Master | None = Field(None, description="the master the daemon chose (assigned_to is a person's "
                                     "correction when it differs)")
    handoff_file: str | None = Field(None, pattern=r"^masters/[a-z]+/handoffs/[^/]+\.json$",
                                     description="the simple task's handoff, relative to the folder")
    routing_confidence: float | None = Field(None, ge=0.0, le=1.0)
    routing_reasons: list[str] | None = None
    routing_strategy: Literal["orchestrator-simple", "orchestrator-complex"] | str | None = None
    orchestration_id: str | None = Field(None, pattern=r"^orch-", description="orch-{task id}: its plan is "
                                         "orchestrator/tasks/{orchestration_id}.json")
    orchestration_started_at: str | None = Field(None, json_schema_extra=_WHEN)
    blocked_reason: str | None = Field(None, description="why it is blocked, for a person (null once resumed)")
    blocked_at: str | None = Field(None, json_schema_extra=_WHEN)
    escalation_file: str | None = Field(None, description="a blocked plan's escalation, relative to the folder")
    completed_at: str | None = Field(None, json_schema_extra=_WHEN)
    result: Any = Field(None, description="a completed plan's summary: subtasks, stages, success criteria met")
    report: str | None = Field(None, description="a plan's completion report, relative to the folder")
    cancelled_at: str | None = Field(None, json_schema_extra=_WHEN)
    cancelled_by: str | None = Field(None, description="who ran orchestrator cancel (user@host)")
    cancelled_reason: str | None = None
    cancelled_from: str | None = Field(None, description="its status when it was cancelled")
    retried_at: str | None = Field(None, json_schema_extra=_WHEN)
    retried_by: str | None = None
    retry_count: int | None = Field(None, ge=0, description="attempts before this one (orchestrator retry)")
    previous_attempts: list[EarlierAttempt] | None = None
    route_to: Master | None = Field(None, description="a plan a person gave to one master (orchestrator move): "
                                    "its next attempt goes there without a new decision")
    moved_at: str | None = Field(None, json_schema_extra=_WHEN)
    moved_by: str | None = None
    move_not_followed: Master | Literal["plan"] | None = Field(
        None, description="a move made too late (the first master had taken the handoff): said once, not followed")
