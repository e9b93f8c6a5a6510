"""The fit report's clock axes label each tick with the time it stands at, once.

Ticks came from a whole-hour locator that, with fewer than two whole hours in view,
fell back to ticks at 08:12, 08:24, ...; the formatter rounded each to its hour, so the
arrivals panel of a log open about an hour read "08:00 08:00 08:00 09:00 09:00 09:00"
along an axis whose labels stood at the wrong times.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from calllog_gen import generate_log

from sim.backtest import backtest
from sim.calllog import read_call_log
from sim.fit import fit_log
from sim.fit_report import arrivals_figure, backtest_figure
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict


def _fit(tmp_path, open_s: float, interval: float, n: int):
    log = tmp_path / "log.csv"
    generate_log(np.random.default_rng(3), per_interval=[30 * interval / 3600] * n,
                 interval=interval, open_s=open_s, days=2, agents=2, handle_mean=120,
                 patience_mean=180).to_csv(log, index=False)
    return fit_log(read_call_log(log), interval), log


def _drawn(ax) -> list[tuple[float, str]]:
    """The clock axis' ticks within its view: (hours, label)."""
    ax.figure.canvas.draw()
    lo, hi = sorted(ax.get_xlim())
    return [(loc, label.get_text()) for loc, label in zip(ax.get_xticks(), ax.get_xticklabels(),
                                                          strict=True) if lo <= loc <= hi]


def _assert_clock(ax) -> None:
    """At least two labels, all different, each the time at its tick (to the minute)."""
    drawn = _drawn(ax)
    labels = [label for _, label in drawn]
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    for loc, label in drawn:
        hh, mm = map(int, re.fullmatch(r"(\d\d):(\d\d)", label).groups())
        assert abs(hh + mm / 60 - loc) < 1 / 120, (loc, label)


@pytest.mark.parametrize(("open_s", "interval", "n"), [
    pytest.param(8 * 3600, 1800, 2, id="08:00-09:00"),
    pytest.param(8 * 3600 + 900, 900, 3, id="08:15-09:00"),
    pytest.param(8 * 3600, 1800, 3, id="08:00-09:30"),
    pytest.param(8 * 3600, 3600, 12, id="08:00-20:00")])
def test_arrivals_panel_labels_each_tick_once_with_its_time(tmp_path, open_s, interval, n):
    """Short days and a long one: distinct labels, each where its time is."""
    fit, _ = _fit(tmp_path, open_s, interval, n)
    assert (fit.open, fit.close) == (open_s, open_s + n * interval)
    _assert_clock(arrivals_figure(fit, next(iter(fit.types.values()))).axes[0])


def test_backtest_panels_of_a_short_day_label_each_tick_once(tmp_path):
    """The backtest's per-interval panels, 08:15-09:00: distinct labels at their times."""
    fit, log = _fit(tmp_path, 8 * 3600 + 900, 900, 3)
    scenario = scenario_from_dict(scenario_dict(fit, "short"))
    fig = backtest_figure(backtest(scenario, read_call_log(log), replications=2, seed=1))
    for ax in fig.axes:
        if not ax.get_title().startswith("Offered per open day"):
            _assert_clock(ax)


@pytest.mark.parametrize("days", [1, 2, 40])
def test_daily_volume_names_whole_days_from_1(tmp_path, days):
    """The daily panel's labels are whole days, 1 to ``days``.

    It read "-0.4 ... 0.4" for one day and "0.0 0.5 1.0" for two (fractions of a day),
    and counted a 40-day log's days from 0 where a person counts from 1 (as every figure
    of ccsim does).
    """
    log = tmp_path / "log.csv"
    generate_log(np.random.default_rng(3), per_interval=[15] * 4, interval=1800,
                 open_s=8 * 3600, days=days, agents=2, handle_mean=120,
                 patience_mean=180).to_csv(log, index=False)
    fit = fit_log(read_call_log(log), 1800)
    ax = arrivals_figure(fit, next(iter(fit.types.values()))).axes[1]
    ax.figure.canvas.draw()
    lo, hi = sorted(ax.get_xlim())
    labels = [label.get_text().replace("\u2212", "-") for loc, label in
              zip(ax.get_xticks(), ax.get_xticklabels(), strict=True) if lo <= loc <= hi]
    assert labels and all(re.fullmatch(r"\d+", label) for label in labels), labels
    assert min(map(int, labels)) >= 1 and max(map(int, labels)) <= days, labels
