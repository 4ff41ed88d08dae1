"""An automotive-parts maker's IT/OT team's first day (newuser12): the general causes of its misses, each with its
opposite (issue 11). The rules alone (no built-in model), so that a test fails when a rule does."""

from __future__ import annotations

import pytest

from decide import route
from orchestrator.classify import Classifier
from orchestrator.textsignals import keeps_record, without_notice

_FINDING = "Audit finding: no periodic review of privileged accounts on the MES servers"


@pytest.mark.parametrize(("description", "expected"), [
    # evidence written for the audit is the record of the review, not a third action
    ("Review who has local admin on MES01-MES06, remove leavers, and write the evidence for the corrective action "
     "plan.", ("simple", "security")),
    ("Review who has local admin on MES01-MES06, remove leavers, and prepare the evidence for the auditor.",
     ("simple", "security")),
    # a thing written that is no record (a tool) is an action of its own
    ("Review who has local admin on MES01-MES06, remove leavers, and write a script that alerts on new admins.",
     ("complex", None)),
])
def test_evidence_written_is_the_record(rules: Classifier, description: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, _FINDING, description) == expected


def test_only_evidence_written_is_a_record() -> None:
    assert keeps_record("write the evidence for the corrective action plan")
    assert keeps_record("prepare the evidence.")
    assert not keeps_record("write the evidence export script")


@pytest.mark.parametrize(("title", "expected"), [
    # the CVE in parentheses or after "because of" says why the image is rebuilt: cicd's rebuild
    ("Rebuild edi-converter image on new base image (openssl CVE)", ("simple", "cicd")),
    ("Rebuild the edi-converter image on a new base image because of the openssl CVE", ("simple", "cicd")),
    # the vulnerable component itself updated is security's fix, whatever the reason's place
    ("Update openssl in the edi-converter image (openssl CVE)", ("simple", "security")),
    # the defect in the head is the work's, not its reason
    ("Rebuild the edi-converter image without the vulnerable openssl", ("simple", "security")),
    # a security verb's object: what the scan looks for, not why
    ("Scan the edi-converter image for known CVEs", ("simple", "security")),
])
def test_a_defect_that_says_why_is_no_head(rules: Classifier, title: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, title) == expected


def test_what_a_scan_looks_for_stays_its_defect(rules: Classifier) -> None:
    # the same tail after a security verb is what it looks for: still read as the defect it is about
    assert rules.route("Scan the edi-converter image for known CVEs", "").decided_by == "defect"


_REBUILT = "Rebuild it on ubi9-minimal:9.5, run the pipeline and deploy to prod."


@pytest.mark.parametrize(("said", "expected"), [
    # who noticed the cause is why the work came, not security's part
    ("Security flagged the openssl in our edi-converter image.", ("simple", "cicd")),
    ("Trivy reported a critical CVE in the openssl of the edi-converter image.", ("simple", "cicd")),
    # security's work asked is a part
    ("Scan the edi-converter image for vulnerable openssl versions.", ("complex", None)),
])
def test_who_noticed_is_no_domain(rules: Classifier, said: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, "Rebuild the edi-converter image on a new base image", f"{said} {_REBUILT}") == expected


def test_without_notice_keeps_asks() -> None:
    assert without_notice("Monitoring warns the certificate expires in 15 days. Renew it.").strip() == "Renew it."
    assert without_notice("Fix the bugs the audit flagged in the login page.") == (
        "Fix the bugs the audit flagged in the login page.")


@pytest.mark.parametrize(("watched", "expected"), [
    # watching a running thing observes it: one release's checklist (cx18-fresh)
    ("watch the error dashboards for an hour", ("simple", "cicd")),
    ("monitor the error dashboards for an hour", ("simple", "cicd")),
    # a dashboard built is development's part
    ("build the error dashboards for the release", ("complex", None)),
])
def test_watching_is_no_development(rules: Classifier, watched: str, expected: tuple[str, str | None]) -> None:
    assert route(rules, "Release checklist for mobile banking 5.2", "Tag the release, run the pipeline to staging, "
                 f"promote to production, and {watched}.") == expected


_PIPELINE = ("GitHub Actions: lint, unit tests, build the Docker image, push it to our Harbor registry, and deploy to the "
             "test plant's k3s cluster on merge to main. Cache the Maven dependencies.")


@pytest.mark.parametrize(("title", "description", "expected"), [
    # one pipeline set up: the list is what it does, its steps (cx18-fresh)
    ("Set up the CI pipeline for the MES integration service", _PIPELINE, ("simple", "cicd")),
    # no pipeline set up by the title: the same list is parts
    ("CI for the MES integration service", _PIPELINE, ("complex", None)),
    # a title that asks for more than the pipeline
    ("Set up the CI pipeline for the MES integration service and the Harbor registry", _PIPELINE, ("complex", None)),
    # another master's work besides the pipeline's steps
    ("Set up the deploy pipeline for the MES integration service", "Build the Docker image, push it to our Harbor "
     "registry, and deploy to the k3s cluster on merge to main. Rotate the Harbor robot account secrets and revoke the "
     "old ones.", ("complex", None)),
])
def test_a_pipelines_steps_are_no_parts(rules: Classifier, title: str, description: str,
                                        expected: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == expected
