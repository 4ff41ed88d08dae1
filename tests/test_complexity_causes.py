"""Simple or complex by the structure of the request (issue 11): the general causes, each with its opposite.

The rules alone (no built-in model), so that a test fails when a rule does, not when the model guesses right; where
rules and model decide together, a model that says one fixed thing.
"""

from __future__ import annotations

import pytest

from orchestrator.classify import (
    MODEL_CAPABILITY_MIN,
    MODEL_COMPLEX_MIN,
    MODEL_COMPLEX_SEEN_MIN,
    MODEL_COMPLEX_SPREAD_MIN,
    MODEL_ONE_MASTER_MIN,
    Classifier,
    _retired_thing,
)
from orchestrator.config import ClassifierConfig
from orchestrator.learned import Judgement, LearnedModel
from orchestrator.models import MASTERS, Classification, QueueTask
from orchestrator.textsignals import (
    action_clauses,
    introduced_items,
    joined_items,
    keeps_record,
    keyed_parts,
    parallel_actions,
    request_shaped,
    sequence_markers,
    series_items,
    stage_words,
    stated_parts,
    stated_phases,
    table_items,
    title_requests,
    without_bot_text,
)

VERBS = ClassifierConfig().action_verbs



def decide(rules: Classifier, title: str, description: str = "") -> str:
    return classify(rules, title, description).decision


def route(rules: Classifier, title: str, description: str = "") -> tuple[str, str | None]:
    """The decision and, for a simple task, its master."""
    decided = classify(rules, title, description)
    return decided.decision, decided.master


