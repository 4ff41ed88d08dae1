"""The completion report of an orchestration, as JSON and Markdown. Pure."""

from __future__ import annotations

from typing import Any

from orchestrator.models import Plan, Subtask
from orchestrator.timestamps import parse_timestamp


def mermaid(plan: Plan) -> str:
    """The plan as a Mermaid flowchart, one box per subtask, grouped by stage."""
    lines = ["flowchart LR"]
    for stage, ids in plan.execution_plan.items():
        lines.append(f"  subgraph {stage}")
        for subtask_id in ids:
            subtask = plan.subtask(subtask_id)
            label = f"{subtask.title} ({subtask.assigned_to})".replace('"', "'")
            lines.append(f'    {_node(plan, subtask_id)}["{label}"]')
        lines.append("  end")
    for subtask in plan.subtasks:
        lines.extend(f"  {_node(plan, dep)} --> {_node(plan, subtask.subtask_id)}" for dep in subtask.dependencies)
    return "\n".join(lines)


def _node(plan: Plan, subtask_id: str) -> str:
    return subtask_id.removeprefix(f"{plan.orchestration_id}-").replace("-", "_").replace(".", "_")


def _seconds(subtask: Subtask) -> float | None:
    """From the first hand-off to completion, across all attempts."""
    first = subtask.attempts[0].handed_off_at if subtask.attempts else None
    started = parse_timestamp(first or subtask.started_at or subtask.handed_off_at)
    ended = parse_timestamp(subtask.completed_at)
    if started is None or ended is None:
        return None
    return round((ended - started).total_seconds(), 1)


def _human(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{seconds:g}s"


def success_criteria(plan: Plan) -> dict[str, bool]:
    """The seed's five success criteria, as far as files can show them."""
    stages_in_order = [entry["stage"] for entry in plan.stage_history if entry.get("event") == "completed"]
    return {
        "all_subtasks_completed": all(s.status == "completed" for s in plan.subtasks),
        "all_stages_executed_in_order": stages_in_order == list(range(1, len(plan.execution_plan) + 1)),
        "no_zombie_or_failed_subtasks": all(s.status not in ("failed", "blocked") for s in plan.subtasks),
        "request_satisfied": all(s.status == "completed" and bool(s.result) for s in plan.subtasks),
        "results_aggregated": True,  # this report is the aggregation
    }


def build(plan: Plan, request: str) -> dict[str, Any]:
    subtasks = [
        {
            "subtask_id": s.subtask_id, "title": s.title, "master": s.assigned_to, "stage": s.stage,
            "status": s.status, "attempts": s.attempt, "duration_seconds": _seconds(s), "result": s.result,
            "success_criteria": s.success_criteria, "history": [a.model_dump(exclude_none=True) for a in s.attempts],
        }
        for s in plan.subtasks
    ]
    return {
        "orchestration_id": plan.orchestration_id,
        "parent_task_id": plan.parent_task_id,
        "request": {"title": plan.task_title, "description": request},
        "status": plan.status,
        "created_at": plan.created_at,
        "completed_at": plan.completed_at,
        "execution_plan": plan.execution_plan,
        "stage_history": plan.stage_history,
        "subtasks": subtasks,
        "success_criteria": success_criteria(plan),
        "diagram": mermaid(plan),
    }


def markdown(report: dict[str, Any]) -> str:
    criteria = report["success_criteria"]
    lines = [
        f"# Completion report: {report['request']['title']}",
        "",
        f"- Orchestration: `{report['orchestration_id']}` (task `{report['parent_task_id']}`)",
        f"- Status: **{report['status']}**, started {report['created_at']}, finished {report['completed_at']}",
        "",
        "## Request",
        "",
        report["request"]["description"] or report["request"]["title"],
        "",
        "## Plan",
        "",
        "```mermaid",
        report["diagram"],
        "```",
        "",
        "## Subtasks",
        "",
        "| stage | subtask | master | status | attempts | took | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in report["subtasks"]:
        result = (s["result"] or "").replace("\n", " ").replace("|", "\\|")[:200]
        lines.append(f"| {s['stage']} | {s['title']} | {s['master']} | {s['status']} | {s['attempts']} | "
                     f"{_human(s['duration_seconds'])} | {result} |")
    lines += ["", "## Success criteria", ""]
    lines += [f"- [{'x' if ok else ' '}] {name.replace('_', ' ')}" for name, ok in criteria.items()]
    return "\n".join(lines) + "\n"
