"""Intake: take every new pending task of the queue, route the simple ones, plan the complex ones.

Deciding is left to the pure modules (intake, classify, planner, handoffs); storage to the
:class:`~orchestrator.store.Store`; plans to the :class:`~orchestrator.registry.PlanRegistry`.

Write orders, and why each crash point is recoverable:

* simple task: handoff first (create-if-absent), then the queue says ``assigned``. After a
  crash in between the task is still pending; the next pass finds the earlier handoff and
  reuses it (same master), so the master never gets two.
* complex task: the queue says ``orchestrating`` at once (the coordinator must not route it
  too); the plan is then written once, already handing off stage 1, and the subtask files and
  stage-1 handoffs follow it (see ``supervisor.py``). A restart re-plans a claimed task that
  has no plan yet; a plan whose effects were cut short has them written again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator import handoffs, intake, progress, queue_edits
from orchestrator.classify import Classifier
from orchestrator.clock import Clock, iso
from orchestrator.config import Config, Settings
from orchestrator.evidence import evidence
from orchestrator.external import ExternalPlannerError, Rejection, consult
from orchestrator.intake import Changes
from orchestrator.memory import RoutingMemory
from orchestrator.models import MASTERS, Classification, Plan, QueueTask, normalize_master
from orchestrator.moves import Moves, handoff_failed, moved_to_plan
from orchestrator.moves import event_key as _key
from orchestrator.outbox import QUEUE_SCOPE, UPDATE_FAILED, Fault, Outbox
from orchestrator.planner import PlanError, build_plan, builtin_drafts, drafts_from_json
from orchestrator.planner_answer import plan_from_answer
from orchestrator.planner_prompt import PromptError, load_template, render
from orchestrator.registry import PlanRegistry
from orchestrator.store import Snapshot, Store, StoreError
from orchestrator.timestamps import format_timestamp, parse_timestamp

UNREADABLE = Fault(f"{QUEUE_SCOPE}:unreadable", f"{QUEUE_SCOPE}:recovered")
"""The queue does not parse (``queue_unreadable``) until it does (``queue_recovered``)."""

TASKS_PER_PASS = 100
"""New tasks one pass takes at most (the rest in the passes right after). A burst of thousands taken
in one pass held the engine for minutes (classify, plan, write each): past the watchdog's limit, so
systemd killed and restarted the daemon before it wrote anything, again and again, for good."""

SECONDS_PER_PASS = 5.0
"""Classifying time after which a pass takes no more new tasks. A count alone does not bound a pass:
100 tasks of 20,000 pasted characters each cost about a second apiece to read (and as much to plan)."""


@dataclass
class IntakeResult:
    """Complex tasks claimed in this pass (to be planned), and when to look again."""

    claimed: list[tuple[QueueTask, Classification]] = field(default_factory=list)
    again: bool = False
    """The queue holds tasks this pass did not see: look again now."""
    failed: bool = False
    """The queue could not be updated: look again after a pause."""
    drafts: dict[str, Drafted] = field(default_factory=dict)
    """Plans drafted while the claim was written (see :data:`Drafting`), by task id."""


Drafting = Callable[[list[tuple[QueueTask, Classification]]], Callable[[], dict[str, "Drafted"]]]
"""Starts drafting plans for complex tasks about to be claimed and returns what waits for them: the
claim's fsyncs release the interpreter, so a draft made meanwhile costs the pickup nothing."""


@dataclass(frozen=True)
class Drafted:
    """The outcome of planning one task: a plan or the reasons there is none."""

    plan: Plan | None
    error: PlanError | None
    planner: str
    fallback_reason: str | None = None
    rejected: tuple[Rejection, ...] = ()
    """The external planner's answers that could not be plans (the first one, when it was repaired)."""


def needs_external(task: QueueTask, config: Config) -> bool:
    """Whether planning ``task`` runs the external planner (slow: off the engine thread)."""
    return task.subtasks is None and config.planner.external_command() is not None


def draft_now(task: QueueTask, decision: Classification, classifier: Classifier, config: Config, now: str,
              fallback: str | None = None, rejected: tuple[Rejection, ...] = ()) -> Drafted:
    """Plan ``task`` from its own ``subtasks``, else with the built-in planner."""
    settings = config.planner
    own = task.subtasks is not None
    planner = "task" if own else "builtin"
    try:
        drafts = drafts_from_json(task.subtasks, classifier) if own else builtin_drafts(task, classifier, settings)
        plan = build_plan(task, decision, drafts, planner=planner, config=settings, now=now)
    except PlanError as exc:
        return Drafted(None, exc, planner, fallback, rejected)
    return Drafted(plan, None, planner, fallback, rejected)


async def draft(task: QueueTask, decision: Classification, classifier: Classifier, config: Config,
                now: str) -> Drafted:
    """:func:`draft_now`, asking the external planner first when one is configured."""
    command = config.planner.external_command()
    if command is None or not needs_external(task, config):
        return draft_now(task, decision, classifier, config, now)
    settings = config.planner
    try:
        template = load_template(settings.prompt_file)
        shown = classifier.bounded(task)
        consulted = await consult(
            command,
            lambda feedback: render(template, shown, settings, feedback),
            lambda answer: plan_from_answer(answer, task, decision, classifier, settings, now),
            settings.timeout_seconds,
        )
    except (ExternalPlannerError, PromptError) as exc:
        rejected = exc.rejected if isinstance(exc, ExternalPlannerError) else ()
        return draft_now(task, decision, classifier, config, now, f"external planner: {exc}", rejected)
    return Drafted(consulted.value, None, "external", None, consulted.rejected)


