"""Plans for work that builds no software: people's accounts, a host switched off, follow-up action items, cost work.

Such work is a set of actions for their masters, side by side unless the writer orders them, with criteria that fit
each action; the software template (design -> implement -> tests -> deploy) stays for work that builds something.
Each case has its opposite: what must keep its shape. The sentences are new phrasings, not tasks of the corpora.
"""

from __future__ import annotations

import pytest

from orchestrator import planner
from orchestrator.classify import Classifier
from orchestrator.imperatives import as_work
from orchestrator.models import Plan, QueueTask
from orchestrator.planner import build_plan, builtin_drafts
from test_plan_wording import CONFIG, VERBS, plan_for, titles

MODELLED = Classifier(CONFIG.classifier)
"""With the built-in learned model, as the daemon and the CLI run it (the wording tests run the rules alone)."""


def modelled_plan(title: str, description: str) -> Plan:
    task = QueueTask.model_validate({"id": "t-1", "status": "pending", "title": title, "description": description})
    return build_plan(task, MODELLED.classify(task), builtin_drafts(task, MODELLED, CONFIG.planner),
                      planner="builtin", config=CONFIG.planner, now="2025-11-05T18:00:00.000Z")


def stage_of(plan: Plan, title: str) -> int:
    return next(s.stage for s in plan.subtasks if s.title == title)


def sub(plan: Plan, title: str) -> tuple[str, str, str]:
    found = next(s for s in plan.subtasks if s.title == title)
    return found.assigned_to, found.worker_type, found.success_criteria


def templated(plan: Plan) -> list[str]:
    return [t for t in titles(plan) if t.startswith(("Design ", "Write tests for "))]


# --- criteria fit the part -------------------------------------------------------------------------------------------


def test_a_deploy_criterion_is_only_for_a_part_that_puts_something_out() -> None:
    plan = plan_for("Release 4.2 of the gateway", "Deploy the gateway to production, set up the staged rollout, "
                    "add a Grafana alert on 5xx rates, and take the old nodes off the on-call rotation.")
    assert "health checks" in sub(plan, "Deploy the gateway to production")[2]
    assert "health checks" in sub(plan, "Set up the staged rollout")[2]  # names its release
    assert "health checks" not in sub(plan, "Add a Grafana alert on 5xx rates")[2]
    assert "health checks" not in sub(plan, "Take the old nodes off the on-call rotation")[2]


# --- a part's master is routed from its own words ----------------------------------------------------------------------


def test_an_imperative_no_rule_reads_is_routed_as_the_classifier_routes_a_task() -> None:
    plan = modelled_plan("Offboard Sam Ortiz", "Disable their SSO account and AWS IAM user, remove sam.ortiz from the "
                    "GitHub org, and rotate the shared staging DB password.")
    assert sub(plan, "Disable their SSO account and AWS IAM user")[0] == "security"
    # its opposite: what makes a thing stays development's, whatever the model thinks of it
    built = modelled_plan("Replace the ERP integration", "Build the API connector, migrate the open orders, "
                     "and deploy it.")
    assert sub(built, "Build the API connector")[0] == "development"


def test_a_migration_of_code_or_data_stays_the_rules_own() -> None:
    plan = modelled_plan("Migrate the billing service to the new database, then update its docs and dashboards", "")
    assert sub(plan, "Migrate the billing service to the new database")[:2] == ("development", "implementation")
    assert stage_of(plan, "Design billing service architecture") == 1


def test_the_model_sends_no_part_to_inventory() -> None:
    route = planner._part_route("Give each pipeline its own service account", MODELLED, True)
    assert route.master != "inventory"
    assert planner._part_route("List every repository still on Go 1.21", MODELLED, True).master == "inventory"


# --- context is not a part -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sentence", [
    "Jira ticket OPS-5120.",  # where the request comes from
    "Board ask.",  # why
    "Top priority.",
    "Begins Tuesday.",  # when, without a preposition
    "Quarterly action items:",  # a heading over its list
    "Frontend, backend and infra work.",  # a summary of the areas
    "Analysts wait a week for each extract.",  # what people put up with
])
def test_context_fragments_are_not_work(sentence: str) -> None:
    assert as_work(sentence, VERBS) is None


