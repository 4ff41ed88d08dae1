"""The one source of time of the core, so tests can run it on a clock they move by hand."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from orchestrator.timestamps import format_timestamp


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds that only ever pass, whatever the wall clock is set to."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to (in-process tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2025, 11, 5, 18, 0, tzinfo=UTC)
        self.elapsed = 0.0

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return self.elapsed

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)
        self.elapsed += seconds

    def jump(self, seconds: float) -> None:
        """The wall clock is set (NTP, a person): time itself does not pass."""
        self.moment += timedelta(seconds=seconds)


def iso(clock: Clock) -> str:
    """The clock's time as we write timestamps."""
    return format_timestamp(clock.now())


Step = tuple[datetime, float]
"""A forward step of the wall clock: wall times before the first item were written before it, and
are older than they look by the second (seconds)."""


class ClockSteps:
    """Forward steps of the wall clock, seen by comparing it with the monotonic clock between two looks:
    NTP setting a clock that was behind (a board without a real-time clock boots with an old time), a
    person, a suspended machine resumed. Timestamps written before a step look older than they are by
    the step: :func:`rebase` moves them across it, so a worker is not judged by what the clock did.

    A step back needs no record: what was written before it is in the future, and ignored as such.
    (Recorded, it would age a worker's start while its last beats, in the future, say nothing: a zombie
    that is not one.)
    Kept in memory: a step while the daemon is down is not seen."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._last: tuple[datetime, float] | None = None

    def look(self, wall: datetime, monotonic: float, threshold: float) -> None:
        """Record a step when the wall clock moved more than ``threshold`` seconds (at least one: the two
        clocks are read a moment apart) further than time did."""
        if self._last is not None:
            last_wall, last_monotonic = self._last
            step = (wall - last_wall).total_seconds() - (monotonic - last_monotonic)
            if step > max(threshold, 1.0):
                # before the step the clock read at most wall - step (last_wall + elapsed): what is older was
                # written before it. Not up to last_wall + step, where the clock after it starts: a clock set
                # back and then put right made that an hour past what it read before both, and a worker's
                # start and handoff were moved into the future for good (a worker that hung after it was never
                # found a zombie nor over its runtime). A time between the two (a step shorter than the time
                # between two looks) is moved: it looks younger, never older, than it is.
                self.steps = [*self.steps[-15:], (wall - timedelta(seconds=step), step)]
        self._last = (wall, monotonic)


def rebase(moment: datetime | None, steps: Sequence[Step]) -> datetime | None:
    """``moment`` on today's wall clock: moved forward across each step it was written before."""
    if moment is None:
        return None
    for boundary, step in steps:
        if moment < boundary:
            moment += timedelta(seconds=step)
    return moment
