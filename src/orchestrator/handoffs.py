"""Handoffs for masters: the seed's fields plus what the handoff consumer needs. Pure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from orchestrator.models import Classification, Handoff, HandoffContext, HandoffTask, Plan, QueueTask, Subtask
from orchestrator.timestamps import parse_timestamp


def for_task(task: QueueTask, decision: Classification, master: str, now: str, attempt: int = 1) -> Handoff:
    """A simple task handed straight to one master (``masters/{master}/handoffs/{task_id}.json``; a retry's
    attempt N: ``{task_id}-attempt-N.json``)."""
    context = _beyond_description(task)
    return Handoff(
        handoff_id=task_handoff_id(master, task.id, attempt),
        attempt=attempt if attempt > 1 else None,
        to=master,
        task_id=task.id,
        priority=task.priority or "medium",
        task=HandoffTask(
            id=task.id,
            title=task.title or task.full_description[:120],
            type=task.type or master,
            description=_with_context(task.full_description or task.title, context),
            priority=task.priority or "medium",
            created_at=task.created_at,
            context=context or None,
        ),
        routing={"confidence": decision.confidence, "reasons": decision.reasons},
        created_at=now,
    )


def _beyond_description(task: QueueTask) -> dict[str, Any]:
    """The task's ``context`` but its ``description`` where that is the task's description (an older writer's
    place for it): a task with a description of its own keeps the one in ``context`` too."""
    used = not task.description and isinstance(task.context.get("description"), str)
    return {k: v for k, v in task.context.items() if not (used and k == "description")}


def _with_context(description: str, context: dict[str, Any]) -> str:
    """The request with what its ``context`` adds in words (acceptance criteria, requirements, the
    repository): a master that reads only ``task.description`` must not lose the criteria it is judged by.
    The context itself travels whole in ``task.context``."""
    parts = [description.strip()]
    for key, value in context.items():
        name = key.replace("_", " ").capitalize()
        if isinstance(value, str) and value.strip():
            parts.append(f"{name}: {value.strip()}")
        elif isinstance(value, list) and all(isinstance(item, str) for item in value) and (
                items := [item.strip() for item in value if item.strip()]):
            parts.append(f"{name}:\n" + "\n".join(f"- {item}" for item in items))
    return "\n\n".join(part for part in parts if part)


def task_handoff_id(master: str, task_id: str, attempt: int = 1) -> str:
    return f"to-{master}-{task_id}" + (f"-attempt-{attempt}" if attempt > 1 else "")


def handoff_id(subtask: Subtask) -> str:
    """Each attempt's handoff has its own id."""
    suffix = f"-attempt-{subtask.attempt}" if subtask.attempt > 1 else ""
    return f"to-{subtask.assigned_to}-subtask-{subtask.subtask_id}{suffix}"


def for_subtask(plan: Plan, subtask: Subtask, priority: str, now: str) -> Handoff:
    """A subtask of a plan, with the context the seed asks for (what came before, what waits)."""
    by_id = {s.subtask_id: s for s in plan.subtasks}
    waiting = [s.subtask_id for s in plan.subtasks if subtask.subtask_id in s.dependencies]
    parallel = [s for s in plan.execution_plan.get(f"stage_{subtask.stage}", []) if s != subtask.subtask_id]
    stages = len(plan.execution_plan)
    return Handoff(
        handoff_id=handoff_id(subtask),
        to=subtask.assigned_to,
        task_id=subtask.subtask_id,
        subtask_id=subtask.subtask_id,
        parent_orchestration=plan.orchestration_id,
        priority=priority,
        task=HandoffTask(
            id=subtask.subtask_id,
            title=subtask.title,
            type=subtask.worker_type,
            description=brief(plan, subtask),
            priority=priority,
        ),
        context=HandoffContext(
            orchestration_context=(
                f"Part of {plan.task_title!r} ({plan.orchestration_id}), stage {subtask.stage} of {stages}"
            ),
            dependencies_completed=list(subtask.dependencies),
            next_subtasks=[f"{s} (waits for this)" for s in waiting],
            related_subtasks=[f"{s} (parallel)" for s in parallel if s in by_id],
        ),
        attempt=subtask.attempt,
        retry_reason=subtask.retry_reason if subtask.attempt > 1 else None,
        previous_attempts=[
            a.model_dump(include={"attempt", "worker_id", "outcome", "reason"}, exclude_none=True)
            for a in subtask.attempts if a.outcome
        ] or None,
        created_at=now,
    )


MAX_QUOTED = 4000
"""Longest quotation of a request or an earlier result in a handoff (a master reads all of it)."""


