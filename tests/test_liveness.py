"""Liveness decisions, stage logic, retry timing, the report, and the reporting protocol: pure units."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator import progress, report
from orchestrator.config import MonitorConfig, RetryConfig
from orchestrator.liveness import Verdict, WorkerFacts, assess
from orchestrator.models import Classification, Plan, ResourceEstimate, Subtask
from orchestrator.timestamps import format_timestamp

NOW = datetime(2025, 11, 5, 18, 0, tzinfo=UTC)
CONFIG = MonitorConfig()  # the seed's numbers: heartbeat 180 s, zombie 1200 s


def ago(seconds: float) -> str:
    return format_timestamp(NOW - timedelta(seconds=seconds))


def subtask(**fields: object) -> Subtask:
    base = dict(subtask_id="s", parent_task_id="t", parent_orchestration="orch-t", title="S", description="S",
                assigned_to="development", worker_type="implementation", estimated_duration_minutes=10,
                estimated_tokens=1000, success_criteria="done", stage=1, status="in_progress",
                handed_off_at=ago(600), started_at=ago(590), worker_id="w1")
    return Subtask.model_validate(base | fields)


def test_a_healthy_worker_has_no_conditions() -> None:
    verdict = assess(subtask(), WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW), NOW, CONFIG)
    assert verdict.conditions == frozenset() and verdict.failure is None


@pytest.mark.parametrize("state", ["gone", "zombie", "reused"])
def test_a_dead_zombie_or_replaced_process_is_a_dead_worker(state: str) -> None:
    verdict = assess(subtask(), WorkerFacts(worker_id="w1", pid=42, process=state, heartbeat=NOW), NOW, CONFIG)
    assert verdict.failure == "dead" and "42" in (verdict.reason or "")


def test_a_process_we_may_not_inspect_is_not_dead() -> None:
    facts = WorkerFacts(worker_id="w1", pid=1, process="unknown", heartbeat=NOW)
    assert assess(subtask(), facts, NOW, CONFIG).failure is None


def test_a_stale_heartbeat_is_a_warning_at_three_minutes() -> None:
    facts = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW - timedelta(seconds=181))
    verdict = assess(subtask(), facts, NOW, CONFIG)
    assert verdict.conditions == {"heartbeat_stale"} and verdict.failure is None


def test_twenty_minutes_without_any_sign_of_progress_is_a_zombie() -> None:
    quiet = subtask(handed_off_at=ago(1300), started_at=ago(1290))
    facts = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW - timedelta(seconds=1201))
    assert assess(quiet, facts, NOW, CONFIG).failure == "zombie"
    # any sign counts: a recent file change, or recent progress text
    assert assess(quiet, facts._replace(files_changed=NOW), NOW, CONFIG).failure is None
    moving = quiet.model_copy(update={"last_progress_at": ago(5)})
    assert assess(moving, facts, NOW, CONFIG).failure is None


def test_never_started_and_runtime_cap() -> None:
    waiting = subtask(status="assigned", started_at=None, worker_id=None, handed_off_at=ago(601))
    assert assess(waiting, WorkerFacts(), NOW, CONFIG).failure == "never_started"
    assert assess(waiting.model_copy(update={"handed_off_at": ago(10)}), WorkerFacts(), NOW, CONFIG).failure is None
    long = subtask(started_at=ago(3601))
    facts = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW)
    assert assess(long, facts, NOW, CONFIG).failure == "runtime_exceeded"


def test_a_heartbeat_from_the_future_is_ignored() -> None:
    quiet = subtask(handed_off_at=ago(1300), started_at=ago(1290))
    facts = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW + timedelta(days=365))
    assert assess(quiet, facts, NOW, CONFIG).failure == "zombie"


def _plan(statuses: dict[str, str], status: str = "in_progress") -> Plan:
    deps = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": ["a"]}
    stage = {"a": 1, "b": 2, "c": 2, "e": 2, "d": 3}
    subtasks = [subtask(subtask_id=i, dependencies=deps[i], stage=stage[i], status=statuses.get(i, "pending"))
                for i in deps]
    return Plan(orchestration_id="orch-t", parent_task_id="t", task_title="T", status=status, planner="builtin",
                classification=Classification(decision="complex", master=None, confidence=1, reasons=[]),
                subtasks=subtasks, execution_plan={"stage_1": ["a"], "stage_2": ["b", "c", "e"], "stage_3": ["d"]},
                resource_estimate=ResourceEstimate(total_subtasks=5, duration_estimate="1-2 minutes",
                                                   duration_minutes_min=1, duration_minutes_max=2, token_estimate=1,
                                                   masters=["development"], workers=6, parallelization_possible=True,
                                                   critical_path=[], bottlenecks=[]))


def test_stages_are_barriers() -> None:
    assert [s.subtask_id for s in progress.ready(_plan({}))] == ["a"]
    assert [s.subtask_id for s in progress.ready(_plan({"a": "completed"}))] == ["b", "c", "e"]
    # stage 3 waits for every subtask of stage 2, even ones it does not depend on
    assert progress.ready(_plan({"a": "completed", "b": "completed", "c": "completed", "e": "in_progress"})) == []
    assert [s.subtask_id for s in progress.ready(
        _plan({"a": "completed", "b": "completed", "c": "skipped", "e": "completed"}))] == ["d"]


def test_while_blocked_only_work_that_does_not_depend_on_the_failure_goes_on() -> None:
    plan = _plan({"a": "completed", "b": "failed", "c": "completed", "e": "pending"}, status="blocked")
    assert [s.subtask_id for s in progress.ready(plan)] == ["e"]
    assert progress.unaffected_by(plan, "b") == ["a", "c", "e"]


def test_summary_and_completion() -> None:
    plan = _plan({"a": "completed", "b": "in_progress", "c": "failed"})
    summary = progress.summarize(plan)
    assert (summary.current_stage, summary.completed_subtasks, summary.active_subtasks, summary.failed_subtasks) == (
        2, ["a"], ["b"], ["c"])
    assert not progress.is_complete(plan)
    assert progress.is_complete(_plan(dict.fromkeys("abcde", "completed")))


def test_backoff_doubles_is_capped_and_jittered() -> None:
    config = RetryConfig(backoff_base_seconds=10, backoff_max_seconds=30, jitter=0.0)
    rng = random.Random(1)
    assert [progress.retry_delay(n, config, rng) for n in (1, 2, 3, 4)] == [10, 20, 30, 30]
    jittered = RetryConfig(backoff_base_seconds=10, backoff_max_seconds=300, jitter=0.2)
    delays = {progress.retry_delay(1, jittered, rng) for _ in range(50)}
    assert len(delays) > 1 and all(8 <= d <= 12 for d in delays)


def test_escalation_after_the_last_attempt_or_a_permanent_failure() -> None:
    config = RetryConfig(max_attempts=3)
    assert not progress.should_escalate(2, True, config)
    assert progress.should_escalate(3, True, config)
    assert progress.should_escalate(1, False, config)


def test_report_checks_the_five_success_criteria() -> None:
    plan = _plan(dict.fromkeys("abcde", "completed"), status="completed")
    plan.subtasks = [s.model_copy(update={"result": "ok"}) for s in plan.subtasks]
    plan.stage_history = [{"stage": n, "event": "completed"} for n in (1, 2, 3)]
    built = report.build(plan, "the request")
    assert all(built["success_criteria"].values())
    assert "a --> b" in built["diagram"]
    assert "- [x] all stages executed in order" in report.markdown(built)
    plan.stage_history = [{"stage": n, "event": "completed"} for n in (2, 1, 3)]
    assert not report.build(plan, "")["success_criteria"]["all_stages_executed_in_order"]


@pytest.mark.parametrize(("state", "reason"), [("gone", "worker process 42 has exited"),
                                               ("zombie", "worker process 42 has exited (not reaped yet)"),
                                               ("reused", "worker process 42 was replaced (PID reused)")])
def test_a_dead_worker_is_reported_with_what_happened_to_its_process(state: str, reason: str) -> None:
    verdict = assess(subtask(), WorkerFacts(worker_id="w1", pid=42, process=state, heartbeat=NOW), NOW, CONFIG)
    assert verdict == Verdict(frozenset({"dead"}), "dead", reason)


def test_each_timeout_is_exceeded_only_past_it() -> None:
    fresh = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW)
    waiting = subtask(status="assigned", started_at=None, worker_id=None, handed_off_at=ago(600))
    assert assess(waiting, WorkerFacts(), NOW, CONFIG) == Verdict(frozenset())
    assert assess(waiting.model_copy(update={"handed_off_at": ago(601)}), WorkerFacts(), NOW, CONFIG) == Verdict(
        frozenset({"never_started"}), "never_started", "no worker picked up the handoff within 600s")
    at_cap = subtask(handed_off_at=ago(3700), started_at=ago(3600))
    assert assess(at_cap, fresh, NOW, CONFIG) == Verdict(frozenset())
    stale = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW - timedelta(seconds=180))
    assert assess(subtask(), stale, NOW, CONFIG).conditions == frozenset()
    quiet_since = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW - timedelta(seconds=1200))
    assert assess(subtask(handed_off_at=ago(1300), started_at=ago(1290)), quiet_since, NOW, CONFIG).failure is None


def test_over_the_runtime_cap_the_attempt_ends_and_says_so_with_the_other_conditions() -> None:
    long = subtask(handed_off_at=ago(3700), started_at=ago(3601))
    stale = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW - timedelta(seconds=200))
    assert assess(long, stale, NOW, CONFIG) == Verdict(frozenset({"heartbeat_stale", "runtime_exceeded"}),
                                                       "runtime_exceeded", "running for 3601s, over the cap of 3600s")


def test_a_zombie_is_reported_with_how_long_it_was_quiet() -> None:
    quiet = subtask(handed_off_at=ago(1300), started_at=ago(1290))
    facts = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW - timedelta(seconds=1250))
    assert assess(quiet, facts, NOW, CONFIG) == Verdict(frozenset({"heartbeat_stale", "zombie"}), "zombie",
                                                        "no heartbeat, file change or progress for 1250s")


def test_a_worker_that_exists_has_started_even_before_it_says_so() -> None:
    # its PID or heartbeat file names it, but it has not reported `start` yet
    named = subtask(status="assigned", started_at=None, worker_id=None, handed_off_at=ago(601))
    facts = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW)
    assert assess(named, facts, NOW, CONFIG).failure is None
    # a worker that set in_progress by hand without started_at is running, not "never started"
    edited = subtask(status="in_progress", started_at=None, worker_id=None, handed_off_at=ago(601))
    assert assess(edited, WorkerFacts(heartbeat=NOW), NOW, CONFIG).failure is None


def test_a_timestamp_within_the_allowed_clock_skew_still_counts() -> None:
    quiet = subtask(handed_off_at=ago(1300), started_at=ago(1290))
    facts = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=NOW + timedelta(seconds=60))
    assert assess(quiet, facts, NOW, CONFIG).failure is None


def test_when_everything_is_done_the_plan_is_at_its_last_stage() -> None:
    assert progress.summarize(_plan(dict.fromkeys("abcde", "completed"))).current_stage == 3


def test_while_blocked_a_subtask_whose_dependencies_are_exactly_the_done_ones_goes_on() -> None:
    plan = _plan({"a": "completed", "b": "failed"}, status="blocked")
    assert [s.subtask_id for s in progress.ready(plan)] == ["c", "e"]


def test_the_summary_names_failed_blocked_and_zombie_subtasks() -> None:
    plan = _plan({"a": "completed", "b": "blocked", "c": "in_progress", "e": "failed"})
    plan.subtasks = [s.model_copy(update={"conditions": ["zombie"]}) if s.subtask_id in ("a", "c") else s
                     for s in plan.subtasks]
    summary = progress.summarize(plan)
    assert summary.failed_subtasks == ["b", "e"]
    assert summary.zombie_subtasks == ["c"]  # a finished subtask's old condition is not a zombie now


def test_a_zero_backoff_retries_at_once() -> None:
    config = RetryConfig(backoff_base_seconds=0, backoff_max_seconds=0, jitter=0.5)
    assert progress.retry_delay(1, config, random.Random(1)) == 0.0


@pytest.mark.parametrize("fresh_at", range(4))
def test_the_newest_beat_of_any_source_counts_wherever_it_stands(fresh_at: int) -> None:
    """A heartbeat file written once at the start beside current beats in the subtask file, or the
    other way round: whichever source holds the newest beat, the worker is beating (no stale heartbeat)."""
    beats: list[object] = [ago(900), ago(800), NOW - timedelta(seconds=700), ago(600)]
    beats[fresh_at] = ago(10) if fresh_at != 2 else NOW - timedelta(seconds=10)
    facts = WorkerFacts(worker_id="w1", pid=1, process="running", heartbeat=beats[2],  # type: ignore[arg-type]
                        beats=(beats[0], beats[1]))
    verdict = assess(subtask(last_heartbeat=beats[3]), facts, NOW, CONFIG)
    assert verdict.conditions == frozenset()
    stale = assess(subtask(last_heartbeat=ago(600)), facts._replace(heartbeat=NOW - timedelta(seconds=700),
                                                                     beats=(ago(900), ago(800))), NOW, CONFIG)
    assert stale.conditions == {"heartbeat_stale"}
