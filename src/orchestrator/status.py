"""What ``orchestrator status`` shows: the queue by state and each orchestration's progress."""

from __future__ import annotations

import contextlib
import functools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args

from orchestrator import daemon_control, eta, events, progress
from orchestrator.console import PLAIN, Palette, one_line
from orchestrator.evidence import guess
from orchestrator.intake import ASSIGNED_BY
from orchestrator.models import PLAN_ENDED, Plan, PlanStatus, describe, normalize_master
from orchestrator.outbox import UPDATE_FAILED
from orchestrator.registry import summary
from orchestrator.store import EVENT_TAIL_BYTES, Store, StoreError
from orchestrator.timestamps import utc_now
from orchestrator.watcher import ChangeFlag


@dataclass(frozen=True)
class Filters:
    """``status --state/--priority/--master``: each empty list lets everything through."""

    states: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    masters: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.states or self.priorities or self.masters)

    def task(self, entry: dict[str, Any]) -> bool:
        return ((not self.states or str(entry.get("status")) in self.states)
                and (not self.priorities or str(entry.get("priority") or "medium") in self.priorities)
                and (not self.masters or normalize_master(entry.get("assigned_to")) in self.masters))

    def orchestration(self, item: dict[str, Any]) -> bool:
        return ((not self.states or item.get("status") in self.states)
                and (not self.priorities or item.get("priority") in self.priorities)
                and (not self.masters or bool(set(item.get("masters", [])) & set(self.masters))))


TASK_STATES = ("pending", "assigned", "in_progress", "orchestrating", "blocked", "completed", "failed", "cancelled")


def unknown_states(picture: dict[str, Any], wanted: tuple[str, ...]) -> list[str]:
    """``--state`` values no task or plan of the folder can have: a typo would otherwise list nothing, silently.
    A status another writer uses is known once it is in the queue."""
    known = {*TASK_STATES, *get_args(PlanStatus), *picture["queue"]["by_status"]}
    return [state for state in wanted if state not in known]


