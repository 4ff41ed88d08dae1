"""What ``make run`` does before the daemon starts (ops25's new users): a working ``.venv`` made by hand
(``pip install -e``) has no stamp, and was made again (50 s); of a folder not made yet, "no .../task-queue.json yet:
the daemon waits" came before "created the coordination folder". Real ``make`` on a copy of the Makefile, with a
stand-in virtual environment whose ``orchestrator`` only says what it was asked."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.process,
              pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")]

ROOT = Path(__file__).parent.parent


def _checkout(tmp_path: Path, imports: bool = True) -> Path:
    """The Makefile and pyproject.toml, and a .venv as ``pip install -e`` leaves it (no stamp): its python imports
    this checkout's package (or fails to, ``imports`` False), its orchestrator echoes like ``run --init``."""
    root = tmp_path / "checkout"
    (root / "src").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", root)
    shutil.copy(ROOT / "pyproject.toml", root)
    before = time.time() - 60  # edited before the install (file times are coarse: made now, they may be equal)
    os.utime(root / "pyproject.toml", (before, before))
    bin_ = root / ".venv/bin"
    bin_.mkdir(parents=True)
    (root / ".venv/lib/python3.11/site-packages/orchestrator-0.1.0.dist-info").mkdir(parents=True)
    _script(bin_ / "python", "exit 0" if imports else "exit 1")
    _script(bin_ / "orchestrator", 'case " $* " in *" --init "*) echo "created the coordination folder $3" >&2;; esac')
    for tool in ("ruff", "mypy", "pip"):
        _script(bin_ / tool, "exit 0")
    return root


def _script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _make(root: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    # PYTHON=false: making the environment again fails loudly instead of taking a minute
    return subprocess.run(["make", "--no-print-directory", "-C", str(root), "PYTHON=false", *targets],
                          capture_output=True, text=True, timeout=60, env=os.environ | {"MAKEFLAGS": ""})


def test_a_working_venv_without_its_stamp_is_kept(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    done = _make(root, ".venv/.installed")
    assert done.returncode == 0 and "is installed already (no .venv/.installed): kept" in done.stdout
    assert (root / ".venv/.installed").exists()


def test_a_venv_that_does_not_work_or_is_older_than_pyproject_is_made_again(tmp_path: Path) -> None:
    broken = _checkout(tmp_path / "a", imports=False)
    assert _make(broken, ".venv/.installed").returncode != 0  # it tried: false -m venv .venv
    assert not (broken / ".venv/.installed").exists()
    old = _checkout(tmp_path / "b")
    later = time.time() + 5
    os.utime(old / "pyproject.toml", (later, later))  # the dependencies changed since it was installed
    assert _make(old, ".venv/.installed").returncode != 0


def test_make_run_on_a_new_folder_says_it_made_it_and_nothing_before(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    (root / ".venv/.installed").touch()
    new = _make(root, "run", "DIR=fresh")
    assert new.returncode == 0, new.stderr
    assert "created the coordination folder fresh" in new.stderr and "yet: the daemon waits" not in new.stdout
    (root / "there").mkdir()  # the near case: a folder with no queue says the daemon waits for it
    there = _make(root, "run", "DIR=there")
    assert "no there/task-queue.json yet: the daemon waits for it" in there.stdout
    assert "created the coordination folder" not in there.stderr
