"""Where a repair adds agents: the group in which a point of service level costs least.

A plan (agents on the phones, groups x intervals) missed its goal for some contact types
in some runs of intervals (*blocks*); a repair must add agents there. Any group that
serves the type will raise its service level, but not equally, nor at the same wages:
with two groups alike but for their wages, the cheaper one buys the same service for
less. :func:`cheapest_groups` simulates each serving group's addition (the caller's
``level_of``: its own replications, common random numbers) and prices a point of the
type's service level as the added agents' wages (scheduled, shrinkage grossed up) over
its rise in the block. Where no group's addition raises it (a small sample), the group
whose hour on the phones costs least (of equal ones, the largest load share): the
largest share, the first of equal ones, bought dear agents where cheap ones serve alike.
The cost search's hold-out repair (:meth:`sim.cost_search._Costs.repair`) and the
schedule's closed loop (:func:`sim.shift_loop.schedule`) both choose by it.

The savings an addition brings (fewer abandons, less waiting) do not enter the price,
which weighs only what the repair must buy: the service level that missed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from sim.plan_evaluation import scheduled_agents
from sim.scenario import Scenario
from sim.staffing_start import load_shares

# (type, block) -> agents on the phones to add in each interval of the block
Wanted = dict[tuple[int, int], int]


def cheapest_groups(scenario: Scenario, plan: np.ndarray, want: Wanted, blocks: np.ndarray,
                    level_of: Callable[[np.ndarray], np.ndarray],
                    hourly: Sequence[float]) -> dict[tuple[int, int], int]:
    """The group (row) to add each wanted step to: where service costs the least wages.

    Args:
        scenario: The scenario the plan staffs.
        plan: Agents on the phones per group (rows, scenario order) and interval.
        want: Contact type (row) x block -> agents to add in each interval of the block.
        blocks: Block number per interval.
        level_of: A plan's service level, contact types x intervals (NaN: no contacts).
            Called for ``plan`` and for ``plan`` plus each serving group's additions
            (that group's steps for every wanted block of a type it serves).
        hourly: Wages of a scheduled agent-hour per group (rows).

    Returns:
        ``want``'s keys -> the group of the least price per point of the type's service
        level in the block; where no group's addition raises it, the group of the least
        wages per hour on the phones (of equal ones, the largest load share).
    """
    groups, types = list(scenario.agents), list(scenario.contact_types)
    serving = [[groups.index(s.group) for s in scenario.routes(t)] for t in types]
    shares = load_shares(scenario)
    base = level_of(plan)
    trials = {}  # group -> its additions for every miss it serves, and their service level
    for g in sorted({g for t, _ in want for g in serving[t]}):
        add = np.zeros_like(plan)
        for (t, b), step in want.items():
            if g in serving[t]:
                cells = blocks == b
                add[g, cells] = np.maximum(add[g, cells], step)
        trials[g] = add, level_of(plan + add)
    chosen = {}
    for t, b in want:
        cells = blocks == b
        prices = [_price(scenario, plan, *trials[g], base, g, t, cells, hourly[g])
                  for g in serving[t]]
        if np.isfinite(min(prices)):
            chosen[t, b] = serving[t][int(np.argmin(prices))]
        else:  # no rise on this sample: the dearer group would buy the same for more
            share = shares[types[t]]
            chosen[t, b] = min(serving[t], key=lambda g: (
                hourly[g] / (1.0 - scenario.agents[groups[g]].shrinkage),
                -share.get(groups[g], 0.0)))
    return chosen


def _price(scenario: Scenario, plan: np.ndarray, add: np.ndarray, level: np.ndarray,
           base: np.ndarray, g: int, t: int, cells: np.ndarray, hourly: float) -> float:
    """Wages of ``add`` in group ``g``'s ``cells`` per point of type ``t``'s service there."""
    rise = level[t, cells] - base[t, cells]  # NaN: no contacts in an interval
    if np.isnan(rise).all() or not np.nanmean(rise) > 0:
        return np.inf
    shrinkage = list(scenario.agents.values())[g].shrinkage
    more = sum(scheduled_agents(int(after), shrinkage) - scheduled_agents(int(before), shrinkage)
               for before, after in zip(plan[g, cells], (plan + add)[g, cells]))
    wages = hourly * more * scenario.interval / 3600.0
    return wages / (100.0 * float(np.nanmean(rise)))
