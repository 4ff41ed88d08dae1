"""What ``show``, ``explain`` and ``config`` print. Pure: data in, text or JSON-ready data out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from orchestrator import progress
from orchestrator.classify import Classifier
from orchestrator.console import PLAIN, Palette
from orchestrator.history import History
from orchestrator.models import DONE, Plan, QueueTask
from orchestrator.report import mermaid

MARK = {"pending": " ", "assigned": ">", "in_progress": "~", "completed": "x", "skipped": "-", "failed": "!",
        "retry_wait": "r", "blocked": "!"}


def tree(plan: Plan, palette: Palette = PLAIN) -> str:
    lines = [f"{plan.orchestration_id}  {palette.status(plan.status)}  {plan.task_title}"]
    if plan.status == "blocked":
        lines.append(f"  blocked by {plan.blocking_subtask}: {plan.failure_reason}")
    ended = plan.status == "aborted"
    if ended:  # its parts not done were withdrawn (their handoffs cancelled, workers stopped): never "assigned" still
        moved = progress.moved_to(plan)
        lines.append(f"  aborted by {progress.moved_by(plan)} at {plan.completed_at}"
                     + (f": given to {moved} as one task (the queue's entry is {moved}'s)" if moved else "")
                     + "; its parts not done were withdrawn")
    stages = list(plan.execution_plan.items())
    for index, (stage, ids) in enumerate(stages):
        last_stage = index == len(stages) - 1
        lines.append(f"{'└─' if last_stage else '├─'} {stage}")
        for position, subtask_id in enumerate(ids):
            s = plan.subtask(subtask_id)
            branch = "└─" if position == len(ids) - 1 else "├─"
            extra = f"  attempt {s.attempt}" if s.attempt > 1 else ""
            extra += f"  ({', '.join(s.conditions)})" if s.conditions else ""
            withdrawn = ended and s.status not in DONE
            state = f"withdrawn (was {s.status})" if withdrawn else palette.status(s.status)
            lines.append(f"{'   ' if last_stage else '│  '}{branch} [{'-' if withdrawn else MARK.get(s.status, '?')}] "
                         f"{s.subtask_id}  {s.assigned_to}/{s.worker_type}  {state}{extra}  {s.title}")
    if plan.report:
        lines.append(f"report: {plan.report}")
    return "\n".join(lines)


def dot(plan: Plan) -> str:
    lines = [f'digraph "{plan.orchestration_id}" {{', "  rankdir=LR;", "  node [shape=box];"]
    for number, (stage, ids) in enumerate(plan.execution_plan.items(), 1):
        lines.append(f'  subgraph cluster_{number} {{ label="{stage}";')
        for subtask_id in ids:
            s = plan.subtask(subtask_id)
            label = f"{s.title}\\n{s.assigned_to} · {s.status}".replace('"', "'")
            lines.append(f'    "{subtask_id}" [label="{label}"];')
        lines.append("  }")
    for s in plan.subtasks:
        lines.extend(f'  "{dep}" -> "{s.subtask_id}";' for dep in s.dependencies)
    lines.append("}")
    return "\n".join(lines)


def show(plan: Plan, form: str, palette: Palette = PLAIN) -> str:
    """The plan as a tree (coloured by ``palette``) or as a diagram (never coloured: it is for tools)."""
    return tree(plan, palette) if form == "tree" else {"mermaid": mermaid, "dot": dot}[form](plan)


def explain(task: QueueTask, entry: dict[str, Any], classifier: Classifier,
            history: History | None = None) -> dict[str, Any]:
    """Why a task was (or would now be) routed the way it was."""
    now = classifier.classify(task, history)
    route = classifier.route(task.title, task.full_description, (task.type,))
    learned = classifier.learned
    read = classifier.bounded(task)
    judged = learned.judge(read.title, read.full_description, read.type) if learned is not None else None
    kept = ("status", "assigned_to", "assigned_by", "assigned_at", "routed_to", "route_to", "moved_by", "moved_at",
            "move_not_followed", "routing_confidence", "routing_strategy", "routing_reasons", "orchestration_id",
            "handoff_file", "blocked_reason", "report")
    recorded: dict[str, Any] = {k: entry[k] for k in kept if k in entry}
    planned = [a["orchestration_id"] for a in entry.get("previous_attempts") or []
               if isinstance(a, dict) and isinstance(a.get("orchestration_id"), str)]
    if planned:
        recorded["planned_before"] = planned
    return {
        "task_id": task.id,
        "title": task.title,
        "recorded": recorded,
        "now": now.model_dump(),
        "domain_scores": {name: round(score, 1) for name, score in sorted(route.scores.items(), key=lambda kv: -kv[1])},
        # which words gave each score ("a tie: development 2 against cicd 2" said neither); a score with none comes
        # from a rule, the type or a lead verb, which the reasons say
        "domain_words": {name: route.words[name] for name in sorted(route.words, key=lambda n: -route.scores[n])},
        "learned_model": None if judged is None else {
            "masters": dict(sorted(judged.masters.items(), key=lambda kv: -kv[1])), "complex": judged.complex},
    }


def explain_text(found: dict[str, Any]) -> str:
    now, recorded = found["now"], found["recorded"]
    lines = [f"{found['task_id']}: {found['title']}"]
    if recorded:
        lines.append("recorded in the queue:")
        lines.extend(f"  {k}: {v}" for k, v in recorded.items() if k != "routing_reasons")
        moved = _moved(recorded)
        if moved:
            lines.append(moved)
        lines.extend(f"  - {r}" for r in recorded.get("routing_reasons", []))
    lines.append(f"with the current configuration: {now['decision']}"
                 + (f" -> {now['master']}" if now["master"] else "") + f" (confidence {now['confidence']})")
    lines.extend(f"  - {r}" for r in now["reasons"])
    words = found.get("domain_words", {})  # the scores as the reasons say them ("a tie: security 18 against cicd 18")
    lines.append("routing scores: " + ", ".join(f"{k} {v:g}" + (f" ({', '.join(words[k])})" if words.get(k) else "")
                                                for k, v in found["domain_scores"].items()))
    if found.get("learned_model"):  # what the built-in model thinks, whether or not it decided
        learned = found["learned_model"]
        lines.append("built-in model: " + ", ".join(f"{k} {v:.2f}" for k, v in learned["masters"].items())
                     + f"; complex {learned['complex']:.2f}")
    return "\n".join(lines)


def _moved(recorded: dict[str, Any]) -> str | None:
    """A person's move, said above the reasons it overrode (they are the daemon's routing, kept as written)."""
    to, routed = recorded.get("assigned_to"), recorded.get("routed_to")
    if recorded.get("route_to") == to and recorded.get("planned_before") and recorded.get("status") == "assigned":
        # a plan a person gave to one master: routed_to names that master, the daemon's own choice was the plan
        return (f"given to {to} as one piece of work by a person; the orchestrator had planned it "
                f"({', '.join(recorded['planned_before'])}), and routed it where it was told:")
    if not recorded.get("moved_at") or to == routed or recorded.get("status") != "assigned":
        return None
    late = (f" (too late: {routed} had taken its handoff and does the work)"
            if recorded.get("move_not_followed") == to else "")
    return (f"moved to {to} by {recorded.get('moved_by') or 'a person'} at {recorded['moved_at']}{late}; "
            f"the orchestrator had routed it to {routed}, for these reasons:")


def config_rows(config: BaseModel, given: dict[str, Any], source: str, prefix: str = "") -> list[dict[str, Any]]:
    """Every key with its effective value and where it came from (the file, or the default)."""
    rows: list[dict[str, Any]] = []
    for name in type(config).model_fields:
        value = getattr(config, name)
        key = f"{prefix}{name}"
        here = given.get(name) if isinstance(given, dict) else None
        if isinstance(value, BaseModel):
            rows += config_rows(value, here or {}, source, f"{key}.")
        elif isinstance(value, dict) and value and all(isinstance(v, BaseModel) for v in value.values()):
            for child, model in value.items():
                rows += config_rows(model, (here or {}).get(child, {}), source, f"{key}.{child}.")
        else:
            rows.append({"key": key, "value": value, "source": source if name in (given or {}) else "default"})
    return rows
