"""The built-in learned backstop: naive Bayes over the words of labelled tasks we ship.

The rules (``classify.py``) read what a task *is*; where they only count routing words, a model
trained on many labelled tasks reads phrasings no word list foresaw. Two models over one set of
features (word unigrams and bigrams of title and description, the title's first and last word,
the ``type``, the text's shape; files' extensions were tried and added nothing):

- *master*: which of the four masters, trained on the tasks labelled simple;
- *complexity*: simple or complex, trained on every task.

The examples are the dev part of the labelled corpus, shipped as package data
(``orchestrator/data/dev-corpus.json``). Training is counting: deterministic (no random
state; sums that do not depend on order), done on first use and cached, about 40 ms. Pure:
examples in, probabilities out.

The constants were chosen on the dev part only: 10-fold cross-validated, and split by time
(README, "Measured").
"""

from __future__ import annotations

import functools
import json
import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from orchestrator.models import MASTERS
from orchestrator.textsignals import split_identifiers

ALPHA = 0.1
"""Additive smoothing of the word counts (0.05-0.5 tried: 0.1 best)."""
TEMPERATURE = 4.0
"""Naive Bayes multiplies dependent words as if independent: its odds are far too sure. Dividing the
log-odds by this makes them honest (cross-validated log-loss 0.81 at 1, 0.34 at 4; of the
cross-validated decisions it gives 0.8-0.95, about nine in ten are right)."""
EXAMPLES = "dev-corpus.json"
COMPLEX = "complex"
SIMPLE = "simple"

_WORD = re.compile(r"[a-z][a-z0-9]+")
_AND = re.compile(r"\band\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?\n]+")
_STOPWORDS = frozenset({"a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "is", "are", "it", "its", "with",
                        "be", "this", "that", "we", "our", "as", "at", "by", "from"})


