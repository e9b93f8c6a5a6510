"""Hold-out backtest: a fitted scenario's day factors meet the held-out log's days by date.

A center's Monday is busier than its Wednesday. A scenario fitted on weeks that start on
a Monday, backtested on a log that starts on a Wednesday (or that misses a holiday),
must give each day of that log its own weekday's factor, not the factor of the day in
the same place of the fitted log. The logs here come from the independent generator of
:mod:`tests.calllog_gen`, with Mondays at twice the volume.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calllog_gen import generate_log
from yaml import safe_load as yaml_load

from sim.backtest import backtest
from sim.calllog import read_call_log
from sim.fit import fit_log
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict

PER_INTERVAL = [40.0] * 8  # 08:00-16:00 in hours: 320 calls on a plain day
WEEK = {0: 2.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 0.5, 6: 0.5}  # Monday 2x, weekend half
REPLICATIONS = 10


def write_log(path, dates, seed: int):
    """Calls on ``dates``, each day's volume its weekday's factor x 320."""
    rng = np.random.default_rng(seed)
    days = [generate_log(rng, per_interval=PER_INTERVAL, interval=3600.0, open_s=8 * 3600.0,
                         days=1, agents=8, handle_mean=120.0, patience_mean=600.0,
                         day_factors=[WEEK[d.day_of_week]], start=str(d.date()))
            for d in dates]
    pd.concat(days).to_csv(path, index=False)
    return read_call_log(path)


def fitted(tmp_path, dates):
    """The scenario ``ccsim fit`` makes of a log on ``dates`` (8 agents: volume is tested)."""
    fit = fit_log(write_log(tmp_path / "fit.csv", dates, seed=1), 3600.0)
    data = scenario_dict(fit, "fitted", staff=[8] * fit.intervals_per_day)
    return scenario_from_dict(data), fit


def expected(dates) -> np.ndarray:
    """The generator's expected calls on each date."""
    return np.array([sum(PER_INTERVAL) * WEEK[d.day_of_week] for d in dates])


def sigma(scenario, mu: np.ndarray) -> np.ndarray:
    """Standard deviation of a date's simulated mean around the generator's expectation.

    The fitted day volume of a weekday is the mean of the 3 fitted days of that weekday
    (Poisson: variance mu / 3); the simulated mean over R replications adds mu / R and,
    with a fitted forecast error cv, (cv mu)^2 / R.
    """
    cv = scenario.contact_types["calls"].arrivals.forecast_error
    return np.sqrt(mu / 3 + mu / REPLICATIONS + (cv * mu) ** 2 / REPLICATIONS)


HELD_OUT = {
    # a week from a Wednesday, weekend included
    "week_from_wednesday": (pd.date_range("2026-03-02", periods=21),
                            pd.date_range("2026-03-25", periods=7)),
    # weekdays only; the held-out fortnight starts on a Wednesday and its first Monday
    # (2026-03-30) is a holiday without calls
    "weekdays_with_holiday": (pd.bdate_range("2026-03-02", periods=15),
                              pd.bdate_range("2026-03-25", periods=10).drop(
                                  pd.Timestamp("2026-03-30"))),
}


@pytest.mark.parametrize("case", list(HELD_OUT))
def test_held_out_days_get_their_weekday(tmp_path, case):
    """Each held-out date is simulated with its own weekday's volume; daily error is small.

    On the old scenario form (factors in the fitted log's order from its first day) the
    held-out Wednesday got Monday's double volume and the Monday a quieter day's.
    """
    fit_dates, held_dates = HELD_OUT[case]
    scenario, _ = fitted(tmp_path, fit_dates)
    log = write_log(tmp_path / "held_out.csv", held_dates, seed=2)
    bt = backtest(scenario, log, replications=REPLICATIONS, seed=3)
    assert list(bt.daily.index) == list(held_dates)
    mu = expected(held_dates)
    # every date within 4.5 standard deviations: a misplaced Monday is off by 320 calls,
    # 15 standard deviations
    np.testing.assert_array_less(np.abs(bt.daily["mean"].to_numpy() - mu),
                                 4.5 * sigma(scenario, mu))
    # actual vs simulated: each day's difference has the actual's Poisson variance on top;
    # a mean of |normal| over the days is 0.8 sd on average, 3 sd is far out of reach
    spread = np.sqrt(np.mean(mu + sigma(scenario, mu) ** 2))
    assert bt.daily_mae < 3 * spread


def test_fitted_factors_name_their_weekdays(tmp_path):
    """``ccsim fit`` writes each factor under its weekday's name, Monday first."""
    scenario, fit = fitted(tmp_path, pd.date_range("2026-03-04", periods=14))  # from a Wed
    factors = scenario.contact_types["calls"].arrivals.day_factors
    assert list(factors) == ["monday", "tuesday", "wednesday", "thursday", "friday",
                             "saturday", "sunday"]
    totals = fit.types["calls"].arrivals.days
    by_weekday = totals.groupby(totals.index.day_of_week).mean()
    for d, name in enumerate(factors):
        assert factors[name] == pytest.approx(by_weekday[d] / totals.mean(), abs=1e-4)


