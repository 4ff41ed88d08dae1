"""Attacks on the newest pieces of the daemon: the write path's temp folder and folder checks,
bursts, routing history, the web view and the operator CLI. Each test is a case the pieces'
authors did not write; those that found a defect keep it fixed."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from orchestrator import daemon_control, queue_edits
from orchestrator.clock import iso
from orchestrator.filecache import CachedFile
from orchestrator.history import MAX_OVERRIDES
from orchestrator.memory import RoutingMemory
from orchestrator.store import FolderStore, Layout, MemoryStore, StoreError, UnsafeName, is_own_temp
from orchestrator.web import eventlog
from orchestrator.web.app import create_app
from test_core import assert_burst_began_once

from conftest import DaemonProcess, read_queue, wait_for, write_by_rename
from sim import FAST, SUBTASKS, Sim, task


def spy_temps(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every temporary file the store writes, wherever it writes it."""
    made: list[Path] = []
    original = store._write_temps

    def recording(files: list[tuple[Path, bytes]], **how: Any) -> list[Path]:
        temps = original(files, **how)
        made.extend(temps)
        return temps

    monkeypatch.setattr(store, "_write_temps", recording)
    return made


# --- 1. the write path ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_a_file_or_fifo_in_place_of_the_temp_folder_neither_stops_the_daemon_nor_is_removed(
        tmp_path: Path, kind: str) -> None:
    layout = Layout(tmp_path / "coordination")
    layout.orchestrator.mkdir(parents=True)
    if kind == "file":
        layout.temp.write_bytes(b"someone's notes\n")
    else:
        os.mkfifo(layout.temp)
    store = FolderStore(layout)
    store.make_folders()  # the daemon's start: must not fail on someone's file
    store.write_json(layout.plan("orch-a"), {"a": 1})
    assert store.create_json_many([(layout.subtask("s1"), {"s": 1}), (layout.subtask("s2"), {"s": 2})]) == [True, True]
    store.write_json_many([(layout.subtask("s1"), {"s": 3}), (layout.subtask("s2"), {"s": 4})])
    assert store.read_json(layout.subtask("s2")) == {"s": 4}
    assert store.read_json(layout.plan("orch-a")) == {"a": 1}
    if kind == "file":
        assert layout.temp.read_bytes() == b"someone's notes\n"
    assert not [p for p in layout.root.rglob("*") if is_own_temp(p.name)]


