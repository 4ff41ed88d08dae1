"""An eleventh attack: a randomised, stateful model check of the whole core, in-process.

A seeded random walk drives :class:`sim.Sim` (a ``MemoryStore``, a ``FakeClock``, fake processes)
through everything the folder's other writers and the daemon's own life can do: tasks arrive
(simple and complex, duplicate ids, edits of pending ones), workers start, beat, complete, fail
transiently or for good, die or hang, masters take handoffs, a person cancels, retries, resumes
and moves, the clock moves (also back), passes and ticks run, an unlocked writer puts back an old
copy of the queue, and the process crashes at its k-th write and a fresh core starts on the same
files. After every step the invariants below are checked; at the end the work is driven to its end
and checked again. Each walk is deterministic by its seed; ``make faults`` runs more and longer ones
(``ATTACK11_WALKS``, ``ATTACK11_STEPS``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator import progress, queue_edits
from orchestrator.models import Plan
from orchestrator.store import Crash

from conftest import DaemonProcess, queue_doc, queue_task, wait_for, write_by_rename
from conftest import task as conftest_task
from sim import SUBTASKS, Sim, task

WALKS = int(os.environ.get("ATTACK11_WALKS", "12"))
STEPS = int(os.environ.get("ATTACK11_STEPS", "120"))
MAX_ATTEMPTS = 3
MASTERS = ("development", "security", "infrastructure", "documentation")
CONFIG = {"retry": {"backoff_base_seconds": 10, "backoff_max_seconds": 60, "jitter": 0.0,
                    "terminate_grace_seconds": 5, "max_attempts": MAX_ATTEMPTS},
          "monitor": {"zombie_timeout_seconds": 300, "heartbeat_timeout_seconds": 120,
                      "never_started_timeout_seconds": 600}}
SIMPLE = ["Fix bug in api/users.py line {n}", "Fix typo in docs/guide.md line {n}",
          "Update the nginx config in infra/nginx.conf for port {n}"]
PLANS = [
    [{"id": "design", "title": "Design the widget", "assigned_to": "development"},
     {"id": "backend", "title": "Build the widget backend", "dependencies": ["design"]},
     {"id": "frontend", "title": "Build the widget frontend", "dependencies": ["design"]},
     {"id": "audit", "title": "Security audit of the widget", "assigned_to": "security",
      "dependencies": ["backend", "frontend"]}],
    [{"id": "infra", "title": "Provision the cache cluster", "assigned_to": "infrastructure"},
     {"id": "docs", "title": "Document the cache", "assigned_to": "documentation", "depends_on": ["infra"]}],
]
TERMINAL_SUBTASK = {"completed", "skipped"}


class Walk:
    """One random walk and what it has seen; :meth:`check` after every step."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.trace: list[str] = []
        self.sim = Sim(config=CONFIG)
        self.sim.store.put(self.sim.layout.queue, {"version": "2.1", "x_top": "kept", "tasks": []})
        self.sim.start()
        self.ids: Counter[str] = Counter()  # entries we put in the queue, by id
        self.fields: dict[str, str] = {}  # each entry's foreign field
        self.n = 0
        self.pid = 1000
        self.snapshot: bytes | None = None
        self.handoffs_seen: dict[str, tuple[Any, Any]] = {}
        self.last_clean = True
        self.rotated = b""  # the events files rotated away
        self.rotations = 0
        self.old_copies = 0
        self.set_back = False
        self.removed: set[str] = set()  # handoffs their masters removed

    # --- the world's moves ---------------------------------------------------------------

    def step(self) -> None:
        self.last_clean = False  # what a full pass must have acted on is checked after one
        move = self.rng.choices(
            ["submit", "dup", "edit", "worker", "worker", "worker", "master", "cancel", "retry", "resume",
             "move", "clock", "pass", "pass", "tick", "tick", "snapshot", "old_copy", "crash", "restart",
             "rotate", "clean", "clean", "crash_at_start"],
        )[0]
        getattr(self, f"do_{move}")()

    def _queue(self) -> dict[str, Any]:
        return self.sim.store.get(self.sim.layout.queue)

    def _put_queue(self, doc: dict[str, Any]) -> None:
        self.sim.store.put(self.sim.layout.queue, doc)

    def do_submit(self) -> None:
        self.n += 1
        task_id = f"t{self.n}"
        fields: dict[str, Any] = {"x_keep": f"f-{task_id}", "created_at": "2025-11-05T18:00:00Z"}
        if self.rng.random() < 0.4:
            fields["subtasks"] = self.rng.choice(PLANS)
            title = f"Widget number {self.n}"
        else:
            title = self.rng.choice(SIMPLE).format(n=self.n)
        self.trace.append(f"submit {task_id} {'complex' if 'subtasks' in fields else 'simple'}")
        self.sim.submit(task(task_id, title, **fields))
        self.ids[task_id] += 1
        self.fields[task_id] = fields["x_keep"]

    def do_dup(self) -> None:
        """A second entry with an id already in the queue: the same task again, or a different one."""
        if not self.ids:
            return
        task_id = self.rng.choice(sorted(self.ids))
        entry = next(e for e in self._queue()["tasks"] if e["id"] == task_id)
        copy = dict(entry) if self.rng.random() < 0.5 else task(task_id, "Fix typo in README.md line 1",
                                                                x_keep=self.fields[task_id])
        copy["status"] = "pending"
        self.trace.append(f"dup {task_id}")
        self.sim.submit(copy)
        self.ids[task_id] += 1

    def do_edit(self) -> None:
        doc = self._queue()
        pending = [e for e in doc["tasks"] if e.get("status") == "pending"]
        if not pending:
            return
        entry = self.rng.choice(pending)
        entry["description"] = f"edited {self.rng.random()}"
        self.trace.append(f"edit {entry['id']}")
        self._put_queue(doc)

    def _subtasks(self) -> list[dict[str, Any]]:
        found = []
        for path in self.sim.store.files:
            if path.parent == self.sim.layout.subtask("x").parent and path.suffix == ".json":
                with contextlib.suppress(ValueError):
                    found.append(json.loads(self.sim.store.files[path]))
        return sorted(found, key=lambda s: s["subtask_id"])

    def do_worker(self) -> None:
        live = [s for s in self._subtasks() if s.get("status") in ("assigned", "in_progress")]
        if not live:
            return
        sub = self.rng.choice(live)
        sid = sub["subtask_id"]
        worker = f"w-{sid}-{sub.get('attempt')}"
        if sub["status"] == "assigned":
            self.pid += 1
            self.sim.processes.states[self.pid] = "running"
            self.trace.append(f"start {sid} pid={self.pid}")
            self._take(self.sim.layout.subtask_handoff(sub["assigned_to"], sid, sub["attempt"]))
            self.sim.report(sid, "start", worker_id=worker, pid=self.pid)
            return
        what = self.rng.choice(["heartbeat", "complete", "complete", "fail", "fail_permanent", "die", "hang"])
        self.trace.append(f"{what} {sid}")
        if what == "heartbeat":
            self.sim.report(sid, "heartbeat", worker_id=worker, progress="more")
        elif what == "complete":
            self.sim.report(sid, "complete", worker_id=worker, result="done")
        elif what == "fail":
            self.sim.report(sid, "fail", worker_id=worker, reason="flaky")
        elif what == "fail_permanent":
            self.sim.report(sid, "fail", worker_id=worker, reason="broken", transient=False)
        elif what == "die" and isinstance(sub.get("pid"), int):
            self.sim.processes.states[sub["pid"]] = "gone"

    def do_master(self) -> None:
        """A master's consumer takes a pending handoff."""
        pending = [p for p in self.sim.handoffs() if json.loads(self.sim.store.files[p]).get("status") == "pending"]
        if not pending:
            return
        self._take(self.rng.choice(pending))

    def _take(self, path: Any) -> None:
        """The consumer takes a pending handoff (and spawns its worker): ``processed``."""
        raw = self.sim.store.files.get(path)
        if raw is None or json.loads(raw).get("status") != "pending":
            return
        self.trace.append(f"master takes {path.name}")
        self.sim.store.put(path, json.loads(raw) | {"status": "processed", "processed_at": "2025-11-05T18:00:00Z"})

    def _edit_task(self, action: str) -> None:
        if not self.ids:
            return
        task_id = self.rng.choice(sorted(self.ids))
        if self.ids[task_id] > 1:
            return
        has_plan = queue_edits.has_plan(self.sim.store, task_id)

        def edit(entry: dict[str, Any]) -> None:
            if action == "cancel":
                queue_edits.cancel(entry, by="person", now="2025-11-05T18:00:00Z", reason="no", has_plan=has_plan)
            else:
                queue_edits.retry(entry, by="person", now="2025-11-05T18:00:00Z", has_plan=has_plan)

        with contextlib.suppress(queue_edits.EditRefused):
            queue_edits.edit_task(self.sim.store, task_id, edit)
            self.trace.append(f"{action} {task_id}")

    def do_cancel(self) -> None:
        self._edit_task("cancel")

    def do_retry(self) -> None:
        self._edit_task("retry")

    def do_resume(self) -> None:
        plans = [p for p in self.sim.store.files if p.parent == self.sim.layout.plan("x").parent]
        if not plans:
            return
        plan = Plan.model_validate(self.sim.store.get(self.rng.choice(sorted(plans))))
        action = self.rng.choice(["retry", "skip", "abort"])
        candidates = [s.subtask_id for s in plan.subtasks if progress.resume_problem(plan, action, s.subtask_id) is None]
        if not candidates:
            return
        subtask_id = None if action == "abort" else self.rng.choice(candidates)
        request = {"orchestration_id": plan.orchestration_id, "action": action, "subtask_id": subtask_id,
                   "requested_at": "2025-11-05T18:00:00Z", "requested_by": "person"}
        self.n += 1
        self.trace.append(f"resume {plan.orchestration_id} {action} {subtask_id}")
        self.sim.store.put(self.sim.layout.requests / f"{self.n:06d}-r.json",
                           {k: v for k, v in request.items() if v is not None})

    def do_move(self) -> None:
        doc = self._queue()
        assigned = [e for e in doc["tasks"] if e.get("status") == "assigned" and self.ids[e["id"]] == 1]
        if not assigned:
            return
        entry = self.rng.choice(assigned)
        entry["assigned_to"] = self.rng.choice([m for m in MASTERS if m != entry.get("assigned_to")])
        self.trace.append(f"move {entry['id']} to {entry['assigned_to']}")
        self._put_queue(doc)

    def do_clock(self) -> None:
        seconds = self.rng.choice([1, 5, 30, 120, 400, 900, -30, -3600, 3600])
        if seconds < 0 and self.rotations:
            return  # a clock set back and a rotation: which side of the rotation a time is on is a guess (README)
        if seconds < 0 or seconds == 3600:  # the wall clock is set (NTP, a person): time does not pass
            self.trace.append(f"clock set {seconds:+}")
            self.set_back = self.set_back or seconds < 0
            self.sim.clock.jump(seconds)
        else:
            self.trace.append(f"clock {seconds:+}")
            self.sim.clock.advance(seconds)

    def do_rotate(self) -> None:
        """logrotate moves the events file away (the daemon stopped or not); what it held is kept here."""
        if self.set_back or self.old_copies:
            return  # with either, what the rotated file held is known by time only: a guess (README)
        self.rotations += 1
        events = self.sim.layout.events
        self.rotated += self.sim.store.files.get(events, b"")
        self.sim.store.files[events] = b""
        self.trace.append("events file rotated")

    def do_clean(self) -> None:
        """A master's consumer removes a handoff it processed: written again, its work is done twice."""
        done = [p for p in self.sim.handoffs() if json.loads(self.sim.store.files[p]).get("status") == "processed"]
        if done:
            path = self.rng.choice(done)
            self.trace.append(f"master removes {path.name}")
            del self.sim.store.files[path]
            self.removed.add(str(path))

    def do_pass(self) -> None:
        jobs: list[Any] = [self.rng.choice(["queue", "requests"])]
        live = [s["subtask_id"] for s in self._subtasks()]
        if live:
            jobs.append(("subtask", self.rng.choice(live)))
        self.trace.append(f"pass {jobs}")
        self.sim.run(*jobs)

    def do_tick(self) -> None:
        self.trace.append("tick")
        self.sim.tick(self.rng.choice([0, 1, 11, 61]))
        self.last_clean = True

    def do_snapshot(self) -> None:
        self.snapshot = self.sim.store.files[self.sim.layout.queue]

    def do_old_copy(self) -> None:
        """An unlocked writer saves what it read a while ago, with its own task added: the statuses of
        then, every task added since kept as it is now (that writer's bug is the statuses only)."""
        if self.snapshot is None or self.rotations:
            return
        self.old_copies += 1
        old = {e["id"]: e for e in json.loads(self.snapshot)["tasks"]}
        doc = self._queue()
        seen: set[str] = set()
        tasks = []
        for entry in doc["tasks"]:
            first = entry["id"] not in seen
            seen.add(entry["id"])
            tasks.append(old[entry["id"]] if first and entry["id"] in old and self.ids[entry["id"]] == 1 else entry)
        doc["tasks"] = tasks
        self.trace.append("old copy of the queue")
        self._put_queue(doc)
        self.snapshot = None

    def do_crash(self) -> None:
        k = self.rng.randint(1, 12)
        self.sim.store.crash_at = self.sim.store.writes + k
        jobs: list[Any] = ["queue", "requests", "tick"] if self.rng.random() < 0.5 else ["queue"]
        self.trace.append(f"crash at write {k} of {jobs}")
        try:
            self.sim.run(*jobs)
        except Crash:
            self.trace.append("crashed")
        self.sim.store.crash_at = None
        self.do_restart()

    def do_restart(self) -> None:
        self.trace.append("restart")
        self.sim.clock.advance(1)  # a new process takes its time to start (and is never in the old one's millisecond)
        self.sim = self.sim.restart()
        self.last_clean = True

    def do_crash_at_start(self) -> None:
        """The restart itself crashes at its k-th write; the one after it goes through."""
        k = self.rng.randint(1, 8)
        self.trace.append(f"restart, crash at its write {k}")
        self.sim.clock.advance(1)
        sim = Sim(self.sim.store.copy(), self.sim.config, self.sim.clock, self.sim.processes)
        sim.store.crash_at = k
        try:
            sim.start()
        except Crash:
            self.trace.append("crashed")
        sim.store.crash_at = None
        self.sim = sim
        self.do_restart()

    # --- what must hold ------------------------------------------------------------------

    def fail(self, why: str) -> None:
        raise AssertionError(f"{why}\n  after: " + "\n  ".join(self.trace[-40:]))

    def check(self) -> None:
        sim = self.sim
        ids = Counter(json.loads(line).get("event_id") for line in self.rotated.splitlines() if line.strip())
        ids.update(sim.event_ids())
        twice = [i for i, n in ids.items() if n > 1 and i and not i.endswith(":corrected")]  # README: left
        if twice:
            self.fail(f"event ids announced twice: {twice}")
        doc = self._queue()
        if doc.get("x_top") != "kept":
            self.fail("the queue lost its top-level field")
        counts = Counter(e.get("id") for e in doc["tasks"])
        if counts != self.ids:
            self.fail(f"the queue's tasks changed: {counts} != {self.ids}")
        for entry in doc["tasks"]:
            if entry.get("x_keep") != self.fields[entry["id"]]:
                self.fail(f"{entry['id']} lost its foreign field")
        events = self.all_events()
        for event in events:
            if (event["type"] == "handoff_created" and sim.layout.root / event["path"] not in sim.store.files
                    and str(sim.layout.root / event["path"]) not in self.removed):
                self.fail(f"announced handoff {event['path']} is not there")
        for path in sim.handoffs():
            if str(path) in self.removed:
                self.fail(f"{path.name} written again after its master took and removed it")
            data = json.loads(sim.store.files[path])
            key = (data.get("handoff_id"), data.get("created_at"))
            if self.handoffs_seen.setdefault(str(path), key) != key:
                self.fail(f"{path.name} written again: {self.handoffs_seen[str(path)]} -> {key}")
        plans = {}
        for path in sorted(sim.store.files):
            if path.parent == sim.layout.plan("x").parent:
                plans[path.stem] = json.loads(sim.store.files[path])
        routed = {e["task_id"] for e in events if e["type"] == "task_assigned"}
        started = {e["task_id"] for e in events if e["type"] == "orchestration_started"}
        if routed & started:
            self.fail(f"handled as both simple and complex: {routed & started}")
        for event in events:
            if event["type"] == "orchestration_started" and event["orchestration_id"] not in plans:
                self.fail(f"announced {event['orchestration_id']} has no plan")
            if event["type"] == "subtask_completed":
                plan = plans[event["orchestration_id"]]
                status = next(s["status"] for s in plan["subtasks"] if s["subtask_id"] == event["subtask_id"])
                if status != "completed":
                    self.fail(f"announced completed {event['subtask_id']} is {status} in its plan")
            if event["type"] == "orchestration_completed" and plans[event["orchestration_id"]]["status"] != "completed":
                self.fail(f"announced completed {event['orchestration_id']} is not in its plan")
        for plan in plans.values():
            self.check_plan(plan)
        self.check_simple_handoffs(doc)
        self.check_withdrawals_announced()

    def _pending_handoffs(self) -> list[dict[str, Any]]:
        found = []
        for path in self.sim.handoffs():
            data = json.loads(self.sim.store.files[path])
            if data.get("status") == "pending":
                found.append(data | {"_path": path.name})
        return found

    def check_plan(self, plan: dict[str, Any]) -> None:
        oid = plan["orchestration_id"]
        by_id = {s["subtask_id"]: s for s in plan["subtasks"]}
        resumed = [i for i in plan.get("interventions", []) if i["event"] == "resumed"]
        for sub in plan["subtasks"]:
            since = max((i["at"] for i in resumed if i.get("subtask_id") == sub["subtask_id"]), default="")
            failed = [a for a in sub.get("attempts", []) if a.get("outcome") and a["outcome"] != "completed"
                      and (a.get("ended_at") or "") >= since]
            if len(failed) > MAX_ATTEMPTS:
                self.fail(f"{sub['subtask_id']} failed {len(failed)} times without escalation")
            if (plan["status"] == "in_progress" and sub["status"] == "pending"
                    and all(s["status"] in TERMINAL_SUBTASK for s in plan["subtasks"] if s["stage"] < sub["stage"])):
                self.fail(f"{sub['subtask_id']} waits although every earlier stage is done")
        if not self.last_clean:
            return
        for data in self._pending_handoffs():
            if data.get("parent_orchestration") != oid:
                continue
            sub = by_id[data["subtask_id"]]
            if plan["status"] in ("aborted", "completed") or sub["status"] not in ("assigned", "in_progress"):
                self.fail(f"{data['_path']} pending while {oid} is {plan['status']}, its subtask {sub['status']}")
            if (data.get("attempt") or 1) != sub["attempt"]:
                self.fail(f"{data['_path']} pending for attempt {data.get('attempt')}, the subtask is at {sub['attempt']}")

    def check_simple_handoffs(self, doc: dict[str, Any]) -> None:
        if not self.last_clean:
            return
        entries = {e["id"]: e for e in doc["tasks"] if self.ids[e["id"]] == 1}
        per_attempt: Counter[tuple[str, int]] = Counter()
        for data in self._pending_handoffs():
            if data.get("subtask_id"):
                continue
            task_id, n = data["task_id"], data.get("attempt") or 1
            per_attempt[(task_id, n)] += 1
            entry = entries.get(task_id)
            if entry is None:
                continue
            if entry.get("status") == "cancelled" and queue_edits.attempt(entry) == n:
                self.fail(f"{data['_path']} pending though {task_id} is cancelled")
        for (task_id, n), count in per_attempt.items():
            if count > 1:
                self.fail(f"{task_id} attempt {n} has {count} pending handoffs")


    def all_events(self) -> list[dict[str, Any]]:
        """The events of the files rotated away, then the current file's."""
        return [json.loads(line) for line in self.rotated.splitlines() if line.strip()] + self.sim.events()

    def check_withdrawals_announced(self) -> None:
        """A handoff the daemon marked ``cancelled`` was announced (``handoff_withdrawn``, or a move's
        ``handoff_created`` naming it)."""
        if not self.last_clean:
            return
        said = set()
        for event in self.all_events():
            if event["type"] == "handoff_withdrawn":
                said.add(event["path"])
            elif event["type"] == "handoff_created" and event.get("withdrawn"):
                said.add(event["withdrawn"])
        created = {e["path"] for e in self.all_events() if e["type"] == "handoff_created"}
        for path in self.sim.handoffs():
            data = json.loads(self.sim.store.files[path])
            if data.get("status") == "cancelled" and self.sim.layout.rel(path) not in said:
                self.fail(f"{path.name} was withdrawn ({data.get('cancelled_reason')}) and never announced")
            if self.sim.layout.rel(path) not in created:
                self.fail(f"{path.name} was written and never announced")

    def drain(self) -> None:
        """Every worker does its work, masters take every handoff, a person retries what escalates:
        the walk's work is carried to its end."""
        self.trace.append("--- drain")
        for _ in range(40):
            for path in self.sim.handoffs():
                self._take(path)
            for sub in self._subtasks():
                if sub.get("status") in ("assigned", "in_progress"):
                    worker = f"w-{sub['subtask_id']}-{sub['attempt']}"
                    if sub["status"] == "assigned":
                        self.sim.report(sub["subtask_id"], "start", worker_id=worker)
                    self.sim.report(sub["subtask_id"], "complete", worker_id=worker, result="done")
            for path in sorted(p for p in self.sim.store.files if p.parent == self.sim.layout.plan("x").parent):
                plan = Plan.model_validate(self.sim.store.get(path))
                for sub in plan.subtasks:
                    if plan.status == "blocked" and progress.resume_problem(plan, "retry", sub.subtask_id) is None:
                        self.n += 1
                        self.sim.store.put(self.sim.layout.requests / f"{self.n:06d}-d.json", {
                            "orchestration_id": plan.orchestration_id, "action": "retry",
                            "subtask_id": sub.subtask_id, "requested_at": "2025-11-05T18:00:00Z"})
            self.sim.tick(61)
            self.last_clean = True
            self.check()
        for path in sorted(p for p in self.sim.store.files if p.parent == self.sim.layout.plan("x").parent):
            plan = self.sim.store.get(path)
            if plan["status"] not in ("completed", "aborted"):
                self.fail(f"{plan['orchestration_id']} is still {plan['status']} after the drain")
            entry = [e for e in self._queue()["tasks"] if e["id"] == plan["parent_task_id"]]
            expected = "completed" if plan["status"] == "completed" else "cancelled"
            if len(entry) == 1 and entry[0]["status"] != expected and self.fields.get(plan["parent_task_id"]):
                self.fail(f"{plan['parent_task_id']} is {entry[0]['status']} in the queue, its plan {plan['status']}")
        for entry in self._queue()["tasks"]:
            if self.ids[entry["id"]] == 1 and entry.get("status") == "pending":
                self.fail(f"{entry['id']} is still pending after the drain")
        pending = self._pending_handoffs()
        if pending:
            self.fail(f"handoffs still pending after every master took them: {[p['_path'] for p in pending]}")


