"""The twelfth attack: cases the session's own changes were not written for."""

from __future__ import annotations

import importlib.util
import math
import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from orchestrator import planner, processes
from orchestrator.classify import Classifier
from orchestrator.config import Config, MonitorConfig
from orchestrator.liveness import WorkerFacts, assess
from orchestrator.models import QueueTask, Subtask
from orchestrator.planner import builtin_drafts
from orchestrator.processes import PsutilProcesses
from orchestrator.signs import Seen
from orchestrator.timestamps import format_timestamp

needs_pidfd = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd_open on this platform")


@needs_pidfd
def test_more_workers_than_pidfds_keep_the_held_ones_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tick looks at every worker in the same order: with more workers than ``limit``, letting go of
    the least recently looked at to hold the next meant no look ever found its pidfd, and each paid
    two reads of /proc, an open and a close where the old table paid one read."""
    reads: list[int] = []
    read = processes._proc_stat

    def counted(pid: int) -> tuple[str, float] | None:
        reads.append(pid)
        return read(pid)

    monkeypatch.setattr(processes, "_proc_stat", counted)
    workers = [subprocess.Popen(["sleep", "60"]) for _ in range(3)]
    table = PsutilProcesses(limit=2)
    try:
        when = datetime.now(UTC) + timedelta(seconds=1)
        for _ in range(3):
            reads.clear()
            assert [table.state(w.pid, when) for w in workers] == ["running"] * 3
            table.forget_unlooked()
            assert table.holding == 2
        assert len(reads) <= len(workers) - table.limit  # only the worker not held is read
    finally:
        table.close()
        for worker in workers:
            worker.kill()
            worker.wait()


def test_the_faster_liveness_says_what_the_old_one_said() -> None:
    """Random facts, timestamps (naive, offset, from the future, unreadable), clock steps and monitor
    readings: the rewritten ``assess`` (shared verdict, no rebase without steps, loops for the newest
    beat and sign) gives the verdict of the code it replaced (685a9e6), kept here as it was."""
    shown = subprocess.run(["git", "show", "685a9e6:src/orchestrator/liveness.py"], capture_output=True,
                           text=True, cwd=Path(__file__).parent, check=False)
    if shown.returncode != 0:
        pytest.skip("the old liveness is not in this checkout's history")
    spec = importlib.util.spec_from_loader("liveness_685a9e6", loader=None)
    assert spec is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = old
    exec(compile(shown.stdout, "liveness_685a9e6.py", "exec"), old.__dict__)

    now = datetime(2025, 11, 5, 18, 0, tzinfo=UTC)
    rng = random.Random(12)

    def moment() -> datetime | None:
        return None if rng.random() < 0.25 else now + timedelta(seconds=rng.choice(
            [rng.uniform(-9000, 300), rng.choice([0, -180, -181, -1200, -1201, 60, 61, -3600])]))

    def text() -> str | None:
        when = moment()
        if when is None:
            return rng.choice([None, "garbage", ""])
        return rng.choice([format_timestamp(when), when.replace(tzinfo=None).isoformat(),
                           when.astimezone(timezone(timedelta(hours=2))).isoformat()])

    for _ in range(20_000):
        config = MonitorConfig(heartbeat_timeout_seconds=rng.choice([180, 1]), zombie_timeout_seconds=rng.choice([1200, 5]),
                               never_started_timeout_seconds=rng.choice([600, 1]), max_runtime_seconds=rng.choice([3600, 30]),
                               clock_skew_seconds=rng.choice([60, 0, 5]))
        sub = Subtask.model_validate(dict(
            subtask_id="s", parent_task_id="t", parent_orchestration="orch-t", title="S", description="S",
            assigned_to="development", worker_type="implementation", estimated_duration_minutes=10,
            estimated_tokens=1000, success_criteria="done", stage=1, status=rng.choice(["assigned", "in_progress"]),
            handed_off_at=text(), started_at=text(), last_heartbeat=text(), last_progress_at=text(),
            worker_id=rng.choice([None, "w1"])))
        facts = WorkerFacts(worker_id=rng.choice([None, "w1"]), pid=rng.choice([None, 7]),
                            process=rng.choice([None, "running", "unknown", "gone", "zombie", "reused"]),
                            heartbeat=moment(), files_changed=moment(),
                            beats=tuple(rng.choice([moment(), text(), 3, None]) for _ in range(rng.randrange(4))))
        steps = [] if rng.random() < 0.5 else [
            (now + timedelta(seconds=rng.uniform(-5000, 0)), rng.uniform(1, 4000)) for _ in range(rng.randrange(1, 3))]
        seen = rng.choice([Seen(), Seen(rng.uniform(0, 5000), rng.uniform(0, 5000), rng.uniform(0, 5000),
                                         rng.choice([math.inf, rng.uniform(0, 2000)]),
                                         rng.choice([math.inf, rng.uniform(0, 2000)]))])
        args = (sub, facts, now, config, steps, seen)
        new_verdict, old_verdict = assess(*args), old.assess(*args)
        assert (new_verdict.conditions, new_verdict.failure, new_verdict.reason) == (
            old_verdict.conditions, old_verdict.failure, old_verdict.reason), args


def test_two_kinds_of_one_thing_are_looked_for_at_a_parts_end_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """``the build and test jobs``: the first kind is looked for at the end of the part before ``and``. A
    part that grew by every qualifier joined to it (``Port the build and test jobs and the build and ...``)
    was searched whole again at each ``and``: the square of the sentence, 1.4 s of a 20,000-character task's
    plan where the rest took 0.2 s."""
    scanned: list[int] = []
    pattern = planner._FIRST_MODIFIER_RE

    class Counted:
        def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
            scanned.append(len(text) - pos)
            return pattern.search(text, pos)

    monkeypatch.setattr(planner, "_FIRST_MODIFIER_RE", Counted())
    classifier = Classifier(Config().classifier)
    long = QueueTask.model_validate({"id": "t1", "status": "pending", "title": "Migrate the CI pipeline",
                                     "description": "Port " + "the build and test jobs and " * 700})
    builtin_drafts(long, classifier, Config().planner)
    assert scanned and max(scanned) <= 1000  # a part's end, however long the part
    # what it finds is what it found before
    short = QueueTask.model_validate({"id": "t2", "status": "pending", "title": "Port the build and test jobs to GitHub Actions"})
    assert [d.title for d in builtin_drafts(short, classifier, Config().planner)
            if d.title.startswith(("Port", "Test"))] == ["Port the build and test jobs to GitHub Actions"]


@pytest.mark.parametrize("description", [
    "Test the upgrade on a staging copy, then upgrade production during the window.",
    "Back up the database, then upgrade production during the window.",
])
def test_a_servers_upgrade_titled_upgrade_x_to_n_is_not_a_library_bump(description: str) -> None:
    """"Upgrade Postgres to 16" was read as a Dependabot bump (the program's): its title became a development
    part 'Upgrade Postgres to 16' that ran first, before the rehearsal or the backup written to come before it."""
    classifier = Classifier(Config().classifier)
    task = QueueTask.model_validate({"id": "t1", "status": "pending", "title": "Upgrade Postgres to 16",
                                     "description": description})
    drafts = builtin_drafts(task, classifier, Config().planner)
    development = classifier.config.domains["development"].master
    assert not [d for d in drafts if d.master == development]
    assert not [d for d in drafts if d.title == "Upgrade Postgres to 16"]
    # a bump as Dependabot titles one is still the program's
    bump = QueueTask.model_validate({"id": "t2", "status": "pending", "title": "Bump axios from 1.6.0 to 1.6.8"})
    assert classifier.classify(bump).master == development


def test_two_kinds_of_one_thing_are_routed_as_the_whole_part() -> None:
    """'run the unit and integration tests' was joined after 'Run the unit' had been routed alone: a cicd deploy,
    run beside the deploy to staging it was written to check."""
    classifier = Classifier(Config().classifier)
    task = QueueTask.model_validate({"id": "t1", "status": "pending", "title": "Ship the billing API",
                                     "description": "Deploy to staging and run the unit and integration tests."})
    drafts = {d.title: d for d in builtin_drafts(task, classifier, Config().planner)}
    tests = drafts["Run the unit and integration tests"]
    assert tests.master == classifier.config.domains["development"].master and tests.worker_type == "test"
    assert drafts["Deploy to staging"].key in tests.dependencies
