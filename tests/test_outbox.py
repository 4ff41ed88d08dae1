"""Persist, then announce: the outbox in-process (a MemoryStore, a FakeClock, no daemon).

Every event is announced once: never before the plan that says so is written, never twice
(not even after a restart or a failed append), never lost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrator import outbox as outbox_module
from orchestrator.clock import FakeClock
from orchestrator.outbox import Outbox
from orchestrator.store import MemoryStore


class Log:
    """Stands in for the daemon's logger: what was logged, at which level."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda event, **fields: self.lines.append((level, event, fields))


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> Log:
    recorder = Log()
    monkeypatch.setattr(outbox_module, "log", recorder)
    return recorder


def make(store: MemoryStore | None = None) -> Outbox:
    return Outbox(store or MemoryStore(), FakeClock())


def announced(box: Outbox) -> list[dict[str, Any]]:
    raw = box.store.files.get(box.store.layout.events, b"").decode()
    return [json.loads(line) for line in raw.splitlines()]


class FullDisk(MemoryStore):
    full = True

    def append_line(self, path: Any, data: bytes) -> None:
        if self.full:
            raise OSError(28, "No space left on device")
        super().append_line(path, data)


def test_an_event_about_a_plan_waits_for_the_plan_and_is_announced_once() -> None:
    box = make()
    box.emit("subtask_completed", key="orch-a:s1:1:completed", hold="orch-a", subtask_id="s1")
    box.emit("subtask_completed", key="orch-a:s1:1:completed", hold="orch-a", subtask_id="s1")  # redone
    assert [e["type"] for e in box.held("orch-a")] == ["subtask_completed"]
    box.flush()
    assert announced(box) == []  # the plan is not written yet
    box.release("orch-a")
    box.emit("subtask_completed", key="orch-a:s1:1:completed", hold="orch-a")  # redone after the release
    box.flush()
    box.emit("subtask_completed", key="orch-a:s1:1:completed", hold="orch-a")  # and after the announcement
    box.release("orch-a")
    box.flush()
    events = announced(box)
    assert [(e["type"], e["event_id"], e["subtask_id"]) for e in events] == [
        ("subtask_completed", "orch-a:s1:1:completed", "s1")]
    assert events[0]["source"] == "orchestrator" and events[0]["timestamp"] == "2025-11-05T18:00:00.000Z"


def test_the_same_step_for_another_plan_or_without_an_id_is_not_a_duplicate() -> None:
    box = make()
    box.emit("stage_started", key="orch-a:stage:1:started", hold="orch-a")
    box.emit("stage_started", key="orch-b:stage:1:started", hold="orch-b")
    box.emit("queue_unreadable", problem="x")
    box.emit("queue_unreadable", problem="x")
    box.release("orch-a")
    box.release("orch-b")
    box.flush()
    assert [e.get("event_id") for e in announced(box)] == [None, None, "orch-a:stage:1:started",
                                                           "orch-b:stage:1:started"]


def test_a_plan_without_events_holds_nothing() -> None:
    box = make()
    assert box.held("orch-none") == [] and box.held_events("orch-none") == []
    box.release("orch-none")
    box.flush()
    assert announced(box) == []


def test_held_events_go_into_the_plan_file_without_empty_fields() -> None:
    box = make()
    box.emit("subtask_failed", key="orch-a:s1:1:failed", hold="orch-a", reason="boom")
    assert box.held("orch-a") == [{"timestamp": "2025-11-05T18:00:00.000Z", "type": "subtask_failed",
                                   "source": "orchestrator", "event_id": "orch-a:s1:1:failed", "reason": "boom"}]


