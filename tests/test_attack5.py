"""Adversarial cases, fifth round: what an operator and a long-running deployment do (a person's
retry, months of tasks coming and going, the wall clock stepping, hand edits of the queue and the
overrides, commands on a broken folder, hostile text in the web view). Each case that found a defect
says so; the fix is at its cause."""

from __future__ import annotations

from typing import Any

from orchestrator.timestamps import parse_timestamp
from test_core import ORCH, sid, started

from sim import Sim


def fail_until_escalated(sim: Sim, subtask_id: str, attempts: int) -> None:
    """Each of ``attempts`` attempts of the subtask fails (transiently), and the backoff passes."""
    for _ in range(attempts):
        n = sim.subtask(subtask_id)["attempt"]
        assert sim.report(subtask_id, "fail", reason=f"boom {n}", worker_id=f"w-{n}") is None
        sim.tick(100)  # the failure is seen
        sim.tick(100)  # the retry's backoff is over


def waited(event: dict[str, Any]) -> float:
    """How long a scheduled retry waits (its ``retry_at`` after the event's time)."""
    return (parse_timestamp(event["retry_at"]) - parse_timestamp(event["timestamp"])).total_seconds()


def person_retries(sim: Sim, subtask_id: str, name: str = "1-retry") -> None:
    sim.store.put(sim.layout.requests / f"{name}.json", {"orchestration_id": ORCH, "action": "retry",
                                                        "subtask_id": subtask_id})
    sim.run("requests")


def test_a_persons_retry_gives_the_subtask_a_fresh_set_of_attempts() -> None:
    """Defect: escalation counted every attempt the subtask ever had (``attempt >= max_attempts``), so
    after a person's ``resume --retry`` the very next transient failure (attempt 4 of 3) escalated at
    once: the person's decision bought one attempt, with no retry, where it should buy a fresh set."""
    sim = started()
    fail_until_escalated(sim, sid("design"), 3)
    assert sim.plan(ORCH)["status"] == "blocked"
    person_retries(sim, sid("design"))
    assert sim.subtask(sid("design"))["attempt"] == 4
    fail_until_escalated(sim, sid("design"), 2)  # attempts 4 and 5 fail: each is retried
    assert sim.plan(ORCH)["status"] == "in_progress"
    assert len(sim.events("orchestration_blocked")) == 1
    retried = sim.events("subtask_retry_scheduled", subtask_id=sid("design"))
    assert len(retried) == 4  # after attempts 1, 2, 4 and 5
    # the backoff starts again from its base too: attempt 4's retry waits as attempt 1's did
    assert [waited(e) for e in retried] == [10, 20, 10, 20]
    assert "(3 of 3 since a person's retry)" in sim.subtask(sid("design"))["retry_modifications"]
    fail_until_escalated(sim, sid("design"), 1)  # attempt 6: the third of the fresh set
    assert sim.plan(ORCH)["status"] == "blocked"
    assert len(sim.events("orchestration_blocked")) == 2
    assert "failed 3 times since" in sim.plan(ORCH)["failure_reason"]


def test_a_retry_waits_its_backoff_in_real_time_when_the_wall_clock_steps_forward() -> None:
    """Defect: a retry's backoff was measured on the wall clock (its ``retry_at``, rebased across the
    forward steps the monitor saw, which only moves times written *before* a step): NTP setting the
    clock an hour forward one second after a failure handed the retry off at once, nine seconds early,
    to a master whose worker had just failed. Inside one run the backoff is measured on the monotonic
    clock; ``retry_at`` (what a restart has) decides only for a retry scheduled before it."""
    sim = started()
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(0)
    assert sim.subtask(sid("design"))["status"] == "retry_wait"  # a 10 s backoff
    sim.tick(1)
    sim.clock.jump(3600)
    sim.tick(0)
    sim.tick(1)
    assert sim.subtask(sid("design"))["attempt"] == 1  # 2 s of the 10 have passed
    sim.tick(8.5)
    assert sim.subtask(sid("design"))["attempt"] == 2


def test_a_retry_scheduled_before_a_restart_is_due_by_its_retry_at() -> None:
    sim = started()
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(0)
    sim.clock.advance(5)
    sim = sim.restart()
    assert sim.subtask(sid("design"))["attempt"] == 1
    sim.tick(5.5)
    assert sim.subtask(sid("design"))["attempt"] == 2


def test_a_persons_retry_of_a_subtask_waiting_for_its_backoff_is_handed_off_at_once() -> None:
    sim = started(config={"retry": {"backoff_base_seconds": 600, "backoff_max_seconds": 600, "jitter": 0.0}})
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(0)
    assert sim.subtask(sid("design"))["status"] == "retry_wait"
    person_retries(sim, sid("design"))
    assert sim.subtask(sid("design"))["attempt"] == 2
    assert sim.subtask(sid("design"))["status"] == "assigned"
