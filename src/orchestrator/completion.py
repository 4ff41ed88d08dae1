"""Shell completion for bash, zsh and fish, through argcomplete.

argcomplete completes from the parser itself (so a new option completes with no extra
work) and is the one well-kept library that covers all three shells; ids are completed
from the folder: orchestrations for ``show`` and ``resume``, tasks for ``explain``,
``cancel`` and ``retry``, subtasks for ``subtask``; event types, orchestrations and tasks
for ``events``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import argcomplete
from argcomplete.shell_integration import shellcode

from orchestrator.events import KNOWN_TYPES, open_regular

SHELLS = ("bash", "zsh", "fish")


def script(shell: str, prog: str = "orchestrator") -> str:
    """The script that makes ``shell`` complete ``prog``."""
    return str(shellcode([prog], shell=shell))


def _folder(parsed: argparse.Namespace) -> Path:
    return Path(getattr(parsed, "coordination_dir", "coordination"))


def _stems(sub: str) -> Callable[..., list[str]]:
    def complete(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
        folder = _folder(parsed_args) / sub
        return sorted(p.stem for p in folder.glob(f"{prefix}*.json")) if folder.is_dir() else []
    return complete


def _task_ids(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    handle = open_regular(_folder(parsed_args) / "task-queue.json")  # a FIFO there would hang the shell's Tab
    if handle is None:
        return []
    try:
        with handle:
            document = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return []
    tasks = document.get("tasks") if isinstance(document, dict) else document
    return [t["id"] for t in tasks or [] if isinstance(t, dict) and isinstance(t.get("id"), str)
            and t["id"].startswith(prefix)]


def _event_types(prefix: str, **_: Any) -> list[str]:
    return sorted(t for types in KNOWN_TYPES.values() for t in types if t.startswith(prefix))


COMPLETERS: dict[tuple[str, str], Callable[..., list[str]]] = {
    ("show", "orchestration_id"): _stems("orchestrator/tasks"),
    ("resume", "orchestration_id"): _stems("orchestrator/tasks"),
    ("subtask", "subtask_id"): _stems("orchestrator/subtasks"),
    ("explain", "task_id"): _task_ids,
    ("cancel", "task_id"): _task_ids,
    ("retry", "task_id"): _task_ids,
    ("events", "type"): _event_types,
    ("events", "orchestration"): _stems("orchestrator/tasks"),
    ("events", "task"): _task_ids,
}


def install(parser: argparse.ArgumentParser) -> None:
    """Attach the id completers, then answer a completion request (argcomplete exits) or return."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                for argument in sub._actions:
                    completer = COMPLETERS.get((name, argument.dest))
                    if completer:
                        argument.completer = completer
    argcomplete.autocomplete(parser)
