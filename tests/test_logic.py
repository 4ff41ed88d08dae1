"""Logic slips found by reading the core line by line: each test failed on the code before its fix.

In-process (a MemoryStore, a FakeClock): what a pass reads, writes, announces and remembers.
"""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator import queue_edits, registry
from orchestrator.clock import iso
from orchestrator.store import Crash, FolderStore, Layout
from orchestrator.workers import WorkerDirectory

from sim import SUBTASKS, FakeProcesses, Sim, task

SIMPLE = "Fix bug in app/main.py line 3"


def edit(sim: Sim, task_id: str, what: str, by: str = "alice") -> None:
    """``orchestrator cancel`` / ``retry`` of a simple task, as the command does it."""
    now = iso(sim.clock)
    if what == "cancel":
        queue_edits.edit_task(sim.store, task_id, lambda e: queue_edits.cancel(
            e, by=by, now=now, reason=None, has_plan=False))
    else:
        queue_edits.edit_task(sim.store, task_id, lambda e: queue_edits.retry(e, by=by, now=now, has_plan=False))


def retried(sim: Sim) -> None:
    """Started; the simple task ``s`` routed, cancelled, then retried: pending as attempt 2."""
    sim.start()
    sim.submit(task("s", SIMPLE))
    sim.run("queue")
    edit(sim, "s", "cancel")
    sim.run("queue")
    edit(sim, "s", "retry")


def widget(sim: Sim) -> None:
    """Started, with Widget's plan begun (stage 1 handed off)."""
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")


def completed_widget(sim: Sim) -> None:
    widget(sim)
    for _ in range(3):
        sim.finish_active("orch-w")
        sim.tick(1)
    assert sim.plan("orch-w")["status"] == "completed"


def test_a_refused_task_is_reported_once_not_again_on_every_queue_change() -> None:
    """The intake reported its problems three times a pass (before classifying, after, and with
    the ids already used), each call forgetting what the others had reported: a task refused for
    reusing an earlier task's id was said again on every later change of the queue and every tick."""
    sim = Sim()
    sim.start()
    sim.submit(task("a", SIMPLE))
    sim.run("queue")
    # a writer replaces the queue: a different task under the routed task's id
    sim.store.put(sim.layout.queue, {"tasks": [task("a", "Rotate the TLS certificate of the mail server")]})
    sim.run("queue")
    [refused] = sim.events("task_invalid", task_id="a")
    assert "id already used" in refused["problem"]
    sim.submit(task("b", "Fix typo in README"))
    sim.run("queue")
    sim.tick(120)
    sim.submit(task("c", "Fix typo in docs/index.md"))
    sim.run("queue")
    assert sim.queue_task("c")["status"] == "assigned"
    assert len(sim.events("task_invalid", task_id="a")) == 1
    assert sim.queue_task("a")["status"] == "pending"  # left for a person, never given the old task's work


def test_a_task_that_cannot_be_classified_is_reported_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same slip for a classifier error: reported after classifying, forgotten by the next
    pass's first report (made before classifying), so said again on every change of the queue."""
    sim = Sim()
    sim.start()
    classifier = sim.core.engine.classifier
    classify = classifier.classify

    def breaking(queued: Any, *args: Any, **kwargs: Any) -> Any:
        if queued.id == "x":
            raise ValueError("a value nobody foresaw")
        return classify(queued, *args, **kwargs)

    monkeypatch.setattr(classifier, "classify", breaking)
    sim.submit(task("x", SIMPLE))
    sim.run("queue")
    sim.submit(task("b", "Fix typo in README"))
    sim.run("queue")
    sim.tick(120)
    assert sim.queue_task("b")["status"] == "assigned"
    [problem] = sim.events("task_invalid", task_id="x")
    assert "cannot be classified" in problem["problem"]


def test_a_retried_tasks_handoff_is_taken_back_when_a_cancel_beats_the_claim() -> None:
    """When the claim lost a task (cancelled between the pass's read and its locked write), the
    handoff just written was removed only if ``{id}:handoff`` had not been announced: the key of
    attempt 1. A retried task's attempt-2 handoff was left ``pending`` for its master, for a task
    that was cancelled and that the daemon never announced as handed off."""
    sim = Sim()
    retried(sim)
    raced = sim.before_next_queue_write(lambda: edit(sim, "s", "cancel", by="bob"))
    sim.run("queue")
    assert raced and sim.queue_task("s")["status"] == "cancelled"
    assert not sim.events("handoff_created", task_id="s", attempt=2)
    second = sim.layout.task_handoff("development", "s", 2)
    assert second not in sim.handoffs()


