"""Arrivals from a call log: the opening hours, counts per interval, weekday factors.

Per contact type, the mean contacts per interval of the day, a factor per day of the
week (written under its name, ``monday: 1.2``: see :mod:`sim.weekdays`), and the
day-level ``forecast_error`` (the cv of a gamma multiplier) from the spread of daily
totals beyond what Poisson counts would show: Var(N) = mu + cv^2 mu^2 (:mod:`sim.fit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calllog import CallLog
from sim.units import format_clock_exact


@dataclass(frozen=True)
class ArrivalFit:
    """Arrivals of one contact type.

    Attributes:
        per_interval: Mean contacts per interval of the opening hours, over all days.
        day_factors: Daily volume of each day of the cycle / the mean daily volume.
        forecast_error: Day-level cv beyond Poisson.
        days: Each day's total (index: date).
        weekdays: Names of the days of the week of ``day_factors`` (``Monday``), Monday
            first: the days of the week the log has contacts on.
        spread_days: The days beyond the first of each day of the week, on which the
            forecast error is estimated; 0: not estimated (left at 0, nothing tells it).
        counts: Contacts per open day (rows, by date) and interval of the day (columns,
            0 from opening), as fitted (the fit report draws each day from it).
    """

    per_interval: list[float]
    day_factors: list[float]
    forecast_error: float
    days: pd.Series
    weekdays: list[str]
    spread_days: int = 0
    counts: pd.DataFrame | None = None

    def forecast_text(self) -> str:
        """``forecast error 12.5%``, or why a log cannot tell it (one day per weekday)."""
        if not self.spread_days:  # 0.0% read as days found as steady as Poisson counts
            return "forecast error not estimated (no day of the week seen twice)"
        return f"forecast error {self.forecast_error:.1%}"


def _weekday_cycle(days: pd.DatetimeIndex) -> list[int]:
    """Days of the week the log covers, Monday first (0 = Monday)."""
    return sorted(set(days.day_of_week))


def fit_arrivals(times: pd.Series, all_days: pd.DatetimeIndex, open_s: float,
                 interval: float, n_intervals: int) -> ArrivalFit:
    """Mean counts per interval of the day, day-of-week factors and forecast error.

    Args:
        times: Arrival timestamps of one contact type (those outside the ``n_intervals``
            from ``open_s`` are left out: stray contacts of no interval).
        all_days: The log's days (days on which the center was open: any contact).
        open_s: Opening time, seconds after midnight.
        interval: Interval length, seconds.
        n_intervals: Intervals per day.
    """
    day = times.dt.normalize()
    tod = (times - day).dt.total_seconds().to_numpy()
    # stray contacts outside the hours are in no interval (the fit's note says so): moved
    # into the first or last one, a 06:10 test call was an 08:00 caller
    inside = (tod >= open_s) & (tod < open_s + n_intervals * interval)
    slot = ((tod[inside] - open_s) // interval).astype(int)
    counts = pd.crosstab(day.to_numpy()[inside], slot).reindex(
        index=all_days, columns=range(n_intervals), fill_value=0)
    totals = counts.sum(axis=1).astype(float)
    cycle = _weekday_cycle(all_days)
    by_weekday = totals.groupby(all_days.day_of_week).mean()
    overall = totals.mean()
    factors = [float(by_weekday[d] / overall) if overall > 0 else 1.0 for d in cycle]
    shape = counts.mean(axis=0).to_numpy(dtype=float)
    # per_interval is the profile of an average day; day_factors scale it per weekday
    expected = np.array([by_weekday[d] for d in all_days.day_of_week], dtype=float)
    # a weekday this type is never contacted on (others are) says nothing of its spread
    live = expected > 0
    weekday = all_days.day_of_week[live]
    dof = int(live.sum()) - weekday.nunique()
    cv2 = 0.0
    if dof > 0:
        # a weekday's n totals vary about their own mean on n - 1 degrees of freedom:
        # the Poisson part of E[sum (N - mean)^2] is (n - 1) mu, not n mu (subtracting
        # mu per day biased cv^2 by -1/((n - 1) mu))
        seen = weekday.map(weekday.value_counts()).to_numpy()
        mu = expected[live]
        excess = ((totals.to_numpy()[live] - mu) ** 2 - mu * (seen - 1) / seen) / mu**2
        cv2 = max(0.0, float(excess.sum() / dof))
    names = [pd.Timestamp(2026, 1, 5 + d).day_name() for d in cycle]
    return ArrivalFit([round(float(v), 3) for v in shape], [round(f, 4) for f in factors],
                      round(float(np.sqrt(cv2)), 4), totals, names, max(dof, 0), counts)


def opening_hours(log: CallLog, interval: float) -> tuple[float, float]:
    """Opening and closing (seconds after midnight, on interval edges) of the log's center.

    The span of every arrival's interval of the day, less stray ones at its ends: the
    first and last intervals with contacts on at most half the log's days, as long as
    those left out hold under :data:`STRAY_SHARE` of the contacts. A stray call at 03:00
    on one day (a holiday, a test call) stretched the hours to 03:00 and made that day
    one of near-zero volume; a 24-hour center's quiet night has calls on most nights, and
    a sparse log's rare intervals hold more than a stray share.
    """
    t = log.table["arrival"]
    day = t.dt.normalize()
    slot = ((t - day).dt.total_seconds() // interval).astype(int).to_numpy()
    by_slot = pd.DataFrame({"day": day.to_numpy(), "slot": slot}).groupby("slot")["day"]
    seen, count = by_slot.nunique().to_numpy(), by_slot.size().to_numpy()
    slots, days, budget = by_slot.size().index.to_numpy(), day.nunique(), STRAY_SHARE * len(t)
    low, high, left_out = 0, len(slots) - 1, 0
    while low < high and seen[low] * 2 <= days and left_out + count[low] < budget:
        left_out += count[low]
        low += 1
    while high > low and seen[high] * 2 <= days and left_out + count[high] < budget:
        left_out += count[high]
        high -= 1
    return float(slots[low] * interval), float(min(86400.0, (slots[high] + 1) * interval))


STRAY_SHARE = 0.01  # contacts at the ends of the day left out as stray, at most


def in_hours(table: pd.DataFrame, open_s: float, interval: float, n: int) -> np.ndarray:
    """Whether each contact arrived within the ``n`` intervals of the day from ``open_s``.

    Args:
        table: Canonical log rows (``arrival``).
        open_s: Opening time, seconds after midnight.
        interval: Interval length, seconds.
        n: Intervals per day.
    """
    arrival = table["arrival"]
    tod = (arrival - arrival.dt.normalize()).dt.total_seconds().to_numpy()
    return (tod >= open_s) & (tod < open_s + n * interval)


def open_days(log: CallLog, open_s: float, interval: float, n: int
              ) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The log's open days (a contact in the ``n`` intervals from ``open_s``), and closed days.

    A day whose contacts all arrived outside the opening hours (stray calls on a holiday)
    is closed, as a day without contacts is: a log cannot tell a closed day from a day
    nobody called, and at the volumes a scenario is fitted to the second does not happen.
    """
    arrival = log.table["arrival"]
    inside = arrival[in_hours(log.table, open_s, interval, n)].dt.normalize()
    opened = pd.DatetimeIndex(inside.unique()).sort_values()
    return opened, log.days.difference(opened)


def outside_note(log: CallLog, open_s: float, interval: float, n: int,
                 closed: pd.DatetimeIndex) -> str | None:
    """A note of the contacts left out of the arrivals, outside the hours fitted; or None.

    ``closed``: the days whose only contacts are outside them (:func:`open_days`). Their
    talks and waits are kept in the fits.
    """
    out = int((~in_hours(log.table, open_s, interval, n)).sum())
    if not out:
        return None
    total = len(log.table)
    note = (f"{out:,} of {total:,} contacts ({out / total:.2%}) arrived outside the opening "
            f"hours fitted, {format_clock_exact(open_s)}-"
            f"{format_clock_exact(open_s + n * interval)} (the intervals with contacts on "
            "most days): left out of the arrivals")
    if len(closed):
        note += (f"; {len(closed)} day{'s' if len(closed) > 1 else ''} with no other contact "
                 f"taken as closed ({', '.join(str(d.date()) for d in closed)})")
    return note
