"""Reading and writing a big queue in time proportional to what changed, not to its size.

A 10,000-task queue is 2.7 MB: parsing it whole takes 11-20 ms and encoding it 4-8 ms, while a
pickup changes one or two tasks. :class:`QueueCodec` keeps what the last read and write learned:

* **reading**: each task object's bytes (between the separators of the ``tasks`` list) and the
  dict they parsed to. A new read splits the list at its separator and parses only the pieces
  whose bytes it has not seen; every other task is the dict it was. Whatever is unclear (another
  shape, a separator inside a string, mixed separators, a piece that does not parse alone, a
  ``\\u`` escape or a second ``"tasks"`` outside the list) falls back to the whole-file parser,
  whose error message is the one reported. Why the result is the full parse's: each piece parsed
  alone is a complete JSON object, the pieces are joined by ``}`` ws ``,`` ws ``{`` inside the one
  ``[`` ... ``]`` that the rest of the document (parsed with an empty list there) holds as its
  top-level ``tasks``, and JSON's grammar gives every text at most one parse.
* **writing**: each task's encoded line, by the identity of its dict. A dict someone may have
  changed since is encoded again: the store tells the codec which ones (:meth:`forget`), and a
  change that does not say encodes them all.

The dicts are shared between reads, so a task dict may only be changed inside
:meth:`~orchestrator.store.Store.update_queue`, which forgets it here first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable
from typing import Any

Encode = Callable[[Any], bytes]

_WS = b" \t\n\r"  # JSON's whitespace: bytes.strip() would also take \x0b and \x0c, which JSON refuses
_SEPARATOR = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")
_TASKS = re.compile(rb'"tasks"[ \t\n\r]*:[ \t\n\r]*\[')
_DECODER = json.JSONDecoder(parse_constant=lambda name: _refuse(name))


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _separator(body: bytes) -> bytes | None:
    """What stands between the list's tasks (b"" for one task): what follows the first task,
    found as the first ``}`` ws ``,`` ws ``{`` before which the text parses as one object (a
    task's own lists of objects, or a string, may hold the same bytes). None: not found."""
    for tried, match in enumerate(_SEPARATOR.finditer(body)):
        if tried == _SEPARATOR_TRIES:
            return None
        try:
            _DECODER.decode(body[:match.start() + 1].decode("utf-8"))
        except ValueError:
            continue
        return match.group()
    return b""


_SEPARATOR_TRIES = 64


class QueueCodec:
    """The last read's task pieces and the last write's task lines, to redo only what changed."""

    def __init__(self) -> None:
        self._pieces: dict[bytes, dict[str, Any]] = {}
        """Each task's bytes in the last read (inside its braces) -> the dict they parsed to."""
        self._lines: dict[int, tuple[Any, bytes]] = {}
        """id(task) -> (the task, its line as last written)."""
        self._stale: dict[int, Any] = {}
        """Dicts that may have changed since they were parsed: never handed out again."""
        self.parsed = 0
        """How many task pieces the last incremental read parsed (for tests and profiling)."""

    # --- reading ---------------------------------------------------------------------------

    def decode(self, raw: bytes, full: Callable[[bytes], Any]) -> Any:
        """``raw`` parsed; ``full`` (the whole-file parser) whenever the pieces are not certain."""
        try:
            document = self._incremental(raw)
        except (ValueError, RecursionError):
            document = None
        if document is None:
            self._pieces = {}
            self._stale.clear()
            self.parsed = -1
            return full(raw)
        return document

    def _incremental(self, raw: bytes) -> dict[str, Any] | None:
        found = _TASKS.search(raw)
        if found is None or raw[found.start() - 1:found.start()] == b"\\":
            return None
        start = found.end()
        end = raw.rfind(b"]")
        if end < start:
            return None
        head, tail = raw[:start], raw[end:]
        if head.count(b'"tasks"') != 1 or b'"tasks"' in tail or b"\\u" in head or b"\\u" in tail:
            return None  # "tasks" written twice, or maybe written as "\u0074asks": the full parser decides
        top = _DECODER.decode((head + tail).decode("utf-8"))
        if type(top) is not dict or top.get("tasks") != [] or type(top["tasks"]) is not list:
            return None
        body = raw[start:end].strip(_WS)
        top["tasks"] = self._tasks(body) if body else []
        if top["tasks"] is None:
            return None
        return top

    def _tasks(self, body: bytes) -> list[Any] | None:
        if body[:1] != b"{" or body[-1:] != b"}":
            return None
        inner = body[1:-1]
        separator = _separator(body)
        if separator is None:
            return None
        pieces = inner.split(separator) if separator else [inner]
        known = self._pieces
        tasks: list[Any] = list(map(known.get, pieces))
        if self._stale and not self._stale.keys().isdisjoint(map(id, tasks)):
            tasks = [None if id(t) in self._stale else t for t in tasks]
        now: dict[bytes, dict[str, Any]] = dict(zip(pieces, tasks))
        repeated = len(now) != len(pieces)  # the same bytes twice: each gets its own dict
        parsed = 0
        if repeated or None in tasks:
            handed: set[int] = set()
            for index, piece in enumerate(pieces):
                task = tasks[index]
                if task is None or (repeated and id(task) in handed):
                    task = _DECODER.decode("{" + piece.decode("utf-8") + "}")
                    parsed += 1
                    tasks[index] = task
                    if now.get(piece) is None or id(now[piece]) in handed:
                        now[piece] = task
                handed.add(id(task))
        self._pieces = now
        self._stale.clear()
        self.parsed = parsed
        return tasks

    # --- writing ---------------------------------------------------------------------------

    def lines(self, tasks: Iterable[Any], encode: Encode) -> list[bytes]:
        """Each task's line: the one last written for the same dict, unless it was forgotten."""
        known, stale = self._lines, self._stale
        lines: dict[int, tuple[Any, bytes]] = {}
        out = []
        for task in tasks:
            key = id(task)
            hit = known.get(key)
            line = hit[1] if hit is not None and hit[0] is task and key not in stale else encode(task)
            lines[key] = (task, line)
            out.append(line)
        self._lines = lines
        return out

    def forget(self, tasks: Collection[Any] | None) -> None:
        """These dicts are about to change (None: any of them may): neither their parse nor their
        line may be used again."""
        if tasks is None:
            self._pieces = {}
            self._lines = {}
            self._stale.clear()
            return
        for task in tasks:
            self._stale[id(task)] = task  # kept alive, so its id is not reused while it is stale