def test_a_temp_folder_replaced_by_a_file_after_the_first_write_does_not_fail_later_writes(store: FolderStore) -> None:
    layout = store.layout
    store.write_json(layout.plan("orch-a"), {"a": 1})  # decides: temp files go to orchestrator/tmp
    layout.temp.rmdir()
    layout.temp.write_bytes(b"x")
    store.write_json(layout.plan("orch-a"), {"a": 2})
    store.write_json_many([(layout.plan("orch-a"), {"a": 3}), (layout.plan("orch-b"), {"b": 3})])
    assert store.create_json(layout.subtask("s1"), {"s": 1})
    assert store.read_json(layout.plan("orch-a")) == {"a": 3}


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_temp_folder_made_a_symlink_to_elsewhere_never_gets_the_daemons_files(
        store: FolderStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    layout = store.layout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if when == "after":
        store.write_json(layout.plan("orch-a"), {"a": 0})  # the temp folder decision is cached
    made = spy_temps(store, monkeypatch)
    layout.temp.rmdir()
    layout.temp.symlink_to(elsewhere)
    store.write_json(layout.plan("orch-a"), {"a": 1})
    store.write_json_many([(layout.plan("orch-a"), {"a": 2}), (layout.plan("orch-b"), {"b": 2})])
    store.create_json(layout.subtask("s1"), {"s": 1})
    assert made and all(p.parent.resolve().is_relative_to(layout.root.resolve()) and
                        p.parent != layout.temp for p in made)
    assert store.read_json(layout.plan("orch-a")) == {"a": 2}


@pytest.mark.parametrize("swapped", ["subtasks", "orchestrator"])
def test_a_target_folder_moved_out_and_replaced_by_a_symlink_after_the_first_write_is_refused(
        store: FolderStore, tmp_path: Path, swapped: str) -> None:
    """The folder check is cached by (device, inode): a folder moved outside the root and
    symlinked back keeps its inode, which a plain stat follows."""
    layout = store.layout
    store.write_json(layout.subtask("s1"), {"s": 1})
    inside = layout.root / swapped if swapped == "orchestrator" else layout.subtasks
    outside = tmp_path / f"outside-{swapped}"
    os.rename(inside, outside)
    inside.symlink_to(outside)
    with pytest.raises(UnsafeName):
        store.write_json(layout.subtask("s1"), {"s": 2})
    with pytest.raises(StoreError):
        store.create_json(layout.subtask("s2"), {"s": 2})
    with pytest.raises(StoreError):
        store.write_json_many([(layout.subtask("s1"), {"s": 3}), (layout.subtask("s3"), {"s": 3})])
    assert not list(outside.rglob("s2.json")) and not list(outside.rglob("s3.json"))
    assert "2" not in next(outside.rglob("s1.json")).read_text()


def test_an_in_place_same_size_rewrite_in_the_same_mtime_tick_is_delayed_to_the_monitor_tick_not_lost(
        store: FolderStore) -> None:
    """The watcher drops it (it looks like the daemon's own write), but the monitor's file cache
    does not trust an identity until it is settled, so it reads the new bytes at its next look."""
    path = store.layout.subtask("s1")
    cache = CachedFile(path)
    store.write_json(path, {"status": "in_progress"})
    assert cache.read(store)[1]  # the daemon's own write, looked at once
    st = os.stat(path)
    with open(path, "r+b") as f:  # a worker rewrites it in place: same size ...
        f.write(store.read_bytes(path).replace(b"in_progress", b"completed!!"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # ... within the same tick of the clock
    assert store.is_own(path)  # its file event is dropped as ours
    data, changed = cache.read(store)
    assert changed and data is not None and b"completed!!" in data


def test_hidden_files_in_target_folders_are_never_scanned(store: FolderStore) -> None:
    layout = store.layout
    layout.worker_specs.mkdir(parents=True, exist_ok=True)
    (layout.worker_specs / ".w1.json").write_text("{}")
    (layout.worker_specs / "w2.json").write_text("{}")
    assert [p.name for p in store.list_json(layout.worker_specs)] == ["w2.json"]


# --- 2. bursts -----------------------------------------------------------------------------------


def burst(sim: Sim | None = None) -> Sim:
    sim = sim or Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS), task("v", "Valve", subtasks=SUBTASKS),
               task("s", "Fix bug in app/main.py line 3"), task("r", "Rotate the API keys of the billing service"))
    return sim


def statuses(sim: Sim) -> dict[str, str]:
    return {t["id"]: t["status"] for t in sim.store.get(sim.layout.queue)["tasks"]}


def doubled(sim: Sim) -> list[str]:
    keyed = sim.event_ids()
    return [k for k, n in keyed.items() if n > 1]


@pytest.mark.parametrize("junk", [b"not json", b"[1, 2]", {"parent_orchestration": "orch-other", "status": "done"}])
def test_a_plan_whose_subtask_id_is_taken_by_a_file_it_did_not_write_is_blocked_and_the_burst_goes_on(
        junk: bytes | dict[str, Any]) -> None:
    """An unparseable file there was not refused: the plan began, announced the subtask created and
    handed it off with someone's junk as its file (never rewritten), so no report could arrive."""
    sim = Sim()
    taken = sim.layout.subtask("orch-w-design")
    sim.store.put(taken, junk)
    before = sim.store.files[taken]
    burst(sim).tick()
    assert statuses(sim) == {"w": "blocked", "v": "orchestrating", "s": "assigned", "r": "assigned"}
    assert sim.store.files[taken] == before
    assert not sim.events("subtask_created", orchestration_id="orch-w")
    assert not sim.events("handoff_created", subtask_id="orch-w-design")
    assert "orch-w-design" in sim.events("task_blocked", task_id="w")[0]["reason"]
    assert len(sim.events("handoff_created", subtask_id="orch-v-design")) == 1 and doubled(sim) == []


def test_one_masters_unwritable_handoff_folder_holds_back_only_its_own_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = burst()
    broken = True
    create = sim.store._create

    def refusing(files: list[tuple[Path, bytes]]) -> list[bool]:
        if broken and any("/masters/security/" in str(path) for path, _ in files):
            raise PermissionError(errno.EACCES, "Permission denied", str(sim.layout.handoffs("security")))
        return create(files)

    monkeypatch.setattr(sim.store, "_create", refusing)
    sim.tick()
    assert statuses(sim) == {"w": "orchestrating", "v": "orchestrating", "s": "assigned", "r": "pending"}
    assert sim.events("handoff_failed", task_id="r")
    broken = False
    sim.tick(120)
    assert statuses(sim)["r"] == "assigned" and len(sim.handoffs()) == 4 and doubled(sim) == []


def burst_writes() -> int:
    sim = burst()
    before = sim.store.writes
    sim.tick()
    return sim.store.writes - before


@pytest.mark.parametrize("full_at", range(1, burst_writes() + 1))
def test_a_disk_that_fills_at_any_write_of_a_burst_loses_and_doubles_nothing_once_freed(
        full_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unlike a crash, the process lives on with what it believed: each write from ``full_at`` on
    fails with ENOSPC for two passes, then the disk is freed."""
    sim = burst()
    first = sim.store.writes + full_at
    full = True
    write = MemoryStore._write

    def filling(self: MemoryStore, path: Path, data: bytes) -> None:
        if full and self.writes + 1 >= first:
            self.writes += 1
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write(self, path, data)

    monkeypatch.setattr(MemoryStore, "_write", filling)
    for seconds in (0, 5):
        try:
            sim.tick(seconds)
        except Exception:  # the daemon reports a failed pass and runs the next one
            pass
    full = False
    for _ in range(3):
        sim.tick(120)
    assert statuses(sim) == {"w": "orchestrating", "v": "orchestrating", "s": "assigned", "r": "assigned"}
    keyed = sim.event_ids()
    assert doubled(sim) == []
    assert_burst_began_once(sim, keyed)


@pytest.mark.process
@pytest.mark.parametrize("first", ["masters/development/handoffs", "orchestrator/tasks", "orchestrator/subtasks"])
def test_kill_9_in_a_100_task_burst_then_restart_loses_and_doubles_nothing(
        folder: Path, daemon_factory: Callable[[Path], DaemonProcess], first: str) -> None:
    daemon = daemon_factory(folder).start()
    complex_ids = [f"c{n:02d}" for n in range(50)]
    simple_ids = [f"s{n:02d}" for n in range(50)]
    doc = read_queue(folder)
    doc["tasks"] += [task(t, f"Widget {t}", subtasks=SUBTASKS) for t in complex_ids]
    doc["tasks"] += [task(t, f"Fix bug in app/module_{t}.py line 3") for t in simple_ids]
    write_by_rename(folder / "task-queue.json", doc)
    # the burst's events come after its files: kill at the first file of one kind, mid-writes
    wait_for(lambda: any(os.scandir(folder / first)), what=f"the burst's first file in {first}")
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait()
    daemon.start()

    def settled() -> bool:
        states = {t["id"]: t["status"] for t in read_queue(folder)["tasks"]}
        return all(states[t] == "orchestrating" for t in complex_ids) and all(states[t] == "assigned" for t in simple_ids)

    wait_for(settled, timeout=60, what="every task of the burst begun")
    wait_for(lambda: len(daemon.events("handoff_created")) >= 100, timeout=30, what="100 handoffs")
    assert daemon.stop() == 0
    keyed = Counter(e["event_id"] for e in daemon.events() if "event_id" in e)
    assert [k for k, n in keyed.items() if n > 1] == []
    for t in complex_ids:
        assert keyed[f"orch-{t}:started"] == 1 and keyed[f"orch-{t}:handoff:orch-{t}-design:1"] == 1
    assert Counter(e["task_id"] for e in daemon.events("task_assigned")) == Counter(simple_ids)
    handoffs = sorted(p.name for p in (folder / "masters").glob("*/handoffs/*.json"))
    assert handoffs == sorted([f"{t}.json" for t in simple_ids] +
                              [f"to-development-subtask-orch-{t}-design.json" for t in complex_ids])
    for t in complex_ids:
        plan = json.loads((folder / f"orchestrator/tasks/orch-{t}.json").read_text())
        for subtask in plan["subtasks"]:
            on_disk = json.loads((folder / f"orchestrator/subtasks/{subtask['subtask_id']}.json").read_text())
            assert on_disk["status"] == subtask["status"]


# --- 3. routing history --------------------------------------------------------------------------

COOKIE = "Set a shorter max-age on the session cookie"  # no routing word: the rules cannot tell
RULES_ONLY = {**FAST, "classifier": {"learned_model": False}}  # the built-in model would send COOKIE to security


def move(sim: Sim, task_id: str, master: str) -> None:
    queue = sim.store.get(sim.layout.queue)
    next(t for t in queue["tasks"] if t["id"] == task_id)["assigned_to"] = master
    sim.store.put(sim.layout.queue, queue)
    sim.tick()


def test_a_person_moving_a_task_back_and_forth_is_remembered_as_their_latest_decision() -> None:
    """Only the first correction was remembered: moved on again, or back to the master the rules
    chose, the task kept steering similar tasks to the master a person had already taken back."""
    sim = Sim(config=RULES_ONLY)
    sim.start()
    sim.submit(task("t1", COOKIE))
    sim.tick()
    assert sim.queue_task("t1")["routed_to"] == "development"
    move(sim, "t1", "security")
    move(sim, "t1", "cicd")
    assert [(c["task_id"], c["master"]) for c in sim.store.get(sim.layout.routing_corrections)] == [("t1", "cicd")]
    move(sim, "t1", "development")  # back where the rules sent it: the correction is withdrawn
    assert sim.store.get(sim.layout.routing_corrections) == []
    assert [e.get("master") or e.get("withdrawn") for e in sim.events("routing_corrected")] == ["security", "cicd", "cicd"]
    sim.submit(task("t2", "Set a shorter max-age on the session cookie of the admin app"))
    sim.tick()
    assert sim.queue_task("t2")["assigned_to"] == "development"
    assert not any("history decided" in r for r in sim.queue_task("t2")["routing_reasons"])
    move(sim, "t1", "security")  # and away again
    assert [c["master"] for c in sim.store.get(sim.layout.routing_corrections)] == ["security"]
    sim.store.put(sim.layout.queue, {"tasks": []})  # pruned: what was remembered stays
    sim = sim.restart()
    sim.submit(task("t3", "Set a shorter max-age on the session cookie of the shop"))
    sim.tick()
    assert sim.queue_task("t3")["assigned_to"] == "security"
    assert len(sim.events("routing_corrected")) == 4


def test_a_huge_overrides_file_is_read_up_to_its_limit_and_said_once() -> None:
    """100,000 examples were all indexed at every decision the rules were unsure of: 3 s a pass."""
    sim = Sim()
    examples = [{"title": f"Rotate secret number {n}", "master": "security"} for n in range(100_000)]
    examples[0] = {"title": "Set max-age on the session cookie", "master": "security"}
    sim.store.put(sim.layout.routing_overrides, {"examples": examples})
    sim.start()
    memory = sim.core.engine.memory
    assert len(memory.history([]).examples) == MAX_OVERRIDES
    for n in range(2):
        sim.submit(task(f"t{n}", f"{COOKIE} of app {n}"))
        sim.tick()
        assert sim.queue_task(f"t{n}")["assigned_to"] == "security"  # the first examples still count
    [event] = sim.events("routing_overrides_invalid")
    assert "100000 examples; only the first 2000" in event["problem"]


@pytest.mark.parametrize("content", [b"\xff\xfe{\x00", b"{}", b"[[[[[[[[[[" * 100_000, b"[1, null, \"x\", [], {}]",
                                     b'{"examples": {"title": "x"}}', b'{"examples": [{"title": ["x"], "master": {"a": 1}}]}'])
def test_an_overrides_file_of_junk_is_said_left_alone_and_routing_goes_on(content: bytes) -> None:
    sim = Sim(config=RULES_ONLY)
    sim.store.put(sim.layout.routing_overrides, content)
    sim.start()
    sim.submit(task("t1", COOKIE))
    sim.tick()
    assert sim.queue_task("t1")["assigned_to"] == "development"
    assert len(sim.events("routing_overrides_invalid")) == 1
    assert sim.store.files[sim.layout.routing_overrides] == content


def test_an_overrides_fifo_is_refused_without_waiting(store: FolderStore) -> None:
    os.mkfifo(store.layout.routing_overrides)
    memory = RoutingMemory(store)
    assert memory.history([]).examples == []  # a read that blocked on the FIFO would hang here


def test_an_overrides_file_saved_in_place_within_one_clock_tick_is_read_again(store: FolderStore) -> None:
    """Defect: the file was trusted by its identity alone; a save in place, to the same size, within one
    tick of the file system's clock (or with its mtime put back) kept the first version for good."""
    path = store.layout.routing_overrides
    path.write_text(json.dumps({"examples": [{"title": "Set a shorter max-age on the session cookie",
                                              "master": "security"}]}))
    tick = time.time_ns() + 2_000_000_000  # not settled however slow this machine is: it is still "this tick"
    os.utime(path, ns=(tick, tick))
    memory = RoutingMemory(store)
    assert [e.master for e in memory.history([]).examples] == ["security"]
    with path.open("r+") as file:  # same inode, same size, same mtime
        edited = file.read().replace('"security"', '"cicd"    ')
        file.seek(0)
        file.write(edited)
    os.utime(path, ns=(tick, tick))
    assert [e.master for e in memory.history([]).examples] == ["cicd"]


def test_finished_tasks_with_titles_and_descriptions_that_are_not_text_teach_without_failing() -> None:
    sim = Sim()
    sim.store.put(sim.layout.queue, {"tasks": [
        {"id": "h1", "title": {"en": "cookie"}, "description": ["Set SameSite"], "status": "completed",
         "assigned_to": "security", "assigned_by": "alice"},
        {"id": "h2", "title": 7, "description": None, "status": "completed", "assigned_to": ["security"]},
        {"id": "h3", "title": None, "status": "completed", "assigned_to": "security", "assigned_by": "orchestrator",
         "routed_to": {"x": 1}},
        {"id": 4, "title": "Set max-age on the session cookie", "status": "completed", "assigned_to": "security"},
        {"id": "h5", "title": "Set max-age=900 on the session cookie", "status": "completed",
         "assigned_to": "Security-Master", "assigned_by": "alice"},
        {"id": "h6", "title": "Set a max-age on the cookie of the shop", "status": "completed",
         "assigned_to": "security", "assigned_by": "bob"},
    ]})
    sim.start()
    sim.submit(task("t1", COOKIE))
    sim.tick()
    assert sim.queue_task("t1")["assigned_to"] == "security"
    assert sim.store.get(sim.layout.queue)["tasks"][0]["title"] == {"en": "cookie"}  # left as it was


# --- 4. the web view -----------------------------------------------------------------------------


def within(seconds: float, call: Callable[[], Any], release: Callable[[], None]) -> Any:
    """``call``'s result, or a failure if it has not returned in ``seconds`` (then ``release`` frees it)."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        release()
        worker.join(5)
        pytest.fail(f"still waiting after {seconds} s")
    return result[0]


def unblock(fifo: Path) -> Callable[[], None]:
    def release() -> None:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    return release


def test_an_events_file_replaced_by_a_fifo_or_a_folder_while_the_view_follows_it_blocks_nothing(
        store: FolderStore) -> None:
    """Opening a FIFO for reading waits for a writer: one replaced the events file and the page, the
    event pages and every stream's thread stood still."""
    events = store.layout.events
    events.write_text('{"type":"task_assigned","task_id":"t1","timestamp":"2026-11-26T10:00:00.000Z"}\n')
    tail = eventlog.Tail(events, 0)
    assert len(tail.read()[0]) == 1
    events.unlink()
    os.mkfifo(events)
    assert within(3, tail.read, unblock(events)) == ([], False)
    assert within(3, lambda: eventlog.page(events, eventlog.Filter(), 10).events, unblock(events)) == []
    web = TestClient(create_app(store), base_url="http://127.0.0.1:8080")
    assert within(10, lambda: web.get("/").status_code, unblock(events)) == 200
    events.unlink()
    events.mkdir()
    assert tail.read() == ([], False) and web.get("/api/events").json()["rows"] == []


@pytest.mark.parametrize("host", ["attacker.example", "127.0.0.1.attacker.example", "localhost.attacker.example",
                                  "attacker.example#@127.0.0.1", "127.0.0.1@attacker.example", "0.0.0.0", "[::ffff:7f00:1]"])
def test_on_loopback_a_host_header_that_only_looks_local_is_refused(store: FolderStore, host: str) -> None:
    web = TestClient(create_app(store), base_url="http://127.0.0.1:8080")
    assert web.get("/", headers={"host": host}).status_code in (400, 403)


def test_off_loopback_the_token_is_taken_only_whole_and_only_where_documented(store: FolderStore) -> None:
    web = TestClient(create_app(store, token="s3cret", loopback_only=False), base_url="http://10.1.2.3:8080")
    for attempt in ({"params": {"token": "s3cre"}}, {"params": {"token": "s3cret "}}, {"params": {"TOKEN": "s3cret"}},
                    {"headers": {"Authorization": "Basic s3cret"}}, {"headers": {"X-Token": "s3cret"}},
                    {"headers": {"Authorization": "Bearer"}}, {"params": {"token": "ś3cret"}},
                    {"headers": {"Cookie": "orchestrator_token=S3CRET"}}):
        assert web.get("/", **attempt).status_code == 401, attempt


@pytest.mark.parametrize("plan", [{}, [], {"orchestration_id": 5, "subtasks": "many"},
                                  {"orchestration_id": "orch-x", "status": "in_progress", "subtasks": [1, None, "a"],
                                   "execution_plan": {"stage_1": 7}, "title": "<img src=x onerror=alert(1)>"}])
def test_a_plan_file_that_is_json_but_nonsense_does_not_break_the_page(store: FolderStore, plan: Any) -> None:
    store.layout.tasks.mkdir(parents=True, exist_ok=True)
    store.layout.plan("orch-x").write_text(json.dumps(plan))
    web = TestClient(create_app(store), base_url="http://127.0.0.1:8080")
    page = web.get("/")
    assert page.status_code == 200 and "<img src=x" not in page.text
    assert web.get("/part/detail?orch=orch-x").status_code == 200


# --- 5. the CLI ----------------------------------------------------------------------------------


def test_a_lock_naming_a_strangers_pid_never_gets_the_stranger_signalled(tmp_path: Path) -> None:
    """The daemon's PID in daemon.lock was believed whenever the lock was held and the PID lived:
    someone's edit of the file, or an old daemon's PID reused, had reload/stop signal a stranger."""
    lock = tmp_path / "daemon.lock"
    lock.write_text("")
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        lock.write_text(f"{stranger.pid}\n")
        fd = os.open(lock, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held by this process, as a daemon holds it
        try:
            running = daemon_control.find(lock)
            assert running is not None and running.pid == os.getpid()
            assert daemon_control.holder_passive(lock) == os.getpid()
            daemon_control.write_pid(lock)  # the holder's own PID is believed
            assert daemon_control.find(lock) == daemon_control.Running(os.getpid(), daemon_control.unit_of(os.getpid()))
        finally:
            os.close(fd)
        assert daemon_control.find(lock) is None
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_a_cancel_landing_between_the_daemons_read_and_its_claim_wins_and_is_announced_by_the_next_pass() -> None:
    """The claim lost the task and its handoff was taken back, but the queue with the cancel was
    marked seen: the cancel went unannounced until some other change of the queue."""
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in app/main.py line 3"))
    raced = sim.before_next_queue_write(lambda: queue_edits.edit_task(sim.store, "s", lambda entry: queue_edits.cancel(
        entry, by="alice", now=iso(sim.clock), reason="not needed", has_plan=False)))
    sim.tick()
    assert raced and sim.queue_task("s")["status"] == "cancelled"
    assert sim.handoffs() == [] and not sim.events("task_assigned")
    sim.tick()  # the pass the daemon runs next (the intake asked for it), the queue unchanged
    [cancelled] = sim.events("task_cancelled", task_id="s")
    assert cancelled["cancelled_by"] == "alice"
    sim.tick(60)
    assert len(sim.events("task_cancelled")) == 1


def test_a_queue_renamed_into_place_by_another_writer_right_after_ours_is_never_taken_for_ours(
        store: FolderStore) -> None:
    """Even with the same size and the same mtime as ours: the identity remembered is our temp file's."""
    queue = store.layout.queue
    store.update_queue(lambda snapshot: True, create=True)
    assert store.is_own(queue)
    ours = os.stat(queue)
    theirs = queue.with_name("their-queue.tmp")
    theirs.write_bytes(queue.read_bytes().replace(b"[]", b"[ ]")[: ours.st_size])
    os.utime(theirs, ns=(ours.st_atime_ns, ours.st_mtime_ns))
    os.replace(theirs, queue)
    assert os.stat(queue).st_size == ours.st_size and not store.is_own(queue)
