"""One master's procedure, and one request's contents, are not a plan (cx12).

A change one master carries out in steps (an upgrade runbook, a cron job moved to a CronJob, a dependency bump, a
flag-guarded migration inside one codebase) is that master's job; what an access request grants, the places a census
looks and the columns of a catalog are the one request's contents. Each rule with its opposite: the seed's
multi-master "build, then deploy" stays complex. The rules alone (no built-in model).
"""

from __future__ import annotations

import pytest

from decide import route
from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.textsignals import arrow_chain, parallel_actions, sequence_markers

VERBS = ClassifierConfig().action_verbs




@pytest.mark.parametrize(("text", "steps"), [
    # a version changed is one step, not a chain
    ("Bump React 18.2 -> 18.3 and Vite 4 -> 5", []),
    ("Upgrade Postgres 14 → 16", []),
    ("Move the API from Python 3.8→3.12", []),
    ("Bump Firebase iOS SDK 10.x -> 11.x", []),  # a major's series is a version too
    ("Upgrade the charts 2.X → 3.x", []),
    # ... while steps of work, a numbered step or percentages of a rollout still are arrows
    ("design -> implement -> test", ["design", "implement", "test"]),
    ("Step 3 -> deploy", ["Step 3", "deploy"]),
    ("Canary: 5% → 25% → 100%", ["5%", "25%", "100%"]),
    ("Freeze 2.x -> cut the branch -> release", ["Freeze 2.x", "cut the branch", "release"]),  # (not to a version)
])
def test_an_arrow_between_versions_orders_nothing(text: str, steps: list[str]) -> None:
    assert arrow_chain(text)[1] == steps
    assert ("→" in sequence_markers(text)) is bool(steps)


