"""Configuration: one TOML file, every threshold and interval a key, the seed's numbers as defaults.

Looked up in this order: ``--config FILE``; ``{coordination}/orchestrator/config.toml``;
built-in defaults. An unknown key or a wrong value is an error that names it.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orchestrator.models import MASTERS, describe


class ConfigError(Exception):
    """The configuration file cannot be used; the message names the key and the problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WatchConfig(_Section):
    debounce_seconds: float = Field(0.0, ge=0, description="Quiet time after a file event before re-reading "
                                    "(0: none; events that arrive together are handled in one pass anyway).")
    rescan_interval_seconds: float = Field(
        5.0, gt=0, description="Safety-net stat of watched files, in case an event was missed."
    )
    read_retry_delay_seconds: float = Field(0.05, ge=0, description="Wait before re-reading a half-written file.")
    read_retries: int = Field(5, ge=0, description="Re-reads of a half-written file before reporting it.")
    lock_timeout_seconds: float = Field(10.0, gt=0, description="Longest wait for a file lock.")
    update_retry_seconds: float = Field(0.5, gt=0, description="Pause before retrying a queue update that failed.")
    standby_poll_seconds: float = Field(1.0, gt=0, description="With --standby, how often to try to take over.")


class DomainConfig(_Section):
    """A domain of work and the master that owns it (documentation work belongs to development).

    ``keywords`` name the domain on their own (weight 3); ``hints`` lean towards it (weight 1).
    A keyword of five letters or more also matches longer forms (``deploy`` -> ``deployment``);
    a shorter one matches the word and its plain endings (``fix`` -> ``fixes``, ``fixed``).
    """

    master: str
    keywords: list[str]
    hints: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    lead_verbs: list[str] = Field(default_factory=list)
    """Verbs that name this domain's work when they open the task (``Scale the ...``, ``Revoke ...``),
    and only then: "publish" in a description says little."""


