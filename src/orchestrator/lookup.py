"""Ids as people type them: a task id and its orchestration id (``orch-{task_id}``) name the same
work, so commands accept either wherever that is unambiguous."""

from __future__ import annotations

from typing import Any

from orchestrator import intake
from orchestrator.models import is_safe_id, normalize_master
from orchestrator.store import Store, StoreError


def _plan_exists(store: Store, orchestration_id: str) -> bool:
    return is_safe_id(orchestration_id) and store.exists(store.layout.plan(orchestration_id))


def _tasks(store: Store) -> list[Any]:
    """The queue's entries; none when it is missing or unreadable (the caller then says "no such task")."""
    try:
        snapshot = store.read_queue()
    except StoreError:
        return []
    return snapshot.tasks if snapshot is not None else []


def orchestration_id(store: Store, given: str) -> str | None:
    """The orchestration ``given`` names (itself, or its task's id), or None if there is none.

    ``given`` is taken as an orchestration id first: a task whose own id starts with ``orch-``
    would otherwise be ambiguous.
    """
    for candidate in (given, f"orch-{given}"):
        if _plan_exists(store, candidate):
            return candidate
    return None


def task_id(store: Store, given: str) -> str:
    """The task ``given`` names: itself if the queue has it, else the task of the orchestration it names."""
    if intake.find(_tasks(store), given) is not None:
        return given
    if given.startswith("orch-") and _plan_exists(store, given):
        return given.removeprefix("orch-")
    return given


def queued(store: Store, given: str) -> dict[str, Any] | None:
    """The queue's entry of the task ``given`` names, if any (``show`` of a simple task is no error)."""
    entry = intake.find(_tasks(store), given)
    return entry if isinstance(entry, dict) else None


def not_an_orchestration(store: Store, given: str) -> str:
    """Why ``given`` names no orchestration, as helpfully as the queue allows."""
    entry = intake.find(_tasks(store), given)
    if entry is None:
        return f"no orchestration {given} (nor a task of that id with one)"
    state = entry.get("status")
    owner = entry.get("assigned_to")
    held = f"with {normalize_master(owner) or owner}" if owner and state == "assigned" else \
        f"{state}{', assigned to ' + str(owner) if owner else ''}"  # "assigned, assigned to development" said it twice
    return (f"{given} is a simple task ({held}), not an orchestration: nothing to show by stage; see orchestrator "
            f"explain {given}")