def walk(seed: int, steps: int) -> Walk:
    w = Walk(seed)
    for _ in range(steps):
        w.step()
        w.check()
    w.drain()
    return w


@pytest.mark.parametrize("seed", range(WALKS))
def test_a_random_walk_of_the_whole_core_keeps_every_invariant(seed: int) -> None:
    walk(seed, STEPS)


def test_the_walk_that_saw_a_move_found_too_late_said_twice() -> None:
    """``make faults``'s walk 1 of 300 steps: a move that came after the master took the handoff was said again under
    the same id after the events file rotated and the daemon restarted (the move stays in the queue for good); the
    queue now keeps that it was said (``move_not_followed``)."""
    walk(1, 300)


# --- the defects the walk found, each as a plain regression test ---------------------------------

NEVER_STARTED = {"retry": {"backoff_base_seconds": 10, "backoff_max_seconds": 60, "jitter": 0.0,
                           "max_attempts": 2},
                 "monitor": {"never_started_timeout_seconds": 600}}


def handoff_status(sim: Sim, name: str) -> Any:
    return json.loads(sim.store.files[sim.layout.root / "masters/development/handoffs" / name]).get("status")


def test_the_handoff_of_an_attempt_that_ended_is_withdrawn_at_once_not_at_the_retry() -> None:
    """Regression: a subtask whose worker never started failed, and its handoff stayed ``pending``
    through the backoff (and, escalated, for as long as a person took to answer): the consumer, late,
    took it and started a worker on an attempt that was over, beside the retry's worker."""
    sim = Sim(config=NEVER_STARTED)
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    first = "to-development-subtask-orch-w-design.json"
    assert handoff_status(sim, first) == "pending"
    sim.tick(601)  # no worker took it: the attempt ends
    assert sim.subtask("orch-w-design")["status"] == "retry_wait"
    assert handoff_status(sim, first) == "cancelled"
    assert len(sim.events("handoff_withdrawn", subtask_id="orch-w-design", attempt=1)) == 1
    sim.tick(11)  # the retry
    second = "to-development-subtask-orch-w-design-attempt-2.json"
    assert handoff_status(sim, second) == "pending"
    sim.tick(601)  # again: now escalated
    assert sim.plan("orch-w")["status"] == "blocked"
    assert handoff_status(sim, second) == "cancelled"
    sim = sim.restart()
    assert sim.event_ids() and max(sim.event_ids().values()) == 1


