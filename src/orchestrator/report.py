"""The completion report of an orchestration, as JSON and Markdown. Pure: a plan in, a report out.

The plan is the daemon's record of what happened: each subtask's attempts (handed off,
started, ended, how and why), when each stage started and ended, and the plan's
interventions (escalations, and what a person decided with ``orchestrator resume``). The
report tells that story rather than only the end state: every retry, worker death,
escalation and resume in order; the time per stage; the critical path as it really ran
(from the actual hand-off and completion times); and the seed's five success criteria, each
with a sentence saying what it rests on. A criterion is met only if it held all along:
"no zombie or failed subtasks" is not met by an orchestration whose worker died, even if
its retry then completed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orchestrator.models import DONE, Attempt, Intervention, Plan, Subtask
from orchestrator.timestamps import parse_timestamp

OUTCOME_EVENTS = {"dead": "worker_died", "zombie": "worker_zombie"}
"""Timeline event of an attempt that ended so; any other unsuccessful end is ``attempt_failed``."""
LAST = datetime.max.replace(tzinfo=UTC)
OUTCOME_WORDS = {"dead": "worker died", "zombie": "worker stalled (zombie)", "never_started": "no worker started",
                 "runtime_exceeded": "ran over its time cap", "reported": "failed"}


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


def _short(plan: Plan, subtask_id: str | None) -> str:
    return (subtask_id or "").removeprefix(f"{plan.orchestration_id}-")


def _between(start: str | None, end: str | None) -> float | None:
    began, ended = parse_timestamp(start), parse_timestamp(end)
    if began is None or ended is None:
        return None
    return round((ended - began).total_seconds(), 1)


def _first_handoff(subtask: Subtask) -> str | None:
    first = subtask.attempts[0].handed_off_at if subtask.attempts else None
    return first or subtask.started_at or subtask.handed_off_at


def _seconds(subtask: Subtask) -> float | None:
    """From the first hand-off to completion, across all attempts."""
    return _between(_first_handoff(subtask), subtask.completed_at)


def _human(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {rest:02d}s" if minutes else f"{seconds:g}s"


def _failed(attempt: Attempt) -> bool:
    return attempt.outcome is not None and attempt.outcome != "completed"


def _by_person(plan: Plan, subtask_id: str, attempt: int) -> Intervention | None:
    """The person's decision that made ``attempt`` of a subtask happen, if one did."""
    return next((i for i in plan.interventions if i.event == "resumed" and i.action == "retry"
                 and i.subtask_id == subtask_id and i.attempt == attempt - 1), None)


# --- the story ------------------------------------------------------------------------------


def timeline(plan: Plan) -> list[dict[str, Any]]:
    """Everything that did not go to plan, in order: failed attempts (worker deaths, zombies,
    failures), retries (by the daemon or a person), escalations, resumes, skips and aborts."""
    entries: list[dict[str, Any]] = []
    for subtask in plan.subtasks:
        for attempt in subtask.attempts:
            if attempt.attempt > 1:
                person = _by_person(plan, subtask.subtask_id, attempt.attempt)
                entries.append({"at": attempt.handed_off_at, "event": "retried", "subtask_id": subtask.subtask_id,
                                "attempt": attempt.attempt, "by": "operator" if person else "daemon"})
            if _failed(attempt):
                entries.append({"at": attempt.ended_at, "event": OUTCOME_EVENTS.get(attempt.outcome or "",
                                                                                    "attempt_failed"),
                                "subtask_id": subtask.subtask_id, "attempt": attempt.attempt,
                                "outcome": attempt.outcome, "worker_id": attempt.worker_id, "pid": attempt.pid,
                                "reason": attempt.reason})
    escalated_at: str | None = None
    for intervention in plan.interventions:
        entry = {"at": intervention.at, "event": intervention.event,
                 **intervention.model_dump(exclude_none=True, exclude={"at", "event"})}
        if intervention.event == "escalated":
            escalated_at = intervention.at
        elif escalated_at is not None:  # the plan waited for a person this long
            entry["blocked_seconds"] = _between(escalated_at, intervention.at)
            escalated_at = None
        entries.append(entry)
    order = {"attempt_failed": 0, "worker_died": 0, "worker_zombie": 0, "escalated": 1, "resumed": 2,
             "aborted": 2, "retried": 3}
    def when(entry: dict[str, Any]) -> tuple[datetime, int]:
        return parse_timestamp(entry["at"]) or LAST, order.get(entry["event"], 9)

    return [{k: v for k, v in e.items() if v is not None} for e in sorted(entries, key=when)]


