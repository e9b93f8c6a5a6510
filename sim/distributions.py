"""Distributions: how long things take (handle times, patience, delays).

Each distribution is a small frozen pydantic model, validated when built, with the same
shape as in a scenario file (``{dist: lognormal, mean: 4m, cv: 0.7}``). It knows its
exact ``mean``, ``variance`` and ``cv`` (so tests can hold samples against theory) and
draws a whole block of samples at once with ``sample(rng, n)`` from a numpy Generator
(so the engine never draws one number at a time). Times are seconds; a value may be
written with a unit (``4m``).

Parametrisation by mean and coefficient of variation (cv = standard deviation / mean)
is what contact-center data gives: "handle time averages 4 minutes, cv 0.7".
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.units import Duration, format_duration

Positive = Annotated[Duration, Field(gt=0.0)]
NonNegative = Annotated[Duration, Field(ge=0.0)]
PositiveCv = Annotated[float, Field(gt=0.0)]


class _Dist(BaseModel):
    """Common behaviour: a readable repr.

    Subclasses give ``mean``, ``variance``, ``cv`` (as fields where the scenario
    specifies them, as properties otherwise) and ``sample``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __repr__(self) -> str:
        parts = []
        for name in type(self).model_fields:
            if name == "dist":
                continue
            value = getattr(self, name)
            if name in ("cv", "k"):
                parts.append(f"{name}={value:g}")
            elif name == "values":
                parts.append(f"values=<{len(value)} values>")
            elif name == "file":
                continue
            else:
                parts.append(f"{name}={format_duration(value)}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__


class _DerivedCv:
    """``cv`` derived from ``mean`` and ``variance`` (for distributions without a cv field)."""

    @property
    def cv(self) -> float:
        """Coefficient of variation (standard deviation / mean); 0 if the mean is 0."""
        return math.sqrt(self.variance) / self.mean if self.mean > 0 else 0.0


class Exponential(_DerivedCv, _Dist):
    """Exponential with the given mean (memoryless: Erlang C/A's assumption)."""

    dist: Literal["exponential"] = "exponential"
    mean: Positive

    @property
    def variance(self) -> float:  # noqa: D102
        return self.mean**2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.exponential(self.mean, size=n)


class Lognormal(_Dist):
    """Lognormal by mean and cv: the usual fit for handle times."""

    dist: Literal["lognormal"] = "lognormal"
    mean: Positive
    cv: PositiveCv

    @property
    def variance(self) -> float:  # noqa: D102
        return (self.mean * self.cv) ** 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2), size=n)


class Gamma(_Dist):
    """Gamma by mean and cv (shape 1/cv², scale mean·cv²)."""

    dist: Literal["gamma"] = "gamma"
    mean: Positive
    cv: PositiveCv

    @property
    def variance(self) -> float:  # noqa: D102
        return (self.mean * self.cv) ** 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.gamma(1.0 / self.cv**2, self.mean * self.cv**2, size=n)


class Erlang(_DerivedCv, _Dist):
    """Erlang: the sum of ``k`` exponential phases with total mean ``mean`` (cv 1/sqrt(k))."""

    dist: Literal["erlang"] = "erlang"
    mean: Positive
    k: Annotated[int, Field(ge=1)]

    @property
    def variance(self) -> float:  # noqa: D102
        return self.mean**2 / self.k

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.gamma(float(self.k), self.mean / self.k, size=n)


class Uniform(_DerivedCv, _Dist):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"] = "uniform"
    low: NonNegative
    high: Positive

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"low must be < high, got low={self.low:g}, high={self.high:g}")
        return self

    @property
    def mean(self) -> float:  # noqa: D102
        return (self.low + self.high) / 2.0

    @property
    def variance(self) -> float:  # noqa: D102
        return (self.high - self.low) ** 2 / 12.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.uniform(self.low, self.high, size=n)


class Triangular(_DerivedCv, _Dist):
    """Triangular from ``low`` to ``high`` with its peak at ``mode``."""

    dist: Literal["triangular"] = "triangular"
    low: NonNegative
    mode: NonNegative
    high: Positive

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                "needs low <= mode <= high and low < high, got "
                f"low={self.low:g}, mode={self.mode:g}, high={self.high:g}"
            )
        return self

    @property
    def mean(self) -> float:  # noqa: D102
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self) -> float:  # noqa: D102
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.triangular(self.low, self.mode, self.high, size=n)


class Deterministic(_DerivedCv, _Dist):
    """Always exactly ``value``."""

    dist: Literal["deterministic"] = "deterministic"
    value: NonNegative

    @property
    def mean(self) -> float:  # noqa: D102
        return self.value

    @property
    def variance(self) -> float:  # noqa: D102
        return 0.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return np.full(n, self.value, dtype=np.float64)


class Empirical(_DerivedCv, _Dist):
    """Resampling of observed values, given inline or as a file of one number per line.

    A relative ``file`` is read relative to the scenario file's folder (the ``base_dir``
    in the validation context); its values are loaded at validation time.
    """

    dist: Literal["empirical"] = "empirical"
    values: tuple[NonNegative, ...] | None = None
    file: str | None = Field(default=None, exclude=True)  # values are loaded at validation

    @field_validator("values")
    @classmethod
    def _non_empty(cls, values: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if values is not None and not values:
            raise ValueError("needs at least one value")
        return values

    @model_validator(mode="after")
    def _one_source(self, info: ValidationInfo) -> Empirical:
        if (self.values is None) == (self.file is None):
            raise ValueError("give exactly one of 'values' and 'file'")
        if self.file is not None:
            base = Path((info.context or {}).get("base_dir", "."))
            object.__setattr__(self, "values", _read_numbers(base / self.file, self.file))
        return self

    @property
    def mean(self) -> float:  # noqa: D102
        return float(np.mean(self.values))

    @property
    def variance(self) -> float:  # noqa: D102
        return float(np.var(self.values))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.choice(np.asarray(self.values, dtype=np.float64), size=n, replace=True)


def _read_numbers(path: Path, shown: str) -> tuple[float, ...]:
    """Numbers from a text/CSV file, one per line (first column); a text header is skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read {shown!r}: {exc.strerror}") from None
    values = []
    for number, line in enumerate(lines, start=1):
        text = line.split(",")[0].strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            if number == 1:
                continue  # header
            raise ValueError(f"{shown!r} line {number}: not a number: {text!r}") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{shown!r} line {number}: must be a finite number >= 0, got {text}")
        values.append(value)
    if not values:
        raise ValueError(f"{shown!r} holds no numbers")
    return tuple(values)


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Erlang | Uniform | Triangular | Deterministic | Empirical,
    Field(discriminator="dist"),
]
"""Any distribution, chosen by its ``dist`` field (for use as a pydantic field type)."""

_ADAPTER: TypeAdapter = TypeAdapter(Distribution)


def parse_distribution(data: object, base_dir: Path | None = None) -> _Dist:
    """Build a distribution from its scenario form, e.g. ``{"dist": "gamma", "mean": "4m"}``.

    Raises:
        pydantic.ValidationError: If the spec is invalid.
    """
    return _ADAPTER.validate_python(data, context={"base_dir": base_dir or Path.cwd()})