def classify(rules: Classifier, title: str, description: str) -> Classification:
    return rules.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description,
                                                    "status": "pending"}))


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a series of requests, whatever their verbs, when no one deliverable is named
    ("Get ready for the SOC 2 auditors' visit", "Freeze the production IAM roles, export the access logs for Q3, set "
     "up a read-only account for the auditors, and collect the vendor contracts into one folder.", "complex"),
    ("Pre-launch checklist for the mobile app", "Freeze the release branch, translate the store listing, record the "
     "demo video, and submit the build for review.", "complex"),
    # ... but the steps of one procedure on one thing ("restore it"), or a user's repro steps, are one job
    ("Refresh the staging database from last night's prod snapshot", "Take the snapshot id from the backup job, "
     "restore it to staging-db, rerun the anonymiser and restart the staging services.", "simple"),
    ("Checkout button does nothing", "Open the cart, pick any product, press the checkout button and watch the "
     "console.", "simple"),
    # a title naming the one deliverable: its description's steps are its features
    ("Speed up the search page", "Cache the facet counts, debounce the input, index the title column and drop the "
     "unused joins.", "simple"),
    ("Release 2.4.0 of the mobile app", "Bump the version, update the changelog, tag the commit, build the release "
     "bundle and upload it to the stores.", "simple"),
    ("Make the invoice PDF match the new brand", "Swap the logo, change the accent colour, move the totals box to the "
     "right and add the company number to the footer.", "simple"),
    ("Streamline the signup form", "Drop the phone field, merge the first and last name fields, add inline validation "
     "and remember the chosen plan.", "simple"),  # a verb no list knows, in a request's shape
    # running a thing operates it: "run the migration job" is a step of the deploy, not development's part
    ("Deploy billing-api 3.1.0 to production", "Merge the release PR, run the migration job, deploy with the canary at "
     "10%, watch the error rate for 30 minutes and promote.", "simple"),
    # a formal title is read as the request it is
    ("The Contractor shall update the TLS certificate of the citizen portal", "The Contractor shall generate a new "
     "CSR, obtain the certificate from the agency CA, install it on the load balancer and confirm the expiry date in "
     "the monthly report.", "simple"),
    # a routine done in order by one master is still its steps
    ("Upgrade the staging cluster to Kubernetes 1.30", "Drain the nodes one by one, upgrade the control plane, then "
     "the node pools, and run the smoke tests.", "simple"),
    # ... unless the steps are ordered stages or a migration's
    ("Upgrade Django 3.2 to 4.2 in billing", "Upgrade, fix the deprecations, run the full test suite, then deploy to "
     "staging and, after a day, to production.", "complex"),
    ("Move user data from MySQL to Postgres", "Write the migration scripts, add dual-write in the app, backfill, cut "
     "over with a deploy, verify row counts, then drop the MySQL instance.", "complex"),
    ("Move the nightly jobs from the old VM to Kubernetes CronJobs", "Containerise each job, write the CronJob "
     "manifests, set up alerts for failures and turn off the VM.", "complex"),
])
def test_a_series_of_requests_is_parts_the_steps_of_one_request_are_not(
        rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    ("Set up the new staging environment, seed it with anonymised data, and give QA access", "complex"),
    ("Provision the new VPN, hand out client certificates and retire the old gateway", "complex"),
    ("Create the analytics bucket, grant the data team read access, and point the nightly export at it", "complex"),
    ("Set up Vault with the KV engine, AppRole auth and audit logging", "simple"),  # what it is set up with
    ("Tag and publish v1.9.0 of the CLI to PyPI", "simple"),
])
def test_a_title_asking_three_pieces_of_work_is_planned(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    ("Patch the Jenkins plugin vulnerability and upgrade every build agent", "complex"),
    ("Remove the hard-coded AWS key from the uploader and roll out the new build to every pod", "complex"),
    ("Revoke the leaked GitHub token and catalog which repositories it could read", "complex"),
    ("Rotate the Stripe webhook secret and update it in Vault", "simple"),  # one master's one rotation
    ("Retag api:sha-4f2e1c as api:stable and roll it out to production", "simple"),
])
def test_a_title_asking_two_masters_work_is_planned(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


def test_code_and_its_docs_are_one_masters_work(rules: Classifier) -> None:
    """Development owns documentation: two domains, one master, no extra weight."""
    assert rules._title_masters("Add the export endpoint and document the API in the README") == []
    assert rules._title_masters("Patch the Jenkins plugin vulnerability and upgrade every build agent")


@pytest.mark.parametrize(("title", "description", "decision"), [
    ("Update the pricing page", "New prices from marketing. Also: the billing service must charge the new prices from "
     "1 March, existing subscriptions on old plans need migrating, the Stripe price IDs must be replaced, and "
     "everything has to be deployed before the announcement.", "complex"),
    ("Rename the product to Nimbus", "This means: the app store listing has to be changed, the old domain must be "
     "redirected, the docs need updating, and the mobile builds must be re-signed and released.", "complex"),
    ("New VAT rate from January", "The invoice generator must apply 21 %, the tax table in the billing database needs "
     "migrating, the PDF template must be updated and the release has to be deployed before 1 January.", "complex"),
    # what one thing must do, or be, is a criterion of it
    ("Add a password strength meter to the signup form", "Requirements: it must update as the user types, it must "
     "show three levels, and weak passwords must block the submit button.", "simple"),
    ("Add an export button to the orders table", "Notes: the file must be CSV, the columns must match the table, and "
     "the download should start at once.", "simple"),
    ("Add a discount field to the checkout form", "The error must be shown under the field, the button must be "
     "disabled while it loads, the field must be highlighted and the total must be recalculated.", "simple"),
])
def test_work_owed_on_several_things_is_parts(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    ("Salesforce integration", "Hi both,\n\nthe sales team needs contacts synced from our app to Salesforce. That "
     "means a sync service, an OAuth connection that security signs off, a deploy of the service to production with "
     "monitoring, and a short how-to for the sales team.\n\nThanks!\nNina", "complex"),
    ("Customer webhooks", "Customers want to hear about order changes. That means a webhook sender, signing secrets "
     "per customer, a retry queue, a docs page on the payload and a security review of the signing.", "complex"),
    ("Profile page", "We need an avatar upload, a display name field, a bio box and a save button.", "simple"),
    ("RE: access for the new contractors", "Hello,\n\nThree contractors start on Monday. They will need read access "
     "to the payments repositories and the staging logs, but no production access and no access to the customer "
     "database.\n\nBest regards,\nJulia", "simple"),
])
def test_a_list_a_sentence_introduces_is_read_like_a_colon_list(
        rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    ("Translate the onboarding screens into German", "Add de.json for the four onboarding screens and a language "
     "switch in settings.", "simple"),
    ("Add dark mode styles to the three settings screens", "", "simple"),
    ("Fix the date format on the five report pages", "", "simple"),
    ("Implement the 4 screens of the mobile checkout (cart, address, payment, confirmation)", "", "complex"),
    ("Deliver the partner-onboarding epic", "Deliver its 6 features at once, in parallel.", "complex"),
])
def test_the_screens_a_change_goes_to_are_places_not_parts(
        rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    ("Annual failover exercise for the Payments Gateway", "simple"),
    ("Failover test of the orders database", "simple"),
    ("Observability runbook for the checkout service", "simple"),
    ("Multi-tenancy for the reporting service", "complex"),
    ("Disaster recovery for the billing platform", "complex"),
    ("Multi-tenancy support", "complex"),
])
def test_a_drill_or_a_document_of_a_capability_is_one_job(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a chain of pieces of work orders them, whether each is a verb or a noun of work
    ("Warranty claims automation", "claim intake form → automated eligibility check → payout integration → ledger "
     "report generation", "complex"),
    ("Vendor onboarding", "supplier portal → document verification → contract generation → payment setup → "
     "security review", "complex"),
    ("Nightly exports: gather the order rows → mask the personal fields → upload to the partner bucket → weekly report",
     "", "complex"),
    # ... a chain of things is a path the system already has, whatever the work on it
    ("Fix the redirect loop: login page → SSO callback → dashboard → login page", "", "simple"),
    ("Board states: backlog review → security review → release sign-off → launch report", "Rename the team board's "
     "columns to these.", "simple"),  # the states a board already shows, not work in order
    ("Onboarding wizard: signup → email verification → profile completion → plan selection", "", "simple"),
    ("Project badges are wrong", "backfill → integration → deployment → review: the last badge shows undefined",
     "simple"),  # the failing flow of a failure report
    ("Signup → email verification → profile completion → plan selection: the Back button skips a step", "", "simple"),
    ("Add a request id to the order logs", "Requests flow API gateway → orders service → payment adapter → ledger "
     "writer; each hop should log the same id.", "simple"),
    ("Add the order id to every log line", "Each order flows through validation → payment authorisation → "
     "fulfilment → shipment notification.", "simple"),
    ("Trace the slow checkout requests", "API gateway → auth service → orders service → database; add timing logs to "
     "each hop.", "simple"),
])
def test_an_arrow_chain_of_work_is_ordered_parts_a_chain_of_things_is_a_path(
        rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a task that is only the name of a system asks for the whole of it
    ("Tenant self-service portal", "", "complex"),
    ("Field technician mobile app", "", "complex"),
    ("Supplier extranet", "", "complex"),
    ("Public booking API for travel agents", "", "complex"),
    # ... not a question about one, a failure of one, a verb before its object, or a name its description works on
    ("Which app version do the kiosks run?", "", "simple"),
    ("Tenant portal login broken", "", "simple"),
    ("Paginate the tenant portal API", "", "simple"),
    ("HR intranet", "The HR intranet has been down since 9:00.", "simple"),
    ("README typo partner API", "", "simple"),
    ("Dark mode iOS app", "", "simple"),
    ("Favicon - company website", "", "simple"),
    ("Helpdesk app", "Add a dark mode toggle to the helpdesk app's settings.", "simple"),
])
def test_a_bare_system_name_is_the_whole_system(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


def test_stated_parts_skips_places_a_preposition_puts_after_the_change() -> None:
    nouns, places = ["screens", "modules"], {"screens"}
    assert stated_parts("Add de.json for the four onboarding screens", nouns, places) == 0
    assert stated_parts("Implement the 4 screens of checkout", nouns, places) == 4
    assert stated_parts("Launch its three modules (a, b, c) in the three modules", nouns, places) == 3
    assert stated_parts("Add de.json for the four onboarding screens", nouns) == 4


def test_a_version_number_counts_no_parts() -> None:
    """``Python 3.12`` or ``Node 18.12`` before a part noun is a version, not twelve services; a count stays one,
    after a sentence's full stop too."""
    nouns = ["services", "dashboards"]
    assert stated_parts("Rebuild the base image on Python 3.12 services use", nouns) == 0
    assert stated_parts("Upgrade to Node 18.12 services", nouns) == 0
    assert stated_parts("Pin 2.3 dashboards", nouns) == 0
    assert stated_parts("Build 12 dashboards for ops", nouns) == 12
    assert stated_parts("Version 3. 4 services move to the new cluster", nouns) == 4


def test_introduced_items_reads_a_need_or_means_list_without_a_colon() -> None:
    assert introduced_items("We need API keys per partner, rate limits, an OpenAPI reference, and a security "
                            "review.") == ["API keys per partner", "rate limits", "an OpenAPI reference",
                                           "a security review"]
    assert introduced_items("The tax table needs migrating, the template updating and the release deploying.") == []
    assert introduced_items("They need read access to the repos and the logs, but no prod access and no DB.") == []


def test_title_requests_needs_two_known_verbs_and_a_request_shape() -> None:
    verbs = {"set up", "seed", "audit"}
    assert title_requests("Set up the staging environment, seed it with data, and give QA access", verbs) == [
        "set", "seed", "give"]
    assert title_requests("Set up Vault with the KV engine, AppRole auth and audit logging", verbs) == []
    assert title_requests("Set up the cluster, the registry and the DNS", verbs) == []


def test_parallel_actions_counts_a_series_of_requests_only_when_asked_to() -> None:
    pieces = ["Freeze the IAM roles", "export the access logs", "collect the contracts"]
    assert parallel_actions(pieces, VERBS) == []
    assert parallel_actions(pieces, VERBS, series=True) == pieces
    assert parallel_actions(["Take the id", "restore it to staging", "rerun the anonymiser"], VERBS, series=True) == [
        "restore it to staging"]


@pytest.mark.parametrize(("title", "description", "decision"), [
    # three separate actions in a description are parts of work (in the labelled corpus, 102 of 105 such tasks
    # are complex): a recovery, a move
    ("Warehouse scanner outage follow-up", "Restore the handheld config profiles from Friday's backup, re-sync the "
     "bin locations with the WMS and resume the paused pick waves.", "complex"),
    ("Office move to the 4th floor", "Order the new desks, re-patch the printers' network ports and update the floor "
     "plan in the room-booking app.", "complex"),
    # ... but kinds sharing one head noun are one thing's kinds, not verbs
    ("Configure a GitLab CI pipeline with build, test and deploy stages", "", "simple"),
    ("Create dev, test and prod environments for the billing API", "", "simple"),
    # ... and a story's acceptance criteria are what must hold of one feature
    # ... and a fix's own regression test is part of the fix
    ("Stored XSS in the product reviews widget", "Reviews render script tags unescaped. Escape the output, patch the "
     "widget template and add a regression test.", "simple"),
    ("Saved filters", "As an analyst I want to save my filters so that I can reuse them.\n\nAC:\n1. Save the current "
     "filters under a name\n2. Rename and delete a saved filter\n3. Apply a saved filter from the sidebar\n4. Share a "
     "filter with my team", "simple"),
])
def test_three_separate_actions_are_parts_unless_kinds_or_criteria(rules: Classifier, title: str, description: str,
                                                                    decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a credential or certificate routine done in many places is one job (F4), as a patch or a revoke is
    ("Rotate the payment API key in all 8 checkout services", "simple"),
    ("Renew the client certificates on all 20 store servers", "simple"),
    # "Request of/for X" asks for X: here a read-only scan, wherever it looks
    ("Request of a secrets scan for all services of the payments team", "simple"),
    # ... but moving many services is work on each of them, and so is a routine with a second job after it
    ("Move all 12 services from Heroku to our Kubernetes cluster", "complex"),
    ("Rotate the webhook secrets in all 6 partner services and redeploy each of them", "complex"),
])
def test_a_routine_in_many_places_is_one_job(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a login or redirect loop is a failure of the capability, not the capability to build
    ("Okta SSO redirect loop for contractors on the wiki", "simple"),
    ("SSO for the partner portal", "complex"),
])
def test_a_loop_is_a_failure(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # what a reading job writes down is its result, not docs work of another master
    ("Catalog the Terraform modules in infra-live and document what each one provisions", "simple"),
    ("Discover the unused S3 buckets of the old analytics team and document what each holds", "simple"),
    # ... unless the job also changes something: then the document is a part of its own
    ("Audit the S3 buckets, make the public ones private and document the new bucket policy", "complex"),
])
def test_what_a_reading_job_writes_down_is_its_result(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "master"), [
    # a failover or disaster-recovery exercise is operations' work on a running system, whatever it runs
    ("Failover drill for the customer database", "Promote the replica, measure the write downtime, then fail back.",
     "cicd"),
    ("Yearly DR test of the HR system", "Restore last night's backup into the test environment and confirm the data "
     "is complete.", "cicd"),
    # ... but documenting the procedure is documentation
    ("Document the failover procedure of the search cluster", "", "development"),
])
def test_a_failover_exercise_is_operations(rules: Classifier, title: str, description: str, master: str) -> None:
    assert route(rules, title, description) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # a security header or cookie attribute is hardening, wherever it is set (a hyphenated header's capitalised
    # tail, "Frame-Options", is no proper name to skip)
    ("Set the X-Frame-Options header on the docs site", "security"),
    ("Add the SameSite attribute to the login cookie", "security"),
    # ... a header on a document or a page is what it shows
    ("Put the Company Name header on the invoice PDF", "development"),
])
def test_a_security_header_is_hardening(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # taking a running thing back to an earlier version is a rollback, whatever the verb and the thing's words
    ("Bring the search api back to last week's version", "cicd"),
    ("Take the billing service back to yesterday's build", "cicd"),
    ("Get the checkout api back to v2.3.1", "cicd"),
    # ... a link that goes back to an old page is a link
    ("Add a 'back to the previous version' link to the docs page", "development"),
])
def test_back_to_an_earlier_version_is_a_rollback(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # putting a version or a site live is a release
    ("Put version 3.2 of the API live", "cicd"),
    ("Get the new careers site live before the fair", "cicd"),
    ("Can the redesigned blog go live on Thursday?", "cicd"),
    # ... live data on a page is a feature of the page
    ("Get live scores on the match page", "development"),
    ("Make the scores update live on the match page", "development"),
])
def test_putting_it_live_is_a_release(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a title that changes a setting is a request of its own, one more than the work owed after it
    ("Change the refund window to 30 days", "Also: open refunds need extending, the help-center article must be "
     "rewritten, and the change has to be deployed before the sale.", "complex"),
    ("Switch the log level of the importer to debug", "", "simple"),
])
def test_a_setting_changed_is_a_request(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a chain of states or a status flow names what a thing goes through, even when its states are verbs
    ("Article states in the CMS workflow: draft → review → publish → archive", "simple"),
    ("Ticket status on the support board: triage → investigate → fix → verify", "simple"),
    # ... steps or stages of work are work in order
    ("Steps for the new reports module: design → build → test → document", "complex"),
])
def test_a_chain_of_states_is_a_path_even_of_verbs(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a count whose things are named one by one names the parts, whatever the things are
    ("The three nightly exports (orders, refunds, stock) must move from cron to Airflow", "", "complex"),
    # ... not the places one change is made, nor a count of references or of what is said in parentheses
    ("Update the footer on the three marketing sites (main, careers, blog)", "", "simple"),
    ("Checkout shows the wrong currency for Swiss shoppers", "Seen in 3 tickets (#4410, #4412, #4420). Prices "
     "show EUR instead of CHF.", "simple"),
    ("Round the FX amounts to 4 decimals (risk rating: medium)", "", "simple"),
])
def test_a_count_of_named_things_is_parts(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # ... or named after a colon
    ("Three things for the campaign: a landing page, an email drip, and a tracking dashboard", "complex"),
    # ... but small edits are one edit, and alternatives are a choice
    ("Fix three typos: recieve, seperate, occured", "simple"),
    ("Session store, three caches: Redis, Memcached or Valkey", "simple"),
])
def test_a_count_named_after_a_colon_is_parts(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a bare title that is only an ability of the organisation or the product is a capability to build
    ("Lot traceability for the bottling lines", "complex"),
    ("ISO 27001 readiness", "complex"),
    ("Player analytics", "complex"),
    # ... not a property of one thing, nor an ability of one screen
    ("Search page performance", "simple"),
    ("Accessibility of the signup form", "simple"),
])
def test_a_bare_ability_is_a_capability(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "master"), [
    # shown live on a screen is a feature of the screen, and switching another master's tool on is that master's
    ("Put the exchange rates live in the sidebar", "development"),
    ("Get the support queue live-refreshing", "development"),
    ("Take the LIVE icon off the finished matches", "development"),
    ("Get the Snyk scan live on the mobile repos", "security"),
    # ... putting a site or a release live somewhere that is no screen is still a release
    ("Put the new careers site live on the main domain", "cicd"),
    ("Take release 4.1 live on Monday", "cicd"),
    ("Get the partner API live for the pilot customers", "cicd"),
])
def test_live_on_a_screen_is_no_release(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # a quoted "back to ..." is a label of a screen (a button, a menu entry), not a rollback
    ("The 'Back to last week's version' button in the page history does nothing", "development"),
    ("\"Back to yesterday's version\" reopens the wrong draft in the notes app", "development"),
    # ... unquoted, it is the rollback
    ("Send the pricing api back to last week's version", "cicd"),
])
def test_a_quoted_back_to_is_a_label(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # a name after a lowercase prefix is still a name ("e-Signature Security Notice"); only a header's one-letter
    # prefix (X-...) makes its tail a header's name
    ("Translate the e-Signature Security Notice into Polish", "development"),
    ("Set the X-Content-Type-Options header on the API gateway", "security"),
])
def test_a_prefixed_name_is_a_name(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "description", "decision"), [
    # settings changed together are one configuration change, however many
    ("Checkout defaults", "Set the default currency to EUR, switch the address form to the EU layout and raise the "
     "basket limit to 50 items.", "simple"),
    # ... a setting followed by other work is a request among others
    ("Checkout currency", "Set the default currency to EUR, migrate the saved baskets and update the "
     "merchant FAQ.", "complex"),
])
def test_settings_changed_together_are_one_change(rules: Classifier, title: str, description: str,
                                                  decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a title that reports one thing's problem and three steps that deal with it: one fix (F3)
    ("Queue backlog alert on the mail worker", "Check the dead-letter queue, requeue the stuck messages and raise the "
     "worker concurrency.", "simple"),
    ("Broken images in the product gallery", "Find the missing files, re-upload them from the CDN origin and purge the "
     "cache.", "simple"),
    # ... but new things made as its answer are deliverables, and so is a recovery of several things (M2)
    ("Search results are slow", "Rewrite the ranking code in Rust, shard the index and add a cache for the facets.",
     "complex"),
    ("NAS failure follow-up", "Restore the design share from tape, rebuild the print queue server and resume the "
     "paused photo sync.", "complex"),
])
def test_three_steps_against_one_problem_are_one_fix(rules: Classifier, title: str, description: str,
                                                     decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a fix's own unit test is part of the fix
    ("Credit-note rounding", "Fix the rounding in credit_note.py, guard the zero case and add a unit test.", "simple"),
    # ... a test suite for a whole module is work of its own
    ("Invoice module follow-up", "Build the credit-note endpoint, add a unit test suite for the whole invoicing module "
     "and deploy both to staging.", "complex"),
    ("Dunning follow-up", "Build the reminder endpoint, add unit tests for all the dunning handlers and deploy both to "
     "staging.", "complex"),
])
def test_a_test_suite_is_no_fix_of_its_own(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "master"), [
    # what a screen or a message shows, taken back to an earlier wording or look, is an edit of it
    ("Set the checkout button label back to last month's version", "development"),
    ("Put the invoice email wording back to last year's version", "development"),
    # ... a running program or a build taken back is a rollback, whatever its name holds
    ("Roll the calendar service back to last month's version", "cicd"),
    ("Take the banner api back to last month's version", "cicd"),
    ("Take the footer back to yesterday's build", "cicd"),
])
def test_shown_content_taken_back_is_an_edit(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "description", "decision"), [
    # what a guide tells its reader to do, after its colon, is its content, not work asked of us
    ("Kiosk setup guide", "Write the setup guide for the store staff: unbox the tablet, install the kiosk app and pair "
     "the card reader.", "simple"),
    # ... the guide as one piece of work among others is still a part
    ("Kiosk guide and rollout", "Write the setup guide for the staff, install the kiosk app on the 40 tablets and pair "
     "the card readers with the tills.", "complex"),
])
def test_what_a_guide_says_is_its_content(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # switching a thing off is a setting, and its steps are the one request's
    ("Switch off the legacy FTP server", "Disable the accounts, copy the last files to S3 and shut down the VM.",
     "simple"),
    # ... switching it to something else is a migration, whose steps are its parts
    ("Switch the nightly jobs from cron to Airflow", "Port the 12 DAGs, copy the connections and shut down the cron "
     "host.", "complex"),
])
def test_switching_off_is_no_migration(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # an arrow chain after a program named before its colon is the program's steps, whatever each is called
    ("Checkout rebuild: pricing service → cart API integration → load test → release", "complex"),
    ("HEVC rollout: add the encoding profile → update the players → ramp traffic", "complex"),
    # ... a flow the program reworks is still a path
    ("Signup flow redesign: email → password → welcome", "simple"),
])
def test_a_programs_chain_is_its_steps(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a thing moved from one platform to another is a migration's parts (32 of 35 such dev tasks are complex)
    ("Move the company wiki from Confluence to Notion", "complex"),
    ("Migrate the image pipeline from the on-prem cluster to Cloud Run", "complex"),
    # ... not one unit of it, nor something moved on a screen
    ("Move the nightly backup job from cron to systemd timers", "simple"),
    ("Move the search box from the header to the sidebar", "simple"),
    ("Move the help button from the old widget library to our design system", "simple"),
])
def test_a_thing_moved_between_platforms_is_a_migration(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a change made to many things, then each shipped: the things are the parts
    ("Move all 9 Lambda functions to Node 20 and redeploy them", "complex"),
    ("Upgrade every Django service to 5.0 and deploy them", "complex"),
    # ... not a version number taken for a count, nor two sites
    ("Bump the footer year on both sites and deploy them", "simple"),
])
def test_a_change_to_many_things_each_shipped_is_parts(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a description that only lists things to build lists the deliverables
    ("Supplier onboarding kit", "A document upload API, a review queue, a partner portal and weekly status emails.",
     "complex"),
    # ... not the parts of one screen or form
    ("Settings page", "We need a language field, a timezone box, a theme toggle and a save button.", "simple"),
    ("Contact form", "A name field, an email field, a message box, a submit button, a confirmation email, a CRM "
     "integration and a spam check.", "simple"),
])
def test_a_description_listing_things_to_build_lists_deliverables(rules: Classifier, title: str, description: str,
                                                                  decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # the parts of one table, screen or setting named one by one are that thing's, not parts of work
    ("Add three filters (status, owner, due date) to the tickets list", "simple"),
    ("Rename the three columns (created, updated, deleted) to *_at in the users table", "simple"),
    ("The five log levels (trace, debug, info, warn, error) should be selectable in the CLI", "simple"),
    # ... things named by a count are still parts
    ("The three batch jobs (invoice, reminder, export) should move from cron to Kubernetes CronJobs", "complex"),
])
def test_named_parts_of_one_thing_are_its_own(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a program's chain of single words is the stages, environments or screens of one change
    ("Canary rollout: 5% → 25% → 100% for the new checkout build", "simple"),
    ("Rollout: dev → staging → prod for the logging config change", "simple"),
    ("Implementation: parse → validate → store, all inside import_csv() in importer.py", "simple"),
    # ... a chain of pieces of work is still the program's steps
    ("Billing platform rebuild: usage collector → rating engine → invoice service → customer portal", "complex"),
])
def test_a_programs_chain_of_single_words_is_one_change(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a piece of code, a secret or what a screen shows, or a move made inside one named thing, is one change
    ("Port the CSV parser from Python 2 to Python 3", "simple"),
    ("Move the SMTP credentials from the .env file to Vault", "simple"),
    ("Switch the default font from Arial to Inter", "simple"),
    ("Switch the map tiles from Google Maps to OpenStreetMap on the store locator page", "simple"),
    ("Switch the session store from memory to Redis in the admin app", "simple"),
    ("Migrate the unit tests from Jest to Vitest in the ui package", "simple"),
    # ... a whole app or platform moved is still a migration
    ("Port the Android app from Java to Kotlin", "complex"),
    ("Move our monitoring from Datadog to Grafana Cloud", "complex"),
])
def test_a_piece_moved_is_one_change(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # files, pages or templates of one thing ship together: one change
    ("Fix the typo in all five email templates and deploy them", "simple"),
    ("Compile all 12 translation files and publish them to the CDN", "simple"),
    ("Fix the broken pricing link on all 3 landing pages and redeploy them", "simple"),
    # ... services or packages each shipped on its own are parts
    ("Add OpenTelemetry tracing to the four backend services and release them", "complex"),
    ("Patch log4j in every Java microservice and redeploy them", "complex"),
])
def test_many_files_of_one_thing_ship_together(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


# Routing on new phrasings (issue 11, the fresh set of route7): each cause with its opposites.

@pytest.mark.parametrize(("title", "master"), [
    # an operations object heading the work (a disk, a VM's volume, backups, a DNS record's TTL) is cicd's,
    # whatever it belongs to: the database named after it says whose, not what the work is
    ("Resize the disk of the orders database host to 1 TB", "cicd"),
    ("Configure weekly backups of the billing database", "cicd"),
    ("Grow the data volume of the analytics database host", "cicd"),
    ("Lower the TTL of the shop's DNS record before the migration", "cicd"),
    # ... but a screen about them is development's, and asking which exist or encrypting them is not operations
    ("Add a backup settings page to the admin app", "development"),
    ("Fix the disk usage chart on the host dashboard", "development"),
    ("Which databases have no backups?", "inventory"),
    ("Encrypt the backups of the ledger database", "security"),
])
def test_an_operations_object_heading_the_work_is_cicds(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # security's words as its own people write them: a pen test, vulns, root login, a failed login
    ("Pen-test the partner API before launch", "security"),
    ("Pen test of the booking widget", "security"),
    ("Disable root login over SSH on the bastion", "security"),
    ("Failed login alerts from the VPN gateway", "security"),
    ("Trim the OAuth2 scopes of the GitHub app to read-only", "security"),
    # checking a thing for a security concern is a review, whatever the thing is
    ("Check the CMS plugins for old vulns", "security"),
    ("Verify the search page against vulns", "security"),
    # ... but testing, checking or showing without one is development's
    ("Test the new file upload endpoint", "development"),
    ("Check the CMS plugins for broken links", "development"),
    ("Show the failed login count on the admin dashboard", "development"),
    ("Add a login history page to the account settings", "development"),
    ("Add OAuth2 login to the admin app", "development"),
])
def test_security_words_as_its_people_write_them(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # a request passed on in quotes is what was asked (someone asking: five words or more, "we", "can", "need")
    ('Forwarded from the data team: "could you set up a staging namespace for us on the cluster?"', "cicd"),
    ('From the CFO: "we need a list of every SaaS subscription we pay for"', "inventory"),
    # ... a quoted name stays a name, even a long one or one that speaks to the reader
    ('Rename the "Export all repositories to CSV" button', "development"),
    ('Fix the typo in the "Can you rate us?" popup', "development"),
    ('Translate the "Deploy your first release in minutes" banner', "development"),
    ('Translate "Can\'t reach the deploy server right now" into German', "development"),
])
def test_a_quoted_request_is_the_work(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # what operations people name when they ask for a change: DNS records, pods, the certificate tooling
    ("Add a CNAME for the help site pointing to the docs host", "cicd"),
    ("Add the DNS records for the new shop domain", "cicd"),
    ("Let cert-manager issue the certificate for the admin host", "cicd"),
    ("Raise the memory of the search pods to 4 GiB", "cicd"),
    # ... but a screen showing them is development's, a certificate checked for a concern security's, and a
    # bucket made private stays security's
    ("Add a DNS records table to the domain settings page", "development"),
    ("Show pod restarts on the service dashboard", "development"),
    ("Check the certificate pinning in the Android app for bypasses", "security"),
    ("Make the CloudFront logs bucket private", "security"),
])
def test_operations_words_route_to_cicd(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # asking to know what exists ("we need to know which ...", "do we know how many ...") asks the question
    ("We need to know which services still use Redis 5", "inventory"),
    ("Do we know how many Jenkins jobs are left?", "inventory"),
    ("Need to know what cron jobs run on the old VM", "inventory"),
    ('From the CTO: "I want to know which external SaaS tools we pay for"', "inventory"),
    ("We need to know all the domains we own", "inventory"),
    # ... but not why something fails, nor when something happens, nor a measure of one thing
    ("Do we know why the invoice export fails?", "development"),
    ("We need to know when a deploy finishes: post it to the release channel", "cicd"),
    ("I want to know the p95 latency of the search API after the cache change", "development"),
])
def test_asking_to_know_what_exists_is_a_census(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # a secret shown or kept where it should not be, said as a state, is a security defect
    ("The error page shows the database connection string", "security"),
    ("API responses include the password hash", "security"),
    ("The wiki page lists the prod DB password", "security"),
    ("Our .env is in the public GitHub repo", "security"),
    ("The staging Jenkins still has admin/admin", "security"),
    ("Kibana accepts root/root", "security"),
    # ... but a screen that asks for a password, or fails to show something, is development's
    ("The login page shows the password field twice", "development"),
    ("The signup page does not show the password rules", "development"),
    ("Login form doesn't show an error when the password is wrong", "development"),
    ("Add a password reset form", "development"),
    ("The password manager page doesn't show the saved credentials", "development"),
])
def test_a_secret_where_it_should_not_be_is_a_defect(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # switching a security control on or off where a running system takes its settings hardens it
    ("Disable TLS 1.0 on the public load balancer", "security"),
    ("Enable the WAF on the production load balancer", "security"),
    ("Enable audit logging on the reporting database cluster", "security"),
    ("Turn off SSLv3 on the ingress", "security"),
    ("Disable anonymous access on the staging cluster", "security"),
    # ... but a switch with no security concern is the place's, and so is a security step added to a pipeline
    ("Enable debug logging on the staging cluster", "cicd"),
    ("Disable HTTP/1.0 on the load balancer", "cicd"),
    ("Add a secret-scanning step to the shared CI pipeline", "cicd"),
    ("Enable Dependabot version updates for the GitHub Actions in our workflows", "cicd"),
])
def test_switching_a_security_control_on_a_running_system_is_hardening(rules: Classifier, title: str,
                                                                       master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # carrying what exists into the catalog, the inventory, the CMDB or the asset register records it
    ("Import the laptops from the HR sheet into the asset register", "inventory"),
    ("Export the Helm release versions to the catalog", "inventory"),
    ("Pull the Kubernetes cluster versions into the service catalog", "inventory"),
    ("Copy the DNS zones into the inventory", "inventory"),
    # ... but not into a page of a program, nor anything carried elsewhere
    ("Import the CSV of assets into the inventory page", "development"),
    ("Sync the catalog database to the staging cluster", "cicd"),
    ("Deploy the catalog service to staging", "cicd"),
])
def test_carrying_what_exists_into_the_catalog_records_it(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # what a census looks for ("which hosts are missing from ...") is not a failure of what it names
    ("Which hosts are missing from Datadog?", "inventory"),
    ("Which servers are missing the monitoring agent?", "inventory"),
    ("Check which repositories are missing from the deploy dashboard", "inventory"),
    # ... but a report that something is missing, or asking why, is a failure
    ("Map pins are missing on the store page", "development"),
    ("Metrics of the staging hosts are missing in Grafana", "cicd"),
    ("Why are the staging hosts missing from Grafana?", "cicd"),
])
def test_what_a_census_looks_for_is_no_failure(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # a question of who may do what is an access review, wherever the access is
    ("Who still has admin on the AWS root account?", "security"),
    ("Who can deploy to production?", "security"),
    ("Who has root on the build servers", "security"),
    # ... but not who owns a thing, whom to ask, or who broke something
    ("Who owns the billing service?", "inventory"),
    ("Who can I ask about the billing service?", "development"),
    ("Who broke the nightly build?", "cicd"),
])
def test_who_may_do_what_is_an_access_review(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # a build that fails on a compiler's or a bundler's message about the code fails in the code
    ("yarn build fails: TS2339 Property 'total' does not exist on type 'Order'", "development"),
    ("go build fails with undefined: config.Load after the refactor", "development"),
    ('webpack build breaks with "Module not found: lodash-es"', "development"),
    # ... but one that fails on its machine, its runner or its image is cicd's
    ("The nightly build fails: runner out of disk", "cicd"),
    ("Build fails on main with 'no space left on device'", "cicd"),
    ("Docker build fails: pip cannot find the wheel for numpy on alpine", "cicd"),
])
def test_a_build_failing_on_the_codes_error_is_the_codes(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # running tests on a trigger (after each deploy, on every merge) or a schedule is a pipeline's step
    ("Run the integration tests on every merge to main", "cicd"),
    ("Run the load tests before each release", "cicd"),
    ("Run the contract tests nightly against the partner sandbox", "cicd"),
    # ... and so is scheduling a job or a script to run periodically
    ("Schedule the cleanup script every Sunday at 3am", "cicd"),
    ("Run the invoice job daily at 6am", "cicd"),
    # ... but running them once, writing them, or a security scan on a trigger is not
    ("Run the load test against the search API", "development"),
    ("Write smoke tests for the checkout flow", "development"),
    ("Run a secrets scan on every push", "security"),
    ("Schedule the reminder emails for users", "development"),
    ("Let users schedule reports weekly", "development"),
])
def test_running_a_thing_on_a_trigger_or_a_schedule_is_operations(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # a title whose subject is a certificate that expires asks for its renewal, whatever names it in between
    ("TLS certificate for shop.example.com expiring soon", "cicd"),
    ("Certificate for the VPN gateway expires in 3 days", "cicd"),
    ("the wildcard cert runs out next week", "cicd"),
    # ... but a screen or a warning about expiry is development's, and asking which expire is a census
    ("Show when the certificate expires on the domain page", "development"),
    ("Add a certificate expiry column to the domains table", "development"),
    ("Warn users in the app when their client certificate is about to expire", "development"),
    ("Check which certificates expire this quarter", "inventory"),
])
def test_a_certificate_that_expires_is_renewed(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # rotating what is no secret is not security's rotation
    ("Rotate the nginx logs daily", "cicd"),
    ("Rotate the on-call schedule weekly in PagerDuty", "cicd"),
    ("Set up log rotation for the worker hosts", "cicd"),
    # ... rotating a secret is
    ("Rotate the DB password", "security"),
    ("Rotate the API tokens of the CI bot", "security"),
    ("Rotate the Slack webhook of the alerts channel", "security"),
])
def test_rotating_what_is_no_secret_is_not_securitys(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # finding assets left in a state of neglect counts them: a census
    ("Find orphaned volumes in AWS", "inventory"),
    ("Identify untagged S3 buckets", "inventory"),
    ("Identify idle VMs in Azure", "inventory"),
    # ... but not neglected code, nor access left behind
    ("Find unused CSS in the web app", "development"),
    ("Find dead code in the billing module", "development"),
    ("Identify unused IAM roles", "security"),
])
def test_finding_neglected_assets_is_a_census(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


@pytest.mark.parametrize(("title", "master"), [
    # "build a/the ..." is the verb that makes a thing: what is made decides, not the CI's "build"
    ("Build a referral scheme for new customers", "development"),
    ("Build the gift card flow", "development"),
    ("build a points program for the app", "development"),
    # ... while the build as a noun, or a build of a CI artefact, is cicd's
    ("Speed up the build on the monorepo", "cicd"),
    ("The build is red since this morning", "cicd"),
    ("Build the docker image for the reporting worker", "cicd"),
])
def test_build_that_makes_a_thing_is_not_a_ci_build(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


# --- cx8: complex tasks in new voices, and the simple ones near the border -----------------------------------


@pytest.mark.parametrize(("title", "decision"), [
    # after a colon that follows a request to make one thing, the title details that thing: its features,
    # columns or subcommands, not more work (F1)
    ("Create the invoices screen: sort by due date, filter by customer, export to PDF, email reminder button",
     "simple"),
    ("Write the on-call guide: paging rules, escalation contacts, deploy freeze windows", "simple"),
    ("Add a `billing` command with subcommands: invoices list, invoices send, audit show", "simple"),
    ("Set up the release workflow for the SDK: build on tag, test on PR, publish to npm", "simple"),
    # ... while after a label, or after a change that is not the making of one thing, the same list is the work
    ("Invoices: build the screen, audit the access rules, deploy it to production", "complex"),
    ("Upgrade Python 3.9 to 3.12 in the scheduler: update code, rebuild images, run regression tests, roll out",
     "complex"),
    ("Move the wiki to Confluence: export the pages, import them, redirect the old links, archive the server",
     "complex"),
    ("Build and launch the loyalty scheme: points ledger, rewards page, fraud checks, release behind a flag",
     "complex"),
])
def test_a_colon_after_a_request_details_the_one_deliverable(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # parts given as a bare series of things, with no colon and no word introducing them, that span masters
    ("Set up the Oslo site", "The site VPN, 12 scanners recorded in the asset inventory, the label printer app "
     "installed on the local server, and a wiki page for the staff.", "complex"),
    # ... a series of one thing's features stays one deliverable, and so does a sentence that says something
    ("Profile card polish", "Rounded avatar, bold display name, muted job title, and a follow button.", "simple"),
    ("Release notes page", "The page has a version picker, a search box, and a link to the changelog.", "simple"),
    # parts joined by "+": pieces of work named by their nouns count as much as verbs
    ("ledger v2 — design + build + sec review + rollout", "", "complex"),
    ("wishlist: build + pen test + release + docs", "", "complex"),
    ("Kick off the analytics stack", "duckdb + the loader service + dashboards, and get security to sign it off "
     "before the data team gets access", "complex"),
    # ... but the things one change touches, joined by "+", are one change
    ("Add dark mode to header + footer + sidebar", "", "simple"),
    ("Bump lodash in web + admin + docs site", "", "simple"),
])
def test_a_series_with_no_colon_lists_parts(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


def test_series_and_joined_items() -> None:
    assert joined_items("auth svc v2 — build + sec review + rollout") == ["build", "sec review", "rollout"]
    assert joined_items("a; b; c") == []  # ";" joins prose's clauses as often as parts
    assert series_items("New cluster, a security review, and an inventory entry.") == [
        "New cluster", "a security review", "an inventory entry"]
    assert series_items("We need a cluster, a security review, and an inventory entry.") == []


def test_a_series_of_actions_is_counted_once_as_actions(rules: Classifier) -> None:
    decided = classify(rules, "Clean up after the leaked deploy key", "Revoke the deploy key, rotate the registry "
                       "password, scan the history for other secrets, and redeploy the shop.")
    assert decided.decision == "complex"
    assert not any("listed parts" in reason for reason in decided.reasons), decided.reasons


@pytest.mark.parametrize(("title", "description", "decision"), [
    # three listed parts, the last shipping what the others make: stages, as the seed's "build, then deploy"
    ("Wallet v2 — build + load test + rollout", "", "complex"),
    ("Search page: add facets, add synonyms, deploy behind a flag", "", "complex"),
    # ... not the steps of one release, which make nothing, nor parts that are never shipped
    ("Cut the 4.2 release", "Steps: tag the commit, upload the wheels, publish to PyPI.", "simple"),
    ("Search page: add facets, add synonyms, document the filters", "", "simple"),
])
def test_listed_parts_made_then_shipped_are_stages(
        rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # "after" for "afterwards", as writers of English as a second language say it, orders the work
    ("We need to do the migration of the mail server to the cloud, after we must delete the old server and write "
     "the documentation for helpdesk", "complex"),
    ("Please do the rewrite of the portal in Vue and also the API need the login, and after deploy in the new "
     "cluster", "complex"),
    # ... "after" before a time or an event is when, not an order of work
    ("Run the smoke tests after each deploy of the portal", "simple"),
    ("Clear the CDN cache after the deploy of the portal", "simple"),
])
def test_after_for_afterwards_orders_the_work(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


def test_after_markers() -> None:
    assert sequence_markers("Move the users to Keycloak, after we must delete the old LDAP") == ["after we must"]
    assert sequence_markers("Migrate the jobs and after remove the jenkins") == ["and after"]
    assert sequence_markers("Clean the cache and after the deploy check the logs") == []


@pytest.mark.parametrize(("title", "decision"), [
    # a fix's own regression test is part of the fix, even when the fix is security's and tests are development's
    ("Fix the XSS in the profile bio renderer and add a regression test", "simple"),
    ("Patch the SQL injection in the search endpoint and add a unit test", "simple"),
    # ... a suite for a whole module is work of its own
    ("Patch the SQL injection in the search endpoint and add a unit test suite for the whole API", "complex"),
])
def test_a_fixs_own_test_is_no_second_masters_work(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # parts named before their one plural noun are as many parts as a count would say (M1)
    ("Build the billing, support and reporting modules", "complex"),
    ("Clinic suite: patient intake, lab results, and appointment reminders modules", "complex"),
    ("Write the import, export and sync components for the CRM connector", "complex"),
    # ... not where one change goes, nor the screens or pages one change is made on
    ("Add the dark theme to the orders, invoices and customers services", "simple"),
    ("Translate the login, signup and checkout pages", "simple"),
    ("Add dark mode to the settings, profile and billing screens", "simple"),
])
def test_parts_named_before_their_plural_noun_are_a_count(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a count the writer gives of the work just listed ("all three") states its parts
    ("few things for the billing team", "the invoice PDF cuts the last line, refunds never reach the ledger, and "
     "finance wants a monthly reconciliation report. all three this sprint pls", "complex"),
    # ... a count of the places one change goes does not
    ("Raise the upload limit to 50 MB", "Use the same value on all three upload forms.", "simple"),
])
def test_all_three_counts_the_work_just_listed(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # words sharing one head noun name kinds of one thing, also when there is one of it
    ("Add a lint, test and build job to the mobile pipeline", "simple"),
    ("Add a format, lint and typecheck step to the API workflow", "simple"),
    # ... while the same words as verbs of the work are its steps
    ("Lint, test and build the mobile app, then deploy it", "complex"),
])
def test_one_job_of_several_kinds_is_one_thing(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # regions are where one change is rolled out, not systems it spans (F4)
    ("Roll back the search service to 2.3.1 in all three regions", "simple"),
    ("Raise the upload limit to 50 MB in all regions", "simple"),
    # ... a change across all services still spans systems
    ("Add structured logging across all services", "complex"),
])
def test_all_regions_are_places_of_one_change(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a title's steps that go on with "it" work on what the first one works on: one routine
    ("Cordon worker-3, upgrade the kubelet, restart it and uncordon it", "simple"),
    ("First reproduce the freeze on iOS 17, then fix it, then add a test that covers it", "simple"),
    # ... unless the first step makes something: then each step on it is work of its own
    ("Set up a preview environment, seed it with test data, and give the designers access", "complex"),
    ("Spin up the new docs portal and wire it to our search, then announce it and retire the old wiki", "complex"),
])
def test_steps_on_it_are_one_routine_unless_it_was_made(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


def test_title_requests_reads_an_ordinal_as_no_verb() -> None:
    verbs = {"reproduce", "fix", "add"}
    assert title_requests("First reproduce the crash, then fix the parser, then add a test", verbs) == [
        "reproduce", "fix", "add"]


def test_steps_on_what_the_first_piece_makes_are_pieces_of_their_own(rules: Classifier) -> None:
    decided = classify(rules, "Write a backfill script, run it against staging, then schedule it nightly", "")
    assert decided.decision == "complex"
    assert any("3 pieces of work asked in the title" in reason for reason in decided.reasons), decided.reasons


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a review or sign-off of what is built, asked as a noun phrase, is security's stage after the build (M)
    ("Support gift cards in checkout", "The web shop and the Android app, a PCI scope review with the "
     "security team, one flag per platform.", "complex"),
    ("Spec: shared calendars", "Calendar sharing model, invite dialog, a calendar picker in the sidebar and a data "
     "isolation review before GA.", "complex"),
    ("Implement bulk user import for the admin console and get it pen tested before release", "", "complex"),
    ("Build the receipts API with a DPIA and a staged rollout", "", "complex"),
    # ... and security (privacy, legal) asked to confirm, look at, audit or vet it
    ("Customer export for Hooli", "Add a CSV export to the orders service and get security to confirm what it includes.",
     "complex"),
    ("Partner webhooks", "Add the webhook sender to the orders service; security has to look at the signing before "
     "launch.", "complex"),
    # ... not a review that is the work itself, nor the review the fix comes from, nor one waited for,
    ("Threat model the new invoice uploader", "Write the result to docs/threat-models/invoice-uploader.md.", "simple"),
    # ... nor a confirmation asked of a team that is no master's ("finance", "sales")
    ("Finance export for Hooli", "Add a CSV export to the orders service and get finance to confirm what it includes.",
     "simple"),
    ("Follow-up from the pen test", "Finding 2: the avatar endpoint takes any user's id. Add an owner check in "
     "avatar_handler.py.", "simple"),
    ("Pentest flagged no lockout on /signin", "Add a lockout after 10 failed tries.", "simple"),
    ("Deploy the reports service to production once the security review has passed", "", "simple"),
    # ... nor a thing made that is named after a review, nor a sign-off that gates a deploy
    ("Add a compliance check step to the release pipeline", "", "simple"),
    ("Roll out the 4.2 gateway config to production; needs security sign-off from the on-call lead", "", "simple"),
])
def test_a_review_of_what_is_built_is_a_stage(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # two ordering words order three stages ("then ... then", "after that ... finally")
    ("Create the price alerts service, after that load test it and finally roll it out", "", "complex"),
    ("Payout exports", "Write the export job then deploy it to staging then switch finance over to it.", "complex"),
    # ... an ordering word before a step's verb opens it ("after that remove", "finally delete")
    ("Customer DB move", "Copy the customer tables to Postgres, then update the two apps, after that remove "
     "MySQL.", "complex"),
    # ... not steps that go on with "it" when the first makes nothing: one routine
    ("First reproduce the login loop, then fix it, then verify it on staging", "", "simple"),
    # ... nor one ordering word between two steps
    ("Add the new date picker to the booking form, then remove the old one", "", "simple"),
])
def test_two_ordering_words_order_stages(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # two things stated by their count, and another master's part besides them: three parts (M1)
    ("The two payroll services need a new API version and a coordinated deploy", "", "complex"),
    # ... not one thing and another master's part (two domains alone), nor two things in one master's words
    ("The payroll service needs a new API version and a coordinated deploy", "", "simple"),
    ("The two payroll services need a new API version", "", "simple"),
    ("Add rate limiting to the two payroll services, then add a usage page", "", "simple"),
    ("Add rate limiting to the two payroll services, then document it in the API guide", "", "simple"),
])
def test_two_things_stated_and_another_masters_part(rules: Classifier, title: str, description: str,
                                                    decision: str) -> None:
    assert decide(rules, title, description) == decision


