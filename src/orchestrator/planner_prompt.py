"""The external planner's prompt: a template (shipped as ``planner_prompt.md``, or the file that
``[planner] prompt_file`` names) filled with the plan's limits, the answer's JSON Schema and the
task; in the repair round, the rejected answer and the reasons follow it.

The template is a :class:`string.Template`: ``$task``, ``$schema``, ``$feedback``,
``$min_subtasks``, ``$max_subtasks``, ``$max_stages``, ``$max_subtask_minutes``,
``$max_subtask_tokens``, ``$max_files_per_subtask``; ``$$`` is a dollar sign. Rendering is
pure; only :func:`load_template` reads a file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from orchestrator.config import PlannerConfig
from orchestrator.models import QueueTask
from orchestrator.planner_answer import answer_schema

MAX_ECHO_CHARS = 20_000
"""Longest part of a rejected answer sent back in the repair round."""
MAX_CONTEXT_CHARS = 20_000
"""A task's ``context`` longer than this (as JSON) is left out of the prompt."""
_LIMITS = ("min_subtasks", "max_subtasks", "max_stages", "max_subtask_minutes", "max_subtask_tokens",
           "max_files_per_subtask")
PLACEHOLDERS = frozenset({"task", "schema", "feedback", *_LIMITS})


class PromptError(Exception):
    """The prompt template cannot be used; the message says why."""


@dataclass(frozen=True)
class Feedback:
    """Why the previous answer was rejected, for the repair round."""

    answer: str
    problems: Sequence[str]


def load_template(path: str | None) -> str:
    """The configured template, else the shipped one."""
    try:
        if path is None:
            return resources.files("orchestrator").joinpath("planner_prompt.md").read_text(encoding="utf-8")
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"cannot read the prompt template {path or 'planner_prompt.md'}: {exc}") from exc


def render(template: str, task: QueueTask, config: PlannerConfig, feedback: Feedback | None = None) -> str:
    """The prompt for ``task``; with ``feedback``, the prompt of the repair round."""
    parsed = Template(template)
    names = set(parsed.get_identifiers())
    unknown = sorted(names - PLACEHOLDERS)
    if unknown or not parsed.is_valid():
        raise PromptError(f"prompt template: unknown placeholder(s) {', '.join('$' + n for n in unknown) or '$'} "
                          f"(known: {', '.join('$' + n for n in sorted(PLACEHOLDERS))}; $$ is a dollar sign)")
    if "task" not in names:
        raise PromptError("prompt template: $task is missing, so the planner would never see the task")
    values: dict[str, Any] = {name: getattr(config, name) for name in _LIMITS}
    repair = repair_text(feedback) if feedback else ""
    text = parsed.substitute(values, task=task_json(task), schema=json.dumps(answer_schema(), indent=2),
                             feedback=repair)
    return text if "feedback" in names or not repair else f"{text.rstrip()}\n{repair}"


def task_json(task: QueueTask) -> str:
    """The task as the planner reads it: what it asks for, not the queue's bookkeeping."""
    shown: dict[str, Any] = {"id": task.id, "title": task.title, "description": task.full_description}
    shown |= {k: v for k, v in (("type", task.type), ("priority", task.priority)) if v}
    context = {k: v for k, v in task.context.items() if k != "description"}
    if context and len(json.dumps(context, ensure_ascii=False, default=str)) <= MAX_CONTEXT_CHARS:
        shown["context"] = context
    return json.dumps(shown, indent=2, ensure_ascii=False, default=str)


def repair_text(feedback: Feedback) -> str:
    """What the repair round adds: the rejected answer and every reason, then the request again."""
    answer = feedback.answer.strip()
    if len(answer) > MAX_ECHO_CHARS:
        answer = answer[:MAX_ECHO_CHARS] + "\n[... cut]"
    reasons = "\n".join(f"- {problem}" for problem in feedback.problems)
    return (
        "\n## Your previous answer was rejected\n\n"
        f"Your previous answer:\n\n```\n{answer}\n```\n\n"
        f"It cannot be used, for these reasons:\n\n{reasons}\n\n"
        "Answer again with the whole corrected plan: one JSON object, valid against the schema, nothing else.\n"
    )
