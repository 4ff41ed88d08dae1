"""The web view in-process: what the page says (digest), the events file paged and followed
(eventlog), and the app through Starlette's test client: panels, paging at size, the token,
and that nothing in the folder is written. The browser tests are in test_web_browser.py."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
from filelock import FileLock

from orchestrator import daemon_control, eta, logs, status
from orchestrator.models import Plan
from orchestrator.registry import health
from orchestrator.store import SPARE_PREFIX, FolderStore, Layout
from orchestrator.web import digest, eventlog, pages
from orchestrator.web.app import create_app, is_loopback
from orchestrator.web.folder import FolderView

import web_scenes

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> web_scenes.Scene:
    logs.configure("warning")
    return web_scenes.auth_midway(tmp_path_factory.mktemp("web") / "coordination")


def client(store: FolderStore, **options: Any) -> TestClient:
    return TestClient(create_app(store, **options), base_url="http://127.0.0.1:8080")


def files(root: Path) -> dict[str, str]:
    """The folder's files and their bytes; not the empty spare temp files the scene's store makes between its passes
    on a thread of its own (a loaded machine made them while the page was read: the web view wrote nothing)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(SPARE_PREFIX)}


# --- what the page says ------------------------------------------------------------------------------


def test_the_queue_at_a_glance_groups_statuses() -> None:
    tasks = [{"status": s} for s in ("pending", "pending", "assigned", "in_progress", "orchestrating", "blocked",
                                     "completed", "cancelled", "weird")]
    assert digest.queue_counts(tasks) == {"pending": 2, "assigned": 2, "orchestrating": 1, "blocked": 1, "done": 2,
                                          "weird": 1}
    shown, total = digest.queue_page([{"id": str(i), "status": "pending"} for i in range(45)], "pending", 1, 20)
    assert total == 45 and [t["id"] for t in shown] == [str(i) for i in range(24, 4, -1)]  # newest first


def test_what_is_stuck_names_the_escalation_with_its_commands(scene: web_scenes.Scene) -> None:
    picture = FolderView(scene.store, daemon_running=lambda: True).picture()
    items = digest.attention(picture, NOW)
    escalation = next(i for i in items if i.kind == "escalation")
    blocker = "orch-task-billing-s01-design"
    assert escalation.orchestration_id == "orch-task-billing"
    assert "not reachable from the workers' network" in escalation.reason
    assert escalation.commands == [f"orchestrator resume orch-task-billing --retry {blocker}",
                                   f"orchestrator resume orch-task-billing --skip {blocker}",
                                   "orchestrator resume orch-task-billing --abort"]
    assert any("attempt 1" in d and "dev-worker-3" in d for d in escalation.details)
    assert "waits for a person" in escalation.subject
    assert "was not retried" in escalation.reason  # a permanent failure: why one attempt was enough to stop
    assert not any("reported" in d for d in escalation.details)  # the outcome in words ("failed"), not a field value
    assert [digest.command_meaning(c) for c in escalation.commands] == [
        "try it again", "count it as done and go on", "give up the whole task"]
    assert not [i for i in items if i.kind == "daemon"]
    assert not [i for i in items if i.kind == "blocked"]  # the blocked task is the escalation, said once


def test_what_is_stuck_says_when_no_daemon_runs(scene: web_scenes.Scene) -> None:
    picture = FolderView(scene.store, daemon_running=lambda: False).picture()
    first = digest.attention(picture, NOW)[0]
    assert first.kind == "daemon" and first.commands == ["orchestrator run"]
    assert first.reason == "nothing moves: 1 pending task and 2 live orchestrations wait for it"


