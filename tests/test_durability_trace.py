"""Crash consistency, checked on a syscall trace of the real daemon.

The daemon runs under ``strace -f -tt -y`` while it plans a complex task and routes a simple
one. Afterwards the trace is checked against the store's durability rules:

1. every rename or link (link is the store's create-if-absent) of a ``.json`` file inside the
   coordination folder moves a file whose own fd was fsynced (after its last write) before
   the rename/link started;
2. after the rename/link, the target's folder is fsynced (an fsync on an fd whose ``-y`` path
   is that folder) before anything that depends on the new name: any later rename/link of a
   JSON file in *another* folder, and any later write to ``dashboard-events.jsonl``. If nothing
   depends on it, the folder fsync must still come before the trace ends.

Two deliberate choices, each a parameter of :func:`check_trace`:

* ``orchestrator/state/current.json`` is exempt, as a subject and as a dependent: it is derived
  from the plans, rebuilt at every start, and written atomically but *without* fsync on purpose
  (``durable=False``), so neither its own durability nor its order against other files matters.
  So is ``orchestrator/state/events-mark.json``, the mark of our last append to the events file,
  written after it without fsync: a mark lost or old only makes a start after a rotation announce
  again what it would have announced without one (see the README's "Restarts").
* several renames/links into the *same* folder may share one folder fsync (the store creates a
  plan's subtask files as one batch, then fsyncs ``subtasks/`` once). Such siblings do not
  depend on each other; what matters is that the batch is durable before anything in another
  folder, or any event, records it. ``same_folder_batches=False`` gives the literal rule
  ("any later rename/link of another JSON file"), which that batch does not meet.

Run the checker on any trace by hand::

    .venv/bin/python tests/test_durability_trace.py TRACEFILE COORDINATION_DIR
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FAST_CONFIG, WIDGET_SUBTASKS, queue_doc, read_events, task, wait_for, write_by_rename

STRACE = "/usr/bin/strace"
# The syscalls of the brief, plus the other ways to write a file's bytes (so a rewrite that
# uses pwrite/writev is still seen). A regex, so names a platform lacks (aarch64 has no
# rename/link) are skipped instead of making strace refuse to start.
TRACED = ["openat", "write", "pwrite64", "writev", "pwritev", "pwritev2", "fsync", "fdatasync",
          "rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat", "close"]
STRACE_ARGS = ["-f", "-tt", "-y", "-e", "trace=/^(" + "|".join(TRACED) + ")$"]

WRITES = {"write", "pwrite64", "writev", "pwritev", "pwritev2"}
SYNCS = {"fsync", "fdatasync"}
MOVES = {"rename", "renameat", "renameat2", "link", "linkat"}

# ---------------------------------------------------------------------------------------------
# parsing


@dataclass
class Syscall:
    """One completed syscall. ``start``/``end`` are trace line numbers: equal for a one-line call,
    the ``<unfinished ...>`` and ``resumed>`` lines for a split one. A precedes B for sure when
    ``A.end < B.start`` (strace stops each thread at entry and exit, so that order is real)."""

    start: int
    end: int
    pid: int
    name: str
    args: list[str]
    ret: str  # "0", "-1", "3</path>", "?" ...
    text: str = field(repr=False, default="")

    @property
    def ok(self) -> bool:
        """Succeeded (a ``-y`` return such as ``3</x>`` counts as 3)."""
        match = re.match(r"-?\d+", self.ret)
        return match is not None and int(match.group()) >= 0


_PREFIX = re.compile(r"^(?:\[pid\s+(?P<bpid>\d+)\]\s+|(?P<pid>\d+)\s+)?(?:(?P<ts>(?:\d{1,2}:\d\d:\d\d|\d{9,})(?:\.\d+)?)\s+)?(?P<rest>.*)$")
_RESUMED = re.compile(r"^<\.\.\. (?P<name>\w+) resumed>\s?(?P<tail>.*)$")
_UNFINISHED = " <unfinished ...>"
_CALL = re.compile(r"^(?P<name>\w+)\((?P<body>.*)$", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "f": "\f", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b"}


def _unescape(text: str) -> str:
    r"""strace's C-style escapes (``\"``, ``\n``, ``\x3e``, octal) back to characters."""
    out: list[str] = []
    raw = bytearray()
    i = 0

    def flush() -> None:
        if raw:
            out.append(raw.decode("utf-8", errors="surrogateescape"))
            raw.clear()

    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "x" and re.match(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
                raw.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
            octal = re.match(r"[0-7]{1,3}", text[i + 1:i + 4])
            if octal:
                raw.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            flush()
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        flush()
        out.append(ch)
        i += 1
    flush()
    return "".join(out)


def _split_call(body: str) -> tuple[list[str], str] | None:
    """``args...) = ret rest`` into the top-level arguments and the return value.

    Respects quoted strings (with escapes), ``<...>`` fd annotations and nested brackets, so a
    ``,`` or ``)`` inside a path or buffer does not split anything.
    """
    args: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == '"':
            j = i + 1
            while j < len(body) and body[j] != '"':
                j += 2 if body[j] == "\\" else 1
            current.append(body[i:j + 1])
            i = j + 1
            continue
        if ch == "<":  # -y annotation: 3</path> or 4<socket:[123]>; '<' and '>' inside are escaped
            j = body.find(">", i)
            if j < 0:
                return None
            current.append(body[i:j + 1])
            i = j + 1
            continue
        if ch in "([{":
            depth += 1
        elif ch in "}]" or (ch == ")" and depth > 0):
            depth -= 1
        elif ch == ")":
            last = "".join(current).strip()
            if last:
                args.append(last)
            ret = re.match(r"\s*=\s*(\S+)", body[i + 1:])
            return (args, ret.group(1)) if ret else None
        elif ch == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    return None


def parse_trace(lines: Iterable[str]) -> list[Syscall]:
    """Completed syscalls of an ``strace -f -tt -y`` log, in order of completion.

    Handles pid prefixes (``1234  `` and ``[pid 1234] ``), optional timestamps, split calls
    (``<unfinished ...>`` then ``<... name resumed>``), signal/exit lines (skipped) and calls
    still unfinished when the trace ends (dropped: they never returned).
    """
    calls: list[Syscall] = []
    pending: dict[int, tuple[int, str]] = {}
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        prefix = _PREFIX.match(line)
        if prefix is None:
            continue
        pid = int(prefix.group("pid") or prefix.group("bpid") or 0)
        rest = prefix.group("rest")
        if not rest or rest.startswith(("---", "+++", "strace:")):
            continue
        start = number
        resumed = _RESUMED.match(rest)
        if resumed:
            if pid not in pending:
                continue  # its first half was before the trace started
            start, head = pending.pop(pid)
            rest = head + resumed.group("tail")
        if rest.endswith(_UNFINISHED):
            pending[pid] = (start, rest[: -len(_UNFINISHED)])
            continue
        call = _CALL.match(rest)
        if call is None:
            continue
        split = _split_call(call.group("body"))
        if split is None:
            continue
        args, ret = split
        calls.append(Syscall(start, number, pid, call.group("name"), args, ret, rest))
    return calls


# ---------------------------------------------------------------------------------------------
# paths


def _norm(path: str) -> str:
    return os.path.normpath(path)


def _fd_path(arg: str) -> str | None:
    """``3</a/b>`` -> ``/a/b`` (and ``/a/b (deleted)`` -> ``/a/b``, ``AT_FDCWD</cwd>`` -> ``/cwd``);
    None without a path."""
    match = re.fullmatch(r"(?:-?\d+|AT_FDCWD)<(.*)>", arg.strip())
    if not match:
        return None
    path = _unescape(match.group(1))
    if path.endswith(" (deleted)"):
        path = path[: -len(" (deleted)")]
    return _norm(path) if path.startswith("/") else None


def _string(arg: str) -> str | None:
    match = re.fullmatch(r'"(.*)"(?:\.\.\.)?', arg.strip(), re.S)
    return _unescape(match.group(1)) if match else None


def _resolve(dirfd: str | None, arg: str, cwd: str, fds: dict[str, str]) -> str | None:
    """The absolute path a (dirfd, pathname) pair names, or None when it cannot be told."""
    name = _string(arg)
    if name is None:
        return None
    proc_fd = re.fullmatch(r"/proc/(?:self|\d+)/fd/(\d+)", name)
    if proc_fd:  # the O_TMPFILE + linkat("/proc/self/fd/N") idiom
        return fds.get(proc_fd.group(1))
    if name.startswith("/"):
        return _norm(name)
    if name == "" and dirfd is not None:  # AT_EMPTY_PATH: the fd itself
        return _fd_path(dirfd)
    if dirfd is None or dirfd.strip().startswith("AT_FDCWD"):  # -y shows it as AT_FDCWD</cwd>
        return _norm(os.path.join((dirfd and _fd_path(dirfd)) or cwd, name))
    base = _fd_path(dirfd)
    return _norm(os.path.join(base, name)) if base else None


def _moved(call: Syscall, cwd: str, fds: dict[str, str]) -> tuple[str | None, str | None]:
    """(source, target) of a rename/link."""
    a = call.args
    if call.name in ("rename", "link") and len(a) >= 2:
        return _resolve(None, a[0], cwd, fds), _resolve(None, a[1], cwd, fds)
    if len(a) >= 4:  # renameat/renameat2/linkat(olddirfd, old, newdirfd, new[, flags])
        return _resolve(a[0], a[1], cwd, fds), _resolve(a[2], a[3], cwd, fds)
    return None, None


# ---------------------------------------------------------------------------------------------
# checking


@dataclass
class Report:
    violations: list[str]
    checked: list[str]  # targets of the renames/links that were checked, in order
    exempted: list[str]
    event_writes: int

    def __bool__(self) -> bool:
        return not self.violations


def check_trace(calls: list[Syscall], root: str | Path, *, cwd: str | Path = "/",
                exempt: Iterable[str | Path] = (), same_folder_batches: bool = True) -> Report:
    """Check the durability rules (module docstring) on parsed ``calls`` for folder ``root``."""
    root = _norm(str(root))
    cwd = _norm(str(cwd))
    exempt_set = {_norm(str(p)) for p in exempt}
    events_path = os.path.join(root, "dashboard-events.jsonl")

    def inside(path: str | None) -> bool:
        return path is not None and (path + "/").startswith(root + "/")

    fds: dict[str, str] = {}  # fd number -> last path seen for it (for /proc/self/fd/N)
    writes: dict[str, list[Syscall]] = {}
    syncs: dict[str, list[Syscall]] = {}
    moves: list[tuple[Syscall, str | None, str]] = []  # successful rename/link of a JSON file inside root
    exempted: list[str] = []
    event_writes: list[Syscall] = []
    for call in calls:
        for arg in (*call.args[:1], call.ret):
            path = _fd_path(arg)
            if path:
                fds[arg.split("<", 1)[0].strip()] = path
        if call.name in WRITES and call.args:
            path = _fd_path(call.args[0])
            if path:
                writes.setdefault(path, []).append(call)
                if path == events_path and call.ok:
                    event_writes.append(call)
        elif call.name in SYNCS and call.args and call.ok:
            path = _fd_path(call.args[0])
            if path:
                syncs.setdefault(path, []).append(call)
        elif call.name in MOVES and call.ok:
            source, target = _moved(call, cwd, fds)
            if target is None or not inside(target) or not target.endswith(".json"):
                continue
            if target in exempt_set:
                exempted.append(target)
                continue
            moves.append((call, source, target))

    violations: list[str] = []
    for call, source, target in moves:
        where = f"line {call.start}: {call.name} -> {target}"
        # 1. the file's own bytes synced after its last write and before the rename/link began
        if source is None:
            violations.append(f"{where}: cannot tell which file was moved ({call.text})")
        else:
            last_write = max((w.end for w in writes.get(source, []) if w.end < call.start), default=0)
            if not any(s.start > last_write and s.end < call.start for s in syncs.get(source, [])):
                after = f" after its last write (line {last_write})" if last_write else ""
                violations.append(f"{where}: {source} was not fsynced{after} before the {call.name}")
        # 2. the folder synced after it, before the first thing that depends on it
        folder = os.path.dirname(target)
        dependents = [c for c, _, t in moves
                      if c.start > call.end and t != target
                      and not (same_folder_batches and os.path.dirname(t) == folder)]
        dependents += [w for w in event_writes if w.start > call.end]
        first = min(dependents, key=lambda c: c.start, default=None)
        deadline = first.start if first else float("inf")
        if not any(s.start > call.end and s.end < deadline for s in syncs.get(folder, [])):
            if first is None:
                violations.append(f"{where}: folder {folder} never fsynced afterwards")
            else:
                what = "event write" if first.name in WRITES else f"{first.name} {_moved(first, cwd, fds)[1]}"
                violations.append(f"{where}: folder {folder} not fsynced before line {first.start} ({what})")
    return Report(violations, [t for _, _, t in moves], exempted, len(event_writes))


# ---------------------------------------------------------------------------------------------
# the checker itself, on hand-made traces

ROOT = "/c"
GOOD = """\
100  10:00:00.000001 openat(AT_FDCWD, "/c/orchestrator/tasks/.orchestrator-orch-t.json.1.tmp", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0644) = 3</c/orchestrator/tasks/.orchestrator-orch-t.json.1.tmp>
100  10:00:00.000002 write(3</c/orchestrator/tasks/.orchestrator-orch-t.json.1.tmp>, "{\\n  \\"a\\": \\"x, y) = 1\\"\\n}\\n"..., 400) = 400
101  10:00:00.000003 write(7</c/dashboard-events.jsonl>, "{\\"type\\":\\"noise\\"}\\n", 18) = 18
100  10:00:00.000004 fsync(3</c/orchestrator/tasks/.orchestrator-orch-t.json.1.tmp> <unfinished ...>
101  10:00:00.000005 openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 9</etc/hosts>
100  10:00:00.000006 <... fsync resumed>) = 0
100  10:00:00.000007 close(3</c/orchestrator/tasks/.orchestrator-orch-t.json.1.tmp>) = 0
100  10:00:00.000008 rename("/c/orchestrator/tasks/.orchestrator-orch-t.json.1.tmp", "/c/orchestrator/tasks/orch-t.json") = 0
100  10:00:00.000009 openat(AT_FDCWD, "/c/orchestrator/tasks", O_RDONLY|O_DIRECTORY|O_CLOEXEC) = 3</c/orchestrator/tasks>
100  10:00:00.000010 fsync(3</c/orchestrator/tasks>) = 0
100  10:00:00.000011 close(3</c/orchestrator/tasks>) = 0
100  10:00:00.000012 write(5</c/dashboard-events.jsonl>, "{\\"type\\":\\"orchestration_started\\"}\\n", 33) = 33
100  10:00:00.000013 openat(AT_FDCWD, "/c/orchestrator/subtasks/.orchestrator-a.json.2.tmp", O_WRONLY|O_CREAT|O_EXCL) = 3</c/orchestrator/subtasks/.orchestrator-a.json.2.tmp>
100  10:00:00.000014 write(3</c/orchestrator/subtasks/.orchestrator-a.json.2.tmp>, "{}", 2) = 2
100  10:00:00.000015 fsync(3</c/orchestrator/subtasks/.orchestrator-a.json.2.tmp>) = 0
100  10:00:00.000016 link("/c/orchestrator/subtasks/.orchestrator-a.json.2.tmp", "/c/orchestrator/subtasks/a.json" <unfinished ...>
101  10:00:00.000017 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---
100  10:00:00.000018 <... link resumed>) = 0
100  10:00:00.000019 unlink("/c/orchestrator/subtasks/.orchestrator-a.json.2.tmp") = 0
100  10:00:00.000020 openat(AT_FDCWD, "/c/orchestrator/subtasks/.orchestrator-b.json.3.tmp", O_WRONLY|O_CREAT|O_EXCL) = 3</c/orchestrator/subtasks/.orchestrator-b.json.3.tmp>
100  10:00:00.000021 write(3</c/orchestrator/subtasks/.orchestrator-b.json.3.tmp>, "{}", 2) = 2
100  10:00:00.000022 fsync(3</c/orchestrator/subtasks/.orchestrator-b.json.3.tmp>) = 0
100  10:00:00.000023 linkat(AT_FDCWD, "/c/orchestrator/subtasks/.orchestrator-b.json.3.tmp", AT_FDCWD, "/c/orchestrator/subtasks/b.json", 0) = 0
100  10:00:00.000024 openat(AT_FDCWD, "/c/orchestrator/subtasks", O_RDONLY|O_DIRECTORY) = 4</c/orchestrator/subtasks>
100  10:00:00.000025 fsync(4</c/orchestrator/subtasks>) = 0
100  10:00:00.000026 openat(AT_FDCWD, "/c/orchestrator/state/.orchestrator-current.json.4.tmp", O_WRONLY|O_CREAT|O_EXCL) = 3</c/orchestrator/state/.orchestrator-current.json.4.tmp>
100  10:00:00.000027 write(3</c/orchestrator/state/.orchestrator-current.json.4.tmp>, "{}", 2) = 2
100  10:00:00.000028 rename("/c/orchestrator/state/.orchestrator-current.json.4.tmp", "/c/orchestrator/state/current.json") = 0
100  10:00:00.000029 write(5</c/dashboard-events.jsonl>, "{\\"type\\":\\"subtask_created\\"}\\n", 28) = 28
100  10:00:00.000030 openat(AT_FDCWD, "/c/.orchestrator-task-queue.json.5.tmp", O_WRONLY|O_CREAT|O_EXCL) = 3</c/.orchestrator-task-queue.json.5.tmp>
100  10:00:00.000031 write(3</c/.orchestrator-task-queue.json.5.tmp>, "{}", 2) = 2
100  10:00:00.000032 fdatasync(3</c/.orchestrator-task-queue.json.5.tmp>) = 0
100  10:00:00.000033 renameat2(AT_FDCWD, "/c/.orchestrator-task-queue.json.5.tmp", AT_FDCWD, "/c/task-queue.json", 0) = 0
100  10:00:00.000034 unlink("/c/.orchestrator-task-queue.json.5.tmp") = -1 ENOENT (No such file or directory)
100  10:00:00.000035 fsync(4</c>) = 0
100  10:00:00.000036 +++ exited with 0 +++
"""

CURRENT = f"{ROOT}/orchestrator/state/current.json"


def check(text: str, **options: object) -> Report:
    return check_trace(parse_trace(text.splitlines()), ROOT, exempt=[CURRENT], **options)  # type: ignore[arg-type]


def without(text: str, needle: str) -> str:
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if needle not in line]
    assert len(kept) == len(lines) - 1, f"{needle!r} must be on exactly one line"
    return "".join(kept)


def test_parser_joins_split_calls_and_keeps_quoted_commas_and_parens_together() -> None:
    calls = parse_trace(GOOD.splitlines())
    fsync = next(c for c in calls if c.name == "fsync")
    assert (fsync.start, fsync.end, fsync.pid, fsync.ret) == (4, 6, 100, "0")
    link = next(c for c in calls if c.name == "link")
    assert (link.start, link.end) == (16, 18)
    assert _string(link.args[1]) == "/c/orchestrator/subtasks/a.json"
    write = calls[1]
    assert write.name == "write" and len(write.args) == 3 and write.ret == "400"
    assert _fd_path(write.args[0]) == "/c/orchestrator/tasks/.orchestrator-orch-t.json.1.tmp"
    assert not any(c.text.startswith(("---", "+++")) for c in calls)
    failed = next(c for c in calls if c.name == "unlink" and c.ret == "-1")
    assert not failed.ok
    assert _fd_path("3</a/b (deleted)>") == "/a/b" and _fd_path("4<socket:[123]>") is None
    assert _unescape(r"a\"b\x3e\n\303\251") == 'a"b>\né'
    # -ttt (epoch) timestamps and "[pid N]" prefixes (strace writing to stderr) parse the same
    for prefix in ("100  1700000000.000001 ", "[pid   100] ", "100  "):
        (call,) = parse_trace([prefix + 'fsync(3</c/x>) = 0'])
        assert (call.pid, call.name, call.ret) == (100, "fsync", "0")


