"""How the commands talk to a person: colour only on a terminal and never with ``NO_COLOR``, and
how much they say (``-q`` / ``-v``).

Colour follows https://no-color.org: ``NO_COLOR`` set to anything non-empty turns it off;
``FORCE_COLOR`` (non-empty) turns it on even into a pipe; otherwise colour is used only when
the stream is a terminal and ``TERM`` is not ``dumb``. The renderers take a :class:`Palette`
and stay pure: the same text with or without escape codes.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
          "dim": "2", "bold": "1"}

STATUS_STYLE = {
    "completed": "green", "in_progress": "cyan", "assigned": "cyan", "orchestrating": "cyan", "pending": "dim",
    "blocked": "red", "failed": "red", "aborted": "yellow", "cancelled": "yellow", "skipped": "yellow",
    "retry_wait": "yellow", "healthy": "green", "warning": "yellow", "waiting": "yellow", "critical": "red", "running": "green",
    "not running": "red",
}
"""The colour of a status word wherever it is shown."""


def wants_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM") != "dumb"


@dataclass(frozen=True)
class Palette:
    """Paints text when ``enabled``; otherwise returns it unchanged."""

    enabled: bool = False

    def paint(self, text: str, style: str | None) -> str:
        code = _CODES.get(style or "")
        return f"\033[{code}m{text}\033[0m" if self.enabled and code and text else text

    def status(self, word: str, width: int = 0) -> str:
        """A status word, padded to ``width`` before painting so columns stay aligned."""
        return self.paint(f"{word:<{width}}", STATUS_STYLE.get(word.strip()))


PLAIN = Palette(False)


@dataclass(frozen=True)
class Console:
    """What a command prints besides its result: notes (not with ``-q``) and details (only with ``-v``)."""

    verbosity: int = 0
    """-1 quiet, 0 normal, 1 verbose."""
    err: TextIO | None = None

    def note(self, text: str) -> None:
        if self.verbosity >= 0:
            print(text, file=self.err or sys.stderr)

    def detail(self, text: str) -> None:
        if self.verbosity > 0:
            print(text, file=self.err or sys.stderr)

    def palette(self, stream: TextIO | None = None) -> Palette:
        return Palette(wants_colour(stream or sys.stdout))


_UNPRINTABLE = re.compile(r"\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""A colour (SGR) sequence, which is let through, or any other control character but a newline and a tab."""


def printable(text: str) -> str:
    """``text`` with every control character but newline, tab and colour shown as ``\\uXXXX``.

    Task titles, descriptions and worker reports come from anyone who can write the queue or a subtask
    file: printed raw, ``\\x1b[2J`` cleared the operator's screen, ``\\x1b]0;...\\x07`` set the window
    title, ``\\r`` hid the start of a line behind its end. A colour sequence changes only colours. The
    ``\\uXXXX`` form is a valid escape inside a JSON string too, so ``--json`` output stays JSON."""
    return _UNPRINTABLE.sub(lambda m: m[0] if m[0].endswith("m") and len(m[0]) > 1 else f"\\u{ord(m[0]):04x}", text)


_LINE_BREAKS = {ord("\n"): "\\u000a", ord("\t"): "\\u0009"}


def one_line(value: object) -> str:
    """A field printed in a table's row, its newlines and tabs shown as ``\\uXXXX``: a queue's
    ``"assigned_to": "\\ndevelopment"`` broke the row of ``status --state assigned`` in two (the
    stream shows every other control character so already, see :func:`printable`)."""
    return str(value).translate(_LINE_BREAKS)


class PrintableStream:
    """A text stream that writes :func:`printable` text: what a command prints to a person."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> object:  # flush, isatty, fileno, encoding...
        return getattr(self.stream, name)
