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
