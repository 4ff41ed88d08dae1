"""Plans25: parts run in the order of the text's data flow (a finding first, a register entry or an evidence pack after
what it records, a pronoun where things go or what is used after the part that made it, a review the thing 'needs'
after its build, a deploy after its tag, a staged move after what its sentence made), a register kept up to date
beside the work, masters from the deliverable (finding -> inventory, MFA -> security, secrets moved -> security,
'schedule it' -> the job's master, a staged move -> cicd) and criteria that fit the part's kind and keep acronyms.
Each behaviour has its opposite. New phrasings, not the tasks of tests/data/tuning/plans25.json."""

from __future__ import annotations

from orchestrator.models import Plan, Subtask
from orchestrator.planner import _criteria
from test_plan_wording import plan_for


def _part(plan: Plan, start: str) -> Subtask:
    return next(s for s in plan.subtasks if s.title.startswith(start))


def _stage(plan: Plan, start: str) -> int:
    return _part(plan, start).stage


def test_a_finding_part_is_inventorys_and_runs_first() -> None:
    plan = plan_for("SMTP passwords of the cron jobs", "Find where every cron job's SMTP password is kept, move them "
                    "into 1Password and change the cron jobs to read them from there.")
    found = _part(plan, "Find where every cron job")
    assert found.assigned_to == "inventory" and found.stage == 1
    assert found.success_criteria.startswith("Written down (find where every cron job")
    assert _stage(plan, "Move them into 1Password") > 1
    assert _part(plan, "Move them into 1Password").assigned_to == "security"  # the passwords found, moved
    assert _stage(plan, "Change the cron jobs") > _stage(plan, "Move them into 1Password")


def test_a_search_for_a_cause_is_no_finding_and_things_moved_are_no_secrets() -> None:
    plan = plan_for("Nightly export broken", "Find out which commit broke the nightly export, fix it and add a "
                    "regression test.")
    assert _part(plan, "Find out which commit").assigned_to != "inventory"
    moved = plan_for("Old ERP invoices", "Export the invoices from the old ERP, move them to the archive bucket and "
                     "update the retention runbook.")
    assert _part(moved, "Move them to the archive bucket").assigned_to != "security"


def test_a_register_entry_comes_after_what_it_records() -> None:
    plan = plan_for("Onboard Alpine Foods as a supplier", "Alpine Foods starts in May. We need a webhook receiver for "
                    "their order events in the shop backend, a new SFTP account for their price files, a security review "
                    "of the firewall rules for their IP ranges, and their entry added to our vendor catalog.")
    entry = next(s for s in plan.subtasks if "entry added" in s.title)
    assert entry.assigned_to == "inventory"
    assert entry.stage > max(s.stage for s in plan.subtasks if "webhook receiver" in s.title or "SFTP" in s.title)
    assert entry.success_criteria.startswith("Recorded (")
    partner = plan_for("Onboard Coastal Dental as referral partner", "Coastal Dental goes live on 9 April. We need a "
                       "REST integration with their claims API in the member portal, an SFTP drop for their statements, "
                       "a security review of the SFTP firewall rules, deployment to production, and their entry added "
                       "to our partner register.")
    assert next(s for s in partner.subtasks if "entry added" in s.title).assigned_to == "inventory"  # was security's


def test_a_register_kept_up_to_date_runs_beside_the_work() -> None:
    plan = plan_for("Depot PCs", "Update the asset register with the March deliveries, and fix the label printer driver "
                    "on the depot PCs.")
    assert _stage(plan, "Update the asset register") == _stage(plan, "Fix the label printer driver")
    told = plan_for("Apple Pay at the checkout", "Register the merchant domains with Apple through Stripe, add the pay "
                    "button to the checkout page and roll it out to 10 % of users.")
    assert _stage(told, "Register the merchant domains") < _stage(told, "Add the pay button")  # a set-up with Apple
    upkeep = plan_for("Annual supplier register refresh", "Update the supplier register with each supplier's contract "
                      "end date, and build a reminder e-mail for contracts ending within 90 days.")
    assert _stage(upkeep, "Update the supplier register") == 1  # the register is the task: its work comes first


def test_a_pronoun_where_things_go_or_what_is_used_waits_for_its_maker() -> None:
    plan = plan_for("Tablets for the drivers", "Buy 25 rugged tablets for the drivers and install the route app on "
                    "them.")
    assert _stage(plan, "Buy 25 rugged tablets") < _stage(plan, "Install the route app on them")
    assert '("them": what the part "Buy 25 rugged tablets' in _part(plan, "Install the route app").description
    used = plan_for("Stock levels in the shop", "Build a stock level API in the warehouse service and change the shop "
                    "frontend to use it.")
    assert _stage(used, "Build a stock level API") < _stage(used, "Change the shop frontend to use it")