def test_unnamed_factors_still_cycle_from_the_first_day(tmp_path):
    """A scenario with a plain list of factors (no weekdays) is cycled as before.

    Day 0 of the run is the log's first open day, whatever its weekday: the list's first
    factor (2) lands on the held-out Wednesday.
    """
    dates = pd.date_range("2026-03-25", periods=7)
    log = write_log(tmp_path / "held_out.csv", dates, seed=2)
    scenario = scenario_from_dict({
        "name": "list", "open": "08:00", "close": "16:00", "interval": "1h",
        "contact_types": {"calls": {
            "arrivals": {"per_interval": PER_INTERVAL,
                         "day_factors": [WEEK[d] for d in range(7)]},
            "handle": {"dist": "exponential", "mean": "2m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 8}}})
    bt = backtest(scenario, log, replications=REPLICATIONS, seed=3)
    mu = np.array([sum(PER_INTERVAL) * WEEK[d] for d in range(7)])  # by position
    np.testing.assert_array_less(np.abs(bt.daily["mean"].to_numpy() - mu),
                                 4.5 * np.sqrt(mu / REPLICATIONS))


def test_cli_warns_of_unnamed_factors(tmp_path):
    """`ccsim backtest` says that a list of factors is cycled from the log's first day."""
    import subprocess
    import sys

    write_log(tmp_path / "held_out.csv", pd.date_range("2026-03-25", periods=2), seed=2)
    yaml = tmp_path / "s.yaml"
    yaml.write_text("name: s\nopen: 08:00\nclose: 16:00\ninterval: 1h\ncontact_types:\n"
                    "  calls: {arrivals: {rate: 40/h, day_factors: [2, 1]},\n"
                    "          handle: {dist: exponential, mean: 2m}}\n"
                    "agents: {pool: {skills: [calls], staff: 8}}\n")
    done = subprocess.run([sys.executable, "-m", "sim", "backtest", str(yaml),
                           str(tmp_path / "held_out.csv"), "-r", "2", "--out",
                           str(tmp_path / "bt.png")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (f"warning: {yaml}: day_factors of calls name no days of the week: cycled from "
            "the log's first open day (Wednesday 2026-03-25)") in done.stderr


LISTED = ('name: s\ndays: 2\nopen: "08:00"\nclose: "16:00"\n'
          "interval: 1h\ncontact_types:\n"
          "  calls: {arrivals: {per_interval: [40, 40, 40, 40, 40, 40, 40, 40,\n"
          "                                    5, 5, 5, 5, 5, 5, 5, 5]},\n"
          "          handle: {dist: exponential, mean: 2m}}\n"
          "agents: {pool: {skills: [calls], staff: %s}}\n")


@pytest.mark.parametrize("staff", ["8", "[8, 8, 8, 8, 8, 8, 8, 8, 2, 2, 2, 2, 2, 2, 2, 2]"])
def test_values_of_each_day_need_as_many_open_days(tmp_path, staff):
    """A scenario listing its 2 days' intervals, on a log of 3 open days: one line, exit 2.

    It crashed ('internal error (ValueError: operands could not be broadcast together
    with shape (6,) (4,))'): the backtest ran the scenario over the log's 3 days, with
    per_interval values (and staff) for 2.
    """
    from click.testing import CliRunner

    from sim.cli import main

    write_log(tmp_path / "log.csv", pd.date_range("2026-03-24", periods=3), seed=2)
    yaml = tmp_path / "s.yaml"
    yaml.write_text(LISTED % staff)
    done = CliRunner().invoke(main, ["backtest", str(yaml), str(tmp_path / "log.csv"), "-r",
                                     "2", "--out", str(tmp_path / "bt.png")])
    assert done.exit_code == 2, done.output
    listed = ["contact_types.calls.arrivals.per_interval"] + (
        ["agents.pool.staff"] if staff.startswith("[") else [])
    assert done.stderr.splitlines() == [
        f"{yaml}: {path}: gives each of the scenario's 2 days its own values, but 3 days are "
        "simulated (open days of the log); give one day's values (and day_factors)"
        for path in listed]


def test_values_of_each_day_on_as_many_open_days(tmp_path):
    """On a log of 2 open days, each simulated day is the scenario's own: 320 calls, then 40."""
    log = write_log(tmp_path / "log.csv", pd.date_range("2026-03-24", periods=2), seed=2)
    bt = backtest(scenario_from_dict(yaml_load(LISTED % "8")), log, replications=REPLICATIONS,
                  seed=3)
    mu = np.array([320.0, 40.0])
    # Poisson days: the mean of R replications within 4.5 standard errors
    np.testing.assert_array_less(np.abs(bt.daily["mean"].to_numpy() - mu),
                                 4.5 * np.sqrt(mu / REPLICATIONS))
