"""ops23: the operator's loose ends, second round (a new user looped ``submit`` over 30 tasks at 2 s each; commands
that said nothing on success; ``show`` of a simple task exiting 1; ``stop`` with no daemon)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli import main

from conftest import queue_doc, task


def run(capsys: pytest.CaptureFixture[str], folder: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--coordination-dir", str(folder)])
    out, err = capsys.readouterr()
    return code, out, err


def queued(folder: Path) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = json.loads((folder / "task-queue.json").read_text())["tasks"]
    return tasks


def write(tmp_path: Path, doc: Any) -> str:
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(doc))
    return str(path)


# --- submit --task-file -----------------------------------------------------------------------------------------

def test_submit_a_file_appends_every_task_in_one_update_keeping_every_field(
        capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path) -> None:
    given = [{"title": "Rotate the deploy key", "priority": "high", "context": {"repo": "infra"}, "labels": ["ops"],
              "owner_note": "from the migration sheet"},
             {"id": "t-2", "title": "Fix the login page", "status": "pending", "created_by": "sheet"},
             {"title": "Audit the S3 buckets", "id": None}]
    code, out, _ = run(capsys, folder, "submit", "--task-file", write(tmp_path, given))
    assert code == 0
    tasks = queued(folder)
    assert out.split() == [t["id"] for t in tasks] and len(tasks) == 3 and tasks[1]["id"] == "t-2"
    assert tasks[0]["context"] == {"repo": "infra"} and tasks[0]["labels"] == ["ops"]  # no field dropped
    assert tasks[0]["owner_note"] == "from the migration sheet" and tasks[0]["priority"] == "high"
    assert tasks[1]["created_by"] == "sheet"  # given: kept; missing: filled
    assert all(t["status"] == "pending" and t["created_at"] and t["id"] for t in tasks)
    assert tasks[0]["created_by"] == "orchestrator-cli" and len({t["id"] for t in tasks}) == 3


def test_submit_a_file_takes_the_shapes_plan_takes(capsys: pytest.CaptureFixture[str], folder: Path,
                                                   tmp_path: Path) -> None:
    """A queue (its pending tasks), one task, labelled corpus records: the reader plan --task-file uses."""
    other = queue_doc(task("q1", "Fix the login page"), task("q2", "Old one", status="completed"))
    code, out, _ = run(capsys, folder, "submit", "--task-file", write(tmp_path, other), "--json")
    assert code == 0 and [t["id"] for t in json.loads(out)] == ["q1"]
    code, out, _ = run(capsys, folder, "submit", "--task-file", write(tmp_path, {"task": {"title": "Scan images"},
                                                                                "label": "simple"}))
    assert code == 0 and queued(folder)[-1]["title"] == "Scan images" and "label" not in queued(folder)[-1]


@pytest.mark.parametrize(("items", "says"), [
    ([{"title": "Fix the login page"}, {"title": "  "}], "item 2 has an empty title"),
    ([{"title": "Fix the login page"}, {"description": "no title"}], "item 2 has an empty title"),
    ([{"id": "a", "title": "One"}, {"id": "a", "title": "Two"}], "the id a is given twice"),
    ([{"title": "One"}, "Two"], "item 2 is a str"),
    ([{"title": "One", "context": "not an object"}], "item 1 is not a valid task"),
    ([], "holds no task"),
])
def test_submit_a_file_with_a_wrong_task_refuses_the_whole_file(capsys: pytest.CaptureFixture[str], folder: Path,
                                                                tmp_path: Path, items: Any, says: str) -> None:
    before = (folder / "task-queue.json").read_bytes()
    code, _, err = run(capsys, folder, "submit", "--task-file", write(tmp_path, items))
    assert code == 2 and says in err and "nothing submitted" in err
    assert (folder / "task-queue.json").read_bytes() == before


def test_submit_a_file_with_an_id_already_queued_writes_nothing(capsys: pytest.CaptureFixture[str], folder: Path,
                                                                tmp_path: Path) -> None:
    (folder / "task-queue.json").write_text(json.dumps(queue_doc(task("t-1", "Fix the login page"))))
    before = (folder / "task-queue.json").read_bytes()
    code, out, err = run(capsys, folder, "submit", "--task-file",
                         write(tmp_path, [{"title": "New one"}, {"id": "t-1", "title": "Again"}]))
    assert code == 1 and "already in the queue: t-1" in err and out == ""
    assert (folder / "task-queue.json").read_bytes() == before
    # the near case: another id goes in
    code, _, _ = run(capsys, folder, "submit", "--task-file", write(tmp_path, [{"id": "t-2", "title": "Again"}]))
    assert code == 0 and [t["id"] for t in queued(folder)] == ["t-1", "t-2"]


def test_submit_a_file_or_a_title_not_both(capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path) -> None:
    path = write(tmp_path, [{"title": "One"}])
    code, _, err = run(capsys, folder, "submit", "Two", "--task-file", path)
    assert code == 2 and "TITLE" in err
    code, _, err = run(capsys, folder, "submit", "--task-file", path, "--priority", "high")
    assert code == 2 and "--priority" in err
    assert queued(folder) == []
    code, out, _ = run(capsys, folder, "submit", "Two")  # a title alone: as before, medium
    assert code == 0 and queued(folder)[0]["priority"] == "medium" and out.strip() == queued(folder)[0]["id"]


# --- small ones: stop with no daemon, subtask reports, show of a simple task ----------------------------------------

def test_stop_with_no_daemon_is_done_and_reload_is_refused(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    """As ``systemctl stop`` of a stopped unit: what stop is for holds already (0, said on stdout); a reload has
    nobody to read the configuration again (1)."""
    code, out, err = run(capsys, folder, "stop")
    assert code == 0 and "no daemon is running" in out and "nothing to stop" in out and err == ""
    code, out, _ = run(capsys, folder, "stop", "--json")
    assert code == 0 and json.loads(out)["stopped"] is True and json.loads(out)["pid"] is None
    code, _, err = run(capsys, folder, "reload")
    assert code == 1 and "no daemon is running" in err


def _subtask_file(capsys: pytest.CaptureFixture[str], folder: Path) -> str:
    """The first subtask of the built-in planner's plan, handed off as attempt 2."""
    plan = json.loads(run(capsys, folder, "plan", "--json", "Add authentication system with security audit and docs")[1])
    subtask = plan["plan"]["subtasks"][0] | {"status": "assigned", "attempt": 2}
    (folder / "orchestrator/subtasks").mkdir(parents=True, exist_ok=True)
    (folder / f"orchestrator/subtasks/{subtask['subtask_id']}.json").write_text(json.dumps(subtask))
    return str(subtask["subtask_id"])