@pytest.mark.parametrize("end", ["completed", "aborted", "blocked", "aborted after blocked"])
def test_an_old_copy_of_the_queue_cannot_hide_how_an_orchestration_ended(end: str) -> None:
    """Regression: an unlocked writer put back a copy of the queue read while the orchestration ran
    (``orchestrating``); its plan had completed, been aborted or escalated, and the queue said it ran for
    good, through every pass and restart (a person never saw the escalation)."""
    sim = Sim(config=NEVER_STARTED)
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    old = sim.store.files[sim.layout.queue]
    if end == "completed":
        for _ in range(3):
            sim.finish_active("orch-w")
            sim.tick(1)
    elif end == "aborted":
        sim.store.put(sim.layout.requests / "1-r.json", {"orchestration_id": "orch-w", "action": "abort"})
        sim.run("requests")
    else:
        sim.report("orch-w-design", "start", worker_id="w1")
        sim.report("orch-w-design", "fail", reason="broken", transient=False)
        sim.tick(1)
    if end == "aborted after blocked":  # the copy was read while the plan waited for a person
        old = sim.store.files[sim.layout.queue]
        sim.store.put(sim.layout.requests / "1-r.json", {"orchestration_id": "orch-w", "action": "abort"})
        sim.run("requests")
        end = "aborted"
    assert sim.plan("orch-w")["status"] == end
    expected = sim.queue_task("w")["status"]
    sim.store.put(sim.layout.queue, old)
    assert sim.queue_task("w")["status"] in ("orchestrating", "blocked")
    sim.tick(1)
    assert sim.queue_task("w")["status"] == expected
    assert len(sim.events("claim_restored", task_id="w")) == 1
    sim = sim.restart()
    assert sim.queue_task("w")["status"] == expected and max(sim.event_ids().values()) == 1