def _default_domains() -> dict[str, DomainConfig]:
    return {
        "development": DomainConfig(
            master="development",
            types=["development", "dev", "feature", "bugfix", "bug", "fix", "refactor", "implementation",
                   "test", "testing", "code", "enhancement", "performance", "frontend", "backend"],
            keywords=["implement", "feature", "bug", "refactor", "api", "endpoint", "database", "frontend",
                      "backend", "dashboard", "optimize", "optimise", "migrate", "migration", "unit test", "sso",
                      "single sign-on",
                      "integration test", "tests", "pagination", "regression", "memory leak", "crash",
                      "function", "class", "ui", "css", "sql", "query", "schema", "authentication",
                      "oauth", "jwt", "websocket", "cache", "middleware", "component"],
            hints=["fix", "code", "error", "page", "server", "client", "module", "script", "login", "signup",
                   "form", "button", "route", "handler", "parser", "performance", "slow", "timeout",
                   "logic", "model", "service", "feature flag", "validation", "library", "cli"],
        ),
        "security": DomainConfig(
            master="security",
            types=["security", "security-audit", "security-fix", "security-scan", "vulnerability",
                   "audit", "scan", "compliance", "secrets", "pentest"],
            keywords=["security", "vulnerab", "cve", "audit", "scan", "exploit", "harden", "compliance", "secret",
                      "credential", "injection", "xss", "csrf", "owasp", "penetration", "pentest", "encrypt",
                      "sast", "dast", "threat model", "malware", "brute force", "privilege escalation",
                      "ssrf", "rce", "sanitize", "sanitise", "gdpr", "soc 2", "soc2", "hipaa", "sql injection",
                      "rotate", "dependabot", "codeql", "snyk", "trivy", "path traversal", "open redirect", "xxe",
                      "idor", "cors", "brute-force", "brute force", "cryptograph", "pii", "personal data",
                      "leaked", "acls", "public-read", "clickjacking", "deserialization", "csp",
                      "content security policy", "session fixation", "privilege", "exposes", "exposed",
                      "unauthenticated", "hardcoded", "hard-coded", "plaintext", "mfa", "2fa", "two-factor",
                      "least privilege", "iam", "waf", "api key", "api keys", "private key", "ssh key", "signing key",
                      "security headers", "hsts", "bypass", "revoke", "ghsa", "security advisory", "default password",
                      "default credentials", "default admin", "user-supplied", "user-controlled", "untrusted input",
                      "untrusted", "public access", "publicly accessible", "publicly readable", "world-readable",
                      "forgery", "spoofing", "tampering", "access key", "access keys", "prototype pollution", "redos",
                      "zip slip", "mass assignment", "subdomain takeover", "account takeover", "insecure",
                      "weak cipher", "weak hashing", "timing attack", "denial of service", "ddos", "request smuggling",
                      "cache poisoning", "session hijacking", "replay attack", "access control", "cross-tenant",
                      "sensitive data", "ssti", "lfi", "crlf", "security patch", "cis benchmark", "phishing",
                      "lockout", "security group", "security review", "failed logins", "failed login attempts",
                      "login attempts", "session timeout", "inactivity timeout", "re-authenticate", "gitleaks",
                      "trufflehog", "secret scanning", "virus", "antivirus", "clamav",
                      "branch protection", "signed commits", "credit card", "card numbers", "aws key", "oauth scope",
                      "oauth scopes", "are we affected", "are we vulnerable", "are we exposed", "bug bounty",
                      "unauthorised", "unauthorized", "nobody created", "no one created", "don't recognise",
                      "don't recognize", "compromised", "fuzzing", "fuzz test", "fuzz tests", "fuzzer", "being attacked",
                      "under attack", "was attacked", "were attacked", "was hacked", "were hacked", "got hacked",
                      "been hacked", "is hacked", "2-step verification", "two-step verification",
                      "acceptable use policy", "x-frame-options", "threat analysis", "credential stuffing",
                      "httponly", "samesite", "x-content-type-options", "referrer-policy", "permissions-policy",
                      "strict-transport-security", "content-security-policy", "pen test", "pen tests", "pen-test",
                      "vuln", "vulns", "root login", "failed login", "anonymous access", "sslv3",
                      "oauth2 scope", "oauth2 scopes", "unencrypted", "spoofed", "dmarc", "dkim", "filevault",
                      "bitlocker", "supply-chain", "supply chain attack", "community string", "community strings",
                      "prompt injection", "jailbreak", "replayed", "stolen", "failed sign-in", "failed authentication",
                      "mobsf", "semgrep", "nessus", "qualys", "burp suite", "guardduty", "falco", "wazuh", "checkov",
                      "tfsec", "kube-bench", "osv-scanner", "grype", "gitguardian", "nuclei", "owasp zap", "zap baseline",
                      "security hub", "public acl", "dependency confusion", "typosquat", "pkce",
                      "certificate verification", "tls verification", "insecureskipverify", "rejectunauthorized",
                      "cluster-admin", "root account", "rootkit", "trojan", "backdoor", "reverse shell", "cryptominer",
                      "admin role", "admin roles", "admin account", "admin accounts", "people who left",
                      "users who left", "employees who left", "staff who left", "who left the company", "leavers",
                      "her last day", "his last day", "their last day",
                      # a legal request for the records held (a records request, a hold, a subpoena): the corpora
                      # label it security, as a data subject's request ("GDPR erasure request #4471"). Not "dsar"
                      # itself: a DSAR's pull "from the app database" then names two domains and plans it (cx14-023)
                      "ediscovery", "e-discovery", "legal hold", "litigation hold", "records request",
                      "records requests", "foia", "subpoena"],
            lead_verbs=["revoke", "redact", "rotate", "pentest", "pen test", "pen-test", "fuzz",
                        "harden", "quarantine", "restrict", "block", "lock",
                        "hash", "mask", "take away", "offboard", "anonymise", "anonymize", "pseudonymise",
                        "pseudonymize"],
            hints=["patch", "password", "token", "tls", "ssl", "certificate", "leak", "redirect",
                   "private", "signature", "permission", "rbac", "firewall", "auth", "md5", "sha1", "suspicious",
                   "github access", "production access", "admin access", "write access", "push access", "ssh access",
                   "vpn access", "still have access", "access rights", "admin rights", "with access to", "access review",
                   "risk assessment",
                   "hacker", "hackers", "hacking",
                   # identity, password and endpoint-protection products: a task naming only one is about who may
                   # get in or what guards a device
                   "okta", "auth0", "onelogin", "jumpcloud", "lastpass", "bitwarden",
                   "crowdstrike", "sentinelone"],
        ),
        "inventory": DomainConfig(
            master="inventory",
            types=["inventory", "catalog", "catalogue", "discovery", "portfolio", "metadata"],
            keywords=["catalog", "inventory", "portfolio", "repositories", "repos", "discover",
                      "enumerate", "census", "health report", "ownership", "licenses",
                      "licences", "sbom", "asset tag", "unowned", "ownerless",
                      "find every", "find all", "identify every", "identify all", "locate every",
                      "locate all",
                      # what things cost, broken down (a census of spend), not who may reach them
                      "finops", "cloud spend", "cloud bill", "cloud cost", "cloud costs", "cost breakdown",
                      "cost and usage", "spend by", "cost by", "costs by"],
            hints=["list", "overview", "metadata", "versions", "dependencies", "outdated", "report", "which", "a count of",
                   "survey", "archived", "owners", "cmdb", "owner", "repository", "assets"],
            lead_verbs=["list", "enumerate", "catalog", "catalogue", "inventory", "record", "tally", "count"],
        ),
        "cicd": DomainConfig(
            master="cicd",
            types=["cicd", "ci", "cd", "ci-cd", "deploy", "deployment", "build", "release", "pipeline",
                   "infrastructure", "infra", "devops", "ops", "rollback"],
            keywords=["deploy", "redeploy", "re-deploy", "pipeline", "release", "ci", "cd", "ci/cd", "github actions", "workflow",
                      "docker", "dockerfile", "container", "kubernetes", "k8s", "helm", "staging",
                      "production", "rollback", "roll back", "terraform", "ansible", "canary",
                      "blue-green", "monitoring", "alerting", "prometheus", "grafana", "runner", "readiness probe",
                      "liveness probe", "hpa", "autoscal", "replicas", "ingress", "base image", "image tag",
                      "roll out", "rollout", "retag", "every pull request", "every pr", "every push", "every commit",
                      "pr checks", "required checks", "status checks", "previous version", "previous release",
                      "last known good", "back to last", "build agent", "build agents",
                      # a build machine by Azure DevOps' and Jenkins' names for it ("Self-hosted agent BLD-02 offline")
                      "self-hosted agent", "self-hosted agents", "agent pool", "agent pools", "certificate expir",
                      "cert expir", "expired certificate", "expiring certificate", "certificate renewal",
                      "app store", "app stores", "play store", "testflight", "synthetic check", "synthetic checks",
                      "pagerduty", "opsgenie", "alertmanager", "datadog", "alert on", "alert when",
                      "alert if", "alert the", "log shipping", "loki", "promtail", "fluentd", "fluent bit", "filebeat",
                      "logstash", "failover", "fail over", "disaster recovery", "restore test", "restore drill",
                      "dr drill", "dr test", "dr exercise", "cname", "dns record", "dns records",
                      "cert-manager", "let's encrypt", "letsencrypt", "pods", "logrotate",
                      "log rotation", "point-in-time recovery", "pitr", "log retention", "cloudwatch", "crashloop",
                      "oomkill", "imagepullbackoff", "errimagepull", "outofsync", "minreplicas", "maxreplicas",
                      "node-exporter", "node exporter", "vcpu", "vcpus", "kubepod",
                      "kubedeployment", "kubenode", "kubejob", "kubestatefulset", "kubedaemonset", "targetdown",
                      "drain node", "drain the node", "node drain", "patch window", "preview environment",
                      "preview environments", "review app", "review apps", "ephemeral environment",
                      "ephemeral environments", "hypervisor", "hypervisors", "server room", "cpu throttling", "a monitor for",
                      "monitors for", "uptime monitor", "uptime monitors",
                      # capacity asked of a cloud provider: more GPUs, a raised service quota
                      "quota increase", "quota increases", "service quota", "service quotas", "gpu quota", "gpu quotas",
                      "capacity request", "capacity requests"],
            hints=["build", "alerts", "nginx", "systemd", "artifact", "registry", "uptime", "environment", "storage",
                   "capacity", "disk", "gpu", "gpus",
                   "cluster", "provision", "publish", "ship", "cron", "backup", "argo", "argocd", "flux", "spinnaker",
                   "jenkins", "gitlab ci", "circleci", "buildkite", "pypi", "npm publish", "homebrew", "dns", "cdn",
                   "vpc", "ec2", "eks", "gke", "aks", "ecs", "load balancer", "node pool", "cronjob", "snapshot",
                   "vpn", "site-to-site", "dhcp", "core switch", "access point", "access points",
                   "render nodes", "render farm", "nas", "broker", "kubectl", "kubelet", "systemctl",
                   # device management and network products: enrolling, profiles and updates pushed to devices
                   "jamf", "intune", "kandji", "mosyle", "tailscale", "cloudflare", "zscaler",
                   # the office's network and shared devices
                   "wi-fi", "wifi", "wlan", "printer", "printers", "meeting room", "conference room"],
            lead_verbs=["deploy", "redeploy", "release", "publish", "ship", "promote", "scale", "provision",
                        "roll back", "roll out", "rollback", "tag", "push", "back up", "backup", "snapshot", "renew",
                        "restart", "reboot", "containerize", "containerise", "dockerize", "dockerise", "cordon"],
        ),
        "docs": DomainConfig(
            master="development",
            types=["documentation", "docs", "doc"],
            keywords=["document", "docs", "readme", "guide", "tutorial", "changelog", "runbook", "manual",
                      "docstring", "wiki", "api reference"],
            hints=["explain", "describe", "examples", "onboarding", "release notes"],
        ),
    }


