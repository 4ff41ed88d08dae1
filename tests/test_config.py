"""Configuration: defaults, clear errors, and the shipped sample and README in step with the models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestrator.config import Config, ConfigError, load_config

ROOT = Path(__file__).parent.parent


def test_defaults_are_the_seed_numbers() -> None:
    config = Config()
    assert config.monitor.interval_seconds == 120
    assert config.monitor.heartbeat_timeout_seconds == 180
    assert config.monitor.zombie_timeout_seconds == 1200
    assert config.retry.max_attempts == 3
    assert (config.planner.min_subtasks, config.planner.max_subtasks, config.planner.max_stages) == (3, 10, 10)
    assert config.classifier.max_simple_files == 3
    assert config.classifier.max_simple_minutes == 30
    assert config.classifier.max_simple_tokens == 20000


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(None, tmp_path) == Config()


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("[monitor]\ninterval_second = 5\n", "monitor.interval_second"),
        ("[monitor]\ninterval_seconds = -1\n", "monitor.interval_seconds"),
        ("[nonsense]\n", "nonsense"),
        ("[classifier.domains.docs]\nmaster = 'marketing'\nkeywords = []\n", "marketing"),
        ("[watch\n", "not valid TOML"),
    ],
)
def test_a_wrong_key_or_value_is_an_error_that_names_it(tmp_path: Path, toml: str, named: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as error:
        load_config(path, tmp_path)
    assert named in str(error.value) and str(path) in str(error.value)


def test_fractions_of_seconds_are_allowed(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[monitor]\ninterval_seconds = 0.05\n")
    assert load_config(path, tmp_path).monitor.interval_seconds == 0.05


def _scalar_keys() -> list[str]:
    config = Config().model_dump()
    return [f"{section}.{key}" for section, values in config.items() for key, value in values.items()
            if not isinstance(value, dict)]


def test_the_sample_config_lists_every_key_and_parses_when_uncommented(tmp_path: Path) -> None:
    text = (ROOT / "coordination/orchestrator/config.toml").read_text()
    uncommented = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.MULTILINE)
    path = tmp_path / "config.toml"
    path.write_text(uncommented)
    (tmp_path / "planner-prompt.md").write_text("$task")  # a file the sample names must exist
    load_config(path, tmp_path)
    listed = {f"{section}.{key}" for section, body in re.findall(r"^\[(\w+)\]\n((?:.*\n)*?)(?=\[|\Z)", uncommented, re.M)
              for key in re.findall(r"^(\w+) =", body, re.M)}
    lists = {"classifier.action_verbs", "classifier.scope_phrases", "classifier.vague_verbs", "classifier.software_nouns",
             "classifier.making_verbs", "classifier.part_nouns", "classifier.display_verbs", "classifier.deploy_objects",
             "classifier.asset_nouns", "classifier.capability_phrases", "classifier.system_verbs",
             "classifier.system_objects"}
    assert set(_scalar_keys()) - lists <= listed


def _readme_config_table() -> dict[str, str]:
    """The README's configuration table: each dotted key it names (``classifier.domains.NAME.hints``) and the
    default its row gives that key (the row's default cell split at commas when it names as many values as keys)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Configuration\n"):]
    section = section[:section.index("\n## ", 1)]
    documented: dict[str, str] = {}
    for keys_cell, default in re.findall(r"^\| (`\[[^|]+) \| ([^|]*) \|", section, re.MULTILINE):
        table, names = re.match(r"`\[([\w.]+)\]`? ?(.*)", keys_cell).groups()  # type: ignore[union-attr]
        keys = [name.strip(" `") for name in names.split(",")]
        defaults = [value.strip() for value in default.split(",")]
        for n, key in enumerate(keys):
            documented[f"{table}.{key}"] = defaults[n] if len(defaults) == len(keys) else default.strip()
    return documented


def _model_keys() -> dict[str, object]:
    """Every key a configuration file may set, with its default (the tables of domains and estimates by field)."""
    from orchestrator.config import DomainConfig, WorkerTypeEstimate

    keys: dict[str, object] = {}
    for section, values in Config().model_dump().items():
        for key, value in values.items():
            if key == "domains":
                keys |= {f"{section}.domains.NAME.{field}": None for field in DomainConfig.model_fields}
            elif key == "estimates":
                keys |= {f"{section}.estimates.TYPE.{field}": None for field in WorkerTypeEstimate.model_fields}
            else:
                keys[f"{section}.{key}"] = value
    return keys


def test_the_readme_documents_every_key_with_its_default_and_no_other() -> None:
    """A key added to ``config.py`` without a row in the README's table (or a row for a key that is gone, or a
    default that changed) fails here."""
    documented, keys = _readme_config_table(), _model_keys()
    assert sorted(set(keys) - set(documented)) == [], "keys missing from the README's configuration table"
    assert sorted(set(documented) - set(keys)) == [], "the README documents keys that do not exist"
    for key, default in keys.items():
        shown = documented[key]
        if isinstance(default, bool):
            assert shown == str(default).lower(), key
        elif isinstance(default, int | float):
            assert float(shown) == default, f"{key}: README says {shown}, config.py {default}"
        elif isinstance(default, list):
            assert shown == "lists", key
        elif isinstance(default, str):
            assert shown == default, key
    estimates = Config().planner.estimates
    row = documented["planner.estimates.TYPE.minutes"]
    for worker_type, estimate in estimates.items():  # each worker type's default named in its cell
        assert re.search(rf"`{worker_type}`[^;]*? {estimate.minutes}, {estimate.tokens}\b", row), worker_type
    assert all(f"`{name}`" in documented["classifier.domains.NAME.master"] for name in Config().classifier.domains)


def test_a_domain_table_changes_that_domain_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[classifier.domains.security]\nhints = ["firewall"]\n'
                    '[classifier.domains.data]\nmaster = "inventory"\nkeywords = ["dataset"]\n'
                    '[planner.estimates.test]\nminutes = 12\n')
    config = load_config(path, tmp_path)
    domains = config.classifier.domains
    assert set(domains) == {"development", "security", "inventory", "cicd", "docs", "data"}
    assert domains["security"].hints == ["firewall"] and "xss" in domains["security"].keywords
    assert domains["data"].master == "inventory"
    assert config.planner.estimates["test"].minutes == 12 and config.planner.estimates["test"].tokens == 8000
    assert "planner" in config.planner.estimates
