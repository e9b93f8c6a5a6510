"""Days of the week: which weekday each day of a run stands for, and its volume factor.

``day_factors`` scale a contact type's arrivals day by day. Given as a list, they are
cycled over the run's days from day 0, whatever weekday that is. Given by name,
``{monday: 1.9, tuesday: 1.0, ...}``, each factor belongs to its day of the week, like a
forecast a planner writes for a week: the run's days are then the days of the week that
any contact type names, in calendar order from Monday (a center open Monday to Friday
runs Monday, Tuesday, ... Friday, Monday, ...), and a type is closed (no arrivals) on a
day it does not name. A backtest can then give each date of a log its own weekday (a
scenario's ``weekdays``), whichever weekday the log starts on and whatever days it
misses. One scenario names the days in every type's factors or in none.

Every part of a run reads the weekday of a run day from :func:`weekday_of`: the day
factors, a shift's ``days`` (numbers or names; with named factors 0 is Monday, else a
number counts from the run's first day, day ``d`` being ``d % 7``), the week plan of
``ccsim schedule --days-per-agent`` (:func:`plan_weekdays`), the dates ccsim's own
``contacts.parquet`` is read back with (:func:`calendar_days`; the file carries its run's
:class:`RunWeek`, :mod:`sim.saved_week`) and the run days named to people in figures and
messages (:func:`day_label`: ``day 6 (Monday)``). A scenario's ``weekdays`` lists the
weekday of each run day outright (a backtest sets it to its log's dates, holidays
skipped); by default they are the named days, cycled.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from sim.units import format_list

if TYPE_CHECKING:  # the scenario's modules import this one
    from collections.abc import Iterable

    from sim.scenario import Scenario
    from sim.scenario_contacts import Arrivals


class Weekday(str, Enum):
    """A day of the week, as ``day_factors`` names it."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


WEEKDAYS = tuple(Weekday)
"""Monday first: ``WEEKDAYS[d]`` is pandas' ``day_of_week == d``."""


def named(arrivals: Arrivals) -> bool:
    """Whether ``arrivals`` gives its day factors by day of the week."""
    return isinstance(arrivals.day_factors, dict)


def run_weekdays(scenario: Scenario) -> tuple[int, ...] | None:
    """The days of the week (0 = Monday) the run's days stand for, in their order.

    Day ``d`` of the run is weekday ``result[d % len(result)]``. None when no contact
    type names its factors' days (the run's days are then no weekday in particular).
    """
    days = {WEEKDAYS.index(Weekday(w)) for ct in scenario.contact_types.values()
            if named(ct.arrivals) for w in ct.arrivals.day_factors}
    return tuple(sorted(days)) or None


@dataclass(frozen=True)
class RunWeek:
    """Which weekday each day of a run stands for: all a date needs, however long the run.

    Attributes:
        cycle: The weekdays (0 = Monday) the run's days stand for, in order
            (:func:`run_weekdays`).
        listed: The weekday of each of the first run days, where the scenario lists them
            (``weekdays``; a backtest's log dates), the cycle continuing before and after.
    """

    cycle: tuple[int, ...]
    listed: tuple[int, ...] = ()

    def __post_init__(self):
        numbers = all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w < 7
                      for w in (*self.cycle, *self.listed))
        if not numbers or not self.cycle or list(self.cycle) != sorted(set(self.cycle)):
            raise ValueError("weekdays must be whole numbers 0 (Monday) to 6 (Sunday), the "
                             "cycle's rising, at least one: got cycle "
                             f"{list(self.cycle)}, listed {list(self.listed)}")

    def weekday(self, day: int) -> int:
        """The day of the week (0 = Monday) run day ``day`` stands for (see :func:`weekday_of`)."""
        cycle, listed = self.cycle, self.listed
        if not listed:
            return cycle[day % len(cycle)]
        if 0 <= day < len(listed):
            return listed[day]
        w, later = (listed[-1], True) if day >= 0 else (listed[0], False)
        for _ in range(day - len(listed) + 1 if later else -day):
            w = (next((c for c in cycle if c > w), cycle[0]) if later
                 else next((c for c in reversed(cycle) if c < w), cycle[-1]))
        return w

    def calendar(self, days: int) -> np.ndarray:
        """Days from a Monday to each of the first ``days`` run days (see :func:`calendar_days`)."""
        offsets, last = [], None
        for d in range(days):
            w = self.weekday(d)
            last = w if last is None else last + (w - last - 1) % 7 + 1
            offsets.append(last)
        return np.array(offsets, dtype=int)


