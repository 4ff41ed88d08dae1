"""What a request tells is not work, and steps that use each other's result run in order (from a mobile team's
trial, newuser8): a name's past, someone else's dated change and what someone said are no parts; a compound subject
stays whole; a team named as the doer keeps its review; a release waits for what it releases. Each case has its
opposite. The sentences are new phrasings, not tasks of the corpora.
"""

from __future__ import annotations

from orchestrator.imperatives import as_work, owner_of
from orchestrator.models import Plan, QueueTask
from orchestrator.planner import _criteria, topic_of, work_verbs
from test_plan_wording import CLASSIFIER, VERBS, plan_for, titles


def stage(plan: Plan, start: str) -> int:
    return next(s.stage for s in plan.subtasks if s.title.startswith(start))


def test_a_names_past_is_what_happened_not_work() -> None:
    # "Release" and "Build" open names here ("Release 4.2.0 (812)"), not imperatives
    assert as_work("Release 4.2.0 (812) was pulled from the store after a crash spike.", VERBS) is None
    assert as_work("Build 311 were flagged by the scanner.", VERBS) is None
    # the opposites: an imperative whose object has its own clause, and a check of a past
    assert as_work("Rebuild the image that was pulled.", VERBS) == "Rebuild the image that was pulled."
    assert as_work("Verify backups were taken", VERBS) == "Verify backups were taken"


def test_someone_elses_dated_change_is_the_reason_not_work() -> None:
    assert as_work("Node 18 is deprecated next April and the old runners are going away.", VERBS) is None
    # the opposites: an ask in the sentence, and a change the plan makes on a date
    assert as_work("Node 18 is deprecated next April, so we must upgrade the runners.", VERBS) is not None
    assert as_work("The old cluster is removed next week.", VERBS) == "Remove the old cluster next week."


def test_what_someone_said_is_the_reason_not_work() -> None:
    assert as_work("The auditor says the export does not mask card numbers.", VERBS) is None
    # a team is someone too: what it says is no object of a verb ("Fix QA says the export ..." was the part)
    assert as_work("QA says the export is broken on Safari.", VERBS) is None
    assert as_work("Security says the tokens must be rotated before launch.", VERBS) == "Rotate the tokens before launch."
    # the opposites: what they say is to be done, and a thing that reports (an object, no clause)
    assert as_work("QA says we must rerun the suite on staging.", VERBS) == "Rerun the suite on staging."
    assert as_work("The auditor says we must rotate the export keys.", VERBS) == "Rotate the export keys."
    assert as_work("The job reports metrics to Datadog.", VERBS) is not None
    assert as_work("The reports must be generated and sent to finance.", VERBS) == \
        "Generate the reports and send them to finance."


def test_then_we_is_a_step_of_its_own() -> None:
    assert as_work("Reword the consent dialog, then we resubmit.", VERBS) == "Reword the consent dialog, then resubmit."
    # the opposite: a state after "then we" is no step
    assert "then are" not in (as_work("Reword the consent dialog, then we are done.", VERBS) or "")
    plan = plan_for("Store rejection of 3.1", "Reword the purpose string of the location permission, then we resubmit.")
    assert "Resubmit" in titles(plan), titles(plan)
    assert not any("for we" in t for t in titles(plan)), titles(plan)


def test_a_compound_subject_stays_whole() -> None:
    assert as_work("Client certificates and the signing key have to be renewed and rotated.", VERBS) == \
        "Renew client certificates and the signing key and rotate them."
    plan = plan_for("Renew the mTLS setup", "Client certificates and the signing key have to be renewed and rotated, "
                                           "the gateway config needs changes in both regions, and the new chain must be "
                                           "proven by one canary call.")
    assert not any(t.startswith("Implement the client certificates") for t in titles(plan)), titles(plan)
    assert any(t.startswith("Renew client certificates and the signing key") for t in titles(plan)), titles(plan)
    # the opposite: two clauses, each with its own subject and verb, are two sentences
    split = plan_for("Pricing", "The pricing page has to show the new plans and the billing service has to charge the "
                                "new prices.")
    assert len([t for t in titles(split) if "pricing page" in t or "billing service" in t]) == 2, titles(split)


