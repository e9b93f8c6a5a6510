"""The staffing table: one row per interval and agent group, the plan next to Erlang.

What ``ccsim staff`` prints and writes as CSV (:class:`sim.staffing.StaffingResult`
describes the columns): the requirements, the plan, its service on the search's
replications and, after a hold-out check (:mod:`sim.staffing_check`), on the hold-out's.
A group's service is that of its contact type furthest below its own target (the lowest
service level where the targets are equal), shown with that target; its abandon rate the
highest of its types'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.plan_evaluation import Evaluation, Goal, highest, scheduled_agents, worst_type
from sim.scenario import Scenario
from sim.schedule import interval_starts
from sim.staffing_check import HoldOut
from sim.units import DAY, format_clock_exact

HOLDOUT_COLUMNS = ("holdout_service_level", "holdout_ci", "holdout_target",
                   "holdout_met_share", "holdout_abandon_rate")


def staffing_table(scenario: Scenario, goal: Goal, start: np.ndarray, plan: np.ndarray,
                   result: Evaluation, measured: np.ndarray, erlang_a: np.ndarray,
                   check: HoldOut | None, blocks: np.ndarray) -> pd.DataFrame:
    """The staffing table of ``plan`` (groups x intervals, agents on the phones).

    Args:
        scenario: The scenario staffed.
        goal: The goal (each type's own target: :meth:`Goal.targets`).
        start: The Erlang C requirement (groups x intervals).
        plan: The plan.
        result: The plan's evaluation on the search replications.
        measured: Which intervals the goal applies to.
        erlang_a: The Erlang A requirement (groups x intervals).
        check: The plan's hold-out check, if any (adds :data:`HOLDOUT_COLUMNS`).
        blocks: Block number per interval.
    """
    starts = interval_starts(scenario)
    rows = []
    for i, begin in enumerate(starts):
        for g, (name, group) in enumerate(scenario.agents.items()):
            rows.append({
                "day": int(begin // DAY) + 1, "clock": format_clock_exact(begin % DAY),
                "start": float(begin), "group": name, "erlang_c": int(start[g, i]),
                "simulated": int(plan[g, i]),
                "scheduled": scheduled_agents(int(plan[g, i]), group.shrinkage),
                "measured": bool(measured[i]), "erlang_a": int(erlang_a[g, i]),
                "block": int(blocks[i]),
            })
    table = pd.DataFrame(rows)
    at = table.columns.get_loc("scheduled") + 1
    for k, (column, values) in enumerate(service_columns(scenario, goal, result).items()):
        table.insert(at + k, column, values)
    if check is not None:
        for column, values in holdout_columns(scenario, goal, check).items():
            table[column] = values
    return table


def service_columns(scenario: Scenario, goal: Goal, result: Evaluation
                    ) -> dict[str, list[float]]:
    """``service_level``, ``target`` and ``abandon_rate`` of the table, in its row order.

    Per interval and group: the service level of the group's type furthest below its own
    target (:func:`sim.plan_evaluation.worst_type`) and that target; the highest abandon
    rate of its types.
    """
    types = list(scenario.contact_types)
    targets = goal.targets(scenario)
    out: dict[str, list[float]] = {"service_level": [], "target": [], "abandon_rate": []}
    for i in range(result.service_level.shape[1]):
        for group in scenario.agents.values():
            served = [types.index(t) for t in group.skills]
            k = worst_type(result.service_level, targets, served, i)
            out["service_level"].append(float(result.service_level[k, i]))
            out["target"].append(float(targets[k]))
            out["abandon_rate"].append(highest(result.abandon_rate, served, i))
    return out


def holdout_columns(scenario: Scenario, goal: Goal, check: HoldOut) -> dict[str, list[float]]:
    """The :data:`HOLDOUT_COLUMNS` of the staffing table, in its row order.

    Per interval and group, over the hold-out's replications: the service level of the
    group's type furthest below its own target, its 95% half-width and that target, the
    lowest share of replications meeting their type's target, and the highest abandon rate.
    """
    held = check.evaluation
    types = list(scenario.contact_types)
    targets = goal.targets(scenario)
    out: dict[str, list[float]] = {column: [] for column in HOLDOUT_COLUMNS}
    for i in range(held.service_level.shape[1]):
        for group in scenario.agents.values():
            served = [types.index(t) for t in group.skills]
            k = worst_type(held.service_level, targets, served, i)
            out["holdout_service_level"].append(float(held.service_level[k, i]))
            out["holdout_ci"].append(float(held.service_level_ci[k, i]))
            out["holdout_target"].append(float(targets[k]))
            out["holdout_met_share"].append(float(held.met_share[served, i].min()))
            out["holdout_abandon_rate"].append(highest(held.abandon_rate, served, i))
    return out
