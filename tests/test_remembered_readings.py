"""The text readers that remember their last few texts (perf17): the same results as reading afresh, whatever was
read before, and a remembered list is never shared between callers."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig, PlannerConfig
from orchestrator.history import History, examples_from_queue
from orchestrator.models import QueueTask
from orchestrator.planner import builtin_drafts
from orchestrator.textsignals import after_label, forget_texts, head_phrase, sequence_markers, stage_words

DEV = Path(__file__).resolve().parent.parent / "src" / "orchestrator" / "data" / "dev-corpus.json"


def test_a_remembered_list_is_each_callers_own() -> None:
    text = "Build the export job, then test it, then deploy it"
    first = sequence_markers(text)
    first.append("changed by a caller")
    stages = stage_words(text)
    stages.clear()
    assert sequence_markers(text) == ["then"]
    assert stage_words(text) == ["then", "then"]


def test_each_text_is_read_as_itself() -> None:
    # near texts, read one after the other: each answer is its own text's
    assert after_label("Finance asks: who can approve refunds") == "who can approve refunds"
    assert after_label("Finance asks who can approve refunds") == "Finance asks who can approve refunds"
    assert head_phrase("Add a search box to the audit log page") != head_phrase("Fix the login page")


def _task(number: int, title: str, description: str) -> QueueTask:
    return QueueTask.model_validate({"id": f"t-{number}", "title": title, "description": description,
                                     "status": "pending", "priority": "medium", "created_by": "test"})


def test_a_classification_is_the_same_whatever_was_classified_before() -> None:
    """Tasks that share a title or a description, classified in a row by one classifier, decide as each read
    afresh (the remembered readings forgotten before each one)."""
    records = json.loads(DEV.read_text())[:150]
    tasks = [_task(i, r["task"]["title"], r["task"].get("description", "")) for i, r in enumerate(records)]
    # the same title with another description, the same description under another title
    tasks += [_task(1000 + i, a.title, b.description) for i, (a, b) in enumerate(zip(tasks[:40], tasks[40:80], strict=True))]
    tasks += [_task(2000, "Deploy the api, then run the smoke tests, then announce it", ""),
              _task(2001, "Deploy the api", "Then run the smoke tests, then announce it"),
              _task(2002, "Deploy the api", "")]
    classifier = Classifier(ClassifierConfig())
    in_a_row = [classifier.classify(task) for task in tasks]
    fresh = Classifier(ClassifierConfig())
    afresh = []
    for task in tasks:
        forget_texts()
        afresh.append(fresh.classify(task))
    assert in_a_row == afresh


def test_a_keyword_is_found_through_its_first_letters_as_by_trying_every_one() -> None:
    """``Router._has_keyword`` tries only the keywords whose first three letters the text holds: the same answer as
    trying every keyword of the domain, for each keyword said alone, inside a sentence, and for real titles."""
    classifier = Classifier(ClassifierConfig())
    patterns = classifier._patterns

    def every(lowered: str, domain: str) -> bool:
        return any(weight > 1 and plain in lowered and pattern.search(lowered)
                   for _, plain, pattern, weight in patterns[domain])

    texts = [f"please look at the {plain} today" for words in patterns.values() for _, plain, _, _ in words]
    texts += [plain for words in patterns.values() for _, plain, _, _ in words]
    texts += [r["task"]["title"].lower() for r in json.loads(DEV.read_text())[:300]]
    found = 0
    for text in texts:
        for domain in patterns:
            assert classifier._has_keyword(text, domain) == every(text, domain), (text, domain)
            found += every(text, domain)
    assert found > len(texts) // 2  # the texts hold keywords: the comparison is not only of "no"
    assert not classifier._has_keyword("", "cicd") and not classifier._has_keyword("ci", "security")


def test_another_domains_word_is_found_through_its_first_letters_as_by_trying_every_one() -> None:
    """``Router._other_domain`` tries only the routing words whose text the word holds (perf18): the same answer as
    trying every routing word of every domain but development's, keywords only or hints too, for each routing word
    itself, with a suffix, and for every word of real titles and descriptions (its memo cleared for each)."""
    classifier = Classifier(ClassifierConfig())
    config = classifier.config
    others = [(plain, pattern, weight) for name, words in classifier._patterns.items()
              if config.domains[name].master != "development" for _, plain, pattern, weight in words]

    def every(word: str, keywords_only: bool) -> bool:
        return any(plain in word and pattern.fullmatch(word) for plain, pattern, weight in others
                   if weight > 1 or not keywords_only)

    words = {plain for entries in classifier._patterns.values() for _, plain, _, _ in entries}
    words |= {f"{word}s" for word in words} | {f"re{word}" for word in words}
    for record in json.loads(DEV.read_text())[:600]:
        text = f"{record['task']['title']} {record['task'].get('description', '')}"
        words |= {word for word in text.lower().split()} | set(text.split())
    words |= {"", "ci", "a"}
    found = 0
    for word in sorted(words):
        for keywords_only in (False, True):
            classifier._other_domain_memo.clear()
            assert classifier._other_domain(word, keywords_only) == every(word, keywords_only), (word, keywords_only)
            found += every(word, keywords_only)
    assert found > 500  # the words hold other domains' words: the comparison is not only of "no"


def test_a_pickup_reads_its_tasks_rules_once() -> None:
    """perf19: a complex pickup routes its task to classify it and again in its draft; the second route takes
    the rules' reading of the first (counted: ``Router._ruled``), and a near text (another description, another
    type) is read afresh."""
    classifier = Classifier(ClassifierConfig())
    task = _task(1, "Add authentication system with security audit and docs", "")
    forget_texts()
    classifier.classify(task)
    read = classifier._ruled.cache_info()
    assert (read.hits, read.misses) == (0, 1)
    builtin_drafts(task, classifier, PlannerConfig())
    assert classifier._ruled.cache_info().hits == 1  # the task's own reading again; its parts are new texts
    hits, missed = classifier._ruled.cache_info()[:2]
    plain = classifier.route(task.title, "", (None, None))  # as classify asked it
    typed = classifier.route(task.title, "", ("cicd",))
    described = classifier.route(task.title, "Deploy it", ("cicd",))
    assert classifier._ruled.cache_info()[:2] == (hits + 1, missed + 2)  # only the first was read before
    assert plain.reasons != typed.reasons != described.reasons  # each read as itself
    forget_texts()
    assert classifier._ruled.cache_info().currsize == 0


def test_a_kept_reading_is_never_changed_by_a_route_or_its_caller() -> None:
    """Each route gets its own reasons and scores: a caller that changes them changes nothing the next route of
    the same text says, nor does what the history decided for one route."""
    classifier = Classifier(ClassifierConfig())
    title = "Add an export button to the audit log page"
    first = classifier.route(title, "", ("security",))
    first.reasons.append("changed by a caller")
    first.scores["cicd"] = 99.0
    again = classifier.route(title, "", ("security",))
    forget_texts()
    assert again == Classifier(ClassifierConfig()).route(title, "", ("security",)) != first


def test_a_route_with_the_history_is_the_same_after_one_without() -> None:
    """The rules' reading is shared between a route with the queue's history and one without (the draft's):
    the history still decides as it would have on a text read afresh."""
    records = json.loads(DEV.read_text())
    finished = [{**r["task"], "id": f"h-{i}", "status": "completed", "assigned_to": r["label"]["master"],
                 "assigned_by": "person"} for i, r in enumerate(records[:300])]
    history = History(examples_from_queue(finished))
    classifier, fresh = Classifier(ClassifierConfig()), Classifier(ClassifierConfig())
    decided = 0
    for r in records[300:500]:
        title, description = r["task"]["title"], r["task"].get("description", "")
        without = classifier.route(title, description)
        with_history = classifier.route(title, description, history=history)
        forget_texts()
        assert with_history == fresh.route(title, description, history=history)
        decided += with_history != without
    assert decided > 0  # the history decided some of them: the comparison is not only of routes it left alone
