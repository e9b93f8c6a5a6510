"""Where a repair adds agents when no group's addition shows a rise: the cheaper group."""

import numpy as np
from helpers import TWO_WAGES

import sim
from sim.cheapest_repair import cheapest_groups
from sim.staffing import load_blocks


def test_no_rise_on_the_sample_goes_to_the_cheaper_group():
    """Two groups alike but for their wages, neither addition raising the sampled level.

    It fell back on the group of the largest load share, the first of equal ones: the
    dear group, so the cost search's hold-out check bought agents at 40 an hour where 20
    serve the same queue (a one-replication sample shows no rise for either).
    """
    scenario = sim.scenario_from_dict(TWO_WAGES)
    plan = np.array([[1, 5, 6, 0], [7, 8, 12, 10]])  # dear, cheap
    flat = np.full((1, 4), 0.9)  # every plan's service level: no addition raises it
    chosen = cheapest_groups(scenario, plan, {(0, 3): 1}, load_blocks(scenario),
                             lambda trial: flat, [40.0, 20.0])
    assert chosen == {(0, 3): 1}