def summary(plan: Plan) -> dict[str, int]:
    """How much went wrong, counted from the plan's record."""
    attempts = [a for s in plan.subtasks for a in s.attempts]
    outcomes = [a.outcome for a in attempts if _failed(a)]
    resumed = [i for i in plan.interventions if i.event == "resumed"]
    return {
        "subtasks": len(plan.subtasks),
        "attempts": len(attempts),
        "retries": sum(max(0, s.attempt - 1) for s in plan.subtasks),
        "retries_by_operator": sum(i.action == "retry" for i in resumed),
        "failed_attempts": len(outcomes),
        "worker_deaths": outcomes.count("dead"),
        "zombies": outcomes.count("zombie"),
        "escalations": sum(i.event == "escalated" for i in plan.interventions),
        "resumes": len(resumed),
        "skipped": sum(s.status == "skipped" for s in plan.subtasks),
    }


def stages(plan: Plan) -> list[dict[str, Any]]:
    """Each stage's subtasks, when it started and completed, and how long it took."""
    rows = []
    for number, (name, ids) in enumerate(plan.execution_plan.items(), 1):
        at = {entry.get("event"): entry.get("at") for entry in plan.stage_history if entry.get("stage") == number}
        rows.append({"stage": number, "name": name, "subtasks": ids, "started_at": at.get("started"),
                     "completed_at": at.get("completed"),
                     "duration_seconds": _between(at.get("started"), at.get("completed")),
                     "attempts": sum(plan.subtask(i).attempt for i in ids if plan.subtask(i).attempts)})
    return rows


def critical_path(plan: Plan) -> dict[str, Any]:
    """The chain of subtasks that decided when the orchestration ended, from actual times.

    Start at the subtask that finished last and walk back: each one was released by the
    subtask of an earlier stage that finished last before its first hand-off (stages are
    barriers), a dependency preferred on a tie.
    """
    spans: dict[str, tuple[datetime, datetime]] = {}
    for subtask in plan.subtasks:
        began, ended = parse_timestamp(_first_handoff(subtask)), parse_timestamp(subtask.completed_at)
        if subtask.status in DONE and began is not None and ended is not None:
            spans[subtask.subtask_id] = (began, ended)
    path: list[str] = []
    if spans:
        path.append(max(spans, key=lambda i: spans[i][1]))
        while True:
            node = plan.subtask(path[-1])
            earlier = [i for i in spans if plan.subtask(i).stage < node.stage and spans[i][1] <= spans[node.subtask_id][0]]
            if not earlier:
                break
            path.append(max(earlier, key=lambda i: (spans[i][1], i in node.dependencies)))
        path.reverse()
    steps = [{"subtask_id": i, "title": plan.subtask(i).title, "stage": plan.subtask(i).stage,
              "handed_off_at": _first_handoff(plan.subtask(i)), "completed_at": plan.subtask(i).completed_at,
              "duration_seconds": _seconds(plan.subtask(i)), "attempts": plan.subtask(i).attempt,
              "estimated_minutes": plan.subtask(i).estimated_duration_minutes} for i in path]
    planned = [i for i in plan.resource_estimate.critical_path if i in {s.subtask_id for s in plan.subtasks}]
    return {
        "subtasks": steps,
        "duration_seconds": _between(_first_handoff(plan.subtask(path[0])), plan.subtask(path[-1]).completed_at)
        if path else None,
        "planned": planned,
        "planned_minutes": sum(plan.subtask(i).estimated_duration_minutes for i in planned),
    }


# --- the criteria -----------------------------------------------------------------------------


def success_criteria(plan: Plan) -> dict[str, bool]:
    """The seed's five success criteria, as far as the plan's record can show them."""
    stages_in_order = [entry["stage"] for entry in plan.stage_history if entry.get("event") == "completed"]
    return {
        "all_subtasks_completed": all(s.status == "completed" for s in plan.subtasks),
        "all_stages_executed_in_order": stages_in_order == list(range(1, len(plan.execution_plan) + 1)),
        "no_zombie_or_failed_subtasks": all(s.status not in ("failed", "blocked") and not any(map(_failed, s.attempts))
                                            for s in plan.subtasks),
        "request_satisfied": all(s.status == "completed" and bool(s.result) for s in plan.subtasks),
        "results_aggregated": True,  # this report is the aggregation
    }


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _recovery(plan: Plan, counts: dict[str, int]) -> str:
    """"after 4 retries (1 by an operator) and 1 escalation resumed by an operator", or ""."""
    parts = []
    if counts["retries"]:
        by_person = counts["retries_by_operator"]
        parts.append(_plural(counts["retries"], "retry", "retries") + (f" ({by_person} by an operator)" if by_person else ""))
    escalated = counts["escalations"]
    if escalated:
        resumed = sum(i.event in ("resumed", "aborted") for i in plan.interventions)
        how = "resumed by an operator" if resumed >= escalated else f"{resumed} resumed by an operator"
        parts.append(f"{_plural(escalated, 'escalation')} {how}")
    return "after " + " and ".join(parts) if parts else ""


