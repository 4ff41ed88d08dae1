"""The deployment's own conventions: history, people's corrections and overrides break the rules' ties."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.history import (
    History,
    QueueExamples,
    corrections_in,
    examples_from_corrections,
    examples_from_overrides,
    examples_from_queue,
    words,
)
from orchestrator.intake import TaskIndex
from orchestrator.memory import RoutingMemory
from orchestrator.models import MASTERS, QueueTask
from orchestrator.store import MemoryStore, StoreError

from sim import FAST, Sim, task

CLASSIFIER = Classifier(ClassifierConfig(), learned=None)  # history alone: the built-in model has its own tests
COOKIE = "Set a shorter max-age on the session cookie"  # no routing word: the rules cannot tell
RULES_ONLY = {**FAST, "classifier": {"learned_model": False}}
"""A daemon whose ties only history breaks (the built-in model would send COOKIE to security itself)."""


def finished(task_id: str, title: str, master: str, by: str = "alice", **fields: object) -> dict[str, object]:
    return {"id": task_id, "title": title, "status": "completed", "assigned_to": master, "assigned_by": by, **fields}


COOKIE_HISTORY = [finished("h1", "Set max-age=900 on the session cookie", "security"),
                  finished("h2", "Set a max-age on the cookie of the shop", "security"),
                  finished("h3", "Add a dark mode toggle to the settings page", "development"),
                  finished("h4", "Show the build number in the footer", "development")]


def classify(title: str, history: History | None, **fields: object) -> tuple[str | None, list[str]]:
    decision = CLASSIFIER.classify(QueueTask.model_validate({"id": "t", "title": title, **fields}), history)
    return decision.master, decision.reasons


def test_words_are_content_words_without_plural():
    assert words("Rotate the keys of all services") == {"rotate": 1, "key": 1, "service": 1}


def test_only_other_peoples_choices_and_corrections_are_examples():
    tasks = [finished("a", "x", "security"),                                        # a person chose
             finished("b", "y", "cicd", by="orchestrator", routed_to="cicd"),      # ours, unchanged
             finished("c", "z", "security", by="orchestrator", routed_to="development"),  # ours, moved
             finished("d", "w", "nobody"), {"id": "e", "title": "pending", "status": "pending"}, "junk"]
    assert [(e.task_id, e.source) for e in examples_from_queue(tasks)] == [("a", "history"), ("c", "correction")]
    [moved] = corrections_in(tasks)
    assert (moved.task_id, moved.routed_to, moved.master) == ("c", "development", "security")


def test_history_breaks_a_tie_the_rules_cannot():
    assert classify(COOKIE, None)[0] == "development"  # the default master, for want of a word
    master, reasons = classify(COOKIE, History(examples_from_queue(COOKIE_HISTORY)))
    assert master == "security"
    assert any("the rules were unsure (no routing words)" in r for r in reasons)
    assert any("history decided: security" in r and "nearest h1" in r for r in reasons)


def test_history_never_outvotes_a_clear_rule():
    clear = "Fix the SQL injection in the session cookie parser"
    many = [finished(f"d{n}", clear, "development") for n in range(10)]
    assert History(examples_from_queue(many)).vote(clear, "", {"development", "security"}) is not None
    master, reasons = classify(clear, History(examples_from_queue(many)))
    assert master == "security"
    assert not any("history" in r for r in reasons)


def test_examples_that_disagree_decide_nothing():
    split = [finished("s", "Set max-age on the session cookie", "security"),
             finished("d", "Set max-age on the session cookie again", "development")]
    master, reasons = classify(COOKIE, History(examples_from_queue(split)))
    assert master == "development" and not any("history" in r for r in reasons)


def test_a_distant_example_decides_nothing():
    far = [finished("f", "Rotate the TLS certificate of the gateway", "security")]
    assert classify(COOKIE, History(examples_from_queue(far)))[0] == "development"


def test_history_is_gathered_only_when_a_decision_needs_it():
    asked = []

    def gather() -> list:
        asked.append(1)
        return examples_from_queue(COOKIE_HISTORY)

    history = History(gather)
    classify("Fix the SQL injection in the login form", history)
    assert asked == []
    classify(COOKIE, history)
    classify(COOKIE, history)
    assert asked == [1]


def test_overrides_file_entries_are_checked_one_by_one():
    examples, problems = examples_from_overrides({"examples": [
        {"title": "Rotate the webhook secret", "master": "security"}, {"title": "", "master": "cicd"},
        {"title": "x", "master": "nobody"}, "junk"]})
    assert [e.master for e in examples] == ["security"]
    assert len(problems) == 3 and problems[0].startswith("example 2")
    assert examples_from_overrides("nonsense")[1]


def test_a_correction_is_remembered_and_decides_similar_tasks_after_the_queue_forgets_it():
    sim = Sim(config=RULES_ONLY)
    sim.start()
    sim.submit(task("t1", COOKIE))
    sim.tick()
    assert sim.queue_task("t1")["assigned_to"] == "development"
    assert sim.queue_task("t1")["routed_to"] == "development"
    # a person moves it to security
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["assigned_to"] = "security"
    sim.store.put(sim.layout.queue, queue)
    sim.tick()
    [event] = sim.events("routing_corrected")
    assert (event["task_id"], event["routed_to"], event["master"]) == ("t1", "development", "security")
    remembered = sim.store.get(sim.layout.routing_corrections)
    assert [c["task_id"] for c in remembered] == ["t1"]
    sim.submit(task("t1b", "Set a shorter max-age on the session cookie of the shop"))
    sim.tick()
    assert len(sim.events("routing_corrected")) == 1  # said once
    # near-identical: the person's word on it decides (counted once: one task named)
    assert [r for r in sim.queue_task("t1b")["routing_reasons"] if "near-identical" in r] == [
        "a person moved a near-identical task to security (t1: 'Set a shorter max-age on the session cookie', "
        "similarity 0.94); the rules said nothing (no routing word)"]
    # the queue is pruned, the daemon restarts: the correction still counts
    sim.store.put(sim.layout.queue, {"tasks": []})
    sim = sim.restart()
    sim.submit(task("t2", "Set a shorter max-age on the session cookie of the admin app"))
    sim.tick()
    assert sim.queue_task("t2")["assigned_to"] == "security"
    assert any("a person moved a near-identical task to security (t1: " in r
               for r in sim.queue_task("t2")["routing_reasons"])
    # one less alike only breaks the rules' tie, as the queue's history does
    sim.submit(task("t3", "Set a shorter cookie max-age for the marketing site visitors"))
    sim.tick()
    assert any("history decided: security (1 correction" in r for r in sim.queue_task("t3")["routing_reasons"])


def test_overrides_in_the_folder_decide_and_a_broken_file_is_said_once_and_left_alone():
    sim = Sim(config=RULES_ONLY)
    overrides = sim.layout.routing_overrides
    sim.store.put(overrides, {"examples": [{"title": "Set max-age on the session cookie", "master": "security"},
                                           {"title": "no master"}]})
    sim.start()
    sim.submit(task("t1", COOKIE))
    sim.tick()
    assert sim.queue_task("t1")["assigned_to"] == "security"
    [event] = sim.events("routing_overrides_invalid")
    assert "example 2" in event["problem"]
    sim.store.files[overrides] = b"{not json"
    sim.submit(task("t2", COOKIE + " of the shop"))
    sim.tick()
    sim.submit(task("t3", COOKIE + " of the blog"))
    sim.tick()
    assert sim.store.files[overrides] == b"{not json"
    assert len(sim.events("routing_overrides_invalid")) == 2  # the new problem, once
    # a file half saved, or a typo, does not undo the corrections in force: the last readable version decides
    assert sim.queue_task("t2")["assigned_to"] == "security"
    assert "last version that could be read" in sim.events("routing_overrides_invalid")[-1]["action"]
    del sim.store.files[overrides]  # removed: no overrides any more
    sim.submit(task("t4", COOKIE + " of the wiki"))
    sim.tick()
    assert sim.queue_task("t4")["assigned_to"] == "development"


def test_eval_history_mode_reads_the_corpus_as_finished_tasks(tmp_path):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import eval as evaluation

    part = tmp_path / "part.json"
    part.write_text(json.dumps([{"label": {"decision": "simple", "master": "security", "why": ""},
                                 "task": {"id": "x", "title": "Set max-age on the session cookie"}}]))
    history = evaluation.as_history(evaluation.load(str(part)))
    assert [(e.master, e.source) for e in history.examples] == [("security", "history")]


def test_words_are_counted_and_only_a_plural_s_is_dropped() -> None:
    assert words("keys key keys pass bus") == {"key": 3, "pass": 1, "bus": 1}


def test_an_example_keeps_its_description_and_a_vote_can_come_from_it() -> None:
    [with_text, without] = examples_from_queue([
        finished("d", "Ticket 1", "security", description="rotate the leaked stripe webhook secret"),
        finished("n", "Ticket 2", "cicd", description=42)])
    assert (with_text.text, without.text) == ("rotate the leaked stripe webhook secret", "")
    vote = History([with_text, without]).vote("Ticket 3", "rotate the leaked stripe webhook secret",
                                             {"security", "cicd"})
    assert vote is not None and vote.master == "security"


def test_the_best_supported_master_wins_whatever_order_the_examples_come_in() -> None:
    title = "Purge the stale cache of the image proxy"
    examples = examples_from_queue([finished("a", title, "development"), finished("b", title, "security"),
                                    finished("c", title, "security"), finished("z", "Unrelated words here", "cicd")])
    vote = History(examples).vote(title, "", {"development", "security"})
    assert vote is not None and (vote.master, vote.support) == ("security", 2.0)  # twice the runner-up: enough
    assert "2 historys" not in vote.reason() and "(2 history; nearest b:" in vote.reason()


def test_a_remembered_correction_keeps_what_it_was_about() -> None:
    [moved] = corrections_in([finished("c", "Set SameSite", "security", by="orchestrator", routed_to="development",
                                       description="on the session cookie")])
    [example] = examples_from_corrections([moved.as_json()])
    assert (example.task_id, example.title, example.text, example.master, example.source) == (
        "c", "Set SameSite", "on the session cookie", "security", "correction")


def test_a_correction_that_cannot_be_written_is_said_and_tried_again() -> None:
    sim = Sim()
    sim.start()
    real = sim.store.write_json
    failing = {"on": True}

    def write_json(path, data, **kwargs):  # type: ignore[no-untyped-def]
        if failing["on"] and path == sim.layout.routing_corrections:
            raise StoreError(f"{path}: cannot write: No space left on device")
        return real(path, data, **kwargs)

    sim.store.write_json = write_json  # type: ignore[method-assign]
    sim.submit(finished("t1", COOKIE, "security", by="orchestrator", routed_to="development"))
    sim.tick()
    [event] = sim.events("routing_corrections_unwritable")
    assert "No space left" in event["problem"] and sim.events("routing_corrected") == []
    failing["on"] = False
    sim.submit(task("t2", "Something else entirely"))  # the next change of the queue
    sim.tick()
    assert [e["task_id"] for e in sim.events("routing_corrected")] == ["t1"]
    assert [c["task_id"] for c in sim.store.get(sim.layout.routing_corrections)] == ["t1"]


FLAKY = ("Flaky: e2e/checkout.spec.ts fails 1 in 5 runs on CI",
         "checkout.spec.ts times out waiting for the total 20% of the time on CI. Quarantine it or fix the wait; "
         "it blocks dependabot merges.")


def test_a_persons_correction_of_a_near_identical_task_decides_even_where_the_rules_are_sure() -> None:
    """A new user moved a flaky test the rules had sent to security ('quarantine', 'dependabot') to cicd, and the
    next such task went to security again: a correction only broke ties. A person's word on a near-identical task
    now decides; on a task that only shares some words it still only breaks ties."""
    sim = Sim(config=RULES_ONLY)
    sim.start()
    sim.submit(task("t1", FLAKY[0], description=FLAKY[1]))
    sim.tick()
    routed = sim.queue_task("t1")["assigned_to"]
    assert routed != "cicd"  # what the rules say; the person disagrees
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"][0]["assigned_to"] = "cicd"
    sim.store.put(sim.layout.queue, queue)
    sim.tick()
    sim.submit(task("t2", FLAKY[0].replace("checkout", "cart"), description=FLAKY[1].replace("checkout", "cart")))
    sim.tick()
    assert sim.queue_task("t2")["assigned_to"] == "cicd"
    reasons = sim.queue_task("t2")["routing_reasons"]
    assert any(r.startswith("a person moved a near-identical task to cicd (t1: ") and f"the rules said {routed}" in r
               for r in reasons)
    # the same words about other work: the rules, sure of it, decide
    sim.submit(task("t3", "Quarantine the dependabot token that leaked in the checkout spec's CI logs"))
    sim.tick()
    assert sim.queue_task("t3")["assigned_to"] == "security"
    assert not any("near-identical" in r for r in sim.queue_task("t3")["routing_reasons"])


def test_people_who_disagree_about_near_identical_tasks_leave_it_to_the_rules() -> None:
    clear = "Fix the SQL injection in the session cookie parser"
    people = [examples_from_overrides({"examples": [{"title": clear, "master": "development"}]})[0][0],
              examples_from_overrides({"examples": [{"title": "The " + clear, "master": "inventory"}]})[0][0]]
    assert History([], lambda: people).persons_word(clear, "") is None
    assert History([], lambda: people[:1]).persons_word(clear, "") is not None
    assert classify(clear, History([], lambda: people[:1]))[0] == "development"
    assert classify(clear, History([], lambda: people))[0] == "security"
    assert History([], None).persons_word(clear, "") is None  # no people's examples given: nothing to say


def correction(title: str, text: str, master: str) -> History:
    """People's word: one remembered correction."""
    people = examples_from_corrections([{"task_id": "c1", "title": title, "text": text, "master": master}])
    return History(people, lambda: people)


