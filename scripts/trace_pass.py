#!/usr/bin/env python3
"""Where one pickup's time goes, in-process, on a real folder: a tracer and a profile of the pass.

    python scripts/trace_pass.py [--kind complex|simple] [--runs 150] [--root DIR] [--profile N]

A ``Core`` on a ``FolderStore`` (no daemon, no watchdog: the daemon's wake-up, 0.1-0.4 ms, is the
bench's ``wake`` row) takes one new task per pass, as the bench's writer gives them: the queue is
renamed into place with one more task, then ``run_pass({"queue"})``. Every pass is traced with
``time.perf_counter_ns`` marks around the points that matter (the queue's read, classification,
the claim, each wait on the disk, the plan's begin, the events, the state file) and timed with
``time.process_time`` (every thread: the drafting one too) and ``time.thread_time`` (the pass's
thread). Prints the median of each mark's offset from the rename, and the medians of the pass's
wall, CPU and waits. With ``--profile N``, ``cProfile`` of the pass thread's CPU time over N more passes.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import json
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import corpus_simple_tasks  # scripts/ is this script's folder: on its path
from orchestrator import core as core_module
from orchestrator import logs
from orchestrator import store as store_module
from orchestrator.classify import Classifier
from orchestrator.config import Config, Settings
from orchestrator.core import FULL, Core
from orchestrator.engine import Engine
from orchestrator.outbox import Outbox
from orchestrator.registry import PlanRegistry
from orchestrator.store import FolderStore, Layout, Store
from orchestrator.supervisor import Supervisor

TITLES = {"complex": "Add authentication system with security audit and docs",
          "simple": "Fix bug in api/users.py line 42"}

marks: list[tuple[str, int, int, int]] = []  # label, perf_counter_ns, thread_time_ns, thread


def mark(label: str) -> None:
    marks.append((label, time.perf_counter_ns(), time.thread_time_ns(), threading.get_ident()))


def traced(owner: Any, name: str, label: str, *, static: bool = False) -> None:
    """Mark the start and end of ``owner.name`` on every call."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mark(f"{label} >")
        try:
            return original(*args, **kwargs)
        finally:
            mark(f"{label} <")

    setattr(owner, name, staticmethod(wrapper) if static else wrapper)


def trace_waits() -> None:
    """The store's waits on the disk, named by what they wait for."""
    fsync_all = store_module._fsync_all
    sync_folder = FolderStore._sync_folder

    def files(fds: list[int], *, close: bool = False) -> None:
        mark(f"fsync {len(fds)} fds >")
        try:
            fsync_all(fds, close=close)
        finally:
            mark(f"fsync {len(fds)} fds <")

    def folder(path: Path) -> None:
        mark(f"fsync {path.name}/ >")
        try:
            sync_folder(path)
        finally:
            mark(f"fsync {path.name}/ <")

    store_module._fsync_all = files
    FolderStore._sync_folder = staticmethod(folder)  # type: ignore[method-assign]


def trace_renames() -> None:
    """Each rename or link into place, named by its target's folder (the kernel's time, often the journal's)."""
    replace, link = os.replace, os.link

    def named(call: Callable[..., None], verb: str) -> Callable[..., None]:
        def wrapper(source: Any, target: Any, **kwargs: Any) -> None:
            label = f"{verb} {Path(target).parent.name}/"
            mark(f"{label} >")
            try:
                call(source, target, **kwargs)
            finally:
                mark(f"{label} <")
        return wrapper

    store_module.os.replace = named(replace, "rename into")  # type: ignore[assignment]
    store_module.os.link = named(link, "link into")  # type: ignore[assignment]


gc_runs: list[tuple[int, int]] = []  # generation, ns, of each collection in the current pass
_gc_started = 0


def trace_gc(info_phase: str, info: dict[str, int]) -> None:
    """Each cyclic collection in a pass, its generation and its time (``gc.callbacks``)."""
    global _gc_started
    if info_phase == "start":
        _gc_started = time.perf_counter_ns()
    else:
        gc_runs.append((info["generation"], time.perf_counter_ns() - _gc_started))


def install() -> None:
    gc.callbacks.append(trace_gc)
    trace_waits()
    trace_renames()
    traced(Store, "append_events", "append events")
    traced(Store, "read_queue", "read queue")
    traced(Classifier, "classify", "classify")
    traced(Store, "update_queue", "claim (update_queue)")
    traced(Engine, "start_orchestration", "plan written (start_orchestration)")
    traced(Supervisor, "begin_many", "subtasks + handoff (supervisor.begin_many)")
    traced(core_module, "draft_now", "draft (drafting thread)")
    traced(Outbox, "flush", "events (outbox.flush)")
    traced(PlanRegistry, "write_state", "state file")


