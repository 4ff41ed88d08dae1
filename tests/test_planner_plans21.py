"""Plans21: a bare 'Release' or 'Build' takes the task's thing as its object; a part on 'the unused ones' after
security's part is security's, and so is a sign-off by the CISO. Each behaviour has its opposite. New phrasings, not
the tasks of tests/data/tuning/plans21.json."""

from __future__ import annotations

from test_plan_wording import plan_for, titles


def test_a_bare_release_takes_the_tasks_thing() -> None:
    plan = plan_for("Visitor badge app", "Write the API, add the kiosk screen, run the tests and then release.")
    assert "Release visitor badge app" in titles(plan)
    assert "Release" not in titles(plan)


def test_a_bare_release_of_an_occasion_stays_as_written() -> None:
    plan = plan_for("Autumn maintenance window", "Upgrade Redis 6 to 7, migrate the session store and then release.")
    assert "Release" in titles(plan)  # "Release autumn maintenance window" would name no thing released


def _master(plan_title: str, description: str, start: str) -> str:
    plan = plan_for(plan_title, description)
    return next(s.assigned_to for s in plan.subtasks if s.title.startswith(start))


def test_the_ones_security_reviewed_are_securitys() -> None:
    told = "Review the VLAN ACLs of the plant network, delete the stale ones and get the change approved by the CISO."
    assert _master("Plant ACL clean-up", told, "Delete the stale ones") == "security"
    assert _master("Plant ACL clean-up", told, "Get the change approved by the CISO") == "security"


def test_the_ones_an_inventory_listed_and_a_sign_off_by_others_stay_as_they_were() -> None:
    listed = "List the SaaS tools of the sales team, connect the ones that do SAML to Okta and write a login guide."
    assert _master("Sales SSO", listed, "Connect the ones") != "security"
    other = "Review the VLAN ACLs of the plant network, delete the stale ones and get the change approved by the CFO."
    assert _master("Plant ACL clean-up", other, "Get the change approved by the CFO") != "security"


def test_two_parts_get_the_check_of_their_result_and_no_plan_of_the_work() -> None:
    plan = plan_for("Leaked Slack token", "Revoke the leaked Slack token of the deploy bot and roll out the new build "
                    "to every runner.")
    assert not any(title.startswith("Plan the work on") for title in titles(plan))
    assert titles(plan)[-1].startswith("Review the results of")
    assert len(plan.subtasks) == 3


def test_one_part_still_gets_both_to_make_three() -> None:
    plan = plan_for("Leaked Slack token", "Revoke the leaked Slack token of the deploy bot.")
    assert any(title.startswith("Plan the work on") for title in titles(plan))
    assert len(plan.subtasks) == 3


def _topic(title: str) -> str:
    from orchestrator.models import QueueTask
    from orchestrator.planner import topic_of, work_verbs
    from test_plan_wording import CLASSIFIER

    return topic_of(QueueTask.model_validate({"id": "t-1", "status": "pending", "title": title}), work_verbs(CLASSIFIER))


def test_a_topic_is_the_thing_after_a_generic_head_and_a_questions_subject() -> None:
    assert _topic("Please build the feature of the bulk export of invoices by PDF") == "bulk export of invoices"
    assert _topic("Overview of which of our sites run which PHP version") == "overview of our sites"


def test_a_head_that_is_the_thing_and_a_question_about_us_stay() -> None:
    assert _topic("Feature flags for the checkout") == "feature flags"  # "feature" names the thing here
    assert _topic("Overview of what we spend on cloud").startswith("overview of what we")  # no thing to take
