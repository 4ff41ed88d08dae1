"""Lost or doubled work, attacked a seventh time: events that never come, crashes between writes,
two daemons, a wedged daemon, late and wrong reports, clocks.

Each test here failed before the fix it names; the process tests run the real daemon.
"""

from __future__ import annotations

import errno
import json
import shutil
import signal
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator import engine, queue_edits
from orchestrator.cli import main as cli_main
from orchestrator.clock import iso
from orchestrator.store import Crash

from conftest import DaemonProcess, queue_doc, queue_task, task, wait_for, write_by_rename
from sim import SUBTASKS, Sim
from sim import task as sim_task

SIMPLE = "Fix bug in api/users.py line 42"


# --- one daemon per folder --------------------------------------------------------------------------


def only_one_serves(folder: Path, first: DaemonProcess, second: DaemonProcess) -> DaemonProcess:
    """Start ``second`` beside ``first`` (the lock file made anew): whichever takes it serves the folder,
    the other exits with 3. The one that serves, once it has taken a task."""
    second.start(wait=False)
    assert first.proc is not None and second.proc is not None
    wait_for(lambda: first.proc.poll() is not None or second.proc.poll() is not None, 30, "one of them to exit")
    loser, survivor = (first, second) if first.proc.poll() is not None else (second, first)
    assert loser.proc is not None and loser.proc.wait(15) == 3
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-1", SIMPLE)))
    wait_for(lambda: queue_task(folder, "t-1")["status"] == "assigned", 15, "t-1 assigned")
    assert survivor.alive() and not loser.alive()
    return survivor


