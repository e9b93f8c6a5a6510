"""A sweep's summary: per point, each KPI's mean over its replications and 95% half-width.

The sweep's table has one row per point and replication (:mod:`sim.sweep`); its summary,
``sweep_summary.csv`` and the table ``ccsim sweep`` prints, one row per point. Each point's
numbers are what :func:`numpy.nanmean` and :func:`sim.precision.half_width` give for its
rows alone, bit for bit, but worked out for every point at once on whole columns: 10,000
points take a tenth of a second, where a loop over the points took half a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import COST_KPIS, KPIS
from sim.precision import CONFIDENCE


def summarize(table: pd.DataFrame, paths: Sequence[str]) -> pd.DataFrame:
    """Per point: grid values, replications, and each KPI's mean and 95% half-width.

    One row per point, in point order: ``point``, its grid values (those of its first row),
    ``replications`` (its rows), then for each KPI of the table, in the registry's order,
    the mean over the replications that have it (NaN if none) and ``<kpi>_ci``
    (:func:`sim.precision.half_width`: NaN for fewer than two). Computed on whole columns,
    with the very sums NumPy makes of each point alone.
    """
    if table.empty:
        return pd.DataFrame([])
    order = np.argsort(table["point"].to_numpy(), kind="stable")  # rows keep their order
    points = table["point"].to_numpy()[order]
    starts = np.flatnonzero(np.r_[True, points[1:] != points[:-1]])
    counts = np.diff(np.r_[starts, len(points)])
    first = order[starts]
    columns: dict[str, Any] = {"point": points[starts],
                               **{p: table[p].to_numpy()[first] for p in paths},
                               "replications": counts}
    rows = _layout(starts, counts)
    for kpi in [k for k in KPIS + COST_KPIS if k in table]:
        values = table[kpi].to_numpy(dtype=float)[order]
        columns[kpi], columns[f"{kpi}_ci"] = _mean_and_half_width(values, starts, rows)
    return pd.DataFrame(columns)


_Layout = list[tuple[np.ndarray, np.ndarray]]


def _layout(starts: np.ndarray, counts: np.ndarray) -> _Layout:
    """Segments by length: for each length, which segments, and their rows as one array.

    NumPy adds each row of such an array in the very order it adds the same values alone
    (``values[s:s + c].sum()``), to the last bit; ``np.add.reduceat`` does not (from 3
    values on). So each point's sums are those of a loop over the points, without one.
    """
    return [(np.flatnonzero(counts == c), starts[counts == c][:, None] + np.arange(c))
            for c in np.unique(counts)]


def _sums(values: np.ndarray, rows: _Layout) -> np.ndarray:
    """Each segment's ``values[s:s + c].sum()`` (see :func:`_layout`)."""
    sums = np.zeros(sum(len(these) for these, _ in rows))
    for these, at in rows:
        sums[these] = values[at].sum(axis=1)
    return sums


def _mean_and_half_width(values: np.ndarray, starts: np.ndarray,
                         rows: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """Each point's ``np.nanmean`` (NaN without a finite value) and ``half_width``.

    ``values`` are sorted by point, point ``i`` from ``starts[i]`` (``rows``: the layout).
    The arithmetic is theirs, step for step, on every point at once.
    """
    missing = np.isnan(values)
    have = np.add.reduceat(~missing, starts, dtype=np.intp)  # replications with the KPI
    mean = np.full(len(starts), np.nan)
    np.divide(_sums(np.where(missing, 0.0, values), rows), have, out=mean,
              where=np.logical_or.reduceat(np.isfinite(values), starts))
    half = np.full(len(starts), np.nan)
    two = have >= 2
    if two.any():
        from scipy.special import stdtrit  # as half_width: the command line starts without SciPy

        n = have[two]
        kept = values[~missing][np.repeat(two, have)]  # their values, in the table's order
        kept_rows = _layout(np.cumsum(n) - n, n)
        deviation = kept - np.repeat(_sums(kept, kept_rows) / n, n)
        std = np.sqrt(_sums(deviation * deviation, kept_rows) / (n - 1))
        half[two] = stdtrit(n - 1, 0.5 + CONFIDENCE / 2.0) * std / np.sqrt(n)
    return mean, half
