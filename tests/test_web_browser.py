"""The web view in a real headless Chromium (Selenium, Debian's chromium and chromedriver).

One folder, one server and one browser for the module. The folder is changed the way the rest
of the system changes it (a writer drops a task into the queue, the core takes passes, a worker
reports), and each test waits, with a timeout, for the page to show it without a reload.
Skipped, saying what is missing, where no browser is installed (``scripts/install-browser.sh``).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
from orchestrator import logs
from orchestrator.web.app import create_app

import web_harness
import web_scenes

pytestmark = [pytest.mark.browser, pytest.mark.process]

MISSING = web_harness.missing()
if MISSING:
    pytest.skip(f"browser tests need a browser: {MISSING}", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402


def wait(condition: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = condition()
        except Exception:  # an element swapped out while read: look again
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"the page did not show {what} within {timeout} s")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[web_scenes.Scene]:
    logs.configure("warning")
    made = web_scenes.auth_midway(tmp_path_factory.mktemp("web") / "coordination")
    lock = made.hold_daemon_lock()
    yield made
    lock.release()


@pytest.fixture(scope="module")
def url(scene: web_scenes.Scene) -> Iterator[str]:
    stopping = threading.Event()
    with web_harness.serving(create_app(scene.store, poll_seconds=0.1, stopping=stopping), stopping) as address:
        yield address


@pytest.fixture(scope="module")
def page(url: str) -> Iterator[Any]:
    driver = web_harness.chrome()
    driver.get(url + "?orch=orch-task-auth")
    wait(lambda: driver.find_element(By.ID, "live").text == "live", "the live stream connected")
    yield driver
    driver.quit()


def nodes(page: Any) -> dict[str, tuple[str, str]]:
    """Each subtask box of the DAG: its state and its colour, read in one go (panels are swapped whole,
    so an element found a moment ago may be gone; one script call sees one version of the page)."""
    found = page.execute_script(
        "return [...document.querySelectorAll('#detail g.node')].map("
        "g => [g.dataset.subtask, g.dataset.status, getComputedStyle(g.querySelector('rect')).fill])")
    return {subtask: (status, colour) for subtask, status, colour in found}


def text(page: Any, panel: str) -> str:
    return str(page.execute_script("return document.getElementById(arguments[0]).innerText", panel))


def test_the_page_loads_with_every_panel(page: Any) -> None:
    for panel in ("attention", "queue", "orchestrations", "detail", "events"):
        assert page.find_element(By.ID, panel).is_displayed()
    boxes = nodes(page)
    assert len(boxes) == 6
    assert boxes["orch-task-auth-s01-design"][0] == "completed"
    assert boxes["orch-task-auth-s02-backend"][0] == "in_progress"
    assert "daemon running" in text(page, "attention")
    assert text(page, "event-list").strip()


def test_a_task_dropped_into_the_queue_appears(page: Any, scene: web_scenes.Scene) -> None:
    queue = json.loads(scene.layout.queue.read_text())
    queue["tasks"].append({"id": "task-dropped", "title": "Rotate the staging TLS certificates", "status": "pending"})
    temporary = scene.layout.queue.with_name("queue.tmp")
    temporary.write_text(json.dumps(queue))
    os.replace(temporary, scene.layout.queue)  # as other writers do: a new file renamed into place
    row = wait(lambda: page.execute_script(
        "return document.querySelector('#queue tr[data-task=\"task-dropped\"]')?.innerText"), "the new task")
    assert "pending" in row and "Rotate the staging TLS certificates" in row


def test_a_stage_completion_recolours_its_subtasks(page: Any, scene: web_scenes.Scene) -> None:
    before = nodes(page)
    done, running = before["orch-task-auth-s01-design"][1], before["orch-task-auth-s02-backend"][1]
    assert running != done
    scene.report("orch-task-auth-s02-backend", "complete", result="backend done")
    scene.report("orch-task-auth-s03-frontend", "complete", result="frontend done")
    scene.step()
    after = wait(lambda: (found := nodes(page))["orch-task-auth-s02-backend"][0] == "completed" and found, "stage 2 done")
    assert after["orch-task-auth-s02-backend"] == ("completed", done)
    assert after["orch-task-auth-s03-frontend"] == ("completed", done)
    assert after["orch-task-auth-s04-tests"][0] == "assigned" and after["orch-task-auth-s04-tests"][1] not in (done, running)
    assert "stage 3/5" in text(page, "detail")


def test_an_escalation_shows_its_resume_command(page: Any, scene: web_scenes.Scene) -> None:
    scene.submit("task-esc", "Rebuild the search index, then update its docs and dashboards", orchestration_required=True)
    scene.step()
    first = scene.subtasks("orch-task-esc")[0]
    scene.report(first, "start", worker_id="dev-worker-11")
    scene.report(first, "fail", reason="the index cluster refuses writes", transient=False)
    scene.step()
    command = f"orchestrator resume orch-task-esc --retry {first}"
    shown = wait(lambda: (found := text(page, "attention")) and command in found and found, "the resume command")
    assert "the index cluster refuses writes" in shown
    copies = page.execute_script("return [...document.querySelectorAll('#attention button.copy')].map(b => b.dataset.copy)")
    assert f"{command} --coordination-dir {scene.layout.root}" in copies


def test_the_event_stream_filters_by_orchestration(page: Any, scene: web_scenes.Scene) -> None:
    form = page.find_element(By.ID, "event-filter")
    field = form.find_element(By.NAME, "eorch")
    field.clear()
    field.send_keys("orch-task-billing")
    form.find_element(By.TAG_NAME, "button").click()
    wait(lambda: "eorch=orch-task-billing" in page.current_url, "the filter in the address")
    shown = wait(lambda: (found := page.execute_script(
        "return [...document.querySelectorAll('#event-list li.ev')].map(li => li.dataset.orch)"))
        and set(found) == {"orch-task-billing"} and found, "only the billing lines")
    assert len(shown) >= 5  # its start, its subtask and handoff lines, the failure, the escalation
    field = page.find_element(By.ID, "event-filter").find_element(By.NAME, "eorch")
    field.clear()
    page.find_element(By.ID, "event-filter").find_element(By.TAG_NAME, "button").click()
    wait(lambda: "eorch" not in page.current_url, "the filter cleared")


def test_the_event_stream_shows_new_lines_and_survives_rotation(page: Any, scene: web_scenes.Scene) -> None:
    scene.submit("task-new-line", "Roll back the staging deploy of web-frontend")
    scene.step()
    wait(lambda: "task-new-line" in text(page, "event-list"), "the new event line")
    events = scene.layout.events
    os.replace(events, events.with_name(events.name + ".1"))  # rotated away; a new file starts
    events.write_text(json.dumps({"timestamp": "2026-11-26T10:00:00.000Z", "type": "queue_recovered",
                                  "source": "orchestrator", "path": "after-rotation"}) + "\n")
    wait(lambda: "after-rotation" in text(page, "event-list"), "a line of the new file")
    assert "replaced or truncated" in text(page, "event-list")
