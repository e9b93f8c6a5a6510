"""Arrivals: when contacts of one type arrive, as a sorted array of times (seconds).

Arrivals are Poisson with a rate that is constant within each interval: the expected
count of an interval is ``rate x interval`` (or the scenario's ``per_interval`` value),
times the day factor (:mod:`sim.weekdays`), times a day-level forecast error drawn from a
gamma distribution with mean 1 and the given cv (so daily volumes are Poisson-gamma,
over-dispersed like real ones). Given its count, an interval's arrival times are
independent and uniform, which is exactly a Poisson process of that rate.
"""

from __future__ import annotations

import numpy as np

from sim.scenario import Scenario
from sim.scenario_contacts import Arrivals
from sim.schedule import in_opening_hours, interval_starts, per_interval
from sim.weekdays import day_factors


def expected_counts(scenario: Scenario, arrivals: Arrivals, name: str | None = None
                    ) -> np.ndarray:
    """Expected contacts in every interval of the run, before forecast error.

    For a trace (of contact type ``name``), the contacts it holds in each interval (those
    outside the opening hours are not replayed).
    """
    n = scenario.days * scenario.intervals_per_day
    if arrivals.trace is not None:
        if name is None:  # a log of several types holds no rows of type ""
            raise ValueError("expected_counts: a trace's contact type must be named")
        times = arrivals.trace_rows(name)[0]
        times = times[in_opening_hours(scenario, times)]  # the others are not replayed
        slot = np.searchsorted(interval_starts(scenario), times, side="right") - 1
        return np.bincount(slot, minlength=n)[:n].astype(float)
    if arrivals.rate is not None:
        counts = np.full(n, arrivals.rate * scenario.interval)
    else:
        counts = per_interval(arrivals.per_interval or [], scenario)
    factors = day_factors(scenario, arrivals, scenario.days)
    if factors is not None:
        counts = counts * np.repeat(factors, scenario.intervals_per_day)
    return counts


def arrival_times(scenario: Scenario, arrivals: Arrivals, rng: np.random.Generator) -> np.ndarray:
    """Draw one replication's arrival times of one contact type, sorted, in seconds.

    Args:
        scenario: The scenario (calendar and interval length).
        arrivals: The contact type's arrival spec.
        rng: The contact type's own arrival stream.
    """
    counts = expected_counts(scenario, arrivals)
    if arrivals.forecast_error > 0.0:
        shape = 1.0 / arrivals.forecast_error**2
        day_noise = rng.gamma(shape, 1.0 / shape, size=scenario.days)
        counts = counts * np.repeat(day_noise, scenario.intervals_per_day)
    drawn = rng.poisson(counts)
    starts = np.repeat(interval_starts(scenario), drawn)
    return np.sort(starts + rng.uniform(0.0, scenario.interval, size=starts.size))