def test_a_task_cancelled_before_the_claim_takes_the_lock_gets_no_handoff_at_all(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim is decided under the queue's lock before any handoff is written (the handoffs then go with
    the queue's temp file in one wave): a task cancelled between the pass's read and the lock gets no handoff
    written, not one written and taken back; the task beside it is routed as ever."""
    from contextlib import contextmanager

    sim = Sim()
    sim.start()
    sim.submit(task("s", SIMPLE), task("t", "Fix typo in README"))
    locked, raced = sim.store.locked, []

    @contextmanager
    def racing(path: Path, **kwargs: Any) -> Any:
        if path == sim.layout.queue and not raced:
            raced.append(True)
            edit(sim, "s", "cancel", by="bob")
        with locked(path, **kwargs):
            yield

    monkeypatch.setattr(sim.store, "locked", racing)
    sim.run("queue")
    assert raced and sim.queue_task("s")["status"] == "cancelled" and sim.queue_task("t")["status"] == "assigned"
    assert sim.store.written[sim.layout.task_handoff("development", "s", 1)] == 0  # never written, nor removed
    assert sim.store.written[sim.layout.task_handoff("development", "t", 1)] == 1
    assert not sim.events("handoff_created", task_id="s") and sim.events("task_assigned", task_id="t")


def test_a_failed_handoff_of_a_task_that_is_gone_asks_for_no_more_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A handoff that could not be written was remembered until it was written; once its task was
    cancelled it never would be: every later pass that routed a task said ``failed`` (the daemon
    ran another pass after a pause) and forgot the queue it had just written."""
    sim = Sim()
    sim.start()
    create = sim.store._create

    def refusing(files: list[tuple[Path, bytes]]) -> list[bool]:
        if any(path.name.startswith("s.") for path, _ in files):
            raise PermissionError(errno.EACCES, "Permission denied", str(files[0][0]))
        return create(files)

    monkeypatch.setattr(sim.store, "_create", refusing)
    sim.submit(task("s", SIMPLE))
    assert sim.run("queue").failed  # still to hand off: look again after a pause
    edit(sim, "s", "cancel")
    sim.run("queue")
    sim.submit(task("b", "Fix typo in README"))
    result = sim.run("queue")
    assert sim.queue_task("b")["status"] == "assigned"
    assert not result.failed and not result.again
    reads: list[bool] = []
    original = sim.store.read_queue
    monkeypatch.setattr(sim.store, "read_queue", lambda *a, **k: reads.append(True) or original(*a, **k))
    sim.run("queue")  # our own write coming back
    assert reads == []


def test_an_ended_orchestration_is_forgotten_by_the_outbox_with_its_last_events() -> None:
    """``Outbox.forget`` ran when the plan's last events were released, before they were appended:
    appending them marked their ids announced again, so the ids of every ended orchestration's
    last events (its completion, its last stage ...) stayed in memory for the daemon's life."""
    sim = Sim()
    completed_widget(sim)
    assert len(sim.events("orchestration_completed", orchestration_id="orch-w")) == 1
    assert not sim.core.outbox.was_announced("orch-w:completed")
    sim.tick(600)
    assert len(sim.events("orchestration_completed", orchestration_id="orch-w")) == 1


def test_a_restart_does_not_announce_again_what_an_ended_orchestration_said_long_ago(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan file keeps the events of its last change in its ``outbox``, and a start announces
    those the end of the events file does not show. Once that file grew past the part a start reads,
    every restart took each ended orchestration's last events as never announced: it wrote its
    report and its queue task again and announced ``orchestration_completed`` (and the rest) again."""
    monkeypatch.setattr("orchestrator.outbox.EVENT_TAIL_BYTES", 8000)
    sim = Sim()
    completed_widget(sim)
    for n in range(20):  # a day of other work: the completion is now far from the events file's end
        sim.clock.advance(60)
        sim.submit(task(f"s{n}", f"Fix bug in app/m{n}.py line 3"))
        sim.run("queue")
    again = sim.restart()
    assert len(again.events("orchestration_completed", orchestration_id="orch-w")) == 1
    assert not again.events(orchestration_id="orch-w", recovered=True)
    assert again.store.written[again.layout.report("orch-w", ".md")] == 0  # its effects are not redone
    assert again.store.written[again.layout.queue] == 0


def test_a_plan_flushed_unchanged_is_encoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``save_many`` encoded every plan to find the changed ones, and handed ``save`` the encoding
    of the changed ones only: a plan flushed unchanged (a refused report put right in its subtask
    file) was encoded twice, the costliest step of a flush."""
    sim = Sim()
    widget(sim)
    sim.report("orch-w-design", "start", worker_id="w1")
    sim.run(("subtask", "orch-w-design"))
    encoded: list[str] = []
    content = registry._content
    monkeypatch.setattr(registry, "_content", lambda plan: encoded.append(plan.orchestration_id) or content(plan))
    sim.edit("orch-w-design", attempt=0)  # a report for an attempt that is not the current one: refused
    sim.run(("subtask", "orch-w-design"))
    assert sim.subtask("orch-w-design")["attempt"] == 1  # the file is put right from the plan
    assert encoded == ["orch-w"]


def test_an_invalid_worker_spec_is_forgotten_once_it_is_gone() -> None:
    """Each invalid worker spec was said once for the daemon's life: its path was kept after the
    file was removed (most specs of a real deployment are invalid, and each worker has its own), so
    the set grew with every worker, and a new invalid spec under an old name was never said."""
    sim = Sim()
    sim.start()
    spec = sim.layout.worker_specs / "active" / "worker-7.json"
    sim.store.put(spec, b"{not json")
    sim.tick(1)
    sim.store.put(spec, b"{still not json")  # rewritten, still invalid: said once while it is there
    sim.tick(1)
    assert len(sim.events("worker_spec_invalid", path=str(spec))) == 1
    sim.store.remove(spec)
    sim.tick(1)
    sim.store.put(spec, b"{a new worker's broken spec")
    sim.tick(1)
    assert len(sim.events("worker_spec_invalid", path=str(spec))) == 2


def spec(status: str, **more: Any) -> dict[str, Any]:
    return {"worker_id": "wk-1", "task_id": "orch-w-design", "status": status,
            "created_at": "2025-11-05T18:00:00Z", **more}


def test_a_worker_spec_rewritten_within_one_mtime_tick_is_read_again() -> None:
    """Worker specs were parsed again only when their mtime changed: a spec rewritten within one
    tick of the file system's clock (the worker's last two writes: ``running``, then ``completed``)
    kept its first parse for good, and the completion it said was never seen."""
    sim = Sim()
    widget(sim)
    path = sim.layout.worker_specs / "active" / "wk-1.json"
    sim.store.put(path, spec("running"))
    sim.tick(1)
    assert sim.subtask("orch-w-design")["status"] == "in_progress"
    mtime = sim.store.mtimes[path]
    sim.store.put(path, spec("completed", results={"summary": "designed"}))
    sim.store.mtimes[path] = mtime  # the same tick of the file system's clock
    sim.tick(1)
    assert sim.plan("orch-w")["subtasks"][0]["status"] == "completed"
    assert sim.plan("orch-w")["subtasks"][0]["result"] == "designed"


def test_a_spec_rewritten_in_place_to_the_same_size_and_mtime_is_read_again(tmp_path: Path) -> None:
    """On disk: a recent spec (its mtime within the clock's granularity of the look) is not trusted
    by its identity, as every other file the monitor reads (:mod:`orchestrator.filecache`)."""
    store = FolderStore(Layout(tmp_path))
    store.make_folders()
    directory = WorkerDirectory(store, store.settings, FakeProcesses(), lambda path, problem: None)
    path = store.layout.worker_specs / "active" / "wk-1.json"
    path.parent.mkdir(parents=True)
    future = time.time_ns() + 3_600_000_000_000  # never settled while the test runs
    path.write_text(json.dumps(spec("running")))
    os.utime(path, ns=(future, future))
    directory.refresh()
    assert [s.status for s in directory.by_task["orch-w-design"]] == ["running"]
    with path.open("r+") as file:  # in place: the same inode, the same size, then the same mtime
        file.write(json.dumps(spec("failed!")))
    os.utime(path, ns=(future, future))
    directory.refresh()
    assert [s.status for s in directory.by_task["orch-w-design"]] == ["failed!"]


def stage_two_running(sim: Sim) -> None:
    """Widget's stage 2 handed off; backend's worker is process 100, frontend's reports by file."""
    widget(sim)
    sim.finish_active("orch-w")
    sim.tick(1)
    sim.processes.states[100] = "running"
    sim.report("orch-w-backend", "start", worker_id="wb", pid=100)
    sim.report("orch-w-frontend", "start", worker_id="wf")
    sim.tick(1)
    assert sim.active("orch-w") == ["orch-w-backend", "orch-w-frontend"]


def test_a_tick_writes_each_plan_once_however_many_of_its_subtasks_changed() -> None:
    """The tick wrote a plan after reading its subtask files, again after looking at its workers,
    and again for a retry: a tick that found a completion in one subtask file and a dead worker
    of the same plan wrote the plan twice (each a durable write: two fsyncs of file and folder)."""
    sim = Sim()
    stage_two_running(sim)
    sim.processes.states[100] = "gone"
    sim.report("orch-w-frontend", "complete", result="ok")
    before = sim.store.written[sim.layout.plan("orch-w")]
    sim.tick(1)
    subtasks = {s["subtask_id"]: s["status"] for s in sim.plan("orch-w")["subtasks"]}
    assert subtasks["orch-w-frontend"] == "completed" and subtasks["orch-w-backend"] == "retry_wait"
    assert sim.store.written[sim.layout.plan("orch-w")] == before + 1
    assert len(sim.events("subtask_failed", subtask_id="orch-w-backend")) == 1
    assert len(sim.events("subtask_completed", subtask_id="orch-w-frontend")) == 1


def test_a_pass_with_reports_of_several_subtasks_of_a_plan_writes_it_once() -> None:
    """Two workers of one stage reporting within one debounce window are one pass: the plan was
    written once per subtask file read."""
    sim = Sim()
    stage_two_running(sim)
    sim.report("orch-w-backend", "complete", result="backend done")
    sim.report("orch-w-frontend", "complete", result="frontend done")
    before = sim.store.written[sim.layout.plan("orch-w")]
    sim.run(("subtask", "orch-w-backend"), ("subtask", "orch-w-frontend"))
    assert sim.active("orch-w") == ["orch-w-audit"]  # stage 2 done: stage 3 handed off in the same pass
    assert sim.store.written[sim.layout.plan("orch-w")] == before + 1


def test_a_retried_tasks_handoff_announced_after_a_crash_says_its_attempt() -> None:
    """A crash between the queue's write and the events' append: at start the handoff is announced
    from the queue (``recovered``), and that event left out the ``attempt`` the same event carries
    when it is announced in its own pass (``s:handoff:2`` without ``attempt: 2``)."""
    sim = Sim()
    retried(sim)
    sim.store.crash_at = sim.store.writes + 3  # the handoff, the queue, then (not) the events
    with pytest.raises(Crash):
        sim.run("queue")
    sim.store.crash_at = None
    assert sim.queue_task("s")["status"] == "assigned"
    again = sim.restart()
    [recovered] = again.events("handoff_created", task_id="s", recovered=True)
    assert recovered["event_id"] == "s:handoff:2" and recovered["attempt"] == 2


def test_what_is_kept_of_a_task_gone_from_the_queue_is_forgotten_in_its_pass_after_the_claim(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """perf16: forgetting walks every remembered task, so it runs after the claim (off the path to
    ``assigned``), still in the pass whose read lost the task; a pass whose read lost nothing forgets nothing."""
    sim = Sim()
    sim.start()
    sim.submit(task("a", SIMPLE))
    sim.run("queue")
    engine = sim.core.engine
    assert "a" in engine.moves.named and sim.core.outbox.was_announced("a:assigned")
    forgot: list[str] = []
    forget = engine._forget_gone

    def watched() -> None:
        forgot.append(sim.queue_task("b")["status"] if any(t["id"] == "b" for t in sim.store.get(sim.layout.queue)["tasks"])
                      else "no b")
        forget()

    monkeypatch.setattr(engine, "_forget_gone", watched)
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"] = [t for t in queue["tasks"] if t["id"] != "a"] + [task("b", "Fix typo in README")]
    sim.store.put(sim.layout.queue, queue)  # a writer archives a and adds b in one write
    sim.run("queue")
    assert forgot == ["assigned"]  # once, after b's claim
    assert "a" not in engine.moves.named and not sim.core.outbox.was_announced("a:assigned")
    assert "b" in engine.moves.named and sim.core.outbox.was_announced("b:assigned")
    sim.submit(task("c", "Fix typo in the docs"))
    sim.run("queue")
    sim.run("queue")  # our own write coming back
    assert "b" in engine.moves.named and "c" in engine.moves.named  # present: kept
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"] = [t for t in queue["tasks"] if t["id"] != "b"]
    sim.store.put(sim.layout.queue, queue)  # no task to route: forgotten all the same
    sim.run("queue")
    assert "b" not in engine.moves.named and not sim.core.outbox.was_announced("b:assigned")
