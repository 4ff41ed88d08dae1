#!/usr/bin/env python3
"""Measure the classifier (default configuration) against a labelled corpus.

    python scripts/eval.py [--part dev|test|blind|blind2|all|PATH.json] [--history PART] [--folds K | --by-batch] [--no-model]
                           [--errors] [--ledger] [--json]
                           [--min-master 0.97] [--min-complex-recall 0.95] [--max-false-complex 0.05]

A corpus file is a list of ``{"label": {"decision", "master", "why"}, "task": {...queue task...}}``: the dev
part is src/orchestrator/data/dev-corpus.json (shipped: the built-in model learns from it), the test part
tests/data/corpus/test.json, the blind parts tests/data/corpus/blind.json and blind2.json (written blind to the rules and
never tuned on, see the README); or any file of that format such as tests/data/labelled_tasks.json.

Prints the right-master rate on tasks labelled simple (right master *and* decided simple), per-master
precision and recall, a confusion matrix (rows: label, columns: what the classifier decided), complex
recall (labelled complex, decided complex) and the false-complex rate (labelled simple, decided complex).
``--history dev`` plays a deployment whose queue already holds the dev part as finished tasks, each
assigned by a person to its labelled master: the rules' ties are then broken by those tasks (history.py).
The built-in model (learned.py) is trained on the dev part, so on the dev part its numbers are in-sample:
``--folds 10`` cross-validates instead (each tenth classified by a model trained on the other nine, and with
``--history`` naming the same part, by their history too); ``--no-model`` measures the rules (and history) alone.
``--ledger`` sets every decision the built-in model made against what the rules (and history) alone decided
for the same task: right where they were wrong (gained), wrong where they were right (lost), or either way;
like ``--errors``, it shows tasks, so not on the held-out parts.
It is a report: the exit status is 0 unless a ``--min-*``/``--max-*`` threshold is given and missed (1).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.history import History, examples_from_queue
from orchestrator.learned import LearnedModel, shipped_examples
from orchestrator.models import MASTERS, QueueTask

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "corpus"
FOLD_SEED = 1
COMPLEX = "complex"


@dataclass(frozen=True)
class Outcome:
    """One task: what its label says and what the classifier decided (a master, ``complex`` or ``error``)."""

    id: str
    title: str
    label: str
    got: str
    reasons: list[str]


def load(part: str) -> list[dict[str, Any]]:
    """The records of ``dev``, ``test``, ``blind``, ``blind2``, ``all`` (dev and test) or of a JSON file given by path."""
    if part == "all":
        return load("dev") + load("test")
    if part == "dev":
        return shipped_examples()
    path = CORPUS / f"{part}.json" if part in ("test", "blind", "blind2") else Path(part)
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return records


def as_history(records: list[dict[str, Any]]) -> History:
    """The labelled simple tasks as a queue's finished tasks, assigned by a person."""
    finished = [{**r["task"], "status": "completed", "assigned_to": r["label"]["master"], "assigned_by": "person"}
                for r in records if r["label"]["decision"] != COMPLEX]
    return History(examples_from_queue(finished))


def evaluate(records: list[dict[str, Any]], classifier: Classifier, history: History | None = None) -> list[Outcome]:
    """Classify every task; a task the classifier cannot take is an ``error`` outcome, not a crash."""
    outcomes = []
    for record in records:
        task, label = record["task"], record["label"]
        expected = COMPLEX if label["decision"] == COMPLEX else str(label["master"])
        try:
            result = classifier.classify(QueueTask.model_validate(task), history)
            got, reasons = (COMPLEX if result.decision == COMPLEX else str(result.master)), result.reasons
        except Exception as exc:  # a report goes on: one bad task is one wrong answer
            got, reasons = "error", [f"{type(exc).__name__}: {exc}"]
        outcomes.append(Outcome(str(task.get("id")), str(task.get("title") or ""), expected, got, reasons))
    return outcomes


def folds(records: list[dict[str, Any]], k: int) -> list[list[int]]:
    """``k`` disjoint sets of indexes covering ``records``: a fixed shuffle, the same every run."""
    order = list(range(len(records)))
    random.Random(FOLD_SEED).shuffle(order)
    return [sorted(order[i::k]) for i in range(k)]


def batches(records: list[dict[str, Any]]) -> list[list[int]]:
    """The records grouped by the batch their ids name (``tr3-017`` -> ``tr3``: one writer's tasks in one voice)."""
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        groups.setdefault(re.sub(r"[-_]?\d+$", "", str(record["task"].get("id"))), []).append(i)
    return list(groups.values())


