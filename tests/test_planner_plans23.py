"""Plans23: parts run in the order of what they work on (a part on 'it'/'them' after the part that made it, hardening
after the image, a rollout after all done to what it ships, a condition or a participle that names a part), an IdP
set-up is security's and a rollout after changes cicd's, a handoff names what its pronoun is, and a security run's
criterion names its own object. Each behaviour has its opposite. New phrasings, not the tasks of
tests/data/tuning/plans23.json."""

from __future__ import annotations

from orchestrator.models import Plan, Subtask
from test_plan_wording import plan_for


def _part(plan: Plan, start: str) -> Subtask:
    return next(s for s in plan.subtasks if s.title.startswith(start))


def _stage(plan: Plan, start: str) -> int:
    return _part(plan, start).stage


def test_a_part_on_it_waits_for_the_part_that_made_it_across_phases() -> None:
    plan = plan_for("Meter-reading collector", "Write the collector service for the smart meters, containerise it "
                    "and publish it to the internal registry.")
    assert _stage(plan, "Write the collector service") < _stage(plan, "Containerise it") \
        < _stage(plan, "Publish it to the internal registry")


def test_people_named_by_them_and_the_things_an_its_part_owns_wait_for_nothing() -> None:
    people = plan_for("Kiosk rollout", "Write the kiosk check-in page, email them twice about the change and "
                      "deploy the page to the 12 branches.")
    assert '"them"' not in _part(people, "Email them twice").description  # the branches' staff, not the page
    told = plan_for("Payroll reports", "Migrate the payroll reports to Power BI and brief them on the new filters.")
    assert '"them"' not in _part(told, "Brief them").description
    owned = plan_for("Retire the 2019 campaign site", "Archive the pages to cold storage, remove its DNS records "
                     "and drop it from the site catalog.")
    assert _stage(owned, "Drop it from the site catalog") == _stage(owned, "Remove its DNS records")


def test_the_same_pronoun_twice_is_one_thing_not_a_chain() -> None:
    plan = plan_for("Contract end date field", "Add a contract end date field. It must be saved in the contracts "
                    "table, sent to the billing sync and included in the monthly export.")
    stages = {_stage(plan, start) for start in ("Save it", "Send it", "Include it")}
    assert len(stages) == 1 and stages.pop() > _stage(plan, "Add a contract end date field")


def test_hardening_waits_for_the_image_and_the_rollout_for_both() -> None:
    plan = plan_for("Kiosk image pipeline", "Catalogue the apps every kiosk needs, build an image pipeline for the "
                    "kiosks in Azure DevOps, apply the CIS hardening baseline, and roll the new image out to the 300 "
                    "kiosks.")
    image = _stage(plan, "Build an image pipeline")
    assert image < _stage(plan, "Apply the CIS hardening baseline") < _stage(plan, "Roll the new image out")


def test_hardening_of_machines_that_exist_waits_for_no_build() -> None:
    plan = plan_for("Web farm baseline", "Harden the 8 existing IIS servers to the CIS baseline, write the runbook "
                    "for the operators and patch the .NET runtime on each.")
    assert _stage(plan, "Harden the 8 existing IIS servers") == 1


def test_a_condition_or_a_participle_that_names_a_part_waits_for_it() -> None:
    plan = plan_for("Mail relay CVE", "Patch the Postfix relay image, rescan it with Grype, and close the ticket "
                    "in Jira once the rescan is clean.")
    assert _stage(plan, "Rescan it") < _stage(plan, "Close the ticket")
    made = plan_for("Dormant guest accounts", "Audit the guest accounts in Entra ID for ones unused in 60 days, "
                    "disable what the audit finds, and delete the disabled accounts after 30 days.")
    assert _stage(made, "Disable what the audit finds") < _stage(made, "Delete the disabled accounts")
    # a participle with a doubled consonant is its verb's too (review26: "stopped" was read as "stopp")
    stopped = plan_for("Old build agents", "Audit the build agents on the Jenkins host for ones idle in 90 days, "
                       "stop what the audit finds, and delete the stopped agents from the controller.")
    assert _stage(stopped, "Stop what the audit finds") < _stage(stopped, "Delete the stopped agents")


