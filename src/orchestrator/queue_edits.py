"""``orchestrator cancel``, ``retry`` and ``move`` of a simple task: edits of one queue entry.

The decisions (:func:`cancel`, :func:`retry`) are pure and edit the raw entry in place, so
every field other writers put there survives; :func:`edit_task` applies one under the
queue's lock, the way every other writer of the queue does. The daemon then acts on what
the queue says (see ``Engine.intake``): a cancelled task's pending handoff is withdrawn; a
retried task is pending again and is routed as a new attempt, with its own handoff file
(``{task_id}-attempt-{n}.json``), earlier attempts' pending handoffs withdrawn; a moved task's
handoff follows it to the chosen master, and the move is remembered as a correction of the routing.

An orchestration is not edited here: ``orchestrator resume ORCH --abort`` or ``--retry``
carries its plan along.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from orchestrator import progress
from orchestrator.intake import ASSIGNED_BY
from orchestrator.models import MASTERS, Plan, is_safe_id, normalize_master
from orchestrator.store import Snapshot, Store

CANCELLABLE = frozenset({"pending", "assigned", "blocked", "failed"})
RETRYABLE = frozenset({"blocked", "failed", "cancelled"})
ROUTING_FIELDS = ("assigned_to", "assigned_at", "assigned_by", "handoff_file", "routing_confidence", "routing_reasons",
                  "routing_strategy", "orchestration_id", "orchestration_started_at", "blocked_reason", "blocked_at",
                  "error", "cancelled_at", "cancelled_by", "cancelled_reason", "cancelled_from")
"""What an attempt left on the entry; a retry moves them into ``previous_attempts``, never drops them."""


class EditRefused(Exception):
    """The edit does not apply to this task; nothing was written."""


def attempt(entry: Mapping[str, Any]) -> int:
    """The task's attempt: 1, or 1 + its ``retry_count`` (a number other writers also use)."""
    count = entry.get("retry_count")
    return 1 + count if isinstance(count, int) and not isinstance(count, bool) and 0 < count < 1000 else 1


def _orchestration(entry: dict[str, Any], has_plan: bool) -> str | None:
    if has_plan or entry.get("status") == "orchestrating":
        return f"it is an orchestration: orchestrator resume orch-{entry.get('id')} --abort (or --retry SUBTASK)"
    return None


def cancel(entry: dict[str, Any], *, by: str, now: str, reason: str | None, has_plan: bool) -> None:
    status = str(entry.get("status"))
    refusal = _orchestration(entry, has_plan)
    if refusal:
        raise EditRefused(refusal)
    if status not in CANCELLABLE:
        more = "; a master's worker has it: stop it through its master" if status in ("in_progress", "worker_spawned") else ""
        raise EditRefused(f"its status is {status}: only {', '.join(sorted(CANCELLABLE))} tasks can be cancelled{more}")
    entry["cancelled_from"] = status
    entry["status"] = "cancelled"
    entry["cancelled_at"] = now
    entry["cancelled_by"] = by
    if reason:
        entry["cancelled_reason"] = reason


def retry(entry: dict[str, Any], *, by: str, now: str, has_plan: bool) -> None:
    status = str(entry.get("status"))
    refusal = _orchestration(entry, has_plan)
    if refusal:
        raise EditRefused(refusal)
    if status not in RETRYABLE:
        raise EditRefused(f"its status is {status}: only {', '.join(sorted(RETRYABLE))} tasks can be retried")
    _next_attempt(entry, status, now)
    entry["retried_at"] = now
    entry["retried_by"] = by


def _next_attempt(entry: dict[str, Any], status: str, now: str) -> None:
    """Pending again as the next attempt; what the last one left moves into ``previous_attempts``."""
    earlier = {"attempt": attempt(entry), "status": status, "ended_at": now}
    earlier |= {k: entry.pop(k) for k in ROUTING_FIELDS if k in entry}
    history = entry.get("previous_attempts")
    entry["previous_attempts"] = [*(history if isinstance(history, list) else []), earlier]
    entry["status"] = "pending"
    entry["retry_count"] = earlier["attempt"]


