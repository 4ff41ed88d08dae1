"""The systemd notify protocol: ``KEY=VALUE`` datagrams to ``$NOTIFY_SOCKET``.

Without ``NOTIFY_SOCKET`` (not started by systemd with ``Type=notify``) every call does
nothing. A name starting with ``@`` is an abstract socket. Errors are logged, never
raised: a broken notify socket must not stop the daemon, but it must not be silent either.
"""

from __future__ import annotations

import os
import socket

import structlog

log = structlog.get_logger("orchestrator.notify")


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
        self._address = "\0" + address[1:] if address and address.startswith("@") else address
        usec = os.environ.get("WATCHDOG_USEC", "")
        pid = os.environ.get("WATCHDOG_PID", "")
        wanted = usec.isdigit() and (not pid or pid == str(os.getpid()))
        self.watchdog_interval = int(usec) / 2_000_000 if wanted and int(usec) > 0 else None
        """Seconds between ``WATCHDOG=1`` pings: half of ``WatchdogSec``, or ``None``."""

    def send(self, **fields: str) -> None:
        if not self._address:
            return
        message = "\n".join(f"{key.upper()}={value}" for key, value in fields.items()).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self._address)
        except OSError as exc:
            log.warning("notify_failed", problem=str(exc), message=message.decode())

    def ready(self, status: str) -> None:
        self.send(ready="1", status=status, mainpid=str(os.getpid()))

    def status(self, status: str) -> None:
        self.send(status=status)

    def watchdog(self) -> None:
        self.send(watchdog="1")

    def stopping(self) -> None:
        self.send(stopping="1", status="stopping")
