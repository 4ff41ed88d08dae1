"""The external planner in-process: its answer found in prose, checked against the schema and the
rules of a good plan, its prompt, the repair round and the shared time limit (a scripted ``run``
stands in for the command), the ready configurations, and the events of a rejected answer."""

from __future__ import annotations

import asyncio
import copy
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.classify import Classifier
from orchestrator.cli import main as cli_main
from orchestrator.config import Config, ConfigError, PlannerConfig, load_config
from orchestrator.doctor import examine_planner
from orchestrator.engine import Drafted, draft_now
from orchestrator.external import ExternalPlannerError, Rejection, consult
from orchestrator.models import QueueTask
from orchestrator.planner import PlanError
from orchestrator.planner_answer import answer_schema, find_answer, plan_from_answer
from orchestrator.planner_prompt import Feedback, PromptError, load_template, render

from planner_standin import GOOD, INVALID
from sim import Sim, task

CONFIG = Config()
CLASSIFIER = Classifier(CONFIG.classifier)
TASK = QueueTask.model_validate({"id": "t1", "title": "Add authentication system with security audit and docs",
                                 "description": "JWT sessions; keep $HOME and {braces} as they are.",
                                 "context": {"repository": "shop"}})
DECISION = CLASSIFIER.classify(TASK)


def plan_of(answer: Any) -> Any:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return plan_from_answer(text, TASK, DECISION, CLASSIFIER, CONFIG.planner, "2026-01-01T00:00:00Z")


def problems_of(answer: Any) -> list[str]:
    with pytest.raises(PlanError) as caught:
        plan_of(answer)
    return caught.value.problems


def changed(**edits: dict[str, Any]) -> dict[str, Any]:
    """GOOD with some subtasks' fields replaced (``None`` removes the field)."""
    answer = copy.deepcopy(GOOD)
    for entry in answer["subtasks"]:
        for key, value in edits.get(entry["id"], {}).items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
    return answer


# --- finding the answer ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    json.dumps(GOOD),
    f"Here is the plan:\n```json\n{json.dumps(GOOD, indent=2)}\n```\nLet me know {{if}} it helps.",
    f"Some {{braces}} and [brackets] first, then {json.dumps(GOOD)} and a closing remark [1].",
    f"<think>Maybe {json.dumps({'subtasks': [{'id': 'draft'}]})}? No.</think>\n{json.dumps(GOOD)}",
    f"A draft: {json.dumps({'subtasks': []})}\nThe final plan:\n```\n{json.dumps(GOOD)}\n```",
])
def test_the_answer_is_found_in_whatever_the_tool_printed(text: str) -> None:
    assert find_answer(text) == GOOD


def test_a_bare_list_of_subtasks_is_an_answer_too() -> None:
    assert find_answer(f"The plan: {json.dumps(GOOD['subtasks'])}") == GOOD["subtasks"]
    assert plan_of(GOOD["subtasks"]).planner == "external"


@pytest.mark.parametrize("text", ["", "I would build it in small steps.", "{" * 200_000, "[{" * 50_000, "[" * 100_000,
                                  '{"a": ' * 100_000])
def test_no_answer_is_found_where_there_is_none(text: str) -> None:
    assert find_answer(text) is None
    assert problems_of(text) == [f"no JSON object found in the answer ({len(text)} characters)"]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.sampled_from(["development", "security-master", "design", "backend", "Implement the API", "documentation"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["subtasks", "id", "title", "description", "assigned_to", "dependencies", "worker_type",
                         "files_affected", "success_criteria", "estimated_tokens", "stage", "subtask_id"]), inner,
        max_size=8),
    max_leaves=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON, st.text(max_size=30), st.text(max_size=30), st.booleans())
def test_any_answer_is_a_plan_or_a_list_of_problems(value: Any, before: str, after: str, fenced: bool) -> None:
    body = json.dumps(value)
    text = f"{before}\n```json\n{body}\n```\n{after}" if fenced else f"{before}{body}{after}"
    try:
        plan_of(text)
    except PlanError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