@pytest.mark.parametrize(("first", "again"), [
    (("Disk full on db01 in us-east-1", "Free space on db01.prod.internal: /var/lib/postgresql is at 98%."),
     ("Disk full on db07 in ap-southeast-2", "Free space on db07.prod.internal: /var/lib/postgresql is at 97%.")),
    (("Pods crash-looping in europe-west4 since 2026-03-02", "Commit 3f9a2c1e broke the probe; see INC-4821."),
     ("Pods crash-looping in us-central1 since 2026-04-11", "Commit 0b7d44e2 broke the probe; see INC-5103.")),
    (("Renew the TLS certificate of api.acme.com before March", "It expires on v2 of the gateway (eastus2)."),
     ("Renew the TLS certificate of shop.acme.com before June", "It expires on v3 of the gateway (westeurope).")),
])
def test_the_same_task_in_another_region_host_version_ticket_or_day_is_the_same_task(
        first: tuple[str, str], again: tuple[str, str]) -> None:
    """What varies between instances of one kind of task is no word: a person's correction decides the next one
    (it was 0.5 to 0.87: the region, host and ticket words are the rarest, the heaviest)."""
    assert words(" ".join(first)) == words(" ".join(again))
    said = correction(*first, "cicd").persons_word(*again)
    assert said is not None and said.master == "cicd"


