#!/usr/bin/env python3
"""A worker process for demos and tests: reports through `orchestrator subtask ...` like a real one.

    fake_worker.py COORDINATION_DIR SUBTASK_ID WORKER_ID BEHAVIOUR [SECONDS]

BEHAVIOUR: finish (heartbeat for SECONDS, then complete), fail (start, then fail,
transient), fail-permanent, die (start, then get killed), hang (start, then sleep
without heartbeats until someone stops it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def report(folder: str, action: str, subtask_id: str, *extra: str) -> None:
    subprocess.run([sys.executable, "-m", "orchestrator", "subtask", action, subtask_id, "--coordination-dir", folder,
                    *extra], check=False)


BEHAVIOURS = ("finish", "fail", "fail-permanent", "die", "hang")


def main() -> None:
    if len(sys.argv) < 5 or sys.argv[4] not in BEHAVIOURS:  # `--help` or a typo: the usage, not a traceback
        print(__doc__.strip(), file=sys.stderr if len(sys.argv) > 1 and sys.argv[1] not in ("-h", "--help") else sys.stdout)
        sys.exit(0 if sys.argv[1:2] in (["-h"], ["--help"]) else 2)
    folder, subtask_id, worker_id, behaviour = sys.argv[1:5]
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 0.2
    report(folder, "start", subtask_id, "--worker-id", worker_id, "--pid", str(os.getpid()))
    if behaviour == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if behaviour == "hang":
        time.sleep(3600)
    if behaviour.startswith("fail"):
        kind = "--permanent" if behaviour == "fail-permanent" else "--transient"
        report(folder, "fail", subtask_id, "--worker-id", worker_id, "--reason", "simulated failure", kind)
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(min(0.1, seconds))
        report(folder, "heartbeat", subtask_id, "--worker-id", worker_id, "--progress", "working")
    report(folder, "complete", subtask_id, "--worker-id", worker_id, "--result", f"{subtask_id} done by {worker_id}")


if __name__ == "__main__":
    main()