# --- checking it ----------------------------------------------------------------------------------


def test_a_good_answer_becomes_the_plan_with_stages_from_its_dependencies() -> None:
    plan = plan_of(GOOD)
    assert plan.planner == "external"
    assert plan.execution_plan == {"stage_1": ["orch-t1-design"], "stage_2": ["orch-t1-backend"],
                                   "stage_3": ["orch-t1-security-review"], "stage_4": ["orch-t1-docs"]}
    by_id = {s.subtask_id: s for s in plan.subtasks}
    assert by_id["orch-t1-security-review"].assigned_to == "security"  # "security-master" is a spelling
    assert by_id["orch-t1-backend"].success_criteria == GOOD["subtasks"][1]["success_criteria"]
    assert by_id["orch-t1-design"].files_affected == ["docs/auth-architecture.md"]


def test_fields_the_format_does_not_know_are_dropped_not_a_crash() -> None:
    plan = plan_of(changed(design={"stage": 3, "subtask_id": "x", "status": "done"}))
    assert plan.subtasks[0].stage == 1 and plan.subtasks[0].status == "pending"
    assert problems_of(changed(design={"stage": 3, "assigned_to": "ux"})) == [
        "subtask 'design': assigned_to: Input should be 'development', 'security', 'inventory' or 'cicd'"]


@pytest.mark.parametrize(("edits", "problem"), [
    ({"backend": {"assigned_to": "frontend"}},
     "subtask 'backend': assigned_to: Input should be 'development', 'security', 'inventory' or 'cicd'"),
    ({"backend": {"success_criteria": None}}, "subtask 'backend': success_criteria: Field required"),
    ({"backend": {"id": "Backend API"}}, "subtask 'Backend API': id: String should match pattern"),
    ({"backend": {"title": "The login API"}}, "subtask 'backend': title 'The login API' is not a whole imperative sentence"),
    ({"backend": {"title": "Implement the login API and"}}, "is not a whole imperative sentence"),
    ({"backend": {"id": "review-results-and", "dependencies": ["design"]}}, "the id ends in the middle of a phrase"),
    ({"backend": {"success_criteria": "Implement the login API."}}, "success_criteria repeat the title"),
    ({"docs": {"dependencies": ["design"]}},
     "subtask 'docs' (documentation) must come after the work it documents: add a dependency on 'backend'"),
    ({"docs": {"dependencies": ["ghost"]}}, "'docs' depends on unknown subtask 'ghost'"),
    ({"design": {"dependencies": ["docs"]}}, "dependency cycle: design -> docs -> security-review -> backend -> design"),
    ({"backend": {"files_affected": ["a.js", "b.js", "c.js", "d.js"]}}, "subtask 'backend' affects 4 files (> 3)"),
])
def test_each_broken_rule_is_named(edits: dict[str, Any], problem: str) -> None:
    answer = changed(**edits)
    if "id" in edits.get("backend", {}):
        answer["subtasks"][2]["dependencies"] = [edits["backend"]["id"]]
    assert any(problem in p for p in problems_of(answer)), problems_of(answer)


def test_a_deployment_beside_what_it_ships_is_refused_but_one_before_the_work_is_not() -> None:
    deploy = {"id": "deploy", "title": "Deploy the login API to staging", "description": "Ship it.",
              "assigned_to": "cicd", "worker_type": "deploy", "dependencies": ["design"],
              "success_criteria": "The staging health check of /login answers 200 after the release."}
    beside = changed()
    beside["subtasks"].append(deploy)
    assert any("'deploy' (deploy) must come after the work it ships: add a dependency on 'backend'" in p
               for p in problems_of(beside))
    first = changed(design={"dependencies": ["deploy"]})  # the cluster first, then the work on it
    first["subtasks"].append(deploy | {"dependencies": []})
    assert plan_of(first).planner == "external"


