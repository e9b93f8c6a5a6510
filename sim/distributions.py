"""Distributions: how long things take (handle times, patience, delays).

A distribution is a recipe card, not a pot of soup: a small frozen pydantic model with
the same shape as in a scenario file (``{dist: lognormal, mean: 4m, cv: 0.7}``), checked
when built. It knows its exact ``mean``, ``variance`` and ``cv`` (so tests can hold
samples against theory) and draws a whole block at once with ``sample(rng, n)`` from a
numpy Generator the caller owns. Every time is in seconds; a value may carry a unit.
Skewed times are given by mean and cv (standard deviation / mean), the way contact-center
data is summarised: "handle time averages 4 minutes, cv 0.7". Means and variances are the
standard closed forms (A. M. Law, *Simulation Modeling and Analysis*, 5th ed., §6.2).

This module holds the parametric families and "any distribution" (the scenario field
type); what they share is :mod:`sim.distribution_base`, and observed times drawn with
replacement are :mod:`sim.empirical_times`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from pathlib import Path
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, TypeAdapter, model_validator

from sim.distribution_base import (  # noqa: F401 (the shared names, importable from here too)
    Cv,
    NonNegativeDuration,
    PositiveDuration,
    _check_cv,
    _DerivedCv,
    _Dist,
    _MeanCv,
    with_array,
)
from sim.empirical_times import Empirical, _read_durations  # noqa: F401 (importable from here)
from sim.units import Duration

# the inverse standard normal CDF, scaled and shifted, as statistics.NormalDist computes it
_inv_cdf = getattr(statistics, "_normal_dist_inv_cdf", None)


class Exponential(_DerivedCv, _Dist):
    """Exponential with ``mean`` seconds (> 0): memoryless, cv 1, Erlang C and A's model."""

    dist: Literal["exponential"] = "exponential"
    mean: PositiveDuration

    @property
    def variance(self) -> float:
        """Variance, seconds²: mean²."""
        return self.mean**2

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, size=n)

    def quantile_function(self) -> Callable[[float], float]:
        """Inverse CDF: -mean·ln(1 - u)."""
        mean, log1p = self.mean, math.log1p
        return lambda u: -mean * log1p(-u)


class Lognormal(_MeanCv):
    """Lognormal by ``mean`` (seconds) and ``cv``: the usual fit for handle times."""

    dist: Literal["lognormal"] = "lognormal"

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)  # of the underlying normal, whose mean is mu
        mu = math.log(self.mean) - sigma2 / 2.0
        return rng.lognormal(mu, math.sqrt(sigma2), size=n)

    def quantile_function(self) -> Callable[[float], float]:
        """Inverse CDF: exp(mu + sigma·Φ⁻¹(u))."""
        sigma2 = math.log1p(self.cv**2)
        mu, sigma = math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2)
        exp = math.exp
        if _inv_cdf is None:  # (a Python without the statistics module's C function)
            inv = NormalDist().inv_cdf
            return lambda u: exp(mu + sigma * inv(u))
        # NormalDist(mu, sigma).inv_cdf(u) without its method call and checks (the C
        # function raises outside (0, 1)); the same double: mu + x * sigma
        return lambda u: exp(_inv_cdf(u, mu, sigma))


class Gamma(_MeanCv):
    """Gamma by ``mean`` (seconds) and ``cv``: shape 1/cv², scale mean·cv²."""

    dist: Literal["gamma"] = "gamma"

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(1.0 / self.cv**2, self.mean * self.cv**2, size=n)

    def quantile_function(self) -> Callable[[float], float]:
        """Inverse CDF of the gamma (regularised incomplete gamma, inverted by scipy)."""
        return _gamma_quantile(1.0 / self.cv**2, self.mean * self.cv**2)


class Erlang(_DerivedCv, _Dist):
    """``k`` (>= 1) exponential phases in a row with total ``mean`` seconds: cv 1/√k."""

    dist: Literal["erlang"] = "erlang"
    mean: PositiveDuration
    k: Annotated[int, Field(ge=1, strict=True)]

    @property
    def variance(self) -> float:
        """Variance, seconds²: mean²/k."""
        return self.mean**2 / self.k

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(float(self.k), self.mean / self.k, size=n)

    def quantile_function(self) -> Callable[[float], float]:
        """Inverse CDF of the gamma with shape k."""
        return _gamma_quantile(float(self.k), self.mean / self.k)


