"""A stand-in for an LLM command line (``claude -p``, ``llm``, ``ollama run``) in the external
planner's tests: it reads the prompt on stdin and answers as the scenario says.

    python planner_standin.py SCENARIO [PROMPT_DIR]

Scenarios: ``good`` (bare JSON), ``prose`` (prose around a fenced json block), ``repair``
(an invalid plan, then a good one once the prompt says the first was rejected), ``invalid``
(an invalid plan every time), ``slow`` (no answer for a minute), ``slow-family`` (the same,
after starting a child that would outlive it, its PID in PROMPT_DIR/child.pid), ``fail`` (exit 3 with a message
on stderr), ``huge`` (prints without end), ``silent`` (prose with no JSON). With PROMPT_DIR,
each prompt it gets is saved there as ``prompt-N.txt``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

GOOD = {"subtasks": [
    {"id": "design", "title": "Design the authentication architecture",
     "description": "Design JWT sessions and role-based access: endpoints, token lifetime, schema.",
     "assigned_to": "development", "worker_type": "planner", "dependencies": [],
     "files_affected": ["docs/auth-architecture.md"],
     "success_criteria": "docs/auth-architecture.md lists every endpoint, the token format and the schema."},
    {"id": "backend", "title": "Implement the login API",
     "description": "Implement login, logout and refresh endpoints as designed.",
     "assigned_to": "development", "worker_type": "implementation", "dependencies": ["design"],
     "files_affected": ["server/routes/auth.js"],
     "success_criteria": "POST /login returns a signed JWT for valid credentials and 401 otherwise."},
    {"id": "security-review", "title": "Review the login API for vulnerabilities",
     "description": "Review token handling and password storage.",
     "assigned_to": "security-master", "worker_type": "audit", "dependencies": ["backend"],
     "success_criteria": "A report lists each finding with its severity; no critical finding is open."},
    {"id": "docs", "title": "Document the login flow",
     "description": "Document login, tokens and configuration.",
     "assigned_to": "development", "worker_type": "documentation", "dependencies": ["security-review"],
     "files_affected": ["docs/authentication.md"],
     "success_criteria": "docs/authentication.md explains login and token lifetime with one example request."},
]}

INVALID = {"subtasks": [
    {"id": "design", "title": "Design the authentication architecture", "description": "Design it.",
     "assigned_to": "development", "dependencies": [], "success_criteria": "The design document exists and is reviewed."},
    {"id": "admin-ui", "title": "The admin UI", "description": "The admin UI.", "assigned_to": "frontend",
     "dependencies": ["design"], "success_criteria": "The admin UI is built and reviewed by a person."},
    {"id": "docs", "title": "Document the login flow", "description": "Document login.", "assigned_to": "development",
     "worker_type": "documentation", "dependencies": ["design", "ghost"],
     "success_criteria": "docs/authentication.md explains login with an example."},
]}

REJECTED = "Your previous answer was rejected"


def main() -> int:
    scenario = sys.argv[1]
    prompt = sys.stdin.read()
    if len(sys.argv) > 2:
        folder = Path(sys.argv[2])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"prompt-{len(list(folder.glob('prompt-*.txt'))) + 1}.txt").write_text(prompt)
    if scenario == "good":
        print(json.dumps(GOOD))
    elif scenario == "prose":
        print(f"Sure! Here is a plan in {len(GOOD['subtasks'])} steps {{as asked}}:\n\n```json\n"
              f"{json.dumps(GOOD, indent=2)}\n```\n\nThe audit waits for the API [it reviews].")
    elif scenario == "repair":
        print(json.dumps(GOOD if REJECTED in prompt else INVALID))
    elif scenario == "invalid":
        print(json.dumps(INVALID))
    elif scenario == "slow":
        time.sleep(60)
    elif scenario == "slow-family":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        (Path(sys.argv[2]) / "child.pid").write_text(str(child.pid))
        time.sleep(60)
    elif scenario == "fail":
        print("Error: model overloaded", file=sys.stderr)
        return 3
    elif scenario == "huge":
        while True:
            sys.stdout.write("{" * 65536)
    elif scenario == "silent":
        print("I think you should build it in small steps.")
    else:
        print(f"unknown scenario {scenario!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
