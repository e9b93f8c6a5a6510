"""``sim.run(trace_every=...)`` is checked before anything runs (found by an outside check).

NaN hung, 1e-9 ran on with memory climbing, -5 failed with SimPy's "Negative delay -5"
and 0 gave an empty trace. A sampling step must be a finite number of seconds > 0 that
samples a replication at most :data:`sim.observer.MAX_SAMPLES` times.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
from sim.observer import MAX_SAMPLES

ERLANG_B = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_b.yaml"


@pytest.mark.parametrize("every", [math.nan, math.inf, -5.0, 0.0, 1e-9, "60"])
def test_a_bad_sampling_step_is_refused_at_once(every):
    scenario = sim.load_scenario(ERLANG_B)
    with pytest.raises(ValueError, match="'trace_every'"):
        sim.run(scenario, trace_every=every)


def test_a_step_within_the_bound_samples():
    scenario = sim.load_scenario(ERLANG_B)
    days = scenario.days + math.ceil(scenario.cooldown / 86400) + 1
    every = days * 86400 / MAX_SAMPLES * 2  # half the bound's samples at most
    result = sim.run(scenario, trace_every=every)
    assert len(result.traces) == 1 and len(result.traces[0]) > 1


@pytest.mark.parametrize("every", [math.nan, 0.0])
def test_compare_and_one_replication_check_it_too(every):
    """sim.compare and sim.run_replication took NaN and hung (found by a review)."""
    from sim import compare
    from sim.engine import run_replication

    scenario = sim.load_scenario(ERLANG_B)
    with pytest.raises(ValueError, match="'trace_every'"):
        compare.compare({"a": scenario, "b": scenario}, replications=1, trace_every=every)
    with pytest.raises(ValueError, match="'trace_every'"):
        run_replication(scenario, 1, 0, trace_every=every)


def test_a_numpy_step_is_a_number():
    import numpy as np

    result = sim.run(sim.load_scenario(ERLANG_B), trace_every=np.int64(600))
    assert len(result.traces[0]) > 1
