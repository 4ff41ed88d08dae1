"""route14: a security team's paperwork, the life of a device, capacity asked of a cloud and a flag ramped to a share
of its users. Each cause with a near case that must not move; the rules alone decide."""

from __future__ import annotations

import pytest

from orchestrator.classify import Classifier
from orchestrator.models import QueueTask
from orchestrator.textsignals import head_phrase, place_phrase


def decided(classifier: Classifier, title: str, description: str = "") -> str:
    result = classifier.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description}))
    return str(result.master) if result.decision == "simple" else "complex"


def test_a_phrasal_verbs_particle_belongs_to_the_verb() -> None:
    # "in" after "Fill", "on" after "Turn": no preposition that ends the head or opens a place
    assert head_phrase("Fill in the vendor security questionnaire for Acme") == "Fill in the vendor security questionnaire"
    assert head_phrase("Turn on audit logging on the database cluster") == "Turn on audit logging"
    assert place_phrase("Turn on audit logging on the database cluster") == "database cluster"
    assert place_phrase("Turn on dark mode for the admin UI") == ""
    # a preposition after any other verb still ends the head and opens the place
    assert head_phrase("Fix the sidebar in Safari") == "Fix the sidebar"
    assert head_phrase("Log in page is slow") == "Log"
    assert place_phrase("Show the scan date on the repository page") == "repository page"


@pytest.mark.parametrize(
    ("title", "description", "expected", "why"),
    [
        # a security programme's paperwork, filled in or answered, is security's; a form built is development's
        ("Fill in the vendor security questionnaire from Acme Bank (SIG Lite)",
         "180 questions in an xlsx; most answers are in the trust center. Send it back to sales by Friday.",
         "security", "the questionnaire is the head's noun once 'in' stays with 'Fill'"),
        ("Answer the customer's security assessment form", "", "security", "a form answered is no form built"),
        ("Add a security assessment form to the vendor portal", "", "development", "a form built"),
        ("Fill in the missing tier field in the services' catalog-info.yaml files", "", "development",
         "no rule reads it: the words decide (the built-in model takes it to inventory), not 'a field'"),
        # switching a security control on where a system takes its settings hardens it; another switch operates it
        ("Turn on audit logging on the database cluster", "", "security", "a security control switched on"),
        ("Turn on debug logging on the staging cluster", "", "cicd", "a switch with no security word"),
        ("Turn on dark mode for the admin UI", "", "development", "a product setting"),
        # a flag ramped to a share of its users is a staged rollout
        ("Turn on the new-onboarding feature flag for 100% of EU users",
         "It's been at 25% for a week with no errors.", "cicd", "a staged rollout"),
        ("Enable the bulk-edit flag for 10% of customers", "", "cicd", "a staged rollout"),
        ("Turn on the new-onboarding feature flag", "Show the new steps when it is on.", "development",
         "a flag with no share of users: its words decide"),
    ],
)
def test_paperwork_switches_and_rollouts(rules: Classifier, title: str, description: str, expected: str,
                                        why: str) -> None:
    assert decided(rules, title, description) == expected, why


@pytest.mark.parametrize(
    ("title", "description", "expected", "why"),
    [
        # a device issued, enrolled, returned, recovered or retired is an asset, whatever agent it carries
        ("Offboarding: recover laptop and YubiKey from departing contractor",
         "Send a return box, wipe via Jamf once received, update the asset register. Accounts are handled separately "
         "by the offboarding workflow.", "inventory", "recovered devices"),
        ("New laptop + MDM enrollment for incoming engineer (starts Dec 8)",
         "A MacBook Pro from stock, enrolled in Jamf with the Engineering profile (FileVault, CrowdStrike).",
         "inventory", "a device issued and enrolled"),
        ("Issue two spare YubiKeys to the on-call team", "", "inventory", "devices issued"),
        ("Assign a MacBook Pro to the new designer", "", "inventory", "a device by its name"),
        ("Replacement phone for Dana", "Swap the device from stock.", "inventory", "a verbless head: a replacement"),
        ("Loaner laptop for the external auditor", "", "inventory", "a security word after the head is whom it is for"),
        ("Enroll the new iPads for the warehouse in Intune", "", "inventory", "devices enrolled"),
        # near cases: a device's security, a program on devices, a machine set up, a screen size
        ("Replace the stolen laptop", "", "security", "a security word in the head"),
        ("Turn on FileVault on the design team's Macs", "", "security", "what guards a device"),
        ("Ship the update to all phones", "", "cicd", "the phones are where a release goes"),
        ("Ship the phone app update to the stores", "", "cicd", "the head ends on an update, not on a device"),
        ("Provision 5 new laptops for the September hires with the standard image", "", "cicd",
         "provisioning is cicd's lead verb"),
        ("Fix the layout on small laptops", "The sidebar overlaps the grid.", "development", "a screen size"),
        ("Enroll the new hires in the security training", "", "security", "no device"),
        ("Order 12 desk phones", "", "development", "a purchase: people's work, no asset kept (the default master)"),
        ("Buy 30 tablets", "", "development", "a purchase"),
    ],
)
def test_a_devices_life_is_an_assets(rules: Classifier, title: str, description: str, expected: str,
                                     why: str) -> None:
    assert decided(rules, title, description) == expected, why


@pytest.mark.parametrize(
    ("title", "description", "expected", "why"),
    [
        # capacity asked of a cloud provider is operations', whatever it is for (a model's training)
        ("GPU quota: 8 more A100 for recsys training",
         "The team needs 8 additional A100 GPUs for the two-tower model training. Please request the quota increase "
         "and record it against the ML budget.", "cicd", "a quota raised for training"),
        ("Raise the vCPU service quota in the analytics account", "", "cicd", "a service quota"),
        ("Request a quota increase for the ML account", "The two-tower model training needs it by Monday.", "cicd",
         "a quota increase, whatever needs it"),
        ("Capacity request: 200 TB more for the data lake", "Model features grow 10 TB a week.", "cicd",
         "a capacity request"),
        # a quota the product keeps is the product's
        ("Add a quota usage bar to the billing page", "", "development", "a screen"),
        ("Replace the token quota pie chart with a weekly bar chart", "", "development", "R1: a chart"),
        ("Raise the free plan's upload quota to 5 GB", "Change the limit in the plans module.", "development",
         "the product's own quota"),
    ],
)
def test_capacity_asked_of_a_cloud_is_operations(rules: Classifier, title: str, description: str, expected: str,
                                                 why: str) -> None:
    assert decided(rules, title, description) == expected, why


@pytest.mark.parametrize(
    ("title", "expected", "why"),
    [
        # a chart or an image given a new version is a deploy's, whatever hyphenated name (dropped as a name) it has
        ("Bump the nginx-ingress chart to 4.10", "cicd", "a Helm chart's version"),
        ("Upgrade the kube-prometheus-stack chart to 56.x", "cicd", "a Helm chart's version"),
        ("Bump the Stripe Python SDK to 7.x in billing-api", "development", "a library's version"),
        ("Bump the revenue chart's colours on the dashboard", "development", "a chart on a page, no version"),
        ("Upgrade the usage chart to show weekly bars", "development", "a chart on a page, no version"),
    ],
)
def test_a_chart_given_a_version_is_a_deploys(rules: Classifier, title: str, expected: str, why: str) -> None:
    assert decided(rules, title) == expected, why
