"""A university's IT team's first day (newuser13): the general causes of its misses, each with its opposite
(issue 11). The rules alone (no built-in model), so that a test fails when a rule does."""

from __future__ import annotations

import pytest

from decide import route
from orchestrator.classify import Classifier

_ROLLED = "Create a new key pair, publish it in the federation metadata beside the current one, then "


@pytest.mark.parametrize(("then", "expected"), [
    # the metadata a key is published in is the federation's document, no census: one master's rollover in order
    ("switch signing and tell the partners.", ("simple", "cicd")),
    # a census asked besides is another master's part
    ("list every repository that still pins the old one.", ("complex", None)),
])
def test_metadata_alone_names_no_census(rules: Classifier, then: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, "OIDC signing certificate expiring next month", _ROLLED + then) == expected


@pytest.mark.parametrize(("text", "domains"), [
    ("Publish the new key in the SAML metadata", []),
    ("Fill in the ownership metadata of the archived repositories", ["inventory"]),
])
def test_metadata_is_a_hint_of_inventory(rules: Classifier, text: str, domains: list[str]) -> None:
    assert rules.involved_domains(text) == domains
    assert rules.route("Metadata of the payments team's services", "").domain == "inventory"