def run_week(scenario: Scenario) -> RunWeek | None:
    """The run's week (None: the scenario names no weekdays, its days are none in particular)."""
    cycle = run_weekdays(scenario)
    if cycle is None:
        return None
    return RunWeek(cycle, tuple(WEEKDAYS.index(Weekday(w)) for w in scenario.weekdays or ()))


def weekday_of(scenario: Scenario, day: int) -> int | None:
    """The day of the week (0 = Monday) day ``day`` of the run stands for (None: none).

    With named day factors: the scenario's ``weekdays`` (one per run day) where given,
    the named days continuing in order before and after them (the evening before day 0,
    a cooldown); else the named days (:func:`run_weekdays`) cycled from day 0. Without
    them, the run's days are no weekday in particular (None).
    """
    week = run_week(scenario)
    return None if week is None else week.weekday(day)


def day_label(scenario: Scenario, day: int, *, capital: bool = False,
              short: bool = False) -> str:
    """Run day ``day`` (0-based) as people are told it: ``day 3 (Wednesday)``, or ``day 3``.

    The weekday is given where the scenario names its days (:func:`weekday_of`).

    Args:
        scenario: The run's scenario.
        day: The day, 0 = the run's first.
        capital: ``Day 3 (Wednesday)``, for a heading.
        short: ``day 3 (Wed)``, where room is short (a figure's many days).
    """
    w = weekday_of(scenario, day)
    label = f"{'Day' if capital else 'day'} {day + 1}"
    if w is None:
        return label
    name = WEEKDAYS[w].value.capitalize()
    return f"{label} ({name[:3] if short else name})"


def calendar_days(scenario: Scenario, days: int) -> np.ndarray:
    """Days from a Monday to each of the first ``days`` days of the run, as dated.

    With named day factors each day is the next date of its weekday (a Mon-Fri run's day
    5 is 7, the next Monday); else day ``d`` is ``d``.
    """
    week = run_week(scenario)
    return np.arange(days) if week is None else week.calendar(days)


def plan_weekdays(scenario: Scenario) -> tuple[int, ...] | None:
    """The days of the week a week plan covers: every weekday of the run's days, in order.

    None without named day factors (a week plan's day ``w`` is then the run's days
    ``d % 7 == w``).
    """
    if run_weekdays(scenario) is None:
        return None
    return tuple(sorted({weekday_of(scenario, d) for d in range(scenario.days)}))


def week_plan_days(scenario: Scenario) -> tuple[np.ndarray, tuple[str, ...]]:
    """The plan day of each run day in a week plan, and each plan day's weekday by name.

    With named day factors plan day ``w`` is the run's days of the ``w``-th weekday the
    run has (:func:`plan_weekdays`; names ``monday``, ...); else the days ``d % 7 == w``
    (no names: the run's days are no weekday).
    """
    days = np.arange(scenario.days)
    weekdays = plan_weekdays(scenario)
    if weekdays is None:
        return days % 7, ()
    keys = [weekdays.index(weekday_of(scenario, int(d))) for d in days]
    return np.array(keys, dtype=int), tuple(WEEKDAYS[w].value for w in weekdays)


