"""Adversarial cases, fifth round: what an operator and a long-running deployment do (a person's
retry, months of tasks coming and going, the wall clock stepping, hand edits of the queue and the
overrides, commands on a broken folder, hostile text in the web view). Each case that found a defect
says so; the fix is at its cause."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator import events, queue_edits
from orchestrator.cli import main as cli_main
from orchestrator.clock import iso
from orchestrator.store import Crash
from orchestrator.timestamps import parse_timestamp
from orchestrator.web import eventlog
from test_core import ORCH, fresh, sid, started, whole_run

from sim import SUBTASKS, Sim, task


def fail_until_escalated(sim: Sim, subtask_id: str, attempts: int) -> None:
    """Each of ``attempts`` attempts of the subtask fails (transiently), and the backoff passes."""
    for _ in range(attempts):
        n = sim.subtask(subtask_id)["attempt"]
        assert sim.report(subtask_id, "fail", reason=f"boom {n}", worker_id=f"w-{n}") is None
        sim.tick(100)  # the failure is seen
        sim.tick(100)  # the retry's backoff is over


def waited(event: dict[str, Any]) -> float:
    """How long a scheduled retry waits (its ``retry_at`` after the event's time)."""
    return (parse_timestamp(event["retry_at"]) - parse_timestamp(event["timestamp"])).total_seconds()


def person_retries(sim: Sim, subtask_id: str, name: str = "1-retry") -> None:
    sim.store.put(sim.layout.requests / f"{name}.json", {"orchestration_id": ORCH, "action": "retry",
                                                        "subtask_id": subtask_id})
    sim.run("requests")


def test_a_persons_retry_gives_the_subtask_a_fresh_set_of_attempts() -> None:
    """Defect: escalation counted every attempt the subtask ever had (``attempt >= max_attempts``), so
    after a person's ``resume --retry`` the very next transient failure (attempt 4 of 3) escalated at
    once: the person's decision bought one attempt, with no retry, where it should buy a fresh set."""
    sim = started()
    fail_until_escalated(sim, sid("design"), 3)
    assert sim.plan(ORCH)["status"] == "blocked"
    person_retries(sim, sid("design"))
    assert sim.subtask(sid("design"))["attempt"] == 4
    assert sim.events("orchestration_resumed")[0]["attempts_allowed"] == 3  # said where the person looks
    fail_until_escalated(sim, sid("design"), 2)  # attempts 4 and 5 fail: each is retried
    assert sim.plan(ORCH)["status"] == "in_progress"
    assert len(sim.events("orchestration_blocked")) == 1
    retried = sim.events("subtask_retry_scheduled", subtask_id=sid("design"))
    assert len(retried) == 4  # after attempts 1, 2, 4 and 5
    # the backoff starts again from its base too: attempt 4's retry waits as attempt 1's did
    assert [waited(e) for e in retried] == [10, 20, 10, 20]
    assert "(3 of 3 since a person's retry)" in sim.subtask(sid("design"))["retry_modifications"]
    fail_until_escalated(sim, sid("design"), 1)  # attempt 6: the third of the fresh set
    assert sim.plan(ORCH)["status"] == "blocked"
    assert len(sim.events("orchestration_blocked")) == 2
    assert "failed 3 times since" in sim.plan(ORCH)["failure_reason"]


def test_a_retry_waits_its_backoff_in_real_time_when_the_wall_clock_steps_forward() -> None:
    """Defect: a retry's backoff was measured on the wall clock (its ``retry_at``, rebased across the
    forward steps the monitor saw, which only moves times written *before* a step): NTP setting the
    clock an hour forward one second after a failure handed the retry off at once, nine seconds early,
    to a master whose worker had just failed. Inside one run the backoff is measured on the monotonic
    clock; ``retry_at`` (what a restart has) decides only for a retry scheduled before it."""
    sim = started()
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(0)
    assert sim.subtask(sid("design"))["status"] == "retry_wait"  # a 10 s backoff
    sim.tick(1)
    sim.clock.jump(3600)
    sim.tick(0)
    sim.tick(1)
    assert sim.subtask(sid("design"))["attempt"] == 1  # 2 s of the 10 have passed
    sim.tick(8.5)
    assert sim.subtask(sid("design"))["attempt"] == 2


def test_a_retry_scheduled_before_a_restart_is_due_by_its_retry_at() -> None:
    sim = started()
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(0)
    sim.clock.advance(5)
    sim = sim.restart()
    assert sim.subtask(sid("design"))["attempt"] == 1
    sim.tick(5.5)
    assert sim.subtask(sid("design"))["attempt"] == 2


def test_a_persons_retry_of_a_subtask_waiting_for_its_backoff_is_handed_off_at_once() -> None:
    sim = started(config={"retry": {"backoff_base_seconds": 600, "backoff_max_seconds": 600, "jitter": 0.0}})
    sim.report(sid("design"), "fail", reason="flaky", worker_id="w1")
    sim.tick(0)
    assert sim.subtask(sid("design"))["status"] == "retry_wait"
    person_retries(sim, sid("design"))
    assert sim.subtask(sid("design"))["attempt"] == 2
    assert sim.subtask(sid("design"))["status"] == "assigned"


# --- months of tasks coming and going: what the daemon remembers is bounded by the files -------------


def cancel(sim: Sim, task_id: str) -> None:
    now = iso(sim.clock)
    queue_edits.edit_task(sim.store, task_id, lambda e: queue_edits.cancel(
        e, by="alice", now=now, reason=None, has_plan=False))


def archive_queue(sim: Sim) -> None:
    """A person (or a cron job) moves every task out of the queue into an archive."""
    sim.store.put(sim.layout.queue, {"tasks": []})


def test_simple_tasks_removed_from_the_queue_are_forgotten() -> None:
    """Defect: the engine's cancels already acted on and the outbox's announced event ids of every
    simple task ever routed were kept for the daemon's lifetime: a daemon that routes and archives
    10,000 tasks a month held every one of their ids. What it remembers of a task now lasts as long
    as the task is in the queue (the monitor tick reconciles), as a restart would have it."""
    sim = Sim()
    sim.start()
    ids = [f"t{n}" for n in range(40)]
    sim.submit(*(task(i, f"Fix bug in app/m{i}.py line 3") for i in ids))
    sim.run("queue")
    assert all(sim.queue_task(i)["status"] == "assigned" for i in ids)
    for i in ids[:20]:
        cancel(sim, i)
    sim.run("queue")
    assert len(sim.events("task_cancelled")) == 20
    sim.tick(1)
    core = sim.core
    assert core.engine._cancels_seen and set(ids) <= set(core.outbox._announced)  # while they are there
    archive_queue(sim)
    sim.tick(1)
    assert not core.engine._cancels_seen
    assert not set(ids) & set(core.outbox._announced)
    sim.tick(1)
    assert len(sim.events("task_vanished")) == 40  # said once each, not again


def test_plans_archived_from_the_folder_are_forgotten() -> None:
    """Defect: the registry held every plan it ever loaded or began (the plan, and a copy of it as last
    written), and the supervisor and the state file every orchestration id, for the daemon's lifetime:
    plan files moved to an archive stayed in memory and in ``state/current.json``'s totals until a
    restart. An ended plan whose file is gone is forgotten at the next monitor tick, as a restart
    would; a live one is the daemon's work in progress and is kept (and written again)."""
    sim = Sim()
    sim.start()
    ids = [f"a{n}" for n in range(6)]
    sim.submit(*(task(i, f"Widget {i}", subtasks=SUBTASKS) for i in ids))
    sim.run("queue")
    for i in ids[:5]:
        sim.store.put(sim.layout.requests / f"1-{i}.json", {"orchestration_id": f"orch-{i}", "action": "abort"})
    sim.run("requests")
    sim.tick(1)
    assert len(sim.events("orchestration_aborted")) == 5
    for i in ids:  # archived, the live one too (by mistake)
        sim.store.remove(sim.layout.plan(f"orch-{i}"))
    archive_queue(sim)
    sim.tick(1)
    core = sim.core
    assert set(core.registry.plans) == {"orch-a5"}
    assert set(core.registry._owner.values()) == {"orch-a5"} and set(core.registry._written) == {"orch-a5"}
    assert core.supervisor._settled <= {"orch-a5"}
    assert not {f"orch-{i}" for i in ids[:5]} & set(core.outbox._announced)
    state = sim.store.get(sim.layout.state)
    assert state["total_orchestrations"] == 1
    sim.tick(1)
    assert sim.store.exists(sim.layout.plan("orch-a5"))  # a live plan's file is written again


def test_a_problem_said_of_a_subtask_is_forgotten_with_its_plan() -> None:
    """Defect: ``subtask_invalid`` problems were remembered (to be said once) by subtask id for the
    daemon's lifetime, also after the subtask's plan ended: one entry per broken file ever seen."""
    sim = started()
    sim.store.put(sim.layout.subtask(sid("design")), b"{not json")
    sim.tick(1)
    assert len(sim.events("subtask_invalid", subtask_id=sid("design"))) == 1
    assert sid("design") in sim.core.supervisor._invalid
    sim.store.put(sim.layout.requests / "1-abort.json", {"orchestration_id": ORCH, "action": "abort"})
    sim.run("requests")
    sim.tick(1)
    assert sim.plan(ORCH)["status"] == "aborted"
    assert not sim.core.supervisor._invalid


def test_a_plan_folder_that_cannot_be_listed_forgets_no_plan() -> None:
    sim = started()
    sim.store.put(sim.layout.requests / "1-abort.json", {"orchestration_id": ORCH, "action": "abort"})
    sim.run("requests")
    sim.store.scan = lambda folder: []  # type: ignore[method-assign]  # as an unreadable folder lists
    sim.store.listable = lambda folder: False  # type: ignore[method-assign]
    sim.tick(1)
    assert ORCH in sim.core.registry.plans


# --- the operator's commands on a folder of months ---------------------------------------------------


def events_file(folder: Path, count: int, tail: bytes = b"") -> Path:
    """An events file of ``count`` lines (a task_assigned every 1,000th, else a heartbeat-like line)."""
    path = folder / "dashboard-events.jsonl"
    lines = (json.dumps({"timestamp": f"2026-11-26T10:00:{n % 60:02d}Z", "source": "orchestrator", "n": n,
                         "type": "task_assigned" if n % 1000 == 0 else "stage_started", "task_id": f"t{n}"})
             for n in range(count))
    path.write_bytes("\n".join(lines).encode() + b"\n" + tail)
    return path


def test_events_last_reads_the_end_of_a_big_file_not_all_of_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Defect: ``orchestrator events --last 3`` read and parsed the whole events file: on a folder a
    daemon ran for months (300 MB) it took 26 s and 1.8 GB of memory to print three lines. It now reads
    backwards from the end, as the web view's pages do, as far as it takes to find N matching lines."""
    folder = tmp_path / "c"
    folder.mkdir()
    path = events_file(folder, 50_000)
    decoded: list[int] = []
    real = events.decode

    def counting(raw: bytes) -> str:
        decoded.append(len(raw))
        return real(raw)

    monkeypatch.setattr(events, "decode", counting)
    assert cli_main(["events", "--coordination-dir", str(folder), "--last", "3", "--json"]) == 0
    assert [json.loads(line)["n"] for line in capsys.readouterr().out.splitlines()] == [49_997, 49_998, 49_999]
    assert sum(decoded) < path.stat().st_size // 10
    # a filter that matches only far back reads as far as it must, and finds them in order
    assert cli_main(["events", "--coordination-dir", str(folder), "--last", "2", "--json", "--type", "task_assigned",
                     "--task", "t0"]) == 0
    assert [json.loads(line)["n"] for line in capsys.readouterr().out.splitlines()] == [0]
    # a type neither known nor in the file is still refused; one another writer put in the file is not
    assert cli_main(["events", "--coordination-dir", str(folder), "--last", "2", "--type", "no_such_type"]) == 2
    with path.open("ab") as handle:
        handle.write(b'{"timestamp":"2026-11-26T11:00:00Z","type":"their_own","source":"x"}\n')
    assert cli_main(["events", "--coordination-dir", str(folder), "--last", "1", "--type", "their_own"]) == 0
    assert "their_own" in capsys.readouterr().out


def test_a_page_of_events_follows_from_a_torn_last_line(tmp_path: Path) -> None:
    """A writer appending its line when the page was read: following starts at that line, so it is
    read once whole (starting at the file's end skipped it)."""
    path = events_file(tmp_path, 10, tail=b'{"timestamp":"2026-11-26T11:00:00Z","type":"task_ass')
    found = eventlog.page(path, eventlog.Filter(), 3)
    assert [e["n"] for e in found.events] == [7, 8, 9]
    with path.open("ab") as handle:
        handle.write(b'igned","source":"orchestrator","n":10}\n')
    followed, _ = eventlog.Tail(path, found.end).read()
    assert [e.get("n") for e in followed] == [10]


def test_a_file_where_a_folder_belongs_is_said_by_run_and_doctor(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Defect: a file in place of ``orchestrator/subtasks`` (a cleanup script, a mistaken ``mv``) stopped
    ``orchestrator run`` with a FileExistsError traceback from the watcher's start, and ``doctor`` said
    "missing folder orchestrator/subtasks -> the daemon creates it at start", which it cannot."""
    folder = tmp_path / "c"
    (folder / "orchestrator").mkdir(parents=True)
    (folder / "orchestrator" / "subtasks").write_text("x")
    assert cli_main(["doctor", "--coordination-dir", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "FAIL orchestrator/subtasks is not a folder" in out and "missing folder orchestrator/subtasks" not in out
    assert cli_main(["run", "--coordination-dir", str(folder)]) == 2
    assert "subtasks: not a folder" in capsys.readouterr().err
    assert (folder / "orchestrator" / "subtasks").read_text() == "x"  # left as it is


# --- a person's decisions on a plan with two failed subtasks ------------------------------------------


def two_escalated() -> Sim:
    """The design is done; the backend, then the frontend (same stage) fail three times each."""
    sim = started()
    sim.finish_active(ORCH)
    sim.tick(1)
    fail_until_escalated(sim, sid("backend"), 3)
    fail_until_escalated(sim, sid("frontend"), 3)
    assert sim.plan(ORCH)["status"] == "blocked"
    return sim


def test_a_resume_of_one_failed_subtask_leaves_the_plan_blocked_by_the_other() -> None:
    """Defect: with two subtasks escalated (the plan names the later one), retrying that one made the plan
    ``in_progress`` while the other was still ``failed``: nothing could run after it, nothing said so,
    and the plan and its queue task stayed ``in_progress``/``orchestrating`` and healthy for good. The plan
    stays blocked until no subtask waits for a person, and the escalation file names the one that does."""
    sim = two_escalated()
    assert sim.plan(ORCH)["blocking_subtask"] == sid("frontend")
    person_retries(sim, sid("frontend"))
    sim.finish_active(ORCH)
    sim.tick(1)
    plan = sim.plan(ORCH)
    assert plan["status"] == "blocked" and plan["blocking_subtask"] == sid("backend")
    assert "failed 3 times" in plan["failure_reason"]
    assert sim.queue_task("w")["status"] == "blocked" and sid("backend") in sim.queue_task("w")["blocked_reason"]
    assert sim.store.get(sim.layout.escalation(ORCH))["blocking_subtask"] == sid("backend")
    [resumed] = sim.events("orchestration_resumed")
    assert resumed["still_blocked_by"] == sid("backend")
    person_retries(sim, sid("backend"), "2-retry")
    assert sim.plan(ORCH)["status"] == "in_progress" and sim.queue_task("w")["status"] == "orchestrating"
    sim.finish_active(ORCH)
    sim.tick(1)
    sim.finish_active(ORCH)
    sim.tick(1)
    assert sim.plan(ORCH)["status"] == "completed"


def test_skipping_a_subtask_that_did_not_fail_leaves_the_plan_blocked() -> None:
    """Defect: any skip unblocked the plan: skipping the audit (pending) while the backend had failed made
    the plan ``in_progress`` with nothing left to run."""
    sim = started()
    sim.finish_active(ORCH)
    sim.tick(1)
    fail_until_escalated(sim, sid("backend"), 3)
    sim.store.put(sim.layout.requests / "1-skip.json", {"orchestration_id": ORCH, "action": "skip",
                                                        "subtask_id": sid("audit")})
    sim.run("requests")
    plan = sim.plan(ORCH)
    assert plan["status"] == "blocked" and plan["blocking_subtask"] == sid("backend")
    assert sim.subtask(sid("audit"))["status"] == "skipped"


def test_a_restart_after_another_writers_huge_line_announces_nothing_again() -> None:
    """Defect: the start reads the last 4 MB of the events file for the ids it announced, and takes
    what the plans' outboxes hold from before its first own event there as announced long ago. A worker
    that appended a 5 MB result left no event of ours in that part: nothing was taken as announced,
    and each restart announced every plan's last events again (``orchestration_completed``) and wrote
    its report and queue task again. The part read now reaches back to one of our events."""
    sim = whole_run(fresh())
    assert len(sim.events("orchestration_completed")) == 1
    big = json.dumps({"timestamp": "2025-11-05T19:00:00Z", "type": "worker_completed", "source": "worker-7",
                      "result": "x" * 5_000_000})
    sim.store.files[sim.layout.events] += big.encode() + b"\n"
    sim.store.remove(sim.layout.report(ORCH, ".md"))  # a person archived the report: it is not written again
    sim = sim.restart()
    assert len(sim.events("orchestration_completed")) == 1
    assert not sim.store.exists(sim.layout.report(ORCH, ".md"))


def test_a_task_a_person_moves_to_another_master_takes_its_handoff_along() -> None:
    """Defect: a person who moved a routed task to another master in the queue (``assigned_to``) before
    its master took it left its handoff ``pending`` in the first master's folder: that master's consumer
    started the work the person had just given to another, and the chosen master never got a handoff.
    The handoff now moves with the task (and back again); one already taken is left alone."""
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in app/main.py line 3"), task("t", "Fix bug in app/other.py line 9"))
    sim.run("queue")
    first = sim.layout.task_handoff("development", "s")
    assert sim.queue_task("s")["assigned_to"] == "development" and sim.store.get(first)["status"] == "pending"

    def move(task_id: str, master: str) -> None:
        queue = sim.store.get(sim.layout.queue)
        next(t for t in queue["tasks"] if t["id"] == task_id)["assigned_to"] = master
        sim.store.put(sim.layout.queue, queue)
        sim.run("queue")

    move("s", "security-master")
    moved = sim.layout.task_handoff("security", "s")
    assert sim.store.get(first)["status"] == "cancelled"
    assert sim.store.get(moved)["status"] == "pending" and sim.store.get(moved)["to"] == "security"
    assert sim.store.get(moved)["task"]["title"] == "Fix bug in app/main.py line 3"
    assert sim.queue_task("s")["handoff_file"] == sim.layout.rel(moved)
    [created] = sim.events("handoff_created", task_id="s", master="security")
    assert created["moved_from"] == "development" and created["withdrawn"] == sim.layout.rel(first)
    move("s", "development")  # moved back: the first handoff is offered again
    assert sim.store.get(first)["status"] == "pending" and sim.store.get(moved)["status"] == "cancelled"
    sim.tick(1)
    assert len(sim.events("handoff_created", task_id="s")) == 3
    # a handoff its master already took stays where it is
    taken = sim.layout.task_handoff("development", "t")
    sim.store.put(taken, sim.store.get(taken) | {"status": "processed"})
    move("t", "cicd")
    assert not sim.store.exists(sim.layout.task_handoff("cicd", "t"))
    assert sim.store.get(taken)["status"] == "processed"
    # said, once: the queue names cicd while development does the work (it was silent)
    sim.tick(1)
    [late] = sim.events("handoff_not_moved", task_id="t")
    assert (late["master"], late["moved_to"], late["status"]) == ("development", "cicd", "processed")
    assert sim.queue_task("t")["move_not_followed"] == "cicd"  # kept where the move is: said once for good


@pytest.mark.parametrize("crash_at", range(9))
def test_a_move_interrupted_by_a_crash_is_finished_and_announced_once(crash_at: int) -> None:
    sim = Sim()
    sim.start()
    sim.submit(task("s", "Fix bug in app/main.py line 3"))
    sim.run("queue")
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["assigned_to"] = "security"
    sim.store.put(sim.layout.queue, queue)
    sim.store.crash_at = sim.store.writes + crash_at
    with contextlib.suppress(Crash):
        sim.run("queue")
    sim.store.crash_at = None
    sim = sim.restart()
    sim.tick(1)
    assert sim.store.get(sim.layout.task_handoff("development", "s"))["status"] == "cancelled"
    assert sim.store.get(sim.layout.task_handoff("security", "s"))["status"] == "pending"
    assert len(sim.events("handoff_created", task_id="s", master="security")) == 1


HOSTILE = "Fix bug \x1b[2J\x1b]0;pwned\x07 in app/\rmain.py line 3 \x9b31m"


def test_hostile_task_text_reaches_the_terminal_as_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Defect: ``status``, ``show``, ``explain`` and ``events`` printed task titles and worker reports raw:
    anyone who can write the queue could clear the operator's screen (``ESC [2J``), set the terminal's
    title (``ESC ]0;...BEL``) or hide the start of a line (``CR``). Control characters now print as
    ``\\uXXXX`` (valid inside JSON, so ``--json`` reads back the same text); colour still works."""
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "task-queue.json").write_text(json.dumps({"tasks": [
        {"id": "t1", "title": HOSTILE, "status": "assigned", "assigned_to": "development", "priority": "high"}]}))
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli_main(["status", "--coordination-dir", str(folder), "--state", "assigned"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[2J" not in out and "\x1b]" not in out and "\x07" not in out and "\r" not in out and "\x9b" not in out
    assert "Fix bug \\u001b[2J\\u001b]0;pwned\\u0007 in app/\\u000dmain.py" in out
    assert "\x1b[36m" in out  # our own colour for "assigned"
    assert cli_main(["explain", "--coordination-dir", str(folder), "t1"]) == 0
    assert "\x1b[2J" not in capsys.readouterr().out
    assert cli_main(["status", "--coordination-dir", str(folder), "--state", "assigned", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tasks"][0]["title"] == HOSTILE
