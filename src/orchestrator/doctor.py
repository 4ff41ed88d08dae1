"""``orchestrator doctor``: what is wrong with a coordination folder, and what to do about it."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from orchestrator.config import ClassifierConfig, PlannerConfig
from orchestrator.daemon_control import is_held
from orchestrator.learned import shipped_examples
from orchestrator.models import MASTERS, Plan, QueueTask, Subtask, describe
from orchestrator.planner_prompt import PromptError, load_template, render
from orchestrator.store import Store, StoreError, is_own_temp


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warning", "problem"
    what: str
    action: str = ""


def examine_planner(config: PlannerConfig) -> list[Finding]:
    """Whether the external planner can run: its command on PATH, its prompt template usable."""
    command = config.external_command()
    if command is None:
        return [Finding("ok", "planner: built-in (no external planner configured)")]
    findings = []
    found = shutil.which(command[0])
    findings.append(Finding("ok", f"external planner: {command[0]} is {found}") if found else Finding(
        "warning", f"external planner: {command[0]!r} is not found on PATH",
        "install it or fix [planner] command (the daemon's PATH counts); until then the built-in planner plans"))
    try:
        render(load_template(config.prompt_file), QueueTask(id="check", title="Check the prompt"), config)
        findings.append(Finding("ok", f"external planner prompt: {config.prompt_file or 'the shipped one'}"))
    except PromptError as exc:
        findings.append(Finding("problem", str(exc), "fix the template named by [planner] prompt_file"))
    return findings


def examine_learned(config: ClassifierConfig) -> list[Finding]:
    """Whether the built-in model has its examples (a broken install leaves the rules and history alone)."""
    if not config.learned_model:
        return [Finding("ok", "built-in model: off (classifier.learned_model = false)")]
    try:
        examples = shipped_examples()
    except (OSError, ValueError) as exc:
        return [Finding("problem", f"built-in model: its examples cannot be read ({exc})",
                        "reinstall the package; until then the rules and the queue's history route alone")]
    return [Finding("ok", f"built-in model: learns from {len(examples)} labelled tasks")]


def examine(store: Store) -> list[Finding]:
    layout = store.layout
    findings: list[Finding] = []
    add = findings.append
    if not layout.root.is_dir():
        return [Finding("problem", f"{layout.root} does not exist",
                        "create it, or pass --coordination-dir / set ORCHESTRATOR_COORDINATION_DIR")]
    if not os.access(layout.root, os.W_OK):
        add(Finding("problem", f"{layout.root} is not writable by this user", "run as the folder's owner"))
    lock = layout.daemon_lock
    if lock.exists() and not lock.is_file():  # a daemon holds the lock it took on the file this one replaced
        lock_folder = lock.is_dir()  # rmdir refuses a FIFO, and run refuses to start only beside a folder
        add(Finding("problem", f"{lock.relative_to(layout.root)} is not a file: whether a daemon runs cannot be told",
                    f"remove it ({'rmdir' if lock_folder else 'rm'}); a running daemon takes its lock file again at its next "
                    "rescan" + (", and orchestrator run refuses to start until then" if lock_folder else "")))
    else:
        running = is_held(lock)
        add(Finding("ok" if running else "warning", "a daemon is running" if running else "no daemon is running",
                    "" if running else "start it: orchestrator run (or systemctl start orchestrator)"))
    try:
        snapshot = store.read_queue()
        tasks = snapshot.tasks if snapshot else []
        add(Finding("ok", f"queue readable: {len(tasks)} tasks") if snapshot else
            Finding("warning", f"{layout.queue} does not exist", "orchestrator submit creates it"))
    except StoreError as exc:
        tasks = []
        add(Finding("problem", str(exc), "fix the file by hand; the daemon never rewrites a file it cannot read"))
    blocked = layout.not_folders()
    for folder in blocked:
        add(Finding("problem", f"{layout.rel(folder)} is not a folder (a file is in its place)",
                    "move it away: the daemon keeps a folder there, and cannot start until it can make it"))
    for folder in layout.folders():
        if not folder.is_dir() and folder not in blocked and not any(b in folder.parents for b in blocked):
            add(Finding("warning", f"missing folder {layout.rel(folder)}", "the daemon creates it at start"))
    plans: dict[str, Plan] = {}
    for path in store.list_json(layout.tasks):
        try:
            plan = Plan.model_validate(store.read_json(path))
            plans[plan.orchestration_id] = plan
        except (StoreError, ValueError) as exc:
            add(Finding("problem", f"invalid plan {path.name}: {describe(exc)}", "restore it or remove it"))
    known = {s.subtask_id for p in plans.values() for s in p.subtasks}
    for path in store.list_json(layout.subtasks):
        try:
            subtask = Subtask.model_validate(store.read_json(path))
        except (StoreError, ValueError) as exc:
            add(Finding("problem", f"invalid subtask {path.name}: {describe(exc)}",
                        "its master or worker wrote it badly: rewrite it with orchestrator subtask ..."))
            continue
        if subtask.subtask_id not in known:
            add(Finding("warning", f"orphaned subtask {path.name}: no plan {subtask.parent_orchestration}",
                        "left from a removed plan: archive it"))
    ids = {t.get("id") for t in tasks if isinstance(t, dict)}
    for plan in plans.values():
        if plan.parent_task_id not in ids and tasks:
            add(Finding("warning", f"{plan.orchestration_id}: its task {plan.parent_task_id} is not in the queue",
                        "someone removed it; the plan goes on, its result has nowhere to go"))
        if plan.status == "blocked":
            add(Finding("warning", f"{plan.orchestration_id} is blocked by {plan.blocking_subtask}: {plan.failure_reason}",
                        f"orchestrator resume {plan.orchestration_id} --retry|--skip {plan.blocking_subtask} or --abort"))
    claimed = [t for t in tasks if isinstance(t, dict) and t.get("status") == "orchestrating"
               and t.get("orchestration_id") not in plans]
    for entry in claimed:
        add(Finding("warning" if running else "problem", f"task {entry.get('id')} is orchestrating but has no plan",
                    "being planned now" if running else "start the daemon: it plans claimed tasks at start"))
    for master in MASTERS:
        for path in store.list_json(layout.handoffs(master)):
            if store.read_json_or_none(path) is None:
                add(Finding("problem", f"unreadable handoff {layout.rel(path)}", "fix or remove it"))
            elif path.stat().st_mode & 0o044 != 0o044:
                add(Finding("warning", f"{layout.rel(path)} is not readable by others",
                            "chmod a+r it, if the handoff consumer runs as another user"))
    for kind in ("active", "completed", "failed", "zombie"):
        for path in store.list_json(layout.worker_specs / kind):
            if store.read_json_or_none(path) is None:
                add(Finding("warning", f"invalid worker spec {layout.rel(path)}",
                            "skipped by the monitor; its worker is followed through its files or not at all"))
    for lock in sorted(layout.root.rglob("*.lock")):
        if lock != layout.daemon_lock and is_held(lock):
            add(Finding("warning", f"{layout.rel(lock)} is held right now",
                        "fine if brief; if it stays held, find the holder with: fuser -v " + str(lock)))
    leftovers = [p for p in layout.root.rglob("*") if is_own_temp(p.name)]
    if leftovers:
        add(Finding("warning", f"{len(leftovers)} temporary files left by a crash", "the daemon removes them at start"))
    return findings
