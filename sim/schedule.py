"""Schedule: the calendar of a run and every agent group's staffing as a step function.

A run covers ``days`` days; each day the center is open from ``open`` to ``close`` and
that time is cut into equal intervals, the unit of staffing and reporting. Staffing
may be given per interval or as shifts with breaks; either way it becomes one canonical
form, a list of :class:`StaffChange` (from this moment, this many agents on the phones),
after shrinkage. At every close the target drops to zero in *drain* mode: agents finish
the contacts already waiting, then go home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.scenario import AgentGroup, Scenario
from sim.units import DAY


@dataclass(frozen=True)
class StaffChange:
    """From ``time`` (seconds) on, ``count`` agents; ``drain``: at close, serve the queue first."""

    time: float
    count: int
    drain: bool = False


def day_windows(scenario: Scenario) -> list[tuple[float, float]]:
    """Opening windows ``(open, close)`` of each day, in seconds from the run start."""
    return [(d * DAY + scenario.open, d * DAY + scenario.close) for d in range(scenario.days)]


def interval_starts(scenario: Scenario) -> np.ndarray:
    """Start time (seconds) of every interval in opening hours, over all days, in order."""
    per_day = scenario.open + scenario.interval * np.arange(scenario.intervals_per_day)
    return (DAY * np.arange(scenario.days)[:, None] + per_day[None, :]).ravel()


def per_interval(values: list[float] | list[int], scenario: Scenario) -> np.ndarray:
    """Expand a one-day (or all-days) per-interval list to every interval of the run."""
    array = np.asarray(values, dtype=float)
    if array.size == scenario.intervals_per_day:
        array = np.tile(array, scenario.days)
    return array


def on_phones(scheduled: float, shrinkage: float) -> int:
    """Agents on the phones out of ``scheduled``, after shrinkage, rounded half up."""
    return math.floor(scheduled * (1.0 - shrinkage) + 0.5)


def staff_changes(scenario: Scenario, group: AgentGroup) -> list[StaffChange]:
    """The group's staffing over the whole run as a time-ordered list of changes."""
    changes: list[StaffChange] = []
    starts = interval_starts(scenario)
    ipd = scenario.intervals_per_day
    if isinstance(group.staff, list):
        counts = per_interval(group.staff, scenario)
    for day, (opening, closing) in enumerate(day_windows(scenario)):
        if isinstance(group.staff, int):
            points = [(opening, float(group.staff))]
        elif isinstance(group.staff, list):
            points = list(zip(starts[day * ipd:(day + 1) * ipd], counts[day * ipd:(day + 1) * ipd]))
        else:
            points = _shift_points(group, opening, closing)
        for time, scheduled in points:
            count = on_phones(scheduled, group.shrinkage)
            if not changes or changes[-1].count != count or changes[-1].drain:
                changes.append(StaffChange(float(time), count))
        changes.append(StaffChange(closing, 0, drain=True))
    return changes


def _shift_points(group: AgentGroup, opening: float, closing: float) -> list[tuple[float, float]]:
    """Scheduled agents at opening and at every shift or break edge inside the window."""
    deltas: dict[float, float] = {}
    day_start = math.floor(opening / DAY) * DAY
    for shift in group.shifts or ():
        # a shift that started the day before may still run after midnight
        for start in (day_start - DAY + shift.start, day_start + shift.start):
            pieces = [(start, start + shift.length, shift.count)]
            pieces += [(start + b.at, start + b.at + b.length, -shift.count) for b in shift.breaks]
            for begin, end, count in pieces:
                deltas[begin] = deltas.get(begin, 0.0) + count
                deltas[end] = deltas.get(end, 0.0) - count
    times = sorted(deltas)
    level = sum(deltas[t] for t in times if t <= opening)
    points = [(opening, level)]
    for t in times:
        if opening < t < closing:
            level += deltas[t]
            points.append((t, level))
    return points
