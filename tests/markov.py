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
the state is the number of busy agents and the queue as a sequence of kinds (0: a live
caller, 1: a callback), head first. The queue is cut at ``max_queue`` (an arrival
finding it full is lost); :attr:`Solution.cut` is the chance an arrival finds it full,
which a user must check is negligible. Arrival statistics follow from PASTA, waiting
means from Little's law, and the service level from the tagged caller's absorbing chain
(its place moves up at each service completion and as live callers ahead hang up).
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

    offered: float  # share of arrivals offered (not balked), cut arrivals aside
    balk_rate: float  # balked / (offered + balked)
    callback_rate: float  # took a callback / offered
    abandon_rate: float  # abandoned / offered
    mean_wait: float  # mean queue wait of all offered (abandoned: until abandoning), s
    callback_wait: float  # mean wait of a callback until the call back, s
    service_level: float  # answered within the threshold / offered
    cut: float  # chance an arrival finds the queue full (truncation: must be tiny)


@dataclass(frozen=True)
class CallCenter:
    """M/M/c+M with callback offers and balking that look at the callers waiting ahead.

    Rates per second; ``offer(n)`` and ``balk(n)`` of ``n`` callers waiting ahead (live
    ones and callbacks), for a caller who finds every agent busy.
    """

    arrival_rate: float
    aht: float
    agents: int
    patience: float = math.inf
    accept: float = 0.0
    offer: Callable[[int], bool] = lambda n: False
    balk: Callable[[int], float] = lambda n: 0.0
    max_queue: int = 60

    def transitions(self, state):
        busy, queue = state
        lam, mu, theta = self.arrival_rate, 1.0 / self.aht, 1.0 / self.patience
        out = []
        if busy < self.agents:
            out.append(((busy + 1, ()), lam))
        elif len(queue) < self.max_queue:
            took, balked = self._choice(len(queue))
            out.append(((busy, (*queue, CALLBACK)), lam * took))
            out.append(((busy, (*queue, LIVE)), lam * (1.0 - took) * (1.0 - balked)))
        out.append(((busy, queue[1:]) if queue else (busy - 1, ()), busy * mu))
        for i, kind in enumerate(queue):
            if kind == LIVE and theta > 0.0:
                out.append(((busy, queue[:i] + queue[i + 1:]), theta))
        return out

    def _choice(self, ahead: int) -> tuple[float, float]:
        """(chance of taking a callback, chance of balking if not) with ``ahead`` waiting."""
        took = self.accept if self.offer(ahead) else 0.0
        return took, self.balk(ahead)

    def solve(self, threshold: float) -> Solution:
        """The KPIs, with the service level at ``threshold`` seconds."""
        states, pi = stationary((0, ()), self.transitions)
        lam = self.arrival_rate
        took = balked = cut = live = callbacks = 0.0
        joins = {}  # (kind, queue ahead) -> chance an arrival joins so
        answered_at_once = 0.0
        for (busy, queue), p in zip(states, pi):
            live += p * queue.count(LIVE)
            callbacks += p * queue.count(CALLBACK)
            if busy < self.agents:
                answered_at_once += p
                continue
            if len(queue) >= self.max_queue:
                cut += p
                continue
            t, b = self._choice(len(queue))
            took += p * t
            balked += p * (1.0 - t) * b
            joins[(CALLBACK, queue)] = p * t
            joins[(LIVE, queue)] = p * (1.0 - t) * (1.0 - b)
        offered = 1.0 - balked - cut
        return Solution(
            offered=offered,
            balk_rate=balked / (1.0 - cut),
            callback_rate=took / offered,
            abandon_rate=live / self.patience / (lam * offered),
            mean_wait=(live + callbacks) / (lam * offered),  # Little's law
            callback_wait=callbacks / (lam * took) if took > 0 else math.nan,
            service_level=(answered_at_once + self._answered_in_time(joins, threshold)) / offered,
            cut=cut,
        )

    def _answered_in_time(self, joins: dict, threshold: float) -> float:
        """Chance an arrival waits, then is answered within ``threshold`` seconds."""
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

