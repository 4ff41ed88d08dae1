"""A guess said as a guess (ops25): a task routed with no routing word (the default master) or on a tie was handed
over silently; three new users found it. The routing stays the classifier's; ``status``, the web view's "what is
stuck" and the ``task_assigned`` event say it, all from one pure function (``evidence.guess``)."""

from __future__ import annotations

from orchestrator import status
from orchestrator.classify import Classifier
from orchestrator.config import ClassifierConfig
from orchestrator.evidence import NO_WORDS, evidence, guess
from orchestrator.models import QueueTask
from orchestrator.views import explain, explain_text
from orchestrator.web.digest import attention
from orchestrator.web.folder import Picture

from sim import Sim, task

NOTHING = "Talk to Bob about Friday"  # no routing word: the default master
WORDS = "Fix XSS in the login form"  # security's words


def test_a_guess_is_no_routing_word_or_a_tie_and_nothing_else() -> None:
    assert guess("0.44", ["routed to development", NO_WORDS, "complexity score 0.0 < 1"]) is not None
    assert evidence(0.44, ["routed to development", NO_WORDS]) == "none"
    tie = guess(0.6, ["routed to security", "a tie: security 18 against cicd 18"])
    assert tie is not None and tie.evidence == "tie" and tie.why == "a tie: security 18 against cicd 18"
    assert tie.confidence == 0.6
    # near cases: a narrow margin is ahead, the model or a person decided, words decided; dirty records say nothing
    assert evidence(0.7, ["routed to security", "a narrow margin: security 18 against cicd 16"]) == "found"
    assert evidence(0.96, ["no rule read what the work is and no type was given (no routing words)",
                           "the built-in model decided: security (0.95; development 0.04)"]) == "found"
    assert evidence("N/A", "no routing words found: default master") == "found"
    assert guess("N/A", [NO_WORDS]) is not None and guess("N/A", [NO_WORDS]).confidence is None  # type: ignore[union-attr]
    assert evidence(None, None) == "found"


def test_the_router_says_what_the_guess_reads() -> None:
    """The reason strings are the router's own (no copy): a task with no word, and a tie, are read as guesses."""
    rules = Classifier(ClassifierConfig(), None)
    nothing = rules.classify(QueueTask.model_validate(task("a", NOTHING)))
    assert evidence(nothing.confidence, nothing.reasons) == "none" and nothing.master == "development"
    tie = rules.classify(QueueTask.model_validate(task("b", "Tidy the secrets and the pipeline notes")))
    assert evidence(tie.confidence, tie.reasons) == "tie"
    words = rules.classify(QueueTask.model_validate(task("c", WORDS)))
    assert evidence(words.confidence, words.reasons) == "found"


def _routed() -> Sim:
    sim = Sim()
    sim.start()
    sim.submit(task("bob", NOTHING), task("xss", WORDS))
    sim.tick(1)
    return sim


def test_the_event_says_the_evidence() -> None:
    sim = _routed()
    assert [e["evidence"] for e in sim.events("task_assigned", task_id="bob")] == ["none"]
    assert [e["evidence"] for e in sim.events("task_assigned", task_id="xss")] == ["found"]


def test_status_and_the_web_view_list_the_guess_until_a_person_moves_it() -> None:
    sim = _routed()
    picture = status.collect(sim.store)
    assert [(g["task_id"], g["evidence"], g["assigned_to"]) for g in picture["guesses"]] == [
        ("bob", "none", "development")]
    text = status.render(picture)
    assert "routed on a guess: 1 (check with orchestrator explain ID, correct with orchestrator move ID MASTER)" in text
    assert f"  bob  development  {NOTHING} (no routing word: the default master)" in text
    assert "xss" not in text.split("routed on a guess")[1]
    seen = attention(_picture(sim), sim.clock.now())
    assert [(a.kind, a.subject) for a in seen if a.kind == "guess"] == [("guess", f"task bob: {NOTHING}")]
    assert [a.commands for a in seen if a.kind == "guess"] == [["orchestrator explain bob",
                                                                 "orchestrator move bob MASTER"]]
    queue = sim.store.get(sim.layout.queue)  # a person moves it: corrected, no longer a guess
    next(t for t in queue["tasks"] if t["id"] == "bob")["assigned_to"] = "inventory"
    sim.store.put(sim.layout.queue, queue)
    assert status.collect(sim.store)["guesses"] == []
    assert "routed on a guess" not in status.render(status.collect(sim.store))
    assert not [a for a in attention(_picture(sim), sim.clock.now()) if a.kind == "guess"]


def test_a_filter_keeps_only_the_guesses_it_matches() -> None:
    sim = _routed()
    assert [g["task_id"] for g in status.collect(sim.store, filters=status.Filters(masters=("development",)))[
        "guesses"]] == ["bob"]
    assert status.collect(sim.store, filters=status.Filters(masters=("security",)))["guesses"] == []


def _picture(sim: Sim) -> Picture:
    tasks = [t for t in sim.store.get(sim.layout.queue)["tasks"] if isinstance(t, dict)]
    return Picture(tasks=tasks, queue_problem=None, plans=[], plan_problems=[], escalations={}, daemon_running=True)


def test_explain_shows_which_words_gave_each_score() -> None:
    """"a tie: security 18 against cicd 18" said neither domain's words."""
    fields = task("b", "Tidy the secrets and the pipeline notes")
    found = explain(QueueTask.model_validate(fields), fields, Classifier(ClassifierConfig(), None))
    assert found["domain_words"] == {"security": ["secret"], "cicd": ["pipeline"]}
    assert "routing scores: security 18 (secret), cicd 18 (pipeline)" in explain_text(found)
    fields = task("a", NOTHING)  # no word: nothing to show, the scores as before
    found = explain(QueueTask.model_validate(fields), fields, Classifier(ClassifierConfig(), None))
    assert found["domain_words"] == {} and "(" not in explain_text(found).split("routing scores: ")[1]
