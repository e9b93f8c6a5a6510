"""Erlang formulas: closed-form answers for a single queue in front of a pool of agents.

Think of a call center as a shop with ``agents`` tills. Contacts arrive at random (Poisson,
``arrival_rate`` per second) and each keeps an agent busy for a random (exponential) handle
time with mean ``aht`` seconds. The *offered load* ``arrival_rate * aht`` in Erlangs is the
number of agents that would be busy if nobody ever waited or left. Three classic models:

* **Erlang B** (M/M/n/n): no queue; a contact that finds every agent busy is blocked.
* **Erlang C** (M/M/n): an unlimited queue of infinitely patient contacts. Only stable
  while the load is below the number of agents.
* **Erlang A** (M/M/n+M): waiting contacts abandon after an exponential patience with
  mean ``patience`` seconds. Abandonment keeps the queue finite at any load, overload
  included.

Every rate is per second and every time is in seconds. Large pools (thousands of agents)
are handled with the Erlang B recursion and log-space sums; no factorial is ever formed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

# Queue states are summed until the neglected tail is below this fraction of the largest.
_TAIL = 1e-18
# Beyond this many queue states (overload with very long patience) the sums get too big.
_MAX_STATES = 5_000_000
# Loads are products of rounded numbers: 260 calls per 1800 s at 270 s comes out as
# 38.99999999999999 Erlangs, not 39. A load this close (relatively) to the agents is taken
# as equal to them, where Erlang C has no steady state.
_LOAD_RTOL = 1e-9


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of one queue.

    Attributes:
        p_wait: Probability that an arrival waits (finds every agent busy).
        asa: Average speed of answer: mean queue wait of answered contacts, seconds.
        mean_wait: Mean queue wait of all arrivals, abandoned ones counted with their time
            until abandoning, seconds.
        service_level: Contacts answered within the threshold / all arrivals.
        abandon_rate: Abandoned contacts / arrivals (0.0 for Erlang C).
        occupancy: Busy agent time / agent time (carried load / agents).
    """

    p_wait: float
    asa: float
    mean_wait: float
    service_level: float
    abandon_rate: float
    occupancy: float


def _agents(agents: object, name: str = "agents") -> int:
    if isinstance(agents, bool) or not isinstance(agents, Integral) or agents < 1:
        raise ValueError(f"'{name}' must be an integer >= 1, got {agents!r}")
    return int(agents)


def _number(name: str, value: object, *, positive: bool) -> float:
    rule = "a finite number > 0" if positive else "a finite number >= 0"
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"'{name}' must be {rule}, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"'{name}' must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def _saturated(agents: int, load: float) -> bool:
    """Whether ``load`` Erlangs keep ``agents`` agents busy: load >= agents, up to rounding."""
    return load >= agents * (1.0 - _LOAD_RTOL)


def _fraction(name: str, value: object) -> float:
    number = _number(name, value, positive=True)
    if number > 1:
        raise ValueError(f"'{name}' must be in (0, 1], got {value!r}")
    return number


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of the Erlang B (M/M/n/n) loss system.

    Uses the standard stable recursion B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)).

    Args:
        agents: Number of agents (lines), an integer >= 1.
        load: Offered load in Erlangs (arrival rate per second * mean handle time in seconds).

    Returns:
        The probability that an arrival finds every agent busy and is lost.

    Raises:
        ValueError: If an argument is out of range.
    """
    n, a = _agents(agents), _number("load", load, positive=False)
    blocking = 1.0
    for k in range(1, n + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability of waiting in the Erlang C (M/M/n) queue.

    From Erlang B (Gross & Harris, *Fundamentals of Queueing Theory*, M/M/c):
    C = n B / (n - A (1 - B)).

    Args:
        agents: Number of agents, an integer >= 1.
        load: Offered load in Erlangs (arrival rate per second * mean handle time in seconds).

    Returns:
        P(wait > 0); 1.0 when ``load >= agents`` (no steady state, everybody waits),
        ``load`` within a relative 1e-9 below ``agents`` included (rounding).

    Raises:
        ValueError: If an argument is out of range.
    """
    n, a = _agents(agents), _number("load", load, positive=False)
    if _saturated(n, a):
        return 1.0
    blocking = erlang_b(n, a)
    return n * blocking / (n - a * (1.0 - blocking))


