"""One master's procedure read as a plan, and the separators and words that made it one (cx21).

A version shipped in stages (tag, canary, full rollout, release notes) is one release; a rollout's stop condition is
the rollout's own; one thing's version upgrade is one change even where the built-in model alone leans to a plan; a
number's thousands comma, a bumped package list and a company onboarded are no parts and no person. Each rule with
its opposite.
"""

from __future__ import annotations

import pytest

from decide import route
from orchestrator.classify import _PERSON_ROUTINE_RE, Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.routing import _MEMBER_RE
from orchestrator.textsignals import contingency, named_parts, plain_numbers
from test_classify_learned import Saying


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a version shipped exists already: its canary, then the full rollout, are the one release's stages
    ("Release the booking site 7.2.0", "Tag and release booking-site 7.2.0 to production. Do a canary at 5% for two "
     "hours, then full rollout, and post the release notes in #releases.", ("simple", "cicd")),
    # ... a new thing built and launched in stages is still the build, the gated launch and the general one
    ("New loyalty points engine", "Build the loyalty points engine and put it behind a feature flag, canary at 5% "
     "for a week, then roll it out to all customers.", ("complex", None)),
])
def test_a_version_shipped_in_stages_is_one_release(rules: Classifier, title: str, description: str,
                                                   decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


@pytest.mark.parametrize(("clause", "guarded"), [
    ("halt if crash rate goes above 1%", True),
    ("stop the rollout when the error rate passes 2%", True),
    ("and pause if the support queue grows", True),
    ("Stop the old cron job", False),  # a stop asked for is work
    ("stop sending the weekly digest to inactive users", False),
])
def test_a_rollouts_stop_condition_guards_it(clause: str, guarded: bool) -> None:
    assert contingency(clause) is guarded


@pytest.mark.parametrize(("description", "decision"), [
    # the stop condition's "crash" is no development part: one rollout, one warehouse a night
    ("Push it through the MDM to the 700 handhelds: one depot per night, D1 first then D2..D5, halt if the crash "
     "rate goes above 2%.", ("simple", "cicd")),
    # ... a fix of the crash asked besides the rollout is development's part
    ("Fix the crash on the login screen in the app code, then push it through the MDM to the 700 handhelds.",
     ("complex", None)),
])
def test_a_rollouts_stop_condition_is_no_other_masters_part(rules: Classifier, description: str,
                                                            decision: tuple[str, str | None]) -> None:
    assert route(rules, "Roll out the picking app 3.4 to 700 handhelds in 5 depots", description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # one thing from a version to another: one master's checklist, whatever the model alone leans to
    ("Upgrade GKE prod-us from 1.29 to 1.30", ("simple", "cicd")),
    ("Bump the Postgres chart 12.1 -> 13.0 in the payments namespace", ("simple", "cicd")),
    # ... a fleet, or a second request, is still the model's to plan
    ("Upgrade all 8 clusters from 1.29 to 1.30", ("complex", None)),
    ("Upgrade GKE prod-us from 1.29 to 1.30 and rewrite the billing service in Go", ("complex", None)),
])
def test_one_things_version_upgrade_is_not_planned_by_the_model_alone(title: str,
                                                                     decision: tuple[str, str | None]) -> None:
    sure = Classifier(ClassifierConfig(), Saying("cicd", 0.999, complex_=0.995))
    assert route(sure, title, "Upgrade the control plane and the node pools, check the "
                        "add-ons (CoreDNS, kube-proxy) and the deprecated APIs first.") == decision


def test_a_thousands_comma_is_one_number() -> None:
    assert plain_numbers("all 2,300 laptops, 1,150 desktops and 1,234,567 rows") == \
        "all 2300 laptops, 1150 desktops and 1234567 rows"
    assert plain_numbers("sizes 3, 4 and 5; v1,2; 3.141,592; ids 12,345,6") == "sizes 3, 4 and 5; v1,2; 3.141,592; ids 12,345,6"


@pytest.mark.parametrize(("title", "decision"), [
    # a number's comma splits no title: one request on one set of things, its three steps one job
    ("Encrypt the 4,800 laptops", ("simple", "security")),
    # ... a title of two requests is still two
    ("Encrypt the laptops, rebuild the MDM server", ("complex", None)),
])
def test_a_thousands_comma_splits_no_title(rules: Classifier, title: str, decision: tuple[str, str | None]) -> None:
    description = "Pull the BitLocker status of all 4,800 laptops, list the ones not encrypted, enforce encryption on them."
    assert route(rules, title, description) == decision


def test_the_packages_one_bump_names_are_not_parts() -> None:
    assert named_parts("Snyk lists 4 packages (lodash, minimist, qs, tar); upgrade or patch them.") == []
    assert named_parts("Deliver the 3 modules (billing, support, usage reports).") == ["billing", "support",
                                                                                     "usage reports"]


@pytest.mark.parametrize(("title", "person"), [
    ("Onboard Northwind as EDI customer", False),  # a company: no person's name ("Northwind" whole, and "as customer")
    ("Onboard BlueHarbor", False),  # one word of two capitals is a company's name, not a person's first name
    ("Onboard Acme Retail as a new partner", False),
    ("Onboard Jamie Chen", True),
    ("Onboard Priya Raman as a new SRE", True),
])
def test_a_company_onboarded_is_no_person_joining(title: str, person: bool) -> None:
    assert bool(_MEMBER_RE.match(title)) is person
    # ... and so no person's routine, whose accounts' changes would be one access job's steps
    assert bool(_PERSON_ROUTINE_RE.match(title)) is (person or "as" not in title.split())


@pytest.mark.parametrize(("clause", "docs"), [
    ("Archive the supporting docs of each customs declaration for 7 years", False),  # a business's papers
    ("Move the scanned documents to the cold storage bucket", False),
    ("Write the docs for the CLI", True),  # documentation to write
])
def test_a_business_papers_are_no_documentation(rules: Classifier, clause: str, docs: bool) -> None:
    assert ("docs" in rules.involved_domains(clause)) is docs


@pytest.mark.parametrize(("title", "description", "decision"), [
    # the order one master works through one set of things in: servers, warehouses, a rollout's percentages
    ("Patch the Exchange servers for the November CVEs", "Patch EX01 first, then EX02, then EX03; verify mail flow "
     "after each.", ("simple", "security")),
    ("Release the driver app 2.14 to the stores", "Tag it, build it, submit it to both stores, then a phased rollout "
     "at 10% for two days, then 100%.", ("simple", "cicd")),
    # ... stages of work, a verb's or a new thing's, still order a plan
    ("Sales data", "Load the CRM exports into the warehouse, then a dbt model joining them, then a dashboard on top.",
     ("complex", None)),
    ("Reminders", "Build the reminders service, then deploy it, then tell finance.", ("complex", None)),
    ("Reminders", "Build the reminders service. Then Deploy it to staging. Then Promote it to production.",
     ("complex", None)),  # a verb, capitalised
])
def test_places_in_order_are_no_stages(rules: Classifier, title: str, description: str,
                                       decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision
