"""The ``orchestrator`` command. Thin: parse arguments, call one function, print, exit.

Exit codes: 0 done; 1 the work failed (unreadable queue, no valid plan); 2 wrong usage or
configuration; 3 another daemon already owns the folder.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestrator import (
    __version__,
    completion,
    daemon_control,
    doctor,
    entry,
    events,
    intake,
    logs,
    lookup,
    progress,
    protocol,
    queue_edits,
    service,
    status,
    views,
)
from orchestrator.classify import Classifier
from orchestrator.config import Config, ConfigError, config_path_for, load_config
from orchestrator.console import Console, PrintableStream, one_line
from orchestrator.daemon import AlreadyRunning, make_store
from orchestrator.daemon import run as run_daemon
from orchestrator.engine import draft
from orchestrator.examples import EXAMPLES, NOTES, OVERVIEW
from orchestrator.history import History
from orchestrator.memory import RoutingMemory
from orchestrator.models import MASTERS, Event, Handoff, OrchestratorState, Plan, QueueTask, Subtask, describe, normalize_master
from orchestrator.planner_answer import PlannerAnswer
from orchestrator.planner_prompt import PromptError, load_template, render
from orchestrator.store import FolderStore, Snapshot, StoreError
from orchestrator.task_schema import QueueTaskOnDisk
from orchestrator.timestamps import now_iso, utc_now
from orchestrator.web import eventlog

EXIT_FAILED, EXIT_USAGE, EXIT_RUNNING = 1, 2, 3
SCHEMAS: dict[str, type[BaseModel]] = {
    "task": QueueTaskOnDisk, "plan": Plan, "subtask": Subtask, "handoff": Handoff, "state": OrchestratorState,
    "event": Event, "config": Config, "planner-answer": PlannerAnswer,
}




def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: give how many of the newest events to show (0 or more)")
    return value


def _parser() -> argparse.ArgumentParser:
    def volume(into: argparse.ArgumentParser, default: object) -> None:
        """-q/-v before the command (``orchestrator -q status``) or after it (``orchestrator status -q``)."""
        group = into.add_mutually_exclusive_group()
        group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=-1, default=default,
                           help="print only results and errors (no notes or hints)")
        group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1, default=default,
                           help="print more detail (whole values in events, debug logs for run)")

    def folder(into: argparse.ArgumentParser, default_dir: object, default_config: object) -> None:
        """--coordination-dir/--config before the command (``orchestrator --coordination-dir D status``) or after."""
        into.add_argument("--coordination-dir", type=Path, metavar="DIR", default=default_dir,
                          help="coordination folder (default: $ORCHESTRATOR_COORDINATION_DIR or ./coordination)")
        into.add_argument("--config", type=Path, metavar="FILE", default=default_config,
                          help="TOML configuration (default: DIR/orchestrator/config.toml if present)")

    talk = argparse.ArgumentParser(add_help=False)
    volume(talk, argparse.SUPPRESS)  # a command's own default must not undo a -q given before it
    common = argparse.ArgumentParser(add_help=False, parents=[talk])
    folder(common, argparse.SUPPRESS, argparse.SUPPRESS)  # nor a folder given before it
    parser = argparse.ArgumentParser(
        prog="orchestrator", description="Plan and supervise the tasks of a file-coordinated multi-agent system.",
        epilog=OVERVIEW, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"orchestrator {__version__}")
    volume(parser, 0)
    folder(parser, Path(os.environ.get("ORCHESTRATOR_COORDINATION_DIR", "coordination")), None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_: str, parents: list[argparse.ArgumentParser] | None = None) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common] if parents is None else parents, help=help_,
                                   description=help_[0].upper() + help_[1:] + ".",
                                   epilog="examples:\n" + EXAMPLES[name] + (f"\n\n{NOTES[name]}" if name in NOTES else ""),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)

    def as_json(sub: argparse.ArgumentParser, what: str = "print JSON instead of text") -> None:
        sub.add_argument("--json", action="store_true", help=what)

    run = command("run", "run the daemon")
    run.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                     help="how much the daemon logs to stderr (default: info; -v debug, -q warning)")
    run.add_argument("--standby", action="store_true",
                     help="if another daemon owns the folder, wait and take over when it stops")
    run.add_argument("--init", action="store_true", help="create the coordination folder if it does not exist")

    submit = command("submit", "append a pending task to the queue, or every task of a file at once")
    submit.add_argument("title", nargs="?", help="what is to be done (a task needs a title that is not blank)")
    submit.add_argument("--task-file", type=Path, metavar="FILE",
                        help="append every task of FILE in one queue update (the shapes plan --task-file takes); "
                             "each keeps every field it has, id, status, created_at and created_by filled when missing")
    submit.add_argument("--description", metavar="TEXT", help="more about the task: requirements, files, criteria")
    submit.add_argument("--type", metavar="TYPE", help="the task's type, a routing hint (security, deploy, documentation, ...)")
    submit.add_argument("--priority", choices=["critical", "high", "medium", "low"],
                        help="the task's priority (default: medium)")
    submit.add_argument("--orchestrate", action="store_true", help="set orchestration_required: true")
    submit.add_argument("--init", action="store_true", help="create the coordination folder if it does not exist")
    as_json(submit, "print the task as JSON instead of its id")

    plan = command("plan", "classify and plan a task without writing anything")
    plan.add_argument("title", nargs="?", help="the task's title (or give --task-file)")
    plan.add_argument("--description", metavar="TEXT", help="the task's description")
    plan.add_argument("--task-file", type=Path, metavar="FILE",
                      help="a task as JSON (as in task-queue.json), a list of them, a queue (its pending tasks) or "
                           "the evaluation corpus's records; each is decided in turn")
    plan.add_argument("--dry-run", action="store_true", help="accepted for clarity: plan never writes")
    as_json(plan)
    plan.add_argument("--prompt", action="store_true",
                      help="print the prompt the external planner gets for this task, and stop")

    state = command("status", "what is queued, routed, orchestrating, and how far")
    as_json(state)
    state.add_argument("--watch", action="store_true", help="redraw whenever something changes (Ctrl-C ends)")
    state.add_argument("--state", action="append", default=[], metavar="S",
                       help="only tasks and orchestrations in this status (repeatable): pending, blocked, ...")
    state.add_argument("--priority", action="append", default=[], metavar="P",
                       choices=["critical", "high", "medium", "low"], help="only tasks of this priority (repeatable)")
    state.add_argument("--master", action="append", default=[], metavar="M", choices=list(MASTERS),
                       help="only tasks assigned to, and orchestrations involving, this master (repeatable)")

    show = command("show", "one orchestration: its plan by stage, or its DAG")
    show.add_argument("orchestration_id", metavar="ID", help="an orchestration id, or the id of its task")
    show.add_argument("--format", choices=["tree", "mermaid", "dot", "json"], default="tree",
                      help="tree (default), a Mermaid or Graphviz diagram, or the plan as JSON")
    show.add_argument("--json", dest="format", action="store_const", const="json", help="the same as --format json")

    events = command("events", "the event stream, readable or as JSON")
    events.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    events.add_argument("--type", action="append", default=[], metavar="T",
                        help="only this type (repeatable, or comma-separated); an unknown type is refused with the "
                             "list of known ones")
    events.add_argument("--orchestration", metavar="ID", help="only events of this orchestration")
    events.add_argument("--task", metavar="ID", help="only events of this task (and of its orchestration)")
    events.add_argument("--since", metavar="WHEN",
                        help="only events from then on: a timestamp (2026-11-26T08:00, UTC unless it says) or an age "
                             "(90s, 15m, 2h, 1d)")
    events.add_argument("--last", type=_non_negative, metavar="N", help="only the last N matching events")
    as_json(events, "one JSON object per line")

    explain = command("explain", "why a task was classified and routed as it was")
    explain.add_argument("task_id", metavar="ID", help="a task id, or the id of its orchestration")
    as_json(explain)

    settings = command("config", "the effective configuration and its sources")
    as_json(settings)

    check = command("doctor", "check the folder and say what to do")
    as_json(check)

    report = command("subtask", "report on a subtask (for masters and workers)")
    report.add_argument("action", choices=["start", "heartbeat", "complete", "fail"], help="what to report")
    report.add_argument("subtask_id", metavar="ID", help="the subtask's id (orch-TASK-sNN-name)")
    report.add_argument("--worker-id", metavar="W",
                        help="the reporting worker; needed to complete or fail an attempt that no worker started")
    report.add_argument("--pid", type=int, metavar="PID",
                        help="the worker's process: the daemon watches it to see the worker die, and stops it only "
                             "if it is a process of this user started after the handoff (never PID 1 or the daemon)")
    report.add_argument("--progress", metavar="TEXT", help="what the worker is doing now (a heartbeat with news)")
    result = report.add_mutually_exclusive_group()
    result.add_argument("--result", metavar="TEXT", help="what the work produced (complete)")
    result.add_argument("--result-file", type=Path, metavar="FILE", help="read the result from this file (complete)")
    report.add_argument("--reason", metavar="TEXT", help="why it failed (fail)")
    kind = report.add_mutually_exclusive_group()
    kind.add_argument("--transient", dest="transient", action="store_true", default=True,
                      help="retry it (default for fail)")
    kind.add_argument("--permanent", dest="transient", action="store_false", help="escalate at once")
    as_json(report, "print the subtask file as written")

    resume = command("resume", "unblock an orchestration (the daemon acts on it)")
    resume.add_argument("orchestration_id", metavar="ORCH_ID", help="the orchestration, or the id of its task")
    what = resume.add_mutually_exclusive_group(required=True)
    what.add_argument("--retry", metavar="SUBTASK",
                      help="hand the subtask out again (its full id, or the local one the report shows: s02-backend)")
    what.add_argument("--skip", metavar="SUBTASK", help="count the subtask as done and go on (full or local id)")
    what.add_argument("--abort", action="store_true", help="stop the orchestration; the task is cancelled")
    as_json(resume, "print the request as JSON")

    cancel = command("cancel", "cancel a simple task (pending, assigned, blocked or failed)")
    cancel.add_argument("task_id", metavar="TASK_ID", help="the task to cancel")
    cancel.add_argument("--reason", metavar="TEXT", help="why, kept in the task as cancelled_reason")
    as_json(cancel, "print the task as written")

    again = command("retry", "put a blocked, failed or cancelled simple task back to pending, as a new attempt")
    again.add_argument("task_id", metavar="TASK_ID", help="the task to retry")
    as_json(again, "print the task as written")

    move = command("move", "give an assigned simple task to another master (its handoff follows), or to a plan; "
                           "it decides near-identical tasks from now on")
    move.add_argument("task_id", metavar="TASK_ID", help="the task to move")
    move.add_argument("master", metavar="MASTER", help="development, security, inventory or cicd; or plan: the task "
                                                         "needs a plan")
    as_json(move, "print the task as written")

    reload = command("reload", "ask the running daemon to read its configuration again (SIGHUP)")
    as_json(reload, "print what was done as JSON")
    stop = command("stop", "stop the running daemon (systemctl stop when it runs as a unit, else SIGTERM)")
    stop.add_argument("--timeout", type=float, default=30, metavar="SECONDS",
                      help="how long to wait for it to finish its step and exit (default: 30)")
    as_json(stop, "print what was done as JSON")

    unit = command("service", "print or install the systemd unit for a folder")
    unit.add_argument("--user", default=os.environ.get("SUDO_USER") or os.environ.get("USER") or "root",
                      help="account the daemon runs as; it must exist (default: you)")
    unit.add_argument("--install", action="store_true", help="write the unit into --unit-dir instead of printing it")
    unit.add_argument("--force", action="store_true", help="with --install, replace a unit file that differs")
    unit.add_argument("--unit-dir", type=Path, default=Path("/etc/systemd/system"), metavar="DIR",
                      help="where --install writes the unit (default: /etc/systemd/system)")
    unit.add_argument("--writable", type=Path, action="append", default=[], metavar="DIR",
                      help="another folder the daemon may write (for example the workspace of files_affected)")
    as_json(unit, "print the unit's name, path, text and warnings as JSON")

    schema = command("schema", "print the JSON Schema of a file format", parents=[talk])
    schema.add_argument("format", choices=sorted(SCHEMAS), help="which file format")

    shells = command("completion", "print the shell completion script (bash, zsh or fish)", parents=[talk])
    shells.add_argument("shell", choices=list(completion.SHELLS), help="the shell to complete in")

    web = command("web", "a live, read-only web page of the folder", parents=[common])
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; any other needs a token)")
    web.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    web.add_argument("--token", default=os.environ.get("ORCHESTRATOR_WEB_TOKEN"),
                     help="required on a non-loopback address (default: $ORCHESTRATOR_WEB_TOKEN, else one is made up "
                          "and printed); with --host 127.0.0.1 it is required too if given")
    return parser


FOLDER_ONLY = {"subtask", "status", "show", "events", "doctor", "resume", "cancel", "retry", "move", "reload", "stop", "web"}
"""Commands that work from the folder alone, with the default configuration if the file is broken."""
NEEDS_FOLDER = FOLDER_ONLY - {"doctor"} | {"explain", "service"}
"""Commands that read the folder: a missing one is an error (``doctor`` reports it as a finding)."""
CREATES_FOLDER = {"run", "submit"}
"""Commands that would create a missing folder: only with ``--init``, and they say so."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    completion.install(parser)
    args = parser.parse_args(argv)
    if entry.held and args.command != "run":  # "run" was a title's word: the terminal's hangup ends this command
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        entry.held = False
    if args.command in ("run", "web"):  # the daemon's logs and the web server write their own formats
        return _main(args)
    # what the commands print holds text anyone who writes the queue or a subtask file chose
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        return _main(args)
    finally:
        sys.stdout, sys.stderr = streams


