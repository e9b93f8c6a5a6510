"""Sweeps on random small scenarios: a point is a run, workers change nothing.

Tier 6 of STYLE.md (parity), on the random scenarios of tests/strategies.py rather than
one bundled file:

- a point of ``ccsim sweep`` has, replication by replication, the KPIs ``ccsim run`` of
  the same scenario, ``--set`` to the point's values, and the same seed writes into
  ``replications.csv``; its mean and half-width those of ``summary.json``;
- ``run_sweep`` on 1 and 2 worker processes, under a random built-in or a user's
  policy, gives the same table.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner
from helpers import assert_same_table
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st
from strategies import routing_policies, scenarios
from test_policy_properties import FromTheReadme

import sim
from sim.cli import main
from sim.errors import SimulationError
from sim.loader import ScenarioError
from sim.sweep import run_sweep

FEW = settings(max_examples=int(os.environ.get("CCSIM_SWEEP_EXAMPLES", "8")), deadline=None,
               database=None,
               phases=[Phase.explicit, Phase.generate],  # shrinking commands takes minutes
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                      HealthCheck.filter_too_much])


@st.composite
def grids(draw, data: dict) -> dict[str, str]:
    """One or two grid parameters of ``data``, as ``--grid PATH=VALUES`` writes them."""
    options: dict[str, str] = {}
    for name, spec in data["agents"].items():
        if "staff" in spec:  # (not beside shifts)
            options[f"agents.{name}.staff"] = draw(st.sampled_from(("1,2", "0:2:1", "3")))
    for name, spec in data["contact_types"].items():
        if "mean" in spec["handle"]:
            options[f"contact_types.{name}.handle.mean"] = draw(st.sampled_from(
                ("30s,1m", "45,1.5m", "2m")))
        if "rate" in spec["arrivals"]:
            options[f"contact_types.{name}.arrivals.rate"] = draw(st.sampled_from(
                ("2/h,5/h", "1/m", "60/h,0.5/m")))
    options["service_level.threshold"] = draw(st.sampled_from(("10s,1m", "20")))
    paths = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=2,
                          unique=True))
    return {path: options[path] for path in paths}


def points(grid: dict[str, str]) -> list[dict[str, str]]:
    """Every point's ``--set`` values, first parameter slowest (as the sweep orders them)."""
    values = [[(path, v) for v in _values(text)] for path, text in grid.items()]
    rows: list[dict[str, str]] = [{}]
    for parameter in values:
        rows = [{**row, path: v} for row in rows for path, v in parameter]
    return rows


def _values(text: str) -> list[str]:
    if ":" in text and "," not in text and "/" not in text:  # an integer range a:b:step
        a, b, step = map(int, text.split(":"))
        return [str(v) for v in range(a, b + 1, step)]
    return text.split(",")


def _kpis(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in ("point", "replication", "seed") if c in frame]
                      ).reset_index(drop=True)


@FEW
@given(scenarios(), st.data(), st.integers(0, 10_000), st.integers(1, 3))
def test_a_sweep_point_is_a_run_of_that_point(tmp_path_factory, data, more, seed, reps):
    """`ccsim sweep` point by point equals `ccsim run --set` (values, seed, replications)."""
    data = {k: v for k, v in data.items() if k != "seed"}
    grid = more.draw(grids(data))
    folder = tmp_path_factory.mktemp("parity")
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    note(f"grid={grid} seed={seed} replications={reps}")
    runner = CliRunner()
    args = [str(path), "--seed", str(seed), "-r", str(reps), "-w", "1", "-q"]
    swept = runner.invoke(main, ["sweep", *args, "--out", str(folder / "sw"), "--no-figures",
                                 *[a for p, v in grid.items() for a in ("--grid", f"{p}={v}")]])
    # refused: a handoff nobody could answer at some point (a group's staff 0), or one stuck
    assume(swept.exit_code != 2 or not re.search("never (be )?answered", swept.output))
    assert swept.exit_code == 0, swept.output
    table = pd.read_parquet(folder / "sw" / "sweep.parquet")
    summary = pd.read_csv(folder / "sw" / "sweep_summary.csv")
    for p, values in enumerate(points(grid)):
        out = folder / f"run{p}"
        ran = runner.invoke(main, ["run", *args, "--out", str(out), "--no-report",
                                   *[a for k, v in values.items() for a in ("--set", f"{k}={v}")]])
        assert ran.exit_code == 0, (values, ran.output)
        expected = pd.read_csv(out / "replications.csv")
        got = table[table.point == p]
        assert got.seed.tolist() == [seed] * reps
        assert got.replication.tolist() == expected.replication.tolist()
        got = _kpis(got)[[c for c in expected if c != "replication"]]
        pd.testing.assert_frame_equal(got, _kpis(expected), check_dtype=False, rtol=1e-12,
                                      obj=f"point {p} {values}")
        said = json.loads((out / "summary.json").read_text())
        row = summary.iloc[p]
        for kpi, mean in said["kpis"].items():
            if kpi in row:
                assert _same(row[kpi], mean), (values, kpi, row[kpi], mean)
                assert _same(row[f"{kpi}_ci"], said["ci"].get(kpi)), (values, kpi)


def _same(a, b) -> bool:
    a = np.nan if a is None else float(a)
    b = np.nan if b is None else float(b)
    return (np.isnan(a) and np.isnan(b)) or bool(np.isclose(a, b, rtol=1e-9, atol=1e-12))


@FEW
@given(scenarios(), st.data(), st.integers(0, 10_000), st.booleans())
def test_one_worker_or_two_give_the_same_sweep(data, more, seed, users):
    """The table of a sweep under a policy is the same on 1 and on 2 worker processes."""
    data = more.draw(routing_policies(data))
    policy = FromTheReadme(data["routing_policy"]) if users else None
    grid = {path: _values(text) for path, text in more.draw(grids(data)).items()}
    try:
        scenario = sim.scenario_from_dict(data)
        one = run_sweep(scenario, grid, 2, seed=seed, workers=1, policy=policy)
    except (SimulationError, ScenarioError):
        assume(False)  # a stuck handoff, or a grid value this scenario refuses
    two = run_sweep(scenario, grid, 2, seed=seed, workers=2, policy=policy)
    assert_same_table(one.table, two.table)
    assert one.declined == two.declined