def test_too_few_subtasks_and_every_problem_at_once() -> None:
    problems = problems_of({"subtasks": [INVALID["subtasks"][0]]})
    assert problems == ["1 subtasks: a plan has 3-10"]
    assert problems_of(INVALID) == [  # every problem at once, so that one repair round can fix them all
        "subtask 'admin-ui': assigned_to: Input should be 'development', 'security', 'inventory' or 'cicd'",
        "subtask 'admin-ui': title 'The admin UI' is not a whole imperative sentence (start with a verb, "
        "e.g. 'Implement the login API')",
        "'docs' depends on unknown subtask 'ghost'",
    ]


def test_the_schema_is_generated_from_the_model_the_answer_is_checked_with() -> None:
    schema = answer_schema()
    entry = schema["$defs"]["PlannedSubtask"]
    assert entry["properties"]["assigned_to"]["enum"] == ["development", "security", "inventory", "cicd"]
    assert set(entry["required"]) == {"id", "title", "description", "assigned_to", "success_criteria"}


# --- the prompt ---------------------------------------------------------------------------------------


def test_the_shipped_prompt_has_the_masters_the_rules_the_schema_and_the_task() -> None:
    config = PlannerConfig(max_subtasks=7, max_files_per_subtask=2)
    prompt = render(load_template(None), TASK, config)
    for master in ("`development`", "`security`", "`inventory`", "`cicd`"):
        assert master in prompt
    assert "3 to 7 subtasks" in prompt and "at most\n  2 files" in prompt
    assert json.dumps(answer_schema(), indent=2) in prompt
    shown = json.loads(prompt.rsplit("```json\n", 1)[1].split("\n```", 1)[0])
    assert shown == {"id": "t1", "title": TASK.title, "description": TASK.description, "context": {"repository": "shop"}}
    assert "previous answer" not in prompt
    plan_of(find_answer(prompt.split("For example")[1]))  # the example in the prompt is itself a valid plan


def test_the_repair_prompt_carries_the_rejected_answer_and_every_reason() -> None:
    feedback = Feedback("not quite {json}", ["subtask 'a': title is missing", "2 subtasks: a plan has 3-10"])
    prompt = render(load_template(None), TASK, PlannerConfig(), feedback)
    assert prompt.startswith(render(load_template(None), TASK, PlannerConfig()).rstrip())
    assert "not quite {json}" in prompt
    assert "- subtask 'a': title is missing\n- 2 subtasks: a plan has 3-10" in prompt


def test_a_template_of_ones_own(tmp_path: Path) -> None:
    assert render("Plan this, $$5 budget: $task", TASK, PlannerConfig()).startswith("Plan this, $5 budget: {")
    fed = render("$task", TASK, PlannerConfig(), Feedback("x", ["bad"]))  # no $feedback: it follows the template
    assert fed.endswith("Answer again with the whole corrected plan: one JSON object, valid against the schema, "
                        "nothing else.\n") and "- bad" in fed
    with pytest.raises(PromptError, match=r"unknown placeholder\(s\) \$tsk"):
        render("Plan $tsk", TASK, PlannerConfig())
    with pytest.raises(PromptError, match=r"\$task is missing"):
        render("Plan it: $schema", TASK, PlannerConfig())
    with pytest.raises(PromptError, match="cannot read the prompt template"):
        load_template(str(tmp_path / "missing.md"))


def test_the_prompt_and_the_schema_are_printed_by_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = ["--coordination-dir", str(tmp_path)]
    assert cli_main(["plan", "--prompt", TASK.title, "--description", TASK.full_description, *folder]) == 0
    given = QueueTask(id="dry-run", title=TASK.title, description=TASK.full_description)
    assert capsys.readouterr().out == render(load_template(None), given, CONFIG.planner) + "\n"
    assert cli_main(["schema", "planner-answer"]) == 0
    assert json.loads(capsys.readouterr().out) == answer_schema()
    (tmp_path / "orchestrator").mkdir()
    (tmp_path / "orchestrator" / "mine.md").write_text("Plan $it")
    (tmp_path / "orchestrator" / "config.toml").write_text('[planner]\nprompt_file = "mine.md"\n')
    assert cli_main(["plan", "--prompt", TASK.title, *folder]) == 2
    assert "unknown placeholder(s) $it" in capsys.readouterr().err