def collect(store: Store, now: datetime | None = None, filters: Filters = Filters()) -> dict[str, Any]:
    """A JSON-ready picture of the folder, read without locks (nothing is changed)."""
    layout = store.layout
    moment = now or utc_now()
    queue: dict[str, Any] = {"path": str(layout.queue)}
    # what could not be read, as doctor counts its problems: `status` exits 1 on them (a missing queue is normal)
    unreadable: list[str] = []
    try:
        snapshot = store.read_queue()
        if snapshot is None:
            queue["problem"] = "does not exist yet (orchestrator submit creates it)"
    except StoreError as exc:
        snapshot = None
        queue["problem"] = str(exc)
        unreadable.append(str(exc))
    tasks = [t for t in (snapshot.tasks if snapshot else []) if isinstance(t, dict)]
    queue["tasks"] = len(tasks)
    queue["by_status"] = dict(Counter(str(t.get("status")) for t in tasks).most_common())
    queue["routed_by_orchestrator"] = sum(
        1 for t in tasks if t.get("assigned_by") == ASSIGNED_BY and t.get("status") == "assigned"
    )
    blocked = [
        {"task_id": t.get("id"), "reason": t.get("blocked_reason") or t.get("error")}
        for t in tasks if t.get("status") == "blocked"
    ]
    orchestrations = []
    locked: dict[str, dict[str, Any]] | None = None  # read once, and only when a plan runs
    told = functools.cache(lambda: _said(store))  # the events' tail and mark: read once, only when asked
    for path in store.list_json(layout.tasks):
        try:
            plan = Plan.model_validate(store.read_json(path))
        except (StoreError, ValueError) as exc:
            orchestrations.append({"path": str(path), "problem": describe(exc)})
            continue
        if locked is None and plan.status in LIVE:
            locked = lock_waits(store, told())
        item = summary(plan).model_dump() | {
            "title": plan.task_title, "priority": plan.priority, "masters": plan.resource_estimate.masters,
            "eta": eta.estimate(plan, moment).to_json()} | ({"given_to": given} if (given := progress.moved_to(plan)) else {})
        item["waits"] = waits(plan, locked or {}) if plan.status in LIVE else []
        item["health"] = waiting_health(item["health"], item["waits"])
        orchestrations.append(item)
        if plan.status == "blocked" and plan.blocking_subtask:  # what a person runs, as doctor and the web view say
            for entry in blocked:
                if entry["task_id"] == plan.parent_task_id:
                    entry["resume"] = (f"orchestrator resume {plan.orchestration_id} "
                                       f"--retry|--skip {plan.blocking_subtask} or --abort")
    pid = daemon_control.holder_passive(layout.daemon_lock)
    if pid is not None and (failing := _queue_not_written(told())) is not None:  # its lock held, a full disk: retried
        queue["not_written"] = failing.get("problem") or "its last write failed (see orchestrator events)"
    unreadable += [o["problem"] for o in orchestrations if "problem" in o]
    picture: dict[str, Any] = {"daemon": {"running": pid is not None, "pid": pid or None}, "queue": queue,
                               "blocked": blocked, "orchestrations": orchestrations, "problems": unreadable}
    picture["guesses"] = guesses(tasks)
    if filters:
        picture["filters"] = {"state": list(filters.states), "priority": list(filters.priorities),
                              "master": list(filters.masters)}
        # what the filters left out, so an empty answer does not read as an empty folder (5 plans ran while
        # "--state assigned --master inventory" said "orchestrations none")
        picture["orchestrations_left_out"] = sum(1 for o in orchestrations
                                                 if "problem" not in o and not filters.orchestration(o))
        picture["guesses"] = [g for g in picture["guesses"]
                              if any(t.get("id") == g["task_id"] and filters.task(t) for t in tasks)]
        picture["tasks"] = [{k: t.get(k) for k in ("id", "status", "priority", "assigned_to", "title")}
                            for t in tasks if filters.task(t)]
        picture["orchestrations"] = [o for o in orchestrations if "problem" in o or filters.orchestration(o)]
        picture["blocked"] = [b for b in blocked if any(t.get("id") == b["task_id"] and filters.task(t) for t in tasks)]
    return picture


LIVE = ("planning", "in_progress")
"""Plan statuses a running daemon supervises."""


