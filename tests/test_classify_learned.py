"""The learned backstop: the model itself (pure, deterministic) and where it sits among the rules and history."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator import views
from orchestrator.classify import MODEL_COMPLEX_MIN, Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.history import History, examples_from_queue
from orchestrator.learned import (
    FeatureCounts,
    Judgement,
    LearnedModel,
    NaiveBayes,
    features,
    shipped_examples,
    vocabulary_index,
)
from orchestrator.models import MASTERS, QueueTask
from orchestrator.routing import MODEL_MASTER_MIN

NO_WORDS = "Set a shorter max-age on the session cookie"
"""No routing word: the rules alone send it to the default master."""


def record(title: str, master: str | None, description: str = "", **task: Any) -> dict[str, Any]:
    decision = "complex" if master is None else "simple"
    return {"label": {"decision": decision, "master": master, "why": ""},
            "task": {"id": title[:20], "title": title, "description": description, **task}}


TINY = [record("Rotate the leaked webhook secret", "security"), record("Set max-age on the session cookie", "security"),
        record("Add a dark mode toggle", "development"), record("Show the build number in the footer", "development"),
        record("List every repository without an owner", "inventory"), record("Cache pip between CI runs", "cicd"),
        record("Customer portal with billing, SSO and an admin UI", None)]


class Saying(LearnedModel):
    """A model that says one thing of every task (the classifier's side of the contract, alone)."""

    def __init__(self, master: str = "security", probability: float = 0.99, complex_: float = 0.0) -> None:
        rest = (1 - probability) / (len(MASTERS) - 1)
        fixed = Judgement({name: probability if name == master else rest for name in MASTERS}, complex_)
        self.asked: list[str] = []

        def judge(title: str, description: str, type_: str | None) -> Judgement:
            self.asked.append(title)
            return fixed

        self.judge = judge  # type: ignore[method-assign,assignment]


def classify(title: str, model: LearnedModel | None, history: History | None = None, **fields: Any):
    task = QueueTask.model_validate({"id": "t", "title": title, **fields})
    return Classifier(ClassifierConfig(), model).classify(task, history)


# --- the model ------------------------------------------------------------------------------------

def test_features_mark_the_title_and_read_pairs_type_files_and_shape() -> None:
    found = features("Rotate the keys", "Update config/app.yaml and deploy.", "security-fix")
    assert {"t:rotate", "rotate", "t:key", "t:rotate_key", "first:rotate", "last:key", "update", "update_deploy",
            "n:config", "n:app", "n:yaml", "type:security-fix", "tlen:4", "ands:1", "desc:200"} <= set(found)
    assert "config" not in found  # a path's words are a name's, not the work's
    assert "the" not in found and "t:keys" not in found  # stopwords go, a plural s is dropped
    assert {"sentences:3+", "desc:600+", "tlen:2", "commas:0"} <= set(features("One two", "One. Two! Three? " * 50))


def test_a_name_in_a_path_does_not_send_the_task_to_the_master_it_names() -> None:
    """The repository is called inventory-scanner; writing its README is development's."""
    result = Classifier(ClassifierConfig()).classify(QueueTask.model_validate(
        {"id": "t", "title": "Write a README for example-org/inventory-scanner", "status": "pending"}))
    assert result.master == "development" and "n:inventory" in features("Write a README for example-org/inventory-scanner")


def test_training_is_deterministic_whatever_the_order_of_the_examples() -> None:
    records = shipped_examples()[:200]
    shuffled = list(records)
    random.Random(3).shuffle(shuffled)
    task = ("Pin the base image of the build", "The Dockerfile pulls node:latest; pin it.", None)
    assert LearnedModel(records).judge(*task) == LearnedModel(shuffled).judge(*task)  # to the last bit


def test_a_judgement_is_the_same_in_every_process() -> None:
    """Sets of strings iterate in a per-process order (hash randomisation): sums must not depend on it."""
    script = ("from orchestrator.learned import builtin_model, features, shipped_examples as s; m = builtin_model(); "
              "print([repr(m._masters.probabilities(features(r['task']['title'], r['task'].get('description', ''))))"
              " for r in s()[:100]])")
    said = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(said) == 1 and "security" in said.pop()  # unrounded, to the last bit


def test_probabilities_sum_to_one_and_unknown_words_leave_the_priors() -> None:
    model = NaiveBayes([["a"], ["a"], ["b"]], ["x", "x", "y"], temperature=1.0)
    unknown = model.probabilities(["never-seen"])
    assert unknown == pytest.approx({"x": 2 / 3, "y": 1 / 3})
    seen = model.probabilities(["b"])
    assert seen["y"] > 0.5 and sum(seen.values()) == pytest.approx(1.0)


def test_a_shared_index_changes_no_probability_to_the_last_bit() -> None:
    """The two built-in models share one places dict (memory); a feature only the other model knows
    must say nothing here, exactly as a feature this model never saw."""
    mine, other = FeatureCounts(), FeatureCounts()
    for document, label in [(["a", "b"], "x"), (["a", "c"], "x"), (["d"], "y")]:
        mine.add(document, label)
        other.add(document, "simple")
    other.add(["only-other", "a"], "complex")
    alone, shared = NaiveBayes(mine), NaiveBayes(mine, index=vocabulary_index(mine, other))
    for document in (["a", "only-other"], ["only-other"], ["b", "d", "never"], []):
        assert shared.probabilities(document) == alone.probabilities(document)
    assert shared.probabilities(["only-other", "b"]) != shared.probabilities(["only-other"])  # a known one still speaks
    model = LearnedModel(TINY)
    assert model._masters._index is model._complexity._index


def test_temperature_tempers_the_odds_but_keeps_the_order() -> None:
    documents, labels = [["a", "b"], ["a", "c"], ["d"]], ["x", "x", "y"]
    sure, tempered = NaiveBayes(documents, labels, temperature=1.0), NaiveBayes(documents, labels, temperature=4.0)
    assert 0.5 < tempered.probabilities(["a", "b"])["x"] < sure.probabilities(["a", "b"])["x"]


def test_the_shipped_model_learns_from_its_examples() -> None:
    model = LearnedModel(TINY)
    assert model.size == len(TINY)
    assert model.judge("Rotate the leaked deploy secret", "", None).master == "security"
    assert model.judge("Cache npm between CI runs", "", None).master == "cicd"
    assert model.judge("Customer portal with billing, SSO and an admin UI", "", None).complex > 0.5


# --- where it sits ----------------------------------------------------------------------------------

def test_it_decides_when_no_rule_read_the_work_and_says_so_with_its_confidence() -> None:
    assert classify(NO_WORDS, None).master == "development"  # the rules alone: the default master
    result = classify(NO_WORDS, Saying("security", 0.9))
    assert result.master == "security"
    assert any("no rule read what the work is" in r and "no routing words" in r for r in result.reasons)
    assert any(r.startswith("the built-in model decided: security (0.90") for r in result.reasons)
    assert 0.85 <= result.confidence <= 0.92  # its probability, not the rules' certainty of their words


def test_it_breaks_a_tie_of_words() -> None:
    tie = "Tidy the secrets and the pipeline notes"
    assert any("a tie: security 18 against cicd 18" in r for r in classify(tie, None).reasons)
    assert classify(tie, None).master == "security"  # the rules' own tie-break
    result = classify(tie, Saying("cicd", 0.95))
    assert result.master == "cicd" and any("the built-in model decided: cicd" in r for r in result.reasons)
    agreeing = classify(tie, Saying("security", 0.95))  # it agrees: the rules' decision, said as theirs
    assert agreeing.master == "security" and not any("built-in model" in r for r in agreeing.reasons)


def test_an_unsure_model_decides_nothing() -> None:
    result = classify(NO_WORDS, Saying("security", MODEL_MASTER_MIN - 0.05))
    assert result.master == "development" and not any("built-in model" in r for r in result.reasons)


@pytest.mark.parametrize(("title", "fields", "master"), [
    ("Fix the SQL injection in the login form", {}, "security"),        # a security defect named: a head rule
    ("Roll back the audit-log service to v1.2.3", {}, "cicd"),         # a lead verb opens the work
    ("Take the payments API back to the previous release", {}, "cicd"),  # the place: a release
    ("Add a dark mode toggle to the settings page", {}, "development"),  # a software noun heads the work
    (NO_WORDS, {"type": "development"}, "development"),                 # the type the writer declared
])
def test_it_never_overrides_a_clear_rule_or_a_declared_type(title: str, fields: dict[str, Any], master: str) -> None:
    result = classify(title, Saying("inventory", 0.999), **fields)
    assert result.master == master and not any("built-in model" in r for r in result.reasons)


def test_the_queues_history_comes_before_it() -> None:
    history = History(examples_from_queue([
        {"id": "h1", "title": "Set max-age=900 on the session cookie", "status": "completed",
         "assigned_to": "cicd", "assigned_by": "alice"},
        {"id": "h2", "title": "Set a max-age on the cookie of the shop", "status": "completed",
         "assigned_to": "cicd", "assigned_by": "alice"}]))
    model = Saying("security", 0.999)
    result = classify(NO_WORDS, model, history)
    assert result.master == "cicd" and any("history decided: cicd" in r for r in result.reasons)
    assert not any("built-in model" in r for r in result.reasons)


def test_history_that_knows_such_tasks_keeps_it_out_even_where_the_rules_were_sure_of_their_words() -> None:
    words = "Bump the node version in the docs"  # development by its words, no head rule
    assert classify(words, None).master == "development"
    agreeing = History(examples_from_queue([{"id": "h", "title": words, "status": "completed",
                                             "assigned_to": "development", "assigned_by": "alice"}]))
    assert classify(words, Saying("cicd", 0.99), agreeing).master == "development"
    assert classify(words, Saying("cicd", 0.99)).master == "cicd"


def test_it_plans_a_task_the_rules_found_no_parts_in_only_when_nothing_says_it_is_small() -> None:
    # a capability the rules see as one thing, a calendar (a bare capability they know no word of needs less:
    # test_complexity_causes.test_a_bare_capability_leans_on_the_model)
    title = "Shared team calendars"
    assert classify(title, None).decision == "simple"
    planned = classify(title, Saying(complex_=MODEL_COMPLEX_MIN))
    assert planned.decision == "complex"
    assert any("built-in model judged it complex (0.99)" in r for r in planned.reasons)
    assert classify(title, Saying(complex_=MODEL_COMPLEX_MIN - 0.02)).decision == "simple"
    small = classify(title, Saying(complex_=0.999), description="A 10-minute change in ui/teams.py line 12.")
    assert small.decision == "simple"  # a file and a line named: evidence that it is small
    assert classify(title, Saying(complex_=0.999), complexity="low").decision == "simple"


def test_it_is_asked_once_per_task_and_never_when_switched_off() -> None:
    model = Saying("security", 0.99)
    classify(NO_WORDS, model)
    assert model.asked == [NO_WORDS, NO_WORDS]  # route and complexity ask; the real model caches the answer
    off = Classifier(ClassifierConfig(learned_model=False), model)
    assert off.learned is None
    assert off.classify(QueueTask(id="t", title=NO_WORDS)).master == "development"


def test_the_builtin_model_is_trained_on_first_use_from_the_shipped_examples() -> None:
    classifier = Classifier(ClassifierConfig())
    assert classifier.learned is not None and classifier.learned.size == len(shipped_examples()) >= 300
    # no routing word, but the shipped examples know what a session cookie's scope is
    assert classifier.classify(QueueTask(id="t", title="Limit the session cookie to the admin domain")).master == "security"


# --- measuring it --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def evaluation() -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import eval as module
    return module


def test_cross_validation_judges_each_task_by_a_model_that_never_saw_it(
        evaluation: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [*(record(f"Quarterly chore {n}", "security") for n in range(9)), record("Weekly errand", "cicd")]
    folds = evaluation.folds(records, 5)
    assert sorted(i for fold in folds for i in fold) == list(range(10)) and folds == evaluation.folds(records, 5)
    outcomes = evaluation.cross_validate(records, 5, ClassifierConfig(), with_history=False)
    assert [o.id for o in outcomes] == [r["task"]["id"] for r in records]
    assert outcomes[0].got == "security"  # learned from the other folds
    assert outcomes[-1].got != "cicd"  # the only cicd example was not in its own training folds
    part = tmp_path / "part.json"
    part.write_text(json.dumps(records))
    assert evaluation.main(["--part", str(part), "--folds", "5", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["folds"] == 5 and numbers["model_routed"] == 8  # no rule read them: the model
    # routed all but the two tasks of the cicd task's own fold (its model saw security alone: blind)
    assert evaluation.main(["--part", str(part), "--folds", "5", "--no-model", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model_routed"] == 0


def test_cross_validation_by_batch_judges_each_writers_batch_by_a_model_of_the_others(
        evaluation: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # batch "a" says chores are security's; batch "b" alone says cicd: judged by "a", b is not cicd
    records = [*(record(f"Quarterly chore {n}", "security") for n in range(6)), record("Weekly errand", "cicd"),
               *(record(f"Quarterly chore {n}", "cicd") for n in range(2))]
    for n, one in enumerate(records):
        one["task"]["id"] = f"a-{n:03d}" if n < 7 else f"b_{n}"
    assert evaluation.batches(records) == [[0, 1, 2, 3, 4, 5, 6], [7, 8]]
    outcomes = evaluation.cross_validate(records, 0, ClassifierConfig(), with_history=False, by_batch=True)
    assert [o.got for o in outcomes[7:]] == ["security", "security"]  # never learned from its own batch
    part = tmp_path / "part.json"
    part.write_text(json.dumps(records))
    assert evaluation.main(["--part", str(part), "--by-batch", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    # a was judged by b's model, which knows one label and so decides nothing; b by a's, which says security
    assert numbers["by_batch"] is True and numbers["right_master"] == 0.0 and numbers["model_routed"] == 2


def test_the_ledger_sets_each_decision_of_the_model_against_the_rules_alone(evaluation: Any) -> None:
    """What the model is worth is what it gained less what it lost, each against the rules alone; a task
    the model did not decide is not in it, whatever its outcome."""
    def outcome(got: str, label: str, model: bool) -> Any:
        said = ["the built-in model decided: security (0.90; development 0.10)"] if model else ["development words: page"]
        return evaluation.Outcome(f"{got}-{label}", "t", label, got, said)

    made = [outcome("security", "security", True), outcome("security", "development", True),
            outcome("security", "cicd", True), outcome("cicd", "development", False)]
    alone = [outcome("development", "security", False), outcome("development", "development", False),
             outcome("development", "cicd", False), outcome("development", "development", False)]
    book = evaluation.ledger(made, alone)
    assert (book["gained"], book["lost"], book["wrong"], book["right"]) == (1, 1, 1, 0)
    assert [row["effect"] for row in book["decisions"]] == ["lost", "gained", "wrong"]  # losses first
    assert book["decisions"][0]["rules"] == "development" and book["decisions"][0]["got"] == "security"


def test_the_ledger_of_a_part_counts_what_the_model_gained_and_lost(
        evaluation: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the rules alone send the cookie's scope to the default master; the shipped examples know it is security's:
    # labelled security, the model gained it; labelled development, the same decision lost it
    cookie = "Limit the session cookie to the admin domain"
    records = [record(cookie, "security"), {**record(cookie, "development"), "task": {"id": "mine", "title": cookie}},
               record("Rotate the leaked webhook secret", "security")]  # a rule reads it: the model is not asked
    part = tmp_path / "part.json"
    part.write_text(json.dumps(records))
    assert evaluation.main(["--part", str(part), "--ledger", "--json"]) == 0
    book = json.loads(capsys.readouterr().out)["ledger"]
    assert (book["gained"], book["lost"], book["wrong"]) == (1, 1, 0)
    assert book["decisions"][0] == {**book["decisions"][0], "id": "mine", "effect": "lost", "got": "security",
                                    "rules": "development"}
    assert evaluation.main(["--part", str(part), "--ledger"]) == 0
    assert "the built-in model against the rules alone: gained 1, lost 1" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        evaluation.main(["--part", str(part), "--ledger", "--no-model"])


def test_explain_shows_what_the_model_thinks_whether_or_not_it_decided() -> None:
    task = QueueTask(id="t", title=NO_WORDS)
    found = views.explain(task, {}, Classifier(ClassifierConfig(), Saying("security", 0.9, complex_=0.25)))
    assert found["learned_model"]["complex"] == 0.25 and next(iter(found["learned_model"]["masters"])) == "security"
    text = views.explain_text(found)
    assert "the built-in model decided: security (0.90" in text
    assert "built-in model: security 0.90, " in text and text.endswith("; complex 0.25")
    assert "built-in model" not in views.explain_text(views.explain(task, {}, Classifier(ClassifierConfig(), None)))


def test_without_its_examples_the_rules_and_history_route_alone_and_doctor_says_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import orchestrator.doctor
    import orchestrator.routing

    monkeypatch.setattr(orchestrator.routing, "builtin_model", lambda: None)
    classifier = Classifier(ClassifierConfig())
    assert classifier.learned is None and classifier.classify(QueueTask(id="t", title=NO_WORDS)).master == "development"

    def unreadable() -> list[dict[str, Any]]:
        raise FileNotFoundError("dev-corpus.json")

    assert [f.level for f in orchestrator.doctor.examine_learned(ClassifierConfig())] == ["ok"]
    monkeypatch.setattr(orchestrator.doctor, "shipped_examples", unreadable)
    [finding] = orchestrator.doctor.examine_learned(ClassifierConfig())
    assert finding.level == "problem" and "dev-corpus.json" in finding.what and "reinstall" in finding.action
    assert orchestrator.doctor.examine_learned(ClassifierConfig(learned_model=False))[0].level == "ok"


def test_records_that_are_not_labelled_tasks_teach_nothing() -> None:
    assert LearnedModel([*TINY, "junk", {"task": "x"}, {"label": {}, "task": {"title": 3}}]).size == len(TINY) + 1


def test_dotted_names_and_quoted_names_are_names_without_a_slash_anywhere() -> None:
    """A text with no path still has names: a dotted one (package.json) and a quoted one are features
    of their own, not the work's words."""
    found = features("Bump lodash.merge in package.json", "The `inventory` flag stays as it is.")
    assert {"n:lodash", "n:merge", "n:package", "n:json", "n:inventory"} <= set(found)
    assert "package" not in found and "inventory" not in found
