"""The thirteenth attack: cases the session's own changes were not written for."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import handoffs
from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
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


# --- one finding's recommended steps, in the layouts reports use ------------------------------------------------

HEAD = ("Severity: High (CVSS 8.1)\nAffected: https://support.example.com/tickets/{id} - comment body\n"
        "Description: HTML in a ticket comment is rendered unescaped in the agent view. A customer can post "
        "<img src=x onerror=...> and run script in the session of any support agent who opens the ticket, including "
        "admins.\n")  # the new user's finding (tests/data/tuning/newuser2-fresh.json)
STEPS = ("encode output in the comment renderer, add a Content-Security-Policy, and review other rich-text fields "
         "for the same issue.")


@pytest.mark.parametrize("layout", [
    HEAD + "Recommendation: " + STEPS + "\nRetest required after fix.",  # the layout the session wrote for
    HEAD + "Recommendation:\n\n" + STEPS + "\n\nRetest required after fix.",  # the steps a paragraph below the label
    HEAD + "**Recommendation:** " + STEPS + "\nRetest required after fix.",  # markdown bold labels
    HEAD + "**Recommendation**: " + STEPS + "\nRetest required after fix.",
    HEAD + "\n## Recommendation\n\n" + STEPS + "\n\nRetest required after fix.",  # a markdown heading
])
def test_a_findings_recommendation_is_its_one_fix_in_any_layout(layout: str) -> None:
    """Defect: only a plain ``Recommendation:`` with its steps on the same line or the next was the finding's
    fix; with a blank line after the label only the label was taken out, and a markdown report's
    ``**Recommendation:**`` or ``## Recommendation`` not at all, so one finding was planned as three parts."""
    decided = Classifier(ClassifierConfig()).classify(
        QueueTask(id="f", title="Finding PT-2026-07: Stored XSS in support ticket comments", description=layout))
    assert (decided.decision, decided.master) == ("simple", "security")


def test_what_follows_a_findings_recommendation_is_still_read() -> None:
    """The recommendation ends at the next field, heading or paragraph: unrelated work after it stays work."""
    text = (HEAD + "**Recommendation:** " + STEPS + "\n**Also:** migrate the billing service to Postgres 16, set up "
            "the new CI runners, and write the on-call runbook for the data team.")
    decided = Classifier(ClassifierConfig()).classify(
        QueueTask(id="f", title="Finding PT-2026-07: Stored XSS in support ticket comments", description=text))
    assert decided.decision == "complex"


@pytest.mark.parametrize("connective", ["Also", "Separately,", "Additionally,", "In addition,", "Unrelated:", "Besides that,"])
def test_other_work_on_the_line_after_a_findings_recommendation_is_not_its_fix(connective: str) -> None:
    """Defect: the recommendation ran to the next field or blank line, so other work asked on the next line
    ("Also migrate the billing service ...") was taken for the finding's fix and the task, complex before
    the change, was handed to security alone."""
    text = (HEAD + "Recommendation: encode output in the comment renderer.\n" + connective + " migrate the billing "
            "service to Postgres 16, set up the new CI runners on arm64, and write the on-call runbook for the data team.")
    decided = Classifier(ClassifierConfig()).classify(
        QueueTask(id="f", title="Finding PT-2026-07: Stored XSS in support ticket comments", description=text))
    assert decided.decision == "complex"


def test_a_second_step_of_the_fix_on_its_own_line_is_still_the_fix() -> None:
    text = HEAD + "Recommendation: encode output in the comment renderer.\nAlso add a Content-Security-Policy header."
    decided = Classifier(ClassifierConfig()).classify(
        QueueTask(id="f", title="Finding PT-2026-07: Stored XSS in support ticket comments", description=text))
    assert (decided.decision, decided.master) == ("simple", "security")
