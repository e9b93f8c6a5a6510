"""Parity: every path that computes KPIs computes the same ones (STYLE.md, tier 6).

``sim.run``, a one-point sweep, a comparison's baseline, the staffing search's evaluation
of a plan and ``ccsim report``'s redraw from a results folder all go through one
per-replication step; here they must agree KPI by KPI and replication by replication.
Each bundled scenario below exercises a path that once disagreed: consults (agents busy
on legs), repeat contacts (issues over several contacts), overflow and shifts.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import schedule, staffing
from sim.compare import compare
from sim.metrics import KPIS
from sim.output import write_run
from sim.queue_legs import LEG_SUMS, second_leg_sums
from sim.report import load_run

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
NAMES = ["fraud_consult", "refund_vs_relations", "small_bank"]
REPLICATIONS = 2
SEED = 5


def assert_kpis_equal(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    """Per replication and KPI: equal to 1e-12 (NaN where the other is NaN)."""
    got = got.set_index("replication").sort_index()
    want = want.set_index("replication").sort_index()
    assert list(got.index) == list(want.index), what
    for kpi in KPIS:
        a, b = got[kpi].to_numpy(float), want[kpi].to_numpy(float)
        assert np.allclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True), \
            f"{what}: {kpi} {a.tolist()} != {b.tolist()}"


def assert_nested_equal(got: dict, want: dict, what: str) -> None:
    assert got.keys() == want.keys(), what
    for name in want:
        for measure, value in want[name].items():
            other = got[name][measure]
            assert (math.isnan(value) and math.isnan(other)) or other == pytest.approx(
                value, rel=1e-12, abs=0.0), f"{what}: {name}.{measure} {other} != {value}"


@pytest.fixture(scope="module", params=NAMES)
def case(request):
    """A bundled scenario cut to one day, and its run."""
    scenario = sim.load_scenario(SCENARIOS / f"{request.param}.yaml", overrides={"days": 1})
    scenario = scenario.model_copy(update={"variants": {}})
    return scenario, sim.run(scenario, seed=SEED, replications=REPLICATIONS)


def small_bank_name() -> str:
    """The bundled scenario without transfers or consults: no legs sent into a queue."""
    return sim.load_scenario(SCENARIOS / "small_bank.yaml").name


class TestParity:
    def test_sweep_equals_run(self, case):
        """A one-point sweep gives every KPI of ``sim.run``, replication by replication."""
        scenario, result = case
        table = sim.sweep(scenario, grid={"days": [1]}, replications=REPLICATIONS, seed=SEED,
                          workers=1)
        assert_kpis_equal(table, result.replications, "sweep vs run")

    def test_compare_baseline_equals_run(self, case):
        """A comparison's baseline is the run of the same scenario."""
        scenario, result = case
        base = compare({"baseline": scenario}, seed=SEED, replications=REPLICATIONS)
        run = base.results["baseline"]
        assert_kpis_equal(run.replications, result.replications, "compare vs run")
        pd.testing.assert_frame_equal(run.intervals, result.intervals)

    def test_staffing_evaluation_equals_run(self, case):
        """The staffing search judges a plan by the KPIs and intervals a run of it reports."""
        scenario, _ = case
        goal = staffing.Goal(scenario.service_level.target, scenario.service_level.threshold,
                             None)
        plan = staffing.erlang_requirement(scenario, goal)
        # the search simulates exactly the plan on the phones; so does the staffed file it
        # writes (scheduled agents, the fewest the simulator's rounding puts the plan to work)
        simulated = staffing.simulated_scenario(scenario, plan, goal)
        staffed = staffing.staffed_scenario(scenario, plan, goal)
        for row, group in zip(plan, staffed.agents.values()):
            scheduled = schedule.per_interval(group.staff, staffed)
            on = [schedule.on_phones(n, group.shrinkage) for n in scheduled]
            assert on == row.tolist(), (on, row)
        result = sim.run(simulated, seed=SEED, replications=REPLICATIONS)
        evaluation = staffing.evaluate_plan(scenario, plan, goal, REPLICATIONS, SEED)
        assert_kpis_equal(evaluation.replications, result.replications, "staff vs run")
        # the legs sent into each queue (transfers, consults), from the run's own legs
        # table, replication by replication; the search judges the lower (sim.queue_legs)
        sums = sum((second_leg_sums(legs, scenario)[:len(LEG_SUMS)]
                    for _, legs in result.legs.groupby("replication", observed=True)),
                   np.zeros((len(LEG_SUMS), *evaluation.service_level.shape)))
        with np.errstate(invalid="ignore", divide="ignore"):
            sent = sums[0] / sums[1]
        assert np.any(sums[1] > 0) == (scenario.name != small_bank_name()), sums[1].sum()
        for t, name in enumerate(scenario.contact_types):
            rows = result.intervals[result.intervals["contact_type"] == name]
            np.testing.assert_allclose(evaluation.service_level[t],
                                       np.fmin(rows["service_level"].to_numpy(), sent[t]),
                                       rtol=1e-12, equal_nan=True)
            np.testing.assert_allclose(evaluation.abandon_rate[t], rows["abandon_rate"],
                                       rtol=1e-12, equal_nan=True)

    def test_report_redraw_inputs_equal_run(self, case, tmp_path):
        """What ``ccsim report`` reads back from a results folder is what the run had."""
        _, result = case
        write_run(result, tmp_path)
        back = load_run(tmp_path)
        assert_kpis_equal(back.replications, result.replications, "report vs run")
        assert back.summary == pytest.approx(result.summary, rel=1e-12, nan_ok=True)
        assert_nested_equal(back.by_type, result.by_type, "report vs run: by_type")
        assert_nested_equal(back.by_group, result.by_group, "report vs run: by_group")
        pd.testing.assert_frame_equal(back.intervals, result.intervals, check_dtype=False,
                                      check_categorical=False, rtol=1e-12)
        pd.testing.assert_frame_equal(back.issues, result.issues, check_categorical=False)
