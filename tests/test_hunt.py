"""A second fault hunt: an operator's requests, the wall clock, reloads and workers, as a hostile
environment and a careless operator would have them. Each test failed before its fix."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import json
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers.inotify import InotifyEmitter

from orchestrator import queue_edits
from orchestrator.clock import ClockSteps, FakeClock, iso, rebase
from orchestrator.config import Config, ConfigError, Settings, load_config
from orchestrator.flock import FileLock
from orchestrator.store import FolderStore, Layout, LockTimeout, MemoryStore
from orchestrator.timestamps import format_timestamp, parse_timestamp
from orchestrator.watcher import FolderWatcher
from test_core import ORCH, sid, started

from conftest import DaemonProcess, queue_doc, write_by_rename
from conftest import task as queue_entry
from sim import Sim, task


def escalated() -> Sim:
    """The design subtask failed three times: the orchestration waits for a person."""
    sim = started()
    for attempt in (1, 2, 3):
        sim.report(sid("design"), "fail", reason=f"boom {attempt}", worker_id=f"w{attempt}")
        sim.tick(100)
        sim.tick(100)
    assert sim.plan(ORCH)["status"] == "blocked"
    return sim


def undeletable_requests(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The requests folder is read-only to the daemon (EACCES on unlink)."""
    remove = sim.store.remove

    def refuse(path: Path) -> None:
        if path.parent == sim.layout.requests:
            raise PermissionError(13, "Permission denied", str(path))
        remove(path)

    monkeypatch.setattr(sim.store, "remove", refuse)


# --- an operator's request that cannot be removed ------------------------------------------------

def test_a_request_that_cannot_be_removed_is_carried_out_once_and_the_monitor_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sim = escalated()
    undeletable_requests(sim, monkeypatch)
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    assert sim.subtask(sid("design"))["attempt"] == 4
    sim.report(sid("design"), "start", worker_id="w4", pid=4242)  # PID 4242 is not running: dead
    for _ in range(3):
        sim.tick(10)  # used to raise PermissionError before the monitor looked at any worker
    assert sim.events("worker_dead", subtask_id=sid("design"))
    assert not sim.events("request_refused")  # used to be said again on every pass
    assert len(sim.events("write_failed", path=str(sim.layout.requests / "1-a.json"))) == 1
    assert len(sim.events("orchestration_resumed")) == 1


def test_a_request_left_in_place_never_retries_a_later_failure_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Left there (it could not be removed, then a restart), the request must not retry a subtask
    that failed again: only a person decides that."""
    sim = escalated()
    undeletable_requests(sim, monkeypatch)
    sim.store.put(sim.layout.requests / "1-a.json", {"orchestration_id": ORCH, "action": "retry",
                                                     "subtask_id": sid("design")})
    sim.run("requests")
    sim.report(sid("design"), "fail", reason="still broken", worker_id="w4", transient=False)
    sim.tick(1)
    assert sim.plan(ORCH)["status"] == "blocked"
    sim = sim.restart()
    sim.tick(1)
    assert sim.plan(ORCH)["status"] == "blocked"
    assert sim.subtask(sid("design"))["attempt"] == 4
    assert len(sim.events("orchestration_resumed")) == 1


# --- reload with a configuration file nobody foresaw ---------------------------------------------

DEEP = "a = " + "[" * 5000 + "]" * 5000
NO_HOME = '[planner]\nprompt_file = "~no-such-user-hunt/prompt.md"\n'


@pytest.mark.parametrize("text", [NO_HOME, DEEP], ids=["prompt_file_of_an_unknown_users_home", "deep_nesting"])
def test_a_config_that_broke_the_reader_in_an_unforeseen_way_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path, tmp_path)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_config_file_that_is_a_fifo_or_a_device_is_refused_without_waiting(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "config.toml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/null")  # /dev/zero would be read until memory runs out
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            load_config(path, tmp_path)
            outcome.append(None)
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive() and kind == "fifo":  # waiting for a writer: let it go, then fail
        with open(path, "wb"):
            pass
        reader.join(5)
        pytest.fail("load_config waited for a writer of the FIFO")
    assert outcome and isinstance(outcome[0], ConfigError) and "not a regular file" in str(outcome[0])


@pytest.mark.process
def test_sighup_with_a_config_the_reader_did_not_foresee_keeps_the_daemon_working(
        daemon: DaemonProcess, folder: Path) -> None:
    """A RuntimeError out of the reload used to end the daemon's work loop: the process stayed up
    (status said it runs) and never took a task again."""
    daemon.config.write_text(daemon.config.read_text() + NO_HOME)
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGHUP)
    failed = daemon.wait_event("config_reload_failed")
    assert "prompt_file" in failed["problem"]
    write_by_rename(folder / "task-queue.json", queue_doc(queue_entry("t-after", "Fix bug in api/users.py line 42")))
    daemon.wait_event("task_assigned", task_id="t-after")


# --- the wall clock steps (NTP, a board without a real-time clock, a VM's clock set) ------------

def running_worker(config: dict[str, Any] | None = None) -> Sim:
    """The design subtask's worker runs (PID 4242) and beats through its subtask file."""
    sim = started(config)
    sim.processes.states[4242] = "running"
    sim.report(sid("design"), "start", worker_id="w1", pid=4242)
    sim.tick(1)
    return sim


