"""What ``orchestrator status`` shows: the queue by state and each orchestration's progress."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from orchestrator.intake import ASSIGNED_BY
from orchestrator.models import Plan, describe
from orchestrator.registry import summary
from orchestrator.store import Store, StoreError
from orchestrator.watcher import ChangeFlag


def collect(store: Store) -> dict[str, Any]:
    """A JSON-ready picture of the folder, read without locks (nothing is changed)."""
    layout = store.layout
    queue: dict[str, Any] = {"path": str(layout.queue)}
    try:
        snapshot = store.read_queue()
    except StoreError as exc:
        snapshot = None
        queue["problem"] = str(exc)
    tasks = [t for t in (snapshot.tasks if snapshot else []) if isinstance(t, dict)]
    queue["tasks"] = len(tasks)
    queue["by_status"] = dict(Counter(str(t.get("status")) for t in tasks).most_common())
    queue["routed_by_orchestrator"] = sum(
        1 for t in tasks if t.get("assigned_by") == ASSIGNED_BY and t.get("status") == "assigned"
    )
    blocked = [
        {"task_id": t.get("id"), "reason": t.get("blocked_reason") or t.get("error")}
        for t in tasks if t.get("status") == "blocked"
    ]
    orchestrations = []
    for path in store.list_json(layout.tasks):
        try:
            plan = Plan.model_validate(store.read_json(path))
        except (StoreError, ValueError) as exc:
            orchestrations.append({"path": str(path), "problem": describe(exc)})
            continue
        orchestrations.append(summary(plan).model_dump() | {"title": plan.task_title})
    return {"queue": queue, "blocked": blocked, "orchestrations": orchestrations}


def render(status: dict[str, Any]) -> str:
    queue = status["queue"]
    lines = [f"queue  {queue['path']}"]
    if "problem" in queue:
        lines.append(f"  ! {queue['problem']}")
    counts = ", ".join(f"{n} {s}" for s, n in queue["by_status"].items()) or "empty"
    lines.append(f"  {queue['tasks']} tasks: {counts}")
    lines.append(f"  routed by the orchestrator and not yet picked up: {queue['routed_by_orchestrator']}")
    lines.append("orchestrations")
    if not status["orchestrations"]:
        lines.append("  none")
    for item in status["orchestrations"]:
        if "problem" in item:
            lines.append(f"  ! {item['path']}: {item['problem']}")
            continue
        bar = _bar(item["progress_percent"])
        lines.append(
            f"  {item['orchestration_id']}  {item['status']:<11} stage {item['current_stage']}/{item['total_stages']}"
            f"  {bar} {item['progress_percent']:>3}%  {item['health']}  {item['title']}"
        )
    if status["blocked"]:
        lines.append("blocked")
        lines.extend(f"  {b['task_id']}: {b['reason']}" for b in status["blocked"])
    return "\n".join(lines)


def _bar(percent: int, width: int = 20) -> str:
    filled = round(width * percent / 100)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def watch(store: Store, every: float = 5.0) -> Iterator[dict[str, Any]]:
    """A fresh picture whenever the queue or a plan changes (and every ``every`` seconds at most)."""
    with ChangeFlag([store.layout.root, store.layout.tasks]) as changed:
        while True:
            yield collect(store)
            changed.wait(every)