def test_checker_passes_a_good_trace() -> None:
    report = check(GOOD)
    assert report, report.violations
    assert report.checked == ["/c/orchestrator/tasks/orch-t.json", "/c/orchestrator/subtasks/a.json",
                              "/c/orchestrator/subtasks/b.json", "/c/task-queue.json"]
    assert report.exempted == [CURRENT] and report.event_writes == 3


def test_checker_catches_a_missing_file_fsync() -> None:
    report = check(without(GOOD, "fsync(3</c/orchestrator/subtasks/.orchestrator-b.json.3.tmp>)"))
    assert len(report.violations) == 1
    assert "subtasks/b.json" in report.violations[0] and "was not fsynced after its last write" in report.violations[0]


def test_checker_catches_a_file_fsync_that_came_before_the_last_write() -> None:
    lines = GOOD.splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if "fdatasync(" in line)
    lines[i - 1], lines[i] = lines[i], lines[i - 1]  # fdatasync, then write, then rename
    report = check("".join(lines))
    assert [v for v in report.violations if "task-queue.json" in v and "not fsynced after its last write" in v]


def test_checker_catches_a_missing_folder_fsync_before_the_event() -> None:
    report = check(without(GOOD, "fsync(3</c/orchestrator/tasks>)"))
    assert len(report.violations) == 1
    assert "folder /c/orchestrator/tasks not fsynced before line" in report.violations[0]
    assert "event write" in report.violations[0]