def test_a_thing_that_needs_changes_is_changed() -> None:
    assert as_work("The deploy scripts need changes in both repos.", VERBS) == "Change the deploy scripts in both repos."
    assert as_work("The login page needs an update.", VERBS) == "Update the login page."
    # the opposite: a thing given to someone is still given
    assert as_work("External partners need read access to orders.", VERBS) == \
        "Give external partners read access to orders."


def test_security_named_as_the_doer_keeps_its_review() -> None:
    plan = plan_for("Privacy manifest for the apps", "1) list every analytics SDK in both apps with its version, "
                                                     "2) update the ones without a manifest, 3) security assesses which "
                                                     "identifiers each SDK sends, 4) ship the result in the next train.")
    assessed = next(s for s in plan.subtasks if "identifiers" in s.title)
    assert (assessed.assigned_to, assessed.worker_type) == ("security", "audit"), assessed.title
    # the opposite: a team named for other work is given the work, not a review
    assert owner_of(as_work("Ops sets up the staging cluster", VERBS) or "") == ("Set up the staging cluster", "cicd", None)


def test_a_retest_follows_the_fix_of_what_was_found() -> None:
    plan = plan_for("Close the Q3 app pen test", "Fix both findings in the apps, have security retest, and ship a "
                                                 "release so the report can be closed.")
    assert stage(plan, "Have security retest") > stage(plan, "Fix both findings"), [(s.stage, s.title) for s in plan.subtasks]
    retest = next(s for s in plan.subtasks if s.title.startswith("Have security retest"))
    assert (retest.assigned_to, retest.worker_type) == ("security", "audit")


def test_a_step_that_uses_the_one_before_waits_for_it() -> None:
    shipped = plan_for("Desktop client 2.0", "Package the desktop client, upload to the Microsoft Store, request "
                                             "certification review, and roll out to everyone once approved.")
    assert stage(shipped, "Package") < stage(shipped, "Upload to the Microsoft Store") < \
        stage(shipped, "Request certification review"), [(s.stage, s.title) for s in shipped.subtasks]
    key = plan_for("Leaked Mapbox token", "Rotate the token, restrict the new one to our bundle id, and remove it from "
                                          "the repo history.")
    assert stage(key, "Restrict the new one") > stage(key, "Rotate the token")
    # the opposite: a step with its own object runs beside the one before it
    apart = plan_for("Leaked Mapbox token", "Rotate the token, restrict the admin API to the office IPs, and remove it "
                                            "from the repo history.")
    assert stage(apart, "Restrict the admin API") == stage(apart, "Rotate the token")
    signed = plan_for("Signing certificate renewal", "Create the new certificate, regenerate the three provisioning "
                                                     "profiles, and check that a release build signs.")
    assert stage(signed, "Regenerate") > stage(signed, "Create the new certificate")
    # the opposite: a rebuild recovers what was lost, beside the rest
    recovered = plan_for("Disk failure follow-up", "Restore the uploads from the backup, rebuild the search index, and "
                                                   "resume the nightly jobs.")
    assert stage(recovered, "Rebuild the search index") == stage(recovered, "Restore the uploads")


def test_a_release_waits_for_what_it_releases() -> None:
    plan = plan_for("Retire app versions older than 4.0", "Find out which versions still open the app, build a "
                                                          "minimum-version prompt, release it, then drop the v1 "
                                                          "endpoints.")
    assert stage(plan, "Release it") > stage(plan, "Build a minimum-version prompt"), \
        [(s.stage, s.title) for s in plan.subtasks]
    # the opposite: a release of something else runs beside the build
    other = plan_for("Retire app versions older than 4.0", "Find out which versions still open the app, build a "
                                                           "minimum-version prompt, release the 3.9 hotfix, then drop the "
                                                           "v1 endpoints.")
    assert stage(other, "Release the 3.9 hotfix") == stage(other, "Build a minimum-version prompt")


