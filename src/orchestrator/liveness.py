"""Is the worker of a subtask alive and making progress? Pure: facts and a clock in, a verdict out."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from orchestrator.clock import Step, rebase
from orchestrator.config import MonitorConfig
from orchestrator.models import Subtask
from orchestrator.processes import ProcessState
from orchestrator.signs import Seen
from orchestrator.timestamps import parse_timestamp


class WorkerFacts(NamedTuple):
    """What the files and the process table say about a subtask's current worker.

    A named tuple, not a frozen dataclass: a monitor tick makes one per active subtask, and a
    tuple is made in C."""

    worker_id: str | None = None
    pid: int | None = None
    process: ProcessState | None = None  # None: no PID known
    heartbeat: datetime | None = None  # newest heartbeat of any source
    files_changed: datetime | None = None  # newest mtime of the subtask's files_affected
    progress: str | None = None
    finished: Literal["completed", "failed"] | None = None
    result: str | None = None
    error: str | None = None
    beats: tuple[object, ...] = ()
    """Each heartbeat source's own value, raw (the newest of them is ``heartbeat``): a source whose beat
    went back in time (the clock was set back) has beaten all the same."""


NOT_WATCHED = Seen()
"""An attempt the monitor has not watched yet: only the wall clock speaks."""


@dataclass(frozen=True)
class Verdict:
    """Conditions that hold now (each reported once when it begins), and the one that ends the attempt."""

    conditions: frozenset[str]
    failure: str | None = None
    reason: str | None = None


HEALTHY = Verdict(frozenset())
"""Nothing wrong: one shared verdict (a tick judges a thousand subtasks, nearly all of them so)."""


def assess(subtask: Subtask, facts: WorkerFacts, now: datetime, config: MonitorConfig,
           steps: Sequence[Step] = (), seen: Seen = NOT_WATCHED) -> Verdict:
    """The seed's health checks for one active subtask, plus the never-started and runtime caps.

    ``steps``: forward steps of the wall clock (:class:`~orchestrator.clock.ClockSteps`); what was
    written before one is that much younger than it looks. ``seen``: how long the monitor itself has
    watched the attempt and seen its signs unchanged (:mod:`orchestrator.signs`); each age is the
    larger of the two readings, so a clock set back does not hide a worker that went quiet."""
    latest = now + _seconds(config.clock_skew_seconds)

    def sane(moment: datetime | None) -> datetime | None:
        """On today's clock; from the future (a wrong clock: after ``latest``) it says nothing about liveness."""
        if steps:
            moment = rebase(moment, steps)
        return None if moment is None or moment > latest else moment

    handed_off = sane(parse_timestamp(subtask.handed_off_at)) or now
    started = sane(parse_timestamp(subtask.started_at))
    # the newest beat of any source on today's clock: a source's old beat (a heartbeat file written once,
    # at the start) or one from the future (the clock was set back) must not hide another's current beats
    heartbeat: datetime | None = None
    for beat in (*facts.beats, facts.heartbeat, subtask.last_heartbeat):
        moment = sane(beat if isinstance(beat, datetime) else parse_timestamp(beat))
        if moment is not None and (heartbeat is None or moment > heartbeat):
            heartbeat = moment
    changed = sane(facts.files_changed)
    progressed = sane(parse_timestamp(subtask.last_progress_at))
    conditions: set[str] = set()

    if facts.process in ("gone", "zombie", "reused"):
        # an unreaped child is an exited worker; "zombie" would be taken for the seed's hung-worker zombie
        what = {"gone": "has exited", "zombie": "has exited (not reaped yet)",
                "reused": "was replaced (PID reused)"}
        return Verdict(frozenset({"dead"}), "dead", f"worker process {facts.pid} {what[facts.process]}")

    never_started = started is None and facts.worker_id is None and subtask.status == "assigned"
    waited = max((now - handed_off).total_seconds(), seen.watched)
    if never_started:
        if waited > config.never_started_timeout_seconds:
            return Verdict(frozenset({"never_started"}), "never_started",
                           f"no worker picked up the handoff within {config.never_started_timeout_seconds:g}s")
        return HEALTHY

    beating = facts.heartbeat is not None or subtask.last_heartbeat is not None  # a beat from the future too
    # a change the monitor saw itself bounds an age: beats it cannot read, or reads hours old (local time
    # without an offset, a zone it does not know), are beats all the same while they change
    beat_age = min(max((now - heartbeat).total_seconds() if heartbeat else 0.0, seen.beat_quiet),
                   seen.beat_quiet_at_most)
    if beating and beat_age > config.heartbeat_timeout_seconds:
        conditions.add("heartbeat_stale")
    running_since = started or handed_off
    running = max((now - running_since).total_seconds(), seen.watched)
    if running > config.max_runtime_seconds:
        return Verdict(frozenset(conditions | {"runtime_exceeded"}), "runtime_exceeded",
                       f"running for {running:.0f}s, over the cap of {config.max_runtime_seconds:g}s")
    last_sign = running_since
    for sign in (heartbeat, changed, progressed):
        if sign is not None and sign > last_sign:
            last_sign = sign
    quiet = min(max((now - last_sign).total_seconds(), seen.quiet), seen.quiet_at_most)
    if running > config.zombie_timeout_seconds and quiet > config.zombie_timeout_seconds:
        return Verdict(frozenset(conditions | {"zombie"}), "zombie",
                       f"no heartbeat, file change or progress for {quiet:.0f}s")
    return Verdict(frozenset(conditions)) if conditions else HEALTHY


@functools.lru_cache(maxsize=16)
def _seconds(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
