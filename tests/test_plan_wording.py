"""A plan's parts are whole imperative sentences a master can act on, whatever shape the writer used.

The sentences here are new phrasings of each shape, not tasks of the corpora; each shape has its opposite
(what must stay as written, or be left out as context).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from orchestrator import planner
from orchestrator.classify import Classifier
from orchestrator.config import Config
from orchestrator.imperatives import as_work, as_work_text, owner_of, sentences
from orchestrator.models import Plan, QueueTask
from orchestrator.planner import build_plan, builtin_drafts

CONFIG = Config()
CLASSIFIER = Classifier(CONFIG.classifier, learned=None)
VERBS = planner._work_words(CLASSIFIER)


@pytest.mark.parametrize(("sentence", "work"), [
    # an imperative, or things to make, stay as written
    ("Export the audit trail to S3", "Export the audit trail to S3"),
    ("A nightly job, a status page and an alert", "A nightly job, a status page and an alert"),
    # needs
    ("We also need SAML login, SCIM provisioning and an admin guide",
     "SAML login, SCIM provisioning and an admin guide"),
    ("For the pilot we need: a kiosk build, a printed QR sheet", "A kiosk build, a printed QR sheet"),
    ("Needs a feature flag and a kill switch", "A feature flag and a kill switch"),
    ("This means a queue consumer, a dead-letter topic, a replay tool", "A queue consumer, a dead-letter topic, a replay tool"),
    # capabilities of people
    ("Drivers should be able to upload delivery photos, sign on screen and report damage",
     "Let drivers upload delivery photos, sign on screen and report damage"),
    ("Shop owners can pause their store for a holiday", "Let shop owners pause their store for a holiday"),
    ("Moderators want to hide a comment without deleting it", "Let moderators hide a comment without deleting it"),
    ("Approvers need a daily digest of pending requests", "Give approvers a daily digest of pending requests"),
    ("Patients book a slot online", "Let patients book a slot online"),
    # requirements on things
    ("The invoice service must round to two decimals", "Make the invoice service round to two decimals"),
    ("Each project gets a budget field", "Give each project a budget field"),
    ("Old carts become drafts after a week", "Make old carts drafts after a week"),
    ("The reporting jobs should move to Airflow", "Move the reporting jobs to Airflow"),
    ("The session cookie expires after 30 minutes", "Make the session cookie expire after 30 minutes"),
    # passives, one and in a series
    ("The legacy tokens must be revoked", "Revoke the legacy tokens"),
    ("Uploads are scanned for malware", "Scan uploads for malware"),
    ("Stale branches need deleting", "Delete stale branches"),
    ("The field must be indexed, exported to the warehouse and shown on the profile page",
     "Index the field, export it to the warehouse and show it on the profile page"),
    ("Every worker needs its base image rebuilt", "Rebuild the base image of every worker"),
    ("Finance needs a list of refunds issued", "Give finance a list of refunds issued"),
    ("Jenkins is switched off after the move", "Switch Jenkins off after the move"),  # a name keeps its case
    # a failure
    ("Search is broken for accented names", "Fix search for accented names"),
    # several statements in one sentence
    ("Orders get a tracking link; the link expires after delivery; customers can share it",
     "Give orders a tracking link; make the link expire after delivery; let customers share it"),
])
def test_a_sentence_is_read_as_the_work_it_asks_for(sentence: str, work: str) -> None:
    assert as_work(sentence, VERBS) == work


@pytest.mark.parametrize("sentence", [
    "Downtime must stay under five minutes",  # a constraint on the work
    "The cutover has to happen on a Sunday",
    "There are about 40 dashboards",  # a fact
    "Finance approved the budget last week",  # someone's past act
    "Can you plan this?",  # an e-mail's question
    "Let's talk about it at stand-up",
    "See the thread below from the vendor",
    "The new index is ready",  # a state, not work
])
def test_context_is_not_work(sentence: str) -> None:
    assert as_work(sentence, VERBS) is None


def test_a_name_after_a_person_word_is_no_verb() -> None:
    assert as_work("Partner API", VERBS) == "Partner API"
    assert as_work("Customer Portal Redesign", VERBS) == "Customer Portal Redesign"


def test_the_relative_clause_inside_a_thing_is_not_its_verb() -> None:
    # "users request" and "a backup is late" belong to the things named, which stay things to make
    assert as_work("A page where users request a refund, a job that settles them, and a report",
                   VERBS) == "A page where users request a refund, a job that settles them, and a report"
    assert as_work("Alerts when a backup is late", VERBS) == "Alerts when a backup is late"
    # a relative clause that opens with its own verb is part of the subject of the main verb after it
    assert as_work("Every app that reads the feed needs its client regenerated", VERBS) == \
        "Regenerate the client of every app that reads the feed"


def plan_for(title: str, description: str = "") -> Plan:
    task = QueueTask.model_validate({"id": "t-1", "status": "pending", "title": title, "description": description})
    return build_plan(task, CLASSIFIER.classify(task), builtin_drafts(task, CLASSIFIER, CONFIG.planner),
                      planner="builtin", config=CONFIG.planner, now="2025-11-05T18:00:00.000Z")


def titles(plan: Plan) -> list[str]:
    return [s.title for s in plan.subtasks]


def test_a_description_of_statements_becomes_imperative_parts_and_its_context_is_left_out() -> None:
    plan = plan_for("Team spaces for the wiki",
                    "Every team gets a space with its own pages. Members can invite guests; space admins can archive "
                    "pages. Search must stay under 200 ms. There are 300 teams today.")
    assert {"Give every team a space with its own pages", "Let members invite guests",
            "Let space admins archive pages"} <= set(titles(plan))
    assert not any("200 ms" in title or "300 teams" in title for title in titles(plan))


def test_a_verbless_piece_after_a_semicolon_is_not_glued_to_the_clause_before_it() -> None:
    plan = plan_for("Weekly digest for admins", "Add a status page for the digest job; a weekly digest e-mail to admins.")
    assert not any("status page" in title and "e-mail" in title for title in titles(plan))


def test_no_part_runs_across_two_sentences() -> None:
    plan = plan_for("Partner portal",
                    "Partners should be able to log in and see their orders. Needs SSO with Okta, a pen test before "
                    "launch, and a runbook for support.")
    assert "Let partners log in and see their orders" in titles(plan)
    assert not any("orders" in title and "SSO" in title for title in titles(plan))
    assert "Run the pen test before launch" in titles(plan)  # a test is run, not "Test the pen test"
    assert "Write the runbook for support" in titles(plan)  # a document is written


def test_a_verbless_part_takes_the_verb_of_its_own_sentence_never_the_design_steps() -> None:
    plan = plan_for("Add a loyalty program to the shop",
                    "Build the points ledger, a balance widget for the account page. A redemption screen for the till.")
    by_title = titles(plan)
    assert "Build the balance widget for the account page" in by_title  # the verb of its sentence
    assert "Implement the redemption screen for the till" in by_title  # none in its own: the phase's verb
    assert not any(title.startswith("Design the ") for title in by_title)  # not the design step's verb


def test_a_sentence_that_lists_things_to_make_gives_one_part_each() -> None:
    plan = plan_for("Observability for the search cluster",
                    "Latency metrics per shard, a Grafana board, paging rules for the on-call rota, and slow-query logs.")
    assert len([t for t in titles(plan) if re.search(r"metrics|board|paging|slow-query", t)]) == 4
    # the objects of a verb are one part: "Revoke the keys, the tokens and the cookies" is one revocation
    revoke = plan_for("Lock down the leaked admin account",
                      "Revoke its API keys, its session tokens and its SSH certificates, then audit the logs.")
    assert "Revoke its API keys, its session tokens and its SSH certificates" in titles(revoke)


def test_a_list_ends_at_its_and_and_each_thing_gets_its_own_verb() -> None:
    plan = plan_for("Disaster recovery for the ledger database",
                    "Hourly snapshots copied to another zone, a written restore procedure, a monthly restore drill, "
                    "and alerts when a snapshot is late.")
    assert {"Run the monthly restore drill", "Write the written restore procedure"} & set(titles(plan))
    assert "Run the monthly restore drill" in titles(plan)  # a drill is run
    assert not any("drill" in title and "alerts" in title for title in titles(plan))
    assert any(title.startswith("Set up the alerts when a snapshot is late") for title in titles(plan))
    assert "Set up the hourly snapshots copied to another zone" in titles(plan)  # the sentence's capital dropped


def test_numbered_steps_run_in_the_writers_order() -> None:
    plan = plan_for("Retire the FTP drop",
                    "1) list every partner that still uploads by FTP 2) move them to the SFTP endpoint "
                    "3) watch traffic for two weeks 4) shut the FTP server down")
    order = [title for stage in plan.execution_plan.values() for title in
             (next(s.title for s in plan.subtasks if s.subtask_id == i) for i in stage)]
    steps = [order.index(t) for t in ("List every partner that still uploads by FTP", "Move them to the SFTP endpoint",
                                      "Watch traffic for two weeks", "Shut the FTP server down")]
    assert steps == sorted(steps)
    stage_of = {s.title: s.stage for s in plan.subtasks}
    assert stage_of["Watch traffic for two weeks"] < stage_of["Shut the FTP server down"]
    # bullets name parts, not steps: they run side by side
    bullets = plan_for("Partner onboarding kit", "- add a guide page\n- add a video page\n- add a sandbox signup page")
    assert len({s.stage for s in bullets.subtasks if s.title.startswith("Add a ")}) == 1


def test_security_work_that_changes_something_is_implementation_and_what_is_made_is_developments() -> None:
    plan = plan_for("Lock down the admin panel",
                    "Add CSRF tokens to all forms, enforce MFA for admins, add an audit log of admin actions, and "
                    "review the session timeout.")
    by_title = {s.title: s for s in plan.subtasks}
    assert by_title["Add CSRF tokens to all forms"].worker_type == "implementation"  # security's, but made
    assert by_title["Add an audit log of admin actions"].worker_type == "implementation"  # an audit log is no audit
    assert by_title["Enforce MFA for admins"].assigned_to == "security"
    assert by_title["Review the session timeout"].worker_type == "audit"
    assert "Design admin panel architecture" in by_title  # the topic is what is locked down, not "down the ..."
    shop = plan_for("New checkout flow with Apple Pay and Google Pay",
                    "Add both wallets to the web checkout, update the order service to accept wallet tokens, "
                    "PCI review by security, feature flag rollout to 10% then 100%.")
    by_title = {s.title: s for s in shop.subtasks}
    # no master's word names these parts, and the task's words lean to security: what is made is development's
    assert by_title["Add both wallets to the web checkout"].assigned_to == "development"
    assert by_title["Update the order service to accept wallet tokens"].assigned_to == "development"
    assert by_title["Run the PCI review by security"].assigned_to == "security"


def test_a_topic_is_what_is_worked_on_not_whose_it_is() -> None:
    assert "Design invoice database architecture" in titles(plan_for(
        "Migrate our invoice database to PostgreSQL 16", "Convert the schema, move the data, switch the billing "
                                                         "service's connection."))


def test_a_programs_topic_is_what_it_works_on() -> None:
    plan = plan_for("Hardening sprint for the billing portal",
                    "Rotate the webhook secrets, add rate limits to the login form, and pen test the result.")
    assert {"Design billing portal architecture", "Pen test the result"} <= set(
        titles(plan))


def test_ids_are_the_parts_object_in_whole_words() -> None:
    plan = plan_for("Migrate the ledger from MySQL to PostgreSQL",
                    "Convert the schema, run the data migration with a dry run on staging, and switch the ledger's "
                    "queries.")
    keys = {s.title: s.subtask_id.split("-s", 1)[1] for s in plan.subtasks}
    assert keys["Run the data migration with a dry run on staging"].endswith("-data-migration")
    assert keys["Switch the ledger's queries"].endswith("-switch-ledger-queries")  # no "ledger-s"


CORPUS = [entry["task"] for entry in
          json.loads((Path(planner.__file__).parent / "data" / "dev-corpus.json").read_text())
          if entry["label"]["decision"] == "complex"]


def test_every_part_of_every_dev_plan_opens_with_a_verb_and_stays_in_one_sentence() -> None:
    verbs = planner.work_verbs(CLASSIFIER)
    wrong = []
    for fields in CORPUS:
        task = QueueTask.model_validate({**fields, "status": "pending"})
        description = task.full_description
        joins = {f"{m.group(1)} {m.group(2)}" for m in re.finditer(r"(\w+)[.!?]\s+([A-Z]\w*)", description)}
        for draft in builtin_drafts(task, CLASSIFIER, CONFIG.planner):
            # a verb the planner does not know opens a part in a series of imperatives ("change server/x.js")
            opens = planner._opens_with_verb(draft.title, verbs) or planner._likely_verb(draft.title, True)
            if not opens or any(join in draft.title for join in joins):
                wrong.append((task.title, draft.title))
    assert wrong == []


def test_a_long_part_is_cut_after_a_whole_word_and_its_description_keeps_every_word() -> None:
    plan = plan_for("Member portal", "Members should be able to log in with their library card, renew their loans, "
                                     "reserve books at any branch, pay late fees online and see their reading history.")
    part = next(s for s in plan.subtasks if s.title.startswith("Let members"))
    assert len(part.title) <= planner.TITLE_CHARS and part.title.endswith("...")
    written = ("Let members log in with their library card, renew their loans, reserve books at any branch, pay "
               "late fees online and see their reading history")
    assert written.startswith(part.title[:-3])  # cut after a whole word
    assert written[len(part.title) - 3] in " ,"
    assert "see their reading history" in part.description


def test_a_pasted_list_of_hundreds_is_read_in_bounded_work_and_no_item_is_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    route = CLASSIFIER.route
    monkeypatch.setattr(CLASSIFIER, "route", lambda *a, **k: calls.append(a) or route(*a, **k))
    plan = plan_for("Import the legacy catalogue", "We need " + ", ".join(f"a product feed {n}" for n in range(300)) + ".")
    assert len(plan.subtasks) <= CONFIG.planner.max_subtasks
    assert len(calls) < 120  # about one route per part read (40 at most), not one per item of the list
    assert "a product feed 299" in " ".join(s.description for s in plan.subtasks)  # merged, never dropped


def test_criteria_say_what_is_checked_in_the_parts_own_words() -> None:
    plan = plan_for("Tenant portal",
                    "Tenants should be able to log in and report a repair. Needs a pen test before launch and a "
                    "runbook for the help desk.")
    criteria = {s.title: s.success_criteria for s in plan.subtasks}
    assert criteria["Let tenants log in and report a repair"].startswith("Tenants can log in and report a repair")
    assert criteria["Run the pen test before launch"].startswith("The pen test before launch is done and its findings")
    assert criteria["Write the runbook for the help desk"].startswith("The runbook for the help desk is written down")


def test_a_numbered_lists_last_item_ends_with_its_sentence() -> None:
    plan = plan_for("Build a parking app", "The app needs: 1) collector that reads the meters, 2) a payment screen, "
                                           "3) a receipt e-mail. Backend and mobile work.")
    assert "Implement the receipt e-mail" in titles(plan)
    assert not any("Backend and mobile" in title for title in titles(plan))
    # an id is the part's object, even one word long, not the words after it
    assert any(s.subtask_id.endswith("-collector") for s in plan.subtasks)


def test_a_user_story_is_an_ability_and_its_acceptance_criteria_are_no_parts() -> None:
    plan = plan_for("Wish lists", "As a returning customer I want to keep a wish list of my products so that I can "
                                  "buy them later. Also needs a weekly report of wished products for merchandising.\n\n"
                                  "## Acceptance criteria\n- the list survives a logout\n- a product sold out is greyed")
    assert "Let returning customers keep a wish list of their products" in titles(plan)
    assert any("weekly report of wished products" in title and "wish list" not in title for title in titles(plan))
    assert not any("logout" in title or "greyed" in title for title in titles(plan))  # what must hold, not parts
    story = next(s for s in plan.subtasks if s.title.startswith("Let returning customers"))
    assert story.success_criteria.startswith("Returning customers can keep a wish list")


def test_what_the_writer_excludes_is_no_part() -> None:
    listed = plan_for("Receipt e-mails", "## Scope\n- a receipt template with the shop logo\n- a resend button on the "
                                         "order page\n\n## Out of scope\n- the mobile app\n- SMS receipts")
    inline = plan_for("Receipt e-mails", "A receipt template with the shop logo, a resend button on the order page, and "
                                         "archive old receipts. Not in scope: the mobile app, SMS receipts.")
    for plan in (listed, inline):
        assert not any("mobile app" in title or "SMS" in title for title in titles(plan))
        assert "Implement the receipt template with the shop logo" in titles(plan)
    # "New" opens a thing, not work: the part still gets its verb
    assert "Implement the new receipt layout" in titles(plan_for("Receipts", "New receipt layout, a resend button, "
                                                                            "and an archive job."))


def test_a_chat_requests_greeting_roles_and_thanks_are_not_its_work() -> None:
    chat = plan_for("new meeting room kit", "hey team, could you: get 3 screens + 2 cameras ordered, mount the screens "
                                            "in room B, and add all of it to the asset register. thanks!")
    assert "Order 3 screens + 2 cameras" in titles(chat)  # "get X ordered": order X
    assert not any(title.lower().startswith(("implement the hey", "implement the could")) or "thanks" in title.lower()
                   for title in titles(chat))
    roles = plan_for("Saved searches", "FE: a saved-searches panel\nBE: a searches API and its migration\n"
                                       "QA: e2e for saving and loading")
    assert not any(re.search(r"\b(?:FE|BE|QA):", title) for title in titles(roles))
    assert "Run the e2e for saving and loading" in titles(roles)


def test_a_non_native_writers_request_keeps_its_steps_in_order() -> None:
    plan = plan_for("Need help for move our wiki", "we have confluence 7 on server wk01, need to move to confluence 8 "
                                                   "on wk02. please take backup first, then install confluence 8 on "
                                                   "wk02, copy the data and check the pages are working. after we "
                                                   "switch the dns to wk02")
    stage = {s.title: s.stage for s in plan.subtasks}
    assert "Install confluence 8 on wk02" in stage  # a sentence may begin in lower case
    assert "Move to confluence 8 on wk02" in stage  # "need to move ...": move
    assert stage["Switch the dns to wk02"] == max(stage.values())  # "after we switch ...": then, last
    assert stage["Switch the dns to wk02"] > stage["Install confluence 8 on wk02"]
    assert not any("confluence 7" in title for title in stage)  # "we have ...": how things are now
    assert "Take backup first" in stage


def test_a_labelled_purpose_is_context_and_an_abbreviation_ends_no_sentence() -> None:
    plan = plan_for("CR-88: Introduction of SSO for the intranet",
                    "Purpose: fewer passwords. The supplier shall connect the intranet to Azure AD, e.g. via OIDC, "
                    "migrate the local accounts and run a penetration test before go-live.")
    assert not any("fewer passwords" in title for title in titles(plan))
    assert "Connect the intranet to Azure AD, for example via OIDC" in titles(plan)
    assert "Design SSO architecture" in titles(plan)  # "Introduction of SSO": its topic is SSO


def test_a_lettered_list_of_deliverables_gives_one_part_each() -> None:
    plan = plan_for("Lot 2: digital parking permits", "The Contractor shall deliver: (a) a permit application form; "
                                                      "(b) a payment integration; (c) a case view for officers; and "
                                                      "(d) an operations manual.")
    assert {"Implement the permit application form", "Implement the case view for officers",
            "Write the operations manual"} <= set(titles(plan))
    assert not any("(a)" in title or "(b)" in title for title in titles(plan))


def test_statements_after_an_ability_are_parts_of_their_own() -> None:
    plan = plan_for("Magic links", "Users request a sign-in link by email, the link expires after ten minutes, the "
                                   "old session is ended.")
    assert "Let users request a sign-in link by email" in titles(plan)
    assert "Make the link expire after ten minutes" in titles(plan)


def test_a_list_item_takes_no_verb_from_the_item_before_it() -> None:
    plan = plan_for("Booking module", "Deliverables:\n1. Build the booking module\n2. Integration with the identity "
                                      "service\n3. Operations manual")
    assert "Build the integration with the identity service" not in titles(plan)
    assert "Implement the integration with the identity service" in titles(plan)


@pytest.mark.parametrize(("sentence", "work"), [
    ("Every host needs its agent upgraded and restarted", "Upgrade the agent of every host"),
    ("Support wants a weekly list of reopened tickets", "A weekly list of reopened tickets"),
    ("Marketing wants three things: a landing page, a signup form and a welcome e-mail",
     "Three things: a landing page, a signup form and a welcome e-mail"),
    ("User manual for the kiosk", "User manual for the kiosk"),  # a person's word in a thing's name is no subject
])
def test_a_teams_wish_and_a_thing_to_be_done_read_as_work(sentence: str, work: str) -> None:
    assert as_work(sentence, VERBS) == work


def test_a_verbless_parts_first_word_is_lowered_only_when_it_is_no_name() -> None:
    plan = plan_for("Data platform", "Nightly exports to the warehouse, Snowflake access roles, and a dbt project.")
    assert "Implement the nightly exports to the warehouse" in titles(plan)
    assert any("Snowflake access roles" in title for title in titles(plan))


def test_a_checklists_open_items_are_parts_and_its_ticked_ones_are_done() -> None:
    plan = plan_for("Cut over the payments DNS", "- [ ] lower the TTL of pay.example.com\n- [x] copy the certificates\n"
                                                 "- [ ] run the smoke suite against the new host\n- [ ] switch the record")
    assert not any("[" in title for title in titles(plan))
    assert not any("certificates" in title for title in titles(plan))  # ticked: done already
    assert {s.title: s.worker_type for s in plan.subtasks}["Run the smoke suite against the new host"] == "test"
    release = plan_for("Release 4.0 of the web app", "- [ ] freeze the release branch\n- [ ] run the full regression "
                                                     "suite\n- [ ] tag v4.0.0")
    assert {s.title: s.worker_type for s in release.subtasks}["Run the full regression suite"] == "test"


@pytest.mark.parametrize(("sentence", "work"), [
    # a polite request is an imperative; a request to do "this" is the task itself
    ("Could you rebuild the search index and purge the CDN?", "rebuild the search index and purge the CDN"),
    ("Would be nice to archive the old buckets", "archive the old buckets"),
    # a label before the work, and a checkbox or section number before the words
    ("Proposal: the export job is retried on failure", "Retry the export job on failure"),
    ("- [ ] rename the staging cluster", "rename the staging cluster"),  # a ticked box is done: no work
    ("3.2 A capacity plan for the broker fleet", "A capacity plan for the broker fleet"),
    # user stories and their acceptance criteria
    ("As a tutor, I want to grade my students' essays online so that I save paper",
     "Let tutors grade their students' essays online"),
    ("As an ops lead I want the pager to escalate after ten minutes", "Make the pager escalate after ten minutes"),
    ("Given a cart with two items, when the coupon is applied, the total is recalculated", "Recalculate the total"),
    # non-native phrasings
    ("Operators must can restart a stuck batch", "Let operators restart a stuck batch"),
    ("we want that the invoices must be signed", "Sign the invoices"),
    ("Is required a nightly export of the ledger", "A nightly export of the ledger"),
    ("A weekly export to the auditors is required", "A weekly export to the auditors"),
    # a coordinator gives teams their work; a team's wish names a thing
    ("qa runs the regression suite on the release branch", "Run the regression suite on the release branch"),
    ("Security wants a data-flow diagram first", "A data-flow diagram first"),
    # a quality required of a thing, and a phrasal verb after a modal
    ("The ledger must be exportable", "Make the ledger exportable"),
    ("Dispatchers need to look up a parcel by its barcode", "Let dispatchers look up a parcel by its barcode"),
    ("The dispatcher sees how many parcels are late", "Let the dispatcher see how many parcels are late"),
    ("Support engineers need to see the refund history", "Let support engineers see the refund history"),
    ("The importer must look up each SKU in the catalogue", "Make the importer look up each SKU in the catalogue"),
    # a doer's passive is a requirement on its subject; a doer's lettered list is the work, without the letters
    ("The provider shall be switched from Twilio to Vonage", "Switch the provider from Twilio to Vonage"),
    ("The vendor shall (a) export the catalogue, (b) map the fields and (c) load the data",
     "Export the catalogue, map the fields and load the data"),
])
def test_a_request_a_story_a_label_or_a_coordinators_line_is_read_as_its_work(sentence: str, work: str) -> None:
    assert as_work(sentence, VERBS) == work


@pytest.mark.parametrize("sentence", [
    "Hello everyone,", "Kind regards,", "Let me know what you think",  # an e-mail's greeting and closing
    "Background: the old broker runs on a single VM",  # a label that says why or when
    "Out of scope: the mobile apps",
    "Timeline",
    "Could you plan this?",  # the task itself, asked
    "Our licence with the vendor ends on 31 March",  # a dated fact
    "Error rates rose to 12% after the release",
    "The disk filled up last night",
    "We run 14 brokers in two regions",  # how things are
    "We load about 40 fonts from a CDN",
    "A partner (Globex) has asked for a bulk import",  # what someone did
    "Legal wants it finished by the audit",  # a constraint
])
def test_an_emails_greeting_a_dated_fact_or_a_why_label_is_context(sentence: str) -> None:
    assert as_work(sentence, VERBS) is None


def test_an_emails_signature_and_a_lower_case_sentence_are_read_apart() -> None:
    from orchestrator.imperatives import as_work_text
    text = "Hi Bob,\nplease rotate the signing key. also the old key must be revoked.\nThanks\nPriya"
    assert as_work_text(text, VERBS).splitlines() == ["rotate the signing key.", "Revoke the old key."]
    # a one-line text is no signature, and a name that opens a part is kept
    assert as_work_text("Grafana", VERBS) == "Grafana."


@pytest.mark.parametrize(("title", "topic"), [
    ("Fwd: RE: nightly exports", "nightly exports"),
    ("OPS-1182 rotate the broker certificates", "broker certificates"),
    ("perf: slow order search", "slow order search"),
    ("Work order 31 - chiller sensors", "chiller sensors"),
    ("As a tutor I want to grade essays online", "grade essays online"),
    ("Coordinate the rollout of the new VPN", "new VPN"),
    # what is no prefix stays: a verb before the colon is the work, an arrow is no dash
    ("Build new feature: design and implement", "feature"),
    ("Kubernetes upgrade 1.27 -> 1.30 on all clusters", "kubernetes upgrade 1.27"),
])
def test_a_titles_ticket_mail_or_story_prefix_is_not_its_topic(title: str, topic: str) -> None:
    task = QueueTask.model_validate({"id": "t-1", "status": "pending", "title": title})
    assert planner.topic_of(task, planner.work_verbs(CLASSIFIER)) == topic


def test_an_id_keeps_a_hyphenated_word_whole() -> None:
    # the object goes on past "on" and "to" inside a word (slug leaves out such small words)
    assert planner._key_words("Staff an on-call rota for the launch", planner.work_verbs(CLASSIFIER)) == "staff-call-rota"
    assert planner._key_words("Replace the cron jobs w/ Temporal workflows", planner.work_verbs(CLASSIFIER)) == "cron-jobs"


def test_a_verb_the_planner_did_not_know_opens_a_part_of_its_own() -> None:
    plan = plan_for("Clean up the payment webhooks",
                    "Verify the webhook signatures, retry failed deliveries, alert when a retry fails twice, "
                    "report weekly to the payments lead, hook up the dead-letter queue, and return 409 on duplicates.")
    assert {"Alert when a retry fails twice", "Report weekly to the payments lead", "Hook up the dead-letter queue",
            "Return 409 on duplicates"} <= set(titles(plan))
    # a thing named by a plural noun before "when" is no verb: it stays one part with its clause
    assert as_work("Alerts when a webhook is late", VERBS) == "Alerts when a webhook is late"
    assert planner._opens_with_verb("alerts when a webhook is late") is False


def test_switching_the_old_thing_off_comes_last() -> None:
    plan = plan_for("Replace the FTP drop with an SFTP gateway",
                    "Stand up the SFTP gateway, move the 12 partner integrations to it, and switch the FTP server off "
                    "after a month of parallel running.")
    off = next(s for s in plan.subtasks if s.title.startswith("Switch the FTP server off"))
    assert all(s.stage < off.stage for s in plan.subtasks if s is not off)
    # switching something on stays with the rest of the work
    plan = plan_for("Replace the FTP drop with an SFTP gateway",
                    "Stand up the SFTP gateway, move the 12 partner integrations to it, and switch the audit log on.")
    on = next(s for s in plan.subtasks if s.title.startswith("Switch the audit log on"))
    assert on.stage < max(s.stage for s in plan.subtasks)


def test_a_review_of_something_other_than_security_is_not_the_security_masters() -> None:
    plan = plan_for("Booking site compliance",
                    "Run an accessibility audit of the booking flow, fix the contrast of the buttons, and add an "
                    "audit log of price changes. Get a security review of the payment page.")
    master = {s.title: s.assigned_to for s in plan.subtasks}
    assert master["Run an accessibility audit of the booking flow"] == "development"
    assert master["Add an audit log of price changes"] == "development"
    assert master["Get a security review of the payment page"] == "security"


def test_a_markdown_heading_and_what_is_out_of_scope_are_not_parts() -> None:
    from orchestrator.imperatives import as_work_text
    text = "## Scope\n- rebuild the help centre\n\n## Out of scope\n- the partner portal\n- the shop\n## Later\n- a dark theme"
    assert as_work_text(text, VERBS).splitlines() == ["- rebuild the help centre.", "- a dark theme."]
    # an out-of-scope label with its own words rules out only those words; what follows is work again
    assert as_work_text("Not in scope: the shop.\nMigrate the blog.", VERBS) == "Migrate the blog."
    # "Before," opens the work; "Before the cutover" is part of it
    assert as_work("Before, take a snapshot of the volumes", VERBS) == "take a snapshot of the volumes"
    assert as_work("Before the cutover, freeze deploys", VERBS) == "Before the cutover, freeze deploys"


def test_a_sentence_after_a_listed_line_is_read_too() -> None:
    plan = plan_for("Quarterly platform chores",
                    "This quarter: rotate the deploy keys, patch the kernel on the build hosts, "
                    "and prune the old AMIs.\nPublish the changelog for the platform team.")
    assert {"Rotate the deploy keys", "Patch the kernel on the build hosts", "Prune the old AMIs",
            "Publish the changelog for the platform team"} <= set(titles(plan))


def test_a_title_that_only_names_the_thing_is_not_a_part_of_it() -> None:
    plan = plan_for("New checkout flow with Apple Pay and Google Pay", "Add both wallets to the web checkout, update "
                    "the order service to accept wallet tokens, PCI review by security, feature flag rollout.")
    assert not any(title.startswith("Implement the new checkout flow") for title in titles(plan))
    # with no description, the title is all there is to plan from
    assert len(plan_for("Improve worker reliability").subtasks) >= 3


def test_a_review_named_by_a_team_word_is_a_thing_not_the_teams_line() -> None:
    assert as_work("A security review checks the exports for leaks", VERBS) == \
        "A security review that checks the exports for leaks"
    # the team named keeps its review: the planner gives it to security, whatever the words after it name
    assert owner_of(as_work("Security reviews the exports for leaks", VERBS) or "") == (
        "Have security review the exports for leaks", "security", None)


@pytest.mark.parametrize(("sentence", "work"), [
    # a closing word is cut only as a word: "compatibility" keeps its "ty"
    ("Clients need to be checked for compatibility", "Check clients for compatibility"),
    ("Please purge the CDN, thanks", "purge the CDN"),
])
def test_a_passive_need_is_done_to_its_subject_and_thanks_is_cut_only_as_a_word(sentence: str, work: str) -> None:
    assert as_work(sentence, VERBS) == work


def test_an_id_is_never_a_verb_alone() -> None:
    plan = plan_for("Speed up the report page", "Measure before and after, switch to a materialised view, and export "
                                                "for auditors as CSV.")
    ids = {s.title: s.subtask_id.split("-s", 1)[1] for s in plan.subtasks}
    assert ids["Measure before and after"].endswith("-measure-before-after")
    assert ids["Switch to a materialised view"].endswith("-switch-materialised-view")


def test_acceptance_criteria_are_what_the_story_is_checked_against() -> None:
    plan = plan_for("Expense approvals", "As a manager, I want to approve my team's expense claims so that they are "
                                         "paid quickly.\nAC:\n1. Managers see a list of pending claims\n"
                                         "2. Rejecting requires a comment")
    story = next(s for s in plan.subtasks if s.title.startswith("Let managers"))
    assert story.success_criteria.endswith("Managers see a list of pending claims; Rejecting requires a comment")
    assert not any("pending claims" in s.title for s in plan.subtasks)  # criteria, not parts
    inline = plan_for("Okta SSO", "As an IT admin I want employees to sign in with Okta. Definition of done: SAML "
                                  "login works; a break-glass account remains.")
    assert not any("SAML login works" in s.title for s in inline.subtasks)
    assert any(s.success_criteria.endswith("SAML login works; a break-glass account remains")
               for s in inline.subtasks)


def test_a_piece_without_words_stays_with_the_part_before_it() -> None:
    plan = plan_for("Dark launch of the new search", "Add the new search behind a flag, then a rollout to 5% then 50% "
                                                     "then 100%, and a dashboard of search errors.")
    assert any(title.endswith("5% then 50% then 100%") for title in titles(plan))


def test_what_a_parenthesis_lists_stays_in_the_part_it_opens_in() -> None:
    plan = plan_for("Nightly reports on the new scheduler",
                    "Port the report jobs to the scheduler with the same steps (extract, test, build, publish the "
                    "PDF), add an alert when one fails, and write the on-call notes.")
    assert "Port the report jobs to the scheduler with the same steps (extract, test, build, publish the PDF)" \
           in titles(plan)
    assert not any(title.startswith(("Churn", "Refunds", "Test", "Build", "Publish")) for title in titles(plan))
    # a comma outside the parenthesis still cuts
    assert "Add an alert when one fails" in titles(plan)


def test_a_condition_that_opens_a_sentence_goes_after_the_work_it_conditions() -> None:
    plan = plan_for("Move the wiki to the new cluster",
                    "Copy the wiki database to the new cluster. When the copy is verified, switch the DNS record. "
                    "If the search index is stale, rebuild it.")
    assert "Switch the DNS record when the copy is verified" in titles(plan)
    assert "Rebuild it if the search index is stale" in titles(plan)
    assert not any(title.startswith(("When", "If")) or "the When" in title for title in titles(plan))
    # a condition that does not open the sentence stays where the writer put it
    later = plan_for("Archive old tickets", "Export the tickets older than two years, delete them when the export is "
                                            "checked, and announce it to support.")
    assert "Delete them when the export is checked" in titles(later)


def test_a_version_is_what_a_sentence_is_about_not_its_section_number() -> None:
    assert as_work("3.2 is end of life", VERBS) is None  # a fact about the version: context
    assert as_work("4.1 Migrate the user table", VERBS) == "Migrate the user table"  # a section number


def test_a_thing_of_its_own_is_a_thing_to_make_and_its_is_no_its() -> None:
    assert as_work("its own Redis", VERBS) == "its own Redis"
    assert as_work("Its broken since the upgrade", VERBS) is None  # "it's", written without its apostrophe


def test_work_that_only_repairs_what_exists_gets_no_design_step() -> None:
    fix = plan_for("Checkout totals are wrong again",
                   "Fix the rounding in the cart service, update the tax table for Austria, remove the old discount "
                   "hack, and redeploy the cart service.")
    assert not any(s.title.startswith("Design") for s in fix.subtasks)
    new = plan_for("Gift cards for the shop",
                   "Build the gift card service, add a gift card field to checkout, and deploy both.")
    assert new.subtasks[0].title == "Design gift cards architecture"  # what is new is designed first


def test_a_verb_the_planner_does_not_know_opens_a_part_before_it_and_where_it_goes() -> None:
    plan = plan_for("Internal status page", "Build a status page from the Prometheus metrics. Host it on the internal "
                                            "cluster behind SSO.")
    assert "Host it on the internal cluster behind SSO" in titles(plan)
    assert not any(title.startswith("Implement the Host") for title in titles(plan))
    # a noun before "it" opens nothing: "Whatever it takes" is no work
    assert not planner._opens_with_verb("Whatever it is", None)


@pytest.mark.parametrize(("sentence", "work"), [
    ("Vendors still send their invoices by fax", None),  # how things are now: context
    ("We currently deploy from a laptop", None),
    ("Most teams today track bugs in spreadsheets", None),
    ("We still need a rollback plan", "A rollback plan"),  # a need
    ("Run the currently failing tests", "Run the currently failing tests"),  # an imperative
])
def test_how_things_are_now_is_context(sentence: str, work: str | None) -> None:
    assert as_work(sentence, VERBS) == work


def test_a_team_given_work_after_and_is_a_clause_of_its_own() -> None:
    # (security's part is marked as theirs: the planner gives it to security, whatever its words)
    assert owner_of(as_work("QA will run the load test and security should review the findings", VERBS) or "") == (
        "Make QA run the load test and have security review the findings", "security", None)
    # an "and" inside one clause stays: "QA will run the load and soak tests"
    assert as_work("QA will run the load and soak tests", VERBS) == "Make QA run the load and soak tests"


@pytest.mark.parametrize("review", [
    "Get a security review of the signing keys", "Have security review the signing keys",
    "Run a pen test against the new endpoints", "Make security do a threat model of the flow",
])
def test_a_review_asked_with_a_light_verb_comes_after_the_work_it_reviews(review: str) -> None:
    plan = plan_for("Signed webhooks", f"Implement HMAC signing of outgoing webhooks. {review}. Ship it to production.")
    assert stage_of(plan, "Implement HMAC") < stage_of(plan, review.split()[0]) < stage_of(plan, "Ship it")
    # work done by security is no review: rotating keys runs beside the work, not after it
    rotate = plan_for("Signed webhooks", "Implement HMAC signing of outgoing webhooks. Have security rotate the "
                                         "signing keys. Ship it to production.")
    assert stage_of(rotate, "Have security rotate") <= stage_of(rotate, "Implement HMAC")


def test_fixing_what_a_review_finds_comes_after_the_review() -> None:
    plan = plan_for("Quarterly pentest", "Run the quarterly pentest of the partner API, fix the high findings, "
                                         "and publish the report.")
    assert stage_of(plan, "Run the quarterly pentest") < stage_of(plan, "Fix the high findings")
    # without a review in the plan, a fix is work like any other
    alone = plan_for("Hardening", "Fix the findings from last year's audit, add rate limits, update the runbook.")
    assert stage_of(alone, "Fix the findings") == stage_of(alone, "Add rate limits")


def stage_of(plan: Plan, start: str) -> int:
    return next(s.stage for s in plan.subtasks if s.title.startswith(start))


def test_an_ask_inside_a_run_on_sentence_is_not_cut_with_the_history_before_it() -> None:
    # what happened ("is written", "because ...") is history; the ask after it, in the same sentence, is the work
    plan = plan_for("Kiosk app", "the kiosk app is written in Cordova and it freezes at lunch and the cashiers "
                                 "complain so we want to port it to React Native and then roll it out to two shops")
    assert {"Port it to React Native", "Roll it out to two shops"} <= set(titles(plan))
    chat = plan_for("sync jobs", "error rates jumped to 9% after 2.3.1 shipped, mostly in the EU shard, we should "
                                 "pause the nightly sync, then roll out 2.3.2, and honestly we need an alert on the "
                                 "error rate")
    assert {"Pause the nightly sync", "Roll out 2.3.2"} <= set(titles(chat))
    assert any("alert on the error rate" in title for title in titles(chat))
    # a sentence that opens with a clause of its own keeps its ask ("As a ..., I want", "After ... we need")
    story = plan_for("Reading list", "As a reader I want to bookmark articles so that I can read them offline")
    assert any(title.startswith("Let readers bookmark articles") for title in titles(story))
    after = plan_for("Signed links", "After the audit showed that links never expire we need to sign download "
                                     "links and expire them after an hour")
    assert not any("audit showed" in title for title in titles(after))


def test_a_number_with_a_thousands_comma_is_one_number() -> None:
    plan = plan_for("Archive move", "The vendor will copy 12,500 scanned contracts to Glacier. Index 3,000 of them "
                                    "for search, and delete the local copies.")
    assert {"Copy 12,500 scanned contracts to Glacier", "Index 3,000 of them for search"} <= set(titles(plan))
    listed = plan_for("Small fixes", "Fix the export, the import, and the 1,2 and 3 filters in search.")
    assert not any("1,2" in title and "," in title.split("1,2")[1][:1] for title in titles(listed))


def test_a_table_shows_data_and_a_context_section_says_why() -> None:
    plan = plan_for("Queue hosts", "| Host | Queue |\n|---|---|\n| mq1 | orders |\n| mq2 | mail |\n\n"
                                   "Move both queues to Amazon MQ and retire the hosts.")
    assert not any("|" in title for title in titles(plan))
    assert "Move both queues to Amazon MQ" in titles(plan)
    rfc = plan_for("RFC: job leases", "## Background\nWorkers pick the same job twice when a pod is evicted.\n"
                                      "## Proposal\nAdd a lease column to the jobs table. Renew the lease every "
                                      "10 seconds.\n## Alternatives considered\nA Redis lock per job.")
    assert not any("pick the same job" in title or "Redis lock" in title for title in titles(rfc))
    assert {"Add a lease column to the jobs table", "Renew the lease every 10 seconds"} <= set(titles(rfc))
    # a section of work hides nothing that follows it
    plain = plan_for("Billing fixes", "Steps\nRound the VAT per line.\nSend the corrected invoices again.")
    assert {"Round the VAT per line", "Send the corrected invoices again"} <= set(titles(plain))


def test_a_runbooks_order_words_put_its_steps_in_order() -> None:
    plan = plan_for("Move the queue", "First drain the old queue. Next, point the producers at SQS. Once the old "
                                      "queue is empty, delete it. Lastly, the dashboards are updated.")
    order = [stage_of(plan, "Drain the old queue"), stage_of(plan, "Point the producers at SQS"),
             stage_of(plan, "Delete it"), stage_of(plan, "Update the dashboards")]
    assert order == sorted(order) and len(set(order)) == 4
    steps = plan_for("Search upgrade", "Step one is to snapshot the index. Step two is to upgrade the nodes. "
                                       "The last step is to reindex the catalogue.")
    assert stage_of(steps, "Snapshot the index") < stage_of(steps, "Upgrade the nodes") < \
        stage_of(steps, "Reindex the catalogue")
    # "first" before a noun is no order word
    assert as_work("First responders need an offline map", VERBS) == "Give first responders an offline map"


def test_switching_an_old_thing_off_or_failing_over_is_late_work() -> None:
    plan = plan_for("NAS retirement", "Copy the shares to S3, unmount the NAS from the app servers, power off "
                                      "the NAS, and cancel the support contract.")
    copy = stage_of(plan, "Copy the shares to S3")
    assert all(stage_of(plan, start) > copy for start in ("Unmount the NAS", "Power off the NAS", "Cancel the support"))
    drill = plan_for("Failover drill", "Restore the snapshot in the second region, fail the web tier over to it, "
                                       "and record the timings.")
    assert stage_of(drill, "Restore the snapshot") < stage_of(drill, "Fail the web tier over")


def test_a_documentation_or_delivery_task_gives_the_parts_that_build_to_their_makers() -> None:
    runbook = plan_for("Runbook: move the job queue to SQS", "Create the SQS queue in the shared account. Point the "
                                                             "workers at it. Create the Redis cluster in the same VPC. "
                                                             "Update the runbook with the new queue names.")
    kinds = {s.title: s.worker_type for s in runbook.subtasks}
    assert kinds["Create the SQS queue in the shared account"] != "documentation"
    assert kinds["Point the workers at it"] != "documentation"
    assert kinds["Create the Redis cluster in the same VPC"] != "documentation"  # a delivery word's, though weak
    assert kinds["Update the runbook with the new queue names"] == "documentation"
    # a part that names documents is documentation only when it works on them
    archive = plan_for("Runbook for the document archive", "Restore the document archive from last night's backup. "
                                                           "Refresh the recovery runbook.")
    kinds = {s.title: s.worker_type for s in archive.subtasks}
    assert kinds["Restore the document archive from last night's backup"] == "implementation"
    assert kinds["Refresh the recovery runbook"] == "documentation"
    # a delivery task's parts stay its own, even those that create something
    runners = plan_for("Move the build runners to spot instances", "Create the spot node group, then switch the CI "
                                                                   "workflows to the new labels.")
    assert {s.title: s.worker_type for s in runners.subtasks}["Create the spot node group"] == "deploy"


def test_work_the_writer_wants_first_goes_first_and_work_that_waits_goes_after() -> None:
    plan = plan_for("Login limits", "Add a rate limiter to the login API and lock accounts after 10 failures. "
                                    "Legal wants a privacy review first.")
    review = stage_of(plan, "Run the privacy review first")
    assert review < stage_of(plan, "Add a rate limiter") and review < stage_of(plan, "Lock accounts after 10 failures")
    waits = plan_for("Reporting move", "Build the new revenue dashboard, archive the legacy reports once the new "
                                       "dashboard is live, and email the finance team.")
    assert stage_of(waits, "Archive the legacy reports") > stage_of(waits, "Build the new revenue dashboard")
    # an order of things shown, or how often, is no order of work
    shown = plan_for("Comment threads", "Show the newest comments first, and send a digest once a day.")
    assert stage_of(shown, "Show the newest comments first") == stage_of(shown, "Send a digest once a day")


@pytest.mark.parametrize(("sentence", "work"), [
    # what someone or something did, with its object, is context
    ("The load test found 3 slow endpoints", None),
    ("Last week a vendor emailed our price list to a competitor", None),
    ("We host 12 sites (blog, shop, docs) on one VM", None),
    # a thing to make stays: a participle before a place, a relative clause's verb
    ("Nightly exports copied to the partner bucket", "Nightly exports copied to the partner bucket"),
    ("A list of customers who signed the new terms", "A list of customers who signed the new terms"),
])
def test_what_someone_did_is_context_and_a_thing_described_is_work(sentence: str, work: str | None) -> None:
    assert as_work(sentence, VERBS) == work


@pytest.mark.parametrize(("sentence", "work"), [
    # a non-native writer's "to" after please, a modal, or in a series after "need to": each is the verb itself
    ("Please to rename the export button", "rename the export button"),
    ("The job must to retry three times", "Make the job retry three times"),
    ("We need to tag every laptop, to record its owner, and to print a label",
     "Tag every laptop, record its owner, and print a label"),
    # a purpose stays a purpose; "to" before its object's word is no verb
    ("Add a cache to reduce load", "Add a cache to reduce load"),
    ("Rotate the signing keys, to be safe", "Rotate the signing keys, to be safe"),
    ("We need to move the logs to the new bucket and to the archive", "Move the logs to the new bucket and to the archive"),
])
def test_a_to_after_please_a_modal_or_need_to_opens_each_verb_of_the_series(sentence: str, work: str) -> None:
    assert as_work(sentence, VERBS) == work


def test_a_piece_that_asks_for_work_is_kept_though_it_names_the_past() -> None:
    plan = plan_for("Game day", "Kill the primary queue node, watch the consumers recover, and list what broke in "
                                "the retro notes.")
    assert any(title.startswith("List what broke") for title in titles(plan))
    # history stays history
    past = plan_for("Cache fix", "Last sprint we reverted the cache change. Add a cache key per tenant.")
    assert not any("reverted" in title for title in titles(past))


def test_first_before_a_then_orders_only_against_what_follows() -> None:
    plan = plan_for("Search cluster move", "Build the new search cluster. Rollout: a canary first, then move all "
                                           "traffic.")
    canary = stage_of(plan, "Set up the canary first")
    assert stage_of(plan, "Build the new search cluster") <= canary < stage_of(plan, "Move all traffic")


def test_a_chats_fillers_and_mid_sentence_requests_are_not_the_work() -> None:
    plan = plan_for("quick one", "hey so the invoice emails go out twice and finance is annoyed, can someone add an "
                                 "idempotency key to the sender and purge the duplicates")
    assert {"Add an idempotency key to the sender", "Purge the duplicates"} <= set(titles(plan))
    assert not any(re.search(r"(?i)\bhey\b|can someone", title) for title in titles(plan))
    assert as_work("I would like someone to archive the old channels", VERBS) == "Archive the old channels"
    assert as_work("ok so first lets rename the bucket", VERBS) == "rename the bucket"
    assert as_work("Let's discuss on Monday", VERBS) is None  # a suggestion of no work


def test_a_run_on_of_requirements_with_their_own_subjects_gives_a_part_each() -> None:
    plan = plan_for("Loyalty tiers", "Add gold and silver tiers and the checkout has to show the discount and the "
                                     "nightly job has to recompute every tier")
    assert {"Make the checkout show the discount", "Make the nightly job recompute every tier"} <= set(titles(plan))
    # a relative clause's "have to" belongs to its object
    same = plan_for("Key hygiene", "Rotate the API keys and the tokens that have to expire, and audit the vault")
    assert "Rotate the API keys and the tokens that have to expire" in titles(same)


def test_a_label_that_names_where_the_work_applies_is_its_scope_not_its_parts() -> None:
    assert as_work("Regions: eu-west, us-east and ap-south", VERBS) is None
    assert as_work("Platforms: iOS and Android", VERBS) is None
    # things to make after such a label are still parts, and a work label's list is work
    assert as_work("Services: a new ledger service, a billing adapter and a report job", VERBS) is not None
    assert as_work("Deliverables: a form, a report", VERBS) == "a form, a report"
    # the label of the scope is no task type either ("Clusters:" named cicd's type and was cut off its list)
    plan = plan_for("Kubernetes upgrade", "Clusters: dev, staging, prod-eu. Check deprecated APIs with pluto. "
                                          "Upgrade dev and staging.")
    assert not any(title in ("Set up the dev", "Set up the staging", "Set up the prod-eu") for title in titles(plan))


@pytest.mark.parametrize(("sentence", "work"), [
    ("All 12 repos.", None),  # how far the work goes
    ("Every service", None),
    ("All of the repos", None),
    ("All repos need a CODEOWNERS file", "Give all repos a CODEOWNERS file"),  # a requirement on them
    ("All tests pass", "All tests pass"),
])
def test_a_sentence_that_only_quantifies_is_the_works_reach(sentence: str, work: str | None) -> None:
    assert as_work(sentence, VERBS) == work


def test_work_done_by_people_for_people_gets_no_architecture_or_unit_tests() -> None:
    # ordering, hiring, training and signing build nothing to design or unit-test
    plan = plan_for("Open the Porto sales office", "Sign the lease, hire 3 account managers, order their phones and "
                                                   "train them on the pitch deck.")
    assert not any(title.startswith(("Design ", "Write tests for ")) for title in titles(plan))
    # its opposite: a software part among them keeps them, and so does a feature named only by its title
    built = plan_for("Self-service returns", "Add a returns form to the account page, email the label and notify "
                                              "the warehouse.")
    assert any(title.startswith("Write tests for") for title in titles(built))
    assert any(title.startswith("Design ") for title in titles(plan_for("Gift cards for the shop")))


def test_a_lists_indented_sub_items_are_steps_when_they_ask_and_details_when_they_name() -> None:
    plan = plan_for("Payroll provider switch", "1. Export the employee master data\n2. Load it into the new provider\n"
                                               "   a. load a test batch of ten people\n"
                                               "   b. get HR to compare the payslips\n3. Run the first live payroll")
    order = [stage_of(plan, start) for start in ("Export the employee", "Load it into", "Load a test batch",
                                                 "Get HR to compare", "Run the first live")]
    assert order == sorted(order) and len(set(order)) == len(order)  # each in the writer's order, none dropped
    # an arrow in a sub-bullet maps one field to another: no chain of steps, and no part of its own
    mapped = plan_for("Ticket import", "1. Export the tickets from Freshdesk\n2. Map the statuses\n   - Open -> new\n"
                                       "   - Pending -> waiting\n3. Import them into Jira")
    assert "Map the statuses (Open to new; Pending to waiting)" in titles(mapped)
    assert len(plan.subtasks) >= 5 and len(mapped.subtasks) >= 3


def test_a_switch_that_says_its_own_verb_keeps_it() -> None:
    plan = plan_for("New booking system", "Import the bookings, train the staff, then go live on Monday 7am.")
    assert "Go live on Monday 7am" in titles(plan)
    assert not any(title.startswith("Cut over to the") for title in titles(plan))


def test_a_then_without_a_verb_repeats_the_verb_of_the_step_before_it() -> None:
    plan = plan_for("Search rollout", "Enable the new search for internal users, then beta customers, then everyone.")
    order = [stage_of(plan, f"Enable the new search for {who}") for who in ("internal users", "beta customers",
                                                                           "everyone")]
    assert order == sorted(set(order)) and len(order) == 3
    # a "then" inside a parenthesis orders within one step; "and then" goes on one thing; a new thing keeps its own verb
    paced = plan_for("Ledger release", "Ship to the canary pool, then the fleet zone by zone (us first, then eu).")
    assert "Ship to the fleet zone by zone (us first, then eu)" in titles(paced)
    one = plan_for("Build pipeline", "Set up a pipeline that deploys to staging and then production, and switch DNS.")
    assert any("deploys to staging and then production" in title for title in titles(one))  # the writer's words
    told = plan_for("Wallet rework", "Build the wallet service, then a fraud review, then the mobile screens.")
    assert not any(title.startswith("Build a fraud review") for title in titles(told))
    needs = plan_for("Portal SSO", "The two portals need SSO, then a pen test, then rollout to clients.")
    assert not any(title.startswith("Give rollout") for title in titles(needs))


def test_a_part_on_what_the_one_before_it_made_or_after_a_decision_comes_after_it() -> None:
    plan = plan_for("Tablet refresh", "Buy 30 tablets, configure them with the kiosk profile, and label the boxes.")
    assert stage_of(plan, "Configure them") > stage_of(plan, "Buy 30 tablets")
    signed = plan_for("Payroll vendor", "Get the works council's approval, migrate the salary data and switch payroll "
                                        "over in March.")
    assert stage_of(signed, "Migrate the salary data") > stage_of(signed, "Get the works council's approval")
    # its opposite: parts on things of their own run side by side, "give them" names people, not a made thing
    side = plan_for("Team kit", "Buy 30 tablets, give them a welcome pack, and book the training room.")
    assert stage_of(side, "Book the training room") == stage_of(side, "Buy 30 tablets")
    assert stage_of(side, "Give them a welcome pack") == stage_of(side, "Buy 30 tablets")


def test_verbs_of_buying_and_choosing_open_their_parts() -> None:
    plan = plan_for("Translation agency", "Shortlist two agencies, negotiate the rates, choose one with marketing and "
                                          "submit the purchase order. Fetch the glossary from the old vendor.")
    assert {"Shortlist two agencies", "Negotiate the rates", "Choose one with marketing", "Submit the purchase order",
            "Fetch the glossary from the old vendor"} <= set(titles(plan))


@pytest.mark.parametrize(("sentence", "work"), [
    ("Apple requires the new privacy manifest by 1 May", None),  # a deadline someone else set
    ("We launch in Berlin on 3 June", None),
    ("The two office leases end in September", None),
    ("The export endpoint requires a date filter", "Give the export endpoint a date filter"),  # no date: a rule
    ("Launch the spring campaign on 3 June", "Launch the spring campaign on 3 June"),
])
def test_a_present_tense_fact_with_a_date_is_context(sentence: str, work: str | None) -> None:
    assert as_work(sentence, VERBS) == work


def test_no_title_carries_a_control_character_an_unclosed_parenthesis_or_a_full_stop_in_its_topic() -> None:
    plan = plan_for("Rotate\x07 the API keys\x1b[0m", "Revoke the old keys\x1b[31m, issue new ones (one per "
                                                      "partner and update the vault.\r\nThen notify the partners.")
    assert not any(re.search(r"[\x00-\x08\x0b-\x1f\x7f]", title) or title.count("(") != title.count(")")
                   for title in titles(plan))
    assert plan.task_title == "Rotate\x07 the API keys\x1b[0m"  # the task itself keeps what its writer sent
    assert not any(". " in title for title in titles(plan_for("Every service.", "Add health checks, export "
                                                                                "metrics and write runbooks.")))
    # a colon list's items keep what their parenthesis lists
    listed = plan_for("Help desk", "Two teams: support configures Zendesk (views, macros, SLAs), web embeds the widget.")
    assert any(title.endswith("(views, macros, SLAs)") for title in titles(listed))


def test_the_report_on_a_retirement_comes_after_the_retirement() -> None:
    plan = plan_for("Decommission the legacy fax gateway")
    assert stage_of(plan, "Review the results") > stage_of(plan, "Decommission the legacy fax gateway")


@pytest.mark.parametrize(("sentence", "work"), [
    ("The legacy CRM stays online for the auditors", None),  # how things are, with a verb the reader does not know
    ("The colocation lease covers the racks and the cooling", None),
    ("The web team embeds the chat widget", "Embed the chat widget"),  # a team given its work (development's)
    ("The importer creates the accounts", "Make the importer create the accounts"),  # a verb of work: a requirement
    ("Grafana dashboards for the on-call team", "Grafana dashboards for the on-call team"),  # a thing to make
])
def test_how_things_are_told_with_an_unknown_verb_is_context(sentence: str, work: str | None) -> None:
    said = as_work(sentence, VERBS)
    assert (said and owner_of(said)[0]) == work


def test_a_verb_the_planner_does_not_know_opens_its_part_in_a_series_of_imperatives() -> None:
    plan = plan_for("Payroll switch", "Pilot Personio with the HR team, import the contracts, email the staff and "
                                      "sunset the old tool.")
    assert "Pilot Personio with the HR team" in titles(plan)
    plan = plan_for("Alerting", "Export the dashboards, wire the exporters, page the on-call engineer on errors.")
    assert "Page the on-call engineer on errors" in titles(plan)
    # its opposite: a thing named in a series keeps the verb it is given, and a qualifier after "and" stays put
    named = plan_for("Team spaces", "Build the space API, admin UI for space owners, migrate the old spaces.")
    assert not any(title.startswith("Admin UI") for title in titles(named))
    kept = plan_for("Onboarding", "Create the repos, add the CI pipelines, grant access with least privilege.")
    assert "Grant access with least privilege" in titles(kept)


def test_a_common_word_that_began_a_sentence_loses_its_capital_after_the() -> None:
    assert "Implement the newsletter for the shop" in titles(plan_for("Newsletter for the shop"))
    assert "Make the homepage load under a second" in titles(plan_for("Speed", "Add a CDN. The Homepage should "
                                                                               "load under a second."))
    # its opposite: a name keeps its capital
    assert "Implement the Stripe integration for the shop" in titles(plan_for("Stripe integration for the shop"))


def test_a_sign_off_comes_after_what_it_signs_and_before_what_it_lets_go_ahead() -> None:
    plan = plan_for("Brand refresh", "Draft the new logo files, get the logo approved by the CMO, print the new "
                                     "business cards.")
    order = [stage_of(plan, start) for start in ("Draft the new logo", "Get the logo approved", "Print the new")]
    assert order == sorted(set(order))


def test_a_series_that_opens_with_its_condition_keeps_it_with_its_first_work() -> None:
    """A condition before a series of actions was read as the series' first item: a part "Implement the If the
    nightly export fails" of its own, and the first action without its trigger."""
    plan = plan_for("Export failure handling across data, ops and docs",
                    "If the nightly export fails, a script should page the on-call engineer, post in the data "
                    "channel and open a ticket. Then document the runbook.")
    assert not any(re.match(r"(?:Implement the |Set up the )?(?:If|When)\b", title) for title in titles(plan))
    assert any(title.endswith("if the nightly export fails") for title in titles(plan))
    # its opposite: a series whose first item is work keeps every item
    plain = plan_for("Export failure handling across data, ops and docs",
                     "Page the on-call engineer, post in the data channel and open a ticket. Then document the runbook.")
    assert {"Page the on-call engineer", "Post in the data channel"} <= set(titles(plain))


