"""The decision framework on the seed's examples and on a labelled set of realistic tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig, Config, DomainConfig
from orchestrator.models import QueueTask

DATA = Path(__file__).parent / "data"
LABELLED = json.loads((DATA / "labelled_tasks.json").read_text())


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(Config().classifier)


def classify(classifier: Classifier, title: str, **fields: object):
    return classifier.classify(QueueTask.model_validate({"id": "t", "title": title, **fields}))


@pytest.mark.parametrize(
    ("title", "master"),
    [
        ("Scan repository for security vulnerabilities", "security"),
        ("Fix bug in dashboard/server/index.js line 42", "development"),
        ("List all repositories in the portfolio", "inventory"),
        ("Roll back the production deploy of api-gateway", "cicd"),
        ("Deploy the dashboard to staging", "cicd"),
        ("Fix XSS in the login form", "security"),
        ("Update README badges", "development"),  # documentation goes where the seed says
    ],
)
def test_seed_simple_examples_go_to_one_master(classifier: Classifier, title: str, master: str) -> None:
    result = classify(classifier, title)
    assert (result.decision, result.master) == ("simple", master)
    assert result.reasons and 0 < result.confidence <= 1


@pytest.mark.parametrize(
    "title",
    [
        "Add authentication system with security audit and docs",
        "Refactor API layer, update tests, and deploy",
        "Build new feature: design → implement → test → audit → document",
    ],
)
def test_seed_complex_examples_need_orchestration(classifier: Classifier, title: str) -> None:
    result = classify(classifier, title)
    assert result.decision == "complex"
    assert result.master is None
    assert result.reasons


def test_orchestration_required_and_high_complexity_always_mean_complex(classifier: Classifier) -> None:
    assert classify(classifier, "Fix typo", orchestration_required=True).decision == "complex"
    assert classify(classifier, "Fix typo", complexity="high").decision == "complex"
    assert classify(classifier, "Fix typo", context={"complexity": "high"}).decision == "complex"
    assert classify(classifier, "Fix typo", orchestration_required="true").decision == "complex"


def test_type_and_prefix_outweigh_misleading_words(classifier: Classifier) -> None:
    result = classify(classifier, "Document the deploy pipeline and rollback steps",
                      description="documentation: write docs/deploy.md about staging and production deploys",
                      type="documentation")
    assert (result.decision, result.master) == ("simple", "development")
    assert any("documentation" in reason for reason in result.reasons)


def test_names_in_paths_and_repositories_are_not_routing_words(classifier: Classifier) -> None:
    result = classify(classifier, "Write a README for example-org/inventory-scanner")
    assert result.master == "development"


def test_declared_size_over_the_seed_thresholds_is_complex(classifier: Classifier) -> None:
    assert classify(classifier, "Improve caching", context={"estimated_duration": "90-120 minutes"}).decision == "complex"
    assert classify(classifier, "Improve caching", context={"estimated_tokens": 80000}).decision == "complex"
    files = ["a.py", "b.py", "c.py", "d.py"]
    result = classify(classifier, "Rename helper", context={"files_affected": files})
    assert result.decision == "complex"
    assert any("4 files" in reason for reason in result.reasons)


def test_routing_words_are_configuration(classifier: Classifier) -> None:
    custom = ClassifierConfig(domains={
        "development": DomainConfig(master="development", keywords=["code"]),
        "inventory": DomainConfig(master="inventory", keywords=["widget"]),
    })
    assert Classifier(custom).classify(QueueTask(id="t", title="Count the widgets")).master == "inventory"


def test_no_routing_words_falls_back_to_the_default_master(classifier: Classifier) -> None:
    result = classify(classifier, "Do the thing")
    assert result.master == "development"
    assert result.confidence <= 0.5


@pytest.mark.parametrize("item", LABELLED, ids=[i["task"]["id"] for i in LABELLED])
def test_labelled_set(classifier: Classifier, item: dict) -> None:
    result = classifier.classify(QueueTask.model_validate(item["task"]))
    label = item["label"]
    assert (result.decision, result.master) == (label["decision"], label["master"]), (
        f"{label['why']} | reasons: {result.reasons}"
    )


def test_a_tie_or_a_narrow_margin_is_said_and_lowers_the_confidence() -> None:
    custom = Classifier(ClassifierConfig(domains={
        "development": DomainConfig(master="development", keywords=["gizmo"]),
        "security": DomainConfig(master="security", keywords=["widget"], hints=["sprocket"]),
    }))
    tie = custom.route("the gizmo and the widget", "")
    assert any(r.startswith("a tie") for r in tie.reasons) and tie.confidence == 0.5
    clear = custom.route("the widget and the sprocket", "")
    assert clear.master == "security" and clear.confidence > 0.9
    assert not any("tie" in r or "narrow" in r for r in clear.reasons)
