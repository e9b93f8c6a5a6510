"""Backtest: a log's contact types the scenario does not have are refused, not counted.

Each side of a backtest counts its own contacts: the simulated side has the scenario's
contact types only. Log contacts of another type were counted on the actual side with
nothing simulated against them: offered per interval and per day came out higher than
the model's by their number, service level and abandon rate mixed over them, and
nothing said so. A planner comparing a model of some queues against an export of all
of them must choose: drop the other queues' rows from the log, or model them.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim.backtest import backtest
from sim.calllog import CallLogError, read_call_log
from sim.cli import main

SCENARIO = ("name: s\nopen: 08:00\nclose: 10:00\ninterval: 1h\ncontact_types:\n"
            "  billing: {arrivals: {rate: 20/h}, handle: {dist: exponential, mean: 2m}}\n"
            "  sales: {arrivals: {rate: 10/h}, handle: {dist: exponential, mean: 2m}}\n"
            "agents: {pool: {skills: [billing, sales], staff: 3}}\n")


def _write(tmp_path, types: list[str], scenario: str = SCENARIO):
    """A log of calls 5 minutes apart of ``types`` in turn, and the scenario file."""
    arrival = [f"2026-03-02T{8 + m // 60:02d}:{m % 60:02d}:00" for m in range(0, 120, 5)]
    log = tmp_path / "log.csv"
    pd.DataFrame({"arrival": arrival, "contact_type": (types * 24)[:24], "wait": 1.0,
                  "outcome": "answered", "handle": 60.0}).to_csv(log, index=False)
    path = tmp_path / "s.yaml"
    path.write_text(scenario)
    return log, path


def test_a_type_the_scenario_lacks_is_refused(tmp_path):
    """One line naming the log, the column, the type and its contacts, and the scenario's types.

    Before: tech's 8 calls were counted as offered (12 per interval on the log's side
    instead of the 8 billing and sales ones), with none simulated.
    """
    log, path = _write(tmp_path, ["billing", "sales", "tech"])
    with pytest.raises(CallLogError) as caught:
        backtest(sim.load_scenario(path), read_call_log(log), replications=2, seed=1)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{log}: contact_type: 'tech' (8 contacts) is no contact type of "
                           "the scenario (billing, sales)"), line


def test_cli_refuses_it_exit_2(tmp_path):
    """`ccsim backtest` prints that line alone and exits 2, writing no figure."""
    log, path = _write(tmp_path, ["billing", "tech", "misc"])
    out = tmp_path / "bt.png"
    done = CliRunner().invoke(main, ["backtest", str(path), str(log), "-r", "2",
                                     "--out", str(out)])
    assert done.exit_code == 2, done.output
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"{log}: contact_type: 'misc' (8 contacts), 'tech' (8 contacts) "
                           "are no contact types of the scenario (billing, sales)"), line
    assert not out.exists()


def test_one_type_against_one_type_is_compared(tmp_path):
    """A log of one type against a scenario of one: its own, whatever its name (as a trace)."""
    one = SCENARIO.replace("  sales: {arrivals: {rate: 10/h}, handle: {dist: exponential, "
                           "mean: 2m}}\n", "").replace("[billing, sales]", "[billing]")
    log, path = _write(tmp_path, ["calls"], one)
    bt = backtest(sim.load_scenario(path), read_call_log(log), replications=2, seed=1)
    assert bt.actual["offered"].tolist() == [12.0, 12.0]


def test_a_scenario_type_without_log_contacts_is_compared(tmp_path):
    """The scenario may model more than the log has: its sales are simulated, none logged."""
    log, path = _write(tmp_path, ["billing"])
    bt = backtest(sim.load_scenario(path), read_call_log(log), replications=2, seed=1)
    assert bt.actual["offered"].tolist() == [12.0, 12.0]
    assert (bt.mean["offered"] > 20).all()  # 30 an hour simulated against them