def test_a_name_and_its_versions_is_an_object_not_a_request() -> None:
    clauses = ["Bump React 18.2 -> 18.3", "Vite 4 -> 5", "fix whatever breaks"]
    assert parallel_actions(clauses, VERBS, series=True) == ["Bump React 18.2 -> 18.3", "fix whatever breaks"]
    # a number that is the object's count is still a request's object
    assert parallel_actions(["Restart the web pods", "drain 3 nodes", "cordon the rest"], VERBS, series=True) == [
        "Restart the web pods", "drain 3 nodes", "cordon the rest"]


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a dependency bump: bump, fix what breaks, make the suite pass: development's one job
    ("Quarterly dependency update for the web frontend", "Bump React 18.2 -> 18.3, Vite 4 -> 5 and the "
     "testing-library packages; fix whatever breaks and make sure the e2e suite passes.", ("simple", "development")),
    # ... but a bump, then a build and a deploy by the pipeline's master, in order, is the seed's build-then-deploy
    ("Quarterly dependency update for the web frontend", "Bump React 18.2 -> 18.3, Vite 4 -> 5 and the "
     "testing-library packages, then rebuild the Docker image, then deploy it to production through the pipeline.",
     ("complex", None)),
])
def test_a_dependency_bump_is_one_job(rules: Classifier, title: str, description: str,
                                      decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


@pytest.mark.parametrize(("clause", "kept_for_failure"), [
    ("Roll back from the snapshot if the smoke tests fail", True),
    ("Rollback plan: turn the read flag off", True),
    ("Backout plan: revert DNS", True),
    ("If the canary fails, roll back", True),
    ("revert when the error rate rises", True),
    # a rollback asked for is work
    ("Roll back the audit-log service", False),
    ("roll back the release and notify the support team", False),
])
def test_a_rollback_kept_for_failure_is_part_of_the_change(clause: str, kept_for_failure: bool) -> None:
    from orchestrator.textsignals import contingency

    assert contingency(clause) is kept_for_failure


UPGRADE = ("Change CHG-4411 is approved. Take a snapshot, run pg_upgrade on the primary, fail over the replicas, run the "
           "smoke tests and post in #status before and after. Roll back from the snapshot if the smoke tests fail.")


@pytest.mark.parametrize(("title", "description", "decision"), [
    # an upgrade runbook: one master's steps on one thing, its rollback kept for failure; a window in parentheses
    # says when, it asks nothing
    ("Upgrade the production Postgres cluster from 14 to 16 (maintenance window Sat 02:00-04:00 UTC)", UPGRADE,
     ("simple", "cicd")),
    ("Upgrade the production Postgres cluster from 14 to 16", UPGRADE, ("simple", "cicd")),
    # ... but an aside that asks for more work is a request
    ("Refactor the billing API (then deploy it to production and update the runbook)", "Split the invoice module, "
     "move the tax rules into their own package and rename the endpoints.", ("complex", None)),
    # ... and a rollback asked for is a step of its own: a release rolled back, a fix built, shipped again
    ("Recover from the bad 3.2 release", "Roll back the release, fix the migration script, add a regression test "
     "suite for the migrations, then deploy 3.2.1 to production.", ("complex", None)),
])
def test_an_upgrade_runbook_is_one_masters_job(rules: Classifier, title: str, description: str,
                                               decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description", "decision"), [
    # one unit moved whole: its steps (containerise, a manifest, deploy through the pipeline) are one master's
    ("Move the nightly export job from cron on vm-batch-2 to a Kubernetes CronJob", "vm-batch-2 is decommissioned at "
     "the end of the month. Containerise export.py, add a CronJob manifest to the infra repo with the same schedule "
     "(02:30 UTC) and deploy it to production through the pipeline.", ("simple", "cicd")),
    # ... not many of them moved, each a move of its own, and the machine retired
    ("Move the ML training jobs from cron on gpu-01 to Kubeflow pipelines", "Six jobs; containerise each, write the "
     "pipeline definitions, schedule them, and retire gpu-01 after two good weeks.", ("complex", None)),
    # ... nor a platform moved
    ("Move the reporting service from Heroku to our Kubernetes cluster", "", ("complex", None)),
])
def test_one_unit_moved_is_one_change(rules: Classifier, title: str, description: str,
                                      decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


SESSIONS = ("Dual-write sessions to both stores behind the flag sessions.redis_write, then switch reads with "
            "sessions.redis_read, then remove the Memcached code after a week. Rollback plan: turn the read flag off; "
            "sessions are still in Memcached while we dual-write.")


@pytest.mark.parametrize(("title", "description", "decision"), [
    # a flag-guarded migration inside one codebase: dual-write, switch reads, remove the old code
    ("Migrate user sessions from Memcached to Redis", SESSIONS, ("simple", "development")),
    # ... not the same move without a flag or a word of how: a platform moved
    ("Migrate user sessions from Memcached to Redis", "", ("complex", None)),
    # ... nor one behind a flag that needs another master too (a cluster provisioned)
    ("Migrate user sessions from Memcached to Redis", "Write sessions to Redis behind a feature flag; provision the "
     "Redis cluster in production with Terraform.", ("complex", None)),
    # ... nor one that also needs other masters (a deploy, an instance dropped), flag or not
    ("Move user data from MySQL to Postgres", "Write the migration scripts, add dual-write in the app behind a feature "
     "flag, backfill, cut over with a deploy, verify row counts, then drop the MySQL instance.", ("complex", None)),
])
def test_a_flag_guarded_migration_is_one_codebases_change(rules: Classifier, title: str, description: str,
                                                          decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


def test_a_move_known_as_one_change_is_not_left_to_the_model() -> None:
    """The built-in model learned that moves are complex; a move the rules know as one change is not asked of it."""
    from orchestrator.learned import Judgement, LearnedModel
    from orchestrator.models import MASTERS

    class SureItIsComplex(LearnedModel):
        def __init__(self) -> None:
            said = Judgement(dict.fromkeys(MASTERS, 1 / len(MASTERS)), 1.0)
            self.judge = lambda title, description, type_: said  # type: ignore[method-assign,assignment]

    sure = Classifier(ClassifierConfig(), learned=SureItIsComplex())
    assert route(sure, "Migrate user sessions from Memcached to Redis", SESSIONS) == ("simple", "development")
    assert route(sure, "Move the lint job from Jenkins to GitHub Actions", "Port the steps and delete the old job.")[0] \
        == "simple"
    # ... not when the title asks more than the move
    assert route(sure, "Move the nightly export job from cron to a Kubernetes CronJob, then rewrite the billing "
                 "service in Go")[0] == "complex"
    assert route(sure, "Migrate user sessions from Memcached to Redis, then rewrite the billing service in Go",
                 "Dual-write behind the flag sessions.redis_write.")[0] == "complex"
    # a move of a platform is still the model's to judge when the rules are unsure
    assert route(sure, "Migrate user sessions from Memcached to Redis", "Dual-write, switch reads, remove the old "
                 "code.")[0] == "complex"


@pytest.mark.parametrize(("title", "description", "decision"), [
    # what an access request grants (repos, VPN, a namespace) is its contents, not other masters' parts
    ("Access request: new hire Priya Nair needs repo and staging access", "Priya joins the payments team on Monday. "
     "She needs read/write on the payments-api and payments-web GitHub repos, VPN, and read-only access to the staging "
     "Kubernetes namespace. Manager: Tom.", ("simple", "security")),
    # ... not an access request that also asks other masters' work
    ("Access request for the new data team", "Grant them read access to the warehouse repos, create their staging "
     "Kubernetes namespace, deploy the ingestion service there and run a secrets scan on their repos.", ("complex", None)),
    # the places a census looks and the columns of its table are what it reads and records
    ("List all repositories that still use Python 3.8", "For the EOL plan: which of our repos still pin Python 3.8 in "
     "setup.py, pyproject.toml, Dockerfiles or CI config? A table with repo, file and owner team is enough.",
     ("simple", "inventory")),
    ("Catalog the third-party SaaS tools each team uses", "For the vendor review: per team, which SaaS products (Jira, "
     "Figma, Datadog, ...), the number of seats, the owner, and whether SSO is enabled. A spreadsheet is fine.",
     ("simple", "inventory")),
    # ... not a catalog followed by other masters' work
    ("Catalog the third-party SaaS tools each team uses", "Then cancel the unused seats, enforce SSO on every tool and "
     "deploy the licence dashboard to production.", ("complex", None)),
    # ... nor a census whose list is pieces of work (a review, a rollout, a deployment)
    ("Inventory the card-data systems", "- a list of every system that stores card numbers\n- a security review of each "
     "one\n- the tokenisation rollout to checkout\n- the deployment of the new vault proxy", ("complex", None)),
    ("Inventory the card-data systems", "- a list of every system that stores card numbers\n- the tokenisation rollout "
     "to checkout\n- the deployment of the new vault proxy\n- the monitoring setup for both", ("complex", None)),
    # ... nor a census that is only the first of the parts of a title that names no work
    ("Orchestrate the payments PCI prep", "1. Inventory: list every system that touches card data\n2. Security: gap "
     "assessment against PCI DSS 4.0\n3. Development: tokenise card numbers in the checkout service\n4. CI/CD: "
     "separate the CDE network in the deploy config", ("complex", None)),
])
def test_a_requests_list_is_its_contents(rules: Classifier, title: str, description: str,
                                         decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


@pytest.mark.parametrize(("text", "domains"), [
    # a document read or followed is where the procedure comes from, not documentation to write
    ("Upgrade the staging EKS cluster from 1.28 to 1.29. Control plane first, then the node groups, as in last "
     "quarter's runbook.", ["cicd"]),
    ("Upgrade the ingress-nginx Helm chart to 4.10 on staging. Read the changelog for breaking changes first, then "
     "helm upgrade, then check the ingress still answers.", ["cicd"]),
    # ... while a document written or updated is docs' part
    ("Upgrade the staging EKS cluster from 1.28 to 1.29, then update the runbook.", ["cicd", "docs"]),
    ("Upgrade the staging EKS cluster from 1.28 to 1.29. Write the upgrade guide for the other teams.", ["cicd", "docs"]),
])
def test_a_document_followed_is_no_docs_work(rules: Classifier, text: str, domains: list[str]) -> None:
    assert rules.involved_domains(text) == domains


@pytest.mark.parametrize(("title", "description", "decision"), [
    ("Upgrade the staging EKS cluster from 1.28 to 1.29", "Control plane first, then the node groups, as in last "
     "quarter's runbook.", ("simple", "cicd")),
    # ... an upgrade whose runbook is then rewritten for the other teams is two masters' work in order
    ("Upgrade the staging EKS cluster from 1.28 to 1.29", "Control plane first, then the node groups, then rewrite the "
     "upgrade runbook for the other teams.", ("complex", None)),
])
def test_an_upgrade_after_its_runbook_is_one_job(rules: Classifier, title: str, description: str,
                                                 decision: tuple[str, str | None]) -> None:
    assert route(rules, title, description) == decision


@pytest.mark.parametrize(("title", "description"), [
    # the seed's complex examples span masters: still plans next to the rules above
    ("Refactor API layer, update tests, and deploy", ""),
    ("Add authentication system with security audit and docs", "design -> implement -> test -> audit -> document"),
    # a build by one master, then a deploy through another's pipeline, in order
    ("Build the reminders service", "Write the service and its tests, then containerise it, then deploy it to "
     "production through the pipeline."),
    # an upgrade whose code changes are development's and whose rollout is cicd's
    ("Upgrade Postgres 11 to 15 on all four clusters, test the apps against it, and fix whatever breaks", ""),
])
def test_a_multi_master_build_then_deploy_stays_complex(rules: Classifier, title: str, description: str) -> None:
    assert route(rules, title, description) == ("complex", None)