def test_security_asked_to_review_before_a_release_is_their_review_not_a_deploy() -> None:
    plan = plan_for("Self-service refunds across web, payments and support",
                    "Build the refund form and the payments call. Security must review the refund flow before it "
                    "goes live. Then update the support macros.")
    review = next(s for s in plan.subtasks if "review the refund flow" in s.title)
    assert (review.assigned_to, review.worker_type) == ("security", "audit")
    # its opposite: a release that names security is still the release
    shipped = plan_for("Security headers across web and CDN",
                       "Add the security headers to the web app, then deploy the CDN config before the sale goes live.")
    deploy = next(s for s in shipped.subtasks if s.title.startswith("Deploy the CDN config"))
    assert deploy.assigned_to == "cicd"


@pytest.mark.parametrize(("sentence", "context"), [
    ("The marketing site runs on a WordPress VM that nobody patches", True),  # where it runs now: a move's context
    ("The wiki is hosted on a NAS in the office", True),
    ("The new site runs on Vercel", False),  # a new thing: what is wanted
    ("The site should run on Vercel", False),  # an ask
    ("The job runs nightly and exports the orders", False),  # more said of it: a requirement
])
def test_where_a_thing_runs_now_is_the_context_of_its_move(sentence: str, context: bool) -> None:
    assert (as_work(sentence, VERBS) is None) == context