def _quote(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + " [...]"


def brief(plan: Plan, subtask: Subtask) -> str:
    """What a master needs to act on one subtask: its part, how to know it is done, the whole
    request it belongs to, and what the subtasks it depends on produced."""
    by_id = {s.subtask_id: s for s in plan.subtasks}
    parts = [subtask.description.strip(), f"Success criteria: {subtask.success_criteria}"]
    if subtask.files_affected:
        parts.append(f"Files: {', '.join(subtask.files_affected)}")
    request = plan.task_description.strip() or plan.task_title
    parts.append(f"This is one part of {plan.task_title!r} ({plan.orchestration_id}), stage {subtask.stage} of "
                 f"{len(plan.execution_plan)}. The whole request:\n{_quote(request)}")
    done = [by_id[d] for d in subtask.dependencies if d in by_id]
    if done:
        lines = []
        for dep in done:
            changed = (dep.model_extra or {}).get("files_changed")
            files = f" (files changed: {', '.join(map(str, changed))})" if isinstance(changed, list) and changed else ""
            lines.append(f"- {dep.title} [{dep.subtask_id}, {dep.status}]: {_quote(dep.result or 'no result reported')}"
                         f"{files}")
        parts.append("What the work before this produced:\n" + "\n".join(lines))
    earlier = [a for a in subtask.attempts if a.outcome and a.attempt < subtask.attempt]
    if earlier:
        parts.append("Earlier attempts: " + "; ".join(f"attempt {a.attempt} ended {a.outcome}"
                                                      + (f" ({a.reason})" if a.reason else "") for a in earlier))
    return "\n\n".join(parts)


def withdraw(data: dict[str, Any], reason: str, now: str) -> bool:
    """Mark a handoff nobody should take any more ``cancelled``, if no one took it yet (it is
    ``pending``, or has no status); True if it was changed. The consumer takes every pending one."""
    if data.get("status", "pending") != "pending":
        return False
    data |= {"status": "cancelled", "cancelled_reason": reason, "cancelled_at": now}
    return True


def withdraw_to_announce(data: dict[str, Any], reason: str, now: str,
                         announced_since: Callable[[datetime], bool]) -> bool:
    """:func:`withdraw`, and True also for a handoff withdrawn for ``reason`` by a run that died before
    announcing it: ``announced_since(moment)`` says whether an event of that moment would have been seen
    (its event is keyed, so it is said once)."""
    if withdraw(data, reason, now):
        return True
    if data.get("status") != "cancelled" or data.get("cancelled_reason") != reason:
        return False
    moment = parse_timestamp(data.get("cancelled_at"))
    return moment is not None and announced_since(moment)


def offered_at(data: dict[str, Any]) -> Any:
    """When a handoff was last offered to its master: made, or offered again after a move back."""
    return data.get("offered_at") or data.get("created_at")


def moved(data: dict[str, Any], master: str, handoff_id: str, now: str) -> dict[str, Any]:
    """A simple task's handoff as the master a person moved the task to gets it: the first master's,
    readdressed (``moved_from`` says whose it was)."""
    offered = {k: v for k, v in data.items() if k not in ("cancelled_reason", "cancelled_at", "offered_at", "handed_on")}
    was = data.get("to")
    task = offered.get("task")
    if isinstance(task, dict) and task.get("type") == was:  # the type we gave it (the master's), not its writer's
        offered["task"] = task | {"type": master}
    routing = offered.get("routing")
    if isinstance(routing, dict):  # the master reads why it has the task: a person's choice, then what we had said
        reasons = routing.get("reasons")
        offered["routing"] = routing | {"confidence": 1.0, "reasons": [
            f"moved to {master} by a person; the orchestrator had routed it to {was}",
            *(f"(before the move) {reason}" for reason in (reasons if isinstance(reasons, list) else []))]}
    return offered | {"status": "pending", "to": master, "handoff_id": handoff_id, "moved_from": was,
                      "created_at": now}


def handed_on(data: Any, reason: str) -> str | None:
    """Where a handoff withdrawn for a move (``reason``) sent its task, once the new handoff was written:
    the move was followed, and the new handoff is its master's from then on (taken, perhaps removed).
    Only the withdrawal, with no mark, is a move a crash cut short: its new handoff is still to write."""
    if isinstance(data, dict) and data.get("status") == "cancelled" and data.get("cancelled_reason") == reason:
        mark = data.get("handed_on")
        return mark if isinstance(mark, str) else None
    return None


def mark_handed_on(data: dict[str, Any], reason: str, to: str) -> None:
    """The handoff withdrawn for a move (``reason``) says where its task went, once the new handoff is written
    (:func:`handed_on` reads it)."""
    if data.get("cancelled_reason") == reason:
        data["handed_on"] = to


def move_reason(master: str) -> str:
    """Why a handoff was withdrawn when a person moved its task to ``master``."""
    return f"moved to {master} by a person"


def moved_away(data: dict[str, Any]) -> bool:
    """A handoff withdrawn because a person moved its task to another master (to any: the task may have gone
    on from there to a third before it comes back)."""
    reason = data.get("cancelled_reason")
    prefix, suffix = move_reason("\0").split("\0")
    return (data.get("status") == "cancelled" and isinstance(reason, str) and reason.startswith(prefix)
            and reason.endswith(suffix))


def offer_again(data: dict[str, Any], moved_to: str | None, now: str) -> None:
    """A handoff withdrawn when a person moved its task away, now that the task is moved back from
    ``moved_to``: pending again, unless its master took it meanwhile. ``offered_at`` names this offer (the move's
    event id): the handoff keeps its ``created_at``, and a second move to the same master had the first's id.
    The task may come back from a master it was not moved to from here (development -> security -> cicd ->
    development): taking back only a handoff withdrawn for a move to ``moved_to`` left that one withdrawn for good."""
    if moved_away(data):
        data["status"] = "pending"
        data["offered_at"] = now
        if moved_to is not None:  # (None: a move withdrew it and was never followed: it went nowhere)
            data["moved_from"] = moved_to  # whose it was last: the master it comes back from
        data.pop("cancelled_reason", None)
        data.pop("cancelled_at", None)
        data.pop("handed_on", None)
