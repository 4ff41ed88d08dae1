"""Plans18: only asks become parts (a symptom, a status, a habit, what someone else will do is context where the
description asks for its work), and a part's title keeps the writer's words whole. Each behaviour has its opposite:
the same kind of sentence as the only words of the work, or a present tense that is an ask. New phrasings, not the
tasks of tests/data/tuning/plans18.json."""

from __future__ import annotations

import pytest

from orchestrator.imperatives import as_work, as_work_text
from test_plan_wording import VERBS, plan_for, titles

_ASK = "Fix the VAT mapping and re-run the export."


@pytest.mark.parametrize("told", [
    "Since Monday the billing export drops rows with a null VAT code.",  # a symptom, since when
    "The importer marks them as skipped, not failed.",  # a symptom in the present
    "The scheduler loses its cron entries after a restart.",
    "Pharmacists say that the label printer jams twice a day.",  # what someone reports
    "Build 5.2 of the kiosk app passed acceptance on Friday.",  # a status, though "Build" opens it
    "Our exports run on a python:3.8 image that is out of support.",  # background
    "Each month we have to reconcile the ledgers by hand.",  # how it is done now, the motivation
    "The reporting team will rework the dashboards separately.",  # someone else's work, later
    "The supplier look at the driver afterwards.",  # "the vendor will" as tidying leaves it
])
def test_a_report_beside_an_ask_is_context(told: str) -> None:
    assert as_work_text(f"{told} {_ASK}", VERBS) == _ASK
    assert as_work_text(f"{_ASK} {told}", VERBS) == _ASK  # after the ask too


@pytest.mark.parametrize("told", [
    "Since Monday the billing export drops rows with a null VAT code.",
    "The importer marks them as skipped, not failed.",
])
def test_a_report_that_is_all_the_description_says_is_still_read_as_its_work(told: str) -> None:
    # nothing else asks: the symptom is the work ("Fix ..."), as before
    assert as_work_text(told, VERBS)


@pytest.mark.parametrize("asked", [
    "The billing export needs a --from flag.",  # a need
    "Tests are required for the VAT mapper.",  # required
    "The invoice footer must show the VAT number.",  # a modal
    "The platform team builds the base images.",  # a team given its work
    "A relay process reads the outbox and posts to Slack.",  # a new thing brought in
    "The new page shows the rejected rows per day.",  # what is to be built, said as it will be
    "Every ledger gets a closing balance.",  # a thing given
    "Email alerts when the export fails.",  # a thing named, and when
    "That means rotating every key.",  # what the work includes
])
def test_a_present_tense_that_asks_stays_a_part_beside_an_imperative(asked: str) -> None:
    assert as_work_text(f"{_ASK} {asked}", VERBS) != _ASK


def test_a_symptom_and_a_note_on_others_make_no_part_of_a_plan() -> None:
    plan = plan_for("Billing export drops rows", "Since Monday the billing export drops rows with a null VAT code. The "
                    "importer marks them as skipped, not failed. Fix the VAT mapping, re-send the invoices issued after "
                    "that date and add an alert on skipped rows. The finance team will check the totals afterwards.")
    parts = [title for title in titles(plan) if not title.startswith(("Design ", "Write tests for "))]
    assert not any("drops rows" in title or "skipped, not" in title or "totals" in title for title in parts)
    assert {"Fix the VAT mapping", "Add an alert on skipped rows"} <= set(titles(plan))


def test_a_need_of_a_thing_with_a_participle_before_it_gives_the_thing() -> None:
    plan = plan_for("Echo viewer", "Radiology and cardiology need a shared viewer for the echo images. Add SSO, build "
                    "the viewer page and deploy it to the intranet.")
    assert "Give radiology and cardiology a shared viewer for the echo images" in titles(plan)  # not "Share the a of"
    bumped = plan_for("Driver bump", "Every service needs its driver bumped. Deploy them after the window.")
    assert any(title.startswith("Bump the driver of every service") for title in titles(bumped))  # as before


def test_a_then_word_inside_a_phrase_keeps_the_writers_words() -> None:
    plan = plan_for("Billing export", "Fix the VAT mapping, re-send the invoices issued after that date and add an "
                    "alert on skipped rows.")
    assert "Re-send the invoices issued after that date" in titles(plan)  # not "issued then date"
    steps = plan_for("Billing export", "Fix the VAT mapping, after that re-send the invoices and add an alert.")
    assert "Re-send the invoices" in titles(steps)  # "after that" and a verb: a later step, as before


