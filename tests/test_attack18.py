"""attack18: an adversary on the day's stage-advance batch (Store.update_json_many) and the outbox's released events."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from orchestrator.store import FolderStore, Layout, StoreError


@pytest.fixture
def store(tmp_path: Path) -> FolderStore:
    root = tmp_path / "coordination"
    root.mkdir()
    folder = FolderStore(Layout(root))
    folder.make_folders()
    return folder


def _running(data: dict[str, Any]) -> None:
    data["status"] = "running"


def test_a_subtask_file_swapped_for_a_symlink_holds_up_only_itself(store: FolderStore, tmp_path: Path) -> None:
    """One by one (update_json), a symlink in a subtask file's place failed its own write only (reported
    once as invalid, the others written). In the batch its read follows the link, and its write's
    symlink check raised for the whole step: no sibling was written, on this pass or any later one."""
    first, linked, last = (store.layout.subtask(f"orch-t-s0{i}") for i in (1, 2, 3))
    for path in (first, last):
        path.write_text(json.dumps({"status": "pending"}))
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"status": "pending"}))
    linked.symlink_to(outside)
    with store.working():
        results = store.update_json_many([(first, _running), (linked, _running), (last, _running)])
    assert isinstance(results[1], StoreError) and "symlink" in str(results[1])
    assert results[0] == results[2] == {"status": "running"}
    assert json.loads(first.read_text()) == json.loads(last.read_text()) == {"status": "running"}
    assert json.loads(outside.read_text()) == {"status": "pending"}  # never written through
    assert linked.is_symlink()


def test_a_fifo_and_a_folder_in_the_batch_hold_up_only_themselves(store: FolderStore) -> None:
    """The near case that held: a FIFO (never waited on) and a folder fail their own read only."""
    first, fifo, folder = (store.layout.subtask(f"orch-t-s0{i}") for i in (1, 2, 3))
    first.write_text(json.dumps({"status": "pending"}))
    os.mkfifo(fifo)
    folder.mkdir()
    with store.working():
        results = store.update_json_many([(first, _running), (fifo, _running), (folder, _running)])
    assert results[0] == {"status": "running"}
    assert all(isinstance(r, StoreError) for r in results[1:])
    assert json.loads(first.read_text()) == {"status": "running"}