def route_to(entry: dict[str, Any], master: str, *, by: str, now: str) -> None:
    """An orchestration a person gave to one master instead (``orchestrator move``), once the daemon has aborted its
    plan: pending again as the next attempt, ``route_to`` the master, whom the daemon then hands it to without
    deciding again. Done once: an entry that is no longer the orchestration's is left as it is."""
    if entry.get("status") not in ("orchestrating", "blocked"):
        return  # done before a restart, or changed by someone since
    _next_attempt(entry, str(entry.get("status")), now)
    entry["route_to"] = master
    entry["moved_at"] = now
    entry["moved_by"] = by


PLAN = "plan"
"""What ``orchestrator move TASK plan`` names instead of a master: the task needs a plan."""
MOVED_TO_PLAN = "moved_to_plan"
"""The status an attempt ends with in ``previous_attempts`` when a person said its task needs a plan."""


def wants_a_plan(entry: Mapping[str, Any]) -> bool:
    """A person said this task, routed to one master, needs a plan: ``orchestration_required: true`` on it (what
    ``orchestrator move TASK plan`` writes, and a person may by hand). Not on a task a person gave to one master
    (``route_to``): that word is the later one."""
    return entry.get("orchestration_required") is True and normalize_master(entry.get("route_to")) not in MASTERS


def move(entry: dict[str, Any], master: str, *, by: str, now: str, has_plan: bool) -> None:
    """Give an ``assigned`` task to ``master``: what a person does by changing ``assigned_to``, which the
    daemon follows (its handoff moves) and learns from (a correction of its routing). ``master`` :data:`PLAN`:
    the task needs a plan (:func:`move_to_plan`)."""
    status = str(entry.get("status"))
    refusal = _orchestration(entry, has_plan)
    if refusal:
        raise EditRefused(refusal)
    if master.strip().lower() == PLAN:
        move_to_plan(entry, by=by, now=now)
        return
    chosen = normalize_master(master)
    if chosen not in MASTERS:
        raise EditRefused(f"{master!r} is not a master: {', '.join(MASTERS)}")
    if status != "assigned":
        raise EditRefused(f"its status is {status}: only an assigned task can be moved"
                          f"{' (a pending one is routed first)' if status == 'pending' else ''}")
    if normalize_master(entry.get("assigned_to")) == chosen:
        raise EditRefused(f"it is already {chosen}'s")
    entry["assigned_to"] = chosen
    entry["moved_at"] = now
    entry["moved_by"] = by
    if "route_to" in entry:  # a task given away earlier: a retry goes to the master a person chose last
        entry["route_to"] = chosen


def move_to_plan(entry: dict[str, Any], *, by: str, now: str) -> None:
    """A task the daemon routed to one master that a person says needs a plan: ``orchestration_required``. The
    daemon withdraws its handoff if its master has not taken it, plans it as its next attempt (:func:`to_plan`)
    and learns that near-identical tasks need a plan too."""
    status = entry.get("status")
    if status != "assigned":
        raise EditRefused(f"its status is {status}: only an assigned task can be moved to a plan"
                          f"{' (a pending one is routed first)' if status == 'pending' else ''}")
    if entry.get("assigned_by") != ASSIGNED_BY or not isinstance(entry.get("handoff_file"), str):
        raise EditRefused(f"it was assigned by {entry.get('assigned_by') or 'another writer'}, not routed by the "
                          "orchestrator: cancel it and submit it again with --orchestrate")
    if was_planned(entry):
        raise EditRefused(PLANNED_BEFORE)
    if wants_a_plan(entry):
        raise EditRefused("it is moved to a plan already" + (
            f" (too late: {entry.get('assigned_to')} had taken its handoff)" if entry.get("move_not_followed") == PLAN
            else ""))
    entry.pop("route_to", None)  # (a task given to one master earlier: the person's word now is a plan)
    entry["orchestration_required"] = True
    entry["moved_at"] = now
    entry["moved_by"] = by