def test_two_things_stated_and_their_docs_are_one_masters(rules: Classifier) -> None:
    decided = classify(rules, "Write the new API version for the two payroll services, then document it", "")
    assert not any("2 parts of work stated" in reason for reason in decided.reasons), decided.reasons


@pytest.mark.parametrize(("title", "description", "decision"), [
    # phases, milestones or versions planned one after the other are stages
    ("Image delivery", "Phase 1: move the image uploads to S3. Phase 2: serve them through the CDN.", "complex"),
    ("Activity feed for admins", "v1: a read-only feed of admin actions; v2 adds filters and a CSV export.", "complex"),
    # ... one phase labels the request, and versions that are where a change goes are no plan
    ("Phase 2 of the signup form: add the referral code field", "", "simple"),
    ("Move the mobile client from the v1 to the v2 endpoints", "", "simple"),
])
def test_phases_are_stages(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a cut-over: what is built or moved, then the old one retired last
    ("Replace ELK", "Stand up Loki, move the app logs to it, point the dashboards at it, then turn off the ELK "
     "cluster.", "complex"),
    ("Switch SMS provider to Vonage", "Vonage client in the notifications service, migrate the sender IDs, run "
     "both for a week, then shut Twilio down.", "complex"),
    ("Drop the old FTP host", "Copy the partner drop folders to S3, point the partners at the new bucket, verify a "
     "week of uploads, then shut the host down.", "complex"),
    # ... not a change and its one cleanup
    ("Swap the chart library to ECharts in the reports page, then delete the old chart helpers", "", "simple"),
])
def test_a_cut_over_retires_the_old_last(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a cut-over without ordering words: a sentence of 3+ steps that moves onto the new thing and ends retiring one
    # named ("..., and shut the box down", "..., drop the old table after a month")
    ("Replace the print box", "Export the queue settings, move the queues still used to the cloud print service, "
     "and shut the box down.", "complex"),
    ("Search cluster refresh", "Build the new index mappings, reindex in batches, switch the readers, retire the old "
     "cluster after a month.", "complex"),
    ("Tidy the wiki hosting", "Export the spaces, move the pages to Notion, and shut the Confluence server down.",
     "complex"),
    # ... not one codebase's move behind a flag, nor a rotation (the title's one routine), nor what the steps before
    # moved deleted as "them", nor two steps, nor a thing switched off (no move) before it is removed
    ("Move the cart store from Memcached to Redis", "Dual-write behind the flag cart.redis_write, switch reads after "
     "a day, remove the Memcached client after a week.", "simple"),
    ("Rotate the webhook signing secret for the billing service", "Create the new secret, switch the service to it, "
     "delete the old secret.", "simple"),
    ("Clean up stale drafts", "Pick the drafts older than a year, move them to the archive folder, and delete them.",
     "simple"),
    ("Retire the report cron host", "Move the nightly report to the new scheduler and shut the host down.", "simple"),
    ("Sunset the beta banner", "Hide it for new users, switch it off on Monday, remove the banner text.", "simple"),
    # ... nor what one codebase's change retires with it: its old code, module, column, link or job
    ("Tidy the header", "Move the logout button to the user menu, update the tests and remove the old header link.",
     "simple"),
    ("Refactor the date helpers", "Move the helper functions to utils/dates.py, update the imports, and delete the "
     "old module.", "simple"),
    ("Rename the billing column", "Add the new column, copy the values over, switch the reads to it, and drop the old "
     "column.", "simple"),
])
def test_a_cut_over_moves_then_retires_a_thing_named(rules: Classifier, title: str, description: str,
                                                     decision: str) -> None:
    assert decide(rules, title, description) == decision


