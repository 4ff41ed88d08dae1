"""Parts that use another part's output wait for it; a check made with someone waits for what it checks (plans17;
each case has an opposite: independent parts stay side by side). New phrasings, not the tasks of
tests/data/tuning/plans17.json."""

from __future__ import annotations

from orchestrator.models import Plan
from test_plan_wording import plan_for


def _stage(plan: Plan, start: str) -> int:
    return next(s.stage for s in plan.subtasks if s.title.startswith(start))


def test_triage_and_fixes_wait_for_the_review_whose_findings_they_use() -> None:
    plan = plan_for("Red-team exercise on the claims portal",
                    "Have the red team attack the claims portal, triage whatever they uncover, patch the critical "
                    "findings in the claims service, deploy the patched service and brief the board.")
    assert _stage(plan, "Have the red team") < _stage(plan, "Triage whatever they uncover") \
        < _stage(plan, "Patch the critical findings")


def test_a_part_using_results_named_by_their_source_waits_for_that_part() -> None:
    plan = plan_for("Ingest pipeline capacity",
                    "Run a soak test of the ingest pipeline for 12 hours, chart the throughput from the soak test "
                    "results, and resize the Kafka partitions to what the charts show.")
    assert _stage(plan, "Run a soak test") < _stage(plan, "Chart the throughput")


def test_a_thing_the_scan_finds_waits_for_the_scan() -> None:
    plan = plan_for("Exposed S3 buckets",
                    "Scan every AWS account for public S3 buckets, lock down each bucket the scan finds, enable "
                    "block-public-access at the org level and report the numbers to the CTO.")
    assert _stage(plan, "Scan every AWS account") < _stage(plan, "Lock down each bucket")
    assert _stage(plan, "Scan every AWS account") < _stage(plan, "Report the numbers")


def test_findings_from_before_this_work_bind_to_no_part_and_stay_beside_it() -> None:
    plan = plan_for("Compliance chores for the quarter",
                    "Run a new scan of the VPN appliances, fix the findings from last quarter's external audit, "
                    "and renew the firewall support contract.")
    assert _stage(plan, "Fix the findings from last quarter") <= _stage(plan, "Run a new scan")


def test_results_that_name_a_thing_not_an_output_order_nothing() -> None:
    plan = plan_for("Catalog search improvements",
                    "Benchmark the product catalog queries, add fuzzy matching to the search results page and "
                    "highlight the matched words in the results list.")
    assert _stage(plan, "Add fuzzy matching") <= _stage(plan, "Benchmark the product catalog")


def test_the_new_thing_a_part_builds_is_used_after_it() -> None:
    plan = plan_for("Harden the CI runners",
                    "Build a new runner image on Ubuntu 24.04, run a CIS benchmark scan of the new image, and roll "
                    "out the new image to the autoscaling group.")
    assert _stage(plan, "Build a new runner image") < _stage(plan, "Run a CIS benchmark scan") \
        < _stage(plan, "Roll out the new image")


def test_a_new_thing_no_part_makes_waits_for_nothing() -> None:
    plan = plan_for("Kiosk refresh in the branches",
                    "Update the kiosk firmware on every device, install the new kiosk software from the vendor and "
                    "document the reset procedure for branch staff.")
    assert _stage(plan, "Install the new kiosk software") <= _stage(plan, "Update the kiosk firmware")


def test_a_check_made_with_someone_waits_for_what_it_checks() -> None:
    plan = plan_for("Duplicate payouts to sellers",
                    "Fix the payout scheduler, deploy the fix to production and verify with the payments team that "
                    "no seller was paid twice.")
    assert _stage(plan, "Deploy the fix") < _stage(plan, "Verify with the payments team")
    assert _stage(plan, "Fix the payout scheduler") < _stage(plan, "Deploy the fix")


def test_a_check_with_someone_written_first_is_a_question_before_the_work() -> None:
    plan = plan_for("Purge old support tickets",
                    "Check with legal that tickets older than five years may go, delete them from Zendesk, purge the "
                    "attachments from S3 and update the retention policy.")
    assert _stage(plan, "Check with legal") <= _stage(plan, "Purge the attachments")


def test_results_of_an_earlier_survey_wait_for_no_run_of_this_plan() -> None:
    plan = plan_for("Access hygiene quarter",
                    "Audit the admin accounts in Okta, summarise the results of last year's audit for the "
                    "leads, and enable MFA for the contractors.")
    assert _stage(plan, "Summarise the results") <= _stage(plan, "Audit the admin accounts")


def test_a_new_thing_is_used_after_the_part_that_makes_it_not_one_that_only_mentions_it() -> None:
    plan = plan_for("Kiosk software swap",
                    "Back up the kiosk software settings, install the new kiosk software from the vendor on every "
                    "device and document the reset procedure for branch staff.")
    assert _stage(plan, "Install the new kiosk software") <= _stage(plan, "Back up the kiosk software")


def test_a_delivery_of_the_fix_already_after_it_keeps_its_place_after_the_tests() -> None:
    plan = plan_for("Duplicate payout emails",
                    "Fix the payout e-mail scheduler, deploy the fix to production, and add a regression test for "
                    "the scheduler.")
    assert _stage(plan, "Add a regression test") < _stage(plan, "Deploy the fix")


