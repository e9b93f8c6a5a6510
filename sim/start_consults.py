"""The staffing start's consults: how long a consulted agent talks, and who asks in turn.

An agent puts the customer on hold halfway through the talk and asks another queue
(:mod:`sim.leg_steps`); the consulted agent may ask a third queue in turn, halfway
through its own talk (a hold inside a hold), or escalate to one as a consult. Only the
customer has hold patience (``consult.hold_patience`` of the customer's queue,
:mod:`sim.consult_hold`): when it runs out, the customer hangs up and the whole chain of
consults is called off. So a consult asked in turn is asked only by a consulted agent
who reached its halfway before the customer hung up, and lasts at most what is left of
the customer's patience.

The customer's patience left when a consult is asked is carried as :data:`POINTS` of
its quantiles (:func:`patience_points`; None: it never runs out), from the start of the
first hold; the waits for the consulted agents are left out (an estimate from above).
"""

from __future__ import annotations

import numpy as np

from sim.distribution_base import midpoint_quantiles
from sim.distributions import Distribution

POINTS = 400
_U = (np.arange(POINTS) + 0.5) / POINTS  # (the points of what is left, np.quantile)


def patience_points(hold_patience: Distribution | None) -> np.ndarray | None:
    """The quantiles of ``hold_patience`` at :data:`POINTS` midpoints (None: no patience)."""
    if hold_patience is None:
        return None
    return midpoint_quantiles(hold_patience, POINTS)


def still_holding(left: np.ndarray | None, talk: Distribution, pace: float
                  ) -> tuple[float, np.ndarray | None]:
    """Whether the customer still holds when a consulted agent asks in turn, and for how long.

    Returns the chance, and the patience then left. The consulted agent asks halfway
    through its talk (``pace`` x the drawn ``talk``), so the patience ``left`` (points)
    must outlast half of it; what then remains, as points (talk and patience
    independent, every pair). Without patience: 1 and None.
    """
    if left is None:
        return 1.0, None
    half = pace * midpoint_quantiles(talk, POINTS) / 2.0
    after = np.subtract.outer(left, half).ravel()
    after = after[after > 0.0]
    if after.size == 0:
        return 0.0, None
    return after.size / (POINTS * POINTS), np.quantile(after, _U)


def consult_seconds(talk: Distribution, left: np.ndarray | None, pace: float) -> float:
    """Mean seconds a consulted agent of this ``pace`` talks: the talk, cut by a hang-up.

    The talk takes ``pace`` x the drawn one; a customer on hold hangs up when the
    patience ``left`` (points, :func:`patience_points`) runs out and calls the consult
    off, so with one the agent talks E[min(pace x talk, patience)], talk and patience
    independent (every pair of points). The patience runs from the start of the hold,
    the wait for the consulted agent included: left out here, so the cut is somewhat
    short (an estimate from above).
    """
    if left is None:
        return talk.mean * pace
    talks = pace * midpoint_quantiles(talk, POINTS)
    return float(np.minimum.outer(talks, left).mean())