@pytest.mark.parametrize("other", [
    ("Add an index on db01 in us-east-1", "Queries on db01.prod.internal are slow: add an index to orders."),
    ("Rotate the keys of api.acme.com before March", "They were pasted in a chat."),
])
def test_a_different_task_sharing_its_instance_words_is_not_captured(other: tuple[str, str]) -> None:
    """The opposite: another task on the same host, in the same region, is not the corrected task (the instance
    words it shares count for nothing: they made it look nearer than it is)."""
    for first in (("Disk full on db01 in us-east-1", "Free space on db01.prod.internal: /var/lib/postgresql is at 98%."),
                  ("Renew the TLS certificate of api.acme.com before March", "It expires on v2 of the gateway.")):
        assert correction(*first, "cicd").persons_word(*other) is None


def test_names_that_carry_a_number_keep_it() -> None:
    """Not every number is an instance's: s3, ec2, md5, x509, ipv6 name what the work is about."""
    assert {"s3", "ec2", "md5", "x509", "log4j", "readme", "md"} <= set(words("s3 ec2 md5 x509 log4j README.md"))
    assert set(words("web03 node7 db01")) == {"web", "node", "db"}
    # (regression: ipv6, sha256 were cut to ipv, sha, so that a correction to "Block IPv6 traffic" decided for
    # "Block IPv4 traffic", similarity 1.0)
    assert {"ipv4", "ipv6", "sha1", "sha256", "http2", "utf8", "base64", "arm64"} <= set(
        words("IPv4 IPv6 SHA1 SHA256 HTTP2 UTF8 base64 arm64"))
    assert correction("Block IPv6 traffic on the edge", "", "a plan").persons_plan("Block IPv4 traffic on the edge",
                                                                                   "") is None
    assert correction("Block IPv6 traffic on lb01", "", "a plan").persons_plan("Block IPv6 traffic on lb02",
                                                                               "") is not None


