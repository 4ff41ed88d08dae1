"""route13: a platform team's words (tagging cloud resources, running a scanner, a person joining or leaving, an
onboarding's one grant). Each cause with a near case that must not move; the rules alone decide."""

from __future__ import annotations

import pytest

from orchestrator.classify import Classifier
from orchestrator.models import QueueTask


def decided(classifier: Classifier, title: str, description: str = "") -> str:
    result = classifier.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description}))
    return str(result.master) if result.decision == "simple" else "complex"


@pytest.mark.parametrize(
    ("title", "expected", "why"),
    [
        # tagging or labelling cloud resources records whose they are; a release or an image tag is a release's
        ("Tag the unattached disks in the dev account with a cost-center", "inventory", "an asset's metadata"),
        ("Label the idle instances with their owning team", "inventory", "an asset's metadata"),
        ("Tag the release with v4.2.0", "cicd", "a release tag"),
        ("Tag the base images with the commit SHA", "cicd", "an image tag"),
        # running a scanner changes nothing where it runs; adding a scan to a pipeline is made in the pipeline
        ("Run grype against the payment service images", "security", "a scan of images"),
        ("Run a checkov scan on the prod cluster manifests", "security", "a scan of a cluster's manifests"),
        ("Add a grype scan to the image build pipeline", "cicd", "a pipeline's step"),
        ("Run the smoke tests on the staging cluster", "cicd", "operating a cluster"),
        # a person joining or leaving (by name, username, pronoun or role) is access work
        ("Remove sam.ortiz from the GitLab group", "security", "a username leaves a group"),
        ("Take Noor off the on-call rotation", "security", "a person leaves a rotation"),
        ("Add Maria to the AWS SSO group", "security", "a person joins an SSO group ('sso' is no product feature here)"),
        ("Onboard the new backend engineer", "security", "a role joins"),
        ("Give him a VPN login", "security", "a pronoun's account"),
        ("Add a members tab to the team settings page", "development", "a screen"),
        ("Add Maria to the team page", "development", "a person shown on a page of the site"),
        ("Onboard the new payments provider", "development", "no person"),
        ("Add Grafana to the platform team", "cicd", "a tool, not a person"),
    ],
)
def test_a_platform_teams_words(rules: Classifier, title: str, expected: str, why: str) -> None:
    assert decided(rules, title) == expected, why


def test_an_onboardings_places_are_one_grant_and_a_second_job_is_not(rules: Classifier) -> None:
    one = ("From Monday. Add ana.lima to the GitLab group 'qa', the Okta group 'contractors', Jira as a viewer, "
           "and the test-lab VPN.")
    assert decided(rules, "Onboard new QA contractor Ana Lima", one) == "security"
    more = ("Remove lee.park from the GitLab group, then migrate the billing service to Go, deploy it to production "
            "and write the runbook.")
    assert decided(rules, "Offboard Lee Park", more) == "complex"
    # a census's series of things is still its parts
    census = ("DataHub deployed, a catalog file in each of the 40 pipelines, owners and stewards filled in, and the "
              "quality checks turned on.")
    assert decided(rules, "Introduce a data catalog", census) == "complex"


@pytest.mark.parametrize(
    ("title", "description", "expected", "why"),
    [
        # what things cost, broken down, is a census of spend: inventory's, not security's for its "AWS" or "account"
        ("Why did the AWS bill jump in March?", "Break down the cost by service and account and name the clusters that "
         "drove it.", "inventory", "a cost breakdown"),
        ("Why did our cloud spend double since June?", "", "inventory", "a question of what costs"),
        ("Build a cost breakdown page for the admin dashboard", "", "development", "a page of the program"),
        ("Rotate the AWS access keys of the billing account", "", "security", "a secret rotated"),
    ],
)
def test_what_things_cost_is_a_census(rules: Classifier, title: str, description: str, expected: str, why: str) -> None:
    assert decided(rules, title, description) == expected, why
