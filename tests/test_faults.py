"""Fault injection: crashes, concurrent writers, bad input, broken workers, a full disk.

`make faults` runs this file with FAULT_ROUNDS=50 (kill -9 rounds) and more writers;
`make test` runs it with small numbers so it stays fast.
"""

from __future__ import annotations

import errno
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import events, intake
from orchestrator.processes import PsutilProcesses
from orchestrator.store import FolderStore, Layout, StoreError
from orchestrator.timestamps import parse_timestamp

from conftest import DaemonProcess, queue_doc, read_events, read_queue, task, wait_for, write_by_rename

process_state = PsutilProcesses().state

ROUNDS = int(os.environ.get("FAULT_ROUNDS", "6"))
WRITES = int(os.environ.get("FAULT_WRITES", "15"))
COMPLEX = "Add authentication system with security audit and docs"
SIMPLE = "Fix bug in api/users.py line 42"


# --- crashes ---------------------------------------------------------------------------


def test_kill_9_at_random_moments_loses_and_doubles_nothing(
    folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    rng = random.Random(7)
    tasks = [task(f"c{n}", COMPLEX, context={"keep": n}) if n % 2 else task(f"s{n}", SIMPLE, extra={"n": n})
             for n in range(30)]
    doc = queue_doc(*tasks, metadata={"owner": "faults"}, stats={"x": 1})
    write_by_rename(folder / "task-queue.json", doc)
    daemon = daemon_factory(folder)
    for _ in range(ROUNDS):
        daemon.start(wait=False)
        time.sleep(rng.uniform(0.05, 0.6))  # the moment of the crash is the variable under test
        daemon.kill()
    daemon.start()
    wait_for(lambda: all(t["status"] != "pending" for t in read_queue(folder)["tasks"]), 60, "every task taken")
    complex_ids = [t["id"] for t in tasks if t["id"].startswith("c")]
    wait_for(lambda: all(
        json.loads((folder / f"orchestrator/tasks/orch-{i}.json").read_text())["status"] == "in_progress"
        for i in complex_ids if (folder / f"orchestrator/tasks/orch-{i}.json").exists())
        and all((folder / f"orchestrator/tasks/orch-{i}.json").exists() for i in complex_ids), 60, "every plan")
    assert daemon.stop() == 0

    after = read_queue(folder)
    assert after["metadata"] == {"owner": "faults"} and after["stats"] == {"x": 1}
    assert [t["id"] for t in after["tasks"]] == [t["id"] for t in tasks]  # every task, in order
    for old, new in zip(tasks, after["tasks"], strict=True):
        assert {k: new[k] for k in ("context", "extra") if k in old} == {k: old[k] for k in ("context", "extra") if k in old}
    created = Counter(e.get("handoff_id") for e in read_events(folder) if e["type"] == "handoff_created")
    assert created and max(created.values()) == 1  # no handoff written twice
    started = Counter(e["orchestration_id"] for e in read_events(folder) if e["type"] == "orchestration_started")
    assert max(started.values()) == 1
    for simple in (t["id"] for t in tasks if t["id"].startswith("s")):
        assert len(list(folder.glob(f"masters/*/handoffs/{simple}.json"))) == 1
    for complex_id in complex_ids:
        assert len(list(folder.glob(f"masters/*/handoffs/*orch-{complex_id}-*.json"))) == 1  # stage 1 only
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())  # every file whole


# --- concurrent writers -----------------------------------------------------------------

LOCKED_WRITER = """
import fcntl, json, os, sys
queue, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(count):
    with open(queue + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        doc = json.load(open(queue))
        doc["tasks"].append({"id": f"{prefix}-{n}", "title": "List all repositories in the portfolio",
                             "status": "pending", "writer": prefix})
        tmp = f"{queue}.{prefix}.tmp"
        open(tmp, "w").write(json.dumps(doc))
        os.replace(tmp, queue)
"""

