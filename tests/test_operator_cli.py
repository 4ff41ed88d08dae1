"""The operator's surprises of issue 13, each pinned, in-process (``cli.main`` on a temporary folder).

The commands that need a real daemon or real workers are in ``test_commands.py``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator import cli, daemon_control, events, service
from orchestrator.cli import main
from orchestrator.console import Palette, wants_colour

from conftest import queue_doc, task

ROOT = Path(__file__).parent.parent
AUTH = "Add authentication system with security audit and docs"


def run(capsys: pytest.CaptureFixture[str], folder: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--coordination-dir", str(folder)])
    out, err = capsys.readouterr()
    return code, out, err


def with_plan(folder: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """An in-progress orchestration orch-dry-run (task dry-run), from the planner itself."""
    _code, out, _ = run(capsys, folder, "plan", "--json", AUTH)
    plan = json.loads(out)["plan"] | {"status": "in_progress"}
    (folder / "orchestrator/tasks").mkdir(parents=True)
    (folder / "orchestrator/tasks/orch-dry-run.json").write_text(json.dumps(plan))
    (folder / "task-queue.json").write_text(json.dumps(queue_doc(
        task("dry-run", AUTH, status="orchestrating", orchestration_id="orch-dry-run"),
        task("simple-1", "Fix XSS in the login form", status="assigned", assigned_to="security", priority="high"))))
    return dict(plan)


# --- a missing folder -------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["status"], ["events"], ["show", "orch-x"], ["explain", "t"], ["resume", "o", "--abort"],
                                  ["subtask", "start", "s"], ["cancel", "t"], ["retry", "t"], ["stop"], ["reload"],
                                  ["service"]])
def test_commands_that_read_say_the_folder_is_missing(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      argv: list[str]) -> None:
    code, out, err = run(capsys, tmp_path / "nope", *argv)
    assert code == 2 and out == ""
    assert f"no coordination folder {tmp_path / 'nope'}" in err
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("command", [["submit", "Fix it"], ["run"]])
def test_commands_that_create_need_init(capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]) -> None:
    code, _, err = run(capsys, tmp_path / "new", *command)
    assert code == 2 and "add --init to create it" in err and not (tmp_path / "new").exists()


def test_submit_init_says_what_it_created_and_quiet_does_not(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, tmp_path / "new", "submit", "--init", "Fix it")
    assert code == 0 and out.startswith("task-")
    assert f"created the coordination folder {tmp_path / 'new'}" in err and "created the queue" in err
    code, out, err = run(capsys, tmp_path / "other", "submit", "--init", "-q", "Fix it")
    assert code == 0 and out.startswith("task-") and err == ""


def test_status_of_a_folder_without_a_queue_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, tmp_path, "status")
    assert code == 0 and "does not exist yet" in out


def test_status_says_whether_a_daemon_runs(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    """A task submitted while no daemon runs stays pending for ever: status says so before anything else."""
    code, out, _ = run(capsys, folder, "status")
    assert code == 0 and out.startswith("daemon not running: nothing is picked up or supervised (orchestrator run)\n")
    lock = folder / "orchestrator/daemon.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        daemon_control.write_pid(lock)
        assert run(capsys, folder, "status")[1].startswith(f"daemon running (PID {os.getpid()})\n")
        data = json.loads(run(capsys, folder, "status", "--json")[1])
        assert data["daemon"] == {"running": True, "pid": os.getpid()}
    assert json.loads(run(capsys, folder, "status", "--json")[1])["daemon"] == {"running": False, "pid": None}


# --- refused before answering -------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_a_blank_title_is_refused(capsys: pytest.CaptureFixture[str], folder: Path, title: str) -> None:
    before = (folder / "task-queue.json").read_text()
    code, _, err = run(capsys, folder, "submit", title)
    assert code == 2 and "title is empty" in err
    assert (folder / "task-queue.json").read_text() == before
    missing = folder.parent / "not-yet"
    code, _, err = run(capsys, missing, "submit", title, "--init")
    assert code == 2 and "title is empty" in err and not missing.exists()  # refused before anything is created


def test_a_task_file_refused_creates_no_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """ops25: ``submit --init --task-file BAD`` made the folder, then refused the file: a refusal writes nothing."""
    bad = tmp_path / "bad.json"
    bad.write_text('[{"title": ""}]')
    code, _, err = run(capsys, tmp_path / "not-yet", "submit", "--init", "--task-file", str(bad))
    assert code == 2 and "empty" in err and "nothing submitted" in err and not (tmp_path / "not-yet").exists()
    good = tmp_path / "good.json"  # the near case: a good file with --init makes the folder and the queue
    good.write_text('[{"title": "Fix the XSS in the login form", "id": "t1"}]')
    code, out, err = run(capsys, tmp_path / "new", "submit", "--init", "--task-file", str(good))
    assert code == 0 and out == "t1\n" and "created the coordination folder" in err
    assert json.loads((tmp_path / "new/task-queue.json").read_text())["tasks"][0]["id"] == "t1"
    broken = tmp_path / "broken.toml"  # a configuration refused: nothing made either, for submit and run
    broken.write_text("nonsense = [\n")
    for argv in (["submit", "--init", "Fix it"], ["run", "--init"]):
        code, _, err = run(capsys, tmp_path / "not-yet", *argv, "--config", str(broken))
        assert code == 2 and "configuration error" in err and not (tmp_path / "not-yet").exists()


def test_resume_checks_the_subtask_before_answering(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    plan = with_plan(folder, capsys)
    code, _, err = run(capsys, folder, "resume", "orch-dry-run", "--skip", "orch-dry-run-s99-nothing")
    assert code == 1 and "has no subtask 'orch-dry-run-s99-nothing'" in err and "nothing was requested" in err
    first = plan["subtasks"][0]["subtask_id"]
    code, _, err = run(capsys, folder, "resume", "orch-dry-run", "--retry", first)
    assert code == 1 and "nothing to retry" in err
    assert not (folder / "orchestrator/requests").exists() or not list((folder / "orchestrator/requests").iterdir())


def test_resume_takes_a_subtask_by_the_local_id_the_report_shows(capsys: pytest.CaptureFixture[str],
                                                                 folder: Path) -> None:
    with_plan(folder, capsys)
    code, out, err = run(capsys, folder, "resume", "dry-run", "--skip", "s01-design", "--json")
    assert code == 0, err
    assert json.loads(out)["subtask_id"] == "orch-dry-run-s01-design"
    request = json.loads(next((folder / "orchestrator/requests").iterdir()).read_text())
    assert request["subtask_id"] == "orch-dry-run-s01-design" and request["action"] == "skip"


def test_resume_abort_names_the_event_it_writes_and_takes_a_task_id(capsys: pytest.CaptureFixture[str],
                                                                    folder: Path) -> None:
    with_plan(folder, capsys)
    code, out, _ = run(capsys, folder, "resume", "dry-run", "--abort")
    assert code == 0 and "--type orchestration_aborted" in out and "orchestration_resumed" not in out
    assert out.rstrip().endswith(f"--type request_refused --coordination-dir {folder})")  # works as copied
    request = json.loads(next((folder / "orchestrator/requests").iterdir()).read_text())
    assert request["orchestration_id"] == "orch-dry-run" and request["action"] == "abort"


# --- either id; --json --------------------------------------------------------------------------------


def test_show_and_explain_take_either_id(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    with_plan(folder, capsys)
    for given in ("orch-dry-run", "dry-run"):
        code, out, _ = run(capsys, folder, "show", given)
        assert code == 0 and out.startswith("orch-dry-run  in_progress")
        code, out, _ = run(capsys, folder, "explain", given, "--json")
        assert code == 0 and json.loads(out)["task_id"] == "dry-run"
    code, out, _ = run(capsys, folder, "show", "simple-1")
    assert code == 0 and "simple-1 is a simple task (with security)" in out  # not "assigned, assigned to"
    code, _, err = run(capsys, folder, "show", "nothing")
    assert code == 1 and "no orchestration nothing" in err


@pytest.mark.parametrize("command", ["cancel", "retry"])
def test_cancel_and_retry_of_an_orchestration_say_so_by_either_id(capsys: pytest.CaptureFixture[str], folder: Path,
                                                                  command: str) -> None:
    with_plan(folder, capsys)
    before = (folder / "task-queue.json").read_text()
    for given in ("dry-run", "orch-dry-run"):
        code, _, err = run(capsys, folder, command, given)
        assert code == 1 and "it is an orchestration: orchestrator resume orch-dry-run --abort" in err, err
    assert (folder / "task-queue.json").read_text() == before


def test_who_asked_is_recorded_even_without_user(capsys: pytest.CaptureFixture[str], folder: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``$USER`` is empty or unset under cron, in containers and in some CI: the account still says who asked."""
    with_plan(folder, capsys)
    monkeypatch.setenv("USER", "")
    monkeypatch.delenv("SUDO_USER", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "carol")
    assert run(capsys, folder, "resume", "dry-run", "--abort")[0] == 0
    request = json.loads(next((folder / "orchestrator/requests").iterdir()).read_text())
    assert request["requested_by"] == "carol"
    assert run(capsys, folder, "cancel", "simple-1")[0] == 0
    entry = next(t for t in json.loads((folder / "task-queue.json").read_text())["tasks"] if t["id"] == "simple-1")
    assert entry["cancelled_by"] == "carol"