def test_checker_catches_a_folder_fsync_that_ends_after_the_dependent_write_starts() -> None:
    # the folder fsync is still running (another thread) when the event is written: not ordered
    bad = GOOD.replace(
        "100  10:00:00.000010 fsync(3</c/orchestrator/tasks>) = 0\n",
        "100  10:00:00.000010 fsync(3</c/orchestrator/tasks> <unfinished ...>\n"
        "102  10:00:00.000010 write(5</c/dashboard-events.jsonl>, \"{}\\n\", 3) = 3\n"
        "100  10:00:00.000010 <... fsync resumed>) = 0\n")
    report = check(bad)
    assert [v for v in report.violations if "/c/orchestrator/tasks not fsynced before line 11 (event write)" in v]


def test_checker_catches_a_missing_folder_fsync_at_the_end_of_the_trace() -> None:
    report = check(without(GOOD, "fsync(4</c>)"))
    assert report.violations == ["line 33: renameat2 -> /c/task-queue.json: folder /c never fsynced afterwards"]


def test_checker_catches_a_rename_in_another_folder_before_the_folder_fsync() -> None:
    # no event between the subtask batch and the queue rename: the rename is the dependent
    text = without(without(GOOD, "fsync(4</c/orchestrator/subtasks>)"), '"{\\"type\\":\\"subtask_created\\"}')
    report = check(text)
    assert len(report.violations) == 2  # a.json and b.json
    assert all("/c/orchestrator/subtasks not fsynced before line" in v and "/c/task-queue.json" in v
               for v in report.violations)