def test_the_thing_a_step_retires() -> None:
    assert _retired_thing("shut the Confluence server down") == "server"
    assert _retired_thing("turn the old cron job off") == "job"
    assert _retired_thing("drop the old columns after a week") == "column"
    assert _retired_thing("remove the v1 handlers from the code afterwards") == "handler"


def test_stage_words_and_phases() -> None:
    assert stage_words("Build it, then test it, then ship it") == ["then", "then"]
    assert stage_words("First containerise the app, next put it in staging, finally prod") == ["next", "finally"]
    assert stage_words("Create the service and once it is live retire the cron job") == ["once it is live"]
    assert stage_words("Next week: fix the login page") == []
    assert stated_phases("Phase 1: build. Phase 2: migrate. Phase 2 again") == ["1", "2"]
    assert stated_phases("Move from v1 to v2") == []


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a system's parts listed without verbs, after a label that opens a later sentence or after a title's label
    ("Self-serve refunds", "Agents approve refunds today by email. Needs: a refund request form, the approval "
     "queue, a payout worker and an audit report.", "complex"),
    ("Payments hub: payout service, reconciliation job, a ledger and an admin console", "", "complex"),
    # ... not the features of one page, nor a request's details after its colon (F1)
    ("Order tracking page", "Customers see where their parcel is. Needs: a status timeline, the carrier link, a "
     "map of the last checkpoint.", "simple"),
    ("Checkout page: coupon field, tip slider, gift-wrap checkbox", "", "simple"),
    ("Implement the orders screen: orders table, export report, filters panel", "", "simple"),
])
def test_a_systems_parts_listed_without_verbs(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a coordinator's terse task lists its parts under a key, or numbers them in brackets
    ("job=platform-upgrade items=k8s-1.30,cert-manager,ingress-nginx,runbooks", "complex"),
    ("goal=new-billing; deps=[ledger-db,invoice-api,payment-worker]", "complex"),
    ("plan: [1] catalog the lambdas [2] upgrade their runtimes [3] redeploy them [4] delete the unused", "complex"),
    # ... not two parts, nor a colon list of one release's steps, nor a label's one slug
    ("task=cleanup; steps=drain,upgrade", "simple"),
    ("Cut the 5.1 release. Steps: tag, upload, publish", "simple"),
    ("task=rotate-stripe-key; svc=checkout", "simple"),
])
def test_a_coordinators_terse_parts(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


def test_keyed_parts() -> None:
    assert keyed_parts("name=obs items=otel-sdk, collector ,dashboards") == ["otel-sdk", "collector", "dashboards"]
    assert keyed_parts("Steps: tag, upload, publish") == []


@pytest.mark.parametrize(("title", "decision"), [
    # "everywhere" bounded by one thing is one change throughout it (F4)
    ("Rename the 'Teams' tab to 'Groups' everywhere in the admin app", "simple"),
    ("Use the new date format everywhere on the marketing site", "simple"),
    # ... unbounded, or bounded by several things, it spans systems
    ("Switch the logs to structured JSON everywhere", "complex"),
    ("Rename 'Teams' to 'Groups' everywhere in the admin app and the mobile apps", "complex"),
])
def test_everywhere_in_one_thing_is_one_change(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("description", "decision"), [
    # an action list of four whose one item opens with a verb no list knows: that item is an action item too
    ("- add a retry budget to the search client\n- add a unit test for the backoff\n- refactor the error types of "
     "the client\n- retest with the load profile", "complex"),
    # ... while a list of three is read as before
    ("- add a retry budget to the search client\n- add a unit test for the backoff\n- retest with the load "
     "profile", "simple"),
])
def test_an_action_lists_unknown_verb_is_an_item(rules: Classifier, description: str, decision: str) -> None:
    assert decide(rules, "Outage follow-ups", description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a switch turned on or off for every repository or account is one setting of the platform holding them (F4)
    ("Disable forking on all team repos", "simple"),
    ("OKR 3.1: turn on signed commits for all platform repos", "simple"),
    # ... a change turned on across all services is made in each of them
    ("Enable structured logging across all services", "complex"),
])
def test_a_switch_on_all_repos_is_one_setting(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # work said as the result wanted, a checklist's or a plan's voice: a thing and what is done to it
    ("Vendor switch-over", "The old API keys revoked, the integration rewritten against their SDK, the support "
     "macros updated, and the contract with the old vendor cancelled.", "complex"),
    ("Before the office move", "Printers moved to the third floor, the door badges renewed, the new laptops enrolled "
     "in Intune and the asset register updated.", "complex"),
    # ... not what a screen shows, nor a statement of what is done, nor steps that open with their verb
    ("Orders table polish", "Rows sorted by date, totals shown in bold, empty rows hidden and the header pinned.",
     "simple"),
    ("Orders table polish", "The page is updated, the cache is cleared, the job is deployed; only the header is left.",
     "simple"),
])
def test_work_said_as_its_result(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a plan on a calendar: each day, week or month with its colon is a stage
    ("Helpdesk tool switch", "Week 1: pilot with the support leads. Week 3: the whole support team. Month 2: "
     "sales, and the old tool switched off.", "complex"),
    # ... a day or a sprint named once labels the request or says when something fails
    ("Trial accounts lose their sample data", "It happens on day 1 of the trial, never in week 2.", "simple"),
    ("Sprint 14: add the CSV export button to the orders page", "", "simple"),
])
def test_a_plan_on_a_calendar(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


def test_calendar_phases() -> None:
    assert stated_phases("Day 1: aliases. Week  2: scan. Month 1: move") == ["day 1", "month 1", "week 2"]
    assert stated_phases("Fails on day 1 of the trial") == []


@pytest.mark.parametrize(("title", "decision"), [
    # a quarter's, a roadmap's or a spec's heading listing three deliverables or more
    ("FY27 priorities: self-serve onboarding, usage-based pricing, the partner API", "complex"),
    ("Q4 goals: SOC 2 Type II / passwordless login / EU hosting", "complex"),
    ("Spec v2 — shared inboxes: assignment rules, SLA timers, a reporting tab, email ingestion", "complex"),
    # ... not one item, nor a request after the heading (its details), nor values in parentheses
    ("Q3 roadmap: search autocomplete", "simple"),
    ("Roadmap prep: list every vendor we pay, with its owner, cost and renewal date", "simple"),
    ("OKR 4.1: p95 latency under 300 ms (search, checkout, cart)", "simple"),
])
def test_a_plans_heading_lists_deliverables(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # routed to security by its words alone, a review of a thing built before it is still a stage after the build
    ("Certificate pinning and root detection", "In both mobile apps; a pen test afterwards.", "complex"),
    ("Encrypt the uploads bucket per tenant", "The storage service encrypts each file with its tenant's KMS key; "
     "a security review before it goes out.", "complex"),
    # ... not security's own job (nothing built named), nor a review that is the work
    ("MFA and password policy for the admin accounts", "Enforce MFA and a 14-character minimum on every admin "
     "account; a security review of the policy after.", "simple"),
    ("Security review of the password reset flow", "Token entropy, expiry, single use, rate limits.", "simple"),
])
def test_a_review_after_a_build_routed_to_security(rules: Classifier, title: str, description: str,
                                                    decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a thing built, then launched in stages with one ordering word: a gated launch, then the general one
    ("Private beta, then general availability: the new invoicing portal", "complex"),
    ("Behind a feature flag, then 100%: the bulk edit API and its table UI", "complex"),
    # ... not the staged rollout alone of what exists, nor a release behind a flag
    ("Canary 5.2, then roll it out to everyone", "simple"),
    ("Ship the 2.6.1 hotfix behind the existing flag", "simple"),
    ("Roll out the redesigned checkout to the beta group, then everyone", "simple"),
])
def test_a_thing_built_launched_in_stages(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # the results wanted after "we need", in a title that is the whole ask
    ("Can someone take the Heroku exit? We'd need the dynos moved to ECS, the database migrated to RDS, the add-ons "
     "replaced and the Heroku account cancelled after", "complex"),
    # ... not one result wanted
    ("Can someone look at the toolbar? We need the export button moved to the right", "simple"),
])
def test_results_wanted_in_a_title(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # after a label that asks nothing, the title's requests are its pieces of work
    ("Billing cleanup: remove the old plans, migrate the 40 legacy customers and update the pricing page", "complex"),
    # ... one request after the label, or a request's details after its colon
    ("Billing cleanup: remove the old plans", "simple"),
    ("Implement the runs page: list, search and export the runs", "simple"),
    # mixed-language writers join their requests with their own "and"
    ("Migración: exportar el CRM, importar los contactos y apagar el sistema viejo", "complex"),
])
def test_requests_after_a_label(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # mixed-language writers open their clauses with their own verbs: each is a piece of work
    ("Portal de pagos", "Crear el backend de pagos, desplegar el servicio en staging, revisar la seguridad con el "
     "equipo.", "complex"),
    ("Portail fournisseurs", "Créer le portail, déployer le service en production, vérifier la sécurité avec "
     "l'équipe.", "complex"),
    # ... one request stays one
    ("Por favor cambiar el formato de fecha en toda la app web", "", "simple"),
    ("Portal de pagos", "Crear el endpoint de reembolsos con sus tests.", "simple"),
])
def test_mixed_language_clause_verbs(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a checklist's boxes and a pasted table's rows are a list's items; a checklist of systems and jobs to build is
    # as many deliverables
    ("Go-live list: loyalty points", "✅ points ledger service\n⬜ nightly expiry job\n⬜ statement email\n⬜ "
     "admin console", "complex"),
    ("Refund flow", "| work | who |\n|---|---|\n| add the refund endpoint | Ana |\n| build the refund worker | Raj |\n"
     "| write the refund email | Lee |\n| add the refunds admin page | Sam |", "complex"),
    # ... not one page's features, nor a table of one form's fields
    ("Profile page v2", "✅ avatar upload with crop\n⬜ timezone selector\n⬜ bio field (max 160 chars)\n⬜ "
     "delete-account link", "simple"),
    ("Invite form fields", "| field | type |\n|---|---|\n| name | text |\n| email | text |\n| role | select |",
     "simple"),
])
def test_checklists_and_tables(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


def test_table_items() -> None:
    assert table_items("| item | owner |\n|---|---|\n| new VPC | infra |\n| a review | security |") == [
        "new VPC", "a review"]
    assert table_items("no table | here") == []


@pytest.mark.parametrize(("title", "decision"), [
    # one component upgraded or installed on every cluster or host, a rule set for every repo: one routine (F4)
    ("Upgrade cert-manager on all four clusters to 1.14", "simple"),
    ("Install the node exporter on every host", "simple"),
    ("Set the merge rules on all new repos", "simple"),
    # ... not when the title asks more, nor a pipeline set up in each repo, nor every service upgraded
    ("Upgrade Postgres 11 to 15 on all four clusters, test the apps against it", "complex"),
    ("Set up CI on all repos", "complex"),
    ("Upgrade all services on every cluster", "complex"),
])
def test_one_component_on_every_cluster(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


class _Judging(LearnedModel):
    """A built-in model that gives every task one probability of "complex" and ``one_master`` to development, the
    rest shared (the classifier's side alone)."""

    def __init__(self, complex_: float, one_master: float = 0.9) -> None:
        rest = (1 - one_master) / (len(MASTERS) - 1)
        said = Judgement({name: one_master if name == "development" else rest for name in MASTERS}, complex_)
        self.judge = lambda title, description, type_: said  # type: ignore[method-assign,assignment]


@pytest.mark.parametrize(("title", "likely", "decision"), [
    # part of a plan in the rules (an ordering word: 0.6) and a model nearly sure: two short opinions agree
    ("Containerise the two legacy billing apps and move them to AKS", MODEL_COMPLEX_SEEN_MIN, "complex"),
    # ... not a model less sure, nor a task the rules found nothing of a plan in (there the model must be surer)
    ("Containerise the two legacy billing apps and move them to AKS", MODEL_COMPLEX_SEEN_MIN - 0.01, "simple"),
    # (a bare capability with no routing word needs less: test_a_bare_capability_leans_on_the_model)
    ("Shared team calendars", MODEL_COMPLEX_SEEN_MIN, "simple"),
    ("Shared team calendars", MODEL_COMPLEX_MIN, "complex"),
])
def test_part_of_a_plan_and_a_sure_model(title: str, likely: float, decision: str) -> None:
    decided = Classifier(ClassifierConfig(), _Judging(likely)).classify(QueueTask.model_validate(
        {"id": "t", "title": title, "status": "pending"}))
    assert decided.decision == decision
    assert decision == "simple" or any("built-in model judged it complex" in reason for reason in decided.reasons)


@pytest.mark.parametrize(("title", "description", "likely", "decision"), [
    # only a title naming a capability the rules know no word of: the model's lean is the evidence
    ("Team workspaces", "", MODEL_CAPABILITY_MIN, "complex"),
    ("Family sharing for subscriptions", "", MODEL_CAPABILITY_MIN, "complex"),
    # ... not a model leaning less, nor a description, a routing word, one part of a thing, a request, a question or
    # a statement about a thing named
    ("Team workspaces", "", MODEL_CAPABILITY_MIN - 0.01, "simple"),
    ("Team workspaces", "Each team gets one.", MODEL_CAPABILITY_MIN, "simple"),
    ("Team workspaces for the CI runners", "", MODEL_CAPABILITY_MIN, "simple"),
    ("Dark mode for the developer portal", "", MODEL_CAPABILITY_MIN, "simple"),
    ("Gradebook CSV export", "", MODEL_CAPABILITY_MIN, "simple"),
    ("Rename team workspaces", "", MODEL_CAPABILITY_MIN, "simple"),
    ("Team workspaces?", "", MODEL_CAPABILITY_MIN, "simple"),
    ("The shop's loyalty points expire in June", "", MODEL_CAPABILITY_MIN, "simple"),
    # ... nor a symptom said without "is/are" (review26: these were planned), each caught by its own check
    ("Customer portal down", "", MODEL_CAPABILITY_MIN, "simple"),
    ("Shared drive full", "", MODEL_CAPABILITY_MIN, "simple"),
    ("Team workspaces not loading", "", MODEL_CAPABILITY_MIN, "simple"),
    ("Live sports streaming freezes", "", MODEL_CAPABILITY_MIN, "simple"),
    # ... nor one part of a thing said in the plural
    ("Gradebook exports", "", MODEL_CAPABILITY_MIN, "simple"),
])
def test_a_bare_capability_leans_on_the_model(title: str, description: str, likely: float, decision: str) -> None:
    decided = Classifier(ClassifierConfig(), _Judging(likely)).classify(QueueTask.model_validate(
        {"id": "t", "title": title, "description": description, "status": "pending"}))
    assert decided.decision == decision, decided.reasons
    assert decision == "simple" or any("names a capability" in reason for reason in decided.reasons)


@pytest.mark.parametrize(("title", "description", "likely", "one_master", "decision"), [
    # the model leans complex and its master side finds no one master (words of several masters' work): planned
    ("Replace the legacy SCADA historian", "", MODEL_COMPLEX_SPREAD_MIN, MODEL_ONE_MASTER_MIN - 0.01, "complex"),
    # ... not when one master is likely, nor a model less sure, nor a task the rules say is small (a file and a line)
    ("Replace the legacy SCADA historian", "", MODEL_COMPLEX_SPREAD_MIN, MODEL_ONE_MASTER_MIN, "simple"),
    ("Replace the legacy SCADA historian", "", MODEL_COMPLEX_SPREAD_MIN - 0.01, MODEL_ONE_MASTER_MIN - 0.01, "simple"),
    ("Replace the legacy SCADA historian", "A 10-minute change in historian/config.py line 12.",
     MODEL_COMPLEX_SPREAD_MIN, MODEL_ONE_MASTER_MIN - 0.01, "simple"),
])
def test_a_likely_plan_that_no_one_master_does(title: str, description: str, likely: float, one_master: float,
                                                decision: str) -> None:
    decided = Classifier(ClassifierConfig(), _Judging(likely, one_master)).classify(QueueTask.model_validate(
        {"id": "t", "title": title, "description": description, "status": "pending"}))
    assert decided.decision == decision
    said = f"and no one master's: development {MODEL_ONE_MASTER_MIN - 0.01:.2f} at most"
    assert decision == "simple" or any(said in reason for reason in decided.reasons)


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a sentence that only lists four or more pieces is as many parts, whatever their domains
    ("Move checkout events into the warehouse", "Kafka Connect sink for the checkout topic, a staging schema in "
     "Snowflake, dbt models for the funnel, and the old nightly CSV export switched off.", "complex"),
    ("Get the Android app ready for the Play Store", "A signed release build, the store listing in four languages, a "
     "privacy policy page, and a closed beta track with 50 testers.", "complex"),
    ("Tighten the staging cluster", "Private API endpoint, network policies per namespace, no privileged pods, and "
     "node images rebuilt weekly.", "complex"),
    # ... not two of them, nor the details of one thing the title makes or names, nor a review's scope (F1)
    ("Tighten the staging cluster", "Private API endpoint and network policies per namespace.", "simple"),
    ("Implement the CSV importer", "Header detection, a preview of the first 20 rows, per-column type mapping, and an "
     "error report for rejected rows.", "simple"),
    ("Feature: saved searches", "A star button on the results page, a list in the sidebar, rename and delete, and a "
     "limit of 20 per user.", "simple"),
    ("Threat model the team invitations feature", "Cover invite link guessing, expiry, role escalation, and email "
     "spoofing.", "simple"),
    ("Pen test the password change flow", "Session reuse, token expiry, brute force, and user enumeration via timing. "
     "Report only.", "simple"),
])
def test_a_sentence_that_only_lists_pieces(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # three or more pieces the writer already split the work into, under a label that says so
    ("Offline mode for the field app", "Sub-tasks: local SQLite cache; sync queue with conflict resolution; offline "
     "banner in the UI; QA on flaky networks", "complex"),
    ("Follow-up from the March outage", "Action items:\n- a read replica for reporting\n- paging on replication lag\n"
     "- [ ] the failover steps in the wiki", "complex"),
    # ... not two of them, nor a plain "Tasks:" (one change's steps)
    ("Offline banner in the field app", "Sub-tasks: the banner component; its copy in three languages", "simple"),
    ("Implement pagination for /api/invoices", "Tasks: limit and offset params, an X-Total-Count header, the new "
     "params in the API reference", "simple"),
])
def test_work_the_writer_split(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


def test_the_writer_s_split_names_its_parts(rules: Classifier) -> None:
    decided = classify(rules, "Index work", "Subtasks:\n- [x] rebuild the index\n- [ ] add the missing index\n- drop "
                       "the old index.")
    assert "3 parts the writer split the work into: rebuild the index, add the missing index, drop the old index" \
        in decided.reasons


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a chain of three, two of them work, opened by a step (the first verb takes no chain as its object when the
    # later steps are actions too)
    ("Ticket triage bot", "collect last year's tickets -> build a classifier -> auto-labels in Zendesk", "complex"),
    ("Stock alerts", "deploy the inventory feed -> build a low-stock report -> alert store managers below 10 units",
     "complex"),
    # ... not a verb's object, the stages of one change, a path through screens, or a status line
    ("Add the CSV import → export", "", "simple"),
    ("Rollout: dev → staging → prod", "", "simple"),
    ("Checkout flow: cart page → payment step → confirmation page", "", "simple"),
    ("Add a status strip", "shows each order's path: placed → packed → shipped", "simple"),
    ("Add a CI workflow", "lint → test → publish", "simple"),  # one word a step: the workflow's stages
])
def test_a_chain_of_three_steps(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("text", "actions"), [
    # an ordinal opens the first step as "then" opens a later one
    ("First find every datastore that holds customer data, then build a purge job",
     ["First find every datastore that holds customer data", "build a purge job"]),
    ("First, deploy it to staging", ["deploy it to staging"]),
    ("Secondly rotate the keys. Lastly remove the old bucket. Afterwards delete the backups",
     ["Secondly rotate the keys", "Lastly remove the old bucket", "Afterwards delete the backups"]),
    # ... but an ordinal before a noun is no step
    ("First release of the app is due in May", []),
    ("Second build of the week failed", []),
])
def test_an_ordinal_opens_a_step(text: str, actions: list[str]) -> None:
    from orchestrator.textsignals import action_clauses

    assert action_clauses(text, VERBS) == actions