def test_show_json_is_the_plan(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    with_plan(folder, capsys)
    code, out, _ = run(capsys, folder, "show", "orch-dry-run", "--json")
    assert code == 0 and json.loads(out)["orchestration_id"] == "orch-dry-run"


def test_subtask_json_prints_the_file_as_written(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    plan = with_plan(folder, capsys)
    subtask = plan["subtasks"][0] | {"status": "assigned", "attempt": 1}
    (folder / "orchestrator/subtasks").mkdir()
    (folder / f"orchestrator/subtasks/{subtask['subtask_id']}.json").write_text(json.dumps(subtask))
    code, out, _ = run(capsys, folder, "subtask", "start", subtask["subtask_id"], "--worker-id", "w1", "--json")
    written = json.loads(out)
    assert code == 0 and written["status"] == "in_progress" and written["worker_id"] == "w1"


def test_plan_counts_one_worker_per_subtask(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    code, out, _ = run(capsys, folder, "plan", "--dry-run", AUTH)
    assert code == 0 and "6 workers (at most 2 at once)" in out
    assert json.loads(run(capsys, folder, "plan", "--json", AUTH)[1])["plan"]["resource_estimate"]["workers"] == 6


# --- events ---------------------------------------------------------------------------------------------


def write_events(folder: Path) -> None:
    lines = [
        {"timestamp": "2026-11-25T23:59:59.000Z", "type": "orchestrator_started", "source": "orchestrator", "pid": 7},
        {"timestamp": "2026-11-26T08:00:00.000Z", "type": "task_assigned", "source": "orchestrator",
         "task_id": "t-1", "assigned_to": "security"},
        {"timestamp": "2026-11-26T09:00:00.123+01:00", "type": "subtask_completed", "source": "orchestrator",
         "orchestration_id": "orch-t-2", "subtask_id": "orch-t-2-s01-design", "result": "ok"},
    ]
    (folder / "dashboard-events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))


def test_events_last_must_not_be_negative(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    write_events(folder)
    with pytest.raises(SystemExit) as exited:
        main(["events", "--last", "-3", "--coordination-dir", str(folder)])
    assert exited.value.code == 2 and "-3 is negative" in capsys.readouterr().err
    assert len(run(capsys, folder, "events", "--last", "0")[1].splitlines()) == 0
    assert len(run(capsys, folder, "events", "--last", "2")[1].splitlines()) == 2


def test_events_unknown_type_is_refused_with_the_known_ones(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    write_events(folder)
    code, out, err = run(capsys, folder, "events", "--type", "no_such_type")
    assert code == 2 and out == "" and "unknown event type 'no_such_type'" in err and "orchestration_blocked" in err
    (folder / "dashboard-events.jsonl").open("a").write(json.dumps({"timestamp": "x", "type": "their_own"}) + "\n")
    assert run(capsys, folder, "events", "--type", "their_own")[0] == 0  # another writer's type, in the file


def test_events_type_takes_a_comma_separated_list_as_the_web_view_does(capsys: pytest.CaptureFixture[str],
                                                                      folder: Path) -> None:
    write_events(folder)
    code, out, _ = run(capsys, folder, "events", "--type", "task_assigned, subtask_completed", "--json")
    assert code == 0 and [json.loads(line)["type"] for line in out.splitlines()] == ["task_assigned", "subtask_completed"]
    code, _, err = run(capsys, folder, "events", "--type", "task_assigned,no_such_type")
    assert code == 2 and "unknown event type 'no_such_type'" in err


def test_events_since_a_timestamp_or_an_age(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    write_events(folder)
    out = run(capsys, folder, "events", "--since", "2026-11-26T07:30")[1].splitlines()
    assert [line.split()[2] for line in out] == ["task_assigned", "subtask_completed"]
    assert run(capsys, folder, "events", "--since", "1h")[1] == ""  # all long ago
    code, _, err = run(capsys, folder, "events", "--since", "yesterday-ish")
    assert code == 2 and "--since" in err


def test_every_type_the_daemon_writes_is_known_to_events() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src/orchestrator").glob("*.py"))
    emitted = set(re.findall(r'(?:emit|note)\(\s*"([a-z_]+)"', source)) | set(re.findall(r'_emit\(plan, "([a-z_]+)"', source))
    known = {t for types in events.KNOWN_TYPES.values() for t in types}
    assert emitted - known == set()


def test_event_lines_show_the_date_and_keep_their_columns(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    write_events(folder)
    lines = run(capsys, folder, "events")[1].splitlines()
    assert lines[0].startswith("2026-11-25 23:59:59.000Z  orchestrator_started")
    assert lines[2].startswith("2026-11-26 08:00:00.123Z  subtask_completed")  # in UTC, whatever the writer's offset
    type_at = {line.index(line.split()[2]) for line in lines}
    subject_at = {re.match(r"(\S+ \S+  \S+ +)\S", line).end(1) for line in lines}  # type: ignore[union-attr]
    assert len(type_at) == 1 and len(subject_at) == 1  # the type and the id start in the same column on every line
    start = subject_at.pop() + len("orch-t-2-s01-design") + 2  # ids are padded to the longest shown
    assert all(line[start - 2:start] == "  " and line[start] != " " for line in lines)  # details line up too
    assert "orchestration_id=" not in lines[2]  # said by the subtask id already


# --- help ------------------------------------------------------------------------------------------------


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_has_help_and_every_command_an_example() -> None:
    found = subcommands()
    assert set(found) == set(cli.EXAMPLES)
    for name, sub in found.items():
        for action in sub._actions:
            assert action.help and action.help != argparse.SUPPRESS, f"{name} {action.option_strings or action.dest}"
        assert sub.epilog and sub.epilog.startswith("examples:\n"), name
        assert any(line.startswith((f"  orchestrator {name}", f"  sudo orchestrator {name}"))
                   for line in sub.epilog.splitlines()), name


def test_help_prints_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for name in subcommands():
        with pytest.raises(SystemExit) as exited:
            main([name, "--help"])
        out = capsys.readouterr().out
        assert exited.value.code == 0 and "examples:\n  " in out and f"orchestrator {name}" in out


# --- service ----------------------------------------------------------------------------------------------


def test_service_refuses_an_unknown_user(capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, folder, "service", "--install", "--user", "nosuchuser", "--unit-dir", str(tmp_path / "u"))
    assert code == 2 and "no user 'nosuchuser'" in err and not (tmp_path / "u").exists()


def test_service_does_not_overwrite_a_different_unit_without_force(capsys: pytest.CaptureFixture[str], folder: Path,
                                                                   tmp_path: Path) -> None:
    units = tmp_path / "units"
    units.mkdir()
    (units / "orchestrator.service").write_text("[Unit]\nDescription=hand-tuned\n")
    code, _, err = run(capsys, folder, "service", "--install", "--user", "root", "--unit-dir", str(units))
    assert code == 1 and "--force" in err
    assert (units / "orchestrator.service").read_text() == "[Unit]\nDescription=hand-tuned\n"
    code, out, _ = run(capsys, folder, "service", "--install", "--force", "--user", "root", "--unit-dir", str(units),
                       "--json")
    assert code == 0 and json.loads(out)["replaced"] is True
    assert "Type=notify" in (units / "orchestrator.service").read_text()
    assert run(capsys, folder, "service", "--install", "--user", "root", "--unit-dir", str(units))[0] == 0  # same text


def test_a_folder_under_tmp_gets_private_tmp_off_and_a_note(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    unit = service.render(Path("/tmp/agents/coordination"), "root")
    assert "\nPrivateTmp=no" in unit and "\nPrivateTmp=yes" not in unit and "would hide /tmp/agents/coordination" in unit
    assert "PrivateTmp=yes" in service.render(Path("/srv/agents/coordination"), "root")
    folder = Path("/tmp") / f"ops-{os.getpid()}" / "coordination"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        code, out, err = run(capsys, folder, "service", "--user", "root", "--json")
        data = json.loads(out)
        assert code == 0 and "PrivateTmp=no" in data["text"] and "under /tmp" in data["warnings"][0]
        assert "under /tmp" in err
    finally:
        shutil.rmtree(folder.parent)


# --- status ------------------------------------------------------------------------------------------------


def test_status_filters_and_eta(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    with_plan(folder, capsys)
    data = json.loads(run(capsys, folder, "status", "--json", "--state", "assigned", "--master", "security")[1])
    assert [t["id"] for t in data["tasks"]] == ["simple-1"]
    assert data["orchestrations"] == []  # not assigned
    assert json.loads(run(capsys, folder, "status", "--json", "--master", "development")[1])["tasks"] == []
    data = json.loads(run(capsys, folder, "status", "--json", "--master", "security", "--state", "in_progress")[1])
    assert [o["orchestration_id"] for o in data["orchestrations"]] == ["orch-dry-run"]
    assert data["orchestrations"][0]["eta"]["remaining_minutes"] > 0
    data = json.loads(run(capsys, folder, "status", "--json", "--priority", "low")[1])
    assert data["tasks"] == [] and data["orchestrations"] == []
    text = run(capsys, folder, "status")[1]
    assert "ETA " in text and "tasks (" not in text


def test_a_filtered_status_says_how_many_orchestrations_it_left_out(capsys: pytest.CaptureFixture[str],
                                                                     folder: Path) -> None:
    """ops25: ``status --state assigned --master inventory`` said "orchestrations none" while 5 ran."""
    with_plan(folder, capsys)
    text = run(capsys, folder, "status", "--state", "assigned", "--master", "security")[1]
    assert "orchestrations\n  none match (1 other)" in text
    assert json.loads(run(capsys, folder, "status", "--json", "--state", "assigned")[1])["orchestrations_left_out"] == 1
    shown = run(capsys, folder, "status", "--master", "security")[1]  # it matches: listed, nothing left out said
    assert "orch-dry-run" in shown and "none match" not in shown
    (folder / "orchestrator/tasks/orch-dry-run.json").unlink()  # no plan at all: none, as before
    assert "orchestrations\n  none\n" in run(capsys, folder, "status", "--state", "assigned")[1] + "\n"


def test_status_refuses_a_state_nothing_can_be_in(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    """A typo in --state used to list no task, silently, like ``events --type no_such_type``."""
    with_plan(folder, capsys)
    code, out, err = run(capsys, folder, "status", "--state", "asigned")
    assert code == 2 and out == "" and "no task or orchestration can be in state 'asigned'" in err
    assert run(capsys, folder, "status", "--state", "aborted")[0] == 0  # a plan's state
    doc = json.loads((folder / "task-queue.json").read_text())
    doc["tasks"].append(task("theirs", "Their own task", status="on_hold"))
    (folder / "task-queue.json").write_text(json.dumps(doc))
    code, out, _ = run(capsys, folder, "status", "--state", "on_hold")  # another writer's state, in the queue
    assert code == 0 and "theirs" in out


def test_status_says_how_to_resume_a_blocked_orchestration(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    plan = with_plan(folder, capsys)
    blocker = plan["subtasks"][0]["subtask_id"]
    plan |= {"status": "blocked", "blocking_subtask": blocker, "failure_reason": "no template"}
    (folder / "orchestrator/tasks/orch-dry-run.json").write_text(json.dumps(plan))
    (folder / "task-queue.json").write_text(json.dumps(queue_doc(
        task("dry-run", AUTH, status="blocked", orchestration_id="orch-dry-run", blocked_reason=f"{blocker}: no template"))))
    text = run(capsys, folder, "status")[1]
    hint = f"    -> orchestrator resume orch-dry-run --retry|--skip {blocker} or --abort"
    assert f"  dry-run: {blocker}: no template\n{hint}" in text


# --- colour, completion -----------------------------------------------------------------------------------


class Tty:
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    assert wants_colour(Tty(), {"TERM": "xterm"})  # type: ignore[arg-type]
    assert not wants_colour(Tty(), {"TERM": "xterm", "NO_COLOR": "1"})  # type: ignore[arg-type]
    assert not wants_colour(Tty(), {"TERM": "dumb"})  # type: ignore[arg-type]
    assert not wants_colour(open(os.devnull, "w"), {})  # noqa: SIM115
    assert wants_colour(open(os.devnull, "w"), {"FORCE_COLOR": "1"})  # noqa: SIM115
    line = events.render({"timestamp": "2026-11-26T08:00:00Z", "type": "subtask_failed", "subtask_id": "s"},
                         Palette(True))
    assert "\033[31msubtask_failed" in line
    assert "\033[" not in events.render({"timestamp": "2026-11-26T08:00:00Z", "type": "subtask_failed"})


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(capsys: pytest.CaptureFixture[str], shell: str) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "orchestrator" in script and "_ARGCOMPLETE" in script


@pytest.mark.process
def test_completion_completes_commands_and_ids(folder: Path, tmp_path: Path) -> None:
    (folder / "orchestrator/tasks").mkdir(parents=True)
    (folder / "orchestrator/tasks/orch-t-1.json").write_text("{}")
    out = tmp_path / "out"

    def complete(line: str) -> list[str]:
        env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
               "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "_ARGCOMPLETE_IFS": "\n"}
        subprocess.run([str(Path(sys.executable).parent / "orchestrator")], env=env, check=False, capture_output=True)
        return [word.strip() for word in out.read_text().split("\n")]

    assert "status" in complete("orchestrator sta")
    assert "orch-t-1" in complete(f"orchestrator show --coordination-dir {folder} orch-")
    assert {"subtask_failed", "subtask_started"} <= set(complete("orchestrator events --type subtask_"))
    assert "orch-t-1" in complete(f"orchestrator events --coordination-dir {folder} --orchestration orch-")


# --- the daemon's pid ------------------------------------------------------------------------------------------


def test_the_daemon_is_found_through_its_lock(tmp_path: Path) -> None:
    lock = tmp_path / "daemon.lock"
    lock.write_text("")
    assert daemon_control.find(lock) is None  # not held
    table = tmp_path / "locks"
    st = lock.stat()
    device, inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}", st.st_ino
    table.write_text(f"1: POSIX  ADVISORY  WRITE 99 {device}:{inode} 0 EOF\n"
                     f"2: FLOCK  ADVISORY  WRITE 4242 {device}:{inode} 0 EOF\n")
    assert daemon_control._holder(lock, table) == 4242
    table.write_text(f"1: FLOCK  ADVISORY  WRITE 4242 ff:ff:{inode} 0 EOF\n")  # another file system's inode
    assert daemon_control._holder(lock, table) is None
    cgroup = tmp_path / "4242"
    cgroup.mkdir()
    (cgroup / "cgroup").write_text("0::/system.slice/orchestrator-agents.service\n")
    assert daemon_control.unit_of(4242, tmp_path) == "orchestrator-agents.service"
    (cgroup / "cgroup").write_text("0::/user.slice/user-1000.slice/session-2.scope\n")
    assert daemon_control.unit_of(4242, tmp_path) is None
    running = daemon_control.Running(4242, "orchestrator.service")
    assert daemon_control.command(running, "stop") == ["systemctl", "stop", "orchestrator.service"]
    assert daemon_control.command(daemon_control.Running(4242, None), "reload") is None


# --- the README --------------------------------------------------------------------------------------------


def readme_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Adding a task from a shell"):]
    return section[section.index("```bash\n") + 8:section.index("\n```", section.index("```bash\n"))]


def test_the_readme_shows_the_shipped_shell_script_as_it_is() -> None:
    assert readme_script() + "\n" == (ROOT / "scripts" / "add-task.sh").read_text()


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("flock") is None, reason="jq or flock is not installed")
def test_the_shell_script_adds_a_task_and_never_empties_the_queue(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "add-task.sh"
    queue = tmp_path / "task-queue.json"

    def add(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(script), str(queue), *argv], capture_output=True, text=True, timeout=30,
                              env={**os.environ, **env})

    queue.write_text(json.dumps(queue_doc(task("a", "Keep me", foreign={"x": 1}), stats={"n": 1})))
    done = add("Deploy the dashboard to staging", "high")
    assert done.returncode == 0, done.stderr
    written = json.loads(queue.read_text())
    assert written["stats"] == {"n": 1} and written["tasks"][0]["foreign"] == {"x": 1}
    new = written["tasks"][1]
    assert new["id"] == done.stdout.strip() and new["status"] == "pending" and new["priority"] == "high"
    assert new["title"] == "Deploy the dashboard to staging" and "description" not in new
    described = add("Rotate the API keys", "low", 'The "ci-bot" keys leaked;\nrotate both.')
    assert described.returncode == 0, described.stderr
    assert json.loads(queue.read_text())["tasks"][2]["description"] == 'The "ci-bot" keys leaked;\nrotate both.'
    for broken in ("", '{"tasks": [{"id": "a"', "[]", '{"tasks": 3}'):  # being rewritten, half-written, foreign
        queue.write_text(broken)
        inode = queue.stat().st_ino
        refused = add("Another")
        assert refused.returncode != 0 and "left as it is" in refused.stderr
        assert queue.read_text() == broken and queue.stat().st_ino == inode
    queue.write_text(json.dumps(queue_doc()))
    import fcntl

    with open(f"{queue}.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        locked = add("Another", LOCK_WAIT="0.2")
    assert locked.returncode == 1 and "is held" in locked.stderr and json.loads(queue.read_text())["tasks"] == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("task-queue.json.")] == ["task-queue.json.lock"]


def test_the_readme_names_only_files_that_exist_and_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for path in set(re.findall(r"`(tests/data/[^`]+)`", readme)):
        assert (ROOT / path).exists(), path
    table = readme[readme.index("## Commands"):readme.index("### Reading events")]
    for name in subcommands():
        assert f"`orchestrator {name}" in table, name
    assert "--watch" in table


def test_quiet_and_verbose_before_or_after_the_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["-q", "submit", "--init", "Fix it", "--coordination-dir", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().err == ""
    assert main(["submit", "--init", "-q", "Fix it", "--coordination-dir", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().err == ""
    assert main(["submit", "--init", "Fix it", "--coordination-dir", str(tmp_path / "c")]) == 0
    assert "created" in capsys.readouterr().err
    long = {"timestamp": "2026-11-26T08:00:00Z", "type": "task_invalid", "task_id": "t", "problem": "x" * 300}
    (tmp_path / "c/dashboard-events.jsonl").write_text(json.dumps(long) + "\n")
    assert main(["-v", "events", "--coordination-dir", str(tmp_path / "c")]) == 0
    assert "x" * 300 in capsys.readouterr().out
    assert main(["events", "--coordination-dir", str(tmp_path / "c")]) == 0
    assert "x" * 300 not in capsys.readouterr().out


def test_the_folder_and_config_before_or_after_the_command(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A new user wrote ``orchestrator --coordination-dir DIR move ...`` and got "invalid choice"."""
    monkeypatch.delenv("ORCHESTRATOR_COORDINATION_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["--coordination-dir", str(tmp_path / "a"), "submit", "--init", "-q", "Fix it"]) == 0
    assert main(["submit", "--init", "-q", "Fix it", "--coordination-dir", str(tmp_path / "b")]) == 0
    assert (tmp_path / "a/task-queue.json").exists() and (tmp_path / "b/task-queue.json").exists()
    assert main(["--coordination-dir", str(tmp_path / "x"), "submit", "--init", "-q", "Fix it",
                 "--coordination-dir", str(tmp_path / "c")]) == 0  # after the command wins
    assert (tmp_path / "c/task-queue.json").exists() and not (tmp_path / "x").exists()
    assert main(["submit", "--init", "-q", "Fix it"]) == 0  # neither: ./coordination
    assert (tmp_path / "coordination/task-queue.json").exists()
    (tmp_path / "bad.toml").write_text("[watch\n")
    assert main(["--config", str(tmp_path / "bad.toml"), "--coordination-dir", str(tmp_path / "a"), "doctor"]) != 0
    assert "bad.toml" in capsys.readouterr().out


def test_json_wherever_a_machine_reads_the_output() -> None:
    """Every command whose output a script may read; not the long-running ones (run, web) or raw text."""
    for name, sub in subcommands().items():
        has_json = any("--json" in a.option_strings for a in sub._actions)
        assert has_json == (name not in {"run", "schema", "completion", "web"}), name


@pytest.mark.parametrize(("running", "shown"), [(True, "healthy"), (False, "unsupervised")])
def test_status_calls_a_live_plan_unsupervised_when_no_daemon_runs(running: bool, shown: str) -> None:
    """With no daemon, nobody checks a plan's workers: its last "healthy" would claim what nobody saw."""
    from orchestrator import status

    plan = {"orchestration_id": "orch-1", "status": "in_progress", "current_stage": 1, "total_stages": 3,
            "progress_percent": 10, "health": "healthy", "title": "Add SSO"}
    done = {**plan, "orchestration_id": "orch-2", "status": "completed", "progress_percent": 100}
    picture = {"daemon": {"running": running, "pid": None},
               "queue": {"path": "q", "by_status": {}, "tasks": 0, "routed_by_orchestrator": 0},
               "orchestrations": [plan, done], "blocked": []}
    lines = status.render(picture).splitlines()
    assert f"  {shown}" in next(line for line in lines if "orch-1" in line)
    ended = next(line for line in lines if "orch-2" in line)
    assert "healthy" not in ended and "unsupervised" not in ended  # an ended plan has no workers to be healthy


# --- plan --dry-run --task-file ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["list", "queue", "corpus"])
def test_a_task_file_may_hold_many_tasks_each_decided(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     shape: str) -> None:
    """A new user planned their own list of tasks and got a raw pydantic error: a list, a queue (its pending
    tasks, as the daemon takes them) and the evaluation corpus's records are each decided in turn."""
    tasks = [task("a", "Fix the typo on the login page"),
             task("b", "Add authentication system with security audit and docs"),
             task("c", "Rotate the deploy key", status="assigned")]
    doc: Any = {"list": tasks, "queue": queue_doc(*tasks),
                "corpus": [{"task": t, "label": {"decision": "simple"}} for t in tasks]}[shape]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(doc))
    assert main(["plan", "--dry-run", "--json", "--task-file", str(path)]) == 0
    decided = json.loads(capsys.readouterr().out)
    expected = 2 if shape == "queue" else 3  # the assigned one is no longer the daemon's to decide
    assert [d["decision"] for d in decided][:2] == ["simple", "complex"] and len(decided) == expected
    assert [d["task_id"] for d in decided][:2] == ["a", "b"]  # which task each answer is about
    assert main(["plan", "--dry-run", "--task-file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "== a: Fix the typo on the login page" in out and "== b: Add authentication" in out


def test_a_single_task_file_prints_as_before_and_a_bad_item_says_which(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(task("a", "Fix the typo on the login page")))
    assert main(["plan", "--dry-run", "--json", "--task-file", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "simple"  # one object, not a list of one
    path.write_text(json.dumps([task("a", "Fix the typo"), {"id": "b", "title": 5}]))
    assert main(["plan", "--dry-run", "--task-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not a valid task (item 2): title: Input should be a valid string" in err and "errors.pydantic" not in err
    path.write_text(json.dumps({"tasks": []}))
    assert main(["plan", "--dry-run", "--task-file", str(path)]) == 2
    assert "holds no task" in capsys.readouterr().err


def test_a_row_of_status_stays_one_line_whatever_its_fields_hold(capsys: pytest.CaptureFixture[str],
                                                                 folder: Path) -> None:
    """The sample queue's ``"assigned_to": "\\ndevelopment"`` broke its row of ``status --state assigned`` in two."""
    (folder / "task-queue.json").write_text(json.dumps(queue_doc(
        task("t\n1", "Add pagination\tto the list", status="assigned", assigned_to="\ndevelopment"))))
    text = run(capsys, folder, "status", "--state", "assigned")[1]
    [row] = [line for line in text.splitlines() if "pagination" in line]
    assert "t\\u000a1" in row and "\\u000adevelopment" in row and "pagination\\u0009to" in row


def test_a_dry_run_on_a_folder_decides_as_its_daemon_would(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A third new user gave a planned phishing response to security and the daemon routed the next such task there;
    ``plan --dry-run`` on the same folder still said complex: it did not read the folder's corrections."""
    folder = tmp_path / "c"
    (folder / "orchestrator" / "state").mkdir(parents=True)
    (folder / "task-queue.json").write_text(json.dumps(queue_doc()))
    title = "Add authentication system with security audit and docs"
    (folder / "orchestrator" / "state" / "routing-corrections.json").write_text(json.dumps([
        {"task_id": "t-88", "title": title, "text": "", "routed_to": "a plan", "master": "security"}]))
    assert main(["plan", "--dry-run", "--json", title, "--coordination-dir", str(folder)]) == 0
    decided = json.loads(capsys.readouterr().out)
    assert (decided["decision"], decided["master"]) == ("simple", "security")
    assert "one piece of work: a person gave t-88 to one master" in decided["reasons"]
    assert main(["plan", "--dry-run", "--json", title, "--coordination-dir", str(tmp_path / "none")]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "complex"  # no folder: the rules alone


def test_help_says_what_a_manual_page_would(capsys: pytest.CaptureFixture[str]) -> None:
    """ops24: the exit codes, the environment and the daemon's signals were in the README only; an operator on a
    host with no checkout reads --help. What they say is what the code does (its constants)."""
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    for code, words in ((0, "done, nothing wrong"), (cli.EXIT_FAILED, "a problem found"), (cli.EXIT_USAGE, "wrong usage"),
                        (cli.EXIT_RUNNING, "run: another daemon owns the folder")):
        assert f"\n  {code}  {words}" in top
    assert "ORCHESTRATOR_COORDINATION_DIR" in top and "NO_COLOR" in top
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    run = capsys.readouterr().out
    assert run.index("examples:") < run.index("signals:") < run.index("exit status:")
    assert "SIGHUP" in run and f"\n  {cli.EXIT_RUNNING}  another daemon owns the folder" in run
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    assert "signals:" not in capsys.readouterr().out  # the daemon's alone


def test_a_sighup_while_the_daemon_starts_is_not_its_death(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ops24: ``kill -HUP`` in the seconds before the event loop's handler (the imports alone took 2.8 s on a loaded
    machine) killed the daemon (exit 129). The entry point ignores SIGHUP for ``run`` before it imports anything, and
    ``run`` until the loop takes it over. Near cases: another command gets the default back (a word "run" in a
    title does not keep a terminal's hangup from ending it), and under ``nohup`` nothing is given back."""
    from orchestrator import entry

    seen: list[object] = []
    real = cli.main
    monkeypatch.setattr(cli, "run_daemon", lambda *a, **k: seen.append(("run", signal.getsignal(signal.SIGHUP))) or 0)
    monkeypatch.setattr(cli, "main", lambda: seen.append(("cli", signal.getsignal(signal.SIGHUP))) or real())
    before = signal.getsignal(signal.SIGHUP)
    try:
        for argv, during, after in (
                (["run"], [("cli", signal.SIG_IGN), ("run", signal.SIG_IGN)], signal.SIG_IGN),  # then the loop's
                (["plan", "--dry-run", "run"], [("cli", signal.SIG_IGN)], signal.SIG_DFL)):  # a title
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            seen.clear()
            monkeypatch.setattr(sys, "argv", ["orchestrator", *argv, "--coordination-dir", str(folder)])
            assert entry.main() == 0
            assert seen == during and signal.getsignal(signal.SIGHUP) == after
        entry.held = False
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup
        monkeypatch.setattr(sys, "argv", ["orchestrator", "plan", "--dry-run", "run the backups"])
        assert entry.main() == 0 and not entry.held and signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        entry.held = False
        signal.signal(signal.SIGHUP, before)
