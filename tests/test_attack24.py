"""attack24: the last session's second half, attacked (perf17's remembered readings, ops23's submit --task-file)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orchestrator.classify import Classifier
from orchestrator.clock import FakeClock
from orchestrator.config import ClassifierConfig, Config
from orchestrator.models import QueueTask
from orchestrator.outbox import Outbox
from orchestrator.planner import builtin_drafts
from orchestrator.store import FolderStore
from test_core import backend_lock_held, sid
from test_events_rotation import outbox_on_disk
from test_operator_day2 import queued, run
from test_said_once import _item, _shown

DEV = Path(__file__).resolve().parent.parent / "src" / "orchestrator" / "data" / "dev-corpus.json"

# --- submit --task-file / plan --task-file: a byte order mark ----------------------------------------------------


def _with_bom(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "tasks.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode())  # PowerShell's -Encoding UTF8, Notepad
    return str(path)


def test_a_task_file_with_a_byte_order_mark_is_submitted(capsys: pytest.CaptureFixture[str], folder: Path,
                                                         tmp_path: Path) -> None:
    """The daemon reads a queue that starts with a byte order mark (README: no part of the JSON); a task file saved
    the same way was refused by submit --task-file and plan --task-file ('Unexpected UTF-8 BOM')."""
    code, out, err = run(capsys, folder, "submit", "--task-file", _with_bom(tmp_path, [{"title": "Fix the login page"}]))
    assert code == 0, err
    assert [t["title"] for t in queued(folder)] == ["Fix the login page"] and out.split() == [queued(folder)[0]["id"]]
    code, out, err = run(capsys, folder, "plan", "--dry-run", "--json", "--task-file",
                         _with_bom(tmp_path, {"id": "t-1", "status": "pending", "title": "Fix the login page"}))
    assert code == 0, err
    assert json.loads(out)["decision"] == "simple"


def test_a_task_file_that_is_no_json_is_still_refused_whole(capsys: pytest.CaptureFixture[str], folder: Path,
                                                           tmp_path: Path) -> None:
    """The near case: a mark before text that is no JSON (JSON lines) is refused, nothing written."""
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"title": "One"}\n{"title": "Two"}\n')
    code, _, err = run(capsys, folder, "submit", "--task-file", str(path))
    assert code == 2 and "nothing submitted" in err and queued(folder) == []



@pytest.mark.parametrize("task_id", ["gh:7", "../x", "a b", "x" * 101])
def test_a_task_file_with_an_id_the_daemon_refuses_is_refused_whole(capsys: pytest.CaptureFixture[str], folder: Path,
                                                                    tmp_path: Path, task_id: str) -> None:
    """submit --task-file refuses 'a task that is not valid' and writes nothing; it took ids the daemon then skips
    each pass as task_invalid (not a safe file name: a colon, a path, a space; longer than 100 characters)."""
    given = [{"title": "Fix the login page"}, {"id": task_id, "title": "Rotate the deploy key"}]
    code, _, err = run(capsys, folder, "submit", "--task-file", _written(tmp_path, given))
    assert code == 2 and "item 2" in err and "nothing submitted" in err and queued(folder) == []


def test_a_task_file_with_ids_the_daemon_takes_is_submitted(capsys: pytest.CaptureFixture[str], folder: Path,
                                                           tmp_path: Path) -> None:
    """The near case: letters, digits, '.', '_' and '-', up to 100 characters."""
    ids = ["OPS-12", "task_7.b", "x" * 100]
    code, out, err = run(capsys, folder, "submit", "--task-file",
                         _written(tmp_path, [{"id": i, "title": "Fix the login page"} for i in ids]))
    assert code == 0, err
    assert out.split() == ids and [t["id"] for t in queued(folder)] == ids


def _written(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(doc))
    return str(path)


# --- perf17's remembered readings: a daemon's decisions after reloads equal a fresh process's --------------------


def _reloaded() -> ClassifierConfig:
    """A reload that moves routing words between masters, drops action verbs and turns the model off."""
    base = ClassifierConfig()
    domains = dict(base.domains)
    domains["cicd"] = domains["cicd"].model_copy(update={"keywords": [
        word for word in domains["cicd"].keywords if word not in ("deploy", "pipeline", "release")]})
    domains["security"] = domains["security"].model_copy(update={"keywords": [
        *domains["security"].keywords, "deploy", "pipeline", "page", "report"]})
    domains["inventory"] = domains["inventory"].model_copy(update={"keywords": [
        *domains["inventory"].keywords, "dashboard", "login"]})
    return base.model_copy(update={"domains": domains, "learned_model": False, "action_verbs": base.action_verbs[:20]})


_FRESH = """
import json, sys
from orchestrator.classify import Classifier
from orchestrator.clock import FakeClock
from orchestrator.config import ClassifierConfig, Config
from orchestrator.models import QueueTask
from orchestrator.outbox import Outbox
from orchestrator.planner import builtin_drafts
from orchestrator.store import FolderStore
given = json.load(sys.stdin)
classifier, planner = Classifier(ClassifierConfig.model_validate(given["config"])), Config().planner
tasks = [QueueTask.model_validate(t) for t in given["tasks"]]
print(json.dumps([repr((classifier.classify(t), builtin_drafts(t, classifier, planner))) for t in tasks]))
"""


def _fresh_process(config: ClassifierConfig, tasks: list[QueueTask]) -> list[str]:
    """Each task's decision and draft as a process that reads nothing else decides them."""
    given = json.dumps({"config": config.model_dump(mode="json"), "tasks": [t.model_dump(mode="json") for t in tasks]})
    done = subprocess.run([sys.executable, "-c", _FRESH], input=given, capture_output=True, text=True, check=True)
    decided: list[str] = json.loads(done.stdout)
    return decided