def test_a_wall_clock_stepped_hours_forward_kills_no_worker() -> None:
    """A board that booted with last week's time, then met NTP: every attempt looked hours old, and
    each worker was stopped as over its runtime or a zombie. What the clock did is not the worker's."""
    sim = running_worker()
    sim.clock.jump(3 * 3600)
    sim.tick(1)
    sim.report(sid("design"), "heartbeat", worker_id="w1")
    sim.tick(60)
    assert not sim.processes.signals
    assert not sim.events("subtask_failed")
    assert sim.subtask(sid("design"))["status"] == "in_progress"


def test_after_a_clock_step_a_worker_that_goes_quiet_is_still_found_a_zombie() -> None:
    sim = running_worker()
    sim.clock.jump(3 * 3600)
    for _ in range(25):  # 25 minutes of real time without a sign: over the 20 minute zombie timeout
        sim.tick(60)
    assert sim.events("zombie_detected", subtask_id=sid("design"))
    assert sim.processes.signals


def test_a_wall_clock_stepped_back_does_not_hold_a_retry_back_by_the_step() -> None:
    """A retry is never further away than the longest backoff: one due an hour away was scheduled
    before the clock went back an hour."""
    sim = running_worker()
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(1)
    assert sim.subtask(sid("design"))["status"] == "retry_wait"
    sim.clock.jump(-3600)
    waits = [sim.tick(30).next_retry for _ in range(3)]
    assert sim.subtask(sid("design"))["attempt"] == 2
    assert all(w is None or w <= 60 for w in waits)


def test_a_clock_set_back_alone_does_not_hide_a_worker_that_goes_quiet() -> None:
    """Defect: what was written before the step back lay in the future and was ignored, so the worker
    looked started and beaten just now until the wall clock caught up: an hour set back was an hour
    more before its zombie was found. The monitor's own monotonic watch now ages its signs."""
    sim = running_worker()
    sim.report(sid("design"), "heartbeat", worker_id="w1")
    sim.tick(60)
    sim.clock.jump(-3600)  # the worker hangs from here on
    for _ in range(25):  # 25 minutes of real time without a sign: over the 20 minute zombie timeout
        sim.tick(60)
    assert sim.events("worker_heartbeat_stale", subtask_id=sid("design"))
    assert sim.events("zombie_detected", subtask_id=sid("design"))
    assert sim.processes.signals


def test_a_worker_beating_after_the_clock_was_set_back_is_alive_whatever_it_beat_before() -> None:
    """Its heartbeat file's new beats are older than the beat it reported before the step: each is a
    change all the same."""
    sim = running_worker()
    sim.report(sid("design"), "heartbeat", worker_id="w1")
    sim.tick(60)
    sim.clock.jump(-3600)
    beat = sim.layout.worker("w1") / "heartbeat.json"
    for minute in range(40):
        sim.clock.advance(60)
        sim.store.put(beat, {"timestamp": format_timestamp(sim.clock.now()), "progress": f"minute {minute}"})
        sim.tick()
    assert not sim.events("zombie_detected") and not sim.events("worker_heartbeat_stale")
    assert not sim.processes.signals
    assert sim.subtask(sid("design"))["status"] == "in_progress"