def clock_set_back_then(crash_at: int, change: str) -> Sim:
    """A simple task routed an hour ago; the clock is set back an hour; then ``change`` (a person's move of
    the task, or a new task's routing) and a crash before the ``crash_at``-th write of its pass; a restart."""
    sim = Sim()
    sim.start()
    sim.submit(task("t1", "Fix bug in api/users.py line 1"))
    sim.run("queue")
    sim.clock.advance(-3600)
    if change == "move":
        doc = sim.store.get(sim.layout.queue)
        doc["tasks"][0]["assigned_to"] = "security"
        sim.store.put(sim.layout.queue, doc)
    else:
        sim.submit(task("t2", "Fix bug in api/users.py line 2"))
    sim.store.crash_at = sim.store.writes + crash_at
    with contextlib.suppress(Crash):
        sim.run("queue")
    sim.store.crash_at = None
    return sim.restart()


@pytest.mark.parametrize("crash_at", range(1, 6))
def test_a_move_cut_short_by_a_crash_after_the_clock_was_set_back_is_announced_once(crash_at: int) -> None:
    """Regression: the restart took every change older than its first event in the events file for
    announced, though it read that file whole; with the clock set back, a move (or a routing) made
    just before a crash was never announced, its first handoff withdrawn in silence."""
    sim = clock_set_back_then(crash_at, "move")
    assert sim.queue_task("t1")["handoff_file"] == "masters/security/handoffs/t1.json"
    moved = sim.events("handoff_created", task_id="t1", master="security")
    assert len(moved) == 1 and moved[0]["withdrawn"] == "masters/development/handoffs/t1.json"
    assert max(sim.event_ids().values()) == 1


