"""The systemd unit, rendered for one coordination folder with absolute paths."""

from __future__ import annotations

import sys
from pathlib import Path

UNIT = """\
[Unit]
Description=orchestrator: planning and supervision daemon for {root}
After=local-fs.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={python} -m orchestrator run --coordination-dir {root}{config}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
WatchdogSec={watchdog}
TimeoutStopSec=20
User={user}
WorkingDirectory={root}
Environment=PYTHONUNBUFFERED=1
UMask=0022
# hardening: the daemon reads its code and writes only the coordination folder
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={writable}
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX

[Install]
WantedBy=multi-user.target
"""


def unit_name(root: Path) -> str:
    return f"orchestrator-{root.name}.service" if root.name != "coordination" else "orchestrator.service"


def render(root: Path, user: str, config: Path | None = None, watchdog_seconds: int = 30,
           extra_writable: list[Path] | None = None) -> str:
    root = root.resolve()
    writable = " ".join(str(p) for p in [root, *(p.resolve() for p in extra_writable or [])])
    return UNIT.format(root=root, python=sys.executable, user=user, watchdog=watchdog_seconds, writable=writable,
                       config=f" --config {config.resolve()}" if config else "")
