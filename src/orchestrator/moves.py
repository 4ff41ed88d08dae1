"""Following a person's move of a task this daemon routed (``orchestrator move``, or ``assigned_to`` edited by hand).

The first master's handoff is withdrawn (if nobody took it yet), the chosen master gets one, the queue's
``handoff_file`` follows and the move is announced once. Each write is idempotent and ordered so that a
crash between two is finished on the next pass: the new handoff first, then the old one's ``handed_on``
mark (from then on the task is the chosen master's), then the queue. A queue that lost the move (an
unlocked writer's old copy) is put right from the handoffs' marks (:meth:`Moves._handed_to`).

A task a person moves to a plan (``orchestration_required``) has its handoff withdrawn the same way, then becomes
``pending`` as its next attempt, which intake plans. An ``assigned_to`` that names no master is said, not followed.

Also the withdrawal of a task's handoffs (a cancel, a retry's earlier attempts), which a move shares.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from orchestrator import handoffs, intake, queue_edits
from orchestrator.clock import Clock, iso
from orchestrator.models import MASTERS, Classification, QueueTask, normalize_master
from orchestrator.outbox import Outbox
from orchestrator.store import Store, StoreError
from orchestrator.timestamps import parse_timestamp


class QueueWriter(Protocol):
    """The engine's locked edits of one queue task."""

    def set_task(self, task_id: str, status: str | None, *, only_if: str | None = None, **fields: Any) -> bool: ...

    def edit_task(self, task_id: str, edit: Callable[[dict[str, Any]], None]) -> bool: ...


def event_key(task_id: str, what: str, attempt: int) -> str:
    """A simple task's stable event id; a retried task's later attempts have their own."""
    return f"{task_id}:{what}" + (f":{attempt}" if attempt > 1 else "")


_key = event_key


def handoff_failed(outbox: Outbox, problems: dict[str, str], task_id: str, master: str | None, exc: StoreError) -> None:
    """Said once per cause (kept in ``problems``), not on every retry."""
    if problems.get(task_id) != str(exc):
        outbox.emit("handoff_failed", task_id=task_id, master=master, problem=str(exc),
                    action="retried until it can be written")
    problems[task_id] = str(exc)


PLAN_REASON = "a person moved the task to a plan"
"""Why a handoff was withdrawn when a person said its task needs a plan (not a move to a master: ``moved_away``
does not read it, so no move back offers it again; the task's next attempt is the plan)."""


def moved_to_a_plan(entry: Any) -> tuple[str, str] | None:
    """A task this daemon routed (the queue names its handoff) that a person says needs a plan
    (:func:`queue_edits.wants_a_plan`), still ``assigned`` or set back to ``pending`` by hand: its handoff's path and
    master. None for anything else, and once the move came too late (``move_not_followed``)."""
    held = intake.handoff_named(entry)
    if (held is None or entry.get("status") not in ("assigned", "pending") or not queue_edits.wants_a_plan(entry)
            or entry.get("move_not_followed") == queue_edits.PLAN):
        return None
    return held


def unknown_master(entry: Any) -> tuple[str, str] | None:
    """An ``assigned`` task this daemon routed whose ``assigned_to`` a person changed to a name that is no master
    (``"infrastructure"``, ``"dev"``): that name and the master whose handoff the queue names. None otherwise."""
    held = intake.handoff_named(entry)
    if held is None or entry.get("status") != "assigned":
        return None
    value = entry.get("assigned_to")
    if not isinstance(value, str) or normalize_master(value) in MASTERS or entry.get("move_not_followed") == value:
        return None  # (or said before: the queue keeps that, as the events read at start may have rotated away)
    return value, held[1]


def moved_to_plan(task: QueueTask, decision: Classification) -> Classification:
    """The decision to plan a task a person moved to a plan says so first (the plan's reasons, ``explain``)."""
    extra = task.model_extra or {}
    was = queue_edits.planned_instead_of({**extra, "orchestration_required": task.orchestration_required})
    if was is None or decision.decision != "complex":
        return decision
    by = extra.get("moved_by")
    return decision.model_copy(update={"reasons": [
        f"moved to a plan by {by if isinstance(by, str) and by else 'a person'}; the orchestrator had routed it to {was}",
        *decision.reasons]})