def test_a_task_moved_to_a_plan_is_no_master_to_route_to() -> None:
    """A person's correction to a plan makes a near-identical task complex (persons_plan), never routes it ('a plan'
    is no master), and breaks no tie among the masters."""
    history = correction("Disk full on db01 in us-east-1", "Free space on db01.", "a plan")
    assert history.persons_word("Disk full on db02 in us-east-2", "Free space on db02.") is None
    assert history.persons_plan("Disk full on db02 in us-east-2", "Free space on db02.") is not None
    assert history.persons_plan("Rotate the db01 password", "It leaked.") is None
    assert history.vote("Disk full on db02", "Free space on db02.", ["development", "cicd"]) is None
    both = examples_from_corrections([{"task_id": "c1", "title": "Disk full on db01", "text": "Free space.", "master": m}
                                      for m in ("a plan", "cicd")])
    vote = History(both).vote("Disk full on db02", "Free space.", ["development", "cicd"])
    assert vote is not None and vote.master == "cicd"  # the plan is no master disagreeing with cicd
    assert correction("Disk full on db01", "Free space.", "cicd").persons_plan("Disk full on db02", "Free space.") is None


def test_the_index_of_the_queues_examples_is_kept_between_passes_while_they_are_the_same() -> None:
    """Indexing 10,000 examples took 370 ms, paid on every pass whose decision asked the history (the model naming
    another master than the rules' words). The same examples use the last index; one more example builds a new one,
    and the answers are the ones a fresh index gives."""
    def queue(n: int) -> list[dict[str, object]]:
        return [{"id": f"t{i}", "title": f"Rotate the {kind} key {i}", "description": "", "status": "completed",
                 "assigned_to": master, "assigned_by": "someone"}
                for i, (kind, master) in enumerate([("deploy", "cicd"), ("api", "security")] * n)]
    memory = RoutingMemory(MemoryStore())
    first = memory.history(queue(20))
    vote = first.vote("Rotate the api key", "", MASTERS)
    assert vote is not None and vote.master == "security"
    again = memory.history(queue(20))
    assert again.vote("Rotate the api key", "", MASTERS) == vote
    assert again._vectors is first._vectors  # kept, not built again
    more = memory.history(queue(21))
    fresh = History(examples_from_queue(queue(21)))
    assert more.vote("Rotate the api key", "", MASTERS) == fresh.vote("Rotate the api key", "", MASTERS)
    assert more._vectors is not first._vectors and more._vectors == fresh._index()


