"""Backtest: does a scenario reproduce the call log it was fitted on?

The scenario is simulated over the log's open days, each simulated day standing for one
date (a replayed trace over all the calendar days it spans), several replications: day
factors named by day of the week are each date's own weekday's (:func:`on_dates`), so a
log that starts on another weekday than the one fitted, or misses a holiday, is compared
day for day; a plain list of factors is cycled from the first open day, as in any run.
For every interval of the day, each KPI (offered per day, service level, ASA, abandon
rate) is computed from the simulated contacts and from the logged ones by
the same function, with the scenario's service-level definition and each contact type's
threshold as the run's KPIs take them, so that any difference is the model's, not the
bookkeeping's. The simulated mean of a ratio is the pooled ratio over replications (e.g.
answered in time / offered, both summed), as intervals.csv computes it; the 95% band is
where one more replication's value falls 95% of the time (:func:`prediction_band`), so
that a log of the very scenario lies within it 95% of the time; the mean absolute error
(MAE) of a KPI is the mean over intervals of |simulated mean - actual|. Offered contacts are also
compared per date (:attr:`Backtest.daily`).

Contacts arriving outside the scenario's opening hours are in no interval and are
compared on neither side: a scenario's own arrivals fall within its hours, so the log's
outside them would be charged to the model. How many were left out on each side is
reported (a replayed trace's contacts outside the hours are not replayed at all, as
none is drawn then: :func:`sim.schedule.in_opening_hours`). A day of the log without a
contact in the opening hours is a closed day (a holiday with a few stray calls, like one
without calls): it is neither simulated nor compared, and does not count among the days
that offered contacts per day are averaged over (:func:`open_days`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from sim.calllog import EPOCH, CallLog, CallLogError
from sim.calllog_ccsim import ccsim_table
from sim.fit_arrivals import in_hours, open_days
from sim.metrics import contact_thresholds
from sim.replicate import run
from sim.scenario import Scenario
from sim.scenario_contacts import ServiceLevelDefinition
from sim.scenario_errors import ScenarioError
from sim.schedule import days_listed
from sim.units import DAY, opening_hours
from sim.weekdays import WEEKDAYS, run_weekdays

BACKTEST_KPIS = ("offered", "service_level", "asa", "abandon_rate")


def interval_sums(table: pd.DataFrame, open_s: float, interval: float, n: int,
                  threshold: float | np.ndarray,
                  definition: ServiceLevelDefinition = ServiceLevelDefinition.OFFERED
                  ) -> pd.DataFrame:
    """Counts and sums per interval of the day that the KPIs are ratios of.

    Args: as :func:`interval_kpis`.

    Returns:
        One row per interval (index: seconds after midnight of its start): ``offered``,
        ``answered``, ``abandoned``, ``in_time`` (answered within the threshold),
        ``sl_denominator`` (by ``definition``) and ``answered_wait`` (seconds). Sums of
        several tables (replications) pool them, as :func:`sim.intervals.pool_intervals`.
    """
    kept = (table["outcome"] != "blocked").to_numpy() & in_hours(table, open_s, interval, n)
    t = table[kept]
    threshold = np.broadcast_to(np.asarray(threshold, dtype=float), kept.shape)[kept]
    tod = (t["arrival"] - t["arrival"].dt.normalize()).dt.total_seconds().to_numpy()
    slot = ((tod - open_s) // interval).astype(int)
    answered = (t["outcome"] == "answered").to_numpy()
    abandoned = (t["outcome"] == "abandoned").to_numpy()
    wait = t["wait"].to_numpy()
    frame = pd.DataFrame({
        "slot": slot, "offered": 1.0, "answered": answered.astype(float),
        "abandoned": abandoned.astype(float),
        "in_time": (answered & (wait <= threshold)).astype(float),
        "short": (abandoned & (wait <= threshold)).astype(float),
        "answered_wait": np.where(answered, wait, 0.0)})
    sums = frame.groupby("slot").sum().reindex(range(n), fill_value=0.0)
    sums["sl_denominator"] = {
        ServiceLevelDefinition.OFFERED: sums["offered"],
        ServiceLevelDefinition.ANSWERED: sums["answered"],
        ServiceLevelDefinition.SHORT_ABANDONS_EXCLUDED: sums["offered"] - sums["short"],
    }[definition]
    sums.index = open_s + interval * np.arange(n)
    return sums[list(_SUMS)]


_SUMS = ("offered", "answered", "abandoned", "in_time", "sl_denominator", "answered_wait")


def interval_rates(sums: pd.DataFrame, days: float) -> pd.DataFrame:
    """:data:`BACKTEST_KPIS` from :func:`interval_sums` (or their sum over replications).

    Args:
        sums: Counts and sums per interval.
        days: Days they cover (days x replications for pooled sums): offered is per day.
    """
    def ratio(num: str, den: str) -> np.ndarray:
        d = sums[den].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, sums[num].to_numpy(dtype=float) / d, np.nan)

    return pd.DataFrame({
        "offered": sums["offered"].to_numpy(dtype=float) / days,
        "service_level": ratio("in_time", "sl_denominator"),
        "asa": ratio("answered_wait", "answered"),
        "abandon_rate": ratio("abandoned", "offered"),
    }, index=sums.index)


def interval_kpis(table: pd.DataFrame, open_s: float, interval: float, n: int, days: int,
                  threshold: float | np.ndarray,
                  definition: ServiceLevelDefinition = ServiceLevelDefinition.OFFERED
                  ) -> pd.DataFrame:
    """KPIs per interval of the day over a log-form table (one row per contact).

    Args:
        table: Canonical log rows (``arrival``, ``wait``, ``outcome``).
        open_s: Opening time, seconds after midnight.
        interval: Interval length, seconds.
        n: Intervals per day.
        days: Days the table covers (offered is per day).
        threshold: Service-level threshold, seconds (a wait equal to it is in time): one
            for all, or one per row of ``table`` (see :func:`log_thresholds`).
        definition: The service level's denominator, as the run's KPI
            (:func:`sim.metrics.service_level`) takes it.

    Returns:
        One row per interval (index: seconds after midnight of its start), one column
        per KPI of :data:`BACKTEST_KPIS`; NaN where nothing was offered. Contacts
        arriving outside the intervals (:func:`in_hours`) are not counted.
    """
    return interval_rates(interval_sums(table, open_s, interval, n, threshold, definition),
                          days)


def log_thresholds(table: pd.DataFrame, scenario: Scenario,
                   names: dict[str, str] | None = None) -> np.ndarray:
    """Each logged contact's service-level threshold (seconds), as the run's KPIs take it.

    A contact type's own threshold where it has one, else the scenario's
    (:func:`sim.metrics.contact_thresholds`); a scenario of one contact type takes every
    row as its own, as a trace does.

    Args:
        table: Canonical log rows (``contact_type``).
        scenario: The scenario.
        names: {type in the table: its scenario name}, from :meth:`CallLog.type_names`
            (the log's types read as ``ccsim fit`` names them, collisions refused); None
            for a table whose types are the scenario's own (simulated contacts).
    """
    types = list(scenario.contact_types)
    if len(types) == 1:
        return np.full(len(table), scenario.threshold(types[0]))
    given = table["contact_type"].astype(str)
    return contact_thresholds(given.map(names) if names is not None else given, scenario)


@dataclass(frozen=True)
class Backtest:
    """Simulated against actual KPIs per interval of the day.

    Attributes:
        actual: Per interval (index: seconds after midnight), one column per KPI.
        mean: Simulated, over all replications: offered per day, and each ratio pooled
            (its numerator and denominator summed over replications, as intervals.csv).
        low, high: The 95% prediction band of one more replication's value, from the
            replications' own values (:func:`prediction_band`).
        mae: KPI -> mean absolute error of the simulated mean over intervals.
        replications: Replications simulated.
        outside_actual: Logged contacts outside the opening hours, compared nowhere.
        outside_simulated: Simulated contacts outside them, mean per replication (a
            replayed trace's are not replayed; repeat contacts or retrials may be).
        days: The log's open days compared (:func:`open_days`).
        closed_days: The log's days without a contact in the opening hours, not compared.
        daily: Offered in the opening hours per open day of the log (index: date):
            ``actual``, the simulated ``mean`` over replications and its 95% prediction
            band ``low``-``high``. Each simulated day is the date it stands for.
    """

    actual: pd.DataFrame
    mean: pd.DataFrame
    low: pd.DataFrame
    high: pd.DataFrame
    mae: dict[str, float]
    replications: int
    outside_actual: int = 0
    outside_simulated: float = 0.0
    days: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))
    closed_days: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))
    daily: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def daily_mae(self) -> float:
        """Mean absolute error of the simulated mean offered per open day (NaN: no days)."""
        if self.daily.empty:
            return float("nan")
        return float(np.mean(np.abs(self.daily["mean"] - self.daily["actual"])))


def _calendar(scenario: Scenario, log: CallLog, opened: pd.DatetimeIndex
              ) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The date of each simulated day, and whether it is compared (an open day of the log).

    The scenario is simulated over the log's open days, one after the other (their
    weekdays given to named day factors by :func:`on_dates`). A replayed
    trace keeps its calendar instead (day 0 the log's first day, a weekend without calls
    stays in it), and all of it must be replayed for its contacts to be offered.
    """
    spans = [int(times.max() // DAY) + 1
             for name, ct in scenario.contact_types.items() if ct.arrivals.trace is not None
             for times in [ct.arrivals.trace_rows(name)[0]] if times.size]
    if not spans:
        return opened, np.ones(len(opened), dtype=bool)
    first = log.days[0]
    days = max([(log.days[-1] - first).days + 1, *spans])
    dates = pd.date_range(first, periods=days, freq="D")
    return dates, dates.isin(opened)


def _types_modelled(log: CallLog, names: dict[str, str], scenario: Scenario) -> None:
    """Refuse log contacts of a type the scenario does not have (none simulated against them).

    A scenario of one contact type takes a log of one type as its own, whatever its name
    (as a trace does). Otherwise each of the log's types (named as ``ccsim fit`` names
    them) must be one of the scenario's: counted on the log's side alone, another type's
    contacts would raise the actual offered and mix into its rates.
    """
    types = list(scenario.contact_types)
    if len(types) == 1 and len(names) == 1:
        return
    counts = log.table["contact_type"].astype(str).value_counts()
    alien = sorted((raw, int(counts[raw])) for raw, name in names.items() if name not in types)
    if alien:
        listed = ", ".join(f"{raw!r} ({n:,} contacts)" for raw, n in alien)
        are = "is no contact type" if len(alien) == 1 else "are no contact types"
        raise CallLogError(f"{log.path}: contact_type: {listed} {are} of the scenario "
                           f"({', '.join(types)}): counted in the log with none simulated; "
                           "drop those rows from the log, or add the types to the scenario")


def on_dates(scenario: Scenario, dates: pd.DatetimeIndex) -> Scenario:
    """The scenario run over ``dates``, day ``d`` of the run standing for ``dates[d]``.

    With day factors named by day of the week (:mod:`sim.weekdays`) each run day is its
    date's weekday (the scenario's ``weekdays``): its day factors, 0 on a weekday the
    scenario does not open, and its shifts' ``days``. A list of factors is cycled from
    the first date, as in any run.
    """
    if problems := days_listed(scenario, len(dates), "open days of the log"):
        raise ScenarioError(scenario.name, problems)  # (values of no day: the engine failed)
    if run_weekdays(scenario) is None:
        return scenario.model_copy(update={"days": len(dates)})
    return scenario.model_copy(update={
        "days": len(dates), "weekdays": tuple(WEEKDAYS[d] for d in dates.day_of_week)})


def backtest(scenario: Scenario, log: CallLog, replications: int = 10,
             seed: int | None = None) -> Backtest:
    """Simulate ``scenario`` over the log's open days and compare per interval.

    Args:
        scenario: The scenario (e.g. from ``ccsim fit``); its ``days`` is set to the
            log's number of open days (:func:`open_days`; a replayed trace over the
            calendar days it spans, its closed days included but not compared), and
            contacts of its ``cooldown`` are not counted, nor on either side those
            arriving outside its opening hours.
        log: The call log.
        replications: Independent replications for the bands.
        seed: Seed (default: the scenario's).

    Raises:
        CallLogError: Two of the log's contact types would share a scenario name
            (:meth:`CallLog.type_names`), a log type is none of the scenario's (a
            scenario of one type takes a log of one type as its own), or no contact
            arrived in the opening hours.
    """
    names = log.type_names()  # before simulating: two types sharing a name are refused
    _types_modelled(log, names, scenario)
    n = scenario.intervals_per_day
    open_s, interval = scenario.open % DAY, scenario.interval
    opened, closed = open_days(log, open_s, interval, n)
    if not len(opened):
        raise CallLogError(f"{log.path}: arrival: no contact arrives within the scenario's "
                           f"opening hours ({opening_hours(scenario.open, scenario.close)})"
                           ": nothing to compare")
    days = len(opened)  # offered is per open day of the log, on both sides
    dates, compared = _calendar(scenario, log, opened)
    scenario = on_dates(scenario, dates)
    definition = scenario.service_level.definition
    actual = interval_kpis(log.table, open_s, interval, n, days,
                           log_thresholds(log.table, scenario, names), definition)
    result = run(scenario, seed=seed, replications=replications)
    # the log has its open days only: contacts of the scenario's cooldown (after the last
    # day) or of a closed day would be counted into the intervals of the day
    day = (result.contacts["arrival"].to_numpy() // DAY).astype(int)
    contacts = result.contacts[compared[np.minimum(day, len(dates) - 1)] & (day < len(dates))]
    per_rep, outside, per_day = [], [], []
    by_replication = dict(tuple(contacts.groupby("replication", sort=True)))
    for r in range(replications):  # a replication without contacts is one of zeros
        table = ccsim_table(by_replication.get(r, contacts.iloc[:0]))
        outside.append(int((~in_hours(table, open_s, interval, n)).sum()))
        per_rep.append(interval_sums(table, open_s, interval, n,
                                     log_thresholds(table, scenario), definition))
        simulated = daily_offered(table, open_s, interval, n)  # dated from ccsim's day 0
        simulated.index = dates[(simulated.index - EPOCH).days]
        per_day.append(simulated.reindex(opened, fill_value=0).to_numpy(dtype=float))
    # the mean is the pooled ratio (sums over replications), as intervals.csv's; the
    # band is the spread of the replications' own ratios
    mean = interval_rates(sum(per_rep[1:], per_rep[0]), days * len(per_rep))
    stack = {k: np.vstack([r[k].to_numpy() for r in (interval_rates(p, days) for p in per_rep)])
             for k in BACKTEST_KPIS}
    bands = {k: prediction_band(v, _RANGE[k]) for k, v in stack.items()}
    low = pd.DataFrame({k: b[0] for k, b in bands.items()}, index=actual.index)
    high = pd.DataFrame({k: b[1] for k, b in bands.items()}, index=actual.index)
    mae = {k: float(np.nanmean(np.abs(mean[k] - actual[k]))) for k in BACKTEST_KPIS}
    counts = np.vstack(per_day)
    day_low, day_high = prediction_band(counts, _RANGE["offered"])
    daily = pd.DataFrame({
        "actual": daily_offered(log.table, open_s, interval, n).reindex(opened, fill_value=0)
        .to_numpy(dtype=float),
        "mean": counts.mean(axis=0), "low": day_low, "high": day_high}, index=opened)
    return Backtest(actual, mean, low, high, mae, replications,
                    int((~in_hours(log.table, open_s, interval, n)).sum()),
                    float(np.mean(outside)) if outside else 0.0, opened, closed, daily)


_RANGE = {"offered": (0.0, np.inf), "service_level": (0.0, 1.0), "asa": (0.0, np.inf),
          "abandon_rate": (0.0, 1.0)}


def prediction_band(values: np.ndarray, bounds: tuple[float, float] = (-np.inf, np.inf)
                    ) -> tuple[np.ndarray, np.ndarray]:
    """95% prediction band of one more replication's value, per column of ``values``.

    The log is one more draw of what the replications draw (if the scenario is right):
    with n values of mean m and standard deviation s, the next lies within
    m +- t(0.975, n - 1) s sqrt(1 + 1/n) with probability 95% for normal values (the
    prediction interval; Hahn & Meeker, Statistical Intervals, 1991, s. 4.7). The
    2.5-97.5% points of the n values themselves cover it far less often at the
    replications a backtest runs: about (n - 1.45) / (n + 1), 78% for 10.

    Args:
        values: One row per replication, one column per interval (or day); NaN where a
            replication has no value (nothing offered), left out.
        bounds: The KPI's range (a rate within 0-1), the band clipped to it.

    Returns:
        Low and high edges; NaN where fewer than 2 replications have a value.
    """
    values = np.asarray(values, dtype=float)
    n = np.sum(~np.isnan(values), axis=0)
    with warnings.catch_warnings():  # a column with fewer than 2 values: NaN, as documented
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        half = (stats.t.ppf(0.975, np.maximum(n - 1, 1)) * np.nanstd(values, axis=0, ddof=1)
                * np.sqrt(1.0 + 1.0 / np.maximum(n, 1)))
    half = np.where(n >= 2, half, np.nan)
    return np.clip(mean - half, *bounds), np.clip(mean + half, *bounds)


def daily_offered(table: pd.DataFrame, open_s: float, interval: float, n: int) -> pd.Series:
    """Contacts offered in the opening hours per date (index: the dates with any).

    Args: as :func:`interval_sums`; counted alike (blocked and out-of-hours contacts not).
    """
    kept = (table["outcome"] != "blocked").to_numpy() & in_hours(table, open_s, interval, n)
    return table.loc[kept, "arrival"].dt.normalize().value_counts().sort_index()