class ClassifierConfig(_Section):
    """Thresholds of the seed's decision framework."""

    max_simple_files: int = Field(3, ge=0, description="A simple task affects at most this many files.")
    max_simple_minutes: float = Field(30, gt=0, description="A simple task completes in under this many minutes.")
    max_simple_tokens: int = Field(20000, gt=0, description="Estimated tokens above this make a task complex.")
    complex_score_threshold: float = Field(
        1.0, gt=0, description="Sum of complexity signal weights at which a task is complex."
    )
    numeric_complexity_threshold: float = Field(
        8, description="An integer ``complexity`` (1-10 scale) at or above this means complex."
    )
    default_master: str = Field("development", description="Master for a task with no routing words at all.")
    learned_model: bool = Field(
        True, description="Where the rules only count words, the built-in model trained on the shipped labelled tasks "
        "may decide the master, and may plan a task the rules found no parts in.")
    max_text_chars: int = Field(
        20000, gt=0, description="Only this much of a title and description is read (a huge text stays cheap)."
    )
    action_verbs: list[str] = Field(
        default_factory=lambda: [
            "add", "build", "create", "implement", "design", "develop", "refactor", "rewrite", "update",
            "fix", "write", "test", "audit", "scan", "review", "document", "deploy", "release", "migrate",
            "integrate", "configure", "set up", "setup", "install", "remove", "rotate", "patch", "harden",
            "list", "catalog", "inventory", "generate", "publish", "ship", "monitor", "optimize", "optimise",
            "upgrade", "roll back", "rollback", "verify", "validate", "benchmark", "containerize", "automate",
            "wire", "expose", "replace", "split", "merge", "port", "encrypt", "clean up", "investigate",
            "load-test", "load test", "stress-test", "profile", "measure", "triage", "enable", "extract",
            "redeploy", "remediate", "provision", "backfill", "deprecate", "instrument",
            "rebuild", "restore", "re-sync", "resync", "resume", "recover", "repair", "reinstall", "re-run",
            "launch", "deliver", "run", "rename", "move", "delete", "archive", "tag", "publish", "re-create",
            "recreate", "finish", "find", "upgrade", "bump", "retire", "decommission", "onboard", "scrub", "purge",
            "seed", "grant", "containerise", "catalogue", "roll", "turn off", "shut down", "switch off", "sunset",
            "stand up", "enforce", "enroll", "enrol", "reconcile", "mirror", "block", "produce", "train",
            # the same, as mixed-language writers open a clause with them (no English word: "exporter" is a thing)
            "exportar", "importar", "migrar", "revisar", "apagar", "crear", "desplegar", "implementar", "actualizar",
            "eliminar", "configurar", "probar", "construir", "desarrollar", "integrar", "instalar", "documentar",
            "auditar", "criar", "implantar", "testar", "desenvolver", "atualizar", "créer", "migrer", "déployer",
            "supprimer", "configurer", "développer", "intégrer", "vérifier", "construire",
        ],
        description="Verbs that start a unit of work; three or more such clauses lean towards complex.",
    )
    scope_phrases: list[str] = Field(
        default_factory=lambda: [
            "entire system", "entire codebase", "entire platform", "entire frontend", "entire backend",
            "entire stack", "entire application", "entire app", "entire fleet", "whole system", "whole codebase",
            "whole platform", "whole application", "across all", "across every", "across the codebase",
            "across the platform", "all services", "every service", "all microservices", "system-wide",
            "systemwide", "platform-wide", "org-wide", "full stack", "full-stack", "from scratch",
            "every module", "all modules", "monolith", "of the platform", "of the system", "everywhere",
            "throughout the codebase", "in every service", "for all", "for every", "in all", "across the",
            "across our", "to all", "to every", "on all", "on every",
        ],
        description="Phrases that mean a change touches whole systems (seed: affects entire systems).",
    )
    software_nouns: list[str] = Field(
        default_factory=lambda: [
            "app", "application", "bot", "button", "chart", "cli", "client", "command", "component", "converter",
            "dialog", "endpoint", "extension", "feature", "form", "function", "generator", "graph", "library",
            "menu", "modal", "module", "package", "page", "panel", "parser", "plugin", "repository", "repo",
            "screen", "script", "sdk", "site", "subcommand", "tab", "table", "tool", "view", "website", "widget",
            "badge", "banner", "column", "counter", "dropdown", "field", "filter", "icon", "input", "link",
            "shortcut", "skeleton", "spinner", "textarea", "toggle", "tooltip", "header", "footer", "sidebar",
            "editor", "viewer", "wizard", "popup", "toast", "checkbox", "picker", "calendar", "dashboard", "api",
            "ui", "frontend", "backend", "email", "notification", "upload", "section", "settings", "preferences",
            "layout", "template", "navbar", "autocomplete", "carousel",
        ],
        description="Things development makes: the head noun of the work (R2: build + a CLI is development).",
    )
    making_verbs: list[str] = Field(
        default_factory=lambda: ["add", "build", "create", "write", "implement", "make", "develop", "replace",
                                 "extend", "rewrite", "port", "convert", "refactor", "fix", "design", "prototype"],
        description="Verbs that make or change software: with a software noun, the work is development.",
    )
    part_nouns: list[str] = Field(
        default_factory=lambda: ["features", "modules", "components", "services", "microservices", "parts",
                                 "deliverables", "workstreams", "subsystems", "apps", "applications", "systems",
                                 "pieces", "projects", "subprojects", "sub-projects", "epics", "stories", "screens",
                                 "pages", "tools", "domains", "findings", "integrations", "dashboards"],
        description="A stated count of these (three modules, its 6 features) is parts of work: complex.",
    )
    vague_verbs: list[str] = Field(
        default_factory=lambda: ["improve", "modernize", "modernise", "overhaul", "revamp", "rework",
                                 "re-architect", "rearchitect", "redesign", "stabilize", "stabilise", "scale"],
        description="Opening verbs of open-ended goals (the seed's simple task is a clear, specific instruction).",
    )
    display_verbs: list[str] = Field(
        default_factory=lambda: ["show", "display", "render", "hide", "unhide", "highlight", "surface", "grey out",
                                 "gray out", "restyle", "recolor", "recolour", "reorder", "truncate", "sort"],
        description="Verbs of what a screen shows: opening the work, it is development, whatever is shown "
                    "(\"Show the last secrets-scan date on the repository page\").",
    )
    deploy_objects: list[str] = Field(
        default_factory=lambda: ["pipeline", "pipelines", "workflow", "workflows", "dockerfile", "chart", "charts",
                                 "cluster", "clusters", "runner", "runners", "image", "images", "ingress",
                                 "manifest", "manifests", "namespace", "deployment", "deployments", "job", "jobs",
                                 "build", "builds", "pod", "pods", "node pool", "load balancer", "backup", "backups",
                                 "disk", "disks", "volume", "volumes", "dns record", "dns records",
                                 "cname", "ttl", "vm", "vms", "vpn"],
        description="What cicd works on: the place a change is made (\"in the Android CI job\"), a failing thing "
                    "(\"the nightly build fails\"). A job counts only with a cicd word (\"CI job\").",
    )
    asset_nouns: list[str] = Field(
        default_factory=lambda: ["repositories", "repos", "services", "microservices", "assets", "hosts",
                                 "servers", "buckets", "dependencies", "licenses", "licences", "vms", "machines",
                                 "domains", "owners", "teams", "databases", "catalog", "catalogue", "inventory",
                                 "portfolio", "cmdb"],
        description="What inventory records: documenting or recording these (\"Document the data team's "
                    "repositories\", \"Record ... in the catalog\") is inventory work.",
    )
    capability_phrases: list[str] = Field(
        default_factory=lambda: ["multi-tenancy", "multitenancy", "multi-tenant", "multi-region", "right to erasure",
                                 "right-to-erasure", "right to be forgotten", "data residency", "disaster recovery",
                                 "high availability", "zero-downtime", "zero downtime", "observability",
                                 "internationalization", "internationalisation", "i18n", "localization",
                                 "localisation", "offline mode", "end-to-end encryption", "tenant isolation",
                                 "sharding", "event sourcing", "data warehouse", "single sign-on for all",
                                 "sso for all", "self-service", "active-active", "failover", "data lake",
                                 "soc 2 compliance", "gdpr compliance", "hipaa compliance", "pci compliance", "pci dss",
                                 "pci-dss", "iso 27001", "fedramp", "opentelemetry", "distributed tracing",
                                 "real-time", "realtime", "sso", "multi-currency", "usage-based billing",
                                 "usage-based pricing", "white-label", "white-labelling", "role-based access control"],
        description="Capabilities that run through a whole system: a task that introduces one is complex.",
    )
    system_verbs: list[str] = Field(
        default_factory=lambda: ["decommission", "sunset", "retire", "replatform", "re-platform", "modernize",
                                 "modernise", "overhaul", "re-architect", "rearchitect", "redesign", "rewrite",
                                 "migrate", "revamp", "split", "consolidate", "merge", "deprecate", "move", "switch"],
        description="With a whole system as object (system_objects), complex: \"Decommission the legacy billing "
                    "system\", \"Modernize the admin frontend\".",
    )
    system_objects: list[str] = Field(
        default_factory=lambda: ["system", "systems", "platform", "monolith", "stack", "frontend", "backend",
                                 "application", "applications", "codebase", "infrastructure", "datacenter",
                                 "data center", "website", "portal", "apps", "services", "microservices", "app", "service",
                                 "mainframe",
                                 "provider", "vendor"],
        description="Objects that are a whole system (see system_verbs).",
    )
    domains: dict[str, DomainConfig] = Field(default_factory=_default_domains)

    @model_validator(mode="before")
    @classmethod
    def _merge_domains(cls, data: Any) -> Any:
        """``[classifier.domains.NAME]`` changes that domain (field by field) or adds one; the rest stay."""
        if isinstance(data, dict) and isinstance(data.get("domains"), dict):
            return data | {"domains": _merged(_default_domains(), data["domains"])}
        return data

    @model_validator(mode="after")
    def _known_masters(self) -> ClassifierConfig:
        for name, domain in self.domains.items():
            if domain.master not in MASTERS:
                raise ValueError(f"domains.{name}.master: {domain.master!r} is not one of {', '.join(MASTERS)}")
        if self.default_master not in MASTERS:
            raise ValueError(f"default_master: {self.default_master!r} is not one of {', '.join(MASTERS)}")
        return self


