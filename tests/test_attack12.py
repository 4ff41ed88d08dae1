"""The twelfth attack: cases the session's own changes were not written for."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator import processes
from orchestrator.processes import PsutilProcesses

needs_pidfd = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd_open on this platform")


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started = [subprocess.Popen(["sleep", "60"]) for _ in range(3)]
    yield started
    for process in started:
        process.kill()
        process.wait()


@needs_pidfd
def test_more_workers_than_pidfds_keep_the_held_ones_held(sleepers: list[subprocess.Popen[bytes]],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A tick looks at every worker in the same order: with more workers than ``limit``, letting go of
    the least recently looked at to hold the next meant no look ever found its pidfd, and each paid
    two reads of /proc, an open and a close where the old table paid one read."""
    reads: list[int] = []
    read = processes._proc_stat

    def counted(pid: int) -> tuple[str, float] | None:
        reads.append(pid)
        return read(pid)

    monkeypatch.setattr(processes, "_proc_stat", counted)
    table = PsutilProcesses(limit=2)
    when = datetime.now(UTC) + timedelta(seconds=1)
    for _ in range(3):
        reads.clear()
        assert [table.state(w.pid, when) for w in sleepers] == ["running"] * 3
        table.forget_unlooked()
        assert table.holding == 2
    assert len(reads) <= len(sleepers) - table.limit  # only the worker not held is read
    table.close()
