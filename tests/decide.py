"""The classifier's decision on one task, as the rule tests read it."""

from __future__ import annotations

from orchestrator.classify import Classifier
from orchestrator.models import QueueTask


def route(rules: Classifier, title: str, description: str = "") -> tuple[str, str | None]:
    """The decision and, for a simple task, its master."""
    decided = rules.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description,
                                                      "status": "pending"}))
    return decided.decision, decided.master