@pytest.mark.parametrize("crash_at", range(1, 4))
def test_a_routing_cut_short_by_a_crash_after_the_clock_was_set_back_is_announced_once(crash_at: int) -> None:
    sim = clock_set_back_then(crash_at, "route")
    assert sim.queue_task("t2")["status"] == "assigned"
    assert len(sim.events("task_assigned", task_id="t2")) == 1
    assert len(sim.events("handoff_created", task_id="t2")) == 1
    assert max(sim.event_ids().values()) == 1


def test_a_second_restart_after_a_rotation_writes_no_handoff_again() -> None:
    """Regression: the first start after a rotation knew its events file was new, but its own append moved
    the mark to that file; the next start read the new, short file whole and took it for the whole story:
    every plan's last events were announced again and the handoff a master had taken and removed was
    written again (the work done twice)."""
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS), task("s", "Fix bug in api/users.py line 1"))
    sim.run("queue")
    taken = sim.handoffs()
    for path in taken:  # the masters take their handoffs and remove them
        del sim.store.files[path]
    sim.core.note("orchestrator_stopped")
    announced = sim.event_ids()
    sim.store.files[sim.layout.events] = b""  # logrotate (copytruncate, or a new file: the same here)
    sim.clock.advance(60)
    sim = sim.restart()
    sim.clock.advance(60)
    sim = sim.restart()
    sim.tick(1)
    assert [p for p in taken if p in sim.store.files] == []
    assert [k for k in sim.event_ids() if k in announced] == []


