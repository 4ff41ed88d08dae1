"""Text the planner's authors did not write: what once crashed, dropped the work, or took seconds."""

from __future__ import annotations

import re

import pytest

from orchestrator import imperatives
from orchestrator.classify import Classifier
from orchestrator.config import Config
from orchestrator.imperatives import sentences
from orchestrator.models import QueueTask
from orchestrator.planner import build_plan, builtin_drafts

CONFIG = Config()
CLASSIFIER = Classifier(CONFIG.classifier)


class _Recording:
    """``_ABBREVIATION_RE`` that remembers how long each text it searched was."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.lengths: list[int] = []

    def search(self, text: str) -> re.Match[str] | None:
        self.lengths.append(len(text))
        return self.pattern.search(text)


def test_a_long_run_of_abbreviations_is_read_a_word_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # "e.g. " 3,000 times is one growing sentence; searching all of it at each step took about 3 s in builtin_drafts
    recording = _Recording(imperatives._ABBREVIATION_RE)
    monkeypatch.setattr(imperatives, "_ABBREVIATION_RE", recording)
    found = sentences("e.g. " * 3000)
    assert len(found) == 1
    assert recording.lengths and max(recording.lengths) <= len("e.g.")


def test_an_abbreviation_still_keeps_its_sentence_whole() -> None:
    assert sentences("Use a queue, e.g. the outbox. Then deploy it.") == ["Use a queue, e.g. the outbox", "Then deploy it"]
    assert sentences("Fix db02. please back up first") == ["Fix db02", "please back up first"]


def test_a_pasted_hash_still_gives_a_plan() -> None:
    # a SHA-512 after the verb made the first part's id longer than 160 characters: the task was blocked
    digest = ("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
              "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
    task = QueueTask.model_validate({
        "id": "task-1762342920", "status": "pending", "title": "Rotate the leaked keys",
        "description": f"Revoke key {digest}. Then issue new keys and deploy them."})
    drafts = builtin_drafts(task, CLASSIFIER, CONFIG.planner)
    plan = build_plan(task, CLASSIFIER.classify(task), drafts, planner="builtin", config=CONFIG.planner,
                      now="2025-11-05T18:00:00.000Z")
    assert any(s.title.startswith("Revoke key") for s in plan.subtasks)
    assert any(digest in s.description for s in plan.subtasks)  # the hash is cut in the id only, not in the work


def _titles(description: str) -> list[str]:
    task = QueueTask.model_validate({"id": "task-1", "status": "pending", "title": "Fix import", "description": description})
    return [draft.title for draft in builtin_drafts(task, CLASSIFIER, CONFIG.planner)]


def test_a_pasted_traceback_is_no_part_of_the_work() -> None:
    titles = _titles("Fix the crash in the CSV importer.\n```\nTraceback (most recent call last):\n"
                     '  File "importer.py", line 42, in parse\n    rows = read(path)\n'
                     "ValueError: invalid literal for int() with base 10\n```\nThen add a regression test.")
    assert "Fix the crash in the CSV importer" in titles
    assert "Add a regression test" in titles
    assert not [t for t in titles if re.search(r"Traceback|importer\.py|rows = |ValueError|Base 10|```", t)]


def test_a_code_block_left_open_hides_no_work() -> None:
    titles = _titles("Fix the crash in the CSV importer.\n```\nThen add a regression test.")
    assert "Add a regression test" in titles


def test_that_after_that_is_read_without_recursing_down_the_whole_text() -> None:
    task = QueueTask.model_validate({"id": "task-1", "status": "pending", "title": "Add x",
                                     "description": "We want that " * 1100})  # a RecursionError
    assert builtin_drafts(task, CLASSIFIER, CONFIG.planner)
