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


def node(page: Any, subtask_id: str) -> Any:
    return page.find_element(By.CSS_SELECTOR, f'#detail g.node[data-subtask="{subtask_id}"]')


def fill(page: Any, subtask_id: str) -> str:
    return str(page.execute_script("return getComputedStyle(arguments[0]).fill",
                                   node(page, subtask_id).find_element(By.TAG_NAME, "rect")))


def test_the_page_loads_with_every_panel(page: Any) -> None:
    for panel in ("attention", "queue", "orchestrations", "detail", "events"):
        assert page.find_element(By.ID, panel).is_displayed()
    assert len(page.find_elements(By.CSS_SELECTOR, "#detail g.node")) == 6
    assert node(page, "orch-task-auth-s01-design").get_attribute("data-status") == "completed"
    assert node(page, "orch-task-auth-s02-backend").get_attribute("data-status") == "in_progress"
    assert "daemon running" in page.find_element(By.ID, "attention").text
    assert page.find_elements(By.CSS_SELECTOR, "#event-list li.ev")


def test_a_task_dropped_into_the_queue_appears(page: Any, scene: web_scenes.Scene) -> None:
    queue = json.loads(scene.layout.queue.read_text())
    queue["tasks"].append({"id": "task-dropped", "title": "Rotate the staging TLS certificates", "status": "pending"})
    temporary = scene.layout.queue.with_name("queue.tmp")
    temporary.write_text(json.dumps(queue))
    os.replace(temporary, scene.layout.queue)  # as other writers do: a new file renamed into place
    row = wait(lambda: page.find_elements(By.CSS_SELECTOR, '#queue tr[data-task="task-dropped"]'), "the new task")
    assert "pending" in row[0].text


def test_a_stage_completion_recolours_its_subtasks(page: Any, scene: web_scenes.Scene) -> None:
    running, done = fill(page, "orch-task-auth-s02-backend"), fill(page, "orch-task-auth-s01-design")
    assert running != done
    scene.report("orch-task-auth-s02-backend", "complete", result="backend done")
    scene.report("orch-task-auth-s03-frontend", "complete", result="frontend done")
    scene.step()
    wait(lambda: node(page, "orch-task-auth-s02-backend").get_attribute("data-status") == "completed", "stage 2 done")
    assert node(page, "orch-task-auth-s03-frontend").get_attribute("data-status") == "completed"
    assert fill(page, "orch-task-auth-s02-backend") == done
    assert fill(page, "orch-task-auth-s03-frontend") == done
    assert node(page, "orch-task-auth-s04-tests").get_attribute("data-status") == "assigned"
    assert "stage 3/5" in page.find_element(By.ID, "detail").text


def test_an_escalation_shows_its_resume_command(page: Any, scene: web_scenes.Scene) -> None:
    scene.submit("task-esc", "Rebuild the search index, then update its docs and dashboards", orchestration_required=True)
    scene.step()
    first = scene.subtasks("orch-task-esc")[0]
    scene.report(first, "start", worker_id="dev-worker-11")
    scene.report(first, "fail", reason="the index cluster refuses writes", transient=False)
    scene.step()
    command = f"orchestrator resume orch-task-esc --retry {first}"
    panel = wait(lambda: (p := page.find_element(By.ID, "attention")) and command in p.text and p, "the resume command")
    assert "the index cluster refuses writes" in panel.text
    copy = panel.find_elements(By.CSS_SELECTOR, f'button.copy[data-copy^="{command}"]')
    assert copy and copy[0].get_attribute("data-copy").endswith(f"--coordination-dir {scene.layout.root}")


def test_the_event_stream_filters_by_orchestration(page: Any, scene: web_scenes.Scene) -> None:
    form = page.find_element(By.ID, "event-filter")
    field = form.find_element(By.NAME, "eorch")
    field.clear()
    field.send_keys("orch-task-billing")
    form.find_element(By.TAG_NAME, "button").click()
    wait(lambda: "eorch=orch-task-billing" in page.current_url, "the filter in the address")
    rows = wait(lambda: page.find_elements(By.CSS_SELECTOR, "#event-list li.ev"), "filtered lines")
    wait(lambda: all(r.get_attribute("data-orch") == "orch-task-billing" for r in
                     page.find_elements(By.CSS_SELECTOR, "#event-list li.ev")), "only the billing lines")
    assert rows
    field = page.find_element(By.ID, "event-filter").find_element(By.NAME, "eorch")
    field.clear()
    page.find_element(By.ID, "event-filter").find_element(By.TAG_NAME, "button").click()
    wait(lambda: "eorch" not in page.current_url, "the filter cleared")


def test_the_event_stream_shows_new_lines_and_survives_rotation(page: Any, scene: web_scenes.Scene) -> None:
    scene.submit("task-new-line", "Roll back the staging deploy of web-frontend")
    scene.step()
    wait(lambda: "task-new-line" in page.find_element(By.ID, "event-list").text, "the new event line")
    events = scene.layout.events
    os.replace(events, events.with_name(events.name + ".1"))  # rotated away; a new file starts
    events.write_text(json.dumps({"timestamp": "2026-11-26T10:00:00.000Z", "type": "queue_recovered",
                                  "source": "orchestrator", "path": "after-rotation"}) + "\n")
    wait(lambda: "after-rotation" in page.find_element(By.ID, "event-list").text, "a line of the new file")
    assert "replaced or truncated" in page.find_element(By.ID, "event-list").text