def test_work_on_things_that_exist_waits_for_no_purchase() -> None:
    plan = plan_for("Driver tablets", "Install the route app on the 30 existing tablets, and buy 5 spare chargers for "
                    "the depot.")
    assert _stage(plan, "Install the route app") == _stage(plan, "Buy 5 spare chargers")


def test_schedule_it_is_the_jobs_masters_and_checked_by_its_run() -> None:
    plan = plan_for("Timesheet export", "Build a job that exports the timesheets from the HR API, store the exports in "
                    "the compliance share and schedule it weekly.")  # the job's, not the share's (security's)
    scheduled = _part(plan, "Schedule it weekly")
    assert scheduled.assigned_to == _part(plan, "Build a job").assigned_to
    assert scheduled.stage > _stage(plan, "Build a job")
    assert scheduled.success_criteria.startswith("Scheduled (schedule it weekly)")
    agreed = plan_for("Clinic booking go-live", "Schedule the go-live with the clinic managers, and build the booking "
                      "page in the patient portal.")
    assert not _part(agreed, "Schedule the go-live").success_criteria.startswith("Scheduled")


def test_a_staged_move_is_cicds_and_waits_for_what_its_sentence_made() -> None:
    plan = plan_for("Shared workflows", "Write the 3 shared GitHub Actions workflows, and migrate the 25 repos team by "
                    "team with a rollback plan.")
    moved = _part(plan, "Migrate the 25 repos")
    assert moved.assigned_to == "cicd" and moved.stage > _stage(plan, "Write the 3 shared GitHub Actions workflows")
    later = plan_for("Booking to Kubernetes", "Containerise the booking services, write the Helm charts, then migrate "
                     "clinic by clinic with a rollback plan.")
    assert _part(later, "Migrate clinic by clinic").assigned_to == "cicd"  # a sentence of its own after "then"
    code = plan_for("Billing schema", "Add the invoice_lines table, migrate the billing service to the new schema and "
                    "update the API docs.")
    assert _part(code, "Migrate the billing service").assigned_to == "development"


def test_a_review_the_thing_needs_runs_after_its_build() -> None:
    plan = plan_for("Parent portal for the school", "Build the parent portal for the school. It needs a security "
                    "review and a pen test before launch.")
    build = _stage(plan, "Build the parent portal")
    review = _part(plan, "Give it a security review")
    assert review.worker_type == "audit" and review.stage > build
    assert all(s.stage > build for s in plan.subtasks if "pen test" in s.title.lower())
    run = plan_for("Donations", "Add the donations page and the receipt e-mails, deploy to prod, pen test the "
                   "donation flow")
    pen = _part(run, "Pen test the donation flow")
    assert pen.worker_type == "audit" and pen.stage > _stage(run, "Add the donations page")
    assert pen.success_criteria.startswith("The pen test of the donation flow")
    built = plan_for("New intake portal", "Build the new intake portal for the clinics: patient accounts, consent "
                     "forms. It needs a security review and pen test before launch, a CI/CD pipeline deploying to our "
                     "k8s cluster, and it must be registered in the asset register.")
    reviewed = next(s for s in built.subtasks if "security review" in s.title)
    assert _stage(built, "Build the new intake portal") < reviewed.stage  # built first
    existing = plan_for("Parent portal check", "Pen test the existing parent portal, and update the cookie banner on "
                        "the school website.")
    assert _stage(existing, "Pen test the existing parent portal") <= _stage(existing, "Update the cookie banner")


def test_a_deploy_waits_for_the_release_tag_not_for_tagged_resources() -> None:
    plan = plan_for("Kiosk release 2.7.0", "Merge the last fixes into the kiosk app, tag the release as 2.7.0 and "
                    "deploy 2.7.0 to the kiosks.")
    tag = _part(plan, "Tag the release as 2.7.0")
    assert tag.stage < _stage(plan, "Deploy 2.7.0 to the kiosks")
    assert tag.success_criteria.startswith("Tagged (")
    images = plan_for("Image tags", "Tag the container images in ECR with their git SHA, and deploy the reporting "
                      "service to the shared cluster.")
    assert _stage(images, "Deploy the reporting service") == _stage(images, "Tag the container images")


def test_enforcing_mfa_is_securitys_and_independent_gaps_run_side_by_side() -> None:
    plan = plan_for("Audit gaps at the depot", "Enforce MFA on the VPN for the depot staff, and add request logging "
                    "to the fleet API.")
    mfa = _part(plan, "Enforce MFA on the VPN")
    assert mfa.assigned_to == "security" and mfa.stage == _stage(plan, "Add request logging")
    app = plan_for("Staff profile", "Show the MFA status on the staff profile page, and update the login help page.")
    assert _part(app, "Show the MFA status").assigned_to == "development"


