"""What a simple task's routing stood on, read back from what was recorded (pure: no I/O, no time).

A task the router found no routing word in goes to the default master, and one where two domains scored the same
goes to whichever the tie-break ranks first: both are guesses, and a guess handed over silently is what three new
users tripped on ("Public records request: emails between the Parks director and a vendor" -> development by default).
The routing decision stays the classifier's; this module only names a guess, so that ``status``, the web view's
"what is stuck" and the ``task_assigned`` event (its ``evidence``) say it with one definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

NO_WORDS = "no routing words found: default master"
"""The router's reason when no domain scored: the task went to the default master."""
TIE = "a tie: "
"""How the router's reason for two domains with the same score begins (``a tie: development 2 against cicd 2``)."""

Evidence = Literal["none", "tie", "found"]
"""``none``: no routing word, the default master; ``tie``: two domains scored the same, the tie-break chose;
``found``: a rule, a word ahead, the type, a person's correction or the built-in model decided."""


@dataclass(frozen=True)
class Guess:
    """A routing that stood on no evidence, or on a tie: what to tell the operator."""

    evidence: Literal["none", "tie"]
    why: str
    """The router's own reason, as recorded."""
    confidence: float | None


def evidence(confidence: Any, reasons: Any) -> Evidence:
    """What a routing stood on, from its recorded ``routing_confidence`` and ``routing_reasons`` (another writer's
    queue may hold anything there: what is not a list of strings says nothing, so ``found``)."""
    found = guess(confidence, reasons)
    return found.evidence if found is not None else "found"


def guess(confidence: Any, reasons: Any) -> Guess | None:
    """The routing's guess, or None when something decided it. The router says "no routing words found" or "a tie"
    only when nothing else decided (a person's correction, the queue's history and the built-in model give their own
    reasons instead), so either reason recorded is a guess."""
    if not isinstance(reasons, list):
        return None
    said = [reason for reason in reasons if isinstance(reason, str)]
    sure = _number(confidence)
    if NO_WORDS in said:
        return Guess("none", NO_WORDS, sure)
    tie = next((reason for reason in said if reason.startswith(TIE)), None)
    return Guess("tie", tie, sure) if tie is not None else None


def _number(value: Any) -> float | None:
    """A recorded confidence as a number (``0.95``, ``"0.95"``); None for ``"N/A"`` and the like."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