@pytest.mark.process
def test_a_lock_file_replaced_by_a_folder_never_lets_a_second_daemon_serve_the_folder(
    folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """Defect: the rescan loop's lock check raised IsADirectoryError (the lock file was a folder for a
    while: a mistaken ``mkdir``, a restore that made it one) and the loop ended for good, silently: the
    lock was never checked again, so a second daemon started once the folder was removed took the new
    lock file and both served the folder (every task handed off twice from then on)."""
    first = daemon_factory(folder).start()
    lock = folder / "orchestrator/daemon.lock"
    lock.unlink()
    lock.mkdir()
    first.wait_event("daemon_lock_unusable", timeout=15)
    lock.rmdir()
    survivor = only_one_serves(folder, first, daemon_factory(folder))
    assert len(first.events("daemon_lock_unusable")) == 1  # said once, though checked at every rescan
    assert survivor.stop() == 0


@pytest.mark.process
def test_with_a_folder_in_the_lock_files_place_run_says_so_and_a_standby_waits(
    folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """Defect: ``run`` stopped with a traceback from deep in filelock (IsADirectoryError), and so did a
    ``--standby`` daemon at its first try: under systemd it was restarted again and again, and never took
    over. ``run`` now says what is in the way (exit status 2); a standby waits until it is a lock file."""
    (folder / "orchestrator").mkdir()
    lock = folder / "orchestrator/daemon.lock"
    lock.mkdir()
    refused = daemon_factory(folder).start(wait=False)
    assert refused.proc is not None and refused.proc.wait(30) == 2
    assert "daemon's lock file" in refused.log.read_text() and "Traceback" not in refused.log.read_text()
    standby = daemon_factory(folder).start("--standby", wait=False)
    assert standby.proc is not None
    wait_for(lambda: "daemon_lock_unusable" in standby.log.read_text() or standby.proc.poll() is not None, 30,
             "the standby to wait")
    assert standby.alive(), standby.log.read_text()
    lock.rmdir()
    standby.wait_event("orchestrator_started", timeout=15)
    write_by_rename(folder / "task-queue.json", queue_doc(task("t-1", SIMPLE)))
    wait_for(lambda: queue_task(folder, "t-1")["status"] == "assigned", 15, "t-1 assigned")
    assert standby.stop() == 0


def test_doctor_says_a_folder_in_the_lock_files_place_hides_whether_a_daemon_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Defect: with a folder where the daemon's lock file belongs, ``doctor`` said "no daemon is running"
    (a flock on the folder succeeds) while the daemon ran on, holding the lock it took on the file."""
    folder = tmp_path / "c"
    (folder / "orchestrator" / "daemon.lock").mkdir(parents=True)
    assert cli_main(["doctor", "--coordination-dir", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "orchestrator/daemon.lock is not a file: whether a daemon runs cannot be told" in out
    assert "no daemon is running" not in out


@pytest.mark.process
def test_a_folder_replaced_by_a_file_while_running_ends_neither_the_rescans_nor_the_lock_check(
    folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """Defect: a file put in place of a watched folder (``orchestrator/requests``: a cleanup script, a
    mistaken ``mv``) made the rescan's ``make_folders`` raise, which ended the rescan loop for good,
    silently: after the folder was put back it was never watched again, a missed queue change waited
    for the monitor's tick, and the lock was never checked again, so a second daemon started once the
    lock file was gone served the folder beside the first."""
    first = daemon_factory(folder).start()
    requests = folder / "orchestrator/requests"
    requests.rmdir()
    requests.write_text("not a folder")
    wait_for(lambda: "folder_recreated" in first.log.read_text(), 15, "the rescan to see the file")
    requests.unlink()
    requests.mkdir()
    (folder / "orchestrator/daemon.lock").unlink()
    assert only_one_serves(folder, first, daemon_factory(folder)).stop() == 0


@pytest.mark.process
def test_a_folder_deleted_and_made_again_is_watched_again_though_it_got_the_old_inode_number(
    folder: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    """Defect: the rescan told a re-created folder by its inode number, but ext4 gives a folder made
    right after ``rm -rf`` of one the number just freed (``rm -rf orchestrator/requests; mkdir ...``):
    the deletion ended the folder's watch and nothing noticed, so no file event came from it again and
    each report, request or worker spec there waited for the monitor's tick (two minutes by default),
    for good. A watched folder's deletion now makes the next rescan watch it again."""
    daemon = daemon_factory(folder).start()
    requests = folder / "orchestrator/requests"
    shutil.rmtree(requests)
    requests.mkdir()
    wait_for(lambda: "folder_recreated" in daemon.log.read_text(), 15, "the rescan to watch it again")
    (requests / "1-x.json").write_text("[]")  # a request that is not an object: refused at once, and said
    daemon.wait_event("request_invalid", timeout=15)  # the monitor's tick is two minutes away
    assert daemon.stop() == 0


# --- kill -9 between two writes ---------------------------------------------------------------------

ORCH = "orch-w"
DESIGN = f"{ORCH}-design"


def widget(config: dict[str, Any] | None = None) -> Sim:
    """The widget task's plan begun: the design subtask handed off (attempt 1)."""
    sim = Sim(config=config)
    sim.start()
    sim.submit(sim_task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    return sim


def test_a_worker_that_ignores_sigterm_when_the_daemon_dies_is_killed_before_its_retry_starts() -> None:
    """Defect: a failed attempt's worker is stopped with SIGTERM, then SIGKILL after the grace period;
    those stop orders lived only in the daemon's memory. Killed within the grace period, the daemon
    came back, handed the retry off when its backoff ended, and never killed the old worker: two
    attempts of one subtask ran at once, for good."""
    sim = widget({"retry": {"terminate_grace_seconds": 30, "backoff_base_seconds": 1, "jitter": 0}})
    sim.processes.states[79] = "running"
    sim.processes.ignore_term.add(79)
    sim.report(DESIGN, "start", worker_id="w1", pid=79)
    sim.report(DESIGN, "fail", reason="out of memory", worker_id="w1")
    sim.tick(1)
    assert sim.processes.signals == [(79, signal.SIGTERM)] and sim.subtask(DESIGN)["status"] == "retry_wait"
    sim = sim.restart()  # kill -9 within the grace period: the SIGKILL was still to come
    sim.tick(5)  # the backoff is over; the old worker still runs
    assert sim.subtask(DESIGN)["attempt"] == 1  # never two attempts at once
    for _ in range(4):
        sim.tick(10)
    assert (79, signal.SIGKILL) in sim.processes.signals and sim.processes.states[79] == "gone"
    assert sim.subtask(DESIGN)["attempt"] == 2 and sim.subtask(DESIGN)["status"] == "assigned"
    assert [e["how"] for e in sim.events("worker_terminated")] == ["killed"]


def escalate_resume_cancel_retry(sim: Sim, budget: int = 80) -> Sim:
    """Drive, from whatever the files say: the design subtask fails three times and is escalated, a
    person retries it (``orchestrator resume``) and it completes, the plan runs to its end; the simple
    task is cancelled once routed (``orchestrator cancel``), then retried (``orchestrator retry``)."""
    def edit(edit: Callable[[dict[str, Any]], None]) -> None:
        queue_edits.edit_task(sim.store, "s", edit)

    for _ in range(budget):
        plan, simple = sim.plan(ORCH), sim.queue_task("s")
        resumed = any(i.get("event") == "resumed" for i in plan.get("interventions", []))
        if plan["status"] == "completed" and simple["status"] == "assigned" and simple.get("previous_attempts"):
            return sim
        now = iso(sim.clock)
        if simple["status"] == "assigned" and not simple.get("previous_attempts"):
            edit(lambda e, now=now: queue_edits.cancel(e, by="a person", now=now, reason="not now", has_plan=False))
        elif simple["status"] == "cancelled":
            edit(lambda e, now=now: queue_edits.retry(e, by="a person", now=now, has_plan=False))
        if plan["status"] == "blocked" and not resumed and not sim.store.list_json(sim.layout.requests):
            sim.store.put(sim.layout.requests / "1-retry.json",
                          {"orchestration_id": ORCH, "action": "retry", "subtask_id": DESIGN})
        sim.work_assigned(ORCH, lambda subtask_id, _, resumed=resumed: subtask_id == DESIGN and not resumed)
        sim.tick(100)
    raise AssertionError("the scenario did not finish")


def started_widget_and_simple() -> Sim:
    sim = Sim()
    sim.start()
    sim.submit(sim_task("w", "Widget", subtasks=SUBTASKS), sim_task("s", "Fix bug in app/main.py line 3"))
    sim.run("queue")
    return sim


def scenario_writes() -> tuple[int, Counter[str], dict[str, Any]]:
    """The writes of the whole scenario, its event ids and its handoffs as they end, without a crash."""
    sim = started_widget_and_simple()
    before = sim.store.writes
    escalate_resume_cancel_retry(sim)
    handoffs = {p.name: json.loads(sim.store.files[p]).get("status") for p in sim.handoffs()}
    return sim.store.writes - before, sim.event_ids(), handoffs


SCENARIO = scenario_writes()


@pytest.mark.parametrize("crash_at", range(1, SCENARIO[0] + 1))
def test_a_crash_anywhere_in_an_escalation_a_resume_a_cancel_and_a_retry_loses_and_doubles_nothing(
        crash_at: int) -> None:
    """Defect: a handoff withdrawn (superseded by a retry's attempt, or its task cancelled) just before
    a kill -9, whose ``handoff_withdrawn`` was not appended yet, was never announced: the restart found
    it ``cancelled`` already and took that for nothing to do. A handoff withdrawn for the same reason
    since the part of the events file read at start is announced (once: the event has an id)."""
    _, announced, handoffs = SCENARIO
    sim = started_widget_and_simple()
    sim.store.crash_at = sim.store.writes + crash_at
    with pytest.raises(Crash):
        escalate_resume_cancel_retry(sim)
    sim = escalate_resume_cancel_retry(sim.restart())
    keyed = sim.event_ids()
    assert [k for k, n in keyed.items() if n > 1] == []
    assert [k for k in announced if k not in keyed] == []
    assert {p.name: json.loads(sim.store.files[p]).get("status") for p in sim.handoffs()} == handoffs


def test_a_withdrawal_announced_before_the_part_of_the_events_file_read_at_start_is_not_said_again() -> None:
    """The other side of the fix above: a handoff withdrawn long ago, its event further back than the
    start reads, is no unannounced withdrawal."""
    sim = started_widget_and_simple()
    now = iso(sim.clock)
    queue_edits.edit_task(sim.store, "s", lambda e: queue_edits.cancel(e, by="a person", now=now, reason="x",
                                                                       has_plan=False))
    sim.run("queue")
    assert len(sim.events("handoff_withdrawn")) == len(sim.events("task_cancelled")) == 1
    sim.clock.advance(3600)
    later = json.dumps({"timestamp": iso(sim.clock), "type": "worker_completed", "source": "worker-7",
                        "result": "x" * 1000})
    sim.store.files[sim.layout.events] += (later.encode() + b"\n") * 5000  # 5 MB of other writers' lines
    sim.core.note("orchestrator_stopped")
    sim = sim.restart()
    sim.tick(1)  # the widget's design, never started in that hour, has its own withdrawn: not counted here
    assert len(sim.events("handoff_withdrawn", task_id="s")) == len(sim.events("task_cancelled")) == 1


# --- a wedged daemon, or a busy one ----------------------------------------------------------------


def drain(sim: Sim, budget: int = 50) -> int:
    """Queue passes as the daemon runs them: another one at once while a pass says ``again``, and
    after a pause while one says ``failed``."""
    for passes in range(1, budget + 1):
        result = sim.run("queue")
        if not (result.again or result.failed):
            return passes
    raise AssertionError("the queue never settled")


def test_a_burst_of_tasks_is_taken_a_bounded_number_per_pass_each_once() -> None:
    """Defect: one pass took every new pending task, however many: a coordinator that dropped 3,000
    tasks at once held the engine for minutes in one pass (classify, plan, write each; 1,000 complex
    ones took 28 s here). Past three lock timeouts the daemon stops its systemd watchdog ping, so
    systemd killed it mid-pass, before the queue claim was written, and the restarted daemon began the
    same pass again: no task was ever taken, unattended, for good."""
    sim = Sim()
    sim.start()
    burst = [sim_task(f"s{n}", f"Fix bug in app/main.py line {n}") if n % 3 else
             sim_task(f"c{n}", f"Widget {n}", subtasks=SUBTASKS) for n in range(250)]
    sim.submit(*burst)
    first = sim.run("queue")
    taken = len(sim.events("task_assigned")) + len(sim.events("orchestration_started"))
    assert first.again and 0 < taken <= engine.TASKS_PER_PASS
    drain(sim)
    sim.tick(1)
    assert all(sim.queue_task(t["id"])["status"] in ("assigned", "orchestrating") for t in burst)
    keyed = sim.event_ids()
    assert [k for k, n in keyed.items() if n > 1] == []
    assert len(sim.events("task_assigned")) + len(sim.events("orchestration_started")) == len(burst)


def test_tasks_whose_handoffs_cannot_be_written_hold_up_no_other_task() -> None:
    """A master's handoff folder broken (here: every security handoff refused) with more of its
    tasks at the head of the queue than one pass takes: the tasks behind them are still taken."""
    sim = Sim()
    sim.start()
    create = sim.store._create

    def refusing(files: list[tuple[Path, bytes]]) -> list[bool]:
        if any("/security/" in str(path) for path, _ in files):
            raise OSError(errno.EIO, "Input/output error", str(files[0][0]))
        return create(files)

    sim.store._create = refusing  # type: ignore[method-assign]
    stuck = [sim_task(f"r{n}", f"Rotate the API key of service {n}") for n in range(engine.TASKS_PER_PASS + 20)]
    sim.submit(*stuck, sim_task("d1", "Fix bug in app/main.py line 3"))
    for _ in range(4):
        sim.run("queue")
    assert sim.queue_task("d1")["status"] == "assigned"
    stuck_pass = sim.run("queue")
    assert stuck_pass.failed and not stuck_pass.again  # tried again after a pause, not in a busy loop
    assert all(sim.queue_task(t["id"])["status"] == "pending" for t in stuck)
    assert len(sim.events("handoff_failed")) == len(stuck)  # each said once, however often retried
    sim.store._create = create  # type: ignore[method-assign]
    drain(sim)
    assert all(sim.queue_task(t["id"])["status"] == "assigned" for t in stuck)


# --- clocks and time formats -------------------------------------------------------------------------

BEATS: dict[str, Callable[[datetime], object]] = {
    "local_time_without_offset": lambda now: (now - timedelta(hours=6)).replace(tzinfo=None).isoformat(),
    "lowercase_z": lambda now: now.strftime("%Y-%m-%dT%H:%M:%Sz"),
    "utc_word": lambda now: now.strftime("%Y-%m-%d %H:%M:%S UTC"),
    "http_date": lambda now: now.strftime("%a, %d %b %Y %H:%M:%S GMT"),
}
"""Heartbeats as workers write them that the monitor reads as hours old or not at all: Python's
``datetime.now().isoformat()`` on a host six hours behind UTC, RFC 3339's lowercase ``z``, Ruby's
``Time#to_s`` in UTC, JavaScript's ``toUTCString()``."""


@pytest.mark.parametrize("style", BEATS)
def test_a_worker_whose_beats_cannot_be_read_as_now_is_alive_while_they_change(style: str) -> None:
    """Defect: a heartbeat the monitor could not read, or read hours in the past, counted for nothing,
    though the monitor saw it change every minute: the worker was announced stale after 3 minutes and
    stopped as a zombie ("no heartbeat, file change or progress for 1260s") after 20, while it worked,
    and its work was done again by the retry. A change the monitor saw bounds the age: the beat is
    no older than the look before the one that saw it change."""
    sim = widget()
    sim.processes.states[4242] = "running"
    sim.report(DESIGN, "start", worker_id="w1", pid=4242)
    sim.tick(1)
    beat = sim.layout.worker("w1") / "heartbeat.json"
    for _ in range(30):
        sim.clock.advance(60)
        sim.store.put(beat, {"timestamp": BEATS[style](sim.clock.now()), "worker_id": "w1"})
        sim.tick()
    assert not sim.events("worker_heartbeat_stale") and not sim.events("zombie_detected")
    assert sim.subtask(DESIGN)["status"] == "in_progress" and sim.processes.signals == []
    for _ in range(25):  # it hangs: the same beat from now on
        sim.tick(60)
    assert len(sim.events("worker_heartbeat_stale")) == len(sim.events("zombie_detected")) == 1
    assert sim.subtask(DESIGN)["attempt"] == 2


def test_file_events_the_kernel_dropped_make_the_daemon_look_at_every_file_at_once(
        folder: Path, fast_config: Path) -> None:
    """Defect: when the kernel's inotify queue overflowed (more changes at once than
    ``fs.inotify.max_queued_events``), watchdog only rebuilt its watches and logged it; the lost changes
    (a new task, a worker's report) waited for the monitor's tick, up to 2 minutes."""
    import asyncio
    import logging

    from orchestrator.config import load_config
    from orchestrator.daemon import Daemon
    from orchestrator.watcher import OVERFLOW_LOGGER, FolderWatcher

    loop = asyncio.new_event_loop()
    told: list[str] = []
    watched = folder / "watched"
    watcher = FolderWatcher(loop, [watched], lambda path: None, overflowed=lambda: told.append("lost"))
    try:
        watcher.start()
        logging.getLogger(OVERFLOW_LOGGER).warning("Inotify queue overflowed; filesystem events were lost")
        loop.run_until_complete(asyncio.sleep(0.05))
        assert told == ["lost"]
    finally:
        watcher.stop()
    logging.getLogger(OVERFLOW_LOGGER).warning("Inotify queue overflowed; filesystem events were lost")
    loop.run_until_complete(asyncio.sleep(0.05))
    loop.close()
    assert told == ["lost"]  # a stopped watcher hears nothing more
    daemon = Daemon(folder, load_config(fast_config, folder))
    daemon._events_lost()
    assert "tick" in daemon._jobs  # the monitor's full look, now


def test_a_problem_met_on_every_try_is_said_once_until_it_changes_or_clears() -> None:
    from orchestrator.daemon import SaidOnce

    said = SaidOnce()
    assert said.new(IsADirectoryError(21, "Is a directory")) == "IsADirectoryError: [Errno 21] Is a directory"
    assert said.new(IsADirectoryError(21, "Is a directory")) == ""  # the same again: already said
    assert said.new(PermissionError(13, "Permission denied")) == "PermissionError: [Errno 13] Permission denied"
    said.clear()
    assert said.new(PermissionError(13, "Permission denied")) != ""  # after a success, said again
