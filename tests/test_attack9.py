"""A ninth attack on lost or doubled work: the external planner's process family, ...

Each test here failed before the fix it names.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import psutil
import pytest

from orchestrator import planner_answer
from orchestrator.external import run_command

from conftest import wait_for
from planner_standin import GOOD

# --- the external planner ------------------------------------------------------------------------


def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.process
def test_a_tool_that_answers_and_exits_while_its_child_holds_the_output_open_is_heard(tmp_path: Path) -> None:
    """Defect: a planner command that printed a whole answer and exited 0, but left a child holding its
    stdout (a shell wrapper's background job, an MCP helper), was read until the time limit, its answer
    thrown away for the built-in plan; and the child, left out of the killing because the tool itself
    had exited, lived on (one more per planned task)."""
    pid_file = tmp_path / "child.pid"
    tool = ("import subprocess, sys\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
            f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
            f"print({json.dumps(GOOD)!r})\n")
    answer = asyncio.run(run_command([sys.executable, "-c", tool], b"the prompt", 20.0))
    assert json.loads(answer) == GOOD
    child = int(pid_file.read_text())
    wait_for(lambda: _gone(child), what="the tool's child to end")


class _CountingDecoder(json.JSONDecoder):
    """How many characters the answer's tries were given to read, all together."""

    given = 0

    def raw_decode(self, s: str, idx: int = 0) -> tuple[object, int]:
        _CountingDecoder.given += len(s) - idx
        return super().raw_decode(s, idx)


@pytest.mark.parametrize("depth", [300, 900])
def test_an_answer_of_values_nested_in_one_cut_short_is_read_a_bounded_number_of_times(
        monkeypatch: pytest.MonkeyPatch, depth: int) -> None:
    """Defect: an answer of objects nested in an object cut short ('{"a": {"a": ... [1, 1, ...' of 1 MB)
    was read to its end from each of 500 places a value may begin: 25-35 s on the daemon's event loop per
    round, two rounds, so systemd's watchdog (30 s) killed a working daemon, which planned the same task
    again at every restart. Each try may still read to the end; all together read at most a few times
    the answer's largest size."""
    monkeypatch.setattr(json, "JSONDecoder", _CountingDecoder)
    monkeypatch.setattr(_CountingDecoder, "given", 0)
    text = '{"a": ' * depth + "[" + "1, " * 300_000
    assert planner_answer.find_answer(text) is None
    assert _CountingDecoder.given <= 5 * planner_answer.MAX_ANSWER_CHARS
    # an answer after such garbage (of fewer places to try) is still found
    good = {"subtasks": [{"id": "design"}]}
    assert planner_answer.find_answer('{"a": ' * 300 + "[" + "1, " * 1000 + "...\n" + json.dumps(good)) == good
