"""Empirical times: observed handle times (or delays) drawn with replacement.

An :class:`Empirical` distribution takes its values inline (``values: [3m, 4m, 7m]``) or
from a text/CSV file of one duration per line (``file: handle_times.csv``), read and
checked when the scenario is loaded, so a bad file is reported like any bad field.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.distribution_base import NonNegativeDuration, _DerivedCv, _Dist
from sim.units import format_duration, parse_duration


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