def test_what_is_stuck_names_silent_workers_unacted_reports_retries_and_unreadable_files(tmp_path: Path) -> None:
    scene = web_scenes.auth_midway(tmp_path / "coordination")
    view = FolderView(scene.store, daemon_running=lambda: True, heartbeat_timeout_seconds=60)  # one, as the app keeps
    picture = view.picture()
    late = datetime.now(UTC) + timedelta(minutes=10)
    silent = [i for i in digest.attention(picture, late) if i.kind == "worker"]
    assert {i.subject.split()[0] for i in silent} == {"orch-task-auth-s02-backend", "orch-task-auth-s03-frontend"}
    assert all("last heartbeat 10 min ago (timeout 60 s)" in i.reason for i in silent)
    assert not [i for i in digest.attention(picture, datetime.now(UTC)) if i.kind == "worker"]

    scene.report("orch-task-auth-s02-backend", "complete", result="done")  # the daemon has not taken a pass
    scene.report("orch-task-auth-s03-frontend", "fail", reason="npm registry timed out")
    reported = [i for i in digest.attention(view.picture(), datetime.now(UTC)) if i.kind == "worker"]
    assert [i.reason for i in reported] == ["its worker reported completed; the daemon has not acted on it yet",
                                            "its worker reported failed; the daemon has not acted on it yet"]
    scene.step()
    retry = [i for i in digest.attention(view.picture(), datetime.now(UTC)) if i.kind == "retry"]
    assert len(retry) == 1 and "orch-task-auth-s03-frontend" in retry[0].subject
    assert "npm registry timed out" in retry[0].reason and "next attempt at" in retry[0].reason
    # ops23: what to do if it should not wait, and the plan's pill says it waits (it said "healthy")
    assert retry[0].commands == [f"orchestrator resume orch-task-auth {flag} orch-task-auth-s03-frontend"
                                 for flag in ("--retry", "--skip")]
    auth = view.picture().plan("orch-task-auth")
    assert auth is not None and digest.row(auth, datetime.now(UTC)).health == "waiting"

    (scene.layout.tasks / "orch-broken.json").write_text("{ not json")
    odd = json.loads(scene.layout.plan("orch-task-auth").read_text())
    odd["execution_plan"]["stage_9"] = ["orch-ghost"]
    (scene.layout.tasks / "orch-odd.json").write_text(json.dumps(odd))
    scene.layout.queue.write_text('{"tasks": [')
    unreadable = [i for i in digest.attention(view.picture(), datetime.now(UTC)) if i.kind == "unreadable"]
    assert [i.subject for i in unreadable] == ["the queue cannot be read", "plan orch-broken.json cannot be read",
                                               "plan orch-odd.json cannot be read"]
    assert "invalid JSON" in unreadable[0].reason and "orch-ghost" in unreadable[2].reason
    assert "orch-odd.json" in client(scene.store).get("/").text  # the page still shows, and says so


def test_the_daemon_is_seen_running_without_taking_its_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = tmp_path / "daemon.lock"
    assert not daemon_control.is_held_passive(lock)
    held = FileLock(str(lock), timeout=0)
    held.acquire()

    def taking(*args: Any) -> None:
        raise AssertionError("the view took the daemon's lock")

    monkeypatch.setattr(daemon_control.fcntl, "flock", taking)
    try:
        assert daemon_control.is_held_passive(lock)
    finally:
        monkeypatch.undo()
        held.release()
    assert not daemon_control.is_held_passive(lock)


def test_eta_is_the_estimated_rest_stage_after_stage_as_status_says_it(scene: web_scenes.Scene) -> None:
    plan = Plan.model_validate(json.loads(scene.layout.plan("orch-task-auth").read_text()))
    by_id = {s.subtask_id: s for s in plan.subtasks}
    backend, frontend = by_id["orch-task-auth-s02-backend"], by_id["orch-task-auth-s03-frontend"]
    started = datetime.fromisoformat(backend.started_at or "")
    rest = sum(s.estimated_duration_minutes for s in plan.subtasks if s.stage >= 3)
    longest = max(backend.estimated_duration_minutes, frontend.estimated_duration_minutes)
    assert digest.eta_minutes(plan, started) == rest + longest
    for later in (timedelta(minutes=5), timedelta(hours=3), timedelta(days=1)):  # one ETA, the page's and status's
        assert digest.eta_minutes(plan, started + later) == eta.estimate(plan, started + later).remaining_minutes
    stuck = plan.model_copy(update={"execution_plan": {"1": [backend.subtask_id]}})
    assert digest.eta_minutes(stuck, started + timedelta(days=1)) == 0
    assert pages._eta(0, "in_progress") == "overdue" and eta.render(eta.estimate(stuck, started + timedelta(days=1)),
                                                                    started) == "ETA overdue"
    assert digest.eta_minutes(plan.model_copy(update={"status": "blocked"}), started) is None


