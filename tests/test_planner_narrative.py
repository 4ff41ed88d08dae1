"""What a request tells is not what it asks: quoted report text, a label's aim, date or finding, what happened or
is done already, a bare count. None of them becomes a part ("Implement the Target: 30 days ..."); the work around
them keeps its parts. Each case has its opposite. The sentences are new phrasings, not tasks of the corpora.
"""

from __future__ import annotations

from orchestrator.imperatives import as_work, as_work_text
from orchestrator.models import Plan
from orchestrator.planner import _criteria
from test_plan_wording import VERBS, plan_for, titles


def test_a_quoted_passage_is_what_a_report_said_not_work() -> None:
    text = ("From the vendor's audit:\n\n> A logged-in user can download any invoice by changing the invoice number."
            "\n\nPlease add the tenant check and add a regression test.")
    kept = as_work_text(text, VERBS)
    assert "download" not in kept and "Let" not in kept
    assert "add the tenant check" in kept
    # the opposite: the same finding told without a quote mark is read as the writer's own words
    assert "download" in as_work_text(text.replace("> ", ""), VERBS)
    # a forwarded request with no words of its own asks in the quote
    assert "rotate the staging DB password" in as_work_text("FYI, see below.\n> Please rotate the staging DB "
                                                            "password.", VERBS)


def test_a_plan_has_no_part_from_a_quoted_finding() -> None:
    plan = plan_for("VULN-77: invoice download by number", "From the vendor's audit (finding 3, High):\n\n"
                    "> A logged-in user can download any invoice by changing the invoice number. The API checks the "
                    "session but not the invoice's owner.\n\nPlease add the tenant check, add a regression test, "
                    "and ask the vendor for a retest.")
    shown = titles(plan)
    assert not any("download any" in t or "checks the session" in t for t in shown), shown
    assert any(t.startswith("Add the tenant check") for t in shown), shown
    # a retest is of the fix and its test: after them, not beside the fix
    assert stage(plan, "Ask the vendor for a retest") > stage(plan, "Add a regression test") > \
        stage(plan, "Add the tenant check")


def test_only_a_retest_waits_for_the_tests() -> None:
    plan = plan_for("VULN-78: open redirect on /login", "Please add the redirect allow-list, add a regression test, "
                    "and ask the vendor for the report's PDF.")
    assert stage(plan, "Ask the vendor for the report's PDF") < stage(plan, "Add a regression test")


def stage(plan: Plan, title: str) -> int:
    return next(s.stage for s in plan.subtasks if s.title == title)


def test_a_check_code_makes_is_development_s_though_an_inventory_word_names_it() -> None:
    plan = plan_for("Fix the statement IDOR", "Add the ownership check on the statements endpoint, add a regression "
                    "test, and update the API docs.")
    assert next(s for s in plan.subtasks if s.title.startswith("Add the ownership check")).assigned_to == "development"
    # the opposite: adding owners to the catalogue is inventory's
    other = plan_for("Service ownership", "Add the owners of every service to the catalogue, then review the gaps "
                     "with each team lead, and update the on-call docs.")
    assert next(s for s in other.subtasks if s.title.startswith("Add the owners")).assigned_to == "inventory"


def test_an_incident_response_gets_no_architecture_and_no_unit_tests() -> None:
    plan = plan_for("Phishing: fake invoice e-mail to the sales team", "Block the sender domain, pull the e-mail "
                    "from every mailbox, check the sign-in logs of the two who clicked, and reply to the reporters.")
    assert not [t for t in titles(plan) if t.startswith(("Design ", "Write tests for "))], titles(plan)
    # the opposite: a real build keeps design -> implement -> tests -> audit -> docs
    build = plan_for("Add authentication system with security audit and docs", "")
    kinds = [s.worker_type for s in sorted(build.subtasks, key=lambda s: s.stage)]
    assert kinds[0] == "planner" and "test" in kinds and kinds[-1] == "documentation"
    assert kinds.index("planner") < kinds.index("implementation") < kinds.index("test") < kinds.index("audit") \
        < kinds.index("documentation")


def test_a_label_of_an_aim_a_date_or_a_finding_is_no_part() -> None:
    for told in ("Target: 14 days per the patch policy.", "Goal for Q3: every laptop encrypted; no shared logins.",
                 "Pen-test finding from March: the admin panel has no rate limit.",
                 "Target: Postgres 16 (already running, HA) for every service."):
        assert as_work(told, VERBS) is None, told
    # opposites: work after such a label, a list after it, a label of work
    assert as_work("Target: migrate the last two queues by June.", VERBS) == "Migrate the last two queues by June."
    assert as_work("Findings from the audit: (1) enable MFA, (2) remove the shared user.", VERBS) is not None
    assert as_work("Output: a data-flow diagram and a ranked threat list.", VERBS) == \
        "a data-flow diagram and a ranked threat list."


def test_what_happened_or_is_done_is_context_before_the_ask() -> None:
    text = ('Two people in support forwarded a message "Action needed: verify your account" from a look-alike domain. '
            "Link goes to a fake login page (hxxps://examp1e[.]com/login). "
            "Block the domain and pull the message from all inboxes.")
    kept = as_work_text(text, VERBS)
    assert kept == "Block the domain and pull the message from all inboxes."
    # a verb's word with a subject's verb after it is a subject ("Update goes out ..."), an imperative is not
    assert as_work_text("Update goes out to all users on Friday. Write the release notes.", VERBS) == \
        "Write the release notes."
    assert as_work_text("Update the hosts file on each runner. Write the release notes.", VERBS) == \
        "Update the hosts file on each runner.\nWrite the release notes."
    # the opposite: a link as a verb opens work ("Link the invoices to their orders")
    assert as_work_text("Link the invoices to their orders.", VERBS) == "Link the invoices to their orders."
    assert as_work("The retro for INC-88 is done", VERBS) is None
    assert as_work("The retro for INC-88 is written and shared", VERBS) == "Write the retro for INC-88 and share it"


def test_a_bare_count_is_the_work_s_reach() -> None:
    assert as_work("~40 services.", VERBS) is None
    assert as_work("About 300 laptops.", VERBS) is None
    assert as_work("2 new endpoints.", VERBS) == "2 new endpoints."  # things to make
    assert as_work("Migrate 40 services.", VERBS) == "Migrate 40 services."


def test_a_finding_of_a_lack_is_a_gap_not_the_no_thing() -> None:
    plan = plan_for("Close the Q2 audit findings", "The auditor listed: (a) no MFA on the VPN, (b) no inventory of "
                    "vendor SDKs. Close each finding before the follow-up.")
    shown = titles(plan)
    assert not any(" the no " in t for t in shown), shown
    assert "Close the gap: no MFA on the VPN" in shown
    assert any(t.startswith("Compile the inventory of vendor SDKs") for t in shown), shown


def test_a_quoted_name_is_one_topic() -> None:
    plan = plan_for("Build the 'pay by bank' checkout option", "Build the consent page, the callback handler and "
                    "the refund flow.")
    assert "Write tests for 'pay by bank' checkout option" in titles(plan), titles(plan)
    # the opposite: with no quote, "by"/"for" still end the topic
    other = plan_for("Add authentication system for the admin app with security audit and docs", "")
    assert "Design authentication system architecture" in titles(other)


def test_criteria_begin_at_a_criteria_word_not_inside_one() -> None:
    plan = plan_for("Incident follow-up INC-77", "Action items: re-sync the search index, rotate the bot's token, "
                    "and update the runbook.")
    assert not any("as the request says" in s.success_criteria for s in plan.subtasks)
    with_ac = plan_for("Team invites", "Let admins invite members by e-mail.\nAC: an invite expires after 7 days.")
    assert any("as the request says: an invite expires after 7 days" in s.success_criteria for s in with_ac.subtasks)


