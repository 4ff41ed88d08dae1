"""A hospital group's IT team's first day (newuser11): the general causes of its misses, each with its opposite
(issue 11). The rules alone (no built-in model), so that a test fails when a rule does."""

from __future__ import annotations

import pytest

from decide import route
from orchestrator.classify import Classifier

_RELEASED = ("Kiosk 3.2 passed acceptance. Drain the nodes, upgrade the app, run the smoke tests, switch traffic.")


@pytest.mark.parametrize(("title", "expected"), [
    # a clock time's colon labels nothing: the title is one request, the description its steps
    ("Upgrade the kiosk app 3.2 in production Friday 21:00", ("simple", "development")),
    # a comma still splits the title: the description's four steps are parts
    ("Upgrade the kiosk app in production, Friday", ("complex", None)),
])
def test_a_clock_times_colon_splits_no_title(rules: Classifier, title: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, title, _RELEASED) == expected


_FIXED = ("Find the filter that rejects them, fix it so valid orders pass, and add a test message to the channel's "
          "regression tests.")


@pytest.mark.parametrize(("title", "expected"), [
    # messages dropped are one problem: finding, fixing and testing it are its steps
    ("Order feed from the warehouse dropping messages since Monday", ("simple", "development")),
    ("Order feed from the warehouse loses messages since Monday", ("simple", "development")),
    # no problem reported: three separate actions
    ("Order feed from the warehouse for the new site", ("complex", None)),
])
def test_a_feed_dropping_messages_is_one_problem(rules: Classifier, title: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, title, _FIXED) == expected


@pytest.mark.parametrize(("description", "expected"), [
    # the life of the one thing the first step makes, by one master: built, published, switched to
    ("Build a new hardened base image on JDK 21, publish it to the registry, and switch the service pipelines to it.",
     ("simple", "cicd")),
    # a third step on another thing: three deliverables
    ("Build a new hardened base image on JDK 21, publish it to the registry, and rewrite the deploy scripts in Python.",
     ("complex", None)),
])
def test_one_things_life_is_one_job(rules: Classifier, description: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, "New base image for the Java services on JDK 21", description) == expected


@pytest.mark.parametrize(("description", "expected"), [
    # "after that time": a time, no ordering word
    ("Add a --since option to the replay CLI that only replays messages received after that time, and update the "
     "README usage section.", ("simple", "development")),
    # "after that, update ...": the docs come after the change
    ("Add a --since option to the replay CLI, after that update the README usage section.", ("complex", None)),
])
def test_after_that_time_orders_nothing(rules: Classifier, description: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, "Replay CLI: add a --since option", description) == expected


@pytest.mark.parametrize(("description", "expected"), [
    # the scan's count is what it reported: the ask is one host's patching
    ("Weekly Nessus scan flagged web-04 with 12 critical findings. Patch the host in the next window and rescan to "
     "confirm they are closed.", ("simple", "security")),
    # twelve findings asked to be fixed: twelve parts
    ("Fix the 12 critical findings the weekly Nessus scan flagged on web-04.", ("complex", None)),
])
def test_a_count_a_scan_reported_is_no_parts(rules: Classifier, description: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, "Nessus: web-04 missing OS patches", description) == expected


@pytest.mark.parametrize(("description", "expected"), [
    # what another team will do later is not this task's stage nor its domain
    ("Roll the deployment back to 2.4.1 now and confirm payments recover; the dev team will look at the bug afterwards.",
     ("simple", "cicd")),
    # a fix asked for afterwards is one
    ("Roll the deployment back to 2.4.1 now and confirm payments recover; afterwards fix the session bug in the API code.",
     ("complex", None)),
])
def test_someone_elses_later_work_is_no_stage(rules: Classifier, description: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, "Roll back the payments API to 2.4.1 - errors after the deploy", description) == expected


@pytest.mark.parametrize(("title", "description", "expected"), [
    # a report people asked to have built: development's
    ("New report for finance: refunds by store and week", "Finance wants a weekly report of refunds grouped by store "
     "and cashier, with a 4-week trend. Deliver it as a scheduled report emailed to the finance lead.",
     ("simple", "development")),
    ("Build a weekly sales report for the store managers", "", ("simple", "development")),
    # a report of what exists: a census
    ("New report of the repositories without CODEOWNERS", "", ("simple", "inventory")),
    ("Dependency report for the payments services", "", ("simple", "inventory")),
])
def test_a_report_to_build_is_developments(rules: Classifier, title: str, description: str,
                                           expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected


@pytest.mark.parametrize(("title", "most"), [
    ("Quarterly report", 0.6),  # one hint: weak evidence, however far ahead
    ("Catalog the repositories", 0.99),  # a rule and keywords
])
def test_a_hint_alone_is_weak_evidence(rules: Classifier, title: str, most: float) -> None:
    assert rules.route(title, "").confidence == most