def test_a_verbs_two_receivers_stay_one_part() -> None:
    plan = plan_for("Shift swaps", "Drivers and dispatchers need an app to swap shifts. Add SSO, build a swap form "
                    "and deploy it to the intranet.")
    assert "Give drivers and dispatchers an app to swap shifts" in titles(plan)
    assert not any(title in ("Give drivers", "Dispatchers an app to swap shifts") for title in titles(plan))
    # "and" before a verb is a second part, as before
    two = plan_for("Contract tool", "Grant access and revoke the old tokens, then notify the users.")
    assert "Revoke the old tokens" in titles(two)


def _designed(plan_titles: list[str]) -> bool:
    return any(title.startswith("Design ") for title in plan_titles)


@pytest.mark.parametrize(("title", "description"), [
    ("Patching of lab server lis-db-03", "Apply the October patch to lis-db-03, fix the broken backup script on it, "
     "update the change log and tell the lab managers."),
    ("Checkout 5.4 rollback", "Roll the checkout back to 5.3, fix the currency rounding bug in the basket code, write "
     "the incident summary and tell support."),
    ("CVE-2026-4411 in the ledger API", "Fix the deserialisation flaw in the ledger API, bump Jackson, rescan the "
     "service and close the finding."),
    # something made that is no fix ("add a guard"): the topic says it is a rollback's work all the same
    ("Checkout 5.4 rollback", "Roll the checkout back to 5.3, add a guard against the rounding bug in the basket code, "
     "write the incident summary and tell support."),
])
def test_work_on_a_host_a_release_or_a_finding_is_not_designed(title: str, description: str) -> None:
    assert not _designed(titles(plan_for(title, description)))


def test_a_topic_that_names_a_system_or_a_part_that_builds_one_is_still_designed() -> None:
    capability = plan_for("Kiosk rollback capability", "Add a rollback button to the admin console, add an audit log "
                          "API, store the last good image of each kiosk, write the runbook and deploy it.")
    assert _designed(titles(capability))
    built = plan_for("Checkout 5.4 rollback", "Roll the checkout back to 5.3, build a new pricing service for the "
                     "basket, add a pricing page and tell support.")
    assert _designed(titles(built))


def test_a_flag_added_to_a_tool_is_tested_but_not_designed() -> None:
    plan = plan_for("Ledger CLI --dry-run", "Add a --dry-run flag to the ledger CLI, update the README and publish the "
                    "CLI to the internal index.")
    assert not _designed(titles(plan))
    assert any(title.startswith("Write tests for ") for title in titles(plan))
    named = plan_for("Date filter for the ledger CLI", "Add a --since flag to the ledger CLI, update the README and "
                     "publish the CLI to the internal index.")
    assert not _designed(titles(named))  # the flag said in the part, not in the title
    module = plan_for("Date filter for the ledger CLI", "Add a date module to the ledger CLI, update the README and "
                      "publish the CLI to the internal index.")
    assert _designed(titles(module))


def test_a_fix_beside_a_report_and_a_clean_up_is_not_designed_but_a_new_service_is() -> None:
    plan = plan_for("Stale grades in the cache", "Fix the Cache-Control headers in the grades API, purge the CDN cache, "
                    "write the incident report and redeploy.")
    assert not _designed(titles(plan))
    built = plan_for("Stale grades in the cache", "Fix the Cache-Control headers in the grades API, build a cache "
                     "warming service, write the incident report and redeploy.")
    assert _designed(titles(built))


def test_a_failover_makes_nothing_to_design_or_unit_test() -> None:
    plan = plan_for("Payments DB DR exercise", "Fail the primary payments ledger database over to the DR site, run the "
                    "settlement batch there and fail back the next morning.")
    assert not any(title.startswith(("Design ", "Write tests for ")) for title in titles(plan))


def test_a_list_item_worded_as_a_statement_is_work() -> None:
    plan = plan_for("Depot setup", "Please:\n- add the depot to the routing tables\n- the dock schedule should go into "
                    "the booking system\n- deploy the change")
    assert "Make the dock schedule go into the booking system" in titles(plan)
    # an item ticked as done is still no work
    assert as_work_text("Please:\n- add the depot to the routing tables\n- [x] update the changelog", VERBS) \
        == "- add the depot to the routing tables."