def write_queue(path: Path, tasks: list[dict[str, Any]]) -> None:
    temp = path.with_name(".task-queue.json.trace")
    temp.write_bytes(json.dumps({"version": "2.1", "tasks": tasks}).encode())
    os.replace(temp, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=sorted(TITLES), default="complex", help="the task picked up: planned or routed")
    parser.add_argument("--runs", type=int, default=150, help="passes measured (the medians are printed)")
    parser.add_argument("--root", type=Path, default=None, help="a folder on the disk to measure (default: a temp one)")
    parser.add_argument("--queued", type=int, default=0, help="finished tasks in the queue before the first (the bench: 10,000)")
    parser.add_argument("--repeat", action="store_true",
                        help="simple: the one title each pass (before perf18) instead of the dev corpus's distinct tasks")
    parser.add_argument("--profile", type=int, default=0, help="passes to run under cProfile afterwards")
    args = parser.parse_args()
    logs.configure("info", json=True)  # as the daemon logs under systemd (run with 2>/dev/null, as the bench does)
    parent = tempfile.mkdtemp(prefix="trace-", dir=args.root)
    root = Path(parent) / "coordination"
    root.mkdir()
    write_queue(root / "task-queue.json", [])
    core = Core(FolderStore(Layout(root)), Settings(Config()))
    core.start(pid=os.getpid())
    core.run_pass(FULL)
    core.warm_up()
    install()
    tasks: list[dict[str, Any]] = [{"id": f"done-{n}", "title": f"Finished task {n}", "status": "completed",
                                     "priority": "medium", "created_by": "trace", "created_at": "2025-11-05T18:00:00Z"}
                                    for n in range(args.queued)]
    write_queue(root / "task-queue.json", tasks)
    core.run_pass({"queue"})
    passes: list[list[tuple[str, int]]] = []
    wall, cpu, thread = [], [], []
    collections: list[list[tuple[int, int]]] = []

    # a simple pickup takes a new text each pass, as the bench's (``bench.corpus_simple_tasks``): one title repeated
    # would let the remembered readings hit from pass to pass
    texts = corpus_simple_tasks(args.runs + args.profile) if args.kind == "simple" and not args.repeat else []

    def one(n: int, run: Callable[[], Any]) -> None:
        tasks.append({"id": f"t{n}", "title": TITLES[args.kind], "status": "pending", "priority": "medium",
                      "created_by": "trace", "created_at": "2025-11-05T18:00:00Z"} | (texts[n] if texts else {}))
        time.sleep(0.001)  # the bench's writer leaves the store a moment between tasks (spares are made then)
        marks.clear()
        gc_runs.clear()
        write_queue(root / "task-queue.json", tasks)
        started, cpu0, thread0 = time.perf_counter_ns(), time.process_time(), time.thread_time()
        mark("queue renamed")
        run()
        mark("pass returned")
        wall.append((time.perf_counter_ns() - started) / 1e6)
        cpu.append((time.process_time() - cpu0) * 1000)
        thread.append((time.thread_time() - thread0) * 1000)
        passes.append(segments(marks, started))
        collections.append(list(gc_runs))
        tasks[:] = json.loads((root / "task-queue.json").read_bytes())["tasks"]  # the writer re-reads

    for n in range(args.runs):
        one(n, lambda: core.run_pass({"queue"}))
    report(passes, wall, cpu, thread, args.kind, args.runs)
    report_gc(collections)
    if args.profile:
        profiler = cProfile.Profile(time.thread_time)  # the pass thread's CPU, not its waits
        for n in range(args.runs, args.runs + args.profile):
            one(n, lambda: profiler.runcall(core.run_pass, {"queue"}))
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        profiler.dump_stats(str(Path(parent) / "pass.prof"))
        print(f"profile saved in {Path(parent) / 'pass.prof'}")
    core.stop()
    return 0


def report_gc(collections: list[list[tuple[int, int]]]) -> None:
    """How often the cyclic collector ran inside a pass, by generation, and for how long."""
    for generation in range(3):
        counts = [sum(1 for g, _ in runs if g == generation) for runs in collections]
        spent = [sum(ns for g, ns in runs if g == generation) / 1e6 for runs in collections]
        print(f"gc generation {generation}: {sum(counts) / len(counts):.2f} a pass, "
              f"{sum(spent) / len(spent):.3f} ms a pass on average (max {max(spent):.3f} ms)")
    print(f"gc frozen objects {gc.get_freeze_count()}, tracked {len(gc.get_objects())}")


def segments(marks: list[tuple[str, int, int, int]], started: int) -> list[tuple[str, int, int]]:
    """Each mark as (label, ns since the rename, ns of its thread's CPU since that thread's last mark)."""
    last: dict[int, int] = {}
    out = []
    for label, at, cpu, thread in marks:
        out.append((label, at - started, cpu - last.get(thread, cpu)))
        last[thread] = cpu
    return out


def report(passes: list[list[tuple[str, int, int]]], wall: list[float], cpu: list[float], thread: list[float],
           kind: str, runs: int) -> None:
    shapes = {tuple(label for label, *_ in p) for p in passes}
    common = max(shapes, key=lambda shape: sum(1 for p in passes if tuple(label for label, *_ in p) == shape))
    same = [p for p in passes if tuple(label for label, *_ in p) == common]
    print(f"{kind} pickup, {runs} passes ({len(same)} of the most common shape); ms from the queue's rename, medians",
          flush=True)
    print(f"{'mark':58} {'at':>7} {'since last':>10} {'its CPU':>8}")
    last = 0.0
    for i, label in enumerate(common):
        at = statistics.median(p[i][1] for p in same) / 1e6
        cpu_since = statistics.median(p[i][2] for p in same) / 1e6
        print(f"{label:58} {at:7.3f} {at - last:10.3f} {cpu_since:8.3f}")
        last = at
    waits = []
    for p in same:
        total, opened = 0, None
        for label, t, _ in p:
            if label.startswith("fsync") and label.endswith(">") and opened is None:
                opened = t
            elif label.startswith("fsync") and label.endswith("<") and opened is not None:
                total, opened = total + t - opened, None
        waits.append(total / 1e6)
    print(f"pass wall p50 {statistics.median(wall):.3f} ms (p95 {sorted(wall)[int(0.95 * len(wall))]:.3f}); "
          f"CPU all threads p50 {statistics.median(cpu):.3f} ms; pass thread {statistics.median(thread):.3f} ms; "
          f"waits on the disk {statistics.median(waits):.3f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
