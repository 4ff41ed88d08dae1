"""The one function that applies a worker's report to a subtask, as a table of transitions."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import protocol
from orchestrator.models import Attempt, Subtask
from orchestrator.protocol import Report, apply_report

NOW = "2025-11-05T18:10:00.000Z"


def subtask(**fields: Any) -> Subtask:
    base = {"subtask_id": "o-s1", "parent_task_id": "t", "parent_orchestration": "o", "title": "T",
            "description": "D", "assigned_to": "development", "worker_type": "implementation",
            "estimated_duration_minutes": 10, "estimated_tokens": 1000, "success_criteria": "S", "stage": 1}
    return Subtask.model_validate(base | fields)


EARLIER = [Attempt(attempt=1, worker_id="w1", outcome="dead"), Attempt(attempt=2)]

# known status, the report, -> new status, transition, refused (a word of the reason)
TABLE: list[tuple[str, dict[str, Any], str, str | None, str | None]] = [
    ("assigned", {"status": "in_progress", "worker_id": "w"}, "in_progress", "started", None),
    ("assigned", {"heartbeat": NOW}, "in_progress", "started", None),  # a heartbeat means it started
    ("assigned", {"worker_id": "w"}, "in_progress", "started", None),  # so does naming itself
    ("assigned", {"status": "completed", "result": "ok"}, "completed", "completed", None),
    ("assigned", {"status": "failed", "error": "x"}, "failed", "failed", None),
    ("in_progress", {"status": "completed"}, "completed", "completed", None),
    ("in_progress", {"status": "failed"}, "failed", "failed", None),
    ("in_progress", {"status": "assigned"}, "in_progress", None, None),  # never backwards
    ("in_progress", {"progress": "half"}, "in_progress", None, None),
    ("in_progress", {}, "in_progress", None, None),
    ("completed", {"status": "failed"}, "completed", None, "not assigned"),
    ("completed", {"heartbeat": NOW}, "completed", None, "not assigned"),
    ("completed", {"status": "completed"}, "completed", None, None),  # says nothing new
    ("retry_wait", {"status": "in_progress"}, "retry_wait", None, "not assigned"),
    ("pending", {"status": "in_progress"}, "pending", None, "not assigned"),
    ("skipped", {"status": "completed"}, "skipped", None, "not assigned"),
]


@pytest.mark.parametrize(("status", "report", "after", "transition", "refused"), TABLE)
def test_a_report_moves_a_subtask_forward_only(status: str, report: dict[str, Any], after: str,
                                               transition: str | None, refused: str | None) -> None:
    applied = apply_report(subtask(status=status), Report(**report), NOW)
    assert applied.subtask.status == after
    assert applied.transition == transition
    assert (applied.refused is None) == (refused is None)
    if refused:
        assert refused in (applied.refused or "")


def test_a_report_of_an_earlier_attempt_or_its_worker_is_refused_as_stale() -> None:
    known = subtask(status="in_progress", attempt=2, worker_id="w2", attempts=EARLIER)
    by_old_worker = apply_report(known, Report(status="completed", worker_id="w1"), NOW)
    assert by_old_worker.stale and "earlier attempt" in (by_old_worker.refused or "")
    by_old_file = apply_report(known, Report(status="completed", attempt=1), NOW)
    assert by_old_file.stale and by_old_file.subtask == known
    assert apply_report(known, Report(status="completed", worker_id="w2"), NOW).transition == "completed"


def test_a_completion_and_a_failure_record_what_they_need() -> None:
    done = apply_report(subtask(status="in_progress"), Report(status="completed"), NOW).subtask
    assert (done.completed_at, done.result) == (NOW, "completed")
    failed = apply_report(subtask(status="in_progress"), Report(status="failed", transient=False), NOW).subtask
    assert (failed.error, failed.transient) == ("failed", False)
    started = apply_report(subtask(status="assigned"), Report(worker_id="w"), NOW).subtask
    assert started.started_at == NOW
    moved = apply_report(subtask(status="in_progress", progress="a"), Report(progress="b"), NOW).subtask
    assert (moved.progress, moved.last_progress_at) == ("b", NOW)


def test_the_cli_edit_goes_through_the_same_function() -> None:
    data = subtask(status="in_progress", attempt=2, worker_id="w2", attempts=EARLIER).model_dump(mode="json")
    assert "earlier attempt" in (protocol.apply(dict(data), "complete", NOW, worker_id="w1") or "")
    assert protocol.apply(data, "complete", NOW, worker_id="w2", result="ok") is None
    assert data["status"] == "completed" and data["result"] == "ok"
    assert "completed" in (protocol.apply(data, "heartbeat", NOW) or "")
    fresh = subtask(status="assigned").model_dump(mode="json")
    assert protocol.apply(fresh, "heartbeat", NOW, progress="half way") is None
    assert fresh["status"] == "in_progress" and fresh["progress"] == "half way"
    failing = subtask(status="in_progress").model_dump(mode="json")
    protocol.apply(failing, "fail", NOW, reason="disk full", transient=False)
    assert (failing["status"], failing["error"], failing["transient"]) == ("failed", "disk full", False)
    assert "not valid" in (protocol.apply({"status": "assigned"}, "start", NOW) or "")
    assert protocol.apply({}, "start", NOW) == "no such subtask"
