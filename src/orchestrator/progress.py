"""Where an orchestration stands and what happens next. Pure: a plan in, decisions out.

Stages are barriers (the seed): a stage is handed off only when every subtask of the
earlier stages is done. While a plan is blocked by a failed subtask, work that does not
depend on it may still go on: a subtask whose dependencies are all done is handed off.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from orchestrator import dag
from orchestrator.config import RetryConfig
from orchestrator.models import ACTIVE, DONE, Plan, Progress, Subtask


def graph(plan: Plan) -> dict[str, list[str]]:
    return {s.subtask_id: list(s.dependencies) for s in plan.subtasks}


def current_stage(plan: Plan) -> int:
    """The first stage with work not done (one past the last when everything is done)."""
    for number, ids in enumerate(plan.execution_plan.values(), 1):
        if any(plan.subtask(i).status not in DONE for i in ids):
            return number
    return len(plan.execution_plan) + 1


def ready(plan: Plan) -> list[Subtask]:
    """Pending subtasks to hand off now."""
    if plan.status == "in_progress":
        stage = current_stage(plan)
        ids = plan.execution_plan.get(f"stage_{stage}", [])
        return [plan.subtask(i) for i in ids if plan.subtask(i).status == "pending"]
    if plan.status == "blocked":
        done = {s.subtask_id for s in plan.subtasks if s.status in DONE}
        return [s for s in plan.subtasks if s.status == "pending" and set(s.dependencies) <= done]
    return []


def is_complete(plan: Plan) -> bool:
    return all(s.status in DONE for s in plan.subtasks)


def unaffected_by(plan: Plan, subtask_id: str) -> list[str]:
    """Subtasks that neither are nor depend on ``subtask_id``: they may go on while it blocks."""
    blocked = dag.downstream(graph(plan), subtask_id) | {subtask_id}
    return [s.subtask_id for s in plan.subtasks if s.subtask_id not in blocked]


def summarize(plan: Plan) -> Progress:
    """The plan's ``progress`` section, derived from its subtasks."""
    def having(statuses: frozenset[str]) -> list[str]:
        return [s.subtask_id for s in plan.subtasks if s.status in statuses]

    return Progress(
        current_stage=min(current_stage(plan), len(plan.execution_plan)),
        completed_subtasks=having(DONE),
        active_subtasks=having(ACTIVE),
        failed_subtasks=having(frozenset({"failed", "blocked"})),
        zombie_subtasks=[s.subtask_id for s in plan.subtasks if "zombie" in s.conditions and s.status in ACTIVE],
    )


def retry_delay(retry_count: int, config: RetryConfig, rng: random.Random) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), capped, +/- ``jitter`` of itself."""
    delay = min(config.backoff_max_seconds, config.backoff_base_seconds * 2 ** max(0, retry_count - 1))
    return max(0.0, float(delay) * (1 + rng.uniform(-config.jitter, config.jitter)))


def retry_due(retry_at: datetime | None, now: datetime, config: RetryConfig) -> datetime:
    """When a scheduled retry is due: its ``retry_at``; now if that is further away than the longest
    backoff (it was scheduled before the wall clock was set back, by at least the difference)."""
    longest = now + timedelta(seconds=config.backoff_max_seconds * (1 + config.jitter))
    return now if retry_at is None or retry_at > longest else retry_at


def attempts_in_round(plan: Plan, subtask: Subtask) -> int:
    """The subtask's attempts since a person last retried it (``orchestrator resume --retry``), this one
    included; all of them if nobody did. A person's retry is a decision to try again: it gives the
    subtask a fresh set of ``max_attempts`` attempts and a backoff that starts again from its base
    (counting every attempt ever made, the first failure after a person's retry escalated at once)."""
    retried = [i.attempt or 0 for i in plan.interventions
               if i.event == "resumed" and i.action == "retry" and i.subtask_id == subtask.subtask_id]
    return subtask.attempt - max(retried, default=0)


def should_escalate(attempts: int, transient: bool, config: RetryConfig) -> bool:
    """Escalate a permanent failure at once, a transient one after ``max_attempts`` failed attempts
    (``attempts``: of this round, :func:`attempts_in_round`)."""
    return not transient or attempts >= config.max_attempts


def waiting_for_a_person(plan: Plan) -> list[Subtask]:
    """Subtasks that failed for good (escalated): the plan is blocked while there is one."""
    return [s for s in plan.subtasks if s.status in ("failed", "blocked")]


def escalated_because(plan: Plan, subtask: Subtask) -> str:
    """Why ``subtask`` was escalated, as the plan's ``failure_reason`` said then."""
    reasons = [i.reason for i in plan.interventions if i.event == "escalated" and i.subtask_id == subtask.subtask_id]
    return next((r for r in reversed(reasons) if r), None) or subtask.error or "failed"


def moved_to(plan: Plan) -> str | None:
    """The master a person gave an aborted plan's task to instead (``orchestrator move``), if one did."""
    last = plan.interventions[-1] if plan.interventions else None
    return last.master if plan.status == "aborted" and last is not None and last.action == "simple" else None


def moved_by(plan: Plan) -> str:
    """Who asked for the plan's last intervention (the move, for :func:`moved_to`)."""
    return (plan.interventions[-1].requested_by if plan.interventions else None) or "a person"


def resume_problem(plan: Plan, action: str, subtask_id: str | None) -> str | None:
    """Why ``orchestrator resume`` cannot do ``action`` (abort, skip, retry) now, nor ``orchestrator move`` give the
    plan's task to one master instead (``simple``), or None if it can.

    The command checks this on the plan file before it answers; the daemon checks it again
    on the plan it holds when it carries the request out.
    """
    if plan.status in ("completed", "aborted"):
        return f"{plan.orchestration_id} is {plan.status}"
    if action == "abort":
        return None
    if action == "simple":  # what a master did of the plan would be done again, or lost
        begun = [s.subtask_id for s in plan.subtasks if s.status not in ("pending", "assigned")]
        return (f"work on it has begun ({', '.join(begun[:3])}): abort it (orchestrator resume "
                f"{plan.orchestration_id} --abort) and hand over what is left yourself") if begun else None
    ids = [s.subtask_id for s in plan.subtasks]
    if subtask_id not in ids:
        return f"{plan.orchestration_id} has no subtask {subtask_id!r} (it has: {', '.join(ids)})"
    subtask = plan.subtask(subtask_id)
    if action == "skip":
        return f"{subtask_id} is {subtask.status}: nothing to skip" if subtask.status in DONE else None
    if action == "retry":
        if subtask.status not in ("failed", "retry_wait", "blocked"):  # pending: its turn has not come
            return f"{subtask_id} is {subtask.status}: nothing to retry"
        return None
    return f"unknown action {action!r}"