class Moves:
    """The moves of one coordination folder's routed tasks, and what is remembered of them between passes."""

    def __init__(self, store: Store, outbox: Outbox, clock: Clock, queue: QueueWriter) -> None:
        self.store = store
        self.layout = store.layout
        self.outbox = outbox
        self.clock = clock
        self.queue = queue
        # the handoff each routed task's entry names, as this run wrote it or read it not handed on: an entry that
        # changed and still names it needs no read to know an old copy did not put back one handed on
        self.named: dict[str, str] = {}
        self.problems: dict[str, str] = {}  # a move that could not be followed, said (once per cause)
        self._unwithdrawn: dict[Path, tuple[str, str, int, str]] = {}  # handoff -> problem, task, attempt, reason

    @property
    def unwithdrawn(self) -> bool:
        """Some handoff could not be withdrawn yet (:meth:`withdraw_again`)."""
        return bool(self._unwithdrawn)

    def forget(self, present: Callable[[str], bool]) -> None:
        """Forget the tasks no longer in the queue."""
        self.named = {task_id: path for task_id, path in self.named.items() if present(task_id)}
        self.problems = {task_id: why for task_id, why in self.problems.items() if present(task_id)}

    def announce_moved(self, entry: dict[str, Any]) -> None:
        path = self.layout.root / entry["handoff_file"]
        handoff = self.store.read_json_or_none(path)
        if isinstance(handoff, dict) and not handoffs.moved_away(handoff):
            self.named[entry["id"]] = entry["handoff_file"]  # (the first pass's look at every entry reads it no more)
        self._announce_unannounced_move(entry["id"], queue_edits.attempt(entry), path, handoff)
        if entry.get("move_not_followed"):
            self._announce_not_followed(entry, handoff)

    def announce_withdrawn_to_plan(self, entry: dict[str, Any]) -> None:
        """A task moved to a plan (its last attempt ended :data:`queue_edits.MOVED_TO_PLAN`) whose queue write landed
        and a crash kept the withdrawal's event from the file: the restart found it pending with no handoff named, and
        its master was never told why the handoff went. Read at start only, for such tasks."""
        was = queue_edits.planned_instead_of(entry)
        last = entry["previous_attempts"][-1] if was is not None else None
        n = last.get("attempt") if isinstance(last, dict) else None
        if not (isinstance(last, dict) and isinstance(n, int) and isinstance(entry.get("id"), str)):
            return
        task_id = entry["id"]
        # the handoff the attempt named, read only if it is this attempt's at a master (the queue is anyone's to write)
        named = next((path for path in (self.layout.task_handoff(m, task_id, n) for m in MASTERS)
                      if self.layout.rel(path) == last.get("handoff_file")), None)
        if named is None:
            return
        path, data = self._handed_to(task_id, n, named, self.store.read_json_or_none(named))
        if (isinstance(data, dict) and data.get("status") == "cancelled" and data.get("cancelled_reason") == PLAN_REASON
                and self.outbox.unannounced_if_missing(parse_timestamp(data.get("cancelled_at")))):
            self.outbox.emit("handoff_withdrawn", key=_key(task_id, "withdrawn", n), task_id=task_id,
                             master=path.parent.parent.name, attempt=n, reason=PLAN_REASON, path=self.layout.rel(path),
                             recovered=True)

    def _announce_unannounced_move(self, task_id: str, n: int, path: Path, handoff: Any) -> None:
        """The move that wrote the handoff at ``path`` (``moved_from``), if a crash kept its event from the file."""
        made = parse_timestamp(handoffs.offered_at(handoff)) if isinstance(handoff, dict) else None
        if self.outbox.unannounced_if_missing(made) and isinstance(handoff, dict) and handoff.get(
                "moved_from") in MASTERS:
            first = self.layout.task_handoff(handoff["moved_from"], task_id, n)
            self._announce_move(task_id, n, path, handoff, self.layout.rel(first), True)

    def follow(self, tasks: list[Any]) -> None:
        """A person moved a task we routed to another master (``assigned_to``) before its master took it:
        its handoff moves with it. The first master's handoff is withdrawn and the chosen master gets one
        (the same task and attempt; a handoff the chosen master had before, withdrawn when the task was
        moved away, is offered again); the queue's ``handoff_file`` follows. Left ``pending``, the first
        master's consumer started the work the person had just given to someone else, and the chosen
        master never saw it. A handoff already taken is left alone: the move came too late for it.

        Each step is idempotent (a crash between two is finished on the next pass)."""
        for entry in tasks:
            if (planned := moved_to_a_plan(entry)) is not None:
                self._follow_to_plan(entry["id"], queue_edits.attempt(entry), str(entry.get("status")), *planned,
                                     planned_before=queue_edits.was_planned(entry))
                continue
            if (unknown := unknown_master(entry)) is not None:
                self._not_a_master(entry["id"], queue_edits.attempt(entry), *unknown)
                continue
            moved = intake.moved_by_a_person(entry)
            if moved is not None:
                self._follow_move(entry["id"], queue_edits.attempt(entry), *moved)
            else:
                if self.problems and isinstance(entry, dict):  # cancelled, moved back: nothing left to retry
                    self.problems.pop(str(entry.get("id")), None)
                if (held := intake.routed_handoff(entry)) is not None and self.named.get(entry["id"]) != held[0]:
                    self._follow_handed_on(entry["id"], queue_edits.attempt(entry), *held)

    def _handed_to(self, task_id: str, n: int, path: Path, data: Any) -> tuple[Path, Any]:
        """Where the moves followed from the handoff at ``path`` (``data``) took the task: the handoff last handed on
        to (and its data: None if its master removed it), or ``path`` itself. A mark counts only as what a move
        writes, this attempt's handoff at the master its withdrawal names: it is read from a file its master (or
        anyone) can write, and a mark naming anything else (out of the folder, another task's) is not followed."""
        seen = {path}
        for _ in MASTERS:  # a chain is no longer than the masters; a forged loop ends too
            following = next((self.layout.task_handoff(m, task_id, n) for m in MASTERS if handoffs.handed_on(
                data, handoffs.move_reason(m)) == self.layout.rel(self.layout.task_handoff(m, task_id, n))), None)
            if following is None or following in seen:
                break
            seen.add(following)
            path, data = following, self.store.read_json_or_none(following)
        return path, data

    def announce_handed_on(self, task_id: str, n: int, path: Path) -> None:
        """A move followed just before a cancel landed under the queue's write, and a crash kept its event from the
        file: the restart announces moves of ``assigned`` tasks only, and the moved handoff's creation and the first
        one's withdrawal were never said. Read once per cancel acted on."""
        data = self.store.read_json_or_none(path)
        if not (isinstance(data, dict) and handoffs.moved_away(data)):
            return
        live, handoff = self._handed_to(task_id, n, path, data)
        if live != path:
            self._announce_unannounced_move(task_id, n, live, handoff)

    def _follow_handed_on(self, task_id: str, n: int, handoff_file: str, master: str) -> None:
        """The queue names a handoff we withdrew for a move that was followed, and its master: an unlocked writer's
        old copy put back the entry of before the move. Left so, the queue named a master who is not doing the work,
        and the person's next move started from it ("had taken the handoff already"). The queue names the master
        the task was handed on to again."""
        old = self.layout.root / handoff_file
        try:
            data = self.store.read_json_or_none(old)
            if not (isinstance(data, dict) and handoffs.moved_away(data)):
                self.named[task_id] = handoff_file
                return
            live, _ = self._handed_to(task_id, n, old, data)
            if live == old:
                # withdrawn for a move never followed (the chosen master's path broken, or a crash and the daemon
                # down), and the task is back with this master: left so, nobody had the work
                if self.store.update_json(old, lambda current: handoffs.offer_again(current, None, iso(self.clock)),
                                          create=False).get("status") == "pending":
                    self.named[task_id] = handoff_file
                    self.outbox.emit("claim_restored", task_id=task_id, problem=f"{handoff_file} was withdrawn for a "
                                     f"move ({data.get('cancelled_reason')}) not followed, and the task is {master}'s",
                                     action=f"offered to {master} again")
                return
            to, changed = live.parent.parent.name, False

            def put_right(entry: dict[str, Any]) -> None:
                nonlocal changed
                if (entry.get("status") == "assigned" and entry.get("handoff_file") == handoff_file
                        and normalize_master(entry.get("assigned_to")) == master):
                    entry.update(assigned_to=to, handoff_file=self.layout.rel(live))
                    changed = True

            if not self.queue.edit_task(task_id, put_right) or not changed:
                return
            self.named[task_id] = self.layout.rel(live)
        except StoreError as exc:
            handoff_failed(self.outbox, self.problems, task_id, master, exc)
            return
        self.outbox.emit("claim_restored", task_id=task_id,
                         problem=f"the queue named {handoff_file} again, withdrawn when the task was moved to {to}",
                         action=f"{to}'s handoff named again ({self.layout.rel(live)}); a writer overwrote the queue "
                                "without the lock")

    def _follow_move(self, task_id: str, n: int, handoff_file: str, was: str, chosen: str) -> None:
        reason = handoffs.move_reason(chosen)
        self.named.pop(task_id, None)  # (the handoff it names is being withdrawn)
        old = self.layout.root / handoff_file
        new = self.layout.task_handoff(chosen, task_id, n)
        try:
            data = self.store.read_json_or_none(old)
            if not isinstance(data, dict):
                return
            live, live_data = self._handed_to(task_id, n, old, data)
            if live not in (old, new):
                # followed before to another master, and the queue lost it (an old copy put back): the move starts from
                # the master that has the task (one that took it and removed it keeps it)
                if not isinstance(live_data, dict):
                    return
                old, data, was, handoff_file = live, live_data, live.parent.parent.name, self.layout.rel(live)
            if live == new:
                # followed before; the queue lost it (an old copy put back): only the queue follows again. Writing the
                # new handoff again would give its master work it took, and perhaps removed, a second time. (Or a crash
                # came before the queue followed: announced then, once, if its master has not removed it yet.)
                if self.queue.set_task(task_id, None, only_if="assigned", handoff_file=self.layout.rel(new)):
                    self.named[task_id] = self.layout.rel(new)
                    self._announce_move(task_id, n, new, self.store.read_json_or_none(new), handoff_file)
                return
            withdrawn = self._withdraw_one(old, reason)
            if not withdrawn and not (data.get("status") == "cancelled" and data.get("cancelled_reason") == reason):
                # taken by its master already: the move came too late for this attempt, and the queue now names a
                # master who is not doing it; said, so the person knows (it stayed silent). The queue keeps that it was
                # said (``move_not_followed``): the move stays in the queue for good, and the events read at start may
                # no longer hold the first saying (a rotation), which said it again under the same id
                if not self.queue.set_task(task_id, None, only_if="assigned", move_not_followed=chosen):
                    return
                self._say_too_late(task_id, n, was, chosen, data.get("status"))
                return
            offered = handoffs.moved(data, chosen, handoffs.task_handoff_id(chosen, task_id, n), iso(self.clock))
            if not self.store.create_json(new, offered):
                self.store.update_json(new, lambda current: handoffs.offer_again(current, was, iso(self.clock)))
            # the old handoff says the new one was written: from now on it is its master's (see above)
            self.store.update_json(old, lambda current: handoffs.mark_handed_on(current, reason, self.layout.rel(new)),
                                   create=False)
            if not self.queue.set_task(task_id, None, only_if="assigned", handoff_file=self.layout.rel(new)):
                return
            self.named[task_id] = self.layout.rel(new)
        except StoreError as exc:
            handoff_failed(self.outbox, self.problems, task_id, chosen, exc)
            return
        self.problems.pop(task_id, None)
        self._announce_move(task_id, n, new, self.store.read_json_or_none(new), handoff_file)

    def _follow_to_plan(self, task_id: str, n: int, status: str, handoff_file: str, was: str, *,
                        planned_before: bool) -> None:
        """A task routed to ``was`` that a person says needs a plan: its handoff is withdrawn, then the queue makes it
        ``pending`` as its next attempt (:func:`queue_edits.to_plan`), which intake plans as any task that requires
        one, and the next pass learns the person's word (``routing_corrected``, master "a plan"). As a move between
        masters: a handoff its master took already stays with it (``handoff_not_moved`` once, ``move_not_followed``
        kept in the queue); a crash between the two writes finds the handoff withdrawn for this reason and goes on."""
        self.named.pop(task_id, None)
        old = self.layout.root / handoff_file
        if planned_before:  # by hand: the command refuses it
            self.outbox.emit("handoff_not_moved", key=_key(task_id, f"not-moved:{queue_edits.PLAN}", n), task_id=task_id,
                             master=was, moved_to=queue_edits.PLAN, problem=queue_edits.PLANNED_BEFORE,
                             action=f"the task stays with {was}")
            return
        try:
            data = self.store.read_json_or_none(old)
            if not isinstance(data, dict):
                return
            live, live_data = self._handed_to(task_id, n, old, data)
            if live != old:  # moved on to another master, and the queue lost it: that master's handoff is withdrawn
                if not isinstance(live_data, dict):
                    return
                old, data, was = live, live_data, live.parent.parent.name
            withdrawn = self._withdraw_one(old, PLAN_REASON)
            if not withdrawn and not (data.get("status") == "cancelled" and data.get("cancelled_reason") == PLAN_REASON):
                # (set back to pending by hand: assigned again, as it is its master's)
                if not self.queue.set_task(task_id, "assigned", only_if=status, move_not_followed=queue_edits.PLAN):
                    return
                self._say_too_late(task_id, n, was, queue_edits.PLAN, data.get("status"))
                return
            now = iso(self.clock)

            def planned(entry: dict[str, Any]) -> None:
                queue_edits.to_plan(entry, handoff_file, now)

            if not self.queue.edit_task(task_id, planned):
                return
        except StoreError as exc:
            handoff_failed(self.outbox, self.problems, task_id, was, exc)
            return
        self.problems.pop(task_id, None)
        self.outbox.emit("handoff_withdrawn", key=_key(task_id, "withdrawn", n), task_id=task_id, master=was, attempt=n,
                         reason=PLAN_REASON, path=self.layout.rel(old))

    def _say_too_late(self, task_id: str, n: int, was: str, chosen: str, status: Any) -> None:
        """A move (to ``chosen``: a master, or a plan) that came after ``was`` took the handoff (``status``)."""
        again = ("submit it again with --orchestrate" if chosen == queue_edits.PLAN else f"give it to {chosen} anew")
        self.outbox.emit("handoff_not_moved", key=_key(task_id, f"not-moved:{chosen}", n), task_id=task_id, master=was,
                         moved_to=chosen, status=status, problem=f"{was} had taken the handoff already ({status})",
                         action=f"{was} does the work; stop it through {was}, or cancel the task and {again}")

    def _announce_not_followed(self, entry: dict[str, Any], handoff: Any) -> None:
        """A move too late whose mark (``move_not_followed``) reached the queue and a crash kept its event from the
        file: the mark stops the move from being looked at again, so it was never said. Said when the events read at
        start reach back to the person's move (``moved_at``; a move by hand has none, and stays unsaid)."""
        chosen, held = entry.get("move_not_followed"), intake.handoff_named(entry)
        if (held is not None and (chosen in MASTERS or chosen == queue_edits.PLAN) and isinstance(handoff, dict)
                and self.outbox.unannounced_if_missing(parse_timestamp(entry.get("moved_at")))):
            self._say_too_late(entry["id"], queue_edits.attempt(entry), held[1], str(chosen), handoff.get("status"))

    def _not_a_master(self, task_id: str, n: int, value: str, master: str) -> None:
        """``assigned_to`` changed to a name that is no master: said once (it was ignored silently), the task left
        with ``master``; the person's next edit is followed. The queue keeps that it was said (``move_not_followed``,
        as a move too late): an id said before the events file rotated was said again at the next start."""
        plan = value.strip().lower() in (queue_edits.PLAN, "a plan", "orchestrator", "orchestrate")
        if not self.queue.set_task(task_id, None, only_if="assigned", move_not_followed=value):
            return
        # (no event id: the same name written again after another is a new edit, said again; the queue's mark says it once)
        self.outbox.emit("handoff_not_moved", task_id=task_id, master=master, attempt=n if n > 1 else None,
                         moved_to=value, problem=f"{value!r} is not a master ({', '.join(MASTERS)})",
                         action=f"the task stays with {master}: " + (
                             f"to have it planned, orchestrator move {task_id} plan (or orchestration_required: true)"
                             if plan else f"set assigned_to to one of them, or orchestrator move {task_id} MASTER"))

    def _announce_move(self, task_id: str, n: int, path: Path, handoff: Any, withdrawn: str | None,
                       recovered: bool | None = None) -> None:
        """One ``handoff_created`` for a moved task's handoff, with ``moved_from`` and the handoff it
        ``withdrew``; its id names the handoff's time, so a restart announces a move a crash kept from
        the file (``Engine._announce_assignments``) once, and a later move to the same master again."""
        if not isinstance(handoff, dict):
            return
        master = handoff.get("to")
        self.outbox.emit("handoff_created", key=_key(task_id, f"moved:{master}:{handoffs.offered_at(handoff)}", n),
                         task_id=task_id, master=master, path=self.layout.rel(path), attempt=n if n > 1 else None,
                         handoff_id=handoff.get("handoff_id"), moved_from=handoff.get("moved_from"),
                         withdrawn=withdrawn, recovered=recovered)

    def withdraw(self, task_id: str, attempts: range, reason: str) -> list[str]:
        """Mark the task's handoffs of ``attempts`` that are still ``pending`` as ``cancelled``; their paths.

        One that cannot be written (a full disk) is said once and tried again at every intake
        (:meth:`withdraw_again`): left ``pending``, its master would start the cancelled work."""
        withdrawn = []
        for master in MASTERS:
            for n in attempts:
                path = self.layout.task_handoff(master, task_id, n)
                try:
                    changed = self._withdraw_one(path, reason)
                except StoreError as exc:
                    if self._unwithdrawn.get(path, (None,))[0] != str(exc):
                        self.outbox.emit("handoff_failed", task_id=task_id, master=master, problem=str(exc),
                                         action="not withdrawn yet; tried again on the next pass")
                    self._unwithdrawn[path] = (str(exc), task_id, n, reason)
                    continue
                self._unwithdrawn.pop(path, None)
                if changed:
                    withdrawn.append(self.layout.rel(path))
                    self.outbox.emit("handoff_withdrawn", key=_key(task_id, "withdrawn", n), task_id=task_id,
                                     master=master, attempt=n, reason=reason, path=self.layout.rel(path))
        return withdrawn

    def _withdraw_one(self, path: Path, reason: str) -> bool:
        """Withdraw the handoff at ``path`` if it is there and nobody took it yet; True if it was."""
        changed = False

        def cancel(data: dict[str, Any]) -> None:
            nonlocal changed
            changed = handoffs.withdraw_to_announce(data, reason, iso(self.clock), self.outbox.knows_since)

        if self.store.exists(path):
            self.store.update_json(path, cancel, create=False)
        return changed

    def withdraw_again(self) -> None:
        """Withdraw the handoffs an earlier pass could not write."""
        for _, task_id, n, reason in list(self._unwithdrawn.values()):
            self.withdraw(task_id, range(n, n + 1), reason)
