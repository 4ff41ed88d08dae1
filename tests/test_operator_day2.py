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
