"""Make docs/web-view.png: the page for the seed's authentication example mid-way (stage 1 done,
stage 2 running), beside an escalated orchestration and a few queued tasks.

    make screenshot          # or: .venv/bin/python scripts/web_screenshot.py [OUT.png]

Needs Debian's chromium and chromium-driver (scripts/install-browser.sh).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from orchestrator import logs
from orchestrator.web.app import create_app

import web_harness
import web_scenes

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    # argparse: `web_screenshot.py --help` wrote a 390 kB PNG named "--help" (any argument was the output path)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "web-view.png",
                        help="where to write the PNG (default: docs/web-view.png)")
    out: Path = parser.parse_args().out
    reason = web_harness.missing()
    if reason:
        print(f"web_screenshot: cannot take the screenshot: {reason}", file=sys.stderr)
        return 1
    logs.configure("warning")
    with tempfile.TemporaryDirectory() as tmp:
        scene = web_scenes.auth_midway(Path(tmp) / "coordination")
        lock = scene.hold_daemon_lock()
        stopping = threading.Event()
        driver = web_harness.chrome(1400, 1000)
        try:
            with web_harness.serving(create_app(scene.store, stopping=stopping), stopping) as url:
                driver.get(url + "?orch=orch-task-auth")
                deadline = time.monotonic() + 10
                while driver.find_element("id", "live").text != "live" and time.monotonic() < deadline:
                    time.sleep(0.05)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1400, min(int(height) + 20, 2400))
                time.sleep(0.3)
                out.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(out))
        finally:
            driver.quit()
            lock.release()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