def _part(plan: Plan, start: str) -> tuple[str, str]:
    found = next(s for s in plan.subtasks if s.title.startswith(start))
    return found.assigned_to, found.worker_type


def test_designing_is_developments_planner_work_in_a_delivery_task() -> None:
    plan = plan_for("Blue-green deploys for the API",
                    "Design the blue-green switch for the API, add a second target group to the load balancer and "
                    "roll out the pipeline change to every service.")
    assert _part(plan, "Design the blue-green switch") == ("development", "planner")


def test_a_thing_named_after_design_is_no_design_step() -> None:
    plan = plan_for("Ship the new theme",
                    "Design tokens for the new theme are delivered by the agency. Deploy the theme to the web app, "
                    "roll it out to 10% of users and publish the theme changelog.")
    assert not any(s.title.startswith("Design tokens") and s.worker_type == "planner" for s in plan.subtasks)


def test_agreeing_a_date_with_people_is_coordination_before_what_it_dates() -> None:
    plan = plan_for("New warehouse scanners",
                    "Schedule the cut-over with the warehouse leads, deploy the scanner app to every handheld and "
                    "roll out the new pick lists.")
    assert _part(plan, "Schedule the cut-over") == ("development", "implementation")
    assert _stage(plan, "Schedule the cut-over") < _stage(plan, "Deploy the scanner app")


def test_a_freeze_set_up_in_the_pipeline_stays_a_deploy() -> None:
    plan = plan_for("Holiday readiness",
                    "Scale the web clusters, set up the deploy freeze for December and verify the backups.")
    assert _part(plan, "Set up the deploy freeze")[0] == "cicd"


def test_a_tidy_up_of_what_exists_has_no_architecture_and_runs_side_by_side() -> None:
    plan = plan_for("Tidy up the GitHub org",
                    "Add a CODEOWNERS file to every active repo, turn on required reviews for main, deregister the "
                    "idle self-hosted runners and archive the forks nobody uses.")
    titles = [s.title for s in plan.subtasks]
    assert not any(title.startswith(("Design ", "Write tests for")) for title in titles)
    assert _stage(plan, "Add a CODEOWNERS file") == _stage(plan, "Turn on required reviews") \
        == _stage(plan, "Deregister the idle self-hosted runners")


def test_a_clean_up_of_code_is_still_built_and_tested() -> None:
    plan = plan_for("Clean up the billing code",
                    "Add a CODEOWNERS file to the payment module, turn on strict type checks for it, split the "
                    "PaymentProcessor class and add a test for each refund path.")
    assert any(s.title.startswith("Design ") for s in plan.subtasks)


def test_what_another_part_finds_does_not_route_the_part_that_uses_it() -> None:
    plan = plan_for("Pen test of the payments API",
                    "Have an outside firm pen-test the payments API, triage what they find, fix the critical "
                    "findings in the payments service and deploy the fixed service.")
    assert _part(plan, "Triage what they find")[0] == "security"  # "find" is no inventory of its own


def test_a_noun_that_looks_like_a_finding_verb_keeps_its_route() -> None:
    plan = plan_for("Finance reporting move",
                    "Export the ledgers from Sage, rebuild the 12 key reports in Looker and train the controllers.")
    assert any(s.title == "Rebuild the 12 key reports in Looker" for s in plan.subtasks)
    assert _part(plan, "Rebuild the 12 key reports")[0] == "inventory"


def test_a_scan_run_again_checks_the_work_before_it() -> None:
    plan = plan_for("Vulnerable dependencies in the workers",
                    "Upgrade the vulnerable packages in the worker images, re-run the container scan and redeploy "
                    "the workers.")
    assert _stage(plan, "Upgrade the vulnerable packages") < _stage(plan, "Re-run the container scan")


def test_an_inventory_action_that_finds_nothing_out_runs_beside_the_other_actions() -> None:
    plan = plan_for("Tidy up the Bitbucket workspace",
                    "Archive the dead repositories, add branch permissions to the rest and delete the unused app "
                    "passwords.")
    assert _stage(plan, "Archive the dead repositories") == _stage(plan, "Delete the unused app passwords")


def test_finding_out_what_exists_still_comes_first_in_a_tidy_up() -> None:
    plan = plan_for("Tidy up the Bitbucket workspace",
                    "List every repository without an owner, add branch permissions to the active ones and delete "
                    "the unused app passwords.")
    assert _stage(plan, "List every repository") < _stage(plan, "Delete the unused app passwords")


def test_a_date_agreed_is_checked_by_its_record_not_by_a_build() -> None:
    plan = plan_for("New warehouse scanners",
                    "Schedule the cut-over with the warehouse leads, deploy the scanner app to every handheld and "
                    "roll out the new pick lists.")
    criteria = next(s.success_criteria for s in plan.subtasks if s.title.startswith("Schedule the cut-over"))
    assert "the date is agreed" in criteria and "code builds" not in criteria