def test_what_a_part_includes_is_one_part() -> None:
    """ "Include" was no verb the planner knew: "Include profile, orders, messages and uploaded files" became
    "Implement the Include profile", "Implement the orders", ... each given to the task's master."""
    plan = plan_for("Data export for users across web, jobs and legal",
                    "Users must be able to download all their data as a ZIP. Include profile, orders, messages and "
                    "uploaded files. Legal wants a privacy review before launch.")
    assert "Include profile, orders, messages and uploaded files" in titles(plan)
    assert not any(title.startswith("Implement the orders") for title in titles(plan))
    # its opposite: a making verb's list is still one part per thing made
    made = plan_for("Team spaces", "Build the space API, the admin UI and the CLI, then deploy them.")
    assert sum(title.startswith(("Build", "Implement")) for title in titles(made)) >= 2


def test_a_guide_given_to_a_team_is_documentation_after_the_work() -> None:
    plan = plan_for("Passkeys for customers across web, API and support",
                    "Add passkey login to the web app and the API. Security should review it, and support needs a "
                    "short guide for removing a lost passkey.")
    guide = next(s for s in plan.subtasks if "guide for removing a lost passkey" in s.title)
    assert guide.worker_type == "documentation"
    assert guide.stage > next(s.stage for s in plan.subtasks if s.title.startswith("Add passkey login"))
    # its opposite: a documents word in work that writes nothing stays the work it is
    restore = plan_for("Claims recovery across storage and apps",
                       "Restore the claims document store from last night's snapshot, then rerun the claims import.")
    assert next(s for s in restore.subtasks if s.title.startswith("Restore")).worker_type != "documentation"


