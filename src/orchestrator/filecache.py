"""The files a monitor tick looks at, read again only when they may have changed.

A tick looks at every live subtask file and every active worker's heartbeat, status and PID
files. Most have not changed since the last tick, so each is stat'ed and read (and parsed)
again only when its identity (inode, mtime, size) differs from the last read's. Identity alone
would miss a writer that rewrites a file in place, to the same size, within one tick of the
file system's clock: so an identity is trusted only once the file is *settled*
(:meth:`orchestrator.store.Store.settled`: its mtime was older than that clock's granularity
when it was stat'ed); until then the file is read again on every look, and its bytes compared.
The stat is taken before the read, so a write between the two changes the identity the next
look sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from orchestrator.store import MISSING, Identity, Store

T = TypeVar("T")


@dataclass
class _Entry:
    identity: Identity
    data: bytes | None  # None: missing or unreadable
    settled: bool
    parsed: dict[Callable[[bytes | None], Any], Any] = field(default_factory=dict)


class FileCache:
    """What each file held when last read, keyed by path."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._entries: dict[Path, _Entry] = {}

    def read(self, path: Path) -> tuple[bytes | None, bool]:
        """The file's bytes (None: missing or unreadable) and whether they differ from the last read."""
        before = self._entries.get(path)
        entry = self._entries[path] = self._look(path, before)
        return entry.data, before is None or (entry is not before and entry.data != before.data)

    def parsed(self, path: Path, parse: Callable[[bytes | None], T]) -> T:
        """``parse`` of the file's bytes (None: missing or unreadable), parsed again only when they changed."""
        before = self._entries.get(path)
        entry = self._entries[path] = self._look(path, before)
        if before is not None and entry is not before and before.data == entry.data:
            entry.parsed = before.parsed  # the same bytes: the same parse
        if parse not in entry.parsed:
            entry.parsed[parse] = parse(entry.data)
        value: T = entry.parsed[parse]
        return value

    def _look(self, path: Path, entry: _Entry | None) -> _Entry:
        stamp = self.store.stamp()  # before the stat: see the module's docstring
        identity = self.store.identity(path)
        if entry is not None and entry.settled and entry.identity == identity:
            return entry
        try:
            data: bytes | None = self.store.read_bytes(path)
            settled = identity == MISSING or self.store.settled(identity, stamp)
        except OSError:
            # missing (it may appear: its identity changes then); unreadable (a chmod changes no
            # identity: read it again every time)
            data, settled = None, identity == MISSING
        return _Entry(identity, data, settled)

    def forget(self, path: Path) -> None:
        """The next read of ``path`` counts as changed (after an error, or our own write)."""
        self._entries.pop(path, None)

    def keep_only(self, paths: Iterable[Path]) -> None:
        """Drop every other entry (files nobody looks at any more)."""
        keep = set(paths)
        self._entries = {p: e for p, e in self._entries.items() if p in keep}
