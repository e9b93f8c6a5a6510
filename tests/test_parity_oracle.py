"""Parity hunted on purpose: paths that must agree, checked where they were seen to part.

Each test here was written first against a fault found by comparing two paths that
must give the same numbers (``ccsim run``, ``ccsim sweep``, ``ccsim compare``, the
Python API, a redraw, any number of workers, common random numbers); it failed, then
the fault was fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
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
        scenario = sim.load_scenario(ERLANG_A, overrides={"close": "01:00"})
        with pytest.raises(ScenarioError, match=r"seed: .*--seed"):
            run_sweep(scenario, {"seed": [1, 2]}, replications=1, workers=1)

    def test_cli_is_one_line_exit_2(self, tmp_path):
        """``ccsim sweep --grid seed=1,2`` is one line naming the seed, and exit code 2."""
        result = CliRunner().invoke(main, ["sweep", str(ERLANG_A), "--set", "close=01:00",
                                           "--grid", "seed=1,2", "-r", "1", "-w", "1",
                                           "--out", str(tmp_path), "--no-figures", "-q"])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "erlang_a.yaml: seed: " in lines[0], result.output