@pytest.mark.parametrize(("sentence", "context"), [
    ("Today the 4 services write uploads to an NFS share", True),  # how things are now, said first
    ("Currently, we deploy by hand from a laptop", True),
    ("Today, deploy the fix to staging", False),  # an imperative after it
    ("Today we need to ship the fix", False),  # an ask
    ("Today the job fails every night", False),  # a failure: the bug's own words
])
def test_how_things_are_now_said_first_is_context(sentence: str, context: bool) -> None:
    assert (as_work(sentence, VERBS) is None) == context


def test_a_part_said_to_come_after_other_work_waits_for_the_rest_of_its_phase() -> None:
    plan = plan_for("Search cluster upgrade",
                    "Snapshot the indices, roll the data nodes to 8.12 and move the aliases after all nodes run "
                    "8.12.")
    assert stage_of(plan, "Move the aliases") > stage_of(plan, "Roll the data nodes")
    shares = plan_for("Passwordless sign-in for staff",
                      "Enable passkeys in the IdP, remove password sign-in after 90% of staff have a passkey.")
    assert stage_of(shares, "Remove password sign-in") > stage_of(shares, "Enable passkeys")
    # its opposite: "after" a count or a span is how the thing behaves, not an order of the work
    rules = plan_for("Account lockout for the portal",
                     "Lock the account after 5 failed attempts, expire reset links after 2 hours, log every lockout.")
    assert stage_of(rules, "Lock the account") == stage_of(rules, "Log every lockout")


