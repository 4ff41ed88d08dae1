"""The ETA of ``orchestrator status``: from the plan's estimates and what is done. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestrator import eta
from orchestrator.models import Plan
from test_planner import plan_for

NOW = datetime(2025, 11, 5, 18, 0, tzinfo=UTC)


def auth() -> Plan:
    plan = plan_for(title="Add authentication system with security audit and docs")
    plan.status = "in_progress"
    return plan


def stage_minutes(plan: Plan) -> list[int]:
    by_id = {s.subtask_id: s for s in plan.subtasks}
    return [max(by_id[i].estimated_duration_minutes for i in ids) for ids in plan.execution_plan.values()]


def test_nothing_done_is_the_sum_of_each_stage_longest_estimate() -> None:
    plan = auth()
    found = eta.estimate(plan, NOW)
    assert found.remaining_minutes == sum(stage_minutes(plan))
    assert found.at == (NOW + timedelta(minutes=sum(stage_minutes(plan)))).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert "5 of 5 stages open" in found.why


def test_done_stages_count_nothing_and_a_running_subtask_counts_what_is_left_of_it() -> None:
    plan = auth()
    stages = list(plan.execution_plan.values())
    for subtask_id in stages[0]:
        plan.subtask(subtask_id).status = "completed"
    backend, frontend = (plan.subtask(i) for i in stages[1])
    backend.status, backend.started_at = "in_progress", (NOW - timedelta(minutes=5)).isoformat()
    frontend.status = "skipped"
    minutes = stage_minutes(plan)
    found = eta.estimate(plan, NOW)
    assert found.remaining_minutes == backend.estimated_duration_minutes - 5 + sum(minutes[2:])
    assert "4 of 5 stages open" in found.why
    backend.started_at = (NOW - timedelta(hours=9)).isoformat()  # far over its estimate: never negative
    assert eta.estimate(plan, NOW).remaining_minutes == sum(minutes[2:])
    frontend.status, frontend.started_at = "in_progress", (NOW - timedelta(hours=9)).isoformat()
    assert eta.estimate(plan, NOW).remaining_minutes == sum(minutes[2:])  # a stage of overdue work adds 0, not less


def test_blocked_and_finished_orchestrations_have_no_eta() -> None:
    plan = auth()
    plan.status, plan.blocking_subtask = "blocked", plan.subtasks[0].subtask_id
    blocked = eta.estimate(plan, NOW)
    assert blocked.remaining_minutes is None and "waits for orchestrator resume" in blocked.why
    plan.status = "completed"
    assert eta.estimate(plan, NOW).remaining_minutes is None
    assert eta.render(eta.estimate(plan, NOW), NOW) == ""


def test_rendered_with_the_clock_time_and_the_date_when_not_today() -> None:
    soon = eta.Eta(42, "2025-11-05T18:42:00.000Z", "")
    assert eta.render(soon, NOW) == "ETA 18:42Z (in 42 min)"
    later = eta.Eta(600, "2025-11-06T04:00:00.000Z", "")
    assert eta.render(later, NOW) == "ETA 2025-11-06 04:00Z (in 10 h 00 min)"
    assert eta.render(eta.Eta(0, "2025-11-05T18:00:00.000Z", ""), NOW) == "ETA overdue"