@pytest.mark.parametrize(("sentence", "work"), [
    ("Dark mode.", "Dark mode."),  # a thing to make, though verbless
    ("Analysts export a report each week", "Let analysts export a report each week"),  # a capability
    ("Deploy the app on Tuesday", "Deploy the app on Tuesday"),
    ("Add to the admin page:", "Add to the admin page:"),  # a heading whose verb its list takes
    ("Goals: automate the promotion, drop the old replica", "Automate the promotion, drop the old replica"),
])
def test_work_stays_work(sentence: str, work: str) -> None:
    assert as_work(sentence, VERBS) == work


def test_a_goals_label_gives_the_planner_the_parts_the_classifier_counted() -> None:
    plan = plan_for("Epic: move CI off TeamCity", "9 repos still build on teamcity-02. Goals: port each build "
                    "config to a GitLab pipeline, move the deploy tokens to Vault, then decommission teamcity-02.")
    assert {"Port each build config to a GitLab pipeline", "Move the deploy tokens to Vault",
            "Decommission teamcity-02"} <= set(titles(plan))
    assert not any(t.startswith(("Plan the work on", "Review the results of")) for t in titles(plan))
    # its opposite: an outcome under the label is the task's aim, no part
    assert as_work("Goal: fewer pages at night", VERBS) is None


def test_fragments_are_left_out_of_a_plan() -> None:
    plan = plan_for("Offboard Lee Park (last day Thursday)", "People ticket PPL-208. Remove lee.park from the "
                    "GitHub org, disable their Okta account, and take them off the PagerDuty rotation.")
    assert not any("PPL-208" in t for t in titles(plan))
    cost = plan_for("Q2: cut GCP spend by 15%", "Finance target. Delete idle disks, rightsize the top 5 VMs, and "
                    "move batch jobs to spot instances.")
    assert not any("target" in t.lower() for t in titles(cost))
    summary = plan_for("Build an uptime tracker", "Build an uptime tracker: 1) probe runner, 2) results store, "
                       "3) status page. Backend, frontend and alerting work.")
    assert not any(t.endswith(("the backend", "the frontend", "alerting work")) for t in titles(summary))


# --- nothing built: no software template, actions side by side ------------------------------------------------------------


def test_an_offboarding_is_actions_side_by_side_without_a_software_template() -> None:
    plan = plan_for("Offboard Lee Park (last day Thursday)", "Remove lee.park from the GitHub org, disable their "
                    "Okta account, rotate the shared VPN key they knew, and take them off the PagerDuty rotation.")
    assert templated(plan) == []
    assert {s.stage for s in plan.subtasks} == {1}  # "take them off" names the person: it waits for nothing
    assert "no longer have it" in sub(plan, "Take them off the PagerDuty rotation")[2]


def test_an_onboarding_adds_the_person_to_each_place_and_creates_nothing() -> None:
    plan = plan_for("Onboard new analyst Ana Silva", "Starts Tuesday. Add ana.s to GitHub team 'data', Okta group "
                    "'analysts-ro', Looker as viewer, and PagerDuty as a shadow.")
    assert {"Add ana.s to GitHub team 'data'", "Add ana.s to Okta group 'analysts-ro'", "Add ana.s to Looker as viewer",
            "Add ana.s to PagerDuty as a shadow"} == set(titles(plan))
    assert templated(plan) == []
    assert {s.stage for s in plan.subtasks} == {1}
    assert all("gives no more than asked" in s.success_criteria for s in plan.subtasks)


def test_a_decommission_switches_off_last_and_does_not_repeat_its_title() -> None:
    plan = plan_for("Decommission the old jump host jump-02", "Replaced by Teleport in May. Remove it from the CMDB, "
                    "delete the jump.internal DNS record, and terminate the instance.")
    assert "Decommission the old jump host jump-02" not in titles(plan)
    assert templated(plan) == []
    assert stage_of(plan, "Terminate the instance") > stage_of(plan, "Delete the jump.internal DNS record")
    # its opposite: a title alone is still planned
    assert "Decommission the old jump host jump-02" in titles(plan_for("Decommission the old jump host jump-02"))