SHELL_WRITER = """
set -e
queue="$1"; count="$2"
for n in $(seq 0 $((count - 1))); do
  flock "$queue.lock" sh -c '
    jq --arg id "sh-$1" \\
      ".tasks += [{\\"id\\": \\$id, \\"title\\": \\"Deploy the dashboard to staging\\", \\"status\\": \\"pending\\", \\"writer\\": \\"sh\\"}]" \\
      "$0" > "$0.sh.tmp"
    mv "$0.sh.tmp" "$0"' "$queue" "$n"
done
"""

UNLOCKED_WRITER = """
import json, os, sys, time
queue, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(count):
    doc = json.load(open(queue))
    doc["tasks"].append({"id": f"{prefix}-{n}", "title": "Scan repository for security vulnerabilities",
                         "status": "pending", "writer": prefix})
    tmp = f"{queue}.{prefix}.tmp"
    open(tmp, "w").write(json.dumps(doc))
    os.replace(tmp, queue)
    time.sleep(0.01)
"""


def test_locked_writers_lose_nothing_and_unlocked_losses_are_not_silent(
    folder: Path, daemon: DaemonProcess, tmp_path: Path
) -> None:
    queue = str(folder / "task-queue.json")
    (tmp_path / "locked.py").write_text(LOCKED_WRITER)
    (tmp_path / "unlocked.py").write_text(UNLOCKED_WRITER)
    (tmp_path / "writer.sh").write_text(SHELL_WRITER)
    writers = [subprocess.Popen([sys.executable, str(tmp_path / "locked.py"), queue, f"py{n}", str(WRITES)])
               for n in range(3)]
    writers.append(subprocess.Popen(["bash", str(tmp_path / "writer.sh"), queue, str(WRITES)]))
    unlocked = [subprocess.Popen([sys.executable, str(tmp_path / "unlocked.py"), queue, f"un{n}", str(WRITES)])
                for n in range(2)]
    for writer in writers + unlocked:
        assert writer.wait(120) == 0
    wait_for(lambda: all(t["status"] != "pending" for t in read_queue(folder)["tasks"]), 60, "all taken")
    final = {t["id"] for t in read_queue(folder)["tasks"]}
    locked_ids = {f"py{w}-{n}" for w in range(3) for n in range(WRITES)} | {f"sh-{n}" for n in range(WRITES)}
    unlocked_ids = {f"un{w}-{n}" for w in range(2) for n in range(WRITES)}

    def silent_losses() -> set[str]:
        """Tasks the daemon took that are gone from the queue without a task_vanished event."""
        taken = {e["task_id"] for e in daemon.events("task_assigned")}
        vanished = {e["task_id"] for e in daemon.events("task_vanished")}
        return taken - final - vanished

    # an unlocked writer may overwrite other writers' tasks: that loss is the unlocked writer's;
    # the daemon's part is to say so for every task it had taken (events may lag the queue a moment)
    wait_for(lambda: not silent_losses(), what="every lost task the daemon had taken reported")
    lost_locked = locked_ids - final
    assert unlocked_ids & final  # the unlocked writers got through too
    assert daemon.alive()
    print(f"locked lost by unlocked overwrites: {len(lost_locked)}; unlocked kept: {len(unlocked_ids & final)}")


def test_when_only_locked_writers_write_nothing_is_ever_lost(folder: Path, daemon: DaemonProcess, tmp_path: Path) -> None:
    queue = str(folder / "task-queue.json")
    (tmp_path / "locked.py").write_text(LOCKED_WRITER)
    (tmp_path / "writer.sh").write_text(SHELL_WRITER)
    writers = [subprocess.Popen([sys.executable, str(tmp_path / "locked.py"), queue, f"py{n}", str(WRITES)])
               for n in range(3)]
    writers.append(subprocess.Popen(["bash", str(tmp_path / "writer.sh"), queue, str(WRITES)]))
    for writer in writers:
        assert writer.wait(120) == 0
    wait_for(lambda: all(t["status"] == "assigned" for t in read_queue(folder)["tasks"]), 60, "all assigned")
    ids = [t["id"] for t in read_queue(folder)["tasks"]]
    assert len(ids) == 4 * WRITES == len(set(ids))
    # the queue says "assigned" a moment before the event line is appended
    wait_for(lambda: len(daemon.events("task_assigned")) == 4 * WRITES, what="one task_assigned per task")