def erlang_c_metrics(
    arrival_rate: float, aht: float, agents: int, threshold: float
) -> QueueMetrics:
    """Performance of an M/M/n queue of patient contacts (Erlang C, Gross & Harris).

    With m = n/aht - arrival_rate: ASA = C / m and P(wait > t) = C exp(-m t).

    Args:
        arrival_rate: Contacts per second.
        aht: Mean handle time, seconds.
        agents: Number of agents, an integer >= 1.
        threshold: Service-level threshold, seconds.

    Returns:
        The steady-state metrics; nobody abandons, so ``mean_wait == asa``.

    Raises:
        ValueError: If an argument is out of range, or the load is not below ``agents``
            (a load that only rounding puts below it included).
    """
    lam = _number("arrival_rate", arrival_rate, positive=True)
    aht = _number("aht", aht, positive=True)
    n, t = _agents(agents), _number("threshold", threshold, positive=False)
    load = lam * aht
    if _saturated(n, load):
        raise ValueError(
            f"offered load {round(load, 6)} Erlangs needs more than {n} agents for Erlang C; "
            "add agents or give contacts a patience (Erlang A), which is stable in overload"
        )
    p_wait = erlang_c(n, load)
    drain = n / aht - lam  # net rate at which a full queue empties, per second
    asa = p_wait / drain
    return QueueMetrics(
        p_wait=p_wait,
        asa=asa,
        mean_wait=asa,
        service_level=1.0 - p_wait * math.exp(-drain * t),
        abandon_rate=0.0,
        occupancy=load / n,
    )


def _queue_log_weights(lam: float, n_mu: float, theta: float) -> np.ndarray:
    """Log of pi(n+j)/pi(n) for j = 0, 1, ...: sum over k <= j of log(lam / (n mu + k theta)).

    Terms grow while n mu + k theta < lam (overload) and then fall off faster than
    geometrically, so the sum stops once the neglected tail, bounded by
    term * r / (1 - r) with r the last ratio, is below _TAIL of the largest term.
    """
    logs = np.zeros(1)
    chunk = 1024
    while True:
        k = np.arange(len(logs), len(logs) + chunk, dtype=float)
        logs = np.concatenate([logs, logs[-1] + np.cumsum(np.log(lam / (n_mu + k * theta)))])
        ratio = lam / (n_mu + k[-1] * theta)
        if ratio < 1 and logs[-1] + math.log(ratio / (1 - ratio)) < logs.max() + math.log(_TAIL):
            return logs
        if len(logs) > _MAX_STATES:
            raise ValueError(
                f"Erlang A needs more than {_MAX_STATES} queue states here (arrival rate "
                f"{lam} /s, patience {1 / theta} s): patience too long for this overload"
            )
        chunk *= 2


def erlang_a_metrics(
    arrival_rate: float, aht: float, agents: int, patience: float, threshold: float
) -> QueueMetrics:
    """Performance of the M/M/n+M (Erlang A) queue with exponential patience.

    The number in system is a birth-death process (Garnett, Mandelbaum & Reiman 2002,
    "Designing a call center with impatient customers"): birth rate lam, death rate
    k mu below n agents and n mu + j theta with j waiting, mu = 1/aht, theta = 1/patience.
    By PASTA an arrival sees the stationary state. One who finds j others waiting moves up
    a place at rate n mu + i theta while i are ahead and abandons at rate theta, so
    (telescoping) P(served | j) = n mu / (n mu + (j+1) theta), and its would-be wait V is
    a sum of exponentials at rates n mu + i theta, i = 0..j, for which exp(-theta V) is
    Beta(n mu/theta, j+1). Hence P(W <= t, served | j) = P(served | j) I_x(j+1, n mu/theta + 1)
    with x = 1 - exp(-theta t), and E[W; served | j] = P(served | j) sum_i 1/(n mu + (i+1) theta).
    P(wait) and P(abandon) agree with the J-integral forms of Mandelbaum & Zeltyn, "The
    M/M/n+G queue: summary of performance measures" (checked in the tests), and the mean
    wait of all arrivals is E[queue] / lam (Little's law).

    Args:
        arrival_rate: Contacts per second.
        aht: Mean handle time, seconds.
        agents: Number of agents, an integer >= 1.
        patience: Mean (exponential) patience of a waiting contact, seconds.
        threshold: Service-level threshold, seconds.

    Returns:
        The steady-state metrics; valid at any load, overload included.

    Raises:
        ValueError: If an argument is out of range.
    """
    lam = _number("arrival_rate", arrival_rate, positive=True)

    mu = 1.0 / _number("aht", aht, positive=True)
    n = _agents(agents)
    theta = 1.0 / _number("patience", patience, positive=True)
    t = _number("threshold", threshold, positive=False)
    load, n_mu = lam / mu, n * mu

    # Unnormalised log weights of states 0..n (all in service), then n+1, n+2, ...
    busy = np.arange(n + 1, dtype=float)
    log_idle = busy * math.log(load) - _lgamma(busy + 1)
    log_queue = log_idle[-1] + _queue_log_weights(lam, n_mu, theta)[1:]
    top = max(log_idle.max(), log_queue.max())
    w_idle, w_queue = np.exp(log_idle - top), np.exp(log_queue - top)
    total = w_idle.sum() + w_queue.sum()
    p_idle, p_queue = w_idle / total, w_queue / total  # P(k in system), k = 0..n; n+1, ...
    p_full = np.concatenate([p_idle[-1:], p_queue])  # arrivals who wait, by j = 0, 1, ...
    ahead = np.arange(len(p_full), dtype=float)

    served = n_mu / (n_mu + (ahead + 1) * theta)
    p_no_wait = float(p_idle[:-1].sum())
    p_served = 1.0 - float(p_full @ (1.0 - served))
    stage_means = np.cumsum(1.0 / (n_mu + (ahead + 1) * theta))
    answered_quickly = beta_cdf_integer_a(len(ahead), n_mu / theta + 1, -math.expm1(-theta * t))
    idle_agents = float(p_idle[:-1] @ (n - busy[:-1]))
    return QueueMetrics(
        p_wait=min(1.0, float(p_full.sum())),
        asa=float(p_full @ (served * stage_means)) / p_served,
        mean_wait=float(p_queue @ ahead[1:]) / lam,
        service_level=min(1.0, p_no_wait + float(p_full @ (served * answered_quickly))),
        abandon_rate=1.0 - p_served,
        occupancy=1.0 - idle_agents / n,
    )