def test_decisions_and_drafts_after_reloads_and_on_threads_are_a_fresh_process() -> None:
    """The oracle: a fresh process's decision and draft equals the daemon's, after any sequence of reloads (each a
    new classifier; the remembered readings are the module's, shared by every classifier and the planner), and with
    drafts on other threads racing the memory. Near texts (another case, space around, no-break spaces) are other
    keys."""
    planner = Config().planner
    records = random.Random(24).sample(json.loads(DEV.read_text()), 60)
    tasks = [QueueTask.model_validate({"id": f"t-{i}", "status": "pending", "title": r["task"]["title"],
                                       "description": r["task"].get("description", "")}) for i, r in enumerate(records)]
    tasks += [t.model_copy(update={"id": f"{t.id}-{n}", "title": near})
              for t in tasks[:10] for n, near in enumerate((t.title.upper(), f" {t.title}  ", t.title.replace(" ", "\xa0")))]
    configs = {"before": ClassifierConfig(), "after": _reloaded()}
    fresh = {(name, task.id): decided
             for name, config in configs.items() for task, decided in zip(tasks, _fresh_process(config, tasks), strict=True)}
    assert sum(fresh["before", t.id] != fresh["after", t.id] for t in tasks) >= 10  # the reload changes decisions

    def decided(classifier: Classifier, task: QueueTask) -> str:
        return repr((classifier.classify(task), builtin_drafts(task, classifier, planner)))

    order = random.Random(7)
    for name in ("before", "after", "before", "after"):  # reloads back and forth, each a new classifier
        classifier = Classifier(configs[name])
        for task in order.sample(tasks, 40):
            assert decided(classifier, task) == fresh[name, task.id], (name, task.title)
    both = {name: Classifier(config) for name, config in configs.items()}
    work = [(order.choice(list(configs)), order.choice(tasks)) for _ in range(300)]
    with ThreadPoolExecutor(4) as pool:
        raced = list(pool.map(lambda job: decided(both[job[0]], job[1]), work))
    assert raced == [fresh[name, task.id] for name, task in work]


# --- ops23's 'waiting' in status: a held lock's wait across a rotation of the events file ------------------------


def test_status_still_says_a_held_lock_waits_after_the_events_file_rotated() -> None:
    """status found an open lock wait only in the events file's tail: rotated (logrotate's copytruncate here) while
    another process still held the subtask file's lock, the plan was 'healthy' with nothing waiting, though the
    daemon's events mark keeps the wait's series (attack23), so the daemon itself knew the wait was open."""
    sim, backend = backend_lock_held()
    sim.store.files[sim.layout.events] = b""  # rotated: the write_failed is in the file moved away
    sim.tick(1)
    item = _item(sim)
    assert item["health"] == "waiting" and [(w["for"], w["subtask_id"]) for w in item["waits"]] == [("lock", sid("backend"))]
    assert f"fuser -v {backend}.lock" in item["waits"][0]["do"] and "waits for its file lock" in _shown(sim)
    # the near case: the lock let go after the rotation, write_recovered said: nothing waits
    sim.store.held.clear()
    sim.tick(1)
    assert _item(sim)["waits"] == [] and _item(sim)["health"] == "healthy"
    sim.store.files[sim.layout.events] = b""  # and rotated again after it: still nothing waits (the mark says freed)
    sim.tick(1)
    assert _item(sim)["waits"] == [] and _item(sim)["health"] == "healthy"


