"""A twentieth attack, on the changes merged on 2026-11-27 that nobody had attacked: a cancel's event id carrying
``@cancelled_at``, a subtask file locked past the timeout, the store's held replaced files (``_retire``), the CLI's
options and exit codes, and the history index kept between passes."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from orchestrator import protocol
from orchestrator.config import Config, Settings
from orchestrator.core import FULL, Core
from orchestrator.flock import FileLock, Timeout
from orchestrator.store import RETIRED, RETIRED_BYTES, SPARES, FolderStore, Layout, LockTimeout, StoreError
from orchestrator.timestamps import now_iso
from test_history import COOKIE, COOKIE_HISTORY, RULES_ONLY, finished
from test_queue_edits import cancel, routed

from conftest import read_events, wait_for
from sim import FakeProcesses, Sim, task


def _rewrite(sim: Sim, task_id: str, **fields: Any) -> None:
    """Another writer rewrites one entry of the queue (no lock), the rest as it was."""
    queue = sim.store.get(sim.layout.queue)
    for entry in queue["tasks"]:
        if entry.get("id") == task_id:
            entry.update(fields)
    sim.store.put(sim.layout.queue, queue)


@pytest.mark.parametrize("style", ["+00:00", "-06:00", "seconds"])
def test_a_cancel_whose_time_another_writer_writes_in_its_own_style_is_said_once(style: str) -> None:
    """The cancel's event id carries ``cancelled_at``, so a second act (undone by an old copy, made again) is said
    again. A writer that re-serialises the queue writes the same moment in its own style (interop: ``...Z``,
    ``-06:00``, with or without milliseconds): the same act, not a second one. Regression: said twice in one run."""
    sim = Sim()
    sim.start()
    routed(sim)
    cancel(sim, "t1")
    sim.run("queue")
    stamp = sim.queue_task("t1")["cancelled_at"]
    assert stamp.endswith(".000Z")
    same = {"+00:00": stamp.replace("Z", "+00:00"), "-06:00": "2025-11-05T12:00:00-06:00",
            "seconds": stamp.replace(".000Z", "Z")}[style]
    assert stamp == "2025-11-05T18:00:00.000Z"  # the sim's clock: the -06:00 style above is that moment
    _rewrite(sim, "t1", cancelled_at=same)
    sim.tick(1)
    assert len(sim.events("task_cancelled", task_id="t1")) == 1
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("task_cancelled", task_id="t1")) == 1  # nor by a restart


def test_a_cancel_undone_and_made_again_a_millisecond_later_is_still_a_second_act() -> None:
    """The opposite: a different moment is a different act, whatever its style."""
    sim = Sim()
    sim.start()
    routed(sim)
    before = sim.store.get(sim.layout.queue)
    cancel(sim, "t1")
    sim.run("queue")
    sim.store.put(sim.layout.queue, before)  # an old copy undoes it
    sim.tick(0)
    cancel(sim, "t1")
    _rewrite(sim, "t1", cancelled_at="2025-11-05T12:00:00.001-06:00")  # made again 1 ms later, another style
    sim.run("queue")
    said = sim.events("task_cancelled", task_id="t1")
    assert len(said) == 2 and said[0]["event_id"] != said[1]["event_id"]



@pytest.mark.parametrize("crash_at", range(1, 10))
def test_a_cancel_undone_and_made_again_is_said_once_each_whatever_write_a_crash_cut(crash_at: int) -> None:
    """Held: a crash at any write after each of the two cancels (the handoff's withdrawal, the events) says each once,
    and no event id twice."""
    sim = Sim()
    sim.start()
    routed(sim)
    before = sim.store.get(sim.layout.queue)
    cancel(sim, "t1")
    sim = sim.crash_and_restart(crash_at)
    assert len(sim.events("task_cancelled", task_id="t1")) == 1
    assert sim.store.get(sim.layout.task_handoff("security", "t1"))["status"] == "cancelled"
    sim.store.put(sim.layout.queue, before)  # an old copy undoes it
    sim.tick(1)
    sim.clock.advance(60)
    cancel(sim, "t1")
    sim = sim.crash_and_restart(crash_at)
    assert len(sim.events("task_cancelled", task_id="t1")) == 2
    assert max(sim.event_ids().values()) == 1


# --- a subtask file locked by another process past the lock timeout ---------------------------------------------


def _folder_core(tmp_path: Path, timeout: float) -> tuple[Core, FolderStore]:
    root = tmp_path / "coordination"
    root.mkdir()
    settings = Settings(Config.model_validate({"watch": {"lock_timeout_seconds": timeout}}))
    store = FolderStore(Layout(root), settings)
    store.make_folders()
    store.layout.queue.write_text(json.dumps({"tasks": []}))
    return Core(store, settings, processes=FakeProcesses(), rng=random.Random(1)), store


@contextmanager
def _held(paths: list[Path]) -> Iterator[None]:
    """Another holder of these files' locks (an ``flock`` on its own open file, as a shell's ``flock F.lock``)."""
    fds = [os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT) for path in paths]
    try:
        for fd in fds:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in fds:
            os.close(fd)


@contextmanager
def _waits_run_out() -> Iterator[list[float]]:
    """The lock waits that ran out, with their timeouts (a try, timeout 0, is no wait): counted, not timed, so a
    test of how long a pass holds on to held locks does not depend on the machine's speed."""
    ran_out: list[float] = []
    acquire = FileLock.acquire

    def counted(self: FileLock, timeout: float) -> None:
        try:
            acquire(self, timeout)
        except Timeout:
            if timeout > 0:
                ran_out.append(timeout)
            raise

    with mock.patch.object(FileLock, "acquire", counted):
        yield ran_out