def test_a_restart_after_a_rotation_while_the_daemon_ran_writes_no_handoff_again() -> None:
    """Regression: logrotate while the daemon runs (its usual case): the next append went to the new file
    and the mark with it, so nothing said a rotation ever was; the next start read the short file whole,
    announced every plan's last events again and wrote again the handoff its master had removed."""
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS), task("s", "Fix bug in api/users.py line 1"))
    sim.run("queue")
    taken = sim.handoffs()
    for path in taken:
        del sim.store.files[path]
    announced = sim.event_ids()
    sim.clock.advance(60)
    sim.store.files[sim.layout.events] = b""  # rotated while it runs
    sim.submit(task("s2", "Fix bug in api/users.py line 2"))
    sim.run("queue")  # appends to the new file
    sim.clock.advance(60)
    sim.core.note("orchestrator_stopped")
    sim = sim.restart()
    sim.tick(1)
    assert [p for p in taken if p in sim.store.files] == []
    assert [k for k in sim.event_ids() if k in announced] == []


def test_a_retried_task_that_cannot_be_planned_is_said_blocked_again() -> None:
    """Regression: ``task_blocked`` had one id per task, not per attempt: after ``orchestrator retry`` the
    task was blocked again in silence (its id was said), or, once that id was forgotten (a rotation), the
    same id said twice."""
    sim = Sim()
    sim.start()
    sim.submit(task("t", "Widget", subtasks=[{"id": "a", "title": "Build it", "assigned_to": "nobody"}]))
    sim.run("queue")
    assert sim.queue_task("t")["status"] == "blocked"
    queue_edits.edit_task(sim.store, "t", lambda e: queue_edits.retry(e, by="a person", now="2025-11-05T18:00:00Z",
                                                                     has_plan=False))
    sim.tick(1)
    assert sim.queue_task("t")["status"] == "blocked"
    blocked = sim.events("task_blocked", task_id="t")
    assert len(blocked) == 2 and len({e["event_id"] for e in blocked}) == 2


