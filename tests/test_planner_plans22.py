"""Plans22: what is a part. Requirements said as needs ("It needs X, Y and Z", "..., and the paywall must be
documented") are parts each; a thing's features after a colon are not; a lead-in before a colon and a framing label
are no parts; a verb that is also a noun ("Test results archive") is read as the noun. Each behaviour has its
opposite. New phrasings, not the tasks of tests/data/tuning/plans22.json."""

from __future__ import annotations

from test_plan_wording import CLASSIFIER, plan_for, titles


def _starting(plan_titles: list[str], start: str) -> list[str]:
    return [title for title in plan_titles if title.startswith(start)]


def test_what_it_needs_listed_is_a_part_each() -> None:
    told = plan_for("Volunteer rota app", "Build a volunteer rota app for the food bank. It needs a security review "
                    "before launch, a deployment pipeline to our VPS, and an entry in the software register.")
    assert "Run the security review before launch" in titles(told)
    assert "Set up the deployment pipeline to our VPS" in titles(told)
    assert "Add an entry in the software register" in titles(told)
    assert not any("launch, a deployment" in title for title in titles(told))


def test_one_thing_it_needs_is_given_it() -> None:
    told = plan_for("Volunteer rota app", "Build a volunteer rota app for the food bank. It needs read access to the "
                    "volunteer spreadsheet.")
    assert "Give it read access to the volunteer spreadsheet" in titles(told)


def test_a_things_features_after_a_colon_stay_in_its_part() -> None:
    told = plan_for("Sports hall booking", "Build a booking portal for the sports hall: court booking, card payment, "
                    "membership check. Deploy it to the council's web cluster.")
    assert _starting(titles(told), "Build a booking portal for the sports hall: court booking, card payment")
    # the portal designed, built, tested and deployed, no feature a part of its own (plans25: software built in a
    # delivery task is built before what checks and ships it, so designed and tested; it was the portal, its deploy and
    # the check of both)
    assert len(told.subtasks) == 4
    nouns = plan_for("Tenant portal", "Build a tenant portal for the housing office: repair requests, document upload, "
                     "rent statements of the last year. Deploy it to the council cluster.")
    assert _starting(titles(nouns), "Build a tenant portal for the housing office: repair requests, document upload")
    assert not _starting(titles(nouns), "Document upload")  # a feature, no documentation
    grants = plan_for("Grants portal", "Build the grants portal: document upload, report exports and reviewer comments. "
                      "Deploy it to the council cluster.")
    assert "Build the grants portal: document upload, report exports and reviewer comments" in titles(grants)


def test_the_parts_a_colon_lists_with_their_articles_stay_parts() -> None:
    told = plan_for("Sports hall booking", "Build a booking portal for the sports hall: a booking API, an admin "
                    "dashboard and a payment webhook. Deploy it to the council's web cluster.")
    assert {"Implement the booking API", "Implement the admin dashboard", "Implement the payment webhook"} \
        <= set(titles(told))
    files = plan_for("SSO for the admin console", "Add OIDC login to the admin console: create server/auth/oidc.js, "
                     "change server/middleware/session.js, and add tests/auth.test.js.")
    assert "Create server/auth/oidc.js" in titles(files)  # asks on named files, not features
    asks = plan_for("New intranet", "Build the new intranet: migrate the old pages, set up the search and train the "
                    "editors.")
    assert "Migrate the old pages" in titles(asks)
    modules = plan_for("Build the library suite: loans, fines, and room bookings modules")
    assert not _starting(titles(modules), "Build the library suite: loans, fines")  # modules: parts of their own


def test_a_lead_in_before_a_colon_is_no_part_and_keeps_the_first_ask() -> None:
    told = plan_for("Payroll audit prep", "Before the auditors arrive in June: list every server that holds payroll "
                    "data, scan them for missing patches and redeploy the patched payroll service.")
    assert titles(told)[0] == "List every server that holds payroll data"
    summed = plan_for("Fax gateway retirement", "Plan and carry out the retirement: port the fax numbers to the SIP "
                      "provider, update the letterheads and switch off the gateway.")
    assert titles(summed) == ["Port the fax numbers to the SIP provider", "Update the letterheads",
                              "Switch off the gateway"]
    versions = plan_for("PHP upgrade", "Plan and carry out the upgrade of our sites from PHP 7.4 to PHP 8.2: list every "
                        "site that runs PHP, fix the deprecated calls and deploy each site again.")
    assert titles(versions)[0] == "List every site that runs PHP"  # a version's dot ends no lead-in


