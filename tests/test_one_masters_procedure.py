"""One master's procedure, and one request's contents, are not a plan (cx12).

A change one master carries out in steps (an upgrade runbook, a cron job moved to a CronJob, a dependency bump, a
flag-guarded migration inside one codebase) is that master's job; what an access request grants, the places a census
looks and the columns of a catalog are the one request's contents. Each rule with its opposite: the seed's
multi-master "build, then deploy" stays complex. The rules alone (no built-in model).
"""

from __future__ import annotations

import pytest

from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.models import QueueTask
from orchestrator.textsignals import arrow_chain, parallel_actions, sequence_markers

VERBS = ClassifierConfig().action_verbs


@pytest.fixture(scope="module")
def rules() -> Classifier:
    return Classifier(ClassifierConfig(), learned=None)


def route(rules: Classifier, title: str, description: str = "") -> tuple[str, str | None]:
    """The decision and, for a simple task, its master."""
    decided = rules.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description,
                                                       "status": "pending"}))
    return decided.decision, decided.master


@pytest.mark.parametrize(("text", "steps"), [
    # a version changed is one step, not a chain
    ("Bump React 18.2 -> 18.3 and Vite 4 -> 5", []),
    ("Upgrade Postgres 14 → 16", []),
    ("Move the API from Python 3.8→3.12", []),
    # ... while steps of work, a numbered step or percentages of a rollout still are arrows
    ("design -> implement -> test", ["design", "implement", "test"]),
    ("Step 3 -> deploy", ["Step 3", "deploy"]),
    ("Canary: 5% → 25% → 100%", ["5%", "25%", "100%"]),
])
def test_an_arrow_between_versions_orders_nothing(text: str, steps: list[str]) -> None:
    assert arrow_chain(text)[1] == steps
    assert ("→" in sequence_markers(text)) is bool(steps)


def test_a_name_and_its_versions_is_an_object_not_a_request() -> None:
    clauses = ["Bump React 18.2 -> 18.3", "Vite 4 -> 5", "fix whatever breaks"]
    assert parallel_actions(clauses, VERBS, series=True) == ["Bump React 18.2 -> 18.3", "fix whatever breaks"]
    # a number that is the object's count is still a request's object
    assert parallel_actions(["Restart the web pods", "drain 3 nodes", "cordon the rest"], VERBS, series=True) == [
        "Restart the web pods", "drain 3 nodes", "cordon the rest"]


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a dependency bump: bump, fix what breaks, make the suite pass: development's one job
    ("Quarterly dependency update for the web frontend", "Bump React 18.2 -> 18.3, Vite 4 -> 5 and the "
     "testing-library packages; fix whatever breaks and make sure the e2e suite passes.", ("simple", "development")),
    # ... but a bump, then a build and a deploy by the pipeline's master, in order, is the seed's build-then-deploy
    ("Quarterly dependency update for the web frontend", "Bump React 18.2 -> 18.3, Vite 4 -> 5 and the "
     "testing-library packages, then rebuild the Docker image, then deploy it to production through the pipeline.",
     ("complex", None)),
])
def test_a_dependency_bump_is_one_job(rules: Classifier, title: str, description: str,
                                      decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision
