"""The fourteenth attack: cases the session's late changes were not written for."""

from __future__ import annotations

import pytest

from orchestrator.classify import Classifier
from orchestrator.config import Config
from orchestrator.imperatives import as_work
from orchestrator.planner import _work_words

VERBS = _work_words(Classifier(Config().classifier))


@pytest.mark.parametrize(("sentence", "kept"), [
    # Defect: the date without a preposition dated the whole sentence, the ask after it too, and it was dropped
    ("Our Twilio contract ends March 31 and we must move SMS to Vonage before then.", "move SMS to Vonage"),
    ("The contract ends March 31, so migrate the SMS sender to Vonage.", "migrate the SMS sender to Vonage"),
])
def test_a_date_without_a_preposition_dates_no_ask_that_follows_it(sentence: str, kept: str) -> None:
    assert kept in (as_work(sentence, VERBS) or "")


@pytest.mark.parametrize("sentence", ["The office lease ends April 30", "Our support plan expires Dec 2026.",
                                      "The Twilio contract ends March 31, 2027."])
def test_a_fact_that_ends_at_its_date_is_still_context(sentence: str) -> None:
    assert as_work(sentence, VERBS) is None


def test_an_imperative_about_what_users_can_do_is_not_an_attack() -> None:
    """Defect: 'Make sure users can run scripts in the sandbox' was read as '<someone> can <attack>' (the modal
    matched 'Make sure users can') and dropped as the finding's context; it is an order."""
    assert as_work("Make sure users can run scripts in the sandbox.", VERBS) == \
        "Make sure users can run scripts in the sandbox."
    # ... while the attack said as a fact stays context
    assert as_work("A customer can post <img src=x onerror=alert(1)> and run script in the agent's session.",
                   VERBS) is None


ROUTER = Classifier(Config().classifier)


@pytest.mark.parametrize(("title", "description"), [
    ("integration_test stage times out in the pipeline",
     "The integration_test job in GitHub Actions times out after 60 minutes on every run."),
    ("load_test job fails in Jenkins", "The nightly load_test job in Jenkins fails because the runner is out of disk."),
])
def test_a_pipeline_job_named_like_a_test_is_the_pipelines(title: str, description: str) -> None:
    """Defect: a CI job or stage named ``load_test`` or ``integration_test`` was taken for one test of the program
    and went to development, although the runner or the stage is what fails."""
    assert ROUTER.route(title, description, (None, None)).master == "cicd"


@pytest.mark.parametrize(("title", "description", "master"), [
    ("Set up a build-server for the iOS app", "We need a dedicated build-server (mac mini) running the Xcode builds for CI.",
     "cicd"),
    ("Stand up a deploy-service for the mobile team",
     "A small deploy-service that pushes the app bundles to the CDN on every tag.", "cicd"),
    ("Add a security-proxy in front of the admin UI",
     "Put an authenticating security-proxy (oauth2-proxy) in front of the admin UI.", "security"),
])
def test_a_thing_whose_first_word_says_its_kind_keeps_that_word(title: str, description: str, master: str) -> None:
    """Defect: a word before '-server', '-service', '-proxy' was taken for a bot's name and not counted, although a
    build server, a deploy service and a security proxy are the work of the domain their first word names."""
    assert ROUTER.route(title, description, (None, None)).master == master
