"""Backtest bands and errors checked against oracles that share no code with them.

A log simulated from the very scenario a backtest runs is one more draw of what its
replications draw: its values must fall within the 95% bands 95% of the time (a binomial
tolerance), and the reported errors must be the mean absolute differences recomputed
from the backtest's own tables.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.backtest import backtest
from sim.calllog import read_call_log
from sim.loader import scenario_from_dict

LOGS, REPLICATIONS = 8, 10


def _truth() -> dict:
    """3 days 08:00-20:00 in 30 minutes, 6 calls an interval, 2 agents."""
    return {"name": "truth", "days": 3, "open": "08:00", "close": "20:00", "interval": "30m",
            "contact_types": {"calls": {
                "arrivals": {"per_interval": [6.0] * 24},
                "handle": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "2m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 2}}}


@pytest.fixture(scope="module")
def backtests(tmp_path_factory):
    """LOGS logs simulated from the truth (one replication each), each backtested on it."""
    folder = tmp_path_factory.mktemp("coverage")
    scenario = scenario_from_dict(_truth())
    contacts = sim.run(scenario, seed=101, replications=LOGS).contacts
    out = []
    for r in range(LOGS):
        path = folder / f"log{r}.parquet"
        contacts[contacts["replication"] == r].to_parquet(path)
        log = read_call_log(path)
        out.append((log, backtest(scenario, log, replications=REPLICATIONS, seed=r)))
    return out


def _least_hits(trials: int, p: float = 0.95) -> int:
    """The 0.1% point of Binomial(trials, p): fewer hits than this is not chance."""
    return int(stats.binom.ppf(0.001, trials, p))


def test_bands_cover_a_log_of_the_model_95_percent(backtests):
    """Offered per interval and per day: the log within the 95% band 95% of the time.

    Intervals (and days) have independent Poisson counts, so their hits are independent
    trials: 8 logs x 24 intervals and 8 x 3 days. The 2.5-97.5% points of 10 replications
    covered about 79% (150 of 192 intervals); a 95% band must not fall below the
    binomial's 0.1% point.
    """
    hits = [((bt.actual["offered"] >= bt.low["offered"])
             & (bt.actual["offered"] <= bt.high["offered"])).to_numpy() for _, bt in backtests]
    days = [((bt.daily["actual"] >= bt.daily["low"])
             & (bt.daily["actual"] <= bt.daily["high"])).to_numpy() for _, bt in backtests]
    hits, days = np.concatenate(hits), np.concatenate(days)
    assert hits.sum() >= _least_hits(hits.size), hits.mean()
    assert days.sum() >= _least_hits(days.size), days.mean()
    # nor is the band so wide that it always covers (as min-max of many would be)
    assert hits.sum() <= stats.binom.isf(0.001, hits.size, 0.95), hits.mean()


def test_errors_recomputed_from_its_tables(backtests):
    """Each KPI's MAE is the mean over intervals of |simulated mean - actual|; daily alike."""
    for _, bt in backtests:
        for kpi, error in bt.mae.items():
            diff = [abs(m - a) for m, a in zip(bt.mean[kpi], bt.actual[kpi], strict=True)
                    if m == m and a == a]  # NaN: nothing offered on one side
            assert error == pytest.approx(sum(diff) / len(diff), rel=1e-12), kpi
        assert bt.daily_mae == pytest.approx(
            sum(abs(bt.daily["mean"] - bt.daily["actual"])) / len(bt.daily), rel=1e-12)
        assert bt.replications == REPLICATIONS and len(bt.daily) == 3