class WorkerTypeEstimate(_Section):
    minutes: int = Field(gt=0)
    tokens: int = Field(gt=0)


def _default_estimates() -> dict[str, WorkerTypeEstimate]:
    return {
        "planner": WorkerTypeEstimate(minutes=15, tokens=5000),
        "implementation": WorkerTypeEstimate(minutes=18, tokens=15000),
        "test": WorkerTypeEstimate(minutes=15, tokens=8000),
        "audit": WorkerTypeEstimate(minutes=15, tokens=8000),
        "documentation": WorkerTypeEstimate(minutes=10, tokens=4000),
        "deploy": WorkerTypeEstimate(minutes=15, tokens=6000),
        "inventory": WorkerTypeEstimate(minutes=10, tokens=5000),
        "review": WorkerTypeEstimate(minutes=10, tokens=4000),
    }


Preset = Literal["claude", "llm", "ollama"]
"""Ready external planner commands (see :meth:`PlannerConfig.external_command`)."""


class PlannerConfig(_Section):
    min_subtasks: int = Field(3, ge=1, description="Fewest subtasks in a plan (seed: 3-10).")
    max_subtasks: int = Field(10, ge=1, description="Most subtasks in a plan (seed: 3-10).")
    max_stages: int = Field(10, ge=1, description="More stages than this: the task is blocked and must be split.")
    max_subtask_minutes: int = Field(20, gt=0, description="Time box of one subtask (seed: <20 min).")
    max_subtask_tokens: int = Field(20000, gt=0, description="Token box of one subtask (seed: 20k).")
    max_files_per_subtask: int = Field(3, ge=1, description="File scope of one subtask (seed: <=3).")
    command: list[str] | Preset | None = Field(
        None,
        description="External planner: a ready command (claude, llm, ollama) or an argv list (no shell). It gets the "
                    "prompt on stdin and prints its answer (JSON, prose around it allowed).",
    )
    model: str | None = Field(None, min_length=1, description="The model a ready command runs (required by ollama).")
    prompt_file: str | None = Field(
        None, description="Prompt template of the external planner (default: the shipped planner_prompt.md); "
                          "relative to the configuration file's folder.",
    )
    timeout_seconds: float = Field(
        120, gt=0, description="External planner time limit, both rounds (answer and repair) together.")
    estimates: dict[str, WorkerTypeEstimate] = Field(default_factory=_default_estimates)

    @model_validator(mode="before")
    @classmethod
    def _merge_estimates(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("estimates"), dict):
            return data | {"estimates": _merged(_default_estimates(), data["estimates"])}
        return data

    @model_validator(mode="after")
    def _ranges(self) -> PlannerConfig:
        if self.min_subtasks > self.max_subtasks:
            raise ValueError("min_subtasks must not exceed max_subtasks")
        if self.model is not None and not isinstance(self.command, str):
            raise ValueError("model is for a ready command (claude, llm, ollama); an argv list names its own")
        if self.command == "ollama" and self.model is None:
            raise ValueError('command "ollama" needs a model, e.g. model = "llama3.1"')
        return self

    @field_validator("command", mode="before")
    @classmethod
    def _known_preset(cls, value: object) -> object:
        if value == []:
            raise ValueError("an empty argv runs nothing; leave command out for the built-in planner only")
        if isinstance(value, str) and value not in get_args(Preset):
            raise ValueError(f"{value!r} is not a ready command ({', '.join(get_args(Preset))}); "
                             f'an argv list runs anything else, e.g. ["{value}"]')
        return value

    def external_command(self) -> list[str] | None:
        """The external planner's argv: the ready command's, or ``command`` itself; none: built-in only.

        Every ready command reads the prompt on stdin: ``claude -p`` and ``llm`` when no prompt
        argument is given, ``ollama run`` when stdin is not a terminal (``--format json`` makes it
        print JSON only).
        """
        model = [self.model] if self.model else []
        if self.command == "claude":
            return ["claude", "-p", "--output-format", "text", *(["--model", *model] if model else [])]
        if self.command == "llm":
            return ["llm", *(["-m", *model] if model else [])]
        if self.command == "ollama":
            return ["ollama", "run", *model, "--format", "json"]
        return None if self.command is None else list(self.command)


