"""Every file format the orchestrator reads or writes, as pydantic models.

Formats we *write* (plan, subtask, handoff, state, event) follow the seed's field names.
Formats others write (the queue's tasks) are read through tolerant views: the raw JSON is
what gets written back, so a field we do not model is never lost.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestrator.timestamps import format_timestamp, now_iso, parse_timestamp

MASTERS: tuple[str, ...] = ("development", "security", "inventory", "cicd")

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
MAX_TASK_ID = 100
"""Longest task id: the file names made from it (``to-security-subtask-orch-{id}-{part}-attempt-3.json``
and their temporary files) must stay under the file system's 255 bytes."""
MAX_SUBTASK_ID = 160


def is_safe_id(value: str) -> bool:
    """An id that may become part of a file name: no separators, no ``..``, no hidden files."""
    return bool(SAFE_ID.fullmatch(value)) and ".." not in value


def describe(exc: Exception) -> str:
    """One line naming each field and what is wrong with it (pydantic's first line names neither)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors()[:10])
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def as_text(value: object) -> object:
    """A worker's result, error or progress as text: the system's workers write results as objects
    (``{"status": ..., "artifacts": [...]}``) and progress as a number; those are read as their JSON.
    Anything else is returned as it is."""
    if isinstance(value, dict | list | int | float) and not (isinstance(value, float) and value != value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def normalize_master(value: object) -> str | None:
    """``"\\ndevelopment"``, ``"development-master"``, ``"security-agent"`` -> the master's name."""
    if not isinstance(value, str):
        return None
    name = value.strip().lower()
    for suffix in ("-master", "-agent", "_master", "_agent"):
        name = name.removesuffix(suffix)
    return name or None


