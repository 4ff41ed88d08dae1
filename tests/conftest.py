"""Test harness: temp coordination folders, a real daemon subprocess, and the queue writers
of the rest of the system (rename, in place, half-written)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.store import FolderStore, Layout

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "samples"  # a copy of shared/samples/coordination: the dirt the real system writes

FAST_CONFIG = """
[watch]
debounce_seconds = 0.002
rescan_interval_seconds = 0.5
read_retry_delay_seconds = 0.02
read_retries = 3
lock_timeout_seconds = 5
"""


def read_events(folder: Path) -> list[dict[str, Any]]:
    """Our events (other writers' lines and torn lines are skipped, as readers must)."""
    events = []
    path = folder / "dashboard-events.jsonl"
    if not path.exists():
        return events
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("source") == "orchestrator":
            events.append(event)
    return events


PATIENCE = float(os.environ.get("TEST_PATIENCE", "4"))
"""Every wait for a daemon is this many times its stated timeout: a wait ends as soon as what it waits
for holds, so only a failing test waits longer, and a shared machine under load (a daemon's start
took 10 s there) fails no test that would pass."""


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``condition`` every few ms until it returns something truthy."""
    deadline = time.monotonic() + timeout * PATIENCE
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


WIDGET_SUBTASKS = [
    {"id": "design", "title": "Design the widget", "assigned_to": "development"},
    {"id": "backend", "title": "Build the widget backend", "dependencies": ["design"]},
    {"id": "frontend", "title": "Build the widget frontend", "dependencies": ["design"]},
    {"id": "audit", "title": "Security audit of the widget", "assigned_to": "security",
     "dependencies": ["backend", "frontend"]},
]
"""A task's own plan used across the suite: design | backend, frontend | audit (3 stages)."""


def queue_doc(*tasks: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"version": "2.1", **top, "tasks": list(tasks)}


def task(task_id: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "title": title, "status": "pending", "priority": "medium",
            "created_at": "2025-11-05T18:00:00Z", "created_by": "test", **fields}


def write_by_rename(path: Path, doc: Any) -> None:
    """How most writers save: temp file in the same folder, then rename over the queue."""
    temp = path.with_name(f".{path.name}.writer-{os.getpid()}")
    temp.write_text(json.dumps(doc, indent=2))
    os.replace(temp, path)


def write_in_place(path: Path, doc: Any) -> None:
    """How shell + jq writers save: truncate and rewrite the same file."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(doc, indent=2))


def read_queue(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "task-queue.json").read_text())


def queue_task(folder: Path, task_id: str) -> dict[str, Any]:
    return next(t for t in read_queue(folder)["tasks"] if isinstance(t, dict) and t.get("id") == task_id)


class DaemonProcess:
    """``orchestrator run`` as a real subprocess on a folder."""

    def __init__(self, folder: Path, config: Path) -> None:
        self.folder = folder
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder.parent / f"daemon-{id(self)}.log"

    def start(self, *extra: str, wait: bool = True) -> DaemonProcess:
        starts = self.count("orchestrator_started")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(self.folder),
                 "--config", str(self.config), *extra],
                stdout=log, stderr=log,
            )
        if wait:
            wait_for(lambda: self.count("orchestrator_started") > starts or self.proc.poll() is not None,
                     what="orchestrator_started")
            assert self.proc.poll() is None, self.log.read_text()
        return self

    def count(self, type_: str) -> int:
        return sum(1 for e in read_events(self.folder) if e["type"] == type_)

    def events(self, type_: str | None = None, **match: Any) -> list[dict[str, Any]]:
        return [e for e in read_events(self.folder)
                if (type_ is None or e["type"] == type_) and all(e.get(k) == v for k, v in match.items())]

    def wait_event(self, type_: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        found = wait_for(lambda: self.events(type_, **match), timeout, f"event {type_} {match}")
        return found[-1]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout * PATIENCE)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


PROCESS_MODULES = {"test_commands", "test_daemon", "test_durability_trace", "test_external_planner", "test_faults",
                   "test_reconcile_regressions", "test_service", "test_supervision"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that start real processes (``-m "not process"`` runs the in-process rest)."""
    for item in items:
        if item.path.stem in PROCESS_MODULES:
            item.add_marker(pytest.mark.process)


@pytest.fixture(scope="session")
def rules() -> Classifier:
    """The rules alone: what a rule decides, not what the built-in model would make of the words."""
    return Classifier(ClassifierConfig(), learned=None)


@pytest.fixture
def store(tmp_path: Path) -> FolderStore:
    """A folder store on an empty coordination folder, its folders made (a test file may define its own)."""
    folder = FolderStore(Layout(tmp_path / "coordination"))
    folder.make_folders()
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty coordination folder with an empty queue."""
    root = tmp_path / "coordination"
    root.mkdir()
    (root / "task-queue.json").write_text(json.dumps(queue_doc()))
    return root


@pytest.fixture
def sample_folder(tmp_path: Path) -> Path:
    """A copy of the dirty sample folder (never changed in place)."""
    root = tmp_path / "coordination"
    shutil.copytree(SAMPLES, root)
    return root


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(FAST_CONFIG)
    return path


@pytest.fixture
def daemon_factory(fast_config: Path) -> Iterator[Callable[[Path], DaemonProcess]]:
    started: list[DaemonProcess] = []

    def make(root: Path, config: Path | None = None) -> DaemonProcess:
        process = DaemonProcess(root, config or fast_config)
        started.append(process)
        return process

    yield make
    for process in started:
        process.kill()


@pytest.fixture
def daemon(folder: Path, daemon_factory: Callable[[Path], DaemonProcess]) -> Iterator[DaemonProcess]:
    process = daemon_factory(folder).start()
    yield process
    if process.alive():
        assert process.stop() == 0, process.log.read_text()