def _main(args: argparse.Namespace) -> int:
    console = Console(args.verbosity)
    if args.command != "run":
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `orchestrator events | head` ends quietly
    if args.command == "schema":
        print(json.dumps(SCHEMAS[args.format].model_json_schema(by_alias=True), indent=2))
        return 0
    if args.command == "completion":
        print(completion.script(args.shell), end="")
        return 0
    if args.command == "submit":  # refused before --init creates anything
        wrong = _submit_usage(args)
        if wrong:
            print(f"orchestrator submit: {wrong}", file=sys.stderr)
            return EXIT_USAGE
        # the task file too: a file refused after --init made the folder left a folder nobody asked for (ops25)
        args.tasks = None if args.task_file is None else _submitted_tasks(args.task_file)
        if isinstance(args.tasks, str):
            print(f"orchestrator submit: {args.task_file}: {args.tasks}; nothing submitted", file=sys.stderr)
            return EXIT_USAGE
    if args.command in CREATES_FOLDER and not args.coordination_dir.exists():
        try:  # a configuration refused after --init made the folder left a folder nobody asked for (ops25)
            load_config(args.config, args.coordination_dir)
        except ConfigError as exc:
            print(f"orchestrator: configuration error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    problem = _folder_problem(args, console)
    if problem:
        print(f"orchestrator {args.command}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = load_config(args.config, args.coordination_dir)
    except ConfigError as exc:
        if args.command not in FOLDER_ONLY:
            print(f"orchestrator: configuration error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        # reporting and reading need only the folder: a broken config file must not silence workers
        console.note(f"orchestrator: warning: configuration error, using the defaults: {exc}")
        config = Config()
    if args.command == "web":
        from orchestrator.web.serve import serve  # Starlette and uvicorn load only for this command

        return serve(make_store(args.coordination_dir, config), config, args.host, args.port, args.token)
    handler = {"run": _run, "submit": _submit, "plan": _plan, "status": _status, "subtask": _subtask,
               "resume": _resume, "service": _service, "show": _show, "events": _events, "explain": _explain,
               "config": _config, "doctor": _doctor, "cancel": _cancel, "retry": _retry, "move": _move, "reload": _control,
               "stop": _control}[args.command]
    args.console = console
    return handler(args, config)


def _folder_problem(args: argparse.Namespace, console: Console) -> str | None:
    """A missing coordination folder: an error for commands that read it; created with ``--init``."""
    folder: Path = args.coordination_dir
    if folder.is_dir():
        return None
    if folder.exists():
        return f"{folder} is not a folder"
    where = ("give --coordination-dir DIR or set ORCHESTRATOR_COORDINATION_DIR"
             if "ORCHESTRATOR_COORDINATION_DIR" not in os.environ else
             f"ORCHESTRATOR_COORDINATION_DIR is {os.environ['ORCHESTRATOR_COORDINATION_DIR']}")
    if args.command in CREATES_FOLDER:
        if not args.init:
            return f"no coordination folder {folder} ({where}; add --init to create it)"
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            return f"cannot create {folder}: {exc.strerror}"
        console.note(f"created the coordination folder {folder}")
        return None
    if args.command in NEEDS_FOLDER:
        return f"no coordination folder {folder} ({where})"
    return None


def _run(args: argparse.Namespace, config: Config) -> int:
    layout = make_store(args.coordination_dir, config).layout
    blocked = layout.not_folders()
    if blocked:  # it stopped with a traceback from deep in the watcher's start
        print(f"orchestrator run: {', '.join(map(str, blocked))}: not a folder (a file is in its place); move it away, "
              "the daemon keeps a folder there", file=sys.stderr)
        return EXIT_USAGE
    if layout.daemon_lock.is_dir() and not args.standby:  # a traceback from deep in filelock
        print(f"orchestrator run: {layout.daemon_lock}: a folder is in the place of the daemon's lock file; move it "
              "away (--standby waits until it is gone)", file=sys.stderr)
        return EXIT_USAGE
    # a SIGHUP before the event loop's handler (the start-up: the model, the plans) killed the daemon (exit 129);
    # ignored from here (from before the imports by entry.main) until the loop's handler (README: Signals)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    logs.configure(args.log_level or {-1: "warning", 0: "info", 1: "debug"}[args.verbosity])
    try:
        return run_daemon(args.coordination_dir.resolve(), config, args.config, standby=args.standby)
    except AlreadyRunning as exc:
        running = daemon_control.find(make_store(args.coordination_dir, config).layout.daemon_lock)
        who = f"PID {running.pid}" + (f", unit {running.unit}" if running.unit else "") if running else None
        print(f"orchestrator run: {exc}{f'; it is {who}' if who else ''}: orchestrator stop{_here(args)} ends it, "
              "--standby waits to take over", file=sys.stderr)
        return EXIT_RUNNING


def _submit_usage(args: argparse.Namespace) -> str | None:
    """What is wrong with a ``submit`` command line, before anything is read or created."""
    if args.task_file is not None:
        given = [o for o, v in (("TITLE", args.title), ("--description", args.description), ("--type", args.type),
                                ("--priority", args.priority), ("--orchestrate", args.orchestrate)) if v]
        return f"{', '.join(given)}: for one task; the tasks of --task-file say their own" if given else None
    if args.title is None or not args.title.strip():
        return "the title is empty; say what is to be done (or give --task-file FILE)"
    return None


def _new_task_fields() -> dict[str, Any]:
    """What ``submit`` gives a task its writer did not: an id, pending, when and by whom."""
    return {"id": f"task-{int(time.time())}-{secrets.token_hex(3)}", "status": "pending", "created_at": now_iso(),
            "created_by": "orchestrator-cli"}


def _submit(args: argparse.Namespace, config: Config) -> int:
    if args.tasks is not None:  # the task file's, read and checked before the folder was looked at
        tasks = args.tasks
    else:
        task: dict[str, Any] = {"title": args.title, "description": args.description, "type": args.type,
                                "priority": args.priority or "medium"} | _new_task_fields()
        if args.orchestrate:
            task["orchestration_required"] = True
        tasks = [{k: v for k, v in task.items() if v is not None}]
    clash: list[str] = []

    def append(snapshot: Snapshot) -> bool:
        listed = snapshot.document.setdefault("tasks", []) if isinstance(snapshot.document, dict) \
            else snapshot.document
        there = {t.get("id") for t in listed if isinstance(t, dict)}
        clash[:] = [t["id"] for t in tasks if t["id"] in there]
        if clash:  # the whole file or nothing: under the lock, so no other writer adds one in between
            return False
        listed.extend(tasks)
        return True

    store = make_store(args.coordination_dir, config)
    try:
        created = not store.exists(store.layout.queue)
        store.update_queue(append, create=True)
    except StoreError as exc:
        print(f"orchestrator: {'task' if len(tasks) == 1 else 'tasks'} not submitted: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if clash:
        print(f"orchestrator submit: already in the queue: {', '.join(clash)}; nothing submitted (give those tasks "
              "another id, or leave their id out and one is made)", file=sys.stderr)
        return EXIT_FAILED
    if created:
        args.console.note(f"created the queue {store.layout.queue}")
    if args.json:
        print(json.dumps(tasks[0] if args.task_file is None else tasks, ensure_ascii=False))
    else:
        print("\n".join(t["id"] for t in tasks))
    return 0


def _submitted_tasks(path: Path) -> list[dict[str, Any]] | str:
    """The tasks of ``submit --task-file``, each with every field it has and what :func:`_new_task_fields` fills
    where it has none (an empty or null value is none); or what is wrong with the file (nothing is submitted)."""
    raws = _read_task_file(path)
    if isinstance(raws, str):
        return raws
    tasks: list[dict[str, Any]] = []
    seen: set[str] = set()
    for at, raw in enumerate(raws, start=1):
        if not isinstance(raw, dict):
            return f"item {at} is a {type(raw).__name__}, not a task (an object with a title)"
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            return f"item {at} has {'an empty' if isinstance(title, str) or title is None else 'no text as'} title; " \
                   "say what is to be done"
        filled = {k: v for k, v in _new_task_fields().items() if raw.get(k) in (None, "")}
        if "id" in filled:  # two made in the same second differ by their random part: made again on a clash
            while filled["id"] in seen:
                filled["id"] = _new_task_fields()["id"]
        task = raw | filled
        try:
            QueueTask.model_validate(task)
        except ValidationError as exc:
            return f"item {at} is not a valid task: {_validation_problems(exc)}"
        if wrong := intake.id_problem(task["id"]):  # the daemon would skip it each pass as task_invalid
            return f"item {at}: {wrong}"
        if task["id"] in seen:
            return f"the id {task['id']} is given twice (item {at})"
        seen.add(task["id"])
        tasks.append(task)
    return tasks


def _plan(args: argparse.Namespace, config: Config) -> int:
    if args.task_file:
        read = _read_task_file(args.task_file)
        if isinstance(read, str):
            print(f"orchestrator plan: {args.task_file}: {read}", file=sys.stderr)
            return EXIT_USAGE
        raws = read
    elif args.title:
        raws = [{"id": "dry-run", "title": args.title, "description": args.description, "status": "pending"}]
    else:
        print("orchestrator plan: give a TITLE or --task-file FILE", file=sys.stderr)
        return EXIT_USAGE
    tasks = []
    for at, item in enumerate(raws):
        try:
            tasks.append(QueueTask.model_validate(item))
        except ValueError as exc:
            where = f" (item {at + 1})" if len(raws) > 1 else ""
            problems = _validation_problems(exc) if isinstance(exc, ValidationError) else str(exc)
            print(f"orchestrator: not a valid task{where}: {problems}", file=sys.stderr)
            return EXIT_USAGE
    classifier = Classifier(config.classifier)
    history = _folder_history(args, config)
    code = 0
    results = []
    for task in tasks:
        if args.prompt:
            try:
                print(render(load_template(config.planner.prompt_file), classifier.bounded(task), config.planner))
            except PromptError as exc:
                print(f"orchestrator: {exc}", file=sys.stderr)
                return EXIT_USAGE
            continue
        result, failed = _dry_run(task, classifier, config, history)
        code = EXIT_FAILED if failed else code
        results.append(result if len(tasks) == 1 else {"task_id": task.id, "title": task.title} | result)
        if not args.json:
            print(_plan_text(result) if len(tasks) == 1 else f"== {task.id}: {task.title}\n{_plan_text(result)}\n")
    if args.json and results:
        print(json.dumps(results[0] if len(tasks) == 1 else results, indent=2, ensure_ascii=False))
    return code


def _validation_problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'task'}: {e['msg']}" for e in exc.errors())


def _read_task_file(path: Path) -> list[Any] | str:
    """The items of a ``--task-file`` (``plan`` and ``submit`` read the same shapes: :func:`_tasks_in`), or why
    there are none."""
    try:
        # a byte order mark (PowerShell's -Encoding UTF8, Notepad) is no part of the JSON, as in the queue
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        return f"cannot read it: {exc}"
    raws = _tasks_in(raw)
    return raws or "holds no task (a task, a list of tasks, or a queue with pending tasks)"


def _tasks_in(raw: Any) -> list[Any]:
    """The tasks of a ``--task-file``: one task, a list of them, a queue (its pending tasks, as the daemon would
    take them) or labelled records of the evaluation corpus (``{"task": ..., "label": ...}``)."""
    if isinstance(raw, dict) and isinstance(raw.get("tasks"), list):
        return [t for t in raw["tasks"] if isinstance(t, dict) and t.get("status", "pending") == "pending"]
    items = raw if isinstance(raw, list) else [raw]
    return [item["task"] if isinstance(item, dict) and isinstance(item.get("task"), dict) else item for item in items]


def _folder_history(args: argparse.Namespace, config: Config) -> History | None:
    """What the daemon of ``--coordination-dir`` would consult besides the rules (its queue's finished tasks, the
    corrections people made, the overrides file); None without such a folder. A dry run that ignored them said
    "complex" of a task the daemon gave to the master a person had chosen for a near-identical one."""
    if not args.coordination_dir.is_dir():
        return None
    store = make_store(args.coordination_dir, config)
    try:
        snapshot = store.read_queue()
    except StoreError:
        snapshot = None
    return RoutingMemory(store).history(snapshot.tasks if snapshot else [])


def _dry_run(task: QueueTask, classifier: Classifier, config: Config,
             history: History | None = None) -> tuple[dict[str, Any], bool]:
    """What the daemon would decide and plan for ``task``, and whether planning failed."""
    decision = classifier.classify(task, history)
    result: dict[str, Any] = decision.model_dump(include={"decision", "master", "confidence", "reasons"})
    result["plan"] = None
    failed = False
    if decision.decision == "complex":
        drafted = asyncio.run(draft(task, decision, classifier, config, now_iso()))
        if drafted.plan is not None:
            result["plan"] = drafted.plan.model_dump(mode="json")
        else:
            result["problems"] = drafted.error.problems if drafted.error else []
            failed = True
        if drafted.rejected:
            result["planner_rejected"] = [{"round": r.round, "problems": list(r.problems)} for r in drafted.rejected]
        if drafted.fallback_reason:
            result["planner_fallback"] = drafted.fallback_reason
    return result, failed


def _plan_text(result: dict[str, Any]) -> str:
    head = f"{result['decision']}" + (f" -> {result['master']}" if result["master"] else "")
    lines = [f"{head}  (confidence {result['confidence']})", *[f"  - {r}" for r in result["reasons"]]]
    plan = result["plan"]
    if plan:
        by_id = {s["subtask_id"]: s for s in plan["subtasks"]}
        for stage, ids in plan["execution_plan"].items():
            lines.append(f"{stage}:")
            lines.extend(f"  {i}  [{by_id[i]['assigned_to']}/{by_id[i]['worker_type']}] {by_id[i]['title']}" for i in ids)
        estimate = plan["resource_estimate"]
        lines.append(f"estimate: {estimate['duration_estimate']}, {estimate['token_estimate']} tokens, "
                     f"{estimate['workers']} workers (at most {max(map(len, plan['execution_plan'].values()))} at once), "
                     f"masters {', '.join(estimate['masters'])}")
        lines.extend(f"  bottleneck: {b}" for b in estimate["bottlenecks"])
    lines.extend(f"  problem: {p}" for p in result.get("problems", []))
    for rejected in result.get("planner_rejected", []):
        lines.append(f"external planner's answer {rejected['round']} rejected:")
        lines.extend(f"  - {p}" for p in rejected["problems"])
    if "planner_fallback" in result:
        lines.append(f"built-in planner used: {result['planner_fallback']}")
    elif plan:
        lines.append(f"planner: {plan['planner']}")
    return "\n".join(lines)


def _status(args: argparse.Namespace, config: Config) -> int:
    store = make_store(args.coordination_dir, config)
    filters = status.Filters(tuple(args.state), tuple(args.priority), tuple(args.master))
    palette = args.console.palette()
    picture = status.collect(store, filters=filters)
    unknown = status.unknown_states(picture, filters.states)
    if unknown:
        known = ", ".join(status.TASK_STATES)
        print(f"orchestrator status: no task or orchestration can be in state {', '.join(map(repr, unknown))}; "
              f"states: {known}, and those of plans (planning, aborted)", file=sys.stderr)
        return EXIT_USAGE
    if not args.watch:
        print(json.dumps(picture, indent=2) if args.json else status.render(picture, palette))
        return EXIT_FAILED if picture["problems"] else 0  # as doctor: a script can rely on it
    _interruptible()
    try:
        stream = getattr(sys.stdout, "stream", sys.stdout)
        for n, picture in enumerate(status.watch(store, filters)):
            if stream.isatty():
                stream.write("\033[H\033[2J")  # ours: past the printable filter
            elif n:
                print()  # a file or a pipe gets the pictures one after another, not screen codes
            print(time.strftime("%H:%M:%S  ") + status.render(picture, palette), flush=True)
    except KeyboardInterrupt:
        pass
    return 0


def _interruptible() -> None:
    """Ctrl-C and SIGTERM end a follower quietly, even when it was started from a script that
    ignores SIGINT (a background job of a shell does, and Python keeps an ignored SIGINT)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _load_plan(args: argparse.Namespace, config: Config, given: str) -> Plan | None:
    """The plan ``given`` names, by its orchestration id or its task's id."""
    store = make_store(args.coordination_dir, config)
    orchestration_id = lookup.orchestration_id(store, given)
    if orchestration_id is None:
        print(f"orchestrator: {lookup.not_an_orchestration(store, given)}", file=sys.stderr)
        return None
    try:
        return Plan.model_validate(store.read_json(store.layout.plan(orchestration_id)))
    except (StoreError, ValueError) as exc:
        print(f"orchestrator: {orchestration_id}: {describe(exc)}", file=sys.stderr)
        return None


def _show(args: argparse.Namespace, config: Config) -> int:
    store = make_store(args.coordination_dir, config)
    entry = lookup.queued(store, args.orchestration_id) \
        if lookup.orchestration_id(store, args.orchestration_id) is None else None
    if entry is not None:  # a simple task is no error (it exited 1): where it went, and explain says why
        said = lookup.not_an_orchestration(store, args.orchestration_id)
        if args.format == "json":
            print(json.dumps({"task_id": entry.get("id"), "decision": "simple", "status": entry.get("status"),
                              "assigned_to": entry.get("assigned_to"), "routed_to": entry.get("routed_to"),
                              "said": said}, ensure_ascii=False, indent=2))
        else:  # a diagram has nothing to draw: the sentence goes to stderr, not into the drawing
            print(said, file=sys.stdout if args.format == "tree" else sys.stderr)
        return 0
    plan = _load_plan(args, config, args.orchestration_id)
    if plan is None:
        return EXIT_FAILED
    if args.format == "json":
        print(json.dumps(plan.model_dump(mode="json"), indent=2))
    else:
        print(views.show(plan, args.format, args.console.palette()))
    return 0


def _events(args: argparse.Namespace, config: Config) -> int:
    path = make_store(args.coordination_dir, config).layout.events
    since = None
    if args.since:
        since = events.parse_since(args.since, utc_now())
        if since is None:
            print(f"orchestrator events: --since {args.since!r}: give a timestamp (2026-11-26T08:00) or an age "
                  "(90s, 15m, 2h, 1d)", file=sys.stderr)
            return EXIT_USAGE
    handle = events.open_regular(path)  # a FIFO in its place made a plain read wait for ever, /dev/zero fill memory
    if handle is None and os.path.lexists(path):
        print(f"orchestrator events: {path}: cannot read: not a regular file, or not readable", file=sys.stderr)
        return EXIT_FAILED
    args.type = [t.strip() for given in args.type for t in given.split(",") if t.strip()]  # as the web view's filter

    def wanted(event: dict[str, Any]) -> bool:
        return events.matches(event, args.type, args.orchestration, args.task) and events.since(event, since)

    if handle is not None and args.last and not events.unknown_types(args.type, []):
        # the last N, read backwards from the end: a file of months read whole cost a minute and gigabytes
        # (a type only another writer's lines have is checked against the whole file, below)
        handle.close()
        last = eventlog.page(path, wanted, args.last, max_scan=None)
        chosen, start = last.events, last.end
    else:
        text = ""
        if handle is None:
            args.console.note(f"no events yet: {path} does not exist")
        else:
            with handle:
                text = events.decode(handle.read())
        found, used = events.parse(text)
        unknown = events.unknown_types(args.type, found)
        if unknown:
            print(f"orchestrator events: unknown event type {', '.join(map(repr, unknown))}; the known types:\n"
                  + events.known_types_text(), file=sys.stderr)
            return EXIT_USAGE
        chosen = [e for e in found if wanted(e)]
        if args.last is not None:
            chosen = chosen[-args.last:] if args.last else []
        start = events.offset(text, used)
    palette = args.console.palette()
    width = max((len(events.subject(e)) for e in chosen), default=0)

    def emit(event: dict[str, Any]) -> None:
        nonlocal width
        width = max(width, len(events.subject(event)))
        line = (json.dumps(event, ensure_ascii=False) if args.json
                else events.render(event, palette, width, full=args.console.verbosity > 0))
        print(line, flush=True)

    try:
        for event in chosen:
            emit(event)
        if args.follow:
            _interruptible()
            for event in events.follow(path, start):
                if events.matches(event, args.type, args.orchestration, args.task):
                    emit(event)
    except KeyboardInterrupt:
        pass
    return 0


def _explain(args: argparse.Namespace, config: Config) -> int:
    store = make_store(args.coordination_dir, config)
    try:
        snapshot = store.read_queue()
    except StoreError as exc:
        print(f"orchestrator: {exc}", file=sys.stderr)
        return EXIT_FAILED
    task_id = lookup.task_id(store, args.task_id)
    entry = intake.find(snapshot.tasks, task_id) if snapshot else None
    if entry is None:
        print(f"orchestrator: no task {args.task_id} in {store.layout.queue}", file=sys.stderr)
        return EXIT_FAILED
    try:
        task = QueueTask.model_validate(entry)
    except ValueError as exc:
        print(f"orchestrator: {task_id} is not a valid task: {exc}", file=sys.stderr)
        return EXIT_FAILED
    assert snapshot is not None
    history = RoutingMemory(store).history([e for e in snapshot.tasks if e is not entry])  # not its own vote
    found = views.explain(task, entry, Classifier(config.classifier), history)
    print(json.dumps(found, indent=2, ensure_ascii=False) if args.json else views.explain_text(found))
    return 0


def _config(args: argparse.Namespace, config: Config) -> int:
    path = args.config or config_path_for(args.coordination_dir)
    given = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    rows = views.config_rows(config, given, str(path))
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(f"# {path if path.exists() else 'no configuration file: every value is a default'}")
    for row in rows:
        value = json.dumps(row["value"], ensure_ascii=False)
        value = value if len(value) <= 60 else value[:57] + "..."
        print(f"{row['key']:<52} {value:<62} {row['source']}")
    return 0


def _doctor(args: argparse.Namespace, config: Config) -> int:
    found = (doctor.examine(make_store(args.coordination_dir, config)) + doctor.examine_planner(config.planner)
             + doctor.examine_learned(config.classifier))
    try:
        load_config(args.config, args.coordination_dir)
    except ConfigError as exc:
        found.insert(0, doctor.Finding("problem", f"the configuration cannot be used: {exc}",
                                       "fix it; the daemon keeps its last good one, a new start fails"))
    if args.json:
        print(json.dumps([f.__dict__ for f in found], indent=2))
    else:
        for f in found:
            print(f"{ {'ok': 'ok  ', 'warning': 'warn', 'problem': 'FAIL'}[f.level] } {f.what}"
                  + (f"\n       -> {f.action}" if f.action else ""))
    return EXIT_FAILED if any(f.level == "problem" for f in found) else 0


def _subtask(args: argparse.Namespace, config: Config) -> int:
    result = args.result
    if args.result_file:
        try:
            # a worker's output need not be UTF-8 (a Latin-1 log, a binary's message): its bytes that
            # are not are shown as U+FFFD; refused, the completion went unreported (a traceback)
            result = args.result_file.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            print(f"orchestrator: cannot read {args.result_file}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
    store = make_store(args.coordination_dir, config)
    problem: str | None = None

    def change(data: dict[str, Any]) -> None:
        nonlocal problem
        problem = protocol.apply(data, args.action, now_iso(), worker_id=args.worker_id, pid=args.pid,
                                 progress=args.progress, result=result, reason=args.reason, transient=args.transient)
        if problem:
            raise _Refused(problem)

    try:
        path = store.layout.subtask(args.subtask_id)
        if not path.exists():
            raise _Refused("no such subtask")
        written = store.update_json(path, change)
    except (_Refused, StoreError) as exc:
        print(f"orchestrator: {args.subtask_id}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(written, ensure_ascii=False, indent=2))
    elif args.action != "heartbeat":  # a worker beats every few seconds: its log would be these lines only
        print(_recorded(args.subtask_id, written))
    return 0


def _recorded(subtask_id: str, written: dict[str, Any]) -> str:
    """What a ``subtask`` report left in the file, in one line (it printed nothing: a worker could not tell)."""
    status = written.get("status")
    said = [f"worker {written['worker_id']}" if written.get("worker_id") else "",
            f"PID {written['pid']}" if written.get("pid") else "",
            f"attempt {written['attempt']}" if written.get("attempt") else ""]
    if status == "failed":
        error = one_line(written.get("error"))
        said.append(("transient: retried while attempts are left" if written.get("transient") else
                     "permanent: not retried") + f"; {error[:120]}{'...' if len(error) > 120 else ''}")
    return f"{subtask_id}: recorded {status} ({', '.join(s for s in said if s)})"


class _Refused(Exception):
    """A report that does not apply; nothing was written."""


def _resume(args: argparse.Namespace, config: Config) -> int:
    action = "retry" if args.retry else "skip" if args.skip else "abort"
    plan = _load_plan(args, config, args.orchestration_id)
    if plan is None:
        return EXIT_FAILED
    if args.retry or args.skip:  # the report and the escalation's table name subtasks by their local id
        given = args.retry or args.skip
        known = {s.subtask_id for s in plan.subtasks}
        full = given if given in known or f"{plan.orchestration_id}-{given}" not in known else f"{plan.orchestration_id}-{given}"
        args.retry, args.skip = (full, None) if args.retry else (None, full)
    problem = progress.resume_problem(plan, action, args.retry or args.skip)
    if problem:
        print(f"orchestrator resume: {problem}; nothing was requested", file=sys.stderr)
        return EXIT_FAILED
    request = {"orchestration_id": plan.orchestration_id, "action": action, "subtask_id": args.retry or args.skip}
    answer = "orchestration_aborted" if action == "abort" else "orchestration_resumed"
    return _send_request(args, config, request, f"requested {action} of {plan.orchestration_id}",
                         f"--orchestration {plan.orchestration_id} --type {answer} --type request_refused")


def _send_request(args: argparse.Namespace, config: Config, request: dict[str, Any], said: str, watch: str) -> int:
    """Write a request for the daemon (``orchestrator/requests/``), which checks it again and carries it out."""
    request = {k: v for k, v in request.items() if v is not None} | {"requested_at": now_iso(), "requested_by": _who()}
    store = make_store(args.coordination_dir, config)
    try:
        path = store.layout.requests / f"{int(time.time() * 1000)}-{secrets.token_hex(3)}.json"
        store.write_json(path, request)
    except StoreError as exc:
        print(f"orchestrator: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(request | {"request_file": str(path)}))
    else:
        print(f"{said}; the daemon carries it out (orchestrator events {watch}{_here(args)})")
    return 0


def _service(args: argparse.Namespace, config: Config) -> int:
    root = args.coordination_dir.resolve()
    problem = service.user_problem(args.user)
    if problem and args.install:
        print(f"orchestrator service: {problem}; give --user ACCOUNT", file=sys.stderr)
        return EXIT_USAGE
    planner = config.planner.external_command() is not None
    text = service.render(root, args.user, args.config, extra_writable=args.writable, external_planner=planner)
    path = args.unit_dir / service.unit_name(root)
    warnings = service.warnings([root, *(p.resolve() for p in args.writable)]) + [service.PLANNER_NOTE] * planner
    for note in [problem] * bool(problem) + warnings:  # a user missing here may exist where the unit goes
        args.console.note(f"orchestrator service: note: {note}")
    if not args.install:
        print(json.dumps({"unit": path.name, "path": str(path), "text": text, "warnings": warnings}, indent=2)
              if args.json else text, end="\n" if args.json else "")
        return 0
    try:
        replaced = service.install(path, text, force=args.force)
    except service.InstallRefused as exc:
        print(f"orchestrator service: {exc}", file=sys.stderr)
        return EXIT_FAILED
    name = path.name
    if args.json:
        print(json.dumps({"unit": name, "path": str(path), "written": True, "replaced": replaced,
                          "warnings": warnings}, indent=2))
        return 0
    print(f"wrote {path}{' (replaced the earlier unit)' if replaced else ''}\n"
          f"now: sudo systemctl daemon-reload && sudo systemctl enable --now {name}\n"
          f"logs: journalctl -u {name} -f    state: systemctl status {name}    reload: systemctl reload {name}")
    return 0


def _cancel(args: argparse.Namespace, config: Config) -> int:
    def edit(entry: dict[str, Any]) -> None:
        queue_edits.cancel(entry, by=_who(), now=now_iso(), reason=args.reason, has_plan=has_plan)

    store = make_store(args.coordination_dir, config)
    args.task_id = lookup.task_id(store, args.task_id)  # an orchestration's id is refused as one, not "no task"
    has_plan = queue_edits.has_plan(store, args.task_id)
    return _edit(args, store, edit, "cancelled; the daemon withdraws its handoff if no master took it yet "
                 f"(orchestrator events --task {args.task_id} --type task_cancelled{_here(args)})")


def _retry(args: argparse.Namespace, config: Config) -> int:
    def edit(entry: dict[str, Any]) -> None:
        queue_edits.retry(entry, by=_who(), now=now_iso(), has_plan=has_plan)

    store = make_store(args.coordination_dir, config)
    args.task_id = lookup.task_id(store, args.task_id)
    has_plan = queue_edits.has_plan(store, args.task_id)
    return _edit(args, store, edit, "pending again; the daemon routes it as a new attempt "
                 f"(orchestrator events --task {args.task_id} --type task_assigned{_here(args)})")


def _move(args: argparse.Namespace, config: Config) -> int:
    def edit(entry: dict[str, Any]) -> None:
        queue_edits.move(entry, args.master, by=_who(), now=now_iso(), has_plan=has_plan)

    if normalize_master(args.master) not in (*MASTERS, queue_edits.PLAN):  # a typo is wrong usage, as argparse says
        print(f"orchestrator move: {args.master!r} is not a master: {', '.join(MASTERS)}, or plan; nothing was changed",
              file=sys.stderr)
        return EXIT_USAGE
    store = make_store(args.coordination_dir, config)
    args.task_id = lookup.task_id(store, args.task_id)
    has_plan = queue_edits.has_plan(store, args.task_id)
    if has_plan:  # planned, though one master can do it: the daemon aborts the plan and hands the task over
        return _move_orchestration(args, config)
    if args.master.strip().lower() == queue_edits.PLAN:
        return _edit(args, store, edit, "moved to a plan; the daemon withdraws its master's handoff if it is still "
                     "pending and plans the task as its next attempt "
                     f"(orchestrator events --task {args.task_id} --type orchestration_started --type handoff_not_moved"
                     f"{_here(args)})")
    return _edit(args, store, edit, f"moved to {normalize_master(args.master)}; the daemon withdraws the first master's handoff "
                 "if it is still pending and hands it to the new one "
                 f"(orchestrator events --task {args.task_id} --type handoff_created{_here(args)})")


def _move_orchestration(args: argparse.Namespace, config: Config) -> int:
    plan = _load_plan(args, config, f"orch-{args.task_id}")
    if plan is None:
        return EXIT_FAILED
    master = normalize_master(args.master)
    if master == queue_edits.PLAN:
        print(f"orchestrator move: {args.task_id}: it is planned already ({plan.orchestration_id}); nothing was requested",
              file=sys.stderr)
        return EXIT_FAILED
    problem = progress.resume_problem(plan, "simple", None) or (
        None if master in MASTERS else f"{args.master!r} is not a master: {', '.join(MASTERS)}")
    if problem:
        print(f"orchestrator move: {args.task_id}: {problem}; nothing was requested", file=sys.stderr)
        return EXIT_FAILED
    request = {"orchestration_id": plan.orchestration_id, "action": "simple", "master": master}
    return _send_request(args, config, request,
                         f"requested: {plan.orchestration_id} is aborted and its task given to {master} as one piece of work",
                         f"--task {args.task_id} --type orchestration_aborted --type task_assigned --type request_refused")


def _edit(args: argparse.Namespace, store: FolderStore, edit: Callable[[dict[str, Any]], None], done: str) -> int:
    try:
        entry = queue_edits.edit_task(store, args.task_id, edit)
    except queue_edits.EditRefused as exc:
        print(f"orchestrator {args.command}: {args.task_id}: {exc}; nothing was changed", file=sys.stderr)
        return EXIT_FAILED
    except StoreError as exc:
        print(f"orchestrator {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(entry, ensure_ascii=False, indent=2) if args.json else f"{args.task_id}: {done}")
    return 0


def _here(args: argparse.Namespace) -> str:
    """``--coordination-dir DIR`` for a command we suggest, unless DIR is where it would look anyway."""
    default = Path(os.environ.get("ORCHESTRATOR_COORDINATION_DIR", "coordination"))
    given = args.coordination_dir
    return "" if given.resolve() == default.resolve() else f" --coordination-dir {shlex.quote(str(given))}"


def _who() -> str:
    """Who asked: the person behind sudo, else the account (``$USER`` may be unset or empty, as under cron)."""
    try:
        return os.environ.get("SUDO_USER") or os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):  # a uid with no passwd entry, in a container
        return "unknown"


def _control(args: argparse.Namespace, config: Config) -> int:
    """``reload`` and ``stop``: find the folder's daemon through its lock and ask it."""
    lock = make_store(args.coordination_dir, config).layout.daemon_lock
    running = daemon_control.find(lock)
    if running is None:
        if args.command == "stop":  # what stop is for holds already: 0, as `systemctl stop` of a stopped unit
            print(json.dumps({"pid": None, "unit": None, "how": None, "stopped": True}) if args.json else
                  f"no daemon is running on {args.coordination_dir}: nothing to stop")
            return 0
        print(f"orchestrator {args.command}: no daemon is running on {args.coordination_dir}", file=sys.stderr)
        return EXIT_FAILED
    try:
        how = daemon_control.ask(running, args.command)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"orchestrator {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    stopped = daemon_control.wait_released(lock, args.timeout) if args.command == "stop" else None
    if args.json:
        print(json.dumps({"pid": running.pid, "unit": running.unit, "how": how, "stopped": stopped}))
    elif args.command == "reload":
        print(f"{how}: the daemon reads its configuration again "
              f"(orchestrator events --type config_reloaded --type config_reload_failed{_here(args)})")
    elif stopped:
        print(f"{how}: the daemon (PID {running.pid}) has stopped")
    else:
        print(f"{how}: the daemon (PID {running.pid}) still holds the folder after {args.timeout:g} s", file=sys.stderr)
    return 0 if stopped is not False else EXIT_FAILED