class Engine:
    """Intake over one coordination folder."""

    def __init__(self, store: Store, settings: Settings, outbox: Outbox, registry: PlanRegistry, clock: Clock) -> None:
        self.store = store
        self.layout = store.layout
        self.settings = settings
        self.outbox = outbox
        self.registry = registry
        self.clock = clock
        self._classifier: tuple[Config, Classifier] | None = None
        self._seen: Snapshot | None = None  # the queue as last handled: skip it when it comes back
        self._own_writes = 0  # the daemon's writes of the queue outside a claim (a plan's outcome, a move)
        self.requeued = False
        """A task this daemon made pending again (an orchestration given to one master): intake at once."""
        self._queue_problem: str | None = None
        self._update_problem: str | None = None
        self._task_update_problems: dict[str, str] = {}
        """Per task, why its last queue update failed (said once: it is retried on every pass)."""
        self._unrestored: dict[str, dict[str, Any]] = {}
        """Queue entries whose plan's outcome could not be put back (the lock held): tried on every pass."""
        self._taken: set[str] = set()  # ids we routed or orchestrate, to notice one vanishing
        self._reported: set[tuple[str, str]] = set()
        self._handoff_problems: dict[str, str] = {}  # task id -> why its handoff could not be written
        self.planning: set[str] = set()
        """Ids of claimed tasks the external planner is working on: known, so never claimed twice."""
        self.memory = RoutingMemory(store, outbox)
        self._started = clock.now()
        self._cancels_seen: set[tuple[str, int, str]] = set()  # cancels (task, attempt, when) acted on
        self._forget_due = False  # an entry left the queue's read: forget what was kept of gone tasks (:meth:`intake`)
        self.moves = Moves(store, outbox, clock, self)  # a person's moves of the tasks we routed
        self._index = intake.TaskIndex()  # what the scans know of every queue entry: a pass looks at what changed

    @property
    def classifier(self) -> Classifier:
        """The classifier of the running configuration (rebuilt after a reload)."""
        config = self.settings.config
        if self._classifier is None or self._classifier[0] is not config:
            self._classifier = (config, Classifier(config.classifier))
            self._seen = None  # new routing words may decide differently
        return self._classifier[1]

    def _report_once(self, problems: list[intake.Problem]) -> None:
        """Report each problem when it starts; forget it once it is gone, so a recurrence is new."""
        current = {(p.key, p.problem): p for p in problems}
        for key, p in current.items():
            if key not in self._reported:
                self.outbox.emit("task_invalid", task_id=p.name, problem=p.problem,
                                 action="skipped, left as it is: fix the task in the queue, it is read again then")
        self._reported = set(current)

    def _queue_unreadable(self, problem: str) -> None:
        if problem != self._queue_problem:  # once per problem; once per spell across restarts
            self.outbox.say_fault(UNREADABLE, "queue_unreadable", again=self._queue_problem is not None,
                                  path=str(self.layout.queue), problem=problem,
                                  action="left as it is (never rewritten): fix it by hand or put back a good copy; "
                                         "read again on the next change")
        self._queue_problem = problem

    # --- start-up --------------------------------------------------------------------------

    def claimed_without_plan(self) -> list[tuple[QueueTask, Classification]]:
        """Tasks we claimed (``orchestrating``) whose plan was never written: a crash came between."""
        try:
            snapshot = self.store.read_queue()
        except StoreError:
            return []
        if snapshot is None:
            return []
        todo = []
        self._taken = {e["id"] for e in snapshot.tasks if isinstance(e, dict) and isinstance(e.get("id"), str)
                       and e.get("assigned_by") == intake.ASSIGNED_BY}
        self._announce_assignments(snapshot.tasks)
        for entry in snapshot.tasks:
            if (isinstance(entry, dict) and entry.get("status") == "orchestrating"
                    and entry.get("assigned_by") == intake.ASSIGNED_BY
                    and entry.get("orchestration_id") == f"orch-{entry.get('id')}"
                    and self.registry.get(entry["orchestration_id"]) is None):
                try:
                    task = QueueTask.model_validate(entry)
                except ValueError:
                    continue
                todo.append((task, self.classifier.classify(task)))
        return todo

    def _announce_assignments(self, tasks: list[Any]) -> None:
        """Simple tasks routed just before a crash whose events never reached the file: announce them."""
        for entry in tasks:
            if isinstance(entry, dict) and queue_edits.planned_instead_of(entry) is not None:
                self.moves.announce_withdrawn_to_plan(entry)  # (moved to a plan: its withdrawal, if a crash kept it)
            if not (isinstance(entry, dict) and entry.get("assigned_by") == intake.ASSIGNED_BY
                    and isinstance(entry.get("id"), str)):
                continue
            self._supersede(entry["id"], queue_edits.attempt(entry))  # (withdrawn, and a crash kept it from the file)
            if not isinstance(entry.get("handoff_file"), str):
                continue
            if entry.get("status") == "assigned" and intake.moved_by_a_person(entry) is None:
                # moved, and its handoff with it (also back to the master we chose: its handoff offered again), the
                # queue written: announced if a crash kept it from the file
                self.moves.announce_moved(entry)
            assigned_at = parse_timestamp(entry.get("assigned_at"))
            if not self.outbox.unannounced_if_missing(assigned_at):
                continue
            task_id = entry["id"]
            master = entry.get("assigned_to")
            n = queue_edits.attempt(entry)
            self.outbox.emit("handoff_created", key=_key(task_id, "handoff", n),
                             handoff_id=handoffs.task_handoff_id(str(master), task_id, n),
                             task_id=task_id, master=master, path=entry["handoff_file"], attempt=n if n > 1 else None,
                             recovered=True)
            self.outbox.emit("task_assigned", key=_key(task_id, "assigned", n), task_id=task_id, assigned_to=master,
                             confidence=entry.get("routing_confidence"), reasons=entry.get("routing_reasons"),
                             evidence=evidence(entry.get("routing_confidence"), entry.get("routing_reasons")),
                             handoff=entry["handoff_file"], recovered=True)

    # --- the queue ------------------------------------------------------------------------

    def intake(self, reconcile: bool = False, drafting: Drafting | None = None) -> IntakeResult:
        """Act on every new pending task: route the simple ones, claim the complex ones.

        A pass looks at the queue entries that changed since the last one (:class:`intake.TaskIndex`);
        with ``reconcile`` (the monitor tick), at every entry again if any pass did not. ``drafting``
        plans the new complex tasks while their claim is written; a draft of a task the claim did not
        get is dropped."""
        try:
            return self._intake(reconcile, drafting)
        finally:
            # after the claim, not before it: forgetting walks every remembered task (0.08 ms with 75 in the
            # queue, O(queue) each pass whose read lost or changed an entry, as every routing's own write does),
            # and nothing the intake reads between asks about a task gone from the queue
            self._forget_if_due()

    def _forget_if_due(self) -> None:
        if self._forget_due:
            self._forget_due = False
            self._forget_gone()

    def _intake(self, reconcile: bool, drafting: Drafting | None) -> IntakeResult:
        classifier = self.classifier
        if self.moves.unwithdrawn:
            self.moves.withdraw_again()
        if self._unrestored:  # the queue's bytes may not change again: its entry would never be looked at
            self._follow_plans(list(self._unrestored.values()))
        if reconcile and self._index.incremental:
            self._index.clear()
            self._seen = None
        if (self._seen is not None and not reconcile
                and self.store.identity(self.layout.queue) == self._seen.identity):
            # our own write coming back, or nothing new: no need to read it. Not on the tick: an edit in
            # place of the same size in the same mtime tick (or its mtime put back) keeps the identity,
            # and was never read until some other change; the tick compares the bytes
            return IntakeResult()
        try:
            snapshot = self.store.read_queue()
        except StoreError as exc:
            self._queue_unreadable(str(exc))
            return IntakeResult()
        if snapshot is None:
            if self._queue_problem != "missing":
                self.outbox.emit("queue_missing", path=str(self.layout.queue), action="waiting for it to be created")
            self._queue_problem = "missing"
            return IntakeResult()
        # a spell the events file says is open, though this process never saw it (a restart): over now, said once
        if not self.outbox.say_cleared(UNREADABLE, "queue_recovered", path=str(self.layout.queue)) \
                and self._queue_problem:  # missing: not a spell
            self.outbox.emit("queue_recovered", path=str(self.layout.queue))
        self._queue_problem = None
        if self._seen is not None and snapshot.raw == self._seen.raw:
            self._seen = snapshot
            return IntakeResult()
        changes = self._index.update(snapshot.tasks)
        self.memory.read(changes)
        writes = self._own_writes
        added = [entry for _, entry in changes.added]
        self._vanished(changes)
        if not self.memory.learn(added):
            self._index.expired = True  # what it found is not remembered: look at everything again next time
        self._cancelled(added)
        self.moves.follow(added)
        self._follow_plans(added)
        if changes.full or changes.removed:
            self._forget_due = True
        pending = self._index.to_select(snapshot.tasks, changes)
        candidates, problems = intake.select_from(pending, self._index.ids)
        if self._handoff_problems:  # only a task still waiting for its handoff has one to retry
            waiting = self._index.pending_ids()
            self._handoff_problems = {i: p for i, p in self._handoff_problems.items() if i in waiting}
        if not candidates:
            self._forget_if_due()  # before the look at the moves' problems: a gone task's is forgotten
            self._report_once(problems)
            # not what we read, if we wrote since; nor while a move could not be followed: the tick tries it again
            self._seen = snapshot if self._own_writes == writes and not self.moves.problems else None
            return IntakeResult()
        decisions: list[tuple[QueueTask, Classification]] = []
        earlier: dict[str, str | None] = {}  # the master of a handoff an earlier run wrote for the task
        reused: dict[str, str] = {}
        more = False
        history = self.memory.history()
        # a burst is taken TASKS_PER_PASS tasks (or SECONDS_PER_PASS) at a time; a task whose handoff could not be written goes
        # last, so tasks that cannot be taken (a master's folder broken) hold up none that can
        failing = set(self._handoff_problems)
        began = self.clock.monotonic()
        for task in sorted(candidates, key=lambda t: t.id in failing):
            if len(decisions) == TASKS_PER_PASS or (decisions and self.clock.monotonic() - began >= SECONDS_PER_PASS):
                more = task.id not in failing  # those are tried again after a pause (``failed``), not at once
                break
            # a task we already orchestrate (or are planning) is pending again: a writer put back an old copy
            # of the queue. A different task that reuses the id is refused, never given the old one's work.
            earlier[task.id] = self._earlier_handoff(task.id, _attempt(task))
            if why := self._reused(task, earlier[task.id]):
                reused[task.id] = why
                continue
            try:
                given = self._given_to(task)
                decisions.append((task, _given(task, given, self.registry.get(f"orch-{task.id}") is not None)
                                  if given else moved_to_plan(task, classifier.classify(task, history))))
            except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:  # this task only
                problems.append(intake.Problem(task.id, task.id, f"cannot be classified: {type(exc).__name__}: {exc}"))
        candidates = [task for task, _ in decisions]
        now = iso(self.clock)
        # all of the pass's problems at once: each call forgets what the one before it reported
        self._report_once(problems + [intake.Problem(i, i, why) for i, why in reused.items()])
        known = {t.id for t in candidates if (self.registry.get(f"orch-{t.id}") is not None or t.id in self.planning)
                 and not self._given_to(t)}  # a plan a person replaced with one master: not its task any more
        prepared = self._hand_off_simple([(t, d) for t, d in decisions if d.decision == "simple" and t.id not in known],
                                         now, earlier)
        complex_ = [(t, d) for t, d in decisions if d.decision == "complex" or t.id in known]
        seen = self._index.pending_ids()
        new = [(t, d) for t, d in complex_ if t.id not in known]
        drafted = drafting(new) if drafting is not None and new else dict
        try:
            claimed, result, unseen, simple = self._claim(prepared, complex_, now, seen, snapshot,
                                                          list(self._index.pending.values()))
        except StoreError as exc:
            if str(exc) != self._update_problem:  # once per problem; once per spell across restarts
                self.outbox.say_fault(UPDATE_FAILED, "queue_update_failed", again=self._update_problem is not None,
                                      path=str(self.layout.queue), problem=str(exc), action="retrying")
            self._update_problem = str(exc)
            self._seen = None
            return IntakeResult(failed=True)
        finally:
            drafts = drafted()  # the drafting is over before the pass goes on, whatever the claim did
        self._queue_updated(UPDATE_FAILED)
        self._update_problem = None
        if result is not None and any(self._given_to(task) and task.id in claimed for task, _, _ in simple):
            # a planned task a person gave to one master, now with it: remembered as that person's correction (our
            # own write of the queue wakes no event, so the queue's next read would not show it until the tick)
            self.memory.learn([entry for entry in result.tasks if isinstance(entry, dict) and entry.get("id") in claimed
                               and entry.get("route_to")])
        retry = bool(self._handoff_problems)  # a handoff failed: look again after a pause, not at the next change
        for task, decision, path in simple:
            n = _attempt(task)
            if task.id in claimed:
                self.moves.named[task.id] = self.layout.rel(path)
            if task.id not in claimed:
                # someone else took the task between our read and our claim: a handoff written for it by an earlier
                # round of the claim (a writer replaced the queue under it) or an earlier run goes; this attempt's
                if not self.outbox.was_announced(_key(task.id, "handoff", n)) and self.store.exists(path):
                    self.store.remove(path)
                continue
            if self.outbox.was_announced(_key(task.id, "assigned", n)):
                self._restored(task.id, f"its handoff {self.layout.rel(path)} was already written")
                continue
            self._supersede(task.id, n)
            self.outbox.emit("handoff_created", key=_key(task.id, "handoff", n),
                             handoff_id=handoffs.task_handoff_id(str(decision.master), task.id, n),
                             task_id=task.id, master=decision.master, path=self.layout.rel(path), attempt=n if n > 1 else None)
            self.outbox.emit("task_assigned", key=_key(task.id, "assigned", n), task_id=task.id,
                             assigned_to=decision.master, confidence=decision.confidence, reasons=decision.reasons,
                             evidence=evidence(decision.confidence, decision.reasons), handoff=self.layout.rel(path))
        for task_id in sorted(known & claimed):
            plan = self.registry.get(f"orch-{task_id}")
            if plan is not None and progress.moved_to(plan):
                continue  # given to one master: the next pass finds its handoff written and says so, once
            self._restored(task_id, f"orch-{task_id} already exists ({plan.status})" if plan else "it is being planned")
        for task, _ in complex_:
            if task.id in claimed and task.id not in known:
                self._supersede(task.id, _attempt(task))
        self._taken |= claimed
        # a writer may have added tasks while we waited for the lock: then our write holds
        # tasks this pass never looked at, and its digest must not mark them as seen. Nor when a
        # writer took a task from under our claim (a cancel between our read and our write): what
        # it did (the cancel to announce) is in a queue this pass did not act on
        lost = bool(({t.id for t, _, _ in simple} | {t.id for t, _ in complex_}) - claimed)
        self._seen = result if not (unseen or retry or lost or more) else None
        return IntakeResult([(t, d) for t, d in complex_ if t.id in claimed and t.id not in known],
                            again=unseen or lost or more, failed=retry,
                            drafts=drafts)

    def write_problem(self) -> str | None:
        """Why the pickup's last writes failed and are being retried (the queue's claim, or handoffs of tasks still
        waiting), for the service's status line; None when they were written. On a full disk that line is all anyone
        sees: the events file cannot be appended to either."""
        if self._update_problem is not None:
            return f"queue not written: {self._update_problem}"
        if self._handoff_problems:
            first = min(self._handoff_problems)
            many = len(self._handoff_problems)
            return f"{many} handoff{'s' if many > 1 else ''} not written ({first}: {self._handoff_problems[first]})"
        return None

    def _reused(self, task: QueueTask, master: str | None) -> str | None:
        """Why ``task`` is not the task whose plan or handoff carries its id, or None if it is."""
        plan = self.registry.get(f"orch-{task.id}")
        earlier: tuple[object, object]
        if plan is not None:
            earlier = (plan.task_title, plan.task_created_at)
        else:
            handoff = (self.store.read_json_or_none(self.layout.task_handoff(master, task.id, _attempt(task)))
                       if master else None)
            given = handoff.get("task") if isinstance(handoff, dict) else None
            if not isinstance(given, dict):
                return None
            earlier = (given.get("title"), given.get("created_at"))
        title, created = earlier
        if title == (task.title or task.full_description[:120]) and (created is None or created == task.created_at):
            return None
        return (f"id already used by an earlier task ({title!r}, created {created or 'at an unknown time'}); "
                "give this task a new id")

    def _supersede(self, task_id: str, n: int) -> None:
        """Attempt ``n`` of a task is ours (routed or claimed for a plan): the earlier attempts' handoffs still pending
        are withdrawn. A planned attempt withdrew none: a task cancelled and retried while the daemon was down (its
        cancel never acted on) kept its first master's handoff live beside the plan. Again at start for every attempt
        after the first (:meth:`_announce_assignments`): a crash before the plan was written, or before the events."""
        if n > 1:
            self.moves.withdraw(task_id, range(1, n), f"superseded by attempt {n} (orchestrator retry)")

    def _restored(self, task_id: str, why: str) -> None:
        self.outbox.emit("claim_restored", task_id=task_id, problem=f"the task was pending again although {why}",
                         action="taken again without doing its work twice; a writer overwrote the queue without the lock")

    def _vanished(self, changes: Changes) -> None:
        """Report, once, tasks we took that a writer removed from the queue (only a removed entry's id can be gone)."""
        gone = self._taken if changes.full else {e.get("id") for e in changes.removed if isinstance(e, dict)}
        vanished = {task_id for task_id in self._taken & gone if not self._index.ids[task_id]}
        for task_id in sorted(vanished):
            self.outbox.emit("task_vanished", task_id=task_id, problem="a task the orchestrator took is gone from the queue",
                             action="its handoff or plan stays; restore the task if the removal was a mistake")
        self._taken -= vanished

    def _forget_gone(self) -> None:
        """What is remembered of a task lasts as long as the task is in the queue (or its plan in the
        folder), as a restart would have it: a daemon that routes and archives thousands of tasks
        kept every cancel it acted on and every event id it announced for its lifetime."""
        present = self._index.ids
        self._cancels_seen = {seen for seen in self._cancels_seen if present[seen[0]]}
        self.moves.forget(lambda task_id: present[task_id] > 0)
        self.outbox.keep_scopes(lambda scope: present[scope] > 0 or self.registry.get(scope) is not None
                                or scope in self.planning)

    def _hand_off_simple(self, decided: list[tuple[QueueTask, Classification]], now: str,
                         earlier: dict[str, str | None]) -> list[tuple[QueueTask, Classification, Path, Any]]:
        """Each simple task's handoff (the master of one left by an interrupted run, reused), to be written
        by the claim (:meth:`_claim`). None for a handoff already announced: it is not written again, as its
        master may have taken and removed it (an old copy of the queue put the task back ``pending``)."""
        prepared: list[tuple[QueueTask, Classification, Path, Any]] = []
        for task, decision in decided:
            master = earlier.get(task.id) or decision.master
            if master != decision.master:
                decision = decision.model_copy(update={"master": master, "reasons": [
                    f"handed off to {master} by an earlier run", *decision.reasons]})
            try:
                path = self.layout.task_handoff(master, task.id, _attempt(task))  # type: ignore[arg-type]
                handoff = handoffs.for_task(task, decision, master, now, _attempt(task))  # type: ignore[arg-type]
            except StoreError as exc:
                self._handoff_failed(task.id, master, exc)
                continue
            said = self.outbox.was_announced(_key(task.id, "handoff", _attempt(task)))
            prepared.append((task, decision, path, None if said else handoff.to_json()))
        return prepared

    def _write_handoffs(self, todo: list[tuple[QueueTask, Classification, Path, Any]]) -> set[str]:
        """Write simple tasks' handoffs (create-if-absent): all at once (their fsyncs shared), or, if that
        fails, one by one, so a task whose handoff cannot be written holds up only itself. The ids of
        those that could not be written."""
        if len(todo) > 1:
            try:
                self.store.create_json_many([(path, data) for _, _, path, data in todo])
                for task, _, _, _ in todo:
                    self._handoff_problems.pop(task.id, None)
                return set()
            except StoreError:
                pass  # one by one: find which
        failed: set[str] = set()
        for task, decision, path, data in todo:
            try:
                self.store.create_json(path, data)
            except StoreError as exc:
                self._handoff_failed(task.id, decision.master, exc)
                failed.add(task.id)
                continue
            self._handoff_problems.pop(task.id, None)
        return failed

    def _handoff_failed(self, task_id: str, master: str | None, exc: StoreError,
                        problems: dict[str, str] | None = None) -> None:
        """Said once per cause, not on every retry. ``problems``: where it is kept (a pending task's, by default;
        a moved task is ``assigned``, and the problems kept for pending tasks only said it again at every tick while
        the chosen master's path held a broken file)."""
        handoff_failed(self.outbox, self._handoff_problems if problems is None else problems, task_id, master, exc)

    def _earlier_handoff(self, task_id: str, attempt: int) -> str | None:
        for master in MASTERS:
            try:
                if self.store.exists(self.layout.task_handoff(master, task_id, attempt)):
                    return master
            except StoreError:
                return None
        return None

    def _cancelled(self, tasks: list[Any]) -> None:
        """Act on ``orchestrator cancel``: withdraw the cancelled task's pending handoffs, announce it once."""
        for entry in tasks:
            if not (isinstance(entry, dict) and entry.get("status") == "cancelled" and isinstance(entry.get("id"), str)):
                continue
            task_id, n = entry["id"], queue_edits.attempt(entry)
            # a cancel is the act of one moment: undone by an old copy of the queue and made again later, it is a
            # second act, said with its own id (with one id, the second was said only if the first rotated away).
            # The moment, not its text: a writer that rewrites the queue writes it in its own style (-06:00, no ms)
            when = parse_timestamp(entry.get("cancelled_at"))
            raw = entry.get("cancelled_at")
            stamp = format_timestamp(when) if when is not None else raw if isinstance(raw, str) else ""
            plan = self.registry.get(f"orch-{task_id}")
            if (task_id, n, stamp) in self._cancels_seen or (plan is not None and progress.moved_to(plan) is None):
                continue  # done, or an orchestration (aborted through its plan); not one given to a master instead
            self._cancels_seen.add((task_id, n, stamp))
            if (held := intake.handoff_named(entry)) is not None:  # a move followed before the cancel, said first
                self.moves.announce_handed_on(task_id, n, self.layout.root / held[0])
            key = _key(task_id, "cancelled", n) + (f"@{stamp}" if stamp else "")
            withdrawn = self.moves.withdraw(task_id, range(1, n + 1), "the task was cancelled (orchestrator cancel)")
            if withdrawn or self.outbox.unannounced_if_missing(when) or (when is not None and when >= self._started):
                self.outbox.emit("task_cancelled", key=key, task_id=task_id, attempt=n,
                                 cancelled_by=entry.get("cancelled_by"), reason=entry.get("cancelled_reason"),
                                 withdrawn=withdrawn)

    def _follow_plans(self, tasks: list[Any]) -> None:
        """An orchestration that ended or waits for a person while the queue says ``orchestrating``
        or ``blocked`` again (an unlocked writer put back a copy read while it ran or waited): the queue
        gets the plan's outcome back, once. Left so, the task showed as running (or blocked) for good,
        and an escalation nobody saw."""
        for entry in tasks:
            if not (isinstance(entry, dict) and entry.get("status") in ("orchestrating", "blocked")
                    and isinstance(entry.get("id"), str) and entry.get("assigned_by") == intake.ASSIGNED_BY):
                continue
            restoring = self._unrestored.pop(entry["id"], None) is not None
            # our own write of the outcome was refused (the lock held): no writer put the old status back
            ours = entry["id"] in self._task_update_problems and not restoring
            plan = self.registry.get(f"orch-{entry['id']}")
            if plan is None or intake.OUTCOME.get(plan.status, entry["status"]) == entry["status"]:
                continue
            moved, was = progress.moved_to(plan), entry["status"]  # (the entry is edited in place below)
            changed: list[bool] = []

            def change(snapshot: Snapshot, task_id: str = entry["id"], plan: Plan = plan,
                       was: str = was, moved: str | None = moved, changed: list[bool] = changed) -> bool:
                found = intake.find(snapshot.tasks, task_id)
                if found is None or found.get("status") != was:
                    return False  # written since (by us, on another path, or by a person): nothing to put back
                changed.append(True)
                if moved:  # given to one master instead: its next attempt again, which intake finds handed over
                    queue_edits.route_to(snapshot.edit(found), moved, by=progress.moved_by(plan),
                                         now=plan.completed_at or iso(self.clock))
                    self.requeued = True
                else:
                    intake.mark_outcome(snapshot.edit(found), plan)
                return True

            try:
                self.store.update_queue(change, says_edits=True)
            except StoreError as exc:
                # tried again at each pass: the queue read that found it may be the last for a long time, and
                # the outcome stayed unwritten (the task `orchestrating` beside a completed plan) until then
                self._task_update_failed(entry["id"], exc)
                self._unrestored[entry["id"]] = dict(entry)
                continue
            self._task_updated(entry["id"])
            self._wrote_queue()
            if moved or not changed or ours:
                continue  # moved: intake finds its handoff written and says so (claim_restored), once
            self.outbox.emit("claim_restored", task_id=entry["id"],
                             problem=f"the queue said {was} again although {plan.orchestration_id} is {plan.status}",
                             action="its outcome put back; a writer overwrote the queue without the lock")

    def _claim(self, simple: list[tuple[QueueTask, Classification, Path, Any]],
               complex_: list[tuple[QueueTask, Classification]], now: str,
               seen: set[object], snapshot: Snapshot | None = None,
               pending: list[dict[str, Any]] | None = None
               ) -> tuple[set[str], Snapshot | None, bool, list[tuple[QueueTask, Classification, Path]]]:
        """One locked queue write for the whole batch (``snapshot``: the queue as this pass read it,
        reused under the lock if the file is still the same; ``pending``: its pending entries).

        The simple tasks' handoffs (:meth:`_hand_off_simple`) are written under the lock, once the change
        is made and before the queue that says they are assigned, with the queue's temp file in their
        fsyncs (``Store.update_queue``'s ``first``): only the tasks still pending get one, and a task
        whose handoff cannot be written is left pending (the change is made again without it).

        Returns the ids that were still ours to take, the queue as written, whether the fresh read
        held pending tasks that were not in ``seen``, and the simple tasks whose handoff is written.
        """
        claimed: set[str] = set()
        failed: set[str] = set()  # their handoff could not be written: not claimed
        unseen = False
        read = snapshot

        def change(current: Snapshot) -> bool:
            nonlocal unseen
            # the pass's own read, unchanged: its pending tasks are the ones it saw, and a task it chose
            # has a unique id, so its one pending entry is the one
            own = read is not None and current.document is read.document
            unseen = not own and bool(intake.pending_ids(current.tasks) - seen)
            claimed.clear()
            index = ({e["id"]: e for e in pending if isinstance(e.get("id"), str)} if own and pending is not None
                     else intake.pending_index(current.tasks))
            for task, decision, path, _ in simple:
                entry = index.get(task.id)
                if entry is not None and task.id not in failed:
                    intake.mark_assigned(current.edit(entry), decision, self.layout.rel(path), now)
                    claimed.add(task.id)
            for task, decision in complex_:
                entry = index.get(task.id)
                if entry is not None:
                    intake.mark_orchestrating(current.edit(entry), decision, f"orch-{task.id}", now)
                    plan = self.registry.get(f"orch-{task.id}")
                    if plan is not None and (moved := progress.moved_to(plan)):  # given to one master: its attempt
                        queue_edits.route_to(entry, moved, by=progress.moved_by(plan), now=plan.completed_at or now)
                        self.requeued = True
                    elif plan is not None and plan.status != "in_progress":
                        intake.mark_outcome(entry, plan)
                    claimed.add(task.id)
            return bool(claimed)

        def first(_: Snapshot) -> bool:
            new = self._write_handoffs([item for item in simple if item[0].id in claimed and item[3] is not None])
            failed.update(new)
            return not new

        writes = any(data is not None for _, _, _, data in simple)
        # the plans of the complex tasks follow at once: the queue's folder is fsynced with their temp files
        result = self.store.update_queue(change, known=snapshot, says_edits=True, first=first if writes else None,
                                         settle_later=bool(complex_))
        return claimed, result, unseen, [(t, d, path) for t, d, path, _ in simple if t.id not in failed]

    def set_task(self, task_id: str, status: str | None, *, only_if: str | None = None, **fields: Any) -> bool:
        """Update our fields of one queue task (under the queue's lock); False if it could not be done."""
        def edit(entry: dict[str, Any]) -> None:
            if only_if is not None and entry.get("status") != only_if:
                return
            if status is not None:
                entry["status"] = status
            entry.update(fields)

        return self.edit_task(task_id, edit)

    def edit_task(self, task_id: str, edit: Callable[[dict[str, Any]], None]) -> bool:
        """Apply ``edit`` to one queue task (under the queue's lock); False if it could not be done. A task
        it makes pending is taken by the next pass (:attr:`requeued`): our own write wakes no file event."""
        def change(snapshot: Snapshot) -> bool:
            entry = intake.find(snapshot.tasks, task_id)
            if entry is None:
                return False
            before = dict(entry)
            edit(snapshot.edit(entry))
            self.requeued = self.requeued or (entry != before and entry.get("status") == "pending")
            return entry != before

        try:
            self.store.update_queue(change, says_edits=True)
        except StoreError as exc:
            self._task_update_failed(task_id, exc)
            return False
        self._task_updated(task_id)
        self._wrote_queue()
        return True

    def _task_updated(self, task_id: str) -> None:
        self._task_update_problems.pop(task_id, None)
        self._queue_updated(_update_failed(task_id))

    def _queue_updated(self, fault: Fault) -> None:
        """A queue update that failed before (a spell this process or the events file says) went through: said
        once, so that the next failure is a new spell (and a restart during one says nothing new)."""
        self.outbox.say_cleared(fault, "write_recovered", path=str(self.layout.queue),
                                action="nothing to do: the queue was written")

    def _task_update_failed(self, task_id: str, exc: StoreError) -> None:
        """Say once per task and cause that its queue update failed. It is retried on every pass: while
        another process held the queue's lock, each pass said it again (ten lines in two seconds for one
        task in a soak; a lock held for an hour, one per pass per waiting task for the hour)."""
        known = self._task_update_problems.get(task_id)
        if known != str(exc):  # and once per spell across restarts
            self.outbox.say_fault(_update_failed(task_id), "queue_update_failed", again=known is not None,
                                  task_id=task_id, problem=str(exc), action="retried on the next tick")
        self._task_update_problems[task_id] = str(exc)

    def _given_to(self, task: QueueTask) -> str | None:
        """The master a person gave this task to (``route_to``) when it is free to be given: its plan given away
        (``orchestrator move``), or never planned. A plan running or being planned keeps its task: a writer's
        ``route_to`` there (with the task pending again) gave the whole task to a master while the plan ran."""
        master = _route_to(task)
        plan = self.registry.get(f"orch-{task.id}")
        if master is None or task.id in self.planning or (plan is not None and progress.moved_to(plan) is None):
            return None
        return master

    def _wrote_queue(self) -> None:
        """The queue no longer holds what intake last handled: a writer putting those bytes back (an old
        copy, read before our write) is a change to act on, not something already seen."""
        self._seen = None
        self._own_writes += 1

    def block(self, task: QueueTask, reason: str) -> None:
        """Mark a claimed task ``blocked`` in the queue with a reason a person can act on."""
        if self.set_task(task.id, "blocked", only_if="orchestrating", blocked_reason=reason,
                         blocked_at=iso(self.clock)):
            self.outbox.emit("task_blocked", key=_key(task.id, "blocked", _attempt(task)), task_id=task.id,
                             orchestration_id=f"orch-{task.id}", reason=reason)

    # --- orchestrations ------------------------------------------------------------------------

    def start_orchestration(self, plan: Plan) -> None:
        """Check a new plan against the folder and stage its first events.

        The supervisor then begins it: the plan is written once, handing off stage 1, and
        the subtask files are created after it (see ``supervisor.py``).
        """
        for subtask in plan.subtasks:
            path = self.layout.subtask(subtask.subtask_id)
            if not self.store.exists(path):
                continue
            existing = self.store.read_json_or_none(path)
            if not isinstance(existing, dict):
                # someone's file we cannot parse: it is never rewritten, so the subtask would be
                # announced created and handed off with a file nobody can report into
                raise PlanError([f"subtask id {subtask.subtask_id!r}: {path.name} already exists "
                                 "and is not a subtask (not a JSON object); rename or remove it, then retry"])
            if existing.get("parent_orchestration") != plan.orchestration_id:
                raise PlanError([f"subtask id {subtask.subtask_id!r} already belongs to "
                                 f"{existing.get('parent_orchestration')!r}"])
        orchestration_id = plan.orchestration_id
        self.outbox.emit("orchestration_started", key=f"{orchestration_id}:started", hold=orchestration_id,
                         orchestration_id=orchestration_id, task_id=plan.parent_task_id,
                         subtasks=len(plan.subtasks), stages=len(plan.execution_plan), planner=plan.planner,
                         masters=plan.resource_estimate.masters, confidence=plan.classification.confidence)
        for subtask in plan.subtasks:
            self.outbox.emit("subtask_created", key=f"{orchestration_id}:created:{subtask.subtask_id}",
                             hold=orchestration_id, orchestration_id=orchestration_id,
                             subtask_id=subtask.subtask_id, assigned_to=subtask.assigned_to,
                             worker_type=subtask.worker_type, stage=subtask.stage)


def _update_failed(task_id: str) -> Fault:
    """One task's queue update could not be written, until it was."""
    return Fault(f"{task_id}:update_failed", f"{task_id}:updated")


def _attempt(task: QueueTask) -> int:
    return queue_edits.attempt(task.model_extra or {})


def _route_to(task: QueueTask) -> str | None:
    """The master the task's ``route_to`` names (written by ``orchestrator move`` of a plan, or by its writer)."""
    master = normalize_master((task.model_extra or {}).get("route_to"))
    return master if master in MASTERS else None


def _given(task: QueueTask, master: str, planned: bool) -> Classification:
    """What a person decided for the task: one piece of work, for ``master``; nothing is decided again."""
    return Classification(decision="simple", master=master, confidence=1.0, domains=[master], reasons=[
        f"given to {master} as one piece of work by a person (orchestrator move); its plan orch-{task.id} was aborted"
        if planned else f"given to {master} as one piece of work by its writer (route_to)"])
