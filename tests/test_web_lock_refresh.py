"""The web view's shared reading (``web.app.Watch``) is read again when a lock wait begins or ends: its
``write_failed``/``write_recovered`` changes only the events file, so the events file is in the folder's
fingerprint (ops24). The test beside it in test_web.py builds each picture afresh and could not see a stale one."""

from __future__ import annotations

from pathlib import Path

from orchestrator.web.app import Watch
from orchestrator.web.folder import FolderView
from test_web import _lock_event

import web_scenes


def test_the_shared_picture_follows_a_lock_wait_as_it_begins_and_ends(tmp_path: Path) -> None:
    scene = web_scenes.auth_midway(tmp_path / "coordination")
    watch = Watch(FolderView(scene.store, daemon_running=lambda: True), interval=0)
    assert watch.picture().lock_waits == {}
    backend = "orch-task-auth-s02-backend"
    path = scene.layout.subtask(backend)
    with scene.layout.events.open("ab") as events:
        events.write(_lock_event("write_failed", f"orch-task-auth:lock_wait:{backend}:1", backend, path))
    assert list(watch.picture().lock_waits) == [backend]
    with scene.layout.events.open("ab") as events:
        events.write(_lock_event("write_recovered", f"orch-task-auth:lock_free:{backend}:1", backend, path))
    assert watch.picture().lock_waits == {}