def test_the_queues_examples_follow_every_read_as_gathering_them_afresh_would() -> None:
    """The daemon keeps the queue's examples from read to read, changed by the entries that changed (walking
    10,000 tasks took 2 ms on every decision that asked the history). Whatever the writers do (a task assigned,
    reassigned, retitled, pruned, listed twice, junk; the index starting afresh), they are what a fresh gathering
    of the same queue finds."""
    rng = random.Random(7)
    index, kept, tasks = TaskIndex(), QueueExamples(), []
    made = 0
    fresh: Counter[bool] = Counter()  # updates that looked at every entry, and those that looked at changes

    def new_entry() -> object:
        nonlocal made
        made += 1
        kind = rng.choice(["history", "history", "ours", "moved", "pending", "junk"])
        master = rng.choice(MASTERS)
        if kind == "junk":
            return rng.choice(["junk", 7, None])
        entry: dict[str, object] = {"id": f"t{rng.randrange(made + 1)}", "title": f"Rotate key {made}", "status": "completed"}
        if kind == "pending":
            return {**entry, "status": "pending"}
        if kind == "history":
            return {**entry, "assigned_to": master, "assigned_by": "alice"}
        routed = master if kind == "ours" else rng.choice([m for m in MASTERS if m != master])
        return {**entry, "assigned_to": master, "assigned_by": "orchestrator", "routed_to": routed}

    for _ in range(400):
        if rng.random() < 0.5:  # the object listed twice is written out (TaskIndex looks at every entry till then)
            tasks = [entry for at, entry in enumerate(tasks) if all(entry is not e for e in tasks[:at])]
        for _ in range(rng.randrange(1, 4)):
            move = rng.random()
            if move < 0.4 or not tasks:
                tasks.insert(rng.randrange(len(tasks) + 1), new_entry())
            elif move < 0.6:
                del tasks[rng.randrange(len(tasks))]
            elif move < 0.85:  # rewritten: a read hands out a new dict for a task whose bytes changed
                at = rng.randrange(len(tasks))
                old = tasks[at]
                tasks[at] = ({**old, "assigned_to": rng.choice(MASTERS), "title": f"Rotate key {made}"}
                             if isinstance(old, dict) else new_entry())
            elif move < 0.89:
                tasks.append(rng.choice(tasks))  # one object listed twice
            elif move < 0.92:
                index.expired = True
        tasks = list(tasks)
        changes = index.update(tasks)
        kept.update(changes)
        fresh[changes.full] += 1
        assert Counter(kept.examples) == Counter(examples_from_queue(tasks))
    assert fresh[True] > 50 and fresh[False] > 150, fresh


def test_a_pruned_finished_task_stops_deciding() -> None:
    """The queue's finished tasks break the rules' ties only while they are in it: pruned, they decide nothing
    (the corrections a person made are remembered elsewhere, and outlive the pruning)."""
    sim = Sim(config=RULES_ONLY)
    sim.store.put(sim.layout.queue, {"tasks": [*COOKIE_HISTORY]})
    sim.start()
    sim.submit(task("t1", COOKIE))
    sim.tick()
    assert sim.queue_task("t1")["assigned_to"] == "security"
    queue = sim.store.get(sim.layout.queue)
    queue["tasks"] = [entry for entry in queue["tasks"] if entry["id"] not in ("h1", "h2")]
    sim.store.put(sim.layout.queue, queue)
    sim.tick()
    sim.submit(task("t2", COOKIE))
    sim.tick()
    assert sim.queue_task("t2")["assigned_to"] == "development"
    assert not any("history" in reason for reason in sim.queue_task("t2")["routing_reasons"])
