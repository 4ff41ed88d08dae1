"""Reading and writing a big queue in time proportional to what changed, not to its size.

A 10,000-task queue is 2.7 MB: parsing it whole takes 11-20 ms and encoding it 4-8 ms, while a
pickup changes one or two tasks. :class:`QueueCodec` keeps what the last read and write learned:

* **reading**: the last read's bytes, where each task object ends in them, and each task's bytes
  with the dict they parsed to. A new read takes the leading tasks whose bytes (and everything
  before them) are the same with one compare; what follows is split at the separator that follows
  the first task, and each piece is looked up by its bytes or parsed alone (joined to the next
  piece while it does not parse: a task may hold the separator's bytes). Whatever is unclear
  (another shape, mixed separators, a ``\\u`` escape or a second ``"tasks"`` outside the list,
  a parse error) goes to the whole-file parser, whose error message is the one reported. Why the
  result is the full parse's: each piece parsed alone is a whole JSON object that starts where
  a task starts (the piece before it was a whole object), the pieces are joined by ``}`` ws ``,``
  ws ``{`` inside the one ``[`` ... ``]`` that the rest of the document (parsed with an empty
  list there) holds as its top-level ``tasks``, and JSON's grammar gives a text one parse at most.
* **writing**: the last write's tasks and lines. The tasks that are the same dicts in the same
  places, from the start and from the end, keep their lines; the rest are encoded.

The dicts are shared between reads, so a task dict may only be changed inside
:meth:`~orchestrator.store.Store.update_queue`, which tells the codec first (:meth:`forget`):
that dict is never handed out again for its old bytes, nor written with its old line.
"""

from __future__ import annotations

import json
import math
import operator
import re
import threading
from collections.abc import Callable, Collection
from itertools import accumulate, repeat
from typing import Any

Encode = Callable[[list[Any]], list[bytes]]
"""Items to their lines, in one call."""

_WS = b" \t\n\r"  # JSON's whitespace: bytes.strip() would also take \x0b and \x0c, which JSON refuses
_SEPARATOR = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")
_TASKS = re.compile(rb'"tasks"[ \t\n\r]*:[ \t\n\r]*\[')


