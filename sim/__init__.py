"""ccsim: a contact-center queue and hold-time simulator.

Typical use::

    import sim
    scenario = sim.load_scenario("scenarios/erlang_a.yaml", overrides={"agents.pool.staff": 44})
    result = sim.run(scenario, seed=1, replications=10)
    result.summary["service_level"], result.ci["service_level"]
"""

from sim.cost_search import CostResult, find_cost_staffing
from sim.engine import run_replication
from sim.loader import (
    ScenarioError,
    load_scenario,
    scenario_from_dict,
    scenario_from_yaml,
    variant,
    with_overrides,
)
from sim.replicate import RunResult, run
from sim.scenario import Scenario
from sim.staffing import StaffingResult, find_staffing
from sim.sweep import SweepResult, run_sweep, sweep

__all__ = [
    "CostResult",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "StaffingResult",
    "SweepResult",
    "find_cost_staffing",
    "find_staffing",
    "load_scenario",
    "run",
    "run_replication",
    "run_sweep",
    "scenario_from_dict",
    "scenario_from_yaml",
    "sweep",
    "variant",
    "with_overrides",
]