WIDE = [{"id": "design", "title": "Design the widget", "assigned_to": "development"},
        *({"id": f"part{n}", "title": f"Build the widget part {n}", "assigned_to": "development",
           "dependencies": ["design"]} for n in range(1, 6))]
"""Design, then five parts side by side: one stage advance writes five sibling files."""


def _finish_design(core: Core, store: FolderStore) -> str:
    store.layout.queue.write_text(json.dumps({"tasks": [task("w", "Widget", subtasks=WIDE)]}))
    core.start(pid=1)
    core.run_pass(FULL)
    _designed(store, "orch-w-design", "w1")
    return "orch-w-design"


def _designed(store: FolderStore, design: str, worker: str) -> None:
    """The design subtask started and completed by its worker, as its file says."""
    path = store.layout.subtask(design)
    for action in ("start", "complete"):
        data = json.loads(path.read_text())
        assert protocol.apply(data, action, now_iso(), worker_id=worker, result="designed") is None  # type: ignore[arg-type]
        path.write_text(json.dumps(data))


def _three_plans_designed(tmp_path: Path, timeout: float) -> tuple[Core, FolderStore]:
    """Three plans (design, then two parts), each design completed: the next pass advances all three."""
    core, store = _folder_core(tmp_path, timeout)
    core.start(pid=1)
    for n in range(3):  # one a pass: a pass plans one task at once and drafts the rest meanwhile
        queue = json.loads(store.layout.queue.read_text())
        queue["tasks"].append(task(f"w{n}", f"Widget {n}", subtasks=WIDE[:3]))
        store.layout.queue.write_text(json.dumps(queue))
        core.run_pass(FULL)
    for n in range(3):
        _designed(store, f"orch-w{n}-design", f"w{n}")
    return core, store


def test_many_sibling_files_locked_at_once_hold_the_pass_for_one_lock_timeout_not_one_each(tmp_path: Path) -> None:
    """The watchdog pings only while no pass has run longer than three lock timeouts. A stage advance whose five
    sibling subtask files another process holds locked waited the whole timeout for each, one after the other (five
    timeouts): past the watchdog's bound, so systemd killed the daemon, which at its start waited the same again.
    The step's waits now share one timeout; each file is still said once as a wait and written once free."""
    timeout = 0.4
    core, store = _folder_core(tmp_path, timeout)
    design = _finish_design(core, store)
    parts = [store.layout.subtask(f"orch-w-part{n}") for n in range(1, 6)]
    assert all(p.exists() for p in parts)
    with _held(parts), _waits_run_out() as ran_out:
        core.run_pass({("subtask", design)})
    assert ran_out == [timeout]  # one wait, the other four tried
    said = [e for e in read_events(store.layout.root) if e["type"] == "write_failed"]
    assert sorted(e["subtask_id"] for e in said) == [f"orch-w-part{n}" for n in range(1, 6)]
    core.run_pass(FULL)
    assert all(json.loads(p.read_text())["status"] == "assigned" for p in parts)
    core.stop()


