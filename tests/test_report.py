"""The completion report tells what happened: a scripted orchestration, in-process, and its report."""

from __future__ import annotations

from typing import Any

from orchestrator import report
from orchestrator.models import Plan

from sim import SUBTASKS, Sim, task

ORCH = "orch-w"


def sid(name: str) -> str:
    return f"{ORCH}-{name}"


def complete(sim: Sim, name: str, worker: str, seconds: float) -> None:
    sim.report(sid(name), "start", worker_id=worker)
    sim.run(("subtask", sid(name)))
    sim.clock.advance(seconds)
    sim.report(sid(name), "complete", result=f"{name} done")
    sim.run(("subtask", sid(name)))


def troubled() -> Sim:
    """design ok | backend's worker dies, its retry completes; frontend ok (slow) | audit fails three
    times, is escalated, and an operator's retry completes it."""
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    sim.clock.advance(5)
    complete(sim, "design", "w-design", 60)                  # stage 1: 18:00:00 - 18:01:05
    sim.processes.states[4242] = "running"                    # stage 2 handed off at 18:01:05
    sim.report(sid("backend"), "start", worker_id="w-back-1", pid=4242)
    sim.run(("subtask", sid("backend")))
    sim.report(sid("frontend"), "start", worker_id="w-front")
    sim.run(("subtask", sid("frontend")))
    sim.processes.states[4242] = "gone"                       # killed
    sim.tick(20)                                              # seen at 18:01:25, retry at +10 s
    sim.tick(10)                                              # attempt 2 handed off at 18:01:35
    complete(sim, "backend", "w-back-2", 30)                  # done 18:02:05
    sim.clock.advance(100)
    sim.report(sid("frontend"), "complete", result="frontend done")
    sim.run(("subtask", sid("frontend")))                     # done 18:03:45: the stage's last
    for attempt in (1, 2, 3):
        sim.report(sid("audit"), "fail", reason=f"scanner crashed {attempt}", worker_id=f"w-audit-{attempt}")
        sim.tick(1)
        sim.tick(60)
    assert sim.plan(ORCH)["status"] == "blocked"
    sim.clock.advance(300)                                    # a person looks at it
    sim.store.put(sim.layout.requests / "1-r.json", {"orchestration_id": ORCH, "action": "retry",
                                                      "subtask_id": sid("audit"), "requested_by": "alice"})
    sim.run("requests")
    complete(sim, "audit", "w-audit-4", 40)
    assert sim.plan(ORCH)["status"] == "completed"
    return sim


def built(sim: Sim) -> dict[str, Any]:
    return sim.store.get(sim.layout.report(ORCH, ".json"))


def test_a_troubled_orchestration_reports_every_retry_death_escalation_and_resume() -> None:
    sim = troubled()
    got = built(sim)
    assert got["summary"] == {"subtasks": 4, "attempts": 8, "retries": 4, "retries_by_operator": 1,
                              "failed_attempts": 4, "worker_deaths": 1, "zombies": 0, "escalations": 1,
                              "resumes": 1, "skipped": 0}
    story = [(e["event"], e.get("subtask_id", "").removeprefix(f"{ORCH}-"), e.get("attempt"), e.get("by"))
             for e in got["timeline"]]
    assert story == [
        ("worker_died", "backend", 1, None), ("retried", "backend", 2, "daemon"),
        ("attempt_failed", "audit", 1, None), ("retried", "audit", 2, "daemon"),
        ("attempt_failed", "audit", 2, None), ("retried", "audit", 3, "daemon"),
        ("attempt_failed", "audit", 3, None), ("escalated", "audit", 3, None),
        ("resumed", "audit", 3, None), ("retried", "audit", 4, "operator"),
    ]
    died = got["timeline"][0]
    assert died["pid"] == 4242 and died["worker_id"] == "w-back-1" and "has exited" in died["reason"]
    assert got["timeline"][8]["requested_by"] == "alice" and got["timeline"][8]["action"] == "retry"
    assert "failed 3 times" in got["timeline"][7]["reason"]


