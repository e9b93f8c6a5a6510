"""The staffing table: one row per interval and agent group, the plan next to Erlang.

What ``ccsim staff`` prints and writes as CSV (:class:`sim.staffing.StaffingResult`
describes the columns): the requirements, the plan, its service on the search's
replications and, after a hold-out check (:mod:`sim.staffing_check`), on the hold-out's.
A group's service is that of its worst contact type: the lowest service level, the
highest abandon rate.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from sim.plan_evaluation import Evaluation, scheduled_agents
from sim.scenario import Scenario
from sim.schedule import interval_starts
from sim.staffing_check import HoldOut
from sim.units import DAY, format_clock

HOLDOUT_COLUMNS = ("holdout_service_level", "holdout_ci", "holdout_met_share",
                   "holdout_abandon_rate")


def staffing_table(scenario: Scenario, start: np.ndarray, plan: np.ndarray,
                   result: Evaluation, measured: np.ndarray, erlang_a: np.ndarray,
                   check: HoldOut | None, blocks: np.ndarray) -> pd.DataFrame:
    """The staffing table of ``plan`` (groups x intervals, agents on the phones).

    Args:
        scenario: The scenario staffed.
        start: The Erlang C requirement (groups x intervals).
        plan: The plan.
        result: The plan's evaluation on the search replications.
        measured: Which intervals the goal applies to.
        erlang_a: The Erlang A requirement (groups x intervals).
        check: The plan's hold-out check, if any (adds :data:`HOLDOUT_COLUMNS`).
        blocks: Block number per interval.
    """
    starts = interval_starts(scenario)
    types = list(scenario.contact_types)
    rows = []
    for i, begin in enumerate(starts):
        for g, (name, group) in enumerate(scenario.agents.items()):
            served = [types.index(t) for t in group.skills]
            sl, abandon = worst(result.service_level, result.abandon_rate, served, i)
            rows.append({
                "day": int(begin // DAY) + 1, "clock": format_clock(begin % DAY),
                "start": float(begin), "group": name, "erlang_c": int(start[g, i]),
                "simulated": int(plan[g, i]),
                "scheduled": scheduled_agents(int(plan[g, i]), group.shrinkage),
                "service_level": sl, "abandon_rate": abandon, "measured": bool(measured[i]),
                "erlang_a": int(erlang_a[g, i]), "block": int(blocks[i]),
            })
    table = pd.DataFrame(rows)
    if check is not None:
        for column, values in holdout_columns(scenario, check).items():
            table[column] = values
    return table


def holdout_columns(scenario: Scenario, check: HoldOut) -> dict[str, list[float]]:
    """The :data:`HOLDOUT_COLUMNS` of the staffing table, in its row order.

    Per interval and group, over the hold-out's replications: the lowest service level
    of the group's contact types, its 95% half-width, the lowest share of replications
    meeting the target, and the highest abandon rate.
    """
    held = check.evaluation
    types = list(scenario.contact_types)
    out: dict[str, list[float]] = {column: [] for column in HOLDOUT_COLUMNS}
    for i in range(held.service_level.shape[1]):
        for group in scenario.agents.values():
            served = [types.index(t) for t in group.skills]
            sl, abandon = worst(held.service_level, held.abandon_rate, served, i)
            k = argworst(held.service_level, served, i)
            out["holdout_service_level"].append(sl)
            out["holdout_ci"].append(float(held.service_level_ci[k, i]) if k >= 0 else math.nan)
            out["holdout_met_share"].append(float(held.met_share[served, i].min()))
            out["holdout_abandon_rate"].append(abandon)
    return out


def worst(levels: np.ndarray, abandon: np.ndarray, served: list[int],
          i: int) -> tuple[float, float]:
    """The lowest service level and highest abandon rate of ``served`` types in interval i."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: no contacts
        return float(np.nanmin(levels[served, i])), float(np.nanmax(abandon[served, i]))


def argworst(levels: np.ndarray, served: list[int], i: int) -> int:
    """The type (row) of ``served`` with the lowest service level in interval i; -1: none."""
    values = levels[served, i]
    return -1 if np.isnan(values).all() else served[int(np.nanargmin(values))]