def test_work_listed_under_goals_and_the_paragraph_after_a_plain_label_are_work() -> None:
    plan = plan_for("Queue consumers that survive a broker restart",
                    "The consumers crash when the broker restarts.\n\nGoals:\n- Add a reconnect loop with backoff\n"
                    "- Export the consumer lag to Prometheus\n\nRotate the broker credentials before the first restart test.")
    assert {"Add a reconnect loop with backoff", "Rotate the broker credentials before the first restart test"} \
        <= set(titles(plan))
    # its opposite: an outcome under "Goals" and the lines under a Markdown heading of context stay context
    why = plan_for("Queue consumers that survive a broker restart",
                   "## Background\nThe consumers crash when the broker restarts.\n\nWe moved to RabbitMQ in 2023.\n"
                   "## Goals\n- fewer pages at night\n## Plan\n- Add a reconnect loop with backoff")
    assert not any("fewer pages" in title or "RabbitMQ" in title for title in titles(why))
    assert "Add a reconnect loop with backoff" in titles(why)


def test_an_operations_step_written_before_the_work_it_prepares_runs_before_it() -> None:
    plan = plan_for("Recover the build farm",
                    "Re-image the build agents, restore the artifact cache from the snapshot and re-run the failed "
                    "nightly builds.")
    assert stage_of(plan, "Re-image the build agents") < stage_of(plan, "Restore the artifact cache")
    # its opposites: what was built in an earlier sentence comes first, and tests still come before a release
    built = plan_for("Audit log export", "Add the export endpoint for audit logs. Deploy it to staging and add a "
                                         "retention setting for exported files.")
    assert stage_of(built, "Deploy it to staging") > stage_of(built, "Add the export endpoint")
    shipped = plan_for("Hotfix for invoice rounding", "Ship the rounding fix to production and add a regression test.")
    assert stage_of(shipped, "Ship the rounding fix") > stage_of(shipped, "Add a regression test")