class QueueTask(BaseModel):
    """A typed, read-only view of one task of ``task-queue.json``.

    The daemon never serialises this model back: it edits the raw dict, so every
    field other writers put there survives.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(min_length=1)
    title: str = ""
    description: str | None = None
    type: str | None = None
    priority: str | None = None
    status: str | None = None
    assigned_to: str | None = None
    orchestration_required: bool = False
    complexity: str | int | float | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None
    subtasks: Any = None  # validated by the planner, which names every problem

    @field_validator("title", mode="before")
    @classmethod
    def _title_none_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("context", mode="before")
    @classmethod
    def _context_none_is_empty(cls, value: object) -> object:
        """``null`` is how many writers say "none", as for every other optional field."""
        return {} if value is None else value

    @field_validator("created_at", mode="before")
    @classmethod
    def _any_time_text(cls, value: object) -> object:
        return value if isinstance(value, str) else None

    @field_validator("orchestration_required", mode="before")
    @classmethod
    def _loose_bool(cls, value: object) -> object:
        if value is None:
            return False
        if isinstance(value, str):
            return value.strip().lower() in {"true", "yes", "1"}
        return value

    @property
    def full_description(self) -> str:
        """Top-level ``description`` (newer writers) or ``context.description`` (older)."""
        if self.description:
            return self.description
        nested = self.context.get("description")
        return nested if isinstance(nested, str) else ""

    @property
    def owner(self) -> str | None:
        return normalize_master(self.assigned_to)

    @property
    def declared_complexity(self) -> str | int | float | None:
        """``complexity`` at the top level or, in older tasks, inside ``context``."""
        if self.complexity is not None:
            return self.complexity
        nested = self.context.get("complexity")
        return nested if isinstance(nested, str | int | float) else None


# --- what the classifier decides ---------------------------------------------------


class Classification(BaseModel):
    """The explainable result of the decision framework."""

    decision: Literal["simple", "complex"]
    master: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    reasons: list[str]
    domains: list[str] = Field(default_factory=list)


# --- orchestration files (written by us, read by masters and by us) ------------------

SubtaskStatus = Literal[
    "pending", "assigned", "in_progress", "completed", "failed", "retry_wait", "blocked", "skipped"
]
DONE: frozenset[str] = frozenset({"completed", "skipped"})
ACTIVE: frozenset[str] = frozenset({"assigned", "in_progress"})


class Attempt(BaseModel):
    """One try at a subtask, kept for the escalation file and the report."""

    attempt: int
    handed_off_at: str | None = None
    worker_id: str | None = None
    pid: int | None = None
    started_at: str | None = None
    ended_at: str | None = None
    outcome: str | None = None
    reason: str | None = None


class Subtask(BaseModel):
    """The seed's subtask template: ``orchestrator/subtasks/{subtask_id}.json``.

    Extra fields written by masters or workers are kept (``extra="allow"``).
    """

    model_config = ConfigDict(extra="allow")

    subtask_id: str
    parent_task_id: str
    parent_orchestration: str
    title: str
    description: str
    assigned_to: str
    worker_type: str
    dependencies: list[str] = Field(default_factory=list)
    estimated_duration_minutes: int = Field(gt=0)
    estimated_tokens: int = Field(gt=0)
    files_affected: list[str] = Field(default_factory=list)
    success_criteria: str
    status: SubtaskStatus = "pending"
    stage: int = Field(ge=1)
    retry_count: int = 0
    created_at: str = Field(default_factory=now_iso)
    # what happens to it (written by masters, workers, `orchestrator subtask`, and the daemon)
    attempt: int = 1
    handed_off_at: str | None = None
    worker_id: str | None = None
    pid: int | None = None
    started_at: str | None = None
    last_heartbeat: str | None = None
    progress: str | None = None
    last_progress_at: str | None = None
    completed_at: str | None = None
    result: str | None = None
    error: str | None = None
    transient: bool | None = None
    retry_reason: str | None = None
    retry_modifications: str | None = None
    retry_at: str | None = None
    conditions: list[str] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)

    @field_validator("progress", "result", "error", mode="before")
    @classmethod
    def _reported_as_text(cls, value: object) -> object:
        """An object or a number there made the whole file invalid: a completion was ignored, and the
        subtask handed off again once its finished worker was taken for a zombie."""
        return as_text(value)

    @field_validator("started_at", "last_heartbeat", "completed_at", mode="before")
    @classmethod
    def _unix_time_is_a_time(cls, value: object) -> object:
        """A worker's Unix time (``time.time()``, ``Date.now()``), as heartbeat.json and worker specs
        may hold it: refused here, a worker beating so in its subtask file was stopped as a zombie."""
        moment = parse_timestamp(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        return format_timestamp(moment) if moment is not None else value

class Intervention(BaseModel):
    """An escalation of the plan, or a person's decision on it (``orchestrator resume``), when it happened.

    The plan keeps them in order (``interventions``) so the completion report can tell what
    happened after the plan was unblocked again.
    """

    at: str
    event: Literal["escalated", "resumed", "aborted"]
    subtask_id: str | None = None
    attempt: int | None = None
    reason: str | None = None
    """Why the plan was escalated."""
    action: str | None = None
    """What a person asked for: ``retry``, ``skip``, ``abort``, or ``simple`` (the task given to one master)."""
    master: str | None = None
    """For ``simple``: the master the task was given to instead of this plan."""
    requested_by: str | None = None


class ResourceEstimate(BaseModel):
    """Step 4 of the seed, with the plan example's field names."""

    total_subtasks: int
    duration_estimate: str
    duration_minutes_min: int
    duration_minutes_max: int
    token_estimate: int
    masters: list[str]
    workers: int
    parallelization_possible: bool
    critical_path: list[str]
    bottlenecks: list[str]


class Progress(BaseModel):
    current_stage: int = 1
    completed_subtasks: list[str] = Field(default_factory=list)
    active_subtasks: list[str] = Field(default_factory=list)
    failed_subtasks: list[str] = Field(default_factory=list)
    zombie_subtasks: list[str] = Field(default_factory=list)


PlanStatus = Literal["planning", "in_progress", "blocked", "completed", "failed", "aborted"]
PLAN_ENDED: frozenset[str] = frozenset({"completed", "failed", "aborted"})
"""A plan in one of these is over: nobody works on it, so it has no health."""


