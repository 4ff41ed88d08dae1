"""Work divided among named teams: each part goes to the master of the team that was named for it, in the order the
parts use each other (a team's review after the thing it reviews, shipping after the build and the review). The
teams are one list (``imperatives.TEAMS``) that the classifier and the planner both read. Each shape has its
opposite: a team word that assigns nothing."""
from __future__ import annotations

from orchestrator.classify import Classifier
from orchestrator.config import Config
from orchestrator.imperatives import TEAMS, as_work, owner_of, team_of
from orchestrator.models import Plan, QueueTask
from test_plan_wording import VERBS, plan_for


def parts(plan: Plan) -> dict[str, tuple[str, int]]:
    return {s.title: (s.assigned_to, s.stage) for s in plan.subtasks}


def part(plan: Plan, start: str) -> tuple[str, int]:
    return next((s.assigned_to, s.stage) for s in plan.subtasks if s.title.startswith(start))


def test_each_team_named_as_a_doer_gets_its_part_in_the_order_the_parts_use_each_other() -> None:
    plan = plan_for("Ship the new billing service", "Dev builds it, appsec reviews it, ops ships it.")
    build, ship = part(plan, "Build it"), part(plan, "Ship it")
    review = next((s.assigned_to, s.stage) for s in plan.subtasks if s.worker_type == "audit")  # of the service
    assert (build[0], review[0], ship[0]) == ("development", "security", "cicd"), parts(plan)
    assert build[1] < review[1] < ship[1], parts(plan)  # "Build it" no longer reads as a deploy
    # a team in a modal, after "and", or in the third person with a verb the planner does not know
    told = plan_for("Audit logging for the admin API", "Dev needs to add audit logging to the admin API and the release "
                                                       "team submits the build to the App Store.")
    assert part(told, "Add audit logging")[0] == "development"
    assert part(told, "Submit the build to the App Store")[0] == "cicd", parts(told)
    # its opposites: a team's name before a noun names no doer ("Dev builds take 20 minutes"), nor does a team
    # that is the reason for the work
    assert as_work("Dev builds take 20 minutes", VERBS) == "Dev builds take 20 minutes"
    near = plan_for("Rate-limit the login endpoint", "The security team asked for rate limiting on the login endpoint. "
                                                     "Add a rate limiter to the login endpoint and deploy it.")
    assert part(near, "Add a rate limiter")[0] == "development"
    assert not any("security team" in s.title for s in near.subtasks), parts(near)


def test_a_team_named_by_a_label_a_mention_or_an_owner_line_owns_its_part() -> None:
    labelled = plan_for("Launch the partner API", "Platform team: provision the cluster. AppSec: threat-model the API. "
                                                  "Mobile devs: add the screen.")
    assert [part(labelled, start)[0] for start in ("Provision the cluster", "Threat-model the API", "Add the screen")] \
        == ["cicd", "security", "development"], parts(labelled)
    mentioned = plan_for("Rotate the Stripe webhook secret", "@appsec rotate the secret in Vault, @backend update the "
                                                             "service to read the new secret, @devops redeploy payments.")
    assert [part(mentioned, start)[0] for start in ("Rotate the secret", "Update the service", "Redeploy payments")] \
        == ["security", "development", "cicd"], parts(mentioned)
    owned = plan_for("Customer data export", "1. Write the export job. Owner: engineering\n2. Pen-test the download "
                                             "link. Owner: red team\n3. Add the job to the nightly schedule (owner: sre)")
    assert [part(owned, start)[0] for start in ("Write the export job", "Pen-test the download link", "Add the job")] \
        == ["development", "security", "cicd"], parts(owned)
    assert part(owned, "Add the job")[1] > part(owned, "Write the export job")[1]
    # its opposites: a label that names no team is only cut off; "it" is no IT team
    assert owner_of(as_work("BE: add the preferences API", VERBS) or "") == ("add the preferences API", None, None)
    assert team_of("it") is None and team_of("IT") == "inventory"


def test_a_teams_review_waits_for_the_part_that_sets_up_what_it_reviews() -> None:
    plan = plan_for("Zero-trust access", "- Platform: put the internal tools behind the Access proxy\n"
                                         "- Security: review the proxy config before we remove the VPN\n"
                                         "- Platform: remove the VPN")
    put, review, remove = (part(plan, start) for start in ("Put the internal tools", "Review the proxy", "Remove the VPN"))
    assert (put[0], review[0], remove[0]) == ("cicd", "security", "cicd")
    assert put[1] < review[1] < remove[1], parts(plan)
    # its opposite: a review of a thing that is shipped stays before the release (it clears it)
    shipped = plan_for("Partner proxy", "- Platform: deploy the proxy to production\n- Security: review the proxy config")
    assert part(shipped, "Review the proxy config")[1] < part(shipped, "Deploy the proxy")[1], parts(shipped)


def test_what_a_team_sets_up_for_others_runs_before_the_work_that_uses_it() -> None:
    plan = plan_for("Secrets program", "Platform moves all secrets from env files to Vault. The app teams change "
                                       "their services to read from Vault.")
    assert part(plan, "Move all secrets")[0] == "cicd"
    assert part(plan, "Move all secrets")[1] < part(plan, "Let the app teams change")[1], parts(plan)
    # its opposite: work that does not use it is not held up by it
    apart = plan_for("Secrets program", "Platform moves all secrets from env files to Vault. The app teams add a "
                                        "settings page.")
    assert part(apart, "Move all secrets")[1] > part(apart, "Let the app teams add")[1], parts(apart)


