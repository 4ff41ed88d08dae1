"""Text the planner's authors did not write: what once crashed, dropped the work, or took seconds."""

from __future__ import annotations

import re

import pytest

from orchestrator import imperatives
from orchestrator.imperatives import sentences


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
