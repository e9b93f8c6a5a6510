"""A requirement table with no row on a day of the run, or for a group, is refused.

A one-day table (``ccsim staff --out`` of a one-day run) used on a three-day run
scheduled nobody on days 2 and 3, exit 0, its cost "for 3 days" one day's; a table
without a group's rows gave it no agent all week. Both without a word.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.requirement_sources import requirement_from_table

ROOT = Path(__file__).resolve().parents[1] / "scenarios"


def _table(path: Path, days: int, groups: tuple[str, ...], scenario) -> None:
    starts = [d * 86400.0 + scenario.open + k * scenario.interval for d in range(days)
              for k in range(scenario.intervals_per_day)]
    pd.DataFrame([{"start": s, "group": g, "simulated": 5} for s in starts for g in groups]
                 ).to_csv(path, index=False)


def test_a_table_of_one_day_on_a_three_day_run(tmp_path):
    scenario = sim.load_scenario(ROOT / "erlang_c.yaml", overrides={"days": 3})
    table = tmp_path / "req.csv"
    _table(table, 1, ("pool",), scenario)
    done = CliRunner().invoke(main, ["schedule", str(ROOT / "erlang_c.yaml"), "--set",
                                     "days=3", "--requirement", str(table), "-q", "--out",
                                     str(tmp_path / "sched")])
    assert done.exit_code == 2, done.output
    assert done.output.strip().splitlines()[-1].endswith(
        f"{table}: no row on day 2 of the run (3 days): a table of another run? (list an "
        "interval nobody is needed in with simulated 0)"), done.output
    _table(table, 3, ("pool",), scenario)  # the whole run: read
    assert requirement_from_table(table, scenario).shape == (1, 3 * scenario.intervals_per_day)


def test_a_table_without_a_group(tmp_path):
    scenario = sim.load_scenario(ROOT / "small_bank.yaml", overrides={"days": 1})
    table = tmp_path / "req.csv"
    _table(table, 1, ("billing_team", "cards_team"), scenario)
    with pytest.raises(ValueError, match="no row for group 'generalists'"):
        requirement_from_table(table, scenario)
