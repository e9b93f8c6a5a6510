"""``--grid`` on clock-valued fields: ``08:00:30`` is one clock time, never a range.

A range is ``a:b:step``; a clock time with seconds has two colons too. On a field that
holds a clock (``open``, ``close``, a shift's ``start``) a value that reads as a clock
time is that clock time; a list is comma-separated; a range there is of seconds after
midnight (``28800:30600:900``), as a scenario may give a clock as a number. A single
mapping or list value (``{monday: 1, friday: 2}``) is one value whatever its colons.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.grid import grid_values
from sim.units import parse_clock

CLOCK_PATHS = ["open", "close", "agents.pool.shifts.0.start", "agents.pool.shifts[1].start"]


def clock(h: int, m: int, s: int) -> str:
    """``HH:MM:SS``."""
    return f"{h:02d}:{m:02d}:{s:02d}"


@settings(max_examples=25, derandomize=True)
@given(path=st.sampled_from(CLOCK_PATHS), h=st.integers(0, 23), m=st.integers(0, 59),
       s=st.integers(0, 59))
def test_a_clock_with_seconds_is_one_value(path, h, m, s):
    """One grid point, the clock time as written (the scenario reads it as a clock)."""
    assert grid_values(path, clock(h, m, s)) == [clock(h, m, s)]
    assert parse_clock(grid_values(path, clock(h, m, s))[0]) == h * 3600 + m * 60 + s


@settings(max_examples=15, derandomize=True)
@given(path=st.sampled_from(CLOCK_PATHS),
       times=st.lists(st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
                      min_size=2, max_size=4, unique=True))  # (twice: refused)
def test_clocks_with_seconds_are_a_list(path, times):
    """Comma-separated clock times with seconds are that many points."""
    clocks = [clock(*t) for t in times]
    assert grid_values(path, ",".join(clocks)) == clocks


def test_a_range_of_seconds_stays_a_range_on_a_clock_field():
    """28800:30600:900 is 08:00, 08:15, 08:30 in seconds after midnight."""
    assert grid_values("open", "28800:30600:900") == [28800, 29700, 30600]


def test_other_fields_keep_their_ranges():
    """On a count, 10:20:10 is still the range 10, 20 (no clock there)."""
    assert grid_values("agents.pool.staff", "10:20:10") == [10, 20]
    assert grid_values("agents.pool.staff.3", "10:20:10") == [10, 20]


def test_one_mapping_with_two_colons_is_one_value():
    """A mapping value is one point, not the range '{monday' to ' 1, friday' by ' 2}'."""
    assert grid_values("contact_types.calls.arrivals.day_factors",
                       "{monday: 1, friday: 2}") == [{"monday": 1, "friday": 2}]


@pytest.mark.parametrize("spec", ["08:00:30", "08:00:30,09:00:30"])
def test_sweep_runs_a_clock_with_seconds(tmp_path, spec):
    """``ccsim sweep --grid open=08:00:30 --grid close=10:00:30``: one point per clock."""
    scenario = {"name": "clocks", "seed": 3, "days": 1, "open": "08:00", "close": "10:00",
                "interval": "30m",
                "contact_types": {"calls": {"arrivals": {"rate": "10/h"},
                                            "handle": {"dist": "exponential", "mean": "2m"}}},
                "agents": {"pool": {"skills": ["calls"], "staff": 2}}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    done = CliRunner().invoke(main, ["sweep", str(tmp_path / "s.yaml"), "--grid",
                                     f"open={spec}", "--grid", "close=10:00:30", "-r", "1",
                                     "-w", "1", "-q", "--out", str(tmp_path / "sw")])
    assert done.exit_code == 0, done.output
    table = pd.read_csv(tmp_path / "sw" / "sweep_summary.csv")
    assert table.open.astype(str).tolist() == spec.split(",")
    assert table.close.astype(str).tolist() == ["10:00:30"] * len(spec.split(","))
