"""The external planner's answer: its format, finding it in what a model printed, and every
reason it cannot be a plan. Pure: text and configuration in, a :class:`~orchestrator.models.Plan`
or a :class:`~orchestrator.planner.PlanError` out.

:class:`PlannerAnswer` is the one source of the format: the JSON Schema that the prompt shows
and ``orchestrator schema planner-answer`` prints is generated from it, and an answer is
validated against it before the plan rules (``planner.build_plan``, ``dag.validate``) and the
rules of a good plan (:func:`plan_rule_problems`) are checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestrator import dag
from orchestrator.classify import Classifier
from orchestrator.config import PlannerConfig
from orchestrator.models import MASTERS, Classification, Plan, QueueTask, normalize_master
from orchestrator.planner import Draft, PlanError, build_plan, drafts_from_json

Master = Literal["development", "security", "inventory", "cicd"]
WorkerType = Literal["planner", "implementation", "test", "audit", "documentation", "deploy", "inventory", "review"]
LOCAL_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_ANSWER_CHARS = 1_000_000
_MAX_STARTS = 500  # where a JSON value may begin: tried at most this many times (prose full of braces)
_MAX_SCAN = 4 * MAX_ANSWER_CHARS
"""Characters all those tries together may read: each try may read to the text's end (values nested in a
value cut short), and 500 of them over 1 MB held the daemon's event loop, and systemd's watchdog, 18 s."""


class PlannedSubtask(BaseModel):
    """One subtask as the external planner writes it; the daemon adds ids, stages and times."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=LOCAL_ID, max_length=40,
                    description="Short local id: lowercase whole words joined by hyphens, e.g. 'backend-api'.")
    title: str = Field(min_length=3, max_length=120,
                       description="A whole imperative sentence without a final period, e.g. 'Implement the login API'.")
    description: str = Field(min_length=1, description="What to do, in enough detail for a master who reads nothing else.")
    assigned_to: Master = Field(description="The one master whose job this is.")
    worker_type: WorkerType | None = Field(None, description="The kind of worker (default: from the title).")
    dependencies: list[str] = Field(
        default_factory=list, description="Ids of subtasks that must be completed first (none: stage 1).")
    files_affected: list[str] = Field(default_factory=list, description="Files to create or change (at most 3).")
    success_criteria: str = Field(min_length=10, description="Specific, checkable sentences saying when it is done.")
    estimated_duration_minutes: int | None = Field(None, gt=0, description="Under 20.")
    estimated_tokens: int | None = Field(None, gt=0, description="At most 20000.")

    @field_validator("assigned_to", mode="before")
    @classmethod
    def _master_name(cls, value: object) -> object:
        """``"Security-Master"`` is ``security``: the name, not its spelling, is what matters."""
        return normalize_master(value) if isinstance(value, str) else value


class PlannerAnswer(BaseModel):
    """What the external planner prints: the subtasks of one complex task."""

    model_config = ConfigDict(extra="ignore", title="PlannerAnswer")

    subtasks: list[PlannedSubtask] = Field(min_length=1, description="3-10 subtasks; stages follow from dependencies.")


assert set(get_args(Master)) == set(MASTERS)  # one list of masters


def answer_schema() -> dict[str, Any]:
    return PlannerAnswer.model_json_schema()


# --- finding the answer in what the command printed -----------------------------------

_START_RE = re.compile(r"\{\s*\"|\[\s*\{")


def find_answer(text: str) -> Any:
    """The JSON answer in ``text``: the whole text, else the last JSON object (or list of objects)
    that holds subtasks, wherever it is (in a fenced block, after prose, after a draft in a
    model's ``<think>`` section: the last is the answer). ``None`` when there is none."""
    text = text[:MAX_ANSWER_CHARS].strip()
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    decoder = json.JSONDecoder()
    found: list[Any] = []
    position, tries, budget = 0, 0, _MAX_SCAN
    while tries < _MAX_STARTS and budget > 0 and (start := _START_RE.search(text, position)) is not None:
        tries += 1
        at = start.start()
        window = text if len(text) - at <= budget else text[:at + budget]
        try:
            value, end = decoder.raw_decode(window, at)
        except json.JSONDecodeError as exc:
            budget -= exc.pos - at + 1
            position = at + 1
            continue
        except RecursionError:  # how far it read is not known: as far as it could
            budget -= len(window) - at
            position = at + 1
            continue
        budget -= end - at
        found.append(value)
        position = end
    answers = [v for v in found if (isinstance(v, dict) and "subtasks" in v) or _is_list_of_objects(v)]
    if answers:
        return answers[-1]
    return found[-1] if found else None


