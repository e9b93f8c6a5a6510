"""ccsim: a contact-center queue and hold-time simulator.

Typical use::

    import sim
    scenario = sim.load_scenario("scenarios/erlang_a.yaml", overrides={"agents.pool.staff": 44})
    result = sim.run(scenario, seed=1, replications=10)
    result.summary["service_level"], result.ci["service_level"]

The names below are imported when first used (PEP 562), so ``import sim`` loads neither
SimPy, pandas, SciPy nor matplotlib until a function needs them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

_HOMES = {
    "CostResult": "sim.cost_search",
    "find_cost_staffing": "sim.cost_search",
    "run_replication": "sim.engine",
    "ScenarioError": "sim.loader",
    "load_scenario": "sim.loader",
    "scenario_from_dict": "sim.loader",
    "scenario_from_yaml": "sim.loader",
    "variant": "sim.loader",
    "with_overrides": "sim.loader",
    "RunResult": "sim.replicate",
    "run": "sim.replicate",
    "Scenario": "sim.scenario",
    "StaffingResult": "sim.staffing",
    "find_staffing": "sim.staffing",
    "SweepResult": "sim.sweep",
    "run_sweep": "sim.sweep",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``sim.sweep`` is the function, as documented, even after ``import sim.sweep``.

    Importing a submodule binds it as an attribute of its package; the module ``sim.sweep``
    and the function :func:`sim.sweep.sweep` share a name, and the function wins (the
    module stays reachable as ``sys.modules["sim.sweep"]`` and by ``from sim.sweep import``).
    """

    @property
    def sweep(self):
        return importlib.import_module("sim.sweep").sweep

    @sweep.setter
    def sweep(self, value) -> None:  # the import system binding the submodule
        pass


sys.modules[__name__].__class__ = _Package

# the journey steps compiled by setup.py, where built from this source (sim.compiled)
from sim.compiled import install as _install  # noqa: E402

_install()


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
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