def test_a_date_format_fix_is_a_repair_not_a_date_agreed() -> None:
    plan = plan_for("Two fixes", "Rotate the leaked Twilio token, and fix the date format on the delivery notes.")
    assert _stage(plan, "Rotate the leaked Twilio token") == _stage(plan, "Fix the date format")
    agreed = plan_for("Clinic go-live", "Build the booking page in the patient portal, and fix the go-live date with "
                      "the clinic managers.")
    assert _stage(agreed, "Fix the go-live date") < _stage(agreed, "Build the booking page")


def test_an_evidence_pack_comes_after_what_it_holds() -> None:
    plan = plan_for("Regulator exam prep", "Scan the payroll servers, fix the critical findings and assemble the "
                    "evidence pack for the regulator.")
    pack = _part(plan, "Assemble the evidence pack")
    assert pack.assigned_to == "security" and pack.stage > _stage(plan, "Fix the critical findings")
    assert pack.success_criteria.startswith("Handed over (")
    first = plan_for("Regulator exam prep", "Assemble the evidence pack for the regulator with the March access "
                     "reviews, and patch the mail server.")
    assert _stage(first, "Assemble the evidence pack") <= _stage(first, "Patch the mail server")


def test_criteria_fit_the_parts_kind_and_keep_acronyms() -> None:
    plan = plan_for("Onboard Baltic Freight as EDI partner", "Baltic Freight goes live in June. We need EDI 820 "
                    "(remittance) mappings for their format in the EDI gateway, a new SFTP connection with their keys, "
                    "and their entry added to our partner catalog.")
    edi = next(s for s in plan.subtasks if "EDI 820" in s.title)
    assert "(EDI 820" in edi.success_criteria and "eDI" not in edi.success_criteria
    # a new connection security sets up has nothing old to stop working; a rotation does
    assert _criteria("secure", "Implement the new AS2 connection with their certificates", "x").startswith(
        "Set up and shown working (implement the new AS2 connection")
    assert "no longer works" in _criteria("secure", "Rotate the AS2 certificates of the connection", "x")
    iac = plan_for("Staging for the shop", "Write the Terraform for the staging network, and build the new gift card "
                   "page in the shop.")
    assert _part(iac, "Write the Terraform").success_criteria.startswith("Applied cleanly (")
    job = plan_for("Session clean-up", "Write a job that purges expired sessions from the Redis cluster, schedule it "
                   "hourly, and add an alert when it fails.")
    assert _part(job, "Write a job").success_criteria.startswith("Works as asked (")
    people = plan_for("Depot laptops", "Order 12 replacement laptops for the depot, and train the shift leads on "
                      "the new scanner app.")
    assert "(order 12 replacement laptops" in _part(people, "Order 12 replacement laptops").success_criteria


def test_a_finding_among_operations_adds_no_design_nor_tests() -> None:
    plan = plan_for("Transcript retention: make it real", "The policy says chat transcripts are kept for 24 months. "
                    "Find where the transcripts are stored (S3, Elasticsearch, Postgres), set lifecycle rules for the S3 "
                    "buckets, add an index lifecycle policy in Elasticsearch, write a nightly query that deletes old "
                    "rows in Postgres, and have the DPO sign off on the setup.")
    assert _part(plan, "Find where the transcripts are stored").stage == 1
    assert not any(s.title.startswith(("Design ", "Write tests for")) for s in plan.subtasks)
    built = plan_for("Transcript search", "Find where the transcripts are stored, build a transcript search service "
                     "over them and add a search page to the support console.")
    assert any(s.title.startswith("Write tests for") for s in built.subtasks)


def test_a_part_that_replaces_one_thing_with_another_says_which_went() -> None:
    """"Replace X with Y" was checked as "X with Y is implemented": the old thing's criterion, the opposite of the ask."""
    plan = plan_for("PCI scope reduction for the broker portal", "Replace our own card-entry form on the payment page "
                    "with the processor's hosted fields, build the integration in the broker portal, have security "
                    "review the new flow, and deploy through the pipelines.")
    assert _part(plan, "Replace our own card-entry form").success_criteria.startswith(
        "Our own card-entry form on the payment page is replaced by the processor's hosted fields")
    # the near case: a part that builds one thing keeps the built thing's criterion
    assert _part(plan, "Build the integration").success_criteria.startswith(
        "Integration in the broker portal is implemented")
    orm = plan_for("Billing service clean-up", "Replace the hand-written SQL queries with the ORM in the billing "
                   "service, document the data layer, and deploy the billing service.")
    assert _part(orm, "Replace the hand-written SQL queries").success_criteria.startswith(
        "The hand-written SQL queries are replaced by the ORM")