def _is_list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


# --- from the answer to a plan -------------------------------------------------------------


def plan_from_answer(text: str, task: QueueTask, decision: Classification, classifier: Classifier,
                     config: PlannerConfig, now: str) -> Plan:
    """The plan the answer ``text`` describes. :class:`PlanError` lists every problem, in words a
    model can act on (they are sent back to it in the repair round)."""
    raw = find_answer(text)
    if raw is None:
        raise PlanError([f"no JSON object found in the answer ({len(text)} characters)"])
    if isinstance(raw, list):
        raw = {"subtasks": raw}
    problems: list[str] = []
    try:
        source: Any = PlannerAnswer.model_validate(raw).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        problems = [_field_problem(error, raw) for error in exc.errors()[:20]]
        source = _loosened(raw)  # read it anyway, to name the plan's other problems in the same round
    try:
        drafts = drafts_from_json(source, classifier)
    except PlanError as exc:
        raise PlanError(problems or exc.problems) from exc
    problems += plan_rule_problems(drafts)
    try:
        plan = build_plan(task, decision, drafts, planner="external", config=config, now=now)
    except PlanError as exc:
        raise PlanError([*problems, *exc.problems], too_big=exc.too_big) from exc
    if problems:
        raise PlanError(problems)
    return plan


def _loosened(raw: Any) -> Any:
    """An answer the schema refused, cut to the fields it knows, masters it does not know dropped
    (the router picks one), so that the plan rules can still be checked."""
    entries = raw.get("subtasks") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        return raw
    known = set(PlannedSubtask.model_fields)
    return [{k: v for k, v in entry.items() if k in known
             and not (k == "assigned_to" and normalize_master(v) not in MASTERS)}
            if isinstance(entry, dict) else entry for entry in entries]


def _field_problem(error: Any, raw: Any) -> str:
    """``subtasks.2.assigned_to: Input should be ...`` with the subtask's id when it has one."""
    loc = list(error["loc"])
    where = ".".join(map(str, loc)) or "answer"
    if len(loc) >= 2 and loc[0] == "subtasks" and isinstance(loc[1], int):
        entries = raw.get("subtasks") if isinstance(raw, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        field = ".".join(map(str, loc[2:])) or "entry"
        where = f"subtask {name!r}: {field}" if isinstance(name, str) else f"subtask {loc[1] + 1}: {field}"
    return f"{where}: {error['msg']}"


_NOT_A_VERB = {"a", "an", "the", "its", "their", "our", "this", "that", "these", "those", "his", "her", "my"}
_DANGLING = {"a", "an", "the", "and", "or", "of", "to", "for", "with", "in", "on", "by", "as", "at", "from"}
_AFTER_THE_WORK = {"documentation": "documents", "deploy": "ships"}
_THE_WORK = {"implementation", "test"}


def plan_rule_problems(drafts: Sequence[Draft]) -> list[str]:
    """The rules of a good plan that the DAG rules do not cover: titles are whole imperative
    sentences, ids are whole words, criteria say more than the title, and documentation and
    deployment come after the work they document or ship."""
    problems: list[str] = []
    for d in drafts:
        words = d.title.rstrip(".").split()
        if len(words) < 2 or words[0].lower() in _NOT_A_VERB or words[-1].lower() in _DANGLING:
            problems.append(f"subtask {d.key!r}: title {d.title!r} is not a whole imperative sentence "
                            "(start with a verb, e.g. 'Implement the login API')")
        if d.key.rsplit("-", 1)[-1] in _DANGLING:
            problems.append(f"subtask {d.key!r}: the id ends in the middle of a phrase")
        if _plain(d.success_criteria) in {_plain(d.title), _plain(d.description)}:
            problems.append(f"subtask {d.key!r}: success_criteria repeat the title; say how to check it is done")
    graph = {d.key: list(d.dependencies) for d in drafts}
    if dag.validate(list(graph.items())):
        return problems  # build_plan names the graph's problems
    work = {d.key: dag.downstream(graph, d.key) for d in drafts if d.worker_type in _THE_WORK}
    for d in drafts:
        verb = _AFTER_THE_WORK.get(d.worker_type)
        if verb is None:
            continue
        later = dag.downstream(graph, d.key)
        beside = [key for key, after in work.items() if d.key not in after and key not in later]
        if beside:
            problems.append(f"subtask {d.key!r} ({d.worker_type}) must come after the work it {verb}: "
                            f"add a dependency on {', '.join(repr(k) for k in beside)}")
    return problems


def _plain(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()
