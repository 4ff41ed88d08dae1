"""Plans16: what is not work makes no part, the software template only where something is built, a step the text puts
first runs first, and a run's criteria fit what it runs. Each behaviour has its opposite (the same words as real work,
or a near case that must stay as it was). New phrasings, not the tasks of tests/data/tuning/plans16.json."""

from __future__ import annotations

import pytest

from orchestrator.imperatives import as_work
from orchestrator.models import Plan
from test_plan_wording import VERBS, plan_for, titles


def _stage(plan: Plan, start: str) -> int:
    return next(s.stage for s in plan.subtasks if s.title.startswith(start))


def _criteria(plan: Plan, start: str) -> str:
    return next(s.success_criteria for s in plan.subtasks if s.title.startswith(start))


def test_a_parenthesis_of_guesses_is_no_part_and_the_clause_it_sits_in_stays() -> None:
    plan = plan_for("Investigate the data leak", "Lock the exposed bucket, work out who downloaded the files (an "
                    "ex-employee? a scraper?), rotate the keys (prod and staging) and tell legal.")
    assert "Work out who downloaded the files" in titles(plan)  # the ask the guesses were about
    assert not any("?" in title or "scraper" in title for title in titles(plan))
    assert "Rotate the keys (prod and staging)" in titles(plan)  # a parenthesis with no question stays


@pytest.mark.parametrize("sentence", [
    "Cut-over June 12.",
    "Milestone: pilot by May 2, rollout June 1",
    "Launch date: 2027-03-01.",
    "Go-live of the new portal is on Friday.",
    "None of these steps depend on each other.",
])
def test_a_milestone_or_a_remark_on_the_parts_is_no_work(sentence: str) -> None:
    assert as_work(sentence, VERBS) is None


@pytest.mark.parametrize("sentence", [
    "Schedule the cut-over for June 12",
    "Launch the beta on March 3",
    "Plan the go-live with the clinics",
])
def test_the_same_milestone_words_with_a_verb_are_work(sentence: str) -> None:
    assert as_work(sentence, VERBS) == sentence


def test_a_milestone_sentence_makes_no_part_in_a_plan() -> None:
    plan = plan_for("Partner portal launch", "Build the partner portal, add SSO and write the admin guide. Cut-over June 12.")
    assert not any("June" in title for title in titles(plan))
    scheduled = plan_for("Partner portal launch",
                         "Build the partner portal, add SSO, write the admin guide and schedule the cut-over for June 12.")
    assert "Schedule the cut-over for June 12" in titles(scheduled)


def test_a_sentence_that_opens_with_first_runs_before_the_rest() -> None:
    plan = plan_for("Confluence upgrade", "First, back up the wiki database. Upgrade Confluence to 8.5, reindex the "
                    "search and check the macros.")
    backup = _stage(plan, "Back up the wiki database")
    assert backup < _stage(plan, "Upgrade Confluence") and backup < _stage(plan, "Reindex the search")


def test_first_before_a_then_is_left_to_the_writers_order() -> None:
    # "First X. Then Y": already in order; "first" is not moved into the title (it was once read as an adjective:
    # "Create the first ElastiCache cluster")
    plan = plan_for("Confluence upgrade", "First, back up the wiki database. Then upgrade Confluence to 8.5, reindex "
                    "the search and check the macros.")
    assert "Back up the wiki database" in titles(plan)
    assert _stage(plan, "Back up the wiki database") < _stage(plan, "Upgrade Confluence")


def test_work_that_runs_measures_or_writes_up_gets_no_design_nor_unit_tests() -> None:
    plan = plan_for("Kafka soak test", "Run a soak test of the queue for 24 hours, measure the consumer lag, raise the "
                    "partition count to what it shows and write up the results.")
    assert not any(title.startswith(("Design ", "Write tests for ")) for title in titles(plan))