def test_a_project_whose_first_step_opens_with_an_ordinal_is_planned(rules: Classifier) -> None:
    text = ("Legal requires that we stop keeping customer records longer than 7 years. First find every datastore that "
            "holds customer personal data, then build a nightly purge job, get security/compliance to sign off on it, "
            "and deploy it to production.")
    assert decide(rules, "Data retention: delete customer data older than 7 years", text) == "complex"
    assert decide(rules, "Data retention: delete customer data older than 7 years",
                  text.replace("First find", "The first release found")) == "simple"


FINDING = ("Severity: Critical (CVSS 9.1)\nAffected: /api/orders/export?sort=\nDescription: The sort parameter is "
           "concatenated into the query; an attacker can read any table.\nRemediation: parameterise the query, add an "
           "allow-list for sort columns, and rotate the database credentials.\nRetest after the fix.")


@pytest.mark.parametrize(("title", "decision"), [
    # one finding: what it recommends are the steps of its one fix (security fixes vulnerabilities)
    ("Finding 2026-11: SQL injection in the orders export", ("simple", "security")),
    ("Pen-test report: SQL injection in the orders export", ("simple", "security")),
    # ... not two findings (a fix each), nor the same steps under a title that names no defect
    ("Findings 2026-11 and 2026-12: SQL injection and XSS in the orders export", ("complex", None)),
    ("Orders export hardening", ("complex", None)),
])
def test_a_findings_recommended_steps_are_its_one_fix(rules: Classifier, title: str,
                                                      decision: tuple[str, str | None]) -> None:
    assert route(rules, title, FINDING) == decision