@pytest.mark.parametrize(("said", "work"), [
    ("a dashboard of flagged transactions", True),  # a participle after "of" describes the thing
    ("an API that scores each authorisation", True),  # a relative clause's verb
    ("The fraud review flagged 40 transactions", False),  # someone did it
    ("The ledger stays read-only", False),  # how things are
])
def test_a_things_description_is_not_told_as_what_happened(said: str, work: bool) -> None:
    assert (as_work(said, VERBS) is not None) is work


def test_every_thing_of_a_list_after_a_colon_is_a_part() -> None:
    plan = plan_for("Card limits service", "Build a new card-limits service: an API that checks each payment, a rules "
                    "editor for the risk team and a dashboard of blocked payments.")
    assert {"Implement the API that checks each payment", "Implement the dashboard of blocked payments"} \
        <= set(titles(plan))


def test_work_done_again_after_and_is_a_part_of_its_own() -> None:
    plan = plan_for("Statement import", "Fix the line-count parsing, deploy the fix and re-import last week's statements.")
    assert {"Deploy the fix", "Re-import last week's statements"} <= set(titles(plan))
    tool = plan_for("Statement import", "Fix the line-count parsing, deploy the fix and the reimport tool.")
    assert not any(title.lower().startswith("the reimport") for title in titles(tool))  # a noun after "and", as before


def test_a_bare_verb_before_one_that_says_why_is_one_part_with_it() -> None:
    plan = plan_for("Base image CVE", "Patch the base images for the CVE, rebuild and rescan to verify the fix, then "
                    "roll them out to the cluster.")
    assert "Rebuild and rescan to verify the fix" in titles(plan)
    assert "Rebuild" not in titles(plan)
    shared = plan_for("Base image CVE", "Patch the base images, rebuild and rescan the images, then roll them out.")
    assert {"Rebuild the images", "Rescan the images"} <= set(titles(shared))  # an object is shared, as before


def test_what_a_run_runs_with_stays_in_the_run() -> None:
    plan = plan_for("Parser bump", "Bump the parser, run the build with tests and deploy to staging.")
    assert "Run the build with tests" in titles(plan)
    built = plan_for("Export API", "Build the export API with tests and docs, then deploy it.")
    assert "Build the export API" in titles(built)  # what a build comes with is more work, as before


def test_a_pronoun_after_a_plurals_present_names_the_thing_before() -> None:
    # the sentence before is context now (no part), so "them" must name what it was about
    plan = plan_for("Pipelines off Jenkins", "Our pipelines run on Jenkins 2.3. Move them to GitHub Actions, add caching "
                    "and delete the old jobs.")
    assert "Move our pipelines to GitHub Actions" in titles(plan)
    single = plan_for("Pipeline off Jenkins", "Our pipeline runs on Jenkins 2.3. Move them to GitHub Actions, add "
                      "caching and delete the old jobs.")
    assert "Move them to GitHub Actions" in titles(single)  # "them" is not the one pipeline


def test_a_statement_about_what_the_description_builds_is_its_spec() -> None:
    text = "Build a daily bed census report for the bed managers. The report shows blocked beds per ward."
    assert "show blocked beds per ward" in as_work_text(text, VERBS)
    fixed = "Fix the census filter. The report shows blocked beds per ward."  # the report is not built: how it is
    assert as_work_text(fixed, VERBS) == "Fix the census filter."


@pytest.mark.parametrize("told", [
    "The driver app crashes when a delivery has no postcode.",  # a failure and when
    "Drivers lose the proof-of-delivery photo.",  # what people put up with
])
def test_a_failure_or_a_hardship_beside_an_ask_is_context(told: str) -> None:
    assert as_work_text(f"{told} {_ASK}", VERBS) == _ASK
    assert as_work_text(f"{_ASK} Patients book a slot online.", VERBS) != _ASK  # people's ability: a spec


def test_we_need_is_an_ask_and_a_spec_of_musts_stays_whole() -> None:
    asked = ("The nurse call system sends alarms over SIP. We need the alarms in the messaging app: map the alarm "
             "types and build the SIP listener.")
    assert "send alarms over SIP" not in as_work_text(asked, VERBS)
    spec = "Prices must be shown in EUR and GBP. Exchange rates are fetched daily from the ECB."
    assert "ECB" in as_work_text(spec, VERBS)  # no imperative, no "we need": all of it is the work


def test_a_past_told_with_a_gerund_after_it_is_context_beside_an_ask() -> None:
    told = "The pharmacy robot stopped picking at 02:00."
    assert as_work_text(f"{told} {_ASK}", VERBS) == _ASK
    assert as_work_text(f"{_ASK} The signed contracts stored in the DMS.", VERBS) != _ASK  # a thing, where it is kept
