"""``orchestrator web``: choose the token, say where the page is, run uvicorn until Ctrl-C."""

from __future__ import annotations

import secrets
import socket
import sys
import threading
from types import FrameType

import uvicorn

from orchestrator.config import Config
from orchestrator.store import Store
from orchestrator.web.app import create_app, is_loopback

EXIT_FAILED, EXIT_USAGE = 1, 2


def serve(store: Store, config: Config, host: str, port: int, token: str | None) -> int:
    root = store.layout.root
    if not root.is_dir():
        print(f"orchestrator web: {root} is not a folder (give --coordination-dir DIR)", file=sys.stderr)
        return EXIT_USAGE
    try:
        listening = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        print(f"orchestrator web: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    loopback = is_loopback(host)
    if not loopback and not token:
        token = secrets.token_urlsafe(24)
        print("a token is required off the loopback address; this one is made up for this run "
              "(give --token or $ORCHESTRATOR_WEB_TOKEN to choose it)", flush=True)
    stopping = threading.Event()
    app = create_app(store, token=token, loopback_only=loopback, stopping=stopping,
                     heartbeat_timeout_seconds=config.monitor.heartbeat_timeout_seconds)
    shown = f"[{host}]" if ":" in host else host
    print(f"orchestrator web: http://{shown}:{port}/{f'?token={token}' if token else ''}  "
          f"(read-only view of {root.resolve()}; Ctrl-C ends)", flush=True)
    server = Server(uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2),
                    stopping)
    try:
        server.run(sockets=[listening])
    except KeyboardInterrupt:  # uvicorn raises the signal again once it has stopped
        pass
    return 0


class Server(uvicorn.Server):
    """Ends the page's open streams at Ctrl-C, so the server stops at once instead of waiting for them."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self.stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.set()
        super().handle_exit(sig, frame)