# --- bad input ------------------------------------------------------------------------------

BIG = "x" * 2_000_000

QUEUE_FILES: list[tuple[str, bytes, str]] = [
    ("truncated", b'{"tasks": [{"id": "a", "title": "b"', "invalid JSON"),
    ("empty", b"", "empty"),
    ("not utf-8", b'{"tasks": [{"id": "\xff\xfe", "title": "x"}]}', "not UTF-8"),
    ("top level a string", b'"tasks"', "top level is str"),
    ("tasks not a list", b'{"tasks": {"id": "a"}}', "'tasks' is dict"),
    ("binary garbage", bytes(range(256)), "not UTF-8"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
]

BAD_TASKS: list[tuple[str, Any, str]] = [
    ("a number", 42, "not a task object"),
    ("a string", "do it", "not a task object"),
    ("null", None, "not a task object"),
    ("no id", {"title": "x", "status": "pending"}, "has no id"),
    ("empty id", {"id": "", "title": "x", "status": "pending"}, "has no id"),
    ("numeric id", {"id": 7, "title": "x", "status": "pending"}, "has no id"),
    ("id with ../", {"id": "../../etc", "title": "x", "status": "pending"}, "not a safe file name"),
    ("id with /", {"id": "a/b", "title": "x", "status": "pending"}, "not a safe file name"),
    ("hidden id", {"id": ".hidden", "title": "x", "status": "pending"}, "not a safe file name"),
    ("title a list", {"id": "bad-title", "title": ["x"], "status": "pending"}, "title"),
    ("description an object", {"id": "bad-desc", "title": "x", "description": {}, "status": "pending"}, "description"),
    ("context a list", {"id": "bad-context", "title": "x", "context": [], "status": "pending"}, "context"),
    ("priority a number", {"id": "bad-priority", "title": "x", "priority": 1, "status": "pending"}, "priority"),
    ("nothing to do", {"id": "no-text", "title": "", "status": "pending"}, "neither a title nor a description"),
]

BLOCKED_TASKS: list[tuple[str, dict[str, Any], str]] = [
    ("cycle", {"subtasks": [{"id": "a", "title": "A", "dependencies": ["b"]}, {"id": "b", "title": "B", "dependencies": ["a"]},
                            {"id": "c", "title": "C"}]}, "dependency cycle: a -> b -> a"),
    ("unknown dependency", {"subtasks": [{"id": "a", "title": "A", "dependencies": ["z"]}, {"id": "b", "title": "B"},
                                         {"id": "c", "title": "C"}]}, "unknown subtask 'z'"),
    ("self dependency", {"subtasks": [{"id": "a", "title": "A", "dependencies": ["a"]}, {"id": "b", "title": "B"},
                                      {"id": "c", "title": "C"}]}, "depends on itself"),
    ("duplicate subtask ids", {"subtasks": [{"id": "a", "title": "A"}, {"id": "a", "title": "B"},
                                            {"id": "c", "title": "C"}]}, "duplicate subtask id"),
    ("unknown master", {"subtasks": [{"id": "a", "title": "A", "assigned_to": "marketing"}]}, "unknown master"),
    ("subtask id with ../", {"subtasks": [{"id": "../x", "title": "A"}]}, "not a safe name"),
    ("subtasks not a list", {"subtasks": "a, b, c"}, "subtasks must be a list"),
    ("11 stages", {"orchestration_required": True,
                   "title": " → ".join(f"step {n}" for n in range(1, 12))}, "stages (> 10)"),
    ("11 subtasks", {"subtasks": [{"id": f"s{n}", "title": f"S{n}"} for n in range(11)]}, "11 subtasks"),
    ("too many files", {"subtasks": [{"id": "a", "title": "A", "files_affected": ["1", "2", "3", "4"]},
                                     {"id": "b", "title": "B"}, {"id": "c", "title": "C"}]}, "affects 4 files"),
]


@pytest.fixture(scope="module")
def corpus_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    root = tmp_path_factory.mktemp("corpus")
    folder = root / "coordination"
    folder.mkdir()
    (folder / "task-queue.json").write_text(json.dumps(queue_doc()))
    config = root / "config.toml"
    config.write_text("[watch]\ndebounce_seconds = 0.001\nread_retries = 2\nread_retry_delay_seconds = 0.01\n")
    process = DaemonProcess(folder, config).start()
    try:
        yield process
        assert process.stop() == 0, process.log.read_text()
    finally:
        process.kill()  # never leave a daemon behind, even when stopping failed


def _good(name: str) -> dict[str, Any]:
    return task(f"good-{abs(hash(name)) % 10**8}", "List all repositories in the portfolio")


@pytest.mark.parametrize(("name", "raw", "problem"), QUEUE_FILES, ids=[c[0] for c in QUEUE_FILES])
def test_a_bad_queue_file_is_reported_left_alone_and_read_again(
    corpus_daemon: DaemonProcess, name: str, raw: bytes, problem: str
) -> None:
    queue = corpus_daemon.folder / "task-queue.json"
    before = len(corpus_daemon.events("queue_unreadable"))
    queue.write_bytes(raw)
    wait_for(lambda: len(corpus_daemon.events("queue_unreadable")) > before, what="queue_unreadable")
    assert problem in corpus_daemon.events("queue_unreadable")[-1]["problem"]
    assert queue.read_bytes() == raw  # never rewritten
    good = _good(name)
    write_by_rename(queue, queue_doc(good))
    corpus_daemon.wait_event("task_assigned", task_id=good["id"])
    assert corpus_daemon.alive()


@pytest.mark.parametrize(("name", "bad", "problem"), BAD_TASKS, ids=[c[0] for c in BAD_TASKS])
def test_a_bad_task_is_named_and_the_others_go_on(corpus_daemon: DaemonProcess, name: str, bad: Any, problem: str) -> None:
    good = _good(name)
    before = len(corpus_daemon.events("task_invalid"))
    write_by_rename(corpus_daemon.folder / "task-queue.json", queue_doc(bad, good))
    corpus_daemon.wait_event("task_assigned", task_id=good["id"])
    new = corpus_daemon.events("task_invalid")[before:]
    assert any(problem in e["problem"] for e in new), new
    assert corpus_daemon.alive()


@pytest.mark.parametrize(("name", "fields", "problem"), BLOCKED_TASKS, ids=[c[0] for c in BLOCKED_TASKS])
def test_a_task_that_cannot_be_planned_is_blocked_with_the_reason(
    corpus_daemon: DaemonProcess, name: str, fields: dict[str, Any], problem: str
) -> None:
    bad = task(f"blocked-{abs(hash(name)) % 10**8}", "Custom plan") | fields
    good = _good(name)
    write_by_rename(corpus_daemon.folder / "task-queue.json", queue_doc(bad, good))
    blocked = corpus_daemon.wait_event("task_blocked", task_id=bad["id"])
    assert problem in blocked["reason"]
    corpus_daemon.wait_event("task_assigned", task_id=good["id"])
    entry = next(t for t in read_queue(corpus_daemon.folder)["tasks"] if t["id"] == bad["id"])
    assert entry["status"] == "blocked" and problem in entry["blocked_reason"]


def test_a_huge_task_text_is_handled(corpus_daemon: DaemonProcess) -> None:
    huge = task("huge", "Update the README", description=BIG)
    write_by_rename(corpus_daemon.folder / "task-queue.json", queue_doc(huge))
    corpus_daemon.wait_event("task_assigned", task_id="huge", timeout=30)


def test_a_symlink_out_of_the_folder_is_never_written_through(
    folder: Path, tmp_path: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "masters/development").mkdir(parents=True)
    (folder / "masters/development/handoffs").symlink_to(outside)
    daemon = daemon_factory(folder).start()
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-link", "Fix bug in api/users.py line 3"),
                                                       task("t-fine", "Scan repository for security vulnerabilities")))
    failed = daemon.wait_event("handoff_failed", task_id="t-link")
    assert "outside" in failed["problem"]
    daemon.wait_event("task_assigned", task_id="t-fine")
    assert list(outside.iterdir()) == []
    assert daemon.stop() == 0