def test_subtask_reports_say_what_was_recorded(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    sid = _subtask_file(capsys, folder)
    code, out, _ = run(capsys, folder, "subtask", "start", sid, "--worker-id", "w1", "--pid", "4242")
    assert code == 0 and out == f"{sid}: recorded in_progress (worker w1, PID 4242, attempt 2)\n"
    code, out, _ = run(capsys, folder, "subtask", "heartbeat", sid, "--worker-id", "w1")
    assert code == 0 and out == ""  # the near case: a worker beats every few seconds, its log stays quiet
    code, out, _ = run(capsys, folder, "subtask", "fail", sid, "--worker-id", "w1", "--reason", "disk full\nagain",
                       "--permanent")
    assert code == 0 and out.startswith(f"{sid}: recorded failed (worker w1") and "permanent: not retried" in out
    assert "disk full\\u000aagain" in out and out.count("\n") == 1
    sid = _subtask_file(capsys, folder)
    run(capsys, folder, "subtask", "start", sid, "--worker-id", "w2")
    code, out, _ = run(capsys, folder, "subtask", "complete", sid, "--worker-id", "w2", "--result", "built")
    assert code == 0 and out == f"{sid}: recorded completed (worker w2, attempt 2)\n"
    code, out, _ = run(capsys, folder, "subtask", "complete", sid, "--worker-id", "w2", "--json")
    assert code == 1 and out == ""  # refused: nothing recorded, nothing said on stdout


def test_show_of_a_simple_task_says_where_it_went_and_exits_0(capsys: pytest.CaptureFixture[str],
                                                              folder: Path) -> None:
    (folder / "task-queue.json").write_text(json.dumps(queue_doc(
        task("s-1", "Fix XSS in the login form", status="assigned", assigned_to="security", routed_to="security"))))
    code, out, err = run(capsys, folder, "show", "s-1")
    assert code == 0 and "s-1 is a simple task (with security)" in out and "orchestrator explain s-1" in out
    code, out, _ = run(capsys, folder, "show", "s-1", "--json")
    assert code == 0 and json.loads(out)["assigned_to"] == "security" and json.loads(out)["decision"] == "simple"
    code, out, err = run(capsys, folder, "show", "s-1", "--format", "mermaid")
    assert code == 0 and out == "" and "simple task" in err  # nothing to draw: not a sentence in the diagram
    code, _, err = run(capsys, folder, "show", "nosuch")  # the near case: no such task is still 1
    assert code == 1 and "no orchestration nosuch" in err
