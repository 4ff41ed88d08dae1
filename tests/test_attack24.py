"""attack24: the last session's second half, attacked (perf17's remembered readings, ops23's submit --task-file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_operator_day2 import queued, run

# --- submit --task-file / plan --task-file: a byte order mark ----------------------------------------------------


def _with_bom(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "tasks.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode())  # PowerShell's -Encoding UTF8, Notepad
    return str(path)


def test_a_task_file_with_a_byte_order_mark_is_submitted(capsys: pytest.CaptureFixture[str], folder: Path,
                                                         tmp_path: Path) -> None:
    """The daemon reads a queue that starts with a byte order mark (README: no part of the JSON); a task file saved
    the same way was refused by submit --task-file and plan --task-file ('Unexpected UTF-8 BOM')."""
    code, out, err = run(capsys, folder, "submit", "--task-file", _with_bom(tmp_path, [{"title": "Fix the login page"}]))
    assert code == 0, err
    assert [t["title"] for t in queued(folder)] == ["Fix the login page"] and out.split() == [queued(folder)[0]["id"]]
    code, out, err = run(capsys, folder, "plan", "--dry-run", "--json", "--task-file",
                         _with_bom(tmp_path, {"id": "t-1", "status": "pending", "title": "Fix the login page"}))
    assert code == 0, err
    assert json.loads(out)["decision"] == "simple"


def test_a_task_file_that_is_no_json_is_still_refused_whole(capsys: pytest.CaptureFixture[str], folder: Path,
                                                           tmp_path: Path) -> None:
    """The near case: a mark before text that is no JSON (JSON lines) is refused, nothing written."""
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"title": "One"}\n{"title": "Two"}\n')
    code, _, err = run(capsys, folder, "submit", "--task-file", str(path))
    assert code == 2 and "nothing submitted" in err and queued(folder) == []