def test_the_monitor_forgets_the_signs_of_attempts_that_ended() -> None:
    sim = running_worker()
    assert (sid("design"), 1) in sim.core.supervisor.signs
    sim.report(sid("design"), "complete", worker_id="w1", result="designed")
    sim.tick(60)
    # not one entry per attempt ever watched, in a daemon that runs for months
    assert (sid("design"), 1) not in sim.core.supervisor.signs


def test_timestamps_are_moved_across_each_forward_step_they_were_written_before() -> None:
    clock = FakeClock()
    steps = ClockSteps()
    before = clock.now()
    steps.look(clock.now(), clock.monotonic(), 60)
    clock.advance(30)
    clock.jump(3600)
    steps.look(clock.now(), clock.monotonic(), 60)
    between = clock.now()
    clock.advance(30)
    clock.jump(-10)  # back a little: nothing recorded
    steps.look(clock.now(), clock.monotonic(), 60)
    clock.advance(30)
    clock.jump(600)
    steps.look(clock.now(), clock.monotonic(), 60)
    assert [step for _, step in steps.steps] == [3600, 600]
    assert rebase(before, steps.steps) == before + timedelta(seconds=4200)
    assert rebase(between, steps.steps) == between + timedelta(seconds=600)
    assert rebase(clock.now(), steps.steps) == clock.now()


# --- numbers and marks JSON allows and Python does not read as they are -------------------------

SIMPLE = {"id": "t-1", "title": "Fix bug in api/users.py line 42", "status": "pending"}


def queue_bytes(entry: dict[str, Any], number: str) -> bytes:
    """A queue whose second task carries ``number`` as it stands in the file."""
    return (b'{"tasks": [' + json.dumps(entry).encode() + b', {"id": "t-2", "title": "Fix typo in README.md", '
            b'"status": "pending", "estimate": ' + number.encode() + b"}]}")


@pytest.mark.parametrize("number", ["9" * 5000, "1e999", "-1" + "0" * 400 + ".5"],
                         ids=["integer_of_5000_digits", "1e999", "float_of_400_digits"])
def test_a_number_python_cannot_hold_leaves_the_queue_as_it_is_and_the_daemon_working(number: str) -> None:
    """A 5000-digit integer raised a ValueError out of every pass (nothing else was done, the monitor
    included); 1e999 was read as infinity and written back as null."""
    sim = running_worker()
    data = queue_bytes(SIMPLE, number)
    sim.store.put(sim.layout.queue, data)
    sim.processes.states[4242] = "gone"
    sim.tick(1)
    sim.tick(1)
    assert sim.store.files[sim.layout.queue] == data
    assert len(sim.events("queue_unreadable")) == 1
    assert sim.events("worker_dead", subtask_id=sid("design"))


def test_a_request_with_a_number_python_cannot_hold_is_invalid_and_the_pass_goes_on() -> None:
    sim = running_worker()
    sim.store.put(sim.layout.requests / "1-n.json",
                  b'{"orchestration_id": "orch-w", "action": "abort", "n": ' + b"9" * 5000 + b"}")
    sim.processes.states[4242] = "gone"
    sim.tick(1)
    assert sim.events("request_invalid") and sim.events("worker_dead", subtask_id=sid("design"))
    assert sim.plan(ORCH)["status"] == "in_progress"


def test_a_queue_with_a_byte_order_mark_is_read_and_keeps_every_field() -> None:
    """PowerShell's ``Set-Content -Encoding UTF8`` and Notepad start the file with a BOM; the queue was
    "invalid JSON at line 1 column 1" and nothing was taken until someone guessed why."""
    sim = Sim()
    sim.start()
    sim.store.put(sim.layout.queue, "\ufeff".encode() + json.dumps(
        {"version": "2.1", "tasks": [SIMPLE | {"extra": {"kept": True}}]}).encode())
    sim.run("queue")
    assert not sim.events("queue_unreadable")
    written = sim.store.files[sim.layout.queue]
    assert not written.startswith("\ufeff".encode())
    doc = json.loads(written)
    assert doc["version"] == "2.1" and doc["tasks"][0]["status"] == "assigned"
    assert doc["tasks"][0]["extra"] == {"kept": True}