def test_same_folder_batches_share_one_folder_fsync_unless_told_otherwise() -> None:
    assert check(GOOD)  # a.json and b.json, then one fsync of subtasks/
    literal = check(GOOD, same_folder_batches=False)
    assert len(literal.violations) == 1 and "subtasks/a.json" in literal.violations[0]


def test_current_json_is_exempt_only_because_we_say_so() -> None:
    report = check_trace(parse_trace(GOOD.splitlines()), ROOT)
    assert len(report.violations) == 2  # not fsynced itself, and its folder never fsynced
    assert all("current.json" in v for v in report.violations)


def test_failed_renames_and_files_outside_the_folder_are_ignored() -> None:
    extra = ('100  10:00:00.000040 rename("/c/x.tmp", "/c/y.json") = -1 ENOENT (No such file or directory)\n'
             '100  10:00:00.000041 rename("/elsewhere/x.tmp", "/elsewhere/y.json") = 0\n'
             '100  10:00:00.000042 rename("/c/x.tmp", "/c/task-queue.json.lock") = 0\n')
    assert check(GOOD + extra)


def test_relative_paths_dirfds_and_tmpfile_links_are_resolved() -> None:
    text = (
        '7  openat(AT_FDCWD, "/c/masters/h", O_WRONLY|O_TMPFILE, 0644) = 3</c/masters/h/#123 (deleted)>\n'
        '7  write(3</c/masters/h/#123 (deleted)>, "{}", 2) = 2\n'
        '7  fsync(3</c/masters/h/#123 (deleted)>) = 0\n'
        '7  linkat(3</c/masters/h/#123 (deleted)>, "", AT_FDCWD, "/c/masters/h/x.json", AT_EMPTY_PATH) = 0\n'
        '7  openat(AT_FDCWD, "/c/masters/h", O_RDONLY|O_DIRECTORY) = 4</c/masters/h>\n'
        '7  fsync(4</c/masters/h>) = 0\n'
        '7  write(5</c/tmp/.q>, "{}", 2) = 2\n'
        '7  renameat(4</c/masters/h>, "../../tmp/.q", AT_FDCWD, "q.json") = 0\n'
        '7  write(6</c/dashboard-events.jsonl>, "{}\\n", 3) = 3\n'
        '7  rename("w.tmp", "w.json") = -1 ENOENT (No such file or directory)\n'
        '7  rename("/c/w.tmp", "/c/masters/w.json") = -1 ENOENT (No such file or directory)\n'
    )
    report = check_trace(parse_trace(text.splitlines()), ROOT, cwd=ROOT)
    assert report.checked == ["/c/masters/h/x.json", "/c/q.json"]
    # strace -y shows the cwd itself as AT_FDCWD</cwd>: that wins over the cwd we were given
    annotated = text.replace('AT_FDCWD, "q.json"', 'AT_FDCWD</c/masters>, "../q.json"')
    assert check_trace(parse_trace(annotated.splitlines()), ROOT, cwd="/elsewhere").checked == report.checked
    # x.json: synced file, synced folder. q.json: /c/tmp/.q never fsynced, /c never fsynced before the event
    assert len(report.violations) == 2 and all("q.json" in v for v in report.violations), report.violations


