"""Reading ``dashboard-events.jsonl`` the way people need it: tolerant, filtered, followed.

Other writers break lines (a pretty-printed object over several lines, a torn last line,
``data`` as a JSON string): every whole object is read, anything else is skipped.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from orchestrator.console import PLAIN, Palette
from orchestrator.timestamps import parse_timestamp
from orchestrator.watcher import APPENDS, ChangeFlag

_DECODER = json.JSONDecoder()
MAX_READ = 8 << 20
"""At most this much of what was appended is read at once; the rest on the next read."""
ID_FIELDS = ("task_id", "orchestration_id", "subtask_id", "worker_id", "master", "assigned_to", "stage", "attempt")


def parse(text: str) -> tuple[list[dict[str, Any]], int]:
    """Every JSON object in ``text``, and how far it was read (a torn tail is left for later)."""
    found, used = parse_at(text)
    return [event for _, event in found], used


def parse_at(text: str) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """As :func:`parse`, with where in ``text`` each object starts (a page of the file needs it)."""
    found: list[tuple[int, dict[str, Any]]] = []
    position, end = 0, len(text)
    escaped = _ESCAPED.search(text) is not None
    while position < end:
        while position < end and text[position].isspace():
            position += 1
        if position >= end:
            break
        try:
            value, after = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError:
            newline = text.find("\n", position)
            if newline == -1:
                return found, position  # the last line is not whole (yet)
            position = newline + 1
            continue
        if isinstance(value, dict):
            found.append((position, _flatten(_replaced(value) if escaped else value)))
        position = after
    return found, position


def decode(raw: bytes) -> str:
    """Bytes of the events file as text, a byte that is not UTF-8 (a torn character, a stray byte)
    as one character of its own: :func:`offset` then gives the exact byte a character starts at
    (with ``errors="replace"``, each such byte would count as three, and a reader skip or re-read)."""
    return raw.decode("utf-8", errors="surrogateescape")


def offset(text: str, index: int) -> int:
    """Where ``text[index]`` starts in the bytes :func:`decode` made ``text`` of."""
    return len(text[:index].encode("utf-8", errors="surrogateescape"))


_ESCAPED = re.compile("[\udc80-\udcff]+")


def _replaced(value: Any) -> Any:
    """``value`` with each run of bytes that were not UTF-8 shown as one U+FFFD (printable, unlike them)."""
    if isinstance(value, str):
        return _ESCAPED.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replaced(k): _replaced(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v) for v in value]
    return value


def _flatten(event: dict[str, Any]) -> dict[str, Any]:
    """Other writers put details under ``data`` (sometimes as a JSON string): lift them up for filtering."""
    data = event.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return event
    if isinstance(data, dict):
        return {**{k: v for k, v in data.items() if k not in event}, **event, "data": data}
    return event


def matches(event: dict[str, Any], types: list[str], orchestration: str | None, task: str | None) -> bool:
    if types and event.get("type") not in types:
        return False
    if orchestration and event.get("orchestration_id") != orchestration:
        return False
    return not task or event.get("task_id") == task or event.get("orchestration_id") == f"orch-{task}"


KNOWN_TYPES: dict[str, tuple[str, ...]] = {
    "daemon": ("orchestrator_started", "orchestrator_stopped"),
    "intake": ("task_assigned", "handoff_created", "orchestration_started", "subtask_created", "task_blocked",
               "planner_fallback", "planner_answer_rejected"),
    "progress": ("stage_started", "subtask_started", "subtask_completed", "stage_completed", "orchestration_completed"),
    "failures": ("worker_dead", "zombie_detected", "worker_never_started", "worker_runtime_exceeded",
                 "worker_heartbeat_stale", "worker_terminated", "subtask_failed", "subtask_retry_scheduled",
                 "orchestration_blocked", "stale_report_ignored", "handoff_withdrawn", "worker_not_signalled"),
    "a person": ("orchestration_resumed", "orchestration_aborted", "request_refused", "task_cancelled",
                 "routing_corrected", "handoff_not_moved"),
    "bad input": ("task_invalid", "queue_missing", "queue_unreadable", "queue_recovered", "queue_update_failed",
                  "handoff_failed", "orchestration_failed", "plan_invalid", "subtask_invalid", "subtask_recovered",
                  "subtask_check_failed", "write_failed", "write_recovered", "plan_write_failed", "state_write_failed",
                  "worker_spec_invalid", "request_invalid",
                  "claim_restored", "task_vanished", "config_reloaded", "config_reload_failed", "daemon_lock_retaken",
                  "daemon_lock_lost", "daemon_lock_unusable", "internal_error", "routing_overrides_invalid",
                  "routing_corrections_unwritable"),
    "other writers": ("worker_started", "worker_completed", "worker_failed", "handoff_processed"),
}
"""Every event type the orchestrator writes, and those other processes of the system are known to write."""
TYPE_WIDTH = max(len(t) for types in KNOWN_TYPES.values() for t in types)
SUBJECTS = ("subtask_id", "orchestration_id", "task_id", "worker_id")
"""The id a line is about, in the order of preference: shown in its own column."""


def unknown_types(wanted: list[str], found: list[dict[str, Any]]) -> list[str]:
    """Types asked for that are neither known nor in the file (a typo, most likely)."""
    known = {t for types in KNOWN_TYPES.values() for t in types} | {str(e.get("type")) for e in found}
    return [t for t in wanted if t not in known]


def known_types_text() -> str:
    return "\n".join(f"  {group}: {', '.join(types)}" for group, types in KNOWN_TYPES.items())


def parse_since(text: str, now: datetime) -> datetime | None:
    """``--since``: a timestamp (``2026-11-26T08:00``, any offset; none means UTC) or an age
    (``90s``, ``15m``, ``2h``, ``1d``). ``None``: not understood."""
    match = _AGE.fullmatch(text.strip())
    if match:
        return now - timedelta(seconds=float(match[1]) * _UNITS[match[2]])
    return parse_timestamp(text)


_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def since(event: dict[str, Any], moment: datetime | None) -> bool:
    if moment is None:
        return True
    when = parse_timestamp(event.get("timestamp"))
    return when is not None and when >= moment


def subject(event: dict[str, Any]) -> str:
    return next((str(event[k]) for k in SUBJECTS if event.get(k) is not None), "-")


def render(event: dict[str, Any], palette: Palette = PLAIN, width: int = 0, *, full: bool = False) -> str:
    """One line: date and time (UTC), type, the id it is about, then the details.

    The first three columns have fixed widths (``width`` for the id), so they line up whatever
    the type; ``full`` keeps long values whole.
    """
    about = subject(event)
    shown = next((k for k in SUBJECTS if event.get(k) is not None), None)
    redundant = {shown}
    if shown == "subtask_id" and about.startswith(f"{event.get('orchestration_id')}-"):
        redundant.add("orchestration_id")  # a subtask id starts with its orchestration's
    if event.get("orchestration_id") == f"orch-{event.get('task_id')}" and shown in ("subtask_id", "orchestration_id"):
        redundant.add("task_id")
    skip = {"timestamp", "type", "source", "data", "id", "event_id", *redundant}  # event_id: for machines
    ids = [f"{k}={event[k]}" for k in ID_FIELDS if k not in skip and event.get(k) is not None]
    rest = [f"{k}={_short(v, full)}" for k, v in event.items() if k not in skip and k not in ID_FIELDS]
    source = [] if event.get("source") in (None, "orchestrator") else [f"[{event['source']}]"]
    type_ = str(event.get("type"))
    style = "red" if type_ in _BAD else "yellow" if type_ in _WARN else "green" if type_ in _GOOD else None
    columns = [palette.paint(_when(event.get("timestamp")), "dim"), palette.paint(f"{type_:<{TYPE_WIDTH}}", style),
               f"{about:<{width}}", *ids, *rest, *source]
    return "  ".join(columns).rstrip()


def _numbered(lines: bytes, series: Mapping[str, Any] | None,
              *needles: bytes) -> Iterator[tuple[str, int, dict[str, Any] | None]]:
    """Each numbered event id (``PREFIX:N``) of the lines holding one of ``needles``, with its event (most lines are not
    parsed), then each of the events mark's ``series`` (``PREFIX`` -> N, with no event: a spell whose line a rotation
    took away is known by its number alone). The one reading of numbered spells :func:`open_lock_waits` and
    :func:`open_spell` share."""
    for line in lines.splitlines():
        if not any(needle in line for needle in needles):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        prefix, _, n = str(event.get("event_id", "") if isinstance(event, dict) else "").rpartition(":")
        if n.isdigit():
            yield prefix, int(n), event
    for prefix, n in (series or {}).items():
        if type(n) is int and n > 0:
            yield str(prefix), n, None


def open_lock_waits(lines: bytes, series: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The subtask files whose lock wait (``write_failed``, id ``ORCH:lock_wait:SUBTASK:N``) the events say and no
    ``write_recovered`` (``ORCH:lock_free:SUBTASK:N``) ends: subtask id -> its ``write_failed``. ``series``: the
    events mark's last numbers (``ORCH:lock_wait:SUBTASK`` -> N): a wait whose ``write_failed`` a rotation took away
    is still open when its ``write_recovered`` is not said (then only its ids are known). Pure; what ``status`` says
    waits (the daemon's own mark lives in its memory)."""
    said: dict[str, tuple[int, dict[str, Any]]] = {}
    freed: set[tuple[str, int]] = set()
    for prefix, n, event in _numbered(lines, series, b":lock_wait:", b":lock_free:"):
        parts = prefix.split(":")
        if len(parts) != 3:
            continue
        orchestration_id, kind, subtask_id = parts
        known = said.get(subtask_id, (0, {}))[0]
        if kind == "lock_wait" and (n > known or (event is not None and n == known)):  # a line beats its number
            said[subtask_id] = (n, event if event is not None else {
                "event_id": f"{prefix}:{n}", "orchestration_id": orchestration_id, "subtask_id": subtask_id})
        elif kind == "lock_free":
            freed.add((subtask_id, n))
    return {s: event for s, (n, event) in said.items() if (s, n) not in freed}


def open_spell(lines: bytes, fault: str, cleared: str, series: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The last spell of a fault the events say (event id ``FAULT:N``, ``queue_update_failed``'s
    ``task-queue.json:update_failed:N``) that no ``CLEARED:N`` ends, or None. ``series``: the events mark's last
    numbers, as for :func:`open_lock_waits` (a spell whose line a rotation took away is known by its number). Pure."""
    last, said, ended = 0, None, set()
    found: dict[str, Any] | None
    for prefix, n, found in _numbered(lines, series, fault.encode(), cleared.encode()):
        if prefix == fault and (n > last or (found is not None and n == last)):  # a line beats its number
            last, said = n, found if found is not None else {"event_id": f"{prefix}:{n}"}
        elif prefix == cleared:
            ended.add(n)
    return said if last and last not in ended else None


_BAD = {*KNOWN_TYPES["bad input"], "worker_dead", "zombie_detected", "worker_never_started", "worker_runtime_exceeded",
        "subtask_failed", "orchestration_blocked"} - {"queue_recovered", "config_reloaded", "daemon_lock_retaken",
                                                      "claim_restored", "write_recovered", "subtask_recovered"}
_WARN = {"worker_heartbeat_stale", "subtask_retry_scheduled", "worker_terminated", "handoff_withdrawn",
         "stale_report_ignored", "worker_not_signalled", "orchestration_aborted", "task_cancelled", "planner_fallback",
         "claim_restored", "daemon_lock_retaken"}
_GOOD = {"subtask_completed", "stage_completed", "orchestration_completed", "queue_recovered", "write_recovered",
         "subtask_recovered"}


def _when(value: object) -> str:
    """``2026-11-26 08:13:33.642Z``: always the date, always UTC, always the same width."""
    moment = parse_timestamp(value)
    if moment is None:
        return f"{value!s:<24}"[:24] if value is not None else " " * 24
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _short(value: Any, full: bool = False) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if full or len(text) <= 120 else text[:117] + "..."


def open_regular(path: Path) -> BinaryIO | None:
    """The file for reading, or None: missing, unreadable, or not a regular file (a FIFO put in its
    place would make a plain open wait for a writer, and the page or stream with it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


MARK = 64
"""How many of the last bytes read :class:`Tail` checks are still there before it reads on."""


class Tail:
    """New events of a file as it grows; starts over when the file is replaced or truncated."""

    def __init__(self, path: Path, position: int) -> None:
        self.path = path
        self.position = position
        self.identity = self._identity()
        self.mark = b""
        """The last bytes read (up to :data:`MARK`), which end at ``position``: a file truncated and
        written past it again between two reads (same inode, no smaller) no longer holds them."""
        self.skipping = False
        """In a line longer than a whole read (:data:`MAX_READ`): the rest of it is skipped."""

    def _identity(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def read(self) -> tuple[list[dict[str, Any]], bool]:
        """The events appended since the last read, and whether the file was rotated meanwhile."""
        handle = open_regular(self.path)
        if handle is None:
            return [], False
        with handle:
            st = os.fstat(handle.fileno())
            identity = st.st_dev, st.st_ino
            rotated = (self.identity is not None and identity != self.identity) or st.st_size < self.position
            if not rotated and self.mark:
                handle.seek(self.position - len(self.mark))
                rotated = handle.read(len(self.mark)) != self.mark
            if rotated:
                self.position, self.mark, self.skipping = 0, b"", False
            self.identity = identity
            if st.st_size == self.position:
                return [], rotated
            handle.seek(self.position)
            raw = handle.read(min(st.st_size - self.position, MAX_READ))
        skipped = 0
        if self.skipping:
            newline = raw.find(b"\n")
            skipped = len(raw) if newline < 0 else newline + 1
            self.skipping = newline < 0
        text = decode(raw[skipped:])
        found, used = parse(text)
        consumed = skipped + offset(text, used)
        if not consumed and len(raw) == MAX_READ:
            # a line longer than a whole read holds no whole event: skipped, or it would hold back every later one
            consumed, self.skipping = len(raw), True
        self.position += consumed
        if consumed:
            self.mark = raw[max(0, consumed - MARK):consumed]
        return found, rotated


def follow(path: Path, start: int) -> Iterator[dict[str, Any]]:
    """Events appended after byte ``start``, as they come (woken by file events, not polling); a
    file rotated or truncated is followed from its start. The file is identified now, not at the
    first ``next()``: a rotation in between is seen as one."""
    return _followed(Tail(path, start))


def _followed(tail: Tail) -> Iterator[dict[str, Any]]:
    with ChangeFlag([tail.path.parent], names={tail.path.name}, events=APPENDS) as changed:
        while True:
            found, _ = tail.read()  # first what came before the watch began
            yield from found
            changed.wait(5)  # the timeout is a safety net, not the mechanism
