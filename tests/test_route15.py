"""route15: a routing word read in its sense, by its role in the sentence (a verb's object, whose a thing is, the
compound it sits in); and where a failure was seen is not where the change asked is made. Each cause with a near case
that must not move; the rules alone decide."""

from __future__ import annotations

import pytest

from orchestrator.classify import Classifier
from orchestrator.models import QueueTask
from orchestrator.textsignals import in_its_sense, sequence_markers


def decided(classifier: Classifier, title: str, description: str = "") -> str:
    result = classifier.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description}))
    return str(result.master) if result.decision == "simple" else "complex"


def reasons(classifier: Classifier, title: str, description: str = "") -> list[str]:
    return classifier.classify(QueueTask.model_validate({"id": "t", "title": title, "description": description})).reasons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a held thing released is freed: the verb's object, or the compound it heads
        ("the worker never releases the Redis lock when a request times out",
         "the worker never free the Redis lock when a request times out"),
        ("Fix the lock release in matchmaker-svc", "Fix the lock free in matchmaker-svc"),
        ("Release the DB connections on shutdown", "free the DB connections on shutdown"),
        ("It never releases the memory it holds", "It never free the memory it holds"),
        # a release shipped, and a lock that only names a screen, keep theirs
        ("Release 2.4 to the stores", "Release 2.4 to the stores"),
        ("Release the new lock screen", "Release the new lock screen"),
        ("Document the release process", "Document the release process"),
        # a game's inventory: whose it is, or what the compound names
        ("the player's inventory is full", "the player's stock is full"),
        ("while the inventory save is in flight", "while the stock save is in flight"),
        ("inventory levels drop after checkout", "stock levels drop after checkout"),
        # a shop's catalog is what it sells; the service catalog keeps its sense
        ("Update the store catalog entries", "Update the store assortment entries"),
        ("Cache the product catalogue in Redis", "Cache the product assortment in Redis"),
        ("Add the repo to the service catalog", "Add the repo to the service catalog"),
        # the inventory of assets keeps its sense, as a noun or a verb
        ("update the asset inventory", "update the asset inventory"),
        ("Inventory the repositories", "Inventory the repositories"),
        # the senses read before: a rotation of what is no secret, a program's leak
        ("Rotate the nginx logs daily", "cycle the nginx logs daily"),
        ("The page leaks a timer on unmount", "The page memory leak on unmount"),
    ],
)
def test_a_word_is_read_in_its_sense(text: str, expected: str) -> None:
    assert in_its_sense(text) == expected


@pytest.mark.parametrize(
    ("title", "description", "expected", "why"),
    [
        ("Orders stuck in 'pending' since Monday",
         "The order worker never releases the Postgres advisory lock when a retry times out. Fix the lock release in "
         "order-worker so timed-out retries free it.", "development", "a lock freed in a program's code"),
        ("Orders stuck in 'pending' since Monday",
         "The 2.4 release never reached production. Release the build to production again.", "cicd",
         "a release shipped"),
        ("Release the DB connections on shutdown in the API", "", "development", "connections freed"),
        ("Release the API to production", "", "cicd", "a release"),
        ("Duplicated items after a cancelled trade",
         "Cancelling a trade while the inventory save is in flight duplicates the player's items. Close the exploit "
         "server-side.", "security", "an exploit; the inventory save is the game's"),
        ("Add a weight limit to the character inventory", "", "development", "a game's inventory"),
        ("Document the asset inventory of the game servers", "", "inventory", "the asset inventory"),
        ("Change the Starter Pack price to 7.99", "Update the store catalog entries with the regional prices.",
         "development", "a shop's catalog"),
        ("Add the three acquired repositories to the service catalog", "", "inventory", "the service catalog"),
    ],
)
def test_words_route_in_their_sense(rules: Classifier, title: str, description: str, expected: str, why: str) -> None:
    assert decided(rules, title, description) == expected, why


def test_a_game_inventory_is_no_second_domain(rules: Classifier) -> None:
    task = ("Duplicated items after a cancelled trade", "Cancelling a trade while the inventory save is in flight "
            "duplicates the player's items. Close the exploit server-side.")
    assert not any("2 domains" in reason for reason in reasons(rules, *task))
    # the inventory of assets beside a security fix is still a second domain
    assert any("2 domains" in reason for reason in reasons(
        rules, "Close the trade exploit", "Fix the exploit server-side and update the asset inventory of the servers."))


def test_depends_on_orders_work_only_when_its_object_is_work() -> None:
    # a program's dependency on a library, a service or a version orders nothing
    assert sequence_markers("Find every repository that still depends on login-sdk v2") == []
    assert sequence_markers("list every service that depends on fraud-svc") == []
    assert sequence_markers("test_daily_run depends on the wall clock") == []
    # a step, a review, a ticket or a thing being done is an order of work
    assert sequence_markers("The production switch depends on the security review") == ["depends on"]
    assert sequence_markers("This depends on #123 being merged") == ["depends on"]
    assert sequence_markers("Stage 2 depends on stage 1") == ["depends on"]


def test_a_census_of_dependants_is_one_piece_of_work(rules: Classifier) -> None:
    title = "Which services still depend on auth-lib v1?"
    description = "Find every repository that still depends on auth-lib v1 and list the version and owner for each."
    assert not any("sequential" in reason for reason in reasons(rules, title, description))
    assert any("sequential" in reason for reason in reasons(
        rules, "Payments webhook cut-over", "Build the new webhook service and deploy it. The production switch "
        "depends on the security review."))