def test_follow_up_action_items_are_a_list_not_steps() -> None:
    plan = plan_for("INC-4410 follow-ups: login outage", "Postmortem action items:\n1. Add an alert on Redis "
                    "memory above 90%.\n2. Raise the Redis maxmemory from 4 to 8 GB and document it.\n3. Fix the "
                    "session retry loop in auth-api.\n4. Publish the postmortem and review it at the ops review.")
    assert not any(t.startswith("Set up the Postmortem") or t.endswith(":") for t in titles(plan))
    assert templated(plan) == []
    assert {s.stage for s in plan.subtasks} == {1}
    assert sub(plan, "Raise the Redis maxmemory from 4 to 8 GB and document it")[1] != "documentation"
    # its opposite: numbered steps of a migration stay in the writer's order
    steps = plan_for("Move reporting to BigQuery", "1. Export the tables from MySQL\n2. Load them into BigQuery\n"
                     "3. Repoint the dashboards at BigQuery")
    order = [stage_of(steps, t) for t in ("Export the tables from MySQL", "Load them into BigQuery",
                                          "Repoint the dashboards at BigQuery")]
    assert order == sorted(order) and len(set(order)) == 3


def test_a_software_build_keeps_its_design_build_tests_review_docs_shape() -> None:
    plan = plan_for("Build a customer portal", "Build a customer portal with login and invoices, have security "
                    "review it, write tests, and document it.")
    workers = [s.worker_type for s in sorted(plan.subtasks, key=lambda s: s.stage)]
    assert workers == ["planner", "implementation", "test", "audit", "documentation"]
    # a thing built for people is still built, though its title names them
    portal = plan_for("Build an onboarding portal for new hires", "Build the portal, a checklist page and an admin view.")
    assert len(templated(portal)) == 2


def test_a_pronoun_outside_a_place_of_people_is_what_the_part_before_made() -> None:
    plan = plan_for("Laptops for the new office", "Order 4 laptops, image them, and ship them to Lisbon.")
    assert stage_of(plan, "Image them") > stage_of(plan, "Order 4 laptops")
    assert planner._placed("Move them to Kubernetes CronJobs") == ""
    assert planner._placed("Take them off the on-call rotation") == "Take them off "
    assert planner._placed("Add config.yaml to the repo") == ""


def test_a_relative_clause_keeps_its_second_verb() -> None:
    assert planner._rejoined(["a pipeline that creates one env per PR", "tears it down on merge"]) == \
        ["a pipeline that creates one env per PR and tears it down on merge"]
    assert planner._rejoined(["a pipeline that creates one env per PR", "dashboards for each team"]) == \
        ["a pipeline that creates one env per PR", "dashboards for each team"]


@pytest.mark.parametrize("description", [
    "Add kim.l to GitHub team 'infra', the Okta SSO group 'sre', and the Kubernetes cluster admins.",
    "Set up her VPN profile, add kim.l to the Okta SSO group 'sre', and create her Grafana account.",
])
def test_an_onboarding_titled_so_builds_nothing_though_its_parts_name_software(description: str) -> None:
    plan = plan_for("Onboard new SRE Kim Lee", description)
    assert templated(plan) == []
    assert {s.stage for s in plan.subtasks} == {1}  # no operations step "prepares" the others


def test_a_switch_off_titled_so_builds_nothing_though_a_part_adds_something() -> None:
    plan = plan_for("Decommission the legacy reporting server rpt-01", "Export its reports to S3, add a redirect "
                    "from rpt.internal to the new dashboards, and update the service catalog.")
    assert templated(plan) == []


def test_a_switch_off_title_is_the_sum_of_its_steps_not_a_step_of_its_own() -> None:
    title = "Decommission the old jump host jump-02"
    assert title not in titles(plan_for(title, "Remove it from the CMDB, delete the DNS record, and revoke its SSH "
                                               "keys."))
    assert title in titles(plan_for(title, "Remove it from the CMDB."))  # one step is not the whole of it


def test_a_change_and_its_record_is_the_change() -> None:
    plan = plan_for("INC-1 follow-ups", "Action items:\n1. Add an alert on pool saturation.\n2. Raise pgpool "
                    "max_connections from 400 to 1000 on the prod pool and document it.\n3. Publish the postmortem.")
    change = "Raise pgpool max_connections from 400 to 1000 on the prod pool and document it"
    assert sub(plan, change)[1] != "documentation"
    assert not any(t.startswith("Document the Raise") for t in titles(plan))


def test_an_item_that_only_looks_like_a_second_verb_stays_an_item() -> None:
    assert planner._rejoined(["a status page for each region", "reports the support team needs"]) == \
        ["a status page for each region", "reports the support team needs"]
