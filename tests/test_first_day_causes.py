"""A new deployment's first day (newuser10, an online retailer): the general causes of its misses, each with its
opposite (issue 11). The rules alone (no built-in model), so that a test fails when a rule does."""

from __future__ import annotations

import pytest

from decide import route
from orchestrator.classify import Classifier
from orchestrator.history import History, examples_from_corrections
from orchestrator.models import QueueTask


@pytest.mark.parametrize(("title", "expected"), [
    # a job under a standard, after its name and numbers: security's audit or scan
    ("PCI DSS 6.4.3 audit item: payment page scripts authorisation", ("simple", "security")),
    ("PCI DSS scan of the cardholder network segment", ("simple", "security")),
    ("ISO 27001 A.9.2 access review for the finance tools", ("simple", "security")),
    # the standard brought in, with or without its version: a program
    ("PCI DSS v4.0 readiness before the QSA visit", ("complex", None)),
    ("PCI DSS readiness", ("complex", None)),
    ("ISO 27001 certification", ("complex", None)),
    ("Get the payments service PCI DSS compliant", ("complex", None)),
])
def test_a_standards_name_is_no_system_to_build(rules: Classifier, title: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, title) == expected


@pytest.mark.parametrize(("title", "expected"), [
    # what a report says, a value that cannot be right: a defect in what makes it
    ("Cycle count report shows negative inventory for store 0112", ("simple", "development")),
    ("The stock report says duplicate SKUs for every warehouse", ("simple", "development")),
    # what a thing reports, said as a statement: a symptom, not a report to make
    ("Sensor firmware reports temperature in Fahrenheit on EU units", ("simple", "development")),
    # a report asked for, whatever it is to list
    ("Archive reports older than a year", ("simple", "inventory")),
    ("Weekly reports for finance", ("simple", "inventory")),
    ("Weekly stock report showing negative counts per store", ("simple", "inventory")),
    ("Inventory report of all laptops by office", ("simple", "inventory")),
])
def test_a_report_that_shows_a_wrong_value_is_a_defect(rules: Classifier, title: str,
                                                       expected: tuple[str, str | None]) -> None:
    assert route(rules, title) == expected


@pytest.mark.parametrize(("text", "domains"), [
    # a program's name or "manual" right before another domain's noun says which one or how: no domain of its own
    ("The cert on the public API load balancer expires on Dec 3. Install the new one on the prod ingress.", ["cicd"]),
    ("Objective: zero manual deploys. Move the release to the pipeline.", ["cicd"]),
    ("Restart the API container", ["cicd"]),
    # the same words as nouns of their own: their domains count
    ("Add a rate limit to the public API. Install the new cert on the prod ingress.", ["development", "cicd"]),
    ("Update the user manual. Deploy the release to production.", ["docs", "cicd"]),
    ("Fix the API handler and restart the container", ["development", "cicd"]),
    # a cache after another domain's noun is that thing's; a cache of the program's own is development's
    ("Purge the CDN cache for the checkout bundle and redeploy the release", ["cicd"]),
    ("Fix the Redis cache eviction and deploy the release", ["development", "cicd"]),
    ("Fix the server cache eviction and deploy the release", ["development", "cicd"]),
    # not any keyword before a noun: a tool's name says whose the thing is
    ("Create the Terraform module for the S3 bucket", ["cicd"]),
])
def test_a_modifying_noun_is_no_domain(rules: Classifier, text: str, domains: list[str]) -> None:
    assert rules.involved_domains(text) == domains


def test_a_cert_on_a_named_load_balancer_is_one_renewal(rules: Classifier) -> None:
    assert route(rules, "Renew TLS cert for api.shop.example.com (expires Dec 3)",
                 "The cert on the public API load balancer expires on Dec 3. Renew it (we use the DigiCert account) and "
                 "install it on the prod ingress.") == ("simple", "cicd")


def sequenced(rules: Classifier, title: str, description: str) -> bool:
    """Whether an ordering word counted as a later stage of the work."""
    decided = rules.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description,
                                                      "status": "pending"}))
    return any(reason.startswith("sequential dependencies") for reason in decided.reasons)


LOAD_TEST = "Run the k6 checkout scenario against staging at 5x peak. Scale the staging node pool to prod size first and "
ROTATE = "Rotate the webhook signing secret in the Stripe dashboard, then "


@pytest.mark.parametrize(("title", "description", "decision"), [
    # one operation's bracket, or a check of a step that makes nothing: no later stage
    ("Load test the checkout API", f"{LOAD_TEST}back down afterwards. Report p95 per endpoint.", "simple"),
    ("Rotate the Stripe webhook secret", f"{ROTATE}verify it in the staging checkout.", "simple"),
    ("Mute the fraud alerts during the import", "Disable the fraud alert rule in the security console, then re-enable "
     "it after the staging import.", "simple"),
    # a second piece of work after the ordering word: a stage
    ("Load test the checkout API", f"{LOAD_TEST}fix the slow endpoint afterwards. Report p95 per endpoint.", "complex"),
    ("Rotate the Stripe webhook secret", f"{ROTATE}deploy the new checkout to staging.", "complex"),
])
def test_one_operations_bracket_is_no_sequence(rules: Classifier, title: str, description: str, decision: str) -> None:
    assert route(rules, title, description)[0] == decision


def test_a_check_of_what_was_made_stays_a_stage(rules: Classifier) -> None:
    assert sequenced(rules, "Add a webhook handler", "Write a new webhook handler in the payments service, then test it "
                     "on the staging cluster.")
    assert not sequenced(rules, "Rotate the Stripe webhook secret", f"{ROTATE}verify it in the staging checkout.")


def persons_word(first: tuple[str, str], again: tuple[str, str]) -> str | None:
    """The master a person's correction of ``first`` gives ``again``, if it decides."""
    people = examples_from_corrections([{"task_id": "c1", "title": first[0], "text": first[1], "master": "cicd"}])
    said = History(people, lambda: people).persons_word(*again)
    return said.master if said else None


@pytest.mark.parametrize(("first", "again", "master"), [
    # a title of a ticket's key and a verb says nothing of the work: two of them are not the same task
    (("Fix INC-4821", ""), ("Fix INC-5033", ""), None),
    (("INC-4821", ""), ("INC-5033", ""), None),
    # what the description says still counts, and a title that names the work does
    (("Fix INC-4821", "Disk full on db01: free space on /var/lib/postgresql."),
     ("Fix INC-5033", "Disk full on db07: free space on /var/lib/postgresql."), "cicd"),
    (("Fix INC-4821: disk full on the database host", ""), ("Fix INC-5033: disk full on the database host", ""), "cicd"),
    (("db-07 disk at 91%", ""), ("db-09 disk at 93%", ""), "cicd"),  # a host's name, one word of work: the same task
])
def test_a_ticket_only_title_is_not_learned_from(first: tuple[str, str], again: tuple[str, str],
                                                 master: str | None) -> None:
    assert persons_word(first, again) == master


@pytest.mark.parametrize(("title", "counted"), [
    ("Weekly reports for finance", True),  # a report asked for: inventory's word
    ("Export reports to the finance share", True),
    ("Sensor firmware reports temperature in Fahrenheit on EU units", False),  # what a thing says
])
def test_reports_as_a_statements_verb_is_no_routing_word(rules: Classifier, title: str, counted: bool) -> None:
    decided = rules.classify(QueueTask.model_validate({"id": "t", "title": title, "status": "pending"}))
    assert any("inventory words: report" in reason for reason in decided.reasons) == counted