def test_a_restart_announces_what_a_plan_file_holds_and_the_events_file_does_not() -> None:
    store = MemoryStore()
    store.append_line(store.layout.events, b'{"type":"stage_started","source":"orchestrator",'
                                           b'"event_id":"orch-a:stage:1:started","timestamp":"2025-11-05T17:00:00Z"}\n')
    box = make(store)
    box.learn()
    outbox = [{"type": "stage_started", "event_id": "orch-a:stage:1:started"},  # already announced
              {"not": "an event"},
              {"type": "subtask_started", "event_id": "orch-a:s1:1:started"},
              {"type": "worker_heartbeat_stale"}]
    assert box.restore("orch-a", outbox) == 2
    assert announced(box)[1:] == []
    box.release("orch-a")
    box.flush()
    assert [e["type"] for e in announced(box)[1:]] == ["subtask_started", "worker_heartbeat_stale"]


def test_the_start_learns_our_event_ids_from_the_end_of_the_events_file() -> None:
    store = MemoryStore()
    lines = [
        b'{"type":"x","source":"dashboard","event_id":"orch-a:other"}',  # another writer's id
        b'{"type":"stage_started","source":"orchestrator","event_id":"orch-a:stage:1:started",'
        b'"timestamp":"2025-11-05T17:00:00Z"}',
        b'{"type":"torn","source":"orchestrator","event_id":"orch-a:tor',  # a torn line
        b'["orchestrator", "a list"]',
        b'{"type":"y","source":"orchestrator","event_id":7}',
        b'{"type":"subtask_started","source":"orchestrator","event_id":"orch-a:s1:1:started",'
        b'"timestamp":"2025-11-05T17:30:00Z"}',
    ]
    store.put(store.layout.events, b"\n".join(lines) + b"\n")
    box = make(store)
    box.learn()
    assert box.was_announced("orch-a:stage:1:started") and box.was_announced("orch-a:s1:1:started")
    assert not box.was_announced("orch-a:other")
    assert box.window_start is not None and box.window_start.isoformat() == "2025-11-05T17:00:00+00:00"


def test_without_our_events_in_the_file_there_is_no_window() -> None:
    box = make()
    assert box.window_start is None
    box.learn()
    assert box.window_start is None


def test_an_orchestration_that_is_over_is_forgotten() -> None:
    box = make()
    box.emit("orchestration_completed", key="orch-a:completed")
    box.emit("orchestration_completed", key="orch-b:completed")
    box.flush()
    box.forget("orch-a")
    box.forget("orch-never-seen")
    assert not box.was_announced("orch-a:completed")
    assert box.was_announced("orch-b:completed")


def test_events_that_cannot_be_appended_wait_and_the_problem_is_logged_once(log: Log) -> None:
    store = FullDisk()
    box = make(store)
    box.emit("orchestration_started", key="orch-a:started")
    box.emit("task_assigned", key="t1:assigned")
    box.flush()
    box.emit("task_assigned", key="t1:assigned")  # still waiting: not staged twice
    box.flush()
    assert box.pending == 2
    errors = [line for line in log.lines if line[0] == "error"]
    assert errors == [("error", "events_not_written",
                       {"events": 2, "problem": "/coordination/dashboard-events.jsonl: cannot append: No space left on device",
                        "action": "kept; appended when the file can be written"})]
    store.full = False
    box.flush()
    assert [e["event_id"] for e in announced(box)] == ["orch-a:started", "t1:assigned"]
    assert box.pending == 0
    store.full = True
    box.emit("task_assigned", key="t2:assigned")
    box.flush()
    assert len([line for line in log.lines if line[0] == "error"]) == 2  # a new outage is logged again


def test_a_problem_is_logged_as_a_warning_and_a_fact_as_info(log: Log) -> None:
    box = make()
    box.emit("task_invalid", task_id="t1", problem="has no id")
    box.emit("task_assigned", task_id="t2")
    assert log.lines == []  # logged with the pass's flush, after its files: not on the way to them
    box.flush()
    assert log.lines == [("warning", "task_invalid", {"task_id": "t1", "problem": "has no id"}),
                         ("info", "task_assigned", {"task_id": "t2"})]
    box.flush()
    assert len(log.lines) == 2  # each once
