"""What a call log tells of each caller's patience, and a replay's patience that agrees.

A caller who abandoned after waiting ``w`` seconds on the phone had a patience of ``w``:
observed. One who was answered after ``w``, or was still waiting after ``w`` when the log
ended, had a patience of at least ``w``: right-censored, a lower bound. One who took a
callback hung up on entering the queue: its patience is told no further than its time
on the phone then, not by its wait for the call back. ``ccsim fit`` estimates patience
from these (:func:`sim.fit.fit_patience`); a replay with ``trace_patience``
(:class:`sim.scenario_contacts.Arrivals`) gives each logged caller a patience the log
agrees with (:func:`logged_patience`): the logged one where it abandoned, else one drawn
from the type's ``patience`` above its logged wait, by inverse transform of the
truncated distribution (F(w) + u (1 - F(w))), one uniform a contact from the type's
patience stream, so that policies still compare the same callers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.distribution_base import quantiles
from sim.distributions import (
    AnyDistribution,
    Deterministic,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
)

LOGGED = ("handle", "wait", "abandoned")
"""What a replay keeps of each logged contact, the columns of :func:`logged_columns`."""

if TYPE_CHECKING:  # (the engine imports this module: no pandas at run time)
    import pandas as pd

_OPEN = (2.0**-53, 1.0 - 2.0**-53)  # the quantile functions take (0, 1) only


def on_phone(table: pd.DataFrame) -> np.ndarray:
    """Each contact's wait on the phone (seconds): what its patience is told by.

    Its ``wait``, but 0 for one that took a callback (ccsim's own ``callback``): they
    accept as they queue, and hang up.

    Args:
        table: Canonical call log rows (:class:`sim.calllog.CallLog`'s ``table``).
    """
    wait = table["wait"].to_numpy(dtype=float)
    if "callback" not in table:
        return wait
    return np.where(table["callback"].to_numpy(dtype=bool), 0.0, wait)


def logged_columns(table: pd.DataFrame, on_call: np.ndarray) -> np.ndarray:
    """A replay's logged columns (:data:`LOGGED`), one row per contact of ``table``.

    Args:
        table: Canonical call log rows.
        on_call: Seconds each was on the call with an agent (NaN: not answered, or not
            told): :meth:`sim.calllog.CallLog.on_call`.
    """
    abandoned = (table["outcome"] == "abandoned").to_numpy(dtype=float)
    return np.column_stack([on_call, on_phone(table), abandoned])


def cdf(distribution: AnyDistribution, x: np.ndarray) -> np.ndarray:
    """P(T <= x) of ``distribution`` at each of ``x`` (seconds), as its ``sample`` draws T."""
    from scipy import stats  # (replays with trace_patience only)

    x = np.asarray(x, dtype=float)
    d = distribution
    if isinstance(d, Exponential):
        return stats.expon.cdf(x, scale=d.mean)
    if isinstance(d, Lognormal):
        sigma2 = math.log1p(d.cv**2)
        return stats.lognorm.cdf(x, math.sqrt(sigma2), scale=d.mean * math.exp(-sigma2 / 2))
    if isinstance(d, Gamma):
        return stats.gamma.cdf(x, 1.0 / d.cv**2, scale=d.mean * d.cv**2)
    if isinstance(d, Erlang):
        return stats.gamma.cdf(x, float(d.k), scale=d.mean / d.k)
    if isinstance(d, Uniform):
        return stats.uniform.cdf(x, d.low, d.high - d.low)
    if isinstance(d, Triangular):
        width = d.high - d.low
        return stats.triang.cdf(x, (d.mode - d.low) / width, d.low, width)
    if isinstance(d, Deterministic):
        return (x >= d.value).astype(float)
    if isinstance(d, Empirical):
        values = np.sort(np.asarray(d.values, dtype=float))
        return np.searchsorted(values, x, side="right") / values.size
    raise TypeError(f"no distribution function for {type(d).__name__}")


def logged_patience(patience: AnyDistribution | None, u: np.ndarray, wait: np.ndarray,
                    abandoned: np.ndarray) -> np.ndarray:
    """Each logged caller's patience in a replay (seconds): what the log says, else drawn.

    Args:
        patience: The contact type's patience (None: never hangs up).
        u: One uniform number in [0, 1) per contact (the type's patience stream).
        wait: Each one's logged wait on the phone (:func:`on_phone`), seconds.
        abandoned: Whether each abandoned in the log.

    Returns:
        The logged wait where it abandoned; else ``patience`` drawn above its logged wait
        (the distribution truncated there), at least that wait (a wait beyond every
        patience ``patience`` gives: that wait); ``inf`` where ``patience`` is None.
    """
    wait = np.maximum(np.asarray(wait, dtype=float), 0.0)
    abandoned = np.asarray(abandoned, dtype=bool)
    if patience is None:
        return np.where(abandoned, wait, math.inf)
    if isinstance(patience, Empirical):  # a value above the wait, each alike
        values = np.sort(np.asarray(patience.values, dtype=float))
        above = np.searchsorted(values, wait, side="right")
        pick = above + np.floor(u * (values.size - above)).astype(int)
        drawn = np.where(above < values.size, values[np.minimum(pick, values.size - 1)], wait)
    else:
        below = cdf(patience, wait)
        drawn = quantiles(patience.quantile_function(),
                          np.clip(below + u * (1.0 - below), *_OPEN))
    return np.where(abandoned, wait, np.maximum(drawn, wait))


def replayed_patience(patience: AnyDistribution | None, rng: np.random.Generator, n: int,
                      logged: np.ndarray | None, trace_patience: bool) -> np.ndarray:
    """The patience of a contact type's ``n`` drawn or replayed contacts, seconds.

    Drawn from ``patience`` (``inf``: never hangs up), as always; with ``trace_patience``,
    what the log tells of each replayed one (:func:`logged_patience`), from the same
    stream's uniforms.

    Args:
        patience: The type's patience distribution, or None.
        rng: The type's patience stream.
        n: How many contacts.
        logged: The replayed contacts' logged columns (:data:`LOGGED`), or None.
        trace_patience: Whether to replay the logged patience.
    """
    if trace_patience and logged is not None:
        return logged_patience(patience, rng.random(n), logged[:, 1], logged[:, 2] > 0)
    return np.full(n, math.inf) if patience is None else patience.sample(rng, n)
