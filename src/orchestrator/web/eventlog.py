"""The events file for a page: read backwards a page at a time, and followed as it grows.

A file of 100,000 lines is never read whole: a page reads chunks from a byte offset
backwards until it has enough matching events (or has scanned ``MAX_SCAN`` bytes), and says
where the next older page starts. The follower is :class:`orchestrator.events.Tail`, the one
``events --follow`` uses. Lines are parsed as ``orchestrator events`` parses them
(:func:`orchestrator.events.parse`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator import events
from orchestrator.events import Tail

__all__ = ["Filter", "Page", "Tail", "page", "size"]

CHUNK = 256 << 10
MAX_SCAN = 8 << 20
"""At most this much of the file is read for one page; a rare filter continues on the next page."""


@dataclass(frozen=True)
class Filter:
    types: list[str] = field(default_factory=list)
    orchestration: str | None = None

    def __call__(self, event: dict[str, Any]) -> bool:
        return events.matches(event, self.types, self.orchestration, None)


@dataclass(frozen=True)
class Page:
    events: list[dict[str, Any]]
    """Oldest first."""
    older: int | None
    """Byte offset to ask for the next older page; ``None`` at the start of the file."""
    end: int
    """Where following the file begins: its size when read, less a last line not yet whole (a writer
    is appending it), which the follower then reads whole."""


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def page(path: Path, wanted: Callable[[dict[str, Any]], bool], limit: int, before: int | None = None,
         max_scan: int | None = MAX_SCAN) -> Page:
    """The last ``limit`` matching events that end before byte ``before`` (default: the end), reading
    at most ``max_scan`` bytes (None: up to the start of the file, if that is what it takes)."""
    handle = events.open_regular(path)
    if handle is None:
        return Page([], None, 0)
    with handle:
        end = os.fstat(handle.fileno()).st_size
        stop = end if before is None else max(0, min(before, end))
        found: list[dict[str, Any]] = []
        scanned = 0
        whole = end
        while stop > 0 and len(found) < limit and (max_scan is None or scanned < max_scan):  # limit >= 1
            start = max(0, stop - CHUNK)
            while True:
                handle.seek(start)
                raw = handle.read(stop - start)
                newline = raw.find(b"\n") if start > 0 else -1
                if start == 0 or newline != -1:
                    break
                start = max(0, start - CHUNK)  # a line longer than a chunk: read further back
            start, raw = start + newline + 1, raw[newline + 1:]
            text = events.decode(raw)
            parsed, used = events.parse_at(text)
            if stop == end:
                whole = start + events.offset(text, used)
            chosen = [(at, e) for at, e in parsed if wanted(e)][-(limit - len(found)):]
            found[:0] = [e for _, e in chosen]
            scanned += stop - start
            if len(found) == limit and chosen:  # the page is full: the next one starts at its oldest line
                start += events.offset(text, chosen[0][0])
            stop = start
        return Page(found, stop if stop > 0 else None, whole)