def test_invalid_worker_files_and_clocks_in_the_future(folder: Path, daemon_factory: Callable[..., DaemonProcess],
                                                      tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text("[watch]\ndebounce_seconds = 0.001\n[monitor]\ninterval_seconds = 0.1\n"
                      "zombie_timeout_seconds = 1\nnever_started_timeout_seconds = 60\n")
    daemon = daemon_factory(folder, config).start()
    subtasks = [{"id": "a", "title": "A"}, {"id": "b", "title": "B", "dependencies": ["a"]},
                {"id": "c", "title": "C", "dependencies": ["b"]}]
    write_by_rename(folder / "task-queue.json", queue_doc(task("w", "Worker faults", subtasks=subtasks)))
    daemon.wait_event("handoff_created", subtask_id="orch-w-a")
    specs = folder / "worker-specs/active"
    specs.mkdir(parents=True, exist_ok=True)
    (specs / "half.json").write_text('{"worker_id": "half", "task_id": "orch-w-a", ')
    (specs / "list.json").write_text("[1, 2, 3]")
    (specs / "wrong-types.json").write_text(json.dumps({"worker_id": 5, "task_id": ["orch-w-a"]}))
    future = {"worker_id": "clock", "task_id": "orch-w-a", "status": "running", "pid": "not a pid",
              "heartbeat": {"last_heartbeat": "2999-01-01T00:00:00Z"}}
    write_by_rename(specs / "clock.json", future)
    workers = folder / "agents/workers/clock"
    workers.mkdir(parents=True)
    (workers / "heartbeat.json").write_text('{"timestamp": "yesterday-ish", "progress": 3}')
    (workers / "status.json").write_text("{{{")
    daemon.wait_event("subtask_started", subtask_id="orch-w-a", worker_id="clock")
    daemon.wait_event("worker_spec_invalid")
    # a heartbeat from the year 2999 does not keep a silent worker alive forever
    zombie = daemon.wait_event("zombie_detected", subtask_id="orch-w-a", timeout=15)
    assert zombie["worker_id"] == "clock"
    assert daemon.alive()
    assert daemon.stop() == 0


# --- workers --------------------------------------------------------------------------------


def test_process_states_zombie_gone_reused() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_for(lambda: process_state(child.pid, None) == "zombie", what="an unreaped child")  # exited, not reaped
    assert process_state(child.pid, None) == "gone"  # we reaped it
    alive = subprocess.Popen(["sleep", "30"])
    try:
        assert process_state(alive.pid, None) == "running"
        from datetime import UTC, datetime, timedelta
        long_ago = datetime.now(UTC) - timedelta(hours=1)
        assert process_state(alive.pid, long_ago) == "reused"  # a process younger than the worker's start
    finally:
        alive.kill()
        alive.wait()


# --- a full disk ----------------------------------------------------------------------------


def test_a_full_disk_keeps_the_previous_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FolderStore(Layout(tmp_path))
    target = tmp_path / "orchestrator" / "tasks" / "plan.json"
    store.write_json(target, {"version": 1})
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        if len(data) > 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StoreError, match="No space left"):
        store.write_json(target, {"version": 2, "padding": "x" * 100})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"version": 1}
    assert [p.name for p in target.parent.iterdir()] == ["plan.json"]  # no temporary file left behind


