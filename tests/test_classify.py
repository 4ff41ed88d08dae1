"""The decision framework on the seed's examples and on a labelled set of realistic tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator import learned
from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig, Config, DomainConfig
from orchestrator.models import QueueTask

DATA = Path(__file__).parent / "data"
LABELLED = json.loads((DATA / "labelled_tasks.json").read_text())


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(Config().classifier)


def classify(classifier: Classifier, title: str, **fields: object):
    return classifier.classify(QueueTask.model_validate({"id": "t", "title": title, **fields}))


@pytest.mark.parametrize(
    ("title", "master"),
    [
        ("Scan repository for security vulnerabilities", "security"),
        ("Fix bug in dashboard/server/index.js line 42", "development"),
        ("List all repositories in the portfolio", "inventory"),
        ("Roll back the production deploy of api-gateway", "cicd"),
        ("Deploy the dashboard to staging", "cicd"),
        ("Fix XSS in the login form", "security"),
        ("Update README badges", "development"),  # documentation goes where the seed says
    ],
)
def test_seed_simple_examples_go_to_one_master(classifier: Classifier, title: str, master: str) -> None:
    result = classify(classifier, title)
    assert (result.decision, result.master) == ("simple", master)
    assert result.reasons and 0 < result.confidence <= 1


@pytest.mark.parametrize(
    "title",
    [
        "Add authentication system with security audit and docs",
        "Refactor API layer, update tests, and deploy",
        "Build new feature: design → implement → test → audit → document",
    ],
)
def test_seed_complex_examples_need_orchestration(classifier: Classifier, title: str) -> None:
    result = classify(classifier, title)
    assert result.decision == "complex"
    assert result.master is None
    assert result.reasons


def test_orchestration_required_and_high_complexity_always_mean_complex(classifier: Classifier) -> None:
    assert classify(classifier, "Fix typo", orchestration_required=True).decision == "complex"
    assert classify(classifier, "Fix typo", complexity="high").decision == "complex"
    assert classify(classifier, "Fix typo", context={"complexity": "high"}).decision == "complex"
    assert classify(classifier, "Fix typo", orchestration_required="true").decision == "complex"


def test_type_and_prefix_outweigh_misleading_words(classifier: Classifier) -> None:
    result = classify(classifier, "Document the deploy pipeline and rollback steps",
                      description="documentation: write docs/deploy.md about staging and production deploys",
                      type="documentation")
    assert (result.decision, result.master) == ("simple", "development")
    assert any("documentation" in reason for reason in result.reasons)


def test_names_in_paths_and_repositories_are_not_routing_words(classifier: Classifier) -> None:
    result = classify(classifier, "Write a README for example-org/inventory-scanner")
    assert result.master == "development"


def test_declared_size_over_the_seed_thresholds_is_complex(classifier: Classifier) -> None:
    assert classify(classifier, "Improve caching", context={"estimated_duration": "90-120 minutes"}).decision == "complex"
    assert classify(classifier, "Improve caching", context={"estimated_tokens": 80000}).decision == "complex"
    files = ["a.py", "b.py", "c.py", "d.py"]
    result = classify(classifier, "Rename helper", context={"files_affected": files})
    assert result.decision == "complex"
    assert any("4 files" in reason for reason in result.reasons)


def test_routing_words_are_configuration(classifier: Classifier) -> None:
    custom = ClassifierConfig(domains={
        "development": DomainConfig(master="development", keywords=["code"]),
        "inventory": DomainConfig(master="inventory", keywords=["widget"]),
    })
    assert Classifier(custom).classify(QueueTask(id="t", title="Count the widgets")).master == "inventory"


def test_no_routing_words_falls_back_to_the_default_master(classifier: Classifier) -> None:
    result = classify(classifier, "Do the thing")
    assert result.master == "development"
    assert result.confidence <= 0.5


@pytest.mark.parametrize("item", LABELLED, ids=[i["task"]["id"] for i in LABELLED])
def test_labelled_set(classifier: Classifier, item: dict) -> None:
    result = classifier.classify(QueueTask.model_validate(item["task"]))
    label = item["label"]
    assert (result.decision, result.master) == (label["decision"], label["master"]), (
        f"{label['why']} | reasons: {result.reasons}"
    )


def test_a_tie_or_a_narrow_margin_is_said_and_lowers_the_confidence() -> None:
    custom = Classifier(ClassifierConfig(domains={
        "development": DomainConfig(master="development", keywords=["gizmo"]),
        "security": DomainConfig(master="security", keywords=["widget"], hints=["sprocket"]),
    }))
    tie = custom.route("the gizmo and the widget", "")
    assert any(r.startswith("a tie") for r in tie.reasons) and tie.confidence == 0.5
    clear = custom.route("the widget and the sprocket", "")
    assert clear.master == "security" and clear.confidence > 0.9
    assert not any("tie" in r or "narrow" in r for r in clear.reasons)


# --- the head of the work decides (issue 11): each rule with a case it decides and a case it must not --------


@pytest.mark.parametrize(
    ("title", "description", "master", "why"),
    [
        ("Which services still depend on the legacy auth library?", "", "inventory", "a question opens the head"),
        ("Dependency overview: which React versions are used across the frontend", "", "inventory",
         "a question after a short label"),
        ("Find every service that still runs on Java 8", "", "inventory", "find every X: a census"),
        ("Find the memory leak in the image worker", "", "development", "find + one thing is not a census"),
        ("Inventory page crashes when a repository has no topics", "", "development", "a failing page is a bug"),
        ("Secret names with dots break the secrets editor", "", "development", "a failing editor is a bug"),
        ("chartlint exits 1 on warnings", "chartlint (our Go CLI that lints Helm charts) exits 1.", "development",
         "the description says the failing thing is a CLI"),
        ("Payments API returns 502 after the 14:00 deploy", "", "cicd", "a service failing after a deploy"),
        ("Nightly build fails on the arm64 runner", "", "cicd", "a failing build"),
        ("Show the last secrets-scan date on the repository detail page", "", "development", "what a page shows"),
        ("Show which repositories have no owner", "", "inventory", "show which ...: a question, not a screen"),
        ("Cache Gradle dependencies in the Android CI job", "", "cicd", "the change is made in a CI job"),
        ("Add the new notifications service to the docker-compose file", "", "cicd", "a compose file is deploy config"),
        ("Fix the rounding bug in the invoice total in production", "", "development", "production says where only"),
        ("Add dark mode to the vulnerability report viewer", "", "development", "the change is made in a viewer"),
        ("Document the data team's repositories: purpose, language and on-call", "", "inventory",
         "documenting assets"),
        ("Document how to roll back a release", "", "development", "documenting a process is docs"),
        ("Document the repositories feeding the regulatory reporting chain", "", "inventory",
         "documenting repositories is recording what exists, wherever the head names them"),
        ("Document the SCADA server estate", "", "inventory", "servers named before the last word are still assets"),
        ("Record the on-call owner of each service in the catalog", "", "inventory", "recording in the catalog"),
        ("Tag the payments team's repositories with 'pci'", "", "inventory", "a tag on assets"),
        ("Tag v3.1.0 on main and push it", "", "cicd", "a Git tag"),
        ("Review the deploy pipeline for leaked credentials", "", "security", "reviewing for a security concern"),
        ("Remove the /debug/env endpoint that exposes environment variables in production", "", "security",
         "removing a security defect"),
        ("Internal metrics endpoint is reachable without authentication", "", "security", "an exposure"),
        ("Build a CLI that scans for leaked secrets", "", "development", "R2: building a CLI, whatever it finds"),
        ("Scale the checkout service to 6 replicas before the sale", "", "cicd", "scale opens the work"),
        ("Hash API tokens before storing them", "", "security", "hash opens the work; its object counts half"),
        ("Add --output json to the `repos` command of devctl", "", "development", "a name in backticks"),
        ("Rename the 'Audit log' tab to 'Activity' in account settings", "", "development", "a name in quotes"),
        ("Upgrade the Kubernetes client library in the operator", "", "development", "a library named after a tool"),
        ("Configure the Argo CD application for the billing service", "", "cicd", "an Argo CD application is config"),
        ("Enable branch protection on the main branch of the billing repository", "", "security",
         "'repos' is not found in 'repository'"),
    ],
)
def test_the_head_of_the_work_decides_the_master(classifier: Classifier, title: str, description: str, master: str,
                                                 why: str) -> None:
    result = classify(classifier, title, description=description)
    assert (result.decision, result.master) == ("simple", master), (why, result.reasons)


@pytest.mark.parametrize(
    ("title", "description", "complex_", "why"),
    [
        ("Multi-tenancy for the reporting service", "", True, "a capability through a whole service"),
        ("GDPR right-to-erasure", "", True, "a capability through every system"),
        ("Add i18n keys for the new checkout button", "", False, "the capability only qualifies the keys"),
        ("Fix the sharding key typo in the events config", "", False, "a fix is not a capability"),
        ("Decommission the legacy billing system", "", True, "a whole system retired"),
        ("Overhaul of the onboarding platform", "", True, "a whole platform, named after 'of'"),
        ("Admin frontend modernization", "", True, "a whole frontend, the verb as a noun"),
        ("Migrate from MySQL 5.7 to PostgreSQL 15", "", True, "the whole system moves"),
        ("Migrate the users table to bigint ids", "", False, "one table"),
        ("Build a notification platform for email, SMS and push", "", True, "a new platform"),
        ("Create a settings panel for the notification preferences", "", False, "a panel is one component"),
        ("Loyalty program MVP", "", True, "a program of work"),
        ("Schema migration for the orders.total column", "", False, "a schema migration is one change"),
        ("Replace the homegrown login with Okta SSO across the customer apps", "", True, "across the apps"),
        ("Use the new brand colours across the marketing pages", "", False, "styling across pages (F4)"),
        ("Write a TypeScript client for the inventory service's GraphQL API",
         "Generated types plus hand-written helpers for the repositories and assets queries, with cursor "
         "pagination and a short README.", False, "features of one client are not other masters' parts"),
        ("Path traversal is back in the attachment download handler",
         "In March we implemented a fix, deployed it to production and released it as v2.1. A later refactor "
         "reintroduced the bug. Fix it again and add a regression test.", False, "history is not work (R3)"),
        ("Fix the timezone bug in the scheduled report export",
         "Change reports/export.py only. For background see reports/schedule.py, utils/tz.py, settings/base.py "
         "and docs/reports.md.", False, "files named as background are not changed (R4)"),
    ],
)
def test_whole_systems_and_capabilities_are_complex_and_their_look_alikes_are_not(
        classifier: Classifier, title: str, description: str, complex_: bool, why: str) -> None:
    result = classify(classifier, title, description=description)
    assert (result.decision == "complex") is complex_, (why, result.reasons)


def test_text_helpers_of_the_head_rules() -> None:
    from orchestrator.textsignals import head_phrase, keyword_pattern, place_phrase, without_narrative

    assert head_phrase("Which services still depend on the auth library?") == "Which services still depend"
    assert place_phrase("Route /v2 to the new api service in the production ingress") == "production ingress"
    assert place_phrase("Fix bug") == ""
    assert not keyword_pattern("repos").search("repository") and keyword_pattern("repos").search("repos")
    assert keyword_pattern("deploy").search("deployment")
    told = without_narrative("In March we implemented a fix, deployed it to production. Fix it again.")
    assert "deployed" not in told and "implemented" not in told and "Fix it again." in told
    assert without_narrative("the changelog is merged; tag and publish.").strip() == "tag and publish."


@pytest.mark.parametrize(
    ("title", "master"),
    [
        ("Write a Helm chart for the notification service", "cicd"),  # a Helm chart is cicd's artifact
        ("Add Content-Security-Policy and HSTS headers to the marketing site", "security"),
        ("Make the deploy history table sortable by date", "development"),  # 'deploy' only qualifies the data
    ],
)
def test_a_keyword_right_before_the_noun_makes_it_that_masters_artifact(classifier: Classifier, title: str,
                                                                        master: str) -> None:
    assert classify(classifier, title).master == master


def test_late_rules_a_lead_phrase_a_pronoun_sequence_and_verbless_capabilities(classifier: Classifier) -> None:
    assert classify(classifier, "Back up the orders database before the Sunday maintenance").master == "cicd"
    assert classify(classifier, "Real-time notifications").decision == "complex"  # a capability, no verb
    assert classify(classifier, "Self-service password reset").decision == "complex"
    assert classify(classifier, "Switch payment provider from Stripe to Adyen").decision == "complex"
    assert classify(classifier, "Switch the date picker to the new design-system component").decision == "simple"
    from orchestrator.textsignals import sequence_markers

    assert sequence_markers("Fix the XSS and ship it as 2.3.1") == ["and ship it"]  # the second works on the first
    assert sequence_markers("Fix it again and add a regression test") == []


@pytest.mark.parametrize(
    ("title", "description", "expected", "why"),
    [
        ("security: the staging bucket policy", "", "security", "a coordinator's '<type>: ' title prefix"),
        ("repos: add a tooltip to the save button", "", "development", "... when it is a known type"),
        ("Password reset emails", "", "development", "a verbless title is named by its last noun"),
        ("Helm chart for the api", "", "cicd", "... unless a master's keyword makes it that master's artifact"),
        ("I got a password reset link for someone else's account", "", "security",
         "a sentence with a subject is not a noun phrase"),
        ("Need this before the board meeting",
         "A one-page overview of every service we run: name, team, language, where it is deployed.", "inventory",
         "a title naming no work: the description's first request is the head"),
        ("Fix the XSS in the search box and ship it as 2.3.1", "", "complex",
         "a lead verb opening a clause names its domain there: security, then cicd"),
        ("Design, build and roll out the new notification service", "", "complex", "three steps of one deliverable"),
        ("Build and push the worker image", "", "cicd", "two verbs of one job are not steps"),
        ("Customer data export: API endpoint, background job, download page and a security review", "", "complex",
         "a list in the title is parts"),
        ("Add a health endpoint to the api and wire it into the Kubernetes readiness probe", "", "complex",
         "'and wire it into' orders the work"),
        ("Write the backfill script and run it against production", "", "complex",
         "'and run it against' orders; writing a script is development (R2)"),
        ("Epic: self-serve billing", "Customers change their plan and card themselves.", "complex",
         "an 'Epic:' label names a program"),
        ("New customer portal with billing, tickets and usage pages", "", "complex", "a new portal is a system"),
        ("Move everything from Heroku to AWS", "", "complex", "a whole move"),
        ("SSO", "", "complex", "a capability named alone"),
        ("Multi-currency support", "", "complex", "a capability and its tail"),
        ("SSO login button is misaligned", "", "development", "a failure report is not a program"),
        ("Set up real-time alerts for the payments queue", "", "cicd",
         "a capability word that only qualifies the object of 'set up'"),
        ("Old employees still have GitHub access", "", "security", "access that must be removed"),
        ("The scan button on the repository page is greyed out", "", "development", "a failure in users' words"),
        ("Pipeline page takes 30 seconds to load", "", "development", "a slow page is the page's failure"),
        ("Session doesn't expire after logout", "", "security", "a session that never expires is a defect"),
        ("Someone could guess the invite links", "", "security", "guessable links are a defect"),
        ("Make sure nobody can read other tenants' files", "", "security", "'make sure' checks, it makes nothing"),
        ("Tag and publish the 1.8 SDK to PyPI", "", "cicd", "another master's lead verb names the work on the SDK"),
        ("Blue/green for the checkout service", "", "cicd", "blue/green is a word, not a path"),
        ("Take away the contractor's access to production", "", "security", "removing access"),
        ("Make the test job run on every pull request", "", "cicd", "a CI trigger"),
        ("Asset tags for the new data center", "", "inventory", "an asset register"),
        ("Put together a spreadsheet of all our domains and when they expire", "", "inventory", "a census sheet"),
        ("Small change to the signup form",
         "Add a company size dropdown. It must be stored in the accounts table, sent to the CRM sync job, shown "
         "in the admin customer view and included in the weekly analytics export.", "complex",
         "a change carried to 3+ places"),
        ("Quick security thing",
         "Rotate the leaked Sentry DSN and add a secret-scanning pre-commit hook to all 40 repositories.", "complex",
         "'to all 40 repositories' spans systems"),
        ("Pipeline stuff",
         "The deploy job takes 20 minutes because it rebuilds the image from scratch every time. Enable layer "
         "caching in the build step.", "cicd", "why it is slow is not what to do"),
        ("Improve observability",
         "Add structured request logging to the orders service (a middleware in orders/app.py).", "development",
         "a capability whose text names its one file is not a program"),
        ("Add a secret-scanning pre-commit hook to all 40 repositories", "", "complex", "'to all 40 repositories'"),
        ("Apply the new button style to all tabs of the settings page", "", "development", "'to all' tabs is styling"),
        ("Fix the CSV export of the orders table", "Reproduce with the sample file, fix the quoting in export.py, add "
         "a test and update the changelog.", "development", "fixing a software thing is not a new part (R2 is making)"),
        ("For the release planning", "List every cron job on the old VMs, its schedule and its owner.", "inventory",
         "a title that says what the work is for names no work"),
        ("Admin API answers without a token", "", "security", "reachable without a token"),
        ("Can users change someone else's email through the profile API?", "", "security", "another user's data"),
        ("From the bug bounty", "A researcher reported stored XSS in the project description field. Sanitize the "
         "rendered HTML.", "security", "a title that says where the work came from names no work"),
        ("Ops request", "Please take the notifications service back to 3.8.2 in production; 3.9.0 sends duplicate "
         "pushes.", "cicd", "'back to 3.8.2' is a rollback; 'please' does not open the request"),
        ("Take the search service back to the previous release", "", "cicd", "a rollback whatever the verb"),
        ("Rename a column", "Rename `customer_ref` to `account_id`: the database migration, the REST API fields, the "
         "mobile app's models, the analytics warehouse views and the partner docs.", "complex", "4+ listed parts"),
        ("Add rate limiting to the public API, load-test it, and roll it out behind a flag", "", "complex",
         "'and roll it out behind' orders the work; roll is an action"),
        ("Unowned services", "", "inventory", "services without an owner: a census"),
        ("Usage-based pricing", "", "complex", "a capability"),
    ],
)
def test_second_round_rules_on_how_real_queues_phrase_work(classifier: Classifier, title: str, description: str,
                                                          expected: str, why: str) -> None:
    result = classify(classifier, title, description=description)
    assert (result.master or result.decision) == expected, (why, result.reasons)


def test_the_first_request_of_a_description_is_not_in_its_acceptance_criteria(classifier: Classifier) -> None:
    described = "The date picker needs a focus ring.\n\nAcceptance criteria:\n- snapshot tests updated"
    assert classifier._first_request(described) == "The date picker needs a focus ring."
    assert classifier._first_request("Customers abandon the form. Please add autocomplete.") == "add autocomplete."


def test_which_clauses_make_a_domain_involved(classifier: Classifier) -> None:
    # everyday verbs inside a description are not a master's work; quantified, a census is
    assert classifier.involved_domains("Add a retry button to the sender page, push the branch and list the errors") \
        == ["development"]
    assert "inventory" in classifier.involved_domains("Fix the login page, then list every repository with a stale token")
    # writing a script is development's part (R2), unless another master's words share its clause
    assert classifier.involved_domains("Write the backfill script and run it against production") \
        == ["development", "cicd"]
    assert "development" not in classifier.involved_domains("Create a dashboard in Grafana and alert on errors")
    # what must not happen is a constraint of the work, not a part of another master's
    assert classifier.involved_domains("Add request logging to the orders service; no personal data in the logs") == []


def test_the_trigram_index_finds_exactly_the_routing_words_a_full_scan_finds(classifier: Classifier) -> None:
    """The index is only a shortcut: over every text of the corpora, and words at the very end or
    shorter than three letters, it must find the same words in the same order as testing each."""
    corpus = Path(__file__).parent / "data" / "corpus"
    parts = [Path(learned.__file__).parent / "data" / learned.EXAMPLES, corpus / "test.json", corpus / "blind.json"]
    texts = [f"{r['task'].get('title', '')}\n{r['task'].get('description', '')}".lower()
             for part in parts for r in json.loads(part.read_text())]
    texts += ["fix the ui", "ci", "move to cd", "update the docs", "a", "", "sql injection in the api"]
    for text in texts:
        assert classifier._present(text) == [entry for entry in classifier._flat if entry[2] in text], text


def test_a_hint_of_another_master_is_not_its_keyword_whichever_is_asked_first(classifier: Classifier) -> None:
    """``_other_domain`` remembers its answers: asking with and without ``keywords_only`` are two questions."""
    fresh = Classifier(ClassifierConfig())
    assert fresh._other_domain("password") and not fresh._other_domain("password", keywords_only=True)
    fresh = Classifier(ClassifierConfig())
    assert not fresh._other_domain("password", keywords_only=True) and fresh._other_domain("password")


def test_involved_domains_remembered_are_the_same_and_not_shared(classifier: Classifier) -> None:
    """One classification asks about the same text up to three times: the answer is remembered,
    and each caller gets its own list (one that changes it changes nobody else's)."""
    text = "Build the billing API, run a security audit of it and deploy it to production"
    first = classifier.involved_domains(text)
    assert first == classifier._involved_domains(text) and len(first) >= 2
    first.append("changed by the caller")
    assert classifier.involved_domains(text) == classifier._involved_domains(text)


def test_a_first_word_of_thousands_of_letters_is_looked_up_by_its_short_prefixes_only() -> None:
    """A hostile task opening with one 20,000-letter "word" cost 20,000 lead lookups per scored text (a
    quarter of a second a classification); no lead is longer than the longest routing word."""
    classifier = Classifier(ClassifierConfig(), learned=None)

    class Counting(dict):  # type: ignore[type-arg]
        gets = 0

        def get(self, *args: object) -> object:
            Counting.gets += 1
            return super().get(*args)

    classifier._leads = Counting(classifier._leads)  # type: ignore[assignment]
    classifier.route("a" * 20_000)
    assert 0 < Counting.gets <= 2 * classifier._longest_lead


# --- Fifth round (tests/data/tuning/route8.json: simple tasks from people outside engineering, mobile, data/ML,
# IoT, office IT, games and media, compliance, named tools). New phrasings of each cause, with their opposites.


SIXTH_ROUND_CASES = [
    # a path that is operations' file says where the change is made; a program's path says nothing
    ("charts/search/values-staging.yaml: set replicaCount to 3", "", "cicd", "a chart's values"),
    ("terraform/modules/vpc/main.tf - add a second NAT gateway", "", "cicd", "infrastructure code"),
    ("Move actions/upload-artifact to v4 in the nightly job", "", "cicd", "a GitHub Action"),
    ("Open release/24.3 from main and tag rc1", "", "cicd", "a release branch"),
    ("web/src/pages/Invoices.tsx: totals row is misaligned", "", "development", "a program's file"),
    ("lib/search/ranker.py - boost exact title matches", "", "development", "a program's file"),
    # the states and alerts operations people paste (Kubernetes, Prometheus), a node drained, vCPUs
    ("KubeDeploymentReplicasMismatch on orders-api in prod", "", "cicd", "a Kubernetes alert"),
    ("invoice-api pods OOMKilled since the 3.4 rollout", "", "cicd", "a pod state"),
    ("ImagePullBackOff on the reporting cronjob", "", "cicd", "a pod state"),
    ("Cordon and drain node-17 for the disk swap", "", "cicd", "a node"),
    ("Bump the analytics VM to 8 vCPUs", "", "cicd", "capacity"),
    ("Write a kubectl plugin that lists pods without limits", "", "development", "a plugin is a program"),
    ("Drain the connection pool before the schema change", "", "development", "not a node"),
    ("Reboot the build hosts in Sunday's patch window", "", "cicd", "maintenance, not a security patch"),
    ("Patch the OpenSSL on the build hosts for CVE-2024-5535", "", "security", "a vulnerability patched"),
    # the detectors and scanners security's people paste, and their findings' words
    ("Checkov CKV_K8S_20 on the ingress chart", "", "security", "a scanner finding"),
    ("Grype reports 9 high in the worker image", "", "security", "a scanner finding"),
    ("GuardDuty: Recon:EC2/PortProbeUnprotectedPort on the jump host", "", "security", "a detector finding"),
    ("The payments client sets InsecureSkipVerify: true", "", "security", "TLS checks off"),
    ("The reporting service account is bound to cluster-admin", "", "security", "excess privilege"),
    ("The reports bucket has a public ACL", "", "security", "a public bucket"),
    # a conventional commit's scope is a label naming the part changed; "ci" as its kind says the work
    ("chore(ci): drop Python 3.8 from the test matrix", "", "cicd", "the scope is CI"),
    ("ci(lint): only lint the changed files", "", "cicd", "the kind is CI"),
    ("chore(security): drop the hardcoded SMTP password from settings.py", "", "security", "a hardcoded secret"),
    ("docs(catalog): add the two new data repos to the catalog", "", "inventory", "recording repositories"),
    ("chore(deps): bump axios to 1.7 in the web app", "", "development", "a library bump, no advisory"),
    # a team named as who asks or whom it is for is no kind of work; what follows is
    ("For the security team: add an 'MFA enabled' filter to the user list page", "", "development", "a filter"),
    ("Security folks want a list of the repos with their default branch", "", "inventory", "a census"),
    ("The release team asked for a dark mode toggle in the changelog viewer", "", "development", "a toggle"),
    ("Ops asked: which VMs still run Ubuntu 18.04?", "", "inventory", "a census"),
    ("The security team asked us to rotate the Stripe webhook secret", "", "security", "a rotation"),
    ("Ask the security team to review the new login flow", "", "security", "a review, whoever does it"),
    # a program that leaks what it holds has a memory leak; a secret leaked is still security's
    ("The sync client leaks file handles on every retry", "", "development", "a resource leak"),
    ("Connection leak in the reporting job after a timeout", "", "development", "a resource leak"),
    ("useInterval hook leaks an interval when the tab closes", "", "development", "a resource leak"),
    ("The status page leaks the internal connection string", "", "security", "a secret shown"),
    ("The export API leaks other tenants' invoices", "", "security", "data exposed"),
    # a builder is a thing and build-07 a host: neither is the CI build
    ("The form builder loses the field order on save", "", "development", "a program"),
    ("Rootkit alert on build-12", "", "security", "a compromised host"),
    ("Worker prompt repeats the title", "The prompt builder adds the title twice.", "development", "a program"),
    ("The nightly build is red since the lockfile change", "", "cicd", "the CI build"),
    # a title that states a symptom and then asks: the request is the work
    ("Orders API slow since Monday; scale it to 6 replicas", "", "cicd", "scaling asked"),
    ("The nightly export is 3 hours late; restart the job", "", "cicd", "a restart asked"),
    ("Queue consumers lag behind - restart them", "", "cicd", "a restart asked"),
    ("Checkout button is grey on Safari - add the missing CSS class", "", "development", "a code change asked"),
    ("The invoice totals are off by a cent; fix the rounding", "", "development", "a repair asked"),
    # an environment made for each change is operations'
    ("Spin up a preview environment for every PR of the marketing site", "", "cicd", "environments"),
    ("Ephemeral environments for each branch of the docs repo", "", "cicd", "environments"),
    ("Add a 'preview' button to the post editor", "", "development", "a button"),
    # what a scanner or detector names in its label is a finding it reports; a request after it is read as asked
    ("Falco: package manager run in the checkout container", "", "security", "a detection"),
    ("OWASP ZAP: missing anti-clickjacking header on the help center", "", "security", "a finding"),
    ("Trivy: add the image scan to the release pipeline", "", "cicd", "a pipeline step asked"),
    ("SonarQube: duplicated blocks in the invoice renderer", "", "development", "a code-quality finding"),
    # a relative "which" asks nothing; an interrogative one still does
    ("Round the VAT per line", "Totals are computed on the sum, which is rounded once. Round each line instead.",
     "development", "a relative pronoun"),
    ("Tax report is off by a cent", "The helper truncates, which already caused two support tickets.",
     "development", "a relative pronoun"),
    ("For the licence review", "List the SaaS tools we pay for, which team uses each and the yearly cost.",
     "inventory", "an interrogative in a list"),
    # a sheet or a tracker of assets is a register of them
    ("Add the two new NAS boxes to the hardware tracker", "", "inventory", "recording assets"),
    ("Put the new build agents on the asset sheet", "", "inventory", "recording assets"),
    ("Add a serial number column to the asset tracker page", "", "development", "a column on a page"),
]


SEVENTH_ROUND_CASES = [
    # a verb that only says to attend to a thing ("Look into", "Sort out", "Take care of", "Deal with"): what
    # follows is the head, its preposition does not end it, and "sort out" sorts nothing on a screen
    ("Look into the failed login attempts on the VPN portal", "", "security", "an attacker's trail"),
    ("Take care of the Trivy issues in the billing repo", "", "security", "scanner findings"),
    ("Sort out the swap filling up on the jenkins host", "", "cicd", "a host's disk"),
    ("Sort out the DKIM record for the support domain", "", "security", "email authentication"),
    ("Sort the invoices table by due date", "", "development", "sorting on a screen"),
    ("Look into the slow search on the help center page", "", "development", "a page's defect"),
    # who may reach or read what, said as a state with no security word
    ("CI jobs can read each other's workspaces", "", "security", "isolation"),
    ("The BI role can read the payroll tables", "", "security", "a role's reach"),
    ("Firewall rules let every laptop reach the admin VLAN", "", "security", "a rule too broad"),
    ("The marketing service account has admin permissions on the bucket", "", "security", "too much access"),
    ("The deploy user has ec2:* on every account", "", "security", "a wildcard permission"),
    ("The wiki allows registrations from anyone", "", "security", "open sign-up"),
    ("The Finance drive is shared with everyone in the company", "", "security", "sharing too broad"),
    ("A Slack webhook token was committed to the ops repo", "", "security", "a secret in a repository"),
    ("The build container runs the agent as root", "", "security", "root in a container"),
    ("Let users share boards with everyone in their workspace", "", "development", "a product capability"),
    ("Admins can delete any comment from the moderation page", "", "development", "a screen's capability"),
    # changing who may access what, and leavers, are security's whatever is reached
    ("Remove the agency's access to the staging database", "", "security", "revoking access"),
    ("Give the auditors read access to the billing share", "", "security", "granting access"),
    ("Accounts of employees who left in March are still enabled", "", "security", "leavers' accounts"),
    ("Disable Tom's logins on his last day", "", "security", "offboarding"),
    ("Trim the admin roles in the CRM to three people", "", "security", "admin rights"),
    ("Remove the access log table from the admin page", "", "development", "a table on a page"),
    # a census someone asks to know, and what the things sought lack, is a census
    ("Compliance wants to know which of our apps still use TLS 1.0", "", "inventory", "a census"),
    ("The board would like to know how many tablets are in the field", "", "inventory", "a count"),
    ("Which hosts don't run the backup agent?", "", "inventory", "what the hosts lack is sought"),
    ("Why doesn't the backup agent run on db-3?", "", "cicd", "a failure report"),
    ("Tidy up the hardware tracker: merge duplicates, fix owners", "", "inventory", "keeping a register"),
    # running a thing on a schedule is operations' unless what runs is a security check
    ("Schedule the PII purge script for every Sunday", "", "cicd", "a scheduled job"),
    ("Schedule the secrets scan every night", "", "security", "a scan, whatever triggers it"),
    # a domain's lead verb after a short label still opens the work
    ("Edge: block the scrapers hitting the pricing API", "", "security", "blocking an attack"),
    ("Checkout: block the submit button while the payment is saving", "", "development", "a button"),
    # a task naming only a product: identity and endpoint-protection products are security's, device management
    # and network products operations'; a button that names one is the program's
    ("JumpCloud sync creates duplicate users", "", "security", "identity"),
    ("SentinelOne agent is missing on the new Windows box", "", "security", "endpoint protection"),
    ("Kandji: update the blueprint for the design team", "", "cicd", "device management"),
    ("Kandji: enrol the loaner iPads", "", "inventory", "a device enrolled is an asset, whatever MDM names (route14)"),
    ("Add a 'Continue with Auth0' button to the signup page", "", "development", "a button"),
    # a person's account opened, locked or closed is who may get in; an account screen or a user's own is the product's
    ("Give the new intern a Jira account", "", "security", "an account for a person"),
    ("Suspend Omar's VPN login until he is back", "", "security", "a person's login"),
    ("Reset Lena's account settings page to the defaults", "", "development", "a screen"),
    ("Let customers close their account from the app", "", "development", "a product capability"),
    # a certificate that needs renewing asks for its renewal, as one that expires does
    ("The TLS cert on the billing portal needs renewing", "", "cicd", "a certificate renewal"),
    ("Show certificates that need renewal on the domains page", "", "development", "a page"),
    # hardware and hosts operations people name
    ("Install two hypervisors in rack B", "", "cicd", "compute hardware"),
    ("Server room temperature alarm at 31 degrees", "", "cicd", "a room of servers"),
    ("Wi-Fi keeps dropping in the Porto office", "", "cicd", "the office network"),
    ("Install the new printer on floor 2", "", "cicd", "an office device"),
    ("Add a printer selection dropdown to the shipping label page", "", "development", "a dropdown"),
]
"""The sixth routing round (bot and alert voices): its causes with their opposites, run with the fifth's."""


@pytest.mark.parametrize(
    ("title", "description", "master", "why"),
    [
        # a security defect said as the state of a thing operations tools name: the tool says where, the state what
        ("The ingest containers on the batch cluster run as root", "", "security", "running as root"),
        ("Our Helm values bucket is readable by anyone", "", "security", "a bucket anyone can read"),
        ("Grafana on the ops cluster is reachable from the internet", "", "security", "an exposed admin tool"),
        ("The Redis on the cache host accepts anonymous connections", "", "security", "no authentication"),
        ("Presigned download URLs from the S3 bucket never expire", "", "security", "links that never expire"),
        ("The Segment write key is in the iOS app bundle", "", "security", "a secret shipped to users"),
        ("Pods in the search namespace keep restarting", "", "cicd", "a cluster's failure, no security state"),
        ("Download URLs open the wrong file", "", "development", "a program's failure"),
        # a secret or a card number shown, logged or revealed
        ("The checkout service logs full credit card numbers", "", "security", "card numbers in the logs"),
        ("Help bot reveals the system prompt to users", "", "security", "prompt leakage"),
        ("Add a card number field to the payment form", "", "development", "a field that asks for one"),
        ("Update the help bot's system prompt with the new opening hours", "", "development", "a prompt's text"),
        # security's words as its own people write them
        ("Invoices are sent unencrypted to the print share", "", "security", "data sent unprotected"),
        ("Enable BitLocker on the reception PCs", "", "security", "disk encryption"),
        ("Set up DKIM for the newsletter domain", "", "security", "mail authentication"),
        ("Change the SNMP community string on the core routers", "", "security", "a shared secret"),
        ("Show the stolen-items count on the store dashboard", "", "development", "what a screen shows"),
        # an outage of a running system is operations'
        ("Intranet wiki is down since the power cut", "", "cicd", "an outage, not documentation"),
        ("The file server is unreachable from the Porto office", "", "cicd", "an outage"),
        ("Search page is down for Safari users", "", "development", "a page's failure"),
        ("The app shows 'offline' although Wi-Fi is on", "", "development", "an app's state, not an outage"),
        ("Show a friendly message while the payment provider is down", "", "development", "an outage as the condition"),
        # what office networks and machines are
        ("Set up a VPN for the new Munich office", "", "cicd", "network infrastructure"),
        ("Reserve a DHCP address for the door controller", "", "cicd", "network operations"),
        ("Install JupyterHub on the data science VM", "", "cicd", "a service set up on a VM"),
        ("Give the auditors VPN access", "", "security", "access"),
        ("Add a VPN toggle to the settings screen", "", "development", "a screen's toggle"),
        # documenting devices, data sets and automations records assets; whose a thing is does not
        ("Document the sensors installed in the cold store", "", "inventory", "devices"),
        ("Document the laptops issued to the support team", "", "inventory", "devices"),
        ("Document the payment service's webhook API", "", "development", "API documentation"),
        ("Document the dataset loader", "", "development", "code documentation"),
        # a lead verb's word that opens a noun is the thing named
        ("Push notifications show the wrong sender name", "", "development", "push notifications are the app's"),
        ("Release notes page in the help center shows raw Markdown", "", "development", "a page"),
        ("Push the worker image to the registry", "", "cicd", "push is the work"),
        ("Release the 2.4 app to the App Store", "", "cicd", "release is the work"),
        # limiting who may do what is access control
        ("Limit who can approve production deploys", "", "security", "who may deploy"),
        ("Restrict who can read the payroll bucket", "", "security", "who may read"),
        ("Restrict the date picker to weekdays", "", "development", "a picker's behaviour"),
        # what a census question looks for (a relative clause, the kinds in parentheses) is no failure
        ("Which printers do we have that don't support duplex?", "", "inventory", "a census"),
        ("Which test benches (incl. the crashing ones) are in the Porto lab?", "", "inventory", "a census"),
        ("Which page crashes on Safari?", "", "development", "a failure asked about"),
        # what a security programme keeps
        ("Gather PCI DSS evidence for the quarterly firewall review", "", "security", "compliance evidence"),
        ("Add the new vendor to the risk register", "", "security", "a risk register"),
        ("Add the new laptops to the asset register", "", "inventory", "an asset register"),
        ("Gather the Node versions of the frontend repos", "", "inventory", "a census"),
        # a date for a page or an app to be live is a release
        ("Product wants the pricing page live before the launch", "", "cicd", "a release"),
        ("Support wants live updates on the tickets page", "", "development", "live data on a page"),
        # operations' words: backups, log retention, CloudWatch; recording into the CMDB
        ("Turn on point-in-time recovery for the billing database", "", "cicd", "backups"),
        ("Set the log retention of the API gateway to 90 days", "", "cicd", "log retention"),
        ("Ship the API access logs to CloudWatch", "", "cicd", "log shipping"),
        ("Put the new firewalls in the CMDB", "", "inventory", "recording assets"),
        ("Put the CMDB link in the sidebar", "", "development", "a link on screen"),
        # a security word naming a screen is the screen's name
        ("The Leaked Secrets tab is blank for new projects", "", "development", "a screen's failure"),
        ("Exposed credentials panel shows duplicates", "", "development", "a screen's failure"),
        ("Audit trail table should show the user's email", "", "development", "a table in the UI"),
        ("Scan results page is blank for new projects", "", "development", "a page's failure"),
        ("Hardcoded password in the login page", "", "security", "a defect on a page"),
        ("Audit the log tables for personal data", "", "security", "an audit"),
        # a review of who may do what, and access given or taken
        ("Review who can merge to main in the payments repo", "", "security", "an access review"),
        ("Legal asks: who can see the contracts folder? Please check", "", "security", "an access review"),
        ("Review the page that shows who can edit a document", "", "development", "a page"),
        ("Take the admin rights of the interns in Confluence away", "", "security", "removing access"),
        ("Set up a Google Workspace account for the new designer with access to Figma", "", "security",
         "granting access"),
        # operations' verbs and things no word named: containerizing, a VPN, office and lab hardware
        ("Dockerize the invoice parser so it runs on the batch hosts", "", "cicd", "an image to build"),
        ("Configure the VPN for the Warsaw office", "", "cicd", "network infrastructure"),
        ("Replace the access points on the second floor", "", "cicd", "office network hardware"),
        ("Set up an MQTT broker on the workshop PC", "", "cicd", "a service set up on a machine"),
        ("Move the render farm to the new rack", "", "cicd", "compute hardware"),
        ("Add a broker selection dropdown to the trading form", "", "development", "a dropdown"),
        ("Failed sign-ins on the VPN concentrator all night", "", "security", "failed logins are an attacker's"),
        ("VPN client in the mobile app failed to connect after the update", "", "development", "an app's failure"),
        # data shared by a public link, a guest network that reaches inside
        ("Finance shares the payroll sheet via public Dropbox links", "", "security", "data exposure"),
        ("Guest network can access the CCTV recorder", "", "security", "missing segmentation"),
        ("Let users share dashboards via public links", "", "development", "a product capability"),
        # a count that is a thing's property is no census; "a count of" and "Count the" are
        ("The unread count on the inbox icon lags behind", "", "development", "a property on screen"),
        ("Raise the retry count of the ingest job", "", "development", "a setting of a job"),
        ("A count of the VMs per subscription, please", "", "inventory", "a census"),
        # someone reporting is no report to make
        ("Store manager reports the barcode labels print blurry", "", "development", "a defect told"),
        ("Teacher reported a blank timetable for year 7", "", "development", "a defect told"),
        # a default password whatever it opens, and the scanners security's people name
        ("The cameras ship with the same default root password", "", "security", "default credentials"),
        ("Run Semgrep on the payments repo and triage what it finds", "", "security", "a security scan"),
        ("Generate a report of the repos without owners", "", "inventory", "a census report"),
        *SIXTH_ROUND_CASES,
        *SEVENTH_ROUND_CASES,
    ],
)
def test_fifth_round_causes_with_their_opposites(rules: Classifier, title: str, description: str, master: str,
                                                 why: str) -> None:
    result = classify(rules, title, description=description)
    assert (result.master or result.decision) == master, (why, result.reasons)


@pytest.mark.parametrize(
    ("title", "kind", "master", "why"),
    [
        # a tie between the title's head and the type goes to the head; a type that outscores it still decides
        ("Add a download button to the audit trail page", "security", "development", "a button: a tie, the head's"),
        ("Add a date filter to the audit log screen", "security", "security", "the type outvotes the head"),
        ("Rotate the staging database password", "development", "security", "the head and its words outvote the type"),
    ],
)
def test_a_tie_between_head_and_type_goes_to_the_head(rules: Classifier, title: str, kind: str, master: str,
                                                      why: str) -> None:
    result = classify(rules, title, type=kind)
    assert result.master == master, (why, result.reasons)


@pytest.mark.parametrize(
    ("title", "description", "master", "why"),
    [
        # a test of the program is its code, flaky or failing (the model took "flaky" for a runner's); a flaky
        # runner or stage is operations'
        ("Fix the flaky checkout e2e test", "", "development", "a test of the program (the issue's example)"),
        ("Flaky search e2e test", "", "development", "a test of the program"),
        ("Flaky cart spec: fix the race on the price update", "", "development", "a test of the program"),
        ("The integration tests are flaky on the ARM runners", "", "cicd", "a flaky runner"),
        # a dashboard in a monitoring tool is monitoring; a dashboard page of the program is the program's
        ("Create a Grafana dashboard for signup latency", "", "cicd", "monitoring"),
        ("Build a Kibana dashboard for the payment errors", "", "cicd", "monitoring"),
        ("Add a usage chart to the account dashboard page", "", "development", "a page of the program"),
        ("Add a monitor for the p95 latency of the search service", "", "cicd", "monitoring"),
        ("Add a heart-rate monitor screen to the watch app", "", "development", "a screen"),
        # a library bump that names no advisory is the program's change, whoever opened it; a bump of an Action or
        # one for an advisory is not
        ("Bump chalk from 5.2.0 to 5.3.0 in /cli", "Bumps chalk from 5.2.0 to 5.3.0. You can trigger a rebase of this PR "
         "by commenting @dependabot rebase.", "development", "a library bump"),
        ("Bump guava from 32.0.0 to 32.1.3 in /inventory-sync", "", "development", "a library bump"),
        ("Bump chalk from 5.2.0 to 5.3.0", "Dependabot security update for GHSA-5v2h-r2cx-5xgj.", "security",
         "a bump for an advisory"),
        ("Bump actions/setup-python from 4 to 5", "", "cicd", "a workflow's Action"),
        # a crash report's release field asks for no release
        ("Sentry: TypeError in InvoiceList.tsx", "Release shop@2.9.1. 12 events, 9 users.", "development",
         "an exception in a component"),
    ],
)
def test_seventh_round_causes_the_model_met(title: str, description: str, master: str, why: str) -> None:
    result = classify(Classifier(ClassifierConfig()), title, description=description)
    assert (result.master or result.decision) == master, (why, result.reasons)
