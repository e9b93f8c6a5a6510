"""What every distribution shares: its field types, ``sample``, and its repr.

The distribution families (:mod:`sim.distributions`, :mod:`sim.empirical_times`) are
built on :class:`_Dist`, a frozen pydantic model that draws a whole block of times at
once from a numpy Generator the caller owns, and on the field types their ``mean``,
``cv`` and bounds are checked with when built.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sim.units import Duration, Number, format_duration


def _check_cv(cv: float) -> float:
    if not math.isfinite(cv):
        raise ValueError(f"must be a finite number, got {cv}")
    if cv <= 0:
        hint = " (for a time that never varies use dist: deterministic)" if cv == 0 else ""
        raise ValueError(f"must be > 0, got {cv:g}{hint}")
    return cv


PositiveDuration = Annotated[Duration, Field(gt=0.0)]
NonNegativeDuration = Annotated[Duration, Field(ge=0.0)]
Cv = Annotated[Number, AfterValidator(_check_cv)]


def with_array(quantile: Callable[[float], float],
               of_array: Callable[[np.ndarray], np.ndarray]) -> Callable[[float], float]:
    """``quantile`` (an inverse CDF), carrying ``of_array``: the same of a whole array at once.

    Only where numpy gives every number bit for bit as ``quantile`` does (additions and
    products of doubles; not ``log`` or ``exp``, whose numpy versions may round otherwise).
    """
    quantile.of_array = of_array  # type: ignore[attr-defined]
    return quantile


def quantiles(quantile: Callable[[float], float], u: np.ndarray) -> np.ndarray:
    """``quantile`` of every number of ``u``: the same doubles as one at a time.

    With numpy where the inverse CDF allows it (:func:`with_array`), else one call per
    number (without the loop of a list comprehension around it).
    """
    u = np.asarray(u, dtype=np.float64)
    of_array = getattr(quantile, "of_array", None)
    if of_array is not None:
        return np.broadcast_to(np.asarray(of_array(u), dtype=np.float64), u.shape).copy()
    return np.fromiter(map(quantile, u.tolist()), np.float64, u.size)


def midpoint_quantiles(distribution, points: int) -> np.ndarray:
    """``distribution``'s quantiles at ``points`` midpoints, ``(k + 0.5) / points``.

    Its values as ``points`` equally likely ones: expectations taken without drawing.
    """
    return quantiles(distribution.quantile_function(), (np.arange(points) + 0.5) / points)


class _Dist(BaseModel):
    """What every distribution shares: validation settings, ``sample`` and the repr."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` independent times.

        Args:
            rng: The stream to draw from; the same Generator state gives the same times.
            n: How many (0 gives an empty array).

        Returns:
            Float64 array of shape ``(n,)``, in seconds.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return np.asarray(self._draw(rng, n), dtype=np.float64).reshape(n)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def quantile_function(self) -> Callable[[float], float]:
        """The inverse CDF, ``u`` in (0, 1) -> seconds, with its constants worked out once.

        Durations drawn from keyed numbers (:mod:`sim.keyed`) go through it, so that a
        customer's consult or repeat delay is a function of the customer, not of the
        order of events.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        parts = [
            f"{name}={value:g}" if name in ("cv", "k") else f"{name}={format_duration(value)}"
            for name, value in self
            if name != "dist"
        ]
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__


class _DerivedCv:
    """``cv`` from ``mean`` and ``variance``, for distributions without a cv field."""

    @property
    def cv(self) -> float:
        """Coefficient of variation, standard deviation / mean (0 when the mean is 0)."""
        return math.sqrt(self.variance) / self.mean if self.mean > 0 else 0.0


class _MeanCv(_Dist):
    """A distribution given by its ``mean`` (seconds, > 0) and ``cv`` (> 0)."""

    dist: str
    mean: PositiveDuration
    cv: Cv

    @property
    def variance(self) -> float:
        """Variance, seconds²: (mean·cv)²."""
        return (self.mean * self.cv) ** 2