def _troubles(plan: Plan) -> list[str]:
    """One phrase per subtask that did not go smoothly: "backend: worker died (attempt 1)"."""
    phrases = []
    for subtask in plan.subtasks:
        failed = [a for a in subtask.attempts if _failed(a)]
        if not failed:
            continue
        what = [f"{OUTCOME_WORDS.get(a.outcome or '', a.outcome or 'failed')} (attempt {a.attempt})" for a in failed]
        escalated = any(i.event == "escalated" and i.subtask_id == subtask.subtask_id for i in plan.interventions)
        phrases.append(f"{_short(plan, subtask.subtask_id)}: {', '.join(what)}" + (", escalated" if escalated else ""))
    return phrases


def criteria(plan: Plan) -> list[dict[str, Any]]:
    """The five criteria, each met or not, with a note saying what happened."""
    met = success_criteria(plan)
    counts = summary(plan)
    recovery = _recovery(plan, counts)
    total = len(plan.subtasks)
    completed = [s for s in plan.subtasks if s.status == "completed"]
    not_completed = [f"{_short(plan, s.subtask_id)} {s.status}" for s in plan.subtasks if s.status != "completed"]
    notes: dict[str, str] = {}

    notes["all_subtasks_completed"] = f"{len(completed)}/{total} completed" + (
        f" ({', '.join(not_completed)})" if not_completed else "") + (
        f", {recovery}" if recovery else ", each at its first attempt")

    in_order = [entry["stage"] for entry in plan.stage_history if entry.get("event") == "completed"]
    stage_count = len(plan.execution_plan)
    if met["all_stages_executed_in_order"]:
        notes["all_stages_executed_in_order"] = f"stages 1-{stage_count} completed one after another"
    else:
        missing = sorted(set(range(1, stage_count + 1)) - set(in_order))
        notes["all_stages_executed_in_order"] = (f"stages completed in the order {', '.join(map(str, in_order))}"
                                                 + (f"; never completed: {', '.join(map(str, missing))}"
                                                    if missing else ""))

    troubles = _troubles(plan)
    if troubles:
        left = [s for s in plan.subtasks if s.status in ("failed", "blocked")]
        notes["no_zombie_or_failed_subtasks"] = "; ".join(troubles) + (
            f"; still failed: {', '.join(_short(plan, s.subtask_id) for s in left)}" if left
            else "; none is left failed at the end")
    else:
        notes["no_zombie_or_failed_subtasks"] = "no attempt failed, no worker died or stalled"

    unresolved = [s for s in plan.subtasks if s.status != "completed" or not s.result]
    if unresolved:
        notes["request_satisfied"] = "not all of it: " + ", ".join(
            f"{_short(plan, s.subtask_id)} " + ("skipped by a person" if s.status == "skipped" else
                                                 s.status if s.status != "completed" else "completed without a result")
            for s in unresolved)
    else:
        decided = sorted({_short(plan, i.subtask_id) for i in plan.interventions if i.event == "resumed"})
        notes["request_satisfied"] = "every subtask completed with a result" + (
            f", {', '.join(decided)} only after an operator's decision" if decided else "")

    notes["results_aggregated"] = f"this report: {_plural(sum(bool(s.result) for s in completed), 'result')}"
    return [{"name": name, "met": ok, "note": notes[name]} for name, ok in met.items()]


# --- the report -------------------------------------------------------------------------------


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
        "duration_seconds": _between(plan.created_at, plan.completed_at),
        "summary": summary(plan),
        "timeline": timeline(plan),
        "stages": stages(plan),
        "critical_path": critical_path(plan),
        "execution_plan": plan.execution_plan,
        "stage_history": plan.stage_history,
        "subtasks": subtasks,
        "success_criteria": success_criteria(plan),
        "criteria": criteria(plan),
        "diagram": mermaid(plan),
    }


def _cell(text: object) -> str:
    return str(text or "").replace("\n", " ").replace("|", "\\|")


def _story_line(counts: dict[str, int]) -> str:
    head = f"{_plural(counts['attempts'], 'attempt')} for {_plural(counts['subtasks'], 'subtask')}"
    retries = _plural(counts["retries"], "retry", "retries") + (
        f" ({counts['retries_by_operator']} by an operator)" if counts["retries_by_operator"] else "")
    parts = [text for count, text in (
        (counts["retries"], retries), (counts["worker_deaths"], _plural(counts["worker_deaths"], "worker death")),
        (counts["zombies"], _plural(counts["zombies"], "zombie")),
        (counts["failed_attempts"], _plural(counts["failed_attempts"], "failed attempt")),
        (counts["escalations"], _plural(counts["escalations"], "escalation")),
        (counts["resumes"], _plural(counts["resumes"], "resume by an operator", "resumes by an operator")),
        (counts["skipped"], f"{counts['skipped']} skipped")) if count]
    return f"{head}: " + (", ".join(parts) if parts else "every subtask at its first attempt")


