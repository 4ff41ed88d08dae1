"""Which queue entries the orchestrator takes, what it tells a person about the ones it skips, and the
queue fields it writes when it takes one (the fields the masters and the dashboard read). Pure."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import intake
from orchestrator.intake import Problem
from orchestrator.models import Classification
from test_liveness import _plan


def pending(task_id: Any, title: str = "Fix the login page", **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "title": title, "status": "pending", **fields}


def test_every_kind_of_bad_entry_is_named_and_the_good_tasks_around_it_are_still_taken() -> None:
    long_id = "x" * 101
    queue: list[Any] = [
        "just a string",
        pending(None),
        pending("   "),
        pending(long_id),
        pending("../etc"),
        pending("twice"),
        pending("twice", "the other one"),
        pending("bad-fields", priority=["high"]),
        pending("empty", ""),
        pending("ok"),
    ]
    chosen, problems = intake.select(queue)
    assert [t.id for t in chosen] == ["ok"]
    anonymous = [p.key for p in problems if p.task_id is None]
    assert problems == [
        Problem(anonymous[0], None, "queue entry 0 is str, not a task object"),
        Problem(anonymous[1], None, "queue entry 1 has no id"),
        Problem("   ", None, "queue entry 2 has no id"),
        Problem(long_id, "x" * 40 + "...",
                "id is 101 characters long (at most 100: file names are made from it); give the task a shorter id"),
        Problem("../etc", "../etc", "id is not a safe file name (letters, digits, '.', '_', '-'; no '/' or '..')"),
        Problem("twice", "twice", "id appears 2 times in the queue; fix the duplicate first"),
        Problem("twice", "twice", "id appears 2 times in the queue; fix the duplicate first"),
        Problem("bad-fields", "bad-fields", "invalid fields: priority: Input should be a valid string"),
        Problem("empty", "empty", "has neither a title nor a description"),
    ]
    # a person is shown the task id, or where the entry is in the queue
    assert [p.name for p in problems[:3]] == ["#0", "#1", "   "]


def test_an_id_of_exactly_the_longest_length_is_taken() -> None:
    chosen, problems = intake.select([pending("x" * 100)])
    assert [t.id for t in chosen] == ["x" * 100] and problems == []


def test_an_entry_without_an_id_is_told_apart_by_its_content_and_place() -> None:
    """The same bad entry is one problem (reported once); a different one is a new problem."""
    first = intake.select([pending(None, "one")])[1][0]
    again = intake.select([pending(None, "one")])[1][0]
    other = intake.select([pending(None, "two")])[1][0]
    moved = intake.select([pending("ok"), pending(None, "one")])[1][0]
    assert first.key == again.key
    assert len({first.key, other.key, moved.key}) == 3
    assert first.key.startswith("#0:") and moved.key.startswith("#1:")
    junk = [intake.select([entry])[1][0].key for entry in ("text", 42, ["a list"])]
    assert len(set(junk)) == 3 and all(key.startswith("#0:") for key in junk)


def test_an_id_that_is_not_text_is_no_id() -> None:
    problems = intake.select([pending(42), pending(["a"])])[1]
    assert [(p.task_id, p.name, p.problem) for p in problems] == [
        (None, "#0", "queue entry 0 has no id"), (None, "#1", "queue entry 1 has no id")]


def test_an_id_shared_with_a_finished_task_is_a_duplicate() -> None:
    queue = [{"id": "t1", "title": "Old", "status": "completed"}, pending("t1")]
    chosen, problems = intake.select(queue)
    assert chosen == [] and [p.problem for p in problems] == ["id appears 2 times in the queue; fix the duplicate first"]


def test_only_pending_tasks_no_master_owns_are_taken() -> None:
    queue: list[Any] = [
        pending("owned", assigned_to="development-master"),
        {"id": "running", "title": "T", "status": "in_progress"},
        {"id": "no-status", "title": "T"},
        {"id": "odd-status", "title": "T", "status": 3},
        pending("shouty", status=" PENDING\n"),
        pending("described", "", description="Rotate the API keys"),
        pending("unowned", assigned_to=""),
    ]
    chosen, problems = intake.select(queue)
    assert [t.id for t in chosen] == ["shouty", "described", "unowned"]
    assert problems == []
    assert intake.pending_ids(queue) == {"shouty", "described", "unowned"}


def test_pending_ids_count_bad_entries_too_but_not_owned_or_other_ones() -> None:
    queue: list[Any] = ["junk", pending(None), pending("../x"), pending("mine", assigned_to="security"),
                        {"id": "done", "status": "completed"}]
    assert intake.pending_ids(queue) == {None, "../x"}


def test_a_task_is_claimed_only_while_it_is_still_pending_and_unowned() -> None:
    queue: list[Any] = ["junk", pending("a"), pending("b", assigned_to="development"),
                        {"id": "c", "status": "cancelled"}]
    claimable = intake.pending_index(queue)
    assert claimable.get("a") is queue[1]
    assert claimable.get("b") is None  # a master took it in the meantime
    assert claimable.get("c") is None
    assert claimable.get("gone") is None
    assert intake.find(queue, "c") is queue[3]
    assert intake.find(queue, "gone") is None


DECISION = Classification(decision="simple", master="security", confidence=0.75, reasons=["mentions a CVE"])


def test_a_routed_task_says_who_has_it_since_when_why_and_where_its_handoff_is() -> None:
    entry = pending("t1", note="kept")
    intake.mark_assigned(entry, DECISION, "masters/security/handoffs/t1.json", "2025-11-05T18:00:00.000Z")
    assert entry == {"id": "t1", "title": "Fix the login page", "note": "kept", "status": "assigned",
                     "assigned_to": "security", "routed_to": "security", "assigned_at": "2025-11-05T18:00:00.000Z",
                     "assigned_by": "orchestrator", "handoff_file": "masters/security/handoffs/t1.json",
                     "routing_confidence": 0.75, "routing_reasons": ["mentions a CVE"],
                     "routing_strategy": "orchestrator-simple"}


def test_a_claimed_task_names_its_orchestration() -> None:
    entry = pending("t2")
    decision = DECISION.model_copy(update={"decision": "complex", "master": None})
    intake.mark_orchestrating(entry, decision, "orch-t2", "2025-11-05T18:00:00.000Z")
    assert entry == {"id": "t2", "title": "Fix the login page", "status": "orchestrating",
                     "orchestration_id": "orch-t2", "orchestration_started_at": "2025-11-05T18:00:00.000Z",
                     "assigned_by": "orchestrator", "routing_confidence": 0.75,
                     "routing_reasons": ["mentions a CVE"], "routing_strategy": "orchestrator-complex"}


def test_a_blocked_task_says_why_and_since_when() -> None:
    entry = pending("t3")
    intake.mark_blocked(entry, "no plan: the description is empty", "2025-11-05T18:00:00.000Z")
    assert entry == {"id": "t3", "title": "Fix the login page", "status": "blocked",
                     "blocked_reason": "no plan: the description is empty", "blocked_at": "2025-11-05T18:00:00.000Z"}


@pytest.mark.parametrize(("plan_status", "queue_status"),
                         [("completed", "completed"), ("blocked", "blocked"), ("aborted", "cancelled"),
                          ("in_progress", "orchestrating")])
def test_the_end_of_an_orchestration_is_put_back_on_an_old_copy_of_its_task(plan_status: str,
                                                                              queue_status: str) -> None:
    plan = _plan({}, status=plan_status)
    if plan_status == "blocked":
        plan.blocking_subtask, plan.failure_reason = "b", "disk full"
    if plan_status == "completed":
        plan.report = "orchestrator/reports/orch-t.md"
    entry = {"id": "t", "status": "orchestrating", "other": 1}
    intake.mark_outcome(entry, plan)
    expected: dict[str, Any] = {"id": "t", "status": queue_status, "other": 1}
    if plan_status == "blocked":
        expected["blocked_reason"] = "b: disk full"
    if plan_status == "completed":
        expected["report"] = "orchestrator/reports/orch-t.md"
    assert entry == expected


def _entry(rng: Any, n: int) -> Any:
    kind = rng.randint(0, 9)
    if kind == 0:
        return rng.choice([3, "text", None, ["a"]])  # not a task object
    if kind == 1:
        return {"title": "no id", "status": "pending"}
    fields: dict[str, Any] = {"id": f"t-{rng.randint(0, n)}", "title": rng.choice(["Fix the login page", "", " "]),
                              "status": rng.choice(["pending", "completed", " Pending ", "assigned"])}
    if rng.random() < 0.2:
        fields["assigned_to"] = rng.choice(["security", "nobody", ""])
    return fields


@pytest.mark.parametrize("seed", range(30))
def test_the_task_index_answers_as_a_walk_of_the_whole_queue(seed: int) -> None:
    """Lists as reads make them (the same object for an unchanged task, new ones for the rest),
    edited at random: what the index has the intake look at gives what a full walk gives."""
    import random

    rng = random.Random(seed)
    index = intake.TaskIndex()
    tasks: list[Any] = [_entry(rng, 20) for _ in range(rng.randint(0, 30))]
    for _ in range(40):
        tasks = list(tasks)
        step = rng.randint(0, 7)
        if step <= 1 or not tasks:
            tasks.append(_entry(rng, 20))
        elif step == 2:
            tasks[rng.randrange(len(tasks))] = _entry(rng, 20)  # an edit: a new dict in its place
        elif step == 3:
            tasks.pop(rng.randrange(len(tasks)))
        elif step == 4:
            rng.shuffle(tasks)
        elif step == 5:
            tasks.insert(rng.randrange(len(tasks) + 1), _entry(rng, 20))
        elif step == 6:
            tasks.append(tasks[rng.randrange(len(tasks))])  # the same object twice: no read does it
        else:
            index.expired = rng.random() < 0.5
        changes = index.update(tasks)
        chosen, problems = intake.select_from(index.to_select(tasks, changes), index.ids)
        want_chosen, want_problems = intake.select(tasks)
        assert [t.id for t in chosen] == [t.id for t in want_chosen] and problems == want_problems
        assert index.pending_ids() == intake.pending_ids(tasks) and index.ids == intake.task_ids(tasks)
