"""The plans in memory and on disk, and the state file the dashboard reads: in-process (MemoryStore)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from orchestrator import progress
from orchestrator.clock import FakeClock
from orchestrator.models import Plan
from orchestrator.outbox import Outbox
from orchestrator.registry import PlanRegistry
from orchestrator.store import FolderStore, Layout, MemoryStore
from test_liveness import _plan


class FlakyStore(MemoryStore):
    """A disk that can be full."""

    full = False

    def _replace(self, path: Any, data: bytes, *, durable: bool) -> None:
        if self.full:
            raise OSError(28, "No space left on device")
        super()._replace(path, data, durable=durable)


def registry(store: MemoryStore | None = None) -> PlanRegistry:
    store = store or MemoryStore()
    clock = FakeClock()
    return PlanRegistry(store, Outbox(store, clock), clock)


def plan(orchestration_id: str, status: str, statuses: dict[str, str] | None = None, **conditions: list[str]) -> Plan:
    made = _plan(statuses or {}, status=status)
    made.orchestration_id = orchestration_id
    made.subtasks = [s.model_copy(update={"conditions": conditions.get(s.subtask_id, [])}) for s in made.subtasks]
    made.progress = progress.summarize(made)
    return made


def events(reg: PlanRegistry) -> list[dict[str, Any]]:
    reg.outbox.flush()
    raw = reg.store.files.get(reg.layout.events, b"").decode()  # type: ignore[attr-defined]
    return [json.loads(line) for line in raw.splitlines()]


def state(reg: PlanRegistry) -> dict[str, Any]:
    return json.loads(reg.store.files[reg.layout.state])  # type: ignore[attr-defined]


def test_the_state_file_counts_orchestrations_by_status_and_details_the_live_ones() -> None:
    reg = registry()
    three_done = {"a": "completed", "b": "completed", "c": "completed", "e": "in_progress"}
    for made in [
        plan("orch-1", "in_progress", three_done, e=["heartbeat_stale"]),
        plan("orch-2", "in_progress", {"a": "completed", "b": "completed"}, a=["zombie"]),  # an old condition
        plan("orch-3", "blocked", {"a": "failed"}),
        plan("orch-4", "completed", dict.fromkeys("abcde", "completed")),
        plan("orch-5", "failed"),
        plan("orch-6", "aborted"),
        Plan(**plan("orch-7", "planning").model_dump() | {"subtasks": [], "execution_plan": {}}),
    ]:
        assert reg.save(made)
    reg.write_state()
    written = state(reg)
    assert {k: v for k, v in written.items() if k != "current_orchestrations"} == {
        "active_orchestrations": 3, "total_orchestrations": 7, "completed_orchestrations": 1,
        "failed_orchestrations": 2, "blocked_orchestrations": 1, "last_update": "2025-11-05T18:00:00.000Z"}
    assert sorted(written["current_orchestrations"], key=lambda entry: entry["orchestration_id"]) == [
        {"orchestration_id": "orch-1", "status": "in_progress", "current_stage": 2, "total_stages": 3,
         "progress_percent": 60, "active_subtasks": ["e"], "health": "warning"},
        {"orchestration_id": "orch-2", "status": "in_progress", "current_stage": 2, "total_stages": 3,
         "progress_percent": 40, "active_subtasks": [], "health": "healthy"},
        {"orchestration_id": "orch-3", "status": "blocked", "current_stage": 1, "total_stages": 3,
         "progress_percent": 0, "active_subtasks": [], "health": "blocked"},
        {"orchestration_id": "orch-7", "status": "planning", "current_stage": 1, "total_stages": 0,
         "progress_percent": 0, "active_subtasks": [], "health": "healthy"},
    ]
    assert reg.status_line == "3 orchestrating, 1 blocked, 1 completed; watching /coordination/task-queue.json"
    lines = reg.store.files[reg.layout.state].decode().splitlines()  # type: ignore[attr-defined]
    assert len([line for line in lines if line.startswith('    {"orchestration_id":')]) == 4  # one per line


def test_the_state_file_encodes_only_the_lines_of_the_plans_that_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass that changed one plan of many encodes that plan's line of the state file, and takes the others'
    as last written; the file is the same as one encoded whole, and a changed plan's line always says its news."""
    from orchestrator import store as store_module
    reg = registry()
    for n in range(5):
        reg.save(plan(f"orch-{n}", "in_progress"))
    reg.write_state()
    encoded: list[Any] = []
    real = store_module._lines
    monkeypatch.setattr(store_module, "_lines", lambda values: (encoded.extend(values), real(values))[1])
    reg.save(plan("orch-2", "blocked", {"a": "failed"}))  # a stage advance, in the middle
    reg.write_state()
    reg.save(plan("orch-9", "in_progress"))  # a pickup, at the end
    reg.write_state()
    assert [entry["orchestration_id"] for entry in encoded] == ["orch-2", "orch-9"]
    written = reg.store.files[reg.layout.state]  # type: ignore[attr-defined]
    document = json.loads(written)
    assert written == store_module.dump_lines(document, "current_orchestrations")  # as if encoded whole
    assert [(e["orchestration_id"], e["status"]) for e in document["current_orchestrations"]] == [
        ("orch-0", "in_progress"), ("orch-1", "in_progress"), ("orch-2", "blocked"), ("orch-3", "in_progress"),
        ("orch-4", "in_progress"), ("orch-9", "in_progress")]