@pytest.mark.parametrize("restart", [False, True])
def test_an_old_copy_of_the_queue_does_not_bring_back_a_handoff_its_master_removed(restart: bool) -> None:
    """Regression: a simple task put back ``pending`` by an old copy of the queue, after its master had taken
    its handoff and removed it, got the handoff written again (create-if-absent found none), then
    ``claim_restored`` said it was "taken again without doing its work twice": the master did it twice."""
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in api/users.py line 1"))
    old = sim.store.files[sim.layout.queue]
    sim.run("queue")
    [handoff] = sim.handoffs()
    del sim.store.files[handoff]  # taken and removed by its master
    sim.store.put(sim.layout.queue, old)  # an unlocked writer's copy of before
    if restart:
        sim = sim.restart()
    sim.tick(1)
    assert sim.handoffs() == []
    assert sim.queue_task("s")["status"] == "assigned"
    assert len(sim.events("claim_restored", task_id="s")) == 1
    assert max(sim.event_ids().values()) == 1


def move(sim: Sim, master: str) -> None:
    """A person moves the queue's first task to ``master`` (edits its ``assigned_to``)."""
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["assigned_to"] = master
    sim.store.put(sim.layout.queue, queue)


@pytest.mark.parametrize("restart", [False, True])
def test_a_move_followed_then_lost_by_an_old_copy_does_not_bring_back_the_handoff_its_master_removed(
        restart: bool) -> None:
    """Regression (``make faults``, walk 119): a task moved to development, whose new handoff development took and
    removed; an old copy of the queue put back the first master's ``handoff_file``, and the person's move made again
    read as a move a crash had cut short (the first handoff withdrawn for it, the new one missing): the new handoff
    was written again and development did the work twice. The withdrawn handoff now says where its task went
    (``handed_on``), written once the new handoff is on disk; only the queue follows again."""
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in app/main.py line 3"))
    sim.run("queue")
    before = sim.store.files[sim.layout.queue]

    move(sim, "security")
    sim.run("queue")
    first, moved = sim.layout.task_handoff("development", "s"), sim.layout.task_handoff("security", "s")
    assert sim.store.get(first)["handed_on"] == sim.layout.rel(moved)
    del sim.store.files[moved]  # taken and removed by security
    sim.store.put(sim.layout.queue, before)  # an unlocked writer's copy of before the move
    move(sim, "security")  # and the person's move made again
    if restart:
        sim = sim.restart()
    sim.tick(1)
    assert not sim.store.exists(moved)
    assert sim.queue_task("s")["handoff_file"] == sim.layout.rel(moved)
    assert len(sim.events("handoff_created", task_id="s", master="security")) == 1
    # a move cut short before the new handoff was written (no mark) is still finished
    sim.submit(task("u", "Fix bug in app/other.py line 4"))
    sim.run("queue")
    sim.store.update_json(sim.layout.task_handoff("development", "u"),
                          lambda h: h.update(status="cancelled", cancelled_reason="moved to cicd by a person"))
    queue = sim.store.get(sim.layout.queue)
    next(t for t in queue["tasks"] if t["id"] == "u")["assigned_to"] = "cicd"
    sim.store.put(sim.layout.queue, queue)
    sim.run("queue")
    assert sim.store.get(sim.layout.task_handoff("cicd", "u"))["status"] == "pending"