def test_a_verb_alone_shares_the_object_written_after_it() -> None:
    plan = plan_for("Patch the OpenSSL CVE everywhere", "Find every affected host, bump and redeploy each, and "
                    "report the status to the CISO daily.")
    assert "Bump each" in titles(plan) and "Bump" not in titles(plan)
    # the opposite: a comma is no shared object ("Upgrade, fix the deprecations": the upgrade is of the topic)
    other = plan_for("Upgrade Django in billing", "Upgrade, fix the deprecations, run the full test suite.")
    assert "Upgrade the deprecations" not in titles(other), titles(other)


def criteria_of(plan: Plan, start: str) -> str:
    return next(s.success_criteria for s in plan.subtasks if s.title.startswith(start))


def test_security_criteria_fit_the_part_not_the_master() -> None:
    plan = plan_for("Leaked deploy token follow-up", "Rotate the leaked deploy token, add a detection for token use "
                    "from unknown IPs, and write the report to the security committee by Friday.")
    assert "no longer works" in criteria_of(plan, "Rotate the leaked deploy token")
    for part in ("Add a detection", "Write the report"):
        found = criteria_of(plan, part)
        assert "old weakness" not in found and found.startswith("Done as asked"), (part, found)


def test_an_inventory_part_is_checked_by_its_own_list_not_the_task_title() -> None:
    plan = plan_for("Critical OpenSSL CVE: patch everywhere", "Find every service that ships OpenSSL 3.0.x, bump "
                    "and redeploy each, and add a CI check that blocks the vulnerable version.")
    found = criteria_of(plan, "Find every service")
    assert "structured list of what was found" in found and "OpenSSL CVE" not in found, found
    # opposites: an inventory part that finds nothing is checked as done; the planner's own inventory keeps its sentence
    assert _criteria("inventory", "Archive the 30 dead repos", "repo clean-up").startswith(
        "Done as asked (archive the 30 dead repos), checked by its author")
    assert planner_inventory_criteria() == "A structured inventory of repos exists, with each entry's owner, version " \
        "and status"


def planner_inventory_criteria() -> str:
    return _criteria("inventory", "Take an inventory of repos", "repos")


def test_which_ones_waits_for_the_part_that_found_them() -> None:
    plan = plan_for("Critical libssh CVE", "Find every affected host, check which ones expose SSH to the internet, "
                    "and add a CI check that blocks the vulnerable version.")
    assert stage(plan, "Check which ones expose SSH to the internet") > stage(plan, "Find every affected host")
    # the opposite: a search of its own runs beside it
    other = plan_for("Critical libssh CVE", "Find every affected host, list the repos that vendor libssh, and add a "
                     "CI check that blocks the vulnerable version.")
    assert stage(other, "List the repos that vendor libssh") == stage(other, "Find every affected host")


def test_a_refinement_is_done_with_the_part_it_refines_not_before_it() -> None:
    plan = plan_for("Detection: root login from a new country", "Add a detection in our SIEM that alerts #soc when "
                    "the AWS root user logs in from a new country. Include the source IP and user agent; suppress "
                    "the office IPs. Test with a replayed CloudTrail event.")
    detection = next(s for s in plan.subtasks if s.title.startswith("Add a detection"))
    include = next(s for s in plan.subtasks if s.title.startswith("Include the source IP"))
    assert include.stage >= detection.stage and include.assigned_to == detection.assigned_to
    # the opposite: a part that refines nothing keeps its own master
    other = plan_for("Detection: root login from a new country", "Add a detection in our SIEM that alerts #soc when "
                     "the AWS root user logs in from a new country. Rotate the root password. Test with a replayed "
                     "CloudTrail event.")
    assert next(s for s in other.subtasks if s.title.startswith("Rotate the root password")).assigned_to == "security"
