"""A small independent M/M/c+M call-log generator for the fitting tests (numpy only).

It shares no code with the engine: callers arrive as a Poisson process whose rate is
constant within each interval, queue first come first served for ``agents`` agents, hang
up when their exponential patience runs out, and talk for an exponential (or lognormal)
handle time. With a heap of agents' free times, each caller in arrival order takes the
earliest free agent if still waiting then: that is exact for FCFS with abandonment.
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd


def generate_log(rng: np.random.Generator, *, per_interval: list[float], interval: float,
                 open_s: float, days: int, agents: int, handle_mean: float,
                 patience_mean: float, day_factors: list[float] | None = None,
                 handle_cv: float | None = None, start: str = "2026-03-02") -> pd.DataFrame:
    """One row per call: arrival (ISO text), contact_type, wait, outcome, handle.

    Args:
        rng: The generator's random stream.
        per_interval: Expected calls in each interval from ``open_s``.
        interval: Interval length, seconds.
        open_s: Opening time, seconds after midnight.
        days: Days to generate.
        agents: Agents on duty all day.
        handle_mean: Mean handle time, seconds.
        patience_mean: Mean (exponential) patience, seconds.
        day_factors: Volume factor of each day (cycled).
        handle_cv: Lognormal handle times of this cv (default exponential).
        start: Date of the first day.
    """
    rows = []
    first = pd.Timestamp(start)
    for day in range(days):
        factor = day_factors[day % len(day_factors)] if day_factors else 1.0
        counts = rng.poisson(np.asarray(per_interval) * factor)
        starts = open_s + interval * np.repeat(np.arange(len(per_interval)), counts)
        times = np.sort(starts + rng.uniform(0, interval, starts.size))
        if handle_cv is None:
            handle = rng.exponential(handle_mean, times.size)
        else:
            s2 = np.log1p(handle_cv**2)
            handle = rng.lognormal(np.log(handle_mean) - s2 / 2, np.sqrt(s2), times.size)
        patience = rng.exponential(patience_mean, times.size)
        free = [0.0] * agents
        for t, h, p in zip(times, handle, patience, strict=True):
            soonest = free[0]
            wait = max(0.0, soonest - t)
            if wait > p:
                rows.append((day, t, p, "abandoned", np.nan))
                continue
            heapq.heapreplace(free, t + wait + h)
            rows.append((day, t, wait, "answered", h))
    frame = pd.DataFrame(rows, columns=["day", "t", "wait", "outcome", "handle"])
    arrival = first + pd.to_timedelta(frame["day"], unit="D") + pd.to_timedelta(frame["t"],
                                                                                unit="s")
    return pd.DataFrame({"arrival": arrival.dt.strftime("%Y-%m-%dT%H:%M:%S.%f"),
                         "contact_type": "calls", "wait": frame["wait"].round(3),
                         "outcome": frame["outcome"], "handle": frame["handle"].round(3)})
