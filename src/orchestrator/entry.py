"""The console script and ``python -m orchestrator`` (the systemd unit's): before the imports, which take seconds
on a loaded machine, a daemon about to start ignores SIGHUP. One sent then (a script's ``kill -HUP``, logrotate's
postrotate, a reload) killed it with exit status 129; the event loop's handler takes SIGHUP over, and ``cli.main``
gives it back to every other command."""

from __future__ import annotations

import signal
import sys

held = False
"""Whether SIGHUP is ignored here (not by ``nohup``, whose choice stays)."""


def main() -> int:
    global held
    if "run" in sys.argv[1:] and signal.getsignal(signal.SIGHUP) == signal.SIG_DFL:  # the command, or a word of one
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        held = True
    from orchestrator.cli import main as cli_main  # after the signal: this import is the window

    return cli_main()