PLANNED_BEFORE = ("it was planned before, and its plan given to one master (a task has one plan): cancel it and submit "
                  "it again with --orchestrate")


def was_planned(entry: Mapping[str, Any]) -> bool:
    """An earlier attempt of the task was one of this daemon's plans (``previous_attempts``' orchestration_id)."""
    earlier = entry.get("previous_attempts")
    return isinstance(earlier, list) and any(isinstance(a, dict) and isinstance(a.get("orchestration_id"), str)
                                             for a in earlier)


def planned_instead_of(entry: Mapping[str, Any]) -> str | None:
    """The master this daemon had routed the task to, when a person then moved it to a plan (its attempt ended
    :data:`MOVED_TO_PLAN`) and it still wants one; None for any other task."""
    earlier = entry.get("previous_attempts")
    last = earlier[-1] if isinstance(earlier, list) and earlier else None
    if not (wants_a_plan(entry) and isinstance(last, dict) and last.get("status") == MOVED_TO_PLAN
            and last.get("assigned_by") == ASSIGNED_BY):
        return None
    routed = normalize_master(entry.get("routed_to"))
    routed = routed if routed in MASTERS else normalize_master(last.get("assigned_to"))
    return routed if routed in MASTERS else None


def to_plan(entry: dict[str, Any], handoff_file: str, now: str) -> bool:
    """The daemon's edit once the handoff ``handoff_file`` of a task a person moved to a plan is withdrawn: the task is
    ``pending`` again as its next attempt (what the routed attempt left in ``previous_attempts``, ending
    :data:`MOVED_TO_PLAN`), which intake plans (``orchestration_required``). False, and nothing changed, for an entry
    no longer that attempt (done before a crash, or changed since)."""
    if not (wants_a_plan(entry) and entry.get("handoff_file") == handoff_file
            and entry.get("status") in ("assigned", "pending")):
        return False
    _next_attempt(entry, MOVED_TO_PLAN, now)
    entry.pop("move_not_followed", None)
    return True


def edit_task(store: Store, task_id: str, edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply ``edit`` to the task ``task_id`` under the queue's lock; the entry as written.

    Raises :class:`EditRefused` (nothing written) when there is no such task or ``edit`` refuses;
    :class:`~orchestrator.store.StoreError` when the queue cannot be read or written.
    """
    found: dict[str, Any] = {}

    def change(snapshot: Snapshot) -> bool:
        matches = [e for e in snapshot.tasks if isinstance(e, dict) and e.get("id") == task_id]
        if not matches:
            raise EditRefused(f"no task {task_id} in {store.layout.queue}")
        if len(matches) > 1:
            raise EditRefused(f"the id {task_id} appears {len(matches)} times in the queue; fix the duplicate first")
        edit(matches[0])
        found.clear()
        found.update(matches[0])
        return True

    if store.update_queue(change) is None:
        raise EditRefused(f"no queue at {store.layout.queue}")
    return found


def has_plan(store: Store, task_id: str) -> bool:
    """Whether ``task_id`` is (or was) orchestrated: its plan file exists, and was not given to one master instead
    (``orchestrator move``): that task is the master's one piece of work, cancelled, retried or moved as any (they
    were refused as an orchestration, and resume refused its aborted plan: nobody could stop or hand it on)."""
    if not (is_safe_id(f"orch-{task_id}") and store.exists(path := store.layout.plan(f"orch-{task_id}"))):
        return False
    try:
        return progress.moved_to(Plan.model_validate(store.read_json_or_none(path))) is None
    except ValidationError:
        return True  # a plan file that cannot be read is still a plan: refused as one
