"""Instant death detection: which workers to watch (pure), and the pidfds (real processes, a real loop)."""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrator import deathwatch
from orchestrator.deathwatch import DeathWatch, Target, changes
from orchestrator.deathwatch import held_pidfds as pidfds
from orchestrator.processes import PsutilProcesses

from sim import SUBTASKS, FakeProcesses, Sim, task

ORCH = "orch-w"
needs_pidfd = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd_open on this platform")


def sid(name: str) -> str:
    return f"{ORCH}-{name}"


# --- what to watch (pure) -------------------------------------------------------------------


def started(config: dict[str, Any] | None = None) -> Sim:
    sim = Sim(config=config)
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    sim.processes.states[41] = "running"
    return sim


def test_only_active_subtasks_with_a_known_pid_are_watched() -> None:
    sim = started()
    sim.report(sid("design"), "start", worker_id="w1")  # no PID yet
    assert sim.run(("subtask", sid("design"))).watch == {}
    sim.report(sid("design"), "heartbeat", worker_id="w1", pid=41)
    result = sim.run(("subtask", sid("design")))
    assert list(result.watch) == [(sid("design"), 1, 41)]
    target = result.watch[(sid("design"), 1, 41)]
    assert target.subtask_id == sid("design") and target.started is not None
    sim.report(sid("design"), "complete", result="ok")
    assert sim.run(("subtask", sid("design"))).watch == {}  # its attempt is over: the pidfd is closed


def test_open_what_is_new_close_what_ended_and_stay_within_the_budget() -> None:
    a, b, c, d = (("s", 1, 10), ("s", 2, 11), ("t", 1, 12), ("u", 1, 13))
    assert changes([a, b], [], [], 10) == ([a, b], [])
    assert changes([b, c], [a, b], [], 10) == ([c], [a])
    assert changes([a, b, c], [a], [b], 10) == ([c], [])  # b exited or cannot be watched: not again
    assert changes([a, b, c, d], [a], [], 2) == ([b], [])  # the rest are the tick's
    assert changes([c, d], [a, b], [], 2) == ([c, d], [a, b])


def test_the_budget_leaves_file_descriptors_for_the_rest_of_the_daemon() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert 0 < deathwatch.fd_budget() <= soft // 4


def test_an_exited_worker_is_judged_at_once_without_waiting_for_the_tick() -> None:
    sim = started({"monitor": {"interval_seconds": 3600}})
    sim.report(sid("design"), "start", worker_id="w1", pid=41)
    sim.run(("subtask", sid("design")))
    sim.processes.states[41] = "gone"
    sim.run(("exited", sid("design")))
    failed = sim.events("subtask_failed")
    assert [(e["subtask_id"], e["kind"]) for e in failed] == [(sid("design"), "dead")]
    assert sim.events("subtask_retry_scheduled")


def test_a_worker_that_reported_completion_then_exited_is_not_dead() -> None:
    """Its report is read before its liveness is judged, even if the file event is not there yet."""
    sim = started()
    sim.report(sid("design"), "start", worker_id="w1", pid=41)
    sim.run(("subtask", sid("design")))
    sim.report(sid("design"), "complete", result="designed")
    sim.processes.states[41] = "gone"
    sim.run(("exited", sid("design")))
    assert sim.events("subtask_completed") and not sim.events("subtask_failed")


# --- the pidfds (real processes) ------------------------------------------------------------------


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def key_of(process: subprocess.Popen[bytes], attempt: int = 1) -> tuple[deathwatch.Key, Target]:
    started = datetime.now(UTC) + timedelta(seconds=1)  # the worker reported after it started
    return (f"s-{process.pid}", attempt, process.pid), Target(f"s-{process.pid}", process.pid, started)


