"""`ccsim fit` on the first half of a known scenario's log, against the truth and the rest.

Tier 3 (an outside check of fitting): 40 days of a scenario whose parameters are known
(a day profile, lognormal talks, exponential patience, no day effect) are simulated in
one replication (the center empties each night: the days are independent samples) and
read as a log. The first 20 days are fitted; each estimate must lie within 4 standard
errors of the truth, the errors worked out from the sample (none tuned):

- per interval, the mean of 20 Poisson counts: se = sqrt(lambda / 20); over the 20
  intervals the sum of squared z is chi-squared with 20 degrees of freedom, under its
  99.9% point (45.3);
- the lognormal's mean, se = mean cv / sqrt(n); its cv, from sigma^2 = log(1 + cv^2)
  whose maximum-likelihood se is sigma^2 sqrt(2 / n), through d cv / d sigma^2 =
  (1 + cv^2) / (2 cv);
- exponential patience from censored waits, se = mean / sqrt(abandons) (Fisher).

The fitted scenario, staffed as the truth, is backtested on the other 20 days: the
per-interval error of offered contacts is a difference of three independent means
(the actual days', the fitted rate's days, the replications'), variance lambda (1/20 +
1/20 + 1/200); its mean absolute value over the intervals must be within 4 standard
errors of sqrt(2/pi) times that sd (the half-normal's mean and spread), neither larger
(a biased fit) nor much smaller (a fit that saw the held-out days).
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.backtest import backtest
from sim.calllog import read_call_log
from sim.fit import fit_log
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict

PROFILE = [30, 40, 50, 60, 60, 60, 55, 50, 45, 45, 50, 55, 60, 60, 55, 50, 45, 40, 35, 30]
HANDLE_MEAN, HANDLE_CV, PATIENCE = 240.0, 0.8, 180.0
DAYS, FITTED, REPLICATIONS = 40, 20, 10
TRUTH = {
    "name": "truth", "days": DAYS, "open": "08:00", "close": "18:00", "interval": "30m",
    "contact_types": {"calls": {
        "arrivals": {"per_interval": PROFILE},
        "handle": {"dist": "lognormal", "mean": HANDLE_MEAN, "cv": HANDLE_CV},
        "patience": {"dist": "exponential", "mean": PATIENCE}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 10}},
}


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """The truth's log split by day: (fit of the first 20 days, log of the other 20)."""
    folder = tmp_path_factory.mktemp("holdout")
    sim.run(scenario_from_dict(TRUTH), seed=21).contacts.to_parquet(folder / "run.parquet")
    table = read_call_log(folder / "run.parquet").table
    day = table["arrival"].dt.normalize()
    first = day.isin(sorted(day.unique())[:FITTED]).to_numpy()
    paths = []
    for name, rows in (("first.csv", first), ("second.csv", ~first)):
        part = table.loc[rows, ["arrival", "contact_type", "wait", "outcome", "handle"]]
        part.assign(arrival=part["arrival"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f")).to_csv(
            folder / name, index=False)
        paths.append(folder / name)
    return fit_log(read_call_log(paths[0]), 1800.0), read_call_log(paths[1])


def test_the_fit_finds_the_truth(halves):
    fit, _ = halves
    calls = fit.types["calls"]
    assert (fit.open, fit.close) == (8 * 3600, 18 * 3600)
    assert len(calls.arrivals.days) == FITTED
    rate = np.array(PROFILE, float)
    z = (np.array(calls.arrivals.per_interval) - rate) / np.sqrt(rate / FITTED)
    assert float(np.sum(z**2)) < 45.3, z.round(2)
    n = calls.handle_values.size
    assert calls.handle.family == "lognormal"
    mean, cv = calls.handle.spec["mean"], calls.handle.spec["cv"]
    assert abs(mean - HANDLE_MEAN) < 4 * HANDLE_MEAN * HANDLE_CV / np.sqrt(n), mean
    s2 = np.log1p(HANDLE_CV**2)
    se_cv = (1 + HANDLE_CV**2) / (2 * HANDLE_CV) * s2 * np.sqrt(2 / n)
    assert abs(cv - HANDLE_CV) < 4 * se_cv, (cv, se_cv)
    (exponential,) = [f for f in calls.patience.fits if f.family == "exponential"]
    fitted = exponential.spec["mean"]
    assert calls.patience.abandoned > 100  # the check has something to check
    assert abs(fitted - PATIENCE) < 4 * PATIENCE / np.sqrt(calls.patience.abandoned), fitted


def test_the_held_out_days_differ_by_noise_alone(halves):
    fit, held_out = halves
    spec = scenario_dict(fit, "refit", staff=[10] * len(PROFILE))
    result = backtest(scenario_from_dict(spec), held_out, replications=REPLICATIONS, seed=5)
    assert len(result.days) == DAYS - FITTED
    rate = np.array(PROFILE, float)
    sd = np.sqrt(rate * (2 / FITTED + 1 / (FITTED * REPLICATIONS)))
    expected = float(np.mean(np.sqrt(2 / np.pi) * sd))
    spread = float(np.sqrt(np.mean((1 - 2 / np.pi) * sd**2) / len(rate)))
    mae = result.mae["offered"]
    assert abs(mae - expected) < 4 * spread, (mae, expected, spread)
    errors = (result.mean["offered"] - result.actual["offered"]).to_numpy()
    assert abs(errors.mean()) < 4 * float(np.sqrt(np.mean(sd**2) / len(rate))), errors