def test_a_response_with_one_thing_to_build_tests_it_but_designs_no_architecture() -> None:
    plan = plan_for("Phishing response", "Block the sender domain, pull the phishing e-mail from every mailbox, add a "
                    "banner for external mail and reset the passwords of those who clicked.")
    assert not any(title.startswith("Design ") for title in titles(plan))
    assert any(title.startswith("Write tests for ") for title in titles(plan))
    # mostly things to build, one reset among them: a system, designed and tested
    built = plan_for("Mail banner feature", "Build a banner service for external mail, add a settings page for it, add "
                     "an API for the rules and reset the cache.")
    assert any(title.startswith("Design ") for title in titles(built))
    assert any(title.startswith("Write tests for ") for title in titles(built))


def test_an_incident_postmortem_is_a_report_not_code() -> None:
    plan = plan_for("Leaked database password", "Rotate the database password, revoke the old sessions and write the "
                    "postmortem.")
    assert not any(title.startswith(("Design ", "Write tests for ")) for title in titles(plan))


def test_a_runs_criteria_fit_what_it_runs() -> None:
    plan = plan_for("Release 2.0", "Run the unit tests, run a pen test of the API, run a load test of the API at 3x "
                    "peak, then deploy to production.")
    load = _criteria(plan, "Run a load test")
    assert "critical or high" not in load and "against its target" in load
    assert _criteria(plan, "Run the unit tests").startswith("The unit tests run and pass")
    assert "critical or high finding" in _criteria(plan, "Run a pen test")  # a security test keeps severities
    secure = plan_for("Release 2.0", "Run the security regression suite, then deploy to production and update the "
                      "changelog.")
    assert "critical or high finding" in _criteria(secure, "Run the security regression suite")


def test_a_build_with_its_deploy_steps_is_still_designed() -> None:
    # deploy steps are no response actions: a service scaffolded, built, packaged and deployed is designed first
    plan = plan_for("Ledger service", "Scaffold the ledger repository, implement the API, write the Dockerfile, set up "
                    "the Helm chart and deploy to staging.")
    assert any(title.startswith("Design ") for title in titles(plan))


def test_a_pronoun_part_at_its_sentences_start_names_the_thing_the_sentence_before_is_about() -> None:
    plan = plan_for("Jenkins retirement", "The staging Jenkins server still runs on Ubuntu 16. Retire it, move its jobs "
                    "to GitHub Actions and update the service catalog.")
    assert "Retire the staging Jenkins server" in titles(plan)
    moved = plan_for("Cron move", "The legacy cron jobs still run on the old box. Move them to Kubernetes, add alerts for "
                     "failed runs and update the runbook.")
    assert "Move the legacy cron jobs to Kubernetes" in titles(moved)  # what follows the pronoun stays


def test_a_pronoun_inside_its_sentence_or_of_another_number_is_left_alone() -> None:
    # "sign it": the installer the part before it builds, not a thing of another sentence
    plan = plan_for("Kiosk release", "Build the kiosk installer, sign it, upload it to the device portal and update the "
                    "runbook.")
    assert {"Sign it", "Upload it to the device portal"} <= set(titles(plan))
    # "them" is not the one box the sentence before is about
    other = plan_for("Cron move", "The legacy cron box still runs nightly. Move them to Kubernetes, add alerts for "
                     "failed runs and update the runbook.")
    assert "Move them to Kubernetes" in titles(other)


def test_a_check_made_with_someone_stays_one_part_with_what_it_checks() -> None:
    plan = plan_for("Pricing", "Update the prices, roll out to production, and confirm with finance that the invoices "
                    "are right after the rollout.")
    assert "Confirm with finance that the invoices are right after the rollout" in titles(plan)
    assert "Confirm" not in titles(plan)
    # "with" and a thing, no "that": the work is still done with it, as before
    tool = plan_for("Pricing", "Update the prices with the pricing tool, roll out to production and tell support.")
    assert "Update the prices with the pricing tool" in titles(tool)


def test_what_the_text_puts_first_runs_before_an_operations_step_that_prepares_the_work_after_it() -> None:
    # "Build the installers" runs before the signing of its sentence; the branch frozen first runs before both
    plan = plan_for("Release the desktop app 5.1", "First, cut the release branch. Package the installers, get the "
                    "notarisation approved by security, then publish the installers to the update server.")
    assert _stage(plan, "Cut the release branch") < _stage(plan, "Package the installers")
    assert _stage(plan, "Package the installers") < _stage(plan, "Get the notarisation approved")