def test_a_rollout_to_a_share_first_is_a_step_of_the_rollout_not_before_the_fix() -> None:
    plan = plan_for("Checkout crash after 3.2", "Fix the null address crash in checkout, release 3.2.1 to 10% first "
                                                "and add a crash alert.")
    assert stage_of(plan, "Release 3.2.1 to 10% first") > stage_of(plan, "Fix the null address crash")
    # its opposite: a part said to come first still does
    first = plan_for("Payments vault", "Build the card vault service, add the tokenisation API and have security "
                                       "do a threat model first.")
    assert stage_of(first, "Have security do a threat model first") <= stage_of(first, "Build the card vault service")


def test_how_things_go_now_told_before_the_work_is_asked_for_is_context() -> None:
    said = as_work_text("Analysts copy the sales CSVs by hand every morning. Our exports go to a shared drive. Write an "
                        "export job that uploads the CSVs to S3.", VERBS)
    assert said == "Write an export job that uploads the CSVs to S3."
    assert as_work_text("All 40 access points run a firmware from 2019. Back up each config and upgrade them.",
                        VERBS) == "Back up each config and upgrade them."  # a two-word verb asks for the work too
    # its opposites: a team given work, a need, statements with no imperative after them, an imperative after a comma
    assert owner_of(as_work_text("The platform team builds the base images. Bump the Dockerfiles of the 12 services.",
                                 VERBS)) == ("Build the base images.\nBump the Dockerfiles of the 12 services.", "cicd", None)
    assert as_work_text("Nurses need a shift calendar. Build it in the staff app.", VERBS).startswith("Give nurses")
    assert as_work_text("Patients book a slot online. Doctors confirm it by e-mail.", VERBS).startswith("Let patients")
    assert as_work_text("Before anything else, snapshot the volumes. Resize the cluster.", VERBS).count("\n") == 1
    assert as_work_text("- GitHub org invite\n- AWS SSO group\nBuild it as a Slack workflow.", VERBS).count("\n") == 2


@pytest.mark.parametrize(("sentence", "work"), [
    ("The export job fails every Sunday", "Fix the export job that fails every Sunday"),  # not "Make it fail"
    ("The link expires after an hour", "Make the link expire after an hour"),  # its opposite: a requirement
])
def test_a_thing_said_to_fail_is_fixed_not_made_to_fail(sentence: str, work: str) -> None:
    assert as_work(sentence, VERBS) == work


def test_a_part_said_to_come_before_other_work_of_the_request_runs_before_it() -> None:
    plan = plan_for("Move the audit logs to cold storage",
                    "Export the audit logs to the Glacier vault, delete the local copies, and have security review "
                    "the vault's access policy before we export anything.")
    review = next(s for s in plan.subtasks if "access policy" in s.title)
    assert review.assigned_to == "security"
    assert review.stage < stage_of(plan, "Export the audit logs")
    # its opposites: before a release it stays after the work, and a sign-off still follows what it signs
    launch = plan_for("Partner API keys", "Build the key issuing endpoint and have security review it before launch.")
    assert stage_of(launch, "Have security review it") > stage_of(launch, "Build the key issuing endpoint")
    signed = plan_for("Records policy", "Write the retention policy, collect the evidence of deletions, and get the "
                                        "policy approved by legal before the evidence review starts.")
    assert stage_of(signed, "Get the policy approved") > stage_of(signed, "Write the retention policy")


def test_people_work_and_documents_in_a_delivery_are_not_deploys_and_keep_its_order() -> None:
    plan = plan_for("Deploy the new POS client to the stores",
                    "Roll out the POS client to the 40 store tills with Intune, train the cashiers in each store, "
                    "write the store runbook, then switch the stores over one region at a time.")
    trained = next(s for s in plan.subtasks if s.title.startswith("Train the cashiers"))
    runbook = next(s for s in plan.subtasks if s.title.startswith("Write the store runbook"))
    assert (trained.assigned_to, trained.worker_type) == ("development", "implementation")
    assert runbook.worker_type == "documentation"
    assert trained.stage < stage_of(plan, "Switch the stores over")
    assert not any(title.startswith(("Design ", "Write tests for ")) for title in titles(plan))
    # its opposite: the delivery's own steps stay cicd's deploys
    shipped = next(s for s in plan.subtasks if s.title.startswith("Roll out the POS client"))
    assert (shipped.assigned_to, shipped.worker_type) == ("cicd", "deploy")


def test_work_said_only_in_a_condition_is_a_part_before_the_one_that_waits_for_it() -> None:
    plan = plan_for("Move the status page to the new host",
                    "Copy the status page to the new host and test it. Once the CNAME is repointed, delete the old "
                    "bucket.")
    assert stage_of(plan, "Repoint the CNAME") < stage_of(plan, "Delete the old bucket once the CNAME is repointed")
    upgraded = plan_for("Grafana upgrade", "Export the dashboards and upgrade Grafana to 11 after the snapshot is "
                                           "restored on staging.")
    assert stage_of(upgraded, "Restore the snapshot") < stage_of(upgraded, "Upgrade Grafana to 11")
    # its opposites: a condition whose thing another part does, a state, and what others do add nothing
    named = plan_for("Ledger cut-over", "Reconcile the balances in the old ledger. Once the balances are reconciled, "
                                        "open the new ledger to the finance team.")
    assert not any(title.startswith("Reconcile the balances") and "old ledger" not in title for title in titles(named))
    waits = plan_for("Mail migration", "Move the mailboxes to the new tenant and update the MX records once the copy "
                                       "is done.")
    assert not any(title.startswith("Do ") for title in titles(waits))


def test_people_work_is_checked_by_a_record_of_it_not_by_a_build() -> None:
    plan = plan_for("New clinic in Leeds", "Order 12 desk phones, hire two receptionists, train them on the booking "
                                           "system, and add the clinic to the booking API.")
    ordered = next(s for s in plan.subtasks if s.title.startswith("Order 12 desk phones"))
    assert "code builds" not in ordered.success_criteria and "receipt" in ordered.success_criteria
    # its opposite: what is built is still checked by a build
    built = next(s for s in plan.subtasks if "booking API" in s.title)
    assert "builds" in built.success_criteria