def day_factors(scenario: Scenario, arrivals: Arrivals, days: int) -> np.ndarray | None:
    """The factor of each of ``days`` days of the run (None: every day 1).

    A list is cycled from day 0; named factors are each day's weekday's
    (:func:`weekday_of`; 0 on a day of the run this type does not name).
    """
    if arrivals.day_factors is None:
        return None
    if not named(arrivals):
        return np.resize(np.asarray(arrivals.day_factors, dtype=float), days)
    cycle = run_weekdays(scenario) or ()
    return factors_on(arrivals, [weekday_of(scenario, d) for d in range(days)], cycle)


def factors_on(arrivals: Arrivals, weekdays: Iterable[int],
               open_days: Iterable[int]) -> np.ndarray:
    """Named factors of ``arrivals`` on days of these weekdays (0 = Monday).

    Args:
        arrivals: A contact type's arrivals.
        weekdays: The weekday of each day.
        open_days: The weekdays the center opens (:func:`run_weekdays`): a type without
            day factors has 1 on them, and every type 0 on the others.
    """
    opened = set(open_days)
    by_day = ({WEEKDAYS.index(Weekday(w)): float(f) for w, f in arrivals.day_factors.items()}
              if named(arrivals) else None)
    return np.array([(by_day.get(d, 0.0) if by_day is not None else 1.0) if d in opened
                     else 0.0 for d in weekdays], dtype=float)


def weekday_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """Contact types whose day factors are a list while another type's name their days."""
    kinds = {name: named(ct.arrivals) for name, ct in scenario.contact_types.items()
             if ct.arrivals.day_factors is not None}
    if len(set(kinds.values())) < 2:
        return []
    example = next(name for name, is_named in kinds.items() if is_named)
    return [(f"contact_types.{name}.arrivals.day_factors",
             f"a list, while contact type {example!r} names the days of the week: name them "
             "here too ({monday: 1.2, ...}), or in no type")
            for name, is_named in kinds.items() if not is_named]


def calendar_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """Shift days the run never has, and ``weekdays`` that are not one per named run day.

    With named factors a shift's day (a name, or a number, 0 = Monday) must be one of
    the days named (or listed in ``weekdays``); without them a shift day must be a
    number (the run's days are no weekday to name).
    """
    cycle = run_weekdays(scenario)
    found: list[tuple[str, str]] = []
    if cycle is None and scenario.weekdays is not None:
        found.append(("weekdays", "lists the weekday of each run day, but no contact type "
                      "names its day_factors' days ({monday: 1.2, ...})"))
    elif scenario.weekdays is not None and len(scenario.weekdays) != scenario.days:
        found.append(("weekdays", f"must list one weekday per day of the run ({scenario.days}),"
                      f" got {len(scenario.weekdays)}"))
        return found
    # the days named (whatever the run's length: a shorter run of the same week is fine)
    have = (tuple(sorted({*cycle, *(WEEKDAYS.index(Weekday(w)) for w in scenario.weekdays or ())}))
            if cycle is not None else None)
    for name, group in scenario.agents.items():
        for s, shift in enumerate(group.shifts or ()):
            for i, day in enumerate(shift.days or ()):
                path = f"agents.{name}.shifts[{s}].days[{i}]"
                if have is None and isinstance(day, Weekday):
                    found.append((path, f"{day.value!r} names a day of the week, but the run's "
                                  "days are none (day_factors are not named): give a number "
                                  "(day d of the run is d % 7)"))
                elif have is not None and weekday_number(day) not in have:
                    shown = (repr(day.value) if isinstance(day, Weekday)
                             else f"{day} ({WEEKDAYS[day].value})")
                    found.append((path, f"{shown} is not a day of this run ("
                                  + format_list([WEEKDAYS[w].value for w in have]) + ")"))
    return found


def weekday_number(day: int | Weekday) -> int:
    """A shift day as a number: a name's weekday (0 = Monday), a number as given."""
    return WEEKDAYS.index(day) if isinstance(day, Weekday) else int(day)