def _what(entry: dict[str, Any]) -> str:
    event = entry["event"]
    if event == "retried":
        return f"retried by {'an operator' if entry['by'] == 'operator' else 'the daemon'}"
    by = f" ({entry['requested_by']})" if "requested_by" in entry else ""
    if event == "escalated":
        return f"**escalated** to a person: {entry.get('reason', '')}"
    after = f" after {_human(entry['blocked_seconds'])} blocked" if "blocked_seconds" in entry else ""
    if event == "resumed":
        return f"**resumed** by an operator{by}{after}: {entry.get('action', '')}"
    if event == "aborted":
        return f"**aborted** by an operator{by}{after}"
    worker = " ".join(str(entry[k]) if k == "worker_id" else f"(pid {entry[k]})"
                      for k in ("worker_id", "pid") if k in entry)
    what = OUTCOME_WORDS.get(entry.get("outcome", ""), entry.get("outcome", "failed"))
    return f"{what}" + (f", {worker}" if worker else "") + (f": {entry['reason']}" if entry.get("reason") else "")


def markdown(report: dict[str, Any]) -> str:
    orchestration = report["orchestration_id"]
    lines = [
        f"# Completion report: {report['request']['title']}",
        "",
        f"- Orchestration: `{orchestration}` (task `{report['parent_task_id']}`)",
        f"- Status: **{report['status']}**, started {report['created_at']}, finished {report['completed_at']}"
        + (f" ({_human(report['duration_seconds'])})" if report.get("duration_seconds") is not None else ""),
        f"- {_story_line(report['summary'])}",
        "",
        "## Request",
        "",
        report["request"]["description"] or report["request"]["title"],
        "",
        "## What happened",
        "",
    ]
    start = report["created_at"]
    if report["timeline"]:
        lines += ["| when | subtask | attempt | what |", "|---|---|---|---|"]
        for entry in report["timeline"]:
            offset = _between(start, entry.get("at"))
            when = f"+{_human(offset)}" if offset is not None else _cell(entry.get("at"))
            subtask = (entry.get("subtask_id") or "").removeprefix(f"{orchestration}-")
            lines.append(f"| {when} | {_cell(subtask)} | {entry.get('attempt', '')} | {_cell(_what(entry))} |")
    else:
        lines.append("Nothing unplanned: no attempt failed, no worker died, nothing was escalated.")
    lines += ["", "## Stages", "", "| stage | subtasks | attempts | started | took |", "|---|---|---|---|---|"]
    for stage in report["stages"]:
        names = ", ".join(i.removeprefix(f"{orchestration}-") for i in stage["subtasks"])
        offset = _between(start, stage["started_at"])
        lines.append(f"| {stage['stage']} | {names} | {stage['attempts']} | "
                     f"{'+' + _human(offset) if offset is not None else ''} | {_human(stage['duration_seconds'])} |")
    path = report["critical_path"]
    lines += ["", "## Critical path, as it ran", ""]
    if path["subtasks"]:
        lines.append(" → ".join(f"{s['subtask_id'].removeprefix(f'{orchestration}-')} ({_human(s['duration_seconds'])}"
                                + (f", {s['attempts']} attempts" if s["attempts"] > 1 else "") + ")"
                                for s in path["subtasks"]) + f": {_human(path['duration_seconds'])} in all")
    planned = " → ".join(i.removeprefix(f"{orchestration}-") for i in path["planned"])
    if planned:
        lines += ["", f"Planned: {planned} ({path['planned_minutes']} min estimated)"]
    lines += ["", "## Plan", "", "```mermaid", report["diagram"], "```", "",
              "## Subtasks", "",
              "| stage | subtask | master | status | attempts | took | result |",
              "|---|---|---|---|---|---|---|"]
    for s in report["subtasks"]:
        lines.append(f"| {s['stage']} | {_cell(s['title'])} | {s['master']} | {s['status']} | {s['attempts']} | "
                     f"{_human(s['duration_seconds'])} | {_cell(s['result'])[:200]} |")
    lines += ["", "## Success criteria", ""]
    lines += [f"- [{'x' if c['met'] else ' '}] {c['name'].replace('_', ' ')} — {c['note']}" for c in report["criteria"]]
    return "\n".join(lines) + "\n"
