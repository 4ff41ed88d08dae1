"""The real process table: a worker found running is then held by a pidfd, and nothing it says changes.

Real processes (``sleep``), no daemon: each answer is checked against what ``/proc`` says.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator import processes
from orchestrator.deathwatch import held_pidfds as pidfds
from orchestrator.processes import PsutilProcesses

needs_pidfd = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd_open on this platform")


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started = [subprocess.Popen(["sleep", "60"]) for _ in range(3)]
    yield started
    for process in started:
        process.kill()
        process.wait()


def reported(process: subprocess.Popen[bytes]) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)  # the worker reported after it started


@needs_pidfd
def test_a_running_worker_is_held_and_its_exit_is_seen_through_the_pidfd(
        sleepers: list[subprocess.Popen[bytes]]) -> None:
    worker = sleepers[0]
    table = PsutilProcesses()
    before = pidfds()
    when = reported(worker)
    assert table.state(worker.pid, when) == "running"
    assert table.holding == 1 and pidfds() == before + 1
    assert [table.state(worker.pid, when) for _ in range(3)] == ["running"] * 3
    assert table.holding == 1  # the same key: one pidfd
    worker.kill()
    for _ in range(1000):  # until the kernel has ended it (a kill is not instant)
        if (processes._proc_stat(worker.pid) or ("",))[0] == "Z":
            break
        time.sleep(0.01)
    assert table.state(worker.pid, when) == "zombie"  # not reaped yet: a child of this test
    assert table.holding == 0 and pidfds() == before
    assert table.state(worker.pid, when) == "gone"  # reaped by that look


@needs_pidfd
def test_a_process_started_after_the_workers_report_is_never_held(sleepers: list[subprocess.Popen[bytes]]) -> None:
    worker = sleepers[0]
    long_before = datetime.now(UTC) - timedelta(hours=1)  # the report says the worker started an hour ago
    table = PsutilProcesses()
    assert table.state(worker.pid, long_before) == "reused"
    assert table.holding == 0


@needs_pidfd
def test_at_most_the_limit_is_held_and_the_others_are_read_from_proc(sleepers: list[subprocess.Popen[bytes]]) -> None:
    table = PsutilProcesses(limit=2)
    before = pidfds()
    when = {w.pid: reported(w) for w in sleepers}
    assert [table.state(w.pid, when[w.pid]) for w in sleepers] == ["running"] * 3
    assert table.holding == 2 and pidfds() == before + 2
    sleepers[0].kill()  # a held one
    sleepers[0].wait()
    assert [table.state(w.pid, when[w.pid]) for w in sleepers] == ["gone", "running", "running"]
    table.close()
    assert table.holding == 0 and pidfds() == before


def test_without_pidfds_every_look_reads_proc(sleepers: list[subprocess.Popen[bytes]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(pid: int) -> int:
        raise OSError(errno.ENOSYS, "pidfd_open not implemented")

    monkeypatch.setattr(os, "pidfd_open", refused, raising=False)
    worker = sleepers[0]
    table = PsutilProcesses()
    when = reported(worker)
    assert table.state(worker.pid, when) == "running"
    assert table.holding == 0 and table.limit == 0  # not tried again
    worker.kill()
    worker.wait()
    assert table.state(worker.pid, when) == "gone"


def test_each_holder_gets_a_quarter_of_the_file_descriptors() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert 0 < processes.pidfd_budget() <= soft // 4


@needs_pidfd
def test_a_pid_reused_between_the_look_and_the_pidfd_is_let_go(sleepers: list[subprocess.Popen[bytes]],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    worker = sleepers[0]
    when = reported(worker)
    real = processes._proc_stat
    looks: list[int] = []

    def exited_and_reused(pid: int) -> tuple[str, float] | None:
        looks.append(pid)
        # the first look finds the worker; by the second (after pidfd_open) its PID is a newer process's
        return real(pid) if len(looks) == 1 else ("S", when.timestamp() + 60)

    monkeypatch.setattr(processes, "_proc_stat", exited_and_reused)
    table = PsutilProcesses()
    before = pidfds()
    assert table.state(worker.pid, when) == "running"
    assert table.holding == 0 and pidfds() == before  # the pidfd named the newer process: closed
    assert table.state(worker.pid, when) == "reused"


@needs_pidfd
def test_a_full_look_lets_go_of_the_pidfds_of_workers_it_did_not_look_at(
        sleepers: list[subprocess.Popen[bytes]]) -> None:
    table = PsutilProcesses()
    when = {w.pid: reported(w) for w in sleepers}
    for worker in sleepers:
        table.state(worker.pid, when[worker.pid])
    table.forget_unlooked()
    assert table.holding == 3  # all looked at since the table began
    table.state(sleepers[1].pid, when[sleepers[1].pid])
    table.forget_unlooked()
    assert table.holding == 1  # the others' attempts ended: their processes live on, none of ours


@needs_pidfd
def test_the_tick_lets_go_of_a_worker_whose_subtask_completed(sleepers: list[subprocess.Popen[bytes]]) -> None:
    from orchestrator.clock import FakeClock

    from sim import SUBTASKS, Sim, task

    table = PsutilProcesses()
    sim = Sim(clock=FakeClock(datetime.now(UTC) + timedelta(seconds=2)), processes=table)  # type: ignore[arg-type]
    sim.start()
    sim.submit(task("p", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    design = "orch-p-design"
    sim.report(design, "start", worker_id="w1", pid=sleepers[0].pid)
    sim.tick()
    assert table.holding == 1
    sim.report(design, "complete", result="done")
    sim.tick()
    sim.tick()
    assert table.holding == 0 and sleepers[0].poll() is None  # let go; the process itself is left alone


def test_a_table_that_holds_no_pidfds_remembers_no_looks(sleepers: list[subprocess.Popen[bytes]]) -> None:
    table = PsutilProcesses(limit=0)  # the death watch's: it would remember every worker ever checked
    for worker in sleepers:
        for n in range(5):
            table.state(worker.pid, reported(worker) + timedelta(seconds=n))
    assert table.holding == 0 and not table._looked
