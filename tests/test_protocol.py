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


def test_a_heartbeat_says_nothing_it_was_not_told() -> None:
    """Regression guard: a heartbeat or a start must not invent a result, an error or a transient flag."""
    for action in ("heartbeat", "start"):
        data = subtask(status="in_progress", worker_id="w", last_heartbeat="2025-11-05T18:00:00.000Z").model_dump(
            mode="json")
        assert protocol.apply(data, action, NOW, worker_id="w") is None
        assert (data["status"], data["result"], data["error"], data["transient"]) == ("in_progress", None, None, None)
        assert data["last_heartbeat"] == NOW


def test_the_cli_records_when_and_how_a_subtask_ended() -> None:
    done = subtask(status="in_progress", worker_id="w").model_dump(mode="json")
    assert protocol.apply(done, "complete", NOW) is None
    assert (done["status"], done["result"], done["completed_at"]) == ("completed", "completed", NOW)
    failed = subtask(status="in_progress", worker_id="w").model_dump(mode="json")
    assert protocol.apply(failed, "fail", NOW) is None
    assert (failed["status"], failed["error"], failed["transient"]) == ("failed", "failed", True)


def test_the_cli_records_when_progress_was_last_made() -> None:
    data = subtask(status="in_progress", worker_id="w").model_dump(mode="json")
    assert protocol.apply(data, "heartbeat", NOW, progress="tests written") is None
    assert (data["progress"], data["last_progress_at"]) == ("tests written", NOW)


@pytest.mark.parametrize("action", ["complete", "fail"])
def test_an_attempt_no_worker_started_needs_the_worker_named(action: str) -> None:
    data = subtask(status="assigned").model_dump(mode="json")
    assert protocol.apply(data, action, NOW) == ("no worker has started this attempt: say which worker reports "
                                                 "(--worker-id), or start it first")
    assert data["status"] == "assigned"
    assert protocol.apply(data, action, NOW, worker_id="w7") is None
    assert data["worker_id"] == "w7" and data["status"] == ("completed" if action == "complete" else "failed")


def test_the_cli_changes_only_the_workers_fields_of_a_sparse_file() -> None:
    """A master's hand-written subtask file gets the report's fields, not every default of the model."""
    sparse = {"subtask_id": "o-s1", "parent_task_id": "t", "parent_orchestration": "o", "title": "T",
              "description": "D", "assigned_to": "development", "worker_type": "implementation",
              "estimated_duration_minutes": 10, "estimated_tokens": 1000, "success_criteria": "S", "stage": 1,
              "status": "in_progress", "worker_id": "w"}
    data = dict(sparse)
    assert protocol.apply(data, "heartbeat", NOW) is None
    assert data == sparse | {"last_heartbeat": NOW}


def test_an_invalid_subtask_file_is_refused_with_what_is_wrong() -> None:
    problem = protocol.apply({"status": "assigned", "subtask_id": "x"}, "start", NOW) or ""
    assert problem.startswith("the subtask file is not valid: ") and "parent_task_id" in problem


def test_a_report_keeps_what_it_does_not_say() -> None:
    known = subtask(status="in_progress", worker_id="w", pid=12, last_heartbeat="2025-11-05T18:00:00.000Z",
                    progress="half", last_progress_at="2025-11-05T18:01:00.000Z", result="partial")
    applied = apply_report(known, Report(status="in_progress"), NOW)
    assert applied.subtask == known and applied.transition is None
    finished = subtask(status="completed", result="done", worker_id="w")
    assert apply_report(finished, Report(status="completed"), NOW).refused is None


def test_a_failure_that_does_not_say_otherwise_is_transient() -> None:
    failed = apply_report(subtask(status="in_progress"), Report(status="failed", error="oom"), NOW).subtask
    assert (failed.error, failed.transient) == ("oom", True)


def test_a_subtask_file_a_worker_edited_is_read_field_by_field() -> None:
    known = subtask(status="in_progress", attempt=2, worker_id="w2", attempts=EARLIER)
    written = known.model_copy(update={"status": "failed", "worker_id": "w2b", "pid": 77, "progress": "stuck",
                                       "error": "no disk", "transient": False, "result": "half a schema",
                                       "completed_at": "2025-11-05T18:09:00.000Z"})
    applied = apply_report(known, Report.of_file(written), NOW)
    assert applied.transition == "failed"
    got = applied.subtask
    assert (got.worker_id, got.pid, got.progress, got.last_progress_at) == ("w2b", 77, "stuck", NOW)
    assert (got.error, got.transient, got.result) == ("no disk", False, "half a schema")
    done = known.model_copy(update={"status": "completed", "completed_at": "2025-11-05T18:09:00.000Z"})
    assert apply_report(known, Report.of_file(done), NOW).subtask.completed_at == "2025-11-05T18:09:00.000Z"
    old_copy = known.model_copy(update={"attempt": 1, "status": "completed"})  # a file of the attempt before
    refused = apply_report(known, Report.of_file(old_copy), NOW)
    assert refused.stale and refused.refused == "the report is for attempt 1; attempt 2 is current"


def test_only_workers_of_attempts_that_ended_are_stale() -> None:
    attempts = [Attempt(attempt=1, worker_id="w1", outcome="dead"),
                Attempt(attempt=2, worker_id="w2", outcome=None),  # never recorded as ended
                Attempt(attempt=3, worker_id=None, outcome="never_started"),
                Attempt(attempt=4, worker_id="w4", outcome="failed")]  # the current attempt
    assert protocol.stale_workers(subtask(status="failed", attempt=4, attempts=attempts)) == {"w1"}
    known = subtask(status="in_progress", attempt=2, worker_id=None, attempts=EARLIER)
    by_old_worker = apply_report(known, Report(heartbeat=NOW, worker_id="w1"), NOW)
    assert by_old_worker.stale and by_old_worker.subtask == known
    assert by_old_worker.refused == "worker w1 belongs to an earlier attempt; attempt 2 is current"