def _tokens(text: str) -> list[str]:
    """Lower-case words without stopwords, a plural ``s`` dropped (keys -> key, not pass -> pas)."""
    return [word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
            for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


def _bucket(n: int, edges: Sequence[int]) -> str:
    """``n`` named by the first edge it does not pass: 2 with (0, 2, 4) -> ``"2"``, 9 -> ``"4+"``."""
    return next((str(edge) for edge in edges if n <= edge), f"{edges[-1]}+")


def features(title: str, description: str = "", type_: str | None = None) -> list[str]:
    """What the models read of a task: title words (marked ``t:``, and again plain), description words,
    word pairs of each, the title's first and last word, the type and the shape (how long the title and
    description are, how many commas, "and"s and sentences)."""
    # the words of a path, a repository or a quoted name are features of their own (``n:``), not the
    # words of the work: "Write a README for example-org/inventory-scanner" is not about inventory
    (title, title_names), (description, names) = split_identifiers(title), split_identifiers(description)
    title_words, words = _tokens(title), _tokens(description)
    found = [*(f"t:{w}" for w in title_words), *title_words, *words,
             *(f"t:{a}_{b}" for a, b in zip(title_words, title_words[1:], strict=False)),
             *(f"{a}_{b}" for a, b in zip(words, words[1:], strict=False))]
    found += [f"n:{w}" for w in _tokens(" ".join(title_names + names))]
    if title_words:
        found += [f"first:{title_words[0]}", f"last:{title_words[-1]}"]
    if type_:
        found.append(f"type:{type_.strip().lower()}")
    text = f"{title} {description}"
    ands = len(_AND.findall(text))
    sentences = len([s for s in _SENTENCE_END.split(description) if s.strip()])
    found += [f"desc:{_bucket(len(description), (0, 200, 600))}", f"tlen:{_bucket(len(title.split()), (2, 4, 8))}",
              f"commas:{_bucket(text.count(','), (0, 2))}", f"ands:{_bucket(ands, (0, 1))}",
              f"sentences:{_bucket(sentences, (0, 1, 3))}"]
    return found


class FeatureCounts:
    """How many training documents of each label hold each feature: what training counts.

    Counted one document at a time, so that no document is kept: holding all 2,205 tasks' features at
    once (some 220,000 strings) left the daemon 10 MB larger for good, freed but scattered among what
    the model keeps."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.examples: Counter[str] = Counter()

    def add(self, document: Iterable[str], label: str) -> None:
        self.counts.setdefault(label, Counter()).update(set(document))
        self.examples[label] += 1


def vocabulary_index(*tallies: FeatureCounts) -> dict[str, int]:
    """Each feature counted in any of ``tallies``, by its place in sorted order (a model's array index)."""
    vocabulary: set[str] = set()
    for tally in tallies:
        vocabulary.update(*tally.counts.values())
    return {word: at for at, word in enumerate(sorted(vocabulary))}


class NaiveBayes:
    """Multinomial naive Bayes over the presence of features, with :data:`ALPHA` smoothing and
    :data:`TEMPERATURE`-tempered probabilities. Training counts; it has no random state."""

    def __init__(self, documents: Iterable[Iterable[str]] | FeatureCounts, labels: Iterable[str] = (),
                 alpha: float = ALPHA, temperature: float = TEMPERATURE, *, index: dict[str, int] | None = None) -> None:
        """Trained on ``documents`` and their ``labels``, or on what a :class:`FeatureCounts` counted.

        ``index`` (from :func:`vocabulary_index`, holding at least this model's features) is a places
        dict shared with another model over the same documents: one dict, not one each."""
        self.temperature = temperature
        if isinstance(documents, FeatureCounts):
            tally = documents
        else:
            tally = FeatureCounts()
            for document, label in zip(documents, labels, strict=True):
                tally.add(document, label)
        counts, examples = tally.counts, tally.examples
        self.labels = sorted(counts)
        vocabulary = set().union(*counts.values()) if counts else set()
        totals = [sum(counts[label].values()) + alpha * len(vocabulary) for label in self.labels]
        self._prior = [math.log(examples[label] / examples.total()) for label in self.labels]
        self._index = vocabulary_index(tally) if index is None else index
        """Each known feature's place in the label's array (one dict for all labels)."""
        self._log: list[array[float]] = []
        """Each label's log-likelihood of each known feature, by place: a prediction is a few lookups
        per label. Arrays of doubles, not dicts of floats: the model kept 9 MB, a running daemon's
        memory is what the idle target counts. A feature of a shared index that this model never saw
        is 0.0 in every label: added to every score it changes no sum (``fsum`` is exact), as if unknown."""
        known = [self._index[word] for word in vocabulary] if len(self._index) > len(vocabulary) else None
        for label, total in zip(self.labels, totals, strict=True):
            never = math.log(alpha / total)  # a feature the model knows, never seen with this label
            if known is None:
                logs = array("d", [never]) * len(self._index)
            else:
                logs = array("d", [0.0]) * len(self._index)
                for at in known:
                    logs[at] = never
            for word, seen in counts[label].items():
                logs[self._index[word]] = math.log((seen + alpha) / total)
            self._log.append(logs)

    def probabilities(self, document: Iterable[str]) -> dict[str, float]:
        """Each label's probability for ``document``; features never seen in training say nothing.
        Nothing when training saw fewer than two labels (a damaged corpus): such a model would be
        sure of its one label whatever the text, and it knows nothing."""
        if len(self.labels) < 2:
            return {}
        places = [at for word in set(document) if (at := self._index.get(word)) is not None]
        # fsum is exactly rounded: the same probabilities, to the last bit, whatever order the set gives
        scores = [math.fsum([prior, *map(logs.__getitem__, places)]) for prior, logs in zip(self._prior, self._log, strict=True)]
        top = max(scores, default=0.0)
        weights = [math.exp((score - top) / self.temperature) for score in scores]
        total = sum(weights) or 1.0
        return {label: weight / total for label, weight in zip(self.labels, weights, strict=True)}


@dataclass(frozen=True)
class Judgement:
    """What the models say of one task."""

    masters: dict[str, float]
    """Each master's probability (they sum to 1)."""
    complex: float
    """The probability that the task needs a plan."""

    @property
    def master(self) -> str:
        return max(self.masters, key=lambda name: (self.masters[name], name))


class LearnedModel:
    """The two models, trained from labelled records (``{"label": {"decision", "master"}, "task": {...}}``,
    the corpus's format)."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        masters, complexity = FeatureCounts(), FeatureCounts()
        for record in records:
            task, label = (record.get("task"), record.get("label")) if isinstance(record, Mapping) else (None, None)
            if not isinstance(task, Mapping) or not isinstance(label, Mapping):
                continue  # not a labelled task: teaches nothing
            document = task_features(task)
            decision = COMPLEX if label.get("decision") == COMPLEX else SIMPLE
            complexity.add(document, decision)
            if decision == SIMPLE and label.get("master") in MASTERS:
                masters.add(document, str(label["master"]))
        self.size = complexity.examples.total()
        # one places dict for both: the masters' features are the complexity model's (22,000 of 29,000),
        # and a second dict with its own ints held 1.3 MB of the idle daemon's memory
        index = vocabulary_index(masters, complexity)
        self._masters = NaiveBayes(masters, index=index)
        self._complexity = NaiveBayes(complexity, index=index)
        self.judge = functools.lru_cache(maxsize=32)(self._judge)
        """Cached: the route and the complexity of one task ask about the same text."""

    def _judge(self, title: str, description: str, type_: str | None) -> Judgement:
        document = features(title, description, type_)
        masters = self._masters.probabilities(document)
        complexity = self._complexity.probabilities(document)
        return Judgement({name: round(masters.get(name, 0.0), 4) for name in MASTERS}, round(complexity.get(COMPLEX, 0.0), 4))


def task_features(task: Mapping[str, Any]) -> list[str]:
    """:func:`features` of a queue task's JSON (the description may sit in ``context``, as older writers put it)."""
    description = task.get("description")
    if not isinstance(description, str) or not description:
        context = task.get("context")
        nested = context.get("description") if isinstance(context, Mapping) else None
        description = nested if isinstance(nested, str) else ""
    type_ = task.get("type")
    return features(str(task.get("title") or ""), description, type_ if isinstance(type_, str) else None)


def shipped_examples() -> list[dict[str, Any]]:
    """The labelled tasks shipped with the package (the dev part of the corpus).

    Raises OSError or ValueError when the file is missing or is not a list (a broken install)."""
    text = resources.files("orchestrator").joinpath("data", EXAMPLES).read_text(encoding="utf-8")
    records = json.loads(text)
    if not isinstance(records, list):
        raise ValueError(f"{EXAMPLES}: expected a list of labelled tasks")
    return records


@functools.cache
def builtin_model() -> LearnedModel | None:
    """The model trained from :func:`shipped_examples`, once per process, on first use; None when they
    cannot be read (the rules and the queue's history then route alone, and ``doctor`` says why)."""
    try:
        return LearnedModel(shipped_examples())
    except (OSError, ValueError):
        return None
