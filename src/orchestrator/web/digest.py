"""What the page says about a picture of the folder. Pure: a picture and a time in, plain data out.

The question it answers first is "what is stuck, and why?": :func:`attention` lists, most
urgent first, escalations (with the commands that resume them), blocked tasks, workers that
look dead or silent, retries waiting, unreadable files, and a daemon that is not running.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestrator import eta, status
from orchestrator.models import ACTIVE, DONE, Plan
from orchestrator.registry import health
from orchestrator.report import OUTCOME_WORDS
from orchestrator.supervisor import resume_commands
from orchestrator.timestamps import parse_timestamp
from orchestrator.web.folder import Picture

QUEUE_GROUPS = ("pending", "assigned", "orchestrating", "blocked", "done")
GROUP_OF = {"completed": "done", "cancelled": "done", "in_progress": "assigned"}
LIVE_ORDER = {"blocked": 0, "in_progress": 1, "planning": 2}
CONDITION_TEXT = {
    "heartbeat_stale": "no heartbeat for longer than the timeout",
    "zombie": "running with no heartbeat, file change or progress: a zombie",
    "runtime_exceeded": "ran longer than the longest runtime allowed",
}
RESUME_MEANING = {"--retry": "try it again", "--skip": "count it as done and go on", "--abort": "give up the whole task"}
"""What each ``orchestrator resume`` choice does, said beside its command for someone who has not read the docs."""


def command_meaning(command: str) -> str | None:
    return next((meaning for flag, meaning in RESUME_MEANING.items() if f" {flag}" in f" {command} "), None)


def queue_counts(tasks: list[dict[str, Any]]) -> dict[str, int]:
    """The queue at a glance: the five groups, then any other status as written."""
    counts: Counter[str] = Counter()
    for task in tasks:
        status = str(task.get("status"))
        counts[GROUP_OF.get(status, status)] += 1
    return {group: counts.pop(group, 0) for group in QUEUE_GROUPS} | dict(sorted(counts.items()))


def queue_page(tasks: list[dict[str, Any]], group: str | None, page: int, size: int) -> tuple[list[dict[str, Any]], int]:
    """Newest first (the end of the queue), optionally one group; and how many there are in all."""
    chosen = [t for t in reversed(tasks) if group is None or GROUP_OF.get(str(t.get("status")), str(t.get("status"))) == group]
    return chosen[page * size:(page + 1) * size], len(chosen)


@dataclass(frozen=True)
class Row:
    """One orchestration in the list."""

    orchestration_id: str
    title: str
    status: str
    health: str
    stage: int
    stages: int
    percent: int
    eta_minutes: int | None
    created_at: str


def ordered(plans: list[Plan]) -> list[Plan]:
    """Live ones first (blocked, then running), then the finished; newest first within each."""
    found = sorted(plans, key=lambda p: p.created_at, reverse=True)
    found.sort(key=lambda p: LIVE_ORDER.get(p.status, 3))
    return found


def row(plan: Plan, now: datetime, locked: dict[str, dict[str, Any]] | None = None) -> Row:
    """``locked``: the picture's lock waits; a plan with one waits, as status says (status.waiting_health)."""
    done = sum(s.status in DONE for s in plan.subtasks)
    found = status.waits(plan, locked) if locked and plan.status in status.LIVE else []
    return Row(plan.orchestration_id, plan.task_title, plan.status, status.waiting_health(health(plan), found),
               min(plan.progress.current_stage, len(plan.execution_plan)), len(plan.execution_plan),
               round(100 * done / len(plan.subtasks)) if plan.subtasks else 0, eta_minutes(plan, now), plan.created_at)


def eta_minutes(plan: Plan, now: datetime) -> int | None:
    """Minutes until the plan is done (:func:`orchestrator.eta.estimate`, as ``status`` says it);
    ``None`` when it is not running. 0: the estimates are used up (overdue)."""
    return eta.estimate(plan, now).remaining_minutes if plan.status == "in_progress" else None


@dataclass(frozen=True)
class Node:
    """One subtask as the page draws it: the plan's view, with what its worker reported since."""

    subtask_id: str
    title: str
    stage: int
    status: str
    reported: str | None
    """The worker's status in its file when the daemon has not acted on it yet."""
    master: str
    worker_type: str
    worker_id: str | None
    attempt: int
    last_heartbeat: str | None
    heartbeat_age_seconds: float | None
    progress: str | None
    conditions: list[str]
    dependencies: list[str]
    error: str | None


def nodes(plan: Plan, picture: Picture, now: datetime) -> list[Node]:
    found = []
    for number, ids in enumerate(plan.execution_plan.values(), 1):
        for subtask_id in ids:
            s = plan.subtask(subtask_id)
            file = picture.subtask_files.get(subtask_id, {})
            beat = _newest(s.last_heartbeat, file.get("last_heartbeat"))
            moment = parse_timestamp(beat)
            reported = file.get("status")
            found.append(Node(
                subtask_id, s.title, number, s.status,
                reported if isinstance(reported, str) and reported != s.status and s.status in ACTIVE else None,
                s.assigned_to, s.worker_type, _text(file.get("worker_id")) or s.worker_id, s.attempt, beat,
                (now - moment).total_seconds() if moment else None,
                _text(file.get("progress")) or s.progress, list(s.conditions), list(s.dependencies),
                _text(file.get("error")) or s.error))
    return found


