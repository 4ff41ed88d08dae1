"""What reading a task costs does not grow with the square of its text, and a pass is bounded in time.

A task's text is read by some hundred regular expressions. One that starts with ``\\s+`` is tried at
every place inside a run of spaces and scans the rest of the run from each; one that starts at ``\\b``
inside a hyphenated word scans the rest of the word from each of its parts. The classifier cuts what
a person writes (20,000 characters, runs of spaces to 32), but its own steps make new runs: every
path or dotted name dropped leaves a space, so ``"login page/login page/..."`` became ``login`` and
thousands of spaces. Such tasks took 3-8 s each to classify and as long to plan.

These tests give the rules texts ten times longer than the classifier lets through, where the old
rules take minutes or hours and the new ones milliseconds: they guard that the work stays linear,
with a limit no machine comes near (they assert no timing).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

from orchestrator.classify import _SHARED_HEAD_RE, Classifier
from orchestrator.models import QueueTask
from orchestrator.routing import _OWNER_RE
from orchestrator.textsignals import after_label, head_phrase, strip_names

from sim import Sim
from sim import task as sim_task

RUN = 200_000


@contextmanager
def finishes() -> Iterator[None]:
    """Fail a step that runs away instead of hanging the suite (each step here takes milliseconds)."""
    def runaway(signum: int, frame: FrameType | None) -> None:
        raise AssertionError("the step ran for a minute: its cost grows with the square of its text")

    previous = signal.signal(signal.SIGALRM, runaway)
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_rule_that_starts_with_spaces_is_tried_once_per_run_of_them() -> None:
    spaced = "login" + " " * RUN + "page"
    with finishes():
        assert head_phrase(spaced) == spaced.strip()
        assert after_label(spaced) == spaced.strip()
    # what they find is what they found before: a cut after spaces, a label before a colon
    assert head_phrase("Audit" + " " * 40 + "of the billing service") == "Audit"
    assert after_label("Finance asks   :   who can approve refunds") == "who can approve refunds"


def test_a_long_hyphenated_word_is_not_scanned_again_from_each_of_its_parts() -> None:
    word = "-".join(["security"] * (RUN // 9))
    with finishes():
        assert strip_names(f"{word} and more") == f"{word} and more"
        assert _OWNER_RE.findall(word) == []
    # a compound name before its noun is still dropped, and whose a thing is still read
    assert strip_names("Fix the audit-log service") == "Fix the   service"
    assert _OWNER_RE.findall("the booking-api's rate limit") == ["booking-api"]


def test_a_long_comma_list_is_not_scanned_again_from_each_of_its_words() -> None:
    with finishes():
        assert _SHARED_HEAD_RE.search(", ".join(["a"] * (RUN // 3))) is None
    # kinds of one thing sharing a head noun are still found, after any list before them
    found = _SHARED_HEAD_RE.search("x1, x2, x3, lint, test and build stages")
    assert found is not None and found.group(1) == "stages"


def test_a_pass_takes_no_more_new_tasks_once_it_has_read_for_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A count of tasks alone did not bound a pass: 100 tasks each taking a second to read held the engine
    past the watchdog's limit, and systemd restarted the daemon before its claim, again and again."""
    sim = Sim()
    sim.start()
    classify = Classifier.classify

    def slow(self: Classifier, task: QueueTask, history: object = None) -> object:
        sim.clock.advance(2.0)  # each task takes two seconds to read
        return classify(self, task, history)  # type: ignore[arg-type]

    monkeypatch.setattr(Classifier, "classify", slow)
    sim.submit(*[sim_task(f"t{n}", f"Fix bug in app/main.py line {n}") for n in range(8)])
    first = sim.run("queue")
    assert first.again  # the rest at once, in the next pass
    assert len(sim.events("task_assigned")) == 3  # 2, 4, 6 s: past the 5 s of a pass
    for _ in range(5):
        if not sim.run("queue").again:
            break
    assigned = [e["task_id"] for e in sim.events("task_assigned")]
    assert sorted(assigned) == sorted(f"t{n}" for n in range(8))  # each once
