"""Plans20: each part's master and kind from its own work, no part from what is no work (a filing label, a deadline,
the finding stated, a list item's dangling conjunction), no software template on evidence, findings and reviews.
Each behaviour has its opposite. New phrasings, not the tasks of tests/data/tuning/plans20.json."""

from __future__ import annotations

import pytest

from orchestrator.imperatives import as_work, as_work_text
from orchestrator.models import Plan
from test_plan_wording import VERBS, plan_for, titles

_ASK = "Restore last week's backup to staging and record the result."


def _part(plan: Plan, start: str) -> tuple[str, str]:
    found = next(s for s in plan.subtasks if s.title.startswith(start))
    return found.assigned_to, found.worker_type


@pytest.mark.parametrize("told", [
    "Epic for H2.",  # a filing label
    "Story for the spring release.",
    "Internal audit finding 12 (minor nonconformity).",  # what kind of item this is
    "Label: finance-ops.",
    "Tags: sox, q3.",
    "Due by the audit on 2 May.",  # a deadline said as a sentence
    "We cannot prove that backups are restored.",  # the finding stated
    "There is no record of a restore test this year.",
])
def test_a_label_a_deadline_or_the_finding_beside_an_ask_is_no_work(told: str) -> None:
    assert as_work_text(f"{told}\n{_ASK}", VERBS) == _ASK
    assert as_work_text(f"{_ASK}\n{told}", VERBS) == _ASK


def test_work_after_a_label_or_what_is_due_stays_work() -> None:
    assert "migrate the wiki to Confluence" in as_work_text(f"Epic: migrate the wiki to Confluence.\n{_ASK}", VERBS)
    assert as_work_text("Due before the board meeting on 2 May: a list of every unpatched server.", VERBS) \
        == "A list of every unpatched server."
    assert as_work_text("Due by 2 May: a patch report of every RTU, and a plan for the RTUs that are behind.",
                        VERBS).startswith("A patch report of every RTU")  # a clause in what is due: still due
    assert as_work_text("We cannot prove that backups are restored.", VERBS)  # all it says: still read as its work


def test_a_list_item_cut_at_its_conjunction_loses_the_conjunction_only() -> None:
    assert as_work("1. Patch the two VPN gateways, and", VERBS) == "1. Patch the two VPN gateways"
    assert as_work("Compare the old and", VERBS) == "Compare the old"
    assert as_work("Export invoices and credit notes", VERBS) == "Export invoices and credit notes"  # inside: kept
    plan = plan_for("VPN gateway patching", "1. Patch the two VPN gateways, and\n2. reboot them in the window\n"
                    "3. Rotate the admin password of the gateways")
    assert not any(title.endswith((" and", ",")) for title in titles(plan))


def test_a_gathering_verb_governs_its_objects() -> None:
    listed = as_work_text("Gather:\n- the firewall change log\n- the VPN access list\nThen write a cover note.", VERBS)
    assert "- Gather the firewall change log." in listed and "- Gather the VPN access list." in listed
    assert "Gather:" not in listed
    assert as_work_text("Steps:\n- the firewall change log", VERBS) != listed  # no verb over it: as before
    inline = plan_for("SOX evidence", "Collect: firewall logs, VPN logs and badge records of Q3. Write a cover note "
                      "for the auditors and upload the pack to the audit portal.")
    assert any(title.startswith("Collect firewall logs, VPN logs and badge records") for title in titles(inline))
    joined = plan_for("SOX evidence", "Collect the firewall logs and the deployment approvals of Q3, write a cover "
                      "note for the auditors and upload the pack to the audit portal.")
    assert _part(joined, "Collect the firewall logs and the deployment approvals")[0] == "inventory"
    apart = plan_for("SOX evidence", "Collect the firewall logs, rotate the VPN keys and upload the pack to the "
                     "audit portal.")
    assert {"Collect the firewall logs", "Rotate the VPN keys"} <= set(titles(apart))  # a verb: its own part


def test_a_pen_test_or_a_rescan_opening_a_part_is_securitys_review() -> None:
    plan = plan_for("Booking API", "Build the booking API, deploy it to the edge cluster and pen-test it before "
                    "launch.")
    assert _part(plan, "Pen-test it") == ("security", "audit")  # was cicd's deploy ("before launch")
    assert _part(plan, "Deploy it")[0] == "cicd"  # the deploy stays cicd's
    image = plan_for("openssl CVE in the gateway image", "Rebuild the gateway image on the patched base, rescan "
                     "it and redeploy the gateway.")
    assert _part(image, "Rescan it") == ("security", "audit")
    assert _part(image, "Rebuild the gateway image")[0] == "cicd"  # an image rebuilt is cicd's, the CVE is why


def test_writing_a_document_is_documentation_and_writing_code_is_not() -> None:
    plan = plan_for("Vendor risk review", "Review the vendor's SOC 2 report, check their pen test summary and write "
                    "a risk acceptance memo for the CISO.")
    assert _part(plan, "Write a risk acceptance memo")[1] == "documentation"
    code = plan_for("Ledger export", "Write a CLI that exports the ledger to CSV, add tests and publish it.")
    assert _part(code, "Write a CLI")[1] == "implementation"


