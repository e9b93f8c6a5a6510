"""Parity hunted on purpose: paths that must agree, checked where they were seen to part.

Each test here was written first against a fault found by comparing two paths that
must give the same numbers (``ccsim run``, ``ccsim sweep``, ``ccsim compare``, the
Python API, a redraw, any number of workers, common random numbers); it failed, then
the fault was fixed.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, event, given, reject, settings
from hypothesis import strategies as st
from rule_strategies import ruled
from strategies import routing_policies, scenarios

import sim
from sim import keyed
from sim.cli import main
from sim.compare import compare
from sim.contacts import draw_contacts
from sim.engine import SimulationError
from sim.loader import ScenarioError
from sim.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
ERLANG_A = ROOT / "scenarios" / "erlang_a.yaml"


class TestSweepOverTheSeed:
    """A sweep's points share one seed (common random numbers): a grid over it is refused.

    Found: ``--grid seed=1,2`` put a grid column ``seed`` beside the table's own ``seed``
    column, and the sweep died with "internal error (ValueError: Per-column arrays must
    each be 1-dimensional)" after simulating every point; had it not, every point would
    have run with the base seed, unlike ``ccsim run --set seed=2``.
    """

    def test_python_api_refuses_before_simulating(self):
        """``run_sweep`` names the seed and ``--seed`` in its error, before any work."""
        # an hour, measured from its start (a warmup past closing would measure nothing)
        scenario = sim.load_scenario(ERLANG_A, overrides={"close": "01:00", "warmup": 0})
        with pytest.raises(ScenarioError, match=r"seed: .*--seed"):
            run_sweep(scenario, {"seed": [1, 2]}, replications=1, workers=1)

    def test_cli_is_one_line_exit_2(self, tmp_path):
        """``ccsim sweep --grid seed=1,2`` is one line naming the seed, and exit code 2."""
        result = CliRunner().invoke(main, ["sweep", str(ERLANG_A), "--set", "close=01:00",
                                           "--set", "warmup=0",
                                           "--grid", "seed=1,2", "-r", "1", "-w", "1",
                                           "--out", str(tmp_path), "--no-figures", "-q"])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "erlang_a.yaml: seed: " in lines[0], result.output


def types_reversed(data: dict) -> dict:
    """The same scenario with its contact types listed in the opposite order."""
    out = copy.deepcopy(data)
    out["contact_types"] = dict(reversed(list(out["contact_types"].items())))
    return out


class TestContactTypesInAnotherOrder:
    """A customer's keyed numbers follow its contact type's name, not its place in the file.

    Arrivals, handle times and patience come from streams keyed by the type's name
    (:mod:`sim.streams`); the keyed numbers of everything after (IVR, transfer,
    resolution, repeat...) came from an identity made of the type's *index*. Found:
    ``compare`` of refund_vs_relations (one day, 10 replications) against the same file
    with its two types listed the other way round reported ASA +2.1 s ± 1.7 s,
    "significant", and different FCR, transfer and abandon rates: same customers, other
    decisions. A variant file that adds a contact type ahead of the others did the same.
    """

    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(scenarios(), st.integers(0, 10_000))
    def test_every_customer_keeps_its_keys(self, data, seed):
        """Each type's k-th arrival has the same time and the same key in both orders."""
        assume(len(data["contact_types"]) > 1)

        def who(scenario_data: dict) -> dict:
            scenario = sim.scenario_from_dict(scenario_data)
            draws = draw_contacts(scenario, seed, 0)
            keys = keyed.issue_keys(keyed.root(seed, 0), draws.who)
            names = list(scenario.contact_types)
            return {name: (draws.arrival[draws.contact_type == t].tolist(),
                           keys[draws.contact_type == t].tolist())
                    for t, name in enumerate(names)}

        assert who(types_reversed(data)) == who(data)

    def test_comparison_with_the_types_reordered_finds_no_difference(self):
        """refund_vs_relations against itself, types reordered: every difference is 0."""
        raw = yaml.safe_load((ROOT / "scenarios" / "refund_vs_relations.yaml").read_text())
        raw.pop("variants", None)
        raw |= {"days": 1, "close": "14:00"}
        table = compare({"baseline": sim.scenario_from_dict(raw),
                         "reordered": sim.scenario_from_dict(types_reversed(raw))},
                        seed=7, replications=3).table()
        diffs = table[table["variant"] == "reordered"].set_index("kpi")["diff"]
        assert {k: d for k, d in diffs.items() if not (math.isnan(d) or d == 0)} == {}
        assert np.isfinite(diffs["fcr"])


# random scenarios of every feature, a third with real-time rules, a third with a policy
MIXED = scenarios().flatmap(lambda data: st.one_of(
    st.just(data), ruled(data), routing_policies(data)))


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(MIXED, st.integers(0, 10_000))
def test_run_sweep_and_compare_give_the_same_replications(data, seed):
    """A one-point sweep, a comparison's baseline and its copy are ``sim.run``, KPI by KPI.

    And the copy differs from the baseline by exactly 0 (never "significant"), on random
    scenarios with rules and routing policies: a class of scenarios, not three examples
    (``test_parity``). Checked and found to hold while hunting; kept as a guard.
    """
    scenario = sim.scenario_from_dict(data)
    try:
        result = sim.run(scenario, seed=seed, replications=2)
    except SimulationError as exc:  # a warm transfer nobody can answer: stopped on purpose
        event(f"stopped: {exc.reason.split(':')[0]}")
        reject()
    want = result.replications.set_index("replication")
    table = sim.sweep(scenario, {"days": [scenario.days]}, replications=2, seed=seed,
                      workers=1).set_index("replication")
    pair = compare({"baseline": scenario, "again": scenario}, seed=seed, replications=2)
    for got in (table, pair.results["baseline"].replications.set_index("replication"),
                pair.results["again"].replications.set_index("replication")):
        for kpi in want.columns:
            np.testing.assert_array_equal(got[kpi].to_numpy(float), want[kpi].to_numpy(float),
                                          err_msg=kpi)
    rows = pair.table()
    again = rows[rows["variant"] == "again"]
    assert not again["significant"].any()
    assert ((again["diff"] == 0) | again["diff"].isna()).all()
