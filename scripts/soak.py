#!/usr/bin/env python3
"""A soak of the real daemon under a hostile day, then a check of what the files say.

    python scripts/soak.py [--seed N] [--duration SECONDS] [--settle SECONDS] [--keep] [--work DIR]

Started as systemd starts it (``orchestrator run`` in a subprocess, with ``NOTIFY_SOCKET`` and
``WATCHDOG_USEC``; restarted after every exit, as ``Restart=on-failure`` does, and killed with
SIGABRT when its watchdog pings stop), beside real processes of the rest of the system:

- queue writers: one rewrites the whole file under the queue's lock (temp file + rename), one is
  ``scripts/add-task.sh`` (flock + jq), and a person's editor reads the queue, takes its time and
  writes it back in place without the lock;
- a coordinator cancelling simple tasks (``orchestrator cancel``) and settling escalated plans
  (``orchestrator resume --abort`` / ``--retry``);
- masters taking every pending handoff (under its lock, status ``processed``) and starting a worker
  for each subtask, which heartbeats (``agents/workers/W/heartbeat.json``), finishes, fails
  transiently or for good, hangs or dies;
- chaos: kill -9 of the daemon at random moments (none in the last third, so one daemon lives long
  enough to be measured), kill -9 of workers, the queue's lock held by another process for a while
  (sometimes longer than ``lock_timeout_seconds``), the events file rotated (moved, or copied and
  truncated).

Then the chaos and the writers stop, the work settles, and the invariants are checked from the
files alone (and the ledgers the helper processes kept); the summary says each one held or not,
with the ids that show it. Exit status 0 when all held, 1 otherwise. ``--keep`` keeps the folder.
The choices (what is written, which worker does what, when chaos strikes) follow the seed; the
timing of processes does not, so a run is reproducible in kind, not to the millisecond.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ADD_TASK = HERE.with_name("add-task.sh")
MASTERS = ("development", "security", "inventory", "cicd")

# generous timeouts: on a shared two-core machine a worker's first report took 14 s under load,
# and a 5 s zombie timeout stopped healthy workers (a soak of the daemon, not of the machine)
CONFIG = """
[watch]
debounce_seconds = 0.005
rescan_interval_seconds = 0.5
read_retry_delay_seconds = 0.02
read_retries = 5
lock_timeout_seconds = 4
update_retry_seconds = 0.3
[monitor]
interval_seconds = 0.5
heartbeat_timeout_seconds = 8
zombie_timeout_seconds = 15
never_started_timeout_seconds = 60
max_runtime_seconds = 60
[retry]
max_attempts = 3
backoff_base_seconds = 0.2
backoff_max_seconds = 2
jitter = 0.2
terminate_grace_seconds = 1
"""

SIMPLE_TITLES = (
    "Fix bug in api/users.py line {n}",
    "Update the README install section for release {n}",
    "Scan repository payments-{n} for security vulnerabilities",
    "Deploy the dashboard build {n} to staging",
    "List all repositories in the portfolio, batch {n}",
)
COMPLEX_TITLES = (
    "Add authentication system with security audit and docs, part {n}",
    "Build a billing service with an API, database migrations, security review and deployment pipeline {n}",
    "Migrate the monolith's user module {n} to a new service with tests, a security audit and a staged rollout",
)
BEHAVIOURS = (("finish", 68), ("fail", 12), ("hang", 5), ("stubborn", 3), ("die", 6), ("fail-permanent", 2),
              ("slow", 4))
"""What a worker does: ``stubborn`` hangs and ignores SIGTERM (only the daemon's SIGKILL ends it)."""

WATCHDOG_SEC = 15.0
"""The unit's ``WatchdogSec`` here: a daemon silent this long is killed with SIGABRT and restarted."""


def now() -> float:
    return time.time()


def iso(t: float | None = None) -> str:
    t = now() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


class Ledger:
    """One JSONL file per process: each line written whole with one ``write`` on O_APPEND."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def log(self, **fields: Any) -> None:
        os.write(self.fd, (json.dumps({"t": now(), **fields}) + "\n").encode())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            item = json.loads(line)
            if isinstance(item, dict):
                out.append(item)
    return out


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def flocked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write_atomic(path: Path, doc: Any) -> None:
    temp = path.with_name(f".{path.name}.soak-{os.getpid()}")
    temp.write_text(json.dumps(doc, indent=2))
    os.replace(temp, path)


def new_task(rng: random.Random, task_id: str, writer: str) -> dict[str, Any]:
    n = rng.randrange(100000)
    complex_ = rng.random() < 0.35
    title = rng.choice(COMPLEX_TITLES if complex_ else SIMPLE_TITLES).format(n=n)
    return {"id": task_id, "title": title, "status": "pending", "priority": rng.choice(["high", "medium", "low"]),
            "created_at": iso(), "created_by": writer, "soak": {"writer": writer, "n": n}}


class Stopping:
    """SIGTERM ends a helper's loop between two steps, never in the middle of a write."""

    def __init__(self) -> None:
        self.stop = False
        signal.signal(signal.SIGTERM, self._set)

    def _set(self, *_: Any) -> None:
        self.stop = True

    def sleep(self, seconds: float) -> bool:
        """Sleep; False once asked to stop."""
        end = time.monotonic() + seconds
        while not self.stop and time.monotonic() < end:
            time.sleep(max(0.0, min(0.05, end - time.monotonic())))
        return not self.stop


# --- the helper processes ---------------------------------------------------------------


def role_writer(folder: Path, ledger: Path, seed: int, kind: str) -> None:
    """Append tasks the ways the locking writers do: python under flock, or add-task.sh."""
    rng, log, stopping = random.Random(seed), Ledger(ledger), Stopping()
    queue = folder / "task-queue.json"
    pace = 1.5 if kind == "sh" else 1.0  # add-task.sh runs jq, flock and date: a little rarer
    n = 0
    while stopping.sleep(rng.uniform(1.5, 5.0) * pace):
        n += 1
        if kind == "sh":
            task = new_task(rng, "", "add-task.sh")
            begun = now()
            proc = subprocess.run(["bash", str(ADD_TASK), str(queue), task["title"], task["priority"]],
                                  capture_output=True, text=True, env={**os.environ, "LOCK_WAIT": "30"})
            if proc.returncode == 0:
                log.log(op="submit", id=proc.stdout.strip(), begun=begun, writer="sh")
            else:
                log.log(op="refused", rc=proc.returncode, stderr=proc.stderr[-300:], writer="sh")
            continue
        task = new_task(rng, f"py-{seed}-{n}", "py-locked")
        begun = now()
        with flocked(queue.with_name(queue.name + ".lock")):
            doc = read_json(queue)
            if not isinstance(doc, dict) or not isinstance(doc.get("tasks"), list):
                log.log(op="refused", id=task["id"], why="queue unreadable under the lock", writer="py")
                continue
            doc["tasks"].append(task)
            write_atomic(queue, doc)
        log.log(op="submit", id=task["id"], begun=begun, writer="py")


def role_editor(folder: Path, ledger: Path, seed: int) -> None:
    """A person's editor: read, take a moment, write the whole file back in place, no lock."""
    rng, log, stopping = random.Random(seed), Ledger(ledger), Stopping()
    queue = folder / "task-queue.json"
    n = 0
    while stopping.sleep(rng.uniform(6.0, 14.0)):
        read_at = now()
        doc = read_json(queue)
        if not isinstance(doc, dict) or not isinstance(doc.get("tasks"), list):
            continue
        time.sleep(rng.uniform(0.05, 0.8))  # typing
        n += 1
        task = new_task(rng, f"ed-{seed}-{n}", "editor")
        doc["tasks"].append(task)
        if doc["tasks"] and rng.random() < 0.5:
            victim = rng.choice(doc["tasks"])
            if isinstance(victim, dict):
                victim["note"] = f"edited by hand {n}"
        with open(queue, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(doc, indent=2))
        log.log(op="submit", id=task["id"], begun=read_at, read_at=read_at, writer="editor")


def role_coordinator(folder: Path, ledger: Path, seed: int) -> None:
    """Cancel simple tasks now and then; settle some escalated plans (abort or retry)."""
    rng, log, stopping = random.Random(seed), Ledger(ledger), Stopping()
    cli = [sys.executable, "-m", "orchestrator"]
    while stopping.sleep(rng.uniform(3.0, 8.0)):
        doc = read_json(folder / "task-queue.json")
        tasks = [t for t in (doc or {}).get("tasks", []) if isinstance(t, dict)]
        simple = [t for t in tasks if t.get("status") in ("pending", "assigned") and not t.get("orchestration_id")]
        if simple and rng.random() < 0.6:
            victim = rng.choice(simple)
            begun = now()
            proc = subprocess.run([*cli, "cancel", str(victim["id"]), "--coordination-dir", str(folder), "--json",
                                   "--reason", "soak: the coordinator cancels"], capture_output=True, text=True)
            log.log(op="cancel", id=victim["id"], begun=begun, rc=proc.returncode, out=proc.stdout[-300:],
                    err=proc.stderr[-300:], was=victim.get("status"))
        plans = [read_json(p) for p in (folder / "orchestrator/tasks").glob("orch-*.json")]
        blocked = [p for p in plans if isinstance(p, dict) and p.get("status") == "blocked"]
        if blocked and rng.random() < 0.5:
            plan = rng.choice(blocked)
            how = ["--abort"] if rng.random() < 0.5 or not plan.get("blocking_subtask") else \
                ["--retry", str(plan["blocking_subtask"])]
            begun = now()
            proc = subprocess.run([*cli, "resume", plan["orchestration_id"], *how, "--coordination-dir", str(folder)],
                                  capture_output=True, text=True)
            log.log(op="resume", id=plan["orchestration_id"], how=how, begun=begun, rc=proc.returncode,
                    err=proc.stderr[-300:])


def role_masters(folder: Path, ledger: Path, seed: int, work: Path) -> None:
    """The handoff consumer: take each pending handoff under its lock; a worker for each subtask."""
    rng, log, stopping = random.Random(seed), Ledger(ledger), Stopping()
    workers: dict[int, tuple[subprocess.Popen[bytes], str, str]] = {}
    by_subtask: dict[str, list[tuple[subprocess.Popen[bytes], str]]] = defaultdict(list)
    count = 0
    weights = [w for _, w in BEHAVIOURS]
    while True:
        for pid, (proc, subtask, worker_id) in list(workers.items()):
            code = proc.poll()
            if code is not None:
                log.log(op="exit", pid=pid, subtask=subtask, worker=worker_id, rc=code)
                del workers[pid]
        if stopping.stop:
            break
        for master in MASTERS:
            for path in sorted((folder / "masters" / master / "handoffs").glob("*.json")):
                handoff = read_json(path)
                if not isinstance(handoff, dict) or handoff.get("status", "pending") != "pending":
                    continue
                with flocked(path.with_name(path.name + ".lock")):
                    handoff = read_json(path)  # again, under the lock: the daemon may have withdrawn it
                    if not isinstance(handoff, dict) or handoff.get("status", "pending") != "pending":
                        continue
                    handoff["status"] = "processed"
                    handoff["processed_at"] = iso()
                    write_atomic(path, handoff)
                log.log(op="take", handoff=path.name, task=handoff.get("task_id"),
                        subtask=handoff.get("subtask_id"), attempt=handoff.get("attempt", 1),
                        orchestration=handoff.get("parent_orchestration"))
                subtask = str(handoff.get("subtask_id") or "")
                if not subtask:
                    continue  # a simple task: its master does it; the orchestrator's part is over
                count += 1
                worker_id = f"soak-w{count:05d}"
                # the invariant, measured where it can be exact: an earlier worker of this subtask still runs
                alive = [w for proc, w in by_subtask[subtask] if proc.poll() is None]
                if alive:
                    log.log(op="overlap", subtask=subtask, worker=worker_id, alive=alive, handoff=path.name)
                behaviour = rng.choices([b for b, _ in BEHAVIOURS], weights)[0]
                seconds = rng.uniform(0.5, 3.0) * (4 if behaviour == "slow" else 1)
                way = "command" if rng.random() < 0.3 else "file"
                proc = subprocess.Popen([sys.executable, str(HERE), "_worker", str(folder), subtask, worker_id,
                                         behaviour, f"{seconds:.2f}", str(work / "ledger-workers.jsonl"), way])
                workers[proc.pid] = (proc, subtask, worker_id)
                by_subtask[subtask].append((proc, worker_id))
                log.log(op="start", pid=proc.pid, subtask=subtask, worker=worker_id, behaviour=behaviour,
                        way=way, attempt=handoff.get("attempt", 1), handoff=path.name)
        time.sleep(0.05)
    for pid, (proc, subtask, worker_id) in workers.items():  # the masters stop: so do their workers
        if proc.poll() is None:
            proc.kill()
        log.log(op="exit", pid=pid, subtask=subtask, worker=worker_id, rc=proc.wait(), stopped_by="masters")


def role_worker(folder: Path, subtask: str, worker_id: str, behaviour: str, seconds: float, ledger: Path,
                way: str) -> None:
    """A worker: start, then heartbeat and finish, fail, hang or die. It reports either through the
    command (run in this process) or by writing its fields into the subtask file under its lock, the
    two ways interop.md names; heartbeats go to ``agents/workers/W/heartbeat.json`` either way."""
    log = Ledger(ledger)
    home = folder / "agents" / "workers" / worker_id
    home.mkdir(parents=True, exist_ok=True)
    (home / "worker.pid").write_text(str(os.getpid()))

    def by_command(action: str, *extra: str) -> int:
        from orchestrator.cli import main as command  # imported only here: a worker writing files stays light

        errors = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
            try:
                code = command(["subtask", action, subtask, "--coordination-dir", str(folder), "--worker-id",
                                worker_id, "-q", *extra])
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
        log.log(op=action, subtask=subtask, worker=worker_id, rc=code, err=errors.getvalue()[-200:], way="command")
        return code

    def by_file(action: str, **fields: Any) -> int:
        path = folder / "orchestrator" / "subtasks" / f"{subtask}.json"
        with flocked(path.with_name(path.name + ".lock")):
            data = read_json(path)
            if not isinstance(data, dict):
                log.log(op=action, subtask=subtask, worker=worker_id, rc=1, err="unreadable", way="file")
                return 1
            if action != "start" and data.get("worker_id") != worker_id:
                log.log(op=action, subtask=subtask, worker=worker_id, rc=1, err="taken over", way="file")
                return 1  # another attempt's worker owns the file now
            data.update(fields, last_heartbeat=iso())
            write_atomic(path, data)
        log.log(op=action, subtask=subtask, worker=worker_id, rc=0, way="file")
        return 0

    started = (by_command("start", "--pid", str(os.getpid())) if way == "command" else
               by_file("start", status="in_progress", worker_id=worker_id, pid=os.getpid(), started_at=iso()))
    if started != 0:
        return  # refused: an earlier attempt's handoff, or a plan that ended
    if behaviour == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if behaviour == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if behaviour in ("hang", "stubborn"):
        time.sleep(3600)
    if behaviour.startswith("fail"):
        if way == "command":
            by_command("fail", "--reason", "soak: simulated failure",
                       "--permanent" if behaviour == "fail-permanent" else "--transient")
        else:
            by_file("fail", status="failed", error="soak: simulated failure",
                    transient=behaviour != "fail-permanent", completed_at=iso())
        return
    deadline = time.monotonic() + seconds
    beat = 0
    while time.monotonic() < deadline:
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        beat += 1
        write_atomic(home / "heartbeat.json", {"timestamp": iso(), "status": "running", "progress": f"beat {beat}",
                                               "worker_id": worker_id})
    if way == "command":
        by_command("complete", "--result", f"{subtask} done by {worker_id}")
    else:
        by_file("complete", status="completed", result=f"{subtask} done by {worker_id}", completed_at=iso())


# --- the supervisor, as systemd ---------------------------------------------------------


class Daemon:
    """``orchestrator run`` as a Type=notify unit with Restart=on-failure and WatchdogSec."""

    def __init__(self, folder: Path, config: Path, work: Path, watchdog: float = WATCHDOG_SEC) -> None:
        self.folder, self.config, self.work, self.watchdog = folder, config, work, watchdog
        self.socket_path = work / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.socket_path))
        self.sock.setblocking(False)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.ready_at: float | None = None
        self.last_ping = 0.0
        self.findings: list[str] = []
        self.samples: list[tuple[float, int, int, int]] = []  # time, pid, rss kB, open fds
        self.ready: dict[int, float] = {}  # pid: when it said READY=1

    def start(self) -> None:
        self.starts += 1
        env = {**os.environ, "NOTIFY_SOCKET": str(self.socket_path),
               "WATCHDOG_USEC": str(int(self.watchdog * 1_000_000))}
        with open(self.work / "daemon.log", "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "orchestrator", "run", "--coordination-dir",
                                          str(self.folder), "--config", str(self.config)], stdout=log, stderr=log,
                                         env=env)
        self.ready_at = None
        self.last_ping = time.monotonic()
        self.started_mono = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(sig)
            self.proc.wait()

    def tend(self) -> None:
        """Read notify datagrams, restart after an exit, SIGABRT a silent daemon; sample its size."""
        while True:
            try:
                message = self.sock.recv(4096).decode(errors="replace")
            except BlockingIOError:
                break
            if "READY=1" in message:
                self.ready_at = time.monotonic()
                self.ready[self.proc.pid if self.proc else 0] = self.ready_at
                self.last_ping = time.monotonic()
            if "WATCHDOG=1" in message:
                self.last_ping = time.monotonic()
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            if code != -signal.SIGKILL:
                self.findings.append(f"the daemon exited by itself with status {code} (start {self.starts})")
            self.start()
            return
        startup_grace = 30.0 if self.ready_at is None else 0.0
        if time.monotonic() - self.last_ping > self.watchdog + startup_grace:
            self.findings.append(f"watchdog: no WATCHDOG=1 for {self.watchdog:.0f} s (start {self.starts}): SIGABRT")
            self.kill(signal.SIGABRT)
            self.start()
            return
        self.sample()

    def sample(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        pid = self.proc.pid
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, StopIteration, ValueError):
            return
        self.samples.append((time.monotonic(), pid, rss, fds))


