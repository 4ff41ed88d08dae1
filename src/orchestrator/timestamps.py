"""Timestamps as the rest of the system writes them, and as we write them.

Other writers use four styles (``...Z``, ``-0600``, ``-06:00``, with or without
milliseconds); Python 3.11's ``fromisoformat`` reads all of them. We always write
UTC with millisecond precision and a ``Z`` suffix.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and ``Z``: ``2025-11-05T18:00:00.123Z``."""
    if moment.tzinfo is not UTC:  # the clock's own are UTC already: half the cost of the conversion and strftime
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"  # "+00:00" -> "Z"


def now_iso() -> str:
    return format_timestamp(utc_now())


EPOCH_MILLISECONDS = 1e11
"""A number above this is in milliseconds (``Date.now()``): as seconds it would be after the year 5000."""


def parse_timestamp(value: object) -> datetime | None:
    """Read any timestamp style seen in the system; ``None`` when absent or unreadable.

    A timestamp without an offset is taken as UTC (the system's writers all mean UTC
    when they leave it out). A number is a Unix time (``time.time()``, ``date +%s``), in
    seconds or, when too large for that, milliseconds: a worker's heartbeat written so is a
    heartbeat, not the absence of one.
    """
    if isinstance(value, str):
        return _parse(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > EPOCH_MILLISECONDS else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


@functools.lru_cache(maxsize=8192)
def _parse(value: str) -> datetime | None:
    """Remembered: a monitor tick reads the same few timestamps of every active subtask again."""
    if not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        # in UTC, or None: 0001-01-01T00:00:00+01:00 parses but cannot be compared with a UTC time
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