class Plan(BaseModel):
    """``orchestrator/tasks/{orchestration_id}.json``: the seed's orchestration plan."""

    model_config = ConfigDict(extra="allow")

    orchestration_id: str
    parent_task_id: str
    task_title: str
    task_description: str = ""
    task_created_at: str | None = None
    """The task's own ``created_at``: with the title, what tells a task from a later one that reuses its id."""
    priority: str = "medium"
    complexity: str = "high"
    created_at: str = Field(default_factory=now_iso)
    status: PlanStatus = "planning"
    planner: str
    classification: Classification
    subtasks: list[Subtask]
    execution_plan: dict[str, list[str]]
    resource_estimate: ResourceEstimate
    progress: Progress = Field(default_factory=Progress)
    stage_history: list[dict[str, Any]] = Field(default_factory=list)
    blocking_subtask: str | None = None
    failure_reason: str | None = None
    escalation: str | None = None
    completed_at: str | None = None
    report: str | None = None
    interventions: list[Intervention] = Field(default_factory=list)
    """Escalations and a person's decisions, in order (see :class:`Intervention`)."""
    outbox: list[dict[str, Any]] = Field(default_factory=list)
    """Events of the transition this write made, announced after it (see ``outbox.py``)."""

    def subtask(self, subtask_id: str) -> Subtask:
        return next(s for s in self.subtasks if s.subtask_id == subtask_id)


class HandoffContext(BaseModel):
    orchestration_context: str
    dependencies_completed: list[str] = Field(default_factory=list)
    next_subtasks: list[str] = Field(default_factory=list)
    related_subtasks: list[str] = Field(default_factory=list)


class HandoffTask(BaseModel):
    """What the master's handoff consumer needs to start a worker."""

    model_config = ConfigDict(extra="allow")

    id: str
    title: str
    type: str
    description: str
    priority: str


class Handoff(BaseModel):
    """``masters/{master}/handoffs/*.json``: the seed's handoff plus the consumer's fields."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    handoff_id: str
    from_: str = Field(default="orchestrator", alias="from")
    to: str
    task_id: str
    subtask_id: str | None = None
    parent_orchestration: str | None = None
    priority: str
    status: str = Field(default="pending", description=(
        "'pending' (or none): for its master to take. A master (or the handoff consumer) takes only these and skips "
        "every other status: its own ('processed', 'picked_up', ...) and 'cancelled', a handoff the daemon withdrew "
        "(cancel, move, retry, a plan aborted or given to one master), with cancelled_reason and cancelled_at. A "
        "withdrawn handoff is kept, not removed: the daemon reads it back (a task moved back offers it again, a start "
        "finishes a withdrawal a crash cut short), and it is the record of the withdrawal. The empty FILE.json.lock "
        "beside each handoff is never removed either (removing a lock file someone waits on lets two writers in)."))
    task: HandoffTask
    context: HandoffContext | None = None
    routing: dict[str, Any] | None = None
    attempt: int | None = None
    retry_reason: str | None = None
    previous_attempts: list[dict[str, Any]] | None = None
    created_at: str = Field(default_factory=now_iso)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class OrchestrationSummary(BaseModel):
    orchestration_id: str
    status: PlanStatus
    current_stage: int
    total_stages: int
    progress_percent: int
    active_subtasks: list[str]
    health: str


class OrchestratorState(BaseModel):
    """``orchestrator/state/current.json``."""

    active_orchestrations: int
    total_orchestrations: int
    completed_orchestrations: int
    failed_orchestrations: int
    blocked_orchestrations: int
    current_orchestrations: list[OrchestrationSummary]
    last_update: str = Field(default_factory=now_iso)


class Event(BaseModel):
    """One line of ``dashboard-events.jsonl``: ``timestamp``, ``type`` and flat details."""

    model_config = ConfigDict(extra="allow")

    timestamp: str = Field(default_factory=now_iso)
    type: str
    source: str = "orchestrator"
    event_id: str | None = None
    """Stable id of the step it announces (``scope:transition``), so a restart never announces it twice."""
    evidence: str | None = Field(default=None, description=(
        "task_assigned only: what the routing stood on. 'none': no routing word, the default master; 'tie': two "
        "domains scored the same and the tie-break chose; 'found': a rule, a word ahead, the type, a person's "
        "correction or the built-in model decided. 'none' and 'tie' are guesses (status lists them)."))