def test_doctor_says_whether_the_external_planner_can_run(tmp_path: Path) -> None:
    assert [(f.level, f.what) for f in examine_planner(PlannerConfig())] == [
        ("ok", "planner: built-in (no external planner configured)")]
    missing = examine_planner(PlannerConfig(command=["no-such-llm-cli-here"]))
    assert [f.level for f in missing] == ["warning", "ok"] and "'no-such-llm-cli-here' is not found on PATH" in missing[0].what
    (tmp_path / "bad.md").write_text("Plan $it")
    broken = examine_planner(PlannerConfig(command=[sys.executable], prompt_file=str(tmp_path / "bad.md")))
    assert [f.level for f in broken] == ["ok", "problem"] and "unknown placeholder(s) $it" in broken[1].what


# --- the ready configurations ----------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "argv"), [
    ({}, None),
    ({"command": "claude"}, ["claude", "-p", "--output-format", "text"]),
    ({"command": "claude", "model": "sonnet"}, ["claude", "-p", "--output-format", "text", "--model", "sonnet"]),
    ({"command": "llm"}, ["llm"]),
    ({"command": "llm", "model": "gpt-4o-mini"}, ["llm", "-m", "gpt-4o-mini"]),
    ({"command": "ollama", "model": "llama3.1"}, ["ollama", "run", "llama3.1", "--format", "json"]),
    ({"command": ["my-planner", "--json"]}, ["my-planner", "--json"]),
    ({"command": ["llm"]}, ["llm"]),
])
def test_ready_commands_and_argv_lists(table: dict[str, Any], argv: list[str] | None) -> None:
    assert PlannerConfig.model_validate(table).external_command() == argv


@pytest.mark.parametrize(("table", "message"), [
    ({"command": "ollama"}, 'command "ollama" needs a model'),
    ({"command": ["my-planner"], "model": "x"}, "model is for a ready command"),
    ({"model": "x"}, "model is for a ready command"),
    ({"command": "gpt"}, r"'gpt' is not a ready command \(claude, llm, ollama\); an argv list runs anything else"),
    ({"command": []}, "an empty argv runs nothing"),
])
def test_a_wrong_planner_configuration_is_refused(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PlannerConfig.model_validate(table)


def test_the_prompt_file_is_found_next_to_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "prompt.md").write_text("Plan: $task")
    config_file = tmp_path / "conf" / "config.toml"
    config_file.write_text('[planner]\ncommand = "llm"\nprompt_file = "prompt.md"\n')
    config = load_config(config_file, tmp_path)
    assert config.planner.prompt_file == str(tmp_path / "conf" / "prompt.md")
    assert load_template(config.planner.prompt_file) == "Plan: $task"
    config_file.write_text('[planner]\nprompt_file = "nowhere.md"\n')
    with pytest.raises(ConfigError, match=r"planner\.prompt_file: .*nowhere\.md is not a readable file"):
        load_config(config_file, tmp_path)


# --- the repair round and the time limit (a scripted command) -----------------------------------------------


class Scripted:
    """Answers in turn; records each prompt and the time it was given."""

    def __init__(self, *answers: str | Exception, takes: float = 0.0) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.timeouts: list[float] = []
        self.takes = takes

    async def __call__(self, command: Sequence[str], stdin: bytes, timeout: float) -> str:
        self.prompts.append(stdin.decode())
        self.timeouts.append(timeout)
        await asyncio.sleep(self.takes)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def ask(run: Scripted, timeout: float = 60.0) -> Any:
    return asyncio.run(consult(
        ["planner"], lambda feedback: render(load_template(None), TASK, CONFIG.planner, feedback), plan_of, timeout, run))


