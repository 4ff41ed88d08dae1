"""Logging through structlog: JSON lines for journald and files, colour on a terminal."""

from __future__ import annotations

import json as jsonlib
import logging
import sys
from typing import Any

import orjson
import structlog


def configure(level: str = "info", *, json: bool | None = None) -> None:
    """Log to stderr; ``json`` defaults to "stderr is not a terminal" (systemd, pipes, tests)."""
    as_json = not sys.stderr.isatty() if json is None else json
    # orjson and a bytes logger: a line per event costs a fifth of the json module's (structlog's advice)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(serializer=_dumps, default=str) if as_json
        else structlog.dev.ConsoleRenderer(colors=True)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info if as_json else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.BytesLoggerFactory(sys.stderr.buffer) if as_json
        else structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


def _dumps(event: Any, **kw: Any) -> bytes:
    """orjson, and what it refuses (a lone surrogate in a worker's result, an integer beyond 64 bits)
    the json module's way, in ASCII escapes: a line that cannot be logged raised where the outbox logs,
    at the flush, and no event was appended again."""
    try:
        return orjson.dumps(event, **kw)
    except TypeError:
        return jsonlib.dumps(event, **kw).encode()
