"""The web view served in a thread and a headless Chromium driven by Selenium: for the browser
tests and the README's screenshot.

The browser is Debian's ``chromium`` with its ``chromedriver`` (``apt-get install chromium
chromium-driver``; ``scripts/install-browser.sh`` does it where it can). Selenium is given the
driver's path, so it never tries to download one (this machine reaches no browser download).
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)


def missing() -> str | None:
    """Why no browser can be driven here, or None."""
    if not any(shutil.which(b) for b in BROWSERS):
        return "no Chromium (apt-get install chromium chromium-driver, or run scripts/install-browser.sh)"
    if not any(shutil.which(d) for d in DRIVERS):
        return "no chromedriver (apt-get install chromium-driver, or run scripts/install-browser.sh)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "no selenium (pip install -e '.[test]')"
    return None


def chrome(width: int = 1400, height: int = 1000) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(p for b in BROWSERS if (p := shutil.which(b)))
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--window-size={width},{height}", f"--user-data-dir={tempfile.mkdtemp(prefix='orchestrator-web-')}"):
        options.add_argument(flag)
    driver_path = next(p for d in DRIVERS if (p := shutil.which(d)))
    return webdriver.Chrome(options=options, service=Service(executable_path=driver_path))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: Any, stopping: threading.Event) -> Iterator[str]:
    """The app (made with ``stopping``) on a free loopback port in a thread; yields its address."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web view did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        stopping.set()
        server.should_exit = True
        thread.join(10)