def test_a_good_first_answer_is_taken_without_a_repair_round() -> None:
    run = Scripted(json.dumps(GOOD))
    consulted = ask(run)
    assert consulted.value.planner == "external" and consulted.rejected == ()
    assert len(run.prompts) == 1


def test_an_invalid_answer_is_sent_back_once_with_its_problems_and_the_repair_is_taken() -> None:
    run = Scripted(json.dumps(INVALID), f"Fixed:\n```json\n{json.dumps(GOOD)}\n```")
    consulted = ask(run)
    assert consulted.value.planner == "external"
    assert [r.round for r in consulted.rejected] == [1]
    assert consulted.rejected[0].problems == tuple(problems_of(INVALID))
    assert "Your previous answer was rejected" not in run.prompts[0]
    assert json.dumps(INVALID) in run.prompts[1]
    assert all(f"- {p}" in run.prompts[1] for p in problems_of(INVALID))


def test_an_answer_invalid_twice_gives_up_with_both_rejections() -> None:
    with pytest.raises(ExternalPlannerError) as caught:
        ask(Scripted(json.dumps(INVALID), "still thinking"))
    assert str(caught.value).startswith("answer still invalid after the repair round: no JSON object found")
    assert [r.round for r in caught.value.rejected] == [1, 2]


def test_a_failing_repair_round_says_so_and_keeps_the_first_rejection() -> None:
    with pytest.raises(ExternalPlannerError) as caught:
        ask(Scripted(json.dumps(INVALID), ExternalPlannerError("exit status 3: overloaded")))
    assert str(caught.value) == "repair round: exit status 3: overloaded"
    assert [r.round for r in caught.value.rejected] == [1]


def test_both_rounds_share_one_time_limit() -> None:
    run = Scripted(json.dumps(INVALID), json.dumps(GOOD), takes=0.02)
    ask(run, timeout=30.0)
    assert 29 < run.timeouts[0] <= 30.0 and run.timeouts[1] < run.timeouts[0] - 0.02
    with pytest.raises(ExternalPlannerError, match=r"no time left for the repair round \(0.01s for both rounds\)"):
        ask(Scripted(json.dumps(INVALID), json.dumps(GOOD), takes=0.02), timeout=0.01)


# --- in the daemon's core ---------------------------------------------------------------------------------


def test_rejected_answers_and_the_fallback_are_announced_before_the_plan_starts() -> None:
    sim = Sim(config={"planner": {"command": "llm"}})
    sim.start()
    sim.submit(task("t1", TASK.title, orchestration_required=True))
    later = sim.run("queue").plan_later
    assert [t.id for t, _ in later] == ["t1"]
    queued, decision = later[0]
    rejected = (Rejection(1, ("subtask 'a': title is missing",)), Rejection(2, ("no JSON object found",)))
    planned = draft_now(queued, decision, CLASSIFIER, sim.settings.config, "2026-01-01T00:00:00Z",
                        "external planner: answer still invalid after the repair round: no JSON object found", rejected)
    assert isinstance(planned, Drafted) and planned.plan is not None and planned.planner == "builtin"
    sim.core.begin_many([(queued, planned)])
    sim.core.outbox.flush()
    types = [e["type"] for e in sim.events()]
    assert types[types.index("planner_answer_rejected"):][:4] == [
        "planner_answer_rejected", "planner_answer_rejected", "planner_fallback", "orchestration_started"]
    first, second = sim.events("planner_answer_rejected")
    assert (first["round"], first["problems"], first["action"]) == (1, ["subtask 'a': title is missing"],
                                                                     "asked again with these problems")
    assert (second["round"], second["action"]) == (2, "used the built-in planner")
    assert sim.events("planner_fallback")[0]["reason"].startswith("external planner: answer still invalid")
    assert sim.events("orchestration_started")[0]["planner"] == "builtin"