def cross_validate(records: list[dict[str, Any]], k: int, config: ClassifierConfig, with_history: bool,
                   with_model: bool = True, by_batch: bool = False) -> list[Outcome]:
    """Each fold classified with a model (and, ``with_history``, a queue history) made of the other folds only;
    ``by_batch``: each writer's batch is a fold (new voices, as a deployment's are), ``k`` is not used."""
    outcomes: dict[int, Outcome] = {}
    for fold in batches(records) if by_batch else folds(records, k):
        held = set(fold)
        rest = [record for i, record in enumerate(records) if i not in held]
        classifier = Classifier(config, LearnedModel(rest) if with_model else None)
        found = evaluate([records[i] for i in fold], classifier, as_history(rest) if with_history else None)
        outcomes.update(zip(fold, found, strict=True))
    return [outcomes[i] for i in range(len(records))]


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    """The numbers of the report, as plain JSON-ready data."""
    simple = [o for o in outcomes if o.label != COMPLEX]
    complex_ = [o for o in outcomes if o.label == COMPLEX]
    per_master = {}
    for master in MASTERS:
        hits = sum(o.label == master and o.got == master for o in outcomes)
        labelled = sum(o.label == master for o in outcomes)
        predicted = sum(o.got == master for o in outcomes)
        per_master[master] = {"precision": _rate(hits, predicted), "recall": _rate(hits, labelled),
                              "labelled": labelled, "predicted": predicted}
    columns = [*MASTERS, *sorted({o.got for o in outcomes} - {*MASTERS, COMPLEX}), COMPLEX]
    rows = [*MASTERS, *sorted({o.label for o in outcomes} - {*MASTERS, COMPLEX}), COMPLEX]
    confusion = {row: {col: sum(o.label == row and o.got == col for o in outcomes) for col in columns} for row in rows}
    return {
        "tasks": len(outcomes),
        "simple": len(simple),
        "complex": len(complex_),
        "right_master": _rate(sum(o.got == o.label for o in simple), len(simple)),
        "complex_recall": _rate(sum(o.got == COMPLEX for o in complex_), len(complex_)),
        "false_complex": _rate(sum(o.got == COMPLEX for o in simple), len(simple)),
        "model_routed": sum(any(r.startswith(MODEL_ROUTED) for r in o.reasons) for o in outcomes),
        "model_planned": sum(any(r.startswith(MODEL_PLANNED) for r in o.reasons) for o in outcomes),
        "per_master": per_master,
        "confusion": confusion,
    }


MODEL_ROUTED = "the built-in model decided"
MODEL_PLANNED = "the built-in model judged it complex"


def ledger(outcomes: list[Outcome], alone: list[Outcome]) -> dict[str, Any]:
    """Each decision the built-in model made (``outcomes``), set against the same task's outcome without it
    (``alone``, in the same order): what the model is worth is its gains less its losses, not how sure it was."""
    rows = []
    for made, without in zip(outcomes, alone, strict=True):
        said = next((r for r in made.reasons if r.startswith((MODEL_ROUTED, MODEL_PLANNED))), None)
        if said is None:
            continue
        right, rules_right = made.got == made.label, without.got == made.label
        effect = "gained" if right and not rules_right else "lost" if rules_right and not right else \
            "right" if right else "wrong"
        rows.append({"id": made.id, "title": made.title, "label": made.label, "got": made.got,
                     "rules": without.got, "effect": effect, "reason": said})
    order = ("lost", "gained", "wrong", "right")
    rows.sort(key=lambda row: order.index(row["effect"]))
    return {**{effect: sum(row["effect"] == effect for row in rows) for effect in order}, "decisions": rows}


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:5.1f}%"


def print_ledger(book: dict[str, Any]) -> None:
    """The model's decisions against the rules alone, losses first."""
    print(f"\nthe built-in model against the rules alone: gained {book['gained']}, lost {book['lost']} "
          f"(wrong either way {book['wrong']}, right either way {book['right']})")
    for row in book["decisions"]:
        print(f"  {row['effect']:<7}{row['id']:<16} {row['title'][:60]:<60}  label={row['label']:<11} "
              f"model={row['got']:<11} rules={row['rules']:<11} {row['reason']}")


