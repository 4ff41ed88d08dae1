"""The bench's simple pickups take distinct texts (perf18): one title repeated let the classifier's remembered
readings hit from task to task and flattered the simple routing's latency."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import bench  # a script, not a package: found through its folder
from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.models import QueueTask


def test_the_simple_pickups_are_distinct_corpus_tasks_the_daemon_routes() -> None:
    texts = bench.corpus_simple_tasks(60)
    assert len(texts) == 60 and len({t["title"] for t in texts}) == 60
    assert texts == bench.corpus_simple_tasks(60)  # a fixed seed: every run measures the same tasks
    assert bench.corpus_simple_tasks(60, seed=19) != texts
    classifier = Classifier(ClassifierConfig())
    for n, fields in enumerate(texts):
        assert "assigned_to" not in fields and "id" not in fields and "status" not in fields  # a candidate of the daemon's
        entry = bench.task(f"s-{n}", "") | fields
        assert entry["status"] == "pending" and entry["title"] == fields["title"]
        assert classifier.classify(QueueTask.model_validate(entry)).decision == "simple"
