"""The external planner: a configured command (an LLM command line, say) that plans instead of ours.

It gets the prompt on stdin and prints its answer on stdout. It runs as an argv list, never
through a shell (no task text is ever interpreted), in a session of its own (a timeout ends
the tool and whatever it started). :func:`consult` asks it, checks the answer and, when the
answer is rejected, asks once more with the reasons (the repair round); both rounds share one
time limit. Any failure is an :class:`ExternalPlannerError` whose message says why, and the
caller falls back to the built-in planner.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from orchestrator.planner import PlanError
from orchestrator.planner_prompt import Feedback

MAX_OUTPUT_BYTES = 1_000_000
_STDERR_TAIL = 4096
_T = TypeVar("_T")


@dataclass(frozen=True)
class Rejection:
    """An answer that could not be a plan: which round, and every reason."""

    round: int
    problems: tuple[str, ...]


class ExternalPlannerError(Exception):
    """The external planner gave no usable answer; ``rejected`` holds the answers it did give."""

    def __init__(self, reason: str, rejected: Sequence[Rejection] = ()) -> None:
        super().__init__(reason)
        self.rejected = tuple(rejected)


class PlannerTimeout(ExternalPlannerError):
    """The command did not answer in time."""


@dataclass(frozen=True)
class Consulted(Generic[_T]):
    """The accepted answer, and the rejected ones before it."""

    value: _T
    rejected: tuple[Rejection, ...] = ()


Run = Callable[[Sequence[str], bytes, float], Awaitable[str]]


async def consult(command: Sequence[str], prompt: Callable[[Feedback | None], str], accept: Callable[[str], _T],
                  timeout: float, run: Run | None = None) -> Consulted[_T]:
    """Ask ``command`` with ``prompt(None)``; ``accept`` turns its answer into a value or raises
    :class:`~orchestrator.planner.PlanError`, whose problems go back in one repair round."""
    run = run or run_command
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    feedback: Feedback | None = None
    rejected: list[Rejection] = []
    for round_ in (1, 2):
        left = deadline - loop.time()
        if left <= 0:
            raise ExternalPlannerError(f"no time left for the repair round ({timeout:g}s for both rounds)", rejected)
        stdin = prompt(feedback).encode("utf-8")
        try:
            answer = await run(command, stdin, left)
        except ExternalPlannerError as exc:
            reason = f"no answer within {timeout:g}s" if isinstance(exc, PlannerTimeout) else str(exc)
            raise ExternalPlannerError(f"repair round: {reason}" if feedback else reason, rejected) from exc
        try:
            return Consulted(accept(answer), tuple(rejected))
        except PlanError as exc:
            rejected.append(Rejection(round_, tuple(exc.problems)))
            feedback = Feedback(answer, exc.problems)
    problems = rejected[-1].problems
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    raise ExternalPlannerError(f"answer still invalid after the repair round: {'; '.join(problems[:3])}{more}", rejected)


async def run_command(command: Sequence[str], stdin: bytes, timeout: float) -> str:
    """Run ``command`` with ``stdin``; what it printed, if it exits 0 within ``timeout`` and prints
    at most :data:`MAX_OUTPUT_BYTES` (read as it comes: a runaway tool is stopped, not buffered).

    Its answer is what it printed before it exited: whatever it started and left running is ended
    then, so a child that holds its output open neither holds up the answer nor outlives it."""
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.subprocess_exec(
            lambda: _ToolProtocol(loop),
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ExternalPlannerError(f"cannot start {command[0]!r}: {exc.strerror or exc}") from exc
    process = asyncio.subprocess.Process(transport, protocol, loop)
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    feeder = asyncio.ensure_future(_feed(process.stdin, stdin))
    errors = asyncio.ensure_future(_tail(process.stderr))
    reading = asyncio.ensure_future(_read_answer(process.stdout))
    answered = False
    try:
        async with asyncio.timeout(timeout):
            await asyncio.wait((reading, protocol.exited), return_when=asyncio.FIRST_COMPLETED)
            if reading.done():
                reading.result()  # too large: said now, not once the tool exits
            await protocol.exited
            if not (reading.done() and errors.done()):  # the tool has exited; what it left behind holds
                _end_group(process.pid)  # its stdout or its stderr open
            output = await reading
            await process.wait()
            stderr = await errors
            answered = True
    except TimeoutError as exc:
        raise PlannerTimeout(f"no answer within {timeout:g}s") from exc
    finally:
        if not answered:  # timed out, too large or cancelled: leave no orphan behind
            _end_group(process.pid)
            await asyncio.shield(protocol.exited)  # not wait(), which waits for pipes one may still hold
        for task in (feeder, errors, reading):
            task.cancel()
        await asyncio.gather(feeder, errors, reading, return_exceptions=True)
        transport.close()
    if process.returncode != 0:
        detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise ExternalPlannerError(f"exit status {process.returncode}: {detail[0][:200]}")
    return output.decode("utf-8", "replace")


class _ToolProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """The tool's pipes, and ``exited``: done when the tool itself exits, which may be long before
    its pipes close (a child it started may hold them)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=2**16, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


def _end_group(leader: int) -> None:
    """SIGKILL the tool's session: the tool, if it still runs, and everything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)


async def _read_answer(pipe: asyncio.StreamReader) -> bytes:
    output = bytearray()
    while chunk := await pipe.read(65536):
        output += chunk
        if len(output) > MAX_OUTPUT_BYTES:
            raise ExternalPlannerError(f"answer too large (more than {MAX_OUTPUT_BYTES} bytes)")
    return bytes(output)


async def _feed(pipe: asyncio.StreamWriter, data: bytes) -> None:
    """Write the prompt; a tool that exits without reading it all is judged by its answer."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        pipe.write(data)
        await pipe.drain()
        pipe.close()
        await pipe.wait_closed()


async def _tail(pipe: asyncio.StreamReader) -> bytes:
    """The end of what the tool wrote to stderr (its last line says why it failed)."""
    kept = b""
    while chunk := await pipe.read(65536):
        kept = (kept + chunk)[-_STDERR_TAIL:]
    return kept
