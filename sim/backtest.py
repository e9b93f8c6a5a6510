"""Backtest: does a scenario reproduce the call log it was fitted on?

The scenario is simulated over as many days as the log holds (its day factors cycle
from the log's first day), several replications; for every interval of the day, each
KPI (offered per day, service level, ASA, abandon rate) is computed from the simulated
contacts and from the logged ones by the same function, so that any difference is the
model's, not the bookkeeping's. The 95% band is the 2.5-97.5% range over replications;
the mean absolute error (MAE) of a KPI is the mean over intervals of
|simulated mean - actual|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calllog import CallLog, ccsim_table
from sim.replicate import run
from sim.scenario import Scenario
from sim.units import DAY

BACKTEST_KPIS = ("offered", "service_level", "asa", "abandon_rate")


def interval_kpis(table: pd.DataFrame, open_s: float, interval: float, n: int, days: int,
                  threshold: float) -> pd.DataFrame:
    """KPIs per interval of the day over a log-form table (one row per contact).

    Args:
        table: Canonical log rows (``arrival``, ``wait``, ``outcome``).
        open_s: Opening time, seconds after midnight.
        interval: Interval length, seconds.
        n: Intervals per day.
        days: Days the table covers (offered is per day).
        threshold: Service-level threshold, seconds.

    Returns:
        One row per interval (index: seconds after midnight of its start), one column
        per KPI of :data:`BACKTEST_KPIS`; NaN where nothing was offered.
    """
    t = table[table["outcome"] != "blocked"]
    tod = (t["arrival"] - t["arrival"].dt.normalize()).dt.total_seconds().to_numpy()
    slot = np.clip(((tod - open_s) // interval).astype(int), 0, n - 1)
    answered = (t["outcome"] == "answered").to_numpy()
    frame = pd.DataFrame({
        "slot": slot, "one": 1.0, "answered": answered,
        "in_time": answered & (t["wait"].to_numpy() <= threshold),
        "abandoned": (t["outcome"] == "abandoned").to_numpy(),
        "answered_wait": np.where(answered, t["wait"].to_numpy(), 0.0)})
    sums = frame.groupby("slot").sum().reindex(range(n), fill_value=0)
    offered = sums["one"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({
            "offered": offered / days,
            "service_level": np.where(offered > 0, sums["in_time"] / offered, np.nan),
            "asa": np.where(sums["answered"] > 0, sums["answered_wait"] / sums["answered"],
                            np.nan),
            "abandon_rate": np.where(offered > 0, sums["abandoned"] / offered, np.nan),
        }, index=open_s + interval * np.arange(n))
    return out


@dataclass(frozen=True)
class Backtest:
    """Simulated against actual KPIs per interval of the day.

    Attributes:
        actual: Per interval (index: seconds after midnight), one column per KPI.
        mean, low, high: Simulated mean and 95% band (2.5%, 97.5% over replications).
        mae: KPI -> mean absolute error of the simulated mean over intervals.
        replications: Replications simulated.
    """

    actual: pd.DataFrame
    mean: pd.DataFrame
    low: pd.DataFrame
    high: pd.DataFrame
    mae: dict[str, float]
    replications: int


def backtest(scenario: Scenario, log: CallLog, replications: int = 10,
             seed: int | None = None) -> Backtest:
    """Simulate ``scenario`` over the log's days and compare per interval.

    Args:
        scenario: The scenario (e.g. from ``ccsim fit``); its ``days`` is set to the
            log's number of days, and contacts of its ``cooldown`` are not counted.
        log: The call log.
        replications: Independent replications for the bands.
        seed: Seed (default: the scenario's).
    """
    days = len(log.days)
    scenario = scenario.model_copy(update={"days": days})
    n = scenario.intervals_per_day
    open_s, interval = scenario.open % 86400.0, scenario.interval
    threshold = min(scenario.threshold(t) for t in scenario.contact_types)
    actual = interval_kpis(log.table, open_s, interval, n, days, threshold)
    result = run(scenario, seed=seed, replications=replications)
    # the log has its days only: contacts of the scenario's cooldown (after the last
    # day) would be counted into the intervals of the day and inflate every one
    contacts = result.contacts[result.contacts["arrival"] < days * DAY]
    per_rep = []
    for _, rows in contacts.groupby("replication", sort=True):
        per_rep.append(interval_kpis(ccsim_table(rows), open_s, interval, n, days, threshold))
    stack = {k: np.vstack([r[k].to_numpy() for r in per_rep]) for k in BACKTEST_KPIS}
    index = actual.index
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = pd.DataFrame({k: np.nanmean(v, axis=0) for k, v in stack.items()}, index=index)
            low = pd.DataFrame({k: np.nanpercentile(v, 2.5, axis=0) for k, v in stack.items()},
                               index=index)
            high = pd.DataFrame({k: np.nanpercentile(v, 97.5, axis=0)
                                 for k, v in stack.items()}, index=index)
    mae = {k: float(np.nanmean(np.abs(mean[k] - actual[k]))) for k in BACKTEST_KPIS}
    return Backtest(actual, mean, low, high, mae, replications)
