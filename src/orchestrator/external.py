"""The external planner: a configured command (an LLM CLI, say) that plans instead of ours.

It gets the task as JSON on stdin and prints subtasks as JSON on stdout. It runs as an
argv list (never through a shell, so no task text is ever interpreted), within a time
limit; any failure is an :class:`ExternalPlannerError` whose message says why, and the
caller falls back to the built-in planner.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

MAX_OUTPUT_BYTES = 1_000_000


class ExternalPlannerError(Exception):
    """The external planner gave no usable answer."""


async def run_external_planner(command: Sequence[str], task: dict[str, Any], timeout: float) -> Any:
    """Run ``command`` with ``task`` on stdin; the parsed JSON it printed."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise ExternalPlannerError(f"cannot start {command[0]!r}: {exc.strerror or exc}") from exc
    payload = json.dumps(task, ensure_ascii=False).encode("utf-8")
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(payload), timeout)
    except TimeoutError as exc:
        raise ExternalPlannerError(f"no answer within {timeout:g}s") from exc
    finally:
        if process.returncode is None:  # timed out or cancelled: leave no orphan behind
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.shield(process.wait())
    if process.returncode != 0:
        detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise ExternalPlannerError(f"exit status {process.returncode}: {detail[0][:200]}")
    if len(stdout) > MAX_OUTPUT_BYTES:
        raise ExternalPlannerError(f"answer too large ({len(stdout)} bytes)")
    try:
        return json.loads(stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExternalPlannerError(f"answer is not JSON: {exc}") from exc
