"""An exact Markov chain of redials that count (no ccsim code; :mod:`markov` solves).

:class:`AttemptCenter`: c agents on ``lines`` trunk lines, Poisson arrivals, exponential
handle times and patience (as :class:`markov_lines.TrunkCenter`, without callbacks). A
caller who gets a busy signal redials with chance ``after_busy``, one who abandons with
``after_abandon``, each times ``decay ** k`` where k is the redials its issue has made
so far, and never once it has made ``max_attempts`` (README "Retrials by cause"), after
an exponential delay of mean ``retrial_delay`` seconds, as a new arrival.

So a caller carries its issue's redial count: the state is (busy agents, the queue as
the counts of its callers head first, the orbit as the callers due to make their 1st,
2nd, ... redial). With ``max_attempts=None`` no count is kept (every redial is a first:
no cap, ``decay`` must be 1), which is :class:`markov_lines.TrunkCenter`'s chain written
apart. The orbit is cut at ``max_orbit`` callers (one more does not redial) and the
queue at ``max_queue``; :attr:`markov_lines.TrunkKpis.cut` and ``edge`` say how much
the cuts weigh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markov import stationary
from markov_lines import TrunkKpis


@dataclass(frozen=True)
class AttemptCenter:
    """M/M/c+M on trunk lines whose redials decay and stop after ``max_attempts``."""

    arrival_rate: float
    aht: float
    agents: int
    patience: float
    lines: int
    after_busy: float
    after_abandon: float
    retrial_delay: float
    decay: float = 1.0
    max_attempts: int | None = None
    max_queue: int = 40
    max_orbit: int = 30

    def __post_init__(self):
        assert self.max_attempts is not None or self.decay == 1.0, "no count kept to decay"

    def _back(self, chance: float, made: int) -> tuple[int | None, float]:
        """(orbit slot, chance) of a redial by a caller whose issue made ``made`` redials."""
        if self.max_attempts is None:
            return 0, chance
        if made >= self.max_attempts:
            return None, 0.0
        return made, chance * self.decay ** made

    def _streams(self, orbit: tuple):
        """Arrivals: (rate, redials made by the caller's issue, orbit slot it leaves)."""
        yield self.arrival_rate, 0, None
        for j, n in enumerate(orbit):
            if n:
                yield n / self.retrial_delay, (0 if self.max_attempts is None else j + 1), j

    def _to_orbit(self, orbit: tuple, leaves: int | None, slot: int | None):
        """The orbit once a caller left slot ``leaves`` and one joined ``slot`` (None: not)."""
        o = list(orbit)
        if leaves is not None:
            o[leaves] -= 1
        if slot is not None:
            if sum(o) >= self.max_orbit:
                return None  # the cut: this one does not redial
            o[slot] += 1
        return tuple(o)

    def _arrive(self, busy: int, queue: tuple, made: int):
        """Where an arrival takes (busy, queue): None a busy signal, the same: cut."""
        if busy + len(queue) >= self.lines:
            return None
        if busy < self.agents:
            return busy + 1, queue
        if len(queue) >= self.max_queue:
            return busy, queue
        return busy, (*queue, made)

    def transitions(self, state):
        busy, queue, orbit = state
        out = []
        for rate, made, leaves in self._streams(orbit):
            after = self._arrive(busy, queue, made)
            if after is None:
                slot, p = self._back(self.after_busy, made)
                again = self._to_orbit(orbit, leaves, slot)
                if again is not None:
                    out.append(((busy, queue, again), rate * p))
                out.append(((busy, queue, self._to_orbit(orbit, leaves, None)), rate * (1 - p)))
            else:
                out.append(((*after, self._to_orbit(orbit, leaves, None)), rate))
        done = (busy, queue[1:], orbit) if queue else (busy - 1, queue, orbit)
        out.append((done, busy / self.aht))
        for i, made in enumerate(queue):
            left = queue[:i] + queue[i + 1:]
            slot, p = self._back(self.after_abandon, made)
            again = self._to_orbit(orbit, None, slot)
            if again is None:  # the cut: it hangs up for good
                again, p = orbit, 0.0
            out.append(((busy, left, again), p / self.patience))
            out.append(((busy, left, orbit), (1 - p) / self.patience))
        return out

    def solve(self) -> TrunkKpis:
        """The KPIs; arrivals weighed by rate (PASTA for fresh ones), waits by Little's law."""
        slots = 1 if self.max_attempts is None else self.max_attempts
        states, pi = stationary((0, (), (0,) * slots), self.transitions)
        arrived = blocked = redials = full = waiting = busy_time = lost = edge = 0.0
        for (busy, queue, orbit), p in zip(states, pi):
            on_cut = sum(orbit) >= self.max_orbit
            for rate, made, leaves in self._streams(orbit):
                arrived += p * rate
                redials += p * rate * (leaves is not None)
                after = self._arrive(busy, queue, made)
                if after is None:
                    blocked += p * rate
                    if on_cut and leaves is None:
                        lost += p * rate * self._back(self.after_busy, made)[1]
                elif after == (busy, queue):
                    full += p * rate
            waiting += p * len(queue)
            busy_time += p * busy
            if on_cut:
                lost += p * sum(self._back(self.after_abandon, m)[1] for m in queue) / self.patience
            edge += p * (on_cut or len(queue) >= self.max_queue)
        offered = arrived - blocked - full
        return TrunkKpis(
            block_rate=blocked / arrived, abandon_rate=waiting / self.patience / offered,
            mean_wait=waiting / offered, callback_rate=0.0, callback_wait=math.nan,
            retrials_per_issue=redials / self.arrival_rate,
            occupancy=busy_time / self.agents, cut=(full + lost) / arrived, edge=edge)
