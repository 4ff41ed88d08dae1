#!/usr/bin/env python3
"""Watch one complete orchestration, from task to report, in well under a minute.

Starts the daemon on a fresh folder (./demo-coordination, or the folder given), submits the
seed's authentication task, plays the masters and their workers (the first backend worker
dies, to show a retry), prints each event as it happens, then the completion report.

    demo.py [FOLDER] [--escalation]

With ``--escalation`` the security audit also fails three times, the orchestration is
escalated (blocked), and the demo resumes it as an operator would
(``orchestrator resume ORCH --retry SUBTASK``); the fourth attempt completes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from fake_masters import FakeMasters

CONFIG = """
[monitor]
interval_seconds = 0.5
zombie_timeout_seconds = 10
[retry]
backoff_base_seconds = 0.5
jitter = 0.1
"""
TITLE = "Add authentication system with security audit and docs"


def orchestrator(folder: Path, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "orchestrator", *args, "--coordination-dir", str(folder)],
                          check=True, capture_output=True, text=True).stdout.strip()


def show(event: dict) -> str:
    keys = ("task_id", "orchestration_id", "subtask_id", "stage", "master", "assigned_to", "attempt", "kind",
            "reason", "report", "summary")
    details = "  ".join(f"{k}={event[k]}" for k in keys if k in event)
    return f"{event['timestamp'][11:23]}  {event['type']:<24} {details}"


def behaviour(escalation: bool):
    def act(subtask_id: str, attempt: int) -> str:
        if "backend" in subtask_id and attempt == 1:
            return "die"
        if escalation and "security-audit" in subtask_id and attempt <= 3:
            return "fail"
        return "finish"
    return act


MARK = ".orchestrator-demo"
"""The demo deletes and remakes its folder; this file says a folder is one it made (a real coordination folder
given by mistake is refused, not wiped)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="demo-coordination",
                        help="the folder to run it in (default demo-coordination): made, or an earlier demo's deleted "
                             "first; any other folder that holds something is refused")
    parser.add_argument("--escalation", action="store_true",
                        help="the audit fails three times and is escalated; the demo resumes it as an operator")
    args = parser.parse_args()
    folder = Path(args.folder).resolve()
    if folder.exists() and not (folder / MARK).exists() and (not folder.is_dir() or any(folder.iterdir())):
        print(f"{folder} holds something that is not an earlier demo's: the demo starts afresh, so give it a new "
              "folder or an empty one", file=sys.stderr)
        return 2
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "orchestrator").mkdir(parents=True)
    (folder / MARK).write_text("made by scripts/demo.py, which deletes this folder when it runs again\n")
    (folder / "orchestrator" / "config.toml").write_text(CONFIG)
    (folder / "task-queue.json").write_text('{"tasks": []}\n')
    daemon = subprocess.Popen([sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(folder)],
                              stderr=subprocess.DEVNULL)
    work = float(os.environ.get("DEMO_WORK_SECONDS", "1.0"))  # the tests make the workers quicker
    masters = FakeMasters(folder, behaviour(args.escalation), seconds=work)
    events = folder / "dashboard-events.jsonl"
    printed = 0
    started = time.monotonic()

    def follow() -> bool:
        nonlocal printed
        lines = events.read_text().splitlines() if events.exists() else []
        for line in lines[printed:]:
            event = json.loads(line)
            print(show(event), flush=True)
            if event["type"] == "orchestration_blocked":  # the operator looks, and tries once more
                command = ["resume", event["orchestration_id"], "--retry", event["blocking_subtask"]]
                print(f"\n$ orchestrator {' '.join(command)}\n{orchestrator(folder, *command)}\n", flush=True)
        printed = len(lines)
        return any('"orchestration_completed"' in line for line in lines)

    try:
        while not events.exists():
            time.sleep(0.05)
        task_id = orchestrator(folder, "submit", TITLE, "--priority", "high")
        print(f"submitted {task_id}: {TITLE}\n")
        done = masters.run_until(follow, timeout=120, every=0.05)
    finally:
        masters.stop()
        daemon.send_signal(signal.SIGINT)
        daemon.wait(10)
        follow()
    if not done:
        print("the orchestration did not finish in time", file=sys.stderr)
        return 1
    report = next((folder / "orchestrator" / "reports").glob("*.md"))
    print(f"\nfinished in {time.monotonic() - started:.1f}s; the report, {report}:\n")
    print(report.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