# --- inotify's limits ----------------------------------------------------------------------------

def test_when_inotify_runs_out_of_watches_half_way_no_native_watch_is_left_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher falls back to polling; the native watches it had already started used to stay:
    threads reading inotify into a queue nobody reads, growing with every change in the folder."""
    folders = [tmp_path / name for name in ("root", "subtasks")]
    agents = tmp_path / "agents"
    start = InotifyEmitter.on_thread_start

    def no_watch_left(emitter: InotifyEmitter) -> None:
        if emitter.watch.path == str(agents):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        start(emitter)

    monkeypatch.setattr(InotifyEmitter, "on_thread_start", no_watch_left)
    others = set(threading.enumerate())  # followers other tests left running are not this watcher's
    loop = asyncio.new_event_loop()
    watcher = FolderWatcher(loop, folders, lambda path: None, recursive=[agents])
    try:
        assert watcher.start() == "polling"
        assert not [t for t in threading.enumerate()
                    if isinstance(t, InotifyEmitter) and t.is_alive() and t not in others]
    finally:
        watcher.stop()
        loop.close()


# --- timestamps as workers write them ----------------------------------------------------------------

@pytest.mark.parametrize("unit", [1, 1000], ids=["epoch_seconds", "epoch_milliseconds"])
def test_a_worker_beating_in_epoch_numbers_is_alive(unit: int) -> None:
    """``{"timestamp": time.time()}`` (or ``Date.now()``) in heartbeat.json was taken for no heartbeat at all:
    a worker beating every minute was stopped as a zombie after 20 minutes, and nothing said why."""
    sim = running_worker()
    beat = sim.layout.worker("w1") / "heartbeat.json"
    for _ in range(25):
        sim.clock.advance(60)
        sim.store.put(beat, {"timestamp": sim.clock.now().timestamp() * unit, "progress": "working"})
        sim.tick()
    assert not sim.events("zombie_detected")
    assert sim.subtask(sid("design"))["status"] == "in_progress"


def test_epoch_numbers_are_read_as_utc_and_nonsense_numbers_as_nothing() -> None:
    moment = datetime(2025, 11, 20, 14, 42, 10, tzinfo=UTC)
    assert parse_timestamp(moment.timestamp()) == moment
    assert parse_timestamp(int(moment.timestamp()) * 1000) == moment
    assert parse_timestamp(True) is None and parse_timestamp(10 ** 30) is None


# --- the queue as other writers leave it -------------------------------------------------------------

def test_a_task_whose_context_is_null_is_taken_like_one_without_and_keeps_its_null() -> None:
    """Every other optional field may be null; ``"context": null`` (Python's None) made the task
    invalid, and it waited forever."""
    sim = Sim()
    sim.start()
    sim.submit(task("t-1", "Fix bug in api/users.py line 42", context=None))
    sim.run("queue")
    assert not sim.events("task_invalid")
    entry = sim.queue_task("t-1")
    assert entry["status"] == "assigned" and "context" in entry and entry["context"] is None


# --- a full disk as an orchestration ends ------------------------------------------------------------

def full_disk_from(sim: Sim, writes: int, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Every write from the ``writes``-th on fails with ENOSPC until the returned function frees the disk."""
    first = sim.store.writes + writes
    full = [True]
    write = MemoryStore._write

    def filling(self: MemoryStore, path: Path, data: bytes) -> None:
        if full[0] and self.writes + 1 >= first:
            self.writes += 1
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write(self, path, data)

    monkeypatch.setattr(MemoryStore, "_write", filling)
    return lambda: full.__setitem__(0, False)


def passes(sim: Sim, *seconds: float) -> None:
    for step in seconds:
        try:
            sim.tick(step)
        except Exception:  # the daemon reports a failed pass and runs the next one
            pass


@pytest.mark.parametrize("full_at", range(1, 8))
def test_a_disk_full_as_the_last_subtask_completes_completes_the_orchestration_once_freed(
        full_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan is ``completed`` in memory after the pass that decided it; a completed plan is no
    longer live, so no later pass wrote the plan, the report or the queue's status, and the
    completion was never announced (until a restart)."""
    sim = started()
    for _ in range(3):
        sim.finish_active(ORCH)
        if sim.plan(ORCH)["subtasks"][-1]["status"] != "assigned":
            sim.tick(1)
    free = full_disk_from(sim, full_at, monkeypatch)
    passes(sim, 1, 5)
    free()
    passes(sim, 120, 120)
    plan = sim.plan(ORCH)
    assert plan["status"] == "completed"
    assert all(sim.subtask(s["subtask_id"])["status"] == "completed" for s in plan["subtasks"])
    assert sim.queue_task("w")["status"] == "completed"
    assert sim.layout.report(ORCH, ".md") in sim.store.files
    keyed = Counter(e.get("event_id") for e in sim.events())
    assert keyed[f"{ORCH}:completed"] == 1 and keyed[f"{ORCH}:stage:3:completed"] == 1


@pytest.mark.parametrize("full_at", range(1, 6))
def test_a_disk_full_as_a_person_aborts_aborts_the_orchestration_once_freed(
        full_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = started()
    free = full_disk_from(sim, full_at, monkeypatch)
    sim.store.files[sim.layout.requests / "1-x.json"] = b'{"orchestration_id": "orch-w", "action": "abort"}'
    passes(sim, 1, 5)
    free()
    passes(sim, 120, 120)
    assert sim.plan(ORCH)["status"] == "aborted"
    assert sim.queue_task("w")["status"] == "cancelled"
    assert sim.store.get(sim.layout.subtask_handoff("development", sid("design")))["status"] == "cancelled"
    assert len(sim.events("orchestration_aborted")) == 1


def simple_task_routed() -> Sim:
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in api/users.py line 42"))
    sim.run("queue")
    assert sim.queue_task("s")["status"] == "assigned"
    return sim


def test_a_handoff_a_full_disk_kept_from_being_withdrawn_on_cancel_is_withdrawn_once_freed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """It used to be said once (``handoff_failed``: "mark it cancelled by hand") and left ``pending``:
    the consumer would start a worker for a task a person had cancelled."""
    sim = simple_task_routed()
    queue_edits.edit_task(sim.store, "s", lambda entry: queue_edits.cancel(
        entry, by="ops", now=iso(sim.clock), reason="not needed", has_plan=False))
    free = full_disk_from(sim, 1, monkeypatch)
    passes(sim, 1, 5)
    free()
    passes(sim, 120, 120)
    handoff = sim.store.get(sim.layout.task_handoff("development", "s", 1))
    assert handoff["status"] == "cancelled"
    assert len(sim.events("handoff_withdrawn")) == 1 and len(sim.events("task_cancelled")) == 1
    assert len(sim.events("handoff_failed")) == 1


# --- a lock another process holds for long ----------------------------------------------------------

def test_a_lock_held_past_the_timeout_is_waited_for_once_then_tried_without_waiting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's ``orchestrator subtask`` suspended with Ctrl-Z holds its subtask file's lock: each pass
    that wrote that file waited the whole lock timeout again, holding up every other report (and,
    with a few such files in one pass, the systemd watchdog, which then restarted the daemon into
    the same wait)."""
    settings = Settings(Config.model_validate({"watch": {"lock_timeout_seconds": 0.05}}))
    store = FolderStore(Layout(tmp_path), settings)
    path = tmp_path / "orchestrator" / "subtasks" / "x.json"
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    waits: list[float] = []
    acquire = FileLock.acquire

    def noting(self: FileLock, timeout: float | None = None, *args: Any, **kwargs: Any) -> Any:
        waits.append(-1 if timeout is None else timeout)
        return acquire(self, timeout, *args, **kwargs)

    monkeypatch.setattr(FileLock, "acquire", noting)
    holder = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    for _ in range(3):
        with pytest.raises(LockTimeout, match="still held"):
            store.update_json(path, lambda data: data.update(n=1))
    assert waits == [0.05, 0, 0]
    os.close(holder)
    store.update_json(path, lambda data: data.update(n=1))
    store.update_json(path, lambda data: data.update(n=2))
    assert waits[3:] == [0, 0.05] and json.loads(path.read_text()) == {"n": 2}