class Uniform(_DerivedCv, _Dist):
    """Uniform between ``low`` (seconds, >= 0) and ``high`` (seconds, > low)."""

    dist: Literal["uniform"] = "uniform"
    low: NonNegativeDuration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"low must be < high, got low={self.low}, high={self.high}")
        return self

    @property
    def mean(self) -> float:
        """Mean, seconds: (low + high)/2."""
        return (self.low + self.high) / 2.0

    @property
    def variance(self) -> float:
        """Variance, seconds²: (high - low)²/12."""
        return (self.high - self.low) ** 2 / 12.0

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=n)

    def quantile_function(self) -> Callable[[float], float]:
        """Inverse CDF: low + u·(high - low)."""
        low, width = self.low, self.high - self.low

        def quantile(u):  # a number, or a numpy array of them (the same arithmetic)
            return low + u * width

        return with_array(quantile, quantile)


class Triangular(_DerivedCv, _Dist):
    """Triangular from ``low`` to ``high`` peaking at ``mode`` (seconds): an expert's guess."""

    dist: Literal["triangular"] = "triangular"
    low: NonNegativeDuration
    mode: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        low, mode, high = self.low, self.mode, self.high
        if not low < high:
            raise ValueError(f"low must be < high, got low={low}, high={high}")
        if not low <= mode <= high:
            raise ValueError(
                f"mode must be within low..high, got low={low}, mode={mode}, high={high}"
            )
        return self

    @property
    def mean(self) -> float:
        """Mean, seconds: (low + mode + high)/3."""
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self) -> float:
        """Variance, seconds²: (a² + b² + c² - ab - ac - bc)/18 for low a, high b, mode c."""
        a, b, c = self.low, self.high, self.mode
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size=n)

    def quantile_function(self) -> Callable[[float], float]:
        """Inverse CDF of the triangular, piecewise square roots."""
        a, b, c = self.low, self.high, self.mode
        split = (c - a) / (b - a)
        sqrt = math.sqrt

        def quantile(u: float) -> float:
            if u < split:
                return a + sqrt(u * (b - a) * (c - a))
            return b - sqrt((1.0 - u) * (b - a) * (b - c))

        return quantile


class Deterministic(_DerivedCv, _Dist):
    """Always exactly ``value`` seconds (>= 0)."""

    dist: Literal["deterministic"] = "deterministic"
    value: NonNegativeDuration

    @property
    def mean(self) -> float:
        """Mean, seconds: the value."""
        return self.value

    @property
    def variance(self) -> float:
        """Variance, seconds²: 0."""
        return 0.0

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def quantile_function(self) -> Callable[[float], float]:
        """Inverse CDF: the value."""
        value = self.value
        return with_array(lambda _u: value, lambda u: np.full(u.shape, value))


AnyDistribution = (
    Exponential | Lognormal | Gamma | Erlang | Uniform | Triangular | Deterministic | Empirical
)
"""Any of the distribution classes (for return and variable types)."""

Distribution = Annotated[AnyDistribution, Field(discriminator="dist")]
"""Any distribution, chosen by its ``dist`` field: use this as a pydantic field type."""

_ADAPTER: TypeAdapter[AnyDistribution] = TypeAdapter(Distribution)


def parse_distribution(data: object, base_dir: Path | None = None) -> AnyDistribution:
    """Build a distribution from its scenario form, e.g. ``{"dist": "gamma", "mean": "4m"}``.

    Args:
        data: A mapping with a ``dist`` name and that distribution's fields.
        base_dir: Folder an empirical ``file`` is relative to (default: current directory).

    Returns:
        The validated distribution.

    Raises:
        pydantic.ValidationError: If ``data`` is not a valid distribution.
    """
    return _ADAPTER.validate_python(data, context={"base_dir": base_dir or Path.cwd()})


def _gamma_quantile(shape: float, scale: float) -> Callable[[float], float]:
    """The gamma's inverse CDF; scipy.special is imported at the first number asked for.

    Every contact type's quantile functions are built with its plan, but most runs never
    call them (a plain call's only talk is drawn up front): importing SciPy for them cost
    each run 0.2 s before its workers could start.
    """
    inverse = None

    def quantile(u: float) -> float:
        nonlocal inverse
        if inverse is None:
            from scipy.special import gammaincinv as inverse
        return float(inverse(shape, u)) * scale

    return quantile