def test_a_store_release_is_checked_by_the_store_not_health_checks() -> None:
    assert "the store accepted the build" in _criteria("deploy", "Submit it to the App Store", "watch app")
    assert "the store accepted the build" in _criteria("deploy", "Release it", "app versions older than 4.0")
    assert "the store accepted the build" in _criteria("deploy", "Roll out Android at 50% once approved", "hotfix 3.1.2")
    # the opposites: a deploy to servers keeps its health checks and rollback, and so does one to a shop's servers; a
    # part that puts out no build is no release ("Regenerate the App Store provisioning profiles")
    assert "health checks pass" in _criteria("deploy", "Deploy the export service to production", "export service")
    assert "health checks pass" in _criteria("deploy", "Release it to the store servers", "camera analytics")
    assert "the store accepted" not in _criteria("deploy", "Regenerate the App Store provisioning profiles", "iOS apps")


def test_a_check_and_a_review_are_checked_as_what_they_are() -> None:
    assert _criteria("implement", "Make sure the app builds and the unit tests pass", "kotlin bump").startswith(
        "Checked (make sure the app builds and the unit tests pass): it holds")
    review = _criteria("audit", "Have security review the OAuth flow before launch", "partner API")
    assert review.startswith("The security review of the OAuth flow is written down"), review
    # the opposite: a review of "it" is of the task's topic
    assert _criteria("audit", "Have security review it", "partner API").startswith("The security review of partner API")


def test_a_topic_does_not_end_on_a_word_that_opens_more() -> None:
    task = QueueTask.model_validate({"id": "t", "status": "pending", "title": "Retire app versions older than 4.0"})
    assert topic_of(task, work_verbs(CLASSIFIER)) == "app versions older than 4.0"
    # the opposite: a topic of four words that ends on a noun is cut as before
    task = QueueTask.model_validate({"id": "t", "status": "pending", "title": "Add the checkout address form validation "
                                                                              "rules for EU"})
    assert topic_of(task, work_verbs(CLASSIFIER)) == "checkout address form validation"


def test_a_second_noun_of_a_phrase_is_no_part_of_its_own() -> None:
    plan = plan_for("Permission strings", "Reword the permission texts for location and contacts so they explain the "
                                          "scan-to-pay feature, then we resubmit.")
    assert any(t.startswith("Reword the permission texts for location and contacts") for t in titles(plan)), titles(plan)
    assert not any(t.startswith("Run the contacts") for t in titles(plan)), titles(plan)
    # the opposites: a second side of a build, and a second clause with its own verb, stay parts
    # no phrase to go on with: "Add a pre-commit hook and CI check ..." stays two parts
    hook = plan_for("Secrets in env files", "Move the secrets to Vault, add a pre-commit hook and CI check that blocks "
                                            "new ones.")
    assert not any("hook and CI check" in t for t in titles(hook)), titles(hook)
    named = plan_for("Invoice export", "Build the export for invoices and tests for the CSV format, then deploy it.")
    assert not any("invoices and tests" in t for t in titles(named)), titles(named)
    sides = plan_for("Okta SSO", "Implement OIDC login in the portal backend and UI, then write the admin guide.")
    assert not any("backend and UI" in t for t in titles(sides)), titles(sides)
    verbs = plan_for("Permission strings", "Reword the purpose strings for microphone and update the screenshots, "
                                           "then we resubmit.")
    assert any(t.startswith("Update the screenshots") for t in titles(verbs)), titles(verbs)


def test_how_a_release_goes_out_is_no_part_beside_it() -> None:
    plan = plan_for("Wallet v2", "Build the new wallet screen, have security review the token storage, and ship it "
                                 "through the release train with a phased rollout.")
    assert any(t.endswith("with a phased rollout") for t in titles(plan)), titles(plan)
    assert not any(t.startswith("Set up the phased rollout") for t in titles(plan)), titles(plan)
    # the opposite: work named after "with" is still a part
    other = plan_for("Wallet v2", "Build the new wallet screen with a security audit and docs.")
    assert any(s.worker_type == "audit" for s in other.subtasks), titles(other)