# ---------------------------------------------------------------------------------------------
# the real daemon

SUBTASKS = WIDGET_SUBTASKS  # 3 stages, stage 1 is "design" for development


def _strace_usable() -> str | None:
    """Why strace cannot be used here, or None when it can."""
    if not os.access(STRACE, os.X_OK):
        return f"{STRACE} is not installed (apt-get install strace)"
    probe = subprocess.run([STRACE, "-f", "-o", os.devnull, "true"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"strace cannot trace here (ptrace not permitted?): {probe.stderr.strip()[:300]}"
    return None


def test_the_daemon_fsyncs_files_and_folders_in_order(tmp_path: Path) -> None:
    reason = _strace_usable()
    if reason:
        pytest.skip(reason)
    root = (tmp_path / "coordination").resolve()
    root.mkdir()
    (root / "task-queue.json").write_text(json.dumps(queue_doc()))
    config = tmp_path / "config.toml"
    config.write_text(FAST_CONFIG)
    trace = tmp_path / "strace.log"
    log = tmp_path / "daemon.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [STRACE, *STRACE_ARGS, "-o", str(trace),
             sys.executable, "-m", "orchestrator", "run", "--coordination-dir", str(root), "--config", str(config)],
            stdout=out, stderr=out, cwd=tmp_path, start_new_session=True)
    try:
        started = wait_for(lambda: [e for e in read_events(root) if e["type"] == "orchestrator_started"]
                           or proc.poll() is not None, 15, "orchestrator_started")
        assert proc.poll() is None, log.read_text()
        daemon_pid = started[0]["pid"]
        write_by_rename(root / "task-queue.json", queue_doc(
            task("task-c", "Widget", subtasks=SUBTASKS),
            task("task-s", "Fix a typo in the README"),
        ))
        plan = root / "orchestrator/tasks/orch-task-c.json"
        handoff = root / "masters/development/handoffs/to-development-subtask-orch-task-c-design.json"
        wait_for(lambda: (plan.exists() and handoff.exists() and list(root.glob("masters/*/handoffs/task-s.json")))
                 or proc.poll() is not None, 15, "plan, stage-1 handoff and the simple task's handoff")
        assert proc.poll() is None, log.read_text()
        # stop the daemon itself (a signal to strace would only detach it); strace exits with it
        os.kill(daemon_pid, signal.SIGTERM)
        assert proc.wait(15) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    with open(trace, encoding="utf-8", errors="replace") as handle:
        calls = parse_trace(handle)
    report = check_trace(calls, root, cwd=tmp_path, exempt=[root / "orchestrator/state/current.json",
                                                            root / "orchestrator/state/events-mark.json"])
    shown = "\n".join(report.violations[:15])
    assert report, f"{len(report.violations)} durability violations (trace: {trace}):\n{shown}"
    # not vacuous: the files this run must have written were all seen and checked
    checked = set(report.checked)
    for path in (plan, handoff, root / "task-queue.json", root / "orchestrator/subtasks/orch-task-c-audit.json",
                 *root.glob("masters/*/handoffs/task-s.json")):
        assert str(path) in checked, f"no rename/link of {path} in the trace; checked: {sorted(checked)}"
    assert report.event_writes >= 1, "expected the daemon's event lines in the trace"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: test_durability_trace.py TRACEFILE COORDINATION_DIR")
    with open(sys.argv[1], encoding="utf-8", errors="replace") as handle:
        result = check_trace(parse_trace(handle), Path(sys.argv[2]).resolve(), cwd=os.getcwd(),
                             exempt=[Path(sys.argv[2]).resolve() / f"orchestrator/state/{name}"
                                     for name in ("current.json", "events-mark.json")])
    print(f"checked {len(result.checked)} renames/links, exempted {len(result.exempted)}, "
          f"{result.event_writes} event writes")
    print("\n".join(result.violations) or "no violations")
    sys.exit(1 if result.violations else 0)
