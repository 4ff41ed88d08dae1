"""Plans19: work booked from someone outside is a coming output the parts that use it wait for; a redo (redeploy,
rerun, re-import, reprint) waits for the change it redoes; verbs that share one object and a requester's sentence keep
the writer's words. Each behaviour has its opposite. New phrasings, not the tasks of tests/data/tuning/plans19.json."""

from __future__ import annotations

import pytest

from orchestrator.imperatives import as_work
from orchestrator.models import Plan
from test_plan_wording import VERBS, plan_for, titles


def _stage(plan: Plan, start: str) -> int:
    return next(s.stage for s in plan.subtasks if s.title.startswith(start))


@pytest.mark.parametrize(("told", "work"), [
    ("We booked Bishop Fox for a pen test of the claims API next month.",
     "Get a pen test of the claims API from Bishop Fox next month"),
    ("We ordered 12 barcode scanners from Zebra for the cold store.",
     "Get 12 barcode scanners from Zebra for the cold store"),
    ("Compliance commissioned a review of the payment flows from PwC.",
     "Get a review of the payment flows from PwC"),
    ("We have engaged Mandiant to assess our incident response.", "Have Mandiant assess our incident response"),
])
def test_work_booked_from_someone_outside_is_a_part_that_gets_it(told: str, work: str) -> None:
    assert as_work(told, VERBS) == work


@pytest.mark.parametrize("told", [
    "We scheduled the release for Friday.",  # nothing booked from anyone
    "Cobalt finished their pen test of the claims API last week.",  # done: the report is here
    "The disputes team requested faster reporting.",  # a request made to us: the reason for the work
])
def test_a_booking_of_nothing_from_anyone_or_work_already_done_is_context(told: str) -> None:
    assert as_work(told, VERBS) is None


def test_the_parts_that_use_a_booked_test_wait_for_it() -> None:
    plan = plan_for("Claims API pen test", "We booked Bishop Fox for a pen test of the claims API next month. Triage "
                    "what they find, fix the high findings and update the risk log.")
    assert _stage(plan, "Get a pen test of the claims API") < _stage(plan, "Triage what they find") \
        < _stage(plan, "Fix the high findings")
    done = plan_for("Claims API pen test", "Bishop Fox finished their pen test of the claims API last week and sent "
                    "the report. Triage the findings, fix the high ones and update the risk log.")
    assert not any("Bishop Fox" in title for title in titles(done))  # their work is done: no part waits for it
    assert _stage(done, "Triage the findings") == 1


def test_a_redo_waits_for_the_change_it_redoes() -> None:
    plan = plan_for("Invoice parser", "Fix the currency rounding in the invoice parser, re-import the March invoices "
                    "and redeploy the parser to production.")
    fix = _stage(plan, "Fix the currency rounding")
    assert fix < _stage(plan, "Re-import the March invoices") and fix < _stage(plan, "Redeploy the parser")
    moved = plan_for("Gateway images", "Move the gateway images to Debian 12, redeploy the gateways and add a "
                     "dashboard for the queue depth.")
    assert _stage(moved, "Move the gateway images") < _stage(moved, "Redeploy the gateways")  # a redeploy ships it


def test_a_rerun_of_what_the_change_does_not_touch_stays_beside_it() -> None:
    plan = plan_for("Campus fixes", "Fix the typo on the admissions page, rerun the failed payroll export for the "
                    "library and renew the VPN certificate.")
    assert _stage(plan, "Fix the typo") == _stage(plan, "Rerun the failed payroll export")


def test_verbs_that_share_one_object_each_take_it() -> None:
    plan = plan_for("Design, build and roll out the visitor badge app", "For the front desk, with SSO.")
    assert "Design visitor badge app architecture" in titles(plan)  # not "Design design, build and roll ..."
    launched = plan_for("Visitor badges", "Plan, build and launch a new visitor badge app. Add an audit log of "
                        "badge prints.")
    assert {"Plan a new visitor badge app", "Build a new visitor badge app"} <= set(titles(launched))  # not "Plan"
    own = plan_for("Visitor badges", "Design the badge schema, build the printer driver and roll out the new kiosk "
                   "page to reception.")
    assert "Design the badge schema" in titles(own)  # each verb its own object, as before


def test_a_requester_is_no_work_to_run() -> None:
    assert as_work("Internal audit wants evidence of the yearly firewall reviews.", VERBS) is None  # why, not a part
    assert as_work("Security wants a threat model first.", VERBS) == "A threat model first."  # a team's ask, as before
    assert as_work("The payments team asked for faster refunds.", VERBS) is None
    assert as_work("Security asked for a review of the access policy.", VERBS)  # their review, as before


def test_a_part_using_their_report_waits_for_the_assessment_that_writes_it() -> None:
    plan = plan_for("PCI assessment", "We have engaged Coalfire to assess our PCI DSS controls this quarter. Fix the "
                    "gaps in their assessment report, collect the evidence for each requirement and file the "
                    "attestation by March 31.")
    assert _stage(plan, "Have Coalfire assess") < _stage(plan, "Fix the gaps in their assessment report")
    alone = plan_for("Claims service tidy-up", "Fix the typos in the claims service, fix the gaps in its report "
                     "template and add an alert on failed claims.")
    assert _stage(alone, "Fix the gaps in its report") == _stage(alone, "Fix the typos")  # no assessment to wait for


def test_a_part_that_names_what_was_ordered_waits_for_it() -> None:
    plan = plan_for("Cold store scanning", "We ordered 12 barcode scanners from Zebra for the cold store. Pair the "
                    "scanners with the tablets, add a scan log to the stock app and train the pickers.")
    assert _stage(plan, "Get 12 barcode scanners") < _stage(plan, "Pair the scanners")
    other = plan_for("Cold store scanning", "We ordered 12 barcode scanners from Zebra for the cold store. Pair the "
                     "tablets with the stock app, add a scan log to the stock app and train the pickers.")
    assert _stage(other, "Get 12 barcode scanners") == _stage(other, "Pair the tablets")  # uses none of them


def test_a_title_made_of_steps_is_about_the_last_steps_object_or_its_label() -> None:
    plan = plan_for("Design → build → pen test → launch the visitor badge app")
    assert "Design visitor badge app architecture" in titles(plan)  # not "Design design → build → architecture"
    labelled = plan_for("Harbour Clinic relaunch: design → build → QA → launch")
    assert "Design Harbour Clinic relaunch architecture" in titles(labelled)  # not "... relaunch: design architecture"
    told = plan_for("Build new feature: design → implement → test → audit → document")
    assert "Design feature architecture" in titles(told)  # a label that names the work's verb, as before


def test_building_software_is_development_and_its_rollout_waits_for_it() -> None:
    plan = plan_for("Refund reminders", "Design, build and roll out the refund reminders service for the EU shops.")
    built = next(s for s in plan.subtasks if s.title.startswith("Build the refund reminders service"))
    assert built.assigned_to == "development"  # was cicd's deploy, beside its own rollout
    assert built.stage < _stage(plan, "Roll out the refund reminders service")
    image = plan_for("Runner image", "Build the runner image with Node 20 and roll it out to the CI fleet.")
    assert next(s for s in image.subtasks if s.title.startswith("Build the runner image")).assigned_to == "cicd"


def test_a_rerun_after_a_redeploy_runs_on_what_was_shipped() -> None:
    plan = plan_for("Booking images", "Move the booking images to Alpine 3.20, redeploy the booking workers and "
                    "re-run the nightly export.")
    assert _stage(plan, "Redeploy the booking workers") < _stage(plan, "Re-run the nightly export")