def test_criteria_say_what_happened_instead_of_claiming_a_clean_run() -> None:
    sim = troubled()
    got = built(sim)
    assert got["success_criteria"] == {
        "all_subtasks_completed": True, "all_stages_executed_in_order": True,
        "no_zombie_or_failed_subtasks": False, "request_satisfied": True, "results_aggregated": True}
    notes = {c["name"]: c["note"] for c in got["criteria"]}
    assert notes["all_subtasks_completed"] == (
        "4/4 completed, after 4 retries (1 by an operator) and 1 escalation resumed by an operator")
    assert notes["no_zombie_or_failed_subtasks"] == (
        "backend: worker died (attempt 1); audit: failed (attempt 1), failed (attempt 2), failed (attempt 3), "
        "escalated; none is left failed at the end")
    assert notes["request_satisfied"] == "every subtask completed with a result, audit only after an operator's decision"
    markdown = report.markdown(got)
    assert "- [ ] no zombie or failed subtasks — backend: worker died" in markdown
    assert "- [x] all subtasks completed — 4/4 completed, after 4 retries" in markdown
    assert "**escalated** to a person: failed 3 times; last: scanner crashed 3" in markdown
    assert "**resumed** by an operator (alice) after 6m 00s blocked: retry" in markdown
    assert "8 attempts for 4 subtasks: 4 retries (1 by an operator), 1 worker death, 4 failed attempts, " \
           "1 escalation, 1 resume by an operator" in markdown
    assert "worker died, w-back-1 (pid 4242): worker process 4242 has exited" in markdown
    # the queue and the completion event say the same
    assert sim.queue_task("w")["result"].endswith("success criteria met: 4/5")
    assert sim.events("orchestration_completed")[0]["success"] is False


def test_time_per_stage_and_the_critical_path_as_it_ran() -> None:
    got = built(troubled())
    took = {s["stage"]: s["duration_seconds"] for s in got["stages"]}
    assert took[1] == 65.0                   # 18:00:00 - 18:01:05
    assert took[2] == 160.0                  # 18:01:05 - 18:03:45 (frontend, the slower)
    assert [s["attempts"] for s in got["stages"]] == [1, 3, 4]
    path = got["critical_path"]
    # backend died and was retried, but the slower frontend held up the audit
    assert [s["subtask_id"] for s in path["subtasks"]] == [sid("design"), sid("frontend"), sid("audit")]
    assert path["duration_seconds"] == got["stages"][0]["duration_seconds"] + took[2] + took[3]
    assert path["planned"] and path["planned"][0] == sid("design")
    markdown = report.markdown(got)
    assert "design (1m 05s) → frontend (2m 40s) → audit (" in markdown
    assert "4 attempts)" in markdown


def test_the_backend_is_on_the_path_when_its_retry_makes_it_the_last() -> None:
    """The path follows what finished last, whatever the plan estimated."""
    plan = Plan.model_validate(troubled().plan(ORCH))
    frontend = plan.subtask(sid("frontend"))
    plan.subtasks = [s.model_copy(update={"completed_at": "2025-11-05T18:01:30.000Z"}) if s is frontend else s
                     for s in plan.subtasks]
    assert [s["subtask_id"] for s in report.critical_path(plan)["subtasks"]] == [
        sid("design"), sid("backend"), sid("audit")]


def test_a_clean_run_says_so() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    for _ in range(3):
        sim.clock.advance(10)
        sim.finish_active(ORCH)
        sim.tick(0)
    got = built(sim)
    assert all(got["success_criteria"].values())
    assert got["timeline"] == []
    notes = {c["name"]: c["note"] for c in got["criteria"]}
    assert notes["all_subtasks_completed"] == "4/4 completed, each at its first attempt"
    assert notes["no_zombie_or_failed_subtasks"] == "no attempt failed, no worker died or stalled"
    markdown = report.markdown(got)
    assert "Nothing unplanned" in markdown and "every subtask at its first attempt" in markdown
    assert sim.events("orchestration_completed")[0]["success"] is True


def test_a_skipped_subtask_is_not_a_satisfied_request() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("w", "Widget", subtasks=SUBTASKS))
    sim.run("queue")
    sim.finish_active(ORCH)
    sim.tick(1)
    sim.finish_active(ORCH)
    sim.tick(1)
    sim.store.put(sim.layout.requests / "1-s.json", {"orchestration_id": ORCH, "action": "skip",
                                                      "subtask_id": sid("audit")})
    sim.run("requests")
    got = built(sim)
    criteria = {c["name"]: c for c in got["criteria"]}
    assert not criteria["request_satisfied"]["met"]
    assert criteria["request_satisfied"]["note"] == "not all of it: audit skipped by a person"
    assert criteria["all_subtasks_completed"]["note"].startswith("3/4 completed (audit skipped)")
    assert [e["event"] for e in got["timeline"]] == ["resumed"]
    assert got["summary"]["skipped"] == 1
    assert sim.events("orchestration_completed")[0]["success"] is False