def _newest(*stamps: object) -> str | None:
    known = [(moment, stamp) for stamp in stamps if isinstance(stamp, str) and (moment := parse_timestamp(stamp))]
    return max(known)[1] if known else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Attention:
    """One thing that holds work up, and what to do about it."""

    kind: str
    """``daemon``, ``escalation``, ``blocked``, ``worker``, ``retry``, ``lock``, ``unreadable``, ``guess``."""
    subject: str
    reason: str
    orchestration_id: str | None = None
    commands: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def attention(picture: Picture, now: datetime) -> list[Attention]:
    found: list[Attention] = []
    waiting = [t for t in picture.tasks if t.get("status") == "pending" and not t.get("assigned_to")]
    live = [p for p in picture.plans if p.status in LIVE_ORDER]
    if not picture.daemon_running and (waiting or live):
        found.append(Attention("daemon", "No daemon is running",
                               f"nothing moves: {_count(len(waiting), 'pending task')} and "
                               f"{_count(len(live), 'live orchestration')} wait for it", commands=["orchestrator run"]))
    for plan in sorted(live, key=lambda p: p.created_at):
        if plan.status == "blocked":
            found.append(_escalation(plan, picture.escalations.get(plan.orchestration_id, {})))
    blocked_by_plan = {p.parent_task_id for p in live if p.status == "blocked"}
    for task in picture.tasks:
        if task.get("status") == "blocked" and task.get("id") not in blocked_by_plan:
            found.append(Attention("blocked", f"task {task.get('id')}: {task.get('title') or ''}".rstrip(": "),
                                   str(task.get("blocked_reason") or task.get("error") or "no reason given")))
    for plan in live:
        for node in nodes(plan, picture, now) if plan.status in ("in_progress", "blocked") else []:
            found.extend(_worker_trouble(plan, node, picture.heartbeat_timeout_seconds))
        if picture.lock_waits and plan.status in status.LIVE:  # in status's words (status.waits): one function
            found.extend(Attention("lock", f"{w['subtask_id']} ({plan.subtask(w['subtask_id']).assigned_to})",
                                   f"{w['why']}, since {w['since'] or 'an earlier start'}; {w['do']}",
                                   plan.orchestration_id)
                         for w in status.waits(plan, picture.lock_waits) if w["for"] == "lock")
    if picture.queue_problem:
        found.append(Attention("unreadable", "the queue cannot be read", picture.queue_problem))
    found.extend(Attention("unreadable", f"plan {p.path} cannot be read", p.problem) for p in picture.plan_problems)
    # last: nothing is held up, but a master may have got a task on a guess (status's list: one function)
    found.extend(Attention("guess", f"task {g['task_id']}: {g['title'] or ''}".rstrip(": "),
                           f"routed to {g['assigned_to']} on a guess ({g['why']}): check why, and move it if it is "
                           "another master's", commands=[f"orchestrator explain {g['task_id']}",
                                                         f"orchestrator move {g['task_id']} MASTER"])
                 for g in status.guesses(picture.tasks))
    return found


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _escalation(plan: Plan, escalation: dict[str, Any]) -> Attention:
    subtask_id = plan.blocking_subtask or str(escalation.get("blocking_subtask") or "")
    title = next((s.title for s in plan.subtasks if s.subtask_id == subtask_id), "")
    commands = escalation.get("resume")
    if not (isinstance(commands, list) and all(isinstance(c, str) for c in commands)):
        commands = resume_commands(plan.orchestration_id, subtask_id)
    details = [f"attempt {a.get('attempt')}: {OUTCOME_WORDS.get(str(a.get('outcome')), a.get('outcome') or 'ended')}"
               + (f" ({a.get('reason')})" if a.get("reason") else "")
               + (f" by {a.get('worker_id')}" if a.get("worker_id") else "")
               for a in escalation.get("attempts", []) if isinstance(a, dict)]
    may_go_on = escalation.get("may_go_on")
    if isinstance(may_go_on, list) and may_go_on:
        details.append(f"work that does not depend on it goes on: {len(may_go_on)} subtasks")
    reason = f"{subtask_id}: {plan.failure_reason or escalation.get('failure_reason') or 'failed'}"
    blocker = next((s for s in plan.subtasks if s.subtask_id == subtask_id), None)
    if blocker is not None and blocker.transient is False:  # else the reason says "failed N times"
        reason += " (its worker said retrying would not help, so it was not retried)"
    return Attention("escalation", f"{plan.task_title}: {title or subtask_id} failed; it waits for a person", reason,
                     plan.orchestration_id, list(commands), details)


def _worker_trouble(plan: Plan, node: Node, timeout: float) -> list[Attention]:
    found = []
    where = f"{node.subtask_id} ({node.master}, worker {node.worker_id or 'none yet'})"
    if node.status in ACTIVE:
        reasons = [CONDITION_TEXT.get(c, c) for c in node.conditions]
        silent = node.heartbeat_age_seconds is not None and node.heartbeat_age_seconds > timeout
        if silent and "heartbeat_stale" not in node.conditions:
            reasons.append(f"last heartbeat {age(node.heartbeat_age_seconds)} ago (timeout {age(timeout)})")
        if node.reported in ("completed", "failed"):
            reasons.append(f"its worker reported {node.reported}; the daemon has not acted on it yet")
        if reasons:
            found.append(Attention("worker", where, "; ".join(reasons), plan.orchestration_id))
    elif node.status == "retry_wait":
        subtask = plan.subtask(node.subtask_id)
        why = subtask.retry_reason or node.error or "no reason given"
        found.append(Attention("retry", where, f"attempt {node.attempt} failed ({why}); "
                               f"next attempt at {subtask.retry_at or 'the next pass'}: nothing to do, unless it "
                               "should not wait", plan.orchestration_id,
                               [f"orchestrator resume {plan.orchestration_id} {flag} {node.subtask_id}"
                                for flag in ("--retry", "--skip")]))
    return found


def age(seconds: float | None) -> str:
    """``42 s``, ``7 min``, ``2.5 h``; a dash when unknown."""
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{round(max(0.0, seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