# --- the events file --------------------------------------------------------------------------------


def write_events(path: Path, count: int, every: int = 1) -> None:
    with open(path, "w") as out:
        for n in range(count):
            orchestration = f"orch-{n % 7}" if n % every == 0 else None
            out.write(json.dumps({"timestamp": "2026-11-26T10:00:00.000Z", "type": f"t{n % 3}", "n": n,
                                  "orchestration_id": orchestration}) + "\n")


def test_pages_walk_the_whole_file_back_once(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_events(path, 5000)
    seen: list[int] = []
    before: int | None = None
    pages_read = 0
    while True:
        found = eventlog.page(path, eventlog.Filter(), 300, before)
        assert len(found.events) <= 300
        seen[:0] = [e["n"] for e in found.events]
        pages_read += 1
        if found.older is None:
            break
        before = found.older
    assert seen == list(range(5000)) and pages_read == 17


def test_a_filtered_page_holds_only_matches_and_continues_where_it_stopped(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_events(path, 3000)
    wanted = eventlog.Filter(["t1"], "orch-2")
    first = eventlog.page(path, wanted, 50)
    second = eventlog.page(path, wanted, 50, first.older)
    expected = [n for n in range(3000) if n % 3 == 1 and n % 7 == 2]
    assert [e["n"] for e in second.events + first.events] == expected[-100:]


def test_a_page_of_100000_lines_reads_a_page_not_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "events.jsonl"
    write_events(path, 100_000)
    read: list[int] = []
    real = eventlog.events.parse_at

    def counting(text: str) -> Any:
        read.append(len(text))
        return real(text)

    monkeypatch.setattr(eventlog.events, "parse_at", counting)
    found = eventlog.page(path, eventlog.Filter(), 100)
    assert [e["n"] for e in found.events] == list(range(99_900, 100_000))
    assert sum(read) <= eventlog.CHUNK and found.end == path.stat().st_size
    read.clear()
    rare = eventlog.page(path, eventlog.Filter(orchestration="orch-none"), 100)  # matches nothing
    assert rare.events == [] and rare.older is not None and sum(read) <= eventlog.MAX_SCAN + eventlog.CHUNK


def test_the_tail_follows_appends_torn_lines_truncation_and_replacement(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "a"}\n')
    tail = eventlog.Tail(path, eventlog.size(path))
    assert tail.read() == ([], False)
    with open(path, "a") as out:
        out.write('{"type": "b"}\n{"type": "c", "torn')
    assert tail.read() == ([{"type": "b"}], False)
    with open(path, "a") as out:
        out.write('": 1}\n')
    assert tail.read() == ([{"type": "c", "torn": 1}], False)
    path.write_text('{"type": "d"}\n')  # truncated and rewritten in place
    assert tail.read() == ([{"type": "d"}], True)
    replacement = tmp_path / "new.jsonl"
    replacement.write_text('{"type": "e"}\n{"type": "f"}\n{"type": "g"}\n')
    os.replace(replacement, path)  # rotated: a new, longer file under the same name
    assert tail.read() == ([{"type": "e"}, {"type": "f"}, {"type": "g"}], True)
    path.unlink()
    assert tail.read() == ([], False)


# --- the app ---------------------------------------------------------------------------------------


def test_the_page_shows_every_panel_and_changes_nothing(scene: web_scenes.Scene) -> None:
    before = files(scene.layout.root)
    web = client(scene.store)
    body = web.get("/?orch=orch-task-auth").text
    for panel in ("attention", "queue", "orchestrations", "detail", "events"):
        assert f"<section id={panel} " in body
    assert body.count('class="node st-') == 6 and 'data-subtask="orch-task-auth-s02-backend"' in body
    assert "orchestrator resume orch-task-billing --retry orch-task-billing-s01-design" in body
    assert "<span class=meaning>count it as done and go on:</span><code>orchestrator resume orch-task-billing --skip" in body
    for name in ("attention", "queue", "orchestrations", "detail", "events"):
        assert web.get(f"/part/{name}").text.startswith(f"<section id={name} ")
    assert web.get("/part/nothing").status_code == 404
    assert web.get("/static/app.js").status_code == 200 and web.get("/static/style.css").status_code == 200
    assert web.get("/api/events?limit=5").json()["rows"][0].startswith('<li class="ev')
    assert files(scene.layout.root) == before


def test_a_folder_without_a_queue_says_so_and_is_not_called_stuck(tmp_path: Path) -> None:
    (tmp_path / "coordination").mkdir()
    web = client(FolderStore(Layout(tmp_path / "coordination")))
    assert "no queue yet: task-queue.json does not exist" in web.get("/part/queue").text
    assert "Nothing is stuck." in web.get("/part/attention").text


def test_values_are_escaped(tmp_path: Path) -> None:
    scene = web_scenes.Scene(tmp_path / "coordination")
    scene.submit("task-x", "<script>alert(1)</script> & more")
    body = client(scene.store).get("/").text
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body


def big_folder(root: Path, scene: web_scenes.Scene, plans: int, lines: int) -> FolderStore:
    """``plans`` copies of the auth plan, ``lines`` event lines, a queue of as many tasks."""
    layout = Layout(root)
    template = json.loads(scene.layout.plan("orch-task-auth").read_text())
    layout.tasks.mkdir(parents=True)
    tasks = []
    for n in range(plans):
        plan = dict(template, orchestration_id=f"orch-task-{n:04d}", parent_task_id=f"task-{n:04d}",
                    created_at=f"2026-11-26T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
                    status="completed" if n % 4 else "in_progress")
        (layout.tasks / f"orch-task-{n:04d}.json").write_text(json.dumps(plan))
        tasks.append({"id": f"task-{n:04d}", "title": f"task {n}", "status": "orchestrating"})
    layout.queue.write_text(json.dumps({"tasks": tasks}))
    write_events(layout.events, lines, every=5)
    return FolderStore(layout)


def test_a_thousand_orchestrations_and_100000_lines_are_sent_a_page_at_a_time(
        tmp_path: Path, scene: web_scenes.Scene) -> None:
    store = big_folder(tmp_path / "big", scene, 1000, 100_000)
    web = client(store)
    whole = web.get("/")
    assert whole.status_code == 200
    assert len(whole.content) < 400_000  # 1,000 plans and 100,000 lines are tens of MB
    orchestrations = web.get("/part/orchestrations").text
    assert orchestrations.count("<tr data-orch=") == pages.ORCH_PAGE
    assert "250 live, 1000 in all" in orchestrations and "page 1 of 40" in orchestrations
    assert 'data-orch="orch-task-0996"' in orchestrations  # live ones first, the newest first
    assert orchestrations.count("pill s-in_progress") == pages.ORCH_PAGE
    last = web.get("/part/orchestrations?opage=39").text
    assert last.count("<tr data-orch=") == 25 and "page 40 of 40" in last
    queue = web.get("/part/queue").text
    assert queue.count("<tr data-task=") == pages.QUEUE_PAGE and "<b>1000</b><span>orchestrating" in queue
    events = web.get("/api/events").json()
    assert len(events["rows"]) == pages.EVENT_PAGE and events["older"] is not None
    older = web.get(f"/api/events?before={events['older']}&limit=500").json()
    assert len(older.get("rows")) == 500 and older["older"] < events["older"]
    filtered = web.get("/api/events?eorch=orch-3&type=t1,t2&limit=20").json()["rows"]
    assert len(filtered) == 20 and all('data-orch="orch-3"' in r and 'data-type="t0"' not in r for r in filtered)


def test_the_stream_sends_new_lines_and_changes(scene: web_scenes.Scene) -> None:
    """One read of the stream (the browser tests follow it for longer)."""
    size = eventlog.size(scene.layout.events)
    scene.submit("task-streamed", "Roll back the staging deploy of web-frontend")
    scene.step()
    web = client(scene.store, poll_seconds=0.01)
    with web.stream("GET", f"/stream?after={size}") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == "retry: 1000"
        found = [next(lines) for _ in range(4)]
    assert found[1] == "event: events" and "task-streamed" in found[2]
    assert json.loads(found[2].removeprefix("data: "))["end"] == eventlog.size(scene.layout.events)


# --- who may look ----------------------------------------------------------------------------------


def test_off_loopback_every_request_needs_the_token(scene: web_scenes.Scene) -> None:
    web = TestClient(create_app(scene.store, token="s3cret", loopback_only=False), base_url="http://10.1.2.3:8080")
    for path in ("/", "/part/queue", "/api/events", "/stream", "/static/app.js"):
        assert web.get(path).status_code == 401, path
    assert web.get("/?token=wrong").status_code == 401
    assert web.get("/part/queue", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    first = web.get("/?token=s3cret")
    assert first.status_code == 200 and "orchestrator_token=s3cret" in first.headers["set-cookie"]
    assert "HttpOnly" in first.headers["set-cookie"]
    assert web.get("/part/attention").status_code == 200  # the cookie from here on


def test_on_loopback_only_loopback_names_are_answered(scene: web_scenes.Scene) -> None:
    app = create_app(scene.store)
    assert TestClient(app, base_url="http://localhost:8080").get("/").status_code == 200
    assert TestClient(app, base_url="http://attacker.example:8080").get("/").status_code == 403


def test_which_hosts_are_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.com")


def test_a_plan_that_is_over_shows_no_health(scene: web_scenes.Scene) -> None:
    """newuser13: an aborted plan was listed "aborted healthy". Health is how a live plan's work goes; an ended one
    has none (registry.health, which the state file, status and the web view all use)."""
    plan = Plan.model_validate(scene.store.read_json(scene.layout.plan("orch-task-auth")))
    assert health(plan) in ("healthy", "warning", "waiting", "blocked")  # the near case: a live plan has one
    for ended in ("completed", "failed", "aborted"):
        over = plan.model_copy(update={"status": ended})
        assert health(over) == ""
        assert "pill h-" not in pages._health_pill(health(over))


def _lock_event(type_: str, event_id: str, subtask_id: str, path: Path) -> bytes:
    return json.dumps({"timestamp": "2026-01-01T00:00:00.000Z", "type": type_, "source": "orchestrator",
                       "event_id": event_id, "orchestration_id": "orch-task-auth", "subtask_id": subtask_id,
                       "path": str(path)}).encode() + b"\n"


def test_a_held_lock_wait_is_what_is_stuck_in_status_words_until_its_write_lands(tmp_path: Path) -> None:
    """ops23 left it: status said a subtask file's held lock (write_failed the events file leaves open) and the plan
    "waiting"; the web view said "healthy" and nothing stuck. Now the same words (status.waits) and pill. The near
    case: the wait closed by its write_recovered is nothing, the pill back to healthy."""
    scene = web_scenes.auth_midway(tmp_path / "coordination")
    view = FolderView(scene.store, daemon_running=lambda: True)
    auth = view.picture().plan("orch-task-auth")
    assert auth is not None and digest.row(auth, datetime.now(UTC), view.picture().lock_waits).health == "healthy"
    backend = "orch-task-auth-s02-backend"
    path = scene.layout.subtask(backend)
    with scene.layout.events.open("ab") as events:
        events.write(_lock_event("write_failed", f"orch-task-auth:lock_wait:{backend}:1", backend, path))
    picture = view.picture()
    [held] = [i for i in digest.attention(picture, datetime.now(UTC)) if i.kind == "lock"]
    [said] = [w for w in status.waits(auth, picture.lock_waits) if w["for"] == "lock"]
    assert held.subject.startswith(backend) and held.orchestration_id == "orch-task-auth"
    assert said["why"] in held.reason and said["do"] in held.reason and f"fuser -v {path}.lock" in held.reason
    assert digest.row(auth, datetime.now(UTC), picture.lock_waits).health == "waiting"
    page = client(scene.store).get("/").text
    assert "k-lock" in page and f"{path}.lock" in page
    with scene.layout.events.open("ab") as events:
        events.write(_lock_event("write_recovered", f"orch-task-auth:lock_free:{backend}:1", backend, path))
    picture = view.picture()
    assert not [i for i in digest.attention(picture, datetime.now(UTC)) if i.kind == "lock"]
    assert digest.row(auth, datetime.now(UTC), picture.lock_waits).health == "healthy"