def test_a_full_disk_while_routing_is_reported_and_retried(
    folder: Path, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    """Simulated with a folder the daemon cannot write: the same code path as ENOSPC."""
    handoffs = folder / "masters/security/handoffs"
    handoffs.mkdir(parents=True)
    (folder / "masters/security/handoffs").chmod(0o500)
    daemon = daemon_factory(folder).start()
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-full", "Scan repository for security vulnerabilities")))
    if os.geteuid() != 0:  # root writes anyway; the symlink test covers the refusal path for root
        daemon.wait_event("handoff_failed", task_id="t-full")
        handoffs.chmod(0o755)
        write_by_rename(folder / "task-queue.json", read_queue(folder))  # any change: read again
    daemon.wait_event("task_assigned", task_id="t-full")
    assert daemon.stop() == 0


# --- parsing, property-based ----------------------------------------------------------------


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=20)


@given(st.lists(json_values, max_size=8))
@settings(max_examples=300, deadline=None)
def test_selecting_tasks_never_fails_on_any_json(tasks: list[Any]) -> None:
    chosen, problems = intake.select(tasks)
    assert len(chosen) + len(problems) <= len(tasks) + len(set(map(str, tasks)))


@given(st.lists(st.dictionaries(st.sampled_from(["timestamp", "type", "data", "x"]), json_values, max_size=4),
                max_size=6), st.integers(0, 60))