@pytest.mark.parametrize(("sentence", "work"), [
    ("Do not delete the old bucket until the backups are verified",
     "Delete the old bucket once the backups are verified"),  # the work, once its condition holds
    ("Never store card numbers in the logs", None),  # its opposites: a prohibition is a constraint
    ("Don't start until the freeze ends", None),
])
def test_a_prohibition_until_a_condition_is_the_work_once_it_holds(sentence: str, work: str | None) -> None:
    assert as_work(sentence, VERBS) == work


def test_a_document_written_and_shared_is_checked_as_the_document() -> None:
    said = planner._criteria("docs", "Write the incident report and send it to the account managers", "outage")
    assert said.startswith("The incident report is written down")
    # its opposite: an "and" inside the document's name stays
    assert planner._criteria("docs", "Write the guide in English and Polish", "portal").startswith(
        "The guide in English and Polish is written down")


def test_a_review_written_after_delivery_work_reviews_it_and_comes_after_it() -> None:
    plan = plan_for("Move CI to GitHub Actions", "Port the deploy pipeline to GitHub Actions, move the deploy keys to "
                                                 "environments, and have security review the new OIDC role.")
    review = stage_of(plan, "Have security review")
    assert review > stage_of(plan, "Port the deploy pipeline") and review > stage_of(plan, "Move the deploy keys")
    # its opposites: in a sentence that launches or cuts over, a review stays before that step
    launched = plan_for("Partner portal",
                        "Set up the partner DNS records, have security review the partner login, and launch on Monday.")
    assert stage_of(launched, "Have security review") < stage_of(launched, "Launch")
    cut = plan_for("Leave the old load balancer",
                   "Create the new load balancer, have security review its listener rules, then cut traffic over.")
    assert stage_of(cut, "Have security review") < stage_of(cut, "Cut traffic over")


def test_a_review_held_with_security_is_securitys() -> None:
    plan = plan_for("Referral program", "Build the invite links in the backend, add the invite screen to the apps, and "
                                        "run an abuse review with the security team before launch.")
    review = next(s for s in plan.subtasks if s.title.startswith("Run an abuse review"))
    assert (review.assigned_to, review.worker_type) == ("security", "audit")
    # its opposites: a review with another team, and security as a concern of a build, stay where they were
    finance = plan_for("Fraud rules", "Tune the fraud rules, and review the fraud rules with the finance team.")
    assert next(s for s in finance.subtasks if s.title.startswith("Review the fraud rules")).assigned_to == "development"
    mind = plan_for("Login page", "Build the login page, review its form handling with security in mind, and add tests.")
    assert next(s for s in mind.subtasks if s.title.startswith("Review its form")).assigned_to == "development"


@pytest.mark.parametrize(("description", "part"), [
    ("Port the build and test jobs to GitHub Actions, then have security review the new OIDC trust.",
     "Port the build and test jobs to GitHub Actions"),
    ("Fix the unit and integration tests, then deploy to staging.", "Fix the unit and integration tests"),
])
def test_two_kinds_of_one_thing_named_once_are_one_part(description: str, part: str) -> None:
    assert part in titles(plan_for("CI cleanup", description))


def test_a_second_verb_after_and_still_opens_a_part() -> None:
    # the opposites: a verb after "and" before a thing that is not a kind of the one before
    assert {"Deploy the app", "Run migrations"} <= set(titles(plan_for("Release", "Deploy the app and run migrations, "
                                                                                  "then tell support.")))
    assert "Build the API" in titles(plan_for("API", "Build the API and test endpoints against the spec, then "
                                                     "document the API."))


@pytest.mark.parametrize(("description", "delivered", "checked"), [
    ("Upgrade the base images to Node 22, fix the deprecation warnings and run the full regression suite.",
     "Fix the deprecation warnings", "Run the full regression suite"),
    ("Fix the flaky tests, then deploy to staging and ask QA to sign off.", "Deploy to staging", "Ask QA to sign off"),
])
def test_a_test_run_written_after_delivery_work_checks_it_and_comes_after_it(description: str, delivered: str,
                                                                               checked: str) -> None:
    plan = plan_for("Platform upkeep", description)
    assert stage_of(plan, checked) > stage_of(plan, delivered)
    # its opposite: a test run written before the delivery work stays before it
    before = plan_for("Platform upkeep", "Run the full regression suite and deploy to staging.")
    assert stage_of(before, "Run the full regression suite") < stage_of(before, "Deploy to staging")


@pytest.mark.parametrize(("rehearsal", "real"), [
    ("Rehearse the cut-over on staging", "Move the billing database to the new cluster"),
    ("Try the migration on a clone of production", "Move the billing database to the new cluster"),
])
def test_a_rehearsal_comes_before_the_real_run_written_beside_it(rehearsal: str, real: str) -> None:
    plan = plan_for("Billing database move", f"{rehearsal}, move the billing database to the new cluster in the "
                                             "Sunday window, and check the invoices afterwards.")
    assert stage_of(plan, rehearsal.split(" on ")[0]) < stage_of(plan, real)
    # its opposite: testing on a browser or a device is no rehearsal of the runs beside it
    side = plan_for("Checkout on devices", "Test the checkout on an iPhone, test the signup on a Pixel and test the "
                                           "search on Safari.")
    assert stage_of(side, "Test the checkout") == stage_of(side, "Test the signup") == stage_of(side, "Test the search")


def test_work_on_what_exists_gets_no_design_or_unit_tests_of_its_own() -> None:
    for title, description in [
        ("SEV1 follow-up", "Restore the search index from snapshot, rebuild the replica DB, re-sync the cache and resume "
                           "the paused consumers."),
        ("Leaked payment key", "Revoke the leaked key, issue a new one, update it in Vault and in the payment service "
                               "config, redeploy the payment service, and check the logs for misuse."),
    ]:
        assert not any(t.startswith(("Design ", "Write tests for ")) for t in titles(plan_for(title, description)))
    # its opposites: a plan that makes something, or names a deliverable without a verb, keeps them
    built = titles(plan_for("Usage alerts", "Add a thresholds API, build the alert evaluation job and restore the old "
                                            "notification settings."))
    assert any(t.startswith("Write tests for ") for t in built)
    named = titles(plan_for("Data export", "Restore the old export links; migrate the saved filters; a background job "
                                           "and a download page."))
    assert any(t.startswith("Write tests for ") for t in named)


def sub(plan: Plan, start: str) -> tuple[str, str, str]:
    found = next(s for s in plan.subtasks if s.title.startswith(start))
    return found.assigned_to, found.worker_type, found.success_criteria


def test_migrations_a_deploy_needs_run_before_it_and_a_check_after_it() -> None:
    plan = plan_for("Ledger v3 release", "Roll out ledger v3 to production and apply the schema migrations it needs. "
                                         "Check the balances of 5 sample wallets, then take over from v2, and keep v2 "
                                         "warm for three days.")
    assert stage_of(plan, "Apply the schema migrations") < stage_of(plan, "Roll out ledger v3")
    assert stage_of(plan, "Roll out ledger v3") < stage_of(plan, "Check the balances")
    assert stage_of(plan, "Check the balances") < stage_of(plan, "Take over from v2") < stage_of(plan, "Keep v2 warm")
    # its opposite: a platform deployed first is what the work after it runs on, and a check of something else
    # stays beside the deploys
    platform = plan_for("Secrets to OpenBao", "Deploy OpenBao, move each service's secrets into it, switch them to "
                                              "the agent injector.")
    assert stage_of(platform, "Deploy OpenBao") < stage_of(platform, "Move each service's secrets")
    chores = plan_for("Sale readiness", "scale the web pool, set up the change freeze, verify the backups, write the "
                                        "incident runbook")
    assert stage_of(chores, "Verify the backups") == stage_of(chores, "Scale the web pool")


def test_a_review_before_any_code_is_written_comes_before_the_building() -> None:
    plan = plan_for("Partner webhooks", "Agree the event list with the partners, add signing secrets per partner, "
                                        "have security do a threat model before any code is written, build the "
                                        "delivery worker, document the payloads.")
    assert stage_of(plan, "Have security do a threat model") < stage_of(plan, "Build the delivery worker")
    assert stage_of(plan, "Have security do a threat model") < stage_of(plan, "Add signing secrets")
    # its opposite: a review before a release stays after the work it reviews
    late = plan_for("Partner webhooks", "Build the delivery worker, add signing secrets per partner, have security "
                                        "do a threat model before we go live.")
    assert stage_of(late, "Have security do a threat model") > stage_of(late, "Build the delivery worker")


@pytest.mark.parametrize(("sentence", "title"), [
    ("Have procurement approve the renewal quote", "Prepare the renewal quote for approval by procurement"),
    ("get the works council to sign off on the rota change", "Prepare the rota change for sign-off by the works council"),
    ("Ask the auditor to confirm the sampling method", "Prepare the sampling method for confirmation by the auditor"),
    ("have the head of support review the macros before launch",
     "Prepare the macros for review by the head of support before launch"),
    ("have the clinical lead sign off before the trial starts",
     "Prepare what the clinical lead needs to sign off before the trial starts"),
])
def test_a_decision_by_someone_outside_the_masters_becomes_preparing_what_they_decide_on(sentence: str,
                                                                                        title: str) -> None:
    plan = plan_for("Support tooling refresh", f"Rebuild the macro library in Zendesk, {sentence}, then train the "
                                               "agents.")
    assert title in titles(plan)
    master, worker, criteria = sub(plan, title)
    assert (master, worker) == ("development", "documentation")
    assert "answer" in criteria
    assert next(s.description for s in plan.subtasks if s.title == title).endswith(f"{sentence}.")  # the writer's words
    assert stage_of(plan, "Rebuild the macro library") <= stage_of(plan, title) < stage_of(plan, "Train the agents")


def test_security_a_team_or_a_noun_asked_for_is_no_decision_to_prepare() -> None:
    plan = plan_for("Support tooling refresh", "Rebuild the macro library in Zendesk, get a security review of the "
                                               "API token handling, have security review the webhook, get manager "
                                               "sign-off, have the platform team review the Helm chart.")
    assert not any(t.startswith("Prepare ") for t in titles(plan))
    assert sub(plan, "Have security review the webhook")[:2] == ("security", "audit")


def test_a_record_or_report_of_what_was_done_comes_after_the_work() -> None:
    plan = plan_for("Erasure request 4411", "Find every store that holds the requester's phone number, erase their "
                                            "rows in the CRM and the data lake, and record what was erased in the "
                                            "privacy log.")
    assert stage_of(plan, "Record what was erased") > stage_of(plan, "Erase their rows")
    assert stage_of(plan, "Find every store") < stage_of(plan, "Erase their rows")
    # its opposite: recording what exists is the inventory that comes first
    census = plan_for("Laptop census", "Record the serial number and owner of every laptop, wipe the unassigned ones, "
                                       "and order replacements.")
    assert stage_of(census, "Record the serial number") < stage_of(census, "Wipe the unassigned ones")


def test_a_test_of_an_operation_is_a_test() -> None:
    plan = plan_for("DR readiness", "Back up the vault cluster to the second region, test restoring the vault "
                                    "snapshot, and switch the DNS failover on.")
    assert sub(plan, "Test restoring the vault snapshot")[1] == "test"


def test_taking_over_is_a_switch_after_the_standby_it_takes_over_from() -> None:
    plan = plan_for("Replace the primary database host", "Provision pg02, start it with --standby and let it sync from "
                                                         "pg01, take over from pg01 in the Sunday window, and keep "
                                                         "pg01 running for a day.")
    assert stage_of(plan, "Let it sync from pg01") < stage_of(plan, "Take over from pg01") \
        < stage_of(plan, "Keep pg01 running")
    assert sub(plan, "Take over from pg01")[1] == "deploy"


