"""When the monitor last saw a worker's signs change, on the monotonic clock.

A worker's timestamps are written on the wall clock. Set back (a person, NTP after a clock that ran
ahead), what was written before the step lies in the future and says nothing about liveness
(:func:`orchestrator.liveness.assess` ignores it), so a worker that hung just before or after the
step looked quiet for no time at all until the wall clock caught up: hours, for a clock set back
hours. What the monitor itself saw does not depend on the wall clock: a heartbeat value that has not
changed for twenty minutes of monotonic time is twenty minutes old whatever it says. This is how a
Kubernetes node controller judges node leases (the time it observed a renewal, not the renewal's
own timestamp).

What is seen counts from the first look after the daemon started, so it is a lower bound of the
truth: the wall-clock reading still decides for what happened before (see ``assess``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from typing import NamedTuple


class Seen(NamedTuple):
    """Monotonic seconds: since the first look at this attempt in its phase (waiting for its worker, or
    started), since any of its signs last changed, and since its heartbeats last changed."""

    watched: float = 0.0
    quiet: float = 0.0
    beat_quiet: float = 0.0
    quiet_at_most: float = math.inf
    """Since the look before the one that saw a sign change, once one was seen in this run: the signs
    cannot be older than that, whatever the timestamps written in them say."""
    beat_quiet_at_most: float = math.inf
    """The same for the heartbeats, once one was seen renewed (changed after a first beat)."""


class SignWatch:
    """The signs of each watched attempt as last seen, and the monotonic moments they last changed."""

    def __init__(self) -> None:
        self._seen: dict[Hashable, tuple[object, tuple[object, ...], tuple[object, ...], float, float, float,
                                         float, float, float]] = {}

    def look(self, key: Hashable, beats: tuple[object, ...], signs: tuple[object, ...], monotonic: float,
             phase: object = None) -> Seen:
        """``beats``: every heartbeat as its sources give it (raw: a source whose value went back in time
        is a beat too); ``signs``: everything else that moves while a worker works (files, progress,
        its start, its status). ``phase``: what ``watched`` counts from (the attempt's start: a runtime
        cap counts from it, not from the handoff); watched begins again when it changes."""
        known = self._seen.get(key)
        if known is None:
            first = changed = beaten = monotonic
            changed_after = beaten_after = -math.inf  # no change seen yet: no bound
        else:
            old_phase, old_beats, old_signs, first, changed, beaten, changed_after, beaten_after, last = known
            if phase != old_phase:
                first = monotonic
            if beats != old_beats:
                changed = beaten = monotonic
                changed_after = last
                if any(beat is not None for beat in old_beats):  # renewed; a first beat may be as old as it says
                    beaten_after = last
            elif signs != old_signs:
                changed = monotonic
                changed_after = last
        self._seen[key] = (phase, beats, signs, first, changed, beaten, changed_after, beaten_after, monotonic)
        return Seen(monotonic - first, monotonic - changed, monotonic - beaten, monotonic - changed_after,
                    monotonic - beaten_after)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._seen

    def keep_only(self, keys: Iterable[Hashable]) -> None:
        """Forget attempts no longer watched (ended, retried, or their plan gone)."""
        wanted = set(keys)
        if len(self._seen) > len(wanted):  # each watched one was just looked at: only more means stale ones
            self._seen = {key: value for key, value in self._seen.items() if key in wanted}