@settings(max_examples=300, deadline=None)
def test_event_lines_are_read_whole_or_skipped(objects: list[dict[str, Any]], cut: int) -> None:
    text = "".join(json.dumps(o) + "\n" for o in objects)
    found, used = events.parse(text)
    assert len(found) == len(objects) and used == len(text)
    torn = text + '{"type": "torn", "timestamp": "2025'[: cut % 30]
    found, used = events.parse(torn)
    assert len(found) == len(objects) and used <= len(torn)


@given(st.text(max_size=40))
def test_timestamps_parse_or_are_none(value: str) -> None:
    parsed = parse_timestamp(value)
    assert parsed is None or parsed.tzinfo is not None



def test_a_writer_that_replaces_the_queue_right_after_our_write_is_not_mistaken_for_us(
    folder: Path, daemon: DaemonProcess
) -> None:
    """Regression: the identity of our own write was once taken after the rename, so a writer
    quick enough to replace the queue in between was taken for our own echo and ignored."""
    tasks: list[dict[str, Any]] = []
    for n in range(40):
        tasks.append(task(f"quick-{n}", SIMPLE))
        write_by_rename(folder / "task-queue.json", queue_doc(*tasks))
        wait_for(lambda n=n: next((t for t in read_queue(folder)["tasks"] if t["id"] == f"quick-{n}"),
                                  {}).get("status") == "assigned", 10, f"quick-{n} assigned")
        tasks = read_queue(folder)["tasks"]  # append at once to what the daemon just wrote


def test_an_unexpected_error_in_a_step_is_reported_and_the_daemon_goes_on(folder: Path, fast_config: Path) -> None:
    """In-process, to inject the fault: the second queue pass raises; the task is still routed."""
    import asyncio
    import signal
    import threading

    from orchestrator.config import load_config
    from orchestrator.daemon import Daemon

    daemon = Daemon(folder, load_config(fast_config, folder))
    original, raised = daemon.core.engine._hand_off_simple, []

    def flaky(decided: Any, *rest: Any) -> Any:
        if not raised and any(task.id == "t-after-boom" for task, _ in decided):
            raised.append(True)
            raise RuntimeError("boom")  # the first pass that decides on the task fails
        return original(decided, *rest)

    daemon.core.engine._hand_off_simple = flaky  # type: ignore[method-assign]

    routed: list[bool] = []

    def feed() -> None:
        try:
            wait_for(lambda: any(e["type"] == "orchestrator_started" for e in read_events(folder)), what="start")
            write_by_rename(folder / "task-queue.json", queue_doc(task("t-after-boom", SIMPLE)))
            wait_for(lambda: any(e["type"] == "task_assigned" for e in read_events(folder)), 15, "routed")
            routed.append(True)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # the daemon's own handler stops it, whatever happened

    feeder = threading.Thread(target=feed)
    feeder.start()
    assert asyncio.run(daemon.run()) == 0
    feeder.join()
    assert routed, "the task was not routed after the error"
    errors = [e for e in read_events(folder) if e["type"] == "internal_error"]
    assert len(errors) == 1 and "boom" in errors[0]["problem"]