@pytest.mark.parametrize(
    ("title", "description", "expected", "why"),
    [
        # the symptom says where it was seen; the change asked says whose work it is
        ("Sentry shows unsymbolicated crashes since the Xcode upgrade",
         "The release pipeline stopped uploading dSYMs. Fix the pipeline step so every release build uploads them.",
         "cicd", "crashes seen; the pipeline's step changed"),
        ("App crashes on launch since 7.3", "Fix the null check in the image cache.", "development",
         "crashes seen, the code changed"),
        ("Flaky UI test: LoginTests fails ~10% on CI", "It fails one run in ten on the CI simulators. Make it "
         "deterministic.", "development", "a test is the program's, CI is where it failed"),
        ("Checkout e2e test is flaky on CI", "It fails one run in five. Make it deterministic.", "development",
         "'it' is the test the title names"),
        ("Search results empty in EU since 03:00",
         "Looks like a stale index. Fix the query in search-svc so it falls back to the primary.", "development",
         "the change is in a service's code"),
        # what fails is the pipeline's, and so is the change
        ("The e2e stage fails on the shared runners", "Make it pass again.", "cicd", "a pipeline's stage"),
        ("Nightly build fails on CI", "Fix the build script.", "cicd", "the build script is the build's"),
        ("Deploys to staging hang since Monday", "Fix the deploy job so it stops waiting on the old namespace.", "cicd",
         "a deploy job"),
    ],
)
def test_the_change_decides_not_the_symptoms_place(rules: Classifier, title: str, description: str, expected: str,
                                                   why: str) -> None:
    assert decided(rules, title, description) == expected, why


def test_a_lock_released_in_a_service_is_a_change_of_its_code(rules: Classifier) -> None:
    # the change asked is read in its sense too: "the lock release" is a lock freed in the service, no release
    said = reasons(rules, "Orders stuck in 'pending' since Monday", "The order worker never releases the Postgres "
                   "advisory lock when a retry times out. Fix the lock release in order-svc so timed-out retries free it.")
    assert any("the change asked is in the program" in reason for reason in said)
    said = reasons(rules, "Orders stuck in 'pending' since Monday", "Fix the release job so it stops skipping the "
                   "order-svc image.")
    assert any("the change asked is in the pipeline" in reason for reason in said)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Flaky UI test: LoginTests fails ~10% on CI", "development"),
        ("The checkout spec fails on CI", "development"),
        ("Flaky e2e tests: the checkout suite fails on CI", "development"),
        # a suite failing on the runners may be the runners': as before
        ("E2E tests fail on the shared runners", "cicd"),
        ("Integration tests fail on CI since the runner image update", "cicd"),
        ("The e2e stage fails on the shared runners", "cicd"),
    ],
)
def test_one_test_failing_on_ci_is_the_programs(rules: Classifier, title: str, expected: str) -> None:
    assert decided(rules, title) == expected


@pytest.mark.parametrize(
    ("title", "description", "expected"),
    [
        # a test named as JUnit or XCTest name them, flaky wherever it runs, is the program's
        ("LoginUITests.testSignUp flaky on the CI simulators", "", "development"),
        ("CheckoutTests flaky on CI", "", "development"),
        ("LoginTests fails on CI", "", "development"),
        ("e2e tests flaky on the shared runner", "", "cicd"),
        # a step of a pipeline named by where it is ("the upload step in the release workflow") is the pipeline's
        ("Checkout crashes are unsymbolicated since 4.2", "Fix the upload step in the release workflow.", "cicd"),
        ("Checkout crashes since 4.2", "Fix the null check in the checkout service.", "development"),
        # a resource freed in a program's code ("Release the lock" read as "free the lock")
        ("Checkout jobs stuck behind one order", "Release the lock in a finally block in payment-worker.", "development"),
    ],
)
def test_tests_steps_and_freed_locks(rules: Classifier, title: str, description: str, expected: str) -> None:
    assert decided(rules, title, description) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # a security property left unchecked is a security defect: its failure words say no failure of software
        ("Store payment webhook does not verify signatures", "security"),
        ("The Android app doesn't validate the server certificate", "security"),
        # an ordinary check left out is the program's
        ("Export does not check the file size", "development"),
    ],
)
def test_a_security_check_left_out_is_a_defect(rules: Classifier, title: str, expected: str) -> None:
    assert decided(rules, title) == expected
    if expected == "security":
        assert any("security defect" in reason for reason in reasons(rules, title))


def test_a_script_alone_names_no_owner(rules: Classifier) -> None:
    # the failing thing's own script: whose the job is decides, as before
    assert decided(rules, "Nightly backup job fails", "Fix the script so it retries the upload.") == "cicd"
    assert decided(rules, "Checkout page crashes on submit", "Fix the form handler in checkout-svc.") == "development"


def test_it_says_whose_only_when_it_is_a_test(rules: Classifier) -> None:
    # "it" is the failing thing itself: no new place, the failure's reading stands
    assert decided(rules, "Payments API returns 502 after the deploy", "Fix it before the evening peak.") == "cicd"
    assert decided(rules, "Checkout e2e test is flaky on CI", "Make it deterministic.") == "development"
