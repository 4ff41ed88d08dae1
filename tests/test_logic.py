"""Logic slips found by reading the core line by line: each test failed on the code before its fix.

In-process (a MemoryStore, a FakeClock): what a pass reads, writes, announces and remembers.
"""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import queue_edits
from orchestrator.clock import iso

from sim import Sim, task

SIMPLE = "Fix bug in app/main.py line 3"


def edit(sim: Sim, task_id: str, what: str, by: str = "alice") -> None:
    """``orchestrator cancel`` / ``retry`` of a simple task, as the command does it."""
    now = iso(sim.clock)
    if what == "cancel":
        queue_edits.edit_task(sim.store, task_id, lambda e: queue_edits.cancel(
            e, by=by, now=now, reason=None, has_plan=False))
    else:
        queue_edits.edit_task(sim.store, task_id, lambda e: queue_edits.retry(e, by=by, now=now, has_plan=False))


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
