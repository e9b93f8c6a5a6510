"""Distributions: how long things take (handle times, patience, delays).

A distribution is a recipe card, not a pot of soup: a small frozen pydantic model with
the same shape as in a scenario file (``{dist: lognormal, mean: 4m, cv: 0.7}``), checked
when built. It knows its exact ``mean``, ``variance`` and ``cv`` (so tests can hold
samples against theory) and draws a whole block at once with ``sample(rng, n)`` from a
numpy Generator the caller owns. Every time is in seconds; a value may carry a unit.
Skewed times are given by mean and cv (standard deviation / mean), the way contact-center
data is summarised: "handle time averages 4 minutes, cv 0.7". Means and variances are the
standard closed forms (A. M. Law, *Simulation Modeling and Analysis*, 5th ed., §6.2).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.units import Duration, Number, format_duration, parse_duration


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
        inv, exp = NormalDist().inv_cdf, math.exp
        return lambda u: exp(mu + sigma * inv(u))


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
        return lambda u: low + u * width


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
        return lambda _u: value


class Empirical(_DerivedCv, _Dist):
    """Observed times (seconds, each >= 0) drawn with replacement, inline or from a file.

    A file has one duration per line and maybe a header line. A relative ``file`` is read
    from the validation context's ``base_dir`` (default: the current directory) into
    ``values`` at validation; ``file`` is then kept for the repr only, not dumped.
    """

    dist: Literal["empirical"] = "empirical"
    values: tuple[NonNegativeDuration, ...] | None = None
    file: str | None = Field(default=None, exclude=True)

    @field_validator("values")
    @classmethod
    def _not_empty(cls, values: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if values is not None and not values:
            raise ValueError("needs at least one value, got []")
        return values

    @model_validator(mode="after")
    def _one_source(self, info: ValidationInfo) -> Empirical:
        if (self.values is None) == (self.file is None):
            raise ValueError("give exactly one of 'values' and 'file'")
        if self.file is not None:
            base = Path((info.context or {}).get("base_dir") or ".")
            object.__setattr__(self, "values", _read_durations(base / self.file, self.file))
        return self

    @property
    def mean(self) -> float:
        """Mean of the values, seconds."""
        return float(np.mean(self.values))

    @property
    def variance(self) -> float:
        """Variance of the values (divided by their count, as resampling has), seconds²."""
        return float(np.var(self.values))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=np.float64), size=n, replace=True)

    def quantile_function(self) -> Callable[[float], float]:
        """One of the values, each with probability 1/n (as resampling draws them)."""
        values = tuple(float(v) for v in self.values)
        n = len(values)
        return lambda u: values[min(int(u * n), n - 1)]

    def __repr__(self) -> str:
        source = f" from {self.file!r}" if self.file else ""
        mean = format_duration(self.mean)
        return f"Empirical({len(self.values)} values{source}, mean={mean})"

    __str__ = __repr__


_MAX_FILE_BYTES = 10 * 1024 * 1024  # as for scenario files (sim.safe_yaml.MAX_BYTES)


def _read_durations(path: Path, shown: str) -> tuple[float, ...]:
    """Durations in a text/CSV file, one per line; a first line that is not one is a header."""
    try:
        with open(path, "rb") as file:  # at most a byte too many: /dev/zero is a file too
            data = file.read(_MAX_FILE_BYTES + 1)
        if len(data) > _MAX_FILE_BYTES:
            raise ValueError(f"cannot read {shown!r}: the file is larger than "
                             f"{_MAX_FILE_BYTES // (1024 * 1024)} MB")
        lines = data.decode("utf-8-sig").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read {shown!r}: {exc.strerror} (looked for {path})") from None
    except UnicodeDecodeError:
        raise ValueError(f"cannot read {shown!r}: not a UTF-8 text file") from None
    values: list[float] = []
    rows = [(number, line.strip()) for number, line in enumerate(lines, 1) if line.strip()]
    for i, (number, text) in enumerate(rows):
        try:
            value = parse_duration(text)
        except ValueError as exc:
            if i == 0:
                continue  # a header such as "handle_time_s"
            raise ValueError(f"{shown!r} line {number}: {exc}") from None
        if value < 0:
            raise ValueError(f"{shown!r} line {number}: must be >= 0, got {text}")
        values.append(value)
    if not values:
        raise ValueError(f"{shown!r} holds no numbers")
    return tuple(values)


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
    from scipy.special import gammaincinv  # only scenarios with gamma times need scipy here

    return lambda u: float(gammaincinv(shape, u)) * scale
