"""Plans24: parts a master would recognise. A readiness aim builds nothing unless a part says so (no design, no
tests); a topic is the thing worked on, not an aim's verb nor a count; a sentence that tells how things are before
a colon's list, or a finding told without its subject, is context, not a part; credentials moved are no system to
design. Each behaviour has its opposite. New phrasings, not the tasks of tests/data/tuning/plans24.json."""

from __future__ import annotations

from orchestrator.imperatives import as_work_text
from orchestrator.models import QueueTask
from orchestrator.planner import _work_words, topic_of, work_verbs
from test_plan_wording import CLASSIFIER, plan_for, titles


def _topic(title: str) -> str:
    return topic_of(QueueTask.model_validate({"id": "t-1", "status": "pending", "title": title}), work_verbs(CLASSIFIER))


def _templated(plan_titles: list[str]) -> list[str]:
    return [title for title in plan_titles if title.startswith(("Design ", "Write tests for "))]


def test_an_aims_topic_is_what_it_prepares_for() -> None:
    assert _topic("Prepare for the 2028 fire-safety inspection") == "2028 fire-safety inspection"
    assert _topic("Get ready for this year's PCI assessment") == "PCI assessment"
    assert _topic("Be ready for the Black Friday peak") == "Black Friday peak"
    assert _topic("Get the payroll servers ready for the year-end run") == "payroll servers"
    # a title that prepares a thing keeps the thing
    assert _topic("Prepare the SOC 2 asset inventory") == "SOC 2 asset inventory"


def test_a_count_is_no_word_of_the_topic() -> None:
    assert _topic("Move all 30 depot printers to the new print server") == "depot printers"
    assert _topic("Upgrade every 12 branch routers to IOS XE 17") == "branch routers"
    # a year names which one, and a count alone before one word stays
    assert _topic("Archive the 2024 payroll exports") == "2024 payroll exports"
    assert _topic("Archive all 2024 payroll exports") == "2024 payroll exports"
    assert _topic("Patch all servers") == "all servers"


def test_a_readiness_aim_is_its_named_parts_with_no_design_or_tests() -> None:
    told = plan_for("Prepare for the 2028 fire-safety inspection",
                    "Update the evacuation plans for the three depots, check the alarm panel logs for faults, "
                    "add the inspection date to the facilities calendar and replace the expired extinguishers.")
    assert not _templated(titles(told))
    assert "Update the evacuation plans for the three depots" in titles(told)
    ready = plan_for("Black Friday readiness",
                     "Load test the checkout at three times last year's peak, add a queue page to the shop and raise "
                     "the payment provider's rate limit.")
    assert not _templated(titles(ready))


def test_a_readiness_aim_that_builds_something_keeps_its_design_and_tests() -> None:
    told = plan_for("Prepare for the 2028 fire-safety inspection",
                    "Build a web tool that tracks each extinguisher's service date, import the depot lists into it "
                    "and update the evacuation plans.")
    assert _templated(titles(told))
    named = plan_for("Readiness dashboard for the fire-safety inspection",
                     "Show each depot's open actions, the extinguishers due and the drills done. Deploy it to the "
                     "intranet.")
    assert any(title.startswith("Design ") for title in titles(named))


def test_how_things_are_before_a_colons_list_is_no_part() -> None:
    told = plan_for("Move the kiosk passwords to a vault",
                    "Our 30 kiosks keep their admin passwords in different places: sticky notes, a shared sheet and "
                    "the imaging script. Find every password, store them in 1Password and change the imaging script "
                    "to fetch them from there.")
    assert not any(title.startswith(("Our 30 kiosks", "Implement the Our")) for title in titles(told))
    assert "Find every password" in titles(told)
    # asks after the colon are kept, whatever told them
    asks = plan_for("Kiosk cleanup", "Our 30 kiosks keep their admin passwords in different places: collect every "
                    "password, store them in 1Password and rotate the old ones.")
    assert any("collect every password" in title.lower() for title in titles(asks))
    told_asks = as_work_text("Our 30 kiosks keep their admin passwords in different places: collect every password, "
                             "store them in 1Password. Rotate the shared one.", _work_words(CLASSIFIER))
    assert "collect every password" in told_asks
    # a need before a colon is work, and so are its things
    needs = plan_for("Kiosk booking portal", "The kiosk portal needs three pages: login, booking and receipts. Deploy "
                     "it to the depot cluster and add it to the software register.")
    assert any("three pages" in title for title in titles(needs))


def test_a_finding_told_without_its_subject_is_no_part() -> None:
    told = plan_for("Rotate the leaked SMTP credentials",
                    "Found the SMTP password in a public gist yesterday. Rotate it, update the mailer's secret and "
                    "check the mail logs for sends from unknown hosts.")
    assert not any(title.startswith(("Found ", "Implement the Found")) for title in titles(told))
    # a verb that finds is an ask when it opens one: "Find the ..."
    asks = plan_for("Leaked SMTP credentials", "Find the SMTP password in the old repos, rotate it and update the "
                    "mailer's secret.")
    assert any(title.startswith("Find the SMTP password") for title in titles(asks))


def test_credentials_moved_are_no_system_to_design() -> None:
    told = plan_for("Move all 30 partner API credentials into Vault",
                    "Find where each partner's credentials live, move them to Vault and change the order service to "
                    "read them from there.")
    assert not any(title.startswith("Design ") for title in titles(told))
    replaced = plan_for("Replace the kiosk passwords with badge login",
                        "Let staff sign in to the kiosks with their badge, keep a PIN fallback and remove the shared "
                        "passwords once every kiosk has a reader.")
    assert any(title.startswith("Design ") for title in titles(replaced))  # a new way to sign in is built
    built = plan_for("Build a credentials broker service",
                     "Build a service that hands short-lived database credentials to the apps, and deploy it to the "
                     "cluster.")
    assert any(title.startswith("Design ") for title in titles(built))


def test_a_listed_thing_named_by_its_work_is_a_part_of_its_own() -> None:
    told = plan_for("Onboard the new bakery franchise",
                    "Crumb & Co opens on 3 May. We need a VPN tunnel to their till system, a security review of the "
                    "firewall rules for their subnet, deployment of the order adapter to prod, and their entry in our "
                    "supplier catalogue.")
    assert "Run the security review of the firewall rules for their subnet" in titles(told)
    assert "Deploy the order adapter to prod" in titles(told)
    # a plain noun after an articled thing is more of that thing
    joined = plan_for("Nightly sales report", "We need a sales report job across the stores, orders and returns "
                      "databases, a dashboard for the managers and an export to the ERP.")
    assert "Implement the sales report job across the stores, orders and returns databases" in titles(joined)


def test_a_numbered_thing_told_by_what_it_does_is_kept() -> None:
    told = plan_for("Hardening epic for the print fleet",
                    "Epic for the spring audit: 1) an inventory of all printers and their firmware; 2) patch the "
                    "firmware on the old models; 3) a nightly job that blocks printers when auditing is off.")
    assert any("nightly job that blocks printers when auditing is off" in title for title in titles(told))
    assert len([title for title in titles(told) if "printers" in title or "firmware" in title]) == 3
    # a thing made without an article ("alerting on failures") is no step of its own here
    things = plan_for("Data checks for the warehouse", "A rule engine, alerting on failures, a results dashboard and "
                      "runbooks for the on-call.")
    assert not any(title.endswith("dashboard and runbooks for the on-call") for title in titles(things))