def print_report(part: str, numbers: dict[str, Any], errors: list[Outcome] | None) -> None:
    """The human-readable report (``errors`` is None unless ``--errors`` asked for the list)."""
    print(f"corpus: {part} ({numbers['tasks']} tasks: {numbers['simple']} simple, {numbers['complex']} complex)")
    print(f"right master on simple  {_pct(numbers['right_master'])}")
    print(f"complex recall          {_pct(numbers['complex_recall'])}")
    print(f"false-complex rate      {_pct(numbers['false_complex'])}")
    print(f"built-in model decided  {numbers['model_routed']} routes, planned {numbers['model_planned']} tasks")
    print(f"\n{'master':<13}{'precision':>10}{'recall':>9}{'labelled':>10}{'predicted':>11}")
    for master, row in numbers["per_master"].items():
        print(f"{master:<13}{_pct(row['precision']):>10}{_pct(row['recall']):>9}{row['labelled']:>10}{row['predicted']:>11}")
    confusion: dict[str, dict[str, int]] = numbers["confusion"]
    columns = list(next(iter(confusion.values())))
    print("\nconfusion (rows: label, columns: decided)")
    print(f"{'':<13}" + "".join(f"{col:>13}" for col in columns))
    for row, counts in confusion.items():
        print(f"{row:<13}" + "".join(f"{counts[col]:>13}" for col in columns))
    if errors is not None:
        print(f"\nmisclassified ({len(errors)})")
        for o in errors:
            print(f"  {o.id:<24} {o.title[:70]:<70}  label={o.label:<11} got={o.got:<11} {'; '.join(o.reasons[:3])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", default="test", help="dev, test, blind, blind2, all, or a labelled JSON file (default: test)")
    parser.add_argument("--history", help="a part (or path) whose tasks play the queue's finished tasks")
    parser.add_argument("--folds", type=int, help="cross-validate: each of K folds judged by a model (and, with "
                        "--history naming the same part, a history) made of the other folds")
    parser.add_argument("--by-batch", action="store_true", help="cross-validate by writer's batch (the id before its "
                        "number, tr3-017 -> tr3): each batch judged by a model (and history) made of the others")
    parser.add_argument("--no-model", action="store_true", help="the rules (and history) alone, without the built-in model")
    parser.add_argument("--errors", action="store_true", help="list the misclassified tasks")
    parser.add_argument("--ledger", action="store_true", help="set each decision of the built-in model against what "
                        "the rules alone decided: gained, lost, wrong or right either way (shows tasks: not on held-out parts)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--min-master", type=float, help="fail (exit 1) below this right-master rate")
    parser.add_argument("--min-complex-recall", type=float, help="fail (exit 1) below this complex recall")
    parser.add_argument("--max-false-complex", type=float, help="fail (exit 1) above this false-complex rate")
    args = parser.parse_args(argv)

    config = ClassifierConfig()
    if (args.folds or args.by_batch) and ((args.folds is not None and args.folds < 2) or args.history not in (None, args.part)):
        parser.error("--folds needs K >= 2, and --history (if given) naming the same part as --part")
    if args.ledger and args.no_model:
        parser.error("--ledger weighs the built-in model's decisions: not with --no-model")
    records = load(args.part)
    history = as_history(load(args.history)) if args.history and not (args.folds or args.by_batch) else None

    def judged(with_model: bool) -> list[Outcome]:
        if args.folds or args.by_batch:
            return cross_validate(records, args.folds or 0, config, args.history is not None, with_model,
                                  by_batch=args.by_batch)
        return evaluate(records, Classifier(config, "builtin" if with_model else None), history)

    outcomes = judged(not args.no_model)
    numbers = metrics(outcomes)
    errors = [o for o in outcomes if o.got != o.label] if args.errors else None
    book = ledger(outcomes, judged(False)) if args.ledger else None
    if args.json:
        if errors is not None:
            numbers["errors"] = [vars(o) for o in errors]
        if book is not None:
            numbers["ledger"] = book
        print(json.dumps({"part": args.part, "history": args.history, "folds": args.folds, "by_batch": args.by_batch,
                          "model": not args.no_model,
                          **numbers}, indent=2))
    else:
        print_report(args.part, numbers, errors)
        if book is not None:
            print_ledger(book)
        if args.part in ("dev", "all") and not (args.folds or args.by_batch or args.no_model):
            print("\nnote: the built-in model was trained on the dev part: its numbers there are in-sample "
                  "(--folds 10 cross-validates)")

    failed = []
    for name, value, bound, low in [("right master", numbers["right_master"], args.min_master, True),
                                    ("complex recall", numbers["complex_recall"], args.min_complex_recall, True),
                                    ("false-complex rate", numbers["false_complex"], args.max_false_complex, False)]:
        if bound is not None and (value is None or (value < bound if low else value > bound)):
            failed.append(f"{name} {value} {'<' if low else '>'} {bound}")
    for line in failed:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