def test_bare_objects_after_a_verb_are_its_objects() -> None:
    plan = plan_for("Move CI to Buildkite", "Move the web and API builds, nightly tests, and cache uploads to Buildkite "
                                            "with our own agents. Then switch the branch protection.")
    assert any(t.startswith("Move the web and API builds, nightly tests, and cache uploads to Buildkite")
               for t in titles(plan)), titles(plan)
    # the opposite: a series of imperatives keeps its parts ("match invoices ..." opens one)
    series = plan_for("Invoice OCR", "Extract supplier, amount and due date with OCR, match invoices to purchase "
                                     "orders, route mismatches to a clerk, and post matched ones to the ERP.")
    assert any(t.startswith("Match invoices to purchase orders") for t in titles(series)), titles(series)
    terse = plan_for("Release 2.4", "Deploy the app to staging, run migrations, and update docs.")
    assert any(t.startswith("Run migrations") for t in titles(terse)), titles(terse)


def test_a_check_of_the_result_comes_after_the_work_and_names_both_results() -> None:
    plan = plan_for("Bump Kotlin 1.9 to 2.0", "Bump it in the version catalog, fix the compiler warnings in the billing "
                                              "module, and make sure the app builds and the billing unit tests pass.")
    check = next(s for s in plan.subtasks if s.title.startswith("Make sure"))
    assert check.title == "Make sure the app builds and the billing unit tests pass", titles(plan)
    assert check.stage > stage(plan, "Fix the compiler warnings"), [(s.stage, s.title) for s in plan.subtasks]
    # the opposite: a requirement said with "ensure" that checks no result runs beside the rest
    rules = plan_for("Harden the admin panel", "Enable MFA for admins, ensure sessions expire after 30 minutes, and "
                                               "add an audit log of logins.")
    assert stage(rules, "Ensure sessions expire") == stage(rules, "Enable MFA"), [(s.stage, s.title) for s in rules.subtasks]


def test_a_thing_reviewed_by_a_team_is_the_thing_and_their_review() -> None:
    plan = plan_for("Launch in Chile", "Needs es-CL copy for both apps, Webpay as a payment method, the consent banner "
                                       "reviewed by security/privacy, and the release through both stores.")
    shown = titles(plan)
    assert "Implement the consent banner" in shown and not any("reviewed by" in t for t in shown), shown
    review = next(s for s in plan.subtasks if s.title.startswith("Have security/privacy review the consent banner"))
    assert (review.assigned_to, review.worker_type) == ("security", "audit")
    assert review.stage > stage(plan, "Implement the consent banner")
    # the opposite: a pronoun reviewed stays one part as written
    kept = plan_for("Customer data export", "Build the export job, get it reviewed by security, and ship it.")
    assert any(t.startswith("Get it reviewed by security") for t in titles(kept)), titles(kept)


def test_a_part_named_by_its_act_opens_with_that_act() -> None:
    plan = plan_for("Launch in Chile", "Needs es-CL copy for both apps, Webpay as a payment method, the consent banner "
                                       "reviewed by security/privacy, and the release through both stores.")
    assert "Release through both stores" in titles(plan), titles(plan)
    assert "Prepare the store listings in Spanish" in titles(plan_for("Launch in Chile", "Needs es-CL copy for both "
                                                                      "apps, Webpay as a payment method, and the store "
                                                                      "listings in Spanish."))
    # the opposite: a thing whose first word is an act's noun ("release notes") is still a thing
    notes = plan_for("Release 3.2", "Needs the new export screen, the release notes for customers, and a smoke test.")
    assert not any(t.startswith("Release notes") for t in titles(notes)), titles(notes)


def test_a_sign_off_got_from_a_team_stays_one_part() -> None:
    plan = plan_for("Records policy", "Write the retention policy, collect the deletion logs, and get the policy "
                                      "approved by legal before the audit.")
    assert any(t.startswith("Get the policy approved by legal") for t in titles(plan)), titles(plan)


