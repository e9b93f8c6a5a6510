"""Where a schedule's requirement comes from: the scenario's own staffing, or a table.

A requirement is agents on the phones per agent group (rows, scenario order) and
interval of the run; :func:`sim.shift_loop.schedule` turns it into shifts. Besides a
search (:func:`sim.find_staffing`) or Erlang C, it can be read off the scenario's
staffing (:func:`requirement_from_staffing`) or off the table ``ccsim staff --out``
writes (:func:`requirement_from_table`), which is checked row by row.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.limits import AGENTS
from sim.scenario import Scenario
from sim.schedule import interval_starts, staff_changes
from sim.units import format_duration


def requirement_from_staffing(scenario: Scenario) -> np.ndarray:
    """Agents on the phones per group (rows) and interval of the run, as the scenario staffs it.

    The fewest on the phones at any moment of the interval (after shrinkage), whether the
    group is staffed per interval or by shifts with breaks.
    """
    starts = interval_starts(scenario)
    need = np.zeros((len(scenario.agents), starts.size), dtype=int)
    for g, group in enumerate(scenario.agents.values()):
        changes = [c for c in staff_changes(scenario, group) if not c.drain]
        times = np.array([c.time for c in changes])
        counts = np.array([c.count for c in changes])
        for i, begin in enumerate(starts):
            inside = (times > begin) & (times < begin + scenario.interval)
            before = np.flatnonzero(times <= begin)
            level = counts[before[-1]] if before.size else 0
            need[g, i] = min([level, *counts[inside]])
    return need


def requirement_from_table(path: str | Path, scenario: Scenario) -> np.ndarray:
    """Agents on the phones per group (rows) and interval of the run, from ``ccsim staff``'s CSV.

    The table has one row per interval and group with ``start`` (seconds from the run's
    start), ``group`` and ``simulated`` (agents on the phones). Intervals it leaves out
    need nobody; a table without rows, without a row on a day of the run or for a group,
    with an interval of a group twice, or with more agents than the limit on a group
    (:data:`sim.limits.AGENTS`) is refused.

    Raises:
        ValueError: One line naming the file, the row or column and the reason.
    """
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the table: {exc}") from None
    missing = [c for c in ("start", "group", "simulated") if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column {missing[0]!r} (the table `ccsim staff "
                         "--out` writes has start, group, simulated)")
    if table.empty:  # a requirement of nobody would be scheduled as an empty plan
        raise ValueError(f"{path}: the table has no rows")
    starts = {float(s): i for i, s in enumerate(interval_starts(scenario))}
    groups = list(scenario.agents)
    need = np.zeros((len(groups), len(starts)), dtype=int)
    seen: dict[tuple[str, float], int] = {}
    for row, (start, group, count) in enumerate(zip(table["start"], table["group"],
                                                    table["simulated"]), start=2):
        if group not in groups:
            raise ValueError(f"{path}: line {row}: group: {group!r} is not an agent group of "
                             f"{scenario.name!r} ({', '.join(groups)})")
        try:
            key, value = float(start), float(count)
        except (TypeError, ValueError):
            raise ValueError(f"{path}: line {row}: start and simulated must be numbers") from None
        if key not in starts:
            raise ValueError(f"{path}: line {row}: start: {start} is not the start of an "
                             "interval of the scenario's opening hours")
        if (isinstance(count, (bool, np.bool_))  # True is no count of agents, nor 1
                or not (math.isfinite(value) and value >= 0 and value == int(value))):
            raise ValueError(f"{path}: line {row}: simulated: must be a whole number >= 0, "
                             f"got {count}")
        too_many = AGENTS.problem(value)  # here, not in the scenario planned from it
        if too_many is not None:
            raise ValueError(f"{path}: line {row}: simulated: {too_many}")
        if (group, key) in seen:  # two plans pasted together: which one was meant?
            raise ValueError(f"{path}: line {row}: start: {start} of {group!r} is already on "
                             f"line {seen[group, key]}")
        seen[group, key] = row
        need[groups.index(group), starts[key]] = int(value)
    _whole(path, scenario, seen, starts)
    return need


def _whole(path: str | Path, scenario: Scenario, seen: dict[tuple[str, float], int],
           starts: dict[float, int]) -> None:
    """Refuse a table with no row on a day of the run or for a group: another run's, or cut.

    A one-day table on a three-day run scheduled nobody on days 2 and 3, without a word.
    """
    per_day = scenario.intervals_per_day
    listed = {starts[key] // per_day for _, key in seen}
    for day in range(len(starts) // per_day):
        if day not in listed:
            raise ValueError(f"{path}: no row on day {day + 1} of the run ({scenario.days} "
                             "days): a table of another run? (list an interval nobody is "
                             "needed in with simulated 0)")
    for group in scenario.agents:
        if not any(g == group for g, _ in seen):
            raise ValueError(f"{path}: no row for group {group!r}: a table of another "
                             "scenario? (list its intervals with simulated 0 if it needs "
                             "nobody)")
    _same_grid(path, scenario, seen, starts)


def _same_grid(path: str | Path, scenario: Scenario, seen: dict[tuple[str, float], int],
               starts: dict[float, int]) -> None:
    """Refuse a table on a longer interval than the scenario's (an hourly one on 15 min).

    Its rows all fall on interval starts, so it was read, and three intervals in four
    needed nobody. Such a table lists, for every group and day, exactly every k-th
    interval from the opening (k > 1 dividing the day, at least three rows a day); rows
    left out here and there are intervals needing nobody.
    """
    per_day = scenario.intervals_per_day
    rows: dict[tuple[str, int], list[int]] = {}
    for group, key in seen:
        rows.setdefault((group, starts[key] // per_day), []).append(starts[key] % per_day)
    steps = {tuple(sorted(listed))[1] if len(listed) > 1 else 0 for listed in rows.values()}
    k = steps.pop() if len(steps) == 1 else 0
    if k > 1 and per_day % k == 0 and per_day // k >= 3 and all(
            sorted(listed) == list(range(0, per_day, k)) for listed in rows.values()):
        raise ValueError(f"{path}: every row is {format_duration(k * scenario.interval)} "
                         f"after the one before, the scenario's intervals "
                         f"{format_duration(scenario.interval)}: a table of another "
                         "interval? (list every interval, with simulated 0 where nobody is "
                         "needed)")
