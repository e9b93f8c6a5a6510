"""With shrinkage and absenteeism, the cost the search reports is ccsim run's of the plan written.

Where the shrinkage rounding puts exactly the plan on the phones. The search drew the
absences among the agents on the phones (shrinkage 0, staff = the plan), the written
file among the scheduled, then shrinks: 1,734.33 against 1,717.27, service 88% against
92% (found by an outside check). Now a group with absenteeism is simulated as written.
"""
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cost_search import _Costs
from sim.schedule import on_phones
from sim.staffing import Goal, load_blocks, scheduled_agents, staffed_scenario

HERE = Path(__file__).parent / "data" / "costs"
PLAN = np.array([[7, 14, 11, 6]])  # scheduled at 30% shrinkage: 10, 20, 16, 9 -> exactly these


@pytest.mark.parametrize("absenteeism", [0.0, 0.2])
def test_search_cost_equals_run_of_written_plan(absenteeism):
    scenario = sim.load_scenario(HERE / "tiny.yaml", overrides={
        "agents.pool.shrinkage": 0.3, "agents.pool.absenteeism": absenteeism})
    assert [on_phones(scheduled_agents(n, 0.3), 0.3) for n in PLAN[0]] == PLAN[0].tolist()
    goal = Goal(0.8, 20.0, None, None)
    search = _Costs(scenario, goal, 4, 3, None, None, load_blocks(scenario)).means(PLAN)
    run = sim.run(staffed_scenario(scenario, PLAN, goal), seed=3, replications=4).summary
    assert search["total_cost"] == pytest.approx(run["total_cost"], rel=1e-9)
    assert search["staff_cost"] == pytest.approx(run["staff_cost"], rel=1e-9)