def test_what_a_team_did_asked_or_does_today_is_context_not_its_part() -> None:
    assert as_work("Ops reported that the nightly backup fails on the 2 TB volume", VERBS) is None
    assert as_work("The security team asked for rate limiting on the login endpoint", VERBS) is None
    assert as_work("IT images every laptop by hand, which takes 3 hours each", VERBS) is None
    # its opposites: the same teams given work, and a team's need
    assert owner_of(as_work("IT images the 12 new laptops", VERBS) or "") == ("Image the 12 new laptops", "inventory",
                                                                              None)
    assert as_work("The developers need a small guide to the new CLI", VERBS) == \
        "Give the developers a small guide to the new CLI"


def test_a_team_word_that_names_no_doer_assigns_nothing() -> None:
    plan = plan_for("Retries for the billing client", "Add retries with backoff to the billing client, write tests for "
                                                      "the dev environment and release it in 3.8.")
    assert part(plan, "Add retries")[0] == "development"
    assert all(not s.title.lower().startswith(("dev ", "platform")) for s in plan.subtasks)
    assert as_work("Mobile release 3.8 for iOS", VERBS) == "Mobile release 3.8 for iOS"  # a name, not "Release 3.8"
    assert as_work("Release notes must list every change", VERBS) == "Make release notes list every change"


def test_the_classifier_counts_the_teams_of_the_one_list() -> None:
    classifier = Classifier(Config().classifier, learned=None)

    def decided(description: str) -> str:
        task = QueueTask.model_validate({"id": "t", "status": "pending", "title": "Reporting API for partners",
                                         "description": description})
        return classifier.classify(task).decision

    # teams only the planner knew before ("appsec", "the red team", "release") are several masters' work
    assert {"appsec", "red team", "release", "mobile", "asset management"} <= set(TEAMS)
    assert decided("Mobile builds it, appsec reviews it, release ships it.") == "complex"
    # its opposite: one master's teams
    assert decided("Backend builds it and frontend wires it in.") == "simple"


def test_a_teams_clause_keeps_its_words_whole_and_its_fix_follows_the_review() -> None:
    plan = plan_for("Harden the customer portal", "The red team will pen-test the login and upload flows, the frontend "
                                                  "devs fix whatever they find, then the infra team puts the portal "
                                                  "behind the WAF.")
    pen_test, fix, waf = (part(plan, start) for start in ("Pen-test the login and upload flows", "Fix whatever they find",
                                                          "Put the portal behind the WAF"))
    assert (pen_test[0], fix[0], waf[0]) == ("security", "development", "cicd"), parts(plan)
    assert pen_test[1] < fix[1] < waf[1], parts(plan)  # what they find is fixed after they find it
    assert not any(s.title.startswith("Implement the upload flows") for s in plan.subtasks)  # one clause, one team
    # a team and its present tense after "and" opens a clause of its own; a second object does not
    both = plan_for("New product search", "Frontend handles the new search page, security handles the threat model "
                                          "and SRE handles the rollout.")
    assert part(both, "Handle the threat model")[0] == "security" and part(both, "Handle the rollout")[0] == "cicd"
    assert owner_of(as_work("Security reviews the login and the upload flows", VERBS) or "")[0] == \
        "Have security review the login and the upload flows"


def test_a_team_whose_name_is_a_verb_is_still_the_subject() -> None:
    assert owner_of(as_work("Release will ship it in the 4.2 train", VERBS) or "") == ("Ship it in the 4.2 train", "cicd",
                                                                                       None)
    assert owner_of(as_work("Release team submits the build to the App Store", VERBS) or "") == (
        "Submit the build to the App Store", "cicd", None)
    # its opposite: the verb opening an imperative
    assert as_work("Release the build to the App Store", VERBS) == "Release the build to the App Store"


def test_a_review_a_security_team_asked_for_is_theirs_and_the_reason_after_it_keeps_it_so() -> None:
    plan = plan_for("Search notes", "Build the indexing worker and the search API. Security asked for a quick review "
                                    "of the cluster's access policy, because the log cluster is shared.")
    review = next(s for s in plan.subtasks if "access policy" in s.title)
    assert (review.assigned_to, review.worker_type) == ("security", "audit"), parts(plan)
    # its opposites: what a team asks for that is no review is whose its words say; a report is no work
    assert as_work("Security asked for an allow-list on the admin API", VERBS) == "An allow-list on the admin API"
    assert as_work("Ops reported that the nightly backup fails", VERBS) is None


def test_a_heading_named_like_a_team_is_no_team() -> None:
    assert as_work("Release: beta channel first, then all users", VERBS) == "Release: beta channel first, then all users"
    # its opposite: the same label before a verb is the release team's part
    assert owner_of(as_work("Release: ship it to the beta channel", VERBS) or "") == ("ship it to the beta channel",
                                                                                      None, "cicd")


def test_the_classifier_reads_teams_given_work_by_a_mention_a_label_or_an_ask() -> None:
    classifier = Classifier(Config().classifier, learned=None)

    def decided(title: str, description: str) -> str:
        task = QueueTask.model_validate({"id": "t", "status": "pending", "title": title, "description": description})
        return classifier.classify(task).decision

    assert decided("Release the export feature", "@security please review the export endpoint, @sre deploy it to "
                                                 "production.") == "complex"
    assert decided("Catalogue the production databases", "CMDB team: list every production database with its owner "
                                                          "and version. Dev team: upgrade the two still on Postgres 11. "
                                                          "Security: audit who has superuser access.") == "complex"
    # its opposites: one master's teams, one team mentioned, a team's word before a noun ("the SRE runbook")
    assert decided("Catalogue the production databases", "CMDB team: list every production database. Asset "
                                                          "management: record its owner.") == "simple"
    assert decided("Review the export endpoint", "@security please review the export endpoint; the SRE runbook has "
                                                 "the steps.") == "simple"
