"""The ``orchestrator`` command. Thin: parse arguments, call one function, print, exit.

Exit codes: 0 done; 1 the work failed (unreadable queue, no valid plan); 2 wrong usage or
configuration; 3 another daemon already owns the folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from orchestrator import __version__, doctor, events, intake, logs, protocol, service, status, views
from orchestrator.classify import Classifier
from orchestrator.config import Config, ConfigError, config_path_for, load_config
from orchestrator.daemon import AlreadyRunning, make_store
from orchestrator.daemon import run as run_daemon
from orchestrator.engine import draft
from orchestrator.models import Event, Handoff, OrchestratorState, Plan, QueueTask, Subtask, describe
from orchestrator.store import Snapshot, StoreError
from orchestrator.timestamps import now_iso

EXIT_FAILED, EXIT_USAGE, EXIT_RUNNING = 1, 2, 3
SCHEMAS: dict[str, type[BaseModel]] = {
    "task": QueueTask, "plan": Plan, "subtask": Subtask, "handoff": Handoff, "state": OrchestratorState,
    "event": Event, "config": Config,
}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--coordination-dir", type=Path, metavar="DIR",
                        default=Path(os.environ.get("ORCHESTRATOR_COORDINATION_DIR", "coordination")),
                        help="coordination folder (default: $ORCHESTRATOR_COORDINATION_DIR or ./coordination)")
    common.add_argument("--config", type=Path, metavar="FILE",
                        help="TOML configuration (default: DIR/orchestrator/config.toml if present)")
    parser = argparse.ArgumentParser(
        prog="orchestrator", description="Plan and supervise the tasks of a file-coordinated multi-agent system.")
    parser.add_argument("--version", action="version", version=f"orchestrator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", parents=[common], help="run the daemon")
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    run.add_argument("--standby", action="store_true",
                     help="if another daemon owns the folder, wait and take over when it stops")

    submit = commands.add_parser("submit", parents=[common], help="append a pending task to the queue")
    submit.add_argument("title")
    submit.add_argument("--description")
    submit.add_argument("--type")
    submit.add_argument("--priority", default="medium", choices=["critical", "high", "medium", "low"])
    submit.add_argument("--orchestrate", action="store_true", help="set orchestration_required: true")
    submit.add_argument("--json", action="store_true", help="print the task as JSON instead of its id")

    plan = commands.add_parser("plan", parents=[common], help="classify and plan a task without writing anything")
    plan.add_argument("title", nargs="?")
    plan.add_argument("--description")
    plan.add_argument("--task-file", type=Path, metavar="FILE", help="a task as JSON (as in task-queue.json)")
    plan.add_argument("--dry-run", action="store_true", help="accepted for clarity: plan never writes")
    plan.add_argument("--json", action="store_true", help="print JSON")

    state = commands.add_parser("status", parents=[common], help="what is queued, routed, orchestrating, and how far")
    state.add_argument("--json", action="store_true", help="print JSON")
    state.add_argument("--watch", action="store_true", help="redraw whenever something changes (Ctrl-C ends)")

    show = commands.add_parser("show", parents=[common], help="one orchestration: its plan by stage, or its DAG")
    show.add_argument("orchestration_id", metavar="ORCH_ID")
    show.add_argument("--format", choices=["tree", "mermaid", "dot", "json"], default="tree")

    events = commands.add_parser("events", parents=[common], help="the event stream, readable or as JSON")
    events.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    events.add_argument("--type", action="append", default=[], metavar="T", help="only this type (repeatable)")
    events.add_argument("--orchestration", metavar="ID")
    events.add_argument("--task", metavar="ID")
    events.add_argument("--last", type=int, metavar="N", help="only the last N matching events")
    events.add_argument("--json", action="store_true", help="one JSON object per line")

    explain = commands.add_parser("explain", parents=[common], help="why a task was classified and routed as it was")
    explain.add_argument("task_id", metavar="TASK_ID")
    explain.add_argument("--json", action="store_true", help="print JSON")

    settings = commands.add_parser("config", parents=[common], help="the effective configuration and its sources")
    settings.add_argument("--json", action="store_true", help="print JSON")

    check = commands.add_parser("doctor", parents=[common], help="check the folder and say what to do")
    check.add_argument("--json", action="store_true", help="print JSON")

    report = commands.add_parser("subtask", parents=[common], help="report on a subtask (for masters and workers)")
    report.add_argument("action", choices=["start", "heartbeat", "complete", "fail"])
    report.add_argument("subtask_id", metavar="ID")
    report.add_argument("--worker-id", metavar="W",
                        help="the reporting worker; needed to complete or fail an attempt that no worker started")
    report.add_argument("--pid", type=int, metavar="PID",
                        help="the worker's process: the daemon watches it to see the worker die, and stops it only "
                             "if it is a process of this user started after the handoff (never PID 1 or the daemon)")
    report.add_argument("--progress", metavar="TEXT", help="what the worker is doing now (a heartbeat with news)")
    result = report.add_mutually_exclusive_group()
    result.add_argument("--result", metavar="TEXT")
    result.add_argument("--result-file", type=Path, metavar="FILE")
    report.add_argument("--reason", metavar="TEXT", help="why it failed (fail)")
    kind = report.add_mutually_exclusive_group()
    kind.add_argument("--transient", dest="transient", action="store_true", default=True,
                      help="retry it (default for fail)")
    kind.add_argument("--permanent", dest="transient", action="store_false", help="escalate at once")

    resume = commands.add_parser("resume", parents=[common], help="unblock an orchestration (the daemon acts on it)")
    resume.add_argument("orchestration_id", metavar="ORCH_ID")
    what = resume.add_mutually_exclusive_group(required=True)
    what.add_argument("--retry", metavar="SUBTASK", help="hand the subtask out again")
    what.add_argument("--skip", metavar="SUBTASK", help="count the subtask as done and go on")
    what.add_argument("--abort", action="store_true", help="stop the orchestration; the task is cancelled")
    resume.add_argument("--json", action="store_true", help="print the request as JSON")

    unit = commands.add_parser("service", parents=[common], help="print or install the systemd unit for a folder")
    unit.add_argument("--user", default=os.environ.get("SUDO_USER") or os.environ.get("USER") or "root",
                      help="account the daemon runs as (default: you)")
    unit.add_argument("--install", action="store_true", help="write the unit into --unit-dir instead of printing it")
    unit.add_argument("--unit-dir", type=Path, default=Path("/etc/systemd/system"), metavar="DIR")
    unit.add_argument("--writable", type=Path, action="append", default=[], metavar="DIR",
                      help="another folder the daemon may write (for example the workspace of files_affected)")

    schema = commands.add_parser("schema", help="print the JSON Schema of a file format")
    schema.add_argument("format", choices=sorted(SCHEMAS))

    web = commands.add_parser("web", parents=[common], help="a live, read-only web page of the folder")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; any other needs a token)")
    web.add_argument("--port", type=int, default=8080)
    web.add_argument("--token", default=os.environ.get("ORCHESTRATOR_WEB_TOKEN"),
                     help="required on a non-loopback address (default: $ORCHESTRATOR_WEB_TOKEN, else one is made up "
                          "and printed); with --host 127.0.0.1 it is required too if given")
    return parser


FOLDER_ONLY = {"subtask", "status", "show", "events", "doctor", "resume", "web"}
"""Commands that work from the folder alone, with the default configuration if the file is broken."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "run":
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `orchestrator events | head` ends quietly
    if args.command == "schema":
        print(json.dumps(SCHEMAS[args.format].model_json_schema(by_alias=True), indent=2))
        return 0
    try:
        config = load_config(args.config, args.coordination_dir)
    except ConfigError as exc:
        if args.command not in FOLDER_ONLY:
            print(f"orchestrator: configuration error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        # reporting and reading need only the folder: a broken config file must not silence workers
        print(f"orchestrator: warning: configuration error, using the defaults: {exc}", file=sys.stderr)
        config = Config()
    if args.command == "web":
        from orchestrator.web.serve import serve  # Starlette and uvicorn load only for this command

        return serve(make_store(args.coordination_dir, config), config, args.host, args.port, args.token)
    handler = {"run": _run, "submit": _submit, "plan": _plan, "status": _status, "subtask": _subtask,
               "resume": _resume, "service": _service, "show": _show, "events": _events, "explain": _explain,
               "config": _config, "doctor": _doctor}[args.command]
    return handler(args, config)


def _run(args: argparse.Namespace, config: Config) -> int:
    logs.configure(args.log_level)
    try:
        return run_daemon(args.coordination_dir.resolve(), config, args.config, standby=args.standby)
    except AlreadyRunning as exc:
        print(f"orchestrator: {exc}", file=sys.stderr)
        return EXIT_RUNNING


def _submit(args: argparse.Namespace, config: Config) -> int:
    task: dict[str, Any] = {
        "id": f"task-{int(time.time())}-{secrets.token_hex(3)}",
        "title": args.title,
        "description": args.description,
        "type": args.type,
        "priority": args.priority,
        "status": "pending",
        "created_at": now_iso(),
        "created_by": "orchestrator-cli",
    }
    if args.orchestrate:
        task["orchestration_required"] = True
    task = {k: v for k, v in task.items() if v is not None}

    def append(snapshot: Snapshot) -> bool:
        if isinstance(snapshot.document, dict):
            snapshot.document.setdefault("tasks", []).append(task)
        else:
            snapshot.document.append(task)
        return True

    store = make_store(args.coordination_dir, config)
    try:
        store.update_queue(append, create=True)
    except StoreError as exc:
        print(f"orchestrator: task not submitted: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(task, ensure_ascii=False) if args.json else task["id"])
    return 0


def _plan(args: argparse.Namespace, config: Config) -> int:
    if args.task_file:
        try:
            raw = json.loads(args.task_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"orchestrator: cannot read {args.task_file}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    elif args.title:
        raw = {"id": "dry-run", "title": args.title, "description": args.description, "status": "pending"}
    else:
        print("orchestrator plan: give a TITLE or --task-file FILE", file=sys.stderr)
        return EXIT_USAGE
    try:
        task = QueueTask.model_validate(raw)
    except ValueError as exc:
        print(f"orchestrator: not a valid task: {exc}", file=sys.stderr)
        return EXIT_USAGE
    classifier = Classifier(config.classifier)
    decision = classifier.classify(task)
    result: dict[str, Any] = decision.model_dump(include={"decision", "master", "confidence", "reasons"})
    result["plan"] = None
    code = 0
    if decision.decision == "complex":
        drafted = asyncio.run(draft(task, decision, classifier, config, now_iso()))
        if drafted.plan is not None:
            result["plan"] = drafted.plan.model_dump(mode="json")
        else:
            result["problems"] = drafted.error.problems if drafted.error else []
            code = EXIT_FAILED
        if drafted.fallback_reason:
            result["planner_fallback"] = drafted.fallback_reason
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else _plan_text(result))
    return code


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
                     f"{estimate['workers']} workers, masters {', '.join(estimate['masters'])}")
        lines.extend(f"  bottleneck: {b}" for b in estimate["bottlenecks"])
    lines.extend(f"  problem: {p}" for p in result.get("problems", []))
    return "\n".join(lines)


def _status(args: argparse.Namespace, config: Config) -> int:
    store = make_store(args.coordination_dir, config)
    if not args.watch:
        picture = status.collect(store)
        print(json.dumps(picture, indent=2) if args.json else status.render(picture))
        return 0
    _interruptible()
    try:
        for picture in status.watch(store):
            print("\033[H\033[2J" + time.strftime("%H:%M:%S  ") + status.render(picture), flush=True)
    except KeyboardInterrupt:
        pass
    return 0


def _interruptible() -> None:
    """Ctrl-C and SIGTERM end a follower quietly, even when it was started from a script that
    ignores SIGINT (a background job of a shell does, and Python keeps an ignored SIGINT)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _load_plan(args: argparse.Namespace, config: Config) -> Plan | None:
    store = make_store(args.coordination_dir, config)
    try:
        return Plan.model_validate(store.read_json(store.layout.plan(args.orchestration_id)))
    except (StoreError, ValueError) as exc:
        print(f"orchestrator: {args.orchestration_id}: {describe(exc)}", file=sys.stderr)
        return None


def _show(args: argparse.Namespace, config: Config) -> int:
    plan = _load_plan(args, config)
    if plan is None:
        return EXIT_FAILED
    print(json.dumps(plan.model_dump(mode="json"), indent=2) if args.format == "json" else views.show(plan, args.format))
    return 0


def _events(args: argparse.Namespace, config: Config) -> int:
    path = make_store(args.coordination_dir, config).layout.events
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        text = ""
    found, used = events.parse(text)
    chosen = [e for e in found if events.matches(e, args.type, args.orchestration, args.task)]
    if args.last is not None:
        chosen = chosen[-args.last:] if args.last else []

    def emit(event: dict[str, Any]) -> None:
        print(json.dumps(event, ensure_ascii=False) if args.json else events.render(event), flush=True)

    try:
        for event in chosen:
            emit(event)
        if args.follow:
            _interruptible()
            for event in events.follow(path, len(text[:used].encode("utf-8"))):
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
    entry = intake.find(snapshot.tasks, args.task_id) if snapshot else None
    if entry is None:
        print(f"orchestrator: no task {args.task_id} in {store.layout.queue}", file=sys.stderr)
        return EXIT_FAILED
    try:
        task = QueueTask.model_validate(entry)
    except ValueError as exc:
        print(f"orchestrator: {args.task_id} is not a valid task: {exc}", file=sys.stderr)
        return EXIT_FAILED
    found = views.explain(task, entry, Classifier(config.classifier))
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
    found = doctor.examine(make_store(args.coordination_dir, config))
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
            result = args.result_file.read_text(encoding="utf-8")
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
        store.update_json(path, change)
    except (_Refused, StoreError) as exc:
        print(f"orchestrator: {args.subtask_id}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return 0


class _Refused(Exception):
    """A report that does not apply; nothing was written."""


def _resume(args: argparse.Namespace, config: Config) -> int:
    action = "retry" if args.retry else "skip" if args.skip else "abort"
    request = {"orchestration_id": args.orchestration_id, "action": action, "subtask_id": args.retry or args.skip,
               "requested_at": now_iso(), "requested_by": os.environ.get("USER", "unknown")}
    store = make_store(args.coordination_dir, config)
    try:
        if not store.layout.plan(args.orchestration_id).exists():
            print(f"orchestrator: no orchestration {args.orchestration_id}", file=sys.stderr)
            return EXIT_FAILED
        path = store.layout.requests / f"{int(time.time() * 1000)}-{secrets.token_hex(3)}.json"
        store.write_json(path, {k: v for k, v in request.items() if v is not None})
    except StoreError as exc:
        print(f"orchestrator: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({k: v for k, v in request.items() if v is not None} | {"request_file": str(path)}))
    else:
        print(f"requested {action} of {args.orchestration_id}; the daemon carries it out "
              "(orchestrator events --type orchestration_resumed)")
    return 0


def _service(args: argparse.Namespace, config: Config) -> int:
    root = args.coordination_dir.resolve()
    text = service.render(root, args.user, args.config, extra_writable=args.writable)
    if not args.install:
        print(text, end="")
        return 0
    path = args.unit_dir / service.unit_name(root)
    try:
        args.unit_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"orchestrator: cannot write {path}: {exc.strerror} (run with sudo?)", file=sys.stderr)
        return EXIT_FAILED
    name = path.name
    print(f"wrote {path}\nnow: sudo systemctl daemon-reload && sudo systemctl enable --now {name}\n"
          f"logs: journalctl -u {name} -f    state: systemctl status {name}    reload: systemctl reload {name}")
    return 0