def spawn(work: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(HERE), *args], stdout=subprocess.DEVNULL,
                            stderr=open(work / "helpers.log", "ab"))  # the child keeps it open


def our_worker(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(HERE).encode() in cmdline and b"_worker" in cmdline


def rotate(folder: Path, n: int, rng: random.Random) -> str:
    events = folder / "dashboard-events.jsonl"
    if not events.exists():
        return "none"
    target = folder / f"dashboard-events.jsonl.{n}"
    if rng.random() < 0.5:
        os.rename(events, target)  # logrotate's default: move it aside; the next append creates a new one
        return "moved"
    shutil.copyfile(events, target)  # copytruncate: what is appended between the two is lost, as there
    with open(events, "r+") as handle:
        handle.truncate(0)
    return "copytruncate"


def events_size(folder: Path) -> int:
    try:
        return (folder / "dashboard-events.jsonl").stat().st_size
    except OSError:
        return 0


def live_workers(folder: Path) -> list[int]:
    pids = []
    for pidfile in (folder / "agents" / "workers").glob("*/worker.pid"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pidfile.read_text())
            if our_worker(pid):
                pids.append(pid)
    return pids


def settled(folder: Path) -> bool:
    """Nothing left for the daemon to do but wait for a person."""
    doc = read_json(folder / "task-queue.json")
    if not isinstance(doc, dict):
        return False
    for task in doc.get("tasks", []):
        if isinstance(task, dict) and task.get("status") in ("pending", "orchestrating"):
            return False
    for path in (folder / "orchestrator/tasks").glob("orch-*.json"):
        plan = read_json(path)
        if not isinstance(plan, dict) or plan.get("status") in ("planning", "in_progress"):
            return False
    return not live_workers(folder)


def soak(args: argparse.Namespace, rng: random.Random, work: Path, folder: Path, config: Path, daemon: Daemon,
         helpers: list[subprocess.Popen[bytes]], lockers: list[subprocess.Popen[bytes]]
         ) -> tuple[Daemon, bool, list[tuple[float, int, int, int]], list[tuple[float, int, int, int]]]:
    """The hostile day, the settling, and a fresh daemon to compare with; the processes it starts are in
    ``helpers`` and ``lockers``, so the caller stops them whatever happens here."""
    daemon.start()
    helpers += [spawn(work, "_masters", str(folder), str(work / "ledger-masters.jsonl"), str(args.seed + 1), str(work)),
               spawn(work, "_writer", str(folder), str(work / "ledger-writer-py.jsonl"), str(args.seed + 2), "py"),
               spawn(work, "_writer", str(folder), str(work / "ledger-writer-sh.jsonl"), str(args.seed + 3), "sh"),
               spawn(work, "_editor", str(folder), str(work / "ledger-editor.jsonl"), str(args.seed + 4)),
               spawn(work, "_coordinator", str(folder), str(work / "ledger-coordinator.jsonl"), str(args.seed + 5))]
    masters = helpers[0]
    chaos = Ledger(work / "ledger-chaos.jsonl")
    start = time.monotonic()
    calm_from = start + args.duration * 2 / 3  # the last third: no daemon kills, so one daemon lives long
    due = {"daemon": start + rng.uniform(3, 12), "worker": start + rng.uniform(2, 6),
           "lock": start + rng.uniform(4, 12), "rotate": start + rng.uniform(6, 15)}
    rotations = 0
    events_seen = 0
    while time.monotonic() - start < args.duration:
        daemon.tend()
        t = time.monotonic()
        # most kills at a random time; some just as the daemon appends events, which is when it has
        # written a change and not yet said so (the window the outbox is for)
        grew = events_size(folder) != events_seen
        events_seen = events_size(folder)
        at_write = grew and rng.random() < 0.04
        if t >= due["daemon"] or (at_write and t < calm_from):
            due["daemon"] = t + rng.uniform(4, 20)
            if t < calm_from:
                if at_write:
                    time.sleep(rng.uniform(0.0, 0.03))
                daemon.kill()
                chaos.log(op="kill-daemon", start=daemon.starts, at_write=at_write)
                time.sleep(rng.uniform(0.0, 1.0))  # RestartSec
                daemon.start()
        if t >= due["worker"]:
            due["worker"] = t + rng.uniform(2, 8)
            pids = live_workers(folder)
            if pids:
                pid = rng.choice(sorted(pids))
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    chaos.log(op="kill-worker", pid=pid)
        if t >= due["lock"]:
            due["lock"] = t + rng.uniform(8, 20)
            hold = rng.choice([0.5, 1.5, 3.0, 6.0])  # 6 s: longer than lock_timeout_seconds
            lockers.append(subprocess.Popen(["flock", str(folder / "task-queue.json.lock"), "sleep", str(hold)]))
            chaos.log(op="hold-lock", seconds=hold)
        if t >= due["rotate"]:
            due["rotate"] = t + rng.uniform(10, 30)
            rotations += 1
            chaos.log(op="rotate", how=rotate(folder, rotations, rng), n=rotations)
            if rng.random() < 0.4:
                due["daemon"] = t + rng.uniform(0.0, 1.5)  # a restart soon after a rotation
        for locker in lockers:
            locker.poll()
        time.sleep(0.05)

    print(f"soak: chaos over after {time.monotonic() - start:.0f} s; settling", flush=True)
    for helper in helpers[1:]:
        helper.terminate()
    for helper in helpers[1:]:
        with contextlib.suppress(subprocess.TimeoutExpired):
            helper.wait(120)
        if helper.poll() is None:
            daemon.findings.append(f"a helper did not stop within 120 s of SIGTERM: {helper.args!r}")
            helper.kill()
    for locker in lockers:
        locker.wait()
    settle_end = time.monotonic() + args.settle
    quiet_since = None
    while time.monotonic() < settle_end:
        daemon.tend()
        if settled(folder):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 3:  # settled and stayed so
                break
        else:
            quiet_since = None
        time.sleep(0.2)
    settled_ok = quiet_since is not None
    daemon.tend()
    assert daemon.proc is not None
    long_lived = [s for s in daemon.samples if s[1] == daemon.proc.pid]
    ready = daemon.ready.get(daemon.proc.pid)
    long_lived = [s for s in long_lived if ready is not None and s[0] >= ready + 5]  # once it has warmed up
    masters.terminate()
    masters.wait(120)
    daemon.proc.terminate()
    stop_code = daemon.proc.wait(60)
    if stop_code != 0:
        daemon.findings.append(f"SIGTERM: the daemon exited with {stop_code}, not 0")
    # a fresh daemon on the same files: what the long-lived one holds beyond it grew while it ran
    daemon.start()
    fresh_deadline = time.monotonic() + 30
    while time.monotonic() < fresh_deadline and (daemon.ready_at is None or time.monotonic() - daemon.ready_at < 3):
        daemon.tend()
        time.sleep(0.1)
    daemon.tend()
    fresh = [s for s in daemon.samples if s[1] == daemon.proc.pid]
    daemon.proc.terminate()
    daemon.proc.wait(60)
    return daemon, settled_ok, long_lived, fresh



def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    work = Path(args.work or tempfile.mkdtemp(prefix=f"soak-{args.seed}-"))
    folder = work / "coordination"
    folder.mkdir(parents=True)
    (folder / "task-queue.json").write_text(json.dumps(
        {"version": "2.1", "metadata": {"owner": "soak", "seed": args.seed}, "stats": {"kept": True}, "tasks": []},
        indent=2))
    config = work / "config.toml"
    config.write_text(CONFIG)
    print(f"soak: seed {args.seed}, {args.duration:.0f} s of chaos, folder {folder}", flush=True)

    daemon = Daemon(folder, config, work, args.watchdog)
    helpers: list[subprocess.Popen[bytes]] = []
    lockers: list[subprocess.Popen[bytes]] = []
    try:
        daemon, settled_ok, long_lived, fresh = soak(args, rng, work, folder, config, daemon, helpers, lockers)
    finally:  # nothing of ours outlives the soak, whatever went wrong in it
        for proc in helpers + lockers:
            if proc.poll() is None:
                proc.terminate()
        for proc in helpers + lockers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
            if proc.poll() is None:
                proc.kill()
        daemon.kill()

    problems, facts = check(folder, work)
    problems = daemon.findings + problems
    if not settled_ok:
        problems.append(f"did not settle within {args.settle:.0f} s (see what is still pending or in progress)")
    growth = ""
    if long_lived and fresh:
        first, last, base = long_lived[0], long_lived[-1], fresh[-1]
        growth = (f"long-lived daemon: {(last[0] - first[0]):.0f} s, rss {first[2] // 1024}->{last[2] // 1024} MB, "
                  f"fds {first[3]}->{last[3]}; a fresh one on the same files: rss {base[2] // 1024} MB, fds {base[3]}")
        if last[3] > base[3] + 8:
            problems.append(f"open files grew: {last[3]} in the long-lived daemon, {base[3]} in a fresh one")
        if last[2] > base[2] * 1.5 + 20 * 1024:
            problems.append(f"memory grew: {last[2] // 1024} MB in the long-lived daemon, {base[2] // 1024} MB fresh")
    print(f"soak: daemon started {daemon.starts} times; {growth}")
    for key, value in facts.items():
        print(f"  {key}: {value}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"soak: {'OK' if not problems else f'{len(problems)} problem(s)'}; seed {args.seed}; folder {work}")
    if not problems and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


# --- the check, from the files alone ----------------------------------------------------


def events_of(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Our events across the rotated files (oldest first) and the current one; the lines that do not parse."""
    rotated = sorted(folder.glob("dashboard-events.jsonl.*"), key=lambda p: int(p.suffix[1:]))
    events, torn = [], []
    for path in [*rotated, folder / "dashboard-events.jsonl"]:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                torn.append(f"{path.name}: {line[:80]}")
                continue
            if isinstance(event, dict) and event.get("source") == "orchestrator":
                events.append(event)
    return events, torn


def soak_time(stamp: str) -> float:
    """Seconds of an event's ``...T12:00:00.123Z`` timestamp (0 when it is not one)."""
    try:
        return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def handoffs_of(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(folder.glob("masters/*/handoffs/*.json")):
        handoff = read_json(path)
        if isinstance(handoff, dict):
            found.append((path, handoff))
    return found


def check(folder: Path, work: Path) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []
    facts: dict[str, Any] = {}

    # every JSON file whole
    for path in folder.rglob("*.json"):
        if path.name.startswith(".") or read_json(path) is None:
            problems.append(f"unparsable: {path.relative_to(folder)}")

    events, torn = events_of(folder)
    if torn:
        problems.append(f"{len(torn)} events lines do not parse: {torn[:3]}")

    # every task submitted is in the queue exactly once, and settled
    queue = read_json(folder / "task-queue.json") or {}
    tasks = [t for t in queue.get("tasks", []) if isinstance(t, dict)]
    if queue.get("metadata", {}).get("owner") != "soak" or queue.get("stats") != {"kept": True}:
        problems.append("the queue's top-level keys were not kept")
    ids = Counter(t.get("id") for t in tasks)
    doubled = [i for i, c in ids.items() if c > 1]
    if doubled:
        problems.append(f"tasks in the queue more than once: {doubled[:10]}")
    submits = [e for name in ("py", "sh", "editor") for e in read_jsonl(work / f"ledger-writer-{name}.jsonl")
               if e.get("op") == "submit"] + [e for e in read_jsonl(work / "ledger-editor.jsonl")
                                                if e.get("op") == "submit"]
    edits = [(e["read_at"], e["t"]) for e in submits if e["writer"] == "editor"]
    locked = [(e["begun"], e["t"]) for e in submits if e["writer"] != "editor"]
    lost = [s for s in submits if s["id"] not in ids]
    # The unlocked editor loses work nobody can know of: a task a locked writer renamed in while the editor
    # held its old copy (read before, wrote after), and an editor's task a locked writer read the queue
    # just before (begun before the editor's write, renamed after it). Any other loss is the daemon's.
    excused = {s["id"] for s in lost
               if (s["writer"] != "editor" and any(r <= s["t"] and w >= s["begun"] for r, w in edits))
               or (s["writer"] == "editor" and any(b <= s["t"] and t >= s["t"] - 0.2 for b, t in locked))}
    unexcused = sorted({s["id"] for s in lost} - excused)
    facts["tasks submitted"] = len(submits)
    facts["lost to the unlocked editor (its read before, its write after)"] = len(set(excused))
    if unexcused:
        problems.append(f"tasks submitted and lost with no unlocked write to blame: {unexcused[:10]}")
    statuses = Counter(str(t.get("status")) for t in tasks)
    facts["queue by status"] = dict(statuses)
    unsettled = [t["id"] for t in tasks if t.get("status") in ("pending", "orchestrating", "in_progress")]
    if unsettled:
        problems.append(f"tasks not final nor waiting for a person: {unsettled[:10]}")

    # plans: advanced to their end or escalated
    handoffs = handoffs_of(folder)
    plans = {p["orchestration_id"]: p for p in (read_json(x) for x in (folder / "orchestrator/tasks").glob("orch-*.json"))
             if isinstance(p, dict)}
    facts["plans by status"] = dict(Counter(p.get("status") for p in plans.values()))
    for oid, plan in plans.items():
        if plan.get("status") not in ("completed", "blocked", "aborted", "failed"):
            problems.append(f"{oid} is {plan.get('status')} after settling")
        if plan.get("status") == "completed":
            undone = [s["subtask_id"] for s in plan.get("subtasks", []) if s.get("status") not in ("completed", "skipped")]
            if undone:
                problems.append(f"{oid} completed with subtasks not done: {undone}")
        if plan.get("status") == "blocked" and not (folder / f"orchestrator/escalations/{oid}.json").exists():
            problems.append(f"{oid} is blocked with no escalation file")
        if plan.get("status") == "completed" and not (folder / f"orchestrator/reports/{oid}.md").exists():
            problems.append(f"{oid} is completed with no report")
        aborted_at = [i.get("at", "") for i in plan.get("interventions", []) if i.get("event") == "aborted"]
        late = [h.name for h, d in handoffs if d.get("parent_orchestration") == oid and aborted_at
                and str(d.get("created_at", "")) > max(aborted_at)]
        if late:
            problems.append(f"handoffs of {oid} written after it was aborted: {late}")
        queue_task = next((t for t in tasks if f"orch-{t.get('id')}" == oid), None)
        expected = {"completed": "completed", "blocked": "blocked", "aborted": "cancelled"}.get(str(plan.get("status")))
        if queue_task is not None and expected and queue_task.get("status") != expected:
            problems.append(f"{oid} is {plan.get('status')} but its queue task is {queue_task.get('status')}")

    # handoffs: none for a cancelled task after its cancel; none left pending for a cancelled task or ended plan
    cancels = {e["id"]: e["t"] for e in read_jsonl(work / "ledger-coordinator.jsonl")
               if e.get("op") == "cancel" and e.get("rc") == 0}
    facts["handoffs"] = len(handoffs)
    by_task = {t.get("id"): t for t in tasks}
    for path, handoff in handoffs:
        task_id = handoff.get("task_id")
        task = by_task.get(task_id)
        if handoff.get("subtask_id") is None and task is not None and task.get("status") == "cancelled":
            if handoff.get("status") == "pending":
                problems.append(f"a cancelled task's handoff is still pending: {path.name}")
            created = handoff.get("created_at", "")
            if task_id in cancels and created and created > iso(cancels[task_id] + 0.5):
                problems.append(f"a handoff written after its task was cancelled: {path.name} ({created})")
        oid = handoff.get("parent_orchestration")
        if oid in plans and plans[oid].get("status") in ("completed", "aborted") and handoff.get("status") == "pending":
            problems.append(f"a pending handoff of the ended {oid}: {path.name}")
    simple_handoffs = Counter((h.get("task_id"), h.get("attempt")) for _, h in handoffs if not h.get("subtask_id"))
    twice = [k for k, c in simple_handoffs.items() if c > 1]
    if twice:
        problems.append(f"a simple task's attempt handed off twice: {twice[:5]}")

    # no subtask with two live workers at once: the masters saw an earlier worker of it still running
    # when they started the next (exact: they poll it then); its reports say how far it had got
    masters = read_jsonl(work / "ledger-masters.jsonl")
    reports: dict[str, list[str]] = defaultdict(list)
    for e in read_jsonl(work / "ledger-workers.jsonl"):
        reports[e["worker"]].append(f"{e['op']}:{e.get('rc')}")
    overlaps = [f"{e['subtask']}: {e['worker']} ({e['handoff']}) started while {e['alive']} ran "
                f"(their reports: {[reports[w] for w in e['alive']]})" for e in masters if e.get("op") == "overlap"]
    facts["workers started"] = sum(1 for e in masters if e.get("op") == "start")
    if overlaps:
        problems.append(f"{len(overlaps)} subtasks had two live workers: {overlaps[:5]}")

    # events: each step said once
    ids_seen = Counter(e.get("event_id") for e in events if e.get("event_id"))
    repeated = [i for i, c in ids_seen.items() if c > 1]
    facts["events"] = len(events)
    facts["events by type (some)"] = {k: v for k, v in Counter(e["type"] for e in events).most_common()
                                      if k in ("orchestrator_started", "orchestration_started", "handoff_created",
                                               "subtask_completed", "subtask_failed", "zombie_detected",
                                               "worker_dead", "orchestration_completed", "orchestration_blocked",
                                               "task_cancelled", "claim_restored", "task_vanished",
                                               "internal_error", "events_file_rotated", "handoff_withdrawn")}
    if repeated:
        problems.append(f"{len(repeated)} event ids appended more than once: {repeated[:5]}")
    started = Counter(e.get("orchestration_id") for e in events if e["type"] == "orchestration_started")
    if any(c > 1 for c in started.values()):
        problems.append(f"orchestration_started more than once: {[k for k, c in started.items() if c > 1][:5]}")
    for oid in plans:
        if oid not in started and not any(e.get("orchestration_id") == oid for e in events):
            problems.append(f"{oid} has no event at all")
    for task in tasks:  # an assigned simple task has its handoff, and it was not withdrawn
        if task.get("status") == "assigned" and not task.get("orchestration_id"):
            own = read_json(folder / str(task.get("handoff_file", ""))) if task.get("handoff_file") else None
            if not isinstance(own, dict) or own.get("status") == "cancelled":
                problems.append(f"{task['id']} is assigned, but its handoff {task.get('handoff_file')} is "
                                f"{'missing' if not isinstance(own, dict) else 'cancelled'}")

    # the daemon's own log: no error, nothing that is not a JSON line (a traceback)
    levels: Counter[str] = Counter()
    for line in (work / "daemon.log").read_text(errors="replace").splitlines() if (work / "daemon.log").exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            levels[f"not JSON: {line[:100]}"] += 1
            continue
        if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
            levels[f"{entry['level']} {entry.get('event')}"] += 1
    facts["daemon log, warnings and worse"] = dict(levels)
    bad = [k for k in levels if not k.startswith("warning")]
    if bad:
        problems.append(f"the daemon logged: {bad[:5]}")
    # a condition is said when it starts, not on every pass: the same problem of the same item said more
    # than three times within ten seconds is a line per pass (the lock held, a write refused)
    said: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for e in events:
        if not e.get("event_id") and e.get("problem") and e["type"] != "task_invalid":
            key = (e["type"], e.get("task_id"), e.get("orchestration_id"), e.get("subtask_id"), e.get("problem"))
            said[key].append(soak_time(e.get("timestamp", "")))
    spam = [f"{k[0]} {k[1] or k[2] or k[3]} x{len(v)}: {str(k[4])[:80]}" for k, v in said.items()
            if any(b - a <= 10 for a, b in zip(v, v[3:], strict=False))]
    if spam:
        problems.append(f"said again on every pass: {spam[:5]}")
    internal = [e for e in events if e["type"] == "internal_error"]
    if internal:
        problems.append(f"{len(internal)} internal_error events: {[e.get('problem', e)for e in internal[:3]]}")
    return problems, facts


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        role, rest = sys.argv[1], sys.argv[2:]
        if role == "_writer":
            role_writer(Path(rest[0]), Path(rest[1]), int(rest[2]), rest[3])
        elif role == "_editor":
            role_editor(Path(rest[0]), Path(rest[1]), int(rest[2]))
        elif role == "_coordinator":
            role_coordinator(Path(rest[0]), Path(rest[1]), int(rest[2]))
        elif role == "_masters":
            role_masters(Path(rest[0]), Path(rest[1]), int(rest[2]), Path(rest[3]))
        elif role == "_worker":
            role_worker(Path(rest[0]), rest[1], rest[2], rest[3], float(rest[4]), Path(rest[5]), rest[6])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="the seed of every random choice: the same seed, the same day")
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of chaos (default 180)")
    parser.add_argument("--settle", type=float, default=240.0, help="longest wait for the work to settle")
    parser.add_argument("--work", help="folder to work in (default: a new temporary one)")
    parser.add_argument("--watchdog", type=float, default=WATCHDOG_SEC,
                        help="WatchdogSec: a daemon silent this long is killed (SIGABRT) and started again")
    parser.add_argument("--keep", action="store_true", help="keep the folder even when all held")
    parser.add_argument("--check", metavar="WORK", help="only check the files a kept soak left in WORK")
    args = parser.parse_args()
    if args.check:
        problems, facts = check(Path(args.check) / "coordination", Path(args.check))
        for key, value in facts.items():
            print(f"  {key}: {value}")
        for problem in problems:
            print(f"PROBLEM: {problem}")
        return 1 if problems else 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