@pytest.mark.parametrize(("sentence", "work"), [
    # how things are, or what someone did, told with a verb no request uses of its subject: context
    ("Ops owns the alert rules.", None),
    ("The data team spends two days a month on this export.", None),
    ("Procurement picked Coupa.", None),
    ("A customer audit found plain-text passwords in the legacy importer.", None),
    ("Marketing uses HubSpot, finance uses Xero.", None),
    ("Support needs it before the holiday peak.", None),
    # its opposites: an imperative whose object the verb follows, a question the work answers, a use asked for,
    # a need of a thing, and work written after the fact
    ("Fix the bugs the pen test found.", "Fix the bugs the pen test found."),
    ("Find uses of the v1 client.", "Find uses of the v1 client."),
    ("Support uses the new macros to answer faster.", "Support uses the new macros to answer faster."),
    ("Support needs a refund report.", "Give support a refund report."),
    ("Support owns the help articles, so move them with the macros.", "Support owns the help articles, so move them "
                                                                       "with the macros."),
    # a decision someone outside the masters must make is theirs to make (prepared by a master), not an ability
    ("Procurement needs to sign the order form.", "Have procurement sign the order form."),
    ("The CFO has to approve the budget.", "Have the CFO approve the budget."),
    ("Finance can review refunds in the admin panel.", "Let finance review refunds in the admin panel."),
    ("The customer must confirm the order by email.", "Make the customer confirm the order by email."),
])
def test_facts_told_with_unknown_verbs_are_context_and_decisions_are_theirs(sentence: str, work: str | None) -> None:
    assert as_work(sentence, VERBS) == work


def test_a_gather_list_keeps_who_owns_each_thing() -> None:
    assert as_work("who owns it", VERBS) == "who owns it"  # a list's item: a question the work answers


@pytest.mark.parametrize(("description", "part"), [
    ("Pick the pilot stores, book a training day with the ops team for each store opening, and order the "
     "scanners.", "Book a training day with the ops team for each store opening"),
    ("Clean up the share, move the rest to Box with the migration tool, and set the folder permissions.",
     "Move the rest to Box with the migration tool"),
    ("Find every service still built with Java 11 and upgrade each to Java 21.", "Find every service still built with "
                                                                                  "Java 11"),
])
def test_who_or_what_the_work_is_done_with_qualifies_its_part(description: str, part: str) -> None:
    assert part in titles(plan_for("Store rollout", description))


def test_work_named_after_with_is_still_a_part_of_its_own() -> None:
    # the opposites: "with tests", "with a security review" name work; "with the security team" is security's review
    plan = plan_for("Retry cleanup", "Move the retry logic of the sync client into one helper with a security "
                                     "review, and update the README.")
    assert "Move the retry logic of the sync client into one helper" in titles(plan)
    assert any(s.assigned_to == "security" and s.worker_type == "audit" for s in plan.subtasks)


def test_criteria_fit_the_part_not_only_its_phase() -> None:
    office = plan_for("Clinic move: IT", "Book the movers for the server rack, set up the new router, test the Wi-Fi "
                                         "in every room, and move the phones.")
    for title in ("Set up the new router", "Test the Wi-Fi in every room", "Move the phones"):
        criteria = sub(office, title)[2]
        assert "code builds" not in criteria and "Automated tests" not in criteria and "written down" in criteria
    release = plan_for("Android release 9.1", "Cut the release branch, run the UI tests on the device farm, get QA "
                                              "sign-off, submit to the Play Store, and roll out to 20 % then 100 %.")
    assert "health checks" not in sub(release, "Cut the release branch")[2]
    assert "who gave it" in sub(release, "Get QA sign-off")[2]
    # a rollout is a deploy; through a store it is checked by the store's review, its share and its crashes
    assert "the store accepted the build" in sub(release, "Roll out to 20 %")[2]
    servers = plan_for("API release 9.1", "Cut the release branch, run the integration tests, get QA sign-off, "
                                          "and roll out to 20 % of the pods then 100 %.")
    assert "health checks" in sub(servers, "Roll out to 20 %")[2]  # its opposite: a release to servers
    onboarding = plan_for("Onboard two engineers to the backend team", "Create their Google accounts, give them "
                                                                        "access to their GitHub team and repos, and "
                                                                        "send them the engineering handbook.")
    assert not any(t.startswith(("Design ", "Write tests for ")) for t in titles(onboarding))  # a team is no software
    assert "no more than asked" in sub(onboarding, "Give them access")[2]
    # its opposite: a plan that builds code keeps the code's criteria
    built = plan_for("Usage alerts", "Add a thresholds API, build the alert evaluation job and write tests.")
    assert "the code builds" in sub(built, "Add a thresholds API")[2]
    split = plan_for("Invoice generator cleanup", "Split the invoice generator into a calculator and a renderer, "
                                                   "rename the totals helper and write tests.")
    assert "the code builds" in sub(split, "Split the invoice generator")[2]


def test_a_version_at_the_end_of_a_sentence_ends_it() -> None:
    plan = plan_for("Sunset the old desktop client", "A few shops are still on v3. Show a banner asking them to "
                                                     "update, then turn off the v3 sync endpoint.")
    assert "Show a banner asking them to update" in titles(plan)
    # its opposite: an abbreviation before a lower-case word goes on
    assert sentences("Bump the SDK to v2. then drop the shim.") == ["Bump the SDK to v2. then drop the shim"]


def test_handing_the_old_thing_back_comes_with_switching_it_off() -> None:
    plan = plan_for("New office firewall", "Return the old firewall to the leasing company, install the new firewall, "
                                           "and move the VPN tunnels to it.")
    assert stage_of(plan, "Return the old firewall") > stage_of(plan, "Install the new firewall")
    # its opposite: returning a status code is no hand-back
    api = plan_for("Rate limits", "Return 429 to the client when the quota is spent, add the quota table, document "
                                  "the headers.")
    assert sub(api, "Return 429")[1] != "deploy"


def test_the_release_branch_is_cut_before_the_tests_that_run_on_it() -> None:
    plan = plan_for("Release 8.0 of the desktop app", "Cut the 8.0 release branch, run the end-to-end suite on it, "
                                                      "get sign-off from support, and publish the installers.")
    assert stage_of(plan, "Cut the 8.0 release branch") < stage_of(plan, "Run the end-to-end suite")
    # its opposite: a delivery written first still waits for the tests written after it
    ship = plan_for("Hotfix 8.0.1", "Ship the fix and add a regression test for the crash.")
    assert stage_of(ship, "Add a regression test") < stage_of(ship, "Ship the fix")


def test_a_second_place_after_one_preposition_is_no_part() -> None:
    plan = titles(plan_for("Onboarding for Lena", "Order her laptop, add her to the GitHub org and the data team's "
                                                  "repos, and create her Okta account."))
    assert "Add her to the GitHub org and the data team's repos" in plan
    assert not any("repos" in title and not title.startswith("Add her") for title in plan)
    # its opposite: a second thing to make after a making verb is a part of its own
    made = titles(plan_for("Checkout", "Build the payment endpoint, a receipt page and an admin report."))
    assert len([title for title in made if "receipt page" in title or "payment endpoint" in title]) == 2


@pytest.mark.parametrize(("sentence", "work"), [
    # a bug or finding report's fields are facts about the problem, not parts of its fix
    ("Severity: Critical (CVSS 9.1)", None),
    ("Affected: /api/invoices/{id}/pdf", None),
    ("Expected: the invoice opens", None),
    ("Steps to reproduce: open an invoice twice", None),
    ("Reporter: the night shift", None),
    # what an attacker can do is the defect, not a capability to build ...
    ("A guest can read any other tenant's invoices by changing the id", None),
    ("An attacker could run arbitrary commands through the file name", None),
    ("Users can open the admin page without logging in", None),
    # ... unlike what people should be able to do
    ("Tenant admins can read every invoice of their tenant", "Let tenant admins read every invoice of their tenant"),
    ("Support agents can run the export script", "Let support agents run the export script"),
])
def test_a_reports_fields_and_its_exploit_are_not_work(sentence: str, work: str | None) -> None:
    assert as_work(sentence, VERBS) == work


def test_a_teams_review_of_a_thing_is_that_teams_audit_not_a_sentence_with_the_team_as_subject() -> None:
    plan = plan_for("Partner portal", "- Build the partner login and the deal registration form\n"
                    "- Security review of the partner login before launch\n- Roll out to production")
    audit = [s for s in plan.subtasks if "review" in s.title.lower()]
    assert [(s.title, s.assigned_to, s.worker_type) for s in audit] == [
        ("Run the security review of the partner login before launch", "security", "audit")]
    # ... while a team that does something is still its subject, read as the imperative
    assert owner_of(as_work("Security reviews the partner login before launch", VERBS) or "")[0] == \
        "Have security review the partner login before launch"
    assert owner_of(as_work("Ops sets up the production environment", VERBS) or "") == (
        "Set up the production environment", "cicd", None)


def test_a_new_system_the_writer_names_as_a_part_keeps_the_writers_words() -> None:
    plan = plan_for("Replace the parking fleet", "1) count the current meters, 2) build the new parking app, "
                    "3) roll out to 12 car parks.")
    assert "Build the new parking app" in titles(plan)
    assert not any(title.endswith(("backend", "frontend")) for title in titles(plan))
    # ... while a new system the title alone names is split in two, as the seed's example is
    assert {"Implement authentication system backend", "Implement authentication system frontend"} <= set(
        titles(plan_for("Add authentication system with security audit and docs")))


def test_a_result_wanted_said_as_done_is_the_work_that_does_it() -> None:
    plan = plan_for("Leave Bamboo for GitLab CI", "Bamboo's licence ends in June. We need the pipelines rewritten "
                    "for each service, the signing keys moved to the GitLab vault, and the release jobs ported.")
    assert {"Rewrite the pipelines for each service", "Move the signing keys to the GitLab vault",
            "Port the release jobs"} <= set(titles(plan))


@pytest.mark.parametrize("part", [
    "the clusters they are deployed to",  # a verb phrase, not a thing done
    "the gate agent swapped two seats",  # a past act with its object
    "the customers affected by the outage",  # who did it
])
def test_a_thing_and_a_participle_that_is_no_result_wanted_stays_a_thing(part: str) -> None:
    item = planner._Item(part, "implement", "development", [], 0)
    assert planner._title_of(item, "the topic", re.compile(r"(?:deploy|swap|affect|port|move)\b")).startswith(
        "Implement the ")


@pytest.mark.parametrize(("sentence", "work"), [
    # a date without "on" or "in" dates a fact as well ("Contract with Twilio ends March 31" was a part)
    ("The office lease ends April 30", None),
    ("Our support plan expires Dec 2026.", None),
    # ... while a request that names a date is still work
    ("Archive every invoice created March 2024 or earlier", "Archive every invoice created March 2024 or earlier"),
])
def test_a_fact_dated_without_a_preposition_is_context(sentence: str, work: str | None) -> None:
    assert as_work(sentence, VERBS) == work


def test_running_the_old_and_the_new_side_by_side_comes_after_the_new_is_deployed() -> None:
    plan = plan_for("Switch payment gateway from Braintree to Adyen",
                    "Build an Adyen client in checkout-service, deploy it, run both gateways side by side for two "
                    "weeks, then remove Braintree.")
    stage = {s.title: s.stage for s in plan.subtasks}
    parallel = next(title for title in stage if title.startswith("Run both"))
    deploy = next(title for title in stage if title.startswith("Deploy"))
    assert stage[deploy] < stage[parallel] < stage["Remove Braintree"]
    # ... not a test suite run in parallel
    assert planner._CUTOVER_RE.match("run the test suite in parallel") is None


def test_a_check_in_a_security_task_is_the_security_masters_not_something_to_build() -> None:
    plan = plan_for("Rotate the Stripe keys posted in the support chat",
                    "Someone posted the live Stripe secret key in the support chat. Revoke the key, put the new one "
                    "where the billing service reads it, and check the Stripe logs for use of the old key.")
    check = next(s for s in plan.subtasks if s.title.startswith("Check"))
    assert check.assigned_to == "security"
    # ... while building something in such a task is still development's
    plan = plan_for("Stop secrets leaking into the support chat",
                    "Revoke the leaked Stripe key, and add a filter to the chat widget that masks anything shaped "
                    "like a key.")
    assert next(s for s in plan.subtasks if s.title.startswith("Add")).assigned_to == "development"