def test_the_state_file_is_rebuilt_at_start_so_it_is_written_without_fsync(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = FolderStore(Layout(tmp_path))
    store.make_folders()
    clock = FakeClock()
    reg = PlanRegistry(store, Outbox(store, clock), clock)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    reg.write_state()
    assert synced == [] and json.loads(store.layout.state.read_text())["total_orchestrations"] == 0


def test_a_state_file_that_cannot_be_written_is_reported_and_written_later() -> None:
    store = FlakyStore()
    reg = registry(store)
    store.full = True
    reg.write_state()
    assert [(e["type"], e["path"], e["problem"]) for e in events(reg)] == [
        ("state_write_failed", str(reg.layout.state), f"{reg.layout.state}: cannot write: No space left on device")]
    assert reg.status_line.startswith("starting")
    store.full = False
    reg.write_state()
    assert state(reg)["total_orchestrations"] == 0
    assert reg.status_line == "0 orchestrating, 0 blocked, 0 completed; watching /coordination/task-queue.json"


def test_the_state_file_is_written_at_start_and_then_only_when_something_changed() -> None:
    reg = registry()
    assert reg.status_line == "starting; watching /coordination/task-queue.json"
    reg.write_state()
    assert state(reg)["total_orchestrations"] == 0 and state(reg)["current_orchestrations"] == []
    reg.write_state()
    made = plan("orch-1", "in_progress")
    reg.save(made)
    reg.write_state()
    reg.save(made.model_copy(deep=True))  # the same content
    reg.write_state()
    assert reg.store.written[reg.layout.state] == 2  # type: ignore[attr-defined]
    assert reg.store.written[reg.layout.plan("orch-1")] == 1  # type: ignore[attr-defined]


def test_a_plans_events_are_written_with_it_and_announced_after_it() -> None:
    reg = registry()
    made = plan("orch-1", "in_progress")
    reg.outbox.emit("stage_started", key="orch-1:stage:1:started", hold="orch-1")
    assert reg.save(made, release=False)
    on_disk = json.loads(reg.store.files[reg.layout.plan("orch-1")])  # type: ignore[attr-defined]
    assert [e["event_id"] for e in on_disk["outbox"]] == ["orch-1:stage:1:started"]
    assert events(reg) == []  # its effects are not written yet
    reg.outbox.release("orch-1")
    assert [e["event_id"] for e in events(reg)] == ["orch-1:stage:1:started"]
    reg.outbox.emit("stage_completed", key="orch-1:stage:1:completed", hold="orch-1")
    made.stage_history = [{"stage": 1, "event": "completed"}]
    assert reg.save(made)
    assert [e["event_id"] for e in events(reg)][-1] == "orch-1:stage:1:completed"


def test_a_plan_that_cannot_be_written_is_kept_reported_once_and_written_later() -> None:
    store = FlakyStore()
    reg = registry(store)
    made = plan("orch-1", "in_progress")
    store.full = True
    reg.outbox.emit("stage_started", key="orch-1:stage:1:started", hold="orch-1")
    assert reg.save(made) is False
    assert reg.save(made) is False
    failed = [e for e in events(reg) if e["type"] == "plan_write_failed"]
    assert failed == [{"timestamp": "2025-11-05T18:00:00.000Z", "type": "plan_write_failed", "source": "orchestrator",
                       "orchestration_id": "orch-1", "problem": f"{reg.layout.plan('orch-1')}: cannot write: "
                       "No space left on device", "action": "kept in memory; written again on the next pass"}]
    assert reg.get("orch-1") is made  # the plan lives on in memory
    store.full = False
    assert reg.save(made) is True
    assert [e["type"] for e in events(reg)] == ["plan_write_failed", "stage_started"]
    store.full = True
    made.status = "blocked"
    assert reg.save(made) is False  # the same problem again, after a recovery: a new outage
    assert [e["type"] for e in events(reg)].count("plan_write_failed") == 2


def test_a_restart_reads_every_plan_skips_a_broken_one_and_rewrites_none() -> None:
    store = MemoryStore()
    store.put(store.layout.plan("orch-0"), b'{"orchestration_id": "orch-0"')
    for orchestration_id, status in (("orch-1", "in_progress"), ("orch-2", "blocked"), ("orch-3", "planning"),
                                     ("orch-4", "completed")):
        store.put(store.layout.plan(orchestration_id), plan(orchestration_id, status).model_dump(mode="json"))
    reg = registry(store)
    reg.load()
    invalid = [e for e in events(reg) if e["type"] == "plan_invalid"]
    assert len(invalid) == 1 and invalid[0]["path"] == str(store.layout.plan("orch-0"))
    assert invalid[0]["action"] == "skipped" and "invalid JSON" in invalid[0]["problem"]
    assert sorted(p.orchestration_id for p in reg.live()) == ["orch-1", "orch-2"]
    assert [p.orchestration_id for p in reg.planning()] == ["orch-3"]
    owner = reg.owner("a")
    assert owner is not None and owner.orchestration_id in {"orch-1", "orch-2", "orch-3", "orch-4"}
    assert reg.owner("nobody") is None
    writes = store.writes
    for orchestration_id in ("orch-1", "orch-2", "orch-3", "orch-4"):
        loaded = reg.get(orchestration_id)
        assert loaded is not None and reg.save(loaded)
    assert store.writes == writes
    reg.loaded_all()
    reg.write_state()
    assert state(reg)["total_orchestrations"] == 4