def test_a_colon_after_a_thing_or_one_ask_stays_as_written() -> None:
    one = plan_for("Fax gateway retirement", "Retire the fax gateway: port the fax numbers to the SIP provider.")
    assert _starting(titles(one), "Retire the fax gateway: port the fax numbers")  # one ask: the how of the first
    thing = plan_for("HR suite", "Build the HR suite: leave requests, expense claims and payslips. Deploy it to the "
                     "cluster.")
    assert not _starting(titles(thing), "Leave requests")  # "leave" is no verb here, the suite no lead-in


def test_a_decision_or_a_strategy_label_frames_the_work() -> None:
    told = plan_for("Fax gateway retirement", "Board decision: the fax gateway goes by June. Port the fax numbers to "
                    "the SIP provider and switch off the gateway.")
    assert not any("decision" in title.lower() for title in titles(told))
    strategy = plan_for("Reporting move", "Strategy: one warehouse for all reporting. Move the fare reports to dbt "
                        "and switch the finance dashboards over.")
    assert not any("strategy" in title.lower() for title in titles(strategy))


def test_a_work_label_still_opens_its_work() -> None:
    told = plan_for("Fax gateway retirement", "Scope: port the fax numbers to the SIP provider and switch off the "
                    "gateway.")
    assert "Port the fax numbers to the SIP provider" in titles(told)


def test_a_requirement_with_its_own_subject_after_a_need_is_a_part() -> None:
    told = plan_for("Ticket paywall", "Rebuild the paywall for the match tickets. We want a security review of the "
                    "checkout and a staged rollout through the CDN, and the paywall must be documented for the box "
                    "office.")
    assert "Set up the staged rollout through the CDN" in titles(told)
    assert "Document the paywall for the box office" in titles(told)


def test_a_requirement_before_a_need_is_kept_and_a_property_of_it_is_not() -> None:
    told = plan_for("Newsroom ingest", "The ingest service must pull the agency feeds every minute, we need alerting "
                    "when a feed is silent, and the service must be containerised.")
    assert _starting(titles(told), "Make the ingest service pull the agency feeds")
    prop = plan_for("Newsroom ingest", "We want an ingest service for the agency feeds. It should retry a silent feed "
                    "every minute, and we need alerting when a feed is silent.")
    assert not any("retry" in title for title in titles(prop))  # "it should ...": a property of the service


def _topic(title: str) -> str:
    from orchestrator.models import QueueTask
    from orchestrator.planner import topic_of, work_verbs

    return topic_of(QueueTask.model_validate({"id": "t-1", "status": "pending", "title": title}), work_verbs(CLASSIFIER))


def test_a_verb_that_is_a_noun_before_a_compound_names_the_thing() -> None:
    assert _topic("Test results archive for the blood lab") == "test results archive"
    assert _topic("Release notes page for the app") == "release notes page"


def test_a_verb_before_its_plural_object_stays_a_verb() -> None:
    assert _topic("Scan repos for leaked keys") == "repos"
    assert _topic("Test backups weekly") == "backups weekly"
    # any adverb after the plural, not only weekly/daily/nightly (review26: "Test restores monthly" was a compound)
    assert _topic("Test restores monthly") == "restores monthly"


def test_a_result_wanted_said_as_done_keeps_its_verb() -> None:
    told = plan_for("CircleCI exit", "We'd need every pipeline rewritten for GitHub Actions, the deploy keys moved, and "
                    "the CircleCI contract cancelled once it's done.")
    assert "Cancel the CircleCI contract once it's done" in titles(told)
    assert "Rewrite every pipeline for GitHub Actions" in titles(told)


def test_what_a_thing_is_built_with_is_titled_by_its_own_act() -> None:
    told = plan_for("Room booking API for the lab", "Build the room booking API for the lab, with a security review "
                    "before launch, a CI pipeline that runs the tests on every merge, and registration of the service "
                    "in the software catalogue.")
    assert "Run the security review before launch" in titles(told)  # was "Run the with a security review ..."
    assert "Register the service in the software catalogue" in titles(told)


def test_a_needed_things_articled_features_stay_in_it_and_its_backup_is_a_part() -> None:
    told = plan_for("Blood lab archive", "We need a results archive: a read-only store of every run's QC report, a "
                    "search by sample ID, and a retention of ten years. It must be backed up to the second site.")
    assert not _starting(titles(told), "Compile the search")
    assert "Back it up to the second site" in titles(told)  # was "Implement the Back it up ..."
    told_lists = plan_for("Blood lab archive", "The audit found: no retention of QC reports, no search by sample ID and "
                          "no backup. Fix each finding in the archive.")
    assert not _starting(titles(told_lists), "The audit found")
