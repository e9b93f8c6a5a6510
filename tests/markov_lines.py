"""An exact Markov chain of a center behind trunk lines (no ccsim code; :mod:`markov` solves).

:class:`TrunkCenter`: c agents, Poisson arrivals, exponential handle times and patience,
``lines`` trunk lines (README: a phone call takes a line on arrival and keeps it while
it waits and talks; one that finds every line taken gets a busy signal). Two journeys
that change who holds a line:

- redials: a caller who got a busy signal redials with chance ``after_busy``, one who
  abandoned with ``after_abandon`` (each time: no decay, no cap), after an exponential
  delay of mean ``retrial_delay`` seconds, as a new arrival; the callers due to redial
  are an infinite-server delay station (an orbit, cut at ``max_orbit``: one more does
  not redial);
- callbacks (virtual hold): a caller who must wait, with ``n`` callers waiting ahead
  (live ones and callbacks: nobody who hung up), is offered a callback when ``offer(n)``
  and takes it with chance ``accept``: it hangs up, which frees its line, never
  abandons, and is dialled when its turn comes (the call back takes no line, as in the
  engine). The callback keeps its place in the one FCFS queue, or with
  ``callback_queue`` waits in a queue of its own worked when no live caller waits (the
  offer then counts the live callers alone). ``line_until_called`` keeps the line of an
  accepted callback until it is called back: a wrong model, for the tests to tell apart.

The state is (agents on live calls, agents on call backs, the queue as kinds head first,
the orbit); with ``callback_queue`` the queue is kept live callers first (their order
among the callbacks does not matter there). Arrival statistics weigh each state by its
arrival rate (fresh arrivals see the stationary state, PASTA; redials come at orbit /
delay), waiting means follow from Little's law. The queue is cut at ``max_queue``;
:attr:`TrunkKpis.cut` is the share of arrivals so lost or not redialled, which a test
must check is negligible.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from markov import CALLBACK, LIVE, stationary


@dataclass(frozen=True)
class TrunkKpis:
    """Steady-state KPIs of :class:`TrunkCenter`, as ccsim defines them."""

    block_rate: float  # busy signals / arrivals (fresh and redials)
    abandon_rate: float  # abandoned / offered
    mean_wait: float  # mean wait of all offered (a callback: until called back), s
    callback_rate: float  # took a callback / offered
    callback_wait: float  # mean wait of a callback until the call back, s
    retrials_per_issue: float  # redials per fresh arrival (contacts per issue - 1)
    occupancy: float  # busy agents / agents
    cut: float  # share of arrivals lost to the cuts (truncation: must be tiny)
    edge: float  # stationary mass on the cuts (a full queue or orbit: must be tiny)


@dataclass(frozen=True)
class TrunkCenter:
    """M/M/c+M on ``lines`` trunk lines, with redials (an orbit) and callbacks; see above."""

    arrival_rate: float
    aht: float
    agents: int
    patience: float
    lines: int
    after_busy: float = 0.0
    after_abandon: float = 0.0
    retrial_delay: float = math.inf
    offer: Callable[[int], bool] = lambda n: False
    accept: float = 0.0
    callback_queue: bool = False
    line_until_called: bool = False
    max_queue: int = 40
    max_orbit: int = 0

    def on_lines(self, state) -> int:
        live, _, queue, _ = state
        return live + (len(queue) if self.line_until_called else queue.count(LIVE))

    def transitions(self, state):
        live, called, queue, orbit = state
        theta = 1.0 / self.patience
        out = []
        room = orbit < self.max_orbit
        for after, share in self._arrival(state):
            if after is None:  # a busy signal: a fresh caller may join the orbit
                out.append(((*state[:3], orbit + 1), self.arrival_rate * self.after_busy * room))
                out.append(((*state[:3], orbit - 1),
                            orbit / self.retrial_delay * (1.0 - self.after_busy) * share))
            else:
                out.append(((*after, orbit), self.arrival_rate * share))
                out.append(((*after, orbit - 1), orbit / self.retrial_delay * share))
        for freed, rate in (((live - 1, called), live), ((live, called - 1), called)):
            out.append((self._next(*freed, queue, orbit), rate / self.aht))
        back = self.after_abandon * room
        for i, kind in enumerate(queue):
            if kind == LIVE:
                left = queue[:i] + queue[i + 1:]
                out += [((live, called, left, orbit + 1), theta * back),
                        ((live, called, left, orbit), theta * (1.0 - back))]
        return out

    def _next(self, live: int, called: int, queue: tuple, orbit: int):
        """A freed agent takes the head of the queue (live callers first with their own)."""
        if not queue:
            return (live, called, queue, orbit)
        i = queue.index(LIVE) if self.callback_queue and LIVE in queue else 0
        rest = queue[:i] + queue[i + 1:]
        return ((live + 1, called, rest, orbit) if queue[i] == LIVE
                else (live, called + 1, rest, orbit))

    def _arrival(self, state) -> list[tuple[tuple | None, float]]:
        """Where an arrival takes (live, called, queue): None a busy signal; (same: cut)."""
        live, called, queue, _ = state
        if self.on_lines(state) >= self.lines:
            return [(None, 1.0)]
        if live + called < self.agents:
            return [((live + 1, called, queue), 1.0)]
        if len(queue) >= self.max_queue:
            return [((live, called, queue), 1.0)]
        ahead = queue.count(LIVE) if self.callback_queue else len(queue)
        took = self.accept if self.offer(ahead) else 0.0
        return [((live, called, (*queue, CALLBACK)), took),
                ((live, called, self._join_live(queue)), 1.0 - took)]

    def _join_live(self, queue: tuple) -> tuple:
        if not self.callback_queue:
            return (*queue, LIVE)
        n = queue.count(LIVE)
        return (LIVE,) * (n + 1) + queue[n:]

    def solve(self) -> TrunkKpis:
        """The KPIs; arrivals weighed by rate, waits by Little's law."""
        states, pi = stationary((0, 0, (), 0), self.transitions)
        arrived = blocked = redials = took = full = waiting = called_back = busy = 0.0
        lost = edge = 0.0
        for state, p in zip(states, pi):
            live, called, queue, orbit = state
            rate = p * (self.arrival_rate + orbit / self.retrial_delay)
            arrived += rate
            redials += p * orbit / self.retrial_delay
            n_live = queue.count(LIVE)
            waiting += p * n_live
            called_back += p * (len(queue) - n_live)
            busy += p * (live + called)
            outcome = self._arrival(state)
            if outcome[0][0] is None:
                blocked += rate
                if orbit >= self.max_orbit:
                    lost += p * self.arrival_rate * self.after_busy
            elif outcome[0][0] == (live, called, queue):
                full += rate
            elif len(outcome) == 2:
                took += rate * outcome[0][1]
            if orbit >= self.max_orbit:
                lost += p * n_live / self.patience * self.after_abandon
            if ((orbit >= self.max_orbit and (self.after_busy or self.after_abandon))
                    or len(queue) >= self.max_queue):
                edge += p
        offered = arrived - blocked - full
        return TrunkKpis(
            block_rate=blocked / arrived, abandon_rate=waiting / self.patience / offered,
            mean_wait=(waiting + called_back) / offered, callback_rate=took / offered,
            callback_wait=called_back / took if took > 0 else math.nan,
            retrials_per_issue=redials / self.arrival_rate, occupancy=busy / self.agents,
            cut=(full + lost) / arrived, edge=edge)
