"""The thirteenth attack: cases the session's own changes were not written for."""

from __future__ import annotations

from typing import Any

from orchestrator import handoffs
from orchestrator.models import Classification, QueueTask

from sim import Sim, task

ROUTED = Classification(decision="simple", master="development", confidence=0.9, reasons=["test"])


def _handoff_task(**fields: Any) -> dict[str, Any]:
    queued = QueueTask.model_validate({"id": "t", "title": "Add a remember-me checkbox", **fields})
    return handoffs.for_task(queued, ROUTED, "development", "2026-01-01T00:00:00Z").model_dump()["task"]


def test_a_context_description_that_is_not_the_description_travels_with_the_handoff() -> None:
    """Defect: ``context.description`` was left out of the handoff's ``context`` whenever it was there, although
    it is the description only when the task has none at the top level: a task with both (an older writer's
    details under a newer writer's summary), or with a description in ``context`` that is not text, lost it."""
    both = _handoff_task(description="Returning users stay signed in.",
                         context={"description": "Older details: the session lasts 30 days.", "repository": "web"})
    assert both["context"] == {"description": "Older details: the session lasts 30 days.", "repository": "web"}
    assert "the session lasts 30 days" in both["description"]
    structured = _handoff_task(context={"description": {"summary": "stay signed in"}})
    assert structured["context"] == {"description": {"summary": "stay signed in"}}
    # the one it is: once, in the description only (as the core test has it)
    older = _handoff_task(context={"description": "Returning users stay signed in.", "repository": "web"})
    assert older["context"] == {"repository": "web"}
    assert older["description"] == "Returning users stay signed in.\n\nRepository: web"


def test_a_list_of_blank_criteria_adds_no_empty_heading() -> None:
    """Defect: a list whose items were all blank still added its heading, with nothing under it."""
    assert _handoff_task(description="Stay signed in.", context={"acceptance_criteria": ["", "  "]})[
        "description"] == "Stay signed in."


def test_a_simple_task_with_both_descriptions_reaches_its_master_with_both() -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("r", "Add a remember-me checkbox to the login form", description="Returning users stay signed in.",
                    context={"description": "Checked: the session lasts 30 days."}))
    sim.run("queue")
    handoff = sim.store.get(sim.layout.task_handoff("development", "r"))["task"]
    assert handoff["context"] == {"description": "Checked: the session lasts 30 days."}
