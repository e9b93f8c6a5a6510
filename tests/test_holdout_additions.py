"""The hold-out check adds agents where its repair says, and no more than it needs.

Where the plan misses on the hold-out, the check adds agents where its repair says (for
the cost search: in the group where a point of service costs least), then raises the
plan where the search's own replications miss.
"""

import numpy as np
from helpers import TWO_WAGES

import sim
from sim.staffing import Goal, check_on_holdout, load_blocks


def test_holdout_adds_agents_only_where_its_repair_says():
    """A repair that names a group (the cost search's: the cheap one) is followed throughout.

    After a repair, the plan is raised again where it misses on the search's
    replications; that step added to the group of the largest load share whatever the
    repair said, here the dear group (first of two equal shares), so the cost search's
    "least cost" plan paid 40 an hour for agents 20 an hour would have served. The start
    plan is the one the cost search handed its check in that case (seed 11, one search
    replication, hold-out from replication 9 in rounds of 4).
    """
    scenario = sim.scenario_from_dict(TWO_WAGES)
    blocks = load_blocks(scenario)
    plan = np.array([[1, 5, 6, 0], [7, 8, 12, 10]])  # dear, cheap

    def cheap_only(plan, check, missed):
        add = np.zeros_like(plan)
        for i in np.flatnonzero(missed.any(axis=0)):
            add[1, blocks == blocks[i]] = 1
        return add

    goal = Goal(0.8, 20.0)
    repaired, _ = check_on_holdout(scenario, plan, goal, 1, 11, holdout=4,
                                   holdout_tolerance=0.0, holdout_share=0.0,
                                   first_replication=9, repair_with=cheap_only)
    assert (repaired >= plan).all() and (repaired > plan).any(), repaired  # it repaired
    assert (repaired[0] == plan[0]).all(), repaired  # no dear agent
