"""The one source of time of the core, so tests can run it on a clock they move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from orchestrator.timestamps import format_timestamp


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to (in-process tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2025, 11, 5, 18, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def iso(clock: Clock) -> str:
    """The clock's time as we write timestamps."""
    return format_timestamp(clock.now())