@pytest.mark.parametrize(("text", "names_a_line"), [
    ("Fix the bug in api/users.py line 42", True),
    ("It crashes at media/upload.py:88.", True),
    ("Dockerfile:12 runs as root", True),
    # an image's tag, a version or a time is no file's line ("specific: names Dockerfile and a line" was said of
    # "FROM node:20-bookworm-slim")
    ("Bump the base image to node:20-bookworm-slim", False),
    ("Move to redis:7.2 and postgres:16", False),
    ("The job failed at 16:40 yesterday", False),
])
def test_a_line_of_a_file_is_not_an_images_tag(text: str, names_a_line: bool) -> None:
    from orchestrator.textsignals import has_line_reference

    assert has_line_reference(text) is names_a_line


def test_the_reasons_never_contradict_the_decision(rules: Classifier) -> None:
    """A head rule whose domain lost says it was outweighed, and a simple task with two domains' words is not
    called "single domain" (a new user read both as contradictions)."""
    decided = classify(rules, "Add a staging environment for recommendations-svc to its Helm chart",
                       "Copy values-prod.yaml to values-staging.yaml, 1 replica, staging ingress host; deploy with "
                       "the staging pipeline.")
    assert decided.master == "cicd"
    assert not any(reason.endswith(": development") for reason in decided.reasons)
    assert any("outweighed (cicd" in reason for reason in decided.reasons if "development" in reason)
    # (a census's columns are its contents, no domain's part since cx12: a fix and its deploy is two domains' words)
    two = classify(rules, "Fix CSRF on the account deletion endpoint", "Add the token check and deploy the fix to "
                   "production.")
    assert two.decision == "simple" and any(reason.startswith("2 domains involved") for reason in two.reasons)
    assert not any(reason.startswith("single domain") for reason in two.reasons)


@pytest.mark.parametrize(("text", "word", "found"), [
    # a routing word that opens a bot's or a service's name names no work ...
    ("update them wherever deploy-bot uses them", "deploy", False),
    ("restart the security-scanner-svc pods", "security", True),  # its tail is "scanner", not a name's tail
    ("restart the security-svc pods", "security", False),
    # ... but the work itself, and a name's tail that is the thing made, still count
    ("deploy the bot to staging", "deploy", True),
    ("re-deploy the app", "deploy", True),
    ("Bitte eine neue Export-API bauen", "api", True),
])
def test_a_word_that_opens_a_bots_or_a_services_name_names_no_work(text: str, word: str, found: bool) -> None:
    from orchestrator.textsignals import keyword_pattern

    assert bool(keyword_pattern(word).search(text.lower())) is found


@pytest.mark.parametrize(("title", "master"), [
    # a test the program names, failing or flaky, is the program's code wherever it fails ...
    ("test_refund_idempotency fails 1 in 30 runs on CI", "development"),
    ("cart.spec.ts times out on the shared runners", "development"),
    # ... while a runner or a pipeline stage that fails is operations'
    ("The e2e stage fails on the shared runners since the image update", "cicd"),
])
def test_a_named_test_that_fails_on_ci_is_the_programs(rules: Classifier, title: str, master: str) -> None:
    assert route(rules, title) == ("simple", master)


# cx13: what a description says is not all work


@pytest.mark.parametrize(("piece", "shaped"), [
    ("SOC 2 CC6.2 control", False),  # a name in capitals and its number
    ("CVSS 9.1) in jsonwebtoken 9.0.0", False),
    ("Delete 3 stale buckets", True),  # a verb and a count
    ("UPGRADE 14 SERVICES", True),  # a piece all in capitals is read as written
])
def test_a_name_in_capitals_with_a_number_is_no_request(piece: str, shaped: bool) -> None:
    assert request_shaped(piece) is shaped


@pytest.mark.parametrize(("text", "actions"), [
    ("Release notes: fixes SSRF with protocol-relative URLs", []),  # a label
    ("Build status: green", []),
    ("bump the version in package.json and build.gradle", ["bump the version in package.json"]),  # a file's name
    ("Release 2.4.0: bump the version", ["Release 2.4.0: bump the version"]),  # a request before its colon
    ("Update README: add the install section", ["Update README: add the install section"]),
    ("bump the version and build the wheel", ["bump the version", "build the wheel"]),
])
def test_a_label_or_a_file_name_opening_with_a_verb_is_no_action(text: str, actions: list[str]) -> None:
    assert action_clauses(text, VERBS) == actions


@pytest.mark.parametrize(("clause", "record"), [
    ("document the assessment for the SOC 2 evidence folder", True),
    ("save screenshots as evidence", True),
    ("record the outcome in the ticket", True),
    ("document the new export API in the README", False),  # documentation asked for
    ("save the user's draft every 30 seconds", False),
])
def test_the_record_kept_of_the_work_is_no_part(clause: str, record: bool) -> None:
    assert keeps_record(clause) is record


SNYK = "Snyk: critical CVE-2026-1123 in jsonwebtoken used by api-gateway"
SNYK_REPORT = "Snyk reports CVE-2026-1123 (algorithm confusion, CVSS 9.1) in jsonwebtoken 9.0.0 used by api-gateway. "


