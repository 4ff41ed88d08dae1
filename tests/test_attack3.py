"""Adversarial cases, third round: text, files and workers the authors of this session's changes did
not write. Each case that found a defect names it; the fix is at its cause (see the report)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import orchestrator.classify as classify_module
from orchestrator.classify import Classifier
from orchestrator.config import Config
from orchestrator.models import QueueTask

from conftest import DaemonProcess, queue_doc, task, wait_for, write_by_rename

SIMPLE = "Fix bug in api/users.py line 42"


def _task(title: str, description: str = "") -> QueueTask:
    return QueueTask.model_validate({"id": "t", "title": title, "description": description})


# --- broken text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", [" " * 20000, "\n" * 20000, " \n\t" * 7000, "\u3000" * 20000])
def test_a_run_of_whitespace_is_read_as_a_short_one(run: str) -> None:
    """Defect: a title or description that is mostly one run of whitespace took 40-65 s to classify
    (rules that start with ``\\s+`` or ``^\\s*`` scan the run again from each place in it), holding the
    whole daemon's pass. What the classifier reads keeps at most 32 characters of any run, and the
    text around the run is still read."""
    classifier = Classifier(Config().classifier)
    shown = classifier.bounded(_task(f"Fix bug{run}in api/users.py line 42", f"Scan it{run}today"))
    assert max(map(len, re.findall(r"\s+", shown.title + shown.full_description))) <= 32
    assert shown.title.startswith("Fix bug") and shown.title.endswith("in api/users.py line 42")
    decision = classifier.classify(_task(f"Fix bug{run}in api/users.py line 42"))
    assert (decision.decision, decision.master) == ("simple", "development")


def test_a_long_list_is_judged_once_not_once_per_item(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: each listed item asked :func:`parallel_actions` about the whole list again, so a
    description of 1,000 bullet lines took 24 s (a million regex matches). The number of calls must
    not grow with the list."""
    calls: list[int] = []
    real = classify_module.parallel_actions

    def counted(pieces: Any, verbs: Any, series: bool = False) -> list[str]:
        calls.append(1)
        return real(pieces, verbs, series=series)

    monkeypatch.setattr(classify_module, "parallel_actions", counted)
    classifier = Classifier(Config().classifier)
    classifier.classify(_task("Tidy the backlog", "".join(f"- close ticket {n}\n" for n in range(300))))
    assert len(calls) <= 4


@pytest.mark.parametrize("title", [
    "Fix bug\x00 in api/users.py line 42",  # NUL bytes
    "Fix bug \ud800 in api/\udfff users.py",  # lone surrogates (a \\ud800 escape in the queue)
    "\u202eFix bug in api/users.py\u202c \u200b\u200d\ufeff",  # RTL override, zero-width characters
    "D\u200be\u200bp\u200bl\u200bo\u200by the API to staging",  # a word split by zero-width spaces
    "\ufffd" * 5000,  # what invalid UTF-8 becomes when read with replacement
])
def test_text_no_one_types_is_classified(title: str) -> None:
    decision = Classifier(Config().classifier).classify(_task(title, title))
    assert decision.decision in {"simple", "complex"}


# --- the real daemon --------------------------------------------------------------------------------


@pytest.mark.process
def test_a_task_of_whitespace_does_not_hold_back_the_next_task(
        folder: Path, daemon: DaemonProcess) -> None:
    """The daemon classifies in its pass: a minute on one task was a minute for every task."""
    write_by_rename(folder / "task-queue.json", queue_doc(
        task("t-space", "Fix bug" + " " * 30000 + "now", description="\n" * 30000 + "x"),
        task("t-next", SIMPLE)))
    wait_for(lambda: daemon.events("task_assigned", task_id="t-next"), 20, "the task after it routed")
    assert daemon.events("task_assigned", task_id="t-space")