def test_a_state_of_something_else_and_a_participle_no_part_did_wait_for_nothing() -> None:
    plan = plan_for("Session banner", "Add the session-expiry banner to the portal, show it only when the user "
                    "is logged in, and update the help page.")
    assert _stage(plan, "Update the help page") <= _stage(plan, "Add the session-expiry banner") + 1
    late = plan_for("CRM backups", "Run the backup of the CRM database every night, write the restore runbook, and "
                    "page the on-call engineer when the backup is late.")
    assert _stage(late, "Page the on-call engineer") == _stage(late, "Run the backup")  # late is no end of it
    made = plan_for("Guest accounts", "Audit the guest accounts in Entra ID, fix the sync job, and delete the "
                    "expired accounts after 30 days.")
    assert _stage(made, "Delete the expired accounts") < _stage(made, "Audit the guest accounts")


def test_an_objectless_deploy_ships_what_its_group_made() -> None:
    plan = plan_for("Static site move", "Export the site content from Ghost, rebuild it on Eleventy, set up redirects "
                    "for the old URLs, deploy to Vercel, then turn the Ghost host off.")
    assert _stage(plan, "Rebuild it on Eleventy") < _stage(plan, "Deploy to Vercel")
    assert _stage(plan, "Set up redirects") < _stage(plan, "Rebuild it on Eleventy")  # uses nothing made before it


def test_an_idp_set_up_is_securitys_and_an_apps_sso_change_is_not() -> None:
    plan = plan_for("Workday single sign-on", "Configure SAML single sign-on for Workday in Entra ID with MFA "
                    "required, and change the intranet's payroll link to the new login page.")
    assert _part(plan, "Configure SAML single sign-on").assigned_to == "security"
    assert _part(plan, "Change the intranet's payroll link").assigned_to == "development"
    app = plan_for("Admin console login", "Add Okta SSO to the admin console, write the tests and document the "
                   "setup.")
    assert _part(app, "Add Okta SSO").assigned_to == "development"


def test_a_rollout_after_changes_is_cicds_and_a_rollout_alone_keeps_its_template() -> None:
    plan = plan_for("Move the wiki apps to the new IdP", "Change our two wiki apps to the new IdP, and roll the "
                    "switch out app by app with a fallback.")
    roll = _part(plan, "Roll the switch out")
    assert roll.assigned_to == "cicd" and roll.stage > _stage(plan, "Change our two wiki apps")
    alone = plan_for("Roll out Okta SSO across the support dashboards")
    assert not any(s.title.startswith("Plan the work on roll out") for s in alone.subtasks)


def test_a_handoff_names_what_its_pronoun_is() -> None:
    plan = plan_for("Meter-reading collector", "Write the collector service for the smart meters, containerise it "
                    "and publish it to the internal registry.")
    told = _part(plan, "Containerise it").description
    assert '"it": what the part "Write the collector service for the smart meters"' in told
    assert '"it"' not in _part(plan, "Write the collector service").description


def test_a_security_runs_criterion_names_its_own_object_not_the_task() -> None:
    plan = plan_for("Warehouse CVE sweep", "Scan the 14 warehouse containers with Trivy, upgrade every package "
                    "rated critical, and rebuild the images.")
    assert _part(plan, "Scan the 14 warehouse containers").success_criteria.startswith(
        "The scan of the 14 warehouse containers with Trivy is written down with severity per finding")
    template = plan_for("Add passkey login with security audit and docs")
    audit = next(s for s in template.subtasks if s.worker_type == "audit")
    assert audit.title.startswith("Audit the security of") and "The audit of" not in audit.success_criteria