@pytest.mark.parametrize(("title", "description", "decision"), [
    # A: a scanner's report, a control's name, a quoted release note, a bot's boilerplate and a schedule note ask nothing
    (SNYK, SNYK_REPORT + "Assess whether we're exploitable (we pin RS256?), upgrade to 9.0.3, and document the "
     "assessment for the SOC 2 evidence folder.", "simple"),
    (SNYK, SNYK_REPORT + "Verify whether we are exploitable, upgrade to 9.0.3, and document the assessment for the SOC 2 "
     "evidence folder.", "simple"),
    (SNYK, SNYK_REPORT + "Verify whether we are exploitable, upgrade to 9.0.3, and patch the config to pin RS256.",
     "simple"),  # one defect's three steps: its one fix
    (SNYK, SNYK_REPORT + "Verify whether we are exploitable, upgrade to 9.0.3, patch the config to pin RS256, and "
     "document the assessment for the SOC 2 evidence folder.", "simple"),  # its record no docs' domain
    # ... but docs written for readers are a part, and so is a new thing made for the defect
    (SNYK, SNYK_REPORT + "Verify whether we are exploitable, upgrade to 9.0.3, and write the customer-facing docs page "
     "about it.", "complex"),
    (SNYK, SNYK_REPORT + "Rewrite the token service in Go, verify the other services, and upgrade the SDKs.", "complex"),
    ("Quarterly access review: remove offboarded staff from prod, GitHub and AWS", "SOC 2 CC6.2 control. HR list of "
     "leavers in Q4 attached (7 people). Verify none of them still has access to production DB, GitHub org, AWS "
     "console, Datadog, PagerDuty; remove any remaining access and save screenshots as evidence.", "simple"),
    ("Bump axios from 1.6.2 to 1.7.4 in /web", "Bumps axios from 1.6.2 to 1.7.4.\n\nRelease notes: fixes SSRF with "
     "protocol-relative URLs (CVE-2024-39338).\n\nDependabot will resolve any conflicts with this PR as long as you "
     "don't alter it yourself. CI is green except the flaky `e2e/checkout.spec.ts`. Please review and merge.", "simple"),
    # C: one release's steps are one request, "and tag it" going on with what the first piece names
    ("Cut release 4.12.0 and tag it", "Release chore for sprint 47. Cut `release/4.12` from main, bump the version in "
     "package.json and build.gradle, generate the changelog from merged PRs since v4.11.0, tag v4.12.0 and let the "
     "release pipeline publish. Freeze starts Thursday 17:00.", "simple"),
    # ... not when the first piece makes the thing, nor when other masters' work joins the release
    ("Build the reminders service and deploy it", "Write the scheduler, add the email templates, set up the cron job.",
     "complex"),
    ("Cut release 4.12.0 and tag it", "Cut release/4.12 from main, bump the version, write the migration guide for the "
     "SDK, build the docker images and run the security scan on them.", "complex"),
    # B: acceptance criteria say what must hold of the one deliverable ...
    ("Add `updated_since` filter to GET /v2/orders", "As an integration partner I want to fetch only orders changed "
     "since my last sync.\n\nAcceptance criteria:\n- `GET /v2/orders?updated_since=2026-11-01T00:00:00Z` returns only "
     "orders with updated_at >= the value\n- invalid timestamps return 400 with error code `invalid_parameter`\n- "
     "documented in the OpenAPI spec\n- covered by an API test", "simple"),
    ("Add a data export page to the account settings", "Users download their data as a ZIP.\n\nAcceptance criteria:\n"
     "- the ZIP holds one CSV per table\n- the download link expires after 24 hours\n- the page shows the date of the "
     "last export\n- the export runs in the background", "simple"),
    # ... unless they are outcomes of other masters' parts
    ("Add a data export page to the account settings", "Users download their data as a ZIP.\n\nAcceptance criteria:\n"
     "- the export job deployed to production by the pipeline\n- the S3 bucket encrypted with a KMS key\n- the asset "
     "inventory lists the new bucket\n- the page shows the date of the last export", "complex"),
    ("Definition of done for the exports epic", "DoD: export API merged, the worker deployed to prod, the download page "
     "live, a security review signed, the user docs published.", "complex"),
    # a person's accounts in several systems: one access routine
    ("Offboard Jamie Chen (last day Friday)", "HR ticket HR-4471. Remove jamie.chen from the GitHub org, disable their "
     "SSO account and AWS IAM user, rotate the shared staging DB password they knew, and take them off the PagerDuty "
     "rotation.", "simple"),
    ("Onboard new SRE Priya Raman", "Starts Monday. Add priya.r to GitHub team 'platform', AWS SSO group "
     "'sre-readonly', Grafana as editor, and PagerDuty as a shadow on the secondary rotation.", "simple"),
    # ... not a company's offboarding (its data and contract too), nor things built for the person
    ("Offboard vendor Acme Analytics", "Revoke their access, rotate the shared keys, delete their data copies per "
     "contract, and remove them from the vendor inventory.", "complex"),
    ("Onboard Sam Lee", "Add sam to the GitHub org, create the Okta account, and build the onboarding dashboard in "
     "Grafana, then write the team handbook page.", "complex"),
    # a multi-master epic whose description is full of context stays complex
    ("Epic: SSO with SAML for Enterprise plan", "Enterprise customers (Globex, Initech) require SAML SSO before renewal "
     "in Q1. SOC 2 CC6.1 control. Freeze starts Thursday 17:00.\n\nScope:\n- backend: SAML SP implementation (Okta, "
     "Azure AD), JIT provisioning\n- web: SSO login flow and admin settings page\n- security review of the SAML "
     "implementation\n- CI: integration tests against a test IdP in the pipeline\n- docs for admins\n\nAcceptance "
     "criteria:\n- an Enterprise admin can configure Okta\n- users log in on web and mobile", "complex"),
])
def test_what_a_description_says_is_not_all_work(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


DEPENDABOT_PR = """Bumps [axios](https://github.com/axios/axios) from 1.6.2 to 1.7.4.
<details>
<summary>Release notes</summary>
<p><em>Sourced from <a href="https://github.com/axios/axios/releases">axios's releases</a>.</em></p>
<blockquote>
<h2>Release v1.7.4</h2>
<h3>Bug Fixes</h3>
<ul>
<li><strong>sec:</strong> CVE-2024-39338 (<a href="https://github.com/axios/axios/issues/6539">#6539</a>)</li>
<li>fix: add missing export of AxiosHeaders</li>
</ul>
</blockquote>
</details>
<details>
<summary>Commits</summary>
<ul>
<li><a href="https://github.com/axios/axios/commit/abd24a7"><code>abd24a7</code></a> chore(release): v1.7.4</li>
<li>build: update rollup config, deploy the docs site and rotate the npm token</li>
</ul>
</details>
<br />

Dependabot will resolve any conflicts with this PR as long as you don't alter it yourself. \
You can also trigger a rebase manually by commenting `@dependabot rebase`.

---

<details>
<summary>Dependabot commands and options</summary>
<br />

You can trigger Dependabot actions by commenting on this PR:
- `@dependabot rebase` will rebase this PR
- `@dependabot recreate` will recreate this PR, overwriting any edits that have been made to it
- `@dependabot merge` will merge this PR after your CI passes on it
- `@dependabot squash and merge` will squash and merge this PR after your CI passes on it
- `@dependabot cancel merge` will cancel a previously requested merge and block automerging
- `@dependabot reopen` will reopen this PR if it is closed
- `@dependabot close` will close this PR and stop Dependabot recreating it. You can achieve the same result by closing it manually
- `@dependabot ignore this major version` will close this PR and stop Dependabot creating any more for this major version

</details>"""
RENOVATE_PR = """This PR contains the following updates:

| Package | Type | Update | Change |
|---|---|---|---|
| node | final | major | `20.11-alpine` -> `22.11-alpine` |
| actions/setup-node | action | major | `v3` -> `v4` |

---

### Configuration

📅 **Schedule**: Branch creation - At any time (no schedule defined), Automerge - At any time (no schedule defined).

🚦 **Automerge**: Disabled by config. Please merge this manually once you are satisfied.

♻ **Rebasing**: Whenever PR becomes conflicted, or you tick the rebase/retry checkbox.

🔕 **Ignore**: Close this PR and you won't be reminded about this update again.

---

 - [ ] If you want to rebase/retry this PR, check this box

---

This PR was generated by [Mend Renovate](https://mend.io/renovate/). View the repository job log."""

BEFORE_MERGING = ("\n\nBefore merging: rewrite the upload service for the new interceptors, run a security scan of the web "
                  "image, and deploy it to staging for QA.")


def test_a_bots_boilerplate_and_quotes_are_dropped_what_a_person_adds_stays() -> None:
    kept = without_bot_text(DEPENDABOT_PR + "\n\nCI is green. Please review and merge.")
    assert "rotate the npm token" not in kept and "@dependabot" not in kept and "trigger a rebase" not in kept
    assert "Bumps [axios]" in kept and "Please review and merge." in kept
    assert "Automerge" not in without_bot_text(RENOVATE_PR)
    plain = without_bot_text("Bumps axios from 1.6.2 to 1.7.4.\n\nRelease notes: fixes SSRF (CVE-2024-39338).\n\n"
                             "Dependabot will resolve any conflicts with this PR. CI is green. Please review and merge.")
    assert "SSRF" not in plain and "Dependabot" not in plain and "CI is green. Please review and merge." in plain
    human = "Release notes\n- deploy the docs site and rotate the npm token"  # no bot wrote it: read as it is
    assert without_bot_text(human) == human


@pytest.mark.parametrize(("title", "description", "decision"), [
    ("Bump axios from 1.6.2 to 1.7.4 in /web", DEPENDABOT_PR, "simple"),
    ("chore(deps): update node docker tag to v22", RENOVATE_PR, "simple"),
    # a person's request added to the bot's pull request is read
    ("Bump axios from 1.6.2 to 1.7.4 in /web", DEPENDABOT_PR + BEFORE_MERGING, "complex"),
])
def test_a_dependency_bots_pull_request_asks_only_its_merge(rules: Classifier, title: str, description: str,
                                                            decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "expected"), [
    # a threat a person reports is security's finding, whatever it names: an email is no product email here
    ("Phishing report: suspicious email to finance", "", ("simple", "security")),
    ("Malware alert: trojan on laptop LT-442", "", ("simple", "security")),
    # ... and the response to it is one routine, not four parts (a security team's new user)
    ("Phishing report: fake DocuSign email to finance team", "Three people in finance forwarded it. Block the sender "
     "domain and URL, pull the email from all mailboxes, check sign-in logs for the person who clicked, and reply to "
     "the reporters.", ("simple", "security")),
    # opposites: work asked under such a label is read as any title; a finding whose response spans masters is a plan
    ("Phishing: add a report button to the mail client", "", ("simple", "development")),
    ("Trivy: critical CVE-2026-1 in the base image", "Rebuild the base image, redeploy all 14 services through the "
     "pipeline, and write the incident report for the auditors.", ("complex", None)),
])
def test_a_reported_threat_is_one_finding_to_respond_to(rules: Classifier, title: str, description: str,
                                                        expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected


ROTATED = "Rotate the key, restrict the new one to our package name, move it to the CI secrets, and purge it from " \
    "the git history."


@pytest.mark.parametrize(("title", "description", "expected"), [
    # a secret reported exposed is a finding, and its response (rotate, restrict, move, purge) one routine (a mobile
    # team's new user)
    ("Google Maps API key committed in android/app/src/main/res/values/keys.xml", "GitGuardian flagged an "
     "unrestricted key. " + ROTATED, ("simple", "security")),
    ("Slack bot token pasted in #general", "Revoke the token, issue a new one, update the bot config and check the "
     "audit log for its use.", ("simple", "security")),
    # opposites: the same steps under a title that reports no exposure are as many actions; an exposure whose
    # response rebuilds, redeploys and writes is several masters' plan
    ("Google Maps key", ROTATED, ("complex", None)),
    ("Maps key follow-up", ROTATED, ("complex", None)),
    ("Deploy key committed to the infra repo", "Revoke the key, add a new deploy key, update the three pipelines "
     "that use it and document the rotation in the runbook.", ("complex", None)),
])
def test_a_secret_reported_exposed_is_one_finding_to_respond_to(rules: Classifier, title: str, description: str,
                                                                expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected


@pytest.mark.parametrize(("title", "description", "expected"), [
    # a certificate expiring: its renewal's steps (order, import, switch the pipeline to it, check a signed build) are
    # one routine of cicd's (a mobile team's new user)
    ("Code signing certificate for the Windows installer expires in two weeks", "Order the new certificate from "
     "DigiCert, import it into the signing HSM, update the release pipeline to use it, and verify a signed build "
     "installs cleanly.", ("simple", "cicd")),
    # opposites: a renewal with security's work in it, or with a new thing built beside it, is a plan
    ("Wildcard cert expires next week", "Renew the cert, redeploy the ingress, rotate the signing keys and audit who "
     "used the old one.", ("complex", None)),
    ("TLS cert for api.example.com expires Friday", "Renew it, then build a cert-expiry exporter for Prometheus, add "
     "alerts in Grafana and write the runbook for the on-call team.", ("complex", None)),
])
def test_a_certificates_renewal_is_one_routine(rules: Classifier, title: str, description: str,
                                               expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected


@pytest.mark.parametrize(("title", "description", "expected"), [
    # a version shipped after a label that names it: building that version, uploading it, asking the stores' review
    # and rolling it out are one release's steps (a mobile team's new user)
    ("Hotfix 2.3.1: ship to both stores", "The crash fix is merged on release/2.3. Build 2.3.1 from that branch, "
     "upload to App Store Connect and Play production, request expedited review on iOS, and roll out Android at 100% "
     "once approved.", ("simple", "cicd")),
    # opposites: new things built and then shipped are a plan, under the same title or another
    ("Hotfix 2.3.1: ship to both stores", "- Build the offline mode\n- Add the settings screen\n- Upload to App Store "
     "Connect\n- Roll out to 100%", ("complex", None)),
    ("Ship the TV apps", "Build the Android TV app, port the player to tvOS, upload both and roll out.", ("complex", None)),
])
def test_a_versions_build_upload_and_rollout_are_one_release(rules: Classifier, title: str, description: str,
                                                             expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected


@pytest.mark.parametrize(("title", "description", "expected"), [
    # the runbook kept up to date by the change itself is its record, not docs' part (a security team's new user)
    ("Enforce hardware-key MFA for AWS root and break-glass accounts", "Auditor finding from last year's SOC 2: root "
     "user on 3 of our 7 AWS accounts has virtual MFA only. Move all 7 root users and the 2 break-glass IAM users to "
     "YubiKey MFA, store the keys in the safe, and update the break-glass runbook.", ("simple", "security")),
    # opposites: a build, a deploy and a runbook are parts whatever the runbook; writing a runbook is docs' work
    ("Refactor the API layer, update the tests, deploy it and update the ops runbook", "", ("complex", None)),
    ("Write the incident runbook for the payments API", "", ("simple", "development")),
])
def test_a_runbook_updated_by_the_change_is_its_record(rules: Classifier, title: str, description: str,
                                                       expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected


@pytest.mark.parametrize(("title", "description", "decision"), [
    # what one deliverable holds or leaves out is its detail, not more work (a security team's new user)
    ("Detection: alert on console login to AWS from outside allowed countries", "Add a detection in our SIEM that "
     "alerts #soc-alerts when an AWS console login succeeds from a country outside UK, IE, PT. Include the IAM "
     "principal and source IP; suppress the break-glass users' known IPs. Test with a replayed CloudTrail event.",
     "simple"),
    # opposite: real pieces of work beside such a detail stay a plan
    ("Build the reporting API", "Build it, write its docs, deploy it to staging, and include the audit log export.",
     "complex"),
])
def test_what_a_deliverable_includes_or_leaves_out_is_its_detail(rules: Classifier, title: str, description: str,
                                                                 decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "expected"), [
    # a label naming the kind of request decides, whatever the grant names (a data team's new user: "masking on email"
    # made it the program's change)
    ("Access request: customers_pii for Maria Lopez", "Maria needs read access to warehouse schema customers_pii. "
     "Please grant the role with masking on email and phone.", ("simple", "security")),
    ("Permission request: read-only role on the billing database for Sam", "", ("simple", "security")),
    # opposite: work asked under such a label is read as asked (a screen of the program)
    ("Access request page: add a filter for pending requests", "", ("simple", "development")),
])
def test_an_access_request_label_names_the_work(rules: Classifier, title: str, description: str,
                                                expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected


@pytest.mark.parametrize(("title", "description", "expected"), [
    # a person's bump with an arrow is a library bump as Dependabot's "from ... to ..." is (a data team's new user: the
    # words that check it, "release", "staging", "build", made it cicd's)
    ("Bump dbt-core 1.7.4 -> 1.7.11", "Bump dbt-core and dbt-snowflake to the latest 1.7 patch release in "
     "requirements.txt. Run dbt build on staging to check nothing breaks.", ("simple", "development")),
    # opposite: a bump for an advisory is not the program's change alone
    ("Bump jsonwebtoken 8.5.1 -> 9.0.0 for CVE-2022-23529", "", ("simple", "security")),
])
def test_a_bump_with_an_arrow_is_a_library_bump(rules: Classifier, title: str, description: str,
                                                expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a regression reported in the title, then finding its cause and fixing it: one problem's steps (a data team's
    # new user's latency regression was planned with a design and a test stage)
    ("Serving API p99 latency 900ms after v2.3", "Since v2.3 went out, p99 latency on /predict went from 120ms to "
     "900ms. Suspect the new feature lookup does one request per feature. Find and fix.", "simple"),
    ("Nightly export job stuck since Tuesday", "Check the scheduler logs, clear the lock, and rerun it.", "simple"),
    # opposite: new things made for it are parts (F3's own opposite)
    ("Search regressed after the 4.0 upgrade", "Rewrite the indexer in Go, shard the cluster, and add a cache layer.",
     "complex"),
])
def test_a_regression_reported_and_fixed_is_one_problem(rules: Classifier, title: str, description: str,
                                                        decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # the verbs security's and platform's people open their steps with are work verbs (a fleet's rollout read as one
    # security task: "reconcile", "enroll", "enforce", "block", "produce" opened no action)
    ("Roll out disk encryption and EDR to the laptop fleet", "The audit sampled 20 laptops and 5 failed. Fix the whole "
     "fleet: reconcile the asset register against Jamf, enroll the missing ones, enforce encryption via MDM policy, "
     "block non-compliant devices from Okta, and produce a compliance report.", "complex"),
    # opposite: one policy enforced on many accounts is one routine (F4)
    ("Enforce 2FA for every member of the GitHub org", "Turn on the org setting and warn the members without it "
     "first.", "simple"),
])
def test_the_verbs_steps_open_with_are_work(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # two new things brought up under one request's title are things made, not its steps (a launch that trains a
    # model, stands up its endpoint and adds a screen)
    ("Launch the recommendations carousel", "Train the ranking model on last quarter's sessions, stand up the "
     "serving endpoint behind the gateway, and add the carousel to the home screen.", "complex"),
    # opposites: one component's file and its content (create, implement) and a release's routine stay one request
    ("Implement the invoice table", "Create InvoiceTable.tsx in src/components/billing/. Implement a sortable invoice "
     "table. Include: status filter (paid, due, overdue, void), date-range picker, CSV export, pagination. Add it to "
     "BillingPage.tsx.", "simple"),
    ("Upgrade the staging cluster to 1.29", "Upgrade the control plane, upgrade the node pools, and run the smoke "
     "tests.", "simple"),
])
def test_new_things_brought_up_are_not_one_requests_steps(rules: Classifier, title: str, description: str,
                                                          decision: str) -> None:
    assert decide(rules, title, description) == decision


REVIEWED = ("Product is building instant payouts (card push via Stripe) for Q2. Before implementation starts we need a "
            "STRIDE threat model of the flow: onboarding, payout request, webhook, reversal. Output: data-flow diagram, "
            "threats ranked, required controls as tickets for the dev team.")


@pytest.mark.parametrize(("title", "description", "likely", "decision"), [
    # a title that opens with a security review asks that review: the description's review is the same one, no stage
    # after a build, and a sure model does not plan it (a security team's new user: a threat model was planned)
    ("Threat model: instant payouts feature", REVIEWED, 0.0, "simple"),
    ("Threat model: instant payouts feature", REVIEWED, MODEL_COMPLEX_MIN, "simple"),
    ("Security review of the instant payouts API", "Look at the webhook signatures and the payout limits.",
     MODEL_COMPLEX_MIN, "simple"),
    # opposites: a review asked after a thing built is security's stage; a title that does not open with the review
    # is left to the model as before; a review title whose description asks other masters' work is still a plan
    ("Instant payouts", REVIEWED, 0.0, "complex"),
    ("Instant payouts for marketplace sellers", "", MODEL_COMPLEX_MIN, "complex"),
    ("Pen test and ship the payouts API", "Pen test it, fix the findings in the code, then deploy it to production "
     "and update the runbook.", 0.0, "complex"),
])
def test_a_title_that_opens_with_a_review_asks_that_review(title: str, description: str, likely: float,
                                                           decision: str) -> None:
    decided = Classifier(ClassifierConfig(), _Judging(likely)).classify(QueueTask.model_validate(
        {"id": "t", "title": title, "description": description, "status": "pending"}))
    assert decided.decision == decision, decided.reasons


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a thing reported missing is one problem: the places to check, its fix and a log line are its steps (a mobile
    # team's bug was planned)
    ("Apple Pay button missing for some iOS users at checkout", "Check the merchant domain verification, the "
     "availability check and the flag targeting; fix whatever it is and add logging so we see it next time.",
     "simple"),
    # opposite: new things made for it are parts (F3's own opposite)
    ("Order confirmation emails missing since Monday", "Rewrite the mail worker in Go, build a retry queue, and "
     "create a dead-letter dashboard.", "complex"),
])
def test_a_thing_reported_missing_is_one_problem(rules: Classifier, title: str, description: str,
                                                decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a version shipped: its build before the upload is the release's step, not a thing made and then shipped
    ("Release iOS 5.3.0", "Bump the version, update the changelog, build with fastlane, upload to TestFlight, then "
     "submit for App Store review once QA signs off.", "simple"),
    # opposites: the same steps under a title that ships no version, and things made before a version ships
    ("Get the iOS app into the App Store", "Bump the version, update the changelog, build with fastlane, upload to "
     "TestFlight, then submit for App Store review once QA signs off.", "complex"),
    ("Release 5.3.0 of the web app", "Build the export service, write its docs, then deploy it to production.",
     "complex"),
])
def test_a_versions_build_is_a_step_of_its_release(rules: Classifier, title: str, description: str,
                                                   decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # stages that each name a new thing are ordered deliverables, with or without a verb ("we need X first, then a
    # dbt model ..., then a dashboard ...")
    ("Churn cockpit", "We need the product events landed in the warehouse first, then a dbt model scoring each "
     "account, then a dashboard for the CS team on top of it.", "complex"),
    # opposites: stages going on with what exists (an upgrade's node pools and addons) and a stage that is a time
    ("Move the staging cluster to 1.29", "The control plane first, then the node pools, then the addons.", "simple"),
    ("Rotate the signing key", "Issue the new key first, then a week later retire the old one.", "simple"),
    # (two stages each a time: the one above has one, which no rule counts alone; any unit of time, not a few named)
    ("Rotate the nginx logs on every host", "Rotate them on the web hosts, then a day later the workers, then a week "
     "later the db hosts.", "simple"),
    ("Rotate the nginx logs on every host", "Rotate them on the web hosts, then an hour later the workers, then a year "
     "later the db hosts.", "simple"),
])
def test_stages_naming_new_things_are_deliverables(rules: Classifier, title: str, description: str,
                                                   decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a service named before a review is what the review is of, and the model's routing to security (from words
    # alone) does not make the review security's own job (a product team's epic in one sentence was one task)
    ("Partner webhooks", "We need the webhook delivery service written, pen tested and running in prod before the "
     "contract starts on March 1.", "complex"),
    # opposite: a review's document named after a report is no service built ("pen test letter")
    ("Customer asks for our SOC 2 report and pen test letter", "Send both from the trust portal under their NDA.",
     "simple"),
])
def test_a_service_named_before_a_review_is_built_first(title: str, description: str, decision: str) -> None:
    security = Judgement({**dict.fromkeys(MASTERS, 0.0), "security": 1.0}, 0.0)

    class _Security(LearnedModel):
        def __init__(self) -> None:
            self.judge = lambda title, description, type_: security  # type: ignore[method-assign,assignment]

    decided = Classifier(ClassifierConfig(), _Security()).classify(QueueTask.model_validate(
        {"id": "t", "title": title, "description": description, "status": "pending"}))
    assert decided.decision == decision, decided.reasons


