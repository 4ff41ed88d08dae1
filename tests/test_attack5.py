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
