"""A twentieth attack, on the changes merged on 2026-11-27 that nobody had attacked: a cancel's event id carrying
``@cancelled_at``, a subtask file locked past the timeout, the store's held replaced files (``_retire``), the CLI's
options and exit codes, and the history index kept between passes."""

from __future__ import annotations

from typing import Any

import pytest

from test_queue_edits import cancel, routed

from sim import Sim


def _rewrite(sim: Sim, task_id: str, **fields: Any) -> None:
    """Another writer rewrites one entry of the queue (no lock), the rest as it was."""
    queue = sim.store.get(sim.layout.queue)
    for entry in queue["tasks"]:
        if entry.get("id") == task_id:
            entry.update(fields)
    sim.store.put(sim.layout.queue, queue)


@pytest.mark.parametrize("style", ["+00:00", "-06:00", "seconds"])
def test_a_cancel_whose_time_another_writer_writes_in_its_own_style_is_said_once(style: str) -> None:
    """The cancel's event id carries ``cancelled_at``, so a second act (undone by an old copy, made again) is said
    again. A writer that re-serialises the queue writes the same moment in its own style (interop: ``...Z``,
    ``-06:00``, with or without milliseconds): the same act, not a second one. Regression: said twice in one run."""
    sim = Sim()
    sim.start()
    routed(sim)
    cancel(sim, "t1")
    sim.run("queue")
    stamp = sim.queue_task("t1")["cancelled_at"]
    assert stamp.endswith(".000Z")
    same = {"+00:00": stamp.replace("Z", "+00:00"), "-06:00": "2025-11-05T12:00:00-06:00",
            "seconds": stamp.replace(".000Z", "Z")}[style]
    assert stamp == "2025-11-05T18:00:00.000Z"  # the sim's clock: the -06:00 style above is that moment
    _rewrite(sim, "t1", cancelled_at=same)
    sim.tick(1)
    assert len(sim.events("task_cancelled", task_id="t1")) == 1
    sim = sim.restart()
    sim.tick(1)
    assert len(sim.events("task_cancelled", task_id="t1")) == 1  # nor by a restart


def test_a_cancel_undone_and_made_again_a_millisecond_later_is_still_a_second_act() -> None:
    """The opposite: a different moment is a different act, whatever its style."""
    sim = Sim()
    sim.start()
    routed(sim)
    before = sim.store.get(sim.layout.queue)
    cancel(sim, "t1")
    sim.run("queue")
    sim.store.put(sim.layout.queue, before)  # an old copy undoes it
    sim.tick(0)
    cancel(sim, "t1")
    _rewrite(sim, "t1", cancelled_at="2025-11-05T12:00:00.001-06:00")  # made again 1 ms later, another style
    sim.run("queue")
    said = sim.events("task_cancelled", task_id="t1")
    assert len(said) == 2 and said[0]["event_id"] != said[1]["event_id"]