def _lgamma(x: np.ndarray) -> np.ndarray:
    """``math.lgamma`` of each element (numpy has no log-gamma; SciPy's costs its import)."""
    return np.fromiter(map(math.lgamma, x.tolist()), dtype=float, count=x.size)


def beta_cdf_integer_a(count: int, b: float, x: float) -> np.ndarray:
    """Regularised incomplete beta I_x(a, b) for a = 1..count, in closed form.

    With a whole, I_x(a, b) = 1 - sum_{k<a} C(b+k-1, k) x^k (1-x)^b: the chance that a
    Beta(a, b) variable is at most x equals the chance that fewer than a successes of rate
    x come before the b-th failure (a negative binomial). The terms are summed from their
    logarithms, so none underflows early. This keeps Erlang A free of SciPy, whose import
    is most of ``ccsim erlang --patience``'s start-up; the tests check it against
    ``scipy.special.betainc``.
    """
    k = np.arange(count, dtype=float)
    if x <= 0.0:
        return np.zeros(count)
    if x >= 1.0:
        return np.ones(count)
    log_terms = b * math.log1p(-x) + k * math.log(x) \
        + _log_ratios(b + k[:-1]) - _log_ratios(k[1:])  # log C(b+k-1, k) = rising / k!
    return np.clip(1.0 - np.cumsum(np.exp(log_terms)), 0.0, 1.0)


def _log_ratios(factors: np.ndarray) -> np.ndarray:
    """0, log f0, log f0 f1, ...: a log-gamma ratio as a sum of small logs (no big terms)."""
    return np.concatenate([[0.0], np.cumsum(np.log(factors))])


def required_agents(
    arrival_rate: float,
    aht: float,
    target: float,
    threshold: float,
    patience: float | None = None,
    max_abandon: float | None = None,
    max_agents: int = 100_000,
) -> int:
    """Fewest agents that meet a service-level target (and an abandonment cap).

    Erlang C when ``patience`` is None (which also needs agents > load), Erlang A
    otherwise. Service level rises and abandonment falls with every added agent, so the
    answer is found by doubling and then bisection.

    Args:
        arrival_rate: Contacts per second.
        aht: Mean handle time, seconds.
        target: Required service level (answered within ``threshold`` / arrivals), in (0, 1).
        threshold: Service-level threshold, seconds.
        patience: Mean (exponential) patience, seconds; None for patient contacts.
        max_abandon: Largest acceptable abandon rate in (0, 1], or None. Always met by
            Erlang C, where nobody abandons.
        max_agents: Give up above this many agents.

    Returns:
        The smallest number of agents meeting every given goal.

    Raises:
        ValueError: If an argument is out of range, or no staffing up to ``max_agents``
            meets the goals.
    """
    lam = _number("arrival_rate", arrival_rate, positive=True)
    aht = _number("aht", aht, positive=True)
    target = _fraction("target", target)
    if target >= 1.0:  # never met: some caller always waits (1.0 was 'met' by rounding)
        raise ValueError(f"'target' must be below 1 (no staffing answers every caller "
                         f"within the threshold), got {target!r}")
    t = _number("threshold", threshold, positive=False)
    cap = _agents(max_agents, "max_agents")
    if patience is not None:
        _number("patience", patience, positive=True)
    if max_abandon is not None:
        _fraction("max_abandon", max_abandon)

    def meets(n: int) -> bool:
        if patience is None:
            if _saturated(n, lam * aht):
                return False
            metrics = erlang_c_metrics(lam, aht, n, t)
        else:
            metrics = erlang_a_metrics(lam, aht, n, patience, t)
        return metrics.service_level >= target and (
            max_abandon is None or metrics.abandon_rate <= max_abandon
        )

    low, high = 0, max(1, min(cap, math.ceil(lam * aht)))  # meets(low) is False by convention
    while not meets(high):
        if high == cap:
            raise ValueError(
                f"no staffing up to 'max_agents' = {cap} meets service level {target} within "
                f"{t} s" + (f" and abandon rate <= {max_abandon}" if max_abandon else "")
            )
        low, high = high, min(cap, 2 * high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if meets(middle) else (middle, high)
    return high