def test_fixing_all_findings_listed_is_a_fix_of_each() -> None:
    plan = plan_for("Remediate the web pen test findings", "The pen test found: session cookies without the Secure "
                                                          "flag, missing rate limiting on the login form, and verbose "
                                                          "stack traces in error pages. Fix all findings in the web "
                                                          "app, have security retest, and deploy.")
    fixes = [s for s in plan.subtasks if s.title.startswith("Fix ")]
    assert [s.title for s in fixes] == [
        "Fix session cookies without the Secure flag in the web app",
        "Fix missing rate limiting on the login form in the web app",
        "Fix verbose stack traces in error pages in the web app"], titles(plan)
    assert all(s.assigned_to == "development" for s in fixes), [(s.title, s.assigned_to) for s in fixes]
    assert stage(plan, "Have security retest") > max(s.stage for s in fixes)
    assert "what was wrong no longer happens" in fixes[0].success_criteria
    # what was found is told, not work: its fixes are the parts, not "Implement the verbose error messages" beside them
    nouns = plan_for("Remediate the iOS pen test findings", "The pen test found: verbose error messages, open redirects "
                                                            "in the login flow, and tokens in the device logs. Fix all "
                                                            "findings in the app, have security retest.")
    assert [t for t in titles(nouns) if "verbose error messages" in t] == ["Fix verbose error messages in the app"], \
        titles(nouns)
    assert len([t for t in titles(nouns) if "device logs" in t]) == 1, titles(nouns)
    joined = plan_for("Remediate the iOS pen test", "The pen test found: verbose error messages, open redirects in the "
                                                    "login flow and tokens in the device logs. Fix all findings in the "
                                                    "app, have security retest.")
    assert all(t.startswith(("Fix ", "Write ", "Have ")) for t in titles(joined)), titles(joined)
    # the opposite: with no list of what was found, the fix of all findings stays one part
    one = plan_for("Remediate the web pen test findings", "Fix all findings in the web app, have security retest, and "
                                                          "deploy.")
    assert any(t.startswith("Fix all findings") for t in titles(one)), titles(one)
    # a finding whose words name a release ("in release builds") is still a fix, not a deploy
    logged = plan_for("Close the Q2 audit", "The audit found: debug logging of PII in release builds, and tokens kept "
                                            "in plain text. Fix all findings, have security retest.")
    assert [s.worker_type for s in logged.subtasks if s.title.startswith("Fix debug logging")] != ["deploy"], \
        [(s.title, s.assigned_to, s.worker_type) for s in logged.subtasks]


def test_code_moved_onto_another_api_is_designed_and_tested() -> None:
    plan = plan_for("Epic: move payments to Adyen", "Stripe Connect v1 is deprecated next spring. Migrate the checkout "
                                                    "on web to the Adyen Checkout API, move refund handling in the backend "
                                                    "to the Adyen Management API with HMAC verification, have security "
                                                    "review the webhook handling, and ship it through the release train "
                                                    "with a staged rollout.")
    assert any(s.worker_type == "test" for s in plan.subtasks), titles(plan)
    # the opposite: data and records moved make nothing to design or unit-test
    moved = plan_for("Move DNS to Route 53", "Move the zone files to the new bucket, migrate the DNS records to Route "
                                             "53, and remove the old zone.")
    assert not any(s.worker_type in ("test", "planner") for s in moved.subtasks), titles(moved)


def test_secrets_moved_are_securitys() -> None:
    plan = plan_for("Move CI from Travis to GitHub Actions", "Port the build jobs to Actions workflows, migrate the "
                                                             "deploy secrets into GitHub environments, and switch off "
                                                             "Travis.")
    moved = next(s for s in plan.subtasks if s.title.startswith("Migrate the deploy secrets"))
    assert moved.assigned_to == "security", [(s.title, s.assigned_to) for s in plan.subtasks]
    # the opposite: code or data migrated stays where its words send it
    data = plan_for("Move CI from Travis to GitHub Actions", "Port the build jobs to Actions workflows, migrate the "
                                                             "build cache into GitHub's cache, and switch off Travis.")
    assert next(s for s in data.subtasks if s.title.startswith("Migrate the build cache")).assigned_to != "security"
