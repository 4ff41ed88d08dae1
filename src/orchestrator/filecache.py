"""The files a monitor tick looks at, read again only when they may have changed.

A tick looks at every live subtask file and every active worker's heartbeat, status and PID
files. Most have not changed since the last tick, so each is stat'ed, and read (and parsed)
again only when its identity (inode, mtime, size) differs from the last read's. Identity alone
would miss a writer that rewrites a file in place, to the same size, within one tick of the
file system's clock: so an identity is trusted only once the file is *settled*
(:meth:`orchestrator.store.Store.settled`: its mtime was older than that clock's granularity
when it was stat'ed); until then the file is read again on every look, and its bytes compared.
The stat is taken before the read, so a write between the two changes the identity the next
look sees.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from orchestrator.store import MISSING, Identity, Store

T = TypeVar("T")


class CachedFile:
    """One file as it was when last read."""

    __slots__ = ("_data", "_identity", "_parsed", "_settled", "path", "problem")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity: Identity | None = None  # None: never read (or forgotten)
        self._data: bytes | None = None  # None: missing or unreadable
        self._settled = False
        self._parsed: dict[Callable[[bytes | None], Any], Any] = {}
        self.problem: str | None = None
        """Why the last read found no bytes although the file is there (a folder, too big, no permission)."""

    def read(self, store: Store) -> tuple[bytes | None, bool]:
        """The file's bytes (None: missing or unreadable) and whether they differ from the last read."""
        never = self._identity is None
        before = self._data
        if not self._look(store):
            return before, False
        return self._data, never or self._data != before

    def parsed(self, store: Store, parse: Callable[[bytes | None], T]) -> T:
        """``parse`` of the file's bytes (None: missing or unreadable), parsed again only when they changed.

        The value is shared between looks: its users must not change it.
        """
        never = self._identity is None
        before = self._data
        if self._look(store) and (never or self._data != before):
            self._parsed = {}
        if parse not in self._parsed:
            self._parsed[parse] = parse(self._data)
        value: T = self._parsed[parse]
        return value

    def _look(self, store: Store) -> bool:
        """Stat the file; read it unless its identity is settled and unchanged. True: it was read."""
        stamp = store.stamp()  # before the stat: see the module's docstring
        identity = store.identity(self.path)
        if self._settled and identity == self._identity:
            return False
        try:
            self._data = store.read_bytes(self.path)
            self._settled = identity == MISSING or store.settled(identity, stamp)
            self.problem = None
        except OSError as exc:
            # missing (it may appear: its identity changes then), or unreadable (a chmod changes
            # no identity: read it again on every look)
            self._data, self._settled = None, identity == MISSING
            self.problem = None if identity == MISSING else f"{self.path}: cannot read: {exc.strerror or exc}"
        self._identity = identity
        return True

    def forget(self) -> None:
        """The next read counts as a change (after an error, or after our own write)."""
        self._identity, self._data, self._settled, self._parsed = None, None, False, {}
