"""A new deployment's first day (newuser10, an online retailer): the general causes of its misses, each with its
opposite (issue 11). The rules alone (no built-in model), so that a test fails when a rule does."""

from __future__ import annotations

import pytest

from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.models import QueueTask


@pytest.fixture(scope="module")
def rules() -> Classifier:
    return Classifier(ClassifierConfig(), learned=None)


def route(rules: Classifier, title: str, description: str = "") -> tuple[str, str | None]:
    """The decision and, for a simple task, its master."""
    decided = rules.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description,
                                                      "status": "pending"}))
    return decided.decision, decided.master


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
    # a report asked for, whatever it is to list
    ("Weekly stock report showing negative counts per store", ("simple", "inventory")),
    ("Inventory report of all laptops by office", ("simple", "inventory")),
])
def test_a_report_that_shows_a_wrong_value_is_a_defect(rules: Classifier, title: str,
                                                       expected: tuple[str, str | None]) -> None:
    assert route(rules, title) == expected
