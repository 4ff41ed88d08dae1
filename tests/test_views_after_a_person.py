"""What ``show`` and ``explain`` say after a person stepped in (newuser8's trial): a plan given to one master showed
its parts still ``assigned`` (their handoffs were cancelled) and nothing said whose the task now is; a simple task
moved to another master showed the new master beside the old routing's reasons, with no word of the move."""

from __future__ import annotations

from orchestrator import views
from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.models import Plan, QueueTask
from test_attack16 import give, planned

from sim import Sim, task


def _tree(sim: Sim) -> str:
    return views.tree(Plan.model_validate(sim.store.get(sim.layout.plan("orch-a"))))


def test_a_plan_given_to_one_master_shows_whose_the_task_is_and_its_parts_withdrawn() -> None:
    sim = Sim()
    planned(sim)
    give(sim, "orch-a", "security")
    sim.run("requests")
    shown = _tree(sim)
    assert "aborted by alice at " in shown and ": given to security as one task" in shown
    assert "withdrawn (was assigned)" in shown and "withdrawn (was pending)" in shown
    assert "  assigned  " not in shown and "[>]" not in shown


def test_a_plan_aborted_keeps_what_was_done_and_names_no_master() -> None:
    sim = Sim()
    planned(sim)
    design = next(s["subtask_id"] for s in sim.store.get(sim.layout.plan("orch-a"))["subtasks"] if s["stage"] == 1)
    sim.report(design, "start", worker_id="w", pid=4242)
    sim.report(design, "complete", worker_id="w", result="designed")
    sim.store.put(sim.layout.requests / "2-abort.json", {"orchestration_id": "orch-a", "action": "abort",
                                                           "requested_by": "bob"})
    sim.run("requests")
    shown = _tree(sim)
    assert "aborted by bob at " in shown and "given to" not in shown
    assert f"[x] {design}" in shown and "completed" in shown  # done stays done
    assert "withdrawn (was " in shown
    running = Sim()
    planned(running)
    assert "withdrawn" not in _tree(running) and "aborted" not in _tree(running)


def _explained(**entry: object) -> str:
    fields = task("m", "Fix bug in app/main.py line 3") | {"status": "assigned", "assigned_by": "orchestrator",
                                                             "routed_to": "development"} | entry
    found = views.explain(QueueTask.model_validate(fields), fields, Classifier(ClassifierConfig(), None))
    return views.explain_text(found)


def test_explain_says_a_person_moved_the_task_above_the_reasons_it_overrode() -> None:
    moved = _explained(assigned_to="security", moved_by="alice", moved_at="2026-11-27T10:00:00Z",
                       routing_reasons=["routed to development"])
    assert ("moved to security by alice at 2026-11-27T10:00:00Z; the orchestrator had routed it to development, "
            "for these reasons:\n  - routed to development") in moved
    late = _explained(assigned_to="security", moved_by="alice", moved_at="2026-11-27T10:00:00Z",
                      move_not_followed="security")
    assert "(too late: development had taken its handoff and does the work)" in late
    assert "moved to" not in _explained(assigned_to="development", routing_reasons=["routed to development"])
    back = _explained(assigned_to="development", moved_by="alice", moved_at="2026-11-27T10:00:00Z")
    assert "moved to" not in back  # moved back to the master the daemon chose: its reasons hold again


def test_explain_of_a_plan_given_to_one_master_says_the_plan_was_the_daemons_choice() -> None:
    """newuser10: ``explain`` showed ``routed_to: cicd`` for a plan moved to cicd, while the README says
    ``routed_to`` keeps the daemon's choice: the line above the reasons says the plan was it."""
    given = _explained(assigned_to="cicd", routed_to="cicd", route_to="cicd",
                       previous_attempts=[{"status": "orchestrating", "orchestration_id": "orch-m"}],
                       routing_reasons=["given to cicd as one piece of work by a person (orchestrator move)"])
    assert ("given to cicd as one piece of work by a person; the orchestrator had planned it (orch-m), and routed "
            "it where it was told:\n  - given to cicd") in given
    writer = _explained(assigned_to="cicd", routed_to="cicd", route_to="cicd")  # its writer's route_to: no plan
    assert "given to" not in writer and "moved to" not in writer