@pytest.mark.parametrize("crash_at", range(8))
def test_a_move_back_cut_short_by_a_crash_is_announced_once(crash_at: int) -> None:
    """Regression (``make faults``, walk 87): a task moved away and back to the master the daemon chose, the crash
    between the queue's write and the event's: the restart looked for moves only where ``assigned_to`` and
    ``routed_to`` differ, and a move back makes them equal again: the first master's handoff offered again, the
    other's withdrawn, and nothing said. The handoff offered again now says whose it was (``moved_from``)."""
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in app/main.py line 3"))
    sim.run("queue")

    move(sim, "security")
    sim.run("queue")
    move(sim, "development")
    sim.store.crash_at = sim.store.writes + crash_at
    with contextlib.suppress(Crash):
        sim.run("queue")
    sim.store.crash_at = None
    sim = sim.restart()
    sim.tick(1)
    first = sim.layout.task_handoff("development", "s")
    assert sim.store.get(first)["status"] == "pending" and sim.store.get(first)["moved_from"] == "security"
    back = [e for e in sim.events("handoff_created", task_id="s", master="development") if e.get("moved_from")]
    assert len(back) == 1 and back[0]["withdrawn"] == sim.layout.rel(sim.layout.task_handoff("security", "s"))
    assert max(sim.event_ids().values()) == 1


@pytest.mark.parametrize("crash_at", range(1, 16))
def test_a_stage_handed_off_and_aborted_in_one_pass_announces_its_handoffs_after_a_crash(crash_at: int) -> None:
    """Regression (``make faults``, walk 2029): a worker's completion and an abort request read in one pass; the
    plan was written twice (stage 2 handed off, then aborted), the second time with the abort's events only, the
    first change's released but not appended yet; a crash before the pass's append lost them: stage 2's handoffs
    were written (and withdrawn) and never said. The plan's outbox now keeps what is released until appended."""
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=PLANS[0]))
    sim.run("queue")
    design = "orch-w-design"
    sim.report(design, "start", worker_id="w-1", pid=4242)
    sim.processes.states[4242] = "running"
    sim.run(("subtask", design))
    sim.report(design, "complete", worker_id="w-1", result="done")
    sim.store.put(sim.layout.requests / "1-abort.json", {"orchestration_id": "orch-w", "action": "abort",
                                                          "requested_by": "a person"})
    sim.store.crash_at = sim.store.writes + crash_at
    with contextlib.suppress(Crash):
        sim.run("requests", "tick")
    sim.store.crash_at = None
    sim = sim.restart()
    sim.tick(1)
    assert sim.plan("orch-w")["status"] == "aborted"
    for path in sim.handoffs():
        subtask = sim.store.get(path).get("subtask_id")
        assert sim.events("handoff_created", subtask_id=subtask), f"{path.name} written, never announced"
    assert max(sim.event_ids().values()) == 1


# --- a standby daemon takes over after a kill -9 (real processes) --------------------------------------


@pytest.mark.process
@pytest.mark.parametrize("round_", range(3))
def test_a_standby_takes_over_after_a_kill_9_in_a_burst_and_handles_each_task_once(
        round_: int, folder: Path, daemon_factory: Callable[..., DaemonProcess]) -> None:
    """A daemon killed with SIGKILL while it takes a burst of 60 tasks (every 4th complex); a ``--standby``
    daemon waiting on the folder's lock takes over: every task taken once, one handoff per simple task,
    no event id said twice."""
    tasks = [conftest_task(f"t-{i:02d}", f"Widget {i}", subtasks=SUBTASKS) if i % 4 == 0
             else conftest_task(f"t-{i:02d}", f"Fix bug in api/users.py line {i}") for i in range(60)]
    first = daemon_factory(folder).start()
    standby = daemon_factory(folder).start("--standby", wait=False)
    write_by_rename(folder / "task-queue.json", queue_doc(*tasks))
    wait_for(lambda: first.count("task_assigned") + first.count("orchestration_started") >= 3 + round_ * 5, 30,
             "the burst to be taken")
    first.kill()
    wait_for(lambda: first.count("orchestrator_started") >= 2, 30, "the standby to start")
    wait_for(lambda: all(queue_task(folder, t["id"])["status"] != "pending" for t in tasks), 60, "every task taken")
    standby.wait_event("orchestrator_started")
    ids = Counter(e.get("event_id") for e in standby.events() if e.get("event_id"))
    assert [i for i, n in ids.items() if n > 1] == []
    handoffs = Counter(p.stem.removesuffix(".json") for p in folder.glob("masters/*/handoffs/t-*.json"))
    simple = [t["id"] for t in tasks if "subtasks" not in t]
    assert all(handoffs[t] == 1 for t in simple), handoffs
    assert sorted(e["task_id"] for e in standby.events("orchestration_started")) == [
        t["id"] for t in tasks if "subtasks" in t]
    assert standby.stop() == 0


def test_a_task_moved_away_back_and_away_again_announces_each_move() -> None:
    """Regression: a move's ``handoff_created`` was keyed by the offered handoff's ``created_at``, which a
    handoff offered again keeps: the second move to the same master had the first one's id, and was never
    said (or, once that id was forgotten after a rotation, said twice under one id)."""
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in api/users.py line 1"))
    sim.run("queue")
    for master in ("security", "development", "security"):
        sim.clock.advance(5)
        doc = sim.store.get(sim.layout.queue)
        doc["tasks"][0]["assigned_to"] = master
        sim.store.put(sim.layout.queue, doc)
        sim.run("queue")
        assert sim.queue_task("s")["handoff_file"] == f"masters/{master}/handoffs/s.json"
    moves = [e["master"] for e in sim.events("handoff_created", task_id="s") if ":moved:" in e["event_id"]]
    assert moves == ["security", "development", "security"]
    assert max(sim.event_ids().values()) == 1
    sim = sim.restart()
    assert max(sim.event_ids().values()) == 1
