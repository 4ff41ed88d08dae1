"""A city IT team's first day, by cause (cx22).

A secret reported sitting where it must not be is a finding, whose rotate-move-purge is one routine; a few examples
of a count's contents are no parts named one by one; a legal request for the records held is security's, as a data
subject's request is; a failure said with a plural subject ("reports ... lose") is a failure; a build machine by
Azure DevOps' name is cicd's; a certificate we present to prove who we are is a credential, security's. Each rule
with its opposite.
"""

from __future__ import annotations

import pytest

from decide import route
from orchestrator.classify import _LEAKED_RE, Classifier
from orchestrator.textsignals import named_parts


@pytest.mark.parametrize(("title", "found"), [
    ("Payroll bank-interface password is in the repo", True),
    ("Stripe secret key hardcoded in Config.swift", True),
    ("DB password stored in plain text", True),
    ("SMTP credentials sit in appsettings.json", True),
    ("Google Maps API key committed in keys.xml", True),  # cx21's, unchanged
    ("Store the API key in Key Vault", False),  # a secret asked to be put somewhere: no finding
    ("Move the SMTP password into the secrets manager", False),
    ("Rotate the database password", False),
])
def test_a_secret_reported_where_it_must_not_be_is_a_finding(title: str, found: bool) -> None:
    assert bool(_LEAKED_RE.search(title)) is found


@pytest.mark.parametrize(("title", "description", "decision"), [
    # the finding's response: rotate, move it to the vault, purge it from the history -- one routine
    ("Payroll bank-interface password is in the repo", "Found the SFTP password for the bank upload in "
     "appsettings.json in the payroll-iface repo (committed 2023). Rotate it with the bank, move it to Key Vault, and "
     "purge it from git history.", ("simple", "security")),
    ("SMTP password sits in the repository", "The relay password is in config/mail.yaml. Rotate it with the mail "
     "provider, move it to the secrets manager, and scrub it from the git history.", ("simple", "security")),
    # ... a new service built besides is no routine's step
    ("Build a secrets broker for the payroll repo", "Build a new secrets broker service, write an SDK for it, set up "
     "its deploy pipeline and move the payroll secrets into it.", ("complex", None)),
])
def test_a_secret_in_the_repo_is_rotated_moved_and_purged_as_one_routine(
        rules: Classifier, title: str, description: str, decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


@pytest.mark.parametrize(("text", "named"), [
    # examples of what a scan's count holds: no parts named one by one
    ("reports 12 high and 3 critical vulnerabilities (axios, semver, follow-redirects among others)", []),
    ("Dependabot shows 3 alerts (lodash, jsonwebtoken, express, etc.)", []),
    ("the three batch jobs (for example invoice, reminder, export)", []),
    # ... the names of every one of a count are its parts
    ("the three batch jobs (invoice, reminder, export)", ["invoice", "reminder", "export"]),
    ("three modules (billing, support, reporting)", ["billing", "support", "reporting"]),
])
def test_examples_of_a_count_are_no_named_parts(text: str, named: list[str]) -> None:
    assert named_parts(text) == named


def test_a_scans_findings_with_examples_are_one_fix(rules: Classifier) -> None:
    assert route(rules, "npm audit: 12 high vulnerabilities in permits portal front end",
                 "npm audit on the permits portal React app reports 12 high and 3 critical vulnerabilities (axios, "
                 "semver, follow-redirects among others). Upgrade or patch them and make sure the build still "
                 "passes.") == ("simple", "security")


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a legal request for the records held: found, exported, handed over -- security's, as a data subject's request
    ("Public records request: emails between the Parks director and a vendor", "Run a Purview eDiscovery content "
     "search for the emails, export the results and hand them to the City Attorney's office.", ("simple", "security")),
    ("Legal hold on the former HR director's mailbox", "Counsel asks for a litigation hold on her mailbox and "
     "OneDrive. Put it in place and confirm.", ("simple", "security")),
    ("Subpoena: chat logs of the dispatch team for March", "Pull the Teams chats and hand them to counsel.",
     ("simple", "security")),
    # ... a records page to build stays development's, a list of records systems a census
    ("Add a page that shows the status of a records request to the requester", "", ("simple", "development")),
])
def test_a_legal_request_for_records_is_securitys(rules: Classifier, title: str, description: str,
                                                  decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # residents' reports that lose something: a failure of the app that takes them, no census of reports
    ("311 reports from iPhones lose the location", ("simple", "development")),
    ("Field inspection reports lose their photos on upload", ("simple", "development")),
    # ... a list of reports asked is a census still
    ("List the reports each department gets every month", ("simple", "inventory")),
])
def test_a_plural_subject_that_loses_something_is_a_failure(rules: Classifier, title: str,
                                                            decision: tuple[str, str | None]) -> None:
    assert route(rules, title, "") == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    ("Agent pool OnPrem-Windows has no online agents", "Builds for the payroll interface are queued. Get the "
     "machines back.", ("simple", "cicd")),
    ("Self-hosted agent WIN-07 keeps dropping", "It goes offline every night around 2am.", ("simple", "cicd")),
])
def test_a_build_machine_by_azure_devops_name_is_cicds(rules: Classifier, title: str, description: str,
                                                      decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


@pytest.mark.parametrize(("title", "decision"), [
    # a certificate we present to prove who we are: a credential, security's
    ("DHL API client certificate expires on 12 December", ("simple", "security")),
    ("IdP SAML signing certificate expires 14 Dec", ("simple", "security")),
    ("mTLS certificate for the bank gateway expires Friday", ("simple", "security")),
    # ... a served one on a load balancer, and a build's signing one, are cicd's (the documented rule)
    ("Certificate for grafana.internal expires in 5 days", ("simple", "cicd")),
    ("TLS certificate on the public load balancer expires in 9 days", ("simple", "cicd")),
    ("Code signing certificate expires in two weeks", ("simple", "cicd")),
])
def test_a_certificate_we_present_is_a_credential(rules: Classifier, title: str,
                                                  decision: tuple[str, str | None]) -> None:
    assert route(rules, title, "") == decision
