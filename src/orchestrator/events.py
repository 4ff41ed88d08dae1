"""Reading ``dashboard-events.jsonl`` the way people need it: tolerant, filtered, followed.

Other writers break lines (a pretty-printed object over several lines, a torn last line,
``data`` as a JSON string): every whole object is read, anything else is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchestrator.watcher import APPENDS, ChangeFlag

_DECODER = json.JSONDecoder()
ID_FIELDS = ("task_id", "orchestration_id", "subtask_id", "worker_id", "master", "assigned_to", "stage", "attempt")


def parse(text: str) -> tuple[list[dict[str, Any]], int]:
    """Every JSON object in ``text``, and how far it was read (a torn tail is left for later)."""
    found, used = parse_at(text)
    return [event for _, event in found], used


def parse_at(text: str) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """As :func:`parse`, with where in ``text`` each object starts (a page of the file needs it)."""
    found: list[tuple[int, dict[str, Any]]] = []
    position, end = 0, len(text)
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
            found.append((position, _flatten(value)))
        position = after
    return found, position


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


def render(event: dict[str, Any]) -> str:
    stamp = str(event.get("timestamp", ""))
    when = stamp[11:23] if len(stamp) >= 19 else stamp
    ids = "  ".join(f"{k}={event[k]}" for k in ID_FIELDS if event.get(k) is not None)
    skip = {"timestamp", "type", "source", "data", "id", "event_id", *ID_FIELDS}  # event_id: for machines
    rest = "  ".join(f"{k}={_short(v)}" for k, v in event.items() if k not in skip)
    source = "" if event.get("source") in (None, "orchestrator") else f" [{event['source']}]"
    return f"{when}  {event.get('type')!s:<24} {ids}  {rest}{source}".rstrip()


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def follow(path: Path, start: int) -> Iterator[dict[str, Any]]:
    """Events appended after byte ``start``, as they come (woken by file events, not polling)."""
    position = start
    with ChangeFlag([path.parent], names={path.name}, events=APPENDS) as changed:
        while True:
            changed.wait(5)  # the timeout is a safety net, not the mechanism
            try:
                with open(path, "rb") as handle:
                    handle.seek(0, 2)
                    if handle.tell() < position:
                        position = 0  # truncated or rotated: start over
                    handle.seek(position)
                    chunk = handle.read().decode("utf-8", errors="replace")
            except FileNotFoundError:
                continue
            events, used = parse(chunk)
            position += len(chunk[:used].encode("utf-8"))
            yield from events