class MonitorConfig(_Section):
    interval_seconds: float = Field(120, gt=0, description="Monitor loop period (seed: every 2 minutes).")
    heartbeat_timeout_seconds: float = Field(180, gt=0, description="Heartbeat older than this: unhealthy (seed: 3 min).")
    zombie_timeout_seconds: float = Field(1200, gt=0, description="Running this long with no progress: zombie (seed: 20 min).")
    never_started_timeout_seconds: float = Field(600, gt=0, description="Handoff not picked up within this: flagged.")
    max_runtime_seconds: float = Field(3600, gt=0, description="Hard runtime cap of one subtask attempt.")
    clock_skew_seconds: float = Field(60, ge=0, description="Timestamps further in the future than this are ignored.")
    workspace_dir: str | None = Field(
        None, description="Folder that files_affected are relative to (default: the coordination folder's parent)."
    )


class RetryConfig(_Section):
    max_attempts: int = Field(3, ge=1, description="Failed attempts before escalation (seed: 3).")
    backoff_base_seconds: float = Field(10, ge=0, description="First retry delay; doubles each attempt.")
    backoff_max_seconds: float = Field(300, ge=0, description="Longest retry delay.")
    jitter: float = Field(0.2, ge=0, le=1, description="Random +/- fraction applied to each delay.")
    terminate_grace_seconds: float = Field(5, ge=0, description="Wait after SIGTERM before SIGKILL of an old worker.")


