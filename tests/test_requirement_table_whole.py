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


def test_a_table_of_a_longer_interval(tmp_path):
    """An hourly table on a 15-minute scenario is refused.

    Every row was on an interval start, so it was read, and three intervals in four needed
    nobody (an outside check of the plans).
    """
    scenario = sim.load_scenario(ROOT / "erlang_c.yaml", overrides={"days": 1,
                                                                    "interval": "15m"})
    hourly = scenario.model_copy(update={"interval": 3600.0})
    table = tmp_path / "hourly.csv"
    _table(table, 1, ("pool",), hourly)
    with pytest.raises(ValueError, match=r"hourly.csv: every row is 1h after the one "
                                         r"before, the scenario's intervals 15m: a table of "
                                         r"another interval\?"):
        requirement_from_table(table, scenario)
    sparse = tmp_path / "sparse.csv"  # a few intervals listed: the rest need nobody
    pd.DataFrame([{"start": scenario.open + k * 900.0, "group": "pool", "simulated": 3}
                  for k in (0, 4, 5)]).to_csv(sparse, index=False)
    assert requirement_from_table(sparse, scenario).sum() == 9
    for rows in ((0, 95), (0, 48), (0, 40, 80)):  # sparse, on no grid of whole hours
        pd.DataFrame([{"start": scenario.open + k * 900.0, "group": "pool", "simulated": 2}
                      for k in rows]).to_csv(sparse, index=False)
        assert requirement_from_table(sparse, scenario).sum() == 2 * len(rows), rows


def test_a_shift_longer_than_the_opening_hours_is_named(tmp_path):
    """Open 08:00-14:00 with ``--lengths 10h``: the line names the length and the hours.

    It blamed a start window to widen, which the template has not (an outside check).
    """
    done = CliRunner().invoke(main, ["schedule", str(ROOT / "erlang_c.yaml"), "--set",
                                     "days=1", "--set", "open=08:00", "--set", "close=14:00",
                                     "--requirement", "erlang", "--lengths", "10h", "-q",
                                     "--out", str(tmp_path / "sched")])
    assert done.exit_code == 2, done.output
    line = done.output.strip().splitlines()[-1]
    assert "t10h (10h) is longer than the opening hours 08:00-14:00 (6h)" in line, line
