"""The systemd unit, rendered for one coordination folder with absolute paths."""

from __future__ import annotations

import pwd
import sys
from pathlib import Path

UNIT = """\
[Unit]
Description=orchestrator: planning and supervision daemon for {root}
After=local-fs.target
# a folder on a mount not up yet at boot: the start said "no coordination folder" (exit 2) and was not retried
RequiresMountsFor={root}

[Service]
Type=notify
NotifyAccess=main
ExecStart={python} -m orchestrator run --coordination-dir {root}{config}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
# exit 2 (a wrong configuration or folder) and 3 (another daemon owns the folder) are not mended by a restart:
# they were started again every 2 s, the same error each time, until systemd's start limit
RestartPreventExitStatus=2 3
WatchdogSec={watchdog}
TimeoutStopSec=20
# a pidfd per worker, twice (the death watch and the monitor's process table): 4,096 workers each
LimitNOFILE=16384
User={user}
WorkingDirectory={root}
Environment=PYTHONUNBUFFERED=1
UMask=0022
# hardening: the daemon reads its code and writes only the coordination folder
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={writable}
ProtectHome=read-only
{private_tmp}
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
{jit}
SystemCallArchitectures=native
{families}

[Install]
WantedBy=multi-user.target
"""


def unit_name(root: Path) -> str:
    return f"orchestrator-{root.name}.service" if root.name != "coordination" else "orchestrator.service"


TEMPORARY = (Path("/tmp"), Path("/var/tmp"))


def under_tmp(paths: list[Path]) -> list[Path]:
    """Folders that ``PrivateTmp=yes`` would hide from the daemon (it gets an empty /tmp of its own)."""
    return [p for p in paths if any(p == t or t in p.parents for t in TEMPORARY)]


PLANNER_NOTE = ("an external planner is configured: the unit lets the daemon and its planner reach the network "
                "and run a JIT; a planner that writes under its home folder (claude: ~/.claude) needs that folder "
                "given with --writable")


def render(root: Path, user: str, config: Path | None = None, watchdog_seconds: int = 30,
           extra_writable: list[Path] | None = None, external_planner: bool = False) -> str:
    """The unit. A folder under /tmp or /var/tmp gets ``PrivateTmp=no`` (with ``yes`` the daemon
    would watch an empty private /tmp, not the folder people write to). With ``external_planner``
    the planner's command may reach the network and run a JIT: a process inherits both limits, and
    with them every planner (an API, ollama's local server over TCP, node) failed, every time."""
    root = root.resolve()
    paths = [root, *(p.resolve() for p in extra_writable or [])]
    hidden = under_tmp(paths + ([config.resolve()] if config else []))
    private_tmp = ("# PrivateTmp=yes would hide " + ", ".join(map(str, hidden)) + " from the daemon\nPrivateTmp=no"
                   if hidden else "PrivateTmp=yes")
    return UNIT.format(root=root, python=sys.executable, user=user, watchdog=watchdog_seconds,
                       writable=" ".join(map(str, paths)), private_tmp=private_tmp,
                       jit=("# MemoryDenyWriteExecute=yes would stop the external planner's JIT (claude runs on node)"
                            if external_planner else "MemoryDenyWriteExecute=yes"),
                       families=("# the external planner ([planner] command) reaches its model over the network\n"
                                 "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"
                                 if external_planner else "RestrictAddressFamilies=AF_UNIX"),
                       config=f" --config {config.resolve()}" if config else "")


def user_problem(user: str) -> str | None:
    """Why the unit cannot run as ``user`` (no such account), or None."""
    try:
        pwd.getpwnam(user)
    except KeyError:
        return f"no user {user!r} on this machine (systemd would refuse to start the unit)"
    return None


def warnings(paths: list[Path]) -> list[str]:
    return [f"{p} is under /tmp: the unit says PrivateTmp=no, or the daemon would see an empty private /tmp"
            for p in under_tmp(paths)]


class InstallRefused(Exception):
    """The unit was not written, and why."""


def install(path: Path, text: str, *, force: bool) -> bool:
    """Write the unit at ``path``; True if it replaced a different one (only with ``force``)."""
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else None
    except OSError as exc:
        raise InstallRefused(f"cannot read {path}: {exc.strerror}") from exc
    replaced = existing not in (None, text)
    if replaced and not force:
        raise InstallRefused(f"{path} exists and differs; compare with 'orchestrator service', then add --force "
                             "to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InstallRefused(f"cannot write {path}: {exc.strerror} (run with sudo?)") from exc
    return replaced