def guesses(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The simple tasks this daemon routed on a guess (:func:`evidence.guess`: no routing word, or a tie) that still
    wait with that master, not moved by a person (pure; status and the web view's "what is stuck")."""
    found = []
    for t in tasks:
        if t.get("status") != "assigned" or t.get("assigned_by") != ASSIGNED_BY:
            continue
        master = normalize_master(t.get("assigned_to"))
        said = guess(t.get("routing_confidence"), t.get("routing_reasons"))
        if said is None or master is None or master != normalize_master(t.get("routed_to") or master):
            continue  # (moved: a person chose the master, the guess is corrected)
        found.append({"task_id": t.get("id"), "title": t.get("title"), "assigned_to": master,
                      "evidence": said.evidence, "why": said.why, "confidence": said.confidence})
    return found


GUESSES_SHOWN = 10
"""``status`` lists this many guesses (``--json``: all); a backlog of them is a count, not a screen."""


def _said(store: Store) -> tuple[bytes, dict[str, Any] | None]:
    """The events file's tail, and the daemon's events mark's series (each series' last number, kept across a
    rotation of the events file, attack24)."""
    try:
        tail = store.read_tail(store.layout.events, EVENT_TAIL_BYTES)
    except OSError:
        tail = b""
    try:
        series = store.read_json(store.layout.events_mark).get("series")
    except (StoreError, AttributeError):
        series = None
    return tail, series if isinstance(series, dict) else None


def _queue_not_written(said: tuple[bytes, dict[str, Any] | None]) -> dict[str, Any] | None:
    """The running daemon's open ``queue_update_failed`` spell (no ``write_recovered`` yet) in what :func:`_said`
    read: it has taken tasks it cannot mark in the queue (attack25: a lock held for ever showed only '1 pending', as if
    nothing were wrong)."""
    tail, series = said
    return events.open_spell(tail, UPDATE_FAILED.key, UPDATE_FAILED.cleared, series)


def lock_waits(store: Store, told: tuple[bytes, dict[str, Any] | None] | None = None) -> dict[str, dict[str, Any]]:
    """The subtask files whose lock wait the end of the events file leaves open (status and the web view); ``told``:
    what :func:`_said` read already."""
    tail, series = told or _said(store)
    found = events.open_lock_waits(tail, series)
    for subtask_id, said in found.items():
        if "path" not in said:  # its write_failed rotated away: the file is the subtask's
            with contextlib.suppress(StoreError):
                said["path"] = str(store.layout.subtask(subtask_id))
    return found


def waiting_health(health: str, found: list[dict[str, Any]]) -> str:
    """A plan that waits (a held lock: the plan cannot say it) is not "healthy" either: "waiting"."""
    return "waiting" if found and health == "healthy" else health


def waits(plan: Plan, locked: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What of a running plan waits, until when, and what to do (pure): a subtask waiting for its retry (the plan
    says it), a subtask file whose lock another process holds (``locked``: the open waits the events file says)."""
    found: list[dict[str, Any]] = []
    for s in plan.subtasks:
        if s.status == "retry_wait":
            found.append({"subtask_id": s.subtask_id, "for": "retry", "until": s.retry_at,
                          "why": f"attempt {s.attempt} failed: {s.retry_reason or s.error or 'no reason given'}",
                          "do": f"nothing: it is retried then; now: orchestrator resume {plan.orchestration_id} "
                                f"--retry {s.subtask_id}; without it: --skip {s.subtask_id}"})
        elif s.subtask_id in locked:
            said = locked[s.subtask_id]
            found.append({"subtask_id": s.subtask_id, "for": "lock", "until": None, "since": said.get("timestamp"),
                          "why": f"another process holds {said.get('path') or 'its file'}.lock",
                          "do": f"find the holder (fuser -v {said.get('path') or 'FILE'}.lock); written once it "
                                "lets go, said by write_recovered"})
    return found


def render(status: dict[str, Any], palette: Palette = PLAIN, now: datetime | None = None) -> str:
    queue = status["queue"]
    moment = now or utc_now()
    lines = []
    if "daemon" in status:  # a task submitted with no daemon running waits for ever: say so first
        pid = status["daemon"]["pid"]
        lines.append(f"daemon {palette.status('running')}{f' (PID {pid})' if pid else ''}" if status["daemon"]["running"]
                     else f"daemon {palette.status('not running')}: nothing is picked up or supervised "
                          "(orchestrator run)")
    lines.append(f"queue  {queue['path']}")
    if "problem" in queue:
        lines.append(f"  ! {queue['problem']}")
        if queue["problem"] in status.get("problems", ()):  # unreadable, not only missing: what to do, as doctor says
            lines.append("    -> fix the file by hand: the daemon never rewrites a file it cannot read")
    if "not_written" in queue:
        lines.append(f"  ! the daemon cannot write it, and retries: {queue['not_written']}")
    counts = ", ".join(f"{n} {palette.status(s)}" for s, n in queue["by_status"].items()) or "empty"
    lines.append(f"  {queue['tasks']} tasks: {counts}")
    lines.append(f"  routed by the orchestrator and not yet picked up: {queue['routed_by_orchestrator']}")
    if "tasks" in status:
        wanted = ", ".join(f"{k} {'|'.join(v)}" for k, v in status["filters"].items() if v)
        lines.append(f"tasks ({wanted}): {len(status['tasks'])}")
        width = max((len(one_line(t["id"])) for t in status["tasks"]), default=0)
        lines.extend(f"  {one_line(t['id']):<{width}}  {palette.status(one_line(t['status']), 13)} "
                     f"{one_line(t['priority'] or 'medium'):<8} {one_line(t['assigned_to'] or '-'):<12} "
                     f"{one_line(t['title'] or '')}".rstrip() for t in status["tasks"])
    # with no daemon nobody checks a plan's workers: its last health would claim what nobody saw
    unwatched = "daemon" in status and not status["daemon"]["running"]
    lines.append("orchestrations")
    if not status["orchestrations"]:
        others = status.get("orchestrations_left_out", 0)
        lines.append(f"  none match ({others} other{'' if others == 1 else 's'})" if others else "  none")
    for item in status["orchestrations"]:
        if "problem" in item:  # the problem names its file (describe)
            lines.append(f"  ! {item['problem'] if item['path'] in item['problem'] else item['path'] + ': ' + item['problem']}")
            lines.append("    -> restore the plan file or remove it (orchestrator doctor checks the folder)")
            continue
        bar = _bar(item["progress_percent"])
        when = eta.render(eta.Eta(**{**item["eta"], "why": ""}), moment) if item.get("eta") else ""
        lines.append(
            f"  {item['orchestration_id']}  {palette.status(item['status'], 11)} "
            f"stage {item['current_stage']}/{item['total_stages']}"
            f"  {bar} {item['progress_percent']:>3}%  "
            f"{_health(item, unwatched, palette)}"
            f"{'  ' + when if when else ''}  {one_line(item['title'])}"
        )
        for wait in item.get("waits", ()):
            until = (f" until {wait['until']}" if wait.get("until") else
                     f" since {wait['since']}" if wait.get("since") else "")
            lines.append(f"    {one_line(wait['subtask_id'])} waits for its {'retry' if wait['for'] == 'retry' else 'file lock'}"
                         f"{until} ({one_line(wait['why'])})")
            lines.append(f"      -> {one_line(wait['do'])}")
    if status["blocked"]:
        lines.append("blocked")
        for b in status["blocked"]:
            lines.append(f"  {one_line(b['task_id'])}: {one_line(b['reason'])}")
            lines.extend([f"    -> {b['resume']}"] if b.get("resume") else [])
    if status.get("guesses"):  # handed over silently, a guess read as the router's certainty
        found = status["guesses"]
        lines.append(f"routed on a guess: {len(found)} (check with orchestrator explain ID, "
                     "correct with orchestrator move ID MASTER)")
        width = max(len(one_line(g["task_id"])) for g in found[:GUESSES_SHOWN])
        lines.extend(f"  {one_line(g['task_id']):<{width}}  {one_line(g['assigned_to']):<12} "
                     f"{one_line(g['title'] or '')} ({one_line(_guess_words(g))})" for g in found[:GUESSES_SHOWN])
        if len(found) > GUESSES_SHOWN:
            lines.append(f"  ... and {len(found) - GUESSES_SHOWN} more (--json lists them all)")
    return "\n".join(lines)


def _guess_words(found: dict[str, Any]) -> str:
    """Why it is a guess, in a few words: the tie's scores as the router said them."""
    return "no routing word: the default master" if found["evidence"] == "none" else str(found["why"])


def _health(item: dict[str, Any], unwatched: bool, palette: Palette) -> str:
    """How a live plan's workers are, as the daemon last saw them; nothing of a plan that has ended (an aborted
    one said "healthy"), but who has a task a person took from its plan."""
    if item["status"] in PLAN_ENDED:
        return f"given to {item['given_to']}" if item.get("given_to") else ""
    return "unsupervised" if unwatched and item["status"] in LIVE else palette.status(item["health"])


def _bar(percent: int, width: int = 20) -> str:
    filled = round(width * percent / 100)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def watch(store: Store, filters: Filters = Filters(), every: float = 5.0) -> Iterator[dict[str, Any]]:
    """A fresh picture whenever the queue or a plan changes (and every ``every`` seconds at most)."""
    with ChangeFlag([store.layout.root, store.layout.tasks]) as changed:
        while True:
            yield collect(store, filters=filters)
            changed.wait(every)