async def watch(wanted: dict[Any, Target], processes: Any = None) -> tuple[list[str], int, bool]:
    """One sync: what was reported at once, how many pidfds it opened, whether pidfds are available."""
    exited: list[str] = []
    watcher = DeathWatch(asyncio.get_running_loop(), processes or PsutilProcesses(limit=0), exited.append)
    watcher.sync(wanted)
    watching = watcher.watching
    watcher.close()
    return exited, watching, watcher.available


@needs_pidfd
def test_a_killed_worker_is_reported_by_its_pidfd_which_is_then_closed(sleeper: subprocess.Popen[bytes]) -> None:
    key, target = key_of(sleeper)
    before = pidfds()

    async def scenario() -> tuple[list[str], int, DeathWatch]:
        exited: list[str] = []
        done = asyncio.Event()
        watcher = DeathWatch(asyncio.get_running_loop(), PsutilProcesses(limit=0),
                             lambda subtask_id: (exited.append(subtask_id), done.set()))
        watcher.sync({key: target})
        holding = pidfds()
        sleeper.kill()  # not reaped: a zombie of this process, as a worker is of its master
        await asyncio.wait_for(done.wait(), 10)  # no tick here: only the pidfd can tell
        return exited, holding, watcher

    exited, holding, watcher = asyncio.run(scenario())
    assert holding == before + 1 and watcher.watching == 0
    assert exited == [target.subtask_id]
    assert pidfds() == before  # closed once it fired


@needs_pidfd
def test_pidfds_are_closed_when_the_attempt_ends_and_when_the_daemon_stops() -> None:
    workers = [subprocess.Popen(["sleep", "60"]) for _ in range(3)]
    try:
        before = pidfds()
        wanted = dict(key_of(w) for w in workers)

        async def scenario() -> list[int]:
            watcher = DeathWatch(asyncio.get_running_loop(), PsutilProcesses(limit=0), lambda _: None)
            watcher.sync(wanted)
            counts = [pidfds()]
            first = next(iter(wanted))
            rest = {k: v for k, v in wanted.items() if k != first}
            watcher.sync(rest)  # that attempt completed
            counts.append(pidfds())
            watcher.sync(rest | {(first[0], 2, first[2]): wanted[first]})  # a new attempt: a new watch
            counts.append(watcher.watching)
            watcher.close()
            counts.append(pidfds())
            return counts

        assert asyncio.run(scenario()) == [before + 3, before + 2, 3, before]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


@needs_pidfd
def test_a_reused_pid_is_not_watched(sleeper: subprocess.Popen[bytes]) -> None:
    key, target = key_of(sleeper)
    # the worker reported its start a minute before this process existed: the PID is someone else's now
    earlier = Target(target.subtask_id, target.pid, datetime.now(UTC) - timedelta(minutes=1))
    assert asyncio.run(watch({key: earlier})) == ([], 0, True)
    assert asyncio.run(watch({key: target})) == ([], 1, True)  # the control: the right start time is watched


def test_a_worker_already_gone_is_reported_at_once() -> None:
    processes = FakeProcesses()  # PID 99 is not running
    assert asyncio.run(watch({("s", 1, 99): Target("s", 99, None)}, processes=processes)) == (["s"], 0, True)

    async def again() -> list[str]:  # and only once: the next sync does not report it again
        seen: list[str] = []
        watcher = DeathWatch(asyncio.get_running_loop(), processes, seen.append)
        watcher.sync({("s", 1, 99): Target("s", 99, None)})
        watcher.sync({("s", 1, 99): Target("s", 99, None)})
        return seen
    assert asyncio.run(again()) == ["s"]


@pytest.mark.parametrize("code", [errno.ENOSYS, errno.EPERM])
def test_without_pidfd_open_the_tick_is_the_fallback(monkeypatch: pytest.MonkeyPatch, code: int,
                                                     sleeper: subprocess.Popen[bytes]) -> None:
    def refuse(pid: int, flags: int = 0) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "pidfd_open", refuse, raising=False)
    key, target = key_of(sleeper)
    assert asyncio.run(watch({key: target})) == ([], 0, False)
