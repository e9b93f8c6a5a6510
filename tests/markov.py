"""An exact oracle: continuous-time Markov chains, solved numerically (no ccsim code).

:func:`stationary` builds a chain's generator Q from a start state and a transition
function (state -> [(next state, rate)]), by breadth-first search over the reachable
states, and solves pi Q = 0, sum(pi) = 1 (scipy's sparse LU). :func:`absorbed_by` gives,
for a chain with absorbing states, the chance of being absorbed in a target by time t
(the backward equation u' = Q u, by ``scipy.sparse.linalg.expm_multiply``).

:class:`CallCenter` is the M/M/c+M queue (Erlang A: Poisson arrivals, c agents,
exponential handle times and patience, first come first served) with the two decisions
a caller who finds every agent busy may take on arrival, each a function of the number
``n`` of callers still waiting ahead (callers who hung up are gone: a Markov state knows
no ghosts):

- a callback offer (virtual hold), made when ``offer(n)``; accepted with chance
  ``accept``; a callback keeps its place in the queue, never hangs up, and is served
  like any caller when it reaches the head;
- balking: a caller who did not take a callback leaves at once with chance ``balk(n)``.

Since callbacks and live callers mix in one FCFS queue and only live callers abandon,
the state is the number of busy agents, the queue as a sequence of kinds (0: a live
caller, 1: a callback), head first, and the callers due to redial (retrials). The queue
is cut at ``max_queue`` (an arrival finding it full is lost) and the redialling callers
at ``max_orbit`` (one more does not redial); :attr:`Solution.cut` is the share of
arrivals so lost, which a user must check is negligible. Arrival statistics follow from
PASTA (redials weighed by the orbit), waiting means from Little's law, and the service
level from the tagged caller's absorbing chain (its place moves up at each service
completion and as live callers ahead hang up).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import expm_multiply, splu

Transitions = Callable[[Hashable], Iterable[tuple[Hashable, float]]]


def generator(starts: Iterable[Hashable], transitions: Transitions):
    """The states reachable from ``starts``, their index and the generator Q (rows sum to 0)."""
    states = list(dict.fromkeys(starts))
    index = {s: i for i, s in enumerate(states)}
    rows, cols, rates = [], [], []
    todo = deque(states)
    while todo:
        s = todo.popleft()
        i = index[s]
        for nxt, rate in transitions(s):
            if rate <= 0.0 or nxt == s:
                continue
            if nxt not in index:
                index[nxt] = len(states)
                states.append(nxt)
                todo.append(nxt)
            rows.append(i)
            cols.append(index[nxt])
            rates.append(rate)
    n = len(states)
    q = sparse.csr_matrix((rates, (rows, cols)), shape=(n, n))
    q = q - sparse.diags(np.asarray(q.sum(axis=1)).ravel())
    return states, index, q.tocsr()


def stationary(start: Hashable, transitions: Transitions) -> tuple[list, np.ndarray]:
    """States and stationary distribution pi of an irreducible finite chain (pi Q = 0)."""
    states, _, q = generator([start], transitions)
    a = q.T.tolil()
    a[0, :] = 1.0  # one balance equation (redundant) replaced by sum(pi) = 1
    b = np.zeros(len(states))
    b[0] = 1.0
    pi = splu(a.tocsc(), permc_spec="MMD_AT_PLUS_A").solve(b)  # (far less fill-in than COLAMD here)
    assert np.all(pi > -1e-12), "not a distribution: is the chain irreducible?"
    return states, np.clip(pi, 0.0, None) / pi.sum()


def absorbed_by(q: sparse.csr_matrix, target: int, t: float) -> np.ndarray:
    """P(absorbed in state ``target`` by time ``t`` | each start state), for generator ``q``."""
    indicator = np.zeros(q.shape[0])
    indicator[target] = 1.0
    return expm_multiply(q * t, indicator)


LIVE, CALLBACK = 0, 1


@dataclass(frozen=True)
class Solution:
    """Steady-state KPIs of :class:`CallCenter`, as ccsim defines them (rates per offered)."""

    offered: float  # contacts offered (not balked, not cut) per second, redials included
    balk_rate: float  # balked / (offered + balked)
    callback_rate: float  # took a callback / offered
    abandon_rate: float  # abandoned / offered
    mean_wait: float  # mean queue wait of all offered (abandoned: until abandoning), s
    callback_wait: float  # mean wait of a callback until the call back, s
    service_level: float  # answered within the threshold / offered
    retrial_share: float  # redials arriving / offered
    cut: float  # share of arrivals or redials lost to the cuts (truncation: must be tiny)


@dataclass(frozen=True)
class CallCenter:
    """M/M/c+M with callback offers and balking that look at the callers waiting ahead.

    Rates per second; ``offer(n)`` and ``balk(n)`` of ``n`` callers waiting ahead (live
    ones and callbacks), for a caller who finds every agent busy. With ``retrial``, a
    caller who abandons redials with that chance (every time: no cap) after an
    exponential delay with mean ``retrial_delay`` seconds, as a new arrival (an orbit of
    at most ``max_orbit`` callers: an infinite-server delay station).
    """

    arrival_rate: float
    aht: float
    agents: int
    patience: float = math.inf
    accept: float = 0.0
    offer: Callable[[int], bool] = lambda n: False
    balk: Callable[[int], float] = lambda n: 0.0
    max_queue: int = 60
    retrial: float = 0.0
    retrial_delay: float = math.inf
    max_orbit: int = 0

    def transitions(self, state):
        busy, queue, orbit = state
        mu, theta, redials = 1.0 / self.aht, 1.0 / self.patience, orbit / self.retrial_delay
        out = []
        for (b, q), share in self._arrival(busy, queue):
            out.append(((b, q, orbit), self.arrival_rate * share))
            out.append(((b, q, orbit - 1), redials * share))  # (balked or cut: gone too)
        out.append(((busy, queue[1:], orbit) if queue else (busy - 1, (), orbit), busy * mu))
        back = self.retrial if orbit < self.max_orbit else 0.0
        for i, kind in enumerate(queue):
            if kind == LIVE and theta > 0.0:
                left = queue[:i] + queue[i + 1:]
                out += [((busy, left, orbit + 1), theta * back),
                        ((busy, left, orbit), theta * (1.0 - back))]
        return out

    def _arrival(self, busy: int, queue: tuple) -> list[tuple[tuple, float]]:
        """Where an arrival takes ``(busy, queue)``, with each chance (staying: balked, cut)."""
        if busy < self.agents:
            return [((busy + 1, ()), 1.0)]
        if len(queue) >= self.max_queue:
            return [((busy, queue), 1.0)]
        took, balked = self._choice(len(queue))
        joined = (1.0 - took) * (1.0 - balked)
        return [((busy, (*queue, CALLBACK)), took), ((busy, (*queue, LIVE)), joined),
                ((busy, queue), 1.0 - took - joined)]

    def _choice(self, ahead: int) -> tuple[float, float]:
        """(chance of taking a callback, chance of balking if not) with ``ahead`` waiting."""
        took = self.accept if self.offer(ahead) else 0.0
        return took, self.balk(ahead)

    def solve(self, threshold: float) -> Solution:
        """The KPIs, with the service level at ``threshold`` seconds.

        Fresh arrivals see the stationary state (PASTA); redials come from state s at rate
        orbit(s) / delay, so every count below weighs a state by its arrival rate.
        """
        states, pi = stationary((0, (), 0), self.transitions)
        theta = 1.0 / self.patience
        arrived = took = balked = full = lost = live = callbacks = redials = at_once = 0.0
        joins: dict = {}  # (kind, queue ahead) -> rate of arrivals that join so
        for (busy, queue, orbit), p in zip(states, pi):
            live += p * queue.count(LIVE)
            callbacks += p * queue.count(CALLBACK)
            rate = p * (self.arrival_rate + orbit / self.retrial_delay)
            redials += p * orbit / self.retrial_delay
            arrived += rate
            if orbit == self.max_orbit:
                lost += p * theta * queue.count(LIVE) * self.retrial  # redials that were not
            if busy < self.agents:
                at_once += rate
            elif len(queue) >= self.max_queue:
                full += rate
            else:
                t, b = self._choice(len(queue))
                took += rate * t
                balked += rate * (1.0 - t) * b
                for kind, share in ((CALLBACK, t), (LIVE, (1.0 - t) * (1.0 - b))):
                    joins[(kind, queue)] = joins.get((kind, queue), 0.0) + rate * share
        offered = arrived - balked - full
        return Solution(
            offered=offered,
            balk_rate=balked / (offered + balked),
            callback_rate=took / offered,
            abandon_rate=live * theta / offered,
            mean_wait=(live + callbacks) / offered,  # Little's law
            callback_wait=callbacks / took if took > 0 else math.nan,
            service_level=(at_once + self._answered_in_time(joins, threshold)) / offered,
            retrial_share=redials / offered,
            cut=(full + lost) / arrived,
        )

    def _answered_in_time(self, joins: dict, threshold: float) -> float:
        """Rate of arrivals that wait, then are answered within ``threshold`` seconds."""
        served, gone = "served", "gone"
        c_mu, theta = self.agents / self.aht, 1.0 / self.patience

        def tagged(state):  # (its kind, the queue ahead of it)
            if state in (served, gone):
                return []
            kind, ahead = state
            out = [((kind, ahead[1:]) if ahead else served, c_mu)]
            if kind == LIVE and theta > 0.0:
                out.append((gone, theta))
            out += [((kind, ahead[:i] + ahead[i + 1:]), theta)
                    for i, k in enumerate(ahead) if k == LIVE and theta > 0.0]
            return out

        starts = list(joins)
        _, index, q = generator([served, *starts], tagged)
        u = absorbed_by(q, index[served], threshold)
        return float(sum(joins[s] * u[index[s]] for s in starts))



@dataclass(frozen=True)
class CallbackQueue:
    """M/M/c+M whose callbacks wait in a queue of their own, worked when no caller waits.

    The offer looks at the ``n`` live callers waiting ahead in the callers' queue (the
    callbacks wait elsewhere); a callback never hangs up. State: (busy agents, live
    callers waiting, callbacks waiting); a free agent takes the longest-waiting live
    caller, else the oldest callback. Queues cut at ``max_queue`` each.
    """

    arrival_rate: float
    aht: float
    agents: int
    patience: float
    accept: float
    offer: Callable[[int], bool]
    max_queue: int = 60

    def transitions(self, state):
        busy, live, called = state
        lam = self.arrival_rate
        out = []
        if busy < self.agents:
            out.append(((busy + 1, 0, 0), lam))
        else:
            took = self.accept if self.offer(live) else 0.0
            if called < self.max_queue:
                out.append(((busy, live, called + 1), lam * took))
            if live < self.max_queue:
                out.append(((busy, live + 1, called), lam * (1.0 - took)))
        done = ((busy, live - 1, called) if live else (busy, 0, called - 1) if called
                else (busy - 1, 0, 0))
        out.append((done, busy / self.aht))
        out.append(((busy, live - 1, called), live / self.patience))
        return out

    def solve(self) -> Solution:
        """The KPIs but the service level (NaN) and those of balking and retrials (0)."""
        states, pi = stationary((0, 0, 0), self.transitions)
        lam = self.arrival_rate
        took = full = live = called = 0.0
        for (busy, n, m), p in zip(states, pi):
            live, called = live + p * n, called + p * m
            if busy == self.agents:
                t = self.accept if self.offer(n) else 0.0
                took += p * lam * t * (m < self.max_queue)
                full += p * lam * (t * (m >= self.max_queue) + (1 - t) * (n >= self.max_queue))
        offered = lam - full
        return Solution(offered=offered, balk_rate=0.0, callback_rate=took / offered,
                        abandon_rate=live / self.patience / offered,
                        mean_wait=(live + called) / offered, callback_wait=called / took,
                        service_level=math.nan, retrial_share=0.0, cut=full / lam)
