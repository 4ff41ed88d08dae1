"""The 24 examples of shared/routing-lessons.md: what a careful dispatcher decides, and why.

They are examples of five rules, not a list to match: the classifier is fixed by the rules
(see classify.py), and measured on tasks it has never seen with ``make eval``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.models import QueueTask

LESSONS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "routing_lessons.json").read_text())
CLASSIFIER = Classifier(ClassifierConfig())


@pytest.mark.parametrize("lesson", LESSONS, ids=[f"{n:02d}-{x['lesson'][:2]}" for n, x in enumerate(LESSONS, 1)])
def test_a_lesson(lesson: dict[str, Any]) -> None:
    task = QueueTask(id="t", title=lesson["title"], description=lesson["description"], status="pending")
    got = CLASSIFIER.classify(task)
    assert got.decision == lesson["decision"], (lesson["lesson"], got.reasons)
    if lesson["master"]:
        assert got.master == lesson["master"], (lesson["lesson"], got.reasons)