# --- attack23's turn order: the mark after a clock set back within a pass ------------------------------------------


def _rotated_and_restarted(store: FolderStore, clock: FakeClock) -> Outbox:
    events = store.layout.events
    events.rename(events.with_name("dashboard-events.jsonl.1"))  # logrotate, then a kill -9 and a start
    clock.advance(10)
    restarted = Outbox(store, clock)
    restarted.learn()
    return restarted


def test_an_append_across_a_clock_set_back_is_still_known_as_announced_after_a_rotation(tmp_path: Path) -> None:
    """One append keeps the order staged when the wall clock was set back within the pass (attack23), so its last
    line is not its latest: the mark took that line's time as 'announced until', older than the handoff appended
    before it, and after a rotation and a restart the handoff was announced again (and its file written again, as
    test_events_rotation's soak case, seed 22). The mark says the append's latest time."""
    store, clock, box = outbox_on_disk(tmp_path)
    clock.advance(3600)
    box.emit("handoff_created", key="orch-a:handoff:s1:1", hold="orch-a", orchestration_id="orch-a")
    handoff = box.held("orch-a")
    clock.jump(-3600)  # NTP or a person sets the wall clock back an hour
    box.emit("subtask_started", key="orch-b:s1:1:started", hold="orch-b", orchestration_id="orch-b")
    started = box.held("orch-b")
    box.release("orch-a")
    box.release("orch-b")
    box.flush()
    lines = [json.loads(line)["event_id"] for line in store.layout.events.read_bytes().splitlines()]
    assert lines == ["orch-a:handoff:s1:1", "orch-b:s1:1:started"]  # the order staged, kept
    restarted = _rotated_and_restarted(store, clock)
    assert restarted.restore("orch-a", handoff) == 0 and restarted.restore("orch-b", started) == 0


def test_what_came_after_the_append_across_a_clock_set_back_is_still_announced_after_a_rotation(
        tmp_path: Path) -> None:
    """The near case: a handoff staged after that append, later than it by the clock, is not in it: said."""
    store, clock, box = outbox_on_disk(tmp_path)
    clock.advance(3600)
    box.emit("handoff_created", key="orch-a:handoff:s1:1", hold="orch-a", orchestration_id="orch-a")
    clock.jump(-3600)
    box.emit("subtask_started", key="orch-b:s1:1:started", hold="orch-b", orchestration_id="orch-b")
    box.release("orch-a")
    box.release("orch-b")
    box.flush()
    clock.jump(3601)
    box.emit("handoff_created", key="orch-c:handoff:s1:1", hold="orch-c", orchestration_id="orch-c")
    handoff = box.held("orch-c")  # in the plan's file; a kill -9 before the pass's append
    assert _rotated_and_restarted(store, clock).restore("orch-c", handoff) == 1


def test_an_append_after_a_clock_set_back_between_passes_keeps_the_earlier_ones_announced_after_a_rotation(
        tmp_path: Path) -> None:
    """review26: the same case as the one above, across two passes: a handoff appended, the wall clock set back, the
    next pass's append earlier by the clock. The mark took the second append's time as 'announced until' and, after
    a rotation and a restart, the handoff was announced again (its file written again). The mark keeps the latest
    time it ever said; the near case (a handoff later than both, not appended) is still said."""
    store, clock, box = outbox_on_disk(tmp_path)
    clock.advance(3600)
    box.emit("handoff_created", key="orch-a:handoff:s1:1", hold="orch-a", orchestration_id="orch-a")
    handoff = box.held("orch-a")
    box.release("orch-a")
    box.flush()
    clock.jump(-3600)  # set back between two passes
    box.emit("subtask_started", key="orch-b:s1:1:started", hold="orch-b", orchestration_id="orch-b")
    started = box.held("orch-b")
    box.release("orch-b")
    box.flush()
    clock.jump(3601)
    box.emit("handoff_created", key="orch-c:handoff:s1:1", hold="orch-c", orchestration_id="orch-c")
    later = box.held("orch-c")  # in the plan's file; a kill -9 before the pass's append
    restarted = _rotated_and_restarted(store, clock)
    assert restarted.restore("orch-a", handoff) == 0 and restarted.restore("orch-b", started) == 0
    assert restarted.restore("orch-c", later) == 1