def test_evidence_and_reviews_get_no_software_template_but_a_tool_does() -> None:
    plan = plan_for("SOX evidence pack for Q3", "Assemble the SOX evidence pack: collect the change tickets, gather "
                    "the approvals and write a cover note for the auditors, then send it to internal audit.")
    assert not any(title.startswith(("Design ", "Write tests for")) for title in titles(plan))
    tool = plan_for("Evidence collector for the auditors", "Build an evidence collector tool that pulls approvals "
                    "from GitLab into a signed archive. Write tests for it and deploy it to the internal cluster.")
    assert any(title.startswith("Design ") for title in titles(tool))
    trail = plan_for("Customer audit trail", "Record every change to a customer, store it for a year and expose it "
                     "through an API and a page in the admin UI.")
    assert any(title.startswith("Design ") for title in titles(trail))  # an audit trail is a system


def test_fixes_named_as_things_made_are_repairs() -> None:
    plan = plan_for("Pen test of the booking portal", "Run the pen test of the booking portal, triage the findings "
                    "and implement fixes for the findings.")
    assert not any(title.startswith("Design ") for title in titles(plan))
    assert not any(" of the booking" in title for title in titles(plan) if title.startswith("Write tests for"))
    built = plan_for("Pen test of the booking portal", "Run the pen test of the booking portal, triage the "
                     "findings and implement a findings tracker for the team.")
    assert any(title.startswith("Design ") for title in titles(built))  # a thing made, not a fix


def test_gathering_records_makes_nothing_to_design() -> None:
    plan = plan_for("Insurance regulator exam prep", "Assemble the documents for the examiners, scan all policy "
                    "services for vulnerabilities and fix the findings.")
    assert not any(title.startswith("Design ") for title in titles(plan))
    built = plan_for("Insurance regulator exam prep", "Build a portal for the examiners, scan all policy services for "
                     "vulnerabilities and fix the findings.")
    assert any(title.startswith("Design ") for title in titles(built))


def test_code_moved_inside_a_program_is_still_designed_beside_an_evidence_pack() -> None:
    plan = plan_for("Card data scope reduction", "Move card entry to the hosted payment fields in the checkout UI, "
                    "remove the card columns from the orders DB, and prepare the evidence pack for the assessor.")
    assert any(title.startswith("Write tests for") for title in titles(plan))  # the UI code moved is tested
    data = plan_for("Card data scope reduction", "Move the card vault to the new region, remove the card columns "
                    "from the orders DB, and prepare the evidence pack for the assessor.")
    assert not any(title.startswith(("Design ", "Write tests for")) for title in titles(data))  # data moved: not


def test_what_a_colon_opens_is_held_by_its_part() -> None:
    plan = plan_for("Pension fund IT audit", "Prepare the evidence pack for the pension fund's IT audit: the access "
                    "reviews, the firewall change log and the backup restore tests. Send it to the auditor.")
    assert not any(title.startswith(("Set up the backup", "Implement the backup")) for title in titles(plan))
    assert any("and the backup restore tests" in s.description for s in plan.subtasks)
    steps = plan_for("Pension fund IT audit", "Prepare the evidence pack for the pension fund's IT audit: collect "
                     "the access reviews, and rotate the backup keys. Send it to the auditor.")
    assert any(title.startswith("Rotate the backup keys") for title in titles(steps))  # a verb: its own part


def test_what_the_work_is_for_goes_with_the_work_after_it() -> None:
    plan = plan_for("Evidence for the surveillance audit", "For the ISO 27001 surveillance audit, gather the "
                    "pipeline logs of the payroll app, write a control narrative and hand both to the auditor.")
    assert not any(title.startswith(("For the", "Run the For", "Implement the For")) for title in titles(plan))
    assert any(title.startswith("Gather the pipeline logs of the payroll app") for title in titles(plan))
    later = plan_for("Evidence for the surveillance audit", "Gather the pipeline logs of the payroll app for the ISO "
                     "27001 surveillance audit, write a control narrative and hand both to the auditor.")
    assert any(title.startswith("Gather the pipeline logs of the payroll app for the ISO") for title in titles(later))


def test_software_built_in_a_delivery_task_is_developments_and_an_image_is_cicds() -> None:
    plan = plan_for("Kubernetes rollout of the badge service", "Build a small service that prints visitor badges "
                    "from the HR feed, containerise it and deploy it to the plant cluster with a Helm chart.")
    assert _part(plan, "Build a small service") == ("development", "implementation")  # was cicd's deploy
    assert _part(plan, "Deploy it")[0] == "cicd"
    image = plan_for("Kubernetes rollout of the badge service", "Build the container image of the badge printer "
                     "on the new base, push it to the registry and deploy it to the plant cluster with a Helm chart.")
    assert _part(image, "Build the container image")[0] == "cicd"  # an image built is cicd's
