"""What the daemon's module loads: every module is memory the idle daemon keeps (the idle target is 60 MB)."""

from __future__ import annotations

import json
import subprocess
import sys

CLI_ONLY = ("orchestrator.cli", "orchestrator.views", "orchestrator.status", "orchestrator.doctor",
            "orchestrator.completion", "orchestrator.service", "orchestrator.console", "orchestrator.lookup",
            "orchestrator.examples", "orchestrator.web", "argcomplete")
"""Modules only the commands use (show, status, doctor, completion, the web view...): the daemon never needs them."""


def loaded_by(module: str) -> set[str]:
    """The modules a fresh interpreter holds after importing ``module`` (a fresh one: this one has loaded everything)."""
    script = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def test_the_daemon_module_loads_no_command_only_module() -> None:
    loaded = loaded_by("orchestrator.daemon")
    assert "orchestrator.core" in loaded and "orchestrator.learned" in loaded  # what it does need is there
    assert sorted(name for name in loaded if name.startswith(CLI_ONLY)) == []
