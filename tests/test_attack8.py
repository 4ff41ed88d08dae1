"""Today's change attacked an eighth time: scope labels, broken text, crashes in bursts, lost events.

Each test here failed before the fix it names.
"""

from __future__ import annotations

import argparse
import fcntl
import inspect
import os
import re
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers import inotify_c

from orchestrator import completion, daemon_control, planner
from orchestrator.classify import Classifier
from orchestrator.cli import main as cli_main
from orchestrator.config import Config
from orchestrator.imperatives import as_work, as_work_text
from orchestrator.models import Plan, QueueTask
from orchestrator.planner import build_plan, builtin_drafts
from orchestrator.watcher import OVERFLOW_LOGGER

CONFIG = Config()
CLASSIFIER = Classifier(CONFIG.classifier, learned=None)
VERBS = planner._work_words(CLASSIFIER)


def plan_titles(title: str, description: str) -> list[str]:
    task = QueueTask.model_validate({"id": "t-1", "status": "pending", "title": title, "description": description})
    plan: Plan = build_plan(task, CLASSIFIER.classify(task), builtin_drafts(task, CLASSIFIER, CONFIG.planner),
                            planner="builtin", config=CONFIG.planner, now="2025-11-05T18:00:00.000Z")
    return [s.title for s in plan.subtasks]


# --- scope labels ----------------------------------------------------------------------------------


def test_a_scope_label_over_a_list_of_names_is_the_scope_not_one_part_per_name() -> None:
    """Defect: 'Clusters: dev, staging, prod-eu' on one line was read as the scope, but the same label on a
    line of its own over its list ('Clusters:', '- dev', '- staging') gave 'Set up the dev', 'Set up the
    staging', 'Set up the prod-eu' and 'Set up the Clusters:'."""
    titles = plan_titles("Upgrade the ingress controller with a security review and docs",
                         "Upgrade the ingress controller to 1.10.\nClusters:\n- dev\n- staging\n- prod-eu")
    assert [t for t in titles if "dev" in t or "staging" in t or "Clusters" in t] == []
    assert as_work_text("Upgrade the ingress.\nRegions:\neu-west, us-east\nThen write the runbook.", VERBS) \
        == "Upgrade the ingress.\nThen write the runbook."
    # work listed under such a label is still work
    assert "rewrite billing" in as_work_text("Services:\n- rewrite billing\n- search", VERBS)


def test_a_scope_label_with_nothing_after_it_is_no_part() -> None:
    """Defect: 'Clusters:' with nothing after it (or only a full stop) became the part 'Implement the
    Clusters:' ('Set up the Clusters:' in a deploy)."""
    assert as_work("Clusters:", VERBS) is None
    assert as_work("Regions: .", VERBS) is None
    titles = plan_titles("Migrate all services to the new auth system with security review and docs",
                         "Clusters:. Regions:")
    assert [t for t in titles if "Clusters" in t or "Regions" in t] == []


# --- lost file events ------------------------------------------------------------------------------


def test_the_watchdog_the_package_allows_says_when_the_kernel_dropped_file_events() -> None:
    """Defect: the overflow hook listens for watchdog's log record of a queue overflow, which watchdog
    writes only since 7.1; 6.0 and 7.0 skip the overflow event (``wd == -1``) without a word, and the
    package allowed ``watchdog>=6.0``: there the lost changes waited for the monitor's tick again."""
    assert inotify_c.__name__ == OVERFLOW_LOGGER and "overflowed" in inspect.getsource(inotify_c)
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    floor = next(re.fullmatch(r"watchdog>=(\d+)\.(\d+).*", d) for d in project["dependencies"]
                 if d.startswith("watchdog"))
    assert floor is not None and (int(floor.group(1)), int(floor.group(2))) >= (7, 1)


# --- files that are not files ----------------------------------------------------------------------


def returns(call: Callable[[], Any]) -> Any:
    """What ``call`` returns; a call that blocks for ever fails (10 s is aeons for an open and a flock)."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(10)
    assert result, "blocked"
    return result[0]


def test_a_fifo_in_the_lock_files_place_blocks_no_command(tmp_path: Path) -> None:
    """Defect: with a FIFO where the daemon's lock file belongs, ``orchestrator stop`` never returned:
    asking whether the lock is held opened it for reading, which waits for a writer; with a daemon
    holding it (it takes a flock on a FIFO too), reading the PID from it waited for ever for a PID the
    daemon never writes. ``stop`` now says there is no daemon, or stops the one that holds it."""
    lock = tmp_path / "daemon.lock"
    os.mkfifo(lock)
    assert returns(lambda: daemon_control.is_held(lock)) is False
    assert returns(lambda: daemon_control.find(lock)) is None
    holder = os.open(lock, os.O_RDWR | os.O_NONBLOCK)  # as the daemon's FileLock opens it
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        running = returns(lambda: daemon_control.find(lock))
        assert running is not None and running.pid == os.getpid()
    finally:
        os.close(holder)


def test_a_fifo_in_the_queues_place_does_not_hang_the_shells_completion(tmp_path: Path) -> None:
    """Defect: ``orchestrator explain <Tab>`` read the queue for its task ids with a plain open, which
    waits for a writer when a FIFO is in the queue's place: the shell hung at the Tab key."""
    os.mkfifo(tmp_path / "task-queue.json")
    folder = argparse.Namespace(coordination_dir=str(tmp_path))
    assert returns(lambda: completion.COMPLETERS[("explain", "task_id")]("", folder)) == []
    (tmp_path / "task-queue.json").unlink()
    (tmp_path / "task-queue.json").write_text('{"tasks": [{"id": "t-1"}, {"id": "u-2"}]}')
    assert completion.COMPLETERS[("explain", "task_id")]("t", folder) == ["t-1"]


def test_doctor_tells_how_to_remove_a_fifo_in_the_lock_files_place(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Defect: for any non-file in the lock file's place ``doctor`` said to ``rmdir`` it, which refuses
    a FIFO ("Not a directory"), and that ``run`` refuses to start meanwhile, which it does only beside a
    folder."""
    (tmp_path / "orchestrator").mkdir()
    os.mkfifo(tmp_path / "orchestrator" / "daemon.lock")
    assert cli_main(["doctor", "--coordination-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "daemon.lock is not a file" in out and "remove it (rm);" in out
    assert "rmdir" not in out and "refuses to start" not in out