class Config(_Section):
    watch: WatchConfig = Field(default_factory=WatchConfig)
    classifier: ClassifierConfig = Field(default_factory=ClassifierConfig)
    planner: PlannerConfig = Field(default_factory=PlannerConfig)
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)


def _merged(defaults: Mapping[str, BaseModel], given: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with the file's tables, key by key within each table."""
    merged: dict[str, Any] = {name: model.model_dump() for name, model in defaults.items()}
    for name, table in given.items():
        merged[name] = merged.get(name, {}) | table if isinstance(table, dict) else table
    return merged


def config_path_for(coordination_dir: Path) -> Path:
    return coordination_dir / "orchestrator" / "config.toml"


def load_config(explicit: Path | None, coordination_dir: Path) -> Config:
    """Read ``explicit`` (must exist) or the folder's ``config.toml`` (optional)."""
    path = explicit or config_path_for(coordination_dir)
    if explicit is None and not path.exists():
        return Config()
    try:
        raw: dict[str, Any] = tomllib.loads(_read_text(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: deep nesting
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    planner = raw.get("planner")
    if isinstance(planner, dict) and isinstance(planner.get("prompt_file"), str):
        try:
            prompt = path.parent / Path(planner["prompt_file"]).expanduser()
        except RuntimeError as exc:  # "~nosuchuser/prompt.md"
            raise ConfigError(f"{path}: planner.prompt_file: {exc}") from exc
        if not prompt.is_file():
            raise ConfigError(f"{path}: planner.prompt_file: {prompt} is not a readable file")
        planner["prompt_file"] = str(prompt)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from exc


MAX_CONFIG_BYTES = 1 << 20


def _read_text(path: Path) -> str:
    """A regular file of at most 1 MiB: a FIFO or a device in its place is refused, never waited on
    (the daemon reads the file again on SIGHUP, on the loop that also answers signals)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise OSError(errno.EFBIG, f"larger than {MAX_CONFIG_BYTES >> 20} MiB")
    return data.decode("utf-8")


def changed_keys(old: BaseModel, new: BaseModel, prefix: str = "") -> list[str]:
    """Dotted names of every value that differs between two configurations."""
    keys: list[str] = []
    for name in type(old).model_fields:
        before, after = getattr(old, name), getattr(new, name)
        if isinstance(before, BaseModel) and isinstance(after, BaseModel):
            keys += changed_keys(before, after, f"{prefix}{name}.")
        elif before != after:
            keys.append(f"{prefix}{name}")
    return keys


class Settings:
    """The one running configuration. Every part reads it here at the moment it needs a value,
    so a reload applies to all of them at once; nothing keeps a copy."""

    def __init__(self, config: Config, path: Path | None = None) -> None:
        self.config = config
        self.path = path

    def replace(self, config: Config) -> list[str]:
        """Use ``config`` from now on; returns the keys that changed."""
        changed = changed_keys(self.config, config)
        self.config = config
        return changed
