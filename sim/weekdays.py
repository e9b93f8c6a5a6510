"""Days of the week: which weekday each day of a run stands for, and its volume factor.

``day_factors`` scale a contact type's arrivals day by day. Given as a list, they are
cycled over the run's days from day 0, whatever weekday that is. Given by name,
``{monday: 1.9, tuesday: 1.0, ...}``, each factor belongs to its day of the week, like a
forecast a planner writes for a week: the run's days are then the days of the week that
any contact type names, in calendar order from Monday (a center open Monday to Friday
runs Monday, Tuesday, ... Friday, Monday, ...), and a type is closed (no arrivals) on a
day it does not name. A backtest can then give each date of a log its own weekday's
factor (:func:`factors_on`), whichever weekday the log starts on and whatever days it
misses. One scenario names the days in every type's factors or in none.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

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


def day_factors(scenario: Scenario, arrivals: Arrivals, days: int) -> np.ndarray | None:
    """The factor of each of ``days`` days of the run (None: every day 1).

    A list is cycled from day 0; named factors are each day's weekday's (0 on a day of
    the run this type does not name).
    """
    if arrivals.day_factors is None:
        return None
    if not named(arrivals):
        return np.resize(np.asarray(arrivals.day_factors, dtype=float), days)
    cycle = run_weekdays(scenario) or ()
    return factors_on(arrivals, [cycle[d % len(cycle)] for d in range(days)], cycle)


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