def test_one_sibling_file_locked_for_less_than_the_timeout_is_waited_for_and_written(tmp_path: Path) -> None:
    """The near case: a lock a worker lets go of within the timeout is waited for, as before (no write_failed)."""
    timeout = 1.0
    core, store = _folder_core(tmp_path, timeout)
    design = _finish_design(core, store)
    part = store.layout.subtask("orch-w-part1")
    fd = os.open(f"{part}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    releaser = threading.Timer(0.3, os.close, (fd,))  # a worker's edit that ends within the timeout
    releaser.start()
    core.run_pass({("subtask", design)})
    releaser.join()
    assert json.loads(part.read_text())["status"] == "assigned"
    assert [e for e in read_events(store.layout.root) if e["type"] == "write_failed"] == []
    core.stop()



def test_three_plans_advancing_in_one_pass_with_a_locked_file_each_hold_it_for_one_lock_timeout(tmp_path: Path) -> None:
    """Each plan's stage advance is its own step, and each step waited one timeout for its first held file, so
    three plans whose next stage has a file another process holds (three designs finished in one debounced pass, or
    a restart's first pass) held the pass three timeouts: the watchdog's bound. A pass now waits out one."""
    timeout = 0.4
    core, store = _three_plans_designed(tmp_path, timeout)
    with _held([store.layout.subtask(f"orch-w{n}-part1") for n in range(3)]), _waits_run_out() as ran_out:
        core.run_pass({("subtask", f"orch-w{n}-design") for n in range(3)})
    core.stop()
    assert ran_out == [timeout]



def test_what_the_holder_wrote_under_its_lock_is_kept_when_the_file_is_written_once_free() -> None:
    """Held: the daemon's write, refused while another process held the file, is a read-modify-write once the lock
    is free: what the holder wrote meanwhile stays; a restart meanwhile does not say the wait again (the events file
    says it is open: ops22) and writes the file once free, with one handoff and one ``write_recovered``."""
    from test_core import HeldStore, sid

    from sim import SUBTASKS

    sim = Sim(store=HeldStore())
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    store = sim.store
    assert isinstance(store, HeldStore)
    store.held.add(sim.layout.subtask(sid("backend")))
    sim.report(sid("design"), "start", worker_id="w1")
    sim.report(sid("design"), "complete", result="designed", worker_id="w1")
    sim.run(("subtask", sid("design")))
    sim.edit(sid("backend"), note="the holder's")  # written under its own lock
    sim.tick(1)
    restarted = HeldStore()
    restarted.files, restarted.held = dict(store.files), set(store.held)
    sim = Sim(restarted, sim.config, sim.clock, sim.processes)
    sim.start()
    sim.tick(1)
    assert len(sim.events("write_failed", subtask_id=sid("backend"))) == 1 and not sim.events("subtask_invalid")
    restarted.held.clear()
    sim.tick(1)
    backend = sim.subtask(sid("backend"))
    assert (backend["status"], backend["note"]) == ("assigned", "the holder's")
    assert len(sim.events("write_recovered", subtask_id=sid("backend"))) == 1
    assert len(sim.events("handoff_created", subtask_id=sid("backend"))) == 1


# --- the store's held replaced files (perf14's _retire) -------------------------------------------------------------


def _held_replaced(root: Path) -> list[str]:
    """This process's descriptors of files under ``root`` that a rename replaced (unnamed: '(deleted)')."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{name}")
            if target.startswith(str(root)) and target.endswith(" (deleted)"):
                found.append(target)
    return found


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_hours_of_passes_with_faults_leave_no_replaced_file_held_and_a_clean_stop_closes_the_rest(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Held: the replaced files a pass holds (O_PATH) are let go of between passes, whatever the pass did: a file
    replaced twice, a write that fails after the hold (a folder, a full disk at the rename), a symlink or a FIFO in
    the place, a pass that raises mid-way. Over 160 passes the descriptors stay bounded, and after the spares thread
    has run none of them is a replaced file; a clean stop closes spares and holds."""
    root, queue = store.layout.root, store.layout.queue
    store.write_json(queue, {"tasks": []})
    before = _fds()
    real_replace = os.replace

    def full_disk(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    for n in range(160):
        with contextlib.suppress(RuntimeError, StoreError), store.working():
            store.write_json(queue, {"tasks": [], "n": n})
            store.write_json(queue, {"tasks": [], "n": n, "again": True})  # replaced twice in one pass
            odd = root / f"odd-{n % 4}.json"
            for leftover in (odd,):
                if leftover.is_symlink() or leftover.is_file() or leftover.is_fifo():
                    leftover.unlink()
                elif leftover.is_dir():
                    leftover.rmdir()
            if n % 4 == 0:
                odd.mkdir()  # a folder in the place: the rename fails after the hold
            elif n % 4 == 1:
                odd.symlink_to(queue)
            elif n % 4 == 2:
                os.mkfifo(odd)
            else:
                odd.write_text("{}")
            with contextlib.suppress(StoreError, OSError):
                store.write_json(odd, {"n": n})
            if n % 5 == 0:
                monkeypatch.setattr(os, "replace", full_disk)
                try:
                    store.write_json(queue, {"tasks": [], "lost": n})
                finally:
                    monkeypatch.setattr(os, "replace", real_replace)
            if n % 7 == 0:
                raise RuntimeError("a pass that raises mid-way")
        assert _fds() <= before + SPARES + RETIRED + 8
    wait_for(lambda: not _held_replaced(root), what="the replaced files let go of")
    assert _fds() <= before + SPARES + 8
    with store.working():
        store.write_json(queue, {"tasks": [], "last": 1})
        store.write_json(queue, {"tasks": [], "last": 2})
        assert len(_held_replaced(root)) == 2  # held while the pass runs (no spares thread meanwhile)
        store.drop_spares()  # a clean stop
        assert _held_replaced(root) == []
    assert _fds() <= before + 8  # lock files' descriptors only


# --- the history index kept between passes (history.IndexKept) ------------------------------------------------------


def _queue_edit(sim: Sim, edit: Any) -> None:
    queue = sim.store.get(sim.layout.queue)
    edit(queue["tasks"])
    sim.store.put(sim.layout.queue, queue)


def _set(task_id: str, **fields: Any) -> Any:
    def edit(tasks: list[dict[str, Any]]) -> None:
        next(t for t in tasks if t.get("id") == task_id).update(fields)
    return edit


def _swap(tasks: list[dict[str, Any]]) -> None:
    """One finished task removed and another added in the same write: as many examples as before."""
    tasks[:] = [t for t in tasks if t.get("id") != "h1"]
    tasks.append(finished("h5", "Add a max-age to the session cookie of the app", "development"))


CHANGES = {
    "title edited in place": _set("h1", title="Show the build number on the about page"),
    "description edited in place": _set("h1", description="The footer shows the build number and the dark mode toggle."),
    "assigned_to changed": lambda tasks: (_set("h1", assigned_to="development")(tasks),
                                          _set("h2", assigned_to="development")(tasks)),
    "one removed, one added": _swap,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_running_daemon_asks_the_history_as_it_now_is_as_a_fresh_one_does(change: str) -> None:
    """The index is kept while the queue's examples are the same; edited in place (a title, a description, who did
    it) or one swapped for another in one write, the running daemon decides as a daemon started on that queue."""
    sim = Sim(config=RULES_ONLY)
    sim.start()
    sim.submit(*COOKIE_HISTORY)
    sim.submit(task("c1", COOKIE))
    sim.tick(1)
    assert sim.queue_task("c1")["assigned_to"] == "security"  # the history decided, and was indexed
    _queue_edit(sim, CHANGES[change])
    sim.tick(1)
    fresh = sim.restart()
    for daemon in (sim, fresh):
        daemon.submit(task("c2", COOKIE), task("c3", "Set a max-age on the session cookie of the shop"))
        daemon.tick(1)
    for probe in ("c2", "c3"):
        running, started = sim.queue_task(probe), fresh.queue_task(probe)
        assert (running["assigned_to"], running["routing_reasons"]) == (started["assigned_to"], started["routing_reasons"])


def test_a_correction_made_while_running_decides_as_after_a_restart() -> None:
    """A person's move of a task the daemon routed (a correction: the examples gain one) is in the next decision."""
    sim = Sim(config=RULES_ONLY)
    sim.start()
    sim.submit(*COOKIE_HISTORY[2:])  # development's only: the cookie task goes to development
    sim.submit(task("c1", COOKIE))
    sim.tick(1)
    assert sim.queue_task("c1")["assigned_to"] == "development"
    sim.submit(task("c0", "Set a max-age on the cookie of the shop"))
    sim.tick(1)
    _queue_edit(sim, _set("c1", assigned_to="security"))  # a person moves it
    sim.tick(1)
    assert len(sim.events("routing_corrected", task_id="c1")) == 1
    fresh = sim.restart()
    for daemon in (sim, fresh):
        daemon.submit(task("c2", "Set a shorter max-age on the session cookie of the admin app"),
                      task("c3", "Set a max-age on the cookie of the shop, shorter"))
        daemon.tick(1)
    for probe in ("c2", "c3"):
        running, started = sim.queue_task(probe), fresh.queue_task(probe)
        assert running["assigned_to"] == "security"
        assert (running["assigned_to"], running["routing_reasons"]) == (started["assigned_to"], started["routing_reasons"])


def _held_bytes(root: Path) -> int:
    total = 0
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{name}")
            if target.startswith(str(root)) and target.endswith(" (deleted)"):
                total += os.stat(f"/proc/self/fd/{name}").st_size
    return total


def test_a_burst_of_passes_over_a_big_queue_holds_a_bounded_amount_of_the_disk(store: FolderStore) -> None:
    """Passes back to back leave the spares thread no turn, so the replaced files wait for the pass to let go of
    them past RETIRED. Counted by files alone, a burst over a 3.4 MB queue (10,000 tasks) held 33 unnamed copies,
    111 MB of a disk that may be nearly full (other writers' renames then fail with ENOSPC); before the holds it
    was none. The bytes held are bounded too (here twelve rewrites in one pass: the same, deterministic)."""
    queue = store.layout.queue
    big = {"tasks": [{"id": f"t{i}", "title": "x" * 200, "description": "y" * 60} for i in range(10_000)]}
    store.write_json(queue, big)
    size = queue.stat().st_size
    peak = 0
    with store.working():  # as a burst of passes back to back: the spares thread never gets its turn
        for n in range(12):
            store.write_json(queue, big | {"n": n})
            peak = max(peak, _held_bytes(store.layout.root))
    assert peak <= RETIRED_BYTES + size


def test_the_last_replaced_files_of_a_pass_are_still_held_for_the_spares_thread(store: FolderStore) -> None:
    """The near case: what perf14 gained stays: small files, and one big one, are held, not freed in the pass."""
    queue, state = store.layout.queue, store.layout.root / "state.json"
    store.write_json(queue, {"tasks": [{"id": f"t{i}", "title": "x" * 200} for i in range(10_000)]})
    store.write_json(state, {"n": 0})
    with store.working():
        store.write_json(queue, {"tasks": [], "n": 1})
        for n in range(10):
            store.write_json(state, {"n": n})
        assert len(_held_replaced(store.layout.root)) == 11


def test_locked_files_of_several_plans_are_each_said_once_over_passes_and_written_once_free(tmp_path: Path) -> None:
    """The pass's one wait goes to a different file on each pass until every held one is known held (its lock then
    tried, not waited for): each is said once all the same (a wait and a try say it in other words), and each
    is written once its lock is free."""
    timeout = 0.2
    core, store = _three_plans_designed(tmp_path, timeout)
    parts = [store.layout.subtask(f"orch-w{n}-part1") for n in range(3)]
    with _held(parts):
        core.run_pass({("subtask", f"orch-w{n}-design") for n in range(3)})
        for _ in range(4):
            with _waits_run_out() as ran_out:
                core.run_pass(FULL)
            assert len(ran_out) <= 1
    said = Counter(e["subtask_id"] for e in read_events(store.layout.root) if e["type"] == "write_failed")
    assert said == {f"orch-w{n}-part1": 1 for n in range(3)}
    core.run_pass(FULL)
    assert all(json.loads(p.read_text())["status"] == "assigned" for p in parts)
    core.stop()


def test_a_lock_only_tried_after_the_passs_wait_is_waited_for_on_the_next_pass(tmp_path: Path) -> None:
    """The near case of one wait a pass: a lock busy when the pass, its wait spent, only tried it (a worker's short
    edit, the queue's writer) is not taken as held past the timeout; the next pass waits for it as before."""
    root = tmp_path / "coordination"
    root.mkdir()
    store = FolderStore(Layout(root), Settings(Config.model_validate({"watch": {"lock_timeout_seconds": 0.5}})))
    store.make_folders()
    held, brief = store.layout.subtask("orch-t-s01"), store.layout.subtask("orch-t-s02")
    for path in (held, brief):
        path.write_text(json.dumps({"status": "assigned"}))

    def mark(data: dict[str, Any]) -> None:
        data["orchestrator"] = 1

    with _held([held]):
        fd = os.open(f"{brief}.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        with store.working():
            with pytest.raises(LockTimeout):
                store.update_json(held, mark)  # waited out: the pass's one wait
            with pytest.raises(LockTimeout), _waits_run_out() as ran_out:
                store.update_json(brief, mark)  # only tried
            assert ran_out == []
        releaser = threading.Timer(0.2, os.close, (fd,))  # the worker's edit ends soon after the next pass begins
        releaser.start()
        with store.working():
            assert store.update_json(brief, mark) == {"status": "assigned", "orchestrator": 1}
        releaser.join()
    assert json.loads(held.read_text()) == {"status": "assigned"}


# --- the CLI: the folder before or after the command, and each command's failures -------------------------------------

FOLDER_COMMANDS = [["status"], ["show", "nope"], ["explain", "nope"], ["cancel", "nope"], ["retry", "nope"],
                   ["move", "nope", "security"], ["resume", "nope", "--abort"], ["events"],
                   ["subtask", "start", "orch-x-nope"]]
EDITS = {"cancel", "retry", "move"}


@pytest.mark.parametrize("argv", FOLDER_COMMANDS, ids=lambda argv: argv[0])
def test_each_command_says_the_same_wherever_the_folder_is_given(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Held: a missing folder is exit 2 naming it, given before the command or after; an id that does not exist is
    exit 1 (an edit says nothing was changed); a queue that cannot be read refuses every edit (exit 1), naming it."""
    from orchestrator.cli import main

    monkeypatch.delenv("ORCHESTRATOR_COORDINATION_DIR", raising=False)
    missing, folder = str(tmp_path / "missing"), tmp_path / "c"
    said = []
    for args in (["--coordination-dir", missing, *argv], [*argv, "--coordination-dir", missing]):
        assert main(args) == 2
        said.append(capsys.readouterr().err)
    assert said[0] == said[1] and f"no coordination folder {missing}" in said[0]
    assert main(["submit", "--init", "-q", "Fix the XSS in the login form", "--coordination-dir", str(folder)]) == 0
    capsys.readouterr()
    if argv[0] in ("status", "events"):
        return
    assert main(["--coordination-dir", str(folder), *argv]) == 1
    err = capsys.readouterr().err
    assert "nope" in err and (argv[0] not in EDITS or "nothing was changed" in err)
    if argv[0] in EDITS:
        (folder / "task-queue.json").write_text('{"tasks": [')  # a writer half-way through an in-place rewrite
        assert main([*argv, "--coordination-dir", str(folder)]) == 1
        assert "task-queue.json: invalid JSON" in capsys.readouterr().err