def _no_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON: such a file is reported, never rewritten."""
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _finite(text: str) -> float:
    """A number beyond a float's range (``1e400``) would come back as infinity and be written back
    as ``null``: such a file is reported, never rewritten."""
    value = float(text)
    if math.isinf(value):
        raise json.JSONDecodeError(f"{text} is beyond the range of a number this daemon can write back", text, 0)
    return value


STRICT = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
"""Every JSON file is read with this one decoder, whole or in pieces. Made once: as fast as
``json.loads`` (orjson reads a 10,000-task queue no faster, and turns an integer beyond 64 bits
into a float)."""


def _separator(raw: bytes, start: int, end: int) -> bytes | None:
    """What stands between the list's tasks (b"" for one task): what follows the first task,
    found as the first ``}`` ws ``,`` ws ``{`` before which the text parses as one object (a
    task's own lists of objects, or a string, may hold the same bytes). None: not found."""
    for tried, match in enumerate(_SEPARATOR.finditer(raw, start, end)):
        if tried == _SEPARATOR_TRIES:
            return None
        try:
            STRICT.decode(raw[start:match.start() + 1].decode("utf-8"))
        except ValueError:
            continue
        return match.group()
    return b""


_SEPARATOR_TRIES = 64
_STALE_MAX = 256


def _place(tasks: list[Any], task: Any, start: int = 0, end: int | None = None) -> int | None:
    """Where ``task`` itself is in ``tasks[start:end]`` (by identity, in C: a dict's own == would
    compare contents), or None."""
    try:
        return start + operator.indexOf(map(operator.is_, tasks if start == 0 and end is None else tasks[start:end],
                                            repeat(task)), True)
    except ValueError:
        return None


def same_objects(old: tuple[Any, ...] | list[Any], new: list[Any]) -> int:
    """How many leading entries of ``new`` are the very objects of ``old`` (by identity, in C)."""
    try:
        return operator.indexOf(map(operator.is_, old, new), False)
    except ValueError:
        return min(len(old), len(new))


class QueueCodec:
    """The last read's task pieces and the last write's task lines, to redo only what changed."""

    def __init__(self) -> None:
        self._pieces: dict[bytes, dict[str, Any]] = {}
        """Each task's bytes in the last read (inside its braces) -> the dict they parsed to."""
        self._stale: dict[int, Any] = {}
        """Dicts that may have changed since they were parsed: never handed out again."""
        self._rewrite: dict[int, Any] = {}
        """Dicts that may have changed since their line was written: encoded again."""
        self._raw = b""
        """The last read, and where its tasks are: its first task's "{", the separator between
        them, the end (the "}") of each task and the task dicts in their order."""
        self._start = 0
        self._separator = b""
        self._ends: list[int] = []
        self._order: list[Any] = []
        self._written: tuple[Any, ...] = ()
        """The tasks of the last write, in order, and their lines."""
        self._written_lines: list[bytes] = []
        self._guard = threading.Lock()
        self.parsed = 0
        """How many tasks the last read parsed (-1: the whole file; for tests and profiling)."""
        self.kept = 0
        """How many leading tasks the last read took by one compare of their bytes."""

    # --- reading ---------------------------------------------------------------------------

    def decode(self, raw: bytes, full: Callable[[bytes], Any]) -> Any:
        """``raw`` parsed; ``full`` (the whole-file parser) whenever the pieces are not certain."""
        with self._guard:  # one read at a time (the web view reads from several threads)
            try:
                document = self._incremental(raw)
            except (ValueError, RecursionError):
                document = None
            if document is None:
                self._forget_reads()
                self.parsed = -1
        if document is None:
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
        top = STRICT.decode((head + tail).decode("utf-8"))
        if type(top) is not dict or top.get("tasks") != [] or type(top["tasks"]) is not list:
            return None
        while start < end and raw[start] in _WS:
            start += 1
        while end > start and raw[end - 1] in _WS:
            end -= 1
        if end == start:
            self._forget_reads()
            return top
        tasks = self._tasks(raw, start, end)
        if tasks is None:
            return None
        top["tasks"] = tasks
        return top

    def _tasks(self, raw: bytes, start: int, end: int) -> list[Any] | None:
        """The task objects of ``raw[start:end]`` (the list's inside, without its outer whitespace)."""
        if raw[start] != 0x7B or raw[end - 1] != 0x7D:  # { ... }
            return None
        separator = _separator(raw, start, end)
        if separator is None:
            return None
        width = len(separator)
        kept = self._same_start(raw, start, separator)
        pieces: list[bytes] = []
        if kept:  # the first tasks are the same bytes in the same places: only what follows is split
            after = self._ends[kept - 1] + 1  # just past the last kept task's "}"
            first = after - 1 + width  # where the next task's inside would start
            if after != end:
                if width and raw.startswith(separator[1:], after):
                    pieces = raw[first:end - 1].split(separator)
                else:
                    kept = 0
        if not kept:
            first = start + 1
            inner = raw[first:end - 1]
            pieces = inner.split(separator) if separator else [inner]
        self.kept = kept
        tasks = self._look_up(pieces, self._order[:kept], separator)
        # where each task's inside ends (its "}"), for the next read's comparison
        ends = list(accumulate(map(operator.add, map(len, pieces), repeat(width)), initial=first - width))[1:]
        if kept:
            self._ends = self._ends[:kept] + ends
        else:
            self._ends = ends
            self._pieces = dict(zip(pieces, tasks, strict=True))
            self._stale.clear()  # none of them is held anywhere any more
        self._raw, self._start, self._separator, self._order = raw, start, separator, list(tasks)
        return tasks

    def _same_start(self, raw: bytes, start: int, separator: bytes) -> int:
        """How many of the last read's first tasks ``raw`` holds with the very same bytes before and
        in them (so the same separator, in the same places): 0 when it cannot tell."""
        count = len(self._ends)
        changed = self._evict()
        if (not count or start != self._start or separator != self._separator or len(self._stale) > _STALE_MAX
                or len(self._pieces) > 2 * count + 64):
            return 0
        old = memoryview(self._raw)
        ends = self._ends

        def same(n: int) -> bool:
            return raw.startswith(old[:ends[n - 1] + 1])

        count = min(count, changed)  # a task changed in place since: parsed again, never handed out
        good, bad = 0, count + 1  # same(good) holds (or good is 0), same(bad) does not
        step = 1
        while count - step + 1 > good:  # from the end, where tasks are appended and changed
            probe = count - step + 1
            if same(probe):
                good = probe
                break
            bad = probe
            step *= 2
        while bad - good > 1:
            middle = (good + bad) // 2
            if same(middle):
                good = middle
            else:
                bad = middle
        return good

    def _evict(self) -> int:
        """Take each changed dict of the last read out of the pieces it can be found by; where the
        first of them was (the number of tasks, if none)."""
        first = len(self._order)
        for key, task in list(self._stale.items()):
            index = _place(self._order, task)
            if index is None:
                continue  # not in the last read: it stays stale until the pieces are rebuilt
            begin = self._ends[index - 1] + len(self._separator) if index else self._start + 1
            piece = self._raw[begin:self._ends[index]]
            if self._pieces.get(piece) is task:
                del self._pieces[piece]
            del self._stale[key]
            first = min(first, index)
        return first

    def _look_up(self, pieces: list[bytes], before: list[Any], separator: bytes) -> list[Any]:
        """``before`` and then each piece's dict: the one its bytes parsed to last time, unless that
        dict changed since or is handed out already; else parsed now. A piece that does not parse
        alone ends inside its task (a list of objects in it, or a string, holds the separator's
        bytes): it is joined to the next one. ``pieces`` is left holding whole tasks only.

        Each piece starts where a task starts (the one before it was a whole object), so one that
        parses alone is that task: that is why a piece is never looked at out of order."""
        known = self._pieces
        found: list[Any] = list(map(known.get, pieces))
        stale = self._stale.keys()
        handed = set(map(id, before)) if len(found) - found.count(None) > 8 and before else None
        tasks: list[Any] = []
        whole: list[bytes] = []
        seen: set[int] = set()
        parsed = 0
        index = 0
        while index < len(pieces):
            piece, task = pieces[index], found[index]
            if task is not None and (id(task) in stale or id(task) in seen or (
                    id(task) in handed if handed is not None else any(map(operator.is_, before, repeat(task))))):
                task = None
            while task is None:
                try:
                    task = STRICT.decode("{" + piece.decode("utf-8") + "}")
                except ValueError:
                    index += 1
                    if index == len(pieces) or not separator:
                        raise
                    piece = piece + separator + pieces[index]
                    continue
                parsed += 1
                if known.get(piece) is None or id(known[piece]) in stale:
                    known[piece] = task
            seen.add(id(task))
            tasks.append(task)
            whole.append(piece)
            index += 1
        pieces[:] = whole
        self.parsed = parsed
        return before + tasks

    # --- writing ---------------------------------------------------------------------------

    def lines(self, tasks: list[Any], encode: Encode) -> list[bytes]:
        """Each task's line: the one last written for the same dict, unless it was forgotten."""
        with self._guard:
            return self._encoded(tasks, encode)

    def _encoded(self, tasks: list[Any], encode: Encode) -> list[bytes]:
        old = self._written
        # the same dicts in the same places as in the last write, at the start and at the end: their
        # lines as written; the rest (what was added, changed or moved) is encoded
        head = same_objects(old, tasks)
        tail = same_objects(old[head:][::-1], tasks[head:][::-1])
        for task in self._rewrite.values() if head or tail else ():  # changed since: encoded again
            if (at := _place(tasks, task, 0, head)) is not None:
                head = at
            if (at := _place(tasks, task, len(tasks) - tail, len(tasks))) is not None:
                tail = len(tasks) - at - 1
        out = self._written_lines[:head] + encode(tasks[head:len(tasks) - tail])
        if tail:
            out += self._written_lines[len(old) - tail:]
        self._written, self._written_lines = tuple(tasks), out
        self._rewrite.clear()  # their lines are now the ones written
        return out

    def forget(self, tasks: Collection[Any] | None) -> None:
        """These dicts are about to change (None: any of them may): neither their parse nor their
        line may be used again."""
        with self._guard:
            self._forget(tasks)

    def _forget(self, tasks: Collection[Any] | None) -> None:
        if tasks is None:
            self._forget_reads()
            self._written, self._written_lines = (), []
            self._rewrite.clear()
            return
        for task in tasks:
            self._stale[id(task)] = task  # kept alive, so its id is not reused while it is stale
            self._rewrite[id(task)] = task

    def _forget_reads(self) -> None:
        self._pieces, self._raw, self._ends, self._order = {}, b"", [], []
        self._stale.clear()