@pytest.mark.parametrize(("title", "decision"), [
    # a move of one named thing's part is one change, not a platform moved ("the api repo's pipeline", "the DNS of
    # example.org", a move "for the web repo")
    ("Migrate the billing repo's pipeline from CircleCI to GitHub Actions", "simple"),
    ("Move the DNS of shop.example.com from Namecheap to Route 53", "simple"),
    ("Migrate the CI from Jenkins to GitLab CI for the docs repo", "simple"),
    # opposites: a platform, all of a kind, or a group's data moved is still a whole move
    ("Move the blog from WordPress to the new CMS", "complex"),
    ("Migrate CI from Jenkins to GitLab CI for all 20 repositories", "complex"),
    ("Move ticket attachments for EU customers from us-east-1 to eu-west-1", "complex"),
])
def test_a_move_of_one_named_things_part_is_one_change(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("text", "items"), [
    # the names after a place go on with it: one item, not three
    ("Fix the ClusterIssuer, re-issue the certs on prod-eu, prod-us and staging, and confirm the new expiry dates.",
     ["Fix the ClusterIssuer", "re-issue the certs on prod-eu, prod-us and staging", "confirm the new expiry dates"]),
    # opposites: names after an item that ends on no place, and things that are more than names, stay items
    ("A new VPC, a Postgres replica, prod-us and staging, and the DNS cut-over.",
     ["A new VPC", "a Postgres replica", "prod-us and staging", "the DNS cut-over"]),
    ("A cluster in eu-west-1, residency checks by security, and an inventory entry.",
     ["A cluster in eu-west-1", "residency checks by security", "an inventory entry"]),
])
def test_a_places_names_stay_in_its_item(text: str, items: list[str]) -> None:
    assert series_items(text) == items


@pytest.mark.parametrize(("title", "description", "decision"), [
    ("Re-issue the TLS certificates on the ingress clusters", "cert-manager stopped renewing after the issuer change. "
     "Fix the ClusterIssuer, re-issue the certs on prod-eu, prod-us and staging, and confirm the new expiry dates.",
     "simple"),
    # opposite: a series of things built across masters is still parts
    ("EU region", "A new cluster in eu-west-1, data residency checks by security, a region switch in the app config, "
     "and an inventory entry.", "complex"),
])
def test_one_routine_done_in_places_is_not_parts(rules: Classifier, title: str, description: str,
                                                 decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # an issue that gathers others is an epic by another name; a whole move after a label that asks nothing is a
    # whole move; a spike is a piece of work in a "+" list as a build and a rollout are
    ("Tracking issue: drop support for Node 16", "complex"),
    ("Umbrella: accessibility fixes from the audit", "complex"),
    ("Billing: migrate from Chargebee to Stripe Billing", "complex"),
    ("Spike + build + rollout: feature flags service", "complex"),
    # opposites: a label that names no program, a one-unit move after a label, a "+" list of one thing's features
    ("Tracking pixel: fires twice on the thank-you page", "simple"),
    ("Billing: migrate the invoice job from cron to a Kubernetes CronJob", "simple"),
    ("Search + filters + sorting on the orders table", "simple"),
])
def test_epics_by_other_names(rules: Classifier, title: str, decision: str) -> None:
    assert decide(rules, title) == decision


@pytest.mark.parametrize(("text", "items"), [
    # values in parentheses are no items of the series (F1): the comma inside them splits nothing
    ("Delete their rows in the warehouse (customers, orders PII columns), purge the feature store, and confirm to the "
     "DPO by Friday.", ["Delete their rows in the warehouse (customers, orders PII columns)", "purge the feature store",
                        "confirm to the DPO by Friday"]),
    # opposite: commas outside parentheses still split
    ("A new cluster (eu-west-1), residency checks by security, and an inventory entry.",
     ["A new cluster (eu-west-1)", "residency checks by security", "an inventory entry"]),
])
def test_a_comma_in_parentheses_splits_no_series(text: str, items: list[str]) -> None:
    assert series_items(text) == items


def test_one_subjects_erasure_is_one_request(rules: Classifier) -> None:
    assert decide(rules, "GDPR erasure request #5120", "Data subject request #5120 asks for erasure under Art. 17. "
                  "Delete or anonymise their rows in the warehouse (customers, orders PII columns) and the feature "
                  "store, and confirm to the DPO by Friday.") == "simple"


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a step had done by others ("then get it deployed", "then have the docs updated") is a stage of its own, and no
    # history ("it deployed" read as what already happened left the description empty)
    ("Get the new search live", "Finish the indexer and then get it deployed and then have the docs updated.",
     "complex"),
    # opposites: steps on "it" done by the one worker stay one routine's; history told stays history
    ("Restart the worker", "Drain node-7 first, then reboot it, then uncordon it.", "simple"),
    ("Get the new search live", "We finished the indexer and deployed it last week; then we updated the docs.",
     "simple"),
])
def test_a_step_had_done_by_others_is_a_stage(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # the work divided among teams named as who does each part: as many masters' parts
    ("Reporting API for partners", "Dev builds it, sec reviews it, ops ships it.", "complex"),
    ("Partner sandbox", "Backend will build the sandbox tenant and platform has to deploy it on the shared cluster.",
     "complex"),
    # opposites: one team's work, and teams named with no work verb
    ("Reporting API for partners", "Dev builds it and then dev documents it.", "simple"),
    ("Reporting API for partners", "Security knows about it and ops agrees; add the pagination to the list endpoint.",
     "simple"),
])
def test_work_divided_among_teams_is_parts(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a team's verb in any present form: "fixes" is "fix" as "builds" is "build"
    ("Ship the CSV exporter", "Dev fixes the exporter, ops deploys it.", "complex"),
    # opposites: a team's name before a plural noun is no team doing work ("dev builds take", "platform upgrades of")
    ("Speed up the CI cache", "Dev builds take 20 minutes; platform upgrades of the runners did not help. Add a cache "
     "for node_modules.", "simple"),
    ("Fix the nightly pipeline", "Dev deploys on every merge; security scans run nightly and time out. Raise the "
     "scan job's timeout.", "simple"),
])
def test_a_teams_part_is_a_verb_with_its_object(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert decide(rules, title, description) == decision
