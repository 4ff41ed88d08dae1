"""Decomposition into plans: the seed's example, the design principles, the limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.classify import Classifier
from orchestrator.config import Config
from orchestrator.models import Plan, QueueTask
from orchestrator.planner import PlanError, build_plan, builtin_drafts, drafts_from_json

CONFIG = Config()
CLASSIFIER = Classifier(CONFIG.classifier)


def plan_for(**fields: object) -> Plan:
    task = QueueTask.model_validate({"id": "task-1762342920", "status": "pending", **fields})
    drafts = (drafts_from_json(task.subtasks, CLASSIFIER) if task.subtasks is not None
              else builtin_drafts(task, CLASSIFIER, CONFIG.planner))
    return build_plan(task, CLASSIFIER.classify(task), drafts, planner="builtin", config=CONFIG.planner,
                      now="2025-11-05T18:00:00.000Z")


def shape(plan: Plan) -> list[list[tuple[str, str]]]:
    by_id = {s.subtask_id: s for s in plan.subtasks}
    return [[(by_id[i].assigned_to, by_id[i].worker_type) for i in ids] for ids in plan.execution_plan.values()]


def test_seed_authentication_example_comes_out_as_the_seed_shows() -> None:
    plan = plan_for(title="Add authentication system with security audit and docs")
    assert shape(plan) == [
        [("development", "planner")],
        [("development", "implementation"), ("development", "implementation")],
        [("development", "test")],
        [("security", "audit")],
        [("development", "documentation")],
    ]
    titles = [s.title for s in plan.subtasks]
    assert "backend" in titles[1] and "frontend" in titles[2]
    estimate = plan.resource_estimate
    assert estimate.total_subtasks == 6
    assert estimate.masters == ["development", "security"]
    assert estimate.workers == 6  # one per subtask (the seed says 8: it counted the 2 masters as workers too)
    assert estimate.parallelization_possible
    assert any(b.startswith("stage_3") for b in estimate.bottlenecks)
    assert estimate.duration_minutes_min <= estimate.duration_minutes_max
    assert plan.status == "planning"


LABELLED = json.loads((Path(__file__).parent / "data" / "labelled_tasks.json").read_text())
COMPLEX = [item["task"] for item in LABELLED if item["label"]["decision"] == "complex"]


def assert_follows_principles(plan: Plan) -> None:
    limits = CONFIG.planner
    assert limits.min_subtasks <= len(plan.subtasks) <= limits.max_subtasks
    assert len(plan.execution_plan) <= limits.max_stages
    ids = [s.subtask_id for s in plan.subtasks]
    assert len(set(ids)) == len(ids)
    stage_of = {i: n for n, stage in enumerate(plan.execution_plan.values(), 1) for i in stage}
    assert sorted(stage_of) == sorted(ids)
    for s in plan.subtasks:
        assert s.subtask_id.startswith(f"{plan.orchestration_id}-")  # unique across the folder
        assert s.assigned_to in ("development", "security", "inventory", "cicd")  # exactly one master
        assert s.success_criteria and s.title and s.description  # measurable
        assert s.estimated_duration_minutes <= limits.max_subtask_minutes  # time-boxed
        assert s.estimated_tokens <= limits.max_subtask_tokens
        assert len(s.files_affected) <= limits.max_files_per_subtask  # file-scoped
        assert all(stage_of[d] < stage_of[s.subtask_id] for d in s.dependencies)  # explicit, earlier
        assert s.stage == stage_of[s.subtask_id]


@pytest.mark.parametrize("fields", COMPLEX, ids=[t["id"] for t in COMPLEX])
def test_every_labelled_complex_task_gets_a_valid_plan(fields: dict) -> None:
    assert_follows_principles(plan_for(**{k: v for k, v in fields.items() if k != "id"}))


words = st.sampled_from(["add", "build", "auth", "api", "deploy", "then", "audit", "docs", "and", ",", "→", "1)",
                         "2)", "3)", "tests", "the", "system", "with", "fix", "scan", "list", "repos", ":", "src/a.py",
                         "frontend", "backend", "release", "finally", "helm", ".", "-", "x"])


@given(st.lists(words, min_size=1, max_size=40).map(" ".join), st.lists(words, max_size=60).map(" ".join))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_gives_a_valid_plan_or_a_clear_refusal(title: str, description: str) -> None:
    try:
        plan = plan_for(title=title, description=description, orchestration_required=True)
    except PlanError as error:
        assert error.problems
        return
    assert_follows_principles(plan)


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "Add authentication system with security audit and docs"},
        {"title": "Refactor API layer, update tests, and deploy"},
        {"title": "Build new feature: design → implement → test → audit → document"},
        {"title": "Build a token cost tracker", "orchestration_required": True,
         "context": {"description": "1) collector, 2) cost store, 3) dashboard panel, 4) budget alerts, 5) cost API"}},
        {"title": "Migrate the users table, then update the API, then deploy to staging"},
        {"title": "Audit all services for OWASP top 10", "orchestration_required": True},
        {"title": "Ship it", "orchestration_required": True,
         "context": {"deliverables": [f"src/m{i}.py" for i in range(9)]}},
    ],
)
def test_every_plan_follows_the_subtask_design_principles(fields: dict) -> None:
    assert_follows_principles(plan_for(**fields))


def test_deliverables_are_spread_so_no_subtask_touches_more_than_three_files() -> None:
    plan = plan_for(title="Ship it", orchestration_required=True,
                    context={"deliverables": [f"src/m{i}.py" for i in range(9)]})
    files = [f for s in plan.subtasks for f in s.files_affected]
    assert sorted(f for f in files if f.startswith("src/")) == sorted(f"src/m{i}.py" for i in range(9))


def test_same_task_same_plan() -> None:
    fields = {"title": "Refactor API layer, update tests, and deploy"}
    assert plan_for(**fields).model_dump() == plan_for(**fields).model_dump()


def test_more_than_ten_stages_is_refused_with_a_request_to_split() -> None:
    steps = " → ".join(f"step {n}" for n in range(1, 12))
    subtasks = [{"id": f"s{n}", "title": f"Step {n}", "dependencies": [f"s{n - 1}"] if n > 1 else []}
                for n in range(1, 11)]
    subtasks.append({"id": "s11", "title": "Step 11", "dependencies": ["s10"]})
    with pytest.raises(PlanError) as error:
        plan_for(title=f"Do {steps}", orchestration_required=True)
    assert error.value.too_big
    with pytest.raises(PlanError) as error:
        plan_for(title="Long chain", subtasks=subtasks)
    assert error.value.too_big and "11 subtasks" in str(error.value)


def test_a_chain_of_ten_subtasks_fills_ten_stages() -> None:
    subtasks = [{"id": f"s{n}", "title": f"Step {n}", "dependencies": [f"s{n - 1}"] if n > 1 else []}
                for n in range(1, 11)]
    plan = plan_for(title="Long chain", subtasks=subtasks)
    assert len(plan.execution_plan) == 10


def test_a_task_that_brings_its_own_subtasks_is_planned_from_them() -> None:
    plan = plan_for(title="Custom", subtasks=[
        {"id": "scan", "title": "Scan for secrets", "assigned_to": "security-master"},
        {"id": "fix", "title": "Remove leaked keys", "dependencies": ["scan"], "files_affected": ["a.env"]},
        {"id": "doc", "title": "Write the incident note", "dependencies": ["fix"], "owner_team": "sre"},
    ])
    assert [s.subtask_id for s in plan.subtasks] == ["orch-task-1762342920-scan", "orch-task-1762342920-fix",
                                                     "orch-task-1762342920-doc"]
    assert plan.subtasks[0].assigned_to == "security"
    assert plan.subtasks[1].dependencies == ["orch-task-1762342920-scan"]
    assert plan.subtasks[2].model_extra == {"owner_team": "sre"}  # fields we do not know survive


@pytest.mark.parametrize(
    ("subtasks", "problem"),
    [
        ([{"id": "a", "title": "A", "dependencies": ["b"]}, {"id": "b", "title": "B", "dependencies": ["c"]},
          {"id": "c", "title": "C", "dependencies": ["a"]}], "dependency cycle: a -> b -> c -> a"),
        ([{"id": "a", "title": "A"}, {"id": "b", "title": "B", "dependencies": ["zz"]}, {"id": "c", "title": "C"}],
         "'b' depends on unknown subtask 'zz'"),
        ([{"id": "a", "title": "A", "dependencies": ["a"]}, {"id": "b", "title": "B"}, {"id": "c", "title": "C"}],
         "'a' depends on itself"),
        ([{"id": "a", "title": "A"}, {"id": "a", "title": "B"}, {"id": "c", "title": "C"}], "duplicate subtask id 'a'"),
        ([{"id": "../etc", "title": "A"}], "not a safe name"),
        ([{"id": "a", "title": "A", "assigned_to": "marketing"}], "unknown master 'marketing'"),
        ([{"id": "a"}], "title is missing"),
        ("not a list", "subtasks must be a list"),
        ([{"id": "a", "title": "A"}, {"id": "b", "title": "B"}], "2 subtasks: a plan has 3-10"),
        ([{"id": "a", "title": "A", "estimated_duration_minutes": 45}, {"id": "b", "title": "B"},
          {"id": "c", "title": "C"}], "estimated at 45 min"),
        ([{"id": "a", "title": "A", "files_affected": ["1", "2", "3", "4"]}, {"id": "b", "title": "B"},
          {"id": "c", "title": "C"}], "affects 4 files"),
    ],
)
def test_invalid_subtask_lists_are_refused_with_the_reason(subtasks: object, problem: str) -> None:
    with pytest.raises(PlanError) as error:
        plan_for(title="Custom", subtasks=subtasks)
    assert problem in str(error.value)


def test_a_title_repeated_in_the_description_is_not_planned_twice() -> None:
    title = "Add authentication system with security audit and docs"
    assert shape(plan_for(title=title, description=title)) == shape(plan_for(title=title))


# --- parts of work read as a writer means them (issue 11: the README's plans) ------------------------------


def titles_by_stage(plan: Plan) -> list[list[str]]:
    by_id = {s.subtask_id: s for s in plan.subtasks}
    return [[by_id[i].title for i in ids] for ids in plan.execution_plan.values()]


def test_a_leaked_credential_is_revoked_rotated_scanned_then_redeployed() -> None:
    plan = plan_for(title="Rotate every credential exposed in the leaked .env file",
                    description="The .env of the billing service was pushed to a public gist. Revoke the AWS keys and "
                                "the Stripe key, rotate the database password, scan the repository history for other "
                                "secrets, and redeploy billing with the new values.")
    titles = [title for stage in titles_by_stage(plan) for title in stage]
    assert not any("gist" in title for title in titles)  # what already happened is not a part (R3)
    assert "Revoke the AWS keys and the Stripe key" in titles  # a second object stays with its verb
    assert "Redeploy billing with the new values" in titles  # "with the new values" qualifies it
    by_title = {s.title: s for s in plan.subtasks}
    assert by_title["Revoke the AWS keys and the Stripe key"].worker_type == "implementation"  # a change, not an audit
    assert by_title["Revoke the AWS keys and the Stripe key"].assigned_to == "security"
    assert by_title["Scan the repository history for other secrets"].worker_type == "audit"
    assert titles_by_stage(plan)[-1] == ["Redeploy billing with the new values"]


def test_a_qualifier_after_with_is_not_a_part_and_any_verb_keeps_its_part() -> None:
    plan = plan_for(title="Prepare the SOC 2 asset inventory",
                    description="List every repository with production access, record the owner and data classification "
                                "of each service in the catalog, export last quarter's access reviews, and document the gaps.")
    titles = [title for stage in titles_by_stage(plan) for title in stage]
    assert titles[:3] == ["List every repository with production access",
                          "Record the owner and data classification of each service in the catalog",
                          "Export last quarter's access reviews"]
    assert {s.assigned_to for s in plan.subtasks} == {"inventory", "development"}
    assert not any(s.worker_type == "planner" for s in plan.subtasks)  # nothing to design: no "Design Prepare ..."


def test_then_orders_work_only_before_a_verb_and_a_cut_over_comes_last() -> None:
    plan = plan_for(title="Move the web app from Heroku to Kubernetes",
                    description="Containerize the app, write the Helm chart, set up a GitHub Actions pipeline that "
                                "deploys to staging and then production, and switch DNS.")
    stages = titles_by_stage(plan)
    assert stages[0][0] == "Containerize the app"  # not "Deploy the Containerize the app"
    assert not any("Deploy the production" in title for stage in stages for title in stage)
    assert stages[-1] == ["Switch DNS"]


def test_a_topic_stops_before_from_and_criteria_parse_whatever_the_verb() -> None:
    plan = plan_for(title="Migrate the orders service from MySQL to PostgreSQL",
                    description="Find the queries that use MySQL-only syntax, port the schema and the queries, backfill "
                                "the data, run both databases side by side for a week, then cut over and deploy.")
    by_title = {s.title: s for s in plan.subtasks}
    assert "Design orders service architecture" in by_title and "Write tests for orders service" in by_title
    criteria = by_title["Run both databases side by side for a week"].success_criteria
    assert not criteria.startswith("Run both databases") and "run both databases side by side" in criteria
    assert titles_by_stage(plan)[-1] == ["Cut over"]
